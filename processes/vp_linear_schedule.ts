/**
 * The variance-preserving schedule with linear β(t) = β₀ + (β₁ − β₀) t on
 * [0, 1] (Song et al., ICLR 2021, eq. 11; DPM-Solver's `NoiseScheduleVP('linear')`).
 *
 * @module
 */

import type { NoiseSchedule } from "./noise_schedule.ts";
import { _linearBeta } from "./_schedule_math.ts";

/** Options of {@linkcode vpLinearSchedule}. */
export interface VpLinearOptions {
  /** β₀ (default 0.1). */
  beta0?: number;
  /** β₁ (default 20). */
  beta1?: number;
  /** Smallest valid time (default 1e-5: σ(t) > 0 needs t > 0). */
  tMin?: number;
}

/** The VP linear schedule, with DPM-Solver's nominal step count. */
export interface VpLinearSchedule extends NoiseSchedule {
  /**
   * DPM-Solver's `total_N` for this continuous schedule (1000): its default
   * end time is `1/totalSteps` = 1e-3.
   */
  readonly totalSteps: number;
}

/**
 * VP linear: `log α(t) = −(β₁ − β₀) t²/4 − β₀ t/2`, `σ = sqrt(1 − α²)` (computed
 * from log α with `expm1`, as DPM-Solver does), and the closed-form inverse of
 * λ (Lu et al. 2022, Appendix; `tmp = 2(β₁−β₀) logaddexp(−2λ, 0)`,
 * `t = tmp / (sqrt(β₀² + tmp) + β₀) / (β₁ − β₀)`).
 *
 * @param options β₀, β₁, tMin
 * @returns the schedule
 *
 * @example λ(1) on the standard schedule
 * ```ts
 * import { vpLinearSchedule } from "./vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * assert.ok(Math.abs(s.logSnr(1) + 5.02498) < 1e-5);
 * assert.ok(Math.abs(s.tOfLogSnr(s.logSnr(0.3)) - 0.3) < 1e-12);
 * ```
 */
export function vpLinearSchedule(options: VpLinearOptions = {}): VpLinearSchedule {
  const what = "Cannot make the VP linear schedule";
  const { b0, b1, tMin, logAlpha } = _linearBeta(what, options);
  const db = b1 - b0;
  const sigma = (t: number) => Math.sqrt(-Math.expm1(2 * logAlpha(t)));
  return {
    name: "vp-linear",
    tMin,
    tMax: 1,
    totalSteps: 1000,
    logAlpha,
    alpha: (t) => Math.exp(logAlpha(t)),
    sigma,
    // λ = log α − ½ log(1 − α²)
    logSnr: (t) => {
      const la = logAlpha(t);
      return la - 0.5 * Math.log(-Math.expm1(2 * la));
    },
    tOfLogSnr: (lambda) => {
      const m = Math.max(-2 * lambda, 0);
      const lae = m + Math.log1p(Math.exp(-Math.abs(-2 * lambda))); // logaddexp(−2λ, 0)
      const tmp = 2 * db * lae;
      return tmp / (Math.sqrt(b0 * b0 + tmp) + b0) / db;
    },
    drift: (t) => -0.5 * (b0 + db * t),
    diffusion2: (t) => b0 + db * t,
  };
}
