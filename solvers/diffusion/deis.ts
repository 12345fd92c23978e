/**
 * DEIS, the diffusion exponential integrator sampler of Zhang & Chen
 * ("Fast Sampling of Diffusion Models with Exponential Integrator", ICLR
 * 2023), in its tAB form (§4, eq. 14): the probability-flow ODE in noise
 * form, `x_t = (α_t/α_s) x_s − α_t ∫_{λ_s}^{λ_t} e^{−λ} ε̂ dλ`, is integrated
 * exactly for ε̂ replaced by the polynomial in the schedule time τ through
 * the last r + 1 model values (Adams–Bashforth). With ρ = σ/α = e^{−λ} the
 * weight becomes `dρ`, so step s → t is
 *
 * ```
 * x_t = (α_t/α_s) x_s + α_t Σⱼ ε̂(x_{τⱼ}, τⱼ) ∫_{ρ_s}^{ρ_t} ℓⱼ(τ(ρ)) dρ
 * ```
 *
 * with ℓⱼ the Lagrange basis over the times τ₀ = s, τ₁, … of the stored
 * values (`order` of them after a warm-up of lower orders), the integral by
 * 8-point Gauss–Legendre in ρ (exact for polynomials of degree ≤ 15: on the
 * EDM schedule, where τ = ρ = σ, the rule is exact and DEIS is k-diffusion's
 * linear multistep `sample_lms`). Order 1 is DDIM (`x_t = (α_t/α_s) x_s +
 * (σ_t − α_t σ_s/α_s) ε̂`). One model call per step (NFE = steps).
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type GridPoint, SampleRun } from "./sample_run.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode deis}. */
export interface DeisOptions extends SamplerOptions {
  /** Number of model values in the polynomial, 1–3 (default 3; 1 is DDIM). */
  order?: number;
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

/**
 * Samples with tAB-DEIS along `grid` (decreasing times of the denoiser's
 * schedule inside its range; NFE = grid.length − 1).
 *
 * @param denoiser the model (its schedule gives α, σ, λ and t(λ))
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options `order` (3) and the common options
 * @returns the final batch, NFE and the model-call times
 * @throws {SdenoRangeError} for a bad grid or an order outside 1–3
 * @throws {SdenoTypeError} when x does not fit the denoiser
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example DEIS-3 follows the exact flow of a Gaussian
 * ```ts
 * import { deis } from "./deis.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[0.25]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20, { kind: "logSNR" });
 * const out = await deis(gm, b.upload([1]), grid);
 * // the flow of N(0, v) scales x by sqrt(α²v + σ²) / sqrt(α_T²v + σ_T²)
 * const sd = (t: number) => Math.sqrt(s.alpha(t) ** 2 * 0.25 + s.sigma(t) ** 2);
 * assert.ok(Math.abs((await b.download(out.x))[0]! - sd(grid[20]!) / sd(grid[0]!)) < 1e-2);
 * assert.equal(out.nfe, 20);
 * ```
 */
export async function deis(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DeisOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("DEIS", denoiser, x, grid, options, {
    grid: "time",
    query: "eps",
    options: ["order"],
  });
  const order = run.choice("order", options.order ?? 3, [1, 2, 3]);
  const pts = run.points, steps = pts.length - 1;
  const rho = (p: GridPoint) => p.sigma / p.alpha;
  const timeOfRho = (r: number) => run.schedule.tOfLogSnr(-Math.log(r));
  return await run.use(async () => {
    const cur = await run.start(x);
    const eps = Array.from({ length: order }, () => run.alloc());
    for (let i = 0; i < steps; i++) {
      const s = pts[i]!, t = pts[i + 1]!;
      await run.model(cur, s, eps[i % order]!, "eps");
      const p = Math.min(order, i + 1);
      const nodes = Array.from({ length: p }, (_, j) => pts[i - j]!.t);
      // ∫_{ρ_s}^{ρ_t} ℓⱼ(τ(ρ)) dρ by Gauss–Legendre in ρ
      const a = rho(s), b = rho(t);
      const c = new Array<number>(p).fill(0);
      for (let q = 0; q < GL_X.length; q++) {
        const tau = timeOfRho((a + b) / 2 + (b - a) / 2 * GL_X[q]!);
        for (let j = 0; j < p; j++) {
          let l = 1;
          for (let k = 0; k < p; k++) {
            if (k !== j) l *= (tau - nodes[k]!) / (nodes[j]! - nodes[k]!);
          }
          c[j] = c[j]! + GL_W[q]! * l;
        }
      }
      const terms: Term[] = [[Math.exp(t.la - s.la), cur]];
      for (let j = 0; j < p; j++) {
        terms.push([t.alpha * c[j]! * (b - a) / 2, eps[(i - j) % order]!]);
      }
      await run.lc(cur, terms);
      await run.endStep(i, cur, undefined);
    }
    return run.finish(cur);
  });
}

/**
 * The method object of {@linkcode deis} (NFE = steps).
 *
 * @example
 * ```ts
 * import { deisMethod } from "./deis.ts";
 * import assert from "node:assert/strict";
 * assert.equal(deisMethod.info.nfe({ points: 11, endsAtZero: false }, {}), 10);
 * ```
 */
export const deisMethod: DiffusionMethod<DeisOptions> = diffusionMethod({
  family: "diffusion",
  name: "deis",
  aliases: ["tab_deis"],
  summary: "tAB-DEIS 1-3, exponential integrator with ε̂ polynomial in t (Zhang & Chen, ICLR 2023)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 3,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["order"],
  nfe: (g) => g.points - 1,
}, deis);
