//! The instruction set of the separation-factor hot path, chosen at run
//! time.
//!
//! The crate is built for the baseline x86-64 target (SSE2). Where the
//! processor has AVX2, the separation-factor Newton ([`super::sf_newton`])
//! and the tearing start ([`super::tearing`]) run a second compilation of
//! the same code with `avx2` enabled (four doubles a vector instruction,
//! three-operand forms); everything they need is inlined into that entry.
//! So do the rigorous Newton's block factorisation and the fixed-size
//! block solves of 4 to 18 ([`super::block_tridiag`]), and its balance
//! pass and Jacobian assembly ([`super::newton`]), whose exponentials run
//! in batches a stage ([`super::fast_exp::exp_slice`]).
//! FMA is not enabled (Rust does not contract `a * b + c` by itself, and
//! without a fused instruction in the set nothing can), so both paths
//! round every operation alike and give the same values bit for bit.

use std::cell::Cell;

thread_local! {
    /// Set by [`with_baseline`]: this thread takes the baseline path.
    static BASELINE: Cell<bool> = const { Cell::new(false) };
}

/// Whether the hot path runs its AVX2 compilation on this thread: the
/// processor has AVX2 (`is_x86_feature_detected!` caches its answer) and
/// [`with_baseline`] is not in force.
#[inline]
pub(crate) fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        !BASELINE.with(Cell::get) && std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `f` with the baseline (SSE2) compilation of the hot path on this
/// thread, for the tests that compare the two paths and for measuring
/// either one.
pub fn with_baseline<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            BASELINE.with(|b| b.set(self.0));
        }
    }
    let _restore = Restore(BASELINE.with(|b| b.replace(true)));
    f()
}

/// Subnormal results flushed to zero and subnormal operands read as zero
/// (the FTZ and DAZ bits of MXCSR) on this thread until dropped, when the
/// previous mode is restored. The rigorous solves run under it: their
/// Jacobians' trace rows make subnormal products (mass-action 4323: about
/// 1 % of the factors and of `diag'^{-1} upper`), each a microcode assist
/// of the order of a hundred cycles, which made the block factorisation
/// three times slower than on the same blocks without them.
pub(crate) struct FlushSubnormals {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

impl FlushSubnormals {
    /// Sets FTZ and DAZ on this thread (x86-64; elsewhere nothing).
    #[allow(deprecated)]
    pub(crate) fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
            // SAFETY: MXCSR is SSE state, which every x86-64 has; only the
            // two flush bits change
            let saved = unsafe { _mm_getcsr() };
            unsafe { _mm_setcsr(saved | 0x8040) };
            FlushSubnormals { saved }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            FlushSubnormals {}
        }
    }
}

impl Drop for FlushSubnormals {
    #[allow(deprecated)]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::_mm_setcsr;
            // SAFETY: restores the mode read in `new`
            unsafe { _mm_setcsr(self.saved) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FlushSubnormals;
    use std::hint::black_box;

    /// Under [`FlushSubnormals`] a product below the normal range is zero
    /// and a subnormal operand reads as zero; the mode before it comes
    /// back when it is dropped, nested or not.
    #[test]
    fn flush_subnormals_flushes_and_restores() {
        let tiny = black_box(f64::MIN_POSITIVE);
        let sub = black_box(tiny * black_box(0.5));
        assert!(sub.is_subnormal());
        {
            let _outer = FlushSubnormals::new();
            {
                let _inner = FlushSubnormals::new();
            }
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!((black_box(tiny) * black_box(0.5)).to_bits(), 0);
                assert_eq!((black_box(sub) * black_box(4.0)).to_bits(), 0);
            }
        }
        assert!((black_box(tiny) * black_box(0.5)).is_subnormal());
        assert_eq!(black_box(sub) * black_box(4.0), 2.0 * tiny);
    }
}
