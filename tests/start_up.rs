//! The start-up dynamics from empty stages ([`Solver::start_up`]) against
//! the usual solve ([`Solver::solve`]): two paths to the steady state of a
//! rigorous cascade that share no start, ladder or walk reach the same
//! steady state, each checked against the stage equations.

use sxforge::model::Cascade;
use sxforge::solver::robust_gen::{generate, verify, ModelKind};
use sxforge::solver::{Method, Solution, Solver};

/// Asserts that `a` and `b` hold the same steady state of `c`: every
/// stage's amount of every component within `1e-9` of that component's
/// feed (amounts far below it, traces, agree to that in absolute terms).
fn assert_same_state(c: &Cascade, a: &Solution, b: &Solution, what: &str) {
    let far = a
        .farthest_from(b, c.feed_amount())
        .expect("two profiles of one cascade");
    assert!(
        far.relative <= 1e-9,
        "{what}: stage {} {} component {}: {:e} of its feed apart",
        far.stage + 1,
        far.phase.name(),
        far.component,
        far.relative
    );
}

/// Solves robustness seed `seed` of `kind` both ways and compares them;
/// returns the iterations of the usual solve and of the start-up.
fn both_ways(kind: ModelKind, seed: u64) -> (usize, usize) {
    let what = format!("{} seed {seed}", kind.name());
    let c = generate(kind, seed);
    let usual = Solver::new().solve(&c);
    assert!(usual.converged(), "{what}: usual solve {:?}", usual.status);
    let up = Solver::new()
        .start_up(&c)
        .expect("a rigorous model has a start-up");
    assert_eq!(up.method, Method::StartUp);
    assert!(
        up.converged(),
        "{what}: start-up {:?}, residual {:e}",
        up.status,
        up.residual
    );
    let check = verify(&c, &up);
    assert!(check < 1e-10, "{what}: stage equations off by {check:e}");
    assert_same_state(&c, &usual, &up, &what);
    (usual.iterations, up.iterations)
}

/// Compares seeds 0-7 of `kind` both ways, and asserts that the
/// start-ups took more than `ratio` times the usual solves' iterations:
/// a path of their own, not the usual solve's Newton.
fn seeds_both_ways(kind: ModelKind, ratio: usize) {
    let (usual, up): (Vec<usize>, Vec<usize>) = (0..8).map(|s| both_ways(kind, s)).unzip();
    let (a, b) = (usual.iter().sum::<usize>(), up.iter().sum::<usize>());
    assert!(b > ratio * a, "start-ups {up:?} against {usual:?}");
}

/// Mass-action seeds 0-7 of the robustness generator (1-104 stages, 3-9
/// metals): the start-ups take 19-594 iterations, 1,619 in all, where the
/// usual solves take 6-22, 112 in all.
#[test]
fn mass_action_start_up_reaches_the_usual_steady_state() {
    seeds_both_ways(ModelKind::MassAction, 5);
}

/// Log-linear seeds 0-7 of the robustness generator (2-284 stages, 3-15
/// metals): the start-ups take 21-683 iterations, 3,136 in all, where
/// the usual solves take 5-42, 184 in all.
#[test]
fn log_linear_start_up_reaches_the_usual_steady_state() {
    seeds_both_ways(ModelKind::LogLinear, 5);
}

/// The models without implicit start-up dynamics have none.
#[test]
fn separation_factor_and_constant_d_have_no_start_up() {
    for kind in [ModelKind::SeparationFactor, ModelKind::ConstantD] {
        let c = generate(kind, 0);
        assert!(Solver::new().start_up(&c).is_none(), "{}", kind.name());
    }
}
