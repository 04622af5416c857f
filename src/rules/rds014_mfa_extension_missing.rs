//! RDS014: an NPS server has no Entra MFA NPS extension registered (both DLLs are needed).

use super::common::{missing_evidence, nps_servers};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, EvidenceFile};

declare_rule!(
    Rds014,
    RuleMeta {
        id: "RDS014",
        name: "mfa-extension-missing",
        severity: Severity::Medium,
        short: "An NPS server has no Entra multifactor authentication NPS extension registered.",
        guidance: "You can optionally integrate the RD environment with Microsoft Entra multifactor authentication.",
        help: include_str!("../../rules/RDS014.md"),
        tags: &["host", "nps", "mfa"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    for host in nps_servers(env, &META, out) {
        let Some(dlls) = &host.auth_dlls else {
            out.not_evaluated.push(missing_evidence(
                &META,
                host,
                EvidenceFile::AuthsrvParameters,
                " (AuthSrv\\Parameters)",
            ));
            continue;
        };
        if dlls.value.has_mfa_extension() {
            continue;
        }
        let list = |l: &[String]| {
            if l.is_empty() {
                "(none)".to_string()
            } else {
                l.join("; ")
            }
        };
        out.findings.push(
            Finding::new(
                &META,
                Subject::host(&host.name),
                dlls.origin.clone(),
                format!("NPS server {} has no Entra MFA NPS extension registered", host.name),
            )
            .evidence("ExtensionDLLs", list(&dlls.value.extension), None)
            .evidence("AuthorizationDLLs", list(&dlls.value.authorization), None),
        );
    }
}
