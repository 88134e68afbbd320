//! Successive substitution with exact stage equilibria for the
//! `mass-action` model: a start for Newton that keeps every iterate
//! physical and every balance of the transported quantities closed.
//!
//! The chloride (or nitrate) of the aqueous is inert and aqueous only, so
//! its profile follows from the flows alone; with it, the exchangeable
//! hydrogen balance follows from the others (every stream carries as many
//! cation equivalents as anions: `Cl` in the aqueous, the extractant's `C`
//! in the organic). What is left to transport is each metal and the
//! counter-ion. One sweep
//!
//! 1. holds each stage's distribution ratios and solves every transported
//!    quantity's linear stage balances exactly (one log-Thomas solve each,
//!    [`super::logthomas`]), which gives each stage's total outflow `T_q`;
//! 2. solves each stage's equilibrium for its totals: for a given `[H+]`
//!    the extractant balance `2 [(HA)2] + [NA] + 2 sum z y = C` is
//!    increasing in `ln [(HA)2]` (one root), and electroneutrality
//!    `[H+] + [N+] + sum z x = Cl` then fixes `ln [H+]` (an outer root
//!    with the inner one differentiated implicitly); both by Newton
//!    safeguarded with bisection, warm-started from the last sweep.
//!
//! Step 2 reads each stage's own totals and nothing else, so it runs on
//! rayon's threads; the result does not depend on how many.
//!
//! A loading front moves through the cascade by many stages per sweep (the
//! balance solve is global), at the cost of a few scalar tridiagonal solves
//! and small root-findings per sweep instead of a block factorisation.
//! Convergence is linear; Newton finishes from the substituted profile.

use std::cell::Cell;

use ndarray::Array2;
use rayon::prelude::*;

use super::logthomas::{self, exp_or_zero, log_add, LogSystem};

/// A mass-action cascade in the form the substitution needs (active
/// metals only, in the kernel's order of unknowns: `ln x_k`, `ln [H+]`,
/// `ln [N+]` when a counter-ion is present, `ln [(HA)2]`).
pub(crate) struct MassActionCascade<'a> {
    /// `ln K_k` per metal.
    pub ln_k: &'a [f64],
    /// Extractant slope.
    pub a: f64,
    /// Acidity slope.
    pub b: f64,
    /// Charge per metal.
    pub z: &'a [f64],
    /// Total extractant, mol/L of HA units.
    pub c_total: f64,
    /// `ln K_N` of the counter-ion, when present.
    pub ln_k_ion: Option<f64>,
    /// Aqueous and organic flows leaving each stage, L/h.
    pub aq: &'a [f64],
    /// Organic flows.
    pub org: &'a [f64],
    /// Aqueous links (`links[j]`: stage `j` receives the aqueous of `j + 1`).
    pub links: &'a [bool],
    /// Side-draw pass fractions (aqueous, organic), if any.
    pub pass: Option<(&'a [f64], &'a [f64])>,
    /// External inflows of the conserved quantities (metals, hydrogen,
    /// counter-ion), mol/h, shape `(n, nq)`.
    pub feed: &'a Array2<f64>,
}

/// Largest change of a stage's log unknowns (`ln [H+]` and `ln [(HA)2]`
/// here, `ln [H+]` and `ln C_free` in the log-linear substitution) in one
/// sweep.
pub(crate) const MAX_STEP: f64 = 1.0;

/// Stage-equation evaluations (each extractant balance or
/// electroneutrality alone counting one, both together two) that one
/// mass-action solve's substitution may make over all its levels; a sweep
/// that reaches it is the last. Round 26 counted them over mass-action
/// seeds 0-10499: the substitutions after which a Newton converges made
/// at most 0.74 M (7946; 0.50 M the next), while those that fail made up
/// to 6.5 M (6547: 129 sweeps, about 1.1 s of work thrown away, its
/// sweeps charged 13 iterations). About 0.18 us an evaluation: the cap
/// is about 0.2 s of sweeps.
pub(crate) const MAX_EVALUATIONS: usize = 1_000_000;

/// Largest shift of a stage's ln totals that
/// [`StageEq::infeasible_shift`] looks for: the range of a double's
/// logarithm. Transport through a long section with the distribution
/// ratios of a poor iterate held can bring a stage about `e^190` times
/// what its anion and extractant hold (CLI mass-action 13000); a shift
/// cut at 60 left those totals infeasible, and the nested roots then
/// searched a stage with no root (about 800 evaluations a stage).
pub(crate) const SHIFT_BOX: f64 = 745.0;

/// Iterations a solve charges for `used` Newton iterations and `sweeps`
/// sweeps of a stage substitution: ten sweeps count as one, rounded up.
pub(crate) fn charged(used: usize, sweeps: usize) -> usize {
    used + sweeps.div_ceil(10)
}

/// Sweeps a solve limited to `max_it` iterations may still make after
/// `used` Newton iterations and `sweeps` sweeps, such that making all of
/// them keeps [`charged`] within the limit (the budget counted in whole
/// iterations, `10 (max_it - used - sweeps / 10)`, let the sweeps made
/// before it push the charge one past the limit).
pub(crate) fn sweeps_left(max_it: usize, used: usize, sweeps: usize) -> usize {
    max_it
        .saturating_mul(10)
        .saturating_sub(used.saturating_mul(10).saturating_add(sweeps))
}

/// Fewest stages a parallel task of a sweep's stage solves takes (the
/// mass-action [`substitute`] and the log-linear one): a stage's solve
/// costs a few to thousands of stage-equation evaluations, and a cascade
/// under twice this many stages is swept on one thread.
pub(crate) const STAGES_PER_TASK: usize = 16;

/// `f` run on a rayon pool of `threads` threads: the tests' check that a
/// sweep's result does not depend on how many there are.
#[cfg(test)]
pub(crate) fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

/// Whether `a` and `b` hold the same numbers, bit for bit.
#[cfg(test)]
pub(crate) fn same_bits(a: &Array2<f64>, b: &Array2<f64>) -> bool {
    a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// How a substitution ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Outcome {
    /// Sweeps made.
    pub sweeps: usize,
    /// Largest change of `ln [H+]` or `ln [(HA)2]` in the last sweep.
    pub change: f64,
}

