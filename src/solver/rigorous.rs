//! Steady state of the rigorous chemistry models (`mass-action`,
//! `log-linear`): stage inflows of every conserved quantity, a cold start,
//! Newton, and a continuation when the cold start fails.
//!
//! A mass-action cascade with an aqueous feed starts from the
//! separation-factor solution of the same cascade (beta_k = K_k, organic
//! loading from the saponification, reflux from the scrub acid), with each
//! stage's free extractant from the extractant balance, its acidity from the
//! major metal's D, and the strip section and the counter-ion from their
//! (then linear) balances. If Newton fails from there, successive
//! substitution with exact stage equilibria ([`super::substitution`])
//! moves the loading fronts into place and Newton finishes. Otherwise, or
//! if that fails too, the
//! cold start fixes each stage's acidity at its section's acid (feed,
//! scrub or strip), the free extractant at a half-loaded guess, and solves
//! the then linear metal balances exactly (one tridiagonal solve per metal).
//! If Newton from there fails, a log-linear cascade goes on to a
//! continuation in extraction strength that
//! starts from weak, equal extraction of every metal (`ln D_k` shifted to a
//! common value with extraction factor about 0.01, where the profile is
//! nearly flat and the acid/counter-ion chemistry alone decides the state)
//! and restores the specified constants step by step; a mass-action
//! cascade to the start-up dynamics.

use ndarray::Array2;

use super::newton::{self, NewtonOptions, NewtonReport};
use super::substitution::{charged, sweeps_left, MAX_EVALUATIONS};
use super::tearing::bisect;
use super::{Method, Solution, Solver, Status};
use crate::cascade::{Layout, Phase, Section};
use crate::chemistry::log_linear::DistributionLaw;
use crate::chemistry::{Equilibrium, LogLinearKernel, MassActionKernel};
use crate::model::rigorous::{AqueousStreams, LogLinearSpec, MassActionSpec};
use crate::model::{Cascade, StageFlows};

/// Species other than the metals in every stage (mol/L), for the rigorous
/// models.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSpecies {
    /// Free extractant in the organic, mol/L of HA units (`2 [(HA)2]` in
    /// the mass-action model, `C_free` in the log-linear model).
    pub free_extractant: Vec<f64>,
    /// Counter-ion (NH4+ or Na+) in the aqueous (zeros without
    /// saponification).
    pub counter_ion: Vec<f64>,
    /// Counter-ion held by the organic as `NA` (zeros without
    /// saponification).
    pub organic_counter_ion: Vec<f64>,
    /// Inert anion of the aqueous, charge equivalents per litre: chloride
    /// or nitrate from electroneutrality (mass-action), or total sulfate
    /// (log-linear).
    pub anion: Vec<f64>,
    /// `ln [H+]` of every stage's aqueous, as the solve holds it: finite
    /// where [`Solution::acidity`] underflows a double (a net-basic stage's
    /// acidity can fall below 1e-308 mol/L), so that its pH is still read.
    pub ln_acidity: Vec<f64>,
    /// `ln` of [`StageSpecies::free_extractant`], likewise finite where the
    /// free extractant underflows.
    pub ln_free_extractant: Vec<f64>,
}

/// What the continuation needs from a rigorous kernel.
trait Rigorous: Equilibrium {
    fn n_metals(&self) -> usize;
    /// The unknowns that a section's inflows set (the acid and the free
    /// extractant), which a stage inserted into a profile copies
    /// ([`inserted`]).
    fn held(&self) -> [usize; 2];
    /// The unknown that each section's own inlets set beyond the section
    /// it crosses (a saponified extractant's counter-ion, which the scrub
    /// and strip carry at their inlets' trace, [`TRACE_ION`]): a stretch
    /// of stages inserted up the stage-count ladder ([`ladder_start`])
    /// moves it only within its own section. `None`: no such unknown.
    fn section_set(&self) -> Option<usize> {
        None
    }
    fn shift(&mut self, s: &[f64]);
    fn dist(&self, u: &[f64], out: &mut [f64]);
    /// Fills in unknowns with linear balances once the metals are set.
    fn refine_start(&self, _p: &Problem, _u: &mut Array2<f64>) {}
    /// When the pseudo-transient continuation from the cold start
    /// ([`run_stages`]) gives up before its budget; `None`: never.
    fn ptc_stall(&self) -> Option<newton::PtcStall> {
        None
    }
    /// Whether [`run_stages`] goes on to the continuation in extraction
    /// strength when its pseudo-transient continuation fails.
    fn strength_continuation(&self) -> bool {
        true
    }
    /// [`super::transient::TransientOptions::plain_when_unmoved`] for
    /// this kernel's start-ups.
    fn plain_when_unmoved(&self) -> bool {
        false
    }
    /// Projects each stage of `u` whose extractant balance
    /// [`Equilibrium::project`] left without a root onto the root above
    /// the balance's least, where there is one
    /// ([`LogLinearKernel::root_above_least`]); whether any stage changed.
    fn above_least(&self, _u: &mut Array2<f64>) -> bool {
        false
    }
}

impl Rigorous for MassActionKernel {
    fn held(&self) -> [usize; 2] {
        [self.h_index(), self.free_index()]
    }
    fn section_set(&self) -> Option<usize> {
        self.ion_index()
    }
    fn n_metals(&self) -> usize {
        self.metals()
    }
    fn plain_when_unmoved(&self) -> bool {
        true
    }
    fn shift(&mut self, s: &[f64]) {
        self.set_shift(s)
    }
    fn dist(&self, u: &[f64], out: &mut [f64]) {
        self.distribution(u, out)
    }
    fn refine_start(&self, p: &Problem, u: &mut Array2<f64>) {
        ion_start(self, p, u)
    }
    /// A continuation still at time steps under 10 residence times after
    /// 200 iterations has failed (17 of the 21 failures of the mass-action
    /// robustness sample, seeds 0-299, 400 iterations each, 0.1-0.5 s
    /// apiece); the 22 it solved (53-351 iterations) all reach 30 or more
    /// within every 50 iterations from 150 on.
    ///
    /// A continuation whose largest imbalance walks one way as a front,
    /// at a speed that takes it to the cascade's end only after three
    /// times the iteration limit, has failed too: the continuation
    /// converges once its fronts have settled, and one still crossing at
    /// the limit costs the whole budget, while the start-up in [`run`]
    /// starts from the cold start regardless. Seeds 0-2099: 451 564 918
    /// 933 1227 1993 2049 converge with 1,080 iterations fewer (933 725
    /// -> 405, 1227 2420 -> 2120); no other seed's outcome or iterations
    /// change. The fronts of
    /// the continuations that converge reach at most 1.58 times the limit
    /// at that speed (seed 345, whose front settles at its feed stage
    /// rather than crossing on: given up at 1.5 times, it failed); no
    /// front given up reached under 3.3 times.
    ///
    /// A continuation that reaches its limit with its residual still
    /// falling (under half of what it was 100 accepted iterations before)
    /// hands its iterate to the start-up in [`run`]; one whose residual
    /// stands still there has stalled, and the start-up begins cold.
    /// Seeds 0-2699: 629 2869 -> 576 and 1976 1281 -> 881 iterations
    /// (residual 0.23 and 0.33 times what it was 100 back); 186 keeps its
    /// cold start-up (1.07 times: handed over, 768 -> 1065).
    fn ptc_stall(&self) -> Option<newton::PtcStall> {
        Some(newton::PtcStall {
            after: 200,
            window: 50,
            dt_min: 10.0,
            front_window: 50,
            front_factor: 3.0,
            front_residual: 0.0,
            progress_window: 100,
            progress: 0.5,
        })
    }
    /// Never: of seeds 0-899 of the mass-action robustness sample, every
    /// cascade that reached it converged only later, in the start-up
    /// dynamics of [`run`], or not at all; the half of the iterations left
    /// that it took kept seed 843 from converging (909 iterations without
    /// it, limit 1000) and cost seed 186 486 (1357 -> 871), 416 384 and
    /// 793 313.
    fn strength_continuation(&self) -> bool {
        false
    }
}

impl Rigorous for LogLinearKernel {
    fn held(&self) -> [usize; 2] {
        [self.h_index(), self.free_index()]
    }
    fn n_metals(&self) -> usize {
        self.metals()
    }
    fn shift(&mut self, s: &[f64]) {
        self.set_shift(s)
    }
    fn dist(&self, u: &[f64], out: &mut [f64]) {
        self.distribution(u, out)
    }
    fn above_least(&self, u: &mut Array2<f64>) -> bool {
        let mut changed = false;
        for mut row in u.rows_mut() {
            let row = row.as_slice_mut().expect("standard layout");
            changed |= self.root_above_least(row);
        }
        changed
    }
}

/// Common description of a rigorous cascade problem.
struct Problem {
    n: usize,
    links: Vec<bool>,
    aq: Vec<f64>,
    org: Vec<f64>,
    /// Active components (carried by some inflow), in component order.
    active: Vec<usize>,
    /// External inflow of every conserved quantity, `(n, nq)`.
    feed: Array2<f64>,
    /// Start values of the non-metal unknowns, `(n, nv - ka)`.
    extras: Array2<f64>,
    /// The cold start when it is not [`start`]'s linear one (a
    /// mass-action cascade's [`capacity_start`]).
    cold: Option<Array2<f64>>,
}

fn flows(c: &Cascade) -> (Vec<f64>, Vec<f64>) {
    match c.flows() {
        StageFlows::Volumes { aqueous, organic } => (aqueous.clone(), organic.clone()),
        StageFlows::Amounts { .. } => unreachable!("rigorous models are volumetric"),
    }
}

/// Metal inflows (mol/h) of every active component into every stage.
fn metal_inflows(c: &Cascade, st: &AqueousStreams, active: &[usize], feed: &mut Array2<f64>) {
    let layout = c.layout();
    let fs = layout.feed_stage();
    for (q, &i) in active.iter().enumerate() {
        feed[[fs, q]] += c.feed_amount()[i];
    }
    let _ = st;
    super::add_inlets(c, feed, Some(active));
}

fn active_components(c: &Cascade, st: &AqueousStreams) -> Vec<usize> {
    let _ = st;
    (0..c.n_components())
        .filter(|&i| c.inflow_amount()[i] > 0.0)
        .collect()
}

/// Acid (mol/L) a stage's aqueous starts from: its section's solution.
fn section_acid(c: &Cascade, st: &AqueousStreams, j: usize) -> f64 {
    let v = match c.layout().section(j) {
        Section::Extraction => st.feed_acid,
        Section::Scrub => st.scrub_acid.unwrap_or(st.feed_acid),
        Section::Strip => st.strip_acid.unwrap_or(1.0),
    };
    v.max(1e-4)
}

/// Acid inflows (mol/h) of the aqueous solutions into row `row`.
fn acid_inflows(c: &Cascade, st: &AqueousStreams, row: usize, feed: &mut Array2<f64>) {
    let layout = c.layout();
    let sp = c.spec();
    if layout.feed_phase == Phase::Aqueous {
        feed[[layout.feed_stage(), row]] += sp.feed.flow.unwrap_or(0.0) * st.feed_acid;
    }
    if let (Some(ss), Some(a)) = (layout.scrub_stage(), st.scrub_acid) {
        feed[[ss, row]] += sp.flows.scrub.unwrap_or(0.0) * a;
    }
    if let (Some(s), Some(a)) = (layout.strip_stage(), st.strip_acid) {
        feed[[s, row]] += sp.flows.strip.unwrap_or(0.0) * a;
    }
}

/// Iterations of the first, short start-up from the [`pinch_start`] of a
/// mass-action cascade, before the substitution (`mass_action_once`).
const PINCH_FIRST: usize = 60;

/// Residual of the first, short start-up from the [`pinch_start`] below
/// which, stopped at its cap, it goes on before the cold start's stages
/// (`mass_action_once`).
const PINCH_ON_WAY: f64 = 0.5;

/// `ln` of a metal concentration (mol/L) above which a start is taken as
/// trapped: no aqueous holds 100 mol/L of anything, and a linear start
/// whose scrub strips back what its extraction loads keeps the metals
/// between the two sections without bound (`mass_action_once`).
const TRAPPED: f64 = 4.605170185988092; // ln 100

/// Lowest `ln` concentration a start gives a quantity with no inflow
/// upstream (far below the range of a double, but finite).
const LN_FLOOR: f64 = -2000.0;

