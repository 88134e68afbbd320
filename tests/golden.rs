//! Golden outputs: the binary run on every shipped model, compared with the
//! files committed under `tests/golden/`. This freezes the output contract
//! (text, JSON, CSV and exit status) so that a refactor provably changes
//! nothing it does not mean to.
//!
//! - JSON is compared by structure, keys and values; numbers with a relative
//!   tolerance of 1e-9. Keys ending in `_s` (wall-clock seconds) are skipped.
//! - CSV is compared field by field, numbers with the same tolerance.
//! - Text is compared exactly, except lines that carry a timing (`0.012 s`).
//!
//! After an intended change of output, rewrite the files with
//! `SXFORGE_BLESS=1 cargo test --release --test golden` and review the diff.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

const REL_TOL: f64 = 1e-9;

/// How a case's output is compared.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Text,
    Json,
    Csv,
}

impl Kind {
    fn ext(self) -> &'static str {
        match self {
            Kind::Text => "txt",
            Kind::Json => "json",
            Kind::Csv => "csv",
        }
    }
}

/// One run of the binary.
struct Case {
    /// Golden file stem.
    name: String,
    args: Vec<String>,
    kind: Kind,
    /// Compare this file (written by the run) instead of stdout.
    output_file: Option<&'static str>,
    /// Expected exit status.
    code: i32,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn model_path(file: &str) -> String {
    common::model(file).to_string_lossy().into_owned()
}

/// Shipped cascade models (everything in `models/` that is not a plan).
fn cascade_models() -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".toml") && !is_plan(f))
            .collect();
    v.sort();
    v
}

fn is_plan(file: &str) -> bool {
    let text = std::fs::read_to_string(common::model(file)).unwrap();
    text.lines().any(|l| l.trim() == "[[region]]")
}

fn plan_models() -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".toml") && is_plan(f))
            .collect();
    v.sort();
    v
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    let case = |name: String, args: &[&str], kind, output_file, code| Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        kind,
        output_file,
        code,
    };
    for m in cascade_models() {
        let stem = m.trim_end_matches(".toml");
        let p = model_path(&m);
        v.push(case(
            format!("simulate-{stem}"),
            &["simulate", &p],
            Kind::Text,
            None,
            0,
        ));
        v.push(case(
            format!("simulate-{stem}-json"),
            &["simulate", &p, "--json"],
            Kind::Json,
            None,
            0,
        ));
        v.push(case(
            format!("simulate-{stem}-profile"),
            &["simulate", &p, "--profile", "{OUT}"],
            Kind::Csv,
            Some("{OUT}"),
            0,
        ));
    }
    for m in plan_models() {
        let stem = m.trim_end_matches(".toml");
        let p = model_path(&m);
        v.push(case(
            format!("plan-{stem}"),
            &["plan", &p],
            Kind::Text,
            None,
            0,
        ));
        v.push(case(
            format!("plan-{stem}-json"),
            &["plan", &p, "--json"],
            Kind::Json,
            None,
            0,
        ));
    }
    v.push(case(
        "sweep-prnd-sweep".into(),
        &["sweep", &model_path("prnd-sweep.toml")],
        Kind::Csv,
        None,
        0,
    ));
    let design = [
        "design",
        "--components",
        "Pr,Nd",
        "--beta",
        "1,1.5",
        "--feed",
        "0.25,0.75",
        "--organic-purity",
        "0.995",
        "--raffinate-purity",
        "0.99",
    ];
    v.push(case("design-readme".into(), &design, Kind::Text, None, 0));
    let mut dj = design.to_vec();
    dj.push("--json");
    v.push(case("design-readme-json".into(), &dj, Kind::Json, None, 0));
    v
}

/// Runs a case; returns (exit code, compared output, stderr).
fn run(c: &Case) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("out.{}", c.kind.ext()));
    let out_s = out.to_string_lossy().into_owned();
    let args: Vec<String> = c.args.iter().map(|a| a.replace("{OUT}", &out_s)).collect();
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let o = common::sxforge(&refs);
    let body = match c.output_file {
        Some(_) => std::fs::read_to_string(&out).unwrap_or_default(),
        None => String::from_utf8_lossy(&o.stdout).into_owned(),
    };
    (
        o.status.code().unwrap_or(-1),
        body,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= REL_TOL * a.abs().max(b.abs())
}

/// First difference between two JSON values, as a path and a description.
fn json_diff(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            let roundoff = (path.ends_with(".residual") || path.contains(".balance_error"))
                && x.abs().max(y.abs()) < ROUNDOFF;
            (!close(x, y) && !roundoff && !path.ends_with("_s"))
                .then(|| format!("{path}: {x} vs golden {y}"))
        }
        (Value::Object(x), Value::Object(y)) => {
            let kx: Vec<&String> = x.keys().collect();
            let ky: Vec<&String> = y.keys().collect();
            if kx != ky {
                return Some(format!("{path}: keys {kx:?} vs golden {ky:?}"));
            }
            x.iter()
                .find_map(|(k, v)| json_diff(&format!("{path}.{k}"), v, &y[k]))
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: length {} vs golden {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (u, v))| json_diff(&format!("{path}[{i}]"), u, v))
        }
        _ => (a != b).then(|| format!("{path}: {a} vs golden {b}")),
    }
}

