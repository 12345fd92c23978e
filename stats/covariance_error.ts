/**
 * Distance between a sample's covariance and an exact covariance.
 *
 * @module
 */

import { SdenoTypeError } from "../kernels/errors.ts";
import { _checkBatch, _checkDim, _checkOptions, _checkSample } from "./_validate.ts";
import { covarianceRows } from "./_moments.ts";

/** Options of {@linkcode covarianceError}. */
export interface CovarianceErrorOptions {
  /** Dimension of the points (required). */
  d: number;
  /** The exact covariance, d×d row-major (required). */
  cov: ArrayLike<number>;
}

/**
 * Frobenius norm of the unbiased sample covariance (n − 1 denominator) minus
 * the exact covariance, `‖Ĉ − C‖_F` (the `cov_err_fro` metric of the
 * diffusion reference set).
 *
 * @param x the batch, n×d point-major (n ≥ 2)
 * @param options `d` and the exact `cov` (d×d, row-major)
 * @returns `‖Ĉ − C‖_F`
 * @throws {SdenoTypeError} when a length does not match d
 * @throws {SdenoRangeError} when n < 2 or a value is non-finite
 *
 * @example Sample covariance of a line against the identity
 * ```ts
 * import { covarianceError } from "./covariance_error.ts";
 * import assert from "node:assert/strict";
 * // sample covariance [[1, 2], [2, 4]] minus identity = [[0, 2], [2, 3]]
 * const e = covarianceError([0, 0, 1, 2, 2, 4], { d: 2, cov: [1, 0, 0, 1] });
 * assert.equal(e, Math.sqrt(4 + 4 + 9));
 * ```
 */
export function covarianceError(x: ArrayLike<number>, options: CovarianceErrorOptions): number {
  const what = "Cannot compute the covariance error";
  _checkOptions(what, options);
  const d = _checkDim(what, options.d);
  const n = _checkBatch(what, "x", x, d, 2);
  _checkSample(what, "cov", options.cov);
  if (options.cov.length !== d * d) {
    throw new SdenoTypeError(
      `${what}: cov must have length d·d = ${d * d}, got length ${options.cov.length}`,
    );
  }
  const c = covarianceRows(x, n, d);
  let ss = 0;
  for (let k = 0; k < d * d; k++) ss += (c[k]! - options.cov[k]!) ** 2;
  return Math.sqrt(ss);
}
