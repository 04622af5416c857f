//! Reading one resource of each type from its JSON node. Malformed values (a port spec, a prefix, a
//! protocol) are errors with their origin; unresolved template expressions are kept as such.

use std::collections::BTreeMap;

use ipnet::IpNet;

use serde_json::Value;

use super::node::{unresolved, Node, Owned};
use crate::model::{
    last_segment, Bastion, IpConfig, Key, Meta, Peering, Ref, SecurityRule, Subnet, UnknownValue, UnresolvedRule, Vm,
};
use crate::net::addresses::{address_block, AddressSpec};
use crate::net::nsg::{Access, Direction};
use crate::net::partial::PartialRule;
use crate::net::ports::PortSet;
use crate::net::protocol::Protocol;
use crate::net::SpecError;
use crate::source::Origin;

/// A malformed value and where it is.
pub struct Bad {
    pub origin: Origin,
    pub message: String,
}

pub type Parsed<T> = Result<T, Bad>;

fn bad(origin: &Origin, message: impl Into<String>) -> Bad {
    Bad {
        origin: origin.clone(),
        message: message.into(),
    }
}

pub fn meta(n: Node<'_>, id: &str) -> Meta {
    let name = n
        .str("name")
        .map(str::to_string)
        .unwrap_or_else(|| last_segment(id).to_string());
    let tags: BTreeMap<String, String> = n
        .get("tags")
        .and_then(|t| t.value.as_object().cloned())
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Meta {
        id: id.to_string(),
        name,
        origin: n.origin.clone(),
        tags,
        condition: n.str(super::arm_template::CONDITION).map(str::to_string),
    }
}

/// Outcome of reading one security rule: a rule, or a rule whose fields an export left unresolved.
pub enum RuleRead {
    Rule(SecurityRule),
    Unresolved(UnresolvedRule),
}

