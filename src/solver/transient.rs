//! Implicit-Euler start-up dynamics of a cascade, as the globally
//! convergent path to the steady state of the rigorous models.
//!
//! Each stage holds, for every conserved quantity, what leaves it in one
//! residence time (holdup proportional to the flows, time in residence
//! times). One implicit-Euler step of length `dt` from state `u0` closes
//!
//! ```text
//!   in(u) + feed + H(u0) / dt  =  (1 + 1/dt) out(u),      H(u) = out(u)
//! ```
//!
//! with the local equations (the extractant balance) kept algebraic. This
//! is a steady-state problem of the same block-tridiagonal form: each
//! stage's outflows scaled by `f = 1 + 1/dt` in its own balance only
//! ([`Workspace::set_hold_ln`], in logarithms, so traces below the range
//! of a double stay exact) and the old holdup added to the feed.
//!
//! The step is local ([`hold_steps`]): a trace, far below the largest
//! holdup of the same quantity in the cascade, gets a longer one. Without
//! that, a trace whose steady level lies hundreds of e-folds below its
//! start (the raffinate end of a long saponified section) falls by only
//! the factor `dt` per step, and the start-up needs thousands of steps.
//! The damped Newton of [`super::newton::solve`] solves it from `u0`; for
//! short steps the holdup terms dominate and it converges from anywhere,
//! so the iteration follows the physical start-up (fronts travel stage by
//! stage) until the steps grow long, where it becomes Newton on the steady
//! state. Steps grow when the inner solve is easy and shrink when it fails
//! (time-step control on the implicit trajectory rather than one linear
//! step per time step, so the path cannot be left).

use ndarray::Array2;

use super::logthomas::log_add;
use super::newton::{self, NewtonOptions, NewtonReport, Workspace};
use super::Status;
use crate::chemistry::{Equilibrium, StageEval};

/// Holdup, relative to the largest holdup of the same conserved quantity
/// in the cascade, below which a balance gets a longer time step
/// ([`hold_steps`]). Seeds 166, 220 and 299 of the mass-action robustness
/// sample converge with it (none without); 1e-3 and 1e-10 do as well.
const TRACE_REL: f64 = 1e-6;

/// `ln` of the holdup `H(u)` of every conserved quantity in every stage
/// (the stage's total outflow), in the kernel's log scaling so that
/// amounts below the range of a double keep their size (`-inf` for none).
fn ln_holdup<E: Equilibrium>(model: &E, u: &Array2<f64>, h: &mut Array2<f64>) {
    let (nv, nq) = (model.unknowns(), model.conserved());
    let nl = nv - nq;
    let mut aq = vec![0.0; nq];
    let mut org = vec![0.0; nq];
    let mut d_aq = vec![0.0; nq * nv];
    let mut d_org = vec![0.0; nq * nv];
    let mut local = vec![0.0; nl];
    let mut d_local = vec![0.0; nl * nv];
    let mut local_scale = vec![0.0; nl];
    let mut ln_scale = vec![0.0; nq];
    for (j, row) in u.rows().into_iter().enumerate() {
        d_aq.fill(0.0);
        d_org.fill(0.0);
        d_local.fill(0.0);
        ln_scale.fill(0.0);
        let row = row.to_vec();
        model.eval(
            j,
            &row,
            StageEval {
                aq: &mut aq,
                org: &mut org,
                d_aq: &mut d_aq,
                d_org: &mut d_org,
                local: &mut local,
                d_local: &mut d_local,
                local_scale: &mut local_scale,
                ln_scale: &mut ln_scale,
            },
        );
        for q in 0..nq {
            let v = aq[q] + org[q];
            let l = if v > 0.0 {
                v.ln() + ln_scale[q]
            } else {
                f64::NEG_INFINITY
            };
            h[[j, q]] = if l.is_nan() { f64::NEG_INFINITY } else { l };
        }
    }
}

/// Inflows of one implicit-Euler step with the time steps `exp(ln_dt)`
/// (one per stage and conserved quantity), `feed + H / dt`,
/// as values and `ln` factors ([`Workspace::set_feed_ln`]): each
/// positive inflow is `1 * exp(ln)`, so a holdup below the range of a
/// double enters at its own size rather than as zero or the smallest
/// double.
fn step_inflows(
    feed: &Array2<f64>,
    ln_h: &Array2<f64>,
    ln_dt: &Array2<f64>,
    value: &mut Array2<f64>,
    ln: &mut Array2<f64>,
) {
    ndarray::Zip::from(value)
        .and(ln)
        .and(feed)
        .and(ln_h)
        .and(ln_dt)
        .for_each(|v, l, &f, &h, &ldt| {
            if f < 0.0 {
                // not an inflow (no model gives one): added as it is
                *v = f + (h - ldt).exp();
                *l = 0.0;
                return;
            }
            let lf = if f > 0.0 { f.ln() } else { f64::NEG_INFINITY };
            let t = log_add(lf, h - ldt);
            if t.is_finite() {
                *v = 1.0;
                *l = t;
            } else {
                *v = 0.0;
                *l = 0.0;
            }
        });
}

/// `ln` of the time step of every stage's balance of every conserved
/// quantity: `dt`, lengthened for a trace (a holdup below `trace_rel` times
/// the largest holdup of the same quantity in the cascade) by the factor
/// `trace_rel * H_max / H`. A positive step per balance (local time
/// stepping) leaves the steady state as it is; a trace, linear in itself
/// given the bulk, then relaxes to its quasi-steady level in a step or two
/// instead of falling by the factor `dt` per step from a level far above
/// it. `trace_rel = 0` keeps `dt` everywhere.
fn hold_steps(ln_h: &Array2<f64>, dt: f64, trace_rel: f64, ln_dt: &mut Array2<f64>) {
    let ldt = dt.ln();
    ln_dt.fill(ldt);
    if trace_rel <= 0.0 {
        return;
    }
    let lt = trace_rel.ln();
    for (hq, mut dq) in ln_h.columns().into_iter().zip(ln_dt.columns_mut()) {
        let top = hq.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        if !top.is_finite() {
            continue;
        }
        for (&hv, d) in hq.iter().zip(dq.iter_mut()) {
            if hv.is_finite() {
                *d += (top + lt - hv).max(0.0);
            }
        }
    }
}

/// Largest shift, in stages, that [`front_shift`] tries.
const FRONT_SHIFT_MAX: isize = 3;

/// Largest relative miss of [`front_shift`]'s match for which a step
/// starts from the shifted change ([`TransientOptions::follow_fronts`]).
const FRONT_MISS: f64 = 0.5;

/// The shift `s` (in stages, `|s| <= max_shift`) that best carries the
/// change `prev` of a step onto the change `last` of the step after it,
/// `last[j] ~ prev[j - s]` (zero outside the cascade), and the match's
/// relative miss `||last - prev[. - s]|| / ||last||`. A front crossing a
/// section at a steady pace moves the same pattern of changes by the same
/// number of stages in every step of the same length: the change of the
/// next step is then `last[j - s]`.
fn front_shift(last: &Array2<f64>, prev: &Array2<f64>, max_shift: isize) -> (isize, f64) {
    let n = last.nrows() as isize;
    let norm: f64 = last.iter().map(|v| v * v).sum();
    let mut best = (0isize, f64::INFINITY);
    for s in -max_shift..=max_shift {
        let mut miss = 0.0;
        for j in 0..n {
            let i = j - s;
            for (v, &a) in last.row(j as usize).iter().enumerate() {
                let b = if (0..n).contains(&i) {
                    prev[[i as usize, v]]
                } else {
                    0.0
                };
                miss += (a - b) * (a - b);
            }
        }
        if miss < best.1 {
            best = (s, miss);
        }
    }
    (best.0, (best.1 / norm.max(1e-300)).sqrt())
}

/// Largest shift, in stages, that [`mixed_shift`] tries. Seed 9548 of
/// the mass-action robustness generator crosses its scrub with a front of
/// the free extractant at 6.5 stages a step (6 and 7 in turn) while its
/// metals drift in place behind it: its start-up converges in 725
/// iterations with 10 (2,935 with the whole-stage predictor alone, whose
/// best shift there is 0; without [`MIX_GAIN`], 708 with 10 and 734 with
/// 8).
const MIX_SHIFT_MAX: isize = 10;

/// Largest ratio of [`mixed_shift`]'s miss to that of the last change
/// carried on in place everywhere ([`carried_miss`]) for which a step
/// starts from the mixed prediction: a front must explain a good part of
/// the change, not a trace's drift alone. Over the start-ups of the slow
/// seeds of the mass-action robustness generator, without it (1.0)
/// seed 5371 failed and 8626 took 12,153 iterations instead of 6,366;
/// at 0.5, 5371 takes 2,095 and 8626 6,869 (0.3 and 0.7 sum 10 % more
/// over 17 slow seeds; docs/benchmarks.md, round 28).
const MIX_GAIN: f64 = 0.5;

/// The change `d_last - d_prev` relative to `d_last` (Euclidean norms):
/// the miss of the last change carried on in place as the prediction of
/// the one before it.
fn carried_miss(last: &Array2<f64>, prev: &Array2<f64>) -> f64 {
    let norm: f64 = last.iter().map(|v| v * v).sum();
    let miss = ndarray::Zip::from(last)
        .and(prev)
        .fold(0.0, |a, &x, &y| a + (x - y) * (x - y));
    (miss / norm.max(1e-300)).sqrt()
}

/// A front crossing stages whose state drifts elsewhere ([`front_shift`]
/// finds no whole-profile shift: the drift stays in place while the front
/// moves). Each stage is matched by either the change `prev` moved by `s`
/// stages, `prev[j - s]` (zero outside the cascade), or its own,
/// `prev[j]`, whichever is nearer `last[j]` (Euclidean, over the stage's
/// unknowns). Returns the shift `s != 0` (`|s| <= max_shift`) whose mixed
/// match misses least, its relative miss (as [`front_shift`]'s), and for
/// every stage whether it took the moved change. A stage that took it
/// starts its next step from `last[j - s]`, the others from `last[j]`.
fn mixed_shift(
    last: &Array2<f64>,
    prev: &Array2<f64>,
    max_shift: isize,
) -> (isize, f64, Vec<bool>) {
    let n = last.nrows() as isize;
    let norm: f64 = last.iter().map(|v| v * v).sum();
    // `||last[j] - prev[i]||^2`, `prev[i]` zero outside the cascade
    let row_miss = |j: isize, i: isize| -> f64 {
        last.row(j as usize)
            .iter()
            .enumerate()
            .map(|(v, &a)| {
                let b = if (0..n).contains(&i) {
                    prev[[i as usize, v]]
                } else {
                    0.0
                };
                (a - b) * (a - b)
            })
            .sum()
    };
    let own: Vec<f64> = (0..n).map(|j| row_miss(j, j)).collect();
    let mut best = (0isize, f64::INFINITY, Vec::new());
    for s in (-max_shift..=max_shift).filter(|&s| s != 0) {
        let mut miss = 0.0;
        let mut moved = vec![false; n as usize];
        for j in 0..n {
            let m = row_miss(j, j - s);
            if m < own[j as usize] {
                moved[j as usize] = true;
                miss += m;
            } else {
                miss += own[j as usize];
            }
        }
        if miss < best.1 {
            best = (s, miss, moved);
        }
    }
    (best.0, (best.1 / norm.max(1e-300)).sqrt(), best.2)
}

