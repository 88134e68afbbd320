//! Robustness suite over random valid cascades of every chemistry model.
//!
//! ```text
//! cargo run --release --example robustness -- N [model] [first-seed]
//! cargo run --release --example robustness -- case MODEL SEED [MAX_ITERATIONS]
//! cargo run --release --example robustness -- seeds MODEL N [first-seed]
//! cargo run --release --example robustness -- start-up MODEL N [first-seed]
//! ```
//!
//! Solves `N` random valid cascades per model (seeds
//! `first-seed..first-seed+N`, default 0) from a cold start, checks every
//! converged solution against the stage equations independently
//! ([`sxforge::solver::robust_gen::verify`]) and prints the convergence
//! rate and the distributions of iterations and solve times, then the seeds
//! of the cases that failed. The generators throw away draws that are not
//! valid cascades and draw again ([`sxforge::solver::robust_gen::draw`]):
//! the count and reasons are printed, and every thrown-away cascade proved
//! to have no steady state is solved too, to check that no solve converges
//! on it. `case` solves one cascade and prints its spec and outcome; a
//! larger iteration limit tells a slow case from one that is stuck.
//! `seeds` prints one line per seed (status, iterations, time, check and
//! the worst whole-cascade balance, [`Solution::balance_error`]) to
//! compare two builds seed by seed. The summary prints the worst
//! whole-cascade balance of the cases reported converged, and the seeds
//! over 1e-11 and 1e-10. `start-up` (mass-action, log-linear) solves each
//! cascade also by its start-up dynamics from empty stages
//! ([`Solver::start_up`]) and prints, per seed and in all, both outcomes,
//! their iterations and times, and how far apart the two steady states
//! are (the largest stage amount difference over the component's feed).

use std::time::Instant;

use sxforge::solver::robust_gen::{draw, generate, verify, ModelKind};
use sxforge::solver::{Solution, Solver};
use sxforge::Cascade;

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// The largest `|balance_error|` over components of a solution (the
/// whole-cascade balance, draws included) and its component.
fn worst_balance(c: &Cascade, s: &Solution) -> (f64, usize) {
    s.balance_error(c)
        .iter()
        .enumerate()
        .fold(
            (0.0, 0),
            |w, (k, e)| if e.abs() > w.0 { (e.abs(), k) } else { w },
        )
}

/// `MODEL N [FIRST]` from the command line after the mode (`args[1]`):
/// the model (`default` where it names none), the number of seeds (200)
/// and the first seed (0).
fn model_count_first(args: &[String], default: ModelKind) -> (ModelKind, u64, u64) {
    let kind = ModelKind::from_name(args.get(2).map_or("", |s| s.as_str())).unwrap_or(default);
    let n: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
    let first: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(0);
    (kind, n, first)
}

