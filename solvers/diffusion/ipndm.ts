/**
 * iPNDM, the improved pseudo-numerical method of Zhang & Chen ("Fast
 * Sampling of Diffusion Models with Exponential Integrator", ICLR 2023,
 * §5 and App. D; after Liu et al.'s PNDM, ICLR 2022): explicit
 * Adams–Bashforth steps on the probability-flow ODE `dx/dσ = (x − D(x, σ))/σ`
 * with the fixed-step coefficients of order 1–4 and a warm-up of lower orders
 * that uses the same model values (no Runge–Kutta start, one model call per
 * step), as k-diffusion's and ComfyUI's `sample_ipndm`:
 *
 * ```
 * x_{i+1} = x_i + (σ_{i+1} − σ_i)·Σⱼ bⱼ d_{i−j},   d = (x − D)/σ
 * b = [1], [3, −1]/2, [23, −16, 5]/12, [55, −59, 37, −9]/24
 * ```
 *
 * The warm-up's single Euler step leaves a global error O(h²), so the
 * declared order is 2, although later steps are fourth order.
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode sampleIpndm}. */
export interface IpndmOptions extends SamplerOptions {
  /** Highest Adams–Bashforth order, 1–4 (default 4, ComfyUI's `max_order`). */
  maxOrder?: number;
}

/** Adams–Bashforth coefficients of the fixed-step iPNDM, newest value first. */
const AB: readonly (readonly number[])[] = [
  [1],
  [3 / 2, -1 / 2],
  [23 / 12, -16 / 12, 5 / 12],
  [55 / 24, -59 / 24, 37 / 24, -9 / 24],
];

/**
 * Samples with iPNDM along a σ grid (NFE = steps).
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options `maxOrder` (4) and the common options
 * @returns the samples, NFE and the model-call times
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or maxOrder outside 1–4
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example Data N(0, 1): the exact flow maps 80 to 80/sqrt(1 + 80²)
 * ```ts
 * import { sampleIpndm } from "./ipndm.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleIpndm(model, b.upload([80]), karrasSigmas(20));
 * assert.equal(r.nfe, 20);
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.05);
 * ```
 */
export async function sampleIpndm(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: IpndmOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("ipndm", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: ["maxOrder"],
  });
  const maxOrder = run.integer("maxOrder", options.maxOrder ?? 4, 1, 4);
  return await run.use(async () => {
    const s = run.sigmas;
    const xs = await run.start(x);
    const den = run.alloc();
    // d values of the last maxOrder steps, a ring indexed by step
    const d = Array.from({ length: maxOrder }, () => run.alloc());
    for (let i = 0; i + 1 < s.length; i++) {
      await run.denoise(xs, run.points[i]!, den);
      const di = d[i % maxOrder]!;
      await run.lc(di, [[1 / s[i]!, xs], [-1 / s[i]!, den]]);
      const b = AB[Math.min(maxOrder, i + 1) - 1]!;
      const h = s[i + 1]! - s[i]!;
      const terms: Term[] = [[1, xs]];
      b.forEach((bj, j) => terms.push([h * bj, d[(i - j) % maxOrder]!]));
      await run.lc(xs, terms);
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleIpndm} (NFE = steps).
 *
 * @example
 * ```ts
 * import { ipndmMethod } from "./ipndm.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ipndmMethod.info.nfe({ points: 11, endsAtZero: true }, {}), 10);
 * ```
 */
export const ipndmMethod: DiffusionMethod<IpndmOptions> = diffusionMethod({
  family: "diffusion",
  name: "ipndm",
  aliases: ["sample_ipndm"],
  summary:
    "iPNDM, Adams–Bashforth 1–4 on the σ ODE without a Runge–Kutta start (Zhang & Chen 2023)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  // AB4 steps, but the Euler first step leaves a global O(h²) (measured 2.1 in ipndm_test.ts)
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["maxOrder"],
  nfe: (g) => g.points - 1,
}, sampleIpndm);
