/**
 * The one driver of the discrete-diffusion reverse samplers: start from the
 * forward process's limit (all MASK, or uniform symbols) or given sequences,
 * and take the method's step on the time grid, every position of every
 * sequence drawn from its step probabilities with one Philox uniform.
 *
 * Randomness is keyed: the uniform of sequence j (global index
 * `pathOffset + j`), position i, at step k is element `(pathOffset + j)·L + i`
 * of the counter `(element, k, PHILOX_PURPOSES.discreteStep)`; the starting
 * draws use `(element, 0, PHILOX_PURPOSES.discreteInit)`, and a final denoise
 * uses step index `steps`. So a sequence's path does not depend on how the
 * batch is split.
 *
 * @module
 */

import { checkKey, fillUniform, type Key } from "../../kernels/philox.ts";
import { checkInteger, quote, SdenoTypeError } from "../../kernels/errors.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { OnStep, StepInfo } from "../run_context.ts";
import type { DiscreteMethod, DiscreteRunOptions } from "./discrete_method.ts";
import type { DiscreteModel } from "./discrete_model.ts";
import { checkSequences, finalDenoiseTable, resolveRun, stepTable } from "./_discrete_run.ts";

/** What `onStep` sees after each step. */
export interface DiscreteStepInfo extends StepInfo<Int32Array> {
  /** Model evaluations so far. */
  nfe: number;
}

/** Options of {@linkcode sampleDiscrete}. */
export interface SampleDiscreteOptions extends DiscreteRunOptions {
  /** Number of sequences to draw from the prior (give this or `init`). */
  n?: number;
  /** Starting sequences at the grid's first time (n·L states); default: the prior. */
  init?: Int32Array;
  /** The Philox key (default seed 0, stream 0). */
  key?: Key;
  /** Global index of the first sequence (for shards of a larger run; default 0). */
  pathOffset?: number;
  /** Called after each step with the sequences at its right end. */
  onStep?: OnStep<DiscreteStepInfo>;
}

/** The result of {@linkcode sampleDiscrete}. */
export interface SampleDiscreteResult {
  /** The sequences at the end of the grid (n·L states; MASK = V may remain for `tauleap`). */
  x: Int32Array;
  /** The number of sequences. */
  n: number;
  /** The time grid used. */
  grid: Float64Array;
  /** Model evaluations (one per step, plus one for a final denoise). */
  nfe: number;
  /** MASK tokens left at the end (masked process). */
  masksLeft: number;
}

/**
 * Samples sequences with a discrete-diffusion reverse sampler.
 *
 * @param method the method, or its name or alias in `DISCRETE_METHODS`
 * @param model the concrete-score or denoiser model (converted to what the method reads)
 * @param options steps or grid, n or init, key, pathOffset, remask, onStep
 * @returns the sequences, the grid and the number of model evaluations
 * @throws {SdenoTypeError} / {SdenoRangeError} for bad input, before any model call
 * @throws {NumericalError} when the model returns a wrong value, naming step, time and place
 *
 * @example MDLM on a one-position masked model that knows the answer
 * ```ts
 * import { sampleDiscrete } from "./sample_discrete.ts";
 * import { exactDiscreteModel } from "./exact_discrete_model.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const process = maskedProcess(2, logLinearSchedule());
 * const model = exactDiscreteModel(process, Float64Array.of(0, 1), 1, { output: "x0" });
 * const r = await sampleDiscrete("mdlm", model, { n: 5, steps: 8, key: { seed: 1, stream: 0 } });
 * assert.deepEqual([...r.x], [1, 1, 1, 1, 1]);
 * assert.equal(r.nfe, 8);
 * ```
 */
export async function sampleDiscrete(
  method: DiscreteMethod | string,
  model: DiscreteModel,
  options: SampleDiscreteOptions,
): Promise<SampleDiscreteResult> {
  const what = `Cannot sample with ${typeof method === "string" ? method : method?.info?.name}`;
  const run = resolveRun(what, method, model, options);
  const key = options.key ?? { seed: 0, stream: 0 };
  checkKey(what, key);
  const pathOffset = checkInteger(what, "pathOffset", options.pathOffset ?? 0, 0, 2 ** 32 - 1);
  const L = model.length, p = model.process;
  let x: Int32Array;
  if (options.init !== undefined) {
    if (options.n !== undefined) throw new SdenoTypeError(`${what}: give n or init, not both`);
    checkSequences(what, "init", options.init, model);
    x = options.init.slice();
  } else {
    const n = checkInteger(what, "n", options.n, 1, 2 ** 26);
    x = new Int32Array(n * L);
    if (p.kind === "masked") x.fill(p.mask);
    else {
      const u = new Float64Array(n * L);
      fillUniform(u, key, {
        step: 0,
        purpose: PHILOX_PURPOSES.discreteInit,
        offset: pathOffset * L,
      });
      for (let k = 0; k < u.length; k++) {
        x[k] = Math.min(p.vocabSize - 1, Math.floor(u[k]! * p.vocabSize));
      }
    }
  }
  if (options.onStep !== undefined && typeof options.onStep !== "function") {
    throw new SdenoTypeError(`${what}: onStep must be a function, got ${quote(options.onStep)}`);
  }
  const n = x.length / L;
  const S = p.states;
  const u = new Float64Array(x.length);
  const draw = (table: Float64Array, step: number) => {
    fillUniform(u, key, { step, purpose: PHILOX_PURPOSES.discreteStep, offset: pathOffset * L });
    for (let r = 0; r < x.length; r++) x[r] = pick(table, r * S, S, u[r]!);
  };
  const steps = run.grid.length - 1;
  let nfe = 0;
  for (let k = 0; k < steps; k++) {
    const table = await stepTable(run, x, k);
    nfe++;
    draw(table, k);
    await options.onStep?.({ step: k, t: run.grid[k]!, tNext: run.grid[k + 1]!, x, nfe });
  }
  if (run.method.info.finalDenoise && p.kind === "masked" && x.includes(p.mask)) {
    draw(await finalDenoiseTable(run, x), steps);
    nfe++;
  }
  let masksLeft = 0;
  if (p.kind === "masked") { for (const c of x) if (c === p.mask) masksLeft++; }
  return { x, n, grid: run.grid, nfe, masksLeft };
}

/** The categorical draw: the first state whose cumulative probability exceeds u. */
function pick(table: Float64Array, o: number, S: number, u: number): number {
  let cum = 0, last = 0;
  for (let c = 0; c < S; c++) {
    const w = table[o + c]!;
    if (w <= 0) continue;
    cum += w;
    last = c;
    if (u < cum) return c;
  }
  return last;
}
