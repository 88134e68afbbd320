//! Sweep throughput (solves per second, warm-started chains) on the shipped
//! Pr/Nd model (`xu-A` cascade) with 1 and 2 threads.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sxforge::design::sweep::{run_cases, Sweep};
use sxforge::model::load::load_file;

fn sweep_throughput(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/prnd-sweep.toml");
    let src = std::fs::read_to_string(&path).unwrap();
    let (cascade, raw) = sxforge::model::load::parse_str_with_extras(&src, None).unwrap();
    let _ = load_file(&path).unwrap();
    let sweep = Sweep::new(&cascade, raw.sweep.as_ref().unwrap()).unwrap();
    let cases = 2000.min(sweep.cases.len());
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.warm_up_time(std::time::Duration::from_secs(1));
    g.measurement_time(std::time::Duration::from_secs(3));
    g.throughput(Throughput::Elements(cases as u64));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        g.bench_function(format!("prnd_{cases}_cases_{threads}_threads"), |b| {
            b.iter(|| pool.install(|| run_cases(&sweep, 0..cases, &|| {})))
        });
    }
    g.finish();
}

criterion_group!(benches, sweep_throughput);
criterion_main!(benches);
