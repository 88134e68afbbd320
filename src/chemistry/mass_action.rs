//! Mass-action equilibrium of an acidic organophosphorus extractant (dimer),
//! with acidity and saponification.
//!
//! Per component `k` of charge `z_k`:
//!
//! ```text
//!   M^z+ + z (HA)2(org)  <=>  M(A.HA)z(org) + z H+
//!   D_k = y_k / x_k = K_k [(HA)2]^a / [H+]^b          (ideal a = b = z = 3)
//! ```
//!
//! Saponified extractant (NH4+ or Na+ form, `NA`) exchanges its counter-ion
//! for protons:
//!
//! ```text
//!   N+ + 1/2 (HA)2(org)  <=>  NA(org) + H+,    [NA] = K_N [N+] [(HA)2]^(1/2) / [H+]
//! ```
//!
//! so that extraction from a saponified organic exchanges N+ before H+. The
//! extractant (total `C` mol/L of HA units) is conserved in the organic:
//!
//! ```text
//!   2 [(HA)2] + [NA] + sum_k 2 z_k y_k = C
//! ```
//!
//! # Unknowns and rows
//!
//! Per stage: `ln x_k` (aqueous metal, mol/L), `ln [H+]`, `ln [N+]` (only
//! when a counter-ion is present), `ln [(HA)2]`. The outflows of each
//! metal and of the counter-ion are reported relative to the stage's own
//! concentration ([`StageEval::ln_scale`]), so that traces far below the
//! range of a double (deep in a long extraction, scrub or strip section)
//! keep well-scaled balances. Conserved
//! quantities, balanced between stages: each metal, exchangeable hydrogen
//! (`H = [H+]` in the aqueous, `2 [(HA)2] + sum z_k y_k` in the organic) and
//! the counter-ion. The one local row is the extractant balance above
//! (scaled by `C`). The anion (chloride, nitrate) is inert and aqueous only:
//! its balance follows from electroneutrality, `[Cl-] = [H+] + [N+] + sum
//! z_k x_k`, and closes whenever the other rows do (see
//! [`MassActionKernel::anion`]).
//!
//! # References
//! - D. F. Peppard, G. W. Mason, J. L. Maier, W. J. Driscoll, "Fractional
//!   extraction of the lanthanides as their di-alkyl orthophosphates",
//!   *J. Inorg. Nucl. Chem.* 4 (1957) 334-343 (the dimer mechanism, slope 3).
//! - Xu Guangxian, Yuan Chengye, *Solvent Extraction of Rare Earths*, Science
//!   Press, Beijing, 1987 (saponified P507 and HCl scrub/strip practice).
//! - K. Sato, "Solvent extraction of rare earths with
//!   2-ethylhexyl phosphonic acid mono-2-ethylhexyl ester", *Hydrometallurgy*
//!   22 (1989) 121-140 (PC88A constants and slopes below 3).

use super::{Equilibrium, StageEval};

/// `ln` of the acidity (mol/L) or of the free extractant below which a
/// stage's is taken as collapsing ([`Equilibrium::falls_freely`]): 3e-7,
/// far below any acid the streams carry and the free extractant of a
/// stage with capacity to spare. Only falls from there on are capped apart
/// from the rises: with every fall of the pair freed, seeds 451 and 960 of
/// the mass-action robustness sample took 18 % more iterations, and with
/// this bound they do not (docs/benchmarks.md, round 22).
const COLLAPSED: f64 = -15.0;

/// Model-file keys of the mass-action model (see [`super::schema`]).
pub(crate) const SCHEMA: super::schema::ModelSchema = super::schema::ModelSchema {
    name: "mass-action",
    basis: super::schema::Basis::Volumes,
    chemistry: &[
        "log10_k",
        "a",
        "b",
        "charge",
        "extractant",
        "saponification",
        "counter_ion",
        "log10_k_ion",
    ],
    other: &[
        "feed.acid",
        "scrub.acid",
        "scrub.sulfate",
        "strip.acid",
        "strip.sulfate",
        "units",
        "molar_mass",
    ],
};

