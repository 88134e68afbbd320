//! Successive substitution with exact stage equilibria for the
//! `log-linear` model, and the exact test of its acid balance.
//!
//! Each metal extracted releases `p_k` protons into the aqueous, and the
//! organic carries `C - sum p_k y_k` acid protons per litre; so the sum
//! `Q = (acid protons) + sum_k p_k (metal k)` is carried by the organic
//! at exactly `C` per litre whatever it holds. Its stage balances then fix
//! each stage's aqueous `Q_j = [H+] + [HSO4-] + sum_k p_k x_k` from the
//! flows alone ([`proton_profile`]). What is left to transport is the
//! metals. One sweep
//!
//! 1. holds each stage's distribution ratios and solves every metal's
//!    linear stage balances exactly (one log-Thomas solve each,
//!    [`super::logthomas`]), which gives each stage's total outflow `T_k`;
//! 2. solves each stage's equilibrium for its totals: for a given `[H+]`
//!    the extractant balance `C_free + sum e_k y_k = C` fixes `ln C_free`
//!    (inner root), and the acid `[H+] + [HSO4-] + sum p_k x_k = Q_j`
//!    then fixes `ln [H+]` (outer root, increasing: a higher acidity
//!    lowers every fitted D and so raises every `x_k`); both by Newton
//!    safeguarded with bisection, warm-started from the last sweep.
//!
//! Those nested roots cost hundreds of evaluations of every metal's D per
//! stage, most of them where lagged transport has overloaded a stage. The
//! fast form of a sweep (`exact = false`) first tries Newton on both
//! balances at once in `(ln [H+], ln C_free)` from the stage's last root
//! (one `exp` per metal and evaluation, a few evaluations), searching
//! `ln [H+]` only down to where the trust-limited update stops; below
//! that, the factor on the totals that puts the root there (one bracketed
//! root in `ln C_free`) says whether the totals fit at all, and the
//! nested roots are left for what neither settles.
//! Step 2 reads each stage's own totals and last root and nothing else,
//! so it runs on rayon's threads; the result does not depend on how many.
//!
//! Converged sweeps are a steady state; Newton finishes from them.
//!
//! The same balance gives a proof that no steady state exists: a
//! constant-D metal's profile does not depend on the acidity, so it is
//! exact from one linear solve, and a stage whose constant-D metals alone
//! hold `sum p_k x_k >= Q_j` leaves its aqueous no acid ([`starved`]).

use std::cell::Cell;

use ndarray::Array2;
use rayon::prelude::*;

use super::logthomas::{self, log_add, LogSystem};
use super::substitution::{pure_root, root, Outcome, Relaxation, MAX_STEP, STAGES_PER_TASK};
use crate::chemistry::log_linear::DistributionLaw;
use crate::chemistry::LogLinearKernel;

/// A log-linear cascade in the form the substitution needs (active metals
/// only, in the kernel's order of unknowns: `ln x_k`, `ln [H+]`,
/// `ln C_free`; conserved: the metals, then the acid protons).
pub(crate) struct LogLinearCascade<'a> {
    /// The stage equilibria (its continuation shift is taken as set).
    pub ker: &'a LogLinearKernel,
    /// Aqueous flows leaving each stage, L/h.
    pub aq: &'a [f64],
    /// Organic flows leaving each stage, L/h.
    pub org: &'a [f64],
    /// Aqueous links (`links[j]`: stage `j` receives the aqueous of `j + 1`).
    pub links: &'a [bool],
    /// Side-draw pass fractions (aqueous, organic), if any.
    pub pass: Option<(&'a [f64], &'a [f64])>,
    /// External inflows of the conserved quantities, mol/h, `(n, ka + 1)`.
    pub feed: &'a Array2<f64>,
}

/// Newton iterations a stage's two-unknown solve may take before the
/// bracketed roots take over.
const NEWTON2_ITERATIONS: usize = 20;

/// Largest step of the two-unknown stage Newton (in the log unknowns).
const NEWTON2_STEP: f64 = 2.0;

/// How far below `ln Q_j` the search for a stage's `ln [H+]` goes.
const H_RANGE: f64 = 200.0;

/// Largest `ln D` the bracketed sweeps' transport holds (`D` = 22,026).
/// Those sweeps run only where the fast sweeps and both continuations
/// failed, on cascades whose stages lagged transport overloads: a stage
/// whose acidity was walked toward the floor (`ln [H+]` 200 below `ln Q`,
/// pH near 87) gets a fitted `D` of up to `e^(200 slope)`, and the linear
/// transport with such ratios held hands the stage totals that no acidity
/// and no free extractant can hold (`sum p T > A Q + O C`, at the median
/// by 23 orders of magnitude on seed 2312 of the log-linear generator; see
/// docs/benchmarks.md, round 18). Capped, a strongly extracted metal
/// leaves at most `e^-10` of itself in the aqueous per unit of O/A, which
/// the Newton iterations that finish every sweep correct.
const HELD_LN_D: f64 = 10.0;

/// Lowest log factor [`StageEq::infeasible_shift`] puts on a stage's
/// totals.
const SHIFT_LOW: f64 = -60.0;

/// `Q_j` (mol/L) of every stage: acid protons plus `p_k` times each
/// metal in its aqueous, from the flows alone (see the module docs). A
/// value at or below zero leaves no room for any acid.
pub(crate) fn proton_profile(m: &LogLinearCascade<'_>) -> Vec<f64> {
    let n = m.aq.len();
    let ka = m.ker.metals();
    let (pa, po) = match m.pass {
        Some((a, o)) => (a.to_vec(), o.to_vec()),
        None => (vec![1.0; n], vec![1.0; n]),
    };
    let c = m.ker.extractant();
    let mut qa = vec![0.0; n];
    let mut from_above = 0.0;
    for j in (0..n).rev() {
        let mut inflow = m.feed[[j, ka]];
        for q in 0..ka {
            inflow += m.ker.stoichiometry(q).1 * m.feed[[j, q]];
        }
        // the organic arriving brings C per litre, the organic leaving takes it
        let org_in = if j > 0 { po[j - 1] * m.org[j - 1] } else { 0.0 };
        inflow -= c * (m.org[j] - org_in);
        let above = if m.links[j] { from_above } else { 0.0 };
        qa[j] = (above + inflow) / m.aq[j];
        from_above = pa[j] * m.aq[j] * qa[j];
    }
    qa
}

/// What every metal's exact transport needs that no sweep changes: ln of
/// the aqueous and organic flows and of each metal's feed, computed once per
/// cascade instead of once per metal and sweep, and the solve's scratch.
struct Transport {
    la: Vec<f64>,
    lo: Vec<f64>,
    /// `ln` of each metal's feed to each stage (negative infinity for none).
    lf: Vec<Vec<f64>>,
    lm: Vec<f64>,
}

