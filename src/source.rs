//! A loaded input file: its path, decoded text and digest. Positions (line, column) are computed later,
//! only for the files that end up with findings (see `crate::locate`).

use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{InputError, SourceLine};
use crate::locate::LineIndex;

/// Index of a source in `Environment::sources`; stable for one run (sources are sorted by path).
pub type SourceId = usize;

#[derive(Debug)]
pub struct Source {
    pub path: PathBuf,
    /// The path as the user should see it (relative when below the current directory).
    pub display: String,
    /// Text with any byte-order mark removed; UTF-16 files are decoded.
    pub text: String,
    pub sha256: String,
    /// Named on the command line (an unknown kind is then an error rather than a warning).
    pub named: bool,
    /// The input family it was recognised as (`az-cli`, `resource-graph`, `arm-template`, ...).
    pub kind: &'static str,
    /// Byte spans of secret values (RADIUS shared secrets): never printed, in any output.
    pub secrets: Vec<Range<usize>>,
    /// The elements of a resource list read element by element, so that positions are found one element at
    /// a time, on every core.
    pub elements: Option<Elements>,
}

/// Where the elements of the array at `base` (`""` for a top-level array, `/data` for a Resource Graph
/// result) are in the text: element `i` is `spans[i]`, its value alone.
#[derive(Debug, Clone, Default)]
pub struct Elements {
    pub base: &'static str,
    pub spans: Vec<Range<usize>>,
}

impl Elements {
    /// The element a JSON pointer is inside (or names), and the rest of the pointer within it.
    pub fn of<'p>(&self, pointer: &'p str) -> Option<(usize, &'p str)> {
        let tail = pointer.strip_prefix(self.base)?.strip_prefix('/')?;
        let (token, rest) = tail.find('/').map_or((tail, ""), |i| tail.split_at(i));
        let index = crate::locate::canonical_index(token)?;
        (index < self.spans.len()).then_some((index, rest))
    }
}

/// Where in a source a value came from: a JSON pointer (resolved to a span after evaluation) or a byte span
/// that a text parser recorded directly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Loc {
    Pointer(String),
    Span(Range<usize>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub source: SourceId,
    pub loc: Loc,
}

impl Origin {
    pub fn pointer(source: SourceId, pointer: impl Into<String>) -> Self {
        Self {
            source,
            loc: Loc::Pointer(pointer.into()),
        }
    }

    pub fn span(source: SourceId, span: Range<usize>) -> Self {
        Self {
            source,
            loc: Loc::Span(span),
        }
    }

    /// The origin of a member of the object this origin points at.
    pub fn child(&self, key: &str) -> Self {
        match &self.loc {
            Loc::Pointer(p) => Self::pointer(self.source, join_pointer(p, key)),
            Loc::Span(_) => self.clone(),
        }
    }
}

/// Append one reference token to a JSON pointer, escaping `~` and `/`.
pub fn join_pointer(base: &str, token: &str) -> String {
    let escaped = crate::locate::escape_token(token);
    let mut out = String::with_capacity(base.len() + escaped.len() + 1);
    out.push_str(base);
    out.push('/');
    out.push_str(&escaped);
    out
}

impl Source {
    /// Read and decode a file. Unreadable files and undecodable text are input errors.
    pub fn load(path: &Path, named: bool) -> Result<Self, InputError> {
        let display = display_path(path);
        let bytes = std::fs::read(path).map_err(|e| InputError::new(&display, format!("cannot read file: {e}")))?;
        let sha256 = hex(&Sha256::digest(&bytes));
        let text = decode(bytes).map_err(|e| InputError::new(&display, e.to_string()))?;
        Ok(Self {
            path: path.to_path_buf(),
            display,
            text,
            sha256,
            named,
            kind: "unknown",
            secrets: Vec::new(),
            elements: None,
        })
    }

    /// Build a source from text already in memory (tests, config).
    pub fn from_text(display: &str, text: String) -> Self {
        let sha256 = hex(&Sha256::digest(text.as_bytes()));
        Self {
            path: PathBuf::from(display),
            display: display.to_string(),
            text,
            sha256,
            named: true,
            kind: "unknown",
            secrets: Vec::new(),
            elements: None,
        }
    }

    /// An input error at a byte offset of this source, with its 1-based line and column.
    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> InputError {
        self.error_at_span(offset..offset, message)
    }

    /// An input error at a byte span of this source: its line and column, and the line it starts on.
    pub fn error_at_span(&self, span: Range<usize>, message: impl Into<String>) -> InputError {
        let index = LineIndex::new(&self.text);
        let (line, column) = index.line_col(&self.text, span.start);
        let line_span = index.line_span(&self.text, line);
        let relative = |r: &Range<usize>| {
            r.start.clamp(line_span.start, line_span.end) - line_span.start
                ..r.end.clamp(line_span.start, line_span.end) - line_span.start
        };
        let source_line = SourceLine {
            text: self.text[line_span.clone()].to_string(),
            span: relative(&span),
            secrets: self
                .secrets
                .iter()
                .filter(|s| s.start < line_span.end && s.end > line_span.start)
                .map(relative)
                .collect(),
        };
        InputError::at(&self.display, line, column, message).with_source_line(source_line)
    }

