/**
 * What the stochastic-interpolant samplers evaluate (Albergo, Boffi &
 * Vanden-Eijnden, arXiv:2303.08797, §2.2–2.3): the velocity
 * `b(t, x) = E[α̇ x₀ + β̇ x₁ + γ̇ z | x_t = x]` and the score
 * `s(t, x) = ∇ log ρ_t(x) = −E[z | x_t = x]/γ(t)` of an interpolant. A
 * trained network plugs in through {@linkcode interpolantModel}; the exact
 * model of Gaussian-mixture endpoints is `models/mixture_interpolant.ts`.
 *
 * @module
 */

import type { DeviceArray } from "../kernels/backend.ts";
import { quote, SdenoTypeError } from "../kernels/errors.ts";
import type { StochasticInterpolant } from "./interpolant.ts";

/** A velocity (and optionally score) model of a stochastic interpolant. */
export interface InterpolantModel {
  /** Dimension d of one point; batches are n·d flat, point-major. */
  readonly dim: number;
  /** The interpolant the model was fitted to. */
  readonly interpolant: StochasticInterpolant;
  /** Writes b(t, x) for the batch x (n·d) into out (same length and backend). */
  velocity(x: DeviceArray, t: number, out: DeviceArray): Promise<void>;
  /** Writes s(t, x) = ∇ log ρ_t(x) into out; needed by the SDE samplers (ε > 0). */
  score?(x: DeviceArray, t: number, out: DeviceArray): Promise<void>;
  /**
   * Optional fused SDE drift `b(t, x) + c·s(t, x)` into out (one pass where
   * the model computes both together); samplers use it when present.
   */
  drift?(x: DeviceArray, t: number, c: number, out: DeviceArray): Promise<void>;
}

/**
 * An interpolant model from its parts (e.g. a trained network's velocity
 * and score heads), checked.
 *
 * @param model dim, interpolant, velocity and optional score
 * @returns the same model, frozen
 * @throws {SdenoTypeError} for a non-positive-integer dim, a missing velocity or a score that is
 *   not a function
 *
 * @example A Gaussian-to-Gaussian flow written by hand
 * ```ts
 * import { interpolantModel } from "./interpolant_model.ts";
 * import { linearInterpolant } from "./interpolant.ts";
 * import assert from "node:assert/strict";
 * const m = interpolantModel({
 *   dim: 1, interpolant: linearInterpolant(),
 *   // x₀ ~ N(0, 1), x₁ = x₀ + 1: b = E[x₁ − x₀ | x_t] = 1
 *   async velocity(_x, _t, out) { await out.backend.write(out, new Float64Array(out.length).fill(1)); },
 * });
 * assert.equal(m.dim, 1);
 * assert.throws(() => interpolantModel({ ...m, dim: 0 }), TypeError);
 * ```
 */
export function interpolantModel(model: InterpolantModel): InterpolantModel {
  const what = "Cannot make the interpolant model";
  if (model === null || typeof model !== "object") {
    throw new SdenoTypeError(`${what}: model must be an object, got ${quote(model)}`);
  }
  if (!Number.isInteger(model.dim) || model.dim < 1) {
    throw new SdenoTypeError(`${what}: dim must be a positive integer, got ${quote(model.dim)}`);
  }
  const I = model.interpolant;
  if (I === null || typeof I !== "object" || typeof I.alpha !== "function") {
    throw new SdenoTypeError(
      `${what}: interpolant must be a StochasticInterpolant, got ${quote(I)}`,
    );
  }
  if (typeof model.velocity !== "function") {
    throw new SdenoTypeError(`${what}: velocity must be a function, got ${quote(model.velocity)}`);
  }
  if (model.score !== undefined && typeof model.score !== "function") {
    throw new SdenoTypeError(`${what}: score must be a function, got ${quote(model.score)}`);
  }
  if (model.drift !== undefined && typeof model.drift !== "function") {
    throw new SdenoTypeError(`${what}: drift must be a function, got ${quote(model.drift)}`);
  }
  return Object.freeze({ ...model });
}
