//! Typed errors. Bad input is an [`Error`]; a solve that does not converge is
//! not an error but a [`crate::solver::Status`].
//!
//! Every input error names where it comes from (file, line, column), the key,
//! the offending value where there is one, and what was expected.

use std::fmt;
use std::path::PathBuf;

/// Where in a source file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// File the model was read from (`None` for models built in code or
    /// parsed from a string).
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
}

impl Location {
    /// Location of byte offset `offset` in `src`.
    pub fn at(file: Option<PathBuf>, src: &str, offset: usize) -> Self {
        let offset = offset.min(src.len());
        let before = &src[..offset];
        let line = (before.matches('\n').count() + 1) as u32;
        let column = (before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1) as u32;
        Location {
            file,
            line: Some(line),
            column: Some(column),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(p) => write!(f, "{}", p.display())?,
            None => write!(f, "<model>")?,
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        Ok(())
    }
}

/// A problem with the input: a model file, a model built in code, or a
/// command-line option.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{location}: {}{message}", key_value(key, value))]
pub struct InputError {
    /// Where the problem is.
    pub location: Location,
    /// Dotted key path, e.g. `flows.organic` (empty for file-level problems).
    pub key: String,
    /// The offending value as written, when there is one.
    pub value: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// `key = value: ` (or `key: `, or nothing when there is no key: a message
/// never starts with an empty key).
fn key_value(key: &str, value: &Option<String>) -> String {
    match (key.is_empty(), value) {
        (true, None) => String::new(),
        (true, Some(v)) => format!("{v}: "),
        (false, None) => format!("{key}: "),
        (false, Some(v)) => format!("{key} = {v}: "),
    }
}

impl InputError {
    /// An error with no source location (models built in code).
    pub fn new(key: impl Into<String>, value: Option<String>, message: impl Into<String>) -> Self {
        InputError {
            location: Location::default(),
            key: key.into(),
            value,
            message: message.into(),
        }
    }
}

/// Errors returned by the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model (or an option) is invalid.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias for sxforge.
pub type Result<T, E = Error> = std::result::Result<T, E>;
