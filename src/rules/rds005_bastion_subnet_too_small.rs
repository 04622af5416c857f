//! RDS005: an `AzureBastionSubnet` smaller than /26, which Azure Bastion rejects.

use ipnet::IpNet;

use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::Environment;

declare_rule!(
    Rds005,
    RuleMeta {
        id: "RDS005",
        name: "bastion-subnet-too-small",
        severity: Severity::Medium,
        short: "An AzureBastionSubnet is smaller than /26, which Azure Bastion rejects.",
        guidance: "Azure Bastion prerequisite: the AzureBastionSubnet must be /26 or larger.",
        help: include_str!("../../rules/RDS005.md"),
        tags: &["network", "bastion"],
        reads: &[crate::model::InputKind::Subnets],
    }
);

/// Bastion needs at least a /26 (64 addresses).
const MAX_PREFIX_LEN: u8 = 26;

fn check(env: &Environment, out: &mut Outcomes) {
    for subnet in env
        .subnets
        .values()
        .filter(|s| s.name.eq_ignore_ascii_case("AzureBastionSubnet"))
    {
        let subject = Subject::resource(&subnet.id);
        if subnet.prefixes.is_empty() {
            let reason = "the subnet's address prefix is not in the export";
            out.not_evaluated
                .push(NotEvaluated::new(&META, subject, reason, Some(subnet.origin.clone())));
            continue;
        }
        let small: Vec<&IpNet> = subnet
            .prefixes
            .iter()
            .filter(|p| matches!(p, IpNet::V4(n) if n.prefix_len() > MAX_PREFIX_LEN))
            .collect();
        if let Some(first) = small.first() {
            let at = subnet.prefix_origin.clone().unwrap_or_else(|| subnet.origin.clone());
            out.findings.push(
                Finding::new(
                    &META,
                    subject,
                    at,
                    format!("AzureBastionSubnet {first} is smaller than /{MAX_PREFIX_LEN}; Azure Bastion needs /{MAX_PREFIX_LEN} or larger"),
                )
                .evidence("prefix", first.to_string(), subnet.prefix_origin.clone()),
            );
        }
    }
}
