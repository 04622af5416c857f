//! Byte spans of JSON pointers in the original file text, and line/column lookup.
//!
//! Findings carry JSON pointers into the parsed document, but diagnostics and SARIF regions need positions,
//! which `serde_json::Value` does not keep. Most files have no findings, so rather than parsing every file into
//! a position-carrying tree, the files that need spans are rescanned once: the scanner descends only into the
//! members on the way to a requested pointer and skips everything else without building anything.

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::Range;

/// Escape one key for use in a JSON pointer (~ -> ~0, / -> ~1).
pub fn escape_token(key: &str) -> Cow<'_, str> {
    if key.contains(['~', '/']) {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

/// Finds each RFC 6901 pointer in `text`. An object member's span runs from its key's opening quote to the end
/// of its value, so a diagnostic shows which key is at fault; an array element's span, and the root's (`""`),
/// is the value alone. Pointers that are malformed, absent, or past a syntax error in `text` give `None`.
pub fn locate_pointers(text: &str, pointers: &[&str]) -> Vec<Option<Range<usize>>> {
    let parsed: Vec<Option<Vec<Cow<'_, str>>>> = pointers.iter().map(|p| parse_pointer(p)).collect();
    let tokens: Vec<&[Cow<'_, str>]> = parsed.iter().map(|p| p.as_deref().unwrap_or(&[])).collect();
    let candidates: Vec<usize> = (0..pointers.len()).filter(|&i| parsed[i].is_some()).collect();
    let mut found = vec![None; pointers.len()];
    let mut scanner = Scanner {
        text,
        pos: 0,
        closers: Vec::new(),
    };
    scanner.skip_ws();
    let start = scanner.pos;
    if let Some(end) = scanner.value(&tokens, &candidates, 0, &mut found) {
        for &i in candidates.iter().filter(|&&i| tokens[i].is_empty()) {
            found[i] = Some(start..end);
        }
    }
    found
}

fn parse_pointer(pointer: &str) -> Option<Vec<Cow<'_, str>>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    pointer.strip_prefix('/')?.split('/').map(unescape_token).collect()
}

/// Decodes `~0` and `~1`; any other `~` sequence makes the pointer invalid (RFC 6901 section 3).
fn unescape_token(token: &str) -> Option<Cow<'_, str>> {
    if !token.contains('~') {
        return Some(Cow::Borrowed(token));
    }
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('~'),
            Some('1') => out.push('/'),
            _ => return None,
        }
    }
    Some(Cow::Owned(out))
}

/// The index an array token names in canonical form: digits only, no leading zero (as
/// `serde_json::Value::pointer`); anything else names no element.
pub fn canonical_index(token: &str) -> Option<usize> {
    let canonical =
        !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) && (token.len() == 1 || !token.starts_with('0'));
    canonical.then(|| token.parse().ok()).flatten()
}

