//! Reports of one-year plans: every plan command computes one typed result
//! ([`PlanReport`] for a scenario, [`Comparison`] for several side by side)
//! once from the plan and its [`Outcome`]; the text table, the JSON (the
//! `--json` contract of docs/model-format.md section 3, by serde) and the
//! long-format CSV are renderings of it. The plan's sentences (binding
//! constraints, shortages, the diagnosis of an infeasible plan) are written
//! here too, from the structured findings of [`super::solve`](mod@super::solve).
//!
//! Tiny solver noise (|x| < 1e-7 in tonnes or prices) is printed as 0;
//! the library's [`PlanSolution`] keeps the raw values.

use super::lp::RowKind;
use super::plan::Plan;
use super::solve::{
    Binding, Conflict, Costs, DualSource, Outcome, PlanSolution, Shortage, Shortfall,
};
use serde::{Serialize, Serializer};
use std::fmt::Write as _;

/// Formats a number for people: thousands separators for large values, a
/// few significant digits for small ones.
pub(crate) fn num(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "unlimited".into()
        } else {
            "-inf".into()
        };
    }
    let a = x.abs();
    if a < 1e-9 {
        return "0".into();
    }
    if a >= 1e15 {
        return format!("{x:.3e}");
    }
    let text = if a >= 1e4 {
        format!("{:.0}", a)
    } else if a >= 1.0 {
        trim(format!("{a:.2}"))
    } else if a >= 1e-4 {
        trim(format!("{:.*}", 4 + (-a.log10()).floor() as usize, a))
    } else {
        return format!("{x:.3e}");
    };
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if x < 0.0 && out.chars().any(|c| c != '0' && c != '.' && c != ',') {
        format!("-{out}")
    } else {
        out
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Rounds solver noise to zero for output.
pub(crate) fn clean(x: f64) -> f64 {
    if x.abs() < 1e-7 {
        0.0
    } else {
        x
    }
}

/// A simple aligned table: first column left-aligned, the rest right-aligned.
pub(crate) fn table(headers: &[String], rows: &[Vec<String>]) -> String {
    let ncol = headers.len();
    let mut width = vec![0; ncol];
    for (j, h) in headers.iter().enumerate() {
        width[j] = h.chars().count();
    }
    for row in rows {
        for (j, cell) in row.iter().enumerate().take(ncol) {
            width[j] = width[j].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        for (j, cell) in cells.iter().enumerate().take(ncol) {
            let pad = width[j] - cell.chars().count();
            if j == 0 {
                out.push_str("  ");
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
        }
        out.push('\n');
    };
    line(&mut out, headers);
    let total: usize = width.iter().sum::<usize>() + 2 * ncol;
    out.push_str("  ");
    out.push_str(&"-".repeat(total.saturating_sub(2)));
    out.push('\n');
    for row in rows {
        line(&mut out, row);
    }
    out
}

fn s(x: &str) -> String {
    x.to_string()
}

/// `-` for a missing value, else the number as [`num`] writes it.
fn num_or_dash(x: Option<f64>) -> String {
    x.map_or("-".into(), num)
}

/// Entries keyed by name, in plan order, serialized as a JSON object
/// (setting a name twice keeps its first place and the last value, as a
/// JSON object would).
#[derive(Debug, Clone, PartialEq)]
pub struct Named<T>(Vec<(String, T)>);

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<T> Named<T> {
    fn set(&mut self, key: &str, value: T) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    fn entry(&mut self, key: &str, value: impl FnOnce() -> T) -> &mut T {
        let i = match self.0.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.0.push((key.to_string(), value()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl<T> FromIterator<(String, T)> for Named<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        let mut m = Named::default();
        for (k, v) in iter {
            m.set(&k, v);
        }
        m
    }
}

impl<T: Serialize> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// The report of one scenario of a one-year plan.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct PlanReport {
    /// Plan name.
    pub name: String,
    /// Scenario name (`base` for the file as written).
    pub scenario: String,
    /// Currency of every cost and price.
    pub currency: String,
    /// The plan's elements.
    pub elements: Vec<String>,
    /// What the solve found.
    #[serde(flatten)]
    pub result: ScenarioResult,
}

/// What the solve of one scenario found.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ScenarioResult {
    /// An optimal plan.
    Solved(Box<SolvedReport>),
    /// An infeasible plan or a solver failure.
    Unsolved(Box<UnsolvedReport>),
}

/// One refinery of a solved plan.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct RefineryReport {
    /// Region it stands in.
    pub region: String,
    /// Existing capacity, t REO feed/yr.
    pub existing: f64,
    /// New capacity built, t/yr.
    pub new: f64,
    /// Modules built (refineries with a module size).
    pub modules: Option<f64>,
    /// Existing plus new capacity.
    pub capacity: f64,
    /// Feed, t REO/yr.
    pub feed: f64,
    /// Separated oxide per element, t/yr.
    pub output: Named<f64>,
    /// Value of one more t/yr of capacity.
    pub capacity_value: Option<f64>,
    /// The process it was costed from (`refinery.process`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<serde_json::Value>,
    /// Surplus sold per element (plan element order), t/yr.
    #[serde(skip)]
    pub sold: Vec<f64>,
    /// Surplus disposed per element (plan element order), t/yr.
    #[serde(skip)]
    pub disposed: Vec<f64>,
    /// Share of capacity used, percent (`None` without capacity).
    #[serde(skip)]
    pub use_pct: Option<f64>,
}

/// Ore or concentrate fed from a source to a refinery.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FeedFlow {
    /// The source.
    pub source: String,
    /// The refinery.
    pub refinery: String,
    /// t REO/yr.
    pub amount: f64,
}

/// Separated oxide shipped from a refinery (or an import) to a region.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ProductFlow {
    /// The refinery (products) or the import (imports).
    #[serde(skip)]
    pub from: String,
    /// The receiving region.
    pub region: String,
    /// The element.
    pub element: String,
    /// t/yr.
    pub amount: f64,
    /// The demand row it serves.
    #[serde(skip)]
    pub demand: usize,
}

/// Flows of a solved plan (the JSON names the sender `refinery` or
/// `import`).
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Flows {
    /// Feed, source-major.
    pub feed: Vec<FeedFlow>,
    /// Products, refinery-major.
    #[serde(serialize_with = "senders::refinery")]
    pub products: Vec<ProductFlow>,
    /// Imports, import-major.
    #[serde(serialize_with = "senders::import")]
    pub imports: Vec<ProductFlow>,
}

mod senders {
    use super::ProductFlow;
    use serde::ser::{SerializeMap, SerializeSeq};
    use serde::Serializer;

