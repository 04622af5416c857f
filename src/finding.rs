//! Typed results of the rules. Only the renderers in `report` turn them into text.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::InputKind;
use crate::source::Origin;

/// Ordered from least to most severe, so that `>=` compares against a `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// What a rule is, as `rdsaudit rules`, SARIF `tool.driver.rules[]` and the JSON report show it.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One sentence: what fires.
    pub short: &'static str,
    /// The guidance sentence the rule enforces.
    pub guidance: &'static str,
    /// `rules/<ID>.md`, printed by `rdsaudit explain` and used as SARIF `help.markdown`.
    pub help: &'static str,
    pub tags: &'static [&'static str],
    /// The kinds of input whose subjects the rule judges: with none of them in the inputs, the engine lists
    /// the rule once as not evaluated instead of running it.
    pub reads: &'static [InputKind],
}

impl RuleMeta {
    pub fn help_uri(&self) -> String {
        format!("{}/blob/main/rules/{}.md", env!("CARGO_PKG_REPOSITORY"), self.id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Resource,
    Host,
}

/// What a finding is about: a resource by its ARM ID (printed as found) or a host by its computer name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: String,
    pub kind: SubjectKind,
}

impl Subject {
    pub fn resource(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind: SubjectKind::Resource,
        }
    }

    pub fn host(name: &str) -> Self {
        Self {
            id: name.to_uppercase(),
            kind: SubjectKind::Host,
        }
    }

    /// The comparison key: IDs compare case-insensitively.
    pub fn key(&self) -> String {
        self.id.to_ascii_lowercase()
    }

    /// The inputs as a whole: the subject of a rule that had nothing to judge (none of what it reads was in
    /// the inputs). Only "not evaluated" entries use it, never a finding.
    pub fn inputs() -> Self {
        Self::resource("(inputs)")
    }
}

/// One fact that supports a finding, optionally with where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub label: String,
    pub value: String,
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionSource {
    /// The `rdsaudit-ignore` Azure tag on the resource or its parent.
    Tag,
    /// A `[[suppressions]]` entry of `rdsaudit.toml`.
    Config,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub source: SuppressionSource,
    pub reason: String,
    pub expires: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    /// The rule's severity after config overrides (and RDS013's per-finding downgrade).
    pub severity: Severity,
    pub subject: Subject,
    /// Separates independent failures of one subject (RDS012: the policy; RDS015: the server); else empty.
    pub discriminator: String,
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// Where the finding points, most precise first; never empty for a finding built by a rule.
    pub locations: Vec<Origin>,
    pub suppression: Option<Suppression>,
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, subject: Subject, origin: Origin, message: impl Into<String>) -> Self {
        Self {
            rule,
            severity: rule.severity,
            subject,
            discriminator: String::new(),
            message: message.into(),
            evidence: Vec::new(),
            locations: vec![origin],
            suppression: None,
        }
    }

    pub fn evidence(mut self, label: &str, value: impl Into<String>, origin: Option<Origin>) -> Self {
        self.evidence.push(Evidence {
            label: label.to_string(),
            value: value.into(),
            origin,
        });
        self
    }

    pub fn discriminator(mut self, d: impl Into<String>) -> Self {
        self.discriminator = d.into();
        self
    }

    /// Stable identity across file order, formatting and unrelated edits: rule, lower-cased subject and
    /// discriminator, hashed.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for part in [self.rule.id, &self.subject.key(), &self.discriminator] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The deterministic order of findings in every output.
    pub fn sort_key(&self) -> (&'static str, String, &str) {
        (self.rule.id, self.subject.key(), &self.discriminator)
    }
}

/// A check that could not run for lack of evidence: listed, never counted as passed.
#[derive(Debug, Clone)]
pub struct NotEvaluated {
    pub rule: &'static RuleMeta,
    pub subject: Subject,
    pub reason: String,
    pub origin: Option<Origin>,
}

impl NotEvaluated {
    pub fn new(rule: &'static RuleMeta, subject: Subject, reason: impl Into<String>, origin: Option<Origin>) -> Self {
        Self {
            rule,
            subject,
            reason: reason.into(),
            origin,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A test rule (the real ones live in `rules/`, which this layer does not know).
    pub(crate) static TEST_RULE: RuleMeta = RuleMeta {
        id: "RDS999",
        name: "test-rule",
        severity: Severity::High,
        short: "",
        guidance: "",
        help: "",
        tags: &[],
        reads: &[],
    };

    #[test]
    fn fingerprint_ignores_subject_case_but_not_the_discriminator() {
        let meta = &TEST_RULE;
        let a = Finding::new(meta, Subject::resource("/A/b"), Origin::pointer(0, ""), "m");
        let b = Finding::new(meta, Subject::resource("/a/B"), Origin::pointer(3, "/x"), "other");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), b.clone().discriminator("p").fingerprint());
        assert_eq!(a.fingerprint().len(), 32);
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!(Severity::parse(" HIGH "), Some(Severity::High));
    }
}
