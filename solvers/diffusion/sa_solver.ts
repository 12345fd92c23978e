/**
 * SA-Solver, the stochastic Adams solver of Xue, Yi, Huang, Chen, Lu, Wu,
 * Li, Nie & Zhu ("SA-Solver: Stochastic Adams Solver for Fast Sampling of
 * Diffusion Models", NeurIPS 2023, 2309.05019), data-prediction form, as
 * diffusers' `SASolverScheduler` runs it. The variance-controlled SDE with
 * noise scale τ (τ = 0: the probability-flow ODE; τ = 1: the reverse SDE) is
 * integrated exactly in λ = log(α/σ) for x̂₀ replaced by its Lagrange
 * polynomial through stored model values (§4, eq. 14–16):
 *
 * ```
 * x_t = e^{−τ²h} (σ_t/σ_s) x_s + Σ_k b_k x̂₀(t_k) + σ_t sqrt(1 − e^{−2τ²h}) ξ,
 * b_k = (1 + τ²) α_t ∫_{λ_s}^{λ_t} e^{(1+τ²)(λ−λ_t)} ℓ_k(λ) dλ,   h = λ_t − λ_s
 * ```
 *
 * The SA-Predictor (Adams–Bashforth, order p) uses the newest p values; the
 * SA-Corrector (Adams–Moulton, order c) redoes the last step from the same
 * start and with the same ξ once the model value at its end is known, so
 * each step costs one model call. Orders warm up (p ≤ steps + 1, c ≤ steps
 * + 2) and, with `lowerOrderFinal`, come down at the end; at order 2 both
 * get the O(h³) modification of the reference (Appendix, as in UniPC). The
 * integrals are Gauss–Legendre sums (4 panels of 8 points: exact to
 * rounding for these smooth integrands).
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { type GridPoint, SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode saSolver}. */
export interface SaSolverOptions extends SamplerOptions {
  /** Predictor order, 1–4 (default 2). */
  predictorOrder?: number;
  /** Corrector order, 1–4 (default 2). */
  correctorOrder?: number;
  /**
   * τ ≥ 0, a number or a function of the schedule time (default diffusers'
   * rule: 1 when the 1000-step time label — the schedule's `modelLabel(t)`,
   * else 1000·t — is in [200, 800], else 0).
   */
  tau?: number | ((t: number) => number);
  /** Lower the orders on the last steps (default true). */
  lowerOrderFinal?: boolean;
}

// 8-point Gauss–Legendre nodes and weights on [−1, 1] (Abramowitz & Stegun, Table 25.4)
const GL_X = [
  -0.9602898564975363,
  -0.7966664774136267,
  -0.5255324099163290,
  -0.1834346424956498,
  0.1834346424956498,
  0.5255324099163290,
  0.7966664774136267,
  0.9602898564975363,
];
const GL_W = [
  0.1012285362903763,
  0.2223810344533745,
  0.3137066458778873,
  0.3626837833783620,
  0.3626837833783620,
  0.3137066458778873,
  0.2223810344533745,
  0.1012285362903763,
];
const PANELS = 4;

/**
 * The weights b_k of a step s → t for the values at nodes λ_k (newest
 * first), with the order-2 modification `mod` (added to b₀, taken from b₁).
 */
function adamsWeights(
  s: GridPoint,
  t: GridPoint,
  nodes: readonly number[],
  tau: number,
  mod: "predictor" | "corrector",
  lamPrev: number,
): number[] {
  const c = 1 + tau * tau, h = t.lam - s.lam, p = nodes.length;
  const b = new Array<number>(p).fill(0);
  const width = h / PANELS;
  for (let q = 0; q < PANELS; q++) {
    const mid = s.lam + (q + 0.5) * width;
    for (let g = 0; g < GL_X.length; g++) {
      const lam = mid + width / 2 * GL_X[g]!;
      const w = GL_W[g]! * width / 2 * Math.exp(c * (lam - t.lam));
      for (let k = 0; k < p; k++) {
        let l = 1;
        for (let j = 0; j < p; j++) {
          if (j !== k) l *= (lam - nodes[j]!) / (nodes[k]! - nodes[j]!);
        }
        b[k] = b[k]! + w * l;
      }
    }
  }
  for (let k = 0; k < p; k++) b[k] = b[k]! * c * t.alpha;
  if (p === 2) {
    const e = (h * c - 1 + Math.exp(-c * h)) / (c * c);
    const d = c * t.alpha *
      (mod === "predictor" ? (h * h / 2 - e) / (s.lam - lamPrev) : h / 2 - e / h);
    b[0] = b[0]! + d;
    b[1] = b[1]! - d;
  }
  return b;
}

/** diffusers' default τ: 1 on the middle 60% of the 1000-step time labels, else 0. */
function defaultTau(denoiser: Denoiser): (t: number) => number {
  const label = (denoiser.schedule as { modelLabel?: (t: number) => number }).modelLabel;
  return (t) => {
    const k = Math.round(label ? label(t) : 1000 * t);
    return k >= 200 && k <= 800 ? 1 : 0;
  };
}

