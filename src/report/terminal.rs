//! Text from the inputs is attacker-controlled (anyone who can name a resource names it): before it reaches a
//! terminal, control characters, ANSI/OSC escapes, CR/BS and bidirectional overrides are shown escaped
//! (`\x1b`, `\u{202e}`), so that a name can neither move the cursor, recolour the screen, hide text nor
//! reorder what is shown. JSON and SARIF keep the exact text (serde escapes it as JSON requires).

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every character a terminal would act on escaped; borrowed when there is none.
pub fn inert(text: &str) -> Cow<'_, str> {
    inert_with(text, false)
}

/// The most characters of one input value a terminal is shown (a table cell, a diagnostic line): far more
/// than any real name, few enough that a megabyte-long name cannot stall the table layout.
pub const MAX_SHOWN_CHARS: usize = 400;

/// [`inert`], cut to [`MAX_SHOWN_CHARS`] characters with an ellipsis saying how many were left out.
pub fn shown(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        None => inert(text),
        Some((cut, _)) => {
            let left_out = text[cut..].chars().count();
            Cow::Owned(format!("{}… ({left_out} more characters)", inert(&text[..cut])))
        }
    }
}

/// Like [`inert`], but tabs stay: a source line's indentation (miette expands tabs itself).
pub fn inert_source(text: &str) -> Cow<'_, str> {
    inert_with(text, true)
}

fn inert_with(text: &str, keep_tabs: bool) -> Cow<'_, str> {
    let acts = |c: char| !(keep_tabs && c == '\t') && is_active(c);
    if !text.chars().any(acts) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !acts(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// C0 and C1 controls (tab, CR, LF and BS included), DEL, and the Unicode format characters that change how
/// text around them is shown: bidi embeddings, overrides and isolates, marks, zero-width characters.
fn is_active(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}'
            | '\u{061c}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_escapes_and_bidi_overrides_are_shown_escaped() {
        assert_eq!(inert("plain name-01"), Cow::Borrowed("plain name-01"));
        assert_eq!(inert("a\x1b[31mred\x1b]0;title\x07"), "a\\x1b[31mred\\x1b]0;title\\x07");
        assert_eq!(inert("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(inert("over\rwrite\x08\x7f"), "over\\x0dwrite\\x08\\x7f");
        assert_eq!(inert("two\nlines\t"), "two\\x0alines\\x09");
        assert_eq!(inert("\u{9b}c1"), "\\u{9b}c1");
        assert_eq!(inert_source("\t\"k\": \"\x1b\""), "\t\"k\": \"\\x1b\"");
        assert_eq!(inert("ünïcödé ✓"), Cow::Borrowed("ünïcödé ✓"));
    }

    #[test]
    fn long_values_are_cut_for_the_terminal() {
        let long = "é".repeat(MAX_SHOWN_CHARS + 5);
        let cut = shown(&long);
        assert!(cut.starts_with(&"é".repeat(MAX_SHOWN_CHARS)));
        assert!(cut.ends_with("… (5 more characters)"));
        assert_eq!(shown("short\x1b"), "short\\x1b");
    }
}
