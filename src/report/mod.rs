//! Results for people and programs: a text report, the JSON result contract
//! (model-format.md, section 2) and the stage profile as CSV.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::error::Error;
use crate::model::Cascade;
use crate::solver::{Method, Solution};

fn per_component(names: &[String], values: &[f64]) -> Value {
    let mut m = Map::new();
    for (n, v) in names.iter().zip(values) {
        m.insert(n.clone(), json!(v));
    }
    Value::Object(m)
}

/// The outlet streams by report name: the regular outlets, then the side
/// draws under their own names.
fn named_streams(cascade: &Cascade, sol: &Solution) -> Vec<(String, crate::solver::StreamResult)> {
    sol.streams(cascade)
        .into_iter()
        .map(|s| (s.kind.name().to_string(), s))
        .chain(sol.draws(cascade))
        .collect()
}

/// The result as the JSON object of the result contract.
pub fn to_json(cascade: &Cascade, sol: &Solution) -> Value {
    let names = cascade.components();
    let mut streams = Map::new();
    for (key, s) in named_streams(cascade, sol) {
        let mut o = Map::new();
        o.insert("phase".into(), json!(s.phase.name()));
        o.insert("stage".into(), json!(s.stage + 1));
        o.insert("amount".into(), per_component(names, &s.amount));
        if let Some(c) = &s.concentration {
            o.insert("concentration".into(), per_component(names, c));
        }
        o.insert("purity".into(), per_component(names, &s.purity));
        o.insert("recovery".into(), per_component(names, &s.recovery));
        streams.insert(key, Value::Object(o));
    }
    let conc = sol.concentrations(cascade);
    let layout = cascade.layout();
    let ph = crate::chemistry::reagents::stage_ph(sol);
    let stages: Vec<Value> = (0..cascade.n_stages())
        .map(|j| {
            let (aq, org) = match &conc {
                Some((x, y)) => (x.row(j).to_vec(), y.row(j).to_vec()),
                None => (sol.aqueous.row(j).to_vec(), sol.organic.row(j).to_vec()),
            };
            let mut o = Map::new();
            o.insert("stage".into(), json!(j + 1));
            o.insert("section".into(), json!(layout.section(j).name()));
            o.insert("aqueous".into(), per_component(names, &aq));
            o.insert("organic".into(), per_component(names, &org));
            if let Some(ph) = &ph {
                o.insert("ph".into(), json!(ph[j]));
            }
            Value::Object(o)
        })
        .collect();
    let mut top = Map::new();
    top.insert("name".into(), json!(cascade.name()));
    top.insert("components".into(), json!(names));
    top.insert("model".into(), json!(cascade.spec().chemistry.name()));
    top.insert("converged".into(), json!(sol.converged()));
    top.insert("status".into(), json!(sol.status));
    top.insert("method".into(), json!(sol.method));
    top.insert("iterations".into(), json!(sol.iterations));
    top.insert("residual".into(), json!(sol.residual));
    top.insert(
        "balance_error".into(),
        per_component(names, &sol.balance_error(cascade)),
    );
    top.insert("streams".into(), Value::Object(streams));
    if let Some(r) = crate::chemistry::reagents::reagents(cascade, sol) {
        let mut per_kg = Map::new();
        for (name, p) in names.iter().zip(&r.per_kg) {
            if let Some(p) = p {
                per_kg.insert(
                    name.clone(),
                    json!({
                        "stream": p.stream.name(),
                        "kg_per_h": p.kg_per_h,
                        "acid_mol_per_kg": p.acid_mol_per_kg,
                        "base_mol_per_kg": p.base_mol_per_kg,
                        "extractant_mol_per_kg": p.extractant_mol_per_kg,
                        "organic_l_per_kg": p.organic_l_per_kg,
                    }),
                );
            }
        }
        top.insert(
            "reagents".into(),
            json!({
                "acid_in": r.acid_in,
                "acid_out": r.acid_out,
                "acid_consumed": r.acid_consumed,
                "base": r.base,
                "base_name": r.base_name,
                "extractant_flow": r.extractant_flow,
                "organic_flow": r.organic_flow,
                "per_kg": Value::Object(per_kg),
            }),
        );
    }
    top.insert("stages".into(), Value::Array(stages));
    Value::Object(top)
}

/// Formats a fraction as a percentage with enough digits to show high
/// purities (99.9999 %) and trace shares.
fn pct(v: f64) -> String {
    if v == 0.0 {
        "0 %".into()
    } else if v >= 1e-4 {
        let s = format!("{:.6}", v * 100.0);
        format!("{s} %")
    } else {
        format!("{:.3e} %", v * 100.0)
    }
}

