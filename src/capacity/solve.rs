//! Solving a plan: backend choice, dual values, the [`Solution`] with its
//! economic reading (served fractions, shadow prices, binding constraints in
//! words), and the diagnosis of infeasible plans.

use super::lp::{self, BuildOptions, Layout, Lp, RawSolution, RowKind, Sense, SolveFailure};
use super::plan::{Backend, Plan};
use super::report::num;
use rayon::prelude::*;
use std::time::Instant;

/// Where the dual values of a solution come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DualSource {
    /// The backend that solved the plan.
    Native,
    /// A Clarabel re-solve of the LP with the integer module counts fixed at
    /// the integer optimum (prices conditional on that build decision).
    FixedIntegers,
    /// No dual values (the re-solve failed).
    Unavailable,
}

/// Annual cost, by component. `total()` equals the objective.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
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

/// A binding constraint, named in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The row.
    pub kind: RowKind,
    /// Its value to the plan: how much the annual cost falls per unit the
    /// limit is relaxed (currency per unit of the row).
    pub value: f64,
    /// A sentence.
    pub text: String,
}

/// A solved plan.
#[derive(Debug, Clone)]
pub struct Solution {
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
    pub layout: Layout,
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
}

/// A constraint that conflicts in an infeasible plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The row.
    pub kind: RowKind,
    /// By how much it would have to give (t/yr, or currency for the budget).
    pub excess: f64,
    /// A sentence.
    pub text: String,
}

/// Why a plan is infeasible, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// Per-element supply bounds that fall short of demand.
    pub shortfalls: Vec<String>,
    /// Limits that the least-violation (phase-1) plan has to exceed.
    pub conflicts: Vec<Conflict>,
    /// Demand rows involved (those whose phase-1 price is nonzero).
    pub demands: Vec<String>,
    /// The continuous relaxation is feasible: only whole modules fail.
    pub integrality_only: bool,
}

/// The result of solving a plan.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Solved to optimality.
    Solved(Box<Solution>),
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
    pub fn solution(&self) -> Option<&Solution> {
        match self {
            Outcome::Solved(s) => Some(s),
            _ => None,
        }
    }
}

