//! Multi-period plans checked by hand (issue 12): a 3-year plan with a
//! 2-year lead time and a 1-year import ban, and a two-future stochastic
//! plan against its deterministic limits.

use sxforge::capacity::horizon::{
    analyse, evaluate, horizon_from_str, solve, values, FirstStage, Options, Values,
};

/// One element (Nd), one mine, a plant that can be built (lead time 2
/// years), an import banned in 2027 (or in one future), a stockpile.
///
/// Hand solution with the ban (discount rate 0):
/// * 2027 cannot be served by the plant (built in 2026 at the earliest, it
///   produces from 2028) nor by imports (banned): without stock, 100 t are
///   unmet at 1000/t. Instead buy 100 t of stock in 2026 at 10/t (1000),
///   hold it over the end of 2026 (100 x 1 = 100), release it in 2027.
/// * 2026 demand: 100 t imported at 10/t = 1000.
/// * 2028: ore through new capacity costs 1 (mine) + 1 (opex) per t plus
///   5 per t/yr of capex, 100 t/yr: 500 + 200 = 700 < 1000 for imports, so
///   build 100 t/yr in 2026.
/// * Total 1000 + 1000 + 100 + 500 + 200 = 2800.
const PLAN: &str = r#"
elements = ["Nd"]
[[region]]
name = "Home"
[[region]]
name = "Abroad"
allied = false
[[source]]
name = "Mine"
region = "Home"
capacity = 1000
cost = 1
assay = { Nd = 1.0 }
[[refinery]]
name = "Plant"
region = "Home"
max_new = 500
capex = 5
lifetime = 10
opex = 1
recovery = 1.0
lead_time = 2
[[demand]]
region = "Home"
element = "Nd"
amount = 100
[[import]]
region = "Abroad"
price = { Nd = 10 }
capacity = { Nd = 300 }
[policy]
discount_rate = 0.0
unmet_penalty = 1000
[horizon]
first_year = 2026
years = 3
[[stockpile]]
region = "Home"
element = "Nd"
capacity = 500
holding = 1
"#;

const BAN: &str = r#"
[[shock]]
import = "Abroad"
from = 2027
to = 2027
"#;

const FUTURES: &str = r#"
[[future]]
name = "no-ban"
probability = 0.5
[[future]]
name = "ban-2027"
probability = 0.5
[[future.shock]]
import = "Abroad"
from = 2027
to = 2027
"#;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

#[test]
fn three_years_lead_time_two_ban_one_year_by_hand() {
    let h = horizon_from_str(&format!("{PLAN}{BAN}")).unwrap();
    let s = solve(&h, &Options::default()).unwrap();
    assert!(close(s.objective, 2800.0), "{}", s.objective);
    // Stock bought in 2026, released in 2027.
    let r = &s.futures[0];
    assert!(close(s.first.buy[0][0][0], 100.0), "{:?}", s.first.buy);
    assert!(close(r.stock[0][0], 100.0) && close(r.stock[0][1], 0.0) && close(r.stock[0][2], 0.0));
    assert!(close(r.released[0][1], 100.0));
    assert!(close(r.unmet[0][1], 0.0));
    // Capacity built in 2026 is there from 2028 only.
    assert!(close(s.first.build[0][0], 100.0), "{:?}", s.first.build);
    assert_eq!(
        r.capacity[0].iter().map(|x| x.round()).collect::<Vec<_>>(),
        vec![0.0, 0.0, 100.0]
    );
    // Independence from 2027 (the stock is the alliance's own).
    assert_eq!(r.independence(0), Some(1));
    // The stock is worth what the 2027 shortfall would cost less what the
    // stock costs: 100 x 1000 - (1000 + 100) = 98,900.
    let a = analyse(&h);
    assert!(close(a.stockpile_value().unwrap(), 98_900.0));
}

