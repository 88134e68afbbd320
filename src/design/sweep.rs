//! Parameter sweeps: a grid or a Latin hypercube over named model
//! parameters, solved in parallel (rayon), written as CSV.
//!
//! Determinism: case `i`'s inputs depend only on the `[sweep]` table (and its
//! seed), and its solve is warm-started along a fixed chain: cases are cut
//! into blocks of [`BLOCK`] consecutive indices; the first case of a block is
//! solved cold and every other from its predecessor. A shard or a thread
//! that starts inside a block re-solves the block's earlier cases. Results
//! are therefore identical for every thread count and every `--shard` cut.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::fmt_exact;
use crate::cascade::StreamKind;
use crate::error::{InputError, InputErrors};
use crate::input::{locate_error, locate_indexed, missing_table};
use crate::model::models;
use crate::model::schema::RawCascade;
use crate::model::{Cascade, CascadeSpec};

pub use crate::model::FlowKey;
use crate::solver::{Solution, Solver};

pub use crate::model::tables::{RawParameter, RawSweep};

/// Cases per warm-start chain.
pub const BLOCK: usize = 32;

/// A model parameter a sweep or an optimisation can vary.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// `cascade.extraction|scrub|strip` (0, 1, 2): stage count.
    Stages(usize),
    /// `flows.<key>`.
    Flow(FlowKey),
    /// `chemistry.beta.<c>` or `chemistry.d.<c>` (component index).
    Chemistry(usize),
    /// `feed.amount.<c>` or `feed.concentration.<c>`.
    Feed(usize),
    /// `feed.flow`.
    FeedFlow,
}

/// The model whose sweepable per-component parameter is `chemistry.<key>`.
fn sweep_owner(key: &str) -> Option<&'static str> {
    models::MODELS
        .iter()
        .find(|m| m.sweep == Some(key))
        .map(|m| m.schema.name)
}

impl Param {
    /// Parses a dotted parameter name against a model; `key` names the
    /// setting in messages.
    pub fn parse(name: &str, spec: &CascadeSpec, key: &str) -> Result<Self, InputError> {
        let err = |msg: String| InputError::new(key, Some(format!("\"{name}\"")), msg);
        let comp = |c: &str| {
            spec.components.iter().position(|x| x == c).ok_or_else(|| {
                err(format!(
                    "`{c}` is not a component of this model (components: {})",
                    spec.components.join(", ")
                ))
            })
        };
        let parts: Vec<&str> = name.split('.').collect();
        let known = "expected cascade.extraction|scrub|strip, flows.<key>, chemistry.beta.<component>, \
                     chemistry.d.<component>, feed.amount.<component>, feed.concentration.<component> or feed.flow";
        let p = match parts.as_slice() {
            ["cascade", "extraction"] => Param::Stages(0),
            ["cascade", "scrub"] => Param::Stages(1),
            ["cascade", "strip"] => Param::Stages(2),
            ["flows", f] => {
                let fk = FlowKey::ALL
                    .into_iter()
                    .find(|k| k.name() == *f)
                    .ok_or_else(|| err(format!("unknown parameter: {known}")))?;
                if fk.get(spec).is_none() {
                    return Err(err(format!(
                        "this model has no flows.{f} (a {} model; set it in [flows] first)",
                        spec.chemistry.name()
                    )));
                }
                Param::Flow(fk)
            }
            ["chemistry", key, c] if sweep_owner(key).is_some() => {
                let own = models::lookup(spec.chemistry.name())
                    .ok()
                    .and_then(|m| m.sweep);
                if own != Some(*key) {
                    let owner = sweep_owner(key).expect("guarded");
                    return Err(err(format!("this model has no {key} (not {owner})")));
                }
                Param::Chemistry(comp(c)?)
            }
            ["feed", "amount", c] if spec.feed.amount.is_some() => Param::Feed(comp(c)?),
            ["feed", "concentration", c] if spec.feed.concentration.is_some() => {
                Param::Feed(comp(c)?)
            }
            ["feed", "flow"] if spec.feed.flow.is_some() => Param::FeedFlow,
            _ => return Err(err(format!("unknown parameter: {known}"))),
        };
        Ok(p)
    }

