//! Empirical log-linear distribution model fitted to laboratory data, with
//! acidity, extractant consumption and optional bisulfate speciation.
//!
//! ```text
//!   log10 D_k = (m0_k + m1_k dose) pH + B0_k + B1_k log10(dose)
//! ```
//!
//! with pH from the stage's free `[H+]` and `dose` the *free* extractant as
//! volume percent. Components without a fit take a constant D. Each metal
//! extracted binds `e_k` extractant (HA units) and releases `p_k` protons
//! (both default to its charge). In sulfate liquors the stage's acid is
//! split by `HSO4- <=> H+ + SO4^2-` (`Ka2 = 10^-1.99 mol/L`), so the
//! aqueous carries `[H+] + [HSO4-]` acid protons with
//! `[HSO4-] = S [H+] / ([H+] + Ka2)` for total sulfate `S`.
//!
//! Unknowns per stage (logarithms): `ln x_k`, `ln [H+]`, `ln C_free`
//! (mol/L); conserved: each metal and the acid protons (aqueous
//! `[H+] + [HSO4-]`, organic `C - sum p_k y_k`); local: the extractant
//! balance `C_free + sum e_k y_k = C`. Sulfate is inert and aqueous only;
//! its concentration per stage is fixed by the flows.
//!
//! # References
//! - C. K. Gupta, N. Krishnamurthy, *Extractive Metallurgy of Rare Earths*,
//!   CRC Press, 2005, ch. 4 (empirical pH-isotherm correlations for
//!   D2EHPA).
//! - K. S. Pitzer, R. N. Roy, L. F. Silvester, "Thermodynamics of
//!   electrolytes 7: sulfuric acid", *J. Am. Chem. Soc.* 99 (1977) 4930
//!   (pKa2 = 1.99 of HSO4- at 25 C).

use super::{Equilibrium, StageEval};
use std::f64::consts::LN_10;

/// Model-file keys of the log-linear model (see [`super::schema`]).
pub(crate) const SCHEMA: super::schema::ModelSchema = super::schema::ModelSchema {
    name: "log-linear",
    basis: super::schema::Basis::Volumes,
    chemistry: &[
        "d",
        "charge",
        "fit",
        "extractant_per_metal",
        "protons_per_metal",
        "dose",
        "molarity_per_percent",
        "dose_basis",
        "fixed_dose",
        "bisulfate",
        "log10_ka2",
    ],
    other: &[
        "feed.acid",
        "feed.sulfate",
        "scrub.acid",
        "scrub.sulfate",
        "strip.acid",
        "strip.sulfate",
        "units",
        "molar_mass",
    ],
};

/// One component's distribution law in kernel form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DistributionLaw {
    /// `log10 D = (m0 + m1 dose) pH + b0 + b1 log10(dose)`.
    Fit {
        /// pH slope at zero dose.
        m0: f64,
        /// pH slope change per volume percent.
        m1: f64,
        /// Intercept.
        b0: f64,
        /// log10(dose) slope.
        b1: f64,
    },
    /// Constant D.
    Constant(f64),
}

/// Kernel form of the log-linear model (volumetric flows).
#[derive(Debug, Clone)]
pub struct LogLinearKernel {
    law: Vec<DistributionLaw>,
    /// `ln D` of each constant-D metal (zero for a fit), taken once: the
    /// stage roots of the substitution evaluate every metal's law hundreds
    /// of times per stage and sweep.
    ln_const: Vec<f64>,
    shift: Vec<f64>,
    ext_per: Vec<f64>,
    protons_per: Vec<f64>,
    c_total: f64,
    molarity_per_percent: f64,
    ka2: f64,
    sulfate: Vec<f64>,
    aq_flow: Vec<f64>,
    org_flow: Vec<f64>,
    /// `ln` of `aq_flow` and `org_flow` (fixed: taken once, not on
    /// every evaluation of [`Equilibrium::ln_outflows`]).
    ln_flows: Vec<(f64, f64)>,
    fixed_dose: Option<f64>,
}

