/**
 * The sub-VP schedule of Song et al. (ICLR 2021, eq. 29): the mean of VP
 * linear, `log α(t) = −(β₁ − β₀) t²/4 − β₀ t/2`, with the smaller variance
 * `σ(t) = 1 − α(t)²` (σ² = (1 − e^{−∫β})²).
 *
 * @module
 */

import type { NoiseSchedule } from "./noise_schedule.ts";
import { _linearBeta } from "./_schedule_math.ts";

/** Options of {@linkcode subVpSchedule}. */
export interface SubVpOptions {
  /** β₀ (default 0.1). */
  beta0?: number;
  /** β₁ (default 20). */
  beta1?: number;
  /** Smallest valid time (default 1e-5). */
  tMin?: number;
}

/**
 * sub-VP: `σ = −expm1(2 log α)`, λ = log α − log σ. Inverse: α solves
 * `α/(1 − α²) = e^λ`, i.e. `α = 2e^λ/(1 + sqrt(1 + 4e^{2λ}))`, then t is the
 * positive root of `(β₁−β₀)t²/4 + β₀t/2 + log α = 0`. Forward SDE
 * (Song et al. eq. 29): f = −β(t)/2, `g² = β(t)(1 − α⁴)`.
 *
 * @param options β₀, β₁, tMin
 * @returns the schedule
 *
 * @example
 * ```ts
 * import { subVpSchedule } from "./sub_vp_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = subVpSchedule();
 * const a = s.alpha(0.5);
 * assert.ok(Math.abs(s.sigma(0.5) - (1 - a * a)) < 1e-15);
 * assert.ok(Math.abs(s.tOfLogSnr(s.logSnr(0.5)) - 0.5) < 1e-12);
 * ```
 */
export function subVpSchedule(options: SubVpOptions = {}): NoiseSchedule {
  const what = "Cannot make the sub-VP schedule";
  const { b0, b1, tMin, logAlpha } = _linearBeta(what, options);
  const db = b1 - b0;
  const logSigma = (t: number) => Math.log(-Math.expm1(2 * logAlpha(t)));
  return {
    name: "sub-vp",
    tMin,
    tMax: 1,
    logAlpha,
    alpha: (t) => Math.exp(logAlpha(t)),
    sigma: (t) => -Math.expm1(2 * logAlpha(t)),
    logSnr: (t) => logAlpha(t) - logSigma(t),
    tOfLogSnr: (lambda) => {
      // log α = λ + log 2 − log(1 + sqrt(1 + 4 e^{2λ}))
      const la = lambda + Math.LN2 - Math.log(1 + Math.sqrt(1 + 4 * Math.exp(2 * lambda)));
      const a = db / 4, b = b0 / 2;
      return 2 * -la / (b + Math.sqrt(b * b - 4 * a * la));
    },
    drift: (t) => -0.5 * (b0 + db * t),
    diffusion2: (t) => (b0 + db * t) * -Math.expm1(4 * logAlpha(t)),
  };
}
