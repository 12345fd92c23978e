/**
 * Ancestral DDPM sampling (Ho et al., NeurIPS 2020, Alg. 2) on any noise
 * schedule and any decreasing grid: each step s → t draws from the forward
 * process's posterior `q(x_t | x_s, x₀ = x̂₀)`,
 *
 * ```
 * mean = (α_{s|t} σ_t²/σ_s²) x_s + (α_t σ_{s|t}²/σ_s²) x̂₀,   α_{s|t} = α_s/α_t,
 * σ_{s|t}² = σ_s² − α_{s|t}² σ_t²  (= σ_s² (1 − e^{−2h})),
 * variance  σ_{s|t}² σ_t²/σ_s²  ("posterior", β̃ in Ho et al. §3.2)  or  σ_{s|t}²  ("large", β)
 * ```
 *
 * With the posterior variance this equals DDIM with η = 1.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult } from "./types.ts";
import { _checkGrid } from "./_grid.ts";
import { _checkChoice, _setup } from "./_model.ts";
import { _ancestral, type DdimOptions } from "./ddim.ts";

/** Options of {@linkcode ddpm}. */
export interface DdpmOptions extends Omit<DdimOptions, "eta"> {
  /** `posterior` (σ̃² = β̃, default) or `large` (σ̃² = β, Ho et al.'s other choice). */
  variance?: "posterior" | "large";
  /** Add noise on the last step too (default true; Ho et al. add none when t = 1 → x₀). */
  finalNoise?: boolean;
}

/**
 * Samples with ancestral DDPM steps along `grid` (NFE = grid.length − 1;
 * noise call i belongs to step i).
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options variance choice, noise source or key
 * @returns the final batch, NFE and model-call times
 * @throws {SdenoRangeError} for a bad grid or variance name
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example Keyed noise: the same key gives the same samples
 * ```ts
 * import { ddpm } from "./ddpm.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.1]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20);
 * const a = await ddpm(gm, b.upload([0, 1]), grid, { key: { seed: 3, stream: 0 } });
 * const c = await ddpm(gm, b.upload([0, 1]), grid, { key: { seed: 3, stream: 0 } });
 * assert.deepEqual(await b.download(a.x), await b.download(c.x));
 * ```
 */
export async function ddpm(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DdpmOptions = {},
): Promise<SampleResult> {
  const what = "Cannot sample with DDPM";
  _setup(denoiser, x, options, what);
  const s = denoiser.schedule;
  _checkGrid(s, grid, what, {});
  const large = _checkChoice(
    what,
    "variance",
    options.variance ?? "posterior",
    [
      "posterior",
      "large",
    ] as const,
  ) === "large";
  const last = grid.length - 2;
  return await _ancestral(denoiser, x, grid, options, what, (ts, tt, i) => {
    const h = s.logSnr(tt) - s.logSnr(ts);
    const q = -Math.expm1(-2 * h); // σ_{s|t}²/σ_s²
    const sigT = s.sigma(tt), sigS = s.sigma(ts);
    const cx = sigT / sigS * Math.exp(-h); // α_{s|t} σ_t²/σ_s²
    const c0 = s.alpha(tt) * q;
    const std = i === last && options.finalNoise === false
      ? 0
      : (large ? sigS : sigT) * Math.sqrt(q);
    return { cx, c0, std };
  });
}
