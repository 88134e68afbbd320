//! Flowsheets: equivalence with single cascades, unit-by-unit references,
//! recycles, balances (proptest) and bad files.

mod common;

use std::path::Path;

use proptest::prelude::*;
use sxforge::cascade::{Phase, StreamKind};
use sxforge::flowsheet::load::{load_file, parse_str};
use sxforge::flowsheet::report::{balance_error, to_json};
use sxforge::flowsheet::solve::solve;
use sxforge::model::{CascadeSpec, Inlet};
use sxforge::solver::Solver;

fn rel(a: f64, b: f64) -> f64 {
    let s = a.abs().max(b.abs());
    if s < 1e-300 {
        0.0
    } else {
        (a - b).abs() / s
    }
}

/// Largest error of `a` against `b`, relative to the larger stream total
/// (trace components are compared against the stream, not themselves).
fn stream_err(a: &[f64], b: &[f64]) -> f64 {
    let t = a.iter().sum::<f64>().max(b.iter().sum::<f64>()).max(1e-300);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / t)
        .fold(0.0, f64::max)
}

#[test]
fn one_unit_flowsheet_equals_the_single_cascade_file() {
    let single = sxforge::model::load::load_file(Path::new("models/lace.toml")).unwrap();
    let sol = Solver::new().solve(&single);
    let fs = parse_str(
        r#"
name = "La/Ce as a flowsheet"
components = ["La", "Ce"]
[chemistry]
model = "separation-factor"
beta = { La = 1.0, Ce = 5.0 }
[[stream]]
name = "feed"
amount = { La = 0.4034, Ce = 0.5966 }
[[unit]]
name = "LaCe"
cascade = { extraction = 8, scrub = 9 }
feed = "feed"
flows = { extraction_amount = 1.0794, scrub_amount = 0.4827 }
"#,
        None,
    )
    .unwrap();
    let res = solve(&fs).unwrap();
    assert!(res.converged);
    assert_eq!(res.iterations, 1);
    for kind in [StreamKind::Raffinate, StreamKind::LoadedOrganic] {
        let want = sol.stream(&single, kind).unwrap();
        let got = &res.streams[&format!("LaCe.{}", kind.name())];
        for (a, b) in got.amount.iter().zip(&want.amount) {
            assert!(rel(*a, *b) < 1e-13, "{kind:?}: {a} vs {b}");
        }
    }
    assert_eq!(res.products, ["LaCe.raffinate", "LaCe.loaded_organic"]);
}

#[test]
fn acyclic_chain_equals_its_units_one_by_one() {
    let fs = load_file(Path::new("models/bayan-obo-linked.toml")).unwrap();
    let res = solve(&fs).unwrap();
    assert!(res.converged);
    let names = ["La", "Ce", "Pr", "Nd", "SEG"];
    let beta = [1.0, 5.0, 10.0, 15.0, 150.0];
    let run = |n: usize, m: usize, feed: &[f64], phase: Phase, rs: f64, rw: f64| {
        let f: f64 = feed.iter().sum();
        let c = CascadeSpec::separation_factor("u", &names, &beta)
            .with_stages(n, m, 0)
            .with_feed_amounts(feed)
            .with_feed_phase(phase)
            .with_amounts(rs * f, rw * f)
            .build()
            .unwrap();
        let s = Solver::new().solve(&c);
        assert!(s.converged());
        (
            s.stream(&c, StreamKind::Raffinate).unwrap().amount,
            s.stream(&c, StreamKind::LoadedOrganic).unwrap().amount,
        )
    };
    let liquor = [23.0, 50.0, 6.2, 18.5, 2.4];
    let (r1, o1) = run(12, 14, &liquor, Phase::Aqueous, 0.10, 0.076);
    let (r2, o2) = run(30, 34, &r1, Phase::Aqueous, 0.95, 0.697);
    let (r3, o3) = run(16, 18, &r2, Phase::Aqueous, 1.40, 0.715);
    let (r4, o4) = run(40, 40, &o2, Phase::Organic, 2.5, 2.751);
    for (name, want) in [
        ("Nd-SEG.loaded_organic", &o1),
        ("La-Ce.raffinate", &r3),
        ("La-Ce.loaded_organic", &o3),
        ("Pr-Nd.raffinate", &r4),
        ("Pr-Nd.loaded_organic", &o4),
    ] {
        let got = &res.streams[name].amount;
        assert!(stream_err(got, want) < 1e-12, "{name}: {got:?} vs {want:?}");
    }
    assert_eq!(res.products.len(), 5);
    for e in balance_error(&res) {
        assert!(e.abs() < 1e-10, "{e}");
    }
}

