//! Side draws inside flowsheets (`[[unit.draw]]`), draws on volumetric
//! models, draws kept by `to_spec`, and the recycle accelerator.

mod common;

use std::path::Path;

use sxforge::cascade::Phase;
use sxforge::flowsheet::accel::Accelerator;
use sxforge::flowsheet::load::parse_str;
use sxforge::flowsheet::report::balance_error;
use sxforge::flowsheet::solve::solve;
use sxforge::model::StageFlows;
use sxforge::solver::{Solution, Solver};
use sxforge::Cascade;

fn rel(a: f64, b: f64) -> f64 {
    let s = a.abs().max(b.abs());
    if s < 1e-300 {
        0.0
    } else {
        (a - b).abs() / s
    }
}

#[test]
fn one_unit_with_a_draw_equals_the_single_cascade_draw_file() {
    let single = sxforge::model::load::load_file(Path::new("models/smeugd-draw.toml")).unwrap();
    let sol = Solver::new().solve(&single);
    assert!(sol.converged());
    let fs = parse_str(
        r#"
name = "Sm | Eu | Gd as a flowsheet"
components = ["Sm", "Eu", "Gd"]
[chemistry]
model = "separation-factor"
beta = { Sm = 1.0, Eu = 2.0, Gd = 2.8 }
[[stream]]
name = "feed"
amount = { Sm = 0.51, Eu = 0.10, Gd = 0.39 }
[[unit]]
name = "U"
cascade = { extraction = 40, scrub = 40 }
feed = "feed"
flows = { extraction_ratio = 1.6, scrub_ratio = 1.21 }
[[unit.draw]]
name = "eu"
stage = 30
phase = "aqueous"
amount = 0.08
"#,
        None,
    )
    .unwrap();
    let res = solve(&fs).unwrap();
    assert!(res.converged, "{:?}", res.message);
    assert_eq!(
        res.products,
        ["U.raffinate", "U.loaded_organic", "U.eu"].map(String::from)
    );
    let mut want: Vec<(String, Vec<f64>)> = sol
        .streams(&single)
        .into_iter()
        .map(|s| (s.kind.name().to_string(), s.amount))
        .collect();
    want.extend(sol.draws(&single).into_iter().map(|(n, s)| (n, s.amount)));
    assert_eq!(want.len(), 3);
    for (name, amount) in want {
        let got = &res.streams[&format!("U.{name}")].amount;
        for (a, b) in got.iter().zip(&amount) {
            assert!(rel(*a, *b) < 1e-12, "{name}: {a} vs {b}");
        }
    }
    // 80 % of the Eu drawn: 0.08 RE in all (the file's amount)
    assert!(rel(res.streams["U.eu"].total(), 0.08) < 1e-12);
    for e in balance_error(&res) {
        assert!(e.abs() < 1e-12, "{e}");
    }
}

#[test]
fn a_draw_feeds_another_unit_and_the_shipped_flowsheet_closes() {
    let fs =
        sxforge::flowsheet::load::load_file(Path::new("models/smeugd-flowsheet.toml")).unwrap();
    let res = solve(&fs).unwrap();
    assert!(res.converged);
    // the draw is consumed, not a product; the Eu unit is fed exactly it
    assert!(!res.products.iter().any(|p| p == "SmEuGd.eu"));
    let eu = res.units[1].as_ref().unwrap();
    assert_eq!(eu.inlets[0].1, "SmEuGd.eu");
    assert_eq!(eu.inlets[0].2.amount, res.streams["SmEuGd.eu"].amount);
    // Xu's ratios apply to the draw: S = 1.6 x 0.08
    match eu.cascade.flows() {
        StageFlows::Amounts { extraction, .. } => assert!(rel(*extraction, 1.6 * 0.08) < 1e-12),
        _ => panic!("separation-factor unit"),
    }
    for e in balance_error(&res) {
        assert!(e.abs() < 1e-12, "{e}");
    }
    // the Eu unit takes the Sm out of the Eu: its organic is over 2/3 Eu
    let lo = &res.streams["Eu.loaded_organic"];
    assert!(lo.amount[1] / lo.total() > 0.65, "{:?}", lo.amount);
    assert!(lo.amount[0] / lo.total() < 0.03, "{:?}", lo.amount);
}

