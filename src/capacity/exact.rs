//! Vertex optimum, verification and exact one-sided marginal values.
//!
//! The default solve path of the planner (issue 12 items 5 and 6, issue 9
//! fuzz items 1 and 6):
//!
//! 1. [`solve_vertex`]: the LP is scaled (rows and columns to unit largest
//!    coefficient, values by the geometric mean of the right-hand sides, the
//!    objective to unit largest cost), solved by microlp's simplex, which
//!    ends on a vertex (a basic solution: equal-cost routes are not spread
//!    into many small flows), unscaled, and [`verify`]d against the unscaled
//!    rows and bounds before anything is reported. A plan with no variables
//!    is answered without a solver.
//! 2. [`one_sided`]: the marginal value of a row is the one-sided derivative
//!    `v'(b; d) = lim_{t -> 0+} (v(b + t d) - v(b)) / t` of the optimal cost
//!    `v` along a right-hand-side direction `d` (that row, plus, for a
//!    demand, its effect on the import-share and fair-share rows). It is the
//!    value of the first unit of relaxation, which is the right answer where
//!    the dual is not unique (a limit set to zero, a cap exactly met). It is
//!    computed by parametric re-solves on that direction alone: `v` is convex
//!    and piecewise linear along `d`, so once the secant slopes over `[0, h]`
//!    and `[0, h/2]` agree, `v` is affine on `[0, h]` and the slope is exact;
//!    the step starts from the row's own size and halves until they agree,
//!    so no unrelated row can push it past a breakpoint. (The equivalent
//!    directional LP over the tangent cone is totally degenerate, and
//!    microlp's simplex cycles on it.)

use super::lp::{self, Lp, RawSolution, Sense, SolveFailure, VarDef};
use std::time::Instant;

/// Relative tolerance of [`verify`] on rows and bounds.
pub const FEAS_TOL: f64 = 1e-7;

/// The scale of one row at `x`: the largest of 1, `|rhs|` and the
/// magnitudes summed on its left-hand side.
fn row_mag(lp: &Lp, i: usize, x: &[f64]) -> f64 {
    let r = &lp.rows[i];
    r.terms
        .iter()
        .map(|&(j, a)| (a * x[j]).abs())
        .sum::<f64>()
        .max(r.rhs.abs())
        .max(1.0)
}

/// Checks `x` against every bound and row of `lp` (relative tolerance
/// [`FEAS_TOL`]), and that the objective is finite. The message names the
/// worst violation.
pub fn verify(lp: &Lp, x: &[f64]) -> Result<(), String> {
    verify_within(lp, x, 0.0)
}

/// Tolerance of [`verify_backend`], relative to the plan's scale
/// ([`plan_scale`]): 100 times Clarabel's own feasibility tolerance
/// (`tol_feas = 1e-10`, see `lp::solve_clarabel`), which it measures
/// against the problem's largest numbers, not entry by entry.
pub const BACKEND_TOL: f64 = 1e-8;

/// The scale on which an interior-point optimum's violations are measured:
/// the largest magnitude among the solution's values, but no more than the
/// largest finite right-hand side or bound (so that neither a limit far out
/// of reach, such as an existing capacity of 4e9 t/yr, nor a runaway value
/// of a failed solve can widen the tolerance), and at least 1.
pub fn plan_scale(lp: &Lp, x: &[f64]) -> f64 {
    let data = lp
        .rows
        .iter()
        .map(|r| r.rhs.abs())
        .chain(lp.vars.iter().flat_map(|v| [v.min.abs(), v.max.abs()]))
        .filter(|b| b.is_finite())
        .fold(0.0_f64, f64::max);
    let values = x
        .iter()
        .map(|v| v.abs())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    values.min(data).max(1.0)
}

/// [`verify`] for the optimum of a backend that stops at a tolerance on the
/// whole problem (Clarabel's interior point, HiGHS): each bound and row may
/// also be off by [`BACKEND_TOL`] times [`plan_scale`], so that a flow of
/// `-2e-7` t in a plan of 3e4 t/yr passes (and is then set onto its bound
/// by [`project`]) while a demand row missed by a visible amount still
/// fails.
pub fn verify_backend(lp: &Lp, x: &[f64]) -> Result<(), String> {
    verify_within(lp, x, BACKEND_TOL * plan_scale(lp, x))
}

/// Sets every value outside its bounds onto the bound it crosses (after
/// [`verify_backend`] these are violations within the backend's tolerance),
/// so that no negative flow is ever reported.
pub fn project(lp: &Lp, x: &mut [f64]) {
    for (xj, v) in x.iter_mut().zip(&lp.vars) {
        if *xj < v.min {
            *xj = v.min;
        } else if *xj > v.max {
            *xj = v.max;
        }
    }
}

