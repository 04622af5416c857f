//! The network engine against a brute-force model: random rule sets over a small universe of ports and
//! addresses, every (transport, port, address) enumerated and decided by Azure's first-match rule, one
//! address at a time, with nothing shared with the engine but the parsed rules.

use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;

use crate::net::addresses::{DestMatch, Target};
use crate::net::ipset::IpSet;
use crate::net::nsg::{default_rules, evaluate_inbound, Access, RuleSpec};
use crate::net::protocol::Transport;
use crate::net::test_support::{rule, target};

const PORTS: std::ops::RangeInclusive<u16> = 3385..=3392;

/// Sources inside and around 203.0.113.0/24 (prefixes of 24 to 32 bits at random offsets), service tags,
/// and comma lists of them.
fn arb_source() -> impl Strategy<Value = String> {
    let prefix = (0u8..=255, 24u8..=32).prop_map(|(x, len)| {
        let net = u32::from(Ipv4Addr::new(203, 0, 113, x)) & (u32::MAX << (32 - u32::from(len)).min(31));
        format!("{}/{len}", Ipv4Addr::from(net))
    });
    let named = prop::sample::select(vec!["*", "Internet", "0.0.0.0/0", "::/0", "203.0.0.0/8", "10.0.0.0/8"])
        .prop_map(str::to_string);
    let one = prop_oneof![3 => prefix, 1 => named];
    prop::collection::vec(one, 1..3).prop_map(|v| v.join(","))
}

fn arb_ports() -> impl Strategy<Value = String> {
    let single = PORTS.prop_map(|p| p.to_string());
    let range = (PORTS, 0u16..5).prop_map(|(a, n)| format!("{a}-{}", a + n));
    prop_oneof![single, range, Just("*".to_string())]
}

fn arb_rule() -> impl Strategy<Value = RuleSpec> {
    let proto = prop::sample::select(vec!["Tcp", "Udp", "*", "Icmp"]);
    let access = prop::sample::select(vec!["Allow", "Deny"]);
    let dest = prop::sample::select(vec!["*", "10.0.0.4", "10.0.0.5", "10.0.0.0/24", "VirtualNetwork"]);
    (1u32..40, access, proto, arb_source(), arb_ports(), dest)
        .prop_map(|(p, a, pr, s, po, d)| rule(&format!("{} {a} {pr} {s} {po} {d}", p * 10)))
}

/// Whether `x` reaches the target on `t`/`port`: the first inbound rule, by priority, whose protocol,
/// port, source and destination all match decides.
fn reference(rules: &[RuleSpec], target: &Target, t: Transport, port: u16, x: IpAddr) -> bool {
    let mut ordered: Vec<&RuleSpec> = rules.iter().collect();
    ordered.sort_by_key(|r| r.priority);
    ordered
        .into_iter()
        .find(|r| {
            r.protocol.carries(t)
                && r.dest_ports.contains(port)
                && r.sources.iter().any(|s| s.source_set().contains_ip(x))
                && r.destinations
                    .iter()
                    .any(|d| d.matches_destination(target) == DestMatch::Yes)
        })
        .is_some_and(|r| r.access == Access::Allow)
}

fn probes() -> Vec<IpAddr> {
    let near = (0..=255).map(|x| IpAddr::V4(Ipv4Addr::new(203, 0, 113, x)));
    let far = ["203.0.112.255", "203.0.114.0", "8.8.8.8", "10.1.1.1", "2001:db8::1"].map(|a| a.parse().unwrap());
    near.chain(far).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn every_port_and_address_is_decided_as_first_match_decides(rules in prop::collection::vec(arb_rule(), 0..8)) {
        let mut rules = rules;
        // Priorities are unique in an NSG.
        rules.sort_by_key(|r| r.priority);
        rules.dedup_by_key(|r| r.priority);
        let rules: Vec<RuleSpec> = rules.into_iter().chain(default_rules().into_iter().map(|(_, r)| r)).collect();
        let target = target(&["10.0.0.4"], None);
        let probes = probes();
        for port in PORTS {
            let verdict = evaluate_inbound(&rules, &target, port, &IpSet::all());
            for (tv, t) in verdict.per_transport.iter().zip(Transport::ALL) {
                prop_assert_eq!(tv.transport, t);
                for &x in &probes {
                    prop_assert_eq!(tv.allowed.contains_ip(x), reference(&rules, &target, t, port, x), "{} {:?} {}", x, t, port);
                }
            }
        }
    }
}
