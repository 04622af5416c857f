//! Source and destination address specs of NSG rules (`sourceAddressPrefix(es)`,
//! `destinationAddressPrefix(es)`, service tags and application security groups).

use crate::net::ipset::IpSet;
use crate::net::SpecError;
use ipnet::IpNet;
use std::net::IpAddr;

/// One address entry of a security rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressSpec {
    /// `*`, `Any` or a bare `0.0.0.0`: every address.
    Any,
    /// The service tag `Internet`.
    Internet,
    /// A CIDR or bare IP (as /32 or /128), network address kept.
    Prefix(IpNet),
    /// Any other service tag, spelled as found (compared case-insensitively).
    ServiceTag(String),
    /// An application security group, by lower-cased resource ID.
    Asg(String),
}

/// Whether a destination spec matches the NIC a packet goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestMatch {
    Yes,
    No,
    /// Cannot be resolved from the inventory (service tags, unknown ASG membership).
    Unknown,
}

/// The NIC a packet is destined to.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// Private addresses of the NIC: one-address blocks, or the CIDR block an ipConfiguration is given
    /// (`privateIPAddressPrefixLength`); empty when not known.
    pub private_ips: Vec<IpNet>,
    /// Lower-cased ASG IDs the NIC is in; `None` = membership unknown.
    pub asgs: Option<Vec<String>>,
}

impl AddressSpec {
    /// Parses one prefix or tag, trimming whitespace. Keywords are case-insensitive.
    /// A CIDR with host bits set (10.0.0.5/24) is accepted and truncated to its network,
    /// as Azure does. Malformed addresses are errors, never guessed at, and a string
    /// that is neither an address nor a well-formed tag (letters, digits, `.`, `-`,
    /// starting with a letter) is rejected so that `1.2.3` cannot pass as a tag.
    pub fn parse(s: &str) -> Result<Self, SpecError> {
        let t = s.trim();
        if t == "*" || t == "0.0.0.0" || t.eq_ignore_ascii_case("any") {
            return Ok(Self::Any);
        }
        if t.eq_ignore_ascii_case("internet") {
            return Ok(Self::Internet);
        }
        if t.contains('/') {
            return t
                .parse::<IpNet>()
                .map(|n| Self::Prefix(n.trunc()))
                .map_err(|_| SpecError(format!("invalid address prefix '{s}'")));
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Self::Prefix(IpNet::from(ip)));
        }
        let mut chars = t.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if starts_with_letter && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
            return Ok(Self::ServiceTag(t.to_string()));
        }
        Err(SpecError(format!(
            "invalid address prefix '{s}': expected an IP, a CIDR or a service tag"
        )))
    }

    /// The internet addresses this source spec covers: Any/Internet -> all of
    /// [`IpSet::internet`]; a prefix -> its public part (0.0.0.0/0 = all public IPv4
    /// only, ::/0 = all public IPv6 only, as in Azure); service tags and ASGs -> empty
    /// (the spec rules them "not internet", e.g. `CorpNetSaw` for Domain Services).
    pub fn internet_part(&self) -> IpSet {
        self.source_set().intersect(&IpSet::internet())
    }

    /// True when the spec covers at least one internet address.
    pub fn is_internet_source(&self) -> bool {
        !self.internet_part().is_empty()
    }

    /// Every address this spec matches as a source as far as rdsaudit can tell: Any ->
    /// all, Internet -> the public space, a prefix -> its block; service tags and ASGs
    /// -> empty, consistent with them never being an internet source.
    pub fn source_set(&self) -> IpSet {
        match self {
            Self::Any => IpSet::all(),
            Self::Internet => IpSet::internet(),
            Self::Prefix(net) => IpSet::from_net(net),
            Self::ServiceTag(_) | Self::Asg(_) => IpSet::empty(),
        }
    }

    /// Does this destination spec match traffic to `target`? Unresolvable cases say
    /// `Unknown` so that the caller can decide conservatively per access (Allow counts
    /// it as a match, Deny does not), never turning ignorance into a pass.
    pub fn matches_destination(&self, target: &Target) -> DestMatch {
        let known = |hit: bool| if hit { DestMatch::Yes } else { DestMatch::No };
        match self {
            Self::Any => DestMatch::Yes,
            Self::ServiceTag(tag) if tag.eq_ignore_ascii_case("VirtualNetwork") => DestMatch::Yes,
            Self::Prefix(_) if target.private_ips.is_empty() => DestMatch::Unknown,
            // A prefix covering only part of the NIC's block lets some traffic in: unknown, so that an
            // Allow counts and a Deny does not close the rest.
            Self::Prefix(net) if target.private_ips.iter().all(|b| net.contains(b)) => DestMatch::Yes,
            Self::Prefix(net) if target.private_ips.iter().any(|b| overlap(net, b)) => DestMatch::Unknown,
            Self::Prefix(_) => DestMatch::No,
            Self::Asg(id) => match &target.asgs {
                Some(asgs) => known(asgs.iter().any(|a| a.eq_ignore_ascii_case(id))),
                None => DestMatch::Unknown,
            },
            // The address space outside the virtual network: inbound traffic through a public IP or a load
            // balancer is evaluated against the NIC's private IP, which is never in it.
            Self::Internet => DestMatch::No,
            Self::ServiceTag(_) => DestMatch::Unknown,
        }
    }
}

