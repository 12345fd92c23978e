/**
 * The cosine variance-preserving schedule of Nichol & Dhariwal (ICML 2021,
 * eq. 17), continuous in t: `ᾱ(t) = f(t)/f(0)`, `f(t) = cos²(π/2 · (t + s)/(1 + s))`,
 * so `α(t) = cos(θ(t))/cos(θ(0))`, `θ(t) = π/2 · (t + s)/(1 + s)`. As in
 * UniPC's and DPM-Solver-v3's `NoiseScheduleVP('cosine')`, T stops at 0.9946
 * (where the discrete schedule's β would be clipped to 0.999).
 *
 * @module
 */

import type { NoiseSchedule } from "./noise_schedule.ts";
import { checkFinite, quote, SdenoRangeError } from "../kernels/errors.ts";
import { _logAddExp } from "./_schedule_math.ts";

/** Options of {@linkcode vpCosineSchedule}. */
export interface VpCosineOptions {
  /** Offset s (default 0.008). */
  s?: number;
  /** Largest time T (default 0.9946, as in UniPC). */
  tMax?: number;
  /** Smallest valid time (default 1e-5). */
  tMin?: number;
}

/**
 * VP cosine: `log α(t) = log cos θ(t) − log cos θ(0)`, `σ = sqrt(1 − α²)`
 * (from log α with `expm1`), inverse of λ in closed form:
 * `t = 2(1 + s)/π · arccos(exp(log α + log cos θ(0))) − s` with
 * `log α = −½ logaddexp(0, −2λ)`. Forward SDE: `β(t) = π/(1 + s) · tan θ(t)`,
 * f = −β/2, g² = β.
 *
 * @param options s, tMin, tMax
 * @returns the schedule
 *
 * @example
 * ```ts
 * import { vpCosineSchedule } from "./vp_cosine_schedule.ts";
 * import assert from "node:assert/strict";
 * const c = vpCosineSchedule();
 * assert.equal(c.alpha(0), 1);
 * assert.ok(Math.abs(c.tOfLogSnr(c.logSnr(0.4)) - 0.4) < 1e-12);
 * ```
 */
export function vpCosineSchedule(options: VpCosineOptions = {}): NoiseSchedule {
  const what = "Cannot make the VP cosine schedule";
  const s = checkFinite(what, "s", options.s ?? 0.008);
  const tMax = checkFinite(what, "tMax", options.tMax ?? 0.9946);
  const tMin = checkFinite(what, "tMin", options.tMin ?? 1e-5);
  if (!(s >= 0)) throw new SdenoRangeError(`${what}: s must be >= 0, got ${quote(s)}`);
  if (!(tMin > 0 && tMin < tMax && tMax < 1)) {
    throw new SdenoRangeError(`${what}: need 0 < tMin < tMax < 1, got ${quote([tMin, tMax])}`);
  }
  const theta = (t: number) => (t + s) / (1 + s) * Math.PI / 2;
  const la0 = Math.log(Math.cos(theta(0)));
  const logAlpha = (t: number) => Math.log(Math.cos(theta(t))) - la0;
  const beta = (t: number) => Math.PI / (1 + s) * Math.tan(theta(t));
  return {
    name: "vp-cosine",
    tMin,
    tMax,
    logAlpha,
    alpha: (t) => Math.exp(logAlpha(t)),
    sigma: (t) => Math.sqrt(-Math.expm1(2 * logAlpha(t))),
    logSnr: (t) => {
      const la = logAlpha(t);
      return la - 0.5 * Math.log(-Math.expm1(2 * la));
    },
    tOfLogSnr: (lambda) => {
      const la = -0.5 * _logAddExp(0, -2 * lambda);
      return Math.acos(Math.exp(la + la0)) * 2 * (1 + s) / Math.PI - s;
    },
    drift: (t) => -0.5 * beta(t),
    diffusion2: beta,
  };
}
