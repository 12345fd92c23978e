/**
 * k-diffusion's `sample_lms`: the linear multistep (Adams–Bashforth type)
 * method in σ with variable steps, as in Crowson's k-diffusion and Liu et
 * al. (PNDM, ICLR 2022) — the derivative history is extrapolated by its
 * Lagrange polynomial in σ and integrated over the step.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode sampleLms}. */
export interface LmsOptions extends SamplerOptions {
  /** Maximal order (number of derivatives kept), default 4 (k-diffusion's). */
  order?: number;
}

// 3-point Gauss–Legendre: exact for polynomials of degree ≤ 5 (orders ≤ 6).
const GL_X = [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)];
const GL_W = [5 / 9, 8 / 9, 5 / 9];

/**
 * `∫_{tᵢ}^{tᵢ₊₁} Π_{k≠j, k<order} (τ − t_{i−k})/(t_{i−j} − t_{i−k}) dτ`, k-diffusion's
 * `linear_multistep_coeff` (there by `scipy.integrate.quad`; here exactly,
 * by Gauss–Legendre on the polynomial).
 */
function lmsCoefficient(order: number, t: readonly number[], i: number, j: number): number {
  const a = t[i]!, b = t[i + 1]!;
  let sum = 0;
  for (let q = 0; q < 3; q++) {
    const tau = (a + b) / 2 + (b - a) / 2 * GL_X[q]!;
    let prod = 1;
    for (let k = 0; k < order; k++) {
      if (k === j) continue;
      prod *= (tau - t[i - k]!) / (t[i - j]! - t[i - k]!);
    }
    sum += GL_W[q]! * prod;
  }
  return sum * (b - a) / 2;
}

/**
 * LMS: `dᵢ = (x − D(x, σᵢ))/σᵢ`, `x ← x + Σ_j c_j d_{i−j}` over the last
 * `min(i + 1, order)` derivatives (NFE = steps).
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options `order` (default 4) and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or an order outside 1..6
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example Order 1 is Euler
 * ```ts
 * import { sampleLms } from "./sample_lms.ts";
 * import { sampleEuler } from "./sample_euler.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const a = await sampleLms(model, b.upload([80]), karrasSigmas(8), { order: 1 });
 * const e = await sampleEuler(model, b.upload([80]), karrasSigmas(8));
 * const [u, v] = [(await b.download(a.x))[0]!, (await b.download(e.x))[0]!];
 * assert.ok(Math.abs(u - v) < 1e-12);
 * ```
 */
export async function sampleLms(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: LmsOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("lms", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: ["order"],
  });
  const order = run.integer("order", options.order ?? 4, 1, 6);
  return run.use(async () => {
    const s = run.sigmas;
    const xs = await run.start(x);
    const den = run.alloc();
    const ds = Array.from({ length: order }, () => run.alloc());
    for (let i = 0; i + 1 < s.length; i++) {
      await run.denoise(xs, s[i]!, den);
      const di = ds[i % order]!;
      await run.lc(di, [[1 / s[i]!, xs], [-1 / s[i]!, den]]);
      const cur = Math.min(i + 1, order);
      const terms: [number, DeviceArray][] = [[1, xs]];
      for (let j = 0; j < cur; j++) {
        terms.push([lmsCoefficient(cur, s, i, j), ds[(i - j) % order]!]);
      }
      await run.lc(xs, terms);
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleLms} (NFE = steps).
 *
 * @example
 * ```ts
 * import { lmsMethod } from "./sample_lms.ts";
 * import assert from "node:assert/strict";
 * assert.equal(lmsMethod.info.name, "lms");
 * ```
 */
export const lmsMethod: DiffusionMethod<LmsOptions> = diffusionMethod({
  family: "diffusion",
  name: "lms",
  aliases: ["sample_lms"],
  summary:
    "linear multistep (Adams-Bashforth in σ, order ≤ 4 by default), k-diffusion's sample_lms",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 4,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["order"],
  nfe: (g) => g.points - 1,
}, sampleLms);
