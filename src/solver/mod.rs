//! Steady-state and start-up solvers.
//!
//! - [`Solver::solve`]: damped Newton on the block-tridiagonal stage balances
//!   (`newton`), with continuation in the separation factors for the
//!   separation-factor model (`beta(s) = beta^s`, `s: 0 -> 1`; at `s = 0` the
//!   flat profile is exact), whose steps solve the balances in logarithms
//!   once a trace nears the bottom of the double range ([`sf_log`]), and
//!   which turns to pseudo-arclength steps where the path in `s` is
//!   nearly vertical.
//! - [`rows::solve_rows`]: start-up dynamics of the separation-factor model
//!   from empty stages, row by row, an independent check of the steady state.
//! - [`Solver::start_up`]: start-up dynamics of a `mass-action` or
//!   `log-linear` cascade from empty stages by implicit time steps,
//!   finished by Newton once near: an independent path to the steady state
//!   of the rigorous models.
//!
//! A solve that does not converge is not an error: it returns a
//! [`Solution`] whose [`Status`] says so, with iterations and residual.

pub(crate) mod block_tridiag;
pub mod diagnose;
pub(crate) mod fast_exp;
mod ll_substitution;
pub(crate) mod logthomas;
mod march;
pub(crate) mod newton;
pub mod rigorous;
pub mod robust_gen;
pub mod rows;
mod sf_log;
mod sf_newton;
pub(crate) mod simd;
mod substitution;
pub(crate) mod tearing;
mod transient;

use ndarray::Array2;
use serde::Serialize;

use crate::cascade::{Layout, Outlet, Phase, StreamKind};
use crate::chemistry::SeparationFactorKernel;
pub use crate::model::options::{
    default_iterations, SolverOptions, SolverOptionsBuilder, DEFAULT_MAX_ITERATIONS,
    MAX_ITERATIONS_LIMIT, MAX_ROWS_LIMIT,
};
use crate::model::{Cascade, StageFlows};
pub use newton::{NewtonOptions, NewtonReport, Workspace};

/// `ln` of an aqueous amount below which the continuation in beta solves
/// the stage balances in logarithms ([`sf_log`]): `exp(-600)` is 1e-261, a
/// margin above the subnormal range (`exp(-708)`) where the plain
/// balances lose their digits.
const DEEP_TRACE: f64 = -600.0;

/// Most pseudo-arclength steps of one continuation in beta (a guard: the
/// hardest random cascades take under 200).
const MAX_ARC_STEPS: usize = 2000;

/// Most Newton iterations of the polish of a separation-factor solution
/// whose whole-cascade balances miss the tolerance (the polish itself
/// takes at most three full steps).
const POLISH_ITERATIONS: usize = 4;

/// Most iterations of the pseudo-transient continuation on the log-form
/// kernel tried before the arclength in logarithms, where the steps in
/// beta have failed below the range of a double (the arclength follows
/// the front where the continuation fails, but more slowly where it
/// converges: CLI check separation-factor 23360 1,928 iterations against
/// 648, 20649 1,961 against 699).
const PTC_FIRST: usize = 1000;

/// Share of the length that last failed at which a step of the
/// arclength in logarithms forgets it (grown to the geometric mean of
/// its length and the failed one until then).
const GROWN_BACK: f64 = 0.9;

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Status {
    /// The residual met the tolerance.
    Converged,
    /// The iteration (or row) limit was reached first.
    MaxIterations,
    /// The iteration broke down (singular Jacobian, no descent, non-finite
    /// values).
    Diverged,
}

impl Status {
    /// Name in JSON and CSV output, as serialised (`converged`,
    /// `max-iterations`, `diverged`).
    pub fn name(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::MaxIterations => "max-iterations",
            Status::Diverged => "diverged",
        }
    }

    /// Lower-case words for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::MaxIterations => "did not converge (iteration limit reached)",
            Status::Diverged => "did not converge (iteration broke down)",
        }
    }
}

/// Which algorithm produced a solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Method {
    /// Damped Newton on the stage balances.
    Newton,
    /// Start-up dynamics, row by row, from empty stages.
    Rows,
    /// Start-up dynamics of a rigorous model (`mass-action`,
    /// `log-linear`) from empty stages, by implicit time steps finished by
    /// Newton once near the steady state ([`Solver::start_up`]).
    StartUp,
}

/// A steady state (or the last iterate of a solve that failed).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Solution {
    /// How the solve ended.
    pub status: Status,
    /// Algorithm used.
    pub method: Method,
    /// Newton iterations (all continuation steps; for [`Method::StartUp`]
    /// those of the implicit steps too), or rows for [`Method::Rows`].
    pub iterations: usize,
    /// Continuation steps in beta (Newton on the separation-factor model).
    pub continuation_steps: usize,
    /// Largest relative stage imbalance.
    pub residual: f64,
    /// 0-based stage and component (or quantity) of the largest imbalance.
    pub worst: (usize, usize),
    /// Amount of each component leaving each stage in the aqueous phase
    /// (mol per unit time), shape `(N, K)`.
    pub aqueous: Array2<f64>,
    /// Amount leaving in the organic phase, shape `(N, K)`.
    pub organic: Array2<f64>,
    /// Free `[H+]` (mol/L) of each stage's aqueous, for the models that
    /// track acidity (`mass-action`, `log-linear`); `None` otherwise.
    pub acidity: Option<Vec<f64>>,
    /// Other species per stage for the rigorous models (free extractant,
    /// counter-ion, anion); `None` otherwise.
    pub species: Option<rigorous::StageSpecies>,
}

/// Composition of one outlet stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamResult {
    /// Which stream.
    pub kind: StreamKind,
    /// Its phase.
    pub phase: Phase,
    /// 0-based stage it leaves.
    pub stage: usize,
    /// Flow of each component (mol per unit time).
    pub amount: Vec<f64>,
    /// Concentration of each component (mol/L), volumetric models.
    pub concentration: Option<Vec<f64>>,
    /// Share of each component in the stream.
    pub purity: Vec<f64>,
    /// Share of each component's feed leaving in this stream.
    pub recovery: Vec<f64>,
}

