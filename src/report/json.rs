//! The JSON report: one pretty-printed document, described by `schemas/report.schema.json` (keep the two in
//! step). Field order is the declaration order below and every list comes from the evaluation's sorted
//! vectors, so the same input gives the same bytes.

use serde::Serialize;

use super::{Context, CoverageObject};
use crate::compare::{Against, Prior, PriorLocation, PriorRegion as Region};
use crate::finding::{Finding, Severity, SubjectKind, SuppressionSource};
use crate::score::Score;
use crate::source::Origin;

#[derive(Serialize)]
struct Report<'a> {
    tool: Tool,
    inputs: Vec<Input<'a>>,
    coverage: CoverageObject<'a>,
    summary: Summary,
    gate: Gate<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<Comparison<'a>>,
    findings: Vec<JsonFinding<'a>>,
    not_evaluated: Vec<NotEvaluated<'a>>,
    subjects: Vec<SubjectScore<'a>>,
    warnings: Vec<&'a str>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Input<'a> {
    path: &'a str,
    kind: &'static str,
    sha256: &'a str,
}

#[derive(Serialize)]
struct Summary {
    score: u32,
    grade: String,
    /// Unsuppressed findings: the ones that cost points and that the gate judges.
    findings: usize,
    suppressed: usize,
    not_evaluated: usize,
    by_severity: BySeverity,
}

/// The gate's decision: the same facts as the verdict line on stderr.
#[derive(Serialize)]
struct Gate<'a> {
    passed: bool,
    threshold: &'static str,
    /// Unsuppressed findings at or above the threshold.
    findings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<usize>,
    score: u32,
    grade: String,
    min_score: Option<u32>,
    reason: &'a str,
}

#[derive(Serialize)]
struct Comparison<'a> {
    against: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a str>,
    new: usize,
    unchanged: usize,
    /// Findings of the baseline this run no longer has: fixed.
    absent: &'a [Prior],
}

#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    severity: Severity,
    subject: &'a str,
    subject_kind: SubjectKind,
    #[serde(skip_serializing_if = "str::is_empty")]
    discriminator: &'a str,
    message: &'a str,
    evidence: Vec<Evidence<'a>>,
    locations: Vec<Location<'a>>,
    fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    suppression: Option<Suppression<'a>>,
}

#[derive(Serialize)]
struct Evidence<'a> {
    label: &'a str,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location<'a>>,
}

/// A place in an input; the positions are left out when the place could not be found in the file.
#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: SuppressionSource,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<&'a str>,
}

#[derive(Serialize)]
struct NotEvaluated<'a> {
    rule: &'static str,
    subject: &'a str,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location<'a>>,
}

#[derive(Serialize)]
struct SubjectScore<'a> {
    subject: &'a str,
    score: u32,
    grade: String,
}

pub fn write(ctx: &Context<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let eval = ctx.eval;
    let report = Report {
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        inputs: ctx
            .env
            .sources
            .iter()
            .map(|s| Input {
                path: &s.display,
                kind: s.kind,
                sha256: &s.sha256,
            })
            .collect(),
        coverage: CoverageObject(&eval.coverage),
        summary: summary(ctx),
        gate: gate(ctx),
        comparison: ctx.comparison.map(|c| {
            let (new, unchanged) = c.counts(&eval.findings);
            Comparison {
                against: c.against.key(),
                baseline: match &c.against {
                    Against::Baseline(path) => Some(path),
                    Against::BeforeChange => None,
                },
                new,
                unchanged,
                absent: c.absent(),
            }
        }),
        findings: eval.findings.iter().map(|f| finding(ctx, f)).collect(),
        not_evaluated: eval
            .not_evaluated
            .iter()
            .map(|n| NotEvaluated {
                rule: n.rule.id,
                subject: &n.subject.id,
                reason: &n.reason,
                location: n.origin.as_ref().and_then(|o| location(ctx, o)),
            })
            .collect(),
        subjects: eval
            .scores
            .subjects
            .iter()
            .map(|(s, score)| SubjectScore {
                subject: &s.id,
                score: score.value,
                grade: grade(score),
            })
            .collect(),
        warnings: ctx.warnings().collect(),
    };
    super::write_json(&report, out)
}

fn summary(ctx: &Context<'_>) -> Summary {
    let eval = ctx.eval;
    let count = |sev: Severity| {
        eval.scores
            .counts
            .iter()
            .find(|(s, _)| *s == sev)
            .map_or(0, |(_, n)| *n)
    };
    let suppressed = ctx.suppressed();
    Summary {
        score: eval.scores.environment.value,
        grade: grade(&eval.scores.environment),
        findings: eval.findings.len() - suppressed,
        suppressed,
        not_evaluated: eval.not_evaluated.len(),
        by_severity: BySeverity {
            critical: count(Severity::Critical),
            high: count(Severity::High),
            medium: count(Severity::Medium),
            low: count(Severity::Low),
            info: count(Severity::Info),
        },
    }
}

fn gate<'a>(ctx: &Context<'a>) -> Gate<'a> {
    let g = ctx.gate;
    Gate {
        passed: g.passed,
        threshold: g.threshold_name(),
        findings: g.at_or_above,
        new: g.new,
        fixed: g.fixed,
        score: g.score.value,
        grade: grade(&g.score),
        min_score: g.min_score,
        reason: &g.reason,
    }
}

fn finding<'a>(ctx: &Context<'a>, f: &'a Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule.id,
        name: f.rule.name,
        severity: f.severity,
        subject: &f.subject.id,
        subject_kind: f.subject.kind,
        discriminator: &f.discriminator,
        message: &f.message,
        evidence: f
            .evidence
            .iter()
            .map(|e| Evidence {
                label: &e.label,
                value: &e.value,
                location: e.origin.as_ref().and_then(|o| location(ctx, o)),
            })
            .collect(),
        locations: f.locations.iter().filter_map(|o| location(ctx, o)).collect(),
        fingerprint: f.fingerprint(),
        baseline_state: ctx.comparison.map(|c| c.state(f).as_str()),
        suppression: f.suppression.as_ref().map(|s| Suppression {
            kind: s.source,
            reason: &s.reason,
            expires: s.expires.as_deref(),
        }),
    }
}

/// This run's findings as a baseline records them: `--new-only` compares with the state before the change
/// exactly as `--baseline` compares with a report.
pub fn priors(ctx: &Context<'_>) -> Vec<Prior> {
    ctx.eval
        .findings
        .iter()
        .map(|f| Prior {
            rule: f.rule.id.to_string(),
            severity: f.severity,
            subject: f.subject.id.clone(),
            subject_kind: f.subject.kind,
            message: f.message.clone(),
            fingerprint: f.fingerprint(),
            locations: f
                .locations
                .iter()
                .filter_map(|o| location(ctx, o))
                .map(|l| PriorLocation {
                    path: l.path.to_string(),
                    region: l.region,
                })
                .collect(),
        })
        .collect()
}

fn location<'a>(ctx: &Context<'a>, origin: &Origin) -> Option<Location<'a>> {
    let source = ctx.env.sources.get(origin.source)?;
    let region = ctx.positions.get(origin).map(|r| Region {
        start_line: r.start_line,
        start_column: r.start_column,
        end_line: r.end_line,
        end_column: r.end_column,
    });
    Some(Location {
        path: &source.display,
        region,
    })
}

fn grade(score: &Score) -> String {
    score.grade.to_string()
}