/// `f()` and the milliseconds it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64() * 1e3)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(|s| s.as_str()) == Some("saponified") {
        // difflow's saponified benchmark, 2 and 6 components
        for k in [2, 6] {
            for n in [37, 80, 100, 120, 300] {
                let c = sxforge::solver::robust_gen::saponified(k, n);
                let t = Instant::now();
                let s = Solver::new().solve(&c);
                println!(
                    "sap-{k}x{n}: {} in {} iterations, residual {:.2e}, check {:.2e}, {:.2} ms",
                    s.status.describe(),
                    s.iterations,
                    s.residual,
                    verify(&c, &s),
                    t.elapsed().as_secs_f64() * 1e3
                );
            }
        }
        return;
    }
    if args.get(1).map(|s| s.as_str()) == Some("seeds") {
        // `robustness seeds MODEL N [FIRST]`: one line per seed, to compare
        // two builds seed by seed
        let (kind, n, first) = model_count_first(&args, ModelKind::SeparationFactor);
        let mut solver = Solver::new();
        println!("seed status iterations ms check balance");
        for seed in first..first + n {
            let c = generate(kind, seed);
            let (s, ms) = timed(|| solver.solve(&c));
            println!(
                "{seed} {} {} {ms:.2} {:.2e} {:.2e}",
                s.status.describe().replace(' ', "-"),
                s.iterations,
                verify(&c, &s),
                worst_balance(&c, &s).0
            );
        }
        return;
    }
    if args.get(1).map(|s| s.as_str()) == Some("start-up") {
        let (kind, n, first) = model_count_first(&args, ModelKind::MassAction);
        start_up_vs_solve(kind, n, first);
        return;
    }
    if args.get(1).map(|s| s.as_str()) == Some("case") {
        // `robustness case MODEL SEED`: one case in detail
        let kind = ModelKind::from_name(args.get(2).map_or("", |s| s.as_str()))
            .unwrap_or(ModelKind::SeparationFactor);
        let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut c = generate(kind, seed);
        if let Some(max) = args.get(4).and_then(|s| s.parse().ok()) {
            // `robustness case MODEL SEED MAX_ITERATIONS`: a crawl or a dead end?
            let mut spec = c.spec().clone();
            let opts = spec.solver.to_builder().max_iterations(max).build();
            c = match opts.and_then(|o| {
                spec.solver = o;
                spec.validate()
            }) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("max_iterations {max}: {e}");
                    std::process::exit(1);
                }
            };
        }
        println!("{:?}", c.spec());
        // the spec prints its own `max_iterations`; the solve gets the
        // cascade's budget (scaled with its size unless given explicitly)
        println!("iteration budget {}", c.solver_options().max_iterations);
        let t = Instant::now();
        let s = Solver::new().solve(&c);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let (balance, component) = worst_balance(&c, &s);
        println!(
            "{} in {} iterations ({} continuation steps), residual {:.3e} at {:?}, check {:.3e}, balance {balance:.2e} (component {component}), {ms:.2} ms",
            s.status.describe(),
            s.iterations,
            s.continuation_steps,
            s.residual,
            s.worst,
            verify(&c, &s),
        );
        return;
    }
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let models: Vec<ModelKind> = match args.get(2).map(|s| s.as_str()) {
        None | Some("all") => ModelKind::ALL.to_vec(),
        Some(name) => match ModelKind::from_name(name) {
            Some(m) => vec![m],
            None => {
                eprintln!("unknown model `{name}`: expected separation-factor, constant-d, mass-action, log-linear or all");
                std::process::exit(1);
            }
        },
    };
    let first: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut solver = Solver::new();
    for kind in models {
        let mut its = Vec::new();
        let mut times = Vec::new();
        let mut failed = Vec::new();
        // converged cases by solve time: (ms, seed, iterations, continuation steps)
        let mut slow: Vec<(f64, u64, usize, usize)> = Vec::new();
        let mut worst_check = 0.0f64;
        // worst whole-cascade balance of the cases reported converged
        // (value, seed),
        // and the seeds whose balance is over 1e-11 (with it)
        let mut worst_bal = (0.0f64, 0u64);
        let mut loose: Vec<(u64, f64)> = Vec::new();
        // draws thrown away: reason -> count, and the starved cascades that
        // a solve converged on (must stay 0, or the proof is wrong)
        let mut rejected: std::collections::BTreeMap<&str, usize> = Default::default();
        let (mut starved, mut starved_solved) = (0, 0);
        for seed in first..first + n {
            let d = draw(kind, seed);
            for r in &d.rejected {
                *rejected.entry(r.reason()).or_default() += 1;
            }
            for c in &d.starved {
                starved += 1;
                starved_solved += usize::from(solver.solve(c).converged());
            }
            let c = d.cascade;
            let t = Instant::now();
            let s = solver.solve(&c);
            let dt = t.elapsed().as_secs_f64();
            let check = verify(&c, &s);
            let limit = c.solver_options().max_iterations;
            let ok = s.converged() && check < 1e-8 && s.iterations <= limit;
            if s.converged() {
                // every case reported converged, checked or not
                let (b, _) = worst_balance(&c, &s);
                if b > worst_bal.0 || b.is_nan() {
                    worst_bal = (b, seed);
                }
                if b.is_nan() || b > 1e-11 {
                    loose.push((seed, b));
                }
            }
            if ok {
                worst_check = worst_check.max(check);
                its.push(s.iterations as f64);
                times.push(dt * 1e3);
                slow.push((dt * 1e3, seed, s.iterations, s.continuation_steps));
            } else {
                failed.push((
                    seed,
                    c.n_stages(),
                    c.n_components(),
                    s.status,
                    s.residual,
                    check,
                    dt,
                ));
            }
        }
        let ok = its.len();
        println!(
            "{:<18} {ok}/{n} converged ({:.2} %), worst independent check {worst_check:.1e}",
            kind.name(),
            100.0 * ok as f64 / n as f64
        );
        println!(
            "  iterations  p50 {:>5.0}  p90 {:>5.0}  p99 {:>5.0}  max {:>5.0}",
            pct(&mut its, 0.5),
            pct(&mut its, 0.9),
            pct(&mut its, 0.99),
            pct(&mut its, 1.0)
        );
        println!(
            "  time (ms)   p50 {:>7.3}  p90 {:>7.3}  p99 {:>7.3}  max {:>7.3}",
            pct(&mut times, 0.5),
            pct(&mut times, 0.9),
            pct(&mut times, 0.99),
            pct(&mut times, 1.0)
        );
        let over = |lim: f64| -> String {
            let v: Vec<String> = loose
                .iter()
                .filter(|l| l.1.is_nan() || l.1 > lim)
                .map(|(seed, b)| format!("{seed} ({b:.1e})"))
                .collect();
            format!("{} [{}]", v.len(), v.join(", "))
        };
        println!(
            "  whole-cascade balance: worst {:.1e} (seed {}), over 1e-11: {}, over 1e-10: {}",
            worst_bal.0,
            worst_bal.1,
            over(1e-11),
            over(1e-10)
        );
        slow.sort_by(|a, b| b.0.total_cmp(&a.0));
        let tail: Vec<String> = slow
            .iter()
            .take(20)
            .map(|(ms, seed, it, st)| format!("{seed} ({ms:.0} ms, {it} it, {st} st)"))
            .collect();
        println!("  slowest converged: {}", tail.join(", "));
        let seeds: Vec<String> = failed.iter().map(|f| f.0.to_string()).collect();
        println!("  failed seeds: {}", seeds.join(" "));
        let total: usize = rejected.values().sum();
        let why: Vec<String> = rejected.iter().map(|(r, c)| format!("{c} {r}")).collect();
        println!(
            "  draws rejected and drawn again: {total}{}{}",
            if why.is_empty() { "" } else { ": " },
            why.join(", ")
        );
        if starved > 0 {
            // the proof of no steady state (or none in range), checked
            // against the solver
            println!("  rejected as acid-starved or trapped and solved anyway: {starved_solved} of {starved} converged");
        }
        for (seed, ns, k, st, r, chk, dt) in failed.iter().take(20) {
            println!(
                "  FAIL seed {seed}: {ns} stages, {k} components, {}, residual {r:.2e}, check {chk:.2e}, {:.1} ms",
                st.describe(),
                dt * 1e3
            );
        }
    }
}