    /// Whether the parameter takes integer values.
    pub fn is_integer(&self) -> bool {
        matches!(self, Param::Stages(_))
    }

    /// Sets the parameter in a specification.
    pub fn apply(&self, spec: &mut CascadeSpec, v: f64) {
        match self {
            Param::Stages(i) => {
                let n = v.round().max(0.0) as usize;
                match i {
                    0 => spec.extraction = n,
                    1 => spec.scrub = n,
                    _ => spec.strip = n,
                }
            }
            Param::Flow(k) => k.set(spec, v),
            // models without a sweepable parameter never get here
            Param::Chemistry(c) => spec.chemistry.model_mut().set_param(*c, v),
            Param::Feed(c) => {
                if let Some(a) = spec.feed.amount.as_mut() {
                    a[*c] = v;
                } else if let Some(a) = spec.feed.concentration.as_mut() {
                    a[*c] = v;
                }
            }
            Param::FeedFlow => spec.feed.flow = Some(v),
        }
    }
}

const MISSING_SWEEP: &str = "missing: a [sweep] table with [[sweep.parameter]] entries";

/// Parses a model with a `[sweep]` table from TOML text into the checked
/// sweep that `sxforge sweep` runs, with the same errors (`file` names the
/// source in messages only).
pub fn sweep_from_str(src: &str, file: Option<PathBuf>) -> Result<Sweep, InputErrors> {
    let (cascade, raw) = crate::model::load::parse_str_with_extras(src, file.clone())?;
    Ok(sweep_of_model(&cascade, &raw, src, file, (1, 1))?)
}

/// The model's `[sweep]` table, with its `[cost]` parameters when it has
/// one (the cost columns); errors located in `src` (`file` names it).
/// `shard` = (i, n) builds the cases of shard i of n only ((1, 1): all).
pub fn sweep_of_model(
    cascade: &Cascade,
    raw: &RawCascade,
    src: &str,
    file: Option<PathBuf>,
    (i, n): (usize, usize),
) -> Result<Sweep, InputError> {
    let Some(rs) = raw.sweep.as_ref() else {
        return Err(missing_table(file, "sweep", MISSING_SWEEP));
    };
    let mut sweep =
        Sweep::new_shard(cascade, rs, i, n).map_err(|e| locate_indexed(e, src, file.clone()))?;
    if let Some(rc) = raw.cost.as_ref() {
        let cost = crate::cost::CostParams::from_raw(rc).map_err(|e| locate_error(e, src, file))?;
        sweep.cost = Some(cost);
    }
    Ok(sweep)
}

/// A checked sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Base model.
    pub base: CascadeSpec,
    /// Parameter names (CSV columns).
    pub names: Vec<String>,
    /// Parameters.
    pub params: Vec<Param>,
    /// Input values of every case (`cases x params`), in case order
    /// (the rows outside the shard empty for [`Sweep::new_shard`]).
    pub cases: Vec<Vec<f64>>,
    /// Cost parameters (the model's `[cost]` table): adds the columns
    /// `cost.capex`, `cost.opex`, `cost.total` and `cost_per_kg.<c>`.
    pub cost: Option<crate::cost::CostParams>,
}

pub use crate::rng::SplitMix64;

impl Sweep {
    /// Checks a `[sweep]` table against its model. Errors name the key
    /// (`sweep.parameter[i].name` etc.).
    pub fn new(base: &Cascade, raw: &RawSweep) -> Result<Self, InputError> {
        Self::build(base, raw, None)
    }

    /// As [`Sweep::new`], but generates the input values of shard `i` of
    /// `n` only (1-based, as `--shard i/n`; with the earlier cases of its
    /// first warm-start block, which [`run_cases`] re-solves): the other
    /// rows of [`Sweep::cases`] are left empty, so a shard of a large
    /// sweep costs its share, not the whole sweep.
    pub fn new_shard(
        base: &Cascade,
        raw: &RawSweep,
        i: usize,
        n: usize,
    ) -> Result<Self, InputError> {
        Self::build(base, raw, Some((i, n)))
    }

