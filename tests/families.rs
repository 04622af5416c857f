//! The same small environment exported in four input families gives the same findings: the same rule IDs
//! on the same resource types and lower-cased names (subjects differ by family: templates know no
//! subscription).

use std::path::Path;

use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::ingest::{load, Options};

/// (rule, resource type path, lower-cased name) of every finding, e.g.
/// `RDS001 networksecuritygroups/securityrules nsg-vm/rdp-open`.
fn signature(family: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/families")
        .join(family);
    let mut env = load(&[dir], &Options::default()).unwrap();
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    let mut out: Vec<String> = eval
        .findings
        .iter()
        .map(|f| {
            let lower = terraform_as_arm(&f.subject.id.to_ascii_lowercase());
            let after = lower.split_once("/providers/").expect("an ARM ID").1;
            let segs: Vec<&str> = after.split('/').skip(1).collect();
            let types: Vec<&str> = segs.iter().step_by(2).copied().collect();
            let names: Vec<&str> = segs.iter().skip(1).step_by(2).copied().collect();
            format!("{} {} {}", f.rule.id, types.join("/"), names.join("/"))
        })
        .collect();
    out.sort();
    out
}

/// A Terraform subject (`azurerm_windows_virtual_machine.vm-mini`, `azurerm_lb.lb/loadBalancingRules/r`)
/// in the ARM ID shape, so that types and names compare: the fixtures label each resource by its name.
fn terraform_as_arm(subject: &str) -> String {
    const TYPES: [(&str, &str); 5] = [
        ("azurerm_network_security_group", "networksecuritygroups"),
        ("azurerm_windows_virtual_machine", "virtualmachines"),
        ("azurerm_virtual_network", "virtualnetworks"),
        ("azurerm_lb", "loadbalancers"),
        ("azurerm_public_ip", "publicipaddresses"),
    ];
    let Some((address, rest)) = subject.split_once('/').or(Some((subject, ""))) else {
        unreachable!()
    };
    match address.split_once('.') {
        Some((t, name)) if t.starts_with("azurerm_") => {
            let arm = TYPES.iter().find(|(tf, _)| *tf == t).expect("a mapped type").1;
            let tail = if rest.is_empty() {
                String::new()
            } else {
                format!("/{rest}")
            };
            format!("/providers/ns/{arm}/{name}{tail}")
        }
        _ => subject.to_string(),
    }
}

#[test]
fn every_family_gives_the_same_findings() {
    let expected = [
        "RDS001 networksecuritygroups/securityrules nsg-vm/rdp-open",
        "RDS002 virtualmachines vm-mini",
        "RDS003 virtualmachines vm-mini",
        "RDS004 virtualnetworks vnet-mini",
        "RDS005 virtualnetworks/subnets vnet-mini/azurebastionsubnet",
        "RDS006 loadbalancers/loadbalancingrules lb-mini/lbr-rdp",
        "RDS022 virtualmachines vm-mini",
    ];
    for family in [
        "az-cli",
        "arm-rest",
        "resource-graph",
        "arm-template",
        "arm-what-if",
        "terraform-plan",
    ] {
        assert_eq!(signature(family), expected, "{family}");
    }
}

#[test]
fn templates_use_placeholders_for_what_they_do_not_know() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/families/arm-template");
    let mut env = load(&[dir], &Options::default()).unwrap();
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    assert!(eval.findings.iter().all(|f| f
        .subject
        .id
        .starts_with("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/")));
}
