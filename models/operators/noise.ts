/**
 * Measurement noise models of `y = A(x) + noise`: additive Gaussian noise
 * with standard deviation σ_y (σ_y = 0: a noiseless measurement), and
 * Poisson counts `rate·y ~ Poisson(rate·A(x))`; their log-likelihoods
 * `log p(y | A(x))` and gradients with respect to `A(x)` (what DPS, TDS and
 * the SMC weights evaluate), and keyed sampling of a measurement.
 *
 * Sampling is keyed through Philox with purpose `measurement` (its own,
 * so it never shares a draw with a guidance run on the same key):
 * element j of row r uses counter element `(pathOffset + r)·d_y + j`, so a
 * row's measurement does not depend on how rows are batched.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { checkKey, type Key } from "../../kernels/philox.ts";
import { philoxBlock } from "../../kernels/_philox_block.ts";
import { logGamma } from "../../kernels/incomplete_gamma.ts";
import { _poisson } from "../../solvers/ctmc/_poisson.ts";
import { hostCopy, store } from "../_host.ts";
import { MEASUREMENT_STEP, OPERATOR_PURPOSE } from "./_draws.ts";

/** Additive Gaussian noise `y = A(x) + σ n`, n ~ N(0, I). */
export interface GaussianNoise {
  /** Always `"gaussian"`. */
  readonly kind: "gaussian";
  /** The standard deviation σ_y ≥ 0 (0: noiseless). */
  readonly sigma: number;
}

/** Poisson noise: `rate·y ~ Poisson(rate·A(x))` elementwise (A(x) ≥ 0). */
export interface PoissonNoise {
  /** Always `"poisson"`. */
  readonly kind: "poisson";
  /** Counts per unit intensity, > 0 (the photon budget). */
  readonly rate: number;
}

/** A measurement noise model. */
export type NoiseModel = GaussianNoise | PoissonNoise;

/**
 * Additive Gaussian noise with standard deviation `sigma`.
 *
 * @param sigma σ_y ≥ 0, finite
 * @returns the noise model
 * @throws {SdenoRangeError} when σ_y is negative or not finite
 *
 * @example
 * ```ts
 * import { gaussianNoise } from "./noise.ts";
 * import assert from "node:assert/strict";
 * assert.equal(gaussianNoise(0.05).sigma, 0.05);
 * assert.throws(() => gaussianNoise(-1), RangeError);
 * ```
 */
export function gaussianNoise(sigma: number): GaussianNoise {
  if (typeof sigma !== "number" || !Number.isFinite(sigma) || sigma < 0) {
    throw new SdenoRangeError(
      `gaussianNoise: sigma must be a finite number ≥ 0, got ${quote(sigma)}`,
    );
  }
  return Object.freeze({ kind: "gaussian", sigma });
}

/**
 * Poisson noise with `rate` counts per unit intensity.
 *
 * @param rate > 0, finite
 * @returns the noise model
 * @throws {SdenoRangeError} when the rate is not a positive finite number
 *
 * @example
 * ```ts
 * import { poissonNoise } from "./noise.ts";
 * import assert from "node:assert/strict";
 * assert.equal(poissonNoise(100).kind, "poisson");
 * assert.throws(() => poissonNoise(0), RangeError);
 * ```
 */
export function poissonNoise(rate: number): PoissonNoise {
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) {
    throw new SdenoRangeError(`poissonNoise: rate must be a finite number > 0, got ${quote(rate)}`);
  }
  return Object.freeze({ kind: "poisson", rate });
}

/**
 * Checks a noise model given by a user (a plain object is accepted).
 *
 * @param what the caller, for messages
 * @param noise the value to check
 * @returns the checked noise model
 * @throws {SdenoTypeError} for an unknown kind
 * @throws {SdenoRangeError} for σ_y < 0, a non-positive rate or a non-finite number
 *
 * @example
 * ```ts
 * import { checkNoiseModel } from "./noise.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkNoiseModel("f", { kind: "gaussian", sigma: 0 }).kind, "gaussian");
 * assert.throws(() => checkNoiseModel("f", { kind: "gaussian", sigma: -0.1 }), /sigma/);
 * ```
 */
