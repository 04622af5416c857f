//! The typed builder every input family feeds. Child resources (security rules, subnets, peerings,
//! load-balancer rules listed on their own) are merged into their parent by name in `finish()`; the same
//! resource seen in several inputs is kept once, with a warning when the copies disagree.

use std::collections::{BTreeMap, HashMap};

use super::*;
use crate::net::nsg::default_rules;
use crate::net::partial::PartialRule;
use crate::source::{Loc, Origin, Source, SourceId};

/// A security rule some of whose fields an input leaves unresolved: what is known of it and what is not,
/// so that the rules decide on the known part and name the unknown one when it could matter.
#[derive(Debug, Clone)]
pub struct UnresolvedRule {
    pub nsg: Key,
    pub name: String,
    pub origin: Origin,
    /// The object holding the rule's fields.
    pub fields: Origin,
    /// Which field held the sources (`sourceAddressPrefix` or `sourceAddressPrefixes`), for pointing at it.
    pub source_field: &'static str,
    /// The rule's own subject, as [`SecurityRule::subject`].
    pub subject: Option<String>,
    pub known: PartialRule,
    /// The unresolved fields, in the order they were read; never empty.
    pub unknown: Vec<UnknownValue>,
}

impl UnresolvedRule {
    /// `destinationPortRange = [parameters('rdpPort')] (...), ...`, for messages.
    pub fn describe_unknown(&self) -> String {
        let parts: Vec<String> = self.unknown.iter().map(ToString::to_string).collect();
        parts.join(", ")
    }

    /// Where the first unresolved field is.
    pub fn unknown_origin(&self) -> Origin {
        self.unknown
            .first()
            .map_or_else(|| self.origin.clone(), |u| u.origin.clone())
    }
}

#[derive(Default)]
pub struct Builder {
    env: Environment,
    /// Digest and origin of every top-level resource kept, to spot disagreeing duplicates.
    seen: HashMap<Key, (u64, Origin)>,
    /// Rules listed on their own: (NSG key, NSG ID as found, rule).
    child_rules: Vec<(Key, String, SecurityRule)>,
    child_peerings: Vec<(Key, Peering)>,
    child_lb_rules: Vec<(Key, LbRule)>,
}

impl Builder {
    /// Keep an input; its index is the `SourceId` its origins use.
    pub fn source(&mut self, source: Source) -> SourceId {
        self.env.sources.push(source);
        self.env.sources.len() - 1
    }

    pub fn sources(&self) -> &[Source] {
        &self.env.sources
    }

    /// A non-fatal problem (a skipped file, a duplicate that disagrees), printed and reported.
    pub fn warn(&mut self, warning: String) {
        self.env.warnings.push(warning);
    }

    /// Whether this is the first copy of a top-level resource (keep it). A later copy is dropped, with a
    /// warning when its `digest` (what the input family says the resource is) differs from the first's. The
    /// warning names both places, so that a template declaring a resource twice points at both declarations.
    pub fn claim(&mut self, key: &Key, digest: u64, origin: &Origin) -> bool {
        match self.seen.get(key) {
            None => {
                self.seen.insert(key.clone(), (digest, origin.clone()));
                true
            }
            Some((d, first)) => {
                if *d != digest {
                    let (a, b) = (self.place(first), self.place(origin));
                    let warning = format!(
                        "{key}: defined differently in {a} and {b}; using {a}",
                        key = key.as_str()
                    );
                    self.env.warnings.push(warning);
                }
                false
            }
        }
    }

    /// A file, and the JSON pointer in it when there is one (`template.json at /resources/3`).
    fn place(&self, origin: &Origin) -> String {
        let file = &self.env.sources[origin.source].display;
        match &origin.loc {
            Loc::Pointer(p) if !p.is_empty() => format!("{file} at {p}"),
            _ => file.clone(),
        }
    }

    pub fn nsg(&mut self, nsg: Nsg) {
        self.env.nsgs.insert(nsg.meta.key(), nsg);
    }

