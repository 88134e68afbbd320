//! Start-up dynamics of the separation-factor model ("rows").
//!
//! The cascade starts with empty stages. In each row every stage mixes once
//! what entered it (the aqueous the stage above held, the organic the stage
//! below held, and any feed) and settles: the organic takes its prescribed RE
//! flow `O_j`, split by `o_k / a_k = lambda beta_k`, and the aqueous takes the
//! rest. While a stage holds less RE than `O_j` (the first rows of a start-up)
//! the organic takes all of it. All stages mix simultaneously (one row moves
//! every stream one stage on).
//!
//! The iteration converges linearly to the steady state of the stage balances
//! (tens of thousands of rows for beta near 1.5), mirroring a plant lining
//! out, and is an independent check of the Newton solver.

use ndarray::Array2;

use super::{Method, Solution, Status};
use crate::cascade::Phase;
use crate::model::{Cascade, ChemistrySpec, StageFlows};

/// Stage-component updates (rows x stages x components) a `--method rows`
/// run is allowed when no `--max-rows` is given: about 10 s on the 2-core
/// development machine (0.2-0.5 µs each), so no run passes about 20 s.
pub const ROW_WORK_LIMIT: usize = 20_000_000;

/// The row limit of a `--method rows` run of `cascade` without an explicit
/// `--max-rows`: `[solver] max_rows`, capped at [`ROW_WORK_LIMIT`] over the
/// stage count times the component count (at least 1,000 rows).
pub fn default_max_rows(cascade: &Cascade) -> usize {
    let size = (cascade.n_stages() * cascade.n_components()).max(1);
    cascade
        .solver_options()
        .max_rows
        .min((ROW_WORK_LIMIT / size).max(1_000))
}

/// Runs the start-up dynamics until the relative stage imbalance is at most
/// `tolerance` or `max_rows` rows have been mixed. Returns `None` for models
/// other than separation-factor.
pub fn solve_rows(cascade: &Cascade, tolerance: f64, max_rows: usize) -> Option<Solution> {
    let ChemistrySpec::SeparationFactor(crate::model::SeparationFactorSpec { beta }) =
        &cascade.spec().chemistry
    else {
        return None;
    };
    let StageFlows::Amounts { organic: oflow, .. } = cascade.flows() else {
        return None;
    };
    let layout = cascade.layout();
    let n = layout.stages();
    let k = cascade.n_components();
    let fs = layout.feed_stage();
    let feed = cascade.feed_amount();
    let links: Vec<bool> = (0..n).map(|j| layout.aqueous_link(j)).collect();
    let mut a = Array2::<f64>::zeros((n, k));
    let mut o = Array2::<f64>::zeros((n, k));
    let mut a_new = Array2::<f64>::zeros((n, k));
    let mut o_new = Array2::<f64>::zeros((n, k));
    let mut lambda = vec![1.0f64; n];
    let mut t = vec![0.0f64; k];
    let mut rows = 0usize;
    let status;
    let residual;
    let worst;
    loop {
        // Mix row `rows + 1`; on the way, the imbalance of the current state.
        let mut res = 0.0f64;
        let mut at = (0, 0);
        for j in 0..n {
            let mut tsum = 0.0;
            for c in 0..k {
                // side draws take a fixed share of a stage's outflow
                let above = if links[j] {
                    cascade.pass_fraction(Phase::Aqueous, j + 1) * a[[j + 1, c]]
                } else {
                    0.0
                };
                let below = if j > 0 {
                    cascade.pass_fraction(Phase::Organic, j - 1) * o[[j - 1, c]]
                } else {
                    0.0
                };
                let f = if j == fs { feed[c] } else { 0.0 };
                let tin = above + below + f;
                t[c] = tin;
                tsum += tin;
                let out = a[[j, c]] + o[[j, c]];
                let s = tin.max(out);
                if s > 0.0 {
                    let rel = ((tin - out) / s).abs();
                    if rel > res {
                        res = rel;
                        at = (j, c);
                    }
                }
            }
            let target = oflow[j];
            if tsum <= target {
                for c in 0..k {
                    o_new[[j, c]] = t[c];
                    a_new[[j, c]] = 0.0;
                }
            } else {
                let lam = split_root(&t, beta, target, tsum, lambda[j]);
                lambda[j] = lam;
                for c in 0..k {
                    let e = lam * beta[c];
                    let ac = t[c] / (1.0 + e);
                    a_new[[j, c]] = ac;
                    o_new[[j, c]] = t[c] - ac;
                }
            }
        }
        if rows > 0 && res <= tolerance {
            status = Status::Converged;
            residual = res;
            worst = at;
            break;
        }
        if rows >= max_rows {
            status = Status::MaxIterations;
            residual = res;
            worst = at;
            break;
        }
        std::mem::swap(&mut a, &mut a_new);
        std::mem::swap(&mut o, &mut o_new);
        rows += 1;
    }
    Some(Solution {
        status,
        method: Method::Rows,
        iterations: rows,
        continuation_steps: 0,
        residual,
        worst,
        aqueous: a,
        organic: o,
        acidity: None,
        species: None,
    })
}