/// A constant-D cascade with a strip section; `strip_d` the strip D.
fn loop_file(recycle: bool, strip_d: f64) -> String {
    format!(
        r#"
name = "closed organic loop"
components = ["A", "B"]
[chemistry]
model = "constant-d"
d = {{ A = 0.5, B = 3.0 }}
strip = {{ d = {{ A = {strip_d}, B = {strip_d} }} }}
[[stream]]
name = "feed"
flow = 10.0
concentration = {{ A = 0.2, B = 0.1 }}
[[unit]]
name = "U"
cascade = {{ extraction = 4, scrub = 3, strip = 3 }}
feed = "feed"
{}
flows = {{ organic = 8.0, scrub = 2.0, strip = 3.0 }}
"#,
        if recycle {
            "organic_in = \"U.stripped_organic\""
        } else {
            ""
        }
    )
}

#[test]
fn closed_loop_with_perfect_strip_equals_fresh_organic() {
    let fresh = solve(&parse_str(&loop_file(false, 0.0), None).unwrap()).unwrap();
    let fs = parse_str(&loop_file(true, 0.0), None).unwrap();
    let looped = solve(&fs).unwrap();
    assert!(looped.converged && fresh.converged);
    assert_eq!(looped.tears, ["U.stripped_organic"]);
    for name in ["U.raffinate", "U.strip_liquor"] {
        let (a, b) = (&looped.streams[name].amount, &fresh.streams[name].amount);
        for (x, y) in a.iter().zip(b) {
            assert!(rel(*x, *y) < 1e-13, "{name}: {x} vs {y}");
        }
    }
    // the recycled stream is a tear, not a product
    assert_eq!(looped.products, ["U.raffinate", "U.strip_liquor"]);
}

#[test]
fn imperfect_strip_loop_converges_and_closes_the_balance() {
    let fs = parse_str(&loop_file(true, 0.2), None).unwrap();
    let res = solve(&fs).unwrap();
    assert!(res.converged, "{:?}", res.message);
    assert!(res.residual <= 1e-12);
    assert!(res.iterations > 2);
    let org = &res.streams["U.stripped_organic"];
    assert!(org.total() > 0.0);
    for e in balance_error(&res) {
        assert!(e.abs() < 1e-10, "{e}");
    }
}

