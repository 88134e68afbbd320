//! Reading flowsheet files: the tables, the units' cascades, and the checks
//! of the stream graph (unknown or doubly used streams, phases, cycles).
// Errors carry their document path; they are built once per failed load.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::{Table, Value};

use super::{producer, ExternalStream, Flowsheet, Port, Producer, Split, StreamValue, Unit};
use crate::cascade::Phase;
use crate::error::{Error, InputError, InputErrors, Location, Problems};
use crate::model::rigorous::element_molar_mass;
use crate::model::schema::RawCascade;

/// One step of a path into the TOML document.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// An error with the path of the table or key it concerns.
struct Located {
    path: Vec<Seg>,
    err: InputError,
}

fn at(
    path: Vec<Seg>,
    key: impl Into<String>,
    value: Option<String>,
    msg: impl Into<String>,
) -> Located {
    Located {
        path,
        err: InputError::new(key, value, msg),
    }
}

/// Several located problems turn into the list `?` passes up.
impl From<Located> for Vec<Located> {
    fn from(l: Located) -> Self {
        vec![l]
    }
}

/// The key path, within a unit's table, of the first value the cascade
/// schema refuses ([`RawCascade`]): the table written as TOML and read
/// again, where the parser's error has a span ([`crate::input::toml_error`]
/// names the key there, the table of a missing field). Empty where that
/// does not find it.
fn unit_key(table: &Value) -> String {
    let Ok(text) = toml::to_string(table) else {
        return String::new();
    };
    match toml::from_str::<RawCascade>(&text) {
        Err(e) => crate::input::toml_error(&e, &text, None).key,
        Ok(_) => String::new(),
    }
}

fn k(s: &str) -> Seg {
    Seg::Key(s.to_string())
}

/// Byte offset of the deepest part of `path` present in `doc`.
fn span_of(doc: &DeTable<'_>, path: &[Seg]) -> usize {
    let mut best = 0;
    let mut cur: Option<&DeValue<'_>> = None;
    let mut table = Some(doc);
    for seg in path {
        let next = match (seg, table, cur) {
            (Seg::Key(key), Some(t), _) => t
                .iter()
                .find(|(kk, _)| kk.get_ref() == key)
                .map(|(kk, v)| (kk.span().start, v)),
            (Seg::Index(i), _, Some(DeValue::Array(a))) => a.get(*i).map(|v| (v.span().start, v)),
            _ => None,
        };
        let Some((start, v)) = next else { break };
        best = start;
        cur = Some(v.get_ref());
        table = match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    best
}

/// Reads and checks a flowsheet file.
pub fn load_file(path: &Path) -> Result<Flowsheet, Error> {
    let src = crate::input::read_source(path)?;
    Ok(parse_str(&src, Some(path.to_path_buf()))?)
}

/// Points an error raised while solving (key `unit.<name>.<key path>`) at
/// its line in `src`.
pub fn locate(fs: &Flowsheet, mut e: InputError, src: &str, file: Option<PathBuf>) -> InputError {
    let mut path = Vec::new();
    if let Some(rest) = e.key.strip_prefix("unit.") {
        if let Some((i, u)) = fs
            .units
            .iter()
            .enumerate()
            .find(|(_, u)| rest.starts_with(&format!("{}.", u.name)))
        {
            path = vec![k("unit"), Seg::Index(i)];
            path.extend(rest[u.name.len() + 1..].split('.').map(k));
        }
    }
    let offset = DeTable::parse(src)
        .ok()
        .map(|doc| span_of(doc.get_ref(), &path))
        .unwrap_or(0);
    e.location = Location::at(file, src, offset);
    e
}

/// Parses and checks a flowsheet from TOML text (`file` for messages):
/// every unknown key, and every problem of every unit, each located.
pub fn parse_str(src: &str, file: Option<PathBuf>) -> Result<Flowsheet, InputErrors> {
    let table: Table = src
        .parse()
        .map_err(|e| crate::model::load::toml_error(&e, src, file.clone()))?;
    parse_table(&table).map_err(|problems| {
        let doc = DeTable::parse(src).ok();
        let mut p = Problems::default();
        for l in problems {
            let offset = doc
                .as_ref()
                .map(|doc| span_of(doc.get_ref(), &l.path))
                .unwrap_or(0);
            let mut e = l.err;
            e.location = Location::at(file.clone(), src, offset);
            p.push(e);
        }
        p.check().expect_err("a failed parse has a problem")
    })
}

fn get_str(t: &Table, key: &str, path: &[Seg], what: &str) -> Result<String, Located> {
    match t.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(at(
            with(path, key),
            key,
            Some(v.to_string()),
            format!("expected a string: {what}"),
        )),
        None => Err(at(path.to_vec(), key, None, format!("missing: {what}"))),
    }
}

