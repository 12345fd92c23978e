/**
 * Continuous-time Markov state models: the maximum-likelihood generator of
 * fully observed trajectories, with or without detailed balance, and its
 * standard errors from the observed information.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { CtmcPath } from "../../processes/ctmc_path.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { stationaryDistribution } from "../../processes/stationary_distribution.ts";
import { _luFactor, _luSolve } from "../../processes/_ctmc_linalg.ts";
import { type MsmCounts, msmCounts } from "./msm_counts.ts";
import { _checkCounts } from "./_msm_checks.ts";

/** Options of {@linkcode estimateMsm}. */
export interface EstimateMsmOptions {
  /** Number of states (needed when `data` are paths). */
  n?: number;
  /** Impose detailed balance `π_i q_ij = π_j q_ji` (default false). */
  reversible?: boolean;
  /** Iteration cap of the reversible fixed point (default 100000). */
  maxIterations?: number;
  /** Stop when no `log a_i` moves by more than this (default 1e-13). */
  tolerance?: number;
}

/** The estimated generator of {@linkcode estimateMsm}. */
export interface MsmEstimate {
  /** The maximum-likelihood generator. */
  generator: RateMatrix;
  /** Its entries, row-major n×n. */
  rates: Float64Array;
  /**
   * Standard errors from the inverse observed information (delta method),
   * row-major n×n; the diagonal holds that of the exit rate `q_i`. A rate
   * whose MLE is 0 (no jump seen; on the boundary) gets 0: use the
   * Bayesian posterior ({@linkcode msmPosterior}) there.
   */
  standardErrors: Float64Array;
  /** The stationary distribution of the estimate. */
  stationary: Float64Array;
  /** `Σ N_ij log q_ij − Σ T_i q_i` at the estimate. */
  logLikelihood: number;
  /** Fixed-point iterations (0 for the non-reversible closed form). */
  iterations: number;
  /** The counts it was computed from. */
  counts: MsmCounts;
}

const WHAT = "Cannot estimate the Markov state model";

/**
 * The maximum-likelihood generator of fully observed CTMC paths
 * (Billingsley 1961, §6; Albert, Ann. Math. Statist. 33, 1962):
 *
 * - **without constraints**, the closed form `q̂_ij = N_ij / T_i` with
 *   standard error `√N_ij / T_i` (the log-likelihood
 *   `Σ N_ij log q_ij − Σ T_i q_i` separates in the rates and
 *   `−∂²ℓ/∂q_ij² = N_ij/q_ij²`);
 * - **with detailed balance**, in the parameterisation `q_ij = s_ij / π_i`
 *   with `s_ij = s_ji` (π unnormalised). For fixed π the optimal
 *   `s_ij = C_ij / (T_i/π_i + T_j/π_j)`, `C_ij = N_ij + N_ji`; with
 *   `a_i = T_i/π_i` the profile log-likelihood is
 *   `Σ_i N_i log a_i − Σ_{i<j} C_ij log(a_i + a_j)`, `N_i = Σ_j N_ij`: a
 *   Bradley–Terry likelihood with "wins" N_ij, concave in log a, maximised by
 *   Hunter's MM iteration `a_i ← N_i / Σ_j C_ij/(a_i + a_j)`, which
 *   increases it monotonically (Hunter, Ann. Statist. 32, 2004, eq. 3; the
 *   continuous-time twin of the reversible transition-matrix estimator of
 *   Bowman 2009 and Prinz et al., J. Chem. Phys. 134, 174105, 2011, eq. 27).
 *   Then `q̂_ij = C_ij a_i / (T_i (a_i + a_j))` and `π_i ∝ T_i / a_i`. It exists
 *   when the graph of observed jumps is strongly connected (Hunter's
 *   Assumption 1). Standard errors from the observed information in
 *   `(log s_ij, log π_i)`, π_0 fixed, by the delta method.
 *
 * @param data paths (with `options.n`) or their {@linkcode msmCounts}
 * @param options `n`, `reversible`, `maxIterations`, `tolerance`
 * @returns the generator, standard errors, stationary law and log-likelihood
 * @throws {SdenoRangeError} when a state is never visited, or (reversible)
 *   the observed jumps do not connect every state both ways
 *
 * @example A two-state chain: the MLE is jumps over dwell time
 * ```ts
 * import { estimateMsm } from "./msm_estimate.ts";
 * import assert from "node:assert/strict";
 * const path = { times: new Float64Array([0, 1, 1.5, 3]), states: new Int32Array([0, 1, 0, 1]), tEnd: 4 };
 * const fit = estimateMsm([path], { n: 2 });
 * assert.equal(fit.rates[1], 2 / 2.5); // two jumps 0 → 1 in 2.5 time units
 * assert.equal(fit.standardErrors[1], Math.SQRT2 / 2.5);
 * ```
 */
