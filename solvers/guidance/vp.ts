/**
 * VP (DDPM) quantities shared by the guidance methods, in the notation of
 * ../shared/refs/inverse §1.1: ᾱ_t = α(t)² of the model's schedule (ᾱ = 1
 * at t = 0), and the DDIM/DDPM step coefficients of Song, Meng & Ermon,
 * "Denoising Diffusion Implicit Models" (arXiv 2010.02502), eq. (12).
 *
 * @module
 */

import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { quote, SdenoRangeError } from "../../kernels/errors.ts";

/**
 * ᾱ_t = α(t)², with ᾱ₀ = 1 at t = 0 (the clean end of a grid).
 *
 * @param schedule the model's schedule
 * @param t a time in [0, tMax]
 * @returns ᾱ_t
 *
 * @example
 * ```ts
 * import { alphaBar } from "./vp.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * assert.equal(alphaBar(vpLinearSchedule(), 0), 1);
 * ```
 */
export function alphaBar(schedule: NoiseSchedule, t: number): number {
  return t === 0 ? 1 : Math.exp(2 * schedule.logAlpha(t));
}

/** The DDIM step `x_s = √ᾱ_s x̂₀ + c2 ε̂ + c1 z` from t to s < t. */
export interface DdimCoefficients {
  /** √ᾱ_s, the coefficient of x̂₀. */
  x0: number;
  /** c2 = √(1 − ᾱ_s − c1²), the coefficient of ε̂. */
  eps: number;
  /** c1 = η √((1 − ᾱ_t/ᾱ_s)(1 − ᾱ_s)/(1 − ᾱ_t)), the standard deviation of the fresh noise. */
  noise: number;
}

/**
 * The DDIM/DDPM step coefficients from ᾱ_t to ᾱ_s (η = 1: ancestral DDPM;
 * η = 0: deterministic DDIM).
 *
 * @param abT ᾱ at the current time t
 * @param abS ᾱ at the next time s < t (1 at the clean end)
 * @param eta η ≥ 0
 * @returns the coefficients
 *
 * @example At the clean end the step returns x̂₀
 * ```ts
 * import { ddimCoefficients } from "./vp.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ddimCoefficients(0.5, 1, 1), { x0: 1, eps: 0, noise: 0 });
 * ```
 */
export function ddimCoefficients(abT: number, abS: number, eta: number): DdimCoefficients {
  if (!(eta >= 0) || !Number.isFinite(eta)) {
    throw new SdenoRangeError(
      `ddimCoefficients: eta must be a finite number ≥ 0, got ${quote(eta)}`,
    );
  }
  const c1 = abS >= 1 ? 0 : eta * Math.sqrt(Math.max(0, (1 - abT / abS) * (1 - abS) / (1 - abT)));
  const c2 = Math.sqrt(Math.max(0, 1 - abS - c1 * c1));
  return { x0: Math.sqrt(abS), eps: c2, noise: c1 };
}

/**
 * The quadratic grid of the reference runs (../shared/refs/inverse §1.6):
 * the distinct integers `round(T (k/K)²)`, k = 0…K, together with 1, as
 * times `n/T` of a discrete schedule with T knots, from the noisy end down
 * to 0 (the clean end).
 *
 * @param steps K ≥ 1
 * @param knots T, the number of training steps (default 1000)
 * @returns the decreasing times
 *
 * @example
 * ```ts
 * import { quadraticGrid } from "./vp.ts";
 * import assert from "node:assert/strict";
 * const g = quadraticGrid(4, 16);
 * assert.deepEqual([...g].map((t) => t * 16), [16, 9, 4, 1, 0]);
 * ```
 */
export function quadraticGrid(steps: number, knots = 1000): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new SdenoRangeError(`quadraticGrid: steps must be an integer ≥ 1, got ${quote(steps)}`);
  }
  if (!Number.isInteger(knots) || knots < 1) {
    throw new SdenoRangeError(`quadraticGrid: knots must be an integer ≥ 1, got ${quote(knots)}`);
  }
  const set = new Set<number>([1]);
  for (let k = 0; k <= steps; k++) set.add(Math.round(knots * (k / steps) ** 2));
  return Float64Array.from([...set].sort((a, b) => b - a), (n) => n / knots);
}
