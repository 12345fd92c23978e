/**
 * Multistep consistency sampling (Song, Dhariwal, Chen & Sutskever,
 * "Consistency Models", ICML 2023, Algorithm 1) as latent consistency models
 * use it (Luo et al. 2310.04378, §4; diffusers' `LCMScheduler`, ComfyUI's
 * `lcm`): at each grid point the model's data prediction is taken as the
 * consistency function f(x, t) — the end point of the probability-flow ODE
 * through (x, t) — and the next point is re-noised from it,
 *
 * ```
 * x̂₀ = f(x_{tᵢ}, tᵢ),   x_{tᵢ₊₁} = α_{tᵢ₊₁} x̂₀ + σ_{tᵢ₊₁} z
 * ```
 *
 * (in the σ/α view: `x̃ = x̂₀ + σ̃ z`); the last step, to σ = 0, returns x̂₀ (a
 * final 0 of a grid of ≥ 3 points needs no schedule time, so a discrete VP
 * grid may end with it).
 *
 * Two wrappers make the model side exact or like the references:
 * {@linkcode exactConsistencyModel} turns any denoiser into its true
 * consistency function (the PF-ODE solved from (x, t) to σ = 0 by a fine
 * Heun run), so that one step already gives exact samples; and
 * {@linkcode lcmBoundaryModel} applies the LCM boundary-condition scalings
 * `f = c_skip(t) x + c_out(t) x̂₀` of a distilled network (Song et al. §3,
 * Luo et al. eq. 5).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { type Denoiser, denoiserFromNative, predictAs } from "../../models/denoiser.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";
import { karrasSigmas } from "./k_sigmas.ts";
import { sampleHeun } from "./sample_heun.ts";

/**
 * Samples with multistep consistency sampling along a σ grid (NFE = steps;
 * one noise draw per step that does not end at σ = 0).
 *
 * @param denoiser the consistency model (its x₀ prediction is f)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options the common options (noise, key, …)
 * @returns the samples, NFE, model-call times and noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example With the exact consistency function one step samples the data exactly
 * ```ts
 * import { exactConsistencyModel, sampleLcm } from "./lcm.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[4]] }, edmSchedule());
 * const f = exactConsistencyModel(gm);
 * const r = await sampleLcm(f, b.upload([10]), [10, 0]);
 * // N(0, 4) data: the flow maps x at σ = 10 to x·2/sqrt(4 + 100)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 20 / Math.sqrt(104)) < 1e-5);
 * ```
 */
export async function sampleLcm(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: SamplerOptions = {},
): Promise<SampleResult> {
  // a final σ = 0 needs no schedule time (a discrete VP schedule has none): the last step returns x̂₀
  const n = grid?.length;
  const toZero = typeof n === "number" && n >= 3 && grid[n - 1] === 0 &&
    !hasZeroTime(denoiser);
  const inner = toZero ? Array.from(grid).slice(0, -1) : grid;
  const run = new SampleRun("lcm", denoiser, x, inner, options, {
    grid: "sigma",
    query: "x0",
    options: [],
  });
  return await run.use(async () => {
    const s = run.sigmas, steps = s.length - (toZero ? 0 : 1);
    const xs = await run.start(x);
    const den = run.alloc();
    for (let i = 0; i < steps; i++) {
      await run.denoise(xs, run.points[i]!, den);
      const next = i + 1 < s.length ? s[i + 1]! : 0;
      if (next > 0) {
        await run.lcNoise(xs, [[1, den]], next, { from: s[i]!, to: next });
        await run.endStep(i, xs, den);
      } else if (i + 1 < s.length) {
        await run.lc(xs, [[1, den]]);
        await run.endStep(i, xs, den);
      } else {
        // x at σ = 0 is x̂₀; finish() scales the view by α(t_last), so store x̂₀/α(t_last)
        const tLast = run.times[i]!;
        const a = run.convention === "sigma" ? run.schedule.alpha(tLast) : 1;
        await run.lc(xs, [[1 / a, den]]);
        await run.endStep(i, xs, den, { t: tLast, tNext: tLast });
      }
    }
    return run.finish(xs);
  });
}