    struct Flow<'a>(&'static str, &'a ProductFlow);

    impl serde::Serialize for Flow<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(4))?;
            m.serialize_entry(self.0, &self.1.from)?;
            m.serialize_entry("region", &self.1.region)?;
            m.serialize_entry("element", &self.1.element)?;
            m.serialize_entry("amount", &self.1.amount)?;
            m.end()
        }
    }

    fn flows<S: Serializer>(key: &'static str, v: &[ProductFlow], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for f in v {
            seq.serialize_element(&Flow(key, f))?;
        }
        seq.end()
    }

    pub(super) fn refinery<S: Serializer>(v: &[ProductFlow], s: S) -> Result<S::Ok, S::Error> {
        flows("refinery", v, s)
    }

    pub(super) fn import<S: Serializer>(v: &[ProductFlow], s: S) -> Result<S::Ok, S::Error> {
        flows("import", v, s)
    }
}

/// Surplus of one element, t/yr.
#[derive(Debug, Clone, Copy, Serialize)]
#[non_exhaustive]
pub struct SurplusReport {
    /// Sold.
    pub sold: f64,
    /// Disposed or stored.
    pub disposed: f64,
}

/// Shadow prices of a solved plan (`None`: no dual value).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ShadowPrices {
    /// Per refinery: one more t/yr of capacity.
    pub refinery_capacity: Named<Option<f64>>,
    /// Per source: one more t/yr of ore.
    pub source_capacity: Named<Option<f64>>,
    /// Per import and capped element: one more tonne of import capacity.
    pub import_capacity: Named<Named<Option<f64>>>,
    /// Per capped element: one more tonne of import-share allowance.
    pub import_share: Named<Option<f64>>,
    /// One more unit of capex budget.
    pub budget: Option<f64>,
    /// Per element with a market limit: one more tonne of market.
    pub market: Named<Option<f64>>,
}

/// A binding constraint of a solved plan.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BindingReport {
    /// Row name, e.g. `refinery_capacity:Lynas Kuantan`.
    pub constraint: String,
    /// How much the annual cost falls per unit the limit is relaxed.
    pub value: f64,
    /// A sentence.
    pub text: String,
}

/// One demand row of a solved plan (text and CSV; the JSON groups these
/// by region as `served`, `unmet` and `prices`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DemandReport {
    /// Region.
    pub region: String,
    /// Whether the region is allied.
    pub allied: bool,
    /// Element.
    pub element: String,
    /// Demand, t/yr.
    pub amount: f64,
    /// Delivered from refineries, t/yr.
    pub refined: f64,
    /// Delivered from imports, t/yr.
    pub imported: f64,
    /// Unmet, t/yr.
    pub unmet: f64,
    /// Fraction served.
    pub served: f64,
    /// Marginal cost of one more tonne (d cost / d demand).
    pub price: Option<f64>,
}

/// One priced element of one import (text).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImportReport {
    /// Import name.
    pub import: String,
    /// Element.
    pub element: String,
    /// Imported, t/yr.
    pub amount: f64,
    /// Capacity (`None`: unlimited).
    pub capacity: Option<f64>,
    /// Price per tonne.
    pub price: f64,
    /// Value of one more tonne of capacity.
    pub cap_value: Option<f64>,
}

/// An element with an import-share cap that has a value (text).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ShareReport {
    /// Element.
    pub element: String,
    /// Largest share from outside the alliance.
    pub max_share: f64,
    /// Supply from outside, t/yr.
    pub outside: f64,
    /// Value of one more tonne of allowance.
    pub value: f64,
}

/// Size and timing of the solve.
#[derive(Debug, Clone, Copy, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Variables.
    pub variables: usize,
    /// Rows.
    pub rows: usize,
    /// Integer variables.
    pub integers: usize,
    /// Seconds to build the model.
    pub build_s: f64,
    /// Seconds to solve it.
    pub solve_s: f64,
}

/// The report of a solved scenario.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SolvedReport {
    /// `optimal`.
    pub status: &'static str,
    /// Backend that solved it.
    pub backend: &'static str,
    /// Where the dual values come from.
    pub duals: &'static str,
    /// Annual cost.
    pub objective: f64,
    /// Annual cost by component (`sales` is revenue: a negative cost).
    pub costs: Costs,
    /// Capex of new capacity (not annualised).
    pub capex_total: f64,
    /// New capacity per refinery, t/yr.
    pub build: Named<f64>,
    /// Every refinery.
    pub refineries: Named<RefineryReport>,
    /// Flows.
    pub flows: Flows,
    /// Imported per import and priced element, t/yr.
    pub imports: Named<Named<f64>>,
    /// Surplus per element.
    pub surplus: Named<SurplusReport>,
    /// Fraction served per region and element.
    pub served: Named<Named<f64>>,
    /// Unmet per region and element, t/yr.
    pub unmet: Named<Named<f64>>,
    /// Marginal cost per region and element.
    pub prices: Named<Named<Option<f64>>>,
    /// Shadow prices.
    pub shadow_prices: ShadowPrices,
    /// Binding constraints.
    pub binding: Vec<BindingReport>,
    /// Shortages, one sentence per element.
    pub shortages: Vec<String>,
    /// Warnings about the plan and the solve.
    pub warnings: Vec<String>,
    /// Size and timing.
    pub stats: Stats,
    /// Demand rows.
    #[serde(skip)]
    pub demand: Vec<DemandReport>,
    /// Priced import elements.
    #[serde(skip)]
    pub import_rows: Vec<ImportReport>,
    /// Import-share caps with a value.
    #[serde(skip)]
    pub shares: Vec<ShareReport>,
    /// The capex budget, if any.
    #[serde(skip)]
    pub budget: Option<f64>,
}

/// The report of an infeasible or failed scenario (the JSON keeps the
/// solved report's keys, empty).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct UnsolvedReport {
    /// `infeasible` or `failed`.
    pub status: &'static str,
    /// Always `None` (JSON null).
    pub objective: Option<f64>,
    /// Empty.
    pub build: Named<f64>,
    /// Empty.
    pub imports: Named<f64>,
    /// Empty.
    pub served: Named<f64>,
    /// Empty.
    pub prices: Named<f64>,
    /// Empty.
    pub flows: Flows,
    /// Why an infeasible plan is infeasible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<DiagnosisReport>,
    /// The backend that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
    /// What it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A conflicting constraint of an infeasible plan.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ConflictReport {
    /// Row name.
    pub constraint: String,
    /// Least change of that row alone that makes the plan feasible.
    pub excess: f64,
    /// A sentence.
    pub text: String,
}

