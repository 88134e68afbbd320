//! `--set path=value` overrides and scenario `set` tables.
//!
//! An override is applied to the parsed TOML value tree *before* it is
//! deserialised, so that it goes through exactly the same checks as the file.
//! Paths are dotted keys; a segment may be double-quoted when a name has
//! spaces or dots (`refinery."Iluka Eneabba".max_new=0`). In an array of
//! tables (`[[refinery]]`, `[[import]]`, ...) a segment selects the entry
//! whose `name` is that segment, or else the one whose `region` is, or a
//! 0-based index. A missing key may be created inside an existing table
//! (the schema then rejects it if it is unknown); a missing array entry is an
//! error.

use crate::input::locate::{KeyPath, Seg};

/// One override: a path into the plan and the value to put there.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Path segments as written (names, not yet resolved to indices).
    pub path: Vec<String>,
    /// New value.
    pub value: toml::Value,
    /// Where it came from, for messages: `--set a.b=1` or `scenario "x": a.b`.
    pub origin: String,
}

/// Parses a dotted path with optional double-quoted segments.
pub(crate) fn parse_path(text: &str) -> Result<Vec<String>, String> {
    let mut segs = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut seg = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                seg.push(c);
            }
            if !closed {
                return Err(format!("unclosed quote in path `{text}`"));
            }
            match chars.next() {
                None => {
                    segs.push(seg);
                    break;
                }
                Some('.') => {}
                Some(c) => {
                    return Err(format!(
                        "unexpected `{c}` after quoted segment in path `{text}`"
                    ))
                }
            }
        } else {
            let mut ended = true;
            for c in chars.by_ref() {
                if c == '.' {
                    ended = false;
                    break;
                }
                seg.push(c);
            }
            let seg = seg.trim().to_string();
            if seg.is_empty() {
                return Err(format!("empty segment in path `{text}`"));
            }
            segs.push(seg);
            if ended {
                break;
            }
            continue;
        }
        segs.push(seg);
    }
    Ok(segs)
}

/// Parses `path=value` as given to `--set`. The value is read as a TOML value
/// (`0.5`, `true`, `"text"`, `[1, 2]`, `{ Nd = 1 }`); anything that is not valid
/// TOML is taken as a plain string.
pub fn parse_set(spec: &str) -> Result<Override, String> {
    let Some((path, value)) = spec.split_once('=') else {
        return Err("expected PATH=VALUE, e.g. policy.max_import_share.Dy=0".to_string());
    };
    let path = parse_path(path)?;
    let value = parse_value(value.trim());
    Ok(Override {
        path,
        value,
        origin: format!("--set {spec}"),
    })
}

