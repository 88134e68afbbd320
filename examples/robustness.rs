//! Robustness suite over random valid cascades of every chemistry model.
//!
//! ```text
//! cargo run --release --example robustness -- N [model] [first-seed]
//! cargo run --release --example robustness -- case MODEL SEED [MAX_ITERATIONS]
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

use std::time::Instant;

use sxforge::solver::robust_gen::{draw, generate, verify, ModelKind};
use sxforge::solver::Solver;

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
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
        let t = Instant::now();
        let s = Solver::new().solve(&c);
        println!(
            "{} in {} iterations ({} continuation steps), residual {:.3e} at {:?}, check {:.3e}, {:.2} ms",
            s.status.describe(),
            s.iterations,
            s.continuation_steps,
            s.residual,
            s.worst,
            verify(&c, &s),
            t.elapsed().as_secs_f64() * 1e3
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
            // the proof of no steady state, checked against the solver
            println!("  rejected as acid-starved and solved anyway: {starved_solved} of {starved} converged");
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
