//! RDS022: only one RD Session Host exists in the deployment.

use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, Severity, Subject};
use crate::model::{Environment, Origin, Role};

declare_rule!(
    Rds022,
    RuleMeta {
        id: "RDS022",
        name: "single-session-host",
        severity: Severity::Low,
        short: "Only one RD Session Host exists: no redundancy.",
        guidance: "For redundancy and high availability, you can add and load balance hosts later.",
        help: include_str!("../../rules/RDS022.md"),
        tags: &["availability"],
        reads: &[crate::model::InputKind::Hosts, crate::model::InputKind::Vms],
    }
);

fn check(env: &Environment, out: &mut Outcomes) {
    // Session hosts known from evidence folders, plus VMs with the role that have no evidence folder.
    let mut hosts: Vec<(Subject, Option<Origin>)> = env
        .hosts_with(Role::SessionHost)
        .map(|h| (Subject::host(&h.name), h.origin.clone()))
        .collect();
    hosts.extend(
        env.vms
            .values()
            .filter(|vm| !env.hosts.contains_key(&vm.host_name().to_uppercase()))
            .filter(|vm| env.vm_roles(vm).contains(Role::SessionHost))
            .map(|vm| (Subject::resource(&vm.meta.id), Some(vm.meta.origin.clone()))),
    );
    if let [(subject, Some(origin))] = hosts.as_slice() {
        out.findings.push(Finding::new(
            &META,
            subject.clone(),
            origin.clone(),
            format!(
                "{} is the only RD Session Host: add a second one for redundancy",
                subject.id
            ),
        ));
    }
}
