/**
 * Geometric Brownian motion.
 *
 * @module
 */

import { checkFinite, checkInteger } from "../../kernels/errors.ts";
import { type Calculus, defineSde, type SdeModel } from "../sde.ts";
import { _elementwise, _f32 } from "./_wgsl.ts";

/** Options of {@linkcode geometricBrownianMotion}. */
export interface GeometricBrownianMotionOptions {
  /** Itô drift rate μ. */
  mu: number;
  /** Volatility σ. */
  sigma: number;
  /** Number of independent components (diagonal noise), default 1. */
  dim?: number;
  /** Write it as an Itô (default) or a Stratonovich SDE (drift μ − σ²/2); same process. */
  calculus?: Calculus;
}

/**
 * `dXᵢ = μXᵢ dt + σXᵢ dWᵢ` (Itô), or `dXᵢ = (μ − σ²/2)Xᵢ dt + σXᵢ ∘ dWᵢ`,
 * with the exact solution `X(t) = X₀ exp((μ − σ²/2)t + σW(t))`, mean
 * `X₀e^{μt}` and variance `X₀²e^{2μt}(e^{σ²t} − 1)` (Kloeden & Platen 1992,
 * §4.4, eq. 4.4.6). Milstein correction `(L¹g)ᵢ = σ²Xᵢ`.
 *
 * @param options μ, σ, dimension and calculus
 * @returns the model
 *
 * @example
 * ```ts
 * import { geometricBrownianMotion } from "./geometric_brownian_motion.ts";
 * import assert from "node:assert/strict";
 * const gbm = geometricBrownianMotion({ mu: 2, sigma: 1 });
 * assert.equal(gbm.moments!(1, [1]).mean[0], Math.exp(2));
 * ```
 */
export function geometricBrownianMotion(options: GeometricBrownianMotionOptions): SdeModel {
  const what = "Cannot build geometric Brownian motion";
  const mu = checkFinite(what, "mu", options.mu);
  const sigma = checkFinite(what, "sigma", options.sigma);
  const dim = checkInteger(what, "dim", options.dim ?? 1, 1);
  const calculus = options.calculus ?? "ito";
  const a = calculus === "ito" ? mu : mu - 0.5 * sigma * sigma;
  const sde = defineSde({
    name: `gbm-${calculus}`,
    dim,
    noise: "diagonal",
    calculus,
    drift: (_t, x, out, n) => {
      for (let e = 0; e < n * dim; e++) out[e] = a * x[e]!;
    },
    diffusion: (_t, x, out, n) => {
      for (let e = 0; e < n * dim; e++) out[e] = sigma * x[e]!;
    },
    diffusionDerivative: (_t, x, out, n) => {
      for (let e = 0; e < n * dim; e++) out[e] = sigma * sigma * x[e]!;
    },
    wgsl: {
      drift: _elementwise("sde_drift", "t: f32, x: SdState", `${_f32(a)} * xi`),
      diffusion: _elementwise(
        "sde_diffusion",
        "t: f32, x: SdState, dw: SdNoise",
        `${_f32(sigma)} * xi * dv[i]`,
      ),
      diffusionDerivative: _elementwise(
        "sde_milstein",
        "t: f32, x: SdState",
        `${_f32(sigma * sigma)} * xi`,
      ),
    },
  });
  return Object.freeze({
    ...sde,
    params: { mu, sigma },
    moments: (t: number, x0: ArrayLike<number>) => {
      const mean = new Float64Array(dim), variance = new Float64Array(dim);
      for (let i = 0; i < dim; i++) {
        const x = x0[x0.length === 1 ? 0 : i]!;
        mean[i] = x * Math.exp(mu * t);
        variance[i] = x * x * Math.exp(2 * mu * t) * Math.expm1(sigma * sigma * t);
      }
      return { mean, variance };
    },
    solution: (t: number, x0: ArrayLike<number>, w: ArrayLike<number>) => {
      const out = new Float64Array(dim);
      for (let i = 0; i < dim; i++) {
        out[i] = x0[x0.length === 1 ? 0 : i]! *
          Math.exp((mu - 0.5 * sigma * sigma) * t + sigma * w[i]!);
      }
      return out;
    },
  });
}
