//! `sxforge._native`: the compiled half of the `sxforge` Python package.
//!
//! Thin bindings over the library: every result comes from the same
//! functions the command-line tool prints (`report::to_json`,
//! `cli::plan::execute_file` (the binary's own module, compiled in),
//! `design::report::design_json`,
//! `design::sweep::csv_line`, and `flowsheet::report::to_json` for
//! `[[unit]]` files, see `flowsheet.rs`), so Python and the CLI agree by
//! construction.
//! The pure-Python package (`python/sxforge/`) turns the JSON into dicts and
//! the raw columns into NumPy arrays and pandas frames. Solves, plans,
//! designs and sweeps release the GIL.

use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// The command-line front end's modules (clap arguments, plan execution,
/// design input and JSON), shared with the `sxforge` binary so that results
/// equal the CLI's by construction.
#[allow(dead_code)]
#[path = "../../src/cli/mod.rs"]
mod cli;

mod costed;
mod flowsheet;

use cli::design::{design_input, DesignArgs};
use cli::plan::{execute_file, PlanArgs};
use sxforge::capacity::{overrides, PlanError, PlanFile};
use sxforge::design::report::design_json;
use sxforge::design::sweep::sweep_from_str;
use sxforge::design::sweep::{run_cases, shard_range, Param};
use sxforge::design::{shortcut_design as run_design, DesignError};
use sxforge::model::load::{locate, parse_str_with_extras};
use sxforge::model::Cascade;
use sxforge::solver::Solution;

pyo3::create_exception!(
    _native,
    InputError,
    PyValueError,
    "Bad input: a model, plan or option that is invalid. Attributes: `file` \
     (str or None), `line` and `column` (1-based, or None), `key` (dotted key \
     path, or None) and `value` (the offending value as written, or None)."
);
pyo3::create_exception!(
    _native,
    InfeasibleError,
    PyRuntimeError,
    "Targets that no design can meet (the CLI's exit status 2 without a report)."
);

fn input_error(
    py: Python<'_>,
    message: String,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<String>,
    value: Option<String>,
) -> PyErr {
    let err = InputError::new_err(message);
    let v = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail.
    let _ = v.setattr("file", file);
    let _ = v.setattr("line", line);
    let _ = v.setattr("column", column);
    let _ = v.setattr("key", key.filter(|k| !k.is_empty()));
    let _ = v.setattr("value", value);
    err
}

fn from_input(py: Python<'_>, e: &sxforge::InputError) -> PyErr {
    input_error(
        py,
        e.to_string(),
        e.location.file.as_ref().map(|p| p.display().to_string()),
        e.location.line.map(|l| l as usize),
        e.location.column.map(|c| c as usize),
        Some(e.key.clone()),
        e.value.clone(),
    )
}

/// Every problem of a model in the message (one per line); the first one's
/// place in the attributes.
fn from_inputs(py: Python<'_>, e: &sxforge::error::InputErrors) -> PyErr {
    let err = from_input(py, e.first());
    let _ = err.value(py).setattr("args", (e.to_string(),));
    err
}

fn from_plan(py: Python<'_>, e: &PlanError) -> PyErr {
    let msg = e.to_string();
    match e {
        PlanError::Io { .. } | PlanError::Output { .. } => PyOSError::new_err(msg),
        PlanError::Syntax(i) => from_input(py, i),
        PlanError::Input { file, issues } => {
            let first = issues.first();
            input_error(
                py,
                msg,
                Some(file.display().to_string()),
                first.and_then(|i| i.location.line.map(|l| l as usize)),
                first.and_then(|i| i.location.column.map(|c| c as usize)),
                first.map(|i| i.key.clone()),
                first.and_then(|i| i.value.clone()),
            )
        }
        PlanError::Override { file, origin, .. } => input_error(
            py,
            msg,
            Some(file.display().to_string()),
            None,
            None,
            Some(origin.clone()),
            None,
        ),
        PlanError::Usage { option, .. } => {
            input_error(py, msg, None, None, None, Some(option.clone()), None)
        }
        _ => input_error(py, msg, None, None, None, None, None),
    }
}

