//! An inlined `exp` for the separation-factor Newton's hot loop.
//!
//! glibc's `exp` costs about 50 instructions a call there (a call through
//! the PLT, the wrapper's range checks, a 128-entry table); a stage
//! evaluation takes one per unknown, so on the benchmark cascades it was a
//! fifth of a warm solve. This one is inlined and table-driven:
//! `x = (32 m + j) ln2 / 32 + r` with `|r| <= ln2 / 64`, `exp(x) =
//! 2^m 2^(j/32) (1 + q(r))`, `q` the Taylor polynomial of `e^r - 1` to
//! degree 6 (truncation below 4e-18), the reduction with a two-part `ln2`
//! (Cody and Waite). Error: the rounded table entry (half an ulp) and the
//! last addition (half an ulp), so at most about one ulp of the correctly
//! rounded value (the tests check 2 ulp over the whole range). Outside
//! `[-708, 708]` (results near or past the ends of the double range, or
//! NaN) it defers to [`f64::exp`].

/// `2^(j/32)` for `j = 0..32`, correctly rounded (computed to 60 digits).
const TABLE: [f64; 32] = [
    1.0,
    1.0218971486541166,
    1.0442737824274138,
    1.0671404006768237,
    1.0905077326652577,
    1.1143867425958924,
    1.1387886347566916,
    1.1637248587775775,
    1.189207115002721,
    1.215247359980469,
    1.241857812073484,
    1.2690509571917332,
    1.2968395546510096,
    1.3252366431597413,
    1.3542555469368927,
    1.383909881963832,
    std::f64::consts::SQRT_2,
    1.4451808069770467,
    1.4768261459394993,
    1.5091644275934228,
    1.5422108254079407,
    1.5759808451078865,
    1.6104903319492543,
    1.645755478153965,
    1.681792830507429,
    1.718619298122478,
    1.7562521603732995,
    1.7947090750031072,
    1.8340080864093424,
    1.8741676341103,
    1.9152065613971474,
    1.9571441241754002,
];

/// `32 / ln 2`.
const INV_LN2_32: f64 = 46.16624130844683;
/// `ln 2 / 32` in two parts (fdlibm's `ln2_hi`, `ln2_lo` over 32): the
/// high part has 32 significant bits, so `k * HI` is exact for `|k| < 2^21`.
const LN2_32_HI: f64 = 0.02166084938653512;
const LN2_32_LO: f64 = 5.9631716539705866e-12;
/// `1.5 * 2^52`: adding it rounds to an integer held in the low mantissa
/// bits (round to nearest, no conversion instruction).
const SHIFT: f64 = 6755399441055744.0;

/// `e^x`, within about one ulp of the correctly rounded value.
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    if x.is_nan() || x.abs() > 708.0 {
        return x.exp();
    }
    core(x)
}

/// `a[i] = exp(u[i])` for every `i` (as [`exp`] rounds them, and as
/// [`crate::chemistry::exp_or_zero`] does: the two agree bit for bit; the
/// slices have the same length). The loop body has no branch, so it runs
/// two exponentials a vector instruction (four in an AVX2 compilation;
/// about half the instructions of [`exp`] an element): the range test is
/// folded into a flag, and the elements outside the fast range, if any (a
/// trace far below its balance's largest term, NaN), are taken again on
/// their own, a deep underflow as zero without libm's slow path. The
/// separation-factor Newton's stage evaluations and the rigorous Newton's
/// balances and Jacobian rows (one batch a stage) take theirs so.
#[inline(always)]
pub(crate) fn exp_slice(u: &[f64], a: &mut [f64]) {
    let mut fast = true;
    for (x, y) in u.iter().zip(a.iter_mut()) {
        // false for NaN
        fast &= x.abs() <= 708.0;
        *y = core(*x);
    }
    if !fast {
        for (x, y) in u.iter().zip(a.iter_mut()) {
            // outside the fast range, or NaN
            if x.abs() > 708.0 || x.is_nan() {
                *y = crate::chemistry::exp_or_zero(*x);
            }
        }
    }
}