    fn build(
        base: &Cascade,
        raw: &RawSweep,
        shard: Option<(usize, usize)>,
    ) -> Result<Self, InputError> {
        // the rows a shard needs: its range, from the start of its block
        let needed = |total: usize| -> std::ops::Range<usize> {
            match shard {
                Some((i, n)) if i >= 1 && i <= n => {
                    let r = shard_range(total, i, n);
                    (r.start / BLOCK) * BLOCK..r.end
                }
                _ => 0..total,
            }
        };
        let spec = base.to_spec();
        if raw.parameter.is_empty() {
            return Err(InputError::new(
                "sweep.parameter",
                None,
                "missing: at least one [[sweep.parameter]] with a name",
            ));
        }
        let lhs = match raw.method.as_deref() {
            None | Some("grid") => false,
            Some("lhs") | Some("latin-hypercube") => true,
            Some(o) => {
                return Err(InputError::new(
                    "sweep.method",
                    Some(format!("\"{o}\"")),
                    "expected \"grid\" or \"lhs\"",
                ))
            }
        };
        let mut names = Vec::new();
        let mut params = Vec::new();
        let mut axes: Vec<Vec<f64>> = Vec::new();
        let mut ranges = Vec::new();
        for (i, p) in raw.parameter.iter().enumerate() {
            let key = format!("sweep.parameter[{}]", i + 1);
            if names.contains(&p.name) {
                return Err(InputError::new(
                    format!("{key}.name"),
                    Some(format!("\"{}\"", p.name)),
                    "parameter listed twice",
                ));
            }
            let param = Param::parse(&p.name, &spec, &format!("{key}.name"))?;
            let bounds = match (p.min, p.max) {
                (Some(lo), Some(hi)) => {
                    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                        return Err(InputError::new(
                            format!("{key}.max"),
                            Some(fmt_exact(hi)),
                            format!("invalid bounds: expected finite min <= max (min = {lo})"),
                        ));
                    }
                    if param.is_integer() && lo < 0.0 {
                        return Err(InputError::new(
                            format!("{key}.min"),
                            Some(fmt_exact(lo)),
                            "a stage count cannot be negative",
                        ));
                    }
                    Some((lo, hi))
                }
                (None, None) => None,
                _ => {
                    return Err(InputError::new(
                        key.clone(),
                        None,
                        "give both min and max (or values)",
                    ))
                }
            };
            if lhs {
                if p.values.is_some() || p.steps.is_some() {
                    return Err(InputError::new(
                        key.clone(),
                        None,
                        "a Latin hypercube samples min..max: steps and values belong to grids",
                    ));
                }
                ranges.push(
                    bounds.ok_or_else(|| {
                        InputError::new(key.clone(), None, "missing: min and max")
                    })?,
                );
            } else {
                let axis = match (&p.values, bounds, p.steps) {
                    (Some(v), None, None) => {
                        if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
                            return Err(InputError::new(
                                format!("{key}.values"),
                                None,
                                "expected a non-empty list of finite numbers",
                            ));
                        }
                        v.clone()
                    }
                    (None, Some((lo, hi)), Some(n)) if n >= 1 => {
                        if n == 1 {
                            vec![lo]
                        } else {
                            (0..n)
                                .map(|j| lo + (hi - lo) * j as f64 / (n - 1) as f64)
                                .collect()
                        }
                    }
                    (None, Some(_), Some(_)) => {
                        return Err(InputError::new(
                            format!("{key}.steps"),
                            Some("0".into()),
                            "expected at least 1 grid point",
                        ))
                    }
                    _ => {
                        return Err(InputError::new(
                            key.clone(),
                            None,
                            "a grid parameter needs either values = [..] or min, max and steps",
                        ))
                    }
                };
                if axis.len() > crate::input::MAX_SWEEP_CASES {
                    return Err(InputError::new(
                        format!("{key}.steps"),
                        Some(axis.len().to_string()),
                        format!(
                            "at most {} grid points are supported",
                            crate::input::MAX_SWEEP_CASES
                        ),
                    ));
                }
                let axis = if param.is_integer() {
                    axis.iter().map(|v| v.round()).collect()
                } else {
                    axis
                };
                axes.push(axis);
            }
            let largest = axes
                .last()
                .filter(|_| !lhs)
                .into_iter()
                .flatten()
                .copied()
                .chain(bounds.map(|b| b.1))
                .fold(f64::NEG_INFINITY, f64::max);
            let limit = crate::input::MAX_STAGES_PER_SECTION as f64;
            if param.is_integer() && largest > limit {
                return Err(InputError::new(
                    key.clone(),
                    Some(fmt_exact(largest)),
                    format!("a stage count above {limit} (the most per section)"),
                ));
            }
            names.push(p.name.clone());
            params.push(param);
        }
        let cases = if lhs {
            let n = raw.cases.ok_or_else(|| {
                InputError::new(
                    "sweep.cases",
                    None,
                    "missing: the number of cases of the Latin hypercube",
                )
            })?;
            if n == 0 || n > crate::input::MAX_SWEEP_CASES {
                return Err(InputError::new(
                    "sweep.cases",
                    Some(n.to_string()),
                    format!("expected 1 to {} cases", crate::input::MAX_SWEEP_CASES),
                ));
            }
            let mut rng = SplitMix64::new(raw.seed.unwrap_or(0));
            let want = needed(n);
            let mut cols = Vec::new();
            for (p, (lo, hi)) in params.iter().zip(&ranges) {
                // the permutation needs the whole range; the jitter draws
                // outside the wanted rows are skipped, not made
                let mut perm: Vec<u32> = (0..n as u32).collect();
                for i in (1..n).rev() {
                    let j = rng.below(i + 1);
                    perm.swap(i, j);
                }
                rng.skip(want.start);
                let col: Vec<f64> = perm[want.clone()]
                    .iter()
                    .map(|&s| {
                        let u = (s as f64 + rng.next_f64()) / n as f64;
                        let v = lo + (hi - lo) * u;
                        if p.is_integer() {
                            v.round()
                        } else {
                            v
                        }
                    })
                    .collect();
                rng.skip(n - want.end);
                cols.push(col);
            }
            (0..n)
                .map(|i| {
                    if want.contains(&i) {
                        cols.iter().map(|c| c[i - want.start]).collect()
                    } else {
                        Vec::new()
                    }
                })
                .collect()
        } else {
            if raw.cases.is_some() || raw.seed.is_some() {
                return Err(InputError::new(
                    if raw.cases.is_some() {
                        "sweep.cases"
                    } else {
                        "sweep.seed"
                    },
                    None,
                    "cases and seed belong to method = \"lhs\"; a grid has every combination",
                ));
            }
            let total = axes
                .iter()
                .try_fold(1usize, |t, a| t.checked_mul(a.len()))
                .filter(|&t| t <= crate::input::MAX_SWEEP_CASES)
                .ok_or_else(|| {
                    InputError::new(
                        "sweep.parameter",
                        None,
                        format!(
                            "the grid has more than {} cases: fewer steps, or method = \"lhs\"",
                            crate::input::MAX_SWEEP_CASES
                        ),
                    )
                })?;
            let want = needed(total);
            (0..total)
                .map(|mut i| {
                    if !want.contains(&i) {
                        return Vec::new();
                    }
                    let mut row = vec![0.0; axes.len()];
                    for (d, axis) in axes.iter().enumerate().rev() {
                        row[d] = axis[i % axis.len()];
                        i /= axis.len();
                    }
                    row
                })
                .collect()
        };
        Ok(Sweep {
            base: spec,
            names,
            params,
            cases,
            cost: None,
        })
    }

    /// The specification of case `i`.
    pub fn case_spec(&self, i: usize) -> CascadeSpec {
        let mut s = self.base.clone();
        for (p, v) in self.params.iter().zip(&self.cases[i]) {
            p.apply(&mut s, *v);
        }
        s
    }

    /// Output column names: `<stream>.purity.<c>`, `<stream>.recovery.<c>`.
    pub fn output_names(&self) -> Vec<String> {
        let streams: Vec<String> = match self.base.clone().build() {
            Ok(c) => c
                .layout()
                .outlets()
                .iter()
                .map(|o| o.kind.name().to_string())
                .collect(),
            Err(_) => [StreamKind::Raffinate, StreamKind::LoadedOrganic]
                .iter()
                .map(|k| k.name().to_string())
                .collect(),
        };
        let mut out = Vec::new();
        // side draws (`[[draw]]`) follow the cascade's own outlets
        let draws = self.base.draws.iter().map(|d| d.name.clone());
        for s in streams.into_iter().chain(draws) {
            for m in ["purity", "recovery"] {
                for c in &self.base.components {
                    out.push(format!("{s}.{m}.{c}"));
                }
            }
        }
        if self.cost.is_some() {
            out.extend(["cost.capex", "cost.opex", "cost.total"].map(String::from));
            for c in &self.base.components {
                if crate::cost::oxide_molar_mass(c).is_some() {
                    out.push(format!("cost_per_kg.{c}"));
                }
            }
        }
        out
    }

    /// CSV header line.
    pub fn header(&self) -> String {
        let mut cols = vec!["case".to_string()];
        cols.extend(self.names.iter().cloned());
        cols.extend(["status", "iterations", "residual"].map(String::from));
        cols.extend(self.output_names());
        csv_row(&cols)
    }
}

