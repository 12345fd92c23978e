/**
 * The mean-reverting (MR) diffusion of IR-SDE (Luo et al., "Image
 * Restoration with Mean-Reverting Stochastic Differential Equations",
 * arXiv:2301.11699, eq. 1–3) and of MRS (Li et al., "MRS: A Fast Sampler for
 * Mean Reverting Diffusion based on ODE and SDE Solvers", arXiv:2502.07856,
 * ICLR 2025, §3):
 *
 * ```
 * dx = θ_t (μ − x) dt + σ_t dW,   with σ_t² = 2 λ_s² θ_t   (λ_s: the stationary std)
 * ```
 *
 * Its marginal given x₀ is Gaussian (IR-SDE eq. 3):
 * `x_t = μ + α_t (x₀ − μ) + σ̄_t ε`, `α_t = exp(−θ̄_t)`, `θ̄_t = ∫₀ᵗ θ`,
 * `σ̄_t² = λ_s² (1 − α_t²)`. So the shifted state `y = x − μ` is noised by
 * the schedule `(α_t, σ̄_t)`, a {@linkcode NoiseSchedule} with forward SDE
 * `dy = −θ_t y dt + σ_t dW` — the view every sampler of sdeno reads. With
 * λ_s = 1 and θ_t = β(t)/2 this is the VP linear schedule exactly.
 *
 * Here θ_t is linear on [0, 1]: `θ_t = θ_min + (θ_max − θ_min) t`, so
 * `θ̄_t = θ_min t + (θ_max − θ_min) t²/2`, and the half log-SNR
 * `λ(t) = log α − log σ̄ = −θ̄ − log λ_s − ½ log(1 − e^{−2θ̄})` inverts in
 * closed form: `2θ̄ = log(1 + e^{−2(λ + log λ_s)})`, then the quadratic in t.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import type { NoiseSchedule } from "./noise_schedule.ts";

/** Options of {@linkcode meanRevertingSchedule}. */
export interface MeanRevertingScheduleOptions {
  /** The stationary standard deviation λ_s > 0 (default 1; IR-SDE's λ). */
  stationaryStd?: number;
  /** θ at t = 0 (default 0.05), ≥ 0. */
  thetaMin?: number;
  /** θ at t = 1 (default 10), > thetaMin. */
  thetaMax?: number;
  /** Smallest valid time (default 1e-5), in (0, 1). */
  tMin?: number;
}

/** The MR schedule of `y = x − μ`, with θ_t and θ̄_t. */
export interface MeanRevertingSchedule extends NoiseSchedule {
  /** λ_s, the stationary standard deviation. */
  readonly stationaryStd: number;
  /** The mean-reversion rate θ_t. */
  theta(t: number): number;
  /** θ̄_t = ∫₀ᵗ θ (so α_t = e^{−θ̄_t}). */
  thetaBar(t: number): number;
}

/**
 * The mean-reverting schedule (see the module doc): the noise schedule of
 * `y = x − μ` for the MR SDE `dx = θ_t(μ − x)dt + sqrt(2λ_s²θ_t) dW` on [tMin, 1].
 *
 * @param options λ_s, θ_min, θ_max, tMin
 * @returns the schedule
 * @throws {SdenoTypeError} for a non-number option
 * @throws {SdenoRangeError} for λ_s ≤ 0, θ_min < 0, θ_max ≤ θ_min or tMin outside (0, 1)
 *
 * @example The marginal variance tends to λ_s², and λ inverts
 * ```ts
 * import { meanRevertingSchedule } from "./mean_reverting_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = meanRevertingSchedule({ stationaryStd: 0.5, thetaMin: 0.1, thetaMax: 8 });
 * assert.ok(Math.abs(s.alpha(1) - Math.exp(-4.05)) < 1e-15);
 * assert.ok(Math.abs(s.sigma(1) ** 2 - 0.25 * (1 - Math.exp(-8.1))) < 1e-15);
 * assert.ok(Math.abs(s.tOfLogSnr(s.logSnr(0.3)) - 0.3) < 1e-12);
 * ```
 */
export function meanRevertingSchedule(
  options: MeanRevertingScheduleOptions = {},
): MeanRevertingSchedule {
  const what = "Cannot make the mean-reverting schedule";
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const num = (name: string, v: unknown): number => {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new SdenoTypeError(`${what}: ${name} must be a finite number, got ${quote(v)}`);
    }
    return v;
  };
  const ls = num("stationaryStd", options.stationaryStd ?? 1);
  const th0 = num("thetaMin", options.thetaMin ?? 0.05);
  const th1 = num("thetaMax", options.thetaMax ?? 10);
  const tMin = num("tMin", options.tMin ?? 1e-5);
  if (!(ls > 0)) throw new SdenoRangeError(`${what}: stationaryStd must be > 0, got ${quote(ls)}`);
  if (!(th0 >= 0)) throw new SdenoRangeError(`${what}: thetaMin must be ≥ 0, got ${quote(th0)}`);
  if (!(th1 > th0)) {
    throw new SdenoRangeError(`${what}: thetaMax must exceed thetaMin = ${th0}, got ${quote(th1)}`);
  }
  if (!(tMin > 0 && tMin < 1)) {
    throw new SdenoRangeError(`${what}: tMin must be in (0, 1), got ${quote(tMin)}`);
  }
  const dth = th1 - th0;
  const thetaBar = (t: number) => th0 * t + 0.5 * dth * t * t;
  const logLs = Math.log(ls);
  return {
    name: "mean-reverting",
    tMin,
    tMax: 1,
    stationaryStd: ls,
    theta: (t) => th0 + dth * t,
    thetaBar,
    logAlpha: (t) => -thetaBar(t),
    alpha: (t) => Math.exp(-thetaBar(t)),
    sigma: (t) => ls * Math.sqrt(-Math.expm1(-2 * thetaBar(t))),
    logSnr: (t) => {
      const tb = thetaBar(t);
      return -tb - logLs - 0.5 * Math.log(-Math.expm1(-2 * tb));
    },
    tOfLogSnr: (lambda) => {
      // 2θ̄ = logaddexp(0, −2(λ + log λ_s)); θ̄ = θ_min t + (Δθ/2) t²
      const u = -2 * (lambda + logLs);
      const twoThetaBar = Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
      const tmp = 2 * dth * twoThetaBar; // = 4 Δθ θ̄
      return tmp / (Math.sqrt(4 * th0 * th0 + 2 * tmp) + 2 * th0) / dth;
    },
    drift: (t) => -(th0 + dth * t),
    diffusion2: (t) => 2 * ls * ls * (th0 + dth * t),
  };
}
