//! Robustness suite, fast sample: random valid cascades of every model
//! (`sxforge::solver::robust_gen`), each converged solution checked
//! independently against the stage balances and equilibria recomputed from
//! the returned profiles. The full run is
//! `cargo run --release --example robustness -- N`.

use sxforge::model::load::parse_str;
use sxforge::model::{CascadeSpec, ChemistrySpec};
use sxforge::solver::robust_gen::{
    acid_starved, acid_starved_example, deep_separation, generate, saponified,
    stalled_continuations, verify, ModelKind,
};
use sxforge::solver::{Solver, Status};

/// Solves seeds `0..n` of `kind`; returns the converged count after
/// checking every converged solution (and the iteration accounting of all).
fn sample(kind: ModelKind, n: u64) -> usize {
    let mut solver = Solver::new();
    let mut ok = 0;
    for seed in 0..n {
        let c = generate(kind, seed);
        let s = solver.solve(&c);
        assert!(
            s.iterations <= c.solver_options().max_iterations,
            "{} seed {seed}: {} iterations over the limit",
            kind.name(),
            s.iterations
        );
        if s.converged() {
            let check = verify(&c, &s);
            assert!(
                check < 1e-8,
                "{} seed {seed}: converged but the stage equations are off by {check:e}",
                kind.name()
            );
            assert!(s.residual <= c.solver_options().tolerance);
            // a cascade proved to have no steady state never converges
            assert!(acid_starved(&c).is_none(), "{} seed {seed}", kind.name());
            ok += 1;
        } else {
            // an unconverged iterate is reported as such, with a residual
            assert!(s.residual > c.solver_options().tolerance || !s.residual.is_finite());
        }
    }
    ok
}

#[test]
fn constant_d_always_converges_even_below_the_double_range() {
    assert_eq!(sample(ModelKind::ConstantD, 400), 400);
}

#[test]
fn separation_factor_random_cascades_converge() {
    // all of seeds 0..1000 converge (and 5000 of 0..5000): the last
    // failures (seeds 250 and 702, pinned in tests/robust_sf.rs) needed
    // the pseudo-transient fallback in logarithmic balances
    assert_eq!(sample(ModelKind::SeparationFactor, 1000), 1000);
}

#[test]
fn mass_action_random_cascades_mostly_converge() {
    // Known gap (issue 9): about 6 % of random mass-action cascades do
    // not converge yet (283 of seeds 0..300, all failures saponified);
    // this pins the rate on the sample (39 of seeds 0..40; seed 38 fails)
    // so it cannot regress.
    let ok = sample(ModelKind::MassAction, 40);
    assert!(ok >= 39, "{ok}/40");
}

#[test]
fn log_linear_random_cascades_mostly_converge() {
    // the generator draws no cascade without a steady state (see
    // robust_gen::draw), so every failure here is the solver's: all of
    // seeds 0..40 converge (299 of seeds 0..300; seed 43 fails)
    let ok = sample(ModelKind::LogLinear, 40);
    assert_eq!(ok, 40, "{ok}/40");
    let (demand, supply) = acid_starved(&acid_starved_example()).expect("proved starved");
    assert!(demand > supply);
}

#[test]
fn stalled_continuations_converge() {
    let cases = stalled_continuations();
    for (i, c) in cases.iter().enumerate() {
        let s = Solver::new().solve(c);
        assert!(
            s.converged(),
            "case {i}: {:?} residual {:e}",
            s.status,
            s.residual
        );
        assert!(verify(c, &s) < 1e-8, "case {i}");
        for (q, e) in s.balance_error(c).iter().enumerate() {
            assert!(e.abs() < 1e-10, "case {i} component {q}: {e:e}");
        }
    }
    // the first: a trace underflows at the organic product end, so the
    // logarithmic balances are exercised, and they need few iterations
    let s = Solver::new().solve(&cases[0]);
    let least = s.aqueous.iter().fold(f64::INFINITY, |m, &v| m.min(v));
    assert!(least < 1e-300, "{least:e}");
    assert!(s.iterations < 1000, "{}", s.iterations);
    // the second needed 1,372 iterations, more than the old flat budget of
    // 1000, while its pseudo-transient fallback took plain balances; in
    // logarithms it fits inside that budget
    let mut c = cases[1].clone();
    let flat = c.solver_options().to_builder().max_iterations(1000).build();
    c.set_solver_options(flat.unwrap()).unwrap();
    let s = Solver::new().solve(&c);
    assert!(s.converged() && s.iterations <= 1000, "{}", s.iterations);
    assert!(verify(&c, &s) < 1e-8);
}