export function checkNoiseModel(what: string, noise: unknown): NoiseModel {
  const n = noise as { kind?: unknown; sigma?: unknown; rate?: unknown } | null;
  if (n === null || typeof n !== "object") {
    throw new SdenoTypeError(`${what}: noise must be a noise model object, got ${quote(noise)}`);
  }
  if (n.kind === "gaussian") {
    const sigma = n.sigma;
    if (typeof sigma !== "number" || !Number.isFinite(sigma) || sigma < 0) {
      throw new SdenoRangeError(
        `${what}: noise.sigma must be a finite number ≥ 0, got ${quote(sigma)}`,
      );
    }
    return { kind: "gaussian", sigma };
  }
  if (n.kind === "poisson") {
    const rate = n.rate;
    if (typeof rate !== "number" || !Number.isFinite(rate) || rate <= 0) {
      throw new SdenoRangeError(
        `${what}: noise.rate must be a finite number > 0, got ${quote(rate)}`,
      );
    }
    return { kind: "poisson", rate };
  }
  throw new SdenoTypeError(
    `${what}: noise.kind must be "gaussian" or "poisson", got ${quote(n.kind)}`,
  );
}

/** Checks y (one measurement of d_y finite numbers) against a batch `ax` (n × d_y). */
function checkMeasurement(what: string, y: ArrayLike<number>, ax: DeviceArray): number {
  if (y === null || typeof y !== "object" || typeof y.length !== "number" || y.length < 1) {
    throw new SdenoTypeError(`${what}: y must be an array of numbers, got ${quote(y)}`);
  }
  for (let j = 0; j < y.length; j++) {
    if (typeof y[j] !== "number" || !Number.isFinite(y[j])) {
      throw new SdenoRangeError(`${what}: y[${j}] must be a finite number, got ${quote(y[j])}`);
    }
  }
  if (ax.length % y.length !== 0) {
    throw new SdenoRangeError(
      `${what}: A(x) must hold whole rows of d_y = ${y.length}, got length ${quote(ax.length)}`,
    );
  }
  return ax.length / y.length;
}

function poissonCounts(what: string, noise: PoissonNoise, y: ArrayLike<number>): Float64Array {
  const k = Float64Array.from(y, (v) => v * noise.rate);
  k.forEach((v, j) => {
    if (v < 0) {
      throw new SdenoRangeError(
        `${what}: Poisson measurements must be ≥ 0, got y[${j}] = ${quote(y[j])}`,
      );
    }
  });
  return k;
}

/**
 * The log-likelihood `log p(y | A(x))` of one measurement y for every row of
 * a batch of predicted measurements `A(x)`:
 * Gaussian `−‖y − A(x)‖²/(2σ²) − (d_y/2) log(2πσ²)`; Poisson (counts
 * `k = rate·y`, intensities `λ = rate·A(x)`)
 * `Σ_j k_j log λ_j − λ_j − log Γ(k_j + 1)` (−∞ where λ_j ≤ 0 < k_j or λ_j < 0).
 *
 * @param noise the noise model
 * @param y the measurement, d_y numbers
 * @param ax A(x) for n rows (n × d_y), on any backend
 * @returns the n log-likelihoods
 * @throws {SdenoRangeError} when σ_y = 0 (no density), y holds a non-finite or (Poisson) negative value, or the shapes disagree
 *
 * @example
 * ```ts
 * import { gaussianNoise, logLikelihood } from "./noise.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const ll = await logLikelihood(gaussianNoise(1), [0], b.upload([0, 1]));
 * assert.ok(Math.abs(ll[0]! + 0.5 * Math.log(2 * Math.PI)) < 1e-15);
 * assert.ok(Math.abs(ll[1]! - ll[0]! + 0.5) < 1e-15);
 * ```
 */
