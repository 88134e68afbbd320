//! Reading cascade models from TOML, with errors that point into the file.

use std::path::{Path, PathBuf};

use super::rigorous::{
    element_molar_mass, AqueousStreams, ConcentrationUnit, CounterIon, LogLinearFit, LogLinearSpec,
    MassActionSpec,
};
use super::schema::{ComponentMap, RawCascade, RawChemistry};
use super::{fmt_num, Cascade, CascadeSpec, ChemistrySpec, FeedSpec, FlowSpec, SolverOptions};
use crate::cascade::{Phase, Section};
use crate::chemistry::schema::ModelSchema;
use crate::error::{Error, InputError, InputErrors, Problems};

/// Reads and checks a cascade model file; every problem is reported, each
/// located in the file.
pub fn load_file(path: &Path) -> Result<Cascade, Error> {
    let src = crate::input::read_source(path)?;
    Ok(parse_str(&src, Some(path.to_path_buf()))?)
}

/// Parses and checks a cascade model from TOML text, reporting every
/// problem found, each located in the text. `file` is used in error
/// messages only.
pub fn parse_str(src: &str, file: Option<PathBuf>) -> Result<Cascade, InputErrors> {
    parse_str_with_extras(src, file).map(|(cascade, _)| cascade)
}

/// Parses and checks a cascade model, returning the raw tables too (for the
/// `[optimize]` and `[sweep]` tables that `sxforge optimize` and `sxforge
/// sweep` read). `file` is used in error messages only.
pub fn parse_str_with_extras(
    src: &str,
    file: Option<PathBuf>,
) -> Result<(Cascade, RawCascade), InputErrors> {
    let raw: RawCascade = toml::from_str(src).map_err(|e| toml_error(&e, src, file.clone()))?;
    let cascade = build(&raw).map_err(|e| e.map(|e| locate(e, src, file.clone())))?;
    Ok((cascade, raw))
}

/// The checked cascade of a raw file, draws included; every problem.
fn build(raw: &RawCascade) -> Result<Cascade, InputErrors> {
    spec_of(raw.clone())?.validate()
}

pub use crate::input::{locate_error as locate, toml_error};

/// Converts the `[[draw]]` tables (1-based stages, phase names) into draws;
/// the error is the first problem (use the file loaders for all).
pub(crate) fn to_draws(
    raw: Option<&[super::schema::RawDraw]>,
) -> Result<Vec<crate::cascade::draw::Draw>, InputError> {
    let mut out = Vec::new();
    for d in raw.unwrap_or(&[]) {
        let phase = match d.phase.as_str() {
            "aqueous" => crate::cascade::Phase::Aqueous,
            "organic" => crate::cascade::Phase::Organic,
            other => {
                return Err(InputError::new(
                    "draw.phase",
                    Some(format!("\"{other}\"")),
                    format!("draw `{}`: expected \"aqueous\" or \"organic\"", d.name),
                ))
            }
        };
        if d.stage < 1 {
            return Err(InputError::new(
                "draw.stage",
                Some(d.stage.to_string()),
                format!("draw `{}`: expected a stage number from 1", d.name),
            ));
        }
        use crate::cascade::draw::DrawSize;
        let size = match (d.amount, d.flow, d.fraction) {
            (Some(x), None, None) => DrawSize::Amount(x),
            (None, Some(x), None) => DrawSize::Flow(x),
            (None, None, Some(x)) => DrawSize::Fraction(x),
            _ => {
                return Err(InputError::new(
                    "draw.amount",
                    None,
                    format!(
                        "draw `{}`: expected exactly one of `amount` (RE per unit time), `flow` (L/h) or `fraction` (share of the phase)",
                        d.name
                    ),
                ))
            }
        };
        out.push(crate::cascade::draw::Draw {
            name: d.name.clone(),
            stage: (d.stage - 1) as usize,
            phase,
            size,
        });
    }
    Ok(out)
}

