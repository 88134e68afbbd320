//! Phase-equilibrium models behind one trait.
//!
//! The steady-state kernel ([`crate::solver`]) sees a cascade as `N` stages,
//! each with `nv` unknowns (`u`), of which the first `nq` rows are balances of
//! quantities carried between stages by the two phases (each component, and
//! for rigorous models acid, counter-ion...). The remaining `nv - nq` rows are
//! *local* equations of a stage (equilibria that do not involve neighbours).
//! A model says how much of every conserved quantity leaves a stage in each
//! phase as a function of that stage's own unknowns, with derivatives; the
//! kernel assembles the block-tridiagonal balance
//!
//! ```text
//!   aq(u[j+1]) + org(u[j-1]) + feed[j] - aq(u[j]) - org(u[j]) = 0     (rows 0..nq)
//!   local(u[j]) = 0                                                   (rows nq..nv)
//! ```
//!
//! A new model is one new file implementing [`Equilibrium`] and declaring
//! its model-file keys (a `SCHEMA` entry), plus its spec file in `model`
//! registered in `model::models::MODELS`.

pub mod constant_d;
pub mod log_linear;
pub mod mass_action;
pub(crate) mod schema;
pub mod separation_factor;

pub use constant_d::ConstantDKernel;
pub use log_linear::LogLinearKernel;
pub use mass_action::MassActionKernel;
pub use separation_factor::SeparationFactorKernel;

/// Output buffers for one stage evaluation. Derivative buffers are row-major,
/// one row per conserved quantity (or local equation), one column per unknown,
/// and are zeroed by the kernel before each call.
#[derive(Debug)]
pub struct StageEval<'a> {
    /// Amount of each conserved quantity leaving in the aqueous phase (`nq`).
    pub aq: &'a mut [f64],
    /// Amount of each conserved quantity leaving in the organic phase (`nq`).
    pub org: &'a mut [f64],
    /// d aq / d u (`nq x nv`).
    pub d_aq: &'a mut [f64],
    /// d org / d u (`nq x nv`).
    pub d_org: &'a mut [f64],
    /// Residuals of the local equations (`nv - nq`).
    pub local: &'a mut [f64],
    /// d local / d u (`(nv - nq) x nv`).
    pub d_local: &'a mut [f64],
    /// Positive scale of each local residual, so that `local / scale` is a
    /// relative error (`nv - nq`).
    pub local_scale: &'a mut [f64],
    /// Natural logarithm of a factor by which the kernel has divided the
    /// outflows of each conserved quantity and their derivatives (`nq`;
    /// zeroed before each call). The true outflow of quantity `q` is
    /// `aq[q] * exp(ln_scale[q])`; a kernel with logarithmic unknowns uses
    /// it to report amounts far below the range of a double (a trace metal
    /// at `ln x = -800`) without underflow, and the solver then evaluates
    /// each balance relative to its largest term in logarithmic form.
    pub ln_scale: &'a mut [f64],
}

