//! Model files with a `[cost]` table: read, solve and cost them (the
//! library side of `sxforge cost` and of the cost block of `simulate`).

use std::path::{Path, PathBuf};

use super::{cost_cascade, CostParams, CostReport};
use crate::error::{Error, InputError, Location};
use crate::model::load::{locate, parse_str_with_extras};
use crate::model::Cascade;
use crate::solver::Solution;

/// A model file read with its `[cost]` parameters (`None` when it has no
/// `[cost]` table).
pub struct CostedModel {
    /// The cascade.
    pub cascade: Cascade,
    /// Checked `[cost]` parameters.
    pub params: Option<CostParams>,
    /// The file's text (to locate later errors).
    pub src: String,
    /// The file.
    pub file: PathBuf,
}

/// Reads a model and its `[cost]` table; errors carry file, line and key.
pub fn load(path: &Path) -> Result<CostedModel, Error> {
    let src = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file = Some(path.to_path_buf());
    let (cascade, raw) = parse_str_with_extras(&src, file.clone())?;
    let params = raw
        .cost
        .as_ref()
        .map(CostParams::from_raw)
        .transpose()
        .map_err(|e| locate(e, &src, file))?;
    Ok(CostedModel {
        cascade,
        params,
        src,
        file: path.to_path_buf(),
    })
}

impl CostedModel {
    /// Costs a solution of this model; errors located in the file.
    pub fn cost(&self, sol: &Solution) -> Result<CostReport, InputError> {
        let p = self.params.clone().unwrap_or_default();
        cost_cascade(&self.cascade, sol, &p).map_err(|e| self.locate(e))
    }

    /// Points an error's key into the file.
    pub fn locate(&self, e: InputError) -> InputError {
        if e.key.is_empty() || e.key == "cost" {
            return InputError {
                location: Location {
                    file: Some(self.file.clone()),
                    ..Location::default()
                },
                ..e
            };
        }
        locate(e, &self.src, Some(self.file.clone()))
    }
}

/// The cost of a `simulate` result when the model file has a `[cost]`
/// table: `Ok(None)` without one or when the solve did not converge.
pub fn for_simulate(
    path: &Path,
    cascade: &Cascade,
    sol: &Solution,
) -> Result<Option<CostReport>, Error> {
    let m = load(path)?;
    if m.params.is_none() || !sol.converged() {
        return Ok(None);
    }
    let p = m.params.clone().unwrap_or_default();
    cost_cascade(cascade, sol, &p)
        .map(Some)
        .map_err(|e| Error::Input(m.locate(e)))
}
