//! Host roles (rules.md, Roles): from installed Windows features, the `rdsaudit-role` tag, or the config.

use std::fmt;

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
