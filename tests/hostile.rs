//! Hostile inputs end in exit 2 with a clear message or in a correct scan, never a panic or a hang: deep
//! nesting, huge numbers, NUL bytes, entity expansion in XML, a million-element array.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

fn scan(path: &Path) -> assert_cmd::assert::Assert {
    Command::cargo_bin("rdsaudit")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("scan")
        .arg(path)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
}

fn no_panic() -> impl Predicate<str> {
    contains("panicked").not()
}

#[test]
fn deeply_nested_json_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.json");
    std::fs::write(&path, format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))).unwrap();
    scan(&path).code(2).stderr(contains("deep.json").and(no_panic()));
}

#[test]
fn huge_numbers_are_input_errors_where_the_rules_need_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nsgs.json");
    let nsg = r#"[{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n",
      "securityRules": [{"name": "r", "access": "Allow", "direction": "Inbound", "priority": 1e400,
        "protocol": "Tcp", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "destinationPortRange": "3389"}]}]"#;
    std::fs::write(&path, nsg).unwrap();
    scan(&path).code(2).stderr(contains("nsgs.json:").and(no_panic()));
    std::fs::write(&path, nsg.replace("1e400", "184467440737095516160")).unwrap();
    scan(&path).code(2).stderr(contains("nsgs.json:").and(no_panic()));
}

#[test]
fn nul_bytes_are_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nsgs.json");
    std::fs::write(&path, b"[\0]").unwrap();
    scan(&path).code(2).stderr(contains("nsgs.json:1:2").and(no_panic()));
}

#[test]
fn entity_expansion_in_an_nps_export_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("NPSVM01");
    std::fs::create_dir(&host).unwrap();
    let mut dtd = String::from("<!DOCTYPE Root [<!ENTITY a0 \"lol\">");
    for i in 1..12 {
        let prev = format!("&a{};", i - 1);
        dtd.push_str(&format!("<!ENTITY a{i} \"{}\">", prev.repeat(10)));
    }
    dtd.push(']');
    dtd.push('>');
    std::fs::write(host.join("nps-config.xml"), format!("{dtd}<Root>&a11;</Root>")).unwrap();
    scan(dir.path())
        .code(2)
        .stderr(contains("nps-config.xml").and(no_panic()));
}

#[test]
fn a_million_element_array_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.json");
    let body = vec!["1"; 1_000_000].join(",");
    // Not resources: recognised as nothing, so named on the command line it is refused by name.
    std::fs::write(&path, format!("[{body}]")).unwrap();
    scan(&path)
        .code(2)
        .stderr(contains("graph.json: not a recognised input").and(no_panic()));
}