/// Why a plan is infeasible, in words.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DiagnosisReport {
    /// Per-element supply bounds that fall short of demand.
    pub shortfalls: Vec<String>,
    /// Single relaxations that make the plan feasible.
    pub conflicts: Vec<ConflictReport>,
    /// Demand rows whose reduction alone makes the plan feasible.
    #[serde(rename = "demand")]
    pub demands: Vec<String>,
    /// Only whole plant modules make the plan infeasible.
    pub integrality_only: bool,
    /// Some element's unmet demand is not allowed (no penalty).
    #[serde(skip)]
    pub unmet_forbidden: bool,
    /// Some refinery builds whole modules.
    #[serde(skip)]
    pub has_modules: bool,
}

/// Warnings about the plan itself (not the solution).
fn warnings(plan: &Plan, sol: Option<&PlanSolution>) -> Vec<String> {
    let mut w = Vec::new();
    if !plan.surplus.stated
        && plan
            .sources
            .iter()
            .any(|s| s.assay.iter().filter(|&&a| a > 0.0).count() > 1)
    {
        w.push("no [surplus] table: by-product oxide nobody demands is disposed at zero cost (state surplus.disposal or surplus.price)".to_string());
    }
    if let Some(sol) = sol {
        if sol.relaxed_integers {
            w.push("backend clarabel: whole plant modules relaxed to fractional ones (use --solver microlp for exact modules)".to_string());
        }
        match sol.dual_source {
            DualSource::FixedIntegers => w.push("shadow prices come from a Clarabel re-solve of the LP, with any module counts fixed at the integer optimum".to_string()),
            DualSource::Unavailable => w.push("no shadow prices: the dual re-solve failed".to_string()),
            DualSource::Native | DualSource::OneSided => {}
        }
    }
    w
}

/// A short machine-readable name of a row, e.g. `refinery_capacity:Lynas Kuantan`.
pub fn row_name(plan: &Plan, kind: RowKind) -> String {
    match kind {
        RowKind::Demand(k) => format!(
            "demand:{}:{}",
            plan.regions[plan.demand[k].region].name, plan.elements[plan.demand[k].element]
        ),
        RowKind::Coupling(r, e) => {
            format!("coupling:{}:{}", plan.refineries[r].name, plan.elements[e])
        }
        RowKind::Balance(r, e) => {
            format!("balance:{}:{}", plan.refineries[r].name, plan.elements[e])
        }
        RowKind::SourceCapacity(s) => format!("source_capacity:{}", plan.sources[s].name),
        RowKind::RefineryCapacity(r) => format!("refinery_capacity:{}", plan.refineries[r].name),
        RowKind::MaxNew(r) => format!("max_new:{}", plan.refineries[r].name),
        RowKind::Modules(r) => format!("modules:{}", plan.refineries[r].name),
        RowKind::ImportCapacity(i, e) => format!(
            "import_capacity:{}:{}",
            plan.imports[i].name, plan.elements[e]
        ),
        RowKind::ImportShare(e) => format!("import_share:{}", plan.elements[e]),
        RowKind::Budget => "budget".to_string(),
        RowKind::Market(e) => format!("market:{}", plan.elements[e]),
        RowKind::FairShare(k) => format!(
            "fair_share:{}:{}",
            plan.regions[plan.demand[k].region].name, plan.elements[plan.demand[k].element]
        ),
    }
}

/// A binding constraint of `sol` in words.
pub fn binding_text(plan: &Plan, sol: &PlanSolution, b: &Binding) -> String {
    let cur = &plan.currency;
    let (v, rhs) = (b.value, b.rhs);
    let zero = rhs == 0.0;
    match b.kind {
        RowKind::SourceCapacity(s) if zero => format!(
            "source \"{}\" is closed (capacity 0); a first tonne of ore would save {} {cur}",
            plan.sources[s].name,
            num(v)
        ),
        RowKind::SourceCapacity(s) => format!(
            "source \"{}\" is mined at its capacity of {} t REO/yr; one more tonne of ore would save {} {cur}",
            plan.sources[s].name,
            num(rhs),
            num(v)
        ),
        RowKind::RefineryCapacity(r) if rhs + sol.new[r] <= 0.0 => format!(
            "refinery \"{}\" has no capacity and builds none; a first t/yr would be worth {} {cur}/yr",
            plan.refineries[r].name,
            num(v)
        ),
        RowKind::RefineryCapacity(r) => format!(
            "refinery \"{}\" runs full ({} t/yr); one more t/yr of capacity is worth {} {cur}/yr",
            plan.refineries[r].name,
            num(rhs + sol.new[r]),
            num(v)
        ),
        RowKind::MaxNew(r) => format!(
            "refinery \"{}\" builds all the new capacity allowed (max_new = {} t/yr); leave to build one more t/yr is worth {} {cur}/yr",
            plan.refineries[r].name,
            num(rhs),
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
            num(rhs),
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
                num(rhs),
                num(v),
                num(v * demand / 100.0)
            )
        }
        RowKind::Budget => format!(
            "the capex budget of {} {cur} is spent; one more {cur} of budget would save {} {cur}/yr",
            num(rhs),
            num(v)
        ),
        RowKind::Market(e) => format!(
            "the market for surplus {} ({} t/yr) is saturated; one more tonne of market would save {} {cur}",
            plan.elements[e],
            num(rhs),
            num(v)
        ),
        other => format!("{} binds (value {})", row_name(plan, other), num(v)),
    }
}

/// A shortage of a solved plan in words.
fn shortage_text(plan: &Plan, s: &Shortage) -> String {
    format!(
        "{}: {} t/yr of demand is not met ({}% of {} t), at a penalty of {} {}/t",
        plan.elements[s.element],
        num(s.short),
        num(100.0 * s.short / s.total),
        num(s.total),
        num(plan.policy.unmet_penalty[s.element].unwrap_or(0.0)),
        plan.currency
    )
}

/// A per-element supply bound of an infeasible plan in words.
fn shortfall_text(plan: &Plan, s: &Shortfall) -> String {
    let el = &plan.elements[s.element];
    let mut why = format!(
        "sources carry at most {} t after recovery",
        num(s.from_sources)
    );
    why.push_str(&format!(", imports can add at most {} t", num(s.imports)));
    if let Some(share) = plan.policy.max_import_share[s.element] {
        why.push_str(&format!(" (policy.max_import_share for {el} = {share})"));
    }
    format!(
        "{el}: demand is {} t/yr but {why}: at least {} t/yr cannot be supplied",
        num(s.demand),
        num(s.demand - s.from_sources - s.imports)
    )
}

