//! The linear program: variables, rows and objective of a [`Plan`], and its
//! solution by one of good_lp's backends.
//!
//! The LP is first written in a small sparse form of our own ([`Lp`]: one
//! [`Row`] per constraint with a [`RowKind`] that says what it means), then
//! handed to good_lp. Keeping our own copy lets the report evaluate every
//! row's activity and slack, name binding rows in words, build the elastic
//! (phase-1) variant for infeasibility diagnosis, and re-solve with integer
//! choices fixed to obtain dual values after a mixed-integer solve.
//!
//! # Formulation (all quantities per year)
//!
//! Variables, all `>= 0`: feed `f[s,r]` (t REO from source s to refinery r),
//! new capacity `n[r]` (and an integer module count `m[r]` with
//! `n[r] = module * m[r]`), element output `y[r,e]`, shipments
//! `x[r,k]` from refinery r to demand row k, imports `z[i,k]`, surplus sold
//! `q[r,e]` and disposed `w[r,e]`, unmet demand `u[k]`, and with fair share
//! one unmet fraction `phi[e]` in [0, 1] per element.
//!
//! Rows (the shadow price convention is good_lp's: `d objective / d rhs`):
//! - coupling `y[r,e] - rec[r] * sum_s assay[s,e] f[s,r] = 0` (by-products);
//! - balance `y[r,e] - sum_k x[r,k] - q[r,e] - w[r,e] = 0` (nothing vanishes);
//! - demand `sum_r x[r,k] + sum_i z[i,k] + u[k] = D[k]`;
//! - source capacity `sum_r f[s,r] <= cap[s]`;
//! - refinery capacity `sum_s f[s,r] - n[r] <= existing[r]`, `n[r] <= max_new[r]`;
//! - import capacity `sum_k z[i,k] <= cap[i,e]`;
//! - import share `sum over allied k of e of (imports + shipments from
//!   non-allied refineries) <= share[e] * allied demand[e]`;
//! - budget `sum_r capex[r] n[r] <= budget`; market `sum_r q[r,e] <= market[e]`;
//! - fair share `u[k] - D[k] phi[e] = 0` for allied k.
//!
//! The objective is the annual cost: ore, transport, opex, annualised capex,
//! imports, disposal minus sales, and unmet-demand penalties.

use super::plan::{Backend, Plan};
use good_lp::solvers::clarabel::ClarabelProblem;
use good_lp::{
    Constraint, DualValues, Expression, ProblemVariables, ResolutionError, Solution as _,
    SolutionWithDual, SolverModel, Variable,
};
use std::time::Instant;

/// Direction of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    /// `activity <= rhs`.
    Le,
    /// `activity >= rhs`.
    Ge,
    /// `activity == rhs`.
    Eq,
}

/// What a row means, with indices into the [`Plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// Demand row `k` (index into [`Plan::demand`]).
    Demand(usize),
    /// Element output of refinery `r` for element `e` equals recovery x assay x feed.
    Coupling(usize, usize),
    /// Output of refinery `r`, element `e`, is shipped, sold or disposed.
    Balance(usize, usize),
    /// Source `s` capacity.
    SourceCapacity(usize),
    /// Refinery `r` capacity (existing plus new).
    RefineryCapacity(usize),
    /// Refinery `r` new capacity at most `max_new`.
    MaxNew(usize),
    /// Refinery `r` new capacity is a whole number of modules.
    Modules(usize),
    /// Import `i` capacity for element `e`.
    ImportCapacity(usize, usize),
    /// Share of alliance demand of element `e` from outside.
    ImportShare(usize),
    /// Total capex.
    Budget,
    /// Sale market for surplus of element `e`.
    Market(usize),
    /// Fair share for demand row `k`.
    FairShare(usize),
}

impl RowKind {
    /// Whether this row is a limit that the elastic (phase-1) model may
    /// violate at a cost, to find what makes a plan infeasible. (A surplus
    /// market never does: disposal is always possible.)
    pub fn is_limit(self) -> bool {
        matches!(
            self,
            RowKind::SourceCapacity(_)
                | RowKind::RefineryCapacity(_)
                | RowKind::MaxNew(_)
                | RowKind::ImportCapacity(..)
                | RowKind::ImportShare(_)
                | RowKind::Budget
        )
    }
}

