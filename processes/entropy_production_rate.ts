/**
 * The entropy production rate of a Markov jump process.
 *
 * @module
 */

import { checkFinite, quote, SdenoTypeError } from "../kernels/errors.ts";
import type { RateMatrix } from "./rate_matrix.ts";
import { stationaryDistribution } from "./stationary_distribution.ts";

/** Options of {@linkcode entropyProductionRate}. */
export interface EntropyProductionOptions {
  /** The distribution p (default: the stationary distribution, which must be unique). */
  distribution?: ArrayLike<number>;
}

/**
 * Schnakenberg's entropy production rate (Rev. Mod. Phys. 48, 571, 1976,
 * eq. 7.6) in units of k_B per unit time:
 * `σ(p) = ½ Σ_{i≠j} (p_i Q_ij − p_j Q_ji) ln(p_i Q_ij / (p_j Q_ji))`.
 * It is ≥ 0 and vanishes exactly under detailed balance. A one-way edge with
 * a non-zero flux gives `Infinity`.
 *
 * @param q the generator
 * @param options `distribution` (default the stationary law)
 * @returns σ(p)
 * @throws {SdenoTypeError} when the distribution has the wrong length
 *
 * @example A biased 3-cycle produces entropy; a reversible chain does not
 * ```ts
 * import { RateMatrix } from "./rate_matrix.ts";
 * import { entropyProductionRate } from "./entropy_production_rate.ts";
 * import assert from "node:assert/strict";
 * const ring = RateMatrix.fromDense([[-3, 2, 1], [1, -3, 2], [2, 1, -3]]);
 * // uniform π, current J = (2 − 1)/3 on each of 3 edges: σ = 3·(1/3)·ln 2
 * assert.ok(Math.abs(entropyProductionRate(ring) - Math.log(2)) < 1e-15);
 * const rev = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * assert.ok(Math.abs(entropyProductionRate(rev)) < 1e-16);
 * ```
 */
export function entropyProductionRate(
  q: RateMatrix,
  options: EntropyProductionOptions = {},
): number {
  const what = "Cannot compute the entropy production rate";
  const n = q.n;
  const p = options.distribution ?? stationaryDistribution(q).distribution;
  if (!p || typeof p !== "object" || p.length !== n) {
    throw new SdenoTypeError(
      `${what}: distribution must have one entry per state (${n}), got ${quote(p)}`,
    );
  }
  for (let i = 0; i < n; i++) checkFinite(what, `distribution[${i}]`, p[i]);
  let sigma = 0;
  for (let i = 0; i < n; i++) {
    for (let k = q.rowPtr[i]!; k < q.rowPtr[i + 1]!; k++) {
      const j = q.colIdx[k]!;
      if (j <= i) continue;
      const fwd = p[i]! * q.values[k]!;
      const bwd = p[j]! * q.get(j, i);
      if (fwd === bwd) continue;
      if (fwd === 0 || bwd === 0) return Infinity;
      sigma += (fwd - bwd) * Math.log(fwd / bwd);
    }
  }
  return sigma;
}