/// The least relaxation of one row of an infeasible plan in words.
pub fn conflict_text(plan: &Plan, c: &Conflict) -> String {
    let cur = &plan.currency;
    let excess = c.excess;
    match c.kind {
        RowKind::SourceCapacity(s) => format!(
            "raise the capacity of source \"{}\" by {} t REO/yr (from {} t)",
            plan.sources[s].name,
            num(excess),
            num(c.limit)
        ),
        RowKind::RefineryCapacity(r) => format!(
            "give refinery \"{}\" {} t/yr more existing capacity (refinery.existing)",
            plan.refineries[r].name,
            num(excess)
        ),
        RowKind::MaxNew(r) => format!(
            "let refinery \"{}\" build {} t/yr beyond max_new = {} t/yr",
            plan.refineries[r].name,
            num(excess),
            num(c.limit)
        ),
        RowKind::ImportCapacity(i, e) => format!(
            "raise the capacity of imports of {} from \"{}\" by {} t/yr (from {} t)",
            plan.elements[e],
            plan.imports[i].name,
            num(excess),
            num(c.limit)
        ),
        RowKind::ImportShare(e) => {
            let total = plan.alliance_demand(e);
            format!(
                "raise policy.max_import_share for {} by {} percentage points (from {}; {} t/yr more from outside)",
                plan.elements[e],
                num(100.0 * excess / total),
                plan.policy.max_import_share[e].unwrap_or(1.0),
                num(excess)
            )
        }
        RowKind::Budget => format!(
            "raise the capex budget by {} {cur} (from {} {cur})",
            num(excess),
            num(c.limit)
        ),
        RowKind::Demand(k) => {
            let d = &plan.demand[k];
            format!(
                "lower the demand of {} for {} by {} t/yr (from {} t)",
                plan.regions[d.region].name,
                plan.elements[d.element],
                num(excess),
                num(d.amount)
            )
        }
        other => format!("relax {} by {}", row_name(plan, other), num(excess)),
    }
}

impl PlanReport {
    /// The report of scenario `scenario` of `plan`, solved to `outcome`.
    pub fn new(plan: &Plan, scenario: &str, outcome: &Outcome) -> PlanReport {
        let result = match outcome {
            Outcome::Solved(sol) => {
                ScenarioResult::Solved(Box::new(SolvedReport::new(plan, &sol.cleaned(plan))))
            }
            Outcome::Infeasible(d) => {
                let demands = d
                    .conflicts
                    .iter()
                    .filter_map(|c| match c.kind {
                        RowKind::Demand(k) => {
                            let d = &plan.demand[k];
                            Some(format!(
                                "demand of {} for {} t/yr of {}",
                                plan.regions[d.region].name,
                                num(d.amount),
                                plan.elements[d.element]
                            ))
                        }
                        _ => None,
                    })
                    .collect();
                ScenarioResult::Unsolved(Box::new(UnsolvedReport::new(
                    "infeasible",
                    Some(DiagnosisReport {
                        shortfalls: d
                            .shortfalls
                            .iter()
                            .map(|s| shortfall_text(plan, s))
                            .collect(),
                        conflicts: d
                            .conflicts
                            .iter()
                            .map(|c| ConflictReport {
                                constraint: row_name(plan, c.kind),
                                excess: c.excess,
                                text: conflict_text(plan, c),
                            })
                            .collect(),
                        demands,
                        integrality_only: d.integrality_only,
                        unmet_forbidden: plan.policy.unmet_penalty.iter().any(|p| p.is_none()),
                        has_modules: plan.has_modules(),
                    }),
                    None,
                )))
            }
            Outcome::Failed { backend, message } => ScenarioResult::Unsolved(Box::new(
                UnsolvedReport::new("failed", None, Some((backend.name(), message.clone()))),
            )),
        };
        PlanReport {
            name: plan.name.clone(),
            scenario: scenario.to_string(),
            currency: plan.currency.clone(),
            elements: plan.elements.clone(),
            result,
        }
    }

    /// The solved report, if the scenario solved.
    pub fn solved(&self) -> Option<&SolvedReport> {
        match &self.result {
            ScenarioResult::Solved(s) => Some(s),
            ScenarioResult::Unsolved(_) => None,
        }
    }

    /// The JSON object (pretty-printed, with a final newline).
    pub fn to_json(&self) -> String {
        pretty(self)
    }

    /// The text report.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "Plan: {} (scenario: {})", self.name, self.scenario);
        match &self.result {
            ScenarioResult::Solved(sol) => sol.text(&mut o, &self.currency, &self.elements),
            ScenarioResult::Unsolved(u) => u.text(&mut o),
        }
        o
    }

    /// Long-format records `table, from, to, element, value` (for an
    /// unsolved scenario only its status).
    pub fn csv_records(&self) -> Vec<CsvRecord> {
        let e = String::new;
        let ScenarioResult::Solved(sol) = &self.result else {
            return vec![("status", "infeasible_or_failed".into(), e(), e(), f64::NAN)];
        };
        let mut out: Vec<CsvRecord> = vec![("objective", e(), e(), e(), sol.objective)];
        let c = &sol.costs;
        for (name, v) in [
            ("sources", c.sources),
            ("transport", c.transport),
            ("opex", c.opex),
            ("capex_annualised", c.capex_annualised),
            ("imports", c.imports),
            ("disposal", c.disposal),
            ("sales", -c.sales),
            ("unmet_penalty", c.unmet_penalty),
        ] {
            out.push(("cost", name.into(), e(), e(), v));
        }
        for (name, rf) in sol.refineries.iter() {
            out.push(("build", name.into(), rf.region.clone(), e(), rf.new));
            if let Some(v) = rf.capacity_value {
                out.push(("capacity_value", name.into(), e(), e(), v));
            }
            for (ei, (el, &y)) in rf.output.iter().enumerate() {
                for (what, x) in [
                    ("output", y),
                    ("surplus_sold", rf.sold[ei]),
                    ("surplus_disposed", rf.disposed[ei]),
                ] {
                    if clean(x) > 0.0 {
                        out.push((what, name.into(), e(), el.into(), x));
                    }
                }
            }
        }
        for (src, value) in sol.shadow_prices.source_capacity.iter() {
            for f in sol.flows.feed.iter().filter(|f| f.source == src) {
                out.push(("feed", src.into(), f.refinery.clone(), e(), f.amount));
            }
            if let Some(v) = value {
                out.push(("source_value", src.into(), e(), e(), *v));
            }
        }
        for (k, d) in sol.demand.iter().enumerate() {
            for (table, flows) in [
                ("product", &sol.flows.products),
                ("import", &sol.flows.imports),
            ] {
                // senders in plan order: the flows are sender-major
                for f in flows.iter().filter(|f| f.demand == k) {
                    out.push((
                        table,
                        f.from.clone(),
                        d.region.clone(),
                        d.element.clone(),
                        f.amount,
                    ));
                }
            }
            out.push(("served", e(), d.region.clone(), d.element.clone(), d.served));
            out.push((
                "unmet",
                e(),
                d.region.clone(),
                d.element.clone(),
                clean(d.unmet),
            ));
            if let Some(p) = d.price {
                out.push(("price", e(), d.region.clone(), d.element.clone(), clean(p)));
            }
        }
        for (im, caps) in sol.shadow_prices.import_capacity.iter() {
            for (el, v) in caps.iter() {
                if let Some(v) = v {
                    out.push(("import_cap_value", im.into(), e(), el.into(), *v));
                }
            }
        }
        for (el, v) in sol.shadow_prices.import_share.iter() {
            if let Some(v) = v {
                out.push(("import_share_value", e(), e(), el.into(), *v));
            }
        }
        if let Some(v) = sol.shadow_prices.budget {
            out.push(("budget_value", e(), e(), e(), v));
        }
        out
    }
}

