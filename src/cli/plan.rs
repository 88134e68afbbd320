//! `sxforge plan`: command-line front end of the capacity planner.
//!
//! Exit status: 0 every requested scenario solved; 1 bad input (the message
//! names file, line, key, value and what was expected); 2 a scenario is
//! infeasible or the solver failed (the report still comes, saying why).

use super::{check_writable, fail, out, Exit};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use sxforge::capacity::error::PlanError;
use sxforge::capacity::load::PlanFile;
use sxforge::capacity::overrides::{self, Override};
use sxforge::capacity::plan::{Backend, Plan};
use sxforge::capacity::report;
use sxforge::capacity::solve::{self, Outcome};

/// Arguments of `sxforge plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Plan model (TOML).
    pub file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the result as long-format CSV to this file, or one CSV per
    /// table into this directory (if it exists or ends with `/`).
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Override a value before validation, e.g.
    /// `--set policy.max_import_share.Dy=0` or
    /// `--set refinery."Iluka Eneabba".max_new=0` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Solve this scenario of the file instead of the base plan.
    #[arg(long, value_name = "NAME", conflicts_with = "compare")]
    pub scenario: Option<String>,
    /// Solve the base plan and every scenario, and compare them side by side.
    #[arg(long)]
    pub compare: bool,
    /// LP backend: auto (the default: microlp, a verified vertex optimum
    /// with exact one-sided marginal values), clarabel, microlp, highs
    /// (only in a build with the `highs` cargo feature).
    #[arg(long, value_name = "BACKEND", value_parser = ["auto", "clarabel", "microlp", "highs"])]
    pub solver: Option<String>,
    /// Horizon plans: draw the build-out, supply by origin and stock levels
    /// as SVGs into this directory (created if missing), or, for a path
    /// ending in `.svg`, into files named after it (`X-buildout.svg`, ...).
    #[arg(long, value_name = "DIR|FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Horizon plans: also report one-sided marginal values (demand per
    /// element and year, capacities, budgets, stockpile capacities, import
    /// caps) and the cost of reaching independence sooner (re-solves: slow
    /// on large plans).
    #[arg(long)]
    pub marginal: bool,
}

/// Runs `sxforge plan`.
pub fn run(args: &PlanArgs) -> Exit {
    match execute(args) {
        Ok((code, text)) => {
            out(&text);
            code
        }
        Err(e) => fail(&e),
    }
}

/// Exit status of a planner outcome: 2 when a scenario is infeasible or
/// the solver failed.
fn outcome_exit(o: &Outcome) -> Exit {
    match o {
        Outcome::Solved(_) => Exit::Ok,
        _ => Exit::NotSolved,
    }
}

/// A `--solver` this build does not have (HiGHS without the `highs`
/// feature) is a usage error, reported before anything is read or solved.
fn check_solver(args: &PlanArgs) -> Result<(), PlanError> {
    let Some(name) = args.solver.as_deref() else {
        return Ok(());
    };
    let missing = match Backend::parse(name) {
        Some(b) => b.missing(),
        None => Some(format!(
            "no such backend; available: {}",
            Backend::available().join(", ")
        )),
    };
    match missing {
        None => Ok(()),
        Some(message) => Err(PlanError::Usage {
            option: format!("--solver {name}"),
            message,
        }),
    }
}