/// Two CIDR blocks overlap when one holds the other's first address.
fn overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// An address (`10.0.0.4`) as a one-address block, or a block (`10.0.0.16/28`, or an address with a
/// prefix length given apart) with its host bits cleared; `None` when malformed.
pub fn address_block(s: &str, prefix_len: Option<u8>) -> Option<IpNet> {
    let s = s.trim();
    let net = match s.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => {
            let ip = s.parse::<IpAddr>().ok()?;
            match prefix_len {
                Some(len) => IpNet::new(ip, len).ok()?,
                None => IpNet::from(ip),
            }
        }
    };
    Some(net.trunc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn parse(s: &str) -> AddressSpec {
        AddressSpec::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn prefix(s: &str) -> AddressSpec {
        AddressSpec::Prefix(s.parse().unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn target(ips: &[&str], asgs: Option<&[&str]>) -> Target {
        Target {
            private_ips: ips.iter().map(|s| address_block(s, None).expect(s)).collect(),
            asgs: asgs.map(|a| a.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn address_blocks_read_addresses_cidrs_and_separate_prefix_lengths() {
        let block = |s, len| address_block(s, len).map(|b| b.to_string());
        assert_eq!(block("10.0.0.4", None).as_deref(), Some("10.0.0.4/32"));
        assert_eq!(block(" 172.20.2.16/28 ", Some(28)).as_deref(), Some("172.20.2.16/28"));
        assert_eq!(block("172.20.2.16", Some(28)).as_deref(), Some("172.20.2.16/28"));
        assert_eq!(block("172.20.2.17/28", None).as_deref(), Some("172.20.2.16/28"));
        assert_eq!(block("fd00::5", None).as_deref(), Some("fd00::5/128"));
        assert_eq!(block("10.0.0.300", None), None);
        assert_eq!(block("10.0.0.4", Some(40)), None);
    }

    #[test]
    fn a_prefix_matches_a_block_it_covers_and_is_unknown_on_part_of_it() {
        let t = target(&["172.20.2.16/28"], None);
        assert_eq!(parse("172.20.2.0/24").matches_destination(&t), DestMatch::Yes);
        assert_eq!(parse("172.20.2.20").matches_destination(&t), DestMatch::Unknown);
        assert_eq!(parse("172.20.2.0/28").matches_destination(&t), DestMatch::No);
        assert_eq!(parse("10.0.0.0/8").matches_destination(&t), DestMatch::No);
    }

    #[test]
    fn parses_every_keyword_in_any_casing() {
        for s in ["*", "Any", "ANY", "any", " aNy ", "0.0.0.0", " 0.0.0.0 "] {
            assert_eq!(parse(s), AddressSpec::Any, "{s:?}");
        }
        for s in ["Internet", "INTERNET", "internet", " Internet\t"] {
            assert_eq!(parse(s), AddressSpec::Internet, "{s:?}");
        }
    }

    #[test]
    fn parses_prefixes_and_bare_ips() {
        assert_eq!(parse("0.0.0.0/0"), prefix("0.0.0.0/0"));
        assert_eq!(parse("::/0"), prefix("::/0"));
        assert_eq!(parse("203.0.113.0/24"), prefix("203.0.113.0/24"));
        assert_eq!(parse("2001:db8::/32"), prefix("2001:db8::/32"));
        assert_eq!(parse("203.0.113.7"), prefix("203.0.113.7/32"));
        assert_eq!(parse("2001:db8::7"), prefix("2001:db8::7/128"));
        assert_eq!(parse(" 10.0.0.0/8 "), prefix("10.0.0.0/8"));
        // Host bits are accepted and dropped, as Azure does.
        assert_eq!(parse("10.0.0.5/24"), prefix("10.0.0.0/24"));
    }

    #[test]
    fn parses_service_tags_as_found() {
        for tag in "VirtualNetwork AzureLoadBalancer CorpNetSaw Storage.WestEurope \
            AzureActiveDirectoryDomainServices AzureCloud.east-us2"
            .split_whitespace()
        {
            assert_eq!(parse(tag), AddressSpec::ServiceTag(tag.to_string()));
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for s in [
            "",
            " ",
            "10.0.0.300/24",
            "10.0.0.0/33",
            "::/129",
            "1.2.3",
            "1.2.3.4.5",
            "10.0.0.0/",
            "/24",
            "10.0.0.0/x",
            "1.2.3.4-1.2.3.9",
            "-Tag",
            "Tag/x",
            "Tag_x",
            "a b",
            "**",
        ] {
            assert!(AddressSpec::parse(s).is_err(), "{s:?} should fail");
        }
        let e = AddressSpec::parse("10.0.0.0/33").expect_err("bad prefix");
        assert!(e.0.contains("'10.0.0.0/33'"), "{e}");
    }

    #[test]
    fn keywords_cover_all_internet() {
        for s in ["*", "Internet", "Any", "0.0.0.0"] {
            let spec = parse(s);
            assert_eq!(spec.internet_part(), IpSet::internet(), "{s}");
            assert!(spec.is_internet_source());
        }
    }

    #[test]
    fn default_routes_cover_one_family_each() {
        let v4 = parse("0.0.0.0/0").internet_part();
        assert!(v4.contains_ip(ip("8.8.8.8")));
        assert!(!v4.contains_ip(ip("2001:db8::1")));
        assert!(!v4.contains_ip(ip("10.0.0.1")));
        let v6 = parse("::/0").internet_part();
        assert!(v6.contains_ip(ip("2001:db8::1")));
        assert!(!v6.contains_ip(ip("8.8.8.8")));
        assert!(!v6.contains_ip(ip("fd00::1")));
        assert_eq!(v4.union(&v6), IpSet::internet());
    }

    #[test]
    fn internet_source_classification() {
        for s in "203.0.113.0/24 203.0.113.7 2001:db8::/32 0.0.0.0/1 8.0.0.0/7".split_whitespace() {
            assert!(parse(s).is_internet_source(), "{s} is internet");
        }
        for s in "10.0.0.0/8 10.1.2.0/24 172.16.0.0/12 192.168.1.0/24 100.64.0.0/10 \
            127.0.0.1 fc00::/7 fd12::/64 fe80::/10 VirtualNetwork \
            AzureLoadBalancer CorpNetSaw AzureActiveDirectoryDomainServices"
            .split_whitespace()
        {
            assert!(!parse(s).is_internet_source(), "{s} is not internet");
        }
        assert!(!AddressSpec::Asg("/subscriptions/x/asg".into()).is_internet_source());
        // 0.0.0.0/1 is partly private but its public part is what counts.
        let part = parse("0.0.0.0/1").internet_part();
        assert!(part.contains_ip(ip("9.0.0.1")) && !part.contains_ip(ip("10.0.0.1")));
        assert!(!part.contains_ip(ip("128.0.0.1")));
    }

    #[test]
    fn source_set_matches_everything_for_any() {
        assert_eq!(AddressSpec::Any.source_set(), IpSet::all());
        assert!(AddressSpec::Any.source_set().contains_ip(ip("10.0.0.1")));
        assert!(!AddressSpec::Internet.source_set().contains_ip(ip("10.0.0.1")));
        assert!(parse("VirtualNetwork").source_set().is_empty());
    }

    #[test]
    fn destination_keywords_and_tags() {
        let t = target(&["10.0.0.4"], Some(&[]));
        assert_eq!(AddressSpec::Any.matches_destination(&t), DestMatch::Yes);
        for vnet in ["VirtualNetwork", "virtualnetwork", "VIRTUALNETWORK"] {
            assert_eq!(parse(vnet).matches_destination(&t), DestMatch::Yes, "{vnet}");
        }
        for unknown in ["AzureLoadBalancer", "Storage.WestEurope"] {
            assert_eq!(parse(unknown).matches_destination(&t), DestMatch::Unknown);
        }
        // `Internet` never holds the NIC's private IP, even when the NIC's IPs are unknown.
        for t in [t, target(&[], None)] {
            assert_eq!(parse("Internet").matches_destination(&t), DestMatch::No);
        }
    }

    #[test]
    fn destination_prefixes() {
        let t = target(&["192.168.1.5", "10.0.0.4"], None);
        // Covering one address of several leaves the others: a Deny must not count as closing the NIC.
        assert_eq!(prefix("10.0.0.0/24").matches_destination(&t), DestMatch::Unknown);
        assert_eq!(prefix("192.168.1.5/32").matches_destination(&t), DestMatch::Unknown);
        assert_eq!(prefix("0.0.0.0/0").matches_destination(&t), DestMatch::Yes);
        assert_eq!(prefix("10.0.1.0/24").matches_destination(&t), DestMatch::No);
        assert_eq!(prefix("fd00::/8").matches_destination(&t), DestMatch::No);
        let unknown = target(&[], None);
        assert_eq!(prefix("10.0.0.0/24").matches_destination(&unknown), DestMatch::Unknown);
        let v6 = target(&["fd00::4"], None);
        assert_eq!(prefix("fd00::/8").matches_destination(&v6), DestMatch::Yes);
    }

    #[test]
    fn destination_asgs() {
        let asg = AddressSpec::Asg("/subscriptions/s/applicationsecuritygroups/rdp".into());
        let member = target(&[], Some(&["/subscriptions/s/applicationsecuritygroups/rdp"]));
        let other = target(&[], Some(&["/subscriptions/s/applicationsecuritygroups/web"]));
        let unknown = target(&["10.0.0.4"], None);
        assert_eq!(asg.matches_destination(&member), DestMatch::Yes);
        assert_eq!(asg.matches_destination(&other), DestMatch::No);
        assert_eq!(asg.matches_destination(&target(&[], Some(&[]))), DestMatch::No);
        assert_eq!(asg.matches_destination(&unknown), DestMatch::Unknown);
    }

    proptest! {
        #[test]
        fn printed_prefixes_round_trip(a in any::<u32>(), len in 0u8..=32, b in any::<u128>(), len6 in 0u8..=128) {
            let v4 = format!("{}/{len}", Ipv4Addr::from(a));
            let v6 = format!("{}/{len6}", Ipv6Addr::from(b));
            for s in [v4, v6] {
                let spec = AddressSpec::parse(&s).map_err(|e| TestCaseError::fail(e.0))?;
                let want: IpNet = s.parse().map_err(|_| TestCaseError::fail("ipnet"))?;
                prop_assert_eq!(spec, AddressSpec::Prefix(want.trunc()));
            }
        }

        #[test]
        fn internet_part_is_prefix_minus_private(a in any::<u32>(), len in 0u8..=32, probe in any::<u32>()) {
            let s = format!("{}/{len}", Ipv4Addr::from(a));
            let spec = AddressSpec::parse(&s).map_err(|e| TestCaseError::fail(e.0))?;
            let net: IpNet = s.parse().map_err(|_| TestCaseError::fail("ipnet"))?;
            let p = IpAddr::V4(Ipv4Addr::from(probe));
            let want = net.contains(&p) && IpSet::internet().contains_ip(p);
            prop_assert_eq!(spec.internet_part().contains_ip(p), want);
        }

        #[test]
        fn tags_never_count_as_internet(tag in "[A-Za-z][A-Za-z0-9.-]{0,20}") {
            let lower = tag.to_ascii_lowercase();
            prop_assume!(lower != "any" && lower != "internet");
            let spec = AddressSpec::parse(&tag).map_err(|e| TestCaseError::fail(e.0))?;
            prop_assert_eq!(&spec, &AddressSpec::ServiceTag(tag.clone()));
            prop_assert!(!spec.is_internet_source());
        }
    }
}
