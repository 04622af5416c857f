//! Roles through the library entry points: a caller of `ingest::load` and `engine::evaluate` gets the
//! config's `[roles]` without copying them anywhere itself.

use std::path::{Path, PathBuf};

use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::ingest::{load, Options};
use rdsaudit::source::Source;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/roles/config-only")
}

fn fired(config: &Config) -> Vec<String> {
    let mut env = load(&[fixture().join("hosts")], &Options::default()).unwrap();
    let eval = evaluate(&mut env, config, "2026-01-01");
    eval.findings
        .iter()
        .map(|f| format!("{} {}", f.rule.id, f.subject.id))
        .collect()
}

#[test]
fn config_roles_apply_through_the_library() {
    let source = Source::load(&fixture().join("rdsaudit.toml"), true).unwrap();
    let config = Config::parse(&source).unwrap();
    assert!(fired(&config).contains(&"RDS010 RDSHVM01".to_string()));
}

#[test]
fn without_the_config_the_host_has_no_role() {
    assert!(!fired(&Config::default()).iter().any(|f| f.starts_with("RDS010")));
}

#[test]
fn the_same_environment_follows_the_config_of_each_evaluation() {
    let source = Source::load(&fixture().join("rdsaudit.toml"), true).unwrap();
    let config = Config::parse(&source).unwrap();
    let mut env = load(&[fixture().join("hosts")], &Options::default()).unwrap();
    assert!(!evaluate(&mut env, &config, "2026-01-01").findings.is_empty());
    let again = evaluate(&mut env, &Config::default(), "2026-01-01");
    assert!(!again.findings.iter().any(|f| f.rule.id == "RDS010"));
}
