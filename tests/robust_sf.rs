//! Regression cascades for the separation-factor solver (issue 9): long,
//! sharp cascades whose continuation in beta stalls at a front, so that
//! only the pseudo-transient fallback reaches the steady state, and it
//! only in logarithmic balances (the traces fall below the range of a
//! double). Each once failed with exit 2; each is checked against the
//! stage equations independently, for its mass balance, and where the
//! start-up dynamics are fast enough, against them. Since the
//! continuation turns to pseudo-arclength steps where it stalls, some of
//! them (the last) no longer need the pseudo-transient fallback.

use sxforge::cascade::{Phase, StreamKind};
use sxforge::model::{Cascade, CascadeSpec};
use sxforge::solver::robust_gen::{stalled_continuations, verify};
use sxforge::solver::rows::solve_rows;
use sxforge::solver::{Solution, Solver};

/// A separation-factor cascade of `extraction` + `scrub` stages, feed in
/// `phase`, organic RE flow `s` and scrub RE flow `w`.
fn cascade(
    beta: &[f64],
    feed: &[f64],
    (extraction, scrub): (usize, usize),
    phase: Phase,
    (s, w): (f64, f64),
) -> Cascade {
    let names: Vec<String> = (0..beta.len()).map(|i| format!("C{i}")).collect();
    let refs: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
    CascadeSpec::separation_factor("regression", &refs, beta)
        .with_stages(extraction, scrub, 0)
        .with_feed_amounts(feed)
        .with_feed_phase(phase)
        .with_amounts(s, w)
        .build()
        .expect("valid cascade")
}

/// Solves from a cold start and checks the steady state: converged inside
/// the default budget, the stage equations met (recomputed from the
/// profiles), every component's feed leaving in the outlets.
fn solve_and_check(c: &Cascade) -> Solution {
    let s = Solver::new().solve(c);
    assert!(
        s.converged(),
        "{:?} after {} iterations, residual {:e} at {:?}",
        s.status,
        s.iterations,
        s.residual,
        s.worst
    );
    assert!(s.iterations <= c.solver_options().max_iterations);
    let check = verify(c, &s);
    assert!(check < 1e-8, "stage equations off by {check:e}");
    for (q, e) in s.balance_error(c).iter().enumerate() {
        assert!(e.abs() < 1e-10, "component {q}: balance off by {e:e}");
    }
    s
}

/// Two components, beta 140.8, 2 + 195 stages, organic feed, S 0.699,
/// W 1.230: the organic product (S + F - W = 0.4691) is just under the
/// feed's C1 (0.4713), so C1's front sweeps the whole scrub section for a
/// change of 0.0015 in the continuation parameter, where natural
/// continuation stalls; the plain pseudo-transient then crawled at a
/// residual of 0.5 for 100,000 iterations, because C0 in the scrub
/// section falls below the range of a double.
#[test]
fn a_split_at_a_component_boundary_with_traces_below_the_double_range() {
    let c = cascade(
        &[1.0, 140.7722076386821],
        &[0.5287489544334766, 0.4712510455665235],
        (2, 195),
        Phase::Organic,
        (0.6986520477903563, 1.2300884129571679),
    );
    let s = solve_and_check(&c);
    let product = s.stream(&c, StreamKind::LoadedOrganic).expect("product");
    // S + F - W, nearly all of it C1: C0 below what a double can hold
    let f: f64 = 0.5287489544334766 + 0.4712510455665235;
    let total: f64 = product.amount.iter().sum();
    assert!((total - (0.6986520477903563 + f - 1.2300884129571679)).abs() < 1e-12);
    assert!(product.amount[0] < 1e-300, "{:e}", product.amount[0]);
    assert!((product.recovery[1] - total / 0.4712510455665235).abs() < 1e-12);
    let least = s.aqueous.iter().fold(f64::INFINITY, |m, &v| m.min(v));
    assert!(least < 1e-300, "{least:e}");
}

