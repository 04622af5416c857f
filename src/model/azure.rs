//! Azure resources as the rules see them, whatever input family they came from.

use ipnet::IpNet;

use super::{Key, Meta, Ref, UnknownValue};
use crate::net::nsg::RuleSpec;
use crate::source::Origin;

#[derive(Debug, Clone)]
pub struct Nsg {
    pub meta: Meta,
    /// User rules and Azure's default rules (added when the export lacks them), in input order.
    pub rules: Vec<SecurityRule>,
}

#[derive(Debug, Clone)]
pub struct SecurityRule {
    pub name: String,
    pub spec: RuleSpec,
    /// Azure's built-in rule (from `defaultSecurityRules`, or added by rdsaudit when absent).
    pub default: bool,
    /// The rule's definition (`None` for default rules rdsaudit added itself).
    pub origin: Option<Origin>,
    /// The object holding the rule's fields (the rule itself, or its `properties`).
    pub fields: Option<Origin>,
    /// Which field held the sources (`sourceAddressPrefix` or `sourceAddressPrefixes`), for pointing at it.
    pub source_field: &'static str,
    /// The rule's own subject when the input names it apart from its NSG (a Terraform
    /// `azurerm_network_security_rule` address); `None`: `<NSG>/securityRules/<name>`.
    pub subject: Option<String>,
}

impl AsRef<RuleSpec> for SecurityRule {
    fn as_ref(&self) -> &RuleSpec {
        &self.spec
    }
}

#[derive(Debug, Clone)]
pub struct Vnet {
    pub meta: Meta,
    pub subnets: Vec<Key>,
    pub peerings: Vec<Peering>,
}

#[derive(Debug, Clone)]
pub struct Peering {
    pub name: String,
    pub remote: Ref,
    /// `peeringState`; `None` when not given (counts as connected).
    pub state: Option<String>,
}

impl Peering {
    pub fn is_connected(&self) -> bool {
        self.state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("connected"))
    }
}

#[derive(Debug, Clone)]
pub struct Subnet {
    pub id: String,
    pub name: String,
    pub vnet: Key,
    pub prefixes: Vec<IpNet>,
    /// The field that held the prefix, for pointing at it.
    pub prefix_origin: Option<Origin>,
    pub nsg: Option<Ref>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Nic {
    pub meta: Meta,
    pub ip_configs: Vec<IpConfig>,
    pub nsg: Option<Ref>,
    pub vm: Option<Ref>,
}

#[derive(Debug, Clone)]
pub struct IpConfig {
    pub id: Option<String>,
    pub name: String,
    /// The private address as a one-address block, or the block given by `privateIPAddressPrefixLength`.
    pub private_ip: Option<IpNet>,
    pub subnet: Option<Ref>,
    pub public_ip: Option<Ref>,
    pub asgs: Vec<Ref>,
    pub backend_pools: Vec<Ref>,
    pub nat_rules: Vec<Ref>,
    pub origin: Origin,
    /// Where its subnet and public IP references are, or would be (`subnet`, `publicIPAddress` in ARM;
    /// `subnet_id`, `public_ip_address_id` in Terraform): what a finding about them points at.
    pub subnet_at: Origin,
    pub public_ip_at: Origin,
}

#[derive(Debug, Clone)]
pub struct PublicIp {
    pub meta: Meta,
    /// `sku.name` (`Basic`, `Standard`); `None` for old exports without a sku (treated as Basic).
    pub sku: Option<String>,
    pub address: Option<String>,
    /// The ipConfiguration that holds it: a NIC's, a Bastion's, a load balancer frontend's, a NAT gateway's.
    pub owner: Option<Ref>,
}

impl PublicIp {
    pub fn is_standard(&self) -> bool {
        self.sku.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("standard"))
    }
}

#[derive(Debug, Clone)]
pub struct Vm {
    pub meta: Meta,
    pub computer_name: Option<String>,
    /// From the OS profile, the OS disk or the marketplace image; `Unknown` when none of them says.
    pub os: Os,
    pub nics: Vec<Ref>,
}

/// A VM's operating system as far as its definition tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Windows,
    /// Linux, or anything else that is known not to be Windows.
    Other,
    Unknown,
}

impl Vm {
    /// The computer name the host evidence uses: `osProfile.computerName`, else the VM name.
    pub fn host_name(&self) -> &str {
        self.computer_name.as_deref().unwrap_or(&self.meta.name)
    }
}

#[derive(Debug, Clone)]
pub struct Bastion {
    pub meta: Meta,
    pub sku: Option<String>,
    pub subnets: Vec<Ref>,
    pub public_ips: Vec<Ref>,
    /// Developer SKU: no subnet, serves the VNet named here.
    pub vnet: Option<Ref>,
}

