/**
 * Enumerating short sequences: a sequence z of length L over S states has
 * the lexicographic index `Σ_k z_k·S^{L−1−k}` (first position most
 * significant), the ordering of the tiny exact benchmark. Only for small
 * `S^L` (the exact marginals, models and kernels enumerate the whole space).
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";

/** The largest sequence space the exact tools enumerate (S^L ≤ 2^20). */
export const MAX_ENUMERATED_SEQUENCES = 2 ** 20;

/**
 * `S^L`, checked against {@linkcode MAX_ENUMERATED_SEQUENCES}.
 *
 * @param states S, states per token
 * @param length L, the sequence length
 * @returns the number of sequences
 * @throws {SdenoRangeError} when the space is too large to enumerate
 *
 * @example
 * ```ts
 * import { sequenceCount } from "./sequence_space.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sequenceCount(3, 4), 81);
 * assert.throws(() => sequenceCount(50, 8), /too many sequences/);
 * ```
 */
export function sequenceCount(states: number, length: number): number {
  const what = "Cannot enumerate sequences";
  checkInteger(what, "states", states, 1);
  checkInteger(what, "length", length, 1);
  const n = states ** length;
  if (n > MAX_ENUMERATED_SEQUENCES) {
    throw new SdenoRangeError(
      `${what}: ${states}^${length} = ${n} is too many sequences (at most ${MAX_ENUMERATED_SEQUENCES})`,
    );
  }
  return n;
}

/**
 * Every sequence of length L over S states, in lexicographic order, as one
 * flat Int32Array (row j is the sequence of index j).
 *
 * @param states S
 * @param length L
 * @returns `S^L × L` symbols
 *
 * @example
 * ```ts
 * import { allSequences } from "./sequence_space.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...allSequences(2, 2)], [0, 0, 0, 1, 1, 0, 1, 1]);
 * ```
 */
export function allSequences(states: number, length: number): Int32Array {
  const n = sequenceCount(states, length);
  const out = new Int32Array(n * length);
  for (let j = 0; j < n; j++) {
    let r = j;
    for (let k = length - 1; k >= 0; k--) {
      out[j * length + k] = r % states;
      r = Math.floor(r / states);
    }
  }
  return out;
}

/**
 * The lexicographic index of the sequence `z[offset … offset+L)`.
 *
 * @param z the symbols
 * @param offset where the sequence starts
 * @param length L
 * @param states S
 * @returns the index
 * @throws {SdenoRangeError} for a symbol outside [0, S)
 *
 * @example
 * ```ts
 * import { sequenceIndex } from "./sequence_space.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sequenceIndex(Int32Array.of(1, 0, 2), 0, 3, 3), 11);
 * ```
 */
export function sequenceIndex(
  z: ArrayLike<number>,
  offset: number,
  length: number,
  states: number,
): number {
  let j = 0;
  for (let k = 0; k < length; k++) {
    const c = z[offset + k]!;
    if (!(c >= 0 && c < states)) {
      throw new SdenoRangeError(
        `Cannot index a sequence: symbol ${quote(c)} at position ${k} is outside [0, ${states})`,
      );
    }
    j = j * states + c;
  }
  return j;
}
