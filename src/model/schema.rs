//! Raw TOML schema of a cascade model (model-format.md, section 1).
//!
//! These structs mirror the file one to one and reject unknown keys; they
//! carry no checks beyond types. [`super::load`] turns them into a
//! [`super::CascadeSpec`] and checks it.

use std::collections::BTreeMap;

use serde::Deserialize;

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
    /// `[optimize]`: read by `sxforge optimize`, ignored by `simulate`.
    pub optimize: Option<crate::design::optimize::RawOptimize>,
    /// `[sweep]`: read by `sxforge sweep`, ignored by `simulate`.
    pub sweep: Option<crate::design::sweep::RawSweep>,
}

/// `[chemistry]`: which model, and its parameters.
#[derive(Debug, Clone, Deserialize)]
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
}

/// `[chemistry.<section>]`: per-section overrides.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize)]
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
}

/// `[flows]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlows {
    /// S (constant-flow model).
    pub extraction_amount: Option<f64>,
    /// W (constant-flow model).
    pub scrub_amount: Option<f64>,
    /// Organic flow, L/h.
    pub organic: Option<f64>,
    /// Scrub solution flow, L/h.
    pub scrub: Option<f64>,
    /// Strip solution flow, L/h.
    pub strip: Option<f64>,
}

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
