//! Comparisons for the change-aware gate: a baseline (an earlier JSON report of rdsaudit, or the same
//! inputs read before the change for `--new-only`) against the findings of this run, matched by fingerprint.
//! A finding is `new` when its fingerprint is not in the baseline, `unchanged` when it is; a baseline
//! finding whose fingerprint is gone is `absent` (fixed).

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::finding::{Finding, Severity, SubjectKind};
use crate::source::Source;

/// A finding of the baseline, as its report recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prior {
    pub rule: String,
    pub severity: Severity,
    pub subject: String,
    #[serde(default = "resource")]
    pub subject_kind: SubjectKind,
    pub message: String,
    pub fingerprint: String,
    #[serde(default)]
    pub locations: Vec<PriorLocation>,
}

fn resource() -> SubjectKind {
    SubjectKind::Resource
}

/// A place in an input, as the JSON report writes it (`path` relative to the directory the scan ran in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorLocation {
    pub path: String,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub region: Option<PriorRegion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorRegion {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// What this run is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    /// `--baseline FILE`: the file as given.
    Baseline(String),
    /// `--new-only`: the inputs read before the change.
    BeforeChange,
}

impl Against {
    pub fn key(&self) -> &'static str {
        match self {
            Against::Baseline(_) => "baseline",
            Against::BeforeChange => "before-change",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Baseline {
    pub against: Against,
    pub findings: Vec<Prior>,
}

#[derive(Deserialize)]
struct RawReport {
    findings: Vec<Prior>,
}

impl Baseline {
    /// Read `--baseline FILE`. An unreadable file, malformed JSON or a document that is not an rdsaudit JSON
    /// report is an input error with the file, line and column.
    pub fn read(path: &Path) -> Result<Self, InputError> {
        let source = Source::load(path, true)?;
        let findings = Self::parse(&source)?;
        Ok(Self {
            against: Against::Baseline(source.display.clone()),
            findings,
        })
    }

    /// The findings of an rdsaudit JSON report.
    pub fn parse(source: &Source) -> Result<Vec<Prior>, InputError> {
        let text = &source.text;
        let at = |e: serde_json::Error, what: &str| source.error_at_line(e.line(), e.column(), format!("{what}: {e}"));
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| at(e, "malformed baseline report"))?;
        if value.pointer("/tool/name").and_then(|v| v.as_str()) != Some(env!("CARGO_PKG_NAME")) {
            let pointer = if value.pointer("/tool/name").is_some() {
                "/tool/name"
            } else {
                ""
            };
            return Err(source.error_at_pointer(
                pointer,
                "not an rdsaudit JSON report (`rdsaudit scan --format json` writes one): tool.name is not \"rdsaudit\"",
            ));
        }
        drop(value);
        let report: RawReport = serde_json::from_str(text).map_err(|e| at(e, "not an rdsaudit JSON report"))?;
        for (i, p) in report.findings.iter().enumerate() {
            if p.fingerprint.len() != 32 || !p.fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(source.error_at_pointer(
                    &format!("/findings/{i}/fingerprint"),
                    "a fingerprint is 32 hexadecimal digits",
                ));
            }
        }
        Ok(report.findings)
    }
}

/// This run against a baseline.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub against: Against,
    known: BTreeSet<String>,
    /// Baseline findings whose fingerprint this run does not have, in the report order (rule, subject).
    absent: Vec<Prior>,
}

/// Whether a finding of this run was in the baseline (SARIF `baselineState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    New,
    Unchanged,
    Absent,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Unchanged => "unchanged",
            State::Absent => "absent",
        }
    }
}

impl Comparison {
    pub fn new(baseline: Baseline, findings: &[Finding]) -> Self {
        let current: BTreeSet<String> = findings.iter().map(Finding::fingerprint).collect();
        let known: BTreeSet<String> = baseline.findings.iter().map(|p| p.fingerprint.clone()).collect();
        let mut absent: Vec<Prior> = baseline
            .findings
            .into_iter()
            .filter(|p| !current.contains(&p.fingerprint))
            .collect();
        absent.sort_by(|a, b| {
            (&a.rule, a.subject.to_ascii_lowercase(), &a.fingerprint).cmp(&(
                &b.rule,
                b.subject.to_ascii_lowercase(),
                &b.fingerprint,
            ))
        });
        absent.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Self {
            against: baseline.against,
            known,
            absent,
        }
    }

    pub fn state(&self, f: &Finding) -> State {
        if self.known.contains(&f.fingerprint()) {
            State::Unchanged
        } else {
            State::New
        }
    }

    pub fn is_new(&self, f: &Finding) -> bool {
        self.state(f) == State::New
    }

    pub fn absent(&self) -> &[Prior] {
        &self.absent
    }

    /// How many findings of this run are new and how many unchanged.
    pub fn counts(&self, findings: &[Finding]) -> (usize, usize) {
        let new = findings.iter().filter(|f| self.is_new(f)).count();
        (new, findings.len() - new)
    }
}

#[cfg(test)]
mod tests;
