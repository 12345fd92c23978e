/**
 * Exact kernels of the factorised samplers on tiny problems: within a step
 * every position moves independently given the sequence, so the one-step
 * joint transition from z is the product over positions of the method's own
 * step probabilities (the very rule {@linkcode sampleDiscrete} draws from),
 * and the exact law of the output after n steps is the starting law pushed
 * through the n kernels. Enumerates all `S^L` sequences; for testing samplers
 * and models, not for sampling.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { DiscreteMethod, DiscreteRunOptions } from "./discrete_method.ts";
import type { DiscreteModel } from "./discrete_model.ts";
import type { DiscreteProcess } from "./discrete_process.ts";
import { allSequences, sequenceCount } from "./sequence_space.ts";
import { finalDenoiseTable, resolveRun, stepTable } from "./_discrete_run.ts";

/** Options of {@linkcode exactOutputDistribution}. */
export interface ExactOutputOptions extends DiscreteRunOptions {
  /** The law at the grid's first time over the `S^L` sequences (default: the prior). */
  start?: Float64Array;
}

/** The result of {@linkcode exactOutputDistribution}. */
export interface ExactOutputResult {
  /** The exact law of the sampler's output over the `S^L` noisy sequences. */
  distribution: Float64Array;
  /** The time grid used. */
  grid: Float64Array;
}

/**
 * The exact law of a sampler's output: `start` pushed through each step's
 * exact joint kernel (and the final denoise where the method has one).
 *
 * @param method the method or its name
 * @param model the model
 * @param options steps or grid, start, remask
 * @returns the law over all `S^L` sequences (lexicographic)
 *
 * @example MDLM with the exact model in one step over one position is exact
 * ```ts
 * import { exactOutputDistribution } from "./exact_output_distribution.ts";
 * import { exactDiscreteModel } from "./exact_discrete_model.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const process = maskedProcess(2, logLinearSchedule());
 * const model = exactDiscreteModel(process, Float64Array.of(0.3, 0.7), 1);
 * const { distribution } = await exactOutputDistribution("mdlm", model, { steps: 1 });
 * assert.ok(Math.abs(distribution[0]! - 0.3) < 1e-12 && distribution[2] === 0);
 * ```
 */
export async function exactOutputDistribution(
  method: DiscreteMethod | string,
  model: DiscreteModel,
  options: ExactOutputOptions,
): Promise<ExactOutputResult> {
  const what = "Cannot compute the exact output distribution";
  const run = resolveRun(what, method, model, options);
  const p = model.process, L = model.length, S = p.states;
  const N = sequenceCount(S, L);
  let dist: Float64Array;
  if (options.start !== undefined) {
    if (!(options.start instanceof Float64Array) || options.start.length !== N) {
      throw new SdenoTypeError(
        `${what}: start must be a Float64Array of ${N} probabilities, got ${quote(options.start)}`,
      );
    }
    dist = options.start.slice();
  } else dist = priorLaw(p, L);
  const z = allSequences(S, L);
  const steps = run.grid.length - 1;
  for (let k = 0; k < steps; k++) dist = push(dist, await stepTable(run, z, k), L, S);
  if (run.method.info.finalDenoise && p.kind === "masked") {
    dist = push(dist, await finalDenoiseTable(run, z), L, S);
  }
  return { distribution: dist, grid: run.grid };
}

/**
 * The exact joint kernel of one step `t → s` of a sampler: `N × N` row-major
 * (row z at t, column z' at s), the product over positions of the method's
 * step probabilities.
 *
 * @param method the method or its name
 * @param model the model
 * @param t the left (noisier) time
 * @param s the right time, s < t
 * @param options remask
 * @returns the kernel
 *
 * @example Rows sum to 1
 * ```ts
 * import { exactStepKernel } from "./exact_output_distribution.ts";
 * import { exactDiscreteModel } from "./exact_discrete_model.ts";
 * import { uniformProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const model = exactDiscreteModel(uniformProcess(2, logLinearSchedule()), Float64Array.of(0.1, 0.2, 0.3, 0.4), 2);
 * const K = await exactStepKernel("euler", model, 0.6, 0.4);
 * for (let r = 0; r < 4; r++) assert.ok(Math.abs(K.subarray(4 * r, 4 * r + 4).reduce((a, b) => a + b) - 1) < 1e-12);
 * ```
 */