/// Kernel form of the mass-action model (volumetric flows).
#[derive(Debug, Clone)]
pub struct MassActionKernel {
    k: usize,
    ln_k: Vec<f64>,
    shift: Vec<f64>,
    a: f64,
    b: f64,
    z: Vec<f64>,
    c_total: f64,
    ln_k_ion: Option<f64>,
    aq_flow: Vec<f64>,
    org_flow: Vec<f64>,
    /// `ln` of `aq_flow` and `org_flow` (fixed: taken once, not on
    /// every evaluation of [`Equilibrium::ln_outflows`]).
    ln_flows: Vec<(f64, f64)>,
}

impl MassActionKernel {
    /// Builds the kernel.
    ///
    /// - `log10_k`: extraction constant of each metal (log10);
    /// - `a`, `b`: extractant and acidity slopes;
    /// - `charge`: metal charge `z_k` (protons released and extractant
    ///   dimers bound per metal extracted);
    /// - `extractant`: total extractant, mol/L of HA units in the organic;
    /// - `log10_k_ion`: counter-ion exchange constant `K_N`, or `None` when
    ///   no counter-ion is present (the counter-ion unknown and row are
    ///   then dropped);
    /// - `aq_flow`, `org_flow`: L/h leaving each stage.
    ///
    /// ```
    /// use sxforge::chemistry::{Equilibrium, MassActionKernel};
    /// let k = MassActionKernel::new(&[-2.0], 3.0, 3.0, &[3.0], 1.5, Some(-4.0),
    ///                               vec![1.0], vec![1.0]);
    /// assert_eq!((k.unknowns(), k.conserved()), (4, 3));
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        log10_k: &[f64],
        a: f64,
        b: f64,
        charge: &[f64],
        extractant: f64,
        log10_k_ion: Option<f64>,
        aq_flow: Vec<f64>,
        org_flow: Vec<f64>,
    ) -> Self {
        debug_assert_eq!(log10_k.len(), charge.len());
        debug_assert_eq!(aq_flow.len(), org_flow.len());
        MassActionKernel {
            k: log10_k.len(),
            ln_k: log10_k
                .iter()
                .map(|v| v * std::f64::consts::LN_10)
                .collect(),
            shift: vec![0.0; log10_k.len()],
            a,
            b,
            z: charge.to_vec(),
            c_total: extractant,
            ln_k_ion: log10_k_ion.map(|v| v * std::f64::consts::LN_10),
            ln_flows: aq_flow
                .iter()
                .zip(&org_flow)
                .map(|(a, o)| (a.ln(), o.ln()))
                .collect(),
            aq_flow,
            org_flow,
        }
    }

    /// Number of metals.
    pub fn metals(&self) -> usize {
        self.k
    }

    /// Whether the counter-ion is modelled (unknown `k + 1`, row `k + 1`).
    pub fn has_ion(&self) -> bool {
        self.ln_k_ion.is_some()
    }

    /// Index of `ln [H+]` among the unknowns (and of the H row).
    pub fn h_index(&self) -> usize {
        self.k
    }

    /// Index of `ln [N+]` among the unknowns, when present.
    pub fn ion_index(&self) -> Option<usize> {
        self.has_ion().then_some(self.k + 1)
    }

    /// Index of `ln [(HA)2]` (free extractant dimer) among the unknowns.
    pub fn free_index(&self) -> usize {
        self.k + 1 + usize::from(self.has_ion())
    }

    /// Adds `shift[k]` to `ln K_k` (a continuation parameter; zero for the
    /// model as specified).
    pub fn set_shift(&mut self, shift: &[f64]) {
        self.shift.copy_from_slice(shift);
    }

    /// Natural logarithms of the extraction constants in use.
    pub fn ln_k(&self) -> &[f64] {
        &self.ln_k
    }

    /// Total extractant, mol/L of HA units.
    pub fn extractant(&self) -> f64 {
        self.c_total
    }

    /// Charge of each metal.
    pub fn charge(&self) -> &[f64] {
        &self.z
    }

    /// Distribution ratio of each metal at stage state `u` (`out`: K values).
    pub fn distribution(&self, u: &[f64], out: &mut [f64]) {
        let lh = u[self.h_index()];
        let ld = u[self.free_index()];
        for ((o, lk), sh) in out.iter_mut().zip(&self.ln_k).zip(&self.shift) {
            *o = (lk + sh + self.a * ld - self.b * lh).exp();
        }
    }

    /// Counter-ion in the organic (`[NA]`, mol/L) at stage state `u`.
    pub fn organic_ion(&self, u: &[f64]) -> f64 {
        match (self.ln_k_ion, self.ion_index()) {
            (Some(lk), Some(i)) => {
                (lk + u[i] + 0.5 * u[self.free_index()] - u[self.h_index()]).exp()
            }
            _ => 0.0,
        }
    }

    /// Anion concentration (mol/L, charge equivalents) of the aqueous at
    /// stage state `u`, from electroneutrality.
    pub fn anion(&self, u: &[f64]) -> f64 {
        let mut s = u[self.h_index()].exp();
        if let Some(i) = self.ion_index() {
            s += u[i].exp();
        }
        for (z, lx) in self.z.iter().zip(&u[..self.k]) {
            s += z * lx.exp();
        }
        s
    }
}

