//! Solving a plan: backend choice, dual values, the [`PlanSolution`] with its
//! economic reading (served fractions, shadow prices, binding constraints,
//! shortages), and the diagnosis of infeasible plans. The findings are
//! data; [`super::report`] puts them in words.

use super::exact;
use super::lp::{self, BuildOptions, Lp, LpLayout, RawSolution, RowKind, Sense, SolveFailure};
use super::plan::{Backend, Plan};
use rayon::prelude::*;
use std::time::Instant;

/// Where the dual values of a solution come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DualSource {
    /// The backend that solved the plan.
    Native,
    /// A Clarabel re-solve of the LP with the integer module counts fixed at
    /// the integer optimum (prices conditional on that build decision).
    FixedIntegers,
    /// No dual values (the re-solve failed).
    Unavailable,
    /// Exact one-sided values from parametric re-solves at a vertex
    /// optimum (the default path; see `capacity::exact`).
    OneSided,
}

/// Annual cost, by component. `total()` equals the objective. Serialized
/// as the `costs` object of the plan's JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Costs {
    /// Ore / concentrate.
    pub sources: f64,
    /// Transport of concentrate, products and imports.
    pub transport: f64,
    /// Refinery operating cost.
    pub opex: f64,
    /// New capacity, annualised.
    pub capex_annualised: f64,
    /// Imports at their price (transport excluded).
    pub imports: f64,
    /// Disposal or storage of surplus oxide.
    pub disposal: f64,
    /// Revenue from surplus sales (a negative cost).
    pub sales: f64,
    /// Penalties for unmet demand.
    pub unmet_penalty: f64,
}

impl Costs {
    /// Sum of the components.
    pub fn total(&self) -> f64 {
        self.sources
            + self.transport
            + self.opex
            + self.capex_annualised
            + self.imports
            + self.disposal
            - self.sales
            + self.unmet_penalty
    }
}

/// One row after the solve.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RowResult {
    /// Meaning.
    pub kind: RowKind,
    /// Direction.
    pub sense: Sense,
    /// Right-hand side.
    pub rhs: f64,
    /// Left-hand side at the solution.
    pub activity: f64,
    /// Shadow price `d objective / d rhs`.
    pub dual: Option<f64>,
}

/// A binding constraint (in words: [`super::report::binding_text`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Binding {
    /// The row.
    pub kind: RowKind,
    /// Its value to the plan: how much the annual cost falls per unit the
    /// limit is relaxed (currency per unit of the row).
    pub value: f64,
    /// The row's right-hand side (the limit).
    pub rhs: f64,
}

/// Unmet demand of one element in a solved plan.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Shortage {
    /// Element index.
    pub element: usize,
    /// Unmet, t/yr.
    pub short: f64,
    /// Demand, t/yr.
    pub total: f64,
}

/// A per-element supply bound of an infeasible plan that falls short of
/// demand.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Shortfall {
    /// Element index.
    pub element: usize,
    /// Demand, t/yr.
    pub demand: f64,
    /// Most the sources carry after the best recovery, t/yr.
    pub from_sources: f64,
    /// Most the imports can add, t/yr.
    pub imports: f64,
}

