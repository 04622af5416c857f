//! Renderers: the only code that formats findings as text. Each writes the whole document for the evaluated
//! run (JSON and SARIF straight into the writer, never held whole in memory); the CLI gives it stdout or a
//! file written atomically.

mod diagnostics;
mod excerpt;
mod json;
pub mod positions;
mod sarif;
mod table;
pub mod terminal;

use serde::ser::{Serialize, Serializer};

use crate::engine::Evaluation;
use crate::model::{Coverage, Environment};
use positions::Positions;

pub use diagnostics::render_input_errors;

/// Wide enough for a rule, a shortened subject and a sentence: the table and diagnostics get this fixed
/// width in files and pipes, so that the same input always gives the same text.
pub const WIDTH: u16 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
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
}

impl Context<'_> {
    /// Problems met reading the inputs, then evaluating them: every format lists both.
    pub fn warnings(&self) -> impl Iterator<Item = &str> {
        self.env.warnings.iter().chain(&self.eval.warnings).map(String::as_str)
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
