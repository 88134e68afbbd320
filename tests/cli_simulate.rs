//! `sxforge simulate` end to end: output contract, exit codes, and a clear
//! error (file, line, key) for every kind of bad input.

mod common;

use std::path::Path;
use std::process::Output;

use common::{sxforge, PRND as GOOD};

/// Writes `text` to a temporary model file and runs `simulate` on it.
fn run_model(text: &str) -> (Output, tempfile::TempDir) {
    run_model_with(text, &[])
}

/// [`run_model`] with `args` after the model file.
fn run_model_with(text: &str, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.toml");
    std::fs::write(&path, text).unwrap();
    let mut all = vec!["simulate", path.to_str().unwrap()];
    all.extend_from_slice(args);
    (sxforge(&all), dir)
}

/// Runs `simulate --json` on `text`, asserts exit 0 (with stderr
/// printed otherwise) and returns the parsed JSON.
fn solved_json(text: &str) -> serde_json::Value {
    let out = simulate_json(text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `simulate FILE --json` on the model `text`, written to a file of its
/// own.
fn simulate_json(text: &str) -> std::process::Output {
    run_model_with(text, &["--json"]).0
}

/// `simulate --json` on a model whose solve does not converge: exit 2 with
/// the JSON on stdout, `converged` false.
fn unsolved_json(text: &str) -> serde_json::Value {
    let out = simulate_json(text);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["converged"], false);
    v
}

/// A stage's aqueous and organic concentrations (mol/L) of `metal`, read
/// from its `--json` stage record.
fn phases(stage: &serde_json::Value, metal: &str) -> (f64, f64) {
    let read = |phase: &str| stage[phase][metal].as_f64().unwrap();
    (read("aqueous"), read("organic"))
}

/// Every component's whole-cascade balance in a `--json` result within
/// 1e-10.
fn assert_balances_close(v: &serde_json::Value) {
    for (metal, e) in v["balance_error"].as_object().unwrap() {
        let e = e.as_f64().unwrap();
        assert!(e.abs() < 1e-10, "{metal}: balance {e}");
    }
}

/// `simulate --json` on the model `text`: converged within
/// `max_iterations`, every whole-cascade balance closed
/// ([`assert_balances_close`]) and `n` stage records, which it returns.
fn converged_within(text: &str, max_iterations: u64, n: usize) -> Vec<serde_json::Value> {
    let v = converged_json_within(text, max_iterations, n);
    v["stages"].as_array().unwrap().clone()
}

/// The `--json` result of [`converged_within`]'s checks, whole.
fn converged_json_within(text: &str, max_iterations: u64, n: usize) -> serde_json::Value {
    let v = solved_json(text);
    assert_eq!(v["converged"], true);
    let it = v["iterations"].as_u64().unwrap();
    assert!(it <= max_iterations, "{it} iterations");
    assert_balances_close(&v);
    assert_eq!(v["stages"].as_array().unwrap().len(), n);
    v
}

/// The amount (mol/h) of `metal` in `stream` of a `--json` result.
fn stream_amount(v: &serde_json::Value, stream: &str, metal: &str) -> f64 {
    v["streams"][stream]["amount"][metal].as_f64().unwrap()
}

/// `metal`'s amount (mol/h) in `stream` of a `--json` result within 1e-9
/// of `expected`, relative.
fn assert_stream_amount(v: &serde_json::Value, stream: &str, metal: &str, expected: f64) {
    let x = stream_amount(v, stream, metal);
    assert!(
        (x / expected - 1.0).abs() < 1e-9,
        "{metal} in the {stream}: {x} against {expected}"
    );
}

/// `metal` balanced over stage `j` within 1e-10: the aqueous of stage
/// `j + 1` and the organic of stage `j - 1` in at the flows `(aqueous,
/// organic)`, its own two phases out.
fn assert_stage_balanced(
    stages: &[serde_json::Value],
    j: usize,
    metal: &str,
    (aqueous, organic): (f64, f64),
) {
    let (_, y_below) = phases(&stages[j - 1], metal);
    let (x_above, _) = phases(&stages[j + 1], metal);
    let (x, y) = phases(&stages[j], metal);
    let inflow = aqueous * x_above + organic * y_below;
    let outflow = aqueous * x + organic * y;
    assert!(
        (inflow / outflow - 1.0).abs() < 1e-10,
        "stage {j} {metal}: in {inflow}, out {outflow}"
    );
}

/// `metal` held at more than `times` its feed concentration `feed` at
/// each stage of `at`, balanced there ([`assert_stage_balanced`] at the
/// flows `(aqueous, organic)`) and on its log-linear fit `log10 D = (m0 +
/// m1 dose) pH + b0 + b1 log10(dose)` within 1e-9, the dose the stage's
/// free extractant in volume % (0.0302 mol/L per %).
fn assert_held_on_fit(
    stages: &[serde_json::Value],
    (metal, feed, times): (&str, f64, f64),
    at: &[usize],
    flows: (f64, f64),
    [m0, m1, b0, b1]: [f64; 4],
) {
    for &j in at {
        let (x, y) = phases(&stages[j], metal);
        assert!(x > times * feed, "stage {j}: {metal} {x}");
        assert_stage_balanced(stages, j, metal, flows);
        let ph = stages[j]["ph"].as_f64().unwrap();
        let dose = stages[j]["free_extractant"].as_f64().unwrap() / 0.0302;
        let law = (m0 + m1 * dose) * ph + b0 + b1 * dose.log10();
        let d = (y / x).log10();
        assert!((d - law).abs() < 1e-9, "stage {j}: log10 D {d}, fit {law}");
    }
}

/// `metal` on its mass-action law with `a = b = 3` in a stage's `--json`
/// record, `D = K [(HA)2]^3 / [H+]^3` with `log10 K = log10_k`, within
/// 1e-9 relative (the dimer is half the free extractant).
fn assert_on_mass_action_law(stage: &serde_json::Value, metal: &str, log10_k: f64) {
    let (x, y) = phases(stage, metal);
    let dimer = stage["free_extractant"].as_f64().unwrap() / 2.0;
    let h = stage["acid"].as_f64().unwrap();
    let law = 10f64.powf(log10_k) * dimer.powi(3) / h.powi(3);
    assert!(
        (y / x / law - 1.0).abs() < 1e-9,
        "stage {}: {metal} D {} against {law}",
        stage["stage"],
        y / x
    );
}

/// `metal` on its log-linear fit `(m0, m1, b0, b1)` in a stage's `--json`
/// record, within 1e-9 in `log10 D`, the dose read from the stage's free
/// extractant at 0.0302 mol/L a volume percent.
fn assert_on_fit(stage: &serde_json::Value, metal: &str, (m0, m1, b0, b1): (f64, f64, f64, f64)) {
    let (x, y) = phases(stage, metal);
    let ph = stage["ph"].as_f64().unwrap();
    let dose = stage["free_extractant"].as_f64().unwrap() / 0.0302;
    let fit = (m0 + m1 * dose) * ph + b0 + b1 * dose.log10();
    assert!(
        ((y / x).log10() - fit).abs() < 1e-9,
        "{metal}: {} against {fit}",
        (y / x).log10()
    );
}

/// Runs a broken variant of GOOD and checks the one-line error.
fn bad(text: &str, line: usize, key: &str, words: &str) {
    let (out, _dir) = run_model(text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(
        out.stdout.is_empty(),
        "no partial output: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&format!("model.toml:{line}:")),
        "line {line} in: {err}"
    );
    assert!(err.contains(key), "key {key} in: {err}");
    assert!(err.contains(words), "`{words}` in: {err}");
}

#[test]
fn default_model_runs_and_reports() {
    let out = sxforge(&["simulate", common::model("prnd.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // the exact marched start of a two-component cascade: no Newton step
    assert!(
        text.contains("converged at the start, with no Newton iteration needed;"),
        "{text}"
    );
    assert!(text.contains("raffinate"));
    assert!(text.contains("loaded_organic"));
    assert!(text.contains("99.484503 %"), "{text}");
}

#[test]
fn json_follows_the_result_contract() {
    let out = sxforge(&[
        "simulate",
        common::model("prnd.toml").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "Pr/Nd split, P507-HCl");
    assert_eq!(v["components"], serde_json::json!(["Pr", "Nd"]));
    assert_eq!(v["converged"], true);
    // the two-component start is the exact profile: converged at the
    // first evaluation
    assert_eq!(v["iterations"].as_u64(), Some(0));
    assert!(v["residual"].as_f64().unwrap() < 1e-12);
    let raff = &v["streams"]["raffinate"];
    assert_eq!(raff["phase"], "aqueous");
    assert_eq!(raff["stage"], 1);
    let pr = raff["amount"]["Pr"].as_f64().unwrap();
    let nd = raff["amount"]["Nd"].as_f64().unwrap();
    assert!((raff["purity"]["Pr"].as_f64().unwrap() - pr / (pr + nd)).abs() < 1e-15);
    assert!((raff["recovery"]["Pr"].as_f64().unwrap() - pr / 0.25).abs() < 1e-15);
    let org = &v["streams"]["loaded_organic"];
    assert_eq!(org["phase"], "organic");
    assert_eq!(org["stage"], 37);
    // the recoveries of each component over both products add up to one
    let total = org["recovery"]["Nd"].as_f64().unwrap() + raff["recovery"]["Nd"].as_f64().unwrap();
    assert!((total - 1.0).abs() < 1e-12);
    let stages = v["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 37);
    assert_eq!(stages[0]["section"], "extraction");
    assert_eq!(stages[36]["section"], "scrub");
    assert_eq!(stages[0]["aqueous"]["Pr"], raff["amount"]["Pr"]);
}

#[test]
fn volumetric_json_has_concentrations_and_strip_streams() {
    let out = sxforge(&[
        "simulate",
        common::model("constant-d-strip.toml").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["streams"];
    for name in ["raffinate", "strip_liquor", "stripped_organic"] {
        assert!(s[name].is_object(), "{name}");
    }
    assert!(s["loaded_organic"].is_null());
    let liquor = &s["strip_liquor"];
    assert_eq!(liquor["stage"], 21);
    let amount = liquor["amount"]["A"].as_f64().unwrap();
    let conc = liquor["concentration"]["A"].as_f64().unwrap();
    assert!((amount / conc - 10.0).abs() < 1e-12, "strip flow 10 L/h");
}

#[test]
fn profile_csv_and_rows_method() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("p.csv");
    let out = sxforge(&[
        "simulate",
        common::model("lace.toml").to_str().unwrap(),
        "--method",
        "rows",
        "--profile",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rows of start-up"), "{text}");
    let profile = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = profile.lines().collect();
    assert_eq!(
        lines[0],
        "stage,section,aqueous_La,aqueous_Ce,organic_La,organic_Ce"
    );
    assert_eq!(lines.len(), 1 + 17);
    assert!(lines[17].starts_with("17,scrub,"));
}

#[test]
fn rows_is_refused_for_volumetric_models() {
    let out = sxforge(&[
        "simulate",
        common::model("constant-d-strip.toml").to_str().unwrap(),
        "--method",
        "rows",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("separation-factor"));
}

/// `--method start-up` on the shipped log-linear model: the start-up
/// dynamics from empty stages reach Newton's steady state (36 iterations
/// against 13), and the report says how it was found.
#[test]
fn start_up_method_reaches_the_newton_steady_state() {
    let model = common::model("d2ehpa-sulfate.toml");
    let model = model.to_str().unwrap();
    let json = |method: &str| {
        let out = sxforge(&["simulate", model, "--json", "--method", method]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (newton, up) = (json("newton"), json("start-up"));
    assert_eq!(up["method"], "start-up");
    assert_eq!(newton["method"], "newton");
    let (a, b) = (
        newton["iterations"].as_u64().unwrap(),
        up["iterations"].as_u64().unwrap(),
    );
    assert!(b > 2 * a, "start-up {b} against Newton {a} iterations");
    let streams = newton["streams"].as_object().unwrap();
    assert!(!streams.is_empty());
    for (name, s) in streams {
        let amounts = s["amount"].as_object().unwrap();
        let total: f64 = amounts.values().map(|v| v.as_f64().unwrap()).sum();
        for (k, v) in amounts {
            let (x, y) = (
                v.as_f64().unwrap(),
                up["streams"][name]["amount"][k].as_f64().unwrap(),
            );
            assert!((x - y).abs() <= 1e-10 * total, "{name} {k}: {x} vs {y}");
        }
    }
    let out = sxforge(&["simulate", model, "--method", "start-up"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("converged after")
            && text.contains("iterations of start-up from empty stages"),
        "{text}"
    );
}

/// `--method start-up` needs a rigorous model, and no `--method` but
/// Newton takes a flowsheet (it was ignored there): exit 1, saying why.
#[test]
fn start_up_and_rows_are_refused_where_they_do_not_apply() {
    let cases = [
        (
            "prnd.toml",
            "start-up",
            "needs the mass-action or log-linear model",
        ),
        (
            "smeugd-flowsheet.toml",
            "rows",
            "a flowsheet is solved by Newton only",
        ),
        (
            "smeugd-flowsheet.toml",
            "start-up",
            "a flowsheet is solved by Newton only",
        ),
    ];
    for (model, method, says) in cases {
        let path = common::model(model);
        let out = sxforge(&["simulate", path.to_str().unwrap(), "--method", method]);
        assert_eq!(out.status.code(), Some(1), "{model} {method}");
        assert!(out.stdout.is_empty(), "{model} {method}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.contains(model), "{err}");
    }
}

#[test]
fn non_convergence_exits_2_with_json() {
    // (below the roundoff of the stage balances: the marched start of this
    // two-component cascade meets 1e-14 at once)
    let text = format!("{GOOD}\n[solver]\nmax_iterations = 1\ntolerance = 1e-17\n");
    let out = simulate_json(&text);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["converged"], false);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("did not converge") && err.contains("residual"),
        "{err}"
    );
}

#[test]
fn malformed_toml() {
    bad(
        &GOOD.replace("extraction = 17", "extraction = = 17"),
        9,
        "",
        "extra `=`",
    );
}

#[test]
fn unknown_key() {
    bad(
        &GOOD.replace("scrub = 20", "scrub = 20\nstirp = 4"),
        11,
        "stirp",
        "unknown field",
    );
}

#[test]
fn a_duplicate_key_is_named() {
    // the parser points at the second occurrence and names no key: the
    // message names it with its table (fuzzing found `model.toml:11:1:
    // duplicate key` with no key at all)
    bad(
        &GOOD.replace("scrub = 20", "scrub = 20\nscrub = 21"),
        11,
        "cascade.scrub: duplicate key",
        "duplicate key",
    );
    bad(
        &GOOD.replace("[flows]", "[cascade]\n[flows]"),
        16,
        "cascade: duplicate key",
        "duplicate key",
    );
    let first = GOOD.lines().next().unwrap_or_default();
    bad(
        &format!("{first}\n{GOOD}"),
        2,
        ": name: duplicate key",
        "duplicate key",
    );
}

#[test]
fn a_component_name_that_cannot_be_a_key_is_refused() {
    // `simulate` took them, and a sweep or constraint could not name them
    // (fuzzing: `Nd.x`, `La+Ce`)
    for name in ["Nd.x", "La+Ce", "Pr/Nd", "N d"] {
        let text = GOOD
            .replace("\"Nd\"]", &format!("\"{name}\"]"))
            .replace("Nd = ", &format!("\"{name}\" = "));
        bad(&text, 2, "components", "letters, digits, '_' and '-' only");
    }
}

#[test]
fn missing_section() {
    let text = GOOD.replace(
        "[flows]\nextraction_amount = 4.094\nscrub_amount = 3.3428\n",
        "",
    );
    let (out, _d) = run_model(&text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("model.toml") && err.contains("missing field `flows`"),
        "{err}"
    );
}

#[test]
fn beta_names_an_unknown_component() {
    bad(
        &GOOD.replace(
            "beta = { Pr = 1.0, Nd = 1.5 }",
            "beta = { Pr = 1.0, Nd = 1.5, Sm = 2.0 }",
        ),
        6,
        "chemistry.beta.Sm",
        "not a component",
    );
}

#[test]
fn beta_missing_a_component() {
    bad(
        &GOOD.replace("beta = { Pr = 1.0, Nd = 1.5 }", "beta = { Pr = 1.0 }"),
        6,
        "chemistry.beta",
        "missing a value for component `Nd`",
    );
}

#[test]
fn beta_not_positive() {
    bad(
        &GOOD.replace("Nd = 1.5 }", "Nd = 0.0 }"),
        6,
        "chemistry.beta.Nd = 0",
        "positive",
    );
    bad(
        &GOOD.replace("Nd = 1.5 }", "Nd = -2 }"),
        6,
        "chemistry.beta.Nd = -2",
        "positive",
    );
}

#[test]
fn negative_or_zero_flows() {
    bad(
        &GOOD.replace("extraction_amount = 4.094", "extraction_amount = -4.0"),
        17,
        "flows.extraction_amount = -4",
        "positive",
    );
    bad(
        &GOOD.replace("scrub_amount = 3.3428", "scrub_amount = 0.0"),
        18,
        "flows.scrub_amount = 0",
        "positive",
    );
    bad(
        &GOOD.replace("Nd = 0.75 }", "Nd = -0.75 }"),
        14,
        "feed.amount.Nd = -0.75",
        "non-negative",
    );
}

#[test]
fn flows_that_leave_no_product() {
    // S <= W: the loaded organic would carry nothing
    bad(
        &GOOD.replace("scrub_amount = 3.3428", "scrub_amount = 4.094"),
        18,
        "flows.scrub_amount",
        "0 < S - W < F",
    );
    // S - W >= F: the raffinate would carry nothing
    bad(
        &GOOD.replace("scrub_amount = 3.3428", "scrub_amount = 3.0"),
        18,
        "flows.scrub_amount",
        "raffinate would carry no RE",
    );
}

#[test]
fn organic_feed_needs_w_above_s() {
    let text = GOOD.replace("phase = \"aqueous\"", "phase = \"organic\"");
    bad(&text, 18, "flows.scrub_amount", "0 < W - S < F");
}

#[test]
fn too_many_components() {
    let names: Vec<String> = (0..31).map(|i| format!("\"E{i}\"")).collect();
    let text = GOOD.replace(
        "components = [\"Pr\", \"Nd\"]",
        &format!("components = [{}]", names.join(", ")),
    );
    bad(&text, 2, "components = 31", "at most 30");
}

#[test]
fn empty_cascade() {
    bad(
        &GOOD.replace("extraction = 17\nscrub = 20", "extraction = 0\nscrub = 0"),
        9,
        "cascade.extraction = 0",
        "at least one extraction stage",
    );
}

#[test]
fn wrong_type_and_unknown_model() {
    bad(
        &GOOD.replace("extraction = 17", "extraction = \"seventeen\""),
        9,
        "cascade.extraction",
        "invalid type",
    );
    bad(
        &GOOD.replace("\"separation-factor\"", "\"magic\""),
        5,
        "chemistry.model",
        "unknown model",
    );
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let out = sxforge(&["simulate", "no/such/model.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/model.toml"), "{err}");
}

#[test]
fn every_shipped_model_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue; // models/cost/: cost files, run under `sxforge cost`
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("[[region]]") || text.contains("[[refinery]]") {
            continue; // capacity plans run under `sxforge plan`
        }
        let out = sxforge(&["simulate", path.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        n += 1;
    }
    assert!(n >= 6);
}

/// Three bad values: three located errors, one per line, in file order,
/// each with file:line:column, key, value and expectation; exit 1.
#[test]
fn every_bad_value_is_reported() {
    let text = GOOD
        .replace("beta = { Pr = 1.0,", "beta = { Pr = -1.0,")
        .replace("Nd = 0.75 }", "Nd = -0.75 }")
        .replace("extraction_amount = 4.094", "extraction_amount = -4.094");
    let (out, dir) = run_model(&text);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let file = dir.path().join("model.toml");
    let file = file.display();
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            format!("error: {file}:6:15: chemistry.beta.Pr = -1: expected a positive relative extractability (beta > 0)"),
            format!("error: {file}:14:28: feed.amount.Nd = -0.75: expected a non-negative feed amount"),
            format!("error: {file}:17:21: flows.extraction_amount = -4.094: expected a positive extraction amount S"),
        ]
    );
}

/// The model's schema entry decides which keys it takes: keys of another
/// model are each reported, naming the keys this one takes.
#[test]
fn keys_of_another_model_are_each_reported() {
    let text = GOOD
        .replace("[chemistry]", "[chemistry]\nd = { Pr = 1.0, Nd = 2.0 }")
        .replace("[feed]", "[feed]\nacid = 0.1");
    let e = sxforge::model::load::parse_str(&text, None).unwrap_err();
    let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["chemistry.d", "feed.acid"]);
    for e in e.iter() {
        assert!(
            e.message.starts_with(
                "not a parameter of the `separation-factor` model (the `separation-factor` model takes chemistry.beta)"
            ),
            "{e}"
        );
    }
    // located: `d` is on line 5, `acid` on line 14
    let lines: Vec<Option<u32>> = e.iter().map(|e| e.location.line).collect();
    assert_eq!(lines, [Some(5), Some(14)]);
}

/// A specification built in code is checked as a whole too, solver
/// settings included, and the settings can change without a rebuild.
#[test]
fn code_built_spec_reports_every_problem() {
    let mut spec = sxforge::CascadeSpec::separation_factor("t", &["A", "B"], &[1.0, f64::NAN])
        .with_stages(3, 2, 0)
        .with_feed_amounts(&[0.5, 0.5])
        .with_amounts(1.0, 0.5);
    spec.solver.tolerance = f64::NAN;
    spec.feed.flow = Some(1.0);
    let e = spec.clone().validate().unwrap_err();
    let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["solver.tolerance", "feed.flow", "chemistry.beta.B"]);
    // build() answers with the first of them
    assert_eq!(spec.build().unwrap_err().key, "solver.tolerance");
}

/// A check of the stage equations from the JSON alone needs the free
/// extractant and the counter-ion of every stage (the exchangeable-hydrogen
/// balance cannot give them where an organic feed or a metal-carrying
/// organic enters): the mass-action JSON carries `acid`,
/// `free_extractant`, `counter_ion` and `organic_counter_ion` per stage,
/// and with them every stage meets its equilibria and extractant balance
/// (docs/chemistry.md).
#[test]
fn json_stages_carry_what_a_mass_action_check_needs() {
    let out = sxforge(&[
        "simulate",
        common::model("p507-prnd-industrial.toml").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // the model's constants: log10 K Pr -1.176, Nd -1.0; a = b = 3;
    // charge 3; C = 1.5; NH4 with log10 K_N = -4
    let lk = [("Pr", -1.176), ("Nd", -1.0)];
    let stages = v["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 148);
    for s in stages {
        let f = |k: &str| {
            s[k].as_f64()
                .unwrap_or_else(|| panic!("stage {} has no {k}: {s}", s["stage"]))
        };
        let (h, free, ion, org_ion) = (
            f("acid"),
            f("free_extractant"),
            f("counter_ion"),
            f("organic_counter_ion"),
        );
        assert!((h.log10() + f("ph")).abs() < 1e-12, "{s}");
        let dimer = free / 2.0;
        let mut bound = 0.0;
        for (c, k) in lk {
            let x = s["aqueous"][c].as_f64().unwrap();
            let y = s["organic"][c].as_f64().unwrap();
            bound += 6.0 * y;
            let d = 10f64.powf(k) * dimer.powi(3) / h.powi(3);
            assert!((y / x / d - 1.0).abs() < 1e-9, "{c}: {s}");
        }
        assert!((free + org_ion + bound - 1.5).abs() < 1e-12, "{s}");
        if ion > 1e-200 {
            let na = 1e-4 * ion * dimer.sqrt() / h;
            assert!((org_ion / na - 1.0).abs() < 1e-9, "{s}");
        }
    }
}

/// A log-linear model of round 32's independent CLI check
/// (`scripts/cli_check.py --model log-linear --case 3010`): one metal,
/// La, whose fit has no dose slope (`b1` absent, 0), so nothing caps its
/// loading; its 25 scrub stages strip it and its 20 extraction stages
/// load it again, and the solve breaks down on the extractant balance
/// (at 0.9 of this feed it converges with 0.00019 mol/L of extractant
/// left free in the scrub). The failure names that likely cause; with
/// `b1 = 1` the same cascade converges, with no hint. Since round 61 the
/// failure is taken with La's pH slope reading the extractant a little
/// (`m1 = 0.001`, as [`la_dosed`]): blind to it, La alone is proved to
/// bind more than the extractant, and the proof stands for the hint
/// ([`a_blind_cascade_binding_more_than_its_extractant_says_where`]).
#[test]
fn a_log_linear_metal_whose_loading_nothing_caps_is_named() {
    let model = |la_b1: &str| {
        format!(
            "name = \"ll random\"\ncomponents = [\"La\"]\n\n[chemistry]\n\
             model = \"log-linear\"\ndose = 1.261\nmolarity_per_percent = 0.0302\n\
             bisulfate = true\n\n[chemistry.fit.La]\nm0 = 1.3359\nb0 = -2.686\n{la_b1}\n\
             [cascade]\nextraction = 20\nscrub = 25\nstrip = 22\n\n[feed]\n\
             phase = \"aqueous\"\nflow = 1.0\nconcentration = {{ La = 0.025488 }}\n\
             acid = 0.003207\nsulfate = 1.1\n\n[flows]\norganic = 4.049\nscrub = 0.3456\n\
             strip = 0.9445\n\n[scrub]\nacid = 1.038\nsulfate = 0.9493\n\n[strip]\n\
             acid = 4.769\nsulfate = 1.461\n"
        )
    };
    let v = unsolved_json(&model("m1 = 0.001\n"));
    let hint = v["hint"].as_str().unwrap_or_default();
    assert!(
        hint.starts_with("the distribution ratio of La does not fall"),
        "{hint}"
    );
    let v = solved_json(&model("b1 = 1.0\n"));
    assert_eq!(v["converged"], true);
    assert!(v.get("hint").is_none(), "{v}");
}

/// Round 30's independent CLI check, log-linear seed 196 (cut to 3 + 90
/// stages): La's fit has no dose slope, its scrub strips it and the
/// extraction loads it again. Until round 32 the solve broke down on the
/// extractant balance; La settles where it has taken up enough of the
/// scrub's acid that its extraction factor there is 1 (0.229 mol/L in
/// the scrub's aqueous, 3.2 times its feed), and from a start at that
/// pinch the solve converges.
#[test]
fn a_log_linear_trap_settles_at_a_scrub_pinch() {
    let src = "name = \"ll random\"\ncomponents = [\"La\", \"Ce\"]\n\n[chemistry]\n\
               model = \"log-linear\"\ndose = 2.156\nmolarity_per_percent = 0.0302\n\
               charge = { La = 3, Ce = 3 }\n\n[chemistry.fit.La]\nm0 = 1.3128\nb0 = -2.0121\n\n\
               [chemistry.fit.Ce]\nm0 = 2.0733\nb0 = -1.8928\nb1 = 1.4362\n\n\
               [cascade]\nextraction = 3\nscrub = 90\nstrip = 0\n\n[feed]\nphase = \"aqueous\"\n\
               flow = 1.0\nconcentration = { La = 0.071894, Ce = 0.0092639 }\nacid = 0.002124\n\n\
               [flows]\norganic = 4.6631\nscrub = 0.2305\n\n[scrub]\nacid = 1.125\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    // stage 51, mid-scrub: La near 0.229 mol/L, O D / A within 3 % of 1
    // (1.015: a pinch approached over the scrub's 90 stages)
    let st = &v["stages"][50];
    let (x, y) = phases(st, "La");
    assert!((0.2..0.26).contains(&x), "La {x} mol/L");
    let e = 4.6631 * (y / x) / 0.2305;
    assert!((e - 1.0).abs() < 0.03, "extraction factor {e}");
}

/// Round 32's independent CLI check, log-linear seed 3283 (3 metals, 12 +
/// 144 stages, bisulfate): Ce and Pr are stripped at the scrub's acid
/// (2.812 mol/L) and loaded again in the extraction, and the cold
/// strategies and the scrub-pinch starts all broke down. At a tenth of
/// the scrub acid the cascade solves cold; followed up the scrub acid
/// (round 33), Newton loses the branch at a fold near 0.42 of it, and
/// the start-up from the last steady state (0.35) settles the trap at
/// the full acid: Pr, fed at 0.0076 mol/L, stands at 0.634 mol/L in the
/// scrub's aqueous, and the pinch carries exactly its feed up to the
/// loaded organic.
#[test]
fn a_trap_past_a_fold_is_reached_by_following_the_scrub_acid_up() {
    let src = "name = \"ll random\"\ncomponents = [\"La\", \"Ce\", \"Pr\"]\n\n[chemistry]\n\
               model = \"log-linear\"\ndose = 3.873\nmolarity_per_percent = 0.0302\n\
               bisulfate = true\n\n[chemistry.fit.La]\nm0 = 1.1961\nb0 = -4.0276\n\
               b1 = -0.2682\n\n[chemistry.fit.Ce]\nm0 = 2.1725\nb0 = -3.8519\n\n\
               [chemistry.fit.Pr]\nm0 = 1.4507\nb0 = -3.2752\nm1 = 0.01065\n\n\
               [cascade]\nextraction = 12\nscrub = 144\nstrip = 0\n\n[feed]\n\
               phase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.0095298, Ce = 0.0066669, Pr = 0.0076055 }\n\
               acid = 0.006821\nsulfate = 1.141\n\n[flows]\norganic = 3.3184\n\
               scrub = 0.1011\n\n[scrub]\nacid = 2.812\nsulfate = 0.809\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    // stage 51, mid-scrub
    let st = &v["stages"][50];
    let (x, y) = phases(st, "Pr");
    assert!((0.6..0.67).contains(&x), "Pr {x} mol/L");
    // what rises from stage 51, less what falls into it from stage 52, is
    // what leaves in the loaded organic: all the feed's Pr
    let x52 = v["stages"][51]["aqueous"]["Pr"].as_f64().unwrap();
    let up = 3.3184 * y - 0.1011 * x52;
    assert!((up / 0.0076055 - 1.0).abs() < 1e-6, "net Pr {up} mol/h");
}

/// Independent CLI check, log-linear seed 3265: eight metals over 112 +
/// 49 stages, Pr and Eu fitted with negative dose slopes (`b1` -0.45 and
/// -0.43: `D` rises as the free extractant is used up) and 5.2 mol/L of
/// scrub acid, so that almost nothing is extracted. Every solve from the
/// cold start broke down: the substitution's stage roots of the extractant
/// balance, which can turn with such slopes, took a second root at ln
/// C_free near -90. Round 34's capped walk solved it in 5,152 iterations;
/// since round 35 the stage root is the largest one, and the first solve
/// converges (51 iterations). Its steady state leaves 99 % of the
/// extractant free at every stage (99.185 % at stage 13), and Pr's ratio
/// meets its own fit, the negative slope included.
#[test]
fn a_negative_dose_slope_converges_from_the_largest_free_extractant_root() {
    let src = "name = \"ll random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\", \"Tb\"]\n\
               [chemistry]\nmodel = \"log-linear\"\ndose = 1.375\n\
               molarity_per_percent = 0.0302\nbisulfate = true\n\
               charge = { La = 3, Ce = 3, Pr = 3, Nd = 2, Sm = 3, Eu = 3, Gd = 2, \
               Tb = 3 }\n\
               [chemistry.fit.La]\nm0 = 1.9503\nb0 = -2.4224\nb1 = 1.3837\n\
               [chemistry.fit.Ce]\nm0 = 0.7875\nb0 = -1.8951\nm1 = -0.01472\n\
               [chemistry.fit.Pr]\nm0 = 2.3186\nb0 = -1.6527\nm1 = 0.00699\n\
               b1 = -0.4473\n[chemistry.fit.Nd]\nm0 = 2.5147\nb0 = -1.5387\n\
               b1 = 0.7313\n[chemistry.fit.Sm]\nm0 = 2.0226\nb0 = -0.9581\n\
               b1 = 1.2172\n[chemistry.fit.Eu]\nm0 = 0.365\nb0 = -0.8522\n\
               b1 = -0.4309\n[chemistry.fit.Gd]\nm0 = 2.7085\nb0 = -0.2072\n\
               [chemistry.fit.Tb]\nm0 = 2.9467\nb0 = 0.3421\nb1 = 0.0483\n[cascade]\n\
               extraction = 112\nscrub = 49\nstrip = 0\n[feed]\nphase = \"aqueous\"\n\
               flow = 1.0\n\
               concentration = { La = 0.00025308, Ce = 0.00066724, Pr = 0.0018616, \
               Nd = 0.00060213, Sm = 0.0003078, Eu = 0.00021875, Gd = 0.0011258, \
               Tb = 0.0021463 }\n\
               acid = 0.001976\nsulfate = 0.3246\n[flows]\norganic = 2.1458\n\
               scrub = 1.534\n[scrub]\nacid = 5.243\nsulfate = 0.2392\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    let iterations = v["iterations"].as_u64().unwrap();
    assert!(iterations < 500, "{iterations} iterations");
    let c = 1.375 * 0.0302;
    for st in v["stages"].as_array().unwrap() {
        let free = st["free_extractant"].as_f64().unwrap();
        assert!(
            (0.99..=1.0 + 1e-12).contains(&(free / c)),
            "free {free} mol/L"
        );
    }
    // the extraction's stage 13: log10 D = (m0 + m1 dose) pH + b0 + b1 log10 dose
    let st = &v["stages"][12];
    let (x, y) = phases(st, "Pr");
    let ph = st["ph"].as_f64().unwrap();
    let free = st["free_extractant"].as_f64().unwrap();
    assert!((free / c - 0.99185).abs() < 1e-4, "free {free} mol/L");
    let dose = free / 0.0302;
    let fit = (2.3186 + 0.00699 * dose) * ph - 1.6527 - 0.4473 * dose.log10();
    assert!(
        ((y / x).log10() - fit).abs() < 1e-9,
        "{} against {fit}",
        (y / x).log10()
    );
    assert!((-0.47..-0.45).contains(&ph), "pH {ph}");
}

/// Round 34's capped walk. Independent CLI check, log-linear seed 3445:
/// five metals over 233 + 17 stages, La, Ce and Pr fitted without a dose
/// slope (`b1` = 0: nothing caps their loading), 5.9 mol/L of scrub
/// acid. Every cold solve failed (exit 2 before round 34); solved with
/// those metals given the dose slope 0.05 it converges, and Newton walks
/// from there back to the model's slopes. At its steady state the scrub's
/// acid strips everything: each metal leaves in the raffinate, and no
/// acid is consumed.
#[test]
fn a_dose_slope_of_zero_is_reached_from_the_capped_model() {
    let src = "name = \"ll random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\"]\n\
               [chemistry]\nmodel = \"log-linear\"\ndose = 6.197\n\
               molarity_per_percent = 0.0302\nbisulfate = true\n\
               charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3 }\n\
               [chemistry.fit.La]\nm0 = 1.5238\nb0 = -1.9054\nm1 = -0.02791\n\
               [chemistry.fit.Ce]\nm0 = 1.7737\nb0 = -1.8691\nm1 = 0.00298\n\
               [chemistry.fit.Pr]\nm0 = 0.9247\nb0 = -1.597\nm1 = 0.00779\n\
               [chemistry.fit.Nd]\nm0 = 0.7147\nb0 = -1.2903\nm1 = 0.00824\nb1 = 0.036\n\
               [chemistry.fit.Sm]\nm0 = 2.5151\nb0 = -0.7126\nm1 = -0.02505\nb1 = 0.5335\n\
               [cascade]\nextraction = 233\nscrub = 17\nstrip = 0\n\
               [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.0064346, Ce = 0.0035804, Pr = 0.0054529, \
               Nd = 0.0012677, Sm = 0.0023549 }\n\
               acid = 0.04873\nsulfate = 0.8329\n[flows]\norganic = 0.98223\n\
               scrub = 0.2041\n[scrub]\nacid = 5.944\nsulfate = 0.07556\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    for (k, fed) in [("La", 0.0064346), ("Ce", 0.0035804), ("Sm", 0.0023549)] {
        let out = v["streams"]["raffinate"]["amount"][k].as_f64().unwrap();
        let loaded = v["streams"]["loaded_organic"]["amount"][k]
            .as_f64()
            .unwrap();
        assert!((out / fed - 1.0).abs() < 1e-10, "{k} {out} mol/h");
        assert!(loaded < 1e-20 * fed, "{k} loaded {loaded} mol/h");
    }
}

/// Round 37's start from empty stages. Independent CLI check, log-linear
/// seed 4490: ten metals over 5 + 214 stages, 3.27 mol/L of scrub acid,
/// Ce at a constant `D` and Pr, Sm, Tb, Dy and Ho fitted without a
/// positive dose slope. Every start the solver built (the cold start, the
/// substitution's, the scrub pinch's) held more metal in some stage than
/// its extractant could carry, and the start-up from it failed each step
/// at its first iteration, down to 1e-9 of its first length, and the
/// walks failed too (exit 2 before). The last resort, the start-up from
/// empty stages, reaches the steady state: the heavy four leave loaded,
/// at least 20 % of the extractant free.
#[test]
fn a_start_up_that_cannot_step_is_followed_from_empty_stages() {
    let src = "name = \"ll random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\", \"Tb\", \
               \"Dy\", \"Ho\"]\n\
               [chemistry]\nmodel = \"log-linear\"\ndose = 12.275\n\
               molarity_per_percent = 0.0302\nbisulfate = true\n\
               charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 3, \
               Tb = 3, Dy = 2, Ho = 3 }\nd = { Ce = 0.2785 }\n\
               [chemistry.fit.La]\nm0 = 1.2241\nb0 = -1.4269\nm1 = -0.0012\nb1 = 1.0223\n\
               [chemistry.fit.Pr]\nm0 = 1.8399\nb0 = -1.0656\n\
               [chemistry.fit.Nd]\nm0 = 0.6286\nb0 = -0.7217\nm1 = 0.00849\nb1 = 0.4674\n\
               [chemistry.fit.Sm]\nm0 = 2.6118\nb0 = -0.3481\nm1 = 0.00111\nb1 = -0.1804\n\
               [chemistry.fit.Eu]\nm0 = 2.9794\nb0 = 0.0412\nb1 = 0.2093\n\
               [chemistry.fit.Gd]\nm0 = 0.3755\nb0 = 0.0824\nb1 = 1.1945\n\
               [chemistry.fit.Tb]\nm0 = 1.1507\nb0 = 0.6283\nb1 = -0.0444\n\
               [chemistry.fit.Dy]\nm0 = 1.1399\nb0 = 1.1612\nb1 = -0.3627\n\
               [chemistry.fit.Ho]\nm0 = 1.324\nb0 = 1.5057\n\
               [cascade]\nextraction = 5\nscrub = 214\nstrip = 0\n\
               [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.0037331, Ce = 0.0030755, Pr = 0.0049107, \
               Nd = 0.004591, Sm = 0.015868, Eu = 0.0027217, Gd = 0.019644, \
               Tb = 0.022865, Dy = 0.007874, Ho = 0.0099489 }\n\
               acid = 0.01107\nsulfate = 0.516\n\
               [flows]\norganic = 1.1535\nscrub = 0.8756\n\
               [scrub]\nacid = 3.27\nsulfate = 0.6156\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    let c = 12.275 * 0.0302;
    let stages = v["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 219);
    for st in stages {
        let free = st["free_extractant"].as_f64().unwrap() / c;
        assert!((0.2..0.95).contains(&free), "free {free} of C");
    }
    assert_balances_close(&v);
    // Ce at its constant D, Sm on its own fit (negative dose slope)
    let st = &stages[100];
    let (x, y) = phases(st, "Ce");
    assert!((y / x / 0.2785 - 1.0).abs() < 1e-9, "Ce D {}", y / x);
    assert_on_fit(st, "Sm", (2.6118, 0.00111, -0.3481, -0.1804));
    // Gd leaves in the loaded organic (stage 219, 1.1535 L/h)
    let (_, y) = phases(&stages[218], "Gd");
    let loaded = y * 1.1535 / 0.019644;
    assert!((0.9999..1.0).contains(&loaded), "Gd loaded {loaded}");
}

/// Round 42's doubled start. Independent CLI check, mass-action seed
/// 11556: six metals over 272 + 22 stages, its long extraction a pinch
/// (La at one concentration from stage 11 to 251, every trace falling by
/// the same factor a stage). The start-up from the usual starts crawls
/// (4,513 iterations; with a budget of 3,500 it failed, exit 2); after
/// 2,000 start-up iterations the steady state of the cascade with half
/// the extraction stages (256 iterations), the missing ones inserted
/// where its profile is straightest, is the steady state to 2.3e-13:
/// 2,568 iterations in all.
#[test]
fn a_long_pinched_extraction_is_reached_from_half_of_it() {
    let src = "name = \"ma random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\"]\n\
               [chemistry]\nmodel = \"mass-action\"\n\
               log10_k = { La = -2.249648, Ce = -1.711816, Pr = -1.490273, \
               Nd = -0.887843, Sm = -0.485599, Eu = 0.149879 }\n\
               a = 3.0\nb = 3.0\n\
               charge = { La = 2, Ce = 2, Pr = 3, Nd = 3, Sm = 3, Eu = 3 }\n\
               extractant = 1.2115\nsaponification = 0.226\ncounter_ion = \"NH4\"\n\
               [cascade]\nextraction = 272\nscrub = 0\nstrip = 22\n\
               [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.036641, Ce = 0.031709, Pr = 0.0057128, \
               Nd = 0.0068275, Sm = 0.026722, Eu = 0.011895 }\nacid = 0.0001\n\
               [flows]\norganic = 0.93658\nstrip = 0.1752\n\
               [strip]\nacid = 3.954\n\
               [solver]\nmax_iterations = 3500\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    assert_balances_close(&v);
    let stages = v["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 294);
    // the pinch: La the same from stage 51 to 201, Ce falling by one
    // factor a stage
    let la = |j: usize| phases(&stages[j], "La").0;
    assert!(
        (la(200) / la(50) - 1.0).abs() < 1e-9,
        "La {} {}",
        la(50),
        la(200)
    );
    let ce = |j: usize| phases(&stages[j], "Ce").0.ln();
    let (a, b) = (ce(100) - ce(50), ce(200) - ce(150));
    assert!(a > 20.0 && (a / b - 1.0).abs() < 1e-6, "Ce {a} {b}");
    // Ce on its mass-action law at stage 151: D = K [(HA)2]^3 / [H+]^3
    assert_on_mass_action_law(&stages[150], "Ce", -1.711816);
}

/// Round 34's walk up a mass-action scrub's acid. Independent CLI check,
/// mass-action seed 8345: four metals over 298 + 255 stages,
/// unsaponified, 4.96 mol/L of scrub acid. Cold it converges at up to 0.7
/// of its scrub acid and breaks down at 0.9-1.05 of it (exit 2 before);
/// walked up from a tenth of the acid it converges with Ce, fed at 0.081
/// mol/L, trapped at 1.2 mol/L in the scrub's aqueous, and the net Ce
/// carried up through the scrub is what leaves in the loaded organic.
#[test]
fn a_mass_action_trap_is_reached_by_following_the_scrub_acid_up() {
    let src = "name = \"ma random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\"]\n[chemistry]\n\
               model = \"mass-action\"\n\
               log10_k = { La = -2.003538, Ce = -1.41915, Pr = -0.901495, \
               Nd = -0.26717 }\n\
               a = 3.0\nb = 3.0\nextractant = 5.0\n[cascade]\nextraction = 298\n\
               scrub = 255\nstrip = 0\n[feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.16187, Ce = 0.080562, Pr = 0.021778, \
               Nd = 0.01843 }\n\
               acid = 0.07303\n[flows]\norganic = 1.7479\nscrub = 0.1995\n\
               [scrub]\nacid = 4.959\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    // stage 401, mid-scrub
    let st = &v["stages"][400];
    let (x, y) = phases(st, "Ce");
    assert!((1.15..1.3).contains(&x), "Ce {x} mol/L");
    let x402 = v["stages"][401]["aqueous"]["Ce"].as_f64().unwrap();
    let up = 1.7479 * y - 0.1995 * x402;
    let out = v["streams"]["loaded_organic"]["amount"]["Ce"]
        .as_f64()
        .unwrap();
    assert!(
        (up / out - 1.0).abs() < 1e-9,
        "net Ce {up} against {out} mol/h"
    );
    // most of the Ce leaves loaded (89 %), the rest in the raffinate
    assert!(
        (0.88..0.9).contains(&(out / 0.080562)),
        "Ce loaded {out} mol/h"
    );
}

/// Round 35's independent CLI check, mass-action 9049 (4 metals over
/// 193 + 62 stages, 22 % NH4 saponification, feed acid 1e-6 mol/L, 3.378
/// mol/L of scrub acid). Its first solve crawled through the whole budget
/// (26,500 iterations) and no walk ran: exit 2. The cascade has several
/// steady states: cold it converges at 0.95 and 0.98 of its scrub acid
/// (Nd 12.6 % and 7.8 % loaded) and at 1.05 and above (no Nd loaded), and
/// the walk up from a tenth of the acid folds near 0.2 of it. Now the
/// first solve leaves an eighth of the budget to the walks, and the one
/// from 0.95 of the acid reaches the model's own in a Newton step: Nd
/// 4.54 % loaded, on the trend of 0.95 and 0.98.
#[test]
fn a_scrub_walk_from_near_the_acid_finds_the_branch_the_walk_from_below_misses() {
    let src = "name = \"ma random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\"]\n[chemistry]\n\
               model = \"mass-action\"\n\
               log10_k = { La = 0.573244, Ce = 1.240535, Pr = 1.945578, \
               Nd = 2.472227 }\n\
               a = 3.0\nb = 3.0\ncharge = { La = 3, Ce = 2, Pr = 2, Nd = 3 }\n\
               extractant = 0.1812\nsaponification = 0.2219\ncounter_ion = \"NH4\"\n\
               log10_k_ion = -3.153\n[cascade]\nextraction = 193\nscrub = 62\n\
               strip = 0\n[feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.014225, Ce = 0.010322, Pr = 0.0088966, \
               Nd = 0.03825 }\n\
               acid = 1.0e-06\n[flows]\norganic = 2.1086\nscrub = 0.05501\n\
               [scrub]\nacid = 3.378\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    let loaded = |k: &str| {
        v["streams"]["loaded_organic"]["amount"][k]
            .as_f64()
            .unwrap()
    };
    let raffinate = |k: &str| v["streams"]["raffinate"]["amount"][k].as_f64().unwrap();
    let nd = loaded("Nd") / 0.03825;
    assert!((0.044..0.047).contains(&nd), "Nd loaded {nd}");
    assert!(
        ((loaded("Nd") + raffinate("Nd")) / 0.03825 - 1.0).abs() < 1e-10,
        "Nd balance"
    );
    // La, Ce and Pr all leave in the raffinate
    assert!(loaded("Pr") < 1e-30 && (raffinate("La") / 0.014225 - 1.0).abs() < 1e-10);
}

/// Round 55: a neutral feed's walk before the plain balances' pass.
/// Independent CLI check, mass-action 6760 (2 metals over 29 + 287
/// stages, unsaponified, feed `acid = 0.0`, 5.152 mol/L of scrub acid):
/// its first pass breaks down (749 iterations) and the second, which no
/// neutral feed of the check was seen to need, spent 1,181 more before
/// the walk from an acid feed converged in 137 (2,067 in all). Now the
/// walk goes first: 886; 1,419 since round 57, the stage-count ladder
/// tried before it; 1,807 since round 63, the cascade's own rung's
/// start-up going on 1,100 iterations further before the walk. The
/// scrub's middle holds a plateau, La and Ce at 0.951 and 1.150 mol/L
/// over its stages 51-251, each on its law.
#[test]
fn a_neutral_feed_is_walked_before_the_plain_pass() {
    let stages = converged_within(MA_6760, 1900, 316);
    let la = |j: usize| phases(&stages[j], "La").0;
    assert!((la(50) - 0.95074).abs() < 1e-5, "La {}", la(50));
    assert!(
        (la(250) / la(50) - 1.0).abs() < 1e-9,
        "La {} {}",
        la(50),
        la(250)
    );
    assert_on_mass_action_law(&stages[150], "La", 1.467443);
    assert_on_mass_action_law(&stages[150], "Ce", 1.488633);
    // the scrub acid leaves in the raffinate's aqueous: stage 1 at 0.4509
    let acid = stages[0]["acid"].as_f64().unwrap();
    assert!((acid - 0.45090).abs() < 1e-4, "acid {acid}");
}

/// The model of `a_neutral_feed_is_walked_before_the_plain_pass`, as
/// `scripts/cli_check.py --model mass-action --case 6760` writes it.
const MA_6760: &str = r#"name = "ma random"
components = ["La", "Ce"]

[chemistry]
model = "mass-action"
log10_k = { La = 1.467443, Ce = 1.488633 }
a = 3.0
b = 3.0
charge = { La = 3, Ce = 2 }
extractant = 1.5205

[cascade]
extraction = 29
scrub = 287
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.037175, Ce = 0.05005 }
acid = 0.0

[flows]
organic = 0.62332
scrub = 0.05097

[scrub]
acid = 5.152
"#;

/// Round 60: a stage's projection that has no root leaves the free
/// extractant where a metal's `D` rises as it falls. Independent CLI
/// check log-linear 3659 (14 metals over 180 + 271 stages; Sm and Tb
/// with dose slopes `b1` of -0.45 and -0.46): the start of its ladder's
/// second rung (57 stages) was projected to `C e^-700` of free
/// extractant in a stage over its capacity, which raised Sm's and Tb's
/// `D` by about e^320, and the rung broke down at once (a relative
/// residual of 9e138); the usual strategy then took 2,817 more
/// (3,154 in all, 5.6 s). Now every rung converges: 232. Ho splits 67.6
/// : 32.4 and is held at 6.2 times its feed mid extraction; Sm is on its
/// law in the scrub.
#[test]
fn a_projection_without_a_root_leaves_the_free_extractant() {
    let v = converged_json_within(LL_3659, 400, 451);
    let ho = stream_amount(&v, "raffinate", "Ho") / 0.01318;
    assert!((ho - 0.675523).abs() < 1e-5, "Ho in the raffinate {ho}");
    assert!((stream_amount(&v, "loaded_organic", "Sm") / 0.021376 - 1.0).abs() < 1e-12);
    let stage = &v["stages"][90];
    let (x, _) = phases(stage, "Ho");
    assert!((x - 0.08183).abs() < 1e-5, "Ho {x}");
    assert_on_fit(stage, "Ho", (2.1796, 0.00616, 0.1073, 0.8871));
    assert_on_fit(&v["stages"][300], "Sm", (1.6429, 0.0, -1.4959, -0.4523));
}

/// CLI check log-linear 89148 (10 metals over 117 + 25 + 20 stages; La
/// and Nd with dose slopes under 0): the stage-count ladder's base (15 +
/// 13 + 10 stages) takes 1,853 iterations, its quick Newton, substitution
/// and pinch start-up failing before its start-up from empty stages
/// converges. Within the base's 1,500 it failed, the ladder with it, and
/// the cascade took 3,800 (2.0 s); within 2,000 the rungs above converge
/// from it: about 2,000 in all, to the same steady state (within 7e-13 of
/// each stream).
#[test]
fn a_ladder_base_slow_to_start_up_still_starts_the_ladder() {
    let v = converged_json_within(LL_89148, 2400, 162);
    assert_stream_amount(&v, "raffinate", "Gd", 0.035375805105563);
    assert_stream_amount(&v, "stripped_organic", "Sm", 0.013361511877210);
}

/// CLI check mass-action 95239 (9 metals over 28 + 201 + 22 stages):
/// between the stage-count ladder's last rung (14 + 101 + 11) and the
/// cascade cerium breaks through the scrub (with 24 extraction stages
/// its strip liquor holds 7e-126 mol/h of it, with 26 6e-5). Newton
/// fails on the cascade's own rung; its start-up, which carries that
/// front across the scrub, stopped short within 400 iterations and the
/// usual strategy took 725 more (1,216 in all); going on from where it
/// stopped it converges there: 608, to the same steady state.
#[test]
fn the_cascades_own_rung_starts_up_across_a_breakthrough() {
    let v = converged_json_within(MA_95239, 700, 251);
    assert_stream_amount(&v, "strip_liquor", "Ce", 1.447656434962e-4);
    assert_stream_amount(&v, "raffinate", "Ce", 5.755243565039e-4);
}

/// CLI check mass-action 72031 (5 metals over 196 + 237 + 1 stages):
/// praseodymium builds up to 1.6 mol/L over the whole scrub (from 98
/// extraction stages on; with 97 it falls 0.6 decades a stage there), a
/// front that the start-up after the failed ladder carries across the
/// scrub at 1.3 stages a step. Its fronts are now read where the bulk
/// changes, and its leap to the scrub liquor's inlet passes its change on
/// to the strip beyond and is tried shorter before it is made flat: the
/// leap holds, 3,401 -> 2,282 iterations, to the same steady state.
#[test]
fn a_front_leapt_to_the_scrub_inlet_passes_its_change_to_the_strip() {
    let v = converged_json_within(MA_72031, 2600, 434);
    assert_stream_amount(&v, "strip_liquor", "Pr", 2.250532903995e-3);
    assert_stream_amount(&v, "raffinate", "Pr", 1.040753433802e-1);
}

/// CLI check log-linear 110010 (15 metals over 102 + 223 stages): the
/// stage-count ladder's base (13 + 14 stages) takes 1,575 of the 1,644
/// iterations the ladder had, and its rung of 26 + 56 stages failed with
/// none left; the usual strategy took 2,899 in all (3.0 s). The base's
/// iterations, each a sliver of the cascade's, are no longer the
/// rungs': they climb to the cascade in 149 more, 1,724 in all (0.6 s),
/// to the same steady state.
#[test]
fn a_ladder_base_leaves_the_rungs_their_share() {
    let v = converged_json_within(LL_110010, 2000, 325);
    assert_stream_amount(&v, "raffinate", "Tm", 2.060001825441e-4);
    assert_stream_amount(&v, "loaded_organic", "Tm", 1.560499817456e-3);
}

/// The model of `a_ladder_base_leaves_the_rungs_their_share`, as
/// `scripts/cli_check.py --model log-linear --case 110010` writes it.
const LL_110010: &str = r#"name = "ll random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"]

[chemistry]
model = "log-linear"
dose = 4.165
molarity_per_percent = 0.0302
charge = { La = 3, Ce = 3, Pr = 2, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 3, Dy = 2, Ho = 2, Er = 3, Tm = 3, Yb = 3, Lu = 3, Y = 3 }
d = { Pr = 0.03774, Sm = 0.1589, Dy = 0.06182 }

[chemistry.fit.La]
m0 = 1.6817
b0 = -3.4699
b1 = 0.7519

[chemistry.fit.Ce]
m0 = 2.5888
b0 = -3.1529
b1 = -0.3164

[chemistry.fit.Nd]
m0 = 2.6528
b0 = -2.7963
b1 = 1.1156

[chemistry.fit.Eu]
m0 = 1.6528
b0 = -2.4682
m1 = 0.02626

[chemistry.fit.Gd]
m0 = 2.7031
b0 = -2.1111

[chemistry.fit.Tb]
m0 = 2.0623
b0 = -1.6544
b1 = 0.3978

[chemistry.fit.Ho]
m0 = 0.515
b0 = -1.5107
b1 = 0.4366

[chemistry.fit.Er]
m0 = 1.085
b0 = -1.2472
b1 = 1.2654

[chemistry.fit.Tm]
m0 = 1.115
b0 = -0.8149
m1 = 0.01397
b1 = 1.4288

[chemistry.fit.Yb]
m0 = 2.0762
b0 = -0.3862
m1 = 0.01184
b1 = 1.4665

[chemistry.fit.Lu]
m0 = 2.7923
b0 = -0.1126
m1 = 0.01502
b1 = 0.9903

[chemistry.fit.Y]
m0 = 2.1427
b0 = 0.5309
b1 = -0.3638

[cascade]
extraction = 102
scrub = 223
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.0022735, Ce = 0.0013942, Pr = 0.002055, Nd = 0.0028591, Sm = 0.0044239, Eu = 0.023838, Gd = 0.004995, Tb = 0.013929, Dy = 0.018154, Ho = 0.0025859, Er = 0.0024941, Tm = 0.0017665, Yb = 0.0014019, Lu = 0.002611, Y = 0.020629 }
acid = 0.002389

[flows]
organic = 2.6903
scrub = 0.4632

[scrub]
acid = 2.213
"#;

/// The model of `a_front_leapt_to_the_scrub_inlet_passes_its_change_to_the_strip`,
/// as `scripts/cli_check.py --model mass-action --case 72031` writes it.
const MA_72031: &str = r#"name = "ma random"
components = ["La", "Ce", "Pr", "Nd", "Sm"]

[chemistry]
model = "mass-action"
log10_k = { La = -0.711968, Ce = -0.160011, Pr = 0.328183, Nd = 1.01741, Sm = 1.144705 }
a = 3.0
b = 3.0
charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3 }
extractant = 2.4791

[cascade]
extraction = 196
scrub = 237
strip = 1

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.14772, Ce = 0.33831, Pr = 0.10671, Nd = 0.085167, Sm = 0.13794 }
acid = 0.01694

[flows]
organic = 2.373
scrub = 0.4132
strip = 0.6147

[scrub]
acid = 5.352

[strip]
acid = 4.55
"#;

/// CLI check mass-action 95001 (15 metals over 251 + 17 + 19 stages):
/// read over every unknown, its start-up's largest change stood at
/// traces deepening by tens of e-folds a step, and the front it followed
/// was never leapt; read where the bulk changes (`FRONT_TRACE` in
/// `solver::transient`), 622 -> 238 iterations.
#[test]
fn fronts_are_read_where_the_bulk_changes() {
    let v = converged_json_within(MA_95001, 400, 287);
    assert_stream_amount(&v, "strip_liquor", "Lu", 7.003226219624e-9);
    assert_stream_amount(&v, "raffinate", "Pr", 5.9761e-2);
}

/// The model of `fronts_are_read_where_the_bulk_changes`, as
/// `scripts/cli_check.py --model mass-action --case 95001` writes it.
const MA_95001: &str = r#"name = "ma random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"]

[chemistry]
model = "mass-action"
log10_k = { La = -1.50048, Ce = -0.322539, Pr = 0.835465, Nd = 2.081545, Sm = 2.717627, Eu = 3.954136, Gd = 5.053123, Tb = 5.976653, Dy = 6.639595, Ho = 7.279495, Er = 7.943347, Tm = 9.056799, Yb = 10.224724, Lu = 10.998903, Y = 11.794623 }
extractant = 0.4124

[cascade]
extraction = 251
scrub = 17
strip = 19

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.008474, Ce = 0.015355, Pr = 0.059761, Nd = 0.024679, Sm = 0.047941, Eu = 0.028562, Gd = 0.011485, Tb = 0.0063442, Dy = 0.0058043, Ho = 0.0089108, Er = 0.01046, Tm = 0.028709, Yb = 0.067487, Lu = 0.072012, Y = 0.004717 }
acid = 3.643

[flows]
organic = 8.0415
scrub = 1.024
strip = 1.673

[scrub]
acid = 3.75

[strip]
acid = 4.268
"#;

/// CLI check mass-action 80928 (5 metals over 173 + 280 stages, no
/// strip): samarium builds up to about 1 mol/L at the top of its scrub, a
/// front that the start-up carries up the scrub. Read against each
/// stage's own most abundant metal, the stages ahead of the front, which
/// hold only traces, took the largest change (neodymium at e^-40 to
/// e^-260) and the front was never leapt: 4,129 iterations (2.9 s).
/// Against the most abundant metal of the cascade, 1,730, to the same
/// steady state.
#[test]
fn traces_ahead_of_a_front_are_not_read_as_one() {
    let v = converged_json_within(MA_80928, 2200, 453);
    assert_stream_amount(&v, "loaded_organic", "Sm", 2.574111973081e-3);
    assert_stream_amount(&v, "raffinate", "Nd", 1.106599720822e-1);
}

/// The model of `traces_ahead_of_a_front_are_not_read_as_one`, as
/// `scripts/cli_check.py --model mass-action --case 80928` writes it.
const MA_80928: &str = r#"name = "ma random"
components = ["La", "Ce", "Pr", "Nd", "Sm"]

[chemistry]
model = "mass-action"
log10_k = { La = -1.326056, Ce = -1.304867, Pr = -1.283678, Nd = -1.262488, Sm = -1.241299 }
a = 3.0
b = 3.0
charge = { La = 3, Ce = 2, Pr = 2, Nd = 2, Sm = 2 }
extractant = 2.0287

[cascade]
extraction = 173
scrub = 280
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.20032, Ce = 0.035455, Pr = 0.024048, Nd = 0.11066, Sm = 0.07206 }
acid = 0.002144

[flows]
organic = 1.4907
scrub = 0.471

[scrub]
acid = 2.17
"#;

/// The model of `the_cascades_own_rung_starts_up_across_a_breakthrough`,
/// as `scripts/cli_check.py --model mass-action --case 95239` writes it.
const MA_95239: &str = r#"name = "ma random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy"]

[chemistry]
model = "mass-action"
log10_k = { La = -0.785625, Ce = 0.090408, Pr = 0.707929, Nd = 1.43105, Sm = 2.005714, Eu = 2.561927, Gd = 3.571303, Tb = 4.551854, Dy = 5.638359 }
charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 3, Dy = 3 }
extractant = 0.5218
saponification = 0.1471
log10_k_ion = -4.891

[cascade]
extraction = 28
scrub = 201
strip = 22

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.0018128, Ce = 0.00072029, Pr = 0.0014238, Nd = 0.0010191, Sm = 0.0004091, Eu = 0.00049537, Gd = 0.0023887, Tb = 0.0018471, Dy = 0.0021113 }
acid = 0.004742

[flows]
organic = 2.1319
scrub = 0.2951
strip = 0.6557

[scrub]
acid = 1.325

[strip]
acid = 3.88
"#;

/// The model of `a_ladder_base_slow_to_start_up_still_starts_the_ladder`,
/// as `scripts/cli_check.py --model log-linear --case 89148` writes it.
const LL_89148: &str = r#"name = "ll random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho"]

[chemistry]
model = "log-linear"
dose = 9.499
molarity_per_percent = 0.0302
bisulfate = true
charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 2, Dy = 3, Ho = 3 }
d = { Sm = 4.561 }

[chemistry.fit.La]
m0 = 2.3692
b0 = -4.445
m1 = -0.02935
b1 = -0.2595

[chemistry.fit.Ce]
m0 = 1.0903
b0 = -3.9462

[chemistry.fit.Pr]
m0 = 2.5477
b0 = -3.6428
b1 = 0.9621

[chemistry.fit.Nd]
m0 = 2.9995
b0 = -3.018
b1 = -0.0484

[chemistry.fit.Eu]
m0 = 2.438
b0 = -2.4618

[chemistry.fit.Gd]
m0 = 1.1569
b0 = -2.2081
b1 = 1.4832

[chemistry.fit.Tb]
m0 = 1.9248
b0 = -1.8219
m1 = 0.01964

[chemistry.fit.Dy]
m0 = 0.5869
b0 = -1.7026
m1 = -0.02545

[chemistry.fit.Ho]
m0 = 0.7124
b0 = -1.582

[cascade]
extraction = 117
scrub = 25
strip = 20

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.0060758, Ce = 0.021144, Pr = 0.0085676, Nd = 0.027745, Sm = 0.013474, Eu = 0.0027748, Gd = 0.039685, Tb = 0.0038708, Dy = 0.024496, Ho = 0.0035353 }
acid = 0.09889
sulfate = 0.5958

[flows]
organic = 3.4666
scrub = 0.2754
strip = 0.132

[scrub]
acid = 2.906
sulfate = 0.5495

[strip]
acid = 4.263
sulfate = 1.763

[organic]
concentration = { La = 1.02e-06 }"#;

/// The model of `a_projection_without_a_root_leaves_the_free_extractant`,
/// as `scripts/cli_check.py --model log-linear --case 3659` writes it.
const LL_3659: &str = r#"name = "ll random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu"]

[chemistry]
model = "log-linear"
dose = 2.362
molarity_per_percent = 0.0302
charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 2, Eu = 3, Gd = 2, Tb = 3, Dy = 3, Ho = 3, Er = 3, Tm = 3, Yb = 3, Lu = 3 }
d = { Er = 4.483 }

[chemistry.fit.La]
m0 = 1.5026
b0 = -2.759
m1 = -0.01866
b1 = 0.2754

[chemistry.fit.Ce]
m0 = 0.3528
b0 = -2.7303

[chemistry.fit.Pr]
m0 = 2.4497
b0 = -2.2691
m1 = 0.00268
b1 = 0.7353

[chemistry.fit.Nd]
m0 = 2.0761
b0 = -1.5771
m1 = -0.00874

[chemistry.fit.Sm]
m0 = 1.6429
b0 = -1.4959
b1 = -0.4523

[chemistry.fit.Eu]
m0 = 1.5029
b0 = -0.9682
b1 = -0.077

[chemistry.fit.Gd]
m0 = 2.8353
b0 = -0.5165
m1 = -0.01136
b1 = 1.1481

[chemistry.fit.Tb]
m0 = 2.2022
b0 = -0.3547
b1 = -0.4639

[chemistry.fit.Dy]
m0 = 0.3623
b0 = -0.1701

[chemistry.fit.Ho]
m0 = 2.1796
b0 = 0.1073
m1 = 0.00616
b1 = 0.8871

[chemistry.fit.Tm]
m0 = 1.8461
b0 = 0.7851
m1 = -0.0062
b1 = 0.6496

[chemistry.fit.Yb]
m0 = 2.7361
b0 = 1.4666

[chemistry.fit.Lu]
m0 = 1.4337
b0 = 1.5954
m1 = 0.00872

[cascade]
extraction = 180
scrub = 271
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.0024843, Ce = 0.0083907, Pr = 0.013707, Nd = 0.0097423, Sm = 0.021376, Eu = 0.03223, Gd = 0.0036571, Tb = 0.004243, Dy = 0.0060412, Ho = 0.01318, Er = 0.004329, Tm = 0.0027324, Yb = 0.01584, Lu = 0.0077688 }
acid = 0.003917