impl Equilibrium for MassActionKernel {
    fn unknowns(&self) -> usize {
        self.k + 2 + usize::from(self.has_ion())
    }
    fn conserved(&self) -> usize {
        self.k + 1 + usize::from(self.has_ion())
    }
    fn log_unknowns(&self) -> bool {
        true
    }
    #[inline]
    fn eval(&self, j: usize, u: &[f64], out: StageEval<'_>) {
        let k = self.k;
        let nv = self.unknowns();
        let (ih, id) = (self.h_index(), self.free_index());
        let aq = self.aq_flow[j];
        let o = self.org_flow[j];
        let (lh, ld) = (u[ih], u[id]);
        let h = super::exp_or_zero(lh);
        let d = super::exp_or_zero(ld);
        let (a, b) = (self.a, self.b);
        let mut zy = 0.0;
        for c in 0..k {
            let lnd = self.ln_k[c] + self.shift[c] + a * ld - b * lh;
            let y = super::exp_or_zero(lnd + u[c]);
            zy += self.z[c] * y;
            // metal outflows relative to x_c (no underflow for traces)
            out.ln_scale[c] = u[c];
            out.aq[c] = aq;
            out.d_aq[c * nv + c] = aq;
            let od = o * super::exp_or_zero(lnd);
            out.org[c] = od;
            let row = &mut out.d_org[c * nv..(c + 1) * nv];
            row[c] = od;
            row[ih] = -b * od;
            row[id] = a * od;
            // local row: d/du_c of 2 z y
            out.d_local[c] = 2.0 * self.z[c] * y;
            // H row: d/du_c of O z y
            out.d_org[ih * nv + c] = o * self.z[c] * y;
        }
        // exchangeable hydrogen
        out.aq[ih] = aq * h;
        out.d_aq[ih * nv + ih] = aq * h;
        out.org[ih] = o * (2.0 * d + zy);
        out.d_org[ih * nv + ih] = -b * o * zy;
        out.d_org[ih * nv + id] = o * (2.0 * d + a * zy);
        // counter-ion
        let mut so = 0.0;
        if let (Some(lk), Some(i_n)) = (self.ln_k_ion, self.ion_index()) {
            // outflows relative to [N+]: it falls far below the range of a
            // double deep in the scrub and strip sections
            let ln_g = lk + 0.5 * ld - lh;
            let g = super::exp_or_zero(ln_g);
            so = super::exp_or_zero(ln_g + u[i_n]);
            out.ln_scale[i_n] = u[i_n];
            out.aq[i_n] = aq;
            out.d_aq[i_n * nv + i_n] = aq;
            out.org[i_n] = o * g;
            let row = &mut out.d_org[i_n * nv..(i_n + 1) * nv];
            row[i_n] = o * g;
            row[ih] = -o * g;
            row[id] = 0.5 * o * g;
            out.d_local[i_n] = so;
        }
        // extractant balance (local)
        out.local[0] = 2.0 * d + so + 2.0 * zy - self.c_total;
        out.local_scale[0] = self.c_total;
        out.d_local[ih] = -so - 2.0 * b * zy;
        out.d_local[id] = 2.0 * d + 0.5 * so + 2.0 * a * zy;
    }

