//! Invariants on random cascades (proptest): every component's mass balance
//! closes to 1e-10 relative; and over a sweep of the rigorous models'
//! robustness generators, to 1e-11.
//!
//! Separation-factor cascades are drawn as an engineer would lay them out:
//! a split between two adjacent components, S and W from Xu's optimum at a
//! reflux factor of 1.1 to 2, and stage counts from Xu's shortcut for
//! purities between 90 % and 99.99 %, clamped to 1..200 stages.

mod common;

use proptest::prelude::*;
use sxforge::model::CascadeSpec;
use sxforge::solver::robust_gen::{generate, verify, ModelKind};
use sxforge::Solver;

fn designed_cascade(
    k: usize,
    raw_beta: Vec<f64>,
    feed: Vec<f64>,
    split: usize,
    reflux: f64,
    purity: f64,
) -> sxforge::Cascade {
    let mut beta = raw_beta[..k].to_vec();
    beta.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let feed = &feed[..k];
    let f: f64 = feed.iter().sum();
    let names = common::names(k);
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    if k == 1 {
        let spec = CascadeSpec::separation_factor("random", &refs, &beta).with_feed_amounts(feed);
        return spec
            .with_stages(5, 5, 0)
            .with_amounts(1.5 * f, 0.8 * f)
            .build()
            .unwrap();
    }
    let sp = 1 + split % (k - 1);
    let fa = feed[sp..].iter().sum::<f64>() / f;
    // the key pair splits by at least 1.2 (plant practice: 1.4 and up)
    if beta[sp] / beta[sp - 1] < 1.2 {
        beta[sp] = beta[sp - 1] * 1.2;
        for i in sp + 1..k {
            beta[i] = beta[i].max(beta[i - 1]);
        }
    }
    let b = beta[sp] / beta[sp - 1];
    let sb = b.sqrt();
    // Xu's optimum (chemistry.md) for the split, per unit feed
    let (em, epm) = if fa <= 1.0 / (1.0 + sb) {
        let em = 1.0 / sb;
        (em, em * (1.0 - fa) / (em - fa))
    } else {
        (fa * sb / (sb - (1.0 - fa)), sb)
    };
    let s_opt = em * (1.0 - fa) / (1.0 - em);
    let w = (s_opt - fa) * reflux;
    let s = w + fa;
    let (em, epm) = (s / (1.0 + w), (s / w).min(epm.max(s / w)));
    let aa = (purity / (1.0 - purity)) / (fa / (1.0 - fa));
    let bb = (purity / (1.0 - purity)) / ((1.0 - fa) / fa);
    let n = (bb.ln() / (b * em).ln()).ceil().clamp(1.0, 100.0) as usize;
    let m = (aa.ln() / (b / epm).ln() - 1.0).ceil().clamp(1.0, 100.0) as usize;
    CascadeSpec::separation_factor("random", &refs, &beta)
        .with_feed_amounts(feed)
        .with_stages(n, m, 0)
        .with_amounts(s * f, w * f)
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn separation_factor_mass_balance_closes(
        k in 1usize..=10,
        beta in prop::collection::vec(1.05f64..20.0, 10),
        feed in prop::collection::vec(0.001f64..1.0, 10),
        split in 0usize..10,
        reflux in 1.1f64..2.0,
        purity in 0.9f64..0.9999,
    ) {
        let c = designed_cascade(k, beta, feed, split, reflux, purity);
        let sol = Solver::new().solve(&c);
        prop_assert!(sol.converged(), "{:?} residual {:e} after {} iterations", sol.status, sol.residual, sol.iterations);
        for (i, e) in sol.balance_error(&c).iter().enumerate() {
            prop_assert!(e.abs() <= 1e-10, "component {i}: balance error {e:e}");
        }
        prop_assert!(sol.aqueous.iter().chain(sol.organic.iter()).all(|v| v.is_finite() && *v >= 0.0));
    }

    #[test]
    fn constant_d_mass_balance_closes(
        k in 1usize..=10,
        d in prop::collection::vec(0.01f64..20.0, 10),
        ds in prop::collection::vec(0.001f64..0.5, 10),
        conc in prop::collection::vec(0.0f64..1.0, 10),
        n in 1usize..80, m in 0usize..80, st in 0usize..40,
        flows in prop::collection::vec(0.1f64..50.0, 4),
    ) {
        let names = common::names(k);
        let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        let mut conc = conc[..k].to_vec();
        conc[0] += 0.01;
        let c = CascadeSpec::constant_d("random", &refs, &d[..k])
            .with_section_d(sxforge::cascade::Section::Strip, &ds[..k])
            .with_stages(n, m, st)
            .with_feed_solution(flows[0], &conc)
            .with_flows(flows[1], if m > 0 { flows[2] } else { 0.0 }, if st > 0 { flows[3] } else { 0.0 })
            .build()
            .unwrap();
        let sol = Solver::new().solve(&c);
        prop_assert!(sol.converged());
        prop_assert_eq!(sol.iterations, 1);
        for (i, e) in sol.balance_error(&c).iter().enumerate() {
            prop_assert!(e.abs() <= 1e-10, "component {}: balance error {:e}", i, e);
        }
    }
}

/// Every converged solve of a run of the rigorous generators closes every
/// component's whole-cascade balance to 1e-11 (a margin under issue 9's
/// 1e-10), not only its stage balances to the tolerance. The runs hold
/// metals circulating far above their feed: log-linear seeds 1808 and
/// 1834 and mass-action seed 168 closed them to 1.6e-11, 2.0e-10 and
/// 1.7e-11 while the convergence test was per stage only. Every seed of
/// both runs converges.
#[test]
fn rigorous_whole_cascade_balances_close() {
    let mut solver = Solver::new();
    for (kind, seeds) in [
        (ModelKind::LogLinear, 1800..1860),
        (ModelKind::MassAction, 150..210),
    ] {
        for seed in seeds {
            let c = generate(kind, seed);
            let s = solver.solve(&c);
            assert!(s.converged(), "{} seed {seed}: {:?}", kind.name(), s.status);
            let check = verify(&c, &s);
            assert!(check < 1e-8, "{} seed {seed}: check {check:e}", kind.name());
            for (q, e) in s.balance_error(&c).iter().enumerate() {
                assert!(
                    e.abs() <= 1e-11,
                    "{} seed {seed}, component {q}: balance error {e:e}",
                    kind.name()
                );
            }
        }
    }
}