/// [`verify`] with `slack` (absolute) added to every bound's and row's
/// relative tolerance.
fn verify_within(lp: &Lp, x: &[f64], slack: f64) -> Result<(), String> {
    if x.len() != lp.vars.len() {
        return Err(format!(
            "{} values for {} variables",
            x.len(),
            lp.vars.len()
        ));
    }
    for (j, (v, &xj)) in lp.vars.iter().zip(x).enumerate() {
        let tol = FEAS_TOL * xj.abs().max(1.0) + slack;
        if !xj.is_finite() || xj < v.min - tol || xj > v.max + tol {
            return Err(format!(
                "variable {j} = {xj} outside its bounds [{}, {}]",
                v.min, v.max
            ));
        }
        if v.integer && (xj - xj.round()).abs() > 1e-6 {
            return Err(format!("integer variable {j} = {xj}"));
        }
    }
    let act = lp.activities(x);
    for (i, r) in lp.rows.iter().enumerate() {
        let tol = FEAS_TOL * row_mag(lp, i, x) + slack;
        let gap = act[i] - r.rhs;
        let bad = match r.sense {
            Sense::Le => gap > tol,
            Sense::Ge => gap < -tol,
            Sense::Eq => gap.abs() > tol,
        };
        if bad || !act[i].is_finite() {
            return Err(format!(
                "row {i} ({:?}) has activity {} against right-hand side {}",
                r.kind, act[i], r.rhs
            ));
        }
    }
    if !lp.objective(x).is_finite() {
        return Err("the objective is not finite".to_string());
    }
    Ok(())
}

/// A plan with no variables: every row must hold at zero.
fn solve_empty(lp: &Lp) -> Result<RawSolution, SolveFailure> {
    let ok = lp.rows.iter().all(|r| match r.sense {
        Sense::Le => r.rhs >= 0.0,
        Sense::Ge => r.rhs <= 0.0,
        Sense::Eq => r.rhs == 0.0,
    });
    if !ok {
        return Err(SolveFailure::Infeasible);
    }
    Ok(RawSolution {
        x: Vec::new(),
        duals: None,
        build_s: 0.0,
        solve_s: 0.0,
    })
}

/// Scale factors of [`solve_vertex`]: `x_j = col[j] * x'_j`, row `i` is
/// multiplied by `row[i]`, costs by `obj`.
struct Scaling {
    row: Vec<f64>,
    col: Vec<f64>,
    obj: f64,
}

fn scaling(lp: &Lp) -> Scaling {
    let n = lp.vars.len();
    let row: Vec<f64> = lp
        .rows
        .iter()
        .map(|r| {
            let m = r.terms.iter().fold(0.0_f64, |m, t| m.max(t.1.abs()));
            if m > 0.0 && m.is_finite() {
                1.0 / m
            } else {
                1.0
            }
        })
        .collect();
    let mut colmax = vec![0.0_f64; n];
    for (i, r) in lp.rows.iter().enumerate() {
        for &(j, a) in &r.terms {
            colmax[j] = colmax[j].max((a * row[i]).abs());
        }
    }
    // Values: the geometric mean of the smallest and largest nonzero
    // right-hand side (after row scaling), so that both stay well inside
    // the simplex's absolute tolerances.
    let (lo, hi) = lp
        .rows
        .iter()
        .zip(&row)
        .map(|(r, s)| (r.rhs * s).abs())
        .filter(|&b| b > 0.0 && b.is_finite())
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), b| {
            (lo.min(b), hi.max(b))
        });
    let sigma = if hi > 0.0 { (lo * hi).sqrt() } else { 1.0 };
    let col: Vec<f64> = (0..n)
        .map(|j| {
            if lp.vars[j].integer {
                1.0
            } else if colmax[j] > 0.0 {
                sigma / colmax[j]
            } else {
                sigma
            }
        })
        .collect();
    let cmax = lp
        .vars
        .iter()
        .zip(&col)
        .fold(0.0_f64, |m, (v, s)| m.max((v.cost * s).abs()));
    let obj = if cmax > 0.0 && cmax.is_finite() {
        1.0 / cmax
    } else {
        1.0
    };
    Scaling { row, col, obj }
}

