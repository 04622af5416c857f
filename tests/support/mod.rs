//! What a scan reported, as reviewable snapshot text: shared by the rule-case and template tests.

use std::fmt::Write;

use rdsaudit::engine::Evaluation;
use rdsaudit::model::{Environment, Origin};
use rdsaudit::report::positions::Positions;

/// Findings (with evidence) and "not evaluated" entries of the rules `keep` selects, each with its
/// `file:line:col` relative to `root` (`-` when it has no position).
pub fn outcomes(env: &Environment, eval: &Evaluation, root: &str, keep: impl Fn(&str) -> bool) -> String {
    let positions = Positions::resolve(env, eval);
    let place = |origin: Option<&Origin>| {
        let Some(region) = origin.and_then(|o| positions.get(o)) else {
            return "-".to_string();
        };
        let file = &env.sources[region.source].display;
        let file = file.strip_prefix(root).unwrap_or(file).trim_start_matches('/');
        format!("{file}:{}:{}", region.start_line, region.start_column)
    };
    let mut out = String::new();
    for f in eval.findings.iter().filter(|f| keep(f.rule.id)) {
        let _ = writeln!(out, "finding {} {} {}", f.rule.id, f.severity.as_str(), f.subject.id);
        let _ = writeln!(out, "  message: {}", f.message);
        let _ = writeln!(out, "  at: {}", place(f.locations.first()));
        for e in &f.evidence {
            let _ = writeln!(
                out,
                "  evidence: {} = {} ({})",
                e.label,
                e.value,
                place(e.origin.as_ref())
            );
        }
    }
    for n in eval.not_evaluated.iter().filter(|n| keep(n.rule.id)) {
        let _ = writeln!(out, "not evaluated {} {}", n.rule.id, n.subject.id);
        let _ = writeln!(out, "  reason: {}", n.reason);
        let _ = writeln!(out, "  at: {}", place(n.origin.as_ref()));
    }
    out
}