/// Under-relaxation and stall test of a substitution: `omega` halves
/// while the sweeps oscillate and grows back when they settle; the sweeps
/// stop at `tol` or after `patience` (25 unless set) without progress.
pub(crate) struct Relaxation {
    /// Factor on each stage's update.
    pub omega: f64,
    best: f64,
    since_best: usize,
    patience: usize,
}

impl Relaxation {
    /// Full steps, no progress recorded.
    pub fn new() -> Self {
        Relaxation {
            omega: 1.0,
            best: f64::INFINITY,
            since_best: 0,
            patience: 25,
        }
    }

    /// Sets how many sweeps without progress stop the sweeps (a stalled
    /// substitution resumed with more patience keeps its state).
    pub fn set_patience(&mut self, patience: usize) {
        self.patience = patience;
    }

    /// Records a sweep's largest `change` in `out`; whether to stop.
    pub fn after_sweep(&mut self, out: &mut Outcome, change: f64, tol: f64) -> bool {
        self.omega = if change > 2.0 * out.change {
            (0.5 * self.omega).max(0.02)
        } else {
            (1.25 * self.omega).min(1.0)
        };
        out.change = change;
        if change <= tol {
            return true;
        }
        if change < 0.999 * self.best {
            self.best = change;
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        self.since_best > self.patience
    }

    /// Moves a stage's two log unknowns `(a, b)` toward its new
    /// equilibrium `new` by the relaxation factor, each by at most one
    /// trust step (an overloaded stage's equilibrium jumps far, and the
    /// next balance solve would swing back), and raises `change` to the
    /// larger raw change; a non-finite equilibrium leaves the stage as it
    /// is.
    pub fn update(&self, a: &mut f64, b: &mut f64, new: (f64, f64), change: &mut f64) {
        if !(new.0.is_finite() && new.1.is_finite()) {
            return;
        }
        *change = change.max((new.0 - *a).abs()).max((new.1 - *b).abs());
        *a += (self.omega * (new.0 - *a)).clamp(-MAX_STEP, MAX_STEP);
        *b += (self.omega * (new.1 - *b)).clamp(-MAX_STEP, MAX_STEP);
    }
}

/// Root of an increasing `f` (given with its derivative) in `[lo, hi]`,
/// by Newton from `x0` safeguarded with bisection; the nearer end when
/// there is no sign change.
pub(crate) fn root(x0: f64, lo: f64, hi: f64, f: impl FnMut(f64) -> (f64, f64)) -> f64 {
    bracketed(x0, lo, hi, false, f)
}

/// [`root`] of an `f` that reads nothing but its argument (no state
/// carried from one evaluation to the next): where Newton leaves the
/// bracket at an end that `f` was evaluated at, the sign there is known
/// and that end is not evaluated again. The same iterates and the same
/// root as [`root`], one evaluation fewer each time (the log-linear
/// substitution's free-extractant roots evaluate every metal's
/// distribution at each; mass-action's extractant roots re-evaluate few
/// bracket ends, and keep [`root`]).
pub(crate) fn pure_root(x0: f64, lo: f64, hi: f64, f: impl FnMut(f64) -> (f64, f64)) -> f64 {
    bracketed(x0, lo, hi, true, f)
}

/// [`root`] and [`pure_root`] (`pure`: a bracket end that `f` was
/// evaluated at is not evaluated again).
#[inline(always)]
fn bracketed(
    x0: f64,
    mut lo: f64,
    mut hi: f64,
    pure: bool,
    mut f: impl FnMut(f64) -> (f64, f64),
) -> f64 {
    let mut x = if x0.is_finite() {
        x0.clamp(lo, hi)
    } else {
        0.5 * (lo + hi)
    };
    let (mut lo_seen, mut hi_seen) = (false, false);
    // whether `lo` and `hi` are points `f` was evaluated at: `f(lo) < 0`
    // there, and `f(hi)` positive or NaN
    let (mut lo_known, mut hi_known) = (false, false);
    for _ in 0..200 {
        let (v, dv) = f(x);
        if v == 0.0 {
            return x;
        }
        if v.is_nan() {
            // outside the representable range: back toward the middle
            hi = x;
            hi_known = pure;
            x = 0.5 * (lo + hi);
            continue;
        }
        if v < 0.0 {
            lo = x;
            lo_known = pure;
        } else {
            hi = x;
            hi_known = pure;
        }
        let step = -v / dv;
        let mut next = if dv > 0.0 && step.is_finite() {
            x + step.clamp(-30.0, 30.0)
        } else {
            f64::NAN
        };
        if !(next > lo && next < hi) {
            // Newton leaves the bracket: if the root is not inside at all,
            // the end it heads for is the answer
            // (a pure `f` just evaluated at that end, a start clamped to
            // it, has given its sign: `v` itself)
            if next <= lo && !lo_seen {
                lo_seen = true;
                if pure && x == lo && v >= 0.0 || !lo_known && f(lo).0 >= 0.0 {
                    return lo;
                }
            } else if next >= hi && !hi_seen {
                hi_seen = true;
                if pure && x == hi && v <= 0.0 || !hi_known && f(hi).0 <= 0.0 {
                    return hi;
                }
            }
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 1e-10 * (1.0 + x.abs()) || hi - lo <= 1e-10 * (1.0 + x.abs()) {
            return next;
        }
        x = next;
    }
    x
}

/// Residuals of one stage's equilibrium at `(ld, lh)` and their partial
/// derivatives: `(F1, dF1/dld, dF1/dlh, F2, dF2/dld, dF2/dlh)` with `F1`
/// the extractant balance and `F2` electroneutrality.
struct StageEq<'a> {
    m: &'a MassActionCascade<'a>,
    la: f64,
    lo: f64,
    lt: &'a [f64],
    lt_ion: f64,
    cl: f64,
    /// Evaluations made ([`MAX_EVALUATIONS`]).
    evals: &'a Cell<usize>,
}

impl StageEq<'_> {
    fn eval(&self, ld: f64, lh: f64) -> [f64; 6] {
        let d = ld.exp();
        let h = lh.exp();
        self.add_terms(
            ld,
            lh,
            [2.0 * d - self.m.c_total, 2.0 * d, 0.0, h - self.cl, 0.0, h],
        )
    }

