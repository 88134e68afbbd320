//! Multi-period capacity plans (issue 12 items 1-4): a horizon of years with
//! construction lead times and ramp-up, demand growth, discounting, budgets,
//! strategic stockpiles, import shocks over time, and a two-stage stochastic
//! plan over weighted futures.
//!
//! A horizon plan is a one-year plan file ([`crate::capacity::Plan`]) plus a
//! `[horizon]` table, optional `lead_time` / `ramp_up` on refineries and
//! sources, `[[stockpile]]`, `[[shock]]` and `[[future]]` entries. The
//! one-year planner is untouched; this module builds its own LP (same sparse
//! form, [`Lp`]) and solves it to a vertex optimum with the default pure-Rust
//! backend (`exact::solve_vertex`, microlp).
//!
//! The model, per future `f` (probability `p_f`) and year `y` (index 0 is
//! `first_year`, discount factor `d_y = (1+r)^-y`):
//!
//! * **first stage** (shared by every future): new capacity `build[r][t]`,
//!   paid in year `t` (`capex x d_t`), producing from `t + lead_time` at
//!   `ramp_up[k]` of nameplate in its `k`-th operating year (1 after the
//!   list); stock purchases `buy[p][i][t]` from import `i` at its price;
//! * **second stage** (per future): ore feed, shipments, imports, sales,
//!   disposal, unmet demand, stock releases, all at `p_f x d_y` x cost; the
//!   stock level `L_f[p][y] = L_f[p][y-1] + buys - releases` (held at a cost
//!   per t at each year end, within the stockpile's capacity); a year's
//!   releases come from the stock held at the end of the year before;
//! * import capacity in a future is cut by its shocks (`factor` from `from`
//!   to `to`), and stock purchases count against it;
//! * a stockpile target (`cover_days`, `survive_ban_years`) holds at the end
//!   of every year before the future's first shock starts.
//!
//! The LP leaves out what must be zero or can be pooled without changing
//! any optimum (issue 12, speed): capacity built too late to arrive within
//! the horizon; per-refinery shipments, sales and disposal (transport costs
//! depend on regions only, so each region's refineries pool their output of
//! an element in one balance row, and where every shipment between two
//! regions costs the same, output bound elsewhere goes through one hub per
//! side, see `hub_cost`); and each surplus sale carries its
//! market as an upper bound besides the market row, so that every
//! negative cost has a finite bound and microlp's dual simplex starts dual
//! feasible (no artificial phase). With the first stage fixed (the
//! reference plan across the futures) each future is solved on its own
//! ([`evaluate`]).
//!
//! Not modelled (errors where the file asks for them): whole plant modules
//! and `fair_share`.
// Year x future x element index loops read clearer with explicit indices.
#![allow(clippy::needless_range_loop)]

use super::error::{locate_issue, InputIssue, PlanError};
use super::exact;
use super::load::PlanFile;
use super::lp::{Lp, Row, RowKind, Sense, VarDef};
use super::overrides::Override;
use super::plan::Plan;
use super::schema::{RawPlan, RawShock};

/// An import capacity cut over a range of years (year indices, inclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct Shock {
    /// Import index.
    pub import: usize,
    /// First year index.
    pub from: usize,
    /// Last year index.
    pub to: usize,
    /// Capacity multiplier.
    pub factor: f64,
    /// Elements cut.
    pub elements: Vec<bool>,
}

/// One future of a stochastic plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Future {
    /// Name.
    pub name: String,
    /// Probability.
    pub probability: f64,
    /// Shocks (including the file's common `[[shock]]`s).
    pub shocks: Vec<Shock>,
}

impl Future {
    /// Year index of the first shock (None: no shock).
    pub fn first_shock(&self) -> Option<usize> {
        self.shocks.iter().map(|s| s.from).min()
    }

    /// Capacity multiplier of import `i`, element `e`, in year `y`.
    pub fn factor(&self, i: usize, e: usize, y: usize) -> f64 {
        self.shocks
            .iter()
            .filter(|s| s.import == i && s.elements[e] && s.from <= y && y <= s.to)
            .map(|s| s.factor)
            .fold(1.0, f64::min)
    }
}

/// A strategic stockpile.
#[derive(Debug, Clone, PartialEq)]
pub struct Stockpile {
    /// Region index.
    pub region: usize,
    /// Element index.
    pub element: usize,
    /// Largest stock, t.
    pub capacity: f64,
    /// Initial stock, t.
    pub initial: f64,
    /// Holding cost per t-year.
    pub holding: f64,
    /// Target, in years of the region's demand of the element.
    pub target_years: f64,
}

/// A validated horizon plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Horizon {
    /// The one-year plan (year-0 demand, costs, capacities).
    pub plan: Plan,
    /// First calendar year.
    pub first_year: i64,
    /// Number of years.
    pub years: usize,
    /// Demand multiplier `[e][y]`.
    pub demand_factor: Vec<Vec<f64>>,
    /// Capex cap per year.
    pub budget_per_year: Option<f64>,
    /// Lead time per refinery, years.
    pub refinery_lead: Vec<usize>,
    /// Ramp-up per refinery.
    pub refinery_ramp: Vec<Vec<f64>>,
    /// Lead time per source, years.
    pub source_lead: Vec<usize>,
    /// Ramp-up per source.
    pub source_ramp: Vec<Vec<f64>>,
    /// Stockpiles.
    pub stockpiles: Vec<Stockpile>,
    /// Futures (one, probability 1, for a deterministic plan).
    pub futures: Vec<Future>,
    /// Index of the reference future for the value of the stochastic
    /// solution.
    pub reference: usize,
}

fn ramp(r: &[f64], k: usize) -> f64 {
    r.get(k).copied().unwrap_or(1.0)
}

impl Horizon {
    /// Discount factor of year index `y`.
    pub fn discount(&self, y: usize) -> f64 {
        (1.0 + self.plan.policy.discount_rate).powi(-(y as i32))
    }

    /// Demand of row `k` in year `y`.
    pub fn demand(&self, k: usize, y: usize) -> f64 {
        let d = &self.plan.demand[k];
        d.amount * self.demand_factor[d.element][y]
    }

    /// Share of a unit of refinery `r` capacity built in year `t` that is
    /// available in year `y`.
    pub fn available(&self, r: usize, t: usize, y: usize) -> f64 {
        let start = t + self.refinery_lead[r];
        if y < start {
            0.0
        } else {
            ramp(&self.refinery_ramp[r], y - start)
        }
    }

    /// Ore capacity of source `s` in year `y`.
    pub fn source_capacity(&self, s: usize, y: usize) -> f64 {
        let l = self.source_lead[s];
        if y < l {
            0.0
        } else {
            self.plan.sources[s].capacity * ramp(&self.source_ramp[s], y - l)
        }
    }

    /// Calendar year of index `y`.
    pub fn year(&self, y: usize) -> i64 {
        self.first_year + y as i64
    }
}