/// Converts a per-component table into a vector in component order.
/// `required`: every component must be present; otherwise missing ones are 0.
pub(crate) fn component_values(
    key: &str,
    components: &[String],
    map: &ComponentMap,
    required: bool,
) -> Result<Vec<f64>, InputError> {
    for name in map.keys() {
        if !components.contains(name) {
            return Err(InputError::new(
                format!("{key}.{name}"),
                Some(fmt_num(map[name])),
                format!(
                    "`{name}` is not a component of this model (components: {})",
                    components.join(", ")
                ),
            ));
        }
    }
    components
        .iter()
        .map(|c| match map.get(c) {
            Some(v) => Ok(*v),
            None if required => Err(InputError::new(
                key,
                None,
                format!("missing a value for component `{c}`"),
            )),
            None => Ok(0.0),
        })
        .collect()
}

/// Records every key written in the file that depends on the model and
/// that the model's schema entry does not list.
fn check_model_keys(raw: &RawCascade, model: &ModelSchema, p: &mut Problems) {
    fn written(prefix: &str, v: &impl serde::Serialize, out: &mut Vec<String>) {
        // None fields are not serialised: what remains was written
        if let Ok(toml::Value::Table(t)) = toml::Value::try_from(v) {
            out.extend(t.keys().map(|k| format!("{prefix}.{k}")));
        }
    }
    let mut keys = Vec::new();
    written("chemistry", &raw.chemistry, &mut keys);
    written("feed", &raw.feed, &mut keys);
    for (name, sol) in [("scrub", &raw.scrub), ("strip", &raw.strip)] {
        if let Some(sol) = sol {
            written(name, sol, &mut keys);
        }
    }
    for (key, set) in [
        ("units", raw.units.is_some()),
        ("molar_mass", raw.molar_mass.is_some()),
    ] {
        if set {
            keys.push(key.to_string());
        }
    }
    for key in keys.into_iter().filter(|k| !model.takes(k)) {
        p.push(InputError::new(
            key,
            None,
            format!(
                "not a parameter of the `{}` model ({})",
                model.name,
                model.keys_sentence()
            ),
        ));
    }
}

/// The constant-flow and constant-D models' chemistry.
fn chemistry(raw: &RawChemistry, comps: &[String]) -> Result<ChemistrySpec, InputError> {
    if raw.model == "separation-factor" {
        let beta = raw.beta.as_ref().ok_or_else(|| {
            InputError::new("chemistry.beta", None, "missing: beta per component")
        })?;
        return Ok(ChemistrySpec::SeparationFactor {
            beta: component_values("chemistry.beta", comps, beta, true)?,
        });
    }
    let d = raw
        .d
        .as_ref()
        .ok_or_else(|| InputError::new("chemistry.d", None, "missing: D per component"))?;
    let d = component_values("chemistry.d", comps, d, true)?;
    let mut section_d = [None, None, None];
    for (sec, raw_sec) in Section::ALL
        .iter()
        .zip([&raw.extraction, &raw.scrub, &raw.strip])
    {
        if let Some(sd) = raw_sec.as_ref().and_then(|s| s.d.as_ref()) {
            let key = format!("chemistry.{}.d", sec.name());
            section_d[sec.index()] = Some(component_values(&key, comps, sd, true)?);
        }
    }
    Ok(ChemistrySpec::ConstantD { d, section_d })
}

/// Molar masses per component: given ones first, then the element table.
fn molar_masses(raw: &RawCascade, comps: &[String]) -> Result<Vec<Option<f64>>, InputError> {
    let given = match &raw.molar_mass {
        Some(m) => {
            let v = component_values("molar_mass", comps, m, false)?;
            for (c, &x) in comps.iter().zip(&v) {
                if m.contains_key(c) && !(x.is_finite() && x > 0.0) {
                    return Err(InputError::new(
                        format!("molar_mass.{c}"),
                        Some(fmt_num(x)),
                        "expected a positive molar mass (g/mol)",
                    ));
                }
            }
            v
        }
        None => vec![0.0; comps.len()],
    };
    Ok(comps
        .iter()
        .zip(given)
        .map(|(c, g)| {
            if g > 0.0 {
                Some(g)
            } else {
                element_molar_mass(c)
            }
        })
        .collect())
}

