/**
 * Stochastic Lotka–Volterra predator–prey dynamics.
 *
 * @module
 */

import { checkFinite } from "../../kernels/errors.ts";
import { defineSde, type SdeModel } from "../sde.ts";
import { _f32 } from "./_wgsl.ts";

/** Options of {@linkcode stochasticLotkaVolterra}. */
export interface StochasticLotkaVolterraOptions {
  /** Prey growth α, default 1. */
  alpha?: number;
  /** Predation β, default 1. */
  beta?: number;
  /** Predator growth per prey δ, default 1. */
  delta?: number;
  /** Predator death γ, default 1. */
  gamma?: number;
  /** Prey volatility, default 0.1. */
  sigmaPrey?: number;
  /** Predator volatility, default 0.1. */
  sigmaPredator?: number;
}

/**
 * Prey X and predator Y with multiplicative diagonal noise:
 * `dX = X(α − βY)dt + σ₁X dW₁`, `dY = Y(δX − γ)dt + σ₂Y dW₂` (Itô; the
 * environmental-noise model of Arató, "A famous nonlinear stochastic
 * equation", 2003). Milstein correction `(σ₁²X, σ₂²Y)`. No closed-form
 * moments.
 *
 * @param options rates and volatilities
 * @returns the model (d = 2, diagonal noise)
 *
 * @example
 * ```ts
 * import { stochasticLotkaVolterra } from "./stochastic_lotka_volterra.ts";
 * import assert from "node:assert/strict";
 * const lv = stochasticLotkaVolterra();
 * const f = new Float64Array(2);
 * lv.drift(0, Float64Array.of(1, 1), f, 1);
 * assert.deepEqual([...f], [0, 0]); // (γ/δ, α/β) is the equilibrium
 * ```
 */
export function stochasticLotkaVolterra(options: StochasticLotkaVolterraOptions = {}): SdeModel {
  const what = "Cannot build a stochastic Lotka–Volterra model";
  const al = checkFinite(what, "alpha", options.alpha ?? 1);
  const be = checkFinite(what, "beta", options.beta ?? 1);
  const de = checkFinite(what, "delta", options.delta ?? 1);
  const ga = checkFinite(what, "gamma", options.gamma ?? 1);
  const s1 = checkFinite(what, "sigmaPrey", options.sigmaPrey ?? 0.1);
  const s2 = checkFinite(what, "sigmaPredator", options.sigmaPredator ?? 0.1);
  const sde = defineSde({
    name: "stochastic-lotka-volterra",
    dim: 2,
    noise: "diagonal",
    drift: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) {
        const u = x[2 * i]!, v = x[2 * i + 1]!;
        out[2 * i] = u * (al - be * v);
        out[2 * i + 1] = v * (de * u - ga);
      }
    },
    diffusion: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) {
        out[2 * i] = s1 * x[2 * i]!;
        out[2 * i + 1] = s2 * x[2 * i + 1]!;
      }
    },
    diffusionDerivative: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) {
        out[2 * i] = s1 * s1 * x[2 * i]!;
        out[2 * i + 1] = s2 * s2 * x[2 * i + 1]!;
      }
    },
    wgsl: {
      drift: `fn sde_drift(t: f32, x: SdState) -> SdState {
  var xv = x;
  return SdState(xv[0] * (${_f32(al)} - ${_f32(be)} * xv[1]), xv[1] * (${_f32(de)} * xv[0] - ${
        _f32(ga)
      }));
}`,
      diffusion: `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState {
  var xv = x;
  var dv = dw;
  return SdState(${_f32(s1)} * xv[0] * dv[0], ${_f32(s2)} * xv[1] * dv[1]);
}`,
      diffusionDerivative: `fn sde_milstein(t: f32, x: SdState) -> SdState {
  var xv = x;
  return SdState(${_f32(s1 * s1)} * xv[0], ${_f32(s2 * s2)} * xv[1]);
}`,
    },
  });
  return Object.freeze({
    ...sde,
    params: { alpha: al, beta: be, delta: de, gamma: ga, sigmaPrey: s1, sigmaPredator: s2 },
  });
}
