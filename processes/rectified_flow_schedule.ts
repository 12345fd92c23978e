/**
 * The rectified-flow / linear-interpolant schedule (Liu et al., ICLR 2023;
 * Lipman et al. 2023 with σ_min = 0): `x_t = (1 − t) x₀ + t ε`.
 *
 * @module
 */

import type { NoiseSchedule } from "./noise_schedule.ts";
import { checkFinite, quote, SdenoRangeError } from "../kernels/errors.ts";

/** Options of {@linkcode rectifiedFlowSchedule}. */
export interface RectifiedFlowOptions {
  /** Smallest valid time (default 1e-4; σ = 0 at t = 0). */
  tMin?: number;
  /** Largest valid time (default 1 − 1e-4; α = 0 and λ = −∞ at t = 1). */
  tMax?: number;
}

/**
 * Rectified flow: α = 1 − t, σ = t, `λ = log((1 − t)/t)`, `t(λ) = 1/(1 + e^λ)`.
 * As a forward SDE with the same marginals: `f = −1/(1 − t)`,
 * `g² = 2t/(1 − t)` (from α' = fα and (σ²)' = 2fσ² + g²).
 *
 * @param options tMin, tMax
 * @returns the schedule
 *
 * @example
 * ```ts
 * import { rectifiedFlowSchedule } from "./rectified_flow_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = rectifiedFlowSchedule();
 * assert.equal(s.alpha(0.25), 0.75);
 * assert.ok(Math.abs(s.tOfLogSnr(s.logSnr(0.25)) - 0.25) < 1e-15);
 * ```
 */
export function rectifiedFlowSchedule(options: RectifiedFlowOptions = {}): NoiseSchedule {
  const what = "Cannot make the rectified-flow schedule";
  const tMin = checkFinite(what, "tMin", options.tMin ?? 1e-4);
  const tMax = checkFinite(what, "tMax", options.tMax ?? 1 - 1e-4);
  if (!(tMin > 0 && tMax > tMin && tMax < 1)) {
    throw new SdenoRangeError(`${what}: need 0 < tMin < tMax < 1, got ${quote([tMin, tMax])}`);
  }
  return {
    name: "rectified-flow",
    tMin,
    tMax,
    logAlpha: (t) => Math.log1p(-t),
    alpha: (t) => 1 - t,
    sigma: (t) => t,
    logSnr: (t) => Math.log1p(-t) - Math.log(t),
    tOfLogSnr: (lambda) => 1 / (1 + Math.exp(lambda)),
    drift: (t) => -1 / (1 - t),
    diffusion2: (t) => 2 * t / (1 - t),
  };
}