/// `ln` of the concentrations (mol/L) of one conserved quantity on stages
/// `lo..n` when it distributes with fixed ratios `d` (organic over
/// aqueous, per stage) and enters with inflows `f` (mol/h; `f[lo]` then
/// holds the organic entering stage `lo`), computed in logarithms
/// ([`super::logthomas`]) so that nothing underflows; entries below `lo`
/// are zero.
fn log_range(p: &Problem, d: &[f64], f: &[f64], lo: usize) -> Vec<f64> {
    let n = p.n;
    let m = n - lo;
    let mut out = vec![0.0; n];
    if m == 0 {
        return out;
    }
    let lo_v: Vec<f64> = (lo..n).map(|j| (p.org[j] * d[j]).ln()).collect();
    let lq: Vec<f64> = (lo..n).map(|j| p.aq[j].ln()).collect();
    let lf: Vec<f64> = (lo..n)
        .map(|j| {
            if f[j] > 0.0 {
                f[j].ln()
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    let mut lx = vec![0.0; m];
    let mut lm = vec![0.0; m];
    super::logthomas::solve(
        super::logthomas::LogSystem {
            lo: &lo_v,
            lq: &lq,
            lf: &lf,
            links: &p.links[lo..n],
        },
        &mut lx,
        &mut lm,
    );
    for (o, v) in out[lo..].iter_mut().zip(&lx) {
        *o = if v.is_nan() {
            LN_FLOOR
        } else {
            v.max(LN_FLOOR)
        };
    }
    out
}

/// Start for the counter-ion of a mass-action kernel: with the stage
/// states in `u` fixed its balance is linear.
fn ion_start(ker: &MassActionKernel, p: &Problem, u: &mut Array2<f64>) {
    let Some(i_n) = ker.ion_index() else { return };
    let nv = ker.unknowns();
    let d: Vec<f64> = (0..p.n)
        .map(|j| {
            let mut row: Vec<f64> = (0..nv).map(|v| u[[j, v]]).collect();
            row[i_n] = 0.0; // [N+] = 1: organic_ion is then D_N
            ker.organic_ion(&row).clamp(1e-12, 1e12)
        })
        .collect();
    let f: Vec<f64> = (0..p.n).map(|j| p.feed[[j, i_n]]).collect();
    let lx = log_range(p, &d, &f, 0);
    for j in 0..p.n {
        u[[j, i_n]] = lx[j];
    }
}

/// Cold start for the metals: with the stage states in `u` fixed, the
/// metal balances are linear; solve them by one scalar Thomas sweep per
/// metal and write `ln x` into `u`.
fn metals_start<E: Rigorous>(ker: &E, p: &Problem, u: &mut Array2<f64>) {
    metals_within(ker, p, u, 1e12)
}

/// [`metals_start`] with the distribution ratios kept within
/// `1 / lim..lim` (the cold start's `1e12` keeps its rows in the range of
/// a double; [`super::logthomas`] itself takes any finite ratio).
fn metals_within<E: Rigorous>(ker: &E, p: &Problem, u: &mut Array2<f64>, lim: f64) {
    let (n, ka) = (p.n, ker.n_metals());
    let nv = ker.unknowns();
    let mut d = Array2::<f64>::zeros((n, ka));
    let mut buf = vec![0.0; ka];
    for j in 0..n {
        let row: Vec<f64> = (0..nv).map(|v| u[[j, v]]).collect();
        ker.dist(&row, &mut buf);
        for q in 0..ka {
            d[[j, q]] = buf[q].clamp(1.0 / lim, lim);
        }
    }
    for q in 0..ka {
        // row j: -O_{j-1} D_{j-1} x_{j-1} + (A_j + O_j D_j) x_j - A_{j+1} x_{j+1} = f_j
        let dq: Vec<f64> = (0..n).map(|j| d[[j, q]]).collect();
        let f: Vec<f64> = (0..n).map(|j| p.feed[[j, q]]).collect();
        let lx = log_range(p, &dq, &f, 0);
        for j in 0..n {
            u[[j, q]] = lx[j];
        }
    }
}

/// Largest share of the extractant (HA units) that the metals and the
/// counter-ion hold in the organic of any stage of `u`.
fn max_loading(ker: &MassActionKernel, p: &Problem, u: &Array2<f64>) -> f64 {
    let ka = ker.metals();
    let mut dk = vec![0.0; ka];
    let mut row = vec![0.0; u.ncols()];
    let mut worst: f64 = 0.0;
    for j in 0..p.n {
        for (r, &v) in row.iter_mut().zip(u.row(j)) {
            *r = v;
        }
        ker.distribution(&row, &mut dk);
        let held: f64 = (0..ka)
            .map(|q| 2.0 * ker.charge()[q] * dk[q] * row[q].exp())
            .sum::<f64>()
            + ker.organic_ion(&row);
        // NaN (an overflow) counts as overloaded
        if held.is_nan() || held > worst * ker.extractant() {
            worst = held / ker.extractant();
        }
    }
    worst
}

/// Share of the extractant's capacity that [`capacity_start`] loads.
const CAPACITY_SHARE: f64 = 0.8;

/// Cold start of a mass-action cascade whose linear cold start ([`start`])
/// holds more metal in some organic than the extractant can: the fixed
/// acids of the sections trap the metals that the extraction takes up and
/// the scrub strips back, and the linear balances hold them between the
/// two without bound (seed 2281 of the mass-action robustness sample:
/// e^52 times the extractant at the feed stage; its start-up from there
/// crawled to the limit at residual 1e22).
/// Here the organic is loaded to [`CAPACITY_SHARE`] of the extractant's
/// capacity (two HA units per equivalent, less the counter-ion the metal
/// and acids leave it) with the strongest metals first: the extraction's
/// free extractant is what that load leaves, its acid the cold start's,
/// or, when the metal fed exceeds the load, the acid at which the metal
/// at the capacity holds the pinch (`O D = A`), so that the stronger
/// metals load and the weaker ones leave with the raffinate. The scrub
/// takes the extraction's extraction factors (its acid raised by the
/// ratio of the aqueous flows), so that no metal is taken up below the
/// feed and stripped above it, and a strip whose acid cannot take what
/// the organic brings does too (it carries the metal on in the organic).
/// The metals then follow from their linear balances and every stage's
/// free extractant closes its extractant balance on them. `None` where
/// the scrub strips everything the organic holds: its acid (eq/h) can
/// take the load, and at its own acid it strips even the strongest metal
/// from an organic that holds that metal alone (extraction factor `O D /
/// W` under one; the scrub's top passes on only what leaves with the
/// organic). The metals trapped by the linear balances are then the
/// steady state's (seed 6547 of the mass-action robustness sample: factor
/// e^-0.5, fails from this start, converges from its linear start in
/// 1,248 iterations). Where the scrub holds the strongest metal, it
/// cannot strip it back and this start stands (seeds 576 and 1730:
/// factors e^6 and e^10, failed from the linear start, converge from this
/// one; 4833, e^0.17, its strongest metal trapped at e^200 by the linear
/// start and no start-up past it, converges from this one in 1,083;
/// judged at the whole load, e^-0.33, it was declined: docs/
/// benchmarks.md, round 27).
fn capacity_start(
    c: &Cascade,
    m: &MassActionSpec,
    ker: &MassActionKernel,
    p: &Problem,
    mut u: Array2<f64>,
) -> Option<Array2<f64>> {
    let layout = c.layout();
    if layout.feed_phase != Phase::Aqueous {
        return None;
    }
    let (ih, id) = (ker.h_index(), ker.free_index());
    let fs = layout.feed_stage();
    let (a_e, o) = (p.aq[fs], p.org[fs]);
    let (cx, s) = (m.extractant, m.saponification);
    let sp = c.spec();
    let st = &m.streams;
    let ka = p.active.len();
    let (ln_k, z) = active_constants(m, p);
    let fk: Vec<f64> = (0..ka).map(|q| p.feed.column(q).sum()).collect();
    let metal: f64 = (0..ka).map(|q| z[q] * fk[q]).sum();
    // the scrub's aqueous flow (L/h) and the acid it brings (eq/h)
    let w = if layout.scrub > 0 {
        sp.flows.scrub.unwrap_or(0.0)
    } else {
        0.0
    };
    let scrub_eq = w * st.scrub_acid.unwrap_or(0.0);
    let acid = sp.feed.flow.unwrap_or(0.0) * st.feed_acid + scrub_eq;
    // counter-ion the metal and the acids leave the organic (eq/h)
    let na_left = (s * cx * o - metal - acid).max(0.0);
    let cap = 0.5 * (cx * o - na_left) * CAPACITY_SHARE;
    let mut order: Vec<usize> = (0..ka).filter(|&q| fk[q] > 0.0).collect();
    order.sort_by(|&a, &b| ln_k[b].total_cmp(&ln_k[a]));
    let mut held = 0.0;
    let mut pinch = None;
    for &q in &order {
        if held + z[q] * fk[q] > cap {
            pinch = Some(q);
            break;
        }
        held += z[q] * fk[q];
    }
    let load = if pinch.is_some() { cap } else { metal };
    // the free extractant's level where the organic holds `load` (eq/h)
    let level = |load: f64| (0.5 * (cx - (2.0 * load + na_left) / o).max(0.02 * cx)).ln();
    let ld = level(load);
    // enough scrub acid to strip the load (eq/h) strips it where, at its
    // own acid and that metal's load alone, the scrub's extraction factor
    // of the strongest metal is under one
    if scrub_eq >= load {
        let lw = st.scrub_acid.unwrap_or(0.0).ln();
        let strips = order
            .first()
            .is_none_or(|&q| ln_k[q] + m.a * level(z[q] * fk[q]) - m.b * lw + (o / w).ln() < 0.0);
        if strips {
            return None;
        }
    }
    let lh = match pinch {
        Some(q) => ((ln_k[q] + m.a * ld - (a_e / o).ln()) / m.b).clamp((1e-7f64).ln(), 10f64.ln()),
        None => u[[fs, ih]],
    };
    let strip_eq = st.strip_acid.unwrap_or(0.0) * sp.flows.strip.unwrap_or(0.0);
    let carried = strip_eq < load + na_left;
    for j in 0..p.n {
        let section = layout.section(j);
        if section == Section::Extraction {
            u[[j, ih]] = lh;
        } else if section == Section::Scrub || carried {
            u[[j, ih]] = lh + (a_e / p.aq[j]).ln() / m.b;
        } else {
            continue;
        }
        u[[j, id]] = ld;
    }
    metals_within(ker, p, &mut u, 1e300);
    let nv = ker.unknowns();
    let mut row = vec![0.0; nv];
    for j in 0..p.n {
        for (v, r) in row.iter_mut().enumerate() {
            *r = u[[j, v]];
        }
        ker.project(j, &mut row);
        u[[j, id]] = row[id];
    }
    ion_start(ker, p, &mut u);
    u.iter().all(|v| v.is_finite()).then_some(u)
}

fn start<E: Rigorous>(ker: &E, p: &Problem) -> Array2<f64> {
    if let Some(u) = &p.cold {
        return u.clone();
    }
    linear_start(ker, p)
}

/// The cold start: each stage at its section's acid and the start values
/// of the other unknowns, the metals from their linear balances.
fn linear_start<E: Rigorous>(ker: &E, p: &Problem) -> Array2<f64> {
    let ka = ker.n_metals();
    let nv = ker.unknowns();
    let mut u = Array2::zeros((p.n, nv));
    for j in 0..p.n {
        for v in ka..nv {
            u[[j, v]] = p.extras[[j, v - ka]];
        }
    }
    metals_start(ker, p, &mut u);
    ker.refine_start(p, &mut u);
    u
}

/// Stage states of a saponified cascade whose acids and metals are all
/// exchanged for the counter-ion where they enter: the organic carries
/// the counter-ion flow `s C O` less every equivalent (metal and acid)
/// that entered at or below a stage, the aqueous carries as counter-ion
/// the equivalents that entered at or above it in its run, the metals ride
/// the organic above the stage they enter, the free extractant closes the
/// extractant balance with them and `[H+]` the exchange equilibrium; the
/// metal rows are left to the caller (closing the extractant balance on
/// the metals of the linear balances instead put seed 299's scrub 6
/// e-folds low in free extractant: 3054 iterations, 483 without). From
/// the first stage where an inflow takes the organic's last counter-ion,
/// the whole aqueous run of that stage (a strip whose acid exceeds what
/// the organic has to spare: the acid runs down it and strips the
/// counter-ion at its organic inlet) keeps its rows, with the
/// counter-ion from its linear balance (seed 246: 808 iterations when
/// only the stages from the acid's entry on kept theirs, 558).
fn neutralised_rows(
    c: &Cascade,
    m: &MassActionSpec,
    ker: &MassActionKernel,
    p: &Problem,
    u: &mut Array2<f64>,
) -> Option<StripPinch> {
    let i_n = ker.ion_index()?;
    let layout = c.layout();
    let (ih, id) = (ker.h_index(), ker.free_index());
    let (s, cx) = (m.saponification, m.extractant);
    let st = &m.streams;
    let sp = c.spec();
    let ka = p.active.len();
    // equivalents entering every stage from outside (metal and acid)
    let mut eq = vec![0.0; p.n];
    for (j, e) in eq.iter_mut().enumerate() {
        *e = p
            .active
            .iter()
            .enumerate()
            .map(|(q, &i)| m.charge[i] * p.feed[[j, q]])
            .sum::<f64>();
    }
    if layout.feed_phase == Phase::Aqueous {
        eq[layout.feed_stage()] += sp.feed.flow.unwrap_or(0.0) * st.feed_acid;
    } else {
        eq[layout.feed_stage()] -= organic_fed_metal(c, m, p);
    }
    if let (Some(ss), Some(a)) = (layout.scrub_stage(), st.scrub_acid) {
        eq[ss] += sp.flows.scrub.unwrap_or(0.0) * a;
    }
    if let (Some(ss), Some(a)) = (layout.strip_stage(), st.strip_acid) {
        eq[ss] += sp.flows.strip.unwrap_or(0.0) * a;
    }
    // aqueous counter-ion flow: what entered at or above, in the same run
    let mut down = vec![0.0; p.n];
    for j in (0..p.n).rev() {
        let above = if p.links[j] && j + 1 < p.n {
            down[j + 1]
        } else {
            0.0
        };
        down[j] = eq[j] + above;
    }
    let lk_ion = m.log10_k_ion * std::f64::consts::LN_10;
    let floor = 1e-3 * s * cx * p.org[0];
    let mut f_n = s * cx * p.org[0];
    // the first stage where an inflow takes the organic's last
    // counter-ion: its whole aqueous run stays acidic (the acid in excess
    // runs down it and strips the counter-ion at the run's organic inlet)
    let mut lo = p.n;
    {
        let mut left = f_n;
        for (j, e) in eq.iter().enumerate() {
            left -= e;
            if left <= floor {
                lo = j;
                while lo > 0 && p.links[lo - 1] {
                    lo -= 1;
                }
                break;
            }
        }
    }
    let mut carried = vec![0.0; ka];
    for j in 0..lo {
        f_n -= eq[j];
        for (q, y) in carried.iter_mut().enumerate() {
            *y += p.feed[[j, q]];
        }
        let o = p.org[j];
        let na = f_n / o;
        let bound: f64 = p
            .active
            .iter()
            .zip(&carried)
            .map(|(&i, y)| 2.0 * m.charge[i] * y / o)
            .sum();
        let ld = (0.5 * (cx - na - bound).max(1e-3 * cx)).ln();
        let ln_n = (down[j] / p.aq[j]).max(1e-12 * s * cx).ln();
        u[[j, i_n]] = ln_n;
        u[[j, id]] = ld;
        u[[j, ih]] = lk_ion + ln_n + 0.5 * ld - na.ln();
    }
    let pinch = if lo > 0 && lo < p.n && layout.section(lo) == Section::Strip {
        acid_limited_strip(c, m, ker, p, lo, f_n, u)
    } else {
        None
    };
    if lo < p.n && lo > 0 {
        // the counter-ion the organic carries on into stages with none to
        // spare, from its linear balance there
        let d: Vec<f64> = (0..p.n)
            .map(|j| {
                let mut row: Vec<f64> = u.row(j).to_vec();
                row[i_n] = 0.0;
                ker.organic_ion(&row).clamp(1e-12, 1e12)
            })
            .collect();
        let mut f: Vec<f64> = (0..p.n).map(|j| p.feed[[j, i_n]]).collect();
        f[lo] += f_n.max(0.0);
        let lx = log_range(p, &d, &f, lo);
        for j in lo..p.n {
            u[[j, i_n]] = lx[j];
        }
    }
    pinch
}

/// Each active metal's `ln K` (natural log of its extraction constant)
/// and charge, in the problem's order.
fn active_constants(m: &MassActionSpec, p: &Problem) -> (Vec<f64>, Vec<f64>) {
    let ln_k = p
        .active
        .iter()
        .map(|&i| m.log10_k[i] * std::f64::consts::LN_10)
        .collect();
    let z = p.active.iter().map(|&i| m.charge[i]).collect();
    (ln_k, z)
}

/// The metal a strip holds at its pinch (active index) and its `ln x`
/// there, from [`acid_limited_strip`].
struct StripPinch {
    metal: usize,
    ln_x: f64,
    from: usize,
}

/// Stage states of a strip section (stages `lo..n`, the organic entering
/// `lo` with `spare` mol/h of counter-ion and every metal of the feed)
/// whose acid cannot strip all of it: the acid exchanges the counter-ion
/// first (at the strip's organic inlet), then the metals from the weakest
/// up; the metal at which it runs out holds the strip at a pinch where
/// the organic carries it up as fast as the aqueous brings it down
/// (`O D = A`), the strip's anion shared between that metal and the acid
/// left (`[H+] + z x = [Cl-]`), the stronger metals riding the organic out
/// and the free extractant closing the extractant balance. The acid front
/// then sits where the acid enters, at the top of the strip, not at its
/// bottom as in the acidic start: the start-up moved it about a stage per
/// 15 iterations (seed 300 of the mass-action robustness sample, 258
/// strip stages). Sets `[H+]` and the free extractant above the strip's
/// organic inlet and returns the pinch metal and its concentration (the
/// metals are set later); `None` when the acid strips everything.
fn acid_limited_strip(
    c: &Cascade,
    m: &MassActionSpec,
    ker: &MassActionKernel,
    p: &Problem,
    lo: usize,
    spare: f64,
    u: &mut Array2<f64>,
) -> Option<StripPinch> {
    let st = &m.streams;
    let a_s = st.strip_acid?;
    let sflow = c.spec().flows.strip?;
    let (ih, id) = (ker.h_index(), ker.free_index());
    let (aq, o) = (p.aq[lo], p.org[lo]);
    let cx = m.extractant;
    let ka = p.active.len();
    let (ln_k, z) = active_constants(m, p);
    let fk: Vec<f64> = (0..ka).map(|q| p.feed.column(q).sum()).collect();
    let mut order: Vec<usize> = (0..ka).filter(|&q| fk[q] > 0.0).collect();
    order.sort_by(|&a, &b| ln_k[a].total_cmp(&ln_k[b]));
    let ln_ratio = (aq / o).ln();
    // `[H+]` at which metal `q` holds the pinch with the stronger metals
    // `up` (mol/h) in the organic: the root of ln D_q - ln(A/O)
    let pinch_h = |q: usize, up: f64| -> Option<f64> {
        let f = |lh: f64| {
            let x = (a_s - lh.exp()) / z[q];
            let bound = 2.0 * z[q] * aq * x / o + up / o;
            let free = 0.5 * (cx - bound);
            if free <= 0.0 {
                return f64::NEG_INFINITY;
            }
            ln_k[q] + m.a * free.ln() - m.b * lh - ln_ratio
        };
        let (l, h) = ((1e-12 * a_s).ln(), a_s.ln());
        // f falls with the acid (x and the metal's loading fall, the free
        // extractant rises more slowly than [H+]^b)
        if !(f(l) > 0.0 && f(h) < 0.0) {
            return None;
        }
        Some(bisect(l, h, 100, |mid| f(mid) > 0.0))
    };
    let mut avail = sflow * a_s - spare;
    for (r, &q) in order.iter().enumerate() {
        // HA units the stronger metals hold in the organic (mol/h)
        let up: f64 = order[r + 1..].iter().map(|&w| 2.0 * z[w] * fk[w]).sum();
        let Some(lh) = pinch_h(q, up) else {
            avail -= z[q] * fk[q];
            continue;
        };
        // acid left for this metal after the weaker ones and the acid
        // that runs out with the strip liquor
        let left = avail - aq * lh.exp();
        if left >= z[q] * fk[q] {
            avail -= z[q] * fk[q];
            continue;
        }
        let x = (a_s - lh.exp()) / z[q];
        let free = 0.5 * (cx - 2.0 * z[q] * aq * x / o - up / o);
        for j in lo + 1..p.n {
            u[[j, ih]] = lh;
            u[[j, id]] = free.ln();
        }
        return Some(StripPinch {
            metal: q,
            ln_x: x.ln(),
            from: lo + 1,
        });
    }
    None
}

/// The metal a cascade is fed (eq/h, every stage's feed) and the acid its
/// feed and scrub bring (eq/h): the anions its raffinate can carry out
/// with a counter-ion ([`pinch_start`], [`crowding`]).
/// Metal equivalents (eq/h) a loaded organic feed brings: already in
/// the organic, they take up no counter-ion where they enter.
fn organic_fed_metal(c: &Cascade, m: &MassActionSpec, p: &Problem) -> f64 {
    if c.layout().feed_phase != Phase::Organic {
        return 0.0;
    }
    p.active
        .iter()
        .map(|&i| m.charge[i] * c.feed_amount()[i])
        .sum()
}

fn metal_and_acid(c: &Cascade, m: &MassActionSpec, p: &Problem) -> (f64, f64) {
    let metal: f64 = (0..p.n)
        .map(|j| {
            p.active
                .iter()
                .enumerate()
                .map(|(q, &i)| m.charge[i] * p.feed[[j, q]])
                .sum::<f64>()
        })
        .sum();
    let sp = c.spec();
    let st = &m.streams;
    let mut acid = if c.layout().feed_phase == Phase::Aqueous {
        sp.feed.flow.unwrap_or(0.0) * st.feed_acid
    } else {
        0.0
    };
    if c.layout().scrub > 0 {
        acid += sp.flows.scrub.unwrap_or(0.0) * st.scrub_acid.unwrap_or(0.0);
    }
    (metal, acid)
}

/// Start of the start-up dynamics of a saponified cascade whose organic
/// can exchange more counter-ion than the aqueous brings metal and acid
/// (equivalents) into its extraction section: at steady state the metals
/// then load the organic in the few stages next to the feed, every other
/// extraction stage holds the pinch of the fresh organic with the
/// raffinate, and each acid is exchanged for the counter-ion where it
/// enters ([`neutralised_rows`]: `[NA]` from the counter-ion the organic
/// has left, `[N+]` from the equivalents exchanged above, the free
/// extractant from the extractant balance, `[H+]` from the exchange
/// equilibrium); the metals follow from those stage states
/// ([`metals_within`], with the steep distribution ratios of the unloaded
/// organic unbounded). The usual starts load the whole section, and the
/// start-up then carries the front of unloaded organic across it, a stage
/// per tens of residence times when the excess of capacity is small (seed
/// 242 of the mass-action robustness sample: 7 % excess, 115 stages, 4210
/// iterations from the usual start, 554 from this one). Scrub and strip
/// sections at their cold start (acid, no counter-ion) made the first steps
/// fail on the counter-ion entering the scrub (seeds 154, 220, 290), and
/// ratios bounded at 1e12 left traces e-folds too high (seeds 38, 213,
/// 297); from this start each converges within 550 iterations in all,
/// 410-480 of them spent before the start-up. The loaded stages next to the
/// feed are not placed (their count is not known), so this is a first try
/// ([`run`]), not the start. `None` when the capacity does not exceed the
/// load (or there is no counter-ion), and when the extractant cannot hold
/// both the metal (two HA units per equivalent) and the counter-ion left
/// over: the stages next to the feed then have no free extractant at all
/// (floored in [`neutralised_rows`]): the premise of this start, an
/// organic that takes up every metal with counter-ion to spare, fails.
/// Seed 423 of the mass-action
/// robustness sample (metal 3.49 of the extractant's 3.53 mol/h of HA,
/// counter-ion 0.29 eq/h to spare) spent 172 iterations in two start-ups
/// from it whose every step failed at the strip acid's inlet, whatever
/// its length; seeds 932 and 712 converge in 660 and 60 fewer iterations
/// without it. A loaded organic feed's metal is already in the organic
/// and takes up no counter-ion ([`organic_fed_metal`]): the load is then
/// the scrub acid's, and the capacity the top organic's (`O + F`); seeds
/// 261 602 1354 1826 2605 of `scripts/cli_check.py`'s mass-action
/// sample (round 30), which failed from every other start, converge from
/// this one in 4-34 iterations.
fn pinch_start(
    c: &Cascade,
    m: &MassActionSpec,
    ker: &MassActionKernel,
    p: &Problem,
) -> Option<Array2<f64>> {
    ker.ion_index()?;
    let layout = c.layout();
    let (s, cx) = (m.saponification, m.extractant);
    if !(s > 0.0 && s < 1.0) {
        return None;
    }
    let cap = s * cx * p.org[0];
    let (metal, acid) = metal_and_acid(c, m, p);
    let fed = organic_fed_metal(c, m, p);
    let load = metal - fed + acid;
    if !(load > 0.0 && cap > load && cap.is_finite()) {
        return None;
    }
    // the organic leaving the top: past an organic feed, its flow too
    let o_top = if layout.feed_phase == Phase::Organic {
        p.org[p.n - 1]
    } else {
        p.org[0]
    };
    if 2.0 * metal + (cap - load) > cx * o_top {
        return None;
    }
    let mut u = start(ker, p);
    let strip = neutralised_rows(c, m, ker, p, &mut u);
    // the distribution ratios of the unloaded organic reach far beyond
    // the cold start's bound of 1e12 (seed 213: ln D = 28.4 a stage, the
    // trace 85 e-folds too high 70 stages down, where the step collapsed)
    metals_within(ker, p, &mut u, 1e300);
    if let Some(sp) = strip {
        for j in sp.from..p.n {
            u[[j, sp.metal]] = sp.ln_x;
        }
    }
    // a trace the start profile cut at `LN_FLOOR` carries on falling at
    // the rate of the stage above (a constant floor is no balance: the
    // start-up of seed 285 needs 2124 iterations from it, 497 without)
    let fs = layout.feed_stage();
    for q in 0..p.active.len() {
        for j in (0..fs.saturating_sub(1)).rev() {
            if u[[j, q]] <= LN_FLOOR {
                let fall = (u[[j + 1, q]] - u[[j + 2, q]]).min(0.0);
                u[[j, q]] = u[[j + 1, q]] + fall;
            }
        }
    }
    u.iter().all(|v| !v.is_nan()).then_some(u)
}

/// The sums of a saponified cascade whose counter-ion crowds metal out of
/// its organic ([`crowding`]), eq/h.
#[derive(Debug, Clone, Copy)]
struct Crowding {
    /// Metal fed.
    metal: f64,
    /// Counter-ion over the raffinate's anions (the metal and the feed and
    /// scrub acids).
    excess: f64,
    /// `2 metal + excess` over the extractant (HA units, mol/h): the metal
    /// the counter-ion pushes into the raffinate.
    over: f64,
}

/// Whether a saponified cascade with an aqueous feed brings more
/// counter-ion than its raffinate's anions can take out (the metal and the
/// feed and scrub acids) by so much that the excess and the metal (two HA
/// units an equivalent) exceed the extractant: the organic is then
/// saturated from stage 0 to the strip's end and at least `over` eq/h of
/// metal leaves in the raffinate (docs/benchmarks.md, round 24, seed 423
/// of the mass-action robustness sample). [`pinch_start`] declines these.
fn crowding(c: &Cascade, m: &MassActionSpec, p: &Problem) -> Option<Crowding> {
    let layout = c.layout();
    let (s, cx) = (m.saponification, m.extractant);
    if layout.feed_phase != Phase::Aqueous || !(s > 0.0 && s < 1.0) {
        return None;
    }
    let (metal, acid) = metal_and_acid(c, m, p);
    let cap = cx * p.org[0];
    let excess = s * cap - metal - acid;
    let over = 2.0 * metal + excess - cap;
    (excess > 0.0 && over > 0.0 && over < metal && over.is_finite()).then_some(Crowding {
        metal,
        excess,
        over,
    })
}

/// Newton iterations from [`crowded_start`] (seed 423 of the mass-action
/// robustness sample converges in 46, 5111 in 38).
const CROWDED_NEWTON: usize = 100;

/// Scaled residual of [`crowded_start`] at or over which Newton is not
/// tried from it. Of the 20 crowded seeds of the mass-action robustness
/// sample 0-7499 (docs/benchmarks.md, round 25; three get no start),
/// Newton converged from every start under 6 (0.013-5.9: 423 in 46
/// iterations, 5111 in 38, and seven that converged already, in 4-31)
/// and from one at 196 (4283, in 14), and broke down from every other (42
/// to 2.6e12: seven seeds, at the first iteration but 5812, at its 37th).
const CROWDED_GATE: f64 = 10.0;

/// Share of the extractant left free in the scrub and strip of
/// [`crowded_start`] (saturated there; seed 423 of the mass-action
/// robustness sample converges from 1e-1 to 1e-5 alike, 39-52 Newton
/// iterations, and breaks down from 1e-9).
const CROWDED_FREE: f64 = 1e-3;

/// Extraction factor of the feed stage of [`crowded_start`] under which a
/// metal that rides the extraction's organic up is taken as held back
/// there (no steady state: the scan for the feed stage's level goes past
/// such a root). The spurious first roots of the crowded seeds of the
/// mass-action robustness sample hold one back at 1e-17 to 7e-14 (the
/// feed stage's level 25-40 e-folds under the extraction's; seed 1112
/// from 2,593 iterations to 32 past it); the kept ones at 1.2e-3 and up
/// (docs/benchmarks.md, round 26).
const CROWDED_TRAPPED: f64 = 1e-3;

/// Start of a crowded cascade ([`crowding`]) built from its spec alone
/// (docs/benchmarks.md, round 25). Its steady state (round 24, seed 423
/// of the mass-action robustness sample) is an organic saturated from
/// stage 0 to the strip's end: the extraction a pinch whose organic holds
/// as much metal as the fresh organic has exchangeable hydrogen (it can
/// leave on nothing else) and the counter-ion the rest, the metal crowded
/// out leaving in the raffinate; scrub and strip saturated with the
/// metal that is not, and the counter-ion left over.
///
/// The extraction's distribution level `le = a ln [(HA)2] - b ln [H+]`
/// (`ln D_k = ln K_k + le`) and the feed stage's `lf` come from that
/// pinch: a metal whose extraction factor `E = O D / A` there is under
/// one leaves `F (1 - E) / (1 - E + G)` of its feed `F` in the raffinate
/// (`G` the feed stage's factor) and loads the pinch with `E F / (1 - E +
/// G)`; a stronger one rides the organic up. `le` puts the metal crowded
/// out in the raffinate, `lf` the load in the pinch; stage 0 takes the
/// level at which it loads that much from the raffinate's metal. Scrub
/// and strip hold the metal at distribution ratios far above one: their
/// free extractant a small share ([`CROWDED_FREE`]) of it. Each stage's
/// acid then follows from the counter-ion's exchange at its level (the
/// organic's from the section's sums, the aqueous's the anion the metals
/// leave), and the metals from their linear balances ([`metals_within`]).
/// `None` when no level carries the load.
fn crowded_start(
    c: &Cascade,
    m: &MassActionSpec,
    ker: &MassActionKernel,
    p: &Problem,
    cr: Crowding,
) -> Option<Array2<f64>> {
    let i_n = ker.ion_index()?;
    let layout = c.layout();
    let (ih, id) = (ker.h_index(), ker.free_index());
    let (a, b, cx) = (m.a, m.b, m.extractant);
    // the acid's level along a fixed distribution level comes from the
    // counter-ion's exchange through `a - b / 2`
    if (a - 0.5 * b).abs() < 0.05 {
        return None;
    }
    let ln_k_ion = m.log10_k_ion * std::f64::consts::LN_10;
    let ka = p.active.len();
    let (ln_k, z) = active_constants(m, p);
    let fs = layout.feed_stage();
    let mid = fs / 2;
    let (ae, oe) = (p.aq[mid], p.org[mid]);
    // the pinch's metal and the counter-ion of extraction, scrub and
    // strip (eq/h)
    let load = p.feed[[0, ih]].min(cr.metal - cr.over);
    let na_e = cx * p.org[0] - 2.0 * load;
    let na_s = cr.excess + cr.over;
    let fk: Vec<f64> = (0..ka).map(|q| z[q] * p.feed.column(q).sum()).collect();
    let factor = |q: usize, lam: f64| (oe.ln() + ln_k[q] + lam - ae.ln()).exp();
    // the raffinate's metal and the pinch's at levels (le, lf)
    let split = |le: f64, lf: f64| -> (f64, f64) {
        let (mut r, mut pl) = (0.0, 0.0);
        for (q, &f) in fk.iter().enumerate() {
            let (e, g) = (factor(q, le), factor(q, lf));
            if e < 1.0 {
                r += f * (1.0 - e) / (1.0 - e + g);
                pl += e * f / (1.0 - e + g);
            }
        }
        (r, pl)
    };
    // `le` at which the raffinate takes the metal crowded out (its metal
    // falls as `le` rises)
    let le_of = |lf: f64| bisect(-200.0, 200.0, 100, |x| split(x, lf).0 > cr.over);
    // `lf` at which the pinch carries the load: the first sign change
    // from below, bisected, at which no metal is held back (`trapped`)
    let gap = |lf: f64| split(le_of(lf), lf).1 - load;
    // a root at which a metal that rides the extraction's organic up (`E
    // >= 1`) is held back by the feed stage (`G` under
    // [`CROWDED_TRAPPED`]) is no steady state: that metal would pile up
    // below the feed; the scan goes on past it
    let trapped =
        |le: f64, lf: f64| (0..ka).any(|q| factor(q, le) >= 1.0 && factor(q, lf) < CROWDED_TRAPPED);
    let mut found = None;
    let mut prev = (-60.0, gap(-60.0));
    while prev.0 < 100.0 {
        let x = prev.0 + 0.5;
        let v = gap(x);
        if (prev.1 > 0.0) != (v > 0.0) {
            let above = prev.1 > 0.0;
            let lf = bisect(prev.0, x, 100, |y| (gap(y) > 0.0) == above);
            let le = le_of(lf);
            if !trapped(le, lf) {
                found = Some((le, lf));
                break;
            }
        }
        prev = (x, v);
    }
    let (le, lf) = found?;
    // a metal that rides the extraction's organic up (`E >= 1` at `le`)
    // to a feed stage whose factor `G` is under one is placed by the
    // linear balances below the feed, piling up there (seed 4283 of the
    // mass-action robustness sample: `G` 1.2e-3, its organic 72-197 times
    // the extractant at stages 118-120, the start's residual 196): the
    // feed stage's level is raised to where every such metal passes (`G`
    // one), the extraction's kept (4283: start residual 0.85, converges in
    // 13 iterations, 1,870 before; with the extraction's level solved
    // again for the raised one 5111's start fails: docs/benchmarks.md,
    // round 27)
    let l_pass = (0..ka)
        .filter(|&q| factor(q, le) >= 1.0)
        .map(|q| ae.ln() - oe.ln() - ln_k[q])
        .fold(f64::NEG_INFINITY, f64::max);
    let lf = lf.max(l_pass);
    // stage 0 loads the pinch's metal from the raffinate's
    let held: f64 = (0..ka)
        .map(|q| {
            let (e, g) = (factor(q, le), factor(q, lf));
            if e < 1.0 {
                fk[q] * (1.0 - e) / (1.0 - e + g) * ln_k[q].exp()
            } else {
                0.0
            }
        })
        .sum();
    let l0 = (load * p.aq[0] / (p.org[0] * held)).ln();
    if !(le.is_finite() && lf.is_finite() && l0.is_finite()) {
        return None;
    }
    let level = |j: usize| {
        if j == 0 {
            l0
        } else if j < fs {
            le
        } else {
            lf
        }
    };
    let pass = c.pass().map(|d| (d.aqueous.clone(), d.organic.clone()));
    let cl = super::substitution::anions(&super::substitution::MassActionCascade {
        ln_k: &ln_k,
        a,
        b,
        z: &z,
        c_total: cx,
        ln_k_ion: Some(ln_k_ion),
        aq: &p.aq,
        org: &p.org,
        links: &p.links,
        pass: pass.as_ref().map(|(a, o)| (&a[..], &o[..])),
        feed: &p.feed,
    });
    // the counter-ion's exchange, `0.5 ln [(HA)2] - ln [H+]`, with `na`
    // eq/h of it in the organic and `n_aq` mol/L in the aqueous
    let kap = |j: usize, na: f64, n_aq: f64| (na / p.org[j]).ln() - ln_k_ion - n_aq.ln();
    let mut u = start(ker, p);
    // scrub and strip: the aqueous the counter-ion of its anion
    let ld_s = (0.5 * CROWDED_FREE * cx).ln();
    for j in fs + 1..p.n {
        let n_aq = cl[j].max(1e-300);
        u[[j, id]] = ld_s;
        u[[j, ih]] = 0.5 * ld_s - kap(j, na_s, n_aq);
        u[[j, i_n]] = n_aq.ln();
    }
    for j in 0..=fs {
        u[[j, ih]] = -level(j) / b;
        u[[j, id]] = 0.0;
    }
    metals_within(ker, p, &mut u, 1e300);
    // extraction: the aqueous the counter-ion of the anion its metals
    // leave, the acid along the stage's level
    for j in 0..=fs {
        let xm: f64 = (0..ka).map(|q| z[q] * u[[j, q]].exp()).sum();
        let n_aq = (cl[j] - xm).max(1e-6 * cl[j]).max(1e-300);
        let na = if j < fs { na_e } else { na_s };
        let lam = level(j);
        let ld = ((lam - b * kap(j, na, n_aq)) / (a - 0.5 * b)).min((0.5 * cx).ln());
        u[[j, id]] = ld;
        u[[j, ih]] = (a * ld - lam) / b;
        u[[j, i_n]] = n_aq.ln();
    }
    metals_within(ker, p, &mut u, 1e300);
    u.iter().all(|v| v.is_finite()).then_some(u)
}

/// [`run_stages`]; when that fails, the start-up dynamics
/// ([`super::transient::Follow`]) from `first` (or the cold start); and
/// when that fails too in the relative-form pass (the last one, see
/// [`with_fallback`]), pseudo-transient continuation with the extractant
/// balance of each stage closed exactly at every step, within the
/// iterations left. Placed after the faster stages so that every cascade
/// those solve keeps its budget. The start-up gets every iteration left:
/// one that runs out of them was on its way, and the relative form's
/// pass would start again from the start (a share of two thirds for the
/// log-linear start-up lost CLI check log-linear 3683 with every dose
/// slope raised to 0.3, 15 metals over 102 + 213 stages, which converges
/// in 3,543 iterations of its 5,169 with all of them; over CLI
/// log-linear 3000-4499 and robustness log-linear 0-1999 no seed
/// changes; the mass-action start-up had them all already: seeds 200 and
/// 285 of its robustness sample need 85-92 % of their budget there, and
/// the relative-form pass solved none of the saponified failures). One
/// that diverges still leaves the rest to the relative form.
/// `alt` (the [`pinch_start`] of a saponified cascade) is tried first,
/// within two thirds of the iterations left and at most 600, and carried
/// on within half the iterations left when it stops at that cap with a
/// residual under `1e-4`.
#[allow(clippy::too_many_arguments)]
fn run<E: Rigorous>(
    solver: &mut Solver,
    ker: &mut E,
    p: &Problem,
    first: Option<&Array2<f64>>,
    tol: f64,
    max_it: usize,
    log: bool,
    alt: Option<&Array2<f64>>,
    mut hook: Option<&mut Doubler>,
) -> (Array2<f64>, NewtonReport, usize, usize) {
    let (u, rep, mut total, steps) = run_stages(solver, ker, p, tol, max_it, log);
    if rep.status == Status::Converged || total >= max_it {
        return (u, rep, total, steps);
    }
    // The start-up dynamics (implicit Euler with step control,
    // [`super::transient`]) from the best start, which a steady-state
    // Newton finishes, within every iteration left
    ker.shift(&vec![0.0; ker.n_metals()]);
    if let Some(a) = alt {
        let mut v = a.clone();
        // two thirds: from the pinch start the extraction and scrub
        // sections are in place, and a strip section that its acid keeps
        // acidic takes the start-up a few hundred iterations (seed 246:
        // 361, over a quarter of its 548 left); from the usual start these
        // cascades need thousands (the unloaded front crosses the section)
        let b = ((max_it - total) * 2 / 3).min(600);
        let (mut rep_t, used, _) = start_up(solver, ker, p, &mut v, tol, b, log, false);
        total += used;
        // a start-up from the pinch cut short near the steady state (seed
        // 160 of the mass-action robustness sample: residual 7e-6 at the
        // cap) carries on within half the iterations left rather than
        // restart from the usual start
        if rep_t.status == Status::MaxIterations && rep_t.residual < 1e-4 {
            let (rep_c, used, _) = start_up(
                solver,
                ker,
                p,
                &mut v,
                tol,
                (max_it - total) / 2,
                log,
                false,
            );
            total += used;
            rep_t = rep_c;
        }
        if rep_t.status == Status::Converged {
            return (v, rep_t, total, steps);
        }
    }
    // a continuation cut off at its limit while its residual was still
    // falling ([`newton::PtcStall::progress`]) is nearer the steady state
    // than the cold start or the separation-factor start
    let handed = steps == 0 && rep.status == Status::MaxIterations && ker.ptc_stall().is_some();
    let mut v = if handed {
        u.clone()
    } else {
        first.cloned().unwrap_or_else(|| start(ker, p))
    };
    // a start-up from `first` (not the cold start) that creeps is started
    // again from the cold start ([`CREEP_AFTER`])
    let creep = !handed && first.is_some();
    let budget = max_it - total;
    // a continuation that the stall watch gave up ([`newton::PtcStall`])
    // leaves an iterate that beats the cold start for some cascades and
    // loses to it for others: the two start-ups are raced
    let stalled = steps == 0
        && rep.status == Status::Diverged
        && rep.iterations > 100
        && ker.ptc_stall().is_some();
    let (rep_t, used) = if stalled {
        raced_start_up(solver, ker, p, &mut v, &u, tol, budget, log, &mut hook)
    } else {
        let flags = (log, true, creep);
        let (rep_t, used, steps) =
            start_up_doubling(solver, ker, p, &mut v, tol, budget, flags, &mut hook);
        if log && steps == 0 && rep_t.status == Status::Diverged && used < budget {
            // a start-up that could not take one step: from empty stages
            // ([`empty_start`]) within what it left, before the relative
            // form's pass, whose start-up crawls from the same start (CLI
            // check log-linear 4586 with every dose slope at least 0.3, 13
            // metals over 192 + 52 stages, a valid model: its relative
            // pass's start-up spent 6,834 iterations and the walks got
            // none; from empty stages it converges, 3,245 in all). Mass-
            // action too (CLI check mass-action 72220, 14 metals over 167
            // + 198 stages, 5 mol/L of scrub acid: its linear start traps
            // Er-Lu at up to e^390 mol/L, both passes broke down and the
            // scrub walk converged, 3,137 iterations in all; from empty
            // stages 1,341). Round 37's mass-action failures (robustness
            // 1948, 6656, 6769) do not converge from there either, but
            // none of them comes here: robustness mass-action 0-10499 is
            // unchanged seed for seed
            v = empty_start(ker, p);
            let (rep_e, more, _) = start_up(solver, ker, p, &mut v, tol, budget - used, log, true);
            (rep_e, used + more)
        } else {
            (rep_t, used)
        }
    };
    total += used;
    if rep_t.status == Status::Converged {
        return (v, rep_t, total, steps);
    }
    if log || total >= max_it {
        let status = if total >= max_it {
            Status::MaxIterations
        } else {
            rep.status
        };
        let (u, rep) = nearer(solver, ker, p, (u, rep), v, log, tol);
        return (u, NewtonReport { status, ..rep }, total, steps);
    }
    ker.shift(&vec![0.0; ker.n_metals()]);
    let ws = solver.workspace(p.n, ker.unknowns(), ker.conserved());
    let mut v = start(ker, p);
    let rep2 = newton::solve_ptc_dae(
        ker,
        &p.links,
        &p.feed,
        &mut v,
        ws,
        &NewtonOptions {
            tolerance: tol,
            max_iterations: (max_it - total).min(400),
            ..NewtonOptions::default()
        },
        1.0,
    );
    let total = total + rep2.iterations;
    if rep2.status == Status::Converged {
        return (v, rep2, total, steps);
    }
    let status = if total >= max_it {
        Status::MaxIterations
    } else {
        rep.status
    };
    // the earlier stages' iterate and report stand (with the shift at zero)
    (u, NewtonReport { status, ..rep }, total, steps)
}

/// Of a failed solve's two last iterates, the earlier stages' `(u, rep)`
/// and the start-up's last state `v`, the one whose stage equations hold
/// closer, with its report: `v`'s residual and worst stage are measured
/// at `v` itself (the steady-state equations, not the start-up's last
/// implicit step), and `v` is taken only where that is the smaller (and
/// the evaluation took no step from it). Failed solves reported the
/// earlier stages' iterate, broken down with a relative residual of
/// infinity or 1.6e22 and empty or exploded stages (CLI check log-linear
/// 5728 capped 0.3, 3010), where the start-up's last state, a state of
/// the plant, holds every equation within 1 (5728) or 0.7 (3010).
fn nearer<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    (u, rep): (Array2<f64>, NewtonReport),
    v: Array2<f64>,
    log: bool,
    tol: f64,
) -> (Array2<f64>, NewtonReport) {
    let mut w = v.clone();
    let at_v = newton_in(solver, ker, p, &mut w, log, tol, 0);
    // an earlier residual that is NaN loses to any finite one
    let better =
        at_v.residual.is_finite() && (rep.residual.is_nan() || at_v.residual < rep.residual);
    if better && at_v.iterations == 0 {
        (
            v,
            NewtonReport {
                iterations: rep.iterations,
                ..at_v
            },
        )
    } else {
        (u, rep)
    }
}

/// `ln` of the aqueous concentration (mol/L) of every metal in the
/// start from empty stages ([`empty_start`]): 1e-13 mol/L.
const EMPTY_LN: f64 = -30.0;

/// Most iterations of the start-up from empty stages ([`from_empty`]).
/// Round 37's independent CLI check, log-linear: 4490 converges there in
/// 424 iterations, 3606 with every dose slope raised to 0.3 in 2,389, and
/// 4488 in 2,035 where its budget leaves that many (it leaves 1,385 after
/// the walks, so 4488 still fails); the failures that still fail spent up to
/// 22,000 there when it had the first solve's share of the budget. The
/// mass-action robustness failures (1948, 6656, 6769) do not converge
/// from empty stages either, and 1948 failed after 5,974 iterations
/// instead of 2,974: a mass-action solve does not take it.
const EMPTY_START_UP: usize = 3000;

/// The cold start ([`start`]) with every metal's aqueous concentration at
/// most `e^`[`EMPTY_LN`]: the plant before its feed reaches it, from which
/// the start-up dynamics ([`start_up`]) follow the physical start-up. A
/// start whose stages hold more metal than their extractant can carry
/// (a trapped metal's linear balance in a scrub, a substitution that
/// broke down) may leave no stage equation that an implicit step can
/// close (every step fails at its first iteration, down to `1e-9` of the
/// first step's length), while empty stages close theirs.
fn empty_start<E: Rigorous>(ker: &E, p: &Problem) -> Array2<f64> {
    let mut u = start(ker, p);
    let ka = ker.n_metals();
    for mut row in u.rows_mut() {
        for x in row.iter_mut().take(ka) {
            *x = x.min(EMPTY_LN);
        }
    }
    u
}

/// Iterations of the cold start-up after a stalled continuation
/// ([`raced_start_up`]) after which its steady-state residual is read.
const RACE_GATE: usize = 40;

/// Scaled steady-state residual of the cold start-up at [`RACE_GATE`] at
/// or over which it is stuck and the start-up from the stalled
/// continuation's iterate is probed beside it ([`raced_start_up`]).
const RACE_STUCK: f64 = 0.9;

/// Iterations each start-up of [`raced_start_up`] is given (between its
/// steps) before the one to carry on is chosen.
const RACE_PROBE: usize = 100;

/// Relative difference of the two start-ups' residuals under which
/// [`raced_start_up`] takes them for equal.
const RACE_TIE: f64 = 1e-3;

/// The start-up after a stalled cold continuation ([`run`]): from `v` (the
/// cold start, as before) and, when that one is stuck, also from `handed`
/// (the continuation's last iterate), the two run side by side (each its
/// own [`super::transient::Follow`], stepping exactly as it would alone)
/// and the better one carried on. Every iteration of both is charged to
/// `budget`.
///
/// The cold start-up goes first; after [`RACE_GATE`] iterations its
/// scaled steady-state residual (one evaluation, no iteration) is read.
/// Under [`RACE_STUCK`] it goes on alone. At or over it (a start-up
/// still at a residual of about 1 after 40 iterations: 9 of the 18 cold
/// start-ups of the sample that the handed iterate beats, 5 of the 23 it
/// does not), the handed start-up is started, and both run to
/// [`RACE_PROBE`] iterations; the
/// first to converge ends it, one that fails leaves the other. Then the
/// handed one is carried on when its residual is under half the cold
/// one's, or equal to it within [`RACE_TIE`] with at least the cold one's
/// time reached (the two following the same path: seed 4048, steps,
/// failures and residual the same to four digits over 400 iterations),
/// and the cold one otherwise.
///
/// Mass-action robustness sample 0-4499, seed by seed (docs/
/// benchmarks.md, round 21): 1456 converges (limit -> 1,516 iterations),
/// 4323 935 -> 427 (2.65 -> 1.19 s alternated at load 4), 982 1,767 ->
/// 351, 451 2,068 -> 1,151, 4048 1,969 -> 1,634, 3134 2,034 -> 1,712,
/// 3360 689 -> 330, 4396 952 -> 876; six seeds pay the probe: 917, 932, 1338, 2103 about
/// +110, 3846 +160, and 4283 1,204 -> 1,870 (its handed start-up looks
/// as 3134's at the probe, residual a third of the cold one's, and needs
/// 1,336 to the cold one's 770). Taking the handed iterate always made
/// 22 seeds dearer; a cap on it lost 3134 (round 20).
#[allow(clippy::too_many_arguments)]
fn raced_start_up<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    v: &mut Array2<f64>,
    handed: &Array2<f64>,
    tol: f64,
    budget: usize,
    log: bool,
    hook: &mut Option<&mut Doubler>,
) -> (NewtonReport, usize) {
    use super::transient::{steady, Follow, TransientOptions};
    let pass = solver
        .pass
        .as_ref()
        .map(|d| (d.aqueous.clone(), d.organic.clone()));
    let pr = pass.as_ref().map(|(a, o)| (&a[..], &o[..]));
    let ws = solver.workspace(p.n, ker.unknowns(), ker.conserved());
    ws.set_log_balances(log);
    let opts = TransientOptions {
        tolerance: tol,
        max_iterations: budget,
        dt0: 0.5,
        retry_plain: true,
        plain_when_unmoved: ker.plain_when_unmoved(),
        follow_fronts: true,
    };
    let (links, feed) = (&p.links[..], &p.feed);
    let mut fc = Follow::new(ker, links, feed, v, ws, pr, opts);
    if let Some(r) = fc.advance(ker, links, feed, v, ws, pr, RACE_GATE) {
        return (r, fc.used);
    }
    let residual = |u: &Array2<f64>, ws: &mut newton::Workspace| {
        steady(ker, links, feed, &mut u.clone(), ws, pr, tol, 0).residual
    };
    if residual(v, ws) < RACE_STUCK || budget < 4 * RACE_PROBE {
        let (r, more) = advance_doubling(solver, ker, p, &mut fc, v, pr, hook, log);
        return (r, fc.used + more);
    }
    let mut uh = handed.clone();
    let mut fh = Follow::new(ker, links, feed, &mut uh, ws, pr, opts);
    let end_c = fc.advance(ker, links, feed, v, ws, pr, RACE_PROBE);
    let mut end_h = None;
    if !end_c.is_some_and(|r| r.status == Status::Converged) {
        end_h = fh.advance(ker, links, feed, &mut uh, ws, pr, RACE_PROBE);
    }
    let both = |fc: &Follow, fh: &Follow| fc.used + fh.used;
    if let Some(r) = end_c {
        if r.status == Status::Converged || end_h.is_some() {
            return (r, both(&fc, &fh));
        }
    }
    if let Some(r) = end_h {
        if r.status == Status::Converged {
            v.assign(&uh);
            return (r, both(&fc, &fh));
        }
    }
    let take_h = end_c.is_some() || {
        if end_h.is_some() {
            false
        } else {
            let (rc, rh) = (residual(v, ws), residual(&uh, ws));
            rh < 0.5 * rc || (rh <= rc * (1.0 + RACE_TIE) && fh.time >= fc.time)
        }
    };
    if take_h {
        fh.opts.max_iterations = budget.saturating_sub(fc.used);
        let (r, more) = advance_doubling(solver, ker, p, &mut fh, &mut uh, pr, hook, log);
        v.assign(&uh);
        (r, both(&fc, &fh) + more)
    } else {
        fc.opts.max_iterations = budget.saturating_sub(fh.used);
        let (r, more) = advance_doubling(solver, ker, p, &mut fc, v, pr, hook, log);
        (r, both(&fc, &fh) + more)
    }
}

/// Start-up iterations after which a start-up given a [`Doubler`] tries
/// the doubled start ([`advance_doubling`]). The doubled start costs a
/// solve of the half cascade, which pays only where the start-up is long
/// and the half much quicker: over CLI check mass-action 11400-11599 and
/// 11800-11999, tried after 300 start-up iterations (the half given a
/// third of the budget left) it took 11860 from 3,620 iterations to 637
/// and 11556 from 4,513 to 867, but 11405 from 563 to 1,956 and 11992
/// from 606 to 1,330 (halves as slow as their cascades); after 600 it
/// still lost 11458 (791 -> 1,573) and 11978 (957 -> 1,430); after 1,000,
/// the robustness tests' mass-action 9530 (1,854 -> 2,265) and the model
/// of `a_metal_in_the_fresh_organic_is_carried_into_the_start` (1,239 ->
/// 2,226, its half 993 iterations). After 2,000, with the half given at
/// most [`DOUBLE_HALF`]: 11860 2,333 (its half 21 iterations), 11556
/// 2,568 (256), CLI 12220 3,465 -> 2,124 (6), and one loss, 11401 2,537
/// -> 2,837 (its half not converged within the 300).
const DOUBLE_AFTER: usize = 2000;

/// Start-up iterations after which a start-up given a [`Doubler`] whose
/// doubled start gave nothing asks it again, for its late start
/// ([`advance_doubling`]): a mass-action cascade with a neutral feed, the
/// neutral walk ([`ma_neutral_probe`]; the others have none). Round 55's
/// CLI check (mass-action seeds 0-19999): first passes of neutral feeds
/// crawled in their start-ups for thousands of iterations where the walk
/// converged in 46 to 3,049 (7016 10,949 -> 6,546 iterations, 19532
/// 19,233 -> 8,771, 19505 9,793 -> 6,275, 5856 9,612 -> 5,959), and lost
/// one (10671, whose walk fails: 6,753 -> 10,753). Tried at
/// [`DOUBLE_AFTER`] with the doubled start, it took 19532 to 5,771 but
/// lost 1,300 to 4,000 on six cases whose start-ups converge between
/// 2,000 and 5,000 (314, 11150, 11711, 13520, 15342, 10671); no neutral
/// case of seeds 20000-29999 (652) reaches it.
const LATE_AFTER: usize = 5000;

/// Iterations the half cascade of a doubled start gets at most
/// ([`doubled_start`]). The halves that gave the steady state took 6-256
/// iterations (CLI check mass-action 12220, 11860, 11556); the halves of
/// the robustness tests' front-crossing start-ups (mass-action 9869 and
/// 9016) do not converge within 500, and at 500 their tries put the two
/// over their tests' limits (3,401 -> 3,752, 6,547 -> 7,047).
const DOUBLE_HALF: usize = 300;

/// Steady Newton iterations tried from a start-up's state before its
/// doubled start ([`advance_doubling`]): CLI check mass-action 12863 (6
/// metals over 184 + 104 + 23 stages) had its steady state within 5 of
/// them after 2,006 start-up iterations, and spent 300 on a half that
/// did not converge before the start-up's own Newton ended it.
const DOUBLE_STEADY: usize = 5;

/// Newton iterations, then start-up iterations, that finish a doubled
/// start ([`doubled_solve`]). From the doubled start of a pinched section
/// Newton has little or nothing to do (CLI check mass-action 11860: the
/// start holds every stage equation within 9.1e-13); one that bends
/// (11405, its straightest stage bending by 4e-4 e-folds) takes a short
/// start-up.
const DOUBLE_NEWTON: usize = 60;
/// See [`DOUBLE_NEWTON`].
const DOUBLE_START_UP: usize = 400;

/// Newton iterations from each further start a doubler gives, where
/// Newton failed from its first ([`doubled_solve`], [`LADDER_SHIFTS`]).
/// Those that converge take 4-13; at 60, robustness mass-action 0-10499
/// took 223,582 iterations, at 15 223,610, 76 and 80 seeds of them more
/// than with no further starts (docs/benchmarks.md, round 62).
const DOUBLE_OTHER_NEWTON: usize = 15;

/// Advances the start-up `f` on `v` to its end, where `hook` holds a
/// [`Doubler`]: once `f` has used [`DOUBLE_AFTER`] iterations, steady
/// Newton from `f`'s state ([`DOUBLE_STEADY`] iterations), then the
/// doubled start (taken from `hook`, tried once) within what `f`'s budget
/// leaves (a raced start-up's budget is set net of the other's
/// iterations before it is advanced to its end), finished by Newton and a
/// short start-up ([`doubled_solve`]); where that converges it replaces
/// `v`, else `f` goes on within what is left, less what the try used.
/// Once `f` has used [`LATE_AFTER`], the hook's late start is tried
/// alike (without the steady Newton first). Returns the last report and
/// the iterations the doubled and late starts used (the steady Newton's
/// are `f`'s).
#[allow(clippy::too_many_arguments)]
fn advance_doubling<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    f: &mut super::transient::Follow,
    v: &mut Array2<f64>,
    pr: Option<(&[f64], &[f64])>,
    hook: &mut Option<&mut Doubler>,
    log: bool,
) -> (NewtonReport, usize) {
    let (links, feed) = (&p.links[..], &p.feed);
    let mut more = 0;
    if let Some(d) = hook.take() {
        // the doubled start, then the late start ([`LATE_AFTER`])
        for (until, late) in [(DOUBLE_AFTER, false), (LATE_AFTER, true)] {
            let ws = log_workspace(solver, ker, p, log);
            if let Some(r) = f.advance(ker, links, feed, v, ws, pr, until) {
                return (r, more);
            }
            if !late {
                // the start-up may have come within Newton's reach of its
                // steady state without its own steady Newton tried yet:
                // tried first
                let left = f.opts.max_iterations.saturating_sub(f.used);
                let rs = f.try_steady(ker, links, feed, v, ws, pr, DOUBLE_STEADY.min(left));
                if rs.status == Status::Converged {
                    return (rs, more);
                }
            }
            let left = f.opts.max_iterations.saturating_sub(f.used);
            let tol = f.opts.tolerance;
            let budget = (left, true, DOUBLE_START_UP, 0);
            let (got, used) = doubled_solve(solver, ker, p, d, budget, tol, (log, late));
            if let Some((u, r)) = got {
                v.assign(&u);
                return (r, more + used);
            }
            f.opts.max_iterations = f.opts.max_iterations.saturating_sub(used);
            more += used;
        }
    }
    let ws = log_workspace(solver, ker, p, log);
    let r = f
        .advance(ker, links, feed, v, ws, pr, usize::MAX)
        .expect("an unbounded advance ends");
    (r, more)
}

