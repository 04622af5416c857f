//! RDS021: an RDS or NPS VM is in the managed domain's own subnet, or in a VNet that is neither the
//! Domain Services VNet nor peered with it.

use super::common::{peers, vm_nics};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Environment, Key, Ref, Vm};

declare_rule!(
    Rds021,
    RuleMeta {
        id: "RDS021",
        name: "outside-workloads-subnet",
        severity: Severity::Medium,
        short: "An RDS or NPS VM is not in a workloads subnet of the Domain Services virtual network.",
        guidance: "Deployed into a workloads subnet of your Domain Services virtual network.",
        help: include_str!("../../rules/RDS021.md"),
        tags: &["network", "domain-services"],
        reads: &[crate::model::InputKind::Vms],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    let ds_subnets: Vec<Key> = env
        .domain_services
        .values()
        .flat_map(|d| d.subnets.iter().filter_map(|r| r.key()))
        .collect();
    let ds_vnets: Vec<Key> = ds_subnets.iter().filter_map(Key::parent).collect();
    for vm in env.vms.values().filter(|vm| !env.vm_roles(vm).is_empty()) {
        if ds_subnets.is_empty() {
            let reason = "no Domain Services resource (az ad ds list) with its subnet is in the inventory";
            out.not_evaluated.push(NotEvaluated::new(
                &META,
                Subject::resource(&vm.meta.id),
                reason,
                Some(vm.meta.origin.clone()),
            ));
            continue;
        }
        check_vm(env, vm, &ds_subnets, &ds_vnets, out);
    }
}

fn check_vm(env: &Environment, vm: &Vm, ds_subnets: &[Key], ds_vnets: &[Key], out: &mut Outcomes) {
    for (_, nic) in vm_nics(env, vm) {
        for cfg in &nic.ip_configs {
            let subnet = match &cfg.subnet {
                None => continue,
                Some(Ref::Id(id)) => Key::new(id),
                Some(Ref::Unresolved(expr)) => {
                    let reason = format!(
                        "NIC '{}' / {}: the subnet reference {expr} is unresolved",
                        nic.meta.name, cfg.name
                    );
                    let at = Some(cfg.subnet_at.clone());
                    out.not_evaluated
                        .push(NotEvaluated::new(&META, Subject::resource(&vm.meta.id), reason, at));
                    continue;
                }
            };
            let Some(vnet) = subnet.parent() else { continue };
            let problem = if ds_subnets.contains(&subnet) {
                "is in the managed domain's own subnet"
            } else if ds_vnets.contains(&vnet) || peers(env, &vnet).iter().any(|p| ds_vnets.contains(p)) {
                continue;
            } else if !env.vnets.contains_key(&vnet) && !ds_vnets.iter().any(|d| env.vnets.contains_key(d)) {
                let reason = format!(
                    "neither VNet {} nor the Domain Services VNet is in the inventory",
                    vnet.as_str()
                );
                out.not_evaluated.push(NotEvaluated::new(
                    &META,
                    Subject::resource(&vm.meta.id),
                    reason,
                    Some(cfg.origin.clone()),
                ));
                continue;
            } else {
                "is in a VNet that is neither the Domain Services VNet nor peered with it"
            };
            out.findings.push(
                Finding::new(
                    &META,
                    Subject::resource(&vm.meta.id),
                    cfg.subnet_at.clone(),
                    format!("VM '{}' (NIC {} / {}) {problem}", vm.meta.name, nic.meta.name, cfg.name),
                )
                .evidence(
                    "subnet",
                    cfg.subnet.as_ref().map_or("", |r| r.describe()).to_string(),
                    Some(cfg.origin.clone()),
                ),
            );
            return;
        }
    }
}
