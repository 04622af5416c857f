//! Load balancers: frontends, backend pools and the three kinds of inbound forwarding rules.

use super::node::{Node, Owned};
use super::parse::{self, Bad, Parsed};
use crate::model::{last_segment, BackendPool, Frontend, LbRule, LbRuleKind, LoadBalancer, Ref};

pub fn load_balancer(n: Node<'_>, id: &str) -> Parsed<LoadBalancer> {
    let props = n.props();
    let p = props.node();
    let frontends = p
        .items("frontendIPConfigurations")
        .iter()
        .map(|f| {
            let fnode = f.node();
            Frontend {
                id: fnode.str("id").map(str::to_string),
                name: fnode.str("name").unwrap_or("").to_string(),
                public_ip: fnode.props().node().reference("publicIPAddress"),
            }
        })
        .collect();
    let backend_pools = p
        .items("backendAddressPools")
        .iter()
        .map(|b| {
            let bnode = b.node();
            let bprops = bnode.props();
            let bp = bprops.node();
            let mut ip_configs = bp.references("backendIPConfigurations");
            for addr in bp.items("loadBalancerBackendAddresses") {
                let a = addr.node();
                if let Some(r) = a.props().node().reference("networkInterfaceIPConfiguration") {
                    ip_configs.push(r);
                }
            }
            BackendPool {
                id: bnode.str("id").map(str::to_string),
                name: bnode.str("name").unwrap_or("").to_string(),
                ip_configs,
            }
        })
        .collect();
    let mut rules = Vec::new();
    for kind in [
        LbRuleKind::InboundNatRule,
        LbRuleKind::InboundNatPool,
        LbRuleKind::LoadBalancingRule,
    ] {
        for item in p.items(kind.segment()) {
            rules.push(lb_rule(item, kind)?);
        }
    }
    Ok(LoadBalancer {
        meta: parse::meta(n, id),
        sku: parse::sku(n),
        frontends,
        backend_pools,
        rules,
    })
}

/// One NAT rule, NAT pool or load-balancing rule (also used for such rules exported as child resources).
pub fn lb_rule(item: Owned<'_>, kind: LbRuleKind) -> Parsed<LbRule> {
    let node = item.node();
    let props = node.props();
    let p = props.node();
    let unknown = parse::unresolved_in(p, "backendPort").into_iter().next();
    let backend_port = match p.number("backendPort") {
        _ if unknown.is_some() => 0,
        Some(Ok(n)) => u32::try_from(n).map_err(|_| Bad {
            origin: p.origin.child("backendPort"),
            message: format!("backend port {n} is out of range"),
        })?,
        Some(Err(v)) => {
            return Err(Bad {
                origin: p.origin.child("backendPort"),
                message: format!("invalid backend port '{v}'"),
            })
        }
        // NAT rules that target a backend pool may omit it; without it nothing is forwarded to 3389.
        None => {
            return Err(Bad {
                origin: p.origin.clone(),
                message: "load balancer rule has no backendPort".into(),
            })
        }
    };
    let frontend_port = match kind {
        LbRuleKind::InboundNatPool => match (p.number("frontendPortRangeStart"), p.number("frontendPortRangeEnd")) {
            (Some(Ok(a)), Some(Ok(b))) => Some(format!("{a}-{b}")),
            _ => None,
        },
        _ => p.number("frontendPort").and_then(Result::ok).map(|n| n.to_string()),
    };
    let mut frontends: Vec<Ref> = p.reference("frontendIPConfiguration").into_iter().collect();
    frontends.extend(p.references("frontendIPConfigurations"));
    let mut backend_pools: Vec<Ref> = p.reference("backendAddressPool").into_iter().collect();
    backend_pools.extend(p.references("backendAddressPools"));
    Ok(LbRule {
        kind,
        id: node.str("id").map(str::to_string),
        name: last_segment(node.str("name").unwrap_or("")).to_string(),
        protocol: match parse::unresolved_in(p, "protocol").into_iter().next() {
            Some(unknown) => Err(unknown),
            None => Ok(parse::protocol_at(p, "protocol")?),
        },
        frontend_port,
        backend_port: unknown.map_or(Ok(backend_port), Err),
        frontends,
        backend_ip_config: p.reference("backendIPConfiguration"),
        backend_pools,
        origin: item.origin.clone(),
        fields: p.origin.clone(),
    })
}
