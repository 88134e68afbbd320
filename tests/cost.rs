//! The cost model: sizing arithmetic by hand, allocation rules, consistency
//! with the design, the planner's derived refineries, and bad input.

use std::path::{Path, PathBuf};

mod common;

use common::fixtures::{PRND, PRND_LINES};
use sxforge::cost::{self, Allocation, CostParams};
use sxforge::model::CascadeSpec;
use sxforge::{Cascade, Solution, Solver};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

/// Pr/Nd, beta 4, 1 extraction + 1 scrub stage, S = 1.5, W = 0.8, F = 1.
fn two_stage() -> (Cascade, Solution) {
    let c = CascadeSpec::separation_factor("two", &["Pr", "Nd"], &[1.0, 4.0])
        .with_stages(1, 1, 0)
        .with_feed_amounts(&[0.25, 0.75])
        .with_amounts(1.5, 0.8)
        .build()
        .unwrap();
    let s = Solver::new().solve(&c);
    assert!(s.converged());
    (c, s)
}

fn params() -> CostParams {
    CostParams {
        throughput: 100.0,
        hours: 8000.0,
        max_settler_area: 1e9,
        price: [("Pr".to_string(), 50.0), ("Nd".to_string(), 100.0)]
            .into_iter()
            .collect(),
        ..CostParams::default()
    }
}

#[test]
fn two_stage_sizing_and_every_term_by_hand() {
    let (c, s) = two_stage();
    let p = params();
    let r = cost::cost_cascade(&c, &s, &p).unwrap();
    // oxides: Pr6O11 per Pr = 140.908 + 11/6 x 15.999; Nd2O3 per Nd = 144.242 + 1.5 x 15.999
    let (mpr, mnd) = (140.908 + 11.0 / 6.0 * 15.999, 144.242 + 1.5 * 15.999);
    let feed_kg_h = (0.25 * mpr + 0.75 * mnd) / 1000.0;
    let k = 100.0 / (feed_kg_h * 8000.0 / 1000.0);
    assert!(close(r.scale, k, 1e-12));
    // volumes (L/h, model scale): scrub solution 3 x 1.1 x W / 4 mol/L
    let scrub = 3.0 * 1.1 * 0.8 / 4.0;
    let aq = [1.0 / 1.0 + scrub, scrub];
    let org = [1.5 / 0.18, 0.7 / 0.18];
    let mut installed = 0.0;
    let mut hold = 0.0;
    let mut mixers = 0.0;
    for j in 0..2 {
        let q = k * (aq[j] + org[j]) / 1000.0; // m3/h
        let v = q * 3.0 / 60.0;
        let a = q / 2.0;
        let st = &r.units[0].stages[j];
        assert!(close(st.flow, q, 1e-12));
        assert!(close(st.mixer_volume, v, 1e-12));
        assert!(close(st.settler_area, a, 1e-12));
        assert_eq!(st.parallel, 1);
        let h = v * org[j] / (aq[j] + org[j]) + a * 0.3;
        assert!(close(st.organic_holdup, h, 1e-12));
        let pc = 25_000.0 * (a / 10.0).powf(0.6);
        assert!(close(st.installed, 4.74 * pc, 1e-12));
        installed += 4.74 * pc;
        hold += h;
        mixers += v;
    }
    // organic: 1.5 mol/L x 306.4 g/mol = 0.4596 kg/L at 10 USD/kg; diluent the rest
    let kg_l = 1.5 * 306.4 / 1000.0;
    let per_l = kg_l * 10.0 + (1.0 - kg_l / 0.95) * 1.0;
    let fill = hold * 1000.0 * per_l;
    assert!(close(r.capex_terms[0].value, installed, 1e-12));
    assert!(close(r.capex_terms[1].value, fill, 1e-12));
    assert!(close(r.capex, installed + fill, 1e-12));
    let crf = 0.08 / (1.0 - 1.08f64.powf(-20.0));
    assert!(close(r.annualised_capex, (installed + fill) * crf, 1e-12));
    // reagents: base 3 x 1.1 x S; acid 3 x 1.1 x (W + (S - W)) mol/h at model scale
    let term = |n: &str| r.opex_terms.iter().find(|t| t.name == n).unwrap().value;
    let acid = k * 3.3 * (0.8 + 0.7) * 8000.0 * 36.461 / 1000.0 * 0.25;
    let base = k * 3.3 * 1.5 * 8000.0 * 17.031 / 1000.0 * 0.5;
    assert!(close(term("acid"), acid, 1e-12));
    assert!(close(term("base"), base, 1e-12));
    // precipitant: 1.8 mol oxalic acid per mol RE of product (Pr in the
    // raffinate, Nd in the loaded organic)
    let pr = s.aqueous[[0, 0]];
    let nd = s.organic[[1, 1]];
    assert!(pr > s.organic[[1, 0]] && nd > s.aqueous[[0, 1]]);
    assert!(r.product("Pr").unwrap().stream.ends_with("raffinate"));
    assert!(r.product("Nd").unwrap().stream.ends_with("loaded_organic"));
    let prec = k * (pr + nd) * 1.8 * 126.07 * 8000.0 / 1000.0 * 1.0;
    assert!(close(term("precipitant"), prec, 1e-12));
    // organic lost: 0.05 L per m3 of aqueous effluent (raffinate + scrub
    // liquor of the stripping), at the organic's price
    let effluent = 1.0 + scrub + 3.3 * 0.7 / 4.0;
    let loss = k * effluent / 1000.0 * 8000.0 * 0.05 * per_l;
    assert!(close(term("organic_losses"), loss, 1e-12));
    assert!(close(term("power"), mixers * 1.0 * 8000.0 * 0.10, 1e-12));
    assert!(close(term("labour"), 2.0 * 10_000.0, 1e-15));
    assert!(close(term("maintenance"), 0.03 * installed, 1e-12));
    let opex = acid + base + prec + loss + mixers * 800.0 + 20_000.0 + 0.03 * installed;
    assert!(close(r.opex, opex, 1e-12));
    assert!(close(r.reagents, acid + base + prec + loss, 1e-12));
    assert!(close(r.total, opex + (installed + fill) * crf, 1e-12));
    // products and value allocation: cost per kg proportional to price
    let kg_pr = k * pr * 8000.0 * mpr / 1000.0;
    let kg_nd = k * nd * 8000.0 * mnd / 1000.0;
    let (ppr, pnd) = (r.product("Pr").unwrap(), r.product("Nd").unwrap());
    assert!(close(ppr.kg_per_year, kg_pr, 1e-12));
    assert!(close(pnd.kg_per_year, kg_nd, 1e-12));
    let share_nd = 100.0 * kg_nd / (100.0 * kg_nd + 50.0 * kg_pr);
    assert!(close(pnd.share, share_nd, 1e-12));
    assert!(close(pnd.cost_per_kg, r.total * share_nd / kg_nd, 1e-12));
    assert!(close(pnd.cost_per_kg / ppr.cost_per_kg, 2.0, 1e-12));
    assert!(close(pnd.recovery, nd / 0.75, 1e-12));
}