#[test]
fn deep_separation_of_fuzz_item_10_converges() {
    let c = deep_separation();
    let s = Solver::new().solve(&c);
    assert!(s.converged(), "{:?} residual {:e}", s.status, s.residual);
    assert!(verify(&c, &s) < 1e-8);
}

/// A separation-factor cascade from its model's parts: the component
/// list and beta table as TOML, the extraction and scrub stages, the
/// feed's phase and amount table, and S and W.
fn sf_cascade(
    names: &str,
    beta: &str,
    (ext, scrub): (usize, usize),
    (phase, feed): (&str, &str),
    (s_amt, w_amt): (f64, f64),
) -> sxforge::model::Cascade {
    let src = format!(
        "name = \"sf\"\ncomponents = {names}\n\n[chemistry]\n\
         model = \"separation-factor\"\n{beta}\n\n[cascade]\nextraction = {ext}\n\
         scrub = {scrub}\n\n[feed]\nphase = \"{phase}\"\n{feed}\n\n[flows]\n\
         extraction_amount = {s_amt}\nscrub_amount = {w_amt}\n"
    );
    parse_str(&src, None).expect("valid model")
}

/// Two separation-factor cascades of the independent CLI check
/// (`scripts/cli_check.py --model separation-factor`, seeds 20365 and
/// 23260): 7 and 8 metals, betas spanning 1,207 and 10,772, 306 and 228
/// stages. Their continuation in beta meets a front that crosses a
/// section for a change of beta of 1e-5 while the traces lie far below
/// the range of a double (La at 1e-300 and under in the loaded organic):
/// the steps in beta stall, and the pseudo-transient fallback failed
/// after 31,600 iterations (20365) or took 15,927 (23260). The
/// arclength in logarithms follows the front (788 and 2,086 iterations).
#[test]
fn a_front_crossed_below_the_range_of_a_double_is_followed() {
    let cases = [
        (
            "beta = { La = 1.0, Ce = 5.327532, Pr = 14.714027, Nd = 30.864303, \
             Sm = 142.666107, Eu = 573.620025, Gd = 1206.872793 }",
            "[\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\"]",
            (162, 144),
            "amount = { La = 0.250905, Ce = 0.162132, Pr = 0.00523389, Nd = 0.409058, \
             Sm = 0.00109632, Eu = 0.127833, Gd = 0.315507 }",
            (0.6950547043, 0.3354528543),
        ),
        (
            "beta = { La = 1.0, Ce = 4.277538, Pr = 10.920721, Nd = 55.780913, \
             Sm = 212.553594, Eu = 684.18504, Gd = 2060.573078, Tb = 10771.741825 }",
            "[\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\", \"Tb\"]",
            (66, 162),
            "amount = { La = 0.510931, Ce = 0.00383805, Pr = 0.560845, Nd = 0.0495501, \
             Sm = 0.0985497, Eu = 0.0122483, Gd = 0.53011, Tb = 0.402223 }",
            (0.6285380983, 0.2180157645),
        ),
    ];
    for (beta, names, (ext, scrub), feed, (s_amt, w_amt)) in cases {
        let c = sf_cascade(names, beta, (ext, scrub), ("aqueous", feed), (s_amt, w_amt));
        let s = Solver::new().solve(&c);
        assert!(
            s.converged(),
            "{ext}+{scrub}: {:?} {:e}",
            s.status,
            s.residual
        );
        assert!(verify(&c, &s) < 1e-8, "{ext}+{scrub}");
        // (the capped continuation tried first costs 23260 1,000 of its
        // 2,086)
        assert!(s.iterations < 3_000, "{ext}+{scrub}: {}", s.iterations);
        let n = ext + scrub;
        // the loaded organic carries S - W, the most extractable metal
        // whole, the least none that a double can hold
        let k = c.n_components();
        let loaded: f64 = s.organic.row(n - 1).sum();
        assert!((loaded - (s_amt - w_amt)).abs() < 1e-10, "{loaded}");
        let top = c.feed_amount()[k - 1];
        assert!((s.organic[[n - 1, k - 1]] - top).abs() < 1e-12 * top);
        assert!(
            s.organic[[n - 1, 0]] < 1e-300,
            "{:e}",
            s.organic[[n - 1, 0]]
        );
    }
}

