/**
 * The Euler step of the reverse CTMC, per position (Campbell et al.,
 * "A Continuous Time Framework for Discrete Denoising Models", 2205.14987
 * §4; Lou et al., SEDD, 2310.16834 §4.1): with the reverse rates R̂_b at the
 * left end t, move to b with probability `h·R̂_b` and stay with `1 − h·ΣR̂`;
 * when `h·ΣR̂ > 1` the move probabilities are renormalised (stay = 0).
 *
 * @module
 */

import type { DiscreteMethod, DiscreteStepRule } from "./discrete_method.ts";
import { discreteMethod } from "./_method_info.ts";
import { reverseRates } from "./_reverse_rates.ts";

const rule: DiscreteStepRule = (out, o, current, model, m, ctx) => {
  const total = reverseRates(out, o, current, model, m, ctx);
  const V = ctx.process.vocabSize;
  const scale = ctx.h * total > 1 ? 1 / total : ctx.h;
  for (let b = 0; b < V; b++) out[o + b]! *= scale;
  out[o + current] = ctx.h * total > 1 ? 0 : 1 - ctx.h * total;
};

/**
 * The Euler sampler (uniform and masked; reads the concrete score).
 *
 * @example Registered under its name and alias
 * ```ts
 * import { DISCRETE_METHODS } from "./registry.ts";
 * import { eulerDiscrete } from "./euler.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DISCRETE_METHODS.get("euler"), eulerDiscrete);
 * assert.deepEqual(eulerDiscrete.info.processes, ["uniform", "masked"]);
 * ```
 */
export const eulerDiscrete: DiscreteMethod = discreteMethod(
  {
    name: "euler",
    aliases: ["euler-ctmc"],
    summary: "Euler step of the reverse CTMC, renormalised when h·ΣR > 1 (Campbell et al. 2022)",
    processes: ["uniform", "masked"],
    needs: "ratios",
    finalDenoise: false,
  },
  rule,
);
