//! **Not API.** Re-exports of crate internals that the benchmarks (and a
//! few kernel tests) time or drive directly: the general Newton solver,
//! the block-tridiagonal and logarithmic Thomas factorisations, and the
//! capacity planner's linear-program builder and backends. Hidden from
//! the documentation; anything here may change or go without notice.

/// The damped Newton solver of the stage equations (`solver::newton`).
pub mod newton {
    pub use crate::solver::newton::{solve, NewtonOptions, NewtonReport, Workspace};
}

/// The run-time choice of the separation-factor hot path's instruction
/// set (`solver::simd`).
pub mod simd {
    pub use crate::solver::simd::with_baseline;
}

/// The block-tridiagonal factorisation (`solver::block_tridiag`).
pub mod block_tridiag {
    pub use crate::solver::block_tridiag::{BlockTridiag, Singular};
}

/// The Thomas algorithm in logarithms (`solver::logthomas`).
pub mod logthomas {
    pub use crate::solver::logthomas::{residual, solve, LogSystem};
}

/// The capacity planner's linear program (`capacity::lp`).
pub mod lp {
    pub use crate::capacity::lp::{
        build, solve_clarabel, solve_highs, solve_microlp, BuildOptions, Lp, RawSolution,
    };
}

/// Rigorous-model kernels on fixed test cascades (`chemistry::mass_action`,
/// `chemistry::log_linear`), shared by the `mass_action` bench and the
/// `rigorous_loop` example.
pub mod rigorous {
    use crate::chemistry::log_linear::DistributionLaw;
    use crate::chemistry::{Equilibrium, LogLinearKernel, MassActionKernel};
    use ndarray::Array2;

    /// Moves `u` towards the steady state by pseudo-transient continuation,
    /// to a relative imbalance of 1e-6: a start from which Newton takes a
    /// few steps, so that one iteration there is a typical one.
    fn near_solution<E: Equilibrium>(
        ker: &E,
        links: &[bool],
        feed: &Array2<f64>,
        u: &mut Array2<f64>,
    ) {
        use crate::solver::newton::{solve_ptc_dae, NewtonOptions, Workspace};
        let (n, nv) = u.dim();
        let mut ws = Workspace::new(n, nv, ker.conserved());
        let opts = NewtonOptions {
            tolerance: 1e-6,
            max_iterations: 2_000,
            ..NewtonOptions::default()
        };
        solve_ptc_dae(ker, links, feed, u, &mut ws, &opts, 1.0);
    }

    /// A saponified mass-action extraction section of `n` stages and `k`
    /// metals (aqueous feed into the last stage, 36 % saponified organic, O/A 20/3)
    /// and a start inside it: the kernel, the aqueous links, the inflows
    /// and the unknowns.
    pub fn iteration_case(
        n: usize,
        k: usize,
    ) -> (MassActionKernel, Vec<bool>, Array2<f64>, Array2<f64>) {
        let lk: Vec<f64> = (0..k).map(|i| -1.5 + 0.2 * i as f64).collect();
        let ker = MassActionKernel::new(
            &lk,
            3.0,
            3.0,
            &vec![3.0; k],
            1.5,
            Some(-4.0),
            vec![3.0; n],
            vec![20.0; n],
        );
        let (nv, nq) = (ker.unknowns(), ker.conserved());
        let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
        let mut feed = Array2::zeros((n, nq));
        for q in 0..k {
            feed[[n - 1, q]] = 1.0 / k as f64;
        }
        feed[[n - 1, k]] = 0.03;
        feed[[0, k]] = 20.0 * 0.64 * 1.5;
        feed[[0, k + 1]] = 20.0 * 0.36 * 1.5;
        let mut u = Array2::zeros((n, nv));
        for j in 0..n {
            for q in 0..k {
                u[[j, q]] = (0.1f64 / k as f64).ln() - 0.01 * j as f64;
            }
            u[[j, k]] = (0.05f64).ln();
            u[[j, k + 1]] = (0.1f64).ln();
            u[[j, k + 2]] = (0.3f64).ln();
        }
        near_solution(&ker, &links, &feed, &mut u);
        (ker, links, feed, u)
    }

    /// A log-linear section of `n` stages and `k` fitted metals in a
    /// sulfate liquor (bisulfate on), with a start inside it, as
    /// [`iteration_case`].
    pub fn log_linear_case(
        n: usize,
        k: usize,
    ) -> (LogLinearKernel, Vec<bool>, Array2<f64>, Array2<f64>) {
        let law: Vec<DistributionLaw> = (0..k)
            .map(|i| DistributionLaw::Fit {
                m0: 1.5 + 0.1 * i as f64,
                m1: 0.01,
                b0: -2.0 + 0.15 * i as f64,
                b1: 0.8,
            })
            .collect();
        let ker = LogLinearKernel::new(
            &law,
            &vec![3.0; k],
            &vec![3.0; k],
            20.0,
            0.03,
            -1.99,
            vec![0.5; n],
            vec![3.0; n],
            vec![5.0; n],
        );
        let (nv, nq) = (ker.unknowns(), ker.conserved());
        let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
        let mut feed = Array2::zeros((n, nq));
        for q in 0..k {
            feed[[n - 1, q]] = 0.5 / k as f64;
        }
        feed[[n - 1, k]] = 0.1;
        feed[[0, k]] = 5.0 * 0.6;
        let mut u = Array2::zeros((n, nv));
        for j in 0..n {
            for q in 0..k {
                u[[j, q]] = (0.05f64 / k as f64).ln() - 0.01 * j as f64;
            }
            u[[j, k]] = (0.05f64).ln();
            u[[j, k + 1]] = (0.3f64).ln();
        }
        near_solution(&ker, &links, &feed, &mut u);
        (ker, links, feed, u)
    }
}