[flows]
organic = 6.0541
scrub = 0.8565

[scrub]
acid = 0.5245
"#;

/// Round 60: a ladder rung whose start fails, and some of whose stages
/// the projection left without a root of their extractant balance, is
/// tried again with those stages on the root above the balance's least.
/// Independent CLI check log-linear 84193 (15 metals over 276 + 29 + 21
/// stages; Sm's `b1 = -0.28`): its top rung failed from the start as
/// projected and the usual strategy's start-up crawled (5,460 iterations
/// in all, 7.4 s; 5,808 before the projection was mended); the retry
/// converges (1,120), to the steady state the start-up from empty stages
/// reaches. Yb is held at 0.130 mol/L, 30 times its feed, over the
/// extraction at pH 1.84, and 88.3 % of it leaves in the stripped
/// organic.
#[test]
fn a_rung_is_retried_from_the_root_above_the_least() {
    let v = converged_json_within(LL_84193, 1500, 326);
    let yb = stream_amount(&v, "stripped_organic", "Yb") / 0.0042695;
    assert!(
        (yb - 0.882876).abs() < 1e-5,
        "Yb in the stripped organic {yb}"
    );
    let stage = &v["stages"][100];
    let ph = stage["ph"].as_f64().unwrap();
    assert!((ph - 1.84259).abs() < 1e-4, "pH {ph}");
    let (x, _) = phases(stage, "Yb");
    assert!((x - 0.129951).abs() < 1e-5, "Yb {x}");
    assert_on_fit(stage, "Yb", (1.5589, 0.0, 0.9815, 1.1264));
    assert_on_fit(&v["stages"][290], "Sm", (0.9562, 0.0, -1.82, -0.2773));
}