/// Where two solutions of one cascade lie farthest apart
/// ([`Solution::farthest_from`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Apart {
    /// The difference of the amounts, relative to the component's feed.
    pub relative: f64,
    /// 0-based stage.
    pub stage: usize,
    /// Component index.
    pub component: usize,
    /// The phase leaving that stage.
    pub phase: Phase,
}

impl Solution {
    /// Whether the solve converged.
    pub fn converged(&self) -> bool {
        self.status == Status::Converged
    }

    /// How far this solution lies from `other` (of the same cascade, by
    /// another method: [`Solver::start_up`] against [`Solver::solve`]):
    /// the largest difference of a component's amount leaving a stage, in
    /// either phase, relative to that component's feed `feed`
    /// ([`Cascade::feed_amount`]), and where. `None` where the two
    /// profiles differ in shape or hold no amount.
    pub fn farthest_from(&self, other: &Solution, feed: &[f64]) -> Option<Apart> {
        if self.aqueous.dim() != other.aqueous.dim() || self.organic.dim() != other.organic.dim() {
            return None;
        }
        let mut far: Option<Apart> = None;
        for (phase, (a, b)) in [
            (Phase::Aqueous, (&self.aqueous, &other.aqueous)),
            (Phase::Organic, (&self.organic, &other.organic)),
        ] {
            for ((stage, component), &v) in a.indexed_iter() {
                let relative = (v - b[[stage, component]]).abs() / feed[component];
                // (0 / 0, the same zero amount of an unfed component, is
                // no difference)
                if far.is_none_or(|f| relative > f.relative) && !relative.is_nan() {
                    far = Some(Apart {
                        relative,
                        stage,
                        component,
                        phase,
                    });
                }
            }
        }
        far
    }

    /// What [`Solution::worst`] points at, in words: `component Nd` for a
    /// metal's balance, or for the models that track acidity the stage
    /// equation past the metals' (mass action: the acid, that is the
    /// exchangeable hydrogen, then the counter-ion when the extractant is
    /// saponified, then the extractant balance; log-linear: the acid, then
    /// the extractant balance).
    pub fn worst_quantity(&self, c: &Cascade) -> String {
        let names = c.components();
        let q = self.worst.1;
        if let Some(name) = names.get(q) {
            return format!("component {name}");
        }
        let ion = match &c.spec().chemistry {
            crate::model::ChemistrySpec::MassAction(m) => {
                (m.saponification > 0.0).then_some(m.counter_ion.name())
            }
            _ => None,
        };
        match (q - names.len(), ion) {
            (0, _) => "the acid balance (H+ and the extractant's exchangeable H)".to_string(),
            (1, Some(ion)) => format!("the counter-ion ({ion}) balance"),
            _ => "the extractant balance (free and loaded)".to_string(),
        }
    }

    /// The composition of outlet stream `kind`, or `None` if the cascade has
    /// no such stream.
    pub fn stream(&self, cascade: &Cascade, kind: StreamKind) -> Option<StreamResult> {
        let outlet = cascade
            .layout()
            .outlets()
            .into_iter()
            .find(|o| o.kind == kind)?;
        Some(self.outlet(cascade, &outlet))
    }

    /// All outlet streams of the cascade, raffinate first.
    pub fn streams(&self, cascade: &Cascade) -> Vec<StreamResult> {
        cascade
            .layout()
            .outlets()
            .iter()
            .map(|o| self.outlet(cascade, o))
            .collect()
    }

    fn outlet(&self, cascade: &Cascade, o: &Outlet) -> StreamResult {
        let src = match o.phase {
            Phase::Aqueous => &self.aqueous,
            Phase::Organic => &self.organic,
        };
        // the stage's outflow less any side draw from it
        let pass = cascade.pass_fraction(o.phase, o.stage);
        let amount: Vec<f64> = src.row(o.stage).iter().map(|a| pass * a).collect();
        self.stream_result(cascade, o, amount)
    }

    /// The side draws of the cascade (`[[draw]]`), by name, in file order.
    pub fn draws(&self, cascade: &Cascade) -> Vec<(String, StreamResult)> {
        let Some(pass) = cascade.pass() else {
            return Vec::new();
        };
        cascade
            .draws()
            .iter()
            .zip(&pass.share)
            .map(|(d, &share)| {
                let src = match d.phase {
                    Phase::Aqueous => &self.aqueous,
                    Phase::Organic => &self.organic,
                };
                // the fraction of the stage's phase withdrawn, as in the
                // stage balances the solver closed
                let amount = src.row(d.stage).iter().map(|a| share * a).collect();
                let o = Outlet {
                    kind: StreamKind::Draw,
                    phase: d.phase,
                    stage: d.stage,
                };
                (d.name.clone(), self.stream_result(cascade, &o, amount))
            })
            .collect()
    }

    /// A stream of the phase `o.phase` leaving its stage, carrying `amount`.
    fn stream_result(&self, cascade: &Cascade, o: &Outlet, amount: Vec<f64>) -> StreamResult {
        let total: f64 = amount.iter().sum();
        let purity = amount
            .iter()
            .map(|a| if total > 0.0 { a / total } else { 0.0 })
            .collect();
        let recovery = amount
            .iter()
            .zip(cascade.inflow_amount())
            .map(|(a, f)| if *f > 0.0 { a / f } else { 0.0 })
            .collect();
        let concentration = match cascade.flows() {
            StageFlows::Volumes { aqueous, organic } => {
                let v = match o.phase {
                    Phase::Aqueous => aqueous[o.stage],
                    Phase::Organic => organic[o.stage],
                };
                // the composition of the stage's phase: any share of it
                // (outlet past a draw, or the draw) has the same
                let src = match o.phase {
                    Phase::Aqueous => &self.aqueous,
                    Phase::Organic => &self.organic,
                };
                Some(src.row(o.stage).iter().map(|a| a / v).collect())
            }
            StageFlows::Amounts { .. } => None,
        };
        StreamResult {
            kind: o.kind,
            phase: o.phase,
            stage: o.stage,
            amount,
            concentration,
            purity,
            recovery,
        }
    }

