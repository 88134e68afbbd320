//! Model files with a `[cost]` table, and separate cost files: read, solve
//! and cost them (the library side of `sxforge cost`, of Python's
//! `sxforge.cost` and of the cost block of `simulate`).
// `InputError` is the crate's error type (128 bytes); see design/mod.rs.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{cost_cascade, CostParams, CostReport, RawCost};
use crate::error::{Error, InputError, Location};
use crate::flowsheet::solve::FlowsheetResult;
use crate::flowsheet::Flowsheet;
use crate::model::load::{locate, parse_str_with_extras, toml_error};
use crate::model::Cascade;
use crate::solver::{Solution, Solver};

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
        locate_cost(e, &self.src, &self.file)
    }
}

/// Points a cost error's key at its line in `src` (file-level errors,
/// without a key or with `cost`, name the file only).
fn locate_cost(e: InputError, src: &str, file: &Path) -> InputError {
    if e.key.is_empty() || e.key == "cost" {
        return InputError {
            location: Location {
                file: Some(file.to_path_buf()),
                ..Location::default()
            },
            ..e
        };
    }
    locate(e, src, Some(file.to_path_buf()))
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

/// What a cost file or costed model describes: one cascade or a flowsheet.
#[derive(Debug, Clone)]
pub enum Process {
    /// A cascade model.
    Cascade(Box<Cascade>),
    /// A flowsheet (`[[unit]]` tables).
    Flowsheet(Flowsheet),
}

/// A process with the `[cost]` parameters that price it: read from a model
/// file with an inline `[cost]` table, or from a separate cost file
/// (`model = "relative/path.toml"` plus `[cost]`; the model's own `[cost]`,
/// if any, is then ignored).
#[derive(Debug, Clone)]
pub struct Priced {
    /// The process.
    pub process: Process,
    /// Checked `[cost]` parameters (`None`: the file has no `[cost]`).
    pub params: Option<CostParams>,
    /// The file that holds the `[cost]` table (the model itself, or the
    /// cost file).
    pub cost_file: PathBuf,
    /// Its text (to locate cost errors).
    pub cost_src: String,
    /// The model file.
    pub model_file: PathBuf,
    /// Its text (to locate solve errors).
    pub model_src: String,
}

/// `[cost]` read from any model text (other keys are the model's concern).
#[derive(Deserialize)]
struct InlineCost {
    cost: Option<RawCost>,
}

/// A separate cost file: the model it prices and the `[cost]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CostFile {
    model: String,
    cost: Option<RawCost>,
}

/// Whether TOML text is a separate cost file (a top-level `model` string).
pub fn is_cost_file(src: &str) -> bool {
    src.parse::<toml::Table>()
        .map(|t| matches!(t.get("model"), Some(toml::Value::String(_))))
        .unwrap_or(false)
}

fn parse_process(src: &str, file: &Path) -> Result<Process, InputError> {
    let f = Some(file.to_path_buf());
    if crate::flowsheet::is_flowsheet(src) {
        crate::flowsheet::load::parse_str(src, f)
            .map(Process::Flowsheet)
            .map_err(crate::error::InputErrors::into_first)
    } else {
        parse_str_with_extras(src, f)
            .map(|(c, _)| Process::Cascade(Box::new(c)))
            .map_err(crate::error::InputErrors::into_first)
    }
}

/// Reads a cascade or flowsheet model with its inline `[cost]`, or a
/// separate cost file and the model it names (path relative to the cost
/// file). Errors carry file, line and key; unknown keys are errors.
pub fn load_priced(path: &Path) -> Result<Priced, Error> {
    let src = crate::input::read_source(path)?;
    let file = Some(path.to_path_buf());
    if is_cost_file(&src) {
        let raw: CostFile = toml::from_str(&src).map_err(|e| toml_error(&e, &src, file.clone()))?;
        let Some(rc) = raw.cost else {
            return Err(InputError {
                location: Location {
                    file,
                    ..Location::default()
                },
                key: "cost".into(),
                value: None,
                message: "missing: a cost file is `model = \"...toml\"` plus a [cost] table".into(),
            }
            .into());
        };
        let params = CostParams::from_raw(&rc).map_err(|e| locate(e, &src, file.clone()))?;
        let model_file = path.parent().unwrap_or(Path::new("")).join(&raw.model);
        let bad_model = |why: String| {
            locate(
                InputError::new("model", Some(format!("\"{}\"", raw.model)), why),
                &src,
                Some(path.to_path_buf()),
            )
        };
        let model_src = crate::input::read_source(&model_file)
            .map_err(|e| bad_model(format!("expected a readable model file ({e})")))?;
        if is_cost_file(&model_src) {
            return Err(bad_model(
                "expected a cascade or flowsheet model, not another cost file".into(),
            )
            .into());
        }
        let process = parse_process(&model_src, &model_file)?;
        return Ok(Priced {
            process,
            params: Some(params),
            cost_file: path.to_path_buf(),
            cost_src: src,
            model_file,
            model_src,
        });
    }
    let process = parse_process(&src, path)?;
    let inline: InlineCost =
        toml::from_str(&src).map_err(|e| toml_error(&e, &src, file.clone()))?;
    let params = inline
        .cost
        .as_ref()
        .map(CostParams::from_raw)
        .transpose()
        .map_err(|e| locate(e, &src, file))?;
    Ok(Priced {
        process,
        params,
        cost_file: path.to_path_buf(),
        cost_src: src.clone(),
        model_file: path.to_path_buf(),
        model_src: src,
    })
}

