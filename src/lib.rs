//! sxforge: countercurrent solvent-extraction cascades for rare-earth
//! separation.
//!
//! **Simulate path** (one cascade): a TOML file is read by [`input`] (size
//! limit, located errors, the key locator) and [`model::load`] (serde
//! schema, each equilibrium model's key table in [`chemistry`]) into a
//! [`CascadeSpec`], checked by [`CascadeSpec::validate`] into a [`Cascade`]
//! (every problem reported); [`Solver::solve`] ([`solver`], with the
//! [`chemistry::Equilibrium`] kernels and [`solver::SolverOptions`]) gives a
//! [`Solution`] with a [`Status`]; [`report::CascadeReport`] computes the
//! result once and renders it as text, JSON or CSV. [`flowsheet`] links
//! cascades; [`design`] ([`design::shortcut_design`], optimiser, sweeps) and
//! [`cost`] call the same solve many times.
//!
//! **Plan path** (refining capacity): [`capacity`] reads a plan file (the
//! same located [`InputError`]s), builds a linear program with good_lp, and
//! computes one typed report per command (`capacity::report::PlanReport`,
//! `capacity::horizon_report::HorizonReport`) rendered as text, JSON or CSV;
//! [`cost`] turns solved cascades into the planner's processes.
//!
//! Errors are [`Error`] / [`InputError`] (bad input, exit 1 in the CLI); a
//! solve that does not converge is a [`Status`], not an error.
#![warn(missing_docs)]

#[doc(hidden)]
pub mod bench_support;
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
pub mod rng;
pub mod solver;

pub use error::{Error, InputError, Result};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use model::{Cascade, CascadeSpec};
pub use solver::{Solution, Solver, Status};
