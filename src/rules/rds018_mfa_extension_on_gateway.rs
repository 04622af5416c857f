//! RDS018: the MFA NPS extension is installed on the RD Gateway itself.

use super::common::missing_evidence;
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, EvidenceFile, Role};

declare_rule!(
    Rds018,
    RuleMeta {
        id: "RDS018",
        name: "mfa-extension-on-gateway",
        severity: Severity::Medium,
        short: "The Entra MFA NPS extension is registered on a host that also has the RD Gateway role.",
        guidance: "Create an NPS Server and install the extension (on a separate VM, NPSVM01).",
        help: include_str!("../../rules/RDS018.md"),
        tags: &["host", "rd-gateway", "mfa"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    for host in env.hosts_with(Role::Gateway) {
        let Some(dlls) = &host.auth_dlls else {
            out.not_evaluated.push(missing_evidence(
                &META,
                host,
                EvidenceFile::AuthsrvParameters,
                " (AuthSrv\\Parameters)",
            ));
            continue;
        };
        if !dlls.value.has_mfa_extension() {
            continue;
        }
        out.findings.push(
            Finding::new(
                &META,
                Subject::host(&host.name),
                dlls.origin.clone(),
                format!(
                    "the Entra MFA NPS extension is registered on RD Gateway {}; it belongs on a separate NPS server",
                    host.name
                ),
            )
            .evidence(
                "ExtensionDLLs",
                dlls.value.extension.join("; "),
                Some(dlls.origin.clone()),
            ),
        );
    }
}
