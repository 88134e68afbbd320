//! Design, optimisation and parameter sweeps over cascade models.
//!
//! - [`shortcut`]: Xu's design equations for a binary split (optimum S, W,
//!   stage counts, minimum reflux).
//! - [`verified`]: [`shortcut_design`], the shortcut verified by rigorous
//!   simulation, stage counts adjusted to the fewest that meet the targets.
//! - [`optimize`]: cheapest stage counts and flows under purity and
//!   recovery constraints (`[optimize]` table of a model file).
//! - [`sweep`]: grid or Latin-hypercube studies solved in parallel, written as
//!   CSV, shardable (`[sweep]` table).
//! - [`report`]: the design's and the optimum's JSON and text.
//! - Pictures of sweeps and profiles are in [`crate::report::plot`].
//!
//! Stage searches rely on monotonicity: at fixed flows, adding a stage to any
//! section never lowers a product's purity. The minimal stage counts that
//! meet a set of [`Target`]s therefore form a staircase, walked with one
//! solve per step, each warm-started from its neighbour.

// `InputError` is the crate's error type (128 bytes); boxing it is a crate-wide
// decision, left to the lead.
#![allow(clippy::result_large_err)]

pub mod optimize;
pub mod report;
pub mod shortcut;
pub mod sweep;
pub mod verified;

pub use verified::{shortcut_design, Design, DesignError, DesignInput};

use std::collections::HashMap;

use serde::Serialize;

use crate::cascade::{Section, StreamKind};
use crate::model::{Cascade, CascadeSpec};
use crate::solver::{Solution, Solver, Status};

/// What a [`Target`] measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Share of the component(s) in the stream.
    Purity,
    /// Share of the component(s)' feed leaving in the stream.
    Recovery,
}

impl Measure {
    /// Lower-case name, as in model files and the JSON contract.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Purity => "purity",
            Measure::Recovery => "recovery",
        }
    }
}

/// A product specification: the purity or recovery of a component (or a
/// group of components, summed) in a named outlet stream is at least `min`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The outlet stream.
    pub stream: StreamKind,
    /// Indices of the component(s) (a group is summed).
    pub components: Vec<usize>,
    /// Component or group name for reports (e.g. `Pr` or `La+Ce+Pr`).
    pub label: String,
    /// Purity or recovery.
    pub measure: Measure,
    /// Lower bound.
    pub min: f64,
}

impl Target {
    /// The measured value in a solution (`NaN` if the stream does not exist).
    pub fn value(&self, cascade: &Cascade, sol: &Solution) -> f64 {
        let Some(s) = sol.stream(cascade, self.stream) else {
            return f64::NAN;
        };
        match self.measure {
            Measure::Purity => self.components.iter().map(|&k| s.purity[k]).sum(),
            Measure::Recovery => {
                let out: f64 = self.components.iter().map(|&k| s.amount[k]).sum();
                let feed: f64 = self
                    .components
                    .iter()
                    .map(|&k| cascade.feed_amount()[k])
                    .sum();
                if feed > 0.0 {
                    out / feed
                } else {
                    0.0
                }
            }
        }
    }

    /// `stream.measure.label`, e.g. `raffinate.purity.Pr`.
    pub fn describe(&self) -> String {
        format!(
            "{}.{}.{}",
            self.stream.name(),
            self.measure.name(),
            self.label
        )
    }
}

/// One integer decision variable of a stage search: a section's stage count
/// between bounds, with a price per stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageVar {
    /// The section.
    pub section: Section,
    /// Fewest stages allowed.
    pub lo: usize,
    /// Most stages allowed.
    pub hi: usize,
    /// Price per stage (objective weight).
    pub price: f64,
}

/// One evaluated stage configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Stage counts `[extraction, scrub, strip]`.
    pub stages: [usize; 3],
    /// Value of each target, in target order.
    pub values: Vec<f64>,
    /// Converged and every target met.
    pub feasible: bool,
    /// Solver status (`None` if the configuration could not be built).
    pub status: Option<Status>,
}

impl Probe {
    /// Largest shortfall below a target (0 when all are met; infinite when
    /// the solve failed).
    pub fn violation(&self, targets: &[Target]) -> f64 {
        if self.status != Some(Status::Converged) {
            return f64::INFINITY;
        }
        targets
            .iter()
            .zip(&self.values)
            .map(|(t, v)| {
                if v.is_nan() {
                    1.0
                } else {
                    (t.min - v).max(0.0)
                }
            })
            .fold(0.0, f64::max)
    }

    /// Smallest margin above a target (negative when one is missed).
    pub fn slack(&self, targets: &[Target]) -> f64 {
        targets
            .iter()
            .zip(&self.values)
            .map(|(t, v)| v - t.min)
            .fold(f64::INFINITY, f64::min)
    }
}

