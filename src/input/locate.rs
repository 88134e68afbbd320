//! The one TOML key locator, used by cascade, optimise, sweep and plan files.
//!
//! Validation reports problems by key path (`refinery[1].capex`,
//! `flows.organic`); this module finds where that path is written, using the
//! spans of toml's [`toml::de::DeTable`], so every message can name a line
//! and column; and, the other way, names the key path at a byte offset (for
//! serde's errors, which come with a span only).

use std::fmt;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index (0-based).
    Index(usize),
}

/// A path from the document root to a value, e.g. `source[2].assay.Nd`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The root path.
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }
    /// This path extended by a key.
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
    /// Whether `self` starts with `prefix` (or equals it).
    pub fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.len() >= prefix.0.len() && self.0[..prefix.0.len()] == prefix.0[..]
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    if k.is_empty()
                        || !k
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    {
                        write!(f, "\"{k}\"")?;
                    } else {
                        f.write_str(k)?;
                    }
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

impl KeyPath {
    /// Parses a dotted key path as written in messages: `a.b[2].c`,
    /// `refinery."Iluka Eneabba".max_new` (indices 0-based).
    pub fn parse(dotted: &str) -> Self {
        let mut segs = Vec::new();
        let mut chars = dotted.chars().peekable();
        let mut cur = String::new();
        let mut quoted = false;
        let flush = |cur: &mut String, segs: &mut Vec<Seg>| {
            if !cur.is_empty() {
                segs.push(Seg::Key(std::mem::take(cur)));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '"' => quoted = !quoted,
                _ if quoted => cur.push(c),
                '.' => flush(&mut cur, &mut segs),
                '[' => {
                    flush(&mut cur, &mut segs);
                    let mut num = String::new();
                    for d in chars.by_ref() {
                        if d == ']' {
                            break;
                        }
                        num.push(d);
                    }
                    match num.trim().parse() {
                        Ok(i) => segs.push(Seg::Index(i)),
                        Err(_) => segs.push(Seg::Key(num)),
                    }
                }
                _ => cur.push(c),
            }
        }
        flush(&mut cur, &mut segs);
        KeyPath(segs)
    }
}

/// Line and column (1-based) where the dotted key `key` (or its nearest
/// written ancestor) is, if `source` parses: the value for a plain key, the
/// key for a table, the first key for an array item.
pub fn locate(source: &str, key: &str) -> Option<(usize, usize)> {
    let off = offset_of_path(source, &KeyPath::parse(key))?;
    Some(line_col(source, off))
}

/// Byte offset where `path` (or its nearest written ancestor) is.
pub fn offset_of_path(text: &str, path: &KeyPath) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    span_of_path(doc.get_ref(), &path.0).map(|s| s.start)
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Line where `path` (or its nearest existing ancestor) is written, if the
/// text parses.
pub fn line_of_path(text: &str, path: &KeyPath) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let span = span_of_path(doc.get_ref(), &path.0)?;
    Some(line_of(text, span.start))
}

fn span_of_path(table: &DeTable<'_>, path: &[Seg]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(k) = first else { return None };
    let (key, value) = table
        .iter()
        .find(|(key, _)| key.get_ref().as_ref() == k.as_str())?;
    Some(
        span_in_value(value, rest).unwrap_or_else(|| match value.get_ref() {
            DeValue::Table(_) | DeValue::Array(_) => key.span(),
            _ => value.span(),
        }),
    )
}

fn span_in_value(value: &Spanned<DeValue<'_>>, path: &[Seg]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    match (value.get_ref(), first) {
        (DeValue::Table(t), Seg::Key(_)) => span_of_path(t, path),
        (DeValue::Array(a), Seg::Index(i)) => {
            let item = a.get(*i)?;
            Some(span_in_value(item, rest).unwrap_or_else(|| first_key_span(item)))
        }
        _ => None,
    }
}

/// Span of an array item; for a table, its first key (a `[[x]]` table's own
/// span may start at the header or at the first key depending on the form).
fn first_key_span(item: &Spanned<DeValue<'_>>) -> Range<usize> {
    if let DeValue::Table(t) = item.get_ref() {
        if let Some(start) = t.iter().map(|(k, _)| k.span()).min_by_key(|s| s.start) {
            return start;
        }
    }
    item.span()
}

