//! What an equilibrium model is to the cascade side: one [`ChemistryModel`]
//! implementation per model (its parameters, in the model's spec file:
//! [`super::separation_factor`], [`super::constant_d`], [`super::rigorous`])
//! and one [`Registered`] entry per model, listed in `model::models::MODELS`
//! (a separate file, so that the spec files and the list do not import
//! each other).
//!
//! Everything outside a model's kernel and spec files asks the trait: the
//! file loader (which keys the model takes, how its `[chemistry]` table
//! parses), validation (its parameter checks), sweeps (its sweepable
//! per-component parameter), reagents and costs (acid, base, extractant),
//! flowsheets (the acidity of its aqueous inlets and outlets). The solver's
//! dispatch (`solver::Solver::solve`) names each model's solve entry point.

use super::schema::RawCascade;
use super::streams::{AqueousStreams, ConcentrationUnit};
use super::ChemistrySpec;
use crate::cascade::Layout;
use crate::chemistry::schema::ModelSchema;
use crate::error::Problems;

/// One equilibrium model's parameters as the rest of the cascade side sees
/// them. Implemented by each model's spec type (the payload of a
/// [`ChemistrySpec`] variant).
pub(crate) trait ChemistryModel: std::fmt::Debug {
    /// The model's key table (name in files, flow basis, keys).
    fn schema(&self) -> &'static ModelSchema;

    /// Records every problem of the parameters against the components, the
    /// layout and the checked feed concentrations (mol/L; empty for models
    /// in RE amounts or when the feed is bad).
    fn check(&self, comps: &[String], layout: &Layout, feed_conc: &[f64], p: &mut Problems);

    /// Sets component `i` of the model's sweepable parameter (the one its
    /// [`Registered::sweep`] names); models without one ignore it.
    fn set_param(&mut self, _i: usize, _v: f64) {}

    /// The acidity and composition of the aqueous inlets, for models that
    /// track acidity.
    fn streams(&self) -> Option<&AqueousStreams> {
        None
    }

    /// Mutable [`ChemistryModel::streams`].
    fn streams_mut(&mut self) -> Option<&mut AqueousStreams> {
        None
    }

    /// Total extractant of the organic, mol/L HA, for models that know it.
    fn extractant(&self) -> Option<f64> {
        None
    }

    /// Saponification degree and the base that supplies it (`"NH3"`,
    /// `"NaOH"`; empty without saponification).
    fn base(&self) -> (f64, &'static str) {
        (0.0, "")
    }

    /// Ka2 of bisulfate, for models whose aqueous acid includes HSO4-
    /// (the total acid protons of an aqueous outlet are then
    /// `h + so4 h / (h + Ka2)`).
    fn bisulfate_ka2(&self) -> Option<f64> {
        None
    }
}

/// What a model's `[chemistry]` table (and, for the rigorous models, the
/// streams' acidity) parses into.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The model's parameters.
    pub chemistry: ChemistrySpec,
    /// Unit of the file's metal concentrations.
    pub units: ConcentrationUnit,
    /// Molar mass per component where known (empty: not needed).
    pub molar_mass: Vec<Option<f64>>,
}

/// A parser of a model file into a model's parameters: records every
/// problem in `p` and gives `None` when there was one.
pub(crate) type ParseFn = fn(&RawCascade, &[String], &mut Problems) -> Option<Parsed>;

/// One registered equilibrium model.
#[derive(Debug)]
pub(crate) struct Registered {
    /// Its key table (declared next to its kernel).
    pub schema: &'static ModelSchema,
    /// Its file parser.
    pub parse: ParseFn,
    /// The `[chemistry]` key of its per-component parameter that sweeps and
    /// optimisations may vary (`chemistry.<key>.<component>`).
    pub sweep: Option<&'static str>,
}
