//! Allied refining-capacity planning: a linear program (good_lp) that sizes
//! separation capacity to meet element demand at minimum cost.
//!
//! An alliance of regions buys ore or concentrate from [`Source`]s, separates
//! it in existing or new [`Refinery`] capacity, ships the oxides to the
//! regions that demand them, and may import from outside at a price, within
//! policy limits. Rare earths come out of the ground together: every tonne of
//! ore carries each element in the ratio of its assay, so the plan must also
//! sell, store or dispose of the La and Ce that Nd and Dy production brings
//! with it. The solution tells what to build where, what it costs, and what
//! each constraint is worth at the margin (shadow prices).
//!
//! Data flows one way:
//!
//! ```text
//! TOML --load (schema, overrides, validate)--> Plan --lp::build--> Lp
//!      --good_lp backend--> PlanSolution (+ duals) --report--> text | JSON | CSV
//! ```
//!
//! ```
//! use sxforge::capacity::{plan_from_str, solve, Backend};
//! let plan = plan_from_str(r#"
//!     elements = ["Nd"]
//!     [[region]]
//!     name = "A"
//!     [[source]]
//!     name = "mine"
//!     region = "A"
//!     capacity = 1000
//!     cost = 100
//!     assay = { Nd = 0.5 }
//!     [[refinery]]
//!     name = "plant"
//!     region = "A"
//!     existing = 1000
//!     opex = 100
//!     recovery = 1.0
//!     [[demand]]
//!     region = "A"
//!     element = "Nd"
//!     amount = 100
//! "#).unwrap();
//! let outcome = solve(&plan, Backend::Auto);
//! let sol = outcome.solution().unwrap();
//! // 200 t of ore at 100 + 100 per tonne.
//! assert!((sol.objective - 40_000.0).abs() < 1e-4);
//! // One more tonne of Nd needs 2 t of ore: 400 per tonne.
//! assert!((sol.demand_price(0).unwrap() - 400.0).abs() < 1e-4);
//! ```

pub mod error;
pub(crate) mod exact;
pub mod horizon;
pub mod horizon_plot;
pub mod horizon_report;
pub mod load;
pub(crate) mod lp;
pub mod overrides;
pub mod plan;
pub(crate) mod process;
pub mod report;
pub mod schema;
pub mod solve;
pub(crate) mod validate;

pub use error::{InputIssue, PlanError};
pub use load::{plan_from_str, PlanFile, Scenario};
pub use plan::{crf, Backend, Demand, Import, Plan, Policy, Refinery, Region, Source, Surplus};
pub use solve::{diagnose, solve, Binding, Costs, Diagnosis, DualSource, Outcome, PlanSolution};
