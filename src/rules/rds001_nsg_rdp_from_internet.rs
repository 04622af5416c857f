//! RDS001: an inbound Allow rule opens 3389 to the internet and earlier Deny rules do not close it.

use rayon::prelude::*;

use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Environment, Nsg};
use crate::net::nsg::unshadowed_exposure;
use crate::net::RDP_PORT;

declare_rule!(
    Rds001,
    RuleMeta {
        id: "RDS001",
        name: "nsg-rdp-from-internet",
        severity: Severity::Critical,
        short: "An NSG rule allows RDP (TCP/UDP 3389) from the internet and no earlier Deny rule closes it.",
        guidance: "You don't need to use network security groups to expose access to RDP on TCP port 3389.",
        help: include_str!("../../rules/RDS001.md"),
        tags: &["network", "nsg", "rdp"],
        reads: &[crate::model::InputKind::Nsgs, crate::model::InputKind::SecurityRules],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    out.findings.extend(
        env.nsgs
            .par_iter()
            .flat_map_iter(|(_, nsg)| check_nsg(nsg))
            .collect::<Vec<_>>(),
    );
    out.not_evaluated.extend(env.unresolved_rules.iter().map(|u| {
        let subject = env
            .nsgs
            .get(&u.nsg)
            .map_or_else(|| u.nsg.as_str().to_string(), |n| n.meta.id.clone());
        NotEvaluated::new(
            &META,
            Subject::resource(format!("{subject}/securityRules/{}", u.name)),
            format!("the exported template leaves {} unresolved", u.reason),
            Some(u.origin.clone()),
        )
    }));
}

fn check_nsg(nsg: &Nsg) -> Vec<Finding> {
    let mut found = Vec::new();
    for (i, rule) in nsg.rules.iter().enumerate() {
        let Some(exposure) = unshadowed_exposure(&nsg.rules, i, RDP_PORT) else {
            continue;
        };
        // Only user rules can open 3389 from the internet; a default rule always has an origin in that case.
        let (Some(origin), Some(fields)) = (&rule.origin, &rule.fields) else {
            continue;
        };
        let open: Vec<String> = exposure
            .open
            .iter()
            .map(|(t, set)| format!("{t} from {}", set.describe()))
            .collect();
        let mut f = Finding::new(
            &META,
            Subject::resource(format!("{}/securityRules/{}", nsg.meta.id, rule.name)),
            fields.child(rule.source_field),
            format!(
                "NSG '{}' rule '{}' (priority {}) allows RDP port {RDP_PORT} from the internet: {}",
                nsg.meta.name,
                rule.name,
                rule.spec.priority,
                open.join("; ")
            ),
        )
        .evidence("nsg", &nsg.meta.id, Some(nsg.meta.origin.clone()))
        .evidence(
            "rule",
            format!("{} (priority {})", rule.name, rule.spec.priority),
            Some(origin.clone()),
        );
        for t in &exposure.open {
            f = f.evidence("open", format!("{} from {}", t.0, t.1.describe()), None);
        }
        for &d in &exposure.shadowed_by {
            let deny = &nsg.rules[d];
            f = f.evidence(
                "partly denied by",
                format!("{} (priority {})", deny.name, deny.spec.priority),
                deny.origin.clone(),
            );
        }
        found.push(f);
    }
    found
}
