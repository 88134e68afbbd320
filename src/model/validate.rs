//! Checking a [`CascadeSpec`] into a [`Cascade`]: every problem is
//! collected (file, line, column, key, value, expectation once located),
//! not only the first. Which feed and flow keys a model takes comes from
//! its schema entry ([`crate::chemistry::schema`]).

use super::{fmt_num, Cascade, CascadeSpec, Inlet, StageFlows};
use crate::cascade::{Layout, Phase, Section, MAX_COMPONENTS};
use crate::chemistry::schema::Basis;
use crate::error::{InputError, InputErrors, Problems};

/// Keys whose presence depends on the flow basis: the basis that takes
/// each, what to give instead under the other basis, and whether a
/// specification sets it.
type BasisKey = (&'static str, Basis, &'static str, fn(&CascadeSpec) -> bool);

const BASIS_KEYS: &[BasisKey] = &[
    (
        "feed.amount",
        Basis::Amounts,
        "give feed.flow and feed.concentration",
        |s| s.feed.amount.is_some(),
    ),
    (
        "flows.extraction_amount",
        Basis::Amounts,
        "give flows.organic (L/h)",
        |s| s.flows.extraction_amount.is_some(),
    ),
    (
        "flows.scrub_amount",
        Basis::Amounts,
        "give flows.scrub (L/h)",
        |s| s.flows.scrub_amount.is_some(),
    ),
    ("feed.flow", Basis::Volumes, "give feed.amount", |s| {
        s.feed.flow.is_some()
    }),
    (
        "feed.concentration",
        Basis::Volumes,
        "give feed.amount",
        |s| s.feed.concentration.is_some(),
    ),
    (
        "flows.organic",
        Basis::Volumes,
        "give flows.extraction_amount",
        |s| s.flows.organic.is_some(),
    ),
    (
        "flows.scrub",
        Basis::Volumes,
        "give flows.scrub_amount",
        |s| s.flows.scrub.is_some(),
    ),
    (
        "flows.strip",
        Basis::Volumes,
        "the model has no strip section",
        |s| s.flows.strip.is_some(),
    ),
    (
        "organic.concentration",
        Basis::Volumes,
        "inlet compositions need a volumetric model",
        |s| s.inlets.organic.is_some(),
    ),
    (
        "scrub.concentration",
        Basis::Volumes,
        "inlet compositions need a volumetric model",
        |s| s.inlets.scrub.is_some(),
    ),
    (
        "strip.concentration",
        Basis::Volumes,
        "inlet compositions need a volumetric model",
        |s| s.inlets.strip.is_some(),
    ),
];

pub(super) fn positive(key: &str, v: f64, what: &str) -> Result<f64, InputError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(InputError::new(
            key,
            Some(fmt_num(v)),
            format!("expected a positive {what}"),
        ))
    }
}

pub(super) fn non_negative(key: &str, v: f64, what: &str) -> Result<f64, InputError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(InputError::new(
            key,
            Some(fmt_num(v)),
            format!("expected a non-negative {what}"),
        ))
    }
}

/// Checks one value per component (`key.<component>`), recording every bad
/// one; the values when all are good.
pub(super) fn per_component(
    p: &mut Problems,
    key: &str,
    components: &[String],
    values: &[f64],
    check: impl Fn(&str, f64) -> Result<f64, InputError>,
) -> Option<Vec<f64>> {
    if values.len() != components.len() {
        p.push(InputError::new(
            key,
            None,
            format!(
                "expected one value per component ({}), found {}",
                components.len(),
                values.len()
            ),
        ));
        return None;
    }
    let out: Vec<f64> = components
        .iter()
        .zip(values)
        .filter_map(|(c, &v)| p.ok(check(&format!("{key}.{c}"), v)))
        .collect();
    (out.len() == values.len()).then_some(out)
}

fn require<T>(p: &mut Problems, v: Option<T>, key: &str, why: &str) -> Option<T> {
    if v.is_none() {
        p.push(InputError::new(key, None, format!("missing: {why}")));
    }
    v
}

impl Cascade {
    /// Checks `spec` and builds the cascade with its side draws, or
    /// reports every problem.
    pub(super) fn new(spec: CascadeSpec) -> Result<Self, InputErrors> {
        Ok(Self::new_plain(spec)?.apply_draws("draw")?)
    }

