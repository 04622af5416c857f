//! RDS003: effective path analysis. 3389 reaches the VM from the internet through a public IP on its NIC
//! or a public load balancer rule, and every NSG on the path (subnet, then NIC) lets it in.

use std::collections::HashMap;

use rayon::prelude::*;

use super::common::{missing_nics, vm_nics};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{
    Environment, IpConfig, Key, LbRule, LoadBalancer, Nic, Nsg, Origin, Ref, UnknownValue, UnresolvedRule, Vm,
};
use crate::net::nsg::{Access, RuleSpec};
use crate::net::addresses::Target;
use crate::net::path::{effective_inbound, NoNsgPolicy, PathVerdict};
use crate::net::protocol::Transport;
use crate::net::RDP_PORT;

declare_rule!(Rds003, RuleMeta {
    id: "RDS003",
    name: "vm-rdp-reachable",
    severity: Severity::Critical,
    short:
        "RDP (3389) on the VM is reachable from the internet: a public entry point and every NSG on the path let it in.",
    guidance: "Your VMs don't need a public IP address, and you don't need to use network security groups to \
               expose access to RDP on TCP port 3389.",
    help: include_str!("../../rules/RDS003.md"),
    tags: &["network", "rdp", "path-analysis"],
    reads: &[crate::model::InputKind::Vms],
});

fn check(env: &Environment, out: &mut Outcomes) {
    let lbs = LbIndex::new(env);
    let results: Vec<Outcomes> = env.vms.par_iter().map(|(_, vm)| check_vm(env, &lbs, vm)).collect();
    results.into_iter().for_each(|o| out.extend(o));
}

/// A load balancer rule by its place: (load balancer in `env.load_balancers` order, rule in its list).
type RulePlace = (usize, usize);

/// Which load balancer rules may forward to an ipConfiguration, found once per evaluation (every VM asking
/// every rule grew with VMs x rules). A superset: [`targets`] still decides each candidate.
struct LbIndex<'e> {
    lbs: Vec<&'e LoadBalancer>,
    /// By the ipConfiguration a NAT rule names, or that a pool of the same load balancer lists.
    by_cfg: HashMap<Key, Vec<RulePlace>>,
    /// By the rule's own ID (a NIC's `loadBalancerInboundNatRules`).
    by_rule: HashMap<Key, Vec<RulePlace>>,
    /// By a backend pool the rule sends to (a NIC's `loadBalancerBackendAddressPools`).
    by_pool: HashMap<Key, Vec<RulePlace>>,
}

impl<'e> LbIndex<'e> {
    fn new(env: &'e Environment) -> Self {
        let mut index = Self {
            lbs: env.load_balancers.values().collect(),
            by_cfg: HashMap::new(),
            by_rule: HashMap::new(),
            by_pool: HashMap::new(),
        };
        for (l, lb) in index.lbs.iter().enumerate() {
            for (r, rule) in lb.rules.iter().enumerate() {
                let place = (l, r);
                if let Some(k) = rule.backend_ip_config.as_ref().and_then(Ref::key) {
                    index.by_cfg.entry(k).or_default().push(place);
                }
                if let Some(id) = &rule.id {
                    index.by_rule.entry(Key::new(id)).or_default().push(place);
                }
                for pool_key in rule.backend_pools.iter().filter_map(Ref::key) {
                    index.by_pool.entry(pool_key.clone()).or_default().push(place);
                    let pools = lb.backend_pools.iter();
                    let members = pools.filter(|p| p.id.as_deref().map(Key::new).as_ref() == Some(&pool_key));
                    for cfg in members.flat_map(|p| p.ip_configs.iter().filter_map(Ref::key)) {
                        index.by_cfg.entry(cfg).or_default().push(place);
                    }
                }
            }
        }
        index
    }

