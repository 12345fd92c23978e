/**
 * Transition matrices `P(t) = exp(Q t)` of a CTMC.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError } from "../../kernels/errors.ts";
import type { RateMatrix } from "../../processes/rate_matrix.ts";
import { expm } from "./expm.ts";

/**
 * `P(t) = exp(Q t)`, the matrix of transition probabilities
 * `P_ij(t) = Pr(X_t = j | X_0 = i)` (Norris 1997, Thm 2.1.1), by scaling and
 * squaring with Padé approximants (Al-Mohy & Higham 2009, see
 * {@linkcode expm}). The result is not clipped or renormalised: rows sum to 1
 * and entries are ≥ 0 up to rounding (about 1e-14 here on the references).
 *
 * @param q the generator
 * @param t the time, t ≥ 0
 * @returns P(t), row-major n×n
 * @throws {SdenoRangeError} when t is negative
 *
 * @example A two-state chain: P₀₁(t) = a/(a+b)·(1 − e^{−(a+b)t})
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { transitionMatrix } from "./transition_matrix.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [3, -3]]);
 * const p = transitionMatrix(q, 0.5);
 * assert.ok(Math.abs(p[1]! - 0.25 * (1 - Math.exp(-2))) < 1e-15);
 * ```
 */
export function transitionMatrix(q: RateMatrix, t: number): Float64Array {
  const what = "Cannot compute the transition matrix";
  checkFinite(what, "t", t);
  if (t < 0) throw new SdenoRangeError(`${what}: t must be non-negative, got ${quote(t)}`);
  const a = q.toDense();
  for (let k = 0; k < a.length; k++) a[k] = a[k]! * t;
  return expm(a, { n: q.n });
}
