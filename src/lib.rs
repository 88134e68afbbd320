//! sxforge: countercurrent solvent-extraction cascades for rare-earth separation.

#![warn(missing_docs)]

pub mod capacity;