/// The model of `a_rung_is_retried_from_the_root_above_the_least`, as
/// `scripts/cli_check.py --model log-linear --case 84193` writes it.
const LL_84193: &str = r#"name = "ll random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"]

[chemistry]
model = "log-linear"
dose = 9.522
molarity_per_percent = 0.0302
bisulfate = true
charge = { La = 3, Ce = 2, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 3, Dy = 3, Ho = 3, Er = 3, Tm = 3, Yb = 3, Lu = 3, Y = 3 }
d = { La = 0.004663, Eu = 0.09889 }

[chemistry.fit.Ce]
m0 = 2.984
b0 = -2.5108
b1 = 0.8133

[chemistry.fit.Pr]
m0 = 0.4159
b0 = -2.3179
m1 = -0.01932

[chemistry.fit.Nd]
m0 = 2.9261
b0 = -2.2139
m1 = 0.00627

[chemistry.fit.Sm]
m0 = 0.9562
b0 = -1.82
b1 = -0.2773

[chemistry.fit.Gd]
m0 = 1.3783
b0 = -1.7309

[chemistry.fit.Tb]
m0 = 1.2161
b0 = -1.0742
b1 = 1.3076

[chemistry.fit.Dy]
m0 = 0.5485
b0 = -0.5249
m1 = -0.02738
b1 = 0.3316

