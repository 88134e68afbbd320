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
/// (both stage-major: `a[j * K + c]`), and each stage's aqueous RE
/// `sum_c a` and `sum_c beta_c a` into `aq` and `org` (in the same pass,
/// components summed in order). The components go through the stages
/// side by side ([`profiles_k`], specialised by their number up to 8,
/// where the arithmetic of the `K` eliminations runs in vector lanes).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
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
    macro_rules! fixed {
        ($k:literal) => {
            profiles_k::<$k>(
                links,
                fs,
                beta.try_into().expect("K values"),
                feed.try_into().expect("K values"),
                lam,
                a,
                dp,
                (aq, org),
            )
        };
    }
    match beta.len() {
        1 => fixed!(1),
        2 => fixed!(2),
        3 => fixed!(3),
        4 => fixed!(4),
        5 => fixed!(5),
        6 => fixed!(6),
        7 => fixed!(7),
        8 => fixed!(8),
        _ => profiles_dyn(links, fs, beta, feed, lam, a, dp, (aq, org)),
    }
}

/// [`profiles`] for `K` components.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn profiles_k<const K: usize>(
    links: &[bool],
    fs: usize,
    beta: &[f64; K],
    feed: &[f64; K],
    lam: &[f64],
    a: &mut [f64],
    dp: &mut [f64],
    (aq, org): (&mut [f64], &mut [f64]),
) {
    let n = lam.len();
    let (a, dp) = (&mut a[..n * K], &mut dp[..n * K]);
    let mut dp_prev = [0.0f64; K];
    let mut a_prev = [0.0f64; K];
    for c in 0..K {
        dp_prev[c] = 1.0 + lam[0] * beta[c];
        a_prev[c] = if fs == 0 { feed[c] } else { 0.0 };
    }
    dp[..K].copy_from_slice(&dp_prev);
    a[..K].copy_from_slice(&a_prev);
    // stage j from stage j - 1: `lam` of both, and whether stage j - 1
    // receives the aqueous of stage j
    for j in 1..n {
        let (lj, lp, link) = (lam[j], lam[j - 1], links[j - 1]);
        let at_feed = j == fs;
        for c in 0..K {
            let b = beta[c];
            let d = 1.0 + lj * b;
            let rhs = if at_feed { feed[c] } else { 0.0 };
            let f = lp * b / dp_prev[c];
            dp_prev[c] = if link { d - f } else { d };
            a_prev[c] = rhs + f * a_prev[c];
        }
        dp[j * K..(j + 1) * K].copy_from_slice(&dp_prev);
        a[j * K..(j + 1) * K].copy_from_slice(&a_prev);
    }
    let last = (n - 1) * K;
    let mut next = [0.0f64; K];
    let (mut s, mut sb) = (0.0, 0.0);
    for c in 0..K {
        next[c] = a[last + c] / dp[last + c];
        a[last + c] = next[c];
        s += next[c];
        sb += beta[c] * next[c];
    }
    (aq[n - 1], org[n - 1]) = (s, sb);
    let back = a[..last]
        .chunks_exact_mut(K)
        .zip(dp[..last].chunks_exact(K))
        .zip(&links[..n - 1])
        .zip(aq[..n - 1].iter_mut().zip(org[..n - 1].iter_mut()))
        .rev();
    for (((aj, dpj), &link), (aqj, orgj)) in back {
        let (mut s, mut sb) = (0.0, 0.0);
        for c in 0..K {
            let above = if link { next[c] } else { 0.0 };
            next[c] = (aj[c] + above) / dpj[c];
            aj[c] = next[c];
            s += next[c];
            sb += beta[c] * next[c];
        }
        (*aqj, *orgj) = (s, sb);
    }
}

/// [`profiles`] for any number of components, one component at a time.
/// Left out of line, so in the baseline compilation on both paths
/// ([`super::simd`]): its recurrences are scalar, and inlined into the
/// sweeps it cost instructions (`k15/10` +3.6 % on the baseline path).
#[allow(clippy::too_many_arguments)]
fn profiles_dyn(
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
    let k = beta.len();
    aq.fill(0.0);
    org.fill(0.0);
    for (c, &b) in beta.iter().enumerate() {
        let mut dp_prev = 1.0 + lam[0] * b;
        let mut a_prev = if fs == 0 { feed[c] } else { 0.0 };
        dp[c] = dp_prev;
        a[c] = a_prev;
        for j in 1..n {
            let d = 1.0 + lam[j] * b;
            let rhs = if j == fs { feed[c] } else { 0.0 };
            let f = lam[j - 1] * b / dp_prev;
            dp_prev = if links[j - 1] { d - f } else { d };
            a_prev = rhs + f * a_prev;
            dp[j * k + c] = dp_prev;
            a[j * k + c] = a_prev;
        }
        let mut next = a[(n - 1) * k + c] / dp[(n - 1) * k + c];
        a[(n - 1) * k + c] = next;
        aq[n - 1] += next;
        org[n - 1] += b * next;
        for j in (0..n - 1).rev() {
            let above = if links[j] { next } else { 0.0 };
            next = (a[j * k + c] + above) / dp[j * k + c];
            a[j * k + c] = next;
            aq[j] += next;
            org[j] += b * next;
        }
    }
}

