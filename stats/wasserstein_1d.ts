/**
 * Exact Wasserstein-p distance between two one-dimensional empirical
 * distributions.
 *
 * @module
 */

import { _checkOptions, _checkSample } from "./_validate.ts";
import { checkOrder, rootP, wassersteinPowSorted } from "./_wasserstein.ts";

/** Options of {@linkcode wasserstein1d}. */
export interface Wasserstein1dOptions {
  /** The order p ≥ 1 (default 2). */
  p?: number;
}

/**
 * Exact Wasserstein-p distance between the empirical distributions of two
 * one-dimensional samples (of any sizes), through the quantile coupling
 * `W_p^p = ∫₀¹ |F⁻¹(u) − G⁻¹(u)|^p du` (Villani 2009, Remark 2.19). The
 * samples need not be sorted; they are not modified.
 *
 * @param x first sample (at least one finite value)
 * @param y second sample (at least one finite value)
 * @param options `p`, the order (≥ 1, default 2)
 * @returns `W_p(x, y)`
 * @throws {SdenoTypeError} when a sample is not an array of numbers
 * @throws {SdenoRangeError} when a sample is empty or holds a non-finite value, or `p < 1`
 *
 * @example Two point masses are |a − b| apart
 * ```ts
 * import { wasserstein1d } from "./wasserstein_1d.ts";
 * import assert from "node:assert/strict";
 * assert.equal(wasserstein1d([1, 1, 1], [4, 4]), 3);
 * // {0, 1} vs {0}: half the mass moves by 1, so W1 = 0.5 and W2 = sqrt(0.5)
 * assert.equal(wasserstein1d([0, 1], [0], { p: 1 }), 0.5);
 * assert.equal(wasserstein1d([1, 0], [0]), Math.sqrt(0.5));
 * ```
 */
export function wasserstein1d(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: Wasserstein1dOptions = {},
): number {
  const what = "Cannot compute the 1-D Wasserstein distance";
  _checkOptions(what, options);
  _checkSample(what, "x", x);
  _checkSample(what, "y", y);
  const p = checkOrder(what, options.p ?? 2);
  const a = Float64Array.from(x).sort();
  const b = Float64Array.from(y).sort();
  return rootP(wassersteinPowSorted(a, b, p), p);
}
