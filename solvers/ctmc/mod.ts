/**
 * Continuous-time Markov chains and reaction networks: the matrix
 * exponential and transition matrices, uniformization for large sparse
 * generators, and exact (direct, next-reaction, first-reaction) and
 * approximate (tau-leaping) stochastic simulation, every method of which is
 * declared in one registry, `SSA_METHODS`.
 *
 * @example The direct method on a birth–death network
 * ```ts
 * import { ssaDirect } from "./mod.ts";
 * import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
 * import assert from "node:assert/strict";
 * const net = parseReactionNetwork("species X = 0\n0 -> X @ 10\nX -> 0 @ 0.1");
 * const r = ssaDirect(net, { tEnd: 1, saveTimes: [0.5, 1], paths: 2 });
 * assert.equal(r.counts.length, 4);
 * ```
 *
 * @module
 */

export * from "./expm.ts";
export * from "./expm_multiply.ts";
export * from "./transition_matrix.ts";
export * from "./uniformization.ts";
export type { SsaOptions, SsaResult, SsaTrajectory } from "./_ssa_common.ts";
export * from "./ssa_direct.ts";
export * from "./next_reaction.ts";
export * from "./first_reaction.ts";
export * from "./tau_leaping.ts";
export * from "./ssa_ensemble.ts";
export * from "./registry.ts";
export * from "../method_registry.ts";
export * from "../run_context.ts";