/// A separation-factor cascade of 14 metals, more than the specialised
/// kernels take (the independent CLI check's generator with 9-15
/// metals, seed 50593: betas spanning 5e5, 16 + 195 stages, organic
/// feed). Its continuation in beta stalls at a front; without an
/// arclength for the general kernel the steps in beta failed and so did
/// the fallback (exit 2 after 2,007 iterations). The arclength on the
/// general kernel follows it.
#[test]
fn a_front_in_a_cascade_of_fourteen_metals_is_followed() {
    let src =
        "name = \"sf\"\ncomponents = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\", \
        \"Tb\", \"Dy\", \"Ho\", \"Er\", \"Tm\", \"Yb\", \"Lu\"]\n\n[chemistry]\n\
        model = \"separation-factor\"\nbeta = { La = 1.0, Ce = 2.606053, Pr = 11.439296, \
        Nd = 20.124163, Sm = 104.354813, Eu = 400.989417, Gd = 1015.808723, Tb = 2248.373, \
        Dy = 6226.022908, Ho = 22107.681077, Er = 49138.507753, Tm = 53397.942049, \
        Yb = 174282.276035, Lu = 499714.97465 }\n\n[cascade]\nextraction = 16\nscrub = 195\n\n\
        [feed]\nphase = \"organic\"\namount = { La = 0.0381343, Ce = 0.00120696, \
        Pr = 0.00387695, Nd = 0.478836, Sm = 0.104174, Eu = 0.00378516, Gd = 0.0022713, \
        Tb = 0.00316098, Dy = 0.00858671, Ho = 0.0795223, Er = 0.379579, Tm = 0.223321, \
        Yb = 0.0262373, Lu = 0.194128 }\n\n[flows]\nextraction_amount = 0.243649143\n\
        scrub_amount = 0.8434502762\n";
    let c = parse_str(src, None).expect("valid model");
    let s = Solver::new().solve(&c);
    assert!(s.converged(), "{:?} {:e}", s.status, s.residual);
    assert!(verify(&c, &s) < 1e-8);
    assert!(s.iterations < 1_500, "{}", s.iterations);
    // the raffinate carries W - S, La to Nd whole (their shares in the
    // loaded organic under 1e-130)
    let raffinate: f64 = s.aqueous.row(0).sum();
    assert!(
        (raffinate - (0.8434502762 - 0.243649143)).abs() < 1e-10,
        "{raffinate}"
    );
    for q in 0..4 {
        assert!(s.organic[[210, q]] < 1e-130 * c.feed_amount()[q], "{q}");
    }
}

/// Two separation-factor cascades of the independent CLI check (seeds
/// 26474 and 26763, organic feed) whose internal flows dwarf the
/// raffinate (S about 4.23 and 3.66 against W - S of 5e-4 and 2e-3): their
/// stages met the tolerance (4.8e-14 and 9.1e-13) while the rounding of
/// 257 and 98 stage balances added up to 7.2e-11 of La's inflow and to a
/// recovery of 1 + 1.8e-12. The polish closes the whole-cascade balances.
#[test]
fn whole_cascade_balances_are_polished_where_the_stages_leave_them_open() {
    let cases = [
        (
            "[\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\"]",
            "beta = { La = 1.0, Ce = 1.849439, Pr = 2.353301, Nd = 5.060488, \
             Sm = 7.590732, Eu = 16.291546 }",
            (183, 74),
            "amount = { La = 0.00156029, Ce = 0.0302601, Pr = 0.00308547, \
             Nd = 0.15461, Sm = 0.0164828, Eu = 0.28818 }",
            (4.231357957, 4.231852136),
            1e-11,
        ),
        (
            "[\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\"]",
            "beta = { La = 1.0, Ce = 4.137303, Pr = 6.205954, Nd = 6.516252, \
             Sm = 25.885326, Eu = 35.135252, Gd = 91.258665 }",
            (97, 1),
            "amount = { La = 0.330796, Ce = 0.43419, Pr = 0.232818, Nd = 0.758849, \
             Sm = 0.222491, Eu = 0.0758535, Gd = 0.0958303 }",
            (3.663472795, 3.665623623),
            1e-12,
        ),
    ];
    for (names, beta, (ext, scrub), feed, (s_amt, w_amt), within) in cases {
        let c = sf_cascade(names, beta, (ext, scrub), ("organic", feed), (s_amt, w_amt));
        let s = Solver::new().solve(&c);
        assert!(s.converged(), "{ext}+{scrub}: {:?}", s.status);
        assert!(s.residual <= c.solver_options().tolerance);
        assert!(verify(&c, &s) < 1e-8, "{ext}+{scrub}");
        let worst = s
            .balance_error(&c)
            .iter()
            .fold(0.0f64, |m, e| m.max(e.abs()));
        assert!(worst < within, "{ext}+{scrub}: {worst:e}");
        for st in s.streams(&c) {
            for r in st.recovery {
                assert!((0.0..=1.0 + within).contains(&r), "{ext}+{scrub}: {r}");
            }
        }
        // the polish keeps an explicit iteration limit (26474 converges in
        // 1 iteration and is polished in 2 more; with a limit of 2 the
        // polish gets 1)
        let mut c = c;
        let opts = c.solver_options().to_builder().max_iterations(2);
        c.set_solver_options(opts.build().unwrap()).unwrap();
        let t = Solver::new().solve(&c);
        assert!(t.converged(), "{ext}+{scrub}");
        assert!(t.iterations <= 2, "{ext}+{scrub}: {}", t.iterations);
    }
}

