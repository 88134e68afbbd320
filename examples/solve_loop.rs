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
//! (workspace sizing), then `COUNT` more.

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

/// The W + 1 % neighbour of the bench's `warm-neighbour` group.
fn neighbour(cas: &Cascade) -> Cascade {
    let mut spec = cas.to_spec();
    spec.flows.scrub_amount = spec.flows.scrub_amount.map(|w| w * 1.01);
    spec.flows.extraction_amount = spec
        .flows
        .extraction_amount
        .map(|s| s + 0.01 * spec.flows.scrub_amount.unwrap() / 1.01);
    spec.build().unwrap()
}

/// The 50 cascades of the `throughput/warm-sweep/xu-D` bench.
fn sweep() -> Vec<Cascade> {
    let base = cascade("xu-D");
    let spec = base.to_spec();
    let (s0, w0) = (
        spec.flows.extraction_amount.unwrap(),
        spec.flows.scrub_amount.unwrap(),
    );
    (0..50)
        .map(|i| {
            let w = w0 * (1.0 + 0.002 * i as f64);
            let mut sp = spec.clone();
            sp.flows.scrub_amount = Some(w);
            sp.flows.extraction_amount = Some(s0 - w0 + w);
            sp.build().unwrap()
        })
        .collect()
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
            let cases = sweep();
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
