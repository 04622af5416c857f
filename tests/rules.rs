//! Fixture-driven rule tests: every `fixtures/rules/<ID>/<case>/` folder is scanned; a `fires*` case must
//! produce a finding of that rule, a `passes*` case none, and the rule must have been evaluable there.

use std::path::{Path, PathBuf};

use rdsaudit::config::Config;
use rdsaudit::engine::{evaluate, Evaluation};
use rdsaudit::ingest::{load, Options};

fn scan(path: &Path) -> Evaluation {
    let env = load(&[path.to_path_buf()], &Options::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    evaluate(&env, &Config::default(), "2026-01-01")
}

fn cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let mut out = Vec::new();
    for rule in std::fs::read_dir(&root).expect("fixtures/rules") {
        let rule = rule.unwrap().path();
        let id = rule.file_name().unwrap().to_string_lossy().to_string();
        for case in std::fs::read_dir(&rule).unwrap() {
            let case = case.unwrap().path();
            if case.is_dir() {
                out.push((id.clone(), case));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_rule_fixture_behaves() {
    let cases = cases();
    assert!(cases.len() > 30, "expected the rule fixtures, found {}", cases.len());
    let mut failures = Vec::new();
    for (id, case) in &cases {
        let eval = scan(case);
        let name = case.file_name().unwrap().to_string_lossy();
        let fired: Vec<_> = eval.findings.iter().filter(|f| f.rule.id == id).collect();
        let skipped: Vec<_> = eval.not_evaluated.iter().filter(|n| n.rule.id == id).collect();
        let ok = if name.starts_with("fires") {
            !fired.is_empty()
        } else if name.starts_with("passes") {
            fired.is_empty() && skipped.is_empty()
        } else {
            panic!("{}: case folders start with fires or passes", case.display())
        };
        if !ok {
            let f: Vec<_> = fired
                .iter()
                .map(|f| format!("{} {}", f.subject.id, f.message))
                .collect();
            let s: Vec<_> = skipped
                .iter()
                .map(|n| format!("{} {}", n.subject.id, n.reason))
                .collect();
            failures.push(format!("{id}/{name}: findings {f:?}, not evaluated {s:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_firing_and_a_passing_case() {
    let cases = cases();
    for r in rdsaudit::rules::registry() {
        let id = r.meta().id;
        let names: Vec<String> = cases
            .iter()
            .filter(|(i, _)| i == id)
            .map(|(_, c)| c.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("fires")),
            "{id} has no firing fixture"
        );
        assert!(
            names.iter().any(|n| n.starts_with("passes")),
            "{id} has no passing fixture"
        );
    }
}