/// Converts metal concentrations from the file's units into mol/L.
fn to_molar(
    key: &str,
    v: Vec<f64>,
    units: ConcentrationUnit,
    mm: &[Option<f64>],
    comps: &[String],
) -> Result<Vec<f64>, InputError> {
    if units == ConcentrationUnit::MolPerL {
        return Ok(v);
    }
    v.iter()
        .zip(mm)
        .zip(comps)
        .map(|((&x, m), c)| match m {
            _ if x == 0.0 => Ok(0.0),
            Some(m) => Ok(x / (m * 1000.0)),
            None => Err(InputError::new(
                format!("molar_mass.{c}"),
                None,
                format!("missing: {key}.{c} is in mg/L, so `{c}` needs a molar mass (g/mol)"),
            )),
        })
        .collect()
}

fn per_comp_or(
    key: &str,
    comps: &[String],
    map: &Option<ComponentMap>,
    default: &[f64],
) -> Result<Vec<f64>, InputError> {
    match map {
        None => Ok(default.to_vec()),
        Some(m) => {
            let v = component_values(key, comps, m, false)?;
            Ok(comps
                .iter()
                .zip(v)
                .zip(default)
                .map(|((c, x), d)| if m.contains_key(c) { x } else { *d })
                .collect())
        }
    }
}

/// A rigorous chemistry, the file's concentration unit and the molar masses.
type RigorousParts = (ChemistrySpec, ConcentrationUnit, Vec<Option<f64>>);

/// The rigorous models' chemistry, or `None` for the other models; every
/// problem is reported.
fn rigorous_chemistry(
    raw: &RawCascade,
    comps: &[String],
) -> Result<Option<RigorousParts>, InputErrors> {
    let model = raw.chemistry.model.as_str();
    if !crate::chemistry::schema::tracks_acidity(model) {
        return Ok(None);
    }
    let mut p = Problems::default();
    let missing = |p: &mut Problems, key: &str, what: &str| {
        p.push(InputError::new(key, None, format!("missing: {what}")));
    };
    let c = &raw.chemistry;
    let units = match raw.units.as_deref() {
        None | Some("mol/L") => ConcentrationUnit::MolPerL,
        Some("mg/L") => ConcentrationUnit::MgPerL,
        Some(other) => {
            p.push(InputError::new(
                "units",
                Some(format!("\"{other}\"")),
                "expected \"mol/L\" or \"mg/L\"",
            ));
            ConcentrationUnit::MolPerL
        }
    };
    let k = comps.len();
    let mm = p
        .ok(molar_masses(raw, comps))
        .unwrap_or_else(|| vec![None; k]);
    let streams = AqueousStreams {
        feed_acid: raw.feed.acid.unwrap_or(0.0),
        feed_sulfate: raw.feed.sulfate.unwrap_or(0.0),
        scrub_acid: raw.scrub.as_ref().and_then(|s| s.acid),
        scrub_concentration: None,
        scrub_sulfate: raw.scrub.as_ref().and_then(|s| s.sulfate).unwrap_or(0.0),
        strip_acid: raw.strip.as_ref().and_then(|s| s.acid),
        strip_sulfate: raw.strip.as_ref().and_then(|s| s.sulfate).unwrap_or(0.0),
        molar_mass: mm.clone(),
        units,
    };
    if raw.feed.acid.is_none() {
        missing(
            &mut p,
            "feed.acid",
            "the feed's acidity in mol/L H+ (0 for a neutral feed)",
        );
    }
    let charge = p
        .ok(per_comp_or(
            "chemistry.charge",
            comps,
            &c.charge,
            &vec![3.0; k],
        ))
        .unwrap_or_else(|| vec![3.0; k]);
    let spec = if model == "mass-action" {
        if c.log10_k.is_none() {
            missing(&mut p, "chemistry.log10_k", "log10 K per component");
        }
        let counter_ion = match c.counter_ion.as_deref() {
            None | Some("NH4") => CounterIon::Ammonium,
            Some("Na") => CounterIon::Sodium,
            Some(other) => {
                p.push(InputError::new(
                    "chemistry.counter_ion",
                    Some(format!("\"{other}\"")),
                    "expected \"NH4\" or \"Na\"",
                ));
                CounterIon::Ammonium
            }
        };
        if c.extractant.is_none() {
            missing(
                &mut p,
                "chemistry.extractant",
                "total extractant in the organic, mol/L HA",
            );
        }
        let log10_k = c
            .log10_k
            .as_ref()
            .and_then(|lk| p.ok(component_values("chemistry.log10_k", comps, lk, true)));
        log10_k.zip(c.extractant).map(|(log10_k, extractant)| {
            ChemistrySpec::MassAction(Box::new(MassActionSpec {
                log10_k,
                a: c.a.unwrap_or(3.0),
                b: c.b.unwrap_or(3.0),
                charge: charge.clone(),
                extractant,
                saponification: c.saponification.unwrap_or(0.0),
                counter_ion,
                log10_k_ion: c.log10_k_ion.unwrap_or(DEFAULT_LOG10_K_ION),
                streams,
            }))
        })
    } else {
        let mut fit = vec![None; k];
        for (name, rf) in c.fit.iter().flatten() {
            match comps.iter().position(|x| x == name) {
                Some(i) => {
                    fit[i] = Some(LogLinearFit {
                        m0: rf.m0,
                        m1: rf.m1,
                        b0: rf.b0,
                        b1: rf.b1,
                    })
                }
                None => p.push(InputError::new(
                    format!("chemistry.fit.{name}"),
                    None,
                    format!(
                        "`{name}` is not a component of this model (components: {})",
                        comps.join(", ")
                    ),
                )),
            }
        }
        let d = p.ok(per_comp_or("chemistry.d", comps, &c.d, &vec![f64::NAN; k]));
        if c.dose.is_none() {
            missing(&mut p, "chemistry.dose", "extractant dose, volume percent");
        }
        if c.molarity_per_percent.is_none() {
            missing(
                &mut p,
                "chemistry.molarity_per_percent",
                "mol/L of extractant per volume percent",
            );
        }
        let dose_free = match c.dose_basis.as_deref() {
            None | Some("total") => false,
            Some("free") => true,
            Some(other) => {
                p.push(InputError::new(
                    "chemistry.dose_basis",
                    Some(format!("\"{other}\"")),
                    "expected \"total\" or \"free\" (the extractant of the incoming organic that `dose` gives)",
                ));
                false
            }
        };
        let per_metal = |p: &mut Problems, key: &str, map: &Option<ComponentMap>| {
            p.ok(per_comp_or(key, comps, map, &charge))
        };
        let epm = per_metal(
            &mut p,
            "chemistry.extractant_per_metal",
            &c.extractant_per_metal,
        );
        let ppm = per_metal(&mut p, "chemistry.protons_per_metal", &c.protons_per_metal);
        match (d, c.dose, c.molarity_per_percent, epm, ppm) {
            (Some(d), Some(dose), Some(molarity_per_percent), Some(epm), Some(ppm)) => {
                Some(ChemistrySpec::LogLinear(Box::new(LogLinearSpec {
                    dose_free,
                    fixed_dose: c.fixed_dose.unwrap_or(false),
                    fit,
                    d,
                    extractant_per_metal: epm,
                    protons_per_metal: ppm,
                    charge,
                    dose,
                    molarity_per_percent,
                    bisulfate: c.bisulfate.unwrap_or(false),
                    log10_ka2: c.log10_ka2.unwrap_or(-1.99),
                    streams,
                })))
            }
            _ => None,
        }
    };
    p.check()?;
    let spec = spec.expect("a problem is recorded for every part missing");
    Ok(Some((spec, units, mm)))
}

