//! Raw schema of the tables of a model file that other commands read
//! (`[optimize]`, `[sweep]`, `[cost]`): plain serde structs, unknown keys
//! rejected. They live in the model layer, under the design and cost code
//! that checks them, so that the model schema does not import its users;
//! [`crate::design::optimize`], [`crate::design::sweep`] and
//! [`crate::cost`] re-export them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[optimize]` table of a model file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOptimize {
    /// `cost` (default) or `stages` (total stage count).
    pub objective: Option<String>,
    /// `[optimize.cascade]`: stage-count bounds `[min, max]` per section.
    pub cascade: Option<RawStageBounds>,
    /// `[optimize.flows]`: flow bounds `[min, max]` per `[flows]` key.
    pub flows: Option<RawFlowBounds>,
    /// `[optimize.price]`: prices per stage and per unit flow.
    pub price: Option<RawPrice>,
    /// `[[optimize.constraint]]`.
    #[serde(default)]
    pub constraint: Vec<RawConstraint>,
    /// Most flow evaluations of the pattern search (default 400).
    pub max_evaluations: Option<usize>,
}

/// `[optimize.cascade]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStageBounds {
    /// Extraction stages `[min, max]`.
    pub extraction: Option<[usize; 2]>,
    /// Scrub stages `[min, max]`.
    pub scrub: Option<[usize; 2]>,
    /// Strip stages `[min, max]`.
    pub strip: Option<[usize; 2]>,
}

/// `[optimize.flows]`: `[min, max]` per key of `[flows]` (the keys are
/// declared once, in [`super::flows`]).
pub type RawFlowBounds = super::flows::Flows<[f64; 2]>;

/// `[optimize.price]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    /// Price per stage in any section (default 1).
    pub stage: Option<f64>,
    /// Price per extraction stage (overrides `stage`).
    pub extraction_stage: Option<f64>,
    /// Price per scrub stage.
    pub scrub_stage: Option<f64>,
    /// Price per strip stage.
    pub strip_stage: Option<f64>,
    /// Price per unit S (organic loading: extractant, saponification).
    pub extraction_amount: Option<f64>,
    /// Price per unit W (scrub acid).
    pub scrub_amount: Option<f64>,
    /// Price per L/h of organic.
    pub organic: Option<f64>,
    /// Price per L/h of scrub solution.
    pub scrub: Option<f64>,
    /// Price per L/h of strip solution.
    pub strip: Option<f64>,
}

impl RawPrice {
    /// The prices of the flows (serde cannot flatten [`super::Flows`] here
    /// and still reject unknown keys; this module's tests check that
    /// these fields are the flow keys).
    pub fn flows(&self) -> super::Flows<f64> {
        super::Flows {
            extraction_amount: self.extraction_amount,
            scrub_amount: self.scrub_amount,
            organic: self.organic,
            scrub: self.scrub,
            strip: self.strip,
        }
    }
}

/// One `[[optimize.constraint]]`: purity and/or recovery lower bounds of a
/// component in a stream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConstraint {
    /// Stream name (`raffinate`, `loaded_organic`, ...).
    pub stream: String,
    /// Component name, or several joined with `+` (a group, summed).
    pub component: String,
    /// Least purity.
    pub purity: Option<f64>,
    /// Least recovery.
    pub recovery: Option<f64>,
}

/// `[sweep]` table of a model file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// `grid` (default) or `lhs` (Latin hypercube).
    pub method: Option<String>,
    /// Number of cases (Latin hypercube only).
    pub cases: Option<usize>,
    /// Seed of the Latin hypercube.
    pub seed: Option<u64>,
    /// `[[sweep.parameter]]` entries, in column (and grid nesting) order.
    #[serde(default)]
    pub parameter: Vec<RawParameter>,
}

/// One `[[sweep.parameter]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParameter {
    /// Dotted parameter name, e.g. `flows.extraction_amount`.
    pub name: String,
    /// Lower bound.
    pub min: Option<f64>,
    /// Upper bound.
    pub max: Option<f64>,
    /// Grid points from min to max inclusive (grid only).
    pub steps: Option<usize>,
    /// Explicit values (grid only), instead of min/max/steps.
    pub values: Option<Vec<f64>>,
}

