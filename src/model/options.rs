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
//! // an explicit limit is kept exactly; the default grows with the cascade
//! assert_eq!(opts.budget_for(300, 4), 200);
//! assert_eq!(SolverOptions::default().budget_for(50, 3), 8500);
//! ```

use crate::error::{InputError, InputErrors, Problems};

/// Most Newton iterations a solve may be allowed (a thousand times the
/// default; beyond this a stalled solve runs for hours instead of
/// reporting).
pub const MAX_ITERATIONS_LIMIT: usize = 1_000_000;

/// Newton iterations every solve gets by default, however small the
/// cascade (the floor of [`default_iterations`]).
pub const DEFAULT_MAX_ITERATIONS: usize = 1000;

/// Iterations the default budget adds per stage: fronts of the start-up
/// and of the continuations cross the cascade stage by stage, and slow
/// random cascades of 14 to 260 stages were measured to need up to 13 per
/// stage over the first 1,000 (issue 9); mass-action seed 2571 of the
/// robustness generator (241 stages, two loading fronts followed across
/// its extraction) needs 10,579 iterations, 40 a stage past the 1,000;
/// seed 6851 (137 stages, fronts crawling across its 32 extraction
/// stages) 10,864, 72 a stage (20 until round 24, 50 until round 25).
/// At 100 (until round 53) CLI check log-linear 9674 (capped 0.3; 7
/// metals over 172 + 1 stages, its neodymium built up to nine times its
/// feed over 160 extraction stages by a start-up of 99,400 residence
/// times) stopped at its budget of 18,300: its first solve converges in
/// 20,716, which needs a budget of 23,676 with the walks' eighth kept
/// back ([`crate::solver`]'s first share). At 150 (26,950) it converges
/// (in 9,052 since its crawling front is moved on, round 53's
/// `move_front`; a crawl the moves miss still needs the budget); a solve
/// that runs to a limit its stages set costs up to half as much more, and
/// one that breaks down (the dose-blind fits' overloads) no more.
pub const ITERATIONS_PER_STAGE: usize = 150;

/// Work, in units of `stages x (components + 2)^3` (the cost of one
/// block-tridiagonal factorisation) summed over iterations, past which the
/// default budget stops growing: a solve that does not converge then costs
/// no more than about 29,000 iterations of a 400-stage cascade of six
/// components (tens of seconds), and never fewer iterations than
/// [`DEFAULT_MAX_ITERATIONS`]. At 2e8 (until round 17) mass-action seeds 914
/// and 982 and log-linear 4712 of the robustness generators stopped at
/// their limits with start-up fronts still crossing (they converge in
/// 1.48, 1.15 and 1.01 times that budget); at 4e8 (until round 24)
/// mass-action 4197 and 2571 did (they converge in 2.08 and 3.26 times
/// it, 6,129 and 10,579 iterations), at 1.5e9 (until round 25)
/// mass-action 4852 (286 stages of 11 components, 2,387 iterations; it
/// converges in 2,472): a steady state reached in a few seconds serves
/// better than a report that there is none. At 2e9 (until round 30) seven
/// mass-action cascades of 12-15 metals over 276-532 stages drawn by the
/// independent CLI check (`scripts/cli_check.py --model mass-action`,
/// seeds 149, 156, 314, 1417, 1890, 2508, 2644) stopped at their limits;
/// they converge in 1.39-3.25 times it (1,904-4,786 iterations, 3.6-5.8 s
/// on a loaded 2-core box). Raised to 8e9, the robustness generators'
/// seeds (mass-action 0-10499, log-linear 0-9299) solve bit for bit as
/// before; a solve that runs to its limit costs up to four times as long.
/// At 8e9 (until round 50) CLI check mass-action 14280 (15 metals over
/// 248 + 247 + 1 stages) stopped at its budget of 3,282 iterations; it
/// converges in 3,396 (18 s on a 2-core box). Raised to 1e10 (budget
/// 4,103), a solve that runs to its limit costs up to a quarter more.
/// At 1e10 (until round 52) CLI check mass-action 15342 (11 metals over
/// 239 + 271 stages, a neutral feed, so that its first solve stops at
/// seven eighths of the budget to leave the walks theirs) stopped at its
/// budget of 8,924; its first solve converges in 8,336, which needs a
/// budget of 9,527. Raised to 1.2e10 (budget 10,709), a solve that runs
/// to its limit costs up to a fifth more.
pub const DEFAULT_WORK_LIMIT: f64 = 1.2e10;

/// The default iteration budget of a cascade of `stages` stages and
/// `components` components: [`DEFAULT_MAX_ITERATIONS`] plus
/// [`ITERATIONS_PER_STAGE`] per stage, capped where the work passes
/// [`DEFAULT_WORK_LIMIT`], and never below [`DEFAULT_MAX_ITERATIONS`].
///
/// ```
/// use sxforge::solver::default_iterations;
/// assert_eq!(default_iterations(50, 3), 1000 + 150 * 50); // 8500
/// // 900 stages of 15 components: 1.2e10 / (900 * 17^3) = 2713 < 1000 + 135000
/// assert_eq!(default_iterations(900, 15), 2713);
/// // 500 stages of 6 components: 1.2e10 / (500 * 8^3) = 46875 < 1000 + 75000
/// assert_eq!(default_iterations(500, 6), 46875);
/// ```
pub fn default_iterations(stages: usize, components: usize) -> usize {
    let (by_stages, by_work) = budget_bounds(stages, components);
    by_stages
        .min(by_work)
        .clamp(DEFAULT_MAX_ITERATIONS, MAX_ITERATIONS_LIMIT)
}

