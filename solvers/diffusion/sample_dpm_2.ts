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
import {
  _checkChurn,
  _churn,
  _KRun,
  _lerpHalf,
  type ChurnOptions,
  type KSampleResult,
  type KSamplerOptions,
} from "./_k_common.ts";

/** Options of {@linkcode sampleDpm2}: churn (default off) and the common ones. */
export interface Dpm2Options extends KSamplerOptions, ChurnOptions {}

/**
 * DPM-2: `σ_mid = exp(lerp(ln σ̂ᵢ, ln σᵢ₊₁, ½))`, `x₂ = x + d·(σ_mid − σ̂ᵢ)`,
 * `x ← x + d(x₂, σ_mid)·(σᵢ₊₁ − σ̂ᵢ)`; a step to σ = 0 is Euler (NFE = 2n − 1
 * for n positive σ's). Churn options as {@linkcode sampleEuler}.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options churn, noise, backend, onStep, checkFinite
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
): Promise<KSampleResult> {
  const what = "Cannot sample with dpm_2";
  const run = new _KRun(what, denoiser, x, grid, options);
  const churn = _checkChurn(what, options);
  const s = run.sigmas;
  const xs = await run.start(x);
  const den = run.alloc(), x2 = run.alloc(), den2 = run.alloc();
  for (let i = 0; i + 1 < s.length; i++) {
    const sh = await _churn(run, xs, i, churn);
    await run.denoise(xs, sh, den);
    const next = s[i + 1]!;
    if (next === 0) {
      const c = (next - sh) / sh;
      await run.lc(xs, [[1 + c, xs], [-c, den]]);
    } else {
      const mid = Math.exp(_lerpHalf(Math.log(sh), Math.log(next)));
      const c1 = (mid - sh) / sh;
      await run.lc(x2, [[1 + c1, xs], [-c1, den]]);
      await run.denoise(x2, mid, den2);
      const c2 = (next - sh) / mid;
      await run.lc(xs, [[1, xs], [c2, x2], [-c2, den2]]);
    }
    await run.endStep(i, xs, den);
  }
  return run.finish(xs);
}