    /// Each metal's outflows (`aq`, `O D`), the aqueous acid (`aq [H+]`)
    /// and the counter-ion's (`aq`, `O K_N [(HA)2]^(1/2) / [H+]`) in
    /// logarithms: two `ln` a stage instead of two an outflow.
    fn ln_outflows(&self, j: usize, u: &[f64], ln_aq: &mut [f64], ln_org: &mut [f64]) {
        let (ih, id) = (self.h_index(), self.free_index());
        let (lh, ld) = (u[ih], u[id]);
        let (la, lo) = self.ln_flows[j];
        let (a, b) = (self.a, self.b);
        for c in 0..self.k {
            ln_aq[c] = la;
            ln_org[c] = lo + (self.ln_k[c] + self.shift[c] + a * ld - b * lh);
        }
        ln_aq[ih] = la + lh;
        if let (Some(lk), Some(i_n)) = (self.ln_k_ion, self.ion_index()) {
            ln_aq[i_n] = la;
            ln_org[i_n] = lo + (lk + 0.5 * ld - lh);
        }
    }

    /// Solves the extractant balance for `ln [(HA)2]` (monotone in it)
    /// with the metals, acid and counter-ion held.
    fn project(&self, _j: usize, u: &mut [f64]) {
        let (ih, id) = (self.h_index(), self.free_index());
        let lh = u[ih];
        let (a, b) = (self.a, self.b);
        let ion = match (self.ln_k_ion, self.ion_index()) {
            (Some(lk), Some(i)) => Some(lk + u[i] - lh),
            _ => None,
        };
        let g = |ld: f64| -> (f64, f64) {
            let d = ld.exp();
            let (mut v, mut dv) = (2.0 * d - self.c_total, 2.0 * d);
            if let Some(l) = ion {
                let so = (l + 0.5 * ld).exp();
                v += so;
                dv += 0.5 * so;
            }
            for (c, lx) in u[..self.k].iter().enumerate() {
                let y = (self.ln_k[c] + self.shift[c] + a * ld - b * lh + lx).exp();
                v += 2.0 * self.z[c] * y;
                dv += 2.0 * self.z[c] * a * y;
            }
            (v, dv)
        };
        let hi = (0.5 * self.c_total).ln();
        let ld = super::bracketed_root(hi - 700.0, hi, g);
        if ld.is_finite() {
            u[id] = ld;
        }
    }

    /// `ln [H+]` and `ln [(HA)2]` below [`COLLAPSED`]: where a saponified
    /// organic meets the acid, a stage's acidity is titrated away and the
    /// two fall together (`b / a` e-folds of the free extractant for one of
    /// the acid, each metal's `D` kept) by tens of e-folds.
    fn falls_freely(&self, v: usize, x: f64) -> bool {
        x < COLLAPSED && (v == self.h_index() || v == self.free_index())
    }

    /// Each metal (its outflows `x_c` times the aqueous flow and times
    /// the organic flow and `D_c`, which reads the acid and the free
    /// extractant) and the counter-ion (likewise `[N+]`).
    fn own_scaled(&self, q: usize) -> bool {
        q < self.k || Some(q) == self.ion_index()
    }

    /// The same entries at every stage and point: each metal's, the acid's
    /// and (with the counter-ion, fixed for the kernel) the counter-ion's.
    fn fixed_pattern(&self) -> bool {
        true
    }

