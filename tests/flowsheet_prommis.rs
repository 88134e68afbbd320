//! The PrOMMiS 3-stage D2EHPA case with its metal-carrying organic
//! (models/prommis-d2ehpa-3stage.toml) against the published raffinate and
//! loaded organic (prommis/prommis,
//! src/prommis/solvent_extraction/tests/test_solvent_extraction_steady.py,
//! `test_solution`, asserted there to rel 1e-4).

use std::path::Path;

use sxforge::cascade::StreamKind;
use sxforge::model::load::load_file;
use sxforge::model::ChemistrySpec;
use sxforge::solver::rigorous::sulfate_profile;
use sxforge::solver::Solver;

/// PrOMMiS molar masses (g/mol), leach_solution_properties.py.
fn mm(c: &str) -> f64 {
    match c {
        "Al" => 26.982,
        "Ca" => 40.078,
        "Ce" => 140.116,
        "Dy" => 162.50,
        "Fe" => 55.845,
        "Gd" => 157.25,
        "La" => 138.905,
        "Nd" => 144.242,
        "Pr" => 140.907,
        "Sc" => 44.946,
        "Sm" => 150.36,
        "Y" => 88.905,
        _ => unreachable!(),
    }
}

fn close(what: &str, got: f64, want: f64) {
    let rel = (got - want).abs() / want;
    assert!(
        rel <= 1e-4,
        "{what}: {got} vs published {want} (rel {rel:.2e})"
    );
}

#[test]
fn prommis_raffinate_with_metal_carrying_organic() {
    let c = load_file(Path::new("models/prommis-d2ehpa-3stage.toml")).unwrap();
    let sol = Solver::new().solve(&c);
    assert!(sol.converged(), "{:?}", sol.status);
    // published aqueous outlet, mg/L
    let raff = [
        ("Al", 399.95),
        ("Ca", 102.336),
        ("Ce", 2.1056),
        ("Dy", 0.0010159),
        ("Fe", 585.5947),
        ("Gd", 0.19119),
        ("La", 0.91421),
        ("Nd", 0.8801),
        ("Pr", 0.27631),
        ("Sc", 0.0027415),
        ("Sm", 0.08669),
        ("Y", 4.27516e-06),
    ];
    let org = [
        ("Al", 22.4249),
        ("Ca", 7.2059),
        ("Ce", 0.17168),
        ("Dy", 0.045992),
        ("Fe", 102.6712),
        ("Gd", 0.06723),
        ("La", 0.07189),
        ("Nd", 0.06606),
        ("Pr", 0.026727),
        ("Sc", 1.7632),
        ("Sm", 0.010323),
        ("Y", 0.12401),
    ];
    let r = sol.stream(&c, StreamKind::Raffinate).unwrap();
    let o = sol.stream(&c, StreamKind::LoadedOrganic).unwrap();
    let rc = r.concentration.unwrap();
    let oc = o.concentration.unwrap();
    for ((name, want), (_, want_o)) in raff.iter().zip(&org) {
        let i = c.components().iter().position(|x| x == name).unwrap();
        close(&format!("raffinate {name}"), rc[i] * mm(name) * 1e3, *want);
        close(&format!("organic {name}"), oc[i] * mm(name) * 1e3, *want_o);
    }
    // acid species of the raffinate (H 1.0, HSO4 97, SO4 96 g/mol)
    let ChemistrySpec::LogLinear(m) = &c.spec().chemistry else {
        unreachable!()
    };
    let h = sol.acidity.as_ref().unwrap()[0];
    let s = sulfate_profile(&c)[0];
    let ka = 10f64.powf(m.log10_ka2);
    close("H", h * 1.0e3, 39.5131);
    close("HSO4", s * h / (h + ka) * 97e3, 8023.225);
    close("SO4", s * ka / (h + ka) * 96e3, 2056.395);
    // free DEHPA leaving with the loaded organic (322.431 g/mol)
    let free = sol.species.as_ref().unwrap().free_extractant[2];
    close("DEHPA", free * 322.431e3, 46086.719);
    // every inlet counted: the balance closes over feed + organic
    for e in sol.balance_error(&c) {
        assert!(e.abs() < 1e-9, "{e}");
    }
}

/// Without the organic's metals, Sc leaves almost entirely in the organic:
/// the published raffinate Sc comes from the metal-carrying organic.
#[test]
fn prommis_without_organic_metals_misses_sc() {
    let c = load_file(Path::new("models/prommis-d2ehpa-3stage.toml")).unwrap();
    let mut spec = c.to_spec();
    spec.set_inlet(sxforge::model::Inlet::Organic, None);
    let bare = spec.build().unwrap();
    let sol = Solver::new().solve(&bare);
    assert!(sol.converged());
    let i = bare.components().iter().position(|x| x == "Sc").unwrap();
    let r = sol.stream(&bare, StreamKind::Raffinate).unwrap();
    let sc = r.concentration.unwrap()[i] * mm("Sc") * 1e3;
    assert!(sc < 0.2 * 0.0027415, "{sc}");
}
