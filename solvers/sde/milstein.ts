/**
 * The Milstein method, Itô and Stratonovich.
 *
 * @module
 */

import type { SdeSolver } from "./solver_info.ts";

/**
 * Milstein for commutative noise (Kloeden & Platen 1992, §10.3, eq. 3.3):
 * `X'ᵢ = Xᵢ + fᵢh + (g·ΔW)ᵢ + ½(L¹g)ᵢ(ΔWₖ₍ᵢ₎² − h)` in Itô form and without the
 * `− h` in Stratonovich form (it reads `sde.calculus`), where
 * `(L¹g)ᵢ = Σⱼ gⱼ ∂gᵢ/∂xⱼ` comes from `sde.diffusionDerivative` or, without it,
 * a central finite difference of g along g; k(i) = i for diagonal noise and 0
 * for scalar noise. Strong order 1, weak order 1; additive noise reduces it
 * to Euler–Maruyama (order 1 too).
 *
 * @example
 * ```ts
 * import { milstein } from "./milstein.ts";
 * import assert from "node:assert/strict";
 * assert.equal(milstein.info.calculus, "both");
 * assert.equal(milstein.info.strongOrder.commutative, 1);
 * ```
 */
export const milstein: SdeSolver = Object.freeze<SdeSolver>({
  info: {
    name: "milstein",
    calculus: "both",
    noise: ["diagonal", "scalar", "additive"],
    strongOrder: { commutative: 1, additive: 1 },
    weakOrder: 1,
    adaptive: false,
    errorOrder: undefined,
    levyArea: false,
  },
  method: { kind: "milstein" },
});