#[test]
fn allocation_rules_share_the_whole_cost() {
    let (c, s) = two_stage();
    let mut p = params();
    let value = cost::cost_cascade(&c, &s, &p).unwrap();
    p.allocation = Allocation::Mass;
    let mass = cost::cost_cascade(&c, &s, &p).unwrap();
    p.allocation = Allocation::ByProduct(vec!["Nd".into()]);
    let byp = cost::cost_cascade(&c, &s, &p).unwrap();
    for r in [&value, &mass, &byp] {
        let sum: f64 = r.products.iter().map(|q| q.allocated).sum();
        assert!(
            close(sum, r.total, 1e-12),
            "{} {sum} {}",
            r.allocation,
            r.total
        );
    }
    // mass: one cost per kg for every product
    let kg: f64 = mass.products.iter().map(|q| q.kg_per_year).sum();
    for q in &mass.products {
        assert!(close(q.cost_per_kg, mass.total / kg, 1e-12));
    }
    // by-product credit: Pr at its price, Nd bears the rest
    let pr = byp.product("Pr").unwrap();
    let nd = byp.product("Nd").unwrap();
    assert!(close(pr.cost_per_kg, 50.0, 1e-12));
    assert!(close(
        nd.allocated,
        byp.total - 50.0 * pr.kg_per_year,
        1e-12
    ));
    // default main product: the most valuable (Nd here)
    p.allocation = Allocation::ByProduct(Vec::new());
    let d = cost::cost_cascade(&c, &s, &p).unwrap();
    assert!(close(d.product("Pr").unwrap().cost_per_kg, 50.0, 1e-12));
    // an unknown main product is an error naming the key
    p.allocation = Allocation::ByProduct(vec!["La".into()]);
    let e = cost::cost_cascade(&c, &s, &p).unwrap_err();
    assert_eq!(e.key, "cost.main");
}

#[test]
fn crf_is_stable_for_long_lifetimes_and_small_rates() {
    assert!(close(cost::crf(0.08, 1e9), 0.08, 1e-15));
    assert!(close(cost::crf(1e-12, 10.0), 0.1, 1e-10));
    assert_eq!(cost::crf(0.0, 25.0), 0.04);
    assert!(close(cost::crf(0.1, 1.0), 1.1, 1e-14));
}

#[test]
fn economies_of_scale_lower_capex_per_tonne() {
    let (c, s) = two_stage();
    let mut p = params();
    let small = cost::cost_cascade(&c, &s, &p).unwrap();
    p.throughput = 1000.0;
    let big = cost::cost_cascade(&c, &s, &p).unwrap();
    // equipment x 10^0.6, organic (linear) x 10: capex per t/yr falls
    assert!(close(
        big.capex_terms[0].value,
        small.capex_terms[0].value * 10f64.powf(0.6),
        1e-12
    ));
    assert!(big.capex / 1000.0 < small.capex / 100.0);
    // beyond the largest settler, units run in parallel: linear again
    p.max_settler_area = 1.0;
    let par = cost::cost_cascade(&c, &s, &p).unwrap();
    assert!(par.units[0].stages.iter().all(|st| st.parallel > 1));
    assert!(par.capex_terms[0].value > big.capex_terms[0].value);
}

fn prnd(extraction: usize, scrub: usize) -> (Cascade, Solution) {
    let c = common::fixtures::prnd(extraction, scrub);
    let s = Solver::new().solve(&c);
    assert!(s.converged());
    (c, s)
}

