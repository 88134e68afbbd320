//! A fixed number of rigorous-model solves or Newton iterations, for
//! instruction counts under callgrind (stable on a loaded machine).
//!
//! ```text
//! cargo build --release --example rigorous_loop
//! valgrind --tool=callgrind target/release/examples/rigorous_loop sap 6 120 3
//! valgrind --tool=callgrind target/release/examples/rigorous_loop iter 6 10 100
//! target/release/examples/rigorous_loop case log-linear 17 3
//! ```
//!
//! `sap K N COUNT`: cold solves of difflow's saponified benchmark
//! ([`sxforge::solver::robust_gen::saponified`], K = 2 or 6 metals, N
//! stages). `iter K N COUNT`: single mass-action Newton iterations on the
//! cascade of the `mass_action` bench (`mass_action_newton_iteration/kK/N`);
//! `lliter K N COUNT`: the same on its log-linear cascade
//! (`log_linear_newton_iteration/kK/N`).
//! `case MODEL SEED COUNT`: cold solves of one robustness-suite cascade.
//! One run of each kind comes first (workspace sizing), then `COUNT` more;
//! iterations and status are printed.

use sxforge::bench_support::newton::{self, NewtonOptions, Workspace};
use sxforge::bench_support::rigorous::{iteration_case, log_linear_case};
use sxforge::solver::robust_gen::{generate, saponified, ModelKind};
use sxforge::{Cascade, Solver};

fn solves(c: &Cascade, count: usize) {
    let mut solver = Solver::new();
    let s = solver.solve(c);
    println!(
        "{} in {} iterations, residual {:.2e}",
        s.status.describe(),
        s.iterations,
        s.residual
    );
    for _ in 0..count {
        std::hint::black_box(solver.solve(c));
    }
}

/// `count + 1` single Newton iterations from `u0`.
fn iterations<E: sxforge::chemistry::Equilibrium>(
    ker: &E,
    links: &[bool],
    feed: &ndarray::Array2<f64>,
    u0: &ndarray::Array2<f64>,
    count: usize,
) {
    let mut ws = Workspace::new(links.len(), ker.unknowns(), ker.conserved());
    let opts = NewtonOptions {
        tolerance: 0.0,
        max_iterations: 1,
        ..NewtonOptions::default()
    };
    let mut u = u0.clone();
    for _ in 0..=count {
        u.assign(u0);
        std::hint::black_box(newton::solve(ker, links, feed, &mut u, &mut ws, &opts));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: usize| -> usize {
        args.get(i)
            .map_or(d, |s| s.parse().expect("a non-negative integer"))
    };
    match args.get(1).map(String::as_str).unwrap_or("sap") {
        "sap" => solves(&saponified(arg(2, 6), arg(3, 120)), arg(4, 3)),
        "case" => {
            let kind =
                ModelKind::from_name(args.get(2).map_or("", |s| s.as_str())).expect("a model name");
            solves(&generate(kind, arg(3, 0) as u64), arg(4, 3));
        }
        "iter" => {
            let (ker, links, feed, u0) = iteration_case(arg(3, 10), arg(2, 6));
            iterations(&ker, &links, &feed, &u0, arg(4, 100));
        }
        "lliter" => {
            let (ker, links, feed, u0) = log_linear_case(arg(3, 10), arg(2, 6));
            iterations(&ker, &links, &feed, &u0, arg(4, 100));
        }
        "newton" => {
            // the iteration cases solved to convergence: iterations, outcome
            use sxforge::chemistry::Equilibrium;
            let opts = NewtonOptions {
                max_iterations: arg(4, 100),
                ..NewtonOptions::default()
            };
            let (ker, links, feed, mut u) = iteration_case(arg(3, 10), arg(2, 6));
            let mut ws = Workspace::new(links.len(), ker.unknowns(), ker.conserved());
            println!(
                "mass-action {:?}",
                newton::solve(&ker, &links, &feed, &mut u, &mut ws, &opts)
            );
            let (ker, links, feed, mut u) = log_linear_case(arg(3, 10), arg(2, 6));
            let mut ws = Workspace::new(links.len(), ker.unknowns(), ker.conserved());
            println!(
                "log-linear {:?}",
                newton::solve(&ker, &links, &feed, &mut u, &mut ws, &opts)
            );
        }
        "trace" => {
            use sxforge::chemistry::Equilibrium;
            let opts = NewtonOptions {
                max_iterations: 1,
                ..NewtonOptions::default()
            };
            let (ker, links, feed, mut u) = iteration_case(arg(3, 10), arg(2, 6));
            let mut ws = Workspace::new(links.len(), ker.unknowns(), ker.conserved());
            for _ in 0..arg(4, 10) {
                let u0 = u.clone();
                let r = newton::solve(&ker, &links, &feed, &mut u, &mut ws, &opts);
                let d = (&u - &u0).iter().fold(0.0f64, |m, v| m.max(v.abs()));
                println!("{:?} step {d:.3e}", r);
            }
        }
        m => panic!("unknown mode {m} (sap, case, iter, lliter, newton, trace)"),
    }
}
