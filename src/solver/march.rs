//! The exact start for separation-factor cascades of 3 to 8 components
//! without strip section or side draws: [`march_k`], the `K`-component
//! form of [`super::tearing::march_2`].

// (index loops over the `K` components of fixed-size arrays, several
// arrays a loop, read best as such)
#![allow(clippy::needless_range_loop)]

use ndarray::Array2;

use super::tearing::{logistic_pair, positive_finite, to_log, zeroed, TearWorkspace};
use crate::cascade::Layout;

/// The most passes [`march_k`] makes before it gives up.
const MAX_PASSES: usize = 40;

/// The least trust radius of a step in the extraction variables.
const RADIUS: f64 = 8.0;

/// The mismatch below which a step that does not reduce it ends the
/// Newton iterations, without halvings: near the rounding level of long
/// marches, and where the carried sensitivities miss the nearly singular
/// direction of the key pair (the W + 1 % neighbour of six-120 stalled at
/// 2.2e-9 through 30 halved steps); Newton on the stage balances finishes
/// from there.
const FLOOR: f64 = 1e-6;

/// The mismatch below which full Newton steps also correct the Jacobian
/// by Broyden's secant update. Near the solution of a long cascade with a
/// sharp split the analytic sensitivities carried along the marches miss
/// the mismatch's change in one direction by a steady part (at six-120,
/// 40 % of it: Newton converges linearly there, by 0.39 a pass); the
/// secant update learns that part from the steps.
const SECANT: f64 = 1e-4;

/// The largest secant correction kept, as a share of the largest analytic
/// sensitivity; a step that the correction sends the wrong way is taken
/// again without it.
const SECANT_SHARE: f64 = 1e-2;

/// The exact profile of a separation-factor cascade of 3 to 8 components
/// without strip section or side draws (into `u` as `ln` aqueous amounts,
/// shaped `(n, K)`), marched from both ends to the feed stage as
/// [`super::tearing::march_2`] does for two; `false` (and `u` untouched)
/// where the cascade is not of that kind or the march fails, for
/// [`super::tearing::fixed_point`] to take over.
///
/// The unknowns are the raffinate's amounts `R_k = F_k sigma(-(x_k +
/// theta))`, with the shift `theta` fixing `sum R = A_0` and the `x` of
/// the largest feed component held at 0: `K - 1` of them, each logistic
/// so that both `R_k` and the extract's `F_k - R_k` keep their relative
/// accuracy down to traces. The equations: the two marches reach the same
/// composition (`ln` fractions) at the feed stage, `K - 1` of them
/// independent. Newton on the dense `K - 1` system, with the sensitivities
/// carried along both marches (`N K^2` a pass), its step capped (at
/// `max(8, |x|)`) and halved until the mismatch falls; where eight
/// halvings do not make it fall (the marches pinch before the feed stage
/// and the mismatch goes flat, as in short cascades of many components),
/// or after [`MAX_PASSES`] passes, it gives up.
pub(crate) fn march_k(
    layout: &Layout,
    beta: &[f64],
    feed: &[f64],
    org_flow: &[f64],
    aq_tot: &[f64],
    ws: &mut TearWorkspace,
    u: &mut Array2<f64>,
) -> bool {
    let c = Case {
        n: layout.stages(),
        fs: layout.feed_stage(),
        org_flow,
        aq_tot,
    };
    if layout.strip > 0 || c.n == 0 || c.fs >= c.n || org_flow.len() < c.n || aq_tot.len() < c.n {
        return false;
    }
    match beta.len() {
        3 => march_isa::<3>(&c, beta, feed, ws, u),
        4 => march_isa::<4>(&c, beta, feed, ws, u),
        5 => march_isa::<5>(&c, beta, feed, ws, u),
        6 => march_isa::<6>(&c, beta, feed, ws, u),
        7 => march_isa::<7>(&c, beta, feed, ws, u),
        8 => march_isa::<8>(&c, beta, feed, ws, u),
        _ => false,
    }
}

/// [`march`] in its AVX2 compilation where the processor has it
/// ([`super::simd`]: the same roundings), else in the baseline one.
#[inline(always)]
fn march_isa<const K: usize>(
    c: &Case<'_>,
    beta: &[f64],
    feed: &[f64],
    ws: &mut TearWorkspace,
    u: &mut Array2<f64>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if super::simd::avx2() {
        // SAFETY: the processor has AVX2
        return unsafe { march_avx2::<K>(c, beta, feed, ws, u) };
    }
    march_base::<K>(c, beta, feed, ws, u)
}

