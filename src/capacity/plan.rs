//! The validated plan: names resolved to indices, numbers checked, defaults
//! filled in. Nothing downstream of `capacity::validate` sees an
//! unchecked value.
//!
//! Units: tonnes per year of rare-earth oxide (REO) for ore, capacity and
//! demand; the plan's currency per tonne (or per t/yr of capacity) for costs.

/// Which solver backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The default: microlp's simplex to a verified vertex optimum, with
    /// exact one-sided marginal values (`capacity::exact`).
    Auto,
    /// Clarabel (interior point, pure Rust): LPs with dual values. Integer
    /// modules are relaxed to continuous.
    Clarabel,
    /// microlp (simplex and branch-and-bound, pure Rust): exact integer
    /// modules; dual values come from a Clarabel re-solve with the integer
    /// choices fixed.
    Microlp,
    /// HiGHS (needs the `highs` cargo feature).
    Highs,
}

impl Backend {
    /// Parses `auto`, `clarabel`, `microlp` or `highs`.
    pub fn parse(s: &str) -> Option<Backend> {
        match s {
            "auto" => Some(Backend::Auto),
            "clarabel" => Some(Backend::Clarabel),
            "microlp" => Some(Backend::Microlp),
            "highs" => Some(Backend::Highs),
            _ => None,
        }
    }

    /// Whether this build of sxforge has the backend (HiGHS only with the
    /// `highs` cargo feature; the others always).
    pub fn compiled(self) -> bool {
        cfg!(feature = "highs") || self != Backend::Highs
    }

    /// Names of the backends this build has, in the order `--solver` lists
    /// them.
    pub fn available() -> Vec<&'static str> {
        [
            Backend::Auto,
            Backend::Clarabel,
            Backend::Microlp,
            Backend::Highs,
        ]
        .into_iter()
        .filter(|b| b.compiled())
        .map(Backend::name)
        .collect()
    }

    /// Why this build cannot use the backend (`None` when it can): for
    /// messages of the CLI and of plan files.
    pub fn missing(self) -> Option<String> {
        if self.compiled() {
            return None;
        }
        Some(format!(
            "this sxforge was built without HiGHS (rebuild with --features highs); available: {}",
            Backend::available().join(", ")
        ))
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Clarabel => "clarabel",
            Backend::Microlp => "microlp",
            Backend::Highs => "highs",
        }
    }
}

/// A region: an alliance member or an outside supplier.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Name.
    pub name: String,
    /// Member of the alliance.
    pub allied: bool,
}

/// A mine or concentrate stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Name.
    pub name: String,
    /// Index into [`Plan::regions`].
    pub region: usize,
    /// t REO per year.
    pub capacity: f64,
    /// Cost per t REO.
    pub cost: f64,
    /// Fraction of each element (indexed like [`Plan::elements`]); sums to at most 1.
    pub assay: Vec<f64>,
}

/// An existing or candidate separation plant.
#[derive(Debug, Clone, PartialEq)]
pub struct Refinery {
    /// Name.
    pub name: String,
    /// Index into [`Plan::regions`].
    pub region: usize,
    /// Existing capacity, t REO feed per year.
    pub existing: f64,
    /// Largest new capacity, t REO feed per year.
    pub max_new: f64,
    /// Capex per t/yr of new capacity (already multiplied by the policy's
    /// `capex_factor`).
    pub capex: f64,
    /// Lifetime of new capacity, years (1 when nothing can be built).
    pub lifetime: f64,
    /// Capex per t/yr annualised: `capex * crf(rate, lifetime)`.
    pub annualised_capex: f64,
    /// Operating cost per t REO processed.
    pub opex: f64,
    /// Recovery of every element into separated oxide, in (0, 1].
    pub recovery: f64,
    /// Module size, t/yr, when new capacity comes in whole modules.
    pub module: Option<f64>,
    /// Recovery per element (indexed like [`Plan::elements`]) when a
    /// `process` gives it; `None`: `recovery` for every element.
    pub element_recovery: Option<Vec<f64>>,
    /// The process the refinery's numbers were derived from, if any.
    pub process: Option<crate::cost::DerivedRefinery>,
}

impl Refinery {
    /// Recovery of element `e` into separated oxide.
    pub fn recovery_of(&self, e: usize) -> f64 {
        self.element_recovery
            .as_ref()
            .map_or(self.recovery, |r| r[e])
    }
}

/// Demand of one region for one element.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// Index into [`Plan::regions`].
    pub region: usize,
    /// Index into [`Plan::elements`].
    pub element: usize,
    /// t oxide per year.
    pub amount: f64,
}

/// Supply of separated oxide from outside the alliance.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// Name (the region's name unless given).
    pub name: String,
    /// Index into [`Plan::regions`].
    pub region: usize,
    /// Price per t oxide, per element; `None`: cannot be imported.
    pub price: Vec<Option<f64>>,
    /// t per year, per element; `None`: no limit.
    pub capacity: Vec<Option<f64>>,
}

