//! The `sxforge` command-line tool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Countercurrent solvent-extraction cascades for rare-earth separation.
#[derive(Debug, Parser)]
#[command(name = "sxforge", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Solve a cascade model (TOML) for its steady state and report the
    /// products' purities and recoveries.
    Simulate(SimulateArgs),
    /// Size allied refining capacity with a linear program.
    Plan(sxforge::capacity::cli::PlanArgs),
    /// Design a binary split: Xu's shortcut, verified by simulation.
    Design(sxforge::design::cli::DesignArgs),
    /// Cheapest stage counts and flows under purity/recovery constraints.
    Optimize(sxforge::design::cli::OptimizeArgs),
    /// Parallel parameter sweep (grid or Latin hypercube) to CSV.
    Sweep(sxforge::design::cli::SweepArgs),
}

/// Steady-state algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    /// Damped Newton on the stage balances (fast).
    Newton,
    /// Start-up dynamics from empty stages, row by row (separation-factor
    /// model); reports the rows a cascade takes to line out.
    Rows,
}

#[derive(Debug, clap::Args)]
struct SimulateArgs {
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
    #[arg(long)]
    tolerance: Option<f64>,
    /// Row limit for `--method rows` (overrides `[solver] max_rows`).
    #[arg(long)]
    max_rows: Option<usize>,
}

fn simulate(args: &SimulateArgs) -> u8 {
    if let Some(code) = sxforge::flowsheet::report::simulate_file(
        &args.file,
        args.json,
        args.profile.as_deref(),
        args.plot.as_deref(),
        args.tolerance,
    ) {
        return code;
    }
    let cascade = match sxforge::model::load::load_file(&args.file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return e.exit_code();
        }
    };
    let opts = cascade.solver_options();
    let tol = match args.tolerance {
        Some(t) if !(t.is_finite() && t > 0.0 && t < 1.0) => {
            eprintln!("error: --tolerance = {t}: expected a relative tolerance in (0, 1)");
            return 1;
        }
        Some(t) => t,
        None => opts.tolerance,
    };
    let mut spec = cascade.to_spec();
    spec.solver.tolerance = tol;
    let cascade = match spec.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let sol = match args.method {
        MethodArg::Newton => sxforge::Solver::new().solve(&cascade),
        MethodArg::Rows => {
            let max_rows = args.max_rows.unwrap_or(opts.max_rows);
            match sxforge::solver::rows::solve_rows(&cascade, tol, max_rows) {
                Some(s) => s,
                None => {
                    eprintln!(
                        "error: {}: --method rows needs the separation-factor model (this model is {})",
                        args.file.display(),
                        cascade.spec().chemistry.name()
                    );
                    return 1;
                }
            }
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&sxforge::report::to_json(&cascade, &sol))
                .expect("JSON values serialise")
        );
    } else {
        print!("{}", sxforge::report::to_text(&cascade, &sol));
    }
    if let Some(p) = &args.profile {
        if let Err(e) = sxforge::report::write_profile_csv(&cascade, &sol, p) {
            eprintln!("error: {e}");
            return 1;
        }
    }
    if let Some(p) = &args.plot {
        if let Err(e) = sxforge::design::plot::profile_svg(&cascade, &sol, p) {
            eprintln!("error: {e}");
            return 1;
        }
    }
    if sol.converged() {
        0
    } else {
        eprintln!(
            "error: {}: the solve {} (relative residual {:.3e} at stage {})",
            args.file.display(),
            sol.status.describe(),
            sol.residual,
            sol.worst.0 + 1
        );
        if let Some(hint) = sxforge::model::rigorous::flow_split_hint(&cascade) {
            eprintln!("hint: {hint}");
        }
        2
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Simulate(args) => simulate(args),
        Command::Plan(args) => sxforge::capacity::cli::run(args) as u8,
        Command::Design(args) => sxforge::design::cli::run_design(args) as u8,
        Command::Optimize(args) => sxforge::design::cli::run_optimize(args) as u8,
        Command::Sweep(args) => sxforge::design::cli::run_sweep(args) as u8,
    };
    ExitCode::from(code)
}
