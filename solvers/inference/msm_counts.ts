/**
 * Sufficient statistics of fully observed CTMC trajectories: jump counts
 * and dwell times, the input of the continuous-time Markov state model
 * estimators.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { CtmcPath } from "../../processes/ctmc_path.ts";

/** Jump counts and dwell times of fully observed paths on states 0 … n−1. */
export interface MsmCounts {
  /** Number of states. */
  n: number;
  /** `N_ij`, the number of jumps i → j (row-major n×n, zero diagonal). */
  jumps: Float64Array;
  /** `T_i`, the total time spent in state i. */
  dwell: Float64Array;
  /** How many paths start in each state. */
  initial: Float64Array;
}

/**
 * Counts the jumps `N_ij` and dwell times `T_i` of fully observed paths:
 * with them the log-likelihood of a generator Q is
 * `Σ_{i≠j} N_ij log q_ij − Σ_i T_i q_i` (q_i the exit rate; Billingsley,
 * "Statistical Inference for Markov Processes", 1961, §6; Norris 1997,
 * §4.5). A repeated state (a path whose state does not change at a listed
 * time) adds dwell time but no jump.
 *
 * @param paths the paths (`times` strictly increasing, `times[k] < tEnd`)
 * @param n the number of states
 * @returns the counts
 * @throws {SdenoTypeError} when a path is malformed (lengths, types)
 * @throws {SdenoRangeError} for a state out of range, non-increasing times or an end before the last time
 *
 * @example Two jumps and three dwell times
 * ```ts
 * import { msmCounts } from "./msm_counts.ts";
 * import assert from "node:assert/strict";
 * const c = msmCounts([{
 *   times: new Float64Array([0, 1, 1.5]),
 *   states: new Int32Array([0, 1, 0]),
 *   tEnd: 3,
 * }], 2);
 * assert.deepEqual([...c.jumps], [0, 1, 1, 0]);
 * assert.deepEqual([...c.dwell], [2.5, 0.5]);
 * ```
 */
export function msmCounts(paths: readonly CtmcPath[], n: number): MsmCounts {
  const what = "Cannot count the jumps of the paths";
  checkInteger(what, "n", n, 1);
  if (!Array.isArray(paths)) {
    throw new SdenoTypeError(`${what}: paths must be an array of paths, got ${quote(paths)}`);
  }
  if (paths.length === 0) throw new SdenoRangeError(`${what}: paths must not be empty`);
  const jumps = new Float64Array(n * n);
  const dwell = new Float64Array(n);
  const initial = new Float64Array(n);
  paths.forEach((p, k) => {
    if (p === null || typeof p !== "object" || !p.times || !p.states) {
      throw new SdenoTypeError(`${what}: paths[${k}] must be { times, states, tEnd }`);
    }
    const { times, states, tEnd } = p;
    const m = times.length;
    if (m === 0 || states.length !== m) {
      throw new SdenoTypeError(
        `${what}: paths[${k}] needs as many states as times (at least one), got ${m} times and ${states.length} states`,
      );
    }
    for (let l = 0; l < m; l++) {
      const s = states[l]!;
      if (!Number.isInteger(s) || s < 0 || s >= n) {
        throw new SdenoRangeError(
          `${what}: paths[${k}].states[${l}] must be a state in [0, ${n - 1}], got ${quote(s)}`,
        );
      }
      const t = times[l]!;
      if (!Number.isFinite(t) || (l > 0 && !(t > times[l - 1]!))) {
        throw new SdenoRangeError(
          `${what}: paths[${k}].times must be finite and strictly increasing, got ${
            quote(t)
          } at index ${l}`,
        );
      }
    }
    if (!(tEnd >= times[m - 1]!)) {
      throw new SdenoRangeError(
        `${what}: paths[${k}].tEnd must be at least its last time ${times[m - 1]}, got ${
          quote(tEnd)
        }`,
      );
    }
    initial[states[0]!]!++;
    for (let l = 0; l < m; l++) {
      const s = states[l]!;
      const next = l + 1 < m ? times[l + 1]! : tEnd;
      dwell[s]! += next - times[l]!;
      if (l + 1 < m && states[l + 1] !== s) jumps[s * n + states[l + 1]!]!++;
    }
  });
  return { n, jumps, dwell, initial };
}