/// The starting `lambda` of [`fixed_point`] (into `lam`, with the
/// buffers of `scratch`): `lambda_j = O_j / (A_j b_j)`,
/// with `b_j` the extractability of stage `j`'s aqueous
/// (`sum beta a / sum a`) guessed from a sharp split of the feed.
///
/// The raffinate (the aqueous leaving stage 0, `A_0` of RE) takes the
/// least extractable components, the extract the rest; `b` tends to the
/// raffinate's value in the extraction section and to that of an aqueous
/// in equilibrium with the extract (`sum y / sum (y / beta)`) in the
/// scrub section, from the feed's value at the feed stage, geometrically
/// with the rate at which a component on the wrong side of the split dies
/// away stage by stage: `1 / (lambda beta_q)` in the extraction section,
/// `lambda beta_q` in the scrub, for the nearest such component and the
/// `lambda` of the section's pinch (Underwood: `sum r_q / (1 - lambda
/// beta_q) = A` below the feed with `r` the raffinate, `sum p_q / (lambda
/// beta_q - 1) = A` above it with `p` the extract). A sharp front (many
/// components, well apart) gives a step at the feed, a slow one (a close
/// binary) a gradual profile. Where the split is degenerate (no
/// raffinate, or all of the feed in it), `b` is the feed's value
/// everywhere.
///
/// Against the feed's value everywhere, on the benchmark cascades: cold
/// `six-120` 19 -> 6 sweeps and 8 -> 3 Newton iterations (the tearing
/// stalls on a slow mode that sets where the fronts sit, so a start that
/// puts them near their place saves the Newton iterations that move
/// them), `xu-A` 14 -> 4 sweeps (2 -> 3 iterations), `xu-D` 6 -> 5
/// sweeps (3 -> 2 iterations).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn start_lambda(
    layout: &Layout,
    beta: &[f64],
    feed: &[f64],
    org_flow: &[f64],
    aq_tot: &[f64],
    scratch: &mut LambdaScratch,
    lam: &mut Vec<f64>,
) {
    let LambdaScratch {
        order,
        raff,
        prod,
        pairs,
    } = scratch;
    let n = org_flow.len();
    let k = beta.len();
    let fs = layout.feed_stage();
    let scrub_end = layout.scrub_stage().unwrap_or(fs);
    let ftot: f64 = feed.iter().sum();
    let bfeed: f64 = beta.iter().zip(feed).map(|(b, f)| b * f).sum::<f64>() / ftot;
    let mut flat = |b: &dyn Fn(usize) -> f64| {
        lam.clear();
        lam.extend((0..n).map(|j| org_flow[j] / (aq_tot[j] * b(j))));
    };
    let r = aq_tot[0];
    if !(r > 0.0 && r < ftot) || fs >= n {
        return flat(&|_| bfeed);
    }
    // sharp split: the raffinate takes the least extractable components
    order.clear();
    order.extend(0..k);
    order.sort_by(|&p, &q| beta[p].total_cmp(&beta[q]));
    raff.clear();
    raff.resize(k, 0.0);
    let mut left = r;
    for &q in order.iter() {
        raff[q] = feed[q].min(left);
        left -= raff[q];
    }
    prod.clear();
    prod.extend(feed.iter().zip(raff.iter()).map(|(f, x)| f - x));
    let b_low = (0..k).map(|q| beta[q] * raff[q]).sum::<f64>() / r;
    let (sy, syb) = (0..k).fold((0.0, 0.0), |(s, sb), q| {
        (s + prod[q], sb + prod[q] / beta[q])
    });
    let b_top = sy / syb;
    // Underwood's pinch lambda of the extraction section (increasing in
    // lambda on (0, 1 / max beta of the raffinate))
    let a_e = aq_tot[fs / 2];
    // (amount, beta) of the raffinate's components
    pairs.clear();
    pairs.extend(
        (0..k)
            .filter(|&q| raff[q] > 0.0)
            .map(|q| (raff[q], beta[q])),
    );
    let in_raff = &pairs[..];
    let bmax = in_raff.iter().map(|&(_, b)| b).fold(0.0, f64::max);
    let g_e = |l: f64| in_raff.iter().map(|&(x, b)| x / (1.0 - l * b)).sum::<f64>() - a_e;
    let l_e = bisect(0.0, 1.0 / bmax, 60, |l| g_e(l) < 0.0);
    let rho_e = (0..k)
        .filter(|&q| l_e * beta[q] > 1.0)
        .map(|q| 1.0 / (l_e * beta[q]))
        .fold(0.0, f64::max);
    // and of the scrub section (decreasing on (1 / min beta of the
    // extract, inf))
    let js = (fs + 1 + scrub_end) / 2;
    let rho_s = if scrub_end > fs && js < n {
        let a_s = aq_tot[js];
        // (amount, beta) of the extract's components
        pairs.clear();
        pairs.extend(
            (0..k)
                .filter(|&q| prod[q] > 0.0)
                .map(|q| (prod[q], beta[q])),
        );
        let in_prod = &pairs[..];
        let bmin = in_prod
            .iter()
            .map(|&(_, b)| b)
            .fold(f64::INFINITY, f64::min);
        let g_s = |l: f64| in_prod.iter().map(|&(x, b)| x / (l * b - 1.0)).sum::<f64>() - a_s;
        let lo = 1.0 / bmin;
        let mut hi = 2.0 * lo;
        while g_s(hi) > 0.0 && hi < 1e12 * lo {
            hi *= 2.0;
        }
        let l_s = bisect(lo, hi, 60, |l| g_s(l) > 0.0);
        (0..k)
            .filter(|&q| l_s * beta[q] < 1.0)
            .map(|q| l_s * beta[q])
            .fold(0.0, f64::max)
    } else {
        0.0
    };
    if !(b_low > 0.0 && b_top.is_finite() && b_top > 0.0 && rho_e.is_finite() && rho_s.is_finite())
    {
        return flat(&|_| bfeed);
    }
    flat(&|j| {
        if j <= fs {
            b_low + (bfeed - b_low) * rho_e.powi((fs - j) as i32)
        } else if j <= scrub_end {
            b_top + (bfeed - b_top) * rho_s.powi((j - fs) as i32)
        } else {
            bfeed
        }
    })
}