[chemistry.fit.Ho]
m0 = 1.64
b0 = -0.0982
b1 = 0.2873

[chemistry.fit.Er]
m0 = 2.8674
b0 = -0.0289
m1 = -0.01766

[chemistry.fit.Tm]
m0 = 0.9137
b0 = 0.4292
b1 = -0.2312

[chemistry.fit.Yb]
m0 = 1.5589
b0 = 0.9815
b1 = 1.1264

[chemistry.fit.Lu]
m0 = 0.4553
b0 = 1.2672
m1 = -0.01341

[chemistry.fit.Y]
m0 = 2.235
b0 = 1.3269

[cascade]
extraction = 276
scrub = 29
strip = 21

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.0025933, Ce = 0.0071951, Pr = 0.00064876, Nd = 0.00078229, Sm = 0.0029891, Eu = 0.0040105, Gd = 0.0086326, Tb = 0.0071093, Dy = 0.0078383, Ho = 0.001881, Er = 0.010774, Tm = 0.0052447, Yb = 0.0042695, Lu = 0.0037282, Y = 0.0019147 }
acid = 0.7516
sulfate = 1.291

[flows]
organic = 1.5651
scrub = 0.1297
strip = 1.445

[scrub]
acid = 2.542
sulfate = 0.0009683

[strip]
acid = 5.811
sulfate = 0.5261

