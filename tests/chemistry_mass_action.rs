//! Mass-action model: limits, a hand-worked stage, element balances of
//! random cascades, shipped-model snapshots and bad input.

use proptest::prelude::*;
use sxforge::cascade::StreamKind;
use sxforge::model::load::parse_str;
use sxforge::model::rigorous::MassActionSpec;
use sxforge::model::{Cascade, ChemistrySpec};
use sxforge::solver::rigorous::TRACE_ION;
use sxforge::solver::{Solution, Solver};

fn mass_action(c: &Cascade) -> &MassActionSpec {
    match &c.spec().chemistry {
        ChemistrySpec::MassAction(m) => m,
        _ => panic!("not a mass-action model"),
    }
}

/// A one-section cascade of `n` stages with a trace metal, extractant far
/// in excess and a strong acid: D = K (C/2)^a / h^b is then constant.
fn kremser_model(n: usize, log10_k: f64) -> String {
    format!(
        r#"
name = "kremser"
components = ["A", "B"]
[chemistry]
model = "mass-action"
log10_k = {{ A = {log10_k}, B = {lb} }}
extractant = 1.0
[cascade]
extraction = {n}
[feed]
flow = 10.0
concentration = {{ A = 1e-12, B = 1e-12 }}
acid = 0.5
[flows]
organic = 7.0
"#,
        lb = log10_k - 0.3
    )
}

#[test]
fn excess_extractant_and_fixed_acid_reproduce_kremser() {
    for (n, lk) in [(1usize, -1.0), (5, -1.2), (12, -1.1), (30, -0.9)] {
        let c = parse_str(&kremser_model(n, lk), None).unwrap();
        let s = Solver::new().solve(&c);
        assert!(s.converged(), "{:?}", s.status);
        let raff = s.stream(&c, StreamKind::Raffinate).unwrap();
        for (k, lkk) in [(0usize, lk), (1, lk - 0.3)] {
            // D = K [(HA)2]^3 / [H+]^3 with [(HA)2] = C/2 = 0.5, [H+] = 0.5
            let d = 10f64.powf(lkk);
            let e = d * 7.0 / 10.0;
            let left = (e - 1.0) / (e.powi(n as i32 + 1) - 1.0);
            let got = raff.recovery[k];
            assert!(
                ((got - left) / left).abs() < 1e-8,
                "n {n} k {k}: {got} vs Kremser {left}"
            );
        }
    }
}

const P507_SMALL: &str = r#"
name = "p507 small"
components = ["Pr", "Nd"]
[chemistry]
model = "mass-action"
log10_k = { Pr = -1.176, Nd = -1.0 }
extractant = 1.5
saponification = 0.36
counter_ion = "NH4"
[cascade]
extraction = 10
scrub = 10
strip = 4
[feed]
flow = 1000.0
concentration = { Pr = 0.25, Nd = 0.75 }
acid = 0.01
[scrub]
acid = 4.2
[strip]
acid = 6.0
[flows]
organic = 22700.0
scrub = 2480.0
strip = 800.0
"#;

#[test]
fn ratio_of_distribution_ratios_is_ratio_of_constants() {
    let c = parse_str(P507_SMALL, None).unwrap();
    let s = Solver::new().solve(&c);
    assert!(s.converged());
    let (x, y) = s.concentrations(&c).unwrap();
    let want = 10f64.powf(-1.0 + 1.176);
    for j in 0..c.n_stages() {
        let r = (y[[j, 1]] / x[[j, 1]]) / (y[[j, 0]] / x[[j, 0]]);
        assert!((r / want - 1.0).abs() < 1e-10, "stage {j}: {r}");
    }
    // high D in extraction, D << 1 in the strip, from the same constants
    let d_nd = |j: usize| y[[j, 1]] / x[[j, 1]];
    assert!(d_nd(0) > 1.0, "{}", d_nd(0));
    assert!(d_nd(c.n_stages() - 1) < 1e-3, "{}", d_nd(c.n_stages() - 1));
}

