/**
 * DDIM (Song, Meng & Ermon, ICLR 2021, eq. 12) on any noise schedule, with
 * the stochasticity η of eq. 16: a step s → t is
 *
 * ```
 * x_t = α_t x̂₀ + sqrt(σ_t² − σ̃²) ε̂ + σ̃ z,   ε̂ = (x_s − α_s x̂₀)/σ_s,
 * σ̃ = η σ_t sqrt(1 − e^{−2h}),  h = λ_t − λ_s
 * ```
 *
 * (for VP schedules σ̃ is eq. 16's `η sqrt((1−ᾱ_t)/(1−ᾱ_s)) sqrt(1 − ᾱ_s/ᾱ_t)`).
 * η = 0 is the deterministic DDIM = DPM-Solver-1 (Lu et al. 2022, Prop. 4.1);
 * η = 1 is ancestral DDPM sampling (see {@linkcode ddpm}).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { SampleRun } from "./sample_run.ts";
import { posteriorSteps } from "./_posterior_steps.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode ddim}. */
export interface DdimOptions extends SamplerOptions {
  /** Stochasticity η ≥ 0 (default 0: deterministic). */
  eta?: number;
  /** After the last step, x = x̂₀ at the last time (one more model call; default false). */
  denoiseToZero?: boolean;
}

/**
 * Samples with DDIM along `grid` (NFE = grid.length − 1, + 1 with
 * `denoiseToZero`). Noise call i (η > 0) covers step i, `from = grid[i]`,
 * `to = grid[i+1]`.
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options η, noise source or key, and the common options
 * @returns the final batch, NFE and model-call times
 * @throws {SdenoRangeError} for a bad grid or η < 0
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example η = 0 is deterministic and reaches the data scale
 * ```ts
 * import { ddim } from "./ddim.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[3]], variances: [[0.01]] }, s);
 * const b = await createBackend("cpu");
 * const r = await ddim(gm, b.upload([0]), timeGrid(s, 50));
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 3) < 0.05);
 * ```
 */
export async function ddim(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DdimOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("DDIM", denoiser, x, grid, options, {
    grid: "time",
    query: "eps",
    options: ["eta", "denoiseToZero"],
  });
  const eta = run.nonNegative("eta", options.eta ?? 0);
  const s = run.schedule;
  return posteriorSteps(run, x, (ts, tt) => {
    const h = s.logSnr(tt) - s.logSnr(ts);
    const q = -Math.expm1(-2 * h); // 1 − e^{−2h}
    const sigT = s.sigma(tt);
    const rest = sigT * Math.sqrt(Math.max(0, 1 - eta * eta * q)); // sqrt(σ_t² − σ̃²)
    const cx = rest / s.sigma(ts);
    return { cx, c0: s.alpha(tt) - cx * s.alpha(ts), std: eta * sigT * Math.sqrt(q) };
  }, options.denoiseToZero === true);
}

/**
 * The method object of {@linkcode ddim} (NFE = steps, + 1 with `denoiseToZero`).
 *
 * @example
 * ```ts
 * import { ddimMethod } from "./ddim.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ddimMethod.info.nfe({ points: 11, endsAtZero: false }, {}), 10);
 * ```
 */
export const ddimMethod: DiffusionMethod<DdimOptions> = diffusionMethod({
  family: "diffusion",
  name: "ddim",
  aliases: [],
  summary: "DDIM with stochasticity η (Song, Meng & Ermon, ICLR 2021)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 1,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["eta", "denoiseToZero"],
  nfe: (g, o) => g.points - 1 + (o.denoiseToZero === true ? 1 : 0),
}, ddim);
