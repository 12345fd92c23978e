/**
 * τ-leaping with a final denoise on the masked process: the τ-leaping steps,
 * then every MASK left is filled from `p_0(x_i | z_UM)`, all positions at once
 * and independently (Lou et al. 2310.16834 §4.2's final denoising step; the
 * x0 conditionals are evaluated at the last step's left time, which for the
 * masked process does not matter with an exact model: they do not depend on t).
 *
 * @module
 */

import type { DiscreteMethod } from "./discrete_method.ts";
import { discreteMethod } from "./_method_info.ts";
import { tauLeapingRule } from "./tau_leaping.ts";

/**
 * The `tauleap_fd` sampler (masked; ratios for the steps, x0 for the final denoise).
 *
 * @example
 * ```ts
 * import { DISCRETE_METHODS } from "./registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DISCRETE_METHODS.get("tauleap_fd").info.finalDenoise, true);
 * ```
 */
export const tauLeapingFinalDenoiseDiscrete: DiscreteMethod = discreteMethod(
  {
    name: "tauleap_fd",
    aliases: ["tau-leaping-fd", "tauleap-denoise"],
    summary: "τ-leaping, then the masks left filled from p_0(x_i | z_UM) (Lou et al. 2023)",
    processes: ["masked"],
    needs: "ratios",
    finalDenoise: true,
  },
  tauLeapingRule,
);