impl LogLinearKernel {
    /// Builds the kernel.
    ///
    /// - `law`: distribution law per metal;
    /// - `extractant_per_metal`, `protons_per_metal`: stoichiometry per metal;
    /// - `dose`: total extractant (volume percent), `molarity_per_percent`:
    ///   mol/L of extractant per volume percent;
    /// - `log10_ka2`: bisulfate constant; `sulfate`: total sulfate (mol/L)
    ///   in each stage's aqueous (zeros: no bisulfate equilibrium);
    /// - `aq_flow`, `org_flow`: L/h leaving each stage.
    ///
    /// ```
    /// use sxforge::chemistry::{Equilibrium, LogLinearKernel};
    /// use sxforge::chemistry::log_linear::DistributionLaw;
    /// let law = [DistributionLaw::Fit { m0: 1.0, m1: 0.0, b0: -1.0, b1: 0.0 }];
    /// let k = LogLinearKernel::new(&law, &[3.0], &[3.0], 20.0, 0.03, -1.99,
    ///                              vec![0.0], vec![1.0], vec![1.0]);
    /// assert_eq!((k.unknowns(), k.conserved()), (3, 2));
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        law: &[DistributionLaw],
        extractant_per_metal: &[f64],
        protons_per_metal: &[f64],
        dose: f64,
        molarity_per_percent: f64,
        log10_ka2: f64,
        sulfate: Vec<f64>,
        aq_flow: Vec<f64>,
        org_flow: Vec<f64>,
    ) -> Self {
        LogLinearKernel {
            law: law.to_vec(),
            ln_const: law
                .iter()
                .map(|l| match l {
                    DistributionLaw::Constant(d) => d.ln(),
                    DistributionLaw::Fit { .. } => 0.0,
                })
                .collect(),
            shift: vec![0.0; law.len()],
            ext_per: extractant_per_metal.to_vec(),
            protons_per: protons_per_metal.to_vec(),
            c_total: dose * molarity_per_percent,
            molarity_per_percent,
            ka2: 10f64.powf(log10_ka2),
            sulfate,
            ln_flows: aq_flow
                .iter()
                .zip(&org_flow)
                .map(|(a, o)| (a.ln(), o.ln()))
                .collect(),
            aq_flow,
            org_flow,
            fixed_dose: None,
        }
    }

    /// Evaluates the fits at a fixed `dose` (volume percent) in every stage
    /// instead of at the stage's free extractant (`fixed_dose = true`).
    pub fn with_fixed_dose(mut self, dose: Option<f64>) -> Self {
        self.fixed_dose = dose;
        self
    }

    /// Number of metals.
    pub fn metals(&self) -> usize {
        self.law.len()
    }

    /// Index of `ln [H+]` among the unknowns (and of the acid row).
    pub fn h_index(&self) -> usize {
        self.law.len()
    }

    /// Index of `ln C_free` (free extractant, mol/L) among the unknowns.
    pub fn free_index(&self) -> usize {
        self.law.len() + 1
    }

    /// Total extractant, mol/L.
    pub fn extractant(&self) -> f64 {
        self.c_total
    }

    /// Adds `shift[k]` to `ln D_k` (continuation parameter; zero as specified).
    pub fn set_shift(&mut self, shift: &[f64]) {
        self.shift.copy_from_slice(shift);
    }

    /// Bisulfate acid constant Ka2 (mol/L).
    pub fn ka2(&self) -> f64 {
        self.ka2
    }

    /// Total sulfate of each stage's aqueous (mol/L).
    pub fn sulfate(&self) -> &[f64] {
        &self.sulfate
    }

    /// The fastest that `ln D` of a metal with distribution law `law` can
    /// fall as `ln C_free` rises, at `ln [H+] = lh`, over every free
    /// extractant from 0 to `C`: the largest of 0 and `-(b1 - m1 dose lh)`
    /// over the doses there (linear in the dose, so at an end); 0 for a
    /// constant `D` or a fixed dose, which do not read the free extractant.
    pub(crate) fn ln_d_fall(&self, law: DistributionLaw, lh: f64) -> f64 {
        match law {
            DistributionLaw::Fit { m1, b1, .. } if self.fixed_dose.is_none() => {
                let top = self.c_total / self.molarity_per_percent;
                (-b1).max(m1 * top * lh - b1).max(0.0)
            }
            _ => 0.0,
        }
    }

    /// `ln D_k` and its derivatives in `ln [H+]` and `ln C_free`.
    #[inline]
    fn ln_d(&self, c: usize, lh: f64, lf: f64) -> (f64, f64, f64) {
        self.ln_d_dosed(c, lh, self.dose_at(lf))
    }

    /// The dose (volume percent) that the fits read at `ln C_free = lf`,
    /// and its `ln`: one `exp` and one `ln` per stage state, shared by
    /// every metal's [`Self::ln_d_dosed`] (unused with a fixed dose).
    #[inline]
    pub(crate) fn dose_at(&self, lf: f64) -> (f64, f64) {
        if self.fixed_dose.is_some() {
            return (0.0, 0.0);
        }
        let dose = lf.exp() / self.molarity_per_percent;
        (dose, dose.ln())
    }

    /// [`Self::dose_at`] from `C_free = exp(ln C_free)` where the caller
    /// has it already (the same bits, one `exp` fewer).
    #[inline]
    pub(crate) fn dose_of(&self, cf: f64) -> (f64, f64) {
        if self.fixed_dose.is_some() {
            return (0.0, 0.0);
        }
        let dose = cf / self.molarity_per_percent;
        (dose, dose.ln())
    }

    /// [`Self::ln_d`] with the dose terms of `ln C_free` given
    /// ([`Self::dose_at`]): the same values, without an `exp` and an `ln`
    /// per metal. Always inlined: the stage roots of the substitution
    /// call it once per metal in each of their evaluations (seed 663 of the
    /// log-linear generator: a sixth of its instructions were the calls).
    #[inline(always)]
    pub(crate) fn ln_d_dosed(&self, c: usize, lh: f64, dose: (f64, f64)) -> (f64, f64, f64) {
        self.ln_d_law(self.law[c], self.ln_const[c], self.shift[c], lh, dose)
    }

    /// Each metal's distribution law, `ln D` if constant, shift and
    /// extractant bound per metal extracted, in order: what
    /// [`Self::ln_d_law`] and [`Self::stoichiometry`] read, without an
    /// index (and its bounds checks) per metal.
    #[inline(always)]
    pub(crate) fn laws(&self) -> impl Iterator<Item = (DistributionLaw, f64, f64, f64)> + '_ {
        self.law
            .iter()
            .zip(&self.ln_const)
            .zip(&self.shift)
            .zip(&self.ext_per)
            .map(|(((&law, &lc), &shift), &e)| (law, lc, shift, e))
    }

    /// [`Self::ln_d_dosed`] of a metal with distribution law `law`, `ln D`
    /// `ln_const` if that is constant, and shift `shift` ([`Self::laws`]):
    /// the same operations.
    #[inline(always)]
    pub(crate) fn ln_d_law(
        &self,
        law: DistributionLaw,
        ln_const: f64,
        shift: f64,
        lh: f64,
        (dose, ln_dose): (f64, f64),
    ) -> (f64, f64, f64) {
        match law {
            DistributionLaw::Fit { m0, m1, b0, b1 } if self.fixed_dose.is_some() => {
                let dose = self.fixed_dose.unwrap_or(1.0);
                let slope = m0 + m1 * dose;
                let v = -slope * lh + LN_10 * b0 + b1 * dose.ln() + shift;
                (v, -slope, 0.0)
            }
            DistributionLaw::Fit { m0, m1, b0, b1 } => {
                let slope = m0 + m1 * dose;
                let v = -slope * lh + LN_10 * b0 + b1 * ln_dose + shift;
                (v, -slope, -m1 * dose * lh + b1)
            }
            DistributionLaw::Constant(_) => (ln_const + shift, 0.0, 0.0),
        }
    }

    /// Distribution ratio of each metal at stage state `u`.
    pub fn distribution(&self, u: &[f64], out: &mut [f64]) {
        let (lh, lf) = (u[self.h_index()], u[self.free_index()]);
        for (c, o) in out.iter_mut().enumerate() {
            *o = self.ln_d(c, lh, lf).0.exp();
        }
    }

    /// `ln D` of metal `c` at `ln [H+] = lh` and `ln C_free = lf`, with its
    /// derivatives in both (for the substitution of the solver).
    pub(crate) fn ln_distribution(&self, c: usize, lh: f64, lf: f64) -> (f64, f64, f64) {
        self.ln_d(c, lh, lf)
    }

    /// Extractant bound and protons released per metal `c` extracted.
    pub(crate) fn stoichiometry(&self, c: usize) -> (f64, f64) {
        (self.ext_per[c], self.protons_per[c])
    }

    /// Whether metal `c` has a constant D (no fit).
    pub(crate) fn is_constant(&self, c: usize) -> bool {
        matches!(self.law[c], DistributionLaw::Constant(_))
    }

    /// Acid protons in the aqueous (`[H+] + [HSO4-]`, mol/L) of stage `j`
    /// at free `[H+]` = `h`.
    pub fn total_acid(&self, j: usize, h: f64) -> f64 {
        h + self.sulfate[j] * h / (h + self.ka2)
    }
}