/** Whether the model's schedule has σ/α = 0 at t = 0 (EDM, VP linear do; a discrete VP has no t = 0). */
function hasZeroTime(denoiser: Denoiser): boolean {
  try {
    const s = denoiser?.schedule;
    return s !== undefined && s.sigma(0) === 0 && s.alpha(0) > 0;
  } catch {
    return false;
  }
}

/**
 * The method object of {@linkcode sampleLcm} (NFE = steps).
 *
 * @example
 * ```ts
 * import { lcmMethod } from "./lcm.ts";
 * import assert from "node:assert/strict";
 * assert.equal(lcmMethod.info.nfe({ points: 5, endsAtZero: true }, {}), 4);
 * ```
 */
export const lcmMethod: DiffusionMethod = diffusionMethod({
  family: "diffusion",
  name: "lcm",
  aliases: ["sample_lcm", "consistency"],
  summary:
    "multistep consistency sampling: x̂₀ = f(x, t), re-noised to the next σ (Song et al. 2023)",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 1,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: [],
  nfe: (g) => g.points - 1,
}, sampleLcm);

/** Options of {@linkcode exactConsistencyModel}. */
export interface ExactConsistencyOptions {
  /** Heun steps of the coarser of the two ODE solves (default 150; error ~ steps⁻³ after extrapolation). */
  steps?: number;
  /** Smallest positive σ/α of the solve before its last (Euler) step to 0, relative to the start (default 1e-5). */
  relativeSigmaMin?: number;
}

/**
 * The exact consistency function of a denoiser: its x₀ prediction at (x, t)
 * is the end point at σ = 0 of the probability-flow ODE through (x, t),
 * solved by k-diffusion Heun on Karras (ρ = 7) grids of `steps` and
 * 2·`steps` steps from σ̃(t) to `relativeSigmaMin`·σ̃(t), then one step to
 * 0, combined by Richardson extrapolation (`(4 x_{2n} − x_n)/3`, Heun's
 * error being c·h² + O(h³)). Each call costs 6·steps − 2 calls of the inner model.
 *
 * @param denoiser the model of the noised law (e.g. an exact mixture)
 * @param options the resolution of the solve
 * @returns a denoiser predicting x₀ = f(x, t) natively
 * @throws {SdenoTypeError} for a denoiser without predict
 * @throws {SdenoRangeError} for steps < 2 or a relative σ_min outside (0, 1)
 *
 * @example The consistency function maps the flow's points to one end point
 * ```ts
 * import { exactConsistencyModel } from "./lcm.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { predictAs } from "../../models/denoiser.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[1]] }, edmSchedule());
 * const f = exactConsistencyModel(gm);
 * const out = b.zeros(1);
 * // N(1, 1): the flow through x at σ is 1 + (x − 1)/sqrt(1 + σ²)
 * await predictAs(f, b.upload([4]), { t: 2, kind: "x0", out });
 * assert.ok(Math.abs((await b.download(out))[0]! - (1 + 3 / Math.sqrt(5))) < 1e-5);
 * ```
 */
export function exactConsistencyModel(
  denoiser: Denoiser,
  options: ExactConsistencyOptions = {},
): Denoiser {
  const what = "Cannot make the exact consistency model";
  if (denoiser === null || typeof denoiser !== "object" || typeof denoiser.predict !== "function") {
    throw new SdenoTypeError(
      `${what}: denoiser must have a predict method, got ${quote(denoiser)}`,
    );
  }
  const steps = checkInteger(what, "steps", options.steps ?? 150, 2);
  const rel = checkFinite(what, "relativeSigmaMin", options.relativeSigmaMin ?? 1e-5);
  if (!(rel > 0 && rel < 1)) {
    throw new SdenoRangeError(`${what}: relativeSigmaMin must lie in (0, 1), got ${quote(rel)}`);
  }
  const schedule = denoiser.schedule;
  return denoiserFromNative({
    dim: denoiser.dim,
    schedule,
    kind: "x0",
    async predict(x, t, out, conditioning) {
      const s0 = schedule.sigma(t) / schedule.alpha(t);
      const solve = async (n: number) => {
        const sig = karrasSigmas(n, { sigmaMin: s0 * rel, sigmaMax: s0 });
        const times = sig.map((s, i) =>
          i === 0 ? t : s === 0 ? 0 : schedule.name === "edm" ? s : schedule.tOfLogSnr(-Math.log(s))
        );
        return (await sampleHeun(denoiser, x, times, {
          checkFinite: false,
          ...(conditioning ? { conditioning } : {}),
        })).x;
      };
      // Richardson: Heun's error is c·h² + O(h³) on a smooth grid family, so (4·x_{2n} − x_n)/3
      const coarse = await solve(steps), fine = await solve(2 * steps);
      await out.backend.lincomb(out, [[4 / 3, fine], [-1 / 3, coarse]]);
      out.backend.release(coarse);
      out.backend.release(fine);
    },
  });
}