    /// Keeps the extractant bound by metals, `2 sum z_k y_k`, below 99 % of
    /// the total along the step: beyond capacity the extractant balance can
    /// only close with the free extractant at zero, where Newton stalls.
    fn step_limit(&self, _j: usize, u: &[f64], du: &[f64]) -> f64 {
        let (ih, id) = (self.h_index(), self.free_index());
        let cap = 0.99 * self.c_total;
        // each metal's slope `s_c` and `ln y_c` at the start of the step,
        // which no point of the step changes
        let term = |c: usize| {
            let s = du[c] + self.a * du[id] - self.b * du[ih];
            let ly = self.ln_k[c] + self.shift[c] + self.a * u[id] - self.b * u[ih] + u[c];
            (s, ly)
        };
        // the largest slope first: with none growing (s_max <= 0) the step
        // is admissible whatever bound(0) is (every return below is then 1
        // too), so bound(0)'s k `exp`s are not taken
        let s_max = (0..self.k)
            .map(|c| du[c] + self.a * du[id] - self.b * du[ih])
            // NaN (a broken step) leaves the test below to bound(1)
            .fold(f64::NEG_INFINITY, |m, v| {
                if m.is_nan() || v.is_nan() {
                    f64::NAN
                } else {
                    m.max(v)
                }
            });
        if s_max <= 0.0 {
            return 1.0;
        }
        let f0 = bound(&self.z, (0..self.k).map(term), 0.0);
        if f0 >= cap {
            return 1.0;
        }
        // bound(1) <= exp(max_c s_c) bound(0): one `exp` settles the usual
        // step, far inside the capacity, without the k of bound(1) (with a
        // margin for rounding, and for terms of bound(0) that underflow)
        if s_max < 600.0 && f0 * s_max.exp() <= cap * (1.0 - 1e-12) {
            return 1.0;
        }
        // the terms once for the bisection's 41 points (the same values
        // as computed afresh at each), on the stack for every cascade the
        // model checks admit (at most `MAX_COMPONENTS` metals): the Newton
        // kernel allocates nothing; a kernel built by hand with more
        // metals takes them on the heap
        let mut stack = [(0.0, 0.0); crate::cascade::MAX_COMPONENTS];
        let heap: Vec<(f64, f64)>;
        let terms: &[(f64, f64)] = if self.k <= stack.len() {
            for (c, t) in stack[..self.k].iter_mut().enumerate() {
                *t = term(c);
            }
            &stack[..self.k]
        } else {
            heap = (0..self.k).map(term).collect();
            &heap
        };
        if bound(&self.z, terms.iter().copied(), 1.0) <= cap {
            return 1.0;
        }
        // bisection on the convex bound: the first t where it reaches `cap`;
        // its midpoints outside the bracket are decided without the k
        // `exp`s of the bound ([`capacity_bracket`])
        first_reach(
            &self.z,
            terms,
            cap,
            capacity_bracket(&self.z, terms, f0, cap),
        )
        .max(1e-3)
    }
}

/// The capacity bound of [`MassActionKernel::step_limit`] at `t`,
/// `sum_c 2 z_c y_c exp(t s_c)` (`terms` the `(s_c, ln y_c)`), convex in `t`.
fn bound(z: &[f64], terms: impl Iterator<Item = (f64, f64)>, t: f64) -> f64 {
    let mut f = 0.0;
    for ((s, ly), &z) in terms.zip(z) {
        f += 2.0 * z * super::exp_or_zero(ly + t * s);
    }
    f
}