/// One solved case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// 0-based case index.
    pub case: usize,
    /// `converged`, `max-iterations`, `diverged`, or `invalid` (the case's
    /// inputs do not make a valid model).
    pub status: String,
    /// Newton iterations.
    pub iterations: usize,
    /// Final relative residual.
    pub residual: f64,
    /// Output values in [`Sweep::output_names`] order (empty if invalid).
    pub outputs: Vec<f64>,
}

fn solve_case(
    sweep: &Sweep,
    i: usize,
    solver: &mut Solver,
    prev: &mut Option<Solution>,
    n_out: usize,
) -> CaseResult {
    match sweep.case_spec(i).build() {
        Err(_) => {
            *prev = None;
            CaseResult {
                case: i,
                status: "invalid".into(),
                iterations: 0,
                residual: f64::NAN,
                outputs: Vec::new(),
            }
        }
        Ok(c) => {
            let sol = match prev.as_ref() {
                Some(p) => solver.solve_from(&c, p),
                None => solver.solve(&c),
            };
            let mut outputs = Vec::with_capacity(n_out);
            let draws = sol.draws(&c).into_iter().map(|d| d.1);
            for s in sol.streams(&c).into_iter().chain(draws) {
                outputs.extend_from_slice(&s.purity);
                outputs.extend_from_slice(&s.recovery);
            }
            if let Some(p) = &sweep.cost {
                let r = sol
                    .converged()
                    .then(|| crate::cost::cost_cascade(&c, &sol, p).ok())
                    .flatten();
                outputs.extend(match &r {
                    Some(r) => [r.capex, r.opex, r.total],
                    None => [f64::NAN; 3],
                });
                for name in &sweep.base.components {
                    if crate::cost::oxide_molar_mass(name).is_some() {
                        outputs.push(
                            r.as_ref()
                                .and_then(|r| r.cost_per_kg(name))
                                .unwrap_or(f64::NAN),
                        );
                    }
                }
            }
            let r = CaseResult {
                case: i,
                status: sol.status.name().into(),
                iterations: sol.iterations,
                residual: sol.residual,
                outputs,
            };
            *prev = if sol.converged() { Some(sol) } else { None };
            r
        }
    }
}

