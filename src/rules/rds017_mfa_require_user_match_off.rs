//! RDS017: `REQUIRE_USER_MATCH` is FALSE: users not enrolled in MFA pass without a second factor.

use super::common::{missing_evidence, nps_servers};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, EvidenceFile, Fact};

declare_rule!(
    Rds017,
    RuleMeta {
        id: "RDS017",
        name: "mfa-require-user-match-off",
        severity: Severity::Medium,
        short: "The MFA NPS extension lets users who are not enrolled in MFA sign in without a second factor.",
        guidance: "Users must be registered to use Microsoft Entra multifactor authentication.",
        help: include_str!("../../rules/RDS017.md"),
        tags: &["host", "nps", "mfa"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    for host in nps_servers(env, &META, out) {
        match &host.auth_dlls {
            Some(d) if d.value.has_mfa_extension() => {}
            Some(_) => continue,
            None => {
                let detail = " (whether the MFA extension is installed)";
                out.not_evaluated
                    .push(missing_evidence(&META, host, EvidenceFile::AuthsrvParameters, detail));
                continue;
            }
        }
        match &host.require_user_match {
            Some(Fact { value: Some(v), origin }) if v.trim().eq_ignore_ascii_case("FALSE") => out.findings.push(
                Finding::new(
                    &META,
                    Subject::host(&host.name),
                    origin.clone(),
                    format!(
                        "REQUIRE_USER_MATCH is FALSE on NPS server {}: users without MFA pass",
                        host.name
                    ),
                )
                .evidence("REQUIRE_USER_MATCH", v.clone(), Some(origin.clone())),
            ),
            Some(_) => {} // TRUE, or absent (which means TRUE)
            None => out.not_evaluated.push(missing_evidence(
                &META,
                host,
                EvidenceFile::AzureMfa,
                " (HKLM\\SOFTWARE\\Microsoft\\AzureMfa)",
            )),
        }
    }
}
