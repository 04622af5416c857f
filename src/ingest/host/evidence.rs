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
use crate::model::NpsConfig;
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

/// The evidence file names the scanner reads (the collector writes exactly these; `*.reg` is any name).
pub const FILE_NAMES: [&str; 8] = [
    "os.json",
    "features.json",
    "ras-and-ias-servers.json",
    "manifest.json",
    "host-summary.json",
    "sc-qsidtype-ias.txt",
    "nps-registeredserver.txt",
    "nps-config.xml",
];

/// Whether a file is host evidence, by its name.
pub fn is_evidence(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    FILE_NAMES.contains(&lower.as_str()) || lower.ends_with(".reg") || lower == "ras-registeredserver.txt"
}

/// Parse one evidence file; errors carry the file, line and column.
pub fn parse(source: &mut Source) -> Result<Parsed, InputError> {
    let name = source
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if name == "nps-config.xml" {
        // Secrets are found first, so that even a file that fails to parse never shows them, not even in
        // the snippet of its own input error.
        source.secrets = secret_spans(&source.text);
    }
    source.kind = "host-evidence";
    let source = &*source;
    let text = source.text.as_str();
    let located = |e: ParseError| source.error_at(e.offset, e.message);
    let parsed = match name.as_str() {
        "os.json" => Parsed::Os(parse_os(text).map_err(located)?),
        "features.json" => Parsed::Features(parse_features(text).map_err(located)?),
        "ras-and-ias-servers.json" => Parsed::RasAndIasMembers(parse_group_members(text).map_err(located)?),
        "manifest.json" => Parsed::Manifest(
            serde_json::from_str(text)
                .map_err(|e| source.error_at_line(e.line(), e.column(), format!("invalid collector manifest: {e}")))?,
        ),
        "host-summary.json" => Parsed::Summary(Box::new(HostSummary::parse(source)?)),
        "sc-qsidtype-ias.txt" => Parsed::SidType(parse_qsidtype(text).map_err(located)?),
        "nps-registeredserver.txt" | "ras-registeredserver.txt" => Parsed::Registered(parse_registered(text)),
        "nps-config.xml" => Parsed::Nps(parse_nps(text).map_err(located)?),
        _ => Parsed::Reg(RegFile::parse(text).map_err(located)?),
    };
    Ok(parsed)
}
