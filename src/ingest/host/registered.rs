//! `netsh nps show registeredserver` / `netsh ras show registeredserver` output (RDS011).
//!
//! The exact wording of this output is not documented and varies by Windows version and display
//! language; the one public script found greps for `Status = Registered`. So the text is read
//! leniently and conservatively: a line must clearly say registered or clearly say not
//! registered, and anything else (or both at once) is "could not tell". The group membership in
//! `ras-and-ias-servers.json` is the stronger evidence.

use crate::ingest::host::text::lines;
use std::ops::Range;

/// What the output says; `span` is the deciding line (empty at 0 when nothing decided).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// `None` = could not tell.
    pub registered: Option<bool>,
    pub span: Range<usize>,
}

/// Read the registration state from the command's output. Never fails: unknown text is `None`.
pub fn parse_registered(text: &str) -> Registration {
    let mut found: Option<(bool, Range<usize>)> = None;
    for (range, line) in lines(text) {
        let Some(says) = classify(line) else {
            continue;
        };
        match &found {
            Some((earlier, _)) if *earlier != says => {
                // Contradictory lines (e.g. one domain yes, another no): do not guess.
                return Registration {
                    registered: None,
                    span: 0..0,
                };
            }
            Some(_) => {}
            None => found = Some((says, range)),
        }
    }
    match found {
        Some((registered, span)) => Registration {
            registered: Some(registered),
            span,
        },
        None => Registration {
            registered: None,
            span: 0..0,
        },
    }
}

/// `Some(true)` for a line that says registered, `Some(false)` for not registered.
fn classify(line: &str) -> Option<bool> {
    let lower: String = line.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    const NEGATIVE: [&str; 5] = [
        "is not registered",
        "was not registered",
        "status = not registered",
        "status = unregistered",
        "registered: no",
    ];
    const POSITIVE: [&str; 3] = ["is registered in", "status = registered", "registered: yes"];
    if NEGATIVE.iter().any(|p| lower.contains(p)) {
        Some(false)
    } else if POSITIVE.iter().any(|p| lower.contains(p)) {
        Some(true)
    } else {
        None
    }
}