/// Largest relative imbalance of the stage balances of a volumetric
/// cascade's solution, with the draws' pass fractions, from the outflows
/// the solution reports (independent of the solver's own residual).
fn stage_imbalance(c: &Cascade, sol: &Solution) -> f64 {
    let n = c.n_stages();
    let k = c.n_components();
    let l = c.layout();
    let mut worst = 0.0f64;
    for j in 0..n {
        for q in 0..k {
            let mut inflow = if j == l.feed_stage() {
                c.feed_amount()[q]
            } else {
                0.0
            };
            if j > 0 {
                inflow += c.pass_fraction(Phase::Organic, j - 1) * sol.organic[[j - 1, q]];
            }
            if l.aqueous_link(j) {
                inflow += c.pass_fraction(Phase::Aqueous, j + 1) * sol.aqueous[[j + 1, q]];
            }
            let out = sol.aqueous[[j, q]] + sol.organic[[j, q]];
            worst = worst.max(rel(inflow, out));
        }
    }
    worst
}

fn cd_with(draws: &str) -> String {
    format!(
        "{}\n{draws}",
        std::fs::read_to_string("models/constant-d-strip.toml").unwrap()
    )
}

#[test]
fn volumetric_draws_close_every_stage_and_take_the_stage_composition() {
    let draws = "[[draw]]\nname = \"mid\"\nstage = 15\nphase = \"aqueous\"\nflow = 5.0\n\
                 [[draw]]\nname = \"org\"\nstage = 8\nphase = \"organic\"\nfraction = 0.2\n";
    let c = sxforge::model::load::parse_str(&cd_with(draws), None).unwrap();
    let sol = Solver::new().solve(&c);
    assert!(sol.converged());
    assert!(stage_imbalance(&c, &sol) < 1e-12);
    let StageFlows::Volumes { aqueous, organic } = c.flows() else {
        panic!("volumetric")
    };
    // aqueous draw of 5 L/h at stage 15 (scrub, 20 L/h): the scrub stages
    // below carry 15 L/h, the extraction stages 15 + 30; organic draw of
    // 0.2 x 30 L/h at stage 8: 24 L/h from stage 9 on
    assert_eq!(
        (aqueous[14], aqueous[13], aqueous[10], aqueous[9]),
        (20.0, 15.0, 15.0, 45.0)
    );
    assert_eq!((organic[7], organic[8], organic[23]), (30.0, 24.0, 24.0));
    let d = sol.draws(&c);
    assert_eq!(d.len(), 2);
    for (name, s) in &d {
        let (stage, phase_out, vol, share) = match name.as_str() {
            "mid" => (14, &sol.aqueous, 20.0, 0.25),
            _ => (7, &sol.organic, 30.0, 0.2),
        };
        for q in 0..2 {
            assert!(rel(s.amount[q], share * phase_out[[stage, q]]) < 1e-15);
            let conc = s.concentration.as_ref().unwrap()[q];
            assert!(rel(conc, phase_out[[stage, q]] / vol) < 1e-15);
        }
    }
    for e in sol.balance_error(&c) {
        assert!(e.abs() < 1e-12, "{e}");
    }
    // a zero draw changes nothing
    let zero = sxforge::model::load::parse_str(
        &cd_with("[[draw]]\nname = \"z\"\nstage = 15\nphase = \"aqueous\"\nfraction = 0.0\n"),
        None,
    )
    .unwrap();
    let plain = sxforge::model::load::load_file(Path::new("models/constant-d-strip.toml")).unwrap();
    let (s0, s1) = (Solver::new().solve(&zero), Solver::new().solve(&plain));
    assert_eq!(s0.aqueous, s1.aqueous);
    assert_eq!(s0.organic, s1.organic);
}

#[test]
fn rigorous_models_take_draws_and_close_their_balances() {
    for (file, draw) in [
        (
            "models/d2ehpa-sulfate.toml",
            "[[draw]]\nname = \"mid\"\nstage = 8\nphase = \"aqueous\"\nfraction = 0.2\n",
        ),
        (
            "models/d2ehpa-sulfate.toml",
            "[[draw]]\nname = \"mid\"\nstage = 4\nphase = \"organic\"\nfraction = 0.1\n",
        ),
    ] {
        let src = format!("{}\n{draw}", std::fs::read_to_string(file).unwrap());
        let c = sxforge::model::load::parse_str(&src, None).unwrap();
        let sol = Solver::new().solve(&c);
        assert!(sol.converged(), "{file}: {:?}", sol.status);
        let d = sol.draws(&c);
        assert!(d[0].1.amount.iter().sum::<f64>() > 0.0);
        for e in sol.balance_error(&c) {
            assert!(e.abs() < 1e-10, "{file} {draw}: {e}");
        }
    }
}

