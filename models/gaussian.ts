/**
 * The exact denoiser of a Gaussian with full covariance, `x₀ ~ N(m, C)`,
 * noised as `x = α x₀ + σ ε`. With `S = α² C + σ² I` (the covariance of x)
 * and `y = S⁻¹ (x − α m)`:
 *
 * ```
 * x̂₀ = E[x₀ | x] = m + α C S⁻¹ (x − α m) = m + α C y
 * ε̂  = E[ε | x]  = σ S⁻¹ (x − α m)       = σ y        (so x = α x̂₀ + σ ε̂)
 * ```
 *
 * (the Gaussian posterior mean; e.g. Bishop 2006, eq. 2.116). A kind
 * `p = a x̂₀ + b ε̂` (a, b from `predictionBasis`) is affine in x with the
 * constant Jacobian `∂p/∂x = (a α C + b σ I) S⁻¹`, so its vector-Jacobian
 * product is `(∂p/∂x)ᵀ v = S⁻¹ (a α C + b σ I) v` (C and S are symmetric).
 * S is factored by Cholesky once per time and cached.
 *
 * @module
 */

import type { DeviceArray } from "../kernels/mod.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/mod.ts";
import { checkBatch, checkKind, hostCopy, store } from "./_host.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import {
  type Denoiser,
  predictionBasis,
  type PredictionKind,
  type PredictRequest,
} from "./denoiser.ts";

/** Every kind, the native x₀ first: each is an exact affine map of x. */
const ALL_KINDS: readonly PredictionKind[] = Object.freeze(["x0", "eps", "v", "score", "velocity"]);

/** A Gaussian: mean (d) and covariance (d × d, symmetric positive definite). */
export interface GaussianSpec {
  /** The mean m. */
  mean: readonly number[];
  /** The covariance C, d rows of d numbers. */
  covariance: readonly (readonly number[])[];
}

/** The exact Gaussian denoiser. */
export interface GaussianDenoiser extends Denoiser {
  /** The mean (d). */
  readonly mean: Float64Array;
  /** The covariance, d × d row-major. */
  readonly covariance: Float64Array;
  /** The exact vector-Jacobian product (float64, on the host). */
  vjp: NonNullable<Denoiser["vjp"]>;
}

/** In-place Cholesky factor (lower) of a d × d SPD matrix; false when not positive definite. */
function cholesky(a: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= a[j * d + k]! ** 2;
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    a[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      for (let k = 0; k < j; k++) t -= a[i * d + k]! * a[j * d + k]!;
      a[i * d + j] = t / ljj;
    }
    for (let k = j + 1; k < d; k++) a[j * d + k] = 0;
  }
  return true;
}

