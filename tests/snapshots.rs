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
    // (model, Newton iterations, continuation steps): the separation-factor
    // models without strip section start from their exact profile, marched
    // from both ends (`tearing::march_2` for two components,
    // `march::march_k` for three to eight), and converge at the first
    // evaluation
    let expect = [
        ("prnd.toml", 0, 0),
        ("lace.toml", 0, 0),
        ("ceprnd.toml", 0, 0),
        ("constant-d-strip.toml", 1, 0),
    ];
    for (file, it, steps) in expect {
        assert_eq!(stats(file), (it, steps), "{file}");
    }
}

#[test]
fn benchmark_cascades_converge_from_the_marched_start() {
    // shared/design/benchmarks.md; NumPy damped Newton needs 15, 14, 36
    // (all three from the marched start)
    let iterations = [("xu-A", 0), ("xu-D", 0), ("six-120", 0)];
    let cases = common::fixtures::benchmarks();
    assert_eq!(cases.len(), iterations.len());
    for ((name, c), (want, it)) in cases.into_iter().zip(iterations) {
        assert_eq!(name, want);
        let s = Solver::new().solve(&c);
        assert!(s.converged(), "{name}");
        assert_eq!(s.iterations, it, "{name}");
        assert_eq!(s.continuation_steps, 0, "{name}");
    }
}