    /// Concentrations leaving each stage (aqueous, organic), shape `(N, K)`,
    /// for volumetric models.
    pub fn concentrations(&self, cascade: &Cascade) -> Option<(Array2<f64>, Array2<f64>)> {
        let StageFlows::Volumes { aqueous, organic } = cascade.flows() else {
            return None;
        };
        let mut x = self.aqueous.clone();
        let mut y = self.organic.clone();
        for (j, (a, o)) in aqueous.iter().zip(organic).enumerate() {
            x.row_mut(j).mapv_inplace(|v| v / a);
            y.row_mut(j).mapv_inplace(|v| v / o);
        }
        Some((x, y))
    }

    /// For each component, total outflow minus total inflow (the feed and
    /// every other inlet), relative to the inflow (zero when the steady
    /// state closes the mass balance).
    pub fn balance_error(&self, cascade: &Cascade) -> Vec<f64> {
        let mut outs = self.streams(cascade);
        outs.extend(self.draws(cascade).into_iter().map(|(_, s)| s));
        cascade
            .inflow_amount()
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let out: f64 = outs.iter().map(|s| s.amount[k]).sum();
                if *f > 0.0 {
                    (out - f) / f
                } else {
                    out
                }
            })
            .collect()
    }
}

/// Reusable steady-state solver: keeps its workspace between solves so that
/// repeated solves (sweeps, optimisation, benchmarks) allocate only their
/// results.
#[derive(Debug, Default)]
pub struct Solver {
    ws: Option<Workspace>,
    // pass fractions of the side draws of the cascade being solved, handed
    // to the workspace with it
    pass: Option<crate::cascade::draw::Pass>,
    // buffers of the specialised separation-factor Newton
    sf: sf_newton::SfWorkspace,
    // and of the separation-factor solve around it
    sfb: SfBuffers,
}

impl Solver {
    /// A solver with no workspace yet (sized on first use).
    pub fn new() -> Self {
        Solver {
            ws: None,
            pass: None,
            sf: sf_newton::SfWorkspace::default(),
            sfb: SfBuffers::default(),
        }
    }

    fn workspace(&mut self, n: usize, nv: usize, nq: usize) -> &mut Workspace {
        if !self.ws.as_ref().is_some_and(|w| w.fits(n, nv, nq)) {
            self.ws = Some(Workspace::new(n, nv, nq));
        }
        let ws = self.ws.as_mut().expect("just created");
        ws.set_pass(
            self.pass
                .as_ref()
                .filter(|p| p.aqueous.len() == n)
                .map(|p| (&p.aqueous[..], &p.organic[..])),
        );
        ws
    }

    /// Steady state by Newton from a cold start.
    pub fn solve(&mut self, cascade: &Cascade) -> Solution {
        self.solve_impl(cascade, None)
    }

    /// Steady state of a `mass-action` or `log-linear` cascade by its
    /// start-up dynamics from empty stages: implicit-Euler steps (each
    /// stage's step grown as its balances settle), with Newton on the
    /// steady state tried once the start-up nears it, within the cascade's
    /// iteration budget, and none of the starts, stage-count ladder or
    /// walks of [`Solver::solve`]. An independent path to the steady state,
    /// as [`rows::solve_rows`] is for the separation-factor model: where
    /// both converge they reach the same steady state. Slower than
    /// [`Solver::solve`]: over robustness seeds 0-1999 (`cargo run
    /// --release --example robustness -- start-up mass-action 2000`) about
    /// 17 times the iterations and 36 times the time for mass-action, 11
    /// and 35 for log-linear, and it fails on a few cascades that the
    /// usual solve converges (log-linear 366 and 663 of those 2,000).
    /// `None` for the other models.
    pub fn start_up(&mut self, cascade: &Cascade) -> Option<Solution> {
        self.pass = cascade.pass().cloned();
        rigorous::solve_start_up(self, cascade)
    }

    /// Steady state by Newton, starting from a previous solution (of this or
    /// a similar cascade; if the stage counts differ, the previous profile is
    /// resampled by relative position along the cascade and rescaled to the
    /// new stage flows). Falls back to a cold start if the warm start does not
    /// converge. Separation-factor models use the warm start, except where
    /// the exact marched profile applies (two to eight components, no strip
    /// section or side draws: `tearing::march_2`, `march::march_k`), which
    /// is taken first; the other models start cold (constant D needs no
    /// start).
    pub fn solve_from(&mut self, cascade: &Cascade, start: &Solution) -> Solution {
        self.solve_impl(cascade, Some(start))
    }

    fn solve_impl(&mut self, cascade: &Cascade, start: Option<&Solution>) -> Solution {
        self.pass = cascade.pass().cloned();
        match &cascade.spec().chemistry {
            crate::model::ChemistrySpec::MassAction(m) => {
                return rigorous::solve_mass_action(self, cascade, m)
            }
            crate::model::ChemistrySpec::LogLinear(m) => {
                return rigorous::solve_log_linear(self, cascade, m)
            }
            _ => {}
        }
        match cascade.flows() {
            StageFlows::Volumes { aqueous, organic } => {
                self.solve_constant_d(cascade, aqueous.clone(), organic.clone())
            }
            StageFlows::Amounts {
                organic, aqueous, ..
            } => self.solve_separation_factor(cascade, organic, aqueous, start),
        }
    }

