/**
 * Noise schedules of discrete diffusion: the forward CTMC of each token runs
 * with generator `σ(t)·Q`, so only the total noise `σ̄(t) = ∫₀ᵗ σ(u) du`
 * matters for its marginals, and a token survives unchanged (masked) or keeps
 * its share of the signal (uniform) with weight `α_t = exp(−σ̄(t))`
 * (Lou, Meng & Ermon, "Discrete Diffusion Modeling by Estimating the Ratios
 * of the Data Distribution", arXiv 2310.16834, §2 and §3.3; Sahoo et al.,
 * MDLM, arXiv 2406.07524, §3).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** A discrete-diffusion noise schedule on `[0, tMax]`. */
export interface DiscreteSchedule {
  /** A short description, e.g. `log-linear(eps=0.001)`. */
  readonly name: string;
  /** The end of the forward time interval (the sampler starts there). */
  readonly tMax: number;
  /** The rate multiplier σ(t) ≥ 0 of the forward generator σ(t)·Q. */
  sigma(t: number): number;
  /** The total noise σ̄(t) = ∫₀ᵗ σ, with σ̄(0) = 0. */
  sigmaBar(t: number): number;
  /** The signal weight α_t = exp(−σ̄(t)). */
  alpha(t: number): number;
}

/** Options of {@linkcode logLinearSchedule}. */
export interface LogLinearScheduleOptions {
  /** α at t = 1, in (0, 1) (default 1e-3, SEDD's choice). */
  eps?: number;
}

/**
 * SEDD's "log-linear" schedule: `α_t = 1 − (1 − ε)t` on [0, 1], so
 * `σ̄(t) = −log(1 − (1 − ε)t)` and `σ(t) = (1 − ε)/α_t` (Lou et al. 2310.16834,
 * §5.1; MDLM's linear α schedule). α falls linearly from 1 to ε.
 *
 * @param options ε (default 1e-3)
 * @returns the schedule
 * @throws {SdenoRangeError} when ε is not in (0, 1)
 *
 * @example α is linear in t and σ = −d log α/dt
 * ```ts
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = logLinearSchedule({ eps: 1e-3 });
 * assert.ok(Math.abs(s.alpha(0.5) - (1 - 0.999 * 0.5)) < 1e-15);
 * assert.ok(Math.abs(s.sigma(0.5) - 0.999 / s.alpha(0.5)) < 1e-12);
 * assert.throws(() => logLinearSchedule({ eps: 0 }), /eps must be in \(0, 1\)/);
 * ```
 */
export function logLinearSchedule(options: LogLinearScheduleOptions = {}): DiscreteSchedule {
  const eps = options.eps ?? 1e-3;
  if (typeof eps !== "number" || !(eps > 0 && eps < 1)) {
    throw new SdenoRangeError(
      `Cannot build the log-linear schedule: eps must be in (0, 1), got ${quote(eps)}`,
    );
  }
  const slope = 1 - eps;
  const alpha = (t: number) => 1 - slope * t;
  return Object.freeze({
    name: `log-linear(eps=${eps})`,
    tMax: 1,
    alpha,
    sigma: (t: number) => slope / alpha(t),
    sigmaBar: (t: number) => -Math.log1p(-slope * t),
  });
}

/** What {@linkcode customDiscreteSchedule} takes: σ and σ̄ as functions. */
export interface CustomDiscreteScheduleSpec {
  /** A name for messages (default `custom`). */
  name?: string;
  /** The end of the forward time interval (default 1). */
  tMax?: number;
  /** σ(t) ≥ 0. */
  sigma: (t: number) => number;
  /** σ̄(t) = ∫₀ᵗ σ, non-decreasing with σ̄(0) = 0. */
  sigmaBar: (t: number) => number;
}

/**
 * A schedule from a user's σ(t) and σ̄(t). Both are probed on 65 points of
 * [0, tMax] before use: σ must be finite and non-negative, σ̄ finite, 0 at 0
 * (within 1e-12) and non-decreasing, and σ̄(tMax) > 0 (or nothing is noised).
 * That σ̄ is the integral of σ is the caller's promise; it is not checked.
 *
 * @param spec σ, σ̄, tMax and a name
 * @returns the schedule, with α_t = exp(−σ̄(t))
 * @throws {SdenoTypeError} when σ or σ̄ is not a function or returns a non-number
 * @throws {SdenoRangeError} naming the time where a probe fails
 *
 * @example A constant rate: σ̄(t) = 2t, α_t = e^{−2t}
 * ```ts
 * import { customDiscreteSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = customDiscreteSchedule({ sigma: () => 2, sigmaBar: (t) => 2 * t });
 * assert.ok(Math.abs(s.alpha(0.5) - Math.exp(-1)) < 1e-15);
 * assert.throws(
 *   () => customDiscreteSchedule({ sigma: () => 1, sigmaBar: (t) => 1 - t }),
 *   /sigmaBar\(0\) must be 0/,
 * );
 * ```
 */
export function customDiscreteSchedule(spec: CustomDiscreteScheduleSpec): DiscreteSchedule {
  const what = "Cannot build the discrete schedule";
  if (spec === null || typeof spec !== "object") {
    throw new SdenoTypeError(`${what}: spec must be { sigma, sigmaBar }, got ${quote(spec)}`);
  }
  const { sigma, sigmaBar } = spec;
  const tMax = spec.tMax ?? 1;
  if (typeof sigma !== "function" || typeof sigmaBar !== "function") {
    throw new SdenoTypeError(`${what}: sigma and sigmaBar must be functions of t`);
  }
  if (typeof tMax !== "number" || !(tMax > 0) || !Number.isFinite(tMax)) {
    throw new SdenoRangeError(`${what}: tMax must be a positive finite number, got ${quote(tMax)}`);
  }
  const probe = (name: string, f: (t: number) => number, t: number): number => {
    const v = f(t);
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new SdenoRangeError(`${what}: ${name}(${t}) must be a finite number, got ${quote(v)}`);
    }
    return v;
  };
  const bar0 = probe("sigmaBar", sigmaBar, 0);
  if (Math.abs(bar0) > 1e-12) {
    throw new SdenoRangeError(`${what}: sigmaBar(0) must be 0, got ${quote(bar0)}`);
  }
  let prev = bar0;
  for (let k = 0; k <= 64; k++) {
    const t = (tMax * k) / 64;
    const s = probe("sigma", sigma, t);
    if (s < 0) throw new SdenoRangeError(`${what}: sigma(${t}) must be >= 0, got ${quote(s)}`);
    const b = probe("sigmaBar", sigmaBar, t);
    if (b < prev - 1e-12) {
      throw new SdenoRangeError(
        `${what}: sigmaBar must be non-decreasing, but sigmaBar(${t}) = ${b} < ${prev}`,
      );
    }
    prev = b;
  }
  if (!(prev > 0)) {
    throw new SdenoRangeError(`${what}: sigmaBar(tMax) must be > 0, got ${quote(prev)}`);
  }
  return Object.freeze({
    name: spec.name ?? "custom",
    tMax,
    sigma,
    sigmaBar,
    alpha: (t: number) => Math.exp(-sigmaBar(t)),
  });
}
