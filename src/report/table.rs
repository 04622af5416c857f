//! The terminal summary: findings as a table, the score, counts by severity, the checks that could not run,
//! warnings, then a miette diagnostic per unsuppressed finding.

use std::fmt::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use super::excerpt::short_subject;
use super::terminal::shown;
use super::{diagnostics, Context, WIDTH};
use crate::compare::Against;
use crate::finding::Severity;
use crate::model::Coverage;

const MIN_TERMINAL_WIDTH: u16 = 60;

pub fn render(ctx: &Context<'_>) -> String {
    let eval = ctx.eval;
    let mut out = String::new();
    if eval.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let mut t = table(ctx, ["Rule", "Severity", "Subject", "Message"]);
        for f in &eval.findings {
            let message = match &f.suppression {
                Some(s) => format!("{} (suppressed: {})", f.message, s.reason),
                None => f.message.clone(),
            };
            t.add_row(vec![
                Cell::new(f.rule.id),
                severity_cell(ctx, f.severity),
                Cell::new(shown(short_subject(&f.subject.id))),
                Cell::new(shown(&message)),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let score = &eval.scores.environment;
    let _ = writeln!(out, "\nScore: {}/100 ({})", score.value, score.grade);
    let counts: Vec<String> = eval
        .scores
        .counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let _ = writeln!(out, "Findings: {} ({} suppressed)", counts.join(", "), ctx.suppressed());
    let _ = writeln!(out, "Read: {}", coverage_line(&eval.coverage));
    if let Some(c) = ctx.comparison {
        let (new, unchanged) = c.counts(&eval.findings);
        let against = match &c.against {
            Against::Baseline(path) => format!("the baseline {}", shown(path)),
            Against::BeforeChange => "the state before the change".to_string(),
        };
        let _ = writeln!(
            out,
            "Compared with {against}: {new} new, {unchanged} unchanged, {} fixed",
            c.absent().len()
        );
    }
    if !eval.not_evaluated.is_empty() {
        let mut t = table(ctx, ["Rule", "Subject", "Reason"]);
        for n in &eval.not_evaluated {
            t.add_row(vec![n.rule.id, &shown(short_subject(&n.subject.id)), &shown(&n.reason)]);
        }
        let _ = writeln!(
            out,
            "\nNot evaluated ({}): these checks could not run and did not pass\n{t}",
            eval.not_evaluated.len()
        );
    }
    let warnings: Vec<&str> = ctx.warnings().collect();
    if !warnings.is_empty() {
        out.push_str("\nWarnings:\n");
        for w in warnings {
            let _ = writeln!(out, "  - {}", shown(w));
        }
    }
    let diagnostics = diagnostics::render(ctx);
    if !diagnostics.is_empty() {
        out.push('\n');
        out.push_str(&diagnostics);
    }
    out
}

/// `3 NSGs (9 rules), 2 VNets (5 subnets), 4 NICs, ..., 5 hosts`: parts in parentheses after their whole.
fn coverage_line(coverage: &Coverage) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (kind, n) in coverage.iter() {
        let text = format!("{n} {}", kind.label(n));
        match parts.last_mut() {
            Some(whole) if kind.is_part() => *whole = format!("{whole} ({text})"),
            _ => parts.push(text),
        }
    }
    parts.join(", ")
}

fn table<const N: usize>(ctx: &Context<'_>, header: [&str; N]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    if ctx.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    // A terminal's own width when it reports a usable one (a pty may report 0); files and pipes get WIDTH.
    let width = t.width().filter(|w| *w >= MIN_TERMINAL_WIDTH).unwrap_or(WIDTH);
    t.set_width(width);
    t
}

fn severity_cell(ctx: &Context<'_>, severity: Severity) -> Cell {
    let cell = Cell::new(severity.as_str());
    if !ctx.color {
        return cell;
    }
    cell.fg(match severity {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    })
}
