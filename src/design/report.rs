//! Reports of `sxforge design` and `sxforge optimize`: JSON and text
//! renderings of a [`Design`] and of an [`Optimum`], used by the binary and
//! the Python package alike.

use serde_json::{json, Map, Value};

use super::optimize::{OptimizeProblem, Optimum};
use super::verified::Design;

fn values_json(d: &Design, values: &[f64]) -> Value {
    let mut m = Map::new();
    for (t, v) in d.targets.iter().zip(values) {
        m.insert(t.describe(), json!(v));
    }
    Value::Object(m)
}

/// JSON report of a design.
pub fn design_json(d: &Design) -> Value {
    let sc = &d.shortcut;
    let f = d.feed_total;
    let verified = match &d.verified {
        Some(p) => json!({
            "feasible": true,
            "extraction": p.stages[0],
            "scrub": p.stages[1],
            "total_stages": p.stages[0] + p.stages[1],
            "extraction_amount": sc.s * f,
            "scrub_amount": sc.w * f,
            "values": values_json(d, &p.values),
        }),
        None => json!({
            "feasible": false,
            "nearest": {
                "extraction": d.most.stages[0],
                "scrub": d.most.stages[1],
                "converged": most_converged(d),
                "values": values_json(d, &d.most.values),
            }
        }),
    };
    let names =
        |g: &[usize]| -> Vec<String> { g.iter().map(|&i| d.input.components[i].clone()).collect() };
    json!({
        "name": d.input.name,
        "components": d.input.components,
        "split": {"raffinate": names(&d.light), "loaded_organic": names(&d.heavy)},
        "beta": d.beta,
        "feed_phase": sc.feed_phase.name(),
        "targets": d.targets.iter().map(|t| (t.describe(), json!(t.min))).collect::<Map<_, _>>(),
        "shortcut": {
            "product_split": sc.product_split,
            "p_a": sc.p_a,
            "p_b": sc.p_b,
            "e_m": sc.e_m,
            "e_m_scrub": sc.e_m_scrub,
            "extraction_amount": sc.s * f,
            "scrub_amount": sc.w * f,
            "a": sc.a,
            "b": sc.b,
            "n": sc.extraction,
            "m": sc.scrub,
            "extraction": sc.extraction_stages(),
            "scrub": sc.scrub_stages(),
            "total_stages": sc.extraction_stages() + sc.scrub_stages(),
            "min_extraction_amount": sc.min_reflux.map(|r| r.0 * f),
            "min_scrub_amount": sc.min_reflux.map(|r| r.1 * f),
            "min_total_stages": sc.min_total_stages,
            "converged": d.shortcut_probe.status == Some(crate::solver::Status::Converged),
            "values": values_json(d, &d.shortcut_probe.values),
        },
        "verified": verified,
        "solves": d.solves,
    })
}

