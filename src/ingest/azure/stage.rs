//! A resource read into its typed model items while its file is read (in parallel, so that its parsed tree
//! is dropped at once), then handed to the builder in input order. The origins of staged items carry a
//! source ID local to the file that was read (0 for the file, 1.. for the templates it links); the file's
//! first `SourceId`, known once every earlier file has been kept, is added by [`Staged::rebase`].

use crate::error::InputError;
use crate::model::{
    Bastion, Builder, DomainService, Key, LbRule, LoadBalancer, Meta, Nic, Nsg, Peering, PublicIp, SecurityRule,
    Subnet, UnresolvedRule, Vm, Vnet,
};
use crate::source::{Origin, SourceId};

/// One call to the builder, in the order reading the resource made it.
pub enum Item {
    Nsg(Nsg),
    SecurityRule(String, SecurityRule),
    UnresolvedRule(UnresolvedRule),
    Vnet(Vnet),
    Subnet(Subnet),
    Peering(Key, Peering),
    Nic(Nic),
    PublicIp(PublicIp),
    Bastion(Bastion),
    LoadBalancer(LoadBalancer),
    LbRule(Key, Box<LbRule>),
    Vm(Vm),
    DomainService(DomainService),
}

/// A resource of a type the rules read.
pub struct Staged {
    /// Key, digest and origin of a top-level resource, kept once ([`Builder::claim`]); `None` for a child.
    pub claim: Option<(Key, u64, Origin)>,
    /// Its items, or the error at its malformed value (raised only when the resource is kept).
    pub items: Result<Vec<Item>, InputError>,
}

impl Staged {
    /// Make the file-local source IDs of every origin global: `base` is the file's own `SourceId`. An `Origin`
    /// field added to an Azure model type must be rebased here too.
    pub fn rebase(&mut self, base: SourceId) {
        let at = |o: &mut Origin| o.source += base;
        let meta = |m: &mut Meta| at(&mut m.origin);
        let rule = |r: &mut SecurityRule| r.origin.iter_mut().chain(&mut r.fields).for_each(at);
        let lb_rule = |r: &mut LbRule| {
            [&mut r.origin, &mut r.fields].into_iter().for_each(at);
            let unknown = r
                .protocol
                .as_mut()
                .err()
                .into_iter()
                .chain(r.backend_port.as_mut().err());
            unknown.for_each(|v| at(&mut v.origin));
        };
        if let Some((_, _, origin)) = &mut self.claim {
            at(origin);
        }
        for item in self.items.iter_mut().flatten() {
            match item {
                Item::Nsg(n) => {
                    meta(&mut n.meta);
                    n.rules.iter_mut().for_each(rule);
                }
                Item::SecurityRule(_, r) => rule(r),
                Item::UnresolvedRule(u) => {
                    [&mut u.origin, &mut u.fields].into_iter().for_each(at);
                    u.unknown.iter_mut().for_each(|v| at(&mut v.origin));
                }
                Item::Vnet(v) => meta(&mut v.meta),
                Item::Subnet(s) => s.prefix_origin.iter_mut().chain([&mut s.origin]).for_each(at),
                Item::Peering(..) => {}
                Item::Nic(n) => {
                    meta(&mut n.meta);
                    for c in &mut n.ip_configs {
                        [&mut c.origin, &mut c.subnet_at, &mut c.public_ip_at]
                            .into_iter()
                            .for_each(at);
                    }
                }
                Item::PublicIp(p) => meta(&mut p.meta),
                Item::Bastion(b) => meta(&mut b.meta),
                Item::LoadBalancer(l) => {
                    meta(&mut l.meta);
                    l.rules.iter_mut().for_each(lb_rule);
                }
                Item::LbRule(_, r) => lb_rule(r),
                Item::Vm(v) => meta(&mut v.meta),
                Item::DomainService(d) => meta(&mut d.meta),
            }
        }
    }

    /// Into the builder: a top-level resource already kept is dropped (a warning when it disagrees).
    pub fn apply(self, b: &mut Builder) -> Result<(), InputError> {
        if let Some((key, digest, origin)) = &self.claim {
            if !b.claim(key, *digest, origin) {
                return Ok(());
            }
        }
        for item in self.items? {
            match item {
                Item::Nsg(n) => b.nsg(n),
                Item::SecurityRule(nsg_id, r) => b.security_rule(&nsg_id, r),
                Item::UnresolvedRule(u) => b.unresolved_rule(u),
                Item::Vnet(v) => b.vnet(v),
                Item::Subnet(s) => b.subnet(s),
                Item::Peering(vnet, p) => b.peering(vnet, p),
                Item::Nic(n) => b.nic(n),
                Item::PublicIp(p) => b.public_ip(p),
                Item::Bastion(x) => b.bastion(x),
                Item::LoadBalancer(l) => b.load_balancer(l),
                Item::LbRule(lb, r) => b.lb_rule(lb, *r),
                Item::Vm(v) => b.vm(v),
                Item::DomainService(d) => b.domain_service(d),
            }
        }
        Ok(())
    }
}
