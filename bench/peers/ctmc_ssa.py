"""Python peers for bench/ctmc.ts: Gillespie's direct method (1977).

Usage: python3 bench/peers/ctmc_ssa.py SINGLE_FIRINGS ENSEMBLE_PATHS
Prints one JSON object of firings per second:
  python_<model>: a straightforward pure-Python direct-method loop, one path;
  numpy_<model>: the same loop with numpy propensity vectors, one path;
  numpy_ensemble_<model>: a lock-step numpy ensemble (every live path fires
  one reaction per vectorised step) over ENSEMBLE_PATHS paths.
Models (combinatorial mass action, as in sdeno's built-ins): birth_death
(0 -> X @ 10, X -> 0 @ 0.1, X0 = 0) and schlogl (2X -> 3X @ 0.03,
3X -> 2X @ 1e-4, 0 -> X @ 200, X -> 0 @ 3.5, X0 = 250).
"""
import json
import math
import random
import sys
import time

import numpy as np

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


single, ens_paths = int(sys.argv[1]), int(sys.argv[2])
out = {"numpy_version": np.__version__}
for model in MODELS:
    python_path(model, 1000)  # warm-up
    t = time.perf_counter()
    python_path(model, single)
    out[f"python_{model}"] = single / (time.perf_counter() - t)
    n = max(single // 10, 1000)
    t = time.perf_counter()
    numpy_path(model, n)
    out[f"numpy_{model}"] = n / (time.perf_counter() - t)
    t_end = 50.0 if model == "birth_death" else 0.5
    t = time.perf_counter()
    fired = numpy_ensemble(model, ens_paths, t_end)
    out[f"numpy_ensemble_{model}"] = fired / (time.perf_counter() - t)
print(json.dumps(out))
