//! Side draws: a third (fourth, ...) outlet withdrawn from one stage.
//!
//! A draw takes a fixed RE amount `D` (separation-factor model) out of the
//! aqueous or organic phase leaving stage `j`, in proportion to that
//! phase's composition; the rest of the phase continues as before. For the
//! separation-factor model the stage flows are known before the solve, so
//! the draw is a constant fraction `phi = D / flow` of the phase and the
//! stream passed on is `(1 - phi)` times the stage's outflow:
//!
//! - organic draw at stage `j`: the organic RE flow of every later stage
//!   (`j+1..N`) is reduced by `D`; the aqueous flows are unchanged;
//! - aqueous draw at stage `j`: the aqueous RE flow of every stage the
//!   aqueous reaches afterwards (`j-1` down to the raffinate, or the strip
//!   liquor) is reduced by `D`; the organic flows are unchanged.

use super::{Layout, Phase};
use crate::error::InputError;
use crate::model::fmt_num;

/// One side draw, as read from `[[draw]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Name (the outlet is reported under this name).
    pub name: String,
    /// 0-based stage it leaves.
    pub stage: usize,
    /// Phase it is withdrawn from.
    pub phase: Phase,
    /// RE amount withdrawn per unit time (separation-factor model).
    pub amount: f64,
}

/// Fraction of each stage's aqueous and organic outflow that continues
/// (to the next stage or to the stage's regular outlet) after the draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// Aqueous fraction passed on, per stage (1 without a draw).
    pub aqueous: Vec<f64>,
    /// Organic fraction passed on, per stage (1 without a draw).
    pub organic: Vec<f64>,
}

impl Pass {
    /// Fraction of `phase` leaving 0-based stage `j` that continues.
    pub fn of(&self, phase: Phase, j: usize) -> f64 {
        match phase {
            Phase::Aqueous => self.aqueous[j],
            Phase::Organic => self.organic[j],
        }
    }
}

/// Applies `draws` to the separation-factor stage flows (`organic` RE
/// outflows and `aqueous` RE outflows implied by the total balance, both
/// before any draw, modified in place) and returns the pass fractions.
/// `prefix` is the key of the draw tables in error messages (`draw`).
pub fn apply_amount_draws(
    layout: &Layout,
    draws: &[Draw],
    organic: &mut [f64],
    aqueous: &mut [f64],
    prefix: &str,
) -> Result<Pass, InputError> {
    let n = layout.stages();
    let mut seen: Vec<&str> = Vec::new();
    for d in draws {
        if seen.contains(&d.name.as_str()) {
            return Err(InputError::new(
                format!("{prefix}.name"),
                Some(format!("\"{}\"", d.name)),
                "two draws have this name: expected unique names",
            ));
        }
        seen.push(&d.name);
        if super::StreamKind::from_name(&d.name).is_some() || d.name.is_empty() {
            return Err(InputError::new(
                format!("{prefix}.name"),
                Some(format!("\"{}\"", d.name)),
                "expected a name other than the cascade's own outlets (raffinate, loaded_organic, strip_liquor, stripped_organic)",
            ));
        }
        if d.stage >= n {
            return Err(InputError::new(
                format!("{prefix}.stage"),
                Some((d.stage + 1).to_string()),
                format!(
                    "draw `{}`: expected a stage between 1 and {n} (the cascade has {n} stages)",
                    d.name
                ),
            ));
        }
        if !(d.amount.is_finite() && d.amount >= 0.0) {
            return Err(InputError::new(
                format!("{prefix}.amount"),
                Some(fmt_num(d.amount)),
                format!("draw `{}`: expected a non-negative RE amount", d.name),
            ));
        }
    }
    // organic draws: every later stage carries D less organic RE
    for d in draws.iter().filter(|d| d.phase == Phase::Organic) {
        for o in organic.iter_mut().skip(d.stage + 1) {
            *o -= d.amount;
        }
    }
    // aqueous totals from the top, with the drawn amounts taken out of the
    // stream passed on
    let mut drawn_aq = vec![0.0; n];
    let mut drawn_org = vec![0.0; n];
    for d in draws {
        match d.phase {
            Phase::Aqueous => drawn_aq[d.stage] += d.amount,
            Phase::Organic => drawn_org[d.stage] += d.amount,
        }
    }
    for j in (0..n).rev() {
        // aqueous draws above j reduce what reaches j; an aqueous draw
        // changes no balance of its own stage
        if layout.aqueous_link(j) {
            let mut k = j + 1;
            loop {
                aqueous[j] -= drawn_aq[k];
                if !layout.aqueous_link(k) {
                    break;
                }
                k += 1;
            }
        }
    }
    let mut pass = Pass {
        aqueous: vec![1.0; n],
        organic: vec![1.0; n],
    };
    for d in draws {
        let (flows, drawn, out) = match d.phase {
            Phase::Aqueous => (&*aqueous, &drawn_aq, &mut pass.aqueous),
            Phase::Organic => (&*organic, &drawn_org, &mut pass.organic),
        };
        let flow = flows[d.stage];
        if drawn[d.stage] >= flow {
            return Err(InputError::new(
                format!("{prefix}.amount"),
                Some(fmt_num(d.amount)),
                format!(
                    "draw `{}`: larger than the {} RE flow leaving stage {} ({}); expected less",
                    d.name,
                    d.phase.name(),
                    d.stage + 1,
                    fmt_num(flow)
                ),
            ));
        }
        out[d.stage] = 1.0 - drawn[d.stage] / flow;
    }
    for (j, (&a, &o)) in aqueous.iter().zip(organic.iter()).enumerate() {
        if a <= 0.0 || o <= 0.0 {
            return Err(InputError::new(
                format!("{prefix}.amount"),
                None,
                format!(
                    "the draws leave stage {} with no {} RE flow ({}); expected smaller draws",
                    j + 1,
                    if a <= 0.0 { "aqueous" } else { "organic" },
                    fmt_num(a.min(o))
                ),
            ));
        }
    }
    Ok(pass)
}