/// [`march`] with its passes inlined, compiled for AVX2 (without FMA).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn march_avx2<const K: usize>(
    c: &Case<'_>,
    beta: &[f64],
    feed: &[f64],
    ws: &mut TearWorkspace,
    u: &mut Array2<f64>,
) -> bool {
    march::<K>(c, beta, feed, ws, u)
}

/// [`march`] for the baseline target.
fn march_base<const K: usize>(
    c: &Case<'_>,
    beta: &[f64],
    feed: &[f64],
    ws: &mut TearWorkspace,
    u: &mut Array2<f64>,
) -> bool {
    march::<K>(c, beta, feed, ws, u)
}

/// The cascade's stage count, feed stage and stage flows.
struct Case<'a> {
    n: usize,
    fs: usize,
    org_flow: &'a [f64],
    aq_tot: &'a [f64],
}

/// The shift `theta` with `sum_k F_k sigma(-(x_k + theta)) = a0` (the
/// raffinate's total): Newton from `guess` on the logarithm of the sum
/// (nearly linear in `theta` where the sum is made of tails), inside a
/// bracket of the decreasing sum, to the rounding level.
#[inline(always)]
fn shift<const K: usize>(x: &[f64; K], feed: &[f64; K], a0: f64, guess: f64) -> f64 {
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut t = if guess.is_finite() { guess } else { 0.0 };
    let la0 = a0.ln();
    let mut last = f64::INFINITY;
    for _ in 0..100 {
        let (mut sum, mut dsum) = (0.0, 0.0);
        for k in 0..K {
            let (s, u) = logistic_pair(x[k] + t);
            sum += feed[k] * u;
            dsum += feed[k] * s * u;
        }
        let h = sum.ln() - la0;
        if h == 0.0 {
            return t;
        }
        if h > 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        // h' = -dsum / sum
        let mut next = t + h * sum / dsum;
        if (next - t).abs() <= 1e-14 * t.abs().max(1.0) {
            // the rounding level (where the step may not move `t` at all,
            // `t` being an end of the bracket)
            return next;
        }
        if !(next > lo && next < hi) {
            next = if lo.is_finite() && hi.is_finite() {
                0.5 * (lo + hi)
            } else if lo.is_finite() {
                lo + 1.0f64.max(lo.abs())
            } else {
                hi - 1.0f64.max(hi.abs())
            };
        }
        let step = (next - t).abs();
        // a step that no longer shrinks near the rounding level
        if last < 1e-9 && step >= 0.5 * last {
            return next;
        }
        last = step;
        t = next;
    }
    t
}

/// The mismatch of one pass: `g` (`ln` fractions at the feed stage, upward
/// march less downward) and its Jacobian `jac[i][c]` (`d g_c / d x_i`).
struct Mismatch<const K: usize> {
    g: [f64; K],
    jac: [[f64; K]; K],
    theta: f64,
}