/// The scaled copy of `lp`.
fn scaled(lp: &Lp, s: &Scaling) -> Lp {
    let mut out = lp.clone();
    for (j, v) in out.vars.iter_mut().enumerate() {
        let c = s.col[j];
        *v = VarDef {
            min: v.min / c,
            max: v.max / c,
            integer: v.integer,
            cost: v.cost * c * s.obj,
        };
    }
    for (i, r) in out.rows.iter_mut().enumerate() {
        let f = s.row[i];
        for t in &mut r.terms {
            t.1 *= f * s.col[t.0];
        }
        r.rhs *= f;
    }
    out
}

/// Solves `lp` to a vertex optimum with microlp (integers exact), on a
/// scaled copy, and verifies the unscaled solution against every row and
/// bound. Values within rounding of a bound are set onto it. No dual values.
pub fn solve_vertex(lp: &Lp) -> Result<RawSolution, SolveFailure> {
    if lp.vars.is_empty() {
        return solve_empty(lp);
    }
    let t0 = Instant::now();
    let s = scaling(lp);
    let model = scaled(lp, &s);
    let scale_s = t0.elapsed().as_secs_f64();
    let raw = if model.integer_count() > 0 {
        guarded(|| lp::solve_microlp(&model))?
    } else {
        guarded(|| solve_continuous(&model))?
    };
    let mut x: Vec<f64> = raw.x.iter().zip(&s.col).map(|(x, c)| x * c).collect();
    for (xj, v) in x.iter_mut().zip(&lp.vars) {
        let tol = 1e-12 * xj.abs().max(1.0);
        if (*xj - v.min).abs() <= tol || *xj < v.min {
            *xj = v.min;
        } else if (*xj - v.max).abs() <= tol || *xj > v.max {
            *xj = v.max;
        }
        if v.integer {
            *xj = xj.round();
        }
    }
    verify(lp, &x).map_err(|why| {
        SolveFailure::Other(format!(
            "the solver's optimum fails its own check ({why}); the plan's numbers span a range the LP cannot solve reliably"
        ))
    })?;
    Ok(RawSolution {
        x,
        duals: None,
        build_s: raw.build_s + scale_s,
        solve_s: raw.solve_s,
    })
}

/// Solves a continuous LP with microlp, handing it over row by row exactly
/// as good_lp does (a `>=` row as `-terms <= -rhs`), so that the simplex
/// takes the same path, without good_lp's expression maps.
fn solve_continuous(lp: &Lp) -> Result<RawSolution, SolveFailure> {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let t0 = Instant::now();
    let mut p = Problem::new(OptimizationDirection::Minimize);
    let vars: Vec<microlp::Variable> = lp
        .vars
        .iter()
        .map(|v| p.add_var(v.cost, (v.min, v.max)))
        .collect();
    let mut terms: Vec<(usize, f64)> = Vec::new();
    for r in &lp.rows {
        terms.clear();
        terms.extend_from_slice(&r.terms);
        terms.sort_by_key(|t| t.0);
        terms.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 += b.1;
            }
            same
        });
        let (sign, op) = match r.sense {
            Sense::Le => (1.0, ComparisonOp::Le),
            Sense::Ge => (-1.0, ComparisonOp::Le),
            Sense::Eq => (1.0, ComparisonOp::Eq),
        };
        p.add_constraint(
            terms.iter().map(|&(j, a)| (vars[j], sign * a)),
            op,
            sign * r.rhs,
        );
    }
    let build_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let sol = match p.solve() {
        Ok(o) => o
            .into_solution()
            .map_err(|_| SolveFailure::Other("the LP solve was interrupted".to_string()))?,
        Err(microlp::Error::Infeasible) => return Err(SolveFailure::Infeasible),
        Err(microlp::Error::Unbounded) => return Err(SolveFailure::Other("Unbounded".to_string())),
        Err(e) => return Err(SolveFailure::Other(e.to_string())),
    };
    let solve_s = t1.elapsed().as_secs_f64();
    if std::env::var_os("SXFORGE_LP_TRACE").is_some() {
        eprintln!(
            "lp: {} vars, {} rows, {} iterations, {:.3} s build, {:.3} s solve",
            lp.vars.len(),
            lp.rows.len(),
            sol.stats().lp_iterations,
            build_s,
            solve_s
        );
    }
    Ok(RawSolution {
        x: vars.iter().map(|&v| sol.var_value(v)).collect(),
        duals: None,
        build_s,
        solve_s,
    })
}

