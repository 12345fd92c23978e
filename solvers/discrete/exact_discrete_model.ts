/**
 * The exact model of a data law given by enumeration (tiny alphabets and
 * lengths): exact concrete-score ratios `p_t(z^{i←b})/p_t(z)` and exact x0
 * conditionals `p(x_0^i = b | z_t)`, from the marginal `p_t` and, per
 * position i, the joint of `x_0^i` with the other positions at time t.
 * It is the reference model of the exact benchmark and of the exact kernels.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { DiscreteProcess } from "./discrete_process.ts";
import { tokenTransition } from "./discrete_process.ts";
import type { DiscreteModel, DiscreteModelOutput } from "./discrete_model.ts";
import { checkDataLaw } from "./sequence_marginal.ts";
import { sequenceCount } from "./sequence_space.ts";
import { applyAlongAxis, topRows } from "./_token_tensor.ts";

/** Options of {@linkcode exactDiscreteModel}. */
export interface ExactDiscreteModelOptions {
  /** What `evaluate` returns (default "ratios"). */
  output?: DiscreteModelOutput;
}

/** The exact model: a {@linkcode DiscreteModel} that also gives the other output kind. */
export interface ExactDiscreteModel extends DiscreteModel {
  /** The data law over the `V^L` sequences. */
  readonly p0: Float64Array;
  /** Exact ratios for a batch: n·L·V. */
  ratios(z: Int32Array, t: number): Float64Array;
  /** Exact x0 conditionals for a batch: n·L·V. */
  x0(z: Int32Array, t: number): Float64Array;
  /** The exact marginal p_t over the `S^L` noisy sequences (lexicographic). */
  marginal(t: number): Float64Array;
}

interface TimeTables {
  /** p_t over S^L. */
  pt: Float64Array;
  /** per position i: q_i over S^L with axis i holding x_0^i (size V there, padded to S). */
  q: Float64Array[];
  /** P_{0→t}, S × S. */
  P: Float64Array;
}

/**
 * The exact model of `p0` under a forward process. A state of probability 0
 * (possible only when p0 has zeros) gets ratios 0 and uniform x0
 * conditionals; a sampler that keeps to the process never visits it.
 *
 * @param process the forward process
 * @param p0 the data law over the `V^L` sequences (lexicographic)
 * @param length L
 * @param options the output kind of `evaluate`
 * @returns the model
 * @throws {SdenoTypeError} for a p0 of the wrong length
 * @throws {SdenoRangeError} for a p0 that is not a probability vector, or a space too large
 *
 * @example Masked: the ratio at a MASK position is α/(1−α)·p_0(b | rest)
 * ```ts
 * import { exactDiscreteModel } from "./exact_discrete_model.ts";
 * import { maskedProcess } from "./discrete_process.ts";
 * import { logLinearSchedule } from "./discrete_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = maskedProcess(2, logLinearSchedule({ eps: 0.5 }));
 * const m = exactDiscreteModel(p, Float64Array.of(0.25, 0.75), 1);
 * const r = m.ratios(Int32Array.of(2), 1); // α(1) = 0.5
 * assert.ok(Math.abs(r[0]! - 0.25) < 1e-15 && Math.abs(r[1]! - 0.75) < 1e-15);
 * assert.deepEqual([...m.x0(Int32Array.of(1), 1)], [0, 1]);
 * ```
 */
export function exactDiscreteModel(
  process: DiscreteProcess,
  p0: Float64Array,
  length: number,
  options: ExactDiscreteModelOptions = {},
): ExactDiscreteModel {
  const what = "Cannot build the exact discrete model";
  checkInteger(what, "length", length, 1);
  checkDataLaw(what, process, p0, length);
  const output = options.output ?? "ratios";
  if (output !== "ratios" && output !== "x0") {
    throw new SdenoTypeError(`${what}: output must be "ratios" or "x0", got ${quote(output)}`);
  }
  const S = process.states, V = process.vocabSize, L = length;
  sequenceCount(S, L);
  const data = p0.slice();
  const cache = new Map<number, TimeTables>();
  const tables = (t: number): TimeTables => {
    if (typeof t !== "number" || !(t >= 0) || !Number.isFinite(t)) {
      throw new SdenoRangeError(`Cannot evaluate the exact model: t must be >= 0, got ${quote(t)}`);
    }
    let tab = cache.get(t);
    if (tab) return tab;
    const P = tokenTransition(process, 0, t);
    const M = topRows(P, V, S);
    // identity from V symbols into S slots, for the axis that keeps x_0^i
    const I = new Float64Array(V * S);
    for (let c = 0; c < V; c++) I[c * S + c] = 1;
    const q: Float64Array[] = [];
    let pt: Float64Array = new Float64Array(0);
    for (let i = 0; i <= L; i++) {
      const dims = new Array<number>(L).fill(V);
      let x: Float64Array = data;
      for (let k = 0; k < L; k++) x = applyAlongAxis(x, dims, k, k === i ? I : M, S);
      if (i < L) q.push(x);
      else pt = x;
    }
    tab = { pt, q, P };
    if (cache.size >= 8) cache.delete(cache.keys().next().value!);
    cache.set(t, tab);
    return tab;
  };
  const forEach = (
    z: Int32Array,
    visit: (j: number, i: number, zi: number, stride: number, o: number) => void,
  ) => {
    if (!(z instanceof Int32Array) || z.length % L !== 0) {
      throw new SdenoTypeError(
        `Cannot evaluate the exact model: z must be an Int32Array of n·${L} states`,
      );
    }
    for (let r = 0; r < z.length / L; r++) {
      let j = 0;
      for (let k = 0; k < L; k++) {
        const c = z[r * L + k]!;
        if (!(c >= 0 && c < S)) {
          throw new SdenoRangeError(
            `Cannot evaluate the exact model: state ${
              quote(c)
            } of sequence ${r}, position ${k} is outside [0, ${S})`,
          );
        }
        j = j * S + c;
      }
      let stride = S ** (L - 1);
      for (let i = 0; i < L; i++, stride /= S) visit(j, i, z[r * L + i]!, stride, (r * L + i) * V);
    }
  };
  const ratios = (z: Int32Array, t: number): Float64Array => {
    const { pt } = tables(t);
    const out = new Float64Array(z.length * V);
    forEach(z, (j, _i, zi, stride, o) => {
      const pz = pt[j]!;
      if (!(pz > 0)) return;
      const base = j - zi * stride;
      for (let b = 0; b < V; b++) out[o + b] = b === zi ? 1 : pt[base + b * stride]! / pz;
    });
    return out;
  };
  const x0 = (z: Int32Array, t: number): Float64Array => {
    const { pt, q, P } = tables(t);
    const out = new Float64Array(z.length * V);
    forEach(z, (j, i, zi, stride, o) => {
      const pz = pt[j]!;
      if (!(pz > 0)) {
        out.fill(1 / V, o, o + V);
        return;
      }
      const base = j - zi * stride, qi = q[i]!;
      for (let c = 0; c < V; c++) out[o + c] = qi[base + c * stride]! * P[c * S + zi]! / pz;
    });
    return out;
  };
  return Object.freeze({
    process,
    length: L,
    output,
    p0: data,
    ratios,
    x0,
    marginal: (t: number) => tables(t).pt.slice(),
    evaluate: (z: Int32Array, t: number) => output === "ratios" ? ratios(z, t) : x0(z, t),
  });
}
