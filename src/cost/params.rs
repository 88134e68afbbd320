//! The `[cost]` table: raw schema (serde, unknown keys rejected) and the
//! checked parameters with their documented defaults.
//!
//! Every default is listed in [`CostParams::default`] with its source; the
//! same list, with units, is in docs/cost.md. Values marked ASSUMPTION are
//! round figures of the right order, calibrated against the published plant
//! costs in docs/cost.md, and the first thing to replace with a vendor quote.

use std::collections::BTreeMap;

use crate::error::InputError;

pub use crate::model::tables::RawCost;

/// How the plant's cost is shared between co-products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allocation {
    /// In proportion to each product's market value (kg x price).
    Value,
    /// In proportion to each product's mass of oxide.
    Mass,
    /// The main products bear the whole cost less the by-products' sales.
    ByProduct(Vec<String>),
}

impl Allocation {
    /// Name as in `[cost] allocation`.
    pub fn name(&self) -> &'static str {
        match self {
            Allocation::Value => "value",
            Allocation::Mass => "mass",
            Allocation::ByProduct(_) => "byproduct",
        }
    }
}

/// Checked cost parameters (see [`CostParams::default`] for the defaults
/// and their sources).
#[derive(Debug, Clone, PartialEq)]
pub struct CostParams {
    /// t REO of feed per year.
    pub throughput: f64,
    /// Operating hours per year.
    pub hours: f64,
    /// Mixer residence time, min.
    pub residence_time: f64,
    /// m3/(m2 h).
    pub settling_rate: f64,
    /// m.
    pub organic_depth: f64,
    /// m2.
    pub max_settler_area: f64,
    /// USD.
    pub stage_cost: f64,
    /// m2.
    pub reference_area: f64,
    /// Size exponent.
    pub exponent: f64,
    /// Installed / purchased.
    pub installation_factor: f64,
    /// Discount rate.
    pub discount_rate: f64,
    /// Years.
    pub lifetime: f64,
    /// Fraction of capex per year.
    pub maintenance: f64,
    /// USD/kg.
    pub extractant_price: f64,
    /// g/mol.
    pub extractant_molar_mass: f64,
    /// mol/L.
    pub extractant_concentration: f64,
    /// USD/L.
    pub diluent_price: f64,
    /// mol/L.
    pub organic_loading: f64,
    /// mol/L.
    pub feed_concentration: f64,
    /// mol/L.
    pub scrub_acid_concentration: f64,
    /// L organic per m3 aqueous.
    pub entrainment_loss: f64,
    /// USD/kg HCl.
    pub acid_price: f64,
    /// `NH3` or `NaOH` (constant-flow models; rigorous models name their own).
    pub base: String,
    /// USD/kg.
    pub base_price: f64,
    /// Multiplier on stoichiometric acid and base.
    pub reagent_excess: f64,
    /// mol/mol RE.
    pub precipitant_mol_per_mol: f64,
    /// USD/kg.
    pub precipitant_price: f64,
    /// g/mol.
    pub precipitant_molar_mass: f64,
    /// kW/m3.
    pub mixer_power: f64,
    /// USD/kWh.
    pub electricity_price: f64,
    /// USD per stage per year.
    pub labour_per_stage: f64,
    /// Cost sharing between co-products.
    pub allocation: Allocation,
    /// USD/kg oxide per component name (defaults in `default_price`).
    pub price: BTreeMap<String, f64>,
    /// g oxide per mol element, per component name (defaults in
    /// [`super::oxide_molar_mass`]).
    pub oxide_molar_mass: BTreeMap<String, f64>,
    /// Whether the model gave `throughput` (else the default applies).
    pub throughput_given: bool,
}

