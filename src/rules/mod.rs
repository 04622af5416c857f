//! The rule registry: one static list, stable IDs. Each rule file declares its metadata next to its check.
//! Rules are pure functions of the `Environment`; they never read files.

/// Declare a rule: its unit type, its metadata as `META`, and the `Rule` impl that runs the module's
/// `fn check(env, out)`.
macro_rules! declare_rule {
    ($ty:ident, $meta:expr) => {
        pub struct $ty;

        static META: $crate::finding::RuleMeta = $meta;

        impl $crate::rules::Rule for $ty {
            fn meta(&self) -> &'static $crate::finding::RuleMeta {
                &META
            }

            fn check(&self, env: &$crate::model::Environment, out: &mut $crate::rules::Outcomes) {
                check(env, out)
            }
        }
    };
}

mod common;

pub use crate::finding::RuleMeta;

use crate::finding::{Finding, NotEvaluated};
use crate::model::Environment;

/// What one rule produced.
#[derive(Debug, Default)]
pub struct Outcomes {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
}

impl Outcomes {
    pub fn extend(&mut self, other: Outcomes) {
        self.findings.extend(other.findings);
        self.not_evaluated.extend(other.not_evaluated);
    }
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, env: &Environment, out: &mut Outcomes);
}

/// Declare the rule modules and the registry in one list: adding a rule is one line here.
macro_rules! registry {
    ($($module:ident::$rule:ident),* $(,)?) => {
        $(mod $module;)*

        static REGISTRY: &[&dyn Rule] = &[$(&$module::$rule),*];
    };
}

registry! {
    rds001_nsg_rdp_from_internet::Rds001,
    rds002_vm_public_ip::Rds002,
    rds003_vm_rdp_reachable::Rds003,
    rds004_bastion_absent::Rds004,
    rds005_bastion_subnet_too_small::Rds005,
    rds006_lb_rdp_forwarding::Rds006,
    rds010_rd_licensing_not_per_device::Rds010,
    rds011_nps_registered_in_ad::Rds011,
    rds012_nps_dialin_not_ignored::Rds012,
    rds013_ias_sidtype_not_unrestricted::Rds013,
    rds014_mfa_extension_missing::Rds014,
    rds015_radius_timeout_too_short::Rds015,
    rds016_rdg_local_nps::Rds016,
    rds017_mfa_require_user_match_off::Rds017,
    rds018_mfa_extension_on_gateway::Rds018,
    rds020_unsupported_os::Rds020,
    rds021_outside_workloads_subnet::Rds021,
    rds022_single_session_host::Rds022,
}

pub fn registry() -> &'static [&'static dyn Rule] {
    REGISTRY
}

/// Look a rule up by ID, case-insensitively.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    REGISTRY
        .iter()
        .copied()
        .find(|r| r.meta().id.eq_ignore_ascii_case(id.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_documentation() {
        for r in registry() {
            let m = r.meta();
            assert!(
                m.help.starts_with(&format!("# {}: {}", m.id, m.name)),
                "{} doc heading",
                m.id
            );
        }
        assert!(find("rds003").is_some() && find("RDS999").is_none());
    }

    /// A rule that reads nothing would never be listed when the inputs hold nothing it could judge.
    #[test]
    fn every_rule_declares_what_it_reads() {
        for r in registry() {
            assert!(!r.meta().reads.is_empty(), "{} declares no input kind", r.meta().id);
        }
    }
}
