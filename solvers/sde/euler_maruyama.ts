/**
 * The Euler–Maruyama method.
 *
 * @module
 */

import type { SdeSolver } from "./solver_info.ts";
import { srkSolver } from "./srk_solver.ts";

/**
 * Euler–Maruyama, `X' = X + f(t, X)h + g(t, X)·ΔW` (Kloeden & Platen 1992,
 * §10.2): Itô, any noise; strong order 0.5 (1.0 for additive noise), weak
 * order 1. A one-stage tableau.
 *
 * @example
 * ```ts
 * import { eulerMaruyama } from "./euler_maruyama.ts";
 * import assert from "node:assert/strict";
 * assert.equal(eulerMaruyama.info.weakOrder, 1);
 * assert.equal(eulerMaruyama.info.calculus, "ito");
 * ```
 */
export const eulerMaruyama: SdeSolver = srkSolver(
  {
    name: "euler-maruyama",
    aliases: ["em", "euler"],
    summary:
      "Euler–Maruyama, Itô, any noise (Kloeden & Platen 1992, §10.2; diffrax Euler, DifferentialEquations.jl EM)",
    calculus: "ito",
    noise: ["diagonal", "scalar", "additive", "general"],
    strongOrder: { general: 0.5, additive: 1 },
    weakOrder: 1,
    adaptive: false,
    errorOrder: undefined,
    levyArea: false,
  },
  {
    stages: 1,
    c0: [0],
    c1: [0],
    a0: [[0]],
    a1: [[0]],
    b0: [[0]],
    b1: [[0]],
    noise0: "dW",
    noise1: "dW",
    alpha: [1],
    beta: [["dW", [1]]],
  },
);
