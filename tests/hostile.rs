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

/// A resource list of several batches (read on every core): one NSG per line, the line of each finding
/// is its element's.
fn nsg_lines(n: usize, odd: Option<(usize, &str)>) -> String {
    let lines: Vec<String> = (0..n)
        .map(|i| match odd {
            Some((at, text)) if at == i => text.to_string(),
            _ => format!(
                r#"{{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n{i}", "securityRules": [{{"name": "r", "access": "Allow", "direction": "Inbound", "priority": 100, "protocol": "Tcp", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "destinationPortRange": "3389"}}]}}"#
            ),
        })
        .collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

#[test]
fn a_long_resource_list_keeps_every_element_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nsgs.json");
    std::fs::write(&path, nsg_lines(300, None)).unwrap();
    let out = Command::cargo_bin("rdsaudit")
        .unwrap()
        .args(["scan", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines: std::collections::BTreeMap<String, u64> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "RDS001")
        .map(|f| {
            let subject = f["subject"]
                .as_str()
                .unwrap()
                .rsplit("/networkSecurityGroups/")
                .next()
                .unwrap();
            (subject.to_string(), f["locations"][0]["start_line"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(lines.len(), 300);
    for i in [0, 63, 64, 199, 299] {
        assert_eq!(lines[&format!("n{i}/securityRules/r")], i as u64 + 2, "n{i}");
    }
}

#[test]
fn an_odd_element_late_in_a_long_list_decides_as_the_whole_file_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nsgs.json");
    let huge = r#"{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/big", "securityRules": [{"name": "r", "priority": 1e400}]}"#;
    std::fs::write(&path, nsg_lines(300, Some((250, huge)))).unwrap();
    scan(&path).code(2).stderr(contains("nsgs.json:252:").and(no_panic()));
    std::fs::write(&path, nsg_lines(300, Some((200, r#"{"name": "not a resource"}"#)))).unwrap();
    scan(&path)
        .code(2)
        .stderr(contains("nsgs.json: not a recognised input").and(no_panic()));
}
