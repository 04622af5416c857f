//! The serde model of the part of SARIF 2.1.0 rdsaudit fills (hand-written, as cargo-deny does); `sarif.rs`
//! fills it. Field order is declaration order, so the same input gives the same bytes.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use super::CoverageObject;

#[derive(Serialize)]
pub struct Log<'a> {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run<'a> {
    pub tool: Tool<'a>,
    /// `--sarif-category`: GitHub keeps one analysis per category and commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automation_details: Option<AutomationDetails<'a>>,
    pub invocations: [Invocation<'a>; 1],
    /// `%SRCROOT%`: the folder relative artifact URIs resolve against.
    pub original_uri_base_ids: BTreeMap<&'static str, BaseUri>,
    pub artifacts: Vec<Artifact<'a>>,
    pub results: Vec<SarifResult<'a>>,
    /// Regions count characters (positions.rs), not the UTF-16 units SARIF viewers may otherwise assume.
    pub column_kind: &'static str,
    pub properties: RunProperties<'a>,
}

#[derive(Serialize)]
pub struct AutomationDetails<'a> {
    pub id: &'a str,
}

#[derive(Serialize)]
pub struct BaseUri {
    pub uri: String,
}

/// The run's property bag (SARIF 2.1.0 §3.8: properties of any name; `tags`, reserved for a set of strings, is
/// not used).
#[derive(Serialize)]
pub struct RunProperties<'a> {
    /// How many resources of each type and how many hosts were read, as in the JSON report.
    pub coverage: CoverageObject<'a>,
}

#[derive(Serialize)]
pub struct Tool<'a> {
    pub driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver<'a> {
    pub name: &'static str,
    pub version: &'static str,
    pub semantic_version: &'static str,
    pub information_uri: &'static str,
    pub rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule<'a> {
    pub id: &'static str,
    pub name: &'static str,
    pub short_description: Text<'a>,
    pub full_description: Text<'a>,
    pub help: Help,
    pub help_uri: String,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Serialize)]
pub struct Text<'a> {
    pub text: Cow<'a, str>,
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Self {
            text: Cow::Borrowed(text),
        }
    }
}

impl<'a> Text<'a> {
    /// A `message.text` holding input text: brackets are escaped (SARIF 2.1.0 §3.11.6, embedded links), so
    /// that a resource named `[Click to fix](https://...)` is shown as written, never rendered as a link.
    pub fn message(text: impl Into<Cow<'a, str>>) -> Self {
        let text = text.into();
        if !text.contains(['[', ']']) {
            return Self { text };
        }
        let mut out = String::with_capacity(text.len() + 8);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '[' | ']' => out.push('\\'),
                // A backslash right before a bracket would escape the escape: double it.
                '\\' if matches!(chars.peek(), Some('[' | ']')) => out.push('\\'),
                _ => {}
            }
            out.push(c);
        }
        Self { text: Cow::Owned(out) }
    }
}

#[derive(Serialize)]
pub struct Help {
    pub text: String,
    pub markdown: &'static str,
}

#[derive(Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize)]
pub struct RuleProperties {
    /// A string, as GitHub reads it.
    #[serde(rename = "security-severity")]
    pub security_severity: &'static str,
    pub tags: Vec<&'static str>,
    pub precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation<'a> {
    pub execution_successful: bool,
    pub tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descriptor: Option<RuleReference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associated_rule: Option<RuleReference>,
    pub level: &'static str,
    pub message: Text<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
pub struct RuleReference {
    pub id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact<'a> {
    pub location: ArtifactLocation,
    pub hashes: Hashes<'a>,
    /// The input family (`az-cli`, `arm-template`, ...), for whoever reads the log without rdsaudit.
    pub properties: ArtifactProperties,
}

#[derive(Serialize)]
pub struct Hashes<'a> {
    #[serde(rename = "sha-256")]
    pub sha256: &'a str,
}

#[derive(Serialize)]
pub struct ArtifactProperties {
    pub kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult<'a> {
    pub rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    pub level: &'static str,
    pub message: Text<'a>,
    pub locations: Vec<Location<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location<'a>>,
    pub partial_fingerprints: Fingerprints,
    /// `new`, `unchanged` or `absent`, when a comparison was made (`--baseline`, `--new-only`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression<'a>>,
    pub properties: ResultProperties<'a>,
}

#[derive(Serialize)]
pub struct Fingerprints {
    #[serde(rename = "rdsaudit/v1")]
    pub v1: String,
}

#[derive(Serialize)]
pub struct Suppression<'a> {
    pub kind: &'static str,
    pub status: &'static str,
    pub justification: &'a str,
}

#[derive(Serialize)]
pub struct ResultProperties<'a> {
    pub severity: &'static str,
    pub subject: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location<'a> {
    /// Set on related locations, which a message may refer to by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
    /// Into `runs[0].artifacts`, which lists the sources in their order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation<'a> {
    pub fully_qualified_name: &'a str,
    pub kind: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_in_messages_are_escaped() {
        assert_eq!(Text::message("plain").text, "plain");
        assert_eq!(
            Text::message("NSG '[Click to fix](https://x.example)' allows").text,
            "NSG '\\[Click to fix\\](https://x.example)' allows"
        );
        assert_eq!(Text::message("a\\[b").text, "a\\\\\\[b");
        assert_eq!(Text::message("a\\b").text, "a\\b");
    }
}
