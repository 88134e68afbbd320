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
//! A new model is one new file implementing [`Equilibrium`].

pub mod constant_d;
pub mod log_linear;
pub mod mass_action;
pub mod reagents;
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
}
