/**
 * The z-score of an estimate.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError } from "../kernels/errors.ts";
import { _checkOptions } from "./_validate.ts";

/** Options of {@linkcode zScore}. */
export interface ZScoreOptions {
  /** Standard error of the estimate (required, > 0). */
  standardError: number;
}

/**
 * `z = (estimate − expected) / standardError`: how many standard errors an
 * estimate lies from its expected value. Statistical tests in sdeno assert
 * `|z| < 4` (two-sided probability ≈ 6e-5 under normality).
 *
 * @param estimate the estimate
 * @param expected the exact value it estimates
 * @param options `standardError` of the estimate (positive)
 * @returns the z-score
 * @throws {SdenoTypeError} when an argument is not a finite number
 * @throws {SdenoRangeError} when the standard error is not positive
 *
 * @example A sample mean two standard errors high
 * ```ts
 * import { zScore } from "./z_score.ts";
 * import assert from "node:assert/strict";
 * assert.equal(zScore(1.2, 1, { standardError: 0.1 }), 1.9999999999999996);
 * assert.ok(Math.abs(zScore(1.2, 1, { standardError: 0.1 })) < 4);
 * ```
 */
export function zScore(estimate: number, expected: number, options: ZScoreOptions): number {
  const what = "Cannot compute a z-score";
  checkFinite(what, "estimate", estimate);
  checkFinite(what, "expected", expected);
  _checkOptions(what, options);
  const se = checkFinite(what, "standardError", options.standardError);
  if (!(se > 0)) {
    throw new SdenoRangeError(`${what}: standardError must be positive, got ${quote(se)}`);
  }
  return (estimate - expected) / se;
}
