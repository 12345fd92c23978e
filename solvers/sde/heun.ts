/**
 * The stochastic Heun method.
 *
 * @module
 */

import type { SdeSolver } from "./solver_info.ts";
import { srkSolver } from "./srk_solver.ts";

/**
 * Stochastic Heun (the trapezoidal predictor–corrector, Kloeden & Platen
 * 1992, §15.1 with the Stratonovich reading): predictor
 * `X̃ = X + f h + g·ΔW`, then `X' = X + ½(f + f̃)h + ½(g + g̃)·ΔW`.
 * Stratonovich; strong order 1 for commutative and additive noise, 0.5 for
 * general noise; weak order 1. Adaptive with the embedded Euler step
 * (error `½(f̃ − f)h + ½(g̃ − g)·ΔW`, of order h).
 *
 * @example
 * ```ts
 * import { heun } from "./heun.ts";
 * import assert from "node:assert/strict";
 * assert.ok(heun.info.adaptive);
 * assert.equal(heun.info.calculus, "stratonovich");
 * ```
 */
export const heun: SdeSolver = srkSolver(
  {
    name: "heun",
    aliases: ["stochastic-heun"],
    summary: "stochastic Heun, Stratonovich, adaptive (Kloeden & Platen 1992, §15.1; diffrax Heun)",
    calculus: "stratonovich",
    noise: ["diagonal", "scalar", "additive", "general"],
    strongOrder: { general: 0.5, commutative: 1, additive: 1 },
    weakOrder: 1,
    adaptive: true,
    errorOrder: 1,
    levyArea: false,
  },
  {
    stages: 2,
    c0: [0, 1],
    c1: [0, 1],
    a0: [[0, 0], [1, 0]],
    a1: [[0, 0], [1, 0]],
    b0: [[0, 0], [1, 0]],
    b1: [[0, 0], [1, 0]],
    noise0: "dW",
    noise1: "dW",
    alpha: [0.5, 0.5],
    beta: [["dW", [0.5, 0.5]]],
    alphaHat: [1, 0],
    betaHat: [["dW", [1, 0]]],
  },
);
