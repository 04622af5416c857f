//! What the inputs held: how many resources of each type and how many hosts were read. Every report shows
//! it, `ingest::load` refuses an empty scan with it, and each rule declares the kinds it judges
//! (`RuleMeta::reads`) so that the engine lists a rule with none of them as "not evaluated".

use std::fmt;

use super::Environment;

/// A kind of thing rdsaudit reads, in the order the reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Nsgs,
    /// An NSG's own rules (Azure's default rules are not counted), and rules an input left unresolved.
    SecurityRules,
    Vnets,
    Subnets,
    Nics,
    PublicIps,
    Vms,
    BastionHosts,
    LoadBalancers,
    DomainServices,
    /// Host evidence folders.
    Hosts,
}

impl InputKind {
    pub const ALL: [InputKind; 11] = [
        InputKind::Nsgs,
        InputKind::SecurityRules,
        InputKind::Vnets,
        InputKind::Subnets,
        InputKind::Nics,
        InputKind::PublicIps,
        InputKind::Vms,
        InputKind::BastionHosts,
        InputKind::LoadBalancers,
        InputKind::DomainServices,
        InputKind::Hosts,
    ];

    /// The stable key of the JSON report's `coverage` and SARIF's `runs[0].properties.coverage`.
    pub fn key(self) -> &'static str {
        match self {
            InputKind::Nsgs => "nsgs",
            InputKind::SecurityRules => "security_rules",
            InputKind::Vnets => "vnets",
            InputKind::Subnets => "subnets",
            InputKind::Nics => "nics",
            InputKind::PublicIps => "public_ips",
            InputKind::Vms => "vms",
            InputKind::BastionHosts => "bastion_hosts",
            InputKind::LoadBalancers => "load_balancers",
            InputKind::DomainServices => "domain_services",
            InputKind::Hosts => "hosts",
        }
    }

    /// The table's short label for `n` of them (`1 NSG`, `3 NSGs`).
    pub fn label(self, n: usize) -> &'static str {
        let (one, many) = match self {
            InputKind::Nsgs => ("NSG", "NSGs"),
            InputKind::SecurityRules => ("rule", "rules"),
            InputKind::Vnets => ("VNet", "VNets"),
            InputKind::Subnets => ("subnet", "subnets"),
            InputKind::Nics => ("NIC", "NICs"),
            InputKind::PublicIps => ("public IP", "public IPs"),
            InputKind::Vms => ("VM", "VMs"),
            InputKind::BastionHosts => ("Bastion host", "Bastion hosts"),
            InputKind::LoadBalancers => ("load balancer", "load balancers"),
            InputKind::DomainServices => ("managed domain", "managed domains"),
            InputKind::Hosts => ("host", "hosts"),
        };
        if n == 1 {
            one
        } else {
            many
        }
    }

    /// Counted inside the kind listed before it: security rules inside NSGs, subnets inside VNets.
    pub fn is_part(self) -> bool {
        matches!(self, InputKind::SecurityRules | InputKind::Subnets)
    }
}

/// What "not evaluated: no … in the inputs" names.
impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputKind::Nsgs => "network security groups",
            InputKind::SecurityRules => "security rules",
            InputKind::Vnets => "virtual networks",
            InputKind::Subnets => "subnets",
            InputKind::Nics => "network interfaces",
            InputKind::PublicIps => "public IP addresses",
            InputKind::Vms => "virtual machines",
            InputKind::BastionHosts => "Bastion hosts",
            InputKind::LoadBalancers => "load balancers",
            InputKind::DomainServices => "Domain Services managed domains",
            InputKind::Hosts => "host evidence",
        })
    }
}

/// How many of each kind were read, after duplicates were merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage([usize; InputKind::ALL.len()]);

impl Coverage {
    pub fn get(&self, kind: InputKind) -> usize {
        self.0[kind as usize]
    }

    /// Every kind with its count, in report order.
    pub fn iter(&self) -> impl Iterator<Item = (InputKind, usize)> + '_ {
        InputKind::ALL.into_iter().map(|k| (k, self.get(k)))
    }

    /// No resource and no host evidence at all.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|n| *n == 0)
    }
}

impl Environment {
    /// Counts what the environment holds (computed on each call; the engine keeps one in its evaluation).
    pub fn coverage(&self) -> Coverage {
        Coverage(InputKind::ALL.map(|k| self.count(k)))
    }

    fn count(&self, kind: InputKind) -> usize {
        match kind {
            InputKind::Nsgs => self.nsgs.len(),
            InputKind::SecurityRules => {
                let own = self.nsgs.values().flat_map(|n| &n.rules).filter(|r| !r.default);
                own.count() + self.unresolved_rules.len()
            }
            InputKind::Vnets => self.vnets.len(),
            InputKind::Subnets => self.subnets.len(),
            InputKind::Nics => self.nics.len(),
            InputKind::PublicIps => self.public_ips.len(),
            InputKind::Vms => self.vms.len(),
            InputKind::BastionHosts => self.bastions.len(),
            InputKind::LoadBalancers => self.load_balancers.len(),
            InputKind::DomainServices => self.domain_services.len(),
            InputKind::Hosts => self.hosts.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_listed_in_their_own_order() {
        for (i, k) in InputKind::ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i, "{k:?} is out of place in ALL");
        }
    }

    #[test]
    fn an_empty_environment_has_empty_coverage() {
        let c = Environment::default().coverage();
        assert!(c.is_empty() && c.iter().all(|(_, n)| n == 0));
        assert_eq!((InputKind::Vms.label(1), InputKind::Vms.label(0)), ("VM", "VMs"));
    }
}
