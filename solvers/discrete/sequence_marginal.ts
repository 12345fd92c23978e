/**
 * Exact laws of whole sequences under a per-token forward process, by
 * enumeration (small alphabets and lengths only): the marginal `p_t` of a
 * sequence given the data law `p_0`, and the exact joint reverse kernel
 * `p(z_s | z_t) = p_s(z_s)·Π_k P_{s→t}(z_s^k → z_t^k) / p_t(z_t)`.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { DiscreteProcess } from "./discrete_process.ts";
import { tokenTransition } from "./discrete_process.ts";
import { sequenceCount } from "./sequence_space.ts";
import { applyAlongAxis, topRows } from "./_token_tensor.ts";

/**
 * Checks a data law over `V^L` sequences: the right length, finite,
 * non-negative, summing to 1 within 1e-9.
 *
 * @param what the error prefix
 * @param process the forward process (gives V)
 * @param p0 the probabilities in lexicographic order
 * @param length L
 * @throws {SdenoTypeError} for a wrong length or a non-number
 * @throws {SdenoRangeError} for a negative entry or a sum other than 1
 *
 * @example
 * ```ts
 * import { checkDataLaw } from "./sequence_marginal.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = maskedProcess(2, logLinearSchedule());
 * checkDataLaw("Cannot", p, Float64Array.of(0.5, 0.5), 1);
 * assert.throws(() => checkDataLaw("Cannot", p, Float64Array.of(0.5, 0.6), 1), /sum to 1/);
 * ```
 */
export function checkDataLaw(
  what: string,
  process: DiscreteProcess,
  p0: Float64Array,
  length: number,
): void {
  const n = sequenceCount(process.vocabSize, length);
  if (!(p0 instanceof Float64Array) || p0.length !== n) {
    throw new SdenoTypeError(
      `${what}: p0 must be a Float64Array of ${n} = ${process.vocabSize}^${length} probabilities, got ${
        p0 instanceof Float64Array ? `length ${p0.length}` : quote(p0)
      }`,
    );
  }
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const v = p0[j]!;
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new SdenoRangeError(
        `${what}: p0[${j}] must be a finite probability >= 0, got ${quote(v)}`,
      );
    }
    sum += v;
  }
  if (Math.abs(sum - 1) > 1e-9) {
    throw new SdenoRangeError(`${what}: p0 must sum to 1, got ${quote(sum)}`);
  }
}

/**
 * The exact marginal `p_t` over all `S^L` noisy sequences (lexicographic,
 * S = process.states) when the data follow `p0` over `V^L`: `p0` pushed
 * through `P_{0→t}` on every position.
 *
 * @param process the forward process
 * @param p0 the data law over `V^L` sequences
 * @param length L
 * @param t the time, in [0, tMax]
 * @returns `p_t`, length `S^L`
 *
 * @example At t = 0 the masked marginal is p0 on the unmasked sequences
 * ```ts
 * import { sequenceMarginal } from "./sequence_marginal.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = maskedProcess(1, logLinearSchedule({ eps: 0.5 }));
 * // one symbol, L = 2: at t = 1 each token is masked with probability 1/2
 * assert.deepEqual([...sequenceMarginal(p, Float64Array.of(1), 2, 1)], [0.25, 0.25, 0.25, 0.25]);
 * ```
 */
export function sequenceMarginal(
  process: DiscreteProcess,
  p0: Float64Array,
  length: number,
  t: number,
): Float64Array {
  const what = "Cannot compute the sequence marginal";
  checkDataLaw(what, process, p0, length);
  sequenceCount(process.states, length);
  checkTime(what, "t", t);
  const S = process.states, V = process.vocabSize;
  const M = topRows(tokenTransition(process, 0, t), V, S);
  const dims = new Array<number>(length).fill(V);
  let p: Float64Array = p0;
  for (let k = 0; k < length; k++) p = applyAlongAxis(p, dims, k, M, S);
  return p;
}

/**
 * The exact joint reverse kernel `p(z_s | z_t)` for `s < t`: an `N × N`
 * row-major matrix over the `N = S^L` noisy sequences (row z_t, column z_s).
 * A row whose `z_t` has probability 0 keeps z_t (it is never visited).
 *
 * @param process the forward process
 * @param p0 the data law over `V^L` sequences
 * @param length L
 * @param t the later (noisier) time
 * @param s the earlier time, `0 ≤ s < t`
 * @returns the kernel
 * @throws {SdenoRangeError} unless `0 ≤ s < t`
 *
 * @example Rows sum to 1
 * ```ts
 * import { exactReverseKernel } from "./sequence_marginal.ts";
 * import { uniformProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = uniformProcess(2, logLinearSchedule());
 * const K = exactReverseKernel(p, Float64Array.of(0.1, 0.2, 0.3, 0.4), 2, 0.6, 0.4);
 * for (let r = 0; r < 4; r++) {
 *   const row = K.subarray(4 * r, 4 * r + 4).reduce((a, b) => a + b, 0);
 *   assert.ok(Math.abs(row - 1) < 1e-12);
 * }
 * ```
 */
export function exactReverseKernel(
  process: DiscreteProcess,
  p0: Float64Array,
  length: number,
  t: number,
  s: number,
): Float64Array {
  const what = "Cannot compute the exact reverse kernel";
  checkTime(what, "t", t);
  checkTime(what, "s", s);
  if (!(s < t)) {
    throw new SdenoRangeError(`${what}: need s < t, got s = ${quote(s)}, t = ${quote(t)}`);
  }
  const ps = sequenceMarginal(process, p0, length, s);
  const pt = sequenceMarginal(process, p0, length, t);
  const S = process.states;
  const N = ps.length;
  const P = tokenTransition(process, s, t);
  const K = new Float64Array(N * N);
  const digits = (j: number, out: Int32Array) => {
    for (let k = length - 1; k >= 0; k--) {
      out[k] = j % S;
      j = Math.floor(j / S);
    }
  };
  const zt = new Int32Array(length), zs = new Int32Array(length);
  for (let a = 0; a < N; a++) {
    if (!(pt[a]! > 0)) {
      K[a * N + a] = 1;
      continue;
    }
    digits(a, zt);
    for (let b = 0; b < N; b++) {
      if (ps[b] === 0) continue;
      digits(b, zs);
      let w = ps[b]! / pt[a]!;
      for (let k = 0; k < length && w !== 0; k++) w *= P[zs[k]! * S + zt[k]!]!;
      K[a * N + b] = w;
    }
  }
  return K;
}

function checkTime(what: string, name: string, t: number): void {
  if (typeof t !== "number" || !(t >= 0) || !Number.isFinite(t)) {
    throw new SdenoRangeError(`${what}: ${name} must be a finite time >= 0, got ${quote(t)}`);
  }
}
