/**
 * k-diffusion's `sample_dpmpp_2m`: DPM-Solver++(2M), the second-order
 * multistep exponential integrator on the data prediction (Lu et al.,
 * "DPM-Solver++", 2022, Algorithm 2), in k-diffusion's σ form with
 * `t = −ln σ`.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { _KRun, _sigmaFn, _tFn, type KSampleResult, type KSamplerOptions } from "./_k_common.ts";

/**
 * DPM-Solver++(2M): with `h = tᵢ₊₁ − tᵢ`, the first step and a step to σ = 0
 * are `x ← (σᵢ₊₁/σᵢ)x − expm1(−h)Dᵢ` (to 0 this is `x = Dᵢ`); otherwise
 * `r = hᵢ₋₁/h`, `D' = (1 + 1/(2r))Dᵢ − 1/(2r)Dᵢ₋₁` replaces Dᵢ. As in
 * k-diffusion there is no lower-order step before the last. NFE = steps.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example NFE = steps on a Gaussian target
 * ```ts
 * import { sampleDpmpp2m } from "./sample_dpmpp_2m.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpmpp2m(model, b.upload([80]), karrasSigmas(10));
 * assert.equal(r.nfe, 10);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * ```
 */
export async function sampleDpmpp2m(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: KSamplerOptions = {},
): Promise<KSampleResult> {
  const run = new _KRun("Cannot sample with dpmpp_2m", denoiser, x, grid, options);
  const s = run.sigmas;
  const xs = await run.start(x);
  let den = run.alloc(), old = run.alloc();
  for (let i = 0; i + 1 < s.length; i++) {
    await run.denoise(xs, s[i]!, den);
    const t = _tFn(s[i]!), tNext = _tFn(s[i + 1]!);
    const h = tNext - t;
    const ratio = _sigmaFn(tNext) / _sigmaFn(t), e = -Math.expm1(-h);
    if (i === 0 || s[i + 1] === 0) {
      await run.lc(xs, [[ratio, xs], [e, den]]);
    } else {
      const r = (t - _tFn(s[i - 1]!)) / h;
      await run.lc(xs, [[ratio, xs], [e * (1 + 1 / (2 * r)), den], [-e / (2 * r), old]]);
    }
    await run.endStep(i, xs, den);
    [den, old] = [old, den];
  }
  return run.finish(xs);
}