    /// `(F1, dF1/dld)` of [`StageEq::eval`] alone, the same operations on
    /// the same values (so the same bits): the extractant balance's roots
    /// take nothing else, and skip the two `exp` a metal that only
    /// electroneutrality reads.
    fn extractant(&self, ld: f64, lh: f64) -> (f64, f64) {
        self.evals.set(self.evals.get() + 1);
        let m = self.m;
        let d = ld.exp();
        let (mut f, mut df) = (2.0 * d - m.c_total, 2.0 * d);
        let (a, b) = (m.a, m.b);
        for ((lk, z), lt) in m.ln_k.iter().zip(m.z).zip(self.lt) {
            let l_d = lk + a * ld - b * lh;
            let lden = log_add(self.la, self.lo + l_d);
            let lx = lt - lden;
            let y = exp_or_zero(lx + l_d);
            let w1 = exp_or_zero(self.la - lden);
            f += 2.0 * z * y;
            df += 2.0 * z * y * w1 * a;
        }
        if let Some(lkn) = m.ln_k_ion {
            let lg = lkn + 0.5 * ld - lh;
            let lden = log_add(self.la, self.lo + lg);
            let ln_n = self.lt_ion - lden;
            let na = exp_or_zero(ln_n + lg);
            let w1 = exp_or_zero(self.la - lden);
            f += na;
            df += 0.5 * na * w1;
        }
        (f, df)
    }

    /// `F2` of [`StageEq::eval`] alone (electroneutrality's residual, the
    /// same bits): one `exp` a metal instead of four.
    fn neutrality(&self, ld: f64, lh: f64) -> f64 {
        self.evals.set(self.evals.get() + 1);
        let m = self.m;
        let mut f = lh.exp() - self.cl;
        let (a, b) = (m.a, m.b);
        for ((lk, z), lt) in m.ln_k.iter().zip(m.z).zip(self.lt) {
            let l_d = lk + a * ld - b * lh;
            let lden = log_add(self.la, self.lo + l_d);
            f += z * exp_or_zero(lt - lden);
        }
        if let Some(lkn) = m.ln_k_ion {
            let lg = lkn + 0.5 * ld - lh;
            let lden = log_add(self.la, self.lo + lg);
            f += exp_or_zero(self.lt_ion - lden);
        }
        f
    }

    /// The metals' and counter-ion's terms of [`StageEq::eval`] (the parts
    /// proportional to the stage's totals) added to `r`.
    fn add_terms(&self, ld: f64, lh: f64, mut r: [f64; 6]) -> [f64; 6] {
        self.evals.set(self.evals.get() + 2);
        let m = self.m;
        let (a, b) = (m.a, m.b);
        for ((lk, z), lt) in m.ln_k.iter().zip(m.z).zip(self.lt) {
            let l_d = lk + a * ld - b * lh;
            let lden = log_add(self.la, self.lo + l_d);
            let lx = lt - lden;
            let x = exp_or_zero(lx);
            let y = exp_or_zero(lx + l_d);
            let w = exp_or_zero(self.lo + l_d - lden);
            let w1 = exp_or_zero(self.la - lden);
            r[0] += 2.0 * z * y;
            r[1] += 2.0 * z * y * w1 * a;
            r[2] -= 2.0 * z * y * w1 * b;
            r[3] += z * x;
            r[4] -= a * z * x * w;
            r[5] += b * z * x * w;
        }
        if let Some(lkn) = m.ln_k_ion {
            let lg = lkn + 0.5 * ld - lh;
            let lden = log_add(self.la, self.lo + lg);
            let ln_n = self.lt_ion - lden;
            let n = exp_or_zero(ln_n);
            let na = exp_or_zero(ln_n + lg);
            let w = exp_or_zero(self.lo + lg - lden);
            let w1 = exp_or_zero(self.la - lden);
            r[0] += na;
            r[1] += 0.5 * na * w1;
            r[2] -= na * w1;
            r[3] += n;
            r[4] -= 0.5 * n * w;
            r[5] += n * w;
        }
        r
    }

    /// Electroneutrality's residual at `ln [H+] = lh` (not below the lowest
    /// `[H+]` of the stage's search), with the extractant balance solved.
    fn excess_at_floor(&self, lh: f64) -> f64 {
        let top = (0.5 * self.m.c_total).ln();
        let lh = lh.max(self.cl.max(1e-300).ln() - 60.0);
        let ld = root(top, top - 745.0, top, |ld| self.extractant(ld, lh));
        self.neutrality(ld, lh)
    }

    /// When the stage's totals carry more cations than the anion and the
    /// fully loaded extractant can hold (electroneutrality has no root with
    /// `[H+] > 0`), the ln of the common factor on the totals that puts the
    /// root at `ln [H+] = lh`; 0 when they are feasible. First by Newton
    /// from `ld0` ([`StageEq::shift_newton`], which also gives the
    /// shifted root's `ln [(HA)2]`, returned with a negative factor), then
    /// by regula falsi on electroneutrality at the floor of the search.
    fn infeasible_shift(&mut self, lh: f64, ld0: f64) -> (f64, Option<(f64, f64)>) {
        if let Some((mid, ld, lh)) = self.shift_newton(lh, ld0) {
            return if mid < 0.0 {
                (mid, Some((ld, lh)))
            } else {
                (0.0, None)
            };
        }
        (self.shift_bracketed(lh), None)
    }

