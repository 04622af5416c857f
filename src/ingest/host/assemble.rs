//! From the parsed files of one evidence folder to a `Host` with normalized facts. A fact missing from
//! the files is "read, and not set" only when the collector's manifest says the key, service or feature
//! was absent (or an exported key lacks the value); otherwise it stays "not collected".

use std::path::PathBuf;

use super::evidence::{Manifest, Parsed};
use super::reg::{RegData, RegFile, RegKey, RegValue};
use crate::model::{AuthDlls, EvidenceFile, Fact, Host, NpsEvidence, SidType};
use crate::source::{Origin, Source, SourceId};

pub const LICENSING_POLICY_KEY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
pub const LICENSING_CORE_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\RCM\Licensing Core";
pub const IAS_SERVICE_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\IAS";
pub const AUTHSRV_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\AuthSrv\Parameters";
pub const AZURE_MFA_KEY: &str = r"HKLM\SOFTWARE\Microsoft\AzureMfa";

/// The files of one folder, in path order.
pub struct Folder {
    pub path: PathBuf,
    pub display: String,
    pub files: Vec<(SourceId, Parsed)>,
}

pub fn assemble(folder: Folder, sources: &[Source]) -> Host {
    let Folder { path, display, files } = folder;
    let mut f = Files {
        regs: Vec::new(),
        manifest: None,
        first: None,
    };
    let mut host = Host {
        folder: display,
        ..Host::default()
    };
    let mut summaries = Vec::new();
    for (id, parsed) in &files {
        let whole = Origin::span(*id, 0..0);
        f.first.get_or_insert_with(|| whole.clone());
        match parsed {
            Parsed::Os(os) => {
                host.name = os.cs_name.clone().unwrap_or_default();
                host.os_caption = os.caption.clone();
                host.os_build = os.build_number.map(|b| Fact::new(b, Origin::pointer(*id, "")));
            }
            Parsed::Features(list) => {
                host.features = Some(Fact::new(list.iter().map(|x| x.name.clone()).collect(), whole.clone()))
            }
            Parsed::Reg(reg) => f.regs.push((*id, reg)),
            Parsed::SidType(sc) => {
                host.ias_sid_type = Some(Fact::new(Some(sc.sid_type), Origin::span(*id, sc.span.clone())))
            }
            Parsed::Registered(r) => host.registered = Some(Fact::new(r.registered, Origin::span(*id, r.span.clone()))),
            Parsed::RasAndIasMembers(m) => {
                let names = m
                    .iter()
                    .flat_map(|g| [g.name.clone(), g.sam_account_name.clone()])
                    .flatten()
                    .collect();
                host.ras_and_ias_members = Some(Fact::new(names, whole.clone()));
            }
            Parsed::Nps(config) => {
                host.nps = Some(NpsEvidence {
                    config: config.clone(),
                    source: *id,
                })
            }
            Parsed::Manifest(m) => {
                f.manifest = Some((*id, m));
                if host.name.is_empty() {
                    host.name = m.computer_name.clone().unwrap_or_default();
                }
            }
            Parsed::Summary(s) => summaries.push((*id, s)),
        }
    }
    host.origin = f.first.clone();
    host.licensing_policy = f.dword(LICENSING_POLICY_KEY, "LicensingMode", EvidenceFile::LicensingPolicy);
    host.licensing_rcm = f.dword(LICENSING_CORE_KEY, "LicensingMode", EvidenceFile::LicensingCore);
    if host.ias_sid_type.is_none() {
        host.ias_sid_type = f.sid_type_from_registry();
    }
    host.auth_dlls = f.auth_dlls();
    host.require_user_match = f.string(AZURE_MFA_KEY, "REQUIRE_USER_MATCH", EvidenceFile::AzureMfa);
    if host.ras_and_ias_members.is_none() {
        host.ras_and_ias_members = f
            .absent(EvidenceFile::RasAndIasServers)
            .map(|o| Fact::new(Vec::new(), o));
    }
    for (id, summary) in summaries {
        summary.apply(&mut host, id, &sources[id]);
    }
    if host.name.is_empty() {
        host.name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
    }
    host.name = host.name.to_uppercase();
    host
}

