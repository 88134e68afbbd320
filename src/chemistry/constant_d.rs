//! Constant distribution ratios: `y_k = D_k x_k`, one set of D per section.
//!
//! Unknowns are the aqueous concentrations `x_jk` (mol/L), so the stage
//! balances are linear and one Newton step solves them exactly.
//!
//! # References
//! - A. Kremser, "Theoretical analysis of absorption process", *National
//!   Petroleum News* 22 (1930) 43-49 (the closed form used in the tests).
//! - R. E. Treybal, *Liquid Extraction*, 2nd ed., McGraw-Hill, 1963, ch. 6.

use super::{Equilibrium, StageEval};

/// Model-file keys of the constant-D model (see [`super::schema`]).
pub(crate) const SCHEMA: super::schema::ModelSchema = super::schema::ModelSchema {
    name: "constant-d",
    basis: super::schema::Basis::Volumes,
    chemistry: &["d", "extraction", "scrub", "strip"],
    other: &[],
};

/// Kernel form of the constant-D model: per-stage flows and distribution
/// ratios.
#[derive(Debug, Clone)]
pub struct ConstantDKernel {
    k: usize,
    aq_flow: Vec<f64>,
    org_flow: Vec<f64>,
    /// D per stage and component, row-major `N x K`.
    d: Vec<f64>,
}

impl ConstantDKernel {
    /// Builds the kernel from aqueous and organic volumetric flows leaving
    /// each stage (L/h) and distribution ratios (`N x K`, row-major).
    pub fn new(k: usize, aq_flow: Vec<f64>, org_flow: Vec<f64>, d: Vec<f64>) -> Self {
        debug_assert_eq!(aq_flow.len(), org_flow.len());
        debug_assert_eq!(d.len(), aq_flow.len() * k);
        ConstantDKernel {
            k,
            aq_flow,
            org_flow,
            d,
        }
    }
}

impl Equilibrium for ConstantDKernel {
    fn unknowns(&self) -> usize {
        self.k
    }
    fn conserved(&self) -> usize {
        self.k
    }
    fn log_unknowns(&self) -> bool {
        false
    }
    #[inline]
    fn eval(&self, j: usize, u: &[f64], out: StageEval<'_>) {
        let k = self.k;
        let a = self.aq_flow[j];
        let o = self.org_flow[j];
        let d = &self.d[j * k..(j + 1) * k];
        for c in 0..k {
            out.aq[c] = a * u[c];
            out.org[c] = o * d[c] * u[c];
            out.d_aq[c * k + c] = a;
            out.d_org[c * k + c] = o * d[c];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobian_matches_finite_differences() {
        let ker =
            ConstantDKernel::new(2, vec![3.0, 5.0], vec![2.0, 2.0], vec![0.5, 4.0, 0.1, 0.02]);
        super::super::check_jacobian(&ker, 1, &[0.3, 1e-3], 1e-7);
    }
}
