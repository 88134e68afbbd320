//! Damped Newton on the whole cascade.
//!
//! Every stage balance row is scaled by the larger of that quantity's total
//! inflow and outflow in the stage, so the residual the iteration drives to
//! zero (and reports) is a *relative* imbalance, and trace components count as
//! much as majors. Row scaling leaves the Newton step unchanged but keeps the
//! block factorisation and the line search in relative terms. Steps on
//! logarithmic unknowns are capped, then a backtracking (Armijo) line search on
//! the scaled residual makes the iteration globally damped. The loop itself
//! allocates nothing: all buffers live in [`Workspace`].

use ndarray::{Array2, Array3};

use super::block_tridiag::BlockTridiag;
use super::Status;
use crate::chemistry::{Equilibrium, StageEval};

/// Options of one Newton solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonOptions {
    /// Stop when the largest relative stage imbalance is at most this.
    pub tolerance: f64,
    /// Give up after this many iterations.
    pub max_iterations: usize,
    /// Largest change of a logarithmic unknown in one step.
    pub max_log_step: f64,
    /// Pseudo-transient continuation only: a conserved quantity whose
    /// stage outflows lie below `exp(LN_TRACE)` times the stage's largest
    /// outflow before and after its step (its unknown the `ln` of its
    /// outflows' scale, [`crate::chemistry::StageEval::ln_scale`]) takes
    /// its whole step, outside the cap of `max_log_step` on the others: it
    /// adds nothing to any other stage balance, so the cap (there for the
    /// linearisation of what it adds) has nothing to protect, and it no
    /// longer holds every other unknown to its crawl (seed 1181 of the
    /// log-linear generator: a trace at `ln x = -1300`, its organic at
    /// `exp(-230)`, climbing 8 a step for a hundred steps). Its balance
    /// also keeps the log form `ln(inflow / outflow)` where one side lies
    /// more than the range of a double below the other: in relative form
    /// that row reads an imbalance of 1 whose derivative underflows, a
    /// dead state no step leaves (seed 1142: a metal at `ln x = -1170`
    /// next to `-419`).
    pub free_traces: bool,
    /// Damped Newton ([`solve`]) only, zero for none: the factor by which
    /// the damping can at most grow in one iteration, for a test that
    /// gives up a solve that cannot converge within `max_iterations`.
    /// After three or more iterations whose last two were damped to at
    /// most `a < 1`, a solve that would need more than the iterations left
    /// only to grow its damping to a full step (`ln(1 / a) /
    /// ln(give_up_growth)`; a converging solve ends with full steps) ends
    /// there as [`Status::MaxIterations`], its iterations spared. The
    /// implicit-Euler steps of the start-up ([`super::transient`]) set it.
    pub give_up_growth: f64,
    /// Damped Newton ([`solve`]) only: iterations past `max_iterations`
    /// for a solve that is plainly finishing there. At its limit, a solve
    /// whose last iteration was a full step that cut the residual at least
    /// tenfold, to below [`NEAR_MISS`] times the tolerance, goes on (a
    /// full step of that quadratic phase meets the tolerance in an
    /// iteration or two) for at most this many more iterations, under the
    /// same test each. The implicit-Euler steps of the start-up
    /// ([`super::transient`]) set it.
    pub finish_iterations: usize,
    /// Damped Newton ([`solve`]) only, zero for none: the cap on the fall
    /// in one step of the logarithmic unknowns the model lets fall freely
    /// where they are ([`Equilibrium::falls_freely`]), in place of
    /// `max_log_step` (which still caps their rises and every step of the
    /// others). What a fall drops from a balance is at most the quantity
    /// itself, so its linearisation cannot overshoot the way a rise's
    /// `exp` does. At a
    /// titration front (a saponified organic meeting the acid) a stage's
    /// `ln [H+]` and free extractant collapse together by tens of e-folds,
    /// and Newton's correction there runs to thousands: capped at 8, the
    /// inner iterations of the start-up's steps crawl (seed 1112 of the
    /// mass-action robustness sample: the cap set the damping in 3,542
    /// inner iterations, 3,537 of them on a falling `ln [H+]`). The
    /// implicit-Euler steps of the start-up ([`super::transient`]) set it.
    pub max_log_fall: f64,
    /// Pseudo-transient continuation ([`solve_ptc`] and its forms) only,
    /// zero for none: after a step whose scaled residual did not fall, the
    /// time step grows (by the least factor of 1.2) no further than this
    /// fraction of the last rejected time step. Along a slow front the
    /// residual rises a little every step, the growth of 1.2 climbs back
    /// to the time step just rejected within about eight steps, and each
    /// rejection costs an iteration and a cut by four (seed 658 of the
    /// log-linear robustness generator: 100 rejections in its cold
    /// continuation's 700 iterations, its front crawling at 5.7
    /// iterations a stage).
    pub ptc_ceiling: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions {
            tolerance: 1e-12,
            max_iterations: 100,
            max_log_step: 8.0,
            free_traces: false,
            give_up_growth: 0.0,
            finish_iterations: 0,
            max_log_fall: 0.0,
            ptc_ceiling: 0.0,
        }
    }
}

/// Outcome of one Newton solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonReport {
    /// How it ended.
    pub status: Status,
    /// Newton iterations taken (Jacobian factorisations).
    pub iterations: usize,
    /// Largest relative stage imbalance at the returned point.
    pub residual: f64,
    /// 0-based stage and row of the largest imbalance.
    pub worst: (usize, usize),
}

impl NewtonReport {
    fn new(status: Status, iterations: usize, residual: f64, worst: (usize, usize)) -> Self {
        NewtonReport {
            status,
            iterations,
            residual,
            worst,
        }
    }
}

/// Preallocated buffers for the Newton kernel on a cascade of `n` stages and
/// `nv` unknowns (`nq` conserved quantities) per stage.
#[derive(Debug, Clone)]
pub struct Workspace {
    n: usize,
    nv: usize,
    nq: usize,
    aq: Array2<f64>,
    org: Array2<f64>,
    d_aq: Array3<f64>,
    d_org: Array3<f64>,
    local: Array2<f64>,
    d_local: Array3<f64>,
    local_scale: Array2<f64>,
    ln_out: Array2<f64>,
    /// `ln` of the inflow and outflow of each balance written in
    /// logarithmic form (NaN for rows in relative form).
    l_in: Array2<f64>,
    l_out: Array2<f64>,
    log_balances: bool,
    /// Log form also for a balance whose one side lies more than the range
    /// of a double below the other (set from
    /// [`NewtonOptions::free_traces`] by each solve).
    deep_log: bool,
    /// Whether an imbalance is measured less the rounding of its deep
    /// factors ([`resolved`]) and of its organic terms
    /// ([`less_rounding`]): only for the point a solve stalled at.
    resolve_deep: bool,
    /// The rounding of each stage's organic outflows
    /// ([`Equilibrium::org_rounding`]), shape `(n, nq)`: written where
    /// `resolve_deep` is set, zero elsewhere.
    org_round: Array2<f64>,
    r: Array2<f64>,
    scale: Array2<f64>,
    scale_base: Array2<f64>,
    sys: BlockTridiag,
    du: Array2<f64>,
    dbar: Array2<f64>,
    u_base: Array2<f64>,
    // fractions of each stage's aqueous / organic outflow passed on to the
    // neighbour stage (below 1 where a side draw takes part of it)
    pass_aq: Vec<f64>,
    pass_org: Vec<f64>,
    // `ln` factor on each external inflow (true inflow `feed * exp`):
    // zero but for the hold-up terms of the start-up dynamics
    feed_ln: Array2<f64>,
    // `ln` factor on each stage's outflows in its own balance only (not
    // in what the neighbours receive): zero but for the hold-up terms of
    // the start-up dynamics
    hold_ln: Array2<f64>,
    // scratch of the balance pass ([`BalanceInputs::balances`])
    bal: BalanceScratch,
    // a stage's row scale exponents and their exponentials in
    // [`Workspace::assemble`], `3 nq + nv - nq` each
    asm_x: Vec<f64>,
    asm_e: Vec<f64>,
    // `ln |aq|` and `ln |org|` of the outflows where the model gives them
    // ([`Equilibrium::ln_outflows`]), NaN elsewhere
    ln_aq: Array2<f64>,
    ln_org: Array2<f64>,
    // pseudo-transient continuation with free traces: whether each
    // unknown takes its whole step this iteration
    free: Vec<bool>,
    // whether the entries of `d_aq`, `d_org`, `d_local`, `ln_out`,
    // `ln_aq` and `ln_org` that this solve's model does not write hold
    // their zero (NaN) ([`Equilibrium::fixed_pattern`]); reset by every
    // solve, whose model may be another
    cleared: bool,
    // nonlinear elimination of a stage ([`Workspace::eliminate`]): each
    // stage's own damping of the last Newton correction, the stage's
    // diagonal block and right-hand side, and its unknowns before a step
    stage_cap: Vec<f64>,
    elim_jac: Vec<f64>,
    elim_rhs: Vec<f64>,
    elim_u: Vec<f64>,
    // trace runs ([`Workspace::solve_trace_runs`]): each stage's largest
    // `ln` outflow, then a run's `ln` coefficients, inflows, solution and
    // pivots (`n` each), and its aqueous links
    trace_top: Vec<f64>,
    trace_sys: Vec<f64>,
    trace_links: Vec<bool>,
}

impl Workspace {
    /// Buffers for `n` stages, `nv` unknowns and `nq` conserved quantities.
    pub fn new(n: usize, nv: usize, nq: usize) -> Self {
        assert!(nq <= nv, "more conserved quantities than unknowns");
        let nl = nv - nq;
        Workspace {
            n,
            nv,
            nq,
            aq: Array2::zeros((n, nq)),
            org: Array2::zeros((n, nq)),
            d_aq: Array3::zeros((n, nq, nv)),
            d_org: Array3::zeros((n, nq, nv)),
            local: Array2::zeros((n, nl)),
            d_local: Array3::zeros((n, nl, nv)),
            local_scale: Array2::zeros((n, nl)),
            ln_out: Array2::zeros((n, nq)),
            l_in: Array2::zeros((n, nq)),
            l_out: Array2::zeros((n, nq)),
            log_balances: true,
            deep_log: false,
            resolve_deep: false,
            org_round: Array2::zeros((n, nq)),
            r: Array2::zeros((n, nv)),
            scale: Array2::zeros((n, nv)),
            scale_base: Array2::zeros((n, nv)),
            sys: BlockTridiag::new(n, nv),
            du: Array2::zeros((n, nv)),
            dbar: Array2::zeros((n, nv)),
            u_base: Array2::zeros((n, nv)),
            pass_aq: vec![1.0; n],
            pass_org: vec![1.0; n],
            feed_ln: Array2::zeros((n, nq)),
            hold_ln: Array2::zeros((n, nq)),
            bal: BalanceScratch::new(nq),
            asm_x: vec![0.0; 3 * nq + nl],
            asm_e: vec![0.0; 3 * nq + nl],
            ln_aq: Array2::zeros((n, nq)),
            ln_org: Array2::zeros((n, nq)),
            free: vec![false; n * nv],
            cleared: false,
            stage_cap: vec![1.0; n],
            elim_jac: vec![0.0; nv * nv],
            elim_rhs: vec![0.0; nv],
            elim_u: vec![0.0; nv],
            trace_top: vec![0.0; n],
            trace_sys: vec![0.0; 5 * n],
            trace_links: vec![false; n],
        }
    }

    /// Sets `ln` factors on the external inflows, shape `(n, nq)` (the true
    /// inflow of row `q` into stage `j` is `feed[[j, q]] * exp(ln[[j, q]])`,
    /// so inflows below the range of a double stay exact); `None` restores
    /// plain inflows.
    pub fn set_feed_ln(&mut self, ln: Option<&Array2<f64>>) {
        match ln {
            Some(l) => self.feed_ln.assign(l),
            None => self.feed_ln.fill(0.0),
        }
    }

    /// Sets `ln` factors on each stage's outflows in its own balance only,
    /// shape `(n, nq)` (row `q` of stage `j` balances its inflows against
    /// `exp(ln[[j, q]])` times its outflows, while the neighbour stages
    /// still receive the plain outflows): the hold-up terms of an
    /// implicit time step. `None` restores plain balances.
    pub fn set_hold_ln(&mut self, ln: Option<&Array2<f64>>) {
        match ln {
            Some(l) => self.hold_ln.assign(l),
            None => self.hold_ln.fill(0.0),
        }
    }

    /// Sets the fraction of each stage's aqueous and organic outflow that
    /// reaches the neighbour stage (side draws take the rest); `None`
    /// restores 1 everywhere.
    pub fn set_pass(&mut self, pass: Option<(&[f64], &[f64])>) {
        match pass {
            Some((a, o)) => {
                self.pass_aq.copy_from_slice(a);
                self.pass_org.copy_from_slice(o);
            }
            None => {
                self.pass_aq.fill(1.0);
                self.pass_org.fill(1.0);
            }
        }
    }

    /// Whether balances whose outflows the kernel reports log-scaled
    /// ([`StageEval::ln_scale`]) are solved as `ln(inflow / outflow) = 0`
    /// (the default: its Jacobian stays of order one for a trace however
    /// far from balance) rather than as `(inflow - outflow) / S = 0`.
    /// Convergence is judged on the relative imbalance either way.
    pub fn set_log_balances(&mut self, on: bool) {
        self.log_balances = on;
    }

    /// Whether this workspace fits a problem of the given shape.
    pub fn fits(&self, n: usize, nv: usize, nq: usize) -> bool {
        self.n == n && self.nv == nv && self.nq == nq
    }

    /// Aqueous outflows of the conserved quantities at the last evaluated
    /// point, shape `(n, nq)`, divided by `exp` of [`Workspace::ln_scales`].
    pub fn aqueous(&self) -> &Array2<f64> {
        &self.aq
    }

    /// Organic outflows at the last evaluated point, shape `(n, nq)`,
    /// divided by `exp` of [`Workspace::ln_scales`].
    pub fn organic(&self) -> &Array2<f64> {
        &self.org
    }

    /// Logarithmic scales of the outflows the kernel reported
    /// ([`StageEval::ln_scale`]), shape `(n, nq)`.
    pub fn ln_scales(&self) -> &Array2<f64> {
        &self.ln_out
    }

