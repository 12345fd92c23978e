/**
 * The forward SDEs of score-based diffusion models: variance exploding,
 * variance preserving, and mean reverting.
 *
 * @module
 */

import { checkFinite, checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { defineSde, type SdeModel } from "../sde.ts";
import { _elementwise, _f32 } from "./_wgsl.ts";

/** Which forward SDE {@linkcode diffusionModelSde} builds. */
export type DiffusionSdeKind = "ve" | "vp" | "mean-reverting" | "ouve";

/** Options of {@linkcode diffusionModelSde}. */
export interface DiffusionSdeOptions {
  /** Data dimension, default 1. */
  dim?: number;
  /** VE: σ_min (default 0.01) and σ_max (default 50). */
  sigmaMin?: number;
  /** VE: σ_max. */
  sigmaMax?: number;
  /** VP: β_min (default 0.1) and β_max (default 20). */
  betaMin?: number;
  /** VP: β_max. */
  betaMax?: number;
  /** Mean-reverting: rate θ (default 1). */
  theta?: number;
  /** Mean-reverting: the mean μ (default 0). */
  mu?: number;
  /** Mean-reverting: stationary standard deviation λ (default 1). */
  lambda?: number;
  /** OUVE: stiffness γ (default 1.5); σ_min (default 0.05) and σ_max (default 0.5) as for VE. */
  gamma?: number;
}

/**
 * The forward SDE of a diffusion model, with exact marginal moments, on t ∈ [0, 1]:
 *
 * - `ve` (Song et al., "Score-based generative modeling through SDEs", ICLR
 *   2021, eq. 30): `dX = σ(t)√(2 log(σmax/σmin)) dW`, σ(t) = σmin(σmax/σmin)^t;
 *   mean x₀, variance σ(t)² − σmin²;
 * - `vp` (ibid., eq. 32): `dX = −½β(t)X dt + √β(t) dW`, β linear from βmin to
 *   βmax; mean x₀e^{−½B(t)}, variance 1 − e^{−B(t)}, B = ∫₀ᵗβ;
 * - `mean-reverting` (IR-SDE, Luo et al., "Image restoration with
 *   mean-reverting SDEs", ICML 2023, eq. 3 with constant θ):
 *   `dX = θ(μ − X)dt + √(2λ²θ) dW`; mean μ + (x₀ − μ)e^{−θt}, variance
 *   λ²(1 − e^{−2θt});
 * - `ouve` (the Ornstein–Uhlenbeck variance-exploding SDE of SGMSE, Welker,
 *   Richter & Gerkmann, Interspeech 2022, eq. 5; Richter et al., IEEE/ACM
 *   TASLP 2023): `dX = γ(μ − X)dt + σ(t)√(2 log(σmax/σmin)) dW` with the VE
 *   σ(t); mean μ + (x₀ − μ)e^{−γt}, variance
 *   σmin² r (e^{2rt} − e^{−2γt})/(γ + r), r = log(σmax/σmin).
 *
 * All have additive noise (m = d, diagonal).
 *
 * @param kind which SDE
 * @param options its constants
 * @returns the model
 * @throws {SdenoRangeError} for an unknown kind
 *
 * @example VP keeps unit variance from a unit-variance start
 * ```ts
 * import { diffusionModelSde } from "./diffusion_model_sdes.ts";
 * import assert from "node:assert/strict";
 * const vp = diffusionModelSde("vp");
 * const { mean, variance } = vp.moments!(0.5, [1]);
 * assert.ok(Math.abs(mean[0]! ** 2 + variance[0]! - 1) < 1e-12);
 * ```
 */
export function diffusionModelSde(
  kind: DiffusionSdeKind,
  options: DiffusionSdeOptions = {},
): SdeModel {
  const what = "Cannot build a diffusion-model SDE";
  const dim = checkInteger(what, "dim", options.dim ?? 1, 1);
  const additive = (
    name: string,
    f: (t: number, x: number) => number,
    g: (t: number) => number,
    wf: string,
    wg: string,
  ) =>
    defineSde({
      name,
      dim,
      noiseDim: dim,
      noise: "additive",
      drift: (t, x, out, n) => {
        for (let e = 0; e < n * dim; e++) out[e] = f(t, x[e]!);
      },
      diffusion: (t, _x, out, n) => {
        const s = g(t);
        out.fill(0, 0, n * dim * dim);
        for (let i = 0; i < n; i++) {
          for (let r = 0; r < dim; r++) out[i * dim * dim + r * dim + r] = s;
        }
      },
      wgsl: {
        drift: _elementwise("sde_drift", "t: f32, x: SdState", wf),
        diffusion: _elementwise(
          "sde_diffusion",
          "t: f32, x: SdState, dw: SdNoise",
          `${wg} * dv[i]`,
        ),
      },
    });
  const perComponent = (x0: ArrayLike<number>, fm: (x: number) => number, v: number) => {
    const mean = new Float64Array(dim);
    for (let i = 0; i < dim; i++) mean[i] = fm(x0[x0.length === 1 ? 0 : i]!);
    return { mean, variance: new Float64Array(dim).fill(v) };
  };
  if (kind === "ve") {
    const lo = checkFinite(what, "sigmaMin", options.sigmaMin ?? 0.01);
    const hi = checkFinite(what, "sigmaMax", options.sigmaMax ?? 50);
    const r = Math.log(hi / lo);
    const c = lo * Math.sqrt(2 * r);
    const sde = additive(
      "ve-sde",
      () => 0,
      (t) => c * Math.exp(r * t),
      "0.0 * xi",
      `${_f32(c)} * exp(${_f32(r)} * t)`,
    );
    return Object.freeze({
      ...sde,
      params: { sigmaMin: lo, sigmaMax: hi },
      moments: (t: number, x0: ArrayLike<number>) =>
        perComponent(x0, (x) => x, lo * lo * Math.expm1(2 * r * t)),
    });
  }
  if (kind === "vp") {
    const b0 = checkFinite(what, "betaMin", options.betaMin ?? 0.1);
    const b1 = checkFinite(what, "betaMax", options.betaMax ?? 20);
    const beta = (t: number) => b0 + t * (b1 - b0);
    const B = (t: number) => b0 * t + 0.5 * t * t * (b1 - b0);
    const wb = `(${_f32(b0)} + t * ${_f32(b1 - b0)})`;
    const sde = additive(
      "vp-sde",
      (t, x) => -0.5 * beta(t) * x,
      (t) => Math.sqrt(beta(t)),
      `-0.5 * ${wb} * xi`,
      `sqrt(${wb})`,
    );
    return Object.freeze({
      ...sde,
      params: { betaMin: b0, betaMax: b1 },
      moments: (t: number, x0: ArrayLike<number>) =>
        perComponent(x0, (x) => x * Math.exp(-0.5 * B(t)), -Math.expm1(-B(t))),
    });
  }
  if (kind === "mean-reverting") {
    const th = checkFinite(what, "theta", options.theta ?? 1);
    const mu = checkFinite(what, "mu", options.mu ?? 0);
    const lam = checkFinite(what, "lambda", options.lambda ?? 1);
    const s = Math.sqrt(2 * lam * lam * th);
    const sde = additive(
      "mean-reverting-sde",
      (_t, x) => th * (mu - x),
      () => s,
      `${_f32(th)} * (${_f32(mu)} - xi)`,
      _f32(s),
    );
    return Object.freeze({
      ...sde,
      params: { theta: th, mu, lambda: lam },
      moments: (t: number, x0: ArrayLike<number>) =>
        perComponent(
          x0,
          (x) => mu + (x - mu) * Math.exp(-th * t),
          -lam * lam * Math.expm1(-2 * th * t),
        ),
    });
  }
  if (kind === "ouve") {
    const gamma = checkFinite(what, "gamma", options.gamma ?? 1.5);
    const mu = checkFinite(what, "mu", options.mu ?? 0);
    const lo = checkFinite(what, "sigmaMin", options.sigmaMin ?? 0.05);
    const hi = checkFinite(what, "sigmaMax", options.sigmaMax ?? 0.5);
    if (!(gamma > 0 && lo > 0 && hi > lo)) {
      throw new SdenoRangeError(
        `${what}: ouve needs gamma > 0 and 0 < sigmaMin < sigmaMax, got ${
          quote({ gamma, sigmaMin: lo, sigmaMax: hi })
        }`,
      );
    }
    const r = Math.log(hi / lo);
    const c = lo * Math.sqrt(2 * r);
    const sde = additive(
      "ouve-sde",
      (_t, x) => gamma * (mu - x),
      (t) => c * Math.exp(r * t),
      `${_f32(gamma)} * (${_f32(mu)} - xi)`,
      `${_f32(c)} * exp(${_f32(r)} * t)`,
    );
    return Object.freeze({
      ...sde,
      params: { gamma, mu, sigmaMin: lo, sigmaMax: hi },
      moments: (t: number, x0: ArrayLike<number>) =>
        perComponent(
          x0,
          (x) => mu + (x - mu) * Math.exp(-gamma * t),
          lo * lo * r * (Math.exp(2 * r * t) - Math.exp(-2 * gamma * t)) / (gamma + r),
        ),
    });
  }
  throw new SdenoRangeError(
    `${what}: kind must be one of ve, vp, mean-reverting, ouve, got ${quote(kind)}`,
  );
}