impl Transport {
    fn new(m: &LogLinearCascade<'_>) -> Self {
        let n = m.aq.len();
        Transport {
            la: m.aq.iter().map(|v| v.ln()).collect(),
            lo: m.org.iter().map(|v| v.ln()).collect(),
            lf: (0..m.ker.metals())
                .map(|q| {
                    (0..n)
                        .map(|j| {
                            let f = m.feed[[j, q]];
                            if f > 0.0 {
                                f.ln()
                            } else {
                                f64::NEG_INFINITY
                            }
                        })
                        .collect()
                })
                .collect(),
            lm: vec![0.0; n],
        }
    }

    /// Metal `q`'s stage balances solved exactly with ln distribution
    /// ratios `ld` held: ln of its aqueous concentration into `lx`, ln of
    /// its organic flow per unit aqueous concentration into `lov`.
    fn solve(
        &mut self,
        m: &LogLinearCascade<'_>,
        q: usize,
        ld: &[f64],
        lov: &mut [f64],
        lx: &mut [f64],
    ) {
        for (v, (o, d)) in lov.iter_mut().zip(self.lo.iter().zip(ld)) {
            *v = o + d;
        }
        logthomas::solve_with_pass(
            LogSystem {
                lo: lov,
                lq: &self.la,
                lf: &self.lf[q],
                links: m.links,
            },
            m.pass,
            lx,
            &mut self.lm,
        );
    }
}

/// A proof that the cascade has no steady state with a positive acidity:
/// the first stage `j` whose constant-D metals alone hold at least the
/// `Q_j` its flows allow, as `(j, demand, supply)` in mol/h of protons
/// (`A_j sum p_k x_k` over the constant-D metals, and `A_j Q_j`); `None`
/// when no stage is short. Exact, not a bound: a constant-D metal's
/// stage balances are linear and do not involve the acidity, and every
/// other metal only adds to the demand.
pub(crate) fn starved(m: &LogLinearCascade<'_>) -> Option<(usize, f64, f64)> {
    let n = m.aq.len();
    let qa = proton_profile(m);
    let mut demand = vec![0.0; n];
    let (mut lov, mut lx) = (vec![0.0; n], vec![0.0; n]);
    let mut tr = Transport::new(m);
    for q in 0..m.ker.metals() {
        let p = m.ker.stoichiometry(q).1;
        if !m.ker.is_constant(q) || p <= 0.0 {
            continue;
        }
        let ld = vec![m.ker.ln_distribution(q, 0.0, 0.0).0; n];
        tr.solve(m, q, &ld, &mut lov, &mut lx);
        for j in 0..n {
            demand[j] += p * m.aq[j] * lx[j].exp();
        }
    }
    (0..n)
        .find(|&j| demand[j] >= m.aq[j] * qa[j] && demand[j] > 0.0 || qa[j] <= 0.0)
        .map(|j| (j, demand[j], m.aq[j] * qa[j]))
}

/// One stage's equilibrium for given ln totals `lt` (mol/h) of its metals.
struct StageEq<'a> {
    ker: &'a LogLinearKernel,
    j: usize,
    la: f64,
    lo: f64,
    /// `(exp(lt_k - ln A), exp(lt_k - ln O))` of each metal's ln total
    /// `lt_k` (mol/h), as [`Self::balances`] takes them.
    et: &'a [(f64, f64)],
    qa: f64,
    /// `ln C` of the total extractant.
    lc: f64,
    /// `(lr, t, s)` of each constant-D metal ([`constant_terms`]).
    fixed: &'a [(f64, f64, f64)],
    /// Whether the roots of [`Self::free`] and [`Self::shift_root`] take
    /// Newton's steps on the log of a balance's demand over its supply
    /// where the demand exceeds twice the supply (the bracketed sweeps'
    /// overloaded stages), instead of on the balance itself.
    log_steps: bool,
    /// Whether some fitted metal's `D` rises as the free extractant falls
    /// (`b1 < 0`), so that the extractant balance can turn and have a
    /// second root at little free extractant: [`Self::free`] then takes
    /// the largest root.
    turns: bool,
    /// Metal distribution ratios evaluated so far (one per metal in each
    /// evaluation of a balance): the work [`substitute`] counts against
    /// its cap.
    evals: Cell<usize>,
}

/// How far below `ln C` the searches for a stage's `ln C_free` go (the
/// free extractant's root, the stage Newton, the shift's root).
const FREE_DEPTH: f64 = 700.0;

/// First step (in `ln C_free`) of [`StageEq::free`]'s scan down from
/// `ln C` for the largest root where the extractant balance can turn;
/// each step after it doubles.
const FREE_SCAN: f64 = 0.5;

/// A balance `v = demand - supply` (slope `d`) as `ln(demand / supply)`
/// and its slope: the same sign, and the same root reached in a few
/// Newton steps where the demand is many orders of magnitude over the
/// supply ([`StageEq::log_steps`]).
fn log_over_supply(v: f64, d: f64, supply: f64) -> (f64, f64) {
    let demand = v + supply;
    ((demand / supply).ln(), d / demand)
}

/// `(lr, t, s)` of each constant-D metal at a stage with ln flows `la`,
/// `lo`: `lr = ln(O D / A)`, `t = exp(-|lr|)` and `s = 1 / (1 + t)`, which
/// the stage's balances read at every evaluation and which depend on
/// neither `ln [H+]` nor `ln C_free` (the same operations as theirs; a
/// fitted metal's entry is not read).
fn constant_terms(ker: &LogLinearKernel, la: f64, lo: f64, out: &mut [(f64, f64, f64)]) {
    for (q, v) in out.iter_mut().enumerate() {
        if ker.is_constant(q) {
            let (ld, _, _) = ker.ln_d_dosed(q, 0.0, (0.0, 0.0));
            let lr = lo + ld - la;
            let t = (-lr.abs()).exp();
            *v = (lr, t, 1.0 / (1.0 + t));
        }
    }
}

