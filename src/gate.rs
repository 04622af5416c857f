//! The gate: whether a run passes, and why, in one sentence. The exit code, the verdict line on stderr and
//! the JSON report's `gate` object all come from one [`Gate`], so they never disagree.

use crate::compare::Comparison;
use crate::config::FailOn;
use crate::engine::Evaluation;
use crate::finding::Severity;
use crate::score::Score;

/// The default threshold of `--fail-on`.
pub const DEFAULT_FAIL_ON: FailOn = FailOn::Severity(Severity::High);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub passed: bool,
    pub threshold: FailOn,
    /// Unsuppressed findings at or above the threshold (0 with `--fail-on none`).
    pub at_or_above: usize,
    /// Of those, the ones absent from the baseline (or before the change): `Some` when a comparison was made.
    pub new: Option<usize>,
    /// Findings of the baseline that are gone (fixed), when a comparison was made.
    pub fixed: Option<usize>,
    pub score: Score,
    pub min_score: Option<u32>,
    /// What decided, as the verdict line says it after `gate passed: ` / `gate failed: `.
    pub reason: String,
}

impl Gate {
    /// Judge an evaluation. With a comparison, only findings absent from the baseline fail the gate; the
    /// score is always the whole environment's.
    pub fn judge(
        eval: &Evaluation,
        comparison: Option<&Comparison>,
        threshold: FailOn,
        min_score: Option<u32>,
    ) -> Self {
        let gated: Vec<_> = match threshold {
            FailOn::Severity(t) => eval
                .findings
                .iter()
                .filter(|f| f.suppression.is_none() && f.severity >= t)
                .collect(),
            FailOn::Never => Vec::new(),
        };
        let new = comparison.map(|c| gated.iter().filter(|f| c.is_new(f)).count());
        let failing = new.unwrap_or(gated.len());
        let score = eval.scores.environment.clone();
        let below = min_score.is_some_and(|m| score.value < m);
        let gate = Self {
            passed: failing == 0 && !below,
            threshold,
            at_or_above: gated.len(),
            new,
            fixed: comparison.map(|c| c.absent().len()),
            score,
            min_score,
            reason: String::new(),
        };
        Self {
            reason: gate.describe(),
            ..gate
        }
    }

    /// `gate failed: 3 findings at or above high, 2 new; score 41/100 D`: the last line on stderr.
    pub fn verdict(&self) -> String {
        let outcome = if self.passed { "passed" } else { "failed" };
        format!("gate {outcome}: {}", self.reason)
    }

    fn describe(&self) -> String {
        let mut findings = match self.threshold {
            FailOn::Never => "findings not gated (--fail-on none)".to_string(),
            FailOn::Severity(t) => match self.at_or_above {
                0 => format!("no finding at or above {}", t.as_str()),
                1 => format!("1 finding at or above {}", t.as_str()),
                n => format!("{n} findings at or above {}", t.as_str()),
            },
        };
        if let (Some(new), FailOn::Severity(_)) = (self.new, self.threshold) {
            if self.at_or_above > 0 {
                findings.push_str(&match new {
                    0 => ", none new".to_string(),
                    n => format!(", {n} new"),
                });
            }
        }
        if let Some(fixed) = self.fixed.filter(|n| *n > 0) {
            findings.push_str(&format!(", {fixed} fixed"));
        }
        let mut score = format!("score {}/100 {}", self.score.value, self.score.grade);
        if let Some(min) = self.min_score {
            if self.score.value < min {
                score.push_str(&format!(", below the minimum {min}"));
            } else {
                score.push_str(&format!(" (minimum {min})"));
            }
        }
        format!("{findings}; {score}")
    }

    /// The threshold as the command line spells it: `high`, `none`.
    pub fn threshold_name(&self) -> &'static str {
        match self.threshold {
            FailOn::Severity(s) => s.as_str(),
            FailOn::Never => "none",
        }
    }
}
