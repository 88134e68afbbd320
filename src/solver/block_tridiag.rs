//! Block-tridiagonal linear systems: block Thomas factorisation in place.
//!
//! Row block `j` of the system reads
//! `lower[j] x[j-1] + diag[j] x[j] + upper[j] x[j+1] = rhs[j]`
//! with `b x b` blocks. The factorisation overwrites `diag` with the LU
//! factors of the Schur complements and `upper` with
//! `diag'^{-1} upper`, then solves in place; nothing is allocated.
//! Cost: O(n b^3). Blocks of size 1 to 12 (the usual component counts of
//! every model) run on code specialised by the block size (const generics:
//! the blocks viewed in place as fixed-size arrays, not copied, the loops
//! over constant ranges unrolled, no bounds checks), and so do the
//! rigorous Newton's blocks of 13 to 18 (10 to 15 metals,
//! [`BlockTridiag::factor_sparse_lower`]; their solves in the general
//! loops' order of operations); larger blocks run on the general loops.
//! Both give the same factors. The rigorous Newton's factorisation
//! ([`BlockTridiag::factor_sparse_lower`]) and the fixed-size solves of 4
//! to 18 run in an AVX2 compilation where the processor has it
//! ([`super::simd`], without FMA: the same values bit for bit).

use ndarray::{Array2, Array3};

use super::tearing::positive_finite;

/// `$body` once for each `$k` from 0 to 17 that is below `$b` (a block
/// size known at compile time), with `$k` a literal: the loops inside run
/// over constant ranges, so that they unroll fully and vectorise along the
/// rows without remainder loops or selects.
macro_rules! unroll {
    ($b:expr, $k:ident, $body:block) => {
        unroll!(@ $b, $k, $body, 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17)
    };
    (@ $b:expr, $k:ident, $body:block, $($i:literal)*) => {
        $(
            if $i < $b {
                let $k: usize = $i;
                $body
            }
        )*
    };
}

/// Storage for a block-tridiagonal matrix of `n` blocks of size `b x b`.
#[derive(Debug, Clone)]
pub struct BlockTridiag {
    n: usize,
    b: usize,
    /// Sub-diagonal blocks (`lower[0]` unused), shape `(n, b, b)`.
    pub lower: Array3<f64>,
    /// Diagonal blocks, shape `(n, b, b)`.
    pub diag: Array3<f64>,
    /// Super-diagonal blocks (`upper[n-1]` unused), shape `(n, b, b)`.
    pub upper: Array3<f64>,
    piv: Array2<usize>,
}

/// The factorisation met a singular (or non-finite) pivot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Singular {
    /// 0-based block where it happened.
    pub block: usize,
    /// Row inside the block.
    pub row: usize,
}

impl BlockTridiag {
    /// Zeroed storage for `n` blocks of size `b`.
    pub fn new(n: usize, b: usize) -> Self {
        BlockTridiag {
            n,
            b,
            lower: Array3::zeros((n, b, b)),
            diag: Array3::zeros((n, b, b)),
            upper: Array3::zeros((n, b, b)),
            piv: Array2::zeros((n, b)),
        }
    }

    /// Number of blocks.
    pub fn blocks(&self) -> usize {
        self.n
    }

    /// Block size.
    pub fn block_size(&self) -> usize {
        self.b
    }

    /// `y = A x` with the (unfactorised) blocks, for checks in tests.
    pub fn matvec(&self, x: &Array2<f64>, y: &mut Array2<f64>) {
        let (n, b) = (self.n, self.b);
        for j in 0..n {
            for r in 0..b {
                let mut s = 0.0;
                for c in 0..b {
                    s += self.diag[[j, r, c]] * x[[j, c]];
                    if j > 0 {
                        s += self.lower[[j, r, c]] * x[[j - 1, c]];
                    }
                    if j + 1 < n {
                        s += self.upper[[j, r, c]] * x[[j + 1, c]];
                    }
                }
                y[[j, r]] = s;
            }
        }
    }

    /// Factorises the matrix in place (`diag` then holds the LU factors of
    /// the Schur complements and `upper` the blocks `diag'^{-1} upper`;
    /// `lower` is kept). Follow with [`BlockTridiag::solve`]. After an
    /// error the blocks from the singular one on are left part-way: fill
    /// them again before the next factorisation.
    pub fn factor(&mut self) -> Result<(), Singular> {
        match self.b {
            1 => return self.factor_fixed::<1, false>(),
            2 => return self.factor_2(),
            3 => return self.factor_fixed::<3, false>(),
            4 => return self.factor_fixed::<4, false>(),
            5 => return self.factor_fixed::<5, false>(),
            6 => return self.factor_fixed::<6, false>(),
            7 => return self.factor_fixed::<7, false>(),
            8 => return self.factor_fixed::<8, false>(),
            // the rigorous models' blocks: metals plus 2 or 3 (2..9 metals)
            9 => return self.factor_fixed::<9, false>(),
            10 => return self.factor_fixed::<10, false>(),
            11 => return self.factor_fixed::<11, false>(),
            12 => return self.factor_fixed::<12, false>(),
            _ => {}
        }
        self.factor_general()
    }

    /// [`BlockTridiag::factor`] for lower blocks that are mostly zeros (the
    /// rigorous models' blocks: a metal's row of the organic inflow
    /// depends on three unknowns of the stage below): the Schur update
    /// skips their zero entries. The same factors as
    /// [`BlockTridiag::factor`] (a skipped term is `d - 0 g`).
    pub fn factor_sparse_lower(&mut self) -> Result<(), Singular> {
        match self.b {
            4 => self.factor_sparse_isa::<4>(),
            5 => self.factor_sparse_isa::<5>(),
            6 => self.factor_sparse_isa::<6>(),
            7 => self.factor_sparse_isa::<7>(),
            8 => self.factor_sparse_isa::<8>(),
            9 => self.factor_sparse_isa::<9>(),
            10 => self.factor_sparse_isa::<10>(),
            11 => self.factor_sparse_isa::<11>(),
            12 => self.factor_sparse_isa::<12>(),
            // metals plus 2 or 3 for 10 to 15 metals (the same factors as
            // the general loops, which sizes 13 to 18 took before)
            13 => self.factor_sparse_isa::<13>(),
            14 => self.factor_sparse_isa::<14>(),
            15 => self.factor_sparse_isa::<15>(),
            16 => self.factor_sparse_isa::<16>(),
            17 => self.factor_sparse_isa::<17>(),
            18 => self.factor_sparse_isa::<18>(),
            _ => self.factor(),
        }
    }

    /// `factor_fixed::<B, true>` in its AVX2 compilation where the
    /// processor has it ([`super::simd`]: the same roundings, so the same
    /// factors bit for bit), else in the baseline one.
    #[inline(always)]
    fn factor_sparse_isa<const B: usize>(&mut self) -> Result<(), Singular> {
        #[cfg(target_arch = "x86_64")]
        if super::simd::avx2() {
            // SAFETY: the processor has AVX2
            return unsafe { self.factor_sparse_avx2::<B>() };
        }
        self.factor_fixed::<B, true>()
    }

