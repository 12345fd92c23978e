/**
 * The likelihood of Markov jump process paths observed at discrete times
 * through a noise model, and its gradient.
 *
 * @module
 */

import type { RateMatrix } from "../../processes/rate_matrix.ts";
import { _checkData, _checkDistribution, _checkGenerator, _checkOptions } from "./_inputs.ts";
import { _likelihood, _prepare } from "./_likelihood.ts";
import type { EmissionModel, MjpObservations } from "./observations.ts";

/** Options of {@linkcode mjpLogLikelihood} and {@linkcode mjpLogLikelihoodGradient}. */
export interface MjpLikelihoodOptions {
  /** Law of the state at each path's first observation time, π₀. */
  initial: ArrayLike<number>;
  /** The (known) noise model. */
  emission: EmissionModel;
}

/** Result of {@linkcode mjpLogLikelihoodGradient}. */
export interface MjpLikelihoodGradient {
  /** Σ_paths log p(y). */
  logLikelihood: number;
  /**
   * `∂ log p / ∂Q_ij` for every entry of Q taken as free (row-major n×n); the
   * derivative along a generator direction dQ is `Σ_ij dQ_ij · dQ[ij]`.
   */
  dQ: Float64Array;
  /** `∂ log p / ∂π₀(i)`. */
  dInitial: Float64Array;
}

/**
 * The log-likelihood of independent paths observed at discrete times,
 * `Σ_paths log p(y₁ … y_L)` with
 * `p(y) = π₀ᵀ E₁ P(Δ₁) E₂ ⋯ P(Δ_{L−1}) E_L 1`, `P(Δ) = exp(QΔ)` and
 * `E_k = diag(p(y_k | x = i))` (the forward algorithm, scaled; see
 * ../shared/refs/inverse/README.md §4.2). π₀ is the law at each path's first
 * observation time. −Infinity when the data are impossible under Q.
 *
 * @param q the generator
 * @param observations the paths
 * @param options `initial` (π₀) and `emission`
 * @returns the log-likelihood
 * @throws {SdenoTypeError} | {SdenoRangeError} for bad input
 *
 * @example One exact observation has probability π₀(y)
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { exactEmission } from "./observations.ts";
 * import { mjpLogLikelihood } from "./mjp_log_likelihood.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * const obs = { n: 2, paths: [{ times: new Float64Array([3]), values: new Float64Array([1]) }] };
 * const ll = mjpLogLikelihood(q, obs, { initial: [0.25, 0.75], emission: exactEmission(2) });
 * assert.ok(Math.abs(ll - Math.log(0.75)) < 1e-15);
 * ```
 */
export function mjpLogLikelihood(
  q: RateMatrix,
  observations: MjpObservations,
  options: MjpLikelihoodOptions,
): number {
  const what = "Cannot evaluate the MJP log-likelihood";
  const pi0 = _check(what, q, observations, options);
  return _likelihood(q.toDense(), pi0, _prepare(observations, options.emission), {}).logLikelihood;
}

/**
 * The log-likelihood and its gradient with respect to every entry of Q and
 * of π₀. `∂ log p/∂Q = Σ_intervals ∫₀^Δ exp(Qᵀs) u vᵀ exp(Qᵀ(Δ−s)) ds` with
 * `u vᵀ = ∂ log p/∂P(Δ)` from the forward–backward pass: the Fréchet
 * derivative of the matrix exponential (Najfeld & Havel 1995), evaluated from
 * one eigen-decomposition of Q, or by Van Loan's block exponential
 * `exp([[Qᵀ, u vᵀ], [0, Qᵀ]]Δ)` when the eigenvectors are ill conditioned.
 * For a parameterised generator, chain it with `dQ/dθ` (see `mleMjp`).
 *
 * @param q the generator
 * @param observations the paths
 * @param options `initial` (π₀) and `emission`
 * @returns the log-likelihood, `dQ` and `dInitial`
 * @throws {SdenoTypeError} | {SdenoRangeError} for bad input
 *
 * @example The derivative along dQ matches a finite difference
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { exactEmission } from "./observations.ts";
 * import { mjpLogLikelihood, mjpLogLikelihoodGradient } from "./mjp_log_likelihood.ts";
 * import assert from "node:assert/strict";
 * const obs = { n: 2, paths: [{ times: new Float64Array([0, 0.7, 1.5]), values: new Float64Array([0, 1, 1]) }] };
 * const opts = { initial: [0.5, 0.5], emission: exactEmission(2) };
 * const at = (a: number) => RateMatrix.fromDense([[-a, a], [2, -2]]);
 * const g = mjpLogLikelihoodGradient(at(1), obs, opts);
 * const h = 1e-6;
 * const fd = (mjpLogLikelihood(at(1 + h), obs, opts) - mjpLogLikelihood(at(1 - h), obs, opts)) / (2 * h);
 * assert.ok(Math.abs(g.dQ[1]! - g.dQ[0]! - fd) < 1e-8);
 * ```
 */
export function mjpLogLikelihoodGradient(
  q: RateMatrix,
  observations: MjpObservations,
  options: MjpLikelihoodOptions,
): MjpLikelihoodGradient {
  const what = "Cannot evaluate the MJP log-likelihood gradient";
  const pi0 = _check(what, q, observations, options);
  const r = _likelihood(q.toDense(), pi0, _prepare(observations, options.emission), {
    integrals: true,
    gradPi0: true,
  });
  return { logLikelihood: r.logLikelihood, dQ: r.m!, dInitial: r.gradPi0! };
}

function _check(
  what: string,
  q: RateMatrix,
  observations: MjpObservations,
  options: MjpLikelihoodOptions,
): Float64Array {
  _checkOptions(what, options);
  _checkData(what, observations, options.emission);
  _checkGenerator(what, q, observations.n);
  return _checkDistribution(what, "initial", options.initial, observations.n);
}