impl Equilibrium for LogLinearKernel {
    fn unknowns(&self) -> usize {
        self.law.len() + 2
    }
    fn conserved(&self) -> usize {
        self.law.len() + 1
    }
    fn log_unknowns(&self) -> bool {
        true
    }
    #[inline]
    fn eval(&self, j: usize, u: &[f64], out: StageEval<'_>) {
        let k = self.law.len();
        let nv = k + 2;
        let (ih, iff) = (k, k + 1);
        let aq = self.aq_flow[j];
        let o = self.org_flow[j];
        let (lh, lf) = (u[ih], u[iff]);
        let h = super::exp_or_zero(lh);
        let cf = super::exp_or_zero(lf);
        // sums over metals: p y, p y dlnD/dlh, p y dlnD/dlf, and the same with e
        let (mut py, mut py_h, mut py_f) = (0.0, 0.0, 0.0);
        let (mut ey, mut ey_h, mut ey_f) = (0.0, 0.0, 0.0);
        let dose = self.dose_at(lf);
        for c in 0..k {
            let (ld, dh, df) = self.ln_d_dosed(c, lh, dose);
            let y = super::exp_or_zero(ld + u[c]);
            // metal outflows relative to x_c (no underflow for traces)
            out.ln_scale[c] = u[c];
            out.aq[c] = aq;
            out.d_aq[c * nv + c] = aq;
            let od = o * super::exp_or_zero(ld);
            out.org[c] = od;
            let row = &mut out.d_org[c * nv..(c + 1) * nv];
            row[c] = od;
            row[ih] = od * dh;
            row[iff] = od * df;
            let (p, e) = (self.protons_per[c], self.ext_per[c]);
            py += p * y;
            py_h += p * y * dh;
            py_f += p * y * df;
            ey += e * y;
            ey_h += e * y * dh;
            ey_f += e * y * df;
            out.d_org[ih * nv + c] = -o * p * y;
            out.d_local[c] = e * y;
        }
        // acid protons
        let s = self.sulfate[j];
        let ka = self.ka2;
        let hp = h + ka;
        out.aq[ih] = aq * (h + s * h / hp);
        out.d_aq[ih * nv + ih] = aq * (h + s * h * ka / (hp * hp));
        out.org[ih] = o * (self.c_total - py);
        out.d_org[ih * nv + ih] = -o * py_h;
        out.d_org[ih * nv + iff] = -o * py_f;
        // extractant balance
        out.local[0] = cf + ey - self.c_total;
        out.local_scale[0] = self.c_total;
        out.d_local[ih] = ey_h;
        out.d_local[iff] = cf + ey_f;
    }

