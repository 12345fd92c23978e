/**
 * SEDD's analytic ("Tweedie τ-leaping") step (Lou, Meng & Ermon, arXiv
 * 2310.16834, §4.2, Thm 4.2 applied per position): for a step t → s with
 * `Δσ = σ̄(t) − σ̄(s)`, position i moves to c with probability
 *
 *   `(exp(−Δσ·Q) s(z, t)_i)_c · exp(Δσ·Q)(c → z_i)`,
 *
 * where `s(z, t)_{i,z_i} = 1`. With exact ratios this is exactly the marginal
 * law of position i under the exact reverse kernel `p(z_s | z_t)`: with
 * `P = P_{s→t} = exp(Δσ·Q)` and `q(c) = p(z_s^i = c, z_t^{−i})`, the ratios are
 * `r = Pᵀq/p_t(z)`, so the step is `q(c)·P(c→z_i)/p_t(z)`. In closed form, with
 * `a = α_t/α_s = e^{−Δσ}`:
 *
 * - uniform: `P(c→b) = a·[c=b] + (1−a)/V`, `P^{−1} = (I − (1−a)/V·11ᵀ)/a`, so
 *   `p_c = (r_c − (1−a)/V·Σ_b r_b)/a · (a·[c = z_i] + (1−a)/V)`;
 * - masked, at a MASK: `p_c = r_c·(1−a)/a` and `p_MASK = 1 − (1−a)/a·Σ_b r_b`
 *   (which is the MDLM step when r is exact); an unmasked token stays.
 *
 * With an inexact model some p_c can be negative: they are set to 0 and the
 * row renormalised (as SEDD's sampler clamps), never with exact ratios.
 *
 * @module
 */

import type { DiscreteMethod, DiscreteStepRule } from "./discrete_method.ts";
import { discreteMethod } from "./_method_info.ts";

const rule: DiscreteStepRule = (out, o, current, r, m, ctx) => {
  const { process, alphaT, alphaS } = ctx;
  const S = process.states, V = process.vocabSize;
  const a = alphaT / alphaS;
  out.fill(0, o, o + S);
  let sum = 0;
  for (let b = 0; b < V; b++) sum += b === current ? 1 : r[m + b]!;
  if (process.kind === "masked") {
    if (current !== process.mask) {
      out[o + current] = 1;
      return;
    }
    const f = (1 - a) / a;
    for (let c = 0; c < V; c++) out[o + c] = f * r[m + c]!;
    out[o + process.mask] = 1 - f * sum;
  } else {
    const beta = (1 - a) / V;
    for (let c = 0; c < V; c++) {
      const rc = c === current ? 1 : r[m + c]!;
      out[o + c] = ((rc - beta * sum) / a) * ((c === current ? a : 0) + beta);
    }
  }
  let total = 0;
  for (let c = 0; c < S; c++) {
    if (out[o + c]! < 0) out[o + c] = 0;
    total += out[o + c]!;
  }
  if (total > 0 && Math.abs(total - 1) > 1e-12) {
    for (let c = 0; c < S; c++) {
      out[o + c]! /= total;
    }
  }
};

/**
 * The SEDD analytic sampler (uniform and masked; reads the concrete score).
 *
 * @example
 * ```ts
 * import { DISCRETE_METHODS } from "./registry.ts";
 * import { seddAnalyticDiscrete } from "./sedd_analytic.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DISCRETE_METHODS.get("tweedie"), seddAnalyticDiscrete);
 * ```
 */
export const seddAnalyticDiscrete: DiscreteMethod = discreteMethod(
  {
    name: "sedd_analytic",
    aliases: ["analytic", "tweedie", "tweedie-tauleap"],
    summary:
      "SEDD analytic (Tweedie τ-leaping) step from exp(±Δσ̄·Q) and the ratios (Lou et al. 2023)",
    processes: ["uniform", "masked"],
    needs: "ratios",
    finalDenoise: false,
  },
  rule,
);
