//! Flowsheets (`[[unit]]` files) from Python: parsed, solved and reported by
//! the library's `sxforge::flowsheet` functions, the ones `sxforge simulate`
//! calls for such a file (`cli::simulate`), so that
//! `FlowsheetResult.to_dict()` equals the CLI's `--json`.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;

use sxforge::cost::CostReport;
use sxforge::flowsheet::solve::FlowsheetResult;
use sxforge::flowsheet::{self as fsheet, Flowsheet as Sheet};

use super::{checked_tolerance, from_input, from_inputs, Model, Solved};

/// A checked flowsheet (`[[unit]]` tables), with the text it came from.
#[pyclass(module = "sxforge._native", frozen)]
pub(crate) struct Flowsheet {
    fs: Arc<Sheet>,
    src: Arc<str>,
    file: Option<String>,
}

#[pymethods]
impl Flowsheet {
    /// Parses flowsheet TOML text; `file` names it in error messages.
    #[staticmethod]
    #[pyo3(signature = (text, file=None))]
    fn from_toml(py: Python<'_>, text: &str, file: Option<String>) -> PyResult<Flowsheet> {
        let fs = fsheet::load::parse_str(text, file.as_ref().map(PathBuf::from))
            .map_err(|e| from_inputs(py, &e))?;
        Ok(Flowsheet {
            fs: Arc::new(fs),
            src: text.into(),
            file,
        })
    }

    /// Flowsheet name.
    #[getter]
    fn name(&self) -> String {
        self.fs.name.clone()
    }

    /// Component names, in output order.
    #[getter]
    fn components(&self) -> Vec<String> {
        self.fs.components.clone()
    }

    /// Unit names, in file order.
    #[getter]
    fn units(&self) -> Vec<String> {
        self.fs.units.iter().map(|u| u.name.clone()).collect()
    }

    /// File the flowsheet was read from, if any.
    #[getter]
    fn file(&self) -> Option<String> {
        self.file.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Flowsheet({:?}, {} units, {} splits, components {:?})",
            self.fs.name,
            self.fs.units.len(),
            self.fs.splits.len(),
            self.fs.components
        )
    }
}

/// A solved (or not converged) flowsheet.
#[pyclass(module = "sxforge._native", frozen)]
pub(crate) struct FlowsheetSolved {
    fs: Arc<Sheet>,
    res: Arc<FlowsheetResult>,
    /// The cost block of a flowsheet with a `[cost]` table (converged only).
    cost: Option<Arc<CostReport>>,
}

#[pymethods]
impl FlowsheetSolved {
    /// Whether every unit and the recycle iteration converged.
    #[getter]
    fn converged(&self) -> bool {
        self.res.converged
    }

    /// Outer (recycle) iterations.
    #[getter]
    fn iterations(&self) -> usize {
        self.res.iterations
    }

    /// Largest relative change of a torn stream in the last iteration.
    #[getter]
    fn residual(&self) -> f64 {
        self.res.residual
    }

    /// Why the solve failed, when it did (the CLI's error line).
    #[getter]
    fn message(&self) -> Option<String> {
        self.res.message.clone()
    }

    /// The JSON flowsheet contract, as `sxforge simulate --json` prints it
    /// (compact).
    fn json(&self) -> String {
        let v = fsheet::report::to_json(&self.fs, &self.res);
        let v = sxforge::cost::report::with_cost_json(v, self.cost.as_deref());
        serde_json::to_string(&v).expect("JSON values serialise")
    }

    /// The text report of `sxforge simulate`.
    fn text(&self) -> String {
        let t = fsheet::report::to_text(&self.fs, &self.res);
        sxforge::cost::report::with_cost_text(t, self.cost.as_deref())
    }

    /// The units that were solved, in file order: `(name, model, result)`,
    /// each a single cascade with its feed and inlets filled in.
    fn units(&self) -> Vec<(String, Model, Solved)> {
        self.fs
            .units
            .iter()
            .zip(&self.res.units)
            .filter_map(|(u, r)| {
                let r = r.as_ref()?;
                let cascade = Arc::new(r.cascade.clone());
                Some((
                    u.name.clone(),
                    Model::solved_unit(cascade.clone()),
                    Solved::new(cascade, Arc::new(r.solution.clone())),
                ))
            })
            .collect()
    }

    /// Writes one stage profile CSV per unit (`simulate --profile`:
    /// `PATH` with the unit's name before the extension); returns the
    /// files written.
    fn write_profile(&self, path: PathBuf) -> PyResult<Vec<PathBuf>> {
        fsheet::report::write_profiles(&self.fs, &self.res, &path)
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))
    }

    /// Draws the flowsheet diagram SVG (`simulate --plot`).
    fn plot(&self, path: PathBuf) -> PyResult<()> {
        std::fs::write(&path, fsheet::report::svg(&self.fs, &self.res))
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display())))
    }
}

/// Whether TOML text is a flowsheet (has `[[unit]]` tables).
#[pyfunction]
fn is_flowsheet(text: &str) -> bool {
    fsheet::is_flowsheet(text)
}

/// `sxforge simulate` on a flowsheet, with the CLI's `--tolerance`
/// override (the recycle iteration's and every unit's).
#[pyfunction]
#[pyo3(signature = (flowsheet, tolerance=None))]
fn simulate_flowsheet(
    py: Python<'_>,
    flowsheet: &Flowsheet,
    tolerance: Option<f64>,
) -> PyResult<FlowsheetSolved> {
    let fs = match checked_tolerance(py, tolerance)? {
        Some(t) => {
            let mut fs = (*flowsheet.fs).clone();
            fs.tolerance = t;
            for u in &mut fs.units {
                u.spec.solver.tolerance = t;
            }
            Arc::new(fs)
        }
        None => flowsheet.fs.clone(),
    };
    let f = fs.clone();
    match py.allow_threads(move || fsheet::solve::solve(&f)) {
        Ok(res) => {
            // the CLI's cost block, from the same [cost] table
            let path = PathBuf::from(flowsheet.file.as_deref().unwrap_or("<text>"));
            let cost = match sxforge::cost::file::for_flowsheet(&path, &flowsheet.src, &fs, &res) {
                Ok(c) => c.map(Arc::new),
                Err(sxforge::Error::Input(e)) => return Err(from_input(py, &e)),
                Err(e) => return Err(pyo3::exceptions::PyValueError::new_err(e.to_string())),
            };
            Ok(FlowsheetSolved {
                fs,
                res: Arc::new(res),
                cost,
            })
        }
        Err(e) => {
            let file = flowsheet.file.as_ref().map(PathBuf::from);
            let e = fsheet::load::locate(&fs, e, &flowsheet.src, file);
            Err(from_input(py, &e))
        }
    }
}

/// Adds the flowsheet classes and functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Flowsheet>()?;
    m.add_class::<FlowsheetSolved>()?;
    m.add_function(wrap_pyfunction!(is_flowsheet, m)?)?;
    m.add_function(wrap_pyfunction!(simulate_flowsheet, m)?)?;
    Ok(())
}