/// A front crossing at a fraction of a stage a step ([`front_shift`]
/// finds no whole shift). The change `last` of a step is fitted, by least
/// squares over all unknowns, as the change `prev` of the step before
/// (scaled by `r`, the ratio of the two steps' lengths) blended with its
/// neighbour's: `last[j] ~ r ((1 - f) prev[j] + f prev[j - s])`
/// (`prev[j - s]` zero outside the cascade), for `s` each of -1 and 1
/// and `f` in `[0, 1]` in closed form. Returns the `s` and `f` that miss
/// least and the fit's relative miss (as [`front_shift`]'s): `f` is the
/// stages the front moved in the last step, `s` its direction.
fn fractional_shift(last: &Array2<f64>, prev: &Array2<f64>, r: f64) -> (isize, f64, f64) {
    let n = last.nrows() as isize;
    let norm: f64 = last.iter().map(|v| v * v).sum();
    let mut best = (0isize, 0.0, f64::INFINITY);
    for s in [-1isize, 1] {
        // <rest, moved>, <moved, moved>, <rest, rest> with `rest` the miss
        // of the change carried on in place and `moved` what the blend adds
        let (mut rm, mut mm, mut rr) = (0.0, 0.0, 0.0);
        for j in 0..n {
            let i = j - s;
            for (v, &l) in last.row(j as usize).iter().enumerate() {
                let a = r * prev[[j as usize, v]];
                let b = if (0..n).contains(&i) {
                    r * prev[[i as usize, v]]
                } else {
                    0.0
                };
                let rest = l - a;
                let moved = b - a;
                rm += rest * moved;
                mm += moved * moved;
                rr += rest * rest;
            }
        }
        let f = if mm > 0.0 {
            (rm / mm).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let miss = (rr - 2.0 * f * rm + f * f * mm).max(0.0);
        if miss < best.2 {
            best = (s, f, miss);
        }
    }
    (best.0, best.1, (best.2 / norm.max(1e-300)).sqrt())
}

/// Fewest inner iterations of the last accepted step after which a step
/// under a ceiling tries [`fractional_shift`]'s start. The try costs two
/// evaluations of the residual (the predicted start's and the
/// unpredicted one's) and the fit: tried after every step, seed 9908 of
/// the mass-action robustness generator (445 stages, its front crossing
/// the extraction at half a stage a step of 16.7 residence times under a
/// ceiling, 5-6 inner iterations a step) took 5,688 iterations instead of
/// 5,689 but 8 % more CPU. After steps of 6 or more: 9908 4,772 (13 %
/// less CPU than main) and 9016 6,547 instead of 5,969 (17 % less CPU
/// than main either way); after 7 or more, 9908 5,683 and 9016 6,820;
/// after 9, 9016 7,711 (docs/benchmarks.md, round 30).
const FRACTION_AFTER: usize = 6;

/// Adds to every stage `j` of `u` the change `d` moved by a fraction `f`
/// of a stage in the direction `s` ([`fractional_shift`]), scaled by `r`:
/// `r ((1 - f) d[j] + f d[j - s])` (`d[j - s]` zero outside the cascade),
/// then closes every stage's local equations again.
fn add_fraction_moved<E: Equilibrium>(
    model: &E,
    u: &mut Array2<f64>,
    d: &Array2<f64>,
    (s, f, r): (isize, f64, f64),
) {
    let n = u.nrows() as isize;
    for j in 0..n {
        let i = j - s;
        for v in 0..u.ncols() {
            let x = d[[j as usize, v]];
            let y = if (0..n).contains(&i) {
                d[[i as usize, v]]
            } else {
                0.0
            };
            u[[j as usize, v]] += r * ((1.0 - f) * x + f * y);
        }
    }
    newton::project_stages(model, u);
}

/// Adds to every stage `j` of `u` the change `d` of stage `from(j)` (none
/// where that lies outside the cascade), then closes every stage's local
/// equations again: a step started from a change moved on
/// ([`front_shift`], [`mixed_shift`]).
fn add_moved_change<E: Equilibrium>(
    model: &E,
    u: &mut Array2<f64>,
    d: &Array2<f64>,
    from: impl Fn(isize) -> isize,
) {
    let n = u.nrows() as isize;
    for j in 0..n {
        let i = from(j);
        if (0..n).contains(&i) {
            let mut row = u.row_mut(j as usize);
            row += &d.row(i as usize);
        }
    }
    newton::project_stages(model, u);
}

/// Predicted steps accepted in a row after which, and after every
/// multiple of which, [`follow`] tries to carry the front they follow to
/// the end of the cascade at once ([`leap_front`]). A leap refused is
/// tried again 8 steps later: the settled stages it needs behind the
/// front may appear only once the front has moved on (seed 960 of the
/// mass-action robustness sample, a front crossing its 98 extraction
/// stages one stage a step: refused with the front at stages 16 to 46,
/// done at the sixth try; 904 -> 718 iterations). A leap whose first
/// step fails is undone, and not tried again in that run of predicted
/// steps (seed 1338: a leap at its sixth try left a state whose residual
/// is not finite; kept, the start-up ran to the iteration limit).
const LEAP_AFTER: usize = 8;

/// Accepted steps after a failed predicted step during which [`follow`]
/// predicts no front. A predicted step that fails is retried at once at
/// its own length from the state before it, unpredicted, instead of being
/// quartered (a retry that fails is quartered like any failed step): the
/// prediction failed, not necessarily the length. Seed 3134 of the
/// mass-action robustness sample, a front crossing its extraction 0.017
/// stages a residence time, had 13 failed predicted steps, each
/// quartering a step that took several steps to grow back, and ran out
/// of its budget about 10 % short (2,116 iterations); retried, it
/// converges in 2,034. Over the mass-action sample 0-4499 no seed is
/// lost and the iterations summed over the seeds converging on both fall
/// 131,015 -> 130,109 (3747 1,310 -> 421), but 7 of the 18 seeds with a
/// failed prediction take more (1338 1,025 -> 1,232, 932 1,030 ->
/// 1,106, 441 1,009 -> 1,080: a quartered step happened to find a length
/// their front could be predicted at). 8 converges 3134 too with more
/// dearer seeds, 0 and a half-length retry lose it (docs/benchmarks.md,
/// round 20).
const RETRY_PAUSE: usize = 4;

/// Failed steps in a row at one length (within [`CYCLE_SAME`]), each ended at the
/// inner Newton's iteration cap or broken down, the last with a residual
/// of at least [`CYCLE_RESIDUAL`] (under it, [`NEAR_CYCLE_FAILS`]), after
/// which [`Follow`] holds the steps under a ceiling ([`CYCLE_CEILING`] of
/// that length). A step that grows into a failure, is quartered and grows
/// back into it fails at the very length it failed at before: a cycle of
/// the step control in which a third of the iterations go to failed steps
/// (seed 1456 of the mass-action robustness sample, from the stalled
/// continuation's iterate: 13.8 (5 inner iterations) -> 27.6 (6) -> 55.1
/// (11) -> 55.1 fails at 14, again and again, 600 iterations; 982 before
/// round 21's race: 5.8 -> 11.65 -> 23.3, the last failing). A failure
/// that breaks down ([`Status::Diverged`]) counts too since the ceiling
/// is probed ([`PROBE_AFTER`]): seed 8626 of the mass-action robustness
/// generator (past the sample) broke down 330 times in a
/// grow-fail-quarter cycle, 2,420 of its 10,196 iterations; held, 5,959
/// (7614 2,261 -> 1,955, 9016 8,258 -> 9,376). Until round 26 a breakdown
/// neither counted nor kept the count: 4258, failing three times at 100
/// residence times, breaking down at a stage far behind its front, was
/// held there and took 6,965 iterations instead of 1,371; with the
/// probes, 1,357. From the first failure instead of the third, 3134 and
/// 4323 are lost (docs/benchmarks.md, rounds 21, 22 and 26).
const CYCLE_FAILS: usize = 3;

/// Ceiling, relative to the length of the failures that set it, under
/// which [`Follow`] holds its steps after [`CYCLE_FAILS`] failures at one
/// length. It is lifted by a step that converges in at most 3 inner
/// iterations (one the step control would have quadrupled; round 22).
/// Mass-action robustness sample 0-4499, with [`CYCLE_RESIDUAL`]: 0.5
/// takes 1456 in 1,331 iterations, 0.6 in 1,290 (3997 538 -> 519, 793
/// 1,263 -> 1,257, 2820 754 -> 755, no other seed changes), 0.7 in 1,299
/// (docs/benchmarks.md, round 23).
const CYCLE_CEILING: f64 = 0.6;

/// Residual (the step's scaled steady-state residual, largest row) at
/// or over which a failed step's count of failures at its length is held
/// to [`CYCLE_FAILS`]; a failure under it came close to its root, and
/// the count needs [`NEAR_CYCLE_FAILS`] (until round 24 it ended the
/// count). A cycle's failures
/// are steps too long to converge at all: those of seed 1456 of the
/// mass-action robustness sample end at 0.42-0.58. Seed 1112's front
/// crawls on failures at the inner cap with residuals of 1e-4 to 8e-2,
/// three at a length as it moves: held under half of it, its steps still
/// failed, the front was not followed at the predictor's pace and it
/// took 4,914 iterations instead of 2,593; 932's failures at 0.28-0.30
/// set a ceiling that cost it 57 (docs/benchmarks.md, round 23).
const CYCLE_RESIDUAL: f64 = 0.3;

/// Failed steps in a row at one length (within [`CYCLE_SAME`]) after which
/// [`Follow`] holds its steps under the ceiling of [`CYCLE_CEILING`] when
/// the last failure came close to its root (a residual under
/// [`CYCLE_RESIDUAL`]): a cycle whose failures are near misses, repeated
/// often enough to be the step control's and not a front's. Seed 2571 of
/// the mass-action robustness sample (241 extraction stages, two loading
/// fronts) grew 13.8 (4 inner iterations) -> 27.6 (5-6) -> 55.1, failed
/// there at the cap (14-15 iterations, residual 0.06) and was quartered,
/// 410 times: 5,975 of its 10,579 iterations in failed steps. Held after
/// 8 such failures it converges in 4,177 and 4197 in 4,957 instead of
/// 6,129; after 3, 1112 took 3,124 instead of 2,593 and 4197 9,196, after
/// 5 4197 8,733; after 12 and 20, 2571 4,312 and 4,447 (docs/benchmarks.md,
/// round 24).
///
/// A near miss (a failure under [`CYCLE_RESIDUAL`]) at a length more
/// than [`CYCLE_SAME`] longer than the length of the failures counted so
/// far, the last of them a near miss too, counts on with them (since
/// round 29), the count keeping the shorter length; otherwise it starts a
/// count of its own. A step
/// that failed at one length and later fails near its root at a longer
/// one is the same cycle of the step control, grown past the length it
/// failed at.
/// Seed 9869 of the mass-action robustness generator (139 extraction
/// stages, a front of its free extractant crossing them at about one
/// stage in 30 residence times) converges its steps at up to 36
/// residence times in 6 inner iterations and fails every longer one near
/// its root (residual 0.14): the geometric cut ([`GROWN_BACK`]) closed in
/// on the failed length from below (9.3, 18.7, 26.4, 34.4, 35.8), the step
/// reaching 0.9 of it forgot it ([`FAILED_LEN_CLEARED`]) and doubled to
/// 72, and the failures of each such round (72, 51, 43, 39, 37) never came
/// within 25 % of each other eight times, so no ceiling: 65 failures, 963
/// of its 3,681 iterations of the start-up, 132 steps held by the cut.
/// Counted on, the ceiling holds its steps at 22-38 residence times, each
/// started from the last change carried on in 4 inner iterations: 4,019
/// -> 3,401 iterations (6851 9,776 -> 9,175, 2571 4,242 -> 3,929, 4197
/// 3,237 -> 3,024, 9908 5,763 -> 5,685; over mass-action 0-10499 none
/// won or lost, 352,497 -> 350,750). Counting far misses so too (seed
/// 6851's failures of 1.0 at 8-16 residence times, far apart in time,
/// then set a ceiling) made 6851 take 10,494; counting a near miss on
/// after far misses (7614's at 670 residence times onto its far miss at
/// 4.6 from 4,000 residence times before, which then kept the failures
/// at 520-566 from counting together) made 7614 take 1,726 instead of
/// 1,495, for 9869 3,208 (docs/benchmarks.md, round 29).
const NEAR_CYCLE_FAILS: usize = 8;

/// Steps held under the ceiling of [`CYCLE_CEILING`] (accepted steps
/// whose growth it clipped) after which [`Follow`] tries one step at the
/// length the step control asks for, above the ceiling: a probe. A probe
/// that converges raises the ceiling to its length (lifts it, if it took
/// at most 3 inner iterations); one that fails is dropped, the state kept
/// from before it and the step put back at the ceiling, and the next
/// probe waits twice as many held steps. A ceiling is lifted only by an
/// easy step (at most 3 inner iterations), and a start-up whose held
/// steps all take 4-6 keeps it to its end: seed 9016 of the mass-action
/// robustness generator (past the sample), held at 6.24 residence times
/// from its failures at 10.4 near its first stages (t = 16-32) to the end
/// of a start-up of 28,000 residence times, ran out of its budget
/// (19,180) and converged in 19,999 at a larger limit; with probes after
/// 16 held steps it converges in 8,258 (9,376 once breakdowns count
/// towards the ceiling, [`CYCLE_FAILS`]), 7751 in 2,003 instead of 3,590.
/// A failed probe costs one failed step: 2571's and 4197's fronts keep
/// their ceilings at 117 and 45 iterations more (docs/benchmarks.md,
/// round 26).
const PROBE_AFTER: usize = 16;

/// What [`follow`] keeps from before a leap ([`leap_front`]) to undo it
/// if the step after it fails: the state, the step length, the lengths of
/// the last two steps and the stages of the fronts followed.
type BeforeLeap = (Array2<f64>, f64, (f64, f64), Vec<usize>);

/// Change of a stage, relative to the largest stage change of the step,
/// below which [`leap_front`] takes the stage as settled.
const SETTLED_REL: f64 = 1e-4;

/// Change of a stage, relative to the largest stage change of the step,
/// below which [`leap_front`] takes the stage as settled where no stage
/// behind the front is settled under [`SETTLED_REL`]: a wake that drifts
/// as a whole while the front crosses the section (CLI check mass-action
/// 11438, the whole scrub behind its front changing by 1e-3 to 1e-2 of
/// the front's change a step: leapt from there, 1,335 -> 880
/// iterations). Not the first choice: leapt from the stage four stages
/// nearer the front that this threshold finds instead of the one under
/// [`SETTLED_REL`], seed 4258 of the mass-action robustness sample takes
/// 2,086 iterations instead of 1,231 (round 44).
const DRIFTING_REL: f64 = 1e-2;

/// Largest move, in stages, of the front between two predicted steps
/// that [`leap_front`] still takes for a front crossing the cascade at a
/// steady pace. The predictor shifts the last step's change by at most
/// [`FRONT_SHIFT_MAX`] stages, but the step it starts converges where
/// the front is, which may be further on: CLI check mass-action 12061's crosses
/// its 271-stage scrub at 4 stages a step (every step, about 50 steps),
/// held to 3 it was never leapt (791 iterations; leapt, 429; round 44).
const LEAP_MOVE_MAX: isize = 8;

/// Largest change, in e-folds of any unknown, by which the last accepted
/// step's change differs from the one before it (scaled as the step is)
/// for which a start-up step starts from the last change carried on
/// ([`Follow::advance`]). A front crossing a stage switches that stage's
/// unknowns within a step or two, so an extrapolation in time misses it
/// by half an e-fold or more (round 13: carried on everywhere, the easy
/// steps grew into failures); the unknowns of a start-up that drifts at
/// a steady pace (a trace settling by about the same e-folds a step while
/// the steps grow) it predicts, and only there is it used.
const TIME_MISS: f64 = 0.5;

/// Most an extrapolated step ([`TIME_MISS`]) grows the next.
const EXTRAPOLATED_GROWTH: f64 = 1.3;

/// Fraction of the length of the last failed step ([`Follow`]'s
/// `failed_len`) that an accepted, shorter step's growth may reach: a
/// growth that would reach it takes the step to the geometric mean of the
/// step's length and the failed one instead. A step quartered after a
/// failure and grown back by the step control's factors (4, 2, 1.3) lands
/// on about the failed length again and fails again: the first start-up
/// of seed 8626 of the mass-action robustness generator crossed its strip
/// one stage a failure so (near misses at 450-690 residence times), and
/// after 600 iterations the race took its other start-up, 6,366 in all.
/// With the cut (and the count of one length widened to [`CYCLE_SAME`])
/// its steps settle at one length where the front predictor follows the
/// front, and the first start-up converges: 472 (docs/benchmarks.md,
/// round 28; round 27's `cycle`). The cut is 0.99 rather than 1 so that a
/// growth onto the failed length within rounding is cut too.
const GROWN_BACK: f64 = 0.99;

/// Fraction of the last failed length ([`GROWN_BACK`]) that an accepted
/// step must reach for the failed length to be forgotten: the step then
/// converged at about the length that failed, and the failure belongs to
/// the past (round 27's `cycle`; forgotten at the first cut instead,
/// 2571 took 8,739 iterations instead of 6,148 on that round's main).
const FAILED_LEN_CLEARED: f64 = 0.9;

/// Relative difference within which a failed step's length counts as
/// the length of the failure before it ([`CYCLE_FAILS`],
/// [`NEAR_CYCLE_FAILS`]). The step control's factors put the failures of
/// a grow-fail-quarter cycle on one length to within rounding, and until
/// round 28 1 % was used; [`GROWN_BACK`]'s geometric means put them on
/// nearby but different lengths (2571's near misses at 40-52 residence
/// times, never twice within 1 %), so the ceiling no longer caught them.
/// At 25 % seed 2571 takes 4,118 iterations instead of 5,122 (6,534
/// with the cut and 1 %; 6,373 at 10 % and 15 %, 4,118 at 20 %), and
/// 843, whose failures it now counts together, 1,040 instead of 965
/// (docs/benchmarks.md, round 28).
const CYCLE_SAME: f64 = 0.25;

/// The squared Euclidean norm of stage `j`'s row of a step's change `d`.
fn change_sq(d: &Array2<f64>, j: usize) -> f64 {
    d.row(j).iter().map(|v| v * v).sum()
}

/// E-folds under the most abundant metal anywhere in the cascade below
/// which a metal's change in a step is left out where fronts are looked
/// for ([`bulk_change`]). At 10, CLI check mass-action 80928 took 2,283
/// iterations instead of 1,730; at 20, 95152 2,509 instead of 603 and
/// 95001 622 instead of 238 (the CLI check's mass-action seeds 72000-
/// 72999, 80000-80999, 95000-95999 and 97000-97999: 118,629 and 120,851
/// iterations against 118,091; its log-linear seeds 3000-4999,
/// 87000-87999 and 90000-90999 within 0.2 %; docs/benchmarks.md, round
/// 64).
const FRONT_TRACE: f64 = 14.0;

/// The step's change `d` at the state `u` it reached, into `out`, with
/// the change of every metal (and counter-ion: the quantities
/// [`Equilibrium::own_scaled`] marks, whose unknowns are their `ln`s)
/// that is a trace where it stands (over [`FRONT_TRACE`] e-folds under
/// the most abundant of them in any stage) set to 0: what [`follow`]
/// reads fronts from ([`largest_change`], [`leap_front`], [`crawling`],
/// [`plan_move`]).
///
/// A deepening profile moves its traces by tens of e-folds a step (the
/// raffinate end of an extraction section that still cleans up, the
/// stages ahead of a front that hold nothing yet), and a front where the
/// bulk changes moves its unknowns by a few: read over every unknown, the
/// largest change stood at such a trace and no stage behind the front
/// counted as settled. CLI check mass-action 72031 (5 metals over 196 +
/// 237 + 1 stages; praseodymium builds up to 1.6 mol/L over the whole
/// scrub, a front crossing it at 1.3 stages a step for about 250 steps)
/// read its largest change at stage 1 until its front had crossed half
/// the cascade: 3,401 -> 2,282 iterations; 95001 and 95239 alike. Read
/// against each stage's own most abundant metal, the stages ahead of
/// 80928's samarium front (5 metals over 173 + 280 stages), which hold
/// only traces, still took the largest change (neodymium at e^-40 to
/// e^-260): 4,129 iterations against 1,730 (docs/benchmarks.md, round
/// 64).
fn bulk_change<E: Equilibrium>(model: &E, d: &Array2<f64>, u: &Array2<f64>, out: &mut Array2<f64>) {
    out.assign(d);
    // no list of them is kept: this runs after every accepted step
    let metals = || (0..model.conserved()).filter(|&q| model.own_scaled(q));
    let top = u
        .rows()
        .into_iter()
        .flat_map(|row| metals().map(move |q| row[q]))
        .fold(f64::NEG_INFINITY, f64::max);
    for (j, row) in u.rows().into_iter().enumerate() {
        for q in metals() {
            if row[q] < top - FRONT_TRACE {
                out[[j, q]] = 0.0;
            }
        }
    }
}

/// The stage whose unknowns changed most ([`change_sq`]) in a step.
fn largest_change(d: &Array2<f64>) -> usize {
    let mut best = (0, -1.0);
    for j in 0..d.nrows() {
        let r = change_sq(d, j);
        if r > best.1 {
            best = (j, r);
        }
    }
    best.0
}

/// Carries a front that the predicted steps of [`follow`] have followed
/// stage by stage to the next inflow ahead of it, or to the end of the
/// cascade, in one move: the settled stages behind it continued, row by
/// row, along their own straight line (in the unknowns: a bulk quantity
/// stays constant, a trace keeps falling by the same e-folds a stage)
/// over the front and every stage ahead of it up to that inflow's stage
/// (a scrub or strip liquor's inlet, the feed; included) or the end, each
/// row closed again ([`Equilibrium::project`]). `fronts` holds the stage
/// of the largest change of each predicted step in a row
/// ([`largest_change`]), `d` the change of the last. Done (true) only for
/// a front that moved the same way by 0 to [`LEAP_MOVE_MAX`] stages in
/// each of the last [`LEAP_AFTER`] steps (those before are not read: a run
/// of predicted steps can begin with the largest change hopping between
/// stages), at least 0.3 stages a step on average and at least four steps
/// from where the leap ends at that pace, and settled stages behind it:
/// the change of a stage under [`SETTLED_REL`] of the front's, found
/// walking back from the front, and two stages more; where no stage
/// behind the front is settled so, under [`DRIFTING_REL`]. What stands
/// at and beyond the inflow then comes from the steps that follow.
///
/// Seed 4258 of the mass-action robustness sample: a front of its second
/// metal crossing a 275-stage strip section toward the strip liquor's
/// inlet at 1.2 stages a step of 372 residence times (5 inner iterations
/// a step, 995 of the run's 2,277);
/// leapt after 8 of those steps, the start-up finishes in 27 iterations
/// more (1,346 in all). A front that the steady state stops short of the
/// end, or that is not one (a trace's largest change hopping between
/// stages), fails these tests or is undone by the steps that follow.
///
/// Until round 44 a front with an inflow between it and the end of the
/// cascade was not leapt at all, so a front crossing a long scrub toward
/// the scrub liquor's inlet, with a strip beyond it, was followed stage
/// by stage: CLI check mass-action 11438 (6 + 272 + 15 stages, its front
/// crossing the scrub at 2.1 stages a step, about 100 steps) took 1,335
/// iterations, 880 leapt (with [`DRIFTING_REL`]); 12061 (21 + 271 + 4,
/// 4 stages a step, with [`LEAP_MOVE_MAX`]) 791 -> 429 (docs/
/// benchmarks.md, round 44).
///
/// Until round 45 every step of the run was read: CLI check mass-action
/// 12834 (15 + 297 stages) began its run with the largest change hopping
/// across the scrub (stages 189, 309, 182, 309, ...) for about 100 steps,
/// then followed a front from stage 190 at two thirds of a stage a step
/// that was never leapt, 1,502 iterations; leapt, 1,068.
///
/// Where `stop` is an inflow with stages beyond it, those take what it
/// passes on ([`passed_beyond`], as after [`move_front`]), and a first
/// step that fails is tried shorter from the leapt state ([`MOVE_TRIES`])
/// before the leap is made flat. CLI check mass-action 72031 leapt its
/// front (praseodymium building up over a 237-stage scrub) to the scrub
/// liquor's inlet with its one strip stage left as it was: its lanthanum
/// trace there stood hundreds of e-folds from what the inlet now passed
/// on, and the step failed at a residual of 1.0 flat or not. Passed on,
/// the step failed at 0.045 and converged a quarter as long, and the
/// start-up went on from there (docs/benchmarks.md, round 64).
///
/// Where `flat`, every stage leapt takes the settled row as it is (a
/// pinch) instead of the rows carried on along their lines: the retry of
/// a leap whose first step failed ([`Follow`]). The lines of a settled
/// row at the tail of a steep profile, carried over hundreds of stages,
/// put a loading metal hundreds of e-folds above what the organic can
/// hold: CLI check mass-action 15342 (11 metals, 239 + 271 stages) leapt
/// its front from stage 263 to the scrub liquor's inlet at 509 with its
/// heaviest metal carried 1,969 e-folds up; the step failed, the front
/// was followed stage by stage, and the start-up took 8,249 iterations.
/// From the flat leap the step converges in 12 inner iterations and the
/// solve in 4,112 (4,212 with the walk probe that came after it; docs/
/// benchmarks.md, round 52).
fn leap_front<E: Equilibrium>(
    model: &E,
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    d: &Array2<f64>,
    fronts: &[usize],
    flat: bool,
) -> bool {
    let n = u.nrows();
    // the front as the last [`LEAP_AFTER`] predicted steps saw it: the
    // largest change of earlier steps in the run may have hopped
    let fronts = &fronts[fronts.len().saturating_sub(LEAP_AFTER)..];
    let k = fronts.len();
    if k < 2 {
        return false;
    }
    let pace = (fronts[k - 1] as f64 - fronts[0] as f64) / (k - 1) as f64;
    let dir: isize = if pace > 0.0 { 1 } else { -1 };
    let steady_pace = fronts.windows(2).all(|w| {
        let moved = (w[1] as isize - w[0] as isize) * dir;
        (0..=LEAP_MOVE_MAX).contains(&moved)
    });
    if !steady_pace {
        return false;
    }
    let f = fronts[k - 1];
    // the leap ends at the first inflow ahead of the front (a scrub or
    // strip liquor's inlet, the feed), that stage included, or at the end
    // of the cascade
    let stop = inflow_ahead(feed, f, dir);
    let dist = ((stop - f as isize) * dir) as f64;
    if pace.abs() < 0.3 || dist / pace.abs() < 4.0 {
        return false;
    }
    let inside = |j: isize| (0..n as isize).contains(&j);
    let b = settled_behind(d, f, dir);
    if !inside(b) || !inside(b - dir) {
        return false;
    }
    let (last, before) = (
        u.row(b as usize).to_owned(),
        u.row((b - dir) as usize).to_owned(),
    );
    let old = u.row(stop as usize).to_owned();
    // every stage from the one after `b` up to `stop`, which lies ahead of
    // the front and so inside the cascade
    for steps in 1..=(stop - b) * dir {
        let mut row = u.row_mut((b + steps * dir) as usize);
        for (x, (&l, &p)) in row.iter_mut().zip(last.iter().zip(before.iter())) {
            *x = if flat { l } else { l + steps as f64 * (l - p) };
        }
    }
    passed_beyond(model, u, old.view(), stop, dir);
    newton::project_stages(model, u);
    true
}

/// Accepted steps over which [`crawling`] reads a front's pace.
const CRAWL_WINDOW: usize = 40;

/// The stages a crawling front must have crossed over [`CRAWL_WINDOW`]
/// steps ([`crawling`]): from about a tenth of a stage a step (slower
/// fronts are not told from a drift) to 0.3 (faster ones are predicted
/// and leapt, [`leap_front`]).
const CRAWL_MOVES: std::ops::RangeInclusive<isize> = 4..=12;

/// Stages ahead of the front's largest change that [`move_front`] moves
/// with it (the head of its profile), and stages it leaves between them
/// and the inflow or end ahead.
const MOVE_AHEAD: isize = 6;
const MOVE_MARGIN: isize = 8;

/// Residence times before which no front is moved ([`move_front`]): the
/// fronts of a start-up's first steps are still forming. Robustness seeds
/// log-linear 8965 (a move at t = 1.7) and mass-action 9461 (t = 28) took
/// 44 % and 9 % more iterations with their fronts moved.
const MOVE_AFTER: f64 = 100.0;

/// How much a quartered try after [`move_front`] may fail further off than
/// the try before it (its residual) and the move still be kept. CLI check
/// mass-action 15342 (11 metals over 239 + 271 stages) moved a front 239
/// stages to near the scrub liquor's inlet; its tries failed at 1.46, then
/// 3.37 and 3.37, and the fourth converged, but the start-up went on from
/// there to 8,599 iterations instead of 4,212. Log-linear capped 9674's
/// second move failed at 0.72, 0.56, 0.29, then converged (9,052 instead
/// of 15,800); mass-action 18281's twice at 0.873 (1,612 instead of 4,314).
const MOVE_WORSE: f64 = 1.01;

/// Quartered tries of the first step after [`move_front`] before the move
/// is undone, or after [`leap_front`] before the leap is made flat: the
/// stages the move or leap put next to the inflow or end ahead take a few
/// short steps to settle there.
const MOVE_TRIES: usize = 3;

/// A front crawling across the cascade at under a stage a step, read off
/// the stages `lc` of the last steps' largest changes: the track that,
/// from one of the first ten, takes every stage where it stands or one
/// stage on in one direction, and passes the others over (the largest
/// change hopping to a stage elsewhere). Where some track takes at least
/// a third of the steps and has moved [`CRAWL_MOVES`] stages, returns the
/// direction (+-1) and the stage of the track that takes most.
fn crawling(lc: &std::collections::VecDeque<usize>) -> Option<(isize, usize)> {
    let mut best: Option<(usize, isize, isize)> = None;
    for &start in lc.iter().take(10) {
        for dir in [-1isize, 1] {
            let mut at = start as isize;
            let mut on = 0usize;
            for &v in lc {
                if (0..=1).contains(&((v as isize - at) * dir)) {
                    at = v as isize;
                    on += 1;
                }
            }
            let moved = (at - start as isize) * dir;
            if CRAWL_MOVES.contains(&moved) && best.is_none_or(|b| on > b.0) {
                best = Some((on, dir, at));
            }
        }
    }
    let (on, dir, at) = best?;
    (3 * on >= lc.len()).then_some((dir, at as usize))
}

/// The first stage with an inflow (`feed`) ahead of stage `f` in the
/// direction `dir` (+-1), or the end of the cascade there.
fn inflow_ahead(feed: &Array2<f64>, f: usize, dir: isize) -> isize {
    let n = feed.nrows();
    let has_inflow = |j: &usize| feed.row(*j).iter().any(|&x| x != 0.0);
    (if dir > 0 {
        (f + 1..n - 1).find(has_inflow).unwrap_or(n - 1)
    } else {
        (1..f).rev().find(has_inflow).unwrap_or(0)
    }) as isize
}

/// The settled stage behind a front at stage `f` moving `dir` (+-1), by
/// the step's change `d`: walking back from the front while a stage's
/// change exceeds [`SETTLED_REL`] of the front's, and two stages more;
/// where no stage behind it is settled so, under [`DRIFTING_REL`]. May
/// lie outside the cascade (none settled).
fn settled_behind(d: &Array2<f64>, f: usize, dir: isize) -> isize {
    let n = d.nrows() as isize;
    let change = |j: isize| change_sq(d, j as usize).sqrt();
    let inside = |j: isize| (0..n).contains(&j);
    let top = change(f as isize);
    let walk = |rel: f64| {
        let mut b = f as isize;
        while inside(b - dir) && change(b) > rel * top {
            b -= dir;
        }
        b - 2 * dir
    };
    let b = walk(SETTLED_REL);
    if inside(b - dir) {
        b
    } else {
        walk(DRIFTING_REL)
    }
}

/// Where [`move_front`] moves a front at stage `f` moving `dir` (the last
/// step's change `d`): `(stop, b, shift, dir)`, with `stop` the first inflow
/// ahead (that stage included) or the end of the cascade, `b` the first
/// settled stage behind the front (as [`leap_front`] finds it) and `shift`
/// the stages the front moves, to [`MOVE_AHEAD`] + [`MOVE_MARGIN`] stages
/// short of `stop`. `None` where no stage behind it is settled or the
/// move would be under 8 stages.
fn plan_move(
    feed: &Array2<f64>,
    d: &Array2<f64>,
    f: usize,
    dir: isize,
) -> Option<(isize, isize, isize, isize)> {
    let n = d.nrows() as isize;
    let top = change_sq(d, f);
    if top.is_nan() || top <= 0.0 {
        return None;
    }
    let stop = inflow_ahead(feed, f, dir);
    let b = settled_behind(d, f, dir);
    let inside = |j: isize| (0..n).contains(&j);
    let shift = (stop - f as isize) * dir - MOVE_AHEAD - MOVE_MARGIN;
    (inside(b) && inside(b - dir) && shift >= 8).then_some((stop, b, shift, dir))
}

/// Moves a crawling front ([`crawling`], [`plan_move`]'s `(stop, b, shift,
/// dir)`) `shift` stages on: every stage from `stop` back to `b` takes the
/// state `shift` stages behind it, the profile ahead of the front carried
/// along with it, and the stages the front leaves take the settled row `b`.
/// The stages next to `stop` then hold the state the front had ahead of
/// it, which the steps after the move settle ([`MOVE_TRIES`]). Where
/// `stop` is an inflow with stages beyond it, each metal
/// ([`Equilibrium::own_scaled`]) of those stages is moved by its change at
/// `stop`, so that what `stop` passes on still balances there: without
/// that, log-linear capped 10008 (a front crossing a 279-stage scrub
/// towards the scrub liquor's inlet, a strip beyond) failed the step after
/// each of its two moves at the strip's first stage (La, residual 1), and
/// took 13,074 iterations; with it, 8,740.
///
/// CLI check log-linear 9674 (capped 0.3; 7 metals over 172 + 1 stages)
/// builds its neodymium up to nine times its feed over 160 extraction
/// stages; the front of that plateau crosses them one stage every six
/// steps held under a ceiling of about 100 residence times, 12 inner
/// iterations a step: 1,855 steps to t = 99,400 and 20,716 iterations.
/// Its fronts moved twice (from stages 59 and 118, each to stage 14), it
/// converges in 9,052; log-linear capped 9972 (a praseodymium plateau
/// over 255 stages) 13,118 -> 2,200. Over the robustness generators'
/// seeds (mass-action 0-10499, log-linear 0-9299) three change, all
/// mass-action: 6851 6,631 -> 5,837 iterations, 5113 4,709 -> 5,373,
/// 8305 2,103 -> 2,128 (docs/benchmarks.md, round 53).
fn move_front<E: Equilibrium>(model: &E, u: &mut Array2<f64>, plan: (isize, isize, isize, isize)) {
    let (stop, b, shift, dir) = plan;
    let old = u.clone();
    let mut j = stop;
    loop {
        let src = j - dir * shift;
        let from = if (src - b) * dir >= 0 { src } else { b };
        u.row_mut(j as usize).assign(&old.row(from as usize));
        if j == b {
            break;
        }
        j -= dir;
    }
    passed_beyond(model, u, old.row(stop as usize), stop, dir);
    newton::project_stages(model, u);
}

/// The stages beyond the inflow's stage `stop` (in the direction `dir`)
/// take what it passes on after a front was carried up to it
/// ([`move_front`], [`leap_front`]): each metal
/// ([`Equilibrium::own_scaled`]) moved there by its change at `stop`,
/// whose row was `old`.
fn passed_beyond<E: Equilibrium>(
    model: &E,
    u: &mut Array2<f64>,
    old: ndarray::ArrayView1<f64>,
    stop: isize,
    dir: isize,
) {
    let n = u.nrows() as isize;
    let st = stop as usize;
    let mut k = stop + dir;
    while (0..n).contains(&k) {
        for q in (0..model.conserved()).filter(|&q| model.own_scaled(q)) {
            u[[k as usize, q]] += u[[st, q]] - old[q];
        }
        k += dir;
    }
}

/// Largest growth of the inner Newton's damping per iteration that a
/// step is given before it is abandoned as one that cannot converge
/// within its iterations ([`NewtonOptions::give_up_growth`]). Read off
/// every inner iteration of the start-ups of the slow and failing seeds of
/// the mass-action robustness sample and of its seeds 0-299 (3,517 steps):
/// no step that converged within its 16 iterations would have been
/// abandoned (5 is the tightest: seed 4197, damping 9e-3 after 13
/// iterations, converged at 16), while 393 of the 708 failed steps are,
/// 904 of their 10,555 iterations spared. The accepted steps stay the
/// same; only the failed ones get cheaper.
const GIVE_UP_GROWTH: f64 = 6.0;

/// Iterations past its 16 that a step's inner Newton may take to finish
/// a quadratic phase under way ([`NewtonOptions::finish_iterations`],
/// within the budget left). Of the failed steps of round 18's logged
/// start-ups, many end at 16 taking full steps with the residual falling
/// quadratically and a few thousand times the tolerance short (seed 4048:
/// 34 of its 104 failed steps end below 1e-4); each costs 16 iterations
/// and quarters the step. Seed by seed over the mass-action sample 0-4499,
/// seed 4048 converges (1,969), 4314 takes 50 iterations instead of
/// 2,300, 917 1,450 instead of 1,849, and no seed takes more (docs/
/// benchmarks.md, round 18); log-linear, separation-factor and
/// constant-D are unchanged.
const FINISH_ITERATIONS: usize = 2;

/// Largest fall of a collapsing `ln [H+]` or free extractant in one inner
/// Newton iteration of a start-up step ([`NewtonOptions::max_log_fall`];
/// their rises, and every other unknown, keep the cap of 8). Seed 1112 of
/// the mass-action robustness sample (sodium-saponified, 184 + 74 stages),
/// whose start-up crawled with nearly every capped inner iteration on a
/// falling `ln [H+]`, converges in 2,593 iterations instead of failing at
/// its 6,160 (docs/benchmarks.md, round 22; since round 26 1112 takes the
/// crowded start instead, and seed 5027 pins the cap: 1,203 iterations,
/// 3,413 with falls capped at 8). The same cap on every
/// unknown's falls made 24 seeds dearer; round 17's and 21's cap of 24 or
/// 40 on every step lost seeds 843, 3134 and 4323.
const MAX_LOG_FALL: f64 = 40.0;

/// Shortest first time step, relative to `dt0`, that a start-up without
/// its own fallback ([`TransientOptions::retry_plain`] false) tries before
/// it gives up ([`follow`]).
const FIRST_STEP_FLOOR: f64 = 1e-4;

/// Residence times past which a start-up also tries the steady state
/// each time its time has doubled since its last such try ([`Follow`]),
/// where its last step was easy ([`TIMED_INNER`]), within
/// [`TIMED_ITERATIONS`]. A start-up tries when its step has grown 30
/// times since its last try; one whose steps are held at one length (a
/// front followed at its pace, a ceiling) does not get there, however
/// close its state: CLI check mass-action 14280 held its steps at 95
/// residence times from t = 3,500 to 33,000, its strip stage's traces
/// washing out, and tried at 33,000; with its trace runs closed
/// ([`crate::solver::newton::Workspace::solve_trace_runs`]) a try at
/// 6,800 converges (3,396 -> 2,081 iterations). From 100 residence
/// times, the mass-action robustness seeds 0-1499 took 45,984 iterations
/// instead of 45,429 (tries that failed); from 1,000 with the two gates,
/// 45,360 (docs/benchmarks.md, round 51).
const TIMED_AFTER: f64 = 1000.0;

/// Most inner iterations of the last accepted step for a try by time
/// ([`TIMED_AFTER`]): a start-up whose steps are hard is still far from
/// its steady state.
const TIMED_INNER: usize = 4;

/// Iterations of a try by time ([`TIMED_AFTER`]): the tries that
/// converged took 3 to 6, while those that failed mostly ran to their 12.
const TIMED_ITERATIONS: usize = 6;

/// Settings of [`follow`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TransientOptions {
    /// Tolerance of the steady state.
    pub tolerance: f64,
    /// Newton iterations allowed over all steps and steady-state attempts.
    pub max_iterations: usize,
    /// First time step, residence times.
    pub dt0: f64,
    /// Whether a collapse of the step with the traces' longer steps
    /// ([`hold_steps`]) goes on with one step for every balance (else it
    /// ends the start-up as diverged).
    pub retry_plain: bool,
    /// Whether a failed step whose failure a quarter of the step left
    /// where it was goes on with one step for every balance at once
    /// (with [`TransientOptions::retry_plain`]) or, in a start-up without
    /// that fallback, ends it as diverged ([`follow`]).
    pub plain_when_unmoved: bool,
    /// Whether a step whose two accepted predecessors, of its own length,
    /// changed the state by the same pattern moved by a whole number of
    /// stages ([`front_shift`]: a front crossing the cascade stage by
    /// stage) starts its Newton iteration from that pattern moved on once
    /// more, and keeps its length when it converges ([`follow`]); where no
    /// whole pattern moves, a front moving through stages that drift in
    /// place is predicted stage by stage ([`mixed_shift`]) alike. Every
    /// rigorous start-up sets it: the log-linear ones since round 39 (over
    /// CLI check log-linear 3000-3999, 19 seeds change, none won or lost,
    /// 31,049 -> 26,217 iterations; 3042 5,602 -> 3,189, 3124 3,621 ->
    /// 4,340 the most that any took more; docs/benchmarks.md).
    pub follow_fronts: bool,
}

