// Shared by the convergence tests: strong and weak errors of a solver on a
// model with a known pathwise solution, at step sizes T/2^k, all on one fine
// Brownian grid, and a least-squares fit of log error on log h with its SE.
import { brownianGrid } from "../../../solvers/sde/brownian_grid.ts";
import { solveSde } from "../../../solvers/sde/solve_sde.ts";
import type { SdeSolver } from "../../../solvers/sde/solver_info.ts";
import type { BrownianPath } from "../../../solvers/sde/brownian_path.ts";
import type { SdeModel } from "../../../processes/sde.ts";

export interface Level {
  h: number;
  strong: number;
  strongSe: number;
  weak: number;
  weakSe: number;
}

export function errorLevels(
  model: SdeModel,
  solver: SdeSolver,
  o: { x0: number; T: number; ks: number[]; paths: number; seed: number; referenceK?: number },
): Level[] {
  const fine = o.T / 2 ** (o.referenceK ?? Math.max(...o.ks));
  const key = { seed: o.seed, stream: 0 };
  const bm = brownianGrid(key, { noiseDim: 1, dt: fine });
  const wT = { dW: new Float64Array(o.paths) };
  bm.increment(0, o.T, wT, o.paths);
  // the exact solution on the same path, or the solver itself on the finest grid
  const exact = model.solution
    ? Float64Array.from(wT.dW, (w) => model.solution!(o.T, [o.x0], [w])[0]!)
    : solveSde(model, { solver, x0: [o.x0], paths: o.paths, t1: o.T, dt: fine, brownian: bm }).x;
  return o.ks.map((k) => {
    const h = o.T / 2 ** k;
    const sol = solveSde(model, {
      solver,
      x0: [o.x0],
      paths: o.paths,
      t1: o.T,
      dt: h,
      brownian: bm,
    });
    let s = 0, s2 = 0, w = 0, w2 = 0;
    for (let i = 0; i < o.paths; i++) {
      const e = sol.x[i]! - exact[i]!;
      s += Math.abs(e);
      s2 += e * e;
      w += e;
      w2 += e * e;
    }
    const n = o.paths;
    const strong = s / n, weak = w / n;
    return {
      h,
      strong,
      strongSe: Math.sqrt(Math.max(s2 / n - strong * strong, 0) / (n - 1)),
      weak,
      weakSe: Math.sqrt(Math.max(w2 / n - weak * weak, 0) / (n - 1)),
    };
  });
}

/** Weighted least-squares slope of log y on log h, and its standard error (from the per-level SEs of log y). */
export function fitOrder(h: number[], y: number[], se: number[]): { slope: number; se: number } {
  const X = h.map(Math.log), Y = y.map((v) => Math.log(Math.abs(v)));
  const W = y.map((v, i) => (Math.abs(v) / se[i]!) ** 2); // 1/Var(log y) by the delta method
  const sw = W.reduce((a, b) => a + b, 0);
  const mx = X.reduce((a, x, i) => a + W[i]! * x, 0) / sw;
  const my = Y.reduce((a, v, i) => a + W[i]! * v, 0) / sw;
  let sxx = 0, sxy = 0;
  for (let i = 0; i < X.length; i++) {
    sxx += W[i]! * (X[i]! - mx) ** 2;
    sxy += W[i]! * (X[i]! - mx) * (Y[i]! - my);
  }
  return { slope: sxy / sxx, se: Math.sqrt(1 / sxx) };
}

/** Gauss–Hermite nodes and weights for the standard normal law (exact for polynomials of degree < 2q). */
export function gaussHermite(q: number): { x: number[]; w: number[] } {
  const he = (n: number, x: number): [number, number] => {
    let a = 1, b = x;
    if (n === 0) return [1, 0];
    for (let k = 1; k < n; k++) [a, b] = [b, x * b - k * a];
    return [b, a]; // He_n(x), He_{n−1}(x)
  };
  const xs: number[] = [];
  let prev = -12, fp = he(q, prev)[0];
  for (let k = 1; k <= 24000; k++) {
    const x = -12 + k * 1e-3;
    const fx = he(q, x)[0];
    if (fp === 0 || fp * fx < 0) {
      let lo = prev, hi = x;
      for (let it = 0; it < 80; it++) {
        const mid = 0.5 * (lo + hi);
        if (he(q, lo)[0] * he(q, mid)[0] <= 0) hi = mid;
        else lo = mid;
      }
      xs.push(0.5 * (lo + hi));
    }
    prev = x;
    fp = fx;
  }
  let fact = 1;
  for (let k = 2; k <= q; k++) fact *= k;
  return { x: xs, w: xs.map((x) => fact / (q * q * he(q - 1, x)[0] ** 2)) };
}

/**
 * E[R] and E[R²] of one step of `solver` from x = 1 on a linear SDE, R the
 * one-step amplification, by Gauss–Hermite quadrature over the step's two
 * normals (ΔW = √h ξ, ΔZ = h^{3/2}(ξ/2 + η/(2√3))): exact, because R is a
 * polynomial in ξ, η of low degree. Then E[X_N] = X₀E[R]^N and
 * E[X_N²] = X₀²E[R²]^N for any one-step method.
 */
export function stepMoments(model: SdeModel, solver: SdeSolver, h: number): [number, number] {
  const { x, w } = gaussHermite(8);
  const n = x.length * x.length;
  const dW = new Float64Array(n), dZ = new Float64Array(n), wt = new Float64Array(n);
  for (let a = 0; a < x.length; a++) {
    for (let b = 0; b < x.length; b++) {
      const i = a * x.length + b;
      dW[i] = Math.sqrt(h) * x[a]!;
      dZ[i] = h * Math.sqrt(h) * (0.5 * x[a]! + x[b]! / (2 * Math.sqrt(3)));
      wt[i] = w[a]! * w[b]!;
    }
  }
  const bm: BrownianPath = {
    kind: "tree",
    noiseDim: 1,
    t0: 0,
    t1: h,
    dt: undefined,
    increment(_s, _t, out, k) {
      out.dW.set(dW.subarray(0, k));
      out.dZ?.set(dZ.subarray(0, k));
    },
  };
  const sol = solveSde(model, { solver, x0: [1], paths: n, t1: h, dt: h, brownian: bm });
  let m1 = 0, m2 = 0;
  for (let i = 0; i < n; i++) {
    m1 += wt[i]! * sol.x[i]!;
    m2 += wt[i]! * sol.x[i]! ** 2;
  }
  return [m1, m2];
}