/// One constraint in sparse form.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Meaning.
    pub kind: RowKind,
    /// `(variable id, coefficient)` pairs.
    pub terms: Vec<(usize, f64)>,
    /// Direction.
    pub sense: Sense,
    /// Right-hand side.
    pub rhs: f64,
    /// The row as stored is the plan's row divided by this (the budget row is
    /// kept in tonnes of capacity rather than currency, so that all rows have
    /// comparable magnitudes for the solver's tolerances).
    pub scale: f64,
}

/// One variable: bounds, integrality and objective coefficient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarDef {
    /// Lower bound.
    pub min: f64,
    /// Upper bound (may be infinite).
    pub max: f64,
    /// Integer variable.
    pub integer: bool,
    /// Objective coefficient (cost per unit).
    pub cost: f64,
}

/// Variable ids of each kind (indices into [`Lp::vars`]).
#[derive(Debug, Clone, Default)]
pub struct LpLayout {
    /// `feed[s][r]`.
    pub feed: Vec<Vec<usize>>,
    /// `new[r]` (None when nothing can be built).
    pub new: Vec<Option<usize>>,
    /// `modules[r]` (integer count).
    pub modules: Vec<Option<usize>>,
    /// `output[r][e]` (None when no source carries e).
    pub output: Vec<Vec<Option<usize>>>,
    /// `ship[r][k]`.
    pub ship: Vec<Vec<Option<usize>>>,
    /// `import[i][k]`.
    pub import: Vec<Vec<Option<usize>>>,
    /// `sold[r][e]`.
    pub sold: Vec<Vec<Option<usize>>>,
    /// `disposed[r][e]`.
    pub disposed: Vec<Vec<Option<usize>>>,
    /// `unmet[k]`.
    pub unmet: Vec<Option<usize>>,
    /// `fair[e]`: unmet fraction shared by allied regions.
    pub fair: Vec<Option<usize>>,
    /// Elastic slack per row (phase-1 model only).
    pub slack: Vec<Option<usize>>,
    /// Row index of demand row `k`.
    pub demand_row: Vec<usize>,
    /// Row index of each source's capacity.
    pub source_row: Vec<usize>,
    /// Row index of each refinery's capacity.
    pub capacity_row: Vec<usize>,
    /// Row index of each refinery's max_new limit.
    pub max_new_row: Vec<Option<usize>>,
    /// Row index of import capacity `[i][e]`.
    pub import_cap_row: Vec<Vec<Option<usize>>>,
    /// Row index of the import share cap per element.
    pub share_row: Vec<Option<usize>>,
    /// Row index of the budget.
    pub budget_row: Option<usize>,
    /// Row index of the surplus market per element.
    pub market_row: Vec<Option<usize>>,
    /// Row index of the coupling row `[r][e]`.
    pub coupling_row: Vec<Vec<Option<usize>>>,
    /// Row index of the fair-share row of demand row `k`.
    pub fair_row: Vec<Option<usize>>,
}

/// A plan's linear program in our own sparse form.
#[derive(Debug, Clone, Default)]
pub struct Lp {
    /// Variables.
    pub vars: Vec<VarDef>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Where each quantity lives.
    pub layout: LpLayout,
}

/// How to build the LP.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Treat module counts as continuous.
    pub relax_integers: bool,
    /// Fix each refinery's module count (by refinery index) to this value.
    pub fixed_modules: Option<Vec<Option<f64>>>,
    /// Elastic phase-1 model: limits may be exceeded at a cost, all other
    /// costs are zero.
    pub elastic: bool,
}

impl Lp {
    fn var(&mut self, cost: f64) -> usize {
        self.vars.push(VarDef {
            min: 0.0,
            max: f64::INFINITY,
            integer: false,
            cost,
        });
        self.vars.len() - 1
    }

    fn row(&mut self, kind: RowKind, terms: Vec<(usize, f64)>, sense: Sense, rhs: f64) -> usize {
        self.rows.push(Row {
            kind,
            terms,
            sense,
            rhs,
            scale: 1.0,
        });
        self.rows.len() - 1
    }

    /// Number of integer variables.
    pub fn integer_count(&self) -> usize {
        self.vars.iter().filter(|v| v.integer).count()
    }

    /// Activity (left-hand side) of every row at `x`.
    pub fn activities(&self, x: &[f64]) -> Vec<f64> {
        self.rows
            .iter()
            .map(|r| r.terms.iter().map(|&(j, a)| a * x[j]).sum())
            .collect()
    }

