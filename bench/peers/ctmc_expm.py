"""scipy peer for bench/ctmc.ts: expm and expm_multiply, with exact references.

Usage: python3 bench/peers/ctmc_expm.py REPEATS_EXPM REPEATS_EXPMV

1. scipy.linalg.expm of A = 10·Q, Q the 100-state M/M/1 generator (birth 1.0,
   death 1.2, reflecting ends; tests/fixtures/ctmc expm_reference_cut.json,
   Q_rule). A has integer entries, so the reference is exact: with
   M = 22·I + A (non-negative integers), exp(A) = e^-22·Σ_k M^k/k!, summed in
   Python integers to k = 260 (tail < 1e-170) and scaled with mpmath at 60
   digits, then rounded to float64.
2. scipy.sparse.linalg.expm_multiply(A, b) for A = Qᵀ, Q the 10⁴-state
   birth–death generator with birth 100 and death 120 (integers, so rows sum
   to exactly 0), b = e₀ (the distribution at t = 1 from state 0). Reference:
   uniformization with P = I + Q/256 (exact in float64) in double-double
   arithmetic (Dekker products, TwoSum sums) with mpmath Poisson weights, to
   k = 256 + 12·16 + 50 (tail < 1e-40).

Both scipy calls run after a warm-up with one BLAS thread (the caller sets
OPENBLAS_NUM_THREADS=1). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this
machine may set for old OpenBLAS builds and which slow a current one, are
removed from this process before numpy loads (a note says so).

Prints one JSON object: median seconds, the references (row-major), and the
errors of scipy's results against them (max absolute, max relative over the
entries above 1e-10 and above 1e-100, ℓ1).
"""
import json
import os
import statistics
import sys
import time

notes = []
for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    if var in os.environ:
        notes.append(f"{var}={os.environ.pop(var)} removed before numpy loaded")

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.linalg import expm  # noqa: E402
from scipy.sparse.linalg import expm_multiply  # noqa: E402


def timed(f, repeats):
    f()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def errors(x, ref):
    x, ref = np.asarray(x, float), np.asarray(ref, float)
    e = np.abs(x - ref)
    big, small = np.abs(ref) > 1e-10, np.abs(ref) > 1e-100
    return {
        "max_abs": float(e.max()),
        "max_rel_above_1e-10": float((e[big] / np.abs(ref[big])).max()),
        "max_rel_above_1e-100": float((e[small] / np.abs(ref[small])).max()),
        "l1": float(e.sum()),
    }


def mm1_reference(n=100, t=10, terms=260):
    # M = 22 I + A with A = t·Q: integer, non-negative; exp(A) = e^-22 Σ_k M^k / k!
    birth, death = round(1.0 * t), round(1.2 * t)
    lam = birth + death
    diag = [lam - ((birth if i + 1 < n else 0) + (death if i > 0 else 0)) for i in range(n)]
    power = [[1 if i == j else 0 for j in range(n)] for i in range(n)]  # M^k
    fact = 1
    for k in range(1, terms + 1):
        fact *= k
    total = [[fact * power[i][j] for j in range(n)] for i in range(n)]  # Σ M^k·(K!/k!)
    coeff = fact
    for k in range(1, terms + 1):
        coeff //= k
        nxt = []
        for i in range(n):
            row = [diag[i] * v for v in power[i]]
            if i + 1 < n:
                row = [a + birth * b for a, b in zip(row, power[i + 1])]
            if i > 0:
                row = [a + death * b for a, b in zip(row, power[i - 1])]
            nxt.append(row)
        power = nxt
        for i in range(n):
            ti, pi = total[i], power[i]
            for j in range(n):
                ti[j] += coeff * pi[j]
    mpmath.mp.dps = 60
    scale = mpmath.exp(-lam) / fact
    return [float(mpmath.mpf(v) * scale) for row in total for v in row]


def chain(n=10_000, birth=100.0, death=120.0):
    rows, cols, vals = [], [], []
    for i in range(n):
        out = 0.0
        if i + 1 < n:
            rows.append(i), cols.append(i + 1), vals.append(birth)
            out += birth
        if i > 0:
            rows.append(i), cols.append(i - 1), vals.append(death)
            out += death
        rows.append(i), cols.append(i), vals.append(-out)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


def split(a):
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a, b):
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def dd_add(ah, al, bh, bl):
    s, e = two_sum(ah, bh)
    return two_sum(s, e + al + bl)


def dd_mul(ah, al, b):
    p, e = two_prod(ah, b)
    return two_sum(p, e + al * b)


def chain_reference(n=10_000, birth=100.0, death=120.0, t=1.0, lam=256.0):
    # p(t) = Σ_k Poisson(k; Λt) p0 P^k, P = I + Q/Λ (exact: Λ a power of 2), in double-double
    up = np.zeros(n)
    dn = np.zeros(n)
    up[:-1], dn[1:] = birth / lam, death / lam
    stay = 1.0 - (np.r_[np.full(n - 1, birth), 0.0] + np.r_[0.0, np.full(n - 1, death)]) / lam
    vh, vl = np.zeros(n), np.zeros(n)
    vh[0] = 1.0
    acc_h, acc_l = np.zeros(n), np.zeros(n)
    mpmath.mp.dps = 40
    w = mpmath.exp(-lam * t)
    terms = int(lam * t + 12 * np.sqrt(lam * t) + 50)
    for k in range(terms + 1):
        wh = float(w)
        wl = float(w - mpmath.mpf(wh))
        ph, pl = dd_mul(vh, vl, wh)
        acc_h, acc_l = dd_add(acc_h, acc_l, ph, pl + vh * wl)
        sh, sl = dd_mul(vh, vl, stay)
        bh, bl = np.zeros(n), np.zeros(n)
        bh[1:], bl[1:] = dd_mul(vh[:-1], vl[:-1], up[:-1])
        ch, cl = np.zeros(n), np.zeros(n)
        ch[:-1], cl[:-1] = dd_mul(vh[1:], vl[1:], dn[1:])
        sh, sl = dd_add(sh, sl, bh, bl)
        vh, vl = dd_add(sh, sl, ch, cl)
        w = w * lam * t / (k + 1)
    return (acc_h + acc_l).tolist()


repeats_expm, repeats_expmv = int(sys.argv[1]), int(sys.argv[2])
q = np.zeros((100, 100))
for i in range(100):
    if i + 1 < 100:
        q[i, i + 1] = 1.0
    if i > 0:
        q[i, i - 1] = 1.2
    q[i, i] = -q[i].sum()
a = q * 10
sec_expm, p = timed(lambda: expm(a), repeats_expm)
expm_ref = mm1_reference()

A = chain().T.tocsr()
b = np.zeros(A.shape[0])
b[0] = 1.0
sec_expmv, x = timed(lambda: expm_multiply(A, b), repeats_expmv)
expmv_ref = chain_reference()

print(json.dumps({
    "scipy_expm": sec_expm,
    "expm_ref": expm_ref,
    "scipy_expm_err": errors(p.ravel(), expm_ref),
    "scipy_expmv": sec_expmv,
    "expmv_ref": expmv_ref,
    "scipy_expmv_err": errors(x, expmv_ref),
    "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "mpmath": mpmath.__version__},
    "threads": {k: os.environ.get(k, "unset") for k in (
        "SDENO_PEER_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    "command": "bench/peers/ctmc_expm.py " + " ".join(sys.argv[1:]),
    "notes": notes,
}))
