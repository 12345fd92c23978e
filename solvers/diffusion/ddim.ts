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
import { checkFinite, quote, SdenoRangeError } from "../../kernels/mod.ts";
import type { Denoiser, PredictionKind } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { _checkGrid } from "./_grid.ts";
import { _checkFiniteArray, _ModelCaller, _setup, type X0Corrector } from "./_model.ts";
import { resolveNoise } from "./noise.ts";
import { _NoisyLincomb } from "./_noisy.ts";

/** Options of {@linkcode ddim}. */
export interface DdimOptions extends SamplerOptions {
  /** Stochasticity η ≥ 0 (default 0: deterministic). */
  eta?: number;
  /** After the last step, x = x̂₀ at the last time (one more model call; default false). */
  denoiseToZero?: boolean;
  /** Applied to every x̂₀. */
  correctX0?: X0Corrector;
  /** Kind requested from the denoiser (default `eps`, x̂₀ = (x − σ ε̂)/α). */
  query?: PredictionKind;
  /** Check for NaN/Inf after every step (default true). */
  checkFinite?: boolean;
}

/**
 * Samples with DDIM along `grid` (NFE = grid.length − 1). Noise call i
 * (η > 0) covers step i, `from = grid[i]`, `to = grid[i+1]`.
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options η, noise source or key, corrector
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
  const what = "Cannot sample with DDIM";
  _setup(denoiser, x, options, what);
  const s = denoiser.schedule;
  _checkGrid(s, grid, what, {});
  const eta = checkFinite(what, "eta", options.eta ?? 0);
  if (eta < 0) throw new SdenoRangeError(`${what}: eta must be >= 0, got ${quote(eta)}`);
  return _ancestral(denoiser, x, grid, options, what, (ts, tt) => {
    const h = s.logSnr(tt) - s.logSnr(ts);
    const q = -Math.expm1(-2 * h); // 1 − e^{−2h}
    const sigT = s.sigma(tt);
    const rest = sigT * Math.sqrt(Math.max(0, 1 - eta * eta * q)); // sqrt(σ_t² − σ̃²)
    const cx = rest / s.sigma(ts);
    return { cx, c0: s.alpha(tt) - cx * s.alpha(ts), std: eta * sigT * Math.sqrt(q) };
  });
}

/**
 * The shared loop of DDIM and DDPM: x ← cx·x + c0·x̂₀ + std·z per step.
 *
 * @internal
 */
export async function _ancestral(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DdimOptions,
  what: string,
  coef: (s: number, t: number, i: number) => { cx: number; c0: number; std: number },
): Promise<SampleResult> {
  const backend = options.backend ?? x.backend;
  const check = options.checkFinite ?? true;
  const model = new _ModelCaller(denoiser, backend, {
    target: "x0",
    query: options.query ?? "eps",
    correctX0: options.correctX0,
    checkFinite: check,
  }, what);
  const n = x.length;
  const cur = backend.zeros(n);
  await backend.lincomb(cur, [[1, x]]);
  const x0 = backend.zeros(n);
  const noisy = new _NoisyLincomb(backend, resolveNoise(options));
  const steps = grid.length - 1;
  try {
    for (let i = 0; i < steps; i++) {
      const ts = grid[i]!, tt = grid[i + 1]!;
      model.step = i;
      await model.eval(cur, ts, x0);
      const { cx, c0, std } = coef(ts, tt, i);
      if (std > 0) await noisy.apply(cur, [[cx, cur], [c0, x0]], std, { from: ts, to: tt });
      else await backend.lincomb(cur, [[cx, cur], [c0, x0]]);
      if (check) await _checkFiniteArray(backend, cur, what, { step: i, time: tt, quantity: "x" });
      if (options.onStep) await options.onStep({ i, t: ts, tNext: tt, x: cur, x0Hat: x0 });
    }
    if (options.denoiseToZero) {
      const t = grid[steps]!;
      model.step = steps;
      await model.eval(cur, t, x0);
      await backend.lincomb(cur, [[1, x0]]);
      if (options.onStep) await options.onStep({ i: steps, t, tNext: 0, x: cur, x0Hat: x0 });
    }
  } catch (err) {
    backend.release(cur);
    throw err;
  } finally {
    backend.release(x0);
    noisy.release();
  }
  return { x: cur, nfe: model.times.length, modelTimes: model.times };
}
