//! RDS003: effective path analysis. 3389 reaches the VM from the internet through a public IP on its NIC
//! or a public load balancer rule, and every NSG on the path (subnet, then NIC) lets it in.

use rayon::prelude::*;

use super::common::{missing_nics, vm_nics};
use super::{Outcomes, RuleMeta};
use crate::finding::{Finding, NotEvaluated, Severity, Subject};
use crate::model::{Environment, IpConfig, Key, LbRule, LoadBalancer, Nic, Nsg, Origin, Ref, Vm};
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
    let results: Vec<Outcomes> = env.vms.par_iter().map(|(_, vm)| check_vm(env, vm)).collect();
    results.into_iter().for_each(|o| out.extend(o));
}

/// A way in from the internet to one ipConfiguration.
struct Entry {
    describe: String,
    origin: Origin,
    transports: Vec<Transport>,
    /// What no NSG at all means on this path; `None` when the SKU that decides it is unknown.
    no_nsg: Option<NoNsgPolicy>,
}

fn check_vm(env: &Environment, vm: &Vm) -> Outcomes {
    let mut out = Outcomes::default();
    let subject = || Subject::resource(&vm.meta.id);
    let mut open_paths: Vec<(Entry, String, Vec<String>)> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for missing in missing_nics(env, vm) {
        unknown.push(format!("NIC {missing} is not in the inventory"));
    }
    for (_, nic) in vm_nics(env, vm) {
        for cfg in &nic.ip_configs {
            let entries = match entries(env, nic, cfg) {
                Ok(e) => e,
                Err(why) => {
                    unknown.push(why);
                    continue;
                }
            };
            if entries.is_empty() {
                continue;
            }
            let nsgs = match path_nsgs(env, nic, cfg) {
                Ok(n) => n,
                Err(why) => {
                    unknown.push(why);
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
                    Judged::Unknown(why) => unknown.push(format!("{}: {why}", entry.describe)),
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
            for r in rules {
                f = f.evidence("nsg", r.clone(), None);
            }
        }
        out.findings.push(f);
    } else if !unknown.is_empty() {
        unknown.sort();
        unknown.dedup();
        out.not_evaluated.push(NotEvaluated::new(
            &META,
            subject(),
            unknown.join("; "),
            Some(vm.meta.origin.clone()),
        ));
    }
    out
}

/// The public ways in to one ipConfiguration: its own public IP, and public load balancer rules whose
/// backend port covers 3389 and whose backend is this ipConfiguration.
fn entries(env: &Environment, nic: &Nic, cfg: &IpConfig) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    if let Some(r) = &cfg.public_ip {
        let key = r
            .key()
            .ok_or_else(|| format!("NIC '{}' public IP reference is unresolved", nic.meta.name))?;
        let pip = env.public_ips.get(&key);
        // A public IP not in the inventory: its SKU is unknown, so a path without NSGs cannot be judged.
        let no_nsg = pip.map(|p| {
            if p.is_standard() {
                NoNsgPolicy::Closed
            } else {
                NoNsgPolicy::Open
            }
        });
        let name = pip.map_or_else(
            || crate::model::last_segment(r.describe()).to_string(),
            |p| p.meta.name.clone(),
        );
        let sku = pip
            .and_then(|p| p.sku.clone())
            .unwrap_or_else(|| "no sku: Basic".into());
        out.push(Entry {
            describe: format!("public IP {name} ({sku}) -> NIC {} / {}", nic.meta.name, cfg.name),
            origin: cfg.fields.child("publicIPAddress"),
            transports: Transport::ALL.to_vec(),
            no_nsg,
        });
    }
    for lb in env.load_balancers.values() {
        for rule in lb.rules.iter().filter(|r| targets(lb, r, cfg) && lb.forwards_rdp(r)) {
            out.push(Entry {
                describe: format!("{} -> NIC {} / {}", lb.describe_rule(rule), nic.meta.name, cfg.name),
                transports: rule.protocol.transports().collect(),
                origin: rule.fields.child("backendPort"),
                no_nsg: Some(if lb.is_standard() {
                    NoNsgPolicy::Closed
                } else {
                    NoNsgPolicy::Open
                }),
            });
        }
    }
    Ok(out)
}

/// Whether a load balancer rule forwards to this ipConfiguration (NAT rule target, or pool membership
/// listed on either side).
fn targets(lb: &LoadBalancer, rule: &LbRule, cfg: &IpConfig) -> bool {
    let Some(cfg_key) = cfg.id.as_deref().map(Key::new) else {
        return false;
    };
    let is_cfg = |r: &Ref| r.key().as_ref() == Some(&cfg_key);
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

/// The NSGs on the path: (subnet NSG, NIC NSG), `None` where there is none. Missing ones are reported
/// as `Err` unless a known NSG closes the path (decided in `judge`).
struct PathNsgs<'e> {
    subnet: Option<&'e Nsg>,
    nic: Option<&'e Nsg>,
    missing: Vec<String>,
}

fn path_nsgs<'e>(env: &'e Environment, nic: &'e Nic, cfg: &IpConfig) -> Result<PathNsgs<'e>, String> {
    let mut missing = Vec::new();
    let lookup = |r: &Ref, what: &str, missing: &mut Vec<String>| -> Option<&'e Nsg> {
        let found = r.key().and_then(|k| env.nsgs.get(&k));
        if found.is_none() {
            missing.push(format!("{what} NSG {} is not in the inventory", r.describe()));
        }
        found
    };
    let subnet_ref = cfg
        .subnet
        .as_ref()
        .ok_or_else(|| format!("NIC '{}' / {} names no subnet", nic.meta.name, cfg.name))?;
    let subnet_nsg = match subnet_ref.key().and_then(|k| env.subnets.get(&k)) {
        Some(subnet) => subnet.nsg.as_ref().and_then(|r| lookup(r, "subnet", &mut missing)),
        None => {
            missing.push(format!("subnet {} is not in the inventory", subnet_ref.describe()));
            None
        }
    };
    let nic_nsg = nic.nsg.as_ref().and_then(|r| lookup(r, "NIC", &mut missing));
    Ok(PathNsgs {
        subnet: subnet_nsg,
        nic: nic_nsg,
        missing,
    })
}

