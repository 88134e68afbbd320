//! The separation-factor stage equations with every outflow reported
//! relative to its own component's aqueous amount, for cascades whose
//! traces fall below the range of a double.
//!
//! [`crate::chemistry::SeparationFactorKernel`] returns the outflows
//! themselves, `a_k = exp(u_k)` and `o_k = O_j beta_k a_k / sum beta a`.
//! Past `u_k = -708` they are subnormal, past `-745` zero: the balance of
//! such a trace loses every digit, its Jacobian row vanishes, and a Newton
//! step that needs it (the last steps of the continuation in beta on a
//! long, sharp cascade, where a trace reaches `exp(-800)`) stalls with a
//! residual near 1e-7 however small the step in beta. This kernel returns
//! the same outflows divided by `a_k` (`aq = 1`, `org = O_j beta_k / sum
//! beta a`, with `ln_scale = u_k`), the sum taken relative to its largest
//! term, so no quantity under- or overflows and the Newton kernel writes
//! each balance as `ln(inflow / outflow) = 0`
//! ([`super::newton::Workspace::set_log_balances`]). The convergence test
//! is unchanged: the relative imbalance, evaluated in logarithms.

use crate::chemistry::{Equilibrium, StageEval};

/// Unknowns and balances with the kernel the stage counts, organic flows
/// and (current) separation factors give; see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct LogSeparationFactorKernel {
    ln_beta: Vec<f64>,
    org_flow: Vec<f64>,
}

impl LogSeparationFactorKernel {
    /// The kernel for the organic RE outflow of each stage, with every beta
    /// 1 until [`LogSeparationFactorKernel::set_beta`].
    pub(crate) fn new(components: usize, org_flow: Vec<f64>) -> Self {
        LogSeparationFactorKernel {
            ln_beta: vec![0.0; components],
            org_flow,
        }
    }

    /// Replaces the separation factors (positive).
    pub(crate) fn set_beta(&mut self, beta: &[f64]) {
        for (l, b) in self.ln_beta.iter_mut().zip(beta) {
            *l = b.ln();
        }
    }

    /// Sets the separation factors of the continuation's path,
    /// `ln beta_k = s lb_k` ([`super::newton::arc_corrector`]).
    pub(crate) fn set_path(&mut self, lb: &[f64], s: f64) {
        for (l, b) in self.ln_beta.iter_mut().zip(lb) {
            *l = s * b;
        }
    }
}

impl Equilibrium for LogSeparationFactorKernel {
    fn unknowns(&self) -> usize {
        self.ln_beta.len()
    }
    fn conserved(&self) -> usize {
        self.ln_beta.len()
    }
    fn log_unknowns(&self) -> bool {
        true
    }
    fn eval(&self, j: usize, u: &[f64], out: StageEval<'_>) {
        let k = self.ln_beta.len();
        // sum beta a = exp(top) * sum exp(ln beta + u - top)
        let top = self
            .ln_beta
            .iter()
            .zip(u)
            .map(|(l, u)| l + u)
            .fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for ((w, l), uc) in out.aq.iter_mut().zip(&self.ln_beta).zip(u) {
            // w_c = beta_c a_c / sum beta a, kept in `aq` until the sum is known
            *w = (l + uc - top).exp();
            sum += *w;
        }
        let o = self.org_flow[j];
        for c in 0..k {
            out.aq[c] /= sum;
        }
        // true outflows over a_c: aq = 1, org = O beta_c / sum beta a;
        // d(a_c)/du_i / a_c = delta_ci, d(o_c)/du_i / a_c = org_c (delta_ci - w_i)
        for c in 0..k {
            let ratio = o * (self.ln_beta[c] - top).exp() / sum;
            out.org[c] = ratio;
            out.ln_scale[c] = u[c];
            let row = &mut out.d_org[c * k..(c + 1) * k];
            for (r, w) in row.iter_mut().zip(out.aq.iter()) {
                *r = -ratio * w;
            }
            row[c] += ratio;
        }
        for c in 0..k {
            out.aq[c] = 1.0;
            out.d_aq[c * k + c] = 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chemistry::SeparationFactorKernel;

    type Eval = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

    fn eval<E: Equilibrium>(ker: &E, j: usize, u: &[f64]) -> Eval {
        let k = u.len();
        let (mut aq, mut org, mut ls) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
        let (mut da, mut dor) = (vec![0.0; k * k], vec![0.0; k * k]);
        ker.eval(
            j,
            u,
            StageEval {
                aq: &mut aq,
                org: &mut org,
                d_aq: &mut da,
                d_org: &mut dor,
                local: &mut [],
                d_local: &mut [],
                local_scale: &mut [],
                ln_scale: &mut ls,
            },
        );
        (aq, org, da, dor, ls)
    }

    /// Scaled back by `exp(ln_scale)`, the outflows and derivatives are the
    /// plain kernel's, wherever those are representable.
    #[test]
    fn matches_the_plain_kernel_scaled_back() {
        let beta = vec![1.0, 1.5, 4.0, 0.7];
        let org = vec![2.5, 1.3];
        let plain = SeparationFactorKernel::new(beta.clone(), org.clone());
        let mut logk = LogSeparationFactorKernel::new(4, org);
        logk.set_beta(&beta);
        for (j, u) in [(0, [0.2, -1.0, -25.0, -60.0]), (1, [-3.0, 0.5, -0.1, -2.0])] {
            let (a, o, da, dor, _) = eval(&plain, j, &u);
            let (la, lo, lda, ldor, ls) = eval(&logk, j, &u);
            for c in 0..4 {
                let s = ls[c].exp();
                assert_eq!(ls[c], u[c]);
                assert!((la[c] * s - a[c]).abs() <= 1e-14 * a[c]);
                assert!((lo[c] * s - o[c]).abs() <= 1e-13 * o[c], "{c}");
                for i in 0..4 {
                    let (p, q) = (da[c * 4 + i], lda[c * 4 + i] * s);
                    assert!((p - q).abs() <= 1e-13 * p.abs().max(1e-300));
                    let (p, q) = (dor[c * 4 + i], ldor[c * 4 + i] * s);
                    assert!((p - q).abs() <= 1e-13 * p.abs().max(o[c] * 1e-3), "{c} {i}");
                }
            }
        }
    }

    /// A trace at `u = -900` (exp underflows to 0): the plain kernel
    /// returns 0, this one the finite ratio `o_k / a_k = O beta_k / sum`.
    #[test]
    fn a_trace_below_the_double_range_keeps_its_ratio() {
        let mut logk = LogSeparationFactorKernel::new(2, vec![0.5]);
        logk.set_beta(&[1.0, 3.0]);
        let (aq, org, _, dor, ls) = eval(&logk, 0, &[0.4f64.ln(), -900.0]);
        assert_eq!((aq[1], ls[1]), (1.0, -900.0));
        // sum beta a = 0.4 (the trace adds 3 exp(-900) = 0 to it)
        assert!((org[1] - 0.5 * 3.0 / 0.4).abs() < 1e-14);
        assert!((org[0] - 0.5 / 0.4).abs() < 1e-14);
        // d o_1 / d u_i / a_1 = org_1 (delta_1i - w_i), w = (1, 0): the
        // major dilutes the trace's share, the trace's own term is whole
        assert!((dor[3] - org[1]).abs() < 1e-14);
        assert!((dor[2] + org[1]).abs() < 1e-14);
    }
}
