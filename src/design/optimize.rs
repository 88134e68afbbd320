//! `sxforge optimize`: the cheapest stage counts and flows that meet purity
//! and recovery constraints.
//!
//! Integer stage counts are chosen exactly for given flows by walking the
//! feasibility staircase ([`super::min_stages`]; more stages never lower a
//! purity at fixed flows). Continuous flows are chosen by a deterministic
//! pattern (compass) search over their box, polling the axes and the
//! diagonals of every pair, halving the step when no poll improves; ties in
//! cost go to the larger constraint margin, so the search moves on plateaus
//! of the stepwise stage cost. Every candidate's solves are warm-started
//! from the incumbent's solution. Poll points are evaluated in parallel and
//! compared in a fixed order, so the answer does not depend on the thread
//! count. The flow search finds a local optimum of a non-smooth problem:
//! bounds that bracket the answer tightly help.

use rayon::prelude::*;
use serde::Serialize;

use super::sweep::FlowKey;
use super::{min_stages, Measure, Probe, StageSearch, StageVar, Target};
use crate::cascade::{Section, StreamKind};
use crate::error::InputError;
use crate::model::{Cascade, CascadeSpec};
use crate::solver::Solution;

pub use crate::model::tables::{
    RawConstraint, RawFlowBounds, RawOptimize, RawPrice, RawStageBounds,
};

/// A continuous decision variable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowVar {
    /// Which flow.
    pub key: FlowKey,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// A checked optimisation problem.
#[derive(Debug, Clone)]
pub struct OptimizeProblem {
    /// The model (its values are the start and the fixed settings).
    pub base: CascadeSpec,
    /// Constraints.
    pub targets: Vec<Target>,
    /// Integer variables (with their stage prices).
    pub stages: Vec<StageVar>,
    /// Continuous variables.
    pub flows: Vec<FlowVar>,
    /// Price per stage of each section `[extraction, scrub, strip]`.
    pub stage_price: [f64; 3],
    /// Price per unit of each flow, in [`FlowKey::ALL`] order.
    pub flow_price: [f64; 5],
    /// `cost` or `stages`.
    pub objective: String,
    /// Evaluation limit of the flow search.
    pub max_evaluations: usize,
    /// Cost parameters for `objective = "cost_per_kg:<component or
    /// A+B>"` (the model's `[cost]` table, else the defaults).
    pub cost: Option<crate::cost::CostParams>,
}

fn nonneg(key: &str, v: Option<f64>, default: f64) -> Result<f64, InputError> {
    match v {
        None => Ok(default),
        Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Some(x) => Err(InputError::new(
            key,
            Some(format!("{x}")),
            "expected a non-negative price",
        )),
    }
}