/// Buffers of [`start_lambda`].
#[derive(Debug, Clone, Default)]
struct LambdaScratch {
    order: Vec<usize>,
    raff: Vec<f64>,
    prod: Vec<f64>,
    /// (amount, beta) of the components of one side of the split
    pairs: Vec<(f64, f64)>,
}

/// Buffers of [`fixed_point`], sized on each call and kept between calls
/// (a solver that keeps one allocates nothing for its tearing starts once
/// they have reached its largest cascade).
#[derive(Debug, Clone, Default)]
pub(crate) struct TearWorkspace {
    start: LambdaScratch,
    /// the last `lambda` of [`fixed_point`]
    lam: Vec<f64>,
    links: Vec<bool>,
    /// aqueous amounts and elimination pivots (`2 n k`)
    pub(super) prof: Vec<f64>,
    /// six vectors of one value per stage
    stage_vecs: Vec<f64>,
    /// histories of the Anderson mixing
    dx: Vec<f64>,
    df: Vec<f64>,
}

/// `v` as `len` zeros (its allocation kept where it is large enough).
pub(super) fn zeroed<T: Clone + Default>(v: &mut Vec<T>, len: usize) -> &mut [T] {
    v.clear();
    v.resize(len, T::default());
    v
}

/// The point of `(lo, hi)` where `below` turns false, after `steps`
/// bisections (the midpoint of the last bracket).
#[inline(always)]
pub(super) fn bisect(mut lo: f64, mut hi: f64, steps: usize, below: impl Fn(f64) -> bool) -> f64 {
    for _ in 0..steps {
        let m = 0.5 * (lo + hi);
        if below(m) {
            lo = m;
        } else {
            hi = m;
        }
    }
    0.5 * (lo + hi)
}

