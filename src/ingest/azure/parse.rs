//! Reading one resource of each type from its JSON node. Malformed values (a port spec, a prefix, a
//! protocol) are errors with their origin; unresolved template expressions are kept as such.

use std::collections::BTreeMap;

use ipnet::IpNet;

use super::node::{Node, Owned};
use crate::model::{last_segment, Bastion, IpConfig, Key, Meta, Peering, Ref, SecurityRule, Subnet, Vm};
use crate::net::addresses::AddressSpec;
use crate::net::nsg::{Access, Direction, RuleSpec};
use crate::net::ports::PortSet;
use crate::net::protocol::Protocol;
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

/// A required string field; an unresolved expression is returned as `Err(Ok(expr))`-like via `Unresolved`.
pub enum Field<'a> {
    Text(&'a str),
    Unresolved(String),
    Missing,
}

pub fn field<'a>(n: Node<'a>, key: &str) -> Field<'a> {
    match n.text(key) {
        Some(Ok(s)) => Field::Text(s),
        Some(Err(expr)) => Field::Unresolved(expr),
        None => Field::Missing,
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
    }
}

/// Outcome of reading one security rule: a rule, or a rule whose fields an export left unresolved.
pub enum RuleRead {
    Rule(SecurityRule),
    Unresolved(Unresolved),
}

/// A security rule with unresolved fields: its name, where it is, and which fields (`protocol = [...]`).
pub struct Unresolved {
    pub name: String,
    pub origin: Origin,
    pub reason: String,
}

pub fn security_rule(rule: Node<'_>, default: bool) -> Parsed<RuleRead> {
    // Child resources in templates are named `parent/child`.
    let name = last_segment(rule.str("name").unwrap_or("")).to_string();
    let props = rule.props();
    let p = props.node();
    let mut unresolved = Vec::new();
    let mut text = |key: &str| match field(p, key) {
        Field::Text(s) => Some(s),
        Field::Unresolved(e) => {
            unresolved.push(format!("{key} = {e}"));
            None
        }
        Field::Missing => None,
    };
    let protocol = text("protocol").map(|s| (s, Protocol::parse(s)));
    let access = text("access").map(Access::parse);
    let direction = text("direction").map(Direction::parse);
    let single_src = text("sourceAddressPrefix");
    let single_dst = text("destinationAddressPrefix");
    let single_port = text("destinationPortRange");
    if !unresolved.is_empty() {
        return Ok(RuleRead::Unresolved(Unresolved {
            name,
            origin: rule.origin.clone(),
            reason: unresolved.join(", "),
        }));
    }
    let at = |key: &str| p.origin.child(key);
    let protocol = match protocol {
        Some((_, Ok(pr))) => pr,
        Some((_, Err(e))) => return Err(bad(&at("protocol"), e.0)),
        None => return Err(bad(p.origin, format!("security rule '{name}' has no protocol"))),
    };
    let access = access
        .ok_or_else(|| bad(p.origin, format!("security rule '{name}' has no access")))?
        .map_err(|e| bad(&at("access"), e.0))?;
    let direction = direction
        .ok_or_else(|| bad(p.origin, format!("security rule '{name}' has no direction")))?
        .map_err(|e| bad(&at("direction"), e.0))?;
    let priority = match p.number("priority") {
        Some(Ok(n)) => u32::try_from(n).map_err(|_| bad(&at("priority"), format!("priority {n} is out of range")))?,
        Some(Err(v)) => return Err(bad(&at("priority"), format!("invalid priority '{v}'"))),
        None => return Err(bad(p.origin, format!("security rule '{name}' has no priority"))),
    };
    let sources = addresses(
        p,
        single_src,
        "sourceAddressPrefixes",
        "sourceApplicationSecurityGroups",
    )?;
    let destinations = addresses(
        p,
        single_dst,
        "destinationAddressPrefixes",
        "destinationApplicationSecurityGroups",
    )?;
    let dest_ports = ports(p, single_port, &name)?;
    let source_field = if single_src.is_some_and(|s| !s.is_empty()) {
        "sourceAddressPrefix"
    } else {
        "sourceAddressPrefixes"
    };
    let spec = RuleSpec {
        priority,
        access,
        direction,
        protocol,
        sources,
        destinations,
        dest_ports,
    };
    Ok(RuleRead::Rule(SecurityRule {
        name,
        spec,
        default,
        origin: Some(rule.origin.clone()),
        fields: Some(p.origin.clone()),
        source_field,
    }))
}

/// The union of the single prefix, the prefix list and the application security groups.
fn addresses(p: Node<'_>, single: Option<&str>, list: &str, asgs: &str) -> Parsed<Vec<AddressSpec>> {
    let mut out = Vec::new();
    if let Some(s) = single.filter(|s| !s.trim().is_empty()) {
        let key = if list.starts_with("source") {
            "sourceAddressPrefix"
        } else {
            "destinationAddressPrefix"
        };
        out.push(AddressSpec::parse(s).map_err(|e| bad(&p.origin.child(key), e.0))?);
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

fn ports(p: Node<'_>, single: Option<&str>, name: &str) -> Parsed<PortSet> {
    let mut set = PortSet::default();
    let mut any = false;
    if let Some(s) = single.filter(|s| !s.trim().is_empty()) {
        set.union(&PortSet::parse(s).map_err(|e| bad(&p.origin.child("destinationPortRange"), e.0))?);
        any = true;
    }
    for item in p.items("destinationPortRanges") {
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
    let private_ip = match p.get("privateIPAddress") {
        Some(o) => match o.value.as_str() {
            Some(s) => Some(
                s.trim()
                    .parse()
                    .map_err(|_| bad(&o.origin, format!("invalid IP address '{s}'")))?,
            ),
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
        fields: p.origin.clone(),
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
