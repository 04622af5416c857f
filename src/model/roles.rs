//! Host roles (README, Host evidence), resolved by the environment in order of trust: installed Windows features
//! from the host evidence, else the VM's `rdsaudit-role` tag, else the config's `[roles]` (the first
//! source present wins; they are not merged).

use std::collections::BTreeMap;
use std::fmt;

use super::{Environment, Host, Vm};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    SessionHost,
    Gateway,
    ConnectionBroker,
    WebAccess,
    Licensing,
    Nps,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::SessionHost,
        Role::Gateway,
        Role::ConnectionBroker,
        Role::WebAccess,
        Role::Licensing,
        Role::Nps,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SessionHost => "session-host",
            Role::Gateway => "gateway",
            Role::ConnectionBroker => "connection-broker",
            Role::WebAccess => "web-access",
            Role::Licensing => "licensing",
            Role::Nps => "nps",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// A small set of roles (a bit set: cheap to copy, ordered when printed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoleSet(u8);

impl RoleSet {
    pub fn insert(&mut self, r: Role) {
        self.0 |= 1 << r as u8;
    }

    pub fn contains(self, r: Role) -> bool {
        self.0 & (1 << r as u8) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parse a comma-separated list (the `rdsaudit-role` tag); unknown names are returned as errors.
    pub fn parse_list(s: &str) -> Result<Self, String> {
        let mut set = RoleSet::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            set.insert(Role::parse(part).ok_or_else(|| part.to_string())?);
        }
        Ok(set)
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }
}

impl fmt::Display for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Role::as_str).collect();
        f.write_str(&names.join(","))
    }
}

impl Environment {
    /// Roles of a machine: features, else the VM's tag, else the config's `[roles]`.
    pub fn roles(&self, host: Option<&Host>, vm: Option<&Vm>) -> RoleSet {
        if let Some(features) = host.and_then(|h| h.features.as_ref()) {
            let mut set = RoleSet::default();
            features
                .value
                .iter()
                .filter_map(|f| feature_role(f))
                .for_each(|r| set.insert(r));
            return set;
        }
        if let Some(tag) = vm.and_then(|vm| vm.meta.tag(ROLE_TAG)) {
            return RoleSet::parse_list(tag).unwrap_or_default();
        }
        let name = host
            .map(|h| h.name.clone())
            .or_else(|| vm.map(|v| v.host_name().to_uppercase()));
        name.and_then(|n| self.config_roles.get(&n).copied())
            .unwrap_or_default()
    }

    /// A VM's roles, using the evidence of the host that is the same machine when there is one.
    pub fn vm_roles(&self, vm: &Vm) -> RoleSet {
        self.roles(self.hosts.get(&vm.host_name().to_uppercase()), Some(vm))
    }

    /// A host's roles, using the tags of the VM that is the same machine when there is one (resolved once
    /// per host: rules ask for them host by host, some for every pair of hosts).
    pub fn host_roles(&self, host: &Host) -> RoleSet {
        match self.host_roles.get(&host.name) {
            Some(roles) => *roles,
            None => self.roles(Some(host), self.vm_of_host(&host.name)),
        }
    }

    /// Resolve every host's roles again (after the hosts, the VMs or the config's roles changed).
    pub(super) fn resolve_host_roles(&mut self) {
        let resolved = self
            .hosts
            .values()
            .map(|h| (h.name.clone(), self.roles(Some(h), self.vm_of_host(&h.name))))
            .collect();
        self.host_roles = resolved;
    }

    /// The hosts that have a role.
    pub fn hosts_with(&self, role: Role) -> impl Iterator<Item = &Host> {
        self.hosts.values().filter(move |h| self.host_roles(h).contains(role))
    }

    /// The config's `[roles]` (by computer name), the last source of roles. The engine sets them for
    /// each evaluation, so that every caller of the library gets them.
    pub fn set_config_roles(&mut self, roles: BTreeMap<String, RoleSet>) {
        self.config_roles = roles
            .into_iter()
            .map(|(name, set)| (name.to_uppercase(), set))
            .collect();
        self.resolve_host_roles();
    }
}

/// The VM tag that names a machine's roles (`gateway,connection-broker`).
pub const ROLE_TAG: &str = "rdsaudit-role";

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tag_lists() {
        let s = RoleSet::parse_list("Gateway, connection-broker,,web-access").unwrap();
        assert!(s.contains(Role::Gateway) && s.contains(Role::WebAccess) && !s.contains(Role::Nps));
        assert_eq!(s.to_string(), "gateway,connection-broker,web-access");
        assert_eq!(RoleSet::parse_list("gateway,dns"), Err("dns".to_string()));
        assert!(RoleSet::parse_list("").unwrap().is_empty());
    }
}
