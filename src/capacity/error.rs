//! Typed errors of the capacity planner.
//!
//! Everything that is the user's fault (an unreadable file, a TOML syntax
//! error, an unknown key, a value out of range, a bad `--set`) is a
//! [`PlanError`]; the CLI maps it to exit status 1. An infeasible plan or a
//! solver failure is *not* an error: it is an outcome
//! ([`crate::capacity::Outcome`]) with its own report and exit status 2.

use crate::error::{InputError, Location};
use crate::input::locate::{line_col, offset_of_path, KeyPath};
use std::path::{Path, PathBuf};

/// One problem found in a plan file: the crate's located input error (file,
/// line, column, dotted key such as `source[2].assay.Nd`, value, and the
/// expectation in its message).
pub type InputIssue = InputError;

/// A problem with `key` holding `value`, which should have been `expected`
/// (not yet located: see [`locate_issue`]).
pub(crate) fn issue(
    key: impl Into<String>,
    value: impl Into<String>,
    expected: &str,
) -> InputError {
    InputError::new(key, Some(value.into()), format!("expected {expected}"))
}

/// Points `issue` at its key in the plan file `text` (`file`), or, when
/// the value came from an override (`origin`, e.g. `--set policy.budget=-1`
/// or `scenario "capex overrun"`), names the override instead of a line.
pub(crate) fn locate_issue(
    mut issue: InputError,
    file: &Path,
    text: &str,
    origin: Option<&str>,
) -> InputError {
    let at = match origin {
        Some(o) => {
            issue.message.push_str(&format!(" (value set by {o})"));
            None
        }
        None => offset_of_path(text, &KeyPath::parse(&issue.key)).map(|o| line_col(text, o)),
    };
    issue.location = Location {
        file: Some(file.to_path_buf()),
        line: at.map(|(l, _)| l as u32),
        column: at.map(|(_, c)| c as u32),
    };
    issue
}

/// Errors of the capacity planner: bad input of one kind or another.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The plan file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or does not fit the plan schema
    /// (unknown key, wrong type, missing key), located at the key.
    #[error("{0}")]
    Syntax(InputError),
    /// The file parsed but some values are invalid; every problem is listed.
    #[error("{}", format_issues(file, issues))]
    Input {
        /// The file.
        file: PathBuf,
        /// The problems found, in file order where possible, each located
        /// (see [`InputError`]).
        issues: Vec<InputError>,
    },
    /// A `--set` override or a scenario's `set` entry is malformed or names a
    /// path that does not exist.
    #[error("{file}: {origin}: {message}")]
    Override {
        /// The plan file the override applies to.
        file: PathBuf,
        /// The override as written, e.g. `--set policy.budget=1e9`.
        origin: String,
        /// What is wrong with it.
        message: String,
    },
    /// A command-line option this build cannot honour, e.g. `--solver highs`
    /// in a build without the `highs` feature (a usage error: no file is
    /// to blame).
    #[error("{option}: {message}")]
    Usage {
        /// The option as written, e.g. `--solver highs`.
        option: String,
        /// What is wrong and what is available instead.
        message: String,
    },
    /// A result file (CSV) could not be written.
    #[error("{path}: cannot write: {source}")]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

fn format_issues(file: &Path, issues: &[InputError]) -> String {
    let mut out = format!(
        "{}: invalid plan ({} problem{})",
        file.display(),
        issues.len(),
        if issues.len() == 1 { "" } else { "s" }
    );
    for issue in issues {
        out.push_str(&format!("\n  {issue}"));
    }
    out
}

impl PlanError {
    /// Process exit status the CLI uses for this error (always 1: bad input).
    pub fn exit_code(&self) -> i32 {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_issue_names_line_key_value_and_expectation() {
        let text = "[[source]]\nname = \"s\"\ncapacity = -5\n";
        let i = locate_issue(
            issue("source[0].capacity", "-5", "a non-negative number"),
            Path::new("p.toml"),
            text,
            None,
        );
        assert_eq!((i.location.line, i.location.column), (Some(3), Some(12)));
        let e = PlanError::Input {
            file: "p.toml".into(),
            issues: vec![i],
        };
        assert_eq!(
            e.to_string(),
            "p.toml: invalid plan (1 problem)\n  p.toml:3:12: source[0].capacity = -5: expected a non-negative number"
        );
        let set = locate_issue(
            issue("policy.budget", "-1", "a non-negative number"),
            Path::new("p.toml"),
            text,
            Some("--set policy.budget=-1"),
        );
        assert_eq!(
            set.to_string(),
            "p.toml: policy.budget = -1: expected a non-negative number (value set by --set policy.budget=-1)"
        );
    }
}
