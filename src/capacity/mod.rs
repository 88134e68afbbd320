//! Allied refining-capacity planning: a linear program (good_lp) that sizes
//! separation capacity to meet element demand at minimum cost.

pub mod cli;