/// The solver's workspace sized for `p` and `ker`, its balances in log
/// form where `log`.
fn log_workspace<'s, E: Rigorous>(
    solver: &'s mut Solver,
    ker: &E,
    p: &Problem,
    log: bool,
) -> &'s mut newton::Workspace {
    let ws = solver.workspace(p.n, ker.unknowns(), ker.conserved());
    ws.set_log_balances(log);
    ws
}

/// The side draws' pass of the cascade the solver is on, its
/// aqueous and organic parts copied.
fn pass_copy(solver: &Solver) -> Option<(Vec<f64>, Vec<f64>)> {
    solver
        .pass
        .as_ref()
        .map(|d| (d.aqueous.clone(), d.organic.clone()))
}

/// The start-up options of [`start_up`] and [`start_up_doubling`].
fn start_up_options<E: Rigorous>(
    ker: &E,
    tol: f64,
    budget: usize,
    retry_plain: bool,
) -> super::transient::TransientOptions {
    super::transient::TransientOptions {
        tolerance: tol,
        max_iterations: budget,
        dt0: 0.5,
        retry_plain,
        plain_when_unmoved: ker.plain_when_unmoved(),
        follow_fronts: true,
    }
}

/// The doubled start `d` (its late start where `late`) made within
/// `left` iterations and finished by Newton ([`DOUBLE_NEWTON`]), then by
/// Newton from each further start `d` gives ([`DOUBLE_OTHER_NEWTON`]),
/// then from the first again by a short start-up (`start_up_budget`
/// iterations, [`DOUBLE_START_UP`] for a doubled start; none where 0),
/// the balances in log form where `log`: the converged state and its
/// report where it converges, and the iterations used either way (a half
/// that failed included). Where `newton` is false, the start-up alone
/// (Newton from those starts has failed before: [`climbed`]). Where
/// everything below fails too, the start-up goes on from where it
/// stopped for `further` iterations ([`LADDER_TOP_FURTHER`]).
///
/// Where that fails and the start's projection left stages without a
/// root of their extractant balance (log-linear, a `D` that rises as the
/// free extractant falls), the same again, once, from the start with
/// those stages on the root above the balance's least
/// ([`Rigorous::above_least`]). Taken first, that root lost as much as
/// it gained; tried only where the start as projected fails, it took
/// CLI check log-linear 84193's top rung (5,460 -> 1,120 iterations, 7.4
/// -> 1.2 s) and converges 3217 (a failure: 658), where the other four
/// retries of CLI log-linear 3000-4999, 82000-82999 and 85000-85299
/// failed and cost 163-460 each (docs/benchmarks.md, round 60).
fn doubled_solve<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    d: &mut Doubler,
    (left, newton, start_up_budget, further): (usize, bool, usize, usize),
    tol: f64,
    (log, late): (bool, bool),
) -> (Option<(Array2<f64>, NewtonReport)>, usize) {
    let (starts, mut total) = d(solver, left, late);
    let mut starts = starts.into_iter();
    let Some(mut v) = starts.next() else {
        return (None, total);
    };
    newton::project_stages(ker, &mut v);
    let mut start = v.clone();
    // Newton from `start` (in `v`), then from each other start the doubler
    // gave, then a start-up from `start` where Newton fails, the
    // iterations added to `total`
    let mut others: Vec<_> = starts.collect();
    let mut attempt =
        |solver: &mut Solver, v: &mut Array2<f64>, start: &Array2<f64>, total: &mut usize| {
            let b = if newton { DOUBLE_NEWTON } else { 0 };
            let b = b.min(left.saturating_sub(*total));
            let r = newton_in(solver, ker, p, v, log, tol, b);
            *total += r.iterations;
            if r.status == Status::Converged {
                return r;
            }
            for mut w in others.drain(..).filter(|_| newton) {
                newton::project_stages(ker, &mut w);
                let b = DOUBLE_OTHER_NEWTON.min(left.saturating_sub(*total));
                let r = newton_in(solver, ker, p, &mut w, log, tol, b);
                *total += r.iterations;
                if r.status == Status::Converged {
                    v.assign(&w);
                    return r;
                }
            }
            if start_up_budget == 0 {
                return r;
            }
            v.assign(start);
            let b = start_up_budget.min(left.saturating_sub(*total));
            let (r, it, _) = start_up(solver, ker, p, v, tol, b, log, false);
            *total += it;
            r
        };
    let mut r = attempt(solver, &mut v, &start, &mut total);
    // where the start-up stopped, for `further` iterations of it
    let stopped = (further > 0 && r.status != Status::Converged).then(|| v.clone());
    // where that fails and a stage's extractant balance had no root in the
    // start, the start with that stage on the root above the balance's
    // least ([`Rigorous::above_least`])
    if r.status != Status::Converged && total < left && ker.above_least(&mut start) {
        v.assign(&start);
        r = attempt(solver, &mut v, &start, &mut total);
    }
    if let Some(w) = stopped.filter(|_| r.status != Status::Converged && total < left) {
        v.assign(&w);
        let b = further.min(left - total);
        let (rf, it, _) = start_up(solver, ker, p, &mut v, tol, b, log, false);
        total += it;
        r = rf;
    }
    if r.status == Status::Converged {
        (Some((v, r)), total)
    } else {
        (None, total)
    }
}

/// A start-up from `v` as [`start_up`], with the doubled start of `hook`
/// (where it holds one) tried once it has used [`DOUBLE_AFTER`]
/// iterations ([`advance_doubling`]). Where `creep` is set (`v` a built
/// start, not the cold one) and the start-up has reached under
/// [`CREEP_TIME`] after [`CREEP_AFTER`] iterations, `v` is replaced by
/// the cold start ([`start`]) and the start-up starts again from there
/// within what is left of `budget`.
#[allow(clippy::too_many_arguments)]
fn start_up_doubling<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    v: &mut Array2<f64>,
    tol: f64,
    budget: usize,
    (log, retry_plain, creep): (bool, bool, bool),
    hook: &mut Option<&mut Doubler>,
) -> (NewtonReport, usize, usize) {
    let pass = pass_copy(solver);
    let pr = pass.as_ref().map(|(a, o)| (&a[..], &o[..]));
    let opts = start_up_options(ker, tol, budget, retry_plain);
    let ws = log_workspace(solver, ker, p, log);
    let (links, feed) = (&p.links[..], &p.feed);
    let mut f = super::transient::Follow::new(ker, links, feed, v, ws, pr, opts);
    if creep {
        if let Some(r) = f.advance(ker, links, feed, v, ws, pr, CREEP_AFTER) {
            return (r, f.used, f.accepted());
        }
        if f.time < CREEP_TIME {
            v.assign(&start(ker, p));
            let flags = (log, retry_plain, false);
            let (r, more, steps) =
                start_up_doubling(solver, ker, p, v, tol, budget - f.used, flags, hook);
            return (r, f.used + more, steps);
        }
    }
    let (r, more) = advance_doubling(solver, ker, p, &mut f, v, pr, hook, log);
    (r, f.used + more, f.accepted())
}

/// Start-up iterations after which a start-up from a built start that
/// has not reached [`CREEP_TIME`] residence times is given up for one from
/// the cold start ([`start_up_doubling`]). CLI check log-linear 11232
/// capped 0.3 (5 metals over 50 + 280 + 15 stages): from its stage
/// roots' start ([`ll_substituted`]) the start-up held steps of 1e-9 to
/// 1e-3 residence times for 21,000 iterations and reached 0.014 of them
/// (4.6 with its steps' rounding measured, [`newton::ROUNDING_NEAR`]),
/// every step failing or finishing at the rounding of the scrub's acid,
/// and the relative form's pass converged after it (26,212 iterations
/// in all, 23 s); from the cold start it converges in 1,728 (5,135 in
/// all). The start-ups of the robustness samples (mass-action 0-10499,
/// log-linear 0-9299) that run past 1,000 iterations from a built start
/// had reached 30 to 3,200 residence times there.
const CREEP_AFTER: usize = 1000;

/// See [`CREEP_AFTER`]. Round 54's held-out CLI check log-linear capped
/// 11510 (12 metals over 105 + 217 stages, every dose slope at least 0.3)
/// failed at its first pass's share of the budget after 25 s: from the
/// stage roots' profile its start-up had reached t = 0.36 at 1,000
/// iterations and 1.95 at 11,400, steps held under ceilings of 1e-3
/// residence times; from the cold start it converges (1,649 iterations in
/// all, 3.4 s). At 10 (against 1), 11301 too (at t = 2.4 there): 5,988 ->
/// 3,327 iterations. Over 2,700 CLI cases of the round's sets (log-linear
/// capped and uncapped, mass-action) no other seed changed at 1 or 10.
const CREEP_TIME: f64 = 10.0;

/// The start-up dynamics ([`super::transient::Follow`]) from `v`, within
/// `budget` iterations, in the solver's workspace (side draws included);
/// `retry_plain` as [`super::transient::TransientOptions::retry_plain`].
/// Returns the last report, the iterations used and the implicit-Euler
/// steps accepted.
#[allow(clippy::too_many_arguments)]
fn start_up<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    v: &mut Array2<f64>,
    tol: f64,
    budget: usize,
    log: bool,
    retry_plain: bool,
) -> (NewtonReport, usize, usize) {
    let flags = (log, retry_plain, false);
    start_up_doubling(solver, ker, p, v, tol, budget, flags, &mut None)
}

/// Cold start, Newton, and the continuation if Newton fails. Returns the
/// final iterate, the last report, total iterations and continuation steps.
fn run_stages<E: Rigorous>(
    solver: &mut Solver,
    ker: &mut E,
    p: &Problem,
    tol: f64,
    max_it: usize,
    log: bool,
) -> (Array2<f64>, NewtonReport, usize, usize) {
    let (n, nv, nq) = (p.n, ker.unknowns(), ker.conserved());
    let ka = ker.n_metals();
    let ws = solver.workspace(n, nv, nq);
    ws.set_log_balances(log);
    let zero = vec![0.0; ka];
    ker.shift(&zero);
    let mut u = start(ker, p);
    let nopts = NewtonOptions {
        tolerance: tol,
        max_iterations: max_it.min(60),
        ..NewtonOptions::default()
    };
    let rep = newton::solve(ker, &p.links, &p.feed, &mut u, ws, &nopts);
    let mut total = rep.iterations;
    if rep.status == Status::Converged {
        return (u, rep, total, 0);
    }
    // Pseudo-transient continuation from the cold start: implicit time
    // steps that follow the start-up, growing into Newton near the end.
    let mut u = start(ker, p);
    let budget = max_it.saturating_sub(total).min(400);
    let popts = NewtonOptions {
        tolerance: tol,
        max_iterations: budget,
        ..NewtonOptions::default()
    };
    let rep = match ker.ptc_stall() {
        Some(stall) => {
            newton::solve_ptc_watched(ker, &p.links, &p.feed, &mut u, ws, &popts, 1.0, stall)
        }
        None => newton::solve_ptc(ker, &p.links, &p.feed, &mut u, ws, &popts, 1.0),
    };
    total += rep.iterations;
    if rep.status == Status::Converged {
        return (u, rep, total, 0);
    }
    if !ker.strength_continuation() {
        return (u, rep, total, 0);
    }
    // the continuation gets half of what is left, the start-up dynamics
    // in [`run`] the rest
    let max_it = total + max_it.saturating_sub(total) / 2;
    // Continuation: shift every ln D_k to a common weak value at t = 0.
    let fs = (0..n)
        .max_by(|&a, &b| p.feed.row(a).sum().total_cmp(&p.feed.row(b).sum()))
        .unwrap_or(0);
    let u0 = start(ker, p);
    let mut dref = vec![0.0; ka];
    ker.dist(&u0.row(fs).to_vec(), &mut dref);
    let lnd: Vec<f64> = dref.iter().map(|d| d.max(1e-300).ln()).collect();
    let mean = lnd.iter().sum::<f64>() / ka.max(1) as f64;
    let target = (0.01 * p.aq[fs] / p.org[fs]).ln();
    let base: Vec<f64> = lnd.iter().map(|l| target.min(mean) - l).collect();
    let mut sh = vec![0.0; ka];
    let set = |ker: &mut E, t: f64, sh: &mut Vec<f64>| {
        for (s, b) in sh.iter_mut().zip(&base) {
            *s = (1.0 - t) * b;
        }
        ker.shift(sh);
    };
    set(ker, 0.0, &mut sh);
    let mut u = start(ker, p);
    let o0 = NewtonOptions {
        tolerance: tol.max(1e-9),
        max_iterations: max_it.saturating_sub(total).min(60),
        ..NewtonOptions::default()
    };
    let rep = newton::solve(ker, &p.links, &p.feed, &mut u, ws, &o0);
    total += rep.iterations;
    let mut steps = 1;
    if rep.status != Status::Converged {
        ker.shift(&zero);
        let status = if total >= max_it {
            Status::MaxIterations
        } else {
            Status::Diverged
        };
        return (u, NewtonReport { status, ..rep }, total, steps);
    }
    let mut t = 0.0;
    let mut dt: f64 = 0.25;
    let mut prev: Option<(f64, Array2<f64>)> = None;
    let mut trial = Array2::zeros((n, nv));
    loop {
        let t_try = (t + dt).min(1.0);
        let last = t_try >= 1.0;
        set(ker, t_try, &mut sh);
        trial.assign(&u);
        if let Some((tp, up)) = &prev {
            let f = (t_try - t) / (t - tp);
            ndarray::Zip::from(&mut trial)
                .and(&u)
                .and(up)
                .for_each(|x, &a, &b| *x = a + f * (a - b));
        }
        let budget = max_it.saturating_sub(total);
        let o = NewtonOptions {
            tolerance: if last { tol } else { tol.max(1e-8) },
            max_iterations: budget.min(if last { 60 } else { 15 }),
            ..NewtonOptions::default()
        };
        let rep = newton::solve(ker, &p.links, &p.feed, &mut trial, ws, &o);
        total += rep.iterations;
        steps += 1;
        if rep.status == Status::Converged {
            if last {
                return (trial, rep, total, steps);
            }
            prev = Some((t, std::mem::replace(&mut u, trial.clone())));
            t = t_try;
            if rep.iterations <= 5 {
                dt *= 2.0;
            }
        } else {
            dt *= 0.5;
            if dt < 1e-4 || total >= max_it {
                let status = if total >= max_it {
                    Status::MaxIterations
                } else {
                    Status::Diverged
                };
                // report at the specified chemistry where it stalled
                ker.shift(&zero);
                let r = newton::solve(
                    ker,
                    &p.links,
                    &p.feed,
                    &mut trial,
                    ws,
                    &NewtonOptions {
                        max_iterations: 0,
                        ..o
                    },
                );
                return (trial, NewtonReport { status, ..r }, total, steps);
            }
        }
    }
}

