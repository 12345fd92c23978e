/**
 * k-diffusion's `sample_dpmpp_3m_sde`: the third-order multistep
 * DPM-Solver++ SDE solver (Lu et al., "DPM-Solver++", 2022, §4 and
 * Appendix B, with k-diffusion's η noise).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode sampleDpmpp3mSde}. */
export interface Dpmpp3mSdeOptions extends SamplerOptions {
  /** Noise fraction η (default 1). */
  eta?: number;
  /** Scale of the added noise (default 1). */
  sNoise?: number;
}

/**
 * DPM-Solver++(3M) SDE: to σ = 0, `x = Dᵢ`; else `h = tᵢ₊₁ − tᵢ`,
 * `hη = h(η + 1)`, `x ← e^{−hη}x − expm1(−hη)Dᵢ`, plus the second and third
 * order terms `φ₂d₁ − φ₃d₂` from the last two D's (`φ₂ = expm1(−hη)/hη + 1`,
 * `φ₃ = φ₂/hη − ½`; only `φ₂(Dᵢ − Dᵢ₋₁)/(hᵢ₋₁/h)` with one previous D), then
 * `+ s_noise·σᵢ₊₁·sqrt(−expm1(−2hη_noise))·z(σᵢ, σᵢ₊₁)` with `η_noise = η`.
 * NFE = steps.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options `eta` (1), `sNoise` (1) and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example
 * ```ts
 * import { sampleDpmpp3mSde } from "./sample_dpmpp_3m_sde.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpmpp3mSde(model, b.upload([80]), karrasSigmas(12), { eta: 0 });
 * assert.equal(r.nfe, 12);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * ```
 */
export async function sampleDpmpp3mSde(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: Dpmpp3mSdeOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("dpmpp_3m_sde", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: ["eta", "sNoise"],
  });
  const eta = run.nonNegative("eta", options.eta ?? 1);
  const sNoise = run.nonNegative("sNoise", options.sNoise ?? 1);
  return run.use(async () => {
    const s = run.sigmas;
    const xs = await run.start(x);
    let den = run.alloc(), den1 = run.alloc(), den2 = run.alloc();
    let h: number | undefined, h1: number | undefined, h2: number | undefined;
    for (let i = 0; i + 1 < s.length; i++) {
      await run.denoise(xs, s[i]!, den);
      if (s[i + 1] === 0) {
        await run.lc(xs, [[0, xs], [1, den]]);
      } else {
        const t = -Math.log(s[i]!), sn = -Math.log(s[i + 1]!);
        h = sn - t;
        const he = h * (eta + 1);
        // coefficients on D, D₋₁, D₋₂
        let cD = -Math.expm1(-he), c1 = 0, c2 = 0;
        if (h2 !== undefined && h1 !== undefined) {
          const r0 = h1 / h, r1 = h2 / h;
          const phi2 = Math.expm1(-he) / he + 1, phi3 = phi2 / he - 0.5;
          // d1_0 = (D − D₋₁)/r0, d1_1 = (D₋₁ − D₋₂)/r1
          // d1 = d1_0 + (d1_0 − d1_1)·r0/(r0 + r1), d2 = (d1_0 − d1_1)/(r0 + r1)
          const a = phi2 * (1 + r0 / (r0 + r1)) - phi3 / (r0 + r1); // on d1_0
          const b = -phi2 * r0 / (r0 + r1) + phi3 / (r0 + r1); // on d1_1
          cD += a / r0;
          c1 += -a / r0 + b / r1;
          c2 += -b / r1;
        } else if (h1 !== undefined) {
          const r = h1 / h, phi2 = Math.expm1(-he) / he + 1;
          cD += phi2 / r;
          c1 -= phi2 / r;
        }
        const terms: [number, DeviceArray][] = [[Math.exp(-he), xs], [cD, den]];
        if (c1 !== 0) terms.push([c1, den1]);
        if (c2 !== 0) terms.push([c2, den2]);
        const scale = s[i + 1]! * Math.sqrt(-Math.expm1(-2 * h * eta)) * sNoise;
        if (eta > 0 && scale > 0) {
          await run.lcNoise(xs, terms, scale, { from: s[i]!, to: s[i + 1]! });
        } else {
          await run.lc(xs, terms);
        }
      }
      await run.endStep(i, xs, den);
      [den, den1, den2] = [den2, den, den1];
      [h1, h2] = [h, h1];
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleDpmpp3mSde} (NFE = steps).
 *
 * @example
 * ```ts
 * import { dpmpp3mSdeMethod } from "./sample_dpmpp_3m_sde.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmpp3mSdeMethod.info.name, "dpmpp_3m_sde");
 * ```
 */
export const dpmpp3mSdeMethod: DiffusionMethod<Dpmpp3mSdeOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpmpp_3m_sde",
  aliases: ["sample_dpmpp_3m_sde"],
  summary: "DPM-Solver++(3M) SDE, k-diffusion's sample_dpmpp_3m_sde",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 3,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["eta", "sNoise"],
  nfe: (g) => g.points - 1,
}, sampleDpmpp3mSde);
