//! sxforge: countercurrent solvent-extraction cascades for rare-earth
//! separation.
//!
//! - [`input`]: reading input files, located errors, the TOML key locator.
//! - [`model`]: cascade models from TOML or code, checked into a [`model::Cascade`].
//! - [`chemistry`]: equilibrium models behind the [`chemistry::Equilibrium`] trait.
//! - [`solver`]: steady state by damped Newton on the block-tridiagonal stage
//!   balances; start-up dynamics ("rows").
//! - [`report`]: text, JSON and CSV results.
//! - [`design`]: Xu's shortcut design verified by simulation, optimisation
//!   of stages and flows, parallel parameter sweeps, SVG plots.
//! - [`flowsheet`]: linked cascades, splits and recycles solved as one plant.
//! - [`capacity`]: the allied refining-capacity planner (linear program).
//! - [`cost`]: cost per kg of product oxide from a simulated design.
#![warn(missing_docs)]

pub mod capacity;
pub mod cascade;
pub mod chemistry;
pub mod cost;
pub mod design;
pub mod error;
pub mod flowsheet;
pub mod input;
pub mod model;
pub mod report;
pub mod solver;

pub use error::{Error, InputError, Result};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use model::{Cascade, CascadeSpec};
pub use solver::{Solution, Solver, Status};