    /// The rules that may forward to `cfg`, in load balancer and rule order.
    fn candidates(&self, cfg: &IpConfig) -> Vec<(&'e LoadBalancer, &'e LbRule)> {
        let own = cfg.id.as_deref().map(Key::new).into_iter();
        let mut places: Vec<RulePlace> = own
            .filter_map(|k| self.by_cfg.get(&k))
            .chain(cfg.nat_rules.iter().filter_map(Ref::key).filter_map(|k| self.by_rule.get(&k)))
            .chain(cfg.backend_pools.iter().filter_map(Ref::key).filter_map(|k| self.by_pool.get(&k)))
            .flatten()
            .copied()
            .collect();
        places.sort_unstable();
        places.dedup();
        places
            .into_iter()
            .map(|(l, r)| (self.lbs[l], &self.lbs[l].rules[r]))
            .filter(|(lb, rule)| targets(lb, rule, cfg))
            .collect()
    }
}

/// A way in from the internet to one ipConfiguration.
struct Entry {
    describe: String,
    origin: Origin,
    transports: Vec<Transport>,
    /// What no NSG at all means on this path; `None` when the SKU that decides it is unknown.
    no_nsg: Option<NoNsgPolicy>,
    /// A load balancer rule's backend port the input leaves unresolved: an open path may not lead to 3389.
    port_unknown: Option<UnknownValue>,
}

/// A text and the input it points at, if any.
type Pointed = (String, Option<Origin>);

/// Why something could not be decided, and the unresolved value to point at (if that is the reason).
type Unknown = Pointed;

fn check_vm(env: &Environment, lbs: &LbIndex<'_>, vm: &Vm) -> Outcomes {
    let mut out = Outcomes::default();
    let subject = || Subject::resource(&vm.meta.id);
    let mut open_paths: Vec<(Entry, String, Vec<Pointed>)> = Vec::new();
    let mut unknown: Vec<Unknown> = Vec::new();
    for missing in missing_nics(env, vm) {
        unknown.push((format!("NIC {missing} is not in the inventory"), None));
    }
    for (_, nic) in vm_nics(env, vm) {
        for cfg in &nic.ip_configs {
            let entries = entries(env, lbs, nic, cfg);
            if entries.is_empty() {
                continue;
            }
            let nsgs = match path_nsgs(env, nic, cfg) {
                Ok(n) => n,
                Err(why) => {
                    unknown.push((why, Some(cfg.subnet_at.clone())));
                    continue;
                }
            };
            for entry in entries {
                match judge(&nsgs, cfg, &entry) {
                    Judged::Open(verdict) => {
                        let open = describe_open(&verdict, &entry.transports);
                        let rules = describe_rules(&nsgs, &verdict);
                        open_paths.push((entry, open, rules));
                    }
                    Judged::Closed => {}
                    Judged::Unknown(why) => unknown.extend(
                        why.into_iter()
                            .map(|(w, origin)| (format!("{}: {w}", entry.describe), origin)),
                    ),
                }
            }
        }
    }
    if let Some((first, _, _)) = open_paths.first() {
        let mut f = Finding::new(
            &META,
            subject(),
            first.origin.clone(),
            format!(
                "RDP port {RDP_PORT} on VM '{}' is reachable from the internet ({} path{})",
                vm.meta.name,
                open_paths.len(),
                if open_paths.len() == 1 { "" } else { "s" }
            ),
        );
        for (entry, open, rules) in &open_paths {
            f = f.evidence(
                "path",
                format!("{} — open to {open}", entry.describe),
                Some(entry.origin.clone()),
            );
            for (r, origin) in rules {
                f = f.evidence("nsg", r.clone(), origin.clone());
            }
        }
        out.findings.push(f);
    } else if !unknown.is_empty() {
        unknown.sort_by(|a, b| a.0.cmp(&b.0));
        unknown.dedup_by(|a, b| a.0 == b.0);
        // Point at the first unresolved value when there is one, else at the VM.
        let origin = unknown.iter().find_map(|(_, o)| o.clone());
        let reasons: Vec<&str> = unknown.iter().map(|(w, _)| w.as_str()).collect();
        out.not_evaluated.push(NotEvaluated::new(
            &META,
            subject(),
            reasons.join("; "),
            Some(origin.unwrap_or_else(|| vm.meta.origin.clone())),
        ));
    }
    out
}

