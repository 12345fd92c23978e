/**
 * The variance-exploding schedule of Song et al. (ICLR 2021, §3.4 and
 * eq. 30; NCSN): α = 1, `σ(t) = σ_min (σ_max/σ_min)^t` on t ∈ [0, 1].
 *
 * @module
 */

import type { NoiseSchedule } from "./noise_schedule.ts";
import { checkFinite, quote, SdenoRangeError } from "../kernels/errors.ts";

/** Options of {@linkcode veSchedule}. */
export interface VeOptions {
  /** σ at t = 0 (default 0.01). */
  sigmaMin?: number;
  /** σ at t = 1 (default 50). */
  sigmaMax?: number;
}

/**
 * VE: `log σ(t) = log σ_min + t log(σ_max/σ_min)`, λ = −log σ, so
 * `t(λ) = (−λ − log σ_min)/log(σ_max/σ_min)`; forward SDE f = 0,
 * `g² = dσ²/dt = 2σ² log(σ_max/σ_min)`.
 *
 * @param options σ_min, σ_max
 * @returns the schedule
 *
 * @example
 * ```ts
 * import { veSchedule } from "./ve_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = veSchedule({ sigmaMin: 0.01, sigmaMax: 100 });
 * assert.ok(Math.abs(s.sigma(0.5) - 1) < 1e-14);
 * assert.ok(Math.abs(s.tOfLogSnr(s.logSnr(0.3)) - 0.3) < 1e-14);
 * ```
 */
export function veSchedule(options: VeOptions = {}): NoiseSchedule {
  const what = "Cannot make the VE schedule";
  const sigmaMin = checkFinite(what, "sigmaMin", options.sigmaMin ?? 0.01);
  const sigmaMax = checkFinite(what, "sigmaMax", options.sigmaMax ?? 50);
  if (!(sigmaMin > 0 && sigmaMax > sigmaMin)) {
    throw new SdenoRangeError(
      `${what}: need 0 < sigmaMin < sigmaMax, got ${quote([sigmaMin, sigmaMax])}`,
    );
  }
  const l0 = Math.log(sigmaMin), span = Math.log(sigmaMax / sigmaMin);
  const logSigma = (t: number) => l0 + t * span;
  return {
    name: "ve",
    tMin: 0,
    tMax: 1,
    logAlpha: () => 0,
    alpha: () => 1,
    sigma: (t) => Math.exp(logSigma(t)),
    logSnr: (t) => -logSigma(t),
    tOfLogSnr: (lambda) => (-lambda - l0) / span,
    drift: () => 0,
    diffusion2: (t) => 2 * Math.exp(2 * logSigma(t)) * span,
  };
}
