/**
 * Stochastic interpolants (Albergo, Boffi & Vanden-Eijnden, "Stochastic
 * Interpolants: A Unifying Framework for Flows and Diffusions",
 * arXiv:2303.08797, §2–3): the process
 *
 * ```
 * x_t = α(t) x₀ + β(t) x₁ + γ(t) z,   t ∈ [0, 1],   z ~ N(0, I) independent of (x₀, x₁)
 * ```
 *
 * with `α(0) = β(1) = 1`, `α(1) = β(0) = 0` and a latent noise γ that
 * vanishes at both ends, so x_t bridges the law of x₀ to that of x₁. The
 * linear (α = 1 − t, β = t) and trigonometric (α = cos(πt/2), β =
 * sin(πt/2)) interpolants of the paper (its eq. 2.12 and Table 1) are here,
 * with the latent noise `γ(t) = sqrt(a t (1 − t))` (the paper's choice in
 * §3.4 and its experiments) or none. Because γ̇ is infinite at the ends of
 * that γ, the interpolant also gives `γ γ̇ = a (1 − 2t)/2`, which is what
 * the velocity needs (`E[γ̇ z | x_t] = −γ̇ γ s(t, x)`, the paper's eq. 2.17).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

/** A stochastic interpolant's coefficients and their time derivatives. */
export interface StochasticInterpolant {
  /** A short name, e.g. "linear". */
  readonly name: string;
  /** The latent noise scale a of γ(t) = sqrt(a t (1 − t)) (0: no latent noise). */
  readonly latentScale: number;
  /** α(t), the weight of x₀. */
  alpha(t: number): number;
  /** β(t), the weight of x₁. */
  beta(t: number): number;
  /** γ(t), the weight of the latent z. */
  gamma(t: number): number;
  /** α̇(t). */
  dAlpha(t: number): number;
  /** β̇(t). */
  dBeta(t: number): number;
  /** γ(t) γ̇(t) (finite on [0, 1] although γ̇ is not). */
  gammaDGamma(t: number): number;
}

/** Options of the interpolants. */
export interface InterpolantOptions {
  /** a ≥ 0 in γ(t) = sqrt(a t (1 − t)) (default 0: a deterministic interpolant). */
  latentScale?: number;
}

/**
 * The linear interpolant `x_t = (1 − t) x₀ + t x₁ + γ(t) z` (the paper's
 * "spatially linear" interpolant; with x₀ Gaussian and a = 0 it is
 * rectified flow).
 *
 * @param options the latent noise scale a
 * @returns the interpolant
 * @throws {SdenoRangeError} for a negative or non-finite a
 *
 * @example
 * ```ts
 * import { linearInterpolant } from "./interpolant.ts";
 * import assert from "node:assert/strict";
 * const I = linearInterpolant({ latentScale: 2 });
 * assert.equal(I.alpha(0.25), 0.75);
 * assert.ok(Math.abs(I.gamma(0.5) - Math.sqrt(0.5)) < 1e-15);
 * assert.equal(I.gammaDGamma(0.25), 0.5);
 * ```
 */
export function linearInterpolant(options: InterpolantOptions = {}): StochasticInterpolant {
  const a = latentScale("Cannot make the linear interpolant", options);
  return Object.freeze({
    name: "linear",
    latentScale: a,
    alpha: (t: number) => 1 - t,
    beta: (t: number) => t,
    dAlpha: () => -1,
    dBeta: () => 1,
    ...latent(a),
  });
}

/**
 * The trigonometric interpolant `x_t = cos(πt/2) x₀ + sin(πt/2) x₁ + γ(t) z`
 * (α² + β² = 1: variance preserving for standardised endpoints).
 *
 * @param options the latent noise scale a
 * @returns the interpolant
 * @throws {SdenoRangeError} for a negative or non-finite a
 *
 * @example
 * ```ts
 * import { trigonometricInterpolant } from "./interpolant.ts";
 * import assert from "node:assert/strict";
 * const I = trigonometricInterpolant();
 * assert.ok(Math.abs(I.alpha(0.3) ** 2 + I.beta(0.3) ** 2 - 1) < 1e-15);
 * assert.equal(I.gamma(0.3), 0);
 * ```
 */
export function trigonometricInterpolant(options: InterpolantOptions = {}): StochasticInterpolant {
  const a = latentScale("Cannot make the trigonometric interpolant", options);
  const w = Math.PI / 2;
  return Object.freeze({
    name: "trigonometric",
    latentScale: a,
    alpha: (t: number) => Math.cos(w * t),
    beta: (t: number) => Math.sin(w * t),
    dAlpha: (t: number) => -w * Math.sin(w * t),
    dBeta: (t: number) => w * Math.cos(w * t),
    ...latent(a),
  });
}

function latentScale(what: string, options: InterpolantOptions): number {
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const a = options.latentScale ?? 0;
  if (typeof a !== "number" || !(a >= 0) || !Number.isFinite(a)) {
    throw new SdenoRangeError(`${what}: latentScale must be a finite number ≥ 0, got ${quote(a)}`);
  }
  return a;
}

/** γ(t) = sqrt(a t (1 − t)) and γγ̇ = a (1 − 2t)/2. */
function latent(a: number) {
  return {
    gamma: (t: number) => Math.sqrt(a * Math.max(t * (1 - t), 0)),
    gammaDGamma: (t: number) => a * (1 - 2 * t) / 2,
  };
}