#[test]
fn saponified_benchmark_converges_at_37_stages() {
    for k in [2, 6] {
        let c = saponified(k, 37);
        let s = Solver::new().solve(&c);
        assert!(s.converged(), "{k} x 37: {:?}", s.status);
        assert!(verify(&c, &s) < 1e-8);
        // the saponified organic loads 0.36 * 1.0 * 1.25 / 3 = 0.15 of the
        // 0.2 mol/h RE fed, plus what acid exchange adds
        let loaded: f64 = s.organic.row(36).sum();
        assert!(loaded > 0.15 && loaded < 0.2, "{loaded}");
    }
}

#[test]
fn saponified_benchmark_converges_at_120_stages() {
    // 120 extraction stages: the heavy metals and the counter-ion fall far
    // below the range of a double towards the fresh-organic end, which
    // only the log-form balances resolve.
    for k in [2, 6] {
        let c = saponified(k, 120);
        let s = Solver::new().solve(&c);
        assert!(s.converged(), "{k} x 120: {:?} {:e}", s.status, s.residual);
        assert!(verify(&c, &s) < 1e-8);
        let loaded: f64 = s.organic.row(119).sum();
        assert!(loaded > 0.15 && loaded < 0.2, "{loaded}");
        // the strongest-extracted metal leaves in the loaded organic
        let last = k - 1;
        assert!(s.organic[[119, last]] > 0.99 * c.feed_amount()[last]);
    }
}

#[test]
fn iteration_limits_are_kept_and_named() {
    for kind in [ModelKind::MassAction, ModelKind::LogLinear] {
        for seed in 0..6 {
            let c = generate(kind, seed);
            for limit in [1usize, 2, 4] {
                let mut spec = c.to_spec();
                spec.solver.max_iterations = limit;
                let c = spec.build().unwrap();
                let s = Solver::new().solve(&c);
                assert!(
                    s.iterations <= limit,
                    "{} seed {seed}: {} > {limit}",
                    kind.name(),
                    s.iterations
                );
                if !s.converged() && s.iterations == limit {
                    assert_eq!(
                        s.status,
                        Status::MaxIterations,
                        "{} seed {seed}",
                        kind.name()
                    );
                }
            }
        }
    }
    // the generators give the model they are asked for
    assert!(matches!(
        generate(ModelKind::LogLinear, 3).spec().chemistry,
        ChemistrySpec::LogLinear(_)
    ));
}

#[test]
fn an_acid_starved_failure_says_why_and_a_solvable_one_does_not() {
    // its scrub acid cannot pay for the constant-D metals it must strip
    // (0.0653 mol/h of protons against 0.0028)
    let c = acid_starved_example();
    let s = Solver::new().solve(&c);
    assert!(!s.converged());
    // the proof is made before any search: the report comes at once (the
    // two continuations from the cold start and the sweeps ran first,
    // twice, in the starved draws of seeds 44, 570 and 572 about 2,200
    // iterations each)
    assert_eq!(s.status, sxforge::solver::Status::Diverged);
    assert!(s.iterations <= 2, "{} iterations", s.iterations);
    let r = sxforge::report::CascadeReport::new(&c, &s);
    let why = r.diagnosis.as_deref().expect("a proved reason");
    assert!(why.contains("6.5350e-2 mol/h"), "{why}");
    let text = r.to_text();
    assert!(text.starts_with("NOT CONVERGED"), "{text}");
    assert!(text
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("why: no steady state"));
    assert_eq!(r.to_json()["diagnosis"].as_str(), Some(why));
    // a cascade that converges carries no diagnosis, in text or JSON
    let ok = generate(ModelKind::LogLinear, 0);
    let r = sxforge::report::CascadeReport::new(&ok, &Solver::new().solve(&ok));
    assert!(r.diagnosis.is_none() && r.to_json().get("diagnosis").is_none());
    assert!(!r.to_text().contains("why:"));
}

