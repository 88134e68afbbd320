//! Parameters of the `separation-factor` model (Xu's constant-flow model,
//! kernel [`crate::chemistry::separation_factor`]): how a file gives them,
//! their checks, their sweepable `beta`.

use super::registry::{ChemistryModel, Parsed, Registered};
use super::rigorous::ConcentrationUnit;
use super::schema::RawCascade;
use super::validate::{per_component, positive};
use super::ChemistrySpec;
use crate::cascade::Layout;
use crate::chemistry::schema::ModelSchema;
use crate::error::{InputError, Problems};

/// Parameters of the `separation-factor` model.
#[derive(Debug, Clone, PartialEq)]
pub struct SeparationFactorSpec {
    /// Relative extractability of each component (any reference).
    pub beta: Vec<f64>,
}

/// The model's registry entry.
pub(crate) const MODEL: Registered = Registered {
    schema: &crate::chemistry::separation_factor::SCHEMA,
    parse,
    sweep: Some("beta"),
};

fn parse(raw: &RawCascade, comps: &[String], p: &mut Problems) -> Option<Parsed> {
    let beta =
        p.ok(raw.chemistry.beta.as_ref().ok_or_else(|| {
            InputError::new("chemistry.beta", None, "missing: beta per component")
        }))?;
    let beta = p.ok(super::schema::component_values(
        "chemistry.beta",
        comps,
        beta,
        true,
    ))?;
    Some(Parsed {
        chemistry: ChemistrySpec::SeparationFactor(SeparationFactorSpec { beta }),
        units: ConcentrationUnit::MolPerL,
        molar_mass: Vec::new(),
    })
}

impl ChemistryModel for SeparationFactorSpec {
    fn schema(&self) -> &'static ModelSchema {
        MODEL.schema
    }

    fn check(&self, comps: &[String], _layout: &Layout, _feed: &[f64], p: &mut Problems) {
        per_component(p, "chemistry.beta", comps, &self.beta, |key, v| {
            positive(key, v, "relative extractability (beta > 0)")
        });
    }

    fn set_param(&mut self, i: usize, v: f64) {
        self.beta[i] = v;
    }
}
