/**
 * The discrete flashing ratchet, a 6-state Markov jump process used as a
 * benchmark for inference of jump processes.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { RateMatrix } from "./rate_matrix.ts";

/** Parameters of {@linkcode flashingRatchet}. */
export interface FlashingRatchetParameters {
  /** Potential height V (in k_B T). */
  V: number;
  /** Switching rate r between the on and off copies of a site. */
  r: number;
  /** Hopping rate b between the sites when the potential is off. */
  b: number;
}

/**
 * The generator of the discrete flashing ratchet (Roldán & Parrondo, PRL
 * 105, 150607, 2010; as parameterised in Seifner & Sanchez, ICML 2023 and
 * Berghaus et al., NeurIPS 2024, §4.1): states 0, 1, 2 are the sites of a
 * ring with the potential on, 3, 4, 5 the same sites with it off. With
 * k_B T = 1: `Q[i][j] = exp(−V (j − i)/2)` for i ≠ j in {0, 1, 2};
 * `Q[i][j] = b` for i ≠ j in {3, 4, 5}; `Q[i][i+3] = Q[i+3][i] = r`.
 *
 * @param params `{ V, r, b }`, with r, b ≥ 0
 * @returns the 6-state generator
 * @throws {SdenoRangeError} for a negative rate
 *
 * @example V = r = b = 1
 * ```ts
 * import { flashingRatchet } from "./flashing_ratchet.ts";
 * import assert from "node:assert/strict";
 * const q = flashingRatchet({ V: 1, r: 1, b: 1 });
 * assert.equal(q.get(1, 0), Math.exp(0.5));
 * assert.equal(q.get(4, 1), 1);
 * ```
 */
export function flashingRatchet(params: FlashingRatchetParameters): RateMatrix {
  const what = "Cannot build the flashing ratchet";
  if (params === null || typeof params !== "object") {
    throw new SdenoTypeError(`${what}: params must be { V, r, b }, got ${quote(params)}`);
  }
  const V = checkFinite(what, "V", params.V);
  const r = checkFinite(what, "r", params.r);
  const b = checkFinite(what, "b", params.b);
  if (r < 0) throw new SdenoRangeError(`${what}: r must be non-negative, got ${quote(r)}`);
  if (b < 0) throw new SdenoRangeError(`${what}: b must be non-negative, got ${quote(b)}`);
  const rates: [number, number, number][] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (i === j) continue;
      rates.push([i, j, Math.exp((-V * (j - i)) / 2)]);
      rates.push([i + 3, j + 3, b]);
    }
    rates.push([i, i + 3, r], [i + 3, i, r]);
  }
  return RateMatrix.fromRates(6, rates);
}
