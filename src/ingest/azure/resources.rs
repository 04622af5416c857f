//! One Azure resource object (az CLI, ARM REST, Resource Graph or an expanded template) into the model's
//! typed items for the builder (`stage`). Malformed values the rules need are input errors at their line and column.

use serde_json::Value;

use super::lb;
use super::node::{Node, Owned};
use super::parse::{self, Bad, RuleRead};
use super::stage::{Item, Staged};
use crate::error::InputError;
use crate::model::{DomainService, Key, LbRuleKind, Nic, Nsg, PublicIp, Ref, Vnet};
use crate::source::{Loc, Origin, Source, SourceId};

/// Read one resource of `source` (whose ID in the staged origins is `id`) into its model items. Resources
/// of types no rule reads give nothing.
pub fn stage(source: &Source, id: SourceId, pointer: String, value: &Value) -> Option<Staged> {
    let origin = Origin::pointer(id, pointer);
    let node = Node { value, origin: &origin };
    let id = node.str("id")?.to_string();
    let kind = resource_type(node, &id)?;
    // Child resources are merged by name later; top-level ones are kept once.
    let is_child = kind.matches('/').count() > 1;
    let mut items = Vec::new();
    let read = add_typed(&mut items, &kind, node, &id).map_err(|bad| locate(source, &bad));
    Some(Staged {
        claim: (!is_child).then(|| (Key::new(&id), digest(value), origin.clone())),
        items: read.map(|()| items),
    })
}

fn add_typed(b: &mut Vec<Item>, kind: &str, n: Node<'_>, id: &str) -> Result<(), Bad> {
    let key = Key::new(id);
    let props = n.props();
    let p = props.node();
    match kind {
        "microsoft.network/networksecuritygroups" => {
            let mut nsg = Nsg {
                meta: parse::meta(n, id),
                rules: Vec::new(),
            };
            for (list, default) in [("securityRules", false), ("defaultSecurityRules", true)] {
                for r in p.items(list) {
                    match parse::security_rule(r.node(), default, &key)? {
                        RuleRead::Rule(rule) => nsg.rules.push(rule),
                        RuleRead::Unresolved(u) => b.push(Item::UnresolvedRule(u)),
                    }
                }
            }
            b.push(Item::Nsg(nsg));
        }
        "microsoft.network/networksecuritygroups/securityrules" => {
            if let Some(parent) = key.parent() {
                match parse::security_rule(n, false, &parent)? {
                    RuleRead::Rule(rule) => b.push(Item::SecurityRule(
                        id.trim_end_matches('/')[..parent.as_str().len()].to_string(),
                        rule,
                    )),
                    RuleRead::Unresolved(u) => b.push(Item::UnresolvedRule(u)),
                }
            }
        }
        "microsoft.network/virtualnetworks" => {
            let mut vnet = Vnet {
                meta: parse::meta(n, id),
                subnets: Vec::new(),
                peerings: Vec::new(),
            };
            for s in p.items("subnets") {
                let sn = s.node();
                let sid = sn
                    .str("id")
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{id}/subnets/{}", sn.str("name").unwrap_or("")));
                let subnet = parse::subnet(sn, &sid, key.clone())?;
                vnet.subnets.push(Key::new(&sid));
                b.push(Item::Subnet(subnet));
            }
            vnet.peerings = p
                .items("virtualNetworkPeerings")
                .iter()
                .filter_map(|o| parse::peering(o.node()))
                .collect();
            b.push(Item::Vnet(vnet));
        }
        "microsoft.network/virtualnetworks/subnets" => {
            if let Some(parent) = key.parent() {
                b.push(Item::Subnet(parse::subnet(n, id, parent)?));
            }
        }
        "microsoft.network/virtualnetworks/virtualnetworkpeerings" => {
            if let (Some(parent), Some(peering)) = (key.parent(), parse::peering(n)) {
                b.push(Item::Peering(parent, peering));
            }
        }
        "microsoft.network/networkinterfaces" => {
            let ip_configs = p
                .items("ipConfigurations")
                .into_iter()
                .map(parse::ip_config)
                .collect::<Result<_, _>>()?;
            b.push(Item::Nic(Nic {
                meta: parse::meta(n, id),
                ip_configs,
                nsg: p.reference("networkSecurityGroup"),
                vm: p.reference("virtualMachine"),
            }));
        }
        "microsoft.network/publicipaddresses" => b.push(Item::PublicIp(PublicIp {
            meta: parse::meta(n, id),
            sku: parse::sku(n),
            address: p.str("ipAddress").map(str::to_string),
            owner: p.reference("ipConfiguration"),
        })),
        "microsoft.network/bastionhosts" => b.push(Item::Bastion(parse::bastion(n, id))),
        "microsoft.network/loadbalancers/inboundnatrules" => child_lb_rule(b, n, &key, LbRuleKind::InboundNatRule)?,
        "microsoft.network/loadbalancers/inboundnatpools" => child_lb_rule(b, n, &key, LbRuleKind::InboundNatPool)?,
        "microsoft.network/loadbalancers/loadbalancingrules" => {
            child_lb_rule(b, n, &key, LbRuleKind::LoadBalancingRule)?
        }
        "microsoft.network/loadbalancers" => b.push(Item::LoadBalancer(lb::load_balancer(n, id)?)),
        "microsoft.compute/virtualmachines" => b.push(Item::Vm(parse::vm(n, id))),
        "microsoft.aad/domainservices" => {
            let mut subnets: Vec<Ref> = p
                .items("replicaSets")
                .iter()
                .filter_map(|r| r.node().str("subnetId").map(|s| Ref::Id(s.to_string())))
                .collect();
            subnets.extend(p.str("subnetId").map(|s| Ref::Id(s.to_string())));
            b.push(Item::DomainService(DomainService {
                meta: parse::meta(n, id),
                subnets,
            }));
        }
        _ => {}
    }
    Ok(())
}

