/**
 * Diffusion samplers: one run context ({@linkcode SampleRun}), one method
 * protocol ({@linkcode DiffusionMethod}) and one registry of every sampler
 * ({@linkcode diffusionMethods}) — the k-diffusion family, DPM-Solver(++)
 * with its SDE and adaptive variants, UniPC, DDIM, DDPM, DEIS and the
 * predictor–corrector sampler — plus their noise sources and time grids.
 *
 * @module
 */

export * from "./types.ts";
export * from "./sample_run.ts";
export * from "./diffusion_method.ts";
export * from "./registry.ts";
export * from "./noise.ts";
export * from "./k_sigmas.ts";
export * from "./time_grids.ts";
export * from "./churn_options.ts";
export * from "./dynamic_thresholding.ts";
export * from "./sample_euler.ts";
export * from "./sample_heun.ts";
export * from "./sample_dpm_2.ts";
export * from "./sample_lms.ts";
export * from "./sample_dpm_fast.ts";
export * from "./sample_euler_ancestral.ts";
export * from "./sample_dpm_2_ancestral.ts";
export * from "./sample_dpmpp_2s_ancestral.ts";
export * from "./sample_dpmpp_sde.ts";
export * from "./sample_dpmpp_3m_sde.ts";
export * from "./sample_predictor_corrector.ts";
export * from "./dpm_solver.ts";
export * from "./dpm_solver_plan.ts";
export * from "./dpm_solver_adaptive.ts";
export * from "./sde_dpm_solver.ts";
export * from "./unipc.ts";
export * from "./ddim.ts";
export * from "./ddpm.ts";
export * from "./deis.ts";
export * from "../method_registry.ts";
export * from "../run_context.ts";
export * from "./plan_budget.ts";
export * from "./sigma_schedules.ts";
export * from "./sampler_names.ts";
export * from "./ipndm.ts";
export * from "./restart.ts";
export * from "./lcm.ts";
export * from "./flow_match.ts";
export * from "./sa_solver.ts";
export * from "./dpm_solver_v3.ts";
export * from "./dpm_solver_v3_statistics.ts";
export * from "./schedule_search.ts";
export * from "./schedule_search_multistep.ts";
export * from "./inversion.ts";
export * from "./denoising_mcmc.ts";
export * from "./diagnostics.ts";
export * from "./mrs.ts";
export * from "./mrs_mixture.ts";
export * from "./interpolant_samplers.ts";
