"""The Python reference for issue 13: a banded NumPy/SciPy Newton.

The stage solver's speed is judged against the fastest Python Newton we
know for the separation-factor model (shared/design/benchmarks.md): damped
Newton on log aqueous outflows with the analytic block Jacobian, the
residual relative to each stage's inflow, and a banded LU
(`scipy.linalg.solve_banded`), from the flat profile (the feed composition
in every stage). This script implements it for the three standard
cascades, times it, and with `--criterion` also runs the Rust benches
(`cargo bench --bench stage_solver -- standard/cold`) in the same run and
prints the ratios, so the two figures come from one machine at one time.

    python python/bench/numpy_newton.py --repeat 200 --criterion

Needs NumPy and SciPy (not part of the package's dependencies; `pip
install numpy scipy`). Run from anywhere; `--criterion` runs cargo in the
repository root.

Model (docs in the README, shared/design/chemistry.md): stages j = 1..N in
organic-flow order, extraction 1..n with the aqueous feed (RE flow 1) into
stage n, scrub n+1..N; every stage passes organic RE S, the last scrub
stage S - W (the reflux W folded in: its aqueous inflow is zero). With the
aqueous outflows a_jk as unknowns (u = ln a), the organic is explicit,
o_jk = O_j beta_k a_jk / sum_i beta_i a_ji, and the balances are

    r_jk = a_{j+1,k} + o_{j-1,k} + F_jk - a_jk - o_jk = 0.

Converged: every |r_jk| at most 1e-12 of that component's inflow to the
stage (the same test as sxforge's). Each iteration solves J du = -r by
banded LU (lower bandwidth 2K - 1, upper K), limits the step to 1 in every
ln a and halves it until the inflow-scaled sum of squares falls (Armijo).
From the flat profile this takes 11, 14 and 80 iterations on xu-A, xu-D
and six-120 (the reference figures in shared/design/benchmarks.md: 15, 14
and 36), so the time per iteration is printed too.
"""

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
from scipy.linalg import solve_banded

ROOT = Path(__file__).resolve().parents[2]

# shared/design/benchmarks.md (and tests/common/fixtures.rs)
CASCADES = {
    "xu-A": ([1.0, 1.5], [0.25, 0.75], 17, 20, 4.0940, 3.3428),
    "xu-D": ([1.0, 1.55], [0.6287, 0.3713], 33, 28, 2.5668, 2.1956),
    "six-120": (
        [1.0, 1.5, 2.2, 3.3, 5.0, 7.5],
        [1.0 / 6.0] * 6,
        60,
        60,
        2.7247,
        2.2247,
    ),
}


