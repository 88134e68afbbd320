//! The one input layer: reading a source file within limits, the one
//! located-error type ([`InputError`]: file, line, column, dotted key,
//! value, expectation) and the one TOML key locator ([`locate`](mod@locate)), used by
//! cascade, optimise, sweep and plan files.

pub mod locate;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use crate::error::{InputError, Location};
pub use locate::{locate, KeyPath};

/// Most stages per section (extraction, scrub, strip) a cascade may have.
/// Real cascades have tens, at most a few hundred; beyond this a solve takes
/// minutes and the storage grows without bound.
pub const MAX_STAGES_PER_SECTION: usize = 2_000;

/// Most cases of one sweep (grid points or Latin-hypercube samples).
pub const MAX_SWEEP_CASES: usize = 1_000_000;

/// Most worker threads (`--threads`).
pub const MAX_THREADS: usize = 256;

/// Largest input file read (bytes): model and plan files are a few
/// kilobytes; this stops `simulate /dev/zero` from reading forever.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Formats a number for an error message as a user would write it in
/// TOML (`1e308`, not 309 digits; `nan`, `inf`), for cascade and plan
/// files alike.
pub(crate) fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if v.is_nan() {
        "nan".into()
    } else if a.is_finite() && a != 0.0 && !(1e-5..1e15).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Reads a UTF-8 text file of at most [`MAX_FILE_BYTES`].
pub fn read_source(path: &Path) -> Result<String, crate::Error> {
    let io = |source| crate::Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    // a problem of the whole file: located by the file alone
    let whole_file = |message: String| {
        crate::Error::Input(InputError {
            location: Location {
                file: Some(path.to_path_buf()),
                ..Location::default()
            },
            key: String::new(),
            value: None,
            message,
        })
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(whole_file(format!(
            "file larger than {} MiB: expected a TOML model",
            MAX_FILE_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        whole_file(format!(
            "not UTF-8 text (invalid byte at offset {offset}): expected a TOML model"
        ))
    })
}

/// Points `e` at the place in `src` where its dotted key is written (the
/// file start when the key is not written or the text does not parse).
pub fn locate_error(mut e: InputError, src: &str, file: Option<PathBuf>) -> InputError {
    let (line, column) = locate(src, &e.key).unwrap_or((1, 1));
    e.location = Location {
        file,
        line: Some(line as u32),
        column: Some(column as u32),
    };
    e
}

/// Points an error at its key, for keys that count array tables from 1
/// (`optimize.constraint[1]` is the first `[[optimize.constraint]]`, as
/// the optimiser and the sweep name them); the locator counts from 0.
pub fn locate_indexed(e: InputError, src: &str, file: Option<PathBuf>) -> InputError {
    let mut path = KeyPath::parse(&e.key);
    for seg in &mut path.0 {
        if let locate::Seg::Index(i) = seg {
            *i = i.saturating_sub(1);
        }
    }
    let (line, column) = locate::offset_of_path(src, &path)
        .map(|off| locate::line_col(src, off))
        .unwrap_or((1, 1));
    let mut e = e;
    e.location = Location {
        file,
        line: Some(line as u32),
        column: Some(column as u32),
    };
    e
}

/// The error for a model file that lacks the table a command needs
/// (`key` the table, placed in `file` with no line).
pub fn missing_table(file: Option<PathBuf>, key: &str, message: &str) -> InputError {
    InputError {
        location: Location {
            file,
            line: None,
            column: None,
        },
        key: key.into(),
        value: None,
        message: message.into(),
    }
}

/// Turns a TOML/serde error into an [`InputError`] pointing at its span,
/// with the key path written there (array items included:
/// `optimize.constraint[0].foo`).
pub fn toml_error(e: &toml::de::Error, src: &str, file: Option<PathBuf>) -> InputError {
    let location = match e.span() {
        Some(span) => Location::at(file, src, span.start),
        None => Location {
            file,
            ..Location::default()
        },
    };
    let mut path = e
        .span()
        .and_then(|span| locate::path_at(src, span.start))
        .unwrap_or_default();
    if e.message().starts_with("missing field") {
        // the span is the table's that lacks the field, which starts at its
        // first key: the key path is the table's
        if let Some(locate::Seg::Key(_)) = path.0.last() {
            path.0.pop();
        }
    }
    let mut key = path.to_string();
    if key.is_empty() && e.message().starts_with("duplicate key") {
        key = e
            .span()
            .and_then(|span| duplicate_key(src, span))
            .unwrap_or_default();
    }
    InputError {
        location,
        key,
        value: None,
        message: e.message().trim().to_string(),
    }
}

/// The key path of a duplicate key whose second occurrence the parser
/// points at (`span`), read from the text, since a document with a
/// duplicate key does not parse for the locator: a table header's own
/// path (`[cascade]` twice: `cascade`), else the key under the header
/// above it (`cascade.extraction`), or the key alone at the top.
fn duplicate_key(src: &str, span: std::ops::Range<usize>) -> Option<String> {
    let unquote = |t: &str| -> String {
        t.split('.')
            .map(|p| p.trim().trim_matches(|c| c == '"' || c == '\''))
            .collect::<Vec<_>>()
            .join(".")
    };
    let header = |line: &str| -> Option<String> {
        let t = line.trim();
        let inner = t.strip_prefix('[')?;
        let inner = inner.split(']').next()?.trim_start_matches('[');
        Some(unquote(inner))
    };
    let start = span.start.min(src.len());
    let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = src[line_start..].lines().next().unwrap_or("");
    if let Some(h) = header(line) {
        return Some(h).filter(|h| !h.is_empty());
    }
    let token = unquote(src.get(span)?);
    if token.is_empty() {
        return None;
    }
    let above = src[..line_start].lines().rev().find_map(header);
    Some(match above {
        Some(h) if !h.is_empty() => format!("{h}.{token}"),
        _ => token,
    })
}
