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

pub mod constant_d;
pub mod flows;
pub mod load;
pub(crate) mod models;
pub(crate) mod options;
pub(crate) mod registry;
pub mod rigorous;
pub mod schema;
pub mod separation_factor;
mod streams;
pub(crate) mod tables;
mod validate;

use crate::cascade::{Layout, Phase, Section};
use crate::error::{InputError, InputErrors};

pub use constant_d::ConstantDSpec;
pub use flows::{FlowKey, FlowSpec, Flows};
pub use options::SolverOptions;
pub use separation_factor::SeparationFactorSpec;

/// Equilibrium model and its parameters, per component (in the order of
/// [`CascadeSpec::components`]). Each variant holds one model's spec type;
/// what the rest of the crate asks of a model goes through its
/// `registry::ChemistryModel` implementation (see `docs/architecture.md`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChemistrySpec {
    /// `y = D x` with optional per-section overrides.
    ConstantD(ConstantDSpec),
    /// Xu's constant-flow model with relative extractabilities `beta`.
    SeparationFactor(SeparationFactorSpec),
    /// Mass action of an acidic extractant with acidity and saponification.
    MassAction(Box<rigorous::MassActionSpec>),
    /// Empirical log-linear D(pH, dose) model.
    LogLinear(Box<rigorous::LogLinearSpec>),
}

impl ChemistrySpec {
    /// The model behind the variant.
    pub(crate) fn model(&self) -> &dyn registry::ChemistryModel {
        match self {
            ChemistrySpec::ConstantD(m) => m,
            ChemistrySpec::SeparationFactor(m) => m,
            ChemistrySpec::MassAction(m) => m.as_ref(),
            ChemistrySpec::LogLinear(m) => m.as_ref(),
        }
    }

    /// Mutable [`ChemistrySpec::model`].
    pub(crate) fn model_mut(&mut self) -> &mut dyn registry::ChemistryModel {
        match self {
            ChemistrySpec::ConstantD(m) => m,
            ChemistrySpec::SeparationFactor(m) => m,
            ChemistrySpec::MassAction(m) => m.as_mut(),
            ChemistrySpec::LogLinear(m) => m.as_mut(),
        }
    }

    /// Name as written in model files.
    pub fn name(&self) -> &'static str {
        self.model().schema().name
    }

    /// Sets the acidity (total acid protons, mol/L) and, for models that
    /// take `feed.sulfate`, the sulfate of the feed; models that do not
    /// track acidity ignore both.
    pub fn set_feed_acidity(&mut self, acid: f64, sulfate: f64) {
        let model = self.model_mut();
        let takes_sulfate = model.schema().other.contains(&"feed.sulfate");
        if let Some(st) = model.streams_mut() {
            st.feed_acid = acid;
            if takes_sulfate {
                st.feed_sulfate = sulfate;
            }
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
            ChemistrySpec::SeparationFactor(SeparationFactorSpec {
                beta: beta.to_vec(),
            }),
        )
    }

    /// A constant-D cascade with one extraction stage.
    pub fn constant_d(name: &str, components: &[&str], d: &[f64]) -> Self {
        Self::empty(
            name,
            components,
            ChemistrySpec::ConstantD(ConstantDSpec {
                d: d.to_vec(),
                section_d: [None, None, None],
            }),
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
        if let ChemistrySpec::ConstantD(m) = &mut self.chemistry {
            m.section_d[section.index()] = Some(d.to_vec());
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
            if let Some(st) = self.chemistry.model_mut().streams_mut() {
                st.scrub_concentration = None;
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
            return self
                .chemistry
                .model()
                .streams()
                .and_then(|st| st.scrub_concentration.as_deref());
        }
        None
    }

    /// Checks the specification and builds the indexed [`Cascade`];
    /// the error is the first problem found (see [`CascadeSpec::validate`]
    /// for all of them).
    pub fn build(self) -> Result<Cascade, InputError> {
        Cascade::new(self).map_err(InputErrors::into_first)
    }

    /// Checks the specification and builds the indexed [`Cascade`], or
    /// reports every problem found.
    pub fn validate(self) -> Result<Cascade, InputErrors> {
        Cascade::new(self)
    }
}

/// Flows of the validated model, per stage.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    // the spec's solver settings with the iteration budget of this
    // cascade's size (`SolverOptions::for_cascade`)
    solver: SolverOptions,
}

pub(crate) use crate::input::fmt_num;

impl Cascade {
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
        Self::new_plain(spec)
            .map_err(InputErrors::into_first)?
            .apply_draws(prefix)
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

    /// Solver settings, with the iteration limit this cascade's solves get:
    /// the spec's `max_iterations` if explicit, else the default budget
    /// scaled with the cascade's size ([`SolverOptions::budget_for`]).
    pub fn solver_options(&self) -> &SolverOptions {
        &self.solver
    }

    /// Replaces the solver settings (tolerance, limits) without checking
    /// the model again; the settings are checked (every problem reported).
    ///
    /// ```
    /// use sxforge::{CascadeSpec, solver::SolverOptions};
    /// let mut c = CascadeSpec::constant_d("t", &["A"], &[2.0])
    ///     .with_feed_solution(1.0, &[0.1])
    ///     .with_flows(1.0, 0.0, 0.0)
    ///     .build()
    ///     .unwrap();
    /// let loose = SolverOptions::builder().tolerance(1e-6).build().unwrap();
    /// c.set_solver_options(loose).unwrap();
    /// assert_eq!(c.solver_options().tolerance, 1e-6);
    /// let mut bad = loose;
    /// bad.tolerance = f64::NAN;
    /// assert!(c.set_solver_options(bad).is_err());
    /// ```
    pub fn set_solver_options(&mut self, options: SolverOptions) -> Result<(), InputErrors> {
        options.check()?;
        self.spec.solver = options;
        self.solver = options.for_cascade(self.n_stages(), self.n_components());
        Ok(())
    }

    /// Distribution ratio of each component in each stage (constant-D model),
    /// row-major `N x K`.
    pub(crate) fn stage_d(&self) -> Option<Vec<f64>> {
        let ChemistrySpec::ConstantD(m) = &self.spec.chemistry else {
            return None;
        };
        Some(m.stage_d(&self.layout))
    }
}