    /// Objective at `x`.
    pub fn objective(&self, x: &[f64]) -> f64 {
        self.vars.iter().zip(x).map(|(v, x)| v.cost * x).sum()
    }
}

/// Builds the LP of a plan.
pub fn build(plan: &Plan, opts: &BuildOptions) -> Lp {
    let ne = plan.elements.len();
    let nr = plan.refineries.len();
    let ns = plan.sources.len();
    let nk = plan.demand.len();
    let ni = plan.imports.len();
    let mut lp = Lp::default();
    let c = |x: f64| if opts.elastic { 0.0 } else { x };

    // Variables.
    let mut feed = vec![vec![0; nr]; ns];
    for (s, src) in plan.sources.iter().enumerate() {
        for (r, rf) in plan.refineries.iter().enumerate() {
            feed[s][r] = lp.var(c(src.cost
                + plan.transport[src.region][rf.region]
                + rf.opex));
        }
    }
    let mut new = vec![None; nr];
    let mut modules = vec![None; nr];
    for (r, rf) in plan.refineries.iter().enumerate() {
        if rf.max_new > 0.0 {
            new[r] = Some(lp.var(c(rf.annualised_capex)));
            if let Some(m) = rf.module {
                let id = lp.var(0.0);
                let count = (rf.max_new / m + 1e-9).floor();
                lp.vars[id].max = count;
                lp.vars[id].integer = !opts.relax_integers;
                if let Some(Some(fixed)) = opts.fixed_modules.as_ref().map(|f| f[r]) {
                    lp.vars[id].min = fixed;
                    lp.vars[id].max = fixed;
                    lp.vars[id].integer = false;
                }
                modules[r] = Some(id);
            }
        }
    }
    let carried: Vec<bool> = (0..ne)
        .map(|e| plan.sources.iter().any(|s| s.assay[e] > 0.0))
        .collect();
    let mut output = vec![vec![None; ne]; nr];
    let mut sold = vec![vec![None; ne]; nr];
    let mut disposed = vec![vec![None; ne]; nr];
    for r in 0..nr {
        for e in 0..ne {
            if carried[e] {
                output[r][e] = Some(lp.var(0.0));
                disposed[r][e] = Some(lp.var(c(plan.surplus.disposal[e])));
                if let Some(p) = plan.surplus.price[e] {
                    sold[r][e] = Some(lp.var(c(-p)));
                }
            }
        }
    }
    let mut ship = vec![vec![None; nk]; nr];
    for (r, rf) in plan.refineries.iter().enumerate() {
        for (k, d) in plan.demand.iter().enumerate() {
            if output[r][d.element].is_some() {
                ship[r][k] = Some(lp.var(c(plan.transport[rf.region][d.region])));
            }
        }
    }
    let mut import = vec![vec![None; nk]; ni];
    for (i, im) in plan.imports.iter().enumerate() {
        for (k, d) in plan.demand.iter().enumerate() {
            if let Some(p) = im.price[d.element] {
                import[i][k] = Some(lp.var(c(p + plan.transport[im.region][d.region])));
            }
        }
    }
    let mut unmet = vec![None; nk];
    for (k, d) in plan.demand.iter().enumerate() {
        if let Some(p) = plan.policy.unmet_penalty[d.element] {
            unmet[k] = Some(lp.var(c(p)));
        }
    }
    let mut fair = vec![None; ne];
    if plan.policy.fair_share {
        for (e, f) in fair.iter_mut().enumerate() {
            let allied_rows = plan
                .demand
                .iter()
                .filter(|d| d.element == e && plan.regions[d.region].allied)
                .count();
            if plan.policy.unmet_penalty[e].is_some() && allied_rows >= 2 {
                let id = lp.var(0.0);
                lp.vars[id].max = 1.0;
                *f = Some(id);
            }
        }
    }

    // Rows.
    let mut coupling_row = vec![vec![None; ne]; nr];
    for r in 0..nr {
        for e in 0..ne {
            let rec = plan.refineries[r].recovery_of(e);
            if let Some(y) = output[r][e] {
                let mut terms = vec![(y, 1.0)];
                for (s, src) in plan.sources.iter().enumerate() {
                    if src.assay[e] > 0.0 {
                        terms.push((feed[s][r], -rec * src.assay[e]));
                    }
                }
                coupling_row[r][e] = Some(lp.row(RowKind::Coupling(r, e), terms, Sense::Eq, 0.0));
                let mut terms = vec![(y, 1.0)];
                for (k, d) in plan.demand.iter().enumerate() {
                    if d.element == e {
                        if let Some(x) = ship[r][k] {
                            terms.push((x, -1.0));
                        }
                    }
                }
                if let Some(q) = sold[r][e] {
                    terms.push((q, -1.0));
                }
                if let Some(w) = disposed[r][e] {
                    terms.push((w, -1.0));
                }
                lp.row(RowKind::Balance(r, e), terms, Sense::Eq, 0.0);
            }
        }
    }
    let mut demand_row = Vec::with_capacity(nk);
    for (k, d) in plan.demand.iter().enumerate() {
        let mut terms: Vec<(usize, f64)> = (0..nr)
            .filter_map(|r| ship[r][k].map(|x| (x, 1.0)))
            .collect();
        terms.extend((0..ni).filter_map(|i| import[i][k].map(|z| (z, 1.0))));
        if let Some(u) = unmet[k] {
            terms.push((u, 1.0));
        }
        demand_row.push(lp.row(RowKind::Demand(k), terms, Sense::Eq, d.amount));
    }
    let mut source_row = Vec::with_capacity(ns);
    for (s, src) in plan.sources.iter().enumerate() {
        let terms = (0..nr).map(|r| (feed[s][r], 1.0)).collect();
        source_row.push(lp.row(RowKind::SourceCapacity(s), terms, Sense::Le, src.capacity));
    }
    let mut capacity_row = Vec::with_capacity(nr);
    let mut max_new_row = vec![None; nr];
    for (r, rf) in plan.refineries.iter().enumerate() {
        let mut terms: Vec<(usize, f64)> = (0..ns).map(|s| (feed[s][r], 1.0)).collect();
        if let Some(n) = new[r] {
            terms.push((n, -1.0));
        }
        capacity_row.push(lp.row(RowKind::RefineryCapacity(r), terms, Sense::Le, rf.existing));
        if let Some(n) = new[r] {
            max_new_row[r] =
                Some(lp.row(RowKind::MaxNew(r), vec![(n, 1.0)], Sense::Le, rf.max_new));
            if let (Some(m), Some(size)) = (modules[r], rf.module) {
                lp.row(
                    RowKind::Modules(r),
                    vec![(n, 1.0), (m, -size)],
                    Sense::Eq,
                    0.0,
                );
            }
        }
    }
    let mut import_cap_row = vec![vec![None; ne]; ni];
    for (i, im) in plan.imports.iter().enumerate() {
        for (e, cap) in im.capacity.iter().enumerate() {
            if let Some(cap) = *cap {
                let terms: Vec<(usize, f64)> = plan
                    .demand
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.element == e)
                    .filter_map(|(k, _)| import[i][k].map(|z| (z, 1.0)))
                    .collect();
                if !terms.is_empty() {
                    import_cap_row[i][e] =
                        Some(lp.row(RowKind::ImportCapacity(i, e), terms, Sense::Le, cap));
                }
            }
        }
    }
    let mut share_row = vec![None; ne];
    for (e, slot) in share_row.iter_mut().enumerate() {
        let Some(share) = plan.policy.max_import_share[e] else {
            continue;
        };
        let total = plan.alliance_demand(e);
        // A share of 1 or more cannot bind (outside supply to allied rows
        // never exceeds their demand): no row, and no price reported.
        if total <= 0.0 || share >= 1.0 {
            continue;
        }
        let mut terms = Vec::new();
        for (k, d) in plan.demand.iter().enumerate() {
            if d.element != e || !plan.regions[d.region].allied {
                continue;
            }
            terms.extend((0..ni).filter_map(|i| import[i][k].map(|z| (z, 1.0))));
            for (r, rf) in plan.refineries.iter().enumerate() {
                if !plan.regions[rf.region].allied {
                    if let Some(x) = ship[r][k] {
                        terms.push((x, 1.0));
                    }
                }
            }
        }
        if !terms.is_empty() {
            *slot = Some(lp.row(RowKind::ImportShare(e), terms, Sense::Le, share * total));
        }
    }
    let mut budget_row = None;
    if let Some(b) = plan.policy.budget {
        let terms: Vec<(usize, f64)> = (0..nr)
            .filter_map(|r| new[r].map(|n| (n, plan.refineries[r].capex)))
            .filter(|&(_, a)| a > 0.0)
            .collect();
        if !terms.is_empty() {
            let scale = terms.iter().map(|t| t.1).sum::<f64>() / terms.len() as f64;
            let scaled = terms.iter().map(|&(j, a)| (j, a / scale)).collect();
            let j = lp.row(RowKind::Budget, scaled, Sense::Le, b / scale);
            lp.rows[j].scale = scale;
            budget_row = Some(j);
        }
    }
    let mut market_row = vec![None; ne];
    for (e, slot) in market_row.iter_mut().enumerate() {
        if let Some(m) = plan.surplus.market[e] {
            let terms: Vec<(usize, f64)> = (0..nr)
                .filter_map(|r| sold[r][e].map(|q| (q, 1.0)))
                .collect();
            if !terms.is_empty() {
                *slot = Some(lp.row(RowKind::Market(e), terms, Sense::Le, m));
            }
        }
    }
    let mut fair_row = vec![None; nk];
    for (k, d) in plan.demand.iter().enumerate() {
        if let (Some(u), Some(phi)) = (unmet[k], fair[d.element]) {
            if plan.regions[d.region].allied {
                fair_row[k] = Some(lp.row(
                    RowKind::FairShare(k),
                    vec![(u, 1.0), (phi, -d.amount)],
                    Sense::Eq,
                    0.0,
                ));
            }
        }
    }

    // Elastic slacks on limits, each violation weighted 1 per tonne (the
    // budget row is stored in tonnes of capacity at the mean capex).
    let mut slack = vec![None; lp.rows.len()];
    if opts.elastic {
        for (j, slot) in slack.iter_mut().enumerate() {
            if lp.rows[j].kind.is_limit() {
                let id = lp.var(1.0);
                lp.rows[j].terms.push((id, -1.0));
                *slot = Some(id);
            }
        }
    }

    lp.layout = LpLayout {
        feed,
        new,
        modules,
        output,
        ship,
        import,
        sold,
        disposed,
        unmet,
        fair,
        slack,
        demand_row,
        source_row,
        capacity_row,
        max_new_row,
        import_cap_row,
        share_row,
        budget_row,
        market_row,
        coupling_row,
        fair_row,
    };
    lp
}