    /// Checks `spec` and builds the cascade with its flows before any side
    /// draw, or reports every problem.
    pub(super) fn new_plain(spec: CascadeSpec) -> Result<Self, InputErrors> {
        let mut p = Problems::default();
        let k = spec.components.len();
        // problems of shape: past them nothing can be sized
        if k == 0 {
            p.push(InputError::new(
                "components",
                None,
                "expected at least one component",
            ));
        }
        if k > MAX_COMPONENTS {
            p.push(InputError::new(
                "components",
                Some(k.to_string()),
                format!("at most {MAX_COMPONENTS} components are supported"),
            ));
        }
        if spec.extraction == 0 {
            p.push(InputError::new(
                "cascade.extraction",
                Some("0".into()),
                "expected at least one extraction stage (the feed enters the last one)",
            ));
        }
        for (key, n) in [
            ("cascade.extraction", spec.extraction),
            ("cascade.scrub", spec.scrub),
            ("cascade.strip", spec.strip),
        ] {
            if n > crate::input::MAX_STAGES_PER_SECTION {
                p.push(InputError::new(
                    key,
                    Some(n.to_string()),
                    format!(
                        "at most {} stages per section are supported",
                        crate::input::MAX_STAGES_PER_SECTION
                    ),
                ));
            }
        }
        let layout = Layout {
            extraction: spec.extraction,
            scrub: spec.scrub,
            strip: spec.strip,
            feed_phase: spec.feed_phase,
        };
        if spec.feed_phase == Phase::Organic && spec.extraction + 1 > layout.stages() {
            p.push(InputError::new(
                "feed.phase",
                Some("organic".into()),
                "an organic feed enters stage n+1, but the cascade has no stage after the extraction section",
            ));
        }
        p.check()?;
        // the rest is checked as a whole
        for (i, c) in spec.components.iter().enumerate() {
            if c.trim().is_empty() {
                p.push(InputError::new("components", None, "empty component name"));
            } else if !c
                .chars()
                .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-')
            {
                // a name is a key segment elsewhere (`chemistry.beta.Nd` in a
                // sweep, `La+Ce` in a constraint, `Pr/Nd` as a split)
                p.push(InputError::new(
                    "components",
                    Some(c.clone()),
                    "a component name is letters, digits, '_' and '-' only (sweeps name it in \
                     key paths such as chemistry.beta.Nd, constraints add names with '+' and \
                     design splits them with '/')",
                ));
            } else if spec.components[..i].contains(c) {
                p.push(InputError::new(
                    "components",
                    Some(c.clone()),
                    "duplicate component name",
                ));
            }
        }
        p.all(spec.solver.check());
        let model = spec.chemistry.model().schema();
        for (key, basis, instead, set) in BASIS_KEYS {
            if *basis != model.basis && set(&spec) {
                p.push(InputError::new(
                    *key,
                    None,
                    format!(
                        "not allowed here: the {} model {}; {instead}",
                        model.name,
                        model.basis.describe()
                    ),
                ));
            }
        }
        let flows = match model.basis {
            Basis::Amounts => amount_flows(&spec, &layout, &mut p),
            Basis::Volumes => volume_flows(&spec, &layout, &mut p),
        };
        p.check()?;
        let (feed_amount, inflow, flows) = flows.expect("computed when nothing is wrong");
        let solver = spec.solver.for_cascade(layout.stages(), k);
        Ok(Cascade {
            spec,
            layout,
            feed_amount,
            inflow,
            flows,
            pass: None,
            solver,
        })
    }
}

/// Feed, inflow and stage flows: what a checked cascade stores.
type Flows = (Vec<f64>, Vec<f64>, StageFlows);

