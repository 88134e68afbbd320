//! The instruction set of the separation-factor hot path, chosen at run
//! time.
//!
//! The crate is built for the baseline x86-64 target (SSE2). Where the
//! processor has AVX2, the separation-factor Newton ([`super::sf_newton`])
//! and the tearing start ([`super::tearing`]) run a second compilation of
//! the same code with `avx2` enabled (four doubles a vector instruction,
//! three-operand forms); everything they need is inlined into that entry.
//! So do the rigorous Newton's block factorisation and the fixed-size
//! block solves of 4 to 18 ([`super::block_tridiag`]).
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