/// Pretty JSON with a final newline.
pub(crate) fn pretty<T: Serialize>(v: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

impl UnsolvedReport {
    fn new(
        status: &'static str,
        diagnosis: Option<DiagnosisReport>,
        failure: Option<(&'static str, String)>,
    ) -> Self {
        let (backend, message) = failure.map_or((None, None), |(b, m)| (Some(b), Some(m)));
        UnsolvedReport {
            status,
            objective: None,
            build: Named::default(),
            imports: Named::default(),
            served: Named::default(),
            prices: Named::default(),
            flows: Flows::default(),
            diagnosis,
            backend,
            message,
        }
    }

    fn text(&self, o: &mut String) {
        let Some(d) = &self.diagnosis else {
            let _ = writeln!(
                o,
                "Status: solver failure ({}): {}",
                self.backend.unwrap_or("?"),
                self.message.as_deref().unwrap_or("")
            );
            return;
        };
        if d.unmet_forbidden {
            let _ = writeln!(o, "Status: INFEASIBLE: no plan meets every constraint (unmet demand of some elements is not allowed; set policy.unmet_penalty to see what is short).");
        } else {
            let _ = writeln!(o, "Status: INFEASIBLE: no plan meets every constraint.");
        }
        if !d.shortfalls.is_empty() {
            let _ = writeln!(o, "\nSupply bounds that fall short of demand:");
            for l in &d.shortfalls {
                let _ = writeln!(o, "  - {l}");
            }
        }
        if !d.conflicts.is_empty() {
            let _ = writeln!(
                o,
                "\nEach of these changes alone would make the plan feasible (the least change of that one limit or demand):"
            );
            for c in &d.conflicts {
                let _ = writeln!(o, "  - {}", c.text);
            }
        }
        if d.integrality_only && d.has_modules {
            let _ = writeln!(o, "\nThe plan is feasible with fractional plant modules: whole modules (refinery.module) make it infeasible.");
        }
    }
}

/// Sum of `x` over the elements' demand rows of element `e`.
fn per_element(plan: &Plan, e: usize, x: impl Fn(usize) -> f64) -> f64 {
    plan.demand
        .iter()
        .enumerate()
        .filter(|(_, d)| d.element == e)
        .map(|(k, _)| x(k))
        .sum()
}

impl SolvedReport {
    /// The report of `sol` (already [`PlanSolution::cleaned`]).
    fn new(plan: &Plan, sol: &PlanSolution) -> Self {
        let el = |e: usize| plan.elements[e].clone();
        let region_of = |k: usize| plan.regions[plan.demand[k].region].name.clone();
        let refineries = plan
            .refineries
            .iter()
            .enumerate()
            .map(|(r, rf)| {
                let feed: f64 = sol.feed.iter().map(|f| f[r]).sum();
                let cap = rf.existing + sol.new[r];
                let report = RefineryReport {
                    region: plan.regions[rf.region].name.clone(),
                    existing: rf.existing,
                    new: clean(sol.new[r]),
                    modules: sol.modules[r].map(clean),
                    capacity: rf.existing + clean(sol.new[r]),
                    feed: clean(feed),
                    output: (0..plan.elements.len())
                        .map(|e| (el(e), clean(sol.output[r][e])))
                        .collect(),
                    capacity_value: sol.capacity_value(r).map(clean),
                    process: rf
                        .process
                        .as_ref()
                        .map(|d| super::process::process_json(d, rf, &plan.elements)),
                    sold: sol.sold[r].iter().map(|&x| clean(x)).collect(),
                    disposed: sol.disposed[r].iter().map(|&x| clean(x)).collect(),
                    use_pct: (cap > 0.0).then(|| 100.0 * feed / cap),
                };
                (rf.name.clone(), report)
            })
            .collect();
        let mut flows = Flows::default();
        for (si, src) in plan.sources.iter().enumerate() {
            for (r, rf) in plan.refineries.iter().enumerate() {
                if clean(sol.feed[si][r]) > 0.0 {
                    flows.feed.push(FeedFlow {
                        source: src.name.clone(),
                        refinery: rf.name.clone(),
                        amount: sol.feed[si][r],
                    });
                }
            }
        }
        let flow = |from: &str, k: usize, amount: f64| ProductFlow {
            from: from.to_string(),
            region: region_of(k),
            element: el(plan.demand[k].element),
            amount,
            demand: k,
        };
        for (r, rf) in plan.refineries.iter().enumerate() {
            for k in 0..plan.demand.len() {
                if clean(sol.ship[r][k]) > 0.0 {
                    flows.products.push(flow(&rf.name, k, sol.ship[r][k]));
                }
            }
        }
        let mut imports = Named::default();
        let mut import_rows = Vec::new();
        for (i, im) in plan.imports.iter().enumerate() {
            let mut per = Named::default();
            for e in 0..plan.elements.len() {
                if let Some(price) = im.price[e] {
                    let t = per_element(plan, e, |k| sol.imports[i][k]);
                    per.set(&plan.elements[e], clean(t));
                    import_rows.push(ImportReport {
                        import: im.name.clone(),
                        element: el(e),
                        amount: clean(t),
                        capacity: im.capacity[e],
                        price,
                        cap_value: sol.import_cap_value(i, e).map(clean),
                    });
                }
            }
            imports.set(&im.name, per);
            for k in 0..plan.demand.len() {
                if clean(sol.imports[i][k]) > 0.0 {
                    flows.imports.push(flow(&im.name, k, sol.imports[i][k]));
                }
            }
        }
        let surplus = (0..plan.elements.len())
            .map(|e| {
                let q: f64 = sol.sold.iter().map(|r| r[e]).sum();
                let w: f64 = sol.disposed.iter().map(|r| r[e]).sum();
                (
                    el(e),
                    SurplusReport {
                        sold: clean(q),
                        disposed: clean(w),
                    },
                )
            })
            .collect();
        let demand: Vec<DemandReport> = plan
            .demand
            .iter()
            .enumerate()
            .map(|(k, d)| DemandReport {
                region: region_of(k),
                allied: plan.regions[d.region].allied,
                element: el(d.element),
                amount: d.amount,
                refined: sol.ship.iter().map(|x| x[k]).sum(),
                imported: sol.imports.iter().map(|x| x[k]).sum(),
                unmet: sol.unmet[k],
                served: sol.served(plan, k),
                price: sol.demand_price(k),
            })
            .collect();
        let (mut served, mut unmet, mut prices) =
            (Named::default(), Named::default(), Named::default());
        for d in &demand {
            served
                .entry(&d.region, Named::default)
                .set(&d.element, d.served);
            unmet
                .entry(&d.region, Named::default)
                .set(&d.element, clean(d.unmet));
            prices
                .entry(&d.region, Named::default)
                .set(&d.element, d.price.map(clean));
        }
        let layout = &sol.layout;
        let elements_with = |rows: &[Option<usize>], v: &dyn Fn(usize) -> Option<f64>| {
            (0..plan.elements.len())
                .filter(|&e| rows[e].is_some())
                .map(|e| (el(e), v(e).map(clean)))
                .collect::<Named<_>>()
        };
        let shadow_prices = ShadowPrices {
            refinery_capacity: plan
                .refineries
                .iter()
                .enumerate()
                .map(|(r, rf)| (rf.name.clone(), sol.capacity_value(r).map(clean)))
                .collect(),
            source_capacity: plan
                .sources
                .iter()
                .enumerate()
                .map(|(si, src)| (src.name.clone(), sol.source_value(si).map(clean)))
                .collect(),
            import_capacity: plan
                .imports
                .iter()
                .enumerate()
                .map(|(i, im)| {
                    (
                        im.name.clone(),
                        elements_with(&layout.import_cap_row[i], &|e| sol.import_cap_value(i, e)),
                    )
                })
                .collect(),
            import_share: elements_with(&layout.share_row, &|e| sol.import_share_value(e)),
            budget: sol.budget_value().map(clean),
            market: elements_with(&layout.market_row, &|e| sol.market_value(e)),
        };
        let shares = (0..plan.elements.len())
            .filter_map(|e| {
                let value = sol.import_share_value(e)?;
                Some(ShareReport {
                    element: el(e),
                    max_share: plan.policy.max_import_share[e].unwrap_or(1.0),
                    outside: layout.share_row[e].map_or(0.0, |j| sol.rows[j].activity),
                    value,
                })
            })
            .collect();
        SolvedReport {
            status: "optimal",
            backend: sol.backend.name(),
            duals: match sol.dual_source {
                DualSource::Native => "native",
                DualSource::OneSided => "one-sided",
                DualSource::FixedIntegers => "fixed-integers",
                DualSource::Unavailable => "unavailable",
            },
            objective: sol.objective,
            costs: sol.costs,
            capex_total: sol.capex_total,
            build: plan
                .refineries
                .iter()
                .enumerate()
                .map(|(r, rf)| (rf.name.clone(), clean(sol.new[r])))
                .collect(),
            refineries,
            flows,
            imports,
            surplus,
            served,
            unmet,
            prices,
            shadow_prices,
            binding: sol
                .binding()
                .iter()
                .map(|b| BindingReport {
                    constraint: row_name(plan, b.kind),
                    value: b.value,
                    text: binding_text(plan, sol, b),
                })
                .collect(),
            shortages: sol
                .shortages(plan)
                .iter()
                .map(|s| shortage_text(plan, s))
                .collect(),
            warnings: warnings(plan, Some(sol)),
            stats: Stats {
                variables: sol.n_vars,
                rows: sol.n_rows,
                integers: sol.n_integer,
                build_s: sol.build_s,
                solve_s: sol.solve_s,
            },
            demand,
            import_rows,
            shares,
            budget: plan.policy.budget,
        }
    }

    /// The demand rows of element `el`.
    fn demand_of<'a>(&'a self, el: &'a str) -> impl Iterator<Item = &'a DemandReport> + 'a {
        self.demand.iter().filter(move |d| d.element == el)
    }

    /// Interior-point noise in a cost line (a few nanotonnes at a high
    /// price) is shown as 0.
    fn rel(&self, x: f64) -> String {
        num(if x.abs() < 1e-9 * self.objective.abs().max(1.0) {
            0.0
        } else {
            x
        })
    }

    fn text(&self, o: &mut String, cur: &str, elements: &[String]) {
        let st = &self.stats;
        let _ = writeln!(
            o,
            "Status: optimal ({}; {} variables, {} rows, {} integer; build {:.3} s, solve {:.3} s)",
            self.backend, st.variables, st.rows, st.integers, st.build_s, st.solve_s
        );
        for w in &self.warnings {
            let _ = writeln!(o, "Warning: {w}");
        }
        let c = &self.costs;
        let _ = writeln!(o, "\nAnnual cost ({cur}/yr)");
        let rows = vec![
            vec![s("ore and concentrate"), self.rel(c.sources)],
            vec![s("transport"), self.rel(c.transport)],
            vec![s("refinery opex"), self.rel(c.opex)],
            vec![
                s("new capacity (annualised capex)"),
                self.rel(c.capex_annualised),
            ],
            vec![s("imports"), self.rel(c.imports)],
            vec![s("surplus disposal"), self.rel(c.disposal)],
            vec![s("surplus sales"), self.rel(-c.sales)],
            vec![s("unmet-demand penalty"), self.rel(c.unmet_penalty)],
            vec![s("total (objective)"), num(self.objective)],
        ];
        o.push_str(&table(&[s("component"), s("cost")], &rows));
        let budget = self
            .budget
            .map_or(String::new(), |b| format!(" of a budget of {}", num(b)));
        let _ = writeln!(
            o,
            "Capex of new capacity: {} {cur}{budget}",
            num(self.capex_total)
        );

        let _ = writeln!(o, "\nRefineries (t REO feed/yr)");
        let rows: Vec<Vec<String>> = self
            .refineries
            .iter()
            .map(|(name, rf)| {
                vec![
                    name.to_string(),
                    rf.region.clone(),
                    num(rf.existing),
                    num(rf.new),
                    num_or_dash(rf.modules),
                    num(rf.feed),
                    rf.use_pct.map_or("-".into(), |p| format!("{p:.0}%")),
                    num_or_dash(rf.capacity_value),
                ]
            })
            .collect();
        o.push_str(&table(
            &[
                s("refinery"),
                s("region"),
                s("existing"),
                s("build"),
                s("modules"),
                s("feed"),
                s("use"),
                format!("value {cur}/t/yr"),
            ],
            &rows,
        ));

        let _ = writeln!(o, "\nOre and concentrate to refineries (t REO/yr)");
        let rows: Vec<Vec<String>> = self
            .flows
            .feed
            .iter()
            .map(|f| vec![f.source.clone(), f.refinery.clone(), num(f.amount)])
            .collect();
        if rows.is_empty() {
            o.push_str("  (none)\n");
        } else {
            o.push_str(&table(&[s("source"), s("refinery"), s("t/yr")], &rows));
        }

        let _ = writeln!(
            o,
            "\nSeparated oxide per refinery (t/yr): output, of which sold / disposed as surplus"
        );
        let mut rows = Vec::new();
        for (name, rf) in self.refineries.iter() {
            if rf.output.iter().all(|(_, &y)| y == 0.0) {
                continue;
            }
            let mut row = vec![name.to_string()];
            for (e, (_, &y)) in rf.output.iter().enumerate() {
                let (q, w) = (rf.sold[e], rf.disposed[e]);
                row.push(if q > 0.0 || w > 0.0 {
                    format!("{} ({}/{})", num(y), num(q), num(w))
                } else {
                    num(y)
                });
            }
            rows.push(row);
        }
        if rows.is_empty() {
            o.push_str("  (none)\n");
        } else {
            let mut h = vec![s("refinery")];
            h.extend(elements.iter().cloned());
            o.push_str(&table(&h, &rows));
        }

        let _ = writeln!(o, "\nDemand (t/yr) and its marginal cost ({cur}/t)");
        let rows: Vec<Vec<String>> = self
            .demand
            .iter()
            .map(|d| {
                vec![
                    d.region.clone(),
                    d.element.clone(),
                    num(d.amount),
                    num(clean(d.refined)),
                    num(clean(d.imported)),
                    num(clean(d.unmet)),
                    format!("{:.1}%", 100.0 * d.served),
                    num_or_dash(d.price.map(clean)),
                ]
            })
            .collect();
        o.push_str(&table(
            &[
                s("region"),
                s("element"),
                s("demand"),
                s("refined"),
                s("imported"),
                s("unmet"),
                s("served"),
                s("price"),
            ],
            &rows,
        ));

        if !self.import_rows.is_empty() {
            let rows: Vec<Vec<String>> = self
                .import_rows
                .iter()
                .map(|im| {
                    vec![
                        im.import.clone(),
                        im.element.clone(),
                        num(im.amount),
                        im.capacity.map_or("unlimited".into(), num),
                        num(im.price),
                        num_or_dash(im.cap_value),
                    ]
                })
                .collect();
            let _ = writeln!(o, "\nImports from outside the alliance (t/yr)");
            o.push_str(&table(
                &[
                    s("import"),
                    s("element"),
                    s("amount"),
                    s("capacity"),
                    s("price"),
                    s("cap value"),
                ],
                &rows,
            ));
        }

        if !self.shares.is_empty() {
            let rows: Vec<Vec<String>> = self
                .shares
                .iter()
                .map(|sh| {
                    vec![
                        sh.element.clone(),
                        format!("{:.1}%", sh.max_share * 100.0),
                        num(clean(sh.outside)),
                        num(clean(sh.value)),
                    ]
                })
                .collect();
            let _ = writeln!(
                o,
                "\nImport share caps (cost of independence, {cur} per tonne of cap)"
            );
            o.push_str(&table(
                &[
                    s("element"),
                    s("max share"),
                    s("from outside t/yr"),
                    s("value"),
                ],
                &rows,
            ));
        }
        if let Some(v) = self.shadow_prices.budget.filter(|&v| v > 0.0) {
            let _ = writeln!(
                o,
                "\nBudget: one more {cur} of capex budget saves {} {cur}/yr",
                num(v)
            );
        }

        let _ = writeln!(o, "\nBinding constraints");
        if self.binding.is_empty() {
            o.push_str("  (none of the limits binds)\n");
        }
        for b in &self.binding {
            let _ = writeln!(o, "  - {}", b.text);
        }
        if !self.shortages.is_empty() {
            let _ = writeln!(o, "\nShortages");
            for l in &self.shortages {
                let _ = writeln!(o, "  - {l}");
            }
        }
    }
}

/// One CSV record: `table, from, to, element, value`.
pub type CsvRecord = (&'static str, String, String, String, f64);

/// A CSV number: rounded to 6 decimals (micro-tonnes, micro-units of
/// currency), so that solver noise does not show as 437.4999999998; empty
/// for a missing value.
fn csv_num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x.abs() >= 1e12 {
        return format!("{x}");
    }
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 {
        "0".to_string()
    } else {
        format!("{r}")
    }
}

/// The CSV renderings of one or more scenario reports: one long table
/// (`scenario,table,from,to,element,value`), and one table per record kind
/// (`scenario,from,to,element,value`), keyed by the kind.
pub fn csv_tables(
    reports: &[PlanReport],
) -> (String, std::collections::BTreeMap<&'static str, String>) {
    type Writer = csv::Writer<Vec<u8>>;
    let new = |header: &[&str]| {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(header);
        w
    };
    let mut long: Writer = new(&["scenario", "table", "from", "to", "element", "value"]);
    let mut tables: std::collections::BTreeMap<&'static str, Writer> = Default::default();
    for rep in reports {
        for (table, from, to, element, value) in rep.csv_records() {
            let value = csv_num(value);
            let _ = long.write_record([rep.scenario.as_str(), table, &from, &to, &element, &value]);
            let _ = tables
                .entry(table)
                .or_insert_with(|| new(&["scenario", "from", "to", "element", "value"]))
                .write_record([rep.scenario.as_str(), &from, &to, &element, &value]);
        }
    }
    let text =
        |w: Writer| String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    (
        text(long),
        tables.into_iter().map(|(k, w)| (k, text(w))).collect(),
    )
}

/// Several scenarios of one plan, side by side.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Comparison {
    /// Name of the plan (of its first scenario).
    pub name: Option<String>,
    /// Every scenario's report, with its description.
    pub scenarios: Vec<ComparedScenario>,
    /// Refineries that may build (of the first scenario), compared by name.
    #[serde(skip)]
    pub builds: Vec<String>,
    /// Elements compared, and whether any import offers each.
    #[serde(skip)]
    pub compared_elements: Vec<(String, bool)>,
}