    /// Solves the steady balances of every trace run in `u` exactly: for
    /// each conserved quantity that [`Equilibrium::own_scaled`], each run
    /// of consecutive stages where its outflows lie below `exp(LN_TRACE)`
    /// times the stage's largest ([`LN_TRACE`]: too little to move any
    /// other balance) gets the amounts that close its balances at the
    /// stages' other unknowns as they are, with the inflows from the
    /// stages around the run as they are. Those balances are linear in the
    /// amounts: the run's tridiagonal system is solved in logarithms
    /// ([`super::logthomas::solve_with_pass`]), exactly however deep the
    /// trace. Returns the unknowns written (each run's stages), none where
    /// `u` does not evaluate or the workspace holds hold-up or inflow
    /// factors ([`Workspace::set_hold_ln`], [`Workspace::set_feed_ln`]):
    /// only the steady balances are solved.
    ///
    /// A start-up's slow end is often a trace washing out of a section:
    /// its amounts there fall by a fixed number of e-folds per residence
    /// time toward a steady profile thousands of e-folds down, while the
    /// rest of the cascade is steady. Steady Newton from that state meets
    /// a nearly singular Jacobian (the log-form balances of a run whose
    /// inflow from outside is negligible do not see the run's level: a
    /// first correction of 1e13 to 1e26 e-folds, a step damped to
    /// nothing), so it fails until the washout is over. CLI check
    /// mass-action 14280 (15 metals over 248 + 247 + 1 stages): its strip
    /// stage's lanthanum at `ln x = -952` at 4,864 residence times and
    /// -2,085 at steady state, every steady try failing at its first
    /// iteration until 33,000 (docs/benchmarks.md, round 51).
    pub(crate) fn solve_trace_runs<E: Equilibrium>(
        &mut self,
        model: &E,
        links: &[bool],
        feed: &Array2<f64>,
        u: &mut Array2<f64>,
    ) -> usize {
        if self.hold_ln.iter().any(|&h| h != 0.0) || self.feed_ln.iter().any(|&f| f != 0.0) {
            return 0;
        }
        let (r, _) = self.evaluate(model, links, feed, u);
        if !r.is_finite() {
            return 0;
        }
        let (n, nq) = (self.n, self.nq);
        for j in 0..n {
            self.trace_top[j] = self.ln_top_outflow(j);
        }
        let mut written = 0;
        for q in (0..nq).filter(|&q| model.own_scaled(q)) {
            let trace = |ws: &Self, j: usize| {
                ws.aq[[j, q]] > 0.0
                    && ws.org[[j, q]] >= 0.0
                    && ws.ln_outflow(j, q) < ws.trace_top[j] + LN_TRACE
            };
            let mut j = 0;
            while j < n {
                if !trace(self, j) {
                    j += 1;
                    continue;
                }
                let a = j;
                while j + 1 < n && trace(self, j + 1) {
                    j += 1;
                }
                let b = j;
                j += 1;
                written += self.solve_trace_run(links, feed, u, q, (a, b));
            }
        }
        written
    }

    /// [`Workspace::solve_trace_runs`] for quantity `q` over stages `a..=b`
    /// (after an evaluation at `u`); returns the unknowns written.
    fn solve_trace_run(
        &mut self,
        links: &[bool],
        feed: &Array2<f64>,
        u: &mut Array2<f64>,
        q: usize,
        (a, b): (usize, usize),
    ) -> usize {
        use super::logthomas::{log_add, solve_with_pass, LogSystem};
        let m = b - a + 1;
        let (lo, rest) = self.trace_sys.split_at_mut(self.n);
        let (lq, rest) = rest.split_at_mut(self.n);
        let (lf, rest) = rest.split_at_mut(self.n);
        let (lx, lm) = rest.split_at_mut(self.n);
        for i in 0..m {
            let s = a + i;
            lq[i] = ln_given(self.ln_aq[[s, q]], self.aq[[s, q]]);
            lo[i] = ln_given(self.ln_org[[s, q]], self.org[[s, q]]);
            let f = feed[[s, q]];
            lf[i] = if f > 0.0 { f.ln() } else { f64::NEG_INFINITY };
            self.trace_links[i] = links[s] && i + 1 < m;
        }
        // the inflows from the stages around the run, as they are
        if a > 0 {
            let l = ln_given(self.ln_org[[a - 1, q]], self.org[[a - 1, q]]);
            let from_below = self.pass_org[a - 1].ln() + l + self.ln_out[[a - 1, q]];
            lf[0] = log_add(lf[0], from_below);
        }
        if links[b] {
            let l = ln_given(self.ln_aq[[b + 1, q]], self.aq[[b + 1, q]]);
            let from_above = self.pass_aq[b + 1].ln() + l + self.ln_out[[b + 1, q]];
            lf[m - 1] = log_add(lf[m - 1], from_above);
        }
        let sys = LogSystem {
            lo: &lo[..m],
            lq: &lq[..m],
            lf: &lf[..m],
            links: &self.trace_links[..m],
        };
        let pass = (&self.pass_aq[a..=b], &self.pass_org[a..=b]);
        solve_with_pass(sys, Some(pass), &mut lx[..m], &mut lm[..m]);
        let mut written = 0;
        for (i, &x) in lx[..m].iter().enumerate() {
            if x.is_finite() {
                u[[a + i, q]] = x;
                written += 1;
            }
        }
        written
    }

    /// Evaluates every stage at `u`, fills the residual and its row scales,
    /// and returns the largest relative imbalance (infinite if anything is
    /// not finite) with its position.
    pub(crate) fn evaluate<E: Equilibrium>(
        &mut self,
        model: &E,
        links: &[bool],
        feed: &Array2<f64>,
        u: &Array2<f64>,
    ) -> (f64, (usize, usize)) {
        let n = self.n;
        // entries the model does not write are zero (NaN): cleared before
        // every evaluation, or once a solve for a model that writes the
        // same entries every time ([`Equilibrium::fixed_pattern`])
        let fixed = model.fixed_pattern();
        if !(fixed && self.cleared) {
            self.d_aq.fill(0.0);
            self.d_org.fill(0.0);
            self.d_local.fill(0.0);
            self.ln_out.fill(0.0);
            self.ln_aq.fill(f64::NAN);
            self.ln_org.fill(f64::NAN);
        }
        self.cleared = fixed;
        self.eval_stages(model, u, 0..n);
        let resolve_deep = self.resolve_deep;
        if resolve_deep {
            // the organic outflows' rounding, for the point a solve stalled
            let rows = self.org_round.rows_mut().into_iter().zip(u.rows());
            for (j, (row, u_j)) in rows.enumerate() {
                let row = row.into_slice().expect("standard layout");
                row.fill(0.0);
                model.org_rounding(j, u_j.as_slice().expect("standard layout"), row);
            }
        }
        let (worst, at, finite) = self.balance_stages(&links[..n], feed, 0..n, resolve_deep);
        (if finite { worst } else { f64::INFINITY }, at)
    }

    /// The model's outflows, their derivatives and the local equations of
    /// the stages `stages` at `u`, into the workspace's buffers.
    fn eval_stages<E: Equilibrium>(
        &mut self,
        model: &E,
        u: &Array2<f64>,
        stages: std::ops::Range<usize>,
    ) {
        let (nv, nq) = (self.nv, self.nq);
        let nl = nv - nq;
        let u_s = u.as_slice().expect("standard layout");
        let la = self.ln_aq.as_slice_mut().expect("standard layout");
        let lo = self.ln_org.as_slice_mut().expect("standard layout");
        let aq = self.aq.as_slice_mut().expect("standard layout");
        let org = self.org.as_slice_mut().expect("standard layout");
        let d_aq = self.d_aq.as_slice_mut().expect("standard layout");
        let d_org = self.d_org.as_slice_mut().expect("standard layout");
        let local = self.local.as_slice_mut().expect("standard layout");
        let d_local = self.d_local.as_slice_mut().expect("standard layout");
        let lscale = self.local_scale.as_slice_mut().expect("standard layout");
        let ln_out = self.ln_out.as_slice_mut().expect("standard layout");
        for j in stages {
            let u_j = &u_s[j * nv..(j + 1) * nv];
            model.ln_outflows(
                j,
                u_j,
                &mut la[j * nq..(j + 1) * nq],
                &mut lo[j * nq..(j + 1) * nq],
            );
            model.eval(
                j,
                u_j,
                StageEval {
                    aq: &mut aq[j * nq..(j + 1) * nq],
                    org: &mut org[j * nq..(j + 1) * nq],
                    d_aq: &mut d_aq[j * nq * nv..(j + 1) * nq * nv],
                    d_org: &mut d_org[j * nq * nv..(j + 1) * nq * nv],
                    local: &mut local[j * nl..(j + 1) * nl],
                    d_local: &mut d_local[j * nl * nv..(j + 1) * nl * nv],
                    local_scale: &mut lscale[j * nl..(j + 1) * nl],
                    ln_scale: &mut ln_out[j * nq..(j + 1) * nq],
                },
            );
        }
    }

    /// The balance pass ([`BalanceInputs::balances`]) over the stages
    /// `stages` as evaluated last, `links` those stages' links (a window's
    /// last stage taking no inflow from above it): residual rows, row
    /// scales and log sides into the workspace. Returns the worst scaled
    /// row, where (stage counted from the window's first), and whether
    /// every row is finite.
    fn balance_stages(
        &mut self,
        links: &[bool],
        feed: &Array2<f64>,
        stages: std::ops::Range<usize>,
        resolve_deep: bool,
    ) -> (f64, (usize, usize), bool) {
        let (nv, nq) = (self.nv, self.nq);
        let nl = nv - nq;
        let (lo, hi) = (stages.start, stages.end);
        let q = lo * nq..hi * nq;
        let l = lo * nl..hi * nl;
        let inputs = BalanceInputs {
            nv,
            nq,
            links,
            aq: &self.aq.as_slice().expect("standard layout")[q.clone()],
            org: &self.org.as_slice().expect("standard layout")[q.clone()],
            local: &self.local.as_slice().expect("standard layout")[l.clone()],
            lscale: &self.local_scale.as_slice().expect("standard layout")[l],
            ln_out: &self.ln_out.as_slice().expect("standard layout")[q.clone()],
            ln_aq: &self.ln_aq.as_slice().expect("standard layout")[q.clone()],
            ln_org: &self.ln_org.as_slice().expect("standard layout")[q.clone()],
            feed: &feed.as_slice().expect("standard layout")[q.clone()],
            feed_ln: &self.feed_ln.as_slice().expect("standard layout")[q.clone()],
            hold_ln: &self.hold_ln.as_slice().expect("standard layout")[q.clone()],
            pass_aq: &self.pass_aq[stages.clone()],
            pass_org: &self.pass_org[stages],
            org_round: &self.org_round.as_slice().expect("standard layout")[q.clone()],
            deep_log: self.deep_log,
            resolve_deep,
            log_balances: self.log_balances,
        };
        inputs.balances_isa(BalanceOutputs {
            r_all: &mut self.r.as_slice_mut().expect("standard layout")[lo * nv..hi * nv],
            s_all: &mut self.scale.as_slice_mut().expect("standard layout")[lo * nv..hi * nv],
            l_in: &mut self.l_in.as_slice_mut().expect("standard layout")[q.clone()],
            l_out: &mut self.l_out.as_slice_mut().expect("standard layout")[q],
            scratch: &mut self.bal,
        })
    }

    /// Evaluates stage `j` alone at `u` (its neighbours' outflows as the
    /// last evaluation left them) and fills its residual rows and row
    /// scales (the rows of stages `j - 1` and `j + 1` are overwritten with
    /// values of no use: a full [`Workspace::evaluate`] must follow before
    /// they are read). Returns the root-mean-square of stage `j`'s scaled
    /// residual rows (infinite if any is not finite).
    fn evaluate_stage<E: Equilibrium>(
        &mut self,
        model: &E,
        links: &[bool],
        feed: &Array2<f64>,
        u: &Array2<f64>,
        j: usize,
    ) -> f64 {
        let (n, nv) = (self.n, self.nv);
        if !model.fixed_pattern() {
            self.d_aq.index_axis_mut(ndarray::Axis(0), j).fill(0.0);
            self.d_org.index_axis_mut(ndarray::Axis(0), j).fill(0.0);
            self.d_local.index_axis_mut(ndarray::Axis(0), j).fill(0.0);
            self.ln_out.row_mut(j).fill(0.0);
            self.ln_aq.row_mut(j).fill(f64::NAN);
            self.ln_org.row_mut(j).fill(f64::NAN);
        }
        self.eval_stages(model, u, j..j + 1);
        // the balance pass over the window of stages `lo..=hi` around `j`:
        // stage `j`'s rows read only its own outflows and its neighbours'
        let lo = j.saturating_sub(1);
        let hi = (j + 1).min(n - 1);
        let mut win = [false; 3];
        for (w, i) in win.iter_mut().zip(lo..=hi) {
            // the window's last stage has no stage above it in the window
            *w = links[i] && i < hi;
        }
        self.balance_stages(&win[..hi - lo + 1], feed, lo..hi + 1, false);
        let r = &self.r.as_slice().expect("standard layout")[j * nv..(j + 1) * nv];
        let s = rms_slice(r);
        if s.is_finite() {
            s
        } else {
            f64::INFINITY
        }
    }

    /// Stage `j`'s diagonal Jacobian block (scaled as [`Workspace::assemble`]
    /// scales it) into `elim_jac` and `-r` of its rows into `elim_rhs`, at
    /// the last evaluation of the stage; then solves for the stage's Newton
    /// correction in `elim_rhs` (Gaussian elimination with partial
    /// pivoting). Returns false where the block is singular.
    fn stage_newton(&mut self, j: usize) -> bool {
        let (nv, nq) = (self.nv, self.nq);
        let nl = nv - nq;
        for q in 0..nq {
            let lo = if self.l_in[[j, q]].is_nan() {
                self.scale[[j, q]]
            } else {
                self.l_out[[j, q]]
            };
            let inv = rescale(self.ln_out[[j, q]] + self.hold_ln[[j, q]] - lo);
            for v in 0..nv {
                self.elim_jac[q * nv + v] = -(self.d_aq[[j, q, v]] + self.d_org[[j, q, v]]) * inv;
            }
            self.elim_rhs[q] = -self.r[[j, q]];
        }
        for l in 0..nl {
            let inv = rescale(-self.scale[[j, nq + l]]);
            for v in 0..nv {
                self.elim_jac[(nq + l) * nv + v] = self.d_local[[j, l, v]] * inv;
            }
            self.elim_rhs[nq + l] = -self.r[[j, nq + l]];
        }
        dense_solve(&mut self.elim_jac, &mut self.elim_rhs, nv)
    }

    /// Nonlinear elimination of stage `j` inside a Newton iteration: Newton
    /// on the stage's own equations (its balances and local rows, every
    /// other stage held), re-evaluated each iteration, with the fall of an
    /// unknown the model lets fall freely once collapsed
    /// ([`Equilibrium::falls_freely`] at `-inf`, wherever it is) capped at
    /// [`ELIM_LOG_FALL`], every other step at `max_log_step`, within the
    /// stage's [`Equilibrium::step_limit`], and halved until the stage's
    /// residual falls; at most [`ELIM_ITERATIONS`] iterations. Leaves the
    /// workspace evaluated at stage `j` only (a full evaluation must
    /// follow). Returns whether any step was taken.
    fn eliminate<E: Equilibrium>(
        &mut self,
        model: &E,
        links: &[bool],
        feed: &Array2<f64>,
        u: &mut Array2<f64>,
        j: usize,
        max_log_step: f64,
    ) -> bool {
        let nv = self.nv;
        let mut f0 = self.evaluate_stage(model, links, feed, u, j);
        let mut moved = false;
        for _ in 0..ELIM_ITERATIONS {
            if !f0.is_finite() || f0 <= ELIM_TOLERANCE || !self.stage_newton(j) {
                break;
            }
            let mut alpha: f64 = 1.0;
            for v in 0..nv {
                let d = self.elim_rhs[v];
                let lim = if d < 0.0 && model.falls_freely(v, f64::NEG_INFINITY) {
                    ELIM_LOG_FALL
                } else {
                    max_log_step
                };
                if d.abs() > lim {
                    alpha = alpha.min(lim / d.abs());
                }
            }
            if !alpha.is_finite() {
                break;
            }
            {
                let us = u.as_slice().expect("standard layout");
                alpha = alpha.min(model.step_limit(j, &us[j * nv..(j + 1) * nv], &self.elim_rhs));
            }
            for v in 0..nv {
                self.elim_u[v] = u[[j, v]];
            }
            let mut taken = false;
            while alpha >= ELIM_ALPHA_MIN {
                for v in 0..nv {
                    u[[j, v]] = self.elim_u[v] + alpha * self.elim_rhs[v];
                }
                let f = self.evaluate_stage(model, links, feed, u, j);
                if f < (1.0 - alpha / 4.0) * f0 {
                    f0 = f;
                    taken = true;
                    break;
                }
                alpha *= 0.5;
            }
            if !taken {
                for v in 0..nv {
                    u[[j, v]] = self.elim_u[v];
                }
                break;
            }
            moved = true;
        }
        // the stage's outflows at the point it ends at, for the stages
        // eliminated after it
        self.evaluate_stage(model, links, feed, u, j);
        moved
    }

