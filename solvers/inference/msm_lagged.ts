/**
 * Continuous-time Markov state models from trajectories sampled at a fixed
 * lag: maximum likelihood through the matrix exponential, with or without
 * detailed balance.
 *
 * @module
 */

import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import type { RateMatrix } from "../../processes/rate_matrix.ts";
import { stationaryDistribution } from "../../processes/stationary_distribution.ts";
import { logRateModel } from "./generator_models.ts";
import { mleMjp } from "./mle_mjp.ts";
import { exactEmission, type MjpObservations } from "./observations.ts";
import { reversibleRateModel } from "./msm_reversible_model.ts";

/** Options of {@linkcode estimateMsmLagged}. */
export interface EstimateMsmLaggedOptions {
  /** Number of states. */
  n: number;
  /** The sampling interval τ > 0: state k of a trajectory is X(kτ). */
  lag: number;
  /** Impose detailed balance (default false). */
  reversible?: boolean;
  /**
   * The pairs that may carry rates: ordered `[i, j]` (non-reversible) or
   * unordered edges (reversible). Default all pairs. Rates whose MLE is 0
   * (log-rate → −∞) do not converge: leave out pairs known to be absent.
   */
  pairs?: readonly (readonly [number, number])[];
  /** L-BFGS gradient tolerance, per observation (default 1e-9). */
  gradTolerance?: number;
  /** L-BFGS iteration cap (default 500). */
  maxIterations?: number;
}

/** Result of {@linkcode estimateMsmLagged}. */
export interface MsmLaggedEstimate {
  /** The maximum-likelihood generator. */
  generator: RateMatrix;
  /** Its entries, row-major n×n. */
  rates: Float64Array;
  /** Delta-method standard errors of the entries (diagonal: of the exit rate); 0 for excluded pairs. */
  standardErrors: Float64Array;
  /** Its stationary law. */
  stationary: Float64Array;
  /** The fitted log-parameters, their names and covariance (inverse observed information). */
  theta: Float64Array;
  /** Parameter names. */
  parameterNames: readonly string[];
  /** Covariance of θ, row-major. */
  covariance: Float64Array;
  /** Conditional log-likelihood `Σ log P(τ)_{x_k x_{k+1}}`. */
  logLikelihood: number;
  /** Whether L-BFGS met its tolerance. */
  converged: boolean;
  /** L-BFGS iterations. */
  iterations: number;
}

/**
 * The maximum-likelihood generator of trajectories seen at times 0, τ, 2τ,
 * …: the conditional log-likelihood `Σ_ij C_ij(τ) log [exp(Qτ)]_ij`, with
 * C(τ) the lag-τ transition counts, maximised over log-rates by L-BFGS with
 * the analytic gradient through the Fréchet derivative of the exponential
 * (`mleMjp`; Kalbfleisch & Lawless, JASA 80, 1985, for the model;
 * Crommelin & Vanden-Eijnden, Multiscale Model. Simul. 7, 2009, for the
 * embedding problem it solves). Parameters: `log q_ij` on the given pairs
 * (`logRateModel`), or under detailed balance `log s_ij`, `log φ_i` with
 * `q_ij = s_ij φ_i` (`reversibleRateModel`). The start is
 * `q_ij = P̂_ij(τ)/τ` from the smoothed transition frequencies (symmetrised
 * with the empirical state frequencies when reversible). Standard errors
 * from the observed information (central differences of the gradient),
 * then the delta method for each rate.
 *
 * @param trajectories state sequences `x_0, x_1, …` (integers in 0 … n−1)
 * @param options `n`, `lag`, `reversible`, `pairs`, `gradTolerance`, `maxIterations`
 * @returns the generator, standard errors, stationary law and fit details
 * @throws {SdenoRangeError} for lag ≤ 0, a state out of range, no transition, or
 *   (reversible) a state never seen
 * @throws {SdenoTypeError} for malformed trajectories
 *
 * @example A two-state chain seen every 0.5 time units
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { sampleCtmcPath } from "../../processes/ctmc_path.ts";
 * import { estimateMsmLagged } from "./msm_lagged.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * const path = sampleCtmcPath(q, { initial: 0, tEnd: 400, key: { seed: 1, stream: 0 } });
 * const states = Array.from({ length: 800 }, (_, k) => {
 *   let j = 0;
 *   while (j + 1 < path.times.length && path.times[j + 1]! <= 0.5 * k) j++;
 *   return path.states[j]!;
 * });
 * const fit = estimateMsmLagged([states], { n: 2, lag: 0.5 });
 * assert.ok(Math.abs(fit.rates[1]! - 1) < 4 * fit.standardErrors[1]!);
 * ```
 */
