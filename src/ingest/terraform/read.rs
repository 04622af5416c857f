//! azurerm resource instances into the model's typed items. A resource's subject is its Terraform address;
//! what ARM names as a child is named below its parent's address (`<NSG address>/securityRules/<name>`,
//! `<VNet address>/subnets/<name>`), so that the rules join them as they join ARM IDs. References are
//! joined by the IDs the plan knows, else through the configuration (`refs`); one that stays unknown is
//! kept as unresolved.

use std::collections::HashMap;

use serde_json::Value;

use super::refs::{Config, Resolved, Targets};
use super::{Instance, UNKNOWN_REASON};
use crate::error::InputError;
use crate::ingest::azure::node::{unresolved, Node};
use crate::ingest::azure::os::{image, os_type};
use crate::ingest::azure::parse::{self, Bad, Parsed, RuleRead, TERRAFORM_RULE};
use crate::ingest::azure::stage::{Item, Staged};
use crate::model::{
    Bastion, DomainService, IpConfig, Key, LbRule, LbRuleKind, LoadBalancer, Meta, Nic, Nsg, Os, Peering, PublicIp,
    Ref, Subnet, UnknownValue, UnresolvedRule, Vm, Vnet,
};
use crate::net::addresses::address_block;
use crate::source::{Origin, Source};

const NSG: &str = "azurerm_network_security_group";
const NIC: &str = "azurerm_network_interface";
const PIP: &str = "azurerm_public_ip";
const VNET: &str = "azurerm_virtual_network";
const SUBNET: &str = "azurerm_subnet";
const LB: &str = "azurerm_lb";
const POOL: &str = "azurerm_lb_backend_address_pool";
const NAT_RULE: &str = "azurerm_lb_nat_rule";
const VMS: [&str; 3] = [
    "azurerm_windows_virtual_machine",
    "azurerm_linux_virtual_machine",
    "azurerm_virtual_machine",
];

/// The ARM resource type each azurerm type stands for (the last type segment), to match IDs the plan knows.
const ARM_TYPES: &[(&str, &str)] = &[
    (NSG, "networksecuritygroups"),
    (NIC, "networkinterfaces"),
    (PIP, "publicipaddresses"),
    (VNET, "virtualnetworks"),
    ("azurerm_bastion_host", "bastionhosts"),
    (LB, "loadbalancers"),
    ("azurerm_windows_virtual_machine", "virtualmachines"),
    ("azurerm_linux_virtual_machine", "virtualmachines"),
    ("azurerm_virtual_machine", "virtualmachines"),
    ("azurerm_active_directory_domain_service", "domainservices"),
];

/// Everything the instances of one file are read with.
struct Ctx<'a> {
    config: &'a Config<'a>,
    targets: Targets,
    /// Address -> the instance's ID in the model.
    ids: HashMap<String, String>,
    /// Lower-cased `resourcegroup/type/name[/childtype/childname]` -> ID in the model: references the plan
    /// knows as Azure resource IDs (an update, a state) join the resources of the same plan.
    tails: HashMap<String, String>,
}

/// A change to an item another resource declares (the association resources).
enum Patch {
    SubnetNsg(Key, Ref, String),
    NicNsg(Key, Ref, String),
    NicPool(Key, String, Ref, String),
    NicNatRule(Key, String, Ref, String),
}

pub fn stage(source: &Source, config: &Config<'_>, instances: Vec<Instance>) -> (Vec<Staged>, Vec<String>) {
    let mut ctx = Ctx {
        config,
        targets: Targets::new(&instances),
        ids: HashMap::new(),
        tails: HashMap::new(),
    };
    ctx.index(&instances);
    let mut staged = Vec::new();
    let mut patches = Vec::new();
    for inst in &instances {
        let origin = Origin::pointer(0, inst.pointer.clone());
        let node = Node {
            value: &inst.values,
            origin: &origin,
        };
        let mut items = Vec::new();
        let read = ctx.read(inst, node, &mut items, &mut patches);
        let digest = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            inst.values.to_string().hash(&mut h);
            h.finish()
        };
        staged.push(Staged {
            claim: Some((Key::new(&inst.address), digest, origin.clone())),
            items: read.map(|()| items).map_err(|bad| locate(source, &bad)),
        });
    }
    let warnings = apply(&mut staged, patches);
    (staged, warnings)
}

