//! The keys of `[flows]`, written once: [`Flows`] holds one value per key
//! (the flows of a cascade, [`FlowSpec`]; their bounds in
//! `[optimize.flows]`), and [`FlowKey`] names each key for sweeps,
//! optimisations and prices. `[optimize.price]` repeats the keys beside its
//! stage prices (serde cannot flatten a table and still reject unknown
//! keys); a unit test in `model::tables` checks it against [`FlowKey::ALL`].

use serde::Deserialize;

use super::CascadeSpec;

/// One optional value per key of `[flows]`; unknown keys are errors.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flows<T> {
    /// S: RE flow carried by the loaded organic (constant-flow model).
    pub extraction_amount: Option<T>,
    /// W: RE flow carried by the scrub aqueous (constant-flow model).
    pub scrub_amount: Option<T>,
    /// Organic flow, L/h (volumetric models).
    pub organic: Option<T>,
    /// Scrub solution flow, L/h (volumetric models).
    pub scrub: Option<T>,
    /// Strip solution flow, L/h (volumetric models).
    pub strip: Option<T>,
}

/// Stream flows of a cascade (`[flows]`).
pub type FlowSpec = Flows<f64>;

impl<T: Copy> Flows<T> {
    /// The values in [`FlowKey::ALL`] order.
    pub fn values(&self) -> [Option<T>; 5] {
        FlowKey::ALL.map(|k| *k.of(self))
    }
}

/// The keys of `[flows]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKey {
    /// `extraction_amount` (S).
    ExtractionAmount,
    /// `scrub_amount` (W).
    ScrubAmount,
    /// `organic` (L/h).
    Organic,
    /// `scrub` (L/h).
    Scrub,
    /// `strip` (L/h).
    Strip,
}

impl FlowKey {
    /// All keys, in file order.
    pub const ALL: [FlowKey; 5] = [
        FlowKey::ExtractionAmount,
        FlowKey::ScrubAmount,
        FlowKey::Organic,
        FlowKey::Scrub,
        FlowKey::Strip,
    ];

    /// Name as in `[flows]`.
    pub fn name(self) -> &'static str {
        match self {
            FlowKey::ExtractionAmount => "extraction_amount",
            FlowKey::ScrubAmount => "scrub_amount",
            FlowKey::Organic => "organic",
            FlowKey::Scrub => "scrub",
            FlowKey::Strip => "strip",
        }
    }

    /// This key's value in `f`.
    pub fn of<T>(self, f: &Flows<T>) -> &Option<T> {
        match self {
            FlowKey::ExtractionAmount => &f.extraction_amount,
            FlowKey::ScrubAmount => &f.scrub_amount,
            FlowKey::Organic => &f.organic,
            FlowKey::Scrub => &f.scrub,
            FlowKey::Strip => &f.strip,
        }
    }

    /// Mutable [`FlowKey::of`].
    pub fn of_mut<T>(self, f: &mut Flows<T>) -> &mut Option<T> {
        match self {
            FlowKey::ExtractionAmount => &mut f.extraction_amount,
            FlowKey::ScrubAmount => &mut f.scrub_amount,
            FlowKey::Organic => &mut f.organic,
            FlowKey::Scrub => &mut f.scrub,
            FlowKey::Strip => &mut f.strip,
        }
    }

    /// The model's value of this flow, if it has one.
    pub fn get(self, spec: &CascadeSpec) -> Option<f64> {
        *self.of(&spec.flows)
    }

    /// Sets this flow.
    pub fn set(self, spec: &mut CascadeSpec, v: f64) {
        *self.of_mut(&mut spec.flows) = Some(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read_into_its_own_slot_and_others_are_errors() {
        for (i, k) in FlowKey::ALL.iter().enumerate() {
            let v = 1.5 + i as f64;
            let f: Flows<f64> = toml::from_str(&format!("{} = {v}", k.name())).unwrap();
            let mut want = [None; 5];
            want[i] = Some(v);
            assert_eq!(f.values(), want, "{}", k.name());
            let b: Flows<[f64; 2]> = toml::from_str(&format!("{} = [1.0, {v}]", k.name())).unwrap();
            assert_eq!(*k.of(&b), Some([1.0, v]));
        }
        let e = toml::from_str::<Flows<f64>>("aqueous = 1.0").unwrap_err();
        assert!(e.to_string().contains("unknown field `aqueous`"), "{e}");
    }
}