/// Follows the start-up from `u` (implicit Euler with step control) until
/// a steady-state Newton from the current state converges, or the
/// iterations run out. `pass` holds the side-draw pass fractions (aqueous,
/// organic) of the cascade, if any; the workspace's are restored on return.
/// Returns the report of the last steady-state attempt (or of the failing
/// step), the iterations used and the implicit-Euler steps accepted. The
/// solvers drive a [`Follow`] themselves (`rigorous.rs`, which may pause
/// it); this whole run is the tests'.
#[cfg(test)]
pub(crate) fn follow<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    pass: Option<(&[f64], &[f64])>,
    opts: &TransientOptions,
) -> (NewtonReport, usize, usize) {
    let mut f = Follow::new(model, links, feed, u, ws, pass, *opts);
    let rep = f
        .advance(model, links, feed, u, ws, pass, usize::MAX)
        .expect("an unbounded advance ends");
    (rep, f.used, f.accepted)
}

/// The state of a start-up ([`follow`]) between calls of
/// [`Follow::advance`], so that two start-ups can be run by turns, each
/// on its own iterate, and each goes exactly as it would alone.
pub(crate) struct Follow {
    /// The start-up's settings; `max_iterations` may be changed between
    /// calls of [`Follow::advance`].
    pub(crate) opts: TransientOptions,
    ln_dt: Array2<f64>,
    h: Array2<f64>,
    feed_t: Array2<f64>,
    feed_ln: Array2<f64>,
    u_prev: Array2<f64>,
    /// Changes of the last two accepted steps, and their lengths when
    /// they followed one another (NaN otherwise).
    d_last: Array2<f64>,
    d_prev: Array2<f64>,
    /// `d_last` with the traces' changes left out ([`bulk_change`]): where
    /// fronts are read.
    d_bulk: Array2<f64>,
    dt_last: (f64, f64),
    /// Stages of the largest change of the predicted steps accepted in a
    /// row since the last step that was not predicted or the last leap
    /// ([`leap_front`]).
    fronts: Vec<usize>,
    /// The state, step length, step lengths of the last two changes and
    /// fronts from before the last leap, until the step after it is
    /// accepted.
    undo: Option<BeforeLeap>,
    /// Whether a leap has been undone (its first step failed) since the
    /// last step that was not predicted.
    undone: bool,
    /// Whether the last leap has been made again flat ([`leap_front`])
    /// after its first step failed: a flat leap that fails too is undone.
    flat_tried: bool,
    /// The stage of the largest change of each of the last accepted steps,
    /// newest last, as many as `crawl_window` ([`crawling`]).
    crawl: std::collections::VecDeque<usize>,
    /// Accepted steps a crawl is read over: [`CRAWL_WINDOW`], doubled each
    /// time a move ([`move_front`]) is undone.
    crawl_window: usize,
    /// Quartered tries left to the first step after a move of a crawling
    /// front or a leap ([`MOVE_TRIES`]) before the move is undone or the
    /// leap made flat.
    move_tries: usize,
    /// Whether the state was moved ([`move_front`]) and no step has been
    /// accepted since.
    moved: bool,
    /// The residual of the last failed step after the move ([`MOVE_WORSE`]).
    move_failed: f64,
    /// Accepted steps left before a front may be predicted again, after
    /// a failed predicted step was retried ([`RETRY_PAUSE`]).
    pause: usize,
    trial: Array2<f64>,
    dt: f64,
    trace_rel: f64,
    /// Newton iterations used so far.
    pub(crate) used: usize,
    /// Implicit-Euler steps accepted.
    accepted: usize,
    /// Time reached, residence times (the accepted steps' lengths summed).
    pub(crate) time: f64,
    /// Time step at which the next steady-state attempt is made.
    next_try: f64,
    /// Time of the last steady-state attempt made for the time reached
    /// ([`TIMED_AFTER`]), and the iterations of those that failed (not
    /// counted toward a pause of [`Follow::advance`]: CLI check
    /// mass-action 12863 paused for the doubled start 24 iterations of
    /// them sooner on the same path, short of where its steady Newton
    /// converges, and its doubled start's half spent 300 for nothing).
    timed_at: f64,
    timed_spent: usize,
    /// Residual and worst stage and row of the last failed step, if the
    /// step before this one failed.
    failed: Option<(f64, (usize, usize))>,
    /// Whether a step has been accepted with no inner iteration since the
    /// last step that moved the state.
    idle: bool,
    /// The last steady-state report.
    last: NewtonReport,
    /// The length of the last failed step ended at the inner iteration
    /// cap and the failures in a row at that length ([`CYCLE_FAILS`],
    /// [`NEAR_CYCLE_FAILS`]).
    cycle: (f64, usize),
    /// Whether the last failure counted in `cycle` was a near miss (a
    /// residual under [`CYCLE_RESIDUAL`]; [`NEAR_CYCLE_FAILS`]).
    cycle_near: bool,
    /// The ceiling on the step length those failures set.
    ceiling: f64,
    /// Accepted steps whose growth the ceiling clipped since it was set or
    /// last probed ([`PROBE_AFTER`]), the count at which the next probe is
    /// made, and whether the step under way is one.
    held: usize,
    probe_after: usize,
    probing: bool,
    /// The length of the last failed step quartered after the start-up's
    /// first accepted step, until an accepted step reaches
    /// [`FAILED_LEN_CLEARED`] of it or is easy (at most 3 inner
    /// iterations) without being a failure's quarter (`quartered`);
    /// infinite when none ([`GROWN_BACK`]).
    failed_len: f64,
    /// Whether the step under way is a failed step's quarter. Its ease
    /// (at most 3 inner iterations) says nothing of the length that
    /// failed, so it does not forget `failed_len`: CLI check mass-action
    /// 14242 (8 metals over 280 + 224 + 13 stages) failed at 0.21
    /// residence times, converged the quarter in 3 inner iterations,
    /// forgot the failure, doubled twice onto 0.21 and failed there
    /// again, 50 times: 1,150 of its 3,488 iterations (8.7 s). Now the
    /// steps after the quarter close in on the failed length from below
    /// ([`GROWN_BACK`]) and it converges in 2,224. Kept from lifting the
    /// ceiling too, it took 2,267 and robustness mass-action 6656 ran to
    /// its limit instead of breaking down (docs/benchmarks.md, round 50).
    quartered: bool,
    /// Inner iterations of the last accepted step ([`FRACTION_AFTER`]).
    last_inner: usize,
}