/// The public ways in to one ipConfiguration: its own public IP, and public load balancer rules whose
/// backend port covers 3389 and whose backend is this ipConfiguration.
fn entries(env: &Environment, lbs: &LbIndex<'_>, nic: &Nic, cfg: &IpConfig) -> Vec<Entry> {
    let mut out = Vec::new();
    if let Some(r) = &cfg.public_ip {
        // A public IP not in the inventory (or whose reference is unresolved): its SKU is unknown, so a path
        // without NSGs cannot be judged.
        let pip = r.key().and_then(|key| env.public_ips.get(&key));
        let no_nsg = pip.map(|p| {
            if p.is_standard() {
                NoNsgPolicy::Closed
            } else {
                NoNsgPolicy::Open
            }
        });
        let name = match (pip, r) {
            (Some(p), _) => p.meta.name.clone(),
            (None, Ref::Id(id)) => crate::model::last_segment(id).to_string(),
            (None, Ref::Unresolved(expr)) => format!("{expr} (unresolved)"),
        };
        let sku = pip
            .and_then(|p| p.sku.clone())
            .unwrap_or_else(|| "no sku: Basic".into());
        out.push(Entry {
            describe: format!("public IP {name} ({sku}) -> NIC {} / {}", nic.meta.name, cfg.name),
            origin: cfg.public_ip_at.clone(),
            transports: Transport::ALL.to_vec(),
            no_nsg,
            port_unknown: None,
        });
    }
    for (lb, rule) in lbs.candidates(cfg) {
        let port_unknown = match lb.forwards_rdp(rule) {
            Ok(false) => continue,
            Ok(true) => None,
            Err(unknown) => Some(unknown.clone()),
        };
        out.push(Entry {
            describe: format!("{} -> NIC {} / {}", lb.describe_rule(rule), nic.meta.name, cfg.name),
            // An unresolved protocol is tried in its widest form (the entry is then undecided anyway).
            transports: rule.protocol.as_ref().map_or(Transport::ALL.to_vec(), |p| p.transports().collect()),
            origin: rule.fields.child("backendPort"),
            no_nsg: Some(if lb.is_standard() {
                NoNsgPolicy::Closed
            } else {
                NoNsgPolicy::Open
            }),
            port_unknown,
        });
    }
    out
}

/// Whether a load balancer rule forwards to this ipConfiguration (NAT rule target, or pool membership
/// listed on either side).
fn targets(lb: &LoadBalancer, rule: &LbRule, cfg: &IpConfig) -> bool {
    // Templates give ipConfigurations no ID: the NIC's own lists still name its NAT rules and pools.
    let cfg_key = cfg.id.as_deref().map(Key::new);
    let is_cfg = |r: &Ref| cfg_key.is_some() && r.key() == cfg_key;
    if rule.backend_ip_config.as_ref().is_some_and(is_cfg) {
        return true;
    }
    if let Some(rule_key) = rule.id.as_deref().map(Key::new) {
        if cfg.nat_rules.iter().any(|r| r.key().as_ref() == Some(&rule_key)) {
            return true;
        }
    }
    rule.backend_pools.iter().filter_map(Ref::key).any(|pool_key| {
        cfg.backend_pools.iter().any(|p| p.key().as_ref() == Some(&pool_key))
            || lb
                .backend_pools
                .iter()
                .any(|p| p.id.as_deref().map(Key::new).as_ref() == Some(&pool_key) && p.ip_configs.iter().any(is_cfg))
    })
}

/// The NSGs on the path: (subnet NSG, NIC NSG), `None` where there is none, with their unresolved rules that
/// could let RDP in. Missing ones are listed, and decide nothing when a known NSG closes the path (`judge`).
struct PathNsgs<'e> {
    subnet: Option<&'e Nsg>,
    nic: Option<&'e Nsg>,
    subnet_unresolved: Vec<&'e UnresolvedRule>,
    nic_unresolved: Vec<&'e UnresolvedRule>,
    missing: Vec<Unknown>,
}

