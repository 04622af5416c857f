//! The normalized environment every rule reads, whatever input family it came from. Resources are keyed by
//! their lower-cased resource ID (IDs compare case-insensitively) in ordered maps, so that iteration is
//! deterministic. Every value keeps its provenance as an [`Origin`]: a source (a file, or later a URL) and a
//! place in it (a JSON pointer or a byte span). Input families fill it through the typed [`Builder`].

mod azure;
mod build;
mod coverage;
mod host;
mod nps;
mod roles;

pub use azure::*;
pub use build::{Builder, UnresolvedRule};
pub use coverage::{Coverage, InputKind};
pub use host::*;
pub use nps::*;
pub use roles::{Role, RoleSet, ROLE_TAG};

pub use crate::source::{Origin, SourceId};

use std::collections::BTreeMap;

use crate::source::Source;

/// A lower-cased resource ID, the key of every map.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

impl Key {
    pub fn new(id: &str) -> Self {
        Self(id.trim_end_matches('/').to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The resource this one is a child of (`.../networkSecurityGroups/a/securityRules/b` -> `.../a`; a
    /// Terraform address too: `azurerm_virtual_network.v/subnets/s` -> `azurerm_virtual_network.v`).
    pub fn parent(&self) -> Option<Key> {
        let mut it = self.0.rsplitn(3, '/');
        let (_, kind, parent) = (it.next()?, it.next()?, it.next()?);
        if !parent.starts_with('/') && !parent.contains("/providers/") {
            // Instance keys may hold `/` (`["10.0.0.0/24"]`): only a known child type makes a parent.
            return TERRAFORM_CHILDREN.contains(&kind).then(|| Key(parent.to_string()));
        }
        // A parent must itself be a resource: a namespace plus at least one type/name pair.
        let after = parent.split_once("/providers/")?.1;
        (after.split('/').count() >= 3).then(|| Key(parent.to_string()))
    }
}

/// The child types a Terraform-address subject names below its parent (lower-cased), as ARM IDs do.
const TERRAFORM_CHILDREN: [&str; 6] = [
    "securityrules",
    "subnets",
    "virtualnetworkpeerings",
    "inboundnatrules",
    "inboundnatpools",
    "loadbalancingrules",
];

/// The last segment of a resource ID: the resource's name.
pub fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// A reference to another resource as written in the input. An ARM template reference that could not be
/// evaluated stays `Unresolved` and makes dependent checks "not evaluated".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Id(String),
    Unresolved(String),
}

impl Ref {
    pub fn key(&self) -> Option<Key> {
        match self {
            Ref::Id(id) => Some(Key::new(id)),
            Ref::Unresolved(_) => None,
        }
    }

    pub fn describe(&self) -> &str {
        match self {
            Ref::Id(id) => id,
            Ref::Unresolved(expr) => expr,
        }
    }
}

/// A value an input leaves unresolved (an ARM template expression that cannot be evaluated before
/// deployment): which field, the expression standing for it, why, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub field: String,
    pub expression: String,
    pub reason: Option<String>,
    pub origin: Origin,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {}", self.field, self.expression)?;
        match &self.reason {
            Some(reason) => write!(f, " ({reason})"),
            None => Ok(()),
        }
    }
}

/// Fields every top-level resource has.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The ID as found (printed as found, compared lower-cased).
    pub id: String,
    pub name: String,
    /// Where the resource's definition starts; findings about an absence point here.
    pub origin: Origin,
    pub tags: BTreeMap<String, String>,
    /// A deployment condition the input leaves unknown (an ARM template `condition` or a copy count that
    /// depends on a parameter without a value): the resource is judged, and its findings say it may not exist.
    pub condition: Option<String>,
}

impl Meta {
    pub fn key(&self) -> Key {
        Key::new(&self.id)
    }

