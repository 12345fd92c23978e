/**
 * ReMDM, the remasking sampler of the masked process (Wang, Schiff, Sahoo &
 * Kuleshov, "Remasking Discrete Diffusion Models with Inference-Time
 * Scaling", arXiv 2503.00307, §3 eq. (5) and §4.1). Per position, with
 * x = p_0(· | z_t) at a MASK and x = the token itself otherwise:
 *
 * - unmasked at t: stays with `1 − σ_t`, is remasked with `σ_t`;
 * - MASK at t: becomes b with `(α_s − (1 − σ_t)·α_t)/(1 − α_t)·x_b`, stays
 *   masked with `(1 − α_s − σ_t·α_t)/(1 − α_t)`.
 *
 * σ_t must lie in `[0, σ_t^max]`, `σ_t^max = min(1, (1 − α_s)/α_t)`. Implemented
 * schedules: **cap**, `σ_t = min(η, (1 − α_s)/α_t)`, and **rescale**,
 * `σ_t = η·σ_t^max` (options.remask). Not implemented: the confidence-based
 * schedule (it weighs σ_t by a per-token score stored when the token was
 * unmasked, so the step is no longer a function of z_t alone) and the
 * switch/loop phases. With η = 0 the step is MDLM's; at the last step
 * (α_s = 1) σ_t = 0, so everything left masked is unmasked.
 *
 * @module
 */

import type { DiscreteMethod, DiscreteStepRule } from "./discrete_method.ts";
import { discreteMethod } from "./_method_info.ts";

/**
 * ReMDM's σ_t for a step t → s.
 *
 * @param alphaT α_t
 * @param alphaS α_s
 * @param remask the schedule and η
 * @returns σ_t in [0, σ_t^max]
 *
 * @example cap and rescale
 * ```ts
 * import { remaskProbability } from "./remdm.ts";
 * import assert from "node:assert/strict";
 * // α_t = 0.5, α_s = 0.6: σ^max = min(1, 0.4/0.5) = 0.8
 * assert.equal(remaskProbability(0.5, 0.6, { schedule: "cap", eta: 0.1 }), 0.1);
 * assert.ok(Math.abs(remaskProbability(0.5, 0.6, { schedule: "rescale", eta: 0.5 }) - 0.4) < 1e-15);
 * ```
 */
export function remaskProbability(
  alphaT: number,
  alphaS: number,
  remask: { schedule: "cap" | "rescale"; eta: number },
): number {
  const bound = (1 - alphaS) / alphaT;
  return remask.schedule === "cap"
    ? Math.max(0, Math.min(remask.eta, bound))
    : Math.max(0, remask.eta * Math.min(1, bound));
}

const rule: DiscreteStepRule = (out, o, current, x0, m, ctx) => {
  const { process, alphaT, alphaS } = ctx;
  const S = process.states, V = process.vocabSize, M = process.mask;
  const sigma = remaskProbability(alphaT, alphaS, ctx.remask);
  out.fill(0, o, o + S);
  if (current !== M) {
    out[o + current] = 1 - sigma;
    out[o + M] = sigma;
    return;
  }
  const unmask = (alphaS - (1 - sigma) * alphaT) / (1 - alphaT);
  for (let b = 0; b < V; b++) out[o + b] = unmask * x0[m + b]!;
  out[o + M] = (1 - alphaS - sigma * alphaT) / (1 - alphaT);
};

/**
 * The ReMDM sampler (masked; reads x0 conditionals; cap or rescale schedule).
 *
 * @example
 * ```ts
 * import { DISCRETE_METHODS } from "./registry.ts";
 * import { remdmDiscrete } from "./remdm.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DISCRETE_METHODS.get("remasking"), remdmDiscrete);
 * ```
 */
export const remdmDiscrete: DiscreteMethod = discreteMethod(
  {
    name: "remdm",
    aliases: ["remasking"],
    summary: "ReMDM remasking step, cap or rescale σ_t schedule (Wang et al. 2025)",
    processes: ["masked"],
    needs: "x0",
    finalDenoise: false,
  },
  rule,
);