/// Solves cases `range` (case indices) on the current rayon pool; calls
/// `tick` once per finished case. Results come back in case order.
pub fn run_cases(
    sweep: &Sweep,
    range: std::ops::Range<usize>,
    tick: &(dyn Fn() + Sync),
) -> Vec<CaseResult> {
    let n_out = sweep.output_names().len();
    let first_block = range.start / BLOCK;
    let last_block = range.end.div_ceil(BLOCK);
    let blocks: Vec<Vec<CaseResult>> = (first_block..last_block)
        .into_par_iter()
        .map(|b| {
            let mut solver = Solver::new();
            let mut prev = None;
            let mut out = Vec::new();
            let lo = b * BLOCK;
            let hi = ((b + 1) * BLOCK).min(range.end);
            for i in lo..hi {
                let r = solve_case(sweep, i, &mut solver, &mut prev, n_out);
                if i >= range.start {
                    out.push(r);
                    tick();
                }
            }
            out
        })
        .collect();
    blocks.into_iter().flatten().collect()
}

/// Case index range of shard `i` of `n` (1-based `i`): contiguous, sizes
/// differing by at most one.
pub fn shard_range(total: usize, i: usize, n: usize) -> std::ops::Range<usize> {
    let lo = total * (i - 1) / n;
    let hi = total * i / n;
    lo..hi
}

