//! Solver settings ([`SolverOptions`]) and their checked builder: the
//! `[solver]` table a model carries, defined here (below the solver) so
//! that the model does not import the solver that imports it; the solver
//! re-exports them as `sxforge::solver::SolverOptions`.
//!
//! ```
//! use sxforge::solver::SolverOptions;
//!
//! let opts = SolverOptions::builder().tolerance(1e-10).max_iterations(200).build().unwrap();
//! assert_eq!(opts.tolerance, 1e-10);
//! // NaN, zero, negative or >= 1 tolerances and zero limits are refused, all at once
//! let e = SolverOptions::builder().tolerance(f64::NAN).max_iterations(0).build().unwrap_err();
//! assert_eq!(e.len(), 2);
//! assert_eq!(e.first().key, "solver.tolerance");
//! ```

use crate::error::{InputError, InputErrors, Problems};

/// Most Newton iterations a solve may be allowed (a thousand times the
/// default; beyond this a stalled solve runs for hours instead of
/// reporting).
pub const MAX_ITERATIONS_LIMIT: usize = 1_000_000;

/// Most rows the start-up method may be allowed (ten times the default).
pub const MAX_ROWS_LIMIT: usize = 100_000_000;

/// Solver settings a model carries (`[solver]`): build them with
/// [`SolverOptions::builder`], which checks them. A [`crate::Cascade`]
/// only ever holds checked settings: [`crate::CascadeSpec::build`] and
/// [`crate::Cascade::set_solver_options`] check them again, so that values
/// written into the public fields cannot reach a solve unchecked.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct SolverOptions {
    /// Relative residual at which a solve stops, in (0, 1).
    pub tolerance: f64,
    /// Newton iterations allowed (over all continuation steps), from 1 to
    /// [`MAX_ITERATIONS_LIMIT`].
    pub max_iterations: usize,
    /// Rows allowed for the start-up (rows) method, from 1 to
    /// [`MAX_ROWS_LIMIT`].
    pub max_rows: usize,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            tolerance: 1e-12,
            max_iterations: 1000,
            max_rows: 10_000_000,
        }
    }
}

impl SolverOptions {
    /// A builder starting from the defaults (tolerance 1e-12, 1000
    /// iterations, 10^7 rows).
    pub fn builder() -> SolverOptionsBuilder {
        SolverOptionsBuilder {
            opts: SolverOptions::default(),
        }
    }

    /// A builder starting from these settings (to override some of them).
    pub fn to_builder(self) -> SolverOptionsBuilder {
        SolverOptionsBuilder { opts: self }
    }

    /// Every problem with these settings; keys as in model files
    /// (`solver.tolerance`, `solver.max_iterations`, `solver.max_rows`).
    pub fn check(&self) -> Result<(), InputErrors> {
        let mut p = Problems::default();
        let t = self.tolerance;
        if !(t.is_finite() && t > 0.0 && t < 1.0) {
            p.push(InputError::new(
                "solver.tolerance",
                Some(crate::input::fmt_num(t)),
                "expected a relative tolerance in (0, 1)",
            ));
        }
        for (key, v, most, what) in [
            (
                "solver.max_iterations",
                self.max_iterations,
                MAX_ITERATIONS_LIMIT,
                "iteration",
            ),
            ("solver.max_rows", self.max_rows, MAX_ROWS_LIMIT, "row"),
        ] {
            if v == 0 {
                p.push(InputError::new(
                    key,
                    Some("0".into()),
                    format!("expected at least one {what}"),
                ));
            } else if v > most {
                p.push(InputError::new(
                    key,
                    Some(v.to_string()),
                    format!("expected at most {most} {what}s"),
                ));
            }
        }
        p.check()
    }
}

/// Builder of [`SolverOptions`]; [`SolverOptionsBuilder::build`] checks
/// the settings and reports every problem.
#[derive(Debug, Clone, Copy)]
pub struct SolverOptionsBuilder {
    opts: SolverOptions,
}

impl SolverOptionsBuilder {
    /// Relative residual at which a solve stops, in (0, 1).
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.opts.tolerance = tolerance;
        self
    }

    /// Newton iterations allowed, from 1 to [`MAX_ITERATIONS_LIMIT`].
    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.opts.max_iterations = max_iterations;
        self
    }

    /// Rows allowed for the start-up method, from 1 to [`MAX_ROWS_LIMIT`].
    pub fn max_rows(mut self, max_rows: usize) -> Self {
        self.opts.max_rows = max_rows;
        self
    }

    /// The checked settings, or every problem with them.
    pub fn build(self) -> Result<SolverOptions, InputErrors> {
        self.opts.check()?;
        Ok(self.opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_rejects_bad_settings_with_keys() {
        let ok = SolverOptions::builder().build().unwrap();
        assert_eq!(ok, SolverOptions::default());
        for t in [f64::NAN, f64::INFINITY, -1e-9, 0.0, 1.0] {
            let e = SolverOptions::builder().tolerance(t).build().unwrap_err();
            assert_eq!(e.len(), 1);
            assert_eq!(e.first().key, "solver.tolerance");
        }
        let e = SolverOptions::builder()
            .max_iterations(MAX_ITERATIONS_LIMIT + 1)
            .max_rows(0)
            .build()
            .unwrap_err();
        let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["solver.max_iterations", "solver.max_rows"]);
        // the limits themselves are allowed; to_builder keeps what it is given
        let edge = SolverOptions::builder()
            .max_iterations(MAX_ITERATIONS_LIMIT)
            .max_rows(1)
            .build()
            .unwrap();
        let t = edge.to_builder().tolerance(1e-6).build().unwrap();
        assert_eq!(
            (t.tolerance, t.max_iterations, t.max_rows),
            (1e-6, MAX_ITERATIONS_LIMIT, 1)
        );
    }
}
