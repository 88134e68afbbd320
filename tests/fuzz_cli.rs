//! Fuzz-style test of the binary (issue 9): every shipped model mutated
//! (each number to 0, -1, 1e308, nan, inf; each table removed; a component
//! duplicated) plus command-line abuse. Every run must end with exit status
//! 0, 1 or 2, no panic, a one-line `error:` message on exit 1, and no NaN or
//! inf in the output of exit 0. Mutations are sampled with a fixed seed so
//! the test is deterministic and stays within a few seconds.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use sxforge::rng::SplitMix64;

/// Keeps about `keep` of `items`, always the same ones.
fn sample<T>(items: Vec<T>, keep: usize, seed: u64) -> Vec<T> {
    if items.len() <= keep {
        return items;
    }
    let mut rng = SplitMix64::new(seed);
    let mut keyed: Vec<(u64, T)> = items.into_iter().map(|t| (rng.next_u64(), t)).collect();
    keyed.sort_by_key(|k| k.0);
    keyed.truncate(keep);
    keyed.into_iter().map(|k| k.1).collect()
}

/// Byte ranges of the numbers written as values (after `=` or inside
/// arrays/inline tables), outside strings and comments.
fn number_spans(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let Some(eq) = line.find('=') else {
        return Vec::new();
    };
    if line.trim_start().starts_with('#') || line.trim_start().starts_with('[') {
        return Vec::new();
    }
    let mut spans = Vec::new();
    let mut i = eq + 1;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            in_str = !in_str;
        } else if !in_str && c == b'#' {
            break;
        } else if !in_str
            && (c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
            && !b[i - 1].is_ascii_alphanumeric()
        {
            let start = i;
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || matches!(b[i], b'.' | b'e' | b'E' | b'_')
                    || (matches!(b[i], b'+' | b'-') && matches!(b[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            spans.push((start, i));
            continue;
        }
        i += 1;
    }
    spans
}

/// Every mutation of a model text: (description, text).
fn mutations(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        for (a, b) in number_spans(line) {
            for v in ["0", "-1", "1e308", "nan", "inf"] {
                let mut l = lines.clone();
                let new = format!("{}{v}{}", &line[..a], &line[b..]);
                l[n] = &new;
                out.push((
                    format!("line {}: {} -> {v}", n + 1, &line[a..b]),
                    l.join("\n"),
                ));
            }
        }
    }
    // each table removed, header and keys
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with('[') && !t.starts_with("[[") {
            let end = (n + 1..lines.len())
                .find(|&j| lines[j].trim_start().starts_with('['))
                .unwrap_or(lines.len());
            let kept: Vec<&str> = lines[..n].iter().chain(&lines[end..]).copied().collect();
            out.push((format!("table {t} removed"), kept.join("\n")));
        }
    }
    // a component (element) listed twice
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("components") || t.starts_with("elements") {
            if let (Some(a), Some(b)) = (
                line.find('"'),
                line[line.find('"').unwrap() + 1..].find('"'),
            ) {
                let first = &line[a..a + b + 2];
                let new = line.replacen('[', &format!("[{first}, "), 1);
                let mut l = lines.clone();
                l[n] = &new;
                out.push((format!("line {}: {first} duplicated", n + 1), l.join("\n")));
            }
        }
    }
    out
}

/// Runs the binary with a time limit; returns (status, stdout, stderr).
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break Some(-9);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    (status, t_out.join().unwrap(), t_err.join().unwrap())
}

/// The contract every run must keep; returns a description of the breach.
fn check(what: &str, (code, stdout, stderr): &(Option<i32>, String, String)) -> Option<String> {
    let fail = |m: &str| Some(format!("{what}: {m}\n  exit {code:?}\n  stderr: {stderr}"));
    if !matches!(code, Some(0..=2)) {
        return fail("exit status not 0, 1 or 2 (panic, abort, signal or hang)");
    }
    if stderr.contains("panicked")
        || stderr.contains("RUST_BACKTRACE")
        || stderr.contains("internal error")
    {
        return fail("panic text");
    }
    for l in stderr.lines().filter(|l| !l.trim().is_empty()) {
        if !(l.starts_with("error: ") || l.starts_with("hint: ") || l.starts_with("warning: ")) {
            return fail("a stderr line that is not an error:, hint: or warning: line");
        }
        if l.starts_with("error: : ") || l.contains(": : ") {
            return fail("an empty key in the message");
        }
    }
    if *code == Some(1) {
        let first = stderr.lines().next().unwrap_or("");
        if first.trim_start_matches("error:").trim().is_empty() {
            return fail("exit 1 without a message");
        }
    }
    if *code == Some(0) {
        let bad = stdout
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(|t| matches!(t, "NaN" | "nan" | "inf" | "-inf" | "Infinity"));
        if bad {
            return fail("NaN or inf in the output of a successful run");
        }
    }
    None
}

