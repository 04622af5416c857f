//! Destination port specs of NSG rules and backend ports of load balancer rules.

use crate::net::SpecError;

/// A set of ports kept as sorted, merged, inclusive ranges, so that lists such as
/// `destinationPortRanges` can be unioned and asked "does this cover 3389?" exactly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSet {
    /// Sorted by start, pairwise disjoint and non-adjacent; every `start <= end`.
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// Every port, 0-65535 (the `*` spec).
    pub fn any() -> Self {
        Self {
            ranges: vec![(0, u16::MAX)],
        }
    }

    /// Parses `*`, `3389`, `3380-3390` or a comma list of those (`80, 443,3389`).
    /// Whitespace around items and around `-` is tolerated. Empty specs, empty list
    /// items, non-numbers, ports above 65535 and reversed ranges are errors: a spec
    /// we cannot read must surface as an input error, never pass silently.
    pub fn parse(spec: &str) -> Result<Self, SpecError> {
        let trimmed = spec.trim();
        if trimmed.is_empty() {
            return Err(SpecError(format!("invalid port spec '{spec}': empty")));
        }
        let mut ranges = Vec::new();
        for item in trimmed.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err(SpecError(format!("invalid port spec '{spec}': empty list item")));
            }
            ranges.push(parse_item(item)?);
        }
        Ok(Self::from_ranges(ranges))
    }

    /// Adds every port of `other` (e.g. the next entry of `destinationPortRanges`).
    pub fn union(&mut self, other: &PortSet) {
        let mut all = std::mem::take(&mut self.ranges);
        all.extend_from_slice(&other.ranges);
        *self = Self::from_ranges(all);
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        let idx = self.ranges.partition_point(|&(_, end)| end < port);
        self.ranges.get(idx).is_some_and(|&(start, _)| start <= port)
    }

    /// True for the default (no ports), which a parsed spec never is.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Normalises arbitrary valid ranges: sort, then merge overlapping or adjacent ones.
    fn from_ranges(mut ranges: Vec<(u16, u16)>) -> Self {
        ranges.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            if let Some(last) = merged.last_mut() {
                if last.1 == u16::MAX || start <= last.1 + 1 {
                    last.1 = last.1.max(end);
                    continue;
                }
            }
            merged.push((start, end));
        }
        Self { ranges: merged }
    }
}

/// One list item: `*`, a port, or `a-b` with `a <= b`.
fn parse_item(item: &str) -> Result<(u16, u16), SpecError> {
    if item == "*" {
        return Ok((0, u16::MAX));
    }
    match item.split_once('-') {
        None => parse_port(item, item).map(|p| (p, p)),
        Some((a, b)) => {
            let start = parse_port(a.trim(), item)?;
            let end = parse_port(b.trim(), item)?;
            if start > end {
                return Err(SpecError(format!("invalid port range '{item}': start is above end")));
            }
            Ok((start, end))
        }
    }
}

