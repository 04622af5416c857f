//! Joins between resources that several rules need: a VM's NICs, a NIC's VNet, a VM's roles.

use super::RoleSet;
use crate::model::{Environment, Key, Nic, Vm};

/// The NICs of a VM found in the inventory: the ones it lists, and the ones that name it.
pub fn vm_nics<'e>(env: &'e Environment, vm: &Vm) -> Vec<(&'e Key, &'e Nic)> {
    let vm_key = vm.meta.key();
    let listed: Vec<Key> = vm.nics.iter().filter_map(|r| r.key()).collect();
    env.nics
        .iter()
        .filter(|(k, nic)| listed.contains(k) || nic.vm.as_ref().and_then(|r| r.key()).as_ref() == Some(&vm_key))
        .collect()
}

/// NIC references of a VM that the inventory does not hold (or could not resolve).
pub fn missing_nics(env: &Environment, vm: &Vm) -> Vec<String> {
    vm.nics
        .iter()
        .filter(|r| r.key().is_none_or(|k| !env.nics.contains_key(&k)))
        .map(|r| r.describe().to_string())
        .collect()
}

/// A VM's roles: the `rdsaudit-role` tag, then the config's `[roles]` by computer name.
pub fn vm_roles(env: &Environment, vm: &Vm) -> RoleSet {
    let mut set = vm.meta.tag("rdsaudit-role").and_then(|t| RoleSet::parse_list(t).ok()).unwrap_or_default();
    if let Some(cfg) = env.config_roles.get(&vm.host_name().to_uppercase()) {
        cfg.iter().for_each(|r| set.insert(r));
    }
    set
}
