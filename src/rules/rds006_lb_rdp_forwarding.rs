//! RDS006: a public load balancer forwards to backend port 3389 (NAT rule, NAT pool or LB rule).

use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
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
            if !lb.forwards_rdp(rule) {
                continue;
            }
            out.findings.push(
                Finding::new(
                    &META,
                    Subject::resource(format!("{}/{}/{}", lb.meta.id, rule.kind.segment(), rule.name)),
                    rule.fields.child("backendPort"),
                    format!("public {} forwards to RDP", lb.describe_rule(rule)),
                )
                .evidence("load balancer", &lb.meta.id, Some(lb.meta.origin.clone()))
                .evidence("rule", rule.name.clone(), Some(rule.origin.clone())),
            );
        }
    }
}
