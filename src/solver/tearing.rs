//! Tearing methods for the separation-factor model.
//!
//! With `lambda_j` (organic over aqueous per unit beta in stage `j`) fixed,
//! each component's stage balances are a linear tridiagonal system
//!
//! ```text
//!   -lambda_{j-1} beta a_{j-1} + (1 + lambda_j beta) a_j - a_{j+1} = F_j
//! ```
//!
//! a column-diagonally-dominant M-matrix, solved exactly (and with full
//! relative accuracy for trace amounts) by the Thomas algorithm. What is left
//! is one equation per stage: the organic carries its prescribed RE flow,
//! `sum_k lambda_j beta_k a_jk = O_j`. [`fixed_point`] rescales each
//! `lambda_j` in turn: cheap (`O(N K)` a sweep), and a start close enough
//! that Newton on the full cascade usually converges in a few iterations.

use ndarray::Array2;

use crate::cascade::Layout;

/// Solves every component's tridiagonal balance for the given `lam`,
/// writing aqueous amounts into `a` and the elimination pivots into `dp`
/// (both component-major: `a[c * N + j]`), and each stage's aqueous RE
/// `sum_c a` and `sum_c beta_c a` into `aq` and `org` (in the same pass,
/// components summed in order).
#[allow(clippy::too_many_arguments)]
fn profiles(
    links: &[bool],
    fs: usize,
    beta: &[f64],
    feed: &[f64],
    lam: &[f64],
    a: &mut [f64],
    dp: &mut [f64],
    (aq, org): (&mut [f64], &mut [f64]),
) {
    let n = lam.len();
    aq.fill(0.0);
    org.fill(0.0);
    for (c, &b) in beta.iter().enumerate() {
        let a = &mut a[c * n..(c + 1) * n];
        let dp = &mut dp[c * n..(c + 1) * n];
        dp[0] = 1.0 + lam[0] * b;
        a[0] = if fs == 0 { feed[c] } else { 0.0 };
        for j in 1..n {
            let d = 1.0 + lam[j] * b;
            let rhs = if j == fs { feed[c] } else { 0.0 };
            let f = lam[j - 1] * b / dp[j - 1];
            dp[j] = if links[j - 1] { d - f } else { d };
            a[j] = rhs + f * a[j - 1];
        }
        a[n - 1] /= dp[n - 1];
        aq[n - 1] += a[n - 1];
        org[n - 1] += b * a[n - 1];
        for j in (0..n - 1).rev() {
            let above = if links[j] { a[j + 1] } else { 0.0 };
            a[j] = (a[j] + above) / dp[j];
            aq[j] += a[j];
            org[j] += b * a[j];
        }
    }
}

fn start_lambda(beta: &[f64], feed: &[f64], org_flow: &[f64], aq_tot: &[f64]) -> Vec<f64> {
    let ftot: f64 = feed.iter().sum();
    let bmean: f64 = beta.iter().zip(feed).map(|(b, f)| b * f).sum::<f64>() / ftot;
    org_flow
        .iter()
        .zip(aq_tot)
        .map(|(o, a)| o / (a * bmean))
        .collect()
}

fn to_log(a: &[f64], aq_tot: &[f64]) -> Array2<f64> {
    let n = aq_tot.len();
    let k = a.len() / n;
    Array2::from_shape_fn((n, k), |(j, c)| a[c * n + j].max(1e-300 * aq_tot[j]).ln())
}

/// Tearing fixed point: rescales each `lambda_j` so that the ratio of the
/// stage's organic to aqueous RE matches the prescribed flows (damped when
/// it oscillates). Returns log aqueous amounts (a start for Newton) and the
/// last `lambda`.
pub fn fixed_point(
    layout: &Layout,
    beta: &[f64],
    feed: &[f64],
    org_flow: &[f64],
    aq_tot: &[f64],
    max_sweeps: usize,
    tol: f64,
) -> (Array2<f64>, Vec<f64>) {
    let n = layout.stages();
    let k = beta.len();
    let fs = layout.feed_stage();
    let links: Vec<bool> = (0..n).map(|j| layout.aqueous_link(j)).collect();
    let mut lam = start_lambda(beta, feed, org_flow, aq_tot);
    let mut a = vec![0.0; n * k];
    let mut dp = vec![0.0; n * k];
    let mut org = vec![0.0; n];
    let mut aq = vec![0.0; n];
    let mut omega: f64 = 1.0;
    let mut last_worst = f64::INFINITY;
    for _ in 0..max_sweeps {
        profiles(
            &links,
            fs,
            beta,
            feed,
            &lam,
            &mut a,
            &mut dp,
            (&mut aq, &mut org),
        );
        let mut worst = 0.0f64;
        for j in 0..n {
            let ratio = (org_flow[j] / aq_tot[j]) / (lam[j] * org[j] / aq[j]);
            worst = worst.max((ratio - 1.0).abs());
            lam[j] *= if omega == 1.0 {
                ratio
            } else {
                (omega * ratio.ln()).exp()
            };
        }
        if worst < tol {
            break;
        }
        // damp when the update starts to oscillate, relax again while it contracts
        omega = if worst > last_worst {
            (omega * 0.5).max(0.1)
        } else {
            (omega * 1.2).min(1.0)
        };
        last_worst = worst;
    }
    profiles(
        &links,
        fs,
        beta,
        feed,
        &lam,
        &mut a,
        &mut dp,
        (&mut aq, &mut org),
    );
    (to_log(&a, aq_tot), lam)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cascade::Phase;

    #[test]
    fn profiles_solve_the_component_balances_exactly() {
        let layout = Layout {
            extraction: 4,
            scrub: 3,
            strip: 0,
            feed_phase: Phase::Aqueous,
        };
        let n = layout.stages();
        let beta = [1.0, 1.7, 30.0];
        let feed = [0.3, 0.3, 0.4];
        let links: Vec<bool> = (0..n).map(|j| layout.aqueous_link(j)).collect();
        let lam: Vec<f64> = (0..n).map(|j| 0.5 + 0.1 * j as f64).collect();
        let mut a = vec![0.0; n * 3];
        let mut dp = vec![0.0; n * 3];
        let (mut aq, mut org) = (vec![0.0; n], vec![0.0; n]);
        profiles(
            &links,
            layout.feed_stage(),
            &beta,
            &feed,
            &lam,
            &mut a,
            &mut dp,
            (&mut aq, &mut org),
        );
        let a = Array2::from_shape_fn((n, 3), |(j, c)| a[c * n + j]);
        // the stage sums of the same pass
        for j in 0..n {
            let (s, sb) = (0..3).fold((0.0, 0.0), |(s, sb), c| {
                (s + a[[j, c]], sb + beta[c] * a[[j, c]])
            });
            assert_eq!((aq[j], org[j]), (s, sb), "stage {j}");
        }
        for c in 0..3 {
            for j in 0..n {
                let above = if links[j] { a[[j + 1, c]] } else { 0.0 };
                let below = if j > 0 {
                    lam[j - 1] * beta[c] * a[[j - 1, c]]
                } else {
                    0.0
                };
                let f = if j == layout.feed_stage() {
                    feed[c]
                } else {
                    0.0
                };
                let out = a[[j, c]] * (1.0 + lam[j] * beta[c]);
                let inflow = above + below + f;
                assert!(
                    (inflow - out).abs() <= 1e-15 * inflow.max(out),
                    "stage {j} comp {c}"
                );
            }
        }
    }
}
