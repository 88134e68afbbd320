//! Flowsheet results: the JSON contract (model-format.md, section 5), a text
//! summary per product, per-unit profiles and an SVG diagram.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::solve::FlowsheetResult;
use super::{Flowsheet, StreamValue};
use crate::error::Error;

fn per_component(names: &[String], values: &[f64]) -> Value {
    let mut m = Map::new();
    for (n, v) in names.iter().zip(values) {
        m.insert(n.clone(), json!(v));
    }
    Value::Object(m)
}

/// Purity of each component in a stream.
fn purity(s: &StreamValue) -> Vec<f64> {
    let t = s.total();
    s.amount
        .iter()
        .map(|a| if t > 0.0 { a / t } else { 0.0 })
        .collect()
}

/// Share of each component's external inflow in a stream.
fn recovery(s: &StreamValue, inflow: &[f64]) -> Vec<f64> {
    s.amount
        .iter()
        .zip(inflow)
        .map(|(a, f)| if *f > 0.0 { a / f } else { 0.0 })
        .collect()
}

/// Per component: products minus external inflow, relative to the inflow.
pub fn balance_error(res: &FlowsheetResult) -> Vec<f64> {
    let k = res.inflow.len();
    (0..k)
        .map(|i| {
            let out: f64 = res.products.iter().map(|p| res.streams[p].amount[i]).sum();
            let f = res.inflow[i];
            if f > 0.0 {
                (out - f) / f
            } else {
                out
            }
        })
        .collect()
}

/// Amounts as an unconverged flowsheet's last iterate shows them, with
/// negatives as 0 (the single-cascade convention); as they are otherwise.
fn shown(v: &[f64], converged: bool) -> Vec<f64> {
    if converged {
        v.to_vec()
    } else {
        v.iter().map(|&x| if x < 0.0 { 0.0 } else { x }).collect()
    }
}

fn stream_json(names: &[String], s: &StreamValue, converged: bool) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("phase".into(), json!(s.phase.name()));
    o.insert(
        "amount".into(),
        per_component(names, &shown(&s.amount, converged)),
    );
    if let Some(f) = s.flow {
        o.insert("flow".into(), json!(f));
    }
    if let Some(c) = s.concentration() {
        o.insert(
            "concentration".into(),
            per_component(names, &shown(&c, converged)),
        );
    }
    if let Some(a) = s.acid {
        o.insert("acid".into(), json!(a));
    }
    if let Some(a) = s.sulfate {
        o.insert("sulfate".into(), json!(a));
    }
    o
}

/// The result as the JSON object of the flowsheet contract. An
/// unconverged flowsheet's streams are its last iterate, not a result, as
/// a single cascade's are: amounts with negatives shown as 0, `purity` and
/// `recovery` null (keys kept), in the products and in every unit, no
/// `reagents`, and `worst` saying what failed.
pub fn to_json(fs: &Flowsheet, res: &FlowsheetResult) -> Value {
    let names = &fs.components;
    let ok = res.converged;
    let withheld = per_component(names, &vec![f64::NAN; names.len()]);
    let mut products = Map::new();
    for p in &res.products {
        let s = &res.streams[p];
        let mut o = stream_json(names, s, ok);
        if ok {
            o.insert("purity".into(), per_component(names, &purity(s)));
            o.insert(
                "recovery".into(),
                per_component(names, &recovery(s, &res.inflow)),
            );
        } else {
            o.insert("purity".into(), withheld.clone());
            o.insert("recovery".into(), withheld.clone());
        }
        products.insert(p.clone(), Value::Object(o));
    }
    let mut units = Map::new();
    for (u, r) in fs.units.iter().zip(&res.units) {
        let Some(r) = r else { continue };
        let mut rep = crate::report::CascadeReport::new(&r.cascade, &r.solution);
        if !ok {
            // a unit solved on the last iterate's inlets (or before a unit
            // downstream failed) is part of that iterate, not a result
            withhold(&mut rep);
        }
        let mut obj = match rep.to_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let mut inlets = Map::new();
        for (port, name, s) in &r.inlets {
            let mut o = stream_json(names, s, ok);
            o.insert("stream".into(), json!(name));
            inlets.insert(port.name().into(), Value::Object(o));
        }
        // fixed inlet compositions of the unit's own file tables
        for inlet in crate::model::Inlet::ALL {
            if inlets.contains_key(inlet.name()) {
                continue;
            }
            if let Some(c) = r.cascade.spec().inlet_concentration(inlet) {
                let amount = r.cascade.inlet_amount(inlet);
                inlets.insert(
                    inlet.name().into(),
                    json!({
                        "phase": inlet.phase().name(),
                        "amount": per_component(names, &amount),
                        "concentration": per_component(names, c),
                    }),
                );
            }
        }
        obj.insert("inlets".into(), Value::Object(inlets));
        units.insert(u.name.clone(), Value::Object(obj));
    }
    let mut top = Map::new();
    top.insert("name".into(), json!(fs.name));
    top.insert("components".into(), json!(names));
    top.insert("converged".into(), json!(res.converged));
    top.insert("iterations".into(), json!(res.iterations));
    top.insert("residual".into(), json!(res.residual));
    top.insert("tears".into(), json!(res.tears));
    top.insert(
        "balance_error".into(),
        per_component(names, &balance_error(res)),
    );
    if let Some(w) = worst_json(fs, res) {
        top.insert("worst".into(), w);
    }
    top.insert("products".into(), Value::Object(products));
    if let Some(r) = reagents_json(fs, res).filter(|_| ok) {
        top.insert("reagents".into(), r);
    }
    top.insert("units".into(), Value::Object(units));
    Value::Object(top)
}

