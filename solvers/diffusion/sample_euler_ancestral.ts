/**
 * k-diffusion's `sample_euler_ancestral`: an Euler step down to σ_down
 * followed by fresh noise of size σ_up, with `σ_down² + σ_up² = σᵢ₊₁²`
 * (Crowson's ancestral split; with η = 1 it is DDPM's ancestral sampling,
 * Ho et al. 2020, in the σ form of Karras et al. 2022).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { ancestralStep } from "./_k_steps.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of the ancestral samplers. */
export interface AncestralOptions extends SamplerOptions {
  /** Noise fraction η (default 1; 0 makes the sampler deterministic). */
  eta?: number;
  /** Scale of the added noise (default 1). */
  sNoise?: number;
}

/**
 * Euler ancestral: `(σ_down, σ_up)` = k-diffusion's `get_ancestral_step(σᵢ,
 * σᵢ₊₁, η)`, `x ← x + d·(σ_down − σᵢ)`, then, if σᵢ₊₁ > 0,
 * `x ← x + s_noise·σ_up·z` with z the noise draw for `(σᵢ, σᵢ₊₁)`. NFE = steps.
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
 * @example One noise draw per step except the last
 * ```ts
 * import { sampleEulerAncestral } from "./sample_euler_ancestral.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleEulerAncestral(model, b.upload([80, -40]), karrasSigmas(6), {
 *   key: { seed: 1, stream: 0 },
 * });
 * assert.equal(r.nfe, 6);
 * assert.equal(r.noiseCalls.length, 5);
 * ```
 */
export async function sampleEulerAncestral(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: AncestralOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("euler_ancestral", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: ["eta", "sNoise"],
  });
  const eta = run.nonNegative("eta", options.eta ?? 1);
  const sNoise = run.nonNegative("sNoise", options.sNoise ?? 1);
  return run.use(async () => {
    const s = run.sigmas;
    const xs = await run.start(x);
    const den = run.alloc();
    for (let i = 0; i + 1 < s.length; i++) {
      await run.denoise(xs, s[i]!, den);
      const [down, up] = ancestralStep(s[i]!, s[i + 1]!, eta);
      const c = (down - s[i]!) / s[i]!;
      const terms: [number, DeviceArray][] = [[1 + c, xs], [-c, den]];
      if (s[i + 1]! > 0 && up > 0) {
        await run.lcNoise(xs, terms, up * sNoise, { from: s[i]!, to: s[i + 1]! });
      } else {
        await run.lc(xs, terms);
      }
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleEulerAncestral} (NFE = steps).
 *
 * @example
 * ```ts
 * import { eulerAncestralMethod } from "./sample_euler_ancestral.ts";
 * import assert from "node:assert/strict";
 * assert.equal(eulerAncestralMethod.info.name, "euler_ancestral");
 * ```
 */
export const eulerAncestralMethod: DiffusionMethod<AncestralOptions> = diffusionMethod({
  family: "diffusion",
  name: "euler_ancestral",
  aliases: ["sample_euler_ancestral", "euler_a"],
  summary: "ancestral Euler steps with noise fraction η, k-diffusion's sample_euler_ancestral",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 1,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["eta", "sNoise"],
  nfe: (g) => g.points - 1,
}, sampleEulerAncestral);
