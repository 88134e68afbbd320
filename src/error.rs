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

/// Every problem found in one input (a cascade model checks all its values
/// before it answers), in the order they were found; never empty. Displayed
/// one located problem per line.
#[derive(Debug, Clone, PartialEq)]
pub struct InputErrors(Vec<InputError>);

impl InputErrors {
    /// The first problem found.
    pub fn first(&self) -> &InputError {
        &self.0[0]
    }

    /// The first problem found, by value (for callers that report one).
    pub fn into_first(self) -> InputError {
        self.0.into_iter().next().expect("never empty")
    }

    /// All problems, in the order found.
    pub fn iter(&self) -> std::slice::Iter<'_, InputError> {
        self.0.iter()
    }

    /// Number of problems (at least 1).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: there is at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems as a vector.
    pub fn into_vec(self) -> Vec<InputError> {
        self.0
    }

    /// Applies `f` to every problem (to locate them in a source file).
    pub fn map(self, f: impl FnMut(InputError) -> InputError) -> Self {
        InputErrors(self.0.into_iter().map(f).collect())
    }
}

impl From<InputError> for InputErrors {
    fn from(e: InputError) -> Self {
        InputErrors(vec![e])
    }
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

/// Collects the problems of one input while checking goes on.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<InputError>);

impl Problems {
    /// Records a problem.
    pub(crate) fn push(&mut self, e: InputError) {
        self.0.push(e);
    }

    /// The value of `r`, or `None` after recording its problem.
    pub(crate) fn ok<T>(&mut self, r: Result<T, InputError>) -> Option<T> {
        r.map_err(|e| self.push(e)).ok()
    }

    /// Records every problem of `r`, returning its value if it has none.
    pub(crate) fn all<T>(&mut self, r: Result<T, InputErrors>) -> Option<T> {
        r.map_err(|e| self.0.extend(e.0)).ok()
    }

    /// Whether nothing is wrong so far.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded, otherwise every problem.
    pub(crate) fn check(&mut self) -> Result<(), InputErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(InputErrors(std::mem::take(&mut self.0)))
        }
    }
}

/// Errors returned by the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model (or an option) is invalid.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The model is invalid in several places (one problem per line).
    #[error(transparent)]
    Inputs(#[from] InputErrors),
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
