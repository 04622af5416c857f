//! Host evidence files: recognised by their name inside a host folder, then parsed and validated by
//! content. Parsing happens per file (in parallel with the rest of the ingest); the facts of one host are
//! assembled from all the files of its folder afterwards.

use std::path::Path;

use serde::Deserialize;

use super::nps_xml::{parse_nps, secret_spans};
use super::ps_json::{parse_features, parse_group_members, parse_os, Feature, GroupMember, OsInfo};
use super::reg::RegFile;
use super::registered::{parse_registered, Registration};
use super::sc::{parse_qsidtype, ScSidType};
use super::summary::HostSummary;
use super::text::ParseError;
use crate::error::InputError;
use crate::model::{EvidenceFile, NpsConfig};
use crate::source::Source;

/// One parsed evidence file.
#[derive(Debug)]
pub enum Parsed {
    Os(OsInfo),
    Features(Vec<Feature>),
    Reg(RegFile),
    SidType(ScSidType),
    Registered(Registration),
    RasAndIasMembers(Vec<GroupMember>),
    Nps(NpsConfig),
    Manifest(Manifest),
    Summary(Box<HostSummary>),
}

/// `manifest.json` as the collector writes it.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub computer_name: Option<String>,
    #[serde(default)]
    pub items: Vec<ManifestItem>,
}

#[derive(Debug, Deserialize)]
pub struct ManifestItem {
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub file: Option<String>,
}

/// The older name of `nps-registeredserver.txt` (`netsh ras show registeredserver`), also read.
const RAS_REGISTERED_SERVER: &str = "ras-registeredserver.txt";

/// Whether a file is host evidence, by its name: one the collector writes, or any `*.reg` export.
pub fn is_evidence(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    EvidenceFile::from_file_name(&lower).is_some() || lower.ends_with(".reg") || lower == RAS_REGISTERED_SERVER
}

/// Parse one evidence file; errors carry the file, line and column.
pub fn parse(source: &mut Source) -> Result<Parsed, InputError> {
    let name = source
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if EvidenceFile::from_file_name(&name) == Some(EvidenceFile::NpsConfig) {
        // Secrets are found first, so that even a file that fails to parse never shows them, not even in
        // the snippet of its own input error.
        source.secrets = secret_spans(&source.text);
    }
    source.kind = "host-evidence";
    let source = &*source;
    let text = source.text.as_str();
    let located = |e: ParseError| source.error_at(e.offset, e.message);
    let parsed = match EvidenceFile::from_file_name(&name) {
        Some(EvidenceFile::Os) => Parsed::Os(parse_os(text).map_err(located)?),
        Some(EvidenceFile::Features) => Parsed::Features(parse_features(text).map_err(located)?),
        Some(EvidenceFile::RasAndIasServers) => Parsed::RasAndIasMembers(parse_group_members(text).map_err(located)?),
        Some(EvidenceFile::Manifest) => Parsed::Manifest(
            serde_json::from_str(text)
                .map_err(|e| source.error_at_line(e.line(), e.column(), format!("invalid collector manifest: {e}")))?,
        ),
        Some(EvidenceFile::HostSummary) => Parsed::Summary(Box::new(HostSummary::parse(source)?)),
        Some(EvidenceFile::ScQsidtypeIas) => Parsed::SidType(parse_qsidtype(text).map_err(located)?),
        Some(EvidenceFile::NpsRegisteredServer) => Parsed::Registered(parse_registered(text)),
        _ if name == RAS_REGISTERED_SERVER => Parsed::Registered(parse_registered(text)),
        Some(EvidenceFile::NpsConfig) => Parsed::Nps(parse_nps(text).map_err(located)?),
        // Every other name is a `reg export` (the collector's own names and any other `*.reg`).
        _ => Parsed::Reg(RegFile::parse(text).map_err(located)?),
    };
    Ok(parsed)
}