/// Hand-worked single stage, z = a = b = 3, no saponification:
///
/// ```text
///   metal:       A x_f = A x + O y
///   hydrogen:    A h_f + O C = A h + O (2 d + 3 y)
///   extractant:  2 d + 6 y = C
/// ```
/// so `h = h_f + 3 (O/A) y` and `d = (C - 6 y) / 2`. With A = O = 1 L/h,
/// x_f = 0.1, h_f = 0.1, C = 1 and the answer chosen as y = 0.05:
/// x = 0.05, h = 0.25, d = 0.35, D = y / x = 1, hence
/// K = D h^3 / d^3 = (0.25 / 0.35)^3 = (5/7)^3, log10 K = 3 log10(5/7).
#[test]
fn hand_worked_single_stage() {
    let lk = 3.0 * (5.0f64 / 7.0).log10();
    let src = format!(
        r#"
name = "one stage"
components = ["M"]
[chemistry]
model = "mass-action"
log10_k = {{ M = {lk} }}
extractant = 1.0
[cascade]
extraction = 1
[feed]
flow = 1.0
concentration = {{ M = 0.1 }}
acid = 0.1
[flows]
organic = 1.0
"#
    );
    let c = parse_str(&src, None).unwrap();
    let s = Solver::new().solve(&c);
    assert!(s.converged());
    assert!(
        (s.organic[[0, 0]] - 0.05).abs() < 1e-13,
        "{}",
        s.organic[[0, 0]]
    );
    assert!((s.aqueous[[0, 0]] - 0.05).abs() < 1e-13);
    let h = s.acidity.as_ref().unwrap()[0];
    assert!((h - 0.25).abs() < 1e-13, "{h}");
    let ph = sxforge::report::reagents::stage_ph(&s).unwrap();
    assert!((ph[0] + 0.25f64.log10()).abs() < 1e-12);
}

