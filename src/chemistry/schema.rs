//! What each equilibrium model takes from a model file: one
//! [`ModelSchema`] per model (declared next to its kernel), registered with
//! the model's spec in `model::models::MODELS`. The table drives the
//! unknown-key check of model files (a key of `[chemistry]`, or a stream
//! key such as `feed.acid`, that the model does not list is an error naming the model and the keys it takes) and the
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

impl ModelSchema {
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