/// Marks a unit's report as part of an unconverged flowsheet's last
/// iterate: no purity or recovery (NaN, null in the JSON) and no reagents.
fn withhold(rep: &mut crate::report::CascadeReport) {
    for (_, s) in &mut rep.streams {
        for v in [&mut s.purity, &mut s.recovery] {
            for x in &mut v.0 {
                x.1 = f64::NAN;
            }
        }
    }
    rep.reagents = None;
}

/// The unit whose solve did not converge: its name and, as the single
/// cascade's `worst` gives them, the stage (from 1), the balance in words
/// and the residual.
fn failed_unit(fs: &Flowsheet, res: &FlowsheetResult) -> Option<(String, usize, String, f64)> {
    let i = res.failed_unit?;
    let r = res.units.get(i)?.as_ref()?;
    let sol = &r.solution;
    Some((
        fs.units.get(i)?.name.clone(),
        sol.worst.0 + 1,
        sol.worst_quantity(&r.cascade),
        sol.residual,
    ))
}

/// JSON `worst` of an unconverged flowsheet: the unit that failed, with
/// the stage, balance and residual where it stalled, or the recycle whose
/// change was the largest.
fn worst_json(fs: &Flowsheet, res: &FlowsheetResult) -> Option<Value> {
    if res.converged {
        return None;
    }
    if let Some((unit, stage, quantity, residual)) = failed_unit(fs, res) {
        return Some(json!({
            "unit": unit,
            "stage": stage,
            "quantity": quantity,
            "residual": residual,
        }));
    }
    res.worst_tear.as_ref().map(|t| {
        json!({
            "recycle": t,
            "residual": res.residual,
        })
    })
}

/// Reagents of the rigorous units summed over the flowsheet, per kg of
/// each product (kg of the components with a known molar mass).
fn reagents_json(fs: &Flowsheet, res: &FlowsheetResult) -> Option<Value> {
    let (mut acid, mut base, mut any) = (0.0, 0.0, false);
    for r in res.units.iter().flatten() {
        if let Some(g) = crate::report::reagents::reagents(&r.cascade, &r.solution) {
            acid += g.acid_consumed;
            base += g.base;
            any = true;
        }
    }
    if !any {
        return None;
    }
    let mut per_kg = Map::new();
    for p in &res.products {
        let s = &res.streams[p];
        let kg: f64 = s
            .amount
            .iter()
            .zip(&fs.molar_mass)
            .map(|(a, m)| a * m.unwrap_or(0.0) / 1000.0)
            .sum();
        if kg > 0.0 {
            per_kg.insert(
                p.clone(),
                json!({
                    "kg_per_h": kg,
                    "acid_mol_per_kg": acid / kg,
                    "base_mol_per_kg": base / kg,
                }),
            );
        }
    }
    Some(json!({
        "acid_consumed": acid,
        "base": base,
        "per_kg": Value::Object(per_kg),
    }))
}