export async function exactStepKernel(
  method: DiscreteMethod | string,
  model: DiscreteModel,
  t: number,
  s: number,
  options: Pick<DiscreteRunOptions, "remask"> = {},
): Promise<Float64Array> {
  const what = "Cannot compute the exact step kernel";
  if (!(typeof t === "number" && typeof s === "number" && s >= 0 && t > s)) {
    throw new SdenoRangeError(`${what}: need 0 <= s < t, got s = ${quote(s)}, t = ${quote(t)}`);
  }
  const run = resolveRun(what, method, model, { grid: [t, s], ...options });
  const p = model.process, L = model.length, S = p.states;
  const N = sequenceCount(S, L);
  const table = await stepTable(run, allSequences(S, L), 0);
  const K = new Float64Array(N * N);
  const unit = new Float64Array(N);
  for (let a = 0; a < N; a++) {
    unit.fill(0);
    unit[a] = 1;
    K.set(push(unit, table, L, S), a * N);
  }
  return K;
}

/**
 * The limit law of the forward process over the `S^L` sequences: all MASK
 * (masked) or uniform over the data symbols (uniform).
 *
 * @param process the forward process
 * @param length L
 * @returns the law
 *
 * @example
 * ```ts
 * import { priorLaw } from "./exact_output_distribution.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...priorLaw(maskedProcess(1, logLinearSchedule()), 2)], [0, 0, 0, 1]);
 * ```
 */
export function priorLaw(process: DiscreteProcess, length: number): Float64Array {
  const N = sequenceCount(process.states, length);
  const d = new Float64Array(N);
  if (process.kind === "masked") d[N - 1] = 1;
  else d.fill(1 / N);
  return d;
}

/**
 * Splits a law over the `S^L` noisy sequences into its part on the `V^L`
 * fully unmasked ones (lexicographic over V) and the mass with at least one
 * MASK; for the uniform process it is the law itself and 0.
 *
 * @param process the forward process
 * @param length L
 * @param law the law over `S^L`
 * @returns the unmasked part and the masked mass
 *
 * @example
 * ```ts
 * import { unmaskedPart } from "./exact_output_distribution.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const r = unmaskedPart(maskedProcess(1, logLinearSchedule()), 1, Float64Array.of(0.5, 0.5));
 * assert.deepEqual([...r.data], [0.5]);
 * assert.equal(r.masked, 0.5);
 * ```
 */
export function unmaskedPart(
  process: DiscreteProcess,
  length: number,
  law: Float64Array,
): { data: Float64Array; masked: number } {
  const S = process.states, V = process.vocabSize;
  if (process.kind === "uniform") return { data: law.slice(), masked: 0 };
  const data = new Float64Array(sequenceCount(V, length));
  let kept = 0;
  for (let j = 0; j < data.length; j++) {
    let r = j, idx = 0, w = 1;
    for (let k = 0; k < length; k++) {
      idx += (r % V) * w;
      r = Math.floor(r / V);
      w *= S;
    }
    data[j] = law[idx]!;
    kept += data[j]!;
  }
  let total = 0;
  for (const v of law) total += v;
  return { data, masked: total - kept };
}

/** Pushes a law through a step table (per-position probabilities, product over positions). */
function push(dist: Float64Array, table: Float64Array, L: number, S: number): Float64Array {
  const N = dist.length;
  const out = new Float64Array(N);
  let idx = new Int32Array(N), w = new Float64Array(N);
  let nidx = new Int32Array(N), nw = new Float64Array(N);
  for (let a = 0; a < N; a++) {
    const pa = dist[a]!;
    if (pa === 0) continue;
    let size = 1;
    idx[0] = 0;
    w[0] = pa;
    for (let i = 0; i < L; i++) {
      const o = (a * L + i) * S;
      let m = 0;
      for (let e = 0; e < size; e++) {
        for (let c = 0; c < S; c++) {
          const pc = table[o + c]!;
          if (pc === 0) continue;
          nidx[m] = idx[e]! * S + c;
          nw[m++] = w[e]! * pc;
        }
      }
      [idx, nidx] = [nidx, idx];
      [w, nw] = [nw, w];
      size = m;
    }
    for (let e = 0; e < size; e++) out[idx[e]!]! += w[e]!;
  }
  return out;
}