impl Default for CostParams {
    /// The documented defaults (docs/cost.md lists them with sources).
    fn default() -> Self {
        CostParams {
            // ASSUMPTION: a White Mesa phase-1 sized plant (separation-plants.csv:5).
            throughput: 1000.0,
            // 330 days x 24 h (90 % availability), usual chemical-plant basis.
            hours: 7920.0,
            // Mixer residence 2-5 min for RE systems (Ritcey, Solvent
            // Extraction vol. 1, 2006, ch. 7): 3 min.
            residence_time: 3.0,
            // Specific settler flow 1-5 m3/(m2 h) (Ritcey 2006; copper SX
            // designs run 3-5): 2 for slow-breaking RE/P507 dispersions.
            settling_rate: 2.0,
            // Organic layer depth in a settler 0.2-0.4 m (Ritcey 2006).
            organic_depth: 0.3,
            // ASSUMPTION: largest RE mixer-settler settler, 100 m2.
            max_settler_area: 100.0,
            // ASSUMPTION calibrated to Geismar (docs/cost.md): purchased cost
            // of a 10 m2 polypropylene mixer-settler stage, USD 25,000.
            stage_cost: 25_000.0,
            reference_area: 10.0,
            // Six-tenths rule (Williams 1947; Peters, Timmerhaus & West,
            // Plant Design and Economics, 5th ed., 2003, ch. 6).
            exponent: 0.6,
            // Lang factor of fluid-processing plants, delivered equipment ->
            // fixed capital (Peters, Timmerhaus & West 2003, table 6-9: 4.74).
            installation_factor: 4.74,
            // As models/alliance-2026.toml policy (ASSUMPTION there too).
            discount_rate: 0.08,
            lifetime: 20.0,
            // Maintenance 2-10 % of fixed capital per year (Peters et al. 2003): 3 %.
            maintenance: 0.03,
            // ASSUMPTION: P507 (HEH/EHP) delivered outside China, USD 10/kg.
            extractant_price: 10.0,
            // P507, C16H35O3P: 306.4 g/mol.
            extractant_molar_mass: 306.4,
            // 1.5 mol/L P507 in kerosene (shared/design/chemistry.md).
            extractant_concentration: 1.5,
            // ASSUMPTION: sulfonated kerosene, USD 1/L.
            diluent_price: 1.0,
            // 1.5 mol/L P507 at 36 % saponification loads about 0.18 mol/L RE
            // (shared/design/chemistry.md, "Typical parameters").
            organic_loading: 0.18,
            // ASSUMPTION: 1 mol/L RE feed liquor (as models/p507-prnd-industrial.toml).
            feed_concentration: 1.0,
            // Scrub/strip HCl 3-6 mol/L (shared/design/chemistry.md): 4.
            scrub_acid_concentration: 4.0,
            // ASSUMPTION: 50 ppm (v/v) organic entrained and dissolved in the
            // aqueous effluents; plants report 20-100 ppm.
            entrainment_loss: 0.05,
            // ASSUMPTION: HCl USD 0.25/kg (100 % basis; bulk 32 % acid ~ USD 80/t).
            acid_price: 0.25,
            // Ammonia saponification is plant practice (chemistry.md).
            base: "NH3".into(),
            // ASSUMPTION: NH3 USD 0.5/kg (NaOH is about the same per kg).
            base_price: 0.5,
            // ASSUMPTION: 10 % excess over the exchange stoichiometry.
            reagent_excess: 1.1,
            // RE2(C2O4)3: 1.5 mol oxalic acid per mol RE, plus 20 % excess.
            precipitant_mol_per_mol: 1.8,
            // ASSUMPTION: oxalic acid dihydrate USD 1/kg.
            precipitant_price: 1.0,
            // H2C2O4.2H2O.
            precipitant_molar_mass: 126.07,
            // Mixer agitation 0.5-1.5 kW/m3 (Ritcey 2006): 1.
            mixer_power: 1.0,
            // ASSUMPTION: industrial power USD 0.10/kWh.
            electricity_price: 0.10,
            // ASSUMPTION calibrated to Geismar's non-reagent opex: one operator
            // position (5 shifts) per ~40 stages, USD 10,000 per stage-year.
            labour_per_stage: 10_000.0,
            allocation: Allocation::Value,
            price: BTreeMap::new(),
            oxide_molar_mass: BTreeMap::new(),
            throughput_given: false,
        }
    }
}

/// Default oxide price, USD/kg, from shared/data/prices-and-demand.csv
/// (2025 where given, else 2024); Pr: no figure, taken as Nd (ASSUMPTION,
/// as models/alliance-2026.toml).
pub fn default_price(component: &str) -> Option<f64> {
    Some(match component {
        "Nd" | "Pr" => 73.0, // prices-and-demand.csv:8 (2025)
        "Dy" => 239.0,       // :9 (2025)
        "Tb" => 1010.0,      // :10 (2025)
        "La" | "Ce" => 1.0,  // :6-7 (2024)
        _ => return None,
    })
}

fn num(key: &str, v: Option<f64>, default: f64, ok: bool, expect: &str) -> Result<f64, InputError> {
    match v {
        None => Ok(default),
        Some(x) if x.is_finite() && ok => Ok(x),
        Some(x) => Err(InputError::new(
            format!("cost.{key}"),
            Some(crate::model::fmt_num(x)),
            format!("expected {expect}"),
        )),
    }
}

