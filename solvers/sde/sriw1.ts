/**
 * Rößler's SRIW1 for diagonal and scalar Itô noise.
 *
 * @module
 */

import type { SdeSolver } from "./solver_info.ts";
import { srkSolver } from "./srk_solver.ts";

/**
 * SRIW1 (Rößler 2010, SIAM J. Numer. Anal. 48(3), §5, the weak-order-2
 * variant of SRI1): a four-stage stochastic Runge–Kutta method for Itô SDEs
 * with diagonal or scalar noise, strong order 1.5 and weak order 2, using
 * ΔW, I₍₁,₀₎, I₍₁,₁₎ and I₍₁,₁,₁₎ of each component. Adaptive with the embedded
 * Euler–Maruyama step.
 *
 * @example
 * ```ts
 * import { sriw1 } from "./sriw1.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sriw1.info.strongOrder.commutative, 1.5);
 * ```
 */
export const sriw1: SdeSolver = srkSolver(
  {
    name: "sriw1",
    aliases: [],
    summary:
      "Rößler SRIW1, Itô diagonal/scalar noise, strong order 1.5, adaptive (SIAM J. Numer. Anal. 2010, §5)",
    calculus: "ito",
    noise: ["diagonal", "scalar"],
    strongOrder: { commutative: 1.5 },
    weakOrder: 2,
    adaptive: true,
    errorOrder: 1,
    levyArea: true,
  },
  {
    stages: 4,
    c0: [0, 0.75, 0, 0],
    c1: [0, 0.25, 1, 0.25],
    a0: [[0, 0, 0, 0], [0.75, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    a1: [[0, 0, 0, 0], [0.25, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0.25, 0]],
    b0: [[0, 0, 0, 0], [1.5, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    b1: [[0, 0, 0, 0], [0.5, 0, 0, 0], [-1, 0, 0, 0], [-5, 3, 0.5, 0]],
    noise0: "dZ/h",
    noise1: "sqrtH",
    alpha: [1 / 3, 2 / 3, 0, 0],
    beta: [
      ["dW", [-1, 4 / 3, 2 / 3, 0]],
      ["I11/sqrtH", [-1, 4 / 3, -1 / 3, 0]],
      ["dZ/h", [2, -4 / 3, -2 / 3, 0]],
      ["I111/h", [-2, 5 / 3, -2 / 3, 1]],
    ],
    alphaHat: [1, 0, 0, 0],
    betaHat: [["dW", [1, 0, 0, 0]]],
  },
);
