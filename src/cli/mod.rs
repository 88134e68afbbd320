//! The binary's front end: argument parsing (clap), exit codes, progress
//! bars and printing. Nothing here is part of the library.
//!
//! Exit status, the same for every subcommand:
//! 0 success; 1 bad input (a model file, an option, a usage error, an output
//! file that cannot be written); 2 a solve that did not converge, or
//! infeasible targets or plans (the report still comes, saying so).

pub mod cost;
pub mod design;
pub mod plan;
pub mod simulate;

use std::fmt::Display;
use std::io::Write;

/// Process exit status: the one map for every subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// Bad input: model file, option, usage or unwritable output.
    BadInput = 1,
    /// A solve did not converge, or targets/plans are infeasible.
    NotSolved = 2,
}

/// Prints `message` to standard error as `error: ...` lines (one per line
/// of the message, so that every line stands alone) and returns `exit`.
pub fn report(exit: Exit, message: &dyn Display) -> Exit {
    let text = message.to_string();
    let mut err = std::io::stderr().lock();
    let mut any = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let line = line.strip_prefix("error: ").unwrap_or(line);
        let _ = writeln!(err, "error: {line}");
        any = true;
    }
    if !any {
        let _ = writeln!(err, "error: unknown failure");
    }
    exit
}

/// Bad input: prints the error and returns [`Exit::BadInput`].
pub fn fail(message: &dyn Display) -> Exit {
    report(Exit::BadInput, message)
}

/// Prints a hint line (`hint: ...`) to standard error.
pub fn hint(message: &dyn Display) {
    let _ = writeln!(std::io::stderr().lock(), "hint: {message}");
}

/// Writes `text` to standard output. A closed pipe (`| head`) ends the
/// output quietly instead of panicking.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Fails early when `path` cannot be written, before any solve: a full
/// report followed by "cannot write" helps no one.
pub fn check_writable(path: &std::path::Path) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if path.is_dir() {
        return Err(format!(
            "{}: is a directory, expected a file",
            path.display()
        ));
    }
    if !dir.is_dir() {
        return Err(format!(
            "{}: cannot write: directory {} does not exist",
            path.display(),
            dir.display()
        ));
    }
    let existed = path.exists();
    match std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
    {
        Ok(_) => {
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(format!("{}: cannot write: {e}", path.display())),
    }
}
