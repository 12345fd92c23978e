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
import { SampleRun } from "./sample_run.ts";
import { posteriorSteps } from "./_posterior_steps.ts";
import type { DdimOptions } from "./ddim.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode ddpm}. */
export interface DdpmOptions extends Omit<DdimOptions, "eta"> {
  /** `posterior` (σ̃² = β̃, default) or `large` (σ̃² = β, Ho et al.'s other choice). */
  variance?: "posterior" | "large";
  /** Add noise on the last step too (default true; Ho et al. add none when t = 1 → x₀). */
  finalNoise?: boolean;
}

const OPTIONS = ["variance", "finalNoise", "denoiseToZero"] as const;

/**
 * Samples with ancestral DDPM steps along `grid` (NFE = grid.length − 1, + 1
 * with `denoiseToZero`; noise call i belongs to step i).
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options variance choice, noise source or key, and the common options
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
  const run = new SampleRun("DDPM", denoiser, x, grid, options, {
    grid: "time",
    query: "eps",
    options: OPTIONS,
  });
  const large = run.choice(
    "variance",
    options.variance ?? "posterior",
    [
      "posterior",
      "large",
    ] as const,
  ) === "large";
  const s = run.schedule;
  const last = run.times.length - 2;
  return posteriorSteps(run, x, (ts, tt, i) => {
    const h = s.logSnr(tt) - s.logSnr(ts);
    const q = -Math.expm1(-2 * h); // σ_{s|t}²/σ_s²
    const sigT = s.sigma(tt), sigS = s.sigma(ts);
    const cx = sigT / sigS * Math.exp(-h); // α_{s|t} σ_t²/σ_s²
    const c0 = s.alpha(tt) * q;
    const std = i === last && options.finalNoise === false
      ? 0
      : (large ? sigS : sigT) * Math.sqrt(q);
    return { cx, c0, std };
  }, options.denoiseToZero === true);
}

/**
 * The method object of {@linkcode ddpm} (NFE = steps, + 1 with `denoiseToZero`).
 *
 * @example
 * ```ts
 * import { ddpmMethod } from "./ddpm.ts";
 * import assert from "node:assert/strict";
 * assert.ok(ddpmMethod.info.stochastic);
 * ```
 */
export const ddpmMethod: DiffusionMethod<DdpmOptions> = diffusionMethod({
  family: "diffusion",
  name: "ddpm",
  aliases: [],
  summary: "ancestral DDPM steps from the forward posterior (Ho et al., NeurIPS 2020, Alg. 2)",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 1,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: OPTIONS,
  nfe: (g, o) => g.points - 1 + (o.denoiseToZero === true ? 1 : 0),
}, ddpm);
