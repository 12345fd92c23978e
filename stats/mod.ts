/**
 * Distances and estimators for checking samplers: sliced Wasserstein
 * distances (to another sample or to exact projected quantiles), MMD, sample
 * moments with standard errors, mean and covariance errors, histograms,
 * chi-square and Kolmogorov–Smirnov tests, z-scores, the normal CDF and
 * incomplete gamma functions, effective sample sizes, and mergeable partial
 * moments (count, mean, M2 with Chan's parallel update) for sharded runs.
 *
 * Batches are flat, point-major arrays (n points in d dimensions have length
 * n·d, row i is `[i*d, (i+1)*d)`); `Float64Array`, `Float32Array` or plain
 * number arrays are accepted, and all work is done in float64.
 *
 * @example Sliced Wasserstein between a sample and its shifted copy
 * ```ts
 * import { slicedWasserstein } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const x = new Float64Array([0, 0, 1, 1, 2, 0]);
 * const y = x.map((v, i) => (i % 2 === 0 ? v + 1 : v));
 * const sw = slicedWasserstein(x, y, { d: 2, directions: [1, 0] });
 * assert.equal(sw, 1);
 * ```
 *
 * @module
 */

export * from "./chi_square.ts";
export * from "./covariance_error.ts";
export * from "./erf.ts";
export * from "./ess.ts";
export * from "./histogram.ts";
export * from "./incomplete_gamma.ts";
export * from "./kolmogorov_smirnov.ts";
export * from "./mean_error.ts";
export * from "./mmd.ts";
export * from "./moments.ts";
export * from "./normal_cdf.ts";
export * from "./sample_covariance.ts";
export * from "./sample_mean.ts";
export * from "./sliced_wasserstein.ts";
export * from "./wasserstein_1d.ts";
export * from "./z_score.ts";
export * from "./partial_moments.ts";
export * from "./diffusion_diagnostics.ts";
