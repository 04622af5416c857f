//! NSG and load balancer protocol fields, reduced to the transports RDP can use.

use std::fmt;

use crate::net::SpecError;

/// The two transports RDP uses (TCP 3389 and UDP 3389); exposure is tracked per transport
/// because a Deny Tcp alone leaves an Allow `*` open over UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    /// Both transports in the fixed order used by every verdict (Tcp then Udp).
    pub const ALL: [Transport; 2] = [Transport::Tcp, Transport::Udp];
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        })
    }
}

/// As messages show it: `TCP`, `UDP`, ..., or `any protocol` for `*` / `All`.
impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Icmp => "ICMP",
            Protocol::Esp => "ESP",
            Protocol::Ah => "AH",
            Protocol::Any => "any protocol",
        })
    }
}

/// The protocol of an NSG security rule or a load balancer rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    Esp,
    Ah,
    /// `*` on NSGs, `All` on load balancers.
    Any,
}

impl Protocol {
    /// Case-insensitive, surrounding whitespace ignored; `*` (NSG) and `All` (load
    /// balancer) both mean every protocol. Anything else is an input error rather than
    /// a guess, so a typo can never hide an open rule.
    pub fn parse(s: &str) -> Result<Self, SpecError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tcp" => Ok(Self::Tcp),
            "udp" => Ok(Self::Udp),
            "icmp" => Ok(Self::Icmp),
            "esp" => Ok(Self::Esp),
            "ah" => Ok(Self::Ah),
            "*" | "all" => Ok(Self::Any),
            _ => Err(SpecError(format!(
                "invalid protocol '{s}': expected Tcp, Udp, Icmp, Esp, Ah, * or All"
            ))),
        }
    }

    /// Whether traffic of transport `t` is matched by a rule with this protocol.
    pub fn carries(self, t: Transport) -> bool {
        matches!(
            (self, t),
            (Self::Any, _) | (Self::Tcp, Transport::Tcp) | (Self::Udp, Transport::Udp)
        )
    }

    /// The transports among Tcp/Udp this protocol carries, in Tcp-then-Udp order.
    pub fn transports(self) -> impl Iterator<Item = Transport> {
        Transport::ALL.into_iter().filter(move |t| self.carries(*t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_protocol_in_any_casing() {
        let cases = [
            ("Tcp", Protocol::Tcp),
            ("TCP", Protocol::Tcp),
            ("tcp", Protocol::Tcp),
            ("Udp", Protocol::Udp),
            ("uDp", Protocol::Udp),
            ("Icmp", Protocol::Icmp),
            ("ESP", Protocol::Esp),
            ("ah", Protocol::Ah),
            ("*", Protocol::Any),
            ("All", Protocol::Any),
            ("ALL", Protocol::Any),
            ("all", Protocol::Any),
            ("  Tcp\t", Protocol::Tcp),
            (" * ", Protocol::Any),
        ];
        for (s, want) in cases {
            assert_eq!(Protocol::parse(s), Ok(want), "{s:?}");
        }
    }

    #[test]
    fn rejects_unknown_protocols() {
        for s in ["", " ", "Any", "tcpp", "6", "Tcp,Udp", "**", "gre"] {
            let err = Protocol::parse(s).expect_err(s);
            assert!(err.0.contains("invalid protocol"), "{err}");
        }
    }

    #[test]
    fn carries_matches_the_rdp_transports() {
        assert!(Protocol::Tcp.carries(Transport::Tcp));
        assert!(!Protocol::Tcp.carries(Transport::Udp));
        assert!(Protocol::Udp.carries(Transport::Udp));
        assert!(!Protocol::Udp.carries(Transport::Tcp));
        assert!(Protocol::Any.carries(Transport::Tcp));
        assert!(Protocol::Any.carries(Transport::Udp));
        for p in [Protocol::Icmp, Protocol::Esp, Protocol::Ah] {
            for t in Transport::ALL {
                assert!(!p.carries(t), "{p:?} {t:?}");
            }
        }
    }

    #[test]
    fn transports_lists_carried_transports_in_order() {
        let list = |p: Protocol| p.transports().collect::<Vec<_>>();
        assert_eq!(list(Protocol::Any), vec![Transport::Tcp, Transport::Udp]);
        assert_eq!(list(Protocol::Tcp), vec![Transport::Tcp]);
        assert_eq!(list(Protocol::Udp), vec![Transport::Udp]);
        assert!(list(Protocol::Icmp).is_empty());
        assert!(list(Protocol::Esp).is_empty());
        assert!(list(Protocol::Ah).is_empty());
    }

    #[test]
    fn transport_order_is_tcp_then_udp() {
        assert!(Transport::Tcp < Transport::Udp);
        assert_eq!(Transport::ALL, [Transport::Tcp, Transport::Udp]);
    }
}
