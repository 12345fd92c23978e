/**
 * The variance-preserving schedule of a discrete-time (DDPM) model, made
 * continuous as DPM-Solver does it (Lu et al., NeurIPS 2022, §3.4 and
 * Appendix; `NoiseScheduleVP('discrete')`): step n = 0 … N−1 sits at time
 * `tₙ = (n + 1)/N`, `log α(tₙ) = ½ Σ_{m ≤ n} log(1 − β_m)` (Ho et al. 2020),
 * and log α is piecewise linear in t between the knots.
 *
 * @module
 */

import type { NoiseSchedule } from "./noise_schedule.ts";
import { checkFinite, quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { _interpolate, _linspace, _logAddExp } from "./_schedule_math.ts";

/** Options of {@linkcode vpDiscreteSchedule}: give `betas` or `alphasCumprod`. */
export interface VpDiscreteOptions {
  /** The DDPM β₀ … β_{N−1}, each in (0, 1). */
  betas?: ArrayLike<number>;
  /** Or the cumulative products ᾱₙ = Π (1 − β_m), each in (0, 1). */
  alphasCumprod?: ArrayLike<number>;
  /**
   * Drop the last knots whose half log-SNR is below this value, as
   * DPM-Solver's `numerical_clip_alpha` does with −5.1 (for cosine betas;
   * UniPC does not clip). Default: no clipping.
   */
  clipLogSnr?: number;
}

/** A discrete VP schedule, with the knots and the model's time labels. */
export interface VpDiscreteSchedule extends NoiseSchedule {
  /** Number of knots N (after clipping). */
  readonly totalSteps: number;
  /** Knot times (n + 1)/N, increasing. */
  readonly times: Float64Array;
  /** log α at the knots. */
  readonly logAlphas: Float64Array;
  /**
   * The label a discrete-time network is called with at continuous time t:
   * `1000 (t − 1/N)` (DPM-Solver's `model_wrapper`; the 1000 is hard-coded
   * there, whatever N is).
   */
  modelLabel(t: number): number;
}

/**
 * The DDPM betas `linspace(β_start, β_end, N)` (Ho et al. 2020, §4: 1e-4 to
 * 0.02 over 1000 steps), computed like numpy's linspace.
 *
 * @param options `start`, `end`, `steps` (defaults 1e-4, 0.02, 1000)
 * @returns the betas
 *
 * @example
 * ```ts
 * import { ddpmLinearBetas } from "./vp_discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const b = ddpmLinearBetas();
 * assert.equal(b.length, 1000);
 * assert.equal(b[999], 0.02);
 * ```
 */
export function ddpmLinearBetas(
  options: { start?: number; end?: number; steps?: number } = {},
): Float64Array {
  const start = options.start ?? 1e-4, end = options.end ?? 0.02, n = options.steps ?? 1000;
  if (!Number.isInteger(n) || n < 2) {
    throw new SdenoRangeError(
      `Cannot make DDPM betas: steps must be an integer >= 2, got ${quote(n)}`,
    );
  }
  const out = new Float64Array(n);
  const step = (end - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  out[n - 1] = end;
  return out;
}

/**
 * The discrete VP schedule. Between the knots, log α is interpolated
 * linearly; above the last knot it is extrapolated with the last segment (as
 * the reference does). Below the first knot the reference extrapolates too,
 * which soon gives α > 1 and σ = NaN (every DPM-Solver run with
 * `t_end = 1e-4` on DDPM betas returns NaN); here any time below
 * `tMin = 1/N` (less a relative 1e-10) is rejected with an {@linkcode SdenoRangeError} instead.
 * Knots are float64 (the reference casts them to float32 unless told not to).
 *
 * λ's inverse: `log α = −½ logaddexp(0, −2λ)`, then t by interpolating the
 * reversed knots.
 *
 * @param options `betas` or `alphasCumprod`, and `clipLogSnr`
 * @returns the schedule
 *
 * @example DDPM betas: λ(1) and the model label
 * ```ts
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "./vp_discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * assert.ok(Math.abs(s.logSnr(1) + 5.05884) < 1e-5);
 * assert.ok(Math.abs(s.sigma(1e-3) - 0.01) < 1e-14);
 * assert.equal(s.modelLabel(1), 999);
 * assert.throws(() => s.alpha(1e-4), RangeError);
 * ```
 */
export function vpDiscreteSchedule(options: VpDiscreteOptions): VpDiscreteSchedule {
  const what = "Cannot make the discrete VP schedule";
  const { betas, alphasCumprod } = options ?? {};
  const given = betas ?? alphasCumprod;
  if ((betas === undefined) === (alphasCumprod === undefined) || given === undefined) {
    throw new SdenoTypeError(`${what}: give exactly one of betas and alphasCumprod`);
  }
  const n0 = given.length;
  if (!(n0 >= 2)) throw new SdenoTypeError(`${what}: need at least 2 steps, got ${quote(n0)}`);
  let la = new Float64Array(n0);
  let acc = 0;
  for (let i = 0; i < n0; i++) {
    const v = given[i]!;
    if (!(v > 0 && v < 1)) {
      const name = betas ? "betas" : "alphasCumprod";
      throw new SdenoRangeError(`${what}: ${name}[${i}] must be in (0, 1), got ${quote(v)}`);
    }
    if (betas) {
      acc += Math.log(1 - v);
      la[i] = 0.5 * acc;
    } else la[i] = 0.5 * Math.log(v);
    if (i > 0 && !(la[i]! < la[i - 1]!)) {
      throw new SdenoRangeError(`${what}: log alpha must decrease, but it does not at step ${i}`);
    }
  }
  if (options.clipLogSnr !== undefined) {
    const clip = checkFinite(what, "clipLogSnr", options.clipLogSnr);
    let drop = 0;
    for (let i = n0 - 1; i >= 0; i--) {
      const l = la[i]! - 0.5 * Math.log(-Math.expm1(2 * la[i]!));
      if (l < clip) drop++;
      else break;
    }
    if (drop > n0 - 2) {
      throw new SdenoRangeError(`${what}: clipLogSnr ${quote(clip)} leaves < 2 steps`);
    }
    la = la.slice(0, n0 - drop);
  }
  const n = la.length;
  const times = Float64Array.from(_linspace(0, 1, n + 1).slice(1));
  const revLa = la.slice().reverse(), revT = times.slice().reverse();
  const tMin = times[0]!;
  // A relative slack of 1e-10 lets round-tripped grid end points (t(λ(1/N)) may come back an
  // ulp below 1/N) through; there the extrapolated log α is still far below 0.
  const tFloor = tMin * (1 - 1e-10);
  const logAlpha = (t: number) => {
    if (!(t >= tFloor)) {
      throw new SdenoRangeError(
        `Cannot evaluate the discrete VP schedule: t must be >= 1/N = ${tMin} (below it the ` +
          `extrapolated alpha exceeds 1 and sigma is NaN), got ${quote(t)}`,
      );
    }
    return _interpolate(t, times, la);
  };
  const dla = (t: number) => {
    // slope of the segment holding t (the last one beyond the knots)
    let i = Math.min(n - 2, Math.max(0, Math.floor(t * n - 1)));
    if (times[i + 1]! < t && i < n - 2) i++;
    return (la[i + 1]! - la[i]!) / (times[i + 1]! - times[i]!);
  };
  return {
    name: "vp-discrete",
    tMin,
    tMax: 1,
    totalSteps: n,
    times,
    logAlphas: la,
    logAlpha,
    alpha: (t) => Math.exp(logAlpha(t)),
    sigma: (t) => Math.sqrt(-Math.expm1(2 * logAlpha(t))),
    logSnr: (t) => {
      const a = logAlpha(t);
      return a - 0.5 * Math.log(-Math.expm1(2 * a));
    },
    tOfLogSnr: (lambda) => _interpolate(-0.5 * _logAddExp(0, -2 * lambda), revLa, revT),
    // β(t) = −2 d log α/dt on each segment; f = −β/2, g² = β
    drift: (t) => dla(t),
    diffusion2: (t) => -2 * dla(t),
    modelLabel: (t) => 1000 * (t - 1 / n),
  };
}
