//! `sxforge simulate FILE`: solve a cascade model and report it.

use std::path::PathBuf;

use clap::ValueEnum;
use sxforge::error::InputErrors;
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
    if let Some(code) = sxforge::flowsheet::report::simulate_file(
        &args.file,
        args.json,
        args.profile.as_deref(),
        args.plot.as_deref(),
        args.tolerance,
    ) {
        return match code {
            0 => Exit::Ok,
            1 => Exit::BadInput,
            _ => Exit::NotSolved,
        };
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
    };
    let cost = match sxforge::cost::file::for_simulate(&args.file, &cascade, &sol) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let rep = sxforge::report::CascadeReport::new(&cascade, &sol);
    let mut v = rep.to_json();
    if let Some(c) = &cost {
        v["cost"] = sxforge::cost::report::to_json(c);
    }
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
        out(&rep.to_text());
        if let Some(c) = &cost {
            out(&format!("\n{}", sxforge::cost::report::to_text(c)));
        }
    }
    if let Some(p) = &args.profile {
        if let Err(e) = rep.write_profile_csv(p) {
            return fail(&e);
        }
    }
    if let Some(p) = &args.plot {
        if let Err(e) = sxforge::design::plot::profile_svg(&cascade, &sol, p) {
            return fail(&e);
        }
    }
    if sol.converged() {
        Exit::Ok
    } else {
        let code = report(
            Exit::NotSolved,
            &format!(
                "{}: the solve {} (relative residual {:.3e} at stage {})",
                args.file.display(),
                sol.status.describe(),
                sol.residual,
                sol.worst.0 + 1
            ),
        );
        if let Some(h) = sxforge::model::rigorous::flow_split_hint(&cascade) {
            hint(&h);
        }
        code
    }
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