#[test]
fn the_default_iteration_budget_scales_and_an_explicit_one_is_exact() {
    // prnd.toml: 2 components; the default budget is 1000 + 150 per stage
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/prnd.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let c0 = sxforge::model::load::parse_str(&text, None).unwrap();
    let n = c0.n_stages();
    assert_eq!(c0.solver_options().max_iterations, 1000 + 150 * n);
    assert!(!c0.solver_options().explicit_iterations);
    // `[solver] max_iterations = 1000` in the file is kept exactly
    for limit in [1000usize, 3, 25_000] {
        let t = format!("{text}\n[solver]\nmax_iterations = {limit}\n");
        let c = sxforge::model::load::parse_str(&t, None).unwrap();
        assert_eq!(c.solver_options().max_iterations, limit);
    }
    // a rebuilt cascade of another size gets its own default budget
    let mut spec = c0.to_spec();
    spec.extraction = 5;
    spec.scrub = 5;
    let small = spec.build().unwrap();
    assert_eq!(small.solver_options().max_iterations, 1000 + 150 * 10);
    // a 50-stage 3-component log-linear cascade gets 8500, enough for the
    // 1,274 iterations of the one that a flat 1000 used to stop
    assert_eq!(sxforge::solver::default_iterations(50, 3), 8500);
}

/// A component extracted below the feed (D 100) and scrubbed back above it
/// (D 0.001) over 200 + 200 stages circulates at about its feed times
/// 150^200 (1e435): a steady state in logarithms, none in doubles. It is
/// reported as no result with the reason, never as converged with
/// infinite amounts, and the generators throw such draws away.
#[test]
fn a_component_trapped_past_a_doubles_range_is_no_result() {
    let trapped = |scrub_d: f64| {
        let mut spec = CascadeSpec::constant_d("trapped", &["A", "B"], &[100.0, 0.5])
            .with_stages(200, 200, 0)
            .with_feed_solution(1.0, &[0.5, 0.5])
            .with_flows(3.0, 1.0, 0.0);
        if let ChemistrySpec::ConstantD(d) = &mut spec.chemistry {
            d.section_d = [None, Some(vec![scrub_d, 0.01]), None];
        }
        spec.build().unwrap()
    };
    let c = trapped(0.001);
    let s = Solver::new().solve(&c);
    assert_eq!(s.status, sxforge::solver::Status::Diverged);
    assert!(s.residual.is_infinite());
    // A (component 0) overflows first inside the extraction section, where
    // it is held highest below the feed (stage 200 counted from 1)
    let (j, q) = s.worst;
    assert_eq!(q, 0);
    assert!((100..200).contains(&j), "stage {j}");
    assert_eq!(sxforge::solver::robust_gen::beyond_range(&c), Some((j, q)));
    let r = sxforge::report::CascadeReport::new(&c, &s);
    let why = r.diagnosis.as_deref().expect("a reason");
    assert!(
        why.starts_with("A builds up past the range of a double"),
        "{why}"
    );
    assert!(r.to_text().starts_with("NOT CONVERGED"));
    // the same cascade with a scrub that lets A go (D 0.1: 150^-200 is
    // met by 0.3^200 at most 1e-105 of the way) converges, in range
    let ok = trapped(0.1);
    let s = Solver::new().solve(&ok);
    assert!(s.converged(), "{:?}", s.status);
    assert_eq!(sxforge::solver::robust_gen::beyond_range(&ok), None);
    assert!(verify(&ok, &s) < 1e-12);
    // seed 1102 of the constant-D generator drew such a cascade first
    // (15 metals, 219 + 211 + 6 stages): thrown away, drawn again
    let d = sxforge::solver::robust_gen::draw(ModelKind::ConstantD, 1102);
    assert!(matches!(
        d.rejected.as_slice(),
        [sxforge::solver::robust_gen::Rejection::BeyondRange { .. }]
    ));
    assert!(!Solver::new().solve(&d.starved[0]).converged());
    let s = Solver::new().solve(&d.cascade);
    assert!(s.converged() && verify(&d.cascade, &s) < 1e-12);
}

