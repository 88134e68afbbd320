//! Cascade models: what a user specifies ([`CascadeSpec`], from TOML or code)
//! and the checked, indexed form the solvers use ([`Cascade`]).
//!
//! ```
//! use sxforge::model::{CascadeSpec, ChemistrySpec};
//! use sxforge::solver::Solver;
//!
//! // Xu's benchmark `xu-A`: beta 1.5, 25:75 feed, 17 extraction + 20 scrub stages.
//! let spec = CascadeSpec::separation_factor("xu-A", &["B", "A"], &[1.0, 1.5])
//!     .with_stages(17, 20, 0)
//!     .with_feed_amounts(&[0.25, 0.75])
//!     .with_amounts(4.094, 3.3428);
//! let cascade = spec.build().unwrap();
//! let mut solver = Solver::new();
//! let sol = solver.solve(&cascade);
//! assert!(sol.converged());
//! let raff = sol.stream(&cascade, sxforge::cascade::StreamKind::Raffinate).unwrap();
//! assert!(raff.purity[0] > 0.989);
//! ```

pub mod load;
pub mod rigorous;
pub mod schema;

use crate::cascade::{Layout, Phase, Section, MAX_COMPONENTS};
use crate::error::InputError;

/// Solver settings a model may carry (`[solver]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverOptions {
    /// Relative residual at which a solve stops.
    pub tolerance: f64,
    /// Newton iterations allowed (over all continuation steps).
    pub max_iterations: usize,
    /// Rows allowed for the start-up (rows) method.
    pub max_rows: usize,
}

impl Default for SolverOptions {
    fn default() -> Self {
        SolverOptions {
            tolerance: 1e-12,
            max_iterations: 1000,
            max_rows: 10_000_000,
        }
    }
}

/// Equilibrium model and its parameters, per component (in the order of
/// [`CascadeSpec::components`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ChemistrySpec {
    /// `y = D x` with optional per-section overrides.
    ConstantD {
        /// D of each component (organic over aqueous).
        d: Vec<f64>,
        /// Per-section overrides (`[extraction, scrub, strip]`).
        section_d: [Option<Vec<f64>>; 3],
    },
    /// Xu's constant-flow model with relative extractabilities `beta`.
    SeparationFactor {
        /// Relative extractability of each component (any reference).
        beta: Vec<f64>,
    },
    /// Mass action of an acidic extractant with acidity and saponification.
    MassAction(Box<rigorous::MassActionSpec>),
    /// Empirical log-linear D(pH, dose) model.
    LogLinear(Box<rigorous::LogLinearSpec>),
}

impl ChemistrySpec {
    /// Name as written in model files.
    pub fn name(&self) -> &'static str {
        match self {
            ChemistrySpec::ConstantD { .. } => "constant-d",
            ChemistrySpec::SeparationFactor { .. } => "separation-factor",
            ChemistrySpec::MassAction(_) => "mass-action",
            ChemistrySpec::LogLinear(_) => "log-linear",
        }
    }
}

/// The feed (`[feed]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedSpec {
    /// Component flows (mol per unit time), constant-flow models.
    pub amount: Option<Vec<f64>>,
    /// Volumetric flow (L/h), volumetric models.
    pub flow: Option<f64>,
    /// Concentrations (mol/L), volumetric models.
    pub concentration: Option<Vec<f64>>,
}

/// Stream flows (`[flows]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlowSpec {
    /// S: RE flow carried by the loaded organic (constant-flow model).
    pub extraction_amount: Option<f64>,
    /// W: RE flow carried by the scrub aqueous (constant-flow model).
    pub scrub_amount: Option<f64>,
    /// Organic flow, L/h (volumetric models).
    pub organic: Option<f64>,
    /// Scrub solution flow, L/h (volumetric models).
    pub scrub: Option<f64>,
    /// Strip solution flow, L/h (volumetric models).
    pub strip: Option<f64>,
}

/// Metals carried by the inlets other than the feed (model-format.md,
/// section 4), mol/L per component; `None`: the inlet carries no metal.
/// Volumetric models only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InletSpec {
    /// The organic entering stage 1.
    pub organic: Option<Vec<f64>>,
    /// The scrub solution.
    pub scrub: Option<Vec<f64>>,
    /// The strip solution.
    pub strip: Option<Vec<f64>>,
}

