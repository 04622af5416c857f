//! RDS004: a VNet holding RDS/NPS VMs is not served by Azure Bastion (in itself or a peered VNet).

use std::collections::BTreeMap;

use super::common::{missing_nics, peers, vm_nics};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Bastion, Environment, Key, Os, Ref, Vm};

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
        reads: &[crate::model::InputKind::Vms],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    let (vnets, unplaced) = vnets_to_judge(env);
    for (vm, why) in unplaced {
        let reason = format!("the VNet of VM '{}' is not known: {why}", vm.meta.name);
        out.not_evaluated.push(NotEvaluated::new(
            &META,
            Subject::resource(&vm.meta.id),
            reason,
            Some(vm.meta.origin.clone()),
        ));
    }
    for (vnet_key, vms) in vnets {
        let names: Vec<&str> = vms.judged.iter().map(|v| v.meta.name.as_str()).collect();
        let Some(vnet) = env.vnets.get(&vnet_key) else {
            let all: Vec<&str> = vms.judged.iter().chain(&vms.unknown_os).map(|v| v.meta.name.as_str()).collect();
            let reason = format!(
                "VNet known only by reference (from VM {}); export it to judge Bastion",
                all.join(", ")
            );
            out.not_evaluated.push(NotEvaluated::new(
                &META,
                Subject::resource(vnet_key.as_str()),
                reason,
                None,
            ));
            continue;
        };
        let subject = || Subject::resource(&vnet.meta.id);
        match served(env, &vnet_key) {
            Served::Yes => {}
            Served::Unknown(why) => {
                out.not_evaluated
                    .push(NotEvaluated::new(&META, subject(), why, Some(vnet.meta.origin.clone())));
            }
            // Only VMs whose OS is unknown: whether the VNet needs Bastion is not known.
            Served::No if names.is_empty() => out.not_evaluated.extend(vms.unknown_os.iter().map(|vm| {
                let reason = format!(
                    "VNet '{}' has no Azure Bastion and holds VM '{}', whose OS is unknown (no OS profile \
                     configuration, OS disk osType or known image publisher): whether it is a Windows VM is not known",
                    vnet.meta.name, vm.meta.name
                );
                NotEvaluated::new(&META, subject(), reason, Some(vm.meta.origin.clone()))
            })),
            Served::No => {
                let peered = peers(env, &vnet_key);
                let mut finding = Finding::new(
                    &META,
                    subject(),
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
                    peered.iter().map(Key::as_str).collect::<Vec<_>>().join(", "),
                    None,
                );
                // A Developer-SKU Bastion next door looks like coverage and is not: say why.
                for b in developer_bastions_in(env, &peered) {
                    finding = finding.evidence(
                        "developer bastion",
                        format!(
                            "{} (Developer SKU) serves only its own VNet: peering is not supported for that SKU",
                            b.meta.name
                        ),
                        Some(b.meta.origin.clone()),
                    );
                }
                out.findings.push(finding);
            }
        }
    }
}

/// The VMs that make a VNet need Bastion, and those that might (their OS is unknown).
#[derive(Default)]
struct VnetVms<'e> {
    judged: Vec<&'e Vm>,
    unknown_os: Vec<&'e Vm>,
}

/// A VM that counts but whose VNet cannot be told, and why.
type Unplaced<'e> = Vec<(&'e Vm, String)>;

/// VNets holding a VM with an RDS or NPS role; when no VM has a known role, any Windows VM counts, and a VM
/// whose OS is unknown leaves its VNet "not evaluated" unless something else decides it. A VM that counts
/// but whose NICs are not in the inputs, or whose subnet reference is unresolved, is returned apart.
fn vnets_to_judge(env: &Environment) -> (BTreeMap<Key, VnetVms<'_>>, Unplaced<'_>) {
    let any_role = env.vms.values().any(|vm| !env.vm_roles(vm).is_empty());
    let mut out: BTreeMap<Key, VnetVms<'_>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for vm in env.vms.values() {
        let unknown = match (any_role, vm.os) {
            (true, _) if env.vm_roles(vm).is_empty() => continue,
            (true, _) | (false, Os::Windows) => false,
            (false, Os::Unknown) => true,
            (false, Os::Other) => continue,
        };
        let nics = vm_nics(env, vm);
        let missing = missing_nics(env, vm);
        if nics.is_empty() {
            let why = match missing.is_empty() {
                true => "it lists no NIC".to_string(),
                false => format!("its NIC {} is not in the inputs", missing.join(", ")),
            };
            unplaced.push((vm, why));
        }
        for (_, nic) in nics {
            for cfg in &nic.ip_configs {
                match cfg.subnet.as_ref().map(|r| (r, r.key().and_then(|k| k.parent()))) {
                    Some((_, Some(vnet))) => {
                        let entry = out.entry(vnet).or_default();
                        let list = if unknown { &mut entry.unknown_os } else { &mut entry.judged };
                        if !list.iter().any(|v| v.meta.id == vm.meta.id) {
                            list.push(vm);
                        }
                    }
                    Some((r, None)) => unplaced.push((vm, format!("its subnet is {}", r.describe()))),
                    None => {}
                }
            }
        }
    }
    (out, unplaced)
}

/// The Developer-SKU Bastions of these VNets.
fn developer_bastions_in<'e>(env: &'e Environment, vnets: &[Key]) -> Vec<&'e Bastion> {
    env.bastions
        .values()
        .filter(|b| b.vnet.as_ref().and_then(Ref::key).is_some_and(|k| vnets.contains(&k)))
        .collect()
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