/// A solved plan.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlanSolution {
    /// Backend that produced the primal solution.
    pub backend: Backend,
    /// Integer module counts were relaxed to continuous values.
    pub relaxed_integers: bool,
    /// Where the duals come from.
    pub dual_source: DualSource,
    /// Annual cost.
    pub objective: f64,
    /// Cost breakdown.
    pub costs: Costs,
    /// Total capex of new capacity (not annualised).
    pub capex_total: f64,
    /// `feed[s][r]`, t REO per year.
    pub feed: Vec<Vec<f64>>,
    /// New capacity per refinery, t/yr.
    pub new: Vec<f64>,
    /// Modules built per refinery (refineries with a module size).
    pub modules: Vec<Option<f64>>,
    /// `output[r][e]`, t oxide per year.
    pub output: Vec<Vec<f64>>,
    /// `ship[r][k]`: refinery r to demand row k.
    pub ship: Vec<Vec<f64>>,
    /// `imports[i][k]`: import i to demand row k.
    pub imports: Vec<Vec<f64>>,
    /// `sold[r][e]`.
    pub sold: Vec<Vec<f64>>,
    /// `disposed[r][e]`.
    pub disposed: Vec<Vec<f64>>,
    /// `unmet[k]`.
    pub unmet: Vec<f64>,
    /// Unmet fraction shared by allied regions, per element (fair share).
    pub fair: Vec<Option<f64>>,
    /// For each demand row, how much its tonne widens the import-share
    /// allowance (the element's share for allied rows with a cap, else 0).
    pub demand_share: Vec<f64>,
    /// Element of each demand row.
    pub demand_element: Vec<usize>,
    /// Every row with activity and dual.
    pub rows: Vec<RowResult>,
    /// Row indices by meaning.
    pub layout: LpLayout,
    /// Seconds to build the model (ours and the backend's).
    pub build_s: f64,
    /// Seconds in the backend's solve (plus the dual re-solve, if any).
    pub solve_s: f64,
    /// Number of variables.
    pub n_vars: usize,
    /// Number of rows.
    pub n_rows: usize,
    /// Number of integer variables.
    pub n_integer: usize,
    /// One-sided `d cost / d demand` per demand row, computed directly (the
    /// default path); `None`: from the duals (see [`PlanSolution::demand_price`]).
    pub demand_prices: Option<Vec<Option<f64>>>,
}

/// Least relaxation of row `j` alone (in stored row units) that makes `model`
/// feasible; `None` when relaxing it alone cannot.
fn single_relaxation(model: &Lp, j: usize) -> Option<f64> {
    let mut m = model.clone();
    for v in &mut m.vars {
        v.cost = 0.0;
    }
    let id = m.vars.len();
    m.vars.push(lp::VarDef {
        min: 0.0,
        max: f64::INFINITY,
        integer: false,
        cost: 1.0,
    });
    // A limit `a x <= b + s`; a demand `a x = D - s`.
    let sign = if matches!(m.rows[j].kind, RowKind::Demand(_)) {
        1.0
    } else {
        -1.0
    };
    m.rows[j].terms.push((id, sign));
    exact::solve_vertex(&m).ok().map(|r| r.x[id])
}

/// A constraint that conflicts in an infeasible plan (in words:
/// [`super::report::conflict_text`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Conflict {
    /// The row.
    pub kind: RowKind,
    /// By how much it would have to give (t/yr, currency for the budget,
    /// tonnes of outside supply for the import share).
    pub excess: f64,
    /// The row's limit as written (t/yr, currency for the budget).
    pub limit: f64,
}

/// Why a plan is infeasible.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Diagnosis {
    /// Per-element supply bounds that fall short of demand.
    pub shortfalls: Vec<Shortfall>,
    /// Every single relaxation (one limit raised, or one demand lowered)
    /// that alone makes the plan feasible, by the least amount.
    pub conflicts: Vec<Conflict>,
    /// The continuous relaxation is feasible: only whole modules fail.
    pub integrality_only: bool,
}

/// The result of solving a plan.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// Solved to optimality.
    Solved(Box<PlanSolution>),
    /// No plan meets every constraint.
    Infeasible(Box<Diagnosis>),
    /// The backend failed (numerical trouble, missing feature, ...).
    Failed {
        /// Backend used.
        backend: Backend,
        /// What it said.
        message: String,
    },
}

impl Outcome {
    /// Exit status for the CLI: 0 solved, 2 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Solved(_) => 0,
            _ => 2,
        }
    }

    /// The solution, if solved.
    pub fn solution(&self) -> Option<&PlanSolution> {
        match self {
            Outcome::Solved(s) => Some(s),
            _ => None,
        }
    }
}