/// Makes the by-product coupling exact in a solution: each output is
/// recomputed as recovery x assay x feed, and the difference (at solver
/// tolerance, ~1e-10 of the plan's scale) is booked to disposal (or sale) so
/// that every balance row stays exact too.
pub fn polish(plan: &Plan, lp: &Lp, x: &mut [f64]) {
    let l = &lp.layout;
    for (r, rf) in plan.refineries.iter().enumerate() {
        for e in 0..plan.elements.len() {
            let Some(y) = l.output[r][e] else { continue };
            let exact: f64 = rf.recovery_of(e)
                * plan
                    .sources
                    .iter()
                    .enumerate()
                    .map(|(s, src)| src.assay[e] * x[l.feed[s][r]])
                    .sum::<f64>();
            let mut delta = exact - x[y];
            x[y] = exact;
            for slot in [l.disposed[r][e], l.sold[r][e]].into_iter().flatten() {
                let v = (x[slot] + delta).max(0.0);
                delta -= v - x[slot];
                x[slot] = v;
                if delta == 0.0 {
                    break;
                }
            }
        }
    }
}

/// Primal (and, where available, dual) values of one LP solve.
#[derive(Debug, Clone)]
pub struct RawSolution {
    /// Variable values, indexed like [`Lp::vars`].
    pub x: Vec<f64>,
    /// Shadow price of each row, `d objective / d rhs`.
    pub duals: Option<Vec<f64>>,
    /// Seconds spent turning the LP into the backend's model.
    pub build_s: f64,
    /// Seconds spent in the backend's solve.
    pub solve_s: f64,
}

