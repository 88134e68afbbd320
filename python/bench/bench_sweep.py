"""Python against the CLI: a 10,000-case sweep, and the per-call overhead.

Run from the repository root with the package installed and the release CLI
built (`cargo build --release`); the figures in docs/python.md come from

    python python/bench/bench_sweep.py --repeat 5 --calls 2000 --batches 21

1. `models/prnd-sweep.toml` (10,000 Latin-hypercube cases): the CLI
   (`sxforge sweep FILE -o FILE`, process start included), `sxforge.sweep`
   with `client=None` (this process; 1 shard, and 4 shards on local
   threads) and on a 2-worker `LocalCluster` (1 thread each; worker threads
   and worker processes), each with `df.to_csv(FILE)`, whose bytes are
   checked against the CLI's (and `to_csv` alone). Median (and min) wall
   time of `--repeat` runs, and the CPU time of this process and its
   children per run (Dask worker processes are not children: their CPU
   time is not in the figure).
2. Per-call overhead of one solve of `models/prnd.toml` and of a 2 + 2
   stage cascade: Rust alone (`_native._time_solves`, one reused solver,
   cold starts) against `Solver(warm=False).solve(model)` (the same work
   through Python) and `simulate(model)` (a new solver workspace per
   call), in interleaved batches of `--calls` calls, each timed by wall
   clock and by this thread's CPU time; the median over `--batches`
   batches per call, and the median of the paired differences to Rust.

The machine's load (`os.getloadavg`) is printed before and after: on a
shared machine the wall times carry other processes' load, the thread CPU
times much less so.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sxforge
from sxforge import _native

ROOT = Path(__file__).resolve().parents[2]
SWEEP = ROOT / "models" / "prnd-sweep.toml"
PRND = ROOT / "models" / "prnd.toml"


def cpu_now():
    """CPU seconds of this process and its waited-for children."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def timed(f, repeat):
    """(median wall, min wall, median CPU) of `repeat` runs of f, in s."""
    walls, cpus = [], []
    for _ in range(repeat):
        c, t = cpu_now(), time.perf_counter()
        f()
        walls.append(time.perf_counter() - t)
        cpus.append(cpu_now() - c)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def load():
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5, help="runs of each sweep")
    ap.add_argument("--calls", type=int, default=2000, help="solves per overhead batch")
    ap.add_argument("--batches", type=int, default=21, help="overhead batches")
    ap.add_argument("--no-sweep", action="store_true", help="only the per-call overhead")
    ap.add_argument("--no-overhead", action="store_true", help="only the sweeps")
    args = ap.parse_args()
    exe = os.environ.get("SXFORGE_BIN", str(ROOT / "target" / "release" / "sxforge"))
    tmp = Path(tempfile.mkdtemp())
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, sxforge {sxforge.__version__}")
    print("before:", load())
    if not args.no_sweep:
        sweeps(exe, tmp, args.repeat)
    if not args.no_overhead:
        overhead(args)
    print("after:", load())


