"""A sensitivity sweep of the Pr/Nd cascade on a Dask cluster.

Run from the repository root after installing the package (README, "From
Python"):

    pip install "dask[distributed]"
    python python/examples/dask_sweep.py [models/prnd-sweep.toml] [sweep.csv]

`sxforge.sweep` splits the model's [sweep] table into shards (the CLI's
`--shard i/n`: results do not depend on the split), sends one task per shard
to the cluster (the model travels as TOML text; workers need the sxforge
package, not the file) and returns the table as a pandas DataFrame whose
`to_csv(path)` writes the bytes of `sxforge sweep FILE`.

The same code runs on a batch cluster or on Kubernetes: only the cluster
object changes.

    # Slurm (pip install dask-jobqueue); PBS, SGE, LSF alike
    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=32, processes=1, memory="16GB",
                           walltime="00:30:00", queue="normal")
    cluster.scale(jobs=8)                    # 8 nodes, 32 cores each

    # Kubernetes (pip install dask-kubernetes; an image with sxforge in it)
    from dask_kubernetes.operator import KubeCluster
    cluster = KubeCluster(name="sxforge", image="registry.example/sxforge:0.1",
                          n_workers=8, resources={"limits": {"cpu": "16"}})

Use one process per node (`processes=1`, or `--nworkers 1` for
`dask worker`) with all its cores as threads: each shard solves its cases on
all cores with the GIL released, so threads are as good as processes and
cheaper. `shards` defaults to the cluster's total threads; a few shards per
worker balance uneven solve times.
"""

import sys
import time

from dask.distributed import Client, LocalCluster

import sxforge


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else "models/prnd-sweep.toml"
    out = sys.argv[2] if len(sys.argv) > 2 else "sweep.csv"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t = time.perf_counter()
        df = sxforge.sweep(model, client=client)
        dt = time.perf_counter() - t
        where = f"{len(client.nthreads())} workers, {sum(client.nthreads().values())} threads"
    print(f"{len(df)} cases in {dt:.2f} s on {where}")
    ok = df[df["status"] == "converged"]
    print(f"{len(ok)} converged; Nd purity in the loaded organic from "
          f"{ok['loaded_organic.purity.Nd'].min():.6f} to {ok['loaded_organic.purity.Nd'].max():.6f}")
    # the cases that meet both targets, cheapest scrub flow first
    good = ok[(ok["loaded_organic.purity.Nd"] >= 0.995) & (ok["raffinate.purity.Pr"] >= 0.99)]
    cols = ["flows.extraction_amount", "flows.scrub_amount", "chemistry.beta.Nd",
            "cascade.scrub", "loaded_organic.purity.Nd", "raffinate.purity.Pr"]
    print(good.sort_values("flows.scrub_amount")[cols].head().to_string())
    df.to_csv(out)  # the same bytes as `sxforge sweep MODEL -o OUT`
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