/// Result of a stage search.
#[derive(Debug, Clone)]
pub struct StageSearch {
    /// Cheapest feasible configuration, if any.
    pub best: Option<Probe>,
    /// Its solution.
    pub best_solution: Option<Solution>,
    /// The configuration with the most stages allowed (the best any stage
    /// counts can do at these flows): the nearest achievable values when
    /// nothing is feasible.
    pub most: Probe,
    /// Number of solves.
    pub solves: usize,
}

/// Evaluates stage configurations of one base model with warm starts and a
/// memo.
pub(crate) struct Prober<'a> {
    base: CascadeSpec,
    targets: &'a [Target],
    solver: Solver,
    last: Option<Solution>,
    memo: HashMap<[usize; 3], (Probe, Option<Solution>)>,
    solves: usize,
}

impl<'a> Prober<'a> {
    pub(crate) fn new(base: CascadeSpec, targets: &'a [Target], warm: Option<Solution>) -> Self {
        Prober {
            base,
            targets,
            solver: Solver::new(),
            last: warm,
            memo: HashMap::new(),
            solves: 0,
        }
    }

    pub(crate) fn probe(&mut self, st: [usize; 3]) -> (Probe, Option<Solution>) {
        if let Some(p) = self.memo.get(&st) {
            return p.clone();
        }
        let spec = self.base.clone().with_stages(st[0], st[1], st[2]);
        let out = match spec.build() {
            Err(_) => (
                Probe {
                    stages: st,
                    values: vec![f64::NAN; self.targets.len()],
                    feasible: false,
                    status: None,
                },
                None,
            ),
            Ok(cascade) => {
                let sol = match &self.last {
                    Some(prev) => self.solver.solve_from(&cascade, prev),
                    None => self.solver.solve(&cascade),
                };
                self.solves += 1;
                let values: Vec<f64> = self
                    .targets
                    .iter()
                    .map(|t| t.value(&cascade, &sol))
                    .collect();
                let feasible =
                    sol.converged() && self.targets.iter().zip(&values).all(|(t, v)| *v >= t.min);
                if sol.converged() {
                    self.last = Some(sol.clone());
                }
                (
                    Probe {
                        stages: st,
                        values,
                        feasible,
                        status: Some(sol.status),
                    },
                    Some(sol),
                )
            }
        };
        self.memo.insert(st, out.clone());
        out
    }
}

fn cost_of(vars: &[StageVar], st: &[usize; 3]) -> (f64, usize) {
    let c = vars
        .iter()
        .map(|v| v.price * st[v.section.index()] as f64)
        .sum();
    (c, st.iter().sum())
}

fn better(vars: &[StageVar], a: &[usize; 3], b: &[usize; 3]) -> bool {
    let (ca, ta) = cost_of(vars, a);
    let (cb, tb) = cost_of(vars, b);
    ca < cb - 1e-12 * cb.abs().max(1.0) || ((ca - cb).abs() <= 1e-12 * cb.abs().max(1.0) && ta < tb)
}

