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
