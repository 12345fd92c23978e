"""numpy peer for bench/normals.ts: standard_normal throughput, float64 and float32.

Usage: python3 bench/peers/normals.py N REPEATS
Prints one JSON object: {"numpy_f64": seconds, "numpy_f32": seconds} (median of REPEATS).
"""
import json
import statistics
import sys
import time

import numpy as np

n, repeats = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(12345)
out = {}
for name, dtype in (("numpy_f64", np.float64), ("numpy_f32", np.float32)):
    buf = np.empty(n, dtype=dtype)
    rng.standard_normal(n, dtype=dtype, out=buf)  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        rng.standard_normal(n, dtype=dtype, out=buf)
        times.append(time.perf_counter() - t)
    out[name] = statistics.median(times)
out["numpy_version"] = np.__version__
print(json.dumps(out))