/// The bisection of [`MassActionKernel::step_limit`] (40 halvings of
/// `[0, 1]`, the lower end kept where the bound is at most `cap`), its
/// midpoints at or under `below` taken as under and those at or over
/// `above` as over without the bound ([`capacity_bracket`]; `(-inf, inf)`
/// computes it at every midpoint).
fn first_reach(z: &[f64], terms: &[(f64, f64)], cap: f64, (below, above): (f64, f64)) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        let under = if mid <= below {
            true
        } else if mid >= above {
            false
        } else {
            bound(z, terms.iter().copied(), mid) <= cap
        };
        if under {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Relative margin from `cap` at which [`capacity_bracket`] takes a
/// computed bound as certainly under or over it: far above the rounding
/// of the bound's terms (a relative 2e-12 at most for the exponents it
/// admits), far below the resolution the bisection needs.
const BRACKET_MARGIN: f64 = 1e-10;

/// Points `(below, above)` of `[0, 1]` around the first `t` at which the
/// capacity bound `B(t) = sum_c 2 z_c exp(ly_c + t s_c)` reaches `cap`
/// (`terms` the `(s_c, ly_c)`, `f0 = B(0)` as computed), such that the
/// computed bound is under `cap` at every `t <= below` and over it at
/// every `t >= above`: what [`MassActionKernel::step_limit`]'s bisection
/// would find there, known without computing it. `B` is convex (the `z_c`
/// positive), so with `B(0)` and `B(below)` at least `BRACKET_MARGIN`
/// under `cap` so is every point between (the chord), and with `B(above)`
/// that much over it so is every point beyond (the chord from 0 rises);
/// the margin is 50 times the rounding of a computed bound (each term's
/// exponent within `|ly| + |s| <= 1e4`, 2e-12 relative), so the computed
/// bound at those points compares with `cap` as the exact one does. The
/// points come from Newton on `ln B` (convex too: a log-sum-exp), started
/// at 1, which stays above the crossing and reaches it in a few steps.
/// `(-inf, inf)` (nothing known) where these conditions do not hold.
fn capacity_bracket(z: &[f64], terms: &[(f64, f64)], f0: f64, cap: f64) -> (f64, f64) {
    let none = (f64::NEG_INFINITY, f64::INFINITY);
    let lo_cap = cap * (1.0 - BRACKET_MARGIN);
    let hi_cap = cap * (1.0 + BRACKET_MARGIN);
    // (false on any NaN)
    let usable = f0 <= lo_cap
        && cap > 0.0
        && z.iter().take(terms.len()).all(|&z| z > 0.0)
        && terms.iter().all(|&(s, ly)| s.abs() + ly.abs() <= 1e4);
    if !usable {
        return none;
    }
    // the bound (summed as `step_limit`'s `bound`) and its slope
    let eval = |t: f64| {
        let (mut f, mut df) = (0.0, 0.0);
        for (&(s, ly), &z) in terms.iter().zip(z) {
            let e = super::exp_or_zero(ly + t * s);
            f += 2.0 * z * e;
            df += 2.0 * z * s * e;
        }
        (f, df)
    };
    let newton = |t: f64, f: f64, df: f64, level: f64| t - (f.ln() - level.ln()) * (f / df);
    let mut above = f64::INFINITY;
    let (mut t, (mut f, mut df)) = (1.0, eval(1.0));
    for _ in 0..8 {
        if !(f >= hi_cap && f.is_finite() && df > 0.0 && df.is_finite()) {
            break;
        }
        above = t;
        let next = newton(t, f, df, cap);
        if !(next > 0.0 && next < t) {
            break;
        }
        t = next;
        (f, df) = eval(t);
    }
    if !above.is_finite() {
        return none;
    }
    // a Newton step from the last point aimed at 4 margins under `cap`
    let mut below = f64::NEG_INFINITY;
    if f.is_finite() && f > 0.0 && df > 0.0 && df.is_finite() {
        let ta = newton(t, f, df, cap * (1.0 - 4.0 * BRACKET_MARGIN));
        if ta > 0.0 && ta < above && eval(ta).0 <= lo_cap {
            below = ta;
        }
    }
    (below, above)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The capacity limit's bisection decided in part by the bracket
    /// ([`capacity_bracket`]) ends where the bisection computing the bound
    /// at every midpoint does, bit for bit, over bounds of one to nine
    /// metals from far under to far over the capacity (slopes to 600,
    /// traces down to `ln y` -700), and the bracket holds: the computed
    /// bound is under `cap` at and under `below` and over it at and over
    /// `above`.
    #[test]
    fn capacity_bisection_is_unchanged_by_its_bracket() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut bracketed, mut narrow) = (0, 0);
        for case in 0..20_000 {
            let k = 1 + case % 9;
            let cap = 0.05 + 2.0 * next();
            let z: Vec<f64> = (0..k)
                .map(|_| [1.0, 2.0, 3.0][(next() * 3.0) as usize])
                .collect();
            let terms: Vec<(f64, f64)> = (0..k)
                .map(|_| {
                    let s = (next() - 0.3) * [2.0, 20.0, 200.0, 1200.0][(next() * 4.0) as usize];
                    let ly = if next() < 0.2 {
                        -700.0 * next()
                    } else {
                        (cap / 6.0).ln() + 4.0 * (next() - 0.8)
                    };
                    (s, ly)
                })
                .collect();
            let f0 = bound(&z, terms.iter().copied(), 0.0);
            if f0.is_nan() || f0 >= cap || bound(&z, terms.iter().copied(), 1.0) <= cap {
                continue;
            }
            let br = capacity_bracket(&z, &terms, f0, cap);
            let plain = first_reach(&z, &terms, cap, (f64::NEG_INFINITY, f64::INFINITY));
            let fast = first_reach(&z, &terms, cap, br);
            assert_eq!(plain.to_bits(), fast.to_bits(), "case {case}: {br:?}");
            if br.1.is_finite() {
                bracketed += 1;
                assert!(bound(&z, terms.iter().copied(), br.1) > cap);
                assert!(bound(&z, terms.iter().copied(), 0.5 * (br.1 + 1.0)) > cap);
            }
            if br.0.is_finite() {
                assert!(br.0 < br.1);
                assert!(bound(&z, terms.iter().copied(), br.0) <= cap);
                assert!(bound(&z, terms.iter().copied(), 0.5 * br.0) <= cap);
                if br.1 - br.0 < 1e-6 {
                    narrow += 1;
                }
            }
        }
        // the bracket is found, and tight, for most of them
        assert!(bracketed > 5_000 && narrow > 4_000, "{bracketed} {narrow}");
    }

    /// Three metals (two trivalent, one divalent), slopes 2.6 and 2.4,
    /// 1.2 mol/L of extractant, with the counter-ion `ion` (its `log10
    /// K`) and the stages' aqueous and organic flows.
    fn three_metals(ion: Option<f64>, aq: Vec<f64>, org: Vec<f64>) -> MassActionKernel {
        MassActionKernel::new(
            &[-2.0, -1.3, 0.4],
            2.6,
            2.4,
            &[3.0, 3.0, 2.0],
            1.2,
            ion,
            aq,
            org,
        )
    }

    /// The kernel writes the same entries at every stage and point
    /// ([`Equilibrium::fixed_pattern`]), with and without the counter-ion,
    /// from loaded to trace metals and a collapsed acid.
    #[test]
    fn eval_writes_a_fixed_pattern() {
        for ion in [None, Some(-3.5)] {
            let ker = three_metals(ion, vec![3.0, 1.0], vec![2.0, 4.0]);
            assert!(ker.fixed_pattern());
            let nv = ker.unknowns();
            let a: Vec<f64> = (0..nv).map(|i| -1.0 - 0.37 * i as f64).collect();
            let b: Vec<f64> = (0..nv).map(|i| -800.0 + 40.0 * i as f64).collect();
            let c = vec![0.0; nv];
            super::super::check_fixed_pattern(&ker, &[(0, &a), (1, &b), (1, &c), (0, &b)]);
        }
    }

    /// Analytic Jacobian against central differences at a random-ish point.
    #[test]
    fn jacobian_matches_finite_differences() {
        for ion in [None, Some(-3.5)] {
            let ker = three_metals(ion, vec![3.0], vec![2.0]);
            let mut u0: Vec<f64> = (0..ker.unknowns())
                .map(|i| -1.0 - 0.37 * i as f64)
                .collect();
            if let Some(i) = ker.ion_index() {
                u0[i] = 0.3f64.ln();
            }
            super::super::check_jacobian(&ker, 0, &u0, 1e-7);
        }
    }
}
