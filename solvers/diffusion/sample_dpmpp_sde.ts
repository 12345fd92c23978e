/**
 * k-diffusion's `sample_dpmpp_sde`: the stochastic DPM-Solver++ step of
 * Crowson's k-diffusion (two ancestral sub-steps per step, the second using
 * the data prediction at the intermediate point; Lu et al., "DPM-Solver++",
 * 2022, §4 and Algorithm 1). Its two noise queries per step overlap, so the
 * noise must be one Brownian path: the default is {@linkcode brownianPathNoise}
 * with Philox increments on {@linkcode brownianSigmaGrid} of the grid.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { quote, SdenoRangeError } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import {
  _ancestralStep,
  _checkEta,
  _checkNonNegative,
  _KRun,
  _sigmaFn,
  _tFn,
  type KSampleResult,
  type KSamplerOptions,
} from "./_k_common.ts";
import { brownianPathNoise, brownianSigmaGrid } from "./noise.ts";

/** Options of {@linkcode sampleDpmppSde}. */
export interface DpmppSdeOptions extends KSamplerOptions {
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
 * @param options `eta` (1), `sNoise` (1), `r` (½), `noise` (default: a Philox
 *   Brownian path keyed by `key`) and the common options
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
): Promise<KSampleResult> {
  const what = "Cannot sample with dpmpp_sde";
  const eta = _checkEta(what, options.eta);
  const sNoise = _checkNonNegative(what, "sNoise", options.sNoise ?? 1);
  const r = options.r ?? 0.5;
  if (typeof r !== "number" || !(r > 0 && r < 1)) {
    throw new SdenoRangeError(`${what}: r must be in (0, 1), got ${quote(r)}`);
  }
  let run = new _KRun(what, denoiser, x, grid, options);
  if (!options.noise && eta > 0) {
    const noise = brownianPathNoise(
      brownianSigmaGrid(run.sigmas, { r }),
      options.key ? { key: options.key } : {},
    );
    run = new _KRun(what, denoiser, x, grid, { ...options, noise });
  }
  const s = run.sigmas;
  const xs = await run.start(x);
  const den = run.alloc(), x2 = run.alloc(), den2 = run.alloc();
  const fac = 1 / (2 * r);
  const add = async (
    out: DeviceArray,
    terms: [number, DeviceArray][],
    su: number,
    from: number,
    to: number,
  ) => {
    if (su > 0) await run.lcNoise(out, terms, su * sNoise, { from, to });
    else await run.lc(out, terms);
  };
  for (let i = 0; i + 1 < s.length; i++) {
    const si = s[i]!;
    await run.denoise(xs, si, den);
    if (s[i + 1] === 0) {
      await run.lc(xs, [[0, xs], [1, den]]);
    } else {
      const t = _tFn(si), tNext = _tFn(s[i + 1]!);
      const h = tNext - t, sm = t + h * r;
      const st = _sigmaFn(t);
      // stage 1
      const [sd1, su1] = _ancestralStep(st, _sigmaFn(sm), eta);
      const s1 = _tFn(sd1);
      await add(x2, [[_sigmaFn(s1) / st, xs], [-Math.expm1(t - s1), den]], su1, st, _sigmaFn(sm));
      await run.denoise(x2, _sigmaFn(sm), den2);
      // stage 2
      const [sd2, su2] = _ancestralStep(st, _sigmaFn(tNext), eta);
      const t2 = _tFn(sd2);
      const e = -Math.expm1(t - t2);
      await add(
        xs,
        [[_sigmaFn(t2) / st, xs], [e * (1 - fac), den], [e * fac, den2]],
        su2,
        st,
        _sigmaFn(tNext),
      );
    }
    await run.endStep(i, xs, den);
  }
  return run.finish(xs);
}