fn pct(v: f64) -> String {
    if v == 0.0 {
        "0 %".into()
    } else if v >= 1e-4 {
        format!("{:.6} %", v * 100.0)
    } else {
        format!("{:.3e} %", v * 100.0)
    }
}

/// The human-readable summary: status, then one block per product. An
/// unconverged flowsheet says so first, plainly (`NOT CONVERGED`: which
/// unit failed, its residual and where, or which recycle did not settle),
/// as a single cascade does, and shows its streams as the last iterate:
/// negative amounts as 0, purity and recovery withheld (`-`).
pub fn to_text(fs: &Flowsheet, res: &FlowsheetResult) -> String {
    let mut out = String::new();
    let ok = res.converged;
    if !ok {
        let _ = writeln!(
            out,
            "NOT CONVERGED: {}; the numbers below are the last iterate, not a result",
            res.message
                .as_deref()
                .unwrap_or("the flowsheet did not converge")
        );
        // why the failed unit cannot converge, or what likely stopped it,
        // as its own report would say
        let failed = res
            .failed_unit
            .and_then(|i| Some((fs.units.get(i)?, res.units.get(i)?.as_ref()?)));
        if let Some((u, r)) = failed {
            let rep = crate::report::CascadeReport::new(&r.cascade, &r.solution);
            if let Some(d) = &rep.diagnosis {
                let _ = writeln!(out, "why: unit `{}`: {d}", u.name);
            }
            if let Some(h) = &rep.hint {
                let _ = writeln!(out, "likely cause: unit `{}`: {h}", u.name);
            }
        }
    }
    let _ = writeln!(out, "{}", fs.name);
    let recycles = if res.tears.is_empty() {
        String::new()
    } else {
        format!(" (recycles: {})", res.tears.join(", "))
    };
    match res.failed_unit.and_then(|i| fs.units.get(i)) {
        Some(u) if !ok => {
            let _ = writeln!(
                out,
                "{} units, {} splits; NOT converged: stopped in outer iteration {} at unit `{}`, \
                 whose solve did not converge{recycles}",
                fs.units.len(),
                fs.splits.len(),
                res.iterations,
                u.name,
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{} units, {} splits; {} after {} outer iteration(s), largest relative change of a recycle {:.2e}{recycles}",
                fs.units.len(),
                fs.splits.len(),
                if ok { "converged" } else { "NOT converged" },
                res.iterations,
                res.residual,
            );
        }
    }
    if !ok {
        let unsolved: Vec<&str> = fs
            .units
            .iter()
            .zip(&res.units)
            .filter(|(_, r)| r.is_none())
            .map(|(u, _)| u.name.as_str())
            .collect();
        if !unsolved.is_empty() {
            let _ = writeln!(
                out,
                "units not solved (the solve stopped before them): {}",
                unsolved.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "\nLast iterate, NOT a result (negative amounts shown as 0; purity and recovery withheld)"
        );
    }
    for p in &res.products {
        let s = &res.streams[p];
        let amount = shown(&s.amount, ok);
        let _ = writeln!(
            out,
            "\nproduct {p} ({}), total {:.6e}",
            s.phase.name(),
            amount.iter().sum::<f64>()
        );
        let pu = purity(s);
        let re = recovery(s, &res.inflow);
        let _ = writeln!(
            out,
            "  {:<10} {:>16} {:>16} {:>16}",
            "component", "amount", "purity", "recovery"
        );
        for (i, c) in fs.components.iter().enumerate() {
            let share = |v: &[f64]| if ok { pct(v[i]) } else { "-".into() };
            let _ = writeln!(
                out,
                "  {:<10} {:>16.6e} {:>16} {:>16}",
                c,
                amount[i],
                share(&pu),
                share(&re)
            );
        }
    }
    let be = balance_error(res);
    let worst = be.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    let _ = writeln!(
        out,
        "\nlargest relative balance error (feeds vs products){} {worst:.2e}",
        if ok { "" } else { " of the last iterate" }
    );
    out
}

/// `profile.csv` -> `profile.<unit>.csv`.
pub fn unit_path(path: &Path, unit: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "csv".into());
    path.with_file_name(format!("{stem}.{unit}.{ext}"))
}

