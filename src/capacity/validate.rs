//! Raw schema -> validated [`Plan`]: resolves names, checks every number,
//! fills in defaults. All problems are collected, not just the first.

use super::plan::{crf, Backend, Demand, Import, Plan, Policy, Refinery, Region, Source, Surplus};
use super::schema::RawPlan;
use crate::input::fmt_num;
use crate::input::locate::KeyPath;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One validation problem, located by key path.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanIssue {
    /// Where the value is.
    pub path: KeyPath,
    /// The value as written.
    pub value: String,
    /// What was expected.
    pub expected: String,
}

struct V {
    problems: Vec<PlanIssue>,
}

impl V {
    fn bad(&mut self, path: KeyPath, value: impl ToString, expected: impl Into<String>) {
        self.problems.push(PlanIssue {
            path,
            value: value.to_string(),
            expected: expected.into(),
        });
    }

    /// A finite number >= 0.
    fn nonneg(&mut self, path: KeyPath, x: f64, what: &str) -> f64 {
        if !x.is_finite() || x < 0.0 {
            self.bad(
                path,
                fmt_num(x),
                format!("a finite non-negative number ({what})"),
            );
            0.0
        } else {
            x
        }
    }

    fn check(&mut self, ok: bool, path: KeyPath, x: f64, expected: &str) -> bool {
        if !ok || !x.is_finite() {
            self.bad(path, fmt_num(x), expected);
            false
        } else {
            true
        }
    }
}

fn list(names: &[String]) -> String {
    const MAX: usize = 12;
    let mut s = names
        .iter()
        .take(MAX)
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX {
        s.push_str(&format!(", ... ({} in all)", names.len()));
    }
    s
}

/// Reads a number-or-per-element table (`0.5` or `{ default = 0.5, Dy = 0 }`)
/// into one optional value per element. Elements not named take `default`,
/// or `absent` when there is no default.
fn element_map(
    v: &mut V,
    path: &KeyPath,
    value: Option<&toml::Value>,
    elements: &[String],
    absent: Option<f64>,
    ok: &dyn Fn(f64) -> bool,
    expected: &str,
) -> Vec<Option<f64>> {
    let mut out = vec![absent; elements.len()];
    let Some(value) = value else { return out };
    let num = |x: &toml::Value| match x {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    };
    match value {
        toml::Value::Table(t) => {
            if let Some(d) = t.get("default") {
                match num(d) {
                    Some(x) if ok(x) && x.is_finite() => out = vec![Some(x); elements.len()],
                    Some(x) => v.bad(path.key("default"), fmt_num(x), expected),
                    None => v.bad(path.key("default"), d, expected),
                }
            }
            for (k, x) in t {
                if k == "default" {
                    continue;
                }
                let p = path.key(k);
                let Some(e) = elements.iter().position(|n| n == k) else {
                    v.bad(
                        p,
                        k,
                        format!(
                            "`default` or one of the plan's elements: {}",
                            list(elements)
                        ),
                    );
                    continue;
                };
                match num(x) {
                    Some(x) if ok(x) && x.is_finite() => out[e] = Some(x),
                    Some(x) => v.bad(p, fmt_num(x), expected),
                    None => v.bad(p, x, expected),
                }
            }
        }
        other => match num(other) {
            Some(x) if ok(x) && x.is_finite() => out = vec![Some(x); elements.len()],
            Some(x) => v.bad(path.clone(), fmt_num(x), expected),
            None => v.bad(
                path.clone(),
                other,
                format!("{expected}, or a table {{ default = .., El = .. }}"),
            ),
        },
    }
    out
}

/// Reads a plain per-element table (`{ Nd = 1, Dy = 2 }`).
fn element_table(
    v: &mut V,
    path: &KeyPath,
    table: &BTreeMap<String, f64>,
    elements: &[String],
    what: &str,
) -> Vec<Option<f64>> {
    let mut out = vec![None; elements.len()];
    for (k, &x) in table {
        let p = path.key(k);
        let Some(e) = elements.iter().position(|n| n == k) else {
            v.bad(
                p,
                k,
                format!("one of the plan's elements: {}", list(elements)),
            );
            continue;
        };
        out[e] = Some(v.nonneg(p, x, what));
    }
    out
}