[organic]
concentration = { La = 2.75e-05 }
"#;

/// Round 60: the neutral walk steps down half a decade at a time under
/// 2e-7 mol/L of feed acid. Independent CLI check, mass-action 11852 (2
/// metals over 149 + 27 stages, 16 % Na saponification, feed `acid =
/// 0.0`): its walk's decade steps from 1e-7 to 1e-9 mol/L failed in
/// Newton and took start-ups (2,894 iterations in all); in half decades
/// Newton takes more of them (2,577; 3,060 since round 63, the cascade's
/// own rung's start-up going on further before the walk). All the Ce
/// leaves loaded; La is
/// trapped at 1.614 mol/L over the extraction, where the organic is
/// saturated with it (1.0 mol/L, the extractant's 4.0 over 2 z) at pH
/// 8.05, and 27.0 % of it leaves in the raffinate.
#[test]
fn a_neutral_walk_steps_half_decades_at_trace_feed_acid() {
    let v = converged_json_within(MA_11852, 3150, 176);
    assert!((stream_amount(&v, "loaded_organic", "Ce") / 0.81698 - 1.0).abs() < 1e-12);
    let la = stream_amount(&v, "raffinate", "La") / 0.38517;
    assert!((la - 0.270392).abs() < 1e-5, "La in the raffinate {la}");
    let stage = &v["stages"][100];
    let ph = stage["ph"].as_f64().unwrap();
    assert!((ph - 8.0504).abs() < 1e-3, "pH {ph}");
    let (x, y) = phases(stage, "La");
    assert!(
        (x - 1.61366).abs() < 1e-4 && (y - 1.0).abs() < 1e-6,
        "La {x} {y}"
    );
    assert_on_mass_action_law(stage, "La", 0.846063);
}

/// The model of
/// `a_neutral_walk_steps_half_decades_at_trace_feed_acid`, as
/// `scripts/cli_check.py --model mass-action --case 11852` writes it.
const MA_11852: &str = r#"name = "ma random"
components = ["La", "Ce"]

[chemistry]
model = "mass-action"
log10_k = { La = 0.846063, Ce = 1.498714 }
charge = { La = 2, Ce = 3 }
extractant = 4.0
saponification = 0.1614
counter_ion = "Na"

[cascade]
extraction = 149
scrub = 27
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.38517, Ce = 0.81698 }
acid = 0.0

[flows]
organic = 1.6474
scrub = 0.08545

[scrub]
acid = 3.298
"#;

/// Round 55's late start. Independent CLI check, mass-action 7016 (2
/// metals over 284 + 136 stages, 13 % Na saponification, feed `acid =
/// 0.0`): its first pass's start-up ran 10,089 iterations before it broke
/// down, and the neutral walk converged after it (10,949 in all; 22,962
/// with the plain pass between). Now a start-up still going at 5,000
/// iterations tries the neutral walk (860 iterations) as its late start:
/// 6,546. All the Ce leaves loaded, La splits 60 : 40, on its law mid
/// extraction.
#[test]
fn a_neutral_feed_walked_from_a_long_start_up() {
    let src = "name = \"ma random\"\n\
               components = [\"La\", \"Ce\"]\n[chemistry]\n\
               model = \"mass-action\"\n\
               log10_k = { La = 0.832617, Ce = 1.078227 }\n\
               extractant = 0.4682\nsaponification = 0.1306\ncounter_ion = \"Na\"\n\
               [cascade]\nextraction = 284\nscrub = 136\nstrip = 0\n\
               [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.068057, Ce = 0.039002 }\nacid = 0.0\n\
               [flows]\norganic = 3.3376\nscrub = 0.5287\n[scrub]\nacid = 1.025\n";
    let v = converged_json_within(src, 8000, 420);
    assert!((stream_amount(&v, "loaded_organic", "Ce") / 0.039002 - 1.0).abs() < 1e-12);
    let la = stream_amount(&v, "loaded_organic", "La") / 0.068057;
    assert!((la - 0.59954).abs() < 1e-4, "La loaded {la}");
    assert_on_mass_action_law(&v["stages"][150], "La", 0.832617);
}

/// Round 56: a mass-action start-up that cannot take one step goes on
/// from empty stages, as the log-linear ones do. Independent CLI check
/// mass-action 72220 (14 metals over 167 + 198 stages, 5 mol/L of scrub
/// acid): its linear start traps Er-Lu between the sections at up to
/// e^390 mol/L, and every start-up step from there failed; both passes
/// broke down and the scrub walk converged, 3,137 iterations in all.
/// From empty stages, 1,341. Every metal leaves in the raffinate, and Lu,
/// loaded by the extraction and stripped back by the scrub, stands at
/// 0.16 mol/L in the extraction's aqueous, 183 times its feed.
#[test]
fn a_mass_action_start_up_that_cannot_step_goes_on_from_empty_stages() {
    let v = converged_json_within(MA_72220, 2000, 365);
    let feed = [
        ("La", 0.0010174),
        ("Ce", 0.010934),
        ("Pr", 0.015074),
        ("Nd", 0.0017394),
        ("Sm", 0.0045192),
        ("Eu", 0.0058205),
        ("Gd", 0.012474),
        ("Tb", 0.0036488),
        ("Dy", 0.0098527),
        ("Ho", 0.0035888),
        ("Er", 0.0092027),
        ("Tm", 0.0021325),
        ("Yb", 0.0061989),
        ("Lu", 0.00087351),
    ];
    for (k, f) in feed {
        assert_stream_amount(&v, "raffinate", k, f);
    }
    let stage = &v["stages"][50];
    let lu = phases(stage, "Lu").0;
    assert!((lu - 0.159976).abs() < 1e-5, "Lu {lu}");
    let acid = stage["acid"].as_f64().unwrap();
    assert!((acid - 0.066136).abs() < 1e-5, "acid {acid}");
    assert_on_mass_action_law(stage, "Lu", 1.787033);
    assert_on_mass_action_law(stage, "La", -2.381781);
}

/// The model of
/// `a_mass_action_start_up_that_cannot_step_goes_on_from_empty_stages`,
/// as `scripts/cli_check.py --model mass-action --case 72220` writes it.
const MA_72220: &str = r#"name = "ma random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu"]

[chemistry]
model = "mass-action"
log10_k = { La = -2.381781, Ce = -2.041316, Pr = -1.743751, Nd = -1.392754, Sm = -1.015022, Eu = -0.950736, Gd = -0.85311, Tb = -0.285631, Dy = 0.15489, Ho = 0.444527, Er = 0.86741, Tm = 1.247778, Yb = 1.724633, Lu = 1.787033 }
a = 3.0
b = 3.0
charge = { La = 2, Ce = 2, Pr = 2, Nd = 3, Sm = 3, Eu = 3, Gd = 2, Tb = 3, Dy = 2, Ho = 3, Er = 3, Tm = 3, Yb = 2, Lu = 2 }
extractant = 1.1663

[cascade]
extraction = 167
scrub = 198
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.0010174, Ce = 0.010934, Pr = 0.015074, Nd = 0.0017394, Sm = 0.0045192, Eu = 0.0058205, Gd = 0.012474, Tb = 0.0036488, Dy = 0.0098527, Ho = 0.0035888, Er = 0.0092027, Tm = 0.0021325, Yb = 0.0061989, Lu = 0.00087351 }
acid = 0.03102

[flows]
organic = 0.77521
scrub = 0.09569

[scrub]
acid = 5.005
"#;

/// Round 56: a start-up step after one that moved nothing is solved to
/// the solve's own tolerance. Independent CLI check mass-action 37366 (9
/// metals over 108 + 42 + 18 stages, a neutral feed, 23 % Na
/// saponification): its extraction's organic is saturated with metal and
/// its aqueous acid a trace, the steady Newton failed from every state
/// under the steps' tolerance of 1e-8, and the start-up stood still at
/// 8.75e-9 until its budget ran out (26,200 iterations, exit 2). Now it
/// converges: La trapped at 0.35 mol/L in the extraction's aqueous at pH
/// 6.68, 60.8 % of it in the raffinate, all the Ce in the strip liquor
/// (2,390 iterations; 3,303 since round 58, whose ladder base converges
/// and whose top rung fails, 460 iterations at 168 stages).
#[test]
fn a_start_up_that_stands_still_under_the_step_tolerance_goes_on() {
    let v = converged_json_within(MA_37366, 3400, 168);
    assert_stream_amount(&v, "strip_liquor", "Ce", 0.013236);
    let la = stream_amount(&v, "raffinate", "La") / 0.011639;
    assert!((la - 0.607597).abs() < 1e-5, "La in the raffinate {la}");
    let stage = &v["stages"][60];
    let ph = stage["ph"].as_f64().unwrap();
    assert!((ph - 6.6759).abs() < 1e-3, "pH {ph}");
    let free = stage["free_extractant"].as_f64().unwrap();
    assert!(free < 1e-6, "free extractant {free}");
    assert!((phases(stage, "La").0 - 0.34944).abs() < 1e-4);
    assert_on_mass_action_law(stage, "La", 1.221524);
    assert_on_mass_action_law(stage, "Ce", 1.822991);
}

/// The model of
/// `a_start_up_that_stands_still_under_the_step_tolerance_goes_on`, as
/// `scripts/cli_check.py --model mass-action --case 37366` writes it.
const MA_37366: &str = r#"name = "ma random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy"]

[chemistry]
model = "mass-action"
log10_k = { La = 1.221524, Ce = 1.822991, Pr = 2.422378, Nd = 2.963923, Sm = 3.591255, Eu = 3.789144, Gd = 3.917198, Tb = 4.535798, Dy = 4.804558 }
charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 3, Dy = 3 }
extractant = 1.8107
saponification = 0.2346
counter_ion = "Na"
log10_k_ion = -3.128

[cascade]
extraction = 108
scrub = 42
strip = 18

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.011639, Ce = 0.013236, Pr = 0.012445, Nd = 0.027161, Sm = 0.013482, Eu = 0.019726, Gd = 0.01633, Tb = 0.023838, Dy = 0.012826 }
acid = 0.0

[flows]
organic = 1.2769
scrub = 0.123
strip = 1.485

[scrub]
acid = 5.896

[strip]
acid = 3.737
"#;

/// Round 39: a log-linear start-up that cannot take one step goes on from
/// empty stages. Independent CLI check log-linear seed 4586 with every
/// dose slope raised to at least 0.3 (13 metals over 192 + 52 stages, a
/// valid model whose extraction section is loaded to 99.6 % of its
/// extractant at the steady state): the cold start-up's every
/// first step failed at its first iteration, the relative form's pass
/// crawled through 6,834 iterations, and the solve failed at its budget
/// (exit 2 before; checked to fail without the change).
#[test]
fn a_log_linear_start_up_that_cannot_step_goes_on_from_empty_stages() {
    let src = "name = \"ll random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\", \"Tb\", \
               \"Dy\", \"Ho\", \"Er\", \"Tm\", \"Yb\"]\n\
               [chemistry]\nmodel = \"log-linear\"\ndose = 39.731\n\
               molarity_per_percent = 0.0302\n\
               charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 2, Tb = 2, \
               Dy = 3, Ho = 3, Er = 3, Tm = 3, Yb = 3 }\n\
               [chemistry.fit.La]\nm0 = 0.5757\nb0 = -3.3138\nm1 = -0.01345\nb1 = 0.3\n\
               [chemistry.fit.Ce]\nm0 = 0.8774\nb0 = -3.0886\nb1 = 0.3\n\
               [chemistry.fit.Pr]\nm0 = 2.4294\nb0 = -2.1478\nm1 = 0.0024\nb1 = 1.4638\n\
               [chemistry.fit.Nd]\nm0 = 1.8097\nb0 = -1.8993\nb1 = 1.2146\n\
               [chemistry.fit.Sm]\nm0 = 2.0332\nb0 = -1.8176\nm1 = -0.02371\nb1 = 0.3\n\
               [chemistry.fit.Eu]\nm0 = 0.0\nb0 = -0.7814\nb1 = 0.3\n\
               [chemistry.fit.Gd]\nm0 = 1.0501\nb0 = -0.9925\nb1 = 1.4349\n\
               [chemistry.fit.Tb]\nm0 = 2.6977\nb0 = -0.456\nm1 = 0.01325\nb1 = 1.0065\n\
               [chemistry.fit.Dy]\nm0 = 0.4475\nb0 = -0.0469\nm1 = -0.01868\nb1 = 1.4796\n\
               [chemistry.fit.Ho]\nm0 = 0.9451\nb0 = -0.4119\nb1 = 0.3\n\
               [chemistry.fit.Er]\nm0 = 2.9569\nb0 = 0.5099\nm1 = -0.00818\nb1 = 0.3\n\
               [chemistry.fit.Tm]\nm0 = 1.0513\nb0 = 1.0896\nb1 = 0.3\n\
               [chemistry.fit.Yb]\nm0 = 2.791\nb0 = 1.9837\nm1 = -0.02087\nb1 = 1.3948\n\
               [cascade]\nextraction = 192\nscrub = 52\nstrip = 0\n\
               [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.0001978, Ce = 0.0025647, Pr = 0.0012542, \
               Nd = 0.0026243, Sm = 0.0012842, Eu = 0.00019783, Gd = 0.0022114, \
               Tb = 0.001561, Dy = 0.0021695, Ho = 0.0016102, Er = 0.0027975, \
               Tm = 0.00097457, Yb = 0.00032165 }\n\
               acid = 0.05861\n\
               [flows]\norganic = 0.70321\nscrub = 0.3621\n\
               [scrub]\nacid = 5.854\n\
               [organic]\nconcentration = { La = 1.52e-05 }\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    assert_balances_close(&v);
    // Tb (divalent here) on its fit at the feed stage
    assert_on_fit(
        &v["stages"].as_array().unwrap()[191],
        "Tb",
        (2.6977, 0.01325, -0.456, 1.0065),
    );
    // the extraction section loaded to within 1 % of its extractant, the
    // scrub's last stage nearly free of metal
    let c = 39.731 * 0.0302;
    let free = |j: usize| v["stages"][j]["free_extractant"].as_f64().unwrap() / c;
    assert!(
        (0.001..0.01).contains(&free(191)),
        "free {} of C",
        free(191)
    );
    assert!(free(243) > 0.99, "free {} of C", free(243));
}