/// One pass of the marches for the extraction variables `x`: fills `prof`
/// (stage-major aqueous amounts) and returns the mismatch at the feed
/// stage with its Jacobian. `theta` is the guess of the shift.
#[inline(always)]
fn pass<const K: usize>(
    c: &Case<'_>,
    beta: &[f64; K],
    feed: &[f64; K],
    x: &[f64; K],
    theta: f64,
    prof: &mut [f64],
) -> Mismatch<K> {
    let (n, fs) = (c.n, c.fs);
    let theta = shift(x, feed, c.aq_tot[0], theta);
    let (mut r, mut p, mut sd) = ([0.0; K], [0.0; K], [0.0; K]);
    for k in 0..K {
        let (s, t) = logistic_pair(x[k] + theta);
        r[k] = feed[k] * t;
        p[k] = feed[k] * s;
        sd[k] = feed[k] * s * t;
    }
    let sum_sd: f64 = sd.iter().sum();
    // dR_k / dx_i = -sd_k (delta_ki + dtheta_i), dtheta_i = -sd_i / sum sd
    let mut dr = [[0.0; K]; K];
    for (i, col) in dr.iter_mut().enumerate() {
        let w = sd[i] / sum_sd;
        for k in 0..K {
            col[k] = sd[k] * w;
        }
        col[i] -= sd[i];
    }
    // upward from the raffinate: a_{j+1} = o_j + R
    let mut a = r;
    let mut da = dr;
    let (up, down) = prof.split_at_mut(fs * K);
    for (row, &o) in up.chunks_exact_mut(K).zip(&c.org_flow[..fs]) {
        row.copy_from_slice(&a);
        let mut s = 0.0;
        for k in 0..K {
            s += beta[k] * a[k];
        }
        let inv = 1.0 / s;
        let mut w = [0.0; K];
        for k in 0..K {
            w[k] = o * beta[k] * inv;
        }
        for (col, dcol) in da.iter_mut().zip(&dr) {
            let mut ds = 0.0;
            for k in 0..K {
                ds += beta[k] * col[k];
            }
            let ds = ds * inv;
            for k in 0..K {
                col[k] = w[k] * (col[k] - a[k] * ds) + dcol[k];
            }
        }
        for k in 0..K {
            a[k] = w[k] * a[k] + r[k];
        }
    }
    let (at_feed, above) = down.split_at_mut(K);
    at_feed.copy_from_slice(&a);
    // ln fractions of the upward march and their derivatives
    let mut m = Mismatch {
        g: [0.0; K],
        jac: [[0.0; K]; K],
        theta,
    };
    let tot: f64 = a.iter().sum();
    let mut ia = [0.0; K];
    for k in 0..K {
        m.g[k] = (a[k] / tot).ln();
        ia[k] = 1.0 / a[k];
    }
    for (jcol, dcol) in m.jac.iter_mut().zip(&da) {
        let ds = dcol.iter().sum::<f64>() / tot;
        for k in 0..K {
            jcol[k] = dcol[k] * ia[k] - ds;
        }
    }
    // downward from the extract: o_{j-1} = a_j + P
    let mut ib = [0.0; K];
    for k in 0..K {
        ib[k] = 1.0 / beta[k];
    }
    let mut o = p;
    let mut dq = dr;
    for col in dq.iter_mut() {
        for v in col.iter_mut() {
            *v = -*v;
        }
    }
    let dp = dq;
    let stages = above.chunks_exact_mut(K).zip(&c.aq_tot[fs + 1..n]);
    for (row, &tot) in stages.rev() {
        let mut v = [0.0; K];
        for k in 0..K {
            v[k] = o[k] * ib[k];
        }
        let inv = 1.0 / v.iter().sum::<f64>();
        let t = tot * inv;
        for (col, dcol) in dq.iter_mut().zip(&dp) {
            let mut dv = [0.0; K];
            for k in 0..K {
                dv[k] = col[k] * ib[k];
            }
            let ds = dv.iter().sum::<f64>() * inv;
            for k in 0..K {
                col[k] = t * (dv[k] - v[k] * ds) + dcol[k];
            }
        }
        for k in 0..K {
            let ak = t * v[k];
            row[k] = ak;
            o[k] = ak + p[k];
        }
    }
    // ln fractions of the aqueous in equilibrium with the organic o_fs
    let mut v = [0.0; K];
    for k in 0..K {
        v[k] = o[k] * ib[k];
        ia[k] = 1.0 / o[k];
    }
    let vs: f64 = v.iter().sum();
    for k in 0..K {
        m.g[k] -= (v[k] / vs).ln();
    }
    for (jcol, dcol) in m.jac.iter_mut().zip(&dq) {
        let mut ds = 0.0;
        for k in 0..K {
            ds += dcol[k] * ib[k];
        }
        let ds = ds / vs;
        for k in 0..K {
            jcol[k] -= dcol[k] * ia[k] - ds;
        }
    }
    m
}

/// Solves the `m x m` system `a y = b` (row-major `a`, overwritten) by
/// elimination with partial pivoting; `false` where it is singular.
#[inline(always)]
fn solve_dense<const K: usize>(a: &mut [[f64; K]; K], b: &mut [f64; K], m: usize) -> bool {
    for c in 0..m {
        let mut p = c;
        for r in c + 1..m {
            if a[r][c].abs() > a[p][c].abs() {
                p = r;
            }
        }
        let pivot = a[p][c].abs();
        if pivot == 0.0 || !pivot.is_finite() {
            return false;
        }
        a.swap(p, c);
        b.swap(p, c);
        for r in c + 1..m {
            let f = a[r][c] / a[c][c];
            for q in c..m {
                a[r][q] -= f * a[c][q];
            }
            b[r] -= f * b[c];
        }
    }
    for r in (0..m).rev() {
        let mut s = b[r];
        for q in r + 1..m {
            s -= a[r][q] * b[q];
        }
        b[r] = s / a[r][r];
    }
    b[..m].iter().all(|v| v.is_finite())
}

