// Argument checks shared by the MJP likelihood, forward–backward, EM and MLE (private).

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { checkMjpObservations, type EmissionModel, type MjpObservations } from "./observations.ts";

/** A probability vector of length n (entries ≥ 0, summing to 1 within 1e-9), copied. */
export function _checkDistribution(
  what: string,
  name: string,
  p: unknown,
  n: number,
): Float64Array {
  if (p === null || typeof p !== "object" || (p as ArrayLike<number>).length !== n) {
    throw new SdenoTypeError(
      `${what}: ${name} must have one entry per state (${n}), got ${quote(p)}`,
    );
  }
  const out = Float64Array.from(p as ArrayLike<number>);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = out[i]!;
    if (!Number.isFinite(x) || x < 0) {
      throw new SdenoRangeError(
        `${what}: ${name}[${i}] must be a non-negative finite number, got ${quote(x)}`,
      );
    }
    s += x;
  }
  if (!(Math.abs(s - 1) <= 1e-9)) {
    throw new SdenoRangeError(`${what}: ${name} must sum to 1, got ${quote(s)}`);
  }
  return out;
}

/** The generator as a validated RateMatrix of the observations' order. */
export function _checkGenerator(what: string, q: unknown, n: number): RateMatrix {
  if (!(q instanceof RateMatrix)) {
    throw new SdenoTypeError(`${what}: q must be a RateMatrix, got ${quote(q)}`);
  }
  if (q.n !== n) {
    throw new SdenoRangeError(`${what}: q has ${q.n} states but the observations have n = ${n}`);
  }
  return q;
}

/** Observations and emission checked together; returns the longest path length. */
export function _checkData(what: string, observations: MjpObservations, emission: unknown): number {
  if (emission === undefined) {
    throw new SdenoTypeError(`${what}: options.emission (the noise model) is required`);
  }
  checkMjpObservations(observations, emission as EmissionModel);
  let maxL = 0;
  for (const p of observations.paths) maxL = Math.max(maxL, p.times.length);
  return maxL;
}

/** Options with a required object shape. */
export function _checkOptions(what: string, options: unknown): void {
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
}
