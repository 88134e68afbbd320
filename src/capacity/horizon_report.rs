//! The report of a horizon plan: [`HorizonReport`] is computed once from
//! the [`Analysis`] (and the marginal [`Values`] when asked for); the text
//! and the JSON are renderings of it.

use super::horizon::{Analysis, Horizon, Sooner, Values};
use super::report::Named;
use serde::{Serialize, Serializer};

/// A number for the horizon tables: solver noise (|x| < 5e-7) as 0, two
/// decimals, scientific notation from a million up.
fn fmt(x: f64) -> String {
    let r = if x.abs() < 5e-7 { 0.0 } else { x };
    if r.abs() >= 1e6 {
        format!("{r:.4e}")
    } else {
        format!("{r:.2}")
    }
}

/// The report of a horizon plan.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum HorizonReport {
    /// The stochastic optimum was found.
    Solved(Box<SolvedHorizon>),
    /// It was not.
    Failed(FailedHorizon),
}

/// A horizon plan that did not solve.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FailedHorizon {
    /// Plan name.
    pub name: String,
    /// `failed`.
    pub status: &'static str,
    /// Why.
    pub message: String,
    /// Calendar years.
    pub years: Vec<i64>,
    /// The headline of the text report.
    #[serde(skip)]
    pub title: String,
}

/// New capacity of one refinery, year by year.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BuildOut {
    /// Refinery.
    pub refinery: String,
    /// New capacity decided per year, t/yr.
    pub new: Vec<f64>,
    /// Capacity available per year (first future), t/yr.
    pub capacity: Vec<f64>,
}

/// Alliance supply of every element, year by year, by origin.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Supply {
    /// From allied refineries.
    pub allied_refining: Named<Vec<f64>>,
    /// From non-allied refineries.
    pub outside_refining: Named<Vec<f64>>,
    /// From imports.
    pub imports: Named<Vec<f64>>,
    /// From stock releases.
    pub stock_release: Named<Vec<f64>>,
    /// Unmet.
    pub unmet: Named<Vec<f64>>,
}

/// A stockpile's level at the end of each year.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct StockLevel {
    /// Region holding it.
    pub region: String,
    /// Element stored.
    pub element: String,
    /// Level per year, t.
    pub level: Vec<f64>,
}

/// One future under the stochastic optimum.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FutureReport {
    /// Name.
    pub name: String,
    /// Probability.
    pub probability: f64,
    /// Discounted cost in this future.
    pub cost: f64,
    /// Its cost when planned for alone (None: infeasible).
    pub deterministic_cost: Option<f64>,
    /// Supply by origin.
    pub supply: Supply,
    /// Stock levels.
    pub stock: Vec<StockLevel>,
    /// First year from which each element needs nothing from outside.
    pub years_to_independence: Named<Option<i64>>,
}

/// A horizon plan's stochastic optimum and what it is worth.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SolvedHorizon {
    /// Plan name.
    pub name: String,
    /// `solved`.
    pub status: &'static str,
    /// Currency.
    pub currency: String,
    /// Calendar years.
    pub years: Vec<i64>,
    /// Expected discounted cost.
    pub expected_cost: f64,
    /// Probability-weighted deterministic optima.
    pub wait_and_see: Option<f64>,
    /// The reference future.
    pub reference: String,
    /// The reference future's plan across the futures.
    pub reference_expected_cost: Option<f64>,
    /// Value of the stochastic solution.
    pub value_of_stochastic_solution: Option<f64>,
    /// Value of the stockpiles.
    pub value_of_stockpiles: Option<f64>,
    /// Build-out per refinery.
    pub build: Vec<BuildOut>,
    /// Every future.
    pub futures: Vec<FutureReport>,
    /// Marginal values (`--marginal`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marginal: Option<MarginalReport>,
    /// The headline of the text report.
    #[serde(skip)]
    pub title: String,
    /// Whether the plan has stockpiles.
    #[serde(skip)]
    pub has_stockpiles: bool,
    /// Elements with alliance demand (those whose independence is told).
    #[serde(skip)]
    pub demanded: Vec<bool>,
}