/// Solves a plan with the requested backend (`Auto` and `Microlp`: the
/// exact vertex path of `capacity::exact`; `Clarabel` and `Highs`:
/// the backend's own duals).
pub fn solve(plan: &Plan, requested: Backend) -> Outcome {
    let backend = lp::resolve_backend(plan, requested);
    // A plan with nothing to decide never reaches a backend (Clarabel
    // panics on an empty problem): the exact path answers it directly.
    if backend == Backend::Microlp || lp::build(plan, &BuildOptions::default()).vars.is_empty() {
        return solve_exact(plan);
    }
    let integer = plan.has_modules();
    let relax = integer && backend == Backend::Clarabel;
    let t0 = Instant::now();
    let model = lp::build(
        plan,
        &BuildOptions {
            relax_integers: relax,
            ..Default::default()
        },
    );
    let own_build = t0.elapsed().as_secs_f64();
    let first = exact::guarded(|| match backend {
        Backend::Highs => lp::solve_highs(&model),
        _ => lp::solve_clarabel(&model),
    });
    let mut raw = match first {
        Ok(r) => r,
        Err(SolveFailure::Infeasible) => return infeasible(plan, backend),
        Err(SolveFailure::Other(message)) => return Outcome::Failed { backend, message },
    };
    // An interior-point optimum meets rows and bounds to a tolerance on the
    // whole problem's scale: checked on that scale, then set onto the
    // bounds it grazes (a flow of -2e-7 t is a flow of 0).
    if let Err(why) = exact::verify_backend(&model, &raw.x) {
        return Outcome::Failed {
            backend,
            message: format!(
                "the solver's optimum fails its own check ({why}); try the default backend"
            ),
        };
    }
    exact::project(&model, &mut raw.x);
    raw.build_s += own_build;
    let mut dual_source = DualSource::Native;
    // Limits set to zero (an import ban, a zero share cap, a plant with no
    // capacity) and zero demand rows are degenerate: their variables sit on
    // both the row and their own bound, so every dual beyond the one-sided
    // derivative is optimal too, and an interior-point solver returns an
    // arbitrary one. The value of each such row is its exact one-sided
    // derivative (the directional LP at a vertex optimum).
    let zero_rows: Vec<usize> = model
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.rhs == 0.0 && (r.kind.is_limit() || matches!(r.kind, RowKind::Demand(_)))
        })
        .map(|(j, _)| j)
        .collect();
    if raw.duals.is_none() || !zero_rows.is_empty() {
        let t = Instant::now();
        let dual_lp = if model.integer_count() > 0 {
            // Prices of the LP with every integer decision fixed.
            let fixed: Vec<Option<f64>> = model
                .layout
                .modules
                .iter()
                .map(|m| m.map(|j| raw.x[j].round()))
                .collect();
            lp::build(
                plan,
                &BuildOptions {
                    fixed_modules: Some(fixed),
                    ..Default::default()
                },
            )
        } else {
            model.clone()
        };
        if raw.duals.is_none() {
            match lp::solve_clarabel(&dual_lp) {
                Ok(r) => {
                    raw.duals = r.duals;
                    dual_source = DualSource::FixedIntegers;
                }
                Err(_) => dual_source = DualSource::Unavailable,
            }
        }
        if let (Some(duals), Ok(vertex)) = (raw.duals.as_mut(), exact::solve_vertex(&dual_lp)) {
            let v0 = dual_lp.objective(&vertex.x);
            let nudged: Vec<Option<f64>> = zero_rows
                .par_iter()
                .map(|&j| exact::one_sided(&dual_lp, v0, &[(j, 1.0)]))
                .collect();
            for (&j, d) in zero_rows.iter().zip(nudged) {
                if let Some(d) = d.filter(|d| d.is_finite()) {
                    duals[j] = d;
                }
            }
        }
        raw.solve_s += t.elapsed().as_secs_f64();
    }
    lp::polish(plan, &model, &mut raw.x);
    Outcome::Solved(Box::new(extract(
        plan,
        &model,
        raw,
        backend,
        relax,
        dual_source,
    )))
}