/// Reads the horizon part of a plan file (None when it has no `[horizon]`).
pub fn from_file(file: &PlanFile, sets: &[Override]) -> Result<Option<Horizon>, PlanError> {
    let raw = file.raw();
    if raw.horizon.is_none() {
        return Ok(None);
    }
    let plan = file.plan(None, sets)?;
    let mut issues = Vec::new();
    let h = validate(raw, plan, &mut issues);
    if issues.is_empty() {
        return Ok(h);
    }
    Err(PlanError::Input {
        file: file.path.clone(),
        issues: issues
            .into_iter()
            .map(|i| locate_issue(i, &file.path, file.text(), None))
            .collect(),
    })
}

/// Parses a horizon plan from text (tests and library users).
pub fn horizon_from_str(text: &str) -> Result<Horizon, PlanError> {
    let file = PlanFile::parse(std::path::Path::new("<plan>"), text.to_string())?;
    from_file(&file, &[])?.ok_or_else(|| PlanError::Input {
        file: "<plan>".into(),
        issues: vec![super::error::issue(
            "horizon",
            "(absent)",
            "a [horizon] table",
        )],
    })
}

fn issue(v: &mut Vec<InputIssue>, key: String, value: impl ToString, expected: &str) {
    v.push(super::error::issue(key, value.to_string(), expected));
}

fn years_of(v: Option<f64>, key: String, issues: &mut Vec<InputIssue>) -> usize {
    match v {
        None => 0,
        Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= 100.0 => x as usize,
        Some(x) => {
            issue(issues, key, x, "a whole number of years in 0..=100");
            0
        }
    }
}

fn ramp_of(v: &Option<Vec<f64>>, key: String, issues: &mut Vec<InputIssue>) -> Vec<f64> {
    let r = v.clone().unwrap_or_default();
    for (k, x) in r.iter().enumerate() {
        if !(0.0..=1.0).contains(x) {
            issue(issues, format!("{key}[{k}]"), x, "a share in [0, 1]");
        }
    }
    r
}

fn validate(raw: &RawPlan, plan: Plan, issues: &mut Vec<InputIssue>) -> Option<Horizon> {
    let hz = raw.horizon.as_ref()?;
    let ne = plan.elements.len();
    if !(1..=100).contains(&hz.years) {
        issue(issues, "horizon.years".into(), hz.years, "1..=100 years");
        return None;
    }
    let years = hz.years as usize;
    // Growth: a number or { default, El }.
    let mut growth = vec![0.0; ne];
    match &hz.growth {
        None => {}
        Some(toml::Value::Float(_) | toml::Value::Integer(_)) => {
            let g = hz.growth.as_ref().and_then(num).unwrap_or(0.0);
            growth = vec![g; ne];
        }
        Some(toml::Value::Table(t)) => {
            let d = t.get("default").and_then(num).unwrap_or(0.0);
            growth = vec![d; ne];
            for (k, v) in t {
                if k == "default" {
                    continue;
                }
                match (plan.element_index(k), num(v)) {
                    (Some(e), Some(g)) => growth[e] = g,
                    _ => issue(
                        issues,
                        format!("horizon.growth.{k}"),
                        v,
                        "a plan element with a number",
                    ),
                }
            }
        }
        Some(v) => issue(
            issues,
            "horizon.growth".into(),
            v,
            "a number or { default = .., El = .. }",
        ),
    }
    for (e, g) in growth.iter().enumerate() {
        if *g <= -1.0 || !g.is_finite() {
            issue(
                issues,
                format!("horizon.growth.{}", plan.elements[e]),
                g,
                "a growth rate above -1",
            );
        }
    }
    let mut demand_factor: Vec<Vec<f64>> = growth
        .iter()
        .map(|g| (0..years).map(|y| (1.0 + g).powi(y as i32)).collect())
        .collect();
    for (el, f) in &hz.demand_factor {
        let key = format!("horizon.demand_factor.{el}");
        match plan.element_index(el) {
            None => issue(issues, key, el, "an element of the plan"),
            Some(_) if f.len() != years => issue(
                issues,
                key,
                format!("{} values", f.len()),
                &format!("one factor per year ({years})"),
            ),
            Some(_) if f.iter().any(|x| !(*x >= 0.0 && x.is_finite())) => {
                issue(issues, key, format!("{f:?}"), "non-negative factors")
            }
            Some(e) => demand_factor[e] = f.clone(),
        }
    }
    if let Some(b) = hz.budget_per_year {
        if b.is_nan() || b < 0.0 {
            issue(
                issues,
                "horizon.budget_per_year".into(),
                b,
                "a non-negative number",
            );
        }
    }
    if plan.policy.fair_share {
        issue(
            issues,
            "policy.fair_share".into(),
            true,
            "false (fair shares are not modelled in horizon plans)",
        );
    }
    let mut refinery_lead = Vec::new();
    let mut refinery_ramp = Vec::new();
    for (r, rf) in raw.refinery.iter().enumerate() {
        if rf.module.is_some() {
            issue(
                issues,
                format!("refinery[{r}].module"),
                rf.module.unwrap_or(0.0),
                "no module (whole plant modules are not modelled in horizon plans)",
            );
        }
        refinery_lead.push(years_of(
            rf.lead_time,
            format!("refinery[{r}].lead_time"),
            issues,
        ));
        refinery_ramp.push(ramp_of(
            &rf.ramp_up,
            format!("refinery[{r}].ramp_up"),
            issues,
        ));
    }
    let mut source_lead = Vec::new();
    let mut source_ramp = Vec::new();
    for (s, src) in raw.source.iter().enumerate() {
        source_lead.push(years_of(
            src.lead_time,
            format!("source[{s}].lead_time"),
            issues,
        ));
        source_ramp.push(ramp_of(
            &src.ramp_up,
            format!("source[{s}].ramp_up"),
            issues,
        ));
    }
    let mut stockpiles = Vec::new();
    for (p, sp) in raw.stockpile.iter().enumerate() {
        let key = |k: &str| format!("stockpile[{p}].{k}");
        let region = plan.region_index(&sp.region);
        let element = plan.element_index(&sp.element);
        if region.is_none() {
            issue(issues, key("region"), &sp.region, "a region of the plan");
        }
        if element.is_none() {
            issue(
                issues,
                key("element"),
                &sp.element,
                "an element of the plan",
            );
        }
        for (k, v) in [
            ("capacity", sp.capacity),
            ("initial", sp.initial),
            ("holding", sp.holding),
            ("cover_days", sp.cover_days.unwrap_or(0.0)),
            ("survive_ban_years", sp.survive_ban_years.unwrap_or(0.0)),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                issue(issues, key(k), v, "a non-negative number");
            }
        }
        if sp.initial > sp.capacity {
            issue(issues, key("initial"), sp.initial, "at most the capacity");
        }
        if let (Some(region), Some(element)) = (region, element) {
            stockpiles.push(Stockpile {
                region,
                element,
                capacity: sp.capacity,
                initial: sp.initial,
                holding: sp.holding,
                target_years: sp.cover_days.unwrap_or(0.0) / 365.0
                    + sp.survive_ban_years.unwrap_or(0.0),
            });
        }
    }
    let first_year = hz.first_year;
    let shock = |s: &RawShock, key: String, issues: &mut Vec<InputIssue>| -> Option<Shock> {
        let import = plan.imports.iter().position(|i| i.name == s.import);
        if import.is_none() {
            issue(
                issues,
                format!("{key}.import"),
                &s.import,
                "an import of the plan",
            );
        }
        let last = first_year + years as i64 - 1;
        let to = s.to.unwrap_or(last);
        if s.from < first_year || s.from > last || to < s.from {
            issue(
                issues,
                format!("{key}.from"),
                format!("{}..{}", s.from, to),
                &format!("years within {first_year}..{last}, from <= to"),
            );
            return None;
        }
        if !(0.0..=1.0).contains(&s.factor) {
            issue(
                issues,
                format!("{key}.factor"),
                s.factor,
                "a multiplier in [0, 1]",
            );
        }
        let mut elements = vec![s.elements.is_none(); ne];
        for el in s.elements.iter().flatten() {
            match plan.element_index(el) {
                Some(e) => elements[e] = true,
                None => issue(
                    issues,
                    format!("{key}.elements"),
                    el,
                    "elements of the plan",
                ),
            }
        }
        let import = import?;
        if s.factor > 0.0 {
            for (e, &cut) in elements.iter().enumerate() {
                if cut
                    && plan.imports[import].price[e].is_some()
                    && plan.imports[import].capacity[e].is_none()
                {
                    issue(
                        issues,
                        format!("{key}.factor"),
                        s.factor,
                        &format!(
                            "0, or a capacity for {} on import {} (an unlimited capacity cannot be scaled)",
                            plan.elements[e], s.import
                        ),
                    );
                }
            }
        }
        Some(Shock {
            import,
            from: (s.from - first_year) as usize,
            to: (to.min(last) - first_year) as usize,
            factor: s.factor,
            elements,
        })
    };
    let common: Vec<Shock> = raw
        .shock
        .iter()
        .enumerate()
        .filter_map(|(j, s)| shock(s, format!("shock[{j}]"), issues))
        .collect();
    let mut futures = Vec::new();
    for (f, fu) in raw.future.iter().enumerate() {
        if !(fu.probability > 0.0 && fu.probability <= 1.0) {
            issue(
                issues,
                format!("future[{f}].probability"),
                fu.probability,
                "a probability in (0, 1]",
            );
        }
        if raw.future[..f].iter().any(|g| g.name == fu.name) {
            issue(
                issues,
                format!("future[{f}].name"),
                &fu.name,
                "a unique name",
            );
        }
        let mut shocks = common.clone();
        shocks.extend(
            fu.shock
                .iter()
                .enumerate()
                .filter_map(|(j, s)| shock(s, format!("future[{f}].shock[{j}]"), issues)),
        );
        futures.push(Future {
            name: fu.name.clone(),
            probability: fu.probability,
            shocks,
        });
    }
    if futures.is_empty() {
        futures.push(Future {
            name: "base".into(),
            probability: 1.0,
            shocks: common,
        });
    } else {
        let total: f64 = futures.iter().map(|f| f.probability).sum();
        if (total - 1.0).abs() > 1e-9 {
            issue(
                issues,
                "future".into(),
                total,
                "probabilities that sum to 1",
            );
        }
    }
    let reference = match &hz.reference {
        Some(n) => match futures.iter().position(|f| &f.name == n) {
            Some(i) => i,
            None => {
                issue(
                    issues,
                    "horizon.reference".into(),
                    n,
                    "the name of a future",
                );
                0
            }
        },
        None => futures
            .iter()
            .position(|f| f.shocks.is_empty())
            .unwrap_or_else(|| {
                let mut best = 0;
                for (i, f) in futures.iter().enumerate() {
                    if f.probability > futures[best].probability {
                        best = i;
                    }
                }
                best
            }),
    };
    if !issues.is_empty() {
        return None;
    }
    Some(Horizon {
        budget_per_year: hz.budget_per_year,
        plan,
        first_year,
        years,
        demand_factor,
        refinery_lead,
        refinery_ramp,
        source_lead,
        source_ramp,
        stockpiles,
        futures,
        reference,
    })
}

