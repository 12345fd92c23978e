/**
 * Markov jump processes from data: the likelihood of noisy, sparse,
 * irregular observations of many paths (a continuous-time hidden Markov
 * model with cached `exp(QΔt)`), EM for the full rate matrix (Bladt &
 * Sørensen 2005), maximum likelihood for a parameterised generator with
 * standard errors, Bayesian posterior samples by uniformization-based
 * Gibbs sampling (Rao & Teh 2013), derived quantities with uncertainty
 * (stationary law, relaxation time, mean first-passage times, entropy
 * production), and continuous-time Markov state models from fully
 * observed or lag-sampled trajectories (maximum likelihood, reversible or
 * not, and Bayesian).
 *
 * @example EM on a two-state chain seen exactly on a fine grid
 * ```ts
 * import { emMjp, exactEmission, simulateMjpObservations } from "./mod.ts";
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import assert from "node:assert/strict";
 * const truth = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * const { observations } = simulateMjpObservations(truth, {
 *   paths: 100, observationsPerPath: 20, tEnd: 5, emission: exactEmission(2), key: { seed: 5, stream: 0 },
 * });
 * const r = emMjp(observations, { emission: exactEmission(2) });
 * assert.ok(r.converged);
 * ```
 *
 * @module
 */

export * from "./observations.ts";
export * from "./simulate_mjp_observations.ts";
export * from "./mjp_forward_backward.ts";
export * from "./mjp_log_likelihood.ts";
export * from "./em_mjp.ts";
export * from "./generator_models.ts";
export * from "./mle_mjp.ts";
export * from "./mjp_derived_quantities.ts";
export * from "./flashing_ratchet_readout.ts";
export * from "./msm_counts.ts";
export * from "./msm_estimate.ts";
export * from "./msm_posterior.ts";
export * from "./msm_reversible_gibbs.ts";
export * from "./msm_lagged.ts";
export * from "./msm_reversible_model.ts";
export * from "./gibbs_mjp.ts";
export * from "./gibbs_credible_interval.ts";
export * from "./gibbs_posterior_summary.ts";
