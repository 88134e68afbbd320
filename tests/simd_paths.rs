//! The separation-factor hot path (the specialised Newton and the tearing
//! start) runs a second compilation for AVX2 where the processor has it;
//! without FMA both compilations round every operation alike. These tests
//! solve cascades down both paths and compare the results bit for bit.

mod common;

use common::fixtures::{benchmarks, generated, neighbour};
use sxforge::bench_support::simd::with_baseline;
use sxforge::solver::robust_gen::{generate, ModelKind};
use sxforge::solver::{Solution, Solver};
use sxforge::Cascade;

fn bits(s: &Solution) -> (Vec<u64>, Vec<u64>, u64, usize, usize, (usize, usize)) {
    (
        s.aqueous.iter().map(|v| v.to_bits()).collect(),
        s.organic.iter().map(|v| v.to_bits()).collect(),
        s.residual.to_bits(),
        s.iterations,
        s.continuation_steps,
        s.worst,
    )
}

/// Cold solves, then warm solves of the `W + 1 %` neighbour from them, on
/// this thread's default path and on the baseline one.
fn both_paths(c: &Cascade) -> [(Solution, Solution); 2] {
    let run = || {
        let mut solver = Solver::new();
        let cold = solver.solve(c);
        let warm = solver.solve_from(&neighbour(c), &cold);
        (cold, warm)
    };
    [run(), with_baseline(run)]
}

fn assert_same(name: &str, c: &Cascade) {
    let [(cold, warm), (cold_base, warm_base)] = both_paths(c);
    assert!(cold.converged() && warm.converged(), "{name}");
    assert!(
        bits(&cold) == bits(&cold_base),
        "{name}: cold solves differ ({} vs {} iterations, residual {:e} vs {:e})",
        cold.iterations,
        cold_base.iterations,
        cold.residual,
        cold_base.residual
    );
    assert!(
        bits(&warm) == bits(&warm_base),
        "{name}: warm solves differ"
    );
}

#[test]
fn the_two_paths_give_the_same_bits_at_2_6_and_15_components() {
    #[cfg(target_arch = "x86_64")]
    if !std::arch::is_x86_feature_detected!("avx2") {
        eprintln!("no AVX2 here: both solves take the baseline path");
    }
    // K = 2 and 6 on the specialised Newton, K = 15 on the general one
    // (the tearing start specialised to 1 to 8 components, general above)
    for (n, k) in [(10, 2), (100, 2), (10, 6), (120, 6), (10, 15), (40, 15)] {
        assert_same(&format!("k{k}/{n}"), &generated(n, k));
    }
}

#[test]
fn the_two_paths_give_the_same_bits_on_the_benchmark_cascades() {
    for (name, c) in benchmarks() {
        assert_same(name, &c);
    }
}

#[test]
fn solves_through_the_continuation_give_the_same_bits() {
    // random cascades of 3, 4, 6 and 7 components whose march to the feed
    // stage fails and whose Newton from the tearing start does not
    // converge, so that the continuation in beta runs (12, 71, 54 and 18
    // steps)
    for seed in [139, 768, 62, 894] {
        let c = generate(ModelKind::SeparationFactor, seed);
        let run = || Solver::new().solve(&c);
        let (s, base) = (run(), with_baseline(run));
        assert!(s.converged() && s.continuation_steps > 0, "seed {seed}");
        assert!(bits(&s) == bits(&base), "seed {seed}");
    }
}

#[test]
fn rigorous_solves_give_the_same_bits_on_both_paths() {
    // the rigorous Newton's block factorisation and solves, its balance
    // pass and its Jacobian assembly run their AVX2 compilation too:
    // mass-action cascades of 14-15 metals (blocks of
    // 14-18: 1716, 987, 3659) and of fewer (blocks of 5-12: 0, 1, 2), and
    // log-linear ones (43: blocks of 15)
    let cases = [
        (ModelKind::MassAction, 1716),
        (ModelKind::MassAction, 987),
        (ModelKind::MassAction, 3659),
        (ModelKind::MassAction, 0),
        (ModelKind::MassAction, 1),
        (ModelKind::MassAction, 2),
        (ModelKind::LogLinear, 43),
    ];
    for (kind, seed) in cases {
        let c = generate(kind, seed);
        let run = || Solver::new().solve(&c);
        let (s, base) = (run(), with_baseline(run));
        assert!(s.converged(), "{} seed {seed}", kind.name());
        assert!(bits(&s) == bits(&base), "{} seed {seed}", kind.name());
    }
}