fn path_nsgs<'e>(env: &'e Environment, nic: &'e Nic, cfg: &IpConfig) -> Result<PathNsgs<'e>, String> {
    let mut missing = Vec::new();
    let lookup = |r: &Ref, what: &str, at: &Origin, missing: &mut Vec<Unknown>| -> Option<&'e Nsg> {
        let found = r.key().and_then(|k| env.nsgs.get(&k));
        if found.is_none() {
            missing.push(not_found(r, what, at));
        }
        found
    };
    let subnet_ref = cfg
        .subnet
        .as_ref()
        .ok_or_else(|| format!("NIC '{}' / {} names no subnet", nic.meta.name, cfg.name))?;
    let subnet_nsg = match subnet_ref.key().and_then(|k| env.subnets.get(&k)) {
        Some(subnet) => subnet
            .nsg
            .as_ref()
            .and_then(|r| lookup(r, "subnet NSG", &subnet.origin, &mut missing)),
        None => {
            missing.push(not_found(subnet_ref, "subnet", &cfg.subnet_at));
            None
        }
    };
    let nic_nsg = nic
        .nsg
        .as_ref()
        .and_then(|r| lookup(r, "NIC NSG", &nic.meta.origin, &mut missing));
    let could_open = |nsg: Option<&Nsg>| -> Vec<&'e UnresolvedRule> {
        let Some(key) = nsg.map(|n| n.meta.key()) else {
            return Vec::new();
        };
        env.unresolved_rules
            .iter()
            .filter(|u| u.nsg == key && u.known.could_admit_internet(RDP_PORT))
            .collect()
    };
    Ok(PathNsgs {
        subnet_unresolved: could_open(subnet_nsg),
        nic_unresolved: could_open(nic_nsg),
        subnet: subnet_nsg,
        nic: nic_nsg,
        missing,
    })
}

/// Why a referenced resource is not known: not in the inventory, or its reference unresolved (pointing at
/// `at`, where the reference is).
fn not_found(r: &Ref, what: &str, at: &Origin) -> Unknown {
    match r {
        Ref::Id(id) => (format!("{what} {id} is not in the inventory"), None),
        Ref::Unresolved(expr) => (format!("{what} reference {expr} is unresolved"), Some(at.clone())),
    }
}

enum Judged {
    Open(PathVerdict),
    Closed,
    Unknown(Vec<Unknown>),
}