fn mutate_and_run(model: &str, cmd: &[&str], keep: usize, seed: u64) -> Vec<String> {
    mutate_lines_and_run(model, cmd, keep, seed, 0)
}

/// As [`mutate_and_run`], only mutations of lines from `first_line` on.
fn mutate_lines_and_run(
    model: &str,
    cmd: &[&str],
    keep: usize,
    seed: u64,
    first_line: usize,
) -> Vec<String> {
    let text = std::fs::read_to_string(common::model(model)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(model);
    let p = path.to_str().unwrap();
    let mut failures = Vec::new();
    let line_of = |d: &str| -> usize {
        d.strip_prefix("line ")
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(usize::MAX)
    };
    let all: Vec<(String, String)> = mutations(&text)
        .into_iter()
        .filter(|(d, _)| line_of(d) >= first_line)
        .collect();
    for (desc, t) in sample(all, keep, seed) {
        std::fs::write(&path, &t).unwrap();
        let mut args: Vec<&str> = cmd.to_vec();
        args.insert(1, p);
        if let Some(f) = check(&format!("{model} {desc}"), &run(&args)) {
            failures.push(f);
        }
    }
    failures
}

fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} runs broke the contract:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn mutated_cascade_models() {
    let mut failures = Vec::new();
    let models = [
        "prnd.toml",
        "lace.toml",
        "ceprnd.toml",
        "constant-d-strip.toml",
        "d2ehpa-sulfate.toml",
        "p507-prnd-industrial.toml",
    ];
    for (i, m) in models.iter().enumerate() {
        failures.extend(mutate_and_run(m, &["simulate", "--json"], 40, i as u64));
    }
    assert_none(failures);
}

#[test]
fn mutated_sweep_and_optimize_tables() {
    // only the lines of the [sweep] and [optimize] tables matter here; the
    // cascade part is covered above. Few samples: each run solves cases.
    let text = std::fs::read_to_string(common::model("prnd-sweep.toml")).unwrap();
    let first = text
        .lines()
        .position(|l| l.trim() == "[sweep]")
        .expect("a [sweep] table")
        + 1;
    assert_none(mutate_lines_and_run(
        "prnd-sweep.toml",
        &["sweep", "--threads", "2"],
        8,
        7,
        first,
    ));
}

#[test]
fn mutated_plan_didactic() {
    assert_none(mutate_and_run("plan-didactic.toml", &["plan"], 40, 11));
}

#[test]
fn plan_with_nothing_to_decide() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.toml");
    std::fs::write(
        &path,
        "name = \"empty\"\nelements = [\"Nd\"]\n[[region]]\nname = \"A\"\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    for solver in ["clarabel", "microlp"] {
        let r = run(&["plan", p, "--solver", solver]);
        assert_none(
            check(&format!("empty plan, {solver}"), &r)
                .into_iter()
                .collect(),
        );
    }
}

#[test]
fn command_line_abuse() {
    let prnd = common::model("prnd.toml");
    let prnd = prnd.to_str().unwrap();
    let sweep = common::model("prnd-sweep.toml");
    let sweep = sweep.to_str().unwrap();
    let d = [
        "design",
        "--components",
        "Pr,Nd",
        "--feed",
        "0.25,0.75",
        "--organic-purity",
        "0.995",
        "--raffinate-purity",
        "0.99",
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        let mut v = d.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["bogus"],
        vec!["simulate"],
        vec!["simulate", "no/such/file.toml"],
        vec!["simulate", "/dev/zero"],
        vec!["simulate", "/dev/null"],
        vec!["simulate", "/"],
        vec!["simulate", prnd, "--tolerance", "abc"],
        vec!["simulate", prnd, "--tolerance", "-1"],
        vec!["simulate", prnd, "--tolerance", "nan"],
        vec!["simulate", prnd, "--max-rows", "-3"],
        vec!["simulate", prnd, "--method", "rows", "--max-rows", "0"],
        vec!["simulate", prnd, "--profile", "/no/such/dir/p.csv"],
        vec!["simulate", prnd, "--plot", "/"],
        vec!["sweep", sweep, "--threads", "0"],
        vec!["sweep", sweep, "--threads", "100000"],
        vec!["sweep", sweep, "--shard", "0/4"],
        vec!["sweep", sweep, "--shard", "5/4"],
        vec!["sweep", sweep, "--shard", "x"],
        vec!["sweep", sweep, "-o", "/no/such/dir/s.csv"],
        vec!["sweep", prnd],
        vec!["optimize", prnd],
        vec!["plan", prnd],
        vec!["plan", sweep, "--set", "a.b=1"],
        with(&["--beta", "1,abc"]),
        with(&["--beta", "1,1.0000001"]),
        with(&["--beta", "1,1e-308"]),
        with(&["--beta", "1,1e308"]),
        with(&["--beta", "1,1.5", "--max-stages", "0"]),
        with(&["--beta", "1,1.5", "--max-stages", "100000000"]),
        with(&["--beta", "1,1.5", "--write", "/no/such/dir/d.toml"]),
        with(&["--beta", "1,1.5,2"]),
        with(&["--beta", "-1,1.5"]),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|a| check(&format!("{a:?}"), &run(a)))
        .collect();
    assert_none(failures);
}

