//! RDS012: an enabled, granting network policy does not ignore user account dial-in properties.

use super::common::{missing_evidence, nps_servers};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Environment, EvidenceFile};

declare_rule!(
    Rds012,
    RuleMeta {
        id: "RDS012",
        name: "nps-dialin-not-ignored",
        severity: Severity::High,
        short: "An enabled NPS network policy that grants access does not ignore user account dial-in properties.",
        guidance: "Also check the box to Ignore user account dial-in properties.",
        help: include_str!("../../rules/RDS012.md"),
        tags: &["host", "nps"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    for host in nps_servers(env, &META, out) {
        let Some(nps) = &host.nps else {
            out.not_evaluated
                .push(missing_evidence(&META, host, EvidenceFile::NpsConfig, ""));
            continue;
        };
        for policy in nps.config.network_policies.iter().filter(|p| p.enabled) {
            let Some(profile) = &policy.profile else {
                let reason = format!(
                    "network policy '{}' names a profile (msNPAction) the export does not hold",
                    policy.name
                );
                let origin = Some(nps.origin(&policy.span));
                out.not_evaluated
                    .push(NotEvaluated::new(&META, Subject::host(&host.name), reason, origin));
                continue;
            };
            if profile.allow_dialin != Some(true) || profile.ignore_user_dialin == Some(true) {
                continue;
            }
            let origin = nps.origin(profile.ignore_span.as_ref().unwrap_or(&profile.span));
            let state = if profile.ignore_user_dialin.is_some() {
                "unchecked"
            } else {
                "absent (unchecked)"
            };
            out.findings.push(
                Finding::new(
                    &META,
                    Subject::host(&host.name),
                    origin,
                    format!(
                        "network policy '{}' on {} grants access without ignoring user account dial-in properties",
                        policy.name, host.name
                    ),
                )
                .discriminator(policy.name.clone())
                .evidence(
                    "policy",
                    format!(
                        "{} (sequence {})",
                        policy.name,
                        policy.sequence.map_or("?".into(), |s| s.to_string())
                    ),
                    Some(nps.origin(&policy.span)),
                )
                .evidence("msIgnoreUserDialinProperties", state, None),
            );
        }
    }
}
