/**
 * Diffusion samplers: the k-diffusion family, noise sources, σ grids and the
 * predictor–corrector sampler.
 *
 * @module
 */

export * from "./types.ts";
export * from "./k_diffusion.ts";
export * from "./time_grids.ts";
export * from "./dpm_solver.ts";
export * from "./dpm_solver_plan.ts";
export * from "./unipc.ts";
export * from "./ddim.ts";
export * from "./ddpm.ts";
export * from "./dynamic_thresholding.ts";
export * from "./dpm_solver_adaptive.ts";
export * from "./dpmpp_sde.ts";
export * from "./sample_dpm_adaptive.ts";