struct Files<'a> {
    regs: Vec<(SourceId, &'a RegFile)>,
    manifest: Option<(SourceId, &'a Manifest)>,
    first: Option<Origin>,
}

impl<'a> Files<'a> {
    fn key(&self, path: &str) -> Option<(SourceId, &'a RegKey)> {
        self.regs.iter().find_map(|(id, reg)| reg.key(path).map(|k| (*id, k)))
    }

    /// Where the manifest says an item was absent (the key, service or feature does not exist).
    fn absent(&self, file: EvidenceFile) -> Option<Origin> {
        let (id, m) = self.manifest?;
        let i = m
            .items
            .iter()
            .position(|i| i.name.eq_ignore_ascii_case(file.item()) && i.status.eq_ignore_ascii_case("absent"))?;
        Some(Origin::pointer(id, format!("/items/{i}")))
    }

    /// A value of a key: `Some(Fact(Some))` when set, `Some(Fact(None))` when the key was read without it
    /// or the manifest says the key is absent, `None` when not collected.
    fn value<T>(
        &self,
        key: &str,
        name: &str,
        file: EvidenceFile,
        read: impl Fn(&RegValue) -> Option<T>,
    ) -> Option<Fact<Option<T>>> {
        match self.key(key) {
            Some((id, k)) => Some(match k.value(name) {
                Some(v) => Fact::new(read(v), Origin::span(id, v.span.clone())),
                None => Fact::new(None, Origin::span(id, k.span.clone())),
            }),
            None => self.absent(file).map(|o| Fact::new(None, o)),
        }
    }

    fn dword(&self, key: &str, name: &str, file: EvidenceFile) -> Option<Fact<Option<u32>>> {
        self.value(key, name, file, |v| match &v.data {
            RegData::Dword(d) => Some(*d),
            _ => None,
        })
    }

    fn string(&self, key: &str, name: &str, file: EvidenceFile) -> Option<Fact<Option<String>>> {
        self.value(key, name, file, |v| match &v.data {
            RegData::Sz(s) | RegData::ExpandSz(s) => Some(s.clone()),
            _ => None,
        })
    }

    /// The IAS service key's `ServiceSidType` (absent means 0, NONE, as the service control manager reads
    /// it); the manifest's "absent" means the service is not installed.
    fn sid_type_from_registry(&self) -> Option<Fact<Option<SidType>>> {
        match self.key(IAS_SERVICE_KEY) {
            Some((id, k)) => match k.value("ServiceSidType") {
                None => Some(Fact::new(Some(SidType::None), Origin::span(id, k.span.clone()))),
                Some(v) => {
                    let RegData::Dword(d) = v.data else { return None };
                    Some(Fact::new(
                        Some(SidType::from_registry(d)?),
                        Origin::span(id, v.span.clone()),
                    ))
                }
            },
            None => self
                .absent(EvidenceFile::IasService)
                .or_else(|| self.absent(EvidenceFile::ScQsidtypeIas))
                .map(|o| Fact::new(None, o)),
        }
    }

    fn auth_dlls(&self) -> Option<Fact<AuthDlls>> {
        let list = |k: &RegKey, name: &str| match k.value(name).map(|v| &v.data) {
            Some(RegData::MultiSz(l)) => l.clone(),
            Some(RegData::Sz(s) | RegData::ExpandSz(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        match self.key(AUTHSRV_KEY) {
            Some((id, k)) => {
                let dlls = AuthDlls {
                    extension: list(k, "ExtensionDLLs"),
                    authorization: list(k, "AuthorizationDLLs"),
                };
                let at = k
                    .value("ExtensionDLLs")
                    .map_or_else(|| k.span.clone(), |v| v.span.clone());
                Some(Fact::new(dlls, Origin::span(id, at)))
            }
            None => self
                .absent(EvidenceFile::AuthsrvParameters)
                .map(|o| Fact::new(AuthDlls::default(), o)),
        }
    }
}