/// A costed process: its name and the cost report.
#[derive(Debug, Clone)]
pub struct CostRun {
    /// The model's name.
    pub name: String,
    /// The cost.
    pub report: CostReport,
}

/// Why a process could not be costed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input (exit 1).
    #[error(transparent)]
    Input(#[from] Error),
    /// The solve did not converge (exit 2): no cost for an unsolved design.
    #[error("{0}")]
    NotSolved(String),
}

impl Priced {
    /// The model's name.
    pub fn name(&self) -> &str {
        match &self.process {
            Process::Cascade(c) => c.name(),
            Process::Flowsheet(f) => &f.name,
        }
    }

    /// Points a cost error's key into the file that holds `[cost]`.
    pub fn locate(&self, e: InputError) -> InputError {
        locate_cost(e, &self.cost_src, &self.cost_file)
    }

    /// Solves the process and costs it with `p`.
    pub fn cost_with(&self, p: &CostParams) -> Result<CostReport, RunError> {
        let shown = self.model_file.display();
        match &self.process {
            Process::Cascade(c) => {
                let sol = Solver::new().solve(c);
                if !sol.converged() {
                    return Err(RunError::NotSolved(format!(
                        "{shown}: the solve {} (relative residual {:.3e} at stage {}, {}); no cost for an unsolved design",
                        sol.status.describe(),
                        sol.residual,
                        sol.worst.0 + 1,
                        sol.worst_quantity(c)
                    )));
                }
                super::cost_cascade(c, &sol, p)
            }
            Process::Flowsheet(fs) => {
                let res = crate::flowsheet::solve::solve(fs).map_err(|e| {
                    Error::Input(crate::flowsheet::load::locate(
                        fs,
                        e,
                        &self.model_src,
                        Some(self.model_file.clone()),
                    ))
                })?;
                if !res.converged {
                    return Err(RunError::NotSolved(format!(
                        "{shown}: {}; no cost for an unsolved design",
                        res.message.as_deref().unwrap_or("did not converge")
                    )));
                }
                super::cost_flowsheet(fs, &res, p)
            }
        }
        .map_err(|e| RunError::Input(Error::Input(self.locate(e))))
    }
}

/// `sxforge cost FILE` (and Python's `sxforge.cost`): reads a costed
/// cascade, flowsheet or cost file, solves it and costs it.
pub fn run_path(path: &Path) -> Result<CostRun, RunError> {
    let m = load_priced(path)?;
    let Some(p) = &m.params else {
        return Err(Error::Input(InputError {
            location: Location {
                file: Some(path.to_path_buf()),
                ..Location::default()
            },
            key: "cost".into(),
            value: None,
            message: "missing: a [cost] table (every key has a default: `[cost]` alone costs with the defaults of docs/cost.md), or a cost file `model = \"...toml\"` plus [cost]".into(),
        })
        .into());
    };
    Ok(CostRun {
        name: m.name().to_string(),
        report: m.cost_with(p)?,
    })
}

/// The cost of a solved flowsheet for `simulate` when its file has a
/// `[cost]` table: `Ok(None)` without one or when it did not converge.
pub fn for_flowsheet(
    path: &Path,
    src: &str,
    fs: &Flowsheet,
    res: &FlowsheetResult,
) -> Result<Option<CostReport>, Error> {
    let file = Some(path.to_path_buf());
    let inline: InlineCost = toml::from_str(src).map_err(|e| toml_error(&e, src, file.clone()))?;
    let Some(rc) = inline.cost else {
        return Ok(None);
    };
    let p = CostParams::from_raw(&rc).map_err(|e| locate(e, src, file.clone()))?;
    if !res.converged {
        return Ok(None);
    }
    super::cost_flowsheet(fs, res, &p)
        .map(Some)
        .map_err(|e| Error::Input(locate_cost(e, src, path)))
}