#[test]
fn more_stages_more_capex_and_purer_nd_costs_more() {
    let p = CostParams::default();
    let (c1, s1) = prnd(17, 20);
    let (c2, s2) = prnd(27, 30);
    let r1 = cost::cost_cascade(&c1, &s1, &p).unwrap();
    let r2 = cost::cost_cascade(&c2, &s2, &p).unwrap();
    assert!(r2.capex > r1.capex * 1.4);
    assert!(r2.product("Nd").unwrap().purity > r1.product("Nd").unwrap().purity);
    // the fewest stages meeting a purer Nd product cost more per kg of Nd
    let target = |purity: f64| sxforge::design::Target {
        stream: sxforge::cascade::StreamKind::LoadedOrganic,
        components: vec![1],
        label: "Nd".into(),
        measure: sxforge::design::Measure::Purity,
        min: purity,
    };
    let vars = [sxforge::design::StageVar {
        section: sxforge::cascade::Section::Scrub,
        lo: 1,
        hi: 45,
        price: 1.0,
    }];
    let mut per_kg = Vec::new();
    // S - W = 0.7512 > 0.75 of Nd fed: the organic product tops out near 99.87 %
    for purity in [0.99, 0.997] {
        let search = sxforge::design::min_stages(&c1.to_spec(), &[target(purity)], &vars, None);
        let st = search
            .best
            .as_ref()
            .unwrap_or_else(|| panic!("{:?}", search.most))
            .stages;
        let (c, s) = prnd(st[0], st[1]);
        let r = cost::cost_cascade(&c, &s, &p).unwrap();
        per_kg.push((st[1], r.cost_per_kg("Nd").unwrap()));
    }
    assert!(per_kg[1].0 > per_kg[0].0, "{per_kg:?}");
    assert!(per_kg[1].1 > per_kg[0].1, "{per_kg:?}");
}

#[test]
fn rigorous_model_uses_its_solved_reagents() {
    let m = cost::file::load(Path::new("models/p507-prnd-industrial.toml")).unwrap();
    let s = Solver::new().solve(&m.cascade);
    assert!(s.converged());
    let p = CostParams::default();
    let u = cost::unit_from_cascade(&m.cascade, &s, &p).unwrap();
    let r = sxforge::report::reagents::reagents(&m.cascade, &s).unwrap();
    // scrub + strip acid fed (the feed's pH-2 acid comes with the liquor)
    assert!(close(u.acid, 2480.0 * 4.2 + 800.0 * 6.0, 1e-12));
    assert!(close(u.acid, r.acid_in - 1000.0 * 0.01, 1e-12));
    assert!(close(u.base, 0.36 * 1.5 * 22700.0, 1e-12));
    assert_eq!(u.base_name, "NH3");
    assert_eq!(u.stages.len(), 148);
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sxforge-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn bad_cost_input_names_file_line_and_key() {
    // the [cost] table appended to the shared Pr/Nd model: its first key
    // is on the line after the table header
    let first = PRND_LINES + 2;
    for (extra, key, line) in [
        (
            "[cost]\nsettling_rate = -2.0\n",
            "cost.settling_rate",
            first,
        ),
        (
            "[cost]\nthroughput = 10\nallocation = \"fair\"\n",
            "cost.allocation",
            first + 1,
        ),
        ("[cost]\nbase = \"KOH\"\n", "cost.base", first),
        ("[cost]\nexponent = 1.5\n", "cost.exponent", first),
        ("[cost]\nmain = [\"Nd\"]\n", "cost.main", first),
    ] {
        let p = write("bad.toml", &format!("{PRND}{extra}"));
        let e = match cost::file::load(&p) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{extra} accepted"),
        };
        assert!(e.contains(&format!("bad.toml:{line}:")), "{e}");
        assert!(e.contains(key), "{e}");
    }
    let p = write("unknown.toml", &format!("{PRND}[cost]\nsettle = 2\n"));
    let e = cost::file::load(&p).err().unwrap().to_string();
    assert!(
        e.contains("bad.toml") || e.contains(&format!("unknown.toml:{first}")),
        "{e}"
    );
    assert!(e.contains("settle"), "{e}");
    // a price for a component the model does not have
    let p = write(
        "price.toml",
        &format!("{PRND}[cost]\nprice = {{ La = 1.0 }}\n"),
    );
    let m = cost::file::load(&p).unwrap();
    let s = Solver::new().solve(&m.cascade);
    let e = m.cost(&s).unwrap_err().to_string();
    assert!(
        e.contains(&format!("price.toml:{first}:")) && e.contains("cost.price.La"),
        "{e}"
    );
}

fn plan_text(process: &str, max_new: f64) -> String {
    format!(
        r#"elements = ["Pr", "Nd"]
[[region]]
name = "A"
[[source]]
name = "mine"
region = "A"
capacity = 5000
cost = 100
assay = {{ Pr = 0.25, Nd = 0.75 }}
[[refinery]]
name = "plant"
region = "A"
max_new = {max_new}
lifetime = 20
process = "{process}"
[[demand]]
region = "A"
element = "Nd"
amount = 600
[policy]
discount_rate = 0.08
"#
    )
}

