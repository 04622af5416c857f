//! What was read: the coverage every report shows.

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::{json, Value};

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
