/**
 * The models a discrete-diffusion sampler evaluates, one interface for both
 * kinds (Lou et al., SEDD, arXiv 2310.16834 §3; Sahoo et al., MDLM, arXiv
 * 2406.07524 §3):
 *
 * - `"ratios"` — the concrete score `s(z, t)_{i,b} ≈ p_t(z^{i←b})/p_t(z)` for
 *   every position i and data symbol b (b = z_i gives 1);
 * - `"x0"` — the denoiser `p_0(x_i = b | z_t)` for every position and data symbol.
 *
 * Either way `evaluate(z, t)` takes a batch of n noisy sequences (an
 * `Int32Array` of n·L states, row-major) and returns a `Float64Array` of
 * n·L·V numbers, row-major `[sequence][position][symbol]`; V is the number of
 * data symbols (MASK is never a target). A user's network plugs in through
 * {@linkcode discreteModel}. The samplers check every output (length,
 * finiteness, sign) and stop with the step, time and place of a bad value.
 *
 * @module
 */

import { checkInteger, NumericalError, quote, SdenoTypeError } from "../../kernels/errors.ts";
import type { DiscreteProcess } from "./discrete_process.ts";

/** What a discrete model returns. */
export type DiscreteModelOutput = "ratios" | "x0";

/** A concrete-score or denoiser model over sequences of a fixed length. */
export interface DiscreteModel {
  /** The forward process it was trained for. */
  readonly process: DiscreteProcess;
  /** The sequence length L. */
  readonly length: number;
  /** Ratios (concrete score) or x0 conditionals (denoiser). */
  readonly output: DiscreteModelOutput;
  /**
   * The model on a batch.
   *
   * @param z n sequences of L states, row-major
   * @param t the time
   * @returns n·L·V numbers, `[sequence][position][symbol]`
   */
  evaluate(z: Int32Array, t: number): Float64Array | Promise<Float64Array>;
}

/**
 * A model from a user's function (a network): checks the declaration now
 * and nothing of the function until a sampler calls it.
 *
 * @param spec the process, the length L, the output kind and `evaluate`
 * @returns the model
 * @throws {SdenoTypeError} for a missing process, a non-function evaluate or an unknown output
 * @throws {SdenoRangeError} for a length that is not a positive integer
 *
 * @example A "network" that knows nothing: uniform x0 conditionals
 * ```ts
 * import { discreteModel } from "./discrete_model.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const model = discreteModel({
 *   process: maskedProcess(4, logLinearSchedule()), length: 8, output: "x0",
 *   evaluate: (z) => new Float64Array(z.length * 4).fill(0.25),
 * });
 * assert.equal(model.output, "x0");
 * assert.throws(() => discreteModel({ ...model, output: "eps" as never }), /output must be/);
 * ```
 */
export function discreteModel(spec: DiscreteModel): DiscreteModel {
  const what = "Cannot build the discrete model";
  if (spec === null || typeof spec !== "object") {
    throw new SdenoTypeError(`${what}: spec must be an object, got ${quote(spec)}`);
  }
  const { process, length, output, evaluate } = spec;
  if (
    process === null || typeof process !== "object" ||
    (process.kind !== "uniform" && process.kind !== "masked")
  ) {
    throw new SdenoTypeError(`${what}: process must be a DiscreteProcess, got ${quote(process)}`);
  }
  checkInteger(what, "length", length, 1);
  if (output !== "ratios" && output !== "x0") {
    throw new SdenoTypeError(`${what}: output must be "ratios" or "x0", got ${quote(output)}`);
  }
  if (typeof evaluate !== "function") {
    throw new SdenoTypeError(`${what}: evaluate must be a function (z, t) => Float64Array`);
  }
  return Object.freeze({ process, length, output, evaluate: evaluate.bind(spec) });
}

/** Where a model call happens, for error messages. */
export interface ModelCallSite {
  /** The error prefix. */
  what: string;
  /** The step index, when in a sampler. */
  step?: number;
}

/**
 * Calls the model and checks its answer: a Float64Array of n·L·V finite,
 * non-negative numbers.
 *
 * @param model the model
 * @param z the batch (n·L states)
 * @param t the time
 * @param site the error prefix and the step
 * @returns the checked output
 * @throws {SdenoTypeError} for a wrong type or length
 * @throws {NumericalError} for NaN, ±Inf or a negative value, naming sequence, position, symbol, step and time
 *
 * @example A NaN is reported with where it is
 * ```ts
 * import { discreteModel, evaluateChecked } from "./discrete_model.ts";
 * import { uniformProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const model = discreteModel({
 *   process: uniformProcess(2, logLinearSchedule()), length: 1, output: "ratios",
 *   evaluate: (z) => Float64Array.from({ length: 2 * z.length }, (_, k) => k === 3 ? NaN : 1),
 * });
 * await assert.rejects(
 *   evaluateChecked(model, Int32Array.of(0, 1), 0.5, { what: "Cannot sample", step: 2 }),
 *   /NaN at sequence 1, position 0, symbol 1 \(step 2, t = 0.5\)/,
 * );
 * ```
 */
export async function evaluateChecked(
  model: DiscreteModel,
  z: Int32Array,
  t: number,
  site: ModelCallSite,
): Promise<Float64Array> {
  const L = model.length, V = model.process.vocabSize;
  const n = z.length / L;
  const out = await model.evaluate(z, t);
  const at = site.step === undefined ? `t = ${t}` : `step ${site.step}, t = ${t}`;
  if (!(out instanceof Float64Array) || out.length !== n * L * V) {
    throw new SdenoTypeError(
      `${site.what}: the model must return a Float64Array of n·L·V = ${n}·${L}·${V} = ${
        n * L * V
      } numbers (${model.output}), got ${
        out instanceof Float64Array ? `length ${out.length}` : quote(out)
      } (${at})`,
    );
  }
  for (let k = 0; k < out.length; k++) {
    const v = out[k]!;
    if (!(v >= 0) || v === Infinity) {
      const seq = Math.floor(k / (L * V)), pos = Math.floor(k / V) % L, sym = k % V;
      const bad = Number.isNaN(v) ? "NaN" : `${v}`;
      throw new NumericalError(
        `${site.what}: the model's ${model.output} output is ${bad} at sequence ${seq}, position ${pos}, symbol ${sym} (${at}); expected finite values >= 0`,
        { ...(site.step === undefined ? {} : { step: site.step }), time: t, index: k },
      );
    }
  }
  return out;
}
