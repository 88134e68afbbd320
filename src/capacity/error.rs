//! Typed errors of the capacity planner.
//!
//! Everything that is the user's fault (an unreadable file, a TOML syntax
//! error, an unknown key, a value out of range, a bad `--set`) is a
//! [`PlanError`]; the CLI maps it to exit status 1. An infeasible plan or a
//! solver failure is *not* an error: it is an outcome
//! ([`crate::capacity::Outcome`]) with its own report and exit status 2.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a plan file, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq)]
pub struct InputIssue {
    /// 1-based line in the plan file, when the value came from the file.
    pub line: Option<usize>,
    /// Dotted key path, e.g. `source[2].assay.Nd` (array entries by index,
    /// with the entry's name in the message where it has one).
    pub key: String,
    /// The offending value as written (or `(missing)`).
    pub value: String,
    /// What was expected instead, in words.
    pub expected: String,
    /// Where the value came from when it was not the file itself, e.g.
    /// `--set policy.budget=-1` or `scenario "capex overrun"`.
    pub origin: Option<String>,
}

impl InputIssue {
    /// A new issue for `key` holding `value`, which should have been `expected`.
    pub fn new(
        key: impl Into<String>,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        InputIssue {
            line: None,
            key: key.into(),
            value: value.into(),
            expected: expected.into(),
            origin: None,
        }
    }
}

impl fmt::Display for InputIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key `{}` = {}: expected {}",
            self.key, self.value, self.expected
        )?;
        if let Some(origin) = &self.origin {
            write!(f, " (value set by {origin})")?;
        }
        Ok(())
    }
}

/// Errors of the capacity planner: bad input of one kind or another.
#[derive(Debug, thiserror::Error)]
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
    /// (unknown key, wrong type, missing key).
    #[error("{file}:{line}: {message}", line = line.map_or_else(|| "?".to_string(), |l| l.to_string()))]
    Syntax {
        /// The file.
        file: PathBuf,
        /// 1-based line of the problem, when known.
        line: Option<usize>,
        /// What is wrong, naming the key where known.
        message: String,
    },
    /// The file parsed but some values are invalid; every problem is listed.
    #[error("{}", format_issues(file, issues))]
    Input {
        /// The file.
        file: PathBuf,
        /// The problems found, in file order where possible.
        issues: Vec<InputIssue>,
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
    /// A result file (CSV) could not be written.
    #[error("{path}: cannot write: {source}")]
    Output {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

fn format_issues(file: &std::path::Path, issues: &[InputIssue]) -> String {
    let mut out = format!(
        "{}: invalid plan ({} problem{})",
        file.display(),
        issues.len(),
        if issues.len() == 1 { "" } else { "s" }
    );
    for issue in issues {
        match issue.line {
            Some(line) => out.push_str(&format!("\n  {}:{line}: {issue}", file.display())),
            None => out.push_str(&format!("\n  {}: {issue}", file.display())),
        }
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
        let mut issue = InputIssue::new("source[0].capacity", "-5", "a non-negative number");
        issue.line = Some(12);
        let e = PlanError::Input {
            file: "p.toml".into(),
            issues: vec![issue],
        };
        let s = e.to_string();
        assert!(s.contains("p.toml:12: key"), "{s}");
        assert!(s.contains("`source[0].capacity` = -5"), "{s}");
        assert!(s.contains("expected a non-negative number"), "{s}");
    }
}
