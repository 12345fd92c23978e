"""numpy peer for bench/sde.ts: Euler-Maruyama ensembles, float64, vectorised over paths.

Usage: python3 bench/peers/sde_em.py PATHS STEPS REPEATS
Prints one JSON object with the median seconds of REPEATS runs (after one warm-up) of
  ou:  dX = theta (mu - X) dt + sigma dW            (theta 1, mu 0.5, sigma 1, X0 = 1, dt 1e-3)
  slv: dX = X (a - b Y) dt + s1 X dW1, dY = Y (d X - g) dt + s2 Y dW2
       (a = b = d = g = 1, s1 = s2 = 0.1, X0 = (1.2, 0.8), dt 1e-3)
and the final means (a sanity check against sdeno's).
"""
import json
import statistics
import sys
import time

import numpy as np

paths, steps, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
dt = 1e-3
sq = np.sqrt(dt)


def ou(rng):
    x = np.full(paths, 1.0)
    z = np.empty(paths)
    for _ in range(steps):
        rng.standard_normal(paths, out=z)
        x += 1.0 * (0.5 - x) * dt + 1.0 * sq * z
    return x.mean()


def slv(rng):
    x = np.full(paths, 1.2)
    y = np.full(paths, 0.8)
    z = np.empty((2, paths))
    for _ in range(steps):
        rng.standard_normal((2, paths), out=z)
        fx = x * (1.0 - y)
        fy = y * (x - 1.0)
        x, y = x + fx * dt + 0.1 * sq * x * z[0], y + fy * dt + 0.1 * sq * y * z[1]
    return float(x.mean())


out = {}
for name, f in (("ou", ou), ("slv", slv)):
    rng = np.random.default_rng(12345)
    f(rng)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        m = f(rng)
        times.append(time.perf_counter() - t)
    out[name] = statistics.median(times)
    out[name + "_mean"] = float(m)
out["numpy_version"] = np.__version__
print(json.dumps(out))
