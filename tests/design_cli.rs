//! `sxforge design | optimize | sweep` through the binary.

use std::path::Path;

mod common;

use common::sxforge;

fn sweep_model() -> String {
    format!("{}{}", common::PRND, SWEEP_TABLE)
}

const SWEEP_TABLE: &str = r#"
[sweep]
method = "lhs"
cases = 150
seed = 11
[[sweep.parameter]]
name = "flows.extraction_amount"
min = 3.95
max = 4.25
[[sweep.parameter]]
name = "chemistry.beta.Nd"
min = 1.4
max = 1.6
[[sweep.parameter]]
name = "cascade.extraction"
min = 14
max = 20
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn shards_concatenate_and_threads_do_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "s.toml", &sweep_model());
    let whole = sxforge(&["sweep", &f, "--threads", "2"]);
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let one = sxforge(&["sweep", &f, "--threads", "1"]);
    assert_eq!(whole.stdout, one.stdout);
    let text = String::from_utf8(whole.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 151);
    assert!(text
        .starts_with("case,flows.extraction_amount,chemistry.beta.Nd,cascade.extraction,status,"));
    assert!(text.lines().skip(1).all(|l| l.contains(",converged,")));
    let mut cat = Vec::new();
    for i in 1..=4 {
        let s = sxforge(&["sweep", &f, "--shard", &format!("{i}/4"), "--threads", "2"]);
        assert!(s.status.success());
        cat.extend_from_slice(&s.stdout);
    }
    assert_eq!(cat, whole.stdout);
    // a plot of an output against an input
    let svg = dir.path().join("p.svg");
    let s = sxforge(&[
        "sweep",
        &f,
        "-o",
        dir.path().join("o.csv").to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
        "--y",
        "loaded_organic.purity.Nd",
    ]);
    assert!(s.status.success());
    assert!(std::fs::read_to_string(svg).unwrap().contains("<svg"));
}

#[test]
fn design_writes_a_runnable_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.toml");
    let o = sxforge(&[
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
        "--json",
        "--write",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["shortcut"]["extraction"], 17);
    assert_eq!(v["shortcut"]["scrub"], 20);
    assert_eq!(v["verified"]["total_stages"], 37);
    let c = sxforge::model::load::load_file(&out).unwrap();
    assert_eq!(c.n_stages(), 37);
}

#[test]
fn bad_input_exits_1_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let bad = sweep_model().replace("chemistry.beta.Nd", "chemistry.beta.Sm");
    let f = write(dir.path(), "bad.toml", &bad);
    let o = sxforge(&["sweep", &f]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("bad.toml:29") && e.contains("sweep.parameter[2].name") && e.contains("Sm"),
        "{e}"
    );
    let bounds = sweep_model().replace("min = 1.4\nmax = 1.6", "min = 1.6\nmax = 1.4");
    let f = write(dir.path(), "bounds.toml", &bounds);
    let o = sxforge(&["sweep", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("invalid bounds"));
    let o = sxforge(&["sweep", &f, "--shard", "3/2"]);
    assert_eq!(o.status.code(), Some(1));
    let o = sxforge(&[
        "design",
        "--components",
        "Pr,Nd",
        "--beta",
        "1",
        "--feed",
        "0.25,0.75",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--beta"));
    let o = sxforge(&["optimize", &write(dir.path(), "noopt.toml", &sweep_model())]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("[optimize]"));
}

#[test]
fn unreachable_design_exits_2_with_nearest_value() {
    let o = sxforge(&[
        "design",
        "--components",
        "Pr,Nd",
        "--beta",
        "1,1.5",
        "--feed",
        "0.25,0.75",
        "--organic-purity",
        "0.999999",
        "--raffinate-purity",
        "0.999999",
        "--max-stages",
        "30",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("infeasible") && e.contains("nearest achievable"),
        "{e}"
    );
}

#[test]
fn contradictory_targets_name_the_nearest_achievable_value() {
    let design = |targets: &[&str]| {
        let mut args = vec![
            "design",
            "--components",
            "A,B",
            "--beta",
            "1,1.5",
            "--feed",
            "0.5,0.5",
        ];
        args.extend_from_slice(targets);
        let o = sxforge(&args);
        assert_eq!(o.status.code(), Some(2));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    // a raffinate of 99 % A holds at most 0.5 / 99 of B: at least
    // 1 - 1/99 = 0.989899 of B goes to the organic (fuzzing: the nearest
    // value printed was the target itself, 0.500000)
    let e = design(&["--raffinate-purity", "0.99", "--organic-recovery", "0.5"]);
    assert!(
        e.contains("nearest achievable organic recovery: 0.989899"),
        "{e}"
    );
    // a recovery of 1 is a pure product, in the user's terms (it named
    // Xu's `P_A = 1`)
    let e = design(&["--organic-recovery", "0.5", "--raffinate-recovery", "1"]);
    assert!(
        e.contains("raffinate_recovery = 1 needs infinitely many stages") && !e.contains("P_A"),
        "{e}"
    );
}

#[test]
fn shipped_models_run() {
    let root = env!("CARGO_MANIFEST_DIR");
    let o = sxforge(&[
        "optimize",
        &format!("{root}/models/prnd-optimize.toml"),
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "optimal");
    for c in v["constraints"].as_array().unwrap() {
        assert!(c["value"].as_f64().unwrap() >= c["bound"].as_f64().unwrap());
    }
    let c = sxforge::model::load::load_file(Path::new(&format!("{root}/models/prnd-sweep.toml")))
        .unwrap();
    assert_eq!(c.n_stages(), 37);
}
