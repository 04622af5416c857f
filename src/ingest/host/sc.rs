//! `sc.exe qsidtype IAS` output, and the `ServiceSidType` registry value it mirrors.
//!
//! Windows Server 2019 NPS needs the IAS service SID type UNRESTRICTED (RDS013). Windows 10/2019
//! builds print `SERVICE_SID_TYPE:  UNRESTRICTED`; other builds and documentation show
//! `SERVICE_SID_TYPE_UNRESTRICTED`. Both are accepted, in any case.

use crate::ingest::host::text::{lines, strip_prefix_ci, ParseError};
use crate::model::SidType;
use std::ops::Range;

/// The parsed output; `span` is the `SERVICE_SID_TYPE` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScSidType {
    pub service: Option<String>,
    pub sid_type: SidType,
    pub span: Range<usize>,
}

/// Parse `sc.exe qsidtype <service>` output. `[SC] OpenService FAILED 1060` (the service does not
/// exist) is an error saying the service is not installed, so the caller can tell "NPS absent"
/// from "unreadable evidence".
pub fn parse_qsidtype(text: &str) -> Result<ScSidType, ParseError> {
    let mut service = None;
    for (range, line) in lines(text) {
        let trimmed = line.trim();
        let upper = trimmed.to_ascii_uppercase();
        if let Some(at) = upper.find(" FAILED ") {
            let code: String = upper[at + 8..].chars().take_while(char::is_ascii_digit).collect();
            let message = if code == "1060" {
                "the service is not installed (sc.exe: OpenService FAILED 1060, the specified \
                 service does not exist as an installed service)"
                    .to_owned()
            } else {
                format!("sc.exe failed: {trimmed}")
            };
            return Err(ParseError::new(range.start, message));
        }
        if let Some(rest) = strip_prefix_ci(trimmed, "SERVICE_NAME:") {
            service = Some(rest.trim().to_owned());
            continue;
        }
        if let Some(rest) = strip_prefix_ci(trimmed, "SERVICE_SID_TYPE") {
            let word = rest.trim_start_matches(|c: char| c == '_' || c == ':' || c.is_whitespace());
            let word = word.split_whitespace().next().unwrap_or("");
            let sid_type = SidType::parse(word)
                .ok_or_else(|| ParseError::new(range.start, format!("unknown service SID type `{word}`")))?;
            return Ok(ScSidType {
                service,
                sid_type,
                span: range,
            });
        }
    }
    Err(ParseError::new(
        0,
        "no SERVICE_SID_TYPE line: not the output of `sc.exe qsidtype`",
    ))
}
