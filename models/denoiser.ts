/**
 * What a diffusion sampler evaluates: a model that, given a noised batch
 * `x_t = α x₀ + σ ε` at time t, predicts ε, x₀, v, the score or the flow
 * velocity. Every model declares its native kind; {@linkcode convertPrediction}
 * is the one place that converts between kinds.
 *
 * @module
 */

import type { DeviceArray } from "../kernels/backend.ts";
import { quote, SdenoTypeError } from "../kernels/errors.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";

/**
 * Kinds of prediction: noise `ε`, data `x₀`, `v = α ε − σ x₀` (Salimans & Ho
 * 2022, §4), score `∇ log p_t = −ε/σ`, and the flow velocity
 * `dx_t/dt = α'(t) x₀ + σ'(t) ε`.
 */
export type PredictionKind = "eps" | "x0" | "v" | "score" | "velocity";

/**
 * Conditioning of one model call (class labels, arbitrary float tensors).
 * Samplers pass it through untouched; models that are not conditional
 * ignore it, and wrappers such as classifier-free guidance rewrite it.
 */
export interface Conditioning {
  /** One integer class label per point, or a single label for the whole batch. */
  readonly labels?: Int32Array | readonly number[];
  /**
   * Named float tensors, each with its shape; `shape[0]` is the number of
   * points (one row per point) or 1 (shared by the batch).
   */
  readonly tensors?: Readonly<
    Record<
      string,
      { readonly data: Float32Array | Float64Array; readonly shape: readonly number[] }
    >
  >;
}

/** What one call of {@linkcode Denoiser.predict} asks for. */
export interface PredictRequest {
  /** The kind wanted: one of the model's declared {@linkcode Denoiser.kinds}. */
  readonly kind: PredictionKind;
  /** Conditioning of the call, when the model takes any. */
  readonly conditioning?: Conditioning | undefined;
}

/**
 * A batch model of a noised distribution. A model implements only the kinds
 * it computes itself ({@linkcode Denoiser.kinds}, usually just its native
 * kind); {@linkcode predictAs} serves every other kind through
 * {@linkcode convertPrediction}, the one place kinds are converted. The
 * backend is the one the arrays live on (`x.backend`).
 */
export interface Denoiser {
  /** Dimension d of one point; batches are n·d flat, point-major. */
  readonly dim: number;
  /** The kind the model computes natively. */
  readonly nativeKind: PredictionKind;
  /**
   * The kinds `predict` computes itself, `nativeKind` first (an exact model
   * may compute several without conversion, which matters in float32).
   */
  readonly kinds: readonly PredictionKind[];
  /** The schedule whose α(t), σ(t) noise the model's inputs. */
  readonly schedule: NoiseSchedule;
  /**
   * Writes the prediction of `request.kind` (one of {@linkcode Denoiser.kinds})
   * for the batch `x` (n·d) at time `t` into `out` (same length, same backend).
   */
  predict(x: DeviceArray, t: number, out: DeviceArray, request: PredictRequest): Promise<void>;
  /**
   * Optional vector-Jacobian product `outᵢ = Σⱼ vⱼ ∂predⱼ/∂xᵢ` of the
   * prediction of `request.kind` (one of `kinds`), per point (used by
   * guidance methods); {@linkcode vjpAs} serves the other kinds.
   */
  vjp?(
    x: DeviceArray,
    t: number,
    v: DeviceArray,
    out: DeviceArray,
    request: PredictRequest,
  ): Promise<void>;
}

