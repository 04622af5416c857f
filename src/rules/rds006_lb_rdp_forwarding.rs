//! RDS006: a public load balancer forwards to backend port 3389 (NAT rule, NAT pool or LB rule).

use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::Environment;

declare_rule!(
    Rds006,
    RuleMeta {
        id: "RDS006",
        name: "lb-rdp-forwarding",
        severity: Severity::High,
        short: "A public load balancer forwards traffic to backend port 3389 (RDP).",
        guidance: "You don't need to use network security groups to expose access to RDP on TCP port 3389.",
        help: include_str!("../../rules/RDS006.md"),
        tags: &["network", "load-balancer", "rdp"],
        reads: &[crate::model::InputKind::LoadBalancers],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    for lb in env.load_balancers.values() {
        for rule in &lb.rules {
            let subject = Subject::resource(format!("{}/{}/{}", lb.meta.id, rule.kind.segment(), rule.name));
            match lb.forwards_rdp(rule) {
                Ok(false) => {}
                Ok(true) => out.findings.push(
                    Finding::new(
                        &META,
                        subject,
                        rule.fields.child("backendPort"),
                        format!("public {} forwards to RDP", lb.describe_rule(rule)),
                    )
                    .evidence("load balancer", &lb.meta.id, Some(lb.meta.origin.clone()))
                    .evidence("rule", rule.name.clone(), Some(rule.origin.clone())),
                ),
                Err(unknown) => out.not_evaluated.push(NotEvaluated::new(
                    &META,
                    subject,
                    format!(
                        "public {} may forward to RDP, depending on {unknown}",
                        lb.describe_rule(rule)
                    ),
                    Some(unknown.origin.clone()),
                )),
            }
        }
    }
}