/// A phase-equilibrium model as the steady-state kernel sees it.
///
/// Implementations must be cheap to evaluate and must not allocate in
/// [`Equilibrium::eval`].
pub trait Equilibrium {
    /// Number of unknowns per stage (`nv`).
    fn unknowns(&self) -> usize;
    /// Number of conserved quantities balanced between stages (`nq <= nv`).
    fn conserved(&self) -> usize;
    /// Whether unknowns are logarithms (Newton steps are then capped in size).
    fn log_unknowns(&self) -> bool;
    /// Evaluates the outflows of 0-based stage `j` at unknowns `u` (`nv`).
    fn eval(&self, j: usize, u: &[f64], out: StageEval<'_>);

    /// The largest fraction (in `(0, 1]`) of the Newton step `du` that keeps
    /// stage `j`'s state admissible (for example, a loading within the
    /// extractant's capacity). Models without such limits keep the default.
    fn step_limit(&self, _j: usize, _u: &[f64], _du: &[f64]) -> f64 {
        1.0
    }

    /// Closes stage `j`'s local equations exactly by adjusting its local
    /// unknowns in `u` (the others held), where a model can do so cheaply
    /// and robustly; used by pseudo-transient continuation, whose implicit
    /// steps must stay on the algebraic constraints. The default leaves `u`
    /// unchanged.
    fn project(&self, _j: usize, _u: &mut [f64]) {}

    /// Whether logarithmic unknown `v` of a stage, at `x`, may fall in one
    /// Newton step by more than the cap on rises, where a solve allows it
    /// ([`crate::solver::newton::NewtonOptions::max_log_fall`]): a
    /// quantity already collapsing (the acidity of a stage titrated by a
    /// saponified organic, and its free extractant, in the mass-action
    /// model). The default allows none.
    fn falls_freely(&self, _v: usize, _x: f64) -> bool {
        false
    }

    /// Whether conserved quantity `q`'s outflows are its own unknown's
    /// exponential times factors of the stage's other unknowns alone
    /// (its [`StageEval::ln_scale`] is `u[q]`, and its `aq[q]` and
    /// `org[q]` do not read `u[q]`): at fixed other unknowns its balances
    /// over the cascade are then linear in its amounts, and where it is a
    /// trace (too little to move any other balance) they can be solved
    /// exactly ([`crate::solver::newton`]'s trace runs). A metal of the
    /// mass-action and log-linear models, and the mass-action counter-ion.
    /// The default: none.
    fn own_scaled(&self, _q: usize) -> bool {
        false
    }

    /// `ln |aq[q]|` and `ln |org[q]|` of the outflows [`Equilibrium::eval`]
    /// reports for stage `j` at `u` (`nq` each, NaN on entry), where the
    /// model has them without a logarithm (a flow times an exponential of
    /// the unknowns); entries left NaN are taken by the solver from the
    /// values. The default leaves them all.
    fn ln_outflows(&self, _j: usize, _u: &[f64], _ln_aq: &mut [f64], _ln_org: &mut [f64]) {}

    /// Whether [`Equilibrium::eval`] writes the same entries of its
    /// [`StageEval`] at every stage and point (leaving the others as they
    /// were) and [`Equilibrium::ln_outflows`] the same entries of its
    /// slices: the Newton kernel then clears its buffers (zero derivatives
    /// and `ln` scales, NaN `ln` outflows) once a solve, not before every
    /// evaluation of the cascade. The default: no.
    fn fixed_pattern(&self) -> bool {
        false
    }

    /// The rounding error of each conserved quantity's organic outflow of
    /// stage `j` at `u` as [`Equilibrium::eval`] computes it (`nq`, zero on
    /// entry; absolute, in the units of [`StageEval::org`], before its
    /// `ln_scale`), where that outflow is a difference of larger terms or
    /// an exponential of a sum of large ones, so that its rounding exceeds
    /// a few units in its own last place. Read only at the point where a
    /// Newton solve stalled, whose imbalance is then measured less the
    /// rounding of its terms (`newton::less_rounding`). The default leaves
    /// them zero.
    fn org_rounding(&self, _j: usize, _u: &[f64], _out: &mut [f64]) {}
}

/// `exp(x)` inlined ([`crate::solver::fast_exp::exp`], within about one
/// ulp of `x.exp()`; NaN for NaN), and zero where it underflows without
/// the library's slow underflow path: the rigorous kernels' stage
/// evaluations and balances take several a stage unknown, and a trace far
/// below the range of a double would take that path on every evaluation.
#[inline(always)]
pub(crate) fn exp_or_zero(x: f64) -> f64 {
    // exp(x) rounds to zero below about -745.13
    if x < -746.0 {
        0.0
    } else {
        crate::solver::fast_exp::exp(x)
    }
}

/// Root of `g` (given with its derivative) in `[lo, hi]`, where
/// `g(lo) <= 0 <= g(hi)` is expected, by Newton safeguarded with
/// bisection; returns the bracket end whose sign is wrong when the
/// bracket does not hold (the constraint is then as close as it gets).
pub(crate) fn bracketed_root(lo: f64, hi: f64, g: impl Fn(f64) -> (f64, f64)) -> f64 {
    bracketed_root_from(lo, hi, 0.5 * (lo + hi), g)
}

/// [`bracketed_root`] with its Newton iteration started at `x0` (clamped
/// into the bracket; the midpoint when not finite) rather than at the
/// midpoint: a warm start from the last value of the unknown, a few
/// evaluations instead of the bisection of a wide bracket.
pub(crate) fn bracketed_root_from(
    mut lo: f64,
    mut hi: f64,
    x0: f64,
    g: impl Fn(f64) -> (f64, f64),
) -> f64 {
    let (glo, _) = g(lo);
    if glo.is_nan() || glo >= 0.0 {
        return lo;
    }
    let (ghi, _) = g(hi);
    if ghi.is_nan() || ghi <= 0.0 {
        return hi;
    }
    let mut x = if x0.is_finite() {
        x0.clamp(lo, hi)
    } else {
        0.5 * (lo + hi)
    };
    for _ in 0..200 {
        let (v, dv) = g(x);
        if v == 0.0 || v.is_nan() {
            break;
        }
        if v < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - v / dv;
        let next = if dv > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 1e-15 * (1.0 + x.abs()) || hi - lo <= 1e-15 * (1.0 + x.abs()) {
            x = next;
            break;
        }
        x = next;
    }
    x
}

/// What [`Equilibrium::eval`] writes for stage `j` at `u`, in owned
/// vectors (tests).
#[cfg(test)]
pub(crate) struct StageOut {
    pub aq: Vec<f64>,
    pub org: Vec<f64>,
    pub d_aq: Vec<f64>,
    pub d_org: Vec<f64>,
    pub local: Vec<f64>,
    pub d_local: Vec<f64>,
    pub local_scale: Vec<f64>,
    pub ln_scale: Vec<f64>,
}

/// Evaluates stage `j` of `model` at `u` into fresh vectors (tests).
#[cfg(test)]
pub(crate) fn eval_stage<E: Equilibrium>(model: &E, j: usize, u: &[f64]) -> StageOut {
    let (nv, nq) = (model.unknowns(), model.conserved());
    let nl = nv - nq;
    let mut o = StageOut {
        aq: vec![0.0; nq],
        org: vec![0.0; nq],
        d_aq: vec![0.0; nq * nv],
        d_org: vec![0.0; nq * nv],
        local: vec![0.0; nl],
        d_local: vec![0.0; nl * nv],
        local_scale: vec![0.0; nl],
        ln_scale: vec![0.0; nq],
    };
    model.eval(
        j,
        u,
        StageEval {
            aq: &mut o.aq,
            org: &mut o.org,
            d_aq: &mut o.d_aq,
            d_org: &mut o.d_org,
            local: &mut o.local,
            d_local: &mut o.d_local,
            local_scale: &mut o.local_scale,
            ln_scale: &mut o.ln_scale,
        },
    );
    o
}

/// Test support: checks [`Equilibrium::fixed_pattern`]: over the points
/// `(j, u)`, [`Equilibrium::eval`] and [`Equilibrium::ln_outflows`] write
/// the same entries (those found changed from a sentinel every buffer
/// holds on entry), and write at least one entry of each.
#[cfg(test)]
pub(crate) fn check_fixed_pattern<E: Equilibrium>(model: &E, points: &[(usize, &[f64])]) {
    let (nv, nq) = (model.unknowns(), model.conserved());
    let nl = nv - nq;
    let sentinel = f64::from_bits(0x7ff8_dead_beef_0001);
    let written = |v: &[f64]| -> Vec<bool> {
        v.iter()
            .map(|x| x.to_bits() != sentinel.to_bits())
            .collect()
    };
    let mut first: Option<Vec<Vec<bool>>> = None;
    for &(j, u) in points {
        let mut b: Vec<Vec<f64>> = [nq, nq, nq * nv, nq * nv, nl, nl * nv, nl, nq, nq, nq]
            .iter()
            .map(|&len| vec![sentinel; len])
            .collect();
        let [aq, org, d_aq, d_org, local, d_local, local_scale, ln_scale, ln_aq, ln_org] =
            &mut b[..]
        else {
            unreachable!()
        };
        model.eval(
            j,
            u,
            StageEval {
                aq,
                org,
                d_aq,
                d_org,
                local,
                d_local,
                local_scale,
                ln_scale,
            },
        );
        model.ln_outflows(j, u, ln_aq, ln_org);
        let pattern: Vec<Vec<bool>> = b.iter().map(|v| written(v)).collect();
        for (i, p) in pattern.iter().enumerate().take(7) {
            assert!(p.iter().any(|&w| w), "buffer {i} not written at stage {j}");
        }
        match &first {
            None => first = Some(pattern),
            Some(f) => assert_eq!(f, &pattern, "another pattern at stage {j}, {u:?}"),
        }
    }
}

/// Test support: checks a model's analytic stage derivatives against central
/// differences at `u0` in stage `j`.
#[cfg(test)]
pub(crate) fn check_jacobian<E: Equilibrium>(model: &E, j: usize, u0: &[f64], tol: f64) {
    let (nv, nq) = (model.unknowns(), model.conserved());
    let nl = nv - nq;
    type Eval = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);
    let eval = |u: &[f64]| -> Eval {
        let StageOut {
            mut aq,
            mut org,
            d_aq: mut da,
            d_org: mut dor,
            local: loc,
            d_local: dl,
            ln_scale: lsc,
            ..
        } = eval_stage(model, j, u);
        // back to true outflows and derivatives
        for q in 0..nq {
            let f = lsc[q].exp();
            aq[q] *= f;
            org[q] *= f;
            for v in 0..nv {
                da[q * nv + v] *= f;
                dor[q * nv + v] *= f;
            }
        }
        (aq, org, loc, da, dor, dl)
    };
    let (_, _, _, da, dor, dl) = eval(u0);
    let eps = 1e-6;
    for v in 0..nv {
        let mut up = u0.to_vec();
        let mut um = u0.to_vec();
        up[v] += eps;
        um[v] -= eps;
        let (ap, op, lp, ..) = eval(&up);
        let (am, om, lm, ..) = eval(&um);
        let close = |fd: f64, an: f64| (fd - an).abs() <= tol * (1.0 + fd.abs());
        for q in 0..nq {
            let fa = (ap[q] - am[q]) / (2.0 * eps);
            let fo = (op[q] - om[q]) / (2.0 * eps);
            assert!(
                close(fa, da[q * nv + v]),
                "d aq[{q}]/d u[{v}]: fd {fa} vs {}",
                da[q * nv + v]
            );
            assert!(
                close(fo, dor[q * nv + v]),
                "d org[{q}]/d u[{v}]: fd {fo} vs {}",
                dor[q * nv + v]
            );
        }
        for l in 0..nl {
            let fl = (lp[l] - lm[l]) / (2.0 * eps);
            assert!(
                close(fl, dl[l * nv + v]),
                "d local[{l}]/d u[{v}]: fd {fl} vs {}",
                dl[l * nv + v]
            );
        }
    }
}