/// Damped Newton on `u` from where it is, in the solver's workspace sized
/// for `p`, with the balances in log form when `log`.
fn newton_in<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    u: &mut Array2<f64>,
    log: bool,
    tolerance: f64,
    max_iterations: usize,
) -> NewtonReport {
    let ws = solver.workspace(p.n, ker.unknowns(), ker.conserved());
    ws.set_log_balances(log);
    let opts = NewtonOptions {
        tolerance,
        max_iterations,
        ..NewtonOptions::default()
    };
    newton::solve(ker, &p.links, &p.feed, u, ws, &opts)
}

/// The [`Solution`] of a rigorous solve ending at `u`: each stage's
/// metals from their `ln` unknowns and distribution ratios, its `ln [H+]`
/// from `ln_h_of` and its species from `species_of` (`ln` of the free
/// extractant, then the counter-ion in each phase and the anion).
#[allow(clippy::too_many_arguments)]
fn finish<E: Rigorous>(
    c: &Cascade,
    ker: &E,
    p: &Problem,
    u: &Array2<f64>,
    rep: NewtonReport,
    iterations: usize,
    steps: usize,
    ln_h_of: impl Fn(&[f64]) -> f64,
    species_of: impl Fn(usize, &[f64]) -> [f64; 4],
) -> Solution {
    let (n, k) = (p.n, c.n_components());
    let ka = ker.n_metals();
    let nv = ker.unknowns();
    let mut aqueous = Array2::zeros((n, k));
    let mut organic = Array2::zeros((n, k));
    let mut acidity = vec![0.0; n];
    let mut sp = StageSpecies {
        free_extractant: vec![0.0; n],
        counter_ion: vec![0.0; n],
        organic_counter_ion: vec![0.0; n],
        anion: vec![0.0; n],
        ln_acidity: vec![0.0; n],
        ln_free_extractant: vec![0.0; n],
    };
    let mut d = vec![0.0; ka];
    for j in 0..n {
        let row: Vec<f64> = (0..nv).map(|v| u[[j, v]]).collect();
        ker.dist(&row, &mut d);
        for (q, &i) in p.active.iter().enumerate() {
            let x = row[q].exp();
            aqueous[[j, i]] = p.aq[j] * x;
            organic[[j, i]] = p.org[j] * d[q] * x;
        }
        let ln_h = ln_h_of(&row);
        acidity[j] = ln_h.exp();
        sp.ln_acidity[j] = ln_h;
        let [ln_f, na, no, an] = species_of(j, &row);
        sp.free_extractant[j] = ln_f.exp();
        sp.ln_free_extractant[j] = ln_f;
        sp.counter_ion[j] = na;
        sp.organic_counter_ion[j] = no;
        sp.anion[j] = an;
    }
    let (ws, wr) = rep.worst;
    let worst = if wr < ka {
        (ws, p.active[wr])
    } else {
        (ws, k + wr - ka)
    };
    Solution {
        status: rep.status,
        method: Method::Newton,
        iterations,
        continuation_steps: steps,
        residual: rep.residual,
        worst,
        aqueous,
        organic,
        acidity: Some(acidity),
        species: Some(sp),
    }
}

/// Iterations the separation-factor solve behind [`sf_start`] may take. A
/// start that needs the continuation's hundreds of iterations costs more
/// than the substitution from the cold start that replaces it (seeds 105,
/// 123, 157, 172 and 254 of the mass-action robustness sample spent
/// 0.4-3.4 s there, 172 on a solve that failed after 1,000).
const SF_START_ITERATIONS: usize = 150;

/// Work of one iteration of the separation-factor solve behind
/// [`sf_start`] (its stages times the cube of its metals, the cost of
/// factoring its blocks) from which that solve gets only
/// [`SF_START_ITERATIONS_BIG`] iterations: its Newton from the tearing
/// start, not the continuation in beta and the pseudo-transient behind it.
/// Over seeds 0-4499 of the mass-action robustness sample the 40
/// analogues of this work or more (11-15 metals, 153-500 stages) converged
/// there in 2-3 iterations (4 of them), or later in 63 and 112 (2), or
/// failed at the cap (34, 9.3 s in all: 482, 987, 1145, 125, 3659, 3965,
/// 1730 and 4323 at 0.16-0.35 s each, for a mass-action solve of 2-935
/// iterations from the starts that follow). Without the last two kinds
/// none of those 36 seeds is lost and two take fewer iterations (1716: 21
/// to 4; 168: 194 to 183). The bound is where the sample put it, not a
/// law: below it seed 3887 (12 metals, 237 stages: 409,536) is lost
/// without its analogue of 119 iterations (78 with it, the limit of 1,000
/// without), and 896 and 2513 (14-15 metals over 26-30 stages) take 11
/// and 10 more.
const SF_START_WORK: usize = 500_000;

/// Iterations of the separation-factor solve behind [`sf_start`] of
/// [`SF_START_WORK`] or more: its Newton from the tearing start (at most
/// 40 of the cap), which converges within 19 iterations where it
/// converges over the same sample (within 3 at this size).
const SF_START_ITERATIONS_BIG: usize = 20;

/// Aqueous concentration (mol/L) of the separation-factor analogue under
/// which [`sf_start`] takes a metal as lost below the range of a double
/// (its logarithm carried on at its slope rather than read).
const SF_START_UNDER: f64 = 1e-290;

/// A start for the mass-action model from the separation-factor model:
/// beta_k = K_k, the organic loading set by saponification (or half the
/// extractant's capacity), the scrub reflux by the scrub acid; then each
/// stage's free extractant from the extractant balance and its acidity
/// from the major metal's distribution ratio. Strip stages get a decaying
/// organic and the product spread over the strip liquor.
fn sf_start(
    c: &Cascade,
    m: &MassActionSpec,
    ker: &MassActionKernel,
    p: &Problem,
) -> Option<Array2<f64>> {
    let layout = c.layout();
    if layout.feed_phase != Phase::Aqueous {
        return None;
    }
    let ka = p.active.len();
    let n = p.n;
    let ne = layout.extraction + layout.scrub;
    let zbar = p.active.iter().map(|&i| m.charge[i]).sum::<f64>() / ka as f64;
    let cap = if m.saponification > 0.0 {
        m.saponification * m.extractant / zbar
    } else {
        0.5 * m.extractant / (2.0 * zbar)
    };
    let f: f64 = p.active.iter().map(|&i| c.feed_amount()[i]).sum();
    let mut s_amt = cap * p.org[0];
    let mut w_amt = if layout.scrub > 0 {
        m.streams.scrub_acid.unwrap_or(0.0) * c.spec().flows.scrub.unwrap_or(0.0) / zbar
    } else {
        0.0
    };
    // keep the split feasible: 0 < S - W < F
    if s_amt - w_amt <= 0.02 * f || s_amt - w_amt >= 0.98 * f {
        let prod = (s_amt - w_amt).clamp(0.02 * f, 0.98 * f);
        if layout.scrub > 0 {
            w_amt = (s_amt - prod).max(0.01 * f);
            s_amt = w_amt + prod;
        } else {
            s_amt = prod;
        }
    }
    let names: Vec<String> = p
        .active
        .iter()
        .map(|&i| c.components()[i].clone())
        .collect();
    let nref: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let beta: Vec<f64> = p
        .active
        .iter()
        .map(|&i| 10f64.powf(m.log10_k[i] - m.log10_k[p.active[0]]))
        .collect();
    let feed: Vec<f64> = p.active.iter().map(|&i| c.feed_amount()[i]).collect();
    let spec = crate::model::CascadeSpec::separation_factor("start", &nref, &beta)
        .with_stages(layout.extraction, layout.scrub, 0)
        .with_feed_amounts(&feed)
        .with_amounts(s_amt, w_amt);
    let budget = if ne * ka.pow(3) >= SF_START_WORK {
        SF_START_ITERATIONS_BIG
    } else {
        SF_START_ITERATIONS
    };
    let sf = budgeted(spec, budget)?;
    let sol = Solver::new().solve(&sf);
    if !sol.converged() {
        return None;
    }
    let nv = ker.unknowns();
    let mut u = Array2::zeros((n, nv));
    let cx = m.extractant;
    let (ih, id) = (ker.h_index(), ker.free_index());
    let prod: Vec<f64> = (0..ka).map(|q| sol.organic[[ne - 1, q]]).collect();
    // the fresh organic's metals (`[organic] concentration`), which the
    // analogue leaves out, carried up the cascade by the organic: each
    // stage keeps `E / (1 + E)` of what reaches it (E = O D / A, with the
    // analogue's distribution ratios), and a stage of the analogue holding
    // less is raised to that. Without it a metal fed with the organic
    // started at the analogue's trace in stage 1, hundreds of e-folds
    // below its inflow, and the first Newton stalled there at a residual
    // of 1 (round 30's independent CLI check, mass-action 4077: Sm at
    // 0.000946 mol/L in the fresh organic; it converged in 57 iterations
    // without it)
    let fresh = c.inlet_amount(crate::model::Inlet::Organic);
    let mut carried: Vec<f64> = p.active.iter().map(|&i| fresh[i]).collect();
    let mut under = vec![false; ne * ka];
    for j in 0..n {
        let (mut x, mut y) = (vec![0.0; ka], vec![0.0; ka]);
        if j < ne {
            for q in 0..ka {
                x[q] = sol.aqueous[[j, q]] / p.aq[j];
                y[q] = sol.organic[[j, q]] / p.org[j];
            }
            if carried.iter().any(|&v| v > 0.0) {
                let major = (0..ka)
                    .max_by(|&a, &b| (x[a] + y[a]).total_cmp(&(x[b] + y[b])))
                    .unwrap_or(0);
                let dmaj = y[major] / x[major];
                for q in 0..ka {
                    let dq = dmaj * beta[q] / beta[major];
                    if !(carried[q] > 0.0 && dq > 0.0 && dq.is_finite()) {
                        continue;
                    }
                    let e = p.org[j] * dq / p.aq[j];
                    carried[q] *= e / (1.0 + e);
                    let floor = carried[q] / p.org[j];
                    if y[q] < floor {
                        y[q] = floor;
                        x[q] = floor / dq;
                    }
                }
            }
        } else {
            // strip: acid at the strip solution's, organic nearly free;
            // metals from the linear balances below
            u[[j, ih]] = p.extras[[j, 0]];
            u[[j, id]] = (0.45 * cx).ln();
            if let Some(i_n) = ker.ion_index() {
                u[[j, i_n]] = p.extras[[j, 1]];
            }
            continue;
        }
        let zy: f64 = (0..ka).map(|q| m.charge[p.active[q]] * y[q]).sum();
        let d = ((cx - 2.0 * zy) / 2.0).max(0.02 * cx);
        let major = (0..ka)
            .max_by(|&a, &b| (x[a] + y[a]).total_cmp(&(x[b] + y[b])))
            .unwrap_or(0);
        let dmaj = (y[major] / x[major].max(1e-300)).max(1e-300);
        let lk = m.log10_k[p.active[major]] * std::f64::consts::LN_10;
        let lh = ((lk + m.a * d.ln() - dmaj.ln()) / m.b).clamp((1e-7f64).ln(), (10f64).ln());
        for q in 0..ka {
            u[[j, q]] = x[q].max(1e-300).ln();
            under[j * ka + q] = x[q].is_nan() || x[q] < SF_START_UNDER;
        }
        u[[j, ih]] = lh;
        u[[j, id]] = d.ln();
        if let Some(i_n) = ker.ion_index() {
            u[[j, i_n]] = p.extras[[j, 1]];
        }
    }
    // a trace that the analogue carries below the range of a double
    // (aqueous under [`SF_START_UNDER`]) goes on falling at the slope of its
    // last two stages in range, up through the scrub, in place of a flat
    // floor at 1e-300; the strip below takes its product from there
    let mut ln_prod = vec![LN_FLOOR; ka];
    for q in 0..ka {
        let (mut last, mut prev) = (None, None);
        for j in 0..ne {
            if !under[j * ka + q] {
                (prev, last) = (last, Some(j));
                continue;
            }
            let (Some(l), Some(pv)) = (last, prev) else {
                continue;
            };
            let slope = (u[[l, q]] - u[[pv, q]]) / (l - pv) as f64;
            if slope < 0.0 && slope.is_finite() {
                u[[j, q]] = u[[l, q]] + slope * (j - l) as f64;
            }
        }
        if ne > 0 && under[(ne - 1) * ka + q] {
            // the organic leaving the last scrub stage: x D O with the
            // trace's D from the major metal's by the separation factor
            let j = ne - 1;
            let major = (0..ka)
                .max_by(|&a, &b| sol.aqueous[[j, a]].total_cmp(&sol.aqueous[[j, b]]))
                .unwrap_or(0);
            let dq = sol.organic[[j, major]] / sol.aqueous[[j, major]] * p.aq[j] / p.org[j]
                * beta[q]
                / beta[major];
            let lp = u[[j, q]] + dq.ln() + p.org[j].ln();
            if lp.is_finite() {
                ln_prod[q] = lp;
            }
        }
    }
    if ne < n {
        let mut dk = vec![0.0; ka];
        let mut dist = vec![vec![0.0; n]; ka];
        for j in ne..n {
            let row: Vec<f64> = (0..nv).map(|v| u[[j, v]]).collect();
            ker.distribution(&row, &mut dk);
            for q in 0..ka {
                dist[q][j] = dk[q].clamp(1e-12, 1e12);
            }
        }
        for q in 0..ka {
            // the balances are linear in the product: solved for one unit
            // of it and shifted by its logarithm, which may lie below the
            // range of a double
            let lost = under[(ne - 1) * ka + q];
            let mut f = vec![0.0; n];
            f[ne] = if lost { 1.0 } else { prod[q] };
            let lx = log_range(p, &dist[q], &f, ne);
            let shift = if lost { ln_prod[q] } else { 0.0 };
            for j in ne..n {
                u[[j, q]] = (lx[j] + shift).max(LN_FLOOR);
            }
        }
    }
    ion_start(ker, p, &mut u);
    Some(u)
}

/// Counter-ion (mol/L) taken to come with the scrub and strip acids of a
/// saponified mass-action cascade (a reagent-grade trace).
pub const TRACE_ION: f64 = 1e-12;

/// A mass-action stage's `ln` of the free extractant (HA units, `2
/// [(HA)2]`), counter-ion in the aqueous and in the organic, and anion.
fn ma_species(ker: &MassActionKernel, row: &[f64]) -> [f64; 4] {
    let n = ker.ion_index().map_or(0.0, |i| row[i].exp());
    [
        std::f64::consts::LN_2 + row[ker.free_index()],
        n,
        ker.organic_ion(row),
        ker.anion(row),
    ]
}

/// Solves with the trace balances in logarithmic form and, if that fails,
/// again in relative form within what is left of `max` iterations (each
/// form solves some cascades the other does not).
fn with_fallback(
    solver: &mut Solver,
    max: usize,
    once: impl FnMut(&mut Solver, usize, bool) -> Solution,
) -> Solution {
    with_fallback_between(solver, max, once, |_, used| Err(used))
}

/// [`with_fallback`] with `between` tried where the first pass failed
/// within `max`, before the second: given the iterations used, it
/// returns the solve's result, or the iterations used by then (the first
/// pass's included), of which the second pass's budget is net.
fn with_fallback_between(
    solver: &mut Solver,
    max: usize,
    mut once: impl FnMut(&mut Solver, usize, bool) -> Solution,
    mut between: impl FnMut(&mut Solver, usize) -> Result<Solution, usize>,
) -> Solution {
    let first = once(solver, max, true);
    if first.converged() || first.iterations >= max {
        return first;
    }
    let spent = match between(solver, first.iterations) {
        Ok(sol) => return sol,
        Err(spent) => spent,
    };
    if spent >= max {
        return Solution {
            iterations: spent,
            status: Status::MaxIterations,
            ..first
        };
    }
    let second = once(solver, max - spent, false);
    let iterations = spent + second.iterations;
    if second.converged() {
        Solution {
            iterations,
            ..second
        }
    } else {
        let status = if iterations >= max {
            Status::MaxIterations
        } else {
            first.status
        };
        Solution {
            iterations,
            status,
            ..first
        }
    }
}

/// Steady state of a `mass-action` cascade.
pub(crate) fn solve_mass_action(solver: &mut Solver, c: &Cascade, m: &MassActionSpec) -> Solution {
    // the separation-factor analogue behind the first start is the same in
    // both passes (it reads nothing the pass changes): solved once
    let mut analogue = None;
    // the first solve stops short of the budget where a walk applies, so
    // that a crawl there cannot leave the walks nothing (round 35: CLI
    // mass-action 9049's first solve spent all its 26,500 iterations)
    let walks = neutral_applies(c, m) || scrub_walk_applies(c, m.streams.scrub_acid);
    let first = first_share(c, walks);
    // a neutral feed's walk goes before the second pass ([`neutral_walk`];
    // it is tried once: for any other feed it returns at once)
    let mut walked = false;
    let sol = with_fallback_between(
        solver,
        first,
        |solver, max_it, log| mass_action_once(solver, c, m, max_it, log, &mut analogue, None),
        |solver, used| {
            walked = true;
            neutral_walk(solver, c, m, used)
        },
    );
    if sol.converged() {
        return sol;
    }
    let used = if walked {
        sol.iterations
    } else {
        match neutral_walk(solver, c, m, sol.iterations) {
            Ok(walked) => return walked,
            Err(used) => used,
        }
    };
    match ma_scrub_walk(solver, c, m, used) {
        Ok(walked) => walked,
        Err(iterations) => with_walks(sol, iterations, c.solver_options().max_iterations),
    }
}

/// A failed first solve's report `sol`, charged the `iterations` of the
/// whole solve (the walks' and last resorts' too), its status the
/// iteration limit where they used all of the budget `max`: the solve then
/// stopped for want of iterations, however its first pass ended (CLI check
/// log-linear 3010 with `max_iterations = 2000` said "iteration broke
/// down after 2000 Newton iterations"; CLI log-linear 5728 capped 0.3,
/// whose walk's start-up was still crossing the cascade when the budget
/// of 7,898 ran out, said the same).
fn with_walks(sol: Solution, iterations: usize, max: usize) -> Solution {
    let status = if iterations >= max {
        Status::MaxIterations
    } else {
        sol.status
    };
    Solution {
        iterations,
        status,
        ..sol
    }
}

/// `c` with `extraction`, `scrub` and `strip` stages in its sections,
/// built with a budget of `max_iterations` ([`budgeted`]).
fn with_sections(
    c: &Cascade,
    (extraction, scrub, strip): (usize, usize, usize),
    max_iterations: usize,
) -> Option<Cascade> {
    let mut spec = c.spec().clone();
    spec.extraction = extraction;
    spec.scrub = scrub;
    spec.strip = strip;
    budgeted(spec, max_iterations)
}

/// `spec` built with a budget of `max_iterations`; `None` where either
/// does not validate.
fn budgeted(mut spec: crate::model::CascadeSpec, max_iterations: usize) -> Option<Cascade> {
    spec.solver = spec
        .solver
        .to_builder()
        .max_iterations(max_iterations)
        .build()
        .ok()?;
    spec.build().ok()
}

/// `c` with its chemistry replaced by `chemistry` and a budget of
/// `max_iterations` ([`budgeted`]).
fn rebuilt(
    c: &Cascade,
    chemistry: crate::model::ChemistrySpec,
    max_iterations: usize,
) -> Option<Cascade> {
    let mut spec = c.spec().clone();
    spec.chemistry = chemistry;
    budgeted(spec, max_iterations)
}

/// One step of a walk in a parameter of `p` ([`neutral_walk`],
/// [`scrub_walk`]) with `left` iterations of the budget left: Newton
/// from the last steady state `u`, at most `newton` iterations; where it
/// fails, the start-up dynamics from that state, at most
/// `start_up_budget` of what Newton left. Returns the last report, the
/// iterations used and whether Newton alone converged; `u` holds the
/// iterate the step ended at.
#[allow(clippy::too_many_arguments)]
fn walk_step<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    u: &mut Array2<f64>,
    tol: f64,
    left: usize,
    newton: usize,
    start_up_budget: impl Fn(usize) -> usize,
) -> (NewtonReport, usize, bool) {
    let from = u.clone();
    let rep = newton_in(solver, ker, p, u, true, tol, left.min(newton));
    if rep.status == Status::Converged {
        return (rep, rep.iterations, true);
    }
    *u = from;
    let b = start_up_budget(left.saturating_sub(rep.iterations));
    if b == 0 {
        return (rep, rep.iterations, false);
    }
    let (up, it, _) = start_up(solver, ker, p, u, tol, b, true, false);
    (up, rep.iterations + it, false)
}

/// The walks after a failed first solve ([`neutral_walk`],
/// [`scrub_walk`]) are kept at least one part in `WALK_SHARE` of the
/// budget where they apply. Over mass-action robustness seeds 0-10499 the
/// cascades that converge in their first solve use at most 66 % of their
/// budget (seed 8188; 6851 43 %, the rest under 22 %).
const WALK_SHARE: usize = 8;

/// The iterations of `c`'s budget that its first solve may use: all but
/// one part in [`WALK_SHARE`] where a walk would follow (`walks`), else
/// all of them.
fn first_share(c: &Cascade, walks: bool) -> usize {
    let max = c.solver_options().max_iterations;
    if walks {
        max - max / WALK_SHARE
    } else {
        max
    }
}

/// Whether [`neutral_walk`] applies to `c`: an aqueous feed with no acid
/// (under [`NEUTRAL_FEED`]).
fn neutral_applies(c: &Cascade, m: &MassActionSpec) -> bool {
    c.layout().feed_phase == Phase::Aqueous && m.streams.feed_acid < NEUTRAL_FEED
}

/// Whether [`scrub_walk`] applies to `c` with the scrub acid `own`
/// (mol/L): a scrub stage fed a positive flow of a positive, finite acid.
fn scrub_walk_applies(c: &Cascade, own: Option<f64>) -> bool {
    c.layout().scrub_stage().is_some()
        && own.is_some_and(|a| a > 0.0 && a.is_finite())
        && c.spec().flows.scrub.unwrap_or(0.0) > 0.0
}

/// Feed acid (mol/L) under which an aqueous mass-action feed counts as
/// neutral for [`neutral_walk`].
const NEUTRAL_FEED: f64 = 1e-10;

/// Feed acid (mol/L) at which [`neutral_walk`] solves a neutral feed's
/// cascade first.
const NEUTRAL_START: f64 = 0.1;

/// Feed acid (mol/L) under which [`neutral_walk`] steps down half a
/// decade at a time rather than a decade. Below about 1e-7 mol/L the
/// feed's acid falls to the trace the saponified organic's exchange
/// leaves in the extraction's aqueous, and the steady state changes
/// kind there: decade steps from 1e-7 to 1e-9 failed in Newton (15-100
/// iterations) and took start-ups of 250-460 in CLI check mass-action
/// 19532, 28387 and 37175, where half decades are mostly taken by
/// Newton. Over the 2,646 neutral feeds of seeds 0-39999, 8 changed
/// (37175 3,747 -> 3,133 iterations, 19532 9,653 -> 9,135, 11852 2,894
/// -> 2,577, 28387 3,001 -> 2,819; 19505 6,832 -> 6,975, three others
/// +6 to +9), each to the same steady state, and no case was lost
/// (docs/benchmarks.md, round 60).
const NEUTRAL_FINE: f64 = 2e-7;

/// A cascade whose aqueous feed carries no acid (under [`NEUTRAL_FEED`])
/// and whose solve failed after `used` iterations: solved again with its
/// feed at [`NEUTRAL_START`] mol/L of acid, then followed down a decade at
/// a time (half a decade under [`NEUTRAL_FINE`]) to `1e-10` and to its
/// own acid, each step by Newton from the one
/// before (the start-up dynamics from there where Newton fails), within
/// the iterations its budget has left. `Err` with the iterations used in
/// all (`used` included) where it does not apply or any step fails.
///
/// Round 30's independent CLI check, mass-action 6676 and 6760 (4 and 2
/// metals over 369 and 316 stages, a scrub, feed `acid = 0.0`): with the
/// feed acid at 1e-12 to 0.01 mol/L both converge (6676 in 3,762 to 7
/// iterations), at exactly 0 both broke down (2,623 and 1,957 iterations);
/// the cause in the cold strategy was not found (round 55: see
/// docs/benchmarks.md).
///
/// [`solve_mass_action`] tries it between the first pass and the second
/// (the plain balances' pass), which neutral feeds of round 55's CLI
/// check all but never needed: of about 1,300 neutral mass-action cases
/// (seeds 0-19999), none converged in its second pass, and those that
/// reached it spent 1,181 to 12,013 iterations there before the walk
/// (7016: 22,962 -> 10,949 iterations in all; 19532 25,287 -> 19,233,
/// 19505 12,688 -> 9,793, 6676 5,630 -> 4,075, 6760 2,067 -> 886); of
/// 652 in seeds 20000-29999 one did (23873: 2,382 -> 2,429 walked) and
/// one more gained (28387: 7,461 -> 2,406).
fn neutral_walk(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    used: usize,
) -> Result<Solution, usize> {
    neutral_walk_with(solver, c, m, used, |ker, p, u, rep, used| {
        walked_solution(c, ker, p, u, rep, used)
    })
}

/// The solution of a mass-action walk's converged iterate `u` of `c`
/// ([`finish`]), its report `rep` and `used` iterations in all.
fn walked_solution(
    c: &Cascade,
    ker: &MassActionKernel,
    p: &Problem,
    u: &Array2<f64>,
    rep: NewtonReport,
    used: usize,
) -> Solution {
    let ih = ker.h_index();
    finish(
        c,
        ker,
        p,
        u,
        rep,
        used,
        0,
        |row| row[ih],
        |_, row| ma_species(ker, row),
    )
}