    /// Constant D: the components decouple into linear tridiagonal
    /// systems, solved exactly in logarithms ([`logthomas`]), so amounts
    /// below the range of a double neither underflow inside the solve nor
    /// spoil the convergence test.
    fn solve_constant_d(&mut self, c: &Cascade, aq: Vec<f64>, org: Vec<f64>) -> Solution {
        let (n, k) = (c.n_stages(), c.n_components());
        let d = c.stage_d().expect("volumetric constant-d model");
        let layout = c.layout();
        let links: Vec<bool> = (0..n).map(|j| layout.aqueous_link(j)).collect();
        let lq: Vec<f64> = aq.iter().map(|a| a.ln()).collect();
        let mut lo = vec![0.0; n];
        let mut lf = vec![f64::NEG_INFINITY; n];
        let (mut lx, mut lm) = (vec![0.0; n], vec![0.0; n]);
        // the feed and every inlet that carries metal (organic into stage 1,
        // scrub and strip solutions) enter as external amounts
        let mut feed = Array2::zeros((n, k));
        feed.row_mut(layout.feed_stage())
            .assign(&ndarray::ArrayView1::from(c.feed_amount()));
        add_inlets(c, &mut feed, None);
        let mut aqueous = Array2::zeros((n, k));
        let mut organic = Array2::zeros((n, k));
        let (mut residual, mut worst) = (0.0f64, (0, 0));
        for q in 0..k {
            for j in 0..n {
                lo[j] = (org[j] * d[j * k + q]).ln();
            }
            for j in 0..n {
                lf[j] = feed[[j, q]].ln();
            }
            let sys = logthomas::LogSystem {
                lo: &lo,
                lq: &lq,
                lf: &lf,
                links: &links,
            };
            let pass = c.pass().map(|p| (&p.aqueous[..], &p.organic[..]));
            logthomas::solve_with_pass(sys, pass, &mut lx, &mut lm);
            let (r, at) = logthomas::residual_with_pass(sys, pass, &lx);
            if r > residual || r.is_nan() {
                residual = if r.is_nan() { f64::INFINITY } else { r };
                worst = (at, q);
            }
            for j in 0..n {
                aqueous[[j, q]] = (lq[j] + lx[j]).exp();
                organic[[j, q]] = (lo[j] + lx[j]).exp();
            }
        }
        // A component extracted on one side of a section boundary and
        // stripped back on the other can circulate at a multiple of its
        // feed beyond the range of a double: the steady state exists in
        // logarithms but not as amounts, so it is no result (the report
        // says why, from the first stage that overflows).
        let beyond = (0..n)
            .flat_map(|j| (0..k).map(move |q| (j, q)))
            .find(|&(j, q)| !(aqueous[[j, q]].is_finite() && organic[[j, q]].is_finite()));
        if let Some(at) = beyond {
            residual = f64::INFINITY;
            worst = at;
        }
        let tol = c.solver_options().tolerance;
        Solution {
            status: if residual <= tol.max(1e-13) {
                Status::Converged
            } else {
                Status::Diverged
            },
            method: Method::Newton,
            iterations: 1.min(c.solver_options().max_iterations),
            continuation_steps: 0,
            residual,
            worst,
            aqueous,
            organic,
            acidity: None,
            species: None,
        }
    }

