"""numpy reference implementations of guidance methods on the exact d = 8 GMM benchmark
(tests/fixtures/inverse/gmm, ../shared/refs/inverse README §1–§2), timed for `deno task bench`:
time to `n` posterior samples at the K = 100 quadratic grid, η = 1, x_T ~ N(0, I), exact score.

Written from the update rules in ../shared/refs/inverse/README.md (DPS, ΠGDM with the rt2
coefficient, DDRM, RED-diff, MCGdiff); the SW1 of each run against the stored exact samples is
printed so the peer's correctness can be read against the stored reference levels.

usage: python3 bench/peers/inverse_peer.py <instances.json> <instance> <n> [methods,...]
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _peers import Report  # noqa: E402  (sets thread variables before numpy loads)

import numpy as np  # noqa: E402


def quadratic_grid(k, t=1000):
    s = {1} | {int(round(t * (i / k) ** 2)) for i in range(k + 1)}
    return sorted(s, reverse=True)


class Gmm:
    def __init__(self, weights, means, abar):
        self.w = np.asarray(weights)
        self.mu = np.asarray(means)
        self.abar = abar

    def x0hat_and_j(self, x, t):
        """Tweedie x̂₀ and, for the VJP, the responsibilities (identity covariances)."""
        ab = self.abar[t]
        sa = np.sqrt(ab)
        d2 = ((x[:, None, :] - sa * self.mu[None]) ** 2).sum(-1)
        logit = np.log(self.w)[None] - 0.5 * d2
        logit -= logit.max(1, keepdims=True)
        r = np.exp(logit)
        r /= r.sum(1, keepdims=True)
        m = r @ self.mu
        return sa * x + (1 - ab) * m, r, m

    def vjp(self, r, m, v, t):
        """Jᵀv with J = √ᾱ I + (1 − ᾱ)√ᾱ Cov_r(μ) (symmetric)."""
        ab = self.abar[t]
        sa = np.sqrt(ab)
        mv = (self.mu @ v.T).T  # n × K: μ_k·v
        cov_v = (r * mv).sum(1, keepdims=True)
        second = (r[:, :, None] * self.mu[None] * mv[:, :, None]).sum(1) - m * cov_v
        return sa * v + (1 - ab) * sa * second


def ddim(abt, abs_, eta):
    c1 = 0.0 if abs_ >= 1 else eta * np.sqrt(max(0.0, (1 - abt / abs_) * (1 - abs_) / (1 - abt)))
    c2 = np.sqrt(max(0.0, 1 - abs_ - c1 * c1))
    return np.sqrt(abs_), c2, c1


def run_dps(inst, gmm, grid, n, rng, zeta=0.1):
    A, y = inst["A"], inst["y"]
    x = rng.standard_normal((n, A.shape[1]))
    for t, s in zip(grid[:-1], grid[1:]):
        abt, abs_ = gmm.abar[t], gmm.abar[s]
        x0, r, m = gmm.x0hat_and_j(x, t)
        eps = (x - np.sqrt(abt) * x0) / np.sqrt(1 - abt)
        a, c2, c1 = ddim(abt, abs_, 1.0)
        xs = a * x0 + c2 * eps + c1 * rng.standard_normal(x.shape)
        res = y[None] - x0 @ A.T
        norm = np.linalg.norm(res, axis=1, keepdims=True)
        grad = -2 * gmm.vjp(r, m, res @ A, t)  # ∇_{x_t} ‖y − A x̂₀‖²
        x = xs - zeta / norm * grad
    return x


def run_pigdm(inst, gmm, grid, n, rng, w=1.0):
    A, y, sy = inst["A"], inst["y"], inst["sigma_y"]
    x = rng.standard_normal((n, A.shape[1]))
    aat = A @ A.T
    for t, s in zip(grid[:-1], grid[1:]):
        abt, abs_ = gmm.abar[t], gmm.abar[s]
        x0, r, m = gmm.x0hat_and_j(x, t)
        eps = (x - np.sqrt(abt) * x0) / np.sqrt(1 - abt)
        rt2 = 1 - abt
        res = y[None] - x0 @ A.T
        sol = np.linalg.solve(rt2 * aat + sy * sy * np.eye(len(y)), res.T).T
        g = gmm.vjp(r, m, sol @ A, t)
        a, c2, c1 = ddim(abt, abs_, 1.0)
        x = a * x0 + c2 * eps + c1 * rng.standard_normal(x.shape) + w * np.sqrt(abs_ * abt) * rt2 * g
    return x


def run_ddrm(inst, gmm, grid, n, rng, eta=0.85, eta_b=1.0, eta_c=1.0):
    U, s_vals, Vh, y, sy = inst["U"], inst["s"], inst["Vh"], inst["y"], inst["sigma_y"]
    d, dy = Vh.shape[1], len(s_vals)
    ybar = (U.T @ y) / s_vals
    sig = sy / s_vals
    x = rng.standard_normal((n, d))
    for t, s in zip(grid[:-1], grid[1:]):
        abt, abs_ = gmm.abar[t], gmm.abar[s]
        x0, _, _ = gmm.x0hat_and_j(x, t)
        sigma_t = np.sqrt((1 - abt) / abt)
        sigma_s = np.sqrt((1 - abs_) / abs_)
        xve = x / np.sqrt(abt)
        v0 = x0 @ Vh.T
        eps_v = ((xve - x0) / sigma_t) @ Vh.T
        z = rng.standard_normal((n, d))
        out = v0 + np.sqrt(1 - eta_c ** 2) * sigma_s * eps_v + eta_c * sigma_s * z
        for i in range(dy):
            if sigma_s < sig[i]:
                out[:, i] = (v0[:, i] + np.sqrt(1 - eta ** 2) * sigma_s * (ybar[i] - v0[:, i]) / sig[i]
                             + eta * sigma_s * z[:, i])
            else:
                out[:, i] = ((1 - eta_b) * v0[:, i] + eta_b * ybar[i]
                             + np.sqrt(sigma_s ** 2 - (eta_b * sig[i]) ** 2) * z[:, i])
        x = np.sqrt(abs_) * (out @ Vh)
    return x


def run_reddiff(inst, gmm, grid, n, rng, lam=0.25, lr=0.1):
    A, y = inst["A"], inst["y"]
    pinv = np.linalg.pinv(A)
    mu = np.tile(pinv @ y, (n, 1))
    m1 = np.zeros_like(mu)
    m2 = np.zeros_like(mu)
    b1, b2, k = 0.9, 0.99, 0
    d, dy = A.shape[1], A.shape[0]
    for t in grid[:-1]:  # noisy → clean, the t = 0 end excluded
        ab = gmm.abar[t]
        eps = rng.standard_normal(mu.shape)
        xt = np.sqrt(ab) * mu + np.sqrt(1 - ab) * eps
        x0, _, _ = gmm.x0hat_and_j(xt, t)
        epshat = (xt - np.sqrt(ab) * x0) / np.sqrt(1 - ab)
        wt = lam * np.sqrt(1 - ab) / np.sqrt(ab)
        grad = wt * (epshat - eps) / d - ((y[None] - mu @ A.T) @ A) / dy
        k += 1
        m1 = b1 * m1 + (1 - b1) * grad
        m2 = b2 * m2 + (1 - b2) * grad * grad
        mu = mu - lr * (m1 / (1 - b1 ** k)) / (np.sqrt(m2 / (1 - b2 ** k)) + 1e-8)
    return mu


def run_mcgdiff(inst, gmm, grid, n, rng, particles=1000, kappa=1e-4):
    U, s_vals, Vh, y, sy = inst["U"], inst["s"], inst["Vh"], inst["y"], inst["sigma_y"]
    d, dy = Vh.shape[1], len(s_vals)
    ab = gmm.abar
    yb = U.T @ y
    tau = [int(np.argmin(np.abs(np.sqrt(ab[1:]) * sy / sj - np.sqrt(1 - ab[1:])))) + 1 for sj in s_vals]
    yt = np.array([np.sqrt(ab[tj]) * yb[j] / s_vals[j] for j, tj in enumerate(tau)])
    times = sorted(set(grid) | set(tau), reverse=True)

    def pin(t, j):
        a = ab[t] / ab[tau[j]]
        return np.sqrt(a) * yt[j], 1 - (1 - kappa) * a

    out = []
    for _ in range(max(1, n // particles)):
        # exact initialisation from N(0, I) · Π_j g_{T,j} in V coordinates
        T = times[0]
        xb = rng.standard_normal((particles, d))
        for j in range(dy):
            if T >= tau[j]:
                m, v = pin(T, j)
                k = 1 / (1 + v)
                xb[:, j] = k * m + np.sqrt(v * k) * rng.standard_normal(particles)
        for t, s in zip(times[:-1], times[1:]):
            x = xb @ Vh
            abt, abs_ = ab[t], ab[s]
            x0, _, _ = gmm.x0hat_and_j(x, t)
            eps = (x - np.sqrt(abt) * x0) / np.sqrt(1 - abt)
            a, c2, c1 = ddim(abt, abs_, 1.0)
            mean = (a * x0 + c2 * eps) @ Vh.T
            logw = np.zeros(particles)
            for j in range(dy):
                if s >= tau[j] and s > 0:
                    ms, vs = pin(s, j)
                    var = c1 * c1 + vs
                    logw += -0.5 * (ms - mean[:, j]) ** 2 / var - 0.5 * np.log(var)
                if t >= tau[j]:
                    mt, vt = pin(t, j)
                    logw -= -0.5 * (xb[:, j] - mt) ** 2 / vt - 0.5 * np.log(vt)
            wgt = np.exp(logw - logw.max())
            wgt /= wgt.sum()
            idx = rng.choice(particles, particles, p=wgt)
            mean = mean[idx]
            new = mean + c1 * rng.standard_normal(mean.shape)
            for j in range(dy):
                if s >= tau[j] and s > 0:
                    ms, vs = pin(s, j)
                    k = c1 * c1 / (c1 * c1 + vs)
                    new[:, j] = k * ms + (1 - k) * mean[:, j] + np.sqrt(vs * k) * rng.standard_normal(particles)
            xb = new
        out.append(xb @ Vh)
    return np.concatenate(out)


def sliced_w1(x, y, dirs):
    """SW1 over the given unit directions: the mean over directions of the 1-D W1 between the
    two empirical laws (any sizes), as ∫|F⁻¹ − G⁻¹| on the merged grid of levels."""
    total = 0.0
    for u in dirs:
        a, b = np.sort(x @ u), np.sort(y @ u)
        levels = np.union1d(np.arange(1, len(a) + 1) / len(a), np.arange(1, len(b) + 1) / len(b))
        qa = a[np.minimum((np.ceil(levels * len(a)) - 1).astype(int), len(a) - 1)]
        qb = b[np.minimum((np.ceil(levels * len(b)) - 1).astype(int), len(b) - 1)]
        widths = np.diff(np.concatenate([[0.0], levels]))
        total += float((np.abs(qa - qb) * widths).sum())
    return total / len(dirs)


METHODS = {"dps": run_dps, "pigdm": run_pigdm, "ddrm": run_ddrm, "reddiff": run_reddiff,
           "mcgdiff": run_mcgdiff}


def main():
    path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    methods = sys.argv[4].split(",") if len(sys.argv) > 4 else list(METHODS)
    data = json.load(open(path))
    raw = next(i for i in data["instances"] if i["name"] == name)
    inst = {"A": np.asarray(raw["A"]), "y": np.asarray(raw["y"]), "sigma_y": raw["sigma_y"],
            "U": np.asarray(raw["U"]), "s": np.asarray(raw["singular_values"]),
            "Vh": np.asarray(raw["Vh"])}
    betas = np.linspace(1e-4, 0.02, 1000)
    abar = np.concatenate([[1.0], np.cumprod(1 - betas)])
    gmm = Gmm(raw["weights"], raw["means"], abar)
    grid = quadratic_grid(100)
    d = inst["A"].shape[1]
    base = os.path.dirname(path)
    exact = np.fromfile(os.path.join(base, raw["samples_file"]), dtype="<f4").reshape(-1, d)
    dirs = np.fromfile(os.path.join(base, raw["sw_dirs_file"]), dtype="<f4").reshape(-1, d)
    dirs = dirs / np.linalg.norm(dirs, axis=1, keepdims=True)
    report = Report()
    report.versions["numpy"] = np.__version__
    sw = {}
    for m in methods:
        fn = METHODS[m]
        rng = np.random.default_rng(0)
        holder = {}

        def run():
            holder["x"] = fn(inst, gmm, grid, n, rng)
            return float(holder["x"].mean())

        report.time(f"numpy f64 {m}, {n} samples, K = 100", f"inverse:{m}", n, run, repeats=1,
                    warm=lambda: None, threads=1, dtype="f64")
        sw[m] = sliced_w1(holder["x"], exact, dirs)
    report.extra["sw1"] = sw
    report.emit()


if __name__ == "__main__":
    main()