/// [`neutral_walk`], its converged iterate handed to `done` with the
/// kernel, the problem, the last step's report and the iterations used in
/// all.
fn neutral_walk_with<T>(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    mut used: usize,
    done: impl Fn(&MassActionKernel, &Problem, &Array2<f64>, NewtonReport, usize) -> T,
) -> Result<T, usize> {
    let own = m.streams.feed_acid;
    if !neutral_applies(c, m) {
        return Err(used);
    }
    let max = c.solver_options().max_iterations;
    if used >= max {
        return Err(used);
    }
    // the same cascade with an acid feed, within the budget left
    let mut acid = m.clone();
    acid.streams.feed_acid = NEUTRAL_START;
    let Some(ca) = ma_variant(c, &acid, max - used) else {
        return Err(used);
    };
    let mut kept = None;
    let first = ma_solve_kept(solver, &ca, &acid, &mut kept);
    used += first.iterations;
    let Some(mut u) = kept else {
        return Err(used);
    };
    // the real cascade's kernel and problem; the steps change only the
    // feed stage's acid inflow
    let (ker, mut p, _) = ma_problem(c, m);
    let fs = c.layout().feed_stage();
    let ih = ker.h_index();
    let f_flow = c.spec().feed.flow.unwrap_or(0.0);
    let base = p.feed[[fs, ih]] - f_flow * own;
    let tol = c.solver_options().tolerance;
    let mut level = NEUTRAL_START;
    let mut last = None;
    while last.is_none() {
        level *= if level < NEUTRAL_FINE {
            0.1f64.sqrt()
        } else {
            0.1
        };
        let a = if level < NEUTRAL_FEED { own } else { level };
        p.feed[[fs, ih]] = base + f_flow * a;
        let left = max.saturating_sub(used);
        let (rep, it, _) = walk_step(solver, &ker, &p, &mut u, tol, left, 100, |rest| rest);
        used += it;
        if rep.status != Status::Converged {
            return Err(used);
        }
        if a == own {
            last = Some(rep);
        }
    }
    let Some(rep) = last else {
        return Err(used);
    };
    Ok(done(&ker, &p, &u, rep, used))
}

/// The steady state of `c` by [`neutral_walk`] within `budget`
/// iterations, tried from a first solve's start-up that is still going
/// ([`NEUTRAL_PROBE`]): the walked iterate and the iterations used, or
/// `None` and the iterations used.
fn ma_neutral_probe(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    budget: usize,
) -> (Option<Array2<f64>>, usize) {
    ma_probe(solver, c, m, budget, |solver, cv| {
        neutral_walk_with(solver, cv, m, 0, |_, _, u, _, used| (u.clone(), used))
    })
}

/// The iterate a walk `walk` converges to on `c` rebuilt with a budget
/// of `budget` ([`ma_variant`]), and the iterations it used (`None`
/// where it fails).
fn ma_probe(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    budget: usize,
    walk: impl FnOnce(&mut Solver, &Cascade) -> Result<(Array2<f64>, usize), usize>,
) -> (Option<Array2<f64>>, usize) {
    let Some(cv) = ma_variant(c, m, budget) else {
        return (None, 0);
    };
    match walk(solver, &cv) {
        Ok((u, used)) => (Some(u), used),
        Err(used) => (None, used),
    }
}

/// The cascade `c` with the mass-action chemistry `m` and a budget of
/// `max_iterations` ([`rebuilt`]).
fn ma_variant(c: &Cascade, m: &MassActionSpec, max_iterations: usize) -> Option<Cascade> {
    let chemistry = crate::model::ChemistrySpec::MassAction(Box::new(m.clone()));
    rebuilt(c, chemistry, max_iterations)
}

/// [`mass_action_once`] with its fallback pass ([`with_fallback`])
/// within the cascade's budget, keeping the converged iterate in `kept`.
fn ma_solve_kept(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    kept: &mut Option<Array2<f64>>,
) -> Solution {
    let mut analogue = None;
    let sol = with_fallback(
        solver,
        c.solver_options().max_iterations,
        |solver, max_it, log| {
            mass_action_once(solver, c, m, max_it, log, &mut analogue, Some(&mut *kept))
        },
    );
    if !sol.converged() {
        *kept = None;
    }
    sol
}

/// The kernel and problem of a `mass-action` cascade (the stage flows,
/// inflows and the cold start's section acids), and the acid its
/// extraction starts from where a scrub changes it (see the comment in the
/// body).
fn ma_problem(c: &Cascade, m: &MassActionSpec) -> (MassActionKernel, Problem, Option<f64>) {
    let st = &m.streams;
    let (aq, org) = flows(c);
    let n = c.n_stages();
    let layout = *c.layout();
    let active = active_components(c, st);
    let ka = active.len();
    let ion = m.saponification > 0.0;
    let lk: Vec<f64> = active.iter().map(|&i| m.log10_k[i]).collect();
    let z: Vec<f64> = active.iter().map(|&i| m.charge[i]).collect();
    let ker = MassActionKernel::new(
        &lk,
        m.a,
        m.b,
        &z,
        m.extractant,
        ion.then_some(m.log10_k_ion),
        aq.clone(),
        org.clone(),
    );
    let (nv, nq) = (ker.unknowns(), ker.conserved());
    let mut feed = Array2::zeros((n, nq));
    metal_inflows(c, st, &active, &mut feed);
    let ih = ker.h_index();
    acid_inflows(c, st, ih, &mut feed);
    let cx = m.extractant;
    let s = m.saponification;
    // fresh (saponified) organic into stage 1; the metals it carries
    // (`[organic] concentration`) hold z HA each in place of protons
    let bound_in: f64 = c
        .spec()
        .inlet_concentration(crate::model::Inlet::Organic)
        .map_or(0.0, |y| y.iter().zip(&m.charge).map(|(y, z)| y * z).sum());
    feed[[0, ih]] += org[0] * ((1.0 - s) * cx - bound_in).max(0.0);
    if let Some(i_n) = ker.ion_index() {
        feed[[0, i_n]] += org[0] * s * cx;
        // Reagent-grade acids carry a trace of the counter-ion; this keeps
        // its balance above the range limit of a double deep in the scrub
        // and strip sections (it is counted in every balance).
        let sp = c.spec();
        if let Some(ss) = layout.scrub_stage() {
            feed[[ss, i_n]] += sp.flows.scrub.unwrap_or(0.0) * TRACE_ION;
        }
        if let Some(st) = layout.strip_stage() {
            feed[[st, i_n]] += sp.flows.strip.unwrap_or(0.0) * TRACE_ION;
        }
    }
    if layout.feed_phase == Phase::Organic {
        let f = c.spec().feed.flow.unwrap_or(0.0);
        let conc = c.spec().feed.concentration.clone().unwrap_or_default();
        let bound: f64 = conc.iter().zip(&m.charge).map(|(x, z)| z * x).sum();
        feed[[layout.feed_stage(), ih]] += f * (cx - bound);
    }
    // without a counter-ion to take it up (an unsaponified organic) the
    // scrub acid runs on down the extraction with the feed's: the
    // extraction's aqueous starts from the two together. At the feed acid
    // alone the cold start's extraction took every metal and the scrub
    // stripped it back, without bound in the start's linear balances
    // (seed 441 of the mass-action robustness sample: e^800 times the
    // feed's concentration in its scrub, every start-up broke down). A
    // saponified organic takes up acid and metal for its counter-ion; when
    // the metal and the feed and scrub acids bring more equivalents than
    // it has, what it cannot take leaves as acid in the raffinate (the
    // metal leaving with the loaded organic, the counter-ion with the
    // raffinate), and the extraction's aqueous starts from that excess
    // over the feed and scrub flows. Seed 506 (counter-ion 1.37 eq/h for
    // 1.81 brought in): 4 iterations from there, the start-up from the
    // feed acid alone needed 6641; from the two acids together (0.71 M,
    // twice the excess's 0.37 M) the shipped P507 cascade at a scrub flow
    // of 2400 L/h failed, from the excess it converges (268 iterations,
    // 320 from the feed acid). Such a scrub at its own acid can strip
    // back what the extraction's weaker acid loads: the start's
    // fixed-acidity linear balances then trap the metals between the two
    // sections without bound ([`TRAPPED`]), and the scrub starts from the
    // excess too (below).
    // An organic feed brings no aqueous: the extraction's aqueous is the
    // scrub liquor run down, and the feed's `acid` key (which no stream
    // carries) is no start for it. The loaded organic brings its metal
    // without an anion, so only the scrub acid's anion can take the
    // counter-ion out with the raffinate: the extraction starts from the
    // scrub acid (unsaponified) or from what that acid leaves over the
    // counter-ion (`W a - s C O`, over `W`). From the feed's acid (0 to
    // 1e-4 mol/L in 53 of cli_check's 218 organic feeds, median 0.028)
    // the linear start trapped the metals at e^107 mol/L next to the feed
    // (its seed 3 cut to 12 + 13 stages, feed acid 1e-4, scrub 4.57
    // mol/L: 1,025 iterations to the limit at residual 1e20;
    // 108 from the excess, 1.48 mol/L, with 0.33 mol/L in the raffinate
    // at steady state), and 15 of cli_check's organic feeds broke down in
    // 46-238 iterations (a non-finite residual)
    let sp = c.spec();
    let (f_flow, w_flow) = (sp.feed.flow.unwrap_or(0.0), sp.flows.scrub.unwrap_or(0.0));
    let mixed = match (ion, layout.feed_phase, st.scrub_acid) {
        (false, Phase::Aqueous, Some(w_acid)) if layout.scrub > 0 && f_flow + w_flow > 0.0 => {
            Some((f_flow * st.feed_acid + w_flow * w_acid) / (f_flow + w_flow))
        }
        (true, Phase::Aqueous, Some(w_acid)) if layout.scrub > 0 && f_flow + w_flow > 0.0 => {
            let metal: f64 = (0..n)
                .map(|j| (0..ka).map(|q| z[q] * feed[[j, q]]).sum::<f64>())
                .sum();
            let excess = metal + f_flow * st.feed_acid + w_flow * w_acid - s * cx * org[0];
            (excess > 0.0).then(|| (excess / (f_flow + w_flow)).max(st.feed_acid))
        }
        (false, Phase::Organic, Some(w_acid)) if layout.scrub > 0 && w_flow > 0.0 => Some(w_acid),
        (true, Phase::Organic, Some(w_acid)) if layout.scrub > 0 && w_flow > 0.0 => {
            let excess = w_flow * w_acid - s * cx * org[0];
            (excess > 0.0).then(|| excess / w_flow)
        }
        _ => None,
    };
    let mut extras = Array2::zeros((n, nv - ka));
    for j in 0..n {
        extras[[j, 0]] = match mixed {
            Some(a) if layout.section(j) == Section::Extraction => a.max(1e-4).ln(),
            _ => section_acid(c, st, j).ln(),
        };
        let mut col = 1;
        if ion {
            let nn = if layout.section(j) == Section::Extraction {
                s * cx * org[0] / aq[j]
            } else {
                1e-12 * s * cx
            };
            extras[[j, col]] = nn.ln();
            col += 1;
        }
        extras[[j, col]] = (0.25 * (1.0 - s) * cx).max(1e-6 * cx).ln();
    }
    let p = Problem {
        n,
        links: (0..n).map(|j| layout.aqueous_link(j)).collect(),
        aq,
        org,
        active,
        feed,
        extras,
        cold: None,
    };
    (ker, p, mixed)
}

fn mass_action_once(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    max_it: usize,
    log: bool,
    analogue: &mut Option<Option<Array2<f64>>>,
    keep: Option<&mut Option<Array2<f64>>>,
) -> Solution {
    let n = c.n_stages();
    let layout = *c.layout();
    let ion = m.saponification > 0.0;
    let (mut ker, mut p, mixed) = ma_problem(c, m);
    let ka = p.active.len();
    let ih = ker.h_index();
    // a saponified cascade short of counter-ion whose start holds more
    // metal than any aqueous can: its scrub from the excess acid as well
    // (seed 682 of the mass-action robustness sample: e^64 mol/L next to
    // the feed with its scrub at 0.75 mol/L, and the start-up crawled,
    // 10197 iterations; from the excess, 0.27 mol/L, 154 in all, the
    // steady-state acids being 0.18 in the extraction and 0.15 in the
    // scrub; seed 506 takes 15 iterations, 4 from its trapped start).
    // Only a trapped start: with every short scrub at the excess, seed
    // 168 needed 377 iterations (193) and seed 1456 converged (448, fails
    // from its own scrub acid). An unsaponified cascade keeps its scrub
    // acid: seed 441's start is trapped too (e^183) yet converges from
    // there, and not from the mixed acid in its scrub
    if let (true, Some(a)) = (ion, mixed) {
        let u0 = start(&ker, &p);
        if (0..n).any(|j| (0..ka).any(|q| u0[[j, q]] > TRAPPED)) {
            for j in 0..n {
                if layout.section(j) == Section::Scrub {
                    p.extras[[j, 0]] = a.max(1e-4).ln();
                }
            }
        }
    }
    // a linear cold start that holds more than the extractant somewhere
    // gives way to the start loaded to the extractant's capacity
    let linear = linear_start(&ker, &p);
    if max_loading(&ker, &p, &linear) > 1.0 {
        p.cold = capacity_start(c, m, &ker, &p, linear);
    }
    // every way out reports alike: the acid from its logarithm, the
    // species from the mass-action kernel
    macro_rules! finish_ma {
        ($u:expr, $rep:expr, $used:expr, $steps:expr) => {{
            if let Some(k) = keep {
                *k = Some($u.clone());
            }
            finish(
                c,
                &ker,
                &p,
                $u,
                $rep,
                $used,
                $steps,
                |row| row[ih],
                |_, row| ma_species(&ker, row),
            )
        }};
    }
    let opts = *c.solver_options();
    let mut used = 0;
    // the stage-count ladder first, in the log-form pass ([`ladder_start`];
    // the walks' and the ladder's own solves, `keep`, climb none), but
    // not for a crowded cascade, whose start is built for its steady
    // state ([`crowding`]): with the ladder tried first, robustness
    // mass-action 423, 1112 and 4283 (the crowded starts' tests) took 39
    // to 190 iterations more; it climbs after its own start (below)
    let crowded = crowding(c, m, &p);
    let climbs = log && keep.is_none() && max_it >= LADDER_MIN_BUDGET;
    macro_rules! climb {
        () => {{
            let (got, it, _) = climbed(solver, c, m, (&ker, &p), max_it / 4, true);
            used += it;
            if let Some((u, rep)) = got {
                return finish_ma!(&u, rep, used, 0);
            }
        }};
    }
    if climbs && crowded.is_none() {
        climb!();
    }
    let first = analogue
        .get_or_insert_with(|| sf_start(c, m, &ker, &p))
        .as_ref();
    if let Some(mut u) = first.cloned() {
        let rep = newton_in(
            solver,
            &ker,
            &p,
            &mut u,
            log,
            opts.tolerance,
            max_it.min(100),
        );
        used += rep.iterations;
        if rep.status == Status::Converged {
            return finish_ma!(&u, rep, used, 0);
        }
    }
    // a crowded cascade ([`crowding`]) from the start built for its
    // steady state, before the pinch start-up, the substitution and the
    // start-up dynamics ([`run`]), which crawl to that state at a stage per
    // hundreds of iterations (seed 423 of the mass-action robustness
    // sample: its budget of 4,755 spent, about 42,000 needed; 46 Newton
    // iterations from this start). A start whose residual is
    // [`CROWDED_GATE`] or more is left, and the usual strategy goes on, as
    // it does where Newton fails from the start
    if log {
        if let Some(mut v) = crowded.and_then(|cr| crowded_start(c, m, &ker, &p, cr)) {
            // the start's residual (one evaluation, no iteration) first
            let r0 = newton_in(solver, &ker, &p, &mut v, log, opts.tolerance, 0);
            used += r0.iterations;
            if r0.status == Status::Converged {
                return finish_ma!(&v, r0, used, 0);
            }
            if r0.residual < CROWDED_GATE {
                let b = CROWDED_NEWTON.min(max_it.saturating_sub(used));
                let rep = newton_in(solver, &ker, &p, &mut v, log, opts.tolerance, b);
                used += rep.iterations;
                if rep.status == Status::Converged {
                    return finish_ma!(&v, rep, used, 0);
                }
            }
        }
    }
    // a crowded cascade not solved from its own start climbs the ladder
    // then, from a base with its sections at most [`LADDER_BASE`] stages
    // (robustness mass-action 45150, 107 + 22 stages, whose crowded start
    // is past [`CROWDED_GATE`]: 4,528 -> 956 iterations, its base's own
    // start-up most of them; 42377, 67 + 30 stages, whose crowded start
    // Newton leaves at 0.24: 5,850 -> 140)
    if climbs && crowded.is_some() {
        climb!();
    }
    // the start-up from the pinch first, in the log-form pass: briefly
    // here, before the substitution and the Newton continuation (seeds 154
    // 160 176 213 220 297 of the mass-action robustness sample: 5-48
    // iterations in all, 420-540 after them), and again, from where this
    // try stopped at its cap, before [`run`] when it came near the steady
    // state ([`PINCH_ON_WAY`]) or in it
    let mut pinch = if log {
        pinch_start(c, m, &ker, &p)
    } else {
        None
    };
    let mut on_way = false;
    if let Some(pz) = pinch.as_ref() {
        let mut v = pz.clone();
        let (rep, it, _) = start_up(
            solver,
            &ker,
            &p,
            &mut v,
            opts.tolerance,
            PINCH_FIRST.min(max_it - used),
            log,
            false,
        );
        used += it;
        if rep.status == Status::Converged {
            return finish_ma!(&v, rep, used, 0);
        }
        if rep.status == Status::MaxIterations {
            on_way = rep.residual < PINCH_ON_WAY;
            pinch = Some(v);
        }
    }
    if log {
        if let Some((u, rep, it)) = substituted(solver, c, m, &ker, &p, first, max_it - used) {
            used += it;
            if rep.status == Status::Converged {
                return finish_ma!(&u, rep, used, 0);
            }
        }
    }
    if on_way {
        // the pinch start-up stopped at its cap near the steady state goes
        // on before the cold start's Newton and pseudo-transient
        // continuation ([`run`]), within two thirds of the iterations left
        // and at most 600, and is not tried again: seeds 246, 171 and 565
        // (residual 0.08-0.3 at the cap) spent 220-440 iterations there
        // first (246: 587 iterations in all, 186 now; 171: 321, 99; 565:
        // 337, 160), while 159 and 345 (0.96 and 0.70), which that
        // continuation solves, needed 110 more each when the pinch went on
        // first
        if let Some(v) = pinch.as_mut() {
            let b = (max_it.saturating_sub(used) * 2 / 3).min(600);
            let (rep, it, _) = start_up(solver, &ker, &p, v, opts.tolerance, b, log, false);
            used += it;
            if rep.status == Status::Converged {
                return finish_ma!(v, rep, used, 0);
            }
        }
        pinch = None;
    }
    let budget = max_it.saturating_sub(used);
    let held = ker.held();
    // the walks' own solves (`keep`) probe no walk
    let probe = keep.is_none() && scrub_walk_applies(c, m.streams.scrub_acid);
    let neutral = keep.is_none() && neutral_applies(c, m);
    let mut doubler = |solver: &mut Solver, left: usize, late: bool| {
        let one = |(u, used): (Option<Array2<f64>>, usize)| (u.into_iter().collect(), used);
        if late {
            if !neutral {
                return (Vec::new(), 0);
            }
            return one(ma_neutral_probe(solver, c, m, NEUTRAL_PROBE.min(left)));
        }
        let (got, used) = doubled_start(solver, c, m, left, &held);
        if got.is_some() || !probe {
            return one((got, used));
        }
        let (walked, more) = ma_walk_probe(solver, c, m, WALK_PROBE.min(left.saturating_sub(used)));
        one((walked, used + more))
    };
    let dbl: Option<&mut Doubler> = if log { Some(&mut doubler) } else { None };
    let (u, rep, it, steps) = run(
        solver,
        &mut ker,
        &p,
        first,
        opts.tolerance,
        budget,
        log,
        pinch.as_ref(),
        dbl,
    );
    finish_ma!(&u, rep, it + used, steps)
}

/// Iterations of the scrub walk ([`ma_walk_probe`]) tried where a first
/// solve's start-up is still going at [`DOUBLE_AFTER`] and the doubled
/// start gave nothing (the walks' own solves try none). CLI check
/// mass-action 15641 (2 metals over 22 + 90 + 1 stages, an organic feed)
/// crawled in its first solve's start-up for the seven eighths of its
/// budget it may use, 10,763 iterations, before the scrub walk converged
/// in 47; tried at 2,000 the walk converges and the solve takes 2,574.
/// A probe that fails costs its whole budget: at 300, six of the 17 slow
/// CLI seeds of docs/benchmarks.md took 300 more; at 100, 100 more, and
/// over robustness mass-action 0-10499 two seeds (5113, 7258) and CLI
/// mass-action 15750-16349 one (16262) took 100 more, no other changed
/// (round 52).
const WALK_PROBE: usize = 100;

/// Iterations of the neutral walk ([`ma_neutral_probe`]) tried as the
/// late start of a first solve's start-up still going at [`LATE_AFTER`].
const NEUTRAL_PROBE: usize = 4000;

/// A start built for the problem from a smaller cascade's steady state
/// ([`doubled_start`]), or with `late` set, its late start
/// ([`LATE_AFTER`]): given the budget left and `late`, its starts, the
/// likeliest first (none where it has none), and the iterations spent
/// building them.
type Doubler<'a> = dyn FnMut(&mut Solver, usize, bool) -> (Vec<Array2<f64>>, usize) + 'a;

/// Shortest extraction section halved by [`doubled_start`].
const DOUBLE_MIN: usize = 80;

/// A start for `c` from the steady state of the same cascade with half its
/// extraction stages (solved within a third of `left`, at most
/// [`DOUBLE_HALF`]), the missing stages inserted at the extraction stage
/// where that profile is straightest in logarithms (the smallest largest
/// second difference over the unknowns), each unknown carried on at its
/// change a stage there: one that rises towards the feed (a metal) keeps
/// the feed's side, its raffinate side moved down by the inserted count
/// times that change; one that falls towards the feed (the counter-ion,
/// which the saponified organic releases near the raffinate) keeps the
/// raffinate's side, its feed side moved down likewise within the
/// extraction (the scrub and strip keep theirs: those inlets carry a
/// trace of it, [`TRACE_ION`]); the unknowns `held` (the acid and the
/// free extractant, which the sections' inflows set) are copied. Moved
/// up instead, the counter-ion overflowed. Returns the start (none where
/// `c` has under [`DOUBLE_MIN`] extraction stages or side draws, or the
/// half did not converge) and the iterations the half used.
///
/// A pinched section is then all but solved: CLI check mass-action 11860
/// (10 metals over 284 + 14 stages; the start-up from its usual starts
/// needs 3,415 iterations) has a half that converges in 21 iterations,
/// every unknown linear in the stage number to 1e-15 over its stages
/// 13-157, and the start built from it holds every stage equation of the
/// full cascade within 9.1e-13.
fn doubled_start(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    left: usize,
    held: &[usize],
) -> (Option<Array2<f64>>, usize) {
    let e = c.spec().extraction;
    if e < DOUBLE_MIN || !c.spec().draws.is_empty() {
        return (None, 0);
    }
    let half = e / 2;
    let k = e - half;
    let l = c.layout();
    let sections = (half, l.scrub, l.strip);
    let Some(ch) = with_sections(c, sections, (left / 3).min(DOUBLE_HALF)) else {
        return (None, 0);
    };
    let mut kept = None;
    let used = ma_solve_kept(solver, &ch, m, &mut kept).iterations;
    let Some(u) = kept else {
        return (None, used);
    };
    (
        Some(inserted(&u, (0, half), (k, 0), (held, None), false)),
        used,
    )
}

/// `u` with `k` stages inserted into its section `lo..hi` where the
/// profile is straightest in logarithms (the interior stage with the
/// smallest largest second difference over the unknowns, from the third
/// stage of the section to the fourth from its end), each unknown carried
/// on over the inserted stages at its change a stage there (or `shift`
/// stages from there, where that stage is among those weighed): one that
/// rises with the stage number keeps the side above, the side below moved down
/// by `k` times that change; one that falls keeps the side below, the side
/// above moved down likewise. The side moved is moved whole where
/// `whole_side` (a trace falling through the section falls as far in the
/// sections beyond it), else only within the section (the scrub and strip
/// beyond an extraction carry the counter-ion at their inlets' trace,
/// [`TRACE_ION`]); the unknown `local`, where there is one, only within
/// the section either way ([`Rigorous::section_set`], [`ladder_start`]).
/// The unknowns `held` (the acid and the free extractant, which the
/// sections' inflows set) are copied.
fn inserted(
    u: &Array2<f64>,
    (lo, hi): (usize, usize),
    (k, shift): (usize, isize),
    (held, local): (&[usize], Option<usize>),
    whole_side: bool,
) -> Array2<f64> {
    let (n, nv) = u.dim();
    let len = hi - lo;
    let first = lo + 2.min(len.saturating_sub(1));
    let weighed = first.max(lo + 1)..hi.saturating_sub(3);
    let mut best = (f64::INFINITY, lo + len / 2);
    for j in weighed.clone() {
        let bend = (0..nv)
            .map(|q| (u[[j - 1, q]] - 2.0 * u[[j, q]] + u[[j + 1, q]]).abs())
            .fold(0.0, f64::max);
        if bend < best.0 {
            best = (bend, j);
        }
    }
    // moved `shift` stages where that stays among the stages weighed
    let moved = best
        .1
        .checked_add_signed(shift)
        .filter(|j| weighed.contains(j));
    let j0 = moved.unwrap_or(best.1).min(n.saturating_sub(2));
    let kf = k as f64;
    let mut v = Array2::zeros((n + k, nv));
    for q in 0..nv {
        let s = if held.contains(&q) {
            0.0
        } else {
            u[[j0, q]] - u[[j0 + 1, q]]
        };
        let whole_side = whole_side && local != Some(q);
        for i in 0..n + k {
            v[[i, q]] = if s <= 0.0 {
                if i > j0 + k {
                    u[[i - k, q]]
                } else if i > j0 {
                    u[[j0 + 1, q]] + (j0 + k + 1 - i) as f64 * s
                } else if whole_side || i >= lo {
                    u[[i, q]] + kf * s
                } else {
                    u[[i, q]]
                }
            } else if i <= j0 {
                u[[i, q]]
            } else if i <= j0 + k {
                u[[j0, q]] - (i - j0) as f64 * s
            } else if !whole_side && i - k >= hi {
                u[[i - k, q]]
            } else {
                u[[i - k, q]] - kf * s
            };
        }
    }
    v
}

/// Longest section the stage-count ladder leaves as it is
/// ([`ladder_start`]).
const LADDER_BASE: usize = 16;

/// Start-up iterations that finish a rung of the stage-count ladder
/// where Newton fails ([`climbed`]).
const LADDER_START_UP: usize = 400;

/// Further start-up iterations for the cascade's own rung of the
/// stage-count ladder ([`climbed`], [`doubled_solve`]'s `further`): where
/// its start-up of [`LADDER_START_UP`] (and a log-linear rung's retry
/// from the root above the balance's least) fails, the start-up goes on
/// from where it stopped. There it is the cascade's own start-up, from a
/// start nearer its steady state than the usual strategy's, which
/// follows where it fails.
///
/// CLI check mass-action 95239 (9 metals over 28 + 201 + 22 stages,
/// cerium breaking through the scrub between its rung below and itself)
/// took 1,216 iterations (1.1-1.5 s) with none, its top rung's start-up
/// stopping short and the usual strategy taking 725 more; 608 with them
/// (0.4 s). 72748 3,286 -> 1,850 (1.0 -> 0.4 s). Where the start-up
/// fails even so, they cost 1,100 iterations of the whole cascade
/// (95299 996 -> 2,096, 0.2 -> 0.4 s; the neutral feeds 6760 and 11852
/// +350 and +460). Given as a start-up of 1,500 in one (round 63), the
/// retry from the root above the least came after it, and CLI check
/// log-linear 84193 took 6,382 iterations instead of 1,152 (10.8 s).
const LADDER_TOP_FURTHER: usize = 1100;

/// Stages the stretches inserted up the stage-count ladder are moved by
/// for Newton's further starts of a rung where it fails from the first
/// ([`ladder_start`], [`doubled_solve`]).
const LADDER_SHIFTS: [isize; 2] = [-1, 1];

/// Least budget of a solve that climbs the stage-count ladder
/// ([`ladder_start`]): the default for every cascade
/// ([`crate::model::options::DEFAULT_MAX_ITERATIONS`]). It climbs within
/// a quarter of it, so that a ladder that fails leaves the usual strategy
/// most of its budget: within half of it, the shipped P507 model with
/// its scrub at 2,400 L/h (`max_iterations = 400`; 269 iterations
/// without the ladder) ran out of iterations.
const LADDER_MIN_BUDGET: usize = 1000;

