"""Python against the CLI: a 10,000-case sweep, and the per-call overhead.

Run from the repository root with the package installed and the release CLI
built (`cargo build --release`):

    python python/bench/bench_sweep.py [--repeat 3] [--no-sweep]

1. `models/prnd-sweep.toml` (10,000 Latin-hypercube cases): the CLI
   (`sxforge sweep ... -o FILE`, process start included), `sxforge.sweep`
   in this process (1 shard; 4 shards on local threads), and on a 2-worker
   `LocalCluster` (threads; and processes), each with and without writing
   the CSV. The best of `--repeat` runs.
2. Per-call overhead of one solve of `models/prnd.toml`: Rust alone
   (`_time_solves`, a reused solver) against `Solver(warm=False).solve`
   and `simulate` on a parsed `Model`: interleaved batches timed by
   thread CPU time, the fastest of `--batches`.
"""

import argparse
import os
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


def best(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--batches", type=int, default=7)
    ap.add_argument("--no-sweep", action="store_true", help="only the per-call overhead")
    args = ap.parse_args()
    exe = os.environ.get("SXFORGE_BIN", str(ROOT / "target" / "release" / "sxforge"))
    tmp = Path(tempfile.mkdtemp())
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, sxforge {sxforge.__version__}")

    if not args.no_sweep:
        sweeps(exe, tmp, args.repeat)
    overhead(args)


def sweeps(exe, tmp, repeat):
    print("\n10,000-case sweep (models/prnd-sweep.toml), best of", repeat)
    rows = []
    rows.append(("CLI: sxforge sweep -o FILE", best(lambda: subprocess.run(
        [exe, "sweep", str(SWEEP), "-o", str(tmp / "cli.csv")], check=True), repeat)))
    rows.append(("sxforge.sweep_csv (text, 1 shard)", best(lambda: sxforge.sweep_csv(SWEEP), repeat)))
    rows.append(("sxforge.sweep, no client, 1 shard", best(lambda: sxforge.sweep(SWEEP), repeat)))
    rows.append(("sxforge.sweep, no client, 4 shards", best(lambda: sxforge.sweep(SWEEP, shards=4), repeat)))
    rows.append(("  + df.to_csv(FILE)", best(lambda: sxforge.sweep(SWEEP, shards=4).to_csv(tmp / "py.csv"), repeat)))
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
                rows.append((f"LocalCluster 2 workers ({kind}), 2 shards",
                             best(lambda: sxforge.sweep(SWEEP, client=client), repeat)))
                rows.append((f"LocalCluster 2 workers ({kind}), 8 shards",
                             best(lambda: sxforge.sweep(SWEEP, client=client, shards=8), repeat)))
                rows.append(("  + df.to_csv(FILE)", best(lambda: sxforge.sweep(
                    SWEEP, client=client).to_csv(tmp / "dask.csv"), repeat)))
        same = (tmp / "dask.csv").read_bytes() == (tmp / "cli.csv").read_bytes()
        print(f"(Dask CSV identical to the CLI's: {same})")
    for name, t in rows:
        print(f"  {name:<44} {t:7.3f} s")



def overhead(args):
    print(f"\nPer-call overhead, one solve of models/prnd.toml: {args.calls} calls per batch, "
          f"batches interleaved, fastest of {args.batches}")
    model = sxforge.load(PRND)
    n = args.calls
    rust, py_solver, py_sim = [], [], []
    solver = sxforge.Solver(warm=False)
    # CPU time of this thread: the solves run on the calling thread, and
    # thread time is not inflated by other processes on a shared machine.
    clock = time.thread_time
    for _ in range(args.batches):
        t = clock()
        _native._time_solves(model, n)
        rust.append((clock() - t) / n)
        t = clock()
        for _ in range(n):
            solver.solve(model)
        py_solver.append((clock() - t) / n)
        t = clock()
        for _ in range(n):
            sxforge.simulate(model)
        py_sim.append((clock() - t) / n)
    r, s, m = (min(x) * 1e6 for x in (rust, py_solver, py_sim))
    print(f"  Rust solve (reused solver)          {r:8.2f} us")
    print(f"  Solver(warm=False).solve(model)     {s:8.2f} us  (+{s - r:.2f} us)")
    print(f"  simulate(model)                     {m:8.2f} us  (+{m - r:.2f} us, new workspace per call)")
    t = time.perf_counter()
    for _ in range(2000):
        sxforge.simulate(PRND)
    f = (time.perf_counter() - t) / 2000 * 1e6
    print(f"  simulate('models/prnd.toml')        {f:8.2f} us  (reads and parses the file each call)")
    r1 = sxforge.simulate(model)
    t = time.perf_counter()
    for _ in range(2000):
        r1.to_dict()
    print(f"  Result.to_dict()                    {(time.perf_counter() - t) / 2000 * 1e6:8.2f} us")


if __name__ == "__main__":
    main()
