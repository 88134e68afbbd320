//! Shared helpers for the integration tests.
#![allow(dead_code)]

pub mod fixtures;

#[allow(unused_imports)]
pub use fixtures::{names, sf, PRND};

/// Largest relative error of `a` against `b` (elementwise).
pub fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let s = x.abs().max(y.abs());
            if s == 0.0 {
                0.0
            } else {
                (x - y).abs() / s
            }
        })
        .fold(0.0, f64::max)
}

/// Path of a shipped model.
pub fn model(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name)
}

/// Runs the `sxforge` binary with `args`.
pub fn sxforge(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// Writes `text` to a temporary model file and runs `sxforge simulate` on
/// it: the exit code (-1 when killed) and standard error.
pub fn simulate_text(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fs.toml");
    std::fs::write(&path, text).unwrap();
    let out = sxforge(&["simulate", path.to_str().unwrap()]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
