//! RDS015: the RD Gateway's remote RADIUS server group gives the central NPS too little time for MFA.

use super::common::missing_evidence;
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, EvidenceFile, Role, TS_GATEWAY_GROUP};

declare_rule!(
    Rds015,
    RuleMeta {
        id: "RDS015",
        name: "radius-timeout-too-short",
        severity: Severity::Medium,
        short:
            "The RD Gateway's RADIUS timeout to the central NPS is below 30 s, or its blackout is below its timeout.",
        guidance: "Change the Timeout value from the default 3 seconds to a value between 30 and 60 seconds.",
        help: include_str!("../../rules/RDS015.md"),
        tags: &["host", "rd-gateway", "nps", "mfa"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

/// The MFA approval must fit in the RADIUS timeout (the guidance says 30 to 60 seconds).
const MIN_TIMEOUT: u32 = 30;

fn check(env: &Environment, out: &mut Outcomes) {
    for host in env.hosts_with(Role::Gateway) {
        let Some(nps) = &host.nps else {
            out.not_evaluated
                .push(missing_evidence(&META, host, EvidenceFile::NpsConfig, ""));
            continue;
        };
        let names = nps.config.forwarding_groups();
        let names = if names.is_empty() {
            vec![TS_GATEWAY_GROUP]
        } else {
            names
        };
        let groups = nps
            .config
            .radius_server_groups
            .iter()
            .filter(|g| names.iter().any(|n| g.name.eq_ignore_ascii_case(n)));
        for server in groups.flat_map(|g| &g.servers) {
            let (timeout, blackout) = (server.effective_timeout(), server.effective_blackout());
            let problem = if timeout < MIN_TIMEOUT {
                format!("Timeout is {timeout} s (below {MIN_TIMEOUT} s)")
            } else if blackout < timeout {
                format!("Blackout_Interval {blackout} s is below Timeout {timeout} s")
            } else {
                continue;
            };
            let span = if timeout < MIN_TIMEOUT {
                &server.timeout_span
            } else {
                &server.blackout_span
            };
            let origin = nps.origin(span.as_ref().unwrap_or(&server.span));
            let shown = |v: Option<u32>, eff: u32| v.map_or(format!("{eff} (default)"), |v| v.to_string());
            out.findings.push(
                Finding::new(
                    &META,
                    Subject::host(&host.name),
                    origin,
                    format!(
                        "RADIUS server {} of the gateway's remote RADIUS server group on {}: {problem}",
                        server.name, host.name
                    ),
                )
                .discriminator(server.name.clone())
                .evidence("Timeout", shown(server.timeout, timeout), None)
                .evidence("Blackout_Interval", shown(server.blackout_interval, blackout), None),
            );
        }
    }
}
