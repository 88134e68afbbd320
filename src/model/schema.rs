//! Raw TOML schema of a cascade model (model-format.md, section 1).
//!
//! These structs mirror the file one to one and reject unknown keys; they
//! carry no checks beyond types. [`super::load`] turns them into a
//! [`super::CascadeSpec`] and checks it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Per-component values, keyed by component name.
pub type ComponentMap = BTreeMap<String, f64>;

/// A whole cascade model file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCascade {
    /// Model name.
    pub name: String,
    /// Component names, in output order.
    pub components: Vec<String>,
    /// `[chemistry]`.
    pub chemistry: RawChemistry,
    /// `[cascade]`: stage counts.
    pub cascade: RawStages,
    /// `[feed]`.
    pub feed: RawFeed,
    /// `[flows]`.
    pub flows: RawFlows,
    /// `[solver]`.
    pub solver: Option<RawSolver>,
    /// `[[draw]]`: side draws (separation-factor model).
    pub draw: Option<Vec<RawDraw>>,
    /// `[optimize]`: read by `sxforge optimize`, ignored by `simulate`.
    pub optimize: Option<super::tables::RawOptimize>,
    /// `[sweep]`: read by `sxforge sweep`, ignored by `simulate`.
    pub sweep: Option<super::tables::RawSweep>,
    /// `[cost]`: read by `sxforge cost` (and `simulate`, `optimize`,
    /// `sweep`, the planner's `process`); see docs/cost.md.
    pub cost: Option<super::tables::RawCost>,
    /// `[scrub]`: scrub solution chemistry (rigorous models).
    pub scrub: Option<RawAqueous>,
    /// `[strip]`: strip solution chemistry (rigorous models).
    pub strip: Option<RawAqueous>,
    /// `[organic]`: metals carried by the organic entering stage 1
    /// (volumetric models).
    pub organic: Option<RawOrganic>,
    /// Units of metal concentrations: `mol/L` (default) or `mg/L`.
    pub units: Option<String>,
    /// Molar mass per component, g/mol (needed for mg/L; element symbols
    /// have built-in values).
    pub molar_mass: Option<ComponentMap>,
}

/// `[organic]`: the organic entering stage 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganic {
    /// Metals carried, per component (mol/L or the file's `units`).
    pub concentration: Option<ComponentMap>,
}

/// `[scrub]` / `[strip]`: an aqueous solution given by its acidity.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAqueous {
    /// Acid, mol/L H+.
    pub acid: Option<f64>,
    /// Metals carried (scrub reflux), per component.
    pub concentration: Option<ComponentMap>,
    /// Total sulfate, mol/L.
    pub sulfate: Option<f64>,
}

/// `[chemistry.fit.<component>]`: a log-linear fit.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFit {
    /// pH slope at zero dose.
    pub m0: f64,
    /// pH slope change per volume percent.
    #[serde(default)]
    pub m1: f64,
    /// Intercept.
    pub b0: f64,
    /// log10(dose) slope.
    #[serde(default)]
    pub b1: f64,
}