#[test]
fn plan_uses_the_derived_refinery() {
    let model = "models/prnd-costed.toml";
    let plan = sxforge::capacity::plan_from_str(&plan_text(model, 2000.0)).unwrap();
    let d = cost::derive_refinery(Path::new(model), model, 2000.0).unwrap();
    let rf = &plan.refineries[0];
    assert_eq!(rf.capex, d.capex_per_tpy);
    assert_eq!(rf.opex, d.opex_per_t);
    assert_eq!(rf.recovery_of(0), d.recovery_of("Pr").unwrap());
    assert_eq!(rf.recovery_of(1), d.recovery_of("Nd").unwrap());
    assert!(close(
        rf.annualised_capex,
        d.capex_per_tpy * cost::crf(0.08, 20.0),
        1e-12
    ));
    // the derived numbers are the cost model's at that throughput
    let m = cost::file::load(Path::new(model)).unwrap();
    let s = Solver::new().solve(&m.cascade);
    let mut p = m.params.clone().unwrap();
    p.throughput = 2000.0;
    let r = cost::cost_cascade(&m.cascade, &s, &p).unwrap();
    assert!(close(d.capex_per_tpy, r.capex / 2000.0, 1e-12));
    assert!(close(d.opex_per_t, r.opex / 2000.0, 1e-12));
    // the LP produces recovery x assay x feed of each element
    let out = sxforge::capacity::solve(&plan, sxforge::capacity::Backend::Auto);
    let sol = out.solution().unwrap();
    let feed: f64 = sol.feed.iter().map(|f| f[0]).sum();
    assert!(close(
        sol.output[0][1],
        rf.recovery_of(1) * 0.75 * feed,
        1e-6
    ));
    assert!(close(
        sol.output[0][0],
        rf.recovery_of(0) * 0.25 * feed,
        1e-6
    ));
    // more stages in the process: more capex per t/yr in the plan
    let more = std::fs::read_to_string(model)
        .unwrap()
        .replace("extraction = 17", "extraction = 27")
        .replace("scrub = 20", "scrub = 30");
    let p2 = write("more-stages.toml", &more);
    let plan2 = sxforge::capacity::plan_from_str(&plan_text(p2.to_str().unwrap(), 2000.0)).unwrap();
    assert!(plan2.refineries[0].capex > rf.capex * 1.3);
    assert!(plan2.refineries[0].recovery_of(1) > rf.recovery_of(1));
}

#[test]
fn plan_process_errors_name_the_refinery() {
    let e = sxforge::capacity::plan_from_str(&plan_text("models/none.toml", 2000.0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("refinery[0].process"), "{e}");
    assert!(e.contains(":15"), "{e}");
    // elements the process does not separate need a recovery
    let text = plan_text("models/prnd-costed.toml", 2000.0)
        .replace(
            "elements = [\"Pr\", \"Nd\"]",
            "elements = [\"Pr\", \"Nd\", \"La\"]",
        )
        .replace("Nd = 0.75 }", "Nd = 0.70, La = 0.05 }");
    let e = sxforge::capacity::plan_from_str(&text)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("refinery[0].recovery") && e.contains("La"),
        "{e}"
    );
    let ok = text.replace("lifetime = 20", "lifetime = 20\nrecovery = 0.9");
    let plan = sxforge::capacity::plan_from_str(&ok).unwrap();
    assert_eq!(plan.refineries[0].recovery_of(2), 0.9);
    // capex beside a process is an error
    let bad = plan_text("models/prnd-costed.toml", 2000.0)
        .replace("lifetime = 20", "lifetime = 20\ncapex = 5");
    let e = sxforge::capacity::plan_from_str(&bad)
        .unwrap_err()
        .to_string();
    assert!(e.contains("refinery[0].capex"), "{e}");
}