/// Cursor over the text. Every method returns the position after what it consumed, or `None` when the text is
/// malformed there; positions only stop on ASCII bytes, so slicing at them is safe.
struct Scanner<'t> {
    text: &'t str,
    pos: usize,
    /// Reused bracket stack for skipping containers without recursion.
    closers: Vec<u8>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Scans one value; `candidates` are the pointers whose first `depth` tokens match the path so far.
    fn value(
        &mut self,
        tokens: &[&[Cow<'_, str>]],
        candidates: &[usize],
        depth: usize,
        found: &mut [Option<Range<usize>>],
    ) -> Option<usize> {
        self.skip_ws();
        let deeper: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| tokens[i].len() > depth)
            .collect();
        match self.peek()? {
            b'{' if !deeper.is_empty() => self.object(tokens, &deeper, depth, found),
            b'[' if !deeper.is_empty() => self.array(tokens, &deeper, depth, found),
            _ => self.skip_value(),
        }
    }

    fn object(
        &mut self,
        tokens: &[&[Cow<'_, str>]],
        candidates: &[usize],
        depth: usize,
        found: &mut [Option<Range<usize>>],
    ) -> Option<usize> {
        self.pos += 1;
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(self.pos);
        }
        // Bucket the candidates by their key once, so that each member costs one lookup (linear overall).
        let mut by_key: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for &i in candidates {
            by_key.entry(tokens[i][depth].as_ref()).or_default().push(i);
        }
        loop {
            self.skip_ws();
            let key_start = self.pos;
            if self.peek()? != b'"' {
                return None;
            }
            let key_end = self.skip_string()?;
            let key = decode_string(&self.text[key_start + 1..key_end - 1])?;
            let matching = by_key.get(key.as_ref()).map(Vec::as_slice).unwrap_or_default();
            self.skip_ws();
            if self.peek()? != b':' {
                return None;
            }
            self.pos += 1;
            let end = self.value(tokens, matching, depth + 1, found)?;
            // A later duplicate key overwrites, as serde_json keeps the last value.
            for &i in matching.iter().filter(|&&i| tokens[i].len() == depth + 1) {
                found[i] = Some(key_start..end);
            }
            if self.after_item(b'}')? {
                return Some(self.pos);
            }
        }
    }

    fn array(
        &mut self,
        tokens: &[&[Cow<'_, str>]],
        candidates: &[usize],
        depth: usize,
        found: &mut [Option<Range<usize>>],
    ) -> Option<usize> {
        self.pos += 1;
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(self.pos);
        }
        // Candidates sorted by their (canonical) index, consumed as the elements go by: linear overall.
        let mut by_index: Vec<(usize, usize)> = candidates
            .iter()
            .filter_map(|&i| Some((canonical_index(&tokens[i][depth])?, i)))
            .collect();
        by_index.sort_unstable();
        let (indices, ids): (Vec<usize>, Vec<usize>) = by_index.into_iter().unzip();
        let mut next = 0;
        let mut index = 0;
        loop {
            self.skip_ws();
            let start = self.pos;
            while next < indices.len() && indices[next] < index {
                next += 1;
            }
            let first = next;
            while next < indices.len() && indices[next] == index {
                next += 1;
            }
            let matching = &ids[first..next];
            let end = self.value(tokens, matching, depth + 1, found)?;
            for &i in matching.iter().filter(|&&i| tokens[i].len() == depth + 1) {
                found[i] = Some(start..end);
            }
            if self.after_item(b']')? {
                return Some(self.pos);
            }
            index += 1;
        }
    }

    /// Consumes the `,` or `close` after a member or element; `true` when the container ended.
    fn after_item(&mut self, close: u8) -> Option<bool> {
        self.skip_ws();
        let b = self.peek()?;
        self.pos += 1;
        match b {
            b',' => Some(false),
            b if b == close => Some(true),
            _ => None,
        }
    }

    fn skip_value(&mut self) -> Option<usize> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => self.skip_container(),
            _ => self.skip_scalar(),
        }
    }

    fn skip_string(&mut self) -> Option<usize> {
        let bytes = self.text.as_bytes();
        self.pos += 1;
        loop {
            match bytes.get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return Some(self.pos);
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
    }

    /// Skips a whole object or array iteratively, so deeply nested input cannot overflow the stack.
    fn skip_container(&mut self) -> Option<usize> {
        self.closers.clear();
        loop {
            match self.peek()? {
                b'"' => {
                    self.skip_string()?;
                    continue;
                }
                b'{' => self.closers.push(b'}'),
                b'[' => self.closers.push(b']'),
                b @ (b'}' | b']') => {
                    if self.closers.pop() != Some(b) {
                        return None;
                    }
                    if self.closers.is_empty() {
                        self.pos += 1;
                        return Some(self.pos);
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn skip_scalar(&mut self) -> Option<usize> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        let number = word.starts_with(|c: char| c == '-' || c.is_ascii_digit());
        (number || matches!(word, "true" | "false" | "null")).then_some(self.pos)
    }
}

/// Decodes the contents of a JSON string (without quotes); allocates only when it holds escapes.
fn decode_string(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('\\') {
        return Some(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next()? {
            c @ ('"' | '\\' | '/') => c,
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let unit = hex4(&mut chars)?;
                if (0xD800..0xDC00).contains(&unit) {
                    let (Some('\\'), Some('u')) = (chars.next(), chars.next()) else {
                        return None;
                    };
                    let low = hex4(&mut chars)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                } else {
                    char::from_u32(unit)?
                }
            }
            _ => return None,
        };
        out.push(decoded);
    }
    Some(Cow::Owned(out))
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    (0..4).try_fold(0, |acc, _| Some(acc * 16 + chars.next()?.to_digit(16)?))
}

/// Line starts of one file, built once so that every finding in it is positioned by binary search.
pub struct LineIndex {
    /// Byte offset where each line starts (the first at 0): one word per line, found with `memchr`.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self { starts }
    }

    /// 1-based line and 1-based column in characters, as SARIF regions count them. Offsets past the end or
    /// inside a character are clamped back to the nearest character start.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    /// Byte range of 1-based `line` of `text` without its line terminator (`\n` or `\r\n`); an empty range
    /// at the end of the text when there is no such line.
    pub fn line_span(&self, text: &str, line: usize) -> Range<usize> {
        let Some(&start) = line.checked_sub(1).and_then(|i| self.starts.get(i)) else {
            return text.len()..text.len();
        };
        let mut end = self.starts.get(line).map_or(text.len(), |next| next - 1);
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }
}

#[cfg(test)]
mod tests;