impl StageEq<'_> {
    /// `ln C_free` closing the extractant balance at `ln [H+] = lh`, with
    /// the totals scaled by `es` (the caller's `exp(sh)`, taken once for
    /// all its evaluations, as `ln C` is once a sweep); the bottom of the
    /// search, [`FREE_DEPTH`] below `ln C`, where nothing above it closes
    /// the balance (an overloaded stage: [`Self::no_root_above`] proves it
    /// in one test where Newton would walk down to it 30 e-folds a step).
    fn free(&self, lh: f64, lf0: f64, es: f64) -> f64 {
        #[cfg(test)]
        tests::FREE_ROOTS.with(|c| c.set(c.get() + 1));
        let top = self.lc;
        let c = self.ker.extractant();
        let balance = |lf: f64| {
            let (v, d) = self.extractant_balance(lh, lf, es);
            if self.log_steps && v > c {
                // `cf + sum e y` over `C`: the same sign, and at an
                // overloaded stage (`sum e y` a power of `C_free`, many
                // orders of magnitude over `C`) the same root in a few
                // steps, where Newton on the balance moves `1 / b1` e-folds
                // a step and stops at its 200 far from it
                return log_over_supply(v, d, c);
            }
            (v, d)
        };
        let bottom = top - FREE_DEPTH;
        if lf0 > bottom && self.overloaded(es) && self.no_root_above(lh, bottom, es) {
            return bottom;
        }
        let found = pure_root(lf0, bottom, top, balance);
        // the scan below is skipped where a bound proves no root above the
        // one found: most of its evaluations went there (CLI log-linear
        // 3891: 5.5 million of 7.6, 84 % of its scans from the bottom of
        // an overloaded stage's search)
        if self.turns && !self.rises_above(lh, found, es) && !self.no_root_above(lh, found, es) {
            // a root above the one found (the balance is `sum e y >= 0`
            // at `ln C`): the largest, where most of the extractant is
            // free (CLI log-linear 3265, dose slopes -0.45 and -0.43: the
            // sweeps ended at ln C_free -90 against -3.2 at the steady
            // state, and Newton broke down from there)
            let (mut hi, mut gap) = (top, FREE_SCAN);
            while top - gap > found {
                let lf = top - gap;
                if balance(lf).0 <= 0.0 {
                    return pure_root(0.5 * (lf + hi), lf, hi, balance);
                }
                hi = lf;
                gap *= 2.0;
            }
        }
        found
    }

    /// Whether the stage's totals (scaled by `es`) could load more than
    /// the extractant if all of them went to the organic, which a stage
    /// with no root of its extractant balance needs.
    fn overloaded(&self, es: f64) -> bool {
        let mut most = 0.0;
        for (&(_, eo), (.., e)) in self.et.iter().zip(self.ker.laws()) {
            most += e * eo;
        }
        most * es > self.ker.extractant()
    }

    /// Whether the extractant balance at `ln [H+] = lh` (totals scaled by
    /// `es`) rises everywhere from `ln C_free = lf` up to `ln C`, so that
    /// no root lies above one at `lf`. Its slope is `C_free + sum e y (1 -
    /// s) dlnD`, with `y (1 - s) = eo s (1 - s) <= eo / 4`, and only a
    /// falling `D` pulls it down ([`LogLinearKernel::ln_d_fall`]): it is
    /// positive where `C_free` exceeds `sum e eo fall / 4`. No evaluation
    /// of the balance, one bound per metal.
    fn rises_above(&self, lh: f64, lf: f64, es: f64) -> bool {
        let mut pull = 0.0;
        for (&(_, eo), (law, _, _, e)) in self.et.iter().zip(self.ker.laws()) {
            pull += e * eo * es * self.ker.ln_d_fall(law, lh);
        }
        lf.exp() > 0.25 * pull
    }

    /// Whether the extractant balance at `ln [H+] = lh` (totals scaled by
    /// `es`) is positive everywhere from `ln C_free = lf` up to `ln C`,
    /// where `lf` is the bottom of [`Self::free`]'s search (no root found
    /// there). A metal whose `ln D` is monotone over the range (the sign of
    /// its slope `b1 - m1 dose lh` the same at both ends: linear in the
    /// dose) loads at least its loading at one end; any other at least
    /// nothing; so `C_free(lf) - C + sum e min(y(lf), y(ln C))` positive
    /// settles it (two evaluations of each metal's `D`, where the scan for
    /// a root above takes one a step down to the bottom, eleven).
    fn no_root_above(&self, lh: f64, lf: f64, es: f64) -> bool {
        let top = self.lc;
        if lf > top - FREE_DEPTH {
            return false;
        }
        let ends = [self.ker.dose_of(lf.exp()), self.ker.dose_of(top.exp())];
        let mut held = lf.exp() - self.ker.extractant();
        let metals = self.et.iter().zip(self.ker.laws()).zip(self.fixed);
        for ((&(_, eo), (law, lc, shift, e)), &fixed) in metals {
            let eo = eo * es;
            let loaded = |lr: f64| {
                let t = (-lr.abs()).exp();
                if lr > 0.0 {
                    eo / (1.0 + t)
                } else {
                    eo * t / (1.0 + t)
                }
            };
            if let DistributionLaw::Constant(_) = law {
                held += e * loaded(fixed.0);
                continue;
            }
            let [(lo, _, d_lo), (hi, _, d_hi)] =
                ends.map(|dose| self.ker.ln_d_law(law, lc, shift, lh, dose));
            if d_lo * d_hi >= 0.0 {
                let least = lo.min(hi) + self.lo - self.la;
                held += e * loaded(least);
            }
        }
        held > 0.0
    }

    /// The extractant balance and its derivative in `ln C_free` (`F1` and
    /// `F1_f` of [`Self::balances_scaled`], the same operations, so the
    /// same bits) with the totals scaled by `es`: all that [`Self::free`]'s
    /// root reads, without the acid balance's sums and `exp(ln [H+])` (two
    /// thirds of the instructions of seed 663 of the log-linear generator
    /// are this root's evaluations).
    fn extractant_balance(&self, lh: f64, lf: f64, es: f64) -> (f64, f64) {
        self.evals.set(self.evals.get() + self.et.len());
        let (mut ey, mut ey_f) = (0.0, 0.0);
        let cf = lf.exp();
        let dose = self.ker.dose_of(cf);
        let metals = self.et.iter().zip(self.ker.laws()).zip(self.fixed);
        for ((&(_, eo), (law, lc, shift, e)), &fixed) in metals {
            let eo = eo * es;
            let (lr, t, s, df) = if let DistributionLaw::Constant(_) = law {
                (fixed.0, fixed.1, fixed.2, 0.0)
            } else {
                let (ld, _, df) = self.ker.ln_d_law(law, lc, shift, lh, dose);
                let lr = self.lo + ld - self.la;
                let t = (-lr.abs()).exp();
                (lr, t, 1.0 / (1.0 + t), df)
            };
            let (y, w1) = if lr > 0.0 {
                (eo * s, t * s)
            } else {
                (eo * t * s, s)
            };
            ey += e * y;
            ey_f += e * y * w1 * df;
        }
        (cf - self.ker.extractant() + ey, cf + ey_f)
    }

    /// The acid balance `[H+] + [HSO4-] + sum p x - Q` at `(lh, lf)` with
    /// the totals scaled by `es = exp(sh)`, and its derivatives in `lh` and
    /// in `sh`, both along the extractant balance.
    fn acid(&self, lh: f64, lf: f64, es: f64) -> (f64, f64, f64) {
        let r = self.balances_scaled(self.et, lh, lf, es);
        // d ln C_free / d lh and d sh along the extractant balance
        let (dlf_h, dlf_s) = if r[2] > 0.0 {
            (-r[1] / r[2], -r[6] / r[2])
        } else {
            (0.0, 0.0)
        };
        (r[3], r[4] + r[5] * dlf_h, r[7] + r[5] * dlf_s)
    }

    /// `(ln [H+], ln C_free)` with the totals scaled by `exp(sh)`,
    /// warm-started from `(lh0, lf0)`.
    fn solve(&self, lh0: f64, lf0: f64, sh: f64) -> (f64, f64) {
        let top = self.qa.ln();
        let es = sh.exp();
        let mut lf = lf0;
        let lh = root(lh0, top - H_RANGE, top, |lh| {
            lf = self.free(lh, lf, es);
            let (v, d, _) = self.acid(lh, lf, es);
            (v, d)
        });
        (lh, self.free(lh, lf, es))
    }

    /// Both stage balances and their partial derivatives at
    /// `(ln [H+], ln C_free)`: `[F1, F1_h, F1_f, F2, F2_h, F2_f, sum e y,
    /// sum p x]` with `F1` the extractant balance and `F2` the acid balance
    /// (mol/L). `et[k]` holds `(exp(lt_k - ln A), exp(lt_k - ln O))`, so
    /// that one `exp` per metal is left to pay.
    fn balances(&self, et: &[(f64, f64)], lh: f64, lf: f64) -> [f64; 8] {
        self.balances_scaled(et, lh, lf, 1.0)
    }

    /// [`Self::balances`] with the totals scaled by `es`: one `exp` per
    /// metal (the bracketed roots evaluate it hundreds of times per stage
    /// where lagged transport overloads it).
    fn balances_scaled(&self, et: &[(f64, f64)], lh: f64, lf: f64, es: f64) -> [f64; 8] {
        self.evals.set(self.evals.get() + et.len());
        let (mut ey, mut ey_h, mut ey_f) = (0.0, 0.0, 0.0);
        let (mut px, mut px_h, mut px_f) = (0.0, 0.0, 0.0);
        let cf = lf.exp();
        let dose = self.ker.dose_of(cf);
        for (q, (&(ea, eo), &fixed)) in et.iter().zip(self.fixed).enumerate() {
            let (ea, eo) = (ea * es, eo * es);
            // r = O D / A: x = T / (A (1 + r)), y = D x, w = r / (1 + r),
            // written so that neither r nor 1 / r overflows
            let (lr, t, s, dh, df) = if self.ker.is_constant(q) {
                (fixed.0, fixed.1, fixed.2, 0.0, 0.0)
            } else {
                let (ld, dh, df) = self.ker.ln_d_dosed(q, lh, dose);
                let lr = self.lo + ld - self.la;
                let t = (-lr.abs()).exp();
                (lr, t, 1.0 / (1.0 + t), dh, df)
            };
            let (x, y, w, w1) = if lr > 0.0 {
                (ea * t * s, eo * s, s, t * s)
            } else {
                (ea * s, eo * t * s, t * s, s)
            };
            let (e, p) = self.ker.stoichiometry(q);
            ey += e * y;
            ey_h += e * y * w1 * dh;
            ey_f += e * y * w1 * df;
            px += p * x;
            px_h -= p * x * w * dh;
            px_f -= p * x * w * df;
        }
        let c = self.ker.extractant();
        let h = lh.exp();
        let ka2 = self.ker.ka2();
        let su = self.ker.sulfate()[self.j];
        let dtot = h + su * h * ka2 / ((h + ka2) * (h + ka2));
        [
            cf - c + ey,
            ey_h,
            cf + ey_f,
            self.ker.total_acid(self.j, h) - self.qa + px,
            dtot + px_h,
            px_f,
            ey,
            px,
        ]
    }

    /// Both balances by Newton in `(ln [H+], ln C_free)` from `(lh0, lf0)`,
    /// with `ln [H+]` searched above `h_low` only. `None` when it leaves
    /// that range, meets a singular or non-finite step, or has not
    /// converged in a few iterations (the caller then asks
    /// [`Self::shift_at`] and the bracketed roots).
    fn newton2(&self, et: &[(f64, f64)], lh0: f64, lf0: f64, h_low: f64) -> Option<(f64, f64)> {
        let ftop = self.ker.extractant().ln();
        let htop = self.qa.ln();
        if !(lh0.is_finite() && lf0.is_finite()) || h_low >= htop {
            return None;
        }
        let (mut a, mut b) = (lh0.clamp(h_low, htop), lf0.min(ftop));
        for _ in 0..NEWTON2_ITERATIONS {
            let r = self.balances(et, a, b);
            // [F1_h F1_f; F2_h F2_f] (da, db) = -(F1, F2)
            let det = r[1] * r[5] - r[2] * r[4];
            let mut da = (-r[0] * r[5] + r[2] * r[3]) / det;
            let mut db = (-r[3] * r[1] + r[4] * r[0]) / det;
            if !(da.is_finite() && db.is_finite()) {
                return None;
            }
            let big = da.abs().max(db.abs());
            if big > NEWTON2_STEP {
                da *= NEWTON2_STEP / big;
                db *= NEWTON2_STEP / big;
            }
            a = (a + da).min(htop);
            b = (b + db).min(ftop);
            if a < h_low || b < ftop - FREE_DEPTH {
                return None;
            }
            if da.abs() <= 1e-11 * (1.0 + a.abs()) && db.abs() <= 1e-11 * (1.0 + b.abs()) {
                return Some((a, b));
            }
        }
        None
    }

    /// The log factor `sh` on the totals that puts the stage's root at
    /// `ln [H+] = lh`, with its `ln C_free`: the extractant balance gives
    /// `exp(sh) = (C - C_free) / sum e y`, and the acid balance then reads
    /// `(C - C_free) sum p x / sum e y = Q - [H+] - [HSO4-]`, one equation
    /// in `ln C_free` (decreasing where a larger free extractant raises
    /// every D), solved bracketed. `None` when there is no room for
    /// metal at `lh` or no root.
    fn shift_at(&self, et: &[(f64, f64)], lh: f64, lf0: f64) -> Option<(f64, f64)> {
        let c = self.ker.extractant();
        let room = self.qa - self.ker.total_acid(self.j, lh.exp());
        if room.is_nan() || room <= 0.0 {
            return None;
        }
        let ftop = c.ln() - 1e-9;
        let g = |lf: f64| {
            let r = self.balances(et, lh, lf);
            let cf = lf.exp();
            let (ey, px) = (r[6], r[7]);
            let (ey_f, px_f) = (r[2] - cf, r[5]);
            let v = (c - cf).ln() + px.ln() - ey.ln() - room.ln();
            let dv = -cf / (c - cf) + px_f / px - ey_f / ey;
            (v, dv)
        };
        let lf = pure_root(lf0, ftop - FREE_DEPTH, ftop, |lf| {
            let (v, dv) = g(lf);
            (-v, -dv)
        });
        let (v, _) = g(lf);
        if v.is_nan() || v.abs() >= 1e-8 {
            return None;
        }
        let r = self.balances(et, lh, lf);
        let sh = (c - lf.exp()).ln() - r[6].ln();
        sh.is_finite().then_some((sh, lf))
    }

    /// When the totals hold more metal than the stage's `Q` leaves room
    /// for (no root with `[H+]` in range, lagged transport can do that),
    /// the ln of the common factor on them that puts the root at
    /// `ln [H+] = lh`, at least [`SHIFT_LOW`]; 0 when they fit.
    fn infeasible_shift(&self, lh: f64, lf0: f64) -> f64 {
        let floor = self.qa.ln() - H_RANGE;
        let excess = self.acid(floor, self.free(floor, lf0, 1.0), 1.0).0;
        if excess.is_nan() || excess < 0.0 {
            return 0.0;
        }
        let lh = lh.max(floor);
        // Totals still in excess when scaled by the lowest factor: the root
        // below ends there. Where the excess is many orders of magnitude
        // (it scales as `exp(sh)`), its Newton steps are `v / v' = 1`
        // e-fold, so it walks `sh` from -1 down to the bound in 59 steps,
        // a free-extractant root each, and its test of the bound returns
        // it (log-linear 2312: 3,650 such roots, about 60 evaluations
        // each, a quarter of the bracketed sweeps' time). The same answer
        // from one evaluation; any other sign leaves the root as it was.
        let es = SHIFT_LOW.exp();
        if self.acid(lh, self.free(lh, lf0, es), es).0 >= 0.0 {
            return SHIFT_LOW;
        }
        self.shift_root(lh, lf0)
    }

    /// The root in `sh` of the acid balance at `ln [H+] = lh` along the
    /// extractant balance, in `[SHIFT_LOW, 0]`, from -1 (its free
    /// extractant's roots warm-started from `lf0`, then each from the
    /// last).
    fn shift_root(&self, lh: f64, lf0: f64) -> f64 {
        let mut lf = lf0;
        root(-1.0, SHIFT_LOW, 0.0, |sh| {
            let es = sh.exp();
            lf = self.free(lh, lf, es);
            let (v, _, d) = self.acid(lh, lf, es);
            if self.log_steps && v > self.qa {
                // the acid demand over `Q` (as in `free`: an excess that
                // scales as `exp(sh)` is walked down by one e-fold a step)
                return log_over_supply(v, d, self.qa);
            }
            (v, d)
        })
    }
}

