//! A Windows host as its evidence folder describes it: normalized facts, each with where it was read.
//! Whether a fact was collected is explicit: `None` means "not collected" (the check is not evaluated),
//! `Some(Fact { value: None, .. })` means "read, and not set" (the collector's manifest or an exported
//! key without the value says so).

use std::fmt;

use super::NpsConfig;
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
    /// The Entra MFA NPS extension is registered: both of its DLLs are (rules/RDS014.md).
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

/// A service SID type (`SERVICE_SID_INFO.dwServiceSidType`, winsvc.h), shown as `sc.exe` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidType {
    None,
    Unrestricted,
    Restricted,
}

impl SidType {
    /// The `HKLM\SYSTEM\CurrentControlSet\Services\<svc>\ServiceSidType` DWORD: 0 NONE,
    /// 1 UNRESTRICTED, 3 RESTRICTED; anything else is not a defined SID type.
    pub fn from_registry(v: u32) -> Option<Self> {
        match v {
            0 => Some(SidType::None),
            1 => Some(SidType::Unrestricted),
            3 => Some(SidType::Restricted),
            _ => None,
        }
    }

    /// `NONE`, `UNRESTRICTED` or `RESTRICTED` (`sc.exe qsidtype`, `host-summary.json`), in any case.
    pub fn parse(word: &str) -> Option<Self> {
        [SidType::None, SidType::Unrestricted, SidType::Restricted]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(word))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SidType::None => "NONE",
            SidType::Unrestricted => "UNRESTRICTED",
            SidType::Restricted => "RESTRICTED",
        }
    }
}

impl fmt::Display for SidType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The evidence files the collector writes into a host folder. The host ingest recognises them by these
/// names and the rules name them when a check is "not evaluated"; a file's stem is also its item name in
/// the collector's `manifest.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceFile {
    Os,
    Features,
    RasAndIasServers,
    Manifest,
    HostSummary,
    ScQsidtypeIas,
    NpsRegisteredServer,
    NpsConfig,
    LicensingPolicy,
    LicensingCore,
    IasService,
    AuthsrvParameters,
    AzureMfa,
}

impl EvidenceFile {
    pub const ALL: [EvidenceFile; 13] = [
        EvidenceFile::Os,
        EvidenceFile::Features,
        EvidenceFile::RasAndIasServers,
        EvidenceFile::Manifest,
        EvidenceFile::HostSummary,
        EvidenceFile::ScQsidtypeIas,
        EvidenceFile::NpsRegisteredServer,
        EvidenceFile::NpsConfig,
        EvidenceFile::LicensingPolicy,
        EvidenceFile::LicensingCore,
        EvidenceFile::IasService,
        EvidenceFile::AuthsrvParameters,
        EvidenceFile::AzureMfa,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            EvidenceFile::Os => "os.json",
            EvidenceFile::Features => "features.json",
            EvidenceFile::RasAndIasServers => "ras-and-ias-servers.json",
            EvidenceFile::Manifest => "manifest.json",
            EvidenceFile::HostSummary => "host-summary.json",
            EvidenceFile::ScQsidtypeIas => "sc-qsidtype-ias.txt",
            EvidenceFile::NpsRegisteredServer => "nps-registeredserver.txt",
            EvidenceFile::NpsConfig => "nps-config.xml",
            EvidenceFile::LicensingPolicy => "licensing-policy.reg",
            EvidenceFile::LicensingCore => "licensing-core.reg",
            EvidenceFile::IasService => "ias-service.reg",
            EvidenceFile::AuthsrvParameters => "authsrv-parameters.reg",
            EvidenceFile::AzureMfa => "azuremfa.reg",
        }
    }

    /// The item name in `manifest.json` (the file name without its extension).
    pub fn item(self) -> &'static str {
        let name = self.file_name();
        name.rsplit_once('.').map_or(name, |(stem, _)| stem)
    }

    /// The file a (lower-cased) file name is, if any.
    pub fn from_file_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.file_name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for EvidenceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_files_know_their_manifest_item_and_are_found_by_name() {
        assert_eq!(EvidenceFile::LicensingCore.item(), "licensing-core");
        assert_eq!(EvidenceFile::ScQsidtypeIas.item(), "sc-qsidtype-ias");
        for f in EvidenceFile::ALL {
            assert_eq!(EvidenceFile::from_file_name(&f.file_name().to_uppercase()), Some(f));
        }
        assert_eq!(EvidenceFile::from_file_name("other.reg"), None);
    }

    #[test]
    fn sid_types_read_and_print_as_sc_does() {
        assert_eq!(SidType::parse("unrestricted"), Some(SidType::Unrestricted));
        assert_eq!(SidType::parse("SOMETHING"), None);
        assert_eq!(SidType::Restricted.to_string(), "RESTRICTED");
    }
}
