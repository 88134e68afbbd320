//! Reasons, proved from a model alone, why a cascade has no steady state:
//! what a failed solve's report can say beyond "did not converge".

use crate::cascade::Phase;
use crate::model::{Cascade, ChemistrySpec, StageFlows};

/// A proof that a `log-linear` cascade has no steady state with a positive
/// acidity: the scrub or strip acid cannot pay for the metal its
/// constant-D components must strip there. Returns `(demand, supply)` in
/// mol/h of protons for the first section where `demand > supply`, `None`
/// when this test proves nothing (other models, organic feed, side draws,
/// metals in the scrub or strip solution).
///
/// Over a scrub or strip section (no metal enters with its aqueous) the
/// proton balance is `a W = A [H+] + sum_k p_k A x_k`, with `x_k` the
/// aqueous leaving the section's first stage, so `sum_k p_k A x_k <= a W`.
/// For a component with a constant `D_k` the feed-stage balance gives the
/// organic leaving the feed stage at least `O D_k f_k / (A_F + D_k O)`
/// (`A_F` the aqueous leaving the feed stage, `f_k` its feed); a section,
/// linear for it, strips the fraction `(S^(N+1) - S) / (S^(N+1) - 1)` of
/// what enters (Kremser, stripping factor `S = A / (D_k O)`, `N` stages)
/// and passes the rest on. Components with a fitted law only add to the
/// demand, so leaving them out keeps a lower bound.
pub fn acid_starved(c: &Cascade) -> Option<(f64, f64)> {
    let ChemistrySpec::LogLinear(m) = &c.spec().chemistry else {
        return None;
    };
    let StageFlows::Volumes { aqueous, organic } = c.flows() else {
        return None;
    };
    let (layout, sp) = (c.layout(), c.spec());
    let fs = layout.feed_stage();
    let (nsc, nst) = (layout.scrub, layout.strip);
    if layout.feed_phase != Phase::Aqueous
        || c.pass().is_some()
        || m.streams.scrub_concentration.is_some()
        || sp.inlets.scrub.is_some()
        || sp.inlets.strip.is_some()
        || fs + nsc + nst >= c.n_stages()
        || (nsc + nst > 0 && layout.aqueous_link(fs + nsc))
        || (nsc > 0 && nst > 0 && layout.aqueous_link(fs + nsc + nst))
    {
        return None;
    }
    // fraction of what enters a linear section in the organic that leaves
    // it in the aqueous
    let stripped = |s: f64, n: usize| {
        let k = n as i32;
        if (s - 1.0).abs() < 1e-12 {
            n as f64 / (n as f64 + 1.0)
        } else if s > 1.0 {
            (1.0 - s.powi(-k)) / (1.0 - s.powi(-k - 1))
        } else {
            s * (1.0 - s.powi(k)) / (1.0 - s.powi(k + 1))
        }
    };
    let constant: Vec<usize> = (0..c.n_components())
        .filter(|&k| m.fit[k].is_none() && m.protons_per_metal[k] > 0.0)
        .collect();
    // organic (mol/h) of each constant-D component entering the section
    let mut entering: Vec<f64> = constant
        .iter()
        .map(|&k| {
            let d = m.d[k];
            organic[fs] * d * c.feed_amount()[k] / (aqueous[fs] + d * organic[fs])
        })
        .collect();
    let sections = [
        (nsc, fs + 1, sp.flows.scrub, m.streams.scrub_acid),
        (nst, fs + nsc + 1, sp.flows.strip, m.streams.strip_acid),
    ];
    for (n, first, flow, acid) in sections {
        if n == 0 {
            continue;
        }
        let (a, o) = (aqueous[first], organic[first]);
        let mut demand = 0.0;
        for (e, &k) in entering.iter_mut().zip(&constant) {
            let f = stripped(a / (m.d[k] * o), n);
            demand += m.protons_per_metal[k] * *e * f;
            *e *= 1.0 - f;
        }
        let supply = flow.unwrap_or(0.0) * acid.unwrap_or(0.0);
        if demand > supply {
            return Some((demand, supply));
        }
    }
    None
}