/// The `lambda > 0` with `sum_k t_k lambda beta_k / (1 + lambda beta_k) = target`
/// (`0 < target < tsum`): safeguarded Newton on `ln lambda`, bracketed.
fn split_root(t: &[f64], beta: &[f64], target: f64, tsum: f64, guess: f64) -> f64 {
    let mut tb = 0.0;
    let mut bmin = f64::INFINITY;
    for (tc, bc) in t.iter().zip(beta) {
        tb += tc * bc;
        if *tc > 0.0 {
            bmin = bmin.min(*bc);
        }
    }
    // sum o <= lambda sum t beta  => lo;  sum o >= tsum lambda bmin / (1 + lambda bmin) => hi
    let mut lo = (target / tb).ln();
    let r = target / tsum;
    let mut hi = (r / ((1.0 - r) * bmin)).ln();
    let mut mu = guess.ln().clamp(lo, hi);
    let ln_target = target.ln();
    for _ in 0..100 {
        let lam = mu.exp();
        let mut so = 0.0;
        let mut dso = 0.0;
        for (tc, bc) in t.iter().zip(beta) {
            let e = lam * bc;
            let oc = tc * e / (1.0 + e);
            so += oc;
            dso += oc / (1.0 + e);
        }
        let g = so.ln() - ln_target;
        if g == 0.0 {
            break;
        }
        if g < 0.0 {
            lo = mu;
        } else {
            hi = mu;
        }
        let step = g * so / dso;
        let mut next = mu - step;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - mu).abs() <= 1e-15 * mu.abs().max(1.0) {
            mu = next;
            break;
        }
        mu = next;
    }
    mu.exp()
}

#[cfg(test)]
mod tests {
    use super::{default_max_rows, split_root, ROW_WORK_LIMIT};
    use crate::model::CascadeSpec;

    #[test]
    fn default_row_limit_scales_with_the_cascade() {
        let small = CascadeSpec::separation_factor("t", &["Pr", "Nd"], &[1.0, 1.5])
            .with_stages(17, 20, 0)
            .with_feed_amounts(&[0.5, 0.5])
            .with_amounts(0.6, 0.3)
            .build()
            .unwrap();
        // 2e7 / (37 x 2) = 270,270 rows, below the default [solver] 1e7
        assert_eq!(default_max_rows(&small), ROW_WORK_LIMIT / 74);
        assert_eq!(default_max_rows(&small), 270_270);
        let mut spec = small.to_spec();
        spec.solver.max_rows = 5_000;
        assert_eq!(default_max_rows(&spec.build().unwrap()), 5_000);
    }

    #[test]
    fn split_root_hits_target() {
        let t = [0.3, 0.5, 1e-9];
        let beta = [1.0, 2.5, 7.0];
        let lam = split_root(&t, &beta, 0.4, 0.8 + 1e-9, 1.0);
        let so: f64 = t
            .iter()
            .zip(&beta)
            .map(|(t, b)| t * lam * b / (1.0 + lam * b))
            .sum();
        assert!((so - 0.4).abs() < 1e-15, "{so}");
    }
}