/// `[chemistry]`: which model, and its parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawChemistry {
    /// `constant-d` or `separation-factor`.
    pub model: String,
    /// Relative extractabilities (separation-factor).
    pub beta: Option<ComponentMap>,
    /// Distribution ratios (constant-d).
    pub d: Option<ComponentMap>,
    /// Overrides for the extraction section.
    pub extraction: Option<RawSectionChemistry>,
    /// Overrides for the scrub section.
    pub scrub: Option<RawSectionChemistry>,
    /// Overrides for the strip section.
    pub strip: Option<RawSectionChemistry>,
    /// log10 K per component (mass-action).
    pub log10_k: Option<ComponentMap>,
    /// Extractant slope a (mass-action, default 3).
    pub a: Option<f64>,
    /// Acidity slope b (mass-action, default 3).
    pub b: Option<f64>,
    /// Metal charge per component (default 3).
    pub charge: Option<ComponentMap>,
    /// Total extractant, mol/L HA (mass-action).
    pub extractant: Option<f64>,
    /// Saponification degree in [0, 1) (mass-action, default 0).
    pub saponification: Option<f64>,
    /// `NH4` or `Na` (mass-action, default NH4).
    pub counter_ion: Option<String>,
    /// log10 of the counter-ion exchange constant (mass-action).
    pub log10_k_ion: Option<f64>,
    /// Fits per component (log-linear).
    pub fit: Option<BTreeMap<String, RawFit>>,
    /// Extractant bound per metal extracted (log-linear, default = charge).
    pub extractant_per_metal: Option<ComponentMap>,
    /// Protons released per metal extracted (log-linear, default = charge).
    pub protons_per_metal: Option<ComponentMap>,
    /// Extractant dose, volume percent (log-linear).
    pub dose: Option<f64>,
    /// mol/L per volume percent of extractant (log-linear).
    pub molarity_per_percent: Option<f64>,
    /// Whether `dose` is the `total` (default) or the `free` extractant of
    /// the incoming organic (log-linear).
    pub dose_basis: Option<String>,
    /// Evaluate the fits at `dose` in every stage rather than at the stage's
    /// free extractant (log-linear, default false).
    pub fixed_dose: Option<bool>,
    /// Solve the bisulfate equilibrium (log-linear, default false).
    pub bisulfate: Option<bool>,
    /// log10 Ka2 of HSO4- (log-linear, default -1.99).
    pub log10_ka2: Option<f64>,
}

/// `[chemistry.<section>]`: per-section overrides.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSectionChemistry {
    /// Distribution ratios in this section (constant-d).
    pub d: Option<ComponentMap>,
}

/// `[cascade]`: stage counts per section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStages {
    /// Extraction stages.
    pub extraction: u32,
    /// Scrub stages.
    #[serde(default)]
    pub scrub: u32,
    /// Strip stages.
    #[serde(default)]
    pub strip: u32,
}

/// `[feed]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    /// `aqueous` (default) or `organic`.
    pub phase: Option<String>,
    /// RE flow per component (constant-flow models).
    pub amount: Option<ComponentMap>,
    /// Volumetric flow, L/h.
    pub flow: Option<f64>,
    /// Concentrations, mol/L.
    pub concentration: Option<ComponentMap>,
    /// Acid, mol/L H+ (rigorous models).
    pub acid: Option<f64>,
    /// Total sulfate, mol/L (log-linear with bisulfate).
    pub sulfate: Option<f64>,
}

/// `[flows]` (the keys are declared once, in [`super::flows`]).
pub type RawFlows = super::flows::Flows<f64>;

/// `[solver]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSolver {
    /// Relative residual at which a solve stops.
    pub tolerance: Option<f64>,
    /// Newton iteration limit.
    pub max_iterations: Option<u32>,
    /// Row limit of the start-up method.
    pub max_rows: Option<u64>,
}

/// One `[[draw]]` table: a side draw.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDraw {
    /// Outlet name.
    pub name: String,
    /// 1-based stage it leaves.
    pub stage: i64,
    /// `aqueous` or `organic`.
    pub phase: String,
    /// RE amount withdrawn per unit time (separation-factor model).
    pub amount: Option<f64>,
    /// Volumetric flow withdrawn, L/h (volumetric models).
    pub flow: Option<f64>,
    /// Share of the phase leaving the stage withdrawn, in [0, 1).
    pub fraction: Option<f64>,
}

/// Converts a per-component table into a vector in component order.
/// `required`: every component must be present; otherwise missing ones are 0.
pub(crate) fn component_values(
    key: &str,
    components: &[String],
    map: &ComponentMap,
    required: bool,
) -> Result<Vec<f64>, crate::error::InputError> {
    for name in map.keys() {
        if !components.contains(name) {
            return Err(crate::error::InputError::new(
                format!("{key}.{name}"),
                Some(crate::input::fmt_num(map[name])),
                format!(
                    "`{name}` is not a component of this model (components: {})",
                    components.join(", ")
                ),
            ));
        }
    }
    components
        .iter()
        .map(|c| match map.get(c) {
            Some(v) => Ok(*v),
            None if required => Err(crate::error::InputError::new(
                key,
                None,
                format!("missing a value for component `{c}`"),
            )),
            None => Ok(0.0),
        })
        .collect()
}