impl CostParams {
    /// Checks a `[cost]` table; errors name the key (`cost.settling_rate`).
    pub fn from_raw(raw: &RawCost) -> Result<Self, InputError> {
        let d = CostParams::default();
        macro_rules! pos {
            ($k:ident) => {
                num(
                    stringify!($k),
                    raw.$k,
                    d.$k,
                    raw.$k.is_some_and(|x| x > 0.0),
                    "a positive number",
                )?
            };
        }
        macro_rules! nonneg {
            ($k:ident) => {
                num(
                    stringify!($k),
                    raw.$k,
                    d.$k,
                    raw.$k.is_some_and(|x| x >= 0.0),
                    "a non-negative number",
                )?
            };
        }
        let hours = num(
            "hours",
            raw.hours,
            d.hours,
            raw.hours.is_some_and(|h| h > 0.0 && h <= 8784.0),
            "operating hours per year in (0, 8784]",
        )?;
        let exponent = num(
            "exponent",
            raw.exponent,
            d.exponent,
            raw.exponent.is_some_and(|e| e > 0.0 && e <= 1.0),
            "a size exponent in (0, 1] (0.6: six-tenths rule)",
        )?;
        let installation_factor = num(
            "installation_factor",
            raw.installation_factor,
            d.installation_factor,
            raw.installation_factor.is_some_and(|f| f >= 1.0),
            "an installed-to-purchased factor >= 1 (Lang: 3.1-4.74)",
        )?;
        let discount_rate = num(
            "discount_rate",
            raw.discount_rate,
            d.discount_rate,
            raw.discount_rate.is_some_and(|r| r > -1.0 && r < 1.0),
            "a discount rate in (-1, 1), e.g. 0.08",
        )?;
        let reagent_excess = num(
            "reagent_excess",
            raw.reagent_excess,
            d.reagent_excess,
            raw.reagent_excess.is_some_and(|r| r >= 1.0),
            "a multiplier >= 1 on the stoichiometric reagents",
        )?;
        let base = match raw.base.as_deref() {
            None => d.base.clone(),
            Some(b @ ("NH3" | "NaOH")) => b.to_string(),
            Some(o) => {
                return Err(InputError::new(
                    "cost.base",
                    Some(format!("\"{o}\"")),
                    "expected \"NH3\" or \"NaOH\"",
                ))
            }
        };
        let allocation = match raw.allocation.as_deref() {
            None | Some("value") => Allocation::Value,
            Some("mass") => Allocation::Mass,
            Some("byproduct") => Allocation::ByProduct(raw.main.clone().unwrap_or_default()),
            Some(o) => {
                return Err(InputError::new(
                    "cost.allocation",
                    Some(format!("\"{o}\"")),
                    "expected \"value\", \"mass\" or \"byproduct\"",
                ))
            }
        };
        if raw.main.is_some() && !matches!(allocation, Allocation::ByProduct(_)) {
            return Err(InputError::new(
                "cost.main",
                None,
                "main products belong to allocation = \"byproduct\"",
            ));
        }
        let mut price = BTreeMap::new();
        for (k, &v) in raw.price.iter().flatten() {
            if !(v.is_finite() && v >= 0.0) {
                return Err(InputError::new(
                    format!("cost.price.{k}"),
                    Some(crate::model::fmt_num(v)),
                    "expected a non-negative price in USD/kg of oxide",
                ));
            }
            price.insert(k.clone(), v);
        }
        let mut oxide_molar_mass = BTreeMap::new();
        for (k, &v) in raw.oxide_molar_mass.iter().flatten() {
            if !(v.is_finite() && v > 0.0) {
                return Err(InputError::new(
                    format!("cost.oxide_molar_mass.{k}"),
                    Some(crate::model::fmt_num(v)),
                    "expected g of oxide per mol of element (> 0)",
                ));
            }
            oxide_molar_mass.insert(k.clone(), v);
        }
        Ok(CostParams {
            throughput: pos!(throughput),
            hours,
            residence_time: pos!(residence_time),
            settling_rate: pos!(settling_rate),
            organic_depth: pos!(organic_depth),
            max_settler_area: pos!(max_settler_area),
            stage_cost: nonneg!(stage_cost),
            reference_area: pos!(reference_area),
            exponent,
            installation_factor,
            discount_rate,
            lifetime: pos!(lifetime),
            maintenance: nonneg!(maintenance),
            extractant_price: nonneg!(extractant_price),
            extractant_molar_mass: pos!(extractant_molar_mass),
            extractant_concentration: pos!(extractant_concentration),
            diluent_price: nonneg!(diluent_price),
            organic_loading: pos!(organic_loading),
            feed_concentration: pos!(feed_concentration),
            scrub_acid_concentration: pos!(scrub_acid_concentration),
            entrainment_loss: nonneg!(entrainment_loss),
            acid_price: nonneg!(acid_price),
            base,
            base_price: nonneg!(base_price),
            reagent_excess,
            precipitant_mol_per_mol: nonneg!(precipitant_mol_per_mol),
            precipitant_price: nonneg!(precipitant_price),
            precipitant_molar_mass: pos!(precipitant_molar_mass),
            mixer_power: nonneg!(mixer_power),
            electricity_price: nonneg!(electricity_price),
            labour_per_stage: nonneg!(labour_per_stage),
            allocation,
            price,
            oxide_molar_mass,
            throughput_given: raw.throughput.is_some(),
        })
    }
}
