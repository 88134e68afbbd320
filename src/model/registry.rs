//! The equilibrium models the cascade side knows: one [`ChemistryModel`]
//! implementation per model (its parameters, in the model's spec file:
//! [`super::separation_factor`], [`super::constant_d`], [`super::rigorous`])
//! and one [`Registered`] entry per model in [`MODELS`].
//!
//! Everything outside a model's kernel and spec files asks the trait: the
//! file loader (which keys the model takes, how its `[chemistry]` table
//! parses), validation (its parameter checks), sweeps (its sweepable
//! per-component parameter), reagents and costs (acid, base, extractant),
//! flowsheets (the acidity of its aqueous inlets and outlets). The solver's
//! dispatch (`solver::Solver::solve`) names each model's solve entry point.

use super::rigorous::{AqueousStreams, ConcentrationUnit};
use super::schema::RawCascade;
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

/// Every equilibrium model, in the order messages list them. A new model
/// is its kernel file (`chemistry/`), its spec file (`model/`) and one line
/// here.
pub(crate) const MODELS: &[&Registered] = &[
    &super::separation_factor::MODEL,
    &super::constant_d::MODEL,
    &super::rigorous::MASS_ACTION,
    &super::rigorous::LOG_LINEAR,
];

/// The entry of model `name`, or the error message listing the models.
pub(crate) fn lookup(name: &str) -> Result<&'static Registered, String> {
    MODELS
        .iter()
        .copied()
        .find(|m| m.schema.name == name)
        .ok_or_else(|| {
            let names: Vec<String> = MODELS
                .iter()
                .map(|m| format!("\"{}\"", m.schema.name))
                .collect();
            let (last, rest) = names.split_last().expect("models listed");
            format!("unknown model: expected {} or {last}", rest.join(", "))
        })
}

/// Whether model `m` takes the dotted key `key` (one of `[chemistry]` or
/// one of the model-dependent keys outside it; other keys are not this
/// table's business).
pub(crate) fn takes(m: &ModelSchema, key: &str) -> bool {
    match key.strip_prefix("chemistry.") {
        Some(k) => {
            let first = k.split('.').next().unwrap_or(k);
            first == "model" || m.chemistry.contains(&first)
        }
        None => m.other.contains(&key) || !model_dependent(key),
    }
}

/// Whether model `name` tracks acidity (it takes `feed.acid`: the rigorous
/// models, whose feed, scrub and strip solutions carry acid and sulfate).
/// Unknown models do not.
pub(crate) fn tracks_acidity(name: &str) -> bool {
    lookup(name).is_ok_and(|m| m.schema.other.contains(&"feed.acid"))
}

/// Whether some model lists `key` among its keys outside `[chemistry]`.
fn model_dependent(key: &str) -> bool {
    MODELS.iter().any(|m| m.schema.other.contains(&key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chemistry::schema::Basis;

    #[test]
    fn names_are_unique_and_listed_in_the_unknown_model_message() {
        for (i, m) in MODELS.iter().enumerate() {
            let name = m.schema.name;
            assert!(MODELS[..i].iter().all(|o| o.schema.name != name), "{name}");
        }
        assert_eq!(
            lookup("nope").unwrap_err(),
            "unknown model: expected \"separation-factor\", \"constant-d\", \"mass-action\" or \"log-linear\""
        );
        assert_eq!(lookup("constant-d").unwrap().schema.basis, Basis::Volumes);
    }

    #[test]
    fn keys_are_checked_per_model() {
        let schema = |n: &str| lookup(n).unwrap().schema;
        let (sf, cd, ll) = (
            schema("separation-factor"),
            schema("constant-d"),
            schema("log-linear"),
        );
        let acid: Vec<&str> = MODELS
            .iter()
            .map(|m| m.schema.name)
            .filter(|n| tracks_acidity(n))
            .collect();
        assert_eq!(acid, ["mass-action", "log-linear"]);
        assert!(!tracks_acidity("nope"));
        assert!(takes(sf, "chemistry.beta") && !takes(sf, "chemistry.d"));
        assert!(takes(cd, "chemistry.scrub.d") && !takes(cd, "chemistry.beta"));
        // stream keys only some models take
        assert!(!takes(cd, "feed.acid") && takes(ll, "feed.acid"));
        assert!(!takes(schema("mass-action"), "feed.sulfate"));
        assert!(takes(ll, "feed.sulfate"));
        // keys every model takes are not the table's business
        assert!(takes(sf, "feed.phase") && takes(cd, "name"));
    }

    #[test]
    fn each_model_reports_its_own_schema_and_sweep_key() {
        // the spec a registered parser builds names the entry it came from
        let sweeps: Vec<Option<&str>> = MODELS.iter().map(|m| m.sweep).collect();
        assert_eq!(
            sweeps,
            [Some("beta"), Some("d"), Some("log10_k"), None],
            "the sweepable parameters of sweeps and optimisations"
        );
        for m in MODELS {
            if let Some(key) = m.sweep {
                assert!(m.schema.chemistry.contains(&key), "{}", m.schema.name);
            }
        }
    }
}
