//! RDS002: a VM's NIC holds a public IP address (Bastion, load balancer and NAT gateway IPs excluded).

use super::common::vm_nics;
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, Ref, Vm};

declare_rule!(
    Rds002,
    RuleMeta {
        id: "RDS002",
        name: "vm-public-ip",
        severity: Severity::High,
        short: "A VM has a public IP address on one of its network interfaces.",
        guidance: "Your VMs don't need a public IP address; take care with assigning public IP addresses to VMs \
               joined to Domain Services.",
        help: include_str!("../../rules/RDS002.md"),
        tags: &["network", "public-ip"],
        reads: &[crate::model::InputKind::Vms],
    }
);

/// Public IPs whose back-reference names one of these belong to infrastructure, not to a VM.
const INFRASTRUCTURE_OWNERS: [&str; 3] = ["/bastionhosts/", "/loadbalancers/", "/natgateways/"];

fn check(env: &Environment, out: &mut Outcomes) {
    for vm in env.vms.values() {
        check_vm(env, vm, out);
    }
}

fn check_vm(env: &Environment, vm: &Vm, out: &mut Outcomes) {
    let subject = || Subject::resource(&vm.meta.id);
    let mut finding: Option<Finding> = None;
    for (_, nic) in vm_nics(env, vm) {
        for cfg in &nic.ip_configs {
            let Some(pip_ref) = &cfg.public_ip else { continue };
            // An unresolved reference is still a public IP on the NIC: only the address is unknown.
            let pip = pip_ref.key().and_then(|key| env.public_ips.get(&key));
            let owner = pip.and_then(|p| p.owner.as_ref()).and_then(Ref::key);
            if owner.is_some_and(|o| INFRASTRUCTURE_OWNERS.iter().any(|t| o.as_str().contains(t))) {
                continue;
            }
            let pip_name = match (pip, pip_ref) {
                (Some(p), _) => p.meta.name.clone(),
                (None, Ref::Id(id)) => crate::model::last_segment(id).to_string(),
                (None, Ref::Unresolved(expr)) => format!("{expr} (not known before deployment)"),
            };
            let at = cfg.public_ip_at.clone();
            let f = finding.take().unwrap_or_else(|| {
                Finding::new(
                    &META,
                    subject(),
                    at,
                    format!("VM '{}' has a public IP address", vm.meta.name),
                )
            });
            let address = pip
                .and_then(|p| p.address.as_deref())
                .map(|a| format!(" ({a})"))
                .unwrap_or_default();
            finding = Some(
                f.evidence(
                    "nic",
                    format!("{} / {}", nic.meta.name, cfg.name),
                    Some(cfg.origin.clone()),
                )
                .evidence(
                    "public ip",
                    format!("{pip_name}{address}"),
                    pip.map(|p| p.meta.origin.clone()),
                ),
            );
        }
    }
    out.findings.extend(finding);
}
