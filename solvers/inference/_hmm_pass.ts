// The scaled forward–backward pass of a continuous-time hidden Markov model
// over one path's observation times (private; Rabiner, Proc. IEEE 77, 1989,
// §V.A for the scaling; the continuous-time form as in Metzner et al., PRE
// 76, 066702, 2007, §III):
//
//   α̂₁ = π₀ ∘ e₁ / c₁,   α̂_{k+1} = (α̂_k P_k) ∘ e_{k+1} / c_{k+1},
//   β̂_L = 1,            β̂_k = P_k (e_{k+1} ∘ β̂_{k+1}) / c_{k+1},
//
// with P_k = exp(Q(t_{k+1} − t_k)), e_k(i) = p(y_k | x = i) and c_k the
// normaliser, so log p(y) = Σ log c_k, the posterior γ_k = α̂_k ∘ β̂_k and
// ξ_k(a, b) = α̂_k(a) P_k(a, b) e_{k+1}(b) β̂_{k+1}(b) / c_{k+1}.
// ∂ log p / ∂P_k(a, b) = u_a v_b with u = α̂_k, v = e_{k+1} ∘ β̂_{k+1} / c_{k+1},
// and ∂ log p / ∂π₀(i) = e₁(i) β̂₁(i) / c₁.

import {
  emissionLikelihoods,
  type EmissionModel,
  type MjpPathObservations,
} from "./observations.ts";
import type { _Propagator } from "./_propagator.ts";

/** p(y_k | x = i) for each observation of a path, row-major L×n. */
export function _emissionTable(model: EmissionModel, path: MjpPathObservations): Float64Array {
  const n = model.n, L = path.values.length;
  const out = new Float64Array(L * n);
  for (let k = 0; k < L; k++) {
    emissionLikelihoods(model, path.values[k]!, out.subarray(k * n, (k + 1) * n));
  }
  return out;
}

/** What a pass writes besides the log-likelihood (each optional). */
export interface _PassOutputs {
  /** Add the interval integrals to the propagator (E-step, gradient). */
  integrals?: boolean;
  /** += ∂ log p / ∂π₀. */
  gradPi0?: Float64Array;
  /** += the posterior at the first observation γ₁. */
  gamma1?: Float64Array;
  /** The posteriors γ_k, row-major L×n (written). */
  posteriors?: Float64Array;
  /** ξ_k, (L−1)×n×n (written). */
  pairwise?: Float64Array;
}

/** Scratch arrays reused across paths. */
export class _PassScratch {
  alpha: Float64Array;
  beta: Float64Array;
  c: Float64Array;
  u: Float64Array;
  v: Float64Array;
  constructor(readonly n: number, maxL: number) {
    this.alpha = new Float64Array(maxL * n);
    this.beta = new Float64Array(maxL * n);
    this.c = new Float64Array(maxL);
    this.u = new Float64Array(n);
    this.v = new Float64Array(n);
  }
}

/**
 * One path's scaled forward–backward. Returns log p(y) (−Infinity when the
 * observations are impossible under Q; then no outputs are written).
 */
export function _pathPass(
  prop: _Propagator,
  pi0: ArrayLike<number>,
  emis: Float64Array,
  times: Float64Array,
  scratch: _PassScratch,
  out: _PassOutputs = {},
): number {
  const n = prop.n, L = times.length;
  const { alpha, beta, c, v } = scratch;
  // forward
  let s = 0;
  for (let i = 0; i < n; i++) s += alpha[i] = pi0[i]! * emis[i]!;
  if (!(s > 0)) return -Infinity;
  c[0] = s;
  for (let i = 0; i < n; i++) alpha[i] = alpha[i]! / s;
  let logp = Math.log(s);
  for (let k = 1; k < L; k++) {
    const p = prop.transition(times[k]! - times[k - 1]!);
    const a0 = (k - 1) * n, a1 = k * n;
    s = 0;
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += alpha[a0 + i]! * p[i * n + j]!;
      // negative rounding noise in P must not make a probability negative
      acc = Math.max(acc, 0) * emis[a1 + j]!;
      alpha[a1 + j] = acc;
      s += acc;
    }
    if (!(s > 0)) return -Infinity;
    c[k] = s;
    for (let j = 0; j < n; j++) alpha[a1 + j] = alpha[a1 + j]! / s;
    logp += Math.log(s);
  }
  const needBack = out.integrals || out.gradPi0 || out.gamma1 || out.posteriors || out.pairwise;
  if (!needBack) return logp;
  // backward
  for (let i = 0; i < n; i++) beta[(L - 1) * n + i] = 1;
  for (let k = L - 2; k >= 0; k--) {
    const dt = times[k + 1]! - times[k]!;
    const p = prop.transition(dt);
    const b1 = (k + 1) * n, b0 = k * n;
    for (let j = 0; j < n; j++) v[j] = emis[b1 + j]! * beta[b1 + j]! / c[k + 1]!;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += p[i * n + j]! * v[j]!;
      beta[b0 + i] = Math.max(acc, 0);
    }
    if (out.integrals) prop.addIntegral(dt, alpha.subarray(b0, b0 + n), v);
    if (out.pairwise) {
      const x = out.pairwise, o = k * n * n;
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          x[o + a * n + b] = alpha[b0 + a]! * Math.max(p[a * n + b]!, 0) * v[b]!;
        }
      }
    }
  }
  if (out.gradPi0) {
    for (let i = 0; i < n; i++) out.gradPi0[i] = out.gradPi0[i]! + emis[i]! * beta[i]! / c[0]!;
  }
  if (out.gamma1) {
    for (let i = 0; i < n; i++) out.gamma1[i] = out.gamma1[i]! + alpha[i]! * beta[i]!;
  }
  if (out.posteriors) {
    for (let k = 0; k < L * n; k++) out.posteriors[k] = alpha[k]! * beta[k]!;
  }
  return logp;
}