export function estimateMsmLagged(
  trajectories: readonly ArrayLike<number>[],
  options: EstimateMsmLaggedOptions,
): MsmLaggedEstimate {
  const what = "Cannot estimate the Markov state model from lagged trajectories";
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const n = checkInteger(what, "n", options.n, 1);
  const lag = checkFinite(what, "lag", options.lag);
  if (!(lag > 0)) throw new SdenoRangeError(`${what}: lag must be positive, got ${quote(lag)}`);
  if (!Array.isArray(trajectories) || trajectories.length === 0) {
    throw new SdenoTypeError(
      `${what}: trajectories must be a non-empty array of state sequences, got ${
        quote(trajectories)
      }`,
    );
  }
  const counts = new Float64Array(n * n);
  const visits = new Float64Array(n);
  let transitions = 0;
  const paths = trajectories.map((x, p) => {
    if (x === null || typeof x !== "object" || typeof x.length !== "number" || x.length === 0) {
      throw new SdenoTypeError(`${what}: trajectories[${p}] must be a non-empty array of states`);
    }
    const values = new Float64Array(x.length);
    for (let k = 0; k < x.length; k++) {
      const s = x[k]!;
      if (!Number.isInteger(s) || s < 0 || s >= n) {
        throw new SdenoRangeError(
          `${what}: trajectories[${p}][${k}] must be a state in [0, ${n - 1}], got ${quote(s)}`,
        );
      }
      values[k] = s;
      visits[s]!++;
      if (k > 0) {
        counts[x[k - 1]! * n + s]!++;
        transitions++;
      }
    }
    return { times: Float64Array.from(values, (_, k) => k * lag), values };
  });
  if (transitions === 0) {
    throw new SdenoRangeError(
      `${what}: the trajectories hold no transition (each needs ≥ 2 states)`,
    );
  }
  const reversible = options.reversible ?? false;
  const model = reversible ? reversibleRateModel(n, options.pairs) : logRateModel(n, options.pairs);
  const pairs = _pairsOf(model.parameterNames, reversible);
  const start = _start(counts, visits, n, lag, pairs, reversible, what);
  const observations: MjpObservations = { n, paths };
  const fit = mleMjp(observations, model, {
    emission: exactEmission(n),
    start,
    initial: new Float64Array(n).fill(1 / n),
    gradTolerance: options.gradTolerance ?? 1e-9,
    maxIterations: options.maxIterations ?? 500,
  });
  // drop the constant Σ log π₀(x₀) = −m log n of the fixed uniform start law
  const logLikelihood = fit.logLikelihood + paths.length * Math.log(n);
  const rates = fit.q.toDense();
  const se = _rateErrors(rates, fit.covariance, pairs, n, reversible);
  return {
    generator: fit.q,
    rates,
    standardErrors: se,
    stationary: stationaryDistribution(fit.q).distribution,
    theta: fit.theta,
    parameterNames: fit.parameterNames,
    covariance: fit.covariance,
    logLikelihood,
    converged: fit.converged,
    iterations: fit.iterations,
  };
}

/** The (i, j) of each rate parameter, read back from the model's names. */
function _pairsOf(names: readonly string[], reversible: boolean): [number, number][] {
  const out: [number, number][] = [];
  for (const name of names) {
    const m = /^log (?:q|s)\[(\d+)\]\[(\d+)\]$/.exec(name);
    if (m) out.push([Number(m[1]), Number(m[2])]);
    else if (!reversible || !name.startsWith("log phi[")) {
      throw new Error(`unexpected parameter name ${name}`);
    }
  }
  return out;
}

function _start(
  counts: Float64Array,
  visits: Float64Array,
  n: number,
  lag: number,
  pairs: [number, number][],
  reversible: boolean,
  what: string,
): Float64Array {
  // smoothed transition frequencies over the allowed pairs, q ≈ P̂/τ
  const q0 = (i: number, j: number) => {
    let row = 0;
    for (let k = 0; k < n; k++) if (k !== i) row += counts[i * n + k]!;
    return (counts[i * n + j]! + 0.5) / (row + counts[i * n + i]! + 0.5 * n) / lag;
  };
  if (!reversible) return Float64Array.from(pairs, ([i, j]) => Math.log(q0(i, j)));
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (visits[i] === 0) {
      throw new SdenoRangeError(
        `${what}: state ${i} is never visited; its stationary weight is not identified`,
      );
    }
    total += visits[i]!;
  }
  const pi = Float64Array.from(visits, (v) => v / total);
  // q_ij = s_ij φ_i with φ_i = π_0/π_i: s_ij = π_i q_ij / π_0, symmetrised
  const theta = pairs.map(([i, j]) =>
    Math.log((pi[i]! * q0(i, j) + pi[j]! * q0(j, i)) / (2 * pi[0]!))
  );
  for (let i = 1; i < n; i++) theta.push(Math.log(pi[0]! / pi[i]!));
  return Float64Array.from(theta);
}

/** Delta-method standard errors of q_ij = exp(θ-combination) from Cov(θ). */
function _rateErrors(
  rates: Float64Array,
  cov: Float64Array,
  pairs: [number, number][],
  n: number,
  reversible: boolean,
): Float64Array {
  const k = Math.round(Math.sqrt(cov.length));
  const se = new Float64Array(n * n);
  const rowGrad = Array.from({ length: n }, () => new Float64Array(k));
  const g = new Float64Array(k);
  const variance = (v: Float64Array) => {
    let s = 0;
    for (let a = 0; a < k; a++) {
      if (v[a] === 0) continue;
      for (let b = 0; b < k; b++) s += v[a]! * cov[a * k + b]! * v[b]!;
    }
    return Math.sqrt(Math.max(0, s));
  };
  const ne = pairs.length;
  pairs.forEach(([a, b], e) => {
    const dirs: [number, number][] = reversible ? [[a, b], [b, a]] : [[a, b]];
    for (const [i, j] of dirs) {
      const q = rates[i * n + j]!;
      g.fill(0);
      g[e] = q; // ∂q_ij/∂θ_e
      if (reversible && i > 0) g[ne + i - 1] = q; // ∂q_ij/∂log φ_i
      se[i * n + j] = variance(g);
      for (let c = 0; c < k; c++) rowGrad[i]![c]! += g[c]!;
    }
  });
  for (let i = 0; i < n; i++) se[i * n + i] = variance(rowGrad[i]!);
  return se;
}
