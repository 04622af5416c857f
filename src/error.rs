//! Errors that stop a run. The binary maps each kind to an exit code in one place (`Error::exit_code`).

use std::fmt;

/// A problem with an input file or the config: always names the file, and the line and column when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl InputError {
    pub fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at(path: &str, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
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
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        2
    }
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(vec![e])
    }
}