fn num(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// First-stage decisions: what is built and bought, shared by all futures.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstStage {
    /// New capacity `[r][t]`, t/yr.
    pub build: Vec<Vec<f64>>,
    /// Stock purchases `[p][i][t]`, t.
    pub buy: Vec<Vec<Vec<f64>>>,
}

/// What happened in one future, year by year.
#[derive(Debug, Clone, PartialEq)]
pub struct FutureResult {
    /// Discounted cost of this future (first stage included).
    pub cost: f64,
    /// Alliance supply of element `[e][y]` from allied refineries.
    pub refined: Vec<Vec<f64>>,
    /// ... from non-allied refineries.
    pub outside_refined: Vec<Vec<f64>>,
    /// ... from imports.
    pub imported: Vec<Vec<f64>>,
    /// ... from stock releases.
    pub released: Vec<Vec<f64>>,
    /// ... unmet.
    pub unmet: Vec<Vec<f64>>,
    /// Stock level `[p][y]` at the end of each year.
    pub stock: Vec<Vec<f64>>,
    /// Refinery capacity available `[r][y]`.
    pub capacity: Vec<Vec<f64>>,
}

impl FutureResult {
    /// Share of alliance demand of element `e` in year `y` from outside.
    pub fn outside_share(&self, e: usize, y: usize) -> f64 {
        let total = self.refined[e][y]
            + self.outside_refined[e][y]
            + self.imported[e][y]
            + self.released[e][y]
            + self.unmet[e][y];
        if total <= 0.0 {
            0.0
        } else {
            (self.imported[e][y] + self.outside_refined[e][y]) / total
        }
    }

    /// First year index from which element `e` needs nothing from outside
    /// and nothing is unmet, through the end of the horizon (None: never).
    pub fn independence(&self, e: usize) -> Option<usize> {
        let n = self.refined[e].len();
        let ok = |y: usize| {
            let total = self.refined[e][y] + self.imported[e][y] + self.outside_refined[e][y];
            let tol = 1e-7 * total.max(1.0);
            self.imported[e][y] + self.outside_refined[e][y] <= tol && self.unmet[e][y] <= tol
        };
        let mut first = None;
        for y in (0..n).rev() {
            if ok(y) {
                first = Some(y);
            } else {
                break;
            }
        }
        first
    }
}

/// A solved horizon model.
#[derive(Debug, Clone, PartialEq)]
pub struct HorizonSolution {
    /// Expected discounted cost.
    pub objective: f64,
    /// Shared decisions.
    pub first: FirstStage,
    /// One result per future.
    pub futures: Vec<FutureResult>,
}