/// The constant-flow (separation-factor) model: RE amounts.
fn amount_flows(spec: &CascadeSpec, layout: &Layout, p: &mut Problems) -> Option<Flows> {
    let comps = &spec.components;
    let n = layout.stages();
    spec.chemistry.model().check(comps, layout, &[], p);
    if spec.strip > 0 {
        p.push(InputError::new(
            "cascade.strip",
            Some(spec.strip.to_string()),
            "the separation-factor model covers extraction and scrub sections only; the loaded organic is its product (use a volumetric model for stripping)",
        ));
    }
    let feed_amount = require(
        p,
        spec.feed.amount.as_ref(),
        "feed.amount",
        "the feed's RE flow per component",
    )
    .and_then(|a| {
        per_component(p, "feed.amount", comps, a, |key, v| {
            non_negative(key, v, "feed amount")
        })
    });
    let s = require(
        p,
        spec.flows.extraction_amount,
        "flows.extraction_amount",
        "S, the RE flow carried by the loaded organic",
    )
    .and_then(|s| {
        p.ok(positive(
            "flows.extraction_amount",
            s,
            "extraction amount S",
        ))
    });
    let w = if spec.scrub == 0 {
        match spec.flows.scrub_amount {
            Some(w) if w != 0.0 => {
                p.push(InputError::new(
                    "flows.scrub_amount",
                    Some(fmt_num(w)),
                    "the cascade has no scrub stages: omit scrub_amount (W = 0)",
                ));
                None
            }
            _ => Some(0.0),
        }
    } else {
        require(
            p,
            spec.flows.scrub_amount,
            "flows.scrub_amount",
            "W, the RE flow carried by the scrub aqueous",
        )
        .and_then(|w| p.ok(positive("flows.scrub_amount", w, "scrub amount W")))
    };
    let feed_amount = feed_amount?;
    let f: f64 = feed_amount.iter().sum();
    if f <= 0.0 {
        p.push(InputError::new(
            "feed.amount",
            None,
            "the feed carries nothing: expected a positive amount of at least one component",
        ));
        return None;
    }
    let (s, w) = (s?, w?);
    let (product, raffinate) = match spec.feed_phase {
        Phase::Aqueous => (s - w, f - (s - w)),
        Phase::Organic => (s + f - w, w - s),
    };
    if product <= 0.0 || raffinate <= 0.0 {
        let what = match spec.feed_phase {
            Phase::Aqueous => "aqueous feed needs 0 < S - W < F",
            Phase::Organic => "organic feed needs 0 < W - S < F",
        };
        let msg = format!(
            "infeasible flow split: {what} (S = {}, W = {}, F = {}); the {} would carry no RE",
            fmt_num(s),
            fmt_num(w),
            fmt_num(f),
            if product <= 0.0 {
                "loaded organic"
            } else {
                "raffinate"
            }
        );
        let (key, val) = if spec.scrub > 0 {
            ("flows.scrub_amount", w)
        } else {
            ("flows.extraction_amount", s)
        };
        p.push(InputError::new(key, Some(fmt_num(val)), msg));
        return None;
    }
    if !p.is_empty() {
        return None;
    }
    let mut organic = vec![s; n];
    if spec.feed_phase == Phase::Organic {
        for o in organic.iter_mut().skip(spec.extraction) {
            *o = s + f;
        }
    }
    organic[n - 1] = product;
    let aqueous = aqueous_totals(layout, &organic, f);
    let flows = StageFlows::Amounts {
        extraction: s,
        scrub: w,
        organic,
        aqueous,
    };
    Some((feed_amount.clone(), feed_amount, flows))
}

/// A solution's flow in L/h: required and positive when the cascade has
/// stages of its section, omitted (or 0) otherwise.
fn section_flow(p: &mut Problems, key: &str, v: Option<f64>, stages: usize) -> Option<f64> {
    let name = key.trim_start_matches("flows.");
    match v {
        Some(v) if stages == 0 && v != 0.0 => {
            p.push(InputError::new(
                key,
                Some(fmt_num(v)),
                format!("the cascade has no {name} stages: omit {key}"),
            ));
            None
        }
        Some(v) if stages > 0 => p.ok(positive(key, v, &format!("{name} flow (L/h)"))),
        None if stages > 0 => {
            p.push(InputError::new(
                key,
                None,
                format!(
                    "missing: the {name} solution's flow in L/h (the cascade has {name} stages)"
                ),
            ));
            None
        }
        _ => Some(0.0),
    }
}

