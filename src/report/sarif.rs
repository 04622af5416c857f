//! SARIF 2.1.0 for GitHub code scanning and Azure DevOps: a small hand-written serde model of the part of
//! the format rdsaudit fills (as cargo-deny does), validated against the OASIS schema in tests/schemas.rs.
//! GitHub rejects a whole upload when one result has no location, so every result gets at least one.

use std::borrow::Cow;
use std::path::{Component, Path};

use serde::Serialize;

use super::{Context, CoverageObject};
use crate::finding::{Finding, RuleMeta, Severity, Subject, SubjectKind};
use crate::source::{Origin, Source};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF `level`.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` property, a string.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation<'a>; 1],
    artifacts: Vec<Artifact<'a>>,
    results: Vec<SarifResult<'a>>,
    /// Regions count characters (positions.rs), not the UTF-16 units SARIF viewers may otherwise assume.
    column_kind: &'static str,
    properties: RunProperties<'a>,
}

/// The run's property bag (SARIF 2.1.0 §3.8: properties of any name; `tags`, reserved for a set of strings, is
/// not used).
#[derive(Serialize)]
struct RunProperties<'a> {
    /// How many resources of each type and how many hosts were read, as in the JSON report.
    coverage: CoverageObject<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'static str,
    name: &'static str,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text<'a> {
    text: Cow<'a, str>,
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
    fn message(text: impl Into<Cow<'a, str>>) -> Self {
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
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    /// A string, as GitHub reads it.
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<&'static str>,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    descriptor: Option<RuleReference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    associated_rule: Option<RuleReference>,
    level: &'static str,
    message: Text<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
struct RuleReference {
    id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact<'a> {
    location: ArtifactLocation,
    hashes: Hashes<'a>,
    /// The input family (`az-cli`, `arm-template`, ...), for whoever reads the log without rdsaudit.
    properties: ArtifactProperties,
}

#[derive(Serialize)]
struct Hashes<'a> {
    #[serde(rename = "sha-256")]
    sha256: &'a str,
}

#[derive(Serialize)]
struct ArtifactProperties {
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: Vec<Location<'a>>,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "rdsaudit/v1")]
    v1: String,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: &'a str,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    severity: &'static str,
    subject: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    logical_locations: [LogicalLocation<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
    /// Into `runs[0].artifacts`, which lists the sources in their order.
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

pub fn write(ctx: &Context<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let eval = ctx.eval;
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: eval.rules.iter().map(|m| rule(m)).collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications(ctx),
            }],
            artifacts: ctx.env.sources.iter().map(artifact).collect(),
            results: eval.findings.iter().map(|f| result(ctx, f)).collect(),
            column_kind: "unicodeCodePoints",
            properties: RunProperties {
                coverage: CoverageObject(&eval.coverage),
            },
        }],
    };
    super::write_json(&log, out)
}

fn rule(meta: &'static RuleMeta) -> Rule<'static> {
    Rule {
        id: meta.id,
        name: meta.name,
        short_description: meta.short.into(),
        full_description: meta.guidance.into(),
        help: Help {
            text: meta.help,
            markdown: meta.help,
        },
        help_uri: meta.help_uri(),
        default_configuration: Configuration {
            level: level(meta.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(meta.severity),
            // GitHub files alerts with a `security-severity` under "Security" only with this tag.
            tags: meta.tags.iter().copied().chain(["security"]).collect(),
            precision: "high",
        },
    }
}

fn rule_index(ctx: &Context<'_>, meta: &RuleMeta) -> Option<usize> {
    ctx.eval.rules.iter().position(|m| m.id == meta.id)
}

fn result<'a>(ctx: &Context<'a>, f: &'a Finding) -> SarifResult<'a> {
    let mut locations: Vec<Location<'a>> = f.locations.iter().map(|o| location(ctx, o, &f.subject)).collect();
    if locations.is_empty() {
        // Rules always give a location; should one not, the subject alone still satisfies GitHub's rule.
        locations.push(Location {
            physical_location: None,
            logical_locations: [logical(&f.subject)],
        });
    }
    SarifResult {
        rule_id: f.rule.id,
        rule_index: rule_index(ctx, f.rule),
        level: level(f.severity),
        message: Text::message(f.message.as_str()),
        locations,
        partial_fingerprints: Fingerprints { v1: f.fingerprint() },
        suppressions: f
            .suppression
            .iter()
            .map(|s| Suppression {
                kind: "external",
                status: "accepted",
                justification: &s.reason,
            })
            .collect(),
        properties: ResultProperties {
            severity: f.severity.as_str(),
            subject: &f.subject.id,
        },
    }
}

/// Checks that could not run are notes naming the rule; warnings are warnings without a descriptor.
fn notifications<'a>(ctx: &'a Context<'a>) -> Vec<Notification<'a>> {
    let not_evaluated = ctx.eval.not_evaluated.iter().map(|n| Notification {
        descriptor: Some(RuleReference {
            id: n.rule.id,
            index: None,
        }),
        associated_rule: Some(RuleReference {
            id: n.rule.id,
            index: rule_index(ctx, n.rule),
        }),
        level: "note",
        message: Text::message(format!("not evaluated for {}: {}", n.subject.id, n.reason)),
        locations: n.origin.iter().map(|o| location(ctx, o, &n.subject)).collect(),
    });
    let warnings = ctx.warnings().map(|w| Notification {
        descriptor: None,
        associated_rule: None,
        level: "warning",
        message: Text::message(w),
        locations: Vec::new(),
    });
    not_evaluated.chain(warnings).collect()
}

fn location<'a>(ctx: &Context<'a>, origin: &Origin, subject: &'a Subject) -> Location<'a> {
    let physical = ctx.env.sources.get(origin.source).map(|source| match is_live(source) {
        // Read live and not exported: no file to point into, so the resource itself, without a region.
        true => PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: format!("azure:{}", percent_encode(&subject.id, true)),
                index: None,
            },
            region: None,
        },
        false => local_location(ctx, origin, source),
    });
    Location {
        physical_location: physical,
        logical_locations: [logical(subject)],
    }
}

/// A source read live without `--export`: of kind `resource-graph-live`, named `azure:<scope>`
/// (`live::Collected::finish`).
fn is_live(source: &Source) -> bool {
    source.kind == "resource-graph-live"
}

fn local_location(ctx: &Context<'_>, origin: &Origin, source: &Source) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: artifact_uri(source),
            index: Some(origin.source),
        },
        region: ctx.positions.get(origin).map(|r| Region {
            start_line: r.start_line,
            start_column: r.start_column,
            end_line: r.end_line,
            end_column: r.end_column,
        }),
    }
}

fn logical(subject: &Subject) -> LogicalLocation<'_> {
    let kind = match subject.kind {
        SubjectKind::Resource => "resource",
        SubjectKind::Host => "host",
    };
    LogicalLocation {
        fully_qualified_name: &subject.id,
        kind,
    }
}

fn artifact(source: &Source) -> Artifact<'_> {
    Artifact {
        location: ArtifactLocation {
            uri: artifact_uri(source),
            index: None,
        },
        hashes: Hashes { sha256: &source.sha256 },
        properties: ArtifactProperties { kind: source.kind },
    }
}

/// The display path when it is below the current directory (GitHub resolves it against the checkout),
/// else an absolute `file:` URI: a relative `../x` would resolve against whatever the viewer picks.
fn artifact_uri(source: &Source) -> String {
    if is_live(source) {
        return percent_encode(&source.display, true);
    }
    let shown = Path::new(&source.display);
    let below_cwd = shown.is_relative() && !matches!(shown.components().next(), Some(Component::ParentDir));
    if below_cwd {
        return percent_encode(&source.display, false);
    }
    let absolute = std::fs::canonicalize(&source.path)
        .or_else(|_| std::path::absolute(&source.path))
        .unwrap_or_else(|_| source.path.clone());
    let path = absolute.to_string_lossy().replace('\\', "/");
    // canonicalize gives Windows paths the verbatim prefix `\\?\`, which has no place in a URI.
    let path = path.strip_prefix("//?/").unwrap_or(&path);
    // Windows paths (`C:/x`) need the third slash of `file:///C:/x`.
    let slash = if path.starts_with('/') { "" } else { "/" };
    format!("file://{slash}{}", percent_encode(path, true))
}

/// Percent-encode a path for a URI. A colon is kept only in absolute paths (drive letters): in a relative
/// reference, `a:b` would read as a scheme.
fn percent_encode(path: &str, keep_colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            b':' if keep_colon => out.push(':'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
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

    #[test]
    fn severities_map_to_levels_and_security_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(security_severity(Severity::High), "8.0");
        assert_eq!(security_severity(Severity::Info), "0.0");
    }

    #[test]
    fn relative_paths_stay_relative_and_others_become_file_uris() {
        let src = |p: &str| Source::from_text(p, String::new());
        assert_eq!(artifact_uri(&src("inv/nsgs.json")), "inv/nsgs.json");
        assert_eq!(artifact_uri(&src("my dir/a:b#1.json")), "my%20dir/a%3Ab%231.json");
        assert_eq!(artifact_uri(&src("/tmp/x y/nsgs.json")), "file:///tmp/x%20y/nsgs.json");
        assert!(artifact_uri(&src("../up.json")).starts_with("file:///"));
    }
}