fn locate(source: &Source, bad: &Bad) -> InputError {
    crate::ingest::azure::resources::locate(source, bad)
}

/// Apply the associations to the subnets and NICs of the same file; one whose target is not in it is a
/// warning (that subnet or NIC is not judged from this file).
fn apply(staged: &mut [Staged], patches: Vec<Patch>) -> Vec<String> {
    let mut warnings = Vec::new();
    for patch in patches {
        let mut items = staged.iter_mut().filter_map(|s| s.items.as_mut().ok()).flatten();
        let done = match &patch {
            Patch::SubnetNsg(key, nsg, _) => items
                .find_map(|i| match i {
                    Item::Subnet(s) if Key::new(&s.id) == *key => Some(s),
                    _ => None,
                })
                .map(|s| s.nsg = Some(nsg.clone()))
                .is_some(),
            Patch::NicNsg(key, nsg, _) => items
                .find_map(|i| match i {
                    Item::Nic(n) if n.meta.key() == *key => Some(n),
                    _ => None,
                })
                .map(|n| n.nsg = Some(nsg.clone()))
                .is_some(),
            Patch::NicPool(key, cfg, r, _) | Patch::NicNatRule(key, cfg, r, _) => {
                let pool = matches!(patch, Patch::NicPool(..));
                items
                    .find_map(|i| match i {
                        Item::Nic(n) if n.meta.key() == *key => Some(n),
                        _ => None,
                    })
                    .and_then(|n| n.ip_configs.iter_mut().find(|c| c.name.eq_ignore_ascii_case(cfg)))
                    .map(|c| match pool {
                        true => c.backend_pools.push(r.clone()),
                        false => c.nat_rules.push(r.clone()),
                    })
                    .is_some()
            }
        };
        if !done {
            let (address, target) = match &patch {
                Patch::SubnetNsg(k, _, a) | Patch::NicNsg(k, _, a) => (a, k),
                Patch::NicPool(k, _, _, a) | Patch::NicNatRule(k, _, _, a) => (a, k),
            };
            warnings.push(format!(
                "{address}: associates {} which is not in the same plan or state; it is not applied",
                target.as_str()
            ));
        }
    }
    warnings
}

