/**
 * Markov-approximate fractional Brownian motion (MA-fBM) as the driving noise
 * of an SDE.
 *
 * Type II (Riemann–Liouville) fBM, `B^H(t) = Γ(H+½)⁻¹ ∫₀ᵗ (t−s)^{H−½} dW(s)`,
 * is a superposition of Ornstein–Uhlenbeck processes: for H < ½,
 * `(t−s)^{H−½} = Γ(½−H)⁻¹ ∫₀^∞ e^{−γ(t−s)} γ^{−(H+½)} dγ`, so
 * `B^H(t) = ∫ Y_γ(t) μ(dγ)` with `Y_γ(t) = ∫₀ᵗ e^{−γ(t−s)} dW(s)` (Harms &
 * Stefanovits, "Affine representations of fractional processes with
 * applications in mathematical finance", Stoch. Proc. Appl. 129, 2019). The
 * Markov approximation keeps K speeds γ₁ < … < γ_K, all driven by the same
 * W, and weights ω chosen to minimise `E ∫₀ᵀ (B^H(t) − Σₖ ωₖYₖ(t))² dt`
 * (Daems, Opper, Crevecoeur & Birdal, "Variational inference for SDEs driven
 * by fractional noise", ICLR 2024, §3, Prop. 1): ω solves `Aω = b` with
 *
 * - `A_ij = ∫₀ᵀ E[Y_i Y_j] dt = T/(γᵢ+γⱼ) − (1 − e^{−(γᵢ+γⱼ)T})/(γᵢ+γⱼ)²`,
 * - `b_k = ∫₀ᵀ E[B^H Y_k] dt = γₖ^{−a}(T·P(a, γₖT) − (a/γₖ)·P(a+1, γₖT))`,
 *   a = H + ½, P the regularized lower incomplete gamma function, since
 *   `E[B^H(t)Y_k(t)] = γₖ^{−a} P(a, γₖt)`.
 *
 * The same projection is used for every H ∈ (0, 1) (for H > ½ the
 * representation is not a positive mixture, and the approximation is
 * coarser). This module implements type II only; type I (Mandelbrot–van
 * Ness) fBM is not provided.
 *
 * @module
 */

import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../kernels/errors.ts";
import { defineSde, type Sde, type SdeModel } from "./sde.ts";
import { _f32 } from "./sde_models/_wgsl.ts";
import { _choleskySolve } from "./_fractional_math.ts";
import { logGamma, regularizedGammaP } from "../kernels/incomplete_gamma.ts";

/** Options of {@linkcode markovFractionalNoise}. */
export interface MarkovFractionalNoiseOptions {
  /** Hurst index H ∈ (0, 1). */
  hurst: number;
  /** The window [0, T] of the L² fit, default 1. */
  horizon?: number;
  /** Number of OU processes K, default 12. */
  terms?: number;
  /** Smallest and largest speed, geometrically spaced; default [0.1/T, 200/T]. */
  gammaRange?: readonly [number, number];
}

/** A fitted MA-fBM. */
export interface MarkovFractionalNoise {
  /** Hurst index H. */
  readonly hurst: number;
  /** The fit window T. */
  readonly horizon: number;
  /** Which fBM it approximates. */
  readonly kind: "riemann-liouville";
  /** Speeds γ₁ … γ_K. */
  readonly gamma: Float64Array;
  /** Weights ω₁ … ω_K. */
  readonly weight: Float64Array;
  /** √(E∫₀ᵀ(B^H − B̂)² dt / E∫₀ᵀ(B^H)² dt), the relative L² error of the fit (exact). */
  readonly relativeError: number;
  /**
   * The K-dimensional OU vector `dYₖ = −γₖYₖ dt + dW` (one shared W: additive
   * noise, m = 1), from Y(0) = 0; with WGSL snippets. B̂ = Σ ωₖYₖ.
   */
  readonly sde: SdeModel;
  /** B̂ = Σₖ ωₖ yₖ of the K values of y starting at `offset`. */
  readout(y: ArrayLike<number>, offset?: number): number;
  /** Cov(B̂(s), B̂(t)) of the approximation, exactly. */
  covariance(s: number, t: number): number;
  /** Cov(B^H(s), B^H(t)) of type II fBM, by quadrature (variance in closed form). */
  exactCovariance(s: number, t: number): number;
  /**
   * An SDE `dX = b(t, X)dt + σ(t, X)∘? dB̂` driven by this noise, as the
   * augmented Markov system on (X, Y₁…Y_K) (Daems et al. 2024, eq. 9):
   * `dX = (b − σ·ΣₖωₖγₖYₖ)dt + σ·(Σₖωₖ)dW`, `dYₖ = −γₖYₖdt + dW`. The base SDE
   * must have one Brownian motion (m = 1, diagonal or scalar noise); WGSL
   * snippets are built from its snippets when it has them.
   */
  drive(base: Sde): Sde;
}