/// Runs sweeps from `u` until the largest change of a stage's `ln [H+]` or
/// `ln C_free` falls below `tol`, `max_sweeps` are made or `relax` says
/// they stall, and leaves the substituted profile in `u` (metals absent
/// from a stage at `floor`). `resumed` is the last sweep's largest change
/// when these sweeps continue earlier ones with the same `relax` (so that
/// a pause changes nothing), infinity for a fresh start. `warm` holds each
/// stage's last root (the fast stage solves' warm start): empty for a
/// fresh start from `u`, and as the last call left it when these sweeps
/// go on from a pause, which then changes nothing either. `work` counts
/// the distribution ratios evaluated (`work.0`, added to) against a cap
/// (`work.1`): the sweep that reaches it is the last.
#[allow(clippy::too_many_arguments)]
pub(crate) fn substitute(
    m: &LogLinearCascade<'_>,
    u: &mut Array2<f64>,
    tol: f64,
    max_sweeps: usize,
    floor: f64,
    exact: bool,
    relax: &mut Relaxation,
    resumed: f64,
    warm: &mut Vec<(f64, f64)>,
    work: (&Cell<usize>, usize),
) -> Outcome {
    let n = m.aq.len();
    let ka = m.ker.metals();
    let (ih, iff) = (ka, ka + 1);
    let qa = proton_profile(m);
    let mut tr = Transport::new(m);
    let mut lh: Vec<f64> = (0..n)
        .map(|j| u[[j, ih]].min(qa[j].max(1e-300).ln()))
        .collect();
    let mut lf: Vec<f64> = (0..n).map(|j| u[[j, iff]]).collect();
    let mut lt = Array2::<f64>::zeros((n, ka));
    let (mut lx, mut lov, mut ld) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut out = Outcome {
        sweeps: 0,
        change: resumed,
    };
    let turns = m
        .ker
        .laws()
        .any(|(law, ..)| matches!(law, DistributionLaw::Fit { b1, .. } if b1 < 0.0));
    // each stage's dose terms ([`LogLinearKernel::dose_at`]), once a sweep
    let mut dose = vec![(0.0, 0.0); n];
    // each stage's last exact equilibrium (and shift): the warm start
    if warm.len() != n {
        *warm = (0..n).map(|j| (lh[j], lf[j])).collect();
    }
    let raw = warm;
    let lc = m.ker.extractant().ln();
    let held = if exact { HELD_LN_D } else { f64::INFINITY };
    while out.sweeps < max_sweeps {
        out.sweeps += 1;
        for (d, &l) in dose.iter_mut().zip(&lf) {
            *d = m.ker.dose_at(l);
        }
        for q in 0..ka {
            for j in 0..n {
                ld[j] = m.ker.ln_d_dosed(q, lh[j], dose[j]).0.min(held);
            }
            tr.solve(m, q, &ld, &mut lov, &mut lx);
            for j in 0..n {
                lt[[j, q]] = lx[j] + log_add(tr.la[j], lov[j]);
            }
        }
        // each stage's equilibrium from its own totals and last root alone
        // (the transport above is the sweep's only coupling between
        // stages), so the stages are solved in parallel: the same roots,
        // changes and evaluations on any number of threads
        let (change, evals) = lh
            .par_iter_mut()
            .zip(lf.par_iter_mut())
            .zip(raw.par_iter_mut())
            .enumerate()
            .with_min_len(STAGES_PER_TASK)
            .map_init(
                || (vec![(0.0, 0.0); ka], vec![(0.0, 0.0, 0.0); ka]),
                |(et, fixed), (j, ((lh_j, lf_j), raw_j))| {
                    if qa[j].is_nan() || qa[j] <= 0.0 {
                        return (0.0, 0);
                    }
                    for (e, &t) in et.iter_mut().zip(lt.row(j)) {
                        *e = ((t - tr.la[j]).exp(), (t - tr.lo[j]).exp());
                    }
                    constant_terms(m.ker, tr.la[j], tr.lo[j], fixed);
                    let st = StageEq {
                        ker: m.ker,
                        j,
                        la: tr.la[j],
                        lo: tr.lo[j],
                        et,
                        qa: qa[j],
                        lc,
                        fixed,
                        log_steps: exact,
                        turns,
                        evals: Cell::new(0),
                    };
                    let (h0, f0) = (*lh_j, *lf_j);
                    // the root, or where the trust-limited update stops
                    // short of it
                    let floor = qa[j].ln() - H_RANGE;
                    let target = (h0 - MAX_STEP).max(floor);
                    // the bracketed roots of both balances, and the scaled
                    // totals where there is no root above the floor
                    let nested = || {
                        let (mut h_new, mut f_new) = st.solve(h0, f0, 0.0);
                        if h_new <= floor + 1e-9 {
                            // at the bottom of the search: the totals may
                            // not fit
                            let sh = st.infeasible_shift(h0 - MAX_STEP, f0);
                            if sh < 0.0 {
                                (h_new, f_new) = st.solve(h0, f0, sh);
                            }
                        }
                        (h_new, f_new)
                    };
                    let fast = if exact {
                        None
                    } else {
                        st.newton2(et, raw_j.0, raw_j.1, target)
                    };
                    let (h_new, f_new) = match fast {
                        Some(v) => v,
                        None if exact => nested(),
                        None => match st.shift_at(et, target, raw_j.1) {
                            // the totals do not fit above the target: the
                            // update stops there, heading for the root below
                            // it if there is one
                            Some((sh, f)) if sh < 0.0 => match st.shift_at(et, floor, f) {
                                // none above the floor either (more metal
                                // than the stage's Q leaves room for; lagged
                                // transport can do that): the totals scaled
                                // down to fit
                                Some((sf, _)) if sf < 0.0 => (target, f),
                                _ => st.newton2(et, target, f, floor).unwrap_or_else(nested),
                            },
                            _ => nested(),
                        },
                    };
                    if h_new.is_finite() && f_new.is_finite() {
                        *raw_j = (h_new, f_new);
                    }
                    let mut change = 0.0f64;
                    relax.update(lh_j, lf_j, (h_new, f_new), &mut change);
                    (change, st.evals.get())
                },
            )
            .reduce(|| (0.0, 0), |a, b| (a.0.max(b.0), a.1 + b.1));
        work.0.set(work.0.get() + evals);
        if relax.after_sweep(&mut out, change, tol) || work.0.get() >= work.1 {
            break;
        }
    }
    for j in 0..n {
        u[[j, ih]] = lh[j];
        u[[j, iff]] = lf[j];
    }
    for q in 0..ka {
        for j in 0..n {
            ld[j] = m.ker.ln_distribution(q, lh[j], lf[j]).0;
        }
        tr.solve(m, q, &ld, &mut lov, &mut lx);
        for j in 0..n {
            // no floor on a finite value: a trace extracted over hundreds
            // of stages lies far below any fixed floor, and flooring it
            // breaks its balances
            u[[j, q]] = if lx[j].is_finite() { lx[j] } else { floor };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::substitution::{on_threads, same_bits};
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Free-extractant roots ([`StageEq::free`]) solved on this thread.
        pub(super) static FREE_ROOTS: Cell<usize> = const { Cell::new(0) };
    }

    /// Free-extractant roots that `f` solves.
    fn free_roots<T>(f: impl FnOnce() -> T) -> (T, usize) {
        let before = FREE_ROOTS.with(Cell::get);
        let v = f();
        (v, FREE_ROOTS.with(Cell::get) - before)
    }

    /// A stage with two fitted metals and a constant-D one, bisulfate on.
    fn kernel() -> LogLinearKernel {
        kernel_with([(0.01, 1.1), (-0.005, 0.9)])
    }

    /// [`kernel`] with the fitted metals' `(m1, b1)` given.
    fn kernel_with(fits: [(f64, f64); 2]) -> LogLinearKernel {
        let law = [
            DistributionLaw::Fit {
                m0: 1.4,
                m1: fits[0].0,
                b0: -2.5,
                b1: fits[0].1,
            },
            DistributionLaw::Fit {
                m0: 2.2,
                m1: fits[1].0,
                b0: -3.5,
                b1: fits[1].1,
            },
            DistributionLaw::Constant(0.05),
        ];
        LogLinearKernel::new(
            &law,
            &[3.0, 3.0, 2.0],
            &[3.0, 3.0, 2.0],
            20.0,
            0.0302,
            -1.99,
            vec![0.5],
            vec![1.5],
            vec![2.0],
        )
    }

    /// `(ln A, ln O)` of the test stage of [`stage`].
    fn la_lo() -> (f64, f64) {
        (1.5f64.ln(), 2.0f64.ln())
    }

    /// `(exp(lt_k - ln A), exp(lt_k - ln O))` of metal totals 0.05, 0.2
    /// and 0.01 mol/h at the test stage.
    fn stage_totals() -> Vec<(f64, f64)> {
        totals([0.05f64.ln(), 0.2f64.ln(), 0.01f64.ln()])
    }

    /// `(exp(lt_k - ln A), exp(lt_k - ln O))` of metal totals `e^lt`
    /// mol/h at the test stage.
    fn totals(lt: [f64; 3]) -> Vec<(f64, f64)> {
        let (la, lo) = la_lo();
        lt.iter()
            .map(|l| ((l - la).exp(), (l - lo).exp()))
            .collect()
    }

    /// [`constant_terms`] of the test stage.
    fn fixed_terms(ker: &LogLinearKernel) -> Vec<(f64, f64, f64)> {
        let (la, lo) = la_lo();
        let mut fixed = vec![(f64::NAN, f64::NAN, f64::NAN); ker.metals()];
        constant_terms(ker, la, lo, &mut fixed);
        fixed
    }

    /// Stage 0 of [`kernel`] with aqueous 1.5 and organic 2 L/h.
    fn stage<'a>(
        ker: &'a LogLinearKernel,
        et: &'a [(f64, f64)],
        fixed: &'a [(f64, f64, f64)],
    ) -> StageEq<'a> {
        let (la, lo) = la_lo();
        StageEq {
            ker,
            j: 0,
            la,
            lo,
            et,
            qa: 1.2,
            lc: ker.extractant().ln(),
            fixed,
            log_steps: false,
            turns: false,
            evals: Cell::new(0),
        }
    }

    /// The constant-D metal's terms taken once are those its law gives at
    /// any acidity and free extractant, bit for bit; a fitted metal's are
    /// left alone.
    #[test]
    fn constant_terms_are_the_law_s_bit_for_bit() {
        let ker = kernel();
        let fixed = fixed_terms(&ker);
        assert!(fixed[0].0.is_nan() && fixed[1].2.is_nan());
        let (la, lo) = la_lo();
        for (lh, lf) in [(-6.5, -3.3), (0.1, -0.52), (-30.0, -700.0)] {
            let lr = lo + ker.ln_distribution(2, lh, lf).0 - la;
            let t = (-lr.abs()).exp();
            let s = 1.0 / (1.0 + t);
            assert_eq!(
                (
                    fixed[2].0.to_bits(),
                    fixed[2].1.to_bits(),
                    fixed[2].2.to_bits()
                ),
                (lr.to_bits(), t.to_bits(), s.to_bits())
            );
        }
        // ln(2 x 0.05 / 1.5) < 0: t = O D / A
        assert!((fixed[2].1 - 2.0 * 0.05 / 1.5).abs() < 1e-15);
    }

    /// The extractant balance of the free extractant's root gives the bits
    /// of the full evaluation's `F1` and `F1_f`: the sweeps are chaotic
    /// where stages overload, so any rounding change would move them.
    #[test]
    fn extractant_balance_is_the_full_evaluation_bit_for_bit() {
        let (ker, et) = (kernel(), stage_totals());
        let fixed = fixed_terms(&ker);
        let st = stage(&ker, &et, &fixed);
        let mut checked = 0;
        for lh in [-30.0, -6.5, -2.0, -0.3, 0.1] {
            for lf in [-700.0, -40.0, -3.3, -1.0, -0.52] {
                // the dose from `C_free` the caller holds, as from `ln C_free`
                let (d0, l0) = ker.dose_at(lf);
                let (d1, l1) = ker.dose_of(f64::exp(lf));
                assert_eq!((d0.to_bits(), l0.to_bits()), (d1.to_bits(), l1.to_bits()));
                for sh in [-45.0, -2.0, 0.0, 0.7] {
                    let es = f64::exp(sh);
                    let r = st.balances_scaled(&et, lh, lf, es);
                    let (v, dv) = st.extractant_balance(lh, lf, es);
                    assert_eq!(v.to_bits(), r[0].to_bits(), "{lh} {lf} {sh}");
                    assert_eq!(dv.to_bits(), r[2].to_bits(), "{lh} {lf} {sh}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 100);
    }

    /// The two-unknown Newton lands on the root the bracketed roots find,
    /// and both balances hold there.
    #[test]
    fn stage_newton_matches_the_bracketed_roots() {
        let (ker, et) = (kernel(), stage_totals());
        let fixed = fixed_terms(&ker);
        let st = stage(&ker, &et, &fixed);
        let (h0, f0) = st.solve(-2.0, -1.0, 0.0);
        let floor = st.qa.ln() - H_RANGE;
        for start in [(-2.0, -1.0), (-4.0, -3.0), (0.0, -0.6)] {
            let (h, f) = st.newton2(&et, start.0, start.1, floor).expect("converges");
            assert!(
                (h - h0).abs() < 1e-8 && (f - f0).abs() < 1e-8,
                "{h} {f} vs {h0} {f0}"
            );
            let r = st.balances(&et, h, f);
            assert!(r[0].abs() < 1e-12 && r[3].abs() < 1e-12, "{r:?}");
            // the acid balance as the bracketed solve writes it
            assert!(st.acid(h, f, 1.0).0.abs() < 1e-12);
        }
        // below the root (less acid, metal extracted more) the totals leave
        // room for more (sh > 0), above it they must be scaled down
        // (sh < 0), and the scaled totals close both balances there
        for (lh, sign) in [(h0 - 1.0, 1.0), (h0 + 0.5, -1.0)] {
            let (sh, f) = st.shift_at(&et, lh, f0).expect("root");
            assert_eq!(sh.signum(), sign, "{sh}");
            let es = sh.exp();
            let scaled: Vec<(f64, f64)> = et.iter().map(|&(a, o)| (a * es, o * es)).collect();
            let r = st.balances(&scaled, lh, f);
            assert!(r[0].abs() < 1e-10 && r[3].abs() < 1e-10, "{r:?}");
        }
    }

    /// Totals in excess by many orders of magnitude even scaled by
    /// `exp(SHIFT_LOW)`: the factor is the bound, as the root's walk down
    /// to it gives bit for bit, from three free-extractant roots instead of
    /// one per e-fold; and where the scaled totals fit, the root itself.
    #[test]
    fn a_shift_past_its_bound_is_the_bound_without_the_walk() {
        let ker = kernel();
        let fixed = fixed_terms(&ker);
        for (scale, at_bound) in [(1e40, true), (1e30, true), (1e20, false), (30.0, false)] {
            let et: Vec<(f64, f64)> = stage_totals()
                .iter()
                .map(|&(a, o)| (a * scale, o * scale))
                .collect();
            let st = stage(&ker, &et, &fixed);
            let lh = st.qa.ln() - H_RANGE + 5.0;
            let (plain, walked) = free_roots(|| st.shift_root(lh, -1.0));
            let (sh, solved) = free_roots(|| st.infeasible_shift(lh, -1.0));
            assert!(sh < 0.0, "{scale}: {sh}");
            assert_eq!(sh.to_bits(), plain.to_bits(), "{scale}: {sh} vs {plain}");
            assert_eq!(sh == SHIFT_LOW, at_bound, "{scale}: {sh}");
            if at_bound {
                // the floor's excess and the bound's test; the walk: one
                // an e-fold
                assert!(solved == 2 && walked > 55, "{scale}: {solved} {walked}");
            } else {
                assert_eq!(solved, walked + 2, "{scale}");
            }
        }
    }

    /// At a stage overloaded by many orders of magnitude, the bracketed
    /// sweeps' free-extractant root on the log of the extractant's demand
    /// over its supply closes the balance, where Newton on the balance,
    /// `1 / b1` e-folds a step, stops at its 200 steps far above the root
    /// (or, nearer, reaches it late); where the demand never reaches twice
    /// the supply both are the same iteration, bit for bit.
    #[test]
    fn log_steps_close_an_overloaded_stage_s_extractant_balance() {
        let ker = kernel();
        let fixed = fixed_terms(&ker);
        let c = ker.extractant();
        let lh = -2.0;
        for (scale, plain_closes) in [(1e120, false), (1e60, true), (1.0, true)] {
            // the fitted metals' totals scaled (the constant-D one holds its
            // share of the extractant at any free extractant)
            let et: Vec<(f64, f64)> = stage_totals()
                .iter()
                .enumerate()
                .map(|(k, &(a, o))| {
                    if k < 2 {
                        (a * scale, o * scale)
                    } else {
                        (a, o)
                    }
                })
                .collect();
            let plain = stage(&ker, &et, &fixed);
            let logged = StageEq {
                log_steps: true,
                ..stage(&ker, &et, &fixed)
            };
            let (a, b) = (plain.free(lh, -1.0, 1.0), logged.free(lh, -1.0, 1.0));
            let va = plain.extractant_balance(lh, a, 1.0).0;
            let vb = logged.extractant_balance(lh, b, 1.0).0;
            assert!(vb.abs() < 1e-12 * c, "{scale}: {b} {vb}");
            if plain_closes {
                assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "{scale}: {a} {b}");
            } else {
                assert!(va > 1e20 * c && a > b + 50.0, "{scale}: {a} {va}");
            }
            if scale == 1.0 {
                assert_eq!(a.to_bits(), b.to_bits());
            }
        }
    }

    /// Where the bounds let [`StageEq::free`] skip its scan for a larger
    /// root than the one it found, there is none: from that root up to
    /// `ln C`, on 3,000 points, the extractant balance rises
    /// ([`StageEq::rises_above`]) or stays positive
    /// ([`StageEq::no_root_above`], where no root was found down to the
    /// search's bottom); and `ln D` falls no faster than
    /// [`LogLinearKernel::ln_d_fall`] at any free extractant.
    #[test]
    fn the_scan_s_bounds_hold_where_they_skip_it() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let skipped = [Cell::new(0usize), Cell::new(0)];
        let fit = (-0.05..0.05f64, -2.0..1.2f64);
        let case = (
            (fit.clone(), fit),
            (-12.0..9.0f64, -12.0..9.0f64, -12.0..9.0f64),
        );
        runner
            .run(
                &(case, -15.0..1.0f64, -700.0..0.0f64),
                |((fits, lt), lh, lf0)| {
                    let (ker, et) = (kernel_with([fits.0, fits.1]), totals([lt.0, lt.1, lt.2]));
                    let fixed = fixed_terms(&ker);
                    let st = StageEq {
                        turns: true,
                        ..stage(&ker, &et, &fixed)
                    };
                    let top = st.lc;
                    let balance = |lf: f64| st.extractant_balance(lh, lf, 1.0);
                    for (q, (law, ..)) in ker.laws().enumerate() {
                        let fall = ker.ln_d_fall(law, lh);
                        for i in 0..=50 {
                            let lf = top - 0.5 * f64::from(i);
                            let df = ker.ln_d_dosed(q, lh, ker.dose_at(lf)).2;
                            prop_assert!(-df <= fall + 1e-12, "{q} {lf}: {df} {fall}");
                        }
                    }
                    let found = pure_root(lf0, top - FREE_DEPTH, top, balance);
                    let grid = (1..=3000).map(|i| found + (top - found) * f64::from(i) / 3000.0);
                    if st.rises_above(lh, found, 1.0) {
                        skipped[0].set(skipped[0].get() + 1);
                        for lf in grid.clone() {
                            prop_assert!(balance(lf).1 > 0.0, "{lf}");
                        }
                    }
                    if st.no_root_above(lh, found, 1.0) {
                        skipped[1].set(skipped[1].get() + 1);
                        prop_assert!(balance(found).0 > 0.0);
                        for lf in grid {
                            prop_assert!(balance(lf).0 > 0.0, "{lf}");
                        }
                    }
                    Ok(())
                },
            )
            .unwrap();
        // both bounds skip the scan on a good share of the 256 stages
        let skipped = skipped.map(Cell::into_inner);
        assert!(skipped.iter().all(|&n| n > 20), "{skipped:?}");
    }

    /// An extraction section of `n` stages for the sweeps' tests: a fitted
    /// metal and a constant-D one fed with acid at the last stage, fresh
    /// organic at the first, O/A 2/1.5; its kernel, flows, links, feed and
    /// a start.
    struct Section {
        ker: LogLinearKernel,
        aq: Vec<f64>,
        org: Vec<f64>,
        links: Vec<bool>,
        feed: Array2<f64>,
        start: Array2<f64>,
    }

    impl Section {
        fn new(n: usize) -> Self {
            let (aq, org) = (vec![1.5; n], vec![2.0; n]);
            let law = [
                DistributionLaw::Fit {
                    m0: 1.4,
                    m1: 0.0,
                    b0: -2.5,
                    b1: 1.1,
                },
                DistributionLaw::Constant(0.05),
            ];
            let ker = LogLinearKernel::new(
                &law,
                &[3.0, 2.0],
                &[3.0, 2.0],
                20.0,
                0.0302,
                -1.99,
                vec![0.5; n],
                aq.clone(),
                org.clone(),
            );
            let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
            let mut feed = Array2::zeros((n, 3));
            feed[[n - 1, 0]] = 0.05;
            feed[[n - 1, 1]] = 0.01;
            feed[[n - 1, 2]] = 1.5 * 0.1;
            feed[[0, 2]] = 2.0 * ker.extractant();
            let start = Array2::from_shape_fn((n, 4), |(_, q)| match q {
                0 | 1 => -8.0,
                2 => 0.1f64.ln(),
                _ => (0.5 * ker.extractant()).ln(),
            });
            Section {
                ker,
                aq,
                org,
                links,
                feed,
                start,
            }
        }

        fn cascade(&self) -> LogLinearCascade<'_> {
            LogLinearCascade {
                ker: &self.ker,
                aq: &self.aq,
                org: &self.org,
                links: &self.links,
                pass: None,
                feed: &self.feed,
            }
        }
    }

    /// The sweeps stop at the one that reaches their cap on evaluations
    /// (`work`), counted one per metal and evaluation of a stage balance,
    /// in both the fast and the bracketed form; uncapped, the same sweeps
    /// go on, their first one counting the same work.
    #[test]
    fn sweeps_stop_at_their_cap_on_evaluations() {
        let n = 6;
        let sec = Section::new(n);
        let (m, start) = (sec.cascade(), &sec.start);
        for exact in [false, true] {
            let sweep = |cap: usize| {
                let work = Cell::new(0);
                let mut u = start.clone();
                let mut relax = Relaxation::new();
                let out = substitute(
                    &m,
                    &mut u,
                    1e-14,
                    50,
                    -700.0,
                    exact,
                    &mut relax,
                    f64::INFINITY,
                    &mut Vec::new(),
                    (&work, cap),
                );
                (out.sweeps, work.get())
            };
            let (one, first) = sweep(1);
            assert_eq!(one, 1, "exact {exact}");
            assert!(first >= 2 * n, "exact {exact}: {first}");
            let (more, all) = sweep(usize::MAX);
            assert!(more > 1 && all > first, "exact {exact}: {more} {all}");
            assert_eq!(sweep(first).0, 1, "exact {exact}");
            assert_eq!(sweep(first + 1).0, 2, "exact {exact}");
        }
    }

    /// A sweep's stage solves run in parallel, in runs of at least
    /// [`STAGES_PER_TASK`] stages: a 96-stage section's sweeps leave the
    /// same profile, bit for bit, and count the same evaluations on 1 and
    /// on 4 threads, fast and bracketed.
    #[test]
    fn sweeps_are_the_same_on_any_number_of_threads() {
        let sec = Section::new(96);
        let m = sec.cascade();
        for exact in [false, true] {
            let run = |threads: usize| {
                on_threads(threads, || {
                    let work = Cell::new(0);
                    let mut u = sec.start.clone();
                    let out = substitute(
                        &m,
                        &mut u,
                        1e-14,
                        8,
                        -700.0,
                        exact,
                        &mut Relaxation::new(),
                        f64::INFINITY,
                        &mut Vec::new(),
                        (&work, usize::MAX),
                    );
                    (u, out, work.get())
                })
            };
            let (u1, out1, work1) = run(1);
            let (u4, out4, work4) = run(4);
            assert_eq!(out1.sweeps, 8, "exact {exact}");
            assert_eq!(out1, out4, "exact {exact}");
            assert_eq!(work1, work4, "exact {exact}");
            assert!(u1 != sec.start, "exact {exact}: the sweeps moved nothing");
            assert!(same_bits(&u1, &u4), "exact {exact}");
        }
    }
}
