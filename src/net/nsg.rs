//! NSG security rules: Azure's default rules, RDS001 shadowing and first-match
//! inbound evaluation over address sets.

use crate::net::addresses::{AddressSpec, DestMatch, Target};
use crate::net::ipset::IpSet;
use crate::net::ports::PortSet;
use crate::net::protocol::{Protocol, Transport};
use crate::net::SpecError;

/// The `access` of a security rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allow,
    Deny,
}

impl Access {
    /// Case-insensitive, whitespace trimmed; anything else is an input error.
    pub fn parse(s: &str) -> Result<Self, SpecError> {
        parse_keyword(s, "access", &[("Allow", Self::Allow), ("Deny", Self::Deny)])
    }
}

/// The `direction` of a security rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    /// Case-insensitive, whitespace trimmed; anything else is an input error.
    pub fn parse(s: &str) -> Result<Self, SpecError> {
        let options = [("Inbound", Self::Inbound), ("Outbound", Self::Outbound)];
        parse_keyword(s, "direction", &options)
    }
}

/// Case-insensitive lookup of `s` (trimmed) among `options`; the error lists them.
fn parse_keyword<T: Copy>(s: &str, what: &str, options: &[(&str, T)]) -> Result<T, SpecError> {
    let key = s.trim();
    options
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|&(_, v)| v)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            SpecError(format!("invalid {what} '{s}': expected {}", names.join(" or ")))
        })
}

/// Rule lists are taken as anything that holds a spec (the model's rules carry names and positions too).
impl AsRef<RuleSpec> for RuleSpec {
    fn as_ref(&self) -> &RuleSpec {
        self
    }
}

/// The evaluable part of one NSG security rule (names and file positions live in the
/// caller's model).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    pub priority: u32,
    pub access: Access,
    pub direction: Direction,
    pub protocol: Protocol,
    /// Union of prefix(es) and ASGs; empty = matches nothing.
    pub sources: Vec<AddressSpec>,
    pub destinations: Vec<AddressSpec>,
    pub dest_ports: PortSet,
}

impl RuleSpec {
    /// Whether this is an inbound rule whose protocol carries `t` on `port`: the part of
    /// matching that does not depend on addresses.
    fn inbound_on(&self, t: Transport, port: u16) -> bool {
        self.direction == Direction::Inbound && self.protocol.carries(t) && self.dest_ports.contains(port)
    }

    /// The internet addresses among the rule's sources.
    fn internet_sources(&self) -> IpSet {
        union_all(self.sources.iter().map(AddressSpec::internet_part))
    }

    /// Destination match over all entries: any Yes wins, then any Unknown, else No
    /// (an empty list matches nothing).
    fn destination_match(&self, target: &Target) -> DestMatch {
        let each = self.destinations.iter().map(|d| d.matches_destination(target));
        each.fold(DestMatch::No, |acc, m| match (acc, m) {
            (DestMatch::Yes, _) | (_, DestMatch::Yes) => DestMatch::Yes,
            (DestMatch::Unknown, _) | (_, DestMatch::Unknown) => DestMatch::Unknown,
            _ => DestMatch::No,
        })
    }
}

fn union_all(sets: impl Iterator<Item = IpSet>) -> IpSet {
    sets.fold(IpSet::empty(), |acc, s| acc.union(&s))
}

