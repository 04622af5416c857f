//! Runs the selected rules in parallel (rayon), applies severity overrides and suppressions, sorts the
//! results into their one deterministic order and scores them.

use rayon::prelude::*;

use crate::config::{glob_match, Config};
use crate::finding::{Evidence, Finding, NotEvaluated, RuleMeta, Subject, Suppression, SuppressionSource};
use crate::model::{Coverage, Environment};
use crate::rules::{registry, Outcomes};
use crate::score::{score, Scores};

pub const IGNORE_TAG: &str = "rdsaudit-ignore";

#[derive(Debug)]
pub struct Evaluation {
    /// Sorted by (rule, lower-cased subject, discriminator); suppressed findings included.
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub scores: Scores,
    /// The rules that were selected (a rule with none of its inputs is among them, listed as not evaluated).
    pub rules: Vec<&'static RuleMeta>,
    /// How many resources of each type and how many hosts were read: what every report shows.
    pub coverage: Coverage,
    /// Expired suppressions and bad `rdsaudit-ignore` tags.
    pub warnings: Vec<String>,
}

/// Run the selected rules. The config's `[roles]` become the environment's last source of roles first, so
/// that every caller of the library gets them. `today` is `YYYY-MM-DD` (UTC), for suppression expiry.
pub fn evaluate(env: &mut Environment, config: &Config, today: &str) -> Evaluation {
    env.set_config_roles(config.roles.clone());
    let env = &*env;
    let coverage = env.coverage();
    let rules: Vec<_> = registry().iter().filter(|r| config.is_selected(r.meta().id)).collect();
    let mut all = rules
        .par_iter()
        .map(|r| {
            let mut out = Outcomes::default();
            match nothing_to_judge(r.meta(), &coverage) {
                Some(absent) => out.not_evaluated.push(absent),
                None => r.check(env, &mut out),
            }
            out
        })
        .reduce(Outcomes::default, |mut a, b| {
            a.extend(b);
            a
        });
    let mut warnings = Vec::new();
    for f in &mut all.findings {
        if let Some(condition) = env.condition_for(&f.subject.id) {
            f.message
                .push_str(" (if it is deployed: its deployment condition is not known before deployment)");
            f.evidence.push(Evidence {
                label: "condition".into(),
                value: condition.to_string(),
                origin: None,
            });
        }
        if let Some(sev) = config.severity.get(f.rule.id) {
            f.severity = *sev;
        }
        f.suppression = suppression(env, config, f, today, &mut warnings);
    }
    all.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    all.not_evaluated
        .sort_by(|a, b| (a.rule.id, a.subject.key(), &a.reason).cmp(&(b.rule.id, b.subject.key(), &b.reason)));
    all.not_evaluated
        .dedup_by(|a, b| a.rule.id == b.rule.id && a.subject.key() == b.subject.key() && a.reason == b.reason);
    warnings.sort();
    warnings.dedup();
    Evaluation {
        scores: score(&all.findings),
        findings: all.findings,
        not_evaluated: all.not_evaluated,
        rules: rules.iter().map(|r| r.meta()).collect(),
        coverage,
        warnings,
    }
}

/// The one "not evaluated" entry of a rule when none of the kinds it reads is in the inputs: "no network
/// security groups or security rules in the inputs".
fn nothing_to_judge(rule: &'static RuleMeta, coverage: &Coverage) -> Option<NotEvaluated> {
    if rule.reads.iter().any(|k| coverage.get(*k) > 0) {
        return None;
    }
    let kinds: Vec<String> = rule.reads.iter().map(ToString::to_string).collect();
    let reason = format!("no {} in the inputs", kinds.join(" or "));
    Some(NotEvaluated::new(rule, Subject::inputs(), reason, None))
}

fn suppression(
    env: &Environment,
    config: &Config,
    f: &Finding,
    today: &str,
    warnings: &mut Vec<String>,
) -> Option<Suppression> {
    if let Some(tag) = env.tags_for(&f.subject.id).and_then(|tags| {
        tags.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(IGNORE_TAG))
            .map(|(_, v)| v.as_str())
    }) {
        match parse_ignore_tag(tag) {
            Some((ids, reason)) if ids.iter().any(|id| id.eq_ignore_ascii_case(f.rule.id)) => {
                return Some(Suppression {
                    source: SuppressionSource::Tag,
                    reason,
                    expires: None,
                });
            }
            Some(_) => {}
            None => warnings.push(format!(
                "{}: tag {IGNORE_TAG} = '{tag}' has no reason ('RDS001,RDS003: reason'); ignored",
                f.subject.id
            )),
        }
    }
    for s in config
        .suppressions
        .iter()
        .filter(|s| s.rule == f.rule.id && glob_match(&s.subject, &f.subject.id))
    {
        match &s.expires {
            Some(d) if d.as_str() < today => {
                warnings.push(format!(
                    "suppression of {} for {} expired on {d}: no longer applied",
                    s.rule, s.subject
                ));
            }
            _ => {
                return Some(Suppression {
                    source: SuppressionSource::Config,
                    reason: s.reason.clone(),
                    expires: s.expires.clone(),
                })
            }
        }
    }
    None
}

/// `RDS001,RDS003: reason` -> the IDs and the reason; a tag without a reason suppresses nothing.
pub fn parse_ignore_tag(value: &str) -> Option<(Vec<&str>, String)> {
    let (ids, reason) = value.split_once(':')?;
    let reason = reason.trim();
    if reason.is_empty() {
        return None;
    }
    let ids: Vec<&str> = ids.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    (!ids.is_empty()).then(|| (ids, reason.to_string()))
}

/// Today's date in UTC as `YYYY-MM-DD` (civil-from-days, so no date crate is needed).
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_date((secs / 86_400) as i64)
}

fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_782), "2026-11-25");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }

    #[test]
    fn ignore_tags_need_ids_and_a_reason() {
        assert_eq!(
            parse_ignore_tag("RDS001, RDS003: jump host"),
            Some((vec!["RDS001", "RDS003"], "jump host".into()))
        );
        assert_eq!(parse_ignore_tag("RDS001"), None);
        assert_eq!(parse_ignore_tag("RDS001:  "), None);
        assert_eq!(parse_ignore_tag(": reason"), None);
    }
}