/// A first `x`: the split of each component follows a Kremser-like law,
/// `ln(P_k / R_k)` growing with `ln beta_k` at the rate of the stages of
/// the extraction section above the key and of the scrub below it.
fn first_x<const K: usize>(beta: &[f64; K], feed: &[f64; K], a0: f64, c: &Case<'_>) -> [f64; K] {
    let (up, down) = ((c.fs.max(1)) as f64, ((c.n - 1 - c.fs).max(1)) as f64);
    let fill = |key: f64| -> [f64; K] {
        let mut x = [0.0; K];
        for k in 0..K {
            let l = beta[k].ln() - key;
            x[k] = if l > 0.0 { up * l } else { down * l };
        }
        x
    };
    let raff = |key: f64| -> f64 {
        let x = fill(key);
        let mut s = 0.0;
        for k in 0..K {
            s += feed[k] * logistic_pair(x[k]).1;
        }
        s
    };
    let lmin = beta.iter().fold(f64::INFINITY, |m, &b| m.min(b.ln())) - 1.0;
    let lmax = beta.iter().fold(f64::NEG_INFINITY, |m, &b| m.max(b.ln())) + 1.0;
    let (mut lo, mut hi) = (lmin, lmax);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        // the raffinate grows with the key
        if raff(mid) < a0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    fill(0.5 * (lo + hi))
}

/// [`march_k`] for `K` components.
#[inline(always)]
fn march<const K: usize>(
    c: &Case<'_>,
    beta: &[f64],
    feed: &[f64],
    ws: &mut TearWorkspace,
    u: &mut Array2<f64>,
) -> bool {
    let beta: &[f64; K] = beta.try_into().expect("K extractabilities");
    let feed: &[f64; K] = feed.try_into().expect("K feed amounts");
    let a0 = c.aq_tot[0];
    let ftot: f64 = feed.iter().sum();
    let valid = a0 > 0.0
        && a0 < ftot
        && ftot.is_finite()
        && feed.iter().all(|&f| positive_finite(f))
        && beta.iter().all(|&b| positive_finite(b));
    if !valid {
        return false;
    }
    // the gauge (and the dropped equation): the largest feed component
    let mut gauge = 0;
    for k in 1..K {
        if feed[k] > feed[gauge] {
            gauge = k;
        }
    }
    let idx: [usize; K] = std::array::from_fn(|i| if i < gauge { i } else { i + 1 });
    let m = K - 1;
    let mut x = first_x(beta, feed, a0, c);
    let x0 = x[gauge];
    x.iter_mut().for_each(|v| *v -= x0);
    let prof = zeroed(&mut ws.prof, c.n * K);
    let norm = |g: &[f64; K]| -> f64 {
        let mut s = 0.0f64;
        for (k, v) in g.iter().enumerate() {
            if k != gauge {
                s = s.max(v.abs());
            }
        }
        s
    };
    let mut cur = pass(c, beta, feed, &x, 0.0, prof);
    let mut passes = 1;
    // whether `prof` holds the pass at `x`
    let mut prof_at_x = true;
    let mut gn = norm(&cur.g);
    // the trust radius of a step (the largest change of an `x`)
    let mut radius = RADIUS;
    // a secant correction of the Jacobian near the solution (see SECANT)
    let mut corr = [[0.0; K]; K];
    while gn.is_finite() && gn > 1e-12 && passes < MAX_PASSES {
        // the reduced system (rows and columns without the gauge)
        let mut red = [[0.0; K]; K];
        let mut rhs = [0.0; K];
        for ri in 0..m {
            rhs[ri] = -cur.g[idx[ri]];
            for ci in 0..m {
                red[ri][ci] = cur.jac[idx[ci]][idx[ri]] + corr[idx[ci]][idx[ri]];
            }
        }
        if !solve_dense(&mut red, &mut rhs, m) {
            return false;
        }
        let big = rhs[..m].iter().fold(0.0f64, |s, v| s.max(v.abs()));
        let mut scale = if big > radius { radius / big } else { 1.0 };
        let mut accepted = None;
        // at the rounding level of the marches, one full step only
        let tries = if gn < FLOOR { 1 } else { 8 };
        for _ in 0..tries {
            let mut trial = x;
            for ri in 0..m {
                trial[idx[ri]] = x[idx[ri]] + scale * rhs[ri];
            }
            trial[gauge] = 0.0;
            let t = pass(c, beta, feed, &trial, cur.theta, prof);
            passes += 1;
            prof_at_x = false;
            let tn = norm(&t.g);
            if tn.is_finite() && tn < gn {
                accepted = Some((trial, t, tn));
                prof_at_x = true;
                break;
            }
            scale *= 0.5;
        }
        let Some((xt, t, tn)) = accepted else {
            if corr != [[0.0; K]; K] {
                // the correction misled the step: again without it
                corr = [[0.0; K]; K];
                continue;
            }
            break;
        };
        radius = (2.0 * scale * big).max(RADIUS);
        if scale == 1.0 && gn < SECANT {
            // Broyden's update of the correction: the corrected Jacobian
            // maps this step to the change of the mismatch it made
            let mut dx = [0.0; K];
            for k in 0..K {
                dx[k] = xt[k] - x[k];
            }
            let dd: f64 = dx.iter().map(|v| v * v).sum();
            if dd > 0.0 {
                for k in 0..K {
                    let mut pred = 0.0;
                    for i in 0..K {
                        pred += (cur.jac[i][k] + corr[i][k]) * dx[i];
                    }
                    let r = (t.g[k] - cur.g[k] - pred) / dd;
                    for i in 0..K {
                        corr[i][k] += r * dx[i];
                    }
                }
            }
            // a correction beyond a small part of the sensitivities is
            // rounding in the change of the mismatch, not a missed part
            let size = |m: &[[f64; K]; K]| m.iter().flatten().fold(0.0f64, |s, v| s.max(v.abs()));
            let small = size(&corr) <= SECANT_SHARE * size(&t.jac);
            if !small {
                corr = [[0.0; K]; K];
            }
        } else {
            corr = [[0.0; K]; K];
        }
        x = xt;
        cur = t;
        gn = tn;
    }
    let close = gn < 1e-6;
    if !close {
        return false;
    }
    if !prof_at_x {
        pass(c, beta, feed, &x, cur.theta, prof);
    }
    to_log(prof, c.aq_tot, u);
    true
}