    /// [`BlockTridiag::factor_fixed`] with sparse lower blocks, compiled
    /// for AVX2 (without FMA).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn factor_sparse_avx2<const B: usize>(&mut self) -> Result<(), Singular> {
        self.factor_fixed_inline::<B, true>()
    }

    /// [`BlockTridiag::factor_sparse_lower`] with subnormal results
    /// flushed to zero and subnormal operands read as zero
    /// ([`super::simd::FlushSubnormals`]): the rigorous Newton's
    /// factorisation. Its trace rows make subnormal products (about 1 % of
    /// the factors of mass-action 4323), each a microcode assist; without
    /// them the factorisation took a third of the time. Never inlined, so
    /// that the mode covers this call and nothing of its caller's.
    #[inline(never)]
    pub fn factor_sparse_lower_flushed(&mut self) -> Result<(), Singular> {
        let _flush = super::simd::FlushSubnormals::new();
        self.factor_sparse_lower()
    }

    /// [`BlockTridiag::solve`] under [`super::simd::FlushSubnormals`], with
    /// the factors of [`BlockTridiag::factor_sparse_lower_flushed`]. Never
    /// inlined, as that one.
    #[inline(never)]
    pub fn solve_flushed(&self, rhs: &mut Array2<f64>) {
        let _flush = super::simd::FlushSubnormals::new();
        self.solve(rhs)
    }

    /// [`BlockTridiag::factor`] for any block size.
    #[inline(never)]
    fn factor_general(&mut self) -> Result<(), Singular> {
        let (n, b) = (self.n, self.b);
        let bb = b * b;
        let lower = self.lower.as_slice().expect("standard layout");
        let diag = self.diag.as_slice_mut().expect("standard layout");
        let upper = self.upper.as_slice_mut().expect("standard layout");
        let piv = self.piv.as_slice_mut().expect("standard layout");
        for j in 0..n {
            if j > 0 {
                // diag[j] -= lower[j] * G[j-1]
                let g = &upper[(j - 1) * bb..j * bb];
                let l = &lower[j * bb..(j + 1) * bb];
                let d = &mut diag[j * bb..(j + 1) * bb];
                for (drow, lrow) in d.chunks_exact_mut(b).zip(l.chunks_exact(b)) {
                    for (&lrt, grow) in lrow.iter().zip(g.chunks_exact(b)) {
                        if lrt != 0.0 {
                            for (dv, gv) in drow.iter_mut().zip(grow) {
                                *dv -= lrt * gv;
                            }
                        }
                    }
                }
            }
            let d = &mut diag[j * bb..(j + 1) * bb];
            let p = &mut piv[j * b..(j + 1) * b];
            lu_factor(d, p, b).map_err(|row| Singular { block: j, row })?;
            if j + 1 < n {
                let u = &mut upper[j * bb..(j + 1) * bb];
                lu_solve_matrix(d, p, b, u);
            }
        }
        Ok(())
    }

    /// Solves `A x = rhs` in place with the factors of [`BlockTridiag::factor`]
    /// (`rhs` has shape `(n, b)`). May be called repeatedly.
    pub fn solve(&self, rhs: &mut Array2<f64>) {
        let rhs_s = rhs.as_slice_mut().expect("standard layout");
        match self.b {
            1 => return self.solve_fixed::<1, false>(rhs_s),
            2 => return self.solve_2(rhs_s),
            3 => return self.solve_fixed::<3, false>(rhs_s),
            4 => return self.solve_isa::<4, false>(rhs_s),
            5 => return self.solve_isa::<5, false>(rhs_s),
            6 => return self.solve_isa::<6, false>(rhs_s),
            7 => return self.solve_isa::<7, false>(rhs_s),
            8 => return self.solve_isa::<8, false>(rhs_s),
            9 => return self.solve_isa::<9, false>(rhs_s),
            10 => return self.solve_isa::<10, false>(rhs_s),
            11 => return self.solve_isa::<11, false>(rhs_s),
            12 => return self.solve_isa::<12, false>(rhs_s),
            // the rigorous models' 10 to 15 metals: the general loops'
            // order of operations (the same values as before)
            13 => return self.solve_isa::<13, true>(rhs_s),
            14 => return self.solve_isa::<14, true>(rhs_s),
            15 => return self.solve_isa::<15, true>(rhs_s),
            16 => return self.solve_isa::<16, true>(rhs_s),
            17 => return self.solve_isa::<17, true>(rhs_s),
            18 => return self.solve_isa::<18, true>(rhs_s),
            _ => {}
        }
        self.solve_general(rhs_s)
    }

    /// [`BlockTridiag::solve_fixed_inline`] in its AVX2 compilation where
    /// the processor has it ([`super::simd`]: the same roundings, so the
    /// same solution bit for bit), else in the baseline one.
    #[inline(always)]
    fn solve_isa<const B: usize, const GENERAL: bool>(&self, rhs: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if super::simd::avx2() {
            // SAFETY: the processor has AVX2
            return unsafe { self.solve_avx2::<B, GENERAL>(rhs) };
        }
        self.solve_fixed::<B, GENERAL>(rhs)
    }

    /// [`BlockTridiag::solve_fixed_inline`] compiled for AVX2 (without
    /// FMA).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn solve_avx2<const B: usize, const GENERAL: bool>(&self, rhs: &mut [f64]) {
        self.solve_fixed_inline::<B, GENERAL>(rhs)
    }

    /// [`BlockTridiag::solve`] for any block size.
    fn solve_general(&self, rhs: &mut [f64]) {
        let (n, b) = (self.n, self.b);
        let bb = b * b;
        let lower = self.lower.as_slice().expect("standard layout");
        let diag = self.diag.as_slice().expect("standard layout");
        let upper = self.upper.as_slice().expect("standard layout");
        let piv = self.piv.as_slice().expect("standard layout");
        for j in 0..n {
            if j > 0 {
                let l = &lower[j * bb..(j + 1) * bb];
                let (prev_rhs, cur_rhs) = rhs.split_at_mut(j * b);
                let y = &prev_rhs[(j - 1) * b..];
                for (cr, lrow) in cur_rhs.iter_mut().zip(l.chunks_exact(b)) {
                    *cr -= dot(lrow, y);
                }
            }
            lu_solve(
                &diag[j * bb..(j + 1) * bb],
                &piv[j * b..(j + 1) * b],
                b,
                &mut rhs[j * b..(j + 1) * b],
            );
        }
        for j in (0..n.saturating_sub(1)).rev() {
            let g = &upper[j * bb..(j + 1) * bb];
            let (cur, next) = rhs.split_at_mut((j + 1) * b);
            let x_next = &next[..b];
            let y = &mut cur[j * b..];
            for (yr, grow) in y.iter_mut().zip(g.chunks_exact(b)) {
                *yr -= dot(grow, x_next);
            }
        }
    }

    /// [`BlockTridiag::factor`] for blocks of the fixed size `B`; with
    /// `SPARSE`, the Schur update skips the zero entries of the lower
    /// blocks (the same factors: a skipped term is `d - 0 g`).
    fn factor_fixed<const B: usize, const SPARSE: bool>(&mut self) -> Result<(), Singular> {
        self.factor_fixed_inline::<B, SPARSE>()
    }

    /// The body of [`BlockTridiag::factor_fixed`], inlined where a caller
    /// needs it compiled into its own instruction set
    /// ([`BlockTridiag::factor_sized`]).
    #[inline(always)]
    fn factor_fixed_inline<const B: usize, const SPARSE: bool>(&mut self) -> Result<(), Singular> {
        let bb = B * B;
        let lower = self.lower.as_slice().expect("standard layout");
        let diag = self.diag.as_slice_mut().expect("standard layout");
        let upper = self.upper.as_slice_mut().expect("standard layout");
        let piv = self.piv.as_slice_mut().expect("standard layout");
        let n = self.n;
        // G[j-1] = diag'[j-1]^{-1} upper[j-1], in place in `upper[j-1]`
        let mut g_prev: Option<&mut [[f64; B]; B]> = None;
        let blocks = diag
            .chunks_exact_mut(bb)
            .zip(lower.chunks_exact(bb))
            .zip(upper.chunks_exact_mut(bb))
            .zip(piv.chunks_exact_mut(B));
        for (j, (((dj, lj), uj), pj)) in blocks.enumerate() {
            // every block is worked on in place: no copies onto the stack
            let d = block_mut::<B>(dj);
            if let Some(g) = g_prev.as_deref() {
                schur_update::<B, SPARSE>(d, block::<B>(lj), g);
            }
            let p: &mut [usize; B] = pj.try_into().expect("B pivots");
            if let Err(row) = lu_factor_fixed(d, p) {
                return Err(Singular { block: j, row });
            }
            if j + 1 < n {
                let g = block_mut::<B>(uj);
                lu_solve_matrix_fixed(d, p, g);
                g_prev = Some(g);
            }
        }
        Ok(())
    }

    /// [`BlockTridiag::solve`] for blocks of the fixed size `B`. Each
    /// block's values are held in registers (loops over constant ranges)
    /// while the lower, `LU` and `G` terms are taken off, in the same order
    /// as [`BlockTridiag::solve_general`] (so the same values); with
    /// `GENERAL`, in its order of operations too
    /// ([`BlockTridiag::solve_fixed_inline`]).
    fn solve_fixed<const B: usize, const GENERAL: bool>(&self, rhs: &mut [f64]) {
        self.solve_fixed_inline::<B, GENERAL>(rhs)
    }

    /// The body of [`BlockTridiag::solve_fixed`], inlined where a caller
    /// needs it compiled into its own instruction set
    /// ([`BlockTridiag::solve_sized`]). With `GENERAL`, every sum of
    /// products starts from `-0.0` and each back substitution subtracts
    /// its whole sum, as [`BlockTridiag::solve_general`]'s `dot` does: the
    /// general loops' values bit for bit.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)]
    fn solve_fixed_inline<const B: usize, const GENERAL: bool>(&self, rhs: &mut [f64]) {
        // the first term of a sum: `-0.0 + p` is `p` for every `p`
        let zero = if GENERAL { -0.0 } else { 0.0 };
        let bb = B * B;
        let lower = self.lower.as_slice().expect("standard layout");
        let diag = self.diag.as_slice().expect("standard layout");
        let upper = self.upper.as_slice().expect("standard layout");
        let piv = self.piv.as_slice().expect("standard layout");
        // y[j-1] during the forward pass, x[j+1] during the back substitution
        let mut y = [0.0f64; B];
        let blocks = rhs
            .as_chunks_mut::<B>()
            .0
            .iter_mut()
            .zip(lower.chunks_exact(bb))
            .zip(diag.chunks_exact(bb))
            .zip(piv.chunks_exact(B));
        for (j, (((rj, lj), dj), pj)) in blocks.enumerate() {
            let mut v = *rj;
            if j > 0 {
                let l = block::<B>(lj);
                unroll!(B, r, {
                    let mut s = zero;
                    for t in 0..B {
                        s += l[r][t] * y[t];
                    }
                    v[r] -= s;
                });
            }
            if B <= 5 {
                apply_pivots_by_compare(pj, &mut v);
            } else {
                // swaps with a run-time partner go through memory; the last
                // pivot is always its own row
                *rj = v;
                for (k, &p) in pj.iter().enumerate().take(B - 1) {
                    rj.swap(k, p);
                }
                v = *rj;
            }
            lu_substitute_fixed::<B, GENERAL>(block::<B>(dj), &mut v);
            *rj = v;
            y = v;
        }
        // back substitution: x[j] = y[j] - G[j] x[j+1]; y now holds x[n-1]
        let blocks = rhs
            .as_chunks_mut::<B>()
            .0
            .iter_mut()
            .zip(upper.chunks_exact(bb))
            .rev()
            .skip(1);
        for (rj, gj) in blocks {
            let g = block::<B>(gj);
            let mut x = *rj;
            unroll!(B, r, {
                let mut s = zero;
                for t in 0..B {
                    s += g[r][t] * y[t];
                }
                x[r] -= s;
            });
            *rj = x;
            y = x;
        }
    }

    /// [`BlockTridiag::factor_fixed`] for blocks of 2 (two components of
    /// the separation-factor model), written out on scalars: the same
    /// operations in the same order, so the same factors, pivots and
    /// errors bit for bit, without the row copies, swaps through memory
    /// and loop bookkeeping of the general fixed-size code.
    fn factor_2(&mut self) -> Result<(), Singular> {
        self.factor_2_inline()
    }

    /// The body of [`BlockTridiag::factor_2`] (see
    /// [`BlockTridiag::factor_fixed_inline`]).
    #[inline(always)]
    fn factor_2_inline(&mut self) -> Result<(), Singular> {
        let n = self.n;
        let lower = self.lower.as_slice().expect("standard layout");
        let diag = self.diag.as_slice_mut().expect("standard layout");
        let upper = self.upper.as_slice_mut().expect("standard layout");
        let piv = self.piv.as_slice_mut().expect("standard layout");
        // G[j-1] = diag'[j-1]^{-1} upper[j-1], row-major
        let mut g = [0.0f64; 4];
        let blocks = diag
            .chunks_exact_mut(4)
            .zip(lower.chunks_exact(4))
            .zip(upper.chunks_exact_mut(4))
            .zip(piv.chunks_exact_mut(2));
        for (j, (((dj, lj), uj), pj)) in blocks.enumerate() {
            let d = [dj[0], dj[1], dj[2], dj[3]];
            let (f, swap, inv0) = eliminate_2(j, d, lj, &g)?;
            dj.copy_from_slice(&f);
            pj.copy_from_slice(&[usize::from(swap), 1]);
            if j + 1 < n {
                g = g_2(&f, swap, inv0, [uj[0], uj[1], uj[2], uj[3]]);
                uj.copy_from_slice(&g);
            }
        }
        Ok(())
    }

    /// [`BlockTridiag::solve_fixed`] for blocks of 2, written out on
    /// scalars (the same operations in the same order, so the same
    /// solution bit for bit; the sums start from `0.0` as there).
    fn solve_2(&self, rhs: &mut [f64]) {
        self.solve_2_inline(rhs)
    }

    /// The body of [`BlockTridiag::solve_2`] (see
    /// [`BlockTridiag::solve_fixed_inline`]).
    #[inline(always)]
    fn solve_2_inline(&self, rhs: &mut [f64]) {
        let lower = self.lower.as_slice().expect("standard layout");
        let diag = self.diag.as_slice().expect("standard layout");
        let upper = self.upper.as_slice().expect("standard layout");
        let piv = self.piv.as_slice().expect("standard layout");
        let (mut y0, mut y1) = (0.0f64, 0.0f64);
        let blocks = rhs
            .chunks_exact_mut(2)
            .zip(lower.chunks_exact(4))
            .zip(diag.chunks_exact(4))
            .zip(piv.chunks_exact(2));
        for (j, (((rj, lj), dj), pj)) in blocks.enumerate() {
            let f = [dj[0], dj[1], dj[2], dj[3]];
            (y0, y1) = forward_2(j, (rj[0], rj[1]), lj, (y0, y1), pj[0] == 1, &f);
            (rj[0], rj[1]) = (y0, y1);
        }
        back_2(upper, rhs, (y0, y1));
    }

    /// [`BlockTridiag::factor_2`] and [`BlockTridiag::solve_2`] in one pass
    /// over the block rows, which `rows` gives in order as they are needed
    /// (`diag`, `lower`, `upper` row-major, and the right-hand side of the
    /// row; `n` of them, the lower block of the first and the upper one of
    /// the last not used): each is eliminated as it comes, nothing of it stored but what
    /// a later [`BlockTridiag::solve`] needs (`lower`, the factors, the
    /// pivots and `G`), then the back substitution. The same operations in
    /// the same order as `factor_2` then `solve_2` on the assembled
    /// matrix, so the same factors and solution bit for bit; `rhs`
    /// (`2 n`) receives the solution. On a singular pivot, the error of
    /// `factor_2` (and `rhs` is left part-way).
    #[inline(always)]
    pub(crate) fn assemble_factor_solve_2(
        &mut self,
        rhs: &mut [f64],
        rows: impl Iterator<Item = ([f64; 4], [f64; 4], [f64; 4], [f64; 2])>,
    ) -> Result<(), Singular> {
        debug_assert_eq!(self.b, 2);
        let n = self.n;
        let lower = self.lower.as_slice_mut().expect("standard layout");
        let diag = self.diag.as_slice_mut().expect("standard layout");
        let upper = self.upper.as_slice_mut().expect("standard layout");
        let piv = self.piv.as_slice_mut().expect("standard layout");
        let rhs = &mut rhs[..2 * n];
        let mut g = [0.0f64; 4];
        let (mut y0, mut y1) = (0.0f64, 0.0f64);
        let blocks = diag
            .chunks_exact_mut(4)
            .zip(lower.chunks_exact_mut(4))
            .zip(upper.chunks_exact_mut(4))
            .zip(piv.chunks_exact_mut(2).zip(rhs.chunks_exact_mut(2)))
            .zip(rows);
        for (j, ((((dj, lj), uj), (pj, rj)), (d, l, u, v))) in blocks.enumerate() {
            if j > 0 {
                lj.copy_from_slice(&l);
            }
            let (f, swap, inv0) = eliminate_2(j, d, &l, &g)?;
            dj.copy_from_slice(&f);
            pj.copy_from_slice(&[usize::from(swap), 1]);
            if j + 1 < n {
                g = g_2(&f, swap, inv0, u);
                uj.copy_from_slice(&g);
            }
            (y0, y1) = forward_2(j, (v[0], v[1]), &l, (y0, y1), swap, &f);
            (rj[0], rj[1]) = (y0, y1);
        }
        back_2(upper, rhs, (y0, y1));
        Ok(())
    }

    /// [`BlockTridiag::factor`] for blocks of `B` known at compile time
    /// (1 to 12), inlined into the caller: the separation-factor Newton
    /// compiles it into each of its instruction sets ([`super::simd`]).
    #[inline(always)]
    pub(crate) fn factor_sized<const B: usize>(&mut self) -> Result<(), Singular> {
        debug_assert_eq!(self.b, B);
        if B == 2 {
            self.factor_2_inline()
        } else {
            self.factor_fixed_inline::<B, false>()
        }
    }

    /// [`BlockTridiag::solve`] for blocks of `B` known at compile time
    /// (1 to 12), inlined into the caller (as
    /// [`BlockTridiag::factor_sized`]).
    #[inline(always)]
    pub(crate) fn solve_sized<const B: usize>(&self, rhs: &mut Array2<f64>) {
        debug_assert_eq!(self.b, B);
        let rhs = rhs.as_slice_mut().expect("standard layout");
        if B == 2 {
            self.solve_2_inline(rhs)
        } else {
            self.solve_fixed_inline::<B, false>(rhs)
        }
    }

    /// Factorises and solves `A x = rhs` in place.
    pub fn factor_solve(&mut self, rhs: &mut Array2<f64>) -> Result<(), Singular> {
        self.factor()?;
        self.solve(rhs);
        Ok(())
    }
}