/// Scaled residual to which an implicit-Euler step of the start-up is
/// solved, or the start-up's own tolerance where that is looser. A step
/// after one that moved nothing (accepted with no inner iteration: the
/// state's residual already under this) is solved to the start-up's own
/// tolerance instead, so that it moves. Where the steady state's
/// equations are nearly singular, the steady Newton fails from every
/// state under this residual, and steps held to it stop moving there:
/// CLI check mass-action 37366 (9 metals over 108 + 42 + 18 stages, a
/// neutral feed, 23 % Na saponification) stood at 8.75e-9 for 3,044
/// failed steady tries of 6 iterations each and ran out of budget
/// (26,200 iterations); with the next step solved to 1e-12 it converges
/// in 2,240 (docs/benchmarks.md, round 56). In the extraction stages of
/// such a cascade the organic is saturated with metal and the aqueous
/// acid is a trace (pH 6-8.5): moving `ln [H+]` and `ln [(HA)2]`
/// together keeps every metal's `D`, and only the counter-ion, a trace
/// there too, sees it; the implicit step's hold-up terms keep that
/// direction in hand where the steady Jacobian does not.
const STEP_TOLERANCE: f64 = 1e-8;

/// The steady-state Newton of a start-up from `u` within `budget`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn steady<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    pass: Option<(&[f64], &[f64])>,
    tolerance: f64,
    budget: usize,
) -> NewtonReport {
    ws.set_pass(pass);
    newton::solve(
        model,
        links,
        feed,
        u,
        ws,
        &NewtonOptions {
            tolerance,
            max_iterations: budget,
            ..NewtonOptions::default()
        },
    )
}

