//! Reagent accounting of a solved cascade: acid fed and consumed, base for
//! saponification, extractant circulated, per kg of each product, and the
//! pH profile.
//!
//! Available for the models that track acidity (`mass-action`,
//! `log-linear`); [`reagents`] returns `None` for the others.

use serde::Serialize;

use crate::cascade::{Phase, StreamKind};
use crate::model::{Cascade, StageFlows};
use crate::solver::Solution;

/// Reagent use of one product, per kg of the component it recovers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ProductReagents {
    /// The outlet stream that carries most of the component.
    pub stream: StreamKind,
    /// Component leaving in that stream, kg/h (element mass).
    pub kg_per_h: f64,
    /// Acid consumed by the whole cascade, mol H+ per kg.
    pub acid_mol_per_kg: f64,
    /// Base used for saponification, mol per kg.
    pub base_mol_per_kg: f64,
    /// Extractant circulated, mol HA per kg.
    pub extractant_mol_per_kg: f64,
    /// Organic circulated, L per kg.
    pub organic_l_per_kg: f64,
}

/// Reagent use of a solved cascade (flows in mol/h).
///
/// It serialises as the `reagents` object of the JSON result contract
/// (`per_kg` a map by component; the stage pH is in `stages`, not here).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Reagents {
    /// Acid protons fed with the feed, scrub and strip solutions, mol/h.
    pub acid_in: f64,
    /// Acid protons leaving in the aqueous outlets (raffinate, strip
    /// liquor; free H+ plus HSO4-), mol/h.
    pub acid_out: f64,
    /// `acid_in - acid_out`, mol/h (positive: consumed by neutralisation
    /// and by the metals' exchange).
    pub acid_consumed: f64,
    /// Base (NH3 or NaOH) used to saponify the fresh organic, mol/h.
    pub base: f64,
    /// `"NH3"`, `"NaOH"`, or `""` when the extractant is not saponified.
    pub base_name: &'static str,
    /// Extractant circulated with the fresh organic, mol HA/h.
    pub extractant_flow: f64,
    /// Fresh organic flow, L/h.
    pub organic_flow: f64,
    /// Per component (model order, by name): reagents per kg of its
    /// product, for the components that are fed and whose molar mass is
    /// known.
    #[serde(serialize_with = "super::named_map")]
    pub per_kg: Vec<(String, ProductReagents)>,
    /// pH of each stage's aqueous (`-log10 [H+]`).
    #[serde(skip)]
    pub ph: Vec<f64>,
}

/// pH (`-log10 [H+]`) of each stage, for solutions that track acidity.
pub fn stage_ph(solution: &Solution) -> Option<Vec<f64>> {
    // from the solve's own `ln [H+]` where it has one: finite where the
    // acidity itself underflows (seed 8188 of the mass-action robustness
    // generator: stages at pH 151 and beyond 308, whose `[H+]` reads 0)
    if let Some(sp) = &solution.species {
        return Some(
            sp.ln_acidity
                .iter()
                .map(|l| -l / std::f64::consts::LN_10)
                .collect(),
        );
    }
    solution
        .acidity
        .as_ref()
        .map(|h| h.iter().map(|v| -v.log10()).collect())
}

/// Reagent accounting of `solution`, a solve of `cascade`; `None` for
/// models that do not track acidity.
pub fn reagents(cascade: &Cascade, solution: &Solution) -> Option<Reagents> {
    let h = solution.acidity.as_ref()?;
    let StageFlows::Volumes { aqueous, organic } = cascade.flows() else {
        return None;
    };
    let sp = cascade.spec();
    let model = sp.chemistry.model();
    let (streams, extractant) = (model.streams()?, model.extractant()?);
    let (sapon, base_name) = model.base();
    let mm = &streams.molar_mass;
    let layout = cascade.layout();
    let mut acid_in = 0.0;
    if layout.feed_phase == Phase::Aqueous {
        acid_in += sp.feed.flow.unwrap_or(0.0) * streams.feed_acid;
    }
    if layout.scrub > 0 {
        acid_in += sp.flows.scrub.unwrap_or(0.0) * streams.scrub_acid.unwrap_or(0.0);
    }
    if layout.strip > 0 {
        acid_in += sp.flows.strip.unwrap_or(0.0) * streams.strip_acid.unwrap_or(0.0);
    }
    let sulfate = crate::solver::rigorous::sulfate_profile(cascade);
    let ka2 = model.bisulfate_ka2().unwrap_or(1.0);
    let outs = solution.streams(cascade);
    let mut acid_out = 0.0;
    for o in &outs {
        if o.phase == Phase::Aqueous {
            let j = o.stage;
            let hj = h[j];
            acid_out += aqueous[j] * (hj + sulfate[j] * hj / (hj + ka2));
        }
    }
    let o0 = organic[0];
    let base = sapon * extractant * o0;
    let extractant_flow = extractant * o0;
    let acid_consumed = acid_in - acid_out;
    let per_kg = (0..cascade.n_components())
        .filter_map(|i| {
            let m = mm.get(i).copied().flatten()?;
            let best = outs
                .iter()
                .max_by(|a, b| a.amount[i].total_cmp(&b.amount[i]))?;
            let kg = best.amount[i] * m / 1000.0;
            let p = ProductReagents {
                stream: best.kind,
                kg_per_h: kg,
                acid_mol_per_kg: acid_consumed / kg,
                base_mol_per_kg: base / kg,
                extractant_mol_per_kg: extractant_flow / kg,
                organic_l_per_kg: o0 / kg,
            };
            (kg > 0.0).then(|| (sp.components[i].clone(), p))
        })
        .collect();
    Some(Reagents {
        acid_in,
        acid_out,
        acid_consumed,
        base,
        base_name,
        extractant_flow,
        organic_flow: o0,
        per_kg,
        ph: stage_ph(solution)?,
    })
}