    /// Each metal (its outflows `x_c` times the aqueous flow and times
    /// the organic flow and `D_c`, which reads the acid and the free
    /// extractant).
    fn own_scaled(&self, q: usize) -> bool {
        q < self.law.len()
    }

    /// The same entries at every stage and point: each metal's and the
    /// acid's.
    fn fixed_pattern(&self) -> bool {
        true
    }

    /// The organic's acid protons `O (C - sum p_k y_k)`: a difference that
    /// a nearly saturated extractant makes small against `C`, each `y_k =
    /// exp(ln D_k + ln x_k)` rounded as its exponent is, to `eps` times
    /// the magnitudes summed into it (`ln x_k`, `pH` times the slope, the
    /// intercept, the dose term). Where the acid is a trace as well (the
    /// scrub stages of a start-up before its acid reaches them), that
    /// rounding is the stage's whole imbalance: CLI check log-linear 4425
    /// with every dose slope at least 0.3 (6 metals, 47 + 26 stages) held
    /// its acid rows at 1e-8 to 6e-8 of balance, Newton corrections of
    /// 1e-14, and its start-up failed every step from there.
    fn org_rounding(&self, j: usize, u: &[f64], out: &mut [f64]) {
        let k = self.law.len();
        let (lh, lf) = (u[k], u[k + 1]);
        let dose = self.dose_at(lf);
        let mut sum = self.c_total;
        for (c, &lx) in u[..k].iter().enumerate() {
            let (ld, dh, df) = self.ln_d_dosed(c, lh, dose);
            let y = super::exp_or_zero(ld + lx);
            let exponent = lx.abs()
                + ld.abs()
                + (dh * lh).abs()
                + (ld + dh * lh).abs()
                + df.abs() * (dose.1.abs() + lf.abs());
            sum += self.protons_per[c] * y * (2.0 + exponent);
        }
        out[k] = self.org_flow[j] * f64::EPSILON * sum;
    }

