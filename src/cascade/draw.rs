//! Side draws: a third (fourth, ...) outlet withdrawn from one stage.
//!
//! A draw takes a share of the aqueous or organic phase leaving stage `j`,
//! with that phase's composition; the rest of the phase continues as
//! before. The stage flows are known before the solve (RE flows for the
//! separation-factor model, volumes in L/h for the volumetric models), so
//! every draw is a constant fraction `phi` of the phase and the stream
//! passed on is `(1 - phi)` times the stage's outflow. Its size is given
//! as one of
//!
//! - `amount`: RE withdrawn per unit time (separation-factor model),
//! - `flow`: L/h withdrawn (volumetric models),
//! - `fraction`: the share `phi` itself, in `[0, 1)` (any model).
//!
//! What a draw takes no later stage receives:
//!
//! - organic draw at stage `j`: the organic flow of every later stage
//!   (`j+1..N`) is reduced by the drawn flow; the aqueous flows are
//!   unchanged;
//! - aqueous draw at stage `j`: the aqueous flow of every stage the aqueous
//!   reaches afterwards (`j-1` down to the raffinate, or the strip liquor)
//!   is reduced by the drawn flow; the organic flows are unchanged.
//!
//! Draws are applied organic ones in stage order and aqueous ones from the
//! top of each aqueous circuit down, so a `fraction` is a share of what
//! actually leaves its stage after the draws upstream of it.

use super::{Layout, Phase};
use crate::error::InputError;
use crate::input::fmt_num;

/// How much a draw withdraws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DrawSize {
    /// RE amount per unit time (`amount`; separation-factor model).
    Amount(f64),
    /// Volumetric flow, L/h (`flow`; volumetric models).
    Flow(f64),
    /// Share of the phase leaving the stage (`fraction`, in `[0, 1)`).
    Fraction(f64),
}

impl DrawSize {
    /// The key that gives this size in a `[[draw]]` table.
    pub fn key(self) -> &'static str {
        match self {
            DrawSize::Amount(_) => "amount",
            DrawSize::Flow(_) => "flow",
            DrawSize::Fraction(_) => "fraction",
        }
    }

    /// The number given.
    pub fn value(self) -> f64 {
        match self {
            DrawSize::Amount(v) | DrawSize::Flow(v) | DrawSize::Fraction(v) => v,
        }
    }
}

/// One side draw, as read from `[[draw]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Name (the outlet is reported under this name).
    pub name: String,
    /// 0-based stage it leaves.
    pub stage: usize,
    /// Phase it is withdrawn from.
    pub phase: Phase,
    /// How much it withdraws.
    pub size: DrawSize,
}

/// Fraction of each stage's aqueous and organic outflow that continues
/// (to the next stage or to the stage's regular outlet) after the draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// Aqueous fraction passed on, per stage (1 without a draw).
    pub aqueous: Vec<f64>,
    /// Organic fraction passed on, per stage (1 without a draw).
    pub organic: Vec<f64>,
    /// Share of its stage's phase outflow each draw withdraws, in the
    /// order of the draws.
    pub share: Vec<f64>,
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

/// Checks what can be checked of `draws` before the stage flows are known
/// (unique names that are not the cascade's own outlets, stage in range,
/// a size the model takes); on failure returns the index of the draw at
/// fault with the error. `prefix` is the key of the draw tables (`draw`).
pub fn check(
    n_stages: usize,
    volumetric: bool,
    draws: &[Draw],
    prefix: &str,
) -> Result<(), (usize, InputError)> {
    let n = n_stages;
    for (i, d) in draws.iter().enumerate() {
        let fail = |key: &str, value: Option<String>, msg: String| {
            Err((i, InputError::new(format!("{prefix}.{key}"), value, msg)))
        };
        if draws[..i].iter().any(|e| e.name == d.name) {
            return fail(
                "name",
                Some(format!("\"{}\"", d.name)),
                "two draws have this name: expected unique names".into(),
            );
        }
        if super::StreamKind::from_name(&d.name).is_some() || d.name.is_empty() {
            return fail(
                "name",
                Some(format!("\"{}\"", d.name)),
                "expected a name other than the cascade's own outlets (raffinate, loaded_organic, strip_liquor, stripped_organic)".into(),
            );
        }
        if d.stage >= n {
            return fail(
                "stage",
                Some((d.stage + 1).to_string()),
                format!(
                    "draw `{}`: expected a stage between 1 and {n} (the cascade has {n} stages)",
                    d.name
                ),
            );
        }
        let v = d.size.value();
        let key = d.size.key();
        match d.size {
            DrawSize::Amount(_) if volumetric => {
                return fail(
                    key,
                    Some(fmt_num(v)),
                    format!(
                        "draw `{}`: a volumetric model draws a `flow` (L/h) or a `fraction` of the phase, not an RE amount",
                        d.name
                    ),
                )
            }
            DrawSize::Flow(_) if !volumetric => {
                return fail(
                    key,
                    Some(fmt_num(v)),
                    format!(
                        "draw `{}`: the separation-factor model draws an RE `amount` or a `fraction` of the phase, not a flow in L/h",
                        d.name
                    ),
                )
            }
            DrawSize::Fraction(x) if !(x.is_finite() && (0.0..1.0).contains(&x)) => {
                return fail(
                    key,
                    Some(fmt_num(v)),
                    format!(
                        "draw `{}`: expected a share of the phase in [0, 1)",
                        d.name
                    ),
                )
            }
            _ if !(v.is_finite() && v >= 0.0) => {
                return fail(
                    key,
                    Some(fmt_num(v)),
                    format!("draw `{}`: expected a non-negative {key}", d.name),
                )
            }
            _ => {}
        }
    }
    Ok(())
}

