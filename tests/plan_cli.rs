//! `sxforge plan` through the binary: shipped models, output formats,
//! overrides, infeasible plans and bad input (exit 1, a clear message, never
//! a panic).

mod plan_support;

use plan_support::hand_plan;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sxforge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(args)
        .output()
        .expect("run sxforge")
}

fn model(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn shipped_models_solve() {
    for m in ["alliance-2026.toml", "plan-didactic.toml"] {
        let o = sxforge(&["plan", &model(m)]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{m}: {err}");
        assert!(out.contains("Status: optimal"), "{out}");
        let o = sxforge(&["plan", &model(m), "--compare"]);
        assert_eq!(o.status.code(), Some(0), "{m} --compare: {}", text(&o).1);
    }
}

#[test]
fn json_has_the_contract_keys() {
    let o = sxforge(&["plan", &model("plan-didactic.toml"), "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in [
        "status",
        "objective",
        "build",
        "flows",
        "imports",
        "served",
        "prices",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["status"], "optimal");
    assert!((v["objective"].as_f64().unwrap() - 2_340_000.0).abs() < 1e-3);
    assert!((v["build"]["Plant"].as_f64().unwrap() - 437.5).abs() < 1e-6);
    assert!((v["prices"]["Home"]["Nd"].as_f64().unwrap() - 19_000.0).abs() < 1e-3);
    assert!((v["served"]["Home"]["Nd"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!(
        (v["shadow_prices"]["refinery_capacity"]["Plant"]
            .as_f64()
            .unwrap()
            - 1000.0)
            .abs()
            < 1e-3
    );
    assert_eq!(v["flows"]["feed"][0]["source"], "Mine");
}

#[test]
fn set_overrides_and_scenarios_change_the_answer() {
    let o = sxforge(&[
        "plan",
        &model("plan-didactic.toml"),
        "--json",
        "--set",
        "refinery.Plant.max_new=0",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!((v["objective"].as_f64().unwrap() - 2_410_000.0).abs() < 1e-3);
    assert!((v["imports"]["Abroad"]["Nd"].as_f64().unwrap() - 70.0).abs() < 1e-6);
    assert!((v["prices"]["Home"]["Nd"].as_f64().unwrap() - 20_000.0).abs() < 1e-3);

    let o = sxforge(&[
        "plan",
        &model("plan-didactic.toml"),
        "--json",
        "--scenario",
        "no-build-no-import",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!((v["objective"].as_f64().unwrap() - 4_510_000.0).abs() < 1e-3);
    assert!((v["served"]["Home"]["Nd"].as_f64().unwrap() - 80.0 / 150.0).abs() < 1e-9);

    let o = sxforge(&["plan", &model("alliance-2026.toml"), "--compare", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let runs = v["scenarios"].as_array().unwrap();
    assert_eq!(runs[0]["scenario"], "base");
    let base = runs[0]["objective"].as_f64().unwrap();
    let ban = runs.iter().find(|r| r["scenario"] == "heavy-ban").unwrap();
    assert!(ban["objective"].as_f64().unwrap() > base);
    assert_eq!(ban["imports"]["China"]["Dy"].as_f64().unwrap(), 0.0);
}

#[test]
fn unknown_set_paths_are_errors() {
    for (set, needle) in [
        ("refinery.Nowhere.capex=1", "no entry named \"Nowhere\""),
        ("policy.budgt=1", "budgt"),
        ("policy.discount_rate.x=1", "has no key"),
        ("nonsense", "PATH=VALUE"),
        ("policy.discount_rate=2", "discount rate in (-1, 1)"),
    ] {
        let o = sxforge(&["plan", &model("plan-didactic.toml"), "--set", set]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "--set {set}: {err}");
        assert!(err.contains(needle), "--set {set}: {err}");
        assert!(err.contains("--set"), "--set {set} should be named: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn csv_file_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.csv");
    let o = sxforge(&[
        "plan",
        &model("plan-didactic.toml"),
        "--csv",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(csv.starts_with("scenario,table,from,to,element,value\n"));
    assert!(csv.contains("base,build,Plant,Home,,437.5"), "{csv}");
    assert!(csv.contains("base,price,,Home,Nd,19000\n"), "{csv}");
    let sub = dir.path().join("tables/");
    let o = sxforge(&[
        "plan",
        &model("plan-didactic.toml"),
        "--compare",
        "--csv",
        &format!("{}/", sub.display()),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let build = std::fs::read_to_string(sub.join("build.csv")).unwrap();
    assert!(build.contains("no-build,Plant,Home,,0"), "{build}");
}

#[test]
fn infeasible_plans_name_the_conflict() {
    let dir = tempfile::tempdir().unwrap();
    // No unmet demand allowed, no new capacity, import capped at 50: 50 t of
    // Nd cannot be supplied.
    let t = hand_plan(0.0, 50.0, "").replace("unmet_penalty = 5000", "");
    let p = write(&dir, "tight.toml", &t);
    let o = sxforge(&["plan", p.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(out.contains("INFEASIBLE"), "{out}");
    // Each single relaxation, in its own units.
    assert!(
        out.contains("raise the capacity of imports of Nd from \"B\" by 250 t/yr (from 50 t)"),
        "{out}"
    );
    assert!(
        out.contains("lower the demand of A for Nd by 250 t/yr (from 500 t)"),
        "{out}"
    );
    let o = sxforge(&["plan", p.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "infeasible");
    assert!(!v["diagnosis"]["conflicts"].as_array().unwrap().is_empty());

    // A zero Nd import share with no way to refine enough: the share cap and
    // the plant conflict, and the per-element bound says by how much.
    let t = hand_plan(0.0, 300.0, "max_import_share = 0")
        .replace("unmet_penalty = 5000", "")
        .replace("capacity = 10000", "capacity = 500");
    let p = write(&dir, "share.toml", &t);
    let o = sxforge(&["plan", p.to_str().unwrap()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        out.contains("Nd: demand is 500 t/yr but sources carry at most 250 t after recovery"),
        "{out}"
    );
    assert!(
        out.contains("raise policy.max_import_share for Nd"),
        "{out}"
    );
}

/// Each bad input: exit 1, the message names the file, the line, the key,
/// and says what was expected.
#[test]
fn bad_input_is_reported_not_panicked() {
    let base = hand_plan(1000.0, 300.0, "");
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "unknown region",
            base.replace(
                "region = \"A\"\ncapacity",
                "region = \"Atlantis\"\ncapacity",
            ),
            vec![
                "source[0].region",
                "\"Atlantis\"",
                "one of the [[region]] names",
                "@Atlantis",
            ],
        ),
        (
            "unknown element",
            base.replace("assay = { Nd = 0.5 }", "assay = { Nd = 0.5, Xx = 0.1 }"),
            vec!["source[0].assay.Xx", "one of the plan's elements"],
        ),
        (
            "assay sum",
            base.replace("assay = { Nd = 0.5 }", "assay = { Nd = 0.7 }")
                .replace("elements = [\"Nd\"]", "elements = [\"Nd\", \"La\"]")
                .replace("{ Nd = 0.7 }", "{ Nd = 0.7, La = 0.6 }"),
            vec!["source[0].assay", "sum to at most 1"],
        ),
        (
            "negative capacity",
            base.replace("capacity = 10000", "capacity = -5"),
            vec![
                "source[0].capacity",
                "= -5",
                "non-negative",
                "@capacity = -5",
            ],
        ),
        (
            "negative cost",
            base.replace("opex = 200", "opex = -1"),
            vec!["refinery[0].opex", "non-negative"],
        ),
        (
            "demand no source carries",
            base.replace("elements = [\"Nd\"]", "elements = [\"Nd\", \"Dy\"]")
                .replace(
                    "element = \"Nd\"\namount = 500",
                    "element = \"Dy\"\namount = 5",
                ),
            vec![
                "demand[0].element",
                "\"Dy\"",
                "no source's assay carries it and no import offers it",
            ],
        ),
        (
            "discount rate",
            base.replace("discount_rate = 0.0", "discount_rate = 1.5"),
            vec!["policy.discount_rate", "= 1.5", "(-1, 1)"],
        ),
        (
            "duplicate region",
            base.replace("name = \"B\"", "name = \"A\""),
            vec!["region[1].name", "unique region names"],
        ),
        (
            "duplicate refinery",
            base.replace("name = \"R2\"", "name = \"R1\""),
            vec!["refinery[1].name", "unique refinery names"],
        ),
        (
            "unknown key",
            base.replace("opex = 200", "opex = 200\nopx = 3"),
            vec!["unknown field `opx`", "refinery[0].opx", "@opx"],
        ),
        (
            "wrong type",
            base.replace("cost = 100", "cost = \"cheap\""),
            vec!["source[0].cost", "@cheap"],
        ),
        (
            "syntax",
            base.replace("cost = 100", "cost = = 100"),
            vec!["@= ="],
        ),
        (
            "recovery",
            base.replace(
                "recovery = 1.0\n\n[[refinery]]",
                "recovery = 1.5\n\n[[refinery]]",
            ),
            vec!["refinery[0].recovery", "(0, 1]"],
        ),
        (
            "allied import",
            base.replace("allied = false", "allied = true"),
            vec!["import[0].region", "not allied"],
        ),
        (
            "share out of range",
            hand_plan(1000.0, 300.0, "max_import_share = { Nd = 1.2 }"),
            vec!["policy.max_import_share.Nd", "[0, 1]"],
        ),
        (
            "missing lifetime",
            base.replace("lifetime = 10\n", ""),
            vec!["refinery[1].lifetime", "(missing)"],
        ),
        (
            "nan",
            base.replace("cost = 100", "cost = nan"),
            vec!["source[0].cost", "nan"],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, text_in, mut needles) in cases {
        // `@marker` needles: the line that contains the marker must be named.
        let mut owned = Vec::new();
        needles.retain(|n| {
            if let Some(marker) = n.strip_prefix('@') {
                let line = text_in
                    .lines()
                    .position(|l| l.contains(marker))
                    .expect("marker")
                    + 1;
                owned.push(format!("bad.toml:{line}:"));
                false
            } else {
                true
            }
        });
        let p = write(&dir, "bad.toml", &text_in);
        let o = sxforge(&["plan", p.to_str().unwrap()]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("bad.toml"), "{name}: file not named: {err}");
        for n in needles
            .iter()
            .copied()
            .chain(owned.iter().map(String::as_str))
        {
            assert!(err.contains(n), "{name}: `{n}` not in: {err}");
        }
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let o = sxforge(&["plan", "/nonexistent/plan.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("cannot read"));
}

/// Every number under `v` with its JSON path.
fn numbers(v: &serde_json::Value, path: &str, out: &mut Vec<(String, f64)>) {
    match v {
        serde_json::Value::Number(n) => out.push((path.to_string(), n.as_f64().unwrap())),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                numbers(x, &format!("{path}/{i}"), out);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                numbers(x, &format!("{path}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// Clarabel's interior-point optimum grazes its bounds by its tolerance
/// times the plan's scale (a flow of -2.2e-7 t in a plan of 3e4 t/yr): the
/// shipped scenarios that used to fail its own check solve, agree with the
/// default backend, and report no negative tonnage.
#[test]
fn clarabel_solves_the_shipped_scenarios_without_negative_flows() {
    let runs = [
        ("alliance-2026.toml", vec!["--scenario", "full-ban"]),
        ("alliance-2026-process.toml", vec!["--compare"]),
    ];
    for (m, extra) in runs {
        let mut args = vec!["plan", "--json", "--solver", "clarabel"];
        let path = model(m);
        args.insert(1, &path);
        args.extend(extra.iter().copied());
        let o = sxforge(&args);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}\n{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let scenarios = match v.get("scenarios") {
            Some(s) => s.as_array().unwrap().clone(),
            None => vec![v],
        };
        for s in &scenarios {
            assert_eq!(s["status"], "optimal", "{m} {}", s["scenario"]);
            let mut all = Vec::new();
            for key in ["build", "flows", "imports", "surplus", "served", "unmet"] {
                numbers(&s[key], key, &mut all);
            }
            let negative: Vec<_> = all.iter().filter(|(_, x)| *x < 0.0).collect();
            assert!(negative.is_empty(), "{m} {}: {negative:?}", s["scenario"]);
        }
    }
    // The same optimum and prices as the default path.
    let full_ban = |solver: &str| -> serde_json::Value {
        let o = sxforge(&[
            "plan",
            &model("alliance-2026.toml"),
            "--scenario",
            "full-ban",
            "--json",
            "--solver",
            solver,
        ]);
        assert_eq!(o.status.code(), Some(0), "{solver}: {}", text(&o).1);
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let (a, c) = (full_ban("auto"), full_ban("clarabel"));
    let (oa, oc) = (
        a["objective"].as_f64().unwrap(),
        c["objective"].as_f64().unwrap(),
    );
    assert!((oa - oc).abs() <= 1e-8 * oa.abs(), "objective {oa} vs {oc}");
    let (mut pa, mut pc) = (Vec::new(), Vec::new());
    numbers(&a["prices"], "prices", &mut pa);
    numbers(&c["prices"], "prices", &mut pc);
    assert_eq!(pa.len(), pc.len());
    assert!(pa.len() >= 20, "{pa:?}");
    for ((p, x), (_, y)) in pa.iter().zip(&pc) {
        assert!((x - y).abs() <= 1e-6 * x.abs().max(1.0), "{p}: {x} vs {y}");
    }
}

/// A backend this build lacks is a usage error (exit 1, one `error:` line
/// naming the option, its value and what is available, nothing on stdout),
/// found before anything is solved, for one-year and horizon plans alike; a
/// plan file asking for it is bad input at its line.
#[cfg(not(feature = "highs"))]
#[test]
fn a_backend_not_built_in_is_a_usage_error() {
    for m in ["plan-didactic.toml", "alliance-2026-2040.toml"] {
        for extra in [&[][..], &["--compare"][..]] {
            let mut args = vec![
                "plan".to_string(),
                model(m),
                "--solver".into(),
                "highs".into(),
            ];
            args.extend(extra.iter().map(|s| s.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = sxforge(&args);
            let (out, err) = text(&o);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
            assert!(out.is_empty(), "{args:?}: nothing on stdout: {out}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(
                err.starts_with("error: --solver highs: this sxforge was built without HiGHS")
                    && err.contains("--features highs")
                    && err.contains("available: auto, clarabel, microlp"),
                "{args:?}: {err}"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let text_in = std::fs::read_to_string(model("plan-didactic.toml")).unwrap()
        + "\n[solver]\nbackend = \"highs\"\n";
    let p = write(&dir, "highs.toml", &text_in);
    let line = text_in.lines().count();
    let o = sxforge(&["plan", p.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!("highs.toml:{line}:"))
            && err.contains("solver.backend = \"highs\"")
            && err.contains("without HiGHS"),
        "{err}"
    );
}

/// Several `--set` that break the schema: each is named with the key it
/// sets, its value and what was expected (an unknown key by its name), not
/// a list of every `--set` followed by one anonymous complaint.
#[test]
fn each_set_that_breaks_the_schema_is_named() {
    let o = sxforge(&[
        "plan",
        &model("alliance-2026.toml"),
        "--set",
        "refinery.\"Iluka Eneabba\".max_new=abc",
        "--set",
        "policy.budget=1e9",
        "--set",
        "x.y=-inf",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines.iter().all(|l| l.starts_with("error: ")), "{err}");
    let max_new = lines
        .iter()
        .find(|l| l.contains("max_new"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        max_new.contains("alliance-2026.toml")
            && max_new.contains("max_new = \"abc\"")
            && max_new.contains("expected f64")
            && max_new.contains("--set refinery.\"Iluka Eneabba\".max_new=abc")
            && !max_new.contains("x.y"),
        "{err}"
    );
    let unknown = lines
        .iter()
        .find(|l| l.contains("x.y"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        unknown.contains("x.y = -inf")
            && unknown.contains("unknown field `x`")
            && unknown.contains("--set x.y=-inf")
            && !unknown.contains("abc"),
        "{err}"
    );
    // The good override is no one's culprit.
    assert!(!err.contains("budget"), "{err}");
}