// ------------------------------------------------------------------ dicts

fn toml_value(py: Python<'_>, obj: &Bound<'_, PyAny>, key: &str) -> PyResult<toml::Value> {
    let bad = |what: String| {
        input_error(
            py,
            format!("<model>: {key}: {what}"),
            None,
            None,
            None,
            Some(key.to_string()),
            None,
        )
    };
    if obj.is_instance_of::<PyBool>() {
        Ok(toml::Value::Boolean(obj.extract()?))
    } else if obj.is_instance_of::<PyInt>() {
        Ok(toml::Value::Integer(obj.extract()?))
    } else if obj.is_instance_of::<PyFloat>() {
        Ok(toml::Value::Float(obj.extract()?))
    } else if obj.is_instance_of::<PyString>() {
        Ok(toml::Value::String(obj.extract()?))
    } else if let Ok(d) = obj.downcast::<PyDict>() {
        Ok(toml::Value::Table(toml_table(py, d, key)?))
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            out.push(toml_value(py, &item?, &format!("{key}[{i}]"))?);
        }
        Ok(toml::Value::Array(out))
    } else if obj.hasattr("__index__")? {
        // NumPy integers.
        Ok(toml::Value::Integer(obj.extract()?))
    } else if obj.hasattr("__float__")? {
        // NumPy floats other than float64.
        Ok(toml::Value::Float(
            obj.call_method0("__float__")?.extract()?,
        ))
    } else {
        Err(bad(format!(
            "a {} is not a TOML value (expected a number, string, bool, list or dict)",
            obj.get_type().name()?
        )))
    }
}

fn toml_table(py: Python<'_>, d: &Bound<'_, PyDict>, prefix: &str) -> PyResult<toml::Table> {
    let mut t = toml::Table::new();
    for (k, v) in d.iter() {
        let k: String = k.extract().map_err(|_| {
            input_error(
                py,
                format!("<model>: {prefix}: dict keys must be strings"),
                None,
                None,
                None,
                Some(prefix.to_string()),
                None,
            )
        })?;
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        t.insert(k, toml_value(py, &v, &key)?);
    }
    Ok(t)
}

