//! What every text format shows of an input: a subject shortened for a table cell, and the excerpt of one
//! source line around a span, cut to a window and with secrets redacted, as a miette source. Only that
//! line is ever handed to miette, so that a minified Terraform plan (one line of megabytes) prints a
//! readable excerpt and a secret elsewhere in the file can never leak.

use std::borrow::Cow;
use std::ops::Range;

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use super::terminal::{inert, inert_source};

/// About two lines of a terminal: enough context around a span without flooding it.
const WINDOW_CHARS: usize = 160;
/// Context kept before a long span, so that the key of a JSON value stays visible.
const MIN_BEFORE_CHARS: usize = 20;
const REDACTED: &str = "REDACTED";
const ELLIPSIS: &str = "…";

/// An ARM resource ID shortened to its type/name tail (`networkSecurityGroups/nsg/securityRules/r`): the
/// subscription, group and provider namespace repeat on every row. Terraform addresses and host names are
/// already short and stay as they are.
pub fn short_subject(id: &str) -> &str {
    const PROVIDERS: &str = "/providers/";
    match id.to_ascii_lowercase().rfind(PROVIDERS) {
        Some(i) => {
            let after_namespace = id[i + PROVIDERS.len()..].split_once('/').map(|(_, tail)| tail);
            after_namespace.filter(|t| !t.is_empty()).unwrap_or(id)
        }
        None => id,
    }
}

/// Replace every secret byte span of `text` with `REDACTED`. Spans are widened to character boundaries and
/// may overlap or run past the end; without secrets the text is borrowed as is.
pub fn redact<'a>(text: &'a str, secret_spans: &[Range<usize>]) -> Cow<'a, str> {
    let mut spans: Vec<Range<usize>> = secret_spans
        .iter()
        .filter(|s| s.start < s.end && s.start < text.len())
        .map(|s| floor_char(text, s.start)..ceil_char(text, s.end.min(text.len())))
        .collect();
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for s in spans {
        // A span overlapping the previous one is already covered by its marker.
        if s.start >= pos {
            out.push_str(&text[pos..s.start]);
            out.push_str(REDACTED);
        }
        pos = pos.max(s.end);
    }
    out.push_str(&text[pos..]);
    Cow::Owned(out)
}

/// The excerpt of one source line shown for a finding or an input error. miette numbers lines from the start of the text it
/// is given, so the excerpt carries the real line and column of its span for the header and gutter.
#[derive(Debug)]
pub struct Snippet {
    name: String,
    text: String,
    /// 0-based line of the excerpt in its file.
    line: usize,
    /// 0-based column, in characters, of the span's start.
    column: usize,
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            self.line + inner.line(),
            self.column,
            inner.line_count(),
        )))
    }
}

/// The snippet of `text` (a whole file, or one line of it) around `span`, labelled. `line` and `column` are
/// the 1-based position of the span's start in its file.
pub fn snippet(
    name: &str,
    text: &str,
    span: Range<usize>,
    secrets: &[Range<usize>],
    (line, column): (usize, usize),
    label: Option<String>,
) -> (Snippet, LabeledSpan) {
    let (text, span) = excerpt(text, span, secrets);
    let snippet = Snippet {
        name: inert(name).into_owned(),
        text,
        line: line.saturating_sub(1),
        column: column.saturating_sub(1),
    };
    (snippet, LabeledSpan::new_with_span(label, span))
}

