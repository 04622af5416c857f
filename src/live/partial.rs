//! A scope that could not be read is "not evaluated", never a pass: every selected rule that judges Azure
//! resources is listed for it with the cause.

use crate::engine::Evaluation;
use crate::finding::{NotEvaluated, Subject};
use crate::model::InputKind;

use super::Failure;

pub fn mark_not_evaluated(failures: &[Failure], eval: &mut Evaluation) {
    for failure in failures {
        for rule in eval
            .rules
            .iter()
            .filter(|r| r.reads.iter().any(|k| *k != InputKind::Hosts))
        {
            eval.not_evaluated.push(NotEvaluated::new(
                rule,
                Subject::resource(failure.scope.clone()),
                format!("live collection failed: {}", failure.cause),
                None,
            ));
        }
    }
    eval.not_evaluated
        .sort_by(|a, b| (a.rule.id, a.subject.key(), &a.reason).cmp(&(b.rule.id, b.subject.key(), &b.reason)));
}
