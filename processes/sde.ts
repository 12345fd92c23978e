/**
 * A stochastic differential equation `dX = f(t, X) dt + g(t, X) ∘? dW` on
 * ℝ^d driven by an m-dimensional Brownian motion, with its drift and
 * diffusion as batched functions (CPU) and optional WGSL snippets (GPU).
 *
 * Shapes, for a batch of n points (x is n×d, point-major):
 *
 * | noise | m | `diffusion` writes | meaning of `g·dW` |
 * | --- | --- | --- | --- |
 * | `diagonal` | d | n×d | `gᵢ·dWᵢ` |
 * | `scalar` | 1 | n×d | `gᵢ·dW` |
 * | `additive` | any | n×d×m, independent of x | `Σₖ gᵢₖ·dWₖ` |
 * | `general` | any | n×d×m | `Σₖ gᵢₖ·dWₖ` |
 *
 * `diffusionDerivative` (optional, diagonal and scalar noise) writes the
 * Milstein correction `(L¹g)ᵢ = Σⱼ gⱼ ∂gᵢ/∂xⱼ` (n×d; Kloeden & Platen 1992,
 * §10.3); for diagonal noise this is `gᵢ ∂gᵢ/∂xᵢ`, which needs gᵢ to depend on
 * xᵢ only. Without it, solvers use a central finite difference along g.
 *
 * The WGSL snippets define `sde_drift(t: f32, x: SdState) -> SdState`,
 * `sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState` (returning
 * `g(t, x)·dw`) and optionally `sde_milstein(t: f32, x: SdState) -> SdState`
 * (the correction above), where `SdState = array<f32, SD_D>` and
 * `SdNoise = array<f32, SD_M>`; they are spliced into the ensemble kernel
 * (`kernels/sde_ensemble.wgsl`).
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

/** How the Brownian motion enters the diffusion (see the module table). */
export type NoiseType = "diagonal" | "scalar" | "additive" | "general";

/** How the stochastic integral is read: Itô or Stratonovich. */
export type Calculus = "ito" | "stratonovich";

/**
 * A batched coefficient: writes the values for the n points of `x` (n×d,
 * point-major) into `out`. `out` may be longer than needed; write exactly
 * the documented number of values and loop over `n`, never `out.length`.
 */
export type BatchedFunction = (t: number, x: Float64Array, out: Float64Array, n: number) => void;

/** WGSL snippets for the GPU ensemble kernel (see the module doc for the signatures). */
export interface SdeWgsl {
  /** Defines `fn sde_drift(t: f32, x: SdState) -> SdState`. */
  drift: string;
  /** Defines `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState`, i.e. `g(t, x)·dw`. */
  diffusion: string;
  /** Defines `fn sde_milstein(t: f32, x: SdState) -> SdState`, the correction `Σⱼ gⱼ ∂gᵢ/∂xⱼ`. */
  diffusionDerivative?: string;
  /** Helper functions or constants the snippets use. */
  helpers?: string;
}

/** What {@linkcode defineSde} takes. */
export interface SdeSpec {
  /** A short name (used in messages and kernel cache keys). */
  name?: string | undefined;
  /** State dimension d ≥ 1. */
  dim: number;
  /** Brownian dimension m ≥ 1: d for diagonal noise, 1 for scalar; required for additive and general noise. */
  noiseDim?: number | undefined;
  /** Noise type. */
  noise: NoiseType;
  /** Itô (default) or Stratonovich. */
  calculus?: Calculus | undefined;
  /** Drift f: writes n×d values. */
  drift: BatchedFunction;
  /** Diffusion g: writes n×d (diagonal, scalar) or n×d×m (additive, general) values. */
  diffusion: BatchedFunction;
  /** Milstein correction `Σⱼ gⱼ ∂gᵢ/∂xⱼ`, n×d (diagonal and scalar noise only). */
  diffusionDerivative?: BatchedFunction | undefined;
  /** GPU snippets. */
  wgsl?: SdeWgsl | undefined;
}

/** A checked SDE. Build one with {@linkcode defineSde}. */
export interface Sde {
  /** A short name. */
  readonly name: string;
  /** State dimension d. */
  readonly dim: number;
  /** Brownian dimension m. */
  readonly noiseDim: number;
  /** Noise type. */
  readonly noise: NoiseType;
  /** Itô or Stratonovich. */
  readonly calculus: Calculus;
  /** Drift f (n×d). */
  readonly drift: BatchedFunction;
  /** Diffusion g (n×d or n×d×m, see {@linkcode diffusionWidth}). */
  readonly diffusion: BatchedFunction;
  /** Milstein correction, if given. */
  readonly diffusionDerivative: BatchedFunction | undefined;
  /** GPU snippets, if given. */
  readonly wgsl: SdeWgsl | undefined;
}

/** Exact marginal moments of one component set: means and variances, d values each. */
export interface SdeMoments {
  /** E[X(t)], d values. */
  mean: Float64Array;
  /** Var[X(t)], d values. */
  variance: Float64Array;
}

/**
 * A built-in model: an {@linkcode Sde} with its parameters and, where known,
 * exact moments and the exact strong solution as a function of W(t).
 */