/// Relative imbalance of every conserved element (metals, H, counter-ion,
/// anion) and of the extractant in every stage, from the solution alone:
/// the free dimer follows from the major metal's D, the organic counter-ion
/// from the extractant balance, the aqueous counter-ion from its exchange
/// constant, the anion from electroneutrality.
fn worst_imbalance(c: &Cascade, s: &Solution) -> f64 {
    let m = mass_action(c);
    let layout = *c.layout();
    let n = c.n_stages();
    let k = c.n_components();
    let (x, y) = s.concentrations(c).unwrap();
    let h = s.acidity.clone().unwrap();
    let (aq, org) = match c.flows() {
        sxforge::model::StageFlows::Volumes { aqueous, organic } => {
            (aqueous.clone(), organic.clone())
        }
        _ => unreachable!(),
    };
    let cx = m.extractant;
    let ion = m.saponification > 0.0;
    // per stage: [metals..., H, N, anion] in aqueous and organic (mol/L)
    let mut qa = vec![vec![0.0; k + 3]; n];
    let mut qo = vec![vec![0.0; k + 3]; n];
    let sp = s.species.clone().unwrap();
    for j in 0..n {
        let free = sp.free_extractant[j];
        let zy: f64 = (0..k).map(|i| m.charge[i] * y[[j, i]]).sum();
        let so = sp.organic_counter_ion[j];
        let nn = sp.counter_ion[j];
        // the extractant itself stays in the organic: check its balance here
        let ext = (free + so + 2.0 * zy - cx).abs() / cx;
        assert!(ext < 1e-10, "extractant balance off by {ext} in stage {j}");
        // the free dimer is what the metals' equilibrium says
        for i in 0..k {
            let want = 10f64.powf(m.log10_k[i]) * (free / 2.0).powf(m.a) / h[j].powf(m.b);
            let got = y[[j, i]] / x[[j, i]];
            assert!((got / want - 1.0).abs() < 1e-9, "D off in stage {j}");
        }
        for i in 0..k {
            qa[j][i] = x[[j, i]];
            qo[j][i] = y[[j, i]];
        }
        qa[j][k] = h[j];
        qo[j][k] = free + zy;
        qa[j][k + 1] = nn;
        qo[j][k + 1] = so;
        qa[j][k + 2] = sp.anion[j];
        let neutral = h[j] + nn + (0..k).map(|i| m.charge[i] * x[[j, i]]).sum::<f64>();
        assert!((sp.anion[j] / neutral - 1.0).abs() < 1e-14);
    }
    // external inflows
    let mut fin = vec![vec![0.0; k + 3]; n];
    let sp = c.spec();
    let fs = layout.feed_stage();
    let ff = sp.feed.flow.unwrap();
    let fc = sp.feed.concentration.clone().unwrap();
    for i in 0..k {
        fin[fs][i] += ff * fc[i];
    }
    fin[fs][k] += ff * m.streams.feed_acid;
    fin[fs][k + 2] += ff * (m.streams.feed_acid + (0..k).map(|i| m.charge[i] * fc[i]).sum::<f64>());
    if let Some(ss) = layout.scrub_stage() {
        let w = sp.flows.scrub.unwrap();
        let sa = m.streams.scrub_acid.unwrap();
        fin[ss][k] += w * sa;
        let sc = m
            .streams
            .scrub_concentration
            .clone()
            .unwrap_or(vec![0.0; k]);
        for i in 0..k {
            fin[ss][i] += w * sc[i];
        }
        let tr = if ion { TRACE_ION } else { 0.0 };
        fin[ss][k + 1] += w * tr;
        fin[ss][k + 2] += w * (sa + tr + (0..k).map(|i| m.charge[i] * sc[i]).sum::<f64>());
    }
    if let Some(st) = layout.strip_stage() {
        let v = sp.flows.strip.unwrap();
        let sa = m.streams.strip_acid.unwrap();
        let tr = if ion { TRACE_ION } else { 0.0 };
        fin[st][k] += v * sa;
        fin[st][k + 1] += v * tr;
        fin[st][k + 2] += v * (sa + tr);
    }
    fin[0][k] += org[0] * (1.0 - m.saponification) * cx;
    fin[0][k + 1] += org[0] * m.saponification * cx;
    let mut worst = 0.0f64;
    for j in 0..n {
        for q in 0..k + 3 {
            let above = if layout.aqueous_link(j) {
                aq[j + 1] * qa[j + 1][q]
            } else {
                0.0
            };
            let below = if j > 0 {
                org[j - 1] * qo[j - 1][q]
            } else {
                0.0
            };
            let inflow = above + below + fin[j][q];
            let out = aq[j] * qa[j][q] + org[j] * qo[j][q];
            let scale = inflow.max(out);
            if scale > 0.0 {
                let r = (inflow - out).abs() / scale;
                if r > 1e-10 && std::env::var("BALDEBUG").is_ok() {
                    eprintln!("stage {j} q {q}: in {inflow:e} out {out:e} rel {r:e}");
                }
                worst = worst.max(r);
            }
        }
    }
    worst
}

#[test]
fn shipped_p507_model_converges_and_balances() {
    let c =
        sxforge::model::load::load_file(std::path::Path::new("models/p507-prnd-industrial.toml"))
            .unwrap();
    assert_eq!(
        (c.n_stages(), c.layout().extraction, c.layout().scrub),
        (148, 70, 70)
    );
    let s = Solver::new().solve(&c);
    assert!(s.converged(), "{:?} at {:?}", s.status, s.worst);
    // snapshot: Newton iterations from the separation-factor start
    assert_eq!(s.iterations, 5);
    assert!(worst_imbalance(&c, &s) < 1e-10);
    let strip = s.stream(&c, StreamKind::StripLiquor).unwrap();
    assert!(strip.purity[1] > 0.99999, "{:?}", strip.purity);
    let r = sxforge::report::reagents::reagents(&c, &s).unwrap();
    // all the ammonia ends up neutralising acid: consumed acid = base
    assert!((r.acid_consumed / r.base - 1.0).abs() < 1e-6, "{r:?}");
    assert_eq!(r.base_name, "NH3");
    assert_eq!(r.per_kg[1].0, "Nd");
    assert_eq!(r.per_kg[1].1.stream, StreamKind::StripLiquor);
}

