/**
 * The reversible Heun method.
 *
 * @module
 */

import type { SdeSolver } from "./solver_info.ts";

/**
 * Reversible Heun (Kidger, Foster, Li & Lyons, "Efficient and accurate
 * gradients for neural SDEs", NeurIPS 2021, Algorithm 1): carries an
 * auxiliary state Ŷ with its drift and diffusion,
 * `Ŷ' = 2X − Ŷ + f(Ŷ)h + g(Ŷ)·ΔW`,
 * `X' = X + ½(f(Ŷ) + f(Ŷ'))h + ½(g(Ŷ) + g(Ŷ'))·ΔW`, which is algebraically
 * reversible and costs one drift and one diffusion evaluation per step.
 * Stratonovich; strong order 0.5 in general and 1 for additive noise
 * (Kidger et al. 2021, §3); order 1 for scalar and diagonal (commutative)
 * noise is declared from our convergence test (fitted 0.94 on GBM), not
 * from a theorem; weak order 1.
 *
 * @example
 * ```ts
 * import { reversibleHeun } from "./reversible_heun.ts";
 * import assert from "node:assert/strict";
 * assert.equal(reversibleHeun.info.strongOrder.additive, 1);
 * ```
 */
export const reversibleHeun: SdeSolver = Object.freeze<SdeSolver>({
  info: {
    name: "reversible-heun",
    calculus: "stratonovich",
    noise: ["diagonal", "scalar", "additive", "general"],
    strongOrder: { general: 0.5, commutative: 1, additive: 1 },
    weakOrder: 1,
    adaptive: false,
    errorOrder: undefined,
    levyArea: false,
  },
  method: { kind: "reversible-heun" },
});
