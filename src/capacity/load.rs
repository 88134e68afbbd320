//! Reading a plan file: TOML text -> value tree -> scenarios and overrides
//! -> raw schema -> validated [`Plan`], with every error located by line (or
//! by the override that caused it).

use super::error::{issue, locate_issue, PlanError};
use super::overrides::{self, Override};
use super::plan::Plan;
use super::schema::RawPlan;
use super::validate::{self, PlanIssue};
use crate::error::InputError;
use crate::input::locate::KeyPath;
use std::path::{Path, PathBuf};

/// A named scenario: overrides applied on top of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Name (`base` is the file as written).
    pub name: String,
    /// One-line description.
    pub description: Option<String>,
    /// Overrides in file order.
    pub overrides: Vec<Override>,
}

/// A parsed plan file with its scenarios, ready to produce [`Plan`]s.
#[derive(Debug, Clone)]
pub struct PlanFile {
    /// Path, for messages.
    pub path: PathBuf,
    text: String,
    tree: toml::Table,
    base: RawPlan,
    /// Scenarios defined in the file (not counting `base`).
    pub scenarios: Vec<Scenario>,
}

impl PlanFile {
    /// Reads and parses a plan file.
    pub fn read(path: &Path) -> Result<PlanFile, PlanError> {
        // size limit and UTF-8 check of the shared input layer
        let text = crate::input::read_source(path).map_err(|e| PlanError::Io {
            file: path.to_path_buf(),
            source: match e {
                crate::Error::Io { source, .. } => source,
                crate::Error::Input(i) => {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, i.message)
                }
                other => std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
            },
        })?;
        PlanFile::parse(path, text)
    }

    /// Parses plan text; `path` only names it in messages.
    pub fn parse(path: &Path, text: String) -> Result<PlanFile, PlanError> {
        let file = path.to_path_buf();
        let syntax = |e: toml::de::Error, text: &str| {
            PlanError::Syntax(crate::input::toml_error(&e, text, Some(file.clone())))
        };
        let mut tree: toml::Table = toml::from_str(&text).map_err(|e| syntax(e, &text))?;
        let base: RawPlan = toml::from_str(&text).map_err(|e| syntax(e, &text))?;
        tree.remove("scenario");
        tree.remove("scenarios");
        let mut scenarios = Vec::new();
        let mut names = std::collections::HashSet::new();
        let defs = base
            .scenario
            .iter()
            .map(|s| (s.name.clone(), s.description.clone(), s.set.clone()))
            .chain(
                base.scenarios
                    .iter()
                    .map(|(n, b)| (n.clone(), b.description.clone(), b.set.clone())),
            );
        for (name, description, set) in defs {
            let origin = format!("scenario \"{name}\"");
            if name == "base" || !names.insert(name.clone()) {
                return Err(PlanError::Override {
                    file,
                    origin,
                    message: "scenario names must be unique and not `base` (the file as written)"
                        .into(),
                });
            }
            let overrides = match set {
                Some(set) => overrides::scenario_overrides(&name, &set).map_err(|message| {
                    PlanError::Override {
                        file: file.clone(),
                        origin: origin.clone(),
                        message,
                    }
                })?,
                None => Vec::new(),
            };
            scenarios.push(Scenario {
                name,
                description,
                overrides,
            });
        }
        Ok(PlanFile {
            path: file,
            text,
            tree,
            base,
            scenarios,
        })
    }

    /// The file as written (raw schema, base scenario).
    pub fn raw(&self) -> &RawPlan {
        &self.base
    }

    /// The file's text (for locating keys in messages).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Names of all scenarios, `base` first.
    pub fn scenario_names(&self) -> Vec<String> {
        std::iter::once("base".to_string())
            .chain(self.scenarios.iter().map(|s| s.name.clone()))
            .collect()
    }

    /// Description of a scenario.
    pub fn description(&self, name: &str) -> Option<String> {
        self.scenarios
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.description.clone())
    }

    /// The validated plan of scenario `name` (`base` or `None`: the file as
    /// written), with `extra` overrides (from `--set`) applied last.
    pub fn plan(&self, name: Option<&str>, extra: &[Override]) -> Result<Plan, PlanError> {
        let mut list: Vec<Override> = Vec::new();
        match name {
            None | Some("base") => {}
            Some(n) => match self.scenarios.iter().find(|s| s.name == n) {
                Some(s) => list.extend(s.overrides.iter().cloned()),
                None => {
                    return Err(PlanError::Override {
                        file: self.path.clone(),
                        origin: format!("--scenario {n}"),
                        message: format!(
                            "no such scenario; the file defines: {}",
                            self.scenario_names().join(", ")
                        ),
                    })
                }
            },
        }
        list.extend(extra.iter().cloned());
        let fallback = self
            .path
            .file_stem()
            .map_or_else(|| "plan".to_string(), |s| s.to_string_lossy().into_owned());
        let dir = self.path.parent().unwrap_or(Path::new("")).to_path_buf();
        if list.is_empty() {
            let mut plan =
                validate::validate(&self.base, &fallback).map_err(|p| self.issues(p, &[]))?;
            super::process::apply_processes(&self.base, &mut plan, &dir)
                .map_err(|p| self.issues(p, &[]))?;
            return Ok(plan);
        }
        let mut tree = self.tree.clone();
        let mut touched: Vec<(KeyPath, String)> = Vec::new();
        for o in &list {
            let path = overrides::apply(&mut tree, o).map_err(|message| PlanError::Override {
                file: self.path.clone(),
                origin: o.origin.clone(),
                message,
            })?;
            touched.push((path, o.origin.clone()));
        }
        let raw: RawPlan = match toml::Value::Table(tree).try_into() {
            Ok(raw) => raw,
            Err(e) => return Err(self.schema_errors(&list, &e)),
        };
        let mut plan = validate::validate(&raw, &fallback).map_err(|p| self.issues(p, &touched))?;
        super::process::apply_processes(&raw, &mut plan, &dir)
            .map_err(|p| self.issues(p, &touched))?;
        Ok(plan)
    }

    /// The overrides in `list` that make the plan fit its schema no longer
    /// (a wrong type, an unknown key), each named with the key it sets, the
    /// value and the schema's complaint: they are applied one at a time, and
    /// one after which the plan no longer deserialises is reported and left
    /// out, so that every bad override is found and none is blamed for
    /// another's value. `whole` is the error of all of them together (the
    /// message when no single one can be blamed).
    fn schema_errors(&self, list: &[Override], whole: &toml::de::Error) -> PlanError {
        let mut tree = self.tree.clone();
        let mut issues = Vec::new();
        for o in list {
            let mut next = tree.clone();
            let message = match overrides::apply(&mut next, o) {
                Err(message) => message,
                Ok(path) => match toml::Value::Table(next.clone()).try_into::<RawPlan>() {
                    Ok(_) => {
                        tree = next;
                        continue;
                    }
                    Err(e) => {
                        let i = InputError::new(
                            path.to_string(),
                            Some(o.value.to_string()),
                            e.message().trim().to_string(),
                        );
                        issues.push(locate_issue(i, &self.path, &self.text, Some(&o.origin)));
                        continue;
                    }
                },
            };
            // Applies to the file but not once an earlier bad override is
            // left out (it set a table that one replaced): named as it is.
            issues.push(locate_issue(
                InputError::new(o.path.join("."), Some(o.value.to_string()), message),
                &self.path,
                &self.text,
                Some(&o.origin),
            ));
        }
        if issues.is_empty() {
            return PlanError::Override {
                file: self.path.clone(),
                origin: list
                    .iter()
                    .map(|o| o.origin.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                message: format!(
                    "the plan with these overrides does not fit the schema: {}",
                    whole.message().trim()
                ),
            };
        }
        PlanError::Input {
            file: self.path.clone(),
            issues,
        }
    }

    fn issues(&self, problems: Vec<PlanIssue>, touched: &[(KeyPath, String)]) -> PlanError {
        let mut issues: Vec<_> = problems
            .into_iter()
            .map(|p| {
                let origin = touched
                    .iter()
                    .rev()
                    .find(|(t, _)| p.path.starts_with(t) || t.starts_with(&p.path))
                    .map(|(_, o)| o.as_str());
                let i = issue(p.path.to_string(), p.value, &p.expected);
                locate_issue(i, &self.path, &self.text, origin)
            })
            .collect();
        issues.sort_by_key(|i| i.location.line.unwrap_or(u32::MAX));
        PlanError::Input {
            file: self.path.clone(),
            issues,
        }
    }
}

/// Parses plan text and validates its base scenario (for tests, benches and
/// library users that build plans in memory).
pub fn plan_from_str(text: &str) -> Result<Plan, PlanError> {
    PlanFile::parse(Path::new("<plan>"), text.to_string())?.plan(None, &[])
}
