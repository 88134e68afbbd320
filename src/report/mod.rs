//! Results for people and programs: [`CascadeReport`] is computed once from
//! a solve; the text report, the JSON result contract (model-format.md,
//! section 2) and the stage profile as CSV are renderings of it.
//! [`reagents`] is the reagent accounting of rigorous models (serialised
//! as is into the JSON); [`plot`] draws stage profiles and sweep results
//! as SVG.

mod cascade;
pub mod plot;
pub mod reagents;

use std::path::Path;

use serde_json::Value;

use crate::error::Error;
use crate::model::Cascade;
use crate::solver::Solution;

pub use cascade::{CascadeReport, PerComponent, StageReport, Stalled, StreamReport};
pub use reagents::{ProductReagents, Reagents};

/// The result as the JSON object of the result contract
/// (`CascadeReport::new(cascade, sol).to_json()`).
pub fn to_json(cascade: &Cascade, sol: &Solution) -> Value {
    CascadeReport::new(cascade, sol).to_json()
}

/// The human-readable report (`CascadeReport::new(cascade, sol).to_text()`).
pub fn to_text(cascade: &Cascade, sol: &Solution) -> String {
    CascadeReport::new(cascade, sol).to_text()
}

/// Writes the stage profile as CSV
/// (`CascadeReport::new(cascade, sol).write_profile_csv(path)`).
pub fn write_profile_csv(cascade: &Cascade, sol: &Solution, path: &Path) -> Result<(), Error> {
    CascadeReport::new(cascade, sol).write_profile_csv(path)
}

/// Serialises named entries as a map, in their order.
pub(crate) fn named_map<S: serde::Serializer, T: serde::Serialize>(
    v: &[(String, T)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        m.serialize_entry(k, x)?;
    }
    m.end()
}
