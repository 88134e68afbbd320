//! Exact solution of one component's linear stage balances in logarithms.
//!
//! With fixed distribution ratios a component's balances over the cascade
//! are the tridiagonal system
//!
//! ```text
//!   -a_j x_{j-1} + b_j x_j - c_j x_{j+1} = f_j,
//!   a_j = O_{j-1} D_{j-1},  b_j = A_j + O_j D_j,  c_j = A_{j+1} (0 where the aqueous link breaks)
//! ```
//!
//! a column-diagonally-dominant M-matrix. Written with `e_j = m_j - O_j D_j
//! = A_j e_{j-1} / m_{j-1}` for the elimination pivots `m_j`, the Thomas
//! algorithm has no subtraction at all: every quantity is a sum or product
//! of positive numbers. [`solve`] runs it on logarithms (sums by
//! log-add-exp), so amounts far below the range of a double (deep
//! separations, `D^N` beyond 1e308) keep their full relative accuracy, and
//! [`residual`] measures every stage balance relative to its own flows, also
//! in logarithms.

/// Arguments below which `exp` rounds to zero: `e^-746` is under half the
/// smallest subnormal double (`e^-745.13`), so libm returns `+0.0` for it,
/// after its slow path for results that underflow.
pub const UNDERFLOW: f64 = -746.0;

/// `x.exp()`, the same bits, with the arguments under [`UNDERFLOW`] given
/// their zero without calling libm (whose underflow path, with its
/// floating-point exception and `errno`, is slower than its plain path).
#[inline(always)]
pub fn exp_or_zero(x: f64) -> f64 {
    if x < UNDERFLOW {
        0.0
    } else {
        x.exp()
    }
}

/// `ln(e^a + e^b)`, exact for infinite arguments.
#[inline]
pub fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        hi
    } else if lo - hi < UNDERFLOW {
        // `e^(lo - hi)` rounds to zero, and so does its `ln_1p`: the same
        // sum (`+ 0.0` keeps the sign of a zero `hi` as the sum did)
        // without libm's slow underflow path
        hi + 0.0
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// Log coefficients of one component's system: `la[j] = ln(O_{j-1} D_{j-1})`
/// (unused for `j = 0`), `lo[j] = ln(O_j D_j)`, `lq[j] = ln A_j`, `lf[j] =
/// ln f_j`, and `links[j]` whether stage `j` receives the aqueous of `j + 1`.
#[derive(Debug, Clone, Copy)]
pub struct LogSystem<'a> {
    /// `ln(O_j D_j)`: organic outflow per unit aqueous concentration.
    pub lo: &'a [f64],
    /// `ln A_j`: aqueous outflow per unit concentration.
    pub lq: &'a [f64],
    /// `ln f_j`: external inflow.
    pub lf: &'a [f64],
    /// Aqueous links.
    pub links: &'a [bool],
}

/// Solves the system for `lx = ln x` (negative infinity where the component
/// is absent). `lm` is scratch of the same length.
pub fn solve(sys: LogSystem<'_>, lx: &mut [f64], lm: &mut [f64]) {
    solve_with_pass(sys, None, lx, lm)
}

/// `ln` of the share passed on, or 0 without side draws.
fn ln_pass(pass: Option<&[f64]>, j: usize) -> f64 {
    pass.map_or(0.0, |p| p[j].ln())
}

/// [`solve`] with side draws: `pass = (aqueous, organic)` are the shares
/// of each stage's outflows that reach the neighbour stage (1 without a
/// draw). Then `a_j = p^o_{j-1} O_{j-1} D_{j-1}` and `c_j = p^a_{j+1}
/// A_{j+1}`, and the pivots keep a subtraction-free form:
/// `e_j = A_j (e_{j-1} + (1 - p^o_{j-1} p^a_j) O_{j-1} D_{j-1}) / m_{j-1}`.
/// With `None` (or every share 1) it is [`solve`] to the last bit.
pub fn solve_with_pass(
    sys: LogSystem<'_>,
    pass: Option<(&[f64], &[f64])>,
    lx: &mut [f64],
    lm: &mut [f64],
) {
    let n = sys.lq.len();
    let (pa, po) = (pass.map(|p| p.0), pass.map(|p| p.1));
    // forward: le = ln e_j, lm = ln m_j, lx holds ln g_j
    let mut le = sys.lq[0];
    for j in 0..n {
        if j > 0 {
            le = if sys.links[j - 1] {
                // share of the organic of j-1 that does not come back as
                // aqueous through j
                let lost = match pass {
                    None => f64::NEG_INFINITY,
                    Some((a, o)) => (-(o[j - 1] * a[j])).ln_1p() + sys.lo[j - 1],
                };
                sys.lq[j] + log_add(le, lost) - lm[j - 1]
            } else {
                sys.lq[j]
            };
            lx[j] = log_add(
                sys.lf[j],
                ln_pass(po, j - 1) + sys.lo[j - 1] + lx[j - 1] - lm[j - 1],
            );
        } else {
            lx[0] = sys.lf[0];
        }
        lm[j] = log_add(sys.lo[j], le);
    }
    lx[n - 1] -= lm[n - 1];
    for j in (0..n.saturating_sub(1)).rev() {
        let up = if sys.links[j] {
            ln_pass(pa, j + 1) + sys.lq[j + 1] + lx[j + 1]
        } else {
            f64::NEG_INFINITY
        };
        lx[j] = log_add(lx[j], up) - lm[j];
    }
}