/**
 * The prediction of any kind: computed by the model when it declares the
 * kind, else computed in its native kind and converted by
 * {@linkcode convertPrediction}. Samplers and guidance call models only
 * through this function.
 *
 * @param model the denoiser
 * @param x the noised batch (n·d)
 * @param call the time `t`, the `kind` wanted, the destination `out` (same
 *   length and backend as `x`; not `x`) and the call's `conditioning`, if any
 *
 * @example A model that only predicts ε serves x₀
 * ```ts
 * import { denoiserFromNative, predictAs } from "./denoiser.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * // data N(0, 1): ε̂ = σ x / (1 + σ²) on the EDM schedule (α = 1)
 * const model = denoiserFromNative({
 *   dim: 1, schedule: edmSchedule(), kind: "eps",
 *   async predict(x, t, out) {
 *     await x.backend.lincomb(out, [[t / (1 + t * t), x]]);
 *   },
 * });
 * const out = b.zeros(1);
 * await predictAs(model, b.upload([2]), { t: 1, kind: "x0", out });
 * assert.ok(Math.abs((await b.download(out))[0]! - 1) < 1e-15); // x₀ = x/(1 + σ²)
 * ```
 */
export async function predictAs(
  model: Denoiser,
  x: DeviceArray,
  call: PredictAsOptions,
): Promise<void> {
  const { t, kind, out, conditioning } = call;
  if (model.kinds.includes(kind)) {
    await model.predict(x, t, out, { kind, conditioning });
    return;
  }
  const from = model.nativeKind;
  await model.predict(x, t, out, { kind: from, conditioning });
  await convertPrediction(x, out, { from, to: kind, schedule: model.schedule, t, out });
}

/**
 * The vector-Jacobian product of the prediction of any kind. With
 * `to = cx·x + cp·from` ({@linkcode predictionCoefficients}), the product of
 * `to` is `cx·v + cp·(vᵀ ∂from/∂x)`.
 *
 * @param model a denoiser with a `vjp`
 * @param x the noised batch
 * @param call the time `t`, the `kind` whose Jacobian is wanted, the
 *   cotangent `v` (same length as `x`), the destination `out` (not `v`) and
 *   the call's `conditioning`, if any
 * @throws {SdenoTypeError} when the model has no `vjp`
 *
 * @example
 * ```ts
 * import { denoiserFromNative, vjpAs } from "./denoiser.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = denoiserFromNative({
 *   dim: 1, schedule: edmSchedule(), kind: "x0",
 *   async predict(x, t, out) { await x.backend.lincomb(out, [[1 / (1 + t * t), x]]); },
 *   async vjp(_x, t, v, out) { await v.backend.lincomb(out, [[1 / (1 + t * t), v]]); },
 * });
 * const out = b.zeros(1);
 * // ε = (x − x₀)/σ: ∂ε/∂x = (1 − 1/(1 + σ²))/σ = 0.5 at σ = 1
 * await vjpAs(model, b.upload([3]), { t: 1, kind: "eps", v: b.upload([1]), out });
 * assert.ok(Math.abs((await b.download(out))[0]! - 0.5) < 1e-15);
 * ```
 */
export async function vjpAs(
  model: Denoiser,
  x: DeviceArray,
  call: VjpAsOptions,
): Promise<void> {
  const { t, kind, v, out, conditioning } = call;
  if (typeof model.vjp !== "function") {
    throw new SdenoTypeError(
      `Cannot differentiate the model: it has no vector-Jacobian product (vjp)`,
    );
  }
  if (model.kinds.includes(kind)) {
    await model.vjp(x, t, v, out, { kind, conditioning });
    return;
  }
  const from = model.nativeKind;
  await model.vjp(x, t, v, out, { kind: from, conditioning });
  const [cx, cp] = predictionCoefficients(model.schedule, { from, to: kind, t });
  await v.backend.lincomb(out, [[cx, v], [cp, out]]);
}

/** One call of {@linkcode predictAs}. */
export interface PredictAsOptions {
  /** The time. */
  readonly t: number;
  /** The kind wanted. */
  readonly kind: PredictionKind;
  /** The destination (same length and backend as `x`; not `x`). */
  readonly out: DeviceArray;
  /** The call's conditioning, if any. */
  readonly conditioning?: Conditioning | undefined;
}

/** One call of {@linkcode vjpAs}. */
export interface VjpAsOptions extends PredictAsOptions {
  /** The cotangent (same length as `x`). */
  readonly v: DeviceArray;
}