/// One block row of the elimination of blocks of 2 ([`BlockTridiag::factor_2`]
/// and the fused pass): `d - l G` (block row `j > 0`, `G` the previous
/// row's; each entry summed over the columns of `l` in order), the pivot
/// of column 0 (row 1 only if strictly larger: a NaN in row 0 keeps row 0
/// and fails the test), the LU factors row-major (`[u00, u01, l10,
/// u11]`), whether the rows were swapped, and `1 / u00`.
#[inline(always)]
fn eliminate_2(
    j: usize,
    d: [f64; 4],
    l: &[f64],
    g: &[f64; 4],
) -> Result<([f64; 4], bool, f64), Singular> {
    let [mut d00, mut d01, mut d10, mut d11] = d;
    if j > 0 {
        d00 = d00 - l[0] * g[0] - l[1] * g[2];
        d01 = d01 - l[0] * g[1] - l[1] * g[3];
        d10 = d10 - l[2] * g[0] - l[3] * g[2];
        d11 = d11 - l[2] * g[1] - l[3] * g[3];
    }
    let swap = d10.abs() > d00.abs();
    let max = if swap { d10.abs() } else { d00.abs() };
    if !positive_finite(max) {
        return Err(Singular { block: j, row: 0 });
    }
    if swap {
        (d00, d01, d10, d11) = (d10, d11, d00, d01);
    }
    let inv0 = 1.0 / d00;
    let f = d10 * inv0;
    d11 -= f * d01;
    d10 = f;
    if !positive_finite(d11.abs()) {
        return Err(Singular { block: j, row: 1 });
    }
    Ok(([d00, d01, d10, d11], swap, inv0))
}