/// Whether the path is open for this entry. Each unresolved rule that could let RDP in is evaluated in its
/// widest form (an Allow of everything it might cover, at its priority): when even then the path is closed,
/// or the widest form admits nothing (earlier rules already decide), it decides nothing.
fn judge(nsgs: &PathNsgs<'_>, cfg: &IpConfig, entry: &Entry) -> Judged {
    let target = Target {
        private_ips: cfg.private_ip.into_iter().collect(),
        asgs: asg_keys(cfg),
    };
    let no_known_nsg = nsgs.subnet.is_none() && nsgs.nic.is_none();
    let policy = match entry.no_nsg {
        Some(p) => p,
        None if no_known_nsg && nsgs.missing.is_empty() => {
            let why = "the public IP is not in the inventory, and its SKU decides a path without NSG";
            return Judged::Unknown(vec![(why.into(), None)]);
        }
        // Irrelevant: with an NSG on the path the SKU does not matter.
        None => NoNsgPolicy::Open,
    };
    let specs = |nsg: Option<&Nsg>, extra: &[&UnresolvedRule]| {
        nsg.map(|n| {
            let known = n.rules.iter().map(|r| r.spec.clone());
            known.chain(extra.iter().map(|u| u.known.widest())).collect::<Vec<RuleSpec>>()
        })
    };
    let evaluate = |subnet: &[&UnresolvedRule], nic: &[&UnresolvedRule]| {
        let (subnet, nic) = (specs(nsgs.subnet, subnet), specs(nsgs.nic, nic));
        effective_inbound(subnet.as_deref(), nic.as_deref(), &target, RDP_PORT, policy)
    };
    let is_open = |v: &PathVerdict| v.open.iter().any(|(t, _)| entry.transports.contains(t));
    let verdict = evaluate(&nsgs.subnet_unresolved, &nsgs.nic_unresolved);
    if !is_open(&verdict) && (!no_known_nsg || nsgs.missing.is_empty()) {
        return Judged::Closed;
    }
    let deciding: Vec<&UnresolvedRule> = [
        (nsgs.subnet, &verdict.subnet, &nsgs.subnet_unresolved),
        (nsgs.nic, &verdict.nic, &nsgs.nic_unresolved),
    ]
    .into_iter()
    .flat_map(|(nsg, v, unresolved)| {
        let known = nsg.map_or(0, |n| n.rules.len());
        let admitted = v.iter().flat_map(|v| &v.per_transport);
        let admitted = admitted.filter(|tv| entry.transports.contains(&tv.transport));
        let mut by: Vec<usize> = admitted.flat_map(|tv| tv.allowed_by.iter().copied()).collect();
        by.sort_unstable();
        by.dedup();
        by.into_iter().filter_map(move |i| i.checked_sub(known).map(|j| unresolved[j]))
    })
    .collect();
    let mut unknown = nsgs.missing.clone();
    unknown.extend(deciding.iter().map(|u| {
        let why = format!("NSG rule '{}' leaves {} unresolved", u.name, u.describe_unknown());
        (why, Some(u.unknown_origin()))
    }));
    unknown.extend(entry.port_unknown.iter().map(|u| {
        let why = format!("the backend port is unknown ({u})");
        (why, Some(u.origin.clone()))
    }));
    if unknown.is_empty() {
        return Judged::Open(verdict);
    }
    // Unresolved Allow rules only add openings: what the known rules open stays open.
    let allows_only = deciding.iter().all(|u| u.known.access == Some(Access::Allow));
    if nsgs.missing.is_empty() && entry.port_unknown.is_none() && allows_only {
        let known = evaluate(&[], &[]);
        if is_open(&known) {
            return Judged::Open(known);
        }
    }
    Judged::Unknown(unknown)
}

fn asg_keys(cfg: &IpConfig) -> Option<Vec<String>> {
    cfg.asgs
        .iter()
        .map(|r| r.key().map(|k| k.as_str().to_string()))
        .collect()
}

fn describe_open(v: &PathVerdict, transports: &[Transport]) -> String {
    let parts: Vec<String> = v
        .open
        .iter()
        .filter(|(t, _)| transports.contains(t))
        .map(|(t, set)| format!("{t} from {}", set.describe()))
        .collect();
    parts.join(", ")
}

/// Which rule of each NSG let the traffic in (or that there is no NSG).
/// One line per NSG on the path, pointing at the first rule named (the NSG itself for a default rule
/// rdsaudit added).
fn describe_rules(nsgs: &PathNsgs<'_>, v: &PathVerdict) -> Vec<Pointed> {
    let mut out = Vec::new();
    for (what, nsg, verdict) in [("subnet", nsgs.subnet, &v.subnet), ("NIC", nsgs.nic, &v.nic)] {
        match (nsg, verdict) {
            (Some(nsg), Some(verdict)) => {
                let mut rules: Vec<(String, &Option<Origin>)> = verdict
                    .per_transport
                    .iter()
                    .flat_map(|t| t.allowed_by.iter())
                    .filter_map(|&i| nsg.rules.get(i))
                    .map(|r| {
                        let name = format!("{}/{} (priority {})", nsg.meta.name, r.name, r.spec.priority);
                        (name, &r.origin)
                    })
                    .collect();
                rules.sort_by(|a, b| a.0.cmp(&b.0));
                rules.dedup_by(|a, b| a.0 == b.0);
                let origin = rules.first().and_then(|(_, o)| (*o).clone());
                let names: Vec<&str> = rules.iter().map(|(n, _)| n.as_str()).collect();
                out.push((
                    format!("{what} NSG allows: {}", names.join(", ")),
                    Some(origin.unwrap_or_else(|| nsg.meta.origin.clone())),
                ));
            }
            _ => out.push((format!("no {what} NSG"), None)),
        }
    }
    out
}
