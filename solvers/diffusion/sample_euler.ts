/**
 * k-diffusion's `sample_euler`: Euler steps on the probability-flow ODE
 * `dx/dσ = (x − D(x, σ))/σ` (Karras et al., NeurIPS 2022, Algorithm 2 with
 * first-order steps), with the optional stochastic churn.
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

/** Options of {@linkcode sampleEuler}: churn (default off) and the common ones. */
export interface EulerOptions extends SamplerOptions, ChurnOptions {}

/**
 * Euler sampler: `x ← x + d·(σᵢ₊₁ − σ̂ᵢ)` with `d = (x − D(x, σ̂ᵢ))/σ̂ᵢ`, one
 * model call per step (NFE = steps). With `sChurn > 0`, σ̂ᵢ = σᵢ(1 + γᵢ) and
 * fresh noise is added first (Algorithm 2, lines 4–6); defaults `sChurn = 0`,
 * `sTmin = 0`, `sTmax = ∞`, `sNoise = 1` are k-diffusion's.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]` (e.g. σ_max·z); not modified
 * @param grid decreasing times, usually ending in σ = 0 ({@linkcode karrasSigmas})
 * @param options churn and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example Data N(0, 1): the exact flow maps 80 to 80/sqrt(1 + 80²)
 * ```ts
 * import { sampleEuler } from "./sample_euler.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleEuler(model, b.upload([80]), karrasSigmas(20));
 * assert.equal(r.nfe, 20);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * ```
 */
export async function sampleEuler(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: EulerOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("euler", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: CHURN_OPTIONS,
  });
  const karras = checkChurn(run, options);
  return run.use(async () => {
    const s = run.sigmas;
    const xs = await run.start(x);
    const den = run.alloc();
    for (let i = 0; i + 1 < s.length; i++) {
      const sh = await churn(run, xs, i, karras);
      await run.denoise(xs, sh, den);
      const c = (s[i + 1]! - sh) / sh;
      await run.lc(xs, [[1 + c, xs], [-c, den]]);
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleEuler} (NFE = steps).
 *
 * @example
 * ```ts
 * import { eulerMethod } from "./sample_euler.ts";
 * import assert from "node:assert/strict";
 * assert.equal(eulerMethod.info.name, "euler");
 * ```
 */
export const eulerMethod: DiffusionMethod<EulerOptions> = diffusionMethod({
  family: "diffusion",
  name: "euler",
  aliases: ["sample_euler"],
  summary: "Euler steps on the probability-flow ODE with Karras churn, k-diffusion's sample_euler",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 1,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: CHURN_OPTIONS,
  nfe: (g) => g.points - 1,
}, sampleEuler);
