/**
 * The Euler–Heun method.
 *
 * @module
 */

import type { SdeSolver } from "./solver_info.ts";
import { srkSolver } from "./srk_solver.ts";

/**
 * Euler–Heun: `X̃ = X + g(t, X)·ΔW`, `X' = X + f(t, X)h + ½(g(t, X) + g(t, X̃))·ΔW`
 * (the explicit Stratonovich scheme of Kloeden & Platen 1992, §11.1, used by
 * diffrax as `EulerHeun`). Stratonovich; strong order 1 for commutative and
 * additive noise, 0.5 general; weak order 1. One drift and two diffusion
 * evaluations per step.
 *
 * @example
 * ```ts
 * import { eulerHeun } from "./euler_heun.ts";
 * import assert from "node:assert/strict";
 * assert.equal(eulerHeun.info.strongOrder.general, 0.5);
 * ```
 */
export const eulerHeun: SdeSolver = srkSolver(
  {
    name: "euler-heun",
    aliases: ["eulerheun"],
    summary: "Euler–Heun, Stratonovich (Kloeden & Platen 1992, §11.1; diffrax EulerHeun)",
    calculus: "stratonovich",
    noise: ["diagonal", "scalar", "additive", "general"],
    strongOrder: { general: 0.5, commutative: 1, additive: 1 },
    weakOrder: 1,
    adaptive: false,
    errorOrder: undefined,
    levyArea: false,
  },
  {
    stages: 2,
    c0: [0, 0],
    c1: [0, 0],
    a0: [[0, 0], [0, 0]],
    a1: [[0, 0], [0, 0]],
    b0: [[0, 0], [0, 0]],
    b1: [[0, 0], [1, 0]],
    noise0: "dW",
    noise1: "dW",
    alpha: [1, 0],
    beta: [["dW", [0.5, 0.5]]],
  },
);
