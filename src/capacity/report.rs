//! Reports: a text table, JSON (the `--json` contract of
//! docs/model-format.md section 3) and long-format CSV, for one scenario or a
//! side-by-side comparison of several.
//!
//! Tiny solver noise (|x| < 1e-7 in tonnes or prices) is printed as 0;
//! the library's [`Solution`] keeps the raw values.

use super::lp::RowKind;
use super::plan::Plan;
use super::solve::{DualSource, Outcome, Solution};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;

/// Formats a number for people: thousands separators for large values, a
/// few significant digits for small ones.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "unlimited".into()
        } else {
            "-inf".into()
        };
    }
    let a = x.abs();
    if a < 1e-9 {
        return "0".into();
    }
    if a >= 1e15 {
        return format!("{x:.3e}");
    }
    let text = if a >= 1e4 {
        format!("{:.0}", a)
    } else if a >= 1.0 {
        trim(format!("{a:.2}"))
    } else if a >= 1e-4 {
        trim(format!("{:.*}", 4 + (-a.log10()).floor() as usize, a))
    } else {
        return format!("{x:.3e}");
    };
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if x < 0.0 && out.chars().any(|c| c != '0' && c != '.' && c != ',') {
        format!("-{out}")
    } else {
        out
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Rounds solver noise to zero for output.
pub fn clean(x: f64) -> f64 {
    if x.abs() < 1e-7 {
        0.0
    } else {
        x
    }
}

fn opt(x: Option<f64>) -> Value {
    match x {
        Some(v) if v.is_finite() => json!(clean(v)),
        _ => Value::Null,
    }
}

/// A simple aligned table: first column left-aligned, the rest right-aligned.
pub fn table(headers: &[String], rows: &[Vec<String>]) -> String {
    let ncol = headers.len();
    let mut width = vec![0; ncol];
    for (j, h) in headers.iter().enumerate() {
        width[j] = h.chars().count();
    }
    for row in rows {
        for (j, cell) in row.iter().enumerate().take(ncol) {
            width[j] = width[j].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        for (j, cell) in cells.iter().enumerate().take(ncol) {
            let pad = width[j] - cell.chars().count();
            if j == 0 {
                out.push_str("  ");
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
        }
        out.push('\n');
    };
    line(&mut out, headers);
    let total: usize = width.iter().sum::<usize>() + 2 * ncol;
    out.push_str("  ");
    out.push_str(&"-".repeat(total.saturating_sub(2)));
    out.push('\n');
    for row in rows {
        line(&mut out, row);
    }
    out
}

fn s(x: &str) -> String {
    x.to_string()
}

/// Warnings about the plan itself (not the solution).
pub fn warnings(plan: &Plan, sol: Option<&Solution>) -> Vec<String> {
    let mut w = Vec::new();
    if !plan.surplus.stated
        && plan
            .sources
            .iter()
            .any(|s| s.assay.iter().filter(|&&a| a > 0.0).count() > 1)
    {
        w.push("no [surplus] table: by-product oxide nobody demands is disposed at zero cost (state surplus.disposal or surplus.price)".to_string());
    }
    if let Some(sol) = sol {
        if sol.relaxed_integers {
            w.push("backend clarabel: whole plant modules relaxed to fractional ones (use --solver microlp for exact modules)".to_string());
        }
        match sol.dual_source {
            DualSource::FixedIntegers => w.push("shadow prices come from a Clarabel re-solve of the LP, with any module counts fixed at the integer optimum".to_string()),
            DualSource::Unavailable => w.push("no shadow prices: the dual re-solve failed".to_string()),
            DualSource::Native | DualSource::OneSided => {}
        }
    }
    w
}

/// The text report of one scenario.
pub fn text(plan: &Plan, scenario: &str, outcome: &Outcome) -> String {
    let mut o = String::new();
    let cur = &plan.currency;
    let _ = writeln!(o, "Plan: {} (scenario: {scenario})", plan.name);
    let sol = &match outcome {
        Outcome::Solved(sol) => sol.cleaned(plan),
        Outcome::Failed { backend, message } => {
            let _ = writeln!(o, "Status: solver failure ({}): {message}", backend.name());
            return o;
        }
        Outcome::Infeasible(d) => {
            if plan.policy.unmet_penalty.iter().any(|p| p.is_none()) {
                let _ = writeln!(o, "Status: INFEASIBLE: no plan meets every constraint (unmet demand of some elements is not allowed; set policy.unmet_penalty to see what is short).");
            } else {
                let _ = writeln!(o, "Status: INFEASIBLE: no plan meets every constraint.");
            }
            if !d.shortfalls.is_empty() {
                let _ = writeln!(o, "\nSupply bounds that fall short of demand:");
                for l in &d.shortfalls {
                    let _ = writeln!(o, "  - {l}");
                }
            }
            if !d.conflicts.is_empty() {
                let _ = writeln!(
                    o,
                    "\nEach of these changes alone would make the plan feasible (the least change of that one limit or demand):"
                );
                for c in &d.conflicts {
                    let _ = writeln!(o, "  - {}", c.text);
                }
            }
            if d.integrality_only && plan.has_modules() {
                let _ = writeln!(o, "\nThe plan is feasible with fractional plant modules: whole modules (refinery.module) make it infeasible.");
            }
            return o;
        }
    };
    let _ = writeln!(
        o,
        "Status: optimal ({}; {} variables, {} rows, {} integer; build {:.3} s, solve {:.3} s)",
        sol.backend.name(),
        sol.n_vars,
        sol.n_rows,
        sol.n_integer,
        sol.build_s,
        sol.solve_s
    );
    for w in warnings(plan, Some(sol)) {
        let _ = writeln!(o, "Warning: {w}");
    }
    let c = &sol.costs;
    // Interior-point noise in a cost line (a few nanotonnes at a high price)
    // is shown as 0.
    let rel = |x: f64| {
        num(if x.abs() < 1e-9 * sol.objective.abs().max(1.0) {
            0.0
        } else {
            x
        })
    };
    let _ = writeln!(o, "\nAnnual cost ({cur}/yr)");
    let rows = vec![
        vec![s("ore and concentrate"), rel(c.sources)],
        vec![s("transport"), rel(c.transport)],
        vec![s("refinery opex"), rel(c.opex)],
        vec![
            s("new capacity (annualised capex)"),
            rel(c.capex_annualised),
        ],
        vec![s("imports"), rel(c.imports)],
        vec![s("surplus disposal"), rel(c.disposal)],
        vec![s("surplus sales"), rel(-c.sales)],
        vec![s("unmet-demand penalty"), rel(c.unmet_penalty)],
        vec![s("total (objective)"), num(sol.objective)],
    ];
    o.push_str(&table(&[s("component"), s("cost")], &rows));
    let budget = plan
        .policy
        .budget
        .map_or(String::new(), |b| format!(" of a budget of {}", num(b)));
    let _ = writeln!(
        o,
        "Capex of new capacity: {} {cur}{budget}",
        num(sol.capex_total)
    );

    // Refineries.
    let _ = writeln!(o, "\nRefineries (t REO feed/yr)");
    let mut rows = Vec::new();
    for (r, rf) in plan.refineries.iter().enumerate() {
        let feed: f64 = sol.feed.iter().map(|f| f[r]).sum();
        let cap = rf.existing + sol.new[r];
        rows.push(vec![
            rf.name.clone(),
            plan.regions[rf.region].name.clone(),
            num(rf.existing),
            num(clean(sol.new[r])),
            sol.modules[r].map_or("-".into(), |m| num(clean(m))),
            num(clean(feed)),
            if cap > 0.0 {
                format!("{:.0}%", 100.0 * feed / cap)
            } else {
                "-".into()
            },
            sol.capacity_value(r).map_or("-".into(), |v| num(clean(v))),
        ]);
    }
    o.push_str(&table(
        &[
            s("refinery"),
            s("region"),
            s("existing"),
            s("build"),
            s("modules"),
            s("feed"),
            s("use"),
            format!("value {cur}/t/yr"),
        ],
        &rows,
    ));

    // Feed.
    let _ = writeln!(o, "\nOre and concentrate to refineries (t REO/yr)");
    let mut rows = Vec::new();
    for (si, src) in plan.sources.iter().enumerate() {
        for (r, rf) in plan.refineries.iter().enumerate() {
            let f = clean(sol.feed[si][r]);
            if f > 0.0 {
                rows.push(vec![src.name.clone(), rf.name.clone(), num(f)]);
            }
        }
    }
    if rows.is_empty() {
        o.push_str("  (none)\n");
    } else {
        o.push_str(&table(&[s("source"), s("refinery"), s("t/yr")], &rows));
    }

    // Output per refinery and element.
    let _ = writeln!(
        o,
        "\nSeparated oxide per refinery (t/yr): output, of which sold / disposed as surplus"
    );
    let mut rows = Vec::new();
    for (r, rf) in plan.refineries.iter().enumerate() {
        if sol.output[r].iter().all(|&y| clean(y) == 0.0) {
            continue;
        }
        let mut row = vec![rf.name.clone()];
        for e in 0..plan.elements.len() {
            let y = clean(sol.output[r][e]);
            let q = clean(sol.sold[r][e]);
            let w = clean(sol.disposed[r][e]);
            row.push(if q > 0.0 || w > 0.0 {
                format!("{} ({}/{})", num(y), num(q), num(w))
            } else {
                num(y)
            });
        }
        rows.push(row);
    }
    if rows.is_empty() {
        o.push_str("  (none)\n");
    } else {
        let mut h = vec![s("refinery")];
        h.extend(plan.elements.iter().cloned());
        o.push_str(&table(&h, &rows));
    }

    // Deliveries per demand row.
    let _ = writeln!(o, "\nDemand (t/yr) and its marginal cost ({cur}/t)");
    let mut rows = Vec::new();
    for (k, d) in plan.demand.iter().enumerate() {
        let from_ref: f64 = sol.ship.iter().map(|x| x[k]).sum();
        let from_imp: f64 = sol.imports.iter().map(|x| x[k]).sum();
        rows.push(vec![
            plan.regions[d.region].name.clone(),
            plan.elements[d.element].clone(),
            num(d.amount),
            num(clean(from_ref)),
            num(clean(from_imp)),
            num(clean(sol.unmet[k])),
            format!("{:.1}%", 100.0 * sol.served(plan, k)),
            sol.demand_price(k).map_or("-".into(), |p| num(clean(p))),
        ]);
    }
    o.push_str(&table(
        &[
            s("region"),
            s("element"),
            s("demand"),
            s("refined"),
            s("imported"),
            s("unmet"),
            s("served"),
            s("price"),
        ],
        &rows,
    ));

    // Imports.
    let mut rows = Vec::new();
    for (i, im) in plan.imports.iter().enumerate() {
        for (e, el) in plan.elements.iter().enumerate() {
            if im.price[e].is_none() {
                continue;
            }
            let t: f64 = plan
                .demand
                .iter()
                .enumerate()
                .filter(|(_, d)| d.element == e)
                .map(|(k, _)| sol.imports[i][k])
                .sum();
            rows.push(vec![
                im.name.clone(),
                el.clone(),
                num(clean(t)),
                im.capacity[e].map_or("unlimited".into(), num),
                num(im.price[e].unwrap_or(0.0)),
                sol.import_cap_value(i, e)
                    .map_or("-".into(), |v| num(clean(v))),
            ]);
        }
    }
    if !rows.is_empty() {
        let _ = writeln!(o, "\nImports from outside the alliance (t/yr)");
        o.push_str(&table(
            &[
                s("import"),
                s("element"),
                s("amount"),
                s("capacity"),
                s("price"),
                s("cap value"),
            ],
            &rows,
        ));
    }

    // Policy prices.
    let mut rows = Vec::new();
    for (e, el) in plan.elements.iter().enumerate() {
        if let Some(v) = sol.import_share_value(e) {
            let share = plan.policy.max_import_share[e].unwrap_or(1.0);
            let outside: f64 = sol.layout.share_row[e].map_or(0.0, |j| sol.rows[j].activity);
            rows.push(vec![
                el.clone(),
                format!("{:.1}%", share * 100.0),
                num(clean(outside)),
                num(clean(v)),
            ]);
        }
    }
    if !rows.is_empty() {
        let _ = writeln!(
            o,
            "\nImport share caps (cost of independence, {cur} per tonne of cap)"
        );
        o.push_str(&table(
            &[
                s("element"),
                s("max share"),
                s("from outside t/yr"),
                s("value"),
            ],
            &rows,
        ));
    }
    if let Some(v) = sol.budget_value().filter(|&v| v > 0.0) {
        let _ = writeln!(
            o,
            "\nBudget: one more {cur} of capex budget saves {} {cur}/yr",
            num(clean(v))
        );
    }

    let binding = sol.binding(plan);
    let _ = writeln!(o, "\nBinding constraints");
    if binding.is_empty() {
        o.push_str("  (none of the limits binds)\n");
    }
    for b in &binding {
        let _ = writeln!(o, "  - {}", b.text);
    }
    let short = sol.shortages(plan);
    if !short.is_empty() {
        let _ = writeln!(o, "\nShortages");
        for l in short {
            let _ = writeln!(o, "  - {l}");
        }
    }
    o
}

fn map_by<T>(items: impl Iterator<Item = (String, T)>) -> Map<String, Value>
where
    T: Into<Value>,
{
    let mut m = Map::new();
    for (k, v) in items {
        m.insert(k, v.into());
    }
    m
}

/// The JSON object of one scenario (contract keys: `status`, `objective`,
/// `build`, `flows`, `imports`, `served`, `prices`).
pub fn json(plan: &Plan, scenario: &str, outcome: &Outcome) -> Value {
    let mut v = json!({
        "name": plan.name,
        "scenario": scenario,
        "currency": plan.currency,
        "elements": plan.elements,
    });
    let obj = v.as_object_mut().expect("object");
    let sol = &match outcome {
        Outcome::Solved(sol) => sol.cleaned(plan),
        other => {
            obj.insert(
                "status".into(),
                json!(if matches!(other, Outcome::Infeasible(_)) {
                    "infeasible"
                } else {
                    "failed"
                }),
            );
            obj.insert("objective".into(), Value::Null);
            for k in ["build", "imports", "served", "prices"] {
                obj.insert(k.into(), json!({}));
            }
            obj.insert(
                "flows".into(),
                json!({"feed": [], "products": [], "imports": []}),
            );
            match other {
                Outcome::Infeasible(d) => {
                    obj.insert(
                        "diagnosis".into(),
                        json!({
                            "shortfalls": d.shortfalls,
                            "conflicts": d.conflicts.iter().map(|c| json!({"constraint": row_name(plan, c.kind), "excess": c.excess, "text": c.text})).collect::<Vec<_>>(),
                            "demand": d.demands,
                            "integrality_only": d.integrality_only,
                        }),
                    );
                }
                Outcome::Failed { backend, message } => {
                    obj.insert("backend".into(), json!(backend.name()));
                    obj.insert("message".into(), json!(message));
                }
                Outcome::Solved(_) => {}
            }
            return v;
        }
    };
    let c = &sol.costs;
    obj.insert("status".into(), json!("optimal"));
    obj.insert("backend".into(), json!(sol.backend.name()));
    obj.insert(
        "duals".into(),
        json!(match sol.dual_source {
            DualSource::Native => "native",
            DualSource::OneSided => "one-sided",
            DualSource::FixedIntegers => "fixed-integers",
            DualSource::Unavailable => "unavailable",
        }),
    );
    obj.insert("objective".into(), json!(sol.objective));
    obj.insert(
        "costs".into(),
        json!({
            "sources": c.sources, "transport": c.transport, "opex": c.opex,
            "capex_annualised": c.capex_annualised, "imports": c.imports,
            "disposal": c.disposal, "sales": c.sales, "unmet_penalty": c.unmet_penalty,
        }),
    );
    obj.insert("capex_total".into(), json!(sol.capex_total));
    obj.insert(
        "build".into(),
        Value::Object(map_by(
            plan.refineries
                .iter()
                .enumerate()
                .map(|(r, rf)| (rf.name.clone(), json!(clean(sol.new[r])))),
        )),
    );
    let mut refs = Map::new();
    for (r, rf) in plan.refineries.iter().enumerate() {
        let feed: f64 = sol.feed.iter().map(|f| f[r]).sum();
        let mut entry = json!({
                "region": plan.regions[rf.region].name,
                "existing": rf.existing,
                "new": clean(sol.new[r]),
                "modules": sol.modules[r].map(clean),
                "capacity": rf.existing + clean(sol.new[r]),
                "feed": clean(feed),
                "output": map_by(plan.elements.iter().enumerate().map(|(e, el)| (el.clone(), json!(clean(sol.output[r][e]))))),
                "capacity_value": opt(sol.capacity_value(r)),
        });
        if let Some(d) = &rf.process {
            entry["process"] = crate::cost::derive::process_json(d, rf, &plan.elements);
        }
        refs.insert(rf.name.clone(), entry);
    }
    obj.insert("refineries".into(), Value::Object(refs));
    let mut feed = Vec::new();
    for (si, src) in plan.sources.iter().enumerate() {
        for (r, rf) in plan.refineries.iter().enumerate() {
            if clean(sol.feed[si][r]) > 0.0 {
                feed.push(
                    json!({"source": src.name, "refinery": rf.name, "amount": sol.feed[si][r]}),
                );
            }
        }
    }
    let mut products = Vec::new();
    for (r, rf) in plan.refineries.iter().enumerate() {
        for (k, d) in plan.demand.iter().enumerate() {
            if clean(sol.ship[r][k]) > 0.0 {
                products.push(json!({"refinery": rf.name, "region": plan.regions[d.region].name, "element": plan.elements[d.element], "amount": sol.ship[r][k]}));
            }
        }
    }
    let mut imports_flow = Vec::new();
    let mut imports = Map::new();
    for (i, im) in plan.imports.iter().enumerate() {
        let mut per = Map::new();
        for (e, el) in plan.elements.iter().enumerate() {
            if im.price[e].is_some() {
                let t: f64 = plan
                    .demand
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| d.element == e)
                    .map(|(k, _)| sol.imports[i][k])
                    .sum();
                per.insert(el.clone(), json!(clean(t)));
            }
        }
        imports.insert(im.name.clone(), Value::Object(per));
        for (k, d) in plan.demand.iter().enumerate() {
            if clean(sol.imports[i][k]) > 0.0 {
                imports_flow.push(json!({"import": im.name, "region": plan.regions[d.region].name, "element": plan.elements[d.element], "amount": sol.imports[i][k]}));
            }
        }
    }
    let mut surplus = Map::new();
    for (e, el) in plan.elements.iter().enumerate() {
        let q: f64 = sol.sold.iter().map(|r| r[e]).sum();
        let w: f64 = sol.disposed.iter().map(|r| r[e]).sum();
        surplus.insert(el.clone(), json!({"sold": clean(q), "disposed": clean(w)}));
    }
    obj.insert(
        "flows".into(),
        json!({"feed": feed, "products": products, "imports": imports_flow}),
    );
    obj.insert("imports".into(), Value::Object(imports));
    obj.insert("surplus".into(), Value::Object(surplus));
    let mut served: Map<String, Value> = Map::new();
    let mut unmet: Map<String, Value> = Map::new();
    let mut prices: Map<String, Value> = Map::new();
    for (k, d) in plan.demand.iter().enumerate() {
        let region = plan.regions[d.region].name.clone();
        let el = plan.elements[d.element].clone();
        served.entry(region.clone()).or_insert_with(|| json!({}))[&el] = json!(sol.served(plan, k));
        unmet.entry(region.clone()).or_insert_with(|| json!({}))[&el] = json!(clean(sol.unmet[k]));
        prices.entry(region).or_insert_with(|| json!({}))[&el] = opt(sol.demand_price(k));
    }
    obj.insert("served".into(), Value::Object(served));
    obj.insert("unmet".into(), Value::Object(unmet));
    obj.insert("prices".into(), Value::Object(prices));
    let import_caps = map_by(plan.imports.iter().enumerate().map(|(i, im)| {
        (
            im.name.clone(),
            Value::Object(map_by(
                plan.elements
                    .iter()
                    .enumerate()
                    .filter(|(e, _)| sol.layout.import_cap_row[i][*e].is_some())
                    .map(|(e, el)| (el.clone(), opt(sol.import_cap_value(i, e)))),
            )),
        )
    }));
    obj.insert(
        "shadow_prices".into(),
        json!({
            "refinery_capacity": map_by(plan.refineries.iter().enumerate().map(|(r, rf)| (rf.name.clone(), opt(sol.capacity_value(r))))),
            "source_capacity": map_by(plan.sources.iter().enumerate().map(|(si, src)| (src.name.clone(), opt(sol.source_value(si))))),
            "import_capacity": import_caps,
            "import_share": map_by(plan.elements.iter().enumerate().filter(|(e, _)| sol.layout.share_row[*e].is_some()).map(|(e, el)| (el.clone(), opt(sol.import_share_value(e))))),
            "budget": opt(sol.budget_value()),
            "market": map_by(plan.elements.iter().enumerate().filter(|(e, _)| sol.layout.market_row[*e].is_some()).map(|(e, el)| (el.clone(), opt(sol.market_value(e))))),
        }),
    );
    obj.insert(
        "binding".into(),
        json!(sol
            .binding(plan)
            .iter()
            .map(
                |b| json!({"constraint": row_name(plan, b.kind), "value": b.value, "text": b.text})
            )
            .collect::<Vec<_>>()),
    );
    obj.insert("shortages".into(), json!(sol.shortages(plan)));
    obj.insert("warnings".into(), json!(warnings(plan, Some(sol))));
    obj.insert(
        "stats".into(),
        json!({"variables": sol.n_vars, "rows": sol.n_rows, "integers": sol.n_integer, "build_s": sol.build_s, "solve_s": sol.solve_s}),
    );
    v
}

/// A short machine-readable name of a row, e.g. `refinery_capacity:Lynas Kuantan`.
pub fn row_name(plan: &Plan, kind: RowKind) -> String {
    match kind {
        RowKind::Demand(k) => format!(
            "demand:{}:{}",
            plan.regions[plan.demand[k].region].name, plan.elements[plan.demand[k].element]
        ),
        RowKind::Coupling(r, e) => {
            format!("coupling:{}:{}", plan.refineries[r].name, plan.elements[e])
        }
        RowKind::Balance(r, e) => {
            format!("balance:{}:{}", plan.refineries[r].name, plan.elements[e])
        }
        RowKind::SourceCapacity(s) => format!("source_capacity:{}", plan.sources[s].name),
        RowKind::RefineryCapacity(r) => format!("refinery_capacity:{}", plan.refineries[r].name),
        RowKind::MaxNew(r) => format!("max_new:{}", plan.refineries[r].name),
        RowKind::Modules(r) => format!("modules:{}", plan.refineries[r].name),
        RowKind::ImportCapacity(i, e) => format!(
            "import_capacity:{}:{}",
            plan.imports[i].name, plan.elements[e]
        ),
        RowKind::ImportShare(e) => format!("import_share:{}", plan.elements[e]),
        RowKind::Budget => "budget".to_string(),
        RowKind::Market(e) => format!("market:{}", plan.elements[e]),
        RowKind::FairShare(k) => format!(
            "fair_share:{}:{}",
            plan.regions[plan.demand[k].region].name, plan.elements[plan.demand[k].element]
        ),
    }
}

/// One CSV record: `table, from, to, element, value`.
pub type CsvRecord = (&'static str, String, String, String, f64);

/// Long-format records of one scenario (empty for an unsolved one, apart
/// from its status).
pub fn csv_records(plan: &Plan, outcome: &Outcome) -> Vec<CsvRecord> {
    let mut out: Vec<CsvRecord> = Vec::new();
    let e = String::new;
    let Outcome::Solved(sol) = outcome else {
        out.push(("status", "infeasible_or_failed".into(), e(), e(), f64::NAN));
        return out;
    };
    let sol = &sol.cleaned(plan);
    out.push(("objective", e(), e(), e(), sol.objective));
    let c = &sol.costs;
    for (name, v) in [
        ("sources", c.sources),
        ("transport", c.transport),
        ("opex", c.opex),
        ("capex_annualised", c.capex_annualised),
        ("imports", c.imports),
        ("disposal", c.disposal),
        ("sales", -c.sales),
        ("unmet_penalty", c.unmet_penalty),
    ] {
        out.push(("cost", name.into(), e(), e(), v));
    }
    for (r, rf) in plan.refineries.iter().enumerate() {
        out.push((
            "build",
            rf.name.clone(),
            plan.regions[rf.region].name.clone(),
            e(),
            clean(sol.new[r]),
        ));
        if let Some(v) = sol.capacity_value(r) {
            out.push(("capacity_value", rf.name.clone(), e(), e(), clean(v)));
        }
        for (ei, el) in plan.elements.iter().enumerate() {
            for (what, table) in [
                ("output", &sol.output),
                ("surplus_sold", &sol.sold),
                ("surplus_disposed", &sol.disposed),
            ] {
                if clean(table[r][ei]) > 0.0 {
                    out.push((what, rf.name.clone(), e(), el.clone(), table[r][ei]));
                }
            }
        }
    }
    for (si, src) in plan.sources.iter().enumerate() {
        for (r, rf) in plan.refineries.iter().enumerate() {
            if clean(sol.feed[si][r]) > 0.0 {
                out.push((
                    "feed",
                    src.name.clone(),
                    rf.name.clone(),
                    e(),
                    sol.feed[si][r],
                ));
            }
        }
        if let Some(v) = sol.source_value(si) {
            out.push(("source_value", src.name.clone(), e(), e(), clean(v)));
        }
    }
    for (k, d) in plan.demand.iter().enumerate() {
        let region = plan.regions[d.region].name.clone();
        let el = plan.elements[d.element].clone();
        for (r, rf) in plan.refineries.iter().enumerate() {
            if clean(sol.ship[r][k]) > 0.0 {
                out.push((
                    "product",
                    rf.name.clone(),
                    region.clone(),
                    el.clone(),
                    sol.ship[r][k],
                ));
            }
        }
        for (i, im) in plan.imports.iter().enumerate() {
            if clean(sol.imports[i][k]) > 0.0 {
                out.push((
                    "import",
                    im.name.clone(),
                    region.clone(),
                    el.clone(),
                    sol.imports[i][k],
                ));
            }
        }
        out.push((
            "served",
            e(),
            region.clone(),
            el.clone(),
            sol.served(plan, k),
        ));
        out.push((
            "unmet",
            e(),
            region.clone(),
            el.clone(),
            clean(sol.unmet[k]),
        ));
        if let Some(p) = sol.demand_price(k) {
            out.push(("price", e(), region, el, clean(p)));
        }
    }
    for (i, im) in plan.imports.iter().enumerate() {
        for (ei, el) in plan.elements.iter().enumerate() {
            if let Some(v) = sol.import_cap_value(i, ei) {
                out.push((
                    "import_cap_value",
                    im.name.clone(),
                    e(),
                    el.clone(),
                    clean(v),
                ));
            }
        }
    }
    for (ei, el) in plan.elements.iter().enumerate() {
        if let Some(v) = sol.import_share_value(ei) {
            out.push(("import_share_value", e(), e(), el.clone(), clean(v)));
        }
    }
    if let Some(v) = sol.budget_value() {
        out.push(("budget_value", e(), e(), e(), clean(v)));
    }
    out
}

/// A CSV number: rounded to 6 decimals (micro-tonnes, micro-units of
/// currency), so that solver noise does not show as 437.4999999998; empty
/// for a missing value.
pub fn csv_num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x.abs() >= 1e12 {
        return format!("{x}");
    }
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 {
        "0".to_string()
    } else {
        format!("{r}")
    }
}

/// Quotes a CSV field when needed (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The side-by-side text comparison of several scenarios of one plan.
pub fn compare_text(runs: &[(String, Option<String>, Plan, Outcome)]) -> String {
    let mut o = String::new();
    let Some((_, _, first, _)) = runs.first() else {
        return o;
    };
    let cur = &first.currency;
    let _ = writeln!(o, "Plan: {} ({} scenarios)", first.name, runs.len());
    for (name, desc, _, _) in runs {
        if let Some(d) = desc {
            let _ = writeln!(o, "  {name}: {d}");
        }
    }
    let mut headers = vec![s("")];
    headers.extend(runs.iter().map(|r| r.0.clone()));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut add = |label: String, f: &dyn Fn(&Plan, &Solution) -> String| {
        let mut row = vec![label];
        for (_, _, plan, out) in runs {
            row.push(match out {
                Outcome::Solved(sol) => f(plan, &sol.cleaned(plan)),
                Outcome::Infeasible(_) => "infeasible".into(),
                Outcome::Failed { .. } => "failed".into(),
            });
        }
        rows.push(row);
    };
    let rel = |x: f64, s: &Solution| {
        num(if x.abs() < 1e-9 * s.objective.abs().max(1.0) {
            0.0
        } else {
            x
        })
    };
    add(format!("annual cost ({cur}/yr)"), &|_, s| num(s.objective));
    add(s("  capex annualised"), &|_, s| {
        rel(s.costs.capex_annualised, s)
    });
    add(s("  imports"), &|_, s| rel(s.costs.imports, s));
    add(s("  unmet penalty"), &|_, s| rel(s.costs.unmet_penalty, s));
    add(format!("capex total ({cur})"), &|_, s| num(s.capex_total));
    for rf in &first.refineries {
        if rf.max_new > 0.0 {
            let name = rf.name.clone();
            add(
                format!("build {} (t/yr)", rf.name),
                &move |p: &Plan, s: &Solution| {
                    p.refineries
                        .iter()
                        .position(|r| r.name == name)
                        .map_or("-".into(), |r| num(clean(s.new[r])))
                },
            );
        }
    }
    for (e, el) in first.elements.iter().enumerate() {
        if first.alliance_demand(e) <= 0.0 && !first.demand.iter().any(|d| d.element == e) {
            continue;
        }
        let el2 = el.clone();
        if first.imports.iter().any(|im| im.price[e].is_some()) {
            add(
                format!("{el}: imported (t/yr)"),
                &move |p: &Plan, s: &Solution| {
                    let Some(e) = p.element_index(&el2) else {
                        return "-".into();
                    };
                    num(clean(
                        (0..p.demand.len())
                            .filter(|&k| p.demand[k].element == e)
                            .map(|k| s.imports.iter().map(|i| i[k]).sum::<f64>())
                            .sum(),
                    ))
                },
            );
        }
        let el2 = el.clone();
        add(
            format!("{el}: served, allied (min)"),
            &move |p: &Plan, s: &Solution| {
                let Some(e) = p.element_index(&el2) else {
                    return "-".into();
                };
                let m = (0..p.demand.len())
                    .filter(|&k| p.demand[k].element == e && p.regions[p.demand[k].region].allied)
                    .map(|k| s.served(p, k))
                    .fold(f64::INFINITY, f64::min);
                if m.is_finite() {
                    format!("{:.1}%", 100.0 * m)
                } else {
                    "-".into()
                }
            },
        );
        let el2 = el.clone();
        add(
            format!("{el}: marginal cost ({cur}/t, mean)"),
            &move |p: &Plan, s: &Solution| {
                let Some(e) = p.element_index(&el2) else {
                    return "-".into();
                };
                let (mut sum, mut w) = (0.0, 0.0);
                for k in (0..p.demand.len()).filter(|&k| p.demand[k].element == e) {
                    if let Some(pr) = s.demand_price(k) {
                        let weight = p.demand[k].amount.max(1e-12);
                        sum += pr * weight;
                        w += weight;
                    }
                }
                if w > 0.0 {
                    num(clean(sum / w))
                } else {
                    "-".into()
                }
            },
        );
    }
    add(s("binding constraints"), &|p, s| {
        s.binding(p).len().to_string()
    });
    o.push_str(&table(&headers, &rows));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(num(1234567.4), "1,234,567");
        assert_eq!(num(-1234.6), "-1,234.6");
        assert_eq!(num(-12345.6), "-12,346");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(437.499999999), "437.5");
        assert_eq!(num(2040.0), "2,040");
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(0.012346), "0.01235");
        assert_eq!(num(1e-12), "0");
        assert_eq!(num(f64::INFINITY), "unlimited");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn aligns_tables() {
        let t = table(&[s("a"), s("bb")], &[vec![s("xyz"), s("1")]]);
        assert_eq!(t, "  a    bb\n  -------\n  xyz   1\n");
    }
}
