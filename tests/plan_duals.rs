//! Dual values (sign and magnitude, against finite differences), backend
//! agreement, the by-product coupling, fair share and integer modules.

mod plan_support;

use good_lp::{
    constraint, variable, variables, DualValues, Solution as _, SolutionWithDual, SolverModel,
};
use plan_support::{hand_plan, plan, RICH};
use proptest::prelude::*;
use sxforge::capacity::{plan_from_str, solve, Backend, Outcome, Plan, PlanFile, PlanSolution};

fn solved(p: &Plan, b: Backend) -> PlanSolution {
    match solve(p, b) {
        Outcome::Solved(s) => *s,
        other => panic!("not solved: {other:?}"),
    }
}

/// good_lp =1.15.3 with Clarabel: `dual(c)` is d objective / d rhs, with the
/// rhs as written, for <=, >= and == rows, minimising and maximising.
#[test]
fn good_lp_dual_sign_convention() {
    // min x s.t. x >= 3: raising the rhs raises the cost: +1.
    variables! { v: x; }
    let mut m = v.minimise(x).using(good_lp::clarabel);
    let c = m.add_constraint(constraint!(x >= 3));
    let mut s = m.solve().unwrap();
    assert!((s.value(x) - 3.0).abs() < 1e-7);
    assert!(
        (s.compute_dual().dual(c) - 1.0).abs() < 1e-7,
        ">= row, minimise"
    );

    // min 2x s.t. -x <= -3 (the same set): raising the rhs lowers the cost: -2.
    variables! { v: x; }
    let mut m = v.minimise(2 * x).using(good_lp::clarabel);
    let c = m.add_constraint(constraint!(-x <= -3));
    let mut s = m.solve().unwrap();
    assert!(
        (s.compute_dual().dual(c) + 2.0).abs() < 1e-7,
        "<= row, minimise"
    );

    // max x s.t. x <= 3, and == rows: +1 and +5.
    let mut v = good_lp::ProblemVariables::new();
    let x = v.add(variable().min(0));
    let y = v.add(variable().min(0));
    let mut m = v.maximise(x + 5 * y).using(good_lp::clarabel);
    let cx = m.add_constraint(constraint!(x <= 3));
    let cy = m.add_constraint(constraint!(y == 2));
    let mut s = m.solve().unwrap();
    let d = s.compute_dual();
    assert!((d.dual(cx) - 1.0).abs() < 1e-7, "<= row, maximise");
    assert!((d.dual(cy) - 5.0).abs() < 1e-7, "== row, maximise");
}

/// Which right-hand side to move, and how the reported value relates to
/// d objective / d rhs.
#[derive(Debug, Clone, Copy)]
enum Knob {
    Demand(usize),
    Existing(usize),
    Source(usize),
    ImportCap(usize, usize),
    Share(usize),
    Budget,
}

fn turn(p: &Plan, knob: Knob, h: f64) -> Plan {
    let mut q = p.clone();
    match knob {
        Knob::Demand(k) => q.demand[k].amount += h,
        Knob::Existing(r) => q.refineries[r].existing += h,
        Knob::Source(s) => q.sources[s].capacity += h,
        Knob::ImportCap(i, e) => {
            q.imports[i].capacity[e] = Some(q.imports[i].capacity[e].unwrap() + h)
        }
        Knob::Share(e) => {
            let d = q.alliance_demand(e);
            q.policy.max_import_share[e] = Some(q.policy.max_import_share[e].unwrap() + h / d);
        }
        Knob::Budget => q.policy.budget = Some(q.policy.budget.unwrap() + h),
    }
    q
}

/// The reported value as d objective / d rhs.
fn reported(s: &PlanSolution, knob: Knob) -> f64 {
    match knob {
        Knob::Demand(k) => s.demand_price(k).unwrap(),
        Knob::Existing(r) => -s.capacity_value(r).unwrap(),
        Knob::Source(i) => -s.source_value(i).unwrap(),
        Knob::ImportCap(i, e) => -s.import_cap_value(i, e).unwrap(),
        Knob::Share(e) => -s.import_share_value(e).unwrap(),
        Knob::Budget => -s.budget_value().unwrap(),
    }
}

#[test]
fn duals_match_finite_differences() {
    check_finite_differences(&plan(RICH));
}

#[test]
fn duals_match_finite_differences_with_fair_share() {
    check_finite_differences(&plan(
        &RICH.replace("budget = 5000000", "budget = 5000000\nfair_share = true"),
    ));
}

fn check_finite_differences(p: &Plan) {
    // The interior-point duals and the default path's one-sided values.
    check_finite_differences_with(p, Backend::Clarabel);
    check_finite_differences_with(p, Backend::Auto);
}