/**
 * Samples with SA-Solver along a time grid (NFE = steps; one noise draw per step).
 *
 * @param denoiser the model (its schedule gives α, σ, λ)
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times inside the schedule's range
 * @param options orders, τ, `lowerOrderFinal` and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape, a grid with < 2 points or a τ that is not a number or function
 * @throws {SdenoRangeError} for a bad grid, orders outside 1–4 or τ < 0
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example With τ = 0 it solves the probability-flow ODE of a Gaussian
 * ```ts
 * import { saSolver } from "./sa_solver.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[0.25]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20, { kind: "logSNR" });
 * const out = await saSolver(gm, b.upload([1]), grid, { tau: 0, predictorOrder: 3, correctorOrder: 3 });
 * const sd = (t: number) => Math.sqrt(s.alpha(t) ** 2 * 0.25 + s.sigma(t) ** 2);
 * assert.ok(Math.abs((await b.download(out.x))[0]! - sd(grid[20]!) / sd(grid[0]!)) < 1e-3);
 * assert.equal(out.nfe, 20);
 * ```
 */
export async function saSolver(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: SaSolverOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("sa_solver", denoiser, x, grid, options, {
    grid: "time",
    query: "x0",
    options: ["predictorOrder", "correctorOrder", "tau", "lowerOrderFinal"],
  });
  const P = run.integer("predictorOrder", options.predictorOrder ?? 2, 1, 4);
  const C = run.integer("correctorOrder", options.correctorOrder ?? 2, 1, 4);
  const lowerOrderFinal = options.lowerOrderFinal ?? true;
  if (typeof lowerOrderFinal !== "boolean") {
    throw new SdenoTypeError(
      `${run.what}: lowerOrderFinal must be a boolean, got ${quote(lowerOrderFinal)}`,
    );
  }
  const tauOption = options.tau ?? defaultTau(denoiser);
  if (typeof tauOption === "number") run.nonNegative("tau", tauOption);
  else if (typeof tauOption !== "function") {
    throw new SdenoTypeError(
      `${run.what}: tau must be a number or a function of t, got ${quote(tauOption)}`,
    );
  }
  const tauAt = (t: number) => {
    const v = typeof tauOption === "number" ? tauOption : tauOption(t);
    if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
      throw new SdenoRangeError(
        `${run.what}: tau(${t}) must be a finite number ≥ 0, got ${quote(v)}`,
      );
    }
    return v;
  };
  const pts = run.points, steps = pts.length - 1;
  const keep = Math.max(P, C - 1) + 1;
  return await run.use(async () => {
    const xs = await run.start(x);
    const m = Array.from({ length: keep }, () => run.alloc()); // x̂₀ at step i in m[i % keep]
    const z = [run.alloc(), run.alloc()]; // the noise of the step and of the one before
    const last = run.alloc();
    let lower = 0, corrOrder = 1;
    // x_t = e^{−τ²h}(σ_t/σ_s)·x + Σ b_k x̂₀_k + σ_t sqrt(1 − e^{−2τ²h})·ξ
    const update = async (
      out: DeviceArray,
      from: DeviceArray,
      si: number,
      ti: number,
      newest: number,
      order: number,
      kind: "predictor" | "corrector",
      noise: DeviceArray,
    ) => {
      const s = pts[si]!, t = pts[ti]!, tau = tauAt(s.t), h = t.lam - s.lam;
      const nodes = Array.from({ length: order }, (_, k) => pts[newest - k]!.lam);
      const lamPrev = si >= 1 ? pts[si - 1]!.lam : NaN;
      const b = adamsWeights(s, t, nodes, tau, kind, lamPrev);
      const terms: Term[] = [[Math.exp(-tau * tau * h) * t.sigma / s.sigma, from]];
      b.forEach((bk, k) => terms.push([bk, m[(newest - k) % keep]!]));
      terms.push([t.sigma * Math.sqrt(-Math.expm1(-2 * tau * tau * h)), noise]);
      await run.lc(out, terms);
    };
    for (let i = 0; i < steps; i++) {
      await run.model(xs, pts[i]!, m[i % keep]!, "x0");
      if (i > 0) await update(xs, last, i - 1, i, i, corrOrder, "corrector", z[(i - 1) % 2]!);
      const zi = z[i % 2]!;
      await run.drawNoise(zi, { from: pts[i]!.t, to: pts[i + 1]!.t });
      let p = P, c = C;
      if (lowerOrderFinal) {
        p = Math.min(P, steps - i);
        c = Math.min(C, steps - i + 1);
      }
      p = Math.min(p, lower + 1);
      corrOrder = Math.min(c, lower + 2);
      await run.lc(last, [[1, xs]]);
      await update(xs, last, i, i + 1, i, p, "predictor", zi);
      if (lower < Math.max(P, C - 1)) lower++;
      await run.endStep(i, xs, m[i % keep]);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode saSolver} (NFE = steps).
 *
 * @example
 * ```ts
 * import { saSolverMethod } from "./sa_solver.ts";
 * import assert from "node:assert/strict";
 * assert.equal(saSolverMethod.info.nfe({ points: 11, endsAtZero: false }, {}), 10);
 * ```
 */
export const saSolverMethod: DiffusionMethod<SaSolverOptions> = diffusionMethod({
  family: "diffusion",
  name: "sa_solver",
  aliases: ["sasolver", "stochastic_adams"],
  summary: "SA-Solver, stochastic Adams predictor–corrector with noise scale τ (Xue et al. 2023)",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["predictorOrder", "correctorOrder", "tau", "lowerOrderFinal"],
  nfe: (g) => g.points - 1,
}, saSolver);