/// [`sxforge::solver::Solution::worst_quantity`] names every row of the
/// stage equations: the metals by name, then (mass action) the acid, the
/// counter-ion of a saponified extractant and the extractant balance, or
/// (log-linear) the acid and the extractant balance.
#[test]
fn the_worst_row_is_named_for_every_model() {
    let load = |name: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models")
            .join(name);
        let text = std::fs::read_to_string(path).unwrap();
        sxforge::model::load::parse_str(&text, None).unwrap()
    };
    let named = |c: &sxforge::model::Cascade, q: usize| {
        let mut s = Solver::new().solve(c);
        s.worst = (0, q);
        s.worst_quantity(c)
    };
    // saponified mass action (NH4): Pr, Nd, then three rows
    let ma = load("p507-prnd-industrial.toml");
    assert_eq!(ma.components(), ["Pr", "Nd"]);
    assert_eq!(named(&ma, 1), "component Nd");
    assert_eq!(
        named(&ma, 2),
        "the acid balance (H+ and the extractant's exchangeable H)"
    );
    assert_eq!(named(&ma, 3), "the counter-ion (NH4) balance");
    assert_eq!(named(&ma, 4), "the extractant balance (free and loaded)");
    // unsaponified: no counter-ion row
    let mut spec = ma.to_spec();
    if let ChemistrySpec::MassAction(m) = &mut spec.chemistry {
        m.saponification = 0.0;
    }
    let bare = spec.build().unwrap();
    assert_eq!(named(&bare, 3), "the extractant balance (free and loaded)");
    // log-linear: eight metals, the acid, the extractant
    let ll = load("prommis-d2ehpa-3stage.toml");
    let k = ll.components().len();
    assert_eq!(named(&ll, 0), format!("component {}", ll.components()[0]));
    assert!(named(&ll, k).starts_with("the acid balance"));
    assert_eq!(
        named(&ll, k + 1),
        "the extractant balance (free and loaded)"
    );
}

#[test]
fn a_failed_saponified_solve_with_b_over_2a_names_the_likely_cause() {
    // seed 790: saponified, b > 2a, converges in tens of iterations; cut
    // to one iteration it fails, and the report names the slopes
    let c = generate(ModelKind::MassAction, 790);
    let ChemistrySpec::MassAction(m) = &c.spec().chemistry else {
        panic!("a mass-action draw");
    };
    assert!(m.saponification > 0.0 && m.b > 2.0 * m.a);
    let mut spec = c.to_spec();
    spec.solver.max_iterations = 1;
    let cut = spec.build().unwrap();
    let r = sxforge::report::CascadeReport::new(&cut, &Solver::new().solve(&cut));
    let hint = r.hint.as_deref().expect("a likely cause");
    assert!(hint.contains(&format!("b = {}", m.b)), "{hint}");
    assert!(r.diagnosis.is_none(), "not a proof");
    let text = r.to_text();
    assert_eq!(
        text.lines().nth(1).unwrap(),
        format!("likely cause: {hint}"),
        "{text}"
    );
    assert_eq!(r.to_json()["hint"].as_str(), Some(hint));
    // converged, the same cascade carries no hint
    let r = sxforge::report::CascadeReport::new(&c, &Solver::new().solve(&c));
    assert!(r.to_json()["converged"].as_bool().unwrap());
    assert!(r.hint.is_none() && r.to_json().get("hint").is_none());
    // nor does a failed solve with b <= 2a (seed 0 cut to one iteration)
    let c0 = generate(ModelKind::MassAction, 0);
    let ChemistrySpec::MassAction(m0) = &c0.spec().chemistry else {
        panic!("a mass-action draw");
    };
    assert!(m0.b <= 2.0 * m0.a);
    let mut spec = c0.to_spec();
    spec.solver.max_iterations = 1;
    let cut = spec.build().unwrap();
    let s = Solver::new().solve(&cut);
    assert!(!s.converged());
    assert!(sxforge::report::CascadeReport::new(&cut, &s).hint.is_none());
}
