/**
 * The exact velocity and score of a stochastic interpolant
 * `x_t = α x₀ + β x₁ + γ z` (Albergo, Boffi & Vanden-Eijnden,
 * arXiv:2303.08797) between two Gaussian mixtures with per-dimension
 * variances, `x₀ ~ Σⱼ uⱼ N(m⁰ⱼ, diag(v⁰ⱼ))` (a standard normal is the
 * one-component case) and `x₁ ~ Σₖ wₖ N(m¹ₖ, diag(v¹ₖ))`, independent, with
 * z ~ N(0, I).
 *
 * Derivation: given the pair of components (j, k), (x₀, x₁, z, x_t) is
 * jointly Gaussian, `x_t | jk ~ N(M_jk, diag(q_jk))` with
 * `M_jk = α m⁰ⱼ + β m¹ₖ`, `q_jk = α² v⁰ⱼ + β² v¹ₖ + γ²`, so x_t is the
 * mixture of the J·K pairs with weights uⱼ wₖ. With responsibilities
 * `r_jk(x) ∝ uⱼ wₖ N(x; M_jk, q_jk)` and `res_jk = (x − M_jk)/q_jk`, the
 * Gaussian conditionals give
 *
 * ```
 * E[x₀ | x, jk] = m⁰ⱼ + α v⁰ⱼ res,  E[x₁ | x, jk] = m¹ₖ + β v¹ₖ res,  E[z | x, jk] = γ res
 * b(t, x) = Σ r_jk [ α̇ m⁰ⱼ + β̇ m¹ₖ + (α̇ α v⁰ⱼ + β̇ β v¹ₖ + γ γ̇) res_jk ]   (paper eq. 2.10)
 * s(t, x) = −Σ r_jk res_jk                                              (paper eq. 2.17)
 * ```
 *
 * Everything is evaluated in float64 on the host.
 *
 * @module
 */

import type { DeviceArray } from "../kernels/mod.ts";
import { quote, SdenoTypeError } from "../kernels/errors.ts";
import type { StochasticInterpolant } from "../processes/interpolant.ts";
import type { InterpolantModel } from "../processes/interpolant_model.ts";
import type { GaussianMixtureSpec } from "./gaussian_mixture.ts";
import { checkMixture } from "./_check_mixture.ts";
import { checkBatch, hostCopy, store } from "./_host.ts";

/** The exact interpolant model of two Gaussian mixtures. */
export interface MixtureInterpolantModel extends InterpolantModel {
  /** The exact score (always present). */
  score(x: DeviceArray, t: number, out: DeviceArray): Promise<void>;
  /** The fused drift b + c·s (always present). */
  drift(x: DeviceArray, t: number, c: number, out: DeviceArray): Promise<void>;
  /**
   * Float64 evaluation on host arrays: the velocity, the score and the
   * conditional means E[x₀ | x_t], E[x₁ | x_t] of the n points of x at t,
   * and the drift b + c·s (each output optional).
   */
  evaluate(
    x: Float64Array,
    t: number,
    out: {
      velocity?: Float64Array;
      score?: Float64Array;
      x0?: Float64Array;
      x1?: Float64Array;
      drift?: { c: number; out: Float64Array };
    },
  ): void;
  /** The mean and per-dimension variance of each of the J·K components of x_t (pair (j, k) at j·K + k). */
  marginal(t: number): { weights: Float64Array; means: Float64Array; variances: Float64Array };
}

/**
 * The exact velocity and score of the interpolant between two Gaussian
 * mixtures (see the module doc).
 *
 * @param x0 the mixture of x₀ (e.g. `{ weights: [1], means: [[0, 0]], variances: [[1, 1]] }`)
 * @param x1 the mixture of x₁ (same dimension)
 * @param interpolant the interpolant
 * @returns the exact model
 * @throws {SdenoTypeError} for mixtures of different dimensions, or a bad mixture
 *
 * @example Gaussian to Gaussian, linear interpolant: b is affine in x
 * ```ts
 * import { mixtureInterpolant } from "./mixture_interpolant.ts";
 * import { linearInterpolant } from "../processes/interpolant.ts";
 * import assert from "node:assert/strict";
 * const I = linearInterpolant();
 * const m = mixtureInterpolant(
 *   { weights: [1], means: [[0]], variances: [[1]] },
 *   { weights: [1], means: [[2]], variances: [[4]] }, I);
 * const t = 0.5, x = 1.5, v = { velocity: new Float64Array(1), score: new Float64Array(1) };
 * m.evaluate(Float64Array.of(x), t, v);
 * // x_t ~ N(1, 0.25 + 1): b = 2 + (−0.5 + 2)(x − 1)/1.25, s = −(x − 1)/1.25
 * assert.ok(Math.abs(v.velocity[0]! - (2 + 1.5 * 0.5 / 1.25)) < 1e-14);
 * assert.ok(Math.abs(v.score[0]! + 0.5 / 1.25) < 1e-14);
 * ```
 */
