/**
 * Reading the flashing ratchet's (V, r, b) off an estimated rate matrix.
 *
 * @module
 */

import { SdenoRangeError } from "../../kernels/errors.ts";
import type { RateMatrix } from "../../processes/rate_matrix.ts";

/**
 * (V, r, b) from a 6-state rate matrix estimated without structure (e.g. by
 * `emMjp`), by averaging the ratchet's relations
 * (processes/flashing_ratchet.ts) over the entries that carry them:
 * `V̂ = mean over the 6 on-ring pairs i ≠ j in {0,1,2} of −2 ln q̂_ij/(j − i)`,
 * `r̂ = mean of the 6 switching rates q̂_{i,i+3}, q̂_{i+3,i}`,
 * `b̂ = mean of the 6 off-ring rates q̂_ij, i ≠ j in {3,4,5}`.
 * Exact on a ratchet generator. (The OpenFIM tutorial's own read-out
 * formulas are not reproduced in ../shared/refs; these are ours.)
 *
 * @param q a 6-state generator
 * @returns `{ V, r, b }` (V is ±Infinity or NaN when an on-ring rate is 0)
 * @throws {SdenoRangeError} for a generator that is not 6×6
 *
 * @example Exact on the ratchet
 * ```ts
 * import { flashingRatchet } from "../../processes/flashing_ratchet.ts";
 * import { flashingRatchetReadout } from "./flashing_ratchet_readout.ts";
 * import assert from "node:assert/strict";
 * const p = flashingRatchetReadout(flashingRatchet({ V: 2, r: 0.5, b: 3 }));
 * assert.ok(Math.abs(p.V - 2) < 1e-14 && Math.abs(p.r - 0.5) < 1e-15 && Math.abs(p.b - 3) < 1e-15);
 * ```
 */
export function flashingRatchetReadout(q: RateMatrix): { V: number; r: number; b: number } {
  if (q?.n !== 6) {
    throw new SdenoRangeError(
      `Cannot read out (V, r, b): the generator must have 6 states, got ${q?.n}`,
    );
  }
  let V = 0, r = 0, b = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (i === j) continue;
      V += (-2 * Math.log(q.get(i, j))) / (j - i);
      b += q.get(i + 3, j + 3);
    }
    r += q.get(i, i + 3) + q.get(i + 3, i);
  }
  return { V: V / 6, r: r / 6, b: b / 6 };
}