    /// Largest whole-cascade imbalance over the conserved quantities at
    /// the last evaluated point: the sum of a quantity's stage residuals
    /// (its total external inflow less everything that leaves the cascade,
    /// side draws included: the flows between stages cancel) relative to
    /// its total inflow. A quantity circulating far above its feed (built
    /// up between scrub and extraction) can meet the per-stage tolerance
    /// and still close this balance only to that tolerance times its
    /// circulation over its feed. Zero for a time step of the start-up
    /// dynamics (its hold-up terms do not cancel between stages) and for a
    /// quantity with no inflow.
    fn cascade_balance(&self, feed: &Array2<f64>) -> f64 {
        let dynamic = |a: &Array2<f64>| a.iter().any(|&l| l != 0.0);
        if dynamic(&self.hold_ln) || dynamic(&self.feed_ln) {
            return 0.0;
        }
        let mut worst = 0.0f64;
        for q in 0..self.nq {
            let inflow: f64 = feed.column(q).iter().map(|f| f.abs()).sum();
            if inflow.is_nan() || inflow <= 0.0 {
                continue;
            }
            let l_f = inflow.ln();
            let mut sum = 0.0;
            for j in 0..self.n {
                let r = self.r[[j, q]];
                let (li, lo) = (self.l_in[[j, q]], self.l_out[[j, q]]);
                sum += if li.is_nan() {
                    // relative form: `r` times the row's scale
                    r * rescale(self.scale[[j, q]] - l_f)
                } else {
                    // log form: `out (exp(ln(in / out)) - 1)`
                    rescale(lo - l_f) * r.exp_m1()
                };
            }
            worst = worst.max(if sum.is_nan() {
                f64::INFINITY
            } else {
                sum.abs()
            });
        }
        worst
    }

    /// `ln` of the larger of stage `j`'s two outflows of conserved quantity
    /// `q` (mol/h), as the last evaluation left them.
    fn ln_outflow(&self, j: usize, q: usize) -> f64 {
        let a = ln_given(self.ln_aq[[j, q]], self.aq[[j, q]]);
        let o = ln_given(self.ln_org[[j, q]], self.org[[j, q]]);
        self.ln_out[[j, q]] + a.max(o)
    }

    /// The largest [`Workspace::ln_outflow`] of stage `j` over its
    /// conserved quantities: what a trace is measured against
    /// ([`LN_TRACE`]).
    fn ln_top_outflow(&self, j: usize) -> f64 {
        (0..self.nq).fold(f64::NEG_INFINITY, |m, q| m.max(self.ln_outflow(j, q)))
    }

    /// Root-mean-square of the residual rows divided by `exp(ln_scale)`
    /// (the row scales of another point), instead of by their own scales.
    fn scaled_rms(&self, ln_scale: &Array2<f64>) -> f64 {
        let mut s = 0.0;
        for ((r, l), lb) in self.r.iter().zip(self.scale.iter()).zip(ln_scale.iter()) {
            let v = r * rescale(*l - *lb);
            s += v * v;
        }
        (s / self.r.len().max(1) as f64).sqrt()
    }

    /// Fills the scaled block-tridiagonal Jacobian and `du = -r / scale`.
    fn assemble(&mut self, links: &[bool]) {
        #[cfg(target_arch = "x86_64")]
        if super::simd::avx2() {
            // SAFETY: the processor has AVX2
            return unsafe { self.assemble_avx2(links) };
        }
        self.assemble_sized(links)
    }

    /// [`Workspace::assemble`] compiled for AVX2 (without FMA: the same
    /// roundings, so the same Jacobian bit for bit; [`super::simd`]).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn assemble_avx2(&mut self, links: &[bool]) {
        self.assemble_sized(links)
    }

    /// [`Workspace::assemble`] in the instruction set of its caller.
    #[inline(always)]
    fn assemble_sized(&mut self, links: &[bool]) {
        // the block sizes of the rigorous models (3 to 12 unknowns a
        // stage) with the row length a constant: each row's loops
        // unrolled, without the vector loop's trip-count tests and
        // remainder (the same products, so the same values)
        match self.nv {
            3 => self.assemble_fixed::<3>(links),
            4 => self.assemble_fixed::<4>(links),
            5 => self.assemble_fixed::<5>(links),
            6 => self.assemble_fixed::<6>(links),
            7 => self.assemble_fixed::<7>(links),
            8 => self.assemble_fixed::<8>(links),
            9 => self.assemble_fixed::<9>(links),
            10 => self.assemble_fixed::<10>(links),
            11 => self.assemble_fixed::<11>(links),
            12 => self.assemble_fixed::<12>(links),
            _ => self.assemble_fixed::<0>(links),
        }
    }

    /// [`Workspace::assemble`] for `B` unknowns a stage (`B = 0`: any).
    #[inline(always)]
    fn assemble_fixed<const B: usize>(&mut self, links: &[bool]) {
        let (n, nq) = (self.n, self.nq);
        let nv = if B == 0 { self.nv } else { B };
        let nl = nv - nq;
        let bq = nq * nv; // one stage's derivative rows
        let bb = nv * nv; // one Jacobian block
        let d_aq = self.d_aq.as_slice().expect("standard layout");
        let d_org = self.d_org.as_slice().expect("standard layout");
        let d_local = self.d_local.as_slice().expect("standard layout");
        let r = self.r.as_slice().expect("standard layout");
        let scale = self.scale.as_slice().expect("standard layout");
        let ln_out = self.ln_out.as_slice().expect("standard layout");
        let l_in = self.l_in.as_slice().expect("standard layout");
        let l_out = self.l_out.as_slice().expect("standard layout");
        let hold_ln = self.hold_ln.as_slice().expect("standard layout");
        let du = self.du.as_slice_mut().expect("standard layout");
        let lower = self.sys.lower.as_slice_mut().expect("standard layout");
        let diag = self.sys.diag.as_slice_mut().expect("standard layout");
        let upper = self.sys.upper.as_slice_mut().expect("standard layout");
        let (x, e) = (&mut self.asm_x[..], &mut self.asm_e[..]);
        for (j, &link) in links.iter().enumerate().take(n) {
            // the rows' `ln` scale factors first, every `exp` of the stage
            // in one batch ([`rescale_slice`]): for quantity `q` its own
            // outflows', the inflow from below's and the inflow from
            // above's at `3 q..3 q + 3`, then the local rows'
            for q in 0..nq {
                // relative form: every term over S; log form: inflows over
                // the inflow, outflows over the outflow
                let (li, lo) = if l_in[j * nq + q].is_nan() {
                    (scale[j * nv + q], scale[j * nv + q])
                } else {
                    (l_in[j * nq + q], l_out[j * nq + q])
                };
                x[3 * q] = ln_out[j * nq + q] + hold_ln[j * nq + q] - lo;
                x[3 * q + 1] = if j > 0 {
                    ln_out[(j - 1) * nq + q] - li
                } else {
                    0.0
                };
                x[3 * q + 2] = if link {
                    ln_out[(j + 1) * nq + q] - li
                } else {
                    0.0
                };
            }
            for l in 0..nl {
                x[3 * nq + l] = -scale[j * nv + nq + l];
            }
            rescale_slice(x, e);
            for q in 0..nq {
                let inv = e[3 * q];
                let inv_lo = if j > 0 { e[3 * q + 1] } else { 0.0 };
                let inv_up = if link { e[3 * q + 2] } else { 0.0 };
                du[j * nv + q] = -r[j * nv + q];
                let row = j * bb + q * nv;
                let src = j * bq + q * nv;
                // whole rows as slices: no bounds checks or branches per entry
                let (da, dor) = (&d_aq[src..src + nv], &d_org[src..src + nv]);
                for ((dv, a), o) in diag[row..row + nv].iter_mut().zip(da).zip(dor) {
                    *dv = -(a + o) * inv;
                }
                let lrow = &mut lower[row..row + nv];
                if j > 0 {
                    let p = self.pass_org[j - 1];
                    for (lv, o) in lrow.iter_mut().zip(&d_org[src - bq..src - bq + nv]) {
                        *lv = p * o * inv_lo;
                    }
                } else {
                    lrow.fill(0.0);
                }
                let urow = &mut upper[row..row + nv];
                if link {
                    let p = self.pass_aq[j + 1];
                    for (uv, a) in urow.iter_mut().zip(&d_aq[src + bq..src + bq + nv]) {
                        *uv = p * a * inv_up;
                    }
                } else {
                    urow.fill(0.0);
                }
            }
            for l in 0..nl {
                let inv = e[3 * nq + l];
                du[j * nv + nq + l] = -r[j * nv + nq + l];
                let row = j * bb + (nq + l) * nv;
                let src = (j * nl + l) * nv;
                for (dv, d) in diag[row..row + nv].iter_mut().zip(&d_local[src..src + nv]) {
                    *dv = d * inv;
                }
                lower[row..row + nv].fill(0.0);
                upper[row..row + nv].fill(0.0);
            }
        }
    }
}

/// What the balance pass of [`Workspace::evaluate`] reads: every stage's
/// outflows (its own and its neighbours') and the fixed inflows.
struct BalanceInputs<'a> {
    nv: usize,
    nq: usize,
    links: &'a [bool],
    aq: &'a [f64],
    org: &'a [f64],
    local: &'a [f64],
    lscale: &'a [f64],
    ln_out: &'a [f64],
    ln_aq: &'a [f64],
    ln_org: &'a [f64],
    feed: &'a [f64],
    feed_ln: &'a [f64],
    hold_ln: &'a [f64],
    pass_aq: &'a [f64],
    pass_org: &'a [f64],
    org_round: &'a [f64],
    deep_log: bool,
    resolve_deep: bool,
    log_balances: bool,
}

impl BalanceInputs<'_> {
    /// The rounding of the organic outflow of quantity `q` that enters
    /// stage `j` from the stage below (as much as passes on) and of the
    /// one that leaves it ([`Equilibrium::org_rounding`]).
    fn organic_rounding(&self, j: usize, q: usize) -> (f64, f64) {
        let nq = self.nq;
        let below = if j > 0 {
            self.pass_org[j - 1] * self.org_round[(j - 1) * nq + q]
        } else {
            0.0
        };
        (below, self.org_round[j * nq + q])
    }

    /// [`BalanceInputs::balances`] in its AVX2 compilation where the
    /// processor has it ([`super::simd`]: the same roundings, so the same
    /// values bit for bit), else in the baseline one.
    fn balances_isa(&self, out: BalanceOutputs) -> (f64, (usize, usize), bool) {
        #[cfg(target_arch = "x86_64")]
        if super::simd::avx2() {
            // SAFETY: the processor has AVX2
            return unsafe { self.balances_avx2(out) };
        }
        self.balances(out)
    }

    /// [`BalanceInputs::balances`] compiled for AVX2 (without FMA).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn balances_avx2(&self, out: BalanceOutputs) -> (f64, (usize, usize), bool) {
        self.balances(out)
    }

    /// The residual rows of every stage, their `ln` scales, and the `ln`
    /// of each log-form balance's inflow and outflow, into `out`
    /// ([`BalanceOutputs`]). Returns the largest relative imbalance (the
    /// first stage and row holding it) and whether every one is finite.
    ///
    /// A stage at a time in three passes: its balances' terms in
    /// logarithms, the exponentials of every log-form balance's terms
    /// relative to its largest in one batch
    /// ([`super::fast_exp::exp_slice`]), then the balances from
    /// them ([`balance_from`]), with the values of each exponential taken
    /// alone, bit for bit.
    #[inline(always)]
    fn balances(&self, out: BalanceOutputs) -> (f64, (usize, usize), bool) {
        let BalanceOutputs {
            r_all,
            s_all,
            l_in,
            l_out,
            scratch,
        } = out;
        let (nv, nq) = (self.nv, self.nq);
        let nl = nv - nq;
        let (aq, org, links) = (self.aq, self.org, self.links);
        let mut worst = 0.0f64;
        let mut at = (0, 0);
        let mut finite = true;
        let BalanceScratch {
            ln_next,
            pending,
            x,
            e,
        } = scratch;
        // `ln |aq|` of the next stage and `ln |org|` of the previous one,
        // per conserved quantity, as the balance before computed them
        // (each outflow enters two balances); NaN where not computed
        let (ln_aq_next, ln_org_prev) = ln_next.split_at_mut(self.nq);
        ln_aq_next.fill(f64::NAN);
        ln_org_prev.fill(f64::NAN);
        let ln_abs = |v: f64| {
            if v == 0.0 {
                f64::NEG_INFINITY
            } else {
                v.abs().ln()
            }
        };
        let (x, e) = (&mut x[..5 * nq], &mut e[..5 * nq]);
        for j in 0..self.links.len() {
            // the terms of the stage's balances
            for q in 0..nq {
                let own_aq_ln = std::mem::replace(&mut ln_aq_next[q], f64::NAN);
                let prev_org_ln = std::mem::replace(&mut ln_org_prev[q], f64::NAN);
                let from_above = if links[j] {
                    self.pass_aq[j + 1] * aq[(j + 1) * nq + q]
                } else {
                    0.0
                };
                let from_below = if j > 0 {
                    self.pass_org[j - 1] * org[(j - 1) * nq + q]
                } else {
                    0.0
                };
                let f = self.feed[j * nq + q];
                let out_a = aq[j * nq + q];
                let out_o = org[j * nq + q];
                let [e_a, e_b, e_o, e_f] = self.factors(j, q);
                l_in[j * nq + q] = f64::NAN;
                l_out[j * nq + q] = f64::NAN;
                let xq = &mut x[5 * q..5 * q + 5];
                if e_a == 0.0 && e_b == 0.0 && e_o == 0.0 && e_f == 0.0 {
                    let r = from_above + from_below + f - out_a - out_o;
                    let inflow = from_above.abs() + from_below.abs() + f.abs();
                    let outflow = out_a.abs() + out_o.abs();
                    let s = inflow.max(outflow);
                    let s = if s > 0.0 { s } else { 1.0 };
                    r_all[j * nv + q] = r / s;
                    s_all[j * nv + q] = s.ln();
                    let rel = if self.resolve_deep {
                        let (below, own) = self.organic_rounding(j, q);
                        less_rounding((r / s).abs(), (below + own) / s)
                    } else {
                        (r / s).abs()
                    };
                    pending[q] = Pending::Relative(rel);
                    xq.fill(0.0);
                } else {
                    // the same `ln` of the same values as each term's own,
                    // each outflow's computed once for both its balances
                    let l_above = if links[j] && self.pass_aq[j + 1] == 1.0 {
                        let l = ln_given(self.ln_aq[(j + 1) * nq + q], aq[(j + 1) * nq + q]);
                        ln_aq_next[q] = l;
                        l
                    } else {
                        ln_abs(from_above)
                    };
                    let l_below = if j > 0 && self.pass_org[j - 1] == 1.0 && !prev_org_ln.is_nan() {
                        prev_org_ln
                    } else {
                        ln_abs(from_below)
                    };
                    let l_f = if f == 1.0 { 0.0 } else { ln_abs(f) };
                    let l_oa = if own_aq_ln.is_nan() {
                        ln_given(self.ln_aq[j * nq + q], out_a)
                    } else {
                        own_aq_ln
                    };
                    let l_oo = ln_given(self.ln_org[j * nq + q], out_o);
                    ln_org_prev[q] = l_oo;
                    let (v, l, m) = balance_logs(
                        [
                            (from_above, e_a, l_above),
                            (from_below, e_b, l_below),
                            (f, e_f, l_f),
                        ],
                        [(out_a, e_o, l_oa), (out_o, e_o, l_oo)],
                    );
                    for (x, &l) in xq.iter_mut().zip(&l) {
                        *x = balance_exponent(l, m);
                    }
                    pending[q] = Pending::Log { v, l, m };
                }
            }
            super::fast_exp::exp_slice(x, e);
            // the stage's balances, in order
            for q in 0..nq {
                let rel = match pending[q] {
                    Pending::Relative(rel) => rel,
                    Pending::Log { v, l, m } => {
                        let eq: &[f64; 5] = e[5 * q..5 * q + 5].try_into().expect("five terms");
                        let b = balance_from(&v, &l, m, eq, self.deep_log);
                        match b.log_form {
                            Some((r, li, lo)) if self.log_balances => {
                                // ln(inflow / outflow): its Jacobian stays of
                                // order one however far a trace is from balance
                                r_all[j * nv + q] = r;
                                s_all[j * nv + q] = 0.0;
                                l_in[j * nq + q] = li;
                                l_out[j * nq + q] = lo;
                            }
                            _ => {
                                r_all[j * nv + q] = b.rel;
                                s_all[j * nv + q] = b.ln_scale;
                            }
                        }
                        if self.resolve_deep {
                            // the stage's own organic twice under a hold-up:
                            // the old state's content, an inflow, rounded alike
                            let [e_a, e_b, e_o, e_f] = self.factors(j, q);
                            let (below, own) = self.organic_rounding(j, q);
                            let own = if self.hold_ln[j * nq + q] != 0.0 {
                                2.0 * own
                            } else {
                                own
                            };
                            let floor =
                                below * rescale(e_b - b.ln_scale) + own * rescale(e_o - b.ln_scale);
                            less_rounding(resolved(b.rel.abs(), [e_a, e_b, e_o, e_f]), floor)
                        } else {
                            b.rel.abs()
                        }
                    }
                };
                finite &= rel.is_finite();
                if rel > worst {
                    worst = rel;
                    at = (j, q);
                }
            }
            for l in 0..nl {
                let r = self.local[j * nl + l];
                let s = self.lscale[j * nl + l];
                let s = if s > 0.0 { s } else { 1.0 };
                r_all[j * nv + nq + l] = r / s;
                s_all[j * nv + nq + l] = s.ln();
                let rel = (r / s).abs();
                finite &= rel.is_finite();
                if rel > worst {
                    worst = rel;
                    at = (j, nq + l);
                }
            }
        }
        (worst, at, finite)
    }

    /// The `ln` factors on the terms of stage `j`'s balance of quantity
    /// `q`: the inflows from above and below (the neighbours' outflow
    /// factors, zero where there is none), the stage's outflows (with the
    /// hold-up's) and the external inflow.
    #[inline(always)]
    fn factors(&self, j: usize, q: usize) -> [f64; 4] {
        let nq = self.nq;
        let e_a = if self.links[j] {
            self.ln_out[(j + 1) * nq + q]
        } else {
            0.0
        };
        let e_b = if j > 0 {
            self.ln_out[(j - 1) * nq + q]
        } else {
            0.0
        };
        let e_o = self.ln_out[j * nq + q] + self.hold_ln[j * nq + q];
        let e_f = self.feed_ln[j * nq + q];
        [e_a, e_b, e_o, e_f]
    }
}