/// A marginal value: infinite when no step is feasible, `None` when the
/// re-solves failed (JSON: `"infeasible"`, null).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginalValue(pub Option<f64>);

impl Serialize for MarginalValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(x) if x.is_finite() => s.serialize_f64(x),
            Some(_) => s.serialize_str("infeasible"),
            None => s.serialize_none(),
        }
    }
}

/// One marginal value of a horizon plan.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct MarginalRow {
    /// What grows by one unit.
    pub what: String,
    /// Calendar year (None: every year).
    pub year: Option<i64>,
    /// `d cost / d rhs`.
    pub value: MarginalValue,
    /// For demand: the price in that year's money.
    pub in_year_money: Option<f64>,
}

/// The extra cost of independence from a year.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SoonerFrom {
    /// Calendar year.
    pub year: i64,
    /// Extra expected discounted cost (`"infeasible"` when impossible).
    #[serde(serialize_with = "cost_or_infeasible")]
    pub extra_cost: Option<f64>,
}

fn cost_or_infeasible<S: Serializer>(c: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_f64(*c),
        None => s.serialize_str("infeasible"),
    }
}

/// The cost of independence sooner, for one element.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SoonerReport {
    /// Element.
    pub element: String,
    /// Year of independence at the optimum.
    pub optimum_year: Option<i64>,
    /// Extra cost per earlier year.
    pub from: Vec<SoonerFrom>,
}

/// Marginal values of a horizon plan, or why they are missing.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum MarginalReport {
    /// Computed.
    Values {
        /// What the values are.
        convention: &'static str,
        /// Every value.
        values: Vec<MarginalRow>,
        /// The cost of independence sooner, per element.
        independence_sooner: Vec<SoonerReport>,
    },
    /// The re-solves failed.
    Failed {
        /// `failed`.
        status: &'static str,
        /// Why.
        message: String,
    },
}

impl MarginalReport {
    fn new(h: &Horizon, v: &Result<Values, String>) -> Self {
        let v = match v {
            Ok(v) => v,
            Err(e) => {
                return MarginalReport::Failed {
                    status: "failed",
                    message: e.clone(),
                }
            }
        };
        MarginalReport::Values {
            convention: "d expected discounted cost / d right-hand side, one-sided (one more unit)",
            values: v
                .marginal
                .iter()
                .map(|m| MarginalRow {
                    what: m.what.clone(),
                    year: m.year,
                    value: MarginalValue(m.value),
                    in_year_money: m.in_year_money,
                })
                .collect(),
            independence_sooner: v
                .sooner
                .iter()
                .map(
                    |Sooner {
                         element,
                         optimum,
                         from,
                     }| SoonerReport {
                        element: h.plan.elements[*element].clone(),
                        optimum_year: optimum.map(|y| h.year(y)),
                        from: from
                            .iter()
                            .map(|(y, c)| SoonerFrom {
                                year: h.year(*y),
                                extra_cost: *c,
                            })
                            .collect(),
                    },
                )
                .collect(),
        }
    }

    fn text(&self, cur: &str) -> String {
        let (values, sooner) = match self {
            MarginalReport::Values {
                values,
                independence_sooner,
                ..
            } => (values, independence_sooner),
            MarginalReport::Failed { message, .. } => {
                return format!("\nMarginal values: not computed: {message}\n")
            }
        };
        let mut s = "\nMarginal values (d expected discounted cost / d one more unit, one-sided; negative: relaxing saves)\n".to_string();
        for m in values {
            let label = match m.year {
                Some(y) => format!("{} {y}", m.what),
                None => m.what.clone(),
            };
            let value = match m.value.0 {
                None => "n/a (re-solve failed)".to_string(),
                Some(x) if x.is_infinite() => "infeasible".to_string(),
                Some(x) => fmt(x),
            };
            s.push_str(&format!("  {label:<44} {value:>14}"));
            if let Some(p) = m.in_year_money {
                s.push_str(&format!("  ({} {cur}/t in that year's money)", fmt(p)));
            }
            s.push('\n');
        }
        s.push_str("\nCost of independence sooner (extra expected discounted cost; zero outside supply and nothing unmet from that year on, every future)\n");
        for so in sooner {
            let at = so
                .optimum_year
                .map_or("never within the horizon".to_string(), |y| y.to_string());
            s.push_str(&format!("  {} (optimum: {at}):", so.element));
            if so.from.is_empty() {
                s.push_str(" independent from the first year");
            }
            for f in &so.from {
                match f.extra_cost {
                    Some(c) => s.push_str(&format!(" from {} +{};", f.year, fmt(c))),
                    None => s.push_str(&format!(" from {} infeasible;", f.year)),
                }
            }
            s.push('\n');
        }
        s
    }
}

