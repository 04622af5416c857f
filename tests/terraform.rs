//! Change inputs: Terraform plans and ARM what-if, on both sides of the change; sensitive values never
//! reach an output; findings in a one-line plan point at exact columns.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;
use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::ingest::{load, Options, Side};
use rdsaudit::source::display_path;

mod support;

const CANARY: &str = "Canary-Pa55w0rd-4f1e9c";

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(p)
}

fn scan(path: &Path, side: Side) -> (rdsaudit::model::Environment, rdsaudit::engine::Evaluation) {
    let opts = Options {
        side,
        allow_empty: true,
        ..Options::default()
    };
    let mut env = load(&[path.to_path_buf()], &opts).unwrap();
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    (env, eval)
}

/// (rule, subject) of every finding of `path` read on `side`.
fn findings(path: &str, side: Side) -> Vec<(String, String)> {
    let (_, eval) = scan(&fixture(path), side);
    let mut out: Vec<(String, String)> = eval
        .findings
        .iter()
        .map(|f| (f.rule.id.to_string(), f.subject.id.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn a_create_plan_joins_unknown_ids_through_the_configuration() {
    let got = findings("families/terraform-plan/tfplan.json", Side::After);
    let vm = "azurerm_windows_virtual_machine.vm-mini";
    assert!(got.contains(&("RDS002".into(), vm.into())), "{got:?}");
    assert!(got.contains(&("RDS003".into(), vm.into())), "{got:?}");
    assert!(got.contains(&(
        "RDS001".into(),
        "azurerm_network_security_group.nsg-vm/securityRules/RDP-Open".into()
    )));
}

#[test]
fn before_a_create_plan_nothing_exists() {
    assert_eq!(findings("families/terraform-plan/tfplan.json", Side::Before), []);
}

#[test]
fn what_if_sides_fix_one_finding_and_introduce_another() {
    let nsg = "/subscriptions/3f2c9a1e-5b7d-4e8a-9c61-2d4f8b7a1e90/resourceGroups/rg-mini/providers/Microsoft.Network/networkSecurityGroups";
    let after = findings("whatif/rest-modify.json", Side::After);
    assert_eq!(
        after,
        [("RDS001".into(), format!("{nsg}/nsg-vm/securityRules/RDP-Partner"))]
    );
    let before = findings("whatif/rest-modify.json", Side::Before);
    assert_eq!(
        before,
        [
            ("RDS001".into(), format!("{nsg}/nsg-old/securityRules/RDP-Open")),
            ("RDS001".into(), format!("{nsg}/nsg-vm/securityRules/RDP-Open")),
        ],
        "the deleted NSG exists before the change only"
    );
}

#[test]
fn a_format_version_of_2_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("families/terraform-plan/tfplan.json")).unwrap();
    let path = dir.path().join("tfplan.json");
    std::fs::write(
        &path,
        text.replacen("\"format_version\":\"1.2\"", "\"format_version\":\"2.0\"", 1),
    )
    .unwrap();
    let err = load(&[path], &Options::default()).unwrap_err().to_string();
    assert!(err.contains("format_version 2.0 is not supported"), "{err}");
}

#[test]
fn a_sensitive_value_near_a_finding_reaches_no_output() {
    let text = std::fs::read_to_string(fixture("families/terraform-plan/tfplan.json")).unwrap();
    assert!(text.contains(CANARY), "the canary is planted");
    for format in ["table", "json", "sarif"] {
        let out = Command::cargo_bin("rdsaudit")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .args([
                "scan",
                "fixtures/families/terraform-plan/tfplan.json",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("RDS002"), "{format}: the VM finding is reported");
        assert!(!all.contains(CANARY), "{format} leaks the sensitive value");
        if format == "table" {
            assert!(all.contains("REDACTED"), "the VM's snippet shows the line, redacted");
        }
    }
}

#[test]
fn findings_in_a_one_line_plan_point_at_exact_columns() {
    let out = Command::cargo_bin("rdsaudit")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "scan",
            "fixtures/families/terraform-plan/tfplan.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(fixture("families/terraform-plan/tfplan.json")).unwrap();
    assert_eq!(text.lines().count(), 1, "terraform show -json writes one line");
    let rds001 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "RDS001")
        .unwrap();
    let loc = &rds001["locations"][0];
    assert_eq!(loc["start_line"], 1);
    let column = loc["start_column"].as_u64().unwrap() as usize;
    // The source of the inline rule, in the create change of the NSG.
    let expected = text.find("\"source_address_prefix\":\"*\"").unwrap() + 1;
    assert_eq!(column, expected, "{loc}");
}

#[test]
fn a_state_joins_known_ids_and_gives_the_plans_findings() {
    let state: Vec<(String, String)> = findings("terraform/state-mini.json", Side::After);
    assert_eq!(state, findings("families/terraform-plan/tfplan.json", Side::After));
    assert_eq!(
        state,
        findings("terraform/state-mini.json", Side::Before),
        "a state reads the same on both sides"
    );
}

#[test]
fn modules_inputs_outputs_and_for_each_instances_are_joined() {
    let opts = Options::default();
    let mut env = load(&[fixture("terraform/modules-for-each.json")], &opts).unwrap();
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    let fired = |rule: &str, subject: &str| {
        eval.findings
            .iter()
            .find(|f| f.rule.id == rule && f.subject.id == subject)
            .unwrap_or_else(|| panic!("{rule} {subject}: {:?}", eval.findings))
    };
    for key in ["rdsh1", "rdsh2"] {
        let vm = format!("module.vm[\"{key}\"].azurerm_windows_virtual_machine.vm");
        // `var.public_ip_id` in the module, `azurerm_public_ip.pip` + `each.key` in the call: the same key.
        let f = fired("RDS002", &vm);
        assert!(
            f.evidence.iter().any(|e| e.value == format!("pip-{key}")),
            "{:?}",
            f.evidence
        );
        fired("RDS003", &vm);
    }
    // `module.net.subnet_id` through the module output: the VNet is known, and judged.
    fired("RDS004", "module.net.azurerm_virtual_network.vnet");
    // A public IP from a local stays unknown: the path is not evaluated, never passed.
    let orphan = "azurerm_windows_virtual_machine.orphan";
    assert!(!eval
        .findings
        .iter()
        .any(|f| f.rule.id == "RDS003" && f.subject.id == orphan));
    assert!(eval
        .not_evaluated
        .iter()
        .any(|n| n.rule.id == "RDS003" && n.subject.id == orphan));
    let rds002 = fired("RDS002", orphan);
    assert!(
        rds002.evidence.iter().any(|e| e.value.contains("local.pip_id")),
        "{:?}",
        rds002.evidence
    );
}

#[test]
fn a_plan_read_on_both_sides_fixes_one_finding_and_introduces_another() {
    let pair = |rule: &str, subject: &str| (rule.to_string(), subject.to_string());
    // update (a rule becomes Deny, another opens), delete, create with standalone rules, replace, no-op
    assert_eq!(
        findings("terraform/change.json", Side::After),
        [
            pair("RDS001", "azurerm_network_security_group.gw/securityRules/RDP-Partner"),
            // A standalone rule is its own subject, with its instance key; the NSG's unknown inline set
            // (not written in the configuration) is the standalone rules'.
            pair("RDS001", "azurerm_network_security_rule.rdp[\"allow-rdp\"]"),
        ]
    );
    assert_eq!(
        findings("terraform/change.json", Side::Before),
        [
            pair("RDS001", "azurerm_network_security_group.gw/securityRules/RDP-Open"),
            pair("RDS001", "azurerm_network_security_group.old/securityRules/AllowRDP"),
        ],
        "the deleted NSG exists before only; the created ones after only"
    );
}

/// Terraform 0.12's plan shape: `format_version` 0.1, a legacy `azurerm_virtual_machine`, a singular
/// `address_prefix` and `public_ip_address_id: ""` (known empty, not unknown: no public IP, so no RDS002).
#[test]
fn a_terraform_0_12_plan_with_legacy_forms_is_judged() {
    let got = findings("terraform/legacy-0.12.json", Side::After);
    assert_eq!(got, [("RDS004".into(), "azurerm_virtual_network.vnet".into())]);
    let mut env = load(&[fixture("terraform/legacy-0.12.json")], &Options::default()).unwrap();
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    use rdsaudit::model::InputKind::{Nics, PublicIps, Subnets, Vms};
    let c = env.coverage();
    let count = |k| c.get(k);
    assert_eq!([Vms, Subnets, Nics, PublicIps].map(count), [1, 1, 1, 0]);
    let skipped: Vec<&str> = eval.not_evaluated.iter().map(|n| n.rule.id).collect();
    for judged in ["RDS002", "RDS003", "RDS021"] {
        assert!(
            !skipped.contains(&judged),
            "{judged} not evaluated: {:?}",
            eval.not_evaluated
        );
    }
}

/// What each change input gives on each side of its change, as one reviewable snapshot per file and side
/// (the Azure rules only: host rules are not evaluated without host evidence).
#[test]
fn every_change_input_on_both_sides() {
    let root = display_path(&fixture(""));
    insta::glob!("../fixtures", "{terraform,whatif}/*.json", |path| {
        for (side, name) in [(Side::Before, "before"), (Side::After, "after")] {
            let (env, eval) = scan(path, side);
            let text = support::outcomes(&env, &eval, &root, |id| id < "RDS010");
            insta::assert_snapshot!(name, text);
        }
    });
}

/// A hub and spoke: NAT rules and pools, a Bastion in the peered hub, Domain Services. The change turns
/// the Developer-SKU Bastion (which serves only its own VNet) into a Standard one, which serves the spoke.
#[test]
fn a_peered_bastion_serves_the_spoke_once_it_leaves_the_developer_sku() {
    const PLAN: &str = "terraform/hub-spoke-bastion-sku.json";
    let after = findings(PLAN, Side::After);
    let expected = [
        (
            "RDS001",
            "azurerm_network_security_group.workloads/securityRules/Allow-RDP-Internet",
        ),
        ("RDS003", "azurerm_windows_virtual_machine.rdsh01"),
        ("RDS006", "azurerm_lb.rds/inboundNatPools/rdp-pool"),
        ("RDS006", "azurerm_lb.rds/inboundNatRules/rdp-rdsh01"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(r, s)| (r.to_string(), s.to_string())).collect();
    assert_eq!(after, expected);
    let before = findings(PLAN, Side::Before);
    let spoke = ("RDS004".to_string(), "azurerm_virtual_network.spoke".to_string());
    assert!(before.contains(&spoke), "{before:?}");
    assert_eq!(before.len(), after.len() + 1, "{before:?}");
}