#[test]
fn ramp_up_and_discounting_by_hand() {
    // At half nameplate in its first year, 2028 capacity costs 10 per t of
    // Nd in capex + 2 opex > 10 import: nothing is built, 2028 is imported.
    let text = format!("{PLAN}{BAN}").replace("lead_time = 2", "lead_time = 2\nramp_up = [0.5]");
    let s = solve(&horizon_from_str(&text).unwrap(), &Options::default()).unwrap();
    assert!(
        close(s.objective, 1000.0 + 1000.0 + 100.0 + 1000.0),
        "{}",
        s.objective
    );
    assert!(s.first.build[0].iter().all(|x| x.abs() < 1e-9));
    // At 10 %: 2026 costs count fully, 2027 / 1.1, 2028 / 1.21. The stock
    // (1000 + 100 in 2026) still beats 100,000 / 1.1 unmet; the plant
    // (500 in 2026 + 200 / 1.21) still beats 1000 / 1.21.
    let text = format!("{PLAN}{BAN}").replace("discount_rate = 0.0", "discount_rate = 0.1");
    let s = solve(&horizon_from_str(&text).unwrap(), &Options::default()).unwrap();
    assert!(
        close(s.objective, 1000.0 + 1000.0 + 100.0 + 500.0 + 200.0 / 1.21),
        "{}",
        s.objective
    );
}

#[test]
fn stochastic_plan_lies_between_its_deterministic_limits() {
    let h = horizon_from_str(&format!("{PLAN}{FUTURES}")).unwrap();
    let a = analyse(&h);
    let opt = a.optimum.as_ref().unwrap();
    // Planned alone: no ban 1000 + 1000 (imports) + 500 + 200 = 2700; ban 2800.
    let det: Vec<f64> = a
        .deterministic
        .iter()
        .map(|d| d.as_ref().unwrap().objective)
        .collect();
    assert!(close(det[0], 2700.0) && close(det[1], 2800.0), "{det:?}");
    // Stochastic: the stock is bought in 2026 for both futures (it enters
    // the reserve at the year end; in the no-ban future it replaces the
    // 2027 import), so 2800 in each.
    assert!(close(opt.objective, 2800.0), "{}", opt.objective);
    let ws = a.wait_and_see(&h).unwrap();
    assert!(close(ws, 2750.0));
    // Reference (no-ban) plan across futures: no stock, so the ban future
    // has 100 t unmet: 0.5 x 2700 + 0.5 x (2700 - 1000 + 100,000) = 52,200.
    assert!(close(a.reference_expected.unwrap(), 52_200.0));
    assert!(ws < opt.objective && opt.objective < a.reference_expected.unwrap());
    assert!(det[0] <= opt.objective && opt.objective <= det[1]);
    assert!(close(a.vss().unwrap(), 49_400.0));
    assert!(close(a.stockpile_value().unwrap(), 49_400.0));
    // Stock level per future: bought in 2026 (shared), released in 2027.
    for f in &opt.futures {
        assert!(close(f.stock[0][0], 100.0) && close(f.stock[0][1], 0.0));
    }
}

#[test]
fn stockpile_target_and_bad_input() {
    // Cover 73 days (0.2 years) of demand at every year end before any
    // shock (this plan has none: every year): 20 t bought once in 2026 at
    // 10/t and held three year ends at 1 per t-year, never released:
    // 2700 (the no-ban plan) + 200 + 3 x 20 = 2960.
    let text = PLAN.replace("holding = 1", "holding = 1\ncover_days = 73");
    let h = horizon_from_str(&text).unwrap();
    let s = solve(&h, &Options::default()).unwrap();
    assert!(close(s.objective, 2700.0 + 200.0 + 60.0), "{}", s.objective);
    assert!(s.futures[0].stock[0].iter().all(|x| close(*x, 20.0)));
    // Bad input names the key and the expectation.
    let bad = format!("{PLAN}{BAN}").replace("from = 2027", "from = 2031");
    let e = horizon_from_str(&bad).unwrap_err().to_string();
    assert!(
        e.contains("shock[0].from") && e.contains("2026..2028"),
        "{e}"
    );
    let bad = format!("{PLAN}{FUTURES}").replace(
        "probability = 0.5\n[[future.shock]]",
        "probability = 0.6\n[[future.shock]]",
    );
    let e = horizon_from_str(&bad).unwrap_err().to_string();
    assert!(e.contains("sum to 1"), "{e}");
    let bad = PLAN.replace("lead_time = 2", "lead_time = 1.5");
    let e = horizon_from_str(&bad).unwrap_err().to_string();
    assert!(
        e.contains("refinery[0].lead_time") && e.contains("whole number"),
        "{e}"
    );
}