export async function logLikelihood(
  noise: NoiseModel,
  y: ArrayLike<number>,
  ax: DeviceArray,
): Promise<Float64Array> {
  const what = "logLikelihood";
  const model = checkNoiseModel(what, noise);
  const n = checkMeasurement(what, y, ax), dy = y.length;
  if (model.kind === "gaussian" && model.sigma === 0) {
    throw new SdenoRangeError(
      `${what}: a noiseless measurement (sigma 0) has no density; expected sigma > 0`,
    );
  }
  const k = model.kind === "poisson" ? poissonCounts(what, model, y) : undefined;
  const h = await hostCopy(ax);
  const out = new Float64Array(n);
  if (model.kind === "gaussian") {
    const s2 = model.sigma * model.sigma, c = -0.5 * dy * Math.log(2 * Math.PI * s2);
    for (let r = 0; r < n; r++) {
      let ss = 0;
      for (let j = 0; j < dy; j++) ss += (y[j]! - h[r * dy + j]!) ** 2;
      out[r] = c - ss / (2 * s2);
    }
    return out;
  }
  let norm = 0;
  for (let j = 0; j < dy; j++) norm += logGamma(k![j]! + 1);
  for (let r = 0; r < n; r++) {
    let acc = -norm;
    for (let j = 0; j < dy; j++) {
      const lam = model.rate * h[r * dy + j]!, kj = k![j]!;
      if (lam < 0 || (lam === 0 && kj > 0)) {
        acc = -Infinity;
        break;
      }
      acc += (kj > 0 ? kj * Math.log(lam) : 0) - lam;
    }
    out[r] = acc;
  }
  return out;
}

/**
 * The gradient of {@linkcode logLikelihood} with respect to `A(x)`, row by
 * row: Gaussian `(y − A(x))/σ²`; Poisson `k/A(x) − rate` (with k = rate·y;
 * +∞ where A(x) ≤ 0 < k). Chain it with an operator's vjp for the gradient
 * with respect to x.
 *
 * @param noise the noise model
 * @param y the measurement, d_y numbers
 * @param ax A(x) for n rows (n × d_y)
 * @param out the gradient, n × d_y on the same backend (may be `ax`)
 * @throws {SdenoRangeError} when σ_y = 0, y is not finite (or negative, Poisson), or the shapes disagree
 * @throws {SdenoTypeError} when out lives on another backend
 *
 * @example
 * ```ts
 * import { gaussianNoise, logLikelihoodGrad } from "./noise.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const g = b.zeros(2);
 * await logLikelihoodGrad(gaussianNoise(0.5), [1, 1], b.upload([0, 2]), g);
 * assert.deepEqual([...await b.download(g)], [4, -4]);
 * ```
 */
export async function logLikelihoodGrad(
  noise: NoiseModel,
  y: ArrayLike<number>,
  ax: DeviceArray,
  out: DeviceArray,
): Promise<void> {
  const what = "logLikelihoodGrad";
  const model = checkNoiseModel(what, noise);
  const n = checkMeasurement(what, y, ax), dy = y.length;
  if (out.backend !== ax.backend || out.length !== ax.length) {
    throw new SdenoTypeError(
      `${what}: out must be on A(x)'s backend with its length ${ax.length}, got length ${
        quote(out.length)
      }`,
    );
  }
  if (model.kind === "gaussian") {
    if (model.sigma === 0) {
      throw new SdenoRangeError(
        `${what}: a noiseless measurement (sigma 0) has no density; expected sigma > 0`,
      );
    }
    const b = ax.backend, s2 = model.sigma * model.sigma;
    const tiled = new Float64Array(n * dy);
    for (let r = 0; r < n; r++) for (let j = 0; j < dy; j++) tiled[r * dy + j] = y[j]!;
    const yd = b.upload(tiled);
    try {
      await b.lincomb(out, [[1 / s2, yd], [-1 / s2, ax]]);
    } finally {
      b.release(yd);
    }
    return;
  }
  const k = poissonCounts(what, model, y);
  const h = await hostCopy(ax);
  const g = new Float64Array(n * dy);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dy; j++) {
      const a = h[r * dy + j]!, kj = k[j]!;
      g[r * dy + j] = kj === 0 ? -model.rate : a > 0 ? kj / a - model.rate : Infinity;
    }
  }
  await store(out, g);
}

