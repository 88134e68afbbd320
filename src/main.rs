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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Plan(args) => sxforge::capacity::cli::run(args),
    };
    ExitCode::from(code as u8)
}
