/**
 * The (multivariate) Ornstein–Uhlenbeck process.
 *
 * @module
 */

import { checkFinite, SdenoTypeError } from "../../kernels/errors.ts";
import { defineSde, type SdeModel } from "../sde.ts";
import { _f32 } from "./_wgsl.ts";

/** Options of {@linkcode ornsteinUhlenbeck}; a number applies to every component. */
export interface OrnsteinUhlenbeckOptions {
  /** Mean-reversion rates θ (> 0 for a stationary process): a number or d values (diagonal Θ). */
  theta: number | readonly number[];
  /** Long-run mean μ: a number or d values. */
  mu: number | readonly number[];
  /** Noise: a number or d values (diagonal Σ, m = d), or a d×m matrix given with `noiseDim`. */
  sigma: number | readonly number[];
  /** Dimension d, default from the longest vector option (or 1). */
  dim?: number;
  /** Brownian dimension m when `sigma` is a d×m matrix. */
  noiseDim?: number;
}

/**
 * `dX = Θ(μ − X)dt + Σ dW`, Θ diagonal, additive noise (Uhlenbeck &
 * Ornstein 1930). Exact moments: `E[Xᵢ(t)] = μᵢ + (x₀ᵢ − μᵢ)e^{−θᵢt}`,
 * `Var[Xᵢ(t)] = (ΣΣᵀ)ᵢᵢ(1 − e^{−2θᵢt})/(2θᵢ)` (t·(ΣΣᵀ)ᵢᵢ when θᵢ = 0).
 *
 * @param options θ, μ, σ and dimensions
 * @returns the model
 * @throws {SdenoTypeError} for option lengths that do not fit d (or d×m)
 *
 * @example
 * ```ts
 * import { ornsteinUhlenbeck } from "./ornstein_uhlenbeck.ts";
 * import assert from "node:assert/strict";
 * const ou = ornsteinUhlenbeck({ theta: 2, mu: 1, sigma: 2 });
 * assert.equal(ou.noise, "additive");
 * assert.ok(Math.abs(ou.moments!(100, [0]).variance[0]! - 1) < 1e-12);
 * ```
 */
export function ornsteinUhlenbeck(options: OrnsteinUhlenbeckOptions): SdeModel {
  const what = "Cannot build an Ornstein–Uhlenbeck process";
  const len = (v: number | readonly number[]) => (typeof v === "number" ? 1 : v.length);
  const matrix = options.noiseDim !== undefined;
  const d = options.dim ??
    Math.max(len(options.theta), len(options.mu), matrix ? 1 : len(options.sigma));
  const m = options.noiseDim ?? d;
  const vec = (name: string, v: number | readonly number[], size: number): Float64Array => {
    if (typeof v === "number") return new Float64Array(size).fill(checkFinite(what, name, v));
    if (v.length !== size) {
      throw new SdenoTypeError(`${what}: ${name} must have ${size} values, got ${v.length}`);
    }
    return Float64Array.from(v, (x, i) => checkFinite(what, `${name}[${i}]`, x));
  };
  const theta = vec("theta", options.theta, d);
  const mu = vec("mu", options.mu, d);
  let S: Float64Array; // d×m
  if (matrix) {
    S = vec("sigma", options.sigma, d * m);
  } else {
    const s = vec("sigma", options.sigma, d);
    S = new Float64Array(d * m);
    for (let i = 0; i < d; i++) S[i * m + i] = s[i]!;
  }
  const diagonal = !matrix;
  const sdeDiag = diagonal ? Array.from(S.filter((_, k) => k % (m + 1) === 0)) : [];
  const sde = defineSde({
    name: "ornstein-uhlenbeck",
    dim: d,
    noiseDim: m,
    noise: "additive",
    drift: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < d; r++) out[i * d + r] = theta[r]! * (mu[r]! - x[i * d + r]!);
      }
    },
    diffusion: (_t, _x, out, n) => {
      // constant in x: plain copies (a typed-array set() per point costs more than the copy)
      const k = d * m;
      if (k === 1) {
        out.fill(S[0]!, 0, n);
        return;
      }
      for (let i = 0; i < n; i++) for (let e = 0; e < k; e++) out[i * k + e] = S[e]!;
    },
    wgsl: diagonal
      ? {
        drift: `fn sde_drift(t: f32, x: SdState) -> SdState {
  var o: SdState;
  var xv = x;
${
          Array.from(theta, (th, r) => `  o[${r}] = ${_f32(th)} * (${_f32(mu[r]!)} - xv[${r}]);`)
            .join("\n")
        }
  return o;
}`,
        diffusion: `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState {
  var o: SdState;
  var dv = dw;
${sdeDiag.map((s, r) => `  o[${r}] = ${_f32(s)} * dv[${r}];`).join("\n")}
  return o;
}`,
      }
      : undefined,
  });
  return Object.freeze({
    ...sde,
    params: { theta: [...theta], mu: [...mu], sigma: [...S] },
    moments: (t: number, x0: ArrayLike<number>) => {
      const mean = new Float64Array(d), variance = new Float64Array(d);
      for (let r = 0; r < d; r++) {
        const th = theta[r]!;
        let ss = 0;
        for (let k = 0; k < m; k++) ss += S[r * m + k]! * S[r * m + k]!;
        mean[r] = mu[r]! + (x0[x0.length === 1 ? 0 : r]! - mu[r]!) * Math.exp(-th * t);
        variance[r] = th === 0 ? ss * t : (ss * -Math.expm1(-2 * th * t)) / (2 * th);
      }
      return { mean, variance };
    },
  });
}
