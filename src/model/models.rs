//! Every equilibrium model the cascade side knows, in one list
//! ([`MODELS`]), and the questions asked of the list: which model a file
//! names, which keys it takes, whether it tracks acidity.

use super::registry::Registered;
use crate::chemistry::schema::ModelSchema;

/// Every equilibrium model, in the order messages list them. A new model
/// is its kernel file (`chemistry/`), its spec file (`model/`) and one line
/// here (plus its `ChemistrySpec` variant and solver dispatch arm).
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