/// What to solve: which futures, fixed first stage, stockpiles on or off.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// Solve for this future alone (probability 1) instead of all.
    pub only: Option<usize>,
    /// Fix the first stage to these decisions.
    pub fixed: Option<&'a FirstStage>,
    /// Leave the stockpiles out.
    pub no_stockpiles: bool,
    /// `(element, year index)`: no alliance demand of the element is served
    /// from outside or left unmet from that year on, in every future.
    pub independent: Option<(usize, usize)>,
}

/// What a row of the horizon LP is, for its marginal value (years are
/// indices; rows of every future share a tag).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    Other,
    /// Demand row `k` in year `y`.
    Demand(usize, usize),
    /// Import-share cap of element `e` in year `y`.
    Share(usize, usize),
    Source(usize),
    Refinery(usize),
    MaxNew(usize),
    BudgetYear(usize),
    BudgetTotal,
    ImportCap(usize, usize),
    StockCap(usize),
}

struct Builder {
    lp: Lp,
    /// One tag per row.
    tags: Vec<Tag>,
    /// Tag of the next row.
    tag: Tag,
}

impl Builder {
    fn var(&mut self, cost: f64, max: f64) -> usize {
        self.lp.vars.push(VarDef {
            min: 0.0,
            max,
            integer: false,
            cost,
        });
        self.lp.vars.len() - 1
    }
    fn row(&mut self, kind: RowKind, terms: Vec<(usize, f64)>, sense: Sense, rhs: f64) {
        self.tags.push(std::mem::replace(&mut self.tag, Tag::Other));
        self.lp.rows.push(Row {
            kind,
            terms,
            sense,
            rhs,
            scale: 1.0,
        });
    }
}

/// Per-future variable ids, `[y]` first.
struct FutureVars {
    feed: Vec<Vec<Vec<Option<usize>>>>,
    ship: Vec<Vec<Vec<Option<usize>>>>,
    import: Vec<Vec<Vec<Option<usize>>>>,
    release: Vec<Vec<Option<usize>>>,
    unmet: Vec<Vec<Option<usize>>>,
    level: Vec<Vec<Option<usize>>>,
    cost_terms: Vec<(usize, f64)>,
}

/// The LP of a horizon plan with the ids needed to read its solution.
struct Model {
    b: Builder,
    build: Vec<Vec<Option<usize>>>,
    buy: Vec<Vec<Vec<Option<usize>>>>,
    first_vars: usize,
    fvars: Vec<FutureVars>,
    np: usize,
}

/// Solves a horizon plan (all futures, or as `opts` says). `Err` carries
/// why it failed (infeasible, solver failure).
pub fn solve(h: &Horizon, opts: &Options) -> Result<HorizonSolution, String> {
    let m = model(h, opts);
    let raw = exact::solve_vertex(&m.b.lp).map_err(|e| format!("{e:?}"))?;
    Ok(extract(h, &m, &raw.x))
}

