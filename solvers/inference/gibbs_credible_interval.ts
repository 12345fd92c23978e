/**
 * Posterior summaries of MCMC samples: mean and central credible interval.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** Result of {@linkcode credibleInterval}. */
export interface CredibleInterval {
  /** Sample mean. */
  mean: number;
  /** The `(1 − level)/2` sample quantile. */
  lower: number;
  /** The `(1 + level)/2` sample quantile. */
  upper: number;
}

/**
 * The mean and the central credible interval of probability `level` of
 * posterior samples, from sample quantiles with linear interpolation
 * between order statistics (Hyndman & Fan, Am. Stat. 50, 1996, definition 7;
 * numpy's default).
 *
 * @param samples the draws (at least one; ±Infinity allowed, as for a
 *   first-passage time that may be infinite, NaN not)
 * @param level the interval's probability, in (0, 1)
 * @returns mean, lower and upper ends
 * @throws {SdenoTypeError} for a non-array or a NaN or non-number draw
 * @throws {SdenoRangeError} for no draws or a level outside (0, 1)
 *
 * @example The 50% interval of 0 … 100
 * ```ts
 * import { credibleInterval } from "./gibbs_credible_interval.ts";
 * import assert from "node:assert/strict";
 * const ci = credibleInterval(Array.from({ length: 101 }, (_, i) => i), 0.5);
 * assert.deepEqual(ci, { mean: 50, lower: 25, upper: 75 });
 * ```
 */
export function credibleInterval(samples: ArrayLike<number>, level: number): CredibleInterval {
  const what = "Cannot compute a credible interval";
  if (samples === null || typeof samples !== "object" || typeof samples.length !== "number") {
    throw new SdenoTypeError(`${what}: samples must be an array of numbers, got ${quote(samples)}`);
  }
  if (samples.length === 0) throw new SdenoRangeError(`${what}: samples must not be empty`);
  checkFinite(what, "level", level);
  if (!(level > 0 && level < 1)) {
    throw new SdenoRangeError(`${what}: level must be in (0, 1), got ${quote(level)}`);
  }
  const sorted = new Float64Array(samples.length);
  let mean = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    if (typeof v !== "number" || Number.isNaN(v)) {
      throw new SdenoTypeError(`${what}: samples[${i}] must be a number, got ${quote(v)}`);
    }
    sorted[i] = v;
    mean += sorted[i]!;
  }
  sorted.sort();
  const quantile = (p: number) => {
    const h = (sorted.length - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, sorted.length - 1);
    if (h === lo || sorted[hi] === sorted[lo]) return sorted[lo]!;
    return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
  };
  return {
    mean: mean / samples.length,
    lower: quantile((1 - level) / 2),
    upper: quantile((1 + level) / 2),
  };
}