#[test]
fn broken_pipe_ends_quietly() {
    // `simulate --json | head -c 10`: the reader goes away early
    let mut child = Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args([
            "simulate",
            common::model("prnd.toml").to_str().unwrap(),
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn mutation_helpers_find_numbers_tables_and_components() {
    let spans = number_spans("amount = { Pr = 0.25, Nd = 1e-3 } # 7");
    assert_eq!(spans.len(), 2);
    assert_eq!(number_spans("name = \"Pr 2\""), vec![]);
    let m = mutations("components = [\"Pr\", \"Nd\"]\n[flows]\nx = 1\n");
    // one number x 5 values, one table, one duplicated component
    assert_eq!(m.len(), 7);
    assert!(m
        .iter()
        .any(|(_, t)| t.contains("[\"Pr\", \"Pr\", \"Nd\"]")));
    assert!(m.iter().any(|(_, t)| !t.contains("[flows]")));
    let (code, out, err) = (Some(0), "x = NaN".to_string(), String::new());
    assert!(check("t", &(code, out, err)).is_some());
    assert!(check("t", &(Some(101), String::new(), String::new())).is_some());
    assert!(check("t", &(Some(1), String::new(), "error: ".into())).is_some());
    assert!(check("t", &(Some(1), String::new(), "error: f: x: bad".into())).is_none());
    // a temp path check that Path is in use for the platform
    assert!(Path::new("/").is_dir());
}

#[test]
fn exit_statuses_follow_the_one_map() {
    let prnd = common::model("prnd.toml");
    let prnd = prnd.to_str().unwrap();
    // usage errors are bad input (1), not "did not converge" (2)
    for args in [
        vec!["simulate"],
        vec!["simulate", prnd, "--tolerance", "abc"],
        vec!["simulate", prnd, "--tolerance", "-1"],
        vec!["simulate", prnd, "--no-such-flag"],
        vec!["simulate", "/dev/zero"],
        vec!["simulate", prnd, "--profile", "/no/such/dir/p.csv"],
        vec!["design", "--beta", "1,abc"],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: nothing on stdout: {out}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error: ")).count(),
            1,
            "{args:?}: {err}"
        );
    }
    let (code, _, err) = run(&["simulate", prnd, "--tolerance", "-1"]);
    assert!(err.contains("--tolerance = -1"), "{code:?} {err}");
    // separation factors 1e308 apart: the --beta value is to blame
    let (code, _, err) = run(&[
        "design",
        "--components",
        "Pr,Nd",
        "--beta",
        "1,1e-308",
        "--feed",
        "0.25,0.75",
        "--organic-purity",
        "0.995",
        "--raffinate-purity",
        "0.99",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("beta.Nd = 1e-308"), "{err}");
    assert!(!err.contains("scrub_amount"), "{err}");
}

#[test]
fn a_shard_of_a_large_latin_hypercube_runs_its_share() {
    // 1,000,000 cases; shard 1 of 10,000 is the first 100
    let text = std::fs::read_to_string(common::model("prnd-sweep.toml")).unwrap();
    let base = &text[..text.find("[sweep]").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.toml");
    std::fs::write(
        &path,
        format!(
            "{base}[sweep]\nmethod = \"lhs\"\ncases = 1000000\nseed = 3\n\n\
             [[sweep.parameter]]\nname = \"flows.scrub_amount\"\nmin = 3.3\nmax = 3.4\n\n\
             [[sweep.parameter]]\nname = \"cascade.scrub\"\nmin = 18\nmax = 22\n"
        ),
    )
    .unwrap();
    let (code, out, err) = run(&["sweep", path.to_str().unwrap(), "--shard", "1/10000"]);
    assert_eq!(code, Some(0), "{err}");
    // header and 100 cases, numbered 1..100
    assert_eq!(out.lines().count(), 101, "{out}");
    assert!(out.lines().last().unwrap().starts_with("100,"), "{out}");
    let (code, out, err) = run(&["sweep", path.to_str().unwrap(), "--shard", "10000/10000"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 100, "{out}");
    assert!(out.lines().last().unwrap().starts_with("1000000,"), "{out}");
}

#[test]
fn unconverged_report_is_honest() {
    let text = std::fs::read_to_string(common::model("lace.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.toml");
    // (a tolerance below the roundoff of the balances: the marched start of
    // this two-component cascade converges at its first evaluation)
    std::fs::write(
        &path,
        format!("{text}\n[solver]\nmax_iterations = 2\ntolerance = 1e-17\n"),
    )
    .unwrap();
    let (code, out, err) = run(&["simulate", path.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    let first = out.lines().next().unwrap_or("");
    assert!(first.starts_with("NOT CONVERGED"), "{first}");
    assert!(
        first.contains("component La") || first.contains("component Ce"),
        "{first}"
    );
    // no purity or recovery from the unconverged iterate
    assert!(!out.contains(" %"), "{out}");
    assert!(
        err.starts_with("error: ") && err.contains("did not converge"),
        "{err}"
    );
    // the file's limit, under the default budget of its 17 stages of 2
    // components (1000 + 150 per stage), is named as the likely cause
    assert!(
        out.contains(
            "likely cause: the model's [solver] max_iterations = 2 stopped the solve; \
             without that key this cascade gets 3550 iterations"
        ),
        "{out}"
    );
    // and not where the limit is no shorter than that budget
    let at_default = dir.path().join("d.toml");
    std::fs::write(
        &at_default,
        format!("{text}\n[solver]\nmax_iterations = 3550\ntolerance = 1e-17\n"),
    )
    .unwrap();
    let (code, out, err) = run(&["simulate", at_default.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.contains("3550 Newton iterations"), "{out}");
    assert!(!out.contains("likely cause"), "{out}");
    let (code, out, _) = run(&["simulate", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(2));
    assert!(out.contains("\"converged\": false"), "{out}");
    // the JSON alike: no purity or recovery (null, keys kept) and no
    // negative amount from the last iterate (recoveries of 10,567 % from
    // an unconverged log-linear iterate before round 30)
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let streams = v["streams"].as_object().unwrap();
    assert!(!streams.is_empty());
    for s in streams.values() {
        for key in ["purity", "recovery"] {
            let m = s[key].as_object().unwrap();
            assert_eq!(m.len(), 2, "{s}");
            assert!(m.values().all(|x| x.is_null()), "{key}: {s}");
        }
        let a = s["amount"].as_object().unwrap();
        assert!(
            a.values().all(|x| x.as_f64().is_some_and(|x| x >= 0.0)),
            "{s}"
        );
    }
}

/// Issue 9: a failed solve names the row where it stalled, also when that
/// row is no metal's (the log-linear model's acid row here; `component ?`
/// before).
#[test]
fn unconverged_report_names_a_row_that_is_no_metal() {
    let text = std::fs::read_to_string(common::model("d2ehpa-sulfate.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.toml");
    std::fs::write(&path, format!("{text}\n[solver]\nmax_iterations = 2\n")).unwrap();
    let (code, out, err) = run(&["simulate", path.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    let acid = "at stage 6, the acid balance (H+ and the extractant's exchangeable H)";
    let first = out.lines().next().unwrap_or("");
    assert!(
        first.starts_with("NOT CONVERGED") && first.contains(acid),
        "{first}"
    );
    assert!(out.contains(&format!("  worst {acid}\n")), "{out}");
    assert!(
        !out.contains("component ?") && !out.contains("(all)"),
        "{out}"
    );
    assert!(err.contains(acid), "{err}");
    // JSON: `worst` says where, as the text does
    let (code, out, _) = run(&["simulate", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, Some(2));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["converged"], false);
    assert_eq!(v["worst"]["stage"], 6);
    assert_eq!(
        v["worst"]["quantity"],
        "the acid balance (H+ and the extractant's exchangeable H)"
    );
    assert_eq!(v["worst"]["residual"], v["residual"]);
}
