//! Xu's constant-flow (constant mixed extraction ratio) model.
//!
//! Works in rare-earth amounts per unit time. Every stage's organic RE
//! outflow `O_j` is prescribed; the RE in a stage splits between the phases
//! with `o_k / a_k = lambda_j beta_k`, so with the aqueous outflows `a_k` as
//! unknowns the organic is explicit:
//!
//! ```text
//!   o_k = O_j beta_k a_k / sum_i beta_i a_i
//! ```
//!
//! The kernel's unknowns are `u_k = ln a_k`, which keeps trace components
//! (1e-30 of the feed and below) at full relative accuracy.
//!
//! # References
//! - Xu Guangxian (G.-X. Xu), *Rare Earths* (2nd ed.), Metallurgical Industry
//!   Press, Beijing, 1995, vol. 1, ch. 13: theory of countercurrent extraction.
//! - Xu G.-X., Yuan C.-Y., *Solvent Extraction of Rare Earths*, Science Press,
//!   Beijing, 1987.

use super::{Equilibrium, StageEval};

/// Model-file keys of the separation-factor model (see [`super::schema`]).
pub(crate) const SCHEMA: super::schema::ModelSchema = super::schema::ModelSchema {
    name: "separation-factor",
    basis: super::schema::Basis::Amounts,
    chemistry: &["beta"],
    other: &[],
};

/// Kernel form of the separation-factor model.
#[derive(Debug, Clone)]
pub struct SeparationFactorKernel {
    beta: Vec<f64>,
    org_flow: Vec<f64>,
}

impl SeparationFactorKernel {
    /// Builds the kernel from the components' relative extractabilities and
    /// the organic RE outflow of each stage.
    pub fn new(beta: Vec<f64>, org_flow: Vec<f64>) -> Self {
        SeparationFactorKernel { beta, org_flow }
    }

    /// Replaces the extractabilities (used by the continuation in beta).
    pub fn set_beta(&mut self, beta: &[f64]) {
        self.beta.copy_from_slice(beta);
    }

    /// Sets the extractabilities of the continuation's path, `beta_k =
    /// exp(s lb_k)` (the arclength on the general kernel, more components
    /// than the specialised kernels take).
    pub(crate) fn set_path(&mut self, lb: &[f64], s: f64) {
        for (b, l) in self.beta.iter_mut().zip(lb) {
            *b = (s * l).exp();
        }
    }

    /// The extractabilities in use.
    pub fn beta(&self) -> &[f64] {
        &self.beta
    }
}

impl Equilibrium for SeparationFactorKernel {
    fn unknowns(&self) -> usize {
        self.beta.len()
    }
    fn conserved(&self) -> usize {
        self.beta.len()
    }
    fn log_unknowns(&self) -> bool {
        true
    }
    #[inline]
    fn eval(&self, j: usize, u: &[f64], out: StageEval<'_>) {
        let k = self.beta.len();
        let o_tot = self.org_flow[j];
        let mut sum = 0.0;
        for (c, uc) in u.iter().enumerate().take(k) {
            let a = uc.exp();
            out.aq[c] = a;
            let w = self.beta[c] * a;
            // keep beta*a in `org` for now; normalised below
            out.org[c] = w;
            sum += w;
        }
        let inv = 1.0 / sum;
        // w_i = beta_i a_i / sum; o_k = O w_k; d o_k / d u_i = o_k (delta_ki - w_i)
        for c in 0..k {
            out.org[c] *= inv; // w_c
        }
        for c in 0..k {
            let wc = out.org[c];
            let oc = o_tot * wc;
            out.d_aq[c * k + c] = out.aq[c];
            let row = &mut out.d_org[c * k..(c + 1) * k];
            for (i, r) in row.iter_mut().enumerate() {
                *r = -oc * out.org[i];
            }
            row[c] += oc;
        }
        for c in 0..k {
            out.org[c] *= o_tot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobian_matches_finite_differences() {
        let ker = SeparationFactorKernel::new(vec![1.0, 1.5, 4.0, 0.7], vec![2.5, 1.3]);
        // amounts from majors to traces (ln a from 0.2 down to -60)
        super::super::check_jacobian(&ker, 0, &[0.2, -1.0, -25.0, -60.0], 1e-7);
        super::super::check_jacobian(&ker, 1, &[-3.0, 0.5, -0.1, -2.0], 1e-7);
    }

    #[test]
    fn split_follows_beta() {
        // o_k / a_k = lambda beta_k and sum o = O
        let ker = SeparationFactorKernel::new(vec![1.0, 3.0], vec![0.5]);
        let (mut aq, mut org) = ([0.0; 2], [0.0; 2]);
        let (mut da, mut dor) = ([0.0; 4], [0.0; 4]);
        ker.eval(
            0,
            &[0.4f64.ln(), 0.2f64.ln()],
            StageEval {
                aq: &mut aq,
                org: &mut org,
                d_aq: &mut da,
                d_org: &mut dor,
                local: &mut [],
                d_local: &mut [],
                local_scale: &mut [],
                ln_scale: &mut [0.0; 2],
            },
        );
        assert!((org[0] + org[1] - 0.5).abs() < 1e-15);
        let r = (org[1] / aq[1]) / (org[0] / aq[0]);
        assert!((r - 3.0).abs() < 1e-14);
        // 0.5 * [0.4, 0.6] / 1.0 = [0.2, 0.3]
        assert!((org[0] - 0.2).abs() < 1e-15 && (org[1] - 0.3).abs() < 1e-15);
    }
}