    /// Each metal's outflows (`aq`, `O D`) in logarithms: the stage's
    /// flows' `ln` and its dose's, instead of two `ln` a metal.
    fn ln_outflows(&self, j: usize, u: &[f64], ln_aq: &mut [f64], ln_org: &mut [f64]) {
        let k = self.law.len();
        let (lh, lf) = (u[k], u[k + 1]);
        let (la, lo) = self.ln_flows[j];
        let dose = self.dose_at(lf);
        for c in 0..k {
            ln_aq[c] = la;
            ln_org[c] = lo + self.ln_d_dosed(c, lh, dose).0;
        }
    }

    /// Solves the extractant balance for `ln C_free` with the metals and
    /// acid held. Every implicit step of the pseudo-transient continuation
    /// projects every stage, so first Newton on `ln(C_free + sum e_k y_k) =
    /// ln C` from the stage's last value (a sum of exponentials of `ln
    /// C_free` and constants: its `ln` is convex and about linear, so Newton
    /// settles in a few steps from either side, where on the balance itself
    /// it crawls down from a saturated extractant an e-fold of the largest
    /// slope at a time); the bracketed root when that does not settle
    /// (bracketed where the metals bound fall with the free extractant:
    /// all free at `C_free = C`, nothing bound near 0).
    ///
    /// Where the stage holds more than the extractant's capacity even
    /// with none free, the balance has no root. With every `D` falling
    /// or constant as the free extractant falls, its least is then the
    /// nearest to one, and `ln C_free` goes there (`C e^-700`). But a
    /// metal whose `D` rises as the free extractant falls (a dose slope
    /// `b1 < 0`, or `m1 < 0` at a positive pH) can hold more at that
    /// least than with all of it free; there the least is the farthest
    /// from a root (its `D` raised by `e^(-700 b1)`), and `ln C_free` is
    /// left as it is (a root may lie above the balance's least:
    /// [`LogLinearKernel::root_above_least`], which a failed ladder rung
    /// tries). CLI check log-linear 84193 (15 metals, Sm's `b1 =
    /// -0.28`): a ladder rung's start projected so held Sm at `e^194`
    /// times its `D` in a scrub stage, and its start-up broke down at a
    /// relative residual of 3e83; 3659 converged in 3,154 iterations
    /// (5.6 s) after its ladder failed so, 232 up the ladder now
    /// (docs/benchmarks.md, round 60).
    fn project(&self, _j: usize, u: &mut [f64]) {
        let iff = self.law.len() + 1;
        let total = |lf: f64| self.bound_total(u, lf);
        let hi = self.c_total.ln();
        let lo = hi - PROJECT_SPAN;
        let mut x = u[iff].min(hi);
        if x.is_finite() && x > lo {
            for _ in 0..PROJECT_NEWTON {
                let (v, dv) = total(x);
                let step = (hi - v.ln()) * v / dv;
                if !(step.is_finite() && dv > 0.0) {
                    break;
                }
                x = (x + step).min(hi);
                if x <= lo {
                    break;
                }
                if step.abs() <= 1e-13 * (1.0 + x.abs()) {
                    u[iff] = x;
                    return;
                }
            }
        }
        if self.least_farthest(u) {
            return;
        }
        let lf = super::bracketed_root_from(lo, hi, u[iff], |lf| {
            let (v, dv) = total(lf);
            (v - self.c_total, dv)
        });
        if lf.is_finite() {
            u[iff] = lf;
        }
    }
}

impl LogLinearKernel {
    /// `C_free + sum e_k y_k` of a stage at `u` with `ln C_free` at `lf`
    /// (the metals and the acid as `u` holds them), and its derivative in
    /// `lf`; the exponentials inlined and the dose's `ln` taken as `lf -
    /// ln(mol/L per %)`.
    #[inline]
    fn bound_total(&self, u: &[f64], lf: f64) -> (f64, f64) {
        let cf = super::exp_or_zero(lf);
        self.bound_from(u, (lf, cf), (cf, cf))
    }

    /// `sum e_k y_k` of a stage at `u`, its metals' `D` read at the
    /// stage's own `ln C_free`: the extractant they bind, mol/L.
    pub(crate) fn bound(&self, u: &[f64]) -> f64 {
        let lf = u[self.law.len() + 1];
        self.bound_from(u, (lf, super::exp_or_zero(lf)), (0.0, 0.0))
            .0
    }