    /// [`StageEq::infeasible_shift`] by regula falsi.
    fn shift_bracketed(&mut self, lh: f64) -> f64 {
        let excess = self.excess_at_floor(f64::NEG_INFINITY);
        if excess.is_nan() || excess <= 0.0 {
            return 0.0;
        }
        let (lt0, ion0) = (self.lt, self.lt_ion);
        let mut buf = lt0.to_vec();
        // electroneutrality's excess at `lh` with the totals shifted by
        // `mid` (increasing in `mid`)
        let mut g = |mid: f64| {
            for (b, v) in buf.iter_mut().zip(lt0) {
                *b = v + mid;
            }
            let probe = StageEq {
                m: self.m,
                la: self.la,
                lo: self.lo,
                lt: &buf,
                lt_ion: ion0 + mid,
                cl: self.cl,
                evals: self.evals,
            };
            probe.excess_at_floor(lh)
        };
        // regula falsi with the Illinois modification on
        // [-SHIFT_BOX, 0]: a few excess evaluations (each an
        // extractant-balance root) where a bisection to 1e-6 takes 30; the
        // feasible end is returned
        let (mut lo, mut hi) = (-SHIFT_BOX, 0.0f64);
        let (mut glo, mut ghi) = (g(lo), g(hi));
        if glo.is_nan() || glo > 0.0 {
            return lo;
        }
        if ghi.is_nan() || ghi <= 0.0 {
            return hi;
        }
        let mut side = 0i8;
        for _ in 0..60 {
            if hi - lo < 1e-6 {
                break;
            }
            let mut mid = (lo * ghi - hi * glo) / (ghi - glo);
            if !(mid > lo && mid < hi) {
                mid = 0.5 * (lo + hi);
            }
            let gm = g(mid);
            if gm.is_nan() || gm > 0.0 {
                hi = mid;
                ghi = if gm.is_nan() { 1.0 } else { gm };
                if side == 1 {
                    glo *= 0.5;
                }
                side = 1;
            } else {
                lo = mid;
                glo = gm;
                if side == -1 {
                    ghi *= 0.5;
                }
                side = -1;
                if gm == 0.0 || -gm <= 1e-12 * self.cl {
                    break;
                }
            }
        }
        lo
    }

    /// The common shift `mid` of the ln totals that puts the stage's
    /// equilibrium at `ln [H+] = lh` (not below the floor of the search
    /// box), by Newton on the extractant balance and electroneutrality in
    /// `(ln [(HA)2], mid)` from `ld0` and the `mid` that closes
    /// electroneutrality there: both are linear in the totals, so the
    /// shift scales their metal and counter-ion terms by `exp(mid)`.
    /// Returns `(mid, ln [(HA)2], ln [H+])` at the root, or `None` when
    /// Newton does not settle inside the box (`mid` within [`SHIFT_BOX`]
    /// of zero) within 30 steps of at most 2 in either. A root with
    /// `mid >= 0` proves the totals feasible (electroneutrality increases
    /// in `ln [H+]` along the extractant balance, and in `mid`).
    fn shift_newton(&self, lh: f64, ld0: f64) -> Option<(f64, f64, f64)> {
        let top = (0.5 * self.m.c_total).ln();
        let lh = lh.max(self.cl.max(1e-300).ln() - 60.0);
        let h = lh.exp();
        if h >= self.cl || h.is_nan() {
            // electroneutrality is positive at any totals
            return None;
        }
        let mut ld = if ld0.is_finite() { ld0 } else { top }.clamp(top - 745.0, top);
        let mut mid = (self.cl - h).ln() - self.add_terms(ld, lh, [0.0; 6])[3].ln();
        if !mid.is_finite() {
            return None;
        }
        for _ in 0..30 {
            let d = ld.exp();
            // the totals' terms at the unshifted totals, scaled by `e`
            let s = self.add_terms(ld, lh, [0.0; 6]);
            let e = mid.exp();
            let f1 = 2.0 * d - self.m.c_total + e * s[0];
            let f2 = h - self.cl + e * s[3];
            let (j11, j12) = (2.0 * d + e * s[1], e * s[0]);
            let (j21, j22) = (e * s[4], e * s[3]);
            let det = j11 * j22 - j12 * j21;
            let sd = -(f1 * j22 - j12 * f2) / det;
            let sm = -(j11 * f2 - j21 * f1) / det;
            if !(sd.is_finite() && sm.is_finite()) {
                return None;
            }
            if sd.abs() <= 1e-10 * (1.0 + (ld + sd).abs())
                && sm.abs() <= 1e-10 * (1.0 + (mid + sm).abs())
            {
                let ld = (ld + sd).min(top);
                return (ld >= top - 745.0).then_some((mid + sm, ld, lh));
            }
            let mut k = (2.0 / sd.abs().max(sm.abs())).min(1.0);
            if ld + k * sd > top {
                // the root lies below a free extractant of all of it
                k = 0.9 * (top - ld) / sd;
            }
            ld += k * sd;
            mid += k * sm;
            if ld < top - 745.0 || mid.abs() > SHIFT_BOX {
                return None;
            }
        }
        None
    }

    /// `(ln [(HA)2], ln [H+])` of the stage, warm-started from `(ld0, lh0)`:
    /// Newton on both equations at once ([`StageEq::joint`]), and the
    /// nested safeguarded roots when that does not settle inside the
    /// search box.
    fn solve(&self, ld0: f64, lh0: f64) -> (f64, f64) {
        self.quick(ld0, lh0)
            .unwrap_or_else(|| self.nested(ld0, lh0))
    }

    /// [`StageEq::joint`] in the search box of [`StageEq::nested`]. A root
    /// found there also proves the stage's totals feasible (electroneutrality
    /// increases along the extractant balance, so it is negative at the
    /// floor of the box), which spares [`StageEq::infeasible_shift`].
    fn quick(&self, ld0: f64, lh0: f64) -> Option<(f64, f64)> {
        let top = (0.5 * self.m.c_total).ln();
        let cl = self.cl.max(1e-300);
        self.joint(ld0, lh0, (top - 745.0, top), (cl.ln() - 60.0, cl.ln()))
    }

