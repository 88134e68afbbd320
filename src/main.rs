//! The `sxforge` command-line tool.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Countercurrent solvent-extraction cascades for rare-earth separation.
#[derive(Debug, Parser)]
#[command(name = "sxforge", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Size allied refining capacity with a linear program.
    Plan(sxforge::capacity::cli::PlanArgs),
    /// Design a binary split: Xu's shortcut, verified by simulation.
    Design(sxforge::design::cli::DesignArgs),
    /// Cheapest stage counts and flows under purity/recovery constraints.
    Optimize(sxforge::design::cli::OptimizeArgs),
    /// Parallel parameter sweep (grid or Latin hypercube) to CSV.
    Sweep(sxforge::design::cli::SweepArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Plan(args) => sxforge::capacity::cli::run(args),
        Command::Design(args) => sxforge::design::cli::run_design(args),
        Command::Optimize(args) => sxforge::design::cli::run_optimize(args),
        Command::Sweep(args) => sxforge::design::cli::run_sweep(args),
    };
    ExitCode::from(code as u8)
}