/// The human-readable report.
pub fn to_text(cascade: &Cascade, sol: &Solution) -> String {
    let mut out = String::new();
    let l = cascade.layout();
    let names = cascade.components();
    let converged = sol.converged();
    if !converged {
        // a failed solve says so first, plainly, and where it stalled
        out.push_str(&format!(
            "NOT CONVERGED: the solve {} (relative residual {:.2e} at stage {}, component {}); \
             the numbers below are the last iterate, not a result\n",
            sol.status.describe(),
            sol.residual,
            sol.worst.0 + 1,
            names.get(sol.worst.1).map_or("(all)", |s| s.as_str())
        ));
    }
    out.push_str(&format!("{}\n", cascade.name()));
    out.push_str(&format!(
        "model {}, {} stages: {} extraction + {} scrub + {} strip; {} feed enters stage {}\n",
        cascade.spec().chemistry.name(),
        l.stages(),
        l.extraction,
        l.scrub,
        l.strip,
        l.feed_phase.name(),
        l.feed_stage() + 1
    ));
    let what = match sol.method {
        Method::Newton => format!("{} Newton iterations", sol.iterations),
        Method::Rows => format!("{} rows of start-up from empty stages", sol.iterations),
    };
    out.push_str(&format!(
        "{} after {}; largest relative stage imbalance {:.2e}\n",
        sol.status.describe(),
        what,
        sol.residual
    ));
    if !sol.converged() {
        out.push_str(&format!(
            "  worst at stage {}, component {}\n",
            sol.worst.0 + 1,
            names.get(sol.worst.1).map_or("?", |s| s.as_str())
        ));
    }
    let volumetric = cascade.is_volumetric();
    let unit = if volumetric {
        "mol/h"
    } else {
        "mol per unit time"
    };
    if converged {
        out.push_str(&format!("\nProducts (amount in {unit})\n"));
    } else {
        out.push_str(&format!(
            "\nLast iterate, NOT a result (amount in {unit}, negative amounts shown as 0; \
             purity and recovery withheld)\n"
        ));
    }
    let w = names.iter().map(|n| n.len()).max().unwrap_or(4).max(9);
    out.push_str(&format!(
        "{:<18} {:>5} {:<8}  {:<w$} {:>13} {}{:>14} {:>14}\n",
        "stream",
        "stage",
        "phase",
        "component",
        "amount",
        if volumetric {
            format!("{:>13} ", "conc mol/L")
        } else {
            String::new()
        },
        "purity",
        "recovery",
    ));
    for (key, s) in named_streams(cascade, sol) {
        for (k, name) in names.iter().enumerate() {
            let (sn, st, ph) = if k == 0 {
                (key.clone(), format!("{}", s.stage + 1), s.phase.name())
            } else {
                (String::new(), String::new(), "")
            };
            let conc = match &s.concentration {
                Some(c) => format!("{:>13.6e} ", c[k]),
                None => String::new(),
            };
            out.push_str(&format!(
                "{:<18} {:>5} {:<8}  {:<w$} {:>13.6e} {}{:>14} {:>14}\n",
                sn,
                st,
                ph,
                name,
                if converged {
                    s.amount[k]
                } else {
                    s.amount[k].max(0.0)
                },
                conc,
                if converged {
                    pct(s.purity[k])
                } else {
                    "-".into()
                },
                if converged {
                    pct(s.recovery[k])
                } else {
                    "-".into()
                },
            ));
        }
    }
    if let Some(r) = converged
        .then(|| crate::chemistry::reagents::reagents(cascade, sol))
        .flatten()
    {
        out.push_str("\nReagents (mol/h)\n");
        out.push_str(&format!(
            "  acid in {:.6e}, out {:.6e}, consumed {:.6e}\n",
            r.acid_in, r.acid_out, r.acid_consumed
        ));
        if !r.base_name.is_empty() {
            out.push_str(&format!(
                "  saponification base ({}) {:.6e}\n",
                r.base_name, r.base
            ));
        }
        out.push_str(&format!(
            "  extractant circulated {:.6e} mol HA/h in {:.6e} L/h of organic\n",
            r.extractant_flow, r.organic_flow
        ));
        for (name, p) in names.iter().zip(&r.per_kg) {
            if let Some(p) = p {
                out.push_str(&format!(
                    "  per kg {name} in the {}: acid {:.4} mol, base {:.4} mol, extractant {:.4} mol, organic {:.2} L\n",
                    p.stream.name(),
                    p.acid_mol_per_kg,
                    p.base_mol_per_kg,
                    p.extractant_mol_per_kg,
                    p.organic_l_per_kg
                ));
            }
        }
        let (lo, hi) =
            r.ph.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
        out.push_str(&format!(
            "  stage pH from {lo:.2} to {hi:.2} (per stage in --json and --profile)\n"
        ));
    }
    let bal = sol.balance_error(cascade);
    let worst = bal.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    out.push_str(&format!(
        "\nMass balance: largest relative error over components {worst:.1e}\n"
    ));
    out
}

/// Writes the stage profile as CSV: one row per stage, the aqueous then the
/// organic value of each component (concentrations in mol/L for volumetric
/// models, amounts otherwise).
pub fn write_profile_csv(cascade: &Cascade, sol: &Solution, path: &Path) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let names = cascade.components();
    let mut header = vec!["stage".to_string(), "section".to_string()];
    header.extend(names.iter().map(|n| format!("aqueous_{n}")));
    header.extend(names.iter().map(|n| format!("organic_{n}")));
    let ph = crate::chemistry::reagents::stage_ph(sol);
    if ph.is_some() {
        header.push("ph".to_string());
    }
    let csv_err = |e: csv::Error| io(std::io::Error::other(e));
    w.write_record(&header).map_err(csv_err)?;
    let conc = sol.concentrations(cascade);
    for j in 0..cascade.n_stages() {
        let mut rec = vec![
            (j + 1).to_string(),
            cascade.layout().section(j).name().to_string(),
        ];
        let (aq, org) = match &conc {
            Some((x, y)) => (x.row(j).to_vec(), y.row(j).to_vec()),
            None => (sol.aqueous.row(j).to_vec(), sol.organic.row(j).to_vec()),
        };
        rec.extend(aq.iter().chain(&org).map(|v| format!("{v:e}")));
        if let Some(ph) = &ph {
            rec.push(format!("{}", ph[j]));
        }
        w.write_record(&rec).map_err(csv_err)?;
    }
    let mut inner = w
        .into_inner()
        .map_err(|e| io(std::io::Error::other(e.to_string())))?;
    inner.flush().map_err(io)?;
    Ok(())
}
