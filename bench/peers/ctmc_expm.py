"""scipy peer for bench/ctmc.ts: expm of the 100-state M/M/1 generator.

Usage: python3 bench/peers/ctmc_expm.py T REPEATS
Generator: birth 1.0, death 1.2, reflecting ends (tests/fixtures/ctmc
expm_reference_cut.json, Q_rule). Prints one JSON object: the median seconds
of scipy.linalg.expm(Q·T) after a warm-up, and P = expm(Q·T) row-major.
"""
import json
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.linalg import expm

t_end, repeats = float(sys.argv[1]), int(sys.argv[2])
n = 100
q = np.zeros((n, n))
for i in range(n):
    if i + 1 < n:
        q[i, i + 1] = 1.0
    if i > 0:
        q[i, i - 1] = 1.2
    q[i, i] = -q[i].sum()
a = q * t_end
expm(a)  # warm-up
times = []
for _ in range(repeats):
    t = time.perf_counter()
    p = expm(a)
    times.append(time.perf_counter() - t)
print(json.dumps({"scipy_expm": statistics.median(times), "scipy_version": scipy.__version__, "P": p.ravel().tolist()}))
