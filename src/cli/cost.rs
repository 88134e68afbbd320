//! `sxforge cost FILE`: solve a costed cascade, flowsheet or cost file and
//! report the cost per kg of each product oxide.

use std::path::PathBuf;

use sxforge::cost::file::{run_path, RunError};
use sxforge::cost::report as cost_report;

use super::{fail, out, report, Exit};

/// Arguments of `sxforge cost`.
#[derive(Debug, clap::Args)]
pub struct CostArgs {
    /// Cascade or flowsheet model with a `[cost]` table, or a cost file
    /// (`model = "...toml"` plus `[cost]`; see docs/cost.md).
    pub file: PathBuf,
    /// Print the cost report as JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the cost report as CSV (section,item,value,unit,how).
    #[arg(long)]
    pub csv: bool,
}

/// Runs `sxforge cost`: 0 costed, 1 bad input, 2 the solve did not converge.
pub fn run(args: &CostArgs) -> Exit {
    let run = match run_path(&args.file) {
        Ok(r) => r,
        Err(RunError::Input(e)) => return fail(&e),
        Err(RunError::NotSolved(m)) => return report(Exit::NotSolved, &m),
    };
    let r = &run.report;
    if args.json {
        out(&(serde_json::to_string_pretty(&cost_report::to_json(r))
            .expect("JSON values serialise")
            + "\n"));
    } else if args.csv {
        out(&cost_report::to_csv(r));
    } else {
        out(&format!("{}\n{}", run.name, cost_report::to_text(r)));
    }
    Exit::Ok
}
