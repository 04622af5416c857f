//! Exact sets of IP addresses, so that "is this Allow fully shadowed by the Denies above
//! it?" and "what survives both NSGs?" are answered by set algebra, not string matching.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A set of IP addresses as sorted, disjoint, non-adjacent inclusive intervals, IPv4
/// (`u32`) and IPv6 (`u128`) kept separately because Azure never mixes the families.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

/// Non-public space per the spec: private, shared (CGNAT) and loopback.
const PRIVATE_V4: [([u8; 4], u32); 5] = [
    ([10, 0, 0, 0], 8),
    ([172, 16, 0, 0], 12),
    ([192, 168, 0, 0], 16),
    ([100, 64, 0, 0], 10),
    ([127, 0, 0, 0], 8),
];
/// Unique local (fc00::/7) and link-local (fe80::/10).
const PRIVATE_V6: [(u128, u32); 2] = [(0xfc00 << 112, 7), (0xfe80 << 112, 10)];

/// How many ranges `describe` prints before summarising the rest.
const DESCRIBE_MAX_RANGES: usize = 4;

impl IpSet {
    /// No addresses.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every IPv4 and IPv6 address.
    pub fn all() -> Self {
        Self {
            v4: vec![(0, u32::MAX)],
            v6: vec![(0, u128::MAX)],
        }
    }

    /// The addresses of one prefix (host bits, if any, are ignored).
    pub fn from_net(net: &IpNet) -> Self {
        match net {
            IpNet::V4(n) => Self {
                v4: vec![(n.network().into(), n.broadcast().into())],
                v6: Vec::new(),
            },
            IpNet::V6(n) => Self {
                v4: Vec::new(),
                v6: vec![(n.network().into(), n.broadcast().into())],
            },
        }
    }

    /// Public ("internet") space: everything but 10/8, 172.16/12, 192.168/16, 100.64/10,
    /// 127/8, fc00::/7, fe80::/10.
    pub fn internet() -> Self {
        let private = Self {
            v4: normalize(
                PRIVATE_V4
                    .iter()
                    .map(|&(octets, len)| cidr(u32::from(Ipv4Addr::from(octets)), len))
                    .collect(),
            ),
            v6: normalize(PRIVATE_V6.iter().map(|&(b, len)| cidr(b, len)).collect()),
        };
        Self::all().subtract(&private)
    }

    /// Addresses in either set.
    pub fn union(&self, o: &Self) -> Self {
        Self {
            v4: normalize(self.v4.iter().chain(&o.v4).copied().collect()),
            v6: normalize(self.v6.iter().chain(&o.v6).copied().collect()),
        }
    }

    /// Addresses in both sets.
    pub fn intersect(&self, o: &Self) -> Self {
        Self {
            v4: intersect(&self.v4, &o.v4),
            v6: intersect(&self.v6, &o.v6),
        }
    }

    /// Addresses in `self` but not in `o`.
    pub fn subtract(&self, o: &Self) -> Self {
        Self {
            v4: intersect(&self.v4, &complement(&o.v4)),
            v6: intersect(&self.v6, &complement(&o.v6)),
        }
    }

    /// True when no address is in the set.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// True when every address of `self` is in `o`.
    pub fn is_subset(&self, o: &Self) -> bool {
        self.subtract(o).is_empty()
    }

    /// Whether one address is in the set.
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => contains(&self.v4, u32::from(a)),
            IpAddr::V6(a) => contains(&self.v6, u128::from(a)),
        }
    }

    /// A short human description for evidence, e.g. "203.0.113.0/24", "all IPv4
    /// internet" or "0.0.0.0-9.255.255.255, ...": deterministic (derived from the
    /// normal form only) and truncated after a few ranges so evidence stays readable.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "no addresses".to_string();
        }
        let internet = Self::internet();
        let mut parts = Vec::new();
        if self.v4 == internet.v4 {
            parts.push("all IPv4 internet".to_string());
        } else {
            parts.extend(self.v4.iter().map(|&(s, e)| range_text(s, e)));
        }
        if self.v6 == internet.v6 {
            parts.push("all IPv6 internet".to_string());
        } else {
            parts.extend(self.v6.iter().map(|&(s, e)| range_text(s, e)));
        }
        let extra = parts.len().saturating_sub(DESCRIBE_MAX_RANGES);
        parts.truncate(DESCRIBE_MAX_RANGES);
        let mut out = parts.join(", ");
        if extra > 0 {
            out.push_str(&format!(", ... ({extra} more)"));
        }
        out
    }
}

