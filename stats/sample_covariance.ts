/**
 * Sample covariance matrix of a point-major batch.
 *
 * @module
 */

import { _checkBatch, _checkDim, _checkOptions } from "./_validate.ts";
import { covarianceRows } from "./_moments.ts";

/** Options of {@linkcode sampleCovariance}. */
export interface SampleCovarianceOptions {
  /** Dimension of the points (required). */
  d: number;
}

/**
 * Unbiased sample covariance matrix of an n×d point-major batch,
 * `C_ab = (1/(n − 1)) Σ_i (x_ia − x̄_a)(x_ib − x̄_b)` (two-pass, as numpy's
 * `cov(x, rowvar=False, ddof=1)`).
 *
 * @param x the batch, n×d point-major (n ≥ 2, finite values)
 * @param options `d`, the dimension (required)
 * @returns the d×d covariance matrix, row-major (symmetric)
 * @throws {SdenoTypeError} when the length is not a multiple of d
 * @throws {SdenoRangeError} when n < 2 or a value is non-finite
 *
 * @example Covariance of three 2-D points on a line
 * ```ts
 * import { sampleCovariance } from "./sample_covariance.ts";
 * import assert from "node:assert/strict";
 * const c = sampleCovariance([0, 0, 1, 2, 2, 4], { d: 2 });
 * assert.deepEqual(Array.from(c), [1, 2, 2, 4]);
 * ```
 */
export function sampleCovariance(
  x: ArrayLike<number>,
  options: SampleCovarianceOptions,
): Float64Array {
  const what = "Cannot compute the sample covariance";
  _checkOptions(what, options);
  const d = _checkDim(what, options.d);
  const n = _checkBatch(what, "x", x, d, 2);
  return covarianceRows(x, n, d);
}