/// `G = diag'^{-1} u` for blocks of 2, from the factors `f`, the pivot
/// and `1 / u00` of [`eliminate_2`], row-major.
#[inline(always)]
fn g_2(f: &[f64; 4], swap: bool, inv0: f64, u: [f64; 4]) -> [f64; 4] {
    let [_, d01, d10, d11] = *f;
    let [mut g00, mut g01, mut g10, mut g11] = u;
    if swap {
        (g00, g01, g10, g11) = (g10, g11, g00, g01);
    }
    g10 -= d10 * g00;
    g11 -= d10 * g01;
    let inv1 = 1.0 / d11;
    g10 *= inv1;
    g11 *= inv1;
    g00 -= d01 * g10;
    g01 -= d01 * g11;
    g00 *= inv0;
    g01 *= inv0;
    [g00, g01, g10, g11]
}

/// The forward substitution of one block row of 2
/// ([`BlockTridiag::solve_2`] and the fused pass): `v - l y` (block row `j
/// > 0`, `y` the previous row's result; the sums from `0.0`), the pivot's
/// swap, then the LU factors `f`.
#[inline(always)]
fn forward_2(
    j: usize,
    (mut v0, mut v1): (f64, f64),
    l: &[f64],
    (y0, y1): (f64, f64),
    swap: bool,
    f: &[f64; 4],
) -> (f64, f64) {
    if j > 0 {
        v0 -= 0.0 + l[0] * y0 + l[1] * y1;
        v1 -= 0.0 + l[2] * y0 + l[3] * y1;
    }
    if swap {
        (v0, v1) = (v1, v0);
    }
    v1 -= 0.0 + f[2] * v0;
    v1 /= f[3];
    v0 = (v0 - f[1] * v1) / f[0];
    (v0, v1)
}