/// Azure's three default inbound rules: AllowVnetInBound (65000, VirtualNetwork ->
/// VirtualNetwork, any), AllowAzureLoadBalancerInBound (65001, AzureLoadBalancer -> *,
/// any), DenyAllInBound (65500, * -> *, any). Plus the three outbound ones
/// (AllowVnetOutBound 65000, AllowInternetOutBound 65001, DenyAllOutBound 65500).
/// Exports usually omit them, yet they decide what no custom rule matched.
pub fn default_rules() -> Vec<(&'static str, RuleSpec)> {
    use AddressSpec::{Any, Internet};
    use {Access::*, Direction::*};
    let vnet = || AddressSpec::ServiceTag("VirtualNetwork".to_string());
    let lb = AddressSpec::ServiceTag("AzureLoadBalancer".to_string());
    let table = [
        ("AllowVnetInBound", 65000, Allow, Inbound, vnet(), vnet()),
        ("AllowAzureLoadBalancerInBound", 65001, Allow, Inbound, lb, Any),
        ("DenyAllInBound", 65500, Deny, Inbound, Any, Any),
        ("AllowVnetOutBound", 65000, Allow, Outbound, vnet(), vnet()),
        ("AllowInternetOutBound", 65001, Allow, Outbound, Any, Internet),
        ("DenyAllOutBound", 65500, Deny, Outbound, Any, Any),
    ];
    let rule = |(name, priority, access, direction, src, dst)| {
        let rule = RuleSpec {
            priority,
            access,
            direction,
            protocol: Protocol::Any,
            sources: vec![src],
            destinations: vec![dst],
            dest_ports: PortSet::any(),
        };
        (name, rule)
    };
    table.into_iter().map(rule).collect()
}

/// What an inbound Allow still exposes to the internet after the Denies above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    /// Sorted by transport, non-empty sets only.
    pub open: Vec<(Transport, IpSet)>,
    /// Indices of the earlier denies that removed part of it.
    pub shadowed_by: Vec<usize>,
}

/// The inbound rules in evaluation order: ascending priority, ties kept in list order
/// (Azure rejects equal priorities in one direction, so ties only come from broken
/// input), each with its index in `rules`.
fn inbound_in_order<R: AsRef<RuleSpec>>(rules: &[R]) -> Vec<(usize, &RuleSpec)> {
    let mut order: Vec<(usize, &RuleSpec)> = rules
        .iter()
        .map(AsRef::as_ref)
        .enumerate()
        .filter(|(_, r)| r.direction == Direction::Inbound)
        .collect();
    order.sort_by_key(|&(i, r)| (r.priority, i));
    order
}

/// RDS001: the internet exposure on `port` left by the inbound Allow `rules[index]`
/// after ALL inbound Deny rules of the same list that precede it, taken together (a
/// Deny Tcp plus a Deny Udp shadow an Allow `*`; a deny of 203.0.0.0/8 shadows an allow
/// of 203.0.113.0/24; Deny `Internet`/`*`/`Any` shadow any internet source; Deny
/// 0.0.0.0/0 shadows only IPv4, ::/0 only IPv6). Destinations and source ports are
/// ignored, as the spec says for RDS001. None when the rule is not an inbound Allow
/// carrying Tcp or Udp on `port` from an internet source, or when it is fully shadowed.
pub fn unshadowed_exposure<R: AsRef<RuleSpec>>(rules: &[R], index: usize, port: u16) -> Option<Exposure> {
    let allow = rules.get(index)?.as_ref();
    if allow.access != Access::Allow {
        return None;
    }
    let exposed = allow.internet_sources();
    let earlier: Vec<(usize, &RuleSpec)> = inbound_in_order(rules)
        .into_iter()
        .take_while(|&(j, _)| j != index)
        .filter(|(_, r)| r.access == Access::Deny)
        .collect();
    let mut open = Vec::new();
    let mut shadowed_by = Vec::new();
    for t in Transport::ALL {
        if !allow.inbound_on(t, port) {
            continue;
        }
        let mut left = exposed.clone();
        for &(j, deny) in earlier.iter().filter(|(_, d)| d.inbound_on(t, port)) {
            let denied = deny.internet_sources();
            if !left.intersect(&denied).is_empty() {
                shadowed_by.push(j);
                left = left.subtract(&denied);
            }
        }
        if !left.is_empty() {
            open.push((t, left));
        }
    }
    shadowed_by.sort_unstable();
    shadowed_by.dedup();
    (!open.is_empty()).then_some(Exposure { open, shadowed_by })
}

