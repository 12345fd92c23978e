/**
 * k-diffusion's `sample_dpm_2_ancestral`: the DPM-2 midpoint step down to
 * σ_down, then fresh noise of size σ_up (Crowson's ancestral variant of
 * DPM-Solver-2, Lu et al. 2022).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { ancestralStep, lerpHalf } from "./_k_steps.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";
import type { AncestralOptions } from "./sample_euler_ancestral.ts";

/**
 * DPM-2 ancestral: `(σ_down, σ_up) = get_ancestral_step(σᵢ, σᵢ₊₁, η)`; if
 * σ_down = 0 an Euler step to 0; else the DPM-2 midpoint step from σᵢ to
 * σ_down (midpoint `exp(lerp(ln σᵢ, ln σ_down, ½))`) and
 * `x ← x + s_noise·σ_up·z`. NFE = 2n − 1 for n positive σ's.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options `eta` (default 1), `sNoise` (default 1), `noise`/`key` and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a negative η
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example
 * ```ts
 * import { sampleDpm2Ancestral } from "./sample_dpm_2_ancestral.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpm2Ancestral(model, b.upload([80]), karrasSigmas(5));
 * assert.equal(r.nfe, 9);
 * assert.equal(r.noiseCalls.length, 4);
 * ```
 */
export async function sampleDpm2Ancestral(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: AncestralOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("dpm_2_ancestral", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: ["eta", "sNoise"],
  });
  const eta = run.nonNegative("eta", options.eta ?? 1);
  const sNoise = run.nonNegative("sNoise", options.sNoise ?? 1);
  return run.use(async () => {
    const s = run.sigmas;
    const xs = await run.start(x);
    const den = run.alloc(), x2 = run.alloc(), den2 = run.alloc();
    for (let i = 0; i + 1 < s.length; i++) {
      const si = s[i]!;
      await run.denoise(xs, si, den);
      const [down, up] = ancestralStep(si, s[i + 1]!, eta);
      if (down === 0) {
        const c = (down - si) / si;
        await run.lc(xs, [[1 + c, xs], [-c, den]]);
      } else {
        const mid = Math.exp(lerpHalf(Math.log(si), Math.log(down)));
        const c1 = (mid - si) / si;
        await run.lc(x2, [[1 + c1, xs], [-c1, den]]);
        await run.denoise(x2, mid, den2);
        const c2 = (down - si) / mid;
        const terms: [number, DeviceArray][] = [[1, xs], [c2, x2], [-c2, den2]];
        if (up > 0) {
          await run.lcNoise(xs, terms, up * sNoise, { from: si, to: s[i + 1]! });
        } else {
          await run.lc(xs, terms);
        }
      }
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleDpm2Ancestral} (two calls per step, one for a step to σ = 0).
 *
 * @example
 * ```ts
 * import { dpm2AncestralMethod } from "./sample_dpm_2_ancestral.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpm2AncestralMethod.info.name, "dpm_2_ancestral");
 * ```
 */
export const dpm2AncestralMethod: DiffusionMethod<AncestralOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpm_2_ancestral",
  aliases: ["sample_dpm_2_ancestral"],
  summary: "ancestral DPM-Solver-2 steps, k-diffusion's sample_dpm_2_ancestral",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["eta", "sNoise"],
  nfe: (g) => 2 * (g.points - 1) - (g.endsAtZero ? 1 : 0),
}, sampleDpm2Ancestral);