/// One range as a bare address, as a CIDR when it is exactly one block, else `start-end`.
fn range_text<T: Bound>(s: T, e: T) -> String {
    if s == e {
        return s.addr_text();
    }
    let (start, span) = (s.wide(), e.wide() - s.wide());
    // `span` is all ones in its low bits exactly when the range is one aligned block.
    let aligned_block = span.count_ones() + span.leading_zeros() == 128 && start & span == 0;
    if aligned_block {
        format!("{}/{}", s.addr_text(), T::BITS - span.count_ones())
    } else {
        format!("{}-{}", s.addr_text(), e.addr_text())
    }
}

/// The inclusive range of the block `base/len` (base host bits cleared).
fn cidr<T: Bound>(base: T, len: u32) -> (T, T) {
    let host = T::host_mask(len);
    (base.and_not(host), base.or(host))
}

/// The integer types an address family is stored in.
trait Bound: Copy + Ord {
    const BITS: u32;
    const MIN: Self;
    const MAX: Self;
    fn succ(self) -> Option<Self>;
    fn pred(self) -> Option<Self>;
    /// All-ones in the low `width - len` bits.
    fn host_mask(len: u32) -> Self;
    fn and_not(self, m: Self) -> Self;
    fn or(self, m: Self) -> Self;
    fn wide(self) -> u128;
    fn addr_text(self) -> String;
}

macro_rules! bound {
    ($t:ty, $addr:ty) => {
        impl Bound for $t {
            const BITS: u32 = <$t>::BITS;
            const MIN: Self = 0;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
            fn host_mask(len: u32) -> Self {
                <$t>::MAX.checked_shr(len).unwrap_or(0)
            }
            fn and_not(self, m: Self) -> Self {
                self & !m
            }
            fn or(self, m: Self) -> Self {
                self | m
            }
            fn wide(self) -> u128 {
                u128::from(self)
            }
            fn addr_text(self) -> String {
                <$addr>::from(self).to_string()
            }
        }
    };
}
bound!(u32, Ipv4Addr);
bound!(u128, Ipv6Addr);

/// Sorts and merges overlapping or adjacent intervals into the normal form.
fn normalize<T: Bound>(mut v: Vec<(T, T)>) -> Vec<(T, T)> {
    v.retain(|(s, e)| s <= e);
    v.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        if let Some(last) = out.last_mut() {
            if last.1.succ().is_none_or(|next| s <= next) {
                last.1 = last.1.max(e);
                continue;
            }
        }
        out.push((s, e));
    }
    out
}