#[test]
fn p507_converges_across_the_feasible_scrub_range() {
    // Saponified capacity S = 0.36 * 1.5 * 22700 / 3 = 4086 mol/h and scrub
    // reflux W = 4.2 * flow / 3 leave both products RE (0 < S - W < F =
    // 1000 mol/h) for scrub flows between 2204 and 2919 L/h. Without the
    // loading step limit, 2400 L/h stalled after the first Newton step.
    let text = std::fs::read_to_string("models/p507-prnd-industrial.toml").unwrap();
    for scrub in [2225.0, 2300.0, 2400.0, 2500.0, 2650.0, 2800.0, 2900.0] {
        let src = text.replace("scrub = 2480.0", &format!("scrub = {scrub:.1}"));
        assert_ne!(src, text);
        let c = parse_str(&src, None).unwrap();
        let s = Solver::new().solve(&c);
        assert!(
            s.converged(),
            "scrub {scrub}: {:?} at {:?}",
            s.status,
            s.worst
        );
        assert!(worst_imbalance(&c, &s) < 1e-10, "scrub {scrub}");
    }
}

#[test]
fn flow_split_hint_names_the_xu_range() {
    let text = std::fs::read_to_string("models/p507-prnd-industrial.toml").unwrap();
    let at = |scrub: f64| {
        let src = text.replace("scrub = 2480.0", &format!("scrub = {scrub:.1}"));
        sxforge::model::rigorous::flow_split_hint(&parse_str(&src, None).unwrap())
    };
    // S = 0.36 * 1.5 * 22700 / 3 = 4086; W = 4.2 * flow / 3
    assert_eq!(at(2480.0), None);
    let high = at(2200.0).unwrap(); // W = 3080, S - W = 1006 > F = 1000
    assert!(
        high.contains("S - W = 1.0060e3") && high.contains("more than the feed"),
        "{high}"
    );
    let low = at(3100.0).unwrap(); // W = 4340, S - W = -254
    assert!(
        low.contains("S - W = -2.5400e2") && low.contains("strips all"),
        "{low}"
    );
}