/// What happens to oxide that no demand takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Surplus {
    /// Disposal or storage cost per tonne, per element.
    pub disposal: Vec<f64>,
    /// Sale price per tonne, per element; `None`: no sale.
    pub price: Vec<Option<f64>>,
    /// Market size, t per year, per element; `None`: no limit.
    pub market: Vec<Option<f64>>,
    /// Whether the file gave a `[surplus]` table at all (the report warns
    /// when disposal is free because nothing was said).
    pub stated: bool,
}

/// Policy constraints.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Discount rate used to annualise capex.
    pub discount_rate: f64,
    /// Largest share of alliance demand per element from outside; `None`: no cap.
    pub max_import_share: Vec<Option<f64>>,
    /// Same served fraction for every allied region, per element.
    pub fair_share: bool,
    /// Cap on total capex.
    pub budget: Option<f64>,
    /// Penalty per tonne of unmet demand, per element; `None`: unmet demand
    /// not allowed.
    pub unmet_penalty: Vec<Option<f64>>,
    /// Multiplier applied to every capex.
    pub capex_factor: f64,
}

/// A validated plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Title.
    pub name: String,
    /// Currency label.
    pub currency: String,
    /// Element names.
    pub elements: Vec<String>,
    /// Regions.
    pub regions: Vec<Region>,
    /// Sources.
    pub sources: Vec<Source>,
    /// Refineries.
    pub refineries: Vec<Refinery>,
    /// Demand rows (unique per region and element).
    pub demand: Vec<Demand>,
    /// Imports.
    pub imports: Vec<Import>,
    /// Transport cost per tonne from region i to region j: `transport[i][j]`.
    pub transport: Vec<Vec<f64>>,
    /// Surplus handling.
    pub surplus: Surplus,
    /// Policy.
    pub policy: Policy,
    /// Requested backend.
    pub backend: Backend,
}

impl Plan {
    /// Whether any refinery builds in whole modules (an integer program).
    pub fn has_modules(&self) -> bool {
        self.refineries
            .iter()
            .any(|r| r.module.is_some() && r.max_new > 0.0)
    }

    /// Total demand of allied regions for element `e`.
    pub fn alliance_demand(&self, e: usize) -> f64 {
        self.demand
            .iter()
            .filter(|d| d.element == e && self.regions[d.region].allied)
            .map(|d| d.amount)
            .sum()
    }

    /// Index of the element called `name`.
    pub fn element_index(&self, name: &str) -> Option<usize> {
        self.elements.iter().position(|e| e == name)
    }

    /// Index of the region called `name`.
    pub fn region_index(&self, name: &str) -> Option<usize> {
        self.regions.iter().position(|r| r.name == name)
    }
}

/// Capital recovery factor: the constant annual payment, per unit of capital,
/// that repays it over `lifetime` years at `rate`:
/// `r (1+r)^n / ((1+r)^n - 1)`, and `1/n` at `r = 0`.
///
/// ```
/// use sxforge::capacity::crf;
/// assert!((crf(0.0, 20.0) - 0.05).abs() < 1e-15);
/// assert!((crf(0.08, 20.0) - 0.101_852_209_3).abs() < 1e-9);
/// ```
pub fn crf(rate: f64, lifetime: f64) -> f64 {
    if rate == 0.0 {
        return 1.0 / lifetime;
    }
    // r / (1 - (1+r)^-n): no overflow for long lifetimes (it tends to r for
    // r > 0 and to 0 for r < 0) and, with expm1 and ln_1p, no cancellation
    // for small r.
    rate / -(-lifetime * rate.ln_1p()).exp_m1()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crf_limits() {
        assert_eq!(crf(0.0, 10.0), 0.1);
        // Smooth across zero: crf(r) = 1/n + r (n+1)/(2n) + O(r^2).
        assert!((crf(1e-8, 10.0) - (0.1 + 1e-8 * 0.55)).abs() < 1e-13);
        assert!((crf(-1e-8, 10.0) - (0.1 - 1e-8 * 0.55)).abs() < 1e-13);
        assert!((crf(-1e-8, 10.0) - 0.1).abs() < 1e-8);
        // One year: repay capital plus one year's interest.
        assert!((crf(0.1, 1.0) - 1.1).abs() < 1e-12);
        // Negative rates give less than straight-line.
        assert!(crf(-0.02, 10.0) < 0.1);
        // Long lifetimes: the annuity tends to the interest alone (issue 9,
        // fuzz item 8: 1.08^10000 overflows).
        assert_eq!(crf(0.08, 10000.0), 0.08);
        assert!((crf(0.08, 200.0) - 0.08 / (1.0 - 1.08f64.powf(-200.0))).abs() < 1e-15);
        assert!(crf(-0.02, 1e6) >= 0.0 && crf(-0.02, 1e6) < 1e-300);
        assert!(crf(0.5, 1e300).is_finite());
    }
}
