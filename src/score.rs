//! Scoring (README, Scoring): each unsuppressed finding costs points by severity; the environment and
//! each subject get `max(0, 100 - sum)` and a letter grade.

use std::collections::BTreeMap;

use crate::finding::{Finding, Severity, Subject};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub value: u32,
    pub grade: char,
}

impl Score {
    fn from_points(points: u32) -> Self {
        let value = 100u32.saturating_sub(points);
        let grade = match value {
            90.. => 'A',
            75.. => 'B',
            50.. => 'C',
            25.. => 'D',
            _ => 'F',
        };
        Self { value, grade }
    }
}

#[derive(Debug, Clone)]
pub struct Scores {
    pub environment: Score,
    /// Subjects with at least one unsuppressed finding, in subject order.
    pub subjects: Vec<(Subject, Score)>,
    /// Unsuppressed findings per severity, most severe first.
    pub counts: Vec<(Severity, usize)>,
}

/// Points a finding costs in the score (README, Scoring).
pub fn points(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 40,
        Severity::High => 20,
        Severity::Medium => 8,
        Severity::Low => 3,
        Severity::Info => 0,
    }
}

pub fn score(findings: &[Finding]) -> Scores {
    let active = findings.iter().filter(|f| f.suppression.is_none());
    let mut per_subject: BTreeMap<String, (Subject, u32)> = BTreeMap::new();
    let mut total = 0u32;
    let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
    for f in active {
        let pts = points(f.severity);
        total = total.saturating_add(pts);
        *counts.entry(f.severity).or_default() += 1;
        let entry = per_subject
            .entry(f.subject.key())
            .or_insert_with(|| (f.subject.clone(), 0));
        entry.1 = entry.1.saturating_add(pts);
    }
    Scores {
        environment: Score::from_points(total),
        subjects: per_subject
            .into_values()
            .map(|(s, p)| (s, Score::from_points(p)))
            .collect(),
        counts: Severity::ALL
            .into_iter()
            .map(|s| (s, counts.get(&s).copied().unwrap_or(0)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::tests::TEST_RULE;
    use crate::finding::Suppression;
    use crate::source::Origin;

    fn finding(sev: Severity, subject: &str) -> Finding {
        let mut f = Finding::new(&TEST_RULE, Subject::resource(subject), Origin::pointer(0, ""), "m");
        f.severity = sev;
        f
    }

    #[test]
    fn grades_follow_the_thresholds() {
        let g = |p| Score::from_points(p).grade;
        assert_eq!(
            (g(0), g(10), g(11), g(25), g(26), g(50), g(51), g(75), g(76)),
            ('A', 'A', 'B', 'B', 'C', 'C', 'D', 'D', 'F')
        );
        assert_eq!(Score::from_points(500).value, 0);
    }

    #[test]
    fn suppressed_findings_cost_nothing_and_subjects_are_scored_apart() {
        let mut sup = finding(Severity::Critical, "/x");
        sup.suppression = Some(Suppression {
            source: crate::finding::SuppressionSource::Config,
            reason: "r".into(),
            expires: None,
        });
        let s = score(&[
            finding(Severity::Critical, "/A"),
            finding(Severity::Medium, "/a"),
            finding(Severity::Low, "/b"),
            sup,
        ]);
        assert_eq!(s.environment, Score { value: 49, grade: 'D' });
        assert_eq!(s.subjects.len(), 2);
        assert_eq!(s.subjects[0].1.value, 52);
        assert_eq!(s.counts[0], (Severity::Critical, 1));
    }
}