fn check_finite_differences_with(p: &Plan, backend: Backend) {
    let p = p.clone();
    let base = solved(&p, backend);
    let nd = p.element_index("Nd").unwrap();
    let dy = p.element_index("Dy").unwrap();
    let mut knobs: Vec<(Knob, f64)> = (0..p.demand.len())
        .map(|k| (Knob::Demand(k), 0.05))
        .collect();
    knobs.extend((0..p.refineries.len()).map(|r| (Knob::Existing(r), 0.05)));
    knobs.extend((0..p.sources.len()).map(|s| (Knob::Source(s), 0.05)));
    knobs.push((Knob::ImportCap(0, nd), 0.05));
    knobs.push((Knob::Share(dy), 0.01));
    knobs.push((Knob::Budget, 50.0));
    let mut smooth = 0;
    let mut nonzero = 0;
    for &(knob, h) in &knobs {
        let up = solved(&turn(&p, knob, h), backend).objective;
        let down = solved(&turn(&p, knob, -h), backend).objective;
        let right = (up - base.objective) / h;
        let left = (base.objective - down) / h;
        let dual = reported(&base, knob);
        let tol = 1e-4 * dual.abs().max(1.0);
        assert!(
            dual >= left.min(right) - tol && dual <= left.max(right) + tol,
            "{knob:?}: dual {dual} outside [{left}, {right}]"
        );
        if (right - left).abs() <= tol {
            smooth += 1;
            assert!(
                (dual - right).abs() <= tol,
                "{knob:?}: dual {dual} vs finite difference {right}"
            );
        }
        if dual.abs() > 1.0 {
            nonzero += 1;
        }
    }
    // The test must exercise real prices, not a pile of zeros at kinks.
    assert!(
        smooth >= knobs.len() - 1,
        "only {smooth} of {} knobs away from a kink",
        knobs.len()
    );
    assert!(nonzero >= 10, "only {nonzero} nonzero prices");
    // Signs: demand costs money, limits that bind are worth money.
    assert!(base.demand_price(0).unwrap() > 0.0);
    assert!(base.import_share_value(dy).unwrap() > 0.0);
    assert!(base.budget_value().unwrap() > 0.0);
}

#[test]
fn clarabel_and_microlp_agree() {
    let mut plans = vec![
        plan(RICH),
        plan(&hand_plan(400.0, 50.0, "")),
        plan(&hand_plan(1000.0, 300.0, "budget = 300000")),
    ];
    let file = PlanFile::read(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/alliance-2026.toml"
    )))
    .unwrap();
    plans.push(file.plan(Some("heavy-ban"), &[]).unwrap());
    plans.push(file.plan(Some("independence-50"), &[]).unwrap());
    for p in &plans {
        let a = solved(p, Backend::Clarabel).objective;
        let b = solved(p, Backend::Microlp).objective;
        assert!(
            (a - b).abs() <= 1e-6 * a.abs().max(1.0),
            "{}: clarabel {a} vs microlp {b}",
            p.name
        );
    }
}

fn assert_coupling(p: &Plan, s: &PlanSolution) {
    let scale = p
        .sources
        .iter()
        .map(|s| s.capacity)
        .chain(p.demand.iter().map(|d| d.amount))
        .fold(1.0, f64::max);
    for (r, rf) in p.refineries.iter().enumerate() {
        for e in 0..p.elements.len() {
            let feed: f64 = p
                .sources
                .iter()
                .enumerate()
                .map(|(i, src)| src.assay[e] * s.feed[i][r])
                .sum();
            let expect = rf.recovery * feed;
            let y = s.output[r][e];
            assert!(
                (y - expect).abs() <= 1e-9 * expect.abs().max(1.0),
                "{}: refinery {} element {}: output {y} vs recovery x assay x feed {expect}",
                p.name,
                rf.name,
                p.elements[e]
            );
            // Nothing vanishes: output is shipped, sold or disposed (to the
            // solver's tolerance, relative to the plan's scale).
            let placed: f64 = p
                .demand
                .iter()
                .enumerate()
                .filter(|(_, d)| d.element == e)
                .map(|(k, _)| s.ship[r][k])
                .sum::<f64>()
                + s.sold[r][e]
                + s.disposed[r][e];
            assert!(
                (y - placed).abs() <= 1e-9 * scale,
                "{}: {} {} output {y} placed {placed}",
                p.name,
                rf.name,
                p.elements[e]
            );
        }
    }
}

#[test]
fn coupling_holds_in_shipped_scenarios() {
    for model in ["alliance-2026.toml", "plan-didactic.toml"] {
        let file = PlanFile::read(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("models")
                .join(model),
        )
        .unwrap();
        for name in file.scenario_names() {
            let p = file.plan(Some(&name), &[]).unwrap();
            let s = solved(&p, Backend::Auto);
            assert_coupling(&p, &s);
        }
    }
}