/// Whether a text line carries a wall-clock time (`... 0.012 s, ...`).
fn has_timing(line: &str) -> bool {
    let b = line.as_bytes();
    line.match_indices(" s").any(|(i, _)| {
        i > 0
            && b[i - 1].is_ascii_digit()
            && matches!(b.get(i + 2), None | Some(b',') | Some(b')') | Some(b' '))
    })
}

/// Below this, residuals and balance errors are roundoff: their digits
/// change with any reordering of floating-point operations.
const ROUNDOFF: f64 = 1e-12;

/// Whether two text lines differ only in roundoff-level numbers (residuals
/// and balance errors below [`ROUNDOFF`]).
fn roundoff_only(x: &str, y: &str) -> bool {
    let tx: Vec<&str> = x.split_whitespace().collect();
    let ty: Vec<&str> = y.split_whitespace().collect();
    let num = |t: &str| t.trim_end_matches([',', ';', ')']).parse::<f64>().ok();
    tx.len() == ty.len()
        && tx.iter().zip(&ty).all(|(u, v)| {
            u == v
                || matches!((num(u), num(v)), (Some(p), Some(q)) if p.abs().max(q.abs()) < ROUNDOFF)
        })
}

fn text_diff(a: &str, b: &str) -> Option<String> {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    if la.len() != lb.len() {
        return Some(format!("{} lines vs golden {}", la.len(), lb.len()));
    }
    la.iter()
        .zip(&lb)
        .enumerate()
        .find(|(_, (x, y))| x != y && !(has_timing(x) && has_timing(y)) && !roundoff_only(x, y))
        .map(|(i, (x, y))| format!("line {}:\n  got    {x}\n  golden {y}", i + 1))
}

fn csv_diff(a: &str, b: &str) -> Option<String> {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    if la.len() != lb.len() {
        return Some(format!("{} lines vs golden {}", la.len(), lb.len()));
    }
    for (i, (x, y)) in la.iter().zip(&lb).enumerate() {
        let fx: Vec<&str> = x.split(',').collect();
        let fy: Vec<&str> = y.split(',').collect();
        let same = fx.len() == fy.len()
            && fx.iter().zip(&fy).all(|(u, v)| {
                u == v
                    || matches!((u.parse::<f64>(), v.parse::<f64>()), (Ok(p), Ok(q))
                        if close(p, q) || p.abs().max(q.abs()) < ROUNDOFF)
            });
        if !same {
            return Some(format!("line {}:\n  got    {x}\n  golden {y}", i + 1));
        }
    }
    None
}

/// Compares `got` with the golden text; `None` when equal.
fn compare(kind: Kind, got: &str, golden: &str) -> Option<String> {
    match kind {
        Kind::Text => text_diff(got, golden),
        Kind::Csv => csv_diff(got, golden),
        Kind::Json => {
            let a: Value = match serde_json::from_str(got) {
                Ok(v) => v,
                Err(e) => return Some(format!("output is not JSON: {e}")),
            };
            let b: Value = serde_json::from_str(golden).expect("golden file is JSON");
            json_diff("$", &a, &b)
        }
    }
}

#[test]
fn shipped_models_match_golden_outputs() {
    let bless = std::env::var("SXFORGE_BLESS").is_ok_and(|v| v == "1");
    let dir = golden_dir();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut failures = Vec::new();
    for c in cases() {
        let (code, got, stderr) = run(&c);
        let file = dir.join(format!("{}.{}", c.name, c.kind.ext()));
        if code != c.code {
            failures.push(format!(
                "{}: exit {code}, expected {}; stderr: {stderr}",
                c.name, c.code
            ));
            continue;
        }
        if bless {
            std::fs::write(&file, &got).unwrap();
            continue;
        }
        let golden = match std::fs::read_to_string(&file) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!(
                    "{}: {e} (bless with SXFORGE_BLESS=1)",
                    file.display()
                ));
                continue;
            }
        };
        if let Some(d) = compare(c.kind, &got, &golden) {
            failures.push(format!("{}: {d}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatches (rewrite with SXFORGE_BLESS=1 if intended):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn comparison_catches_changes() {
    // the comparators themselves: a test that cannot fail is a defect
    let a = r#"{"x": 1.0, "y": {"z": [1, 2]}, "build_s": 0.1}"#;
    assert!(compare(Kind::Json, a, a).is_none());
    assert!(compare(Kind::Json, &a.replace("1.0", "1.0000000000001"), a).is_none());
    assert!(compare(Kind::Json, &a.replace("0.1", "0.7"), a).is_none());
    assert!(compare(Kind::Json, &a.replace("1.0", "1.00001"), a).is_some());
    assert!(compare(Kind::Json, &a.replace("[1, 2]", "[1]"), a).is_some());
    assert!(compare(Kind::Json, &a.replace("\"y\"", "\"w\""), a).is_some());
    assert!(compare(Kind::Csv, "a,1.0\n", "a,1.0000000000001\n").is_none());
    assert!(compare(Kind::Csv, "a,1.0\n", "a,1.1\n").is_some());
    assert!(compare(Kind::Csv, "a,1.0\n", "b,1.0\n").is_some());
    assert!(compare(Kind::Text, "solve 0.010 s)\nx\n", "solve 0.020 s)\nx\n").is_none());
    assert!(compare(Kind::Text, "p 98.1 %\n", "p 98.2 %\n").is_some());
    assert!(compare(Kind::Text, "a\n", "a\nb\n").is_some());
}
