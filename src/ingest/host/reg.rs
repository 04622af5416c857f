//! `reg export <key> <file>` files (regedit format 5.00, or REGEDIT4).
//!
//! rdsaudit reads the licensing mode, the IAS service SID type and the Entra MFA NPS extension from
//! these exports. `reg.exe` writes UTF-16LE with a BOM and CRLF; decode with
//! [`crate::ingest::host::text::decode`] first. Binary-typed values are written as `hex(N):` byte
//! lists wrapped at about 80 columns with a trailing `\` and an indented continuation line, and
//! strings inside them (REG_MULTI_SZ, REG_EXPAND_SZ) are UTF-16LE bytes.

use crate::ingest::host::text::{lines, strip_prefix_ci, ParseError};
use std::ops::Range;

/// A parsed `.reg` file: its keys in file order, deleted keys and values already applied.
#[derive(Debug, Clone, PartialEq)]
pub struct RegFile {
    keys: Vec<RegKey>,
}

/// One `[HKEY_...\...]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct RegKey {
    /// The path as written between the brackets.
    pub path: String,
    /// The `[..]` header line (of the first section for a key that appears twice).
    pub span: Range<usize>,
    normalized: String,
    values: Vec<RegValue>,
}

/// One value line; `name` is empty for the default value (`@`).
#[derive(Debug, Clone, PartialEq)]
pub struct RegValue {
    pub name: String,
    pub data: RegData,
    /// The whole logical line, continuation lines included.
    pub span: Range<usize>,
}

/// Value data, by registry type.
#[derive(Debug, Clone, PartialEq)]
pub enum RegData {
    Sz(String),
    ExpandSz(String),
    MultiSz(Vec<String>),
    Dword(u32),
    Qword(u64),
    Binary(Vec<u8>),
    /// Any other `hex(N):` type, kept raw.
    Other {
        kind: u32,
        bytes: Vec<u8>,
    },
}

/// Where value lines currently go.
enum Section {
    None,
    Deleted,
    Key(usize),
}

impl RegFile {
    /// Parse the decoded text of a `.reg` file. The header must be the first non-empty line so
    /// that a random text file is refused rather than read as an empty export.
    pub fn parse(text: &str) -> Result<RegFile, ParseError> {
        let mut file = RegFile { keys: Vec::new() };
        let mut section = Section::None;
        let mut header_seen = false;
        let mut iter = lines(text).peekable();
        while let Some((range, line)) = iter.next() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if !header_seen {
                if trimmed != "Windows Registry Editor Version 5.00" && trimmed != "REGEDIT4" {
                    return Err(ParseError::new(
                        0,
                        "not a registry export: the first line must be \
                         \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\"",
                    ));
                }
                header_seen = true;
                continue;
            }
            if trimmed.starts_with(';') {
                continue;
            }
            if let Some(inner) = trimmed.strip_prefix('[') {
                let Some(path) = inner.strip_suffix(']') else {
                    return Err(ParseError::new(range.start, "key header without closing `]`"));
                };
                section = file.open_key(path, range);
                continue;
            }
            if !(trimmed.starts_with('"') || trimmed.starts_with('@')) {
                return Err(ParseError::new(range.start, "expected a key header or a value"));
            }
            // Hex data may continue on following lines; gather the logical line first.
            let mut logical = line.trim_start().to_owned();
            let mut end = range.end;
            while is_hex_data(&logical) && logical.trim_end().ends_with('\\') {
                let Some((next_range, next)) = iter.next() else {
                    return Err(ParseError::new(end, "file ends inside a continued value"));
                };
                let cut = logical.trim_end().len() - 1;
                logical.truncate(cut);
                logical.push_str(next.trim());
                end = next_range.end;
            }
            let span = range.start..end;
            let (name, data) = parse_value(&logical).map_err(|m| ParseError::new(span.start, m))?;
            match section {
                Section::None => return Err(ParseError::new(span.start, "value before any key header")),
                Section::Deleted => {}
                Section::Key(i) => {
                    let values = &mut file.keys[i].values;
                    values.retain(|v| !v.name.eq_ignore_ascii_case(&name));
                    if let Some(data) = data {
                        values.push(RegValue { name, data, span });
                    }
                }
            }
        }
        if !header_seen {
            return Err(ParseError::new(0, "empty file: not a registry export"));
        }
        Ok(file)
    }

    /// Start a section: `[-KEY]` deletes the key and its subkeys; a key seen again is merged.
    fn open_key(&mut self, path: &str, span: Range<usize>) -> Section {
        if let Some(deleted) = path.strip_prefix('-') {
            let gone = normalize(deleted);
            let prefix = format!("{gone}\\");
            self.keys
                .retain(|k| k.normalized != gone && !k.normalized.starts_with(&prefix));
            return Section::Deleted;
        }
        let normalized = normalize(path);
        if let Some(i) = self.keys.iter().position(|k| k.normalized == normalized) {
            return Section::Key(i);
        }
        self.keys.push(RegKey {
            path: path.to_owned(),
            span,
            normalized,
            values: Vec::new(),
        });
        Section::Key(self.keys.len() - 1)
    }

    /// Case-insensitive lookup; accepts the `HKLM\...` and `HKEY_LOCAL_MACHINE\...` forms.
    pub fn key(&self, path: &str) -> Option<&RegKey> {
        let wanted = normalize(path);
        self.keys.iter().find(|k| k.normalized == wanted)
    }

    pub fn keys(&self) -> impl Iterator<Item = &RegKey> {
        self.keys.iter()
    }
}

impl RegKey {
    /// Case-insensitive; `""` or `"@"` for the default value.
    pub fn value(&self, name: &str) -> Option<&RegValue> {
        let name = if name == "@" { "" } else { name };
        self.values.iter().find(|v| v.name.eq_ignore_ascii_case(name))
    }

