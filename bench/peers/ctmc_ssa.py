"""Python peers for bench/ctmc.ts: Gillespie's direct method (1977).

Usage: python3 bench/peers/ctmc_ssa.py SINGLE_FIRINGS ENSEMBLE_PATHS [--numba-paths 10000]
         [--t-single birth_death=1e5,schlogl=1000] [--t-ensemble birth_death=50,schlogl=0.5]
         [--repeats 3]
Threads: SDENO_PEER_THREADS (bench/_peer.ts sets it; see _peers.py).
Prints one JSON line of firings per second:
  python_<model>: a straightforward pure-Python direct-method loop, one path;
  numpy_<model>: the same loop with numpy propensity vectors, one path;
  numpy_ensemble_<model>: a lock-step numpy ensemble (every live path fires
  one reaction per vectorised step) over ENSEMBLE_PATHS paths;
and, when numba is importable, "rows" (see _peers.py) tagged <model>:single and
<model>:ensemble: the direct method compiled by numba's @njit for one path to the
--t-single time (one thread), and @njit(parallel=True) with prange over --numba-paths
paths to the --t-ensemble time, on 1 thread and on THREADS threads (numba.set_num_threads);
compile time reported apart; value = the mean count at the end (for birth_death
the notes give its z-score against the exact mean 100 (1 - exp(-t/10))).
Models (combinatorial mass action, as in sdeno's built-ins): birth_death
(0 -> X @ 10, X -> 0 @ 0.1, X0 = 0) and schlogl (2X -> 3X @ 0.03,
3X -> 2X @ 1e-4, 0 -> X @ 200, X -> 0 @ 3.5, X0 = 250).
"""
import argparse
import json
import math
import random
import time

import numpy as np

from _peers import THREADS, Report, optional, timed

MODELS = {
    "birth_death": (0, [(0, 1, 10.0), (1, -1, 0.1)]),  # (order in X, change, k)
    "schlogl": (250, [(2, 1, 0.03), (3, -1, 1e-4), (0, 1, 200.0), (1, -1, 3.5)]),
}


def binom(x, o):
    if o == 0:
        return 1.0
    if o == 1:
        return float(x)
    if o == 2:
        return x * (x - 1) / 2.0
    return x * (x - 1) * (x - 2) / 6.0


def python_path(model, firings):
    x, rs = MODELS[model]
    rng = random.random
    t = 0.0
    for _ in range(firings):
        a = [k * binom(x, o) for (o, _, k) in rs]
        a0 = sum(a)
        t -= math.log(1.0 - rng()) / a0
        target = rng() * a0
        acc = 0.0
        for j, aj in enumerate(a):
            acc += aj
            if acc > target:
                break
        x += rs[j][1]
    return x


def numpy_path(model, firings):
    x, rs = MODELS[model]
    order = np.array([o for (o, _, _) in rs])
    change = np.array([d for (_, d, _) in rs])
    k = np.array([k for (_, _, k) in rs])
    rng = np.random.default_rng(1)
    u = rng.random((firings, 2))
    t = 0.0
    for m in range(firings):
        h = np.where(order == 0, 1.0, np.where(order == 1, x, np.where(order == 2, x * (x - 1) / 2.0, x * (x - 1) * (x - 2) / 6.0)))
        a = k * h
        c = np.cumsum(a)
        a0 = c[-1]
        t -= math.log(1.0 - u[m, 0]) / a0
        j = int(np.searchsorted(c, u[m, 1] * a0, side="right"))
        x += change[j]
    return x


def numpy_ensemble(model, paths, t_end):
    x0, rs = MODELS[model]
    order = np.array([o for (o, _, _) in rs])[:, None]
    change = np.array([d for (_, d, _) in rs])
    k = np.array([k for (_, _, k) in rs])[:, None]
    rng = np.random.default_rng(2)
    x = np.full(paths, float(x0))
    t = np.zeros(paths)
    live = np.ones(paths, dtype=bool)
    fired = 0
    while live.any():
        xs = x[live]
        h = np.where(order == 0, 1.0, np.where(order == 1, xs, np.where(order == 2, xs * (xs - 1) / 2.0, xs * (xs - 1) * (xs - 2) / 6.0)))
        a = k * h
        c = np.cumsum(a, axis=0)
        a0 = c[-1]
        tn = t[live] - np.log(1.0 - rng.random(xs.size)) / a0
        ok = tn <= t_end
        j = (c < (rng.random(xs.size) * a0)[None, :]).sum(axis=0)
        xs = xs + np.where(ok, change[np.minimum(j, len(rs) - 1)], 0)
        idx = np.flatnonzero(live)
        x[idx] = xs
        t[idx] = np.where(ok, tn, t_end)
        fired += int(ok.sum())
        live[idx[~ok]] = False
    return fired