fn model(h: &Horizon, opts: &Options) -> Model {
    let plan = &h.plan;
    let (ns, nr, ne, nk, ni) = (
        plan.sources.len(),
        plan.refineries.len(),
        plan.elements.len(),
        plan.demand.len(),
        plan.imports.len(),
    );
    let ny = h.years;
    // Demand row `k` in year `y` must not be served from outside nor left
    // unmet (Options::independent).
    let shut = |k: usize, y: usize| {
        opts.independent.is_some_and(|(e, from)| {
            let d = &plan.demand[k];
            d.element == e && plan.regions[d.region].allied && y >= from
        })
    };
    let stockpiles: &[Stockpile] = if opts.no_stockpiles {
        &[]
    } else {
        &h.stockpiles
    };
    let np = stockpiles.len();
    let futures: Vec<(usize, f64)> = match opts.only {
        Some(f) => vec![(f, 1.0)],
        None => h
            .futures
            .iter()
            .enumerate()
            .map(|(i, f)| (i, f.probability))
            .collect(),
    };
    // Refineries of one region share their output's shipments, sales and
    // disposal (transport costs depend on regions only): one balance row
    // per region and element, shipments from the region's first refinery.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (r, rf) in plan.refineries.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|g| plan.refineries[g[0]].region == rf.region)
        {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    let hub = hub_cost(plan, &groups);
    let mut b = Builder {
        lp: Lp::default(),
        tags: Vec::new(),
        tag: Tag::Other,
    };
    // First stage.
    let mut build = vec![vec![None; ny]; nr];
    for (r, rf) in plan.refineries.iter().enumerate() {
        if rf.max_new <= 0.0 {
            continue;
        }
        for (t, slot) in build[r].iter_mut().enumerate() {
            // Capacity that would arrive after the horizon is never built.
            if t + h.refinery_lead[r] >= ny && opts.fixed.is_none_or(|fx| fx.build[r][t] == 0.0) {
                continue;
            }
            let v = b.var(rf.capex * h.discount(t), f64::INFINITY);
            if let Some(fx) = opts.fixed {
                b.lp.vars[v].min = fx.build[r][t];
                b.lp.vars[v].max = fx.build[r][t];
            }
            *slot = Some(v);
        }
        let terms: Vec<(usize, f64)> = build[r].iter().flatten().map(|&v| (v, 1.0)).collect();
        if !terms.is_empty() {
            b.tag = Tag::MaxNew(r);
            b.row(RowKind::MaxNew(r), terms, Sense::Le, rf.max_new);
        }
    }
    for t in 0..ny {
        let terms: Vec<(usize, f64)> = (0..nr)
            .filter_map(|r| build[r][t].map(|v| (v, plan.refineries[r].capex)))
            .collect();
        if let (Some(cap), false) = (h.budget_per_year, terms.is_empty()) {
            b.tag = Tag::BudgetYear(t);
            b.row(RowKind::Budget, terms, Sense::Le, cap);
        }
    }
    if let Some(cap) = plan.policy.budget {
        let terms: Vec<(usize, f64)> = (0..nr)
            .flat_map(|r| build[r].iter().flatten().map(move |&v| (v, r)))
            .map(|(v, r)| (v, plan.refineries[r].capex))
            .collect();
        if !terms.is_empty() {
            b.tag = Tag::BudgetTotal;
            b.row(RowKind::Budget, terms, Sense::Le, cap);
        }
    }
    // buy[p][i][t]
    let mut buy = vec![vec![vec![None; ny]; ni]; np];
    for (p, sp) in stockpiles.iter().enumerate() {
        for (i, im) in plan.imports.iter().enumerate() {
            let Some(price) = im.price[sp.element] else {
                continue;
            };
            let c = price + plan.transport[im.region][sp.region];
            for (t, slot) in buy[p][i].iter_mut().enumerate() {
                let v = b.var(c * h.discount(t), f64::INFINITY);
                if let Some(fx) = opts.fixed {
                    b.lp.vars[v].min = fx.buy[p][i][t];
                    b.lp.vars[v].max = fx.buy[p][i][t];
                }
                *slot = Some(v);
            }
        }
    }
    let first_vars = b.lp.vars.len();
    // Second stage.
    let mut fvars = Vec::new();
    for &(f, prob) in &futures {
        let fu = &h.futures[f];
        let mut fv = FutureVars {
            feed: Vec::new(),
            ship: Vec::new(),
            import: Vec::new(),
            release: Vec::new(),
            unmet: Vec::new(),
            level: Vec::new(),
            cost_terms: Vec::new(),
        };
        for y in 0..ny {
            let w = prob * h.discount(y);
            let start = b.lp.vars.len();
            let mut feed = vec![vec![None; nr]; ns];
            for (s, src) in plan.sources.iter().enumerate() {
                let cap = h.source_capacity(s, y);
                if cap <= 0.0 {
                    continue;
                }
                for (r, rf) in plan.refineries.iter().enumerate() {
                    let c = src.cost + plan.transport[src.region][rf.region] + rf.opex;
                    feed[s][r] = Some(b.var(w * c, f64::INFINITY));
                }
                let terms = feed[s].iter().flatten().map(|&v| (v, 1.0)).collect();
                b.tag = Tag::Source(s);
                b.row(RowKind::SourceCapacity(s), terms, Sense::Le, cap);
            }
            for (r, rf) in plan.refineries.iter().enumerate() {
                let mut terms: Vec<(usize, f64)> = (0..ns)
                    .filter_map(|s| feed[s][r].map(|v| (v, 1.0)))
                    .collect();
                for (t, v) in build[r].iter().enumerate() {
                    let a = h.available(r, t, y);
                    if let (Some(v), true) = (v, a > 0.0) {
                        terms.push((*v, -a));
                    }
                }
                b.tag = Tag::Refinery(r);
                b.row(RowKind::RefineryCapacity(r), terms, Sense::Le, rf.existing);
            }
            // ship[r][k]: from region group r (first refinery) or, at
            // nr + class, from the allied (0) or outside (1) hub.
            let mut ship = vec![vec![None; nk]; nr + 2];
            let mut sold = vec![vec![None; ne]; nr];
            let mut to_hub = vec![vec![Vec::new(); ne]; 2];
            for g in &groups {
                let r = g[0];
                let rf = &plan.refineries[r];
                let class = usize::from(!plan.regions[rf.region].allied);
                for e in 0..ne {
                    let out: Vec<(usize, f64)> = g
                        .iter()
                        .flat_map(|&r| {
                            let rf = &plan.refineries[r];
                            let feed = &feed;
                            (0..ns).filter_map(move |s| {
                                let a = plan.sources[s].assay[e] * rf.recovery_of(e);
                                feed[s][r].filter(|_| a > 0.0).map(|v| (v, a))
                            })
                        })
                        .collect();
                    if out.is_empty() {
                        continue;
                    }
                    let mut terms = out;
                    let mut far = false;
                    for (k, d) in plan.demand.iter().enumerate() {
                        if d.element == e && hub.is_some() && d.region != rf.region {
                            far = true;
                        } else if d.element == e {
                            let closed = !plan.regions[rf.region].allied && shut(k, y);
                            let max = if closed { 0.0 } else { f64::INFINITY };
                            let v = b.var(w * plan.transport[rf.region][d.region], max);
                            ship[r][k] = Some(v);
                            terms.push((v, -1.0));
                        }
                    }
                    if let (Some(c), true) = (hub, far) {
                        let v = b.var(w * c, f64::INFINITY);
                        to_hub[class][e].push(v);
                        terms.push((v, -1.0));
                    }
                    let disp = b.var(w * plan.surplus.disposal[e], f64::INFINITY);
                    terms.push((disp, -1.0));
                    if let Some(p) = plan.surplus.price[e] {
                        // The market row caps every region's sales too: as a
                        // bound it lets the simplex start dual feasible (a
                        // negative cost at a finite upper bound).
                        let max = plan.surplus.market[e].unwrap_or(f64::INFINITY);
                        let v = b.var(-w * p, max);
                        sold[r][e] = Some(v);
                        terms.push((v, -1.0));
                    }
                    b.row(RowKind::Balance(r, e), terms, Sense::Eq, 0.0);
                }
            }
            for (class, inflow) in to_hub.iter().enumerate() {
                for (e, inflow) in inflow.iter().enumerate() {
                    if inflow.is_empty() {
                        continue;
                    }
                    let mut terms: Vec<(usize, f64)> = inflow.iter().map(|&v| (v, 1.0)).collect();
                    for (k, d) in plan.demand.iter().enumerate() {
                        if d.element == e {
                            let max = if class == 1 && shut(k, y) {
                                0.0
                            } else {
                                f64::INFINITY
                            };
                            let v = b.var(0.0, max);
                            ship[nr + class][k] = Some(v);
                            terms.push((v, -1.0));
                        }
                    }
                    b.row(RowKind::Balance(nr + 1 + class, e), terms, Sense::Eq, 0.0);
                }
            }
            for e in 0..ne {
                if let Some(m) = plan.surplus.market[e] {
                    let terms: Vec<(usize, f64)> = (0..nr)
                        .filter_map(|r| sold[r][e].map(|v| (v, 1.0)))
                        .collect();
                    if !terms.is_empty() {
                        b.row(RowKind::Market(e), terms, Sense::Le, m);
                    }
                }
            }
            let mut import = vec![vec![None; nk]; ni];
            for (i, im) in plan.imports.iter().enumerate() {
                for (k, d) in plan.demand.iter().enumerate() {
                    if let Some(p) = im.price[d.element] {
                        let c = p + plan.transport[im.region][d.region];
                        let max = if shut(k, y) { 0.0 } else { f64::INFINITY };
                        import[i][k] = Some(b.var(w * c, max));
                    }
                }
                for e in 0..ne {
                    let mut terms: Vec<(usize, f64)> = (0..nk)
                        .filter(|&k| plan.demand[k].element == e)
                        .filter_map(|k| import[i][k].map(|v| (v, 1.0)))
                        .collect();
                    for (p, sp) in stockpiles.iter().enumerate() {
                        if sp.element == e {
                            terms.extend(buy[p][i][y].map(|v| (v, 1.0)));
                        }
                    }
                    let factor = fu.factor(i, e, y);
                    let cap = match im.capacity[e] {
                        Some(c) => c * factor,
                        None if factor < 1.0 => 0.0,
                        None => continue,
                    };
                    if !terms.is_empty() {
                        b.tag = Tag::ImportCap(i, e);
                        b.row(RowKind::ImportCapacity(i, e), terms, Sense::Le, cap);
                    }
                }
            }
            // Stock.
            let mut release = vec![None; np];
            let mut level = vec![None; np];
            for (p, sp) in stockpiles.iter().enumerate() {
                release[p] = Some(b.var(0.0, f64::INFINITY));
                let l = b.var(w * sp.holding, f64::INFINITY);
                level[p] = Some(l);
                b.tag = Tag::StockCap(p);
                b.row(
                    RowKind::Balance(nr, p),
                    vec![(l, 1.0)],
                    Sense::Le,
                    sp.capacity,
                );
                // L_y - L_{y-1} - buys + release = 0 (L_{-1} = initial).
                let mut terms = vec![(l, 1.0), (release[p].unwrap_or(l), 1.0)];
                let prev = fv.level.last().and_then(|lv: &Vec<Option<usize>>| lv[p]);
                let rhs = match prev {
                    Some(v) => {
                        terms.push((v, -1.0));
                        0.0
                    }
                    None => sp.initial,
                };
                for i in 0..ni {
                    terms.extend(buy[p][i][y].map(|v| (v, -1.0)));
                }
                b.row(RowKind::Balance(nr, p), terms, Sense::Eq, rhs);
                // Releases come from last year's stock: what is bought in a
                // year enters the reserve at its end.
                let rel = release[p].unwrap_or(l);
                match prev {
                    Some(v) => b.row(
                        RowKind::Balance(nr, p),
                        vec![(rel, 1.0), (v, -1.0)],
                        Sense::Le,
                        0.0,
                    ),
                    None => b.row(
                        RowKind::Balance(nr, p),
                        vec![(rel, 1.0)],
                        Sense::Le,
                        sp.initial,
                    ),
                }
                let before_shock = fu.first_shock().is_none_or(|s| y < s);
                if sp.target_years > 0.0 && before_shock {
                    let need: f64 = (0..nk)
                        .filter(|&k| {
                            plan.demand[k].region == sp.region
                                && plan.demand[k].element == sp.element
                        })
                        .map(|k| h.demand(k, y))
                        .sum();
                    b.row(
                        RowKind::Balance(nr, p),
                        vec![(l, 1.0)],
                        Sense::Ge,
                        sp.target_years * need,
                    );
                }
            }
            let mut unmet = vec![None; nk];
            for (k, d) in plan.demand.iter().enumerate() {
                let mut terms: Vec<(usize, f64)> = (0..nr + 2)
                    .filter_map(|r| ship[r][k].map(|v| (v, 1.0)))
                    .chain((0..ni).filter_map(|i| import[i][k].map(|v| (v, 1.0))))
                    .collect();
                for (p, sp) in stockpiles.iter().enumerate() {
                    if sp.region == d.region && sp.element == d.element {
                        terms.extend(release[p].map(|v| (v, 1.0)));
                    }
                }
                if let Some(pen) = plan.policy.unmet_penalty[d.element] {
                    let max = if shut(k, y) { 0.0 } else { f64::INFINITY };
                    let v = b.var(w * pen, max);
                    unmet[k] = Some(v);
                    terms.push((v, 1.0));
                }
                b.tag = Tag::Demand(k, y);
                b.row(RowKind::Demand(k), terms, Sense::Eq, h.demand(k, y));
            }
            for e in 0..ne {
                let Some(share) = plan.policy.max_import_share[e] else {
                    continue;
                };
                let rows: Vec<usize> = (0..nk)
                    .filter(|&k| {
                        plan.demand[k].element == e && plan.regions[plan.demand[k].region].allied
                    })
                    .collect();
                let mut terms = Vec::new();
                for &k in &rows {
                    terms.extend((0..ni).filter_map(|i| import[i][k].map(|v| (v, 1.0))));
                    for (r, rf) in plan.refineries.iter().enumerate() {
                        if !plan.regions[rf.region].allied {
                            terms.extend(ship[r][k].map(|v| (v, 1.0)));
                        }
                    }
                    terms.extend(ship[nr + 1][k].map(|v| (v, 1.0)));
                }
                let total: f64 = rows.iter().map(|&k| h.demand(k, y)).sum();
                if !terms.is_empty() {
                    b.tag = Tag::Share(e, y);
                    b.row(RowKind::ImportShare(e), terms, Sense::Le, share * total);
                }
            }
            fv.cost_terms
                .extend((start..b.lp.vars.len()).map(|j| (j, 1.0 / prob)));
            fv.feed.push(feed);
            fv.ship.push(ship);
            fv.import.push(import);
            fv.release.push(release);
            fv.unmet.push(unmet);
            fv.level.push(level);
        }
        fvars.push(fv);
    }
    Model {
        b,
        build,
        buy,
        first_vars,
        fvars,
        np,
    }
}

/// The cost of every shipment of refined product between two different
/// regions (refinery groups to demand rows) when it is one number `c`, no
/// more than each shipment within a region: then each region's output
/// bound elsewhere goes through one hub per side (allied, outside) at `c`,
/// and the hub delivers to every demand row at no cost, which gives the
/// same optimum with far fewer shipment variables (regions + demand rows
/// instead of their product). None otherwise.
fn hub_cost(plan: &Plan, groups: &[Vec<usize>]) -> Option<f64> {
    let mut c = None;
    for g in groups {
        let from = plan.refineries[g[0]].region;
        for d in plan.demand.iter().filter(|d| d.region != from) {
            let t = plan.transport[from][d.region];
            match c {
                None => c = Some(t),
                Some(x) if x == t => {}
                Some(_) => return None,
            }
        }
    }
    let c = c?;
    let local_ok = groups.iter().all(|g| {
        let at = plan.refineries[g[0]].region;
        plan.transport[at][at] <= c
    });
    local_ok.then_some(c)
}

/// Reads the solution `x` of model `m`.
fn extract(h: &Horizon, m: &Model, x: &[f64]) -> HorizonSolution {
    // a vertex's roundoff (e.g. 1e-10 t built) is reported as the zero it is
    let scale = x.iter().fold(1.0_f64, |a, v| a.max(v.abs()));
    let x: Vec<f64> = x
        .iter()
        .map(|&v| if v.abs() <= 1e-9 * scale { 0.0 } else { v })
        .collect();
    let x = &x[..];
    let plan = &h.plan;
    let (nr, ne, ni, ny, np) = (
        plan.refineries.len(),
        plan.elements.len(),
        plan.imports.len(),
        h.years,
        m.np,
    );
    let (b, build, buy, first_vars, fvars) = (&m.b, &m.build, &m.buy, m.first_vars, &m.fvars);
    let stockpiles = &h.stockpiles[..np];
    let val = |v: Option<usize>| v.map_or(0.0, |j| x[j]);
    let first = FirstStage {
        build: build
            .iter()
            .map(|row| row.iter().map(|&v| val(v)).collect())
            .collect(),
        buy: buy
            .iter()
            .map(|pi| {
                pi.iter()
                    .map(|row| row.iter().map(|&v| val(v)).collect())
                    .collect()
            })
            .collect(),
    };
    let first_cost: f64 = (0..first_vars).map(|j| b.lp.vars[j].cost * x[j]).sum();
    let mut results = Vec::new();
    for fv in fvars {
        let cost = first_cost
            + fv.cost_terms
                .iter()
                .map(|&(j, s)| b.lp.vars[j].cost * s * x[j])
                .sum::<f64>();
        let mut res = FutureResult {
            cost,
            refined: vec![vec![0.0; ny]; ne],
            outside_refined: vec![vec![0.0; ny]; ne],
            imported: vec![vec![0.0; ny]; ne],
            released: vec![vec![0.0; ny]; ne],
            unmet: vec![vec![0.0; ny]; ne],
            stock: vec![vec![0.0; ny]; np],
            capacity: vec![vec![0.0; ny]; nr],
        };
        for y in 0..ny {
            for (k, d) in plan.demand.iter().enumerate() {
                if !plan.regions[d.region].allied {
                    continue;
                }
                let e = d.element;
                for (r, rf) in plan.refineries.iter().enumerate() {
                    let s = val(fv.ship[y][r][k]);
                    if plan.regions[rf.region].allied {
                        res.refined[e][y] += s;
                    } else {
                        res.outside_refined[e][y] += s;
                    }
                }
                res.refined[e][y] += val(fv.ship[y][nr][k]);
                res.outside_refined[e][y] += val(fv.ship[y][nr + 1][k]);
                res.imported[e][y] += (0..ni).map(|i| val(fv.import[y][i][k])).sum::<f64>();
                res.unmet[e][y] += val(fv.unmet[y][k]);
            }
            for (p, sp) in stockpiles.iter().enumerate() {
                res.released[sp.element][y] += val(fv.release[y][p]);
                res.stock[p][y] = val(fv.level[y][p]);
            }
            for (r, rf) in plan.refineries.iter().enumerate() {
                res.capacity[r][y] = rf.existing
                    + (0..ny)
                        .map(|t| h.available(r, t, y) * first.build[r][t])
                        .sum::<f64>();
            }
        }
        results.push(res);
    }
    HorizonSolution {
        objective: b.lp.objective(x),
        first,
        futures: results,
    }
}

/// The full analysis: the stochastic optimum, each future's deterministic
/// optimum, the reference plan evaluated across the futures, and the plan
/// without stockpiles.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Stochastic (recourse) optimum.
    pub optimum: Result<HorizonSolution, String>,
    /// Each future planned for alone (wait-and-see).
    pub deterministic: Vec<Result<HorizonSolution, String>>,
    /// Expected cost of the reference future's plan across the futures
    /// (None: that plan is infeasible in some future).
    pub reference_expected: Option<f64>,
    /// Expected cost without stockpiles (None: infeasible).
    pub without_stockpiles: Option<f64>,
}