    /// `from` plus `sum e_k y_k` of a stage at `u` with `ln C_free` at
    /// `lf` (`C_free = cf`), and its derivative in `lf` plus `from`'s
    /// ([`Self::bound_total`], [`Self::bound`]).
    #[inline]
    fn bound_from(&self, u: &[f64], (lf, cf): (f64, f64), from: (f64, f64)) -> (f64, f64) {
        let k = self.law.len();
        let lh = u[k];
        let mpp = self.molarity_per_percent;
        let dose = if self.fixed_dose.is_some() {
            (0.0, 0.0)
        } else {
            (cf / mpp, lf - mpp.ln())
        };
        let (mut v, mut dv) = from;
        for (c, lx) in u[..k].iter().enumerate() {
            let (ld, _, df) = self.ln_d_dosed(c, lh, dose);
            let y = self.ext_per[c] * super::exp_or_zero(ld + lx);
            v += y;
            dv += y * df;
        }
        (v, dv)
    }

    /// Whether the stage at `u` holds more than the extractant's capacity
    /// at the least free extractant [`Equilibrium::project`] brackets
    /// (`C e^-700`), and more there than with all of it free: its
    /// extractant balance has no root below that least, and the least is
    /// the farthest from one (a `D` that rises as the free extractant
    /// falls).
    fn least_farthest(&self, u: &[f64]) -> bool {
        let hi = self.c_total.ln();
        let least = self.bound_total(u, hi - PROJECT_SPAN).0;
        least >= self.c_total && least > self.bound_total(u, hi).0
    }

    /// Where [`Equilibrium::project`] leaves a stage as it is (its
    /// extractant balance has no root below the bracket's least, and a
    /// `D` that rises as the free extractant falls makes that least the
    /// farthest from one), the root above the balance's least in `ln
    /// C_free` (golden section), if the least is under the capacity: the
    /// root joined to an extractant all free. Returns whether `u` changed.
    /// A ladder rung whose start fails is tried again from the start so
    /// projected ([`crate::solver`]'s `doubled_solve`).
    pub(crate) fn root_above_least(&self, u: &mut [f64]) -> bool {
        let iff = self.law.len() + 1;
        let total = |lf: f64| self.bound_total(u, lf).0;
        if !self.least_farthest(u) {
            return false;
        }
        let hi = self.c_total.ln();
        let lo = hi - PROJECT_SPAN;
        let g = 0.5 * (5f64.sqrt() - 1.0);
        let (mut a, mut b) = (lo, hi);
        let (mut c1, mut c2) = (b - g * (b - a), a + g * (b - a));
        let (mut f1, mut f2) = (total(c1), total(c2));
        for _ in 0..LEAST_SECTIONS {
            if f1 < f2 {
                (b, c2, f2) = (c2, c1, f1);
                c1 = b - g * (b - a);
                f1 = total(c1);
            } else {
                (a, c1, f1) = (c1, c2, f2);
                c2 = a + g * (b - a);
                f2 = total(c2);
            }
        }
        let m = 0.5 * (a + b);
        let at = total(m);
        if at.is_nan() || at >= self.c_total {
            return false;
        }
        let lf = super::bracketed_root_from(m, hi, u[iff], |lf| {
            let (v, dv) = self.bound_total(u, lf);
            (v - self.c_total, dv)
        });
        if lf.is_finite() && lf != u[iff] {
            u[iff] = lf;
            return true;
        }
        false
    }
}

/// E-folds of `C_free` below the total extractant `C` that
/// [`LogLinearKernel::project`] brackets its root within.
const PROJECT_SPAN: f64 = 700.0;

/// Golden sections [`LogLinearKernel::root_above_least`] takes over the
/// [`PROJECT_SPAN`] e-folds of its bracket: 0.618^80 of them, under 1e-14.
const LEAST_SECTIONS: usize = 80;