impl Follow {
    /// Implicit-Euler steps accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.accepted
    }

    /// A start-up from `u` (its rows closed here), not yet stepped.
    pub(crate) fn new<E: Equilibrium>(
        model: &E,
        links: &[bool],
        feed: &Array2<f64>,
        u: &mut Array2<f64>,
        ws: &mut Workspace,
        pass: Option<(&[f64], &[f64])>,
        opts: TransientOptions,
    ) -> Self {
        let n = u.nrows();
        let nq = model.conserved();
        newton::project_stages(model, u);
        let last = steady(model, links, feed, u, ws, pass, opts.tolerance, 0);
        Follow {
            opts,
            ln_dt: Array2::zeros((n, nq)),
            h: Array2::zeros((n, nq)),
            feed_t: Array2::zeros((n, nq)),
            feed_ln: Array2::zeros((n, nq)),
            u_prev: u.clone(),
            d_last: Array2::zeros(u.dim()),
            d_prev: Array2::zeros(u.dim()),
            d_bulk: Array2::zeros(u.dim()),
            dt_last: (f64::NAN, f64::NAN),
            fronts: Vec::new(),
            undo: None,
            undone: false,
            flat_tried: false,
            crawl: std::collections::VecDeque::with_capacity(CRAWL_WINDOW),
            crawl_window: CRAWL_WINDOW,
            move_tries: 0,
            moved: false,
            move_failed: f64::INFINITY,
            pause: 0,
            trial: u.clone(),
            dt: opts.dt0,
            trace_rel: TRACE_REL,
            used: 0,
            accepted: 0,
            time: 0.0,
            next_try: 5.0 * opts.dt0,
            timed_at: 0.0,
            timed_spent: 0,
            failed: None,
            idle: false,
            last,
            cycle: (f64::NAN, 0),
            cycle_near: false,
            ceiling: f64::INFINITY,
            held: 0,
            probe_after: PROBE_AFTER,
            probing: false,
            failed_len: f64::INFINITY,
            quartered: false,
            last_inner: 0,
        }
    }

    /// The steady-state Newton from `u` within `budget`, in the
    /// start-up's trial iterate (`u` is left as it is unless it converges,
    /// and then holds the steady state), its iterations counted in
    /// [`Follow::used`]. The start-up goes on from `u` where it fails.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn try_steady<E: Equilibrium>(
        &mut self,
        model: &E,
        links: &[bool],
        feed: &Array2<f64>,
        u: &mut Array2<f64>,
        ws: &mut Workspace,
        pass: Option<(&[f64], &[f64])>,
        budget: usize,
    ) -> NewtonReport {
        self.trial.assign(u);
        // every trace run closed exactly first ([`Workspace::solve_trace_runs`]):
        // a trace still washing out of a section holds steady Newton to a
        // nearly singular Jacobian until the washout is over
        ws.set_pass(pass);
        ws.solve_trace_runs(model, links, feed, &mut self.trial);
        let tol = self.opts.tolerance;
        let rep = steady(model, links, feed, &mut self.trial, ws, pass, tol, budget);
        self.used += rep.iterations;
        if rep.status == Status::Converged {
            u.assign(&self.trial);
        }
        rep
    }

    /// Steps the start-up on `u` (the iterate it was made with, or
    /// left on by the last call) until it ends (`Some`: the report of the
    /// last steady-state attempt or of the failing step; iterations in
    /// [`Follow::used`]) or has used `until` iterations or more between
    /// its steps, less those of its failed tries by time ([`TIMED_AFTER`])
    /// (`None`: paused, to be advanced again).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn advance<E: Equilibrium>(
        &mut self,
        model: &E,
        links: &[bool],
        feed: &Array2<f64>,
        u: &mut Array2<f64>,
        ws: &mut Workspace,
        pass: Option<(&[f64], &[f64])>,
        until: usize,
    ) -> Option<NewtonReport> {
        let opts = self.opts;
        loop {
            if self.last.status == Status::Converged && self.last.residual <= opts.tolerance {
                ws.set_pass(pass);
                return Some(self.last);
            }
            let left = opts.max_iterations.saturating_sub(self.used);
            if left == 0 {
                ws.set_pass(pass);
                return Some(NewtonReport {
                    status: Status::MaxIterations,
                    ..self.last
                });
            }
            // paused where it would have been without the failed tries by
            // time: they add their iterations and move nothing else
            if self.used - self.timed_spent >= until {
                ws.set_pass(pass);
                return None;
            }
            // a start-up past [`TIMED_AFTER`] residence times whose last
            // step was easy (at most [`TIMED_INNER`] inner iterations) tries
            // too each time its time has doubled since the last such try
            // (within [`TIMED_ITERATIONS`]): steps held at one length (a
            // front's pace, a ceiling) never reach the next try by length
            let timed = self.time > TIMED_AFTER
                && self.time >= 2.0 * self.timed_at
                && self.last_inner <= TIMED_INNER;
            let by_length = self.dt >= self.next_try;
            if by_length || timed {
                // try for the steady state from here
                let budget = if by_length { 12 } else { TIMED_ITERATIONS };
                if timed {
                    self.timed_at = self.time;
                }
                let rep = self.try_steady(model, links, feed, u, ws, pass, left.min(budget));
                if rep.status == Status::Converged {
                    return Some(rep);
                }
                self.last = rep;
                if by_length {
                    self.next_try = self.dt * 30.0;
                } else {
                    self.timed_spent += rep.iterations;
                }
                continue;
            }
            // one implicit-Euler step of length dt
            ln_holdup(model, u, &mut self.h);
            hold_steps(&self.h, self.dt, self.trace_rel, &mut self.ln_dt);
            step_inflows(
                feed,
                &self.h,
                &self.ln_dt,
                &mut self.feed_t,
                &mut self.feed_ln,
            );
            self.ln_dt.mapv_inplace(|l| log_add(0.0, -l));
            ws.set_feed_ln(Some(&self.feed_ln));
            ws.set_hold_ln(Some(&self.ln_dt));
            ws.set_pass(pass);
            self.u_prev.assign(u);
            // a front crossing the cascade at a steady pace (the same change,
            // moved by a whole number of stages, in the last two steps of this
            // length): the step starts from that change moved on once more,
            // the local equations closed again. A front switches a stage's
            // unknowns within a step or two, so an extrapolation in time does
            // not predict it (round 13), a move in space does: seed 932 of the
            // mass-action robustness sample crosses its extraction two stages
            // a step, in 4-6 inner iterations a step instead of 11-16
            let mut predicted = false;
            if opts.follow_fronts && self.pause == 0 && self.dt_last == (self.dt, self.dt) {
                let (s, miss) = front_shift(&self.d_last, &self.d_prev, FRONT_SHIFT_MAX);
                if s != 0 && miss < FRONT_MISS {
                    add_moved_change(model, u, &self.d_last, |j| j - s);
                    predicted = true;
                }
            }
            // a start-up drifting at a steady pace (the last two accepted
            // steps, one after the other, changed the state alike: their
            // changes, scaled as the steps, within [`TIME_MISS`] of each
            // other in every unknown): the step starts from the last change
            // carried on (scaled down for a shorter step), the local
            // equations closed again. The hard steps of the mass-action
            // robustness seeds (9548: 9-11 inner iterations a step, the
            // first 3-4 damped from a Newton correction of tens to
            // hundreds of e-folds) start from the last state; carried on,
            // seed 9530 takes 1,854 iterations instead of 2,313, 7258
            // 4,102 instead of 4,696 (docs/benchmarks.md, round 27)
            let mut extrapolated = false;
            if opts.follow_fronts && !predicted && self.pause == 0 && model.log_unknowns() {
                let (a, b) = self.dt_last;
                if a.is_finite() && b.is_finite() {
                    let r_prev = (a / b).min(1.0);
                    let miss = ndarray::Zip::from(&self.d_last)
                        .and(&self.d_prev)
                        .fold(0.0f64, |m, &x, &y| m.max((x - r_prev * y).abs()));
                    if miss < TIME_MISS {
                        let r = (self.dt / a).min(1.0);
                        u.scaled_add(r, &self.d_last);
                        newton::project_stages(model, u);
                        extrapolated = true;
                    }
                }
            }
            // a front crossing while the stages around it drift in place
            // ([`mixed_shift`]), where neither the whole-profile shift nor the
            // drift carried on everywhere predicts the step: each stage starts
            // from the change that matched its last one, the front's moved on
            // once more or its own carried on. Seed 9548 of the mass-action
            // robustness generator: 725 iterations instead of 2,935
            // (docs/benchmarks.md, round 28)
            let mut mixed = false;
            if opts.follow_fronts
                && !predicted
                && !extrapolated
                && self.pause == 0
                && self.dt_last == (self.dt, self.dt)
            {
                let (s, miss, moved) = mixed_shift(&self.d_last, &self.d_prev, MIX_SHIFT_MAX);
                if s != 0
                    && miss < FRONT_MISS
                    && miss < MIX_GAIN * carried_miss(&self.d_last, &self.d_prev)
                {
                    add_moved_change(model, u, &self.d_last, |j| {
                        if moved[j as usize] {
                            j - s
                        } else {
                            j
                        }
                    });
                    predicted = true;
                    mixed = true;
                }
            }
            // a front crossing at a fraction of a stage a step under a ceiling
            // on the step's length, where none of the above predicts the step
            // ([`fractional_shift`]): the step starts from the last change
            // moved on by the fraction of a stage it moved in the last step
            // (scaled to this step's length), the local equations closed
            // again, but only where that start's residual is below the
            // unpredicted start's. The fit over the whole change misses
            // nearly as much as the change carried on in place: unguarded,
            // seed 8626 of the mass-action robustness generator took 3,768
            // iterations instead of 472 and 4197 5,465 instead of 2,907. Held
            // by a ceiling a step cannot grow, and its start is what is left
            // to gain: seed 9016's second front crosses 253 stages at about a
            // third of a stage a step (fits 0.06-0.33) under one, 8,276 ->
            // 6,547 iterations (tried after steps of [`FRACTION_AFTER`] inner
            // iterations or more). Tried without a ceiling too, the steps of
            // other start-ups went other ways (4258 1,231 -> 1,577, 4833 1,107
            // -> 1,814; docs/benchmarks.md, round 30)
            let mut fractional = false;
            let (a, b) = self.dt_last;
            if opts.follow_fronts
                && self.ceiling.is_finite()
                && self.last_inner >= FRACTION_AFTER
                && !predicted
                && !extrapolated
                && self.pause == 0
                && model.log_unknowns()
                && a.is_finite()
                && b.is_finite()
            {
                let r_prev = (a / b).min(1.0);
                let (s, f, miss) = fractional_shift(&self.d_last, &self.d_prev, r_prev);
                if f > 0.0 && miss < FRONT_MISS && miss < carried_miss(&self.d_last, &self.d_prev) {
                    self.trial.assign(u);
                    let r = (self.dt / a).min(1.0);
                    let moved = (f * self.dt / a).min(1.0);
                    add_fraction_moved(model, u, &self.d_last, (s, moved, r));
                    let (plain, _) = ws.evaluate(model, links, &self.feed_t, &self.trial);
                    let (start, _) = ws.evaluate(model, links, &self.feed_t, u);
                    if start.is_finite() && start < plain {
                        fractional = true;
                    } else {
                        u.assign(&self.trial);
                    }
                }
            }
            let rep = newton::solve(
                model,
                links,
                &self.feed_t,
                u,
                ws,
                &NewtonOptions {
                    tolerance: if self.idle {
                        opts.tolerance
                    } else {
                        opts.tolerance.max(STEP_TOLERANCE)
                    },
                    max_iterations: left.min(16),
                    give_up_growth: GIVE_UP_GROWTH,
                    finish_iterations: left.saturating_sub(16).min(FINISH_ITERATIONS),
                    max_log_fall: MAX_LOG_FALL,
                    ..NewtonOptions::default()
                },
            );
            ws.set_hold_ln(None);
            ws.set_feed_ln(None);
            self.used += rep.iterations;
            if rep.status == Status::Converged {
                self.undo = None;
                self.move_tries = 0;
                self.moved = false;
                let quartered = std::mem::take(&mut self.quartered);
                // a step accepted with no inner iteration (its residual under
                // the step's tolerance at the state it started from: the step
                // is so short that its change is below the tolerance) moved
                // nothing; the failure before it stands, so that the next
                // failure like it counts as unmoved
                if rep.iterations == 0 && !predicted && !extrapolated && !fractional {
                    self.idle = true;
                } else {
                    self.failed = None;
                    self.idle = false;
                }
                self.accepted += 1;
                self.last_inner = rep.iterations;
                self.time += self.dt;
                self.pause = self.pause.saturating_sub(1);
                if opts.follow_fronts {
                    std::mem::swap(&mut self.d_last, &mut self.d_prev);
                    ndarray::Zip::from(&mut self.d_last)
                        .and(&*u)
                        .and(&self.u_prev)
                        .for_each(|d, &a, &b| *d = a - b);
                    bulk_change(model, &self.d_last, u, &mut self.d_bulk);
                    self.dt_last = (self.dt, self.dt_last.0);
                    if !predicted {
                        self.fronts.clear();
                        self.undone = false;
                    } else {
                        self.fronts.push(largest_change(&self.d_bulk));
                        let before = (!self.undone && self.fronts.len().is_multiple_of(LEAP_AFTER))
                            .then(|| (u.clone(), self.dt, self.dt_last, self.fronts.clone()));
                        if before.is_some()
                            && leap_front(model, feed, u, &self.d_bulk, &self.fronts, false)
                        {
                            self.flat_tried = false;
                            self.undo = before;
                            // its first step, where it fails, is tried
                            // shorter from the leapt state as after a move
                            // ([`MOVE_TRIES`]) before the leap is made flat
                            self.move_tries = MOVE_TRIES;
                            self.move_failed = f64::INFINITY;
                            // the predictor starts again from the leapt state
                            self.dt_last = (f64::NAN, f64::NAN);
                            self.fronts.clear();
                            self.crawl.clear();
                            continue;
                        }
                    }
                }
                // a front crawling across the cascade at under a stage a
                // step, too slowly for a leap ([`crawling`]): moved on whole
                // to near the inflow or end ahead of it ([`move_front`])
                if opts.follow_fronts {
                    if self.crawl.len() == self.crawl_window {
                        self.crawl.pop_front();
                    }
                    self.crawl.push_back(largest_change(&self.d_bulk));
                    let crawl = (self.crawl.len() == self.crawl_window && self.time >= MOVE_AFTER)
                        .then(|| crawling(&self.crawl))
                        .flatten()
                        .and_then(|(dir, f)| plan_move(feed, &self.d_bulk, f, dir));
                    if let Some(plan) = crawl {
                        self.undo = Some((u.clone(), self.dt, self.dt_last, self.fronts.clone()));
                        move_front(model, u, plan);
                        self.flat_tried = true;
                        self.move_tries = MOVE_TRIES;
                        self.moved = true;
                        self.move_failed = f64::INFINITY;
                        self.dt_last = (f64::NAN, f64::NAN);
                        self.fronts.clear();
                        self.crawl.clear();
                        continue;
                    }
                }
                // a step that followed a front keeps its length (the pattern
                // moves a whole number of stages a step; grown steps of seed
                // 932 failed) unless it was easy (fewer than 2 inner
                // iterations: nothing left to follow), or easy (3 at most)
                // under the ceiling: the held length is the ceiling's, not
                // the front's pace (1456 followed its front at the ceiling in
                // 3 inner iterations a step for 200 iterations); so does a
                // step started from a front moved by a fraction of a stage
                // ([`fractional_shift`]; tried without the ceiling's gate and
                // grown as an unpredicted step, the ten slowest seeds of the
                // mass-action robustness generator took 35,552 iterations
                // instead of 35,297 held, 6851 7,031 instead of 6,770)
                let taken = self.dt;
                let held = self.ceiling.is_finite();
                if !(predicted || fractional) || rep.iterations < 2 || (held && rep.iterations <= 3)
                {
                    let grow: f64 = match rep.iterations {
                        0..=3 => 4.0,
                        4..=6 => 2.0,
                        7..=10 => 1.3,
                        _ => 1.0,
                    };
                    // an extrapolated step ([`TIME_MISS`]) was made easy by
                    // its start, not by its length: it grows at most as a
                    // hard step does (round 13: grown as easy steps, they
                    // failed); so does a mixed prediction ([`mixed_shift`]),
                    // whose drifting stages are extrapolated alike (grown 4
                    // times after 3 inner iterations under a ceiling, seed
                    // 4258 of the mass-action robustness sample lost its
                    // leap and took 2,338 iterations instead of 1,288)
                    self.dt *= if extrapolated || mixed {
                        grow.min(EXTRAPOLATED_GROWTH)
                    } else {
                        grow
                    };
                }
                // a step grown back onto the length that last failed takes
                // the geometric mean of its length and the failed one
                // ([`GROWN_BACK`]); not after an extrapolated step (its
                // growth is held already, [`EXTRAPOLATED_GROWTH`]), nor
                // after a step that moved nothing (the failure it follows
                // must be met again at its length to count as unmoved: seed
                // 1948's start-up ran to 30,000 iterations). An easy step
                // (one the step control quadruples) forgets the failed
                // length once its own growth is cut, as it lifts a ceiling
                let failed = self.failed_len;
                if taken < failed
                    && self.dt >= GROWN_BACK * failed
                    && rep.iterations > 0
                    && !extrapolated
                {
                    self.dt = (taken * failed).sqrt();
                }
                // (not a failed step's quarter: `quartered`)
                if taken >= FAILED_LEN_CLEARED * failed || (rep.iterations <= 3 && !quartered) {
                    self.failed_len = f64::INFINITY;
                }
                // a probe that converged raises the ceiling to its length
                // ([`PROBE_AFTER`]); an easy step lifts it
                if self.probing {
                    self.probing = false;
                    self.ceiling = taken;
                }
                if rep.iterations <= 3 {
                    self.ceiling = f64::INFINITY;
                    self.held = 0;
                    self.probe_after = PROBE_AFTER;
                }
                let want = self.dt;
                self.dt = self.dt.min(self.ceiling);
                if want > self.dt {
                    self.held += 1;
                    if self.held >= self.probe_after {
                        self.dt = want;
                        self.probing = true;
                        self.held = 0;
                    }
                }
            } else {
                if self.move_tries > 0
                    && self.undo.is_some()
                    && rep.residual <= MOVE_WORSE * self.move_failed
                {
                    // the first step after a move failed: shorter, from the
                    // moved state, before the move is undone (at once where
                    // the shorter step failed further off)
                    self.move_tries -= 1;
                    self.move_failed = rep.residual;
                    u.assign(&self.u_prev);
                    self.dt *= 0.25;
                    self.probing = false;
                    continue;
                }
                if let Some((u0, dt0, last0, fronts0)) = self.undo.take() {
                    // the first step after a leap failed: the leap is made
                    // again flat from where it was made (`d_bulk` is still
                    // the change it read), once; a flat leap that fails
                    // too is undone, and the predicted steps go on from
                    // where it was made
                    u.assign(&u0);
                    if !self.flat_tried {
                        self.flat_tried = true;
                        if leap_front(model, feed, u, &self.d_bulk, &fronts0, true) {
                            self.undo = Some((u0, dt0, last0, fronts0));
                            self.dt = dt0;
                            self.probing = false;
                            continue;
                        }
                        u.assign(&u0);
                    }
                    self.dt = dt0;
                    self.dt_last = last0;
                    self.fronts = fronts0;
                    self.undone = true;
                    self.probing = false;
                    // a move undone: the next waits for a crawl twice as long
                    if std::mem::take(&mut self.moved) {
                        self.crawl.clear();
                        self.crawl_window *= 2;
                    }
                    continue;
                }
                self.dt_last = (f64::NAN, f64::NAN);
                u.assign(&self.u_prev);
                if self.probing {
                    // a failed probe: back under the ceiling, from the state
                    // before it, and the next probe later
                    self.probing = false;
                    self.dt = self.ceiling;
                    self.probe_after *= 2;
                    continue;
                }
                if predicted || fractional {
                    // the prediction failed: the same length again, from the
                    // state before it and unpredicted
                    self.pause = RETRY_PAUSE;
                    continue;
                }
                if extrapolated {
                    // likewise the extrapolation (not again before two
                    // more steps are accepted one after the other)
                    continue;
                }
                if self.accepted > 0 {
                    // a failure before any accepted step sets no failed
                    // length: the steps after it would close in on a length
                    // the start-up never reached (seed 4638's first step of
                    // 0.5 failed, the next ones converged in 3-4 inner
                    // iterations at 0.25, 0.354, 0.420, 0.459: 167 -> 629)
                    self.failed_len = self.dt;
                    let again = (self.dt - self.cycle.0).abs() <= CYCLE_SAME * self.dt;
                    // a near miss longer than the length of near misses counted
                    // is the same cycle grown past it ([`NEAR_CYCLE_FAILS`]):
                    // counted on, at the shorter length
                    let near = rep.residual < CYCLE_RESIDUAL;
                    let longer = self.dt > self.cycle.0 && near && self.cycle_near;
                    self.cycle_near = near;
                    self.cycle = if again {
                        (self.dt, self.cycle.1 + 1)
                    } else if longer {
                        (self.cycle.0, self.cycle.1 + 1)
                    } else {
                        (self.dt, 1)
                    };
                    let needed = if near { NEAR_CYCLE_FAILS } else { CYCLE_FAILS };
                    if self.cycle.1 >= needed {
                        self.ceiling = CYCLE_CEILING * self.dt;
                        self.held = 0;
                        self.probe_after = PROBE_AFTER;
                    }
                }
                self.dt *= 0.25;
                self.quartered = true;
                // a start-up with no fallback of its own that has not taken
                // one step gives up sooner: the pinch start of seeds 148, 166
                // and 299 of the mass-action robustness sample spent 190-240
                // iterations on 15 failed first steps, and the pinch start
                // that converges after failed first steps (seed 160) took its
                // first at 1.6e-2 dt0
                let floor = if self.accepted == 0 && !opts.retry_plain {
                    FIRST_STEP_FLOOR
                } else {
                    1e-9
                };
                // a failure that a quarter of the step left where it was (the
                // same worst stage and row, the residual within 1 %) is not
                // the step's length: with the traces' longer steps, the steps
                // of the traces themselves (seed 1456 of the mass-action
                // robustness sample: residual 0.985 at the scrub acid's inlet
                // over 15 quarterings, 240 iterations; the first steps of
                // 441, 843, 932 and 1227 fail alike, 13-26 iterations each):
                // on with one step for every balance at the second such failure
                let same = self.failed.is_some_and(|(r, w)| {
                    w == rep.worst && (rep.residual - r).abs() <= 0.01 * r.abs()
                });
                let unmoved = opts.plain_when_unmoved && same;
                // the same failure after a step that moved nothing (accepted
                // with no inner iteration) is the failed step itself again,
                // from the same state: grown back to the failed length it
                // fails alike, whatever the kernel (the mass-action kernel's
                // unmoved failures end there already). Log-linear start-ups
                // went round such a cycle until their budget ran out: CLI
                // check 4586 (13 metals, 244 stages) 1,000 times, 4,000 of
                // its 9,281 iterations (22 -> 14.5 s to its exit 2); 3042
                // converges in 5,602 iterations instead of 14,617, 3445 in
                // 2,452 instead of 4,994 (docs/benchmarks.md, round 39)
                let idle_cycle = self.idle && same;
                self.failed = Some((rep.residual, rep.worst));
                if (self.dt < 1e-9 * opts.dt0 || unmoved || idle_cycle)
                    && self.trace_rel > 0.0
                    && opts.retry_plain
                {
                    // the longer steps of the traces made the steps too hard
                    // (seeds 38 and 213 at 30000 iterations): on with one
                    // step for every balance, from the state reached
                    self.trace_rel = 0.0;
                    self.dt = opts.dt0;
                    self.quartered = false;
                    self.failed = None;
                } else if self.dt < floor * opts.dt0
                    || (unmoved && (!opts.retry_plain || self.idle))
                    || idle_cycle
                {
                    // a start-up without a fallback of its own (the pinch
                    // start of a saponified mass-action cascade) ends at the
                    // second unmoved failure too: seed 629 of the robustness
                    // sample spent 108 iterations more on quarterings that
                    // left its residual where it was (3492 -> 3384), 1338 108
                    // (2104 -> 1996), 345 and 1334 28 each
                    ws.set_pass(pass);
                    return Some(NewtonReport {
                        status: Status::Diverged,
                        ..rep
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chemistry::ConstantDKernel;

    /// One implicit-Euler step of a single stage (A = 1, O D = 1, feed 1)
    /// from x0 = 0.1 with dt = 0.5: `(1 + 1/dt) S x1 = f + S x0 / dt`,
    /// so `x1 = (1 + 0.4) / 6`.
    #[test]
    fn one_step_matches_implicit_euler() {
        let ker = ConstantDKernel::new(1, vec![1.0], vec![2.0], vec![0.5]);
        let u0 = Array2::from_elem((1, 1), 0.1);
        let mut h = Array2::zeros((1, 1));
        ln_holdup(&ker, &u0, &mut h);
        assert!((h[[0, 0]].exp() - 0.2).abs() < 1e-15);
        let dt: f64 = 0.5;
        let f = 1.0 + 1.0 / dt;
        let (mut feed, mut feed_ln) = (Array2::zeros((1, 1)), Array2::zeros((1, 1)));
        step_inflows(
            &Array2::from_elem((1, 1), 1.0),
            &h,
            &Array2::from_elem((1, 1), dt.ln()),
            &mut feed,
            &mut feed_ln,
        );
        let mut ws = Workspace::new(1, 1, 1);
        ws.set_feed_ln(Some(&feed_ln));
        ws.set_hold_ln(Some(&Array2::from_elem((1, 1), f.ln())));
        let mut u = u0.clone();
        let rep = newton::solve(
            &ker,
            &[false],
            &feed,
            &mut u,
            &mut ws,
            &NewtonOptions::default(),
        );
        assert_eq!(rep.status, Status::Converged);
        assert!((u[[0, 0]] - 1.4 / 6.0).abs() < 1e-13, "{}", u[[0, 0]]);
    }

    /// A holdup far below the range of a double enters a step at its own
    /// size: `ln(f + H / dt)` with `ln H = -2000`, `dt = 0.5` is
    /// `-2000 + ln 2` for no feed and `ln 3` for a feed of 3.
    #[test]
    fn holdup_below_the_double_range_keeps_its_size() {
        let h = Array2::from_elem((2, 1), -2000.0);
        let feed = Array2::from_shape_vec((2, 1), vec![0.0, 3.0]).unwrap();
        let (mut v, mut l) = (Array2::zeros((2, 1)), Array2::zeros((2, 1)));
        let ldt = Array2::from_elem((2, 1), 0.5f64.ln());
        step_inflows(&feed, &h, &ldt, &mut v, &mut l);
        assert_eq!(v[[0, 0]], 1.0);
        assert!((l[[0, 0]] - (-2000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(v[[1, 0]], 1.0);
        assert!((l[[1, 0]] - 3f64.ln()).abs() < 1e-15);
        // nothing held and no feed: no inflow
        let none = Array2::from_elem((2, 1), f64::NEG_INFINITY);
        step_inflows(&Array2::zeros((2, 1)), &none, &ldt, &mut v, &mut l);
        assert_eq!((v[[0, 0]], l[[0, 0]]), (0.0, 0.0));
    }

    /// The local step of a balance: `dt` for a holdup above `trace_rel`
    /// times the largest of its quantity, `dt * trace_rel * H_max / H`
    /// below (here `2 * 1e-6 * e^20`), `dt` where nothing is held.
    #[test]
    fn a_trace_gets_a_longer_step() {
        let h = Array2::from_shape_vec((3, 1), vec![0.0, -20.0, f64::NEG_INFINITY]).unwrap();
        let mut l = Array2::zeros((3, 1));
        hold_steps(&h, 2.0, 1e-6, &mut l);
        let ln2 = 2f64.ln();
        assert!((l[[0, 0]] - ln2).abs() < 1e-15);
        assert!((l[[1, 0]] - (ln2 + 1e-6f64.ln() + 20.0)).abs() < 1e-13);
        assert!((l[[2, 0]] - ln2).abs() < 1e-15);
        hold_steps(&h, 2.0, 0.0, &mut l);
        assert!((l[[1, 0]] - ln2).abs() < 1e-15);
    }

    /// A pattern of changes moved two stages down the cascade is matched
    /// with the shift 2 and no miss; one that stays put, with 0; one whose
    /// shape changes, with a miss.
    #[test]
    fn front_shift_finds_the_move() {
        let prev = Array2::from_shape_fn((8, 2), |(j, v)| match j {
            2 => 1.0 + v as f64,
            3 => -0.5,
            _ => 0.0,
        });
        let mut last = Array2::zeros((8, 2));
        last.slice_mut(ndarray::s![4..6, ..])
            .assign(&prev.slice(ndarray::s![2..4, ..]));
        assert_eq!(front_shift(&last, &prev, 3), (2, 0.0));
        assert_eq!(front_shift(&prev, &prev, 3), (0, 0.0));
        let mut up = Array2::zeros((8, 2));
        up.slice_mut(ndarray::s![0..2, ..])
            .assign(&prev.slice(ndarray::s![2..4, ..]));
        assert_eq!(front_shift(&up, &prev, 3).0, -2);
        last[[4, 0]] = 2.0;
        let (s, miss) = front_shift(&last, &prev, 3);
        assert_eq!(s, 2);
        assert!((miss - 1.0 / 8.5f64.sqrt()).abs() < 1e-12, "{miss}");
    }

    /// A front followed at 5 stages a step (more than the predictor's
    /// shift, within [`LEAP_MOVE_MAX`]) through a wake drifting at 1e-3 of
    /// its change (nothing settled under [`SETTLED_REL`], so
    /// [`DRIFTING_REL`]) toward an inlet at stage 50 of 60: the wake's
    /// straight line (`0.1 j`) is carried from two stages behind the
    /// first drifting stage (18) over the front up to the inlet's stage,
    /// and the stages beyond it are left as they were. A front that moved
    /// 9 stages in a step, or one less than four steps from the inlet,
    /// is not leapt; with no inlet the leap runs to the end. A flat leap
    /// copies the settled row instead.
    #[test]
    fn a_front_is_leapt_to_the_next_inlet() {
        let n = 60;
        let ker = ConstantDKernel::new(1, vec![1.0; n], vec![2.0; n], vec![0.5; n]);
        let start =
            Array2::from_shape_fn((n, 1), |(j, _)| if j < 20 { 0.1 * j as f64 } else { 5.0 });
        let d = Array2::from_shape_fn((n, 1), |(j, _)| match j {
            20 => 1.0,
            19 => 0.5,
            j if j < 19 => 1e-3,
            _ => 0.0,
        });
        let mut feed = Array2::zeros((n, 1));
        feed[[50, 0]] = 1.0;
        let fronts = [0, 5, 10, 15, 20];
        let mut u = start.clone();
        assert!(leap_front(&ker, &feed, &mut u, &d, &fronts, false));
        for j in 0..n {
            let want = if j <= 50 { 0.1 * j as f64 } else { 5.0 };
            assert!((u[[j, 0]] - want).abs() < 1e-12, "stage {j}: {}", u[[j, 0]]);
        }
        // a run of predicted steps that began with the largest change
        // hopping: the last eight steps are read
        let mut u = start.clone();
        let hopped = [45, 3, 50, 2, 48, 13, 14, 15, 16, 17, 18, 19, 20];
        assert!(leap_front(&ker, &feed, &mut u, &d, &hopped, false));
        assert!((u[[50, 0]] - 5.0).abs() < 1e-12, "{}", u[[50, 0]]);
        let mut u = start.clone();
        assert!(!leap_front(
            &ker,
            &feed,
            &mut u,
            &d,
            &[2, 11, 15, 20],
            false
        ));
        assert!(!leap_front(&ker, &feed, &mut u, &d, &[32, 36, 40], false));
        assert_eq!(u, start);
        let mut u = start.clone();
        assert!(leap_front(
            &ker,
            &Array2::zeros((n, 1)),
            &mut u,
            &d,
            &fronts,
            false
        ));
        assert!((u[[n - 1, 0]] - 0.1 * (n - 1) as f64).abs() < 1e-12);
        // flat: the settled row (stage 16) as it is over the front up to
        // the inlet's stage, the stages behind and beyond left as they were
        let mut u = start.clone();
        assert!(leap_front(&ker, &feed, &mut u, &d, &fronts, true));
        for j in 0..n {
            let want = match j {
                0..=16 => 0.1 * j as f64,
                17..=50 => 1.6,
                _ => 5.0,
            };
            assert!((u[[j, 0]] - want).abs() < 1e-12, "stage {j}: {}", u[[j, 0]]);
        }
    }

    /// A front crawling one stage every five steps, its largest change
    /// hopping to stage 59 every fifth step, is read and moved whole to 14
    /// stages short of the inlet ahead; fronts that stand or run are not.
    #[test]
    fn a_crawling_front_is_moved_on_whole() {
        use std::collections::VecDeque;
        let lc: VecDeque<usize> = (0..40)
            .map(|i| if i % 5 == 4 { 59 } else { 20 + i / 5 })
            .collect();
        assert_eq!(crawling(&lc), Some((1, 27)));
        let back: VecDeque<usize> = lc.iter().map(|&j| 59 - j).collect();
        assert_eq!(crawling(&back), Some((-1, 32)));
        let still: VecDeque<usize> = std::iter::repeat_n(20, 40).collect();
        assert_eq!(crawling(&still), None);
        let running: VecDeque<usize> = (0..40).collect();
        assert_eq!(crawling(&running), None);
        // on the track at fewer than a third of the steps
        let lost: VecDeque<usize> = (0..40)
            .map(|i| if i % 4 == 0 { 20 + i / 5 } else { 59 })
            .collect();
        assert_eq!(crawling(&lost), None);

        let n = 60;
        let ker = ConstantDKernel::new(1, vec![1.0; n], vec![2.0; n], vec![0.5; n]);
        let start = Array2::from_shape_fn((n, 1), |(j, _)| 5.0 - (j as f64 - 25.0).max(0.0));
        let d = Array2::from_shape_fn((n, 1), |(j, _)| match j {
            27 => 1.0,
            26 | 28 => 0.5,
            j if j < 26 => 1e-6,
            _ => 0.1,
        });
        let mut feed = Array2::zeros((n, 1));
        feed[[50, 0]] = 1.0;
        // settled behind from stage 25 (two more: 23); 50 - 27 - 14 = 9
        let plan = plan_move(&feed, &d, 27, 1);
        assert_eq!(plan, Some((50, 23, 9, 1)));
        let mut u = start.clone();
        move_front(&ker, &mut u, plan.unwrap());
        for j in 0..n {
            let want = match j {
                32..=50 => start[[j - 9, 0]],
                23..=31 => 5.0,
                _ => start[[j, 0]],
            };
            assert!((u[[j, 0]] - want).abs() < 1e-12, "stage {j}: {}", u[[j, 0]]);
        }
        // too near the inlet to be worth a move, or nothing settled behind
        assert_eq!(plan_move(&feed, &d, 29, 1), None);
        let drifting = Array2::from_elem((n, 1), 1.0);
        assert_eq!(plan_move(&feed, &drifting, 27, 1), None);
    }

    /// Three stages with extraction factor 1 and the feed in the middle:
    /// the steady state is x = (0.5, 1, 0.5) (hand-solved balances); the
    /// start-up from nearly empty stages reaches it.
    #[test]
    fn start_up_reaches_the_steady_state() {
        let ker = ConstantDKernel::new(1, vec![1.0; 3], vec![2.0; 3], vec![0.5; 3]);
        let links = [true, true, false];
        let mut feed = Array2::zeros((3, 1));
        feed[[1, 0]] = 1.0;
        let mut u = Array2::from_elem((3, 1), 1e-3);
        let mut ws = Workspace::new(3, 1, 1);
        let (rep, used, _) = follow(
            &ker,
            &links,
            &feed,
            &mut u,
            &mut ws,
            None,
            &TransientOptions {
                tolerance: 1e-13,
                max_iterations: 200,
                dt0: 0.5,
                retry_plain: true,
                plain_when_unmoved: true,
                follow_fronts: false,
            },
        );
        assert_eq!(rep.status, Status::Converged);
        assert!(used > 1 && used <= 200, "{used}");
        for (x, want) in u.iter().zip([0.5, 1.0, 0.5]) {
            assert!((x - want).abs() < 1e-12, "{x} vs {want}");
        }
    }
}
