//! RDS005: an `AzureBastionSubnet` smaller than /26, which a new Azure Bastion deployment rejects (a Bastion
//! deployed in a /27 before 2 November 2021 keeps working there, and the message says so).

use ipnet::IpNet;

use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Bastion, Environment, Key, Subnet};

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
            let users = bastions_in(env, subnet);
            let message = if users.is_empty() {
                format!(
                    "AzureBastionSubnet {first} is smaller than /{MAX_PREFIX_LEN}: a new Azure Bastion deployment \
                     into it is rejected (Bastion needs /{MAX_PREFIX_LEN} or larger)"
                )
            } else {
                let names: Vec<&str> = users.iter().map(|b| b.meta.name.as_str()).collect();
                format!(
                    "AzureBastionSubnet {first} is smaller than /{MAX_PREFIX_LEN} and Bastion {} uses it: a Bastion \
                     deployed there before 2 November 2021 keeps working, but it cannot be redeployed or scaled in \
                     this subnet (Bastion needs /{MAX_PREFIX_LEN} or larger)",
                    names.join(", ")
                )
            };
            let mut f = Finding::new(&META, subject, at, message).evidence(
                "prefix",
                first.to_string(),
                subnet.prefix_origin.clone(),
            );
            for b in users {
                f = f.evidence("bastion", &b.meta.id, Some(b.meta.origin.clone()));
            }
            out.findings.push(f);
        }
    }
}

/// The Bastion hosts whose ipConfigurations are in this subnet.
fn bastions_in<'e>(env: &'e Environment, subnet: &Subnet) -> Vec<&'e Bastion> {
    let key = Key::new(&subnet.id);
    env.bastions
        .values()
        .filter(|b| b.subnets.iter().any(|r| r.key().as_ref() == Some(&key)))
        .collect()
}