/// Runs a backend, turning a panic inside it into a solver failure.
pub fn guarded<F>(f: F) -> Result<RawSolution, SolveFailure>
where
    F: FnOnce() -> Result<RawSolution, SolveFailure> + std::panic::UnwindSafe,
{
    match std::panic::catch_unwind(f) {
        Ok(r) => r,
        Err(_) => Err(SolveFailure::Other(
            "the LP solver panicked on this plan".to_string(),
        )),
    }
}

/// The one-sided derivative `v'(b; d)` of the optimal objective of `lp`
/// along the right-hand-side direction `dir` (`(row, coefficient)` pairs),
/// whose optimum `v(b)` is `v0` (see the module documentation).
/// `Some(f64::INFINITY)` when every step along `dir` makes the LP
/// infeasible; `None` when the re-solves fail.
pub fn one_sided(lp: &Lp, v0: f64, dir: &[(usize, f64)]) -> Option<f64> {
    // The step starts at 1e-3 of the rows' own size (never of unrelated
    // rows) and halves until the secant slopes over [0, h] and [0, h/2]
    // agree: v is convex along d, so equal secants mean v is affine on
    // [0, h] and the slope is the derivative, whatever the step.
    let size = dir
        .iter()
        .filter(|&&(_, c)| c != 0.0)
        .map(|&(i, c)| (lp.rows[i].rhs / c).abs())
        .filter(|v| v.is_finite())
        .fold(1.0_f64, f64::max);
    let mut h = 1e-3 * size;
    let value = |t: f64| -> Option<f64> {
        let mut m = lp.clone();
        for &(i, c) in dir {
            m.rows[i].rhs += t * c;
        }
        match guarded(|| solve_vertex(&m)) {
            Ok(r) => Some(m.objective(&r.x)),
            Err(SolveFailure::Infeasible) => Some(f64::INFINITY),
            Err(SolveFailure::Other(_)) => None,
        }
    };
    let noise = 1e-11 * v0.abs().max(1.0);
    let mut s_far = (value(h)? - v0) / h;
    for _ in 0..24 {
        let half = h / 2.0;
        let s_near = (value(half)? - v0) / half;
        if s_far.is_infinite() && s_near.is_infinite() && half < 1e-8 * size {
            return Some(f64::INFINITY);
        }
        let tol = 1e-7 * s_near.abs().max(1.0) + 4.0 * noise / half;
        if (s_far - s_near).abs() <= tol {
            return Some(s_near);
        }
        h = half;
        s_far = s_near;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::lp::{Row, RowKind};

    /// A row for the tests: terms, sense, right-hand side.
    type TestRow<'a> = (&'a [(usize, f64)], Sense, f64);

    /// Parametric re-solves are exact up to rounding.
    fn near(got: Option<f64>, want: f64) {
        let g = got.unwrap();
        assert!(
            (g - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{g} vs {want}"
        );
    }

    fn lp(vars: &[(f64, f64)], rows: &[TestRow]) -> Lp {
        Lp {
            vars: vars
                .iter()
                .map(|&(cost, max)| VarDef {
                    min: 0.0,
                    max,
                    integer: false,
                    cost,
                })
                .collect(),
            rows: rows
                .iter()
                .map(|(t, s, b)| Row {
                    kind: RowKind::Budget,
                    terms: t.to_vec(),
                    sense: *s,
                    rhs: *b,
                    scale: 1.0,
                })
                .collect(),
            layout: Default::default(),
        }
    }

    #[test]
    fn one_sided_values_at_a_zero_limit_do_not_depend_on_other_rows() {
        // Demand 10 of a good made by x0 at 1 (capacity 4), imported as x1
        // at 3 (capacity 0: a ban), or unmet as x2 at 50000. The optimum
        // makes 4 and leaves 6 unmet; the first tonne of import saves
        // 50000 - 3 whatever the size of an unrelated row (a budget 1e11).
        let inf = f64::INFINITY;
        let m = lp(
            &[(1.0, inf), (3.0, inf), (50_000.0, inf), (0.0, inf)],
            &[
                (&[(0, 1.0), (1, 1.0), (2, 1.0)], Sense::Eq, 10.0),
                (&[(0, 1.0)], Sense::Le, 4.0),
                (&[(1, 1.0)], Sense::Le, 0.0),
                (&[(3, 1.0)], Sense::Le, 1e11),
            ],
        );
        let sol = solve_vertex(&m).unwrap();
        let v0 = m.objective(&sol.x);
        assert_eq!(v0, 4.0 + 6.0 * 50_000.0);
        // d cost / d rhs of the ban: -(50000 - 3); of capacity: -(50000 - 1).
        near(one_sided(&m, v0, &[(2, 1.0)]), -49_997.0);
        near(one_sided(&m, v0, &[(1, 1.0)]), -49_999.0);
        // Demand: the next tonne is unmet.
        near(one_sided(&m, v0, &[(0, 1.0)]), 50_000.0);
        // Tightening the ban further is impossible.
        assert_eq!(one_sided(&m, v0, &[(2, -1.0)]), Some(f64::INFINITY));
        // The unrelated row is worth nothing.
        near(one_sided(&m, v0, &[(3, 1.0)]), 0.0);
    }

    #[test]
    fn degenerate_cap_has_one_sided_values() {
        // Demand 5 met by x0 at 2 (the alternative x1 costs 7) within a cap
        // of exactly 5: the demand dual y is anywhere in [2, 7] and the
        // cap's dual 2 - y anywhere in [-5, 0]. Relaxing the cap saves
        // nothing; tightening it costs 7 - 2 per tonne.
        let inf = f64::INFINITY;
        let m = lp(
            &[(2.0, inf), (7.0, inf)],
            &[
                (&[(0, 1.0), (1, 1.0)], Sense::Eq, 5.0),
                (&[(0, 1.0)], Sense::Le, 5.0),
            ],
        );
        let sol = solve_vertex(&m).unwrap();
        assert_eq!(sol.x, vec![5.0, 0.0]);
        let v0 = m.objective(&sol.x);
        near(one_sided(&m, v0, &[(1, 1.0)]), 0.0);
        near(one_sided(&m, v0, &[(1, -1.0)]), 5.0);
        near(one_sided(&m, v0, &[(0, 1.0)]), 7.0);
        near(one_sided(&m, v0, &[(0, -1.0)]), -2.0);
    }

    #[test]
    fn empty_and_extreme_lps_are_answered() {
        let empty = lp(&[], &[]);
        assert!(solve_vertex(&empty).unwrap().x.is_empty());
        let bad = lp(&[], &[(&[], Sense::Ge, 1.0)]);
        assert_eq!(solve_vertex(&bad).unwrap_err(), SolveFailure::Infeasible);
        // Costs over 13 orders of magnitude and a 4e9 capacity.
        let inf = f64::INFINITY;
        let m = lp(
            &[(1e13, inf), (20_000.0, inf), (1.0, inf)],
            &[
                (&[(0, 1.0), (1, 1.0)], Sense::Eq, 150.0),
                (&[(2, 1.0), (0, -1.0)], Sense::Le, 4_294_967_295.0),
            ],
        );
        let sol = solve_vertex(&m).unwrap();
        assert_eq!(sol.x[1], 150.0);
        assert_eq!(m.objective(&sol.x), 3_000_000.0);
    }

    #[test]
    fn direct_microlp_takes_good_lps_path() {
        // min x0 + 3 x1 - x2 with x0 + x1 >= 4, x0 <= 3, x1 + x2 <= 5 and
        // 0 <= x2 <= 2: x0 (cheaper) takes 3, x1 the other 1, x2 sits at
        // its bound: (3, 1, 2), cost 4, by either route into microlp.
        let inf = f64::INFINITY;
        let m = lp(
            &[(1.0, inf), (3.0, inf), (-1.0, 2.0)],
            &[
                (&[(0, 1.0), (1, 1.0)], Sense::Ge, 4.0),
                (&[(0, 1.0)], Sense::Le, 3.0),
                (&[(1, 1.0), (2, 1.0)], Sense::Le, 5.0),
            ],
        );
        let direct = solve_continuous(&m).unwrap();
        let via = lp::solve_microlp(&m).unwrap();
        assert_eq!(direct.x, via.x);
        assert_eq!(direct.x, vec![3.0, 1.0, 2.0]);
        assert_eq!(m.objective(&direct.x), 4.0);
        // Infeasible rows are reported as such.
        let bad = lp(
            &[(1.0, inf)],
            &[(&[(0, 1.0)], Sense::Ge, 2.0), (&[(0, 1.0)], Sense::Le, 1.0)],
        );
        assert_eq!(
            solve_continuous(&bad).unwrap_err(),
            SolveFailure::Infeasible
        );
    }

    #[test]
    fn verify_catches_violations() {
        let inf = f64::INFINITY;
        let m = lp(&[(1.0, inf)], &[(&[(0, 1.0)], Sense::Ge, 2.0)]);
        assert!(verify(&m, &[2.0]).is_ok());
        assert!(verify(&m, &[1.9]).is_err());
        assert!(verify(&m, &[-1.0]).is_err());
        assert!(verify(&m, &[f64::NAN]).is_err());
    }
}