/// Round 39: the log-linear start-ups follow their fronts as the
/// mass-action ones do, and end where a failure repeats from the state of
/// the failure before it. Independent CLI check log-linear seed 3042
/// (three metals over 296 + 8 + 11 stages, Pr's distribution ratio blind
/// to the loading) converged in 14,617 iterations going round that cycle,
/// 5,602 without it, and 3,189 with its fronts followed too (12,204 with
/// the fronts followed and the cycle not ended: the test fails without
/// either change).
#[test]
fn a_log_linear_start_up_follows_its_fronts() {
    let src = "name = \"ll random\"\n\
               components = [\"La\", \"Ce\", \"Pr\"]\n\
               [chemistry]\nmodel = \"log-linear\"\ndose = 32.863\n\
               molarity_per_percent = 0.0302\nbisulfate = true\n\
               [chemistry.fit.La]\nm0 = 1.2429\nb0 = -3.4676\nm1 = 0.0045\nb1 = 0.5399\n\
               [chemistry.fit.Ce]\nm0 = 1.9529\nb0 = -2.9443\nb1 = 1.1466\n\
               [chemistry.fit.Pr]\nm0 = 2.289\nb0 = -2.8987\n\
               [cascade]\nextraction = 296\nscrub = 8\nstrip = 11\n\
               [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.045958, Ce = 0.040095, Pr = 0.11853 }\n\
               acid = 0.2056\nsulfate = 1.078\n\
               [flows]\norganic = 0.67669\nscrub = 0.05761\nstrip = 0.2091\n\
               [scrub]\nacid = 4.799\nsulfate = 0.3486\n\
               [strip]\nacid = 3.132\nsulfate = 2.333\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    let it = v["iterations"].as_u64().unwrap();
    assert!(it < 4000, "{it} iterations");
    assert_balances_close(&v);
    // La on its fit at the feed stage
    assert_on_fit(
        &v["stages"].as_array().unwrap()[295],
        "La",
        (1.2429, 0.0045, -3.4676, 0.5399),
    );
}

/// Round 39: the log-form start-up gets every iteration left, not two
/// thirds of them. Independent CLI check log-linear seed 3683 with every
/// dose slope raised to 0.3 (15 metals over 102 + 213 stages, a valid
/// model): its start-up was cut on its way at two thirds of what was
/// left, the relative form's pass started again from the start, and the
/// solve failed at its budget of 5,169 iterations (checked); with them all
/// it converges in 3,756.
#[test]
fn a_log_linear_start_up_on_its_way_keeps_the_iterations_left() {
    let src = "name = \"ll random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\", \"Tb\", \
               \"Dy\", \"Ho\", \"Er\", \"Tm\", \"Yb\", \"Lu\", \"Y\"]\n\
               [chemistry]\nmodel = \"log-linear\"\ndose = 6.522\n\
               molarity_per_percent = 0.0302\nbisulfate = true\n\
               charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 3, \
               Dy = 2, Ho = 3, Er = 3, Tm = 3, Yb = 3, Lu = 3, Y = 3 }\n\
               [chemistry.fit.La]\nm0 = 0.0\nb0 = -0.376965\nb1 = 0.3\n\
               [chemistry.fit.Ce]\nm0 = 0.0\nb0 = -0.886761\nb1 = 0.3\n\
               [chemistry.fit.Pr]\nm0 = 2.1404\nb0 = -2.163589\nm1 = -0.00493\nb1 = 0.3\n\
               [chemistry.fit.Nd]\nm0 = 2.8697\nb0 = -1.470214\nm1 = 0.00436\nb1 = 0.3\n\
               [chemistry.fit.Sm]\nm0 = 0.9537\nb0 = -1.219514\nm1 = -0.0155\nb1 = 0.3\n\
               [chemistry.fit.Eu]\nm0 = 2.7446\nb0 = -0.620114\nm1 = -0.02542\nb1 = 0.3\n\
               [chemistry.fit.Gd]\nm0 = 0.4423\nb0 = -0.486814\nb1 = 0.3\n\
               [chemistry.fit.Tb]\nm0 = 0.6217\nb0 = -0.166914\nb1 = 0.3\n\
               [chemistry.fit.Dy]\nm0 = 1.3494\nb0 = 0.407186\nm1 = 0.01109\nb1 = 0.3\n\
               [chemistry.fit.Ho]\nm0 = 2.2231\nb0 = 0.610778\nm1 = -0.01146\nb1 = 0.3\n\
               [chemistry.fit.Er]\nm0 = 2.0681\nb0 = 0.978742\nb1 = 0.3\n\
               [chemistry.fit.Tm]\nm0 = 0.0\nb0 = -0.023683\nb1 = 0.3\n\
               [chemistry.fit.Yb]\nm0 = 2.6761\nb0 = 1.46372\nb1 = 0.3\n\
               [chemistry.fit.Lu]\nm0 = 2.6503\nb0 = 1.807286\nb1 = 0.3\n\
               [chemistry.fit.Y]\nm0 = 2.0497\nb0 = 1.9502\nm1 = 0.02919\nb1 = 0.3\n\
               [cascade]\nextraction = 102\nscrub = 213\nstrip = 0\n\
               [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.0090553, Ce = 0.037688, Pr = 0.0081234, \
               Nd = 0.016887, Sm = 0.029473, Eu = 0.0061603, Gd = 0.0068928, \
               Tb = 0.015791, Dy = 0.020458, Ho = 0.0074602, Er = 0.039725, \
               Tm = 0.016302, Yb = 0.010797, Lu = 0.017275, Y = 0.018978 }\n\
               acid = 0.001146\nsulfate = 0.437\n\
               [flows]\norganic = 5.9843\nscrub = 0.5051\n\
               [scrub]\nacid = 2.357\nsulfate = 0.5264\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    assert_balances_close(&v);
    // Dy (divalent here) on its fit at the feed stage
    assert_on_fit(
        &v["stages"].as_array().unwrap()[101],
        "Dy",
        (1.3494, 0.01109, 0.407186, 0.3),
    );
}

/// Round 40: a start-up stalled at the rounding of the organic's acid
/// protons. Independent CLI check log-linear seed 4425 with every dose
/// slope raised to 0.3 (6 metals over 47 + 26 stages, a valid model):
/// before the scrub acid reaches them, its scrub stages hold a nearly
/// saturated extractant and a trace of acid, whose balance is the
/// difference `O (C - sum p y)` of numbers seven to eight orders larger;
/// its start-up's steps stalled at 1e-8 to 6e-8 of balance with Newton
/// corrections of 1e-14, and the solve ran to its limit of 8,300
/// iterations (checked). Measured less that rounding where Newton
/// stalls, it converges in 2,507.
#[test]
fn a_log_linear_start_up_measures_the_acid_less_its_rounding() {
    let src = "name = \"ll random\"\n\
               components = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\"]\n\
               [chemistry]\nmodel = \"log-linear\"\ndose = 3.127\n\
               molarity_per_percent = 0.0302\nbisulfate = true\n\
               [chemistry.fit.La]\nm0 = 2.2938\nb0 = -1.92643836437288\nb1 = 0.3\n\
               [chemistry.fit.Ce]\nm0 = 0.0\nb0 = -0.730734641732999\nb1 = 0.3\n\
               [chemistry.fit.Pr]\nm0 = 1.8119\nb0 = -1.7197\nb1 = 1.4968\n\
               [chemistry.fit.Nd]\nm0 = 2.6946\nb0 = -1.4352383643728799\nm1 = 0.01247\nb1 = 0.3\n\
               [chemistry.fit.Sm]\nm0 = 2.1477\nb0 = -1.1877383643728798\nm1 = -0.0223\nb1 = 0.3\n\
               [chemistry.fit.Eu]\nm0 = 2.7621\nb0 = -0.3614\nb1 = 0.3341\n\
               [cascade]\nextraction = 47\nscrub = 26\nstrip = 0\n\
               [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
               concentration = { La = 0.0018497, Ce = 0.011168, Pr = 0.0080345, \
               Nd = 0.0074551, Sm = 0.0044594, Eu = 0.0078971 }\n\
               acid = 0.001113\nsulfate = 0.8\n\
               [flows]\norganic = 3.3016\nscrub = 0.06283\n\
               [scrub]\nacid = 4.162\nsulfate = 0.05908\n";
    let v = solved_json(src);
    assert_eq!(v["converged"], true);
    assert_balances_close(&v);
    // Sm (its D falling with the dose) on its fit at the feed stage; the
    // intercepts to every digit the check wrote (rounded to 6 decimals
    // the start-up takes another path and converges without the change)
    assert_on_fit(
        &v["stages"].as_array().unwrap()[46],
        "Sm",
        (2.1477, -0.0223, -1.1877383643728798, 0.3),
    );
}

/// Round 40's log-linear cascade whose Ce ignores the pH (CLI check 5063
/// with every dose slope raised to 0.3), its scrub acid `scrub_acid`
/// mol/L ([`a_log_linear_metal_that_ignores_the_ph_in_a_scrub_is_named`]).
fn ph_blind_ce(scrub_acid: &str) -> String {
    format!(
        "name = \"ll random\"\ncomponents = [\"La\", \"Ce\"]\n[chemistry]\n\
         model = \"log-linear\"\ndose = 8.657\nmolarity_per_percent = 0.0302\n\
         charge = {{ La = 2, Ce = 3 }}\n\
         [chemistry.fit.La]\nm0 = 0.696\nb0 = -5.037310225255187\nm1 = -0.00537\nb1 = 0.3\n\
         [chemistry.fit.Ce]\nm0 = 0.0\nb0 = -0.8540488223292213\nb1 = 0.3\n\
         [cascade]\nextraction = 26\nscrub = 23\nstrip = 0\n\
         [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
         concentration = {{ La = 0.036164, Ce = 0.12213 }}\nacid = 0.03439\n\
         [flows]\norganic = 1.769\nscrub = 0.08066\n[scrub]\nacid = {scrub_acid}\n"
    )
}

/// Round 40: CLI check log-linear seed 5063 with every dose slope raised to
/// 0.3 (2 metals over 26 + 23 stages). Ce's fit ignores the pH (`m0 =
/// 0`): stripping it to its D in the scrub's aqueous takes the whole
/// scrub acid at 0.72 of this feed, and from 0.74 no steady state is
/// found. The failure names that likely cause; with the scrub acid at 0.5
/// mol/L instead of 0.2643 the same cascade converges.
#[test]
fn a_log_linear_metal_that_ignores_the_ph_in_a_scrub_is_named() {
    let model = ph_blind_ce;
    let v = unsolved_json(&model("0.2643"));
    let hint = v["hint"].as_str().unwrap_or_default();
    assert!(
        hint.starts_with("the distribution ratio of Ce does not depend on the pH"),
        "{hint}"
    );
    let v = solved_json(&model("0.5"));
    assert_eq!(v["converged"], true);
    assert!(v.get("hint").is_none(), "{v}");
}

/// CLI check log-linear seed 3010: La alone, its fit blind to the dose,
/// over 20 + 25 + 22 stages; no steady state is found (La piles up in the
/// scrub).
const LA_DOSE_BLIND: &str = "name = \"ll random\"\ncomponents = [\"La\"]\n[chemistry]\n\
    model = \"log-linear\"\ndose = 1.261\nmolarity_per_percent = 0.0302\n\
    bisulfate = true\n\
    [chemistry.fit.La]\nm0 = 1.3359\nb0 = -2.686\n\
    [cascade]\nextraction = 20\nscrub = 25\nstrip = 22\n\
    [feed]\nphase = \"aqueous\"\nflow = 1.0\nconcentration = { La = 0.025488 }\n\
    acid = 0.003207\nsulfate = 1.1\n\
    [flows]\norganic = 4.049\nscrub = 0.3456\nstrip = 0.9445\n\
    [scrub]\nacid = 1.038\nsulfate = 0.9493\n\
    [strip]\nacid = 4.769\nsulfate = 1.461\n";

/// [`LA_DOSE_BLIND`] with La's pH slope rising by 0.001 per volume percent
/// of free extractant (`m1`): its `D` reads the extractant a little, so
/// that the solve no longer takes it at a wider capacity first (as it
/// does every cascade blind to the extractant since round 61:
/// [`a_blind_cascade_binding_more_than_its_extractant_says_where`]) and
/// fails as [`LA_DOSE_BLIND`] used to (1,291 iterations, La's balance on
/// stage 41 worst at 0.696, against 1,298 and 0.696).
fn la_dosed() -> String {
    LA_DOSE_BLIND.replace("b0 = -2.686\n", "b0 = -2.686\nm1 = 0.001\n")
}

/// Round 41: a failed solve whose walks and last resorts use up the whole
/// budget reports the iteration limit, not how its first pass ended:
/// [`LA_DOSE_BLIND`] with a budget of 1,000 said "iteration broke down
/// after 1000 Newton iterations"; the text report says why it stopped
/// first. Since round 59 that cascade ends at its first solve
/// ([`a_dose_blind_failure_ends_at_its_first_solve`]); round 40's Ce that
/// ignores the pH ([`ph_blind_ce`]) has no such metal, and with a budget
/// of 5,000 its first solve breaks down after 3,494 iterations and the
/// walks spend the rest.
#[test]
fn a_failed_solve_that_spends_its_budget_says_so() {
    let src = format!("{}[solver]\nmax_iterations = 5000\n", ph_blind_ce("0.2643"));
    let v = unsolved_json(&src);
    assert_eq!(v["iterations"], 5000);
    assert_eq!(v["status"], "max-iterations");
    let (out, _dir) = run_model(&src);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("did not converge (iteration limit reached) after 5000 Newton iterations"),
        "{text}"
    );
}

/// Round 59: a cascade with a scrub and a metal whose distribution ratio
/// does not fall as the free extractant is used up ends at its first
/// solve where that fails, reported as it ended: [`LA_DOSE_BLIND`] broke
/// down after 1,298 iterations of its budget of 11,050 and then spent
/// 1,901 more on the walks and the start-up from empty stages (3,199 in
/// all); with a budget of 1,000, 564 (the walks had spent the rest).
/// Its hint ends with where the last iterate has no extractant free:
/// stage 20, the extraction's top, 5.3e-9 of the total. Since round 61
/// with [`la_dosed`] (1,291 iterations, 540 of 1,000; 1.2e-9 at stage
/// 20).
#[test]
fn a_dose_blind_failure_ends_at_its_first_solve() {
    let v = unsolved_json(&la_dosed());
    assert_eq!(v["status"], "diverged");
    let its = v["iterations"].as_u64().unwrap();
    assert!(its <= 1600, "{its} iterations");
    // round 60: the hint says where the last iterate used the extractant
    // up, the stage with the least free of it (1.261 % x 0.0302 mol/L)
    let (free, at) = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["free_extractant"].as_f64().unwrap(),
                s["stage"].as_u64().unwrap(),
            )
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    let clause = format!(
        "; in the last iterate the free extractant is down to {:.1e} of the total at stage {at} \
         (extraction)",
        free / (1.261 * 0.0302)
    );
    let hint = v["hint"].as_str().unwrap_or_default();
    assert!(hint.ends_with(&clause) && free < 1e-8, "{hint}");
    let src = format!("{}[solver]\nmax_iterations = 1000\n", la_dosed());
    let v = unsolved_json(&src);
    assert_eq!(v["status"], "diverged");
    let its = v["iterations"].as_u64().unwrap();
    assert!(its <= 700, "{its} iterations");
    // the hint names the metal
    let hint = v["hint"].as_str().unwrap_or_default();
    assert!(
        hint.starts_with("the distribution ratio of La does not fall"),
        "{hint}"
    );
}