class Cascade:
    """One separation-factor cascade and the index arrays of its banded
    Jacobian (built once, as a user sweeping designs would)."""

    def __init__(self, beta, feed, n, m, s, w):
        self.beta = np.asarray(beta, float)
        self.k = k = len(beta)
        self.n_st = nst = n + m
        self.feed = np.zeros((nst, k))
        self.feed[n - 1] = np.asarray(feed, float)
        # organic RE outflow of each stage, aqueous RE outflow totals
        self.org = np.full(nst, s)
        self.org[-1] = s - w
        aq = np.empty(nst)
        aq[n:] = w
        aq[: n] = w + 1.0
        aq[0] = w + 1.0 - s
        self.aq = aq
        self.lower, self.upper = 2 * k - 1, k
        # banded storage ab[upper + r - c, c] = J[r, c]; the three kinds of
        # entries: diagonal blocks (full), lower blocks (full), upper
        # blocks (diagonal)
        r = np.arange(nst * k).reshape(nst, k)
        rows = np.repeat(r[:, :, None], k, axis=2)  # (N, K, K): row of J
        cols = np.repeat(r[:, None, :], k, axis=1)  # column of J
        width = nst * k
        band = self.lower + self.upper + 1

        def flat(rw, cl):
            return ((self.upper + rw - cl) * width + cl).ravel()

        self.diag_at = flat(rows, cols)
        self.low_at = flat(rows[1:], cols[:-1])
        self.up_at = flat(r[:-1], r[1:])
        self.ab = np.zeros((band, width))
        self.eye = np.eye(k)

    def flat_start(self):
        """ln of the feed composition times each stage's aqueous total."""
        f = self.feed.sum(axis=0)
        return np.log(self.aq[:, None] * (f / f.sum())[None, :])

    def evaluate(self, u):
        """Residuals, inflows and the pieces the Jacobian needs."""
        a = np.exp(u)
        ba = a * self.beta
        o = self.org[:, None] * ba / ba.sum(axis=1, keepdims=True)
        inflow = self.feed.copy()
        inflow[:-1] += a[1:]
        inflow[1:] += o[:-1]
        r = inflow - a - o
        return r, inflow, a, o

    def jacobian(self, a, o):
        """The banded Jacobian d r / d u into self.ab (entries outside the
        blocks' pattern stay zero)."""
        eye = self.eye
        share = o / self.org[:, None]  # o_ji / O_j
        # diagonal block: -delta a - o_k (delta - o_i / O)
        diag = -(eye * a[:, :, None]) - o[:, :, None] * (eye - share[:, None, :])
        # lower block (stage j, unknowns of j - 1): o_{j-1,k} (delta - share)
        low = o[:-1, :, None] * (eye - share[:-1, None, :])
        flat = self.ab.reshape(-1)
        flat[self.diag_at] = diag.ravel()
        flat[self.low_at] = low.ravel()
        # upper block (stage j, unknowns of j + 1): a_{j+1,k} on the diagonal
        flat[self.up_at] = a[1:].ravel()
        return self.ab

    def solve(self, tol=1e-12, max_iter=300, max_log_step=1.0):
        """Damped Newton from the flat profile: (u, iterations, converged).

        Each step is first shortened so that no ln a moves by more than
        `max_log_step` (without it the six-component cascade overflows
        `exp` on its first steps), then halved until the sum of squared
        imbalances, each scaled by its inflow at the current iterate,
        falls by Armijo's rule (scaling fixed within the line search, so
        the Newton step is a descent direction for it)."""
        u = self.flat_start()
        r, inflow, a, o = self.evaluate(u)
        for it in range(1, max_iter + 1):
            ab = self.jacobian(a, o)
            du = solve_banded(
                (self.lower, self.upper),
                ab,
                -r.ravel(),
                check_finite=False,
            ).reshape(u.shape)
            scale = 1.0 / inflow
            merit = np.sum((r * scale) ** 2)
            step = min(1.0, max_log_step / np.max(np.abs(du)))
            for _ in range(40):
                trial = u + step * du
                r_t, in_t, a_t, o_t = self.evaluate(trial)
                if np.sum((r_t * scale) ** 2) < (1.0 - 1e-4 * step) * merit:
                    break
                step *= 0.5
            else:
                return u, it, False
            u, r, inflow, a, o = trial, r_t, in_t, a_t, o_t
            if np.max(np.abs(r) / inflow) <= tol:
                return u, it, True
        return u, max_iter, False


def time_numpy(repeat):
    """Median wall time (s) of `repeat` cold solves per cascade."""
    out = {}
    for name, args in CASCADES.items():
        cas = Cascade(*args)
        u, its, ok = cas.solve()
        if not ok:
            raise SystemExit(f"{name}: the NumPy Newton did not converge")
        a = np.exp(u)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            cas.solve()
            times.append(time.perf_counter() - t0)
        raff = a[0] / a[0].sum()
        out[name] = (statistics.median(times), min(times), its, raff)
    return out


def criterion_medians():
    """Run the Rust cold benches and read criterion's median estimates (s)."""
    subprocess.run(
        [
            "cargo",
            "bench",
            "--bench",
            "stage_solver",
            "--",
            "standard/cold",
            "--warm-up-time",
            "2",
            "--measurement-time",
            "5",
        ],
        cwd=ROOT,
        check=True,
    )
    med = {}
    for name in CASCADES:
        est = ROOT / "target" / "criterion" / "standard" / "cold" / name / "new"
        data = json.loads((est / "estimates.json").read_text())
        med[name] = data["median"]["point_estimate"] * 1e-9
    return med


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=200, help="solves timed per cascade")
    p.add_argument(
        "--criterion",
        action="store_true",
        help="also run the Rust cold benches now and print the ratios",
    )
    args = p.parse_args()
    rust = criterion_medians() if args.criterion else None
    py = time_numpy(args.repeat)
    print(f"{'cascade':10} {'NumPy median':>13} {'(min)':>10} {'its':>4}  raffinate composition")
    for name, (med, lo, its, raff) in py.items():
        comp = ", ".join(f"{x:.6g}" for x in raff)
        print(f"{name:10} {med * 1e3:10.3f} ms {lo * 1e3:7.3f} ms {its:4d}  {comp}")
    if rust:
        print()
        print(f"{'cascade':10} {'sxforge cold':>13} {'NumPy':>11} {'ratio':>8}")
        for name, (med, _, _, _) in py.items():
            print(
                f"{name:10} {rust[name] * 1e6:10.1f} us {med * 1e3:8.3f} ms"
                f" {med / rust[name]:7.0f}x"
            )


if __name__ == "__main__":
    main()
