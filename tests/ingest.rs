//! Model building: merges, child resources, default rules, case-insensitive IDs, conflicts.

use std::path::PathBuf;

use rdsaudit::ingest::{load, Options};
use rdsaudit::model::Key;

const NSG: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1";

fn env_of(files: &[(&str, String)]) -> rdsaudit::model::Environment {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let env = load(&[PathBuf::from(dir.path())], &Options::default()).unwrap();
    drop(dir);
    env
}

fn rule(name: &str, priority: u32) -> String {
    format!(
        r#"{{"name": "{name}", "id": "{NSG}/securityRules/{name}", "properties": {{"access": "Allow", "direction": "Inbound", "priority": {priority}, "protocol": "Tcp", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "destinationPortRange": "3389"}}}}"#
    )
}

#[test]
fn child_rules_merge_into_their_nsg_by_name_and_defaults_are_added() {
    let nsg = format!(
        r#"[{{"id": "{NSG}", "name": "nsg1", "type": "Microsoft.Network/networkSecurityGroups", "properties": {{"securityRules": [{}]}}}}]"#,
        rule("a", 100)
    );
    let children = format!(
        r#"[{}, {}]"#,
        rule("A", 100).replace(
            &format!("{NSG}/securityRules/A"),
            &format!("{}/securityRules/A", NSG.to_uppercase())
        ),
        rule("b", 200)
    );
    let env = env_of(&[("1.json", nsg), ("2.json", children)]);
    let nsg = &env.nsgs[&Key::new(NSG)];
    let names: Vec<&str> = nsg.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(&names[..2], ["a", "b"]);
    assert!(names.contains(&"DenyAllInBound") && names.contains(&"AllowVnetInBound"));
    assert_eq!(nsg.rules.iter().filter(|r| r.default).count(), 6);
}

#[test]
fn rules_listed_without_their_nsg_still_form_one() {
    let env = env_of(&[("rules.json", format!("[{}]", rule("only", 100)))]);
    let nsg = &env.nsgs[&Key::new(NSG)];
    assert_eq!(nsg.meta.name, "nsg1");
    assert_eq!(nsg.rules[0].name, "only");
}

#[test]
fn the_same_resource_twice_is_read_once_and_disagreement_warns() {
    let a = format!(
        r#"[{{"id": "{NSG}", "name": "nsg1", "properties": {{"securityRules": [{}]}}}}]"#,
        rule("a", 100)
    );
    let same_flattened = format!(
        r#"[{{"id": "{}", "name": "nsg1", "etag": "W/\"x\"", "securityRules": [{}]}}]"#,
        NSG.to_lowercase(),
        r#"{"name": "a", "access": "Allow", "direction": "Inbound", "priority": 100, "protocol": "Tcp", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "destinationPortRange": "3389"}"#
    );
    let env = env_of(&[("a.json", a.clone()), ("b.json", same_flattened)]);
    assert_eq!(env.nsgs.len(), 1);
    assert!(
        env.warnings.iter().all(|w| !w.contains("defined differently")),
        "{:?}",
        env.warnings
    );

    let different = a.replace("\"priority\": 100", "\"priority\": 300");
    let env = env_of(&[("a.json", a), ("b.json", different)]);
    assert_eq!(
        env.nsgs[&Key::new(NSG)].rules[0].spec.priority,
        100,
        "the first file wins"
    );
    assert!(env
        .warnings
        .iter()
        .any(|w| w.contains("defined differently in") && w.contains("a.json") && w.contains("b.json")));
}

#[test]
fn type_is_inferred_from_the_id_when_absent() {
    let pip = r#"[{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/p1", "name": "p1", "sku": {"name": "Standard"}, "properties": {"ipAddress": "20.1.2.3"}}]"#;
    let env = env_of(&[("pips.json", pip.to_string())]);
    assert!(env.public_ips.values().next().unwrap().is_standard());
}

#[test]
fn a_nic_given_an_ip_prefix_is_read_with_its_block() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/real/rest-nic-get");
    let env = load(&[dir], &Options::default()).unwrap();
    let nic = env.nics.values().next().expect("the NIC");
    let blocks: Vec<String> = nic
        .ip_configs
        .iter()
        .map(|c| c.private_ip.map(|b| b.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(blocks, ["172.20.2.4/32", "172.20.2.16/28"]);
}
