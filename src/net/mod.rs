//! Network semantics behind the Azure exposure rules (RDS001, RDS003, RDS006).
//!
//! Everything here is pure: strings from NSG and load balancer rules are parsed into
//! exact sets (ports, addresses, transports) so that shadowing and path analysis are
//! set algebra instead of string matching, which is what makes "never a silent pass"
//! checkable.

pub mod addresses;
#[cfg(test)]
mod brute;
pub mod ipset;
pub mod nsg;
pub mod partial;
pub mod path;
pub mod ports;
pub mod protocol;

/// A malformed port, prefix or protocol spec; the caller attaches the file location.
///
/// Carries only the message because the location is known to the caller, not here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

/// The port RDP listens on (TCP and UDP), the port every exposure rule is about.
pub const RDP_PORT: u16 = 3389;

/// A compact rule notation shared by the `net` tests.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::net::addresses::{address_block, AddressSpec, Target};
    use crate::net::ipset::IpSet;
    use crate::net::nsg::{default_rules, Access, Direction, RuleSpec};
    use crate::net::ports::PortSet;
    use crate::net::protocol::Protocol;

    /// `"<priority> <access> <protocol> <sources> <ports> [<destinations>]"`, an inbound
    /// rule; sources and destinations are comma lists (destination defaults to `*`) in
    /// which `asg:<id>` names an application security group.
    pub(crate) fn rule(s: &str) -> RuleSpec {
        let f: Vec<&str> = s.split_whitespace().collect();
        let spec = |a: &str| match a.strip_prefix("asg:") {
            Some(id) => AddressSpec::Asg(id.to_string()),
            None => AddressSpec::parse(a).expect(a),
        };
        let specs = |list: &str| list.split(',').map(spec).collect();
        RuleSpec {
            priority: f[0].parse().expect("priority"),
            access: Access::parse(f[1]).expect("access"),
            direction: Direction::Inbound,
            protocol: Protocol::parse(f[2]).expect("protocol"),
            sources: specs(f[3]),
            destinations: specs(f.get(5).copied().unwrap_or("*")),
            dest_ports: PortSet::parse(f[4]).expect("ports"),
        }
    }

    /// The rules in `specs` followed by Azure's defaults.
    pub(crate) fn nsg(specs: &[&str]) -> Vec<RuleSpec> {
        let defaults = default_rules().into_iter().map(|(_, r)| r);
        specs.iter().map(|s| rule(s)).chain(defaults).collect()
    }

    /// The internet part of one address spec.
    pub(crate) fn inet(s: &str) -> IpSet {
        AddressSpec::parse(s).expect(s).internet_part()
    }

    /// A NIC with the given private IPs and ASG membership.
    pub(crate) fn target(ips: &[&str], asgs: Option<&[&str]>) -> Target {
        Target {
            private_ips: ips.iter().map(|s| address_block(s, None).expect(s)).collect(),
            asgs: asgs.map(|a| a.iter().map(|s| s.to_string()).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_error_displays_its_message_verbatim() {
        let e = SpecError("invalid port range '3390-3389': start is above end".into());
        assert_eq!(e.to_string(), "invalid port range '3390-3389': start is above end");
    }

    #[test]
    fn rdp_port_is_3389() {
        assert_eq!(RDP_PORT, 3389);
    }
}