/// Iterations the ladder's base cascade (every section at most
/// [`LADDER_BASE`] stages) gets to converge ([`ladder_steady`]), within
/// what the ladder has left: an iteration of it costs a tenth to a
/// fiftieth of one of the cascade it starts. At 150 (round 57),
/// robustness mass-action 5371, 9908 and 5113 (bases of 12 + 11 + 11,
/// 14 + 10 + 10 and 15 + 5 + 11 stages, which need 213, 795 and 1,180)
/// failed at the base and took 2,330-5,523 iterations (1.8-2.4 s; 501,
/// 797 and 1,190 now, under 0.13 s), and the sample's solves (0-10499)
/// took 48.1 s against 31.6 s (two runs at once). Over that sample the
/// bases that converge take 11 iterations at the median, 91 at the 99th
/// percentile and 1,180 at most (log-linear 0-9299: 303); the two that
/// fail (6769, 1948) have no steady state, and without this cap 1948's
/// base took a quarter of a budget of 30,000 (docs/benchmarks.md, round
/// 58). At 1,500 (rounds 58-61), CLI check log-linear 89148's base (15 +
/// 13 + 10 stages) failed, needing 1,853, and the cascade took 3,800
/// iterations (2.0 s); at 2,000 it climbs, 2,001 (0.6 s), and 90505 2,133
/// -> 1,543 (1.1 -> 0.16 s). The failures whose bases fail too take up to
/// 500 more: CLI log-linear 87000-87999 nine of 43, 90000-90999 13 of 40,
/// robustness mass-action 6769 and 1948 (round 62).
///
/// Until round 65 the base's iterations came out of the rungs' share as
/// well (a quarter of the first solve's, [`ll_first`]): CLI check
/// log-linear 110010 (15 metals over 102 + 223 stages) spent 1,575 of its
/// 1,644 on its base of 13 + 14 stages, its rung of 26 + 56 then failed
/// with none left, and the usual strategy took 2,899 iterations in all
/// (3.0 s). Not charged to them, the rungs climb to the cascade in 149:
/// 1,724 in all, 0.56 s. Nothing else changed over the CLI check's
/// mass-action 72000-72999, 80000-80999, 95000-95999 and 97000-97999 and
/// log-linear 3000-4999, 87000-87999 and 90000-90999 (docs/benchmarks.md,
/// round 65).
const LADDER_BASE_BUDGET: usize = 2000;

/// What the stage-count ladder ([`ladder_start`]) needs of a model's
/// solve.
trait Climb {
    /// The model's kernel.
    type Kernel: Rigorous;
    /// The kernel and problem of `c`.
    fn problem(&self, c: &Cascade) -> (Self::Kernel, Problem);
    /// The solve of `c` within its own budget, its converged iterate kept
    /// in `kept`; it climbs no ladder.
    fn solve_kept(&self, solver: &mut Solver, c: &Cascade, kept: &mut Kept) -> Solution;
}

/// A converged iterate kept by a solve ([`Climb::solve_kept`]).
type Kept = Option<Array2<f64>>;

impl Climb for MassActionSpec {
    type Kernel = MassActionKernel;
    fn problem(&self, c: &Cascade) -> (MassActionKernel, Problem) {
        let (ker, p, _) = ma_problem(c, self);
        (ker, p)
    }
    fn solve_kept(&self, solver: &mut Solver, c: &Cascade, kept: &mut Kept) -> Solution {
        ma_solve_kept(solver, c, self, kept)
    }
}

impl Climb for LogLinearSpec {
    type Kernel = LogLinearKernel;
    fn problem(&self, c: &Cascade) -> (LogLinearKernel, Problem) {
        log_linear_problem(c, self)
    }
    fn solve_kept(&self, solver: &mut Solver, c: &Cascade, kept: &mut Kept) -> Solution {
        ll_solve_kept(solver, c, self, kept)
    }
}

/// `c` with every section over [`LADDER_BASE`] stages halved (its larger
/// half kept), within a budget of `max_iterations`; `None` where no
/// section is that long, or `c` has side draws (their stages are named).
fn ladder_half(c: &Cascade, max_iterations: usize) -> Option<Cascade> {
    if !ladder_halves(c) {
        return None;
    }
    let l = c.layout();
    let half = |x: usize| if x > LADDER_BASE { x - x / 2 } else { x };
    let sections = (half(l.extraction), half(l.scrub), half(l.strip));
    with_sections(c, sections, max_iterations)
}

/// Whether `c` has a section over [`LADDER_BASE`] stages and no side
/// draws: whether [`ladder_half`] halves it.
fn ladder_halves(c: &Cascade) -> bool {
    let l = c.layout();
    l.extraction.max(l.scrub).max(l.strip) > LADDER_BASE && c.spec().draws.is_empty()
}

/// Starts for `c` (its kernel and problem) up the stage-count ladder:
/// the steady state `u` of the rung below (its layout `h`: `c` with its
/// long sections halved, [`ladder_half`], [`ladder_steady`], or split
/// between, [`rung`]), each shorter section's missing stages inserted
/// where its profile is straightest ([`inserted`], the side moved whole,
/// the unknowns `held` copied: [`Rigorous::held`] of `c`'s kernel), then
/// the same with the stretches moved a stage down and up
/// ([`LADDER_SHIFTS`]).
///
/// A long section of a steady cascade mostly stands at a pinch, whose
/// state does not depend on the section's length; the start-up dynamics,
/// by contrast, carry each metal's front across the section a stage or
/// so a step, and Newton from the usual starts does not reach the pinch:
/// CLI check mass-action 72220 (14 metals over 167 + 198 stages) took
/// 1,341 iterations from the usual starts (2.6 s), 165 up the ladder (its
/// base 11 + 13 stages, then 21 + 25, 42 + 50, 84 + 99 and the cascade
/// itself; 0.1 s); robustness log-linear 8965 4,007 -> 25. Over the
/// robustness samples (mass-action 0-10499, log-linear 0-9299) the
/// solves take a third and a quarter of the time they took (docs/
/// benchmarks.md, round 57).
fn ladder_start<E: Rigorous>(
    solver: &mut Solver,
    c: &Cascade,
    (ker, p): (&E, &Problem),
    (u, h): (&Array2<f64>, Layout),
) -> Vec<Array2<f64>> {
    let l = *c.layout();
    let held = ker.held();
    let carried = |local: Option<usize>, shift: isize| {
        let mut v = u.clone();
        // from the top down, so that the sections below keep their stages
        let sections = [
            (h.extraction + h.scrub, h.strip, l.strip),
            (h.extraction, h.scrub, l.scrub),
            (0, h.extraction, l.extraction),
        ];
        for (lo, len, full) in sections {
            if full > len {
                v = inserted(
                    &v,
                    (lo, lo + len),
                    (full - len, shift),
                    (&held, local),
                    true,
                );
            }
        }
        v
    };
    // the stretches moved a stage down and up: Newton's next starts
    // where it fails from the first ([`LADDER_SHIFTS`]; robustness
    // mass-action 4593's top rung, 21 + 293 stages, 576 -> 136 iterations)
    let with_shifts = |first: Array2<f64>, local: Option<usize>| {
        let mut starts = vec![first];
        for shift in LADDER_SHIFTS {
            let v = carried(local, shift);
            if starts.iter().all(|s| *s != v) {
                starts.push(v);
            }
        }
        starts
    };
    let whole = carried(None, 0);
    let Some(q) = ker.section_set() else {
        return with_shifts(whole, None);
    };
    // a counter-ion beyond the stretch inserted is carried down with it
    // where the organic brings it there, and stays at the half's where the
    // sections' inlets set it ([`Rigorous::section_set`]): the start
    // with it left there where its stage equations hold under half as far
    // off as the other's (projected, as [`doubled_solve`] projects it;
    // a relative residual stops at 1, where the two say nothing:
    // robustness mass-action 914's rung of 153 stages, 0.99998 left
    // against 0.9999999 carried, fails left and converges carried)
    let own = carried(Some(q), 0);
    let tol = c.solver_options().tolerance;
    let mut residual = |v: &Array2<f64>| {
        let mut w = v.clone();
        newton::project_stages(ker, &mut w);
        newton_in(solver, ker, p, &mut w, true, tol, 0).residual
    };
    let (start, local) = if residual(&own) < 0.5 * residual(&whole) {
        (own, Some(q))
    } else {
        (whole, None)
    };
    with_shifts(start, local)
}

/// The steady state of `c` up the stage-count ladder, within `left`
/// iterations: where no section is halved ([`ladder_half`]) the solve
/// of `c` itself within [`LADDER_BASE_BUDGET`], else from the start its
/// half gives ([`ladder_start`]) by Newton and a short start-up
/// ([`doubled_solve`]). Returns the state (none where a rung did not
/// converge), the iterations used, and those of them that the base (the
/// ladder's lowest rung, solved itself) used.
fn ladder_steady<M: Climb>(
    solver: &mut Solver,
    c: &Cascade,
    m: &M,
    left: usize,
) -> (Option<Array2<f64>>, usize, usize) {
    if !ladder_halves(c) {
        let Some(cb) = budgeted(c.spec().clone(), left.min(LADDER_BASE_BUDGET)) else {
            return (None, 0, 0);
        };
        let mut kept = None;
        let used = m.solve_kept(solver, &cb, &mut kept).iterations;
        return (kept, used, used);
    }
    let (ker, p) = m.problem(c);
    let (got, used, base) = climbed(solver, c, m, (&ker, &p), left, false);
    (got.map(|(u, _)| u), used, base)
}

/// The steady state of `c` (its kernel and problem `kp`) up the
/// stage-count ladder: from the steady state of its half
/// ([`ladder_half`], [`ladder_steady`]) as [`rung`] climbs, within
/// `left` iterations. A rung below the cascade (`top` false) is split up
/// to [`RUNG_SPLITS`] times where Newton fails, and where a rung of the
/// split fails the ladder ends there; the cascade's own rung (`top`) is
/// not split, and its start-up goes on [`LADDER_TOP_FURTHER`] iterations
/// further where it fails. The ladder's base, solved itself within
/// [`LADDER_BASE_BUDGET`], is not charged to the rungs: each rung gets
/// `left` less the rungs' iterations below it. Returns the state and its
/// report where it converges, the iterations used either way, and those
/// of them that the base used.
///
/// A split whose rungs fail used to be followed by the start-up of the
/// rung itself from its half's start (as with no split): over the CLI
/// check's log-linear seeds 3000-4999, 87000-87999 and 90000-90999 and
/// mass-action 72000-72999, 80000-80999, 95000-95999 and 97000-97999,
/// and the robustness samples (mass-action 0-10499, log-linear 0-9299),
/// it never converged where the usual strategy that follows the ladder
/// did not, and cost 300-800 iterations where it failed. Without it 12
/// solves took fewer iterations and none more, the same outcome each:
/// log-linear 4942 3,842 -> 3,042, 3499 2,682 -> 2,282, robustness
/// log-linear 9106 928 -> 569, mass-action 72027 1,098 -> 698, and eight
/// log-linear failures reported sooner (docs/benchmarks.md, round 65).
fn climbed<M: Climb>(
    solver: &mut Solver,
    c: &Cascade,
    m: &M,
    kp: (&M::Kernel, &Problem),
    left: usize,
    top: bool,
) -> (Option<(Array2<f64>, NewtonReport)>, usize, usize) {
    let Some(half) = ladder_half(c, left) else {
        return (None, 0, 0);
    };
    let (u, used, base) = ladder_steady(solver, &half, m, left);
    let Some(u) = u else {
        return (None, used, base);
    };
    let low = (&u, *half.layout());
    let (splits, further) = if top {
        (0, LADDER_TOP_FURTHER)
    } else {
        (RUNG_SPLITS, 0)
    };
    // the base's iterations are not the rungs' ([`LADDER_BASE_BUDGET`])
    let room = left.saturating_sub(used - base);
    let (got, more) = rung(solver, c, m, kp, low, (room, further), splits);
    (got, used + more, base)
}

/// Times a rung of the stage-count ladder below the cascade itself is
/// split in two where Newton fails on it ([`rung`]); the cascade's own
/// rung is not split.
///
/// A rung that fails from its half mostly converges from a rung between
/// (round 63): robustness log-linear 40101 (264 + 13 stages), whose rung
/// of 17 + 13 fails from 9 + 13, as does 13 + 13, converges at 11 + 13
/// (by its start-up) and from there at 13 + 13 and 17 + 13, and the
/// ladder climbs on: 3,936 iterations (2.3 s) -> 562 (0.04 s);
/// mass-action 49978 2,510 (2.2 s) -> 158, log-linear 2961 858 (1.1 s)
/// -> 105. Over robustness mass-action 0-10499 and log-linear 0-9299 the
/// iterations fell by 0.5 % and 1.0 % (59 and 31 seeds changed, 17 and 12
/// worse), over CLI check mass-action 72000-72999 and 80000-80999 they
/// rose by 0.7 % (72027 518 -> 1,098, its split failing at the lowest
/// rung). Where the rung that fails is the cascade itself, a split costs
/// iterations of the whole cascade and the usual strategy follows:
/// mass-action 5049 (295 + 18 stages), whose top rung fails from
/// 221 + 13 and from 258 + 15 too, took 801 -> 1,718 iterations
/// (0.8 -> 1.5 s) split there with the failed rungs' start-ups before
/// each split; with Newton alone before it, as now, splitting the
/// cascade's own rung was neutral over the same samples.
const RUNG_SPLITS: usize = 2;

/// The steady state of `c` (its kernel and problem) from the steady
/// state `u` of the rung below it (its layout `h`, no section longer),
/// its missing stages inserted ([`ladder_start`]), within `left`
/// iterations: where `splits` is 0, finished by Newton and a short
/// start-up ([`doubled_solve`], `further` iterations more from where it
/// stopped) in log form; else by Newton alone, and where that fails the
/// rung is split in two at the cascade with each section between
/// ([`ladder_mid`]), its lower half climbed alike with one split fewer
/// and its upper half with none. Trying Newton alone
/// before a split leaves the start-ups to the split's rungs, which they
/// mostly finish (40101 1,362 -> 562 iterations, its two failed start-ups
/// of 400 saved). Splitting the upper half again where it failed from
/// the rung between failed as well (mass-action 5049 and 8446, from half
/// and three quarters of the way). Returns the state and its report
/// where it converges, and the iterations used either way.
fn rung<M: Climb>(
    solver: &mut Solver,
    c: &Cascade,
    m: &M,
    (ker, p): (&M::Kernel, &Problem),
    (u, h): (&Array2<f64>, Layout),
    (left, further): (usize, usize),
    splits: usize,
) -> (Option<(Array2<f64>, NewtonReport)>, usize) {
    let tol = c.solver_options().tolerance;
    let mut d = |s: &mut Solver, _: usize, _: bool| (ladder_start(s, c, (ker, p), (u, h)), 0);
    let start_up = if splits > 0 { 0 } else { LADDER_START_UP };
    let (got, mut used) = doubled_solve(
        solver,
        ker,
        p,
        &mut d,
        (left, true, start_up, further),
        tol,
        (true, false),
    );
    if got.is_some() || splits == 0 {
        return (got, used);
    }
    let Some(mid) = ladder_mid(c, &h, left.saturating_sub(used)) else {
        return (None, used);
    };
    let (mk, mp) = m.problem(&mid);
    let (got, more) = rung(
        solver,
        &mid,
        m,
        (&mk, &mp),
        (u, h),
        (left.saturating_sub(used), 0),
        splits - 1,
    );
    used += more;
    let Some((v, _)) = got else {
        return (None, used);
    };
    let low = (&v, *mid.layout());
    let left = (left.saturating_sub(used), 0);
    let (got, more) = rung(solver, c, m, (ker, p), low, left, 0);
    (got, used + more)
}

/// `c` with each section `h` has shorter by at least two stages halfway
/// between (the lower half), within a budget of `max_iterations`; `None`
/// where no section is, or what is left is spent.
fn ladder_mid(c: &Cascade, h: &Layout, max_iterations: usize) -> Option<Cascade> {
    let l = c.layout();
    let mid = |x: usize, y: usize| if x >= y + 2 { y + (x - y) / 2 } else { x };
    let sections = (
        mid(l.extraction, h.extraction),
        mid(l.scrub, h.scrub),
        mid(l.strip, h.strip),
    );
    if sections == (l.extraction, l.scrub, l.strip) || max_iterations == 0 {
        return None;
    }
    with_sections(c, sections, max_iterations)
}

/// Successive substitution with exact stage equilibria
/// ([`super::substitution`]) from `first` (or the cold start), each round
/// finished by Newton. Returns the iterate, the last Newton report and the
/// iterations charged (ten sweeps count as one iteration).
#[allow(clippy::too_many_arguments)]
fn substituted(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    ker: &MassActionKernel,
    p: &Problem,
    first: Option<&Array2<f64>>,
    max_it: usize,
) -> Option<(Array2<f64>, NewtonReport, usize)> {
    let (ln_k, z) = active_constants(m, p);
    // magnitudes near the range of a double (a constant of 1e308, say)
    // leave nothing for the stage roots to find: the later stages report
    let sane = |v: f64| v.is_finite() && v.abs() < 1e100;
    if !(ln_k.iter().all(|&v| sane(v)) && p.feed.iter().all(|&v| sane(v))) {
        return None;
    }
    let pass = c.pass().map(|d| (d.aqueous.clone(), d.organic.clone()));
    let mc = super::substitution::MassActionCascade {
        ln_k: &ln_k,
        a: m.a,
        b: m.b,
        z: &z,
        c_total: m.extractant,
        ln_k_ion: ker
            .has_ion()
            .then_some(m.log10_k_ion * std::f64::consts::LN_10),
        aq: &p.aq,
        org: &p.org,
        links: &p.links,
        pass: pass.as_ref().map(|(a, o)| (&a[..], &o[..])),
        feed: &p.feed,
    };
    let mut u = first.cloned().unwrap_or_else(|| start(ker, p));
    let mut used = 0;
    let mut sweeps = 0;
    let mut last = None;
    // the stage-equation evaluations of all levels, within
    // [`MAX_EVALUATIONS`]: a substitution that wanders costs ten Newton
    // iterations' work a sweep while charged a tenth of one (6547)
    let evals = std::cell::Cell::new(0);
    for tol in [1e-3, 1e-6, 1e-10] {
        if evals.get() >= MAX_EVALUATIONS {
            break;
        }
        let budget_sweeps = sweeps_left(max_it, used, sweeps);
        let out = super::substitution::substitute(
            &mc,
            &mut u,
            tol,
            (budget_sweeps.min(2_000), &evals, MAX_EVALUATIONS),
            LN_FLOOR,
        );
        sweeps += out.sweeps;
        let mut v = u.clone();
        let left = max_it.saturating_sub(charged(used, sweeps));
        let tol = c.solver_options().tolerance;
        let rep = newton_in(solver, ker, p, &mut v, true, tol, left.min(150));
        used += rep.iterations;
        if rep.status == Status::Converged {
            return Some((v, rep, charged(used, sweeps)));
        }
        last = Some(rep);
        if out.change > tol {
            break;
        }
    }
    last.map(|rep| (u, rep, charged(used, sweeps)))
}

/// Total sulfate (mol/L) in each stage's aqueous, from the flows.
fn stage_sulfate(c: &Cascade, st: &AqueousStreams, aq: &[f64]) -> Vec<f64> {
    let layout = c.layout();
    let sp = c.spec();
    let f = sp.feed.flow.unwrap_or(0.0);
    let w = sp.flows.scrub.unwrap_or(0.0);
    let sflow = sp.flows.strip.unwrap_or(0.0);
    if let Some(pass) = c.pass() {
        return draw_sulfate(c, st, &pass.aqueous, aq);
    }
    (0..c.n_stages())
        .map(|j| match layout.section(j) {
            Section::Extraction => (f * st.feed_sulfate + w * st.scrub_sulfate) / aq[j],
            Section::Scrub => st.scrub_sulfate,
            Section::Strip => {
                let _ = sflow;
                st.strip_sulfate
            }
        })
        .collect()
}

/// [`stage_sulfate`] with side draws: the sulfate of each aqueous
/// solution carried down its circuit, less what the draws take.
fn draw_sulfate(c: &Cascade, st: &AqueousStreams, pass: &[f64], aq: &[f64]) -> Vec<f64> {
    let (layout, sp) = (c.layout(), c.spec());
    let mut inflow = vec![0.0; c.n_stages()];
    if layout.feed_phase == Phase::Aqueous {
        inflow[layout.feed_stage()] += sp.feed.flow.unwrap_or(0.0) * st.feed_sulfate;
    }
    if let Some(j) = layout.scrub_stage() {
        inflow[j] += sp.flows.scrub.unwrap_or(0.0) * st.scrub_sulfate;
    }
    if let Some(j) = layout.strip_stage() {
        inflow[j] += sp.flows.strip.unwrap_or(0.0) * st.strip_sulfate;
    }
    crate::cascade::draw::aqueous_passive(layout, pass, aq, &inflow)
}

/// Total sulfate (mol/L) in each stage's aqueous for a log-linear cascade
/// with the bisulfate equilibrium (zeros otherwise).
pub fn sulfate_profile(c: &Cascade) -> Vec<f64> {
    match &c.spec().chemistry {
        crate::model::ChemistrySpec::LogLinear(m) if m.bisulfate => {
            stage_sulfate(c, &m.streams, &flows(c).0)
        }
        _ => vec![0.0; c.n_stages()],
    }
}

/// Steady state of a `log-linear` cascade.
pub(crate) fn solve_log_linear(solver: &mut Solver, c: &Cascade, m: &LogLinearSpec) -> Solution {
    let share = ll_share(c, m);
    // a cascade whose distribution ratios ignore the extractant is solved
    // at a capacity that cannot run out first ([`ll_blind`])
    let mut blind = 0;
    if m.extractant_blind() {
        match ll_blind(solver, c, m, share / 2) {
            Blind::Steady(sol) | Blind::Overloaded { sol, .. } => return sol,
            Blind::Failed(used) => blind = used,
        }
    }
    let sol = ll_first(solver, c, m, share - blind, &mut None);
    let sol = Solution {
        iterations: sol.iterations + blind,
        ..sol
    };
    // (a first solve stopped by its share of the budget goes on to the
    // walks, which spend the rest: a solve that says it ran out of
    // iterations has used them all)
    if sol.converged() || (uncapped_with_scrub(c, m) && sol.iterations < share) {
        return sol;
    }
    let used = match ll_scrub_walk(solver, c, m, sol.iterations) {
        Ok(walked) => return walked,
        Err(used) => used,
    };
    // a cascade proved to have no steady state is reported as it is
    if log_linear_starved(c).is_some() {
        return Solution {
            iterations: used,
            ..sol
        };
    }
    let used = match ll_capped_walk(solver, c, m, used) {
        Ok(walked) => return walked,
        Err(used) => used,
    };
    let (ker, p) = log_linear_problem(c, m);
    match from_empty(solver, &ker, &p, c.solver_options(), used) {
        Ok((u, rep, used)) => ll_finish(c, &ker, &p, &u, rep, used, 0),
        Err(iterations) => with_walks(sol, iterations, c.solver_options().max_iterations),
    }
}

/// The iterations of a log-linear cascade's budget that its first solve
/// may use ([`first_share`]): it stops short of the budget where a walk
/// applies ([`WALK_SHARE`]). [`solve_log_linear`] and the overload test
/// ([`log_linear_overloaded`]) give the solve at a wider capacity the
/// same half of it, so that the test meets the solve's own state.
fn ll_share(c: &Cascade, m: &LogLinearSpec) -> usize {
    let walks = scrub_walk_applies(c, m.streams.scrub_acid) || ll_capped(m, 1.0).is_some();
    first_share(c, walks)
}

/// The first solve of a log-linear cascade within `share` iterations:
/// up the stage-count ladder ([`ladder_start`], within a quarter of
/// `share`), then the usual solve ([`ll_solve_within`]) within the rest,
/// the converged iterate kept in `kept`.
fn ll_first(
    solver: &mut Solver,
    c: &Cascade,
    m: &LogLinearSpec,
    share: usize,
    kept: &mut Option<Array2<f64>>,
) -> Solution {
    // the ladder's kernel and problem are built only where it climbs
    let mut climb = 0;
    if share >= LADDER_MIN_BUDGET && ladder_halves(c) {
        let (ker, p) = log_linear_problem(c, m);
        let (got, it, _) = climbed(solver, c, m, (&ker, &p), share / 4, true);
        if let Some((u, rep)) = got {
            let sol = ll_finish(c, &ker, &p, &u, rep, it, 0);
            *kept = Some(u);
            return sol;
        }
        climb = it;
    }
    let sol = ll_solve_within(solver, c, m, share.saturating_sub(climb), kept);
    Solution {
        iterations: sol.iterations + climb,
        ..sol
    }
}

/// How many times its own capacity a log-linear cascade whose
/// distribution ratios ignore the extractant is given for [`ll_blind`]'s
/// solve. The steady states of round 61's overloaded cascades (CLI check
/// log-linear 87000-87999, all nine with `fixed_dose`) bind 1.04 to 14
/// times the capacity in their most loaded stage; at ten times 87858's
/// solve did not converge, at a hundred all nine converge in 15-60
/// iterations and give the same stage and amount as at ten.
const BLIND_CAPACITY: f64 = 100.0;

/// Newton iterations that carry [`ll_blind`]'s steady state over to the
/// cascade's own capacity (its free extractant set from the balances, the
/// rest is the steady state already).
const BLIND_NEWTON: usize = 20;

/// How [`ll_blind`] ended.
enum Blind {
    /// The cascade's steady state, converged.
    Steady(Solution),
    /// The steady state binds more extractant than the cascade's capacity
    /// in `stage` (from 0): `bound` mol/L, of `capacity`; `sol` is that
    /// state with the free extractant as near to its balance as it gets,
    /// reported as not converged.
    Overloaded {
        /// The state, as a failed solve's last iterate.
        sol: Solution,
        /// The stage binding the most, from 0.
        stage: usize,
        /// What its metals bind, mol/L.
        bound: f64,
        /// The organic's extractant, mol/L.
        capacity: f64,
    },
    /// The solve at the larger capacity did not converge (or the state
    /// did not carry over) after these iterations.
    Failed(usize),
}

/// A log-linear cascade none of whose distribution ratios depends on the
/// free extractant ([`LogLinearSpec::extractant_blind`]), solved at
/// [`BLIND_CAPACITY`] times its capacity ([`ll_first`] within `budget`):
/// its stage equations but the extractant balances do not involve the
/// capacity, so that steady state is the cascade's own where every stage
/// binds less than its capacity (each stage's free extractant set to what
/// is left, finished by Newton), and where one binds more, the stage
/// equations' steady state needs more extractant than the organic holds.
/// Such cascades used to fail after their whole first solve with the free
/// extractant collapsing in a stage (round 61: CLI check log-linear
/// 87882, 14 metals over 397 stages under `fixed_dose`, 4.0 s).
fn ll_blind(solver: &mut Solver, c: &Cascade, m: &LogLinearSpec, budget: usize) -> Blind {
    let mut wide = m.clone();
    wide.molarity_per_percent *= BLIND_CAPACITY;
    let Some(cw) = ll_variant(c, &wide, budget) else {
        return Blind::Failed(0);
    };
    let mut kept = None;
    let used = ll_first(solver, &cw, &wide, budget, &mut kept).iterations;
    let Some(mut u) = kept else {
        return Blind::Failed(used);
    };
    let (ker, p) = log_linear_problem(c, m);
    let capacity = ker.extractant();
    let (stage, most) = u
        .rows()
        .into_iter()
        .map(|row| ker.bound(row.as_slice().expect("standard layout")))
        .enumerate()
        .fold((0, 0.0), |w, (j, b)| if b > w.1 { (j, b) } else { w });
    // each stage's free extractant onto its balance at the cascade's own
    // capacity: what its metals leave free, or where they bind more than
    // that, the least the projection brackets
    newton::project_stages(&ker, &mut u);
    let tol = c.solver_options().tolerance;
    if most >= capacity {
        // reported at its residual, the state as it is
        let rep = newton_in(solver, &ker, &p, &mut u, true, tol, 0);
        let rep = NewtonReport {
            status: Status::Diverged,
            ..rep
        };
        return Blind::Overloaded {
            sol: ll_finish(c, &ker, &p, &u, rep, used, 0),
            stage,
            bound: most,
            capacity,
        };
    }
    let rep = newton_in(solver, &ker, &p, &mut u, true, tol, BLIND_NEWTON);
    let used = used + rep.iterations;
    if rep.status == Status::Converged {
        Blind::Steady(ll_finish(c, &ker, &p, &u, rep, used, 0))
    } else {
        Blind::Failed(used)
    }
}