/// Largest relative imbalance `|in - out| / max(in, out)` over the stages at
/// `lx`, computed in logarithms, with its stage.
pub fn residual(sys: LogSystem<'_>, lx: &[f64]) -> (f64, usize) {
    residual_with_pass(sys, None, lx)
}

/// [`residual`] with side draws (`pass` as in [`solve_with_pass`]).
pub fn residual_with_pass(
    sys: LogSystem<'_>,
    pass: Option<(&[f64], &[f64])>,
    lx: &[f64],
) -> (f64, usize) {
    let n = lx.len();
    let (pa, po) = (pass.map(|p| p.0), pass.map(|p| p.1));
    let mut worst = 0.0f64;
    let mut at = 0;
    for j in 0..n {
        let mut lin = sys.lf[j];
        if j > 0 {
            lin = log_add(lin, ln_pass(po, j - 1) + sys.lo[j - 1] + lx[j - 1]);
        }
        if sys.links[j] {
            lin = log_add(lin, ln_pass(pa, j + 1) + sys.lq[j + 1] + lx[j + 1]);
        }
        let lout = log_add(sys.lq[j], sys.lo[j]) + lx[j];
        let r = if lin == f64::NEG_INFINITY && lout == f64::NEG_INFINITY {
            0.0
        } else {
            let d = (lin - lout).abs();
            if d.is_nan() {
                f64::INFINITY
            } else {
                -(-d).exp_m1()
            }
        };
        if r > worst || r.is_nan() {
            worst = if r.is_nan() { f64::INFINITY } else { r };
            at = j;
        }
    }
    (worst, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The underflow shortcuts keep libm's bits: `exp_or_zero` is `exp`
    /// at and around [`UNDERFLOW`] (the subnormal results above it, the
    /// zeros below), at the ends and for NaN, and `log_add` is the plain
    /// `hi + ln_1p(e^(lo - hi))` on both sides of the shortcut, the sign of
    /// a zero sum included.
    #[test]
    fn underflow_shortcuts_keep_the_bits() {
        let plain = |a: f64, b: f64| {
            let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
            if lo == f64::NEG_INFINITY {
                hi
            } else {
                hi + (lo - hi).exp().ln_1p()
            }
        };
        let mut xs = vec![
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::MIN,
            -1e300,
            -1e4,
            -0.0,
            0.0,
            1.0,
            -708.0,
            -744.0,
        ];
        // every 1/64 from -760 to -730, and the doubles next to -746
        xs.extend((0..=30 * 64).map(|i| -760.0 + f64::from(i) / 64.0));
        let t = UNDERFLOW.to_bits();
        xs.extend((t - 4..=t + 4).map(f64::from_bits));
        for &x in &xs {
            assert_eq!(exp_or_zero(x).to_bits(), x.exp().to_bits(), "exp({x})");
            for hi in [-0.0, 0.0, -3.5, 2.0, 700.0, -700.0] {
                let (a, b) = (log_add(hi, hi + x), plain(hi, hi + x));
                assert_eq!(a.to_bits(), b.to_bits(), "log_add({hi}, {hi} + {x})");
                let (a, b) = (log_add(x, hi), plain(x, hi));
                assert_eq!(a.to_bits(), b.to_bits(), "log_add({x}, {hi})");
            }
        }
        assert!(exp_or_zero(f64::NAN).is_nan());
        assert!(log_add(f64::NAN, 0.0).is_nan() && log_add(0.0, f64::NAN).is_nan());
    }

    #[test]
    fn matches_a_linear_solve_and_survives_underflow() {
        // 3 stages, all linked: hand-checked against the plain system
        let (o, q) = ([2.0f64, 2.0, 2.0], [1.0f64, 1.0, 1.0]);
        let d = [0.5, 0.5, 0.5];
        let lo: Vec<f64> = (0..3).map(|j| (o[j] * d[j]).ln()).collect();
        let lq: Vec<f64> = q.iter().map(|v| v.ln()).collect();
        let lf = [f64::NEG_INFINITY, 0.0, f64::NEG_INFINITY];
        let links = [true, true, false];
        let sys = LogSystem {
            lo: &lo,
            lq: &lq,
            lf: &lf,
            links: &links,
        };
        let (mut lx, mut lm) = (vec![0.0; 3], vec![0.0; 3]);
        solve(sys, &mut lx, &mut lm);
        // O D = 1, A = 1: 2 x0 - x1 = 0, -x0 + 2 x1 - x2 = 1, -x1 + 2 x2 = 0
        // -> x1 = 1, x0 = x2 = 1/2
        let x: Vec<f64> = lx.iter().map(|v| v.exp()).collect();
        for (a, b) in x.iter().zip([0.5, 1.0, 0.5]) {
            assert!((a - b).abs() < 1e-15, "{x:?}");
        }
        assert!(residual(sys, &lx).0 < 1e-15);
        // 400 stages with extraction factor 1e3: amounts down to 1e-1200
        let n = 400;
        let lo = vec![(1e3f64).ln(); n];
        let lq = vec![0.0; n];
        let mut lf = vec![f64::NEG_INFINITY; n];
        lf[n - 1] = 0.0;
        let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
        let sys = LogSystem {
            lo: &lo,
            lq: &lq,
            lf: &lf,
            links: &links,
        };
        let (mut lx, mut lm) = (vec![0.0; n], vec![0.0; n]);
        solve(sys, &mut lx, &mut lm);
        assert!(residual(sys, &lx).0 < 1e-12);
        // each stage down holds 1/1000 of the one above (to 1e-3 relative)
        let step = lx[1] - lx[0];
        assert!((step - (1e3f64).ln()).abs() < 2e-3, "{step}");
        assert!(lx[0] < -2700.0);
    }
}
