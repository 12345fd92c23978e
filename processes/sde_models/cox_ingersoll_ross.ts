/**
 * The Cox–Ingersoll–Ross process.
 *
 * @module
 */

import { checkFinite } from "../../kernels/errors.ts";
import { defineSde, type SdeModel } from "../sde.ts";
import { _f32 } from "./_wgsl.ts";

/** Options of {@linkcode coxIngersollRoss}. */
export interface CoxIngersollRossOptions {
  /** Mean-reversion rate κ. */
  kappa: number;
  /** Long-run mean θ. */
  theta: number;
  /** Volatility σ. */
  sigma: number;
}

/**
 * `dX = κ(θ − X)dt + σ√X⁺ dW` (Cox, Ingersoll & Ross 1985), with
 * `E[X(t)] = θ + (x₀ − θ)e^{−κt}` and
 * `Var[X(t)] = x₀σ²(e^{−κt} − e^{−2κt})/κ + θσ²(1 − e^{−κt})²/(2κ)`. The
 * square root sees max(X, 0), so discretisations that step below zero stay
 * finite. Milstein correction `σ²/2` (for X > 0).
 *
 * @param options κ, θ, σ
 * @returns the model (one component, diagonal noise)
 *
 * @example
 * ```ts
 * import { coxIngersollRoss } from "./cox_ingersoll_ross.ts";
 * import assert from "node:assert/strict";
 * const cir = coxIngersollRoss({ kappa: 1, theta: 0.5, sigma: 0.3 });
 * assert.ok(Math.abs(cir.moments!(50, [0.1]).mean[0]! - 0.5) < 1e-12);
 * ```
 */
export function coxIngersollRoss(options: CoxIngersollRossOptions): SdeModel {
  const what = "Cannot build a Cox–Ingersoll–Ross process";
  const kappa = checkFinite(what, "kappa", options.kappa);
  const theta = checkFinite(what, "theta", options.theta);
  const sigma = checkFinite(what, "sigma", options.sigma);
  const sde = defineSde({
    name: "cox-ingersoll-ross",
    dim: 1,
    noise: "diagonal",
    drift: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) out[i] = kappa * (theta - x[i]!);
    },
    diffusion: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) out[i] = sigma * Math.sqrt(Math.max(x[i]!, 0));
    },
    diffusionDerivative: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? 0.5 * sigma * sigma : 0;
    },
    wgsl: {
      drift: `fn sde_drift(t: f32, x: SdState) -> SdState {
  var xv = x;
  return SdState(${_f32(kappa)} * (${_f32(theta)} - xv[0]));
}`,
      diffusion: `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState {
  var xv = x;
  var dv = dw;
  return SdState(${_f32(sigma)} * sqrt(max(xv[0], 0.0)) * dv[0]);
}`,
      diffusionDerivative: `fn sde_milstein(t: f32, x: SdState) -> SdState {
  var xv = x;
  return SdState(select(0.0, ${_f32(0.5 * sigma * sigma)}, xv[0] > 0.0));
}`,
    },
  });
  return Object.freeze({
    ...sde,
    params: { kappa, theta, sigma },
    moments: (t: number, x0: ArrayLike<number>) => {
      const x = x0[0]!;
      const e1 = Math.exp(-kappa * t);
      return {
        mean: Float64Array.of(theta + (x - theta) * e1),
        variance: Float64Array.of(
          (x * sigma * sigma * (e1 - e1 * e1)) / kappa +
            (theta * sigma * sigma * (1 - e1) * (1 - e1)) / (2 * kappa),
        ),
      };
    },
  });
}
