//! What is known of a security rule some of whose fields are unknown (an ARM template parameter without a
//! value), and what that knowledge already decides: whether the rule could let the internet in on a port
//! at all, the rule itself when every field RDS001 reads is known, and the widest rule it could be, for
//! path analysis.

use crate::net::addresses::AddressSpec;
use crate::net::nsg::{Access, Direction, RuleSpec};
use crate::net::ports::PortSet;
use crate::net::protocol::Protocol;

/// A security rule's fields, each `None` when unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartialRule {
    pub priority: Option<u32>,
    pub access: Option<Access>,
    pub direction: Option<Direction>,
    pub protocol: Option<Protocol>,
    pub sources: Option<Vec<AddressSpec>>,
    pub destinations: Option<Vec<AddressSpec>>,
    pub dest_ports: Option<PortSet>,
}

impl PartialRule {
    /// The whole rule, when every field is known.
    pub fn complete(&self) -> Option<RuleSpec> {
        Some(RuleSpec {
            destinations: self.destinations.clone()?,
            ..self.without_destinations()?
        })
    }

    /// The rule with an empty destination list, when every other field is known: enough for RDS001, which
    /// does not consider destinations.
    pub fn without_destinations(&self) -> Option<RuleSpec> {
        Some(RuleSpec {
            priority: self.priority?,
            access: self.access?,
            direction: self.direction?,
            protocol: self.protocol?,
            sources: self.sources.clone()?,
            destinations: Vec::new(),
            dest_ports: self.dest_ports.clone()?,
        })
    }

    /// Whether the rule could let internet traffic in on `port` over TCP or UDP: false as soon as a known
    /// field rules it out (a Deny, an outbound rule, no internet source, ports without `port`, a protocol
    /// carrying neither TCP nor UDP).
    pub fn could_admit_internet(&self, port: u16) -> bool {
        self.access != Some(Access::Deny)
            && self.direction != Some(Direction::Outbound)
            && self.protocol.is_none_or(|p| p.transports().next().is_some())
            && self.dest_ports.as_ref().is_none_or(|p| p.contains(port))
            && self
                .sources
                .as_ref()
                .is_none_or(|s| s.iter().any(AddressSpec::is_internet_source))
    }

    /// The widest rule this one could be, for path analysis: an inbound Allow whose unknown fields take the
    /// value that opens most (every protocol, source, destination and port). An unknown priority comes
    /// first, since nothing known can be said to precede it.
    pub fn widest(&self) -> RuleSpec {
        let any = || vec![AddressSpec::Any];
        RuleSpec {
            priority: self.priority.unwrap_or(0),
            access: Access::Allow,
            direction: Direction::Inbound,
            protocol: self.protocol.unwrap_or(Protocol::Any),
            sources: self.sources.clone().unwrap_or_else(any),
            destinations: self.destinations.clone().unwrap_or_else(any),
            dest_ports: self.dest_ports.clone().unwrap_or_else(PortSet::any),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::test_support::rule;
    use crate::net::RDP_PORT;

    /// `100 Allow * * 3389` with the fields named in `unknown` forgotten.
    fn partial(spec: &str, unknown: &[&str]) -> PartialRule {
        let r = rule(spec);
        let keep = |f: &str| !unknown.contains(&f);
        PartialRule {
            priority: keep("priority").then_some(r.priority),
            access: keep("access").then_some(r.access),
            direction: keep("direction").then_some(r.direction),
            protocol: keep("protocol").then_some(r.protocol),
            sources: keep("sources").then(|| r.sources.clone()),
            destinations: keep("destinations").then(|| r.destinations.clone()),
            dest_ports: keep("ports").then(|| r.dest_ports.clone()),
        }
    }

    #[test]
    fn a_known_field_that_rules_the_rule_out_decides() {
        for (spec, unknown) in [
            ("100 Deny * * 3389", &["ports", "sources"][..]),
            ("100 Allow * 10.0.0.0/8 *", &["ports"]),
            ("100 Allow * VirtualNetwork *", &["ports", "protocol"]),
            ("100 Allow * * 22", &["sources"]),
            ("100 Allow Icmp * *", &["sources", "ports"]),
        ] {
            assert!(!partial(spec, unknown).could_admit_internet(RDP_PORT), "{spec}");
        }
        let mut outbound = partial("100 Allow * * 3389", &["sources"]);
        outbound.direction = Some(Direction::Outbound);
        assert!(!outbound.could_admit_internet(RDP_PORT));
    }

    #[test]
    fn an_unknown_field_that_could_open_the_port_leaves_it_undecided() {
        for (spec, unknown) in [
            ("100 Allow * * 22", &["ports"][..]),
            ("100 Allow * 10.0.0.0/8 3389", &["sources"]),
            ("100 Deny * * 3389", &["access"]),
            ("100 Allow Icmp * 3389", &["protocol"]),
        ] {
            assert!(
                partial(spec, unknown).could_admit_internet(RDP_PORT),
                "{spec} {unknown:?}"
            );
        }
    }

    #[test]
    fn known_parts_make_a_rule_or_its_widest_form() {
        let spec = rule("200 Allow Tcp * 3389 10.0.1.0/24");
        assert_eq!(
            partial("200 Allow Tcp * 3389 10.0.1.0/24", &[]).complete(),
            Some(spec.clone())
        );
        let no_dest = partial("200 Allow Tcp * 3389 10.0.1.0/24", &["destinations"]);
        assert_eq!(no_dest.complete(), None);
        let rds001 = no_dest.without_destinations().expect("known but the destination");
        assert_eq!(
            rds001,
            RuleSpec {
                destinations: Vec::new(),
                ..spec
            }
        );
        assert_eq!(
            partial("200 Allow Tcp * 3389", &["priority"]).without_destinations(),
            None
        );
        let widest = partial("200 Deny Tcp * 3389", &["access", "priority", "ports"]).widest();
        assert_eq!(widest, rule("0 Allow Tcp * *"));
    }
}
