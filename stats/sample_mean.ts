/**
 * Per-column sample mean of a point-major batch.
 *
 * @module
 */

import { _checkBatch, _checkDim, _checkOptions } from "./_validate.ts";
import { meanRows } from "./_moments.ts";

/** Options of {@linkcode sampleMean}. */
export interface SampleMeanOptions {
  /** Dimension of the points (required). */
  d: number;
}

/**
 * Sample mean of each column of an n×d point-major batch,
 * `x̄_k = (1/n) Σ_i x_{ik}`.
 *
 * @param x the batch, n×d point-major (n ≥ 1, finite values)
 * @param options `d`, the dimension (required)
 * @returns the d column means
 * @throws {SdenoTypeError} when the length is not a multiple of d
 * @throws {SdenoRangeError} when the batch is empty or holds a non-finite value
 *
 * @example Mean of three 2-D points
 * ```ts
 * import { sampleMean } from "./sample_mean.ts";
 * import assert from "node:assert/strict";
 * const m = sampleMean([0, 1, 2, 3, 4, 5], { d: 2 });
 * assert.deepEqual(Array.from(m), [2, 3]);
 * ```
 */
export function sampleMean(x: ArrayLike<number>, options: SampleMeanOptions): Float64Array {
  const what = "Cannot compute the sample mean";
  _checkOptions(what, options);
  const d = _checkDim(what, options.d);
  const n = _checkBatch(what, "x", x, d);
  return meanRows(x, n, d);
}
