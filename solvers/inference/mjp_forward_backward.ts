/**
 * The forward filter and smoother of a Markov jump process seen at discrete
 * times through a noise model (a continuous-time hidden Markov model).
 *
 * @module
 */

import type { RateMatrix } from "../../processes/rate_matrix.ts";
import { _emissionTable, _PassScratch, _pathPass } from "./_hmm_pass.ts";
import { _checkData, _checkDistribution, _checkGenerator, _checkOptions } from "./_inputs.ts";
import { _propagator } from "./_propagator.ts";
import type { EmissionModel, MjpPathObservations } from "./observations.ts";

/** Options of {@linkcode mjpForwardBackward}. */
export interface MjpForwardBackwardOptions {
  /** Law of the state at the first observation time, π₀. */
  initial: ArrayLike<number>;
  /** The (known) noise model. */
  emission: EmissionModel;
}

/** Result of {@linkcode mjpForwardBackward}. */
export interface MjpForwardBackwardResult {
  /** log p(y₁, …, y_L). */
  logLikelihood: number;
  /** Smoothed posteriors γ_k(i) = P(x(t_k) = i | y), row-major L×n. */
  posteriors: Float64Array;
  /** ξ_k(a, b) = P(x(t_k) = a, x(t_{k+1}) = b | y), (L−1)×n×n. */
  pairwise: Float64Array;
  /** Filtered laws P(x(t_k) = i | y₁ … y_k), row-major L×n. */
  filtered: Float64Array;
}

/**
 * Scaled forward–backward (Rabiner 1989, §V.A) over one path's observation
 * times with `P(Δ) = exp(QΔ)` (computed from one eigen-decomposition of Q
 * when its eigenvector basis is well conditioned, by `expm` otherwise, cached
 * per distinct Δ). Returns the log-likelihood, the smoothed and filtered
 * laws and the pairwise posteriors ξ_k.
 *
 * @param q the generator
 * @param path the path's observation times and values
 * @param options `initial` (π₀ at the first observation) and `emission`
 * @returns log-likelihood, posteriors, pairwise posteriors and filtered laws
 * @throws {SdenoTypeError} | {SdenoRangeError} for bad input (see `checkMjpObservations`)
 *
 * @example Exact labels pin the posterior
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { exactEmission } from "./observations.ts";
 * import { mjpForwardBackward } from "./mjp_forward_backward.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [1, -1]]);
 * const path = { times: new Float64Array([0, 1]), values: new Float64Array([0, 1]) };
 * const r = mjpForwardBackward(q, path, { initial: [0.5, 0.5], emission: exactEmission(2) });
 * // p = ½ · P₀₁(1) = ½ · (1 − e⁻²)/2
 * assert.ok(Math.abs(r.logLikelihood - Math.log((1 - Math.exp(-2)) / 4)) < 1e-14);
 * assert.ok(Math.abs(r.pairwise[1]! - 1) < 1e-14);
 * ```
 */
export function mjpForwardBackward(
  q: RateMatrix,
  path: MjpPathObservations,
  options: MjpForwardBackwardOptions,
): MjpForwardBackwardResult {
  const what = "Cannot run the MJP forward-backward";
  _checkOptions(what, options);
  const n = q?.n;
  _checkGenerator(what, q, n);
  _checkData(what, { n, paths: [path] }, options.emission);
  const pi0 = _checkDistribution(what, "initial", options.initial, n);
  const L = path.times.length;
  const scratch = new _PassScratch(n, L);
  const prop = _propagator(q.toDense(), n);
  const posteriors = new Float64Array(L * n);
  const pairwise = new Float64Array(Math.max(L - 1, 0) * n * n);
  const logLikelihood = _pathPass(
    prop,
    pi0,
    _emissionTable(options.emission, path),
    path.times,
    scratch,
    {
      posteriors,
      pairwise,
    },
  );
  return { logLikelihood, posteriors, pairwise, filtered: scratch.alpha.slice(0, L * n) };
}
