//! Side draws (`[[draw]]`) in separation-factor cascades: a zero draw is no
//! draw, balances close with the draw as an outlet, the draw has the
//! composition of the stage's phase, the stage equations hold with the
//! draw (checked independently here and by the start-up dynamics), and
//! bad draws are input errors naming the key.

use sxforge::cascade::Phase;
use sxforge::model::load::parse_str;
use sxforge::solver::rows::solve_rows;
use sxforge::{Cascade, Solution, Solver};

const BASE: &str = r#"
name = "Sm | Eu | Gd test"
components = ["Sm", "Eu", "Gd"]

[chemistry]
model = "separation-factor"
beta = { Sm = 1.0, Eu = 2.0, Gd = 2.8 }

[cascade]
extraction = 12
scrub = 10

[feed]
amount = { Sm = 0.51, Eu = 0.10, Gd = 0.39 }

[flows]
extraction_amount = 1.6
scrub_amount = 1.2
"#;

fn with_draw(phase: &str, stage: usize, amount: f64) -> String {
    format!("{BASE}\n[[draw]]\nname = \"mid\"\nstage = {stage}\nphase = \"{phase}\"\namount = {amount}\n")
}

fn solve(src: &str) -> (Cascade, Solution) {
    let c = parse_str(src, None).unwrap();
    let sol = Solver::new().solve(&c);
    assert!(sol.converged(), "{:?} {}", sol.status, sol.residual);
    (c, sol)
}

/// Every stage balance, written out here from the profiles: inflow from
/// the neighbours (less the drawn share) and the feed equals the stage's
/// aqueous plus organic outflow (which includes the draw).
fn stage_imbalance(c: &Cascade, sol: &Solution) -> f64 {
    let l = c.layout();
    let n = l.stages();
    let mut worst = 0.0f64;
    for j in 0..n {
        for k in 0..c.n_components() {
            let above = if l.aqueous_link(j) {
                c.pass_fraction(Phase::Aqueous, j + 1) * sol.aqueous[[j + 1, k]]
            } else {
                0.0
            };
            let below = if j > 0 {
                c.pass_fraction(Phase::Organic, j - 1) * sol.organic[[j - 1, k]]
            } else {
                0.0
            };
            let f = if j == l.feed_stage() {
                c.feed_amount()[k]
            } else {
                0.0
            };
            let tin = above + below + f;
            let out = sol.aqueous[[j, k]] + sol.organic[[j, k]];
            worst = worst.max((tin - out).abs() / tin.max(out));
        }
    }
    worst
}

#[test]
fn zero_draw_equals_no_draw() {
    let (c0, s0) = solve(BASE);
    for phase in ["aqueous", "organic"] {
        let (c1, s1) = solve(&with_draw(phase, 8, 0.0));
        for (a, b) in s0.aqueous.iter().zip(s1.aqueous.iter()) {
            assert!((a - b).abs() <= 1e-12 * a.abs().max(1e-300), "{a} {b}");
        }
        let d = s1.draws(&c1);
        assert_eq!(d.len(), 1);
        assert!(d[0].1.amount.iter().all(|&v| v == 0.0));
        let (r0, r1) = (s0.streams(&c0), s1.streams(&c1));
        for (x, y) in r0.iter().zip(&r1) {
            for (a, b) in x.amount.iter().zip(&y.amount) {
                assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} {b}");
            }
        }
    }
}

#[test]
fn balances_close_and_draw_has_the_stage_composition() {
    for (phase, stage, amount) in [
        ("aqueous", 8, 0.08),
        ("organic", 16, 0.3),
        ("aqueous", 1, 0.05),
        ("organic", 22, 0.1),
    ] {
        let (c, sol) = solve(&with_draw(phase, stage, amount));
        for (k, e) in sol.balance_error(&c).iter().enumerate() {
            assert!(
                e.abs() < 1e-10,
                "{phase} {stage}: component {k} balance {e}"
            );
        }
        assert!(stage_imbalance(&c, &sol) < 1e-10);
        let draws = sol.draws(&c);
        let (name, d) = &draws[0];
        assert_eq!(name, "mid");
        assert_eq!(d.stage, stage - 1);
        // the draw carries the requested RE amount ...
        let tot: f64 = d.amount.iter().sum();
        assert!((tot - amount).abs() < 1e-10 * amount, "{tot} {amount}");
        // ... with the composition of the stage's phase
        let src = if phase == "aqueous" {
            sol.aqueous.row(stage - 1)
        } else {
            sol.organic.row(stage - 1)
        };
        let st: f64 = src.sum();
        for (k, p) in d.purity.iter().enumerate() {
            assert!((p - src[k] / st).abs() < 1e-13, "{p} {}", src[k] / st);
        }
        // recovery against the feed
        for (k, r) in d.recovery.iter().enumerate() {
            assert!((r - d.amount[k] / c.feed_amount()[k]).abs() < 1e-15);
        }
        // the outlets and the draw share out the feed
        let outs: f64 = sol
            .streams(&c)
            .iter()
            .map(|s| s.amount.iter().sum::<f64>())
            .sum();
        assert!((outs + tot - 1.0).abs() < 1e-10, "{}", outs + tot);
    }
}

#[test]
fn start_up_dynamics_reach_the_same_steady_state_with_a_draw() {
    let (c, sol) = solve(&with_draw("aqueous", 8, 0.08));
    let rows = solve_rows(&c, 1e-11, 400_000).unwrap();
    assert!(rows.converged(), "{}", rows.residual);
    for (a, b) in sol.aqueous.iter().zip(rows.aqueous.iter()) {
        assert!((a - b).abs() <= 1e-7 * a.max(1e-12), "{a} {b}");
    }
}

#[test]
fn bad_draws_name_the_key() {
    let cases = [
        (with_draw("aqueous", 23, 0.01), "draw.stage"),
        (with_draw("aqueous", 0, 0.01), "draw.stage"),
        (with_draw("organic", 5, 1.7), "draw.amount"),
        (with_draw("aqueous", 5, 50.0), "draw.amount"),
        (with_draw("aqueous", 5, -0.1), "draw.amount"),
        (with_draw("vapour", 5, 0.01), "draw.phase"),
        (
            with_draw("aqueous", 5, 0.01).replace("\"mid\"", "\"raffinate\""),
            "draw.name",
        ),
        (
            format!("{}\ncolour = 1\n", with_draw("aqueous", 5, 0.01)),
            "colour",
        ),
    ];
    for (src, key) in cases {
        let e = parse_str(&src, None).unwrap_err().to_string();
        assert!(e.contains(key), "expected {key} in: {e}");
    }
    // the CLI exits 1 and names the key
    let dir = std::env::temp_dir().join(format!("sxforge-draw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.toml");
    std::fs::write(&p, with_draw("organic", 30, 0.01)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(["simulate", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("draw.stage"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn shipped_smeugd_draw_enriches_eu() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(["simulate", "models/smeugd-draw.toml", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let eu = &v["streams"]["eu"];
    assert_eq!(eu["stage"], 30);
    // fed at 10 %, drawn at several times that
    assert!(eu["purity"]["Eu"].as_f64().unwrap() > 0.3, "{eu}");
    for k in ["Sm", "Eu", "Gd"] {
        assert!(v["balance_error"][k].as_f64().unwrap().abs() < 1e-10);
    }
}
