//! Raw plan schema: the TOML file as the user wrote it (serde, unknown keys
//! rejected).
//!
//! These structs hold only what the file says, with names as strings and
//! numbers unchecked; `capacity::validate` turns them into a
//! [`crate::capacity::Plan`]. Keys follow docs/model-format.md section 3 (a
//! contract: extend, never rename). Keys that accept either a number or a
//! per-element table (`max_import_share`, `unmet_penalty`,
//! `surplus.disposal`, ...) are kept as [`toml::Value`] here and interpreted
//! by the validator, so that its messages can name the element.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A whole plan file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// Title of the plan, shown in reports.
    pub name: Option<String>,
    /// Elements the plan tracks (oxide names such as `Nd`); order is kept in
    /// every output.
    pub elements: Vec<String>,
    /// Currency of every cost and price (a label only).
    pub currency: Option<String>,
    /// Regions: alliance members and outside suppliers.
    #[serde(default)]
    pub region: Vec<RawRegion>,
    /// Mines or concentrate streams.
    #[serde(default)]
    pub source: Vec<RawSource>,
    /// Existing or candidate separation plants.
    #[serde(default)]
    pub refinery: Vec<RawRefinery>,
    /// Demand rows, one per region and element.
    #[serde(default)]
    pub demand: Vec<RawDemand>,
    /// Supply of separated oxides from outside the alliance.
    #[serde(default)]
    pub import: Vec<RawImport>,
    /// Transport costs per tonne.
    pub transport: Option<RawTransport>,
    /// What happens to produced oxide nobody demands (La, Ce, ...).
    pub surplus: Option<RawSurplus>,
    /// Policy constraints and economic parameters.
    pub policy: Option<RawPolicy>,
    /// Solver choice.
    pub solver: Option<RawSolver>,
    /// Named scenarios, array form: `[[scenario]] name = ".." set = {..}`.
    #[serde(default)]
    pub scenario: Vec<RawScenario>,
    /// Named scenarios, table form: `[scenarios.NAME] set = {..}`.
    #[serde(default)]
    pub scenarios: BTreeMap<String, RawScenarioBody>,
    /// Multi-period plan (`[horizon]`): when present, `sxforge plan` runs
    /// the horizon planner ([`crate::capacity::horizon`]).
    pub horizon: Option<RawHorizon>,
    /// Strategic stockpiles (horizon plans only).
    #[serde(default)]
    pub stockpile: Vec<RawStockpile>,
    /// Supply shocks common to every future (horizon plans only).
    #[serde(default)]
    pub shock: Vec<RawShock>,
    /// Weighted futures of a two-stage stochastic plan (horizon plans only).
    #[serde(default)]
    pub future: Vec<RawFuture>,
}

/// `[horizon]`: the years a multi-period plan covers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHorizon {
    /// First calendar year (year index 0: no discounting).
    pub first_year: i64,
    /// Number of years.
    pub years: i64,
    /// Demand growth per year: a number or `{ default = .., El = .. }`.
    pub growth: Option<toml::Value>,
    /// Per-element demand multipliers, one per year (override `growth`).
    #[serde(default)]
    pub demand_factor: BTreeMap<String, Vec<f64>>,
    /// Cap on capex committed in any one year (not discounted).
    pub budget_per_year: Option<f64>,
    /// Future whose deterministic plan the value of the stochastic solution
    /// is measured against (default: a future without shocks, else the most
    /// probable).
    pub reference: Option<String>,
}

/// `[[stockpile]]`: a strategic reserve of one element in one region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStockpile {
    /// Region holding the stock (its demand rows draw on it).
    pub region: String,
    /// Element stocked.
    pub element: String,
    /// Largest stock, t.
    pub capacity: f64,
    /// Stock at the start of the first year, t.
    #[serde(default)]
    pub initial: f64,
    /// Holding cost per t held at the end of a year.
    #[serde(default)]
    pub holding: f64,
    /// Target: hold at least this many days of the region's demand.
    pub cover_days: Option<f64>,
    /// Target: hold at least this many years of the region's demand.
    pub survive_ban_years: Option<f64>,
}

/// `[[shock]]` or `[[future.shock]]`: an import capacity cut.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShock {
    /// Import (by name) whose capacity is cut.
    pub import: String,
    /// First calendar year of the cut.
    pub from: i64,
    /// Last calendar year of the cut (inclusive; default: end of horizon).
    pub to: Option<i64>,
    /// Capacity multiplier during the cut (default 0: a ban).
    #[serde(default)]
    pub factor: f64,
    /// Elements cut (default: all).
    pub elements: Option<Vec<String>>,
}

/// `[[future]]`: one weighted future of a stochastic plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFuture {
    /// Unique name.
    pub name: String,
    /// Probability; the futures' probabilities sum to 1.
    pub probability: f64,
    /// Shocks of this future.
    #[serde(default)]
    pub shock: Vec<RawShock>,
}

/// `[[region]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    /// Unique name.
    pub name: String,
    /// Member of the alliance (default true).
    pub allied: Option<bool>,
}