def sweeps(exe, tmp, repeat):
    print(f"\n10,000-case sweep (models/prnd-sweep.toml), {repeat} runs each: "
          "median wall, min wall, median CPU (process + children)")
    rows = []
    cli_out = tmp / "cli.csv"
    rows.append(("CLI: sxforge sweep FILE -o FILE", timed(lambda: subprocess.run(
        [exe, "sweep", str(SWEEP), "-o", str(cli_out)], check=True), repeat)))
    expected = cli_out.read_bytes()
    same = {}

    def py(name, **kw):
        out = tmp / f"{name}.csv"
        rows.append((f"sxforge.sweep({', '.join(f'{k}={v}' for k, v in kw.items())}) + to_csv",
                     timed(lambda: sxforge.sweep(SWEEP, **kw).to_csv(out), repeat)))
        same[name] = out.read_bytes() == expected

    py("none-1", client=None)
    py("none-4", client=None, shards=4)
    df = sxforge.sweep(SWEEP)
    rows.append(("  of which df.to_csv(FILE) alone (CLI number formats)",
                 timed(lambda: df.to_csv(tmp / "again.csv"), repeat)))
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover
        LocalCluster = None
    if LocalCluster is not None:
        for processes in (False, True):
            kind = "processes" if processes else "threads"
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                sxforge.sweep(SWEEP, client=client)  # warm the workers (import, first task)
                out = tmp / f"dask-{kind}.csv"
                rows.append((f"LocalCluster(2 workers, {kind}), 2 shards + to_csv",
                             timed(lambda: sxforge.sweep(SWEEP, client=client).to_csv(out), repeat)))
                same[f"dask-{kind}"] = out.read_bytes() == expected
    for name, (med, lo, cpu) in rows:
        print(f"  {name:<58} {med:7.3f} s  (min {lo:6.3f}, CPU {cpu:6.3f} s)")
    print(f"  CSV identical to the CLI's: {all(same.values())} ({', '.join(same)})")


# A 2 + 2 stage cascade: its solve takes a few microseconds, so the
# difference Python - Rust is not buried in the solve's own jitter.
TINY = {
    "name": "tiny",
    "components": ["A", "B"],
    "chemistry": {"model": "separation-factor", "beta": {"A": 1.0, "B": 2.0}},
    "cascade": {"extraction": 2, "scrub": 2},
    "feed": {"phase": "aqueous", "amount": {"A": 0.5, "B": 0.5}},
    "flows": {"extraction_amount": 1.0, "scrub_amount": 0.6},
}


def overhead(args):
    n, b = args.calls, args.batches
    print(f"\nPer-call time of one solve: {b} interleaved batches of {n} calls (order "
          "rotated per batch), median per call (wall | thread CPU); overhead: median over "
          "batches of (Python - Rust) per call")
    for label, source in (("models/prnd.toml (37 stages)", PRND), ("2 + 2 stages", TINY)):
        overhead_of(label, sxforge.load(source), n, b)
    model = sxforge.load(PRND)
    r1 = sxforge.simulate(model)
    reps = 2000
    t = time.perf_counter()
    for _ in range(reps):
        sxforge.simulate(PRND)
    print(f"  simulate('models/prnd.toml') (reads, parses) {(time.perf_counter() - t) / reps * 1e6:8.2f} us wall")
    t = time.perf_counter()
    for _ in range(reps):
        r1.to_dict()
    print(f"  Result.to_dict()                           {(time.perf_counter() - t) / reps * 1e6:8.2f} us wall")


def overhead_of(label, model, n, b):
    solver = sxforge.Solver(warm=False)
    assert solver.solve(model).converged
    rust = "Rust: reused solver, cold start"
    cases = {
        rust: lambda: _native._time_solves(model, n),
        "Python: Solver(warm=False).solve(model)": lambda: [solver.solve(model) for _ in range(n)],
        "Python: simulate(model)": lambda: [sxforge.simulate(model) for _ in range(n)],
    }
    keys = list(cases)
    wall = {k: [] for k in keys}
    cpu = {k: [] for k in keys}
    for i in range(b):
        for k in keys[i % 3:] + keys[:i % 3]:
            c, t = time.thread_time(), time.perf_counter()
            cases[k]()
            wall[k].append((time.perf_counter() - t) / n * 1e6)
            cpu[k].append((time.thread_time() - c) / n * 1e6)
    print(f"  {label}:")
    for k in keys:
        w, c = statistics.median(wall[k]), statistics.median(cpu[k])
        extra = ""
        if k != rust:
            dw = statistics.median(x - y for x, y in zip(wall[k], wall[rust]))
            dc = statistics.median(x - y for x, y in zip(cpu[k], cpu[rust]))
            extra = f"   overhead +{dw:5.2f} | +{dc:5.2f} us"
        print(f"    {k:<42} {w:8.2f} | {c:8.2f} us{extra}")


if __name__ == "__main__":
    main()
