//! Reading cascade models from TOML, with errors that point into the file.

use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::schema::{ComponentMap, RawCascade, RawChemistry};
use super::{fmt_num, Cascade, CascadeSpec, ChemistrySpec, FeedSpec, FlowSpec, SolverOptions};
use crate::cascade::{Phase, Section};
use crate::error::{Error, InputError, Location};

/// Reads and checks a cascade model file.
pub fn load_file(path: &Path) -> Result<Cascade, Error> {
    let src = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(parse_str(&src, Some(path.to_path_buf()))?)
}

/// Parses and checks a cascade model from TOML text. `file` is used in error
/// messages only.
pub fn parse_str(src: &str, file: Option<PathBuf>) -> Result<Cascade, InputError> {
    let raw: RawCascade = toml::from_str(src).map_err(|e| toml_error(&e, src, file.clone()))?;
    to_spec(raw)
        .and_then(CascadeSpec::build)
        .map_err(|e| locate(e, src, file))
}

/// Parses and checks a cascade model, returning the raw tables too (for the
/// `[optimize]` and `[sweep]` tables that `sxforge optimize` and `sxforge
/// sweep` read). `file` is used in error messages only.
#[allow(clippy::result_large_err)]
pub fn parse_str_with_extras(
    src: &str,
    file: Option<PathBuf>,
) -> Result<(Cascade, RawCascade), InputError> {
    let raw: RawCascade = toml::from_str(src).map_err(|e| toml_error(&e, src, file.clone()))?;
    let cascade = to_spec(raw.clone())
        .and_then(CascadeSpec::build)
        .map_err(|e| locate(e, src, file))?;
    Ok((cascade, raw))
}

/// Turns a TOML/serde error into an [`InputError`] pointing at its span.
pub fn toml_error(e: &toml::de::Error, src: &str, file: Option<PathBuf>) -> InputError {
    let location = match e.span() {
        Some(span) => Location::at(file, src, span.start),
        None => Location {
            file,
            ..Location::default()
        },
    };
    let key = e
        .span()
        .and_then(|span| {
            DeTable::parse(src)
                .ok()
                .map(|doc| path_at(&doc, span.start))
        })
        .unwrap_or_default();
    InputError {
        location,
        key,
        value: None,
        message: e.message().trim().to_string(),
    }
}

/// Fills in the file location of an error raised on key path `e.key`.
pub fn locate(mut e: InputError, src: &str, file: Option<PathBuf>) -> InputError {
    let offset = DeTable::parse(src)
        .ok()
        .map(|doc| find_span(&doc, &e.key))
        .unwrap_or(0);
    e.location = Location::at(file, src, offset);
    e
}

/// Byte offset of the deepest part of dotted `path` present in `doc`.
fn find_span(doc: &Spanned<DeTable<'_>>, path: &str) -> usize {
    let mut best = 0;
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let Some(t) = table else { break };
        let Some((k, v)) = t.iter().find(|(k, _)| k.get_ref() == part) else {
            break;
        };
        best = match v.get_ref() {
            DeValue::Table(_) => k.span().start,
            _ => v.span().start,
        };
        table = match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    best
}

/// Dotted key path of the deepest key whose key or value covers `offset`.
fn path_at(doc: &Spanned<DeTable<'_>>, offset: usize) -> String {
    let mut path: Vec<String> = Vec::new();
    let mut table: &DeTable<'_> = doc.get_ref();
    loop {
        let hit = table.iter().find(|(k, v)| {
            let (ks, vs) = (k.span(), v.span());
            (ks.start <= offset && offset < ks.end) || (vs.start <= offset && offset < vs.end)
        });
        let Some((k, v)) = hit else { break };
        path.push(k.get_ref().to_string());
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    path.join(".")
}

/// Converts a per-component table into a vector in component order.
/// `required`: every component must be present; otherwise missing ones are 0.
pub fn component_values(
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

fn unused(v: &Option<impl Sized>, key: &str, model: &str) -> Result<(), InputError> {
    if v.is_some() {
        return Err(InputError::new(
            key,
            None,
            format!("not a parameter of the `{model}` model"),
        ));
    }
    Ok(())
}

fn chemistry(raw: &RawChemistry, comps: &[String]) -> Result<ChemistrySpec, InputError> {
    match raw.model.as_str() {
        "separation-factor" => {
            let m = "separation-factor";
            unused(&raw.d, "chemistry.d", m)?;
            unused(&raw.extraction, "chemistry.extraction", m)?;
            unused(&raw.scrub, "chemistry.scrub", m)?;
            unused(&raw.strip, "chemistry.strip", m)?;
            let beta = raw.beta.as_ref().ok_or_else(|| {
                InputError::new("chemistry.beta", None, "missing: beta per component")
            })?;
            Ok(ChemistrySpec::SeparationFactor {
                beta: component_values("chemistry.beta", comps, beta, true)?,
            })
        }
        "constant-d" => {
            unused(&raw.beta, "chemistry.beta", "constant-d")?;
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
        other => Err(InputError::new(
            "chemistry.model",
            Some(format!("\"{other}\"")),
            "unknown model: expected \"constant-d\" or \"separation-factor\"",
        )),
    }
}

/// Converts the raw file into a specification (names resolved, no physics
/// checks yet).
pub fn to_spec(raw: RawCascade) -> Result<CascadeSpec, InputError> {
    let comps = raw.components.clone();
    let chemistry = chemistry(&raw.chemistry, &comps)?;
    let feed_phase = match raw.feed.phase.as_deref() {
        None | Some("aqueous") => Phase::Aqueous,
        Some("organic") => Phase::Organic,
        Some(other) => {
            return Err(InputError::new(
                "feed.phase",
                Some(format!("\"{other}\"")),
                "expected \"aqueous\" or \"organic\"",
            ))
        }
    };
    let feed = FeedSpec {
        amount: raw
            .feed
            .amount
            .as_ref()
            .map(|m| component_values("feed.amount", &comps, m, false))
            .transpose()?,
        flow: raw.feed.flow,
        concentration: raw
            .feed
            .concentration
            .as_ref()
            .map(|m| component_values("feed.concentration", &comps, m, false))
            .transpose()?,
    };
    let flows = FlowSpec {
        extraction_amount: raw.flows.extraction_amount,
        scrub_amount: raw.flows.scrub_amount,
        organic: raw.flows.organic,
        scrub: raw.flows.scrub,
        strip: raw.flows.strip,
    };
    let mut solver = SolverOptions::default();
    if let Some(s) = &raw.solver {
        if let Some(t) = s.tolerance {
            if !(t.is_finite() && t > 0.0 && t < 1.0) {
                return Err(InputError::new(
                    "solver.tolerance",
                    Some(fmt_num(t)),
                    "expected a relative tolerance in (0, 1)",
                ));
            }
            solver.tolerance = t;
        }
        if let Some(m) = s.max_iterations {
            if m == 0 {
                return Err(InputError::new(
                    "solver.max_iterations",
                    Some("0".into()),
                    "expected at least one iteration",
                ));
            }
            solver.max_iterations = m as usize;
        }
        if let Some(m) = s.max_rows {
            solver.max_rows = m as usize;
        }
    }
    Ok(CascadeSpec {
        name: raw.name,
        components: comps,
        extraction: raw.cascade.extraction as usize,
        scrub: raw.cascade.scrub as usize,
        strip: raw.cascade.strip as usize,
        feed_phase,
        chemistry,
        feed,
        flows,
        solver,
    })
}