    /// Plain Newton on the stage's two equations from `(ld, lh)`, each step
    /// at most 2 in either log, and each log's part of it at most nine
    /// tenths of the way to the upper end of its box: the root when a full
    /// step falls below 1e-10 within 30 iterations inside the boxes `bd`
    /// and `bh`, `None` otherwise. Both equations have one root in the
    /// box (the extractant balance increases in `ln [(HA)2]`,
    /// electroneutrality along it in `ln [H+]`), so a settled Newton has
    /// found the root the nested search finds, at a fraction of its cost.
    fn joint(
        &self,
        mut ld: f64,
        mut lh: f64,
        bd: (f64, f64),
        bh: (f64, f64),
    ) -> Option<(f64, f64)> {
        if !(ld.is_finite() && lh.is_finite()) {
            return None;
        }
        ld = ld.clamp(bd.0, bd.1);
        lh = lh.clamp(bh.0, bh.1);
        for _ in 0..30 {
            let r = self.eval(ld, lh);
            let det = r[1] * r[5] - r[2] * r[4];
            let sd = -(r[0] * r[5] - r[2] * r[3]) / det;
            let sh = -(r[1] * r[3] - r[4] * r[0]) / det;
            if !(sd.is_finite() && sh.is_finite()) {
                return None;
            }
            if sd.abs() <= 1e-10 * (1.0 + (ld + sd).abs())
                && sh.abs() <= 1e-10 * (1.0 + (lh + sh).abs())
            {
                // settled (on the upper ends at most: a root closer to
                // them than the last digit)
                let (ld, lh) = ((ld + sd).min(bd.1), (lh + sh).min(bh.1));
                return (ld >= bd.0 && lh >= bh.0).then_some((ld, lh));
            }
            let k = (2.0 / sd.abs().max(sh.abs())).min(1.0);
            // the root lies below the upper ends (a free extractant of all
            // of it, an acid of all of the anion), at times closer than the
            // last digit (no metal to speak of): a step across one goes
            // nine tenths of the way to it in that log alone (the whole
            // step shortened with it would pin the other log too: a strip
            // stage whose free extractant starts near all of it then
            // crawls up its acid by thousandths)
            let (mut kd, mut kh) = (k, k);
            if ld + k * sd > bd.1 {
                kd = 0.9 * (bd.1 - ld) / sd;
            }
            if lh + k * sh > bh.1 {
                kh = 0.9 * (bh.1 - lh) / sh;
            }
            ld += kd * sd;
            lh += kh * sh;
            if ld < bd.0 || lh < bh.0 {
                return None;
            }
        }
        None
    }

    /// [`StageEq::solve`] by nested roots: `ln [H+]` by Newton safeguarded
    /// with bisection, the extractant balance solved inside it.
    fn nested(&self, ld0: f64, lh0: f64) -> (f64, f64) {
        let top = (0.5 * self.m.c_total).ln();
        let cl = self.cl.max(1e-300);
        let mut ld = ld0;
        let inner = |lh: f64, ld0: f64| root(ld0, top - 745.0, top, |ld| self.extractant(ld, lh));
        let lh = root(lh0, cl.ln() - 60.0, cl.ln(), |lh| {
            ld = inner(lh, ld);
            let r = self.eval(ld, lh);
            // total derivative along the extractant balance
            let dld = if r[1] > 0.0 { -r[2] / r[1] } else { 0.0 };
            (r[3], r[5] + r[4] * dld)
        });
        let ld = inner(lh, ld);
        (ld, lh)
    }
}

/// The inert anion (charge equivalents, mol/L) of each stage's aqueous,
/// from the cation equivalents every stream brings in (an organic inflow
/// brings `C` per litre on its extractant, none of it anion).
fn anion_profile(m: &MassActionCascade<'_>, ih: usize, ion: Option<usize>) -> Vec<f64> {
    let n = m.aq.len();
    let ka = m.ln_k.len();
    let (pa, po) = match m.pass {
        Some((a, o)) => (a.to_vec(), o.to_vec()),
        None => (vec![1.0; n], vec![1.0; n]),
    };
    let mut cl = vec![0.0; n];
    let mut from_above = 0.0;
    for j in (0..n).rev() {
        let mut cations: f64 = (0..ka).map(|q| m.z[q] * m.feed[[j, q]]).sum();
        cations += m.feed[[j, ih]];
        if let Some(i) = ion {
            cations += m.feed[[j, i]];
        }
        let org_in = m.org[j] - if j > 0 { po[j - 1] * m.org[j - 1] } else { 0.0 };
        let inflow = (cations - m.c_total * org_in.max(0.0)).max(0.0);
        let above = if m.links[j] { from_above } else { 0.0 };
        cl[j] = (above + inflow) / m.aq[j];
        from_above = pa[j] * m.aq[j] * cl[j];
    }
    cl
}

/// The inert anion (mol/L, charge equivalents) of every stage's aqueous
/// ([`anion_profile`]), for starts built outside the sweeps.
pub(crate) fn anions(m: &MassActionCascade<'_>) -> Vec<f64> {
    let ka = m.ln_k.len();
    anion_profile(m, ka, m.ln_k_ion.map(|_| ka + 1))
}