/// Why a backend returned no solution.
#[derive(Debug, Clone, PartialEq)]
pub enum SolveFailure {
    /// The backend proved the problem infeasible.
    Infeasible,
    /// Anything else (numerical trouble, iteration limit, unbounded...).
    Other(String),
}

fn failure(e: ResolutionError) -> SolveFailure {
    match e {
        ResolutionError::Infeasible => SolveFailure::Infeasible,
        other => SolveFailure::Other(other.to_string()),
    }
}

/// Turns the LP into good_lp variables, objective and constraints.
fn to_good_lp(lp: &Lp) -> (ProblemVariables, Vec<Variable>, Expression, Vec<Constraint>) {
    let mut pv = ProblemVariables::new();
    let vars: Vec<Variable> = lp
        .vars
        .iter()
        .map(|d| {
            let mut def = good_lp::variable().min(d.min);
            if d.max.is_finite() {
                def = def.max(d.max);
            }
            if d.integer {
                def = def.integer();
            }
            pv.add(def)
        })
        .collect();
    let mut objective = Expression::with_capacity(lp.vars.len());
    for (j, d) in lp.vars.iter().enumerate() {
        if d.cost != 0.0 {
            objective.add_mul(d.cost, vars[j]);
        }
    }
    let constraints = lp
        .rows
        .iter()
        .map(|row| {
            let mut e = Expression::with_capacity(row.terms.len());
            for &(j, a) in &row.terms {
                e.add_mul(a, vars[j]);
            }
            // Constants always on the right, so that good_lp's dual is
            // d objective / d rhs as written here.
            match row.sense {
                Sense::Le => e.leq(row.rhs),
                Sense::Ge => e.geq(Expression::from(row.rhs)),
                Sense::Eq => e.eq(row.rhs),
            }
        })
        .collect();
    (pv, vars, objective, constraints)
}