/// Where the balance pass ([`BalanceInputs::balances`]) writes, over its
/// stages: the residual rows (`nv` a stage) and their `ln` scales, the
/// `ln` of each log-form balance's inflow and outflow (`nq` a stage; NaN
/// for rows in relative form), and its scratch.
struct BalanceOutputs<'a> {
    r_all: &'a mut [f64],
    s_all: &'a mut [f64],
    l_in: &'a mut [f64],
    l_out: &'a mut [f64],
    scratch: &'a mut BalanceScratch,
}

/// A stage's balance between the passes of [`BalanceInputs::balances`].
#[derive(Clone, Copy, Debug)]
enum Pending {
    /// In relative form, its rows written: its relative imbalance.
    Relative(f64),
    /// In logarithmic form: its terms' values, their logarithmic
    /// magnitudes and the largest of those ([`balance_logs`]).
    Log { v: [f64; 5], l: [f64; 5], m: f64 },
}

/// Scratch of the balance pass ([`BalanceInputs::balances`]) for `nq`
/// conserved quantities.
#[derive(Clone, Debug)]
struct BalanceScratch {
    /// `ln |aq|` of the next stage and `ln |org|` of the previous one,
    /// per conserved quantity, as the balance before computed them (each
    /// outflow enters two balances); NaN where not computed. `2 nq`.
    ln_next: Vec<f64>,
    /// The stage's balances between the passes. `nq`.
    pending: Vec<Pending>,
    /// Each log-form balance term's exponent relative to its largest
    /// ([`balance_exponent`]) and its exponential. `5 nq` each.
    x: Vec<f64>,
    e: Vec<f64>,
}

impl BalanceScratch {
    /// Scratch for `nq` conserved quantities.
    fn new(nq: usize) -> Self {
        BalanceScratch {
            ln_next: vec![f64::NAN; 2 * nq],
            pending: vec![Pending::Relative(0.0); nq],
            x: vec![0.0; 5 * nq],
            e: vec![0.0; 5 * nq],
        }
    }
}

/// Size of a term's `ln` factor from which [`resolved`] takes the
/// rounding of that factor off a balance's imbalance: `2^12`, where one
/// unit in the last place of the factor (`2^-40`, 9.1e-13) is within a
/// tenth of the default tolerance of 1e-12, and from `2^13` (`2^-39`,
/// 1.8e-12) above it.
const DEEP_FACTOR: f64 = 4096.0;

/// The imbalance `rel` of a balance whose terms carry the `ln` factors
/// `e` (term = value * exp(e)), less what the rounding of the largest
/// factor alone makes of it, `2 |e| eps`, where that factor is at least
/// [`DEEP_FACTOR`]; `rel` as it is otherwise. A trace `e^-11,000` below
/// its quantity's bulk is resolved only to the spacing of the doubles at
/// 11,000 (`2^-39`): a step of one unit in the last place of its `ln`
/// changes it by 1.8e-12 relative, so no point of the grid may meet a
/// tolerance of 1e-12. Read only at a point where [`solve`] stalled (its
/// damping under the least): seed 6387 of the mass-action robustness
/// generator (12 metals, 285 + 15 stages, traces at `ln` -11,000 to
/// -15,000 in its first extraction stages) stalled at exactly 1.819e-12
/// (`2^-39`) in both balance forms, its worst row moving from stage to
/// stage, and ran to its iteration limit. Read at every point, the
/// imbalance let 15 seeds of the sample 0-4499 stop 1-4 iterations
/// earlier (docs/benchmarks.md, round 25).
#[inline]
fn resolved(rel: f64, e: [f64; 4]) -> f64 {
    let deep = e.iter().fold(0.0f64, |a, &x| a.max(x.abs()));
    if deep >= DEEP_FACTOR && deep.is_finite() && rel.is_finite() {
        (rel - 2.0 * deep * f64::EPSILON).max(0.0)
    } else {
        rel
    }
}

/// The imbalance `rel` less `floor`, the rounding of its organic terms
/// relative to its scale ([`Equilibrium::org_rounding`]), at least zero;
/// `rel` as it is where either is not finite. Read, like [`resolved`],
/// only where [`solve`] stalled: a log-linear stage with a trace of acid
/// against an extractant all but saturated balances that acid against
/// the organic's `O (C - sum p y)`, a difference of numbers seven or more
/// orders larger, and no point of the grid may close it to a tolerance
/// of 1e-8 (CLI check log-linear 4425 with every dose slope at least 0.3:
/// its start-up steps stalled at 1e-8 to 6e-8 with Newton corrections of
/// 1e-14 until its budget ran out; measured less that rounding, it
/// converges in 2,507 iterations; docs/benchmarks.md, round 40).
#[inline]
fn less_rounding(rel: f64, floor: f64) -> f64 {
    if rel.is_finite() && floor.is_finite() && floor > 0.0 {
        (rel - floor).max(0.0)
    } else {
        rel
    }
}

/// `exp(e)`, with the exponent kept inside the range of a double
/// ([`rescale_exponent`]).
#[inline]
fn rescale(e: f64) -> f64 {
    if e == 0.0 {
        // the usual case (a row scaled by its own scale): no `exp` call
        return 1.0;
    }
    crate::chemistry::exp_or_zero(rescale_exponent(e))
}

/// The exponent [`rescale`] and [`rescale_slice`] take the exponential
/// of: `e` kept inside the range of a double.
#[inline(always)]
fn rescale_exponent(e: f64) -> f64 {
    e.clamp(-745.0, 700.0)
}

/// `a[i] = rescale(u[i])` for every `i`, bit for bit ([`rescale`]: the
/// exponent clamped, and `exp(0)` is exactly one), in one batch
/// ([`super::fast_exp::exp_slice`]); `u` is clamped in place.
#[inline(always)]
fn rescale_slice(u: &mut [f64], a: &mut [f64]) {
    for x in u.iter_mut() {
        *x = rescale_exponent(*x);
    }
    super::fast_exp::exp_slice(u, a);
}

/// One balance evaluated in logarithmic form ([`balance_from`]).
struct Balance {
    /// `(sum in - sum out) / S`, `S` the larger of the total inflow and
    /// outflow.
    rel: f64,
    /// `ln S` (`0` when every term vanishes).
    ln_scale: f64,
    /// `(ln(in / out), ln in, ln out)` when both sides are positive.
    log_form: Option<(f64, f64, f64)>,
}

/// One balance from its terms ([`balance_logs`]), each exponential taken
/// alone: the values of the balance pass ([`BalanceInputs::balances`]),
/// which batches a stage's exponentials, for the tests.
#[cfg(test)]
fn scaled_balance(inn: [(f64, f64, f64); 3], out: [(f64, f64, f64); 2], deep: bool) -> Balance {
    let (v, l, m) = balance_logs(inn, out);
    let mut e = [0.0; 5];
    for (e, &l) in e.iter_mut().zip(&l) {
        *e = crate::chemistry::exp_or_zero(balance_exponent(l, m));
    }
    balance_from(&v, &l, m, &e, deep)
}

/// A balance's terms, given as `(value, ln factor, ln |value|)` triples
/// (true term `value * exp(ln factor)`; inflows and outflows
/// non-negative; the last entry is not read for a zero value), as their
/// values and the logarithms of their magnitudes (the inflows first,
/// `-inf` for a zero term), and the largest of those logarithms.
#[inline(always)]
fn balance_logs(inn: [(f64, f64, f64); 3], out: [(f64, f64, f64); 2]) -> ([f64; 5], [f64; 5], f64) {
    // every term's magnitude in logarithms, once (`ln |value|` comes with
    // each term, one `exp` per term below but for the largest: the
    // balance is on the hot path)
    let lmag = |(v, e, lv): (f64, f64, f64)| {
        if v == 0.0 {
            f64::NEG_INFINITY
        } else {
            lv + e
        }
    };
    let v = [inn[0].0, inn[1].0, inn[2].0, out[0].0, out[1].0];
    let l = [
        lmag(inn[0]),
        lmag(inn[1]),
        lmag(inn[2]),
        lmag(out[0]),
        lmag(out[1]),
    ];
    let m = l.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    (v, l, m)
}

/// The exponent of a term of logarithmic magnitude `l` relative to the
/// largest, `m` ([`balance_logs`]): `l - m`, or zero where
/// [`balance_from`] does not read its exponential (a zero term, or a
/// balance with no finite largest term), so that a batch of them
/// ([`super::fast_exp::exp_slice`]) stays in its fast range.
#[inline(always)]
fn balance_exponent(l: f64, m: f64) -> f64 {
    if l == f64::NEG_INFINITY || !m.is_finite() {
        0.0
    } else {
        l - m
    }
}

/// A balance evaluated in logarithmic form, so that nothing underflows,
/// from its terms' values `v`, logarithmic magnitudes `l` and their
/// largest `m` ([`balance_logs`]), each term's `exp(l - m)` given in `e`
/// (as [`crate::chemistry::exp_or_zero`] rounds it; read only for a term
/// neither zero nor the largest).
///
/// With `deep`, a balance one side of which lies more than the range of a
/// double below the other (its terms relative to the largest underflow to
/// zero) still gets its log form, each side summed relative to its own
/// largest term.
#[inline(always)]
fn balance_from(v: &[f64; 5], l: &[f64; 5], m: f64, e: &[f64; 5], deep: bool) -> Balance {
    if m == f64::NEG_INFINITY {
        return Balance {
            rel: 0.0,
            ln_scale: 0.0,
            log_form: None,
        };
    }
    if !m.is_finite() {
        return Balance {
            rel: f64::NAN,
            ln_scale: 0.0,
            log_form: None,
        };
    }
    // each term relative to the largest, `sign(v) exp(lmag - m)`
    let rel = |k: usize| -> f64 {
        if l[k] == f64::NEG_INFINITY {
            0.0
        } else if l[k] == m {
            // `exp(0)`, exactly
            v[k].signum()
        } else {
            v[k].signum() * e[k]
        }
    };
    let wi = [rel(0), rel(1), rel(2)];
    let wo = [rel(3), rel(4)];
    let si = wi[0].abs() + wi[1].abs() + wi[2].abs();
    let so = wo[0].abs() + wo[1].abs();
    let d = (wi[0] + wi[1] + wi[2]) - (wo[0] + wo[1]);
    let (lsi, lso) = (si.ln(), so.ln());
    let log_form = if si > 0.0 && so > 0.0 {
        Some(((d / so).ln_1p(), m + lsi, m + lso))
    } else if deep {
        deep_log_form(v, l)
    } else {
        None
    };
    Balance {
        rel: d / si.max(so),
        ln_scale: m + lsi.max(lso),
        log_form,
    }
}

/// `(ln(in / out), ln in, ln out)` of a balance, each side summed
/// relative to its own largest term ([`balance_from`] with `deep`),
/// from its terms' values and logarithmic magnitudes (the inflows
/// first, [`balance_logs`]); `None` where a side has no positive total.
#[cold]
fn deep_log_form(v: &[f64; 5], l: &[f64; 5]) -> Option<(f64, f64, f64)> {
    let side = |t: &[f64], l: &[f64]| -> Option<f64> {
        let m = l.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        if !m.is_finite() {
            return None;
        }
        let s: f64 = t
            .iter()
            .zip(l)
            .filter(|(_, &l)| l != f64::NEG_INFINITY)
            .map(|(&v, &l)| v.signum() * crate::chemistry::exp_or_zero(l - m))
            .sum();
        (s > 0.0).then(|| m + s.ln())
    };
    let (a, b) = (side(&v[..3], &l[..3])?, side(&v[3..], &l[3..])?);
    Some((a - b, a, b))
}

/// Root-mean-square of an array.
fn rms(a: &Array2<f64>) -> f64 {
    (a.iter().map(|v| v * v).sum::<f64>() / a.len().max(1) as f64).sqrt()
}

