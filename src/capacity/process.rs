//! Plan refineries priced from a simulated, costed process: the planner's
//! side of [`crate::cost::derive_refinery`] (the cost layer knows nothing
//! of plans; the plan path depends on it, not the reverse).

use std::path::Path;

use crate::cost::{derive_refinery, DerivedRefinery};

/// Derives every `[[refinery]]` that names a `process` (path relative to
/// `dir`, the plan file's folder) and writes its capex (times the plan's
/// `capex_factor`, annualised at the plan's rate and the refinery's
/// lifetime), opex and per-element recovery into `plan`. The process is
/// costed at the refinery's `max_new` when it may build, else at its
/// `existing` size (else at the process's own `[cost] throughput`).
/// Elements the process does not separate take the refinery's `recovery`.
pub(crate) fn apply_processes(
    raw: &super::schema::RawPlan,
    plan: &mut super::Plan,
    dir: &Path,
) -> Result<(), Vec<super::validate::PlanIssue>> {
    use super::validate::PlanIssue;
    use crate::input::locate::KeyPath;
    let mut problems = Vec::new();
    for (i, r) in raw.refinery.iter().enumerate() {
        let Some(proc_name) = &r.process else {
            continue;
        };
        let key = KeyPath::root().key("refinery").index(i);
        let rf = &mut plan.refineries[i];
        let size = if rf.max_new > 0.0 {
            rf.max_new
        } else {
            rf.existing
        };
        let d = match derive_refinery(&dir.join(proc_name), proc_name, size) {
            Ok(d) => d,
            Err(e) => {
                problems.push(PlanIssue {
                    path: key.key("process"),
                    value: format!("\"{proc_name}\""),
                    expected: format!("a costed process model that solves ({e})"),
                });
                continue;
            }
        };
        let mut rec = Vec::new();
        for el in &plan.elements {
            match (d.recovery_of(el), r.recovery) {
                (Some(x), _) => rec.push(x),
                (None, Some(x)) => rec.push(x),
                (None, None) => {
                    problems.push(PlanIssue {
                        path: key.key("recovery"),
                        value: "(missing)".into(),
                        expected: format!(
                            "a recovery for the elements that process \"{proc_name}\" does not separate ({el} is not among its products)"
                        ),
                    });
                    rec.push(0.0);
                }
            }
        }
        rf.capex = d.capex_per_tpy * plan.policy.capex_factor;
        rf.annualised_capex = rf.capex * super::crf(plan.policy.discount_rate, rf.lifetime);
        rf.opex = d.opex_per_t;
        rf.recovery = rec.iter().copied().fold(0.0, f64::max);
        rf.element_recovery = Some(rec);
        rf.process = Some(d);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The `process` entry of a refinery in the plan's JSON: the process file,
/// the throughput it was costed at, and the numbers the plan used.
pub(crate) fn process_json(
    d: &DerivedRefinery,
    rf: &super::Refinery,
    elements: &[String],
) -> serde_json::Value {
    let rec: serde_json::Map<String, serde_json::Value> = elements
        .iter()
        .enumerate()
        .map(|(e, el)| (el.clone(), serde_json::json!(rf.recovery_of(e))))
        .collect();
    let cpk: serde_json::Map<String, serde_json::Value> = d
        .cost_per_kg
        .iter()
        .map(|(c, v)| (c.clone(), serde_json::json!(v)))
        .collect();
    serde_json::json!({
        "file": d.process,
        "kind": d.kind,
        "units": d.units,
        "stages": d.stages,
        "throughput": d.throughput,
        "capex_per_tpy": d.capex_per_tpy,
        "capex_used": rf.capex,
        "opex_per_t": d.opex_per_t,
        "recovery": rec,
        "cost_per_kg": cpk,
    })
}
