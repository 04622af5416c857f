//! A loaded input file: its path, decoded text and digest. Positions (line, column) are computed later,
//! only for the files that end up with findings (see `crate::locate`).

use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::InputError;
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
        Self { source, loc: Loc::Pointer(pointer.into()) }
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
        let bytes = std::fs::read(path)
            .map_err(|e| InputError::new(&display, format!("cannot read file: {e}")))?;
        let sha256 = hex(&Sha256::digest(&bytes));
        let text = decode(&bytes).map_err(|(offset, message)| {
            InputError::new(&display, format!("{message} at byte {offset}"))
        })?;
        Ok(Self { path: path.to_path_buf(), display, text, sha256, named, kind: "unknown" })
    }

    /// Build a source from text already in memory (tests, config).
    pub fn from_text(display: &str, text: String) -> Self {
        let sha256 = hex(&Sha256::digest(text.as_bytes()));
        Self { path: PathBuf::from(display), display: display.to_string(), text, sha256, named: true, kind: "unknown" }
    }

    /// An input error at a byte offset of this source, with its 1-based line and column.
    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> InputError {
        let (line, column) = LineIndex::new(&self.text).line_col(&self.text, offset);
        InputError::at(&self.display, line, column, message)
    }

    /// An input error at a line and column reported by a parser (serde_json, toml).
    pub fn error_at_line(&self, line: usize, column: usize, message: impl Into<String>) -> InputError {
        InputError::at(&self.display, line.max(1), column.max(1), message)
    }
}

/// Paths below the current directory are shown relative to it (as SARIF wants artifact URIs).
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd.as_deref().and_then(|cwd| {
        let abs = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
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

/// Decode UTF-8 (with or without BOM) and UTF-16LE/BE with BOM, as Windows PowerShell and reg.exe write.
/// Errors carry the byte offset of the first undecodable unit.
pub fn decode(bytes: &[u8]) -> Result<String, (usize, &'static str)> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest, 3);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    utf8(bytes, 0)
}

fn utf8(bytes: &[u8], base: usize) -> Result<String, (usize, &'static str)> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| (base + e.utf8_error().valid_up_to(), "invalid UTF-8 text"))
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, (usize, &'static str)> {
    if bytes.len() % 2 != 0 {
        return Err((bytes.len() + 1, "truncated UTF-16 text (odd number of bytes)"));
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    for (i, ch) in char::decode_utf16(units).enumerate() {
        match ch {
            Ok(c) => out.push(c),
            Err(_) => return Err((2 + i * 2, "invalid UTF-16 text (unpaired surrogate)")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    #[test]
    fn decodes_every_bom_form() {
        assert_eq!(decode(b"[1]").unwrap(), "[1]");
        assert_eq!(decode(b"\xEF\xBB\xBF[1]").unwrap(), "[1]");
        assert_eq!(decode(&utf16le("[\"é\"]\r\n")).unwrap(), "[\"é\"]\r\n");
        let be: Vec<u8> =
            [0xFE, 0xFF].into_iter().chain("ab".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode(&be).unwrap(), "ab");
    }

    #[test]
    fn rejects_broken_text_with_offsets() {
        let mut odd = utf16le("ab");
        odd.push(0x41);
        assert_eq!(decode(&odd).unwrap_err().1, "truncated UTF-16 text (odd number of bytes)");
        assert_eq!(decode(b"ab\xFFcd").unwrap_err(), (2, "invalid UTF-8 text"));
        let lone = [0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00];
        assert_eq!(decode(&lone).unwrap_err().0, 2);
    }

    #[test]
    fn pointers_escape_tokens() {
        assert_eq!(join_pointer("/a", "b/c~d"), "/a/b~1c~0d");
        let o = Origin::pointer(0, "/0").child("properties");
        assert_eq!(o.loc, Loc::Pointer("/0/properties".into()));
    }
}
