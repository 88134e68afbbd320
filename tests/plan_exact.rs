//! The default solve path (vertex optimum, verified, one-sided marginal
//! values): the cases of issue 12 item 5 and issue 9's planner fuzz items,
//! with values derived by hand from `models/plan-didactic.toml`.
//!
//! The didactic plan: Mine (1000 t/yr, Nd 0.2, La 0.5, 1000/t), Plant
//! (existing 500, max_new 1000, capex 10000 over 10 years at r = 0 so 1000
//! per t/yr and year, opex 1000, recovery 0.8), Home wants 150 t Nd and
//! 100 t La, Abroad sells Nd at 20000/t, surplus disposal 100/t.

use std::path::Path;
use sxforge::capacity::overrides::parse_set;
use sxforge::capacity::{report, solve, Backend, Outcome, Plan, PlanFile, PlanSolution};

fn didactic(sets: &[&str]) -> Plan {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/plan-didactic.toml"
    ));
    let file = PlanFile::read(path).unwrap();
    let o: Vec<_> = sets.iter().map(|s| parse_set(s).unwrap()).collect();
    file.plan(None, &o).unwrap()
}

fn solved(p: &Plan) -> PlanSolution {
    match solve(p, Backend::Auto) {
        Outcome::Solved(s) => *s,
        other => panic!("not solved: {other:?}"),
    }
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "{what}: got {a}, expected {b}"
    );
}

#[test]
fn zero_limit_value_does_not_depend_on_unrelated_rows() {
    // Nd import banned, 100 t/yr of new capacity allowed: the plant runs
    // 600 t ore -> 96 t Nd, 54 t unmet at 50000. The first tonne of import
    // saves 50000 - 20000 = 30000, with or without a budget of 1e11.
    for budget in ["policy.budget=1e11", "policy.budget=2e6"] {
        let p = didactic(&[
            "import.Abroad.capacity.Nd=0",
            "refinery.Plant.max_new=100",
            "policy.unmet_penalty=50000",
            budget,
        ]);
        let s = solved(&p);
        close(s.import_cap_value(0, 0).unwrap(), 30_000.0, budget);
        close(s.unmet[0], 54.0, "unmet Nd");
        // One more tonne of Nd is unmet: the penalty.
        close(s.demand_price(0).unwrap(), 50_000.0, "Nd price");
        // A t/yr of capacity: 0.16 t Nd saves 0.16 x 50000, less ore, opex,
        // and La disposal (0.5 x 0.8 x 100 = 40): 8000 - 2000 - 40 = 5960.
        close(s.capacity_value(0).unwrap(), 5960.0, "capacity value");
        close(s.max_new_value(0).unwrap(), 4960.0, "max_new value");
    }
}

#[test]
fn a_share_cap_of_one_is_not_reported() {
    let p = didactic(&["policy.max_import_share=1"]);
    let s = solved(&p);
    assert!(s.import_share_value(0).is_none());
    assert!(s
        .binding()
        .iter()
        .all(|b| !report::binding_text(&p, &s, b).contains("outside")));
    close(s.objective, 2_340_000.0, "objective");
}

#[test]
fn a_binding_share_cap_reports_its_relaxation_value() {
    // No building: the plant's 500 t give 80 t Nd. A cap of 40 % of 150 t
    // lets 60 t in; 10 t are unmet at 50000.
    let p = didactic(&[
        "refinery.Plant.max_new=0",
        "policy.unmet_penalty=50000",
        "policy.max_import_share=0.4",
    ]);
    let s = solved(&p);
    // 60 t imported, 10 t unmet: a tonne of allowance saves 50000 - 20000.
    close(s.unmet[0], 10.0, "unmet");
    close(s.import_share_value(0).unwrap(), 30_000.0, "share value");
}

#[test]
fn market_value_is_a_shadow_price() {
    // La sold at 300/t on a market of 50 t: 275 t of surplus La, 50 sold.
    // One more tonne of market sells instead of storing: 300 + 100.
    let p = didactic(&["surplus.price={ La = 300 }", "surplus.market={ La = 50 }"]);
    let s = solved(&p);
    close(s.market_value(1).unwrap(), 400.0, "market value");
    assert!(s
        .binding()
        .iter()
        .any(|b| report::binding_text(&p, &s, b).contains("market for surplus La")));
}

#[test]
fn extreme_numbers_are_solved_or_refused_never_wrong() {
    // Capex x 1e9: building is out of the question; the plant's 500 t give
    // 80 t Nd and 200 t La (100 disposed), 70 t Nd imported at 20000.
    let s = solved(&didactic(&["policy.capex_factor=1e9"]));
    close(s.new[0], 0.0, "build");
    close(s.imports[0][0], 70.0, "import");
    close(
        s.objective,
        500.0 * 2000.0 + 70.0 * 20_000.0 + 100.0 * 100.0,
        "objective",
    );
    // A plant far larger than any need: 937.5 t ore, nothing built.
    for existing in ["1e9", "4294967295"] {
        let p = didactic(&[&format!("refinery.Plant.existing={existing}")]);
        let s = solved(&p).cleaned(&p);
        close(s.feed[0][0], 937.5, "feed");
        close(s.ship[0][0], 150.0, "Nd shipped");
        close(s.ship[0][1], 100.0, "La shipped");
        close(s.objective, 937.5 * 2000.0 + 275.0 * 100.0, "objective");
    }
    // A 10000-year plant at 8 %: capex annualised at 0.08 x 10000 = 800.
    let s = solved(&didactic(&[
        "policy.discount_rate=0.08",
        "refinery.Plant.lifetime=10000",
    ]));
    close(s.capacity_value(0).unwrap(), 800.0, "capacity value");
}

#[test]
fn a_plan_with_nothing_to_decide_is_answered() {
    let p = sxforge::capacity::plan_from_str(
        "name = \"empty\"\nelements = [\"Nd\"]\n[[region]]\nname = \"A\"\n",
    )
    .unwrap();
    for b in [Backend::Auto, Backend::Clarabel, Backend::Microlp] {
        match solve(&p, b) {
            Outcome::Solved(s) => assert_eq!(s.objective, 0.0),
            other => panic!("{b:?}: {other:?}"),
        }
    }
}

#[test]
fn infeasibility_lists_each_single_relaxation_in_its_units() {
    // No penalty, Nd import banned, no building and a budget: 80 t Nd from
    // the plant against 150. Alone, each of these restores feasibility:
    // import capacity +70 t; or plant capacity +437.5 t/yr; or lower the
    // Nd demand by 70 t. The budget is not binding and is not listed.
    let p = didactic(&[
        "import.Abroad.capacity.Nd=0",
        "refinery.Plant.max_new=0",
        "policy.budget=1",
    ]);
    let d = match solve(&p, Backend::Auto) {
        Outcome::Infeasible(d) => d,
        other => panic!("{other:?}"),
    };
    let texts: Vec<String> = d
        .conflicts
        .iter()
        .map(|c| report::conflict_text(&p, c))
        .collect();
    let find = |needle: &str| {
        d.conflicts
            .iter()
            .find(|c| report::conflict_text(&p, c).contains(needle))
            .unwrap_or_else(|| panic!("no {needle} in {texts:?}"))
            .excess
    };
    close(find("imports of Nd"), 70.0, "import");
    close(find("existing capacity"), 437.5, "capacity");
    close(find("lower the demand of Home for Nd"), 70.0, "demand");
    assert!(!texts.iter().any(|t| t.contains("budget")));
}