/// The first line of `span`, cut to about [`WINDOW_CHARS`] characters around it and with secrets redacted,
/// and where the span (clipped to that window) lies in it.
fn excerpt(text: &str, span: Range<usize>, secrets: &[Range<usize>]) -> (String, Range<usize>) {
    let start = floor_char(text, span.start.min(text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    if line_end > start && text[..line_end].ends_with('\r') {
        line_end -= 1;
    }
    let end = ceil_char(text, span.end.clamp(start, line_end));
    let (from, to) = window(text, line_start..line_end, start..end);
    let end = end.min(to);
    // Redacted first (spans are byte ranges of the original), then made inert for the terminal.
    let piece = |r: Range<usize>| inert_source(&redact(&text[r.clone()], &relative(secrets, &r))).into_owned();
    let mut out = String::new();
    if from > line_start {
        out.push_str(ELLIPSIS);
    }
    out.push_str(&piece(from..start));
    let label_start = out.len();
    out.push_str(&piece(start..end));
    let label_end = out.len();
    out.push_str(&piece(end..to));
    if to < line_end {
        out.push_str(ELLIPSIS);
    }
    (out, label_start..label_end)
}

/// The byte range of `line` to show for `label`: the whole line when short, else [`WINDOW_CHARS`]
/// characters starting a little before the label.
fn window(text: &str, line: Range<usize>, label: Range<usize>) -> (usize, usize) {
    if text[line.clone()].chars().count() <= WINDOW_CHARS {
        return (line.start, line.end);
    }
    let label_chars = text[label.clone()].chars().count();
    let before = (WINDOW_CHARS - label_chars.min(WINDOW_CHARS - 2 * MIN_BEFORE_CHARS)) / 2;
    let from = step_back(text, line.start, label.start, before);
    let to = step_forward(text, from, line.end, WINDOW_CHARS);
    // Near the end of the line, spend the unused budget on context before the label.
    (step_back(text, line.start, to, WINDOW_CHARS).min(from), to)
}

/// `n` characters back from `pos`, not before `floor`.
fn step_back(text: &str, floor: usize, pos: usize, n: usize) -> usize {
    text[floor..pos]
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(pos, |(i, _)| floor + i)
}

/// `n` characters forward from `pos`, not past `ceil`.
fn step_forward(text: &str, pos: usize, ceil: usize, n: usize) -> usize {
    text[pos..ceil].char_indices().nth(n).map_or(ceil, |(i, _)| pos + i)
}

/// The spans that fall inside `r`, clipped to it and made relative to its start.
fn relative(spans: &[Range<usize>], r: &Range<usize>) -> Vec<Range<usize>> {
    spans
        .iter()
        .filter(|s| s.start < r.end && s.end > r.start)
        .map(|s| s.start.max(r.start) - r.start..s.end.min(r.end) - r.start)
        .collect()
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One secret span (an array literal of one range reads like a mistake to clippy).
    fn one(span: Range<usize>) -> [Range<usize>; 1] {
        [span]
    }

    #[test]
    fn arm_ids_are_shortened_to_their_type_and_name_tail() {
        let id =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/r";
        assert_eq!(short_subject(id), "networkSecurityGroups/nsg/securityRules/r");
        assert_eq!(
            short_subject("/SUBSCRIPTIONS/S/PROVIDERS/Microsoft.Compute/virtualMachines/vm"),
            "virtualMachines/vm"
        );
        assert_eq!(
            short_subject("module.x.azurerm_network_security_group.gw"),
            "module.x.azurerm_network_security_group.gw"
        );
        assert_eq!(short_subject("RDGVM01"), "RDGVM01");
        assert_eq!(short_subject("/providers/"), "/providers/");
    }

    #[test]
    fn redaction_replaces_overlapping_and_out_of_range_spans() {
        assert_eq!(redact("no secrets", &[]), Cow::Borrowed("no secrets"));
        assert_eq!(redact("key=hunter2;x", &one(4..11)), "key=REDACTED;x");
        assert_eq!(redact("ab-cd-ef", &[6..99, 0..2, 1..3]), "REDACTEDcd-REDACTED");
        // A span cutting a character in half redacts the whole character.
        assert_eq!(redact("é=ü", &[1..2, 3..4]), "REDACTED=REDACTED");
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let text = "{\n  \"name\": \"r\",\n}";
        let (shown, span) = excerpt(text, 5..9, &[]);
        assert_eq!(shown, "  \"name\": \"r\",");
        assert_eq!(&shown[span], "name");
    }

    #[test]
    fn multi_line_spans_are_cut_to_their_first_line() {
        let (shown, span) = excerpt("a\r\n{ \"x\": 1,\r\n  \"y\": 2 }\r\n", 3..24, &[]);
        assert_eq!(shown, "{ \"x\": 1,");
        assert_eq!(span, 0..shown.len());
    }

    #[test]
    fn long_lines_are_windowed_around_the_span() {
        let text = format!("{}\"port\":\"3389\"{}", "x".repeat(5000), "y".repeat(5000));
        let (shown, span) = excerpt(&text, 5000..5013, &[]);
        assert_eq!(&shown[span], "\"port\":\"3389\"");
        assert!(shown.starts_with(ELLIPSIS) && shown.ends_with(ELLIPSIS));
        assert_eq!(shown.chars().count(), WINDOW_CHARS + 2);
        // A span near the end keeps a full window.
        let (shown, span) = excerpt(&text, text.len() - 3..text.len(), &[]);
        assert_eq!(&shown[span], "yyy");
        assert_eq!(shown.chars().count(), WINDOW_CHARS + 1);
    }

    #[test]
    fn huge_spans_keep_context_before_them() {
        let text = format!("{}{}", "k".repeat(100), "v".repeat(1000));
        let (shown, span) = excerpt(&text, 100..1100, &[]);
        assert_eq!(
            shown[..span.start].chars().count(),
            ELLIPSIS.chars().count() + MIN_BEFORE_CHARS
        );
    }

    #[test]
    fn secrets_in_the_window_are_redacted_and_the_label_follows() {
        let text = "secret=abcdef name=\"r\"";
        let (shown, span) = excerpt(text, 19..22, &one(7..13));
        assert_eq!(shown, "secret=REDACTED name=\"r\"");
        assert_eq!(&shown[span], "\"r\"");
        let (shown, span) = excerpt(text, 7..13, &one(7..13));
        assert_eq!(&shown[span], REDACTED);
    }
}
