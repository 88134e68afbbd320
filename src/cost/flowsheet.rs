//! Cost of a flowsheet: every solved unit becomes a [`SolvedUnit`] and the
//! whole plant is priced by one [`evaluate`].
//!
//! What changes from a single cascade ([`unit_from_cascade`]):
//!
//! - **Feed**: only what enters the plant from outside (a `[[stream]]`,
//!   directly or through splits) counts as a unit's feed; a unit fed by
//!   another unit's outlet has no feed of its own. The plant's throughput
//!   scales every unit by the same factor.
//! - **Products**: the flowsheet's products (outlets no inlet consumes,
//!   including split outlets, attributed to the unit that made them).
//!   Intermediate streams are not products.
//! - **Effluent** (organic entrainment losses): only the aqueous leaving
//!   the plant (the share of a unit's aqueous outlet that reaches a product
//!   through splits).
//! - **Linked extraction**: a stoichiometric unit without strip section
//!   whose loaded organic goes on to another unit is not stripped: its
//!   strip acid (3 x RE in the loaded organic) is not bought and its strip
//!   liquor is not an effluent; the next unit, fed organic at stage n+1,
//!   needs no saponification base for that RE (its base counts only the
//!   fresh organic loaded in its extraction section).
//! - **Rigorous units**: scrub and strip solutions that come from another
//!   unit (recycles) bring their acid with them; only acid from outside the
//!   plant is bought.
//! - Separation-factor units fed aqueous by another unit take the feed
//!   volume as RE over `feed_concentration`, like a cascade's feed
//!   (ASSUMPTION: the intermediate liquor is adjusted to the feed strength).

// `InputError` is the crate's error type (128 bytes); see design/mod.rs.
#![allow(clippy::result_large_err)]

use super::{evaluate, unit_from_cascade, CostError, CostParams, CostReport, SolvedUnit};
use super::{UnitOutlet, PROTONS_PER_RE};
use crate::cascade::{Phase, StreamKind};
use crate::error::InputError;
use crate::flowsheet::solve::FlowsheetResult;
use crate::flowsheet::{producer, Producer};
use crate::flowsheet::{Flowsheet, Port};
use crate::model::StageFlows;

/// Splits nest at most this deep (the loader rejects cycles of splits).
const MAX_DEPTH: usize = 64;

/// Share of stream `name` that leaves the plant: 1 for a product, 0 for a
/// stream a unit consumes, through splits the sum of the product shares.
fn leaving_share(fs: &Flowsheet, res: &FlowsheetResult, name: &str, depth: usize) -> f64 {
    if res.products.iter().any(|p| p == name) {
        return 1.0;
    }
    if depth >= MAX_DEPTH {
        return 0.0;
    }
    match fs.splits.iter().find(|s| s.from == name) {
        Some(sp) => sp
            .fractions
            .iter()
            .map(|(k, f)| f * leaving_share(fs, res, &format!("{}.{k}", sp.name), depth + 1))
            .sum(),
        None => 0.0,
    }
}

/// Whether a stream comes from outside the plant (a `[[stream]]`, directly
/// or through splits).
fn is_external(fs: &Flowsheet, name: &str, depth: usize) -> bool {
    match producer(fs, name) {
        Some(Producer::External(_)) => true,
        Some(Producer::Split(i)) if depth < MAX_DEPTH => {
            is_external(fs, &fs.splits[i].from, depth + 1)
        }
        _ => false,
    }
}

/// The unit that makes stream `name` (through splits), by index.
fn maker(fs: &Flowsheet, name: &str, depth: usize) -> Option<usize> {
    if let Some(i) = fs.units.iter().position(|u| {
        name.strip_prefix(&u.name)
            .is_some_and(|r| r.starts_with('.'))
    }) {
        return Some(i);
    }
    let sp = fs.splits.iter().find(|s| {
        name.strip_prefix(&s.name)
            .is_some_and(|r| r.starts_with('.'))
    })?;
    (depth < MAX_DEPTH)
        .then(|| maker(fs, &sp.from, depth + 1))
        .flatten()
}

