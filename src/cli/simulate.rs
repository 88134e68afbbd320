//! `sxforge simulate FILE`: solve a cascade model and report it.

use std::path::PathBuf;

use clap::ValueEnum;
use sxforge::cost::report::{with_cost_json, with_cost_text};
use sxforge::error::InputErrors;
use sxforge::flowsheet::report as fs_report;
use sxforge::solver::{SolverOptions, SolverOptionsBuilder};

use super::{check_writable, fail, hint, out, report, Exit};

/// Steady-state algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Damped Newton on the stage balances (fast).
    Newton,
    /// Start-up dynamics from empty stages, row by row (separation-factor
    /// model); reports the rows a cascade takes to line out.
    Rows,
    /// Start-up dynamics from empty stages by implicit time steps, finished
    /// by Newton once near (mass-action and log-linear models): an
    /// independent path to the steady state.
    StartUp,
}

/// Arguments of `sxforge simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Cascade model file (TOML; see README).
    file: PathBuf,
    /// Print the result as JSON (the result contract) instead of a table.
    #[arg(long)]
    json: bool,
    /// Write the stage profile to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    profile: Option<PathBuf>,
    /// Draw the stage profile (each component, log scale) to this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Algorithm.
    #[arg(long, value_enum, default_value_t = MethodArg::Newton)]
    method: MethodArg,
    /// Relative residual at which to stop (overrides `[solver] tolerance`).
    #[arg(long, allow_negative_numbers = true)]
    tolerance: Option<f64>,
    /// Row limit for `--method rows` (overrides `[solver] max_rows`).
    #[arg(long)]
    max_rows: Option<usize>,
}

/// Runs `sxforge simulate`.
pub fn run(args: &SimulateArgs) -> Exit {
    for p in [&args.profile, &args.plot].into_iter().flatten() {
        if let Err(e) = check_writable(p) {
            return fail(&e);
        }
    }
    // the command line's solver settings, checked before anything is read
    if let Err(e) = overrides(args, SolverOptions::builder()).build() {
        return fail(&option_errors(&e));
    }
    if let Some(code) = flowsheet(args) {
        return code;
    }
    let mut cascade = match sxforge::model::load::load_file(&args.file) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // the file's settings with the command line's over them: no rebuild
    let opts = overrides(args, cascade.solver_options().to_builder()).build();
    if let Err(e) = opts.and_then(|o| cascade.set_solver_options(o)) {
        return fail(&option_errors(&e));
    }
    let opts = *cascade.solver_options();
    let sol = match args.method {
        MethodArg::Newton => sxforge::Solver::new().solve(&cascade),
        MethodArg::Rows => {
            let max_rows = match args.max_rows {
                Some(_) => opts.max_rows,
                None => sxforge::solver::rows::default_max_rows(&cascade),
            };
            match sxforge::solver::rows::solve_rows(&cascade, opts.tolerance, max_rows) {
                Some(s) => s,
                None => {
                    return fail(&format!(
                        "{}: --method rows needs the separation-factor model (this model is {})",
                        args.file.display(),
                        cascade.spec().chemistry.name()
                    ));
                }
            }
        }
        MethodArg::StartUp => match sxforge::Solver::new().start_up(&cascade) {
            Some(s) => s,
            None => {
                return fail(&format!(
                    "{}: --method start-up needs the mass-action or log-linear model (this \
                     model is {}; for the separation-factor model, --method rows)",
                    args.file.display(),
                    cascade.spec().chemistry.name()
                ));
            }
        },
    };
    let cost = match sxforge::cost::file::for_simulate(&args.file, &cascade, &sol) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let rep = sxforge::report::CascadeReport::new(&cascade, &sol);
    let v = with_cost_json(rep.to_json(), cost.as_ref());
    if sol.converged() && has_null(&v) {
        // NaN and inf serialise as null: never a wrong number on exit 0
        return report(
            Exit::NotSolved,
            &format!(
                "{}: the solve produced non-finite values (magnitudes beyond floating point); \
                 rescale the model's amounts and flows",
                args.file.display()
            ),
        );
    }
    if args.json {
        out(&(serde_json::to_string_pretty(&v).expect("JSON values serialise") + "\n"));
    } else {
        out(&with_cost_text(rep.to_text(), cost.as_ref()));
    }
    if let Some(p) = &args.profile {
        if let Err(e) = rep.write_profile_csv(p) {
            return fail(&e);
        }
    }
    if let Some(p) = &args.plot {
        if let Err(e) = sxforge::report::plot::profile_svg(&cascade, &sol, p) {
            return fail(&e);
        }
    }
    if sol.converged() {
        Exit::Ok
    } else {
        let code = report(
            Exit::NotSolved,
            &format!(
                "{}: the solve {} (relative residual {:.3e} at stage {}, {})",
                args.file.display(),
                sol.status.describe(),
                sol.residual,
                sol.worst.0 + 1,
                sol.worst_quantity(&cascade)
            ),
        );
        if let Some(h) = sxforge::model::rigorous::flow_split_hint(&cascade) {
            hint(&h);
        }
        code
    }
}

