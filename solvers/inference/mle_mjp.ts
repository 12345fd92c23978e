/**
 * Maximum likelihood for a parameterised generator of a Markov jump process
 * observed at discrete times through a known noise model, with standard
 * errors from the observed information.
 *
 * @module
 */

import {
  checkFinite,
  checkInteger,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { stationaryDistribution } from "../../processes/stationary_distribution.ts";
import { _solve, _spdInverse } from "./_dense.ts";
import { _checkData, _checkDistribution, _checkOptions } from "./_inputs.ts";
import { _lbfgs } from "./_lbfgs.ts";
import { _likelihood, _prepare, type _Prepared } from "./_likelihood.ts";
import type { GeneratorModel } from "./generator_models.ts";
import type { EmissionModel, MjpObservations } from "./observations.ts";

/** Options of {@linkcode mleMjp}. */
export interface MleMjpOptions {
  /** The (known) noise model. */
  emission: EmissionModel;
  /** Starting parameters θ₀. */
  start: ArrayLike<number>;
  /**
   * Law of the state at the first observation: "stationary" (default; π(Q(θ)),
   * differentiated with θ) or a fixed distribution.
   */
  initial?: "stationary" | ArrayLike<number>;
  /** L-BFGS stops when ‖∇(−ℓ/N)‖∞ ≤ gradTolerance, N the number of observations (default 1e-9). */
  gradTolerance?: number;
  /** At most this many L-BFGS iterations (default 200). */
  maxIterations?: number;
  /** Relative step of the central differences of the gradient for the Hessian (default 1e-4). */
  hessianStep?: number;
}

/** Result of {@linkcode mleMjp}. */
export interface MleMjpResult {
  /** The estimate θ̂. */
  theta: Float64Array;
  /** Parameter names (from the model). */
  parameterNames: readonly string[];
  /** Standard errors √diag(I(θ̂)⁻¹); NaN when the observed information is not positive definite. */
  standardErrors: Float64Array;
  /** I(θ̂)⁻¹, row-major (NaN when not positive definite). */
  covariance: Float64Array;
  /** Observed information I(θ̂) = −∇²ℓ(θ̂), row-major, symmetrised. */
  information: Float64Array;
  /** Q(θ̂). */
  q: RateMatrix;
  /** π₀ at θ̂. */
  initial: Float64Array;
  /** ℓ(θ̂). */
  logLikelihood: number;
  /** ∇ℓ(θ̂). */
  gradient: Float64Array;
  /** L-BFGS iterations. */
  iterations: number;
  /** Whether L-BFGS met its tolerance. */
  converged: boolean;
}

/**
 * Maximises the log-likelihood ℓ(θ) of discretely observed paths over the
 * parameters of a generator model (e.g. `flashingRatchetModel()`'s
 * (V, log r, log b)) by L-BFGS (Nocedal & Wright 2006, Alg. 7.4, strong Wolfe
 * line search) with the analytic gradient
 * `∂ℓ/∂θ_k = Σ_ij (∂ℓ/∂Q_ij)(∂Q_ij/∂θ_k) + (∂ℓ/∂π₀)·(∂π₀/∂θ_k)`, where
 * ∂ℓ/∂Q is the Fréchet derivative of exp(QΔ) contracted with the
 * forward–backward weights (see `mjpLogLikelihoodGradient`) and, for the
 * stationary π₀, `∂π = −π ∂A A⁻¹` with A = Q whose last column is replaced
 * by ones (πA = e_nᵀ). Standard errors come from the observed information
 * `I = −∇²ℓ(θ̂)`, by central differences of the analytic gradient,
 * symmetrised and inverted (asymptotic normality of the MLE).
 *
 * @param observations the paths
 * @param model the generator family
 * @param options `emission`, `start`, `initial`, `gradTolerance`, `maxIterations`, `hessianStep`
 * @returns θ̂, standard errors, covariance, Q(θ̂), ℓ(θ̂)
 * @throws {SdenoTypeError} | {SdenoRangeError} for bad input
 * @throws {NumericalError} when the likelihood is not finite at the start
 *
 * @example A two-state chain in log-rates
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { exactEmission } from "./observations.ts";
 * import { simulateMjpObservations } from "./simulate_mjp_observations.ts";
 * import { logRateModel } from "./generator_models.ts";
 * import { mleMjp } from "./mle_mjp.ts";
 * import assert from "node:assert/strict";
 * const truth = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * const { observations } = simulateMjpObservations(truth, {
 *   paths: 100, observationsPerPath: 20, tEnd: 5, emission: exactEmission(2), key: { seed: 5, stream: 0 },
 * });
 * const r = mleMjp(observations, logRateModel(2), { emission: exactEmission(2), start: [0, 0] });
 * assert.ok(Math.abs(r.theta[1]! - Math.log(2)) < 4 * r.standardErrors[1]!);
 * ```
 */
export function mleMjp(
  observations: MjpObservations,
  model: GeneratorModel,
  options: MleMjpOptions,
): MleMjpResult {
  const what = "Cannot fit the generator by maximum likelihood";
  _checkOptions(what, options);
  _checkData(what, observations, options.emission);
  const n = observations.n;
  if (model === null || typeof model !== "object" || typeof model.generator !== "function") {
    throw new SdenoTypeError(`${what}: model must be a GeneratorModel, got ${quote(model)}`);
  }
  if (model.n !== n) {
    throw new SdenoRangeError(
      `${what}: the model has ${model.n} states but the observations have n = ${n}`,
    );
  }
  const k = model.parameterNames.length;
  const start = options.start;
  if (start === null || typeof start !== "object" || start.length !== k) {
    throw new SdenoTypeError(
      `${what}: start must have one entry per parameter (${k}), got ${quote(start)}`,
    );
  }
  const theta0 = Float64Array.from(start);
  theta0.forEach((v, i) => checkFinite(what, `start[${i}]`, v));
  const fixedPi = options.initial === undefined || options.initial === "stationary"
    ? undefined
    : _checkDistribution(what, "initial", options.initial, n);
  const gtol = checkFinite(what, "gradTolerance", options.gradTolerance ?? 1e-9);
  const maxIt = checkInteger(what, "maxIterations", options.maxIterations ?? 200, 0);
  const hStep = checkFinite(what, "hessianStep", options.hessianStep ?? 1e-4);
  if (!(hStep > 0)) {
    throw new SdenoRangeError(`${what}: hessianStep must be positive, got ${quote(hStep)}`);
  }
  const data = _prepare(observations, options.emission);
  const scale = 1 / data.count;

  const evaluate = (theta: Float64Array) => _valueAndGradient(model, theta, data, fixedPi);
  const first = evaluate(theta0);
  if (!Number.isFinite(first.logLikelihood)) {
    throw new NumericalError(`${what}: the log-likelihood at the start is ${first.logLikelihood}`);
  }
  const opt = _lbfgs(
    (x, g) => {
      const r = evaluate(x);
      for (let i = 0; i < k; i++) g[i] = -r.gradient[i]! * scale;
      return Number.isFinite(r.logLikelihood) ? -r.logLikelihood * scale : Infinity;
    },
    theta0,
    { gradTolerance: gtol, maxIterations: maxIt },
  );
  const theta = opt.x;
  const at = evaluate(theta);
  // observed information by central differences of the analytic gradient
  const info = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const h = hStep * Math.max(1, Math.abs(theta[j]!));
    const tp = Float64Array.from(theta), tm = Float64Array.from(theta);
    tp[j] = tp[j]! + h;
    tm[j] = tm[j]! - h;
    const gp = evaluate(tp).gradient, gm = evaluate(tm).gradient;
    for (let i = 0; i < k; i++) info[i * k + j] = -(gp[i]! - gm[i]!) / (2 * h);
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) {
      info[i * k + j] = info[j * k + i] = 0.5 * (info[i * k + j]! + info[j * k + i]!);
    }
  }
  const cov = _spdInverse(info, k) ?? new Float64Array(k * k).fill(NaN);
  const se = new Float64Array(k);
  for (let i = 0; i < k; i++) se[i] = Math.sqrt(cov[i * k + i]!);
  return {
    theta,
    parameterNames: model.parameterNames,
    standardErrors: se,
    covariance: cov,
    information: info,
    q: RateMatrix.fromDense(at.q, { n }),
    initial: at.pi0,
    logLikelihood: at.logLikelihood,
    gradient: at.gradient,
    iterations: opt.iterations,
    converged: opt.converged,
  };
}

