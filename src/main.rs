//! The `sxforge` command-line tool. Everything command-line (clap, exit
//! codes, progress bars, printing) lives in the binary's `cli` modules; the
//! library has no CLI dependency.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cli::Exit;

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
    Simulate(cli::simulate::SimulateArgs),
    /// Size allied refining capacity with a linear program.
    Plan(cli::plan::PlanArgs),
    /// Design a binary split: Xu's shortcut, verified by simulation.
    Design(cli::design::DesignArgs),
    /// Cheapest stage counts and flows under purity/recovery constraints.
    Optimize(cli::design::OptimizeArgs),
    /// Parallel parameter sweep (grid or Latin hypercube) to CSV.
    Sweep(cli::design::SweepArgs),
    /// Cost per kg of each product oxide from a model's `[cost]` table.
    Cost(cli::cost::CostArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // help and version go to stdout with status 0; a usage error is
            // bad input (status 1), not "did not converge" (clap's 2)
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.render().to_string();
            // the message up to the first blank line, on one line
            let first: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            cli::fail(&first.join(" "));
            for l in text.lines().skip(1).map(str::trim) {
                if l.starts_with("Usage:") {
                    cli::hint(&l);
                }
            }
            return ExitCode::from(Exit::BadInput as u8);
        }
    };
    // A panic is a bug; it still ends as one `error:` line and status 2
    // (the run did not produce a result), never as a backtrace and 101.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        cli::report(
            Exit::NotSolved,
            &format!("internal error (a bug; please report it): {msg}{at}"),
        );
    }));
    let code = std::panic::catch_unwind(|| match &cli.command {
        Command::Simulate(args) => cli::simulate::run(args),
        Command::Plan(args) => cli::plan::run(args),
        Command::Design(args) => cli::design::run_design(args),
        Command::Optimize(args) => cli::design::run_optimize(args),
        Command::Sweep(args) => cli::design::run_sweep(args),
        Command::Cost(args) => cli::cost::run(args),
    })
    .unwrap_or(Exit::NotSolved);
    ExitCode::from(code as u8)
}