/** Solves L Lᵀ y = r in place (r → y). */
function cholSolve(l: Float64Array, d: number, r: Float64Array, off: number): void {
  for (let i = 0; i < d; i++) {
    let s = r[off + i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * r[off + k]!;
    r[off + i] = s / l[i * d + i]!;
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = r[off + i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * r[off + k]!;
    r[off + i] = s / l[i * d + i]!;
  }
}

/**
 * The exact denoiser of `N(m, C)` under a noise schedule, with its exact
 * vector-Jacobian product. Every kind is declared in `kinds` and computed
 * directly (each is affine in x). Runs in float64 on the host; on a webgpu
 * backend (the one `x` lives on) the batch is read back, evaluated and
 * written again.
 *
 * @param spec the mean and the covariance (symmetric positive definite)
 * @param schedule the noise schedule
 * @returns the denoiser
 * @throws {SdenoTypeError} when the shapes do not fit or a number is not finite
 * @throws {SdenoRangeError} when C is not symmetric positive definite
 *
 * @example A correlated 2-D Gaussian at α = 1, σ = 1 (EDM, t = 1)
 * ```ts
 * import { gaussian } from "./gaussian.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const g = gaussian({ mean: [0, 0], covariance: [[1, 0.5], [0.5, 1]] }, edmSchedule());
 * const b = await createBackend("cpu");
 * const out = b.zeros(2);
 * await g.predict(b.upload([1, 1]), 1, out, { kind: "x0" });
 * // x̂₀ = C (C + I)⁻¹ x; for x = (1, 1), an eigenvector of C with eigenvalue 1.5: 1.5/2.5 x
 * const got = await b.download(out);
 * assert.ok(Math.abs(got[0]! - 0.6) < 1e-15 && Math.abs(got[1]! - 0.6) < 1e-15);
 * ```
 */
export function gaussian(spec: GaussianSpec, schedule: NoiseSchedule): GaussianDenoiser {
  const what = "Cannot build the Gaussian";
  const { mean, covariance } = spec ?? ({} as GaussianSpec);
  if (!Array.isArray(mean) || mean.length === 0) {
    throw new SdenoTypeError(`${what}: mean must be a non-empty array, got ${quote(mean)}`);
  }
  const d = mean.length;
  if (!Array.isArray(covariance) || covariance.length !== d) {
    throw new SdenoTypeError(`${what}: covariance must have ${d} rows, got ${quote(covariance)}`);
  }
  const m = new Float64Array(d), c = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(mean[i])) {
      throw new SdenoTypeError(`${what}: mean[${i}] must be finite, got ${quote(mean[i])}`);
    }
    m[i] = mean[i]!;
    const row = covariance[i];
    if (!Array.isArray(row) || row.length !== d) {
      throw new SdenoTypeError(`${what}: covariance[${i}] must have length ${d}`);
    }
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(row[j])) {
        throw new SdenoTypeError(
          `${what}: covariance[${i}][${j}] must be finite, got ${quote(row[j])}`,
        );
      }
      c[i * d + j] = row[j]!;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const a = c[i * d + j]!, b = c[j * d + i]!;
      if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.abs(a), Math.abs(b))) {
        throw new SdenoRangeError(
          `${what}: covariance must be symmetric, but [${i}][${j}] = ${a} and [${j}][${i}] = ${b}`,
        );
      }
    }
  }
  if (!cholesky(Float64Array.from(c), d)) {
    throw new SdenoRangeError(`${what}: covariance must be positive definite`);
  }

  // Cholesky factors of S = α² C + σ² I, cached by t (cleared when 256 are held)
  const factors = new Map<number, Float64Array>();
  function factor(t: number): Float64Array {
    let l = factors.get(t);
    if (l) return l;
    const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
    l = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) l[i] = alpha * alpha * c[i]!;
    for (let i = 0; i < d; i++) l[i * d + i] = l[i * d + i]! + sigma * sigma;
    if (!cholesky(l, d)) {
      throw new SdenoRangeError(
        `Cannot evaluate the Gaussian: α²C + σ²I is singular at t = ${quote(t)}`,
      );
    }
    if (factors.size >= 256) factors.clear();
    factors.set(t, l);
    return l;
  }

  async function predict(
    x: DeviceArray,
    t: number,
    out: DeviceArray,
    request: PredictRequest,
  ): Promise<void> {
    const what = "Cannot evaluate the Gaussian";
    checkBatch(what, d, x, out);
    const kind = checkKind(what, request);
    const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
    const [a, b] = predictionBasis(schedule, { kind, t });
    const l = factor(t);
    const y = await hostCopy(x);
    const result = new Float64Array(y.length);
    for (let row = 0; row < y.length; row += d) {
      for (let j = 0; j < d; j++) y[row + j] = y[row + j]! - alpha * m[j]!;
      cholSolve(l, d, y, row);
      // p = a m + a α C y + b σ y
      for (let i = 0; i < d; i++) {
        let cy = 0;
        for (let j = 0; j < d; j++) cy += c[i * d + j]! * y[row + j]!;
        result[row + i] = a * m[i]! + a * alpha * cy + b * sigma * y[row + i]!;
      }
    }
    await store(out, result);
  }

  async function vjp(
    x: DeviceArray,
    t: number,
    v: DeviceArray,
    out: DeviceArray,
    request: PredictRequest,
  ): Promise<void> {
    const w = "Cannot compute the Gaussian's vector-Jacobian product";
    checkBatch(w, d, x, out, v);
    const kind = checkKind(w, request);
    const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
    const [a, b] = predictionBasis(schedule, { kind, t });
    const l = factor(t);
    const vs = await hostCopy(v);
    const result = new Float64Array(vs.length);
    for (let row = 0; row < vs.length; row += d) {
      for (let i = 0; i < d; i++) {
        let cv = 0;
        for (let j = 0; j < d; j++) cv += c[i * d + j]! * vs[row + j]!;
        result[row + i] = a * alpha * cv + b * sigma * vs[row + i]!;
      }
      cholSolve(l, d, result, row);
    }
    await store(out, result);
  }

  return {
    dim: d,
    nativeKind: "x0",
    kinds: ALL_KINDS,
    schedule,
    mean: m,
    covariance: c,
    predict,
    vjp,
  };
}
