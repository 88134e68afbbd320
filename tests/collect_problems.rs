//! Rigorous chemistry and flowsheet units report every problem of a file,
//! each at its key and line, not only the first one found.

use sxforge::error::InputErrors;

/// A shipped model with some `key = ...` lines replaced (`None`: removed).
fn edit(path: &str, edits: &[(&str, Option<&str>)]) -> String {
    let src = std::fs::read_to_string(path).unwrap();
    let mut out: Vec<String> = src.lines().map(str::to_string).collect();
    for (prefix, new) in edits {
        let i = out
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{path}: no line starts with {prefix}"));
        match new {
            Some(n) => out[i] = n.to_string(),
            None => out[i] = "# (removed)".to_string(),
        }
    }
    out.join("\n") + "\n"
}

/// 1-based line of the first line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> u32 {
    1 + text.lines().position(|l| l.starts_with(prefix)).unwrap() as u32
}

/// `(key, line)` of every problem, in order.
fn keys_lines(e: &InputErrors) -> Vec<(String, u32)> {
    e.iter()
        .map(|e| (e.key.clone(), e.location.line.expect("located")))
        .collect()
}

fn cascade_errors(text: &str) -> InputErrors {
    sxforge::model::load::parse_str(text, Some("m.toml".into())).unwrap_err()
}

#[test]
fn mass_action_parameters_three_bad_values_three_located_messages() {
    let text = edit(
        "models/p507-prnd-industrial.toml",
        &[
            ("a = ", Some("a = 20.0")),
            ("saponification = ", Some("saponification = 1.5")),
            ("log10_k_ion = ", Some("log10_k_ion = nan")),
        ],
    );
    let e = cascade_errors(&text);
    assert_eq!(
        keys_lines(&e),
        [
            ("chemistry.a".to_string(), line_of(&text, "a = ")),
            (
                "chemistry.saponification".to_string(),
                line_of(&text, "saponification = ")
            ),
            (
                "chemistry.log10_k_ion".to_string(),
                line_of(&text, "log10_k_ion = ")
            ),
        ]
    );
    let msg = e.to_string();
    assert_eq!(msg.lines().count(), 3, "{msg}");
    assert!(msg.contains("chemistry.a = 20: expected a positive slope (at most 12)"));
    assert!(
        msg.contains("chemistry.saponification = 1.5: expected a saponification degree in [0, 1)")
    );
}

#[test]
fn mass_action_missing_and_unknown_names_are_all_reported() {
    // three problems found while reading the rigorous chemistry: a unit
    // name, a counter-ion name and a required key
    let text = edit(
        "models/p507-prnd-industrial.toml",
        &[
            (
                "components = ",
                Some("components = [\"Pr\", \"Nd\"]\nunits = \"ppm\""),
            ),
            ("counter_ion = ", Some("counter_ion = \"K\"")),
            ("extractant = ", None),
        ],
    );
    let e = cascade_errors(&text);
    let got = keys_lines(&e);
    assert_eq!(
        got.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["units", "chemistry.counter_ion", "chemistry.extractant"]
    );
    assert_eq!(got[0].1, line_of(&text, "units = "));
    assert_eq!(got[1].1, line_of(&text, "counter_ion = "));
    // a missing key is placed at its table
    assert_eq!(got[2].1, line_of(&text, "[chemistry]"));
    assert!(e
        .to_string()
        .contains("chemistry.extractant: missing: total extractant"));
}

#[test]
fn log_linear_parameters_every_problem_reported() {
    let text = edit(
        "models/d2ehpa-sulfate.toml",
        &[
            ("dose = ", Some("dose = 150.0")),
            ("log10_ka2 = ", Some("log10_ka2 = inf")),
            (
                "molarity_per_percent = ",
                Some("molarity_per_percent = -1.0"),
            ),
        ],
    );
    let e = cascade_errors(&text);
    assert_eq!(
        keys_lines(&e),
        [
            ("chemistry.dose".to_string(), line_of(&text, "dose = ")),
            (
                "chemistry.molarity_per_percent".to_string(),
                line_of(&text, "molarity_per_percent = ")
            ),
            (
                "chemistry.log10_ka2".to_string(),
                line_of(&text, "log10_ka2 = ")
            ),
        ]
    );
}

#[test]
fn flowsheet_reports_every_problem_of_every_unit() {
    // unit 1: an unknown key; unit 2: both ratios given with the amounts
    // they replace
    let text = edit(
        "models/smeugd-flowsheet.toml",
        &[
            (
                "cascade = { extraction = 40, scrub = 40 }",
                Some("cascade = { extraction = 40, scrub = 40 }\nbogus = 1"),
            ),
            (
                "flows = { extraction_ratio = 1.6, scrub_ratio = 1.0 }",
                Some(
                    "flows = { extraction_ratio = 1.6, scrub_ratio = 1.0, \
                     extraction_amount = 1.0, scrub_amount = 1.0 }",
                ),
            ),
        ],
    );
    let e = sxforge::flowsheet::load::parse_str(&text, Some("fs.toml".into())).unwrap_err();
    let flows = line_of(&text, "flows = { extraction_ratio = 1.6, scrub_ratio");
    assert_eq!(
        keys_lines(&e),
        [
            ("unit.bogus".to_string(), line_of(&text, "bogus = 1")),
            ("unit.Eu.flows.extraction_ratio".to_string(), flows),
            ("unit.Eu.flows.scrub_ratio".to_string(), flows),
        ]
    );
    // and through the CLI: one `error:` line per problem, exit 1
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fs.toml");
    std::fs::write(&path, &text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(["simulate", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        3,
        "{err}"
    );
}