/// Whether [`DEFAULT_WORK_LIMIT`], not the stage count, sets the default
/// budget of a cascade of `stages` stages and `components` components
/// ([`default_iterations`]).
pub(crate) fn work_limited(stages: usize, components: usize) -> bool {
    let (by_stages, by_work) = budget_bounds(stages, components);
    by_work < by_stages
}

/// The two bounds [`default_iterations`] takes the smaller of: 1000 plus
/// [`ITERATIONS_PER_STAGE`] per stage, and the iterations that
/// [`DEFAULT_WORK_LIMIT`] allows.
fn budget_bounds(stages: usize, components: usize) -> (usize, usize) {
    let nv = (components + 2) as f64;
    let per_iteration = stages.max(1) as f64 * nv * nv * nv;
    let by_stages =
        DEFAULT_MAX_ITERATIONS.saturating_add(ITERATIONS_PER_STAGE.saturating_mul(stages));
    let by_work = (DEFAULT_WORK_LIMIT / per_iteration) as usize;
    (by_stages, by_work)
}

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
    /// [`MAX_ITERATIONS_LIMIT`]. Left at its default
    /// ([`DEFAULT_MAX_ITERATIONS`], not [`SolverOptions::explicit_iterations`]),
    /// it is a floor that a cascade raises with its size
    /// ([`default_iterations`], applied by [`SolverOptions::budget_for`]);
    /// any other value, or one set through the builder or a model file, is
    /// an exact limit.
    pub max_iterations: usize,
    /// Rows allowed for the start-up (rows) method, from 1 to
    /// [`MAX_ROWS_LIMIT`].
    pub max_rows: usize,
    /// Whether `max_iterations` was given explicitly (by
    /// [`SolverOptionsBuilder::max_iterations`] or `[solver]
    /// max_iterations`), so that even the default value is kept exactly.
    pub explicit_iterations: bool,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            tolerance: 1e-12,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            max_rows: 10_000_000,
            explicit_iterations: false,
        }
    }
}

impl SolverOptions {
    /// A builder starting from the defaults (tolerance 1e-12, the
    /// iteration budget of [`default_iterations`], 10^7 rows).
    pub fn builder() -> SolverOptionsBuilder {
        SolverOptionsBuilder {
            opts: SolverOptions::default(),
        }
    }

    /// The iteration limit of a solve of a cascade of `stages` stages and
    /// `components` components: `max_iterations` when it is explicit or
    /// not the default, else [`default_iterations`].
    pub fn budget_for(&self, stages: usize, components: usize) -> usize {
        if self.explicit_iterations || self.max_iterations != DEFAULT_MAX_ITERATIONS {
            self.max_iterations
        } else {
            default_iterations(stages, components)
        }
    }

    /// These settings with the iteration limit of a cascade of `stages`
    /// stages and `components` components ([`SolverOptions::budget_for`])
    /// in `max_iterations`.
    pub fn for_cascade(self, stages: usize, components: usize) -> SolverOptions {
        SolverOptions {
            max_iterations: self.budget_for(stages, components),
            ..self
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

    /// Newton iterations allowed, from 1 to [`MAX_ITERATIONS_LIMIT`]: an
    /// exact limit, whatever the cascade's size.
    pub fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.opts.max_iterations = max_iterations;
        self.opts.explicit_iterations = true;
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

    #[test]
    fn default_budget_grows_with_stages_until_the_work_cap() {
        // by stages: 1000 + 150 N while N (K + 2)^3 (1000 + 150 N) <= 1.2e10
        assert_eq!(default_iterations(1, 1), 1150);
        assert_eq!(default_iterations(0, 2), 1000);
        assert_eq!(default_iterations(147, 3), 23050);
        // work cap: 1.2e10 / (900 * 8^3) = 26041.7 < 136000
        assert_eq!(default_iterations(900, 6), 26041);
        // 258 stages of 4 components: by stages, 1000 + 150 * 258 = 39700
        // (the work cap 1.2e10 / (258 * 6^3) = 215331 above it)
        assert_eq!(default_iterations(258, 4), 39700);
        // 389 stages of 12 components (the independent check's seed 149,
        // converging in 4,317): 1.2e10 / (389 * 14^3) = 11242
        assert_eq!(default_iterations(389, 12), 11242);
        // floor: 2500 stages of 15 components, 1.2e10 / (2500 * 17^3) = 977
        assert_eq!(default_iterations(2500, 15), DEFAULT_MAX_ITERATIONS);
        assert_eq!(
            default_iterations(usize::MAX / 2, 1),
            DEFAULT_MAX_ITERATIONS
        );
        // the default is scaled, an explicit limit (even 1000) is not, and
        // neither is any other value written into the field
        let d = SolverOptions::default();
        assert_eq!(d.budget_for(147, 3), 23050);
        let e = SolverOptions::builder()
            .max_iterations(1000)
            .build()
            .unwrap();
        assert_eq!(e.budget_for(147, 3), 1000);
        let w = SolverOptions {
            max_iterations: 7,
            ..SolverOptions::default()
        };
        assert_eq!(w.for_cascade(147, 3).max_iterations, 7);
        // resolving twice changes nothing
        let r = d.for_cascade(147, 3);
        assert_eq!(r.for_cascade(147, 3), r);
    }
}
