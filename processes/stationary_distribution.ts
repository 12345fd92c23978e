/**
 * Stationary distributions of CTMCs, also for reducible chains.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { _luFactor, _luSolve } from "./_ctmc_linalg.ts";
import { _communicatingClasses } from "./_ctmc_graph.ts";
import type { RateMatrix } from "./rate_matrix.ts";

/** Options of {@linkcode stationaryDistribution}. */
export interface StationaryDistributionOptions {
  /**
   * Initial distribution, needed when the chain has more than one closed
   * class: the result is then the limit `lim p(t)` from it.
   */
  initial?: ArrayLike<number>;
}

/** Result of {@linkcode stationaryDistribution}. */
export interface StationaryDistribution {
  /** π, with `π·Q = 0`, `Σπ = 1`; zero on transient states. */
  distribution: Float64Array;
  /** The closed communicating classes (recurrent states), each sorted. */
  closedClasses: number[][];
  /** Transient states (in no closed class). */
  transient: number[];
  /** Whether the chain is irreducible (one class holding every state). */
  irreducible: boolean;
  /** Whether π does not depend on the initial law (exactly one closed class). */
  unique: boolean;
}

/**
 * Stationary law of one closed class by the GTH algorithm (Grassmann,
 * Taksar & Heyman, Oper. Res. 33, 1985; Stewart 1994, §2.7), which uses
 * only additions of positive terms and is accurate to working precision
 * even for nearly decomposable chains.
 */
function _gth(q: RateMatrix, states: number[]): Float64Array {
  const m = states.length;
  const pos = new Map(states.map((s, k) => [s, k]));
  const a = new Float64Array(m * m);
  for (const [k, i] of states.entries()) {
    for (let p = q.rowPtr[i]!; p < q.rowPtr[i + 1]!; p++) {
      const j = q.colIdx[p]!;
      const l = pos.get(j);
      if (l !== undefined && j !== i) a[k * m + l] = q.values[p]!;
    }
  }
  for (let k = m - 1; k >= 1; k--) {
    let s = 0;
    for (let j = 0; j < k; j++) s += a[k * m + j]!;
    for (let i = 0; i < k; i++) a[i * m + k] = a[i * m + k]! / s;
    for (let i = 0; i < k; i++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < k; j++) a[i * m + j] = a[i * m + j]! + aik * a[k * m + j]!;
    }
  }
  const x = new Float64Array(m);
  x[0] = 1;
  let total = 1;
  for (let j = 1; j < m; j++) {
    let s = 0;
    for (let i = 0; i < j; i++) s += x[i]! * a[i * m + j]!;
    x[j] = s;
    total += s;
  }
  for (let j = 0; j < m; j++) x[j] = x[j]! / total;
  return x;
}

/**
 * The stationary distribution π of a CTMC (`π·Q = 0`, `Σ π = 1`).
 *
 * The chain is split into communicating classes (Tarjan's algorithm). If it
 * has one closed class, π is that class's stationary law (computed by the
 * GTH algorithm) and zero on the transient states, and `unique` is true. If
 * it has several closed classes (a reducible chain with several absorbing
 * sets) there is no unique π: pass `initial`, and the result is the limit
 * from it, `π = Σ_C h_C·π_C` with `h_C` the probability of absorption in C
 * (solving `Q_TT h = −Q_TC 1` on the transient states T; Norris 1997,
 * Thm 3.3.1). Dense work, O(n³) in the size of the largest class.
 *
 * @param q the generator
 * @param options `initial` for chains with several closed classes
 * @returns π, the closed classes, the transient states and whether π is unique
 * @throws {SdenoRangeError} when the chain has several closed classes and no `initial`
 *
 * @example A chain with a transient state: all mass ends in {1, 2}
 * ```ts
 * import { RateMatrix } from "./rate_matrix.ts";
 * import { stationaryDistribution } from "./stationary_distribution.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1, 0], [0, -2, 2], [0, 1, -1]]);
 * const s = stationaryDistribution(q);
 * assert.deepEqual(s.transient, [0]);
 * assert.ok(Math.abs(s.distribution[1]! - 1 / 3) < 1e-15);
 * assert.equal(s.unique, true);
 * ```
 */
export function stationaryDistribution(
  q: RateMatrix,
  options: StationaryDistributionOptions = {},
): StationaryDistribution {
  const what = "Cannot compute the stationary distribution";
  const n = q.n;
  const { classes, closed } = _communicatingClasses(q);
  const closedClasses = classes.filter((_, c) => closed[c]).map((c) =>
    [...c].sort((a, b) => a - b)
  );
  const inClosed = new Int32Array(n).fill(-1);
  closedClasses.forEach((c, k) => c.forEach((s) => inClosed[s] = k));
  const transient: number[] = [];
  for (let i = 0; i < n; i++) if (inClosed[i] === -1) transient.push(i);
  const laws = closedClasses.map((c) => _gth(q, c));
  const pi = new Float64Array(n);
  if (closedClasses.length === 1) {
    closedClasses[0]!.forEach((s, k) => pi[s] = laws[0]![k]!);
    return {
      distribution: pi,
      closedClasses,
      transient,
      irreducible: transient.length === 0,
      unique: true,
    };
  }
  const p0 = options.initial;
  if (p0 === undefined) {
    throw new SdenoRangeError(
      `${what}: the chain is reducible with ${closedClasses.length} closed classes (e.g. {${
        closedClasses.slice(0, 3).map((c) => c.slice(0, 5).join(", ")).join("}, {")
      }}), so the stationary law depends on the start; pass options.initial`,
    );
  }
  if (typeof p0 !== "object" || p0 === null || p0.length !== n) {
    throw new SdenoTypeError(
      `${what}: initial must have one entry per state (${n}), got ${quote(p0)}`,
    );
  }
  for (let i = 0; i < n; i++) checkFinite(what, `initial[${i}]`, p0[i]);
  // mass ending in class C: start mass in C plus Σ_{i∈T} p0_i h_C(i)
  const weight = new Float64Array(closedClasses.length);
  for (let i = 0; i < n; i++) if (inClosed[i]! >= 0) weight[inClosed[i]!]! += p0[i]!;
  const m = transient.length;
  if (m > 0) {
    const tpos = new Map(transient.map((s, k) => [s, k]));
    const a = new Float64Array(m * m);
    const rhs = new Float64Array(m * closedClasses.length);
    for (const [k, i] of transient.entries()) {
      for (let p = q.rowPtr[i]!; p < q.rowPtr[i + 1]!; p++) {
        const j = q.colIdx[p]!;
        const l = tpos.get(j);
        if (l !== undefined) a[k * m + l] = q.values[p]!;
        else {
          const c = inClosed[j]!;
          rhs[k * closedClasses.length + c] = rhs[k * closedClasses.length + c]! - q.values[p]!;
        }
      }
    }
    const h = _luSolve(_luFactor(a, m), rhs, closedClasses.length);
    for (const [k, i] of transient.entries()) {
      for (let c = 0; c < closedClasses.length; c++) {
        weight[c] = weight[c]! + p0[i]! * h[k * closedClasses.length + c]!;
      }
    }
  }
  closedClasses.forEach((c, k) => c.forEach((s, l) => pi[s] = weight[k]! * laws[k]![l]!));
  return { distribution: pi, closedClasses, transient, irreducible: false, unique: false };
}
