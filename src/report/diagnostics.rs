//! miette diagnostics: one per unsuppressed finding for the table format, and one per input error on
//! stderr, each with the excerpt of the source line it points at (see `excerpt`: windowed, secrets
//! redacted).

use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::excerpt::{self, short_subject, Snippet};
use super::terminal::{inert, shown};
use super::{Context, WIDTH};
use crate::error::InputError;
use crate::finding::{Finding, Severity};
use crate::source::Origin;

/// Every unsuppressed finding as a miette report, in the evaluation's order.
pub fn render(ctx: &Context<'_>) -> String {
    let reports = ctx.eval.findings.iter().filter(|f| f.suppression.is_none());
    render_all(reports.map(|f| Report::finding(ctx, f)), ctx.color, true)
}

/// Input errors as miette reports: `file:line:column: message` on one line, then the source line.
pub fn render_input_errors(errors: &[InputError], color: bool) -> String {
    render_all(errors.iter().map(Report::input_error), color, false)
}

fn render_all(reports: impl Iterator<Item = Report>, color: bool, wrap: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // A fixed width rather than the terminal's: the same input must give the same text. Input errors are
    // not wrapped, so that `file:line:column: message` stays one line for editors and greps.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(usize::from(WIDTH))
        .with_wrap_lines(wrap);
    let mut out = String::new();
    for report in reports {
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    out
}

#[derive(Debug)]
struct Report {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    snippet: Option<(Snippet, LabeledSpan)>,
}

impl Report {
    fn finding(ctx: &Context<'_>, f: &Finding) -> Self {
        let mut help = format!("subject: {}", shown(&f.subject.id));
        for e in &f.evidence {
            help.push_str(&format!("\n{}: {}", e.label, shown(&e.value)));
        }
        help.push_str(&format!("\nguidance: {}", f.rule.guidance));
        Self {
            message: format!("{}: {}", f.severity.as_str(), shown(&f.message)),
            code: Some(f.rule.id),
            severity: match f.severity {
                Severity::Critical | Severity::High => miette::Severity::Error,
                Severity::Medium => miette::Severity::Warning,
                Severity::Low | Severity::Info => miette::Severity::Advice,
            },
            help: Some(help),
            snippet: f
                .locations
                .first()
                .and_then(|o| finding_snippet(ctx, o, short_subject(&f.subject.id))),
        }
    }

    fn input_error(e: &InputError) -> Self {
        let snippet = match (&e.source_line, e.line, e.column) {
            (Some(l), Some(line), Some(column)) => Some(excerpt::snippet(
                &e.path,
                &l.text,
                l.span.clone(),
                &l.secrets,
                (line, column),
                None,
            )),
            _ => None,
        };
        Self {
            message: inert(&e.to_string()).into_owned(),
            code: None,
            severity: miette::Severity::Error,
            help: None,
            snippet,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.as_ref().map(|(s, _)| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.snippet
            .as_ref()
            .map(|(_, l)| Box::new(std::iter::once(l.clone())) as Box<dyn Iterator<Item = _>>)
    }
}

fn finding_snippet(ctx: &Context<'_>, origin: &Origin, label: &str) -> Option<(Snippet, LabeledSpan)> {
    let region = ctx.positions.get(origin)?;
    let source = ctx.env.sources.get(region.source)?;
    Some(excerpt::snippet(
        &source.display,
        &source.text,
        region.span.clone(),
        &source.secrets,
        (region.start_line, region.start_column),
        Some(shown(label).into_owned()),
    ))
}
