//! RDS013: the IAS service SID type is not UNRESTRICTED on an NPS server (high on Windows Server 2019 and
//! later, info below).

use super::common::{missing_evidence, nps_servers};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, EvidenceFile, Fact, SidType};

declare_rule!(
    Rds013,
    RuleMeta {
        id: "RDS013",
        name: "ias-sidtype-not-unrestricted",
        severity: Severity::High,
        short: "The IAS (NPS) service SID type is not UNRESTRICTED on an NPS server.",
        guidance: "If you use Windows Server 2019 or later for the NPS server, run `sc sidtype IAS unrestricted`.",
        help: include_str!("../../rules/RDS013.md"),
        tags: &["host", "nps"],
        reads: &[crate::model::InputKind::Hosts],
    }
);

/// Windows Server 2019, the first build the guidance names (2022 is 20348, 2025 is 26100).
const BUILD_2019: u32 = 17763;

fn check(env: &Environment, out: &mut Outcomes) {
    for host in nps_servers(env, &META, out) {
        let (sid_type, origin) = match &host.ias_sid_type {
            Some(Fact { value: Some(t), origin }) => (*t, origin.clone()),
            Some(Fact { value: None, .. }) => continue, // the IAS service is not installed
            None => {
                out.not_evaluated.push(missing_evidence(
                    &META,
                    host,
                    EvidenceFile::ScQsidtypeIas,
                    &format!(" (or {})", EvidenceFile::IasService),
                ));
                continue;
            }
        };
        if sid_type == SidType::Unrestricted {
            continue;
        }
        let Some(build) = &host.os_build else {
            out.not_evaluated.push(missing_evidence(
                &META,
                host,
                EvidenceFile::Os,
                " (the OS build decides the severity)",
            ));
            continue;
        };
        let mut f = Finding::new(
            &META,
            Subject::host(&host.name),
            origin.clone(),
            format!(
                "IAS service SID type on NPS server {} is {sid_type}, not UNRESTRICTED",
                host.name
            ),
        )
        .evidence("SID type", sid_type.to_string(), Some(origin))
        .evidence("OS build", build.value.to_string(), Some(build.origin.clone()));
        // The guidance asks for the change on Windows Server 2019 or later; below it is informational.
        if build.value < BUILD_2019 {
            f.severity = Severity::Info;
        }
        out.findings.push(f);
    }
}
