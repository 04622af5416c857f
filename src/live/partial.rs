//! What a live collection could not read is "not evaluated", never a pass. A scope that could not be read
//! is listed for every selected rule that judges Azure resources; a VM whose host evidence could not be
//! collected (Run Command) is listed for every selected rule that reads host evidence, with the VM's
//! resource ID as the subject.

use crate::engine::Evaluation;
use crate::finding::{NotEvaluated, Subject};
use crate::model::InputKind;

use super::{Concerns, Failure};

/// The most scopes one stderr line names; the report lists every one.
const NAMED: usize = 20;

/// One line per cause of the resource failures (host failures are warnings): a failed batch is one cause for
/// many subscriptions, each named (up to [`NAMED`]).
pub fn failure_lines(failures: &[Failure]) -> Vec<String> {
    let mut lines: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in failures.iter().filter(|f| f.concerns == Concerns::Resources) {
        match lines.iter_mut().find(|(cause, _)| *cause == f.cause) {
            Some((_, scopes)) => scopes.push(&f.scope),
            None => lines.push((&f.cause, vec![&f.scope])),
        }
    }
    lines
        .into_iter()
        .map(|(cause, scopes)| match scopes[..] {
            [one] if cause.starts_with(one) => cause.to_string(),
            _ => {
                let mut named = scopes.iter().take(NAMED).copied().collect::<Vec<_>>().join(", ");
                if scopes.len() > NAMED {
                    named.push_str(&format!(" and {} more", scopes.len() - NAMED));
                }
                format!("{cause} (not evaluated: {named})")
            }
        })
        .collect()
}

pub fn mark_not_evaluated(failures: &[Failure], eval: &mut Evaluation) {
    for failure in failures {
        let (judged, reason): (fn(&InputKind) -> bool, String) = match failure.concerns {
            Concerns::Resources => (
                |k| *k != InputKind::Hosts,
                format!("live collection failed: {}", failure.cause),
            ),
            Concerns::Host => (
                |k| *k == InputKind::Hosts,
                format!("host evidence not collected: {}", failure.cause),
            ),
        };
        for rule in eval.rules.iter().filter(|r| r.reads.iter().any(judged)) {
            eval.not_evaluated.push(NotEvaluated::new(
                rule,
                Subject::resource(failure.scope.clone()),
                reason.clone(),
                None,
            ));
        }
    }
    eval.not_evaluated
        .sort_by(|a, b| (a.rule.id, a.subject.key(), &a.reason).cmp(&(b.rule.id, b.subject.key(), &b.reason)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_batch_is_one_line_naming_its_subscriptions() {
        let f = |scope: &str, cause: &str| Failure {
            scope: scope.into(),
            cause: cause.into(),
            concerns: Concerns::Resources,
        };
        let batch = "/subscriptions (batch 1 of 1, 2 subscriptions): HTTP 500";
        let lines = failure_lines(&[
            f("/subscriptions/a", "/subscriptions/a: HTTP 403"),
            f("/subscriptions/b", batch),
            f("/subscriptions/c", batch),
        ]);
        assert_eq!(
            lines,
            [
                "/subscriptions/a: HTTP 403".to_string(),
                format!("{batch} (not evaluated: /subscriptions/b, /subscriptions/c)")
            ]
        );
        let many: Vec<Failure> = (0..25).map(|i| f(&format!("/subscriptions/{i}"), batch)).collect();
        assert!(failure_lines(&many)[0].ends_with("/subscriptions/19 and 5 more)"));
        let host = Failure {
            concerns: Concerns::Host,
            ..f(
                "/subscriptions/a/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
                "timed out",
            )
        };
        assert!(
            failure_lines(&[host]).is_empty(),
            "a host failure is a warning, not a failed scope"
        );
    }
}