/// Closes every stage's local equations in `u` ([`Equilibrium::project`]),
/// stage by stage: at a start, and after a step or a prediction has moved
/// the unknowns.
pub(crate) fn project_stages<E: Equilibrium>(model: &E, u: &mut Array2<f64>) {
    let nv = u.ncols();
    let us = u.as_slice_mut().expect("standard layout");
    for (j, row) in us.chunks_mut(nv).enumerate() {
        model.project(j, row);
    }
}

/// Solves the dense `n x n` system `a x = b` (`a` row-major) in place by
/// Gaussian elimination with partial pivoting, `x` into `b`; false where a
/// pivot vanishes or anything is not finite.
fn dense_solve(a: &mut [f64], b: &mut [f64], n: usize) -> bool {
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| a[x * n + c].abs().total_cmp(&a[y * n + c].abs()))
            .unwrap_or(c);
        let piv = a[p * n + c];
        if piv == 0.0 || !piv.is_finite() {
            return false;
        }
        if p != c {
            for v in 0..n {
                a.swap(p * n + v, c * n + v);
            }
            b.swap(p, c);
        }
        for r in c + 1..n {
            let f = a[r * n + c] / piv;
            if f != 0.0 {
                for v in c..n {
                    a[r * n + v] -= f * a[c * n + v];
                }
                b[r] -= f * b[c];
            }
        }
    }
    for c in (0..n).rev() {
        let mut s = b[c];
        for v in c + 1..n {
            s -= a[c * n + v] * b[v];
        }
        b[c] = s / a[c * n + c];
    }
    b.iter().all(|x| x.is_finite())
}

/// Root-mean-square of a slice.
pub(crate) fn rms_slice(v: &[f64]) -> f64 {
    (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt()
}

/// Deuflhard's a-priori damping prediction from the previous step:
/// `mu = ||du_prev|| ||dbar|| / (||dbar - du|| ||du||) alpha_prev`, clamped
/// to `[alpha_min, 1]` (`dbar` the previous simplified correction, `du`
/// this step's Newton correction, `nd` its norm).
pub(crate) fn predicted_damping(
    (nd_prev, a_prev): (f64, f64),
    dbar: &[f64],
    du: &[f64],
    nd: f64,
    alpha_min: f64,
) -> f64 {
    let diff: f64 = dbar.iter().zip(du).map(|(b, d)| (b - d) * (b - d)).sum();
    let diff = (diff / du.len().max(1) as f64).sqrt();
    let mu = nd_prev * rms_slice(dbar) / (diff * nd).max(1e-300) * a_prev;
    mu.clamp(alpha_min, 1.0)
}

/// Deuflhard's a-posteriori damping after a rejected trial step `alpha`:
/// `mu = nd alpha^2 / (2 ||dbar - (1 - alpha) du||)`, at most half of
/// `alpha` (half when `mu` is not finite).
pub(crate) fn corrected_damping(nd: f64, alpha: f64, dbar: &[f64], du: &[f64]) -> f64 {
    let diff: f64 = dbar
        .iter()
        .zip(du)
        .map(|(b, d)| {
            let e = b - (1.0 - alpha) * d;
            e * e
        })
        .sum();
    let diff = (diff / du.len().max(1) as f64).sqrt();
    let mu = 0.5 * nd * alpha * alpha / diff.max(1e-300);
    if mu.is_finite() {
        mu.min(0.5 * alpha)
    } else {
        0.5 * alpha
    }
}

/// Residual, relative to the tolerance, below which a solve at its limit
/// may finish ([`NewtonOptions::finish_iterations`]).
pub const NEAR_MISS: f64 = 1e4;

/// Damping from which an iteration counts as a full step
/// ([`NewtonOptions::finish_iterations`]).
const FULL_STEP: f64 = 0.99;

/// Whether a solve whose last two iterations were damped to `damped`
/// cannot reach a full step within `left` iterations when its damping
/// grows at most by `growth` an iteration
/// ([`NewtonOptions::give_up_growth`]; never for `growth <= 1`).
fn out_of_reach(damped: (f64, f64), growth: f64, left: usize) -> bool {
    let a = damped.0.max(damped.1);
    growth > 1.0 && a < 1.0 && (1.0 / a).ln() / growth.ln() > left as f64
}

/// Solves the cascade balances for `u` (shape `(n, nv)`, holding the start
/// on entry and the last accepted iterate on return) by damped Newton.
///
/// `links[j]` says whether stage `j` receives the aqueous leaving stage
/// `j + 1`; `feed` (shape `(n, nq)`) holds the external inflows.
///
/// Damping follows Deuflhard's natural monotonicity test (NLEQ-ERR): a step
/// `alpha` is accepted when the simplified Newton correction at the trial
/// point, computed with the Jacobian already factorised, is smaller than the
/// full correction by a margin. This measures progress in the unknowns
/// (relative changes, with logarithmic unknowns) rather than in the residual,
/// which saturates for trace components far from their solution.
///
/// # References
/// P. Deuflhard, *Newton Methods for Nonlinear Problems*, Springer, 2004,
/// section 3.3 (error-oriented global Newton, NLEQ-ERR).
pub fn solve<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    const ALPHA_MIN: f64 = 1e-6;
    let log = model.log_unknowns();
    ws.deep_log = opts.free_traces;
    ws.cleared = false;
    let (mut res, mut at) = ws.evaluate(model, links, feed, u);
    let report = NewtonReport::new;
    if !res.is_finite() {
        return report(Status::Diverged, 0, res, at);
    }
    let mut it = 0;
    // Deuflhard's a-priori damping prediction from the previous step.
    // (||du_prev||, alpha_prev)
    let mut prev: Option<(f64, f64)> = None;
    // damping of the last two accepted iterations, the last first
    let mut damped = (1.0f64, 1.0f64);
    // residual before the last iteration
    let mut last_res = f64::INFINITY;
    // nonlinear eliminations taken ([`eliminate_stages`])
    let mut eliminations = 0usize;
    loop {
        if res <= opts.tolerance {
            return polish(model, links, feed, u, ws, opts, (it, res, at));
        }
        // a solve finishing at its limit ([`NewtonOptions::finish_iterations`])
        let finishing = it < opts.max_iterations + opts.finish_iterations
            && damped.0 >= FULL_STEP
            && res < NEAR_MISS * opts.tolerance
            && res < 0.1 * last_res;
        let left = opts.max_iterations.saturating_sub(it);
        // at its limit, or damped too far to reach a full step in the
        // iterations left ([`NewtonOptions::give_up_growth`])
        if (it >= opts.max_iterations && !finishing)
            || (it >= 3 && out_of_reach(damped, opts.give_up_growth, left))
        {
            if opts.give_up_growth > 0.0 && res < ROUNDING_NEAR * opts.tolerance {
                if let Ok((rd, ad)) = within_rounding(model, links, feed, u, ws, opts.tolerance) {
                    return report(Status::Converged, it, rd, ad);
                }
            }
            return report(Status::MaxIterations, it, res, at);
        }
        last_res = res;
        it += 1;
        ws.assemble(links);
        if ws.sys.factor_sparse_lower_flushed().is_err() {
            return report(Status::Diverged, it, res, at);
        }
        ws.sys.solve_flushed(&mut ws.du);
        // A step on logarithmic unknowns larger than `max_log_step` is
        // damped, not truncated: the monotonicity test below must compare
        // against the full Newton correction.
        let mut alpha_cap: f64 = 1.0;
        if log {
            // every rise and, where the model lets them fall freely
            // ([`NewtonOptions::max_log_fall`]), every free fall, each
            // within its own cap ([`log_limit`])
            for (row, at) in ws.du.rows().into_iter().zip(u.rows()) {
                for (v, (&d, &x)) in row.iter().zip(at.iter()).enumerate() {
                    let lim = log_limit(model, opts, v, d, x);
                    if d.abs() > lim {
                        alpha_cap = alpha_cap.min(lim / d.abs());
                    }
                }
            }
        }
        alpha_cap = stage_limits(model, u, &ws.du).fold(alpha_cap, f64::min);
        if opts.max_log_fall > 0.0
            && log
            && alpha_cap < ELIM_BELOW
            && eliminations < ELIM_PER_SOLVE
            && eliminate_stages(model, links, feed, u, ws, opts)
        {
            eliminations += 1;
            let (r, a) = ws.evaluate(model, links, feed, u);
            if r.is_finite() {
                res = r;
                at = a;
                prev = None;
                continue;
            }
            u.assign(&ws.u_base);
            ws.evaluate(model, links, feed, u);
        }
        let nd = if log {
            rms(&ws.du)
        } else {
            // relative changes for linear unknowns
            let mut s = 0.0;
            for (d, x) in ws.du.iter().zip(u.iter()) {
                let w = x.abs().max(d.abs()).max(1e-300);
                s += (d / w) * (d / w);
            }
            (s / ws.du.len().max(1) as f64).sqrt()
        };
        if !nd.is_finite() {
            return report(Status::Diverged, it, res, at);
        }
        let mut alpha: f64 = match prev {
            Some(last) => predicted_damping(
                last,
                ws.dbar.as_slice().expect("standard layout"),
                ws.du.as_slice().expect("standard layout"),
                nd,
                ALPHA_MIN,
            ),
            None => 1.0,
        }
        .min(alpha_cap.max(ALPHA_MIN));
        ws.u_base.assign(u);
        ws.scale_base.assign(&ws.scale);
        let f0 = ws.scaled_rms(&ws.scale);
        let du_scale = |ws: &Workspace, a: &Array2<f64>| -> f64 {
            if log {
                rms(a)
            } else {
                let mut s = 0.0;
                for (d, x) in a.iter().zip(ws.u_base.iter()) {
                    let w = x.abs().max(1e-300);
                    s += (d / w) * (d / w);
                }
                (s / a.len().max(1) as f64).sqrt()
            }
        };
        loop {
            ndarray::Zip::from(&mut *u)
                .and(&ws.u_base)
                .and(&ws.du)
                .for_each(|x, &b, &d| *x = b + alpha * d);
            let (r, a) = ws.evaluate(model, links, feed, u);
            if r.is_finite() {
                if r <= opts.tolerance {
                    res = r;
                    at = a;
                    break;
                }
                // simplified correction with the old Jacobian (rows scaled
                // as assembled); its right-hand side is also the residual
                // over the base point's row scales, whose root-mean-square
                // ([`Workspace::scaled_rms`], the same products) is taken
                // here, before the solve, without a second `exp` a row
                ndarray::Zip::from(&mut ws.dbar)
                    .and(&ws.r)
                    .and(&ws.scale)
                    .and(&ws.scale_base)
                    .for_each(|b, &r, &l, &lb| *b = -r * rescale(l - lb));
                let fnew = {
                    let mut s = 0.0;
                    for b in ws.dbar.iter() {
                        s += b * b;
                    }
                    (s / ws.dbar.len().max(1) as f64).sqrt()
                };
                ws.sys.solve_flushed(&mut ws.dbar);
                let nb = du_scale(ws, &ws.dbar);
                let theta = nb / nd;
                // Accept on the natural monotonicity test, or on a plain
                // decrease of the scaled residual: near an ill-conditioned
                // solution (a pinched front) the simplified correction
                // amplifies rounding by the condition number while the
                // residual still falls.
                if nb.is_finite() && (theta < 1.0 - alpha / 4.0 || fnew <= (1.0 - alpha / 4.0) * f0)
                {
                    res = r;
                    at = a;
                    prev = Some((nd, alpha));
                    damped = (alpha, damped.0);
                    break;
                }
                // a-posteriori estimate of a better damping factor
                alpha = corrected_damping(
                    nd,
                    alpha,
                    ws.dbar.as_slice().expect("standard layout"),
                    ws.du.as_slice().expect("standard layout"),
                );
            } else {
                alpha *= 0.5;
            }
            if alpha < ALPHA_MIN {
                u.assign(&ws.u_base);
                // stalled: met where what is left is the rounding of
                // traces too deep for a double to resolve ([`resolved`]);
                // otherwise reported with the plain residual (the
                // workspace left at that evaluation)
                return match within_rounding(model, links, feed, u, ws, opts.tolerance) {
                    Ok((rd, ad)) => report(Status::Converged, it, rd, ad),
                    Err((r, a)) => report(Status::Diverged, it, r, a),
                };
            }
        }
    }
}

/// Residual, as a multiple of the tolerance, under which an
/// implicit-Euler step's Newton ([`NewtonOptions::give_up_growth`] set)
/// that stops at its limit is measured against the rounding of its
/// traces too ([`within_rounding`]). CLI check log-linear 11232 capped
/// 0.3 (5 metals over 50 + 280 + 15 stages): the acid rows of scrub
/// stages 53-81, whose acid is a trace against the organic's protons,
/// sat at 1e-8 to 4e-8 of balance for the steps' tolerance of 1e-8, each
/// iteration moving the worst row to another stage; two of every three
/// steps failed at their limit, and the log-form start-up crept 21,043
/// iterations to 0.014 residence times.
pub(crate) const ROUNDING_NEAR: f64 = 100.0;

/// A worst scaled residual and its place, `(stage, row)`.
type Worst = (f64, (usize, usize));

/// The worst scaled residual at `u` with the rounding of traces too
/// deep for a double to resolve taken off ([`resolved`]) and its place,
/// where that is within `tol`; else the plain residual and its place,
/// the workspace left at that evaluation.
fn within_rounding<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &Array2<f64>,
    ws: &mut Workspace,
    tol: f64,
) -> Result<Worst, Worst> {
    ws.resolve_deep = true;
    let (rd, ad) = ws.evaluate(model, links, feed, u);
    ws.resolve_deep = false;
    if rd <= tol {
        return Ok((rd, ad));
    }
    Err(ws.evaluate(model, links, feed, u))
}

/// Damping of a start-up step's Newton iteration below which the stages
/// that hold it there by an unknown of a kind that falls freely are
/// eliminated ([`eliminate_stages`]). Where a front enters a stage, that stage's
/// `ln [H+]` or free extractant is corrected by hundreds to thousands of
/// e-folds (seed 8188 of the mass-action robustness generator: 975 of the
/// 1,008 inner iterations of its failed steps damped below 0.25 by one
/// stage's free extractant, the rest of the cascade undamped; 6851: 2,003
/// of 2,448 by a free extractant). Measured with `robustness case` at
/// 0.03, 0.1, 0.3, 0.6 and 0.99: 6851 9,776 -> 9,555, 9,066, 8,201, 8,126,
/// 7,313; 4197 3,237 -> 3,237, 3,294, 3,284, 3,309, 7,176; 8188 at 20,000
/// iterations 3,164 -> 1,826-2,298 (docs/benchmarks.md, round 29). These
/// with a stage counted only where its unknown has collapsed already
/// (`falls_freely` at its own value); counted wherever it is (the stage a
/// front is about to titrate holds the damping from `ln [H+]` near -12,
/// above the collapse, its correction of thousands of e-folds), 0.3 gives
/// 6851 6,274, 4197 2,902, 8188 1,655.
const ELIM_BELOW: f64 = 0.3;

/// Most eliminations in one Newton solve ([`eliminate_stages`]), so that a
/// stage its neighbours keep pulling back does not take the whole budget:
/// 1, 4 and 16 measured alike (6851 9,018, 9,066, 9,066 at 0.1).
const ELIM_PER_SOLVE: usize = 4;

