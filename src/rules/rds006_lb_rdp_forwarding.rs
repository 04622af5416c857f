//! RDS006: a public load balancer forwards to backend port 3389 (NAT rule, NAT pool or LB rule).

use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::Environment;
use crate::net::ports::lb_backend_port_covers;
use crate::net::RDP_PORT;

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
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    for lb in env.load_balancers.values() {
        for rule in &lb.rules {
            let carries_rdp = rule.protocol.transports().next().is_some();
            if !carries_rdp || !lb_backend_port_covers(rule.backend_port, RDP_PORT) || !lb.rule_is_public(rule) {
                continue;
            }
            let port = if rule.backend_port == 0 {
                "every port (HA ports)".to_string()
            } else {
                rule.backend_port.to_string()
            };
            out.findings.push(
                Finding::new(
                    &META,
                    Subject::resource(format!("{}/{}/{}", lb.meta.id, rule.kind.segment(), rule.name)),
                    rule.fields.child("backendPort"),
                    format!(
                        "public load balancer '{}' {} '{}' forwards {:?} frontend port {} to backend {port}",
                        lb.meta.name,
                        rule.kind.segment(),
                        rule.name,
                        rule.protocol,
                        rule.frontend_port.as_deref().unwrap_or("?"),
                    ),
                )
                .evidence("load balancer", &lb.meta.id, Some(lb.meta.origin.clone()))
                .evidence("rule", rule.name.clone(), Some(rule.origin.clone())),
            );
        }
    }
}