    /// The `rdsaudit-role` tag or the `rdsaudit-ignore` tag, looked up case-insensitively.
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The whole environment: sources, resources and what could not be read.
#[derive(Debug, Default)]
pub struct Environment {
    pub sources: Vec<Source>,
    pub nsgs: BTreeMap<Key, Nsg>,
    pub vnets: BTreeMap<Key, Vnet>,
    pub subnets: BTreeMap<Key, Subnet>,
    pub nics: BTreeMap<Key, Nic>,
    pub public_ips: BTreeMap<Key, PublicIp>,
    pub vms: BTreeMap<Key, Vm>,
    pub bastions: BTreeMap<Key, Bastion>,
    pub load_balancers: BTreeMap<Key, LoadBalancer>,
    pub domain_services: BTreeMap<Key, DomainService>,
    /// NICs of each VM in the inventory (listed by the VM or naming it), built once after ingest.
    pub nics_of_vm: BTreeMap<Key, Vec<Key>>,
    /// The VNets each VNet is peered with and connected to, from either side's peering, built once after
    /// ingest (every VNet asking every other grew with VNets x peerings).
    pub peers_of_vnet: BTreeMap<Key, Vec<Key>>,
    /// Each VM by its upper-cased host name (computer name, else VM name), built once after ingest so that
    /// joining hosts to VMs costs a lookup, not a scan of every VM.
    pub vm_by_host: BTreeMap<String, Key>,
    /// Windows hosts from evidence folders, by upper-cased computer name.
    pub hosts: BTreeMap<String, Host>,
    /// Roles by upper-cased host name, from the config's `[roles]` (see [`Environment::set_config_roles`]).
    config_roles: BTreeMap<String, RoleSet>,
    /// Each host's resolved roles, by upper-cased name (see [`Environment::host_roles`]).
    host_roles: BTreeMap<String, RoleSet>,
    /// Security rules whose fields an ARM template export left unresolved.
    pub unresolved_rules: Vec<UnresolvedRule>,
    /// Non-fatal problems (duplicates that disagree, skipped files), printed on stderr and in reports.
    pub warnings: Vec<String>,
}

impl Environment {
    /// Tags of the resource a subject belongs to: the subject itself, else its closest parent with tags
    /// (security rules, subnets and load-balancer rules carry no tags of their own).
    pub fn tags_for(&self, subject: &str) -> Option<&BTreeMap<String, String>> {
        self.meta_for(subject).map(|m| &m.tags)
    }

    /// The unknown deployment condition of the resource a subject belongs to (itself or its closest parent).
    pub fn condition_for(&self, subject: &str) -> Option<&str> {
        self.meta_for(subject).and_then(|m| m.condition.as_deref())
    }

    /// The subject's own resource, else its closest parent in the inputs.
    fn meta_for(&self, subject: &str) -> Option<&Meta> {
        let mut key = Some(Key::new(subject));
        while let Some(k) = key {
            if let Some(meta) = self.meta(&k) {
                return Some(meta);
            }
            key = k.parent();
        }
        None
    }

    fn meta(&self, k: &Key) -> Option<&Meta> {
        None.or_else(|| self.nsgs.get(k).map(|r| &r.meta))
            .or_else(|| self.vnets.get(k).map(|r| &r.meta))
            .or_else(|| self.nics.get(k).map(|r| &r.meta))
            .or_else(|| self.public_ips.get(k).map(|r| &r.meta))
            .or_else(|| self.vms.get(k).map(|r| &r.meta))
            .or_else(|| self.bastions.get(k).map(|r| &r.meta))
            .or_else(|| self.load_balancers.get(k).map(|r| &r.meta))
            .or_else(|| self.domain_services.get(k).map(|r| &r.meta))
    }

    /// The VM that is the same machine as a host (computer name, else VM name, case-insensitively; the
    /// first VM in ID order when several share a name).
    pub fn vm_of_host(&self, host: &str) -> Option<&Vm> {
        self.vm_by_host.get(&host.to_uppercase()).and_then(|k| self.vms.get(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_know_their_parent() {
        let k = Key::new(
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/networkSecurityGroups/N/securityRules/R",
        );
        assert_eq!(k, Key::new(&k.as_str().to_uppercase()));
        let p = k.parent().unwrap();
        assert!(p.as_str().ends_with("networksecuritygroups/n"));
        assert_eq!(p.parent(), None);
    }
}
