/**
 * What is evaluated: the {@linkcode Denoiser} interface with its one place of
 * prediction-kind conversion, the exact Gaussian-mixture and full-covariance
 * Gaussian denoisers (with exact vector-Jacobian products) and the mixture's
 * JSON loader.
 *
 * @module
 */

export * from "./denoiser.ts";
export * from "./cfg.ts";
export * from "./gaussian.ts";
export * from "./gaussian_mixture.ts";
export * from "./parse_gaussian_mixture_spec.ts";
export * from "./mlp.ts";
export * from "./exact_posterior.ts";
export * from "./rescheduled.ts";
export * from "./mixture_interpolant.ts";