    fn solve_separation_factor(
        &mut self,
        c: &Cascade,
        org_flow: &[f64],
        aq_tot: &[f64],
        start: Option<&Solution>,
    ) -> Solution {
        let crate::model::ChemistrySpec::SeparationFactor(crate::model::SeparationFactorSpec {
            beta,
        }) = &c.spec().chemistry
        else {
            unreachable!("amount flows belong to the separation-factor model")
        };
        let layout = *c.layout();
        let n = layout.stages();
        let k = c.n_components();
        // the buffers kept between solves, taken out for this one
        let mut bufs = std::mem::take(&mut self.sfb);
        let SfBuffers {
            active,
            z,
            lb,
            b,
            fa,
            bfull,
            links,
            feed,
            u: u_buf,
            tear: tear_ws,
        } = &mut bufs;
        // Components absent from the feed are absent everywhere.
        active.clear();
        active.extend((0..k).filter(|&i| c.feed_amount()[i] > 0.0));
        let active = &active[..];
        let ka = active.len();
        let f_tot: f64 = c.feed_amount().iter().sum();
        z.clear();
        z.extend(active.iter().map(|&i| c.feed_amount()[i] / f_tot));
        // beta normalised by its geometric mean, for the continuation beta^s
        lb.clear();
        lb.extend(active.iter().map(|&i| beta[i].ln()));
        let mean = lb.iter().sum::<f64>() / ka as f64;
        for v in lb.iter_mut() {
            *v -= mean;
        }
        let lb = &lb[..];
        links.clear();
        links.extend((0..n).map(|j| layout.aqueous_link(j)));
        let links = &links[..];
        if feed.dim() == (n, ka) {
            feed.fill(0.0);
        } else {
            *feed = Array2::zeros((n, ka));
        }
        for (q, &i) in active.iter().enumerate() {
            feed[[layout.feed_stage(), q]] = c.feed_amount()[i];
        }
        let feed = &*feed;
        let opts = *c.solver_options();
        let mut sf_ws = std::mem::take(&mut self.sf);
        let ws = self.workspace(n, ka, ka);
        ws.set_pass(c.pass().map(|p| (&p.aqueous[..], &p.organic[..])));
        let mut total_it = 0;
        let mut steps = 0;
        let beta_at = |s: f64, out: &mut Vec<f64>| {
            out.clear();
            out.extend(lb.iter().map(|l| (s * l).exp()));
        };
        fa.clear();
        fa.extend(active.iter().map(|&i| c.feed_amount()[i]));
        let fa = &fa[..];
        beta_at(1.0, b);

        let mut result: Option<(Array2<f64>, NewtonReport)> = None;
        let newton_opts = |budget: usize, tol: f64| NewtonOptions {
            tolerance: tol,
            max_iterations: budget,
            ..NewtonOptions::default()
        };
        let pass = c.pass().map(|p| (&p.aqueous[..], &p.organic[..]));
        // the general kernel, built where there is no specialised one
        let mut general: Option<SeparationFactorKernel> = None;
        // Newton on the stage balances at the extractabilities `beta`: the
        // kernel specialised by the component count where there is one,
        // else the general one
        let mut newton =
            |beta: &[f64], u: &mut Array2<f64>, ws: &mut Workspace, nopts: &NewtonOptions| {
                if sf_newton::supports(ka) {
                    let prob = sf_newton::SfProblem {
                        beta,
                        org_flow,
                        links,
                        feed,
                        pass,
                    };
                    sf_newton::solve(&prob, u, &mut sf_ws, nopts)
                } else {
                    let kernel = general.get_or_insert_with(|| {
                        SeparationFactorKernel::new(vec![1.0; ka], org_flow.to_vec())
                    });
                    kernel.set_beta(beta);
                    newton::solve(&*kernel, links, feed, u, ws, nopts)
                }
            };
        bfull.clear();
        bfull.extend(active.iter().map(|&i| beta[i]));
        let bfull = &bfull[..];
        // two to eight components without strip section or side draws: the
        // exact profile by marching from both ends
        let march = |u: &mut Array2<f64>, ws: &mut tearing::TearWorkspace| {
            pass.is_none()
                && (tearing::march_2(&layout, bfull, fa, org_flow, aq_tot, ws, u)
                    || march::march_k(&layout, bfull, fa, org_flow, aq_tot, ws, u))
        };
        // whether the march was taken (at 1., so 2. does not repeat it)
        let mut marched = false;
        // 1. From a previous solution: the marched profile where the march
        //    applies, else the warm start (in the kept array, which goes
        //    back to the buffers unless it is the result).
        if let Some(prev) = start {
            let mut u = std::mem::take(u_buf);
            marched = march(&mut u, tear_ws);
            let budget = if marched {
                opts.max_iterations.min(40)
            } else {
                warm_start(prev, &layout, active, aq_tot, &mut u);
                opts.max_iterations.min(30)
            };
            let rep = newton(b, &mut u, ws, &newton_opts(budget, opts.tolerance));
            total_it += rep.iterations;
            if rep.status == Status::Converged {
                result = Some((u, rep));
            } else {
                *u_buf = u;
            }
        }
        // 2. Tearing fixed point for a start close to the steady state, then Newton.
        let mut tear = |u: &mut Array2<f64>| {
            if marched || !march(u, tear_ws) {
                tearing::fixed_point(&layout, bfull, fa, org_flow, aq_tot, 300, 1e-3, tear_ws, u)
            }
        };
        if result.is_none() {
            let mut u = std::mem::take(u_buf);
            tear(&mut u);
            let budget = opts.max_iterations.saturating_sub(total_it).min(40);
            let rep = newton(b, &mut u, ws, &newton_opts(budget, opts.tolerance));
            total_it += rep.iterations;
            if rep.status == Status::Converged {
                result = Some((u, rep));
            } else {
                *u_buf = u;
            }
        }
        // 3. Continuation in beta from the exact flat profile at s = 0.
        //    Where the steps in s stall (a composition front crossing a
        //    section for a tiny change of beta: the path is nearly vertical
        //    in s), pseudo-arclength steps follow the path along the front
        //    ([`sf_newton::arc_step`]; where traces near the bottom of the
        //    double range, on the kernel whose balances are written in
        //    logarithms, [`newton::arc_corrector`]).
        if result.is_none() {
            let mut s = 0.0;
            // the flat profile, exact at s = 0 (built only when needed)
            let mut u = Array2::from_shape_fn((n, ka), |(j, q)| (aq_tot[j] * z[q]).ln());
            let mut prev: Option<(f64, Array2<f64>)> = None;
            let mut ds: f64 = 0.25;
            let cont_budget = total_it + opts.max_iterations.saturating_sub(total_it) / 2;
            let mut trial = Array2::zeros((n, ka));
            let mut log_kernel = sf_log::LogSeparationFactorKernel::new(ka, org_flow.to_vec());
            // pseudo-arclength step length, once the steps in s stall
            let mut arc: Option<f64> = None;
            // once left for deep traces, the steps in s that stall again
            // go on along the arclength in logarithms
            let mut left_for_deep = false;
            let mut log_arc = false;
            // the arclength in logarithms' last failed length
            let mut arc_failed = f64::INFINITY;
            // the general kernel of the arclength on amounts, for more
            // components than the specialised kernels take
            let mut arc_kernel: Option<SeparationFactorKernel> = None;
            let mut arc_steps = 0;
            let path = sf_newton::ArcPath {
                lb,
                org_flow,
                links,
                feed,
                pass,
            };
            let mut tangent = Array2::zeros((n, ka));
            let mut arc_ws = sf_newton::SfWorkspace::default();
            loop {
                if let (Some(h), Some((sp, up))) = (arc, &prev) {
                    arc_steps += 1;
                    if arc_steps > MAX_ARC_STEPS {
                        break;
                    }
                    // unit secant tangent of the last two points on the path
                    tangent.assign(&u);
                    tangent -= up;
                    let ts = s - sp;
                    let norm = (tangent.iter().map(|v| v * v).sum::<f64>() / (n * ka) as f64
                        + ts * ts)
                        .sqrt();
                    if !norm.is_finite() || norm <= 0.0 {
                        break;
                    }
                    tangent /= norm;
                    let ts = ts / norm;
                    let budget = cont_budget.saturating_sub(total_it).min(12);
                    let s_pred = s + h * ts;
                    // traces near the bottom of the double range at the
                    // predicted point
                    let deep = u
                        .iter()
                        .zip(&tangent)
                        .any(|(&a, &d)| a + h * d < DEEP_TRACE);
                    if deep && !log_arc && s_pred < 1.0 {
                        // first back to steps in s, whose balances go to
                        // logarithms there; the arclength in logarithms is
                        // for where those stall too
                        arc = None;
                        left_for_deep = true;
                        ds = (s - sp).max(1e-4);
                        continue;
                    }
                    let end = s_pred >= 1.0;
                    let (rep, s_new) = if end {
                        // the end of the path: along the tangent to s = 1,
                        // then Newton at the full beta
                        let f = (1.0 - s) / ts;
                        ndarray::Zip::from(&mut trial)
                            .and(&u)
                            .and(&tangent)
                            .for_each(|t, &a, &d| *t = a + f * d);
                        beta_at(1.0, b);
                        let budget = cont_budget.saturating_sub(total_it).min(40);
                        let nopts = newton_opts(budget, opts.tolerance);
                        if log_arc && trial.iter().any(|&v| v < DEEP_TRACE) {
                            log_kernel.set_beta(b);
                            ws.set_log_balances(true);
                            let rep =
                                newton::solve(&log_kernel, links, feed, &mut trial, ws, &nopts);
                            (rep, 1.0)
                        } else {
                            (newton(b, &mut trial, ws, &nopts), 1.0)
                        }
                    } else {
                        ndarray::Zip::from(&mut trial)
                            .and(&u)
                            .and(&tangent)
                            .for_each(|t, &a, &d| *t = a + h * d);
                        let mut s_new = s_pred;
                        let nopts = newton_opts(budget, opts.tolerance.max(1e-7));
                        let in_logs = log_arc && (deep || u.iter().any(|&a| a < DEEP_TRACE));
                        let rep = if !in_logs && sf_newton::supports(ka) {
                            sf_newton::arc_step(
                                &path,
                                &mut trial,
                                &mut s_new,
                                (&u, s),
                                (&tangent, ts),
                                h,
                                &mut arc_ws,
                                &nopts,
                            )
                        } else if in_logs {
                            // the corrector on the kernel whose balances
                            // are written in logarithms
                            ws.set_log_balances(true);
                            let set =
                                |k: &mut sf_log::LogSeparationFactorKernel, s| k.set_path(lb, s);
                            let point = (&mut trial, &mut s_new);
                            let arc = ((&u, s), (&tangent, ts), h);
                            newton::arc_corrector(
                                &mut log_kernel,
                                set,
                                links,
                                feed,
                                point,
                                arc,
                                ws,
                                &nopts,
                            )
                        } else {
                            // more components than the specialised
                            // kernels take: the general one on amounts
                            let ker = arc_kernel.get_or_insert_with(|| {
                                SeparationFactorKernel::new(vec![1.0; ka], org_flow.to_vec())
                            });
                            ws.set_log_balances(false);
                            let set = |k: &mut SeparationFactorKernel, s| k.set_path(lb, s);
                            let point = (&mut trial, &mut s_new);
                            let arc = ((&u, s), (&tangent, ts), h);
                            newton::arc_corrector(ker, set, links, feed, point, arc, ws, &nopts)
                        };
                        (rep, s_new)
                    };
                    total_it += rep.iterations;
                    steps += 1;
                    // (the arclength condition keeps a converged point
                    // ahead on the path, though s may hardly move)
                    if rep.status == Status::Converged {
                        if end {
                            result = Some((trial.clone(), rep));
                            break;
                        }
                        prev = Some((s, std::mem::replace(&mut u, trial.clone())));
                        s = s_new;
                        let mut next = if rep.iterations <= 5 { 2.0 * h } else { h };
                        if log_arc {
                            // grown back onto the length that last failed:
                            // the geometric mean of the two (at 20291's
                            // front, 0.23 converged in 5 iterations and
                            // 0.46 failed, by turns, 40 times)
                            if next >= arc_failed && h < arc_failed {
                                next = (h * arc_failed).sqrt();
                            }
                            if h >= GROWN_BACK * arc_failed {
                                arc_failed = f64::INFINITY;
                            }
                        }
                        arc = Some(next);
                    } else {
                        if log_arc {
                            arc_failed = h;
                        }
                        arc = Some(0.5 * h);
                        if h < 1e-6 || total_it >= cont_budget {
                            // (a point short of s = 1 is no result)
                            break;
                        }
                    }
                    continue;
                }
                let s_try = (s + ds).min(1.0);
                let last = s_try >= 1.0;
                beta_at(s_try, b);
                trial.assign(&u);
                if let Some((sp, up)) = &prev {
                    let f = (s_try - s) / (s - sp);
                    ndarray::Zip::from(&mut trial)
                        .and(&u)
                        .and(up)
                        .for_each(|t, &a, &p| *t = a + f * (a - p));
                }
                // keep half of what is left for the pseudo-transient fallback
                let budget = cont_budget
                    .saturating_sub(total_it)
                    .min(if last { 40 } else { 12 });
                let tol = if last {
                    opts.tolerance
                } else {
                    opts.tolerance.max(1e-7)
                };
                // a trace near the bottom of the double range: balances in
                // logarithms, which neither underflow nor lose their digits
                let rep = if trial.iter().any(|&v| v < DEEP_TRACE) {
                    log_kernel.set_beta(b);
                    ws.set_log_balances(true);
                    let nopts = newton_opts(budget, tol);
                    newton::solve(&log_kernel, links, feed, &mut trial, ws, &nopts)
                } else {
                    newton(b, &mut trial, ws, &newton_opts(budget, tol))
                };
                total_it += rep.iterations;
                steps += 1;
                if rep.status == Status::Converged {
                    if last {
                        result = Some((trial.clone(), rep));
                        break;
                    }
                    prev = Some((s, std::mem::replace(&mut u, trial.clone())));
                    s = s_try;
                    if rep.iterations <= 4 {
                        ds *= 2.0;
                    }
                } else {
                    ds *= 0.5;
                    // the steps in s stall (a front crossing a section
                    // for a tiny change of beta): pseudo-arclength from
                    // the last two points, the first step as long as the
                    // last one taken; once left for deep traces, only
                    // where the steps in s have failed (the cascades those
                    // converge keep their path), and in logarithms
                    let stalled = if left_for_deep {
                        ds < 1e-5 && !log_arc && total_it < cont_budget
                    } else {
                        ds < 1e-2
                    };
                    if stalled {
                        if left_for_deep {
                            // the pseudo-transient continuation of 4.
                            // first, within [`PTC_FIRST`]: where it
                            // converges it is the faster
                            beta_at(1.0, b);
                            log_kernel.set_beta(b);
                            let mut v = Array2::zeros((n, ka));
                            tear(&mut v);
                            let budget = opts.max_iterations.saturating_sub(total_it);
                            let nopts = newton_opts(budget.min(PTC_FIRST), opts.tolerance);
                            ws.set_log_balances(true);
                            let rep = newton::solve_ptc(
                                &log_kernel,
                                links,
                                feed,
                                &mut v,
                                ws,
                                &nopts,
                                10.0,
                            );
                            total_it += rep.iterations;
                            if rep.status == Status::Converged {
                                result = Some((v, rep));
                                break;
                            }
                        }
                        log_arc = left_for_deep;
                        if let Some((sp, up)) = &prev {
                            let d2 = ndarray::Zip::from(&u)
                                .and(up)
                                .fold(0.0, |acc, &a, &p| acc + (a - p) * (a - p));
                            let ds2 = (s - sp) * (s - sp);
                            arc = Some((d2 / (n * ka) as f64 + ds2).sqrt());
                            continue;
                        }
                    }
                    if ds < 1e-5 || total_it >= cont_budget {
                        result = Some((trial.clone(), rep));
                        break;
                    }
                }
            }
        }
        // 4. Last resort: pseudo-transient continuation from the tearing
        //    start. It follows the physical transient, so a front that the
        //    continuation in beta cannot move travels stage by stage. The
        //    cascades that get here are long and sharp: the tearing start
        //    and the steady state hold traces below the double range, whose
        //    plain balances underflow (the transient then stalls at a
        //    relative residual of 1), so the balances are taken in
        //    logarithms first ([`sf_log`]), and plainly only if that fails.
        if !result
            .as_ref()
            .is_some_and(|r| r.1.status == Status::Converged)
        {
            beta_at(1.0, b);
            let kernel = SeparationFactorKernel::new(b.clone(), org_flow.to_vec());
            let mut log_kernel = sf_log::LogSeparationFactorKernel::new(ka, org_flow.to_vec());
            log_kernel.set_beta(b);
            for log in [true, false] {
                let mut u = Array2::zeros((n, ka));
                tear(&mut u);
                let budget = opts.max_iterations.saturating_sub(total_it);
                let nopts = newton_opts(budget, opts.tolerance);
                ws.set_log_balances(log);
                let rep = if log {
                    newton::solve_ptc(&log_kernel, links, feed, &mut u, ws, &nopts, 10.0)
                } else {
                    newton::solve_ptc(&kernel, links, feed, &mut u, ws, &nopts, 10.0)
                };
                ws.set_log_balances(false);
                total_it += rep.iterations;
                let done = rep.status == Status::Converged;
                if done || result.is_none() {
                    result = Some((u, rep));
                }
                if done {
                    break;
                }
            }
        }
        let (mut u, rep) = result.expect("set above");
        self.sf = sf_ws;
        let sf_out = (active, org_flow, bfull);
        let mut sol = self.sf_solution(c, &u, rep, (total_it, steps), sf_out);
        // the whole cascade's balances: a long section's stage rounding
        // adds up where the internal flows dwarf a product (CLI check
        // seed 26474: 4.8e-14 a stage, 7.2e-11 of La's inflow with a
        // raffinate 8,600 times under the organic flow; 26763 a recovery
        // of 1 + 1.8e-12 from the march alone). Where they miss the
        // tolerance, the general Newton's polish (full steps while they
        // fall, [`newton::solve`]) on the log-form kernel, kept only
        // where it converges and closes them better
        let miss = |sol: &Solution| {
            sol.balance_error(c)
                .iter()
                .fold(0.0f64, |m, e| m.max(e.abs()))
        };
        let before = miss(&sol);
        // (within the iterations left: a limit is kept exactly)
        let left = opts.max_iterations.saturating_sub(total_it);
        if sol.converged() && before > opts.tolerance && left > 0 {
            let mut log_kernel = sf_log::LogSeparationFactorKernel::new(ka, org_flow.to_vec());
            log_kernel.set_beta(bfull);
            let ws = self.workspace(n, ka, ka);
            ws.set_pass(pass);
            ws.set_log_balances(true);
            let mut v = u.clone();
            let nopts = newton_opts(POLISH_ITERATIONS.min(left), opts.tolerance);
            let r = newton::solve(&log_kernel, links, feed, &mut v, ws, &nopts);
            ws.set_log_balances(false);
            if r.status == Status::Converged {
                let its = (total_it + r.iterations, steps);
                let polished = self.sf_solution(c, &v, r, its, sf_out);
                if miss(&polished) < before {
                    sol = polished;
                    u = v;
                }
            }
        }
        self.workspace(n, ka, ka).set_pass(None);
        // the unknowns' array back to the buffers, for the next solve
        bufs.u = u;
        self.sfb = bufs;
        sol
    }