/// Most stages eliminated at once ([`eliminate_stages`]): nonlinear
/// elimination is for a few stages where a front enters; where more hold
/// the damping, the whole cascade is far from its step's solution and
/// the global iteration goes on alone (1 and 8 measured alike with 3).
const ELIM_STAGES: usize = 3;

/// Largest fall a free-falling unknown takes in one step of a stage's
/// nonlinear elimination: the falls met are of hundreds of e-folds (8188's
/// free extractant falls from -33 to about -490 at its front), and a fall
/// takes from a balance at most the quantity itself.
const ELIM_LOG_FALL: f64 = 400.0;

/// Iterations of one stage's nonlinear elimination (each a stage's
/// evaluation and an `nv x nv` solve, a few hundredths of a whole-cascade
/// iteration).
const ELIM_ITERATIONS: usize = 30;

/// Root-mean-square of a stage's scaled residual rows at which its
/// nonlinear elimination stops: far under the start-up steps' tolerance
/// (1e-8), as the global iteration takes over from there.
const ELIM_TOLERANCE: f64 = 1e-10;

/// Least damping of a step of a stage's nonlinear elimination (six
/// halvings); a stage whose residual no longer falls ends it.
const ELIM_ALPHA_MIN: f64 = 1.0 / 64.0;

/// Where the Newton correction `ws.du` from `u` is damped below
/// [`ELIM_BELOW`] by at most [`ELIM_STAGES`] stages, each held by an unknown
/// of a kind the model lets fall freely once collapsed
/// ([`Equilibrium::falls_freely`] at `-inf`: `ln [H+]` and the free
/// extractant of the mass-action model, none of the other models'),
/// wherever it is, solves each such stage's own equations
/// ([`Workspace::eliminate`]), the previous point kept in `ws.u_base`.
/// Only start-up steps ([`NewtonOptions::max_log_fall`] set) take it.
/// Returns whether any stage moved (the workspace must then
/// be evaluated afresh; otherwise it is left as it was).
fn eliminate_stages<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
) -> bool {
    let (n, nv) = (u.nrows(), u.ncols());
    let mut count = 0;
    for j in 0..n {
        let mut c = 1.0f64;
        let mut free = false;
        for v in 0..nv {
            let (d, x) = (ws.du[[j, v]], u[[j, v]]);
            let f = model.falls_freely(v, f64::NEG_INFINITY);
            let lim = log_limit(model, opts, v, d, x);
            if d.abs() > lim && lim / d.abs() < c {
                c = lim / d.abs();
                free = f;
            }
        }
        ws.stage_cap[j] = if free && c < ELIM_BELOW { c } else { 1.0 };
        if ws.stage_cap[j] < 1.0 {
            count += 1;
        }
    }
    if count == 0 || count > ELIM_STAGES {
        return false;
    }
    ws.u_base.assign(u);
    let mut moved = false;
    for j in 0..n {
        if ws.stage_cap[j] < 1.0 {
            moved |= ws.eliminate(model, links, feed, u, j, opts.max_log_step);
        }
    }
    if !moved {
        // the stages' buffers as the full evaluation left them
        u.assign(&ws.u_base);
        ws.evaluate(model, links, feed, u);
    }
    moved
}

/// Largest change a Newton iteration lets unknown `v` at `x` take by `d`
/// in logarithms: [`NewtonOptions::max_log_fall`] for a fall the model
/// lets happen freely ([`Equilibrium::falls_freely`]) where that cap is
/// set, [`NewtonOptions::max_log_step`] otherwise.
fn log_limit<E: Equilibrium>(model: &E, opts: &NewtonOptions, v: usize, d: f64, x: f64) -> f64 {
    if opts.max_log_fall > 0.0 && d < 0.0 && model.falls_freely(v, x) {
        opts.max_log_fall
    } else {
        opts.max_log_step
    }
}

/// Each stage's [`Equilibrium::step_limit`] for the step `du` from `u`
/// (both `(n, nv)`), stage by stage.
fn stage_limits<'a, E: Equilibrium>(
    model: &'a E,
    u: &'a Array2<f64>,
    du: &'a Array2<f64>,
) -> impl Iterator<Item = f64> + 'a {
    let nv = u.ncols();
    let us = u.as_slice().expect("standard layout");
    let ds = du.as_slice().expect("standard layout");
    (0..u.nrows())
        .map(move |j| model.step_limit(j, &us[j * nv..(j + 1) * nv], &ds[j * nv..(j + 1) * nv]))
}

/// Step in the path parameter `s` of the forward difference that gives
/// `dF/ds` in [`arc_corrector`] (the path's `ln beta` are of order 1-10:
/// a relative error of order `1e-6`, far under what a corrector needs).
const ARC_DS: f64 = 1e-7;

/// Least damping of a step of [`arc_corrector`] (ten halvings), under
/// which the corrector gives up, as the specialised one does.
const ARC_ALPHA_MIN: f64 = 1e-3;

/// The last point on a path `(u0, s0)`, its unit tangent `(tu, ts)` and the
/// arclength `h` of the next step ([`arc_corrector`]).
pub(crate) type ArcFrom<'a> = ((&'a Array2<f64>, f64), (&'a Array2<f64>, f64), f64);

/// One pseudo-arclength corrector on a general kernel: solves the stage
/// balances at the path parameter `s` (which `set` gives the model)
/// together with the arclength condition `<tu, u - u0> / nk + ts (s - s0)
/// = h` for `(u, s)`, the predictor on entry, where `(u0, s0)` is the last
/// point on the path and `(tu, ts)` its unit tangent. The Jacobian is the
/// block-tridiagonal one bordered by `dF/ds` (a forward difference,
/// [`ARC_DS`]) and the tangent: two solves with one factorisation and a
/// scalar Schur complement, as in the specialised separation-factor
/// kernels' own ([`super::sf_newton::arc_step`], on amounts, at most 8
/// components); this one takes any kernel, its balances in the form the
/// caller left the workspace in ([`Workspace::set_log_balances`]): in
/// logarithms the path can be followed where its traces fall below the
/// range of a double. Each step is damped to `max_log_step` and halved
/// until the scaled residual falls. Returns the report; `u` and `s` hold
/// the last accepted point.
#[allow(clippy::too_many_arguments)]
pub(crate) fn arc_corrector<E: Equilibrium>(
    model: &mut E,
    set: impl Fn(&mut E, f64),
    links: &[bool],
    feed: &Array2<f64>,
    (u, s): (&mut Array2<f64>, &mut f64),
    ((u0, s0), (tu, ts), h): ArcFrom<'_>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
) -> NewtonReport {
    let inv = 1.0 / u.len().max(1) as f64;
    let mut r0 = Array2::zeros(u.dim());
    ws.deep_log = opts.free_traces;
    ws.cleared = false;
    set(model, *s);
    let (mut res, mut at) = ws.evaluate(model, links, feed, u);
    let mut it = 0;
    loop {
        if !res.is_finite() {
            return NewtonReport::new(Status::Diverged, it, res, at);
        }
        if res <= opts.tolerance {
            return NewtonReport::new(Status::Converged, it, res, at);
        }
        if it >= opts.max_iterations {
            return NewtonReport::new(Status::MaxIterations, it, res, at);
        }
        it += 1;
        // the Jacobian at (u, s), as last evaluated, factorised; then
        // dF/ds in its rows' scaling by a forward difference (an
        // evaluation leaves the factors and `du` as they are)
        ws.assemble(links);
        if ws.sys.factor_sparse_lower_flushed().is_err() {
            return NewtonReport::new(Status::Diverged, it, res, at);
        }
        ws.sys.solve_flushed(&mut ws.du);
        r0.assign(&ws.r);
        ws.scale_base.assign(&ws.scale);
        set(model, *s + ARC_DS);
        let (rp, _) = ws.evaluate(model, links, feed, u);
        set(model, *s);
        if !rp.is_finite() {
            return NewtonReport::new(Status::Diverged, it, res, at);
        }
        ndarray::Zip::from(&mut ws.dbar)
            .and(&ws.r)
            .and(&ws.scale)
            .and(&r0)
            .and(&ws.scale_base)
            .for_each(|d, &p, &lp, &r, &l| *d = (p * rescale(lp - l) - r) / ARC_DS);
        ws.sys.solve_flushed(&mut ws.dbar);
        let mut g = ts * (*s - s0) - h;
        let (mut t1, mut t2) = (0.0, 0.0);
        for (((&t, &x), &a), (&x1, &x2)) in tu
            .iter()
            .zip(u.iter())
            .zip(u0.iter())
            .zip(ws.du.iter().zip(ws.dbar.iter()))
        {
            g += t * (x - a) * inv;
            t1 += t * x1 * inv;
            t2 += t * x2 * inv;
        }
        let schur = ts - t2;
        if schur.is_nan() || schur.abs() <= 1e-300 {
            return NewtonReport::new(Status::Diverged, it, res, at);
        }
        let dsig = (-g - t1) / schur;
        // the step `du - dsig dbar`, into `du`
        ws.du.scaled_add(-dsig, &ws.dbar);
        let big = ws.du.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        if !big.is_finite() || !dsig.is_finite() {
            return NewtonReport::new(Status::Diverged, it, res, at);
        }
        let mut alpha: f64 = if big > opts.max_log_step {
            opts.max_log_step / big
        } else {
            1.0
        };
        ws.u_base.assign(u);
        // the residual at (u, s) in its own rows' scaling
        let f0 = rms(&r0);
        let s_base = *s;
        loop {
            ndarray::Zip::from(&mut *u)
                .and(&ws.u_base)
                .and(&ws.du)
                .for_each(|x, &b, &d| *x = b + alpha * d);
            *s = s_base + alpha * dsig;
            set(model, *s);
            let (r, a) = ws.evaluate(model, links, feed, u);
            if r.is_finite() && (r <= opts.tolerance || ws.scaled_rms(&ws.scale_base) < f0) {
                res = r;
                at = a;
                break;
            }
            alpha *= 0.5;
            if alpha < ARC_ALPHA_MIN {
                u.assign(&ws.u_base);
                *s = s_base;
                set(model, *s);
                let (r, a) = ws.evaluate(model, links, feed, u);
                return NewtonReport::new(Status::Diverged, it, r, a);
            }
        }
    }
}

/// Most full Newton steps [`polish`] takes.
const POLISH_STEPS: usize = 3;

/// The end of a solve whose stage balances meet the tolerance at `u` (the
/// point last evaluated): full Newton steps, while the whole cascade's
/// balances ([`Workspace::cascade_balance`]) do not meet it too, the
/// iteration limit allows, and each step keeps the stage balances within
/// the tolerance and lowers the cascade's imbalance (at most
/// [`POLISH_STEPS`]; from a point this close, Newton converges
/// quadratically, so one step usually leaves only rounding). A step that
/// does not pay is undone and ends it: the imbalance left is that of the
/// stage balances' rounding. Returns the converged report, iterations
/// counted from `it`.
fn polish<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
    (mut it, mut res, mut at): (usize, f64, (usize, usize)),
) -> NewtonReport {
    let mut cb = ws.cascade_balance(feed);
    for _ in 0..POLISH_STEPS {
        if cb <= opts.tolerance || it >= opts.max_iterations {
            break;
        }
        it += 1;
        ws.assemble(links);
        if ws.sys.factor_sparse_lower_flushed().is_err() {
            // singular: the point stands (the last evaluation is at `u`)
            break;
        }
        ws.sys.solve_flushed(&mut ws.du);
        let mut step_ok = ws.du.iter().all(|d| d.is_finite());
        if model.log_unknowns() {
            step_ok &= ws.du.iter().all(|d| d.abs() <= opts.max_log_step);
        }
        step_ok &= stage_limits(model, u, &ws.du).all(|l| l >= 1.0);
        if !step_ok {
            break;
        }
        ws.u_base.assign(u);
        ndarray::Zip::from(&mut *u)
            .and(&ws.du)
            .for_each(|x, &d| *x += d);
        let (r, a) = ws.evaluate(model, links, feed, u);
        let c = if r <= opts.tolerance {
            ws.cascade_balance(feed)
        } else {
            f64::INFINITY
        };
        if c >= cb {
            u.assign(&ws.u_base);
            let (r, a) = ws.evaluate(model, links, feed, u);
            res = r;
            at = a;
            break;
        }
        (res, at, cb) = (r, a, c);
    }
    NewtonReport::new(Status::Converged, it, res, at)
}

/// Pseudo-transient continuation: Newton steps on the implicit-Euler form of
/// the start-up dynamics, `(M / dt - J) du = r`, with the time step `dt`
/// growing as the residual falls (switched evolution relaxation), so that the
/// iteration follows the physical transient (fronts travel stage by stage)
/// while far from the steady state and becomes Newton near it. `M` is each
/// stage's holdup of every conserved quantity (the derivative of its
/// outflows, i.e. holdups proportional to the flows, `dt` in residence
/// times); local equations get the same pseudo-holdup (a regularisation).
/// Steps keep the models' admissible region ([`Equilibrium::step_limit`])
/// and the cap on logarithmic steps. See also [`solve_ptc_dae`].
///
/// # References
/// C. T. Kelley, D. E. Keyes, "Convergence analysis of pseudo-transient
/// continuation", *SIAM J. Numer. Anal.* 35 (1998) 508-523.
pub fn solve_ptc<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
    dt0: f64,
) -> NewtonReport {
    ptc(model, links, feed, u, ws, opts, dt0, false, None)
}

/// When [`solve_ptc_watched`] gives up on a pseudo-transient continuation
/// that is not getting anywhere: its time step, which grows as the
/// residual falls, stays short.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PtcStall {
    /// Iterations before the first check.
    pub after: usize,
    /// Iterations between checks (each looks at the window since the last).
    pub window: usize,
    /// Time step (residence times) that some accepted step of the window
    /// must reach for the iteration to go on.
    pub dt_min: f64,
    /// Iterations over which the stage of the largest imbalance is
    /// followed as a front (0: never), checked every tenth iteration from
    /// this many on.
    pub front_window: usize,
    /// A front that, at the speed it kept over `front_window`, reaches the
    /// end of the cascade it walks to only after this many times the
    /// iteration limit gives up the continuation.
    pub front_factor: f64,
    /// A front too slow to cross ends the continuation only while its
    /// scaled residual (root mean square) is at least this (0: always):
    /// near the steady state the stage of the largest imbalance wanders
    /// without being a front the continuation has to carry.
    pub front_residual: f64,
    /// At the iteration limit, the continuation reports
    /// [`Status::MaxIterations`] (its iterate still on its way) only when
    /// its scaled residual (root mean square) fell below `progress` times
    /// what it was this many accepted iterations earlier, and
    /// [`Status::Diverged`] (stalled) otherwise; 0, or a limit under the
    /// window (nothing to judge by): always `MaxIterations`.
    pub progress_window: usize,
    /// See `progress_window`.
    pub progress: f64,
}

/// Stages the largest imbalance may step back between samples
/// ([`FRONT_SAMPLE`] iterations apart) and still be a front walking one
/// way, and the least it must walk over the window.
const FRONT_SLACK: usize = 3;
/// Iterations between the samples of a front's position.
const FRONT_SAMPLE: usize = 5;

