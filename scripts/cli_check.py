#!/usr/bin/env python3
"""Independent check of `sxforge simulate FILE --json` on random models.

Writes random cascade models (TOML) from the issue's ranges and the model
format (shared design: model-format.md, chemistry.md; docs/chemistry.md for
the rigorous models' keys), runs the CLI on each, one process at a time,
and checks the JSON against the stage equations, from the JSON alone plus
the model that was written. Standard library only. The generator is written
from the documents, not from the Rust generators (src/solver/robust_gen.rs).

Usage:
    python3 scripts/cli_check.py --model mass-action -n 200 --seed 1 \
        --bin target/release/sxforge

Options:
    --model M     separation-factor | constant-d | mass-action | log-linear |
                  difflow (the issue's saponified benchmark, 2 and 6
                  components at 37, 120, 300 stages) | all (default all)
    -n N          cases per model (default 100)
    --seed S      first seed; case i of model M uses seed S + i (default 0)
    --bin PATH    the sxforge binary (default target/release/sxforge)
    --timeout T   seconds per CLI run (default 30)
    --out DIR     failing or suspicious cases are saved here as
                  DIR/<model>-<seed>.toml with .json/.txt output
                  (default: not saved)
    --tol X       relative tolerance of the equation checks (default 1e-6)
    --slow S      a case over S seconds is suspicious (default 1.0)
    --case SEED   run one case (with --model) and print its checks
    --write FILE  with --case: write the case's TOML to FILE and stop
    --quiet       print only the summary
    --capped E    log-linear only: each case as drawn, then every metal
                  whose distribution ratio ignores the loading or grows
                  as the extractant is used up (a constant D, a fit with
                  b1 < E, any fit under fixed_dose) given the dose slope
                  b1 = E, its intercept moved so that D at the model's
                  dose is unchanged, and fixed_dose dropped: every D then
                  falls as the free extractant does, so no steady state
                  is lost to a saturated extractant (round 37: most
                  failures as drawn have none with extractant free). The
                  acid can still starve: a metal whose D ignores the pH
                  (m0 = m1 = 0) can need more acid to reach its D in the
                  scrub's aqueous than the scrub brings (round 40: 3373
                  and 5063 capped, starved near 0.67 and 0.725 of their
                  feeds). The seeds' draws are the same.

What is checked for exit 0 (see check()):
    * no null / NaN / inf / negative amount or concentration;
    * purity = amount / stream total; recovery = amount / total inflow,
      in [0, 1], summing to 1 over the product streams per component;
    * each stream's amount against its stage's outflow (volumetric: flow x
      concentration);
    * every stage's equilibrium:
        separation-factor: o_k / a_k = lambda_j beta_k (one lambda per
          stage), sum_k o_k = S (S + F after an organic feed, last scrub
          stage S - W or S + F - W);
        constant-d: y = D x (per-section D);
        mass-action: y/x = K [(HA)2]^a / [H+]^b with [H+] = 10^-pH and
          [(HA)2] from the exchangeable-hydrogen balance marched from
          stage 1 (fresh organic (1 - s) C exchangeable H), then
          (G_j - sum z y)/2; the ratio (y/x)_k / K_k is also checked to be
          one value per stage (this part needs no [(HA)2]);
        log-linear: log10 D = (m0 + m1 dose) pH + b0 + b1 log10 dose with
          dose = (C - sum e y) / molarity_per_percent (or the nominal dose
          with fixed_dose), constant D where given;
    * every stage's component balance (its inflows from the neighbours and
      inlets against its outflows), relative to the stage's throughput of
      that component, and the whole-cascade balance per component.
Where the JSON carries them (round 30 on), the stages' `acid`,
`free_extractant`, `counter_ion` and `organic_counter_ion` are checked too:
acid against 10^-pH, the marched free extractant against the reported one,
the extractant balance free + NA + sum 2 z y = C, NA = K_N [N+]
sqrt(free/2) / [H+], and D with the reported free extractant (also where an
organic feed or inlet leaves the march without a start).
Numbers in the JSON are printed with Rust's shortest round-trip form, so
every double is read back exactly; the checks' own rounding is ~1e-14
relative (pH -> [H+] loses ln(10) * 1e-16 * |pH| absolute in ln [H+]).
Components below 1e-250 mol/L in either phase are skipped in the
equilibrium check (no relative accuracy left in the ratio).
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

ELEMENTS = ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er",
            "Tm", "Yb", "Lu", "Y"]


# ---------------------------------------------------------------- TOML out
def tval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        r = repr(v)
        if "e" in r and "." not in r.split("e")[0]:
            m, e = r.split("e")
            r = m + ".0e" + e
        return r
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{ " + ", ".join("%s = %s" % (k, tval(x)) for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(tval(x) for x in v) + "]"
    raise TypeError(v)


def to_toml(m):
    """m: dict; top-level scalars first, then tables (nested dicts of dicts)."""
    out = []
    for k, v in m.items():
        if not (isinstance(v, dict) and k in TABLES):
            out.append("%s = %s" % (k, tval(v)))

    def table(prefix, d):
        out.append("")
        out.append("[%s]" % prefix)
        subs = []
        for k, v in d.items():
            if isinstance(v, dict) and k in SUBTABLES:
                subs.append((k, v))
            else:
                out.append("%s = %s" % (k, tval(v)))
        for k, v in subs:
            if k == "fit":
                for c, f in v.items():
                    table("%s.fit.%s" % (prefix, c), f)
            else:
                table("%s.%s" % (prefix, k), v)

    for k, v in m.items():
        if isinstance(v, dict) and k in TABLES:
            table(k, v)
    return "\n".join(out) + "\n"


TABLES = {"chemistry", "cascade", "feed", "flows", "scrub", "strip", "organic", "solver"}
SUBTABLES = {"strip", "fit"}


# ---------------------------------------------------------------- generators
def logu(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def ncomp(rng, lo, hi, mostly=(2, 6)):
    if rng.random() < 0.7:
        return rng.randint(mostly[0], min(mostly[1], hi))
    return rng.randint(lo, hi)


def stages(rng, lo, hi):
    r = rng.random()
    if r < 0.1:
        return lo if lo > 0 else 1
    if r < 0.5:
        return rng.randint(max(lo, 1), min(hi, 30))
    return rng.randint(max(lo, 1), hi)


def gen_sf(rng):
    k = rng.randint(2, 8)
    comps = ELEMENTS[:k]
    beta, b = {}, 1.0
    for c in comps:
        beta[c] = round(b, 6)
        b *= logu(rng, 1.05, 6.0) if rng.random() < 0.8 else rng.choice([1.05, 1.2, 1.5, 2.0])
    feed = {c: float("%.6g" % logu(rng, 1e-3, 1.0)) for c in comps}
    ftot = sum(feed.values())
    n = stages(rng, 1, 200)
    m = stages(rng, 1, 200)
    phase = "aqueous" if rng.random() < 0.7 else "organic"
    u = rng.uniform(0.02, 0.98) if rng.random() < 0.85 else rng.choice([1e-4, 1 - 1e-4, 0.001, 0.999])
    p = u * ftot
    if phase == "aqueous":
        w = logu(rng, 0.01, 10.0) * ftot
        s = p + w
    else:
        s = logu(rng, 0.01, 10.0) * ftot
        w = s + p
    mdl = {
        "name": "sf random",
        "components": comps,
        "chemistry": {"model": "separation-factor", "beta": beta},
        "cascade": {"extraction": n, "scrub": m},
        "feed": {"phase": phase, "amount": feed},
        "flows": {"extraction_amount": float("%.10g" % s), "scrub_amount": float("%.10g" % w)},
    }
    return mdl


def gen_cd(rng):
    k = rng.randint(1, 6)
    comps = ELEMENTS[:k]
    d = {c: float("%.5g" % logu(rng, 0.01, 100.0)) for c in comps}
    n = stages(rng, 1, 60)
    m = stages(rng, 0, 60) if rng.random() < 0.8 else 0
    kk = stages(rng, 1, 20) if rng.random() < 0.4 else 0
    phase = "organic" if (m > 0 and rng.random() < 0.2) else "aqueous"
    chem = {"model": "constant-d", "d": d}
    if kk and rng.random() < 0.7:
        chem["strip"] = {"d": {c: float("%.5g" % (v * logu(rng, 1e-4, 1e-1))) for c, v in d.items()}}
    mdl = {
        "name": "cd random",
        "components": comps,
        "chemistry": chem,
        "cascade": {"extraction": n, "scrub": m, "strip": kk},
        "feed": {"phase": phase, "flow": float("%.5g" % logu(rng, 0.1, 100.0)),
                 "concentration": {c: float("%.5g" % logu(rng, 1e-4, 1.0)) for c in comps}},
        "flows": {"organic": float("%.5g" % logu(rng, 0.1, 100.0))},
    }
    if m:
        mdl["flows"]["scrub"] = float("%.5g" % logu(rng, 0.1, 100.0))
    if kk:
        mdl["flows"]["strip"] = float("%.5g" % logu(rng, 0.1, 100.0))
    if rng.random() < 0.3:
        mdl["organic"] = {"concentration": {comps[0]: float("%.3g" % logu(rng, 1e-8, 1e-2))}}
    if m and rng.random() < 0.3:
        mdl["scrub"] = {"concentration": {comps[-1]: float("%.3g" % logu(rng, 1e-6, 1e-1))}}
    if kk and rng.random() < 0.2:
        mdl["strip"] = {"concentration": {comps[0]: float("%.3g" % logu(rng, 1e-8, 1e-3))}}
    return mdl


def acid_ph(rng):
    """An acid from pH 3 to 6 mol/L."""
    return float("%.4g" % logu(rng, 1e-3, 6.0))


def gen_ma(rng):
    k = ncomp(rng, 1, 15)
    comps = ELEMENTS[:k]
    # log10 K spacings from tiny (1.05) to large
    spacing_mode = rng.random()
    lk, v = {}, rng.uniform(-3.0, 1.5)
    for c in comps:
        lk[c] = round(v, 6)
        if spacing_mode < 0.2:
            v += math.log10(1.05)
        elif spacing_mode < 0.3:
            v += math.log10(logu(rng, 3.0, 20.0))
        else:
            v += math.log10(logu(rng, 1.05, 5.0))
    chem = {"model": "mass-action", "log10_k": lk}
    sap = 0.0 if rng.random() < 0.35 else round(rng.uniform(0.05, 0.6), 4)
    if rng.random() < 0.5:
        chem["a"] = 3.0
        chem["b"] = 3.0
    elif rng.random() < 0.5:
        a = round(rng.uniform(1.5, 3.5), 3)
        b = round(rng.uniform(1.5, min(3.5, 2 * a)), 3)
        chem["a"] = a
        chem["b"] = b
    # charges: mostly 3, sometimes 2 and 3 in one cascade
    if rng.random() < 0.25:
        ch = {c: rng.choice([2, 3]) for c in comps}
        chem["charge"] = ch
    else:
        ch = {c: 3 for c in comps}
        if rng.random() < 0.3:
            chem["charge"] = dict(ch)
    cext = round(logu(rng, 0.1, 3.0), 4) if rng.random() < 0.85 else rng.choice([3.0, 4.0, 5.0])
    chem["extractant"] = cext
    if sap > 0:
        chem["saponification"] = sap
        if rng.random() < 0.7:
            chem["counter_ion"] = rng.choice(["NH4", "Na"])
        if rng.random() < 0.4:
            chem["log10_k_ion"] = round(rng.uniform(-6.0, -2.0), 3)
    n = stages(rng, 1, 300)
    m = stages(rng, 1, 300) if rng.random() < 0.7 else 0
    kk = stages(rng, 1, 30) if rng.random() < 0.35 else 0
    fflow = 1.0
    sflow = float("%.4g" % logu(rng, 0.05, 2.0)) if m else 0.0
    oa = logu(rng, 0.5, 4.0)
    oflow = float("%.5g" % (oa * (fflow + sflow)))
    zmean = sum(ch.values()) / k
    load = rng.uniform(0.05, 0.99)
    # metal fed per h = load x capacity carried by the organic per h
    ctot = load * oflow * cext / (2.0 * zmean) / fflow
    fr = [logu(rng, 0.05, 1.0) for _ in comps]
    st = sum(fr)
    feed_acid = acid_ph(rng) if rng.random() < 0.8 else rng.choice([0.0, 1e-6, 1e-4])
    mdl = {
        "name": "ma random",
        "components": comps,
        "chemistry": chem,
        "cascade": {"extraction": n, "scrub": m, "strip": kk},
        "feed": {"phase": "aqueous", "flow": fflow,
                 "concentration": {c: float("%.5g" % (ctot * f / st)) for c, f in zip(comps, fr)},
                 "acid": feed_acid},
        "flows": {"organic": oflow},
    }
    if m:
        mdl["scrub"] = {"acid": float("%.4g" % rng.uniform(0.2, 6.0))}
        mdl["flows"]["scrub"] = sflow
        if rng.random() < 0.1:  # scrub made of product liquor
            mdl["scrub"]["concentration"] = {comps[-1]: float("%.3g" % logu(rng, 1e-4, 0.05))}
        if rng.random() < 0.1:  # a pre-loaded organic feed into stage n + 1
            mdl["feed"]["phase"] = "organic"
            c2 = load * cext / (2.0 * zmean)
            # with mixed charges the mean charge can understate what the
            # metals bind (seed 7742: 0.378 mol/L HA of 0.3647); such a
            # draw is held to the load it was meant to have (other draws
            # unchanged)
            bound = sum(2.0 * ch[c] * c2 * f / st for c, f in zip(comps, fr))
            if bound >= cext:
                c2 *= load * cext / bound
            mdl["feed"]["concentration"] = {c: float("%.5g" % (c2 * f / st)) for c, f in zip(comps, fr)}
    if kk:
        mdl["strip"] = {"acid": float("%.4g" % rng.uniform(3.0, 6.0))}
        mdl["flows"]["strip"] = float("%.4g" % logu(rng, 0.1, 2.0))
    if rng.random() < 0.05:  # a recycled organic still carrying metal
        mdl["organic"] = {"concentration": {comps[-1]: float("%.3g" % logu(rng, 1e-8, 1e-3))}}
    return mdl


def gen_difflow(rng, idx):
    """The issue's saponified benchmark: idx 0..5 -> (2 or 6 comps) x (37, 120, 300)."""
    six = idx % 2 == 1
    n = [37, 120, 300][(idx // 2) % 3]
    if six:
        comps = ["La", "Ce", "Pr", "Nd", "Sm", "Gd"]
        lk = {c: math.log10(x) for c, x in zip(comps, [1, 1.5, 2.2, 3.3, 5, 7.5])}
        conc = {c: 0.2 / 6 for c in comps}
    else:
        comps = ["Pr", "Nd"]
        lk = {"Pr": 0.0, "Nd": math.log10(1.5)}
        conc = {"Pr": 0.05, "Nd": 0.15}
    oflow = 1.25 if idx < 6 else round(rng.uniform(0.5, 3.0), 3)
    return {
        "name": "difflow saponified %d x %d" % (len(comps), n),
        "components": comps,
        "chemistry": {"model": "mass-action", "log10_k": lk, "a": 3.0, "b": 3.0,
                      "extractant": 1.0, "saponification": 0.36, "counter_ion": "Na"},
        "cascade": {"extraction": n, "scrub": 0},
        "feed": {"phase": "aqueous", "flow": 1.0, "concentration": conc, "acid": 0.01},
        "flows": {"organic": oflow},
    }


def gen_ll(rng):
    k = ncomp(rng, 1, 15)
    comps = ELEMENTS[:k]
    chem = {"model": "log-linear"}
    dose = round(logu(rng, 1.0, 40.0), 3)
    mpp = 0.0302
    chem["dose"] = dose
    chem["molarity_per_percent"] = mpp
    bis = rng.random() < 0.4
    if bis:
        chem["bisulfate"] = True
    ch = {c: (rng.choice([2, 3]) if rng.random() < 0.25 else 3) for c in comps}
    if any(v != 3 for v in ch.values()) or rng.random() < 0.3:
        chem["charge"] = ch
    fixed = rng.random() < 0.15
    if fixed:
        chem["fixed_dose"] = True
    fits, dconst = {}, {}
    b0 = rng.uniform(-6.0, -1.0)
    for i, c in enumerate(comps):
        if rng.random() < 0.15 and k > 1:
            dconst[c] = float("%.4g" % logu(rng, 1e-3, 10.0))
            continue
        f = {"m0": round(rng.uniform(0.3, 3.0), 4), "b0": round(b0, 4)}
        if rng.random() < 0.4:
            f["m1"] = round(rng.uniform(-0.03, 0.03), 5)
        if rng.random() < 0.6:
            f["b1"] = round(rng.uniform(-0.5, 1.5), 4)
        fits[c] = f
        b0 += math.log10(logu(rng, 1.05, 5.0))
    if not fits:
        c = comps[0]
        dconst.pop(c, None)
        fits[c] = {"m0": 1.0, "b0": -2.0}
    if dconst:
        chem["d"] = dconst
    chem["fit"] = fits
    n = stages(rng, 1, 300)
    m = stages(rng, 1, 300) if rng.random() < 0.6 else 0
    kk = stages(rng, 1, 30) if rng.random() < 0.35 else 0
    fflow = 1.0
    sflow = float("%.4g" % logu(rng, 0.05, 2.0)) if m else 0.0
    oa = logu(rng, 0.5, 4.0)
    oflow = float("%.5g" % (oa * (fflow + sflow)))
    cext = dose * mpp
    zmean = sum(ch.values()) / k
    load = rng.uniform(0.05, 0.99)
    ctot = load * oflow * cext / zmean / fflow
    fr = [logu(rng, 0.05, 1.0) for _ in comps]
    st = sum(fr)
    mdl = {
        "name": "ll random",
        "components": comps,
        "chemistry": chem,
        "cascade": {"extraction": n, "scrub": m, "strip": kk},
        "feed": {"phase": "aqueous", "flow": fflow,
                 "concentration": {c: float("%.5g" % (ctot * f / st)) for c, f in zip(comps, fr)},
                 "acid": acid_ph(rng)},
        "flows": {"organic": oflow},
    }
    if bis:
        mdl["feed"]["sulfate"] = float("%.4g" % rng.uniform(0.0, 1.5))
    if m:
        mdl["scrub"] = {"acid": float("%.4g" % rng.uniform(0.1, 6.0))}
        if bis:
            mdl["scrub"]["sulfate"] = float("%.4g" % rng.uniform(0.0, 1.0))
        mdl["flows"]["scrub"] = sflow
    if kk:
        mdl["strip"] = {"acid": float("%.4g" % rng.uniform(3.0, 6.0))}
        if bis:
            mdl["strip"]["sulfate"] = float("%.4g" % rng.uniform(0.0, 3.0))
        mdl["flows"]["strip"] = float("%.4g" % logu(rng, 0.1, 2.0))
    if rng.random() < 0.15:
        mdl["organic"] = {"concentration": {comps[0]: float("%.3g" % logu(rng, 1e-8, 1e-3))}}
    return mdl


GENS = {"separation-factor": gen_sf, "constant-d": gen_cd, "mass-action": gen_ma,
        "log-linear": gen_ll}


def capped(mdl, e):
    """A log-linear model with every dose slope at least `e` (--capped)."""
    ch = mdl["chemistry"]
    ld = math.log10(ch["dose"])
    fits = ch.setdefault("fit", {})
    for f in fits.values():
        b1 = f.get("b1", 0.0)
        if b1 < e:
            f["b0"] = f["b0"] + (b1 - e) * ld
            f["b1"] = e
    for c, d in ch.pop("d", {}).items():
        fits[c] = {"m0": 0.0, "b0": math.log10(d) - e * ld, "b1": e}
    ch.pop("fixed_dose", None)
    # the fits in the model's order of components
    ch["fit"] = {c: fits[c] for c in mdl["components"] if c in fits}
    return mdl


def make_case(model, seed, cap=None):
    rng = random.Random("%s-%d" % (model, seed))
    if model == "difflow":
        return gen_difflow(rng, seed)
    mdl = GENS[model](rng)
    if cap is not None and model == "log-linear":
        mdl = capped(mdl, cap)
    return mdl


# ---------------------------------------------------------------- checks
class Findings:
    def __init__(self):
        self.eq = 0.0       # worst relative equilibrium residual
        self.bal = 0.0      # worst relative stage balance residual
        self.tot = 0.0      # worst whole-cascade balance
        self.where = {}
        self.problems = []

    def note(self, kind, val, where):
        if val != val:  # NaN
            val = float("inf")
        if val > getattr(self, kind):
            setattr(self, kind, val)
            self.where[kind] = where

    def bad(self, msg):
        if len(self.problems) < 20:
            self.problems.append(msg)


def rel(a, b):
    s = max(abs(a), abs(b))
    return 0.0 if s == 0 else abs(a - b) / s


def num_ok(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def topology(mdl):
    c = mdl["cascade"]
    n, m, k = c.get("extraction", 0), c.get("scrub", 0), c.get("strip", 0)
    return n, m, k, n + m + k


def section_of(j, n, m):
    return "extraction" if j <= n else ("scrub" if j <= n + m else "strip")


def check(mdl, out, tol):
    f = Findings()
    comps = mdl["components"]
    K = len(comps)
    chem = mdl["chemistry"]["model"]
    n, m, k, N = topology(mdl)
    # ---- structure and numbers
    for key in ("converged", "iterations", "streams", "stages"):
        if key not in out:
            f.bad("missing key %s" % key)
            return f
    if out["components"] != comps:
        f.bad("components differ")
    st = out["stages"]
    if len(st) != N:
        f.bad("%d stages, expected %d" % (len(st), N))
        return f
    for s in st:
        if s["section"] != section_of(s["stage"], n, m):
            f.bad("stage %d section %s" % (s["stage"], s["section"]))
        for ph in ("aqueous", "organic"):
            for c in comps:
                v = s[ph].get(c)
                if not num_ok(v) or v < 0:
                    f.bad("stage %d %s %s = %r" % (s["stage"], ph, c, v))
                    return f
        if chem in ("mass-action", "log-linear") and not num_ok(s.get("ph")):
            f.bad("stage %d ph = %r" % (s["stage"], s.get("ph")))
            return f
    for name, sd in out["streams"].items():
        for key in ("amount", "purity", "recovery"):
            for c in comps:
                v = sd.get(key, {}).get(c)
                if not num_ok(v) or v < 0:
                    f.bad("%s.%s.%s = %r" % (name, key, c, v))
                    return f
            if key == "recovery" and any(sd[key][c] > 1 + 1e-12 for c in comps):
                f.bad("%s recovery > 1: %r" % (name, sd[key]))
        tot = sum(sd["amount"][c] for c in comps)
        for c in comps:
            p = sd["amount"][c] / tot if tot > 0 else 0.0
            if abs(p - sd["purity"][c]) > 1e-12 + 1e-12 * p:
                f.bad("%s purity %s %r vs %r" % (name, c, sd["purity"][c], p))
    # ---- flows and inlets
    volumetric = chem != "separation-factor"
    feed = mdl["feed"]
    phase = feed.get("phase", "aqueous")
    fl = mdl["flows"]
    if volumetric:
        Fv = feed["flow"]
        fin = {c: Fv * feed["concentration"].get(c, 0.0) for c in comps}
        Oin = fl["organic"]
        Wv = fl.get("scrub", 0.0)
        Sv = fl.get("strip", 0.0)

        def A(j):
            if j <= n:
                return Wv + (Fv if phase == "aqueous" else 0.0)
            return Wv if j <= n + m else Sv

        def O(j):
            return Oin + (Fv if (phase == "organic" and j > n) else 0.0)
        org_in = mdl.get("organic", {}).get("concentration", {})
        scr_in = mdl.get("scrub", {}).get("concentration", {})
        stp_in = mdl.get("strip", {}).get("concentration", {})
    else:
        S = fl["extraction_amount"]
        W = fl.get("scrub_amount", 0.0)
        fin = dict(feed["amount"])
        Ftot = sum(fin.values())
    # stage outflow amounts aq[j][c], org[j][c] (index 1..N)
    aq = [None] + [[s["aqueous"][c] for c in comps] for s in st]
    og = [None] + [[s["organic"][c] for c in comps] for s in st]
    if volumetric:
        aqa = [None] + [[A(j) * aq[j][i] for i in range(K)] for j in range(1, N + 1)]
        oga = [None] + [[O(j) * og[j][i] for i in range(K)] for j in range(1, N + 1)]
    else:
        aqa, oga = aq, og
    # inflows per stage and component (amounts)
    total_in = [0.0] * K
    for i, c in enumerate(comps):
        total_in[i] += fin.get(c, 0.0)
        if volumetric:
            total_in[i] += Oin * org_in.get(c, 0.0)
            if m:
                total_in[i] += Wv * scr_in.get(c, 0.0)
            if k:
                total_in[i] += Sv * stp_in.get(c, 0.0)
    for j in range(1, N + 1):
        for i, c in enumerate(comps):
            ins = []
            if j == 1:
                ins.append(Oin * org_in.get(c, 0.0) if volumetric else 0.0)
            else:
                ins.append(oga[j - 1][i])
            if j == n + m and m > 0:
                ins.append(Wv * scr_in.get(c, 0.0) if volumetric else 0.0)
            elif j == N and k > 0:
                ins.append(Sv * stp_in.get(c, 0.0))
            elif j < n + m or (n + m < j < N):
                ins.append(aqa[j + 1][i])
            if (phase == "aqueous" and j == n) or (phase == "organic" and j == n + 1):
                ins.append(fin.get(c, 0.0))
            outs = aqa[j][i] + oga[j][i]
            tin = sum(ins)
            scale = max(tin, outs)
            if scale > 1e-280:
                f.note("bal", abs(tin - outs) / scale, "stage %d %s" % (j, c))
    # streams
    prods = {"raffinate": (1, aqa)}
    if k:
        prods["strip_liquor"] = (n + m + 1, aqa)
        prods["stripped_organic"] = (N, oga)
    else:
        prods["loaded_organic"] = (N, oga)
    if set(prods) != set(out["streams"]):
        f.bad("streams %s, expected %s" % (sorted(out["streams"]), sorted(prods)))
    rec_sum = [0.0] * K
    out_sum = [0.0] * K
    for name, (j, arr) in prods.items():
        sd = out["streams"].get(name)
        if sd is None:
            continue
        if sd["stage"] != j:
            f.bad("%s stage %d, expected %d" % (name, sd["stage"], j))
        for i, c in enumerate(comps):
            amt = sd["amount"][c]
            if rel(amt, arr[j][i]) > 1e-12 and max(amt, arr[j][i]) > 1e-280:
                f.bad("%s amount %s %r vs stage %r" % (name, c, amt, arr[j][i]))
            r = sd["recovery"][c]
            rec_sum[i] += r
            out_sum[i] += amt
            if total_in[i] > 0 and rel(r, amt / total_in[i]) > 1e-12 and amt > 1e-280:
                f.bad("%s recovery %s %r vs %r" % (name, c, r, amt / total_in[i]))
    for i, c in enumerate(comps):
        if total_in[i] > 0:
            if abs(rec_sum[i] - 1.0) > 1e-9:
                f.bad("recoveries of %s sum to %r" % (c, rec_sum[i]))
            f.note("tot", abs(out_sum[i] - total_in[i]) / total_in[i], c)
    # ---- equilibrium
    if chem == "separation-factor":
        beta = mdl["chemistry"]["beta"]
        for j in range(1, N + 1):
            lam = []
            for i, c in enumerate(comps):
                a, o = aq[j][i], og[j][i]
                if a > 1e-250 and o > 1e-250:
                    lam.append((math.log(o / a) - math.log(beta[c]), c))
            if lam:
                lo, hi = min(lam), max(lam)
                f.note("eq", math.expm1(hi[0] - lo[0]), "stage %d %s/%s" % (j, hi[1], lo[1]))
            so = sum(og[j])
            if phase == "aqueous":
                target = S - W if j == n + m else S
            else:
                target = S if j <= n else (S + Ftot - W if j == n + m else S + Ftot)
            f.note("eq", rel(so, target), "stage %d organic total %r vs %r" % (j, so, target))
    elif chem == "constant-d":
        d = mdl["chemistry"]["d"]
        ds = mdl["chemistry"].get("strip", {}).get("d", d)
        for j in range(1, N + 1):
            dd = ds if j > n + m else d
            for i, c in enumerate(comps):
                x, y = aq[j][i], og[j][i]
                if x > 1e-250:
                    f.note("eq", rel(y, dd[c] * x), "stage %d %s" % (j, c))
    elif chem == "mass-action":
        check_ma(mdl, out, f, aq, og, A, O, n, m, k, N)
    elif chem == "log-linear":
        check_ll(mdl, out, f, aq, og, n, m, k, N)
    return f


def check_ma(mdl, out, f, aq, og, A, O, n, m, k, N):
    comps = mdl["components"]
    ch = mdl["chemistry"]
    a, b = ch.get("a", 3.0), ch.get("b", 3.0)
    z = [ch.get("charge", {}).get(c, 3) for c in comps]
    lk = [ch["log10_k"][c] for c in comps]
    C = ch["extractant"]
    s = ch.get("saponification", 0.0)
    st = out["stages"]
    H = [None] + [10.0 ** (-x["ph"]) for x in st]
    phase = mdl["feed"].get("phase", "aqueous")
    feed_acid = mdl["feed"].get("acid", 0.0) * mdl["feed"]["flow"]
    scrub_acid = mdl.get("scrub", {}).get("acid", 0.0) * mdl["flows"].get("scrub", 0.0)
    strip_acid = mdl.get("strip", {}).get("acid", 0.0) * mdl["flows"].get("strip", 0.0)
    march_ok = phase == "aqueous" and not mdl.get("organic")
    fields = "free_extractant" in st[0]  # JSON extension of round 30
    kn = 10.0 ** ch.get("log10_k_ion", -4.0)
    if fields:
        for j in range(1, N + 1):
            sj = st[j - 1]
            hj, free = sj["acid"], sj["free_extractant"]
            f.note("eq", rel(hj, H[j]), "stage %d acid vs 10^-pH" % j)
            H[j] = hj
            bound = sum(2 * zz * y for zz, y in zip(z, og[j]))
            f.note("eq", abs(free + sj["organic_counter_ion"] + bound - C) / C,
                   "stage %d extractant balance" % j)
            if s > 0 and sj["counter_ion"] > 1e-250 and free > 0:
                na = kn * sj["counter_ion"] * math.sqrt(free / 2) / hj
                f.note("eq", rel(sj["organic_counter_ion"], na), "stage %d NA equilibrium" % j)
            if free > 0:
                for i in range(len(comps)):
                    x, y = aq[j][i], og[j][i]
                    if x > 1e-250 and y > 1e-250:
                        lnd = lk[i] * math.log(10.0) + a * math.log(free / 2) - b * math.log(hj)
                        f.note("eq", abs(math.expm1(math.log(y / x) - lnd)),
                               "stage %d %s (JSON free extractant)" % (j, comps[i]))
    G = (1.0 - s) * C  # exchangeable H of the organic entering stage 1
    Oprev = O(1)
    for j in range(1, N + 1):
        # ratio check: (y/x)/K one value per stage
        lr = []
        for i in range(len(comps)):
            x, y = aq[j][i], og[j][i]
            if x > 1e-250 and y > 1e-250:
                lr.append((math.log(y / x) - lk[i] * math.log(10.0), i))
        if lr:
            lo, hi = min(lr), max(lr)
            f.note("eq", math.expm1(hi[0] - lo[0]), "stage %d ratio %s/%s" % (j, comps[hi[1]], comps[lo[1]]))
        if not march_ok:
            continue
        # exchangeable-hydrogen balance: O_{j-1} G_{j-1} + aqueous in + feed = A_j H_j + O_j G_j
        hin = Oprev * G
        if j == n + m and m > 0:
            hin += scrub_acid
        elif j == N and k > 0:
            hin += strip_acid
        elif j < n + m or (n + m < j < N):
            hin += A(j + 1) * H[j + 1]
        if j == n:
            hin += feed_acid
        Gj = (hin - A(j) * H[j]) / O(j)
        zy = sum(zz * y for zz, y in zip(z, og[j]))
        h = (Gj - zy) / 2.0
        G, Oprev = Gj, O(j)
        if fields:
            # the march must agree with the reported free extractant
            free = st[j - 1]["free_extractant"]
            f.note("eq", abs(2 * h - free) / C, "stage %d 2[(HA)2] march vs JSON" % j)
            continue
        if h <= 0:
            f.note("eq", float("inf"), "stage %d free (HA)2 from the H balance %r" % (j, h))
            continue
        # how well is h known? its cancellation against zy
        cond = max(abs(Gj), abs(zy), 1e-300) / (2 * h)
        for i in range(len(comps)):
            x, y = aq[j][i], og[j][i]
            if x > 1e-250 and y > 1e-250:
                lnd = lk[i] * math.log(10.0) + a * math.log(h) - b * math.log(H[j])
                r = abs(math.expm1(math.log(y / x) - lnd))
                if cond > 1e6:
                    r = min(r, 1e-300)  # h not readable from the JSON
                f.note("eq", r, "stage %d %s (D=%.6g, h=%.6g, cond %.1e)" % (j, comps[i], y / x, h, cond))
    if not march_ok:
        f.where.setdefault("note", "absolute D not checked (organic feed or inlet)")


def check_ll(mdl, out, f, aq, og, n, m, k, N):
    comps = mdl["components"]
    ch = mdl["chemistry"]
    dose0 = ch["dose"]
    mpp = ch["molarity_per_percent"]
    z = {c: ch.get("charge", {}).get(c, 3) for c in comps}
    e = {c: ch.get("extractant_per_metal", {}).get(c, z[c]) for c in comps}
    fixed = ch.get("fixed_dose", False)
    C = dose0 * mpp
    if ch.get("dose_basis", "total") == "free":
        C += sum(e[c] * v for c, v in mdl.get("organic", {}).get("concentration", {}).items())
    fits = ch.get("fit", {})
    dc = ch.get("d", {})
    st = out["stages"]
    for j in range(1, N + 1):
        ph = st[j - 1]["ph"]
        cfree = C - sum(e[c] * og[j][i] for i, c in enumerate(comps))
        if "free_extractant" in st[j - 1]:
            got = st[j - 1]["free_extractant"]
            f.note("eq", abs(got - cfree) / C, "stage %d free extractant vs C - sum e y" % j)
            f.note("eq", rel(st[j - 1]["acid"], 10.0 ** (-ph)), "stage %d acid vs 10^-pH" % j)
            cfree = got
        if cfree <= 0:
            f.note("eq", float("inf"), "stage %d free extractant %r" % (j, cfree))
            continue
        dose = dose0 if fixed else cfree / mpp
        cond = C / cfree
        for i, c in enumerate(comps):
            x, y = aq[j][i], og[j][i]
            if not (x > 1e-250 and y > 1e-250):
                continue
            if c in fits:
                ft = fits[c]
                m0, m1 = ft.get("m0", 0.0), ft.get("m1", 0.0)
                b0, b1 = ft.get("b0", 0.0), ft.get("b1", 0.0)
                l10 = (m0 + m1 * dose) * ph + b0 + b1 * math.log10(dose)
                r = abs(math.expm1(math.log(y / x) - l10 * math.log(10.0)))
            else:
                r = rel(y, dc[c] * x)
            if cond > 1e6:
                r = min(r, 1e-300)
            f.note("eq", r, "stage %d %s" % (j, c))


# ---------------------------------------------------------------- runner
def run_case(binpath, model, seed, args, outdir):
    mdl = make_case(model, seed, getattr(args, "capped", None))
    text = to_toml(mdl)
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as fh:
        fh.write(text)
        path = fh.name
    t0 = time.time()
    try:
        p = subprocess.run([binpath, "simulate", path, "--json"], capture_output=True,
                           text=True, timeout=args.timeout)
        rc, so, se = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as ex:
        rc, so, se = "timeout", ex.stdout or "", ex.stderr or ""
        if isinstance(so, bytes):
            so = so.decode(errors="replace")
        if isinstance(se, bytes):
            se = se.decode(errors="replace")
    dt = time.time() - t0
    os.unlink(path)
    res = {"model": model, "seed": seed, "rc": rc, "time": dt, "converged": None,
           "iterations": None, "eq": None, "bal": None, "tot": None, "problems": [],
           "msg": "", "stages": sum(topology(mdl)[:3]), "K": len(mdl["components"])}
    out = None
    if rc in (0, 2) and so.strip():
        try:
            out = json.loads(so)
        except ValueError as ex:
            res["problems"].append("JSON does not parse: %s" % ex)
    if out is not None:
        res["converged"] = out.get("converged")
        res["iterations"] = out.get("iterations")
    if rc == 0 and out is not None:
        if out.get("converged") is not True:
            res["problems"].append("exit 0 with converged %r" % out.get("converged"))
        try:
            fd = check(mdl, out, args.tol)
            res.update(eq=fd.eq, bal=fd.bal, tot=fd.tot, where=fd.where)
            res["problems"] += fd.problems
            if fd.eq > args.tol:
                res["problems"].append("equilibrium %.3e at %s" % (fd.eq, fd.where.get("eq")))
            if fd.bal > args.tol:
                res["problems"].append("stage balance %.3e at %s" % (fd.bal, fd.where.get("bal")))
            if fd.tot > args.tol:
                res["problems"].append("cascade balance %.3e (%s)" % (fd.tot, fd.where.get("tot")))
        except Exception as ex:  # a checker crash is itself a finding to look at
            res["problems"].append("checker error: %r" % ex)
    elif rc == 2 and out is not None:
        w = out.get("worst", {})
        res["msg"] = "%s; residual %s; worst %s" % (out.get("status"), out.get("residual"), json.dumps(w))
    else:
        res["msg"] = (se.strip().splitlines() or [""])[0][:300]
    suspicious = rc != 0 or res["problems"] or dt > args.slow
    if suspicious and outdir:
        os.makedirs(outdir, exist_ok=True)
        base = os.path.join(outdir, "%s-%d" % (model, seed))
        with open(base + ".toml", "w") as fh:
            fh.write(text)
        with open(base + ".out.txt", "w") as fh:
            fh.write("exit %s, %.3f s\n%s\n--- stderr\n%s\n--- problems\n%s\n" % (
                rc, dt, so[:200000], se, "\n".join(res["problems"])))
    return res, text


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(math.ceil(q * len(xs))) - 1)]


def summary(model, rs):
    cnt = len(rs)
    codes = {}
    for r in rs:
        codes[str(r["rc"])] = codes.get(str(r["rc"]), 0) + 1
    conv = sum(1 for r in rs if r["converged"] is True and r["rc"] == 0)
    ts = [r["time"] for r in rs]
    ok = [r for r in rs if r["rc"] == 0 and r["eq"] is not None]
    weq = max(ok, key=lambda r: r["eq"], default=None)
    wbal = max(ok, key=lambda r: r["bal"], default=None)
    wtot = max(ok, key=lambda r: r["tot"], default=None)
    print("== %s: %d cases, exit codes %s, converged %d (%.2f %%)" % (
        model, cnt, codes, conv, 100.0 * conv / max(cnt, 1)))
    print("   time s: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f (seed %s)" % (
        pct(ts, .5), pct(ts, .9), pct(ts, .99), max(ts, default=float("nan")),
        max(rs, key=lambda r: r["time"])["seed"] if rs else "-"))
    if weq:
        print("   worst equilibrium %.2e (seed %d, %s)" % (weq["eq"], weq["seed"], weq["where"].get("eq")))
        print("   worst stage balance %.2e (seed %d, %s)" % (wbal["bal"], wbal["seed"], wbal["where"].get("bal")))
        print("   worst cascade balance %.2e (seed %d, %s)" % (wtot["tot"], wtot["seed"], wtot["where"].get("tot")))
    for r in rs:
        if r["rc"] != 0 or r["problems"]:
            print("   FAIL seed %d (K %d, %d stages): exit %s %.2fs %s %s" % (
                r["seed"], r["K"], r["stages"], r["rc"], r["time"], r["msg"][:200],
                "; ".join(r["problems"])[:300]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="all")
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bin", default="target/release/sxforge")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--slow", type=float, default=1.0)
    ap.add_argument("--case", type=int)
    ap.add_argument("--write")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--capped", type=float, default=None,
                    help="log-linear: raise every dose slope to at least this")
    ap.add_argument("--jsonl", help="append one JSON line per case to this file")
    args = ap.parse_args()
    models = list(GENS) + ["difflow"] if args.model == "all" else [args.model]
    if args.case is not None:
        mdl = make_case(models[0], args.case, args.capped)
        if args.write:
            with open(args.write, "w") as fh:
                fh.write(to_toml(mdl))
            return 0
        r, text = run_case(args.bin, models[0], args.case, args, args.out)
        print(text)
        print(json.dumps(r, indent=1, default=str))
        return 0
    bad = 0
    for model in models:
        rs = []
        nn = 6 if (model == "difflow" and args.model == "all") else args.n
        for i in range(nn):
            r, _ = run_case(args.bin, model, args.seed + i, args, args.out)
            rs.append(r)
            if args.jsonl:
                with open(args.jsonl, "a") as fh:
                    fh.write(json.dumps(r, default=str) + "\n")
            if not args.quiet and (r["rc"] != 0 or r["problems"]):
                print("  %s %d: exit %s %.2fs %s %s" % (model, r["seed"], r["rc"], r["time"],
                                                       r["msg"][:160], "; ".join(r["problems"])[:300]),
                      flush=True)
        summary(model, rs)
        bad += sum(1 for r in rs if r["rc"] != 0 or r["problems"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
