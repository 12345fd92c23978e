/**
 * Expectation–maximisation for the full rate matrix of a Markov jump
 * process observed at discrete times through a known noise model.
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
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { _checkData, _checkDistribution, _checkGenerator, _checkOptions } from "./_inputs.ts";
import { _likelihood, _prepare } from "./_likelihood.ts";
import type { _PropagatorMethod } from "./_propagator.ts";
import type { EmissionModel, MjpObservations } from "./observations.ts";

/** Options of {@linkcode emMjp}. */
export interface EmMjpOptions {
  /** The (known) noise model. */
  emission: EmissionModel;
  /**
   * Starting generator (default: rate 1 on every off-diagonal entry). Entries
   * that are 0 stay 0: give a start with zeros to fit a sparse pattern.
   */
  start?: RateMatrix;
  /** Starting π₀, the law at the first observation (default uniform). */
  startInitial?: ArrayLike<number>;
  /** Stop when |ℓ_t − ℓ_{t−1}| < tolerance·|ℓ_{t−1}| (default 1e-7). */
  tolerance?: number;
  /** At most this many M-steps (default 300). */
  maxIterations?: number;
  /**
   * How exp(QΔ) and the interval integrals are computed: "auto" (default:
   * eigen closed form when the eigenvectors are well conditioned, Van Loan
   * block exponentials otherwise), "eigen" or "vanLoan".
   */
  method?: "auto" | "eigen" | "vanLoan";
}

/** Result of {@linkcode emMjp}. */
export interface EmMjpResult {
  /** The estimated generator. */
  q: RateMatrix;
  /** The estimated law at the first observation time. */
  initial: Float64Array;
  /** Log-likelihood of each iterate, starting with the start; the last is that of `q`. */
  logLikelihoods: number[];
  /** Number of M-steps taken. */
  iterations: number;
  /** Whether the tolerance was met (rather than maxIterations). */
  converged: boolean;
  /** Expected dwell time in each state under the returned q's E-step (Σ = total observed time). */
  dwellTimes: Float64Array;
  /** Expected number of i → j jumps under the returned q's E-step, row-major n×n. */
  jumpCounts: Float64Array;
}

/**
 * EM for the generator of a discretely observed Markov jump process (Bladt &
 * Sørensen, JRSS-B 67, 395–410, 2005, §3; Metzner, Horenko & Schütte, Phys.
 * Rev. E 76, 066702, 2007; with noisy observations, the forward–backward
 * pass of a continuous-time HMM). E-step: per interval, the pairwise
 * posteriors ξ(a, b) give the expected dwell times
 * `D_i = Σ ξ(a,b)/P_ab · ∫₀^Δ P_ai(s) P_ib(Δ−s) ds` and jump counts
 * `N_ij = q_ij Σ ξ(a,b)/P_ab · ∫₀^Δ P_ai(s) P_jb(Δ−s) ds`, all n² of them at
 * once from one integral of `exp(Qᵀs) u vᵀ exp(Qᵀ(Δ−s))` (eigen closed form,
 * Hobolth & Jensen 2011, or Van Loan's block exponential). M-step:
 * `q_ij = N_ij / D_i` and π₀ = the mean posterior at the first observation.
 * The emission model is fixed. A state with no expected dwell time keeps its
 * rates. The log-likelihood never decreases.
 *
 * @param observations the paths
 * @param options `emission`, `start`, `startInitial`, `tolerance`, `maxIterations`, `method`
 * @returns the estimate, the log-likelihood trace and the last E-step's statistics
 * @throws {SdenoTypeError} | {SdenoRangeError} for bad input
 *
 * @example A two-state chain seen exactly on a fine grid
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { exactEmission } from "./observations.ts";
 * import { simulateMjpObservations } from "./simulate_mjp_observations.ts";
 * import { emMjp } from "./em_mjp.ts";
 * import assert from "node:assert/strict";
 * const truth = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * const { observations } = simulateMjpObservations(truth, {
 *   paths: 100, observationsPerPath: 20, tEnd: 5, emission: exactEmission(2), key: { seed: 5, stream: 0 },
 * });
 * const r = emMjp(observations, { emission: exactEmission(2) });
 * assert.ok(r.converged);
 * assert.ok(Math.abs(r.q.get(1, 0) / r.q.get(0, 1) - 2) < 0.5);
 * ```
 */
export function emMjp(observations: MjpObservations, options: EmMjpOptions): EmMjpResult {
  const what = "Cannot run EM for the rate matrix";
  _checkOptions(what, options);
  _checkData(what, observations, options.emission);
  const n = observations.n;
  const tol = checkFinite(what, "tolerance", options.tolerance ?? 1e-7);
  if (!(tol >= 0)) throw new SdenoRangeError(`${what}: tolerance must be ≥ 0, got ${quote(tol)}`);
  const maxIt = checkInteger(what, "maxIterations", options.maxIterations ?? 300, 0);
  const method: _PropagatorMethod = options.method ?? "auto";
  if (method !== "auto" && method !== "eigen" && method !== "vanLoan") {
    throw new SdenoTypeError(
      `${what}: method must be "auto", "eigen" or "vanLoan", got ${quote(method)}`,
    );
  }
  let q: Float64Array;
  if (options.start !== undefined) {
    q = _checkGenerator(what, options.start, n).toDense();
  } else {
    q = new Float64Array(n * n).fill(1);
    for (let i = 0; i < n; i++) q[i * n + i] = -(n - 1);
  }
  let pi0 = options.startInitial === undefined
    ? new Float64Array(n).fill(1 / n)
    : _checkDistribution(what, "startInitial", options.startInitial, n);
  const data = _prepare(observations, options.emission);
  const K = observations.paths.length;
  const trace: number[] = [];
  let converged = false;
  let iterations = 0;
  let dwell = new Float64Array(n), jumps = new Float64Array(n * n);
  for (;;) {
    const e = _likelihood(q, pi0, data, { integrals: true, gamma1: true }, method);
    const ll = e.logLikelihood;
    if (!Number.isFinite(ll)) {
      throw new SdenoRangeError(
        `${what}: the observations are impossible under the ${
          iterations === 0 ? "start" : "current"
        } generator (log-likelihood ${ll})`,
      );
    }
    trace.push(ll);
    const m = e.m!;
    dwell = new Float64Array(n);
    jumps = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      dwell[i] = m[i * n + i]!;
      for (let j = 0; j < n; j++) {
        if (j !== i) jumps[i * n + j] = Math.max(q[i * n + j]! * m[i * n + j]!, 0);
      }
    }
    if (trace.length > 1) {
      const prev = trace[trace.length - 2]!;
      if (Math.abs(ll - prev) < tol * Math.abs(prev)) {
        converged = true;
        break;
      }
    }
    if (iterations >= maxIt) break;
    // M-step
    const next = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const d = dwell[i]!;
      let row = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const v = d > 0 ? jumps[i * n + j]! / d : q[i * n + j]!;
        next[i * n + j] = v;
        row += v;
      }
      next[i * n + i] = -row;
    }
    q = next;
    pi0 = e.gamma1!.map((g) => g / K);
    iterations++;
  }
  return {
    q: RateMatrix.fromDense(q, { n }),
    initial: pi0,
    logLikelihoods: trace,
    iterations,
    converged,
    dwellTimes: dwell,
    jumpCounts: jumps,
  };
}
