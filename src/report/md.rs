//! Markdown both ways: input text made inert inside markdown (the markdown report, a PR comment), and the
//! rules' markdown documentation as plain text (SARIF `help.text`).

use std::fmt::Write;

use super::terminal::inert;

/// Text from the inputs, shown as written in GitHub-flavoured markdown: every ASCII punctuation character
/// that could start markup (emphasis, links, images, HTML, tables, mentions, autolinks) is backslash-escaped
/// and control characters are shown escaped (`\x0a`), so that a resource named
/// `<img src=x>|[fix](https://evil)` stays text in one table cell. Parentheses stay as they are: with `[` and
/// `]` escaped they cannot form a link.
pub fn escape(text: &str) -> String {
    let text = inert(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_ascii_punctuation()
            && !matches!(
                c,
                '/' | '-' | '.' | ',' | '\'' | '"' | ';' | '=' | '%' | '?' | '$' | '(' | ')'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A label inside a Mermaid node (`id["..."]`): quotes, angle brackets, ampersands, hashes and backticks as
/// Mermaid entity codes (a backtick run could close the code fence), control characters escaped.
pub fn mermaid_label(text: &str) -> String {
    let text = inert(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '"' | '<' | '>' | '&' | '#' | '`' | '\\' | '|' | '[' | ']' | '{' | '}' => {
                let _ = write!(out, "#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The plain text of a markdown document: headings without `#`, emphasis markers and backticks dropped,
/// links as `text (url)`, code fences without their fence lines. Enough for the rules' own documentation.
pub fn plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    // Prose is collected up to the next fence, so that a code span may wrap onto the next line.
    let mut prose = String::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            out.push_str(&inline(&std::mem::take(&mut prose)));
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push_str(line);
            out.push('\n');
        } else {
            let heading = line.strip_prefix('#').map(|h| h.trim_start_matches('#').trim_start());
            prose.push_str(heading.unwrap_or(line));
            prose.push('\n');
        }
    }
    out.push_str(&inline(&prose));
    out
}

/// Markdown prose without its inline markup.
fn inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            if let Some((text, url, after)) = link(rest) {
                let _ = write!(out, "{text} ({url})");
                rest = after;
                continue;
            }
        }
        if c == '`' {
            // A code span is shown as written: `*` there is a wildcard, not emphasis.
            if let Some(end) = rest[1..].find('`') {
                out.push_str(&rest[1..1 + end]);
                rest = &rest[end + 2..];
                continue;
            }
        }
        if c == '\\' {
            if let Some(next) = rest[1..].chars().next().filter(char::is_ascii_punctuation) {
                out.push(next);
                rest = &rest[1 + next.len_utf8()..];
                continue;
            }
        }
        if c != '*' {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `[text](url)` at the start of `s`: the text, the URL and what follows.
fn link(s: &str) -> Option<(&str, &str, &str)> {
    let close = s.find("](")?;
    let end = s[close..].find(')')? + close;
    let text = &s[1..close];
    (!text.contains(']')).then(|| (text, &s[close + 2..end], &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(escape("nsg-01"), "nsg-01");
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("[fix](https://evil)"), "\\[fix\\](https\\://evil)");
        assert_eq!(escape("(inputs)"), "(inputs)");
        assert_eq!(
            escape("<img src=x onerror=alert(1)>"),
            "\\<img src=x onerror=alert(1)\\>"
        );
        assert_eq!(
            escape("**bold** _x_ `code` @team #1 ~~s~~"),
            "\\*\\*bold\\*\\* \\_x\\_ \\`code\\` \\@team \\#1 \\~\\~s\\~\\~"
        );
        assert_eq!(escape("a&amp;b"), "a\\&amp;b");
    }

    #[test]
    fn control_characters_in_names_are_shown_escaped() {
        assert_eq!(escape("two\nlines\r"), "two\\\\x0alines\\\\x0d");
        assert!(!escape("a\u{202e}b").contains('\u{202e}'));
    }

    #[test]
    fn mermaid_labels_cannot_close_the_node_or_the_fence() {
        assert_eq!(mermaid_label("pip \"x\"]"), "pip #34;x#34;#93;");
        assert_eq!(mermaid_label("```"), "#96;#96;#96;");
        assert_eq!(mermaid_label("<b>&"), "#60;b#62;#38;");
        assert_eq!(mermaid_label("a\nb"), "a#92;x0ab");
    }

    #[test]
    fn plain_text_drops_markup_and_keeps_words() {
        let md = "# RDS001: name\n\nSeverity: **critical** · `AllowRD`\n\n- see [the doc](https://x.example/a) now\n\n```toml\nrule = \"RDS001\"\n```\n";
        assert_eq!(
            plain(md),
            "RDS001: name\n\nSeverity: critical · AllowRD\n\n- see the doc (https://x.example/a) now\n\nrule = \"RDS001\"\n"
        );
        assert_eq!(plain("a \\* b"), "a * b\n");
        assert_eq!(plain("source `*` or `0.0.0.0/0`"), "source * or 0.0.0.0/0\n");
        assert_eq!(plain("a `code span\nthat wraps` b"), "a code span\nthat wraps b\n");
    }
}