/**
 * Fits a Markov approximation of type II fractional Brownian motion with
 * Hurst index H on [0, T] (see the module doc for the construction).
 *
 * @param options H, the window, the number of terms, the speed range
 * @returns the fitted noise, its OU-vector SDE, covariances and `drive`
 * @throws {SdenoRangeError} when H is outside (0, 1) or the options are out of range
 *
 * @example The variance of B̂(T) is close to that of fBM
 * ```ts
 * import { markovFractionalNoise } from "./fractional_noise.ts";
 * import assert from "node:assert/strict";
 * const fbm = markovFractionalNoise({ hurst: 0.3 });
 * const rel = Math.abs(fbm.covariance(1, 1) / fbm.exactCovariance(1, 1) - 1);
 * assert.ok(rel < 0.05);
 * assert.throws(() => markovFractionalNoise({ hurst: 1.2 }), RangeError);
 * ```
 */
export function markovFractionalNoise(
  options: MarkovFractionalNoiseOptions,
): MarkovFractionalNoise {
  const what = "Cannot build Markov-approximate fractional noise";
  const H = checkFinite(what, "hurst", options.hurst);
  if (!(H > 0 && H < 1)) {
    throw new SdenoRangeError(`${what}: hurst must lie in (0, 1), got ${quote(H)}`);
  }
  const T = checkFinite(what, "horizon", options.horizon ?? 1);
  if (!(T > 0)) throw new SdenoRangeError(`${what}: horizon must be positive, got ${quote(T)}`);
  const K = checkInteger(what, "terms", options.terms ?? 12, 1, 64);
  const [gLo, gHi] = options.gammaRange ?? [0.1 / T, 200 / T];
  checkFinite(what, "gammaRange[0]", gLo);
  checkFinite(what, "gammaRange[1]", gHi);
  if (!(gLo > 0 && gHi >= gLo) || (K > 1 && gHi === gLo)) {
    throw new SdenoRangeError(
      `${what}: gammaRange must satisfy 0 < min < max, got ${quote([gLo, gHi])}`,
    );
  }
  const gamma = Float64Array.from(
    { length: K },
    (_, k) => K === 1 ? gLo : gLo * (gHi / gLo) ** (k / (K - 1)),
  );
  const a = H + 0.5;
  const A = new Float64Array(K * K), b = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const g = gamma[i]! + gamma[j]!;
      A[i * K + j] = T / g + Math.expm1(-g * T) / (g * g);
    }
    const gk = gamma[i]!;
    b[i] = gk ** -a *
      (T * regularizedGammaP(a, gk * T) - (a / gk) * regularizedGammaP(a + 1, gk * T));
  }
  // a relative ridge of 1e-13 keeps the Cholesky factor real when A is nearly singular
  let tr = 0;
  for (let i = 0; i < K; i++) tr += A[i * K + i]!;
  for (let i = 0; i < K; i++) A[i * K + i] = A[i * K + i]! + 1e-13 * tr / K;
  const weight = _choleskySolve(A, b, K);
  const g2 = Math.exp(2 * logGamma(a));
  // ∫₀ᵀ E[B^H(t)²] dt = T^{2H+1} / ((2H+1)·2H·Γ(a)²); the optimum leaves c − ωᵀb
  const energy = T ** (2 * H + 1) / ((2 * H + 1) * 2 * H * g2);
  let wb = 0;
  for (let k = 0; k < K; k++) wb += weight[k]! * b[k]!;
  const relativeError = Math.sqrt(Math.max(0, energy - wb) / energy);
  let wsum = 0;
  for (let k = 0; k < K; k++) wsum += weight[k]!;

  const lines = (f: (k: number) => string) => Array.from({ length: K }, (_, k) => f(k)).join("\n");
  const ouSde = defineSde({
    name: `ma-fbm-H${H}`,
    dim: K,
    noiseDim: 1,
    noise: "additive",
    drift: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < K; k++) out[i * K + k] = -gamma[k]! * x[i * K + k]!;
      }
    },
    diffusion: (_t, _x, out, n) => out.fill(1, 0, n * K),
    wgsl: {
      drift: `fn sde_drift(t: f32, x: SdState) -> SdState {
  var xv = x;
  var o: SdState;
${lines((k) => `  o[${k}] = ${_f32(-gamma[k]!)} * xv[${k}];`)}
  return o;
}`,
      diffusion: `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState {
  var dv = dw;
  var o: SdState;
  for (var k = 0u; k < SD_D; k = k + 1u) { o[k] = dv[0]; }
  return o;
}`,
    },
  });
  const sde: SdeModel = Object.freeze({
    ...ouSde,
    params: { hurst: H, horizon: T, gamma: [...gamma], weight: [...weight] },
    moments: (t: number) => ({
      mean: new Float64Array(K),
      variance: Float64Array.from(gamma, (g) => -Math.expm1(-2 * g * t) / (2 * g)),
    }),
  });

  const covariance = (s: number, t: number): number => {
    const lo = Math.min(s, t), gap = Math.abs(t - s);
    if (!(lo >= 0)) throw new SdenoRangeError(`${what}: times must be ≥ 0, got ${quote(lo)}`);
    let c = 0;
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        // E[Y_i(hi) Y_j(lo)] = e^{−γᵢ(hi−lo)} (1 − e^{−(γᵢ+γⱼ)lo})/(γᵢ+γⱼ)
        const g = gamma[i]! + gamma[j]!;
        c += weight[i]! * weight[j]! * Math.exp(-gamma[i]! * gap) * (-Math.expm1(-g * lo)) / g;
      }
    }
    return c;
  };
  const exactCovariance = (s: number, t: number): number => {
    const lo = Math.min(s, t), hi = Math.max(s, t);
    if (!(lo >= 0)) throw new SdenoRangeError(`${what}: times must be ≥ 0, got ${quote(lo)}`);
    if (lo === 0) return 0;
    if (hi === lo) return lo ** (2 * H) / (2 * H * g2);
    // Γ(a)⁻² ∫₀^lo (hi−u)^{a−1}(lo−u)^{a−1} du; with lo − u = v^{1/a} and v = lo^a·r⁴ it is
    // (4lo^a/a)∫₀¹ (hi − lo + lo·r^{4/a})^{a−1} r³ dr, bounded for every a ∈ (½, 3/2):
    // composite 5-point Gauss–Legendre on 400 panels
    const top = lo ** a, panels = 400, h = 1 / panels;
    const xs = [0, -0.5384693101056831, 0.5384693101056831, -0.906179845938664, 0.906179845938664];
    const ws = [
      0.5688888888888889,
      0.47862867049936647,
      0.47862867049936647,
      0.23692688505618908,
      0.23692688505618908,
    ];
    let sum = 0;
    for (let p = 0; p < panels; p++) {
      const mid = (p + 0.5) * h;
      for (let q = 0; q < 5; q++) {
        const r = mid + 0.5 * h * xs[q]!;
        sum += 0.5 * h * ws[q]! * 4 * top * r ** 3 * (hi - lo + lo * r ** (4 / a)) ** (a - 1);
      }
    }
    return sum / (a * g2);
  };
  const readout = (y: ArrayLike<number>, offset = 0): number => {
    let s = 0;
    for (let k = 0; k < K; k++) s += weight[k]! * y[offset + k]!;
    return s;
  };

  const drive = (base: Sde): Sde => {
    const dwhat = "Cannot drive an SDE by fractional noise";
    if (base.noiseDim !== 1 || (base.noise !== "diagonal" && base.noise !== "scalar")) {
      throw new SdenoTypeError(
        `${dwhat}: the base SDE needs one Brownian motion (noiseDim 1, diagonal or scalar noise), got noiseDim ${base.noiseDim} with ${
          quote(base.noise)
        } noise`,
      );
    }
    const d = base.dim, D = d + K;
    let scratchN = 0;
    let xb = new Float64Array(0), fb = new Float64Array(0), gb = new Float64Array(0);
    const scratch = (n: number) => {
      if (n > scratchN) {
        scratchN = n;
        xb = new Float64Array(n * d);
        fb = new Float64Array(n * d);
        gb = new Float64Array(n * d);
      }
    };
    const split = (x: Float64Array, n: number) => {
      for (let i = 0; i < n; i++) for (let r = 0; r < d; r++) xb[i * d + r] = x[i * D + r]!;
    };
    const wgsl = base.wgsl ? driveWgsl(base, d, K, gamma, weight, wsum) : undefined;
    return defineSde({
      name: `${base.name}+ma-fbm-H${H}`,
      dim: D,
      noise: "scalar",
      calculus: base.calculus,
      drift: (t, x, out, n) => {
        scratch(n);
        split(x, n);
        base.drift(t, xb, fb, n);
        base.diffusion(t, xb, gb, n);
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += weight[k]! * gamma[k]! * x[i * D + d + k]!;
          for (let r = 0; r < d; r++) out[i * D + r] = fb[i * d + r]! - gb[i * d + r]! * s;
          for (let k = 0; k < K; k++) out[i * D + d + k] = -gamma[k]! * x[i * D + d + k]!;
        }
      },
      diffusion: (t, x, out, n) => {
        scratch(n);
        split(x, n);
        base.diffusion(t, xb, gb, n);
        for (let i = 0; i < n; i++) {
          for (let r = 0; r < d; r++) out[i * D + r] = wsum * gb[i * d + r]!;
          for (let k = 0; k < K; k++) out[i * D + d + k] = 1;
        }
      },
      diffusionDerivative: base.diffusionDerivative
        ? (t, x, out, n) => {
          scratch(n);
          split(x, n);
          base.diffusionDerivative!(t, xb, fb, n);
          for (let i = 0; i < n; i++) {
            for (let r = 0; r < d; r++) out[i * D + r] = wsum * wsum * fb[i * d + r]!;
            for (let k = 0; k < K; k++) out[i * D + d + k] = 0;
          }
        }
        : undefined,
      wgsl,
    });
  };

  return Object.freeze({
    hurst: H,
    horizon: T,
    kind: "riemann-liouville" as const,
    gamma,
    weight,
    relativeError,
    sde,
    readout,
    covariance,
    exactCovariance,
    drive,
  });
}

