/**
 * The MDLM ancestral step of the masked process (Sahoo et al., "Simple and
 * Effective Masked Diffusion Language Models", arXiv 2406.07524, eq. (7);
 * the D3PM posterior of Austin et al. 2107.03006 with the absorbing kernel):
 * a MASK at t unmasks to b with probability `(α_s − α_t)/(1 − α_t)·p_0(b | z_UM)`
 * and stays masked with `(1 − α_s)/(1 − α_t)`; an unmasked token is carried over.
 * With exact x0 conditionals it is the exact per-position reverse step.
 *
 * @module
 */

import type { DiscreteMethod, DiscreteStepRule } from "./discrete_method.ts";
import { discreteMethod } from "./_method_info.ts";

const rule: DiscreteStepRule = (out, o, current, x0, m, ctx) => {
  const { process, alphaT, alphaS } = ctx;
  const S = process.states, V = process.vocabSize;
  out.fill(0, o, o + S);
  if (current !== process.mask) {
    out[o + current] = 1;
    return;
  }
  const unmask = (alphaS - alphaT) / (1 - alphaT);
  for (let b = 0; b < V; b++) out[o + b] = unmask * x0[m + b]!;
  out[o + process.mask] = (1 - alphaS) / (1 - alphaT);
};

/**
 * The MDLM sampler (masked; reads x0 conditionals).
 *
 * @example
 * ```ts
 * import { DISCRETE_METHODS } from "./registry.ts";
 * import { mdlmDiscrete } from "./mdlm.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DISCRETE_METHODS.get("ancestral"), mdlmDiscrete);
 * assert.equal(mdlmDiscrete.info.needs, "x0");
 * ```
 */
export const mdlmDiscrete: DiscreteMethod = discreteMethod(
  {
    name: "mdlm",
    aliases: ["ancestral", "mdlm-ancestral"],
    summary:
      "MDLM ancestral step: unmask with (α_s − α_t)/(1 − α_t)·p_0(b | z_UM) (Sahoo et al. 2024)",
    processes: ["masked"],
    needs: "x0",
    finalDenoise: false,
  },
  rule,
);