enum Judged {
    Open(PathVerdict),
    Closed,
    Unknown(String),
}

fn judge(nsgs: &PathNsgs<'_>, cfg: &IpConfig, entry: &Entry) -> Judged {
    let target = Target {
        private_ips: cfg.private_ip.into_iter().collect(),
        asgs: asg_keys(cfg),
    };
    let no_known_nsg = nsgs.subnet.is_none() && nsgs.nic.is_none();
    let policy = match entry.no_nsg {
        Some(p) => p,
        None if no_known_nsg && nsgs.missing.is_empty() => {
            return Judged::Unknown(
                "the public IP is not in the inventory, and its SKU decides a path without NSG".into(),
            )
        }
        // Irrelevant: with an NSG on the path the SKU does not matter.
        None => NoNsgPolicy::Open,
    };
    let verdict = effective_inbound(
        nsgs.subnet.map(|n| n.rules.as_slice()),
        nsgs.nic.map(|n| n.rules.as_slice()),
        &target,
        RDP_PORT,
        policy,
    );
    let open = verdict.open.iter().any(|(t, _)| entry.transports.contains(t));
    match (open, nsgs.missing.is_empty()) {
        (false, _) if !no_known_nsg || nsgs.missing.is_empty() => Judged::Closed,
        (true, true) => Judged::Open(verdict),
        _ => Judged::Unknown(nsgs.missing.join("; ")),
    }
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
fn describe_rules(nsgs: &PathNsgs<'_>, v: &PathVerdict) -> Vec<String> {
    let mut out = Vec::new();
    for (what, nsg, verdict) in [("subnet", nsgs.subnet, &v.subnet), ("NIC", nsgs.nic, &v.nic)] {
        match (nsg, verdict) {
            (Some(nsg), Some(verdict)) => {
                let mut names: Vec<String> = verdict
                    .per_transport
                    .iter()
                    .flat_map(|t| t.allowed_by.iter())
                    .map(|&i| {
                        format!(
                            "{}/{} (priority {})",
                            nsg.meta.name, nsg.rules[i].name, nsg.rules[i].spec.priority
                        )
                    })
                    .collect();
                names.sort();
                names.dedup();
                out.push(format!("{what} NSG allows: {}", names.join(", ")));
            }
            _ => out.push(format!("no {what} NSG")),
        }
    }
    out
}