export interface SdeModel extends Sde {
  /** The parameters, for reports. */
  readonly params: Readonly<Record<string, number | readonly number[]>>;
  /** Exact E[X(t)] and Var[X(t)] from X(0) = x0, where known. */
  readonly moments?: (t: number, x0: ArrayLike<number>) => SdeMoments;
  /** The exact solution X(t) given X(0) = x0 and W(t) − W(0) (m values), where known. */
  readonly solution?: (t: number, x0: ArrayLike<number>, w: ArrayLike<number>) => Float64Array;
}

const NOISE_TYPES: readonly NoiseType[] = ["diagonal", "scalar", "additive", "general"];

/**
 * Checks an SDE's description and returns it frozen: dimensions are positive
 * integers, the noise type is known, the Brownian dimension fits the noise
 * type (m = d for diagonal, m = 1 for scalar), the coefficients are
 * functions, and a derivative is only given where Milstein can use it.
 *
 * @param spec the description
 * @returns the SDE
 * @throws {SdenoTypeError} when a coefficient is not a function or a dimension not an integer
 * @throws {SdenoRangeError} when the noise type or dimensions are inconsistent
 *
 * @example A one-dimensional Ornstein–Uhlenbeck process
 * ```ts
 * import { defineSde } from "./sde.ts";
 * import assert from "node:assert/strict";
 * const ou = defineSde({
 *   dim: 1,
 *   noise: "diagonal",
 *   drift: (_t, x, out, n) => { for (let i = 0; i < n; i++) out[i] = -x[i]!; },
 *   diffusion: (_t, _x, out, n) => out.fill(0.5, 0, n),
 * });
 * assert.equal(ou.noiseDim, 1);
 * assert.throws(() => defineSde({ ...ou, noise: "diagonal", noiseDim: 2 }), RangeError);
 * ```
 */
export function defineSde(spec: SdeSpec): Sde {
  const what = "Cannot define an SDE";
  if (typeof spec !== "object" || spec === null) {
    throw new SdenoTypeError(`${what}: spec must be an object, got ${quote(spec)}`);
  }
  const dim = checkInteger(what, "dim", spec.dim, 1);
  if (!NOISE_TYPES.includes(spec.noise)) {
    throw new SdenoRangeError(
      `${what}: noise must be one of ${NOISE_TYPES.join(", ")}, got ${quote(spec.noise)}`,
    );
  }
  const calculus = spec.calculus ?? "ito";
  if (calculus !== "ito" && calculus !== "stratonovich") {
    throw new SdenoRangeError(
      `${what}: calculus must be "ito" or "stratonovich", got ${quote(calculus)}`,
    );
  }
  const natural = spec.noise === "diagonal" ? dim : spec.noise === "scalar" ? 1 : undefined;
  if (spec.noiseDim === undefined && natural === undefined) {
    throw new SdenoTypeError(
      `${what}: noiseDim is required for ${spec.noise} noise, got undefined`,
    );
  }
  const noiseDim = checkInteger(what, "noiseDim", spec.noiseDim ?? natural, 1);
  if (natural !== undefined && noiseDim !== natural) {
    throw new SdenoRangeError(
      `${what}: ${spec.noise} noise needs noiseDim = ${natural} for dim ${dim}, got ${
        quote(noiseDim)
      }`,
    );
  }
  for (const name of ["drift", "diffusion"] as const) {
    if (typeof spec[name] !== "function") {
      throw new SdenoTypeError(`${what}: ${name} must be a function, got ${quote(spec[name])}`);
    }
  }
  if (spec.diffusionDerivative !== undefined) {
    if (typeof spec.diffusionDerivative !== "function") {
      throw new SdenoTypeError(
        `${what}: diffusionDerivative must be a function, got ${quote(spec.diffusionDerivative)}`,
      );
    }
    if (spec.noise === "general") {
      throw new SdenoRangeError(
        `${what}: diffusionDerivative applies to diagonal, scalar or additive noise, got noise "general"`,
      );
    }
  }
  if (spec.wgsl !== undefined) {
    for (const name of ["drift", "diffusion"] as const) {
      if (typeof spec.wgsl[name] !== "string") {
        throw new SdenoTypeError(
          `${what}: wgsl.${name} must be a WGSL string, got ${quote(spec.wgsl[name])}`,
        );
      }
    }
  }
  return Object.freeze({
    name: spec.name ?? "sde",
    dim,
    noiseDim,
    noise: spec.noise,
    calculus,
    drift: spec.drift,
    diffusion: spec.diffusion,
    diffusionDerivative: spec.diffusionDerivative,
    wgsl: spec.wgsl,
  });
}

/**
 * How many values `diffusion` writes per point: d for diagonal and scalar
 * noise, d·m for additive and general noise.
 *
 * @param sde the SDE
 * @returns values per point
 *
 * @example
 * ```ts
 * import { defineSde, diffusionWidth } from "./sde.ts";
 * import assert from "node:assert/strict";
 * const f = (_t: number, _x: Float64Array, out: Float64Array, n: number) => out.fill(0, 0, 2 * n);
 * const g = (_t: number, _x: Float64Array, out: Float64Array, n: number) => out.fill(1, 0, 6 * n);
 * const sde = defineSde({ dim: 2, noiseDim: 3, noise: "general", drift: f, diffusion: g });
 * assert.equal(diffusionWidth(sde), 6);
 * ```
 */
export function diffusionWidth(sde: Sde): number {
  return sde.noise === "diagonal" || sde.noise === "scalar" ? sde.dim : sde.dim * sde.noiseDim;
}