/// The marginal value named `what` (and `year`) in `v`.
fn value(v: &Values, what: &str, year: Option<i64>) -> f64 {
    v.marginal
        .iter()
        .find(|m| m.what == what && m.year == year)
        .unwrap_or_else(|| panic!("no {what} {year:?} in {:?}", v.marginal))
        .value
        .unwrap()
}

#[test]
fn marginal_values_of_the_three_year_plan_by_hand() {
    let h = horizon_from_str(&format!("{PLAN}{BAN}")).unwrap();
    let v = values(&h).unwrap();
    // One more tonne of Nd: 2026 imported at 10 (the cap, 300, has room);
    // 2027 bought as stock in 2026 (10) and held a year end (1); 2028 one
    // more t/yr of the plant (capex 5) run on ore (1) and opex (1).
    for (year, want) in [(2026, 10.0), (2027, 11.0), (2028, 7.0)] {
        let got = value(&v, "demand Nd", Some(year));
        assert!(close(got, want), "{year}: {got} vs {want}");
        let m = v.marginal.iter().find(|m| m.year == Some(year)).unwrap();
        assert!(close(m.in_year_money.unwrap(), want));
    }
    // One more t/yr of existing plant capacity, every year: refined Nd at 2
    // replaces the 2026 import (saves 8), the 2027 stock (saves 9) and a
    // t/yr of new capacity in 2028 (saves its capex 5).
    assert!(close(value(&v, "existing capacity Plant", None), -22.0));
    // One tonne allowed through the 2027 ban replaces stock (11) by an
    // import (10).
    assert!(close(value(&v, "import cap Abroad Nd", None), -1.0));
    // Limits with room are worth nothing.
    for what in [
        "ore capacity Mine",
        "max_new Plant",
        "stockpile capacity Home Nd",
    ] {
        assert_eq!(value(&v, what, None), 0.0, "{what}");
    }
    // A capex budget of 250 builds 50 t/yr; the other 50 t of 2028 are
    // imported at 10. One more unit of budget buys 0.2 t/yr, saving
    // 0.2 x (10 - 2) - 1 = 0.6; one more tonne in 2028 is imported.
    let text = format!("{PLAN}{BAN}")
        .replace("unmet_penalty = 1000", "unmet_penalty = 1000\nbudget = 250");
    let h = horizon_from_str(&text).unwrap();
    let s = solve(&h, &Options::default()).unwrap();
    assert!(
        close(s.objective, 1000.0 + 1100.0 + 250.0 + 100.0 + 500.0),
        "{}",
        s.objective
    );
    let v = values(&h).unwrap();
    assert!(close(value(&v, "capex budget (total)", None), -0.6));
    assert!(close(value(&v, "demand Nd", Some(2028)), 10.0));
}

#[test]
fn cost_of_independence_sooner_by_hand() {
    // Without the ban: imports in 2026 and 2027, the plant from 2028, so
    // independence from 2028. From 2027: the 2027 tonnes come from stock
    // bought in 2026 (10 + 1 holding instead of 10): +100. From 2026:
    // nothing allied can serve 2026 (the plant needs two years, the stock
    // starts empty): infeasible.
    let h = horizon_from_str(PLAN).unwrap();
    let v = values(&h).unwrap();
    assert_eq!(v.sooner.len(), 1);
    let so = &v.sooner[0];
    let list = &so.from;
    assert_eq!((so.element, so.optimum), (0, Some(2)));
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0].0, 1);
    assert!(close(list[0].1.unwrap(), 100.0), "{list:?}");
    assert_eq!(list[1], (0, None));
    // With the 2027 ban the optimum is independent from 2027 already.
    let h = horizon_from_str(&format!("{PLAN}{BAN}")).unwrap();
    let v = values(&h).unwrap();
    assert_eq!(v.sooner[0].optimum, Some(1));
    assert_eq!(v.sooner[0].from, vec![(0, None)]);
}

