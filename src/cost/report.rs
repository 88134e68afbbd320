//! The cost report as text (every term with its arithmetic), JSON and CSV.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::CostReport;

/// A `simulate` result's JSON (cascade or flowsheet contract) with the cost
/// block of a costed model under `cost`, as `sxforge simulate --json`
/// prints it.
pub fn with_cost_json(mut result: Value, cost: Option<&CostReport>) -> Value {
    if let Some(c) = cost {
        result["cost"] = to_json(c);
    }
    result
}

/// A `simulate` text report followed, after a blank line, by the cost
/// report of a costed model, as `sxforge simulate` prints it.
pub fn with_cost_text(mut report: String, cost: Option<&CostReport>) -> String {
    if let Some(c) = cost {
        report.push('\n');
        report.push_str(&to_text(c));
    }
    report
}

/// Human-readable breakdown: sizing, capex terms, opex terms, products.
pub fn to_text(r: &CostReport) -> String {
    let mut s = String::new();
    let p = &r.params;
    let _ = writeln!(
        s,
        "Cost at {} t REO/yr of feed{} ({} h/yr; the model's flows x {:.6e}, linear)",
        r.throughput,
        if p.throughput_given {
            ""
        } else {
            " (default throughput)"
        },
        p.hours,
        r.scale
    );
    let _ = writeln!(
        s,
        "Sizing: mixer = (Qa+Qo) x {} min; settler = (Qa+Qo) / {} m3/(m2 h), at most {} m2 per unit; organic holdup = mixer x Qo/(Qa+Qo) + settler x {} m",
        p.residence_time, p.settling_rate, p.max_settler_area, p.organic_depth
    );
    for u in &r.units {
        let (mut qmin, mut qmax) = (f64::INFINITY, 0.0f64);
        let (mut v, mut a, mut hold, mut par) = (0.0, 0.0, 0.0, 0);
        for st in &u.stages {
            qmin = qmin.min(st.flow);
            qmax = qmax.max(st.flow);
            v += st.mixer_volume;
            a += st.settler_area;
            hold += st.organic_holdup;
            par += st.parallel;
        }
        let _ = writeln!(
            s,
            "  {}: {} stages ({} mixer-settlers), flow {:.4}..{:.4} m3/h, mixers {:.4} m3, settlers {:.4} m2, organic {:.4} m3",
            u.name,
            u.stages.len(),
            par,
            qmin,
            qmax,
            v,
            a,
            hold
        );
        let _ = writeln!(s, "    reagents from {}", u.reagent_basis);
        if r.units.len() > 1 {
            let _ = writeln!(
                s,
                "    capex {:.2} USD (installed + organic fill); acid {:.2}, base {:.2}, organic losses {:.2} USD/yr",
                u.capex, u.acid, u.base, u.organic_losses
            );
        }
    }
    let _ = writeln!(s, "\nCapital (USD)");
    for t in &r.capex_terms {
        let _ = writeln!(s, "  {:<20} {:>16.2}  = {}", t.name, t.value, t.how);
    }
    let _ = writeln!(s, "  {:<20} {:>16.2}", "capex", r.capex);
    let _ = writeln!(
        s,
        "  {:<20} {:>16.2}  = capex x CRF({} , {} yr) = capex x {:.6}",
        "annualised /yr", r.annualised_capex, p.discount_rate, p.lifetime, r.crf
    );
    let _ = writeln!(s, "\nOperating (USD/yr)");
    for t in &r.opex_terms {
        let _ = writeln!(s, "  {:<20} {:>16.2}  = {}", t.name, t.value, t.how);
    }
    let _ = writeln!(
        s,
        "  {:<20} {:>16.2}  (reagents {:.2}, {:.1} %)",
        "opex",
        r.opex,
        r.reagents,
        100.0 * r.reagents / r.opex
    );
    let _ = writeln!(
        s,
        "\nTotal {:.2} USD/yr = annualised capex {:.2} + opex {:.2}; per t of feed: capex {:.2} USD per t/yr, opex {:.2} USD/t",
        r.total,
        r.annualised_capex,
        r.opex,
        r.capex / r.throughput,
        r.opex / r.throughput
    );
    let _ = writeln!(
        s,
        "\nProducts (oxide; cost shared by {}{})",
        r.allocation,
        match r.allocation.as_str() {
            "value" => ": share = kg x price / sum",
            "mass" => ": share = kg / sum",
            _ => ": by-products credited at their price, main products bear the rest",
        }
    );
    let _ = writeln!(
        s,
        "  {:<6} {:<34} {:>14} {:>10} {:>10} {:>9} {:>8} {:>12} {:>10} {:>10}",
        "comp",
        "stream",
        "kg/yr",
        "purity %",
        "recov %",
        "USD/kg",
        "share",
        "cost USD/kg",
        "capex",
        "reagents"
    );
    for pr in &r.products {
        let _ = writeln!(
            s,
            "  {:<6} {:<34} {:>14.2} {:>10.4} {:>10.4} {:>9} {:>8.4} {:>12.4} {:>10.4} {:>10.4}",
            pr.component,
            pr.stream,
            pr.kg_per_year,
            100.0 * pr.purity,
            100.0 * pr.recovery,
            pr.price.map_or("-".to_string(), |v| format!("{v}")),
            pr.share,
            pr.cost_per_kg,
            pr.capex_per_kg,
            pr.reagents_per_kg
        );
    }
    s
}