/// The back substitution of [`BlockTridiag::solve_2`]: `x[j] = y[j] - G[j]
/// x[j+1]` from the last block row (whose `x` is `last`) up, in place.
#[inline(always)]
fn back_2(upper: &[f64], rhs: &mut [f64], last: (f64, f64)) {
    let (mut y0, mut y1) = last;
    let blocks = rhs
        .chunks_exact_mut(2)
        .zip(upper.chunks_exact(4))
        .rev()
        .skip(1);
    for (rj, gj) in blocks {
        rj[0] -= 0.0 + gj[0] * y0 + gj[1] * y1;
        rj[1] -= 0.0 + gj[2] * y0 + gj[3] * y1;
        (y0, y1) = (rj[0], rj[1]);
    }
}

/// `m[dst row] -= f * m[src row]` over columns `from..b` of a row-major
/// `b x b` matrix (`dst != src`), on slices so that the loop vectorises.
/// Always inlined: LLVM stopped inlining it into the general loops when
/// the fixed-size kernels changed (`sizes/k15/100` +6 %).
#[inline(always)]
fn row_axpy(m: &mut [f64], b: usize, dst: usize, src: usize, f: f64, from: usize) {
    let (d, s) = if dst > src {
        let (head, tail) = m.split_at_mut(dst * b);
        (&mut tail[from..b], &head[src * b + from..src * b + b])
    } else {
        let (head, tail) = m.split_at_mut(src * b);
        (&mut head[dst * b + from..dst * b + b], &tail[from..b])
    };
    for (dv, sv) in d.iter_mut().zip(s) {
        *dv -= f * sv;
    }
}

/// In-place LU factorisation with partial pivoting of a row-major `b x b`
/// matrix. Returns the offending row when a pivot is zero or not finite.
#[inline]
fn lu_factor(a: &mut [f64], piv: &mut [usize], b: usize) -> Result<(), usize> {
    for k in 0..b {
        let mut p = k;
        let mut max = a[k * b + k].abs();
        for r in k + 1..b {
            let v = a[r * b + k].abs();
            if v > max {
                max = v;
                p = r;
            }
        }
        piv[k] = p;
        if max == 0.0 || !max.is_finite() {
            return Err(k);
        }
        if p != k {
            for c in 0..b {
                a.swap(k * b + c, p * b + c);
            }
        }
        let inv = 1.0 / a[k * b + k];
        for r in k + 1..b {
            let f = a[r * b + k] * inv;
            a[r * b + k] = f;
            if f != 0.0 {
                row_axpy(a, b, r, k, f, k + 1);
            }
        }
    }
    Ok(())
}

/// Solves `LU x = P v` in place for one vector.
#[inline]
fn lu_solve(lu: &[f64], piv: &[usize], b: usize, v: &mut [f64]) {
    for (k, &p) in piv.iter().enumerate().take(b) {
        if p != k {
            v.swap(k, p);
        }
    }
    for r in 1..b {
        let (done, rest) = v.split_at_mut(r);
        rest[0] -= dot(&lu[r * b..r * b + r], done);
    }
    for r in (0..b).rev() {
        let (head, done) = v.split_at_mut(r + 1);
        let s = head[r] - dot(&lu[r * b + r + 1..(r + 1) * b], done);
        head[r] = s / lu[r * b + r];
    }
}

/// Dot product of two equally long slices.
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A row-major `B x B` block of a slice, in place.
#[inline(always)]
fn block<const B: usize>(s: &[f64]) -> &[[f64; B]; B] {
    s[..B * B]
        .as_chunks::<B>()
        .0
        .try_into()
        .expect("B x B block")
}

/// [`block`], mutable.
#[inline(always)]
fn block_mut<const B: usize>(s: &mut [f64]) -> &mut [[f64; B]; B] {
    s[..B * B]
        .as_chunks_mut::<B>()
        .0
        .try_into()
        .expect("B x B block")
}

/// `d -= l g` for fixed-size blocks, each entry summed over the columns of
/// `l` in order; with `SPARSE`, the zero entries of `l` are skipped (the
/// same values: a skipped term is `d - 0 g`). A row of `d` is held in
/// registers while its terms are taken off.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn schur_update<const B: usize, const SPARSE: bool>(
    d: &mut [[f64; B]; B],
    l: &[[f64; B]; B],
    g: &[[f64; B]; B],
) {
    // without `SPARSE`, no test for zero factors: the branch-free loop
    // vectorises and costs less than the multiplications it would skip in
    // dense lower blocks
    unroll!(B, r, {
        let mut row = d[r];
        for t in 0..B {
            let f = l[r][t];
            if SPARSE && f == 0.0 {
                continue;
            }
            for c in 0..B {
                row[c] -= f * g[t][c];
            }
        }
        d[r] = row;
    });
}