/// Whether the stages of the largest imbalance at `samples` (oldest
/// first, [`FRONT_SAMPLE`] iterations apart over `window` iterations)
/// walk one way, by at least [`FRONT_SLACK`] stages, and at that speed
/// reach the end they walk to (of `n` stages) only after iteration
/// `limit`, from iteration `it`.
fn front_too_slow(samples: &[usize], n: usize, window: usize, it: usize, limit: f64) -> bool {
    let (Some(&first), Some(&last)) = (samples.first(), samples.last()) else {
        return false;
    };
    let pairs = || samples.iter().zip(&samples[1..]);
    let (left, rem) = if last >= first + FRONT_SLACK && pairs().all(|(&a, &b)| b + FRONT_SLACK >= a)
    {
        (last - first, n - 1 - last)
    } else if first >= last + FRONT_SLACK && pairs().all(|(&a, &b)| a + FRONT_SLACK >= b) {
        (first - last, last)
    } else {
        return false;
    };
    it as f64 + rem as f64 * window as f64 / left as f64 > limit
}

/// As [`solve_ptc`], giving up (as [`Status::Diverged`]) when a window of
/// `stall.window` iterations, from `stall.after` on, has no accepted time
/// step of at least `stall.dt_min`, or when the stage of the largest
/// imbalance walks as a front too slow to cross what is left of the
/// cascade within `stall.front_factor` times the iteration limit.
#[allow(clippy::too_many_arguments)]
pub fn solve_ptc_watched<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
    dt0: f64,
    stall: PtcStall,
) -> NewtonReport {
    ptc(model, links, feed, u, ws, opts, dt0, false, Some(stall))
}

/// As [`solve_ptc_dae`], giving up (as [`Status::Diverged`]) under the
/// tests of `stall` where there is one, as [`solve_ptc_watched`] does
/// (`None`: exactly [`solve_ptc_dae`]).
#[allow(clippy::too_many_arguments)]
pub fn solve_ptc_dae_watched<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
    dt0: f64,
    stall: Option<PtcStall>,
) -> NewtonReport {
    ptc(model, links, feed, u, ws, opts, dt0, true, stall)
}

/// `ln` of the ratio to the stage's largest outflow below which
/// [`NewtonOptions::free_traces`] frees a conserved quantity's step
/// (`4e-44`: some thirty orders below what a balance at the tolerance can
/// see, so that a capped step's change of the distribution ratios cannot
/// lift it into view), and below which [`Workspace::solve_trace_runs`]
/// takes it for a trace.
const LN_TRACE: f64 = -100.0;

/// As [`solve_ptc`], with the local equations treated as the algebraic
/// constraints they are (an index-1 DAE): they carry no holdup and are
/// closed exactly in every stage at the start and after every step by the
/// model's [`Equilibrium::project`]. From a start far off the constraints
/// this keeps time steps that [`solve_ptc`] rejects; neither form solves
/// every cascade the other does.
pub fn solve_ptc_dae<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
    dt0: f64,
) -> NewtonReport {
    ptc(model, links, feed, u, ws, opts, dt0, true, None)
}

#[allow(clippy::too_many_arguments)]
fn ptc<E: Equilibrium>(
    model: &E,
    links: &[bool],
    feed: &Array2<f64>,
    u: &mut Array2<f64>,
    ws: &mut Workspace,
    opts: &NewtonOptions,
    dt0: f64,
    dae: bool,
    stall: Option<PtcStall>,
) -> NewtonReport {
    let log = model.log_unknowns();
    // DAE form: the local equations are closed exactly at the start and
    // after every step ([`Equilibrium::project`])
    let project = |u: &mut Array2<f64>| {
        if dae {
            project_stages(model, u);
        }
    };
    project(u);
    ws.deep_log = opts.free_traces;
    ws.cleared = false;
    let (mut res, mut at) = ws.evaluate(model, links, feed, u);
    let report = NewtonReport::new;
    if !res.is_finite() {
        return report(Status::Diverged, 0, res, at);
    }
    let norm = |ws: &Workspace| ws.scaled_rms(&ws.scale);
    let mut fnorm = norm(ws);
    let mut dt = dt0;
    // the last time step rejected for a rising residual
    // ([`NewtonOptions::ptc_ceiling`])
    let mut dt_rejected = f64::INFINITY;
    let mut it = 0;
    let (nv, nq) = (ws.nv, ws.nq);
    // longest accepted time step since the last stall check, and when the
    // next check is due
    let mut dt_peak: f64 = 0.0;
    let mut next_check = stall.map_or(usize::MAX, |s| s.window.max(1));
    // the stage of the largest imbalance after every accepted iteration
    // (iteration, stage), for the front test
    let mut walk: Vec<(usize, usize)> = Vec::new();
    let mut samples = Vec::new();
    // the scaled residual (root mean square) after every accepted
    // iteration (iteration, residual), for the progress test at the limit
    let mut trail: Vec<(usize, f64)> = Vec::new();
    loop {
        if res <= opts.tolerance {
            return polish(model, links, feed, u, ws, opts, (it, res, at));
        }
        if it >= opts.max_iterations {
            let stalled = stall.is_some_and(|s| {
                s.progress_window > 0
                    && trail
                        .iter()
                        .rev()
                        .find(|e| e.0 + s.progress_window <= it)
                        .is_some_and(|e| fnorm >= s.progress * e.1)
            });
            let status = if stalled {
                Status::Diverged
            } else {
                Status::MaxIterations
            };
            return report(status, it, res, at);
        }
        if let Some(s) = stall {
            if it >= next_check {
                if it >= s.after && dt_peak < s.dt_min {
                    return report(Status::Diverged, it, res, at);
                }
                dt_peak = 0.0;
                next_check = it + s.window.max(1);
            }
            let w = s.front_window;
            if w > 0 && it >= w && it % 10 == 0 && walk.last().is_some_and(|l| l.0 == it) {
                samples.clear();
                samples.extend(
                    walk.iter()
                        .filter(|(i, _)| *i >= it - w && (i + w - it) % FRONT_SAMPLE == 0)
                        .map(|e| e.1),
                );
                let limit = s.front_factor * opts.max_iterations as f64;
                if walk.iter().any(|e| e.0 == it - w)
                    && samples.len() >= w / FRONT_SAMPLE / 2
                    && (s.front_residual == 0.0 || fnorm >= s.front_residual)
                    && front_too_slow(&samples, ws.n, w, it, limit)
                {
                    return report(Status::Diverged, it, res, at);
                }
            }
        }
        it += 1;
        ws.assemble(links);
        if dt.is_finite() {
            let inv = 1.0 / dt;
            let diag = ws.sys.diag.as_slice_mut().expect("standard layout");
            for j in 0..ws.n {
                // conserved rows read -(outflow derivative), local rows
                // +(their derivative): the shift keeps each sign. In the
                // DAE form local rows carry no holdup.
                for q in 0..if dae { nq } else { nv } {
                    let d = &mut diag[j * nv * nv + q * nv + q];
                    let m = d.abs().max(1.0) * inv;
                    if q < nq {
                        *d -= m;
                    } else {
                        *d += m;
                    }
                }
            }
        }
        if ws.sys.factor_sparse_lower_flushed().is_err() {
            // singular here: back to the previous point with a shorter step
            if it == 1 || dt < 1e-8 {
                return report(Status::Diverged, it, res, at);
            }
            u.assign(&ws.u_base);
            let (r0, a0) = ws.evaluate(model, links, feed, u);
            res = r0;
            at = a0;
            fnorm = norm(ws);
            dt = if dt.is_finite() { dt * 0.25 } else { 1e3 };
            continue;
        }
        ws.sys.solve_flushed(&mut ws.du);
        // traces ([`NewtonOptions::free_traces`]): outside the cap, whole
        // steps; flagged once an iteration for both loops below
        if opts.free_traces {
            for j in 0..ws.n {
                let top = ws.ln_top_outflow(j);
                for v in 0..nv {
                    let free =
                        v < nq && ws.ln_outflow(j, v) + ws.du[[j, v]].max(0.0) < top + LN_TRACE;
                    ws.free[j * nv + v] = free;
                }
            }
        }
        let trace = |ws: &Workspace, j: usize, v: usize| opts.free_traces && ws.free[j * nv + v];
        let mut alpha: f64 = 1.0;
        if log {
            let mut big = 0.0f64;
            for j in 0..ws.n {
                for v in 0..nv {
                    if !trace(ws, j, v) {
                        big = big.max(ws.du[[j, v]].abs());
                    }
                }
            }
            if big > opts.max_log_step {
                alpha = opts.max_log_step / big;
            }
        }
        alpha = stage_limits(model, u, &ws.du).fold(alpha, f64::min);
        if alpha.is_nan() || alpha <= 0.0 {
            return report(Status::Diverged, it, res, at);
        }
        ws.u_base.assign(u);
        for j in 0..ws.n {
            for v in 0..nv {
                let a = if trace(ws, j, v) { 1.0 } else { alpha };
                u[[j, v]] += a * ws.du[[j, v]];
            }
        }
        project(u);
        let (r, a) = ws.evaluate(model, links, feed, u);
        let fnew = if r.is_finite() {
            norm(ws)
        } else {
            f64::INFINITY
        };
        if !fnew.is_finite() || fnew > 2.0 * fnorm {
            // reject: back to the last point with a shorter time step
            u.assign(&ws.u_base);
            let (r0, a0) = ws.evaluate(model, links, feed, u);
            res = r0;
            at = a0;
            dt_rejected = dt;
            dt = if dt.is_finite() { dt * 0.25 } else { 1e3 };
            if dt < 1e-8 {
                return report(Status::Diverged, it, res, at);
            }
            continue;
        }
        let grown = dt * (fnorm / fnew).clamp(1.2, 4.0);
        dt = if opts.ptc_ceiling > 0.0 && fnew >= fnorm {
            // not falling: stay under the step that failed last
            grown.min(opts.ptc_ceiling * dt_rejected).max(dt)
        } else {
            grown
        };
        if alpha < 0.5 {
            // the step left the admissible region or was capped: the time
            // step is too long for the transient here
            dt = dt.min(1e6) * alpha.max(0.1);
            if dt < 1e-10 {
                return report(Status::Diverged, it, r, a);
            }
        }
        if dt > 1e12 {
            dt = f64::INFINITY;
        }
        dt_peak = dt_peak.max(dt);
        if stall.is_some_and(|s| s.front_window > 0) {
            walk.push((it, a.0));
        }
        if stall.is_some_and(|s| s.progress_window > 0) {
            trail.push((it, fnew));
        }
        fnorm = fnew;
        res = r;
        at = a;
    }
}

/// An outflow's `ln |v|` as the model gives it (`given`, NaN where it
/// gives none), or its own; minus infinity for a zero outflow.
#[inline]
fn ln_given(given: f64, v: f64) -> f64 {
    if v == 0.0 {
        f64::NEG_INFINITY
    } else if given.is_nan() {
        v.abs().ln()
    } else {
        given
    }
}

#[cfg(test)]
mod draw_tests {
    use super::*;
    use crate::chemistry::SeparationFactorKernel;