fn with(path: &[Seg], key: &str) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(k(key));
    p
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

fn opt_num(t: &Table, key: &str, path: &[Seg], label: &str) -> Result<Option<f64>, Located> {
    match t.get(key) {
        None => Ok(None),
        Some(v) => num(v).map(Some).ok_or_else(|| {
            at(
                with(path, key),
                format!("{label}{key}"),
                Some(v.to_string()),
                "expected a number",
            )
        }),
    }
}

/// Every unknown key of `t`.
fn check_keys(t: &Table, allowed: &[&str], path: &[Seg], label: &str) -> Result<(), Vec<Located>> {
    let unknown: Vec<Located> = t
        .keys()
        .filter(|key| !allowed.contains(&key.as_str()))
        .map(|key| {
            at(
                with(path, key),
                format!("{label}{key}"),
                None,
                format!("unknown key (expected one of: {})", allowed.join(", ")),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(unknown)
    }
}

fn tables<'a>(top: &'a Table, key: &str) -> Result<Vec<&'a Table>, Located> {
    match top.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Table(t) => Ok(t),
                _ => Err(at(
                    vec![k(key), Seg::Index(i)],
                    key,
                    None,
                    format!("expected [[{key}]] tables"),
                )),
            })
            .collect(),
        Some(_) => Err(at(
            vec![k(key)],
            key,
            None,
            format!("expected [[{key}]] tables"),
        )),
    }
}

/// Per-component values from an inline table, in component order.
fn comp_map(v: &Value, comps: &[String], path: Vec<Seg>, key: &str) -> Result<Vec<f64>, Located> {
    let Value::Table(t) = v else {
        return Err(at(
            path,
            key,
            None,
            "expected a table of per-component values",
        ));
    };
    let mut out = vec![0.0; comps.len()];
    for (name, x) in t {
        let Some(i) = comps.iter().position(|c| c == name) else {
            return Err(at(
                path,
                format!("{key}.{name}"),
                None,
                format!(
                    "`{name}` is not a component of this flowsheet (components: {})",
                    comps.join(", ")
                ),
            ));
        };
        match num(x) {
            Some(x) if x.is_finite() && x >= 0.0 => out[i] = x,
            _ => {
                return Err(at(
                    path,
                    format!("{key}.{name}"),
                    Some(x.to_string()),
                    "expected a non-negative number",
                ))
            }
        }
    }
    Ok(out)
}

fn phase_of(v: Option<&Value>, path: &[Seg], label: &str) -> Result<Phase, Located> {
    match v {
        None => Ok(Phase::Aqueous),
        Some(Value::String(s)) if s == "aqueous" => Ok(Phase::Aqueous),
        Some(Value::String(s)) if s == "organic" => Ok(Phase::Organic),
        Some(v) => Err(at(
            with(path, "phase"),
            format!("{label}phase"),
            Some(v.to_string()),
            "expected \"aqueous\" or \"organic\"",
        )),
    }
}