/// Text report of a design: shortcut and verified design side by side.
pub fn design_text(d: &Design) -> String {
    use std::fmt::Write as _;
    let sc = &d.shortcut;
    let f = d.feed_total;
    let names = |g: &[usize]| {
        g.iter()
            .map(|&i| d.input.components[i].as_str())
            .collect::<Vec<_>>()
            .join("+")
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Design: {} (raffinate) | {} (loaded organic), beta = {}, {} feed, F = {}",
        names(&d.light),
        names(&d.heavy),
        d.beta,
        sc.feed_phase.name(),
        f
    );
    let _ = writeln!(
        s,
        "Xu's shortcut: f'_A = {:.6}, E_M = {:.6}, E'_M = {:.6}, n = {:.3}, m = {:.3}",
        sc.product_split, sc.e_m, sc.e_m_scrub, sc.extraction, sc.scrub
    );
    if let Some((smin, wmin)) = sc.min_reflux {
        let _ = writeln!(
            s,
            "Minimum reflux (sharp split): S_min = {:.6}, W_min = {:.6}",
            smin * f,
            wmin * f
        );
    }
    let _ = writeln!(
        s,
        "Minimum total stages at total reflux (Fenske): {:.2}\n",
        sc.min_total_stages
    );
    let w = d
        .targets
        .iter()
        .map(|t| t.describe().len())
        .max()
        .unwrap_or(0)
        .max(26);
    let _ = writeln!(s, "{:<w$}  {:>16}  {:>16}", "", "shortcut (Xu)", "verified");
    let (ve, vs, vv) = match &d.verified {
        Some(p) => (
            p.stages[0].to_string(),
            p.stages[1].to_string(),
            p.values.clone(),
        ),
        None => ("-".into(), "-".into(), vec![f64::NAN; d.targets.len()]),
    };
    let rows = [
        (
            "extraction stages",
            sc.extraction_stages().to_string(),
            ve.clone(),
        ),
        ("scrub stages", sc.scrub_stages().to_string(), vs.clone()),
        (
            "total stages",
            (sc.extraction_stages() + sc.scrub_stages()).to_string(),
            match &d.verified {
                Some(p) => (p.stages[0] + p.stages[1]).to_string(),
                None => "-".into(),
            },
        ),
        (
            "S (extraction_amount)",
            format!("{:.6}", sc.s * f),
            format!("{:.6}", sc.s * f),
        ),
        (
            "W (scrub_amount)",
            format!("{:.6}", sc.w * f),
            format!("{:.6}", sc.w * f),
        ),
    ];
    for (a, b, c) in rows {
        let _ = writeln!(s, "{a:<w$}  {b:>16}  {c:>16}");
    }
    let cell = |v: f64| {
        if v.is_finite() {
            format!("{v:.8}")
        } else {
            "-".to_string()
        }
    };
    for (i, t) in d.targets.iter().enumerate() {
        let _ = writeln!(
            s,
            "{:<w$}  {:>16}  {:>16}   (target {})",
            t.describe(),
            cell(d.shortcut_probe.values[i]),
            cell(vv[i]),
            t.min
        );
    }
    if d.verified.is_none() {
        if most_converged(d) {
            let _ = writeln!(
                s,
                "\nInfeasible within {} + {} stages; nearest achievable there:",
                d.most.stages[0], d.most.stages[1]
            );
            for (t, v) in d.targets.iter().zip(&d.most.values) {
                let _ = writeln!(s, "  {} = {:.8} (target {})", t.describe(), v, t.min);
            }
        } else {
            let _ = writeln!(
                s,
                "\nNot verified: the solve at {} + {} stages did not converge, so nothing \
                 achievable can be reported there (try a smaller --max-stages)",
                d.most.stages[0], d.most.stages[1]
            );
        }
    }
    let _ = writeln!(s, "\n{} solves", d.solves);
    s
}

/// Whether the design's largest-stage probe converged (its values are a
/// result, not an unconverged iterate).
/// Whether the most-stages probe of a design converged.
pub fn most_converged(d: &Design) -> bool {
    d.most.status == Some(crate::solver::Status::Converged)
}

/// JSON report of an optimisation.
pub fn optimum_json(p: &OptimizeProblem, o: &Optimum) -> Value {
    let mut vars = Map::new();
    for v in &p.stages {
        let st = [o.spec.extraction, o.spec.scrub, o.spec.strip];
        vars.insert(
            format!("cascade.{}", v.section.name()),
            json!(st[v.section.index()]),
        );
    }
    for v in &p.flows {
        vars.insert(format!("flows.{}", v.key.name()), json!(v.key.get(&o.spec)));
    }
    let obj = |items: &[(String, f64)]| -> Map<String, Value> {
        items.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
    };
    json!({
        "name": p.base.name,
        "status": if o.feasible { "optimal" } else { "infeasible" },
        "objective": p.objective,
        "cost": o.breakdown.total(),
        "cost_breakdown": {"stages": obj(&o.breakdown.stages), "flows": obj(&o.breakdown.flows)},
        "stages": {"extraction": o.spec.extraction, "scrub": o.spec.scrub, "strip": o.spec.strip},
        "variables": vars,
        "constraints": o.constraints,
        "evaluations": o.evaluations,
        "solves": o.solves,
    })
}

/// Text report of an optimisation.
pub fn optimum_text(p: &OptimizeProblem, o: &Optimum) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} of {} (objective: {})",
        if o.feasible {
            "Optimum"
        } else {
            "INFEASIBLE: nearest point"
        },
        p.base.name,
        p.objective
    );
    let v = optimum_json(p, o);
    for (k, val) in v["variables"].as_object().expect("object") {
        let _ = writeln!(s, "  {k:<28} {val}");
    }
    let _ = writeln!(s, "Cost {:.6}", o.breakdown.total());
    for (k, c) in &o.breakdown.stages {
        let _ = writeln!(s, "  {:<28} {c:.6}", format!("{k} stages"));
    }
    for (k, c) in &o.breakdown.flows {
        let _ = writeln!(s, "  {:<28} {c:.6}", format!("flows.{k}"));
    }
    let _ = writeln!(s, "Constraints");
    for c in &o.constraints {
        let _ = writeln!(
            s,
            "  {:<32} {:.8} >= {}{}",
            c.name,
            c.value,
            c.bound,
            if c.active {
                if c.binding.is_empty() {
                    "  active".to_string()
                } else {
                    format!(
                        "  active (one stage less in {} breaks it)",
                        c.binding.join(", ")
                    )
                }
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(s, "{} evaluations, {} solves", o.evaluations, o.solves);
    s
}
