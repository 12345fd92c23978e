/**
 * k-diffusion's `sample_dpmpp_2m_sde`: DPM-Solver++(2M) SDE, the second-order
 * multistep solver of the reverse SDE on the data prediction (Lu et al.,
 * "DPM-Solver++", 2022, Appendix; Gonzalez et al. 2023 "SEEDS" for the
 * η-family), with k-diffusion's `midpoint` (default) or `heun` correction.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { quote, SdenoRangeError } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import {
  _checkEta,
  _checkNonNegative,
  _KRun,
  type KSampleResult,
  type KSamplerOptions,
} from "./_k_common.ts";

/** Options of {@linkcode sampleDpmpp2mSde}. */
export interface Dpmpp2mSdeOptions extends KSamplerOptions {
  /** Noise fraction η (default 1). */
  eta?: number;
  /** Scale of the added noise (default 1). */
  sNoise?: number;
  /** The second-order correction: `"midpoint"` (default, k-diffusion's) or `"heun"`. */
  solverType?: "midpoint" | "heun";
}

/**
 * DPM-Solver++(2M) SDE: to σ = 0, `x = Dᵢ`; else with `h = tᵢ₊₁ − tᵢ`
 * (`t = −ln σ`), `ηh = η·h`:
 * `x ← (σᵢ₊₁/σᵢ)e^{−ηh}x − expm1(−h−ηh)Dᵢ`, plus, with a previous D and
 * `r = h_prev/h`, `½(−expm1(−h−ηh))(Dᵢ − D_prev)/r` (midpoint) or
 * `(−expm1(−h−ηh)/(−h−ηh) + 1)(Dᵢ − D_prev)/r` (heun); then
 * `+ s_noise·σᵢ₊₁·sqrt(−expm1(−2ηh))·z(σᵢ, σᵢ₊₁)`. NFE = steps. The queried
 * intervals are disjoint, so i.i.d. draws are a valid Brownian path.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options `eta` (1), `sNoise` (1), `solverType` ("midpoint") and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example With η = 0 this is DPM-Solver++(2M) with a different correction
 * ```ts
 * import { sampleDpmpp2mSde } from "./sample_dpmpp_2m_sde.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpmpp2mSde(model, b.upload([80]), karrasSigmas(10), { eta: 0 });
 * assert.equal(r.nfe, 10);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * ```
 */
export async function sampleDpmpp2mSde(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: Dpmpp2mSdeOptions = {},
): Promise<KSampleResult> {
  const what = "Cannot sample with dpmpp_2m_sde";
  const run = new _KRun(what, denoiser, x, grid, options);
  const eta = _checkEta(what, options.eta);
  const sNoise = _checkNonNegative(what, "sNoise", options.sNoise ?? 1);
  const solverType = options.solverType ?? "midpoint";
  if (solverType !== "midpoint" && solverType !== "heun") {
    throw new SdenoRangeError(
      `${what}: solverType must be "midpoint" or "heun", got ${quote(solverType)}`,
    );
  }
  const s = run.sigmas;
  const xs = await run.start(x);
  let den = run.alloc(), old = run.alloc();
  let hLast: number | undefined;
  for (let i = 0; i + 1 < s.length; i++) {
    await run.denoise(xs, s[i]!, den);
    if (s[i + 1] === 0) {
      await run.lc(xs, [[0, xs], [1, den]]);
    } else {
      const t = -Math.log(s[i]!), sn = -Math.log(s[i + 1]!);
      const h = sn - t, etaH = eta * h;
      const e = -Math.expm1(-h - etaH);
      const terms: [number, DeviceArray][] = [[s[i + 1]! / s[i]! * Math.exp(-etaH), xs], [e, den]];
      if (i > 0 && hLast !== undefined) {
        const r = hLast / h;
        const c = solverType === "heun" ? (e / (-h - etaH) + 1) / r : 0.5 * e / r;
        terms[1] = [e + c, den];
        terms.push([-c, old]);
      }
      const scale = s[i + 1]! * Math.sqrt(-Math.expm1(-2 * etaH)) * sNoise;
      if (eta > 0 && scale > 0) {
        await run.lcNoise(xs, terms, scale, { from: s[i]!, to: s[i + 1]! });
      } else {
        await run.lc(xs, terms);
      }
      hLast = h;
    }
    await run.endStep(i, xs, den);
    [den, old] = [old, den];
  }
  return run.finish(xs);
}
