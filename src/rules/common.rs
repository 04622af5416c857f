//! Joins between resources that several rules need: a VM's NICs, a NIC's VNet, a VM's roles.

use super::{Outcomes, Role, RoleSet, RuleMeta};
use crate::finding::{NotEvaluated, Subject};
use crate::model::{Environment, Host, Key, Nic, Vm};

/// The NICs of a VM found in the inventory: the ones it lists, and the ones that name it.
pub fn vm_nics<'e>(env: &'e Environment, vm: &Vm) -> Vec<(&'e Key, &'e Nic)> {
    let keys = env
        .nics_of_vm
        .get(&vm.meta.key())
        .map(Vec::as_slice)
        .unwrap_or_default();
    keys.iter().filter_map(|k| env.nics.get_key_value(k)).collect()
}

/// NIC references of a VM that the inventory does not hold (or could not resolve).
pub fn missing_nics(env: &Environment, vm: &Vm) -> Vec<String> {
    vm.nics
        .iter()
        .filter(|r| r.key().is_none_or(|k| !env.nics.contains_key(&k)))
        .map(|r| r.describe().to_string())
        .collect()
}

/// Roles of a machine (rules.md, Roles), in order of trust: installed features from the host evidence,
/// else the VM's `rdsaudit-role` tag, else the config's `[roles]`.
pub fn roles(env: &Environment, host: Option<&Host>, vm: Option<&Vm>) -> RoleSet {
    if let Some(features) = host.and_then(|h| h.features.as_ref()) {
        let mut set = RoleSet::default();
        features
            .value
            .iter()
            .filter_map(|f| feature_role(f))
            .for_each(|r| set.insert(r));
        return set;
    }
    if let Some(tag) = vm.and_then(|vm| vm.meta.tag("rdsaudit-role")) {
        return RoleSet::parse_list(tag).unwrap_or_default();
    }
    let name = host
        .map(|h| h.name.clone())
        .or_else(|| vm.map(|v| v.host_name().to_uppercase()));
    name.and_then(|n| env.config_roles.get(&n).copied()).unwrap_or_default()
}

/// A VM's roles, using the evidence of the host that is the same machine when there is one.
pub fn vm_roles(env: &Environment, vm: &Vm) -> RoleSet {
    roles(env, env.hosts.get(&vm.host_name().to_uppercase()), Some(vm))
}

/// A host's roles, using the tags of the VM that is the same machine when there is one.
pub fn host_roles(env: &Environment, host: &Host) -> RoleSet {
    roles(env, Some(host), env.vm_of_host(&host.name))
}

/// The hosts that have a role.
pub fn hosts_with(env: &Environment, role: Role) -> impl Iterator<Item = &Host> {
    env.hosts.values().filter(move |h| host_roles(env, h).contains(role))
}

fn feature_role(feature: &str) -> Option<Role> {
    const MAP: [(&str, Role); 6] = [
        ("RDS-RD-Server", Role::SessionHost),
        ("RDS-Gateway", Role::Gateway),
        ("RDS-Connection-Broker", Role::ConnectionBroker),
        ("RDS-Web-Access", Role::WebAccess),
        ("RDS-Licensing", Role::Licensing),
        ("NPAS", Role::Nps),
    ];
    MAP.iter()
        .find(|(f, _)| f.eq_ignore_ascii_case(feature.trim()))
        .map(|(_, r)| *r)
}

/// Whether a host is an NPS server for RDS011–RDS014 and RDS017: it has NPAS and either no RD Gateway
/// role or it evaluates network policies itself. `None`: a gateway whose NPS export was not collected.
pub fn is_nps_server(env: &Environment, host: &Host) -> Option<bool> {
    let roles = host_roles(env, host);
    if !roles.contains(Role::Nps) {
        return Some(false);
    }
    if !roles.contains(Role::Gateway) {
        return Some(true);
    }
    host.nps.as_ref().map(|n| !n.config.forwards_to_central_nps())
}

/// The NPS servers among the hosts, and a "not evaluated" for each gateway that cannot be classified.
pub fn nps_servers<'e>(env: &'e Environment, meta: &'static RuleMeta, out: &mut Outcomes) -> Vec<&'e Host> {
    let mut servers = Vec::new();
    for host in env.hosts.values() {
        match is_nps_server(env, host) {
            Some(true) => servers.push(host),
            Some(false) => {}
            None => out.not_evaluated.push(NotEvaluated::new(
                meta,
                Subject::host(&host.name),
                format!(
                    "{}: nps-config.xml is missing, so whether this gateway forwards to a central NPS is unknown",
                    host.folder
                ),
                host.origin.clone(),
            )),
        }
    }
    servers
}

/// A "not evaluated" for a host check whose evidence file was not collected.
pub fn missing_evidence(meta: &'static RuleMeta, host: &Host, file: &str) -> NotEvaluated {
    NotEvaluated::new(
        meta,
        Subject::host(&host.name),
        format!("{} was not collected in {}", file, host.folder),
        host.origin.clone(),
    )
}

/// VNets peered with this one (declared on either side) whose peering is connected or has no state.
pub fn peers(env: &Environment, vnet: &Key) -> Vec<Key> {
    let mut out: Vec<Key> = Vec::new();
    if let Some(v) = env.vnets.get(vnet) {
        out.extend(
            v.peerings
                .iter()
                .filter(|p| p.is_connected())
                .filter_map(|p| p.remote.key()),
        );
    }
    for (k, v) in &env.vnets {
        if v.peerings
            .iter()
            .any(|p| p.is_connected() && p.remote.key().as_ref() == Some(vnet))
        {
            out.push(k.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}
