//! Builds the `Environment` from the resources every input family yields. Child resources (security
//! rules, subnets, peerings, load-balancer rules listed on their own) are merged into their parent by
//! name; the same resource seen in several files is kept once, with a warning when the copies disagree.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::node::Node;
use super::parse::{self, Bad, RuleRead};
use super::*;
use crate::error::InputError;
use crate::ingest::RawResource;
use crate::net::nsg::default_rules;
use crate::source::{Loc, Origin};

/// A security rule that an export could not resolve, kept so RDS001 can say it was not evaluated.
#[derive(Debug, Clone)]
pub struct UnresolvedRule {
    pub nsg: Key,
    pub name: String,
    pub origin: Origin,
    pub reason: String,
}

pub struct Builder {
    env: Environment,
    /// Semantic digest and source of every resource kept, to spot disagreeing duplicates.
    seen: HashMap<Key, (u64, usize)>,
    /// Rules listed on their own: (NSG key, NSG ID as found, rule).
    child_rules: Vec<(Key, String, SecurityRule)>,
    child_peerings: Vec<(Key, Peering)>,
    child_lb_rules: Vec<(Key, LbRule)>,
}

impl Builder {
    pub fn new(env: Environment) -> Self {
        Self {
            env,
            seen: HashMap::new(),
            child_rules: Vec::new(),
            child_peerings: Vec::new(),
            child_lb_rules: Vec::new(),
        }
    }

    pub fn add(&mut self, raw: RawResource) -> Result<(), InputError> {
        let origin = Origin::pointer(raw.source, raw.pointer);
        let node = Node {
            value: &raw.value,
            origin: &origin,
        };
        let Some(id) = node.str("id").map(str::to_string) else {
            return Ok(());
        };
        let Some(kind) = resource_type(node, &id) else {
            return Ok(());
        };
        let key = Key::new(&id);
        if self.is_duplicate(&key, &raw.value, raw.source, kind.as_str()) {
            return Ok(());
        }
        self.add_typed(&kind, node, &id, key).map_err(|b| self.error(b))
    }

