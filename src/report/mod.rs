//! Renderers: the only code that formats findings as text. Each writes the whole document for the evaluated
//! run (JSON and SARIF straight into the writer, never held whole in memory); the CLI gives it stdout or a
//! file written atomically.

mod diagnostics;
mod excerpt;
mod json;
mod junit;
mod markdown;
mod md;
pub mod positions;
mod sarif;
mod sarif_log;
mod table;
pub mod terminal;
mod uri;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::ser::{Serialize, Serializer};

use crate::compare::Comparison;
use crate::engine::Evaluation;
use crate::finding::{RuleMeta, Severity};
use crate::gate::Gate;
use crate::model::{Coverage, Environment};
use positions::Positions;

pub use diagnostics::render_input_errors;
pub use json::priors;

/// Wide enough for a rule, a shortened subject and a sentence: the table and diagnostics get this fixed
/// width in files and pipes, so that the same input always gives the same text.
pub const WIDTH: u16 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
    /// A pull-request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// JUnit XML, for pipelines that read only test results.
    Junit,
}

/// The name the command line takes (`--format sarif`).
impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use clap::ValueEnum;
        let value = self.to_possible_value().expect("every format has a name");
        f.write_str(value.get_name())
    }
}

/// Everything a renderer may read.
pub struct Context<'a> {
    pub env: &'a Environment,
    pub eval: &'a Evaluation,
    pub positions: &'a Positions,
    /// ANSI colour in the table and diagnostics (a terminal, and `NO_COLOR` unset).
    pub color: bool,
    /// The gate's decision, as the exit code and the verdict line have it.
    pub gate: &'a Gate,
    /// The baseline this run was compared with (`--baseline`, `--new-only`), if any.
    pub comparison: Option<&'a Comparison>,
    pub options: &'a Options,
}

/// How the run was configured, as far as the renderers show it.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// SARIF `runAutomationDetails.id` (`--sarif-category`): several uploads per commit on GitHub.
    pub sarif_category: Option<String>,
    /// The folder artifact URIs are relative to (`--base-dir`, the repository root); `None`: the current
    /// directory.
    pub base_dir: Option<PathBuf>,
    /// The config's severity overrides by rule ID.
    pub severity: BTreeMap<&'static str, Severity>,
}

impl Context<'_> {
    /// Problems met reading the inputs, then evaluating them: every format lists both.
    pub fn warnings(&self) -> impl Iterator<Item = &str> {
        self.env.warnings.iter().chain(&self.eval.warnings).map(String::as_str)
    }

    /// A rule's severity after the config's overrides (SARIF `security-severity` and default level).
    pub fn rule_severity(&self, rule: &RuleMeta) -> Severity {
        self.options.severity.get(rule.id).copied().unwrap_or(rule.severity)
    }

    /// How many findings a suppression covers (they stay listed but cost nothing).
    pub fn suppressed(&self) -> usize {
        self.eval.findings.iter().filter(|f| f.suppression.is_some()).count()
    }
}

/// The coverage as one JSON object, each kind under its stable key in report order: the JSON report's
/// `coverage` and SARIF's `runs[0].properties.coverage` are the same document.
struct CoverageObject<'a>(&'a Coverage);

impl Serialize for CoverageObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(kind, n)| (kind.key(), n)))
    }
}

pub fn write(format: Format, ctx: &Context<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    match format {
        Format::Table => out.write_all(table::render(ctx).as_bytes()),
        Format::Json => json::write(ctx, out),
        Format::Sarif => sarif::write(ctx, out),
        Format::Markdown => out.write_all(markdown::render(ctx).as_bytes()),
        Format::Junit => out.write_all(junit::render(ctx).as_bytes()),
    }
}

/// The whole document as text (tests, benchmarks).
pub fn render(format: Format, ctx: &Context<'_>) -> String {
    let mut out = Vec::new();
    write(format, ctx, &mut out).expect("writing into memory cannot fail");
    String::from_utf8(out).expect("every report is UTF-8")
}

/// Pretty JSON and a final newline. Serializing plain structs of strings and numbers cannot fail; only
/// the writer can.
fn write_json(document: &impl Serialize, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, document)?;
    out.write_all(b"\n")
}