/// Dotted key path of the innermost key whose key or value span contains
/// `offset` (used to name the key of a serde error).
pub fn path_at(text: &str, offset: usize) -> Option<KeyPath> {
    let doc = DeTable::parse(text).ok()?;
    let mut path = KeyPath::root();
    if descend_table(doc.get_ref(), offset, &mut path) {
        Some(path)
    } else {
        None
    }
}

fn descend_table(table: &DeTable<'_>, offset: usize, path: &mut KeyPath) -> bool {
    for (key, value) in table.iter() {
        let name = Seg::Key(key.get_ref().to_string());
        match value.get_ref() {
            // A `[table]` or `[[array]]` is spread over the file: its own span
            // need not cover its keys, so look inside first.
            DeValue::Table(t) => {
                let mut sub = path.clone();
                sub.0.push(name.clone());
                if descend_table(t, offset, &mut sub) {
                    *path = sub;
                    return true;
                }
            }
            DeValue::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    if let DeValue::Table(t) = item.get_ref() {
                        let mut sub = path.clone();
                        sub.0.push(name.clone());
                        sub.0.push(Seg::Index(i));
                        if descend_table(t, offset, &mut sub) || item.span().contains(&offset) {
                            *path = sub;
                            return true;
                        }
                    }
                }
            }
            _ => {}
        }
        if key.span().contains(&offset) || value.span().contains(&offset) {
            path.0.push(name);
            descend_value(value, offset, path);
            return true;
        }
    }
    false
}

fn descend_value(value: &Spanned<DeValue<'_>>, offset: usize, path: &mut KeyPath) {
    match value.get_ref() {
        DeValue::Table(t) => {
            descend_table(t, offset, path);
        }
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if item.span().contains(&offset) {
                    path.0.push(Seg::Index(i));
                    descend_value(item, offset, path);
                    return;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name = \"x\"\nelements = [\"Nd\"]\n\n[[source]]\nname = \"a\"\ncapacity = 1\n\n[[source]]\nname = \"b\"\nassay = { Nd = 2.0 }\n\n[policy]\nbudget = 5\n";

    #[test]
    fn finds_lines_of_paths() {
        let p = KeyPath::root()
            .key("source")
            .index(1)
            .key("assay")
            .key("Nd");
        assert_eq!(p.to_string(), "source[1].assay.Nd");
        assert_eq!(line_of_path(DOC, &p), Some(10));
        assert_eq!(
            line_of_path(DOC, &KeyPath::root().key("policy").key("budget")),
            Some(13)
        );
        // A missing key falls back to its nearest ancestor.
        let missing = KeyPath::root().key("source").index(0).key("assay");
        assert_eq!(line_of_path(DOC, &missing), Some(5));
    }

    #[test]
    fn parses_and_locates_dotted_keys() {
        let p = KeyPath::parse("refinery.\"Iluka Eneabba\".max_new");
        assert_eq!(p.to_string(), "refinery.\"Iluka Eneabba\".max_new");
        assert_eq!(
            KeyPath::parse("source[1].assay.Nd").to_string(),
            "source[1].assay.Nd"
        );
        // the value of a plain key: line 13 `budget = 5`, column 10
        assert_eq!(locate(DOC, "policy.budget"), Some((13, 10)));
        // a table: its key; an array item: its first key
        assert_eq!(locate(DOC, "policy"), Some((12, 2)));
        assert_eq!(locate(DOC, "source[1]"), Some((9, 1)));
        assert_eq!(locate(DOC, "source[1].assay.Nd"), Some((10, 16)));
        // nothing written: the nearest ancestor, or none at all
        assert_eq!(locate(DOC, "policy.nothing"), Some((12, 2)));
        assert_eq!(locate(DOC, "nothing"), None);
        assert_eq!(line_col("a\nbc", 3), (2, 2));
    }

    #[test]
    fn names_key_at_offset() {
        let off = DOC.find("budget").unwrap();
        assert_eq!(path_at(DOC, off).unwrap().to_string(), "policy.budget");
        let off = DOC.find("capacity").unwrap();
        assert_eq!(path_at(DOC, off).unwrap().to_string(), "source[0].capacity");
    }
}
