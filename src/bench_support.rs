//! **Not API.** Re-exports of crate internals that the benchmarks (and a
//! few kernel tests) time or drive directly: the general Newton solver,
//! the block-tridiagonal and logarithmic Thomas factorisations, and the
//! capacity planner's linear-program builder and backends. Hidden from
//! the documentation; anything here may change or go without notice.

/// The damped Newton solver of the stage equations (`solver::newton`).
pub mod newton {
    pub use crate::solver::newton::{solve, NewtonOptions, NewtonReport, Workspace};
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