fn parse_table(top: &Table) -> Result<Flowsheet, Vec<Located>> {
    check_keys(
        top,
        &[
            "name",
            "components",
            "chemistry",
            "units",
            "molar_mass",
            "stream",
            "unit",
            "split",
            "solver",
            "cost", // checked by cost::file
        ],
        &[],
        "",
    )?;
    let name = get_str(top, "name", &[], "the flowsheet's name")?;
    let comps: Vec<String> = match top.get("components") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| at(vec![k("components")], "components", None, "expected names"))?,
        _ => return Err(at(vec![], "components", None, "missing: the component names").into()),
    };
    let mg = match top.get("units") {
        None => false,
        Some(Value::String(s)) if s == "mol/L" => false,
        Some(Value::String(s)) if s == "mg/L" => true,
        Some(v) => {
            return Err(at(
                vec![k("units")],
                "units",
                Some(v.to_string()),
                "expected \"mol/L\" or \"mg/L\"",
            )
            .into())
        }
    };
    let given_mm = match top.get("molar_mass") {
        Some(v) => comp_map(v, &comps, vec![k("molar_mass")], "molar_mass")?,
        None => vec![0.0; comps.len()],
    };
    let molar_mass: Vec<Option<f64>> = comps
        .iter()
        .zip(&given_mm)
        .map(|(c, &g)| {
            if g > 0.0 {
                Some(g)
            } else {
                element_molar_mass(c)
            }
        })
        .collect();
    let to_molar = |v: Vec<f64>, path: &[Seg], key: &str| -> Result<Vec<f64>, Located> {
        if !mg {
            return Ok(v);
        }
        v.iter()
            .zip(&molar_mass)
            .zip(&comps)
            .map(|((&x, m), c)| match m {
                _ if x == 0.0 => Ok(0.0),
                Some(m) => Ok(x / (m * 1000.0)),
                None => Err(at(
                    path.to_vec(),
                    format!("molar_mass.{c}"),
                    None,
                    format!("missing: {key}.{c} is in mg/L, so `{c}` needs a molar mass"),
                )),
            })
            .collect()
    };
    let (mut tolerance, mut max_iterations) = (1e-12, 200usize);
    let mut accelerator = super::accel::Accelerator::default();
    if let Some(v) = top.get("solver") {
        let Value::Table(t) = v else {
            return Err(at(vec![k("solver")], "solver", None, "expected a table").into());
        };
        let p = vec![k("solver")];
        check_keys(
            t,
            &["tolerance", "max_iterations", "accelerator"],
            &p,
            "solver.",
        )?;
        if let Some(v) = t.get("accelerator") {
            accelerator = v
                .as_str()
                .and_then(super::accel::Accelerator::from_name)
                .ok_or_else(|| {
                    at(
                        with(&p, "accelerator"),
                        "solver.accelerator",
                        Some(v.to_string()),
                        "expected \"anderson\", \"wegstein\" or \"substitution\"",
                    )
                })?;
        }
        if let Some(x) = opt_num(t, "tolerance", &p, "solver.")? {
            if !(x.is_finite() && x > 0.0 && x < 1.0) {
                return Err(at(
                    with(&p, "tolerance"),
                    "solver.tolerance",
                    Some(x.to_string()),
                    "expected a relative tolerance in (0, 1)",
                )
                .into());
            }
            tolerance = x;
        }
        if let Some(x) = opt_num(t, "max_iterations", &p, "solver.")? {
            if x.is_nan() || x < 1.0 {
                return Err(at(
                    with(&p, "max_iterations"),
                    "solver.max_iterations",
                    Some(x.to_string()),
                    "expected at least one iteration",
                )
                .into());
            }
            max_iterations = x as usize;
        }
    }

    // external streams
    let mut names: HashMap<String, Vec<Seg>> = HashMap::new();
    let mut claim = |name: &str, path: Vec<Seg>, label: &str| -> Result<(), Located> {
        if name.is_empty() || name.contains('.') {
            return Err(at(
                path,
                format!("{label}name"),
                Some(format!("\"{name}\"")),
                "expected a non-empty name without dots",
            ));
        }
        if names.contains_key(name) {
            return Err(at(
                path,
                format!("{label}name"),
                Some(format!("\"{name}\"")),
                "duplicate name (streams, units and splits share one namespace)",
            ));
        }
        names.insert(name.to_string(), path);
        Ok(())
    };
    let mut streams = Vec::new();
    for (i, t) in tables(top, "stream")?.into_iter().enumerate() {
        let p = vec![k("stream"), Seg::Index(i)];
        check_keys(
            t,
            &[
                "name",
                "phase",
                "amount",
                "flow",
                "concentration",
                "acid",
                "sulfate",
            ],
            &p,
            "stream.",
        )?;
        let name = get_str(t, "name", &p, "the stream's name")?;
        claim(&name, with(&p, "name"), "stream.")?;
        let label = format!("stream.{name}.");
        let phase = phase_of(t.get("phase"), &p, &label)?;
        let flow = opt_num(t, "flow", &p, &label)?;
        let value = match (t.get("amount"), t.get("concentration"), flow) {
            (Some(a), None, None) => StreamValue {
                phase,
                amount: comp_map(a, &comps, with(&p, "amount"), &format!("{label}amount"))?,
                flow: None,
                acid: None,
                sulfate: None,
            },
            (None, Some(c), Some(f)) if f.is_finite() && f > 0.0 => {
                let key = format!("{label}concentration");
                let c = comp_map(c, &comps, with(&p, "concentration"), &key)?;
                let c = to_molar(c, &with(&p, "concentration"), &key)?;
                StreamValue {
                    phase,
                    amount: c.iter().map(|x| x * f).collect(),
                    flow: Some(f),
                    acid: opt_num(t, "acid", &p, &label)?,
                    sulfate: opt_num(t, "sulfate", &p, &label)?,
                }
            }
            _ => {
                return Err(at(
                    p,
                    format!("{label}amount"),
                    None,
                    "expected either `amount` (RE flow per component) or `flow` (L/h, positive) with `concentration`",
                ).into())
            }
        };
        if value.total() <= 0.0 {
            return Err(at(
                p,
                format!("{label}amount"),
                None,
                "the stream carries nothing",
            )
            .into());
        }
        streams.push(ExternalStream { name, value });
    }

    // units
    // every problem of every unit before giving up
    let mut units = Vec::new();
    let mut unit_problems = Vec::new();
    for (i, t) in tables(top, "unit")?.into_iter().enumerate() {
        let p = vec![k("unit"), Seg::Index(i)];
        match parse_unit(t, i, top, &comps, &p) {
            Ok(u) => {
                if let Err(e) = claim(&u.name, with(&p, "name"), "unit.") {
                    unit_problems.push(e);
                }
                units.push(u);
            }
            Err(e) => unit_problems.extend(e),
        }
    }
    if !unit_problems.is_empty() {
        return Err(unit_problems);
    }
    if units.is_empty() {
        return Err(at(
            vec![],
            "unit",
            None,
            "a flowsheet needs at least one [[unit]]",
        )
        .into());
    }

    // splits
    let mut splits = Vec::new();
    for (i, t) in tables(top, "split")?.into_iter().enumerate() {
        let p = vec![k("split"), Seg::Index(i)];
        check_keys(t, &["name", "from", "fractions"], &p, "split.")?;
        let name = get_str(t, "name", &p, "the split's name")?;
        claim(&name, with(&p, "name"), "split.")?;
        let label = format!("split.{name}.");
        let from = get_str(t, "from", &p, "the stream divided")?;
        let Some(Value::Table(fr)) = t.get("fractions") else {
            return Err(at(
                p,
                format!("{label}fractions"),
                None,
                "missing: fractions = { <outlet> = share, ... }",
            )
            .into());
        };
        let mut fractions = Vec::new();
        for (key, v) in fr {
            match num(v) {
                Some(x) if x.is_finite() && (0.0..=1.0).contains(&x) => {
                    fractions.push((key.clone(), x))
                }
                _ => {
                    return Err(at(
                        with(&p, "fractions"),
                        format!("{label}fractions.{key}"),
                        Some(v.to_string()),
                        "expected a share in [0, 1]",
                    )
                    .into())
                }
            }
        }
        let sum: f64 = fractions.iter().map(|f| f.1).sum();
        if fractions.is_empty() || (sum - 1.0).abs() > 1e-9 {
            return Err(at(
                with(&p, "fractions"),
                format!("{label}fractions"),
                Some(format!("{sum}")),
                "expected shares that sum to 1",
            )
            .into());
        }
        splits.push(Split {
            name,
            from,
            fractions,
        });
    }
    let fs = Flowsheet {
        name,
        components: comps,
        streams,
        units,
        splits,
        tolerance,
        max_iterations,
        accelerator,
        molar_mass,
    };
    check_graph(&fs)?;
    Ok(fs)
}

