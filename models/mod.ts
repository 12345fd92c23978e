/**
 * What is evaluated: the {@linkcode Denoiser} interface with its one place of
 * prediction-kind conversion, the exact Gaussian-mixture denoiser and its
 * JSON loader.
 *
 * @module
 */

export * from "./denoiser.ts";
export * from "./gaussian_mixture.ts";
export * from "./parse_gaussian_mixture_spec.ts";