/// The default path: a verified vertex optimum from microlp (exact whole
/// modules), then every limit's, market's and demand row's one-sided
/// marginal value from its directional LP (at the LP with the module counts
/// fixed, for integer plans).
fn solve_exact(plan: &Plan) -> Outcome {
    let backend = Backend::Microlp;
    let t0 = Instant::now();
    let model = lp::build(plan, &BuildOptions::default());
    let own_build = t0.elapsed().as_secs_f64();
    let mut raw = match exact::solve_vertex(&model) {
        Ok(r) => r,
        Err(SolveFailure::Infeasible) => return infeasible(plan, backend),
        Err(SolveFailure::Other(message)) => return Outcome::Failed { backend, message },
    };
    raw.build_s += own_build;
    let t = Instant::now();
    let mut dual_source = DualSource::OneSided;
    // With whole modules, prices are those of the LP with the counts fixed
    // at the integer optimum (the vertex of that LP may differ in ties).
    let (dual_lp, xv) = if model.integer_count() > 0 {
        dual_source = DualSource::FixedIntegers;
        let fixed: Vec<Option<f64>> = model
            .layout
            .modules
            .iter()
            .map(|m| m.map(|j| raw.x[j].round()))
            .collect();
        let fixed_lp = lp::build(
            plan,
            &BuildOptions {
                fixed_modules: Some(fixed),
                ..Default::default()
            },
        );
        match exact::solve_vertex(&fixed_lp) {
            Ok(v) => (fixed_lp, v.x),
            Err(_) => {
                dual_source = DualSource::Unavailable;
                (model.clone(), raw.x.clone())
            }
        }
    } else {
        (model.clone(), raw.x.clone())
    };
    let (duals, demand_prices) = if dual_source == DualSource::Unavailable {
        (None, None)
    } else {
        let (d, p) = marginal_values(plan, &dual_lp, &xv);
        (Some(d), Some(p))
    };
    raw.duals = duals;
    raw.solve_s += t.elapsed().as_secs_f64();
    lp::polish(plan, &model, &mut raw.x);
    let mut sol = extract(plan, &model, raw, backend, false, dual_source);
    sol.demand_prices = demand_prices;
    Outcome::Solved(Box::new(sol))
}

/// One-sided marginal values at the vertex `x` of `model`: for every limit
/// and market row, `d cost / d rhs` as the limit is relaxed (NaN for rows
/// that are not reported); for every demand row, `d cost / d demand` of one
/// more tonne (with its effect on the import-share allowance and the fair
/// share; `None` when no more can be supplied).
fn marginal_values(plan: &Plan, model: &Lp, x: &[f64]) -> (Vec<f64>, Vec<Option<f64>>) {
    let act = model.activities(x);
    let v0 = model.objective(x);
    let l = &model.layout;
    let rows: Vec<usize> = (0..model.rows.len())
        .filter(|&j| {
            let k = model.rows[j].kind;
            k.is_limit() || matches!(k, RowKind::Market(_))
        })
        .collect();
    let values: Vec<(usize, f64)> = rows
        .par_iter()
        .map(|&j| {
            let r = &model.rows[j];
            let slack = (r.rhs - act[j]).abs();
            if slack > 1e-9 * r.rhs.abs().max(act[j].abs()).max(1.0) {
                // An inactive limit: worth nothing either way.
                return (j, 0.0);
            }
            let v = exact::one_sided(model, v0, &[(j, 1.0)]).unwrap_or(f64::NAN);
            (j, v)
        })
        .collect();
    let mut duals = vec![f64::NAN; model.rows.len()];
    for (j, v) in values {
        duals[j] = v;
    }
    let prices: Vec<(f64, Option<f64>)> = plan
        .demand
        .par_iter()
        .enumerate()
        .map(|(k, d)| {
            let row = l.demand_row[k];
            let mut dir = vec![(row, 1.0)];
            if plan.regions[d.region].allied {
                if let (Some(j), Some(share)) = (
                    l.share_row[d.element],
                    plan.policy.max_import_share[d.element],
                ) {
                    if share > 0.0 {
                        dir.push((j, share));
                    }
                }
            }
            if let (Some(j), Some(phi)) = (l.fair_row[k], l.fair[d.element]) {
                if x[phi] > 0.0 {
                    dir.push((j, x[phi]));
                }
            }
            // The row alone only where it differs from the full price.
            let fin = |v: Option<f64>| v.filter(|v| v.is_finite());
            let full = fin(exact::one_sided(model, v0, &dir));
            let alone = if dir.len() == 1 { full } else { None };
            (alone.unwrap_or(f64::NAN), full)
        })
        .collect();
    for (k, (alone, _)) in prices.iter().enumerate() {
        duals[l.demand_row[k]] = *alone;
    }
    (duals, prices.into_iter().map(|p| p.1).collect())
}