#[derive(Debug, Clone)]
pub struct LoadBalancer {
    pub meta: Meta,
    pub sku: Option<String>,
    pub frontends: Vec<Frontend>,
    pub backend_pools: Vec<BackendPool>,
    pub rules: Vec<LbRule>,
}

impl LoadBalancer {
    pub fn is_standard(&self) -> bool {
        self.sku.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("standard"))
    }

    pub fn frontend(&self, r: &Ref) -> Option<&Frontend> {
        let k = r.key()?;
        self.frontends
            .iter()
            .find(|f| f.id.as_deref().map(Key::new).as_ref() == Some(&k))
    }

    /// Whether a rule forwards RDP from the internet: a public frontend, a backend port covering 3389
    /// (0 is HA ports) and a protocol carrying TCP or UDP. `Err`: a public rule that what is known does not
    /// rule out, whose protocol or backend port the input leaves unresolved.
    pub fn forwards_rdp<'r>(&self, rule: &'r LbRule) -> Result<bool, &'r UnknownValue> {
        let no_transport = rule.protocol.as_ref().is_ok_and(|p| p.transports().next().is_none());
        let other_port = rule
            .backend_port
            .as_ref()
            .is_ok_and(|p| !crate::net::ports::lb_backend_port_covers(*p, crate::net::RDP_PORT));
        if no_transport || other_port || !self.rule_is_public(rule) {
            return Ok(false);
        }
        // What is known lets RDP through: an unresolved protocol or port leaves it undecided.
        match (&rule.protocol, &rule.backend_port) {
            (Err(unknown), _) | (_, Err(unknown)) => Err(unknown),
            _ => Ok(true),
        }
    }

    /// `load balancer lb inboundNatRules r (Tcp 50001 -> 3389)`, for messages and evidence.
    pub fn describe_rule(&self, rule: &LbRule) -> String {
        let backend = match &rule.backend_port {
            Ok(0) => "every port".to_string(),
            Ok(port) => port.to_string(),
            Err(unknown) => unknown.expression.clone(),
        };
        let protocol = match &rule.protocol {
            Ok(p) => p.to_string(),
            Err(unknown) => unknown.expression.clone(),
        };
        format!(
            "load balancer {} {} {} ({protocol} {} -> {backend})",
            self.meta.name,
            rule.kind.segment(),
            rule.name,
            rule.frontend_port.as_deref().unwrap_or("?")
        )
    }

    /// Whether a rule listens on a public frontend (when the rule's frontend is not found, any public
    /// frontend of the load balancer counts: never a silent pass).
    pub fn rule_is_public(&self, rule: &LbRule) -> bool {
        let named: Vec<&Frontend> = rule.frontends.iter().filter_map(|r| self.frontend(r)).collect();
        let candidates: Vec<&Frontend> = if named.is_empty() {
            self.frontends.iter().collect()
        } else {
            named
        };
        candidates.iter().any(|f| f.public_ip.is_some())
    }
}

#[derive(Debug, Clone)]
pub struct Frontend {
    pub id: Option<String>,
    pub name: String,
    pub public_ip: Option<Ref>,
}

#[derive(Debug, Clone)]
pub struct BackendPool {
    pub id: Option<String>,
    pub name: String,
    /// NIC ipConfigurations listed by the pool itself (NICs may instead list the pool).
    pub ip_configs: Vec<Ref>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LbRuleKind {
    InboundNatRule,
    InboundNatPool,
    LoadBalancingRule,
}

impl LbRuleKind {
    /// The path segment of the rule under its load balancer.
    pub fn segment(self) -> &'static str {
        match self {
            LbRuleKind::InboundNatRule => "inboundNatRules",
            LbRuleKind::InboundNatPool => "inboundNatPools",
            LbRuleKind::LoadBalancingRule => "loadBalancingRules",
        }
    }
}

#[derive(Debug, Clone)]
pub struct LbRule {
    pub kind: LbRuleKind,
    pub id: Option<String>,
    pub name: String,
    /// `Err` when the input leaves it unresolved.
    pub protocol: Result<crate::net::protocol::Protocol, UnknownValue>,
    pub frontend_port: Option<String>,
    /// `Err` when the input leaves it unresolved (an ARM template parameter without a value).
    pub backend_port: Result<u32, UnknownValue>,
    pub frontends: Vec<Ref>,
    /// NAT rule target (`backendIPConfiguration`) or the rule's backend pool(s).
    pub backend_ip_config: Option<Ref>,
    pub backend_pools: Vec<Ref>,
    pub origin: Origin,
    pub fields: Origin,
}

#[derive(Debug, Clone)]
pub struct DomainService {
    pub meta: Meta,
    /// The managed domain's own subnets (`replicaSets[].subnetId`, or the legacy `subnetId`).
    pub subnets: Vec<Ref>,
}