impl OptimizeProblem {
    /// Checks an `[optimize]` table against its model; error keys are
    /// dotted paths such as `optimize.cascade.scrub`.
    pub fn new(model: &Cascade, raw: &RawOptimize) -> Result<Self, InputError> {
        let base = model.to_spec();
        let objective = raw.objective.clone().unwrap_or_else(|| "cost".into());
        let per_kg = objective.strip_prefix("cost_per_kg:");
        if let Some(group) = per_kg {
            for c in group.split('+') {
                if !base.components.iter().any(|x| x == c.trim())
                    || crate::cost::oxide_molar_mass(c.trim()).is_none()
                {
                    return Err(InputError::new(
                        "optimize.objective",
                        Some(format!("\"{objective}\"")),
                        format!(
                            "`{c}` is not a rare-earth component of this model (components: {})",
                            base.components.join(", ")
                        ),
                    ));
                }
            }
        } else if objective != "cost" && objective != "stages" {
            return Err(InputError::new(
                "optimize.objective",
                Some(format!("\"{objective}\"")),
                "expected \"cost\", \"stages\" or \"cost_per_kg:<component>\" (e.g. \"cost_per_kg:Nd\", \"cost_per_kg:Pr+Nd\")",
            ));
        }
        let pr = raw.price.clone().unwrap_or_default();
        if objective == "stages" && raw.price.is_some() {
            return Err(InputError::new(
                "optimize.price",
                None,
                "prices belong to objective = \"cost\"; \"stages\" counts stages",
            ));
        }
        let stage = nonneg("optimize.price.stage", pr.stage, 1.0)?;
        let stage_price = [
            nonneg(
                "optimize.price.extraction_stage",
                pr.extraction_stage,
                stage,
            )?,
            nonneg("optimize.price.scrub_stage", pr.scrub_stage, stage)?,
            nonneg("optimize.price.strip_stage", pr.strip_stage, stage)?,
        ];
        let fp = pr.flows().values();
        let mut flow_price = [0.0; 5];
        for (i, k) in FlowKey::ALL.iter().enumerate() {
            let key = format!("optimize.price.{}", k.name());
            flow_price[i] = nonneg(&key, fp[i], 0.0)?;
            if fp[i].is_some() && k.get(&base).is_none() {
                return Err(InputError::new(
                    key,
                    None,
                    format!("this model has no flows.{}", k.name()),
                ));
            }
        }
        let sb = raw.cascade.clone().unwrap_or_default();
        let mut stages = Vec::new();
        let current = [base.extraction, base.scrub, base.strip];
        for (sec, b) in Section::ALL.iter().zip([sb.extraction, sb.scrub, sb.strip]) {
            let Some([lo, hi]) = b else { continue };
            let key = format!("optimize.cascade.{}", sec.name());
            let val = Some(format!("[{lo}, {hi}]"));
            if lo > hi {
                return Err(InputError::new(
                    key,
                    val,
                    "invalid bounds: expected [min, max] with min <= max",
                ));
            }
            if lo == 0 || current[sec.index()] == 0 {
                return Err(InputError::new(
                    key,
                    val,
                    "stage bounds need min >= 1 and a section the model has (its [cascade] count > 0)",
                ));
            }
            stages.push(StageVar {
                section: *sec,
                lo,
                hi,
                price: stage_price[sec.index()],
            });
        }
        let fb = raw.flows.unwrap_or_default();
        let mut flows = Vec::new();
        for (k, b) in FlowKey::ALL.iter().zip(fb.values()) {
            let Some([lo, hi]) = b else { continue };
            let key = format!("optimize.flows.{}", k.name());
            let val = Some(format!("[{lo}, {hi}]"));
            if k.get(&base).is_none() {
                return Err(InputError::new(
                    key,
                    val,
                    format!("this model has no flows.{} to vary", k.name()),
                ));
            }
            if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi) {
                return Err(InputError::new(
                    key,
                    val,
                    "invalid bounds: expected [min, max] with 0 < min <= max",
                ));
            }
            flows.push(FlowVar { key: *k, lo, hi });
        }
        if stages.is_empty() && flows.is_empty() {
            return Err(InputError::new(
                "optimize",
                None,
                "no decision variables: give stage bounds in [optimize.cascade] and/or flow bounds in [optimize.flows]",
            ));
        }
        if raw.constraint.is_empty() {
            return Err(InputError::new(
                "optimize.constraint",
                None,
                "missing: at least one [[optimize.constraint]] (stream, component, purity and/or recovery)",
            ));
        }
        let outlets: Vec<StreamKind> = model.layout().outlets().iter().map(|o| o.kind).collect();
        let mut targets = Vec::new();
        for (i, c) in raw.constraint.iter().enumerate() {
            let key = format!("optimize.constraint[{}]", i + 1);
            let stream = StreamKind::from_name(&c.stream)
                .filter(|s| outlets.contains(s))
                .ok_or_else(|| {
                    InputError::new(
                        format!("{key}.stream"),
                        Some(format!("\"{}\"", c.stream)),
                        format!(
                            "not a stream of this cascade (streams: {})",
                            outlets
                                .iter()
                                .map(|s| s.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            let mut comps = Vec::new();
            for name in c.component.split('+') {
                let k = base
                    .components
                    .iter()
                    .position(|x| x == name.trim())
                    .ok_or_else(|| {
                        InputError::new(
                            format!("{key}.component"),
                            Some(format!("\"{}\"", c.component)),
                            format!(
                                "not a component (components: {})",
                                base.components.join(", ")
                            ),
                        )
                    })?;
                comps.push(k);
            }
            if c.purity.is_none() && c.recovery.is_none() {
                return Err(InputError::new(
                    key,
                    None,
                    "missing: purity and/or recovery",
                ));
            }
            for (m, v) in [(Measure::Purity, c.purity), (Measure::Recovery, c.recovery)] {
                let Some(v) = v else { continue };
                if !(v > 0.0 && v < 1.0) {
                    return Err(InputError::new(
                        format!("{key}.{}", m.name()),
                        Some(format!("{v}")),
                        "expected a fraction strictly between 0 and 1 (1 needs infinitely many stages)",
                    ));
                }
                targets.push(Target {
                    stream,
                    components: comps.clone(),
                    label: c.component.clone(),
                    measure: m,
                    min: v,
                });
            }
        }
        let (stage_price, flow_price) = if objective == "stages" {
            ([1.0; 3], [0.0; 5])
        } else {
            (stage_price, flow_price)
        };
        for v in stages.iter_mut() {
            v.price = stage_price[v.section.index()];
        }
        Ok(OptimizeProblem {
            base,
            targets,
            stages,
            flows,
            stage_price,
            flow_price,
            cost: per_kg.map(|_| crate::cost::CostParams::default()),
            objective,
            max_evaluations: raw.max_evaluations.unwrap_or(400),
        })
    }

    fn spec_at(&self, x: &[f64]) -> CascadeSpec {
        let mut s = self.base.clone();
        for (v, &xi) in self.flows.iter().zip(x) {
            v.key.set(&mut s, xi);
        }
        s
    }

    /// Cost per kg of the objective's product(s) from a solution of `spec`
    /// (`objective = "cost_per_kg:..."`); infinite when it cannot be costed.
    pub fn cost_per_kg(&self, spec: &CascadeSpec, sol: Option<&Solution>) -> Option<f64> {
        let group = self.objective.strip_prefix("cost_per_kg:")?;
        let p = self.cost.clone().unwrap_or_default();
        let v = (|| {
            let c = spec.clone().build().ok()?;
            let r = crate::cost::cost_cascade(&c, sol?, &p).ok()?;
            r.cost_per_kg(group)
        })();
        Some(v.unwrap_or(f64::INFINITY))
    }

    /// Cost of a configuration: per-section stage costs and per-flow costs.
    pub fn breakdown(&self, spec: &CascadeSpec) -> CostBreakdown {
        let st = [spec.extraction, spec.scrub, spec.strip];
        let stages = Section::ALL
            .iter()
            .filter(|s| st[s.index()] > 0)
            .map(|s| {
                (
                    s.name().to_string(),
                    self.stage_price[s.index()] * st[s.index()] as f64,
                )
            })
            .collect();
        let flows = FlowKey::ALL
            .iter()
            .enumerate()
            .filter_map(|(i, k)| {
                let v = k.get(spec)?;
                (self.flow_price[i] > 0.0).then(|| (k.name().to_string(), self.flow_price[i] * v))
            })
            .collect();
        CostBreakdown { stages, flows }
    }

    fn evaluate(&self, x: &[f64], warm: Option<&Solution>) -> Eval {
        let spec = self.spec_at(x);
        let search = if spec.clone().build().is_err() {
            None
        } else {
            Some(min_stages(
                &spec,
                &self.targets,
                &self.stages,
                warm.cloned(),
            ))
        };
        let Some(search) = search else {
            return Eval {
                x: x.to_vec(),
                violation: f64::INFINITY,
                cost: f64::INFINITY,
                slack: f64::NEG_INFINITY,
                search: None,
            };
        };
        match &search.best {
            Some(p) => {
                let s = spec
                    .clone()
                    .with_stages(p.stages[0], p.stages[1], p.stages[2]);
                let cost = self
                    .cost_per_kg(&s, search.best_solution.as_ref())
                    .unwrap_or_else(|| self.breakdown(&s).total());
                Eval {
                    x: x.to_vec(),
                    violation: 0.0,
                    cost,
                    slack: p.slack(&self.targets),
                    search: Some(search),
                }
            }
            None => Eval {
                x: x.to_vec(),
                violation: search.most.violation(&self.targets),
                cost: f64::INFINITY,
                slack: search.most.slack(&self.targets),
                search: Some(search),
            },
        }
    }
}

/// Cost of a configuration by item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostBreakdown {
    /// Stage cost per section.
    pub stages: Vec<(String, f64)>,
    /// Reagent (flow) cost per flow.
    pub flows: Vec<(String, f64)>,
}

impl CostBreakdown {
    /// Sum of all items.
    pub fn total(&self) -> f64 {
        self.stages.iter().chain(&self.flows).map(|(_, v)| v).sum()
    }
}

#[derive(Debug, Clone)]
struct Eval {
    x: Vec<f64>,
    violation: f64,
    cost: f64,
    slack: f64,
    search: Option<StageSearch>,
}

impl Eval {
    /// Strictly better: less violation; then lower cost; then more margin.
    fn better_than(&self, o: &Eval) -> bool {
        let tol = 1e-12;
        if self.violation > 0.0 || o.violation > 0.0 {
            return self.violation < o.violation - tol * o.violation.abs().min(1.0)
                || (self.violation == o.violation && self.slack > o.slack);
        }
        if self.cost < o.cost - tol * o.cost.abs().max(1.0) {
            return true;
        }
        (self.cost - o.cost).abs() <= tol * o.cost.abs().max(1.0) && self.slack > o.slack + 1e-15
    }
}

/// One constraint at the optimum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstraintReport {
    /// `stream.measure.component`.
    pub name: String,
    /// Lower bound.
    pub bound: f64,
    /// Achieved value.
    pub value: f64,
    /// Active: removing one stage from a section (listed in `binding`)
    /// breaks it, or its margin is below 1e-6.
    pub active: bool,
    /// Sections whose loss of one stage breaks this constraint.
    pub binding: Vec<String>,
}

/// Outcome of an optimisation.
#[derive(Debug, Clone)]
pub struct Optimum {
    /// Every constraint met.
    pub feasible: bool,
    /// The model at the optimum (or, if infeasible, at the least violation
    /// with the most stages allowed).
    pub spec: CascadeSpec,
    /// Constraint values, bounds and activity.
    pub constraints: Vec<ConstraintReport>,
    /// Cost by item.
    pub breakdown: CostBreakdown,
    /// Flow evaluations.
    pub evaluations: usize,
    /// Cascade solves.
    pub solves: usize,
}

/// Solves an optimisation problem.
pub fn optimize(p: &OptimizeProblem) -> Optimum {
    let x0: Vec<f64> = p
        .flows
        .iter()
        .map(|v| v.key.get(&p.base).expect("checked").clamp(v.lo, v.hi))
        .collect();
    let mut step: Vec<f64> = p.flows.iter().map(|v| 0.25 * (v.hi - v.lo)).collect();
    let min_step: Vec<f64> = p
        .flows
        .iter()
        .map(|v| 1e-4 * (v.hi - v.lo).max(1e-12))
        .collect();
    let mut cur = p.evaluate(&x0, None);
    let mut evaluations = 1;
    let mut solves = cur.search.as_ref().map_or(0, |s| s.solves);
    let nf = p.flows.len();
    while nf > 0
        && evaluations < p.max_evaluations
        && step.iter().zip(&min_step).any(|(s, m)| s > m)
    {
        // poll directions: axes, then both diagonals of every pair
        let mut dirs: Vec<Vec<f64>> = Vec::new();
        for i in 0..nf {
            for sg in [1.0, -1.0] {
                let mut d = vec![0.0; nf];
                d[i] = sg * step[i];
                dirs.push(d);
            }
        }
        for i in 0..nf {
            for j in i + 1..nf {
                for (si, sj) in [(1.0, 1.0), (-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0)] {
                    let mut d = vec![0.0; nf];
                    d[i] = si * step[i];
                    d[j] = sj * step[j];
                    dirs.push(d);
                }
            }
        }
        let pts: Vec<Vec<f64>> = dirs
            .iter()
            .map(|d| {
                cur.x
                    .iter()
                    .zip(d)
                    .zip(&p.flows)
                    .map(|((x, d), v)| (x + d).clamp(v.lo, v.hi))
                    .collect::<Vec<f64>>()
            })
            .filter(|x| x != &cur.x)
            .collect();
        let warm = cur.search.as_ref().and_then(|s| s.best_solution.clone());
        let evals: Vec<Eval> = pts
            .par_iter()
            .map(|x| p.evaluate(x, warm.as_ref()))
            .collect();
        evaluations += evals.len();
        solves += evals
            .iter()
            .map(|e| e.search.as_ref().map_or(0, |s| s.solves))
            .sum::<usize>();
        let mut best: Option<Eval> = None;
        for e in evals {
            if e.better_than(best.as_ref().unwrap_or(&cur)) {
                best = Some(e);
            }
        }
        match best {
            Some(b) => cur = b,
            None => step.iter_mut().for_each(|s| *s *= 0.5),
        }
    }
    finish(p, cur, evaluations, solves)
}

fn finish(p: &OptimizeProblem, cur: Eval, evaluations: usize, mut solves: usize) -> Optimum {
    let spec0 = p.spec_at(&cur.x);
    let search = cur.search.clone();
    let warm_best = search.as_ref().and_then(|s| s.best_solution.clone());
    let (feasible, probe, warm) = match &search {
        Some(s) => match &s.best {
            Some(b) => (true, b.clone(), s.best_solution.clone()),
            None => (false, s.most.clone(), None),
        },
        None => (
            false,
            Probe {
                stages: [spec0.extraction, spec0.scrub, spec0.strip],
                values: vec![f64::NAN; p.targets.len()],
                feasible: false,
                status: None,
            },
            None,
        ),
    };
    let spec = spec0.with_stages(probe.stages[0], probe.stages[1], probe.stages[2]);
    let mut binding: Vec<Vec<String>> = vec![Vec::new(); p.targets.len()];
    if feasible {
        let mut pr = super::Prober::new(spec.clone(), &p.targets, warm);
        for v in &p.stages {
            let i = v.section.index();
            if probe.stages[i] <= v.lo {
                continue;
            }
            let mut st = probe.stages;
            st[i] -= 1;
            let (q, _) = pr.probe(st);
            for (t, (b, val)) in p.targets.iter().zip(binding.iter_mut().zip(&q.values)) {
                if q.status != Some(crate::solver::Status::Converged) || *val < t.min {
                    b.push(v.section.name().to_string());
                }
            }
        }
        solves += pr.solves;
    }
    let constraints = p
        .targets
        .iter()
        .zip(&probe.values)
        .zip(binding)
        .map(|((t, v), b)| ConstraintReport {
            name: t.describe(),
            bound: t.min,
            value: *v,
            active: !b.is_empty() || (v - t.min).abs() < 1e-6,
            binding: b,
        })
        .collect();
    let breakdown = match p.cost_per_kg(&spec, warm_best.as_ref()) {
        Some(v) => CostBreakdown {
            stages: Vec::new(),
            flows: vec![(p.objective.clone(), v)],
        },
        None => p.breakdown(&spec),
    };
    Optimum {
        feasible,
        breakdown,
        spec,
        constraints,
        evaluations,
        solves,
    }
}