/// Solves with Clarabel (continuous; integer marks must be relaxed first).
pub fn solve_clarabel(lp: &Lp) -> Result<RawSolution, SolveFailure> {
    let t0 = Instant::now();
    let (pv, vars, objective, constraints) = to_good_lp(lp);
    let mut model: ClarabelProblem = pv.minimise(objective).using(good_lp::clarabel);
    model
        .settings()
        .tol_gap_abs(1e-9)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .tol_ktratio(1e-9)
        .max_iter(500);
    let refs: Vec<_> = constraints
        .into_iter()
        .map(|c| model.add_constraint(c))
        .collect();
    let build_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut sol = model.solve().map_err(failure)?;
    let solve_s = t1.elapsed().as_secs_f64();
    let x = vars.iter().map(|&v| sol.value(v)).collect();
    let dual = sol.compute_dual();
    let duals = refs.iter().map(|r| dual.dual(r.clone())).collect();
    Ok(RawSolution {
        x,
        duals: Some(duals),
        build_s,
        solve_s,
    })
}

/// Solves with microlp (exact integers; no dual values).
pub fn solve_microlp(lp: &Lp) -> Result<RawSolution, SolveFailure> {
    let t0 = Instant::now();
    let (pv, vars, objective, constraints) = to_good_lp(lp);
    let mut model = pv.minimise(objective).using(good_lp::microlp);
    for c in constraints {
        model.add_constraint(c);
    }
    let build_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let sol = model.solve().map_err(failure)?;
    let solve_s = t1.elapsed().as_secs_f64();
    let x = vars.iter().map(|&v| sol.value(v)).collect();
    Ok(RawSolution {
        x,
        duals: None,
        build_s,
        solve_s,
    })
}

/// Solves with HiGHS (needs the `highs` cargo feature).
#[cfg(feature = "highs")]
pub fn solve_highs(lp: &Lp) -> Result<RawSolution, SolveFailure> {
    let t0 = Instant::now();
    let (pv, vars, objective, constraints) = to_good_lp(lp);
    let mut model = pv.minimise(objective).using(good_lp::highs);
    let refs: Vec<_> = constraints
        .into_iter()
        .map(|c| model.add_constraint(c))
        .collect();
    let integer = lp.integer_count() > 0;
    let build_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut sol = model.solve().map_err(failure)?;
    let solve_s = t1.elapsed().as_secs_f64();
    let x = vars.iter().map(|&v| sol.value(v)).collect();
    let duals = if integer {
        None
    } else {
        let dual = sol.compute_dual();
        Some(refs.iter().map(|r| dual.dual(r.clone())).collect())
    };
    Ok(RawSolution {
        x,
        duals,
        build_s,
        solve_s,
    })
}

/// Solves with HiGHS (needs the `highs` cargo feature).
#[cfg(not(feature = "highs"))]
pub fn solve_highs(_lp: &Lp) -> Result<RawSolution, SolveFailure> {
    Err(SolveFailure::Other(
        "this sxforge was built without HiGHS; rebuild with `cargo build --release --features highs` (needs cmake and libclang)".to_string(),
    ))
}

/// The backend `Auto` resolves to for this plan.
pub fn resolve_backend(_plan: &Plan, requested: Backend) -> Backend {
    match requested {
        Backend::Auto => Backend::Microlp,
        b => b,
    }
}