/// TOML text of a model given as a dict (same schema as the files).
#[pyfunction]
fn dict_to_toml(py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<String> {
    let t = toml_table(py, d, "")?;
    toml::to_string(&t).map_err(|e| PyValueError::new_err(e.to_string()))
}

// ------------------------------------------------------------------ model

/// A checked cascade model (from TOML text, a file or a dict).
#[pyclass(module = "sxforge._native", frozen)]
struct Model {
    cascade: Arc<Cascade>,
    file: Option<String>,
    /// The model's `[cost]` table, applied to each converged solve.
    cost: Option<Arc<costed::CostSource>>,
}

impl Model {
    /// A unit of a solved flowsheet, as a model of its own (no `[cost]`).
    fn solved_unit(cascade: Arc<Cascade>) -> Model {
        Model {
            cascade,
            file: None,
            cost: None,
        }
    }

    /// A solve of this model as a `Solved`, with the CLI's cost block when
    /// the model has a `[cost]` table and the solve converged.
    fn solved(&self, py: Python<'_>, cascade: Arc<Cascade>, sol: Solution) -> PyResult<Solved> {
        let cost = match &self.cost {
            Some(c) => c.cost(&cascade, &sol).map_err(|e| from_input(py, &e))?,
            None => None,
        };
        Ok(Solved {
            cascade,
            sol: Arc::new(sol),
            cost: cost.map(Arc::new),
        })
    }
}

#[pymethods]
impl Model {
    /// Parses TOML text; `file` names it in error messages.
    #[staticmethod]
    #[pyo3(signature = (text, file=None))]
    fn from_toml(py: Python<'_>, text: &str, file: Option<String>) -> PyResult<Model> {
        let path = file.as_ref().map(PathBuf::from);
        let (cascade, raw) =
            parse_str_with_extras(text, path.clone()).map_err(|e| from_inputs(py, &e))?;
        let cost = costed::CostSource::new(raw.cost.as_ref(), text, path)
            .map_err(|e| from_input(py, &e))?;
        Ok(Model {
            cascade: Arc::new(cascade),
            file,
            cost: cost.map(Arc::new),
        })
    }

    /// Model name.
    #[getter]
    fn name(&self) -> String {
        self.cascade.name().to_string()
    }

    /// Component names, in model order.
    #[getter]
    fn components(&self) -> Vec<String> {
        self.cascade.components().to_vec()
    }

    /// Number of stages.
    #[getter]
    fn stages(&self) -> usize {
        self.cascade.n_stages()
    }

    /// Chemistry model name (`separation-factor`, `constant-d`, ...).
    #[getter]
    fn chemistry(&self) -> &'static str {
        self.cascade.spec().chemistry.name()
    }

    /// File the model was read from, if any.
    #[getter]
    fn file(&self) -> Option<String> {
        self.file.clone()
    }

    /// A copy with parameters changed, named as in `[[sweep.parameter]]`
    /// (`cascade.scrub`, `flows.scrub_amount`, `chemistry.beta.Nd`, ...).
    fn with_values(&self, py: Python<'_>, values: &Bound<'_, PyDict>) -> PyResult<Model> {
        let mut spec = self.cascade.to_spec();
        for (k, v) in values.iter() {
            let k: String = k.extract()?;
            let v: f64 = v.extract()?;
            let p = Param::parse(&k, &spec, &k).map_err(|e| from_input(py, &e))?;
            p.apply(&mut spec, v);
        }
        let cascade = spec.build().map_err(|e| from_input(py, &e))?;
        Ok(Model {
            cascade: Arc::new(cascade),
            file: self.file.clone(),
            cost: self.cost.clone(),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Model({:?}, {}, {} stages, components {:?})",
            self.cascade.name(),
            self.cascade.spec().chemistry.name(),
            self.cascade.n_stages(),
            self.cascade.components()
        )
    }
}

// ------------------------------------------------------------------ results

/// A steady-state solution with its model.
#[pyclass(module = "sxforge._native", frozen)]
struct Solved {
    cascade: Arc<Cascade>,
    sol: Arc<Solution>,
    /// The cost block (`[cost]` models, converged solves).
    cost: Option<Arc<sxforge::cost::CostReport>>,
}

impl Solved {
    /// A solve without a cost block.
    fn new(cascade: Arc<Cascade>, sol: Arc<Solution>) -> Solved {
        Solved {
            cascade,
            sol,
            cost: None,
        }
    }
}

fn f64_bytes<'py>(py: Python<'py>, v: impl Iterator<Item = f64>) -> Bound<'py, PyBytes> {
    let b: Vec<u8> = v.flat_map(f64::to_ne_bytes).collect();
    PyBytes::new(py, &b)
}

#[pymethods]
impl Solved {
    /// Whether the solve converged.
    #[getter]
    fn converged(&self) -> bool {
        self.sol.converged()
    }

    /// Newton iterations (or rows).
    #[getter]
    fn iterations(&self) -> usize {
        self.sol.iterations
    }

    /// Largest relative stage imbalance.
    #[getter]
    fn residual(&self) -> f64 {
        self.sol.residual
    }

    /// The JSON result contract, as `sxforge simulate --json` prints it
    /// (compact).
    fn json(&self) -> String {
        let v = sxforge::report::to_json(&self.cascade, &self.sol);
        let v = sxforge::cost::report::with_cost_json(v, self.cost.as_deref());
        serde_json::to_string(&v).expect("JSON values serialise")
    }

    /// The text report of `sxforge simulate` (with the cost report of a
    /// `[cost]` model).
    fn text(&self) -> String {
        let s = sxforge::report::to_text(&self.cascade, &self.sol);
        sxforge::cost::report::with_cost_text(s, self.cost.as_deref())
    }