/// An inlet of a cascade other than the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inlet {
    /// The organic entering stage 1.
    Organic,
    /// The scrub solution entering the last scrub stage.
    Scrub,
    /// The strip solution entering stage N.
    Strip,
}

impl Inlet {
    /// All inlets, in the order of [`InletSpec`].
    pub const ALL: [Inlet; 3] = [Inlet::Organic, Inlet::Scrub, Inlet::Strip];

    /// Name as written in model files (`organic`, `scrub`, `strip`).
    pub fn name(self) -> &'static str {
        match self {
            Inlet::Organic => "organic",
            Inlet::Scrub => "scrub",
            Inlet::Strip => "strip",
        }
    }

    /// Phase of the inlet.
    pub fn phase(self) -> Phase {
        match self {
            Inlet::Organic => Phase::Organic,
            _ => Phase::Aqueous,
        }
    }
}

impl InletSpec {
    /// Composition of one inlet.
    pub fn get(&self, inlet: Inlet) -> Option<&Vec<f64>> {
        match inlet {
            Inlet::Organic => self.organic.as_ref(),
            Inlet::Scrub => self.scrub.as_ref(),
            Inlet::Strip => self.strip.as_ref(),
        }
    }

    /// Sets the composition of one inlet.
    pub fn set(&mut self, inlet: Inlet, conc: Option<Vec<f64>>) {
        match inlet {
            Inlet::Organic => self.organic = conc,
            Inlet::Scrub => self.scrub = conc,
            Inlet::Strip => self.strip = conc,
        }
    }
}

/// A cascade as specified, before checking. Keys mirror the TOML format
/// (model-format.md); [`CascadeSpec::build`] checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct CascadeSpec {
    /// Model name.
    pub name: String,
    /// Component names; their order is kept in every output.
    pub components: Vec<String>,
    /// Extraction stages.
    pub extraction: usize,
    /// Scrub stages.
    pub scrub: usize,
    /// Strip stages.
    pub strip: usize,
    /// Phase of the feed.
    pub feed_phase: Phase,
    /// Equilibrium model.
    pub chemistry: ChemistrySpec,
    /// Feed.
    pub feed: FeedSpec,
    /// Flows.
    pub flows: FlowSpec,
    /// Metals carried by the other inlets (volumetric models).
    pub inlets: InletSpec,
    /// Solver settings.
    pub solver: SolverOptions,
    /// Side draws (`[[draw]]`), applied by [`CascadeSpec::build`].
    pub draws: Vec<crate::cascade::draw::Draw>,
}

impl CascadeSpec {
    fn empty(name: &str, components: &[&str], chemistry: ChemistrySpec) -> Self {
        CascadeSpec {
            name: name.to_string(),
            components: components.iter().map(|s| s.to_string()).collect(),
            extraction: 1,
            scrub: 0,
            strip: 0,
            feed_phase: Phase::Aqueous,
            chemistry,
            feed: FeedSpec::default(),
            flows: FlowSpec::default(),
            inlets: InletSpec::default(),
            solver: SolverOptions::default(),
            draws: Vec::new(),
        }
    }

    /// A separation-factor (Xu constant-flow) cascade with one extraction
    /// stage; set stages, feed and flows with the `with_*` methods.
    pub fn separation_factor(name: &str, components: &[&str], beta: &[f64]) -> Self {
        Self::empty(
            name,
            components,
            ChemistrySpec::SeparationFactor {
                beta: beta.to_vec(),
            },
        )
    }

    /// A constant-D cascade with one extraction stage.
    pub fn constant_d(name: &str, components: &[&str], d: &[f64]) -> Self {
        Self::empty(
            name,
            components,
            ChemistrySpec::ConstantD {
                d: d.to_vec(),
                section_d: [None, None, None],
            },
        )
    }

    /// Sets the stage counts of the three sections.
    pub fn with_stages(mut self, extraction: usize, scrub: usize, strip: usize) -> Self {
        self.extraction = extraction;
        self.scrub = scrub;
        self.strip = strip;
        self
    }

    /// Aqueous feed given as component amounts (constant-flow model).
    pub fn with_feed_amounts(mut self, amount: &[f64]) -> Self {
        self.feed.amount = Some(amount.to_vec());
        self
    }

