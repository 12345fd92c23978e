/**
 * Diffusion samplers: the k-diffusion family, noise sources, σ grids and the
 * predictor–corrector sampler.
 *
 * @module
 */

export * from "./k_diffusion.ts";
