//! Effective inbound reachability of one NIC (RDS003): the subnet NSG and the NIC NSG
//! must both let the traffic in.

use crate::net::addresses::Target;
use crate::net::ipset::IpSet;
use crate::net::nsg::{evaluate_transport, RuleSpec, Verdict};
use crate::net::protocol::Transport;

/// What a missing NSG means for the path: a Standard public IP / Standard LB is closed
/// without any NSG, a Basic one (or no sku) is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoNsgPolicy {
    Open,
    Closed,
}

/// The internet exposure of one NIC on one port, with each NSG's verdict as evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct PathVerdict {
    /// Non-empty only, Tcp then Udp.
    pub open: Vec<(Transport, IpSet)>,
    pub subnet: Option<Verdict>,
    pub nic: Option<Verdict>,
}

impl PathVerdict {
    /// True when some internet address reaches the port over some transport.
    pub fn is_open(&self) -> bool {
        !self.open.is_empty()
    }
}

/// Subnet NSG first, then NIC NSG; traffic must be allowed by both (intersection of
/// allowed sets per transport). A None NSG admits everything, except that when BOTH are
/// None the result follows `no_nsg`. Each NSG's rule list must already hold the default
/// rules. The NIC NSG is fed only what the subnet NSG let through on each transport, so
/// its verdict names the rules on the actual path, not ones whose traffic never arrives.
pub fn effective_inbound<R: AsRef<RuleSpec>>(
    subnet_nsg: Option<&[R]>,
    nic_nsg: Option<&[R]>,
    target: &Target,
    port: u16,
    no_nsg: NoNsgPolicy,
) -> PathVerdict {
    let internet = IpSet::internet();
    if subnet_nsg.is_none() && nic_nsg.is_none() {
        let open = match no_nsg {
            NoNsgPolicy::Open => Transport::ALL.map(|t| (t, internet.clone())).to_vec(),
            NoNsgPolicy::Closed => Vec::new(),
        };
        return PathVerdict {
            open,
            subnet: None,
            nic: None,
        };
    }
    let stage = |rules: Option<&[R]>, admitted: &dyn Fn(Transport) -> IpSet| {
        rules.map(|rules| Verdict {
            per_transport: Transport::ALL
                .into_iter()
                .map(|t| evaluate_transport(rules, target, port, t, &admitted(t)))
                .collect(),
        })
    };
    let subnet = stage(subnet_nsg, &|_| internet.clone());
    let after_subnet = |t| subnet.as_ref().map_or_else(|| internet.clone(), |v| v.allowed(t));
    let nic = stage(nic_nsg, &after_subnet);
    let open = Transport::ALL
        .into_iter()
        .map(|t| (t, nic.as_ref().map_or_else(|| after_subnet(t), |v| v.allowed(t))))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    PathVerdict { open, subnet, nic }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::test_support::{inet, nsg, target};
    use crate::net::RDP_PORT;
    use proptest::prelude::*;
    use NoNsgPolicy::{Closed, Open};
    use Transport::{Tcp, Udp};

    const ALLOW_RDP: &str = "100 Allow * * 3389";

    fn path(subnet: Option<&[&str]>, nic: Option<&[&str]>, t: &Target) -> PathVerdict {
        let (subnet, nic) = (subnet.map(nsg), nic.map(nsg));
        effective_inbound(subnet.as_deref(), nic.as_deref(), t, RDP_PORT, Closed)
    }

    /// A path through a NIC NSG only, to the NIC `t`.
    fn nic_only(specs: &[&str], t: &Target) -> PathVerdict {
        path(None, Some(specs), t)
    }

    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    fn both_open() -> Vec<(Transport, IpSet)> {
        vec![(Tcp, IpSet::internet()), (Udp, IpSet::internet())]
    }

    #[test]
    fn no_nsg_follows_the_policy() {
        let t = Target::default();
        let open = effective_inbound::<RuleSpec>(None, None, &t, RDP_PORT, Open);
        assert_eq!(open.open, both_open());
        assert!(open.is_open() && open.subnet.is_none() && open.nic.is_none());
        let closed = effective_inbound::<RuleSpec>(None, None, &t, RDP_PORT, Closed);
        assert!(!closed.is_open() && closed.open.is_empty());
    }

    #[test]
    fn one_nsg_decides_alone_whatever_the_policy() {
        let t = target(&["10.0.0.4"], None);
        for policy in [Open, Closed] {
            let allow = nsg(&[ALLOW_RDP]);
            let subnet = effective_inbound(Some(&allow), None, &t, RDP_PORT, policy);
            assert_eq!(subnet.open, both_open());
            assert!(subnet.subnet.is_some() && subnet.nic.is_none());
            let nic = effective_inbound(None, Some(&allow), &t, RDP_PORT, policy);
            assert_eq!(nic.open, both_open());
            assert!(nic.subnet.is_none() && nic.nic.is_some());
            let defaults = nsg(&[]);
            let closed = effective_inbound(Some(&defaults), None, &t, RDP_PORT, policy);
            assert!(!closed.is_open(), "default rules close the path");
            let closed = effective_inbound(None, Some(&defaults), &t, RDP_PORT, policy);
            assert!(!closed.is_open(), "default rules close the path");
        }
    }

    #[test]
    fn both_nsgs_must_allow() {
        let t = target(&["10.0.0.4"], None);
        assert_eq!(path(Some(&[ALLOW_RDP]), Some(&[ALLOW_RDP]), &t).open, both_open());
        assert!(!path(Some(&[ALLOW_RDP]), Some(&[]), &t).is_open());
        let v = path(Some(&[]), Some(&[ALLOW_RDP]), &t);
        assert!(!v.is_open());
        // The NIC NSG only sees what the subnet let through: its Allow admitted nothing.
        let nic = v.nic.expect("nic verdict");
        assert!(nic.per_transport.iter().all(|tv| tv.allowed_by.is_empty()));
        let subnet = ["100 Allow Tcp 203.0.113.0/24 3389", "110 Allow Udp * 3389"];
        let nic = ["100 Allow * 203.0.113.128/25 *"];
        let v = path(Some(&subnet), Some(&nic), &t);
        let half = inet("203.0.113.128/25");
        assert_eq!(v.open, vec![(Tcp, half.clone()), (Udp, half)]);
        let nic_deny_udp = ["100 Deny Udp * *", ALLOW_RDP];
        let v = path(Some(&[ALLOW_RDP]), Some(&nic_deny_udp), &t);
        assert_eq!(v.open, vec![(Tcp, IpSet::internet())]);
    }

    #[test]
    fn unknown_destination_matches_allow_but_not_deny() {
        let unknown_ips = target(&[], None);
        let v = nic_only(&["100 Allow * * 3389 Storage"], &unknown_ips);
        assert_eq!(v.open, both_open());
        let deny_then_allow = ["100 Deny * * 3389 Storage", "200 Allow * * 3389"];
        let v = nic_only(&deny_then_allow, &unknown_ips);
        assert_eq!(v.open, both_open());
        let nic = v.nic.expect("nic verdict");
        assert!(nic.per_transport.iter().all(|tv| tv.allowed_by == [1]));
        // A destination prefix missing the NIC's IP is No: the Allow is skipped...
        let miss = ["100 Allow * * 3389 10.9.0.0/16"];
        assert!(!nic_only(&miss, &target(&["10.0.0.4"], None)).is_open());
        // ...while with unknown private IPs it is Unknown and the Allow counts.
        assert!(nic_only(&miss, &unknown_ips).is_open());
        let hit = ["100 Deny * * 3389 10.0.0.0/24", "200 Allow * * 3389"];
        assert!(!nic_only(&hit, &target(&["10.0.0.4"], None)).is_open());
        let vnet = ["100 Deny * * 3389 VirtualNetwork", "200 Allow * * 3389"];
        assert!(!nic_only(&vnet, &unknown_ips).is_open());
    }

    #[test]
    fn asg_destination_follows_membership() {
        let asg = "/subscriptions/s/applicationsecuritygroups/rdp";
        let allow = [format!("100 Allow Tcp * 3389 asg:{asg}")];
        let deny = [format!("100 Deny Tcp * 3389 asg:{asg}"), "200 Allow Tcp * 3389".into()];
        let open = |specs: &[String], t: &Target| nic_only(&strs(specs), t).is_open();
        let member = target(&[], Some(&[asg]));
        let other = target(&[], Some(&["/subscriptions/s/applicationsecuritygroups/web"]));
        let unknown = target(&[], None);
        assert!(open(&allow, &member));
        assert!(!open(&allow, &other));
        assert!(open(&allow, &unknown));
        assert!(!open(&deny, &member));
        assert!(open(&deny, &other));
        assert!(open(&deny, &unknown));
    }

    fn arb_nsg() -> impl Strategy<Value = Vec<String>> {
        let src = prop::sample::select(vec!["*", "0.0.0.0/0", "::/0", "203.0.113.0/24", "Internet"]);
        let proto = prop::sample::select(vec!["Tcp", "Udp", "*"]);
        let access = prop::sample::select(vec!["Allow", "Deny"]);
        let rule = (1u32..20, access, proto, src).prop_map(|(p, a, pr, s)| format!("{} {a} {pr} {s} 3389", p * 10));
        prop::collection::vec(rule, 0..4)
    }

    proptest! {
        #[test]
        fn path_is_the_intersection_of_both_nsgs(subnet in arb_nsg(), nic in arb_nsg()) {
            let t = target(&["10.0.0.4"], None);
            let (s, n) = (strs(&subnet), strs(&nic));
            let whole = path(Some(&s), Some(&n), &t);
            let alone_s = path(Some(&s), None, &t);
            let alone_n = path(None, Some(&n), &t);
            for tr in Transport::ALL {
                let get = |v: &PathVerdict| v.open.iter().find(|(u, _)| *u == tr).map(|(_, s)| s.clone()).unwrap_or_default();
                prop_assert_eq!(get(&whole), get(&alone_s).intersect(&get(&alone_n)));
            }
            prop_assert!(whole.open.iter().all(|(_, s)| !s.is_empty()));
        }
    }
}
