/**
 * Overdamped Langevin dynamics in a double well.
 *
 * @module
 */

import { checkFinite, checkInteger } from "../../kernels/errors.ts";
import { defineSde, type SdeModel } from "../sde.ts";
import { _elementwise, _f32 } from "./_wgsl.ts";

/** Options of {@linkcode doubleWellLangevin}. */
export interface DoubleWellLangevinOptions {
  /** Barrier height a of U(x) = a(x² − 1)², default 1. */
  barrier?: number;
  /** Inverse temperature β, default 1: the noise is √(2/β). */
  beta?: number;
  /** Number of independent coordinates, default 1. */
  dim?: number;
}

/**
 * `dXᵢ = −U'(Xᵢ)dt + √(2/β) dWᵢ` with `U(x) = a(x² − 1)²`, so
 * `U'(x) = 4ax(x² − 1)`: additive noise, stationary density ∝ e^{−βU}
 * (the Langevin/Smoluchowski equation; Pavliotis, "Stochastic Processes and
 * Applications", 2014, §4.5). The `params.stationaryMeanSquare` entry is
 * `E[X²]` under the stationary law (by quadrature).
 *
 * @param options barrier, temperature, dimension
 * @returns the model
 *
 * @example
 * ```ts
 * import { doubleWellLangevin } from "./double_well_langevin.ts";
 * import assert from "node:assert/strict";
 * const dw = doubleWellLangevin({ barrier: 1, beta: 2 });
 * const out = new Float64Array(1);
 * dw.drift(0, Float64Array.of(1), out, 1);
 * assert.equal(Math.abs(out[0]!), 0); // the bottom of a well
 * ```
 */
export function doubleWellLangevin(options: DoubleWellLangevinOptions = {}): SdeModel {
  const what = "Cannot build double-well Langevin dynamics";
  const a = checkFinite(what, "barrier", options.barrier ?? 1);
  const beta = checkFinite(what, "beta", options.beta ?? 1);
  const dim = checkInteger(what, "dim", options.dim ?? 1, 1);
  const s = Math.sqrt(2 / beta);
  // E[x²] under ∝ exp(−βa(x²−1)²), by the trapezoid rule on [−4, 4]
  let z = 0, z2 = 0;
  for (let k = 0; k <= 8000; k++) {
    const x = -4 + k * 1e-3;
    const p = Math.exp(-beta * a * (x * x - 1) ** 2) * (k === 0 || k === 8000 ? 0.5 : 1);
    z += p;
    z2 += p * x * x;
  }
  const sde = defineSde({
    name: "double-well-langevin",
    dim,
    noiseDim: dim,
    noise: "additive",
    drift: (_t, x, out, n) => {
      for (let e = 0; e < n * dim; e++) {
        const v = x[e]!;
        out[e] = -4 * a * v * (v * v - 1);
      }
    },
    diffusion: (_t, _x, out, n) => {
      out.fill(0, 0, n * dim * dim);
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < dim; r++) out[i * dim * dim + r * dim + r] = s;
      }
    },
    wgsl: {
      drift: _elementwise(
        "sde_drift",
        "t: f32, x: SdState",
        `${_f32(-4 * a)} * xi * (xi * xi - 1.0)`,
      ),
      diffusion: _elementwise(
        "sde_diffusion",
        "t: f32, x: SdState, dw: SdNoise",
        `${_f32(s)} * dv[i]`,
      ),
    },
  });
  return Object.freeze({ ...sde, params: { barrier: a, beta, stationaryMeanSquare: z2 / z } });
}