#[test]
fn to_spec_keeps_the_draws() {
    let c = sxforge::model::load::load_file(Path::new("models/smeugd-draw.toml")).unwrap();
    let again = c.to_spec().build().unwrap();
    assert_eq!(again.draws(), c.draws());
    let (a, b) = (Solver::new().solve(&c), Solver::new().solve(&again));
    assert_eq!(a.draws(&c), b.draws(&again));
    // a sweep of the draw model reports the draw's columns
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sweep.toml");
    let text = std::fs::read_to_string("models/smeugd-draw.toml").unwrap()
        + "\n[sweep]\nmethod = \"grid\"\n[[sweep.parameter]]\nname = \"flows.scrub_amount\"\nvalues = [1.20, 1.21]\n";
    std::fs::write(&p, text).unwrap();
    let out = common::sxforge(&["sweep", p.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let header = stdout.lines().next().unwrap();
    assert!(header.contains("eu.purity.Eu"), "{header}");
    // the second case is the shipped file: its Eu purity in the draw
    let cols: Vec<&str> = header.split(',').collect();
    let at = cols.iter().position(|c| *c == "eu.purity.Eu").unwrap();
    let row: Vec<&str> = stdout.lines().nth(2).unwrap().split(',').collect();
    let want = a.draws(&c)[0].1.purity[1];
    assert!(
        rel(row[at].parse::<f64>().unwrap(), want) < 1e-9,
        "{} vs {want}",
        row[at]
    );
}

#[test]
fn bad_draws_in_flowsheets_exit_1_naming_the_key() {
    let base = std::fs::read_to_string("models/smeugd-flowsheet.toml").unwrap();
    let cases: Vec<(String, &str, &str)> = vec![
        (
            base.replace("stage = 30 ", "stage = 81 "),
            "unit.SmEuGd.draw.stage",
            "between 1 and 80",
        ),
        (
            base.replace("amount = 0.08 ", "fraction = 1.5 "),
            "unit.SmEuGd.draw.fraction",
            "[0, 1)",
        ),
        (
            base.replace("amount = 0.08 ", "amount = 0.9 "),
            "unit.SmEuGd.draw.amount",
            "expected smaller draws",
        ),
        (
            base.replace("amount = 0.08 ", "flow = 2.0 "),
            "unit.SmEuGd.draw.flow",
            "not a flow",
        ),
        (
            base.replace("name = \"eu\"", "name = \"raffinate\""),
            "unit.SmEuGd.draw.name",
            "own outlets",
        ),
        (
            format!("{base}\n[[unit]]\nname = \"Again\"\ncascade = {{ extraction = 5, scrub = 5 }}\nfeed = \"SmEuGd.eu\"\nflows = {{ extraction_ratio = 1.6, scrub_ratio = 1.0 }}\n"),
            "unit.Again.feed",
            "already consumed",
        ),
        (
            base.replace("feed = \"SmEuGd.eu\"", "feed = \"SmEuGd.ue\""),
            "unit.Eu.feed",
            "unknown stream",
        ),
    ];
    for (text, key, words) in cases {
        let (code, err) = common::simulate_text(&text);
        assert_eq!(code, 1, "{key}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("fs.toml:"), "{err}");
        assert!(err.contains(key), "key {key}: {err}");
        assert!(err.contains(words), "{words}: {err}");
    }
}

/// The weak-strip recycle: the Pr/Nd mass-action plant of
/// models/prnd-mass-action-recycle.toml, shortened, with a 3 mol/L strip
/// that leaves metal on the organic it returns to stage 1.
fn weak_strip(accelerator: Accelerator) -> sxforge::flowsheet::solve::FlowsheetResult {
    let src = std::fs::read_to_string("models/prnd-mass-action-recycle.toml")
        .unwrap()
        .replace("strip = { acid = 6.0 }", "strip = { acid = 3.0 }");
    let mut fs = parse_str(&src, None).unwrap();
    fs.accelerator = accelerator;
    fs.max_iterations = 400;
    solve(&fs).unwrap()
}

#[test]
fn anderson_equals_substitution_in_fewer_outer_iterations() {
    let fast = weak_strip(Accelerator::Anderson);
    let slow = weak_strip(Accelerator::Substitution);
    assert!(
        fast.converged && slow.converged,
        "{:?} {:?}",
        fast.message,
        slow.message
    );
    assert!(
        fast.iterations < slow.iterations,
        "{} vs {}",
        fast.iterations,
        slow.iterations
    );
    assert!(fast.iterations <= 25, "{}", fast.iterations);
    for (name, a) in &fast.streams {
        let b = &slow.streams[name];
        let t = a.total().max(b.total());
        for (x, y) in a.amount.iter().zip(&b.amount) {
            assert!((x - y).abs() <= 1e-10 * t, "{name}: {x} vs {y}");
        }
    }
}
