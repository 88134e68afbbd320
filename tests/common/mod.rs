//! Shared helpers for the integration tests.
#![allow(dead_code)]

use sxforge::model::CascadeSpec;
use sxforge::Cascade;

/// Component names C0..C{k-1}.
pub fn names(k: usize) -> Vec<String> {
    (0..k).map(|i| format!("C{i}")).collect()
}

/// A separation-factor cascade from plain numbers.
pub fn sf(beta: &[f64], feed: &[f64], n: usize, m: usize, s: f64, w: f64) -> Cascade {
    let names = names(beta.len());
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    CascadeSpec::separation_factor("test", &refs, beta)
        .with_stages(n, m, 0)
        .with_feed_amounts(feed)
        .with_amounts(s, w)
        .build()
        .expect("valid test cascade")
}

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

/// The Pr/Nd benchmark cascade (`xu-A`) as model-file text; tests append
/// tables or replace lines (line numbers: `extraction` is on line 9,
/// `extraction_amount` on 17, `scrub_amount` on 18).
pub const PRND: &str = r#"name = "Pr/Nd"
components = ["Pr", "Nd"]

[chemistry]
model = "separation-factor"
beta = { Pr = 1.0, Nd = 1.5 }

[cascade]
extraction = 17
scrub = 20

[feed]
phase = "aqueous"
amount = { Pr = 0.25, Nd = 0.75 }

[flows]
extraction_amount = 4.094
scrub_amount = 3.3428
"#;

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
