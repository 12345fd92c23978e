/**
 * k-diffusion's `sample_dpmpp_2s_ancestral`: one DPM-Solver++(2S) step
 * (Lu et al., "DPM-Solver++", 2022, Algorithm 1, r = ½) down to σ_down,
 * then fresh noise of size σ_up.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { ancestralStep, sigmaFn, tFn } from "./_k_steps.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";
import type { AncestralOptions } from "./sample_euler_ancestral.ts";

/**
 * DPM-Solver++(2S) ancestral: with `t = −ln σᵢ`, `t' = −ln σ_down`,
 * `h = t' − t`, `s = t + h/2`: `x₂ = (σ(s)/σ(t))x − expm1(−h/2)Dᵢ`,
 * `x ← (σ(t')/σ(t))x − expm1(−h)D(x₂, σ(s))`; an Euler step when σ_down = 0;
 * then, if σᵢ₊₁ > 0, `x ← x + s_noise·σ_up·z`. NFE = 2n − 1.
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
 * @example With η = 0 it is deterministic
 * ```ts
 * import { sampleDpmpp2sAncestral } from "./sample_dpmpp_2s_ancestral.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpmpp2sAncestral(model, b.upload([80]), karrasSigmas(10), { eta: 0 });
 * assert.equal(r.noiseCalls.length, 0);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * ```
 */
export async function sampleDpmpp2sAncestral(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: AncestralOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("dpmpp_2s_ancestral", denoiser, x, grid, options, {
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
      let terms: [number, DeviceArray][];
      if (down === 0) {
        const c = (down - si) / si;
        terms = [[1 + c, xs], [-c, den]];
      } else {
        const t = tFn(si), tNext = tFn(down);
        const h = tNext - t, sMid = t + 0.5 * h;
        await run.lc(x2, [[sigmaFn(sMid) / sigmaFn(t), xs], [-Math.expm1(-h * 0.5), den]]);
        await run.denoise(x2, sigmaFn(sMid), den2);
        terms = [[sigmaFn(tNext) / sigmaFn(t), xs], [-Math.expm1(-h), den2]];
      }
      if (s[i + 1]! > 0 && up > 0) {
        await run.lcNoise(xs, terms, up * sNoise, { from: si, to: s[i + 1]! });
      } else {
        await run.lc(xs, terms);
      }
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleDpmpp2sAncestral} (two calls per step, one for a step to σ = 0).
 *
 * @example
 * ```ts
 * import { dpmpp2sAncestralMethod } from "./sample_dpmpp_2s_ancestral.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmpp2sAncestralMethod.info.name, "dpmpp_2s_ancestral");
 * ```
 */
export const dpmpp2sAncestralMethod: DiffusionMethod<AncestralOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpmpp_2s_ancestral",
  aliases: ["sample_dpmpp_2s_ancestral"],
  summary: "ancestral DPM-Solver++(2S) steps, k-diffusion's sample_dpmpp_2s_ancestral",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["eta", "sNoise"],
  nfe: (g) => 2 * (g.points - 1) - (g.endsAtZero ? 1 : 0),
}, sampleDpmpp2sAncestral);