/// Four components (beta 1, 2.85, 12.2, 24.5), 161 + 24 stages, aqueous
/// feed: the continuation stalls at s = 0.148; in logarithmic balances the
/// pseudo-transient needs about 100 iterations (in plain ones it ran out of
/// the budget). The start-up dynamics (13,400 rows from empty stages) reach
/// the same outlets.
#[test]
fn a_stalled_continuation_agrees_with_the_start_up_dynamics() {
    // the second of robust_gen's stalled continuations, with the organic
    // flow S of generator seed 250 (3.2393 for 3.2361)
    let mut spec = stalled_continuations()[1].to_spec();
    spec.flows.extraction_amount = Some(3.239289214783948);
    let c = spec.build().expect("valid cascade");
    let s = solve_and_check(&c);
    let rows = solve_rows(&c, 1e-12, 100_000).expect("separation-factor");
    assert!(rows.converged(), "{} rows", rows.iterations);
    for kind in [StreamKind::Raffinate, StreamKind::LoadedOrganic] {
        let (a, b) = (s.stream(&c, kind).unwrap(), rows.stream(&c, kind).unwrap());
        for (q, (x, y)) in a.recovery.iter().zip(&b.recovery).enumerate() {
            assert!((x - y).abs() < 1e-9, "{kind:?} component {q}: {x} vs {y}");
        }
    }
}

/// Seven components (beta 1 to 126.7), 160 + 79 stages: fronts the
/// continuation in beta cannot follow, a trace below 1e-300.
#[test]
fn seven_components_with_sharp_fronts() {
    let c = cascade(
        &[
            1.0,
            117.18553154379383,
            67.99001588786139,
            2.0765042381700463,
            3.358819890017992,
            2.0364632938384015,
            126.73732211254489,
        ],
        &[
            0.011349277837971876,
            0.015645801317227596,
            0.6914312575086786,
            0.015146414545812845,
            0.005802970170561345,
            0.2210640866761175,
            0.039560191943630175,
        ],
        (160, 79),
        Phase::Aqueous,
        (1.271278727840715, 0.27768270901768527),
    );
    solve_and_check(&c);
}

/// Five components, 115 + 35 stages, organic feed: the logarithmic
/// pseudo-transient breaks down here (a singular step from the tearing
/// start) and the plain one, tried next, converges.
#[test]
fn the_plain_pseudo_transient_remains_as_the_last_fallback() {
    let c = cascade(
        &[
            1.0,
            25.45364401891056,
            32.08807130516229,
            45.93485301567296,
            125.56484307955559,
        ],
        &[
            0.7556746322577444,
            0.0044042549282406205,
            0.00796334015802866,
            0.21522011061648538,
            0.01673766203950087,
        ],
        (115, 35),
        Phase::Organic,
        (0.41638658958499875, 1.1896279929745244),
    );
    solve_and_check(&c);
}

/// Five components, 55 + 162 stages, S and W within 0.8 % of each other:
/// the front crosses 160 stages in the pseudo-transient (about 850
/// iterations), inside the default budget that grows with the cascade.
#[test]
fn a_front_that_travels_the_whole_scrub_section() {
    let c = cascade(
        &[
            1.0,
            18.634093228627375,
            4.529274606928654,
            2.8850368812118,
            156.48103699409268,
        ],
        &[
            0.030442609216679045,
            0.6226472572534073,
            0.023244583434884458,
            0.31329859050026837,
            0.010366959594760878,
        ],
        (55, 162),
        Phase::Aqueous,
        (0.8977155242768649, 0.8907382107314973),
    );
    solve_and_check(&c);
}

/// Five components, 2 + 190 stages, organic feed (generator seed 14405):
/// the continuation in beta stalls where a front sweeps the scrub section
/// (the path in the continuation parameter is nearly vertical) and the
/// pseudo-transient fallback ran out of the 1,000-iteration budget; the
/// pseudo-arclength steps follow the front (about 290 iterations).
#[test]
fn pseudo_arclength_steps_follow_a_front_across_the_scrub_section() {
    let c = cascade(
        &[
            1.0,
            3.6776608558568653,
            12.27610712205358,
            2.057150186508918,
            78.5059950070507,
        ],
        &[
            0.275757299290454,
            0.009209659384365881,
            0.011872323725631798,
            0.1905073195887899,
            0.5126533980107584,
        ],
        (2, 190),
        Phase::Organic,
        (0.13165983977226478, 0.5371062010762239),
    );
    let s = solve_and_check(&c);
    assert!(s.iterations < 600, "{} iterations", s.iterations);
}
