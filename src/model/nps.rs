//! A Windows NPS configuration as the rules read it (from `netsh nps export` XML or `host-summary.json`):
//! network policies, connection request policies and remote RADIUS server groups, each with the byte span
//! it was read from. RADIUS shared secrets are never part of it.

use std::ops::Range;

/// The parts of an NPS export that rdsaudit's rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpsConfig {
    /// Sorted by processing order (`msNPSequence`), policies without one last.
    pub network_policies: Vec<NetworkPolicy>,
    /// Sorted like `network_policies`.
    pub connection_request_policies: Vec<ConnectionRequestPolicy>,
    pub radius_server_groups: Vec<RadiusServerGroup>,
}

/// A network policy (`NetworkPolicy`) or connection request policy (`Proxy_Policies`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// The real name from `name=`.
    pub name: String,
    /// The policy element's start tag.
    pub span: Range<usize>,
    /// `Policy_Enabled`; absent counts as enabled so that a policy is never skipped unseen.
    pub enabled: bool,
    pub sequence: Option<u32>,
    /// `msNPConstraint` conditions, in file order.
    pub constraints: Vec<String>,
    pub profile: Option<PolicyProfile>,
}

/// A connection request policy has the same shape; its profile comes from `Proxy_Profiles`.
pub type ConnectionRequestPolicy = NetworkPolicy;

/// The settings (profile) a policy applies when it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProfile {
    pub name: String,
    /// The profile element's start tag.
    pub span: Range<usize>,
    /// `msNPAllowDialin`: grant (true) or deny (false) access.
    pub allow_dialin: Option<bool>,
    /// `msIgnoreUserDialinProperties`; `None` when absent (which NPS treats as unchecked).
    pub ignore_user_dialin: Option<bool>,
    pub ignore_span: Option<Range<usize>>,
    /// `msAuthProviderType`: 1 = this server authenticates, 2 = forward to a RADIUS server group.
    pub auth_provider_type: Option<u32>,
    /// `msAuthProviderName`: the remote RADIUS server group requests are forwarded to.
    pub auth_provider_name: Option<String>,
}

/// A remote RADIUS server group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadiusServerGroup {
    /// The real name from `name=`, e.g. `TS GATEWAY SERVER GROUP`.
    pub name: String,
    pub span: Range<usize>,
    pub servers: Vec<RadiusServer>,
}

/// A server in a remote RADIUS server group (its shared secrets are deliberately not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadiusServer {
    pub name: String,
    pub address: Option<String>,
    pub span: Range<usize>,
    pub timeout: Option<u32>,
    pub timeout_span: Option<Range<usize>>,
    pub blackout_interval: Option<u32>,
    pub blackout_span: Option<Range<usize>>,
}

impl RadiusServer {
    /// Seconds without a response before a request is considered dropped; NPS uses 3 when the
    /// value is absent, so a missing value must not read as 0.
    pub fn effective_timeout(&self) -> u32 {
        self.timeout.unwrap_or(3)
    }

    /// Seconds a server stays marked unavailable; absent means 10 x Timeout, never below Timeout.
    pub fn effective_blackout(&self) -> u32 {
        let timeout = self.effective_timeout();
        self.blackout_interval
            .unwrap_or_else(|| timeout.saturating_mul(10).max(timeout))
    }
}

/// The name of the RD Gateway's remote RADIUS server group when it forwards to a central NPS.
pub const TS_GATEWAY_GROUP: &str = "TS GATEWAY SERVER GROUP";

/// `msAuthProviderType` 2: forward authentication to a remote RADIUS server group.
const AUTH_PROVIDER_FORWARD: u32 = 2;

impl NpsConfig {
    /// The remote RADIUS server groups that enabled connection request policies forward authentication to.
    pub fn forwarding_groups(&self) -> Vec<&str> {
        self.connection_request_policies
            .iter()
            .filter(|p| p.enabled)
            .filter_map(|p| p.profile.as_ref())
            .filter(|prof| prof.auth_provider_type == Some(AUTH_PROVIDER_FORWARD))
            .filter_map(|prof| prof.auth_provider_name.as_deref())
            .collect()
    }

    /// Whether an enabled connection request policy forwards authentication to an existing remote RADIUS
    /// server group that has at least one server (rules/RDS016.md).
    pub fn forwards_to_central_nps(&self) -> bool {
        self.forwarding_groups().iter().any(|g| {
            self.radius_server_groups
                .iter()
                .any(|grp| grp.name.eq_ignore_ascii_case(g) && !grp.servers.is_empty())
        })
    }
}
