/**
 * Measurement noise models of `y = A(x) + noise`: additive Gaussian noise
 * with standard deviation σ_y (σ_y = 0: a noiseless measurement), and
 * Poisson counts `rate·y ~ Poisson(rate·A(x))`.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

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