/// `sxforge simulate` on a flowsheet file: `None` if the file is not a
/// flowsheet (no `[[unit]]`, or unreadable: the cascade path reports that),
/// else the exit status.
fn flowsheet(args: &SimulateArgs) -> Option<Exit> {
    let path = args.file.as_path();
    let src = sxforge::input::read_source(path).ok()?;
    if !sxforge::flowsheet::is_flowsheet(&src) {
        return None;
    }
    let mut fs = match sxforge::flowsheet::load::parse_str(&src, Some(path.to_path_buf())) {
        Ok(f) => f,
        Err(e) => return Some(fail(&e)),
    };
    if args.method != MethodArg::Newton {
        return Some(fail(&format!(
            "{}: --method {}: a flowsheet is solved by Newton only (--method rows and \
             start-up take a single cascade)",
            path.display(),
            args.method
                .to_possible_value()
                .map_or_else(String::new, |v| v.get_name().to_string())
        )));
    }
    if let Some(t) = args.tolerance {
        // checked with the other options before the file was read
        fs.tolerance = t;
        for u in &mut fs.units {
            u.spec.solver.tolerance = t;
        }
    }
    let res = match sxforge::flowsheet::solve::solve(&fs) {
        Ok(r) => r,
        Err(e) => {
            let e = sxforge::flowsheet::load::locate(&fs, e, &src, Some(path.to_path_buf()));
            return Some(fail(&e));
        }
    };
    // the cost block of a flowsheet with a [cost] table (docs/cost.md)
    let cost = match sxforge::cost::file::for_flowsheet(path, &src, &fs, &res) {
        Ok(c) => c,
        Err(e) => return Some(fail(&e)),
    };
    if args.json {
        let v = with_cost_json(fs_report::to_json(&fs, &res), cost.as_ref());
        out(&(serde_json::to_string_pretty(&v).expect("JSON values serialise") + "\n"));
    } else {
        out(&with_cost_text(
            fs_report::to_text(&fs, &res),
            cost.as_ref(),
        ));
    }
    if let Some(p) = &args.profile {
        if let Err(e) = fs_report::write_profiles(&fs, &res, p) {
            return Some(fail(&e));
        }
    }
    if let Some(p) = &args.plot {
        if let Err(source) = std::fs::write(p, fs_report::svg(&fs, &res)) {
            return Some(fail(&format!("{}: {source}", p.display())));
        }
    }
    Some(if res.converged {
        Exit::Ok
    } else {
        report(
            Exit::NotSolved,
            &format!(
                "{}: {}",
                path.display(),
                res.message.as_deref().unwrap_or("did not converge")
            ),
        )
    })
}

/// `--tolerance` and `--max-rows` over `builder`.
fn overrides(args: &SimulateArgs, mut builder: SolverOptionsBuilder) -> SolverOptionsBuilder {
    if let Some(t) = args.tolerance {
        builder = builder.tolerance(t);
    }
    if let Some(r) = args.max_rows {
        builder = builder.max_rows(r);
    }
    builder
}

/// Solver-setting problems as the command line wrote them
/// (`--tolerance = nan: expected ...`), one per line.
fn option_errors(e: &InputErrors) -> String {
    e.iter()
        .map(|e| {
            let flag = e.key.trim_start_matches("solver.").replace('_', "-");
            let value = e.value.as_deref().unwrap_or("");
            format!("--{flag} = {value}: {}", e.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a JSON report carries a null (a NaN or infinite number).
fn has_null(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Array(a) => a.iter().any(has_null),
        serde_json::Value::Object(o) => o.values().any(has_null),
        _ => false,
    }
}