/// The names a security rule's fields have in one input shape.
pub struct RuleFields {
    pub protocol: &'static str,
    pub access: &'static str,
    pub direction: &'static str,
    pub priority: &'static str,
    /// The single prefix, the prefix list and the application security groups.
    pub sources: [&'static str; 3],
    pub destinations: [&'static str; 3],
    /// The single port range and the list.
    pub ports: [&'static str; 2],
}

/// ARM, az CLI and Resource Graph: camelCase under `properties`.
pub const ARM_RULE: RuleFields = RuleFields {
    protocol: "protocol",
    access: "access",
    direction: "direction",
    priority: "priority",
    sources: [
        "sourceAddressPrefix",
        "sourceAddressPrefixes",
        "sourceApplicationSecurityGroups",
    ],
    destinations: [
        "destinationAddressPrefix",
        "destinationAddressPrefixes",
        "destinationApplicationSecurityGroups",
    ],
    ports: ["destinationPortRange", "destinationPortRanges"],
};

/// Terraform's azurerm provider: `security_rule` blocks and `azurerm_network_security_rule`.
pub const TERRAFORM_RULE: RuleFields = RuleFields {
    protocol: "protocol",
    access: "access",
    direction: "direction",
    priority: "priority",
    sources: [
        "source_address_prefix",
        "source_address_prefixes",
        "source_application_security_group_ids",
    ],
    destinations: [
        "destination_address_prefix",
        "destination_address_prefixes",
        "destination_application_security_group_ids",
    ],
    ports: ["destination_port_range", "destination_port_ranges"],
};

/// Reads one security rule of the NSG `nsg`. A field an ARM template leaves unresolved makes the rule an
/// [`UnresolvedRule`] that keeps every field that is known; a known but malformed field is an error.
pub fn security_rule(rule: Node<'_>, default: bool, nsg: &Key) -> Parsed<RuleRead> {
    security_rule_with(rule, default, nsg, &ARM_RULE)
}

/// [`security_rule`] for a shape whose fields are named by `f`.
pub fn security_rule_with(rule: Node<'_>, default: bool, nsg: &Key, f: &RuleFields) -> Parsed<RuleRead> {
    // Child resources in templates are named `parent/child`.
    let name = last_segment(rule.str("name").unwrap_or("")).to_string();
    let props = rule.props();
    let p = props.node();
    let mut unknown = Vec::new();
    // Whether none of `fields` is unresolved (the unresolved ones are recorded).
    let mut known = |fields: &[&str]| {
        let before = unknown.len();
        unknown.extend(fields.iter().flat_map(|key| unresolved_in(p, key)));
        unknown.len() == before
    };
    let known_protocol = known(&[f.protocol]);
    let known_access = known(&[f.access]);
    let known_direction = known(&[f.direction]);
    let known_priority = known(&[f.priority]);
    let known_sources = known(&f.sources);
    let known_destinations = known(&f.destinations);
    let known_ports = known(&f.ports);
    let partial = PartialRule {
        protocol: known_protocol
            .then(|| keyword(p, f.protocol, &name, Protocol::parse))
            .transpose()?,
        access: known_access
            .then(|| keyword(p, f.access, &name, Access::parse))
            .transpose()?,
        direction: known_direction
            .then(|| keyword(p, f.direction, &name, Direction::parse))
            .transpose()?,
        priority: known_priority.then(|| priority(p, f.priority, &name)).transpose()?,
        sources: known_sources.then(|| addresses(p, f.sources)).transpose()?,
        destinations: known_destinations.then(|| addresses(p, f.destinations)).transpose()?,
        dest_ports: known_ports.then(|| ports(p, f.ports, &name)).transpose()?,
    };
    let source_field = if p.str(f.sources[0]).is_some_and(|s| !s.is_empty()) {
        f.sources[0]
    } else {
        f.sources[1]
    };
    Ok(match partial.complete() {
        Some(spec) if unknown.is_empty() => RuleRead::Rule(SecurityRule {
            name,
            spec,
            default,
            origin: Some(rule.origin.clone()),
            fields: Some(p.origin.clone()),
            source_field,
            subject: None,
        }),
        _ => RuleRead::Unresolved(UnresolvedRule {
            nsg: nsg.clone(),
            name,
            origin: rule.origin.clone(),
            fields: p.origin.clone(),
            source_field,
            subject: None,
            known: partial,
            unknown,
        }),
    })
}

/// The unresolved template values of one field: the field itself, or elements of its list (an application
/// security group reference whose `id` is unresolved included).
pub fn unresolved_in(p: Node<'_>, key: &str) -> Vec<UnknownValue> {
    let Some(field) = p.get(key) else {
        return Vec::new();
    };
    fn marker(v: &Value) -> Option<(String, &Value)> {
        let id = v.get("id");
        unresolved(v)
            .map(|e| (e, v))
            .or_else(|| id.and_then(|id| unresolved(id).map(|e| (e, id))))
    }
    let one = |v: &Value, origin: &Origin| {
        marker(v).map(|(expression, m)| UnknownValue {
            field: key.to_string(),
            expression,
            reason: m.get("reason").and_then(Value::as_str).map(str::to_string),
            origin: origin.clone(),
        })
    };
    match field.value {
        Value::Array(_) => p.items(key).iter().filter_map(|i| one(i.value, &i.origin)).collect(),
        v => one(v, &field.origin).into_iter().collect(),
    }
}

/// A required keyword field (`protocol`, `access`, `direction`) parsed by `parse`.
fn keyword<T>(p: Node<'_>, key: &str, name: &str, parse: fn(&str) -> Result<T, SpecError>) -> Parsed<T> {
    let at = p.origin.child(key);
    match p.text(key) {
        Some(Ok(s)) => parse(s).map_err(|e| bad(&at, e.0)),
        Some(Err(v)) => Err(bad(&at, format!("invalid {key} {v}: expected a string"))),
        None => Err(bad(p.origin, format!("security rule '{name}' has no {key}"))),
    }
}

fn priority(p: Node<'_>, key: &str, name: &str) -> Parsed<u32> {
    let at = p.origin.child(key);
    match p.number(key) {
        Some(Ok(n)) => u32::try_from(n).map_err(|_| bad(&at, format!("priority {n} is out of range"))),
        Some(Err(v)) => Err(bad(&at, format!("invalid priority '{v}'"))),
        None => Err(bad(p.origin, format!("security rule '{name}' has no priority"))),
    }
}

/// The union of the single prefix, the prefix list and the application security groups (`fields`, in
/// that order).
fn addresses(p: Node<'_>, [single, list, asgs]: [&str; 3]) -> Parsed<Vec<AddressSpec>> {
    let mut out = Vec::new();
    if let Some(s) = p.str(single).filter(|s| !s.trim().is_empty()) {
        out.push(AddressSpec::parse(s).map_err(|e| bad(&p.origin.child(single), e.0))?);
    }
    for item in p.items(list) {
        let s = item
            .value
            .as_str()
            .ok_or_else(|| bad(&item.origin, "expected an address prefix string"))?;
        out.push(AddressSpec::parse(s).map_err(|e| bad(&item.origin, e.0))?);
    }
    out.extend(
        p.references(asgs)
            .iter()
            .filter_map(Ref::key)
            .map(|k| AddressSpec::Asg(k.as_str().to_string())),
    );
    Ok(out)
}

fn ports(p: Node<'_>, [single, list]: [&str; 2], name: &str) -> Parsed<PortSet> {
    let mut set = PortSet::default();
    let mut any = false;
    if let Some(s) = p.str(single).filter(|s| !s.trim().is_empty()) {
        set.union(&PortSet::parse(s).map_err(|e| bad(&p.origin.child(single), e.0))?);
        any = true;
    }
    for item in p.items(list) {
        let s = item
            .value
            .as_str()
            .ok_or_else(|| bad(&item.origin, "expected a port range string"))?;
        set.union(&PortSet::parse(s).map_err(|e| bad(&item.origin, e.0))?);
        any = true;
    }
    if !any {
        return Err(bad(
            p.origin,
            format!("security rule '{name}' has no destination port range"),
        ));
    }
    Ok(set)
}

pub fn prefixes(p: Node<'_>) -> Parsed<(Vec<IpNet>, Option<Origin>)> {
    let mut out = Vec::new();
    let mut origin = None;
    let mut push = |s: &str, at: &Origin| -> Parsed<()> {
        let net = s
            .trim()
            .parse::<IpNet>()
            .map_err(|_| bad(at, format!("invalid address prefix '{s}'")))?;
        out.push(net.trunc());
        origin.get_or_insert_with(|| at.clone());
        Ok(())
    };
    if let Some(o) = p.get("addressPrefix") {
        if let Some(s) = o.value.as_str() {
            push(s, &o.origin)?;
        }
    }
    for item in p.items("addressPrefixes") {
        if let Some(s) = item.value.as_str() {
            push(s, &item.origin)?;
        }
    }
    Ok((out, origin))
}

pub fn subnet(n: Node<'_>, id: &str, vnet: Key) -> Parsed<Subnet> {
    let props = n.props();
    let (prefixes, prefix_origin) = prefixes(props.node())?;
    Ok(Subnet {
        id: id.to_string(),
        name: last_segment(n.str("name").unwrap_or(id)).to_string(),
        vnet,
        prefixes,
        prefix_origin,
        nsg: props.node().reference("networkSecurityGroup"),
        origin: n.origin.clone(),
    })
}

pub fn peering(n: Node<'_>) -> Option<Peering> {
    let props = n.props();
    let p = props.node();
    Some(Peering {
        name: last_segment(n.str("name").unwrap_or("")).to_string(),
        remote: p.reference("remoteVirtualNetwork")?,
        state: p.str("peeringState").map(str::to_string),
    })
}

pub fn ip_config(n: Owned<'_>) -> Parsed<IpConfig> {
    let node = n.node();
    let props = node.props();
    let p = props.node();
    // An address, or a block (`10.0.0.16/28`, or an address with `privateIPAddressPrefixLength`).
    let prefix_len = p.number("privateIPAddressPrefixLength").and_then(Result::ok);
    let prefix_len = prefix_len.and_then(|n| u8::try_from(n).ok());
    let private_ip = match p.get("privateIPAddress") {
        Some(o) => match o.value.as_str() {
            Some(s) => {
                Some(address_block(s, prefix_len).ok_or_else(|| bad(&o.origin, format!("invalid IP address '{s}'")))?)
            }
            None => None,
        },
        None => None,
    };
    Ok(IpConfig {
        id: node.str("id").map(str::to_string),
        name: node.str("name").unwrap_or("").to_string(),
        private_ip,
        subnet: p.reference("subnet"),
        public_ip: p.reference("publicIPAddress"),
        asgs: p.references("applicationSecurityGroups"),
        backend_pools: p.references("loadBalancerBackendAddressPools"),
        nat_rules: p.references("loadBalancerInboundNatRules"),
        subnet_at: p.origin.child("subnet"),
        public_ip_at: p.origin.child("publicIPAddress"),
        origin: n.origin.clone(),
    })
}

/// `sku.name` wherever the shape puts it (top level in ARM and az output).
pub fn sku(n: Node<'_>) -> Option<String> {
    let props = n.props();
    let sku = n.get("sku").or_else(|| props.node().get("sku"))?;
    sku.node().str("name").map(str::to_string)
}

pub fn protocol_at(p: Node<'_>, key: &str) -> Parsed<Protocol> {
    let o = p.get(key).ok_or_else(|| bad(p.origin, format!("missing {key}")))?;
    let s = o
        .value
        .as_str()
        .ok_or_else(|| bad(&o.origin, format!("{key} is not a string")))?;
    Protocol::parse(s).map_err(|e| bad(&o.origin, e.0))
}

pub fn bastion(n: Node<'_>, id: &str) -> Bastion {
    let props = n.props();
    let p = props.node();
    let configs = p.items("ipConfigurations");
    Bastion {
        meta: meta(n, id),
        sku: sku(n),
        subnets: configs
            .iter()
            .filter_map(|c| c.node().props().node().reference("subnet"))
            .collect(),
        public_ips: configs
            .iter()
            .filter_map(|c| c.node().props().node().reference("publicIPAddress"))
            .collect(),
        vnet: p.reference("virtualNetwork"),
    }
}

pub fn vm(n: Node<'_>, id: &str) -> Vm {
    let props = n.props();
    let p = props.node();
    let nics = p
        .get("networkProfile")
        .map(|np| np.node().references("networkInterfaces"))
        .unwrap_or_default();
    Vm {
        meta: meta(n, id),
        computer_name: p
            .get("osProfile")
            .and_then(|o| o.node().str("computerName").map(str::to_string)),
        os: super::os::vm_os(p),
        nics,
    }
}
