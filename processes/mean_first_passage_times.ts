/**
 * Mean first-passage (hitting) times of a CTMC into a target set.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { _luFactor, _luSolve } from "./_ctmc_linalg.ts";
import { _canReach } from "./_ctmc_graph.ts";
import type { RateMatrix } from "./rate_matrix.ts";

/** Options of {@linkcode meanFirstPassageTimes}. */
export interface MeanFirstPassageOptions {
  /** The target state or states. */
  target: number | readonly number[];
}

/**
 * Mean first-passage times `m_i = E_i[inf{t ≥ 0 : X_t ∈ A}]` into a target
 * set A: the minimal non-negative solution of `Σ_j Q_ij m_j = −1` for
 * i ∉ A, `m_i = 0` on A (Norris 1997, Thm 3.3.3). States from which the
 * chain may avoid A forever (it can reach a state that cannot reach A) get
 * `Infinity`; the rest solve a dense linear system.
 *
 * @param q the generator
 * @param options `target`: a state or a list of states
 * @returns m, one entry per state
 * @throws {SdenoRangeError} for an empty target set or a state out of range
 *
 * @example A pure birth chain 0 → 1 → 2 at rates 1 and 2
 * ```ts
 * import { RateMatrix } from "./rate_matrix.ts";
 * import { meanFirstPassageTimes } from "./mean_first_passage_times.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1, 0], [0, -2, 2], [0, 0, 0]]);
 * const m = meanFirstPassageTimes(q, { target: 2 });
 * assert.ok(Math.abs(m[0]! - 1.5) < 1e-15);
 * assert.equal(meanFirstPassageTimes(q, { target: 0 })[1], Infinity);
 * ```
 */
export function meanFirstPassageTimes(
  q: RateMatrix,
  options: MeanFirstPassageOptions,
): Float64Array {
  const what = "Cannot compute mean first-passage times";
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be { target }, got ${quote(options)}`);
  }
  const n = q.n;
  const targets = typeof options.target === "number"
    ? [options.target]
    : [...(options.target ?? [])];
  if (targets.length === 0) {
    throw new SdenoRangeError(`${what}: target must name at least one state`);
  }
  targets.forEach((t, k) => checkInteger(what, `target[${k}]`, t, 0, n - 1));
  const isTarget = new Uint8Array(n);
  for (const t of targets) isTarget[t] = 1;
  const reach = _canReach(q, targets);
  // states that can reach a state which cannot reach the target: infinite mean
  const bad: number[] = [];
  for (let i = 0; i < n; i++) if (!reach[i]) bad.push(i);
  const risky = bad.length > 0 ? _canReach(q, bad) : new Uint8Array(n);
  const m = new Float64Array(n);
  const solve: number[] = [];
  for (let i = 0; i < n; i++) {
    if (isTarget[i]) continue;
    if (risky[i]) m[i] = Infinity;
    else solve.push(i);
  }
  const k = solve.length;
  if (k === 0) return m;
  const pos = new Map(solve.map((s, l) => [s, l]));
  const a = new Float64Array(k * k);
  for (const [r, i] of solve.entries()) {
    for (let p = q.rowPtr[i]!; p < q.rowPtr[i + 1]!; p++) {
      const c = pos.get(q.colIdx[p]!);
      if (c !== undefined) a[r * k + c] = q.values[p]!;
    }
  }
  const x = _luSolve(_luFactor(a, k), new Float64Array(k).fill(-1), 1);
  solve.forEach((s, l) => m[s] = x[l]!);
  return m;
}
