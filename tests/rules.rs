//! Fixture-driven rule tests: every `fixtures/rules/<ID>/<case>/` folder is scanned. A `fires*` case must
//! produce a finding of that rule, a `passes*` case none, and the rule must have been evaluable there; and
//! what the rule reported in each case (findings and "not evaluated" entries, with their positions) is an
//! insta snapshot named after the case, so that a rule change shows in review. One case alone:
//! `INSTA_GLOB_FILTER='RDS003/fires-lb-nat' cargo test --test rules`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use rdsaudit::config::Config;
use rdsaudit::engine::{evaluate, Evaluation};
use rdsaudit::ingest::{load, Options};
use rdsaudit::model::Environment;
use rdsaudit::report::positions::Positions;
use rdsaudit::source::{display_path, Origin};

fn scan(path: &Path) -> (Environment, Evaluation) {
    let mut env =
        load(&[path.to_path_buf()], &Options::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    (env, eval)
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

/// The rule ID a case folder belongs to (`fixtures/rules/<ID>/<case>`).
fn rule_of(case: &Path) -> String {
    case.parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string()
}

/// `file:line:col`, with the file relative to the case folder, or `-` when the origin has no position.
fn place(env: &Environment, positions: &Positions, root: &str, origin: Option<&Origin>) -> String {
    let Some(region) = origin.and_then(|o| positions.get(o)) else {
        return "-".into();
    };
    let file = &env.sources[region.source].display;
    let file = file.strip_prefix(root).unwrap_or(file).trim_start_matches('/');
    format!("{file}:{}:{}", region.start_line, region.start_column)
}

/// What one rule reported in one case, as reviewable text.
fn report(case: &Path) -> String {
    let id = rule_of(case);
    let (env, eval) = scan(case);
    let positions = Positions::resolve(&env, &eval);
    let root = display_path(case);
    let mut out = String::new();
    for f in eval.findings.iter().filter(|f| f.rule.id == id) {
        let at = place(&env, &positions, &root, f.locations.first());
        let _ = writeln!(out, "finding {} {} {}", f.rule.id, f.severity.as_str(), f.subject.id);
        let _ = writeln!(out, "  message: {}", f.message);
        let _ = writeln!(out, "  at: {at}");
        for e in &f.evidence {
            let at = place(&env, &positions, &root, e.origin.as_ref());
            let _ = writeln!(out, "  evidence: {} = {} ({at})", e.label, e.value);
        }
    }
    for n in eval.not_evaluated.iter().filter(|n| n.rule.id == id) {
        let at = place(&env, &positions, &root, n.origin.as_ref());
        let _ = writeln!(out, "not evaluated {} {}", n.rule.id, n.subject.id);
        let _ = writeln!(out, "  reason: {}", n.reason);
        let _ = writeln!(out, "  at: {at}");
    }
    if out.is_empty() {
        out.push_str("nothing reported\n");
    }
    out
}

#[test]
fn case() {
    insta::glob!("../fixtures/rules", "*/*", |case| {
        insta::assert_snapshot!(report(case));
    });
}

#[test]
fn every_rule_fixture_behaves() {
    let cases = cases();
    assert!(cases.len() > 30, "expected the rule fixtures, found {}", cases.len());
    let mut failures = Vec::new();
    for (id, case) in &cases {
        let (_, eval) = scan(case);
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

/// The catalog users and pipelines rely on: IDs, names and default severities (cargo-deny's `codes_unique`).
/// A rename, a new rule or a severity change shows here in review.
#[test]
fn rule_catalog() {
    let mut out = String::new();
    let mut ids = std::collections::BTreeSet::new();
    for r in rdsaudit::rules::registry() {
        let m = r.meta();
        assert!(ids.insert(m.id), "{} is registered twice", m.id);
        let _ = writeln!(out, "{} {} {}", m.id, m.severity.as_str(), m.name);
    }
    insta::assert_snapshot!(out);
}