/// [`exp`] on `|x| <= 708` without the range test (any value for others).
#[inline(always)]
fn core(x: f64) -> f64 {
    let z = x * INV_LN2_32 + SHIFT;
    let k = (z.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let kd = z - SHIFT;
    let r = (x - kd * LN2_32_HI) - kd * LN2_32_LO;
    // e^r - 1 = r + r^2/2 + ... + r^6/720
    let q = r
        * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let t = TABLE[(k & 31) as usize];
    // 2^m with m = k >> 5 in [-1022, 1022] for |x| <= 708: the biased
    // exponent m + 1023 is (k + 1023 * 32) >> 5, a logical shift of a
    // positive number (which vectorises, where the arithmetic one would not)
    let scale = f64::from_bits((((k.wrapping_add(1023 * 32)) as u64) >> 5) << 52);
    (t + t * q) * scale
}

#[cfg(test)]
mod tests {
    use super::{exp, exp_slice};

    /// Distance in units in the last place between two positive doubles.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn within_two_ulp_of_libm_over_the_range() {
        // a dense sweep of [-708, 708] plus the points near 0 and the
        // reduction's interval ends, where cancellation would show
        let mut worst = 0;
        let n = 400_000;
        for i in 0..=n {
            let x = -708.0 + 1416.0 * i as f64 / n as f64;
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        for i in -2000..=2000 {
            let x = i as f64 * 1e-3 * std::f64::consts::LN_2 / 32.0;
            for d in [x, x + 1e-17, x - 1e-17, 1e-300 * i as f64] {
                worst = worst.max(ulps(exp(d), d.exp()));
            }
        }
        assert!(worst <= 2, "{worst} ulp");
    }

    /// The slice form gives [`exp`]'s bits, inside and outside the fast
    /// range (NaN, infinities, past 708).
    #[test]
    fn the_slice_form_gives_the_same_bits() {
        let mut u: Vec<f64> = (0..=4000)
            .map(|i| -710.0 + 1420.0 * i as f64 / 4000.0)
            .collect();
        let inside: Vec<f64> = u.iter().copied().filter(|x| x.abs() <= 708.0).collect();
        u.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            708.0,
            -708.0,
            0.0,
            -0.0,
        ]);
        for xs in [&u[..], &inside[..], &u[..3]] {
            let mut a = vec![0.0; xs.len()];
            exp_slice(xs, &mut a);
            for (x, y) in xs.iter().zip(&a) {
                assert_eq!(y.to_bits(), exp(*x).to_bits(), "{x}");
            }
        }
    }

    /// The slice form gives `exp_or_zero`'s bits too, and so [`exp`]'s,
    /// inside and outside the fast range (NaN, infinities, deep
    /// underflow, the slow libm range between -746 and -708).
    #[test]
    fn the_slice_form_gives_the_bits_of_exp_or_zero() {
        let mut u: Vec<f64> = (0..=4000)
            .map(|i| -800.0 + 1520.0 * i as f64 / 4000.0)
            .collect();
        u.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -745.5,
            -746.0,
            -746.5,
            708.0,
            -708.0,
            0.0,
            -0.0,
        ]);
        let inside: Vec<f64> = u.iter().copied().filter(|x| x.abs() <= 708.0).collect();
        for xs in [&u[..], &inside[..], &u[..3], &u[4001..]] {
            let mut a = vec![f64::NAN; xs.len()];
            exp_slice(xs, &mut a);
            for (x, y) in xs.iter().zip(&a) {
                let want = crate::chemistry::exp_or_zero(*x);
                assert_eq!(y.to_bits(), want.to_bits(), "{x}");
                assert_eq!(want.to_bits(), exp(*x).to_bits(), "{x}");
            }
        }
        // the deep underflow is zero, not libm's slow path's subnormal
        let mut a = [1.0; 2];
        exp_slice(&[-800.0, -1e300], &mut a);
        assert_eq!(a, [0.0, 0.0]);
    }

    #[test]
    fn exact_points_and_the_ends_of_the_range() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
        // past the fast range it is libm's value
        assert_eq!(exp(-740.0), (-740.0f64).exp());
        assert_eq!(exp(709.5), 709.5f64.exp());
        let e = exp(1.0);
        assert!(ulps(e, std::f64::consts::E) <= 1, "{e}");
    }
}
