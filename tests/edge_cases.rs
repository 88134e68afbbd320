//! Awkward sizes: one stage, one component, no scrub, feed at either end,
//! a component absent from the feed.

mod common;

use common::sf;
use sxforge::cascade::StreamKind;
use sxforge::solver::rows::solve_rows;
use sxforge::Solver;

fn closes(c: &sxforge::Cascade, sol: &sxforge::Solution) {
    assert!(
        sol.converged(),
        "{:?} residual {}",
        sol.status,
        sol.residual
    );
    for e in sol.balance_error(c) {
        assert!(e.abs() < 1e-12, "balance {e}");
    }
}

#[test]
fn one_stage_split_by_beta() {
    // One stage, aqueous feed 0.4 A + 0.6 B, S = 0.5, beta B/A = 3:
    // o_k = t_k L b_k / (1 + L b_k) with sum o = 0.5:
    // 0.4 L/(1+L) + 0.6*3L/(1+3L) = 0.5, a quadratic in L.
    let c = sf(&[1.0, 3.0], &[0.4, 0.6], 1, 0, 0.5, 0.0);
    let sol = Solver::new().solve(&c);
    closes(&c, &sol);
    // 0.4L(1+3L) + 1.8L(1+L) = 0.5(1+L)(1+3L)
    //   3.0 L^2 + 2.2 L = 0.5 + 2 L + 1.5 L^2  ->  1.5 L^2 + 0.2 L - 0.5 = 0
    let l = (-0.2 + (0.04f64 + 4.0 * 1.5 * 0.5).sqrt()) / (2.0 * 1.5);
    let org = sol.stream(&c, StreamKind::LoadedOrganic).unwrap();
    let want = [0.4 * l / (1.0 + l), 0.6 * 3.0 * l / (1.0 + 3.0 * l)];
    // to the solve's tolerance (relative stage imbalance 1e-12): with one
    // stage the amounts are as accurate as the balance
    assert!(
        common::max_rel(&org.amount, &want) < 1e-12,
        "{:?} vs {want:?}",
        org.amount
    );
}

#[test]
fn one_component_passes_s_to_the_organic() {
    let c = sf(&[2.0], &[1.0], 5, 3, 1.5, 0.8);
    let sol = Solver::new().solve(&c);
    closes(&c, &sol);
    let raff = sol.stream(&c, StreamKind::Raffinate).unwrap();
    let org = sol.stream(&c, StreamKind::LoadedOrganic).unwrap();
    assert!((raff.amount[0] - 0.3).abs() < 1e-14);
    assert!((org.amount[0] - 0.7).abs() < 1e-14);
    assert_eq!(org.purity[0], 1.0);
}

#[test]
fn no_scrub_and_feed_at_the_first_stage() {
    for n in [1usize, 2, 30] {
        let c = sf(&[1.0, 2.0], &[0.5, 0.5], n, 0, 0.5, 0.0);
        let sol = Solver::new().solve(&c);
        closes(&c, &sol);
        let r = solve_rows(&c, 1e-13, 1_000_000).unwrap();
        let a = sol.stream(&c, StreamKind::Raffinate).unwrap();
        let b = r.stream(&c, StreamKind::Raffinate).unwrap();
        assert!(common::max_rel(&a.amount, &b.amount) < 1e-8, "n={n}");
    }
}

#[test]
fn feed_at_the_last_stage() {
    // no scrub: the feed stage is the last stage of the cascade
    let c = sf(&[1.0, 1.8, 2.5], &[0.3, 0.3, 0.4], 12, 0, 0.45, 0.0);
    assert_eq!(c.layout().feed_stage(), c.n_stages() - 1);
    let sol = Solver::new().solve(&c);
    closes(&c, &sol);
}

#[test]
fn component_absent_from_the_feed_is_absent_everywhere() {
    let c = sf(&[1.0, 1.5, 4.0], &[0.25, 0.75, 0.0], 17, 20, 4.094, 3.3428);
    let sol = Solver::new().solve(&c);
    closes(&c, &sol);
    assert!(sol.aqueous.column(2).iter().all(|&v| v == 0.0));
    assert!(sol.organic.column(2).iter().all(|&v| v == 0.0));
    // and the others match the cascade without it
    let c2 = sf(&[1.0, 1.5], &[0.25, 0.75], 17, 20, 4.094, 3.3428);
    let s2 = Solver::new().solve(&c2);
    let a = sol.stream(&c, StreamKind::Raffinate).unwrap();
    let b = s2.stream(&c2, StreamKind::Raffinate).unwrap();
    assert!(common::max_rel(&a.amount[..2], &b.amount) < 1e-12);
}

#[test]
fn organic_feed_enters_after_the_extraction_section() {
    // organic feed: W > S, raffinate W - S, product S + F - W
    let (n, m, s, w) = (10, 12, 1.2, 1.6);
    let c = sxforge::model::CascadeSpec::separation_factor("o", &["A", "B"], &[1.0, 2.0])
        .with_stages(n, m, 0)
        .with_feed_phase(sxforge::cascade::Phase::Organic)
        .with_feed_amounts(&[0.5, 0.5])
        .with_amounts(s, w)
        .build()
        .unwrap();
    assert_eq!(c.layout().feed_stage(), n);
    let sol = Solver::new().solve(&c);
    closes(&c, &sol);
    let raff: f64 = sol
        .stream(&c, StreamKind::Raffinate)
        .unwrap()
        .amount
        .iter()
        .sum();
    assert!((raff - (w - s)).abs() < 1e-13);
    let r = solve_rows(&c, 1e-13, 2_000_000).unwrap();
    let a = sol.stream(&c, StreamKind::LoadedOrganic).unwrap();
    let b = r.stream(&c, StreamKind::LoadedOrganic).unwrap();
    assert!(common::max_rel(&a.amount, &b.amount) < 1e-8);
}

#[test]
fn warm_start_from_a_neighbour_converges_fast() {
    let c = sf(&[1.0, 1.5], &[0.25, 0.75], 17, 20, 4.094, 3.3428);
    let mut solver = Solver::new();
    let cold = solver.solve(&c);
    let again = solver.solve_from(&c, &cold);
    assert_eq!(again.iterations, 0);
    let c2 = sf(&[1.0, 1.5], &[0.25, 0.75], 18, 21, 4.1, 3.35);
    let warm = solver.solve_from(&c2, &cold);
    let ref2 = Solver::new().solve(&c2);
    assert!(warm.converged());
    let a = warm.stream(&c2, StreamKind::Raffinate).unwrap();
    let b = ref2.stream(&c2, StreamKind::Raffinate).unwrap();
    assert!(common::max_rel(&a.amount, &b.amount) < 1e-10);
}
