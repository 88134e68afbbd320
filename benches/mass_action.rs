//! Rigorous-model kernels: one damped-Newton iteration (evaluate every
//! stage, assemble, block-Thomas factorisation, solve, line-search
//! evaluation) on saponified mass-action cascades of 10..300 stages and 2
//! or 6 metals (`mass_action_newton_iteration`), and on log-linear
//! sulfate cascades (`log_linear_newton_iteration`). Cost should grow as
//! stages x unknowns^3 and the loop allocates nothing. Group
//! `saponified`: whole cold solves of difflow's saponified benchmark;
//! `rigorous_cold`: cold solves over sizes and of suite cascades.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sxforge::bench_support::newton::{self, NewtonOptions, Workspace};
use sxforge::bench_support::rigorous::{iteration_case, log_linear_case};
use sxforge::chemistry::Equilibrium;
use sxforge::solver::robust_gen::{generate, saponified, ModelKind};
use sxforge::solver::Solver;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("mass_action_newton_iteration");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600));
    for k in [2usize, 6] {
        for n in [10usize, 40, 100, 300] {
            let (ker, links, feed, u0) = iteration_case(n, k);
            let mut ws = Workspace::new(n, ker.unknowns(), ker.conserved());
            let mut u = u0.clone();
            let opts = NewtonOptions {
                tolerance: 0.0,
                max_iterations: 1,
                ..NewtonOptions::default()
            };
            g.bench_with_input(BenchmarkId::new(format!("k{k}"), n), &n, |b, _| {
                b.iter(|| {
                    u.assign(&u0);
                    newton::solve(&ker, &links, &feed, &mut u, &mut ws, &opts)
                })
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("log_linear_newton_iteration");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600));
    for k in [2usize, 6] {
        for n in [10usize, 100, 300] {
            let (ker, links, feed, u0) = log_linear_case(n, k);
            let mut ws = Workspace::new(n, ker.unknowns(), ker.conserved());
            let mut u = u0.clone();
            let opts = NewtonOptions {
                tolerance: 0.0,
                max_iterations: 1,
                ..NewtonOptions::default()
            };
            g.bench_with_input(BenchmarkId::new(format!("k{k}"), n), &n, |b, _| {
                b.iter(|| {
                    u.assign(&u0);
                    newton::solve(&ker, &links, &feed, &mut u, &mut ws, &opts)
                })
            });
        }
    }
    g.finish();
}

/// difflow's saponified benchmark (issue 9): whole cold solves, all
/// converged (`robustness saponified` prints status and independent check).
fn bench_saponified(c: &mut Criterion) {
    let mut g = c.benchmark_group("saponified");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for (k, n) in [
        (2usize, 37usize),
        (2, 120),
        (6, 37),
        (6, 120),
        (2, 300),
        (6, 300),
    ] {
        let cascade = saponified(k, n);
        let mut solver = Solver::new();
        g.bench_function(format!("sap-{k}x{n}"), |b| {
            b.iter(|| solver.solve(&cascade))
        });
    }
    g.finish();
}

/// Cold solves over sizes: the saponified section at 10, 100 and 300
/// stages (`sizes/k6/N`), and two robustness-suite cascades of each
/// rigorous model that converge in one Newton run (`suite/MODEL-SEED`).
fn bench_cold(c: &mut Criterion) {
    let mut g = c.benchmark_group("rigorous_cold");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for n in [10usize, 100, 300] {
        let cascade = saponified(6, n);
        let mut solver = Solver::new();
        g.bench_function(format!("sizes/k6/{n}"), |b| {
            b.iter(|| solver.solve(&cascade))
        });
    }
    for (kind, seed) in [
        (ModelKind::MassAction, 2u64),
        (ModelKind::MassAction, 7),
        (ModelKind::LogLinear, 0),
        (ModelKind::LogLinear, 7),
    ] {
        let cascade = generate(kind, seed);
        let mut solver = Solver::new();
        g.bench_function(format!("suite/{}-{seed}", kind.name()), |b| {
            b.iter(|| solver.solve(&cascade))
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_saponified, bench_cold);
criterion_main!(benches);