#[test]
fn fair_share_equalises_served_fractions() {
    // RICH is short of Dy; without fair share the shortfall falls unevenly.
    let p = plan(RICH);
    let dy = p.element_index("Dy").unwrap();
    let rows: Vec<usize> = (0..p.demand.len())
        .filter(|&k| p.demand[k].element == dy)
        .collect();
    let s = solved(&p, Backend::Clarabel);
    let served: Vec<f64> = rows.iter().map(|&k| s.served(&p, k)).collect();
    assert!(
        (served[0] - served[1]).abs() > 0.05,
        "unfair baseline expected, got {served:?}"
    );

    let fair = plan(&RICH.replace("budget = 5000000", "budget = 5000000\nfair_share = true"));
    let s = solved(&fair, Backend::Clarabel);
    let served: Vec<f64> = rows.iter().map(|&k| s.served(&fair, k)).collect();
    assert!(served[0] < 0.999, "Dy should be short: {served:?}");
    assert!(
        (served[0] - served[1]).abs() < 1e-6,
        "fair share: {served:?}"
    );

    // The shipped heavy-ban scenario: every allied member, every element.
    let file = PlanFile::read(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/alliance-2026.toml"
    )))
    .unwrap();
    let p = file.plan(Some("heavy-ban"), &[]).unwrap();
    let s = solved(&p, Backend::Auto);
    for e in 0..p.elements.len() {
        let f: Vec<f64> = (0..p.demand.len())
            .filter(|&k| p.demand[k].element == e && p.regions[p.demand[k].region].allied)
            .map(|k| s.served(&p, k))
            .collect();
        for x in &f {
            assert!((x - f[0]).abs() < 1e-6, "{}: {f:?}", p.elements[e]);
        }
    }
    let dy = p.element_index("Dy").unwrap();
    let k = (0..p.demand.len())
        .find(|&k| p.demand[k].element == dy)
        .unwrap();
    assert!(s.served(&p, k) < 0.5, "a Dy ban must leave Dy short");
}

#[test]
fn integer_modules_with_microlp() {
    let text = RICH.replace("max_new = 3000\n", "max_new = 3000\nmodule = 500\n");
    let p = plan(&text);
    assert!(p.has_modules());
    let mip = solved(&p, Backend::Auto);
    assert_eq!(mip.backend, Backend::Microlp);
    let m = mip.modules[0].unwrap();
    assert!((m - m.round()).abs() < 1e-6, "modules {m}");
    assert!((mip.new[0] - 500.0 * m.round()).abs() < 1e-6);
    let relaxed = solved(&p, Backend::Clarabel);
    assert!(relaxed.relaxed_integers);
    assert!(mip.objective >= relaxed.objective - 1e-6 * relaxed.objective);
    // Prices come from the LP with the module count fixed.
    assert!(mip.demand_price(0).is_some());
    assert_coupling(&p, &mip);
}

fn random_plan(seed: &[f64]) -> String {
    // seed: 16 numbers in [0, 1).
    let a = |i: usize| seed[i % seed.len()];
    format!(
        r#"
elements = ["La", "Nd", "Dy"]
[[region]]
name = "A"
[[region]]
name = "B"
[[region]]
name = "X"
allied = false
[[source]]
name = "s1"
region = "A"
capacity = {c1}
cost = {k1}
assay = {{ La = {a1}, Nd = {n1}, Dy = {d1} }}
[[source]]
name = "s2"
region = "B"
capacity = {c2}
cost = {k2}
assay = {{ La = {a2}, Nd = {n2}, Dy = {d2} }}
[[refinery]]
name = "r1"
region = "A"
existing = {e1}
max_new = 500
capex = {x1}
lifetime = 20
opex = 300
recovery = {rec1}
[[refinery]]
name = "r2"
region = "B"
existing = {e2}
opex = 500
recovery = {rec2}
[[demand]]
region = "A"
element = "Nd"
amount = {dn}
[[demand]]
region = "B"
element = "Dy"
amount = {dd}
[[import]]
region = "X"
price = {{ Nd = 8000, Dy = 50000 }}
capacity = {{ Dy = {impd} }}
[surplus]
disposal = {disp}
[transport]
default = 50
[policy]
discount_rate = 0.05
unmet_penalty = 1e6
fair_share = true
"#,
        c1 = 100.0 + 2000.0 * a(0),
        k1 = 100.0 + 900.0 * a(1),
        a1 = 0.4 * a(2),
        n1 = 0.3 * a(3),
        d1 = 0.01 * a(4),
        c2 = 50.0 + 500.0 * a(5),
        k2 = 200.0 + 900.0 * a(6),
        a2 = 0.1 * a(7),
        n2 = 0.1 * a(8),
        d2 = 0.1 * a(9),
        e1 = 1000.0 * a(10),
        x1 = 1000.0 + 9000.0 * a(11),
        rec1 = 0.5 + 0.5 * a(12),
        e2 = 500.0 * a(13),
        rec2 = 0.5 + 0.5 * a(14),
        dn = 300.0 * a(15),
        dd = 30.0 * a(1),
        impd = 10.0 * a(2),
        disp = 100.0 * a(3),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn coupling_holds_in_random_plans(seed in proptest::collection::vec(0.0f64..1.0, 16)) {
        let p = plan_from_str(&random_plan(&seed)).unwrap();
        let s = solved(&p, Backend::Clarabel);
        assert_coupling(&p, &s);
        // The cost breakdown adds up to the objective.
        prop_assert!((s.costs.total() - s.objective).abs() <= 1e-6 * s.objective.abs().max(1.0));
    }
}
