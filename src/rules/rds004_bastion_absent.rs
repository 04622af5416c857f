//! RDS004: a VNet holding RDS/NPS VMs is not served by Azure Bastion (in itself or a peered VNet).

use std::collections::BTreeMap;

use super::common::{peers, vm_nics};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Environment, Key, Vm};

declare_rule!(
    Rds004,
    RuleMeta {
        id: "RDS004",
        name: "bastion-absent",
        severity: Severity::Medium,
        short: "A virtual network with RDS or NPS VMs is not served by an Azure Bastion host.",
        guidance: "The recommended way to securely connect to your VMs is using Azure Bastion.",
        help: include_str!("../../rules/RDS004.md"),
        tags: &["network", "bastion"],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    for (vnet_key, vms) in vnets_to_judge(env) {
        let names: Vec<&str> = vms.iter().map(|v| v.meta.name.as_str()).collect();
        let Some(vnet) = env.vnets.get(&vnet_key) else {
            let reason = format!(
                "VNet known only by reference (from VM {}); export it to judge Bastion",
                names.join(", ")
            );
            out.not_evaluated.push(NotEvaluated::new(
                &META,
                Subject::resource(vnet_key.as_str()),
                reason,
                None,
            ));
            continue;
        };
        match served(env, &vnet_key) {
            Served::Yes => {}
            Served::Unknown(why) => {
                let subject = Subject::resource(&vnet.meta.id);
                out.not_evaluated
                    .push(NotEvaluated::new(&META, subject, why, Some(vnet.meta.origin.clone())));
            }
            Served::No => out.findings.push(
                Finding::new(
                    &META,
                    Subject::resource(&vnet.meta.id),
                    vnet.meta.origin.child("name"),
                    format!(
                        "VNet '{}' holds {} but no Azure Bastion serves it",
                        vnet.meta.name,
                        names.join(", ")
                    ),
                )
                .evidence("vms", names.join(", "), None)
                .evidence(
                    "peered vnets",
                    peers(env, &vnet_key)
                        .iter()
                        .map(Key::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    None,
                ),
            ),
        }
    }
}

/// VNets holding a VM with an RDS or NPS role; when no VM has a known role, any Windows VM counts.
fn vnets_to_judge(env: &Environment) -> BTreeMap<Key, Vec<&Vm>> {
    let with_roles: Vec<&Vm> = env.vms.values().filter(|vm| !env.vm_roles(vm).is_empty()).collect();
    let vms: Vec<&Vm> = if with_roles.is_empty() {
        env.vms.values().filter(|vm| vm.is_windows()).collect()
    } else {
        with_roles
    };
    let mut out: BTreeMap<Key, Vec<&Vm>> = BTreeMap::new();
    for vm in vms {
        for (_, nic) in vm_nics(env, vm) {
            for cfg in &nic.ip_configs {
                if let Some(vnet) = cfg.subnet.as_ref().and_then(|r| r.key()).and_then(|k| k.parent()) {
                    let list = out.entry(vnet).or_default();
                    if !list.iter().any(|v| v.meta.id == vm.meta.id) {
                        list.push(vm);
                    }
                }
            }
        }
    }
    out
}

enum Served {
    Yes,
    No,
    Unknown(String),
}

fn served(env: &Environment, vnet: &Key) -> Served {
    let mut candidates = peers(env, vnet);
    candidates.push(vnet.clone());
    let bastion_subnets: Vec<Key> = candidates
        .iter()
        .map(|v| Key::new(&format!("{}/subnets/azurebastionsubnet", v.as_str())))
        .collect();
    let mut unresolved = Vec::new();
    for b in env.bastions.values() {
        // A subnet Bastion serves its VNet and the peered ones; a Developer-SKU Bastion (no subnet) serves
        // only the VNet it names, since peering is not supported for that SKU.
        let subnets = b.subnets.iter().map(|r| (r, bastion_subnets.as_slice()));
        let developer = b.vnet.iter().map(|r| (r, std::slice::from_ref(vnet)));
        for (r, serves) in subnets.chain(developer) {
            match r.key() {
                Some(k) if serves.contains(&k) => return Served::Yes,
                Some(_) => {}
                None => unresolved.push(format!("Bastion '{}' references {}", b.meta.name, r.describe())),
            }
        }
    }
    if unresolved.is_empty() {
        Served::No
    } else {
        Served::Unknown(format!("{} (unresolved in the export)", unresolved.join("; ")))
    }
}
