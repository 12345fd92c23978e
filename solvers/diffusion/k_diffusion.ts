/**
 * The k-diffusion samplers (Crowson's `k_diffusion.sampling`, the reference
 * implementation whose conventions these match: σ grids with an appended 0,
 * `d = (x − D)/σ`, the ancestral split with η, `s_noise`, the NFE counts),
 * their σ grids, the noise sources, and the predictor–corrector sampler.
 *
 * @module
 */

export * from "./noise.ts";
export * from "./k_sigmas.ts";
export * from "./k_sampler_options.ts";
export * from "./sample_euler.ts";
export * from "./sample_heun.ts";
export * from "./sample_dpm_2.ts";
export * from "./sample_lms.ts";
export * from "./sample_dpmpp_2m.ts";
export * from "./sample_dpm_fast.ts";
export * from "./sample_euler_ancestral.ts";
export * from "./sample_dpm_2_ancestral.ts";
export * from "./sample_dpmpp_2s_ancestral.ts";
export * from "./sample_dpmpp_sde.ts";
export * from "./sample_dpmpp_2m_sde.ts";
export * from "./sample_dpmpp_3m_sde.ts";
export * from "./pc_sampler.ts";