    /// Stage profiles as in the JSON's `stages` (mol/L for volumetric
    /// models, amounts otherwise): `(aqueous, organic, stages, components)`,
    /// the arrays as native-endian f64 bytes, row-major.
    fn profiles<'py>(
        &self,
        py: Python<'py>,
    ) -> (Bound<'py, PyBytes>, Bound<'py, PyBytes>, usize, usize) {
        let (n, k) = (self.cascade.n_stages(), self.cascade.n_components());
        match self.sol.concentrations(&self.cascade) {
            Some((x, y)) => (
                f64_bytes(py, x.iter().copied()),
                f64_bytes(py, y.iter().copied()),
                n,
                k,
            ),
            None => (
                f64_bytes(py, self.sol.aqueous.iter().copied()),
                f64_bytes(py, self.sol.organic.iter().copied()),
                n,
                k,
            ),
        }
    }

    /// Writes the stage profile CSV (`simulate --profile`).
    fn write_profile(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let _ = py;
        sxforge::report::write_profile_csv(&self.cascade, &self.sol, &path)
            .map_err(|e| PyOSError::new_err(e.to_string()))
    }

    /// Draws the stage profile SVG (`simulate --plot`).
    fn plot(&self, path: PathBuf) -> PyResult<()> {
        sxforge::report::plot::profile_svg(&self.cascade, &self.sol, &path)
            .map_err(|e| PyOSError::new_err(e.to_string()))
    }
}

// ------------------------------------------------------------------ solving

/// The `tolerance` override of `simulate`, checked as the CLI's
/// `--tolerance` (a relative tolerance in (0, 1)).
fn checked_tolerance(py: Python<'_>, tolerance: Option<f64>) -> PyResult<Option<f64>> {
    match tolerance {
        Some(t) if !(t.is_finite() && t > 0.0 && t < 1.0) => Err(input_error(
            py,
            format!("tolerance = {t}: expected a relative tolerance in (0, 1)"),
            None,
            None,
            None,
            Some("tolerance".into()),
            Some(t.to_string()),
        )),
        t => Ok(t),
    }
}

/// `sxforge simulate`: solves a model (`method` `newton`, `rows` or
/// `start-up`), with the CLI's `--tolerance` and `--max-rows` overrides.
#[pyfunction]
#[pyo3(signature = (model, method="newton", tolerance=None, max_rows=None))]
fn simulate(
    py: Python<'_>,
    model: &Model,
    method: &str,
    tolerance: Option<f64>,
    max_rows: Option<usize>,
) -> PyResult<Solved> {
    let opts = *model.cascade.solver_options();
    let cascade = match checked_tolerance(py, tolerance)? {
        Some(t) => {
            let mut spec = model.cascade.to_spec();
            spec.solver.tolerance = t;
            Arc::new(spec.build().map_err(|e| from_input(py, &e))?)
        }
        None => model.cascade.clone(),
    };
    let tol = tolerance.unwrap_or(opts.tolerance);
    // a method with no algorithm for this model: named, with what it needs
    let unsupported = |method: &str, needs: &str| {
        input_error(
            py,
            format!(
                "{}: method = {method:?} needs the {needs} (this model is {})",
                model.file.as_deref().unwrap_or("<model>"),
                cascade.spec().chemistry.name()
            ),
            model.file.clone(),
            None,
            None,
            Some("method".into()),
            Some(method.to_string()),
        )
    };
    let sol = match method {
        "newton" => py.allow_threads(|| sxforge::Solver::new().solve(&cascade)),
        "rows" => {
            let max_rows = max_rows.unwrap_or(opts.max_rows);
            let c = cascade.clone();
            py.allow_threads(move || sxforge::solver::rows::solve_rows(&c, tol, max_rows))
                .ok_or_else(|| unsupported("rows", "separation-factor model"))?
        }
        "start-up" => {
            let c = cascade.clone();
            py.allow_threads(move || sxforge::Solver::new().start_up(&c))
                .ok_or_else(|| unsupported("start-up", "mass-action or log-linear model"))?
        }
        other => {
            return Err(input_error(
                py,
                format!("method = {other:?}: expected \"newton\", \"rows\" or \"start-up\""),
                None,
                None,
                None,
                Some("method".into()),
                Some(other.to_string()),
            ))
        }
    };
    model.solved(py, cascade, sol)
}