fn parse_value(text: &str) -> toml::Value {
    match toml::from_str::<toml::Table>(&format!("v = {text}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(text.to_string())),
        Err(_) => toml::Value::String(text.to_string()),
    }
}

/// Flattens a scenario's `set` (a table of path = value, nested tables
/// merged key by key, or an array of `"path=value"` strings) into overrides.
pub(crate) fn scenario_overrides(
    scenario: &str,
    set: &toml::Value,
) -> Result<Vec<Override>, String> {
    let mut out = Vec::new();
    match set {
        toml::Value::Table(t) => flatten(scenario, &[], t, &mut out)?,
        toml::Value::Array(items) => {
            for item in items {
                let toml::Value::String(s) = item else {
                    return Err(format!("scenario \"{scenario}\": set entries must be \"path=value\" strings, found {item}"));
                };
                let mut o = parse_set(s).map_err(|e| format!("scenario \"{scenario}\": {e}"))?;
                o.origin = format!("scenario \"{scenario}\" set {s}");
                out.push(o);
            }
        }
        other => {
            return Err(format!(
            "scenario \"{scenario}\": `set` must be a table or an array of strings, found {other}"
        ))
        }
    }
    Ok(out)
}

fn flatten(
    scenario: &str,
    prefix: &[String],
    table: &toml::Table,
    out: &mut Vec<Override>,
) -> Result<(), String> {
    for (key, value) in table {
        let mut path = prefix.to_vec();
        path.extend(parse_path(key).map_err(|e| format!("scenario \"{scenario}\": {e}"))?);
        match value {
            toml::Value::Table(sub) if !sub.is_empty() => flatten(scenario, &path, sub, out)?,
            _ => out.push(Override {
                origin: format!("scenario \"{scenario}\" set {}", path.join(".")),
                path,
                value: value.clone(),
            }),
        }
    }
    Ok(())
}

/// Applies one override to the value tree; returns the resolved key path
/// (array entries as indices) so that later errors can be traced to it.
pub(crate) fn apply(root: &mut toml::Table, o: &Override) -> Result<KeyPath, String> {
    let mut resolved = KeyPath::root();
    let (last, inner) = o
        .path
        .split_last()
        .ok_or_else(|| "empty path".to_string())?;
    let mut table: &mut toml::Table = root;
    let mut i = 0;
    while i < inner.len() {
        let seg = &inner[i];
        resolved.0.push(Seg::Key(seg.clone()));
        let entry = table
            .entry(seg.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match entry {
            toml::Value::Table(t) => {
                table = t;
                i += 1;
            }
            toml::Value::Array(items) => {
                // The next segment selects an entry of the array.
                let Some(sel) = o.path.get(i + 1) else {
                    return Err(format!(
                        "`{}` is an array: name an entry of it",
                        o.path[..=i].join(".")
                    ));
                };
                let idx =
                    select(items, sel).map_err(|e| format!("`{}`: {e}", o.path[..=i].join(".")))?;
                resolved.0.push(Seg::Index(idx));
                if i + 1 == inner.len() {
                    // The selected entry itself is being replaced.
                    items[idx] = o.value.clone();
                    return Ok(resolved);
                }
                match &mut items[idx] {
                    toml::Value::Table(t) => table = t,
                    other => {
                        return Err(format!(
                            "`{}` is a {}, not a table",
                            o.path[..=i + 1].join("."),
                            other.type_str()
                        ));
                    }
                }
                i += 2;
            }
            other => {
                return Err(format!(
                    "`{}` is a {} ({}), it has no key `{}`",
                    o.path[..=i].join("."),
                    other.type_str(),
                    other,
                    o.path[i + 1]
                ));
            }
        }
    }
    resolved.0.push(Seg::Key(last.clone()));
    table.insert(last.clone(), o.value.clone());
    Ok(resolved)
}

fn select(items: &[toml::Value], sel: &str) -> Result<usize, String> {
    for key in ["name", "region"] {
        let hits: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, v)| v.get(key).and_then(|n| n.as_str()) == Some(sel))
            .map(|(i, _)| i)
            .collect();
        match hits.len() {
            1 => return Ok(hits[0]),
            0 => {}
            n => return Err(format!("{n} entries have {key} \"{sel}\"; use an index")),
        }
    }
    if let Ok(i) = sel.parse::<usize>() {
        if i < items.len() {
            return Ok(i);
        }
        return Err(format!(
            "index {i} out of range (there are {} entries)",
            items.len()
        ));
    }
    let names: Vec<&str> = items
        .iter()
        .filter_map(|v| {
            v.get("name")
                .or_else(|| v.get("region"))
                .and_then(|n| n.as_str())
        })
        .collect();
    Err(format!(
        "no entry named \"{sel}\" (entries: {})",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> toml::Table {
        toml::from_str(
            r#"
            elements = ["Nd", "Dy"]
            [[refinery]]
            name = "Iluka Eneabba"
            capex = 1.0
            [[import]]
            region = "China"
            price = { Nd = 1.0 }
            [policy]
            max_import_share = { default = 0.5 }
            "#,
        )
        .unwrap()
    }

    #[test]
    fn parses_quoted_paths_and_values() {
        let o = parse_set("refinery.\"Iluka Eneabba\".max_new=0").unwrap();
        assert_eq!(o.path, vec!["refinery", "Iluka Eneabba", "max_new"]);
        assert_eq!(o.value, toml::Value::Integer(0));
        assert_eq!(
            parse_set("name=hello world").unwrap().value,
            toml::Value::String("hello world".into())
        );
        assert!(parse_set("no-equals").is_err());
        assert!(parse_path("a..b").is_err());
    }

    #[test]
    fn applies_into_tables_and_named_array_entries() {
        let mut d = doc();
        let p = apply(&mut d, &parse_set("policy.max_import_share.Dy=0").unwrap()).unwrap();
        assert_eq!(p.to_string(), "policy.max_import_share.Dy");
        assert_eq!(d["policy"]["max_import_share"]["Dy"].as_integer(), Some(0));
        let p = apply(
            &mut d,
            &parse_set("refinery.\"Iluka Eneabba\".capex=2.5").unwrap(),
        )
        .unwrap();
        assert_eq!(p.to_string(), "refinery[0].capex");
        assert_eq!(d["refinery"][0]["capex"].as_float(), Some(2.5));
        // An import is selected by its region when it has no name.
        apply(&mut d, &parse_set("import.China.capacity.Nd=0").unwrap()).unwrap();
        assert_eq!(d["import"][0]["capacity"]["Nd"].as_integer(), Some(0));
    }

    #[test]
    fn rejects_unknown_entries_and_scalar_descent() {
        let mut d = doc();
        let e = apply(&mut d, &parse_set("refinery.Nowhere.capex=1").unwrap()).unwrap_err();
        assert!(e.contains("no entry named \"Nowhere\""), "{e}");
        let e = apply(&mut d, &parse_set("elements.x=1").unwrap()).unwrap_err();
        assert!(e.contains("no entry named \"x\""), "{e}");
        let e = apply(&mut d, &parse_set("refinery.0.capex.x=1").unwrap()).unwrap_err();
        assert!(e.contains("has no key `x`"), "{e}");
    }

    #[test]
    fn flattens_scenario_tables() {
        let set: toml::Value = toml::from_str::<toml::Table>(
            "set = { \"import.China.capacity\" = { Dy = 0, Tb = 0 }, policy.capex_factor = 1.5 }",
        )
        .unwrap()["set"]
            .clone();
        let os = scenario_overrides("ban", &set).unwrap();
        let paths: Vec<String> = os.iter().map(|o| o.path.join(".")).collect();
        assert_eq!(
            paths,
            vec![
                "import.China.capacity.Dy",
                "import.China.capacity.Tb",
                "policy.capex_factor"
            ]
        );
    }
}
