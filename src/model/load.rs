//! Reading cascade models from TOML, with errors that point into the file.

use std::path::{Path, PathBuf};

use super::models;
use super::registry::Parsed;
use super::rigorous::ConcentrationUnit;
use super::schema::RawCascade;
use super::{Cascade, CascadeSpec, FeedSpec, SolverOptions};
use crate::cascade::Phase;
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

pub(crate) use super::schema::component_values;

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
    for key in keys.into_iter().filter(|k| !models::takes(model, k)) {
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

pub use super::rigorous::DEFAULT_LOG10_K_ION;

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
    let parts = match models::lookup(&raw.chemistry.model) {
        Ok(model) => {
            check_model_keys(&raw, model.schema, &mut p);
            (model.parse)(&raw, &comps, &mut p)
        }
        Err(msg) => {
            let value = format!("\"{}\"", raw.chemistry.model);
            p.push(InputError::new("chemistry.model", Some(value), msg));
            None
        }
    };
    let (units, mm) = match &parts {
        Some(parsed) => (parsed.units, parsed.molar_mass.clone()),
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
        // the rigorous models keep their scrub reflux with their streams
        let tracks = parts
            .as_ref()
            .is_some_and(|m| m.chemistry.model().streams().is_some());
        match inlet {
            super::Inlet::Scrub if tracks => scrub_reflux = Some(v),
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
    let Parsed { mut chemistry, .. } = parts.expect("no problems");
    if let Some(st) = chemistry.model_mut().streams_mut() {
        st.scrub_concentration = scrub_reflux;
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
        flows: raw.flows,
        inlets,
        solver: solver.expect("no problems"),
        draws: draws.expect("no problems"),
    })
}