    /// Feed given as a volumetric flow (L/h) and concentrations (mol/L).
    pub fn with_feed_solution(mut self, flow: f64, concentration: &[f64]) -> Self {
        self.feed.flow = Some(flow);
        self.feed.concentration = Some(concentration.to_vec());
        self
    }

    /// Sets the feed phase.
    pub fn with_feed_phase(mut self, phase: Phase) -> Self {
        self.feed_phase = phase;
        self
    }

    /// Extraction amount S and scrub amount W (constant-flow model).
    pub fn with_amounts(mut self, extraction: f64, scrub: f64) -> Self {
        self.flows.extraction_amount = Some(extraction);
        self.flows.scrub_amount = Some(scrub);
        self
    }

    /// Organic, scrub and strip flows in L/h (volumetric models; use 0 for an
    /// absent solution).
    pub fn with_flows(mut self, organic: f64, scrub: f64, strip: f64) -> Self {
        self.flows.organic = Some(organic);
        self.flows.scrub = (scrub > 0.0).then_some(scrub);
        self.flows.strip = (strip > 0.0).then_some(strip);
        self
    }

    /// Per-section distribution ratios (constant-D model).
    pub fn with_section_d(mut self, section: Section, d: &[f64]) -> Self {
        if let ChemistrySpec::ConstantD { section_d, .. } = &mut self.chemistry {
            section_d[section.index()] = Some(d.to_vec());
        }
        self
    }

    /// Metals carried by an inlet other than the feed, mol/L (volumetric
    /// models; see [`InletSpec`]).
    pub fn with_inlet(mut self, inlet: Inlet, concentration: &[f64]) -> Self {
        self.set_inlet(inlet, Some(concentration.to_vec()));
        self
    }

    /// Sets (or with `None` clears) the composition of an inlet. For the
    /// rigorous models this replaces a scrub reflux given in their
    /// `[scrub] concentration`.
    pub fn set_inlet(&mut self, inlet: Inlet, concentration: Option<Vec<f64>>) {
        if inlet == Inlet::Scrub {
            match &mut self.chemistry {
                ChemistrySpec::MassAction(m) => m.streams.scrub_concentration = None,
                ChemistrySpec::LogLinear(m) => m.streams.scrub_concentration = None,
                _ => {}
            }
        }
        self.inlets.set(inlet, concentration);
    }

    /// Composition (mol/L) of an inlet other than the feed, `None` when it
    /// carries no metal.
    pub fn inlet_concentration(&self, inlet: Inlet) -> Option<&[f64]> {
        if let Some(v) = self.inlets.get(inlet) {
            return Some(v);
        }
        if inlet == Inlet::Scrub {
            return match &self.chemistry {
                ChemistrySpec::MassAction(m) => m.streams.scrub_concentration.as_deref(),
                ChemistrySpec::LogLinear(m) => m.streams.scrub_concentration.as_deref(),
                _ => None,
            };
        }
        None
    }

    /// Checks the specification and builds the indexed [`Cascade`].
    pub fn build(self) -> Result<Cascade, InputError> {
        Cascade::new(self)
    }
}

/// Flows of the validated model, per stage.
#[derive(Debug, Clone, PartialEq)]
pub enum StageFlows {
    /// Constant-flow model: RE amounts.
    Amounts {
        /// S.
        extraction: f64,
        /// W.
        scrub: f64,
        /// Organic RE outflow of each stage.
        organic: Vec<f64>,
        /// Aqueous RE outflow of each stage implied by the total balance.
        aqueous: Vec<f64>,
    },
    /// Volumetric model: L/h leaving each stage.
    Volumes {
        /// Aqueous flow leaving each stage.
        aqueous: Vec<f64>,
        /// Organic flow leaving each stage.
        organic: Vec<f64>,
    },
}

/// A checked cascade: topology, feed and flows per stage, chemistry.
#[derive(Debug, Clone, PartialEq)]
pub struct Cascade {
    spec: CascadeSpec,
    layout: Layout,
    feed_amount: Vec<f64>,
    inflow: Vec<f64>,
    flows: StageFlows,
    pass: Option<crate::cascade::draw::Pass>,
}

