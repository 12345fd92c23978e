/**
 * Sample paths of a CTMC, by the direct method or by uniformization.
 *
 * @module
 */

import { checkFinite, checkInteger, quote, SdenoRangeError } from "../kernels/errors.ts";
import { checkKey, type Key } from "../kernels/philox.ts";
import { _UniformStream } from "./_uniform_stream.ts";
import type { RateMatrix } from "./rate_matrix.ts";
import { PHILOX_PURPOSES } from "../kernels/purposes.ts";

/** A fully observed path on [0, tEnd]: the state `states[k]` holds on `[times[k], times[k+1])`. */
export interface CtmcPath {
  /** Jump times, `times[0] = 0`, strictly increasing, all < tEnd. */
  times: Float64Array;
  /** State entered at each time. */
  states: Int32Array;
  /** End of the observation window. */
  tEnd: number;
}

/** Options of {@linkcode sampleCtmcPath}. */
export interface SampleCtmcPathOptions {
  /** Initial state. */
  initial: number;
  /** End time, > 0. */
  tEnd: number;
  /** Philox key. */
  key: Key;
  /** Path index: the counter's first word, so path i is the same in any batch (default 0). */
  path?: number;
  /**
   * `direct` (default): exponential holding times with rate q_i, then a
   * jump i → j with probability Q_ij/q_i (Gillespie 1977). `uniformization`:
   * a Poisson(Λ) clock, Λ = max_i q_i, with moves by `P = I + Q/Λ`
   * (self-loops are not recorded) (Jensen 1953; Rao & Teh, JMLR 14, 2013).
   */
  method?: "direct" | "uniformization";
}

/**
 * Samples one path of the chain on [0, tEnd]. Uniform k of the path is
 * lane k mod 4 of the Philox block with counter
 * `(path, ⌊k/4⌋, PHILOX_PURPOSES.ctmcPath, 0)`.
 *
 * @param q the generator
 * @param options `initial`, `tEnd`, `key`, `path`, `method`
 * @returns the jump times and states
 * @throws {SdenoRangeError} for tEnd ≤ 0 or an initial state out of range
 *
 * @example An absorbing state stops the path
 * ```ts
 * import { RateMatrix } from "./rate_matrix.ts";
 * import { sampleCtmcPath } from "./ctmc_path.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [0, 0]]);
 * const p = sampleCtmcPath(q, { initial: 0, tEnd: 100, key: { seed: 1, stream: 0 } });
 * assert.deepEqual([...p.states], [0, 1]);
 * ```
 */
export function sampleCtmcPath(q: RateMatrix, options: SampleCtmcPathOptions): CtmcPath {
  const what = "Cannot sample a CTMC path";
  const n = q.n;
  const x0 = checkInteger(what, "initial", options?.initial, 0, n - 1);
  const tEnd = checkFinite(what, "tEnd", options.tEnd);
  if (!(tEnd > 0)) throw new SdenoRangeError(`${what}: tEnd must be positive, got ${quote(tEnd)}`);
  checkKey(what, options.key);
  const path = checkInteger(what, "path", options.path ?? 0, 0, 0xffffffff);
  const method = options.method ?? "direct";
  if (method !== "direct" && method !== "uniformization") {
    throw new SdenoRangeError(
      `${what}: method must be "direct" or "uniformization", got ${quote(method)}`,
    );
  }
  const u = new _UniformStream(options.key, path, PHILOX_PURPOSES.ctmcPath);
  const times: number[] = [0];
  const states: number[] = [x0];
  const { rowPtr, colIdx, values, exitRates } = q;
  let x = x0;
  let t = 0;
  const lambda = q.maxExitRate;
  for (;;) {
    const rate = method === "direct" ? exitRates[x]! : lambda;
    if (!(rate > 0)) break;
    t += -Math.log(u.next()) / rate;
    if (t >= tEnd) break;
    // target in (0, rate): first j whose cumulative off-diagonal rate exceeds it
    const target = u.next() * rate;
    let acc = 0;
    let next = x;
    for (let p = rowPtr[x]!; p < rowPtr[x + 1]!; p++) {
      const j = colIdx[p]!;
      if (j === x || !(values[p]! > 0)) continue;
      acc += values[p]!;
      next = j;
      if (target < acc) break;
    }
    if (method === "uniformization" && target >= acc) continue; // self-loop of P
    x = next;
    times.push(t);
    states.push(x);
  }
  return { times: Float64Array.from(times), states: Int32Array.from(states), tEnd };
}
