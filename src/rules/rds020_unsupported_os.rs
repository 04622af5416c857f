//! RDS020: an RDS or NPS host runs a Windows Server older than 2016 (newer than 2019: informational).

use super::common::missing_evidence;
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, EvidenceFile};

declare_rule!(
    Rds020,
    RuleMeta {
        id: "RDS020",
        name: "unsupported-os",
        severity: Severity::Medium,
        short: "An RDS or NPS host runs a Windows Server version the guidance does not cover.",
        guidance: "Windows Server 2016 or Windows Server 2019.",
        help: include_str!("../../rules/RDS020.md"),
        tags: &["host", "os"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

const BUILD_2016: u32 = 14393;
const BUILD_2019: u32 = 17763;

fn check(env: &Environment, out: &mut Outcomes) {
    for host in env.hosts.values().filter(|h| !env.host_roles(h).is_empty()) {
        let Some(build) = &host.os_build else {
            out.not_evaluated
                .push(missing_evidence(&META, host, EvidenceFile::Os, ""));
            continue;
        };
        let (what, severity) = match build.value {
            b if b < BUILD_2016 => ("older than Windows Server 2016", META.severity),
            b if b > BUILD_2019 => (
                "newer than Windows Server 2019 (not validated by the guidance)",
                Severity::Info,
            ),
            _ => continue,
        };
        let caption = host.os_caption.clone().unwrap_or_else(|| "Windows".into());
        let mut f = Finding::new(
            &META,
            Subject::host(&host.name),
            build.origin.clone(),
            format!("{} runs {caption} (build {}), {what}", host.name, build.value),
        )
        .evidence(
            "OS",
            format!("{caption} build {}", build.value),
            Some(build.origin.clone()),
        );
        f.severity = severity;
        out.findings.push(f);
    }
}
