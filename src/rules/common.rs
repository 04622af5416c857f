//! Joins between resources that several rules need: a VM's NICs, the NPS servers, peered VNets.

use super::Outcomes;
use crate::finding::{NotEvaluated, RuleMeta, Subject};
use crate::model::{Environment, EvidenceFile, Host, Key, Nic, Role, Vm};

/// The NICs of a VM found in the inventory: the ones it lists, and the ones that name it.
pub fn vm_nics<'e>(env: &'e Environment, vm: &Vm) -> Vec<(&'e Key, &'e Nic)> {
    let keys = env
        .nics_of_vm
        .get(&vm.meta.key())
        .map(Vec::as_slice)
        .unwrap_or_default();
    keys.iter().filter_map(|k| env.nics.get_key_value(k)).collect()
}

/// NIC references of a VM that the inventory does not hold (or could not resolve).
pub fn missing_nics(env: &Environment, vm: &Vm) -> Vec<String> {
    vm.nics
        .iter()
        .filter(|r| r.key().is_none_or(|k| !env.nics.contains_key(&k)))
        .map(|r| r.describe().to_string())
        .collect()
}

/// Whether a host is an NPS server for RDS011–RDS014 and RDS017: it has NPAS and either no RD Gateway
/// role or it evaluates network policies itself. `None`: a gateway whose NPS export was not collected.
pub fn is_nps_server(env: &Environment, host: &Host) -> Option<bool> {
    let roles = env.host_roles(host);
    if !roles.contains(Role::Nps) {
        return Some(false);
    }
    if !roles.contains(Role::Gateway) {
        return Some(true);
    }
    host.nps.as_ref().map(|n| !n.config.forwards_to_central_nps())
}

/// The NPS servers among the hosts, and a "not evaluated" for each gateway that cannot be classified.
pub fn nps_servers<'e>(env: &'e Environment, meta: &'static RuleMeta, out: &mut Outcomes) -> Vec<&'e Host> {
    let mut servers = Vec::new();
    for host in env.hosts.values() {
        match is_nps_server(env, host) {
            Some(true) => servers.push(host),
            Some(false) => {}
            None => out.not_evaluated.push(NotEvaluated::new(
                meta,
                Subject::host(&host.name),
                format!(
                    "{}: {} is missing, so whether this gateway forwards to a central NPS is unknown",
                    host.folder,
                    EvidenceFile::NpsConfig
                ),
                host.origin.clone(),
            )),
        }
    }
    servers
}

/// A "not evaluated" for a host check whose evidence file was not collected; `detail` follows the file name
/// (` (RCM\\Licensing Core)`, ` (or ias-service.reg)`), or is empty.
pub fn missing_evidence(meta: &'static RuleMeta, host: &Host, file: EvidenceFile, detail: &str) -> NotEvaluated {
    NotEvaluated::new(
        meta,
        Subject::host(&host.name),
        format!("{file}{detail} was not collected in {}", host.folder),
        host.origin.clone(),
    )
}

/// VNets peered with this one (declared on either side) whose peering is connected or has no state.
pub fn peers(env: &Environment, vnet: &Key) -> Vec<Key> {
    env.peers_of_vnet.get(vnet).cloned().unwrap_or_default()
}
