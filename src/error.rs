//! Errors that stop a run, and the exit codes (README, Exit codes). The binary maps an [`Exit`] to its
//! code in one place.

use std::fmt;
use std::ops::Range;

/// How a run ends. When several apply, the highest of 2 > 3 > 1 > 0 wins ([`Exit::worst`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// No unsuppressed finding at or above `--fail-on`, the score at least `--min-score` (or nothing to gate).
    Pass,
    /// The gate failed.
    GateFailed,
    /// A usage, input or output error.
    Error,
    /// Live collection failed or was partial: what was read is reported, the rest is "not evaluated".
    Partial,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Pass => 0,
            Exit::GateFailed => 1,
            Exit::Error => 2,
            Exit::Partial => 3,
        }
    }

    /// The one that wins when both apply: 2 > 3 > 1 > 0.
    pub fn worst(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Pass => 0,
            Exit::GateFailed => 1,
            Exit::Partial => 2,
            Exit::Error => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// A problem with an input file or the config: always names the file, and the line and column when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// The line the error points into, shown under the message like a finding's snippet.
    pub source_line: Option<Box<SourceLine>>,
}

/// One line of an input, with the byte span an error points at and the secrets to redact, both relative to
/// the line. Renderers window and redact it exactly as they do a finding's source line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub text: String,
    pub span: Range<usize>,
    pub secrets: Vec<Range<usize>>,
}

impl InputError {
    pub fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            line: None,
            column: None,
            message: message.into(),
            source_line: None,
        }
    }

    pub fn at(path: &str, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            column: Some(column),
            ..Self::new(path, message)
        }
    }

    pub fn with_source_line(mut self, line: SourceLine) -> Self {
        self.source_line = Some(Box::new(line));
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.path, self.message),
            _ => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for InputError {}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line usage that clap cannot catch (e.g. `--output` before any `--format`).
    #[error("{0}")]
    Usage(String),
    /// One or more unreadable or malformed inputs; all of them are reported.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Input(Vec<InputError>),
    /// A report could not be written.
    #[error("cannot write {path}: {source}")]
    Output { path: String, source: std::io::Error },
    /// Live collection read nothing (no credential, say): exit 3 with the cause.
    #[error("live collection failed: {0}")]
    Collection(String),
}

impl Error {
    pub fn exit(&self) -> Exit {
        match self {
            Error::Collection(_) => Exit::Partial,
            _ => Exit::Error,
        }
    }
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(vec![e])
    }
}