fn sxforge(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sxforge"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn cost_cli_text_json_csv_and_simulate_block() {
    let text = sxforge(&["cost", "models/prnd-costed.toml"]);
    assert_eq!(text.status.code(), Some(0));
    let t = String::from_utf8(text.stdout).unwrap();
    for term in [
        "mixer_settlers",
        "organic_first_fill",
        "acid",
        "base",
        "precipitant",
        "labour",
        "maintenance",
        "CRF",
    ] {
        assert!(t.contains(term), "{term}: {t}");
    }
    let json = sxforge(&["cost", "models/prnd-costed.toml", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let products = v["products"].as_array().unwrap();
    assert_eq!(products.len(), 2);
    let sum: f64 = products
        .iter()
        .map(|p| p["allocated"].as_f64().unwrap())
        .sum();
    assert!(close(sum, v["total"].as_f64().unwrap(), 1e-12));
    let csv = sxforge(&["cost", "models/prnd-costed.toml", "--csv"]);
    let c = String::from_utf8(csv.stdout).unwrap();
    assert!(c.starts_with("section,item,value,unit,how\n"));
    assert!(c.contains("product.Nd,cost_per_kg,"));
    // simulate: the old report unchanged, the cost added at the end / as a key
    let sim = sxforge(&["simulate", "models/prnd-costed.toml", "--json"]);
    let s: serde_json::Value = serde_json::from_slice(&sim.stdout).unwrap();
    assert_eq!(s["cost"]["total"], v["total"]);
    let plain = sxforge(&["simulate", "models/prnd.toml", "--json"]);
    let p: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(p.get("cost").is_none());
    // no [cost] table: a clear error
    let none = sxforge(&["cost", "models/prnd.toml"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("[cost]"));
}

#[test]
fn shipped_process_plan_reports_its_processes() {
    let out = sxforge(&["plan", "models/alliance-2026-process.toml", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["refineries"]["Iluka Eneabba"]["process"];
    assert_eq!(r["file"], "lace-prnd-costed.toml");
    assert_eq!(r["throughput"], 17500.0);
    let d = cost::derive_refinery(
        Path::new("models/lace-prnd-costed.toml"),
        "lace-prnd-costed.toml",
        17500.0,
    )
    .unwrap();
    assert!(close(
        r["capex_per_tpy"].as_f64().unwrap(),
        d.capex_per_tpy,
        1e-12
    ));
    assert!(close(
        r["opex_per_t"].as_f64().unwrap(),
        d.opex_per_t,
        1e-12
    ));
    assert!(close(
        r["recovery"]["Nd"].as_f64().unwrap(),
        d.recovery_of("Nd").unwrap(),
        1e-12
    ));
    assert!(v["refineries"]["Lynas Kuantan"].get("process").is_none());
    // Nolans runs the whole Bayan Obo train: a flowsheet, its numbers the
    // cost model's at the refinery's size
    let n = &v["refineries"]["Arafura Nolans"]["process"];
    assert_eq!(n["file"], "bayan-obo-linked.toml");
    assert_eq!(n["kind"], "flowsheet");
    assert_eq!(n["stages"], 204);
    let d = cost::derive_refinery(Path::new(BAYAN), "bayan-obo-linked.toml", 19637.0).unwrap();
    assert!(close(
        n["capex_per_tpy"].as_f64().unwrap(),
        d.capex_per_tpy,
        1e-12
    ));
    assert!(close(
        n["recovery"]["Pr"].as_f64().unwrap(),
        d.recovery_of("Pr").unwrap(),
        1e-12
    ));
    assert_eq!(n["recovery"]["Dy"], 0.95);
    // the whole train costs more per t/yr than the single cut
    assert!(n["capex_per_tpy"].as_f64().unwrap() > 3.0 * r["capex_per_tpy"].as_f64().unwrap());
}

// ---------------------------------------------------------------- flowsheets

const BAYAN: &str = "models/bayan-obo-linked.toml";

fn flowsheet(
    text: &str,
) -> (
    sxforge::flowsheet::Flowsheet,
    sxforge::flowsheet::solve::FlowsheetResult,
) {
    let fs = sxforge::flowsheet::load::parse_str(text, None).unwrap();
    let res = sxforge::flowsheet::solve::solve(&fs).unwrap();
    assert!(res.converged, "{:?}", res.message);
    (fs, res)
}

fn bayan_params() -> CostParams {
    match cost::file::load_priced(Path::new(BAYAN)).unwrap().params {
        Some(p) => p,
        None => panic!("{BAYAN} has no [cost]"),
    }
}

fn term(r: &cost::CostReport, name: &str) -> f64 {
    r.opex_terms
        .iter()
        .chain(&r.capex_terms)
        .find(|t| t.name == name)
        .unwrap()
        .value
}

#[test]
fn flowsheet_cost_is_the_sum_of_its_units_where_additive() {
    let (fs, res) = flowsheet(&std::fs::read_to_string(BAYAN).unwrap());
    let p = CostParams {
        allocation: Allocation::Mass,
        ..bayan_params()
    };
    let units = cost::units_from_flowsheet(&fs, &res, &p).unwrap();
    let whole = cost::evaluate(&units, &p).unwrap();
    // the units' external feeds add up to the plant's inflow
    let plant_feed: Vec<f64> = (0..fs.components.len())
        .map(|i| units.iter().map(|u| u.feed[i]).sum())
        .collect();
    for (a, b) in plant_feed.iter().zip(&res.inflow) {
        assert!(close(*a, *b, 1e-12), "{a} vs {b}");
    }
    // every product of the flowsheet is a plant outlet, nothing else is
    let outlets: usize = units.iter().map(|u| u.outlets.len()).sum();
    assert_eq!(outlets, res.products.len());
    assert_eq!(whole.products.len(), 5);
    // each unit alone, at the plant's scale (the whole plant's feed given to
    // it): capex, acid, base and organic losses add up
    let (mut capex, mut acid, mut base, mut loss) = (0.0, 0.0, 0.0, 0.0);
    for u in &units {
        let mut alone = u.clone();
        alone.feed = plant_feed.clone();
        let r = cost::evaluate(&[alone], &p).unwrap();
        assert!(close(r.scale, whole.scale, 1e-12));
        capex += r.capex;
        acid += term(&r, "acid");
        base += term(&r, "base");
        loss += term(&r, "organic_losses");
    }
    assert!(
        close(capex, whole.capex, 1e-12),
        "{capex} vs {}",
        whole.capex
    );
    assert!(close(acid, term(&whole, "acid"), 1e-12));
    assert!(close(base, term(&whole, "base"), 1e-12));
    assert!(close(loss, term(&whole, "organic_losses"), 1e-12));
    // the per-unit breakdown of the report adds up too
    let sum_units: f64 = whole.units.iter().map(|u| u.capex).sum();
    assert!(close(sum_units, whole.capex, 1e-12));
    let sum_acid: f64 = whole.units.iter().map(|u| u.acid).sum();
    assert!(close(sum_acid, term(&whole, "acid"), 1e-12));
    // intermediate streams are not products: the Ce-Pr cut has none and
    // its raffinate and linked organic lose no organic to effluent
    let cepr = units.iter().find(|u| u.name == "Ce-Pr").unwrap();
    assert!(cepr.outlets.is_empty());
    assert_eq!(cepr.aqueous_effluent, 0.0);
    assert!(cepr.feed.iter().all(|&f| f == 0.0));
}

/// Two linked units by hand: A (1 + 1 stages) fed La/Nd, its loaded
/// organic fed to B (1 + 1 stages) at stage n+1.
const TWO_UNITS: &str = r#"name = "two units"
components = ["La", "Nd"]
[chemistry]
model = "separation-factor"
beta = { La = 1.0, Nd = 4.0 }
[[stream]]
name = "liquor"
amount = { La = 0.5, Nd = 0.5 }
[[unit]]
name = "A"
cascade = { extraction = 1, scrub = 1 }
feed = "liquor"
flows = { extraction_ratio = 0.8, scrub_ratio = 0.3 }
[[unit]]
name = "B"
cascade = { extraction = 1, scrub = 1 }
feed = "A.loaded_organic"
flows = { extraction_ratio = 0.5, scrub_ratio = 1.0 }
"#;

#[test]
fn two_linked_units_by_hand() {
    let (fs, res) = flowsheet(TWO_UNITS);
    let p = CostParams {
        throughput: 100.0,
        hours: 8000.0,
        max_settler_area: 1e9,
        allocation: Allocation::Mass,
        ..CostParams::default()
    };
    let r = cost::cost_flowsheet(&fs, &res, &p).unwrap();
    let (a, b) = match (&res.units[0], &res.units[1]) {
        (Some(a), Some(b)) => (&a.solution, &b.solution),
        _ => panic!("unsolved"),
    };
    let row = |m: &ndarray::Array2<f64>, j: usize| m.row(j).sum();
    let (mla, mnd) = (138.905 + 1.5 * 15.999, 144.242 + 1.5 * 15.999);
    let feed_kg_h = (0.5 * mla + 0.5 * mnd) / 1000.0;
    let k = 100.0 / (feed_kg_h * 8000.0 / 1000.0);
    assert!(close(r.scale, k, 1e-12));
    let x = 3.0 * 1.1;
    // A: base for its load, scrub acid; its loaded organic goes on to B
    // unstripped (no strip acid). B: base for its fresh organic only, scrub
    // acid, strip acid for all it carries out.
    let (fa, fb) = (1.0, row(&a.organic, 1));
    let acid = x * (row(&a.aqueous, 1) + row(&b.aqueous, 1) + row(&b.organic, 1));
    let base = x * (row(&a.organic, 0) + row(&b.organic, 0));
    let acid_usd = k * acid * 8000.0 * 36.461 / 1000.0 * 0.25;
    let base_usd = k * base * 8000.0 * 17.031 / 1000.0 * 0.5;
    assert!(close(term(&r, "acid"), acid_usd, 1e-12));
    assert!(close(term(&r, "base"), base_usd, 1e-12));
    // W relative to each unit's solved feed total
    let ws = [0.3 * fa, 1.0 * fb];
    // stage flows (L/h, model scale): A aqueous feed 1 mol/L, scrub
    // solution x W / 4 mol/L; B is fed organic (no feed volume)
    let mut installed = 0.0;
    let mut effluent = 0.0;
    for (u, (sol, w)) in [a, b].iter().zip(ws).enumerate() {
        let scrub = x * w / 4.0;
        let feed_vol = if u == 0 { fa / 1.0 } else { 0.0 };
        for j in 0..2 {
            let aq = if j == 0 { feed_vol + scrub } else { scrub };
            let org = row(&sol.organic, j) / 0.18;
            let q = k * (aq + org) / 1000.0;
            let area = q / 2.0;
            installed += 4.74 * 25_000.0 * (area / 10.0).powf(0.6);
            assert!(close(r.units[u].stages[j].flow, q, 1e-12));
        }
        // both raffinates are products; only B's organic is stripped
        effluent += feed_vol + scrub;
        if u == 1 {
            effluent += x * row(&sol.organic, 1) / 4.0;
        }
    }
    assert!(close(term(&r, "mixer_settlers"), installed, 1e-12));
    let (kg, dil) = (1.5 * 306.4 / 1000.0, 1.0 - 1.5 * 306.4 / 1000.0 / 0.95);
    let loss = k * effluent / 1000.0 * 8000.0 * 0.05 * (kg * 10.0 + dil * 1.0);
    assert!(close(term(&r, "organic_losses"), loss, 1e-12));
    // products: A's raffinate (La) and B's outlets; A's organic is not one
    let streams: Vec<&str> = r.products.iter().map(|p| p.stream.as_str()).collect();
    assert!(
        streams.iter().all(|s| !s.starts_with("A: loaded")),
        "{streams:?}"
    );
    assert_eq!(r.products.len(), 2);
    let kg_sum: f64 = r.products.iter().map(|p| p.allocated).sum();
    assert!(close(kg_sum, r.total, 1e-12));
}

#[test]
fn linked_extraction_saves_reagents_over_strip_and_resaponify() {
    let linked_text = std::fs::read_to_string(BAYAN).unwrap();
    let (fs, res) = flowsheet(&linked_text);
    let p = bayan_params();
    let linked = cost::cost_flowsheet(&fs, &res, &p).unwrap();
    // the same train with the Ce-Pr organic stripped and the Pr/Nd liquor
    // re-extracted from the aqueous: Pr-Nd fed aqueous (S raised by the
    // extracted share so that W and the product split stay), with the
    // composition of the linked organic
    let org = &res.streams["Ce-Pr.loaded_organic"].amount;
    let prnd = format!(
        "[[stream]]\nname = \"prnd\"\namount = {{ La = {:e}, Ce = {:e}, Pr = {:e}, Nd = {:e}, SEG = {:e} }}\n\n[[unit]]",
        org[0], org[1], org[2], org[3], org[4]
    );
    let unlinked_text = linked_text
        .replacen("[[unit]]", &prnd, 1)
        .replace("feed = \"Ce-Pr.loaded_organic\"", "feed = \"prnd\"")
        .replace(
            "extraction_ratio = 2.5, scrub_ratio = 2.751",
            "extraction_ratio = 3.5, scrub_ratio = 2.751",
        );
    let (fs2, res2) = flowsheet(&unlinked_text);
    let mut units = cost::units_from_flowsheet(&fs2, &res2, &p).unwrap();
    for u in &mut units {
        if u.name == "Ce-Pr" {
            // its organic is stripped to feed Pr-Nd: not a product
            u.outlets.retain(|o| o.name != "loaded_organic");
        }
        if u.name == "Pr-Nd" {
            // the Pr/Nd liquor comes from inside the plant
            u.feed.iter_mut().for_each(|f| *f = 0.0);
        }
    }
    let unlinked = cost::evaluate(&units, &p).unwrap();
    assert!(close(unlinked.scale, linked.scale, 1e-12));
    let nd = |r: &cost::CostReport| r.product("Nd").unwrap().purity;
    assert!(nd(&unlinked) > 0.99 && nd(&linked) > 0.99);
    let acid_base = |r: &cost::CostReport| term(r, "acid") + term(r, "base");
    let (l, u) = (acid_base(&linked), acid_base(&unlinked));
    eprintln!(
        "acid + base: linked {l:.0} USD/yr, strip + resaponify {u:.0} USD/yr ({:.1} % saved); reagents {:.0} vs {:.0}",
        100.0 * (1.0 - l / u),
        linked.reagents,
        unlinked.reagents
    );
    assert!(l < u * 0.95, "{l} vs {u}");
    assert!(linked.reagents < unlinked.reagents);
    // the saving is at least the strip acid of the linked organic
    let strip_acid =
        linked.scale * 3.3 * org.iter().sum::<f64>() * p.hours * 36.461 / 1000.0 * p.acid_price;
    assert!(u - l > strip_acid * 0.99, "{} vs {strip_acid}", u - l);
}

#[test]
fn more_stages_in_a_flowsheet_unit_more_capex_there() {
    let text = std::fs::read_to_string(BAYAN).unwrap();
    let p = bayan_params();
    let (fs, res) = flowsheet(&text);
    let base = cost::cost_flowsheet(&fs, &res, &p).unwrap();
    let more = text.replace(
        "cascade = { extraction = 40, scrub = 40 }",
        "cascade = { extraction = 50, scrub = 50 }",
    );
    let (fs2, res2) = flowsheet(&more);
    let r = cost::cost_flowsheet(&fs2, &res2, &p).unwrap();
    let unit = |r: &cost::CostReport, n: &str| r.units.iter().find(|u| u.name == n).unwrap().capex;
    assert!(unit(&r, "Pr-Nd") > unit(&base, "Pr-Nd") * 1.1);
    assert_eq!(unit(&r, "Ce-Pr"), unit(&base, "Ce-Pr"));
    assert!(r.capex > base.capex);
    assert!(r.product("Nd").unwrap().purity > base.product("Nd").unwrap().purity);
}

#[test]
fn separate_cost_file_equals_the_inline_table() {
    let text = std::fs::read_to_string(BAYAN).unwrap();
    let table = &text[text.find("\n[cost]").unwrap()..];
    let abs = Path::new(env!("CARGO_MANIFEST_DIR")).join(BAYAN);
    let f = write(
        "bayan-cost.toml",
        &format!("model = {:?}\n{table}", abs.to_str().unwrap()),
    );
    let a = cost::file::run_path(Path::new(BAYAN)).unwrap();
    let b = cost::file::run_path(&f).unwrap();
    assert_eq!(a.name, b.name);
    assert_eq!(
        cost::report::to_json(&a.report),
        cost::report::to_json(&b.report)
    );
    // the shipped variant prices the same design differently
    let c = cost::file::run_path(Path::new("models/cost/bayan-obo-china-prices.toml")).unwrap();
    assert_eq!(c.report.stages, a.report.stages);
    assert_eq!(c.report.scale, a.report.scale);
    assert!(c.report.capex < a.report.capex);
    assert!(c.report.opex < a.report.opex);
    // a cascade model can be priced by a cost file too
    let abs = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/prnd-costed.toml");
    let g = write(
        "prnd-cost.toml",
        &format!(
            "model = {:?}\n[cost]\nthroughput = 1000\n",
            abs.to_str().unwrap()
        ),
    );
    let inline = cost::file::run_path(Path::new("models/prnd-costed.toml")).unwrap();
    let sep = cost::file::run_path(&g).unwrap();
    assert_eq!(inline.report.capex, sep.report.capex);
}

#[test]
fn bad_cost_files_name_file_line_and_key() {
    let abs = Path::new(env!("CARGO_MANIFEST_DIR")).join(BAYAN);
    let model = format!("model = {:?}\n", abs.to_str().unwrap());
    for (text, key, line) in [
        (format!("{model}[cost]\nsettle = 2\n"), "settle", 3),
        (
            format!("{model}[cost]\nsettling_rate = -2\n"),
            "cost.settling_rate",
            3,
        ),
        (format!("{model}name = \"x\"\n[cost]\n"), "name", 2),
        (
            "model = \"no-such-model.toml\"\n[cost]\n".to_string(),
            "model",
            1,
        ),
        (
            format!("{model}\n[cost]\nprice = {{ Sm = 1.0 }}\n"),
            "cost.price.Sm",
            4,
        ),
    ] {
        let f = write("bad-cost.toml", &text);
        let e = match cost::file::run_path(&f) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {text}"),
        };
        assert!(e.contains(&format!("bad-cost.toml:{line}:")), "{e}");
        assert!(e.contains(key), "{e}");
    }
    // no [cost] in a cost file
    let f = write("no-table.toml", &model);
    let e = cost::file::run_path(&f).err().unwrap().to_string();
    assert!(e.contains("no-table.toml") && e.contains("[cost]"), "{e}");
    // a cost file naming a cost file
    let inner = write("inner-cost.toml", &format!("{model}[cost]\n"));
    let f = write(
        "outer-cost.toml",
        &format!("model = {:?}\n[cost]\n", inner.to_str().unwrap()),
    );
    let e = cost::file::run_path(&f).err().unwrap().to_string();
    assert!(
        e.contains("outer-cost.toml:1:") && e.contains("cost file"),
        "{e}"
    );
    // a bad [cost] inline in a flowsheet
    let text = std::fs::read_to_string(BAYAN)
        .unwrap()
        .replace("throughput = 10000", "throughput = -1");
    let line = text
        .lines()
        .position(|l| l.starts_with("throughput = -1"))
        .unwrap()
        + 1;
    let f = write("bad-flowsheet.toml", &text);
    let e = cost::file::run_path(&f).err().unwrap().to_string();
    assert!(
        e.contains(&format!("bad-flowsheet.toml:{line}:")) && e.contains("cost.throughput"),
        "{e}"
    );
}

#[test]
fn plan_prices_a_refinery_from_a_flowsheet() {
    let text = plan_text(BAYAN, 5000.0)
        .replace(
            "elements = [\"Pr\", \"Nd\"]",
            "elements = [\"La\", \"Ce\", \"Pr\", \"Nd\"]",
        )
        .replace(
            "assay = { Pr = 0.25, Nd = 0.75 }",
            "assay = { La = 0.23, Ce = 0.5, Pr = 0.062, Nd = 0.185 }",
        );
    let plan = sxforge::capacity::plan_from_str(&text).unwrap();
    let d = cost::derive_refinery(Path::new(BAYAN), BAYAN, 5000.0).unwrap();
    assert_eq!(d.kind, "flowsheet");
    assert_eq!(d.units, 4);
    assert_eq!(d.stages, 204);
    let rf = &plan.refineries[0];
    assert_eq!(rf.capex, d.capex_per_tpy);
    assert_eq!(rf.opex, d.opex_per_t);
    // the derived numbers are the cost model's at that throughput, the
    // recoveries those of the train's products (each element into its cut)
    let m = cost::file::load_priced(Path::new(BAYAN)).unwrap();
    let p = CostParams {
        throughput: 5000.0,
        ..bayan_params()
    };
    let r = m.cost_with(&p).unwrap();
    assert!(close(d.capex_per_tpy, r.capex / 5000.0, 1e-12));
    assert!(close(d.opex_per_t, r.opex / 5000.0, 1e-12));
    for (e, el) in ["La", "Ce", "Pr", "Nd"].iter().enumerate() {
        let q = r.product(el).unwrap();
        assert_eq!(rf.recovery_of(e), q.recovery, "{el}");
        assert_eq!(d.recovery_of(el), Some(q.recovery));
    }
    assert!(r.product("Pr").unwrap().stream.starts_with("Pr-Nd"));
    assert!(r.product("La").unwrap().stream.starts_with("La-Ce"));
    // economies of scale: a larger plant costs less capex per t/yr
    let big = cost::derive_refinery(Path::new(BAYAN), BAYAN, 20000.0).unwrap();
    assert!(big.capex_per_tpy < d.capex_per_tpy);
}

#[test]
fn cost_cli_on_a_flowsheet_and_a_cost_file() {
    let json = sxforge(&["cost", BAYAN, "--json"]);
    assert_eq!(json.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["products"].as_array().unwrap().len(), 5);
    assert_eq!(v["units"].as_array().unwrap().len(), 4);
    let text = String::from_utf8(sxforge(&["cost", BAYAN]).stdout).unwrap();
    for s in [
        "Pr-Nd: 80 stages",
        "linked:",
        "Nd     Pr-Nd: loaded_organic",
    ] {
        assert!(text.contains(s), "{s}: {text}");
    }
    let csv = String::from_utf8(sxforge(&["cost", BAYAN, "--csv"]).stdout).unwrap();
    assert!(csv.contains("product.SEG,cost_per_kg,"));
    // simulate: the flowsheet's report with the cost added
    let sim = sxforge(&["simulate", BAYAN, "--json"]);
    assert_eq!(sim.status.code(), Some(0));
    let s: serde_json::Value = serde_json::from_slice(&sim.stdout).unwrap();
    assert_eq!(s["cost"]["total"], v["total"]);
    assert!(s["products"].is_object());
    let t = String::from_utf8(sxforge(&["simulate", BAYAN]).stdout).unwrap();
    assert!(t.contains("Cost at 10000 t REO/yr"), "{t}");
    let f = sxforge(&["cost", "models/cost/bayan-obo-china-prices.toml"]);
    assert_eq!(f.status.code(), Some(0));
    let plain = sxforge(&["cost", "models/prnd-mass-action-recycle.toml"]);
    assert_eq!(plain.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("[cost]"));
}

#[test]
fn a_cost_beyond_floating_point_is_an_error_not_inf() {
    let text = std::fs::read_to_string(BAYAN).unwrap().replace(
        "throughput = 10000",
        "throughput = 1e307\nstage_cost = 1e300",
    );
    let f = write("huge.toml", &text);
    let e = cost::file::run_path(&f).err().unwrap().to_string();
    assert!(
        e.contains("huge.toml") && e.contains("not a finite number"),
        "{e}"
    );
    let out = sxforge(&["simulate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}