/// `[[source]]`: a mine or concentrate stream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Unique name.
    pub name: String,
    /// Region it lies in.
    pub region: String,
    /// t REO per year.
    pub capacity: f64,
    /// Cost per t REO delivered to a refinery (before transport).
    #[serde(default)]
    pub cost: f64,
    /// Fraction of the REO that is each element; the sum is at most 1 (the
    /// rest is elements the plan does not track).
    pub assay: BTreeMap<String, f64>,
    /// Years before the source first produces (horizon plans only).
    pub lead_time: Option<f64>,
    /// Share of capacity in the first producing years (horizon plans only).
    pub ramp_up: Option<Vec<f64>>,
}

/// `[[refinery]]`: an existing or candidate separation plant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRefinery {
    /// Unique name.
    pub name: String,
    /// Region it lies in.
    pub region: String,
    /// Existing capacity, t REO feed per year.
    #[serde(default)]
    pub existing: f64,
    /// Largest new capacity that may be built, t REO feed per year.
    #[serde(default)]
    pub max_new: f64,
    /// Capital cost per t/yr of new capacity.
    #[serde(default)]
    pub capex: f64,
    /// Economic lifetime of new capacity, years.
    pub lifetime: Option<f64>,
    /// Operating cost per t REO processed.
    #[serde(default)]
    pub opex: f64,
    /// Fraction of each element in the feed that leaves as separated oxide
    /// (with `process`: used only for elements the process does not
    /// separate).
    pub recovery: Option<f64>,
    /// A costed cascade model (path relative to the plan file) from which
    /// capex, opex and per-element recovery are derived
    /// ([`crate::cost::derive_refinery`]) instead of `capex`, `opex` and
    /// `recovery`.
    pub process: Option<String>,
    /// Size of one plant module, t/yr: new capacity is then a whole number of
    /// modules (an integer program).
    pub module: Option<f64>,
    /// Years from a build decision to first output (horizon plans only).
    pub lead_time: Option<f64>,
    /// Share of nameplate in the first operating years (horizon plans only).
    pub ramp_up: Option<Vec<f64>>,
}

/// `[[demand]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDemand {
    /// Region that consumes.
    pub region: String,
    /// Element demanded.
    pub element: String,
    /// t oxide per year.
    pub amount: f64,
}

/// `[[import]]`: supply from outside the alliance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImport {
    /// Unique name (default: the region's name).
    pub name: Option<String>,
    /// Region the supply comes from (not allied).
    pub region: String,
    /// Price per t oxide, per element; elements absent cannot be imported.
    pub price: BTreeMap<String, f64>,
    /// Most that can be bought per year, t oxide per element; absent means
    /// no limit.
    #[serde(default)]
    pub capacity: BTreeMap<String, f64>,
}

/// `[transport]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransport {
    /// Cost per tonne between two different regions.
    #[serde(default)]
    pub default: f64,
    /// Cost per tonne within one region (default 0).
    #[serde(default)]
    pub within: f64,
    /// Region-to-region overrides; each also applies in reverse unless the
    /// reverse route is given too.
    #[serde(default)]
    pub route: Vec<RawRoute>,
}

/// `[[transport.route]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Origin region.
    pub from: String,
    /// Destination region.
    pub to: String,
    /// Cost per tonne.
    pub cost: f64,
}

/// `[surplus]`: what happens to oxide that no demand takes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSurplus {
    /// Disposal or storage cost per tonne: a number, or a table with an
    /// optional `default` and per-element entries.
    pub disposal: Option<toml::Value>,
    /// Sale price per tonne, per element (elements absent cannot be sold).
    #[serde(default)]
    pub price: BTreeMap<String, f64>,
    /// Most that can be sold per year, t per element (absent: no limit).
    #[serde(default)]
    pub market: BTreeMap<String, f64>,
}

/// `[policy]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Rate at which capex is annualised, in (-1, 1).
    pub discount_rate: Option<f64>,
    /// Largest share of alliance demand per element that may come from
    /// outside: a number or `{ default = .., El = .. }`.
    pub max_import_share: Option<toml::Value>,
    /// Every allied region is served the same fraction of its demand.
    #[serde(default)]
    pub fair_share: bool,
    /// Cap on total (not annualised) capex.
    pub budget: Option<f64>,
    /// Penalty per tonne of unmet demand: a number or per-element table.
    /// Absent: unmet demand is not allowed.
    pub unmet_penalty: Option<toml::Value>,
    /// Multiplier on every refinery's capex (1 = as written), for overrun
    /// scenarios.
    pub capex_factor: Option<f64>,
}

/// `[solver]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSolver {
    /// `auto`, `clarabel`, `microlp` or `highs`.
    pub backend: Option<String>,
}

/// `[[scenario]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Unique name (not `base`).
    pub name: String,
    /// One line shown in comparisons.
    pub description: Option<String>,
    /// Overrides: a table of `path = value` (dotted paths, as `--set`), or an
    /// array of `"path=value"` strings.
    pub set: Option<toml::Value>,
}

/// `[scenarios.NAME]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenarioBody {
    /// One line shown in comparisons.
    pub description: Option<String>,
    /// Overrides, as in [`RawScenario::set`].
    pub set: Option<toml::Value>,
}