/** Options of {@linkcode sampleMeasurement}. */
export interface SampleMeasurementOptions {
  /** The Philox key. */
  key: Key;
  /** The measurement length d_y (the row length of `ax`). */
  dy: number;
  /** Global index of the first row (default 0), so a split batch draws what the whole one would. */
  pathOffset?: number;
}

/**
 * Draws a measurement for every row of `A(x)`: Gaussian
 * `y = A(x) + σ z` (z standard normal, on the backend), Poisson
 * `y = k/rate` with `k ~ Poisson(rate·A(x))` (inversion below mean 10, PTRS
 * above; on the host). Keyed as the module doc says.
 *
 * @param noise the noise model
 * @param ax A(x) for n rows (n × d_y); Poisson needs A(x) ≥ 0
 * @param out the measurements, n × d_y on the same backend (may be `ax`)
 * @param options the key, d_y and the first row's global index
 * @throws {SdenoRangeError} for shapes that disagree, a bad pathOffset, or (Poisson) a negative or non-finite A(x)
 *
 * @example Rows drawn in two batches equal the rows drawn at once
 * ```ts
 * import { gaussianNoise, sampleMeasurement } from "./noise.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const key = { seed: 1, stream: 0 };
 * const all = b.zeros(4), tail = b.zeros(2);
 * await sampleMeasurement(gaussianNoise(0.1), b.zeros(4), all, { key, dy: 2 });
 * await sampleMeasurement(gaussianNoise(0.1), b.zeros(2), tail, { key, dy: 2, pathOffset: 1 });
 * assert.deepEqual([...await b.download(tail)], [...await b.download(all)].slice(2));
 * ```
 */
export async function sampleMeasurement(
  noise: NoiseModel,
  ax: DeviceArray,
  out: DeviceArray,
  options: SampleMeasurementOptions,
): Promise<void> {
  const what = "sampleMeasurement";
  const model = checkNoiseModel(what, noise);
  checkKey(what, options?.key);
  const dy = checkInteger(what, "dy", options.dy, 1);
  const pathOffset = checkInteger(what, "pathOffset", options.pathOffset ?? 0, 0);
  if (ax.length % dy !== 0) {
    throw new SdenoRangeError(
      `${what}: A(x) must hold whole rows of d_y = ${dy}, got length ${quote(ax.length)}`,
    );
  }
  if (out.backend !== ax.backend || out.length !== ax.length) {
    throw new SdenoTypeError(
      `${what}: out must be on A(x)'s backend with its length ${ax.length}, got length ${
        quote(out.length)
      }`,
    );
  }
  const offset = pathOffset * dy;
  if (model.kind === "gaussian") {
    await ax.backend.lincomb(out, [[1, ax]], {
      scale: model.sigma,
      key: options.key,
      step: MEASUREMENT_STEP,
      purpose: OPERATOR_PURPOSE,
      offset,
    });
    return;
  }
  const h = await hostCopy(ax);
  const words = new Uint32Array(4);
  const res = new Float64Array(h.length);
  for (let e = 0; e < h.length; e++) {
    const mean = model.rate * h[e]!;
    if (!(mean >= 0) || !Number.isFinite(mean)) {
      throw new SdenoRangeError(
        `${what}: Poisson intensities A(x) must be finite and ≥ 0, got element ${e} = ${
          quote(h[e])
        }`,
      );
    }
    // uniforms of element e: lanes of the blocks with counter (element, draw, purpose, step)
    const element = offset + e;
    let draw = 0, lane = 4;
    const next = () => {
      if (lane === 4) {
        philoxBlock(
          element % 4294967296,
          draw++,
          OPERATOR_PURPOSE,
          MEASUREMENT_STEP,
          options.key.seed,
          options.key.stream,
          words,
        );
        lane = 0;
      }
      return (words[lane++]! + 0.5) / 4294967296;
    };
    res[e] = _poisson(mean, next) / model.rate;
  }
  await store(out, res);
}