/// Default log10 of the counter-ion exchange constant of the mass-action
/// model (illustrative: NH4+ loads a P507-like extractant above pH ~4).
pub const DEFAULT_LOG10_K_ION: f64 = -4.0;

/// Converts the raw file into a specification (names resolved, no physics
/// checks yet); the error is the first problem found.
pub fn to_spec(raw: RawCascade) -> Result<CascadeSpec, InputError> {
    spec_of(raw).map_err(InputErrors::into_first)
}

/// Converts the raw file into a specification, reporting every problem.
pub(crate) fn spec_of(raw: RawCascade) -> Result<CascadeSpec, InputErrors> {
    let mut p = Problems::default();
    let comps = raw.components.clone();
    if comps.len() > crate::cascade::MAX_COMPONENTS {
        p.push(InputError::new(
            "components",
            Some(comps.len().to_string()),
            format!(
                "at most {} components are supported",
                crate::cascade::MAX_COMPONENTS
            ),
        ));
        p.check()?;
    }
    let parts = match crate::chemistry::schema::lookup(&raw.chemistry.model) {
        Ok(model) => {
            check_model_keys(&raw, model, &mut p);
            match p.all(rigorous_chemistry(&raw, &comps)) {
                Some(Some(r)) => Some(r),
                Some(None) => p
                    .ok(chemistry(&raw.chemistry, &comps))
                    .map(|c| (c, ConcentrationUnit::MolPerL, Vec::new())),
                None => None,
            }
        }
        Err(msg) => {
            let value = format!("\"{}\"", raw.chemistry.model);
            p.push(InputError::new("chemistry.model", Some(value), msg));
            None
        }
    };
    let (units, mm) = match &parts {
        Some((_, units, mm)) => (*units, mm.clone()),
        None => (ConcentrationUnit::MolPerL, Vec::new()),
    };
    let feed_phase = match raw.feed.phase.as_deref() {
        None | Some("aqueous") => Some(Phase::Aqueous),
        Some("organic") => Some(Phase::Organic),
        Some(other) => {
            p.push(InputError::new(
                "feed.phase",
                Some(format!("\"{other}\"")),
                "expected \"aqueous\" or \"organic\"",
            ));
            None
        }
    };
    let amount = p.ok(raw
        .feed
        .amount
        .as_ref()
        .map(|m| component_values("feed.amount", &comps, m, false))
        .transpose());
    let concentration = p.ok(raw
        .feed
        .concentration
        .as_ref()
        .map(|m| {
            component_values("feed.concentration", &comps, m, false)
                .and_then(|v| to_molar("feed.concentration", v, units, &mm, &comps))
        })
        .transpose());
    let mut inlets = super::InletSpec::default();
    let mut scrub_reflux = None;
    for inlet in super::Inlet::ALL {
        let table = match inlet {
            super::Inlet::Organic => raw.organic.as_ref().and_then(|o| o.concentration.as_ref()),
            super::Inlet::Scrub => raw.scrub.as_ref().and_then(|o| o.concentration.as_ref()),
            super::Inlet::Strip => raw.strip.as_ref().and_then(|o| o.concentration.as_ref()),
        };
        let Some(m) = table else { continue };
        let key = format!("{}.concentration", inlet.name());
        let Some(v) = p.ok(component_values(&key, &comps, m, false)
            .and_then(|v| to_molar(&key, v, units, &mm, &comps)))
        else {
            continue;
        };
        match (&parts, inlet) {
            // the rigorous models keep their scrub reflux with their streams
            (
                Some((ChemistrySpec::MassAction(_) | ChemistrySpec::LogLinear(_), _, _)),
                super::Inlet::Scrub,
            ) => scrub_reflux = Some(v),
            _ => inlets.set(inlet, Some(v)),
        }
    }
    let mut solver = SolverOptions::default().to_builder();
    if let Some(s) = &raw.solver {
        if let Some(t) = s.tolerance {
            solver = solver.tolerance(t);
        }
        if let Some(m) = s.max_iterations {
            solver = solver.max_iterations(m as usize);
        }
        if let Some(m) = s.max_rows {
            solver = solver.max_rows(usize::try_from(m).unwrap_or(usize::MAX));
        }
    }
    let solver = p.all(solver.build());
    let draws = p.ok(to_draws(raw.draw.as_deref()));
    p.check()?;
    let (mut chemistry, _, _) = parts.expect("no problems");
    match &mut chemistry {
        ChemistrySpec::MassAction(m) => m.streams.scrub_concentration = scrub_reflux,
        ChemistrySpec::LogLinear(m) => m.streams.scrub_concentration = scrub_reflux,
        _ => {}
    }
    Ok(CascadeSpec {
        name: raw.name,
        components: comps,
        extraction: raw.cascade.extraction as usize,
        scrub: raw.cascade.scrub as usize,
        strip: raw.cascade.strip as usize,
        feed_phase: feed_phase.expect("no problems"),
        chemistry,
        feed: FeedSpec {
            amount: amount.expect("no problems"),
            flow: raw.feed.flow,
            concentration: concentration.expect("no problems"),
        },
        flows: FlowSpec {
            extraction_amount: raw.flows.extraction_amount,
            scrub_amount: raw.flows.scrub_amount,
            organic: raw.flows.organic,
            scrub: raw.flows.scrub,
            strip: raw.flows.strip,
        },
        inlets,
        solver: solver.expect("no problems"),
        draws: draws.expect("no problems"),
    })
}