/** Options of {@linkcode lcmBoundaryModel}. */
export interface LcmBoundaryOptions {
  /** σ_data of the scalings (default 0.5). */
  sigmaData?: number;
  /** Factor on the timestep in the scalings (default 10, diffusers' `timestep_scaling`). */
  timestepScaling?: number;
  /**
   * The network's timestep at schedule time t (default: the schedule's
   * `modelLabel(t)` when it has one, as the discrete VP schedule does, else t).
   */
  timestepOf?: (t: number) => number;
}

/**
 * Wraps a denoiser with the boundary-condition scalings of a latent
 * consistency model: `f(x, t) = c_skip x + c_out x̂₀(x, t)` with, for the
 * network timestep k, `c_skip = σ_d²/((k·s)² + σ_d²)` and
 * `c_out = k·s/sqrt((k·s)² + σ_d²)` (diffusers'
 * `get_scalings_for_boundary_condition_discrete`; x in the schedule's variables).
 *
 * @param denoiser the model (its x₀ prediction is the network's)
 * @param options σ_data, the timestep scaling and the timestep of t
 * @returns the wrapped model, predicting x₀ natively
 * @throws {SdenoTypeError} for a denoiser without predict or a bad option
 *
 * @example At timestep 0 the consistency function is the identity
 * ```ts
 * import { lcmBoundaryModel } from "./lcm.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { predictAs } from "../../models/denoiser.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const f = lcmBoundaryModel(gm, { timestepOf: () => 0 });
 * const out = b.zeros(1);
 * await predictAs(f, b.upload([3]), { t: 1, kind: "x0", out });
 * assert.equal((await b.download(out))[0], 3);
 * ```
 */
export function lcmBoundaryModel(denoiser: Denoiser, options: LcmBoundaryOptions = {}): Denoiser {
  const what = "Cannot wrap the LCM boundary scalings";
  if (denoiser === null || typeof denoiser !== "object" || typeof denoiser.predict !== "function") {
    throw new SdenoTypeError(
      `${what}: denoiser must have a predict method, got ${quote(denoiser)}`,
    );
  }
  const sd = checkFinite(what, "sigmaData", options.sigmaData ?? 0.5);
  const scale = checkFinite(what, "timestepScaling", options.timestepScaling ?? 10);
  const label = (denoiser.schedule as { modelLabel?: (t: number) => number }).modelLabel;
  const timestepOf = options.timestepOf ?? (label ? (t: number) => label(t) : (t: number) => t);
  if (typeof timestepOf !== "function") {
    throw new SdenoTypeError(`${what}: timestepOf must be a function, got ${quote(timestepOf)}`);
  }
  return denoiserFromNative({
    dim: denoiser.dim,
    schedule: denoiser.schedule,
    kind: "x0",
    async predict(x, t, out, conditioning) {
      await predictAs(denoiser, x, { t, kind: "x0", out, conditioning });
      const k = timestepOf(t) * scale;
      const cSkip = sd * sd / (k * k + sd * sd), cOut = k / Math.sqrt(k * k + sd * sd);
      await out.backend.lincomb(out, [[cOut, out], [cSkip, x]]);
    },
  });
}
