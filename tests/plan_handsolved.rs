//! Plans whose optimum is derived by hand (see `plan_support::hand_plan` for
//! the unit costs): cost, build and shadow prices asserted exactly.

mod plan_support;

use plan_support::{hand_plan, plan};
use sxforge::capacity::{report, solve, Backend, Outcome, PlanSolution};

const TOL: f64 = 1e-6;

fn solved(text: &str) -> (sxforge::capacity::Plan, PlanSolution) {
    // The default path (vertex, one-sided values), checked against the
    // interior-point backend's objective.
    let p = plan(text);
    let ipm = match solve(&p, Backend::Clarabel) {
        Outcome::Solved(s) => s.objective,
        other => panic!("not solved: {other:?}"),
    };
    match solve(&p, Backend::Auto) {
        Outcome::Solved(s) => {
            close(s.objective, ipm, "vertex vs interior point");
            (p, *s)
        }
        other => panic!("not solved: {other:?}"),
    }
}

fn close(a: f64, b: f64, what: &str) {
    let tol = TOL * b.abs().max(1.0);
    assert!((a - b).abs() <= tol, "{what}: got {a}, expected {b}");
}

#[test]
fn build_beats_import() {
    // R1 runs full: 400 t ore -> 200 t Nd at 600/t. The other 300 t Nd come
    // from new R2 capacity at 1000/t (cheaper than the 2000/t import):
    // 600 t/yr of ore, so build 600. Cost = 400 x 300 + 600 x 500 = 420,000.
    let (_, s) = solved(&hand_plan(1000.0, 300.0, ""));
    close(s.objective, 420_000.0, "objective");
    close(s.new[1], 600.0, "build R2");
    close(s.capex_total, 600_000.0, "capex");
    close(
        s.costs.capex_annualised,
        60_000.0,
        "annualised capex (crf(0, 10) = 0.1)",
    );
    // Marginal Nd comes from new R2 capacity: 1000/t.
    close(s.demand_price(0).unwrap(), 1000.0, "Nd price");
    // One more t/yr at R1 moves a tonne of ore off new R2 capacity:
    // 2 x ... per t ore: (100 + 300 + 100) - (100 + 200) = 200.
    close(s.capacity_value(0).unwrap(), 200.0, "R1 capacity value");
    // R2 builds: extra capacity saves exactly its annualised capex.
    close(s.capacity_value(1).unwrap(), 100.0, "R2 capacity value");
    close(
        s.import_cap_value(0, 0).unwrap(),
        0.0,
        "import cap not binding",
    );
    close(s.delivered(0), 500.0, "delivered");
    // Both plants run full: R1's capacity is scarce, R2 builds what it uses.
    assert_eq!(s.binding().len(), 2, "{:?}", s.binding());
}

#[test]
fn max_new_binds_import_fills() {
    // R2 limited to 400 t/yr -> 200 t Nd; the last 100 t come from the
    // import at 2000/t. Cost = 400 x 300 + 400 x 500 + 100 x 2000 = 520,000.
    let (p, s) = solved(&hand_plan(400.0, 300.0, ""));
    close(s.objective, 520_000.0, "objective");
    close(s.new[1], 400.0, "build R2");
    close(
        s.demand_price(0).unwrap(),
        2000.0,
        "Nd price = import price",
    );
    // A tonne of ore through R1 replaces 0.5 t import (1000) for 300: 700.
    close(s.capacity_value(0).unwrap(), 700.0, "R1 capacity value");
    // A t/yr of R2 capacity for free saves 1000 - 400 = 600; leave to build
    // one more t/yr (paying 100/yr of capex) is worth 500.
    close(s.capacity_value(1).unwrap(), 600.0, "R2 capacity value");
    close(s.max_new_value(1).unwrap(), 500.0, "R2 max_new value");
    let words: Vec<String> = s
        .binding()
        .iter()
        .map(|b| report::binding_text(&p, &s, b))
        .collect();
    assert!(
        words
            .iter()
            .any(|t| t.contains("builds all the new capacity allowed")),
        "{words:?}"
    );
}

