//! What was read: the coverage every report shows, the refusal of an export that holds nothing, and the
//! "not evaluated" entry of a rule none of whose inputs was read.

use std::path::Path;

use assert_cmd::Command;
use predicates::str::contains;
use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::ingest::{load, Options};
use serde_json::{json, Value};

const WRONG_SUBSCRIPTION: &str = "fixtures/empty/az-wrong-subscription";

fn rdsaudit() -> Command {
    let mut c = Command::cargo_bin("rdsaudit").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR")).env("NO_COLOR", "1");
    c
}

/// `rdsaudit scan <path> <args>` that must exit with `code`; its stdout as JSON.
fn scan_json(path: &str, args: &[&str], code: i32) -> Value {
    let out = rdsaudit().arg("scan").arg(path).args(args).assert().code(code);
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

#[test]
fn an_export_of_the_wrong_subscription_is_an_input_error() {
    rdsaudit()
        .arg("scan")
        .arg(WRONG_SUBSCRIPTION)
        .assert()
        .code(2)
        .stderr(contains(
            "nothing to audit: 8 files read, all empty — did the export target the right subscription?",
        ));
}

/// With `--allow-empty` the scan passes, and the report says plainly that no rule could run.
#[test]
fn allow_empty_lists_every_rule_as_not_evaluated() {
    let report = scan_json(WRONG_SUBSCRIPTION, &["--allow-empty", "--format", "json"], 0);
    let rules: Vec<&str> = rdsaudit::rules::registry().iter().map(|r| r.meta().id).collect();
    let entries = report["not_evaluated"].as_array().unwrap();
    let listed: Vec<&str> = entries.iter().map(|n| n["rule"].as_str().unwrap()).collect();
    assert_eq!(listed, rules, "every rule once, in order");
    for n in entries {
        let reason = n["reason"].as_str().unwrap();
        assert!(reason.starts_with("no ") && reason.ends_with(" in the inputs"), "{n}");
        assert_eq!(n["subject"], "(inputs)");
    }
    assert!(report["findings"].as_array().unwrap().is_empty());
    let counts = report["coverage"].as_object().unwrap();
    assert!(counts.len() == 11 && counts.values().all(|n| n == 0), "{counts:?}");
}

#[test]
fn the_config_can_allow_empty_scans() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rdsaudit.toml");
    std::fs::write(&config, "allow-empty = true\n").unwrap();
    rdsaudit()
        .args(["scan", WRONG_SUBSCRIPTION, "--config"])
        .arg(&config)
        .assert()
        .code(0)
        .stdout(contains("no host evidence in the inputs"));
}

/// A VNet export alone: RDS001 has no NSG to judge and says so; RDS005, whose subnets are there, runs.
#[test]
fn an_inventory_without_nsgs_lists_rds001_as_not_evaluated() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules/RDS005/fires");
    let mut env = load(&[path], &Options::default()).unwrap();
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    let of = |id: &str| -> Vec<(String, String)> {
        let entries = eval.not_evaluated.iter().filter(|n| n.rule.id == id);
        entries.map(|n| (n.subject.id.clone(), n.reason.clone())).collect()
    };
    assert_eq!(
        of("RDS001"),
        [(
            "(inputs)".to_string(),
            "no network security groups or security rules in the inputs".to_string()
        )]
    );
    assert!(of("RDS005").is_empty());
    assert!(eval.findings.iter().any(|f| f.rule.id == "RDS005"));
}

#[test]
fn contoso_coverage_is_in_every_format() {
    let expected = json!({
        "nsgs": 3, "security_rules": 8, "vnets": 3, "subnets": 5, "nics": 4, "public_ips": 4, "vms": 4,
        "bastion_hosts": 1, "load_balancers": 1, "domain_services": 1, "hosts": 5
    });
    let contoso = "fixtures/environments/contoso";
    assert_eq!(scan_json(contoso, &["--format", "json"], 1)["coverage"], expected);
    let sarif = scan_json(contoso, &["--format", "sarif"], 1);
    assert_eq!(sarif["runs"][0]["properties"]["coverage"], expected);
    rdsaudit().args(["scan", contoso]).assert().code(1).stdout(contains(
        "Read: 3 NSGs (8 rules), 3 VNets (5 subnets), 4 NICs, 4 public IPs, 4 VMs, 1 Bastion host, \
         1 load balancer, 1 managed domain, 5 hosts\n",
    ));
}