/// The report as a JSON object (also the `cost` key of `simulate --json`).
pub fn to_json(r: &CostReport) -> Value {
    let mut v = serde_json::to_value(r).expect("cost report serialises");
    let p = &r.params;
    v["parameters"] = json!({
        "throughput": p.throughput, "hours": p.hours, "residence_time": p.residence_time,
        "settling_rate": p.settling_rate, "organic_depth": p.organic_depth,
        "max_settler_area": p.max_settler_area, "stage_cost": p.stage_cost,
        "reference_area": p.reference_area, "exponent": p.exponent,
        "installation_factor": p.installation_factor, "discount_rate": p.discount_rate,
        "lifetime": p.lifetime, "maintenance": p.maintenance,
        "extractant_price": p.extractant_price, "extractant_molar_mass": p.extractant_molar_mass,
        "extractant_concentration": p.extractant_concentration, "diluent_price": p.diluent_price,
        "organic_loading": p.organic_loading, "feed_concentration": p.feed_concentration,
        "scrub_acid_concentration": p.scrub_acid_concentration,
        "entrainment_loss": p.entrainment_loss, "acid_price": p.acid_price, "base": p.base,
        "base_price": p.base_price, "reagent_excess": p.reagent_excess,
        "precipitant_mol_per_mol": p.precipitant_mol_per_mol,
        "precipitant_price": p.precipitant_price,
        "precipitant_molar_mass": p.precipitant_molar_mass, "mixer_power": p.mixer_power,
        "electricity_price": p.electricity_price, "labour_per_stage": p.labour_per_stage,
        "allocation": p.allocation.name(),
    });
    v
}

/// The report as CSV: `section,item,value,unit,how`, one row per term and
/// per product measure.
pub fn to_csv(r: &CostReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut row = |a: &str, b: &str, v: f64, u: &str, how: &str| {
        w.write_record([a, b, &format!("{v:e}"), u, how])
            .expect("in-memory CSV");
    };
    row("plant", "throughput", r.throughput, "t REO/yr", "");
    row("plant", "scale", r.scale, "", "model flows x scale");
    row("plant", "stages", r.stages as f64, "", "");
    row("plant", "organic_holdup", r.organic_holdup, "m3", "");
    for t in &r.capex_terms {
        row("capex", &t.name, t.value, "USD", &t.how);
    }
    row("capex", "total", r.capex, "USD", "");
    row("capex", "crf", r.crf, "1/yr", "");
    row("capex", "annualised", r.annualised_capex, "USD/yr", "");
    for t in &r.opex_terms {
        row("opex", &t.name, t.value, "USD/yr", &t.how);
    }
    row("opex", "total", r.opex, "USD/yr", "");
    row("opex", "reagents", r.reagents, "USD/yr", "");
    row("total", "annual", r.total, "USD/yr", "");
    for p in &r.products {
        let sec = format!("product.{}", p.component);
        row(&sec, "kg_per_year", p.kg_per_year, "kg/yr", &p.stream);
        row(&sec, "purity", p.purity, "", "");
        row(&sec, "recovery", p.recovery, "", "");
        row(&sec, "share", p.share, "", &r.allocation);
        row(&sec, "cost_per_kg", p.cost_per_kg, "USD/kg", "");
        row(&sec, "capex_per_kg", p.capex_per_kg, "USD/kg", "");
        row(&sec, "reagents_per_kg", p.reagents_per_kg, "USD/kg", "");
    }
    let mut out = "section,item,value,unit,how\n".to_string();
    out.push_str(&String::from_utf8(w.into_inner().expect("flush")).expect("utf8"));
    out
}
