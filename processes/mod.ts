/**
 * What evolves: diffusion noise schedules (the {@linkcode NoiseSchedule}
 * interface and its VP linear / cosine / discrete, VE, EDM, sub-VP and
 * rectified-flow implementations), stochastic differential equations and the
 * built-in SDE models, rate matrices of continuous-time Markov chains, and
 * reaction networks.
 *
 * @module
 */

export * from "./noise_schedule.ts";
export * from "./vp_linear_schedule.ts";
export * from "./vp_cosine_schedule.ts";
export * from "./vp_discrete_schedule.ts";
export * from "./ve_schedule.ts";
export * from "./edm_schedule.ts";
export * from "./sub_vp_schedule.ts";
export * from "./rectified_flow_schedule.ts";
export * from "./sample_dataset.ts";
export * from "./sde.ts";
export * from "./sde_models/ornstein_uhlenbeck.ts";
export * from "./sde_models/geometric_brownian_motion.ts";
export * from "./sde_models/cox_ingersoll_ross.ts";
export * from "./sde_models/double_well_langevin.ts";
export * from "./sde_models/stochastic_lotka_volterra.ts";
export * from "./sde_models/kloeden_platen.ts";
export * from "./sde_models/diffusion_model_sdes.ts";
export * from "./rate_matrix.ts";
export * from "./stationary_distribution.ts";
export * from "./mean_first_passage_times.ts";
export * from "./entropy_production_rate.ts";
export * from "./flashing_ratchet.ts";
export * from "./ctmc_path.ts";
export * from "./ctmc_path_log_likelihood.ts";
export * from "./reaction_network.ts";
export * from "./reaction_network_parse.ts";
export * from "./reaction_network_json.ts";
export * from "./reaction_network_library.ts";
export * from "./reaction_network_cme.ts";
export * from "./fractional_noise.ts";
export * from "./mean_reverting_schedule.ts";
export * from "./interpolant.ts";
export * from "./interpolant_model.ts";
