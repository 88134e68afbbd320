//! The stage solver on the standard benchmark cascades
//! (shared/design/benchmarks.md) and on generated cascades over stages
//! (10..1000) x components (2, 6, 15). Separation-factor model, aqueous
//! feed, feed RE flow 1.
//!
//! Run: `cargo bench --bench stage_solver` (or with a filter, e.g.
//! `cargo bench --bench stage_solver -- xu-A`). The `throughput` group
//! reports warm-started neighbour solves per second on a Pr/Nd flow sweep.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sxforge::solver::rows::solve_rows;
use sxforge::Solver;

// the cascades the tests check (tests/common/fixtures.rs)
#[path = "../tests/common/fixtures.rs"]
mod fixtures;
use fixtures::{benchmarks, generated, neighbour, warm_sweep};

fn bench_standard(c: &mut Criterion) {
    let mut g = c.benchmark_group("standard");
    g.sample_size(20);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for (name, cas) in benchmarks() {
        let mut solver = Solver::new();
        assert!(solver.solve(&cas).converged());
        g.bench_function(BenchmarkId::new("cold", name), |b| {
            b.iter(|| solver.solve(&cas))
        });
        let prev = solver.solve(&cas);
        let near = neighbour(&cas);
        g.bench_function(BenchmarkId::new("warm-neighbour", name), |b| {
            b.iter(|| solver.solve_from(&near, &prev))
        });
    }
    g.finish();
}

/// Throughput of a flow sweep on the Pr/Nd cascade `xu-D`: 50 neighbours
/// with the scrub flow W from 1.00x to 1.10x (the product split S - W
/// fixed), each solved warm from the previous one's solution, as a design
/// sweep does. Criterion reports solves per second (`elem/s`), one core.
fn bench_throughput(c: &mut Criterion) {
    let (_, base) = benchmarks().remove(1);
    let sweep = warm_sweep(&base);
    let mut solver = Solver::new();
    let first = solver.solve(&sweep[0]);
    assert!(first.converged());
    let mut g = c.benchmark_group("throughput");
    g.sample_size(10);
    g.throughput(Throughput::Elements(sweep.len() as u64));
    g.bench_function("warm-sweep/xu-D", |b| {
        b.iter(|| {
            let mut prev = first.clone();
            for cas in &sweep {
                prev = solver.solve_from(cas, &prev);
                assert!(prev.converged());
            }
            prev
        })
    });
    g.finish();
}

fn bench_rows(c: &mut Criterion) {
    // the start-up dynamics to 1e-12 on xu-A (tens of thousands of rows)
    let mut g = c.benchmark_group("rows");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(100));
    g.measurement_time(Duration::from_secs(5));
    let (_, cas) = benchmarks().remove(0);
    g.bench_function("xu-A to 1e-12", |b| {
        b.iter(|| solve_rows(&cas, 1e-12, 10_000_000))
    });
    g.finish();
}

fn bench_sizes(c: &mut Criterion) {
    let mut g = c.benchmark_group("sizes");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(200));
    g.measurement_time(Duration::from_secs(1));
    for k in [2usize, 6, 15] {
        for n in [10usize, 40, 100, 300, 1000] {
            let cas = generated(n, k);
            let mut solver = Solver::new();
            let sol = solver.solve(&cas);
            if !sol.converged() {
                eprintln!("n={n} k={k}: {:?} res {:.1e}", sol.status, sol.residual);
                continue;
            }
            g.bench_with_input(BenchmarkId::new(format!("k{k}"), n), &cas, |b, cas| {
                b.iter(|| solver.solve(cas))
            });
        }
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_standard,
    bench_throughput,
    bench_rows,
    bench_sizes
);
criterion_main!(benches);
