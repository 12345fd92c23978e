/**
 * The EDM / variance-exploding parameterisation of Karras et al. (NeurIPS
 * 2022, Table 1): `x_σ = x₀ + σ ε`, time is σ itself (α = 1, σ(t) = t). This
 * is the schedule of k-diffusion's samplers.
 *
 * @module
 */

import type { NoiseSchedule } from "./noise_schedule.ts";
import { checkFinite, quote, SdenoRangeError } from "../kernels/errors.ts";

/** Options of {@linkcode edmSchedule}. */
export interface EdmOptions {
  /** Smallest σ (default 0.002). */
  sigmaMin?: number;
  /** Largest σ (default 80). */
  sigmaMax?: number;
}

/**
 * EDM: α = 1, σ(t) = t, λ = −log t. Its probability-flow ODE is
 * `dx/dσ = (x − D(x, σ))/σ`; as a forward SDE, f = 0 and g² = 2t
 * (so that d(σ²)/dt = g²).
 *
 * @param options σ range
 * @returns the schedule
 *
 * @example
 * ```ts
 * import { edmSchedule } from "./edm_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = edmSchedule();
 * assert.equal(s.sigma(3), 3);
 * assert.ok(Math.abs(s.tOfLogSnr(s.logSnr(3)) - 3) < 1e-15);
 * ```
 */
export function edmSchedule(options: EdmOptions = {}): NoiseSchedule {
  const what = "Cannot make the EDM schedule";
  const sigmaMin = checkFinite(what, "sigmaMin", options.sigmaMin ?? 0.002);
  const sigmaMax = checkFinite(what, "sigmaMax", options.sigmaMax ?? 80);
  if (!(sigmaMin > 0 && sigmaMax > sigmaMin)) {
    throw new SdenoRangeError(
      `${what}: need 0 < sigmaMin < sigmaMax, got ${quote([sigmaMin, sigmaMax])}`,
    );
  }
  return {
    name: "edm",
    tMin: sigmaMin,
    tMax: sigmaMax,
    logAlpha: () => 0,
    alpha: () => 1,
    sigma: (t) => t,
    logSnr: (t) => -Math.log(t),
    tOfLogSnr: (lambda) => Math.exp(-lambda),
    drift: () => 0,
    diffusion2: (t) => 2 * t,
  };
}