fn positive(key: &str, v: f64, what: &str) -> Result<f64, InputError> {
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

fn non_negative(key: &str, v: f64, what: &str) -> Result<f64, InputError> {
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

/// Formats a number as a user would write it (`1e308`, not 309 digits).
pub(crate) fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a.is_finite() && a != 0.0 && !(1e-5..1e15).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn per_component(
    key: &str,
    components: &[String],
    values: &[f64],
    check: impl Fn(&str, f64) -> Result<f64, InputError>,
) -> Result<Vec<f64>, InputError> {
    if values.len() != components.len() {
        return Err(InputError::new(
            key,
            None,
            format!(
                "expected one value per component ({}), found {}",
                components.len(),
                values.len()
            ),
        ));
    }
    components
        .iter()
        .zip(values)
        .map(|(c, &v)| check(&format!("{key}.{c}"), v))
        .collect()
}

fn require<T: Copy>(v: Option<T>, key: &str, why: &str) -> Result<T, InputError> {
    v.ok_or_else(|| InputError::new(key, None, format!("missing: {why}")))
}

fn forbid<T>(v: &Option<T>, key: &str, why: &str) -> Result<(), InputError> {
    match v {
        Some(_) => Err(InputError::new(
            key,
            None,
            format!("not allowed here: {why}"),
        )),
        None => Ok(()),
    }
}

impl Cascade {
    fn new(spec: CascadeSpec) -> Result<Self, InputError> {
        Self::new_plain(spec)?.apply_draws("draw")
    }

    /// The cascade with its flows before any side draw.
    fn new_plain(spec: CascadeSpec) -> Result<Self, InputError> {
        let k = spec.components.len();
        if k == 0 {
            return Err(InputError::new(
                "components",
                None,
                "expected at least one component",
            ));
        }
        if k > MAX_COMPONENTS {
            return Err(InputError::new(
                "components",
                Some(k.to_string()),
                format!("at most {MAX_COMPONENTS} components are supported"),
            ));
        }
        for (i, c) in spec.components.iter().enumerate() {
            if c.trim().is_empty() {
                return Err(InputError::new("components", None, "empty component name"));
            }
            if spec.components[..i].contains(c) {
                return Err(InputError::new(
                    "components",
                    Some(c.clone()),
                    "duplicate component name",
                ));
            }
        }
        if spec.extraction == 0 {
            return Err(InputError::new(
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
                return Err(InputError::new(
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
        let n = layout.stages();
        if spec.feed_phase == Phase::Organic && spec.extraction + 1 > n {
            return Err(InputError::new(
                "feed.phase",
                Some("organic".into()),
                "an organic feed enters stage n+1, but the cascade has no stage after the extraction section",
            ));
        }
        let comps = &spec.components;
        match &spec.chemistry {
            ChemistrySpec::SeparationFactor { beta } => {
                let beta = per_component("chemistry.beta", comps, beta, |key, v| {
                    positive(key, v, "relative extractability (beta > 0)")
                })?;
                let _ = beta;
                if spec.strip > 0 {
                    return Err(InputError::new(
                        "cascade.strip",
                        Some(spec.strip.to_string()),
                        "the separation-factor model covers extraction and scrub sections only; the loaded organic is its product (use a volumetric model for stripping)",
                    ));
                }
                forbid(
                    &spec.feed.flow,
                    "feed.flow",
                    "the separation-factor model works in RE amounts; give feed.amount",
                )?;
                forbid(
                    &spec.feed.concentration,
                    "feed.concentration",
                    "the separation-factor model works in RE amounts; give feed.amount",
                )?;
                forbid(
                    &spec.flows.organic,
                    "flows.organic",
                    "the separation-factor model takes flows.extraction_amount",
                )?;
                forbid(
                    &spec.flows.scrub,
                    "flows.scrub",
                    "the separation-factor model takes flows.scrub_amount",
                )?;
                forbid(
                    &spec.flows.strip,
                    "flows.strip",
                    "the separation-factor model has no strip section",
                )?;
                for inlet in Inlet::ALL {
                    forbid(
                        &spec.inlets.get(inlet),
                        &format!("{}.concentration", inlet.name()),
                        "the separation-factor model works in RE amounts; inlet compositions need a volumetric model",
                    )?;
                }
                let amount = require(
                    spec.feed.amount.as_ref(),
                    "feed.amount",
                    "the feed's RE flow per component",
                )?;
                let feed_amount = per_component("feed.amount", comps, amount, |key, v| {
                    non_negative(key, v, "feed amount")
                })?;
                let f: f64 = feed_amount.iter().sum();
                if f <= 0.0 {
                    return Err(InputError::new("feed.amount", None, "the feed carries nothing: expected a positive amount of at least one component"));
                }
                let s = positive(
                    "flows.extraction_amount",
                    require(
                        spec.flows.extraction_amount,
                        "flows.extraction_amount",
                        "S, the RE flow carried by the loaded organic",
                    )?,
                    "extraction amount S",
                )?;
                let w = if spec.scrub == 0 {
                    if let Some(w) = spec.flows.scrub_amount {
                        if w != 0.0 {
                            return Err(InputError::new(
                                "flows.scrub_amount",
                                Some(fmt_num(w)),
                                "the cascade has no scrub stages: omit scrub_amount (W = 0)",
                            ));
                        }
                    }
                    0.0
                } else {
                    positive(
                        "flows.scrub_amount",
                        require(
                            spec.flows.scrub_amount,
                            "flows.scrub_amount",
                            "W, the RE flow carried by the scrub aqueous",
                        )?,
                        "scrub amount W",
                    )?
                };
                let (product, raffinate) = match spec.feed_phase {
                    Phase::Aqueous => (s - w, f - (s - w)),
                    Phase::Organic => (s + f - w, w - s),
                };
                let what = match spec.feed_phase {
                    Phase::Aqueous => "aqueous feed needs 0 < S - W < F",
                    Phase::Organic => "organic feed needs 0 < W - S < F",
                };
                if product <= 0.0 || raffinate <= 0.0 {
                    let msg = format!(
                        "infeasible flow split: {what} (S = {}, W = {}, F = {}); the {} would carry no RE",
                        fmt_num(s), fmt_num(w), fmt_num(f),
                        if product <= 0.0 { "loaded organic" } else { "raffinate" }
                    );
                    let key = if spec.scrub > 0 {
                        "flows.scrub_amount"
                    } else {
                        "flows.extraction_amount"
                    };
                    let val = if spec.scrub > 0 { w } else { s };
                    return Err(InputError::new(key, Some(fmt_num(val)), msg));
                }
                let mut organic = vec![s; n];
                if spec.feed_phase == Phase::Organic {
                    for o in organic.iter_mut().skip(spec.extraction) {
                        *o = s + f;
                    }
                }
                organic[n - 1] = product;
                let aqueous = aqueous_totals(&layout, &organic, &feed_amount, f);
                Ok(Cascade {
                    spec,
                    layout,
                    inflow: feed_amount.clone(),
                    feed_amount,
                    flows: StageFlows::Amounts {
                        extraction: s,
                        scrub: w,
                        organic,
                        aqueous,
                    },
                    pass: None,
                })
            }
            ChemistrySpec::ConstantD { .. }
            | ChemistrySpec::MassAction(_)
            | ChemistrySpec::LogLinear(_) => {
                if let ChemistrySpec::ConstantD { d, section_d } = &spec.chemistry {
                    let check_d = |key: &str, v: f64| non_negative(key, v, "distribution ratio D");
                    per_component("chemistry.d", comps, d, check_d)?;
                    for (sec, sd) in Section::ALL.iter().zip(section_d) {
                        if let Some(sd) = sd {
                            per_component(
                                &format!("chemistry.{}.d", sec.name()),
                                comps,
                                sd,
                                check_d,
                            )?;
                        }
                    }
                }
                forbid(
                    &spec.feed.amount,
                    "feed.amount",
                    &format!(
                        "the {} model is volumetric; give feed.flow and feed.concentration",
                        spec.chemistry.name()
                    ),
                )?;
                forbid(
                    &spec.flows.extraction_amount,
                    "flows.extraction_amount",
                    &format!(
                        "the {} model takes flows.organic (L/h)",
                        spec.chemistry.name()
                    ),
                )?;
                forbid(
                    &spec.flows.scrub_amount,
                    "flows.scrub_amount",
                    &format!(
                        "the {} model takes flows.scrub (L/h)",
                        spec.chemistry.name()
                    ),
                )?;
                let feed_flow = positive(
                    "feed.flow",
                    require(spec.feed.flow, "feed.flow", "the feed's flow in L/h")?,
                    "feed flow (L/h)",
                )?;
                let conc = require(
                    spec.feed.concentration.as_ref(),
                    "feed.concentration",
                    "the feed's concentration per component (mol/L)",
                )?;
                let conc = per_component("feed.concentration", comps, conc, |key, v| {
                    non_negative(key, v, "concentration (mol/L)")
                })?;
                match &spec.chemistry {
                    ChemistrySpec::MassAction(m) => m.check(comps, &layout, &conc)?,
                    ChemistrySpec::LogLinear(m) => m.check(comps, &layout)?,
                    _ => {}
                }
                let feed_amount: Vec<f64> = conc.iter().map(|c| c * feed_flow).collect();
                if feed_amount.iter().sum::<f64>() <= 0.0 {
                    return Err(InputError::new("feed.concentration", None, "the feed carries nothing: expected a positive concentration of at least one component"));
                }
                let organic = positive(
                    "flows.organic",
                    require(
                        spec.flows.organic,
                        "flows.organic",
                        "the organic flow in L/h",
                    )?,
                    "organic flow (L/h)",
                )?;
                let scrub = match spec.flows.scrub {
                    Some(v) if spec.scrub == 0 && v != 0.0 => {
                        return Err(InputError::new(
                            "flows.scrub",
                            Some(fmt_num(v)),
                            "the cascade has no scrub stages: omit flows.scrub",
                        ))
                    }
                    Some(v) if spec.scrub > 0 => positive("flows.scrub", v, "scrub flow (L/h)")?,
                    None if spec.scrub > 0 => return Err(InputError::new(
                        "flows.scrub",
                        None,
                        "missing: the scrub solution's flow in L/h (the cascade has scrub stages)",
                    )),
                    _ => 0.0,
                };
                let strip = match spec.flows.strip {
                    Some(v) if spec.strip == 0 && v != 0.0 => {
                        return Err(InputError::new(
                            "flows.strip",
                            Some(fmt_num(v)),
                            "the cascade has no strip stages: omit flows.strip",
                        ))
                    }
                    Some(v) if spec.strip > 0 => positive("flows.strip", v, "strip flow (L/h)")?,
                    None if spec.strip > 0 => return Err(InputError::new(
                        "flows.strip",
                        None,
                        "missing: the strip solution's flow in L/h (the cascade has strip stages)",
                    )),
                    _ => 0.0,
                };
                let mut aq = vec![0.0; n];
                let mut org = vec![organic; n];
                for (j, (a, o)) in aq.iter_mut().zip(org.iter_mut()).enumerate() {
                    let sec = layout.section(j);
                    let feed_aq = if spec.feed_phase == Phase::Aqueous {
                        feed_flow
                    } else {
                        0.0
                    };
                    *a = match sec {
                        Section::Extraction => scrub + feed_aq,
                        Section::Scrub => scrub,
                        Section::Strip => strip,
                    };
                    if spec.feed_phase == Phase::Organic && j >= spec.extraction {
                        *o += feed_flow;
                    }
                }
                if aq[0] <= 0.0 {
                    return Err(InputError::new("flows.scrub", None, "infeasible flow split: with an organic feed the extraction section's aqueous is the scrub solution, which is missing"));
                }
                let mut inflow = feed_amount.clone();
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
                        return Err(InputError::new(
                            key,
                            None,
                            format!(
                                "the cascade has no {} stages: omit [{}]",
                                inlet.name(),
                                inlet.name()
                            ),
                        ));
                    }
                    let c = per_component(&key, comps, c, |key, v| {
                        non_negative(key, v, "concentration (mol/L)")
                    })?;
                    for (i, x) in inflow.iter_mut().zip(&c) {
                        *i += flow * x;
                    }
                }
                Ok(Cascade {
                    spec,
                    layout,
                    feed_amount,
                    inflow,
                    flows: StageFlows::Volumes {
                        aqueous: aq,
                        organic: org,
                    },
                    pass: None,
                })
            }
        }
    }

    /// Replaces the side draws (`[[draw]]`, see the README): checks them
    /// against the stage flows and reduces the flows they take from.
    /// `prefix` is the key of the draw tables in error messages.
    pub fn with_draws(
        self,
        draws: Vec<crate::cascade::draw::Draw>,
        prefix: &str,
    ) -> Result<Cascade, InputError> {
        if draws.is_empty() && self.spec.draws.is_empty() {
            return Ok(self);
        }
        let mut spec = self.spec;
        spec.draws = draws;
        Self::new_plain(spec)?.apply_draws(prefix)
    }

    fn apply_draws(mut self, prefix: &str) -> Result<Cascade, InputError> {
        if self.spec.draws.is_empty() {
            return Ok(self);
        }
        let (volumetric, organic, aqueous) = match &mut self.flows {
            StageFlows::Amounts {
                organic, aqueous, ..
            } => (false, organic, aqueous),
            StageFlows::Volumes { aqueous, organic } => (true, organic, aqueous),
        };
        let pass = crate::cascade::draw::apply(
            &self.layout,
            volumetric,
            &self.spec.draws,
            organic,
            aqueous,
            prefix,
        )?;
        self.pass = Some(pass);
        Ok(self)
    }

    /// The side draws (empty for most cascades).
    pub fn draws(&self) -> &[crate::cascade::draw::Draw] {
        &self.spec.draws
    }

    /// Fraction of `phase` leaving 0-based stage `j` that continues after
    /// the side draws (1 without draws).
    pub fn pass_fraction(&self, phase: Phase, j: usize) -> f64 {
        self.pass.as_ref().map_or(1.0, |p| p.of(phase, j))
    }

    /// The per-stage pass fractions, when the cascade has draws.
    pub fn pass(&self) -> Option<&crate::cascade::draw::Pass> {
        self.pass.as_ref()
    }

    /// The specification this cascade was built from.
    pub fn spec(&self) -> &CascadeSpec {
        &self.spec
    }

    /// A copy of the specification, to modify and rebuild.
    pub fn to_spec(&self) -> CascadeSpec {
        self.spec.clone()
    }

    /// Model name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Component names.
    pub fn components(&self) -> &[String] {
        &self.spec.components
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.spec.components.len()
    }

    /// Stage layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Number of stages.
    pub fn n_stages(&self) -> usize {
        self.layout.stages()
    }

    /// Feed flow of each component (mol per unit time).
    pub fn feed_amount(&self) -> &[f64] {
        &self.feed_amount
    }

    /// Total inflow of each component (mol per unit time): the feed plus
    /// the metals every other inlet carries. Recoveries and balances count
    /// against it.
    pub fn inflow_amount(&self) -> &[f64] {
        &self.inflow
    }

    /// Metal inflow (mol per unit time) of each component with one inlet
    /// other than the feed (zeros when it carries none or is absent).
    pub fn inlet_amount(&self, inlet: Inlet) -> Vec<f64> {
        let k = self.n_components();
        let Some(c) = self.spec.inlet_concentration(inlet) else {
            return vec![0.0; k];
        };
        let f = &self.spec.flows;
        let flow = match inlet {
            Inlet::Organic => f.organic,
            Inlet::Scrub if self.layout.scrub > 0 => f.scrub,
            Inlet::Strip if self.layout.strip > 0 => f.strip,
            _ => None,
        }
        .unwrap_or(0.0);
        c.iter().map(|x| x * flow).collect()
    }

    /// Flows per stage.
    pub fn flows(&self) -> &StageFlows {
        &self.flows
    }

    /// Whether the model is volumetric (concentrations in mol/L).
    pub fn is_volumetric(&self) -> bool {
        matches!(self.flows, StageFlows::Volumes { .. })
    }

    /// Solver settings.
    pub fn solver_options(&self) -> &SolverOptions {
        &self.spec.solver
    }

    /// Distribution ratio of each component in each stage (constant-D model),
    /// row-major `N x K`.
    pub(crate) fn stage_d(&self) -> Option<Vec<f64>> {
        let ChemistrySpec::ConstantD { d, section_d } = &self.spec.chemistry else {
            return None;
        };
        let k = self.n_components();
        let mut out = Vec::with_capacity(self.n_stages() * k);
        for j in 0..self.n_stages() {
            let sec = self.layout.section(j);
            out.extend_from_slice(section_d[sec.index()].as_deref().unwrap_or(d));
        }
        Some(out)
    }
}

/// Aqueous RE outflow of every stage implied by the prescribed organic
/// outflows and the total RE balance, swept from the top stage down.
fn aqueous_totals(layout: &Layout, organic: &[f64], feed: &[f64], f: f64) -> Vec<f64> {
    let _ = feed;
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
