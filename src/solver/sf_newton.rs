//! The damped Newton of [`super::newton::solve`], specialised to the
//! separation-factor model and to its number of components `K` (1 to 8,
//! const generics).
//!
//! Same unknowns (`ln` of the aqueous amounts), same relative balances
//! `(in - out) / max(in, out)`, same damping (Deuflhard's natural
//! monotonicity test with the a-priori and a-posteriori damping
//! predictions, the cap on logarithmic steps) and the same convergence
//! test, so a solve reaches the same point up to rounding. Two things
//! differ. An accepted full step that contracted well ([`CHORD_THETA`]) is
//! followed by the simplified correction the monotonicity test has just
//! solved for (a chord step, kept only if the residual falls), so a solve
//! takes as many iterations as the general Newton or fewer. And an
//! iteration costs less: the stage outflows,
//! their derivatives and the Jacobian blocks come from closed forms on
//! stack arrays (`o_k = O w_k`, `w_k = beta_k a_k / sum beta a`, blocks
//! `diag(a) + O (diag(w) - w w^T)` and their neighbours), one `exp` per
//! unknown and no `ln`; row scales are kept as values, not logarithms, and
//! nothing is allocated once the workspace is sized.

use ndarray::Array2;

use super::block_tridiag::BlockTridiag;
use super::newton::{corrected_damping, predicted_damping, rms_slice, NewtonOptions, NewtonReport};
use super::Status;

/// The stage equations of one separation-factor solve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SfProblem<'a> {
    /// Extractabilities of the active components (`K`).
    pub beta: &'a [f64],
    /// Organic RE outflow of each stage (`n`).
    pub org_flow: &'a [f64],
    /// Whether stage `j` receives the aqueous of stage `j + 1`.
    pub links: &'a [bool],
    /// External inflows, shape `(n, K)`.
    pub feed: &'a Array2<f64>,
    /// Shares of each stage's (aqueous, organic) outflow passed on to the
    /// neighbour stage (side draws); `None` when all are 1.
    pub pass: Option<(&'a [f64], &'a [f64])>,
}

/// Buffers of [`solve`], sized on first use and reused.
#[derive(Debug, Clone, Default)]
pub(crate) struct SfWorkspace {
    n: usize,
    k: usize,
    a: Vec<f64>,
    o: Vec<f64>,
    w: Vec<f64>,
    /// Imbalance of each row, `in - out`, and its scale `max(in, out)`.
    r: Vec<f64>,
    s: Vec<f64>,
    s_base: Vec<f64>,
    /// Share of stage `j + 1`'s aqueous reaching stage `j` (0 where the
    /// link breaks) and of stage `j - 1`'s organic (0 for stage 0).
    pa: Vec<f64>,
    po: Vec<f64>,
    du: Array2<f64>,
    dbar: Array2<f64>,
    u_base: Vec<f64>,
    sys: Option<BlockTridiag>,
}

impl SfWorkspace {
    fn size(&mut self, n: usize, k: usize) {
        if self.n == n && self.k == k && self.sys.is_some() {
            return;
        }
        let nk = n * k;
        *self = SfWorkspace {
            n,
            k,
            a: vec![0.0; nk],
            o: vec![0.0; nk],
            w: vec![0.0; nk],
            r: vec![0.0; nk],
            s: vec![1.0; nk],
            s_base: vec![1.0; nk],
            pa: vec![0.0; n],
            po: vec![0.0; n],
            du: Array2::zeros((n, k)),
            dbar: Array2::zeros((n, k)),
            u_base: vec![0.0; nk],
            sys: Some(BlockTridiag::new(n, k)),
        };
    }

    /// Pass shares of the problem's links and side draws, once per solve.
    fn set_links(&mut self, p: &SfProblem<'_>) {
        for j in 0..self.n {
            self.pa[j] = if p.links[j] {
                p.pass.map_or(1.0, |(a, _)| a[j + 1])
            } else {
                0.0
            };
            self.po[j] = if j > 0 {
                p.pass.map_or(1.0, |(_, o)| o[j - 1])
            } else {
                0.0
            };
        }
    }
}

/// Whether [`solve`] has a specialised kernel for `k` components.
pub(crate) fn supports(k: usize) -> bool {
    (1..=8).contains(&k)
}