impl HorizonReport {
    /// The report of `a`, the analysis of `h`, with the marginal values
    /// `values` when they were computed.
    pub fn new(h: &Horizon, a: &Analysis, values: Option<&Result<Values, String>>) -> Self {
        let plan = &h.plan;
        let years: Vec<i64> = (0..h.years).map(|y| h.year(y)).collect();
        let title = format!(
            "Horizon plan: {} ({}-{}, {} future{}, discount rate {})\n",
            plan.name,
            h.first_year,
            h.year(h.years - 1),
            h.futures.len(),
            if h.futures.len() == 1 { "" } else { "s" },
            plan.policy.discount_rate
        );
        let opt = match &a.optimum {
            Ok(o) => o,
            Err(e) => {
                return HorizonReport::Failed(FailedHorizon {
                    name: plan.name.clone(),
                    status: "failed",
                    message: e.clone(),
                    years,
                    title,
                })
            }
        };
        let futures = h
            .futures
            .iter()
            .zip(&opt.futures)
            .enumerate()
            .map(|(f, (fu, r))| {
                let by_el = |m: &Vec<Vec<f64>>| -> Named<Vec<f64>> {
                    plan.elements
                        .iter()
                        .enumerate()
                        .map(|(e, el)| (el.clone(), m[e].clone()))
                        .collect()
                };
                FutureReport {
                    name: fu.name.clone(),
                    probability: fu.probability,
                    cost: r.cost,
                    deterministic_cost: a.deterministic[f].as_ref().ok().map(|d| d.objective),
                    supply: Supply {
                        allied_refining: by_el(&r.refined),
                        outside_refining: by_el(&r.outside_refined),
                        imports: by_el(&r.imported),
                        stock_release: by_el(&r.released),
                        unmet: by_el(&r.unmet),
                    },
                    stock: h
                        .stockpiles
                        .iter()
                        .enumerate()
                        .map(|(p, sp)| StockLevel {
                            region: plan.regions[sp.region].name.clone(),
                            element: plan.elements[sp.element].clone(),
                            level: r.stock[p].clone(),
                        })
                        .collect(),
                    years_to_independence: plan
                        .elements
                        .iter()
                        .enumerate()
                        .map(|(e, el)| (el.clone(), r.independence(e).map(|y| h.year(y))))
                        .collect(),
                }
            })
            .collect();
        HorizonReport::Solved(Box::new(SolvedHorizon {
            name: plan.name.clone(),
            status: "solved",
            currency: plan.currency.clone(),
            years,
            expected_cost: opt.objective,
            wait_and_see: a.wait_and_see(h),
            reference: h.futures[h.reference].name.clone(),
            reference_expected_cost: a.reference_expected,
            value_of_stochastic_solution: a.vss(),
            value_of_stockpiles: a.stockpile_value(),
            build: plan
                .refineries
                .iter()
                .enumerate()
                .map(|(r, rf)| BuildOut {
                    refinery: rf.name.clone(),
                    new: opt.first.build[r].clone(),
                    capacity: opt.futures[0].capacity[r].clone(),
                })
                .collect(),
            futures,
            marginal: values.map(|v| MarginalReport::new(h, v)),
            title,
            has_stockpiles: !h.stockpiles.is_empty(),
            demanded: (0..plan.elements.len())
                .map(|e| plan.alliance_demand(e) > 0.0)
                .collect(),
        }))
    }