    /// An input error at the value a JSON pointer addresses (found by a light scan of this file only).
    pub fn error_at_pointer(&self, pointer: &str, message: impl Into<String>) -> InputError {
        match crate::locate::locate_pointers(&self.text, &[pointer]).pop().flatten() {
            Some(span) => self.error_at_span(span, message),
            None => InputError::new(&self.display, format!("at {pointer}: {}", message.into())),
        }
    }

    /// An input error at a line and column reported by a parser (serde_json, toml).
    pub fn error_at_line(&self, line: usize, column: usize, message: impl Into<String>) -> InputError {
        let (line, column) = (line.max(1), column.max(1));
        let line_span = LineIndex::new(&self.text).line_span(&self.text, line);
        let offset = self.text[line_span.clone()]
            .char_indices()
            .nth(column - 1)
            .map_or(line_span.end, |(i, _)| line_span.start + i);
        let mut e = self.error_at(offset, message);
        // Keep the parser's own position (it may point one past the end of a line).
        (e.line, e.column) = (Some(line), Some(column));
        e
    }
}

/// Paths below the current directory are shown relative to it (as SARIF wants artifact URIs).
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd.as_deref().and_then(|cwd| {
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            cwd.join(path)
        };
        abs.strip_prefix(cwd).ok().map(Path::to_path_buf)
    });
    let shown = rel.unwrap_or_else(|| path.to_path_buf());
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Windows tools disagree on encodings: `reg export` and Windows PowerShell 5.1's `Out-File`/`>`
/// write UTF-16LE with a BOM, `Set-Content -Encoding UTF8` writes UTF-8 with a BOM, and `sc.exe`
/// redirected by cmd.exe writes plain bytes. The BOM is therefore sniffed for every file.
/// Bytes that could not be decoded as text; `offset` is a byte offset into the raw file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (byte {offset})")]
pub struct DecodeError {
    pub offset: usize,
    pub message: String,
}

/// Decode bytes: UTF-16LE with BOM (FF FE), UTF-16BE with BOM (FE FF), UTF-8 with BOM (stripped),
/// plain UTF-8. Odd-length UTF-16, unpaired surrogates and invalid UTF-8 are a [`DecodeError`]
/// with the byte offset. Returns the text without BOM.
///
/// UTF-16 without a BOM is not guessed: every Windows tool that writes UTF-16 writes the BOM, and
/// guessing would turn a corrupt UTF-8 file into plausible-looking nonsense.
///
/// UTF-8 bytes become the text in place: a file is never held twice.
pub fn decode(bytes: impl Into<Vec<u8>>) -> Result<String, DecodeError> {
    let mut bytes = bytes.into();
    match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => decode_utf16(rest, 2, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => decode_utf16(rest, 2, u16::from_be_bytes),
        [0xEF, 0xBB, 0xBF, ..] => {
            bytes.drain(..3);
            decode_utf8(bytes, 3)
        }
        _ => decode_utf8(bytes, 0),
    }
}

fn decode_utf8(bytes: Vec<u8>, base: usize) -> Result<String, DecodeError> {
    String::from_utf8(bytes).map_err(|e| DecodeError {
        offset: base + e.utf8_error().valid_up_to(),
        message: "invalid UTF-8".to_owned(),
    })
}

fn decode_utf16(bytes: &[u8], base: usize, unit: fn([u8; 2]) -> u16) -> Result<String, DecodeError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError {
            offset: base + bytes.len() - 1,
            message: "UTF-16 text has an odd number of bytes (truncated file?)".to_owned(),
        });
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    let mut pos = 0; // in code units, to report the byte offset of a bad surrogate
    for r in char::decode_utf16(units) {
        match r {
            Ok(c) => {
                out.push(c);
                pos += c.len_utf16();
            }
            Err(_) => {
                return Err(DecodeError {
                    offset: base + pos * 2,
                    message: "unpaired UTF-16 surrogate".to_owned(),
                })
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_name_the_element_a_pointer_is_in() {
        let e = Elements {
            base: "/data",
            spans: vec![0..1; 12],
        };
        assert_eq!(e.of("/data/11/properties/x"), Some((11, "/properties/x")));
        assert_eq!(e.of("/data/0"), Some((0, "")));
        for outside in ["/data", "", "/data/12", "/data/01", "/data/x", "/datum/1", "/data/+1"] {
            assert_eq!(e.of(outside), None, "{outside}");
        }
    }

    #[test]
    fn pointers_escape_tokens() {
        assert_eq!(join_pointer("/a", "b/c~d"), "/a/b~1c~0d");
        let o = Origin::pointer(0, "/0").child("properties");
        assert_eq!(o.loc, Loc::Pointer("/0/properties".into()));
    }
}
