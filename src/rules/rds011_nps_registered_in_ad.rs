//! RDS011: the NPS server is registered in Active Directory (a step that fails in a managed domain).

use super::common::{missing_evidence, nps_servers};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, EvidenceFile};

declare_rule!(
    Rds011,
    RuleMeta {
        id: "RDS011",
        name: "nps-registered-in-ad",
        severity: Severity::Medium,
        short: "The NPS server is registered in Active Directory (member of RAS and IAS Servers).",
        guidance: "Don't register the NPS server in Active Directory. This step fails in a managed domain.",
        help: include_str!("../../rules/RDS011.md"),
        tags: &["host", "nps"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    for host in nps_servers(env, &META, out) {
        let account = format!("{}$", host.name);
        let member = host.ras_and_ias_members.as_ref().map(|m| {
            let found = m
                .value
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&host.name) || n.eq_ignore_ascii_case(&account));
            (found, m.origin.clone())
        });
        // A registeredserver text that says neither yes nor no is not evidence.
        let registered = host
            .registered
            .as_ref()
            .and_then(|r| r.value.map(|v| (v, r.origin.clone())));
        let facts: Vec<(bool, crate::model::Origin)> = [member, registered].into_iter().flatten().collect();
        if facts.is_empty() {
            let detail = format!(" (or a conclusive {})", EvidenceFile::NpsRegisteredServer);
            out.not_evaluated
                .push(missing_evidence(&META, host, EvidenceFile::RasAndIasServers, &detail));
        } else if let Some((_, origin)) = facts.into_iter().find(|(registered, _)| *registered) {
            out.findings.push(
                Finding::new(
                    &META,
                    Subject::host(&host.name),
                    origin.clone(),
                    format!(
                        "NPS server {} is registered in Active Directory (RAS and IAS Servers)",
                        host.name
                    ),
                )
                .evidence(
                    "evidence",
                    "member of RAS and IAS Servers, or registered per netsh",
                    Some(origin),
                ),
            );
        }
    }
}
