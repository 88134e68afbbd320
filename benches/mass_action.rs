//! Mass-action kernel: one damped-Newton iteration (evaluate every stage,
//! assemble, block-Thomas factorisation, solve, line-search evaluation) on
//! saponified cascades of 10..300 stages and 2 or 6 metals. Cost should
//! grow as stages x unknowns^3 and the loop allocates nothing. Group
//! `saponified`: whole cold solves of difflow's saponified benchmark.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;
use sxforge::bench_support::newton::{self, NewtonOptions, Workspace};
use sxforge::chemistry::{Equilibrium, MassActionKernel};
use sxforge::solver::robust_gen::saponified;
use sxforge::solver::Solver;

fn setup(n: usize, k: usize) -> (MassActionKernel, Vec<bool>, Array2<f64>, Array2<f64>) {
    let lk: Vec<f64> = (0..k).map(|i| -1.5 + 0.2 * i as f64).collect();
    let z = vec![3.0; k];
    let ker = MassActionKernel::new(
        &lk,
        3.0,
        3.0,
        &z,
        1.5,
        Some(-4.0),
        vec![3.0; n],
        vec![20.0; n],
    );
    let (nv, nq) = (ker.unknowns(), ker.conserved());
    let links: Vec<bool> = (0..n).map(|j| j + 1 < n).collect();
    let mut feed = Array2::zeros((n, nq));
    for q in 0..k {
        feed[[n / 2, q]] = 1.0 / k as f64;
    }
    feed[[n / 2, k]] = 0.03;
    feed[[0, k]] = 20.0 * 0.64 * 1.5;
    feed[[0, k + 1]] = 20.0 * 0.36 * 1.5;
    let mut u = Array2::zeros((n, nv));
    for j in 0..n {
        for q in 0..k {
            u[[j, q]] = (0.1f64 / k as f64).ln() - 0.01 * j as f64;
        }
        u[[j, k]] = (0.05f64).ln();
        u[[j, k + 1]] = 0.1;
        u[[j, k + 2]] = (0.3f64).ln();
    }
    (ker, links, feed, u)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("mass_action_newton_iteration");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600));
    for k in [2usize, 6] {
        for n in [10usize, 40, 100, 300] {
            let (ker, links, feed, u0) = setup(n, k);
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

criterion_group!(benches, bench, bench_saponified);
criterion_main!(benches);
