//! SARIF 2.1.0 for GitHub code scanning and Azure DevOps (the model is in `sarif_log.rs`), validated against
//! the OASIS schema in tests/schemas.rs. GitHub rejects a whole upload when one result has no location, so
//! every result gets at least one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::md;
use super::sarif_log::*;
use super::uri::{self, SRCROOT};
use super::{Context, CoverageObject};
use crate::compare::{Prior, State};
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

/// What every location needs: the context and the base folder of relative URIs.
struct Locator<'c, 'a> {
    ctx: &'c Context<'a>,
    base: PathBuf,
}

pub fn write(ctx: &Context<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let eval = ctx.eval;
    let at = Locator {
        ctx,
        base: uri::base_dir(ctx.options.base_dir.as_deref()),
    };
    let mut results: Vec<SarifResult<'_>> = eval.findings.iter().map(|f| result(&at, f)).collect();
    if let Some(c) = ctx.comparison {
        results.extend(c.absent().iter().map(|p| absent(&at, p)));
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: eval.rules.iter().map(|m| rule(ctx, m)).collect(),
                },
            },
            automation_details: ctx.options.sarif_category.as_deref().map(|id| AutomationDetails { id }),
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications(&at),
            }],
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseUri {
                    uri: uri::file_uri(&at.base, true),
                },
            )]),
            artifacts: ctx.env.sources.iter().map(|s| artifact(&at, s)).collect(),
            results,
            column_kind: "unicodeCodePoints",
            properties: RunProperties {
                coverage: CoverageObject(&eval.coverage),
            },
        }],
    };
    super::write_json(&log, out)
}

fn rule(ctx: &Context<'_>, meta: &'static RuleMeta) -> Rule<'static> {
    let severity = ctx.rule_severity(meta);
    Rule {
        id: meta.id,
        name: meta.name,
        short_description: meta.short.into(),
        full_description: Text {
            text: description(meta).into(),
        },
        help: Help {
            text: md::plain(meta.help),
            markdown: meta.help,
        },
        help_uri: meta.help_uri(),
        default_configuration: Configuration { level: level(severity) },
        properties: RuleProperties {
            security_severity: security_severity(severity),
            // GitHub files alerts with a `security-severity` under "Security" only with this tag.
            tags: meta.tags.iter().copied().chain(["security"]).collect(),
            precision: "high",
        },
    }
}

/// What the rule checks, in plain text: the "What it checks" section of its documentation (the guidance
/// quote and the fix stay in `help`), else its one-sentence summary.
fn description(meta: &RuleMeta) -> String {
    let section = meta
        .help
        .split("\n## ")
        .find_map(|s| s.strip_prefix("What it checks\n"))
        .map(|s| md::plain(s).trim().to_string())
        .filter(|s| !s.is_empty());
    section.unwrap_or_else(|| meta.short.to_string())
}

fn rule_index(ctx: &Context<'_>, id: &str) -> Option<usize> {
    ctx.eval.rules.iter().position(|m| m.id == id)
}

fn result<'a>(at: &Locator<'_, 'a>, f: &'a Finding) -> SarifResult<'a> {
    let ctx = at.ctx;
    let mut locations: Vec<Location<'a>> = f.locations.iter().map(|o| at.location(o, &f.subject)).collect();
    if locations.is_empty() {
        // Rules always give a location; should one not, the subject alone still satisfies GitHub's rule.
        locations.push(Location {
            id: None,
            physical_location: None,
            logical_locations: vec![logical(&f.subject)],
            message: None,
        });
    }
    SarifResult {
        rule_id: f.rule.id,
        rule_index: rule_index(ctx, f.rule.id),
        level: level(f.severity),
        message: Text::message(f.message.as_str()),
        locations,
        related_locations: related(at, f),
        partial_fingerprints: Fingerprints { v1: f.fingerprint() },
        baseline_state: ctx.comparison.map(|c| c.state(f).as_str()),
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

/// The evidence that points somewhere else than the finding itself (the NSG, the public IP, the load
/// balancer rule), each with its label and value as the message.
fn related<'a>(at: &Locator<'_, 'a>, f: &'a Finding) -> Vec<Location<'a>> {
    let mut seen: Vec<&Origin> = f.locations.iter().collect();
    let mut out = Vec::new();
    for e in &f.evidence {
        let Some(origin) = e.origin.as_ref().filter(|o| !seen.contains(o)) else {
            continue;
        };
        seen.push(origin);
        out.push(Location {
            id: Some(out.len()),
            physical_location: at.physical(origin),
            logical_locations: Vec::new(),
            message: Some(Text::message(format!("{}: {}", e.label, e.value))),
        });
    }
    out
}

