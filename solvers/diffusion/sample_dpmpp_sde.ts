/**
 * k-diffusion's `sample_dpmpp_sde`: the stochastic DPM-Solver++ step of
 * Crowson's k-diffusion (two ancestral sub-steps per step, the second using
 * the data prediction at the intermediate point; Lu et al., "DPM-Solver++",
 * 2022, §4 and Algorithm 1). Its two noise queries per step overlap, so the
 * noise must be one Brownian path: the default is the SDE solvers' fixed-grid
 * path (`brownianGrid` of solvers/sde, keyed by `key`) read by
 * {@linkcode brownianNoise} on {@linkcode brownianSigmaGrid} of the grid (the
 * σ's and the stage points, where all queries fall). For k-diffusion's
 * `BrownianTreeNoiseSampler` behaviour (any interval), pass
 * `noise: brownianNoise(virtualBrownianTree(key, { noiseDim: 1, t0: σ_min, t1: σ_max }))`.
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import { quote, SdenoRangeError } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { brownianGrid } from "../sde/brownian_grid.ts";
import { ancestralStep, sigmaFn, tFn } from "./_k_steps.ts";
import { brownianNoise, brownianSigmaGrid } from "./noise.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

const OPTIONS = ["eta", "sNoise", "r"] as const;

/** Options of {@linkcode sampleDpmppSde}. */
export interface DpmppSdeOptions extends SamplerOptions {
  /** Noise fraction η (default 1). */
  eta?: number;
  /** Scale of the added noise (default 1). */
  sNoise?: number;
  /** Position of the intermediate point in t = −ln σ (default ½). */
  r?: number;
}

/**
 * DPM-Solver++ SDE: with `t = −ln σᵢ`, `h = tᵢ₊₁ − t`, `s = t + r·h`:
 * stage 1, `(sd, su) = ancestral(σ(t), σ(s))`, `s' = −ln sd`,
 * `x₂ = (σ(s')/σ(t))x − expm1(t − s')Dᵢ + s_noise·su·z(σ(t), σ(s))`;
 * stage 2, `D₂ = D(x₂, σ(s))`, `(sd, su) = ancestral(σ(t), σ(tᵢ₊₁))`,
 * `t'' = −ln sd`, `x ← (σ(t'')/σ(t))x − expm1(t − t'')·((1 − 1/(2r))Dᵢ +
 * D₂/(2r)) + s_noise·su·z(σ(t), σ(tᵢ₊₁))`. A step to σ = 0 is Euler.
 * NFE = 2n − 1 for n positive σ's.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options `eta` (1), `sNoise` (1), `r` (½), `noise` (default: a
 *   Brownian path on the σ grid keyed by `key`) and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example Two noise queries per step, on one path
 * ```ts
 * import { sampleDpmppSde } from "./sample_dpmpp_sde.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpmppSde(model, b.upload([80]), karrasSigmas(4));
 * assert.equal(r.nfe, 7);
 * assert.equal(r.noiseCalls.length, 6);
 * ```
 */
export async function sampleDpmppSde(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DpmppSdeOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("dpmpp_sde", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: OPTIONS,
  });
  const eta = run.nonNegative("eta", options.eta ?? 1);
  const sNoise = run.nonNegative("sNoise", options.sNoise ?? 1);
  const r = options.r ?? 0.5;
  if (typeof r !== "number" || !(r > 0 && r < 1)) {
    throw new SdenoRangeError(`${run.what}: r must be in (0, 1), got ${quote(r)}`);
  }
  const s = run.sigmas;
  run.setDefaultNoise(() =>
    brownianNoise(brownianGrid(run.noise.key, { noiseDim: 1, dt: 1 }), {
      grid: brownianSigmaGrid(s, { r }),
    })
  );
  const fac = 1 / (2 * r);
  return run.use(async () => {
    const xs = await run.start(x);
    const den = run.alloc(), x2 = run.alloc(), den2 = run.alloc();
    const add = async (out: DeviceArray, terms: Term[], su: number, from: number, to: number) => {
      if (su > 0) await run.lcNoise(out, terms, su * sNoise, { from, to });
      else await run.lc(out, terms);
    };
    for (let i = 0; i + 1 < s.length; i++) {
      const si = s[i]!;
      await run.denoise(xs, si, den);
      if (s[i + 1] === 0) {
        await run.lc(xs, [[0, xs], [1, den]]);
      } else {
        const t = tFn(si), tNext = tFn(s[i + 1]!);
        const h = tNext - t, sm = t + h * r;
        const st = sigmaFn(t);
        // stage 1
        const [sd1, su1] = ancestralStep(st, sigmaFn(sm), eta);
        const s1 = tFn(sd1);
        await add(x2, [[sigmaFn(s1) / st, xs], [-Math.expm1(t - s1), den]], su1, st, sigmaFn(sm));
        await run.denoise(x2, sigmaFn(sm), den2);
        // stage 2
        const [sd2, su2] = ancestralStep(st, sigmaFn(tNext), eta);
        const t2 = tFn(sd2);
        const e = -Math.expm1(t - t2);
        await add(
          xs,
          [[sigmaFn(t2) / st, xs], [e * (1 - fac), den], [e * fac, den2]],
          su2,
          st,
          sigmaFn(tNext),
        );
      }
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleDpmppSde} (two calls per step, one
 * for a step to σ = 0).
 *
 * @example
 * ```ts
 * import { dpmppSdeMethod } from "./sample_dpmpp_sde.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmppSdeMethod.info.nfe({ points: 5, endsAtZero: true }, {}), 7);
 * ```
 */
export const dpmppSdeMethod: DiffusionMethod<DpmppSdeOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpmpp_sde",
  aliases: ["sample_dpmpp_sde"],
  summary: "two-stage stochastic DPM-Solver++ on a Brownian path, k-diffusion's sample_dpmpp_sde",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "path",
  rowsIndependent: true,
  options: OPTIONS,
  nfe: (g) => 2 * (g.points - 1) - (g.endsAtZero ? 1 : 0),
}, sampleDpmppSde);