/// A reusable steady-state solver: keeps its workspace and, with `warm`,
/// starts each solve from the previous converged solution (of a model with
/// the same components), as the sweeps do.
#[pyclass(module = "sxforge._native")]
struct Solver {
    inner: sxforge::Solver,
    prev: Option<(usize, Arc<Solution>)>,
    warm: bool,
}

#[pymethods]
impl Solver {
    #[new]
    #[pyo3(signature = (warm=true))]
    fn new(warm: bool) -> Self {
        Solver {
            inner: sxforge::Solver::new(),
            prev: None,
            warm,
        }
    }

    /// Solves `model` by Newton, warm-started from the previous converged
    /// solution when `warm` is set and the components match.
    fn solve(&mut self, py: Python<'_>, model: &Model) -> PyResult<Solved> {
        let cascade = model.cascade.clone();
        let k = cascade.n_components();
        let start = match &self.prev {
            Some((pk, p)) if self.warm && *pk == k => Some(p.clone()),
            _ => None,
        };
        let inner = &mut self.inner;
        let c = &cascade;
        let sol = py.allow_threads(move || match start {
            Some(p) => inner.solve_from(c, &p),
            None => inner.solve(c),
        });
        let solved = model.solved(py, cascade, sol)?;
        self.prev = solved.sol.converged().then(|| (k, solved.sol.clone()));
        Ok(solved)
    }

    /// Forgets the previous solution (the next solve starts cold).
    fn reset(&mut self) {
        self.prev = None;
    }
}

// ------------------------------------------------------------------ plan

