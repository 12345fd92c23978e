/**
 * What a diffusion sampler evaluates: a model that, given a noised batch
 * `x_t = α x₀ + σ ε` at time t, predicts ε, x₀, v, the score or the flow
 * velocity. Every model declares its native kind; {@linkcode convertPrediction}
 * is the one place that converts between kinds.
 *
 * @module
 */

import type { Backend, DeviceArray } from "../kernels/mod.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";

/**
 * Kinds of prediction: noise `ε`, data `x₀`, `v = α ε − σ x₀` (Salimans & Ho
 * 2022, §4), score `∇ log p_t = −ε/σ`, and the flow velocity
 * `dx_t/dt = α'(t) x₀ + σ'(t) ε`.
 */
export type PredictionKind = "eps" | "x0" | "v" | "score" | "velocity";

/** A batch model of a noised distribution. */
export interface Denoiser {
  /** Dimension d of one point; batches are n·d flat, point-major. */
  readonly dim: number;
  /** The kind the model computes natively (others are converted). */
  readonly nativeKind: PredictionKind;
  /** The schedule whose α(t), σ(t) noise the model's inputs. */
  readonly schedule: NoiseSchedule;
  /**
   * Writes the prediction of `kind` for the batch `x` (n·d) at time `t` into
   * `out` (same length, same backend).
   */
  predict(
    backend: Backend,
    x: DeviceArray,
    t: number,
    kind: PredictionKind,
    out: DeviceArray,
  ): Promise<void>;
  /**
   * Optional vector-Jacobian product `outᵢ = Σⱼ vⱼ ∂predⱼ/∂xᵢ` of the
   * prediction of `kind`, per point (used by guidance methods).
   */
  vjp?(
    backend: Backend,
    x: DeviceArray,
    t: number,
    kind: PredictionKind,
    v: DeviceArray,
    out: DeviceArray,
  ): Promise<void>;
}

/**
 * Each kind as `a·x₀ + b·ε` at one time, from α, σ and the forward SDE.
 *
 * @param kind the prediction kind
 * @param s the schedule
 * @param t the time
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
 * assert.deepEqual(predictionBasis("v", s, 0.5), [-0.8, 0.6]);
 * ```
 */
export function predictionBasis(
  kind: PredictionKind,
  s: NoiseSchedule,
  t: number,
): [number, number] {
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
 * @param from the kind given
 * @param to the kind wanted
 * @param schedule the noise schedule
 * @param t the time
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
 * assert.deepEqual(predictionCoefficients("x0", "eps", edm, 2), [0.5, -0.5]);
 * ```
 */
export function predictionCoefficients(
  from: PredictionKind,
  to: PredictionKind,
  schedule: NoiseSchedule,
  t: number,
): [number, number] {
  if (from === to) return [0, 1];
  const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
  const [a, b] = predictionBasis(from, schedule, t);
  const [a2, b2] = predictionBasis(to, schedule, t);
  // x₀ = (b x − σ p)/det, ε = (α p − a x)/det with det = α b − σ a
  const det = alpha * b - sigma * a;
  return [(a2 * b - b2 * a) / det, (b2 * alpha - a2 * sigma) / det];
}

/**
 * Converts a prediction of kind `from` into kind `to`, writing `out`.
 *
 * @param backend the backend holding the arrays
 * @param x the noised batch
 * @param pred the prediction of kind `from`
 * @param kinds `{ from, to, schedule, t }`
 * @param out the destination (may be `pred`)
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
 * await convertPrediction(b, x, eps, { from: "eps", to: "x0", schedule: vp, t: 0.5 }, eps);
 * assert.ok(Math.abs((await b.download(eps))[0]! - 1) < 1e-15);
 * ```
 */
export async function convertPrediction(
  backend: Backend,
  x: DeviceArray,
  pred: DeviceArray,
  kinds: { from: PredictionKind; to: PredictionKind; schedule: NoiseSchedule; t: number },
  out: DeviceArray,
): Promise<void> {
  const [cx, cp] = predictionCoefficients(kinds.from, kinds.to, kinds.schedule, kinds.t);
  await backend.lincomb(out, [[cx, x], [cp, pred]]);
}
