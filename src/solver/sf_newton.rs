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
use super::fast_exp;
use super::newton::{corrected_damping, predicted_damping, NewtonOptions, NewtonReport};
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
    /// Aqueous amounts (`n K`, then `K` zeros: the stage above the last).
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
    /// `pa` and `po` repeated for each row of their stage (`n K`).
    pa_row: Vec<f64>,
    po_row: Vec<f64>,
    /// Relative imbalance `r / s` of each row at the last evaluation.
    rel: Vec<f64>,
    du: Array2<f64>,
    dbar: Array2<f64>,
    u_base: Vec<f64>,
    /// The point at which `a` was last evaluated by [`solve`] (empty
    /// otherwise), for [`SfWorkspace::amounts_at`].
    u_eval: Vec<f64>,
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
            a: vec![0.0; nk + k],
            o: vec![0.0; nk],
            w: vec![0.0; nk],
            r: vec![0.0; nk],
            s: vec![1.0; nk],
            s_base: vec![1.0; nk],
            pa: vec![0.0; n],
            po: vec![0.0; n],
            pa_row: vec![0.0; nk],
            po_row: vec![0.0; nk],
            rel: vec![0.0; nk],
            du: Array2::zeros((n, k)),
            dbar: Array2::zeros((n, k)),
            u_base: vec![0.0; nk],
            u_eval: Vec::with_capacity(nk),
            sys: Some(BlockTridiag::new(n, k)),
        };
    }

    /// The aqueous amounts `exp(u)` (as [`fast_exp::exp`] rounds them) if
    /// the last [`solve`] ended at `u` (row-major `(n, K)`), so that a
    /// caller need not take the exponentials again; `None` otherwise.
    pub(crate) fn amounts_at(&self, u: &[f64]) -> Option<&[f64]> {
        (!u.is_empty() && self.u_eval.as_slice() == u).then(|| &self.a[..u.len()])
    }

    /// Pass shares of the problem's links and side draws, once per solve
    /// (`K` components: each stage's rows filled at a fixed width).
    fn set_links<const K: usize>(&mut self, p: &SfProblem<'_>) {
        debug_assert_eq!(self.k, K);
        for j in 0..self.n {
            self.pa[j] = if p.links[j] && j + 1 < self.n {
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
        let rows = self
            .pa_row
            .chunks_exact_mut(K)
            .zip(self.po_row.chunks_exact_mut(K));
        for ((pa_row, po_row), (&pa, &po)) in rows.zip(self.pa.iter().zip(&self.po)) {
            pa_row.fill(pa);
            po_row.fill(po);
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
    let rep = match p.beta.len() {
        1 => solve_isa::<1>(p, u, ws, opts),
        2 => solve_isa::<2>(p, u, ws, opts),
        3 => solve_isa::<3>(p, u, ws, opts),
        4 => solve_isa::<4>(p, u, ws, opts),
        5 => solve_isa::<5>(p, u, ws, opts),
        6 => solve_isa::<6>(p, u, ws, opts),
        7 => solve_isa::<7>(p, u, ws, opts),
        8 => solve_isa::<8>(p, u, ws, opts),
        k => unreachable!("no specialised separation-factor kernel for {k} components"),
    };
    // every return of `solve_k` follows an evaluation at the point it
    // leaves in `u`
    ws.u_eval.clear();
    ws.u_eval
        .extend_from_slice(u.as_slice().expect("standard layout"));
    rep
}

/// [`solve_k`] in its AVX2 compilation where the processor has it
/// ([`super::simd`]), else in the baseline one.
#[inline(always)]
fn solve_isa<const K: usize>(
    p: &SfProblem<'_>,
    u: &mut Array2<f64>,
    ws: &mut SfWorkspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    #[cfg(target_arch = "x86_64")]
    if super::simd::avx2() {
        // SAFETY: the processor has AVX2
        return unsafe { solve_k_avx2::<K>(p, u, ws, opts) };
    }
    solve_k_base::<K>(p, u, ws, opts)
}

/// [`solve_k`] with everything it calls per iteration inlined, compiled
/// for AVX2 (without FMA: the same roundings as the baseline).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn solve_k_avx2<const K: usize>(
    p: &SfProblem<'_>,
    u: &mut Array2<f64>,
    ws: &mut SfWorkspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    solve_k::<K, true>(p, u, ws, opts)
}

/// [`solve_k`] for the baseline target.
fn solve_k_base<const K: usize>(
    p: &SfProblem<'_>,
    u: &mut Array2<f64>,
    ws: &mut SfWorkspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    solve_k::<K, false>(p, u, ws, opts)
}

/// One step of the fold of a step's largest magnitude and sum of squares
/// (summed in order). The largest magnitude as a compare and select: the
/// same value as `f64::max` (a NaN leaves it unchanged in both, and makes
/// the sum NaN), in one instruction instead of its NaN handling.
#[inline(always)]
fn max_abs_and_sumsq((m, q): (f64, f64), v: &f64) -> (f64, f64) {
    let a = v.abs();
    (if a > m { a } else { m }, q + v * v)
}

/// Root-mean-square of `r / s`.
#[inline(always)]
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

/// What [`evaluate`] measured at a point.
#[derive(Debug, Clone, Copy)]
struct Eval {
    /// Largest relative imbalance `|r / s|` (infinite if anything is not
    /// finite).
    worst: f64,
    /// Root-mean-square of `r / s`, the scaled residual of the next step.
    rms: f64,
}

/// Stage outflows and relative balances at `u`: fills `a`, `o`, `w`, the raw
/// imbalances `r` and their scales `s`; returns the largest relative
/// imbalance and the root-mean-square one (where the largest sits is
/// found by [`worst_at`] when a solve reports). Three passes over flat
/// arrays, the first two free of branches so that they vectorise: the
/// exponentials ([`fast_exp::exp_slice`]), the balances of every row
/// (with the shares expanded to one a row), then the two measures, summed
/// row by row in order.
#[inline(always)]
fn evaluate<const K: usize>(p: &SfProblem<'_>, u: &[f64], ws: &mut SfWorkspace) -> Eval {
    let beta: &[f64; K] = p.beta.try_into().expect("K components");
    let n = ws.n;
    let nk = n * K;
    fast_exp::exp_slice(&u[..nk], &mut ws.a[..nk]);
    for ((aj, (oj, wj)), &o_tot) in ws.a[..nk]
        .chunks_exact(K)
        .zip(ws.o.chunks_exact_mut(K).zip(ws.w.chunks_exact_mut(K)))
        .zip(p.org_flow)
    {
        let mut sum = 0.0;
        let mut bw = [0.0f64; K];
        for c in 0..K {
            bw[c] = beta[c] * aj[c];
            sum += bw[c];
        }
        let inv = 1.0 / sum;
        for c in 0..K {
            let w = bw[c] * inv;
            wj[c] = w;
            oj[c] = w * o_tot;
        }
    }
    let feed = &p.feed.as_slice().expect("standard layout")[..nk];
    let (a, o) = (&ws.a[..nk], &ws.o[..nk]);
    let (r, s, rel) = (&mut ws.r[..nk], &mut ws.s[..nk], &mut ws.rel[..nk]);
    let (pa, po) = (&ws.pa_row[..nk], &ws.po_row[..nk]);
    // The neighbours of the end stages are the stages themselves, with
    // shares of zero (`pa[n - 1] = po[0] = 0`).
    let edge = K.min(nk);
    for i in 0..edge {
        let above = if n > 1 { a[i + K] } else { a[i] };
        (r[i], s[i], rel[i]) = balance(pa[i] * above, po[i] * o[i], feed[i], a[i], o[i]);
    }
    if n > 1 {
        let m = nk - 2 * K;
        let (above, below) = (&a[2 * K..2 * K + m], &o[..m]);
        let (ai, oi, fi) = (&a[K..K + m], &o[K..K + m], &feed[K..K + m]);
        let (pai, poi) = (&pa[K..K + m], &po[K..K + m]);
        let (ri, si, qi) = (&mut r[K..K + m], &mut s[K..K + m], &mut rel[K..K + m]);
        for i in 0..m {
            (ri[i], si[i], qi[i]) =
                balance(pai[i] * above[i], poi[i] * below[i], fi[i], ai[i], oi[i]);
        }
        for i in nk - K..nk {
            (r[i], s[i], rel[i]) = balance(pa[i] * a[i], po[i] * o[i - K], feed[i], a[i], o[i]);
        }
    }
    let (mut worst, mut sumsq) = (0.0f64, 0.0f64);
    for &q in rel.iter() {
        sumsq += q * q;
        let q = q.abs();
        worst = if q > worst { q } else { worst };
    }
    // a NaN or an infinity anywhere makes a relative imbalance, so the sum
    // of their squares, NaN (each is at most 2 in size otherwise)
    Eval {
        worst: if sumsq.is_finite() {
            worst
        } else {
            f64::INFINITY
        },
        rms: (sumsq / nk.max(1) as f64).sqrt(),
    }
}

/// The balance of one row from the inflows from the stage above and the
/// stage below (shares applied), the external inflow and the stage's own
/// aqueous and organic outflows: the imbalance `in - out`, its scale
/// `max(in, out)` (1 where both are 0) and their ratio.
#[inline(always)]
fn balance(from_above: f64, from_below: f64, f: f64, out_a: f64, out_o: f64) -> (f64, f64, f64) {
    let r = from_above + from_below + f - out_a - out_o;
    let inflow = from_above.abs() + from_below.abs() + f.abs();
    let outflow = out_a.abs() + out_o.abs();
    // a NaN anywhere makes `r`, so the relative imbalance, NaN
    let s = if inflow > outflow { inflow } else { outflow };
    let s = if s > 0.0 { s } else { 1.0 };
    (r, s, r / s)
}

/// Stage and component of the largest relative imbalance of the last
/// evaluation (the first one, as [`evaluate`] scans).
fn worst_at(ws: &SfWorkspace, k: usize) -> (usize, usize) {
    let (mut worst, mut at) = (0.0f64, 0);
    for (i, (r, s)) in ws.r.iter().zip(&ws.s).enumerate() {
        let rel = (r / s).abs();
        if rel > worst {
            worst = rel;
            at = i;
        }
    }
    (at / k, at % k)
}

/// Fills the row-scaled block-tridiagonal Jacobian at the last evaluated
/// point and `du = -r / s`: the end stages apart, so that the loop over
/// the inner ones has a stage below and above each and no branch.
#[inline(always)]
fn assemble<const K: usize>(ws: &mut SfWorkspace) {
    let kk = K * K;
    let n = ws.n;
    let nk = n * K;
    let sys = ws.sys.as_mut().expect("sized");
    let lower = &mut sys.lower.as_slice_mut().expect("standard layout")[..n * kk];
    let diag = &mut sys.diag.as_slice_mut().expect("standard layout")[..n * kk];
    let upper = &mut sys.upper.as_slice_mut().expect("standard layout")[..n * kk];
    let du = &mut ws.du.as_slice_mut().expect("standard layout")[..nk];
    let (a, o, w) = (&ws.a[..nk], &ws.o[..nk], &ws.w[..nk]);
    let (r, s) = (&ws.r[..nk], &ws.s[..nk]);
    let (pa, po) = (&ws.pa[..n], &ws.po[..n]);
    let arr = |v: &[f64]| -> [f64; K] { v.try_into().expect("K values") };
    let at = |j: usize| j * K..(j + 1) * K;
    let block = |j: usize| j * kk..(j + 1) * kk;
    let own = |j: usize| {
        (
            (arr(&a[at(j)]), arr(&o[at(j)]), arr(&w[at(j)])),
            (arr(&r[at(j)]), arr(&s[at(j)])),
        )
    };
    // stage 0: nothing below; above unless it is the only stage
    let up0 = (n > 1).then(|| (pa[0], arr(&a[at(1)])));
    let (own0, rs0) = own(0);
    stage_blocks::<K>(
        (
            &mut diag[block(0)],
            &mut lower[block(0)],
            &mut upper[block(0)],
        ),
        &mut du[at(0)],
        own0,
        rs0,
        None,
        up0,
    );
    if n < 2 {
        return;
    }
    let m = n - 2;
    let inner = diag[kk..kk + m * kk]
        .chunks_exact_mut(kk)
        .zip(lower[kk..kk + m * kk].chunks_exact_mut(kk))
        .zip(upper[kk..kk + m * kk].chunks_exact_mut(kk))
        .zip(du[K..K + m * K].chunks_exact_mut(K))
        .zip(
            a[K..K + m * K]
                .chunks_exact(K)
                .zip(o[K..K + m * K].chunks_exact(K))
                .zip(w[K..K + m * K].chunks_exact(K)),
        )
        .zip(
            r[K..K + m * K]
                .chunks_exact(K)
                .zip(s[K..K + m * K].chunks_exact(K)),
        )
        .zip(
            o[..m * K]
                .chunks_exact(K)
                .zip(w[..m * K].chunks_exact(K))
                .zip(a[2 * K..].chunks_exact(K)),
        )
        .zip(pa[1..n - 1].iter().zip(&po[1..n - 1]));
    for (((((((dj, lj), uj), duj), ((aj, oj), wj)), (rj, sj)), ((ob, wb), up)), (&paj, &poj)) in
        inner
    {
        stage_blocks::<K>(
            (dj, lj, uj),
            duj,
            (arr(aj), arr(oj), arr(wj)),
            (arr(rj), arr(sj)),
            Some((poj, arr(ob), arr(wb))),
            Some((paj, arr(up))),
        );
    }
    // the last stage: nothing above
    let j = n - 1;
    let below = Some((po[j], arr(&o[at(j - 1)]), arr(&w[at(j - 1)])));
    let (ownj, rsj) = own(j);
    stage_blocks::<K>(
        (
            &mut diag[block(j)],
            &mut lower[block(j)],
            &mut upper[block(j)],
        ),
        &mut du[at(j)],
        ownj,
        rsj,
        below,
        None,
    );
}

/// [`assemble`], the factorisation and the solve for `du` in one pass over
/// the stages for two components
/// ([`BlockTridiag::assemble_factor_solve_2`]): each stage's blocks are
/// made with the operations of [`stage_blocks`] and eliminated at once, so
/// the same factors and the same `du` bit for bit, without storing the
/// diagonal and upper blocks to load them again. `Err` on a singular
/// pivot, as [`BlockTridiag::factor`]. `AVX2` changes nothing but makes
/// the two compilations ([`fused_2`]) separate instances, each with its
/// own stage iterator: one instance shared by both callers is not inlined
/// into either (about 23 k more instructions a cold `xu-A` solve).
#[inline(always)]
fn assemble_factor_solve_2<const AVX2: bool>(ws: &mut SfWorkspace) -> Result<(), ()> {
    let n = ws.n;
    let nk = 2 * n;
    let sys = ws.sys.as_mut().expect("sized");
    let du = &mut ws.du.as_slice_mut().expect("standard layout")[..nk];
    let (a, o, w) = (&ws.a[..nk], &ws.o[..nk], &ws.w[..nk]);
    let (r, s) = (&ws.r[..nk], &ws.s[..nk]);
    let (pa, po) = (&ws.pa[..n], &ws.po[..n]);
    let pair = |v: &[f64]| -> [f64; 2] { [v[0], v[1]] };
    // the aqueous of the stage above (the zeros after `a` above the last
    // stage, whose upper block is not used) and the organic and its shares
    // of the stage below (carried from the previous stage; none below
    // stage 0, whose lower block is not used)
    let above = ws.a[2..nk + 2].chunks_exact(2);
    let (mut ob, mut wb) = ([0.0f64; 2], [0.0f64; 2]);
    let stages = a
        .chunks_exact(2)
        .zip(o.chunks_exact(2))
        .zip(w.chunks_exact(2))
        .zip(r.chunks_exact(2).zip(s.chunks_exact(2)))
        .zip(above)
        .zip(pa.iter().zip(po));
    let rows = stages.map(|(((((a, o), w), (r, s)), up), (&pa, &po))| {
        // `stage_blocks::<2>` written out
        let ([a0, a1], [o0, o1], [w0, w1]) = (pair(a), pair(o), pair(w));
        let (inv0, inv1) = (1.0 / s[0], 1.0 / s[1]);
        let rhs = [-r[0] * inv0, -r[1] * inv1];
        let (oi0, oi1) = (o0 * inv0, o1 * inv1);
        let d = [
            oi0 * w0 - (a0 + o0) * inv0,
            oi0 * w1,
            oi1 * w0,
            oi1 * w1 - (a1 + o1) * inv1,
        ];
        let (f0, f1) = (po * ob[0] * inv0, po * ob[1] * inv1);
        let l = [-f0 * wb[0] + f0, -f0 * wb[1], -f1 * wb[0], -f1 * wb[1] + f1];
        let u = [pa * up[0] * inv0, 0.0, 0.0, pa * up[1] * inv1];
        (ob, wb) = ([o0, o1], [w0, w1]);
        (d, l, u, rhs)
    });
    sys.assemble_factor_solve_2(du, rows).map_err(|_| ())
}

/// [`assemble_factor_solve_2`] in the compilation for the instruction set
/// of the caller (`AVX2`), kept out of line: inlined into the Newton
/// iteration, its iterator over the stages is not.
#[inline(always)]
fn fused_2<const AVX2: bool>(ws: &mut SfWorkspace) -> Result<(), ()> {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: `AVX2` is set only in the AVX2 compilation of `solve_k`
        return unsafe { fused_2_avx2(ws) };
    }
    fused_2_base(ws)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline(never)]
fn fused_2_avx2(ws: &mut SfWorkspace) -> Result<(), ()> {
    assemble_factor_solve_2::<true>(ws)
}

#[inline(never)]
fn fused_2_base(ws: &mut SfWorkspace) -> Result<(), ()> {
    assemble_factor_solve_2::<false>(ws)
}

/// The blocks of one stage (`diag`, `lower`, `upper`, row-major) and its
/// part of `du`, from its aqueous, organic and organic shares `(a, o, w)`,
/// its imbalances and their scales `(r, s)`, the share, organic and
/// organic shares of the stage below (if any) and the share and aqueous
/// of the stage above (if any).
#[inline(always)]
fn stage_blocks<const K: usize>(
    (d, l, u): (&mut [f64], &mut [f64], &mut [f64]),
    du: &mut [f64],
    (a, o, w): ([f64; K], [f64; K], [f64; K]),
    (r, s): ([f64; K], [f64; K]),
    below: Option<(f64, [f64; K], [f64; K])>,
    up: Option<(f64, [f64; K])>,
) {
    let du: &mut [f64; K] = du.try_into().expect("K values");
    let rows = d
        .chunks_exact_mut(K)
        .zip(l.chunks_exact_mut(K))
        .zip(u.chunks_exact_mut(K));
    for (q, ((drow, lrow), urow)) in rows.enumerate() {
        let drow: &mut [f64; K] = drow.try_into().expect("K values");
        let lrow: &mut [f64; K] = lrow.try_into().expect("K values");
        let urow: &mut [f64; K] = urow.try_into().expect("K values");
        let inv = 1.0 / s[q];
        du[q] = -r[q] * inv;
        // d(a_q + o_q)/du_v = a_q delta + o_q (delta - w_v)
        let oq = o[q] * inv;
        for v in 0..K {
            drow[v] = oq * w[v];
        }
        drow[q] -= (a[q] + o[q]) * inv;
        match below {
            Some((po, ob, wb)) => {
                let f = po * ob[q] * inv;
                for v in 0..K {
                    lrow[v] = -f * wb[v];
                }
                lrow[q] += f;
            }
            None => lrow.fill(0.0),
        }
        urow.fill(0.0);
        if let Some((pa, up)) = up {
            urow[q] = pa * up[q] * inv;
        }
    }
}

/// Largest contraction `||dbar|| / ||du||` of an accepted full step for
/// which [`solve`] also takes the simplified correction `dbar` (a chord
/// step with the Jacobian already factorised: Shamanskii's method, order
/// three where Newton has two).
const CHORD_THETA: f64 = 0.5;

/// The Newton iteration for `K` components; inlined into its compilation
/// for each instruction set ([`solve_isa`]; `AVX2` in the AVX2 one), with
/// the evaluation, the assembly, the factorisation and the solves (no
/// closures or iterator adaptors that could stay out of line, where they
/// would run the baseline compilation).
#[inline(always)]
fn solve_k<const K: usize, const AVX2: bool>(
    p: &SfProblem<'_>,
    u: &mut Array2<f64>,
    ws: &mut SfWorkspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    const ALPHA_MIN: f64 = 1e-6;
    let n = u.nrows();
    ws.size(n, K);
    ws.set_links::<K>(p);
    let us = u.as_slice_mut().expect("standard layout");
    // the report of the last evaluation (`ws.r`, `ws.s` hold its balances)
    let done = |ws: &SfWorkspace, status, it, res| report(status, it, res, worst_at(ws, K));
    let mut e = evaluate::<K>(p, us, ws);
    if !e.worst.is_finite() {
        return done(ws, Status::Diverged, 0, e.worst);
    }
    let mut it = 0;
    let mut prev: Option<(f64, f64)> = None; // (||du_prev||, alpha_prev)
    loop {
        if e.worst <= opts.tolerance {
            return done(ws, Status::Converged, it, e.worst);
        }
        if it >= opts.max_iterations {
            return done(ws, Status::MaxIterations, it, e.worst);
        }
        it += 1;
        let f0 = e.rms;
        let factored = if K == 2 {
            fused_2::<AVX2>(ws)
        } else {
            assemble::<K>(ws);
            let sys = ws.sys.as_mut().expect("sized");
            match sys.factor_sized::<K>() {
                Ok(()) => {
                    sys.solve_sized::<K>(&mut ws.du);
                    Ok(())
                }
                Err(_) => Err(()),
            }
        };
        if factored.is_err() {
            return done(ws, Status::Diverged, it, e.worst);
        }
        let du = ws.du.as_slice().expect("standard layout");
        let (big, sq) = du.iter().fold((0.0f64, 0.0f64), max_abs_and_sumsq);
        let alpha_cap = if big > opts.max_log_step {
            opts.max_log_step / big
        } else {
            1.0
        };
        let nd = (sq / du.len().max(1) as f64).sqrt();
        if !nd.is_finite() {
            return done(ws, Status::Diverged, it, e.worst);
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
        // the row scales of the assembled Jacobian; `s` is rewritten by
        // the next evaluation
        std::mem::swap(&mut ws.s, &mut ws.s_base);
        loop {
            let du = ws.du.as_slice().expect("standard layout");
            for ((x, b), d) in us.iter_mut().zip(&ws.u_base).zip(du) {
                *x = b + alpha * d;
            }
            let t = evaluate::<K>(p, us, ws);
            if t.worst.is_finite() {
                if t.worst <= opts.tolerance {
                    e = t;
                    break;
                }
                // simplified correction with the old Jacobian (rows scaled
                // as assembled); its right-hand side's norm is the scaled
                // residual of the monotonicity test
                let dbar = ws.dbar.as_slice_mut().expect("standard layout");
                let mut sq = 0.0;
                for ((b, r), s) in dbar.iter_mut().zip(&ws.r).zip(&ws.s_base) {
                    *b = -r / s;
                    sq += *b * *b;
                }
                let fnew = (sq / dbar.len().max(1) as f64).sqrt();
                ws.sys
                    .as_ref()
                    .expect("sized")
                    .solve_sized::<K>(&mut ws.dbar);
                let dbar = ws.dbar.as_slice().expect("standard layout");
                let du = ws.du.as_slice().expect("standard layout");
                let (big, sq) = dbar.iter().fold((0.0f64, 0.0f64), max_abs_and_sumsq);
                let nb = (sq / dbar.len().max(1) as f64).sqrt();
                let theta = nb / nd;
                if nb.is_finite() && (theta < 1.0 - alpha / 4.0 || fnew <= (1.0 - alpha / 4.0) * f0)
                {
                    e = t;
                    prev = Some((nd, alpha));
                    // Chord step: a full step that contracted well is
                    // followed by its simplified correction, already
                    // solved with this iteration's factors, at the price of
                    // one evaluation (which the next iteration needs
                    // anyway). Kept only if the residual falls.
                    if alpha == 1.0 && theta < CHORD_THETA && big <= opts.max_log_step {
                        ws.u_base.copy_from_slice(us);
                        for (x, d) in us.iter_mut().zip(dbar) {
                            *x += d;
                        }
                        let z = evaluate::<K>(p, us, ws);
                        let fz = rms_ratio(&ws.r, &ws.s_base);
                        if z.worst.is_finite() && (z.worst <= opts.tolerance || fz < fnew) {
                            e = z;
                            // the a-priori damping estimate needs the
                            // simplified correction at the accepted point
                            prev = None;
                        } else {
                            us.copy_from_slice(&ws.u_base);
                            e = evaluate::<K>(p, us, ws);
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
                let r = evaluate::<K>(p, us, ws);
                return done(ws, Status::Diverged, it, r.worst);
            }
        }
    }
}

/// The separation-factor stage balances along the continuation path
/// `beta(s) = exp(s lb)` of [`super::Solver`], for pseudo-arclength steps
/// ([`arc_step`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ArcPath<'a> {
    /// `ln beta` of the active components, normalised (`K`).
    pub lb: &'a [f64],
    /// Organic RE outflow of each stage (`n`).
    pub org_flow: &'a [f64],
    /// Whether stage `j` receives the aqueous of stage `j + 1`.
    pub links: &'a [bool],
    /// External inflows, shape `(n, K)`.
    pub feed: &'a Array2<f64>,
    /// Shares passed on to the neighbour stages (side draws).
    pub pass: Option<(&'a [f64], &'a [f64])>,
}

/// One pseudo-arclength corrector: solves the stage balances at
/// `beta(s)` together with the arclength condition
/// `<tu, u - u0> / nk + ts (s - s0) = h` for `(u, s)` (the predictor on
/// entry), where `(u0, s0)` is the last point on the path and `(tu, ts)`
/// its unit tangent. The augmented Jacobian is the block-tridiagonal one
/// bordered by `dF/ds` and the tangent: two solves with one factorisation
/// and a scalar Schur complement. Where the path is nearly vertical in
/// `s` (a composition front crossing a section for a tiny change of
/// beta), the step moves along the front instead of stalling in `s`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn arc_step(
    path: &ArcPath<'_>,
    u: &mut Array2<f64>,
    s: &mut f64,
    (u0, s0): (&Array2<f64>, f64),
    (tu, ts): (&Array2<f64>, f64),
    h: f64,
    ws: &mut SfWorkspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    match path.lb.len() {
        1 => arc_k::<1>(path, u, s, (u0, s0), (tu, ts), h, ws, opts),
        2 => arc_k::<2>(path, u, s, (u0, s0), (tu, ts), h, ws, opts),
        3 => arc_k::<3>(path, u, s, (u0, s0), (tu, ts), h, ws, opts),
        4 => arc_k::<4>(path, u, s, (u0, s0), (tu, ts), h, ws, opts),
        5 => arc_k::<5>(path, u, s, (u0, s0), (tu, ts), h, ws, opts),
        6 => arc_k::<6>(path, u, s, (u0, s0), (tu, ts), h, ws, opts),
        7 => arc_k::<7>(path, u, s, (u0, s0), (tu, ts), h, ws, opts),
        8 => arc_k::<8>(path, u, s, (u0, s0), (tu, ts), h, ws, opts),
        k => unreachable!("no specialised separation-factor kernel for {k} components"),
    }
}

#[allow(clippy::too_many_arguments)]
fn arc_k<const K: usize>(
    path: &ArcPath<'_>,
    u: &mut Array2<f64>,
    s: &mut f64,
    (u0, s0): (&Array2<f64>, f64),
    (tu, ts): (&Array2<f64>, f64),
    h: f64,
    ws: &mut SfWorkspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    let n = u.nrows();
    let nk = n * K;
    let lb: &[f64; K] = path.lb.try_into().expect("K components");
    let beta_at = |s: f64| {
        let mut b = [0.0f64; K];
        for (b, l) in b.iter_mut().zip(lb) {
            *b = (s * l).exp();
        }
        b
    };
    fn prob<'b>(path: &ArcPath<'b>, beta: &'b [f64]) -> SfProblem<'b> {
        SfProblem {
            beta,
            org_flow: path.org_flow,
            links: path.links,
            feed: path.feed,
            pass: path.pass,
        }
    }
    ws.size(n, K);
    let beta = beta_at(*s);
    ws.set_links::<K>(&prob(path, &beta));
    let (u0s, tus) = (
        u0.as_slice().expect("standard layout"),
        tu.as_slice().expect("standard layout"),
    );
    let inv_nk = 1.0 / nk.max(1) as f64;
    let us = u.as_slice_mut().expect("standard layout");
    let done = |ws: &SfWorkspace, status, it, res| report(status, it, res, worst_at(ws, K));
    let mut e = evaluate::<K>(&prob(path, &beta), us, ws);
    let mut it = 0;
    loop {
        if !e.worst.is_finite() {
            return done(ws, Status::Diverged, it, e.worst);
        }
        if e.worst <= opts.tolerance {
            return done(ws, Status::Converged, it, e.worst);
        }
        if it >= opts.max_iterations {
            return done(ws, Status::MaxIterations, it, e.worst);
        }
        it += 1;
        // dF/ds of the scaled rows: d o_q / ds = o_q (lb_q - sum_v w_v lb_v)
        {
            let dbar = ws.dbar.as_slice_mut().expect("standard layout");
            let mut below = 0.0;
            for j in 0..n {
                let w = &ws.w[j * K..(j + 1) * K];
                let lbar: f64 = w.iter().zip(lb).map(|(w, l)| w * l).sum();
                for (q, &lq) in lb.iter().enumerate() {
                    let i = j * K + q;
                    let mut d = -ws.o[i] * (lq - lbar);
                    if j > 0 {
                        d += ws.po[j] * ws.o[i - K] * (lq - below);
                    }
                    dbar[i] = d / ws.s[i];
                }
                below = lbar;
            }
        }
        assemble::<K>(ws);
        let sys = ws.sys.as_mut().expect("sized");
        if sys.factor().is_err() {
            return done(ws, Status::Diverged, it, e.worst);
        }
        sys.solve(&mut ws.du);
        sys.solve(&mut ws.dbar);
        let (x1, x2) = (
            ws.du.as_slice().expect("standard layout"),
            ws.dbar.as_slice().expect("standard layout"),
        );
        let mut g = ts * (*s - s0) - h;
        let (mut t1, mut t2) = (0.0, 0.0);
        for i in 0..nk {
            g += tus[i] * (us[i] - u0s[i]) * inv_nk;
            t1 += tus[i] * x1[i] * inv_nk;
            t2 += tus[i] * x2[i] * inv_nk;
        }
        let schur = ts - t2;
        if schur.is_nan() || schur.abs() <= 1e-300 {
            return done(ws, Status::Diverged, it, e.worst);
        }
        let dsig = (-g - t1) / schur;
        let mut big = 0.0f64;
        for i in 0..nk {
            big = big.max((x1[i] - dsig * x2[i]).abs());
        }
        if !big.is_finite() || !dsig.is_finite() {
            return done(ws, Status::Diverged, it, e.worst);
        }
        let mut alpha: f64 = if big > opts.max_log_step {
            opts.max_log_step / big
        } else {
            1.0
        };
        ws.u_base.copy_from_slice(us);
        let (s_base, f0) = (*s, e.rms);
        loop {
            let (x1, x2) = (
                ws.du.as_slice().expect("standard layout"),
                ws.dbar.as_slice().expect("standard layout"),
            );
            for i in 0..nk {
                us[i] = ws.u_base[i] + alpha * (x1[i] - dsig * x2[i]);
            }
            *s = s_base + alpha * dsig;
            let beta = beta_at(*s);
            let t = evaluate::<K>(&prob(path, &beta), us, ws);
            if t.worst.is_finite() && (t.worst <= opts.tolerance || t.rms < f0) {
                e = t;
                break;
            }
            alpha *= 0.5;
            if alpha < 1e-3 {
                us.copy_from_slice(&ws.u_base);
                *s = s_base;
                let t = evaluate::<K>(&prob(path, &beta_at(*s)), us, ws);
                return done(ws, Status::Diverged, it, t.worst);
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
                let mut sws = SfWorkspace::default();
                let s = solve(&prob, &mut us, &mut sws, &opts);
                // the amounts of the last evaluation, at the returned point only
                let ul = us.as_slice().unwrap();
                let want: Vec<f64> = ul.iter().map(|&v| fast_exp::exp(v)).collect();
                assert_eq!(sws.amounts_at(ul), Some(&want[..]), "k={k}");
                assert_eq!(sws.amounts_at(start.as_slice().unwrap()), None, "k={k}");
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
                set_links_dyn(&mut ws, &prob);
                let res = evaluate_dyn(&prob, us.as_slice().unwrap(), &mut ws).worst;
                assert!(res <= 1e-12, "k={k}: {res}");
            }
        }
    }

    /// The fused pass of two components gives the `du` and the factors of
    /// [`assemble`], `factor` and `solve`, bit for bit, with and without
    /// side draws.
    #[test]
    fn fused_pass_matches_assemble_factor_solve() {
        for draws in [false, true] {
            let n = 11;
            let beta = [1.0, 1.7];
            let org: Vec<f64> = (0..n).map(|j| if j + 1 < n { 1.3 } else { 0.4 }).collect();
            let links: Vec<bool> = (0..n).map(|j| j + 1 < n && j != 7).collect();
            let mut feed = Array2::zeros((n, 2));
            feed[[5, 0]] = 0.4;
            feed[[5, 1]] = 0.6;
            let pa: Vec<f64> = (0..n).map(|j| if j == 6 { 0.9 } else { 1.0 }).collect();
            let po: Vec<f64> = (0..n).map(|j| if j == 2 { 0.95 } else { 1.0 }).collect();
            let prob = SfProblem {
                beta: &beta,
                org_flow: &org,
                links: &links,
                feed: &feed,
                pass: draws.then_some((&pa[..], &po[..])),
            };
            let u: Vec<f64> = (0..2 * n)
                .map(|i| -0.3 + 0.05 * (i % 7) as f64 - 0.02 * i as f64)
                .collect();
            let mut ws = SfWorkspace::default();
            ws.size(n, 2);
            ws.set_links::<2>(&prob);
            evaluate::<2>(&prob, &u, &mut ws);
            let mut plain = ws.clone();
            assemble::<2>(&mut plain);
            let sys = plain.sys.as_mut().unwrap();
            sys.factor().unwrap();
            sys.solve(&mut plain.du);
            assemble_factor_solve_2::<false>(&mut ws).unwrap();
            let bits = |a: &Array2<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&ws.du), bits(&plain.du), "draws={draws}");
            assert!(ws.du.iter().any(|&v| v != 0.0));
            let rhs = Array2::from_shape_fn((n, 2), |(j, q)| 0.1 * j as f64 - 0.3 * q as f64);
            let (mut x, mut y) = (rhs.clone(), rhs);
            ws.sys.as_ref().unwrap().solve(&mut x);
            plain.sys.as_ref().unwrap().solve(&mut y);
            assert_eq!(bits(&x), bits(&y), "draws={draws}");
        }
    }

    fn set_links_dyn(ws: &mut SfWorkspace, p: &SfProblem<'_>) {
        match p.beta.len() {
            1 => ws.set_links::<1>(p),
            2 => ws.set_links::<2>(p),
            3 => ws.set_links::<3>(p),
            4 => ws.set_links::<4>(p),
            5 => ws.set_links::<5>(p),
            6 => ws.set_links::<6>(p),
            7 => ws.set_links::<7>(p),
            _ => ws.set_links::<8>(p),
        }
    }

    fn evaluate_dyn(p: &SfProblem<'_>, u: &[f64], ws: &mut SfWorkspace) -> Eval {
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