/// Everything `run` does except printing: returns the exit code and stdout.
fn execute(args: &PlanArgs) -> Result<(Exit, String), PlanError> {
    check_solver(args)?;
    let sets: Vec<Override> = args
        .set
        .iter()
        .map(|s| {
            overrides::parse_set(s).map_err(|message| PlanError::Override {
                file: args.file.clone(),
                origin: format!("--set {s}"),
                message,
            })
        })
        .collect::<Result<_, _>>()?;
    if let Some(path) = &args.plot {
        plot_target(path).map_err(|e| PlanError::Output {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
    }
    if let Some(path) = &args.csv {
        let as_dir = path.is_dir() || path.to_string_lossy().ends_with('/');
        if !as_dir {
            check_writable(path).map_err(|e| PlanError::Output {
                path: path.clone(),
                source: std::io::Error::other(e),
            })?;
        }
    }
    let file = PlanFile::read(&args.file)?;
    execute_file(args, &file, &sets)
}

/// Checks before solving that `--plot` can be written: an `.svg` path needs
/// an existing directory, a directory path an existing parent.
fn plot_target(path: &Path) -> Result<(), String> {
    if path.extension().is_some_and(|e| e == "svg") {
        return check_writable(path);
    }
    if path.is_dir() {
        return Ok(());
    }
    check_writable(path)
}

/// Options that a horizon plan does not take: an error naming the option
/// (exit 1) rather than silently ignoring it.
fn horizon_rejects(args: &PlanArgs) -> Option<(String, String)> {
    if args.compare {
        return Some((
            "--compare".into(),
            "a horizon plan has no scenarios to compare; its futures are compared in the report"
                .into(),
        ));
    }
    if let Some(s) = &args.scenario {
        return Some((
            format!("--scenario {s}"),
            "a horizon plan has no scenarios; use [[future]] entries".into(),
        ));
    }
    if args.csv.is_some() {
        return Some((
            "--csv".into(),
            "horizon plans have no CSV output; use --json".into(),
        ));
    }
    match args.solver.as_deref() {
        None | Some("auto") | Some("microlp") => None,
        Some(s) => Some((
            format!("--solver {s}"),
            "horizon plans are solved by microlp's simplex only (a verified vertex optimum); use --solver microlp or auto".into(),
        )),
    }
}

/// A file with `[horizon]`: the multi-period planner (exit 2 when it fails).
fn horizon(
    args: &PlanArgs,
    h: &sxforge::capacity::horizon::Horizon,
) -> Result<(Exit, String), PlanError> {
    use sxforge::capacity::horizon as hz;
    if let Some((origin, message)) = horizon_rejects(args) {
        return Err(PlanError::Override {
            file: args.file.clone(),
            origin,
            message,
        });
    }
    let a = hz::analyse(h);
    let code = if a.optimum.is_ok() {
        Exit::Ok
    } else {
        Exit::NotSolved
    };
    let values = match (&a.optimum, args.marginal) {
        (Ok(_), true) => Some(hz::values(h)),
        _ => None,
    };
    if let (Some(path), Ok(opt)) = (&args.plot, &a.optimum) {
        sxforge::capacity::horizon_plot::write(h, opt, path)?;
    }
    let report = sxforge::capacity::horizon_report::HorizonReport::new(h, &a, values.as_ref());
    let text = if args.json {
        report.to_json()
    } else {
        report.to_text()
    };
    Ok((code, text))
}

/// [`execute`] on a plan already read (from a file or from text, see
/// [`PlanFile::parse`]); `sets` are the parsed `--set` overrides. The
/// Python package calls this, so its results equal the CLI's by
/// construction.
pub fn execute_file(
    args: &PlanArgs,
    file: &PlanFile,
    sets: &[Override],
) -> Result<(Exit, String), PlanError> {
    check_solver(args)?;
    if let Some(h) = sxforge::capacity::horizon::from_file(file, sets)? {
        return horizon(args, &h);
    }
    if args.plot.is_some() || args.marginal {
        return Err(PlanError::Override {
            file: args.file.clone(),
            origin: if args.marginal { "--marginal" } else { "--plot" }.into(),
            message: "only horizon plans (with a [horizon] table) take this option; one-year plans report marginal values always".into(),
        });
    }
    let names: Vec<String> = if args.compare {
        file.scenario_names()
    } else {
        vec![args.scenario.clone().unwrap_or_else(|| "base".to_string())]
    };
    let plans: Vec<(String, Plan)> = names
        .iter()
        .map(|n| file.plan(Some(n), sets).map(|p| (n.clone(), p)))
        .collect::<Result<_, _>>()?;
    let requested = args.solver.as_deref().and_then(Backend::parse);
    let runs: Vec<(String, Option<String>, Plan, Outcome)> = plans
        .into_par_iter()
        .map(|(name, plan)| {
            let outcome = solve::solve(&plan, requested.unwrap_or(plan.backend));
            let desc = file.description(&name);
            (name, desc, plan, outcome)
        })
        .collect();
    let code = runs
        .iter()
        .map(|r| outcome_exit(&r.3))
        .max()
        .unwrap_or(Exit::Ok);

    let reports: Vec<report::PlanReport> = runs
        .iter()
        .map(|(n, _, p, o)| report::PlanReport::new(p, n, o))
        .collect();
    if let Some(path) = &args.csv {
        write_csv(path, &reports)?;
    }
    let out = if args.compare {
        let descriptions = runs.iter().map(|r| r.1.clone());
        let comparison =
            report::Comparison::new(&runs[0].2, reports.into_iter().zip(descriptions).collect());
        if args.json {
            comparison.to_json()
        } else {
            comparison.to_text()
        }
    } else if args.json {
        reports[0].to_json()
    } else {
        reports[0].to_text()
    };
    Ok((code, out))
}

/// Writes the long CSV to `path`, or one CSV per table into it when it is
/// a directory (or ends with `/`).
fn write_csv(path: &Path, reports: &[report::PlanReport]) -> Result<(), PlanError> {
    let err = |p: &Path, source| PlanError::Output {
        path: p.to_path_buf(),
        source,
    };
    let as_dir = path.is_dir() || path.to_string_lossy().ends_with('/');
    let (long, tables) = report::csv_tables(reports);
    if as_dir {
        std::fs::create_dir_all(path).map_err(|e| err(path, e))?;
        for (table, body) in tables {
            let p = path.join(format!("{table}.csv"));
            std::fs::write(&p, body).map_err(|e| err(&p, e))?;
        }
    } else {
        std::fs::write(path, long).map_err(|e| err(path, e))?;
    }
    Ok(())
}