/** Renames the base snippets' symbols so they sit beside the augmented ones. */
function renameBase(src: string): string {
  return src
    .replace(/\bsde_drift\b/g, "sd_base_drift")
    .replace(/\bsde_diffusion\b/g, "sd_base_diffusion")
    .replace(/\bsde_milstein\b/g, "sd_base_milstein")
    .replace(/\bSdState\b/g, "SdBaseState")
    .replace(/\bSdNoise\b/g, "SdBaseNoise")
    .replace(/\bSD_D\b/g, "SD_BASE_D")
    .replace(/\bSD_M\b/g, "SD_BASE_M");
}

function driveWgsl(
  base: Sde,
  d: number,
  K: number,
  gamma: Float64Array,
  weight: Float64Array,
  wsum: number,
): NonNullable<Sde["wgsl"]> {
  const w = base.wgsl!;
  const ks = Array.from({ length: K }, (_, k) => k);
  const head = `  var xv = x;
  var xb: SdBaseState;
  for (var i = 0u; i < SD_BASE_D; i = i + 1u) { xb[i] = xv[i]; }
  var o: SdState;`;
  const helpers = [
    `const SD_BASE_D: u32 = ${d}u;`,
    "const SD_BASE_M: u32 = 1u;",
    "alias SdBaseState = array<f32, SD_BASE_D>;",
    "alias SdBaseNoise = array<f32, SD_BASE_M>;",
    renameBase(w.helpers ?? ""),
    renameBase(w.drift),
    renameBase(w.diffusion),
    w.diffusionDerivative ? renameBase(w.diffusionDerivative) : "",
  ].join("\n");
  const drift = `fn sde_drift(t: f32, x: SdState) -> SdState {
${head}
  let s = ${ks.map((k) => `${_f32(weight[k]! * gamma[k]!)} * xv[${d + k}]`).join(" + ")};
  var w: SdBaseNoise;
  w[0] = -s;
  var f = sd_base_drift(t, xb);
  var g = sd_base_diffusion(t, xb, w);
  for (var i = 0u; i < SD_BASE_D; i = i + 1u) { o[i] = f[i] + g[i]; }
${ks.map((k) => `  o[${d + k}] = ${_f32(-gamma[k]!)} * xv[${d + k}];`).join("\n")}
  return o;
}`;
  const diffusion = `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState {
${head}
  var dv = dw;
  var w: SdBaseNoise;
  w[0] = ${_f32(wsum)} * dv[0];
  var g = sd_base_diffusion(t, xb, w);
  for (var i = 0u; i < SD_BASE_D; i = i + 1u) { o[i] = g[i]; }
  for (var k = SD_BASE_D; k < SD_D; k = k + 1u) { o[k] = dv[0]; }
  return o;
}`;
  const out: { drift: string; diffusion: string; helpers: string; diffusionDerivative?: string } = {
    drift,
    diffusion,
    helpers,
  };
  if (w.diffusionDerivative) {
    out.diffusionDerivative = `fn sde_milstein(t: f32, x: SdState) -> SdState {
${head}
  var l = sd_base_milstein(t, xb);
  for (var i = 0u; i < SD_BASE_D; i = i + 1u) { o[i] = ${_f32(wsum * wsum)} * l[i]; }
  return o;
}`;
  }
  return out;
}
