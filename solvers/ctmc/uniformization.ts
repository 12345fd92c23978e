/**
 * Transient distributions `p(t) = p(0)·exp(Q t)` of large sparse CTMCs by
 * uniformization (Jensen 1953; Grassmann, "Transient solutions in Markovian
 * queueing systems", Comput. Oper. Res. 4, 1977; Stewart, "Introduction to
 * the Numerical Solution of Markov Chains", 1994, §8.2).
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { RateMatrix } from "../../processes/rate_matrix.ts";

/** Options of {@linkcode uniformization}. */
export interface UniformizationOptions {
  /** Output times, ≥ 0 and non-decreasing (one number or a list). */
  times: number | readonly number[];
  /**
   * Bound on the total ℓ₁ truncation error at the last time, split evenly
   * over the Poisson pieces (default 1e-12).
   */
  tolerance?: number;
  /** Largest Λ·h of one piece, so e^{−Λh} never underflows (default 64). */
  maxPieceRate?: number;
  /**
   * Refuse, before any work, a run that would need more sparse
   * vector–matrix products than this (default 1e7). The work grows like
   * Λ·t, so a long horizon on a stiff chain can take hours; for such a chain
   * the stationary distribution (or `expm` on a small one) is the tool.
   */
  maxMatvecs?: number;
}

/** Result of {@linkcode uniformization}. */
export interface UniformizationResult {
  /** The output times. */
  times: number[];
  /** p(t) for each time, length n each. */
  distributions: Float64Array[];
  /** Guaranteed bound on ‖p(t) − p̂(t)‖₁ from truncating the Poisson sums, per time. */
  errorBounds: number[];
  /** Uniformization rate Λ = max_i q_i. */
  rate: number;
  /** Sparse vector–matrix products used. */
  matvecs: number;
}

/**
 * `p(t) = p(0)·exp(Q t) = Σ_k e^{−Λt}(Λt)^k/k! · p(0)·P^k` with
 * `P = I + Q/Λ`, `Λ = max_i q_i` (Jensen's uniformization). Each interval
 * between output times is cut into pieces with `Λh ≤ maxPieceRate`; in each
 * piece the Poisson series is summed from k = 0 (weights never underflow)
 * until the tail bound `w_{K+1}·(K+2)/(K+2−Λh)` (a geometric bound for
 * K + 2 > Λh) falls below the piece's share of `tolerance`. As P is
 * stochastic the truncation errors add up without growth, so the reported
 * bound is their sum. Work is about Λt sparse products.
 *
 * @param q the generator
 * @param p0 the initial distribution (length n)
 * @param options `times`, `tolerance`, `maxPieceRate`, `maxMatvecs`
 * @returns the distributions at the times, error bounds and work done
 * @throws {SdenoTypeError} when p0 has the wrong length or a non-finite entry
 * @throws {SdenoRangeError} for a p0 that is not a distribution, a negative or
 *   decreasing time, a bad tolerance, or more than `maxMatvecs` products
 *
 * @example A two-state chain from state 0: p₁(t) = a/(a+b)(1 − e^{−(a+b)t})
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { uniformization } from "./uniformization.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [3, -3]]);
 * const r = uniformization(q, [1, 0], { times: 2 });
 * assert.ok(Math.abs(r.distributions[0]![1]! - 0.25 * (1 - Math.exp(-8))) < 1e-12);
 * assert.ok(r.errorBounds[0]! <= 1e-12);
 * ```
 */
