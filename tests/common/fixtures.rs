//! Cascades shared by the integration tests (through `tests/common`) and
//! the criterion benches (`#[path = "../tests/common/fixtures.rs"]`): the
//! benchmark cascades of shared/design/benchmarks.md, generated cascades
//! over stages x components, and the Pr/Nd model text. Declared once, so a
//! bench measures the cascade a test checks.
#![allow(dead_code)]

use sxforge::model::CascadeSpec;
use sxforge::Cascade;

/// Component names C0..C{k-1}.
pub fn names(k: usize) -> Vec<String> {
    (0..k).map(|i| format!("C{i}")).collect()
}

/// A separation-factor cascade from plain numbers: separation factors and
/// feed amounts per component (C0, C1, ...), `n` extraction and `m` scrub
/// stages, extraction amount `s` and scrub amount `w` (aqueous feed, feed
/// RE flow 1 when `feed` sums to 1).
pub fn sf(beta: &[f64], feed: &[f64], n: usize, m: usize, s: f64, w: f64) -> Cascade {
    let names = names(beta.len());
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    CascadeSpec::separation_factor("test", &refs, beta)
        .with_stages(n, m, 0)
        .with_feed_amounts(feed)
        .with_amounts(s, w)
        .build()
        .expect("valid fixture cascade")
}

/// Xu's Pr/Nd cascade (`xu-A`: beta 1.5, 25:75 feed, S = 4.094,
/// W = 3.3428) with `extraction` + `scrub` stages (17 + 20 in the
/// benchmark), components named `Pr` and `Nd`.
pub fn prnd(extraction: usize, scrub: usize) -> Cascade {
    CascadeSpec::separation_factor("prnd", &["Pr", "Nd"], &[1.0, 1.5])
        .with_stages(extraction, scrub, 0)
        .with_feed_amounts(&[0.25, 0.75])
        .with_amounts(4.094, 3.3428)
        .build()
        .expect("valid fixture cascade")
}

/// The named benchmark cascades of shared/design/benchmarks.md: `xu-A`,
/// `xu-D` and `six-120` (six components, 60 + 60 stages).
pub fn benchmarks() -> Vec<(&'static str, Cascade)> {
    vec![
        (
            "xu-A",
            sf(&[1.0, 1.5], &[0.25, 0.75], 17, 20, 4.0940, 3.3428),
        ),
        (
            "xu-D",
            sf(&[1.0, 1.55], &[0.6287, 0.3713], 33, 28, 2.5668, 2.1956),
        ),
        (
            "six-120",
            sf(
                &[1.0, 1.5, 2.2, 3.3, 5.0, 7.5],
                &[1.0 / 6.0; 6],
                60,
                60,
                2.7247,
                2.2247,
            ),
        ),
    ]
}

/// A generated cascade of `n` stages and `k` components, scaled as plants
/// are: adjacent components are `r` apart with `r^(n/2) = 1e6` (so longer
/// cascades separate closer neighbours to about 99.9999 %), equal feed, the
/// split in the middle at Xu's optimum flows with 20 % more reflux, stages
/// shared evenly between extraction and scrub.
pub fn generated(n: usize, k: usize) -> Cascade {
    let r = 1e6f64.powf(2.0 / n as f64).min(4.0);
    let beta: Vec<f64> = (0..k).map(|i| r.powi(i as i32)).collect();
    let feed = vec![1.0 / k as f64; k];
    let fa = (k - k / 2) as f64 / k as f64; // share of the more extractable group
    let sb = r.sqrt();
    let em = if fa <= 1.0 / (1.0 + sb) {
        1.0 / sb
    } else {
        fa * sb / (sb - (1.0 - fa))
    };
    let s_opt = em * (1.0 - fa) / (1.0 - em);
    let w = (s_opt - fa) * 1.2;
    sf(&beta, &feed, n / 2, n - n / 2, w + fa, w)
}

/// The neighbour of a benchmark cascade that the `warm-neighbour` benches
/// solve from its solution: scrub flow W 1 % higher, product split S - W
/// kept.
pub fn neighbour(cas: &Cascade) -> Cascade {
    let mut spec = cas.to_spec();
    spec.flows.scrub_amount = spec.flows.scrub_amount.map(|w| w * 1.01);
    spec.flows.extraction_amount = spec
        .flows
        .extraction_amount
        .map(|s| s + 0.01 * spec.flows.scrub_amount.unwrap() / 1.01);
    spec.build().unwrap()
}

/// The 50 cascades of the `throughput/warm-sweep/xu-D` bench: `base` with
/// the scrub flow W from 1.00x to 1.098x in steps of 0.2 %, the product
/// split S - W fixed.
pub fn warm_sweep(base: &Cascade) -> Vec<Cascade> {
    let spec = base.to_spec();
    let (s0, w0) = (
        spec.flows.extraction_amount.unwrap(),
        spec.flows.scrub_amount.unwrap(),
    );
    (0..50)
        .map(|i| {
            let w = w0 * (1.0 + 0.002 * i as f64);
            let mut sp = spec.clone();
            sp.flows.scrub_amount = Some(w);
            sp.flows.extraction_amount = Some(s0 - w0 + w);
            sp.build().unwrap()
        })
        .collect()
}

/// The Pr/Nd benchmark cascade (`xu-A`) as model-file text; tests append
/// tables or replace lines (line numbers: `extraction` is on line 9,
/// `extraction_amount` on 17, `scrub_amount` on 18; a table appended
/// starts on line [`PRND_LINES`] + 1).
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

/// Lines of [`PRND`].
pub const PRND_LINES: usize = 18;