/// Turns every unit of a solved flowsheet into a [`SolvedUnit`] (see the
/// module documentation). Errors if a unit was not solved.
pub fn units_from_flowsheet(
    fs: &Flowsheet,
    res: &FlowsheetResult,
    p: &CostParams,
) -> Result<Vec<SolvedUnit>, CostError> {
    let k = fs.components.len();
    let mut out = Vec::with_capacity(fs.units.len());
    for (i, (fu, r)) in fs.units.iter().zip(&res.units).enumerate() {
        let Some(r) = r else {
            return Err(InputError::new(
                "",
                None,
                format!("unit `{}` was not solved: no cost", fu.name),
            ));
        };
        let (c, sol) = (&r.cascade, &r.solution);
        let mut u = unit_from_cascade(c, sol, p)?;
        u.name = fu.name.clone();
        let stoichiometric = crate::report::reagents::reagents(c, sol).is_none();

        // feed from outside; acid of scrub/strip solutions made inside
        let (scrub_acid, strip_acid) = match c.spec().chemistry.model().streams() {
            Some(st) => (st.scrub_acid, st.strip_acid),
            None => (None, None),
        };
        let mut feed = vec![0.0; k];
        let mut recycled_acid = 0.0;
        for (port, name, v) in &r.inlets {
            if is_external(fs, name, 0) {
                for (a, b) in feed.iter_mut().zip(&v.amount) {
                    *a += b;
                }
            } else if !stoichiometric {
                let acid = match port {
                    Port::Scrub => scrub_acid,
                    Port::Strip => strip_acid,
                    _ => None,
                };
                recycled_acid += v.flow.unwrap_or(0.0) * acid.unwrap_or(0.0);
            }
        }
        u.feed = feed;
        if recycled_acid > 0.0 {
            u.acid = (u.acid - recycled_acid).max(0.0);
            u.reagent_basis.push_str(&format!(
                "; less {recycled_acid:.4e} mol H+/h of acid that comes with scrub/strip solutions made inside the plant"
            ));
        }

        // products made by this unit (directly or through splits)
        u.outlets = res
            .products
            .iter()
            .filter(|name| maker(fs, name, 0) == Some(i))
            .map(|name| UnitOutlet {
                name: name
                    .strip_prefix(&format!("{}.", fu.name))
                    .unwrap_or(name)
                    .to_string(),
                amount: res.streams[name].amount.clone(),
            })
            .collect();

        // aqueous leaving the plant; linked extraction
        let share =
            |kind: StreamKind| leaving_share(fs, res, &format!("{}.{}", fu.name, kind.name()), 0);
        let l = c.layout();
        let x = p.reagent_excess * PROTONS_PER_RE;
        let to_strip = if l.extraction + l.scrub > 0 {
            sol.organic.row(l.extraction + l.scrub - 1).sum()
        } else {
            0.0
        };
        let linked = if stoichiometric && l.strip == 0 {
            1.0 - share(StreamKind::LoadedOrganic)
        } else {
            0.0
        };
        if linked > 0.0 {
            u.acid = (u.acid - linked * x * to_strip).max(0.0);
            u.reagent_basis.push_str(&format!(
                "; linked: {:.0} % of the loaded organic ({to_strip:.4e} mol/h RE) goes on to another unit unstripped, its strip acid not bought",
                100.0 * linked
            ));
        }
        match c.flows() {
            StageFlows::Volumes { aqueous, .. } => {
                u.aqueous_effluent = sol
                    .streams(c)
                    .iter()
                    .filter(|s| s.phase == Phase::Aqueous)
                    .map(|s| aqueous[s.stage] * share(s.kind))
                    .sum();
            }
            StageFlows::Amounts { .. } => {
                let raffinate = u.stages.first().map_or(0.0, |s| s.aqueous);
                let strip_liquor = x * to_strip / p.scrub_acid_concentration;
                u.aqueous_effluent =
                    share(StreamKind::Raffinate) * raffinate + (1.0 - linked) * strip_liquor;
            }
        }
        out.push(u);
    }
    Ok(out)
}

/// Costs a solved flowsheet with the parameters of its `[cost]` table.
pub fn cost_flowsheet(
    fs: &Flowsheet,
    res: &FlowsheetResult,
    p: &CostParams,
) -> Result<CostReport, CostError> {
    evaluate(&units_from_flowsheet(fs, res, p)?, p)
}