export function uniformization(
  q: RateMatrix,
  p0: ArrayLike<number>,
  options: UniformizationOptions,
): UniformizationResult {
  const what = "Cannot run uniformization";
  const n = q.n;
  if (!p0 || typeof p0.length !== "number" || p0.length !== n) {
    throw new SdenoTypeError(
      `${what}: p0 must have one entry per state (${n}), got length ${quote(p0?.length)}`,
    );
  }
  // p0 is a distribution: entries ≥ 0 summing to 1 (to 1e-6, which accepts a
  // float32-normalised vector); the series needs no more, and a vector that
  // is not one gives "distributions" that are not either
  let mass = 0;
  for (let i = 0; i < n; i++) {
    const v = checkFinite(what, `p0[${i}]`, p0[i]);
    if (v < 0) throw new SdenoRangeError(`${what}: p0[${i}] must be ≥ 0, got ${quote(v)}`);
    mass += v;
  }
  if (!(Math.abs(mass - 1) <= 1e-6)) {
    throw new SdenoRangeError(
      `${what}: p0 must be a probability distribution (entries ≥ 0 that sum to 1), got sum ${mass}`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(
      `${what}: options must be an object with times, got ${quote(options)}`,
    );
  }
  const times = typeof options.times === "number" ? [options.times] : [...(options.times ?? [])];
  if (times.length === 0) throw new SdenoRangeError(`${what}: times must not be empty`);
  let prev = 0;
  for (const [k, t] of times.entries()) {
    checkFinite(what, `times[${k}]`, t);
    if (t < prev) {
      throw new SdenoRangeError(
        `${what}: times must be non-negative and non-decreasing, got times[${k}] = ${quote(t)}`,
      );
    }
    prev = t;
  }
  const tol = options.tolerance ?? 1e-12;
  if (!(tol > 0) || !Number.isFinite(tol)) {
    throw new SdenoRangeError(`${what}: tolerance must be positive, got ${quote(tol)}`);
  }
  const maxPiece = options.maxPieceRate ?? 64;
  if (!(maxPiece > 0) || maxPiece > 600) {
    throw new SdenoRangeError(`${what}: maxPieceRate must be in (0, 600], got ${quote(maxPiece)}`);
  }
  const maxMatvecs = options.maxMatvecs ?? 1e7;
  if (!(maxMatvecs >= 1) || !Number.isFinite(maxMatvecs)) {
    throw new SdenoRangeError(`${what}: maxMatvecs must be at least 1, got ${quote(maxMatvecs)}`);
  }
  const rate = q.maxExitRate;
  const tEnd = times[times.length - 1]!;
  const totalPieces = Math.max(1, Math.ceil((rate * tEnd) / maxPiece) + times.length);
  const tolPiece = tol / totalPieces;
  // The Poisson sum of a piece with mean Λh ≤ maxPiece stops after about
  // Λh + c√(Λh) terms; Λt products in all, at least (a lower bound, so the
  // refusal never turns away a run that fits).
  const need = rate * tEnd;
  if (need > maxMatvecs) {
    throw new SdenoRangeError(
      `${what}: the last time would need about ${need.toExponential(1)} sparse products (Λt = ${
        need.toExponential(1)
      }); the cap is maxMatvecs = ${maxMatvecs}. Raise maxMatvecs, or use the ` +
        `stationary distribution (or expm on a small chain) for so long a horizon`,
    );
  }

  const { rowPtr, colIdx, values } = q;
  const v = Float64Array.from(p0);
  const w = new Float64Array(n);
  const acc = new Float64Array(n);
  // v ← v·P, P = I + Q/Λ
  const step = () => {
    w.fill(0);
    for (let i = 0; i < n; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
        w[colIdx[p]!] = w[colIdx[p]!]! + vi * values[p]!;
      }
    }
    const inv = 1 / rate;
    for (let i = 0; i < n; i++) v[i] = v[i]! + w[i]! * inv;
  };
  const distributions: Float64Array[] = [];
  const errorBounds: number[] = [];
  let err = 0;
  let matvecs = 0;
  let t = 0;
  for (const target of times) {
    let remaining = target - t;
    while (remaining > 0 && rate > 0) {
      const pieces = Math.ceil((rate * remaining) / maxPiece);
      const h = remaining / pieces;
      const lambda = rate * h;
      let wk = Math.exp(-lambda);
      acc.fill(0);
      for (let k = 0;; k++) {
        for (let i = 0; i < n; i++) acc[i] = acc[i]! + wk * v[i]!;
        const next = (wk * lambda) / (k + 1);
        if (k + 2 > lambda) {
          const tail = (next * (k + 2)) / (k + 2 - lambda);
          if (tail <= tolPiece) {
            err += tail;
            break;
          }
        }
        wk = next;
        if (matvecs >= maxMatvecs) {
          throw new SdenoRangeError(
            `${what}: the Poisson sums need more than maxMatvecs = ${maxMatvecs} sparse products (Λt = ${
              need.toExponential(1)
            })`,
          );
        }
        step();
        matvecs++;
      }
      v.set(acc);
      remaining -= h;
      t += h;
      if (pieces === 1) break;
    }
    t = target;
    distributions.push(Float64Array.from(v));
    errorBounds.push(err);
  }
  return { times, distributions, errorBounds, rate, matvecs };
}