/// `sxforge plan --json` on plan text (`file` names it in messages):
/// returns `(exit status, JSON text)`.
#[pyfunction]
#[pyo3(signature = (text, file, scenario=None, set=Vec::new(), compare=false, solver=None))]
fn plan(
    py: Python<'_>,
    text: String,
    file: String,
    scenario: Option<String>,
    set: Vec<String>,
    compare: bool,
    solver: Option<String>,
) -> PyResult<(i32, String)> {
    if let Some(s) = &solver {
        if !["auto", "clarabel", "microlp", "highs"].contains(&s.as_str()) {
            return Err(input_error(
                py,
                format!("solver = {s:?}: expected auto, clarabel, microlp or highs"),
                None,
                None,
                None,
                Some("solver".into()),
                Some(s.clone()),
            ));
        }
    }
    if compare && scenario.is_some() {
        return Err(input_error(
            py,
            "scenario and compare exclude each other".into(),
            None,
            None,
            None,
            Some("compare".into()),
            None,
        ));
    }
    let path = PathBuf::from(&file);
    let args = PlanArgs {
        file: path.clone(),
        json: true,
        csv: None,
        set: set.clone(),
        scenario,
        compare,
        solver,
        plot: None,
        marginal: false,
    };
    let out = py.allow_threads(|| {
        let sets = set
            .iter()
            .map(|s| {
                overrides::parse_set(s).map_err(|message| PlanError::Override {
                    file: path.clone(),
                    origin: format!("--set {s}"),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let pf = PlanFile::parse(&path, text)?;
        execute_file(&args, &pf, &sets)
    });
    out.map(|(code, text)| (code as i32, text))
        .map_err(|e| from_plan(py, &e))
}

// ------------------------------------------------------------------ design

/// `sxforge design --json`: returns `(JSON text, verified model TOML or
/// None)`.
#[pyfunction]
#[pyo3(signature = (file=None, components=Vec::new(), beta=Vec::new(), feed=Vec::new(),
    split=None, feed_phase=None, organic_purity=None, raffinate_purity=None,
    organic_recovery=None, raffinate_recovery=None, max_stages=None, name=None))]
#[allow(clippy::too_many_arguments)]
fn design(
    py: Python<'_>,
    file: Option<PathBuf>,
    components: Vec<String>,
    beta: Vec<f64>,
    feed: Vec<f64>,
    split: Option<String>,
    feed_phase: Option<String>,
    organic_purity: Option<f64>,
    raffinate_purity: Option<f64>,
    organic_recovery: Option<f64>,
    raffinate_recovery: Option<f64>,
    max_stages: Option<usize>,
    name: Option<String>,
) -> PyResult<(String, Option<String>)> {
    let args = DesignArgs {
        file,
        components,
        beta,
        feed,
        split,
        feed_phase,
        organic_purity,
        raffinate_purity,
        organic_recovery,
        raffinate_recovery,
        max_stages,
        name,
        write: None,
        json: true,
    };
    let input = design_input(&args).map_err(|e| from_input(py, &e))?;
    match py.allow_threads(|| run_design(&input)) {
        Ok(d) => Ok((
            serde_json::to_string(&design_json(&d)).expect("JSON values serialise"),
            d.to_toml(),
        )),
        Err(DesignError::Input(e)) => {
            let e = match &args.file {
                Some(p) => match std::fs::read_to_string(p) {
                    Ok(src) => locate(e, &src, Some(p.clone())),
                    Err(_) => e,
                },
                None => e,
            };
            Err(from_input(py, &e))
        }
        Err(DesignError::Infeasible(m)) => {
            Err(InfeasibleError::new_err(format!("infeasible: {m}")))
        }
        Err(e) => Err(pyo3::exceptions::PyRuntimeError::new_err(e.to_string())),
    }
}

// ------------------------------------------------------------------ cost

/// `sxforge cost FILE --json` on a costed cascade, flowsheet or cost file
/// (a path): the cost report as JSON text. Bad input raises `InputError`,
/// an unreadable file `OSError`, a solve that does not converge
/// `RuntimeError` (the CLI's exit status 2).
#[pyfunction]
fn cost(py: Python<'_>, model: PathBuf) -> PyResult<String> {
    use sxforge::cost::file::{run_path, RunError};
    match py.allow_threads(|| run_path(&model)) {
        Ok(r) => Ok(
            serde_json::to_string(&sxforge::cost::report::to_json(&r.report))
                .expect("JSON values serialise"),
        ),
        Err(RunError::Input(sxforge::Error::Input(e))) => Err(from_input(py, &e)),
        Err(RunError::Input(e)) => Err(PyOSError::new_err(e.to_string())),
        Err(RunError::NotSolved(m)) => Err(PyRuntimeError::new_err(m)),
    }
}

// ------------------------------------------------------------------ sweeps

fn sweep_parse(
    py: Python<'_>,
    text: &str,
    file: Option<String>,
) -> PyResult<sxforge::design::sweep::Sweep> {
    sweep_from_str(text, file.map(PathBuf::from)).map_err(|e| from_inputs(py, &e))
}

fn check_shard(py: Python<'_>, i: usize, n: usize) -> PyResult<()> {
    if n == 0 || i == 0 || i > n {
        return Err(input_error(
            py,
            format!("shard = {i}/{n}: expected I/N with 1 <= I <= N"),
            None,
            None,
            None,
            Some("shard".into()),
            Some(format!("{i}/{n}")),
        ));
    }
    Ok(())
}

/// `(cases, parameter names, integer flags, output names)`.
type SweepShape = (usize, Vec<String>, Vec<bool>, Vec<String>);

/// The sweep's shape: `(cases, parameter names, integer flags, output
/// names)`; raises `InputError` as `sxforge sweep` would.
#[pyfunction]
#[pyo3(signature = (text, file=None))]
fn sweep_info(py: Python<'_>, text: &str, file: Option<String>) -> PyResult<SweepShape> {
    let s = sweep_parse(py, text, file)?;
    Ok((
        s.cases.len(),
        s.names.clone(),
        s.params.iter().map(Param::is_integer).collect(),
        s.output_names(),
    ))
}

/// Shard `i` of `n` (1-based, the CLI's `--shard i/n`) as raw columns:
/// `(case, params, status, iterations, residual, outputs)`; `case` and
/// `iterations` as i64 bytes, `params` (rows x parameters), `residual` and
/// `outputs` (rows x outputs, NaN where a case is invalid) as f64 bytes.
#[pyfunction]
#[pyo3(signature = (text, i, n, file=None))]
#[allow(clippy::type_complexity)]
fn sweep_shard<'py>(
    py: Python<'py>,
    text: &str,
    i: usize,
    n: usize,
    file: Option<String>,
) -> PyResult<(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Vec<String>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
)> {
    check_shard(py, i, n)?;
    let s = sweep_parse(py, text, file)?;
    let n_out = s.output_names().len();
    let range = shard_range(s.cases.len(), i, n);
    let results = py.allow_threads(|| run_cases(&s, range, &|| {}));
    let i64_bytes = |v: Vec<i64>| -> Vec<u8> { v.into_iter().flat_map(i64::to_ne_bytes).collect() };
    let case = i64_bytes(results.iter().map(|r| r.case as i64 + 1).collect());
    let iters = i64_bytes(results.iter().map(|r| r.iterations as i64).collect());
    let params = f64_bytes(
        py,
        results.iter().flat_map(|r| s.cases[r.case].iter().copied()),
    );
    let residual = f64_bytes(py, results.iter().map(|r| r.residual));
    let outputs = f64_bytes(
        py,
        results.iter().flat_map(|r| {
            if r.outputs.is_empty() {
                vec![f64::NAN; n_out]
            } else {
                r.outputs.clone()
            }
        }),
    );
    let status = results.iter().map(|r| r.status.clone()).collect();
    Ok((
        PyBytes::new(py, &case),
        params,
        status,
        PyBytes::new(py, &iters),
        residual,
        outputs,
    ))
}