export function estimateMsm(
  data: readonly CtmcPath[] | MsmCounts,
  options: EstimateMsmOptions = {},
): MsmEstimate {
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${WHAT}: options must be an object, got ${quote(options)}`);
  }
  const counts = Array.isArray(data)
    ? msmCounts(data as readonly CtmcPath[], checkInteger(WHAT, "options.n", options.n, 1))
    : _checkCounts(WHAT, data as MsmCounts);
  const maxIterations = checkInteger(WHAT, "maxIterations", options.maxIterations ?? 100000, 1);
  const tolerance = options.tolerance ?? 1e-13;
  if (!(tolerance > 0)) {
    throw new SdenoRangeError(`${WHAT}: tolerance must be positive, got ${quote(tolerance)}`);
  }
  const { n, dwell } = counts;
  for (let i = 0; i < n; i++) {
    if (!(dwell[i]! > 0)) {
      throw new SdenoRangeError(
        `${WHAT}: state ${i} has dwell time ${quote(dwell[i])}; every state must be visited`,
      );
    }
  }
  const fit = options.reversible
    ? _reversible(counts, maxIterations, tolerance)
    : _nonReversible(counts);
  const generator = RateMatrix.fromDense(fit.rates, { n });
  let logLikelihood = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const nij = counts.jumps[i * n + j]!;
      if (i !== j && nij > 0) logLikelihood += nij * Math.log(fit.rates[i * n + j]!);
    }
    logLikelihood -= dwell[i]! * generator.exitRate(i);
  }
  return {
    generator,
    rates: generator.toDense(),
    standardErrors: fit.standardErrors,
    stationary: stationaryDistribution(generator).distribution,
    logLikelihood,
    iterations: fit.iterations,
    counts,
  };
}

interface _Fit {
  rates: Float64Array;
  standardErrors: Float64Array;
  iterations: number;
}

function _nonReversible(c: MsmCounts): _Fit {
  const { n, jumps, dwell } = c;
  const rates = new Float64Array(n * n);
  const standardErrors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let exit = 0, exitVar = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const nij = jumps[i * n + j]!;
      rates[i * n + j] = nij / dwell[i]!;
      standardErrors[i * n + j] = Math.sqrt(nij) / dwell[i]!;
      exit += nij / dwell[i]!;
      exitVar += nij / (dwell[i]! * dwell[i]!);
    }
    rates[i * n + i] = -exit;
    standardErrors[i * n + i] = Math.sqrt(exitVar);
  }
  return { rates, standardErrors, iterations: 0 };
}

/** Whether every state reaches every other along edges with w_ij > 0. */
function _stronglyConnected(w: Float64Array, n: number): boolean {
  for (const transpose of [false, true]) {
    const seen = new Uint8Array(n);
    const stack = [0];
    seen[0] = 1;
    let count = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      for (let j = 0; j < n; j++) {
        const v = transpose ? w[j * n + i]! : w[i * n + j]!;
        if (j !== i && v > 0 && !seen[j]) {
          seen[j] = 1;
          count++;
          stack.push(j);
        }
      }
    }
    if (count < n) return false;
  }
  return true;
}

function _reversible(c: MsmCounts, maxIterations: number, tolerance: number): _Fit {
  const { n, jumps, dwell } = c;
  if (!_stronglyConnected(jumps, n)) {
    throw new SdenoRangeError(
      `${WHAT}: the reversible MLE needs observed jumps that lead from every state to every other (a strongly connected jump graph)`,
    );
  }
  const out = new Float64Array(n); // N_i
  const sym = new Float64Array(n * n); // C_ij
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      out[i]! += jumps[i * n + j]!;
      sym[i * n + j] = jumps[i * n + j]! + jumps[j * n + i]!;
    }
  }
  // Hunter's MM iteration for a_i = T_i / π_i, normalised to Σ log a = 0
  let a = new Float64Array(n).fill(1);
  let next = new Float64Array(n);
  let iterations = 0;
  for (; iterations < maxIterations;) {
    iterations++;
    let logSum = 0;
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let j = 0; j < n; j++) {
        const cij = sym[i * n + j]!;
        if (cij > 0) d += cij / (a[i]! + a[j]!);
      }
      next[i] = out[i]! / d;
      logSum += Math.log(next[i]!);
    }
    const shift = Math.exp(-logSum / n);
    let change = 0;
    for (let i = 0; i < n; i++) {
      next[i] = next[i]! * shift;
      change = Math.max(change, Math.abs(Math.log(next[i]! / a[i]!)));
    }
    [a, next] = [next, a];
    if (change <= tolerance) break;
  }
  const rates = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let exit = 0;
    for (let j = 0; j < n; j++) {
      const cij = sym[i * n + j]!;
      if (i === j || cij === 0) continue;
      const q = cij * a[i]! / (dwell[i]! * (a[i]! + a[j]!));
      rates[i * n + j] = q;
      exit += q;
    }
    rates[i * n + i] = -exit;
  }
  return { rates, standardErrors: _reversibleErrors(rates, dwell, n), iterations };
}

/**
 * Delta-method standard errors of a reversible generator from the observed
 * information in θ = (log s_e for the edges e = {i < j} with q_ij > 0,
 * log π_i for i ≥ 1), π_0 = 1: with `ℓ = Σ C_e log s_e − Σ N_i log π_i −
 * Σ_i (T_i/π_i) Σ_j s_ij`, `J[s_e, s_e] = T_i q_ij + T_j q_ji`,
 * `J[s_e, π_i] = −T_i q_ij` for an end i of e, `J[π_i, π_i] = T_i q_i`, and
 * `log q_ij = log s_e − log π_i`.
 */
function _reversibleErrors(rates: Float64Array, dwell: Float64Array, n: number): Float64Array {
  const edges: [number, number][] = [];
  const edgeOf = new Int32Array(n * n).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (rates[i * n + j]! > 0) {
        edgeOf[i * n + j] = edgeOf[j * n + i] = edges.length;
        edges.push([i, j]);
      }
    }
  }
  const ne = edges.length;
  const dim = ne + n - 1;
  const piIndex = (i: number) => (i === 0 ? -1 : ne + i - 1);
  const info = new Float64Array(dim * dim);
  edges.forEach(([i, j], e) => {
    const qij = rates[i * n + j]!, qji = rates[j * n + i]!;
    info[e * dim + e] = dwell[i]! * qij + dwell[j]! * qji;
    for (const [k, qk] of [[i, qij], [j, qji]] as const) {
      const p = piIndex(k);
      if (p < 0) continue;
      info[e * dim + p] = info[p * dim + e] = -dwell[k]! * qk;
    }
  });
  for (let i = 1; i < n; i++) {
    const p = piIndex(i);
    info[p * dim + p] = -dwell[i]! * rates[i * n + i]!;
  }
  const eye = new Float64Array(dim * dim);
  for (let k = 0; k < dim; k++) eye[k * dim + k] = 1;
  const cov = _luSolve(_luFactor(info, dim), eye, dim);
  const se = new Float64Array(n * n);
  const g = new Float64Array(dim);
  const variance = () => {
    let v = 0;
    for (let a = 0; a < dim; a++) {
      if (g[a] === 0) continue;
      for (let b = 0; b < dim; b++) v += g[a]! * cov[a * dim + b]! * g[b]!;
    }
    return Math.sqrt(Math.max(0, v));
  };
  for (let i = 0; i < n; i++) {
    const gExit = new Float64Array(dim);
    for (let j = 0; j < n; j++) {
      const e = edgeOf[i * n + j]!;
      if (i === j || e < 0) continue;
      const q = rates[i * n + j]!;
      g.fill(0);
      g[e] = q; // ∂q/∂log s_e
      const p = piIndex(i);
      if (p >= 0) g[p] = -q; // ∂q/∂log π_i
      se[i * n + j] = variance();
      for (let k = 0; k < dim; k++) gExit[k]! += g[k]!;
    }
    g.set(gExit);
    se[i * n + i] = variance();
  }
  return se;
}
