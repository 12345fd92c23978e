/**
 * Conversions between the concrete score (ratios) and the denoiser (x0
 * conditionals), per position, exact for exact inputs.
 *
 * With `P = P_{0→t}` the per-token forward kernel and `q(c) = p(x_0^i = c, z_t^{−i})`:
 * `p_t(z^{i←b}) = Σ_c q(c)·P(c→b)` and `p(x_0^i = c | z_t) = q(c)·P(c→z_i)/p_t(z)`, so
 *
 * - ratios from x0: `r_b = Σ_c p(x_0^i = c | z_t)·P(c→b)/P(c→z_i)`;
 * - x0 from ratios: `p(x_0^i = c | z_t) = (P^{−T} r)_c · P(c→z_i)`.
 *
 * For the masked process at a MASK position these are MDLM's
 * `r_b = α_t/(1−α_t)·p_0(b | z_UM)` (Sahoo et al. 2406.07524 §3; Ou et al.,
 * RADD, 2406.03736 Thm 1). At an unmasked position of the masked process x0
 * is the token itself, and the ratios to other symbols are not determined by
 * the denoiser; no reverse move ever leaves an unmasked token, so they are
 * returned as 0 (and 1 for the token itself). For the uniform process
 * `P^{−1} = (I − (1−α)/V·11ᵀ)/α`. With an inexact model the x0 from ratios can
 * come out negative: such entries are set to 0 and the row renormalised (the
 * only place a model's output is changed, and only when it is inconsistent).
 *
 * @module
 */

import { SdenoTypeError } from "../../kernels/errors.ts";
import type { DiscreteProcess } from "./discrete_process.ts";
import type { DiscreteModel, DiscreteModelOutput } from "./discrete_model.ts";

/**
 * The x0 conditionals implied by ratios, for a batch.
 *
 * @param process the forward process
 * @param z n sequences of L states
 * @param ratios n·L·V ratios
 * @param t the time (α_t > 0 needed)
 * @returns n·L·V probabilities
 *
 * @example Masked: a MASK position's x0 is the ratios times (1 − α)/α
 * ```ts
 * import { x0FromRatios } from "./convert_discrete_model.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = maskedProcess(2, logLinearSchedule({ eps: 0.5 })); // α(1) = 0.5
 * const x0 = x0FromRatios(p, Int32Array.of(2), Float64Array.of(0.25, 0.75), 1);
 * assert.deepEqual([...x0], [0.25, 0.75]);
 * ```
 */
export function x0FromRatios(
  process: DiscreteProcess,
  z: Int32Array,
  ratios: Float64Array,
  t: number,
): Float64Array {
  const V = process.vocabSize;
  const a = process.schedule.alpha(t);
  const out = new Float64Array(ratios.length);
  const rows = z.length;
  for (let r = 0; r < rows; r++) {
    const zi = z[r]!, o = r * V;
    if (process.kind === "masked") {
      if (zi !== process.mask) {
        out[o + zi] = 1;
        continue;
      }
      const f = (1 - a) / a;
      for (let c = 0; c < V; c++) out[o + c] = ratios[o + c]! * f;
    } else {
      let sum = 0;
      for (let b = 0; b < V; b++) sum += ratios[o + b]!;
      const beta = (1 - a) / V;
      for (let c = 0; c < V; c++) {
        const w = (ratios[o + c]! - beta * sum) / a;
        out[o + c] = w * ((c === zi ? a : 0) + beta);
      }
    }
    clampAndNormalise(out, o, V);
  }
  return out;
}

/**
 * The ratios implied by x0 conditionals, for a batch.
 *
 * @param process the forward process
 * @param z n sequences of L states
 * @param x0 n·L·V probabilities
 * @param t the time (α_t < 1 needed for the masked process)
 * @returns n·L·V ratios
 *
 * @example Uniform: a sure x0 at α = 1/2 over 2 symbols
 * ```ts
 * import { ratiosFromX0 } from "./convert_discrete_model.ts";
 * import { uniformProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = uniformProcess(2, logLinearSchedule({ eps: 0.5 }));
 * // P(0→0) = 3/4, P(0→1) = 1/4: r_1 = (1/4)/(3/4)
 * const r = ratiosFromX0(p, Int32Array.of(0), Float64Array.of(1, 0), 1);
 * assert.ok(Math.abs(r[1]! - 1 / 3) < 1e-15 && r[0] === 1);
 * ```
 */
export function ratiosFromX0(
  process: DiscreteProcess,
  z: Int32Array,
  x0: Float64Array,
  t: number,
): Float64Array {
  const V = process.vocabSize;
  const a = process.schedule.alpha(t);
  const out = new Float64Array(x0.length);
  for (let r = 0; r < z.length; r++) {
    const zi = z[r]!, o = r * V;
    if (process.kind === "masked") {
      if (zi !== process.mask) {
        out[o + zi] = 1;
        continue;
      }
      const f = a / (1 - a);
      for (let b = 0; b < V; b++) out[o + b] = x0[o + b]! * f;
    } else {
      const beta = (1 - a) / V;
      for (let b = 0; b < V; b++) {
        let s = 0;
        for (let c = 0; c < V; c++) {
          s += x0[o + c]! * ((c === b ? a : 0) + beta) / ((c === zi ? a : 0) + beta);
        }
        out[o + b] = s;
      }
      out[o + zi] = 1;
    }
  }
  return out;
}

/**
 * The same model with the other output kind, through the conversions above
 * (the model itself is unchanged; returns it as is when it already has that kind).
 *
 * @param model the model
 * @param output the wanted kind
 * @returns a model returning `output`
 *
 * @example A denoiser seen as a concrete-score model
 * ```ts
 * import { withOutput } from "./convert_discrete_model.ts";
 * import { discreteModel } from "./discrete_model.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const x0 = discreteModel({
 *   process: maskedProcess(2, logLinearSchedule({ eps: 0.5 })), length: 1, output: "x0",
 *   evaluate: () => Float64Array.of(0.5, 0.5),
 * });
 * const r = withOutput(x0, "ratios");
 * assert.deepEqual([...await r.evaluate(Int32Array.of(2), 1)], [0.5, 0.5]);
 * ```
 */
export function withOutput(model: DiscreteModel, output: DiscreteModelOutput): DiscreteModel {
  if (output !== "ratios" && output !== "x0") {
    throw new SdenoTypeError(`Cannot convert the model: output must be "ratios" or "x0"`);
  }
  if (model.output === output) return model;
  const convert = output === "x0" ? x0FromRatios : ratiosFromX0;
  return Object.freeze({
    process: model.process,
    length: model.length,
    output,
    evaluate: async (z: Int32Array, t: number) =>
      convert(model.process, z, await model.evaluate(z, t), t),
  });
}

function clampAndNormalise(out: Float64Array, o: number, V: number): void {
  let sum = 0;
  for (let c = 0; c < V; c++) {
    if (out[o + c]! < 0) out[o + c] = 0;
    sum += out[o + c]!;
  }
  if (sum > 0 && sum !== 1) { for (let c = 0; c < V; c++) out[o + c]! /= sum; }
}