/// Every unit, re-run alone from the `inlets` of the JSON report, gives the
/// outlets the report gives.
fn rerun_units_from_json(fs: &sxforge::flowsheet::Flowsheet) {
    let res = solve(fs).unwrap();
    assert!(res.converged, "{:?}", res.message);
    let json = to_json(fs, &res);
    let comps = &fs.components;
    let vec_of = |v: &serde_json::Value| -> Vec<f64> {
        comps.iter().map(|c| v[c].as_f64().unwrap()).collect()
    };
    for u in &fs.units {
        let uj = &json["units"][&u.name];
        let inlets = &uj["inlets"];
        let mut spec = u.spec.clone();
        let feed = &inlets["feed"];
        spec.feed_phase = if feed["phase"] == "organic" {
            Phase::Organic
        } else {
            Phase::Aqueous
        };
        if u.is_volumetric() {
            spec.feed.flow = feed["flow"].as_f64();
            spec.feed.concentration = Some(vec_of(&feed["concentration"]));
            if let (Some(acid), sxforge::model::ChemistrySpec::MassAction(m)) =
                (feed["acid"].as_f64(), &mut spec.chemistry)
            {
                m.streams.feed_acid = acid;
            }
            for (port, inlet) in [
                ("organic", Inlet::Organic),
                ("scrub", Inlet::Scrub),
                ("strip", Inlet::Strip),
            ] {
                let j = &inlets[port];
                if j.is_object() {
                    spec.set_inlet(inlet, Some(vec_of(&j["concentration"])));
                    if let Some(f) = j["flow"].as_f64() {
                        match inlet {
                            Inlet::Organic => spec.flows.organic = Some(f),
                            Inlet::Scrub => spec.flows.scrub = Some(f),
                            Inlet::Strip => spec.flows.strip = Some(f),
                        }
                    }
                }
            }
        } else {
            let a = vec_of(&feed["amount"]);
            let f: f64 = a.iter().sum();
            if let Some(r) = u.extraction_ratio {
                spec.flows.extraction_amount = Some(r * f);
            }
            if let Some(r) = u.scrub_ratio {
                spec.flows.scrub_amount = Some(r * f);
            }
            spec.feed.amount = Some(a);
        }
        let c = spec.build().unwrap();
        let sol = Solver::new().solve(&c);
        assert!(sol.converged());
        let mut outs: Vec<_> = sol
            .streams(&c)
            .into_iter()
            .map(|s| (s.kind.name().to_string(), s))
            .collect();
        outs.extend(sol.draws(&c));
        assert_eq!(outs.len(), u.outlet_streams().len());
        for (name, s) in outs {
            let want = vec_of(&uj["streams"][&name]["amount"]);
            let err = stream_err(&s.amount, &want);
            assert!(err < 1e-9, "{}.{name}: {err:e}", u.name);
        }
    }
}

#[test]
fn units_rerun_from_reported_inlets_reproduce_their_outlets() {
    rerun_units_from_json(&load_file(Path::new("models/bayan-obo-linked.toml")).unwrap());
    rerun_units_from_json(&parse_str(&loop_file(true, 0.2), None).unwrap());
    rerun_units_from_json(&load_file(Path::new("models/prnd-mass-action-recycle.toml")).unwrap());
    // side draws: a separation-factor draw feeding another unit, and
    // volumetric aqueous draws (by flow and by fraction) inside a recycle
    // (an organic draw there would bleed the closed organic loop dry)
    rerun_units_from_json(&load_file(Path::new("models/smeugd-flowsheet.toml")).unwrap());
    let looped = loop_file(true, 0.2)
        + "[[unit.draw]]\nname = \"side\"\nstage = 6\nphase = \"aqueous\"\nflow = 0.5\n"
        + "[[unit.draw]]\nname = \"strip2\"\nstage = 9\nphase = \"aqueous\"\nfraction = 0.1\n";
    rerun_units_from_json(&parse_str(&looped, None).unwrap());
}

#[test]
fn split_reflux_as_scrub_converges() {
    let src = r#"
name = "product liquor as scrub"
components = ["A", "B"]
[chemistry]
model = "constant-d"
d = { A = 0.5, B = 3.0 }
strip = { d = { A = 0.01, B = 0.01 } }
[[stream]]
name = "feed"
flow = 10.0
concentration = { A = 0.2, B = 0.1 }
[[unit]]
name = "U"
cascade = { extraction = 4, scrub = 3, strip = 2 }
feed = "feed"
scrub_in = "reflux.back"
flows = { organic = 8.0, scrub = 1.0, strip = 3.0 }
[[split]]
name = "reflux"
from = "U.strip_liquor"
fractions = { back = 0.25, product = 0.75 }
"#;
    let fs = parse_str(src, None).unwrap();
    let res = solve(&fs).unwrap();
    assert!(res.converged, "{:?}", res.message);
    assert_eq!(res.tears, ["reflux.back"]);
    let back = &res.streams["reflux.back"];
    let liquor = &res.streams["U.strip_liquor"];
    assert!(rel(back.flow.unwrap(), 0.25 * liquor.flow.unwrap()) < 1e-12);
    assert!(res.products.contains(&"reflux.product".to_string()));
    for e in balance_error(&res) {
        assert!(e.abs() < 1e-10, "{e}");
    }
}

