//! `sxforge plan`: command-line front end of the capacity planner.

use std::path::PathBuf;

/// Arguments of `sxforge plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Plan model (TOML).
    pub file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `sxforge plan` and returns the process exit code.
pub fn run(args: &PlanArgs) -> i32 {
    eprintln!(
        "sxforge plan: not implemented yet ({})",
        args.file.display()
    );
    1
}
