//! The `rdsaudit-ignore` tag and config suppressions, severity overrides, selection.

use std::path::PathBuf;

use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::finding::{Severity, SuppressionSource};
use rdsaudit::ingest::{load, Options};
use rdsaudit::source::Source;

fn env_with_tag(tag: Option<&str>) -> rdsaudit::model::Environment {
    let tags = tag
        .map(|t| format!(r#""tags": {{"rdsaudit-ignore": "{t}"}},"#))
        .unwrap_or_default();
    let text = format!(
        r#"[{{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1", "name": "nsg1", {tags}
  "securityRules": [{{"name": "rdp", "access": "Allow", "direction": "Inbound", "priority": 100, "protocol": "*",
    "sourceAddressPrefix": "Internet", "destinationAddressPrefix": "*", "destinationPortRange": "3389"}}]}}]"#
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nsgs.json"), text).unwrap();
    load(&[PathBuf::from(dir.path())], &Options::default()).unwrap()
}

fn config(text: &str) -> Config {
    Config::parse(&Source::from_text("rdsaudit.toml", text.to_string())).unwrap()
}

#[test]
fn the_nsg_tag_covers_its_rules() {
    let eval = evaluate(
        &mut env_with_tag(Some("RDS001: approved jump path")),
        &Config::default(),
        "2026-01-01",
    );
    let s = eval.findings[0].suppression.as_ref().expect("suppressed");
    assert_eq!(
        (s.source, s.reason.as_str()),
        (SuppressionSource::Tag, "approved jump path")
    );
    assert_eq!(eval.scores.environment.value, 100);

    let other_rule = evaluate(&mut env_with_tag(Some("RDS002: x")), &Config::default(), "2026-01-01");
    assert!(other_rule.findings[0].suppression.is_none());

    let no_reason = evaluate(&mut env_with_tag(Some("RDS001")), &Config::default(), "2026-01-01");
    assert!(no_reason.findings[0].suppression.is_none());
    assert!(no_reason.warnings.iter().any(|w| w.contains("has no reason")));
}

#[test]
fn config_suppressions_expire() {
    let text = "[[suppressions]]\nrule = \"RDS001\"\nsubject = \"*/networkSecurityGroups/NSG1/*\"\nreason = \"migration\"\nexpires = 2026-06-30\n";
    let mut env = env_with_tag(None);
    let before = evaluate(&mut env, &config(text), "2026-06-30");
    assert_eq!(
        before.findings[0].suppression.as_ref().map(|s| s.source),
        Some(SuppressionSource::Config)
    );
    let after = evaluate(&mut env, &config(text), "2026-07-01");
    assert!(after.findings[0].suppression.is_none());
    assert!(after.warnings.iter().any(|w| w.contains("expired on 2026-06-30")));
}

#[test]
fn severity_overrides_and_selection_apply() {
    let mut env = env_with_tag(None);
    let eval = evaluate(&mut env, &config("[severity]\nRDS001 = \"low\"\n"), "2026-01-01");
    assert_eq!(eval.findings[0].severity, Severity::Low);
    assert_eq!(eval.scores.environment.value, 97);
    let eval = evaluate(&mut env, &config("ignore = [\"RDS001\"]\n"), "2026-01-01");
    assert!(eval.findings.is_empty() && !eval.rules.iter().any(|r| r.id == "RDS001"));
}