/// The cheapest stage counts (by `vars`' prices, ties to fewer stages) that
/// meet every target at the flows of `base`, by walking the feasibility
/// staircase (monotonicity in each section's stage count). Sections not in
/// `vars` keep `base`'s counts. At most three variables (one per section).
pub fn min_stages(
    base: &CascadeSpec,
    targets: &[Target],
    vars: &[StageVar],
    warm: Option<Solution>,
) -> StageSearch {
    let mut pr = Prober::new(base.clone(), targets, warm);
    let start = [base.extraction, base.scrub, base.strip];
    let mut top = start;
    for v in vars {
        top[v.section.index()] = v.hi;
    }
    let (most, _) = pr.probe(top);
    let mut best: Option<[usize; 3]> = None;
    if most.feasible {
        let consider = |st: [usize; 3], best: &mut Option<[usize; 3]>| {
            let take = match best {
                None => true,
                Some(b) => better(vars, &st, b),
            };
            if take {
                *best = Some(st);
            }
        };
        match vars.len() {
            0 => consider(start, &mut best),
            1 => {
                // binary search for the fewest stages (hi is feasible)
                let i = vars[0].section.index();
                let (mut lo, mut hi) = (vars[0].lo, vars[0].hi);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    let mut st = top;
                    st[i] = mid;
                    if pr.probe(st).0.feasible {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                let mut st = top;
                st[i] = hi;
                consider(st, &mut best);
            }
            _ => {
                let (outer, pair) = vars.split_at(vars.len() - 2);
                let outer_ranges: Vec<(usize, usize, usize)> = outer
                    .iter()
                    .map(|v| (v.section.index(), v.lo, v.hi))
                    .collect();
                // enumerate outer assignments (at most one outer variable)
                let outer_vals: Vec<Option<(usize, usize)>> = match outer_ranges.first() {
                    None => vec![None],
                    Some(&(i, lo, hi)) => (lo..=hi).map(|x| Some((i, x))).collect(),
                };
                let (ia, ib) = (pair[0].section.index(), pair[1].section.index());
                let (a, b) = (&pair[0], &pair[1]);
                for ov in outer_vals {
                    let mut st = top;
                    if let Some((i, x)) = ov {
                        st[i] = x;
                        if !pr.probe(st).0.feasible {
                            continue;
                        }
                    }
                    let fixed = st;
                    let mut feasible = |n: usize, m: usize| {
                        let mut s = fixed;
                        s[ia] = n;
                        s[ib] = m;
                        pr.probe(s).0.feasible
                    };
                    // the staircase's corner, by bisection (feasibility is
                    // monotone in each count): the fewest `ia` stages at
                    // `b.hi`; its floor, the fewest `ib` stages at `a.hi`,
                    // below which no `ia` count takes `ib`
                    let n0 = fewest_above(a.lo, a.hi, |n| feasible(n, b.hi));
                    let mut floor = b.lo;
                    let mut m = b.hi;
                    for n in n0..=a.hi {
                        // the floor is bisected (at `a.hi`, the costliest
                        // cascades) only for a staircase that has not ended
                        // within [`FLOOR_AFTER`] columns
                        if n == n0 + FLOOR_AFTER {
                            floor = fewest(b.lo, m, |x| feasible(a.hi, x));
                        }
                        st[ia] = n;
                        st[ib] = floor;
                        // no count of `ib` at or above its floor is cheaper
                        // from here on (positive prices)
                        if a.price > 0.0
                            && b.price > 0.0
                            && best.is_some_and(|bst| !better(vars, &st, &bst))
                        {
                            break;
                        }
                        // (n - 1, m) met the targets, so (n, m) does: the
                        // fewest `ib` stages at `n`, at most `m`
                        m = if n == n0 {
                            // the first column from the bottom, its smallest
                            // cascades first; the next ones step down from
                            // the last, mostly by little
                            fewest_above(floor, m, |x| feasible(n, x))
                        } else {
                            fewest_below(floor, m, |x| feasible(n, x))
                        };
                        st[ib] = m;
                        consider(st, &mut best);
                        if m == b.lo {
                            break; // more stages in `ia` only cost more
                        }
                    }
                }
            }
        }
    }
    let (best, best_solution) = match best {
        Some(st) => {
            let (p, s) = pr.probe(st);
            (Some(p), s)
        }
        None => (None, None),
    };
    StageSearch {
        best,
        best_solution,
        most,
        solves: pr.solves,
    }
}

/// Columns of the two-variable staircase ([`min_stages`]) walked before
/// its floor is bisected: a design whose cheapest point comes early (a
/// 6-component split with 928 stages by Xu's shortcut and 13 verified)
/// ends by the bound at its first stage count without probing the largest
/// cascades, and one whose staircase runs long (binary beta 1.01, 1,843 +
/// 886 stages) is cut at the floor.
const FLOOR_AFTER: usize = 32;

/// The least `x` in `lo..=hi` with `ok(x)`, by bisection, for `ok`
/// monotone (false below some count, true from there) and true at `hi`.
fn fewest(mut lo: usize, mut hi: usize, mut ok: impl FnMut(usize) -> bool) -> usize {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    hi
}

/// [`fewest`] from the bottom: `ok` tried at `lo`, then twice as far up
/// each time it fails (`lo + 1`, `lo + 3`, ...), and bisected between the
/// last count that failed and the first that held (`ok` true at `hi`).
/// The counts probed first are the smallest, the cheapest cascades to
/// solve: a corner near `lo` costs a few of them and none of the largest.
fn fewest_above(lo: usize, hi: usize, mut ok: impl FnMut(usize) -> bool) -> usize {
    let mut failed = None;
    let mut step = 1;
    let mut x = lo;
    loop {
        if x >= hi {
            return fewest(failed.map_or(lo, |f: usize| f + 1), hi, ok);
        }
        if ok(x) {
            return fewest(failed.map_or(lo, |f: usize| f + 1), x, ok);
        }
        failed = Some(x);
        x = x.saturating_add(step);
        step *= 2;
    }
}

/// [`fewest`] from the top: `ok` true at `hi`, tried at `hi - 1`, then
/// twice as far down each time it holds (`hi - 2`, `hi - 4`, ...), and
/// bisected between the last count that held and the first that did not.
/// A staircase whose step is often none costs one probe a column so.
fn fewest_below(lo: usize, hi: usize, mut ok: impl FnMut(usize) -> bool) -> usize {
    let mut held = hi;
    let mut step = 1;
    loop {
        if held <= lo {
            return lo.min(held);
        }
        let x = held.saturating_sub(step).max(lo);
        if ok(x) {
            held = x;
            step *= 2;
        } else {
            return fewest(x + 1, held, ok);
        }
    }
}

/// Formats a number for CSV and reports: shortest text that reads back to
/// the same `f64` (identical on every platform and thread count).
pub fn fmt_exact(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v:?}")
    }
}