/// [`lu_factor`] on a fixed-size block, in place (same pivots, same
/// factors). Index loops over constant ranges (iterators with `skip` do
/// not unroll as well).
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn lu_factor_fixed<const B: usize>(
    a: &mut [[f64; B]; B],
    piv: &mut [usize; B],
) -> Result<(), usize> {
    unroll!(B, k, {
        let mut p = k;
        let mut max = a[k][k].abs();
        for r in k + 1..B {
            let v = a[r][k].abs();
            if v > max {
                max = v;
                p = r;
            }
        }
        piv[k] = p;
        if max == 0.0 || !max.is_finite() {
            return Err(k);
        }
        if p != k {
            a.swap(k, p);
        }
        let inv = 1.0 / a[k][k];
        let pivot_row = a[k];
        for r in k + 1..B {
            let f = a[r][k] * inv;
            for c in k + 1..B {
                a[r][c] -= f * pivot_row[c];
            }
            a[r][k] = f;
        }
    });
    Ok(())
}

/// The triangular solves of [`lu_solve`] on a fixed-size block (`v`
/// already in pivot order), over constant ranges so that `v` stays in
/// registers. With `GENERAL`, in [`lu_solve`]'s order of operations
/// (sums from `-0.0`, each row's whole sum subtracted at once).
#[inline(always)]
fn lu_substitute_fixed<const B: usize, const GENERAL: bool>(lu: &[[f64; B]; B], v: &mut [f64; B]) {
    let zero = if GENERAL { -0.0 } else { 0.0 };
    for r in 1..B {
        let mut s = zero;
        for t in 0..r {
            s += lu[r][t] * v[t];
        }
        v[r] -= s;
    }
    if GENERAL {
        for r in (0..B).rev() {
            let mut s = -0.0;
            for t in r + 1..B {
                s += lu[r][t] * v[t];
            }
            v[r] = (v[r] - s) / lu[r][r];
        }
        return;
    }
    for r in (0..B).rev() {
        let mut s = v[r];
        for t in r + 1..B {
            s -= lu[r][t] * v[t];
        }
        v[r] = s / lu[r][r];
    }
}

/// The row swaps of [`lu_solve`], `v.swap(k, p)` with `p` in `k..B`
/// for each `k` but the last (whose pivot is always its own row), as
/// compares on fixed indices so that `v` can stay in registers. Callgrind,
/// cold solves of the generated cascades: fewer instructions than the
/// swaps for 2 to 5 components, more for 6 and 8.
#[inline(always)]
fn apply_pivots_by_compare<const B: usize>(piv: &[usize], v: &mut [f64; B]) {
    #[allow(clippy::needless_range_loop)]
    for k in 0..B.saturating_sub(1) {
        let p = piv[k];
        let vk = v[k];
        let mut vp = vk;
        for r in k + 1..B {
            if r == p {
                vp = v[r];
                v[r] = vk;
            }
        }
        v[k] = vp;
    }
}

/// [`lu_solve_matrix`] on a fixed-size block, each row of `m` held in
/// registers while the terms of its substitution are taken off (in the
/// same order, so the same values).
#[inline(always)]
#[allow(clippy::needless_range_loop)]
fn lu_solve_matrix_fixed<const B: usize>(
    lu: &[[f64; B]; B],
    piv: &[usize; B],
    m: &mut [[f64; B]; B],
) {
    // the last pivot is always its own row
    unroll!(B, k, {
        if k + 1 < B && piv[k] != k {
            m.swap(k, piv[k]);
        }
    });
    unroll!(B, r, {
        let mut row = m[r];
        for t in 0..r {
            let f = lu[r][t];
            for c in 0..B {
                row[c] -= f * m[t][c];
            }
        }
        m[r] = row;
    });
    unroll!(B, i, {
        let r = B - 1 - i;
        let mut row = m[r];
        for t in r + 1..B {
            let f = lu[r][t];
            for c in 0..B {
                row[c] -= f * m[t][c];
            }
        }
        let inv = 1.0 / lu[r][r];
        for c in 0..B {
            row[c] *= inv;
        }
        m[r] = row;
    });
}

