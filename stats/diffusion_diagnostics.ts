/**
 * Statistics for diffusion-sampler diagnostics: the area under the ROC
 * curve of a score separating two groups of samples, as the Mann–Whitney U
 * statistic (e.g. the x̂₀-trajectory variance separating hallucinated
 * samples from samples at modes, Aithal et al. 2406.09358, §5).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

/** What {@linkcode mannWhitneyAuc} returns. */
export interface AucResult {
  /** AUC = U/(n₊ n₋) = P(score₊ > score₋) + ½ P(score₊ = score₋). */
  auc: number;
  /** The Mann–Whitney U of the positives (ties count ½). */
  u: number;
  /**
   * Standard error of the AUC (Hanley & McNeil 1982, eq. 2, with
   * Q₁ = A/(2 − A), Q₂ = 2A²/(1 + A)).
   */
  se: number;
  /** Number of positives. */
  nPositive: number;
  /** Number of negatives. */
  nNegative: number;
}

/**
 * The AUC of a score that should be larger for `positives` than for
 * `negatives`, computed from mid-ranks of the pooled sample (Mann & Whitney
 * 1947: U = R₊ − n₊(n₊ + 1)/2, R₊ the positives' rank sum), O(N log N).
 *
 * @param positives scores of the positive group (finite, at least one)
 * @param negatives scores of the negative group (finite, at least one)
 * @returns AUC, U, the Hanley–McNeil standard error and the group sizes
 * @throws {SdenoTypeError} when a group is not an array of numbers
 * @throws {SdenoRangeError} when a group is empty or holds a non-finite score
 *
 * @example Perfect separation is 1, complete ties ½
 * ```ts
 * import { mannWhitneyAuc } from "./diffusion_diagnostics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mannWhitneyAuc([3, 4], [1, 2]).auc, 1);
 * assert.equal(mannWhitneyAuc([1, 1], [1]).auc, 0.5);
 * assert.equal(mannWhitneyAuc([2, 0], [1]).auc, 0.5);
 * ```
 */
export function mannWhitneyAuc(
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
): AucResult {
  const what = "Cannot compute the AUC";
  const np = checkScores(what, "positives", positives);
  const nn = checkScores(what, "negatives", negatives);
  const n = np + nn;
  const idx = Array.from({ length: n }, (_, i) => i);
  const val = (i: number) => (i < np ? positives[i]! : negatives[i - np]!);
  idx.sort((a, b) => val(a) - val(b));
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && val(idx[j + 1]!) === val(idx[i]!)) j++;
    const mid = (i + j) / 2 + 1; // mid-rank of the tie group (ranks from 1)
    for (let k = i; k <= j; k++) if (idx[k]! < np) rankSum += mid;
    i = j + 1;
  }
  const u = rankSum - np * (np + 1) / 2;
  const a = u / (np * nn);
  const q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
  const v = (a * (1 - a) + (np - 1) * (q1 - a * a) + (nn - 1) * (q2 - a * a)) / (np * nn);
  return { auc: a, u, se: Math.sqrt(Math.max(0, v)), nPositive: np, nNegative: nn };
}

function checkScores(what: string, name: string, x: ArrayLike<number>): number {
  if (x === null || typeof x !== "object" || typeof x.length !== "number") {
    throw new SdenoTypeError(`${what}: ${name} must be an array of numbers, got ${quote(x)}`);
  }
  if (x.length === 0) throw new SdenoRangeError(`${what}: ${name} must not be empty`);
  for (let i = 0; i < x.length; i++) {
    if (typeof x[i] !== "number" || !Number.isFinite(x[i])) {
      throw new SdenoRangeError(
        `${what}: ${name}[${i}] must be a finite number, got ${quote(x[i])}`,
      );
    }
  }
  return x.length;
}