/// Solves the separation-factor stage balances for `u` (`ln` aqueous
/// amounts, shape `(n, K)`, the start on entry and the last accepted
/// iterate on return) with the
/// [`crate::chemistry::SeparationFactorKernel`] equations. `K` must be 1
/// to 8 ([`supports`]).
pub(crate) fn solve(
    p: &SfProblem<'_>,
    u: &mut Array2<f64>,
    ws: &mut SfWorkspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    match p.beta.len() {
        1 => solve_k::<1>(p, u, ws, opts),
        2 => solve_k::<2>(p, u, ws, opts),
        3 => solve_k::<3>(p, u, ws, opts),
        4 => solve_k::<4>(p, u, ws, opts),
        5 => solve_k::<5>(p, u, ws, opts),
        6 => solve_k::<6>(p, u, ws, opts),
        7 => solve_k::<7>(p, u, ws, opts),
        8 => solve_k::<8>(p, u, ws, opts),
        k => unreachable!("no specialised separation-factor kernel for {k} components"),
    }
}

/// Root-mean-square of `r / s`.
fn rms_ratio(r: &[f64], s: &[f64]) -> f64 {
    let sum: f64 = r.iter().zip(s).map(|(r, s)| (r / s) * (r / s)).sum();
    (sum / r.len().max(1) as f64).sqrt()
}

fn report(status: Status, iterations: usize, residual: f64, worst: (usize, usize)) -> NewtonReport {
    NewtonReport {
        status,
        iterations,
        residual,
        worst,
    }
}

/// Stage outflows and relative balances at `u`: fills `a`, `o`, `w`, the raw
/// imbalances `r` and their scales `s`; returns the largest relative
/// imbalance (infinite if anything is not finite) and where.
fn evaluate<const K: usize>(
    p: &SfProblem<'_>,
    u: &[f64],
    ws: &mut SfWorkspace,
) -> (f64, (usize, usize)) {
    let beta: &[f64; K] = p.beta.try_into().expect("K components");
    for (((uj, aj), (oj, wj)), &o_tot) in u
        .chunks_exact(K)
        .zip(ws.a.chunks_exact_mut(K))
        .zip(ws.o.chunks_exact_mut(K).zip(ws.w.chunks_exact_mut(K)))
        .zip(p.org_flow)
    {
        let mut sum = 0.0;
        let mut bw = [0.0f64; K];
        for c in 0..K {
            let a = uj[c].exp();
            aj[c] = a;
            bw[c] = beta[c] * a;
            sum += bw[c];
        }
        let inv = 1.0 / sum;
        for c in 0..K {
            let w = bw[c] * inv;
            wj[c] = w;
            oj[c] = w * o_tot;
        }
    }
    let n = ws.n;
    let feed = p.feed.as_slice().expect("standard layout");
    let (mut worst, mut at, mut finite) = (0.0f64, (0, 0), true);
    for j in 0..n {
        let row = j * K..(j + 1) * K;
        let (pa, po) = (ws.pa[j], ws.po[j]);
        // with a zero share the neighbour's values do not count
        let above = if j + 1 < n {
            &ws.a[(j + 1) * K..(j + 2) * K]
        } else {
            &ws.a[row.clone()]
        };
        let below = if j > 0 {
            &ws.o[(j - 1) * K..j * K]
        } else {
            &ws.o[row.clone()]
        };
        let (aj, oj, fj) = (&ws.a[row.clone()], &ws.o[row.clone()], &feed[row.clone()]);
        let (rj, sj) = (&mut ws.r[row.clone()], &mut ws.s[row]);
        for q in 0..K {
            let from_above = pa * above[q];
            let from_below = po * below[q];
            let f = fj[q];
            let (out_a, out_o) = (aj[q], oj[q]);
            let r = from_above + from_below + f - out_a - out_o;
            let inflow = from_above.abs() + from_below.abs() + f.abs();
            let outflow = out_a.abs() + out_o.abs();
            let s = inflow.max(outflow);
            let s = if s > 0.0 { s } else { 1.0 };
            rj[q] = r;
            sj[q] = s;
            let rel = (r / s).abs();
            finite &= rel.is_finite();
            if rel > worst {
                worst = rel;
                at = (j, q);
            }
        }
    }
    if !finite {
        worst = f64::INFINITY;
    }
    (worst, at)
}