/// The volumetric models: flows in L/h, concentrations in mol/L.
fn volume_flows(spec: &CascadeSpec, layout: &Layout, p: &mut Problems) -> Option<Flows> {
    let comps = &spec.components;
    let n = layout.stages();
    let feed_flow = require(p, spec.feed.flow, "feed.flow", "the feed's flow in L/h")
        .and_then(|v| p.ok(positive("feed.flow", v, "feed flow (L/h)")));
    let conc = require(
        p,
        spec.feed.concentration.as_ref(),
        "feed.concentration",
        "the feed's concentration per component (mol/L)",
    )
    .and_then(|c| {
        per_component(p, "feed.concentration", comps, c, |key, v| {
            non_negative(key, v, "concentration (mol/L)")
        })
    });
    let feed_conc = conc.as_deref().unwrap_or(&[]);
    spec.chemistry.model().check(comps, layout, feed_conc, p);
    let organic = require(
        p,
        spec.flows.organic,
        "flows.organic",
        "the organic flow in L/h",
    )
    .and_then(|v| p.ok(positive("flows.organic", v, "organic flow (L/h)")));
    let scrub = section_flow(p, "flows.scrub", spec.flows.scrub, spec.scrub);
    let strip = section_flow(p, "flows.strip", spec.flows.strip, spec.strip);
    let mut inlets = Vec::new();
    for (inlet, stages, flow) in [
        (Inlet::Organic, 1, organic),
        (Inlet::Scrub, spec.scrub, scrub),
        (Inlet::Strip, spec.strip, strip),
    ] {
        let Some(c) = spec.inlet_concentration(inlet) else {
            continue;
        };
        let key = format!("{}.concentration", inlet.name());
        if stages == 0 {
            p.push(InputError::new(
                key,
                None,
                format!(
                    "the cascade has no {} stages: omit [{}]",
                    inlet.name(),
                    inlet.name()
                ),
            ));
            continue;
        }
        let c = per_component(p, &key, comps, c, |key, v| {
            non_negative(key, v, "concentration (mol/L)")
        });
        inlets.push((c, flow));
    }
    let (feed_flow, conc, organic, scrub, strip) = (feed_flow?, conc?, organic?, scrub?, strip?);
    let feed_amount: Vec<f64> = conc.iter().map(|c| c * feed_flow).collect();
    if feed_amount.iter().sum::<f64>() <= 0.0 {
        p.push(InputError::new(
            "feed.concentration",
            None,
            "the feed carries nothing: expected a positive concentration of at least one component",
        ));
    }
    let mut aq = vec![0.0; n];
    let mut org = vec![organic; n];
    for (j, (a, o)) in aq.iter_mut().zip(org.iter_mut()).enumerate() {
        let feed_aq = if spec.feed_phase == Phase::Aqueous {
            feed_flow
        } else {
            0.0
        };
        *a = match layout.section(j) {
            Section::Extraction => scrub + feed_aq,
            Section::Scrub => scrub,
            Section::Strip => strip,
        };
        if spec.feed_phase == Phase::Organic && j >= spec.extraction {
            *o += feed_flow;
        }
    }
    if aq[0] <= 0.0 {
        p.push(InputError::new("flows.scrub", None, "infeasible flow split: with an organic feed the extraction section's aqueous is the scrub solution, which is missing"));
    }
    if !p.is_empty() {
        return None;
    }
    let mut inflow = feed_amount.clone();
    for (c, flow) in inlets {
        let (c, flow) = (c?, flow?);
        for (i, x) in inflow.iter_mut().zip(&c) {
            *i += flow * x;
        }
    }
    let flows = StageFlows::Volumes {
        aqueous: aq,
        organic: org,
    };
    Some((feed_amount, inflow, flows))
}

/// Aqueous RE outflow of every stage implied by the prescribed organic
/// outflows and the total RE balance (feed total `f`), swept from the top
/// stage down.
fn aqueous_totals(layout: &Layout, organic: &[f64], f: f64) -> Vec<f64> {
    let n = layout.stages();
    let fs = layout.feed_stage();
    let mut a = vec![0.0; n];
    for j in (0..n).rev() {
        let above = if layout.aqueous_link(j) {
            a[j + 1]
        } else {
            0.0
        };
        let below = if j > 0 { organic[j - 1] } else { 0.0 };
        let fj = if j == fs { f } else { 0.0 };
        a[j] = above + below + fj - organic[j];
    }
    a
}