/// `[cost]` as written in a model file (every key optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    /// Plant feed, t REO per year.
    pub throughput: Option<f64>,
    /// Operating hours per year.
    pub hours: Option<f64>,
    /// Mixer residence time, minutes.
    pub residence_time: Option<f64>,
    /// Specific settling rate, m3 of combined flow per m2 of settler per hour.
    pub settling_rate: Option<f64>,
    /// Depth of the organic layer in a settler, m.
    pub organic_depth: Option<f64>,
    /// Largest settler of one mixer-settler, m2 (larger stages run as
    /// parallel units).
    pub max_settler_area: Option<f64>,
    /// Purchased cost of one reference mixer-settler, USD.
    pub stage_cost: Option<f64>,
    /// Settler area of the reference mixer-settler, m2.
    pub reference_area: Option<f64>,
    /// Size exponent of the equipment cost law.
    pub exponent: Option<f64>,
    /// Installed (Lang-type) factor on purchased equipment.
    pub installation_factor: Option<f64>,
    /// Discount rate for the capital recovery factor.
    pub discount_rate: Option<f64>,
    /// Economic lifetime, years.
    pub lifetime: Option<f64>,
    /// Maintenance, fraction of capex per year.
    pub maintenance: Option<f64>,
    /// Extractant price, USD/kg.
    pub extractant_price: Option<f64>,
    /// Extractant molar mass, g/mol.
    pub extractant_molar_mass: Option<f64>,
    /// Extractant in the organic, mol/L (models without their own value).
    pub extractant_concentration: Option<f64>,
    /// Diluent price, USD/L.
    pub diluent_price: Option<f64>,
    /// RE carried by the loaded organic, mol/L (constant-flow models).
    pub organic_loading: Option<f64>,
    /// RE in the aqueous feed, mol/L (constant-flow models).
    pub feed_concentration: Option<f64>,
    /// Acid of the scrub and strip solutions, mol/L H+ (constant-flow
    /// models: sets the scrub aqueous volume).
    pub scrub_acid_concentration: Option<f64>,
    /// Organic lost per m3 of aqueous leaving the plant, L/m3.
    pub entrainment_loss: Option<f64>,
    /// Acid price, USD per kg HCl (100 % basis).
    pub acid_price: Option<f64>,
    /// Saponification base of constant-flow models: `NH3` or `NaOH`.
    pub base: Option<String>,
    /// Base price, USD/kg.
    pub base_price: Option<f64>,
    /// Stoichiometric excess of acid and base (constant-flow models).
    pub reagent_excess: Option<f64>,
    /// Precipitant (oxalic acid) per mol RE of product, mol.
    pub precipitant_mol_per_mol: Option<f64>,
    /// Precipitant price, USD/kg.
    pub precipitant_price: Option<f64>,
    /// Precipitant molar mass, g/mol.
    pub precipitant_molar_mass: Option<f64>,
    /// Mixer power per m3 of mixer, kW/m3.
    pub mixer_power: Option<f64>,
    /// Electricity price, USD/kWh.
    pub electricity_price: Option<f64>,
    /// Labour per stage per year, USD.
    pub labour_per_stage: Option<f64>,
    /// `value` (default), `mass` or `byproduct`.
    pub allocation: Option<String>,
    /// Main products under `byproduct` allocation.
    pub main: Option<Vec<String>>,
    /// Oxide prices, USD/kg, per component.
    pub price: Option<BTreeMap<String, f64>>,
    /// Oxide mass per mol of element, g, per component.
    pub oxide_molar_mass: Option<BTreeMap<String, f64>>,
}

#[cfg(test)]
mod tests {
    use super::super::flows::FlowKey;
    use super::RawPrice;

    #[test]
    fn the_price_table_takes_exactly_the_flow_keys_beside_its_stage_prices() {
        for (i, k) in FlowKey::ALL.iter().enumerate() {
            let v = 2.0 + i as f64;
            let p: RawPrice = toml::from_str(&format!("{} = {v}", k.name())).unwrap();
            let mut want = [None; 5];
            want[i] = Some(v);
            assert_eq!(p.flows().values(), want, "{}", k.name());
        }
        let e = toml::from_str::<RawPrice>("aqueous = 1.0").unwrap_err();
        let msg = e.to_string();
        // serde lists every field: the stage prices, then the five flow keys
        let listed = msg.split("expected one of ").nth(1).unwrap_or_default();
        let fields: Vec<&str> = listed
            .split(", ")
            .map(|s| s.trim().trim_matches('`'))
            .collect();
        let stage = ["stage", "extraction_stage", "scrub_stage", "strip_stage"];
        let flows: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| !stage.contains(f))
            .collect();
        assert_eq!(flows, FlowKey::ALL.map(FlowKey::name), "{msg}");
    }
}