/// Round 61's held-out CLI check, log-linear 86111: 13 metals over one
/// extraction and one scrub stage under `fixed_dose`, so that no
/// distribution ratio reads the free extractant.
const BLIND_OVERLOADED: &str = "name = \"ll random\"\n\
    components = [\"La\", \"Ce\", \"Pr\", \"Nd\", \"Sm\", \"Eu\", \"Gd\", \"Tb\", \"Dy\", \"Ho\", \"Er\", \"Tm\", \"Yb\"]\n\
    [chemistry]\n\
    model = \"log-linear\"\n\
    dose = 4.671\n\
    molarity_per_percent = 0.0302\n\
    bisulfate = true\n\
    charge = { La = 3, Ce = 3, Pr = 2, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 3, Dy = 3, Ho = 3, Er = 3, Tm = 3, Yb = 3 }\n\
    fixed_dose = true\n\
    d = { Gd = 0.01706, Er = 0.003051 }\n\
    [chemistry.fit.La]\n\
    m0 = 1.5851\n\
    b0 = -4.3551\n\
    m1 = 0.01919\n\
    [chemistry.fit.Ce]\n\
    m0 = 1.4444\n\
    b0 = -3.8544\n\
    b1 = 0.6071\n\
    [chemistry.fit.Pr]\n\
    m0 = 1.0799\n\
    b0 = -3.4794\n\
    b1 = 1.3824\n\
    [chemistry.fit.Nd]\n\
    m0 = 0.7342\n\
    b0 = -3.2506\n\
    b1 = -0.1701\n\
    [chemistry.fit.Sm]\n\
    m0 = 2.0449\n\
    b0 = -2.6846\n\
    m1 = -0.0209\n\
    b1 = -0.3267\n\
    [chemistry.fit.Eu]\n\
    m0 = 2.8489\n\
    b0 = -2.5008\n\
    m1 = 0.02572\n\
    [chemistry.fit.Tb]\n\
    m0 = 0.3091\n\
    b0 = -1.8602\n\
    m1 = -0.00582\n\
    [chemistry.fit.Dy]\n\
    m0 = 2.0862\n\
    b0 = -1.628\n\
    b1 = 0.421\n\
    [chemistry.fit.Ho]\n\
    m0 = 1.9452\n\
    b0 = -1.1577\n\
    b1 = 0.0236\n\
    [chemistry.fit.Tm]\n\
    m0 = 2.3393\n\
    b0 = -0.6909\n\
    b1 = 1.4678\n\
    [chemistry.fit.Yb]\n\
    m0 = 2.7738\n\
    b0 = -0.5139\n\
    b1 = 0.1846\n\
    [cascade]\n\
    extraction = 1\n\
    scrub = 1\n\
    strip = 0\n\
    [feed]\n\
    phase = \"aqueous\"\n\
    flow = 1.0\n\
    concentration = { La = 0.0040961, Ce = 0.00047497, Pr = 0.0029707, Nd = 0.0027489, Sm = 0.00057613, Eu = 0.001204, Gd = 0.0013239, Tb = 0.0018592, Dy = 0.0032566, Ho = 0.00033156, Er = 0.0012153, Tm = 0.0033762, Yb = 0.0028219 }\n\
    acid = 0.05918\n\
    sulfate = 0.8142\n\
    [flows]\n\
    organic = 0.66703\n\
    scrub = 0.1016\n\
    [scrub]\n\
    acid = 4.299\n\
    sulfate = 0.4477\n";

/// Round 61: a log-linear cascade none of whose distribution ratios reads
/// the free extractant is solved at a hundred times its capacity, which
/// its stage equations involve only through the extractant balances.
/// [`BLIND_OVERLOADED`] used its whole budget of 1,300 iterations and
/// said only that a steady state "may need more extractant than the
/// organic carries". Reduced by hand, outside the crate, to its two
/// stages' acid balances in their two pHs (each metal's two balances
/// linear once the pHs fix its `D`; `[H+] + [HSO4-]` with Ka2 = 10^-1.99
/// and each stage's sulfate; Newton from the 40 best points of a grid over
/// pH -4 to 6), those balances have one root, pH 1.822661619858619 and
/// -0.054194252148928, where stage 1's metals bind 0.32196481 mol/L more
/// than the 4.671 % x 0.0302 = 0.1410642 mol/L of extractant. The report
/// now says that first, with that stage and amount, after 8 iterations,
/// and no dose-blind hint beside it; its last iterate is that state. [`LA_DOSE_BLIND`] alike: 1,298
/// iterations before, now its scrub-fed top extraction stage binds 1.057
/// times the extractant.
#[test]
fn a_blind_cascade_binding_more_than_its_extractant_says_where() {
    let v = unsolved_json(BLIND_OVERLOADED);
    assert!(v["iterations"].as_u64().unwrap() <= 50, "{v}");
    let ph: Vec<f64> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["ph"].as_f64().unwrap())
        .collect();
    assert!((ph[0] - 1.822661619858619).abs() < 1e-9, "{ph:?}");
    assert!((ph[1] + 0.054194252148928).abs() < 1e-9, "{ph:?}");
    // what stage 1's organic binds, e_k = charge (Pr 2, the rest 3)
    let bound: f64 = v["stages"][0]["organic"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, y)| if k == "Pr" { 2.0 } else { 3.0 } * y.as_f64().unwrap())
        .sum();
    assert!((bound - (0.1410642 + 0.32196481)).abs() < 1e-8, "{bound}");
    let why = v["diagnosis"].as_str().unwrap_or_default();
    let expected = format!(
        "binds {bound:.4e} mol/L of extractant in the organic of stage 1 (extraction), {:.3} \
         times the 1.4106e-1 mol/L it carries",
        bound / 0.1410642
    );
    assert!(
        why.starts_with("no steady state with extractant free was found")
            && why.contains(&expected),
        "{why}"
    );
    let (out, _dir) = run_model(BLIND_OVERLOADED);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("NOT CONVERGED"), "{text}");
    assert!(lines
        .next()
        .unwrap()
        .starts_with("why: no steady state with extractant free"));
    // the proof stands for the dose-blind hint, whose "free extractant down
    // to 9.9e-305" would read the projection's floor as a collapse
    assert!(!text.contains("likely cause"), "{text}");
    assert!(v.get("hint").is_none(), "{v}");
    // one metal, 67 stages
    let v = unsolved_json(LA_DOSE_BLIND);
    assert!(v["iterations"].as_u64().unwrap() <= 50, "{v}");
    let why = v["diagnosis"].as_str().unwrap_or_default();
    let la = v["stages"][19]["organic"]["La"].as_f64().unwrap();
    let expected = format!(
        "binds {:.4e} mol/L of extractant in the organic of stage 20 (extraction), 1.057 times",
        3.0 * la
    );
    assert!(why.contains(&expected), "{why}");
}

/// Round 61: where a cascade blind to the extractant binds less than its
/// capacity in every stage, the steady state solved at a hundred times it
/// is its own. Round 61's CLI check log-linear 87558 (4 metals over 7
/// extraction stages under `fixed_dose`, La in the incoming organic; the
/// top stage keeps 4.1 % of its extractant free): 5 iterations, the same
/// outlets as its start-up from empty stages within 1e-12 of each
/// outlet's total, and each stage's free extractant what its metals leave
/// of 5.294 % x 0.0302 mol/L (e_k = charge, Pr 2).
#[test]
fn a_blind_cascade_is_solved_at_a_wider_capacity_to_its_own_state() {
    let src = "name = \"ll random\"\ncomponents = [\"La\", \"Ce\", \"Pr\", \"Nd\"]\n\
        [chemistry]\nmodel = \"log-linear\"\ndose = 5.294\nmolarity_per_percent = 0.0302\n\
        bisulfate = true\ncharge = { La = 3, Ce = 3, Pr = 2, Nd = 3 }\nfixed_dose = true\n\
        d = { Nd = 8.254 }\n\
        [chemistry.fit.La]\nm0 = 2.6342\nb0 = -3.9342\nb1 = 1.1944\n\
        [chemistry.fit.Ce]\nm0 = 2.5238\nb0 = -3.486\nm1 = 0.01798\nb1 = -0.1732\n\
        [chemistry.fit.Pr]\nm0 = 2.7509\nb0 = -3.2654\n\
        [cascade]\nextraction = 7\nscrub = 0\nstrip = 0\n\
        [feed]\nphase = \"aqueous\"\nflow = 1.0\n\
        concentration = { La = 0.13547, Ce = 0.01167, Pr = 0.018611, Nd = 0.0082528 }\n\
        acid = 0.03228\nsulfate = 0.5889\n\
        [flows]\norganic = 3.2857\n[organic]\nconcentration = { La = 3.48e-05 }\n";
    let v = solved_json(src);
    assert!(v["iterations"].as_u64().unwrap() <= 10, "{v}");
    let (out, _dir) = run_model_with(src, &["--json", "--method", "start-up"]);
    assert_eq!(out.status.code(), Some(0));
    let up: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for stream in ["raffinate", "loaded_organic"] {
        let total: f64 = ["La", "Ce", "Pr", "Nd"]
            .iter()
            .map(|k| stream_amount(&v, stream, k))
            .sum();
        for k in ["La", "Ce", "Pr", "Nd"] {
            let (a, b) = (stream_amount(&v, stream, k), stream_amount(&up, stream, k));
            assert!((a - b).abs() <= 1e-12 * total, "{stream} {k}: {a} vs {b}");
        }
    }
    let capacity = 5.294 * 0.0302;
    let mut least = f64::INFINITY;
    for stage in v["stages"].as_array().unwrap() {
        let bound: f64 = ["La", "Ce", "Pr", "Nd"]
            .iter()
            .map(|k| if *k == "Pr" { 2.0 } else { 3.0 } * phases(stage, k).1)
            .sum();
        let free = stage["free_extractant"].as_f64().unwrap();
        assert!(
            (free + bound - capacity).abs() < 1e-12 * capacity,
            "{stage}"
        );
        least = least.min(free / capacity);
    }
    assert!((0.04..0.042).contains(&least), "{least}");
}

/// Round 41: a failed solve reports the nearer of its last two iterates.
/// [`LA_DOSE_BLIND`] reported its continuation's iterate, broken down at
/// a relative residual of 1.6e22 on stage 20's extractant balance, where
/// its start-up's last state holds every equation within 0.7 (the worst
/// La's balance on stage 41, in the scrub where it piles up): a state of
/// the plant, its amounts all finite and non-negative. Since round 61
/// with [`la_dosed`] (0.696 at stage 41, La).
#[test]
fn a_failed_solve_reports_its_nearer_iterate() {
    let v = unsolved_json(&la_dosed());
    let r = v["residual"].as_f64().unwrap();
    assert!(r < 0.7, "{r}");
    assert_eq!(v["worst"]["quantity"], "component La");
    for stage in v["stages"].as_array().unwrap() {
        let (x, y) = phases(stage, "La");
        assert!(
            x.is_finite() && x >= 0.0 && y.is_finite() && y >= 0.0,
            "{stage}"
        );
    }
}

/// Round 49's independent CLI check, log-linear 8495 with every dose
/// slope at least 0.3 (a valid model: 15 metals over 226 + 138 stages,
/// Gd and Tb blind to the pH). Its start-up from the scrub pinch was cut
/// at a third of the budget left, 75 iterations short of converging, and
/// the cold start got nowhere with the rest: exit 2 after the default
/// budget of 4,473 iterations. With half (`LL_PINCH_SHARE` in
/// `solver/rigorous.rs`) it converges within that budget, and every
/// metal fed leaves in the raffinate or the loaded organic.
#[test]
fn a_start_up_from_the_scrub_pinch_gets_half_the_budget_left() {
    let v = solved_json(LL_8495_CAPPED);
    assert_eq!(v["converged"], true);
    let it = v["iterations"].as_u64().unwrap();
    assert!(it <= 4473, "{it} iterations");
    let model: toml::Value = toml::from_str(LL_8495_CAPPED).unwrap();
    let fed = model["feed"]["concentration"].as_table().unwrap();
    assert_eq!(fed.len(), 15);
    for (metal, c) in fed {
        let c = c.as_float().unwrap();
        let out = |s: &str| v["streams"][s]["amount"][metal.as_str()].as_f64().unwrap();
        let (raff, loaded) = (out("raffinate"), out("loaded_organic"));
        assert!(
            ((raff + loaded) / c - 1.0).abs() < 1e-9,
            "{metal}: {raff} + {loaded} mol/h against {c} fed"
        );
    }
}

/// The model of `a_start_up_from_the_scrub_pinch_gets_half_the_budget_left`,
/// as `scripts/cli_check.py --model log-linear --capped 0.3 --case 8495`
/// writes it.
const LL_8495_CAPPED: &str = r#"name = "ll 8495 capped"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"]

[chemistry]
model = "log-linear"
dose = 4.001
molarity_per_percent = 0.0302
bisulfate = true
charge = { La = 3, Ce = 3, Pr = 3, Nd = 2, Sm = 3, Eu = 3, Gd = 3, Tb = 3, Dy = 3, Ho = 3, Er = 3, Tm = 3, Yb = 3, Lu = 3, Y = 3 }

[chemistry.fit.La]
m0 = 1.7671
b0 = -4.195750565413699
b1 = 0.3

[chemistry.fit.Ce]
m0 = 2.271
b0 = -3.998650565413699
b1 = 0.3

[chemistry.fit.Pr]
m0 = 1.0388
b0 = -3.753650565413699
m1 = -0.01383
b1 = 0.3

[chemistry.fit.Nd]
m0 = 1.6607
b0 = -3.243350565413699
m1 = 0.00831
b1 = 0.3

[chemistry.fit.Sm]
m0 = 0.7247
b0 = -2.5716
m1 = 0.02826
b1 = 1.1618

[chemistry.fit.Eu]
m0 = 1.882
b0 = -2.314150565413699
m1 = 0.02442
b1 = 0.3

[chemistry.fit.Gd]
m0 = 0.0
b0 = -0.1520793127211615
b1 = 0.3

[chemistry.fit.Tb]
m0 = 0.0
b0 = -0.498324946745892
b1 = 0.3

[chemistry.fit.Dy]
m0 = 1.7188
b0 = -1.8963420075582915
b1 = 0.3

[chemistry.fit.Ho]
m0 = 0.9412
b0 = -1.6811130671703245
b1 = 0.3

[chemistry.fit.Er]
m0 = 1.6184
b0 = -1.6347325841327354
m1 = -0.01828
b1 = 0.3

[chemistry.fit.Tm]
m0 = 0.9311
b0 = -0.7586505654136991
m1 = -0.02172
b1 = 0.3

[chemistry.fit.Yb]
m0 = 2.537
b0 = -0.7384667597506419
b1 = 0.3

[chemistry.fit.Lu]
m0 = 2.8578
b0 = -0.2966
m1 = 0.02156
b1 = 0.3317

[chemistry.fit.Y]
m0 = 2.8334
b0 = 0.0153
m1 = 0.02061
b1 = 0.9799

[cascade]
extraction = 226
scrub = 138
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.001827, Ce = 0.00162, Pr = 0.003714, Nd = 0.0056418, Sm = 0.0053736, Eu = 0.0053531, Gd = 0.0050245, Tb = 0.0010442, Dy = 0.0058564, Ho = 0.0036064, Er = 0.0010043, Tm = 0.0034498, Yb = 0.00084676, Lu = 0.0026369, Y = 0.0005913 }
acid = 0.674
sulfate = 0.9405

[flows]
organic = 2.208
scrub = 0.09086

[scrub]
acid = 2.917
sulfate = 0.9675
"#;

/// Round 50's start-up step control. Independent CLI check, mass-action
/// seed 14242: eight metals over 280 + 224 + 13 stages, saponified. Its
/// start-up's steps failed at 0.21 residence times; the quarter of the
/// failed step converged in 3 inner iterations, which forgot the failure,
/// and the steps doubled twice back onto 0.21 and failed again, 50 times
/// (3,488 iterations, 8.7 s). A failure's quarter no longer forgets the
/// failed length, the steps after it close in on it from below, and the
/// cascade converges in 2,224 iterations (5.8 s).
#[test]
fn a_start_up_keeps_a_failed_length_past_an_easy_quarter() {
    let stages = converged_within(MA_14242, 2400, 517);
    // Tb on its mass-action law in the scrub (stage 400):
    // D = K [(HA)2]^3 / [H+]^3
    assert_on_mass_action_law(&stages[399], "Tb", 2.125533);
}