/// The outcome of a plan the backend called infeasible: the diagnosis, or a
/// failure when the plan without whole modules is feasible after all and
/// has none (the backend was wrong).
fn infeasible(plan: &Plan, backend: Backend) -> Outcome {
    let d = diagnose(plan);
    if d.integrality_only && !plan.has_modules() {
        return Outcome::Failed {
            backend,
            message: "the solver reported the plan infeasible, but a verified solve finds a feasible plan (numerical trouble); try another --solver".to_string(),
        };
    }
    Outcome::Infeasible(Box::new(d))
}

fn extract(
    plan: &Plan,
    model: &Lp,
    raw: RawSolution,
    backend: Backend,
    relax: bool,
    dual_source: DualSource,
) -> PlanSolution {
    let x = &raw.x;
    let l = &model.layout;
    let get = |v: Option<usize>| v.map_or(0.0, |j| x[j]);
    let feed: Vec<Vec<f64>> = l
        .feed
        .iter()
        .map(|row| row.iter().map(|&j| x[j]).collect())
        .collect();
    let new: Vec<f64> = l.new.iter().map(|&v| get(v)).collect();
    let modules = l.modules.iter().map(|v| v.map(|j| x[j])).collect();
    let output: Vec<Vec<f64>> = l
        .output
        .iter()
        .map(|row| row.iter().map(|&v| get(v)).collect())
        .collect();
    let ship: Vec<Vec<f64>> = l
        .ship
        .iter()
        .map(|row| row.iter().map(|&v| get(v)).collect())
        .collect();
    let imports: Vec<Vec<f64>> = l
        .import
        .iter()
        .map(|row| row.iter().map(|&v| get(v)).collect())
        .collect();
    let sold: Vec<Vec<f64>> = l
        .sold
        .iter()
        .map(|row| row.iter().map(|&v| get(v)).collect())
        .collect();
    let disposed: Vec<Vec<f64>> = l
        .disposed
        .iter()
        .map(|row| row.iter().map(|&v| get(v)).collect())
        .collect();
    let unmet: Vec<f64> = l.unmet.iter().map(|&v| get(v)).collect();

    let mut c = Costs::default();
    for (s, src) in plan.sources.iter().enumerate() {
        for (r, rf) in plan.refineries.iter().enumerate() {
            let f = feed[s][r];
            c.sources += src.cost * f;
            c.transport += plan.transport[src.region][rf.region] * f;
            c.opex += rf.opex * f;
        }
    }
    let mut capex_total = 0.0;
    for (r, rf) in plan.refineries.iter().enumerate() {
        c.capex_annualised += rf.annualised_capex * new[r];
        capex_total += rf.capex * new[r];
        for (k, d) in plan.demand.iter().enumerate() {
            c.transport += plan.transport[rf.region][d.region] * ship[r][k];
        }
        for e in 0..plan.elements.len() {
            c.disposal += plan.surplus.disposal[e] * disposed[r][e];
            c.sales += plan.surplus.price[e].unwrap_or(0.0) * sold[r][e];
        }
    }
    for (i, im) in plan.imports.iter().enumerate() {
        for (k, d) in plan.demand.iter().enumerate() {
            let z = imports[i][k];
            c.imports += im.price[d.element].unwrap_or(0.0) * z;
            c.transport += plan.transport[im.region][d.region] * z;
        }
    }
    for (k, d) in plan.demand.iter().enumerate() {
        c.unmet_penalty += plan.policy.unmet_penalty[d.element].unwrap_or(0.0) * unmet[k];
    }

    let fair = l.fair.iter().map(|v| v.map(|j| x[j])).collect();
    let demand_share = plan
        .demand
        .iter()
        .map(|d| {
            if plan.regions[d.region].allied && l.share_row[d.element].is_some() {
                plan.policy.max_import_share[d.element].unwrap_or(0.0)
            } else {
                0.0
            }
        })
        .collect();
    let act = model.activities(x);
    let rows = model
        .rows
        .iter()
        .enumerate()
        .map(|(j, r)| RowResult {
            kind: r.kind,
            sense: r.sense,
            rhs: r.rhs * r.scale,
            activity: act[j] * r.scale,
            dual: raw
                .duals
                .as_ref()
                .map(|d| d[j] / r.scale)
                .filter(|d| !d.is_nan()),
        })
        .collect();
    PlanSolution {
        backend,
        relaxed_integers: relax,
        dual_source,
        objective: model.objective(x),
        costs: c,
        capex_total,
        feed,
        new,
        modules,
        output,
        ship,
        imports,
        sold,
        disposed,
        unmet,
        fair,
        demand_share,
        demand_element: plan.demand.iter().map(|d| d.element).collect(),
        rows,
        layout: model.layout.clone(),
        build_s: raw.build_s,
        solve_s: raw.solve_s,
        n_vars: model.vars.len(),
        n_rows: model.rows.len(),
        n_integer: model.integer_count(),
        demand_prices: None,
    }
}