/// Only plain decimal digits: `u16::from_str` would also take `+5`, which Azure does not.
fn parse_port(s: &str, item: &str) -> Result<u16, SpecError> {
    let bad = || {
        SpecError(format!(
            "invalid port '{s}' in '{item}': expected a number from 0 to 65535"
        ))
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    s.parse().map_err(|_| bad())
}

/// Load balancer backend port: 0 means HA ports (every port).
pub fn lb_backend_port_covers(backend_port: u32, port: u16) -> bool {
    backend_port == 0 || backend_port == u32::from(port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::RDP_PORT;
    use proptest::prelude::*;

    fn parse(s: &str) -> PortSet {
        PortSet::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn star_is_every_port() {
        let p = parse("*");
        assert_eq!(p, PortSet::any());
        for port in [0, 1, 22, RDP_PORT, u16::MAX] {
            assert!(p.contains(port));
        }
    }

    #[test]
    fn single_port_covers_only_itself() {
        let p = parse("3389");
        assert!(p.contains(3389));
        assert!(!p.contains(3388));
        assert!(!p.contains(3390));
    }

    #[test]
    fn ranges_cover_3389_at_either_end_or_inside() {
        for spec in "3389-3390 3380-3389 3380-3390 3389-3389 0-65535".split_whitespace() {
            assert!(parse(spec).contains(RDP_PORT), "{spec}");
        }
        for spec in ["3390-3400", "3000-3388", "80"] {
            assert!(!parse(spec).contains(RDP_PORT), "{spec}");
        }
    }

    #[test]
    fn lists_and_whitespace_are_tolerated() {
        let p = parse("80, 443,3389");
        assert!(p.contains(80) && p.contains(443) && p.contains(3389));
        assert!(!p.contains(81));
        assert!(parse(" 3389 ").contains(RDP_PORT));
        assert!(parse("3380 - 3390").contains(RDP_PORT));
        assert!(parse("22,\t3000-4000 ").contains(RDP_PORT));
        assert_eq!(parse("80,*"), PortSet::any());
    }

    #[test]
    fn malformed_specs_are_errors() {
        for spec in [
            "",
            " ",
            "abc",
            "70000",
            "65536",
            "5-3",
            "-",
            "1-2-3",
            "80,,443",
            "80,",
            ",80",
            "+5",
            "-5",
            "3389-",
            "-3389",
            "3389 3390",
            "0x10",
            "*-5",
            "3.5",
        ] {
            assert!(PortSet::parse(spec).is_err(), "{spec:?} should fail");
        }
    }

    #[test]
    fn error_messages_name_the_problem() {
        let e = PortSet::parse("3390-3389").expect_err("reversed");
        assert_eq!(e.0, "invalid port range '3390-3389': start is above end");
        let e = PortSet::parse("70000").expect_err("too big");
        assert!(e.0.contains("'70000'") && e.0.contains("0 to 65535"), "{e}");
        let e = PortSet::parse("").expect_err("empty");
        assert!(e.0.contains("empty"), "{e}");
    }

    #[test]
    fn boundary_ports_parse() {
        assert!(parse("0").contains(0));
        assert!(parse("65535").contains(u16::MAX));
        assert!(parse("65534-65535").contains(u16::MAX));
    }

    #[test]
    fn union_merges_overlapping_and_adjacent_ranges() {
        let mut p = parse("10-20");
        p.union(&parse("21-30, 15-25"));
        assert_eq!(p, parse("10-30"));
        p.union(&parse("65535"));
        assert!(p.contains(65535) && !p.contains(65534));
        let mut q = PortSet::default();
        assert!(q.is_empty());
        q.union(&parse("3389"));
        assert!(!q.is_empty() && q.contains(RDP_PORT));
    }

    #[test]
    fn default_is_empty_and_contains_nothing() {
        let p = PortSet::default();
        assert!(p.is_empty());
        assert!(!p.contains(0) && !p.contains(RDP_PORT));
        assert!(!PortSet::any().is_empty());
    }

    #[test]
    fn lb_backend_port_zero_is_ha_ports() {
        assert!(lb_backend_port_covers(0, RDP_PORT));
        assert!(lb_backend_port_covers(0, 80));
        assert!(lb_backend_port_covers(3389, RDP_PORT));
        assert!(!lb_backend_port_covers(3390, RDP_PORT));
        assert!(!lb_backend_port_covers(3389 + 65536, RDP_PORT));
    }

    /// A list item plus the inclusive range it denotes.
    fn item() -> impl Strategy<Value = (String, (u16, u16))> {
        prop_oneof![
            Just(("*".to_string(), (0, u16::MAX))),
            any::<u16>().prop_map(|p| (p.to_string(), (p, p))),
            (any::<u16>(), any::<u16>(), "[ \t]{0,2}").prop_map(|(a, b, ws)| {
                let (lo, hi) = (a.min(b), a.max(b));
                (format!("{lo}{ws}-{ws}{hi}"), (lo, hi))
            }),
        ]
    }

    proptest! {
        #[test]
        fn parse_agrees_with_contains(
            items in prop::collection::vec(item(), 1..6),
            sep in "[ \t]{0,2},[ \t]{0,2}",
            probes in prop::collection::vec(any::<u16>(), 0..20),
        ) {
            let spec = items.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(&sep);
            let set = PortSet::parse(&spec).map_err(|e| TestCaseError::fail(e.0))?;
            let mut ports: Vec<u16> = probes;
            for (_, (lo, hi)) in &items {
                ports.extend([*lo, *hi, lo.saturating_sub(1), hi.saturating_add(1)]);
            }
            for p in ports {
                let want = items.iter().any(|(_, (lo, hi))| *lo <= p && p <= *hi);
                prop_assert_eq!(set.contains(p), want, "spec {:?} port {}", spec, p);
            }
        }

        #[test]
        fn union_is_pointwise_or(
            a in prop::collection::vec(item(), 1..4),
            b in prop::collection::vec(item(), 1..4),
            probes in prop::collection::vec(any::<u16>(), 1..30),
        ) {
            let join = |v: &[(String, (u16, u16))]| {
                v.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(",")
            };
            let pa = PortSet::parse(&join(&a)).map_err(|e| TestCaseError::fail(e.0))?;
            let pb = PortSet::parse(&join(&b)).map_err(|e| TestCaseError::fail(e.0))?;
            let mut u = pa.clone();
            u.union(&pb);
            let mut v = pb.clone();
            v.union(&pa);
            prop_assert_eq!(&u, &v);
            for p in probes {
                prop_assert_eq!(u.contains(p), pa.contains(p) || pb.contains(p));
            }
            // Normal form: sorted, disjoint, non-adjacent.
            for w in u.ranges.windows(2) {
                prop_assert!(u32::from(w[0].1) + 1 < u32::from(w[1].0));
            }
        }

        #[test]
        fn reversed_ranges_are_rejected(a in any::<u16>(), b in any::<u16>()) {
            prop_assume!(a != b);
            let (lo, hi) = (a.min(b), a.max(b));
            let spec = format!("{hi}-{lo}");
            prop_assert!(PortSet::parse(&spec).is_err());
        }

        #[test]
        fn out_of_range_numbers_are_rejected(n in 65536u32..10_000_000) {
            prop_assert!(PortSet::parse(&n.to_string()).is_err());
        }
    }
}
