//! Solver statistics of the shipped models, snapshotted: a regression in the
//! algorithm shows here even when the answers stay right. Update a number
//! only with a reason in the commit message.

mod common;

use sxforge::model::load::load_file;
use sxforge::Solver;

fn stats(file: &str) -> (usize, usize) {
    let c = load_file(&common::model(file)).unwrap();
    let s = Solver::new().solve(&c);
    assert!(s.converged(), "{file}");
    assert!(s.residual <= 1e-12, "{file}: {}", s.residual);
    (s.iterations, s.continuation_steps)
}

#[test]
fn newton_iterations_of_shipped_models() {
    // (model, Newton iterations, continuation steps): the tearing start
    // brings the separation-factor models within a few Newton steps
    let expect = [
        ("prnd.toml", 4, 0),
        ("lace.toml", 7, 0),
        ("ceprnd.toml", 5, 0),
        ("constant-d-strip.toml", 1, 0),
    ];
    for (file, it, steps) in expect {
        assert_eq!(stats(file), (it, steps), "{file}");
    }
}

#[test]
fn benchmark_cascades_converge_from_the_tearing_start() {
    // shared/design/benchmarks.md; NumPy damped Newton needs 15, 14, 36
    let cases = [
        (
            common::sf(&[1.0, 1.5], &[0.25, 0.75], 17, 20, 4.0940, 3.3428),
            4,
        ),
        (
            common::sf(&[1.0, 1.55], &[0.6287, 0.3713], 33, 28, 2.5668, 2.1956),
            4,
        ),
        (
            common::sf(
                &[1.0, 1.5, 2.2, 3.3, 5.0, 7.5],
                &[1.0 / 6.0; 6],
                60,
                60,
                2.7247,
                2.2247,
            ),
            12,
        ),
    ];
    for (c, it) in cases {
        let s = Solver::new().solve(&c);
        assert!(s.converged());
        assert_eq!(s.iterations, it);
        assert_eq!(s.continuation_steps, 0);
    }
}