impl Analysis {
    /// Value of the stochastic solution: reference plan's expected cost
    /// minus the stochastic optimum.
    pub fn vss(&self) -> Option<f64> {
        Some(self.reference_expected? - self.optimum.as_ref().ok()?.objective)
    }

    /// Value of the stockpiles: optimum without minus with.
    pub fn stockpile_value(&self) -> Option<f64> {
        Some(self.without_stockpiles? - self.optimum.as_ref().ok()?.objective)
    }

    /// Probability-weighted deterministic optima (the wait-and-see bound).
    pub fn wait_and_see(&self, h: &Horizon) -> Option<f64> {
        let mut s = 0.0;
        for (f, d) in h.futures.iter().zip(&self.deterministic) {
            s += f.probability * d.as_ref().ok()?.objective;
        }
        Some(s)
    }
}

/// Expected discounted cost of the first stage `first` across the futures
/// of `h`, each future's recourse chosen at least cost (None: infeasible in
/// some future, or a solve failed). With the first stage fixed the futures
/// no longer share a variable, so each is solved on its own (side by side)
/// and the costs weighted by probability: `sum_f p_f (first + recourse_f)`.
pub fn evaluate(h: &Horizon, first: &FirstStage) -> Option<f64> {
    use rayon::prelude::*;
    let costs: Vec<Option<f64>> = (0..h.futures.len())
        .into_par_iter()
        .map(|f| {
            let o = Options {
                only: Some(f),
                fixed: Some(first),
                ..Default::default()
            };
            solve(h, &o).ok().map(|s| s.objective)
        })
        .collect();
    costs
        .iter()
        .zip(&h.futures)
        .map(|(c, fu)| c.map(|c| fu.probability * c))
        .sum()
}