/// One CSV line for a case.
pub fn csv_line(sweep: &Sweep, r: &CaseResult) -> String {
    let mut cols = vec![(r.case + 1).to_string()];
    cols.extend(sweep.cases[r.case].iter().zip(&sweep.params).map(|(v, p)| {
        if p.is_integer() {
            format!("{}", *v as i64)
        } else {
            fmt_exact(*v)
        }
    }));
    cols.push(r.status.clone());
    cols.push(r.iterations.to_string());
    cols.push(if r.residual.is_nan() {
        String::new()
    } else {
        format!("{:.3e}", r.residual)
    });
    if r.outputs.is_empty() {
        cols.extend(vec![String::new(); sweep.output_names().len()]);
    } else {
        cols.extend(r.outputs.iter().map(|v| format!("{v:.12e}")));
    }
    csv_row(&cols)
}

/// One CSV record and its newline, quoted by the `csv` crate where a field
/// needs it (a component or stream name with a comma or a quote).
fn csv_row(cols: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(cols).expect("writing to memory");
    let bytes = w.into_inner().expect("writing to memory");
    String::from_utf8(bytes).expect("the fields are UTF-8")
}

/// Runs a sweep (or one shard of it) and writes the CSV; the header comes
/// only with `header`. Progress is counted in `done`.
pub fn write_csv(
    sweep: &Sweep,
    range: std::ops::Range<usize>,
    header: bool,
    out: &mut dyn Write,
    done: &AtomicUsize,
    tick: &(dyn Fn() + Sync),
) -> std::io::Result<Vec<CaseResult>> {
    let results = run_cases(sweep, range, &|| {
        done.fetch_add(1, Ordering::Relaxed);
        tick();
    });
    if header {
        out.write_all(sweep.header().as_bytes())?;
    }
    for r in &results {
        out.write_all(csv_line(sweep, r).as_bytes())?;
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::Status;

    #[test]
    fn csv_rows_quote_only_the_fields_that_need_it() {
        let cols = ["1", "Nd,Pr", "say \"hi\"", "2.5e-3"].map(String::from);
        assert_eq!(csv_row(&cols), "1,\"Nd,Pr\",\"say \"\"hi\"\"\",2.5e-3\n");
        assert_eq!(csv_row(&["a".to_string(), String::new()]), "a,\n");
    }

    #[test]
    fn the_sweep_csv_status_is_the_json_status() {
        // one name per status: the CSV column and the serialised JSON agree
        for s in [Status::Converged, Status::MaxIterations, Status::Diverged] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
        assert_eq!(Status::MaxIterations.name(), "max-iterations");
    }

    fn base() -> Cascade {
        CascadeSpec::separation_factor("t", &["Pr", "Nd"], &[1.0, 1.5])
            .with_stages(17, 20, 0)
            .with_feed_amounts(&[0.25, 0.75])
            .with_amounts(4.094, 3.343)
            .build()
            .unwrap()
    }

    fn raw(method: &str, params: Vec<RawParameter>) -> RawSweep {
        RawSweep {
            method: Some(method.into()),
            cases: (method == "lhs").then_some(50),
            seed: (method == "lhs").then_some(7),
            parameter: params,
        }
    }

    fn p(name: &str, min: f64, max: f64, steps: Option<usize>) -> RawParameter {
        RawParameter {
            name: name.into(),
            min: Some(min),
            max: Some(max),
            steps,
            values: None,
        }
    }

    #[test]
    fn grid_order_is_row_major() {
        let s = Sweep::new(
            &base(),
            &raw(
                "grid",
                vec![
                    p("cascade.scrub", 18.0, 20.0, Some(3)),
                    p("flows.extraction_amount", 4.0, 4.2, Some(2)),
                ],
            ),
        )
        .unwrap();
        assert_eq!(s.cases.len(), 6);
        assert_eq!(s.cases[0], vec![18.0, 4.0]);
        assert_eq!(s.cases[1], vec![18.0, 4.2]);
        assert_eq!(s.cases[5], vec![20.0, 4.2]);
    }

    #[test]
    fn latin_hypercube_stratifies_each_parameter() {
        let s = Sweep::new(
            &base(),
            &raw("lhs", vec![p("chemistry.beta.Nd", 1.4, 1.6, None)]),
        )
        .unwrap();
        let mut strata: Vec<usize> = s
            .cases
            .iter()
            .map(|c| ((c[0] - 1.4) / 0.2 * 50.0) as usize)
            .collect();
        strata.sort();
        assert_eq!(strata, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn bad_names_and_bounds() {
        for (name, lo, hi) in [
            ("flows.organic", 1.0, 2.0),
            ("chemistry.beta.Sm", 1.0, 2.0),
            ("cascade.stages", 1.0, 2.0),
            ("flows.extraction_amount", 5.0, 4.0),
        ] {
            let e = Sweep::new(&base(), &raw("grid", vec![p(name, lo, hi, Some(2))])).unwrap_err();
            assert!(e.key.starts_with("sweep.parameter[1]"), "{e}");
        }
    }

    #[test]
    fn a_shard_generates_its_own_cases_only() {
        // 200 LHS cases, 2 parameters; shard 4 of 7 is cases 85..114, and
        // its first block starts at 64: those rows match the whole sweep's,
        // every other row is left empty
        let mut r = raw(
            "lhs",
            vec![
                p("chemistry.beta.Nd", 1.4, 1.6, None),
                p("cascade.scrub", 10.0, 30.0, None),
            ],
        );
        r.cases = Some(200);
        let all = Sweep::new(&base(), &r).unwrap();
        let part = Sweep::new_shard(&base(), &r, 4, 7).unwrap();
        assert_eq!(shard_range(200, 4, 7), 85..114);
        assert_eq!(part.cases.len(), 200);
        for (i, (a, b)) in all.cases.iter().zip(&part.cases).enumerate() {
            if (64..114).contains(&i) {
                assert_eq!(a, b, "case {i}");
            } else {
                assert!(b.is_empty(), "case {i}");
            }
        }
        // a grid too
        let g = raw(
            "grid",
            vec![
                p("cascade.scrub", 10.0, 30.0, Some(21)),
                p("flows.extraction_amount", 4.0, 4.2, Some(5)),
            ],
        );
        let all = Sweep::new(&base(), &g).unwrap();
        let part = Sweep::new_shard(&base(), &g, 3, 3).unwrap();
        assert_eq!(all.cases[70..], part.cases[70..]);
        assert!(part.cases[..64].iter().all(|c| c.is_empty()));
        assert_eq!(part.cases[64], vec![22.0, 4.2]);
    }

    #[test]
    fn shards_partition_the_cases() {
        let ranges: Vec<_> = (1..=3).map(|i| shard_range(10, i, 3)).collect();
        assert_eq!(ranges, vec![0..3, 3..6, 6..10]);
    }
}