fn random_model(
    n_ext: usize,
    n_scrub: usize,
    n_strip: usize,
    lk: (f64, f64, f64),
    sapon: f64,
    flows: (f64, f64, f64, f64),
    acids: (f64, f64, f64),
) -> String {
    let mut s = format!(
        r#"
name = "random"
components = ["A", "B", "C"]
[chemistry]
model = "mass-action"
log10_k = {{ A = {}, B = {}, C = {} }}
charge = {{ C = 2 }}
a = 2.7
b = 2.4
extractant = 1.0
saponification = {sapon}
counter_ion = "Na"
[cascade]
extraction = {n_ext}
scrub = {n_scrub}
strip = {n_strip}
[feed]
flow = {}
concentration = {{ A = 0.2, B = 0.1, C = 0.05 }}
acid = {}
[flows]
organic = {}
"#,
        lk.0, lk.1, lk.2, flows.0, acids.0, flows.1
    );
    if n_scrub > 0 {
        s += &format!("scrub = {}\n", flows.2);
    }
    if n_strip > 0 {
        s += &format!("strip = {}\n", flows.3);
    }
    if n_scrub > 0 {
        s += &format!(
            "[scrub]\nacid = {}\nconcentration = {{ B = 0.01 }}\n",
            acids.1
        );
    }
    if n_strip > 0 {
        s += &format!("[strip]\nacid = {}\n", acids.2);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn every_element_balances_in_every_stage(
        n_ext in 1usize..6, n_scrub in 0usize..5, n_strip in 0usize..4,
        lka in -2.0f64..0.5, dlb in 0.05f64..0.6, lkc in -2.5f64..0.0,
        sapon in prop_oneof![Just(0.0), 0.05f64..0.4],
        fa in 1.0f64..5.0, fo in 1.0f64..6.0, fsc in 0.3f64..2.0, fst in 0.3f64..2.0,
        acid_f in 0.001f64..0.3, acid_s in 0.5f64..3.0, acid_t in 2.0f64..6.0,
    ) {
        let src = random_model(n_ext, n_scrub, n_strip, (lka, lka - dlb, lkc), sapon,
                               (fa, fo, fsc, fst), (acid_f, acid_s, acid_t));
        let c = parse_str(&src, None).unwrap();
        let s = Solver::new().solve(&c);
        prop_assert!(s.converged(), "{:?} {:?}\n{}", s.status, s.worst, src);
        let w = worst_imbalance(&c, &s);
        prop_assert!(w < 1e-10, "imbalance {w}\n{src}");
    }
}

fn err(src: &str) -> String {
    parse_str(src, Some("m.toml".into()))
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_input_is_located() {
    let base = P507_SMALL;
    let e = err(&base.replace("saponification = 0.36", "saponification = 1.0"));
    assert!(
        e.contains("m.toml:8")
            && e.contains("chemistry.saponification = 1")
            && e.contains("[0, 1)"),
        "{e}"
    );
    let e = err(&base.replace(
        "log10_k = { Pr = -1.176, Nd = -1.0 }",
        "log10_k = { Pr = -1.176 }",
    ));
    assert!(e.contains("chemistry.log10_k") && e.contains("`Nd`"), "{e}");
    let e = err(&base.replace("Pr = 0.25, Nd", "Pr = -0.25, Nd"));
    assert!(e.contains("feed.concentration.Pr = -0.25"), "{e}");
    let e = err(&base.replace("acid = 6.0", "acid = 0.0"));
    assert!(
        e.contains("strip.acid = 0") && e.contains("m.toml:21"),
        "{e}"
    );
    let e = err(&base.replace("acid = 4.2", "acid = -1"));
    assert!(e.contains("scrub.acid = -1"), "{e}");
    let e = err(&base.replace("[strip]\nacid = 6.0\n", ""));
    assert!(e.contains("strip.acid") && e.contains("missing"), "{e}");
    let e = err(&base.replace("counter_ion = \"NH4\"", "counter_ion = \"K\""));
    assert!(
        e.contains("chemistry.counter_ion") && e.contains("NH4"),
        "{e}"
    );
    let e = err(&base.replace("extractant = 1.5", "extractant = 1.5\nbogus = 1"));
    assert!(e.contains("bogus"), "{e}");
    // an organic feed loaded beyond the extractant: undefined
    let e = err(&base.replace("[feed]\n", "[feed]\nphase = \"organic\"\n"));
    assert!(
        e.contains("feed.concentration") && e.contains("more than the extractant"),
        "{e}"
    );
    // mass-action keys are not constant-d keys
    let e = err(&base.replace(
        "model = \"mass-action\"",
        "model = \"constant-d\"\nd = { Pr = 1, Nd = 2 }",
    ));
    assert!(
        e.contains("not a parameter of the `constant-d` model"),
        "{e}"
    );
}

#[test]
fn a_failed_solve_reports_where_it_stalled() {
    let src = P507_SMALL.replace("[flows]", "[solver]\nmax_iterations = 1\n[flows]");
    let c = parse_str(&src, None).unwrap();
    let s = Solver::new().solve(&c);
    assert!(!s.converged());
    assert!(s.residual > 1e-12);
    let (stage, q) = s.worst;
    assert!(stage < c.n_stages());
    // components, then H, counter-ion, extractant balance
    assert!(q < c.n_components() + 3, "{q}");
}
