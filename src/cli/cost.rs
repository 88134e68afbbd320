//! `sxforge cost FILE`: solve a model with a `[cost]` table and report the
//! cost per kg of each product oxide.

use std::path::PathBuf;

use sxforge::cost::{file, report as cost_report};
use sxforge::Solver;

use super::{fail, out, report, Exit};

/// Arguments of `sxforge cost`.
#[derive(Debug, clap::Args)]
pub struct CostArgs {
    /// Cascade model with a `[cost]` table (TOML; see docs/cost.md).
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
    let m = match file::load(&args.file) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    if m.params.is_none() {
        return fail(&format!(
            "{}: cost: missing: a [cost] table (every key has a default: `[cost]` alone costs with the defaults of docs/cost.md)",
            args.file.display()
        ));
    }
    let sol = Solver::new().solve(&m.cascade);
    if !sol.converged() {
        return report(
            Exit::NotSolved,
            &format!(
                "{}: the solve {} (relative residual {:.3e} at stage {}); no cost for an unsolved design",
                args.file.display(),
                sol.status.describe(),
                sol.residual,
                sol.worst.0 + 1
            ),
        );
    }
    let r = match m.cost(&sol) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if args.json {
        out(&(serde_json::to_string_pretty(&cost_report::to_json(&r))
            .expect("JSON values serialise")
            + "\n"));
    } else if args.csv {
        out(&cost_report::to_csv(&r));
    } else {
        out(&format!(
            "{}\n{}",
            m.cascade.name(),
            cost_report::to_text(&r)
        ));
    }
    Exit::Ok
}