/// Random linked separation-factor flowsheets: a chain where each unit
/// takes one outlet of an earlier unit (or the feed).
fn linked_flowsheet(
    beta: &[f64],
    feed: &[f64],
    picks: &[(usize, bool, f64, f64, usize, f64)],
) -> String {
    let comps: Vec<String> = (0..beta.len()).map(|i| format!("C{i}")).collect();
    let map = |v: &[f64]| {
        comps
            .iter()
            .zip(v)
            .map(|(c, x)| format!("{c} = {x:e}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "name = \"random\"\ncomponents = [{}]\n[chemistry]\nmodel = \"separation-factor\"\nbeta = {{ {} }}\n[[stream]]\nname = \"feed\"\namount = {{ {} }}\n",
        comps.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", "),
        map(beta),
        map(feed)
    );
    let mut free: Vec<(String, bool)> = vec![("feed".into(), false)];
    for (i, &(pick, draw_org, rs, p, n, draw)) in picks.iter().enumerate() {
        let (src, organic) = free.remove(pick % free.len());
        let rw = if organic { rs + p } else { rs - p };
        s += &format!(
            "[[unit]]\nname = \"U{i}\"\ncascade = {{ extraction = {n}, scrub = {n} }}\nfeed = \"{src}\"\nflows = {{ extraction_ratio = {rs}, scrub_ratio = {rw} }}\n"
        );
        free.push((format!("U{i}.raffinate"), false));
        free.push((format!("U{i}.loaded_organic"), true));
        // a side draw on about half the units: a product or another
        // unit's feed
        if draw > 0.1 {
            let phase = if draw_org { "organic" } else { "aqueous" };
            s += &format!(
                "[[unit.draw]]\nname = \"d\"\nstage = {}\nphase = \"{phase}\"\nfraction = {draw}\n",
                n + 1
            );
            free.push((format!("U{i}.d"), draw_org));
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_linked_flowsheets_close_every_balance(
        beta in prop::collection::vec(1.0f64..6.0, 2..5),
        feed_seed in prop::collection::vec(0.05f64..1.0, 5),
        picks in prop::collection::vec((0usize..8, any::<bool>(), 0.6f64..1.5, 0.1f64..0.5, 3usize..10, 0.0f64..0.2), 1..5),
    ) {
        let k = beta.len();
        let src = linked_flowsheet(&beta, &feed_seed[..k], &picks);
        let fs = parse_str(&src, None).unwrap();
        match solve(&fs) {
            Ok(res) => {
                prop_assert!(res.converged, "{:?}", res.message);
                for e in balance_error(&res) {
                    prop_assert!(e.abs() < 1e-10, "{}", e);
                }
            }
            // a unit fed a stream its ratios cannot split, or a draw
            // larger than what reaches a later stage, is an input error
            Err(e) => prop_assert!(
                e.message.contains("infeasible") || e.key.contains(".draw."),
                "{}",
                e
            ),
        }
    }
}

const BASE: &str = r#"name = "bad"
components = ["A", "B"]
[chemistry]
model = "constant-d"
d = { A = 0.5, B = 3.0 }
strip = { d = { A = 0.01, B = 0.01 } }
[[stream]]
name = "feed"
flow = 10.0
concentration = { A = 0.2, B = 0.1 }
[[unit]]
name = "U"
cascade = { extraction = 4, scrub = 3, strip = 2 }
feed = "feed"
flows = { organic = 8.0, scrub = 1.0, strip = 3.0 }
"#;

#[test]
fn bad_flowsheets_exit_1_naming_the_key_and_line() {
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            BASE.replace("feed = \"feed\"", "feed = \"fed\""),
            ":14:",
            "unit.U.feed",
            "unknown stream",
        ),
        (
            format!("{BASE}[[unit]]\nname = \"V\"\ncascade = {{ extraction = 2 }}\nfeed = \"feed\"\nflows = {{ organic = 1.0 }}\n"),
            ":19:",
            "unit.V.feed",
            "already consumed",
        ),
        (
            BASE.replace("flows = {", "scrub_in = \"U.stripped_organic\"\nflows = {"),
            ":15:",
            "unit.U.scrub_in",
            "phase mismatch",
        ),
        (
            BASE.replace("flows = {", "colour = \"red\"\nflows = {"),
            ":15:",
            "unit.colour",
            "unknown key",
        ),
        (
            BASE.replace(
                "flows = {",
                "organic_in = \"U.stripped_organic\"\nscrub_in = \"r.a\"\nstrip_in = \"s.a\"\nflows = {",
            ) + "[[split]]\nname = \"r\"\nfrom = \"U.raffinate\"\nfractions = { a = 1.0 }\n[[split]]\nname = \"s\"\nfrom = \"U.strip_liquor\"\nfractions = { a = 1.0 }\n",
            ":15:",
            "unit.U.organic_in",
            "no exit",
        ),
        (
            BASE.replace("organic = 8.0", "organic = -8.0"),
            ":15:",
            "unit.U.flows.organic",
            "positive",
        ),
        // a value the cascade schema refuses is named by its key and line,
        // not by the unit at its header (fuzzing: `:11:1: unit.U: invalid
        // type`)
        (
            BASE.replace("scrub = 3,", "scrub = 3.5,"),
            ":13:",
            "unit.U.cascade.scrub: invalid type: floating point `3.5`, expected u32",
            "expected u32",
        ),
        (
            BASE.replace("strip = 2 }", "strip = -2 }"),
            ":13:",
            "unit.U.cascade.strip: invalid value",
            "expected u32",
        ),
    ];
    for (text, line, key, words) in cases {
        let (code, err) = common::simulate_text(&text);
        assert_eq!(code, 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            err.contains(&format!("fs.toml{line}")),
            "line {line}: {err}"
        );
        assert!(err.contains(key), "key {key}: {err}");
        assert!(err.contains(words), "{words}: {err}");
    }
}

#[test]
fn shipped_flowsheets_run_from_the_cli() {
    for f in [
        "models/bayan-obo-linked.toml",
        "models/prnd-mass-action-recycle.toml",
        "models/smeugd-flowsheet.toml",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("f.svg");
        let out = common::sxforge(&["simulate", f, "--json", "--plot", svg.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["converged"], true);
        assert!(v["products"].as_object().unwrap().len() >= 2);
        // a result: no negative amount, no share above the whole (a
        // recovery over 100 % by more than the balance's rounding)
        for (name, p) in v["products"].as_object().unwrap() {
            for key in ["amount", "purity", "recovery"] {
                for x in p[key].as_object().unwrap().values() {
                    let x = x.as_f64().unwrap();
                    assert!(x >= 0.0, "{f}: {name}.{key} {x}");
                    if key != "amount" {
                        assert!(x <= 1.0 + 1e-9, "{f}: {name}.{key} {x}");
                    }
                }
            }
        }
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.contains("stages"));
    }
}

#[test]
fn inlet_compositions_count_in_recoveries_and_balances() {
    let src = r#"
name = "constant-d with metal-carrying inlets"
components = ["A", "B"]
[chemistry]
model = "constant-d"
d = { A = 0.5, B = 3.0 }
[cascade]
extraction = 3
scrub = 2
strip = 2
[feed]
flow = 10.0
concentration = { A = 0.2, B = 0.1 }
[organic]
concentration = { A = 0.01 }
[scrub]
concentration = { B = 0.02 }
[strip]
concentration = { A = 0.005, B = 0.001 }
[flows]
organic = 8.0
scrub = 2.0
strip = 3.0
"#;
    let c = sxforge::model::load::parse_str(src, None).unwrap();
    // inflow = feed + organic + scrub + strip, mol/h
    let want = [
        10.0 * 0.2 + 8.0 * 0.01 + 3.0 * 0.005,
        10.0 * 0.1 + 2.0 * 0.02 + 3.0 * 0.001,
    ];
    for (a, b) in c.inflow_amount().iter().zip(want) {
        assert!(rel(*a, b) < 1e-15, "{a} vs {b}");
    }
    let sol = Solver::new().solve(&c);
    assert!(sol.converged());
    for e in sol.balance_error(&c) {
        assert!(e.abs() < 1e-12, "{e}");
    }
    for i in 0..2 {
        let r: f64 = sol.streams(&c).iter().map(|s| s.recovery[i]).sum();
        assert!((r - 1.0).abs() < 1e-12, "{r}");
    }
    // the separation-factor model has no inlet compositions
    let e = sxforge::model::load::parse_str(
        &std::fs::read_to_string("models/lace.toml")
            .unwrap()
            .replace(
                "[flows]",
                "[organic]\nconcentration = { La = 0.1 }\n[flows]",
            ),
        Some("m.toml".into()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("organic.concentration") && e.contains("m.toml:"),
        "{e}"
    );
}

/// Three mass-action units in a chain, the second (`B`) stopped after one
/// Newton iteration (`solver = { max_iterations = 1 }`), so that `C`,
/// downstream of it, is never solved: a flowsheet that fails in a unit,
/// every time, in milliseconds.
const STOPPED_CHAIN: &str = r#"
name = "three linked units, the second stopped"
components = ["Pr", "Nd"]

[chemistry]
model = "mass-action"
log10_k = { Pr = -1.176, Nd = -1.0 }
a = 3.0
b = 3.0
charge = { Pr = 3, Nd = 3 }
extractant = 1.5
saponification = 0.36
counter_ion = "NH4"
log10_k_ion = -4.0

[[stream]]
name = "liquor"
phase = "aqueous"
flow = 1000.0
concentration = { Pr = 0.25, Nd = 0.75 }
acid = 0.01

[[unit]]
name = "A"
cascade = { extraction = 6, scrub = 6, strip = 2 }
feed = "liquor"
scrub = { acid = 4.2 }
strip = { acid = 6.0 }
flows = { organic = 22700.0, scrub = 2480.0, strip = 800.0 }

[[unit]]
name = "B"
cascade = { extraction = 6, scrub = 6, strip = 2 }
feed = "A.strip_liquor"
scrub = { acid = 4.2 }
strip = { acid = 6.0 }
flows = { organic = 22700.0, scrub = 2480.0, strip = 800.0 }
solver = { max_iterations = 1 }

[[unit]]
name = "C"
cascade = { extraction = 6, scrub = 6, strip = 2 }
feed = "B.strip_liquor"
scrub = { acid = 4.2 }
strip = { acid = 6.0 }
flows = { organic = 22700.0, scrub = 2480.0, strip = 800.0 }
"#;

/// Writes `text` to a temporary flowsheet file and runs `sxforge simulate`
/// on it with `args`: exit code, stdout, stderr.
fn simulate_file(text: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fs.toml");
    std::fs::write(&path, text).unwrap();
    let mut all = vec!["simulate", path.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = common::sxforge(&all);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The text report of an unconverged flowsheet says so on its first line
/// and shows the last iterate as such: no purity or recovery (`-`), no
/// percentage anywhere (recoveries of 532 % and 80,075,801,258 % before).
fn assert_text_withholds(out: &str) {
    let first = out.lines().next().unwrap_or("");
    assert!(first.starts_with("NOT CONVERGED: "), "{out}");
    assert!(
        first.ends_with("the numbers below are the last iterate, not a result"),
        "{first}"
    );
    assert!(
        out.contains(
            "\nLast iterate, NOT a result (negative amounts shown as 0; purity and recovery withheld)\n"
        ),
        "{out}"
    );
    assert!(!out.contains('%'), "{out}");
    let rows: Vec<&str> = out.lines().filter(|l| l.ends_with(" -")).collect();
    assert!(!rows.is_empty(), "{out}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols.len(), 4, "{row}");
        assert_eq!(&cols[2..], ["-", "-"], "{row}");
    }
}

/// The JSON of an unconverged flowsheet, as a single cascade's: `converged:
/// false`, `purity` and `recovery` null with their keys kept (products and
/// units alike), no negative amount, no `reagents`.
fn assert_json_withholds(v: &serde_json::Value) {
    assert_eq!(v["converged"], false, "{v}");
    assert!(v.get("reagents").is_none(), "{v}");
    let products = v["products"].as_object().unwrap();
    assert!(!products.is_empty());
    let unit_streams = v["units"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|u| u["streams"].as_object().unwrap().values());
    for s in products.values().chain(unit_streams) {
        for key in ["purity", "recovery"] {
            let m = s[key].as_object().unwrap();
            assert_eq!(m.len(), 2, "{key}: {s}");
            assert!(m.values().all(|x| x.is_null()), "{key}: {s}");
        }
        let a = s["amount"].as_object().unwrap();
        assert!(
            a.values().all(|x| x.as_f64().is_some_and(|x| x >= 0.0)),
            "{s}"
        );
    }
    for u in v["units"].as_object().unwrap().values() {
        assert!(u.get("reagents").is_none(), "{u}");
    }
}

/// A flowsheet stopped by a unit that did not converge says so first,
/// naming the unit, its residual and the stage and balance where it
/// stalled (not a "change of a recycle" in a file with none), lists the
/// units never solved, and prints no purity or recovery; exit 2.
#[test]
fn unconverged_unit_says_so_first_and_withholds_shares() {
    let (code, out, err) = simulate_file(STOPPED_CHAIN, &[]);
    assert_eq!(code, Some(2), "{err}");
    let first = out.lines().next().unwrap_or("");
    assert!(
        first.starts_with(
            "NOT CONVERGED: unit `B`: the solve did not converge (iteration limit reached) \
             (relative residual "
        ) && first.contains(" at stage "),
        "{first}"
    );
    assert_text_withholds(&out);
    assert!(
        out.contains("NOT converged: stopped in outer iteration 1 at unit `B`"),
        "{out}"
    );
    assert!(!out.contains("change of a recycle"), "{out}");
    assert!(
        out.contains("\nunits not solved (the solve stopped before them): C\n"),
        "{out}"
    );
    assert!(
        err.starts_with("error: ") && err.contains("unit `B`: the solve did not converge"),
        "{err}"
    );
    let (code, out, _) = simulate_file(STOPPED_CHAIN, &["--json"]);
    assert_eq!(code, Some(2));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_json_withholds(&v);
    // `worst` says where, as a single cascade's does, and which unit
    assert_eq!(v["worst"]["unit"], "B", "{}", v["worst"]);
    assert!(v["worst"]["stage"].as_u64().is_some_and(|s| s >= 1));
    assert!(v["worst"]["quantity"].is_string());
    assert_eq!(v["worst"]["residual"], v["residual"]);
    // `A` converged on its feed, but is part of the iterate all the same
    assert_eq!(v["units"]["A"]["converged"], true);
    assert_eq!(v["units"]["B"]["converged"], false);
    assert!(v["units"].get("C").is_none());
}

/// A recycle that has not settled says so first, naming the recycle and
/// its change, with the same withheld table and JSON; the diagram is
/// marked as the last iterate and gives its streams no shares.
#[test]
fn unconverged_recycle_says_so_first_and_withholds_shares() {
    let text = format!("{}[solver]\nmax_iterations = 1\n", loop_file(true, 0.2));
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("f.svg");
    let (code, out, err) = simulate_file(&text, &["--plot", svg.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    let first = out.lines().next().unwrap_or("");
    assert!(
        first.starts_with(
            "NOT CONVERGED: the recycle iteration did not converge in 1 iterations \
             (largest relative change "
        ) && first.contains("of the recycle `U.stripped_organic`"),
        "{first}"
    );
    assert_text_withholds(&out);
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("NOT CONVERGED, last iterate"), "{drawn}");
    // the unit's streams are labelled as the iterate, without shares (the
    // external feed, given, keeps its composition)
    let labels: Vec<&str> = drawn
        .lines()
        .filter(|l| l.contains(">U.") || l.contains("product U."))
        .collect();
    assert_eq!(labels.len(), 3, "{drawn}");
    for l in labels {
        assert!(l.contains("last iterate") && !l.contains('%'), "{l}");
    }
    let (code, out, _) = simulate_file(&text, &["--json"]);
    assert_eq!(code, Some(2));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_json_withholds(&v);
    assert_eq!(v["worst"]["recycle"], "U.stripped_organic");
    assert_eq!(v["worst"]["residual"], v["residual"]);
    assert!(v["residual"].as_f64().is_some_and(|r| r > 1e-12));
}