#[cfg(test)]
mod tests {
    use super::super::tearing::tests::check_march;
    use super::*;
    use crate::cascade::Phase;
    use crate::model::CascadeSpec;

    /// Three to six components, aqueous and organic feeds, and a sharp
    /// split with traces far below 1e-20: every stage balance to rounding.
    #[test]
    fn march_k_solves_every_stage_balance() {
        let cases = [
            CascadeSpec::separation_factor("three", &["La", "Ce", "Pr"], &[1.0, 2.0, 3.5])
                .with_stages(15, 15, 0)
                .with_feed_amounts(&[0.3, 0.4, 0.3])
                .with_amounts(2.0, 1.4),
            CascadeSpec::separation_factor("organic", &["A", "B", "C", "D"], &[1.0, 1.5, 2.5, 4.0])
                .with_stages(20, 20, 0)
                .with_feed_phase(Phase::Organic)
                .with_feed_amounts(&[0.25, 0.25, 0.25, 0.25])
                .with_amounts(3.0, 3.5),
            CascadeSpec::separation_factor(
                "sharp",
                &["A", "B", "C", "D", "E", "F"],
                &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            )
            .with_stages(60, 60, 0)
            .with_feed_amounts(&[1.0 / 6.0; 6])
            .with_amounts(1.2, 0.6),
        ];
        let mut ws = TearWorkspace::default();
        for spec in cases {
            check_march(spec, march_k, 1e-12, &mut ws);
        }
    }

    /// Two components, nine, strip sections and a zero feed are left to
    /// the tearing, with `u` untouched.
    #[test]
    fn march_k_declines_what_it_does_not_cover() {
        let layout = Layout {
            extraction: 5,
            scrub: 5,
            strip: 0,
            feed_phase: Phase::Aqueous,
        };
        let (org, aq) = (vec![1.0; 10], vec![0.8; 10]);
        let mut ws = TearWorkspace::default();
        let mut u = Array2::zeros((0, 0));
        let two = ([1.0, 2.0], [0.5, 0.5]);
        assert!(!march_k(
            &layout, &two.0, &two.1, &org, &aq, &mut ws, &mut u
        ));
        let nine: Vec<f64> = (0..9).map(|i| 1.5f64.powi(i)).collect();
        assert!(!march_k(
            &layout,
            &nine,
            &[1.0 / 9.0; 9],
            &org,
            &aq,
            &mut ws,
            &mut u
        ));
        let strip = Layout { strip: 2, ..layout };
        let (org12, aq12) = (vec![1.0; 12], vec![0.8; 12]);
        let three = ([1.0, 2.0, 3.0], [0.3, 0.3, 0.4]);
        assert!(!march_k(
            &strip, &three.0, &three.1, &org12, &aq12, &mut ws, &mut u
        ));
        let zero = [0.3, 0.0, 0.7];
        assert!(!march_k(
            &layout, &three.0, &zero, &org, &aq, &mut ws, &mut u
        ));
        assert_eq!(u.dim(), (0, 0));
    }
}