/// One scenario of a [`Comparison`].
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ComparedScenario {
    /// Its report.
    #[serde(flatten)]
    pub report: PlanReport,
    /// Its description in the plan file.
    pub description: Option<String>,
}

impl Comparison {
    /// The comparison of scenario reports with their descriptions; `first`,
    /// the plan of the first scenario, sets the rows compared.
    pub fn new(first: &Plan, scenarios: Vec<(PlanReport, Option<String>)>) -> Comparison {
        let builds = first
            .refineries
            .iter()
            .filter(|rf| rf.max_new > 0.0)
            .map(|rf| rf.name.clone())
            .collect();
        let mut compared_elements = Vec::new();
        for (e, el) in first.elements.iter().enumerate() {
            if first.alliance_demand(e) <= 0.0 && !first.demand.iter().any(|d| d.element == e) {
                continue;
            }
            let imported = first.imports.iter().any(|im| im.price[e].is_some());
            compared_elements.push((el.clone(), imported));
        }
        Comparison {
            name: scenarios.first().map(|(r, _)| r.name.clone()),
            scenarios: scenarios
                .into_iter()
                .map(|(report, description)| ComparedScenario {
                    report,
                    description,
                })
                .collect(),
            builds,
            compared_elements,
        }
    }

    /// The JSON object (pretty-printed, with a final newline).
    pub fn to_json(&self) -> String {
        pretty(self)
    }