/// The outcome of one NSG for each transport.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Verdict {
    /// One per Transport, Tcp then Udp.
    pub per_transport: Vec<TransportVerdict>,
}

impl Verdict {
    /// The addresses admitted over `t` (empty when the verdict does not cover `t`).
    pub fn allowed(&self, t: Transport) -> IpSet {
        self.per_transport
            .iter()
            .find(|v| v.transport == t)
            .map(|v| v.allowed.clone())
            .unwrap_or_default()
    }
}

/// The outcome of one NSG for one transport.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportVerdict {
    pub transport: Transport,
    pub allowed: IpSet,
    /// Indices of Allow rules that admitted a non-empty part.
    pub allowed_by: Vec<usize>,
    /// Deny rules that removed a non-empty part.
    pub denied_by: Vec<usize>,
}

/// Inbound evaluation of one NSG (the list must already hold the default rules) for
/// traffic on `port` from `sources` to `target`, first match by ascending priority wins
/// (ties: keep list order). Works on address sets: walks the rules keeping the
/// still-undecided part of `sources` per transport. A rule matches when its protocol
/// carries the transport, its ports contain `port`, and its destination matches:
/// `DestMatch::Yes` always; Unknown counts as a match for Allow and as no match for Deny
/// (never a silent pass). The undecided remainder after the last rule is denied.
pub fn evaluate_inbound<R: AsRef<RuleSpec>>(rules: &[R], target: &Target, port: u16, sources: &IpSet) -> Verdict {
    Verdict {
        per_transport: Transport::ALL
            .into_iter()
            .map(|t| evaluate_transport(rules, target, port, t, sources))
            .collect(),
    }
}

