//! Refinery parameters for the capacity planner, derived from a simulated,
//! costed process (`[[refinery]] process = "models/....toml"`).
//!
//! The process model is solved and costed at the refinery's throughput
//! (its `[cost]` table, with `throughput` replaced by the refinery's size),
//! and gives:
//!
//! - `capex_per_tpy` = capex / throughput (USD per t/yr of feed capacity).
//!   Economies of scale enter here: equipment follows the size-exponent
//!   law, so a larger refinery has a lower capex per t/yr (down to the
//!   largest mixer-settler, beyond which units run in parallel and the cost
//!   grows linearly). The planner then treats capex as linear in capacity
//!   at that rate (an LP), so the size at which it is derived matters.
//! - `opex_per_t` = opex / throughput (USD per t REO of feed): reagents,
//!   organic losses, power, labour, maintenance.
//! - `recovery[e]`: the share of element `e`'s feed that leaves in its own
//!   product stream (the outlet carrying most of it); what leaves in the
//!   other products is lost as their impurity. For a flowsheet the
//!   products are all of the train's products (intermediate streams are
//!   not), so each element's recovery is into its own cut of the train.
//!
//! The process may be a cascade, a flowsheet or a separate cost file (see
//! [`file::load_priced`]).

use std::path::Path;

use serde::Serialize;

use super::file;
use crate::error::{Error, InputError};

/// What a process gives a refinery of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DerivedRefinery {
    /// The process file, as written in the plan.
    pub process: String,
    /// `cascade` or `flowsheet`.
    pub kind: String,
    /// Cascades priced (1 for a cascade).
    pub units: usize,
    /// Stages in all of them.
    pub stages: usize,
    /// Throughput it was costed at, t REO/yr.
    pub throughput: f64,
    /// Capex per t/yr of feed capacity, USD.
    pub capex_per_tpy: f64,
    /// Opex per t REO of feed, USD.
    pub opex_per_t: f64,
    /// Recovery of each of the process's components into its product.
    pub recovery: Vec<(String, f64)>,
    /// Cost per kg of each product oxide at this throughput, USD/kg.
    pub cost_per_kg: Vec<(String, f64)>,
}

impl DerivedRefinery {
    /// Recovery of `element`, if the process separates it.
    pub fn recovery_of(&self, element: &str) -> Option<f64> {
        self.recovery
            .iter()
            .find(|(e, _)| e == element)
            .map(|(_, r)| *r)
    }
}

/// Solves and costs the process model at `process_path` for a refinery of
/// `throughput` t REO/yr. `name` is the path as written (for reports).
pub fn derive_refinery(
    process_path: &Path,
    name: &str,
    throughput: f64,
) -> Result<DerivedRefinery, Error> {
    let m = file::load_priced(process_path)?;
    let mut p = m.params.clone().unwrap_or_default();
    if throughput > 0.0 {
        p.throughput = throughput;
        p.throughput_given = true;
    }
    let r = m.cost_with(&p).map_err(|e| match e {
        file::RunError::Input(e) => e,
        file::RunError::NotSolved(msg) => Error::Input(InputError {
            location: crate::error::Location {
                file: Some(process_path.to_path_buf()),
                ..Default::default()
            },
            key: String::new(),
            value: None,
            message: format!(
                "the process did not solve ({msg}); no refinery can be derived from it"
            ),
        }),
    })?;
    Ok(DerivedRefinery {
        process: name.to_string(),
        kind: match m.process {
            file::Process::Cascade(_) => "cascade",
            file::Process::Flowsheet(_) => "flowsheet",
        }
        .to_string(),
        units: r.units.len(),
        stages: r.stages,
        throughput: p.throughput,
        capex_per_tpy: r.capex / p.throughput,
        opex_per_t: r.opex / p.throughput,
        recovery: r
            .products
            .iter()
            .map(|q| (q.component.clone(), q.recovery))
            .collect(),
        cost_per_kg: r
            .products
            .iter()
            .map(|q| (q.component.clone(), q.cost_per_kg))
            .collect(),
    })
}
