//! The error type and line helpers shared by the host parsers (decoding lives in `crate::source`).

use std::ops::Range;

/// A parse error in evidence text: byte offset into the decoded text (the caller turns it into
/// line:column).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        ParseError {
            offset,
            message: message.into(),
        }
    }
}

/// The lines of `text` with their byte ranges, the line terminator (`\n` or `\r\n`) excluded.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |raw| {
        let body = raw.strip_suffix('\n').unwrap_or(raw);
        let body = body.strip_suffix('\r').unwrap_or(body);
        let range = start..start + body.len();
        start += raw.len();
        (range, body)
    })
}

/// Byte offset of a 1-based line and column, clamped to the text. Parsers report positions as
/// line/column; the rest of rdsaudit works with byte offsets. `col_in_chars` says whether the
/// column counts characters (roxmltree) or bytes (serde_json).
pub(crate) fn offset_at(text: &str, line: usize, col: usize, col_in_chars: bool) -> usize {
    let line_start = lines(text)
        .nth(line.saturating_sub(1))
        .map_or(text.len(), |(r, _)| r.start);
    let rest = &text[line_start..];
    let delta = if col_in_chars {
        rest.char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
    } else {
        let mut d = col.saturating_sub(1).min(rest.len());
        while !rest.is_char_boundary(d) {
            d -= 1;
        }
        d
    };
    line_start + delta
}

/// `s` without `prefix`, compared ASCII case-insensitively (Windows tools and users vary case).
pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}
