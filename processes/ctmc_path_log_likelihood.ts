/**
 * The likelihood of a fully observed CTMC path.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import type { CtmcPath } from "./ctmc_path.ts";
import type { RateMatrix } from "./rate_matrix.ts";

/**
 * Log-likelihood of a fully observed path given its start:
 * `log L = Σ_k log Q(x_{k−1}, x_k) − ∫₀^T q(X_t) dt`
 * `= Σ_k log Q(x_{k−1}, x_k) − Σ_k q(x_k)(t_{k+1} − t_k)` with `t_{K+1} = T`
 * (Billingsley, "Statistical Inference for Markov Processes", 1961; Guttorp,
 * "Stochastic Modeling of Scientific Data", 1995, §3.7). The maximum over Q
 * is `Q̂_ij = N_ij / R_i` (transition counts over holding times).
 *
 * @param q the generator
 * @param path jump times, states and the end of observation
 * @returns the log-likelihood (−Infinity if a jump has rate 0)
 * @throws {SdenoTypeError} when times and states differ in length
 * @throws {SdenoRangeError} for a state out of range or times out of order
 *
 * @example Two states, one jump 0 → 1 at t = 1, observed until T = 3
 * ```ts
 * import { RateMatrix } from "./rate_matrix.ts";
 * import { ctmcPathLogLikelihood } from "./ctmc_path_log_likelihood.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-2, 2], [1, -1]]);
 * const ll = ctmcPathLogLikelihood(q, {
 *   times: new Float64Array([0, 1]),
 *   states: new Int32Array([0, 1]),
 *   tEnd: 3,
 * });
 * assert.ok(Math.abs(ll - (Math.log(2) - 2 * 1 - 1 * 2)) < 1e-15);
 * ```
 */
export function ctmcPathLogLikelihood(q: RateMatrix, path: CtmcPath): number {
  const what = "Cannot compute the path likelihood";
  const { times, states, tEnd } = path ?? {};
  if (!times || !states || times.length !== states.length || times.length === 0) {
    throw new SdenoTypeError(
      `${what}: path.times and path.states must be non-empty and of equal length, got ${
        quote(times?.length)
      } and ${quote(states?.length)}`,
    );
  }
  let ll = 0;
  for (let k = 0; k < states.length; k++) {
    const x = states[k]!;
    if (!Number.isInteger(x) || x < 0 || x >= q.n) {
      throw new SdenoRangeError(
        `${what}: path.states[${k}] must be a state in [0, ${q.n - 1}], got ${quote(x)}`,
      );
    }
    const t0 = times[k]!;
    const t1 = k + 1 < times.length ? times[k + 1]! : tEnd;
    if (!(t1 >= t0)) {
      throw new SdenoRangeError(
        `${what}: path times must be non-decreasing and ≤ tEnd, got ${quote(t1)} after ${
          quote(t0)
        }`,
      );
    }
    if (k > 0) ll += Math.log(q.get(states[k - 1]!, x));
    ll -= q.exitRate(x) * (t1 - t0);
  }
  return ll;
}