    /// The side-by-side table, then the full report of every scenario that
    /// did not solve.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let Some(first) = self.scenarios.first() else {
            return o;
        };
        let cur = &first.report.currency;
        let _ = writeln!(
            o,
            "Plan: {} ({} scenarios)",
            first.report.name,
            self.scenarios.len()
        );
        for sc in &self.scenarios {
            if let Some(d) = &sc.description {
                let _ = writeln!(o, "  {}: {d}", sc.report.scenario);
            }
        }
        let mut headers = vec![s("")];
        headers.extend(self.scenarios.iter().map(|sc| sc.report.scenario.clone()));
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut add = |label: String, f: &dyn Fn(&SolvedReport) -> String| {
            let mut row = vec![label];
            for sc in &self.scenarios {
                row.push(match &sc.report.result {
                    ScenarioResult::Solved(sol) => f(sol),
                    ScenarioResult::Unsolved(u) => u.status.to_string(),
                });
            }
            rows.push(row);
        };
        add(format!("annual cost ({cur}/yr)"), &|s| num(s.objective));
        add(s("  capex annualised"), &|s| {
            s.rel(s.costs.capex_annualised)
        });
        add(s("  imports"), &|s| s.rel(s.costs.imports));
        add(s("  unmet penalty"), &|s| s.rel(s.costs.unmet_penalty));
        add(format!("capex total ({cur})"), &|s| num(s.capex_total));
        for name in &self.builds {
            add(format!("build {name} (t/yr)"), &|s: &SolvedReport| {
                s.build.get(name).map_or("-".into(), |&x| num(x))
            });
        }
        for (el, imported) in &self.compared_elements {
            if *imported {
                add(format!("{el}: imported (t/yr)"), &|s: &SolvedReport| {
                    if !s.surplus.iter().any(|(e, _)| e == el) {
                        return "-".into(); // not an element of this scenario
                    }
                    num(clean(s.demand_of(el).map(|d| d.imported).sum()))
                });
            }
            add(
                format!("{el}: served, allied (min)"),
                &|s: &SolvedReport| {
                    let m = s
                        .demand_of(el)
                        .filter(|d| d.allied)
                        .map(|d| d.served)
                        .fold(f64::INFINITY, f64::min);
                    if m.is_finite() {
                        format!("{:.1}%", 100.0 * m)
                    } else {
                        "-".into()
                    }
                },
            );
            add(
                format!("{el}: marginal cost ({cur}/t, mean)"),
                &|s: &SolvedReport| {
                    let (mut sum, mut w) = (0.0, 0.0);
                    for d in s.demand_of(el) {
                        if let Some(pr) = d.price {
                            let weight = d.amount.max(1e-12);
                            sum += pr * weight;
                            w += weight;
                        }
                    }
                    if w > 0.0 {
                        num(clean(sum / w))
                    } else {
                        "-".into()
                    }
                },
            );
        }
        add(s("binding constraints"), &|s| s.binding.len().to_string());
        o.push_str(&table(&headers, &rows));
        for sc in &self.scenarios {
            if sc.report.solved().is_none() {
                o.push('\n');
                o.push_str(&sc.report.to_text());
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(num(1234567.4), "1,234,567");
        assert_eq!(num(-1234.6), "-1,234.6");
        assert_eq!(num(-12345.6), "-12,346");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(437.499999999), "437.5");
        assert_eq!(num(2040.0), "2,040");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(0.012346), "0.01235");
        assert_eq!(num(1e-12), "0");
        assert_eq!(num(f64::INFINITY), "unlimited");
        assert_eq!(csv_num(437.4999999998), "437.5");
        assert_eq!(csv_num(f64::NAN), "");
    }

    #[test]
    fn aligns_tables() {
        let t = table(&[s("a"), s("bb")], &[vec![s("xyz"), s("1")]]);
        assert_eq!(t, "  a    bb\n  -------\n  xyz   1\n");
    }

    #[test]
    fn named_entries_keep_first_place_and_last_value() {
        let m: Named<f64> = [("a".to_string(), 1.0), ("b".into(), 2.0), ("a".into(), 3.0)]
            .into_iter()
            .collect();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":3.0,"b":2.0}"#);
    }

    #[test]
    fn csv_quotes_names_with_commas_and_quotes() {
        let rep = PlanReport {
            name: "p".into(),
            scenario: "a, \"b\"".into(),
            currency: "USD".into(),
            elements: vec![],
            result: ScenarioResult::Unsolved(Box::new(UnsolvedReport::new(
                "failed",
                None,
                Some(("microlp", "x".into())),
            ))),
        };
        let (long, tables) = csv_tables(&[rep]);
        assert_eq!(
            long,
            "scenario,table,from,to,element,value\n\"a, \"\"b\"\"\",status,infeasible_or_failed,,,\n"
        );
        assert_eq!(
            tables["status"],
            "scenario,from,to,element,value\n\"a, \"\"b\"\"\",infeasible_or_failed,,,\n"
        );
    }
}