    /// The separation-factor solution at `u` (`ln` of the aqueous amounts
    /// of the components `active`), its outflows evaluated with the organic
    /// flows `org_flow` and the full beta `bfull` (of the active
    /// components), with the report `rep` and the iterations and
    /// continuation steps `its`.
    fn sf_solution(
        &self,
        c: &Cascade,
        u: &Array2<f64>,
        rep: NewtonReport,
        (iterations, steps): (usize, usize),
        (active, org_flow, bfull): (&[usize], &[f64], &[f64]),
    ) -> Solution {
        let (n, k) = (c.layout().stages(), c.n_components());
        let ka = active.len();
        let mut aqueous = Array2::zeros((n, k));
        let mut organic = Array2::zeros((n, k));
        // the specialised Newton's last amounts where it ended at `u` (the
        // same exponentials)
        let us = u.as_slice().expect("standard layout");
        let known = self.sf.amounts_at(us);
        for j in 0..n {
            let mut sum = 0.0;
            for (q, &i) in active.iter().enumerate() {
                let a = match known {
                    Some(a) => a[j * ka + q],
                    None => fast_exp::exp(us[j * ka + q]),
                };
                aqueous[[j, i]] = a;
                sum += bfull[q] * a;
            }
            for (q, &i) in active.iter().enumerate() {
                organic[[j, i]] = org_flow[j] * bfull[q] * aqueous[[j, i]] / sum;
            }
        }
        let worst = (rep.worst.0, active.get(rep.worst.1).copied().unwrap_or(0));
        Solution {
            status: rep.status,
            method: Method::Newton,
            iterations,
            continuation_steps: steps,
            residual: rep.residual,
            worst,
            aqueous,
            organic,
            acidity: None,
            species: None,
        }
    }
}