/// Runs sweeps from `u` until the largest change of a stage's `ln [H+]` or
/// `ln [(HA)2]` falls below `tol`, `max_sweeps` are made or the
/// stage-equation evaluations counted in `evals` reach `max_evals`, and
/// leaves the substituted profile in `u` (amounts below the range of a
/// double at `floor`).
pub(crate) fn substitute(
    m: &MassActionCascade<'_>,
    u: &mut Array2<f64>,
    tol: f64,
    (max_sweeps, evals, max_evals): (usize, &Cell<usize>, usize),
    floor: f64,
) -> Outcome {
    let n = m.aq.len();
    let ka = m.ln_k.len();
    let ih = ka;
    let ion = m.ln_k_ion.map(|_| ka + 1);
    let id = ka + 1 + usize::from(ion.is_some());
    let nt = ka + usize::from(ion.is_some());
    let cl = anion_profile(m, ih, ion);
    let la: Vec<f64> = m.aq.iter().map(|v| v.ln()).collect();
    let lo: Vec<f64> = m.org.iter().map(|v| v.ln()).collect();
    let mut ld: Vec<f64> = (0..n).map(|j| u[[j, id]]).collect();
    let mut lh: Vec<f64> = (0..n).map(|j| u[[j, ih]]).collect();
    // ln of the distribution ratio of each transported quantity
    let ln_ratio = |q: usize, ld: f64, lh: f64| -> f64 {
        if q < ka {
            m.ln_k[q] + m.a * ld - m.b * lh
        } else {
            m.ln_k_ion.unwrap_or(0.0) + 0.5 * ld - lh
        }
    };
    let col = |q: usize| if q < ka { q } else { ion.unwrap_or(0) };
    let mut lt = Array2::<f64>::zeros((n, nt));
    let mut lx = vec![0.0; n];
    let mut lm = vec![0.0; n];
    let mut lov = vec![0.0; n];
    // ln of each transported quantity's feed to each stage (negative
    // infinity for none): fixed, so computed once, not every sweep
    let lfs: Vec<Vec<f64>> = (0..nt)
        .map(|q| {
            (0..n)
                .map(|j| {
                    let f = m.feed[[j, col(q)]];
                    if f > 0.0 {
                        f.ln()
                    } else {
                        f64::NEG_INFINITY
                    }
                })
                .collect()
        })
        .collect();
    // one transported quantity's stage balances solved exactly with the
    // distribution ratios held: ln of its aqueous amounts into `lx`, ln of
    // its organic flow factors into `lov`
    let mut transport = |q: usize, (ld, lh): (&[f64], &[f64]), lov: &mut [f64], lx: &mut [f64]| {
        for j in 0..n {
            lov[j] = lo[j] + ln_ratio(q, ld[j], lh[j]);
        }
        logthomas::solve_with_pass(
            LogSystem {
                lo: lov,
                lq: &la,
                lf: &lfs[q],
                links: m.links,
            },
            m.pass,
            lx,
            &mut lm,
        );
    };
    let mut out = Outcome {
        sweeps: 0,
        change: f64::INFINITY,
    };
    let mut relax = Relaxation::new();
    while out.sweeps < max_sweeps {
        out.sweeps += 1;
        for q in 0..nt {
            transport(q, (&ld, &lh), &mut lov, &mut lx);
            for j in 0..n {
                lt[[j, q]] = lx[j] + log_add(la[j], lov[j]);
            }
        }
        // each stage's equilibrium from its own totals alone (the transport
        // above is the sweep's only coupling between stages), so the stages
        // are solved in parallel: the same roots, changes and evaluations
        // on any number of threads
        let (change, count) = ld
            .par_iter_mut()
            .zip(lh.par_iter_mut())
            .enumerate()
            .with_min_len(STAGES_PER_TASK)
            .map(|(j, (ld_j, lh_j))| {
                let row = lt.row(j);
                let row = row.as_slice().expect("standard layout");
                let count = Cell::new(0);
                let mut st = StageEq {
                    m,
                    la: la[j],
                    lo: lo[j],
                    lt: &row[..ka],
                    lt_ion: if ion.is_some() {
                        row[ka]
                    } else {
                        f64::NEG_INFINITY
                    },
                    cl: cl[j],
                    evals: &count,
                };
                // lagged transport can bring a stage more cations than its
                // anion and fully loaded extractant hold (no root with
                // [H+] > 0): scale its totals so that the root lies no more
                // than one trust step below the current [H+]
                // (a root found by the joint Newton proves them feasible)
                let scaled: Vec<f64>;
                let new = match st.quick(*ld_j, *lh_j) {
                    Some(v) => v,
                    None => {
                        let (shift, hint) = st.infeasible_shift(*lh_j - MAX_STEP, *ld_j);
                        if shift < 0.0 {
                            scaled = row[..ka].iter().map(|v| v + shift).collect();
                            st.lt = &scaled;
                            st.lt_ion += shift;
                        }
                        // from the shifted root where Newton found it
                        let (d0, h0) = hint.unwrap_or((*ld_j, *lh_j));
                        st.solve(d0, h0)
                    }
                };
                let mut change = 0.0f64;
                relax.update(ld_j, lh_j, new, &mut change);
                (change, count.get())
            })
            .reduce(|| (0.0, 0), |a, b| (a.0.max(b.0), a.1 + b.1));
        evals.set(evals.get() + count);
        // under-relax while the sweeps oscillate, relax back when they settle
        if relax.after_sweep(&mut out, change, tol) || evals.get() >= max_evals {
            break;
        }
    }
    // the profile at the last equilibria: totals from one more balance solve
    for j in 0..n {
        u[[j, id]] = ld[j];
        u[[j, ih]] = lh[j];
    }
    for q in 0..nt {
        transport(q, (&ld, &lh), &mut lov, &mut lx);
        for j in 0..n {
            // concentration in the aqueous
            let v = lx[j];
            u[[j, col(q)]] = if v.is_finite() { v } else { floor };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pure_root` takes the iterates and root of `root`, bit for bit,
    /// and skips re-evaluating a bracket end it has evaluated: on
    /// `atan(x - 1)` from 4, Newton jumps below the root to -8.5, then
    /// above the bracket's end at 4 (evaluated first), whose sign is known.
    #[test]
    fn pure_root_is_root_with_fewer_evaluations() {
        let mut runs = Vec::new();
        for pure in [false, true] {
            let mut calls = Vec::new();
            let f = |x: f64| {
                calls.push(x);
                ((x - 1.0).atan(), 1.0 / (1.0 + (x - 1.0) * (x - 1.0)))
            };
            let r = if pure {
                pure_root(4.0, -10.0, 10.0, f)
            } else {
                root(4.0, -10.0, 10.0, f)
            };
            assert!((r - 1.0).abs() < 1e-9, "{r}");
            runs.push((r.to_bits(), calls));
        }
        let (plain, pure) = (&runs[0], &runs[1]);
        assert_eq!(plain.0, pure.0);
        // the plain form evaluates 4 a second time, third; the pure one
        // goes on from there with the same points
        assert_eq!(plain.1[..2], pure.1[..2]);
        assert_eq!(plain.1[2].to_bits(), 4.0f64.to_bits());
        assert_eq!(plain.1[3..], pure.1[2..]);
    }

    /// A start at an end of the bracket where the sign says the root is
    /// beyond it returns that end from its one evaluation (the log-linear
    /// stages' free extractant, overloaded sweep after sweep, starts at the
    /// bottom of its search each time); [`root`] evaluates the end again.
    #[test]
    fn pure_root_started_at_an_end_past_the_root_evaluates_it_once() {
        for (x0, shift, end) in [(-10.0, 20.0, -10.0), (10.0, -20.0, 10.0)] {
            let mut calls = [0usize; 2];
            for (pure, n) in [false, true].into_iter().zip(&mut calls) {
                let f = |x: f64| {
                    *n += 1;
                    ((x + shift).atan(), 1.0 / (1.0 + (x + shift) * (x + shift)))
                };
                let r = if pure {
                    pure_root(x0, -10.0, 10.0, f)
                } else {
                    root(x0, -10.0, 10.0, f)
                };
                assert_eq!(r, end);
            }
            assert_eq!(calls, [2, 1]);
        }
    }

    /// Whatever the Newton iterations and sweeps made so far, the sweeps
    /// left and then the Newton iterations left keep the charge within the
    /// limit, and the sweeps left are all that the limit allows.
    #[test]
    fn sweeps_and_newton_stay_within_the_limit() {
        for max_it in 0..6 {
            for used in 0..=max_it {
                for sweeps in 0..=10 * (max_it - used) {
                    let b = sweeps_left(max_it, used, sweeps);
                    assert!(charged(used, sweeps + b) <= max_it);
                    assert!(charged(used, sweeps + b + 10) > max_it);
                    let newton = max_it - charged(used, sweeps + b);
                    assert!(charged(used + newton, sweeps + b) <= max_it);
                }
            }
        }
        // 5 sweeps made, 1 iteration left: 5 more, not 10 (which charged 2)
        assert_eq!(sweeps_left(1, 0, 5), 5);
        assert_eq!(charged(0, 15), 2);
    }

    /// One saponified stage of the tests: two trivalent metals (`ln K`
    /// given), a = b = 3, C = 1 mol/L, `ln K_N` = 2, O/A = 1.25, `feed`
    /// of shape `(1, 4)`.
    fn one_stage<'a>(feed: &'a Array2<f64>, ln_k: &'a [f64]) -> MassActionCascade<'a> {
        MassActionCascade {
            ln_k,
            a: 3.0,
            b: 3.0,
            z: &[3.0, 3.0],
            c_total: 1.0,
            ln_k_ion: Some(2.0),
            aq: &[1.0],
            org: &[1.25],
            links: &[false],
            pass: None,
            feed,
        }
    }

    /// Asserts that `(ld, lh)` closes the stage's extractant balance and
    /// electroneutrality to 1e-12.
    fn assert_closes(st: &StageEq<'_>, ld: f64, lh: f64) {
        let r = st.eval(ld, lh);
        assert!(
            r[0].abs() < 1e-12 && r[3].abs() < 1e-12,
            "{} {}",
            r[0],
            r[3]
        );
    }

    /// The joint Newton's root from `start` in the boxes `bd` and `bh`,
    /// asserted to settle on the nested roots' and to close the stage.
    fn joint_root(
        st: &StageEq<'_>,
        start: (f64, f64),
        bd: (f64, f64),
        bh: (f64, f64),
    ) -> (f64, f64) {
        let (ld, lh) = st
            .joint(start.0, start.1, bd, bh)
            .expect("joint Newton settles");
        let (nd, nh) = st.nested(start.0, start.1);
        assert!(
            (ld - nd).abs() < 1e-8 && (lh - nh).abs() < 1e-8,
            "{ld} {lh} vs {nd} {nh}"
        );
        assert_closes(st, ld, lh);
        (ld, lh)
    }

    /// The sweeps stop at the first that reaches the evaluation cap (here
    /// one evaluation: the first sweep), and count their evaluations; with
    /// no cap they go on (a tolerance of zero is never met by the first
    /// sweep, which moves the start).
    #[test]
    fn sweeps_stop_at_the_evaluation_cap() {
        let mut feed = Array2::zeros((1, 4));
        feed[[0, 0]] = 0.05;
        feed[[0, 1]] = 0.08;
        feed[[0, 2]] = 0.5;
        feed[[0, 3]] = 0.2;
        let ln_k = [0.0, 1.5f64.ln()];
        let m = one_stage(&feed, &ln_k);
        let start = Array2::from_shape_vec((1, 5), vec![-3.0, -3.0, -2.0, -3.0, -1.0]).unwrap();
        let (mut capped, mut free) = (start.clone(), start);
        let evals = Cell::new(0);
        let out = substitute(&m, &mut capped, 0.0, (50, &evals, 1), -700.0);
        assert_eq!(out.sweeps, 1);
        assert!(evals.get() > 0);
        let all = Cell::new(0);
        let out = substitute(&m, &mut free, 0.0, (50, &all, usize::MAX), -700.0);
        assert!(out.sweeps > 1, "{out:?}");
        assert!(all.get() > evals.get());
    }

    /// One saponified stage (two trivalent metals, a = b = 3, C = 1 mol/L,
    /// O/A = 1.25): the joint Newton and the nested roots find the same
    /// equilibrium, and it closes both the extractant balance and
    /// electroneutrality.
    #[test]
    fn joint_newton_finds_the_nested_root() {
        let (feed, ln_k) = (Array2::zeros((1, 4)), [0.0, 1.5f64.ln()]);
        let m = one_stage(&feed, &ln_k);
        let st = StageEq {
            m: &m,
            la: 0.0,
            lo: 1.25f64.ln(),
            lt: &[0.05f64.ln(), 0.08f64.ln()],
            lt_ion: 0.2f64.ln(),
            cl: 0.9,
            evals: &Cell::new(0),
        };
        let (ld0, lh0) = (0.3f64.ln(), 0.1f64.ln());
        let top = 0.5f64.ln();
        let (ld, lh) = joint_root(
            &st,
            (ld0, lh0),
            (top - 745.0, top),
            (0.9f64.ln() - 60.0, 0.9f64.ln()),
        );
        assert_eq!(st.solve(ld0, lh0), (ld, lh));
    }

    /// A strip stage (acid 4.5 mol/L of anion, 0.2 mol/L of extractant,
    /// 0.03 mol/h of two trivalent metals) reached from a start at a
    /// thousandth of its acid, where the metals would load more than the
    /// extractant holds: Newton's step heads across the top of the free
    /// extractant, and holding only that log under it lets the acid rise
    /// (shortening the whole step pinned both: 30 steps and no root). The
    /// joint Newton settles on the nested root.
    #[test]
    fn joint_newton_climbs_the_acid_along_a_free_extractant_at_its_top() {
        let (feed, ln_k) = (Array2::zeros((1, 4)), [0.0, 1.5f64.ln()]);
        let m = MassActionCascade {
            c_total: 0.2,
            ..one_stage(&feed, &ln_k)
        };
        let cl = 4.5f64;
        let st = StageEq {
            m: &m,
            la: 0.0,
            lo: 1.25f64.ln(),
            lt: &[0.01f64.ln(), 0.02f64.ln()],
            lt_ion: 0.001f64.ln(),
            cl,
            evals: &Cell::new(0),
        };
        let top = 0.1f64.ln();
        let (ld0, lh0) = (top - 3.2, cl.ln() - 8.8);
        let (ld, lh) = joint_root(
            &st,
            (ld0, lh0),
            (top - 745.0, top),
            (cl.ln() - 60.0, cl.ln()),
        );
        // the acid holds most of the anion, the extractant is nearly free
        assert!(lh > cl.ln() - 0.1 && ld > top - 0.05, "{ld} {lh}");
    }

    /// The stage of two trivalent metals, 0.5 and 0.8 mol/h, and 0.2 of
    /// the counter-ion, each total raised by `e^raise`, over 1.5 mol/L of
    /// anion: the shift that puts its root at `[H+] = 0.01` mol/L,
    /// asserted to be the same by Newton and by the regula falsi and to
    /// close the stage's equations there with the shifted totals.
    fn shift_to_one_hundredth(raise: f64) -> f64 {
        let (feed, ln_k) = (Array2::zeros((1, 4)), [0.0, 1.5f64.ln()]);
        let m = one_stage(&feed, &ln_k);
        let lt = [0.5f64.ln() + raise, 0.8f64.ln() + raise];
        let mut st = StageEq {
            m: &m,
            la: 0.0,
            lo: 1.25f64.ln(),
            lt: &lt,
            lt_ion: 0.2f64.ln() + raise,
            cl: 1.5,
            evals: &Cell::new(0),
        };
        let target = 0.01f64.ln();
        let (shift, hint) = st.infeasible_shift(target, 0.3f64.ln());
        let bracketed = st.shift_bracketed(target);
        assert!((shift - bracketed).abs() < 1e-5, "{shift} vs {bracketed}");
        let (ld, lh) = hint.expect("Newton found the shifted root");
        assert_eq!(lh, target);
        let scaled: Vec<f64> = lt.iter().map(|v| v + shift).collect();
        st.lt = &scaled;
        st.lt_ion += shift;
        assert_closes(&st, ld, lh);
        let (sd, sh) = st.solve(ld, lh);
        assert!((sd - ld).abs() < 1e-9 && (sh - lh).abs() < 1e-9);
        shift
    }

    /// A stage whose totals carry more cations (4.1 eq/h) than its anion
    /// (1.5) and fully loaded extractant (1.25) can hold: the Newton shift
    /// and the regula falsi agree on the factor that puts the root at
    /// `[H+] = 0.01` mol/L, and the shifted totals have their root there.
    #[test]
    fn newton_shift_matches_regula_falsi() {
        let shift = shift_to_one_hundredth(0.0);
        assert!(shift < -0.1, "{shift}");
    }

    /// The same stage with every total `e^150` times larger (what held
    /// ratios can bring a stage of a long section): the shift goes past
    /// 60, to about -150, by Newton and by the regula falsi.
    #[test]
    fn a_shift_reaches_past_sixty() {
        let shift = shift_to_one_hundredth(150.0);
        assert!(shift < -150.0 && shift > -160.0, "{shift}");
    }

    /// A sweep's stage solves run in parallel, in runs of at least
    /// [`STAGES_PER_TASK`] stages: an 80-stage saponified extraction
    /// section (two trivalent metals and acid fed at its last stage, the
    /// counter-ion with the fresh organic at its first) leaves the same
    /// profile, bit for bit, and counts the same evaluations after its
    /// sweeps on 1 and on 4 threads.
    #[test]
    fn sweeps_are_the_same_on_any_number_of_threads() {
        let n = 80;
        let mut feed = Array2::zeros((n, 4));
        feed[[n - 1, 0]] = 0.05;
        feed[[n - 1, 1]] = 0.08;
        feed[[n - 1, 2]] = 0.01;
        feed[[0, 3]] = 0.4;
        let ln_k = [0.0, 1.5f64.ln()];
        let (aq, org) = (vec![1.0; n], vec![1.25; n]);
        let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
        let m = MassActionCascade {
            aq: &aq,
            org: &org,
            links: &links,
            ..one_stage(&feed, &ln_k)
        };
        let start = Array2::from_shape_fn((n, 5), |(_, q)| [-3.0, -3.0, -2.0, -3.0, -1.0][q]);
        let run = |threads: usize| {
            on_threads(threads, || {
                let evals = Cell::new(0);
                let mut u = start.clone();
                let out = substitute(&m, &mut u, 0.0, (8, &evals, usize::MAX), -700.0);
                (u, out, evals.get())
            })
        };
        let (u1, out1, evals1) = run(1);
        let (u4, out4, evals4) = run(4);
        assert_eq!(out1.sweeps, 8);
        assert_eq!(out1, out4);
        assert_eq!(evals1, evals4);
        assert!(u1 != start, "the sweeps moved nothing");
        assert!(same_bits(&u1, &u4));
    }
}
