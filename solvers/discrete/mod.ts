/**
 * Discrete diffusion: masked (absorbing) and uniform forward CTMCs over
 * sequences, their exact marginals, and reverse samplers driven by a
 * concrete-score or denoiser model — Euler, τ-leaping (with the final
 * denoise), the analytic MDLM and SEDD steps and ReMDM remasking — every
 * one declared in `DISCRETE_METHODS`, with exact one-step kernels for
 * checking them on small alphabets.
 *
 * @example The masked process keeps a token with probability α_t
 * ```ts
 * import { logLinearSchedule } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const s = logLinearSchedule();
 * assert.ok(Math.abs(s.alpha(0.5) - (1 - (1 - 1e-3) * 0.5)) < 1e-15);
 * ```
 *
 * @module
 */

export * from "./discrete_schedule.ts";
export * from "./discrete_process.ts";
export * from "./sequence_space.ts";
export * from "./sequence_marginal.ts";
export * from "./discrete_model.ts";
export * from "./exact_discrete_model.ts";
export * from "./convert_discrete_model.ts";
export * from "./discrete_method.ts";
export * from "./discrete_time_grid.ts";
export * from "./euler.ts";
export * from "./tau_leaping.ts";
export * from "./tau_leaping_final_denoise.ts";
export * from "./mdlm.ts";
export * from "./sedd_analytic.ts";
export * from "./remdm.ts";
export * from "./registry.ts";
export * from "./sample_discrete.ts";
export * from "./exact_output_distribution.ts";
