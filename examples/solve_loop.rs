//! A fixed number of solves of one benchmark cascade, for instruction
//! counts under callgrind (stable on a loaded machine, unlike timings).
//!
//! ```text
//! cargo build --release --example solve_loop
//! valgrind --tool=callgrind target/release/examples/solve_loop cold xu-A 11
//! cargo run --release --example solve_loop -- info        # iterations
//! ```
//!
//! `MODE` is `cold` (solve from nothing), `warm` (the W + 1 % neighbour
//! from the base solution) or `sweep` (the 50-neighbour Pr/Nd sweep of the
//! `throughput` bench, `COUNT` times); `NAME` is `xu-A`, `xu-D`, `six-120`
//! or `kK/N` (a generated cascade). One solve of each kind runs first
//! (workspace sizing), then `COUNT` more. A fourth argument `base` runs
//! the baseline (SSE2) compilation of the separation-factor hot path
//! where the processor would take its AVX2 one.

use fixtures::{neighbour, warm_sweep};
use sxforge::bench_support::simd;
use sxforge::{Cascade, Solver};

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

fn cascade(name: &str) -> Cascade {
    if let Some(rest) = name.strip_prefix('k') {
        let (k, n) = rest.split_once('/').expect("kK/N");
        return fixtures::generated(n.parse().expect("N"), k.parse().expect("K"));
    }
    fixtures::benchmarks()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no benchmark cascade {name}"))
        .1
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("info");
    if mode == "info" {
        for name in ["xu-A", "xu-D", "six-120", "k2/100", "k6/100", "k6/1000"] {
            let cas = cascade(name);
            let mut solver = Solver::new();
            let s = solver.solve(&cas);
            let w = solver.solve_from(&neighbour(&cas), &s);
            println!(
                "{name}: cold {} it (steps {}, res {:.1e}), warm {} it ({})",
                s.iterations,
                s.continuation_steps,
                s.residual,
                w.iterations,
                w.status.describe()
            );
        }
        return;
    }
    let name = args.get(2).map(String::as_str).unwrap_or("xu-A");
    let count: usize = args.get(3).map_or(11, |c| c.parse().expect("COUNT"));
    match args.get(4).map(String::as_str) {
        Some("base") => simd::with_baseline(|| run(mode, name, count)),
        None => run(mode, name, count),
        Some(a) => panic!("unknown argument {a}"),
    }
}

fn run(mode: &str, name: &str, count: usize) {
    let mut solver = Solver::new();
    let mut its = 0;
    match mode {
        "cold" => {
            let cas = cascade(name);
            solver.solve(&cas);
            for _ in 0..count {
                its += solver.solve(&cas).iterations;
            }
        }
        "warm" => {
            let cas = cascade(name);
            let near = neighbour(&cas);
            let base = solver.solve(&cas);
            solver.solve_from(&near, &base);
            for _ in 0..count {
                its += solver.solve_from(&near, &base).iterations;
            }
        }
        "sweep" => {
            let cases = warm_sweep(&cascade("xu-D"));
            let first = solver.solve(&cases[0]);
            for _ in 0..count {
                let mut prev = first.clone();
                for c in &cases {
                    prev = solver.solve_from(c, &prev);
                    its += prev.iterations;
                    assert!(prev.converged());
                }
            }
        }
        m => panic!("unknown mode {m}"),
    }
    println!("{mode} {name}: {its} iterations in {count} rounds");
}