    pub fn values(&self) -> impl Iterator<Item = &RegValue> {
        self.values.iter()
    }
}

/// Lower-cased path with the root hive spelled out and no trailing backslash.
fn normalize(path: &str) -> String {
    let lower = path.trim().trim_end_matches('\\').to_ascii_lowercase();
    let (root, rest) = match lower.split_once('\\') {
        Some((root, rest)) => (root, Some(rest)),
        None => (lower.as_str(), None),
    };
    let root = match root {
        "hklm" => "hkey_local_machine",
        "hkcu" => "hkey_current_user",
        "hkcr" => "hkey_classes_root",
        "hku" => "hkey_users",
        "hkcc" => "hkey_current_config",
        other => other,
    };
    match rest {
        Some(rest) => format!("{root}\\{rest}"),
        None => root.to_owned(),
    }
}

/// Whether a value line's data is a `hex...:` list (the only data that may continue).
fn is_hex_data(line: &str) -> bool {
    split_name(line).is_ok_and(|(_, data)| data.trim_start().starts_with("hex"))
}

/// Split `"name"=data` / `@=data` into the unescaped name and the raw data text.
fn split_name(line: &str) -> Result<(String, &str), String> {
    let (name, rest) = if let Some(rest) = line.strip_prefix('@') {
        (String::new(), rest)
    } else {
        let (name, used) = parse_quoted(line)?;
        (name, &line[used..])
    };
    let data = rest
        .trim_start()
        .strip_prefix('=')
        .ok_or("expected `=` after the value name")?;
    Ok((name, data))
}

/// Parse a value line; `None` data means `"name"=-` (delete the value).
fn parse_value(line: &str) -> Result<(String, Option<RegData>), String> {
    let (name, data) = split_name(line)?;
    let data = data.trim();
    if data == "-" {
        return Ok((name, None));
    }
    if data.starts_with('"') {
        let (s, used) = parse_quoted(data)?;
        if !data[used..].trim().is_empty() {
            return Err("unexpected text after the closing quote".to_owned());
        }
        return Ok((name, Some(RegData::Sz(s))));
    }
    if let Some(hex) = strip_prefix_ci(data, "dword:") {
        let hex = hex.trim();
        if hex.is_empty() || hex.len() > 8 {
            return Err("dword: needs 1 to 8 hex digits".to_owned());
        }
        let v = u32::from_str_radix(hex, 16).map_err(|_| "dword: value is not hex".to_owned())?;
        return Ok((name, Some(RegData::Dword(v))));
    }
    let (kind, list) = if let Some(list) = strip_prefix_ci(data, "hex:") {
        (3, list)
    } else if let Some(rest) = strip_prefix_ci(data, "hex(") {
        let (kind, list) = rest
            .split_once("):")
            .ok_or("expected `hex(N):` with a hex type number")?;
        let kind = u32::from_str_radix(kind, 16).map_err(|_| "hex(N): N is not hex".to_owned())?;
        (kind, list)
    } else {
        return Err("unrecognised value data (expected \"...\", dword:, hex: or -)".to_owned());
    };
    let bytes = parse_bytes(list)?;
    Ok((name, Some(typed(kind, bytes)?)))
}

/// A `"..."` string with regedit's `\\` and `\"` escapes; returns it and the bytes consumed.
fn parse_quoted(s: &str) -> Result<(String, usize), String> {
    let mut chars = s.char_indices();
    if !matches!(chars.next(), Some((_, '"'))) {
        return Err("expected a quoted string".to_owned());
    }
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, i + 1)),
            '\\' => match chars.next() {
                Some((_, e @ ('\\' | '"'))) => out.push(e),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            other => out.push(other),
        }
    }
    Err("unterminated quoted string".to_owned())
}

/// `de,ad,be,ef` (possibly empty) into bytes.
fn parse_bytes(list: &str) -> Result<Vec<u8>, String> {
    let list = list.trim().trim_end_matches(',');
    if list.is_empty() {
        return Ok(Vec::new());
    }
    list.split(',')
        .map(|b| {
            let b = b.trim();
            if b.is_empty() || b.len() > 2 {
                return Err(format!("bad hex byte `{b}`"));
            }
            u8::from_str_radix(b, 16).map_err(|_| format!("bad hex byte `{b}`"))
        })
        .collect()
}

/// Interpret raw bytes by registry type number (winnt.h REG_*).
fn typed(kind: u32, bytes: Vec<u8>) -> Result<RegData, String> {
    Ok(match kind {
        1 => RegData::Sz(utf16_strings(&bytes)?.into_iter().next().unwrap_or_default()),
        2 => RegData::ExpandSz(utf16_strings(&bytes)?.into_iter().next().unwrap_or_default()),
        3 => RegData::Binary(bytes),
        4 => RegData::Dword(u32::from_le_bytes(
            bytes.try_into().map_err(|_| "hex(4): needs 4 bytes")?,
        )),
        7 => RegData::MultiSz(utf16_strings(&bytes)?),
        0xb => RegData::Qword(u64::from_le_bytes(
            bytes.try_into().map_err(|_| "hex(b): needs 8 bytes")?,
        )),
        kind => RegData::Other { kind, bytes },
    })
}

/// NUL-separated UTF-16LE strings, stopping at the empty string that terminates a multi-string.
fn utf16_strings(bytes: &[u8]) -> Result<Vec<String>, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err("UTF-16 string data has an odd number of bytes".to_owned());
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut out = Vec::new();
    for part in units.split(|&u| u == 0) {
        if part.is_empty() {
            break;
        }
        out.push(String::from_utf16(part).map_err(|_| "invalid UTF-16 in string data")?);
    }
    Ok(out)
}