impl Ctx<'_> {
    /// The model ID of every instance, and the Azure ID tails they answer to.
    fn index(&mut self, instances: &[Instance]) {
        for inst in instances.iter().filter(|i| i.rtype != SUBNET) {
            self.ids.insert(inst.address.clone(), inst.address.clone());
        }
        for inst in instances {
            let v = &inst.values;
            let (name, rg) = (str_of(v, "name"), str_of(v, "resource_group_name"));
            let id = match inst.rtype.as_str() {
                SUBNET => {
                    let node_origin = Origin::pointer(0, "");
                    let node = Node {
                        value: v,
                        origin: &node_origin,
                    };
                    let vnet = self.vnet_of(inst, node);
                    let id = format!("{vnet}/subnets/{}", name.unwrap_or(""));
                    self.ids.insert(inst.address.clone(), id.clone());
                    id
                }
                _ => inst.address.clone(),
            };
            // An association's ID is its subnet's or NIC's: it names no resource of its own.
            let own_id = str_of(v, "id").filter(|s| s.starts_with('/') && !inst.rtype.ends_with("_association"));
            if let Some(azure_id) = own_id {
                self.tails.insert(tail(azure_id), id.clone());
            }
            let arm = ARM_TYPES.iter().find(|(t, _)| *t == inst.rtype).map(|(_, a)| *a);
            if let (Some(arm), Some(name), Some(rg)) = (arm, name, rg) {
                self.tails
                    .insert(format!("{rg}/{arm}/{name}").to_ascii_lowercase(), id.clone());
            }
            if inst.rtype == SUBNET {
                if let (Some(vnet), Some(name), Some(rg)) = (str_of(v, "virtual_network_name"), name, rg) {
                    let t = format!("{rg}/virtualnetworks/{vnet}/subnets/{name}").to_ascii_lowercase();
                    self.tails.insert(t, id.clone());
                }
            }
            if inst.rtype == VNET {
                for s in v.get("subnet").and_then(Value::as_array).into_iter().flatten() {
                    let Some(sname) = str_of(s, "name") else { continue };
                    let sid = format!("{}/subnets/{sname}", inst.address);
                    if let Some(azure_id) = str_of(s, "id").filter(|s| s.starts_with('/')) {
                        self.tails.insert(tail(azure_id), sid.clone());
                    }
                    if let (Some(name), Some(rg)) = (name, rg) {
                        let t = format!("{rg}/virtualnetworks/{name}/subnets/{sname}").to_ascii_lowercase();
                        self.tails.insert(t, sid);
                    }
                }
            }
        }
    }

    /// The model ID of a subnet's VNet: the VNet resource its configuration references, one of the same
    /// name and resource group, else an ARM ID with the names the plan gives (`{subscriptionId}` for the
    /// subscription, as for templates).
    fn vnet_of(&self, inst: &Instance, n: Node<'_>) -> String {
        if let Some(Ref::Id(id)) = self.reference(inst, n, &["virtual_network_name"], &[VNET]) {
            return id;
        }
        let rg = n.str("resource_group_name").unwrap_or("{resourceGroup}");
        let vnet = n.str("virtual_network_name").unwrap_or("{virtualNetworkName}");
        let arm = format!(
            "/subscriptions/{{subscriptionId}}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}"
        );
        self.tails.get(&tail(&arm)).cloned().unwrap_or(arm)
    }

    /// A reference attribute at `path` below the resource: a known ID (joined to the resource of this file
    /// it names, else kept as is), a known empty value (none), or an unknown one joined through the
    /// configuration to an instance of one of the `wanted` types. A name attribute (`virtual_network_name`)
    /// is joined by name too.
    fn reference(&self, inst: &Instance, n: Node<'_>, path: &[&str], wanted: &[&str]) -> Option<Ref> {
        let v = descend(n.value, path)?;
        match v {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) if s.starts_with('/') => Some(Ref::Id(self.known(s))),
            Value::String(_) => match self.config.resolve(inst, path, wanted, &self.targets) {
                Resolved::Found(found) => self.ids.get(&found[0]).cloned().map(Ref::Id),
                Resolved::Unknown(_) => None,
            },
            _ if unresolved(v).is_some() => Some(self.through_config(inst, path, wanted, v).swap_remove(0)),
            _ => None,
        }
    }

    /// Every reference of a list attribute (`network_interface_ids`).
    fn references(&self, inst: &Instance, n: Node<'_>, key: &str, wanted: &[&str]) -> Vec<Ref> {
        match n.value.get(key) {
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) if !s.is_empty() => out.push(Ref::Id(self.known(s))),
                        v if unresolved(v).is_some() => {
                            for r in self.through_config(inst, &[key], wanted, v) {
                                if !out.contains(&r) {
                                    out.push(r);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                out
            }
            Some(v) if unresolved(v).is_some() => self.through_config(inst, &[key], wanted, v),
            _ => Vec::new(),
        }
    }

    /// An unknown value joined through the configuration: the instances it names, else one unresolved
    /// reference naming the attribute, the expression and why. A sensitive value is never joined.
    fn through_config(&self, inst: &Instance, path: &[&str], wanted: &[&str], v: &Value) -> Vec<Ref> {
        let expression = unresolved(v).unwrap_or_default();
        let sensitive = v.get("reason").and_then(Value::as_str) != Some(UNKNOWN_REASON);
        if !sensitive {
            if let Resolved::Found(found) = self.config.resolve(inst, path, wanted, &self.targets) {
                let ids: Vec<Ref> = found
                    .iter()
                    .filter_map(|a| self.ids.get(a))
                    .cloned()
                    .map(Ref::Id)
                    .collect();
                if !ids.is_empty() {
                    return ids;
                }
            }
        }
        let expression = match self.config.resolve(inst, path, wanted, &self.targets) {
            Resolved::Unknown(text) if !sensitive => text,
            _ => expression,
        };
        let reason = v.get("reason").and_then(Value::as_str).unwrap_or(UNKNOWN_REASON);
        vec![Ref::Unresolved(format!(
            "{}.{} = {expression} ({reason})",
            inst.address,
            path.join(".")
        ))]
    }

    /// A known Azure ID: the resource of this file it names, else the ID as written.
    fn known(&self, id: &str) -> String {
        self.tails.get(&tail(id)).cloned().unwrap_or_else(|| id.to_string())
    }

    fn read(&self, inst: &Instance, n: Node<'_>, b: &mut Vec<Item>, patches: &mut Vec<Patch>) -> Parsed<()> {
        let id = self
            .ids
            .get(&inst.address)
            .cloned()
            .unwrap_or_else(|| inst.address.clone());
        let meta = || meta(n, &id);
        match inst.rtype.as_str() {
            NSG => {
                let key = Key::new(&id);
                let mut nsg = Nsg {
                    meta: meta(),
                    rules: Vec::new(),
                };
                match n.value.get("security_rule") {
                    // Rules written as `azurerm_network_security_rule` resources leave the inline set unknown
                    // in a create plan; then the set is theirs. One the configuration writes stays unknown.
                    Some(v) if unresolved(v).is_some() => {
                        if self.config.writes(inst, "security_rule") != Some(false) {
                            b.push(Item::UnresolvedRule(unknown_rule_set(&key, n, v)));
                        }
                    }
                    _ => {
                        for r in n.items("security_rule") {
                            match parse::security_rule_with(r.node(), false, &key, &TERRAFORM_RULE)? {
                                RuleRead::Rule(rule) => nsg.rules.push(rule),
                                RuleRead::Unresolved(u) => b.push(Item::UnresolvedRule(u)),
                            }
                        }
                    }
                }
                b.push(Item::Nsg(nsg));
            }
            "azurerm_network_security_rule" => {
                let nsg = self.parent(inst, n, "network_security_group_name", NSG, "networkSecurityGroups");
                match parse::security_rule_with(n, false, &Key::new(&nsg), &TERRAFORM_RULE)? {
                    RuleRead::Rule(mut rule) => {
                        rule.subject = Some(inst.address.clone());
                        b.push(Item::SecurityRule(nsg, rule));
                    }
                    RuleRead::Unresolved(mut u) => {
                        u.subject = Some(inst.address.clone());
                        b.push(Item::UnresolvedRule(u));
                    }
                }
            }
            VNET => {
                let key = Key::new(&id);
                let mut vnet = Vnet {
                    meta: meta(),
                    subnets: Vec::new(),
                    peerings: Vec::new(),
                };
                for (i, s) in n.items("subnet").iter().enumerate() {
                    let s = s.node();
                    let sid = format!("{id}/subnets/{}", s.str("name").unwrap_or(""));
                    let nsg = self.reference(inst, n, &["subnet", &i.to_string(), "security_group"], &[NSG]);
                    let subnet = subnet(s, &sid, key.clone(), nsg)?;
                    vnet.subnets.push(Key::new(&sid));
                    b.push(Item::Subnet(subnet));
                }
                b.push(Item::Vnet(vnet));
            }
            SUBNET => {
                let vnet = Key::new(&self.vnet_of(inst, n));
                // azurerm 1.x wrote the NSG on the subnet itself.
                let nsg = self.reference(inst, n, &["network_security_group_id"], &[NSG]);
                b.push(Item::Subnet(subnet(n, &id, vnet, nsg)?));
            }
            "azurerm_virtual_network_peering" => {
                let vnet = self.parent(inst, n, "virtual_network_name", VNET, "virtualNetworks");
                if let Some(remote) = self.reference(inst, n, &["remote_virtual_network_id"], &[VNET]) {
                    let peering = Peering {
                        name: n.str("name").unwrap_or("").to_string(),
                        remote,
                        state: None,
                    };
                    b.push(Item::Peering(Key::new(&vnet), peering));
                }
            }
            NIC => {
                let mut ip_configs = Vec::new();
                for (i, c) in n.items("ip_configuration").iter().enumerate() {
                    ip_configs.push(self.ip_config(inst, n, c.node(), i)?);
                }
                b.push(Item::Nic(Nic {
                    meta: meta(),
                    ip_configs,
                    nsg: self.reference(inst, n, &["network_security_group_id"], &[NSG]),
                    vm: None,
                }));
            }
            PIP => b.push(Item::PublicIp(PublicIp {
                meta: meta(),
                // The provider's default was Basic until azurerm 4.0; a plan always writes it.
                sku: n.str("sku").map(str::to_string),
                address: n.str("ip_address").filter(|s| !s.is_empty()).map(str::to_string),
                owner: None,
            })),
            "azurerm_bastion_host" => {
                let configs = n.items("ip_configuration");
                let each = |key: &str, wanted: &str| -> Vec<Ref> {
                    let mut out = Vec::new();
                    for (i, _) in configs.iter().enumerate() {
                        let index = i.to_string();
                        out.extend(self.reference(inst, n, &["ip_configuration", &index, key], &[wanted]));
                    }
                    out
                };
                b.push(Item::Bastion(Bastion {
                    meta: meta(),
                    sku: n.str("sku").map(str::to_string),
                    subnets: each("subnet_id", SUBNET),
                    public_ips: each("public_ip_address_id", PIP),
                    vnet: self.reference(inst, n, &["virtual_network_id"], &[VNET]),
                }));
            }
            t if VMS.contains(&t) => {
                let legacy = t == "azurerm_virtual_machine";
                let computer_name = match legacy {
                    true => descend(n.value, &["os_profile", "0", "computer_name"]).and_then(Value::as_str),
                    false => n.str("computer_name"),
                };
                b.push(Item::Vm(Vm {
                    meta: meta(),
                    computer_name: computer_name.filter(|s| !s.is_empty()).map(str::to_string),
                    os: vm_os(t, n),
                    nics: self.references(inst, n, "network_interface_ids", &[NIC]),
                }));
            }
            "azurerm_active_directory_domain_service" => {
                let mut subnets = Vec::new();
                for (i, _) in n.items("initial_replica_set").iter().enumerate() {
                    let index = i.to_string();
                    subnets.extend(self.reference(inst, n, &["initial_replica_set", &index, "subnet_id"], &[SUBNET]));
                }
                b.push(Item::DomainService(DomainService { meta: meta(), subnets }));
            }
            LB => b.push(Item::LoadBalancer(self.load_balancer(inst, n, &id))),
            "azurerm_lb_nat_rule" | "azurerm_lb_nat_pool" | "azurerm_lb_rule" => {
                if let Some(lb) = self
                    .reference(inst, n, &["loadbalancer_id"], &[LB])
                    .and_then(|r| r.key())
                {
                    b.push(Item::LbRule(lb.clone(), Box::new(self.lb_rule(inst, n, &lb)?)));
                }
            }
            "azurerm_subnet_network_security_group_association" => {
                let subnet = self.reference(inst, n, &["subnet_id"], &[SUBNET]);
                let nsg = self.reference(inst, n, &["network_security_group_id"], &[NSG]);
                if let (Some(key), Some(nsg)) = (subnet.as_ref().and_then(Ref::key), nsg) {
                    patches.push(Patch::SubnetNsg(key, nsg, inst.address.clone()));
                }
            }
            "azurerm_network_interface_security_group_association" => {
                let nic = self.reference(inst, n, &["network_interface_id"], &[NIC]);
                let nsg = self.reference(inst, n, &["network_security_group_id"], &[NSG]);
                if let (Some(key), Some(nsg)) = (nic.as_ref().and_then(Ref::key), nsg) {
                    patches.push(Patch::NicNsg(key, nsg, inst.address.clone()));
                }
            }
            "azurerm_network_interface_backend_address_pool_association"
            | "azurerm_network_interface_nat_rule_association" => {
                let nic = self.reference(inst, n, &["network_interface_id"], &[NIC]);
                let cfg = n.str("ip_configuration_name").unwrap_or("").to_string();
                let pool = inst.rtype.contains("backend_address_pool");
                let target = match pool {
                    true => self.reference(inst, n, &["backend_address_pool_id"], &[POOL]),
                    false => self.reference(inst, n, &["nat_rule_id"], &[NAT_RULE]),
                };
                if let (Some(key), Some(target)) = (nic.as_ref().and_then(Ref::key), target) {
                    let address = inst.address.clone();
                    patches.push(match pool {
                        true => Patch::NicPool(key, cfg, target, address),
                        false => Patch::NicNatRule(key, cfg, target, address),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The parent a child resource names by name (`network_security_group_name`): the resource of this file
    /// its configuration references or that has that name, else an ARM ID with the names the plan gives.
    fn parent(&self, inst: &Instance, n: Node<'_>, key: &str, wanted: &str, arm: &str) -> String {
        if let Some(Ref::Id(id)) = self.reference(inst, n, &[key], &[wanted]) {
            return id;
        }
        let rg = n.str("resource_group_name").unwrap_or("{resourceGroup}");
        let name = n.str(key).unwrap_or("{name}");
        let id =
            format!("/subscriptions/{{subscriptionId}}/resourceGroups/{rg}/providers/Microsoft.Network/{arm}/{name}");
        self.known(&id)
    }

    /// The `i`th `ip_configuration` block of the NIC `n`.
    fn ip_config(&self, inst: &Instance, n: Node<'_>, c: Node<'_>, i: usize) -> Parsed<IpConfig> {
        let index = i.to_string();
        let path = |key: &'static str| ["ip_configuration", index.as_str(), key];
        let private_ip = match c.get("private_ip_address") {
            Some(o) => match o.value.as_str().filter(|s| !s.is_empty()) {
                Some(s) => Some(address_block(s, None).ok_or_else(|| Bad {
                    origin: o.origin.clone(),
                    message: format!("invalid IP address '{s}'"),
                })?),
                None => None,
            },
            None => None,
        };
        Ok(IpConfig {
            id: None,
            name: c.str("name").unwrap_or("").to_string(),
            private_ip,
            subnet: self.reference(inst, n, &path("subnet_id"), &[SUBNET]),
            public_ip: self.reference(inst, n, &path("public_ip_address_id"), &[PIP]),
            asgs: Vec::new(),
            backend_pools: Vec::new(),
            nat_rules: Vec::new(),
            subnet_at: c.origin.child("subnet_id"),
            public_ip_at: c.origin.child("public_ip_address_id"),
            origin: c.origin.clone(),
        })
    }

    fn load_balancer(&self, inst: &Instance, n: Node<'_>, id: &str) -> LoadBalancer {
        let frontends = n
            .items("frontend_ip_configuration")
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let name = f.node().str("name").unwrap_or("").to_string();
                let index = i.to_string();
                crate::model::Frontend {
                    id: Some(format!("{id}/frontendIPConfigurations/{name}")),
                    public_ip: self.reference(
                        inst,
                        n,
                        &["frontend_ip_configuration", &index, "public_ip_address_id"],
                        &[PIP],
                    ),
                    name,
                }
            })
            .collect();
        LoadBalancer {
            meta: meta(n, id),
            sku: n.str("sku").map(str::to_string),
            frontends,
            backend_pools: Vec::new(),
            rules: Vec::new(),
        }
    }

    fn lb_rule(&self, inst: &Instance, n: Node<'_>, lb: &Key) -> Parsed<LbRule> {
        let kind = match inst.rtype.as_str() {
            "azurerm_lb_nat_rule" => LbRuleKind::InboundNatRule,
            "azurerm_lb_nat_pool" => LbRuleKind::InboundNatPool,
            _ => LbRuleKind::LoadBalancingRule,
        };
        let unknown = |key: &str| parse::unresolved_in(n, key).into_iter().next();
        let backend_port = match unknown("backend_port") {
            Some(u) => Err(u),
            None => match n.number("backend_port") {
                Some(Ok(p)) => Ok(u32::try_from(p).map_err(|_| Bad {
                    origin: n.origin.child("backend_port"),
                    message: format!("backend port {p} is out of range"),
                })?),
                _ => {
                    return Err(Bad {
                        origin: n.origin.child("backend_port"),
                        message: "load balancer rule has no valid backend_port".into(),
                    })
                }
            },
        };
        let frontend_port = match kind {
            LbRuleKind::InboundNatPool => match (n.number("frontend_port_start"), n.number("frontend_port_end")) {
                (Some(Ok(a)), Some(Ok(b))) => Some(format!("{a}-{b}")),
                _ => None,
            },
            _ => n.number("frontend_port").and_then(Result::ok).map(|p| p.to_string()),
        };
        let frontend = n.str("frontend_ip_configuration_name").map(|f| {
            let lb_id = self.ids.values().find(|i| Key::new(i) == *lb).cloned();
            Ref::Id(format!(
                "{}/frontendIPConfigurations/{f}",
                lb_id.unwrap_or_else(|| lb.as_str().into())
            ))
        });
        let mut backend_pools = self.references(inst, n, "backend_address_pool_ids", &[POOL]);
        backend_pools.extend(self.reference(inst, n, &["backend_address_pool_id"], &[POOL]));
        Ok(LbRule {
            kind,
            id: Some(inst.address.clone()),
            name: n.str("name").unwrap_or("").to_string(),
            protocol: match unknown("protocol") {
                Some(u) => Err(u),
                None => Ok(parse::protocol_at(n, "protocol")?),
            },
            frontend_port,
            backend_port,
            frontends: frontend.into_iter().collect(),
            backend_ip_config: None,
            backend_pools,
            origin: n.origin.clone(),
            fields: n.origin.clone(),
        })
    }
}

fn meta(n: Node<'_>, id: &str) -> Meta {
    let mut meta = parse::meta(n, id);
    // `parse::meta` reads ARM's `condition`; Terraform has none.
    meta.condition = None;
    meta
}

fn subnet(n: Node<'_>, id: &str, vnet: Key, nsg: Option<Ref>) -> Parsed<Subnet> {
    let mut prefixes = Vec::new();
    let mut prefix_origin = None;
    let singular = n.get("address_prefix").into_iter();
    let list = n.items("address_prefixes");
    for o in singular.chain(list) {
        let Some(s) = o.value.as_str().filter(|s| !s.is_empty()) else {
            continue;
        };
        let net = s.trim().parse::<ipnet::IpNet>().map_err(|_| Bad {
            origin: o.origin.clone(),
            message: format!("invalid address prefix '{s}'"),
        })?;
        prefixes.push(net.trunc());
        prefix_origin.get_or_insert(o.origin.clone());
    }
    Ok(Subnet {
        id: id.to_string(),
        name: n.str("name").unwrap_or("").to_string(),
        vnet,
        prefixes,
        prefix_origin,
        nsg,
        origin: n.origin.clone(),
    })
}

/// The OS of a VM: the resource type says it for the current ones; the legacy `azurerm_virtual_machine`
/// says it by its OS profile block, its OS disk's `os_type`, else its marketplace image.
fn vm_os(rtype: &str, n: Node<'_>) -> Os {
    match rtype {
        "azurerm_windows_virtual_machine" => return Os::Windows,
        "azurerm_linux_virtual_machine" => return Os::Other,
        _ => {}
    }
    let block = |key: &str| !n.items(key).is_empty();
    if block("os_profile_windows_config") {
        return Os::Windows;
    }
    if block("os_profile_linux_config") {
        return Os::Other;
    }
    let disk = descend(n.value, &["storage_os_disk", "0", "os_type"])
        .and_then(Value::as_str)
        .map(os_type);
    let from_image = || {
        let publisher = descend(n.value, &["storage_image_reference", "0", "publisher"])?.as_str()?;
        let offer = descend(n.value, &["storage_image_reference", "0", "offer"]).and_then(Value::as_str);
        image(publisher, offer.unwrap_or(""))
    };
    disk.filter(|os| *os != Os::Unknown)
        .or_else(from_image)
        .unwrap_or(Os::Unknown)
}

/// An NSG's inline rule set that stays unknown: one rule whose every field is unknown, so that the rules
/// say what they could not decide.
fn unknown_rule_set(nsg: &Key, n: Node<'_>, v: &Value) -> UnresolvedRule {
    let at = n.origin.child("security_rule");
    UnresolvedRule {
        nsg: nsg.clone(),
        name: "security_rule".into(),
        origin: at.clone(),
        fields: at.clone(),
        source_field: TERRAFORM_RULE.sources[0],
        subject: None,
        known: Default::default(),
        unknown: vec![UnknownValue {
            field: "security_rule".into(),
            expression: unresolved(v).unwrap_or_default(),
            reason: v.get("reason").and_then(Value::as_str).map(str::to_string),
            origin: at,
        }],
    }
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// `path` below `v`: member names, and indexes into arrays.
fn descend<'v>(mut v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    for seg in path {
        v = match v {
            Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
            _ => v.get(*seg)?,
        };
    }
    Some(v)
}

/// The lower-cased part of an ARM ID after its subscription, without the provider namespaces:
/// `rg/virtualnetworks/v/subnets/s`.
fn tail(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    let after = lower.split_once("/resourcegroups/").map_or(lower.as_str(), |(_, t)| t);
    let (rg, rest) = after.split_once("/providers/").unwrap_or((after, ""));
    let mut segs = rest.split('/').filter(|s| !s.is_empty());
    segs.next(); // the namespace
    let mut out = rg.to_string();
    for s in segs {
        out.push('/');
        out.push_str(s);
    }
    out
}