/// Applies `draws` to the stage flows (`organic` and `aqueous` outflows of
/// every stage before any draw: RE flows for the separation-factor model,
/// L/h for the volumetric ones; modified in place) and returns the pass
/// fractions. `prefix` is the key of the draw tables in error messages
/// (`draw`).
pub fn apply(
    layout: &Layout,
    volumetric: bool,
    draws: &[Draw],
    organic: &mut [f64],
    aqueous: &mut [f64],
    prefix: &str,
) -> Result<Pass, InputError> {
    let n = layout.stages();
    check(n, volumetric, draws, prefix).map_err(|e| e.1)?;
    let mut drawn = vec![0.0; draws.len()];
    // organic draws in stage order: every later stage carries less
    let mut order: Vec<usize> = (0..draws.len())
        .filter(|&i| draws[i].phase == Phase::Organic)
        .collect();
    order.sort_by_key(|&i| draws[i].stage);
    for &i in &order {
        let d = &draws[i];
        let x = size_of(d, organic[d.stage]);
        drawn[i] = x;
        for o in organic.iter_mut().skip(d.stage + 1) {
            *o -= x;
        }
    }
    // aqueous draws from the top down: every stage the aqueous reaches
    // next carries less
    let mut order: Vec<usize> = (0..draws.len())
        .filter(|&i| draws[i].phase == Phase::Aqueous)
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(draws[i].stage));
    for &i in &order {
        let d = &draws[i];
        let x = size_of(d, aqueous[d.stage]);
        drawn[i] = x;
        let mut j = d.stage;
        while j > 0 && layout.aqueous_link(j - 1) {
            j -= 1;
            aqueous[j] -= x;
        }
    }
    let mut pass = Pass {
        aqueous: vec![1.0; n],
        organic: vec![1.0; n],
        share: vec![0.0; draws.len()],
    };
    for (i, d) in draws.iter().enumerate() {
        let flow = match d.phase {
            Phase::Aqueous => aqueous[d.stage],
            Phase::Organic => organic[d.stage],
        };
        let at_stage: f64 = draws
            .iter()
            .zip(&drawn)
            .filter(|(e, _)| e.phase == d.phase && e.stage == d.stage)
            .map(|(_, x)| x)
            .sum();
        if at_stage >= flow {
            return Err(InputError::new(
                format!("{prefix}.{}", d.size.key()),
                Some(fmt_num(d.size.value())),
                format!(
                    "draw `{}`: larger than the {} {} leaving stage {} ({}); expected less",
                    d.name,
                    d.phase.name(),
                    if volumetric { "flow (L/h)" } else { "RE flow" },
                    d.stage + 1,
                    fmt_num(flow)
                ),
            ));
        }
        pass.share[i] = drawn[i] / flow;
        let out = match d.phase {
            Phase::Aqueous => &mut pass.aqueous,
            Phase::Organic => &mut pass.organic,
        };
        out[d.stage] = 1.0 - at_stage / flow;
    }
    for (j, (&a, &o)) in aqueous.iter().zip(organic.iter()).enumerate() {
        let empty_aq = a <= 0.0;
        if empty_aq || o <= 0.0 {
            let key = draws.first().map_or("amount", |d| d.size.key());
            return Err(InputError::new(
                format!("{prefix}.{key}"),
                None,
                format!(
                    "the draws leave stage {} with no {} {} ({}); expected smaller draws",
                    j + 1,
                    if empty_aq { "aqueous" } else { "organic" },
                    if volumetric { "flow" } else { "RE flow" },
                    fmt_num(a.min(o))
                ),
            ));
        }
    }
    Ok(pass)
}

/// What a draw withdraws from a phase flowing `flow` out of its stage.
fn size_of(d: &Draw, flow: f64) -> f64 {
    match d.size {
        DrawSize::Amount(x) | DrawSize::Flow(x) => x,
        DrawSize::Fraction(f) => f * flow,
    }
}

/// Concentration in each stage's aqueous of a species that stays in the
/// aqueous phase (sulfate): `inflow[j]` enters stage `j` (mol per unit
/// time), the aqueous leaving stage `j` is `volume[j]`, and a share
/// `pass[j]` of it reaches the next stage of its circuit.
pub fn aqueous_passive(layout: &Layout, pass: &[f64], volume: &[f64], inflow: &[f64]) -> Vec<f64> {
    let n = layout.stages();
    let mut out = vec![0.0; n];
    let mut carried = 0.0;
    for j in (0..n).rev() {
        let from_above = if layout.aqueous_link(j) { carried } else { 0.0 };
        let amount = inflow[j] + from_above;
        out[j] = if volume[j] > 0.0 {
            amount / volume[j]
        } else {
            0.0
        };
        carried = pass[j] * amount;
    }
    out
}