/** What {@linkcode denoiserFromNative} needs: the native prediction and its kind. */
export interface NativeModel {
  /** Dimension of one point. */
  readonly dim: number;
  /** The schedule of the model's inputs. */
  readonly schedule: NoiseSchedule;
  /** The kind `predict` computes. */
  readonly kind: PredictionKind;
  /** Writes the native prediction of `x` at time `t` into `out`. */
  predict(
    x: DeviceArray,
    t: number,
    out: DeviceArray,
    conditioning: Conditioning | undefined,
  ): Promise<void>;
  /** Optional vector-Jacobian product of the native prediction. */
  vjp?(
    x: DeviceArray,
    t: number,
    v: DeviceArray,
    out: DeviceArray,
    conditioning: Conditioning | undefined,
  ): Promise<void>;
}

/**
 * A {@linkcode Denoiser} from a function that computes one kind only (a
 * trained network, an ONNX graph): every other kind is served by
 * {@linkcode predictAs} through {@linkcode convertPrediction}.
 *
 * @param native the dimension, schedule, native kind and prediction
 * @returns the denoiser
 * @throws {SdenoTypeError} for a bad dimension, kind or prediction function
 *
 * @example
 * ```ts
 * import { denoiserFromNative } from "./denoiser.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * import assert from "node:assert/strict";
 * const m = denoiserFromNative({
 *   dim: 2, schedule: edmSchedule(), kind: "eps", predict: async () => {},
 * });
 * assert.deepEqual(m.kinds, ["eps"]);
 * assert.equal(m.vjp, undefined);
 * ```
 */
export function denoiserFromNative(native: NativeModel): Denoiser {
  const what = "Cannot make a denoiser";
  if (!Number.isInteger(native?.dim) || native.dim < 1) {
    throw new SdenoTypeError(`${what}: dim must be a positive integer, got ${quote(native?.dim)}`);
  }
  if (!PREDICTION_KINDS.includes(native.kind)) {
    throw new SdenoTypeError(
      `${what}: kind must be one of ${PREDICTION_KINDS.join(", ")}, got ${quote(native.kind)}`,
    );
  }
  if (typeof native.predict !== "function") {
    throw new SdenoTypeError(`${what}: predict must be a function, got ${quote(native.predict)}`);
  }
  const { kind } = native;
  const model: Denoiser = {
    dim: native.dim,
    nativeKind: kind,
    kinds: Object.freeze([kind]),
    schedule: native.schedule,
    predict: (x, t, out, request) => native.predict(x, t, out, request.conditioning),
  };
  if (native.vjp) {
    const vjp = native.vjp;
    return Object.freeze({
      ...model,
      vjp: (x: DeviceArray, t: number, v: DeviceArray, out: DeviceArray, r: PredictRequest) =>
        vjp(x, t, v, out, r.conditioning),
    });
  }
  return Object.freeze(model);
}

/** Every prediction kind. */
export const PREDICTION_KINDS: readonly PredictionKind[] = Object.freeze([
  "eps",
  "x0",
  "v",
  "score",
  "velocity",
]);

/**
 * Each kind as `a·x₀ + b·ε` at one time, from α, σ and the forward SDE.
 *
 * @param s the schedule
 * @param at the prediction `kind` and the time `t`
 * @returns `[a, b]`
 *
 * @example v = α ε − σ x₀
 * ```ts
 * import { predictionBasis } from "./denoiser.ts";
 * import assert from "node:assert/strict";
 * const s = {
 *   name: "c", tMin: 0, tMax: 1, logAlpha: () => 0, alpha: () => 0.6, sigma: () => 0.8,
 *   logSnr: () => 0, tOfLogSnr: () => 0, drift: () => 0, diffusion2: () => 0,
 * };
 * assert.deepEqual(predictionBasis(s, { kind: "v", t: 0.5 }), [-0.8, 0.6]);
 * ```
 */