/// Intersection of two normal forms by a merge walk; the result is in normal form.
fn intersect<T: Bound>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while let (Some(&(s1, e1)), Some(&(s2, e2))) = (a.get(i), b.get(j)) {
        let (lo, hi) = (s1.max(s2), e1.min(e2));
        if lo <= hi {
            out.push((lo, hi));
        }
        if e1 < e2 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The gaps of a normal form over the whole family.
fn complement<T: Bound>(a: &[(T, T)]) -> Vec<(T, T)> {
    let mut out = Vec::new();
    let mut next = Some(T::MIN);
    for &(s, e) in a {
        if let (Some(n), Some(before)) = (next, s.pred()) {
            if n <= before {
                out.push((n, before));
            }
        }
        next = e.succ();
    }
    if let Some(n) = next {
        out.push((n, T::MAX));
    }
    out
}

fn contains<T: Bound>(a: &[(T, T)], x: T) -> bool {
    let idx = a.partition_point(|&(_, e)| e < x);
    a.get(idx).is_some_and(|&(s, _)| s <= x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> IpSet {
        IpSet::from_net(&s.parse().unwrap_or_else(|e| panic!("{s}: {e}")))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn empty_and_all() {
        assert!(IpSet::empty().is_empty());
        assert!(!IpSet::all().is_empty());
        assert!(IpSet::all().contains_ip(ip("10.0.0.1")));
        assert!(IpSet::all().contains_ip(ip("::1")));
        assert!(!IpSet::empty().contains_ip(ip("1.1.1.1")));
        assert_eq!(net("0.0.0.0/0").union(&net("::/0")), IpSet::all());
    }

    #[test]
    fn from_net_covers_exactly_the_prefix() {
        let s = net("203.0.113.0/24");
        assert!(s.contains_ip(ip("203.0.113.0")));
        assert!(s.contains_ip(ip("203.0.113.255")));
        assert!(!s.contains_ip(ip("203.0.112.255")));
        assert!(!s.contains_ip(ip("203.0.114.0")));
        assert!(!s.contains_ip(ip("2001:db8::1")));
        // Host bits are dropped, as Azure does.
        assert_eq!(net("10.0.0.5/24"), net("10.0.0.0/24"));
        let v6 = net("2001:db8::/32");
        assert!(v6.contains_ip(ip("2001:db8:ffff::1")));
        assert!(!v6.contains_ip(ip("2001:db9::")));
    }

    #[test]
    fn internet_excludes_private_shared_and_loopback() {
        let inet = IpSet::internet();
        for private in "10.1.2.3 172.16.0.1 172.31.255.255 192.168.1.1 100.64.0.1 \
            100.127.255.255 127.0.0.1 fc00::1 fdff::1 fe80::1 febf::1"
            .split_whitespace()
        {
            assert!(!inet.contains_ip(ip(private)), "{private}");
        }
        for public in "0.0.0.0 9.255.255.255 11.0.0.0 172.15.255.255 172.32.0.0 \
            100.63.255.255 100.128.0.0 203.0.113.7 255.255.255.255 2001:db8::1 \
            fec0::1 :: ffff::1"
            .split_whitespace()
        {
            assert!(inet.contains_ip(ip(public)), "{public}");
        }
    }

    #[test]
    fn algebra_on_known_sets() {
        let a = net("203.0.113.0/24");
        let lo = net("203.0.113.0/25");
        let hi = net("203.0.113.128/25");
        assert_eq!(lo.union(&hi), a);
        assert_eq!(a.subtract(&lo), hi);
        assert_eq!(a.intersect(&hi), hi);
        assert!(lo.intersect(&hi).is_empty());
        assert!(lo.is_subset(&a));
        assert!(!a.is_subset(&lo));
        assert!(a.subtract(&net("203.0.0.0/8")).is_empty());
        assert!(IpSet::empty().is_subset(&IpSet::empty()));
        // 0.0.0.0/0 says nothing about IPv6.
        let v6_left = IpSet::internet().subtract(&net("0.0.0.0/0"));
        assert!(v6_left.contains_ip(ip("2001:db8::1")));
        assert!(!v6_left.contains_ip(ip("8.8.8.8")));
    }

    #[test]
    fn subtract_at_family_edges() {
        let all = IpSet::all();
        let edges = net("0.0.0.0/32")
            .union(&net("255.255.255.255/32"))
            .union(&net("::/128"))
            .union(&net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"));
        let mid = all.subtract(&edges);
        assert!(!mid.contains_ip(ip("0.0.0.0")));
        assert!(!mid.contains_ip(ip("255.255.255.255")));
        assert!(mid.contains_ip(ip("0.0.0.1")));
        assert!(mid.contains_ip(ip("255.255.255.254")));
        assert!(!mid.contains_ip(ip("::")));
        assert!(mid.contains_ip(ip("::1")));
        assert_eq!(mid.union(&edges), all);
    }

    #[test]
    fn describe_is_short_and_readable() {
        assert_eq!(IpSet::empty().describe(), "no addresses");
        assert_eq!(net("203.0.113.0/24").describe(), "203.0.113.0/24");
        assert_eq!(net("203.0.113.7/32").describe(), "203.0.113.7");
        assert_eq!(net("0.0.0.0/0").describe(), "0.0.0.0/0");
        assert_eq!(net("2001:db8::/32").describe(), "2001:db8::/32");
        assert_eq!(net("::/0").describe(), "::/0");
        let v4_inet = IpSet::internet().intersect(&net("0.0.0.0/0"));
        assert_eq!(v4_inet.describe(), "all IPv4 internet");
        assert_eq!(IpSet::internet().describe(), "all IPv4 internet, all IPv6 internet");
        let v6_inet = IpSet::internet().intersect(&net("::/0"));
        assert_eq!(v6_inet.describe(), "all IPv6 internet");
        let two = net("2.0.0.0/8").union(&net("3.0.0.0/8"));
        assert_eq!(two.describe(), "2.0.0.0/7");
        let unaligned = net("1.0.0.0/8").union(&net("2.0.0.0/8"));
        assert_eq!(unaligned.describe(), "1.0.0.0-2.255.255.255");
        let odd = net("1.0.0.0/8").union(&net("2.0.0.0/7"));
        assert_eq!(odd.describe(), "1.0.0.0-3.255.255.255");
        let slash1 = IpSet::internet().intersect(&net("0.0.0.0/1"));
        assert_eq!(
            slash1.describe(),
            "0.0.0.0-9.255.255.255, 11.0.0.0-100.63.255.255, \
             100.128.0.0-126.255.255.255"
        );
        let many = (1..=6).fold(IpSet::empty(), |acc, i| acc.union(&net(&format!("{}.0.0.0/8", i * 2))));
        assert_eq!(
            many.describe(),
            "2.0.0.0/8, 4.0.0.0/8, 6.0.0.0/8, 8.0.0.0/8, ... (2 more)"
        );
    }

    /// Random sets mixing IPv4 and IPv6 blocks; short prefixes make overlaps likely.
    fn ipset() -> impl Strategy<Value = IpSet> {
        let v4 = (any::<u32>(), 0u8..=32)
            .prop_map(|(a, l)| IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::from(a), l).unwrap_or_default()));
        let v6 = (any::<u128>(), 0u8..=128)
            .prop_map(|(a, l)| IpNet::V6(ipnet::Ipv6Net::new(Ipv6Addr::from(a), l).unwrap_or_default()));
        prop::collection::vec(prop_oneof![3 => v4, 1 => v6], 0..6).prop_map(|nets| {
            nets.iter()
                .fold(IpSet::empty(), |acc, n| acc.union(&IpSet::from_net(n)))
        })
    }

    fn probe() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        ]
    }

    fn is_normal<T: Bound>(v: &[(T, T)]) -> bool {
        v.iter().all(|(s, e)| s <= e) && v.windows(2).all(|w| w[0].1.succ().is_some_and(|n| n < w[1].0))
    }

    proptest! {
        #[test]
        fn operations_keep_normal_form(a in ipset(), b in ipset()) {
            for s in [a.union(&b), a.intersect(&b), a.subtract(&b), a.clone()] {
                prop_assert!(is_normal(&s.v4) && is_normal(&s.v6), "{:?}", s);
            }
        }

        #[test]
        fn pointwise_semantics(a in ipset(), b in ipset(), probes in prop::collection::vec(probe(), 1..16)) {
            let (u, i, d) = (a.union(&b), a.intersect(&b), a.subtract(&b));
            // Probe interval edges too, where off-by-one bugs live.
            let mut ips = probes;
            for s in [&a, &b] {
                for &(lo, hi) in &s.v4 {
                    for x in [Some(lo), Some(hi), lo.checked_sub(1), hi.checked_add(1)].into_iter().flatten() {
                        ips.push(IpAddr::V4(Ipv4Addr::from(x)));
                    }
                }
            }
            for x in ips {
                let (ia, ib) = (a.contains_ip(x), b.contains_ip(x));
                prop_assert_eq!(u.contains_ip(x), ia || ib, "union at {}", x);
                prop_assert_eq!(i.contains_ip(x), ia && ib, "intersect at {}", x);
                prop_assert_eq!(d.contains_ip(x), ia && !ib, "subtract at {}", x);
            }
        }

        #[test]
        fn algebra_laws(a in ipset(), b in ipset(), c in ipset()) {
            prop_assert_eq!(a.union(&b), b.union(&a));
            prop_assert_eq!(a.intersect(&b), b.intersect(&a));
            prop_assert_eq!(a.union(&b).union(&c), a.union(&b.union(&c)));
            prop_assert_eq!(
                a.intersect(&b.union(&c)),
                a.intersect(&b).union(&a.intersect(&c))
            );
            prop_assert_eq!(a.subtract(&b), a.intersect(&IpSet::all().subtract(&b)));
            prop_assert!(a.subtract(&b).intersect(&b).is_empty());
            prop_assert_eq!(a.subtract(&b).union(&a.intersect(&b)), a.clone());
            prop_assert!(a.is_subset(&a.union(&b)));
            prop_assert!(a.intersect(&b).is_subset(&a));
            prop_assert_eq!(a.union(&IpSet::empty()), a.clone());
            prop_assert_eq!(a.intersect(&IpSet::all()), a.clone());
            prop_assert!(a.subtract(&a).is_empty());
            prop_assert_eq!(IpSet::all().subtract(&IpSet::all().subtract(&a)), a.clone());
            prop_assert_eq!(a.is_subset(&b), a.intersect(&b) == a);
        }

        #[test]
        fn describe_is_deterministic_and_bounded(a in ipset(), b in ipset()) {
            prop_assert_eq!(a.union(&b).describe(), b.union(&a).describe());
            prop_assert!(a.describe().matches(", ").count() <= DESCRIBE_MAX_RANGES);
            prop_assert_eq!(a.describe() == "no addresses", a.is_empty());
        }
    }
}