/// Adds the metals of the inlets other than the feed (organic into stage
/// 1, scrub into the last scrub stage, strip into stage N) to the stage
/// inflows `feed` (`(N, nq)`), for components `active` (all if `None`),
/// which give the columns.
pub(crate) fn add_inlets(c: &Cascade, feed: &mut Array2<f64>, active: Option<&[usize]>) {
    let layout = c.layout();
    let all: Vec<usize> = (0..c.n_components()).collect();
    let active = active.unwrap_or(&all);
    for (inlet, stage) in [
        (crate::model::Inlet::Organic, Some(0)),
        (crate::model::Inlet::Scrub, layout.scrub_stage()),
        (crate::model::Inlet::Strip, layout.strip_stage()),
    ] {
        let Some(stage) = stage else { continue };
        let amt = c.inlet_amount(inlet);
        for (q, &i) in active.iter().enumerate() {
            feed[[stage, q]] += amt[i];
        }
    }
}

/// Buffers of [`Solver::solve_separation_factor`] around its kernels,
/// kept by the solver between solves and sized on demand: a solve whose
/// Newton converges from the warm or the tearing start allocates only
/// its result once they have reached its cascade's size.
#[derive(Debug, Default)]
struct SfBuffers {
    /// the components present in the feed
    active: Vec<usize>,
    /// their feed fractions
    z: Vec<f64>,
    /// the logarithms of their beta, less their mean
    lb: Vec<f64>,
    /// beta at the current point of the continuation
    b: Vec<f64>,
    /// the feed amounts and the beta of the active components
    fa: Vec<f64>,
    bfull: Vec<f64>,
    links: Vec<bool>,
    feed: Array2<f64>,
    /// the unknowns of the warm or tearing start (the last solve's result)
    u: Array2<f64>,
    tear: tearing::TearWorkspace,
}

