//! A Windows host as its evidence folder describes it: normalized facts, each with where it was read.
//! Whether a fact was collected is explicit: `None` means "not collected" (the check is not evaluated),
//! `Some(Fact { value: None, .. })` means "read, and not set" (the collector's manifest or an exported
//! key without the value says so).

use crate::ingest::host::nps_xml::NpsConfig;
use crate::ingest::host::sc::SidType;
use crate::source::{Origin, SourceId};

#[derive(Debug, Clone)]
pub struct Fact<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Fact<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Self { value, origin }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Host {
    /// Computer name, upper-cased (`os.json` `CSName`, else the folder name).
    pub name: String,
    /// The evidence folder, as displayed.
    pub folder: String,
    /// Where findings about an absence point: the host's first evidence file.
    pub origin: Option<Origin>,
    pub os_caption: Option<String>,
    pub os_build: Option<Fact<u32>>,
    /// Installed Windows feature names (`features.json`).
    pub features: Option<Fact<Vec<String>>>,
    /// `LicensingMode` of the RDS policy key.
    pub licensing_policy: Option<Fact<Option<u32>>>,
    /// `LicensingMode` of `RCM\Licensing Core`.
    pub licensing_rcm: Option<Fact<Option<u32>>>,
    /// IAS service SID type; `None` inside: the IAS service is not installed.
    pub ias_sid_type: Option<Fact<Option<SidType>>>,
    /// `AuthSrv\Parameters` `ExtensionDLLs` and `AuthorizationDLLs` (empty when the key or value is absent).
    pub auth_dlls: Option<Fact<AuthDlls>>,
    /// `HKLM\SOFTWARE\Microsoft\AzureMfa` `REQUIRE_USER_MATCH`.
    pub require_user_match: Option<Fact<Option<String>>>,
    /// Members of `RAS and IAS Servers` (names and sAMAccountNames).
    pub ras_and_ias_members: Option<Fact<Vec<String>>>,
    /// `netsh nps show registeredserver`: registered or not (`None` inside: the text did not say).
    pub registered: Option<Fact<Option<bool>>>,
    pub nps: Option<NpsEvidence>,
}

#[derive(Debug, Clone, Default)]
pub struct AuthDlls {
    pub extension: Vec<String>,
    pub authorization: Vec<String>,
}

impl AuthDlls {
    /// The Entra MFA NPS extension is registered: both of its DLLs are (rules.md RDS014).
    pub fn has_mfa_extension(&self) -> bool {
        let ends = |list: &[String], dll: &str| list.iter().any(|p| p.trim().to_ascii_lowercase().ends_with(dll));
        ends(&self.extension, "mfanpsauthnext.dll") && ends(&self.authorization, "mfanpsauthzext.dll")
    }
}

/// A parsed NPS configuration and the source its spans point into.
#[derive(Debug, Clone)]
pub struct NpsEvidence {
    pub config: NpsConfig,
    pub source: SourceId,
}

impl NpsEvidence {
    pub fn origin(&self, span: &std::ops::Range<usize>) -> Origin {
        Origin::span(self.source, span.clone())
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
    /// server group that has at least one server (rules.md RDS016 and Roles).
    pub fn forwards_to_central_nps(&self) -> bool {
        self.forwarding_groups().iter().any(|g| {
            self.radius_server_groups
                .iter()
                .any(|grp| grp.name.eq_ignore_ascii_case(g) && !grp.servers.is_empty())
        })
    }
}