export function mixtureInterpolant(
  x0: GaussianMixtureSpec,
  x1: GaussianMixtureSpec,
  interpolant: StochasticInterpolant,
): MixtureInterpolantModel {
  const what = "Cannot make the mixture interpolant model";
  const a = checkMixture(x0), b = checkMixture(x1);
  if (a.d !== b.d) {
    throw new SdenoTypeError(`${what}: x0 has dimension ${a.d}, x1 has ${quote(b.d)}`);
  }
  const I = interpolant;
  if (I === null || typeof I !== "object" || typeof I.gammaDGamma !== "function") {
    throw new SdenoTypeError(
      `${what}: interpolant must be a StochasticInterpolant, got ${quote(I)}`,
    );
  }
  const d = a.d, K = a.k * b.k;
  const logW = new Float64Array(K);
  for (let j = 0; j < a.k; j++) {
    for (let k = 0; k < b.k; k++) logW[j * b.k + k] = Math.log(a.w[j]!) + Math.log(b.w[k]!);
  }

  function marginal(t: number) {
    const al = I.alpha(t), be = I.beta(t), g2 = I.gamma(t) ** 2;
    const means = new Float64Array(K * d), variances = new Float64Array(K * d);
    const weights = logW.map(Math.exp);
    for (let j = 0; j < a.k; j++) {
      for (let k = 0; k < b.k; k++) {
        for (let e = 0; e < d; e++) {
          const c = (j * b.k + k) * d + e;
          means[c] = al * a.mu[j * d + e]! + be * b.mu[k * d + e]!;
          variances[c] = al * al * a.v[j * d + e]! + be * be * b.v[k * d + e]! + g2;
        }
      }
    }
    return { weights, means, variances };
  }

  function evaluate(
    x: Float64Array,
    t: number,
    out: {
      velocity?: Float64Array;
      score?: Float64Array;
      x0?: Float64Array;
      x1?: Float64Array;
      drift?: { c: number; out: Float64Array };
    },
  ): void {
    const al = I.alpha(t), be = I.beta(t), da = I.dAlpha(t), db = I.dBeta(t);
    const gg = I.gammaDGamma(t);
    const { means, variances } = marginal(t);
    const logit = new Float64Array(K), r = new Float64Array(K);
    const n = x.length / d;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < K; c++) {
        let l = logW[c]!;
        for (let e = 0; e < d; e++) {
          const q = variances[c * d + e]!, u = x[i * d + e]! - means[c * d + e]!;
          l -= 0.5 * (u * u / q + Math.log(q));
        }
        logit[c] = l;
        if (l > max) max = l;
      }
      let total = 0;
      for (let c = 0; c < K; c++) total += r[c] = Math.exp(logit[c]! - max);
      for (let e = 0; e < d; e++) {
        let vel = 0, sc = 0, e0 = 0, e1 = 0;
        for (let c = 0; c < K; c++) {
          const j = Math.floor(c / b.k), k = c % b.k, w = r[c]! / total;
          const res = (x[i * d + e]! - means[c * d + e]!) / variances[c * d + e]!;
          const v0 = a.v[j * d + e]!, v1 = b.v[k * d + e]!;
          const m0 = a.mu[j * d + e]!, m1 = b.mu[k * d + e]!;
          vel += w * (da * m0 + db * m1 + (da * al * v0 + db * be * v1 + gg) * res);
          sc -= w * res;
          e0 += w * (m0 + al * v0 * res);
          e1 += w * (m1 + be * v1 * res);
        }
        if (out.velocity) out.velocity[i * d + e] = vel;
        if (out.score) out.score[i * d + e] = sc;
        if (out.x0) out.x0[i * d + e] = e0;
        if (out.x1) out.x1[i * d + e] = e1;
        if (out.drift) out.drift.out[i * d + e] = vel + out.drift.c * sc;
      }
    }
  }

  const call =
    (kind: "velocity" | "score") =>
    async (x: DeviceArray, t: number, out: DeviceArray): Promise<void> => {
      checkBatch(`Cannot evaluate the mixture interpolant's ${kind}`, d, x, out);
      const h = await hostCopy(x), o = new Float64Array(x.length);
      evaluate(h, t, { [kind]: o });
      await store(out, o);
    };

  const drift = async (x: DeviceArray, t: number, c: number, out: DeviceArray): Promise<void> => {
    checkBatch("Cannot evaluate the mixture interpolant's drift", d, x, out);
    const h = await hostCopy(x), o = new Float64Array(x.length);
    evaluate(h, t, { drift: { c, out: o } });
    await store(out, o);
  };

  return Object.freeze({
    dim: d,
    interpolant: I,
    velocity: call("velocity"),
    score: call("score"),
    drift,
    evaluate,
    marginal,
  });
}