/// Log aqueous amounts (into `u`, shaped `(n, K)` if it is not) for a warm
/// start from `prev`, resampled by relative
/// position onto `layout` and rescaled to the stage RE totals `aq_tot`.
fn warm_start(
    prev: &Solution,
    layout: &Layout,
    active: &[usize],
    aq_tot: &[f64],
    u: &mut Array2<f64>,
) {
    let n = layout.stages();
    let ka = active.len();
    let pn = prev.aqueous.nrows();
    // previous layout is unknown here; map by relative position in the
    // cascade, keeping the feed stage aligned when the sizes agree
    if u.dim() != (n, ka) {
        *u = Array2::zeros((n, ka));
    }
    for j in 0..n {
        let pj = if pn == n {
            j
        } else {
            ((j as f64 + 0.5) * pn as f64 / n as f64).floor() as usize
        }
        .min(pn - 1);
        let row = prev.aqueous.row(pj);
        let tot: f64 = active.iter().map(|&i| row[i]).sum();
        for (q, &i) in active.iter().enumerate() {
            let frac = if tot > 0.0 {
                row[i] / tot
            } else {
                1.0 / ka as f64
            };
            let frac = if frac > 0.0 { frac } else { 1e-300 };
            u[[j, q]] = (aq_tot[j] * frac).ln();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CascadeSpec;

    /// [`Solution::farthest_from`] names the largest difference relative
    /// to the component's feed, not the largest in absolute terms, in
    /// either phase, and nothing between profiles of other shapes.
    #[test]
    fn the_farthest_difference_is_relative_to_the_feed() {
        let c = CascadeSpec::separation_factor("t", &["Pr", "Nd"], &[1.0, 1.5])
            .with_stages(10, 10, 0)
            .with_feed_amounts(&[0.1, 0.9])
            .with_amounts(1.2, 0.5)
            .build()
            .unwrap();
        let a = Solver::new().solve(&c);
        assert!(a.converged());
        let mut b = a.clone();
        // 1e-6 of Nd's feed in the aqueous, 1e-5 of Pr's (a smaller amount)
        b.aqueous[[3, 1]] += 0.9e-6;
        b.organic[[12, 0]] -= 1e-6;
        let far = a.farthest_from(&b, c.feed_amount()).unwrap();
        assert_eq!(
            (far.stage, far.component, far.phase),
            (12, 0, Phase::Organic)
        );
        assert!((far.relative / 1e-5 - 1.0).abs() < 1e-6, "{}", far.relative);
        assert_eq!(a.farthest_from(&a, c.feed_amount()).unwrap().relative, 0.0);
        b.aqueous = Array2::zeros((3, 2));
        assert_eq!(a.farthest_from(&b, c.feed_amount()), None);
    }
}
