//! What each equilibrium model takes from a model file: one
//! [`ModelSchema`] per model (declared next to its kernel), collected in
//! [`MODELS`]. The table drives the unknown-key check of model files (a key
//! of `[chemistry]`, or a stream key such as `feed.acid`, that the model does
//! not list is an error naming the model and the keys it takes) and the
//! flow-basis check of every cascade, from a file or built in code (RE
//! amounts or volumetric flows).

/// How a model's feed and flows are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Basis {
    /// Rare-earth amounts per unit time (`feed.amount`,
    /// `flows.extraction_amount`, `flows.scrub_amount`).
    Amounts,
    /// Volumetric flows in L/h and concentrations in mol/L (`feed.flow`,
    /// `feed.concentration`, `flows.organic`, `flows.scrub`, `flows.strip`,
    /// inlet compositions).
    Volumes,
}

impl Basis {
    /// In words, for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Basis::Amounts => "works in RE amounts",
            Basis::Volumes => "is volumetric (flows in L/h, concentrations in mol/L)",
        }
    }
}

/// One equilibrium model's entry: its name in files, its flow basis and
/// the keys it takes besides `chemistry.model` and the common ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelSchema {
    /// `chemistry.model` as written in files.
    pub name: &'static str,
    /// How feed and flows are given.
    pub basis: Basis,
    /// Keys of `[chemistry]` (the first segment after `chemistry.`).
    pub chemistry: &'static [&'static str],
    /// Keys outside `[chemistry]` that only some models take (dotted:
    /// `feed.acid`, `units`).
    pub other: &'static [&'static str],
}

/// Every equilibrium model, in the order messages list them.
pub(crate) const MODELS: &[&ModelSchema] = &[
    &super::separation_factor::SCHEMA,
    &super::constant_d::SCHEMA,
    &super::mass_action::SCHEMA,
    &super::log_linear::SCHEMA,
];

/// The entry of model `name`, or the error message listing the models.
pub(crate) fn lookup(name: &str) -> Result<&'static ModelSchema, String> {
    MODELS
        .iter()
        .copied()
        .find(|m| m.name == name)
        .ok_or_else(|| {
            let names: Vec<String> = MODELS.iter().map(|m| format!("\"{}\"", m.name)).collect();
            let (last, rest) = names.split_last().expect("models listed");
            format!("unknown model: expected {} or {last}", rest.join(", "))
        })
}

impl ModelSchema {
    /// Whether the model takes the dotted key `key` (one of `[chemistry]`
    /// or one of the model-dependent keys outside it; other keys are not
    /// this table's business).
    pub(crate) fn takes(&self, key: &str) -> bool {
        match key.strip_prefix("chemistry.") {
            Some(k) => {
                let first = k.split('.').next().unwrap_or(k);
                first == "model" || self.chemistry.contains(&first)
            }
            None => self.other.contains(&key) || !model_dependent(key),
        }
    }

    /// A sentence listing the keys the model takes, for messages.
    pub(crate) fn keys_sentence(&self) -> String {
        let mut keys: Vec<String> = self
            .chemistry
            .iter()
            .map(|k| format!("chemistry.{k}"))
            .collect();
        keys.extend(self.other.iter().map(|k| k.to_string()));
        if keys.is_empty() {
            format!("the `{}` model takes no such keys", self.name)
        } else {
            format!("the `{}` model takes {}", self.name, keys.join(", "))
        }
    }
}

/// Whether model `name` tracks acidity (it takes `feed.acid`: the rigorous
/// models, whose feed, scrub and strip solutions carry acid and sulfate).
/// Unknown models do not.
pub(crate) fn tracks_acidity(name: &str) -> bool {
    lookup(name).is_ok_and(|m| m.other.contains(&"feed.acid"))
}

/// Whether some model lists `key` among its keys outside `[chemistry]`.
fn model_dependent(key: &str) -> bool {
    MODELS.iter().any(|m| m.other.contains(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_listed_in_the_unknown_model_message() {
        for (i, m) in MODELS.iter().enumerate() {
            assert!(MODELS[..i].iter().all(|o| o.name != m.name), "{}", m.name);
        }
        assert_eq!(
            lookup("nope").unwrap_err(),
            "unknown model: expected \"separation-factor\", \"constant-d\", \"mass-action\" or \"log-linear\""
        );
        assert_eq!(lookup("constant-d").unwrap().basis, Basis::Volumes);
    }

    #[test]
    fn keys_are_checked_per_model() {
        let sf = lookup("separation-factor").unwrap();
        let cd = lookup("constant-d").unwrap();
        let acid: Vec<&str> = MODELS
            .iter()
            .map(|m| m.name)
            .filter(|n| tracks_acidity(n))
            .collect();
        assert_eq!(acid, ["mass-action", "log-linear"]);
        assert!(!tracks_acidity("nope"));
        let ll = lookup("log-linear").unwrap();
        assert!(sf.takes("chemistry.beta") && !sf.takes("chemistry.d"));
        assert!(cd.takes("chemistry.scrub.d") && !cd.takes("chemistry.beta"));
        // stream keys only some models take
        assert!(!cd.takes("feed.acid") && ll.takes("feed.acid"));
        assert!(!lookup("mass-action").unwrap().takes("feed.sulfate"));
        assert!(ll.takes("feed.sulfate"));
        // keys every model takes are not the table's business
        assert!(sf.takes("feed.phase") && cd.takes("name"));
    }
}