/// Whether the steady state found for a log-linear cascade whose
/// distribution ratios ignore the free extractant
/// ([`LogLinearSpec::extractant_blind`]) is no steady state of the
/// cascade: that of its stage equations, which do not involve the
/// capacity but through the extractant balances ([`ll_blind`]), binds
/// more than the organic's extractant in some stage (a proof for that
/// steady state, not that no other exists). `(stage from 0, mol/L bound there, mol/L of extractant)`;
/// `None` where it does not, where that solve fails, or for other models.
pub(crate) fn log_linear_overloaded(c: &Cascade) -> Option<(usize, f64, f64)> {
    let crate::model::ChemistrySpec::LogLinear(m) = &c.spec().chemistry else {
        return None;
    };
    if !m.extractant_blind() {
        return None;
    }
    match ll_blind(&mut Solver::new(), c, m, ll_share(c, m) / 2) {
        Blind::Overloaded {
            stage,
            bound,
            capacity,
            ..
        } => Some((stage, bound, capacity)),
        _ => None,
    }
}

/// Whether `c` has a scrub section and a metal whose distribution ratio
/// does not fall as the free extractant is used up
/// ([`LogLinearSpec::uncapped`]): where the first solve of such a cascade
/// fails within its share of the budget, [`solve_log_linear`] reports it
/// as it is, without the walks and the start-up from empty stages (one
/// that ran to its share goes on to them, so that a solve that runs out
/// of iterations has used them all). Nothing caps such a metal's loading:
/// the scrub returns it to the extraction, which loads it again, and the
/// steady state the model asks for has no extractant free (round 34's
/// `C exp(-c / e)`); the failed first solves end with the free extractant
/// under e^-20 of the total in some stage (CLI check log-linear 82873,
/// 82984: e^-22, e^-72). Over CLI log-linear 3000-4999 and 82000-82999
/// (the walks' own rounds, 33-39, and a held-out sample; 2,867 of the
/// 3,000 converge, none lost) the walks converged none of these any more,
/// and the failures took 3.2 times as long to fail with them: 380 -> 119 s
/// in all, the slowest 14.6 -> 3.7 s (docs/benchmarks.md, round 59).
/// Round 30's check: 135 of 136 log-linear failures had such a metal and
/// a scrub.
fn uncapped_with_scrub(c: &Cascade, m: &LogLinearSpec) -> bool {
    !m.uncapped_behind_scrub(c.layout()).is_empty()
}

/// The last resort of a log-linear solve that has failed after `used`
/// iterations (not of a mass-action one: [`EMPTY_START_UP`]): the
/// start-up dynamics, in logarithms, from empty stages ([`empty_start`])
/// within [`EMPTY_START_UP`] iterations and the budget left. The
/// converged iterate, its report and the iterations used in all; `Err`
/// with those iterations where it does not converge.
fn from_empty<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    opts: &crate::model::SolverOptions,
    used: usize,
) -> Result<(Array2<f64>, NewtonReport, usize), usize> {
    let budget = opts.max_iterations.saturating_sub(used).min(EMPTY_START_UP);
    if budget == 0 {
        return Err(used);
    }
    let (u, rep, it) = up_from_empty(solver, ker, p, opts.tolerance, budget);
    if rep.status == Status::Converged {
        Ok((u, rep, used + it))
    } else {
        Err(used + it)
    }
}

/// The steady state of a `mass-action` or `log-linear` cascade by its
/// start-up dynamics alone ([`super::Solver::start_up`]): implicit time
/// steps from empty stages ([`empty_start`], [`start_up`]), each stage's
/// step grown as its balances settle and Newton on the steady state tried
/// once the start-up nears it, within the cascade's whole iteration
/// budget. None of the usual solve's starts, ladder or walks, so that it
/// reaches the steady state by a path of its own. `None` for the other
/// models.
pub(crate) fn solve_start_up(solver: &mut Solver, c: &Cascade) -> Option<Solution> {
    let (tol, budget) = (
        c.solver_options().tolerance,
        c.solver_options().max_iterations,
    );
    let sol = match &c.spec().chemistry {
        crate::model::ChemistrySpec::MassAction(m) => {
            let (ker, p, _) = ma_problem(c, m);
            let (u, rep, used) = up_from_empty(solver, &ker, &p, tol, budget);
            walked_solution(c, &ker, &p, &u, rep, used)
        }
        crate::model::ChemistrySpec::LogLinear(m) => {
            let (ker, p) = log_linear_problem(c, m);
            let (u, rep, used) = up_from_empty(solver, &ker, &p, tol, budget);
            ll_finish(c, &ker, &p, &u, rep, used, 0)
        }
        _ => return None,
    };
    Some(Solution {
        method: Method::StartUp,
        ..sol
    })
}

/// The start-up dynamics of `p` from empty stages ([`empty_start`]), in
/// logarithms, to the tolerance `tol` within `budget` iterations: the last
/// state, its report and the iterations used ([`solve_start_up`],
/// [`from_empty`]).
fn up_from_empty<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &Problem,
    tol: f64,
    budget: usize,
) -> (Array2<f64>, NewtonReport, usize) {
    let mut u = empty_start(ker, p);
    let (rep, used, _) = start_up(solver, ker, p, &mut u, tol, budget, true, true);
    (u, rep, used)
}

/// Dose slope `b1` that [`ll_capped_walk`] gives the metals whose
/// distribution ratio ignores the free extractant.
const LL_CAP_SLOPE: f64 = 0.05;

/// Most iterations [`ll_capped_walk`] gives its solve of the capped model.
const LL_CAP_COLD: usize = 1000;

/// Largest change of `ln D` at any stage that [`ll_capped_walk`] asks of
/// one step.
const LL_CAP_JUMP: f64 = 1.0;

/// Most steps of [`ll_capped_walk`].
const LL_CAP_STEPS: usize = 64;

/// Most halvings of [`ll_capped_walk`]'s step after Newton fails.
const LL_CAP_HALVINGS: u32 = 4;

/// `m` with each metal whose distribution ratio does not fall with the
/// free extractant ([`LogLinearSpec::uncapped`]: a positive constant `D`
/// or a fit with `b1 <= 0`) moved a share `t` of the way to the dose slope
/// [`LL_CAP_SLOPE`], its intercept moved so that `D` at the model's `dose`
/// is unchanged, and the largest change of dose slope made. `None` with
/// `fixed_dose` or where no metal is uncapped.
fn ll_capped(m: &LogLinearSpec, t: f64) -> Option<(LogLinearSpec, f64)> {
    if m.fixed_dose {
        return None;
    }
    let ld = m.dose.log10();
    let mut out = m.clone();
    let mut moved: f64 = 0.0;
    for k in m.uncapped() {
        // a constant D is the fit with no slopes
        let fit = m.fit[k].unwrap_or(crate::model::rigorous::LogLinearFit {
            m0: 0.0,
            m1: 0.0,
            b0: m.d[k].log10(),
            b1: 0.0,
        });
        let b1 = fit.b1 + t * (LL_CAP_SLOPE - fit.b1);
        moved = moved.max(b1 - fit.b1);
        out.fit[k] = Some(crate::model::rigorous::LogLinearFit {
            b0: fit.b0 + (fit.b1 - b1) * ld,
            b1,
            ..fit
        });
    }
    (moved > 0.0).then_some((out, moved))
}

/// The cascade `c` with the log-linear chemistry `lm` and a budget of
/// `max_iterations` ([`rebuilt`]).
fn ll_variant(c: &Cascade, lm: &LogLinearSpec, max_iterations: usize) -> Option<Cascade> {
    let chemistry = crate::model::ChemistrySpec::LogLinear(Box::new(lm.clone()));
    rebuilt(c, chemistry, max_iterations)
}

/// A log-linear cascade whose solve failed after `used` iterations and
/// that has metals whose distribution ratio ignores the free extractant
/// (a constant `D`, a fit with `b1 <= 0`): solved with those metals given
/// the dose slope [`LL_CAP_SLOPE`] ([`ll_capped`]), then walked back to
/// the model's own slopes by Newton from each steady state, each step
/// sized to move no stage's `ln D` by more than [`LL_CAP_JUMP`], halved
/// after each step Newton fails and doubled back after each it takes
/// (more than [`LL_CAP_HALVINGS`] halvings outstanding end the walk).
/// `Err` with the iterations used in all where the capped model does not
/// converge, the walk ends or the budget runs out.
///
/// Round 34, independent CLI check, log-linear 3000-3999: of the 57
/// failures, two converge this way (3265 and 3445, whose cold solves broke
/// down on metals with negative dose slopes, although 3265 leaves 99 % of
/// its extractant free). Most of the rest need the free extractant at
/// zero: with every such metal given the dose slope `e`, the smallest free
/// extractant of the steady state falls as `C exp(-c / e)` (3067: `c` =
/// 1.867 at `e` = 0.05, 0.02, 0.01 and 0.005), so that the model itself
/// has no steady state with extractant free; there this walk fails.
fn ll_capped_walk(
    solver: &mut Solver,
    c: &Cascade,
    m: &LogLinearSpec,
    mut used: usize,
) -> Result<Solution, usize> {
    let max = c.solver_options().max_iterations;
    // range: the largest change of b1 from the model to the capped model
    let Some((lm, range)) = ll_capped(m, 1.0) else {
        return Err(used);
    };
    if used >= max {
        return Err(used);
    }
    let Some(ca) = ll_variant(c, &lm, (max - used).min(LL_CAP_COLD)) else {
        return Err(used);
    };
    let mut kept = None;
    used += ll_solve_kept(solver, &ca, &lm, &mut kept).iterations;
    let Some(mut u) = kept else {
        return Err(used);
    };
    let tol = c.solver_options().tolerance;
    let lc = (m.dose * m.molarity_per_percent).ln();
    // the model's own kernel and problem, for the last step
    let (own_ker, own_p) = log_linear_problem(c, m);
    let ifr = own_ker.free_index();
    let mut t = 1.0f64;
    let mut halvings = 0;
    let mut steps = 0;
    while used < max && steps < LL_CAP_STEPS {
        steps += 1;
        // ln D moves by (change of b1) ln(C_free / C) at each stage: the
        // step in t is sized so that it moves no stage's by more than
        // LL_CAP_JUMP
        let span = u
            .column(ifr)
            .iter()
            .fold(0.0f64, |a, &lf| a.max((lf - lc).abs()));
        let dt = LL_CAP_JUMP / (range * span).max(1e-300) / f64::from(1u32 << halvings);
        let next = (t - dt).max(0.0);
        let step;
        let (ker, p) = if next <= 0.0 {
            (&own_ker, &own_p)
        } else {
            let Some((lm, _)) = ll_capped(m, next) else {
                return Err(used);
            };
            let Some(cv) = ll_variant(c, &lm, max) else {
                return Err(used);
            };
            step = log_linear_problem(&cv, &lm);
            (&step.0, &step.1)
        };
        let from = u.clone();
        let rep = newton_in(
            solver,
            ker,
            p,
            &mut u,
            true,
            tol,
            (max - used).min(LL_WALK_NEWTON),
        );
        used += rep.iterations;
        if rep.status != Status::Converged {
            u = from;
            halvings += 1;
            if halvings > LL_CAP_HALVINGS {
                return Err(used);
            }
            continue;
        }
        halvings = halvings.saturating_sub(1);
        if next <= 0.0 {
            return Ok(ll_finish(c, ker, p, &u, rep, used, 0));
        }
        t = next;
    }
    Err(used)
}

/// [`ll_solve_within`] the cascade's budget.
fn ll_solve_kept(
    solver: &mut Solver,
    c: &Cascade,
    m: &LogLinearSpec,
    kept: &mut Option<Array2<f64>>,
) -> Solution {
    ll_solve_within(solver, c, m, c.solver_options().max_iterations, kept)
}

/// [`log_linear_once`] with its fallback pass ([`with_fallback`]) within
/// `max` iterations, keeping the converged iterate in `kept`.
fn ll_solve_within(
    solver: &mut Solver,
    c: &Cascade,
    m: &LogLinearSpec,
    max: usize,
    kept: &mut Option<Array2<f64>>,
) -> Solution {
    with_fallback(solver, max, |solver, max_it, log| {
        let (s, u) = log_linear_once(solver, c, m, max_it, log);
        if s.converged() {
            *kept = Some(u);
        }
        s
    })
}

/// Fractions of its scrub acid at which [`scrub_walk`] solves a
/// cascade first, in turn until one converges.
const LL_WALK_FROM: [f64; 2] = [0.1, 0.01];

/// Most iterations [`scrub_walk`] gives each solve at a fraction of
/// the scrub acid (round 33, CLI log-linear 3000-3499: those that
/// converged took 3 to 31).
const LL_WALK_COLD: usize = 1000;

/// Multiples of its scrub acid at which [`scrub_walk`] solves a cascade
/// where the walk from [`LL_WALK_FROM`] fails, each in turn, walking from
/// each that converges. Round 35's independent CLI check, mass-action
/// 9049 (4 metals over 193 + 62 stages, 22 % saponified, 3.378 mol/L of
/// scrub acid) has several steady states: cold it converges at 0.1, 0.95,
/// 0.98, 1.05 and 1.25 of its acid, not at 0.9, 1.0 or 1.02; the branch
/// from 0.1 folds near 0.2 of it and the one from 1.25 near 1.03, while
/// Newton goes from 0.95 to the model's acid in 7 iterations. CLI
/// log-linear 3334 too: its walk from 0.01 diverges at 0.33, and it
/// converges cold at 0.95 (65 iterations) and from there in 6.
const LL_WALK_NEAR: [f64; 2] = [0.95, 1.05];

/// Most iterations [`scrub_walk`] gives each cold solve at one of
/// [`LL_WALK_NEAR`] (9049 and 3334 converge in 91 and 65; over CLI
/// log-linear 3000-3999 the failures that converge at none of them spend
/// 120-550 there).
const LL_WALK_NEAR_COLD: usize = 250;

/// First step of [`scrub_walk`], in `ln` of the scrub acid.
const LL_WALK_STEP: f64 = 0.5;

/// Most iterations of the start-up dynamics [`scrub_walk`] gives a
/// step where Newton fails (round 33: the five cascades it settled over
/// CLI log-linear 3000-3499 took 100 to 2,864).
const LL_WALK_START_UP: usize = 3000;

/// Newton iterations of each step of [`scrub_walk`].
const LL_WALK_NEWTON: usize = 40;

/// A log-linear cascade with a scrub whose solve failed after `used`
/// iterations: solved again with a fraction of its scrub acid
/// ([`LL_WALK_FROM`]), then followed up to its own scrub acid
/// ([`scrub_walk`]). `Err` with the iterations used in all where no
/// fraction converges, the start-up fails or the budget runs out.
fn ll_scrub_walk(
    solver: &mut Solver,
    c: &Cascade,
    m: &LogLinearSpec,
    used: usize,
) -> Result<Solution, usize> {
    let Some(own) = m.streams.scrub_acid else {
        return Err(used);
    };
    let cold = |solver: &mut Solver, f: f64, budget: usize| {
        let mut lm = m.clone();
        lm.streams.scrub_acid = Some(own * f);
        let ca = ll_variant(c, &lm, budget)?;
        let mut kept = None;
        let it = ll_solve_kept(solver, &ca, &lm, &mut kept).iterations;
        Some((it, kept))
    };
    let (ker, p) = log_linear_problem(c, m);
    let ih = ker.h_index();
    scrub_walk(
        solver,
        c,
        own,
        used,
        cold,
        &ker,
        ih,
        p,
        |ker, p, u, rep, used| ll_finish(c, ker, p, u, rep, used, 0),
    )
}

/// A mass-action cascade with a scrub whose solve failed after `used`
/// iterations, followed up its scrub acid like a log-linear one
/// ([`scrub_walk`]). Round 34's independent CLI check, mass-action 8345
/// (4 metals over 298 + 255 stages, unsaponified, 4.96 mol/L of scrub
/// acid): cold it converges at 0.01-0.7 of its scrub acid (6-168
/// iterations) and at 1.2 of it, not at 0.9-1.05.
fn ma_scrub_walk(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    used: usize,
) -> Result<Solution, usize> {
    ma_scrub_walk_with(solver, c, m, used, |ker, p, u, rep, used| {
        walked_solution(c, ker, p, u, rep, used)
    })
}

/// The steady state of `c` by [`ma_scrub_walk`] within `budget`
/// iterations, tried from a first solve's start-up that is still going
/// ([`WALK_PROBE`]): the walked iterate and the iterations used, or
/// `None` and the iterations used.
fn ma_walk_probe(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    budget: usize,
) -> (Option<Array2<f64>>, usize) {
    ma_probe(solver, c, m, budget, |solver, cv| {
        ma_scrub_walk_with(solver, cv, m, 0, |_, _, u, _, used| (u.clone(), used))
    })
}

/// [`ma_scrub_walk`], the walked steady state handed to `done`.
fn ma_scrub_walk_with<T>(
    solver: &mut Solver,
    c: &Cascade,
    m: &MassActionSpec,
    used: usize,
    done: impl Fn(&MassActionKernel, &Problem, &Array2<f64>, NewtonReport, usize) -> T,
) -> Result<T, usize> {
    let Some(own) = m.streams.scrub_acid else {
        return Err(used);
    };
    let cold = |solver: &mut Solver, f: f64, budget: usize| {
        let mut acid = m.clone();
        acid.streams.scrub_acid = Some(own * f);
        let ca = ma_variant(c, &acid, budget)?;
        let mut kept = None;
        let it = ma_solve_kept(solver, &ca, &acid, &mut kept).iterations;
        Some((it, kept))
    };
    let (ker, p, _) = ma_problem(c, m);
    let ih = ker.h_index();
    scrub_walk(solver, c, own, used, cold, &ker, ih, p, done)
}

/// A cascade with a scrub whose solve failed after `used` iterations,
/// followed to its scrub acid `own` (mol/L). `cold(solver, f, budget)`
/// solves it cold at the multiple `f` of that acid within `budget`
/// iterations, returning the iterations used and the converged iterate;
/// it is called at each of [`LL_WALK_FROM`] in turn until one converges,
/// and from there [`walk_to_own`] follows the steady state up to the
/// model's acid on the cascade's kernel `ker` and problem `p` (the steps
/// change only the scrub stage's acid inflow, row `ih`). Where that fails,
/// each of [`LL_WALK_NEAR`] that converges cold is walked from in turn.
/// `finish` builds the solution. `Err` with the iterations used in all
/// where no walk arrives or the budget runs out.
#[allow(clippy::too_many_arguments)]
fn scrub_walk<E: Rigorous, T>(
    solver: &mut Solver,
    c: &Cascade,
    own: f64,
    mut used: usize,
    mut cold: impl FnMut(&mut Solver, f64, usize) -> Option<(usize, Option<Array2<f64>>)>,
    ker: &E,
    ih: usize,
    mut p: Problem,
    finish: impl Fn(&E, &Problem, &Array2<f64>, NewtonReport, usize) -> T,
) -> Result<T, usize> {
    let (Some(ss), true) = (c.layout().scrub_stage(), scrub_walk_applies(c, Some(own))) else {
        return Err(used);
    };
    let sflow = c.spec().flows.scrub.unwrap_or(0.0);
    let max = c.solver_options().max_iterations;
    let full = p.feed[[ss, ih]];
    let base = full - sflow * own;
    let tol = c.solver_options().tolerance;
    // the first of [`LL_WALK_FROM`] that converges cold, then each of
    // [`LL_WALK_NEAR`] that does, until a walk reaches the model's acid
    // (a start near the acid that Newton cannot bring to it is left: the
    // start-up from there gained nothing over CLI log-linear 3000-3999 and
    // cost robustness mass-action 1948 3,300 iterations)
    let starts = std::iter::once((&LL_WALK_FROM[..], LL_WALK_COLD, LL_WALK_START_UP))
        .chain(LL_WALK_NEAR.chunks(1).map(|f| (f, LL_WALK_NEAR_COLD, 0)));
    for (side, cap, start_up_cap) in starts {
        let mut from = None;
        for &f in side {
            if used >= max {
                return Err(used);
            }
            let Some((it, kept)) = cold(solver, f, (max - used).min(cap)) else {
                return Err(used);
            };
            used += it;
            if let Some(u) = kept {
                from = Some((f.ln(), u));
                break;
            }
        }
        let Some((at, mut u)) = from else {
            continue;
        };
        if let Some(walked) = walk_to_own(
            solver,
            ker,
            &mut p,
            &mut u,
            at,
            &mut used,
            (max, start_up_cap),
            tol,
            |p, x| {
                p.feed[[ss, ih]] = if x != 0.0 {
                    base + sflow * own * x.exp()
                } else {
                    full
                };
            },
        ) {
            return Ok(finish(ker, &p, &u, walked, used));
        }
    }
    Err(used)
}

/// Follows a steady state `u` at `ln` of the scrub acid's multiple `at`
/// to the model's own acid (`ln` 1 = 0) for [`scrub_walk`]: Newton from
/// each steady state to the next, steps of [`LL_WALK_STEP`] growing by
/// half after each Newton success; where Newton fails, the start-up
/// dynamics from the last steady state (at most `start_up_cap`
/// iterations, and a third of what is left; none where it is 0), and a
/// start-up that fails ends the walk. `set(p, x)` puts the acid of `ln`
/// multiple `x` into `p`. The last report where the walk arrives, `None`
/// where it does not; `used` counts the iterations against `max`.
#[allow(clippy::too_many_arguments)]
fn walk_to_own<E: Rigorous>(
    solver: &mut Solver,
    ker: &E,
    p: &mut Problem,
    u: &mut Array2<f64>,
    mut at: f64,
    used: &mut usize,
    (max, start_up_cap): (usize, usize),
    tol: f64,
    set: impl Fn(&mut Problem, f64),
) -> Option<NewtonReport> {
    let mut step = LL_WALK_STEP;
    while *used < max {
        let next = if at < 0.0 {
            (at + step).min(0.0)
        } else {
            (at - step).max(0.0)
        };
        set(p, next);
        // past a fold of the trap's branch Newton cannot follow it: the
        // start-up from the last steady state (round 33: CLI seed 3283's
        // walk, Newton's steps halved, stalls at 0.418 of its scrub acid;
        // the start-up from 0.349 converges at the full acid in 2,030
        // iterations). One that fails ends the walk: over CLI log-linear
        // 3000-3499 a second, from half the step, never converged, and each
        // costs up to LL_WALK_START_UP iterations
        let left = max.saturating_sub(*used);
        let (rep, it, newton) = walk_step(solver, ker, p, u, tol, left, LL_WALK_NEWTON, |rest| {
            (rest / 3).min(start_up_cap)
        });
        *used += it;
        if rep.status != Status::Converged {
            return None;
        }
        if newton {
            step *= 1.5;
        }
        if next == 0.0 {
            return Some(rep);
        }
        at = next;
    }
    None
}

/// The kernel and stage problem of a `log-linear` cascade (active metals
/// only).
fn log_linear_problem(c: &Cascade, m: &LogLinearSpec) -> (LogLinearKernel, Problem) {
    let st = &m.streams;
    let (aq, org) = flows(c);
    let n = c.n_stages();
    let layout = *c.layout();
    let active = active_components(c, st);
    let ka = active.len();
    let law: Vec<DistributionLaw> = active
        .iter()
        .map(|&i| match m.fit[i] {
            Some(f) => DistributionLaw::Fit {
                m0: f.m0,
                m1: f.m1,
                b0: f.b0,
                b1: f.b1,
            },
            None => DistributionLaw::Constant(m.d[i]),
        })
        .collect();
    let e: Vec<f64> = active.iter().map(|&i| m.extractant_per_metal[i]).collect();
    let pp: Vec<f64> = active.iter().map(|&i| m.protons_per_metal[i]).collect();
    let sulfate = sulfate_profile(c);
    let (p_aq, p_org) = (aq.clone(), org.clone());
    let mut ker = LogLinearKernel::new(
        &law,
        &e,
        &pp,
        m.dose,
        m.molarity_per_percent,
        m.log10_ka2,
        sulfate,
        aq.clone(),
        org.clone(),
    );
    let (nv, nq) = (ker.unknowns(), ker.conserved());
    let mut feed = Array2::zeros((n, nq));
    metal_inflows(c, st, &active, &mut feed);
    let ih = ker.h_index();
    acid_inflows(c, st, ih, &mut feed);
    // The organic entering stage 1: its metals hold e_k extractant and
    // displaced p_k protons each. With `dose_basis = "free"` the dose is
    // its free extractant, so the total adds what its metals hold.
    let y_in = c
        .spec()
        .inlet_concentration(crate::model::Inlet::Organic)
        .map(|v| v.to_vec())
        .unwrap_or_else(|| vec![0.0; c.n_components()]);
    let held: f64 = y_in
        .iter()
        .zip(&m.extractant_per_metal)
        .map(|(y, e)| y * e)
        .sum();
    let displaced: f64 = y_in
        .iter()
        .zip(&m.protons_per_metal)
        .map(|(y, p)| y * p)
        .sum();
    if m.dose_free && held > 0.0 {
        ker = LogLinearKernel::new(
            &law,
            &e,
            &pp,
            m.dose + held / m.molarity_per_percent,
            m.molarity_per_percent,
            m.log10_ka2,
            sulfate_profile(c),
            p_aq.clone(),
            p_org.clone(),
        );
    }
    let ker_fixed = m.fixed_dose.then_some(m.dose);
    let ker = ker.with_fixed_dose(ker_fixed);
    let cx = ker.extractant();
    feed[[0, ih]] += org[0] * (cx - displaced);
    let mut extras = Array2::zeros((n, nv - ka));
    for j in 0..n {
        extras[[j, 0]] = section_acid(c, st, j).ln();
        extras[[j, 1]] = (0.75 * cx).ln();
    }
    let p = Problem {
        n,
        links: (0..n).map(|j| layout.aqueous_link(j)).collect(),
        aq,
        org,
        active,
        feed,
        extras,
        cold: None,
    };
    (ker, p)
}

/// The substitution's view of a log-linear problem.
fn ll_cascade<'a>(
    ker: &'a LogLinearKernel,
    p: &'a Problem,
    pass: Option<(&'a [f64], &'a [f64])>,
) -> super::ll_substitution::LogLinearCascade<'a> {
    super::ll_substitution::LogLinearCascade {
        ker,
        aq: &p.aq,
        org: &p.org,
        links: &p.links,
        pass,
        feed: &p.feed,
    }
}

/// The exact acid test of a `log-linear` cascade
/// ([`super::ll_substitution::starved`]): `(stage, demand, supply)` in
/// mol/h of protons for the first stage whose constant-D metals alone
/// leave its aqueous no acid; `None` when there is none, or for other
/// models.
pub(crate) fn log_linear_starved(c: &Cascade) -> Option<(usize, f64, f64)> {
    let crate::model::ChemistrySpec::LogLinear(m) = &c.spec().chemistry else {
        return None;
    };
    if !matches!(c.flows(), StageFlows::Volumes { .. }) {
        return None;
    }
    let (ker, p) = log_linear_problem(c, m);
    let pass = c.pass().map(|d| (d.aqueous.clone(), d.organic.clone()));
    super::ll_substitution::starved(&ll_cascade(
        &ker,
        &p,
        pass.as_ref().map(|(a, o)| (&a[..], &o[..])),
    ))
}

/// Newton iterations a log-linear solve tries from its cold start before the
/// substitution ([`ll_substituted`]).
const QUICK_NEWTON: usize = 25;

/// Sweeps without progress the bracketed substitution makes, once Newton
/// has failed from where 25 of them stopped, before it gives up.
const EXACT_PATIENCE: usize = 100;

/// Largest change of the bracketed substitution's sweeps below which
/// Newton first tries to finish from them ([`ll_substituted`]): Newton converges from
/// sweeps far from settled (seed 5 of the log-linear generator from a
/// change of 0.33, seed 43 from 0.95), and on long cascades the sweeps
/// can oscillate for hundreds more before they settle.
const PROBE_CHANGE: f64 = 1.0;