/// Shard `i` of `n` as the exact CSV text of `sxforge sweep --shard i/n`
/// (the header with shard 1 only, unless `header` is false).
#[pyfunction]
#[pyo3(signature = (text, i=1, n=1, file=None, header=true))]
fn sweep_csv(
    py: Python<'_>,
    text: &str,
    i: usize,
    n: usize,
    file: Option<String>,
    header: bool,
) -> PyResult<String> {
    check_shard(py, i, n)?;
    let s = sweep_parse(py, text, file)?;
    let range = shard_range(s.cases.len(), i, n);
    let done = AtomicUsize::new(0);
    let mut buf = Vec::new();
    py.allow_threads(|| {
        sxforge::design::sweep::write_csv(&s, range, header && i == 1, &mut buf, &done, &|| {})
    })
    .map_err(|e| PyOSError::new_err(e.to_string()))?;
    Ok(String::from_utf8(buf).expect("CSV is UTF-8"))
}

/// Benchmark helper: seconds per solve of `model` over `n` solves in Rust
/// alone (one reused solver, cold starts, as `Solver(warm=False).solve`),
/// the baseline for the Python call overhead.
#[pyfunction]
fn _time_solves(py: Python<'_>, model: &Model, n: usize) -> f64 {
    let c = model.cascade.clone();
    py.allow_threads(move || {
        let mut solver = sxforge::Solver::new();
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(solver.solve(&c));
        }
        t.elapsed().as_secs_f64() / n.max(1) as f64
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("InfeasibleError", py.get_type::<InfeasibleError>())?;
    m.add_class::<Model>()?;
    m.add_class::<Solved>()?;
    m.add_class::<Solver>()?;
    m.add_function(wrap_pyfunction!(dict_to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(design, m)?)?;
    m.add_function(wrap_pyfunction!(cost, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_info, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_shard, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_csv, m)?)?;
    m.add_function(wrap_pyfunction!(_time_solves, m)?)?;
    flowsheet::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