/// Round 52's walk probe. Independent CLI check, mass-action seed 15641:
/// La and Ce over 22 + 90 + 1 stages, an organic feed, 5.467 mol/L of
/// scrub acid. Its first solve's start-up crawled for 10,763 iterations
/// (600,000 residence times), the seven eighths of its budget it may use,
/// and the scrub walk after it converged in 47: 10,810 in all. A first
/// solve still going after 2,000 iterations now tries the scrub walk
/// within 100, and that converges: 2,574 (2,724 since round 57's ladder;
/// 4,074 since round 58, whose ladder base, 11 + 12 + 1 stages, crawls
/// too and fails after 1,500; 0.23 -> 0.26 s; 4,574 since round 62,
/// whose base fails after 2,000).
#[test]
fn a_crawling_first_solve_tries_the_scrub_walk() {
    let stages = converged_within(MA_15641, 4700, 113);
    // La on its mass-action law, D = K [(HA)2]^3 / [H+]^3, from the deep
    // extraction (1e-171 mol/L) to the scrub liquor's inlet
    for j in [10, 60, 111] {
        assert_on_mass_action_law(&stages[j], "La", -1.406272);
    }
}

/// The model of `a_crawling_first_solve_tries_the_scrub_walk`, as
/// `scripts/cli_check.py --model mass-action --case 15641` writes it.
const MA_15641: &str = r#"name = "ma random"
components = ["La", "Ce"]

[chemistry]
model = "mass-action"
log10_k = { La = -1.406272, Ce = -0.996569 }
a = 3.0
b = 3.0
extractant = 0.9151
saponification = 0.2625
counter_ion = "Na"
log10_k_ion = -5.98

[cascade]
extraction = 22
scrub = 90
strip = 1

[feed]
phase = "organic"
flow = 1.0
concentration = { La = 0.044477, Ce = 0.052281 }
acid = 1.479

[flows]
organic = 4.3207
scrub = 0.1898
strip = 0.8722

[scrub]
acid = 5.467

[strip]
acid = 4.262
"#;

/// Round 52's flat leap. Independent CLI check, mass-action seed 14150:
/// La and Ce (divalent) over 294 + 5 stages, sodium-saponified. Its
/// start-up leapt a front at stage 75 to the feed stage (293) with the
/// lines of the settled row carried over 249 stages, and the step after
/// the leap failed; followed stage by stage, 3,123 iterations. The leap
/// is now made again flat (the settled row copied), that step converges,
/// and the solve takes 2,529 (2,629 with round 52's walk probe, which
/// does not arrive here).
#[test]
fn a_leap_whose_step_fails_is_made_again_flat() {
    let stages = converged_within(MA_14150, 2800, 299);
    // an extraction stage behind the leapt front balanced: the aqueous of
    // the stage above (feed and scrub liquor) and the organic of the
    // stage below in, its own two phases out
    let (aqueous, organic) = (1.0 + 0.6809, 5.9726);
    for j in [100, 200] {
        for metal in ["La", "Ce"] {
            assert_stage_balanced(&stages, j, metal, (aqueous, organic));
        }
    }
}

/// The model of `a_leap_whose_step_fails_is_made_again_flat`, as
/// `scripts/cli_check.py --model mass-action --case 14150` writes it.
const MA_14150: &str = r#"name = "ma random"
components = ["La", "Ce"]

[chemistry]
model = "mass-action"
log10_k = { La = -0.443642, Ce = 0.225948 }
a = 3.0
b = 3.0
charge = { La = 3, Ce = 2 }
extractant = 0.6634
saponification = 0.575
counter_ion = "Na"

[cascade]
extraction = 294
scrub = 5
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.20184, Ce = 0.37545 }
acid = 0.06565

[flows]
organic = 5.9726
scrub = 0.6809

[scrub]
acid = 2.131
"#;

/// Round 51's trace runs. Independent CLI check, mass-action seed 14280:
/// fifteen metals over 248 + 247 + 1 stages, unsaponified. Its start-up
/// held its steps at 95 residence times from t = 3,500 to 33,000 while the
/// light metals washed out of the scrub and strip (the strip stage's La
/// from `ln x = -952` at 4,864 residence times to -2,085), and every
/// steady try failed at its first iteration on a nearly singular
/// Jacobian until the washout was over: 3,396 iterations (16.9 s). The
/// tries now close every trace run exactly first, and the start-up also
/// tries each time its time doubles: the try at 6,800 converges, 2,081
/// iterations.
#[test]
fn a_trace_washing_out_does_not_hold_the_steady_state_back() {
    let stages = converged_within(MA_14280, 2300, 496);
    // the strip stage's deep traces balanced: the loaded organic of stage
    // 495 in, the strip's aqueous and organic out (the strip liquor
    // carries no metal), to the last digits however deep
    let (organic, strip) = (2.5682, 0.2221);
    let (last, strip_stage) = (&stages[494], &stages[495]);
    for (metal, deep) in [("Tm", 1e-220), ("Yb", 1e-130), ("Lu", 1e-3)] {
        let inflow = organic * phases(last, metal).1;
        let (x, y) = phases(strip_stage, metal);
        let outflow = strip * x + organic * y;
        assert!(outflow > 0.0 && outflow < deep, "{metal}: {outflow}");
        assert!(
            (inflow / outflow - 1.0).abs() < 1e-10,
            "{metal}: in {inflow}, out {outflow}"
        );
    }
    // Y on its mass-action law there: D = K [(HA)2]^3 / [H+]^3
    assert_on_mass_action_law(strip_stage, "Y", 2.423231);
}

/// The model of `a_trace_washing_out_does_not_hold_the_steady_state_back`,
/// as `scripts/cli_check.py --model mass-action --case 14280` writes it.
const MA_14280: &str = r#"name = "ma random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"]

[chemistry]
model = "mass-action"
log10_k = { La = -1.24931, Ce = -0.874291, Pr = -0.741528, Nd = -0.6686, Sm = -0.152816, Eu = 0.004638, Gd = 0.236672, Tb = 0.49346, Dy = 0.716452, Ho = 1.054042, Er = 1.09971, Tm = 1.485632, Yb = 1.847632, Lu = 2.389589, Y = 2.423231 }
extractant = 0.3953

[cascade]
extraction = 248
scrub = 247
strip = 1

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.0033652, Ce = 0.01653, Pr = 0.0035313, Nd = 0.0019986, Sm = 0.0085294, Eu = 0.028487, Gd = 0.01192, Tb = 0.0025796, Dy = 0.0019515, Ho = 0.018546, Er = 0.0050964, Tm = 0.0077405, Yb = 0.011195, Lu = 0.014442, Y = 0.004889 }
acid = 0.0001

[flows]
organic = 2.5682
scrub = 0.3361
strip = 0.2221

[scrub]
acid = 2.396

[strip]
acid = 3.127
"#;

/// The model of `a_start_up_keeps_a_failed_length_past_an_easy_quarter`,
/// as `scripts/cli_check.py --model mass-action --case 14242` writes it.
const MA_14242: &str = r#"name = "ma random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb"]

[chemistry]
model = "mass-action"
log10_k = { La = -0.209163, Ce = -0.070032, Pr = 0.565536, Nd = 0.690888, Sm = 0.886705, Eu = 1.232862, Gd = 1.53306, Tb = 2.125533 }
a = 3.0
b = 3.0
charge = { La = 3, Ce = 3, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 3 }
extractant = 4.0
saponification = 0.2476
counter_ion = "NH4"

[cascade]
extraction = 280
scrub = 224
strip = 13

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.055478, Ce = 0.032722, Pr = 0.31797, Nd = 0.04294, Sm = 0.048026, Eu = 0.027197, Gd = 0.039275, Tb = 0.027344 }
acid = 0.004644

[flows]
organic = 1.0298
scrub = 1.048
strip = 1.17

[scrub]
acid = 5.282

[strip]
acid = 3.835
"#;

/// Round 53's move of a crawling front. Independent CLI check, log-linear
/// capped seed 9972: five metals over 255 extraction stages, a dilute
/// extractant (1.55 %). Its start-up crossed the extraction with the
/// front of a praseodymium plateau moving a fraction of a stage a step,
/// too slowly to be predicted or leapt: 13,118 iterations (4.8 s). The
/// front is now moved whole to near the raffinate's end once its crawl is
/// read ([`crawling`] in the solver), and the solve takes 2,200.
#[test]
fn a_crawling_front_is_moved_on() {
    let stages = converged_within(LL_9972, 3000, 255);
    // Pr, built up to eleven times its feed over the extraction (the other
    // metals are traces there, under double range in the JSON): balanced
    // with the aqueous of the stage above and the organic of the stage
    // below, and on its fit, log10 D = 1.3457 pH - 2.511 + 0.6731
    // log10(dose), the dose the stage's free extractant in volume %
    assert_held_on_fit(
        &stages,
        ("Pr", 0.0011052, 10.0),
        &[50, 150, 250],
        (1.0, 0.80107),
        [1.3457, 0.0, -2.511, 0.6731],
    );
}

/// The model of `a_crawling_front_is_moved_on`, as `scripts/cli_check.py
/// --model log-linear --capped 0.3 --case 9972` writes it.
const LL_9972: &str = r#"name = "ll random"
components = ["La", "Ce", "Pr", "Nd", "Sm"]

[chemistry]
model = "log-linear"
dose = 1.55
molarity_per_percent = 0.0302
bisulfate = true
charge = { La = 3, Ce = 3, Pr = 3, Nd = 2, Sm = 3 }

[chemistry.fit.La]
m0 = 2.8998
b0 = -2.8016995094510877
m1 = 0.02755
b1 = 0.3

[chemistry.fit.Ce]
m0 = 2.457
b0 = -2.7587995094510878
m1 = -0.02925
b1 = 0.3

[chemistry.fit.Pr]
m0 = 1.3457
b0 = -2.511
b1 = 0.6731

[chemistry.fit.Nd]
m0 = 1.8246
b0 = -2.0803300731069156
m1 = -0.00803
b1 = 0.3

[chemistry.fit.Sm]
m0 = 2.0058
b0 = -1.6643995094510875
b1 = 0.3

[cascade]
extraction = 255
scrub = 0
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.004714, Ce = 0.00087335, Pr = 0.0011052, Nd = 0.0012995, Sm = 0.0049603 }
acid = 0.001106
sulfate = 0.962

[flows]
organic = 0.80107
"#;

/// CLI check log-linear 11232 capped 0.3 (5 metals over 50 + 280 + 15
/// stages) took 26,212 iterations (23 s): its start-up from the stage
/// roots' start crept 21,000 iterations to 0.014 residence times, and
/// the relative form's pass solved it after that. A start-up from a built
/// start that has not reached 10 residence times after 1,000 iterations
/// now starts again from the cold start, which converges in 1,728 (5,135
/// in all).
#[test]
fn a_creeping_start_up_starts_again_cold() {
    let stages = converged_within(LL_11232, 8000, 345);
    // La, held in the scrub at 646 times its feed: balanced with the
    // scrub's aqueous from the stage above and the organic from below,
    // and on its fit, log10 D = (2.9417 - 0.02682 dose) pH - 3.3776 + 0.3
    // log10(dose)
    assert_held_on_fit(
        &stages,
        ("La", 0.0018392, 600.0),
        &[59, 199],
        (0.07116, 1.1746),
        [2.9417, -0.02682, -3.377586731764314, 0.3],
    );
}

/// The model of `a_creeping_start_up_starts_again_cold`, as
/// `scripts/cli_check.py --model log-linear --capped 0.3 --case 11232`
/// writes it.
const LL_11232: &str = r#"name = "ll random"
components = ["La", "Ce", "Pr", "Nd", "Sm"]

[chemistry]
model = "log-linear"
dose = 12.822
molarity_per_percent = 0.0302
bisulfate = true

[chemistry.fit.La]
m0 = 2.9417
b0 = -3.377586731764314
m1 = -0.02682
b1 = 0.3

[chemistry.fit.Ce]
m0 = 1.2539
b0 = -3.467885580760587
m1 = 0.02592
b1 = 0.3

[chemistry.fit.Pr]
m0 = 1.9572
b0 = -2.682386731764314
b1 = 0.3

[chemistry.fit.Nd]
m0 = 0.0
b0 = -0.11940054702764574
b1 = 0.3

[chemistry.fit.Sm]
m0 = 0.46
b0 = -2.0182
b1 = 1.4122

[cascade]
extraction = 50
scrub = 280
strip = 15

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.0018392, Ce = 0.0034297, Pr = 0.0015657, Nd = 0.0062831, Sm = 0.0021439 }
acid = 0.3637
sulfate = 0.843

[flows]
organic = 1.1746
scrub = 0.07116
strip = 0.2505

[scrub]
acid = 5.483
sulfate = 0.5251

[strip]
acid = 4.92
sulfate = 0.4717
"#;

/// CLI check log-linear 11510 capped 0.3 (12 metals over 105 + 217
/// stages, every dose slope at least 0.3) failed at its budget after 25 s:
/// its start-up from the stage roots' profile held steps under ceilings
/// of 1e-3 residence times, at t = 0.36 after 1,000 iterations and 1.95
/// after 11,400. Started again from the cold start (under 10 residence
/// times after 1,000), it converges in 1,649 iterations in all.
#[test]
fn a_start_up_crawling_from_the_stage_roots_starts_again_cold() {
    let stages = converged_within(LL_11510, 4000, 322);
    // Eu, held in the scrub at over 20 times its feed: balanced with the
    // scrub's aqueous from the stage above and the organic from below,
    // and on its fit, log10 D = (1.7721 + 0.01825 dose) pH + 1.0424 + 0.3
    // log10(dose)
    assert_held_on_fit(
        &stages,
        ("Eu", 0.00010885, 20.0),
        &[150, 250],
        (0.3718, 0.90342),
        [1.7721, 0.01825, 1.042426435928684, 0.3],
    );
}

/// The model of `a_start_up_crawling_from_the_stage_roots_starts_again_cold`,
/// as `scripts/cli_check.py --model log-linear --capped 0.3 --case 11510`
/// writes it.
const LL_11510: &str = r#"name = "ll random"
components = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm"]

[chemistry]
model = "log-linear"
dose = 1.287
molarity_per_percent = 0.0302
charge = { La = 3, Ce = 2, Pr = 3, Nd = 3, Sm = 3, Eu = 3, Gd = 3, Tb = 3, Dy = 3, Ho = 3, Er = 3, Tm = 3 }

[chemistry.fit.La]
m0 = 1.6938
b0 = -1.528
b1 = 1.1113

[chemistry.fit.Ce]
m0 = 1.2775
b0 = -0.8774
b1 = 0.4102

[chemistry.fit.Pr]
m0 = 0.3491
b0 = -0.2833
m1 = 0.02718
b1 = 1.4854

[chemistry.fit.Nd]
m0 = 2.8106
b0 = 0.2781829868058672
m1 = -0.01716
b1 = 0.3

[chemistry.fit.Sm]
m0 = 0.8591
b0 = 0.8086
b1 = 1.4679

[chemistry.fit.Eu]
m0 = 1.7721
b0 = 1.042426435928684
m1 = 0.01825
b1 = 0.3

[chemistry.fit.Gd]
m0 = 0.0
b0 = -2.764529650120251
b1 = 0.3

[chemistry.fit.Tb]
m0 = 0.0
b0 = -2.167236676371687
b1 = 0.3

[chemistry.fit.Dy]
m0 = 1.8252
b0 = 1.5963
b1 = 1.1532

[chemistry.fit.Ho]
m0 = 1.897
b0 = 2.1420264359286842
m1 = -0.02688
b1 = 0.3

[chemistry.fit.Er]
m0 = 1.5422
b0 = 2.6674
b1 = 1.3659

[chemistry.fit.Tm]
m0 = 2.172
b0 = 3.0221264359286844
b1 = 0.3

[cascade]
extraction = 105
scrub = 217
strip = 0

[feed]
phase = "aqueous"
flow = 1.0
concentration = { La = 0.00013184, Ce = 0.0011278, Pr = 0.0013582, Nd = 0.00087222, Sm = 0.0008053, Eu = 0.00010885, Gd = 0.00013545, Tb = 0.00014483, Dy = 0.0011948, Ho = 0.00014906, Er = 0.0011089, Tm = 0.00029338 }
acid = 0.142

[flows]
organic = 0.90342
scrub = 0.3718

[scrub]
acid = 5.51
"#;
