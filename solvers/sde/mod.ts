/**
 * SDE solvers: Euler–Maruyama, Milstein (Itô and Stratonovich), stochastic
 * Heun, Euler–Heun, SRA1, SRIW1 and reversible Heun, each an object with its
 * declared metadata and its step (a tableau for the one tableau driver, or
 * its own step), listed in one registry (`sdeSolvers`); one driver
 * (`solveSde`) with fixed or adaptive steps (a PI controller independent of
 * the solver); ensembles on cpu and webgpu for every solver with an
 * ensemble step (`simulateEnsemble`); Brownian paths on a fixed grid or as a
 * virtual Brownian tree, all keyed by Philox counters.
 *
 * @example Euler–Maruyama on geometric Brownian motion
 * ```ts
 * import { eulerMaruyama, solveSde } from "./mod.ts";
 * import { geometricBrownianMotion } from "../../processes/sde_models/geometric_brownian_motion.ts";
 * import assert from "node:assert/strict";
 * const gbm = geometricBrownianMotion({ mu: 0.1, sigma: 0.2 });
 * const sol = solveSde(gbm, { solver: eulerMaruyama, x0: [1], paths: 4, t1: 1, dt: 0.1 });
 * assert.deepEqual(sol.shape, [1, 4, 1]);
 * ```
 *
 * @module
 */

export * from "./brownian_path.ts";
export * from "./brownian_grid.ts";
export * from "./virtual_brownian_tree.ts";
export * from "./solver_info.ts";
export * from "./srk_tableau.ts";
export * from "./define_sde_solver.ts";
export * from "./srk_solver.ts";
export * from "./euler_maruyama.ts";
export * from "./milstein.ts";
export * from "./heun.ts";
export * from "./euler_heun.ts";
export * from "./sra1.ts";
export * from "./sriw1.ts";
export * from "./reversible_heun.ts";
export * from "./pi_controller.ts";
export * from "./solve_sde.ts";
export * from "./ensemble.ts";
export * from "./registry.ts";
export * from "../method_registry.ts";
export * from "../run_context.ts";