#[test]
fn stochastic_marginal_values_by_hand() {
    // The two futures of FUTURES (no ban, or a 2027 ban, 0.5 each) with a
    // stockpile of 60 t: too small for the 100 t of 2027. With s t bought
    // in 2026 (first stage: 10/t, held over one year end at 1/t, so 11/t),
    // released in 2027 in both futures, the expected cost is
    //   1000 (2026 imports) + 11 s + 0.5 x 10 (100 - s)   [no ban: imports]
    //   + 0.5 x 1000 (100 - s)                            [ban: unmet]
    //   + 700 (plant built in 2026 for 2028),
    // falling by 494 per t of s, so s = 60 (the capacity): 22,560.
    let text =
        format!("{PLAN}{FUTURES}").replace("capacity = 500\nholding", "capacity = 60\nholding");
    let h = horizon_from_str(&text).unwrap();
    let a = analyse(&h);
    let opt = a.optimum.as_ref().unwrap();
    assert!(close(opt.objective, 22_560.0), "{}", opt.objective);
    assert!(close(opt.first.buy[0][0][0], 60.0), "{:?}", opt.first.buy);
    // Per future (first stage included): 1000 + 660 + 700 plus 40 t
    // imported (400) or unmet (40,000).
    assert!(close(opt.futures[0].cost, 2760.0) && close(opt.futures[1].cost, 42_360.0));
    // Planned alone: no ban 2700 (no stock), ban 42,360 (the same 60 t);
    // wait-and-see 22,530. Without the stockpile (and for the no-ban
    // plan across both futures) the ban leaves 100 t unmet: 52,200.
    assert!(close(a.wait_and_see(&h).unwrap(), 22_530.0));
    assert!(close(a.stockpile_value().unwrap(), 52_200.0 - 22_560.0));
    assert!(close(a.vss().unwrap(), 52_200.0 - 22_560.0));
    let v = values(&h).unwrap();
    // One more t of stockpile capacity: one more t bought (+11), which
    // replaces an import in the no-ban future (-0.5 x 10) and a tonne
    // unmet in the ban future (-0.5 x 1000): -494.
    let got = value(&v, "stockpile capacity Home Nd", None);
    assert!(close(got, 11.0 - 0.5 * 10.0 - 0.5 * 1000.0), "{got}");
    // One more t of import capacity in every year and future: only the
    // ban future's 2027 row (0 t) binds; the tonne imported at 10 replaces
    // a tonne unmet: 0.5 x (10 - 1000) = -495.
    let got = value(&v, "import cap Abroad Nd", None);
    assert!(close(got, 0.5 * (10.0 - 1000.0)), "{got}");
    // One more t of 2027 demand, with the stockpile full: imported in the
    // no-ban future, unmet in the ban future: 0.5 x 10 + 0.5 x 1000 = 505.
    // 2026: imported (10); 2028: the plant (7).
    for (year, want) in [(2026, 10.0), (2027, 505.0), (2028, 7.0)] {
        let got = value(&v, "demand Nd", Some(year));
        assert!(close(got, want), "{year}: {got} vs {want}");
    }
}

