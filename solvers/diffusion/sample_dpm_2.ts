/**
 * k-diffusion's `sample_dpm_2`: the explicit midpoint method in log σ
 * (Crowson's "DPM-Solver-2 inspired" sampler; Lu et al., DPM-Solver,
 * NeurIPS 2022, Algorithm 1 with r = ½ in the σ parameterisation of Karras
 * et al. 2022).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { checkChurn, churn, CHURN_OPTIONS, lerpHalf } from "./_k_steps.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";
import type { ChurnOptions } from "./churn_options.ts";

/** Options of {@linkcode sampleDpm2}: churn (default off) and the common ones. */
export interface Dpm2Options extends SamplerOptions, ChurnOptions {}

/**
 * DPM-2: `σ_mid = exp(lerp(ln σ̂ᵢ, ln σᵢ₊₁, ½))`, `x₂ = x + d·(σ_mid − σ̂ᵢ)`,
 * `x ← x + d(x₂, σ_mid)·(σᵢ₊₁ − σ̂ᵢ)`; a step to σ = 0 is Euler (NFE = 2n − 1
 * for n positive σ's). Churn options as {@linkcode sampleEuler}.
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
 * @example The midpoint is the geometric mean of the two σ's
 * ```ts
 * import { sampleDpm2 } from "./sample_dpm_2.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpm2(model, b.upload([16]), [16, 1, 0]);
 * assert.equal(r.nfe, 3);
 * assert.ok(Math.abs(r.modelTimes[1]! - 4) < 1e-14);
 * ```
 */
export async function sampleDpm2(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: Dpm2Options = {},
): Promise<SampleResult> {
  const run = new SampleRun("dpm_2", denoiser, x, grid, options, {
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
      const next = s[i + 1]!;
      if (next === 0) {
        const c = (next - sh) / sh;
        await run.lc(xs, [[1 + c, xs], [-c, den]]);
      } else {
        const mid = Math.exp(lerpHalf(Math.log(sh), Math.log(next)));
        const c1 = (mid - sh) / sh;
        await run.lc(x2, [[1 + c1, xs], [-c1, den]]);
        await run.denoise(x2, mid, den2);
        const c2 = (next - sh) / mid;
        await run.lc(xs, [[1, xs], [c2, x2], [-c2, den2]]);
      }
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleDpm2} (two calls per step, one for a step to σ = 0).
 *
 * @example
 * ```ts
 * import { dpm2Method } from "./sample_dpm_2.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpm2Method.info.name, "dpm_2");
 * ```
 */
export const dpm2Method: DiffusionMethod<Dpm2Options> = diffusionMethod({
  family: "diffusion",
  name: "dpm_2",
  aliases: ["sample_dpm_2"],
  summary: "DPM-Solver-2 midpoint steps in log σ with Karras churn, k-diffusion's sample_dpm_2",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: CHURN_OPTIONS,
  nfe: (g) => 2 * (g.points - 1) - (g.endsAtZero ? 1 : 0),
}, sampleDpm2);
