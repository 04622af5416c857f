//! RDS001: an inbound Allow rule opens 3389 to the internet and earlier Deny rules do not close it.

use std::collections::BTreeSet;

use ipnet::IpNet;
use rayon::prelude::*;

use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Environment, Nsg, SecurityRule};
use crate::net::addresses::AddressSpec;
use crate::net::nsg::{unshadowed_exposure, Access};
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
            .flat_map_iter(|(_, nsg)| (0..nsg.rules.len()).filter_map(|i| judge(nsg, &nsg.rules, i)))
            .collect::<Vec<_>>(),
    );
    for u in &env.unresolved_rules {
        // A known field (a Deny, outbound, no internet source, another port, ICMP) already decides it.
        if !u.known.could_admit_internet(RDP_PORT) {
            continue;
        }
        let nsg = env.nsgs.get(&u.nsg);
        // Only the destination is unknown, which RDS001 does not consider: judge the rule among its NSG's.
        if let (Some(nsg), Some(spec)) = (nsg, u.known.without_destinations()) {
            let mut rules = nsg.rules.clone();
            rules.push(SecurityRule {
                name: u.name.clone(),
                spec,
                default: false,
                origin: Some(u.origin.clone()),
                fields: Some(u.fields.clone()),
                source_field: u.source_field,
                subject: u.subject.clone(),
            });
            out.findings.extend(judge(nsg, &rules, rules.len() - 1));
            continue;
        }
        let subject = nsg.map_or_else(|| u.nsg.as_str().to_string(), |n| n.meta.id.clone());
        out.not_evaluated.push(NotEvaluated::new(
            &META,
            Subject::resource(u.subject.clone().unwrap_or_else(|| format!("{subject}/securityRules/{}", u.name))),
            format!(
                "rule '{}' could allow RDP port {RDP_PORT} from the internet, depending on {}",
                u.name,
                u.describe_unknown()
            ),
            Some(u.unknown_origin()),
        ));
    }
}

/// The finding for `rules[i]` of `nsg` (its own rules, or those plus one being judged), if it exposes 3389.
fn judge(nsg: &Nsg, rules: &[SecurityRule], i: usize) -> Option<Finding> {
    let rule = &rules[i];
    let exposure = unshadowed_exposure(rules, i, RDP_PORT)?;
    // Only user rules can open 3389 from the internet; a default rule always has an origin in that case.
    let (Some(origin), Some(fields)) = (&rule.origin, &rule.fields) else {
        return None;
    };
        let open: Vec<String> = exposure
            .open
            .iter()
            .map(|(t, set)| format!("{t} from {}", set.describe()))
            .collect();
        let what = format!(
            "NSG '{}' rule '{}' (priority {}) allows RDP port {RDP_PORT} from the internet: {}",
            nsg.meta.name,
            rule.name,
            rule.spec.priority,
            open.join("; ")
        );
        let legacy = is_legacy_allow_rd(rule);
        let message = if legacy {
            format!(
                "{what}. It is the legacy AllowRD rule that earlier Domain Services scripts created with explicit \
                 Microsoft support prefixes: replace the prefixes with the CorpNetSaw service tag (or set the rule \
                 to Deny until support needs it)"
            )
        } else {
            what
        };
        let mut f = Finding::new(
            &META,
            Subject::resource(
                rule.subject
                    .clone()
                    .unwrap_or_else(|| format!("{}/securityRules/{}", nsg.meta.id, rule.name)),
            ),
            fields.child(rule.source_field),
            message,
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
            let deny = &rules[d];
            f = f.evidence(
                "partly denied by",
                format!("{} (priority {})", deny.name, deny.spec.priority),
                deny.origin.clone(),
            );
        }
        if legacy {
            f.severity = Severity::Low;
        }
        Some(f)
}

/// The sources Microsoft's earlier Domain Services scripts gave the `AllowRD` rule instead of `CorpNetSaw`.
const LEGACY_ALLOW_RD_SOURCES: [&str; 6] = [
    "207.68.190.32/27",
    "13.106.78.32/27",
    "10.254.32.0/20",
    "10.97.136.0/22",
    "13.106.174.32/27",
    "13.106.4.96/27",
];

/// Whether a rule is the legacy Domain Services support rule: an Allow named `AllowRD` (any case) whose
/// sources are exactly [`LEGACY_ALLOW_RD_SOURCES`], in any order.
fn is_legacy_allow_rd(rule: &SecurityRule) -> bool {
    let prefixes: Option<BTreeSet<IpNet>> = rule
        .spec
        .sources
        .iter()
        .map(|s| match s {
            AddressSpec::Prefix(net) => Some(*net),
            _ => None,
        })
        .collect();
    let legacy: BTreeSet<IpNet> = LEGACY_ALLOW_RD_SOURCES.iter().filter_map(|p| p.parse().ok()).collect();
    rule.name.eq_ignore_ascii_case("AllowRD") && rule.spec.access == Access::Allow && prefixes == Some(legacy)
}
