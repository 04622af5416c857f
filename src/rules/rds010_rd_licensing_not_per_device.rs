//! RDS010: an RD Session Host's licensing mode is not Per Device (2).

use super::common::missing_evidence;
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, EvidenceFile, Fact, Host, Role};

declare_rule!(
    Rds010,
    RuleMeta {
        id: "RDS010",
        name: "rd-licensing-not-per-device",
        severity: Severity::High,
        short: "An RD Session Host's licensing mode is not Per Device.",
        guidance: "When you configure RD licensing, set it to Per Device mode, not Per User.",
        help: include_str!("../../rules/RDS010.md"),
        tags: &["host", "licensing"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

const PER_DEVICE: u32 = 2;

fn mode_name(mode: Option<u32>) -> String {
    match mode {
        Some(2) => "Per Device (2)".into(),
        Some(4) => "Per User (4)".into(),
        Some(5) => "not configured (5)".into(),
        Some(6) => "Entra ID Per User (6)".into(),
        Some(v) => format!("unknown ({v})"),
        None => "not set".into(),
    }
}

fn check(env: &Environment, out: &mut Outcomes) {
    for host in env.hosts_with(Role::SessionHost) {
        check_host(host, out);
    }
}

fn check_host(host: &Host, out: &mut Outcomes) {
    // The policy value wins when set; when it is not set (or was not collected) the RCM value decides.
    let (mode, origin, source): (Option<u32>, _, &str) = match (&host.licensing_policy, &host.licensing_rcm) {
        (Some(Fact { value: Some(v), origin }), _) => (Some(*v), origin.clone(), "policy LicensingMode"),
        (policy, Some(Fact { value, origin })) => {
            let note = if policy.is_none() {
                "RCM LicensingMode (the policy key was not collected)"
            } else {
                "RCM LicensingMode (no policy set)"
            };
            (*value, origin.clone(), note)
        }
        (_, None) => {
            out.not_evaluated.push(missing_evidence(
                &META,
                host,
                EvidenceFile::LicensingCore,
                " (RCM\\Licensing Core)",
            ));
            return;
        }
    };
    if mode != Some(PER_DEVICE) {
        out.findings.push(
            Finding::new(
                &META,
                Subject::host(&host.name),
                origin.clone(),
                format!(
                    "RD licensing mode on session host {} is {}, not Per Device",
                    host.name,
                    mode_name(mode)
                ),
            )
            .evidence(source, mode_name(mode), Some(origin)),
        );
    }
}
