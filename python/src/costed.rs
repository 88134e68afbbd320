//! The `[cost]` table of a model read from Python: checked once with the
//! model, applied to each converged solve, so that `Result.to_dict()["cost"]`
//! and the text report equal `sxforge simulate`'s (which calls
//! `sxforge::cost::file::for_simulate` on the file).

use std::path::PathBuf;

use sxforge::cost::{cost_cascade, CostParams, CostReport, RawCost};
use sxforge::error::Location;
use sxforge::model::load::locate;
use sxforge::model::Cascade;
use sxforge::solver::Solution;
use sxforge::InputError;

/// A model's checked `[cost]` parameters with the text they came from (to
/// point later errors at their line).
#[derive(Debug)]
pub(crate) struct CostSource {
    params: CostParams,
    src: String,
    file: Option<PathBuf>,
}

impl CostSource {
    /// Checks `raw` (the model's `[cost]` table, if any); errors located in
    /// `src`.
    pub(crate) fn new(
        raw: Option<&RawCost>,
        src: &str,
        file: Option<PathBuf>,
    ) -> Result<Option<CostSource>, InputError> {
        let Some(raw) = raw else { return Ok(None) };
        let params = CostParams::from_raw(raw).map_err(|e| locate(e, src, file.clone()))?;
        Ok(Some(CostSource {
            params,
            src: src.to_string(),
            file,
        }))
    }

    /// The cost of a solve, as `simulate` reports it: `None` when the solve
    /// did not converge (the CLI prints no cost block then).
    pub(crate) fn cost(
        &self,
        cascade: &Cascade,
        sol: &Solution,
    ) -> Result<Option<CostReport>, InputError> {
        if !sol.converged() {
            return Ok(None);
        }
        cost_cascade(cascade, sol, &self.params)
            .map(Some)
            .map_err(|e| self.locate(e))
    }

    /// As `sxforge::cost::file::CostedModel::locate`: errors without a key
    /// below `cost` name the file only.
    fn locate(&self, e: InputError) -> InputError {
        if e.key.is_empty() || e.key == "cost" {
            return InputError {
                location: Location {
                    file: self.file.clone(),
                    ..Location::default()
                },
                ..e
            };
        }
        locate(e, &self.src, self.file.clone())
    }
}
