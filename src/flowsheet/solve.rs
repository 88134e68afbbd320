//! Solving a flowsheet: units in the order of their feeds, each by the
//! single-cascade solver, recycles torn and converged by an accelerated
//! fixed point ([`super::accel`]: Anderson mixing by default).

use std::collections::BTreeMap;

use super::{node_of, producer};
use super::{Flowsheet, Port, StreamValue};
use crate::cascade::Phase;
use crate::error::InputError;
use crate::model::{Cascade, StageFlows};
use crate::solver::{Solution, Solver};

/// Order of the nodes and the torn recycle inlets.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Nodes (units `0..nu`, then splits) in solving order.
    pub order: Vec<usize>,
    /// Unit inlets fed by a stream made downstream: `(unit, port)`.
    pub tears: Vec<(usize, Port)>,
}

/// Edges of the stream graph: `(producer node, consumer node, port (None
/// for a split's input), stream)`.
pub(crate) fn edges(fs: &Flowsheet) -> Vec<(usize, usize, Option<Port>, String)> {
    let mut out = Vec::new();
    for (i, u) in fs.units.iter().enumerate() {
        for (port, s) in &u.inputs {
            if let Some(p) = producer(fs, s).and_then(|p| node_of(fs, p)) {
                out.push((p, i, Some(*port), s.clone()));
            }
        }
    }
    for (i, sp) in fs.splits.iter().enumerate() {
        if let Some(p) = producer(fs, &sp.from).and_then(|p| node_of(fs, p)) {
            out.push((p, fs.units.len() + i, None, sp.from.clone()));
        }
    }
    out
}

/// Names of the streams node `v` makes.
pub(crate) fn node_outputs(fs: &Flowsheet, v: usize) -> Vec<String> {
    if v < fs.units.len() {
        let u = &fs.units[v];
        u.outlet_streams()
            .iter()
            .map(|o| format!("{}.{}", u.name, o.0))
            .collect()
    } else {
        let s = &fs.splits[v - fs.units.len()];
        s.fractions
            .iter()
            .map(|(k, _)| format!("{}.{k}", s.name))
            .collect()
    }
}