/// A finding of the baseline this run no longer has: `baselineState: absent`, where the baseline saw it.
fn absent<'a>(at: &Locator<'_, 'a>, p: &'a Prior) -> SarifResult<'a> {
    let kind = p.subject_kind;
    let logical = || LogicalLocation {
        fully_qualified_name: &p.subject,
        kind: subject_kind(kind),
    };
    let mut locations: Vec<Location<'a>> = p
        .locations
        .iter()
        .map(|l| Location {
            id: None,
            physical_location: Some(PhysicalLocation {
                artifact_location: at.artifact_location(Path::new(&l.path), None),
                region: l.region.as_ref().map(|r| Region {
                    start_line: r.start_line,
                    start_column: r.start_column,
                    end_line: r.end_line,
                    end_column: r.end_column,
                }),
            }),
            logical_locations: vec![logical()],
            message: None,
        })
        .collect();
    if locations.is_empty() {
        locations.push(Location {
            id: None,
            physical_location: None,
            logical_locations: vec![logical()],
            message: None,
        });
    }
    SarifResult {
        rule_id: &p.rule,
        rule_index: rule_index(at.ctx, &p.rule),
        level: level(p.severity),
        message: Text::message(p.message.as_str()),
        locations,
        related_locations: Vec::new(),
        partial_fingerprints: Fingerprints {
            v1: p.fingerprint.clone(),
        },
        baseline_state: Some(State::Absent.as_str()),
        suppressions: Vec::new(),
        properties: ResultProperties {
            severity: p.severity.as_str(),
            subject: &p.subject,
        },
    }
}

/// Checks that could not run are notes naming the rule; warnings are warnings without a descriptor.
fn notifications<'a>(at: &Locator<'_, 'a>) -> Vec<Notification<'a>> {
    let ctx = at.ctx;
    let not_evaluated = ctx.eval.not_evaluated.iter().map(|n| Notification {
        descriptor: Some(RuleReference {
            id: n.rule.id,
            index: None,
        }),
        associated_rule: Some(RuleReference {
            id: n.rule.id,
            index: rule_index(ctx, n.rule.id),
        }),
        level: "note",
        message: Text::message(format!("not evaluated for {}: {}", n.subject.id, n.reason)),
        locations: n.origin.iter().map(|o| at.location(o, &n.subject)).collect(),
    });
    // The same list as `Context::warnings`, borrowed for as long as the inputs.
    let warnings = ctx.env.warnings.iter().chain(&ctx.eval.warnings).map(|w| Notification {
        descriptor: None,
        associated_rule: None,
        level: "warning",
        message: Text::message(w.as_str()),
        locations: Vec::new(),
    });
    not_evaluated.chain(warnings).collect()
}

impl<'a> Locator<'_, 'a> {
    fn location(&self, origin: &Origin, subject: &'a Subject) -> Location<'a> {
        let mut physical = self.physical(origin);
        let live = self.ctx.env.sources.get(origin.source).is_some_and(is_live);
        if let Some(p) = physical.as_mut().filter(|_| live) {
            // Read live and not exported: no file to point into, so the resource itself, without a region.
            p.artifact_location = ArtifactLocation {
                uri: format!("azure:{}", uri::percent_encode(&subject.id, true)),
                uri_base_id: None,
                index: None,
            };
        }
        Location {
            id: None,
            physical_location: physical,
            logical_locations: vec![logical(subject)],
            message: None,
        }
    }

    fn physical(&self, origin: &Origin) -> Option<PhysicalLocation> {
        let source = self.ctx.env.sources.get(origin.source)?;
        Some(PhysicalLocation {
            artifact_location: self.source_location(source, Some(origin.source)),
            region: self
                .ctx
                .positions
                .get(origin)
                .filter(|_| !is_live(source))
                .map(|r| Region {
                    start_line: r.start_line,
                    start_column: r.start_column,
                    end_line: r.end_line,
                    end_column: r.end_column,
                }),
        })
    }

    /// A source's artifact: its file, or for one read live and not exported its `azure:<scope>` name.
    fn source_location(&self, source: &Source, index: Option<usize>) -> ArtifactLocation {
        match is_live(source) {
            true => ArtifactLocation {
                uri: uri::percent_encode(&source.display, true),
                uri_base_id: None,
                index,
            },
            false => self.artifact_location(&source.path, index),
        }
    }

    fn artifact_location(&self, path: &Path, index: Option<usize>) -> ArtifactLocation {
        let found = uri::locate(path, &self.base);
        ArtifactLocation {
            uri: found.uri,
            uri_base_id: found.base_id,
            index,
        }
    }
}

/// A source read live without `--export`: of kind `resource-graph-live`, named `azure:<scope>`
/// (`live::Collected::finish`).
fn is_live(source: &Source) -> bool {
    source.kind == "resource-graph-live"
}

fn subject_kind(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Resource => "resource",
        SubjectKind::Host => "host",
    }
}

fn logical(subject: &Subject) -> LogicalLocation<'_> {
    LogicalLocation {
        fully_qualified_name: &subject.id,
        kind: subject_kind(subject.kind),
    }
}

fn artifact<'a>(at: &Locator<'_, 'a>, source: &'a Source) -> Artifact<'a> {
    Artifact {
        location: at.source_location(source, None),
        hashes: Hashes { sha256: &source.sha256 },
        properties: ArtifactProperties { kind: source.kind },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_levels_and_security_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(security_severity(Severity::High), "8.0");
        assert_eq!(security_severity(Severity::Info), "0.0");
    }

    #[test]
    fn full_descriptions_say_what_the_rule_checks_without_the_guidance_quote() {
        for r in crate::rules::registry() {
            let m = r.meta();
            let d = description(m);
            assert!(d.len() > 40, "{}: {d}", m.id);
            assert!(!d.contains("## "), "{}: one section only", m.id);
            assert!(!d.contains(m.guidance), "{}: the guidance stays in the help", m.id);
        }
    }
}