impl PlanSolution {
    /// A copy for reporting, with interior-point noise set to zero: tonnages
    /// below 1e-7 of the plan's largest row activity
    /// and shadow prices below 1e-9 of the largest one.
    pub fn cleaned(&self, plan: &Plan) -> PlanSolution {
        let scale = self
            .rows
            .iter()
            .filter(|r| r.kind != RowKind::Budget)
            .fold(1.0_f64, |m, r| m.max(r.activity.abs()));
        // Relative to the flows the plan actually has (not to a limit far
        // out of reach, such as an existing capacity of 4e9 t/yr).
        let tol = 1e-7 * scale;
        let z = |x: f64| if x.abs() < tol { 0.0 } else { x };
        let zz = |v: &Vec<Vec<f64>>| {
            v.iter()
                .map(|r| r.iter().map(|&x| z(x)).collect())
                .collect()
        };
        let pscale = self
            .rows
            .iter()
            .filter_map(|r| r.dual)
            .fold(1.0_f64, |m, d| m.max(d.abs()));
        let mut out = self.clone();
        out.feed = zz(&self.feed);
        out.new = self.new.iter().map(|&x| z(x)).collect();
        out.modules = self.modules.iter().map(|m| m.map(z)).collect();
        out.output = zz(&self.output);
        out.ship = zz(&self.ship);
        out.imports = zz(&self.imports);
        out.sold = zz(&self.sold);
        out.disposed = zz(&self.disposed);
        out.unmet = self.unmet.iter().map(|&x| z(x)).collect();
        out.capex_total = plan
            .refineries
            .iter()
            .zip(&out.new)
            .map(|(r, n)| r.capex * n)
            .sum();
        for row in &mut out.rows {
            row.dual = row
                .dual
                .map(|d| if d.abs() < 1e-9 * pscale { 0.0 } else { d });
        }
        out
    }

    fn dual(&self, row: Option<usize>) -> Option<f64> {
        row.and_then(|j| self.rows[j].dual)
    }

    /// Tonnes delivered to demand row `k` (from refineries and imports).
    pub fn delivered(&self, k: usize) -> f64 {
        self.ship.iter().map(|r| r[k]).sum::<f64>() + self.imports.iter().map(|i| i[k]).sum::<f64>()
    }

    /// Fraction of demand row `k` that is served (1 for zero demand).
    pub fn served(&self, plan: &Plan, k: usize) -> f64 {
        let d = plan.demand[k].amount;
        if d <= 0.0 {
            1.0
        } else {
            (1.0 - self.unmet[k] / d).clamp(0.0, 1.0)
        }
    }