    /// The assembled Jacobian of the stage balances, with side draws
    /// (pass fractions below 1), against central finite differences.
    #[test]
    fn jacobian_with_side_draws_matches_finite_differences() {
        let (n, k) = (4, 3);
        let ker = SeparationFactorKernel::new(vec![1.0, 2.0, 2.8], vec![1.6, 1.6, 1.3, 0.4]);
        let links = [true, true, true, false];
        let mut feed = Array2::zeros((n, k));
        feed.row_mut(1).assign(&ndarray::arr1(&[0.51, 0.1, 0.39]));
        let u = Array2::from_shape_fn((n, k), |(j, c)| -0.3 * j as f64 - 0.7 * c as f64);
        let mut ws = Workspace::new(n, k, k);
        ws.set_pass(Some((&[1.0, 1.0, 0.7, 1.0], &[1.0, 0.8, 1.0, 1.0])));
        ws.evaluate(&ker, &links, &feed, &u);
        ws.assemble(&links);
        let scale = ws.scale.clone();
        let sys = ws.sys.clone();
        let h = 1e-6;
        for j in 0..n {
            for v in 0..k {
                let mut e = Array2::zeros((n, k));
                e[[j, v]] = 1.0;
                let mut jac = Array2::zeros((n, k));
                sys.matvec(&e, &mut jac);
                let mut up = u.clone();
                up[[j, v]] += h;
                ws.evaluate(&ker, &links, &feed, &up);
                let (rp, sp) = (ws.r.clone(), ws.scale.clone());
                up[[j, v]] -= 2.0 * h;
                ws.evaluate(&ker, &links, &feed, &up);
                let (rm, sm) = (ws.r.clone(), ws.scale.clone());
                for (idx, jv) in jac.indexed_iter() {
                    // evaluate stores r / S and ln S (relative form);
                    // assemble holds the raw dr/du over the base point's S
                    let raw = |r: &Array2<f64>, s: &Array2<f64>| r[idx] * s[idx].exp();
                    let fd = (raw(&rp, &sp) - raw(&rm, &sm)) / (2.0 * h) / scale[idx].exp();
                    assert!(
                        (fd - jv).abs() < 1e-7,
                        "{idx:?} wrt ({j},{v}): {fd} vs {jv}"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod balance_tests {
    use super::*;

    /// The give-up test of [`NewtonOptions::give_up_growth`]: damped to
    /// 1e-3, a full step at growth 6 is `ln 1000 / ln 6 = 3.86`
    /// iterations away (out of reach with 3 left, within reach with 4);
    /// the larger of the last two dampings counts; off for growth 1 or 0
    /// and once a full step was taken.
    #[test]
    fn a_damping_too_small_for_the_iterations_left_gives_up() {
        assert!(out_of_reach((1e-3, 1e-4), 6.0, 3));
        assert!(!out_of_reach((1e-3, 1e-4), 6.0, 4));
        assert!(!out_of_reach((1e-4, 1e-3), 6.0, 4));
        assert!(!out_of_reach((1e-3, 1e-4), 1.0, 0));
        assert!(!out_of_reach((1e-3, 1e-4), 0.0, 0));
        assert!(!out_of_reach((1.0, 1e-6), 6.0, 0));
    }

    /// A balance whose outflow lies 800 e-folds below its inflow: the
    /// relative form reads 1 (the outflow underflows against the inflow),
    /// the deep log form `ln(in / out)` = 800 with each side's own `ln`.
    #[test]
    fn a_side_beyond_the_range_of_a_double_keeps_the_log_form() {
        // inflows 2 exp(-100) (from above) and 1 exp(-100) (from below),
        // outflows exp(-900) (aqueous) and 3 exp(-900) (organic)
        let inn = [
            (2.0, -100.0, 2f64.ln()),
            (1.0, -100.0, 0.0),
            (0.0, 0.0, 0.0),
        ];
        let out = [(1.0, -900.0, 0.0), (3.0, -900.0, 3f64.ln())];
        let plain = scaled_balance(inn, out, false);
        assert_eq!(plain.rel, 1.0);
        assert!(plain.log_form.is_none());
        let deep = scaled_balance(inn, out, true);
        assert_eq!(deep.rel, 1.0);
        let (r, li, lo) = deep.log_form.expect("log form");
        assert!((li - (3f64.ln() - 100.0)).abs() < 1e-12, "{li}");
        assert!((lo - (4f64.ln() - 900.0)).abs() < 1e-12, "{lo}");
        assert!((r - (800.0 + (0.75f64).ln())).abs() < 1e-12, "{r}");
        // an outflow that is exactly zero has no log form either way
        let none = [(0.0, 0.0, 0.0), (0.0, 0.0, 0.0)];
        assert!(scaled_balance(inn, none, true).log_form.is_none());
        // within the range both forms agree bit for bit
        let near = [(1.0, -101.0, 0.0), (3.0, -101.0, 3f64.ln())];
        let (a, b) = (
            scaled_balance(inn, near, false),
            scaled_balance(inn, near, true),
        );
        assert_eq!(a.log_form, b.log_form);
    }

    /// A balance of traces at `e^-11,000` whose imbalance is one unit in
    /// the last place of their `ln` factor (`2^-39`) counts as met; the
    /// same imbalance of terms at `e^-4,000`, or of bulk terms, stands,
    /// and a NaN stays NaN.
    #[test]
    fn an_imbalance_under_the_resolution_of_a_deep_factor_is_met() {
        let ulp = 2f64.powi(-39);
        assert_eq!(resolved(ulp, [-11_000.0, -11_001.0, -11_000.5, 0.0]), 0.0);
        assert_eq!(
            resolved(1e-9, [-11_000.0; 4]),
            1e-9 - 2.0 * 11_000.0 * f64::EPSILON
        );
        assert_eq!(resolved(ulp, [-4_000.0, 0.0, -4_000.0, 0.0]), ulp);
        assert_eq!(resolved(ulp, [0.0; 4]), ulp);
        assert!(resolved(f64::NAN, [-11_000.0; 4]).is_nan());
    }
}

#[cfg(test)]
mod elim_tests {
    use super::*;
    use crate::chemistry::MassActionKernel;

    /// [`Workspace::stage_newton`] builds a stage's diagonal block with its
    /// own copy of [`Workspace::assemble`]'s row scaling (the hot kernel
    /// stays apart): the correction it solves for must satisfy the
    /// assembled block's rows exactly, for log-form and relative-form
    /// balances and with a start-up step's hold-up terms. A row scaled
    /// differently in one of the two gives a correction off by that row's
    /// factor (the hold-up term left out of `stage_newton` fails here).
    /// A saponified section of `n` stages with three metals fed at stage
    /// 1 (the third at `third` mol/h), acid at both ends and the
    /// counter-ion at stage 0: its kernel, links and feed, and a state
    /// whose metal `v` falls `fall * v` e-folds a stage (bulk to deep
    /// traces), the acid and counter-ion varied.
    pub(super) fn section(
        n: usize,
        third: f64,
        fall: f64,
    ) -> (MassActionKernel, Vec<bool>, Array2<f64>, Array2<f64>) {
        let mut org = vec![0.4; n];
        org[0] = 1.3;
        let ker = MassActionKernel::new(
            &[-1.2, -0.6, 0.3],
            2.4,
            2.9,
            &[3.0, 3.0, 2.0],
            0.9,
            Some(-3.5),
            org,
            vec![2.1; n],
        );
        let (nv, nq) = (ker.unknowns(), ker.conserved());
        let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
        let mut feed = Array2::zeros((n, nq));
        feed[[1, 0]] = 0.2;
        feed[[1, 1]] = 0.05;
        feed[[1, 2]] = third;
        feed[[0, ker.h_index()]] = 0.9;
        feed[[n - 1, ker.h_index()]] = 1.1;
        feed[[0, ker.ion_index().expect("saponified")]] = 0.6;
        let u = Array2::from_shape_fn((n, nv), |(j, v)| match v {
            0..=2 => -1.0 - fall * (j * v) as f64,
            3 => -2.0 - 0.4 * j as f64,
            4 => -4.0 + 0.3 * j as f64,
            _ => -1.5 - 0.2 * j as f64,
        });
        (ker, links, feed, u)
    }

    #[test]
    fn the_eliminated_stage_solves_the_assembled_diagonal_block() {
        let n = 5;
        let (ker, links, feed, u) = section(n, 0.01, 2.5);
        let (nv, nq) = (ker.unknowns(), ker.conserved());
        assert_eq!((nv, nq), (6, 5));
        let hold = Array2::from_shape_fn((n, nq), |(j, q)| 0.1 * (j + q) as f64 - 0.3);
        for (log_form, held) in [(true, false), (false, false), (true, true), (false, true)] {
            let mut ws = Workspace::new(n, nv, nq);
            ws.set_log_balances(log_form);
            ws.set_hold_ln(held.then_some(&hold));
            ws.evaluate(&ker, &links, &feed, &u);
            assert_eq!(
                ws.l_in.iter().any(|l| !l.is_nan()),
                log_form,
                "balance form"
            );
            ws.assemble(&links);
            let (diag, du) = (ws.sys.diag.clone(), ws.du.clone());
            for j in 0..n {
                assert!(ws.stage_newton(j), "stage {j} singular");
                let x = ws.elim_rhs.clone();
                for row in 0..nv {
                    let ax: f64 = (0..nv).map(|v| diag[[j, row, v]] * x[v]).sum();
                    let size: f64 = (0..nv).map(|v| (diag[[j, row, v]] * x[v]).abs()).sum();
                    assert!(
                        (ax - du[[j, row]]).abs() <= 1e-12 * size.max(du[[j, row]].abs()),
                        "form {log_form}, held {held}: stage {j} row {row}: {ax} vs {}",
                        du[[j, row]]
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod trace_tests {
    use super::*;

    /// [`Workspace::solve_trace_runs`] closes the steady balance of every
    /// amount it writes, to rounding in log form, from traces far below
    /// the range of a double (metals falling 300 and 600 e-folds a
    /// stage, their balances open by hundreds of e-folds), with the
    /// inflows from the stages around each run and the side draws'
    /// shares, and writes nothing else: not the bulk metal,
    /// the acid, the counter-ion or the free extractant, nor a metal at a
    /// stage where it is not a trace (the second metal at the last stage,
    /// set in bulk here, which ends its run one stage before the end).
    #[test]
    fn every_trace_run_is_closed_exactly_and_nothing_else_moves() {
        let n = 8;
        let (ker, links, feed, mut u0) = super::elim_tests::section(n, 0.01, 300.0);
        u0[[n - 1, 1]] = -1.0;
        let (nv, nq) = (ker.unknowns(), ker.conserved());
        let pass_aq: Vec<f64> = (0..n).map(|j| if j == 4 { 0.7 } else { 1.0 }).collect();
        let pass_org: Vec<f64> = (0..n).map(|j| if j == 2 { 0.8 } else { 1.0 }).collect();
        let mut ws = Workspace::new(n, nv, nq);
        ws.set_log_balances(true);
        ws.set_pass(Some((&pass_aq, &pass_org)));
        ws.evaluate(&ker, &links, &feed, &u0);
        let open = (1..n - 1).fold(0.0f64, |m, j| m.max(ws.r[[j, 1]].abs()));
        assert!(open > 100.0, "the traces' balances are open before: {open}");
        let mut u = u0.clone();
        let written = ws.solve_trace_runs(&ker, &links, &feed, &mut u);
        ws.evaluate(&ker, &links, &feed, &u);
        let mut moved = 0;
        for j in 0..n {
            for v in 0..nv {
                if u[[j, v]].to_bits() == u0[[j, v]].to_bits() {
                    continue;
                }
                moved += 1;
                assert!(v == 1 || v == 2, "stage {j}: unknown {v} moved");
                assert!(
                    j >= 1 && !(v == 1 && j == n - 1),
                    "stage {j}: metal {v} moved"
                );
                assert!(!ws.l_in[[j, v]].is_nan(), "stage {j}, metal {v}: log form");
                assert!(
                    ws.r[[j, v]].abs() < 1e-13,
                    "stage {j}, metal {v}: ln(in / out) {}",
                    ws.r[[j, v]]
                );
            }
        }
        // metal 1 over stages 1-6, metal 2 over 1-7
        assert_eq!((written, moved), (13, 13));
        // nothing to do where hold-up factors are set (a start-up's step)
        ws.set_hold_ln(Some(&Array2::from_elem((n, nq), 0.1)));
        assert_eq!(ws.solve_trace_runs(&ker, &links, &feed, &mut u0.clone()), 0);
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    /// The balance pass batches each stage's exponentials
    /// ([`BalanceInputs::balances`]): every row it writes is the row of
    /// [`scaled_balance`] on that balance's terms taken one at a time, bit
    /// for bit, its log form's `ln` inflow and outflow too. The traces are
    /// deep enough that terms fall past the batch's fast range (up to
    /// 1,500 e-folds under their balance's largest, some in libm's slow
    /// range past 708), and the hold-up of a start-up step puts every
    /// balance in log form. A term or exponential taken from the wrong
    /// slot of the batch changes a row.
    #[test]
    fn the_batched_balances_are_the_balances_taken_one_at_a_time() {
        let n = 6;
        // metal 1 falls 370 e-folds a stage, metal 2 740; the third metal
        // fed at 1 mol/h (a term whose `ln` is not taken)
        let (ker, links, feed, u) = super::elim_tests::section(n, 1.0, 370.0);
        let (nv, nq) = (ker.unknowns(), ker.conserved());
        let hold = Array2::from_shape_fn((n, nq), |(j, q)| 0.1 * (j + q) as f64 - 0.35);
        let mut ws = Workspace::new(n, nv, nq);
        ws.set_log_balances(true);
        ws.set_hold_ln(Some(&hold));
        ws.evaluate(&ker, &links, &feed, &u);
        let ln_abs = |v: f64| {
            if v == 0.0 {
                f64::NEG_INFINITY
            } else {
                v.abs().ln()
            }
        };
        let (mut checked, mut past_fast) = (0, 0);
        for j in 0..n {
            for q in 0..nq {
                let above = if links[j] {
                    let a = ws.aq[[j + 1, q]];
                    (a, ws.ln_out[[j + 1, q]], ln_given(ws.ln_aq[[j + 1, q]], a))
                } else {
                    (0.0, 0.0, 0.0)
                };
                let below = if j > 0 {
                    let o = ws.org[[j - 1, q]];
                    (o, ws.ln_out[[j - 1, q]], ln_given(ws.ln_org[[j - 1, q]], o))
                } else {
                    (0.0, 0.0, 0.0)
                };
                let f = feed[[j, q]];
                let fed = (f, 0.0, if f == 1.0 { 0.0 } else { ln_abs(f) });
                let e_o = ws.ln_out[[j, q]] + hold[[j, q]];
                let (a, o) = (ws.aq[[j, q]], ws.org[[j, q]]);
                let outs = [
                    (a, e_o, ln_given(ws.ln_aq[[j, q]], a)),
                    (o, e_o, ln_given(ws.ln_org[[j, q]], o)),
                ];
                let inn = [above, below, fed];
                let (_, l, m) = balance_logs(inn, outs);
                past_fast += l.iter().filter(|&&l| l - m < -708.0).count();
                let b = scaled_balance(inn, outs, false);
                let (r, li, lo) = b.log_form.expect("every balance in log form");
                assert_eq!(ws.r[[j, q]].to_bits(), r.to_bits(), "stage {j} row {q}");
                assert_eq!(ws.l_in[[j, q]].to_bits(), li.to_bits(), "stage {j} row {q}");
                assert_eq!(
                    ws.l_out[[j, q]].to_bits(),
                    lo.to_bits(),
                    "stage {j} row {q}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, n * nq);
        assert!(past_fast >= 4, "{past_fast} terms past the fast range");
    }
}

#[cfg(test)]
mod arc_tests {
    use super::*;
    use crate::solver::sf_log::LogSeparationFactorKernel;
    use crate::solver::sf_newton::{self, ArcPath, SfWorkspace};

    /// [`arc_corrector`] on the kernel whose balances are written in
    /// logarithms lands on the point of the path that the separation-
    /// factor kernel's own corrector ([`sf_newton::arc_step`], on amounts)
    /// finds from the same predictor, where both are representable: the
    /// stage balances met, the arclength condition met, `u` and `s` alike.
    /// A wrong sign or scaling of `dF/ds` moves `s` elsewhere.
    #[test]
    fn the_log_corrector_finds_the_amounts_corrector_s_point() {
        let (n, k) = (9, 3);
        let beta = [1.0f64, 2.2, 6.0];
        let mean = beta.iter().map(|b| b.ln()).sum::<f64>() / k as f64;
        let lb: Vec<f64> = beta.iter().map(|b| b.ln() - mean).collect();
        let org: Vec<f64> = (0..n).map(|j| if j + 1 < n { 1.3 } else { 0.4 }).collect();
        let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
        let mut feed = Array2::zeros((n, k));
        for (q, f) in [0.3, 0.5, 0.2].iter().enumerate() {
            feed[[4, q]] = *f;
        }
        let mut ker = LogSeparationFactorKernel::new(k, org.clone());
        let mut ws = Workspace::new(n, k, k);
        ws.set_log_balances(true);
        let mut sws = SfWorkspace::default();
        // two points on the path, at s = 0.5 and 0.6 (the kernel on amounts)
        let mut at_s = |s: f64, u: &mut Array2<f64>| {
            let b: Vec<f64> = lb.iter().map(|l| (s * l).exp()).collect();
            let prob = sf_newton::SfProblem {
                beta: &b,
                org_flow: &org,
                links: &links,
                feed: &feed,
                pass: None,
            };
            let opts = NewtonOptions {
                tolerance: 1e-13,
                ..NewtonOptions::default()
            };
            sf_newton::solve(&prob, u, &mut sws, &opts).status
        };
        let mut u0 = Array2::from_elem((n, k), (1.0f64 / k as f64).ln());
        assert_eq!(at_s(0.5, &mut u0), Status::Converged);
        let mut u1 = u0.clone();
        assert_eq!(at_s(0.6, &mut u1), Status::Converged);
        // the unit secant tangent from the first to the second, and a
        // predictor of length h along it from the second
        let nk = (n * k) as f64;
        let mut tu = &u1 - &u0;
        let ts = 0.1;
        let norm = (tu.iter().map(|v| v * v).sum::<f64>() / nk + ts * ts).sqrt();
        tu /= norm;
        let ts = ts / norm;
        let h = 0.15;
        let pred = &u1 + &(&tu * h);
        let arc_opts = NewtonOptions {
            tolerance: 1e-12,
            max_iterations: 30,
            ..NewtonOptions::default()
        };
        let (mut ul, mut sl) = (pred.clone(), 0.6 + h * ts);
        let rl = arc_corrector(
            &mut ker,
            |k, s| k.set_path(&lb, s),
            &links,
            &feed,
            (&mut ul, &mut sl),
            ((&u1, 0.6), (&tu, ts), h),
            &mut ws,
            &arc_opts,
        );
        let path = ArcPath {
            lb: &lb,
            org_flow: &org,
            links: &links,
            feed: &feed,
            pass: None,
        };
        let (mut ua, mut sa) = (pred.clone(), 0.6 + h * ts);
        let mut sws = SfWorkspace::default();
        let ra = sf_newton::arc_step(
            &path,
            &mut ua,
            &mut sa,
            (&u1, 0.6),
            (&tu, ts),
            h,
            &mut sws,
            &arc_opts,
        );
        assert_eq!(rl.status, Status::Converged, "{rl:?}");
        assert_eq!(ra.status, Status::Converged, "{ra:?}");
        // the point moved off the predictor and on along the path
        assert!((sl - (0.6 + h * ts)).abs() > 1e-6, "{sl}");
        assert!((sl - sa).abs() < 1e-9, "{sl} vs {sa}");
        for (a, b) in ul.iter().zip(&ua) {
            assert!((a - b).abs() < 1e-8, "{a} vs {b}");
        }
        let g: f64 = ts * (sl - 0.6)
            + tu.iter()
                .zip(ul.iter().zip(&u1))
                .map(|(t, (a, b))| t * (a - b))
                .sum::<f64>()
                / nk;
        assert!((g - h).abs() < 1e-9, "{g}");
        // and the balances at (ul, sl) close
        ker.set_path(&lb, sl);
        let (r, _) = ws.evaluate(&ker, &links, &feed, &ul);
        assert!(r < 1e-12, "{r}");
    }
}
