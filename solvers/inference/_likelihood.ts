// The log-likelihood of many paths with its sufficient statistics (private):
// log p = Σ_paths log p(y), M = Σ_paths Σ_intervals ∫ exp(Qᵀs) u vᵀ exp(Qᵀ(Δ−s)) ds
// (= ∂ log p / ∂Q, and the E-step's dwell times and jump counts, see
// _propagator.ts), ∂ log p / ∂π₀ and Σ γ₁.

import { _emissionTable, _PassScratch, _pathPass } from "./_hmm_pass.ts";
import { _propagator, type _PropagatorMethod } from "./_propagator.ts";
import type { EmissionModel, MjpObservations } from "./observations.ts";

/** Observations prepared once: emission tables per path and scratch space. */
export interface _Prepared {
  n: number;
  times: Float64Array[];
  emis: Float64Array[];
  scratch: _PassScratch;
  /** Total number of observations. */
  count: number;
}

export function _prepare(observations: MjpObservations, emission: EmissionModel): _Prepared {
  let maxL = 0, count = 0;
  for (const p of observations.paths) {
    maxL = Math.max(maxL, p.times.length);
    count += p.times.length;
  }
  return {
    n: observations.n,
    times: observations.paths.map((p) => p.times),
    emis: observations.paths.map((p) => _emissionTable(emission, p)),
    scratch: new _PassScratch(observations.n, maxL),
    count,
  };
}

export interface _LikelihoodOutputs {
  logLikelihood: number;
  /** Σ M (when integrals were asked). */
  m?: Float64Array;
  /** ∂ log p / ∂π₀ (when asked). */
  gradPi0?: Float64Array;
  /** Σ_paths γ₁ (when asked). */
  gamma1?: Float64Array;
  /** How P(Δ) was computed. */
  method: "eigen" | "vanLoan";
}

export function _likelihood(
  q: Float64Array,
  pi0: ArrayLike<number>,
  data: _Prepared,
  want: { integrals?: boolean; gradPi0?: boolean; gamma1?: boolean },
  method: _PropagatorMethod = "auto",
): _LikelihoodOutputs {
  const n = data.n;
  const prop = _propagator(q, n, method);
  const gradPi0 = want.gradPi0 ? new Float64Array(n) : undefined;
  const gamma1 = want.gamma1 ? new Float64Array(n) : undefined;
  const outs = {
    ...(want.integrals ? { integrals: true } : {}),
    ...(gradPi0 ? { gradPi0 } : {}),
    ...(gamma1 ? { gamma1 } : {}),
  };
  let logp = 0;
  for (let p = 0; p < data.times.length; p++) {
    logp += _pathPass(prop, pi0, data.emis[p]!, data.times[p]!, data.scratch, outs);
    if (logp === -Infinity) break;
  }
  return {
    logLikelihood: logp,
    method: prop.method,
    ...(want.integrals ? { m: prop.takeIntegral() } : {}),
    ...(gradPi0 ? { gradPi0 } : {}),
    ...(gamma1 ? { gamma1 } : {}),
  };
}
