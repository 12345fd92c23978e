/**
 * k-diffusion's `sample_heun`: Heun's second-order method on the
 * probability-flow ODE (Karras et al., NeurIPS 2022, Algorithm 1; with
 * churn, Algorithm 2).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { checkChurn, churn, CHURN_OPTIONS } from "./_k_steps.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";
import type { ChurnOptions } from "./churn_options.ts";

/** Options of {@linkcode sampleHeun}: churn (default off) and the common ones. */
export interface HeunOptions extends SamplerOptions, ChurnOptions {}

/**
 * Heun sampler: `x₂ = x + d·Δσ`, `d₂ = (x₂ − D(x₂, σᵢ₊₁))/σᵢ₊₁`,
 * `x ← x + (d + d₂)/2·Δσ`; a step to σ = 0 is a plain Euler step, so a grid
 * of n positive σ's plus 0 costs NFE = 2n − 1 (k-diffusion's count). Churn
 * options as {@linkcode sampleEuler}.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options churn and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example Ten steps (NFE 19) from σ = 80
 * ```ts
 * import { sampleHeun } from "./sample_heun.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleHeun(model, b.upload([80]), karrasSigmas(10));
 * assert.equal(r.nfe, 19);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * ```
 */
export async function sampleHeun(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: HeunOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("heun", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: CHURN_OPTIONS,
  });
  const karras = checkChurn(run, options);
  return run.use(async () => {
    const s = run.sigmas;
    const xs = await run.start(x);
    const den = run.alloc(), x2 = run.alloc(), den2 = run.alloc();
    for (let i = 0; i + 1 < s.length; i++) {
      const sh = await churn(run, xs, i, karras);
      await run.denoise(xs, sh, den);
      const dt = s[i + 1]! - sh, c = dt / sh;
      if (s[i + 1] === 0) {
        await run.lc(xs, [[1 + c, xs], [-c, den]]);
      } else {
        await run.lc(x2, [[1 + c, xs], [-c, den]]);
        await run.denoise(x2, s[i + 1]!, den2);
        const c2 = dt / s[i + 1]!;
        await run.lc(xs, [[1 + c / 2, xs], [-c / 2, den], [c2 / 2, x2], [-c2 / 2, den2]]);
      }
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleHeun} (two calls per step, one for a step to σ = 0).
 *
 * @example
 * ```ts
 * import { heunMethod } from "./sample_heun.ts";
 * import assert from "node:assert/strict";
 * assert.equal(heunMethod.info.name, "heun");
 * ```
 */
export const heunMethod: DiffusionMethod<HeunOptions> = diffusionMethod({
  family: "diffusion",
  name: "heun",
  aliases: ["sample_heun"],
  summary:
    "Heun's second-order steps with Karras churn (Karras et al. 2022, Alg. 2), k-diffusion's sample_heun",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: CHURN_OPTIONS,
  nfe: (g) => 2 * (g.points - 1) - (g.endsAtZero ? 1 : 0),
}, sampleHeun);