    /// Marginal cost of one more tonne of demand row `k`: d cost / d demand.
    ///
    /// This is the shadow price of the demand row plus the effect of the
    /// same tonne elsewhere in the plan: it widens the import-share allowance
    /// by `share` tonnes (allied rows of a capped element) and, with fair
    /// share, scales the region's unmet tonnage (`unmet = D * phi`). By the
    /// envelope theorem the total is
    /// `dual(demand) + share * dual(share row) + phi * dual(fair row)`.
    pub fn demand_price(&self, k: usize) -> Option<f64> {
        if let Some(p) = &self.demand_prices {
            return p[k];
        }
        let mut p = self.dual(Some(self.layout.demand_row[k]))?;
        let e = self.demand_element[k];
        if self.demand_share[k] > 0.0 {
            if let Some(j) = self.layout.share_row[e] {
                p += self.demand_share[k] * self.rows[j].dual.unwrap_or(0.0);
            }
        }
        if let (Some(j), Some(phi)) = (self.layout.fair_row[k], self.fair[e]) {
            p += phi * self.rows[j].dual.unwrap_or(0.0);
        }
        Some(p)
    }

    /// Shadow price of demand row `k` alone (d cost / d demand with every
    /// other right-hand side held fixed). On the default path it is only
    /// computed where it equals [`PlanSolution::demand_price`] (no import-share
    /// or fair-share row moves with the demand), else `None`.
    pub fn demand_row_dual(&self, k: usize) -> Option<f64> {
        self.dual(Some(self.layout.demand_row[k]))
    }

    /// Value of one more t/yr of capacity at refinery `r` (minus the shadow
    /// price of its capacity row; >= 0).
    pub fn capacity_value(&self, r: usize) -> Option<f64> {
        self.dual(Some(self.layout.capacity_row[r])).map(|d| -d)
    }

    /// Value of leave to build one more t/yr at refinery `r` beyond its
    /// `max_new` (>= 0; it pays the capex); `None` when nothing can be built.
    pub fn max_new_value(&self, r: usize) -> Option<f64> {
        self.dual(self.layout.max_new_row[r]).map(|d| -d)
    }

    /// Value of one more t/yr of ore from source `s` (>= 0).
    pub fn source_value(&self, s: usize) -> Option<f64> {
        self.dual(Some(self.layout.source_row[s])).map(|d| -d)
    }

    /// Value of one more tonne of import capacity `i` for element `e` (>= 0);
    /// `None` when the import has no cap on `e`.
    pub fn import_cap_value(&self, i: usize, e: usize) -> Option<f64> {
        self.dual(self.layout.import_cap_row[i][e]).map(|d| -d)
    }

    /// Cost of independence for element `e`: how much the annual cost falls
    /// per tonne the import-share cap is relaxed (>= 0); `None` without a cap.
    pub fn import_share_value(&self, e: usize) -> Option<f64> {
        self.dual(self.layout.share_row[e]).map(|d| -d)
    }

    /// Annual saving per unit of extra capex budget (>= 0).
    pub fn budget_value(&self) -> Option<f64> {
        self.dual(self.layout.budget_row).map(|d| -d)
    }

    /// Value of one more tonne of surplus market for element `e` (>= 0);
    /// `None` without a market limit.
    pub fn market_value(&self, e: usize) -> Option<f64> {
        self.dual(self.layout.market_row[e]).map(|d| -d)
    }

    /// Binding limits and saturated markets (tight, with a nonzero shadow
    /// price).
    pub fn binding(&self) -> Vec<Binding> {
        let scale = self
            .rows
            .iter()
            .filter_map(|r| r.dual)
            .fold(1.0_f64, |m, d| m.max(d.abs()));
        let dual_tol = 1e-7 * scale;
        let mut out = Vec::new();
        for row in &self.rows {
            let Some(dual) = row.dual else { continue };
            if !row.kind.is_limit() && !matches!(row.kind, RowKind::Market(_)) {
                continue;
            }
            let tight = (row.rhs - row.activity).abs() <= 1e-6 * row.rhs.abs().max(1.0);
            if !tight || dual.abs() <= dual_tol {
                continue;
            }
            out.push(Binding {
                kind: row.kind,
                value: -dual,
                rhs: row.rhs,
            });
        }
        out
    }