export function predictionBasis(
  s: NoiseSchedule,
  at: { kind: PredictionKind; t: number },
): [number, number] {
  const { kind, t } = at;
  const alpha = s.alpha(t), sigma = s.sigma(t);
  switch (kind) {
    case "eps":
      return [0, 1];
    case "x0":
      return [1, 0];
    case "v":
      return [-sigma, alpha];
    case "score":
      return [0, -1 / sigma];
    case "velocity": {
      // α' = f α and (σ²)' = 2 f σ² + g² (Song et al. 2021, eq. 5.50 of Särkkä & Solin 2019)
      const f = s.drift(t), g2 = s.diffusion2(t);
      return [f * alpha, (f * sigma * sigma + g2 / 2) / sigma];
    }
  }
}

/**
 * Coefficients `[cx, cp]` with `to = cx·x + cp·from` for a noised point
 * `x = α x₀ + σ ε` at time t: the single place where prediction kinds are
 * converted.
 *
 * @param schedule the noise schedule
 * @param at the kind given (`from`), the kind wanted (`to`) and the time `t`
 * @returns the two coefficients
 *
 * @example ε from x₀ on a schedule with α = 1, σ = t
 * ```ts
 * import { predictionCoefficients } from "./denoiser.ts";
 * import assert from "node:assert/strict";
 * const edm = {
 *   name: "edm", tMin: 0.002, tMax: 80,
 *   logAlpha: () => 0, alpha: () => 1, sigma: (t: number) => t,
 *   logSnr: (t: number) => -Math.log(t), tOfLogSnr: (l: number) => Math.exp(-l),
 *   drift: () => 0, diffusion2: (t: number) => 2 * t,
 * };
 * // ε = (x − x₀)/σ
 * assert.deepEqual(predictionCoefficients(edm, { from: "x0", to: "eps", t: 2 }), [0.5, -0.5]);
 * ```
 */
export function predictionCoefficients(
  schedule: NoiseSchedule,
  at: { from: PredictionKind; to: PredictionKind; t: number },
): [number, number] {
  const { from, to, t } = at;
  if (from === to) return [0, 1];
  const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
  const [a, b] = predictionBasis(schedule, { kind: from, t });
  const [a2, b2] = predictionBasis(schedule, { kind: to, t });
  // x₀ = (b x − σ p)/det, ε = (α p − a x)/det with det = α b − σ a
  const det = alpha * b - sigma * a;
  return [(a2 * b - b2 * a) / det, (b2 * alpha - a2 * sigma) / det];
}

/**
 * Converts a prediction of kind `from` into kind `to`, writing `out`: the one
 * place prediction kinds are converted (`to = cx·x + cp·pred`, coefficients
 * from {@linkcode predictionCoefficients}). The backend is `x.backend`.
 *
 * @param x the noised batch
 * @param pred the prediction of kind `from`
 * @param kinds `{ from, to, schedule, t }` and the destination `out`
 *   (default `pred`, converted in place)
 *
 * @example
 * ```ts
 * import { convertPrediction } from "./denoiser.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const vp = {
 *   name: "const", tMin: 0, tMax: 1,
 *   logAlpha: () => Math.log(0.6), alpha: () => 0.6, sigma: () => 0.8,
 *   logSnr: () => Math.log(0.75), tOfLogSnr: () => 0.5, drift: () => 0, diffusion2: () => 0,
 * };
 * const x = b.upload([1.4]); // x = 0.6·1 + 0.8·1
 * const eps = b.upload([1]);
 * await convertPrediction(x, eps, { from: "eps", to: "x0", schedule: vp, t: 0.5, out: eps });
 * assert.ok(Math.abs((await b.download(eps))[0]! - 1) < 1e-15);
 * ```
 */
export async function convertPrediction(
  x: DeviceArray,
  pred: DeviceArray,
  kinds: {
    from: PredictionKind;
    to: PredictionKind;
    schedule: NoiseSchedule;
    t: number;
    out?: DeviceArray;
  },
): Promise<void> {
  const out = kinds.out ?? pred;
  if (kinds.from === kinds.to) {
    if (out !== pred) await x.backend.lincomb(out, [[1, pred]]);
    return;
  }
  const [cx, cp] = predictionCoefficients(kinds.schedule, {
    from: kinds.from,
    to: kinds.to,
    t: kinds.t,
  });
  await x.backend.lincomb(out, [[cx, x], [cp, pred]]);
}