/// Newton steps [`LogLinearKernel::project`] takes on the `ln` of the
/// extractant balance before the bracketed root takes over.
const PROJECT_NEWTON: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobian_matches_finite_differences() {
        let law = [
            DistributionLaw::Fit {
                m0: 1.2,
                m1: 0.03,
                b0: -1.5,
                b1: 0.8,
            },
            DistributionLaw::Constant(0.02),
            DistributionLaw::Fit {
                m0: 2.5,
                m1: -0.01,
                b0: -3.0,
                b1: 1.1,
            },
        ];
        let ker = three_metals(&law);
        let u0: Vec<f64> = vec![-3.0, -2.5, -4.0, -3.9, -0.7];
        super::super::check_jacobian(&ker, 0, &u0, 1e-7);
        let fixed = ker.with_fixed_dose(Some(5.0));
        super::super::check_jacobian(&fixed, 0, &u0, 1e-7);
    }

    /// The kernel writes the same entries at every point
    /// ([`Equilibrium::fixed_pattern`]), dose-dependent or fixed.
    #[test]
    fn eval_writes_a_fixed_pattern() {
        let law = [
            DistributionLaw::Fit {
                m0: 1.2,
                m1: 0.03,
                b0: -1.5,
                b1: 0.8,
            },
            DistributionLaw::Constant(0.02),
            DistributionLaw::Constant(3.0),
        ];
        let ker = three_metals(&law);
        let a: Vec<f64> = vec![-3.0, -2.5, -4.0, -3.9, -0.7];
        let b: Vec<f64> = vec![-700.0, 0.0, -30.0, -20.0, -400.0];
        for k in [ker.clone(), ker.with_fixed_dose(Some(5.0))] {
            assert!(k.fixed_pattern());
            super::super::check_fixed_pattern(&k, &[(0, &a), (0, &b)]);
        }
    }

    /// The one-stage kernel of the tests below with the laws `law`: three
    /// metals taking 3, 2, 3 extractant and releasing 3, 2, 2.5 protons,
    /// 20 % extractant at 0.0303 mol/L a percent, 0.4 mol/L sulfate
    /// (log10 Ka2 -1.99), aqueous 3 L/h and organic 2 L/h.
    fn three_metals(law: &[DistributionLaw]) -> LogLinearKernel {
        three_metals_releasing(law, &[3.0, 2.0, 2.5])
    }

    /// [`three_metals`] with the metals releasing `protons`.
    fn three_metals_releasing(law: &[DistributionLaw], protons: &[f64]) -> LogLinearKernel {
        LogLinearKernel::new(
            law,
            &[3.0, 2.0, 3.0],
            protons,
            20.0,
            0.0303,
            -1.99,
            vec![0.4],
            vec![3.0],
            vec![2.0],
        )
    }

    /// Two fits, one falling with the dose (`m1 < 0`), around a constant
    /// D.
    fn mixed_laws() -> [DistributionLaw; 3] {
        [
            DistributionLaw::Fit {
                m0: 1.2,
                m1: 0.015,
                b0: -1.5,
                b1: 1.4,
            },
            DistributionLaw::Constant(0.02),
            DistributionLaw::Fit {
                m0: 2.5,
                m1: -0.01,
                b0: -3.0,
                b1: 0.6,
            },
        ]
    }

    /// The extractant balance as `eval` states it (relative to `C`), and
    /// its derivative in `ln C_free`.
    fn extractant_residual(ker: &LogLinearKernel, u: &[f64]) -> (f64, f64) {
        let o = super::super::eval_stage(ker, 0, u);
        let nv = ker.unknowns();
        (
            o.local[0] / o.local_scale[0],
            o.d_local[nv - 1] / o.local_scale[0],
        )
    }

    /// The projection closes the extractant balance from any last value
    /// of `ln C_free` (warm, far below, at the top, not finite), on the
    /// same root as the bracketed solve, from a nearly free extractant to
    /// one all but saturated.
    #[test]
    fn projection_closes_the_extractant_balance() {
        let law = mixed_laws();
        let ker = three_metals(&law);
        let top = ker.extractant().ln();
        let mut depths = Vec::new();
        for (lx, lh) in [(-12.0, -1.0), (-4.0, -2.5), (-1.0, -5.0), (1.5, -6.0)] {
            let metals = [lx, lx - 0.5, lx + 0.3];
            let mut exact = vec![metals[0], metals[1], metals[2], lh, 0.0];
            let held = exact.clone();
            exact[4] = super::super::bracketed_root(top - 700.0, top, |lf| {
                let mut w = held.clone();
                w[4] = lf;
                extractant_residual(&ker, &w)
            });
            depths.push(top - exact[4]);
            for start in [exact[4] + 0.1, top - 300.0, top, f64::NAN] {
                let mut u = exact.clone();
                u[4] = start;
                ker.project(0, &mut u);
                assert!(
                    (u[4] - exact[4]).abs() < 1e-10 * (1.0 + exact[4].abs()),
                    "from {start}: {} vs {}",
                    u[4],
                    exact[4]
                );
                assert!(extractant_residual(&ker, &u).0.abs() < 1e-13);
            }
        }
        // the states span a free extractant from nearly all to a trace
        assert!(depths[0] < 1e-3 && depths[3] > 5.0, "{depths:?}");
    }

    /// A stage over its extractant's capacity with none free has no root
    /// of the extractant balance. Where every `D` falls or stays as the
    /// free extractant falls, the projection goes to the bracket's least
    /// (`C e^-700`), the nearest to a root; where a metal's `D` rises as
    /// it falls (`b1 < 0`) and holds more there than with all of it
    /// free, `ln C_free` is left as it was rather than sent to where that
    /// metal's `D` is `e^350` times larger.
    #[test]
    fn a_projection_with_no_root_goes_no_farther_from_one() {
        let fit = |b1: f64| DistributionLaw::Fit {
            m0: 0.0,
            m1: 0.0,
            b0: 1.0,
            b1,
        };
        let law = mixed_laws();
        let top = three_metals(&law).extractant().ln();
        let start = top - 2.0;
        for (b1, expected) in [(-0.5, start), (0.0, top - 700.0)] {
            let ker = three_metals(&[fit(b1), law[1], law[2]]);
            // La at 1 mol/L holds 3 D mol/L of HA units, D >= 10 ^ 0.35
            let mut u = vec![0.0, -6.0, -6.0, -2.0, start];
            ker.project(0, &mut u);
            assert!((u[4] - expected).abs() < 1e-9, "b1 {b1}: {}", u[4]);
            assert!(extractant_residual(&ker, &u).0 > 1.0);
        }
    }

    /// The root above the extractant balance's least: where a trace of a
    /// metal whose `D` rises as the free extractant falls (`b1 = -0.5`)
    /// overloads the stage only near none free, the balance has a root
    /// near all of it free, which [`LogLinearKernel::root_above_least`]
    /// finds; where the metal overloads the stage at every free
    /// extractant it has none and the state is left.
    #[test]
    fn the_root_above_the_least_is_the_one_joined_to_all_free() {
        let law = mixed_laws();
        let rising = DistributionLaw::Fit {
            m0: 0.0,
            m1: 0.0,
            b0: 1.0,
            b1: -0.5,
        };
        let ker = three_metals(&[rising, law[1], law[2]]);
        let top = ker.extractant().ln();
        let mut u = vec![-20.0, -30.0, -30.0, -2.0, top - 300.0];
        assert!(ker.root_above_least(&mut u));
        assert!(extractant_residual(&ker, &u).0.abs() < 1e-12);
        assert!(u[4] > top - 1e-6, "{}", u[4]);
        // La at 1 mol/L: over capacity wherever the free extractant is
        let mut u = vec![0.0, -6.0, -6.0, -2.0, top - 2.0];
        assert!(!ker.root_above_least(&mut u));
        assert_eq!(u[4], top - 2.0);
    }

    /// The rounding of the organic's acid protons `O (C - sum p y)`
    /// ([`Equilibrium::org_rounding`]): at least `eps O C` (the difference
    /// taken against `C`), of the order of `eps O C` times the exponents
    /// summed into each `y`, and none for the metals; against an
    /// extractant all but saturated, as large as that acid flow itself,
    /// whose error it bounds (the floor Newton stalls at).
    #[test]
    fn organic_acid_rounding_is_the_difference_against_the_extractant() {
        let law = mixed_laws();
        // each metal releasing the protons its extractant held
        let ker = three_metals_releasing(&law, &[3.0, 2.0, 3.0]);
        let (o, c) = (2.0, ker.extractant());
        let mut u = vec![2.0, -10.0, 2.0, -12.0, 0.0];
        ker.project(0, &mut u);
        let mut r = vec![0.0; ker.conserved()];
        ker.org_rounding(0, &u, &mut r);
        assert_eq!(&r[..3], &[0.0, 0.0, 0.0]);
        let eps_oc = f64::EPSILON * o * c;
        assert!(
            r[3] > 3.0 * eps_oc && r[3] < 300.0 * eps_oc,
            "{} eps O C",
            r[3] / eps_oc
        );
        let acid = super::super::eval_stage(&ker, 0, &u).org[3];
        // the extractant balance closed, C - sum p y is C_free: at e^-48
        // of C here, the acid computed is rounding, within the estimate
        let exact = o * u[4].exp();
        assert!(u[4] < c.ln() - 40.0, "{}", u[4]);
        assert!((acid - exact).abs() <= r[3], "{acid} vs {exact}: {}", r[3]);
        assert!(r[3] > 0.1 * acid, "{} of {acid}", r[3]);
    }
}