fn child_lb_rule(b: &mut Vec<Item>, n: Node<'_>, key: &Key, kind: LbRuleKind) -> Result<(), Bad> {
    if let Some(parent) = key.parent() {
        let owned = Owned {
            value: n.value,
            origin: n.origin.clone(),
        };
        b.push(Item::LbRule(parent, Box::new(lb::lb_rule(owned, kind)?)));
    }
    Ok(())
}

/// The lower-cased resource type: `type` when given, else derived from the ID.
fn resource_type(n: Node<'_>, id: &str) -> Option<String> {
    if let Some(t) = n.str("type") {
        return Some(t.to_ascii_lowercase());
    }
    let lower = id.to_ascii_lowercase();
    let after = lower.split_once("/providers/")?.1;
    let mut segs = after.split('/');
    let mut out = segs.next()?.to_string();
    for (i, s) in segs.enumerate() {
        if i % 2 == 0 {
            out.push('/');
            out.push_str(s);
        }
    }
    Some(out)
}

/// A malformed value as an input error with line and column.
pub(crate) fn locate(source: &Source, bad: &Bad) -> InputError {
    match &bad.origin.loc {
        Loc::Pointer(p) => source.error_at_pointer(p, bad.message.clone()),
        Loc::Span(s) => source.error_at(s.start, bad.message.clone()),
    }
}

/// A digest of what a resource says, insensitive to the shape it was exported in: `properties` wrappers
/// are flattened, keys sorted, strings compared case-insensitively, volatile fields ignored.
fn digest(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(v: &Value, h: &mut std::collections::hash_map::DefaultHasher) {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = Vec::new();
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("properties", Value::Object(inner)) => entries.extend(inner.iter()),
                        _ => entries.push((k, v)),
                    }
                }
                entries.retain(|(k, v)| {
                    !is_empty(v)
                        && !matches!(
                            k.as_str(),
                            "etag"
                                | "provisioningState"
                                | "resourceGuid"
                                | "type"
                                | "id"
                                | "resourceGroup"
                                | "subscriptionId"
                                | "tenantId"
                        )
                });
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (k, v) in entries {
                    k.hash(h);
                    walk(v, h);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, h)),
            Value::String(s) => s.to_ascii_lowercase().hash(h),
            other => other.to_string().hash(h),
        }
    }
    fn is_empty(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    walk(v, &mut h);
    h.finish()
}