fn parse_unit(
    t: &Table,
    _i: usize,
    top: &Table,
    comps: &[String],
    p: &[Seg],
) -> Result<Unit, Vec<Located>> {
    check_keys(
        t,
        &[
            "name",
            "cascade",
            "chemistry",
            "feed",
            "flows",
            "organic_in",
            "scrub_in",
            "strip_in",
            "scrub",
            "strip",
            "organic",
            "solver",
            "units",
            "molar_mass",
            "draw",
        ],
        p,
        "unit.",
    )?;
    let name = get_str(t, "name", p, "the unit's name")?;
    let label = format!("unit.{name}.");
    let mut inputs = vec![(
        Port::Feed,
        get_str(t, "feed", p, "the stream the unit is fed")?,
    )];
    for port in [Port::Organic, Port::Scrub, Port::Strip] {
        if t.contains_key(port.key()) {
            inputs.push((port, get_str(t, port.key(), p, "a stream name")?));
        }
    }
    let mut raw = t.clone();
    for key in ["name", "feed", "organic_in", "scrub_in", "strip_in"] {
        raw.remove(key);
    }
    let chem = match t.get("chemistry").or_else(|| top.get("chemistry")) {
        Some(c) => c.clone(),
        None => {
            return Err(at(
                p.to_vec(),
                format!("{label}chemistry"),
                None,
                "missing: the unit's [chemistry] (or a top-level one)",
            )
            .into())
        }
    };
    let rigorous = chem
        .get("model")
        .and_then(Value::as_str)
        .is_some_and(crate::model::models::tracks_acidity);
    raw.insert("chemistry".into(), chem);
    raw.insert("name".into(), Value::String(name.clone()));
    raw.insert(
        "components".into(),
        Value::Array(comps.iter().map(|c| Value::String(c.clone())).collect()),
    );
    for key in ["units", "molar_mass"] {
        if let (false, Some(v)) = (raw.contains_key(key), top.get(key)) {
            raw.insert(key.into(), v.clone());
        }
    }
    let mut feed = Table::new();
    if rigorous {
        feed.insert("acid".into(), Value::Float(0.0));
    }
    raw.insert("feed".into(), Value::Table(feed));
    let (mut extraction_ratio, mut scrub_ratio) = (None, None);
    let mut flows = match raw.remove("flows") {
        Some(Value::Table(f)) => f,
        None => Table::new(),
        Some(_) => {
            return Err(at(
                with(p, "flows"),
                format!("{label}flows"),
                None,
                "expected a table",
            )
            .into())
        }
    };
    let fp = with(p, "flows");
    for (key, slot) in [
        ("extraction_ratio", &mut extraction_ratio),
        ("scrub_ratio", &mut scrub_ratio),
    ] {
        if let Some(v) = flows.remove(key) {
            match num(&v) {
                Some(x) if x.is_finite() && x >= 0.0 => *slot = Some(x),
                _ => {
                    return Err(at(
                        with(&fp, key),
                        format!("{label}flows.{key}"),
                        Some(v.to_string()),
                        "expected a non-negative ratio to the unit's feed total",
                    )
                    .into())
                }
            }
        }
    }
    raw.insert("flows".into(), Value::Table(flows));
    let table = Value::Table(raw);
    let rc: RawCascade = table.clone().try_into().map_err(|e: toml::de::Error| {
        // a value read into the schema carries no spans: the unit's table
        // written out and read again names the key the schema refused
        let inner = unit_key(&table);
        let mut path = p.to_vec();
        path.extend(inner.split('.').filter(|s| !s.is_empty()).map(k));
        let key = if inner.is_empty() {
            format!("unit.{name}")
        } else {
            format!("{label}{inner}")
        };
        at(path, key, None, e.message().trim().to_string())
    })?;
    let spec = crate::model::load::spec_of(rc).map_err(|errors| {
        errors
            .into_vec()
            .into_iter()
            .map(|e| {
                let mut path = p.to_vec();
                path.extend(e.key.split('.').map(k));
                Located {
                    path,
                    err: InputError {
                        key: format!("{label}{}", e.key),
                        ..e
                    },
                }
            })
            .collect::<Vec<_>>()
    })?;
    let unit = Unit {
        name,
        spec,
        inputs,
        extraction_ratio,
        scrub_ratio,
    };
    let sf = !unit.is_volumetric();
    // the checks below are independent: every problem is reported
    let mut problems = Vec::new();
    // side draws: what can be checked before the unit's flows are solved
    let sp = &unit.spec;
    crate::cascade::draw::check(sp.extraction + sp.scrub + sp.strip, !sf, &sp.draws, "draw")
        .unwrap_or_else(|(j, e)| {
            let mut path = with(p, "draw");
            path.push(Seg::Index(j));
            path.extend(e.key.split('.').skip(1).map(k));
            problems.push(Located {
                path,
                err: InputError {
                    key: format!("{label}{}", e.key),
                    ..e
                },
            })
        });
    for (key, v) in [
        ("extraction_ratio", extraction_ratio),
        ("scrub_ratio", scrub_ratio),
    ] {
        if v.is_some() && !sf {
            problems.push(at(
                with(&fp, key),
                format!("{label}flows.{key}"),
                None,
                "ratios to the feed are for separation-factor units (volumetric units take flows in L/h)",
            ));
        }
    }
    if sf {
        if extraction_ratio.is_some() && unit.spec.flows.extraction_amount.is_some() {
            problems.push(at(
                with(&fp, "extraction_ratio"),
                format!("{label}flows.extraction_ratio"),
                None,
                "give extraction_ratio or extraction_amount, not both",
            ));
        }
        if scrub_ratio.is_some() && unit.spec.flows.scrub_amount.is_some() {
            problems.push(at(
                with(&fp, "scrub_ratio"),
                format!("{label}flows.scrub_ratio"),
                None,
                "give scrub_ratio or scrub_amount, not both",
            ));
        }
    }
    for (port, _) in &unit.inputs[1..] {
        let stages = match port {
            Port::Scrub => unit.spec.scrub,
            Port::Strip => unit.spec.strip,
            _ => 1,
        };
        let key = format!("{label}{}", port.key());
        if sf {
            problems.push(at(
                with(p, port.key()),
                key,
                None,
                "organic_in, scrub_in and strip_in are for volumetric units",
            ));
        } else if stages == 0 {
            problems.push(at(
                with(p, port.key()),
                key,
                None,
                format!("the unit has no {} stages", port.name()),
            ));
        } else if port
            .inlet()
            .is_some_and(|inlet| unit.spec.inlet_concentration(inlet).is_some())
        {
            problems.push(at(
                with(p, port.key()),
                key,
                None,
                format!(
                    "the unit also gives [{}] concentration: name a stream or give the composition, not both",
                    port.name()
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(unit)
    } else {
        Err(problems)
    }
}

/// Phase and whether the flow (L/h) is known, of a resolved stream.
fn stream_props(fs: &Flowsheet, name: &str, depth: usize) -> Option<(Phase, bool)> {
    match producer(fs, name)? {
        Producer::External(i) => Some((
            fs.streams[i].value.phase,
            fs.streams[i].value.flow.is_some(),
        )),
        Producer::Unit(i, phase) => Some((phase, fs.units[i].is_volumetric())),
        Producer::Split(i) if depth < 64 => stream_props(fs, &fs.splits[i].from, depth + 1),
        Producer::Split(_) => None,
    }
}

fn check_graph(fs: &Flowsheet) -> Result<(), Located> {
    let mut used: BTreeMap<String, String> = BTreeMap::new();
    let mut consume = |name: &str,
                       by: String,
                       path: Vec<Seg>,
                       key: String|
     -> Result<(), Located> {
        if let Some(prev) = used.get(name) {
            return Err(at(
                path,
                key,
                Some(format!("\"{name}\"")),
                format!("stream `{name}` is already consumed by {prev}: a stream enters one inlet (divide it with a [[split]])"),
            ));
        }
        used.insert(name.to_string(), by);
        Ok(())
    };
    for (i, u) in fs.units.iter().enumerate() {
        for (port, s) in &u.inputs {
            let path = vec![k("unit"), Seg::Index(i), k(port.key())];
            let key = format!("unit.{}.{}", u.name, port.key());
            let Some((phase, has_flow)) = stream_props(fs, s, 0) else {
                return Err(at(
                    path,
                    key,
                    Some(format!("\"{s}\"")),
                    "unknown stream: expected a [[stream]] name, \"<unit>.<outlet>\" (raffinate, loaded_organic, strip_liquor, stripped_organic, or a [[unit.draw]] name) or \"<split>.<outlet>\"",
                ));
            };
            let want = match port {
                Port::Feed => None,
                Port::Organic => Some(Phase::Organic),
                Port::Scrub | Port::Strip => Some(Phase::Aqueous),
            };
            if let Some(w) = want {
                if w != phase {
                    return Err(at(
                        path,
                        key,
                        Some(format!("\"{s}\"")),
                        format!(
                            "phase mismatch: {} takes an {} stream, `{s}` is {}",
                            port.key(),
                            w.name(),
                            phase.name()
                        ),
                    ));
                }
            }
            if u.is_volumetric() && !has_flow {
                return Err(at(
                    path,
                    key,
                    Some(format!("\"{s}\"")),
                    format!(
                        "`{s}` has no volumetric flow (L/h), which the volumetric unit `{}` needs",
                        u.name
                    ),
                ));
            }
            consume(s, format!("unit `{}` ({})", u.name, port.key()), path, key)?;
        }
    }
    for (i, sp) in fs.splits.iter().enumerate() {
        let path = vec![k("split"), Seg::Index(i), k("from")];
        let key = format!("split.{}.from", sp.name);
        if stream_props(fs, &sp.from, 0).is_none() {
            return Err(at(
                path,
                key,
                Some(format!("\"{}\"", sp.from)),
                "unknown stream (or a cycle of splits)",
            ));
        }
        consume(&sp.from, format!("split `{}`", sp.name), path, key)?;
    }
    for (i, s) in fs.streams.iter().enumerate() {
        if !used.contains_key(&s.name) {
            return Err(at(
                vec![k("stream"), Seg::Index(i), k("name")],
                format!("stream.{}.name", s.name),
                Some(format!("\"{}\"", s.name)),
                "this external stream enters no unit",
            ));
        }
    }
    // order and recycles
    let plan = super::solve::plan(fs).map_err(|(i, port, msg)| {
        let u = &fs.units[i];
        at(
            vec![k("unit"), Seg::Index(i), k(port.key())],
            format!("unit.{}.{}", u.name, port.key()),
            None,
            msg,
        )
    })?;
    // every recycle needs a way out: some stream made inside the cycle
    // must leave it (a product or a stream consumed outside)
    let n = fs.units.len() + fs.splits.len();
    let edges = super::solve::edges(fs);
    let reach = |from: usize| -> Vec<bool> {
        let mut seen = vec![false; n];
        let mut stack = vec![from];
        while let Some(a) = stack.pop() {
            for &(x, y, ..) in &edges {
                if x == a && !seen[y] {
                    seen[y] = true;
                    stack.push(y);
                }
            }
        }
        seen
    };
    for &(ui, port) in &plan.tears {
        let cons = ui;
        let prod = edges
            .iter()
            .find(|e| e.1 == cons && e.2 == Some(port))
            .map(|e| e.0)
            .unwrap_or(cons);
        let fwd = reach(cons);
        let cycle: Vec<bool> = (0..n)
            .map(|v| (v == cons || fwd[v]) && (v == prod || reach(v)[prod] || v == cons))
            .collect();
        let mut exit = false;
        for (v, &inside) in cycle.iter().enumerate() {
            if !inside {
                continue;
            }
            for out in super::solve::node_outputs(fs, v) {
                match used.get(&out) {
                    None => exit = true,
                    Some(_) => {
                        let consumer_inside =
                            edges.iter().any(|e| e.0 == v && e.3 == out && cycle[e.1]);
                        if !consumer_inside {
                            exit = true;
                        }
                    }
                }
            }
        }
        if !exit {
            let u = &fs.units[cons];
            return Err(at(
                vec![k("unit"), Seg::Index(cons), k(port.key())],
                format!("unit.{}.{}", u.name, port.key()),
                None,
                "this recycle closes a cycle with no exit: every stream made inside it is consumed inside it, so what enters accumulates",
            ));
        }
    }
    Ok(())
}