/// Distribution ratios (one per metal and evaluation of a stage balance)
/// that one log-linear substitution may evaluate over all its sweeps, fast
/// and bracketed; the sweep that reaches it is the last (as
/// [`MAX_EVALUATIONS`] for mass-action). A bracketed sweep of a long
/// overloaded cascade costs tens of Newton iterations' work (CLI
/// log-linear 7761, 14 metals over 327 stages: 55 ms a sweep) and is
/// charged a tenth of one, so the sweeps of a walk's cold solve near the
/// scrub acid, given 250 iterations, ran 480 of them for 26 s. About 24 M
/// a second (CLI 7440: 120 M in 4.9 s): the cap is about 1.7 s of sweeps.
/// Round 47, CLI log-linear 7300-7899: the probes that converge from the
/// bracketed sweeps had evaluated up to 39 M (7782); capped at 15 M, 7782,
/// 7457 and 7895 lost theirs and took 885 to 2,084 iterations instead of
/// 61 to 268.
const LL_MAX_EVALUATIONS: usize = 40_000_000;

/// Newton iterations a probe from unsettled sweeps may take.
const PROBE_NEWTON: usize = 40;

/// Bracketed sweeps between Newton's probes while their largest change
/// stays above the probe's threshold ([`ll_substituted`]). Newton converges
/// from sweeps far from settled where overloaded stages jump by hundreds
/// of e-folds (seed 2312 of the log-linear generator from a largest change
/// of 325, seed 3643 from 254), and those sweeps stall for over a hundred
/// more before their change falls below [`PROBE_CHANGE`], if it does at
/// all: probed every 10 sweeps, seed 4712 converges after 58 of them
/// (largest change 495; 1221 iterations, where 254 sweeps and two probes
/// at their count took 1339) and 2312 after 69 (1223; 206 sweeps at tens
/// of milliseconds each took 1150), both in about half the time (4712
/// now converges from the fast sweeps' probes, [`FAST_PROBE_EVERY`]).
const PROBE_EVERY: usize = 10;

/// Fast sweeps between Newton's probes while they have not settled
/// ([`ll_substituted`]; before, Newton was tried only where they stopped).
/// Newton converges from fast sweeps that are still moving on cascades
/// where they would stall and leave both continuations and the bracketed
/// sweeps to run: seed 1181 of the log-linear generator (which failed
/// within its budget) converges in 45 iterations, 4712 in 9 (1221). The
/// sweeps go on after a failed probe as if they had not stopped (each
/// stage's last root kept as its warm start), so a probe costs at most
/// its iterations: over seeds 0-4799 none lost, 780 changed, the sum of
/// iterations 2.7 % lower (against main before either probe).
const FAST_PROBE_EVERY: usize = 20;

/// Iterations of the pseudo-transient continuation from the cold start
/// tried between the fast and the bracketed substitution
/// ([`ll_substituted`]; seed 43 of the log-linear generator needs 483,
/// seed 542 675: its loading front crosses 203 scrub stages at about two
/// iterations a stage, the log-step cap, then 8, limiting each). Seed 658
/// needs 976 under [`COLD_DT_CEILING`] (1,690 without): at 700 it failed.
const PTC_ITERATIONS: usize = 1000;

/// Fraction of the last rejected time step under which the continuation
/// from the cold start of [`ll_substituted`] holds a step whose residual
/// did not fall ([`NewtonOptions::ptc_ceiling`]). Seed 658 of the
/// log-linear generator: its loading front crosses 287 scrub stages in
/// 976 iterations instead of 1,690 (the cold continuation alone) and the
/// cascade converges in 1,022 of its 1,369. Over seeds 0-4799 with the
/// count of 1,000 ([`PTC_ITERATIONS`]): none lost, 98 changed (49
/// cheaper, 49 dearer, the sum of iterations +0.06 %; seed 864 397 ->
/// 1,341, 4344 573 -> 987, 2312 724 -> 864). Chaotic in the fraction: at
/// 0.5 and 0.35 seed 658's continuation needs 1,809 and 1,256.
const COLD_DT_CEILING: f64 = 0.7;

/// Iterations of the pseudo-transient continuation from where the fast
/// substitution stopped, when the one from the cold start fails (seed 370
/// of the log-linear generator: 184).
const PTC_SWEPT_ITERATIONS: usize = 400;

/// Iterations over which the continuation from the cold start of
/// [`ll_substituted`] follows the stage of its largest imbalance as a
/// front ([`newton::PtcStall::front_window`]); a front walking one way at
/// a pace that reaches the end of the cascade only past the
/// continuation's count ([`COLD_FRONT_FACTOR`]) ends it, and the
/// continuation from the sweeps gets what it did not use. Seed 2961 of
/// the log-linear generator: a front crossing 528 stages at 0.4 stages an
/// iteration, still 33 stages short at the count of 700 (1.1 s), given up
/// (its residual at least [`COLD_FRONT_RESIDUAL`]), the one from the
/// sweeps converging as before (890 -> 460 iterations); seed 3407 (failed within its budget: both continuations
/// at their counts) converges from the sweeps (898); seed 498's front,
/// given up at 240, 2524 -> 1032. Over 150 iterations (without
/// [`COLD_FRONT_RESIDUAL`]) 498 kept its 2524 and 3944 went 271 -> 439;
/// over 80, 3155 560 -> 725; over 50 seed 2913 was lost; over 200, 785
/// 609 -> 1200. The continuation from the sweeps, when it goes second,
/// is followed the same way (seed 2312: 1,260 -> 750 iterations); over
/// 50 iterations there seed 3407 was lost.
const COLD_FRONT_WINDOW: usize = 100;

/// Scaled residual (root mean square) under which the cold continuation
/// is not ended by a slow front ([`COLD_FRONT_WINDOW`],
/// [`newton::PtcStall::front_residual`]): seed 2323's continuation,
/// followed over 100 iterations, walks its largest imbalance back across
/// the cascade at 7e-5 and converges after it (784 iterations); ended
/// there, 1399. 498 and 3407 are given up at 3.7e-2 and 4.1e-2, 2961
/// passes a check at 1.9e-4 and is given up at a later one; at 1e-2
/// seed 3407 is lost (and 2961 goes back to 890), at 1e-4 the same seeds
/// change as at 1e-3 (2961 450).
const COLD_FRONT_RESIDUAL: f64 = 1e-3;

/// Times the cold continuation's count by which a front it follows must
/// reach its end for the continuation to go on ([`COLD_FRONT_WINDOW`]):
/// at 1.3 seed 2961's front (due near iteration 770) is not given up.
const COLD_FRONT_FACTOR: f64 = 1.0;

/// Time step (residence times) that some accepted step of every window of
/// [`COLD_DT_WINDOW`] iterations, from iteration [`COLD_DT_AFTER`] on,
/// must reach for the continuation from the cold start of
/// [`ll_substituted`] to go on ([`newton::PtcStall::dt_min`]; the one from
/// the sweeps gets what it did not use). Seed 3643 of the log-linear
/// generator: its cold continuation ran to its count of 700 at a residual
/// of 1.0; given up at 300, the one from the sweeps converges as before
/// (1,226 -> 826 iterations); seed 1739 842 -> 742. From iteration 200
/// seed 43's (converging at 344) was given up at 250 (354 -> 444); at a
/// step of 3 or over windows of 100 3643 is not given up.
const COLD_DT_MIN: f64 = 10.0;

/// Iterations between the checks of [`COLD_DT_MIN`].
const COLD_DT_WINDOW: usize = 50;

/// Iteration of the first check of [`COLD_DT_MIN`].
const COLD_DT_AFTER: usize = 300;

/// Cap on the log steps of the continuation from the cold start (the one
/// from the sweeps keeps the default of 8): that start lies tens of
/// e-folds below the fronts it has to build, and under the cap of 8 it
/// crawls at the cap for its first hundreds of steps (seed 2323 of the
/// log-linear generator: 177 of its first 200 accepted steps capped), so
/// the fronts of seeds 2323 and 2913 did not cross within its count and
/// neither cascade converged; with 16 they converge in 662 and 611.
const COLD_LOG_STEP: f64 = 16.0;

/// Largest relative stage imbalance of the fast sweeps' (projected)
/// state below which the continuation starts from it before the cold
/// start ([`ll_substituted`]).
const SWEPT_FIRST: f64 = 0.5;

fn log_linear_once(
    solver: &mut Solver,
    c: &Cascade,
    m: &LogLinearSpec,
    max_it: usize,
    log: bool,
) -> (Solution, Array2<f64>) {
    let (mut ker, p) = log_linear_problem(c, m);
    let opts = *c.solver_options();
    let pass = c.pass().map(|d| (d.aqueous.clone(), d.organic.clone()));
    let pass = pass.as_ref().map(|(a, o)| (&a[..], &o[..]));
    // no steady state (proved): report the start rather than search
    let starved = super::ll_substitution::starved(&ll_cascade(&ker, &p, pass)).is_some();
    // magnitudes near the range of a double (a fit constant of 1e308, say)
    // leave nothing for the stage roots to find: the later stages report
    let sane = |v: f64| v.is_finite() && v.abs() < 1e100;
    let reference = |q: usize| {
        let (ld, dh, df) = ker.ln_distribution(q, 0.01f64.ln(), (0.5 * ker.extractant()).ln());
        ld.abs() < 1e3 && sane(dh) && sane(df)
    };
    let sane = p.feed.iter().all(|&v| sane(v)) && (0..ker.metals()).all(reference);
    let mut used = 0;
    let mut first = None;
    if sane && log && !starved {
        // most cascades: a few Newton iterations from the cold start, before
        // the substitution's stage roots are paid for
        let mut u = start(&ker, &p);
        let quick = max_it.min(QUICK_NEWTON);
        let rep = newton_in(solver, &ker, &p, &mut u, true, opts.tolerance, quick);
        used = rep.iterations;
        if rep.status == Status::Converged {
            return (ll_finish(c, &ker, &p, &u, rep, used, 0), u);
        }
        if used >= max_it {
            // the limit, not the iteration, stopped it
            let rep = NewtonReport {
                status: Status::MaxIterations,
                ..rep
            };
            return (ll_finish(c, &ker, &p, &u, rep, used, 0), u);
        }
    }
    if sane && (starved || log) {
        let (u, rep, it) = ll_substituted(solver, c, &ker, &p, pass, max_it - used, starved);
        used += it;
        if rep.status == Status::Converged || starved {
            return (ll_finish(c, &ker, &p, &u, rep, used, 0), u);
        }
        first = Some(u);
    }
    // a trapped metal settled at a scrub pinch ([`ll_pinch_starts`]):
    // Newton from each candidate, then the start-up from the one it left
    // nearest, within a share of the budget left ([`LL_PINCH_SHARE`])
    if sane && log && !starved {
        let mut best: Option<(f64, Array2<f64>)> = None;
        for mut u in ll_pinch_starts(c, &ker, &p, pass) {
            let b = max_it.saturating_sub(used).min(LL_PINCH_NEWTON);
            let from = u.clone();
            let rep = newton_in(solver, &ker, &p, &mut u, true, opts.tolerance, b);
            used += rep.iterations;
            if rep.status == Status::Converged {
                return (ll_finish(c, &ker, &p, &u, rep, used, 0), u);
            }
            let r = if rep.residual.is_finite() {
                rep.residual
            } else {
                f64::INFINITY
            };
            if best.as_ref().is_none_or(|(b, _)| r < *b) {
                best = Some((r, from));
            }
        }
        if let Some((_, mut u)) = best {
            let b = max_it.saturating_sub(used) / LL_PINCH_SHARE;
            let (rep, it, _) = start_up(solver, &ker, &p, &mut u, opts.tolerance, b, true, false);
            used += it;
            if rep.status == Status::Converged {
                return (ll_finish(c, &ker, &p, &u, rep, used, 0), u);
            }
        }
    }
    let (u, rep, it, steps) = run(
        solver,
        &mut ker,
        &p,
        first.as_ref(),
        opts.tolerance,
        max_it.saturating_sub(used),
        log,
        None,
        None,
    );
    (ll_finish(c, &ker, &p, &u, rep, it + used, steps), u)
}

/// Starts for a log-linear cascade whose scrub holds a trapped metal at
/// its pinch, one per candidate metal, the likeliest first. A metal
/// stripped in the scrub (extraction factor `O D / A` under 1 at the
/// scrub's acid) but loaded again in the extraction builds up in the
/// scrub until it has taken up enough of the scrub acid (`p_k` protons
/// each) that its extraction factor there is 1: round 32's CLI seed 3200
/// at half its feed holds Pr, fed at 0.00066 mol/L, at 1.02 mol/L in the
/// aqueous of 133 scrub stages at pH -0.224, where `O D / A` = 1.004.
/// Each scrub stage but the one the scrub solution enters starts at that
/// pinch (the acidity at which `O D / A = 1`, the metal's aqueous from
/// the stage's proton balance, [`super::ll_substitution::proton_profile`],
/// less the acid, the free extractant what its organic leaves); the other
/// metals, and this one below the scrub, from their linear balances at
/// those acids and, in the extraction, at the acid its proton balance
/// leaves with no metal in the aqueous. Candidates are the metals with
/// such a pinch, those with the largest extraction factor at the feed
/// stage (at that acid) first, at most [`LL_PINCH_CANDIDATES`]: over CLI
/// log-linear seeds 3000-3499 this order solves 3119, 3200, 3201 and
/// 3499, the lowest pinch acidity first only 3200 and 3201.
fn ll_pinch_starts(
    c: &Cascade,
    ker: &LogLinearKernel,
    p: &Problem,
    pass: Option<(&[f64], &[f64])>,
) -> Vec<Array2<f64>> {
    let layout = c.layout();
    let Some(top) = layout.scrub_stage() else {
        return Vec::new();
    };
    let scrub: Vec<usize> = (0..p.n)
        .filter(|&j| layout.section(j) == Section::Scrub && j != top)
        .collect();
    let Some(&js) = scrub.get(scrub.len() / 2) else {
        return Vec::new();
    };
    let (ih, ifr) = (ker.h_index(), ker.free_index());
    let cx = ker.extractant();
    let lc = cx.ln();
    let le =
        |q: usize, j: usize, lh: f64| (p.org[j] / p.aq[j]).ln() + ker.ln_distribution(q, lh, lc).0;
    // each stage's acidity with no metal in its aqueous: its proton
    // balance all acid
    let qa = super::ll_substitution::proton_profile(&ll_cascade(ker, p, pass));
    let acid_only = |j: usize| {
        bisect((1e-300f64).ln(), qa[j].max(1e-300).ln(), 80, |lh| {
            ker.total_acid(j, lh.exp()) <= qa[j]
        })
    };
    let lh_s = acid_only(js);
    let mut found: Vec<(usize, f64)> = Vec::new();
    for q in 0..ker.metals() {
        let lo = (1e-12f64).ln();
        if !(le(q, js, lh_s) < 0.0 && le(q, js, lo) > 0.0) {
            continue;
        }
        found.push((q, bisect(lo, lh_s, 80, |lh| le(q, js, lh) > 0.0)));
    }
    // the metals the extraction loads most first
    let jf = layout.feed_stage();
    let lh_f = acid_only(jf);
    found.sort_by(|a, b| le(b.0, jf, lh_f).total_cmp(&le(a.0, jf, lh_f)));
    // the extraction's acids, the same for every candidate
    let extraction: Vec<(usize, f64)> = (0..p.n)
        .filter(|&j| layout.section(j) == Section::Extraction)
        .map(|j| (j, acid_only(j)))
        .collect();
    let cold = start(ker, p);
    let mut out = Vec::new();
    'metal: for &(q, lh) in found.iter().take(LL_PINCH_CANDIDATES) {
        let (e, pq) = ker.stoichiometry(q);
        let d = ker.ln_distribution(q, lh, lc).0.exp();
        let mut u = cold.clone();
        for &j in &scrub {
            let x = (qa[j] - ker.total_acid(j, lh.exp())) / pq;
            let free = cx - e * d * x;
            if !(x > 0.0 && free > 0.0) {
                continue 'metal;
            }
            u[[j, q]] = x.ln();
            u[[j, ih]] = lh;
            u[[j, ifr]] = free.ln();
        }
        for &(j, lh_j) in &extraction {
            u[[j, ih]] = lh_j;
        }
        let keep: Vec<f64> = scrub.iter().map(|&j| u[[j, q]]).collect();
        metals_within(ker, p, &mut u, 1e12);
        for (&j, &v) in scrub.iter().zip(&keep) {
            u[[j, q]] = v;
        }
        for &(j, _) in &extraction {
            let held: f64 = (0..ker.metals())
                .map(|k| {
                    let y = (ker.ln_distribution(k, u[[j, ih]], lc).0 + u[[j, k]]).exp();
                    ker.stoichiometry(k).0 * y
                })
                .sum();
            u[[j, ifr]] = (cx - held).max(1e-3 * cx).ln();
        }
        out.push(u);
    }
    out
}

/// Most metals [`ll_pinch_starts`] builds a start for.
const LL_PINCH_CANDIDATES: usize = 3;

/// Newton iterations from each of [`ll_pinch_starts`].
const LL_PINCH_NEWTON: usize = 30;

/// The start-up from the best of [`ll_pinch_starts`] gets one part in
/// `LL_PINCH_SHARE` of the budget left (the cold start's strategies
/// [`run`] the rest where it fails). Until round 49 a third: CLI check
/// log-linear 8495 with every dose slope at least 0.3 (15 metals over
/// 226 + 138 stages, a valid model; its budget 4,473 from the work
/// limit) had its start-up from the pinch cut at 812 iterations, its
/// front at stage 207 of 364, 75 short of converging, and the rest of the
/// budget went on the cold start without result (exit 2 after 15.7 s).
/// With half it converges in 2,367 (8.3 s), as it does at any larger
/// budget. No other seed changed over CLI log-linear 7300-7599 and
/// 8200-8499 (uncapped), 6000-6299 and 8200-8499 (capped 0.3), the
/// pinch-start seeds 3119, 3200, 3201 and 3499, or robustness
/// log-linear 0-1499.
const LL_PINCH_SHARE: usize = 2;

/// [`finish`] for a log-linear kernel (species: free extractant, sulfate).
fn ll_finish(
    c: &Cascade,
    ker: &LogLinearKernel,
    p: &Problem,
    u: &Array2<f64>,
    rep: NewtonReport,
    iterations: usize,
    steps: usize,
) -> Solution {
    let (ih, ifr) = (ker.h_index(), ker.free_index());
    finish(
        c,
        ker,
        p,
        u,
        rep,
        iterations,
        steps,
        |row| row[ih],
        |j, row| [row[ifr], 0.0, 0.0, ker.sulfate()[j]],
    )
}

/// Successive substitution with exact stage equilibria
/// ([`super::ll_substitution`]) from the cold start, each stage of it
/// (changes below 1e-3, 1e-6, 1e-10) finished by Newton: first with the
/// fast stage solves; when those do not lead Newton home, pseudo-transient
/// continuation with the extractant balances closed at every step, from
/// the cold start and then from where the fast sweeps stopped; then again
/// from the cold start with
/// the bracketed stage solves alone, Newton probing them on the way (each
/// time their largest change falls below 1, then below a quarter of the
/// last probe's). Returns the
/// iterate, the last Newton report and the iterations charged (ten sweeps
/// count as one). With `only_report` it makes no sweep and no
/// continuation and returns the cold start's report (a cascade proved to
/// have no steady state).
fn ll_substituted(
    solver: &mut Solver,
    c: &Cascade,
    ker: &LogLinearKernel,
    p: &Problem,
    pass: Option<(&[f64], &[f64])>,
    max_it: usize,
    only_report: bool,
) -> (Array2<f64>, NewtonReport, usize) {
    let m = ll_cascade(ker, p, pass);
    let mut u = start(ker, p);
    let tol = c.solver_options().tolerance;
    let (mut used, mut sweeps) = (0usize, 0usize);
    let mut last = None;
    let stages: &[f64] = &[1e-3, 1e-6, 1e-10];
    let work = std::cell::Cell::new(0);
    // the fast stage solves first ([`super::ll_substitution::substitute`]);
    // where their sweeps do not lead Newton home, the exact bracketed ones
    // from the cold start again. None of it for a cascade proved starved:
    // the continuations between them (700 + 400 iterations) cannot
    // converge there either (the robustness example solves every starved
    // draw it rejects, and none has converged)
    let modes: &[bool] = if only_report { &[] } else { &[false, true] };
    'modes: for &exact in modes {
        if exact {
            // before the bracketed sweeps (a hundred milliseconds each on a
            // long overloaded cascade, and chaotic where lagged transport
            // overloads stages at the acid floor again and again),
            // pseudo-transient continuation with each stage's extractant
            // balance closed at every step ([`newton::solve_ptc_dae`]):
            // from the cold start, then from where the fast sweeps stopped.
            // It settles every cascade of the log-linear generator that the
            // fast sweeps leave but seed 542 of 300-599 (the cold start
            // settles 17 of those 19, seed 43 in 483 iterations; seed 370
            // from the sweeps in 184), where the plain form diverged on 6
            // of them within 15 iterations and stopped at its cap on 3
            //
            // Where the fast sweeps left every stage's balances within half
            // their size (projected), the continuation from there goes
            // first: it only settles what is left, where the cold start's
            // fronts must still cross the cascade (seed 809 of the
            // log-linear generator: 42 iterations from the sweeps, the cold
            // start's 700 not enough; seed 83: 40 against 104)
            let mut swept = u.clone();
            let ws = solver.workspace(p.n, ker.unknowns(), ker.conserved());
            ws.set_log_balances(true);
            let near = newton::solve_ptc_dae(
                ker,
                &p.links,
                &p.feed,
                &mut swept,
                ws,
                &NewtonOptions {
                    tolerance: tol,
                    max_iterations: 0,
                    ..NewtonOptions::default()
                },
                1.0,
            )
            .residual
                < SWEPT_FIRST;
            let mut order = [(false, PTC_ITERATIONS), (true, PTC_SWEPT_ITERATIONS)];
            if near {
                order.reverse();
            }
            // a continuation that ends before its count (Diverged) leaves
            // what it did not use to the next (seed 1875 of the log-linear
            // generator: its cold start's extractant balances cannot be
            // closed and that continuation ends after 14 steps; the one
            // from the sweeps converges in 596, its front crossing 393
            // stages)
            let mut spare = 0;
            for (from_sweeps, cap) in order {
                let cap = cap + spare;
                let mut v = if from_sweeps {
                    swept.clone()
                } else {
                    start(ker, p)
                };
                let left = max_it.saturating_sub(charged(used, sweeps));
                let ws = solver.workspace(p.n, ker.unknowns(), ker.conserved());
                ws.set_log_balances(true);
                let opts = NewtonOptions {
                    tolerance: tol,
                    max_iterations: left.min(cap),
                    max_log_step: if from_sweeps {
                        NewtonOptions::default().max_log_step
                    } else {
                        COLD_LOG_STEP
                    },
                    free_traces: true,
                    ptc_ceiling: if from_sweeps { 0.0 } else { COLD_DT_CEILING },
                    ..NewtonOptions::default()
                };
                // a front too slow to cross the cascade within the count
                // ends the cold start's continuation ([`COLD_FRONT_WINDOW`]),
                // and the one from the sweeps where it goes second (only the
                // bracketed sweeps, from the cold start, come after it: seed
                // 2312 of the log-linear generator, its front given up at
                // 240 of 750 at a residual of 2.6e-2, 1,260 -> 750
                // iterations, the same sweeps after); the cold one's time
                // steps are watched too ([`COLD_DT_MIN`])
                let stall = (!from_sweeps || !near).then_some(newton::PtcStall {
                    after: if from_sweeps {
                        usize::MAX
                    } else {
                        COLD_DT_AFTER
                    },
                    window: COLD_DT_WINDOW,
                    dt_min: COLD_DT_MIN,
                    front_window: COLD_FRONT_WINDOW,
                    front_factor: COLD_FRONT_FACTOR,
                    front_residual: COLD_FRONT_RESIDUAL,
                    progress_window: 0,
                    progress: 0.0,
                });
                let rep = newton::solve_ptc_dae_watched(
                    ker, &p.links, &p.feed, &mut v, ws, &opts, 1.0, stall,
                );
                used += rep.iterations;
                spare = cap.saturating_sub(rep.iterations);
                let spent = charged(used, sweeps);
                if rep.status == Status::Converged {
                    return (v, rep, spent);
                }
                if spent >= max_it {
                    last = Some(rep);
                    break 'modes;
                }
            }
            if work.get() >= LL_MAX_EVALUATIONS {
                // no evaluations left for the bracketed sweeps: the fast
                // sweeps' profile is what the solve goes on from
                break 'modes;
            }
            u = start(ker, p);
        }
        // Newton's probes of the bracketed sweeps: each time their largest
        // change falls below this (a quarter of it after each failed
        // probe); the fast sweeps' rarely led Newton home, and cost the
        // cascades they settle an iteration
        let mut probe = if exact { PROBE_CHANGE } else { 0.0 };
        for &t in stages {
            let mut relax = super::substitution::Relaxation::new();
            // the bracketed sweeps, stalled, get Newton's try and then more
            // patience: on a long cascade whose stages lagged transport
            // overloads again and again (seed 43 of the log-linear
            // generator: 15 metals, 107 + 81 stages) their largest change
            // jumps between units and hundreds for over 60 sweeps before
            // it settles
            let rounds: &[usize] = if exact { &[25, EXACT_PATIENCE] } else { &[25] };
            let mut change = f64::INFINITY;
            for &patience in rounds {
                relax.set_patience(patience);
                let mut round = 0;
                // a new round starts afresh, a probe's pause changes nothing
                let mut resumed = f64::INFINITY;
                // each stage's last root, kept over a probe's pause
                let mut warm: Vec<(f64, f64)> = Vec::new();
                let mut was_periodic = false;
                loop {
                    let budget = sweeps_left(max_it, used, sweeps);
                    let stop = t.max(probe);
                    // the sweeps stop for a probe every few sweeps, whatever
                    // their change, and go on after it from the stages'
                    // last roots, as if they had not stopped
                    if !was_periodic {
                        warm.clear();
                    }
                    let chunk = if exact { PROBE_EVERY } else { FAST_PROBE_EVERY };
                    let out = super::ll_substitution::substitute(
                        &m,
                        &mut u,
                        stop,
                        budget.min(2_000 - round).min(chunk),
                        LN_FLOOR,
                        exact,
                        &mut relax,
                        resumed,
                        &mut warm,
                        (&work, LL_MAX_EVALUATIONS),
                    );
                    sweeps += out.sweeps;
                    round += out.sweeps;
                    change = out.change;
                    // a probe (not the stage's end) gets a short Newton, and
                    // so do sweeps that stalled with stages still moving by
                    // more than an e-fold (seed 542 of the log-linear
                    // generator: 150 iterations from a change of 700, where
                    // the cold start's continuation then converges)
                    let probing = change <= stop && change > t;
                    // stopped by the chunk, not by the tolerance, a stall
                    // or the budget: a probe, and the sweeps go on
                    let periodic =
                        !probing && change > stop && out.sweeps == chunk && budget > chunk;
                    let mut v = u.clone();
                    let left = max_it.saturating_sub(charged(used, sweeps));
                    let cap = if probing || periodic || change > PROBE_CHANGE {
                        PROBE_NEWTON
                    } else {
                        150
                    };
                    let rep = newton_in(solver, ker, p, &mut v, true, tol, left.min(cap));
                    used += rep.iterations;
                    let spent = charged(used, sweeps);
                    if rep.status == Status::Converged {
                        return (v, rep, spent);
                    }
                    last = Some(rep);
                    if spent >= max_it || (exact && work.get() >= LL_MAX_EVALUATIONS) {
                        break 'modes;
                    }
                    if work.get() >= LL_MAX_EVALUATIONS {
                        // the fast sweeps' share spent: the continuations
                        // still run, the bracketed sweeps do not
                        continue 'modes;
                    }
                    was_periodic = periodic;
                    if periodic && round < 2_000 {
                        resumed = change;
                        continue;
                    }
                    if !probing || round >= 2_000 {
                        break;
                    }
                    probe = 0.25 * change;
                    resumed = change;
                }
                if change <= t {
                    break;
                }
            }
            if change > t {
                break;
            }
        }
    }
    let rep = match last {
        Some(r) => r,
        None => {
            let r = newton_in(solver, ker, p, &mut u, true, tol, 0);
            NewtonReport {
                status: Status::Diverged,
                ..r
            }
        }
    };
    (u, rep, charged(used, sweeps))
}