/// Validates a raw plan. `name_fallback` names the plan when the file has no
/// `name`.
pub fn validate(raw: &RawPlan, name_fallback: &str) -> Result<Plan, Vec<PlanIssue>> {
    let mut v = V {
        problems: Vec::new(),
    };
    let root = KeyPath::root();

    // Elements.
    let elements = raw.elements.clone();
    if elements.is_empty() {
        v.bad(root.key("elements"), "[]", "at least one element name");
    }
    let mut seen = HashSet::new();
    for (i, e) in elements.iter().enumerate() {
        if e.trim().is_empty() {
            v.bad(
                root.key("elements").index(i),
                format!("\"{e}\""),
                "a non-empty element name",
            );
        } else if !seen.insert(e.as_str()) {
            v.bad(
                root.key("elements").index(i),
                format!("\"{e}\""),
                "unique element names (this one is listed twice)",
            );
        }
    }
    let el_index: HashMap<&str, usize> = elements
        .iter()
        .enumerate()
        .map(|(i, e)| (e.as_str(), i))
        .collect();

    // Regions.
    if raw.region.is_empty() {
        v.bad(root.key("region"), "(none)", "at least one [[region]]");
    }
    let mut regions = Vec::new();
    let mut reg_index: HashMap<&str, usize> = HashMap::new();
    for (i, r) in raw.region.iter().enumerate() {
        if reg_index.insert(r.name.as_str(), i).is_some() {
            v.bad(
                root.key("region").index(i).key("name"),
                format!("\"{}\"", r.name),
                "unique region names (this one is defined twice)",
            );
        }
        regions.push(Region {
            name: r.name.clone(),
            allied: r.allied.unwrap_or(true),
        });
    }
    let region_names: Vec<String> = raw.region.iter().map(|r| r.name.clone()).collect();
    let region = |v: &mut V, path: KeyPath, name: &str| -> usize {
        match reg_index.get(name) {
            Some(&i) => i,
            None => {
                v.bad(
                    path,
                    format!("\"{name}\""),
                    format!("one of the [[region]] names: {}", list(&region_names)),
                );
                0
            }
        }
    };

    // Sources.
    let mut sources = Vec::new();
    let mut names = HashSet::new();
    for (i, s) in raw.source.iter().enumerate() {
        let p = root.key("source").index(i);
        if !names.insert(s.name.as_str()) {
            v.bad(
                p.key("name"),
                format!("\"{}\"", s.name),
                "unique source names (this one is defined twice)",
            );
        }
        let reg = region(&mut v, p.key("region"), &s.region);
        let capacity = v.nonneg(p.key("capacity"), s.capacity, "t REO per year");
        let cost = v.nonneg(p.key("cost"), s.cost, "cost per t REO");
        let mut assay = vec![0.0; elements.len()];
        let mut sum = 0.0;
        for (k, &x) in &s.assay {
            let pk = p.key("assay").key(k);
            match el_index.get(k.as_str()) {
                Some(&e) => {
                    if v.check(
                        (0.0..=1.0).contains(&x),
                        pk,
                        x,
                        "a fraction of the REO in [0, 1]",
                    ) {
                        assay[e] = x;
                        sum += x;
                    }
                }
                None => v.bad(
                    pk,
                    k,
                    format!("one of the plan's elements: {}", list(&elements)),
                ),
            }
        }
        if sum > 1.0 + 1e-9 {
            v.bad(
                p.key("assay"),
                format!("fractions summing to {sum}"),
                format!("fractions that sum to at most 1 (source \"{}\"; the rest is REO the plan does not track)", s.name),
            );
        }
        sources.push(Source {
            name: s.name.clone(),
            region: reg,
            capacity,
            cost,
            assay,
        });
    }

    // Policy (needed for refineries' annualised capex).
    let pol = raw.policy.as_ref();
    let pp = root.key("policy");
    let capex_factor = match pol.and_then(|p| p.capex_factor) {
        Some(x)
            if v.check(
                x >= 0.0,
                pp.key("capex_factor"),
                x,
                "a non-negative multiplier on capex (1 = as written)",
            ) =>
        {
            x
        }
        _ => 1.0,
    };
    let needs_rate = raw
        .refinery
        .iter()
        .any(|r| r.max_new > 0.0 && (r.capex > 0.0 || r.process.is_some()));
    let discount_rate = match pol.and_then(|p| p.discount_rate) {
        Some(r) => {
            if v.check(
                r > -1.0 && r < 1.0,
                pp.key("discount_rate"),
                r,
                "a discount rate in (-1, 1), e.g. 0.08",
            ) {
                r
            } else {
                0.0
            }
        }
        None => {
            if needs_rate {
                v.bad(pp.key("discount_rate"), "(missing)", "a discount rate in (-1, 1) to annualise the capex of new capacity, e.g. policy.discount_rate = 0.08");
            }
            0.0
        }
    };

    // Refineries.
    let mut refineries = Vec::new();
    let mut names = HashSet::new();
    for (i, r) in raw.refinery.iter().enumerate() {
        let p = root.key("refinery").index(i);
        if !names.insert(r.name.as_str()) {
            v.bad(
                p.key("name"),
                format!("\"{}\"", r.name),
                "unique refinery names (this one is defined twice)",
            );
        }
        let reg = region(&mut v, p.key("region"), &r.region);
        let existing = v.nonneg(p.key("existing"), r.existing, "t REO feed per year");
        let max_new = v.nonneg(p.key("max_new"), r.max_new, "t REO feed per year");
        let capex = v.nonneg(p.key("capex"), r.capex, "cost per t/yr of new capacity");
        let opex = v.nonneg(p.key("opex"), r.opex, "cost per t REO processed");
        let recovery = match r.recovery {
            Some(x) => {
                if v.check(
                    x > 0.0 && x <= 1.0,
                    p.key("recovery"),
                    x,
                    "a recovery fraction in (0, 1]",
                ) {
                    x
                } else {
                    1.0
                }
            }
            // derived from the process (crate::capacity::process::apply_processes)
            None if r.process.is_some() => 1.0,
            None => {
                v.bad(
                    p.key("recovery"),
                    "(missing)",
                    "a recovery fraction in (0, 1], or a costed `process` model",
                );
                1.0
            }
        };
        if r.process.is_some() && (r.capex != 0.0 || r.opex != 0.0) {
            v.bad(
                p.key(if r.capex != 0.0 { "capex" } else { "opex" }),
                fmt_num(if r.capex != 0.0 { r.capex } else { r.opex }),
                "no capex or opex beside `process` (the process derives both)",
            );
        }
        let lifetime = match r.lifetime {
            Some(n) => {
                if v.check(n > 0.0, p.key("lifetime"), n, "a lifetime in years > 0") {
                    n
                } else {
                    1.0
                }
            }
            None => {
                if max_new > 0.0 && (capex > 0.0 || r.process.is_some()) {
                    v.bad(
                        p.key("lifetime"),
                        "(missing)",
                        format!(
                            "a lifetime in years to annualise the capex of refinery \"{}\"",
                            r.name
                        ),
                    );
                }
                1.0
            }
        };
        let module = match r.module {
            Some(m) => {
                if !v.check(m > 0.0, p.key("module"), m, "a module size in t/yr > 0") {
                    None
                } else if m > max_new + 1e-9 {
                    v.bad(p.key("module"), fmt_num(m), format!("a module size no larger than max_new = {max_new} (else no module can be built)"));
                    None
                } else {
                    Some(m)
                }
            }
            None => None,
        };
        let capex = capex * capex_factor;
        refineries.push(Refinery {
            name: r.name.clone(),
            region: reg,
            existing,
            max_new,
            capex,
            lifetime,
            annualised_capex: capex * crf(discount_rate, lifetime),
            opex,
            recovery,
            module,
            element_recovery: None,
            process: None,
        });
    }

    // Imports.
    let mut imports = Vec::new();
    let mut names = HashSet::new();
    for (i, im) in raw.import.iter().enumerate() {
        let p = root.key("import").index(i);
        let name = im.name.clone().unwrap_or_else(|| im.region.clone());
        if !names.insert(name.clone()) {
            v.bad(
                p.key("name"),
                format!("\"{name}\""),
                "unique import names (give `name` to tell two imports from one region apart)",
            );
        }
        let reg = region(&mut v, p.key("region"), &im.region);
        if reg_index.contains_key(im.region.as_str()) && regions[reg].allied {
            v.bad(p.key("region"), format!("\"{}\"", im.region), "a region that is not allied (imports come from outside the alliance; model allied supply as [[source]] and [[refinery]])");
        }
        let price = element_table(
            &mut v,
            &p.key("price"),
            &im.price,
            &elements,
            "price per t oxide",
        );
        let capacity = element_table(
            &mut v,
            &p.key("capacity"),
            &im.capacity,
            &elements,
            "t oxide per year",
        );
        for (e, c) in capacity.iter().enumerate() {
            if c.is_some() && price[e].is_none() {
                v.bad(p.key("capacity").key(&elements[e]), fmt_num(c.unwrap_or(0.0)), format!("a capacity only for elements with a price (import \"{name}\" has no price for {})", elements[e]));
            }
        }
        imports.push(Import {
            name,
            region: reg,
            price,
            capacity,
        });
    }

    // Demand.
    let mut demand = Vec::new();
    let mut seen_demand: HashMap<(usize, usize), usize> = HashMap::new();
    let carried: Vec<bool> = (0..elements.len())
        .map(|e| {
            !refineries.is_empty() && sources.iter().any(|s| s.assay[e] > 0.0 && s.capacity > 0.0)
        })
        .collect();
    let importable: Vec<bool> = (0..elements.len())
        .map(|e| imports.iter().any(|im| im.price[e].is_some()))
        .collect();
    for (i, d) in raw.demand.iter().enumerate() {
        let p = root.key("demand").index(i);
        let reg = region(&mut v, p.key("region"), &d.region);
        let el = match el_index.get(d.element.as_str()) {
            Some(&e) => e,
            None => {
                v.bad(
                    p.key("element"),
                    format!("\"{}\"", d.element),
                    format!("one of the plan's elements: {}", list(&elements)),
                );
                continue;
            }
        };
        let amount = v.nonneg(p.key("amount"), d.amount, "t oxide per year");
        if let Some(first) = seen_demand.insert((reg, el), i) {
            if reg_index.contains_key(d.region.as_str()) {
                v.bad(p.clone(), format!("{} {}", d.region, d.element), format!("one demand row per region and element (demand[{first}] already gives {} for {})", d.element, d.region));
            }
        }
        if amount > 0.0 && !carried[el] && !importable[el] {
            let why = if refineries.is_empty() {
                "there is no refinery to separate it and no import offers it"
            } else {
                "no source's assay carries it and no import offers it"
            };
            v.bad(
                p.key("element"),
                format!("\"{}\"", d.element),
                format!("an element the plan can supply ({why})"),
            );
        }
        demand.push(Demand {
            region: reg,
            element: el,
            amount,
        });
    }

    // Transport.
    let n = regions.len();
    let (default_t, within_t) = match &raw.transport {
        Some(t) => (
            v.nonneg(
                root.key("transport").key("default"),
                t.default,
                "cost per tonne between regions",
            ),
            v.nonneg(
                root.key("transport").key("within"),
                t.within,
                "cost per tonne within a region",
            ),
        ),
        None => (0.0, 0.0),
    };
    let mut transport = vec![vec![default_t; n]; n];
    for (i, row) in transport.iter_mut().enumerate() {
        row[i] = within_t;
    }
    if let Some(t) = &raw.transport {
        let mut explicit = HashSet::new();
        for (i, r) in t.route.iter().enumerate() {
            let p = root.key("transport").key("route").index(i);
            let a = region(&mut v, p.key("from"), &r.from);
            let b = region(&mut v, p.key("to"), &r.to);
            v.nonneg(p.key("cost"), r.cost, "cost per tonne");
            if !explicit.insert((a, b))
                && reg_index.contains_key(r.from.as_str())
                && reg_index.contains_key(r.to.as_str())
            {
                v.bad(
                    p,
                    format!("{} -> {}", r.from, r.to),
                    "one route per ordered pair of regions (this one is given twice)",
                );
            }
        }
        // Explicit routes first, then reverse directions not given explicitly.
        for r in &t.route {
            if let (Some(&a), Some(&b)) =
                (reg_index.get(r.from.as_str()), reg_index.get(r.to.as_str()))
            {
                if r.cost.is_finite() && r.cost >= 0.0 {
                    transport[a][b] = r.cost;
                    if !explicit.contains(&(b, a)) {
                        transport[b][a] = r.cost;
                    }
                }
            }
        }
    }

    // Surplus.
    let sp = root.key("surplus");
    let surplus = match &raw.surplus {
        Some(s) => {
            let disposal = element_map(
                &mut v,
                &sp.key("disposal"),
                s.disposal.as_ref(),
                &elements,
                Some(0.0),
                &|x| x >= 0.0,
                "a non-negative disposal or storage cost per tonne",
            )
            .into_iter()
            .map(|x| x.unwrap_or(0.0))
            .collect();
            let price = element_table(
                &mut v,
                &sp.key("price"),
                &s.price,
                &elements,
                "sale price per tonne",
            );
            let market = element_table(
                &mut v,
                &sp.key("market"),
                &s.market,
                &elements,
                "t per year",
            );
            for (e, m) in market.iter().enumerate() {
                if m.is_some() && price[e].is_none() {
                    v.bad(sp.key("market").key(&elements[e]), fmt_num(m.unwrap_or(0.0)), format!("a market size only for elements with a sale price (surplus.price has none for {})", elements[e]));
                }
            }
            Surplus {
                disposal,
                price,
                market,
                stated: true,
            }
        }
        None => Surplus {
            disposal: vec![0.0; elements.len()],
            price: vec![None; elements.len()],
            market: vec![None; elements.len()],
            stated: false,
        },
    };

    // Policy.
    let max_import_share = element_map(
        &mut v,
        &pp.key("max_import_share"),
        pol.and_then(|p| p.max_import_share.as_ref()),
        &elements,
        None,
        &|x| (0.0..=1.0).contains(&x),
        "a share of alliance demand in [0, 1]",
    );
    let unmet_penalty = element_map(
        &mut v,
        &pp.key("unmet_penalty"),
        pol.and_then(|p| p.unmet_penalty.as_ref()),
        &elements,
        None,
        &|x| x > 0.0,
        "a penalty per tonne of unmet demand > 0",
    );
    let budget = pol
        .and_then(|p| p.budget)
        .map(|b| v.nonneg(pp.key("budget"), b, "a cap on total capex"));
    let backend = match raw.solver.as_ref().and_then(|s| s.backend.as_deref()) {
        None => Backend::Auto,
        Some(b) => match Backend::parse(b) {
            Some(b) if b.compiled() => b,
            Some(b) => {
                v.bad(
                    root.key("solver").key("backend"),
                    format!("\"{}\"", b.name()),
                    format!(
                        "a backend this sxforge has: {} (it was built without HiGHS; rebuild with --features highs)",
                        Backend::available().join(", ")
                    ),
                );
                Backend::Auto
            }
            None => {
                v.bad(
                    root.key("solver").key("backend"),
                    format!("\"{b}\""),
                    "one of \"auto\", \"clarabel\", \"microlp\", \"highs\"",
                );
                Backend::Auto
            }
        },
    };

    if !v.problems.is_empty() {
        return Err(v.problems);
    }
    Ok(Plan {
        name: raw
            .name
            .clone()
            .unwrap_or_else(|| name_fallback.to_string()),
        currency: raw.currency.clone().unwrap_or_else(|| "USD".to_string()),
        elements,
        regions,
        sources,
        refineries,
        demand,
        imports,
        transport,
        surplus,
        policy: Policy {
            discount_rate,
            max_import_share,
            fair_share: pol.is_some_and(|p| p.fair_share),
            budget,
            unmet_penalty,
            capex_factor,
        },
        backend,
    })
}