/// Solves a plan with the requested backend (`Auto` picks Clarabel, or
/// microlp when a refinery builds in whole modules).
pub fn solve(plan: &Plan, requested: Backend) -> Outcome {
    let backend = lp::resolve_backend(plan, requested);
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
    let first = match backend {
        Backend::Clarabel | Backend::Auto => lp::solve_clarabel(&model),
        Backend::Microlp => lp::solve_microlp(&model),
        Backend::Highs => lp::solve_highs(&model),
    };
    let mut raw = match first {
        Ok(r) => r,
        Err(SolveFailure::Infeasible) => return Outcome::Infeasible(Box::new(diagnose(plan))),
        Err(SolveFailure::Other(message)) => return Outcome::Failed { backend, message },
    };
    raw.build_s += own_build;
    let mut dual_source = DualSource::Native;
    // Limits set to zero (an import ban, a zero share cap, a plant with no
    // capacity) and zero demand rows are degenerate: their variables sit on
    // both the row and their own bound, so every dual beyond the one-sided
    // derivative is optimal too, and an interior-point solver returns an
    // arbitrary one. The price of each such row comes from its own re-solve
    // with that right-hand side nudged to a tiny positive value: the value of
    // the first tonne of relaxation. (One row at a time: nudging several
    // together would let them trade with each other.)
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
        if let Some(duals) = raw.duals.as_mut() {
            let step = nudge(&dual_lp);
            let nudged: Vec<Option<f64>> = zero_rows
                .par_iter()
                .map(|&j| {
                    let mut one = dual_lp.clone();
                    one.rows[j].rhs = step;
                    lp::solve_clarabel(&one)
                        .ok()
                        .and_then(|r| r.duals)
                        .map(|d| d[j])
                })
                .collect();
            for (&j, d) in zero_rows.iter().zip(nudged) {
                if let Some(d) = d {
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

/// The right-hand side given to a zero row in its dual re-solve. Rows are in
/// tonnes (the budget row in tonnes of capacity). The nudge must stand clear
/// of the interior-point solver's accuracy (about 1e-10 of the objective) yet
/// stay below the next breakpoint of the LP.
fn nudge(lp: &Lp) -> f64 {
    let scale = lp.rows.iter().fold(1.0_f64, |m, r| m.max(r.rhs.abs()));
    (1e-5 * scale).max(1e-3)
}

fn extract(
    plan: &Plan,
    model: &Lp,
    raw: RawSolution,
    backend: Backend,
    relax: bool,
    dual_source: DualSource,
) -> Solution {
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
            dual: raw.duals.as_ref().map(|d| d[j] / r.scale),
        })
        .collect();
    Solution {
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
    }
}

impl Solution {
    /// A copy for reporting, with interior-point noise set to zero: tonnages
    /// below 1e-7 of the plan's largest right-hand side (capacities, demand)
    /// and shadow prices below 1e-9 of the largest one.
    pub fn cleaned(&self, plan: &Plan) -> Solution {
        let scale = self
            .rows
            .iter()
            .filter(|r| r.kind != RowKind::Budget)
            .fold(1.0_f64, |m, r| m.max(r.rhs.abs()));
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
    /// other right-hand side held fixed).
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

    /// Binding constraints (tight, with a nonzero shadow price), in words.
    pub fn binding(&self, plan: &Plan) -> Vec<Binding> {
        let scale = self
            .rows
            .iter()
            .filter_map(|r| r.dual)
            .fold(1.0_f64, |m, d| m.max(d.abs()));
        let dual_tol = 1e-7 * scale;
        let cur = &plan.currency;
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
            let v = -dual;
            let zero = row.rhs == 0.0;
            let text = match row.kind {
                RowKind::SourceCapacity(s) if zero => format!(
                    "source \"{}\" is closed (capacity 0); a first tonne of ore would save {} {cur}",
                    plan.sources[s].name,
                    num(v)
                ),
                RowKind::SourceCapacity(s) => format!(
                    "source \"{}\" is mined at its capacity of {} t REO/yr; one more tonne of ore would save {} {cur}",
                    plan.sources[s].name,
                    num(row.rhs),
                    num(v)
                ),
                RowKind::RefineryCapacity(r) if row.rhs + self.new[r] <= 0.0 => format!(
                    "refinery \"{}\" has no capacity and builds none; a first t/yr would be worth {} {cur}/yr",
                    plan.refineries[r].name,
                    num(v)
                ),
                RowKind::RefineryCapacity(r) => format!(
                    "refinery \"{}\" runs full ({} t/yr); one more t/yr of capacity is worth {} {cur}/yr",
                    plan.refineries[r].name,
                    num(row.rhs + self.new[r]),
                    num(v)
                ),
                RowKind::MaxNew(r) => format!(
                    "refinery \"{}\" builds all the new capacity allowed (max_new = {} t/yr); leave to build one more t/yr is worth {} {cur}/yr",
                    plan.refineries[r].name,
                    num(row.rhs),
                    num(v)
                ),
                RowKind::ImportCapacity(i, e) if zero => format!(
                    "imports of {} from \"{}\" are barred (capacity 0); a first tonne would save {} {cur}",
                    plan.elements[e],
                    plan.imports[i].name,
                    num(v)
                ),
                RowKind::ImportCapacity(i, e) => format!(
                    "imports of {} from \"{}\" are at their capacity of {} t/yr; one more tonne would save {} {cur}",
                    plan.elements[e],
                    plan.imports[i].name,
                    num(row.rhs),
                    num(v)
                ),
                RowKind::ImportShare(e) => {
                    let share = plan.policy.max_import_share[e].unwrap_or(1.0);
                    let demand = plan.alliance_demand(e);
                    format!(
                        "the cap on {} from outside the alliance ({}% of {} t = {} t/yr) binds: independence costs {} {cur} per tonne ({} {cur}/yr per percentage point of share)",
                        plan.elements[e],
                        num(share * 100.0),
                        num(demand),
                        num(row.rhs),
                        num(v),
                        num(v * demand / 100.0)
                    )
                }
                RowKind::Budget => format!(
                    "the capex budget of {} {cur} is spent; one more {cur} of budget would save {} {cur}/yr",
                    num(row.rhs),
                    num(v)
                ),
                RowKind::Market(e) => format!(
                    "the market for surplus {} ({} t/yr) is saturated; one more tonne of market would save {} {cur}",
                    plan.elements[e],
                    num(row.rhs),
                    num(v)
                ),
                _ => continue,
            };
            out.push(Binding {
                kind: row.kind,
                value: v,
                text,
            });
        }
        out
    }

    /// Shortages in words (one line per element with unmet demand).
    pub fn shortages(&self, plan: &Plan) -> Vec<String> {
        let mut out = Vec::new();
        for (e, el) in plan.elements.iter().enumerate() {
            let (mut short, mut total) = (0.0, 0.0);
            for (k, d) in plan.demand.iter().enumerate() {
                if d.element == e {
                    short += self.unmet[k];
                    total += d.amount;
                }
            }
            if short > 1e-6 * total.max(1.0) {
                out.push(format!(
                    "{el}: {} t/yr of demand is not met ({}% of {} t), at a penalty of {} {}/t",
                    num(short),
                    num(100.0 * short / total),
                    num(total),
                    num(plan.policy.unmet_penalty[e].unwrap_or(0.0)),
                    plan.currency
                ));
            }
        }
        out
    }
}

/// Explains an infeasible plan: per-element supply bounds, then a phase-1
/// solve in which every limit (source, refinery, max_new, import capacity,
/// import share, budget) may be exceeded at a cost; the limits it has to
/// exceed are the conflict, and demand rows with a nonzero phase-1 price are
/// the demand they conflict with.
pub fn diagnose(plan: &Plan) -> Diagnosis {
    let mut shortfalls = Vec::new();
    for (e, el) in plan.elements.iter().enumerate() {
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
            let mut why = format!(
                "sources carry at most {} t after recovery",
                num(from_sources)
            );
            why.push_str(&format!(", imports can add at most {} t", num(imports)));
            if let Some(s) = plan.policy.max_import_share[e] {
                why.push_str(&format!(" (policy.max_import_share for {el} = {s})"));
            }
            shortfalls.push(format!(
                "{el}: demand is {} t/yr but {why}: at least {} t/yr cannot be supplied",
                num(demand),
                num(demand - from_sources - imports)
            ));
        }
    }

    let model = lp::build(
        plan,
        &BuildOptions {
            relax_integers: true,
            elastic: true,
            ..Default::default()
        },
    );
    let mut conflicts = Vec::new();
    let mut demands = Vec::new();
    let mut integrality_only = false;
    if let Ok(raw) = lp::solve_clarabel(&model) {
        let total: f64 = model
            .layout
            .slack
            .iter()
            .flatten()
            .map(|&j| raw.x[j] * model.vars[j].cost)
            .sum();
        integrality_only = total < 1e-6;
        for (j, row) in model.rows.iter().enumerate() {
            let Some(sj) = model.layout.slack[j] else {
                continue;
            };
            let excess = raw.x[sj] * row.scale;
            if excess <= 1e-6 * (row.rhs * row.scale).abs().max(row.scale) {
                continue;
            }
            let cur = &plan.currency;
            let text = match row.kind {
                RowKind::SourceCapacity(s) => format!("source \"{}\" would have to supply {} t REO/yr more than its capacity of {} t", plan.sources[s].name, num(excess), num(row.rhs)),
                RowKind::RefineryCapacity(r) => format!("refinery \"{}\" would need {} t/yr more capacity than it has or may build", plan.refineries[r].name, num(excess)),
                RowKind::MaxNew(r) => format!("refinery \"{}\" would have to build {} t/yr beyond max_new = {} t/yr", plan.refineries[r].name, num(excess), num(row.rhs)),
                RowKind::ImportCapacity(i, e) => format!("imports of {} from \"{}\" would have to exceed their capacity of {} t/yr by {} t", plan.elements[e], plan.imports[i].name, num(row.rhs), num(excess)),
                RowKind::ImportShare(e) => format!(
                    "{} from outside the alliance would have to exceed the policy cap (max_import_share = {}, {} t/yr) by {} t",
                    plan.elements[e],
                    plan.policy.max_import_share[e].unwrap_or(1.0),
                    num(row.rhs),
                    num(excess)
                ),
                RowKind::Budget => format!("capex would have to exceed the budget of {} {cur} by {} {cur}", num(row.rhs * row.scale), num(excess)),
                _ => continue,
            };
            conflicts.push(Conflict {
                kind: row.kind,
                excess,
                text,
            });
        }
        if let Some(duals) = &raw.duals {
            for (k, d) in plan.demand.iter().enumerate() {
                let p = duals[model.layout.demand_row[k]];
                if p.abs() > 1e-6 {
                    demands.push(format!(
                        "demand of {} for {} t/yr of {}",
                        plan.regions[d.region].name,
                        num(d.amount),
                        plan.elements[d.element]
                    ));
                }
            }
        }
    }
    Diagnosis {
        shortfalls,
        conflicts,
        demands,
        integrality_only,
    }
}
