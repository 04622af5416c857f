//! What a live collection could not read is "not evaluated", never a pass. A scope that could not be read
//! is listed for every selected rule that judges Azure resources; a VM whose host evidence could not be
//! collected (Run Command) is listed for every selected rule that reads host evidence, with the VM's
//! resource ID as the subject.

use crate::engine::Evaluation;
use crate::finding::{NotEvaluated, Subject};
use crate::model::InputKind;

use super::{Concerns, Failure};

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
