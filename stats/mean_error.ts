/**
 * Distance between a sample's mean and an exact mean.
 *
 * @module
 */

import { SdenoTypeError } from "../kernels/errors.ts";
import { _checkBatch, _checkDim, _checkOptions, _checkSample } from "./_validate.ts";
import { meanRows } from "./_moments.ts";

/** Options of {@linkcode meanError}. */
export interface MeanErrorOptions {
  /** Dimension of the points (required). */
  d: number;
  /** The exact mean, length d (required). */
  mean: ArrayLike<number>;
}

/**
 * Euclidean norm of the sample mean minus the exact mean,
 * `‖x̄ − m‖₂` (the `mean_err_l2` metric of the diffusion reference set).
 *
 * @param x the batch, n×d point-major (n ≥ 1)
 * @param options `d` and the exact `mean` (length d)
 * @returns `‖x̄ − m‖₂`
 * @throws {SdenoTypeError} when a length does not match d
 * @throws {SdenoRangeError} when the batch is empty or a value is non-finite
 *
 * @example A 3-4-5 triangle
 * ```ts
 * import { meanError } from "./mean_error.ts";
 * import assert from "node:assert/strict";
 * assert.equal(meanError([3, 4, 3, 4], { d: 2, mean: [0, 0] }), 5);
 * ```
 */
export function meanError(x: ArrayLike<number>, options: MeanErrorOptions): number {
  const what = "Cannot compute the mean error";
  _checkOptions(what, options);
  const d = _checkDim(what, options.d);
  const n = _checkBatch(what, "x", x, d);
  _checkSample(what, "mean", options.mean);
  if (options.mean.length !== d) {
    throw new SdenoTypeError(
      `${what}: mean must have length d = ${d}, got length ${options.mean.length}`,
    );
  }
  const m = meanRows(x, n, d);
  let ss = 0;
  for (let k = 0; k < d; k++) ss += (m[k]! - options.mean[k]!) ** 2;
  return Math.sqrt(ss);
}
