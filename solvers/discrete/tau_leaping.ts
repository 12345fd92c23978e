/**
 * τ-leaping for categorical states, per position (Campbell et al. 2205.14987
 * §4.1; Lou et al. 2310.16834 §4.1): draw `N_b ~ Poisson(h·R̂_b)` for every
 * target b and jump only if exactly one event occurred. Its exact one-step
 * law is `P(b) = h·R̂_b·e^{−h·ΣR̂}`, stay with the rest, which is what is drawn
 * (one categorical, the same law as the Poisson draws). On the masked process
 * it leaves masks at the end: see `tauleap_fd`.
 *
 * @module
 */

import type { DiscreteMethod, DiscreteStepRule } from "./discrete_method.ts";
import { discreteMethod } from "./_method_info.ts";
import { reverseRates } from "./_reverse_rates.ts";

/**
 * The τ-leaping rule ("jump only if exactly one event").
 *
 * @param out the destination
 * @param o where the row starts
 * @param current the state now
 * @param model the ratios
 * @param m where the position's ratios start
 * @param ctx the step
 *
 * @example One position of the uniform process
 * ```ts
 * import { tauLeapingRule } from "./tau_leaping.ts";
 * import { uniformProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const process = uniformProcess(2, logLinearSchedule());
 * const ctx = { process, t: 1, s: 0.5, h: 0.5, sigma: 2, alphaT: 0, alphaS: 0,
 *   remask: { schedule: "cap" as const, eta: 0 } };
 * const out = new Float64Array(2);
 * tauLeapingRule(out, 0, 0, Float64Array.of(1, 1), 0, ctx); // R̂_1 = σ/V·1 = 1
 * assert.ok(Math.abs(out[1]! - 0.5 * Math.exp(-0.5)) < 1e-15);
 * ```
 */
export const tauLeapingRule: DiscreteStepRule = (out, o, current, model, m, ctx) => {
  const V = ctx.process.vocabSize;
  const total = reverseRates(out, o, current, model, m, ctx);
  const w = ctx.h * Math.exp(-ctx.h * total);
  let moved = 0;
  for (let b = 0; b < V; b++) {
    out[o + b]! *= w;
    moved += out[o + b]!;
  }
  out[o + current] = 1 - moved;
};

/**
 * The τ-leaping sampler (uniform and masked; reads the concrete score).
 *
 * @example
 * ```ts
 * import { DISCRETE_METHODS } from "./registry.ts";
 * import { tauLeapingDiscrete } from "./tau_leaping.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DISCRETE_METHODS.get("tau-leaping"), tauLeapingDiscrete);
 * ```
 */
export const tauLeapingDiscrete: DiscreteMethod = discreteMethod(
  {
    name: "tauleap",
    aliases: ["tau-leaping", "tau_leaping"],
    summary:
      "τ-leaping, jump only on exactly one event: P(b) = h·R̂_b·exp(−h·ΣR̂) (Campbell et al. 2022)",
    processes: ["uniform", "masked"],
    needs: "ratios",
    finalDenoise: false,
  },
  tauLeapingRule,
);