/// Anderson weights `gamma` minimising `|f - sum_i gamma_i df_i|` (normal
/// equations with a small ridge, at most [`ANDERSON_DEPTH`] columns `df_i`,
/// each as long as `f`, stored one after the other in `df`); `None`
/// without history or when the system is singular.
#[inline(always)]
fn anderson_weights(df: &[f64], f: &[f64]) -> Option<[f64; ANDERSON_DEPTH]> {
    let n = f.len();
    let m = df.len().checked_div(n).unwrap_or(0);
    if m == 0 {
        return None;
    }
    let col = |r: usize| &df[r * n..(r + 1) * n];
    let mut g = [[0.0f64; ANDERSON_DEPTH]; ANDERSON_DEPTH];
    let mut b = [0.0f64; ANDERSON_DEPTH];
    for r in 0..m {
        // (`c` indexes the row and the column of the symmetric matrix)
        #[allow(clippy::needless_range_loop)]
        for c in r..m {
            let v: f64 = col(r).iter().zip(col(c)).map(|(x, y)| x * y).sum();
            g[r][c] = v;
            g[c][r] = v;
        }
        b[r] = col(r).iter().zip(f).map(|(x, y)| x * y).sum();
    }
    let ridge = 1e-12 * (0..m).map(|r| g[r][r]).fold(0.0, f64::max);
    for (r, row) in g.iter_mut().enumerate().take(m) {
        row[r] += ridge;
    }
    // Gaussian elimination (the matrix is symmetric positive semi-definite
    // plus the ridge: no pivoting needed)
    for p in 0..m {
        if g[p][p] <= 0.0 || !g[p][p].is_finite() {
            return None;
        }
        let pivot_row = g[p];
        for r in p + 1..m {
            let t = g[r][p] / pivot_row[p];
            for (gv, pv) in g[r][p..m].iter_mut().zip(&pivot_row[p..m]) {
                *gv -= t * pv;
            }
            b[r] -= t * b[p];
        }
    }
    let mut x = [0.0f64; ANDERSON_DEPTH];
    for r in (0..m).rev() {
        let s: f64 = (r + 1..m).map(|c| g[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / g[r][r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[inline(always)]
pub(super) fn to_log(a: &[f64], aq_tot: &[f64], u: &mut Array2<f64>) {
    let n = aq_tot.len();
    let k = a.len() / n;
    if u.dim() != (n, k) || !u.is_standard_layout() {
        *u = Array2::zeros((n, k));
    }
    let u = u.as_slice_mut().expect("standard layout");
    for ((row, aj), &t) in u.chunks_exact_mut(k).zip(a.chunks_exact(k)).zip(aq_tot) {
        let floor = 1e-300 * t;
        for (v, &x) in row.iter_mut().zip(aj) {
            *v = x.max(floor).ln();
        }
    }
}

/// `v > 0.0 && v < f64::INFINITY` on the bits: those of a positive finite
/// double, less one, lie below those of infinity less one; those of 0, -0
/// (wrapping), negatives, infinities and NaNs do not. The compiler turns
/// the two compares into about a dozen integer instructions a value.
/// (Also the pivot test of [`super::block_tridiag`]'s blocks of 2: a
/// pivot's magnitude `max` fails `max == 0.0 || !max.is_finite()` exactly
/// when it is positive and finite.)
#[inline(always)]
pub(super) fn positive_finite(v: f64) -> bool {
    const INF_BITS: u64 = 0x7ff0_0000_0000_0000;
    v.to_bits().wrapping_sub(1) < INF_BITS - 1
}

/// Depth of the Anderson acceleration in [`fixed_point`].
const ANDERSON_DEPTH: usize = 4;

/// Tearing fixed point: rescales each `lambda_j` so that the ratio of the
/// stage's organic to aqueous RE matches the prescribed flows. The plain
/// update `lambda_j <- lambda_j * ratio_j` contracts slowly (a smooth error
/// along the cascade loses about 15 % a sweep), so the sweeps are
/// accelerated by Anderson mixing over the last [`ANDERSON_DEPTH`] updates;
/// the history is dropped, and the update damped, whenever the largest
/// mismatch grows or a mixed `lambda` would not be positive. Writes the
/// log aqueous amounts (a start for Newton) into `u` (shaped `(n, K)` if
/// it is not) and keeps the last `lambda` in `ws`.
///
/// # References
/// H. F. Walker, P. Ni, "Anderson acceleration for fixed-point
/// iterations", *SIAM J. Numer. Anal.* 49 (2011) 1715-1735.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fixed_point(
    layout: &Layout,
    beta: &[f64],
    feed: &[f64],
    org_flow: &[f64],
    aq_tot: &[f64],
    max_sweeps: usize,
    tol: f64,
    ws: &mut TearWorkspace,
    u: &mut Array2<f64>,
) {
    let args = (layout, beta, feed, org_flow, aq_tot, max_sweeps, tol, ws, u);
    #[cfg(target_arch = "x86_64")]
    if super::simd::avx2() {
        // SAFETY: the processor has AVX2
        return unsafe { fixed_point_avx2(args) };
    }
    fixed_point_base(args)
}

/// The arguments of [`fixed_point`].
type FixedPointArgs<'a> = (
    &'a Layout,
    &'a [f64],
    &'a [f64],
    &'a [f64],
    &'a [f64],
    usize,
    f64,
    &'a mut TearWorkspace,
    &'a mut Array2<f64>,
);

/// [`fixed_point`] compiled for AVX2 (without FMA: the same roundings as
/// the baseline; [`super::simd`]), its sweeps inlined.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fixed_point_avx2(args: FixedPointArgs<'_>) {
    fixed_point_inline(args)
}

/// [`fixed_point`] for the baseline target.
fn fixed_point_base(args: FixedPointArgs<'_>) {
    fixed_point_inline(args)
}

/// The body of [`fixed_point`].
#[inline(always)]
fn fixed_point_inline(
    (layout, beta, feed, org_flow, aq_tot, max_sweeps, tol, ws, u): FixedPointArgs<'_>,
) {
    let n = layout.stages();
    let k = beta.len();
    let fs = layout.feed_stage();
    let TearWorkspace {
        start,
        lam,
        links,
        prof,
        stage_vecs,
        dx,
        df,
    } = ws;
    links.clear();
    links.extend((0..n).map(|j| layout.aqueous_link(j)));
    start_lambda(layout, beta, feed, org_flow, aq_tot, start, lam);
    // one buffer for the profiles, one for the per-stage vectors and one
    // for each history
    let (a, dp) = zeroed(prof, 2 * n * k).split_at_mut(n * k);
    let (org, rest) = zeroed(stage_vecs, 6 * n).split_at_mut(n);
    let (aq, rest) = rest.split_at_mut(n);
    let (f, rest) = rest.split_at_mut(n);
    let (lam_prev, rest) = rest.split_at_mut(n);
    let (f_prev, target) = rest.split_at_mut(n);
    let mut omega: f64 = 1.0;
    let mut last_worst = f64::INFINITY;
    // update f = g(lam) - lam (`f`); histories of lam and f differences
    // (rings of `ANDERSON_DEPTH` columns of `n`)
    let dx = zeroed(dx, ANDERSON_DEPTH * n);
    let df = zeroed(df, ANDERSON_DEPTH * n);
    let (mut stored, mut next, mut have_prev) = (0usize, 0usize, false);
    // organic over aqueous RE each stage must reach
    for ((t, o), a) in target.iter_mut().zip(org_flow).zip(aq_tot) {
        *t = o / a;
    }
    for _ in 0..max_sweeps {
        profiles(links, fs, beta, feed, lam, a, dp, (aq, org));
        let mut worst = 0.0f64;
        for (((fj, &t), &l), (&aqj, &orgj)) in f
            .iter_mut()
            .zip(&*target)
            .zip(lam.iter())
            .zip(aq.iter().zip(&*org))
        {
            let ratio = t * aqj / (l * orgj);
            // compare and select: the value of `f64::max` (a NaN leaves
            // `worst` as it is in both) without its NaN handling
            let miss = (ratio - 1.0).abs();
            worst = if miss > worst { miss } else { worst };
            *fj = l * (ratio - 1.0);
        }
        if !worst.is_finite() {
            break;
        }
        if worst < tol {
            for (l, fv) in lam.iter_mut().zip(&*f) {
                *l += fv;
            }
            break;
        }
        if worst > last_worst {
            // growing: forget the history and damp the plain update
            stored = 0;
            next = 0;
            have_prev = false;
            omega = (omega * 0.5).max(0.1);
        } else {
            omega = (omega * 1.2).min(1.0);
        }
        last_worst = worst;
        if have_prev {
            let slot = next * n..(next + 1) * n;
            for (((x, l), lp), (d, (fv, fp))) in dx[slot.clone()]
                .iter_mut()
                .zip(lam.iter())
                .zip(&*lam_prev)
                .zip(df[slot].iter_mut().zip(f.iter().zip(&*f_prev)))
            {
                *x = l - lp;
                *d = fv - fp;
            }
            next = (next + 1) % ANDERSON_DEPTH;
            stored = (stored + 1).min(ANDERSON_DEPTH);
        }
        lam_prev.copy_from_slice(lam);
        f_prev.copy_from_slice(f);
        have_prev = true;
        let gamma = if omega == 1.0 {
            anderson_weights(&df[..stored * n], f)
        } else {
            None
        };
        for (l, fv) in lam.iter_mut().zip(&*f) {
            *l += omega * fv;
        }
        if let Some(g) = &gamma {
            let cols = dx.chunks_exact(n).zip(df.chunks_exact(n));
            for (gi, (x, d)) in g.iter().zip(cols).take(stored) {
                for ((l, xv), dv) in lam.iter_mut().zip(x).zip(d) {
                    *l -= gi * (xv + dv);
                }
            }
        }
        // (a fold without early exit)
        if !lam.iter().fold(true, |ok, &v| ok & positive_finite(v)) {
            // the mixed lambda left the admissible region: plain step
            for j in 0..n {
                lam[j] = lam_prev[j] + omega * f_prev[j];
            }
            stored = 0;
            next = 0;
        }
    }
    profiles(links, fs, beta, feed, lam, a, dp, (aq, org));
    to_log(a, aq_tot, u);
}

/// `(sigma(q), sigma(-q))` of the logistic function, without overflow.
pub(super) fn logistic_pair(q: f64) -> (f64, f64) {
    let e = (-q.abs()).exp();
    let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
    if q >= 0.0 {
        (big, small)
    } else {
        (small, big)
    }
}

/// A first `q` for [`march_2`]: the small amount of the split is about
/// `exp(-m ln kappa)` of the stream it is in, with `m` the stages of its
/// section and `kappa > 1` the factor by which a trace of the other
/// component grows a stage on the way to the feed stage (`O beta_h / (A
/// beta_l)` in the extraction section, for the extractable component in
/// the raffinate when `in_raffinate`; `A beta_h / (O beta_l)` in the scrub,
/// for the other one in the extract), at the section's middle stage; 0
/// where the section is empty or does not enrich.
fn first_q(
    layout: &Layout,
    (bl, bh): (f64, f64),
    org_flow: &[f64],
    aq_tot: &[f64],
    in_raffinate: bool,
) -> f64 {
    let (n, fs) = (layout.stages(), layout.feed_stage());
    let m = if in_raffinate { fs } else { n - 1 - fs };
    if m == 0 {
        return 0.0;
    }
    let kappa = if in_raffinate {
        let j = fs / 2;
        org_flow[j] * bh / (aq_tot[j + 1] * bl)
    } else {
        let j = (fs + n) / 2;
        aq_tot[j] * bh / (org_flow[j - 1] * bl)
    };
    if kappa > 1.0 {
        -(m as f64) * kappa.ln()
    } else {
        0.0
    }
}

/// The exact profile of a two-component cascade without a strip section
/// or side draws, by marching the stage balances from both ends to the
/// feed stage (into `u` as `ln` aqueous amounts, shaped `(n, 2)` if it is
/// not); `false` (and `u` untouched) where the cascade is not of that kind
/// or the march fails, for [`fixed_point`] to take over.
///
/// Summed from stage 0 up, the balances say that the aqueous entering
/// stage `j` from above less the organic leaving it is the raffinate `R`
/// below the feed stage (`a_{j+1} = o_j + R`) and minus the extract `P`
/// from the feed stage up (`o_j = a_{j+1} + P`); with the equilibrium
/// `o_j = O_j beta a_j / sum beta a_j` and the known aqueous totals, the
/// raffinate fixes the profile up to the feed stage stage by stage
/// (upwards) and the extract, `F - R`, fixes it down to the feed stage
/// (downwards, from the last stage, whose organic is the extract). What
/// is left is one number, the split of the raffinate, and one equation:
/// both marches reach the same composition at the feed stage. Each march
/// runs in the direction in which a composition error does not grow (in
/// `ln(a_H / a_L)` the upward step from the raffinate and the downward
/// step from the extract have slopes of at most about 1), and the unknown
/// is a logistic variable `q` for the two small amounts, the extractable
/// component in the raffinate and the other one in the extract, so both
/// keep their relative accuracy down to traces. Newton on `q` (derivatives
/// carried along both marches), kept inside a bracket of the monotone
/// mismatch, converges to the rounding level of the marches in a few
/// passes of a dozen operations a stage.
#[allow(clippy::too_many_arguments)]
pub(crate) fn march_2(
    layout: &Layout,
    beta: &[f64],
    feed: &[f64],
    org_flow: &[f64],
    aq_tot: &[f64],
    ws: &mut TearWorkspace,
    u: &mut Array2<f64>,
) -> bool {
    let n = layout.stages();
    let fs = layout.feed_stage();
    if beta.len() != 2 || layout.strip > 0 || n == 0 || fs >= n {
        return false;
    }
    // the less (`l`) and the more (`h`) extractable component
    let (l, h) = if beta[0] < beta[1] {
        (0, 1)
    } else if beta[1] < beta[0] {
        (1, 0)
    } else {
        return false;
    };
    let (bl, bh) = (beta[l], beta[h]);
    let (ibl, ibh) = (1.0 / bl, 1.0 / bh);
    let (fl, fh) = (feed[l], feed[h]);
    let a0 = aq_tot[0];
    let ptot = fl + fh - a0;
    // R_h - P_l = a0 - fl; P_l in (pmin, pmax); P_l = pmin + span s,
    // R_h = dpos + span s, R_l = cl + span s', P_h = ch + span s' with
    // (s, s') the logistic pair of q
    let delta = a0 - fl;
    let pmin = (-delta).max(0.0);
    let pmax = fl.min(ptot);
    let span = pmax - pmin;
    let dpos = delta.max(0.0);
    let cl = (fl - pmax).max(0.0);
    let ch = (fh - dpos - span).max(0.0);
    if !(a0 > 0.0 && ptot > 0.0 && span > 0.0 && bl > 0.0 && span.is_finite()) {
        return false;
    }
    let prof = zeroed(&mut ws.prof, 2 * n);
    // the mismatch ln(a_h / a_l) up - down at the feed stage and its
    // derivative in q, filling `prof` (stage-major, `(l, h)` pairs) on the
    // way
    let mut pass = |q: f64| -> (f64, f64) {
        let (s, t) = logistic_pair(q);
        let ds = span * s * t;
        let (rl, rh) = (cl + span * t, dpos + span * s);
        let (pl, ph) = (pmin + span * s, ch + span * t);
        let (up, down) = prof.split_at_mut(2 * fs);
        // upward from the raffinate: a_{j+1} = o_j + R
        let (mut al, mut ah, mut dal, mut dah) = (rl, rh, -ds, ds);
        for (pair, &o) in up.chunks_exact_mut(2).zip(&org_flow[..fs]) {
            pair[0] = al;
            pair[1] = ah;
            let inv = 1.0 / (bl * al + bh * ah);
            let dw = bl * bh * (al * dah - ah * dal) * inv * inv;
            (al, ah) = (o * (bl * al * inv) + rl, o * (bh * ah * inv) + rh);
            (dal, dah) = (-o * dw - ds, o * dw + ds);
        }
        let (at_feed, above) = down.split_at_mut(2);
        at_feed[0] = al;
        at_feed[1] = ah;
        let (zu, dzu) = ((ah / al).ln(), dah / ah - dal / al);
        // downward from the extract: o_{j-1} = a_j + P
        let (mut ol, mut oh, mut dol, mut doh) = (pl, ph, ds, -ds);
        let stages = above.chunks_exact_mut(2).zip(&aq_tot[fs + 1..n]);
        for (pair, &tot) in stages.rev() {
            let (vl, vh) = (ol * ibl, oh * ibh);
            let inv = 1.0 / (vl + vh);
            let t = tot * inv;
            let (xl, xh) = (vl * t, vh * t);
            pair[0] = xl;
            pair[1] = xh;
            let dx = t * inv * (vl * doh * ibh - vh * dol * ibl);
            (ol, oh) = (xl + pl, xh + ph);
            (dol, doh) = (ds - dx, dx - ds);
        }
        let zd = (oh / ol).ln() - (bh / bl).ln();
        (zu - zd, dzu - (doh / oh - dol / ol))
    };
    // Newton in q inside a bracket of the increasing mismatch; `prof`
    // holds the profile of the last pass
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut q = first_q(layout, (bl, bh), org_flow, aq_tot, delta < 0.0);
    let mut passes = 0;
    let g = loop {
        let (g, dg) = pass(q);
        passes += 1;
        if !g.is_finite() {
            return false;
        }
        if g.abs() <= 1e-13 || passes == 60 {
            break g;
        }
        if g < 0.0 {
            lo = q;
        } else {
            hi = q;
        }
        // a Newton step of at most `max(8, |q|)` (the mismatch is flat
        // where both marches reach their pinches before the feed stage),
        // downhill where the slope is not positive, bisection where it
        // leaves the bracket
        let cap = 8.0_f64.max(q.abs());
        let step = g / dg;
        let step = if dg > 0.0 && step.abs() <= cap {
            step
        } else {
            cap.copysign(g)
        };
        let mut next = q - step;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - q).abs() <= 1e-15 * q.abs().max(1.0) {
            // the rounding floor of the marches
            break g;
        }
        q = next;
    };
    if g.abs() >= 1e-6 {
        return false;
    }
    if l == 1 {
        for pair in ws.prof.chunks_exact_mut(2) {
            pair.swap(0, 1);
        }
    }
    to_log(&ws.prof, aq_tot, u);
    true
}

#[cfg(test)]
pub(super) mod tests {
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
        let a = Array2::from_shape_fn((n, 3), |(j, c)| a[j * 3 + c]);
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

    /// The largest relative imbalance of the separation-factor stage
    /// balances at `exp(u)` (feed at `fs`, every aqueous link but the last).
    /// The largest stage imbalance of `u` (`ln` aqueous amounts), each
    /// relative to the component's largest stream at that stage.
    fn worst_imbalance(u: &Array2<f64>, beta: &[f64], feed: &[f64], org: &[f64], fs: usize) -> f64 {
        let (n, k) = u.dim();
        let a = u.mapv(f64::exp);
        let o = Array2::from_shape_fn((n, k), |(j, c)| {
            let ba: f64 = (0..k).map(|q| beta[q] * a[[j, q]]).sum();
            org[j] * beta[c] * a[[j, c]] / ba
        });
        let mut worst = 0.0f64;
        for j in 0..n {
            for c in 0..k {
                let above = if j + 1 < n { a[[j + 1, c]] } else { 0.0 };
                let below = if j > 0 { o[[j - 1, c]] } else { 0.0 };
                let f = if j == fs { feed[c] } else { 0.0 };
                let big = above.max(below).max(f).max(a[[j, c]]).max(o[[j, c]]);
                let r = (above + below + f - a[[j, c]] - o[[j, c]]).abs() / big;
                worst = worst.max(r);
            }
        }
        worst
    }

    /// A marched start (`march_2` or `march::march_k`).
    pub(in crate::solver) type March =
        fn(&Layout, &[f64], &[f64], &[f64], &[f64], &mut TearWorkspace, &mut Array2<f64>) -> bool;

    /// Asserts that `march` takes the separation-factor cascade `spec`
    /// (built with stage amounts) and that its profile meets every stage
    /// balance within `tol`; for the case named "sharp", that some trace
    /// lies below 1e-20.
    pub(in crate::solver) fn check_march(
        spec: crate::model::CascadeSpec,
        march: March,
        tol: f64,
        ws: &mut TearWorkspace,
    ) {
        let cas = spec.build().unwrap();
        let crate::model::StageFlows::Amounts {
            organic, aqueous, ..
        } = cas.flows()
        else {
            panic!("amount flows")
        };
        let crate::model::ChemistrySpec::SeparationFactor(sf) = &cas.spec().chemistry else {
            panic!("separation factor")
        };
        let (layout, feed) = (cas.layout(), cas.feed_amount());
        let mut u = Array2::zeros((0, 0));
        let name = &cas.spec().name;
        assert!(
            march(layout, &sf.beta, feed, organic, aqueous, ws, &mut u),
            "{name}"
        );
        assert_eq!(u.dim(), (layout.stages(), sf.beta.len()));
        let worst = worst_imbalance(&u, &sf.beta, feed, organic, layout.feed_stage());
        assert!(worst < tol, "{name}: {worst:e}");
        if name == "sharp" {
            let least = u.iter().fold(f64::INFINITY, |m, &v| m.min(v));
            assert!(least < (1e-20f64).ln(), "{least}");
        }
    }

    /// The marched profile meets every stage balance to rounding: Xu's
    /// Pr/Nd cascade with the components in either order, an organic feed,
    /// a cascade without scrub (feed in the last stage) and a sharp split
    /// with traces far below 1e-20.
    #[test]
    fn march_2_solves_every_stage_balance() {
        use crate::model::CascadeSpec;
        let cases = [
            CascadeSpec::separation_factor("xu", &["Pr", "Nd"], &[1.0, 1.5])
                .with_stages(17, 20, 0)
                .with_feed_amounts(&[0.25, 0.75])
                .with_amounts(4.094, 3.3428),
            CascadeSpec::separation_factor("swapped", &["Nd", "Pr"], &[1.5, 1.0])
                .with_stages(17, 20, 0)
                .with_feed_amounts(&[0.75, 0.25])
                .with_amounts(4.094, 3.3428),
            CascadeSpec::separation_factor("organic", &["A", "B"], &[1.0, 2.0])
                .with_stages(10, 10, 0)
                .with_feed_phase(Phase::Organic)
                .with_feed_amounts(&[0.4, 0.6])
                .with_amounts(3.0, 3.5),
            CascadeSpec::separation_factor("no-scrub", &["A", "B"], &[1.0, 2.0])
                .with_stages(12, 0, 0)
                .with_feed_amounts(&[0.5, 0.5])
                .with_amounts(0.6, 0.0),
            CascadeSpec::separation_factor("sharp", &["A", "B"], &[1.0, 4.0])
                .with_stages(60, 60, 0)
                .with_feed_amounts(&[0.5, 0.5])
                .with_amounts(1.5, 1.0),
        ];
        let mut ws = TearWorkspace::default();
        for spec in cases {
            check_march(spec, march_2, 1e-13, &mut ws);
        }
    }

    /// Strip sections, equal extractabilities and more than two components
    /// are left to [`fixed_point`], with `u` untouched.
    #[test]
    fn march_2_declines_what_it_does_not_cover() {
        let strip = Layout {
            extraction: 4,
            scrub: 3,
            strip: 2,
            feed_phase: Phase::Aqueous,
        };
        let plain = Layout { strip: 0, ..strip };
        let org = [2.0; 9];
        let aq = [1.5; 9];
        let mut ws = TearWorkspace::default();
        let mut u = Array2::zeros((1, 1));
        let feed = [0.5, 0.5];
        assert!(!march_2(
            &strip,
            &[1.0, 2.0],
            &feed,
            &org,
            &aq,
            &mut ws,
            &mut u
        ));
        let plain_n = &org[..plain.stages()];
        assert!(!march_2(
            &plain,
            &[1.5, 1.5],
            &feed,
            plain_n,
            plain_n,
            &mut ws,
            &mut u
        ));
        let feed3 = [0.3, 0.3, 0.4];
        assert!(!march_2(
            &plain,
            &[1.0, 1.5, 2.0],
            &feed3,
            plain_n,
            plain_n,
            &mut ws,
            &mut u
        ));
        assert_eq!(u.dim(), (1, 1));
    }

    /// The specialised profiles and the component-by-component ones give
    /// the same bits, with the feed at either end or inside and a broken
    /// aqueous link.
    #[test]
    fn specialised_profiles_match_the_general_ones() {
        let n = 9;
        for k in 1..=8usize {
            for fs in [0, 4, n - 1] {
                let beta: Vec<f64> = (0..k).map(|c| 0.7 + 0.45 * c as f64).collect();
                let feed: Vec<f64> = (0..k).map(|c| 0.1 + 0.05 * c as f64).collect();
                let lam: Vec<f64> = (0..n).map(|j| 0.5 + 0.07 * j as f64).collect();
                let links: Vec<bool> = (0..n).map(|j| j + 1 < n && j != 6).collect();
                let run = |general: bool| {
                    let (mut a, mut dp) = (vec![0.0; n * k], vec![0.0; n * k]);
                    let (mut aq, mut org) = (vec![0.0; n], vec![0.0; n]);
                    let f = if general { profiles_dyn } else { profiles };
                    f(
                        &links,
                        fs,
                        &beta,
                        &feed,
                        &lam,
                        &mut a,
                        &mut dp,
                        (&mut aq, &mut org),
                    );
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    (bits(&a), bits(&dp), bits(&aq), bits(&org))
                };
                assert_eq!(run(false), run(true), "k={k} fs={fs}");
            }
        }
    }

    /// The test on the bits agrees with the two compares on the edge cases
    /// and around them.
    #[test]
    fn positive_finite_is_the_two_compares() {
        let mut values = vec![
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            f64::from_bits(u64::MAX),
            1.0,
            -1.0,
            0.37,
        ];
        let near: Vec<f64> = values
            .iter()
            .flat_map(|v| {
                let b = v.to_bits();
                [
                    f64::from_bits(b.wrapping_add(1)),
                    f64::from_bits(b.wrapping_sub(1)),
                ]
            })
            .collect();
        values.extend(near);
        for v in values {
            assert_eq!(
                positive_finite(v),
                v > 0.0 && v < f64::INFINITY,
                "{v:e} ({:#x})",
                v.to_bits()
            );
        }
        assert!(positive_finite(1e-310) && !positive_finite(-1e-310));
    }

    /// Anderson weights on hand-worked least-squares problems: one
    /// column, `gamma = df.f / df.df`; two orthogonal columns, each its
    /// own projection.
    #[test]
    fn anderson_weights_solve_the_least_squares_problem() {
        let g = anderson_weights(&[1.0, 2.0, 0.0], &[3.0, 1.0, 7.0]).unwrap();
        assert!((g[0] - 1.0).abs() < 1e-12, "{g:?}"); // (3 + 2) / 5
        let g = anderson_weights(&[1.0, 0.0, 0.0, 0.0, 2.0, 0.0], &[4.0, 3.0, 1.0]).unwrap();
        assert!(
            (g[0] - 4.0).abs() < 1e-10 && (g[1] - 1.5).abs() < 1e-10,
            "{g:?}"
        );
        assert!(anderson_weights(&[], &[1.0]).is_none());
        assert!(anderson_weights(&[0.0, 0.0], &[1.0, 1.0]).is_none());
    }

    /// The accelerated fixed point meets a tight tolerance on Xu's Pr/Nd
    /// cascade: every stage's organic RE over aqueous RE is the prescribed
    /// ratio.
    #[test]
    fn fixed_point_closes_the_stage_split() {
        let cas = crate::model::CascadeSpec::separation_factor("t", &["Pr", "Nd"], &[1.0, 1.5])
            .with_stages(17, 20, 0)
            .with_feed_amounts(&[0.25, 0.75])
            .with_amounts(4.094, 3.3428)
            .build()
            .unwrap();
        let crate::model::StageFlows::Amounts {
            organic, aqueous, ..
        } = cas.flows()
        else {
            panic!("amount flows")
        };
        let beta = [1.0, 1.5];
        let mut ws = TearWorkspace::default();
        let mut u = Array2::zeros((0, 0));
        fixed_point(
            cas.layout(),
            &beta,
            &[0.25, 0.75],
            organic,
            aqueous,
            300,
            1e-10,
            &mut ws,
            &mut u,
        );
        let lam = &ws.lam;
        assert_eq!(u.dim(), (lam.len(), 2));
        for j in 0..lam.len() {
            let a: f64 = (0..2).map(|c| u[[j, c]].exp()).sum();
            let o: f64 = (0..2).map(|c| lam[j] * beta[c] * u[[j, c]].exp()).sum();
            let want = organic[j] / aqueous[j];
            assert!(((o / a) / want - 1.0).abs() < 1e-9, "stage {j}");
        }
    }
}