/// Writes the stage profile of every unit, one CSV per unit
/// ([`unit_path`]); returns the files written.
pub fn write_profiles(
    fs: &Flowsheet,
    res: &FlowsheetResult,
    path: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for (u, r) in fs.units.iter().zip(&res.units) {
        if let Some(r) = r {
            let p = unit_path(path, &u.name);
            crate::report::write_profile_csv(&r.cascade, &r.solution, &p)?;
            out.push(p);
        }
    }
    Ok(out)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A label for a stream: its total flow and its two main components (only
/// the total for an unconverged flowsheet's last iterate, whose shares are
/// no result).
fn label(fs: &Flowsheet, s: &StreamValue, converged: bool) -> String {
    if !converged {
        let flow = match s.flow {
            Some(f) => format!("{f:.4} L/h, "),
            None => String::new(),
        };
        let t: f64 = shown(&s.amount, false).iter().sum();
        return format!("{flow}{t:.4e}, last iterate");
    }
    let t = s.total();
    let mut idx: Vec<usize> = (0..s.amount.len()).collect();
    idx.sort_by(|&a, &b| s.amount[b].total_cmp(&s.amount[a]));
    let main: Vec<String> = idx
        .iter()
        .take(2)
        .filter(|&&i| s.amount[i] > 0.0 && t > 0.0)
        .map(|&i| format!("{} {:.1}%", fs.components[i], 100.0 * s.amount[i] / t))
        .collect();
    let flow = match s.flow {
        Some(f) => format!("{f:.4} L/h, "),
        None => String::new(),
    };
    format!("{flow}{t:.4e}: {}", main.join(", "))
}

/// The flowsheet as an SVG diagram: units and splits as boxes (with their
/// stage counts) in solving order, streams as labelled arrows (recycles
/// drawn dashed below the boxes).
pub fn svg(fs: &Flowsheet, res: &FlowsheetResult) -> String {
    let plan = match super::solve::plan(fs) {
        Ok(p) => p,
        Err(_) => return String::new(),
    };
    let nu = fs.units.len();
    let n = plan.order.len();
    let (bw, bh, gap, top) = (150.0, 70.0, 150.0, 120.0);
    let x_of = |v: usize| -> f64 {
        let pos = plan.order.iter().position(|&o| o == v).unwrap_or(0);
        40.0 + 160.0 + pos as f64 * (bw + gap)
    };
    let width = 40.0 + 160.0 + n as f64 * (bw + gap) + 160.0;
    let height =
        top + bh + 40.0 * (fs.units.len() + fs.splits.len() + fs.streams.len()) as f64 + 120.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker></defs>"#
    );
    let title = if res.converged {
        fs.name.clone()
    } else {
        format!("NOT CONVERGED, last iterate: {}", fs.name)
    };
    let _ = writeln!(
        s,
        r#"<text x="20" y="24" font-size="15">{}</text>"#,
        esc(&title)
    );
    for &v in &plan.order {
        let x = x_of(v);
        let (title, sub) = if v < nu {
            let u = &fs.units[v];
            let sp = &u.spec;
            (
                u.name.clone(),
                format!(
                    "{} stages: {}+{}+{}",
                    sp.extraction + sp.scrub + sp.strip,
                    sp.extraction,
                    sp.scrub,
                    sp.strip
                ),
            )
        } else {
            (fs.splits[v - nu].name.clone(), "split".to_string())
        };
        let _ = writeln!(
            s,
            r##"<rect x="{x:.0}" y="{top:.0}" width="{bw:.0}" height="{bh:.0}" fill="#eef4fb" stroke="#234"/>"##
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.0}" y="{:.0}" text-anchor="middle" font-weight="bold">{}</text>"#,
            x + bw / 2.0,
            top + 30.0,
            esc(&title)
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.0}" y="{:.0}" text-anchor="middle">{}</text>"#,
            x + bw / 2.0,
            top + 50.0,
            esc(&sub)
        );
    }
    // arrows: one per consumed stream and per product
    let mut lane = 0.0;
    let mut arrow = |s: &mut String,
                     x1: f64,
                     x2: f64,
                     name: &str,
                     value: Option<(&StreamValue, bool)>,
                     back: bool| {
        lane += 1.0;
        // (an external feed is given, not iterated: its label stays whole)
        let text = match value {
            Some((v, given)) => format!("{name} ({})", label(fs, v, given || res.converged)),
            None => name.to_string(),
        };
        if back {
            let y = top + bh + 20.0 * lane + 10.0;
            let _ = writeln!(
                s,
                r##"<path d="M{x1:.0},{:.0} L{x1:.0},{y:.0} L{x2:.0},{y:.0} L{x2:.0},{:.0}" fill="none" stroke="#a33" stroke-dasharray="5,3" marker-end="url(#a)"/>"##,
                top + bh,
                top + bh
            );
            let _ = writeln!(
                s,
                r##"<text x="{:.0}" y="{:.0}" fill="#a33">{}</text>"##,
                x2.min(x1) + 4.0,
                y - 3.0,
                esc(&text)
            );
        } else {
            let y = top - 12.0 - 14.0 * (lane % 5.0);
            let _ = writeln!(
                s,
                r##"<path d="M{x1:.0},{y:.0} L{x2:.0},{y:.0} L{x2:.0},{top:.0}" fill="none" stroke="#234" marker-end="url(#a)"/>"##
            );
            let _ = writeln!(
                s,
                r#"<text x="{:.0}" y="{:.0}">{}</text>"#,
                x1 + 4.0,
                y - 3.0,
                esc(&text)
            );
        }
    };
    for (i, u) in fs.units.iter().enumerate() {
        for (port, name) in &u.inputs {
            let v = res.streams.get(name);
            let x2 = x_of(i) + bw / 2.0;
            let text = format!("{} -> {}", name, port.name());
            match super::producer(fs, name).and_then(|p| super::node_of(fs, p)) {
                None => arrow(
                    &mut s,
                    x2 - bw / 2.0 - 150.0,
                    x2 - 20.0,
                    &text,
                    v.map(|v| (v, true)),
                    false,
                ),
                Some(p) => {
                    let back = plan.tears.contains(&(i, *port));
                    let v = v.map(|v| (v, false));
                    arrow(&mut s, x_of(p) + bw / 2.0 + 20.0, x2 - 20.0, &text, v, back)
                }
            }
        }
    }
    for (i, sp) in fs.splits.iter().enumerate() {
        let x2 = x_of(nu + i) + bw / 2.0;
        if let Some(p) = super::producer(fs, &sp.from).and_then(|p| super::node_of(fs, p)) {
            arrow(
                &mut s,
                x_of(p) + bw / 2.0,
                x2,
                &sp.from,
                res.streams.get(&sp.from).map(|v| (v, false)),
                false,
            );
        }
    }
    for (j, p) in res.products.iter().enumerate() {
        let node = p.split_once('.').map(|x| x.0).unwrap_or("");
        let v = fs
            .units
            .iter()
            .position(|u| u.name == node)
            .or_else(|| {
                fs.splits
                    .iter()
                    .position(|s| s.name == node)
                    .map(|i| nu + i)
            })
            .unwrap_or(0);
        let x = x_of(v) + bw / 2.0;
        let y =
            top + bh + 40.0 + 18.0 * (fs.units.len() + fs.splits.len()) as f64 + 18.0 * j as f64;
        let _ = writeln!(
            s,
            r##"<path d="M{x:.0},{:.0} L{x:.0},{y:.0} L{:.0},{y:.0}" fill="none" stroke="#272" marker-end="url(#a)"/>"##,
            top + bh,
            x + 30.0
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.0}" y="{:.0}" fill="#272">product {} ({})</text>"##,
            x + 34.0,
            y + 4.0,
            esc(p),
            esc(&label(fs, &res.streams[p], res.converged))
        );
    }
    s.push_str("</svg>\n");
    s
}