/// [`evaluate_inbound`] for a single transport, so that a second NSG on the path can be
/// fed exactly what the first one let through on that transport.
pub fn evaluate_transport<R: AsRef<RuleSpec>>(
    rules: &[R],
    target: &Target,
    port: u16,
    t: Transport,
    sources: &IpSet,
) -> TransportVerdict {
    let mut verdict = TransportVerdict {
        transport: t,
        allowed: IpSet::empty(),
        allowed_by: Vec::new(),
        denied_by: Vec::new(),
    };
    let mut undecided = sources.clone();
    for (i, rule) in inbound_in_order(rules) {
        if undecided.is_empty() {
            break;
        }
        if !rule.inbound_on(t, port) {
            continue;
        }
        let dest = match (rule.destination_match(target), rule.access) {
            (DestMatch::Yes, _) | (DestMatch::Unknown, Access::Allow) => true,
            (DestMatch::No, _) | (DestMatch::Unknown, Access::Deny) => false,
        };
        if !dest {
            continue;
        }
        let source = union_all(rule.sources.iter().map(AddressSpec::source_set));
        let hit = undecided.intersect(&source);
        if hit.is_empty() {
            continue;
        }
        undecided = undecided.subtract(&hit);
        match rule.access {
            Access::Allow => {
                verdict.allowed = verdict.allowed.union(&hit);
                verdict.allowed_by.push(i);
            }
            Access::Deny => verdict.denied_by.push(i),
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::test_support::{inet, nsg, rule, target};
    use crate::net::RDP_PORT;
    use proptest::prelude::*;
    use std::net::IpAddr;
    use Transport::{Tcp, Udp};

    /// The exposure of the last rule of `specs` on 3389.
    fn last(specs: &[&str]) -> Option<Exposure> {
        let rules: Vec<RuleSpec> = specs.iter().map(|s| rule(s)).collect();
        unshadowed_exposure(&rules, rules.len().saturating_sub(1), RDP_PORT)
    }

    fn outbound(s: &str) -> RuleSpec {
        let mut r = rule(s);
        r.direction = Direction::Outbound;
        r
    }

    #[test]
    fn access_and_direction_parse_case_insensitively() {
        assert_eq!(Access::parse(" ALLOW "), Ok(Access::Allow));
        assert_eq!(Access::parse("deny"), Ok(Access::Deny));
        assert_eq!(Direction::parse("InBound"), Ok(Direction::Inbound));
        assert_eq!(Direction::parse("OUTBOUND"), Ok(Direction::Outbound));
        for bad in ["", "permit", "Allowed", "in"] {
            assert!(Access::parse(bad).is_err(), "{bad}");
            assert!(Direction::parse(bad).is_err(), "{bad}");
        }
        let e = Access::parse("permit").expect_err("permit");
        assert_eq!(e.0, "invalid access 'permit': expected Allow or Deny");
    }

    #[test]
    fn default_rules_are_azures_six() {
        let got: Vec<String> = default_rules()
            .iter()
            .map(|(n, r)| format!("{n} {} {:?} {:?}", r.priority, r.access, r.direction))
            .collect();
        let want = [
            "AllowVnetInBound 65000 Allow Inbound",
            "AllowAzureLoadBalancerInBound 65001 Allow Inbound",
            "DenyAllInBound 65500 Deny Inbound",
            "AllowVnetOutBound 65000 Allow Outbound",
            "AllowInternetOutBound 65001 Allow Outbound",
            "DenyAllOutBound 65500 Deny Outbound",
        ];
        assert_eq!(got, want);
        let specs = "VirtualNetwork * VirtualNetwork,AzureLoadBalancer * *,* * *,\
                     VirtualNetwork * VirtualNetwork,* * Internet,* * *";
        for ((_, r), s) in default_rules().iter().zip(specs.split(',')) {
            let s: Vec<&str> = s.split(' ').collect();
            let src = AddressSpec::parse(s[0]).expect("src");
            let dst = AddressSpec::parse(s[2]).expect("dst");
            assert_eq!((&r.sources, &r.destinations), (&vec![src], &vec![dst]));
            assert_eq!((r.protocol, &r.dest_ports), (Protocol::Any, &PortSet::any()));
        }
    }

    #[test]
    fn plain_internet_allow_is_exposed_on_both_transports() {
        let e = last(&["100 Allow * * 3389"]).expect("exposed");
        assert_eq!(e.open, vec![(Tcp, IpSet::internet()), (Udp, IpSet::internet())]);
        assert!(e.shadowed_by.is_empty());
        let tcp = last(&["100 Allow Tcp 203.0.113.0/24 3380-3390"]).expect("tcp");
        assert_eq!(tcp.open, vec![(Tcp, inet("203.0.113.0/24"))]);
        assert!(last(&["100 Allow * 10.0.0.0/8,198.51.100.7 *"]).is_some());
    }

    #[test]
    fn rules_that_cannot_expose_give_none() {
        for spec in [
            "100 Deny * * 3389",
            "100 Allow * 10.0.0.0/8 3389",
            "100 Allow * CorpNetSaw 3389",
            "100 Allow * VirtualNetwork,AzureLoadBalancer 3389",
            "100 Allow * * 80,443",
            "100 Allow Icmp * *",
        ] {
            assert_eq!(last(&[spec]), None, "{spec}");
        }
        let out = [outbound("100 Allow * * *")];
        assert_eq!(unshadowed_exposure(&out, 0, RDP_PORT), None);
        let mut no_source = [rule("100 Allow * * *")];
        no_source[0].sources.clear();
        assert_eq!(unshadowed_exposure(&no_source, 0, RDP_PORT), None);
        assert_eq!(unshadowed_exposure(&no_source, 7, RDP_PORT), None);
    }

    #[test]
    fn deny_above_shadows_and_deny_below_does_not() {
        for src in "Internet * Any 0.0.0.0 203.0.0.0/8 203.0.113.0/24".split(' ') {
            let allow = "200 Allow Tcp 203.0.113.0/24 3389";
            assert_eq!(last(&[&format!("100 Deny Tcp {src} 3389"), allow]), None, "{src}");
            let below = last(&[&format!("300 Deny Tcp {src} 3389"), allow]);
            assert!(below.is_some_and(|e| e.shadowed_by.is_empty()), "{src}");
        }
        // Equal priorities: list order decides.
        assert_eq!(last(&["200 Deny * * *", "200 Allow * * *"]), None);
        let allow_first = [rule("200 Allow * * *"), rule("200 Deny * * *")];
        assert!(unshadowed_exposure(&allow_first, 0, RDP_PORT).is_some());
    }

    #[test]
    fn partial_shadowing_leaves_the_rest_exposed() {
        let e = last(&["100 Deny Tcp 203.0.113.0/25 3389", "200 Allow Tcp 203.0.113.0/24 3389"]);
        let e = e.expect("half open");
        assert_eq!(e.open, vec![(Tcp, inet("203.0.113.128/25"))]);
        assert_eq!(e.shadowed_by, vec![0]);
    }

    #[test]
    fn denies_combine_across_transports_and_families() {
        let allow = "200 Allow * * 3389";
        let both = ["100 Deny Tcp * *", "110 Deny Udp Internet 3000-4000", allow];
        assert_eq!(last(&both), None);
        let e = last(&["100 Deny Tcp * *", allow]).expect("udp open");
        assert_eq!(e.open, vec![(Udp, IpSet::internet())]);
        assert_eq!(e.shadowed_by, vec![0]);
        let e = last(&["100 Deny * 0.0.0.0/0 3389", allow]).expect("v6 open");
        assert_eq!(e.open, vec![(Tcp, inet("::/0")), (Udp, inet("::/0"))]);
        let families = ["100 Deny * 0.0.0.0/0 3389", "101 Deny * ::/0 3389", allow];
        assert_eq!(last(&families), None);
        // Denies listed after the allow but with lower numbers still count.
        let rules = [rule("300 Allow * * 3389"), rule("100 Deny * * *")];
        assert_eq!(unshadowed_exposure(&rules, 0, RDP_PORT), None);
    }

    #[test]
    fn denies_that_do_not_apply_do_not_shadow() {
        let allow = rule("200 Allow * * 3389");
        for deny in [
            rule("100 Deny * VirtualNetwork 3389"),
            rule("100 Deny * CorpNetSaw 3389"),
            rule("100 Deny * 10.0.0.0/8 3389"),
            rule("100 Deny * * 3390-4000"),
            rule("100 Deny Icmp * *"),
            outbound("100 Deny * * *"),
        ] {
            let e = unshadowed_exposure(&[deny.clone(), allow.clone()], 1, RDP_PORT);
            let e = e.expect("exposed");
            assert_eq!(e.open.len(), 2, "{deny:?}");
            assert!(e.shadowed_by.is_empty(), "{deny:?}");
        }
    }

    fn eval(specs: &[&str], t: &Target) -> Verdict {
        evaluate_inbound(&nsg(specs), t, RDP_PORT, &IpSet::internet())
    }

    #[test]
    fn default_rules_alone_close_everything() {
        let v = eval(&[], &target(&["10.0.0.4"], Some(&[])));
        assert_eq!(v.per_transport.len(), 2);
        for (tv, t) in v.per_transport.iter().zip(Transport::ALL) {
            assert_eq!(tv.transport, t);
            assert!(tv.allowed.is_empty() && tv.allowed_by.is_empty());
            assert_eq!(tv.denied_by, vec![2]);
        }
    }

    #[test]
    fn first_match_wins_on_sets() {
        let specs = ["100 Deny Tcp 203.0.113.0/25 3389", "200 Allow * 203.0.113.0/24 *"];
        let v = eval(&specs, &target(&["10.0.0.4"], None));
        assert_eq!(v.allowed(Tcp), inet("203.0.113.128/25"));
        assert_eq!(v.allowed(Udp), inet("203.0.113.0/24"));
        assert_eq!(v.per_transport[0].allowed_by, vec![1]);
        assert_eq!(v.per_transport[0].denied_by, vec![0, 4]);
        assert_eq!(v.per_transport[1].denied_by, vec![4]);
        assert!(Verdict::default().allowed(Tcp).is_empty());
    }

    fn arb_rule() -> impl Strategy<Value = RuleSpec> {
        let srcs = "* Internet 0.0.0.0/0 ::/0 203.0.113.0/24 203.0.113.0/25 203.0.0.0/8 \
                    10.0.0.0/8 CorpNetSaw ::/0,203.0.113.0/24";
        let src = prop::sample::select(srcs.split(' ').collect::<Vec<_>>());
        let proto = prop::sample::select(vec!["Tcp", "Udp", "*", "Icmp"]);
        let ports = prop::sample::select(vec!["*", "3389", "3390", "3380-3389"]);
        let access = prop::sample::select(vec!["Allow", "Deny"]);
        (1u32..50, access, proto, src, ports)
            .prop_map(|(p, a, pr, s, po)| rule(&format!("{} {a} {pr} {s} {po}", p * 10)))
    }

    /// Single-address first-match reference for `evaluate_inbound` (destination `*`).
    fn reference(rules: &[RuleSpec], t: Transport, x: IpAddr) -> bool {
        let matches = |r: &RuleSpec| r.sources.iter().any(|s| s.source_set().contains_ip(x));
        inbound_in_order(rules)
            .into_iter()
            .find(|(_, r)| r.inbound_on(t, RDP_PORT) && matches(r))
            .is_some_and(|(_, r)| r.access == Access::Allow)
    }

    fn open_on(e: &Option<Exposure>, t: Transport) -> IpSet {
        let found = e.iter().flat_map(|e| &e.open).find(|(u, _)| *u == t);
        found.map(|(_, s)| s.clone()).unwrap_or_default()
    }

    proptest! {
        #[test]
        fn adding_denies_never_grows_exposure(
            rules in prop::collection::vec(arb_rule(), 1..6),
            deny in arb_rule(),
        ) {
            let allow = rules.len() - 1;
            let before = unshadowed_exposure(&rules, allow, RDP_PORT);
            let deny = RuleSpec { access: Access::Deny, ..deny };
            let after_deny = deny.priority > rules[allow].priority;
            let more = [std::slice::from_ref(&deny), &rules].concat();
            let after = unshadowed_exposure(&more, allow + 1, RDP_PORT);
            for t in Transport::ALL {
                prop_assert!(open_on(&after, t).is_subset(&open_on(&before, t)));
                if after_deny {
                    prop_assert_eq!(open_on(&after, t), open_on(&before, t));
                }
            }
        }

        #[test]
        fn evaluation_agrees_with_per_address_first_match(
            rules in prop::collection::vec(arb_rule(), 0..6),
            probes in prop::collection::vec(prop::sample::select(vec![
                "203.0.113.5", "203.0.113.200", "203.9.9.9", "8.8.8.8", "10.1.1.1", "2001:db8::1",
            ]), 1..6),
        ) {
            let defaults = default_rules().into_iter().map(|(_, r)| r);
            let rules: Vec<RuleSpec> = rules.into_iter().chain(defaults).collect();
            let v = evaluate_inbound(&rules, &Target::default(), RDP_PORT, &IpSet::all());
            for (tv, t) in v.per_transport.iter().zip(Transport::ALL) {
                for p in &probes {
                    let x: IpAddr = p.parse().map_err(|_| TestCaseError::fail("ip"))?;
                    prop_assert_eq!(tv.allowed.contains_ip(x), reference(&rules, t, x), "{} {:?}", p, t);
                }
            }
        }
    }
}