/// Fills the row-scaled block-tridiagonal Jacobian at the last evaluated
/// point and `du = -r / s`.
fn assemble<const K: usize>(ws: &mut SfWorkspace) {
    let sys = ws.sys.as_mut().expect("sized");
    let lower = sys.lower.as_slice_mut().expect("standard layout");
    let diag = sys.diag.as_slice_mut().expect("standard layout");
    let upper = sys.upper.as_slice_mut().expect("standard layout");
    let du = ws.du.as_slice_mut().expect("standard layout");
    let kk = K * K;
    let n = ws.n;
    for j in 0..n {
        let row = j * K..(j + 1) * K;
        let (aj, oj, wj) = (&ws.a[row.clone()], &ws.o[row.clone()], &ws.w[row.clone()]);
        let (rj, sj) = (&ws.r[row.clone()], &ws.s[row]);
        let dj = &mut diag[j * kk..(j + 1) * kk];
        let lj = &mut lower[j * kk..(j + 1) * kk];
        let uj = &mut upper[j * kk..(j + 1) * kk];
        let (pa, po) = (ws.pa[j], ws.po[j]);
        for q in 0..K {
            let inv = 1.0 / sj[q];
            du[j * K + q] = -rj[q] * inv;
            // d(a_q + o_q)/du_v = a_q delta + o_q (delta - w_v)
            let oq = oj[q] * inv;
            let drow = &mut dj[q * K..(q + 1) * K];
            for v in 0..K {
                drow[v] = oq * wj[v];
            }
            drow[q] -= (aj[q] + oj[q]) * inv;
            let lrow = &mut lj[q * K..(q + 1) * K];
            if j > 0 {
                let (ob, wb) = (&ws.o[(j - 1) * K..j * K], &ws.w[(j - 1) * K..j * K]);
                let f = po * ob[q] * inv;
                for v in 0..K {
                    lrow[v] = -f * wb[v];
                }
                lrow[q] += f;
            } else {
                lrow.fill(0.0);
            }
            let urow = &mut uj[q * K..(q + 1) * K];
            urow.fill(0.0);
            if j + 1 < n {
                urow[q] = pa * ws.a[(j + 1) * K + q] * inv;
            }
        }
    }
}

/// Largest contraction `||dbar|| / ||du||` of an accepted full step for
/// which [`solve`] also takes the simplified correction `dbar` (a chord
/// step with the Jacobian already factorised: Shamanskii's method, order
/// three where Newton has two).
const CHORD_THETA: f64 = 0.5;