def model_times(text):
    out = {}
    for item in text.split(","):
        name, value = item.split("=")
        out[name] = float(value)
    return out


parser = argparse.ArgumentParser()
parser.add_argument("single", type=int)
parser.add_argument("ensemble_paths", type=int)
parser.add_argument("--numba-paths", type=int, default=10000)
# the tEnd of bench/ctmc.ts's one-path and ensemble tables
parser.add_argument("--t-single", type=model_times,
                    default=model_times("birth_death=1e5,schlogl=1000"))
parser.add_argument("--t-ensemble", type=model_times,
                    default=model_times("birth_death=50,schlogl=0.5"))
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
single, ens_paths = args.single, args.ensemble_paths
rep = Report()
rep.versions["numpy"] = np.__version__
rep.extra["numpy_version"] = np.__version__
for model in MODELS:
    python_path(model, 1000)  # warm-up
    t = time.perf_counter()
    python_path(model, single)
    rep.extra[f"python_{model}"] = single / (time.perf_counter() - t)
    n = max(single // 10, 1000)
    t = time.perf_counter()
    numpy_path(model, n)
    rep.extra[f"numpy_{model}"] = n / (time.perf_counter() - t)
    t_end = args.t_ensemble[model]
    t = time.perf_counter()
    fired = numpy_ensemble(model, ens_paths, t_end)
    rep.extra[f"numpy_ensemble_{model}"] = fired / (time.perf_counter() - t)

numba = optional("numba", rep.notes)
if numba is not None:
    from numba import njit, prange

    rep.versions["numba"] = numba.__version__

    @njit(inline="always")
    def nb_binom(x, o):
        if o == 0:
            return 1.0
        if o == 1:
            return float(x)
        if o == 2:
            return x * (x - 1) / 2.0
        return x * (x - 1) * (x - 2) / 6.0

    @njit
    def nb_path(x, t_end, order, change, k):
        # Gillespie 1977 direct method: exponential waiting time with rate a0, reaction j with
        # probability a_j / a0 (linear search); returns the count at t_end and the firings
        r = k.size
        a = np.empty(r)
        t = 0.0
        fired = 0
        while True:
            a0 = 0.0
            for j in range(r):
                a[j] = k[j] * nb_binom(x, order[j])
                a0 += a[j]
            if a0 <= 0.0:
                break
            t -= np.log(1.0 - np.random.random()) / a0
            if t > t_end:
                break
            target = np.random.random() * a0
            j = 0
            acc = a[0]
            while acc <= target and j < r - 1:
                j += 1
                acc += a[j]
            x += change[j]
            fired += 1
        return x, fired

    @njit
    def nb_single(x0, t_end, order, change, k):
        x, fired = nb_path(x0, t_end, order, change, k)
        return float(x), fired

    @njit(parallel=True)
    def nb_ensemble(paths, x0, t_end, order, change, k):
        fired = 0
        total = 0.0
        for _ in prange(paths):
            x, f = nb_path(x0, t_end, order, change, k)
            fired += f
            total += x
        return total / paths, fired

    for model, (x0, rs) in MODELS.items():
        order = np.array([o for (o, _, _) in rs], dtype=np.int64)
        change = np.array([d for (_, d, _) in rs], dtype=np.int64)
        k = np.array([c for (_, _, c) in rs])
        t1 = args.t_single[model]
        _, secs = timed(lambda: nb_single(x0, 1e-3, order, change, k))
        rep.time("numba direct method (njit), 1 thread", f"{model}:single", None,
                 lambda: nb_single(x0, t1, order, change, k), args.repeats,
                 compile_seconds=secs)
        t_end = args.t_ensemble[model]
        paths = args.numba_paths
        _, secs = timed(lambda: nb_ensemble(2, x0, 1e-3, order, change, k))
        for threads in sorted({1, THREADS}):
            numba.set_num_threads(threads)
            label = f"{threads} thread{'s' if threads > 1 else ''}"
            row = rep.time(f"numba direct method (prange over {paths} paths), {label}",
                           f"{model}:ensemble", None,
                           lambda: nb_ensemble(paths, x0, t_end, order, change, k),
                           args.repeats, compile_seconds=secs, threads=threads)
            if model == "birth_death":
                exact = 100.0 * (1.0 - math.exp(-t_end / 10.0))
                z = (row["value"] - exact) / math.sqrt(exact / paths)
                rep.notes.append(f"numba birth_death ensemble ({label}): mean X({t_end:g}) = "
                                 f"{row['value']:.3f}, exact {exact:.3f}, z = {z:.2f}")
        numba.set_num_threads(THREADS)
    rep.extra["numba_threading_layer"] = numba.threading_layer()
rep.emit()
