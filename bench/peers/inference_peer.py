"""numpy peer for bench/inference.ts: EM for the full rate matrix of a discretely observed
Markov jump process (clean labels), the same algorithm as solvers/inference/em_mjp.ts.

Usage: python3 bench/peers/inference_peer.py DATA.json ITERATIONS REPEATS

DATA.json: {"n", "times": [[...]], "labels": [[...]]} (bench/inference.ts writes it from
tests/fixtures/inference/dfr_seed0.json, S1). Start: every off-diagonal rate 1, pi0 uniform.
Each iteration (Bladt & Sorensen 2005; Hobolth & Jensen 2011, eigen closed form), vectorised
over all paths and intervals with numpy:
  Q = R diag(lam) R^-1 (numpy.linalg.eig, complex), P(dt) = R e^{lam dt} R^-1;
  scaled forward-backward over the 50 observation steps, all paths at once;
  M = R^-T [sum (R^T u)(R^-1 v)^T o J(dt)] R^T with J_mn = (e^{lam_m dt} - e^{lam_n dt})/(lam_m - lam_n)
  (dt e^{(lam_m + lam_n) dt / 2} (1 + d^2/6 + d^4/120), d = (lam_m - lam_n) dt / 2, for |d| < 1e-2);
  D_i = M_ii, N_ij = q_ij M_ij, q_ij = N_ij / D_i, pi0 = mean posterior at the first time.
Runs ITERATIONS EM iterations per run, REPEATS timed runs after a warm-up, one BLAS thread
(the caller sets OPENBLAS_NUM_THREADS=1). Prints one JSON line: median seconds, the
log-likelihood trace of the last run and the final Q (row-major).
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

import numpy as np  # noqa: E402


def em(times, labels, n, iterations):
    K, L = times.shape
    dt = np.diff(times, axis=1)  # (K, L-1)
    emis = np.zeros((K, L, n))
    emis[np.arange(K)[:, None], np.arange(L)[None, :], labels] = 1.0
    q = np.ones((n, n))
    np.fill_diagonal(q, 0)
    np.fill_diagonal(q, -q.sum(axis=1))
    pi0 = np.full(n, 1.0 / n)
    trace = []
    for _ in range(iterations + 1):
        lam, R = np.linalg.eig(q)
        Ri = np.linalg.inv(R)
        E = np.exp(lam[None, None, :] * dt[..., None])  # (K, L-1, n)
        P = np.einsum("im,klm,mj->klij", R, E, Ri).real  # (K, L-1, n, n)
        alpha = np.empty((K, L, n))
        c = np.empty((K, L))
        a = pi0[None, :] * emis[:, 0]
        c[:, 0] = a.sum(axis=1)
        alpha[:, 0] = a / c[:, 0, None]
        for k in range(1, L):
            a = np.einsum("ki,kij->kj", alpha[:, k - 1], P[:, k - 1]).clip(min=0) * emis[:, k]
            c[:, k] = a.sum(axis=1)
            alpha[:, k] = a / c[:, k, None]
        trace.append(float(np.log(c).sum()))
        if len(trace) > iterations:
            break
        beta = np.empty((K, L, n))
        beta[:, L - 1] = 1.0
        v = np.empty((K, L - 1, n))
        for k in range(L - 2, -1, -1):
            v[:, k] = emis[:, k + 1] * beta[:, k + 1] / c[:, k + 1, None]
            beta[:, k] = np.einsum("kij,kj->ki", P[:, k], v[:, k]).clip(min=0)
        u = alpha[:, :-1]
        x = np.einsum("am,kla->klm", R, u)
        y = np.einsum("mb,klb->klm", Ri, v)
        dl = lam[:, None] - lam[None, :]
        d = dl[None, None] * dt[..., None, None] / 2
        near = np.abs(d) < 1e-2
        safe = np.where(near, 1.0, dl[None, None] * np.ones_like(d))
        Eh = np.exp(lam[None, None, :] * dt[..., None] / 2)
        Em, En = E[..., :, None], E[..., None, :]
        J = np.where(
            near,
            dt[..., None, None] * Eh[..., :, None] * Eh[..., None, :] * (1 + d**2 / 6 + d**4 / 120),
            (Em - En) / safe,
        )
        S = np.einsum("klm,kln,klmn->mn", x, y, J)
        M = (Ri.T @ S @ R.T).real
        D = np.diag(M).copy()
        N = q * M
        np.fill_diagonal(N, 0)
        N = N.clip(min=0)
        new = np.where(D[:, None] > 0, N / np.where(D > 0, D, 1)[:, None], q)
        np.fill_diagonal(new, 0)
        np.fill_diagonal(new, -new.sum(axis=1))
        q = new
        pi0 = (alpha[:, 0] * beta[:, 0]).mean(axis=0)
    return q, trace


def main():
    path, iterations, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = json.load(open(path))
    # the fixture tests/fixtures/inference/dfr_seed0.json: 6 states, clean labels = true states
    n = int(data.get("n", 6))
    times = np.array(data["times"], dtype=float)
    labels = np.array(data["labels"] if "labels" in data else data["true_states"], dtype=int)
    em(times, labels, n, iterations)  # warm-up
    secs = []
    for _ in range(repeats):
        t = time.perf_counter()
        q, trace = em(times, labels, n, iterations)
        secs.append(time.perf_counter() - t)
    print(json.dumps({
        "seconds": statistics.median(secs),
        "trace": trace,
        "q": q.ravel().tolist(),
        "versions": {"numpy": np.__version__, "python": sys.version.split()[0]},
        "threads": {k: os.environ.get(k, "") for k in ("SDENO_PEER_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
        "command": "inference_peer.py " + " ".join(sys.argv[2:]),
        "notes": notes,
    }))


if __name__ == "__main__":
    main()