/// Solves `LU X = P M` in place for a row-major `b x b` matrix `m`.
#[inline]
fn lu_solve_matrix(lu: &[f64], piv: &[usize], b: usize, m: &mut [f64]) {
    for (k, &p) in piv.iter().enumerate().take(b) {
        if p != k {
            for c in 0..b {
                m.swap(k * b + c, p * b + c);
            }
        }
    }
    for r in 1..b {
        for t in 0..r {
            let f = lu[r * b + t];
            if f != 0.0 {
                row_axpy(m, b, r, t, f, 0);
            }
        }
    }
    for r in (0..b).rev() {
        for t in r + 1..b {
            let f = lu[r * b + t];
            if f != 0.0 {
                row_axpy(m, b, r, t, f, 0);
            }
        }
        let inv = 1.0 / lu[r * b + r];
        for v in &mut m[r * b..(r + 1) * b] {
            *v *= inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small deterministic generator (splitmix64) for test matrices.
    fn rng(seed: &mut u64) -> f64 {
        *seed = seed.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// `n` blocks of `b` with every entry of `lower`, `upper` and `diag`
    /// drawn from [`rng`] (in that order).
    fn random_blocks(n: usize, b: usize, seed: &mut u64) -> BlockTridiag {
        let mut m = BlockTridiag::new(n, b);
        for v in m
            .lower
            .iter_mut()
            .chain(m.upper.iter_mut())
            .chain(m.diag.iter_mut())
        {
            *v = rng(seed);
        }
        m
    }

    /// Random blocks of `b` over `n` stages whose lower blocks keep only
    /// the entries `i` with `i % every == kept` (`(every, kept)`; mostly
    /// zero, as the rigorous models' are), and a random right-hand side
    /// with zeros of either sign at `[0, 0]` (-0.0) and `[1, 2]` (0.0).
    fn sparse_lower_case(
        n: usize,
        b: usize,
        (every, kept): (usize, usize),
        seed: &mut u64,
    ) -> (BlockTridiag, Array2<f64>) {
        let mut m = random_blocks(n, b, seed);
        for (i, v) in m.lower.iter_mut().enumerate() {
            if i % every != kept {
                *v = 0.0;
            }
        }
        let mut rhs = Array2::from_shape_fn((n, b), |_| rng(seed));
        rhs[[0, 0]] = -0.0;
        rhs[[1, 2]] = 0.0;
        (m, rhs)
    }

    #[test]
    fn solves_random_systems_of_awkward_sizes() {
        let mut seed = 42;
        for &n in &[1usize, 2, 3, 17, 128, 257] {
            for &b in &[1usize, 2, 3, 6, 7, 8, 9] {
                let mut m = BlockTridiag::new(n, b);
                for j in 0..n {
                    for r in 0..b {
                        for c in 0..b {
                            m.lower[[j, r, c]] = rng(&mut seed);
                            m.upper[[j, r, c]] = rng(&mut seed);
                            m.diag[[j, r, c]] = rng(&mut seed);
                        }
                        // keep it comfortably non-singular, but let pivoting work
                        m.diag[[j, (r + 1) % b, r]] += 4.0 * b as f64;
                    }
                }
                let x_true = Array2::from_shape_fn((n, b), |_| rng(&mut seed));
                let mut rhs = Array2::zeros((n, b));
                m.matvec(&x_true, &mut rhs);
                let orig = m.clone();
                let mut x = rhs.clone();
                m.factor_solve(&mut x).unwrap();
                let mut back = Array2::zeros((n, b));
                orig.matvec(&x, &mut back);
                let err = (&back - &rhs).iter().fold(0.0f64, |a, v| a.max(v.abs()));
                assert!(err < 2e-12 * b as f64, "n={n} b={b} residual {err}");
                let xerr = (&x - &x_true).iter().fold(0.0f64, |a, v| a.max(v.abs()));
                assert!(xerr < 1e-9, "n={n} b={b} error {xerr}");
            }
        }
    }

    /// The size-specialised kernels give the factors and solutions of the
    /// general loops (to rounding: the sums run in the same order).
    #[test]
    fn fixed_size_kernels_match_the_general_loops() {
        let mut seed = 7;
        for b in 1..=13usize {
            let n = 9;
            let m = random_blocks(n, b, &mut seed);
            let rhs = Array2::from_shape_fn((n, b), |_| rng(&mut seed));
            let (mut fixed, mut general) = (m.clone(), m);
            fixed.factor().unwrap();
            general.factor_general().unwrap();
            let mut x_fixed = rhs.clone();
            fixed.solve(&mut x_fixed);
            let mut x_general = rhs.clone();
            general.solve_general(x_general.as_slice_mut().unwrap());
            assert_eq!(fixed.piv, general.piv, "b={b}");
            for (a, g) in fixed.diag.iter().zip(&general.diag) {
                assert!((a - g).abs() <= 1e-12 * (1.0 + g.abs()), "b={b}");
            }
            for (a, g) in x_fixed.iter().zip(&x_general) {
                assert!(
                    (a - g).abs() <= 1e-10 * (1.0 + g.abs()),
                    "b={b}: {a} vs {g}"
                );
            }
        }
    }

    /// Blocks of 13 to 18 (the rigorous Newton's 10 to 15 metals), on the
    /// fixed-size code, give the general loops' factors, pivots and
    /// solutions bit for bit, with lower blocks mostly zero as the
    /// rigorous models' are (skipped by the sparse Schur update) and with
    /// zeros of either sign in the right-hand side.
    #[test]
    fn blocks_of_13_to_18_match_the_general_loops_bit_for_bit() {
        let mut seed = 11;
        for b in 13..=18usize {
            let n = 7;
            let (m, mut rhs) = sparse_lower_case(n, b, (3, 0), &mut seed);
            rhs[[n - 1, b - 1]] = -0.0;
            let (mut fixed, mut general) = (m.clone(), m);
            fixed.factor_sparse_lower().unwrap();
            general.factor_general().unwrap();
            assert_eq!(fixed.piv, general.piv, "b={b}");
            for (a, g) in fixed
                .diag
                .iter()
                .chain(&fixed.upper)
                .zip(general.diag.iter().chain(&general.upper))
            {
                assert_eq!(a.to_bits(), g.to_bits(), "b={b}: {a} vs {g}");
            }
            let mut x_fixed = rhs.clone();
            fixed.solve(&mut x_fixed);
            let mut x_general = rhs;
            general.solve_general(x_general.as_slice_mut().unwrap());
            for (a, g) in x_fixed.iter().zip(&x_general) {
                assert_eq!(a.to_bits(), g.to_bits(), "b={b}: {a} vs {g}");
            }
        }
    }

    /// The rigorous Newton's factorisation with sparse lower blocks and
    /// the fixed-size solves (sizes 4 to 18) give the same factors, pivots
    /// and solutions bit for bit in their AVX2 and baseline compilations
    /// (on a processor without AVX2 both take the baseline).
    #[test]
    fn sparse_factor_and_solve_match_on_both_instruction_sets() {
        let mut seed = 23;
        let bits = |a: &Array3<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for b in 4..=18usize {
            let (m, rhs) = sparse_lower_case(9, b, (4, 1), &mut seed);
            let (mut fast, mut base) = (m.clone(), m);
            fast.factor_sparse_lower().unwrap();
            crate::solver::simd::with_baseline(|| base.factor_sparse_lower()).unwrap();
            assert_eq!(fast.piv, base.piv, "b={b}");
            assert_eq!(bits(&fast.diag), bits(&base.diag), "b={b}");
            assert_eq!(bits(&fast.upper), bits(&base.upper), "b={b}");
            let (mut x_fast, mut x_base) = (rhs.clone(), rhs);
            fast.solve(&mut x_fast);
            crate::solver::simd::with_baseline(|| base.solve(&mut x_base));
            for (a, g) in x_fast.iter().zip(&x_base) {
                assert_eq!(a.to_bits(), g.to_bits(), "b={b}: {a} vs {g}");
            }
        }
    }

    /// The rigorous Newton's factorisation and solve
    /// ([`BlockTridiag::factor_sparse_lower_flushed`],
    /// [`BlockTridiag::solve_flushed`]) make no subnormal number where the
    /// plain ones make many (a coupling to the next block's first unknown
    /// at the bottom of the normal range, so that `diag'^{-1} upper` and
    /// the Schur complements fall below it), solve the same system to
    /// rounding, and
    /// leave the thread's mode as they found it. Without the flush the
    /// factors hold hundreds of subnormals, each a microcode assist per
    /// operation that reads or makes it (round 21: mass-action 4323's
    /// factorisation three times slower).
    #[test]
    fn flushed_factorisation_makes_no_subnormals() {
        let mut seed = 31;
        let subnormals = |a: &Array3<f64>| a.iter().filter(|v| v.is_subnormal()).count();
        for b in [5usize, 11, 17] {
            let (mut m, rhs) = sparse_lower_case(40, b, (4, 1), &mut seed);
            for j in 0..40 {
                for r in 0..b {
                    m.diag[[j, r, r]] += b as f64;
                    if j + 1 < 40 {
                        m.upper[[j, r, 0]] *= 1e-308;
                    }
                }
            }
            let (mut plain, mut flushed) = (m.clone(), m);
            plain.factor_sparse_lower().unwrap();
            flushed.factor_sparse_lower_flushed().unwrap();
            let made = subnormals(&plain.diag) + subnormals(&plain.upper);
            assert!(
                made > 100,
                "b={b}: only {made} subnormals without the flush"
            );
            #[cfg(target_arch = "x86_64")]
            assert_eq!(
                subnormals(&flushed.diag) + subnormals(&flushed.upper),
                0,
                "b={b}"
            );
            let (mut x_plain, mut x_flushed) = (rhs.clone(), rhs);
            plain.solve(&mut x_plain);
            flushed.solve_flushed(&mut x_flushed);
            #[cfg(target_arch = "x86_64")]
            assert_eq!(x_flushed.iter().filter(|v| v.is_subnormal()).count(), 0);
            for (a, f) in x_plain.iter().zip(&x_flushed) {
                assert!(
                    (a - f).abs() <= 1e-9 * a.abs().max(1.0),
                    "b={b}: {a} vs {f}"
                );
            }
            // the mode is restored: subnormal arithmetic again
            let tiny = std::hint::black_box(f64::MIN_POSITIVE);
            assert!((tiny * std::hint::black_box(0.5)).is_subnormal());
        }
    }

    /// The written-out kernels for blocks of 2 give the factors, pivots,
    /// solutions and errors of the fixed-size code bit for bit: pivots
    /// both ways, ties, zero and non-finite pivots in either row (after an
    /// error, the factors of the blocks before the singular one).
    #[test]
    fn blocks_of_two_match_the_fixed_size_code_bit_for_bit() {
        let mut seed = 11;
        let bits = |a: &Array3<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for case in 0..40 {
            let n = 1 + case % 7;
            let mut m = random_blocks(n, 2, &mut seed);
            let j = case % n;
            match case % 8 {
                // a tie between the rows of column 0 in block 0
                3 => m.diag[[0, 1, 0]] = -m.diag[[0, 0, 0]],
                // a zero column 0 (singular at row 0), or a NaN in row 0
                4 if j == 0 => {
                    m.diag[[0, 0, 0]] = 0.0;
                    m.diag[[0, 1, 0]] = 0.0;
                }
                5 => m.diag[[j, 0, 0]] = f64::NAN,
                // a singular second pivot, an infinity in row 1
                6 if j == 0 => {
                    m.diag[[0, 1, 1]] = m.diag[[0, 1, 0]] * m.diag[[0, 0, 1]] / m.diag[[0, 0, 0]]
                }
                7 => m.diag[[j, 1, 0]] = f64::INFINITY,
                _ => {}
            }
            let rhs = Array2::from_shape_fn((n, 2), |_| rng(&mut seed));
            let (mut two, mut fixed) = (m.clone(), m);
            let (r2, rf) = (two.factor(), fixed.factor_fixed::<2, false>());
            assert_eq!(r2, rf, "case {case}");
            // the blocks before a singular one are factorised alike (the
            // singular one is left part-way by the in-place fixed-size code)
            let done = r2.map_or_else(|e| e.block, |()| n);
            let head = |a: &Array3<f64>| bits(&a.slice(ndarray::s![..done, .., ..]).to_owned());
            assert_eq!(head(&two.diag), head(&fixed.diag), "case {case}");
            assert_eq!(head(&two.upper), head(&fixed.upper), "case {case}");
            assert_eq!(
                two.piv.slice(ndarray::s![..done, ..]),
                fixed.piv.slice(ndarray::s![..done, ..]),
                "case {case}"
            );
            if r2.is_ok() {
                let mut x2 = rhs.clone();
                two.solve(&mut x2);
                let mut xf = rhs.clone();
                fixed.solve_fixed::<2, false>(xf.as_slice_mut().unwrap());
                let xb = |x: &Array2<f64>| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(xb(&x2), xb(&xf), "case {case}");
            }
        }
    }

    /// The fused pass gives the factors, pivots, errors and solution of
    /// `factor` then `solve` on the same blocks, bit for bit.
    #[test]
    fn fused_blocks_of_two_match_factor_and_solve() {
        let mut seed = 23;
        let bits = |a: &[f64]| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for case in 0..40 {
            let n = 1 + case % 7;
            let mut m = random_blocks(n, 2, &mut seed);
            let j = case % n;
            match case % 6 {
                3 => m.diag[[0, 1, 0]] = -m.diag[[0, 0, 0]],
                4 => m.diag[[j, 0, 0]] = f64::NAN,
                5 => m.diag[[j, 1, 1]] = f64::INFINITY,
                _ => {}
            }
            let rhs = Array2::from_shape_fn((n, 2), |_| rng(&mut seed));
            let block = |a: &Array3<f64>, j: usize| -> [f64; 4] {
                let s = a.as_slice().unwrap();
                s[4 * j..4 * j + 4].try_into().unwrap()
            };
            let rows = (0..n).map(|j| {
                let r = [rhs[[j, 0]], rhs[[j, 1]]];
                (block(&m.diag, j), block(&m.lower, j), block(&m.upper, j), r)
            });
            let mut fused = BlockTridiag::new(n, 2);
            let mut xf = rhs.clone();
            let rf = fused.assemble_factor_solve_2(xf.as_slice_mut().unwrap(), rows);
            let (mut two, mut x2) = (m.clone(), rhs.clone());
            let r2 = two.factor();
            assert_eq!(rf, r2, "case {case}");
            if r2.is_err() {
                continue;
            }
            two.solve(&mut x2);
            assert_eq!(bits(xf.as_slice().unwrap()), bits(x2.as_slice().unwrap()));
            let used = |a: &Array3<f64>, from: usize, to: usize| {
                bits(&a.as_slice().unwrap()[4 * from..4 * to])
            };
            assert_eq!(
                used(&fused.diag, 0, n),
                used(&two.diag, 0, n),
                "case {case}"
            );
            assert_eq!(
                used(&fused.lower, 1, n),
                used(&two.lower, 1, n),
                "case {case}"
            );
            assert_eq!(
                used(&fused.upper, 0, n - 1),
                used(&two.upper, 0, n - 1),
                "case {case}"
            );
            assert_eq!(fused.piv, two.piv, "case {case}");
            // and a later solve with the kept factors
            let other = Array2::from_shape_fn((n, 2), |_| rng(&mut seed));
            let (mut yf, mut y2) = (other.clone(), other);
            fused.solve(&mut yf);
            two.solve(&mut y2);
            assert_eq!(bits(yf.as_slice().unwrap()), bits(y2.as_slice().unwrap()));
        }
    }

    #[test]
    fn reports_singular_block() {
        let mut m = BlockTridiag::new(3, 2);
        m.diag[[0, 0, 0]] = 1.0;
        m.diag[[0, 1, 1]] = 1.0;
        let mut rhs = Array2::zeros((3, 2));
        assert_eq!(m.factor_solve(&mut rhs), Err(Singular { block: 1, row: 0 }));
    }
}