fn solve_k<const K: usize>(
    p: &SfProblem<'_>,
    u: &mut Array2<f64>,
    ws: &mut SfWorkspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    const ALPHA_MIN: f64 = 1e-6;
    let n = u.nrows();
    ws.size(n, K);
    ws.set_links(p);
    let us = u.as_slice_mut().expect("standard layout");
    let (mut res, mut at) = evaluate::<K>(p, us, ws);
    if !res.is_finite() {
        return report(Status::Diverged, 0, res, at);
    }
    let mut it = 0;
    let mut prev: Option<(f64, f64)> = None; // (||du_prev||, alpha_prev)
    loop {
        if res <= opts.tolerance {
            return report(Status::Converged, it, res, at);
        }
        if it >= opts.max_iterations {
            return report(Status::MaxIterations, it, res, at);
        }
        it += 1;
        let f0 = rms_ratio(&ws.r, &ws.s);
        assemble::<K>(ws);
        let sys = ws.sys.as_mut().expect("sized");
        if sys.factor().is_err() {
            return report(Status::Diverged, it, res, at);
        }
        sys.solve(&mut ws.du);
        let du = ws.du.as_slice().expect("standard layout");
        let big = du.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let alpha_cap = if big > opts.max_log_step {
            opts.max_log_step / big
        } else {
            1.0
        };
        let nd = rms_slice(du);
        if !nd.is_finite() {
            return report(Status::Diverged, it, res, at);
        }
        let mut alpha: f64 = match prev {
            Some(last) => predicted_damping(
                last,
                ws.dbar.as_slice().expect("standard layout"),
                du,
                nd,
                ALPHA_MIN,
            ),
            None => 1.0,
        }
        .min(alpha_cap.max(ALPHA_MIN));
        ws.u_base.copy_from_slice(us);
        ws.s_base.copy_from_slice(&ws.s);
        loop {
            let du = ws.du.as_slice().expect("standard layout");
            for ((x, b), d) in us.iter_mut().zip(&ws.u_base).zip(du) {
                *x = b + alpha * d;
            }
            let (r, a) = evaluate::<K>(p, us, ws);
            if r.is_finite() {
                if r <= opts.tolerance {
                    res = r;
                    at = a;
                    break;
                }
                // simplified correction with the old Jacobian (rows scaled
                // as assembled); its right-hand side's norm is the scaled
                // residual of the monotonicity test
                let dbar = ws.dbar.as_slice_mut().expect("standard layout");
                for ((b, r), s) in dbar.iter_mut().zip(&ws.r).zip(&ws.s_base) {
                    *b = -r / s;
                }
                let fnew = rms_slice(dbar);
                ws.sys.as_ref().expect("sized").solve(&mut ws.dbar);
                let dbar = ws.dbar.as_slice().expect("standard layout");
                let du = ws.du.as_slice().expect("standard layout");
                let nb = rms_slice(dbar);
                let theta = nb / nd;
                if nb.is_finite() && (theta < 1.0 - alpha / 4.0 || fnew <= (1.0 - alpha / 4.0) * f0)
                {
                    res = r;
                    at = a;
                    prev = Some((nd, alpha));
                    // Chord step: a full step that contracted well is
                    // followed by its simplified correction, already
                    // solved with this iteration's factors, at the price of
                    // one evaluation (which the next iteration needs
                    // anyway). Kept only if the residual falls.
                    let big = dbar.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    if alpha == 1.0 && theta < CHORD_THETA && big <= opts.max_log_step {
                        ws.u_base.copy_from_slice(us);
                        for (x, d) in us.iter_mut().zip(dbar) {
                            *x += d;
                        }
                        let (rz, az) = evaluate::<K>(p, us, ws);
                        let fz = rms_ratio(&ws.r, &ws.s_base);
                        if rz.is_finite() && (rz <= opts.tolerance || fz < fnew) {
                            res = rz;
                            at = az;
                            // the a-priori damping estimate needs the
                            // simplified correction at the accepted point
                            prev = None;
                        } else {
                            us.copy_from_slice(&ws.u_base);
                            let (ry, ay) = evaluate::<K>(p, us, ws);
                            res = ry;
                            at = ay;
                        }
                    }
                    break;
                }
                alpha = corrected_damping(nd, alpha, dbar, du);
            } else {
                alpha *= 0.5;
            }
            if alpha < ALPHA_MIN {
                us.copy_from_slice(&ws.u_base);
                let (r, a) = evaluate::<K>(p, us, ws);
                return report(Status::Diverged, it, r, a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chemistry::SeparationFactorKernel;
    use crate::solver::newton::{self, Workspace};

    /// Same iterations, same point as the general Newton with the
    /// separation-factor kernel, with and without side draws, for every
    /// specialised size.
    #[test]
    fn matches_the_general_newton() {
        for k in 1..=8usize {
            for draws in [false, true] {
                let n = 9;
                let beta: Vec<f64> = (0..k).map(|i| 1.6f64.powi(i as i32)).collect();
                let org: Vec<f64> = (0..n).map(|j| if j + 1 < n { 1.3 } else { 0.4 }).collect();
                let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
                let mut feed = Array2::zeros((n, k));
                for q in 0..k {
                    feed[[4, q]] = 1.0 / k as f64;
                }
                let pa: Vec<f64> = (0..n).map(|j| if j == 6 { 0.9 } else { 1.0 }).collect();
                let po: Vec<f64> = (0..n).map(|j| if j == 2 { 0.95 } else { 1.0 }).collect();
                let aq_tot: Vec<f64> = (0..n).map(|j| 1.0 - 0.02 * j as f64).collect();
                let start = Array2::from_shape_fn((n, k), |(j, q)| {
                    (aq_tot[j] / k as f64).ln() + 0.1 * (q as f64 - 1.0) * (j as f64 - 4.0) / 4.0
                });
                let opts = NewtonOptions::default();
                let kernel = SeparationFactorKernel::new(beta.clone(), org.clone());
                let mut gws = Workspace::new(n, k, k);
                gws.set_pass(draws.then_some((&pa[..], &po[..])));
                let mut ug = start.clone();
                let g = newton::solve(&kernel, &links, &feed, &mut ug, &mut gws, &opts);
                let prob = SfProblem {
                    beta: &beta,
                    org_flow: &org,
                    links: &links,
                    feed: &feed,
                    pass: draws.then_some((&pa[..], &po[..])),
                };
                let mut us = start.clone();
                let s = solve(&prob, &mut us, &mut SfWorkspace::default(), &opts);
                assert_eq!(g.status, Status::Converged, "k={k}");
                assert_eq!(s.status, Status::Converged, "k={k}");
                // the chord steps save iterations, never cost one
                assert!(
                    s.iterations <= g.iterations,
                    "k={k}: {} vs {}",
                    s.iterations,
                    g.iterations
                );
                for (a, b) in us.iter().zip(&ug) {
                    assert!((a - b).abs() < 1e-9, "k={k} draws={draws}: {a} vs {b}");
                }
                // and it is a solution: component balances close
                let mut ws = SfWorkspace::default();
                ws.size(n, k);
                ws.set_links(&prob);
                let (res, _) = evaluate_dyn(&prob, us.as_slice().unwrap(), &mut ws);
                assert!(res <= 1e-12, "k={k}: {res}");
            }
        }
    }

    fn evaluate_dyn(p: &SfProblem<'_>, u: &[f64], ws: &mut SfWorkspace) -> (f64, (usize, usize)) {
        match p.beta.len() {
            1 => evaluate::<1>(p, u, ws),
            2 => evaluate::<2>(p, u, ws),
            3 => evaluate::<3>(p, u, ws),
            4 => evaluate::<4>(p, u, ws),
            5 => evaluate::<5>(p, u, ws),
            6 => evaluate::<6>(p, u, ws),
            7 => evaluate::<7>(p, u, ws),
            _ => evaluate::<8>(p, u, ws),
        }
    }
}