/// Solving order: feeds and split inputs must come from upstream (they may
/// not form a cycle); an `organic_in`/`scrub_in`/`strip_in` made downstream
/// is a recycle, torn.
pub fn plan(fs: &Flowsheet) -> Result<Plan, (usize, Port, String)> {
    let n = fs.units.len() + fs.splits.len();
    let e = edges(fs);
    let forward = |x: &(usize, usize, Option<Port>, String)| matches!(x.2, None | Some(Port::Feed));
    // all edges count; when only recycle inlets are left in a cycle, the
    // first node whose feeds are all solved goes next and its recycle
    // inlets are torn
    let mut indeg = vec![0usize; n];
    let mut indeg_fwd = vec![0usize; n];
    for x in &e {
        indeg[x.1] += 1;
        if forward(x) {
            indeg_fwd[x.1] += 1;
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while order.len() < n {
        let next = (0..n)
            .find(|&v| !done[v] && indeg[v] == 0)
            .or_else(|| (0..n).find(|&v| !done[v] && indeg_fwd[v] == 0));
        let Some(v) = next else {
            let i = (0..fs.units.len()).find(|&v| !done[v]).unwrap_or(0);
            return Err((
                i,
                Port::Feed,
                "feeds form a cycle: a unit's feed depends on its own outlets (recycle through organic_in, scrub_in or strip_in instead)".into(),
            ));
        };
        done[v] = true;
        order.push(v);
        for x in e.iter().filter(|x| x.0 == v) {
            indeg[x.1] -= 1;
            if forward(x) {
                indeg_fwd[x.1] -= 1;
            }
        }
    }
    let pos: Vec<usize> = {
        let mut p = vec![0; n];
        for (i, &v) in order.iter().enumerate() {
            p[v] = i;
        }
        p
    };
    let mut tears = Vec::new();
    for x in &e {
        if let Some(port) = x.2 {
            if port != Port::Feed && pos[x.0] >= pos[x.1] {
                let u = &fs.units[x.1];
                let given = match port {
                    Port::Organic => u.spec.flows.organic,
                    Port::Scrub => u.spec.flows.scrub,
                    _ => u.spec.flows.strip,
                };
                if given.is_none() {
                    return Err((
                        x.1,
                        port,
                        format!(
                            "this recycle starts from the unit's own flows.{}: give it (L/h)",
                            port.name()
                        ),
                    ));
                }
                tears.push((x.1, port));
            }
        }
    }
    Ok(Plan { order, tears })
}

/// One solved unit.
#[derive(Debug, Clone)]
pub struct UnitResult {
    /// The cascade as solved (feed and inlets filled in).
    pub cascade: Cascade,
    /// Its steady state.
    pub solution: Solution,
    /// The streams that entered it: port, stream name, value.
    pub inlets: Vec<(Port, String, StreamValue)>,
}

/// A solved (or failed) flowsheet.
#[derive(Debug, Clone)]
pub struct FlowsheetResult {
    /// Whether every unit and the recycle iteration converged.
    pub converged: bool,
    /// Outer (recycle) iterations.
    pub iterations: usize,
    /// Largest relative change of a torn stream in the last iteration
    /// (0 without recycles), or the failing unit's residual.
    pub residual: f64,
    /// Torn streams (recycles).
    pub tears: Vec<String>,
    /// Units, in file order (`None` if the solve stopped before them).
    pub units: Vec<Option<UnitResult>>,
    /// Every stream's value.
    pub streams: BTreeMap<String, StreamValue>,
    /// Products: streams no inlet consumes, in the order made.
    pub products: Vec<String>,
    /// External inflow of each component: the streams and the fixed inlet
    /// compositions of the units.
    pub inflow: Vec<f64>,
    /// Why it failed, when it did.
    pub message: Option<String>,
    /// The unit whose solve did not converge and stopped the flowsheet
    /// (index into `units`), when that is what failed.
    pub failed_unit: Option<usize>,
    /// The torn stream whose relative change was the largest in the last
    /// recycle iteration that compared them (`None` without recycles, or
    /// when a unit failed before any did).
    pub worst_tear: Option<String>,
}

/// Solves a flowsheet. Input errors that show only on the solved streams
/// (an infeasible flow split of a unit fed by another) are errors;
/// non-convergence is `converged = false`.
pub fn solve(fs: &Flowsheet) -> Result<FlowsheetResult, InputError> {
    let plan = plan(fs).map_err(|(i, port, msg)| {
        InputError::new(
            format!("unit.{}.{}", fs.units[i].name, port.key()),
            None,
            msg,
        )
    })?;
    let k = fs.components.len();
    let mut streams: BTreeMap<String, StreamValue> = BTreeMap::new();
    for s in &fs.streams {
        streams.insert(s.name.clone(), s.value.clone());
    }
    // torn streams: name, consumer, port; start metal-free at the
    // consumer's own flow
    let tear_names: Vec<String> = plan
        .tears
        .iter()
        .map(|&(u, port)| {
            fs.units[u]
                .inputs
                .iter()
                .find(|x| x.0 == port)
                .map(|x| x.1.clone())
                .unwrap_or_default()
        })
        .collect();
    let mut x: Vec<StreamValue> = plan
        .tears
        .iter()
        .map(|&(u, port)| {
            let f = &fs.units[u].spec.flows;
            let flow = match port {
                Port::Organic => f.organic,
                Port::Scrub => f.scrub,
                _ => f.strip,
            };
            StreamValue {
                phase: if port == Port::Organic {
                    Phase::Organic
                } else {
                    Phase::Aqueous
                },
                amount: vec![0.0; k],
                flow,
                acid: None,
                sulfate: None,
            }
        })
        .collect();
    let mut solvers: Vec<Solver> = (0..fs.units.len()).map(|_| Solver::new()).collect();
    let mut results: Vec<Option<UnitResult>> = vec![None; fs.units.len()];
    let mut mixer: Option<super::accel::Mixer> = None;
    let mut residual = 0.0;
    let mut iterations = 0;
    let mut converged = false;
    let mut message = None;
    let mut failed_unit = None;
    let mut worst_tear = None;
    let total_in: f64 = fs.streams.iter().map(|s| s.value.total()).sum();
    'outer: for it in 1..=fs.max_iterations {
        iterations = it;
        for (t, name) in tear_names.iter().enumerate() {
            streams.insert(name.clone(), x[t].clone());
        }
        for &v in &plan.order {
            if v >= fs.units.len() {
                let sp = &fs.splits[v - fs.units.len()];
                let from = streams[&sp.from].clone();
                for (key, f) in &sp.fractions {
                    streams.insert(format!("{}.{key}", sp.name), from.scaled(*f));
                }
                continue;
            }
            let u = &fs.units[v];
            let inlets: Vec<(Port, String, StreamValue)> = u
                .inputs
                .iter()
                .map(|(p, s)| (*p, s.clone(), streams[s].clone()))
                .collect();
            let cascade = build_unit(fs, v, &inlets)?;
            let sol = match &results[v] {
                Some(r) if r.cascade.n_stages() == cascade.n_stages() => {
                    solvers[v].solve_from(&cascade, &r.solution)
                }
                _ => solvers[v].solve(&cascade),
            };
            let ok = sol.converged();
            for (name, value) in outlets(&cascade, &sol) {
                streams.insert(format!("{}.{name}", u.name), value);
            }
            if !ok {
                message = Some(format!(
                    "unit `{}`: the solve {} (relative residual {:.3e} at stage {}, {})",
                    u.name,
                    sol.status.describe(),
                    sol.residual,
                    sol.worst.0 + 1,
                    sol.worst_quantity(&cascade)
                ));
                residual = sol.residual;
                failed_unit = Some(v);
                results[v] = Some(UnitResult {
                    cascade,
                    solution: sol,
                    inlets,
                });
                break 'outer;
            }
            results[v] = Some(UnitResult {
                cascade,
                solution: sol,
                inlets,
            });
        }
        if tear_names.is_empty() {
            converged = true;
            residual = 0.0;
            break;
        }
        // new values of the torn streams
        let g: Vec<StreamValue> = tear_names.iter().map(|n| streams[n].clone()).collect();
        residual = 0.0;
        let mut worst = None;
        for (t, (xt, gt)) in x.iter().zip(&g).enumerate() {
            let scale = gt.total().max(xt.total()).max(1e-300);
            let mut change = 0.0;
            let mut seen = |d: f64| {
                // a change that cannot be measured (NaN) is not a small one
                change = if d.is_nan() {
                    f64::INFINITY
                } else {
                    f64::max(change, d)
                };
            };
            for (a, b) in xt.amount.iter().zip(&gt.amount) {
                seen((a - b).abs() / scale);
            }
            if let (Some(a), Some(b)) = (xt.flow, gt.flow) {
                seen((a - b).abs() / b.abs().max(1e-300));
            }
            if worst.is_none() || change > residual {
                worst = Some(t);
            }
            residual = f64::max(residual, change);
        }
        worst_tear = worst.map(|t| tear_names[t].clone());
        if residual <= fs.tolerance {
            converged = true;
            break;
        }
        let grown = g.iter().map(|s| s.total()).fold(0.0, f64::max);
        if !grown.is_finite() || (total_in > 0.0 && grown > 1e9 * total_in) {
            message = Some(format!(
                "the recycle through `{}` grows without bound: a component has no exit from the cycle",
                tear_names.join("`, `")
            ));
            break;
        }
        // the accelerator's step on every amount and flow of the torn streams
        let xv: Vec<f64> = x.iter().flat_map(flat).collect();
        let gv: Vec<f64> = g.iter().flat_map(flat).collect();
        let mixer = mixer.get_or_insert_with(|| {
            // scales: each amount against its stream's total, the flow
            // against itself
            let floor = (1e-9 * total_in).max(1e-300);
            let scale: Vec<f64> = x
                .iter()
                .zip(&g)
                .flat_map(|(xt, gt)| {
                    let t = gt.total().max(xt.total()).max(floor);
                    let mut v = vec![t; xt.amount.len()];
                    if let Some(f) = gt.flow.or(xt.flow) {
                        v.push(f.abs().max(1e-300));
                    }
                    v
                })
                .collect();
            super::accel::Mixer::new(fs.accelerator, &scale)
        });
        let next = mixer.next(&xv, &gv);
        let mut at = 0;
        for (t, gt) in g.iter().enumerate() {
            let len = flat(gt).len();
            x[t] = unflat(gt, &next[at..at + len]);
            at += len;
        }
    }
    if !converged && message.is_none() {
        message = Some(format!(
            "the recycle iteration did not converge in {iterations} iterations (largest relative \
             change {residual:.3e}, of the recycle `{}`)",
            worst_tear.as_deref().unwrap_or("?")
        ));
    }
    // products: streams no inlet or split consumes
    let mut consumed: Vec<&str> = fs
        .units
        .iter()
        .flat_map(|u| u.inputs.iter().map(|x| x.1.as_str()))
        .collect();
    consumed.extend(fs.splits.iter().map(|s| s.from.as_str()));
    let mut products = Vec::new();
    for &v in &plan.order {
        for out in node_outputs(fs, v) {
            if !consumed.contains(&out.as_str()) && streams.contains_key(&out) {
                products.push(out);
            }
        }
    }
    let mut inflow = vec![0.0; k];
    for s in &fs.streams {
        for (a, b) in inflow.iter_mut().zip(&s.value.amount) {
            *a += b;
        }
    }
    for (u, r) in fs.units.iter().zip(&results) {
        let Some(r) = r else { continue };
        for inlet in crate::model::Inlet::ALL {
            let by_stream = u.inputs.iter().any(|(p, _)| p.inlet() == Some(inlet));
            if !by_stream {
                for (a, b) in inflow.iter_mut().zip(r.cascade.inlet_amount(inlet)) {
                    *a += b;
                }
            }
        }
    }
    Ok(FlowsheetResult {
        converged,
        iterations,
        residual,
        tears: tear_names,
        units: results,
        streams,
        products,
        inflow,
        message,
        failed_unit,
        worst_tear,
    })
}

fn flat(s: &StreamValue) -> Vec<f64> {
    let mut v = s.amount.clone();
    if let Some(f) = s.flow {
        v.push(f);
    }
    v
}

fn unflat(like: &StreamValue, v: &[f64]) -> StreamValue {
    let k = like.amount.len();
    StreamValue {
        phase: like.phase,
        amount: v[..k].to_vec(),
        flow: like.flow.map(|_| v[k].max(1e-300)),
        acid: like.acid,
        sulfate: like.sulfate,
    }
}

/// The unit's cascade with its inlets filled in from `inlets`.
pub fn build_unit(
    fs: &Flowsheet,
    v: usize,
    inlets: &[(Port, String, StreamValue)],
) -> Result<Cascade, InputError> {
    let u = &fs.units[v];
    let mut spec = u.spec.clone();
    let label = format!("unit.{}.", u.name);
    for (port, name, s) in inlets {
        match port {
            Port::Feed => {
                spec.feed_phase = s.phase;
                if u.is_volumetric() {
                    let flow = s.flow.ok_or_else(|| {
                        InputError::new(
                            format!("{label}feed"),
                            Some(format!("\"{name}\"")),
                            "the stream has no volumetric flow",
                        )
                    })?;
                    spec.feed.flow = Some(flow);
                    spec.feed.concentration = s.concentration();
                    spec.feed.amount = None;
                    let (acid, sulfate) = (s.acid.unwrap_or(0.0), s.sulfate.unwrap_or(0.0));
                    spec.chemistry.set_feed_acidity(acid, sulfate);
                } else {
                    spec.feed.amount = Some(s.amount.clone());
                    let f = s.total();
                    if let Some(r) = u.extraction_ratio {
                        spec.flows.extraction_amount = Some(r * f);
                    }
                    if let Some(r) = u.scrub_ratio {
                        spec.flows.scrub_amount = Some(r * f);
                    }
                }
            }
            _ => {
                let inlet = port.inlet().expect("non-feed port");
                spec.set_inlet(inlet, s.concentration());
                match port {
                    Port::Organic => spec.flows.organic = s.flow,
                    Port::Scrub => spec.flows.scrub = s.flow,
                    _ => spec.flows.strip = s.flow,
                }
            }
        }
    }
    spec.build().map_err(|e| InputError {
        key: format!("{label}{}", e.key),
        message: format!("{} (on the solved inlets of unit `{}`)", e.message, u.name),
        ..e
    })
}

/// The outlet streams of a solved unit, by outlet name: the layout's
/// outlets, then the side draws.
pub fn outlets(c: &Cascade, sol: &Solution) -> Vec<(String, StreamValue)> {
    let sulfate = crate::solver::rigorous::sulfate_profile(c);
    let regular = sol.streams(c).into_iter().map(|s| {
        (
            s.kind.name().to_string(),
            c.pass_fraction(s.phase, s.stage),
            s,
        )
    });
    let shares = c.pass().map(|p| p.share.clone()).unwrap_or_default();
    let draws = sol
        .draws(c)
        .into_iter()
        .zip(shares)
        .map(|((name, s), share)| (name, share, s));
    regular
        .chain(draws)
        .map(|(name, share, s)| {
            // the stream takes `share` of its stage's phase volume
            let flow = match c.flows() {
                StageFlows::Volumes { aqueous, organic } => Some(
                    share
                        * match s.phase {
                            Phase::Aqueous => aqueous[s.stage],
                            Phase::Organic => organic[s.stage],
                        },
                ),
                StageFlows::Amounts { .. } => None,
            };
            let (mut acid, mut sul) = (None, None);
            if s.phase == Phase::Aqueous {
                if let Some(h) = sol.acidity.as_ref().map(|a| a[s.stage]) {
                    let so4 = sulfate[s.stage];
                    acid = Some(match c.spec().chemistry.model().bisulfate_ka2() {
                        Some(ka) => h + so4 * h / (h + ka),
                        None => h,
                    });
                    sul = Some(so4);
                }
            }
            (
                name,
                StreamValue {
                    phase: s.phase,
                    amount: s.amount,
                    flow,
                    acid,
                    sulfate: sul,
                },
            )
        })
        .collect()
}