    /// A security rule listed on its own (`az network nsg rule list`, a template child resource).
    pub fn security_rule(&mut self, nsg_id: &str, rule: SecurityRule) {
        self.child_rules.push((Key::new(nsg_id), nsg_id.to_string(), rule));
    }

    pub fn unresolved_rule(&mut self, rule: UnresolvedRule) {
        self.env.unresolved_rules.push(rule);
    }

    /// A VNet; its subnets are given to [`Builder::subnet`].
    pub fn vnet(&mut self, vnet: Vnet) {
        self.env.vnets.insert(vnet.meta.key(), vnet);
    }

    /// A subnet, embedded in its VNet or listed on its own; the first copy is kept.
    pub fn subnet(&mut self, subnet: Subnet) {
        self.env.subnets.entry(Key::new(&subnet.id)).or_insert(subnet);
    }

    /// A peering listed on its own, merged into its VNet when that VNet is in the inputs.
    pub fn peering(&mut self, vnet: Key, peering: Peering) {
        self.child_peerings.push((vnet, peering));
    }

    pub fn nic(&mut self, nic: Nic) {
        self.env.nics.insert(nic.meta.key(), nic);
    }

    pub fn public_ip(&mut self, pip: PublicIp) {
        self.env.public_ips.insert(pip.meta.key(), pip);
    }

    pub fn bastion(&mut self, bastion: Bastion) {
        self.env.bastions.insert(bastion.meta.key(), bastion);
    }

    pub fn load_balancer(&mut self, lb: LoadBalancer) {
        self.env.load_balancers.insert(lb.meta.key(), lb);
    }

    /// A NAT rule, NAT pool or load-balancing rule listed on its own, merged into its load balancer.
    pub fn lb_rule(&mut self, lb: Key, rule: LbRule) {
        self.child_lb_rules.push((lb, rule));
    }

    pub fn vm(&mut self, vm: Vm) {
        self.env.vms.insert(vm.meta.key(), vm);
    }

    pub fn domain_service(&mut self, ds: DomainService) {
        self.env.domain_services.insert(ds.meta.key(), ds);
    }

    /// A Windows host; a second folder for the same computer name is ignored with a warning.
    pub fn host(&mut self, host: Host) {
        match self.env.hosts.get(&host.name) {
            Some(first) => {
                let warning = format!(
                    "{}: host {} already read from {}; folder ignored",
                    host.folder, host.name, first.folder
                );
                self.env.warnings.push(warning);
            }
            None => {
                self.env.hosts.insert(host.name.clone(), host);
            }
        }
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
        self.index_peers();
        for (key, vm) in &self.env.vms {
            self.env
                .vm_by_host
                .entry(vm.host_name().to_uppercase())
                .or_insert_with(|| key.clone());
        }
        self.env.resolve_host_roles();
        self.env
    }

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

    /// The connected peers of each VNet: a peering names its remote VNet, and the remote is peered back.
    fn index_peers(&mut self) {
        let mut index: BTreeMap<Key, Vec<Key>> = BTreeMap::new();
        for (key, vnet) in &self.env.vnets {
            for remote in vnet
                .peerings
                .iter()
                .filter(|p| p.is_connected())
                .filter_map(|p| p.remote.key())
            {
                index.entry(key.clone()).or_default().push(remote.clone());
                index.entry(remote).or_default().push(key.clone());
            }
        }
        for peers in index.values_mut() {
            peers.sort();
            peers.dedup();
        }
        self.env.peers_of_vnet = index;
    }
}

/// An NSG known only through rules listed on their own (`az network nsg rule list`).
fn orphan_nsg(id: String, rule: &SecurityRule) -> Nsg {
    let name = last_segment(&id).to_string();
    let origin = rule.origin.clone().unwrap_or_else(|| Origin::pointer(0, ""));
    Nsg {
        meta: Meta {
            id,
            name,
            origin,
            tags: Default::default(),
            condition: None,
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
                subject: None,
            });
        }
    }
}