#[test]
fn shortage_at_the_penalty() {
    // As above, but only 50 t may be imported: 50 t short at 5000/t.
    // Cost = 120,000 + 200,000 + 50 x 2000 + 50 x 5000 = 670,000.
    let (p, s) = solved(&hand_plan(400.0, 50.0, ""));
    close(s.objective, 670_000.0, "objective");
    close(s.unmet[0], 50.0, "unmet");
    close(s.served(&p, 0), 0.9, "served fraction");
    close(s.demand_price(0).unwrap(), 5000.0, "Nd price = penalty");
    close(
        s.import_cap_value(0, 0).unwrap(),
        3000.0,
        "import cap value = penalty - price",
    );
    close(s.capacity_value(0).unwrap(), 2200.0, "R1: 0.5 x 5000 - 300");
    assert_eq!(s.shortages(&p).len(), 1);
}

#[test]
fn budget_binds() {
    // Budget 300,000 buys 300 t/yr of R2 (150 t Nd); 150 t imported.
    // Cost = 120,000 + 300 x 500 + 150 x 2000 = 570,000. One more unit of
    // budget buys 0.001 t/yr of capacity, worth 2 x 2000 x 0.5 ... = 500 per
    // t/yr (1000 of import replaced by 500 of ore, opex, capex): 0.5 per unit.
    let (_, s) = solved(&hand_plan(1000.0, 300.0, "budget = 300000"));
    close(s.objective, 570_000.0, "objective");
    close(s.new[1], 300.0, "build R2");
    close(s.budget_value().unwrap(), 0.5, "budget value");
    close(s.demand_price(0).unwrap(), 2000.0, "Nd price");
}

#[test]
fn import_share_cap_costs_independence() {
    // At most 10% of the 500 t from outside: 50 t imported, 50 t short.
    // Relaxing the cap by a tonne swaps 5000 of penalty for 2000 of import.
    let (_, s) = solved(&hand_plan(400.0, 300.0, "max_import_share = { Nd = 0.1 }"));
    close(s.objective, 670_000.0, "objective");
    close(
        s.import_share_value(0).unwrap(),
        3000.0,
        "cost of independence",
    );
    close(s.import_cap_value(0, 0).unwrap(), 0.0, "capacity cap slack");
}

#[test]
fn zero_import_cap_reports_the_one_sided_value() {
    // An import ban is degenerate (the import sits on its cap and its bound):
    // the reported value is that of the first tonne let in, 5000 - 2000.
    let (_, s) = solved(&hand_plan(400.0, 0.0, ""));
    close(
        s.objective,
        120_000.0 + 200_000.0 + 100.0 * 5000.0,
        "objective",
    );
    close(s.import_cap_value(0, 0).unwrap(), 3000.0, "ban value");
}

#[test]
fn didactic_model_matches_its_comment() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/plan-didactic.toml"
    ))
    .unwrap();
    let (p, s) = solved(&text);
    close(s.objective, 2_340_000.0, "objective");
    close(s.new[0], 437.5, "build");
    close(s.demand_price(0).unwrap(), 19_000.0, "Nd price");
    close(s.demand_price(1).unwrap(), -100.0, "La price");
    close(s.capacity_value(0).unwrap(), 1000.0, "capacity value");
    let la = p.element_index("La").unwrap();
    close(s.disposed[0][la], 275.0, "La stored");
}

#[test]
fn discount_rate_annualises_capex() {
    // Same plan at 8%: crf(0.08, 10) = 0.149029..., so new capacity costs
    // 149.03 per t/yr and Nd from R2 2 x (400 + 149.03) = 1098.06 < 2000.
    let text = hand_plan(1000.0, 300.0, "").replace("discount_rate = 0.0", "discount_rate = 0.08");
    let (_, s) = solved(&text);
    let crf = 0.08 * 1.08f64.powi(10) / (1.08f64.powi(10) - 1.0);
    close(
        s.demand_price(0).unwrap(),
        2.0 * (400.0 + 1000.0 * crf),
        "Nd price",
    );
    close(
        s.objective,
        400.0 * 300.0 + 600.0 * (400.0 + 1000.0 * crf),
        "objective",
    );
}