    /// The JSON object (pretty-printed, with a final newline).
    pub fn to_json(&self) -> String {
        super::report::pretty(self)
    }

    /// The text report.
    pub fn to_text(&self) -> String {
        let r = match self {
            HorizonReport::Failed(f) => {
                return format!("{}status: not solved: {}\n", f.title, f.message)
            }
            HorizonReport::Solved(r) => r,
        };
        let mut s = r.title.clone();
        s.push_str(&format!(
            "expected discounted cost: {} {}\n",
            fmt(r.expected_cost),
            r.currency
        ));
        if r.futures.len() > 1 {
            for fu in &r.futures {
                let det = fu.deterministic_cost.map_or("infeasible".to_string(), fmt);
                s.push_str(&format!(
                    "  future {:<16} p={:<5} cost {}  (planned for alone: {det})\n",
                    fu.name,
                    fu.probability,
                    fmt(fu.cost)
                ));
            }
            let opt_s = |v: Option<f64>| v.map_or("n/a (infeasible)".to_string(), fmt);
            s.push_str(&format!(
                "wait-and-see bound: {}\nreference plan ({}) across the futures: {}\nvalue of the stochastic solution: {}\n",
                opt_s(r.wait_and_see),
                r.reference,
                opt_s(r.reference_expected_cost),
                opt_s(r.value_of_stochastic_solution)
            ));
        }
        if r.has_stockpiles {
            s.push_str(&format!(
                "value of the stockpiles (cost without minus with): {}\n",
                r.value_of_stockpiles
                    .map_or("n/a (infeasible without)".to_string(), fmt)
            ));
        }
        let header = |s: &mut String, label: &str| {
            s.push_str(&format!("{label:<28}"));
            for y in &r.years {
                s.push_str(&format!(" {y:>10}"));
            }
            s.push('\n');
        };
        let row = |s: &mut String, label: String, xs: &[f64]| {
            s.push_str(&format!("{label:<28}"));
            for x in xs {
                s.push_str(&format!(" {:>10}", fmt(*x)));
            }
            s.push('\n');
        };
        s.push_str("\nBuild-out (new t/yr decided per year; capacity available)\n");
        header(&mut s, "refinery");
        for b in &r.build {
            if b.new.iter().all(|x| x.abs() < 1e-9) {
                continue;
            }
            row(&mut s, format!("{} build", b.refinery), &b.new);
            row(&mut s, format!("{} capacity", b.refinery), &b.capacity);
        }
        for fu in &r.futures {
            s.push_str(&format!("\nFuture {} (t per year)\n", fu.name));
            header(&mut s, "supply");
            let sp = &fu.supply;
            for (e, (el, _)) in sp.allied_refining.iter().enumerate() {
                for (label, rows) in [
                    ("allied refining", &sp.allied_refining),
                    ("outside refining", &sp.outside_refining),
                    ("imports", &sp.imports),
                    ("stock release", &sp.stock_release),
                    ("unmet", &sp.unmet),
                ] {
                    let xs = &rows.iter().nth(e).expect("one row per element").1;
                    if xs.iter().all(|x| x.abs() < 1e-9) {
                        continue;
                    }
                    row(&mut s, format!("{el} {label}"), xs);
                }
            }
            for st in &fu.stock {
                row(
                    &mut s,
                    format!("stock {} {} (end)", st.region, st.element),
                    &st.level,
                );
            }
            s.push_str("years to independence:");
            for (e, (el, year)) in fu.years_to_independence.iter().enumerate() {
                if !r.demanded[e] {
                    continue;
                }
                match year {
                    Some(y) => s.push_str(&format!(" {el} {y}")),
                    None => s.push_str(&format!(" {el} never within the horizon")),
                }
                s.push(';');
            }
            s.push('\n');
        }
        if let Some(m) = &r.marginal {
            s.push_str(&m.text(&r.currency));
        }
        s
    }
}