/// Runs [`Analysis`]: the independent solves side by side (the optimum,
/// the plan without stockpiles, each future alone and then the reference
/// future's first stage across the futures, [`evaluate`]).
pub fn analyse(h: &Horizon) -> Analysis {
    use rayon::prelude::*;
    let stochastic = h.futures.len() > 1;
    let without = || {
        if h.stockpiles.is_empty() {
            None
        } else {
            Some(
                solve(
                    h,
                    &Options {
                        no_stockpiles: true,
                        ..Default::default()
                    },
                )
                .ok()
                .map(|s| s.objective),
            )
        }
    };
    let alone = || -> (Vec<_>, Option<f64>) {
        if !stochastic {
            return (Vec::new(), None);
        }
        let det: Vec<_> = (0..h.futures.len())
            .into_par_iter()
            .map(|f| {
                solve(
                    h,
                    &Options {
                        only: Some(f),
                        ..Default::default()
                    },
                )
            })
            .collect();
        let reference = match &det[h.reference] {
            Ok(d) => evaluate(h, &d.first),
            Err(_) => None,
        };
        (det, reference)
    };
    // The two large LPs (the optimum, the plan without stockpiles) start
    // first on different threads; the small ones (one future each) fill in.
    let (optimum, (without, (deterministic, reference_expected))) = rayon::join(
        || solve(h, &Options::default()),
        || rayon::join(without, alone),
    );
    let (deterministic, reference_expected) = if stochastic {
        (deterministic, reference_expected)
    } else {
        let objective = optimum.as_ref().ok().map(|s| s.objective);
        (vec![optimum.clone()], objective)
    };
    let without_stockpiles = match without {
        Some(w) => w,
        None => optimum.as_ref().ok().map(|s| s.objective),
    };
    Analysis {
        optimum,
        deterministic,
        reference_expected,
        without_stockpiles,
    }
}

/// One marginal value of a horizon plan: `d expected discounted cost / d
/// right-hand side` as the quantity grows by one unit (one-sided, so that a
/// limit set to zero or exactly met gets the value of its first unit of
/// relaxation; see `exact::one_sided`).
#[derive(Debug, Clone, PartialEq)]
pub struct Marginal {
    /// What grows by one unit, in words (`demand Nd`, `ore capacity X`, ...).
    pub what: String,
    /// Calendar year for a per-year quantity (None: every year).
    pub year: Option<i64>,
    /// `d cost / d rhs` (negative: relaxing saves); infinite when no step
    /// is feasible; None when the re-solves failed.
    pub value: Option<f64>,
    /// For demand: the value in that year's money (undiscounted), the
    /// expected price of one more tonne in that year.
    pub in_year_money: Option<f64>,
}