/// `robustness start-up MODEL N FIRST`: each seed solved as usual and by
/// its start-up dynamics from empty stages, one line per seed, then the
/// totals.
fn start_up_vs_solve(kind: ModelKind, n: u64, first: u64) {
    let mut solver = Solver::new();
    let (mut both, mut up_failed, mut usual_failed) = (0, Vec::new(), Vec::new());
    let (mut its, mut up_its, mut ms, mut up_ms) = (0, 0, 0.0, 0.0);
    let mut worst = (0.0f64, first);
    println!("seed usual iterations ms start-up iterations ms apart");
    for seed in first..first + n {
        let c = generate(kind, seed);
        let (s, a) = timed(|| solver.solve(&c));
        let (u, b) = timed(|| solver.start_up(&c));
        let Some(u) = u else {
            eprintln!("{} has no start-up dynamics", kind.name());
            std::process::exit(1);
        };
        let apart = match s.farthest_from(&u, c.feed_amount()) {
            Some(far) if s.converged() && u.converged() => far.relative,
            _ => f64::NAN,
        };
        println!(
            "{seed} {} {} {a:.2} {} {} {b:.2} {apart:.1e}",
            s.status.describe().replace(' ', "-"),
            s.iterations,
            u.status.describe().replace(' ', "-"),
            u.iterations
        );
        match (s.converged(), u.converged()) {
            (true, true) => {
                both += 1;
                its += s.iterations;
                up_its += u.iterations;
                ms += a;
                up_ms += b;
                if apart > worst.0 {
                    worst = (apart, seed);
                }
            }
            (true, false) => up_failed.push(seed),
            (false, _) => usual_failed.push(seed),
        }
    }
    println!(
        "{}: both converged {both}/{n}: usual {its} iterations {ms:.0} ms, start-up {up_its} iterations \
         {up_ms:.0} ms; farthest apart {:.1e} (seed {}); start-up failed where the usual solve \
         converged: {up_failed:?}; usual solve failed: {usual_failed:?}",
        kind.name(),
        worst.0,
        worst.1
    );
}
