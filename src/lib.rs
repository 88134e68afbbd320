//! sxforge: countercurrent solvent-extraction cascades for rare-earth separation.

pub mod capacity;