/// Marginal values and the cost of reaching independence sooner.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// Marginal values, demand first.
    pub marginal: Vec<Marginal>,
    /// Per element with alliance demand.
    pub sooner: Vec<Sooner>,
}

/// The cost of independence sooner for one element.
#[derive(Debug, Clone, PartialEq)]
pub struct Sooner {
    /// Element index.
    pub element: usize,
    /// The optimum's year of independence in every future (None: never
    /// within the horizon).
    pub optimum: Option<usize>,
    /// `(year index, extra expected discounted cost, None when
    /// infeasible)`, latest year first, down to the first infeasible year.
    pub from: Vec<(usize, Option<f64>)>,
}

/// A right-hand-side direction: what, year index, rows with coefficients.
type Direction = (String, Option<usize>, Vec<(usize, f64)>);

/// Year index from which element `e` is independent in every future of
/// `s` (None: in some future never within the horizon).
fn independence_all(s: &HorizonSolution, e: usize) -> Option<usize> {
    s.futures
        .iter()
        .map(|f| f.independence(e))
        .try_fold(0, |a, y| y.map(|y| a.max(y)))
}

/// Marginal values of the rows a planner cares about (the stochastic
/// optimum's LP), and for each element the extra expected discounted cost
/// of being independent from each year before the optimum's year (in every
/// future). Each value takes parametric re-solves of the whole LP.
pub fn values(h: &Horizon) -> Result<Values, String> {
    use rayon::prelude::*;
    let plan = &h.plan;
    let m = model(h, &Options::default());
    let lp = &m.b.lp;
    let raw = exact::solve_vertex(lp).map_err(|e| format!("{e:?}"))?;
    let x = &raw.x;
    let v0 = lp.objective(x);
    let act = lp.activities(x);
    let sol = extract(h, &m, x);
    // Directions: (what, year, rows with coefficients, discount of the year).
    let mut dirs: Vec<Direction> = Vec::new();
    let rows_where = |f: &dyn Fn(Tag) -> Option<f64>| -> Vec<(usize, f64)> {
        m.b.tags
            .iter()
            .enumerate()
            .filter_map(|(j, &t)| f(t).map(|c| (j, c)))
            .collect()
    };
    for (e, el) in plan.elements.iter().enumerate() {
        if plan.alliance_demand(e) <= 0.0 {
            continue;
        }
        for y in 0..h.years {
            // One more tonne of the element's demand in year y, spread over
            // the demand rows as demand is, with the import-share allowance
            // that comes with it.
            let total: f64 = (0..plan.demand.len())
                .filter(|&k| plan.demand[k].element == e)
                .map(|k| h.demand(k, y))
                .sum();
            if total <= 0.0 {
                continue;
            }
            let allied: f64 = (0..plan.demand.len())
                .filter(|&k| {
                    plan.demand[k].element == e && plan.regions[plan.demand[k].region].allied
                })
                .map(|k| h.demand(k, y))
                .sum();
            let share = plan.policy.max_import_share[e].unwrap_or(0.0);
            let rows = rows_where(&|t| match t {
                Tag::Demand(k, yy) if yy == y && plan.demand[k].element == e => {
                    Some(h.demand(k, y) / total)
                }
                Tag::Share(ee, yy) if ee == e && yy == y && share > 0.0 => {
                    Some(share * allied / total)
                }
                _ => None,
            });
            dirs.push((format!("demand {el}"), Some(y), rows));
        }
    }
    let mut add = |what: String, f: &dyn Fn(Tag) -> bool| {
        let rows = rows_where(&|t| f(t).then_some(1.0));
        if !rows.is_empty() {
            dirs.push((what, None, rows));
        }
    };
    for (s, src) in plan.sources.iter().enumerate() {
        add(format!("ore capacity {}", src.name), &|t| {
            t == Tag::Source(s)
        });
    }
    for (r, rf) in plan.refineries.iter().enumerate() {
        add(format!("existing capacity {}", rf.name), &|t| {
            t == Tag::Refinery(r)
        });
        add(format!("max_new {}", rf.name), &|t| t == Tag::MaxNew(r));
    }
    add("capex budget (total)".into(), &|t| t == Tag::BudgetTotal);
    for (p, sp) in h.stockpiles.iter().enumerate() {
        add(
            format!(
                "stockpile capacity {} {}",
                plan.regions[sp.region].name, plan.elements[sp.element]
            ),
            &|t| t == Tag::StockCap(p),
        );
    }
    for (i, im) in plan.imports.iter().enumerate() {
        for (e, el) in plan.elements.iter().enumerate() {
            add(format!("import cap {} {el}", im.name), &|t| {
                t == Tag::ImportCap(i, e)
            });
        }
    }
    let mut yearly: Vec<_> = (0..h.years)
        .map(|t| rows_where(&|tag| (tag == Tag::BudgetYear(t)).then_some(1.0)))
        .collect();
    for (t, rows) in yearly.drain(..).enumerate() {
        if !rows.is_empty() {
            dirs.push(("capex budget".into(), Some(t), rows));
        }
    }
    let marginal: Vec<Marginal> = dirs
        .par_iter()
        .map(|(what, year, rows)| {
            // A limit with slack in every row it names is worth nothing.
            let slack = rows.iter().all(|&(j, _)| {
                let r = &lp.rows[j];
                r.sense == Sense::Le
                    && r.rhs - act[j] > 1e-9 * r.rhs.abs().max(act[j].abs()).max(1.0)
            });
            let value = if slack {
                Some(0.0)
            } else {
                exact::one_sided(lp, v0, rows)
            };
            let is_demand = what.starts_with("demand ");
            Marginal {
                what: what.clone(),
                year: year.map(|y| h.year(y)),
                value,
                in_year_money: match (is_demand, year, value) {
                    (true, Some(y), Some(v)) => Some(v / h.discount(*y)),
                    _ => None,
                },
            }
        })
        .collect();
    // Independence sooner: constraints nest (from an earlier year is
    // tighter), so stop at the first infeasible year.
    let sooner = (0..plan.elements.len())
        .filter(|&e| plan.alliance_demand(e) > 0.0)
        .collect::<Vec<_>>()
        .par_iter()
        .map(|&e| {
            let at = independence_all(&sol, e);
            let mut list = Vec::new();
            for y in (0..at.unwrap_or(h.years)).rev() {
                let o = Options {
                    independent: Some((e, y)),
                    ..Default::default()
                };
                let mm = model(h, &o);
                match exact::solve_vertex(&mm.b.lp) {
                    Ok(r) => list.push((y, Some(mm.b.lp.objective(&r.x) - v0))),
                    Err(_) => {
                        list.push((y, None));
                        break;
                    }
                }
            }
            Sooner {
                element: e,
                optimum: at,
                from: list,
            }
        })
        .collect();
    Ok(Values { marginal, sooner })
}
