//! RDS016: the RD Gateway evaluates its connection authorization policies locally although a central NPS
//! server with the MFA extension exists.

use super::common::{is_nps_server, missing_evidence};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Environment, EvidenceFile, Role};

declare_rule!(Rds016, RuleMeta {
    id: "RDS016",
    name: "rdg-local-nps",
    severity: Severity::Medium,
    short: "The RD Gateway stores its connection authorization policies locally instead of using the central NPS.",
    guidance:
        "Integrate your Remote Desktop Gateway with Microsoft Entra multifactor authentication using the NPS extension.",
    help: include_str!("../../rules/RDS016.md"),
    tags: &["host", "rd-gateway", "nps", "mfa"],
    reads: &[crate::model::InputKind::Hosts],
});

fn check(env: &Environment, out: &mut Outcomes) {
    for host in env.hosts_with(Role::Gateway) {
        let Some(nps) = &host.nps else {
            out.not_evaluated
                .push(missing_evidence(&META, host, EvidenceFile::NpsConfig, ""));
            continue;
        };
        if nps.config.forwards_to_central_nps() {
            continue;
        }
        let others: Vec<_> = env
            .hosts
            .values()
            .filter(|o| o.name != host.name && is_nps_server(env, o) == Some(true))
            .collect();
        let central = others
            .iter()
            .find(|o| o.auth_dlls.as_ref().is_some_and(|d| d.value.has_mfa_extension()));
        let unknown: Vec<&str> = others
            .iter()
            .filter(|o| o.auth_dlls.is_none())
            .map(|o| o.name.as_str())
            .collect();
        if central.is_none() && !unknown.is_empty() {
            let reason = format!(
                "the gateway does not forward; whether NPS server {} has the MFA extension is unknown \
                 ({} missing)",
                unknown.join(", "),
                EvidenceFile::AuthsrvParameters
            );
            out.not_evaluated.push(NotEvaluated::new(
                &META,
                Subject::host(&host.name),
                reason,
                host.origin.clone(),
            ));
            continue;
        }
        if let Some(central) = central {
            let origin = host.origin.clone().unwrap_or_else(|| nps.origin(&(0..0)));
            out.findings.push(
                Finding::new(
                    &META,
                    Subject::host(&host.name),
                    nps.config.connection_request_policies.first().map_or(origin, |p| nps.origin(&p.span)),
                    format!(
                        "RD Gateway {} does not forward authentication to the central NPS {} that has the MFA extension",
                        host.name, central.name
                    ),
                )
                .evidence("central NPS", central.name.clone(), None),
            );
        }
    }
}