#[test]
fn a_fixed_first_stage_is_evaluated_future_by_future() {
    // The no-ban plan (no stock, 100 t/yr built in 2026) across both
    // futures of FUTURES: 0.5 x 2700 + 0.5 x (2700 - 1000 + 100,000), as
    // one LP over both futures and as one LP per future.
    let h = horizon_from_str(&format!("{PLAN}{FUTURES}")).unwrap();
    let alone = solve(
        &h,
        &Options {
            only: Some(0),
            ..Default::default()
        },
    )
    .unwrap();
    let joint = solve(
        &h,
        &Options {
            fixed: Some(&alone.first),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(close(joint.objective, 52_200.0), "{}", joint.objective);
    assert!(close(evaluate(&h, &alone.first).unwrap(), 52_200.0));
    // A first stage that leaves the ban future infeasible (no unmet
    // penalty, no stock): None.
    let strict = format!("{PLAN}{FUTURES}").replace("unmet_penalty = 1000\n", "");
    let h = horizon_from_str(&strict).unwrap();
    let first = FirstStage {
        build: vec![vec![100.0, 0.0, 0.0]],
        buy: vec![vec![vec![0.0; 3]]],
    };
    assert_eq!(evaluate(&h, &first), None);
}

#[test]
fn refineries_of_one_region_share_their_shipments() {
    // Two plants at Home, recoveries 1 and 0.5 (ore at 1, opex 1: refined
    // Nd at 2 and 4 per t), 60 and 100 t/yr of ore; demand 100 t at Home
    // and 50 t at Far; transport 5 between regions; imports at 10 + 5.
    // All 60 + 50 = 110 t refined are used (at most 4 + 5 < 15): Home
    // takes 100 refined, Far 10 refined (+5 each) and 40 imported:
    // 120 + 200 + 50 + 600 = 970.
    // PLAN for one year (the plant's lead time of 2 years leaves nothing
    // to build, a stock bought would arrive after the horizon) with 60 t/yr
    // of existing capacity, a second plant, a second demand region.
    let more = r#"
[[refinery]]
name = "B"
region = "Home"
existing = 100
opex = 1
recovery = 0.5
[[region]]
name = "Far"
[[demand]]
region = "Far"
element = "Nd"
amount = 50
[transport]
default = 5
within = 0
"#;
    let text = format!("{PLAN}{more}")
        .replace("years = 3", "years = 1")
        .replace("max_new = 500", "existing = 60\nmax_new = 500");
    let s = solve(&horizon_from_str(&text).unwrap(), &Options::default()).unwrap();
    assert!(close(s.objective, 970.0), "{}", s.objective);
    let f = &s.futures[0];
    assert!(close(f.refined[0][0], 110.0) && close(f.imported[0][0], 40.0));
    // A plant abroad (outside the alliance) refining the same ore at
    // 1 + 5 (ore transport) + 1 per t: its Nd reaches Home or Far at 12 < 15
    // for imports, so it replaces the 40 t imported:
    // 120 + 200 + 50 + 40 x 12 = 850. Independence from 2026 closes both
    // outside refining and imports: infeasible.
    let abroad = format!(
        "{text}[[refinery]]\nname = \"C\"\nregion = \"Abroad\"\nexisting = 100\nopex = 1\nrecovery = 1.0\n"
    );
    let h = horizon_from_str(&abroad).unwrap();
    let s = solve(&h, &Options::default()).unwrap();
    assert!(close(s.objective, 850.0), "{}", s.objective);
    let f = &s.futures[0];
    assert!(close(f.refined[0][0], 110.0) && close(f.outside_refined[0][0], 40.0));
    assert!(f.imported[0][0].abs() < 1e-9);
    let closed = Options {
        independent: Some((0, 0)),
        ..Default::default()
    };
    assert!(solve(&h, &closed).is_err());
}

fn same_first_stage(a: &FirstStage, b: &FirstStage) {
    let flat = |f: &FirstStage| -> Vec<f64> {
        f.build
            .iter()
            .flatten()
            .chain(f.buy.iter().flatten().flatten())
            .copied()
            .collect()
    };
    let (x, y) = (flat(a), flat(b));
    assert_eq!(x.len(), y.len());
    for (p, q) in x.iter().zip(&y) {
        assert!(close(*p, *q), "{x:?} vs {y:?}");
    }
}

#[test]
fn one_future_of_weight_one_is_the_deterministic_plan() {
    // The ban as the only future (probability 1), or as two identical
    // futures, gives the deterministic plan with a common [[shock]]:
    // 2800, stock bought in 2026, 100 t/yr built in 2026.
    let det = solve(
        &horizon_from_str(&format!("{PLAN}{BAN}")).unwrap(),
        &Options::default(),
    )
    .unwrap();
    assert!(close(det.objective, 2800.0));
    let one = FUTURES
        .split("[[future]]")
        .nth(2)
        .unwrap()
        .replace("probability = 0.5", "probability = 1.0");
    let h = horizon_from_str(&format!("{PLAN}[[future]]{one}")).unwrap();
    assert_eq!(h.futures.len(), 1);
    let a = analyse(&h);
    let s = a.optimum.as_ref().unwrap();
    assert!(close(s.objective, 2800.0), "{}", s.objective);
    same_first_stage(&s.first, &det.first);
    for (a, b) in s.futures[0].stock[0].iter().zip(&det.futures[0].stock[0]) {
        assert!(close(*a, *b));
    }
    assert!(close(a.vss().unwrap(), 0.0));
    let twin = format!(
        "{PLAN}[[future]]{}[[future]]{}",
        one.replace("probability = 1.0", "probability = 0.5"),
        one.replace("probability = 1.0", "probability = 0.5")
            .replace("ban-2027", "ban-2027-again")
    );
    let ht = horizon_from_str(&twin).unwrap();
    let a = analyse(&ht);
    let s = a.optimum.as_ref().unwrap();
    assert!(close(s.objective, 2800.0), "{}", s.objective);
    same_first_stage(&s.first, &det.first);
    for f in &s.futures {
        assert!(close(f.cost, 2800.0));
    }
    assert!(close(a.wait_and_see(&ht).unwrap(), 2800.0));
    assert!(close(a.vss().unwrap(), 0.0));
}

/// Checks that every tag of `svg` is closed in order (no XML crate needed
/// for the SVGs plotters writes: no CDATA, no comments).
fn well_formed(svg: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let j = rest[i..].find('>').ok_or("unclosed <")? + i;
        let tag = &rest[i + 1..j];
        rest = &rest[j + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("</{name}> without opening"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("").to_string();
            stack.push(name);
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed {stack:?}"))
    }
}

#[test]
fn plots_are_written_with_their_series() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.toml");
    std::fs::write(&file, format!("{PLAN}{BAN}")).unwrap();
    let out = dir.path().join("pictures");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args([
            "plan",
            file.to_str().unwrap(),
            "--plot",
            out.to_str().unwrap(),
            "--marginal",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("Marginal values") && stdout.contains("independence sooner"),
        "{stdout}"
    );
    let read =
        |n: &str| std::fs::read_to_string(out.join(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
    let build = read("buildout.svg");
    let supply = read("supply-base.svg");
    let stock = read("stock-base.svg");
    for svg in [&build, &supply, &stock] {
        assert!(svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        well_formed(svg).unwrap();
    }
    // Series names (legend text) and the plotted numbers.
    // Legend entries are text elements of their own.
    assert!(build.contains(">\nPlant\n</text>"), "legend");
    assert!(build.contains("refining capacity available | Plant: 0.00 0.00 100.00"));
    assert!(build.contains("| Plant (decided): 100.00 0.00 0.00"));
    for line in [
        "Nd supply to the alliance | allied refining: 0.00 0.00 100.00",
        "Nd supply to the alliance | imports: 100.00 0.00 0.00",
        "Nd supply to the alliance | stock release: 0.00 100.00 0.00",
    ] {
        assert!(supply.contains(line), "{line}");
    }
    assert!(supply.contains(">\nstock release\n</text>"));
    assert!(!supply.contains("| unmet"));
    assert!(stock.contains("| Home Nd: 100.00 0.00 0.00"));
    // A file prefix: X.svg -> X-buildout.svg, ...
    let prefix = dir.path().join("fig.svg");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args([
            "plan",
            file.to_str().unwrap(),
            "--plot",
            prefix.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    for n in [
        "fig-buildout.svg",
        "fig-supply-base.svg",
        "fig-stock-base.svg",
    ] {
        assert!(dir.path().join(n).is_file(), "{n}");
    }
}

#[test]
fn options_a_horizon_plan_does_not_take_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.toml");
    std::fs::write(&file, format!("{PLAN}{BAN}")).unwrap();
    let f = file.to_str().unwrap();
    let csv = dir.path().join("out.csv");
    let missing = dir.path().join("no/such/dir/x.svg");
    for (args, needle) in [
        (vec!["--compare"], "--compare"),
        (vec!["--scenario", "x"], "--scenario"),
        (vec!["--csv", csv.to_str().unwrap()], "--csv"),
        (vec!["--solver", "clarabel"], "--solver clarabel"),
        (vec!["--plot", missing.to_str().unwrap()], "does not exist"),
    ] {
        let mut all = vec!["plan", f];
        all.extend(args.iter().copied());
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
            .args(&all)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(!csv.exists());
    // --solver microlp is the horizon planner's own backend.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(["plan", f, "--solver", "microlp"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    // One-year plans do not take --plot / --marginal.
    let didactic = concat!(env!("CARGO_MANIFEST_DIR"), "/models/plan-didactic.toml");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(["plan", didactic, "--marginal"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("only horizon plans"));
}
