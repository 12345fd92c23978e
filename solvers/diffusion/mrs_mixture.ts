/**
 * The exact model of a mean-reverting diffusion (IR-SDE / MRS) whose data
 * x₀ is a Gaussian mixture `Σₖ wₖ N(mₖ, diag(vₖ))`: in `y = x − μ` the data
 * are the mixture with means `mₖ − μ`, noised by the MR schedule
 * `y_t = α_t y₀ + σ̄_t ε`, so every marginal is the mixture
 * `Σₖ wₖ N(μ + α_t (mₖ − μ), diag(α_t² vₖ + σ̄_t²))` and the exact score,
 * x̂₀ and ε̂ are those of `models/gaussian_mixture.ts` on the shifted means.
 *
 * @module
 */

import { quote, SdenoTypeError } from "../../kernels/errors.ts";
import {
  gaussianMixture,
  type GaussianMixtureDenoiser,
  type GaussianMixtureSpec,
} from "../../models/gaussian_mixture.ts";
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";

/**
 * The exact denoiser (in `y = x − μ`) of the MR diffusion of a Gaussian
 * mixture towards the mean μ (a d-vector): pass it to `mrsOde` / `mrsSde`
 * with the same `mu`.
 *
 * @param spec the data mixture (in x)
 * @param schedule the MR schedule (`meanRevertingSchedule`)
 * @param mu the mean μ, d numbers
 * @returns the exact mixture denoiser of y
 * @throws {SdenoTypeError} for a μ whose length is not the mixture's dimension, or a bad mixture
 *
 * @example x̂₀ − μ of a single Gaussian in closed form
 * ```ts
 * import { meanRevertingMixture } from "./mrs_mixture.ts";
 * import { meanRevertingSchedule } from "../../processes/mean_reverting_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = meanRevertingSchedule();
 * const m = meanRevertingMixture({ weights: [1], means: [[3]], variances: [[2]] }, s, [1]);
 * const a = s.alpha(0.5), sg = s.sigma(0.5), y = 0.7;
 * const out = { x0: new Float64Array(1) };
 * m.evaluate(Float64Array.of(y), a, sg, out);
 * const q = a * a * 2 + sg * sg;
 * assert.ok(Math.abs(out.x0[0]! - (2 + a * 2 * (y - a * 2) / q)) < 1e-14);
 * ```
 */
export function meanRevertingMixture(
  spec: GaussianMixtureSpec,
  schedule: NoiseSchedule,
  mu: ArrayLike<number>,
): GaussianMixtureDenoiser {
  const what = "Cannot make the mean-reverting mixture model";
  const d = spec?.means?.[0]?.length;
  if (mu === null || typeof mu !== "object" || mu.length !== d) {
    throw new SdenoTypeError(
      `${what}: mu must have the mixture's dimension ${d} numbers, got ${quote(mu)}`,
    );
  }
  const shifted: GaussianMixtureSpec = {
    weights: spec.weights,
    means: spec.means.map((m) => m.map((v, j) => v - mu[j]!)),
    variances: spec.variances,
  };
  return gaussianMixture(shifted, schedule);
}
