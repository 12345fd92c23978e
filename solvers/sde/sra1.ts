/**
 * Rößler's SRA1 for additive noise.
 *
 * @module
 */

import type { SdeSolver } from "./solver_info.ts";
import { srkSolver } from "./srk_solver.ts";

/**
 * SRA1 (Rößler 2010, SIAM J. Numer. Anal. 48(3), Table 6.1 / §6): a
 * two-stage stochastic Runge–Kutta method for additive noise with strong
 * order 1.5 and weak order 2, using ΔW and I₍₁,₀₎. Adaptive with the embedded
 * Euler–Maruyama step on the same stages.
 *
 * @example
 * ```ts
 * import { sra1 } from "./sra1.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sra1.info.strongOrder.additive, 1.5);
 * assert.deepEqual(sra1.info.noise, ["additive"]);
 * ```
 */
export const sra1: SdeSolver = srkSolver(
  {
    name: "sra1",
    aliases: [],
    summary:
      "Rößler SRA1, additive noise, strong order 1.5, adaptive (SIAM J. Numer. Anal. 2010, Table 6.1)",
    calculus: "ito",
    noise: ["additive"],
    strongOrder: { additive: 1.5 },
    weakOrder: 2,
    adaptive: true,
    errorOrder: 1.5,
    levyArea: true,
  },
  {
    stages: 2,
    c0: [0, 0.75],
    c1: [1, 0],
    a0: [[0, 0], [0.75, 0]],
    a1: [[0, 0], [0, 0]],
    b0: [[0, 0], [1.5, 0]],
    b1: [[0, 0], [0, 0]],
    noise0: "dZ/h",
    noise1: "dW",
    alpha: [1 / 3, 2 / 3],
    beta: [["dW", [1, 0]], ["dZ/h", [-1, 1]]],
    alphaHat: [1, 0],
    betaHat: [["dW", [0, 1]]],
  },
);