    fn add_typed(&mut self, kind: &str, n: Node<'_>, id: &str, key: Key) -> Result<(), Bad> {
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
                        self.push_rule(&key, &mut nsg, r.node(), default)?;
                    }
                }
                self.env.nsgs.insert(key, nsg);
            }
            "microsoft.network/networksecuritygroups/securityrules" => {
                if let Some(parent) = key.parent() {
                    let parent_id = id.trim_end_matches('/')[..parent.as_str().len()].to_string();
                    match parse::security_rule(n, false)? {
                        RuleRead::Rule(rule) => self.child_rules.push((parent, parent_id, rule)),
                        RuleRead::Unresolved { name, origin, reason } => {
                            self.env.unresolved_rules.push(UnresolvedRule {
                                nsg: parent,
                                name,
                                origin,
                                reason,
                            })
                        }
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
                    self.env.subnets.entry(Key::new(&sid)).or_insert(subnet);
                }
                vnet.peerings = p
                    .items("virtualNetworkPeerings")
                    .iter()
                    .filter_map(|o| parse::peering(o.node()))
                    .collect();
                self.env.vnets.insert(key, vnet);
            }
            "microsoft.network/virtualnetworks/subnets" => {
                if let Some(parent) = key.parent() {
                    let subnet = parse::subnet(n, id, parent)?;
                    self.env.subnets.entry(key).or_insert(subnet);
                }
            }
            "microsoft.network/virtualnetworks/virtualnetworkpeerings" => {
                if let (Some(parent), Some(peering)) = (key.parent(), parse::peering(n)) {
                    self.child_peerings.push((parent, peering));
                }
            }
            "microsoft.network/networkinterfaces" => {
                let ip_configs = p
                    .items("ipConfigurations")
                    .into_iter()
                    .map(parse::ip_config)
                    .collect::<Result<_, _>>()?;
                let nic = Nic {
                    meta: parse::meta(n, id),
                    ip_configs,
                    nsg: p.reference("networkSecurityGroup"),
                    vm: p.reference("virtualMachine"),
                };
                self.env.nics.insert(key, nic);
            }
            "microsoft.network/publicipaddresses" => {
                let pip = PublicIp {
                    meta: parse::meta(n, id),
                    sku: parse::sku(n),
                    address: p.str("ipAddress").map(str::to_string),
                    owner: p.reference("ipConfiguration"),
                };
                self.env.public_ips.insert(key, pip);
            }
            "microsoft.network/bastionhosts" => {
                let configs = p.items("ipConfigurations");
                let bastion = Bastion {
                    meta: parse::meta(n, id),
                    sku: parse::sku(n),
                    subnets: configs
                        .iter()
                        .filter_map(|c| c.node().props().node().reference("subnet"))
                        .collect(),
                    public_ips: configs
                        .iter()
                        .filter_map(|c| c.node().props().node().reference("publicIPAddress"))
                        .collect(),
                    vnet: p.reference("virtualNetwork"),
                };
                self.env.bastions.insert(key, bastion);
            }
            "microsoft.network/loadbalancers/inboundnatrules" => {
                self.child_lb_rule(n, &key, LbRuleKind::InboundNatRule)?
            }
            "microsoft.network/loadbalancers/inboundnatpools" => {
                self.child_lb_rule(n, &key, LbRuleKind::InboundNatPool)?
            }
            "microsoft.network/loadbalancers/loadbalancingrules" => {
                self.child_lb_rule(n, &key, LbRuleKind::LoadBalancingRule)?
            }
            "microsoft.network/loadbalancers" => {
                let lb = super::lb::load_balancer(n, id)?;
                self.env.load_balancers.insert(key, lb);
            }
            "microsoft.compute/virtualmachines" => {
                self.env.vms.insert(key, parse::vm(n, id));
            }
            "microsoft.aad/domainservices" => {
                let mut subnets: Vec<Ref> = p
                    .items("replicaSets")
                    .iter()
                    .filter_map(|r| r.node().str("subnetId").map(|s| Ref::Id(s.to_string())))
                    .collect();
                subnets.extend(p.str("subnetId").map(|s| Ref::Id(s.to_string())));
                self.env.domain_services.insert(
                    key,
                    DomainService {
                        meta: parse::meta(n, id),
                        subnets,
                    },
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn child_lb_rule(&mut self, n: Node<'_>, key: &Key, kind: LbRuleKind) -> Result<(), Bad> {
        if let Some(parent) = key.parent() {
            let owned = super::node::Owned {
                value: n.value,
                origin: n.origin.clone(),
            };
            self.child_lb_rules.push((parent, super::lb::lb_rule(owned, kind)?));
        }
        Ok(())
    }

    fn push_rule(&mut self, nsg_key: &Key, nsg: &mut Nsg, rule: Node<'_>, default: bool) -> Result<(), Bad> {
        match parse::security_rule(rule, default)? {
            RuleRead::Rule(r) => nsg.rules.push(r),
            RuleRead::Unresolved { name, origin, reason } => self.env.unresolved_rules.push(UnresolvedRule {
                nsg: nsg_key.clone(),
                name,
                origin,
                reason,
            }),
        }
        Ok(())
    }

    /// Keep the first copy of a resource; warn when a later copy says something else.
    fn is_duplicate(&mut self, key: &Key, value: &Value, source: usize, kind: &str) -> bool {
        if kind.matches('/').count() > 1 {
            return false; // child resources are merged by name later
        }
        let digest = digest(value);
        match self.seen.get(key) {
            None => {
                self.seen.insert(key.clone(), (digest, source));
                false
            }
            Some(&(d, first)) => {
                if d != digest {
                    let (a, b) = (&self.env.sources[first].display, &self.env.sources[source].display);
                    self.env.warnings.push(format!(
                        "{key}: defined differently in {a} and {b}; using {a}",
                        key = key.as_str()
                    ));
                }
                true
            }
        }
    }

    fn error(&self, bad: Bad) -> InputError {
        locate_error(&self.env, &bad.origin, bad.message)
    }

    pub fn finish(mut self) -> Environment {
        for (parent, parent_id, rule) in std::mem::take(&mut self.child_rules) {
            let nsg = self
                .env
                .nsgs
                .entry(parent)
                .or_insert_with(|| orphan_nsg(parent_id, &rule));
            if !nsg.rules.iter().any(|r| r.name.eq_ignore_ascii_case(&rule.name)) {
                nsg.rules.push(rule);
            }
        }
        for (parent, peering) in std::mem::take(&mut self.child_peerings) {
            if let Some(vnet) = self.env.vnets.get_mut(&parent) {
                if !vnet.peerings.iter().any(|p| p.name.eq_ignore_ascii_case(&peering.name)) {
                    vnet.peerings.push(peering);
                }
            }
        }
        for (parent, rule) in std::mem::take(&mut self.child_lb_rules) {
            if let Some(lb) = self.env.load_balancers.get_mut(&parent) {
                if !lb
                    .rules
                    .iter()
                    .any(|r| r.kind == rule.kind && r.name.eq_ignore_ascii_case(&rule.name))
                {
                    lb.rules.push(rule);
                }
            }
        }
        let subnets: Vec<(Key, Key)> = self
            .env
            .subnets
            .iter()
            .map(|(k, s)| (s.vnet.clone(), k.clone()))
            .collect();
        for (vnet, subnet) in subnets {
            if let Some(v) = self.env.vnets.get_mut(&vnet) {
                if !v.subnets.contains(&subnet) {
                    v.subnets.push(subnet);
                }
            }
        }
        for nsg in self.env.nsgs.values_mut() {
            add_default_rules(nsg);
        }
        self.index_vm_nics();
        self.env
    }
}

impl Builder {
    /// The NICs of each VM, from both directions of the reference, so that rules join in O(1).
    fn index_vm_nics(&mut self) {
        let env = &mut self.env;
        let mut index: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
        for (vm_key, vm) in &env.vms {
            let listed = vm.nics.iter().filter_map(Ref::key).filter(|k| env.nics.contains_key(k));
            index.entry(vm_key.clone()).or_default().extend(listed);
        }
        for (nic_key, nic) in &env.nics {
            if let Some(vm_key) = nic.vm.as_ref().and_then(Ref::key).filter(|k| env.vms.contains_key(k)) {
                index.entry(vm_key).or_default().push(nic_key.clone());
            }
        }
        for nics in index.values_mut() {
            nics.sort();
            nics.dedup();
        }
        env.nics_of_vm = index;
    }
}

/// An NSG known only through rules listed on their own (`az network nsg rule list`).
fn orphan_nsg(id: String, rule: &SecurityRule) -> Nsg {
    let name = super::last_segment(&id).to_string();
    let origin = rule.origin.clone().unwrap_or_else(|| Origin::pointer(0, ""));
    Nsg {
        meta: Meta {
            id,
            name,
            origin,
            tags: Default::default(),
        },
        rules: Vec::new(),
    }
}

/// Exports made by `az group export` carry no default rules; Azure always applies them.
fn add_default_rules(nsg: &mut Nsg) {
    for (name, spec) in default_rules() {
        if !nsg.rules.iter().any(|r| r.default && r.name.eq_ignore_ascii_case(name)) {
            nsg.rules.push(SecurityRule {
                name: name.to_string(),
                spec,
                default: true,
                origin: None,
                fields: None,
                source_field: "sourceAddressPrefix",
            });
        }
    }
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

/// Turn an origin into an input error with line and column.
fn locate_error(env: &Environment, origin: &Origin, message: String) -> InputError {
    let source = &env.sources[origin.source];
    match &origin.loc {
        Loc::Pointer(p) => source.error_at_pointer(p, message),
        Loc::Span(s) => source.error_at(s.start, message),
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