    /// Elements with unmet demand (beyond 1e-6 of their demand).
    pub fn shortages(&self, plan: &Plan) -> Vec<Shortage> {
        let mut out = Vec::new();
        for e in 0..plan.elements.len() {
            let (mut short, mut total) = (0.0, 0.0);
            for (k, d) in plan.demand.iter().enumerate() {
                if d.element == e {
                    short += self.unmet[k];
                    total += d.amount;
                }
            }
            if short > 1e-6 * total.max(1.0) {
                out.push(Shortage {
                    element: e,
                    short,
                    total,
                });
            }
        }
        out
    }
}

/// Explains an infeasible plan: per-element supply bounds, then every
/// minimal single relaxation that restores feasibility: for each limit
/// (source, refinery, max_new, import capacity, import share, budget) and
/// each demand row alone, the least change of that row, in its own units
/// (t/yr, percentage points of share, currency of budget), with every other
/// row as written. Rows that cannot restore feasibility alone are not
/// listed.
pub fn diagnose(plan: &Plan) -> Diagnosis {
    let mut shortfalls = Vec::new();
    for e in 0..plan.elements.len() {
        let demand: f64 = plan
            .demand
            .iter()
            .filter(|d| d.element == e)
            .map(|d| d.amount)
            .sum();
        if demand <= 0.0 || plan.policy.unmet_penalty[e].is_some() {
            continue;
        }
        let best_recovery = plan
            .refineries
            .iter()
            .map(|r| r.recovery_of(e))
            .fold(0.0, f64::max);
        let from_sources: f64 = plan
            .sources
            .iter()
            .map(|s| s.capacity * s.assay[e])
            .sum::<f64>()
            * best_recovery;
        let mut import_cap = 0.0;
        let mut unlimited = false;
        for im in &plan.imports {
            if im.price[e].is_some() {
                match im.capacity[e] {
                    Some(c) => import_cap += c,
                    None => unlimited = true,
                }
            }
        }
        let allied = plan.alliance_demand(e);
        let share_cap = plan.policy.max_import_share[e].map(|s| s * allied + (demand - allied));
        let imports = match (unlimited, share_cap) {
            (true, None) => f64::INFINITY,
            (true, Some(c)) => c,
            (false, None) => import_cap,
            (false, Some(c)) => import_cap.min(c),
        };
        if from_sources + imports < demand * (1.0 - 1e-9) {
            shortfalls.push(Shortfall {
                element: e,
                demand,
                from_sources,
                imports,
            });
        }
    }

    // Each limit alone, and each demand row alone: the least change of that
    // one row (in its own units) that makes the plan feasible, with every
    // other row as written.
    let model = lp::build(
        plan,
        &BuildOptions {
            relax_integers: true,
            ..Default::default()
        },
    );
    let integrality_only = exact::solve_vertex(&model).is_ok();
    let candidates: Vec<usize> = (0..model.rows.len())
        .filter(|&j| {
            let r = &model.rows[j];
            r.kind.is_limit() || (matches!(r.kind, RowKind::Demand(_)) && r.rhs > 0.0)
        })
        .collect();
    let found: Vec<(usize, f64)> = if integrality_only {
        Vec::new()
    } else {
        candidates
            .par_iter()
            .filter_map(|&j| single_relaxation(&model, j).map(|x| (j, x)))
            .collect()
    };
    // Every candidate is a limit or a demand row: each gets its relaxation.
    let conflicts = found
        .into_iter()
        .map(|(j, x)| {
            let row = &model.rows[j];
            Conflict {
                kind: row.kind,
                excess: x * row.scale,
                limit: if row.kind == RowKind::Budget {
                    row.rhs * row.scale
                } else {
                    row.rhs
                },
            }
        })
        .collect();
    Diagnosis {
        shortfalls,
        conflicts,
        integrality_only,
    }
}