/** ℓ(θ) and ∇ℓ(θ) (the chain rule through Q(θ) and π(Q(θ))). */
function _valueAndGradient(
  model: GeneratorModel,
  theta: Float64Array,
  data: _Prepared,
  fixedPi: Float64Array | undefined,
): { logLikelihood: number; gradient: Float64Array; q: Float64Array; pi0: Float64Array } {
  const n = data.n, k = theta.length;
  const { q, dq } = model.generator(theta);
  if (!(q instanceof Float64Array) || q.length !== n * n || dq.length !== k) {
    throw new SdenoTypeError(
      `Cannot evaluate the generator model: generator(θ) must return q (length ${
        n * n
      }) and ${k} derivatives`,
    );
  }
  const rm = RateMatrix.fromDense(q, { n });
  let pi0: Float64Array;
  if (fixedPi === undefined) {
    const s = stationaryDistribution(rm);
    if (!s.unique) {
      throw new SdenoRangeError(
        `Cannot use the stationary law as π₀: Q(θ) has ${s.closedClasses.length} closed classes at θ = ${
          quote([...theta].join(", "))
        }`,
      );
    }
    pi0 = s.distribution;
  } else {
    pi0 = fixedPi;
  }
  const r = _likelihood(q, pi0, data, { integrals: true, gradPi0: true });
  const gradient = new Float64Array(k);
  if (!Number.isFinite(r.logLikelihood)) {
    return { logLikelihood: r.logLikelihood, gradient, q, pi0 };
  }
  const m = r.m!, gp = r.gradPi0!;
  // A = Q with its last column replaced by ones; πA = e_nᵀ
  let aT: Float64Array | undefined;
  if (fixedPi === undefined) {
    aT = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        aT[j * n + i] = j === n - 1 ? 1 : q[i * n + j]!;
      }
    }
  }
  for (let p = 0; p < k; p++) {
    const d = dq[p]!;
    let g = 0;
    for (let e = 0; e < n * n; e++) g += m[e]! * d[e]!;
    if (aT !== undefined) {
      // dπ Aᵀ... solve Aᵀ dπᵀ = −(π dA)ᵀ, dA = dQ with its last column zeroed
      const rhs = new Float64Array(n);
      for (let j = 0; j < n - 1; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += pi0[i]! * d[i * n + j]!;
        rhs[j] = -s;
      }
      const dpi = _solve(aT, rhs, n);
      if (dpi === undefined) {
        throw new NumericalError("Cannot differentiate the stationary law: A is singular");
      }
      for (let i = 0; i < n; i++) g += gp[i]! * dpi[i]!;
    }
    gradient[p] = g;
  }
  return { logLikelihood: r.logLikelihood, gradient, q, pi0 };
}
