/**
 * Synthetic observations of a Markov jump process, as in the discrete
 * flashing ratchet benchmark (../shared/refs/inverse/README.md §4.3; after
 * Seifner & Sanchez, ICML 2023, and Berghaus et al., NeurIPS 2024): a
 * Gillespie path on [0, T] from x(0) ~ π₀, L observation times drawn iid
 * uniform on (0, T) and sorted, and the state at each time seen through a
 * noise model.
 *
 * @module
 */

import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { checkKey, fillNormal, fillUniform, type Key } from "../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { sampleCtmcPath } from "../../processes/ctmc_path.ts";
import type { RateMatrix } from "../../processes/rate_matrix.ts";
import { stationaryDistribution } from "../../processes/stationary_distribution.ts";
import { checkEmission, type EmissionModel, type MjpObservations } from "./observations.ts";

/** Options of {@linkcode simulateMjpObservations}. */
export interface SimulateMjpObservationsOptions {
  /** Number of paths K ≥ 1. */
  paths: number;
  /** Observations per path L ≥ 1. */
  observationsPerPath: number;
  /** End of the window T > 0; times are iid uniform on (0, T). */
  tEnd: number;
  /** The noise model (its n must be the chain's). */
  emission: EmissionModel;
  /** Philox key. */
  key: Key;
  /** Law of x(0) (default the stationary law of Q, which must be unique). */
  initial?: ArrayLike<number>;
}

/** Result of {@linkcode simulateMjpObservations}. */
export interface SimulatedMjpObservations {
  /** What was observed. */
  observations: MjpObservations;
  /** The hidden state at each observation time, per path. */
  trueStates: Int32Array[];
}

/**
 * Simulates K paths of the chain and observes each at L sorted uniform
 * times through the emission model. Path p's randomness is a pure function
 * of (key, p): its jumps come from `sampleCtmcPath` (purpose `ctmcPath`,
 * path index p); its times, initial state and noise from Philox words with
 * step p and purpose `mjpObservation`: elements `[0, L)` are the time
 * uniforms, element L the uniform that picks x(0), and the noise starts at
 * the next multiple of 4 (label flips use two uniforms per observation,
 * Gaussian noise one normal).
 *
 * @param q the generator
 * @param options `paths`, `observationsPerPath`, `tEnd`, `emission`, `key`, `initial`
 * @returns the observations and the hidden states behind them
 * @throws {SdenoRangeError} for counts < 1, T ≤ 0, or a mismatched emission
 * @throws {SdenoTypeError} for an initial law of the wrong length or not a distribution
 *
 * @example Clean labels of a two-state chain
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { exactEmission } from "./observations.ts";
 * import { simulateMjpObservations } from "./simulate_mjp_observations.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * const { observations, trueStates } = simulateMjpObservations(q, {
 *   paths: 3, observationsPerPath: 5, tEnd: 2, emission: exactEmission(2), key: { seed: 1, stream: 0 },
 * });
 * assert.equal(observations.paths.length, 3);
 * assert.deepEqual([...observations.paths[0]!.values], [...trueStates[0]!]);
 * ```
 */
export function simulateMjpObservations(
  q: RateMatrix,
  options: SimulateMjpObservationsOptions,
): SimulatedMjpObservations {
  const what = "Cannot simulate MJP observations";
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const n = q.n;
  const K = checkInteger(what, "paths", options.paths, 1, 0xffffffff);
  const L = checkInteger(what, "observationsPerPath", options.observationsPerPath, 1, 2 ** 28);
  const T = checkFinite(what, "tEnd", options.tEnd);
  if (!(T > 0)) throw new SdenoRangeError(`${what}: tEnd must be positive, got ${quote(T)}`);
  checkKey(what, options.key);
  const emission = options.emission;
  checkEmission(emission);
  if (emission.n !== n) {
    throw new SdenoRangeError(`${what}: the emission has ${emission.n} states, the chain ${n}`);
  }
  const pi0 = _initialLaw(what, q, options.initial);
  const cum = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cum[i] = acc += pi0[i]!;

  const purpose = PHILOX_PURPOSES.mjpObservation;
  const noiseAt = 4 * Math.ceil((L + 1) / 4);
  const u = new Float64Array(L + 1);
  const noiseU = new Float64Array(2 * L);
  const noiseZ = new Float64Array(L);
  const paths = [];
  const trueStates: Int32Array[] = [];
  for (let p = 0; p < K; p++) {
    fillUniform(u, options.key, { step: p, purpose });
    const times = Float64Array.from(u.subarray(0, L), (v) => v * T).sort();
    const target = u[L]! * acc;
    let x0 = 0;
    while (x0 < n - 1 && !(target < cum[x0]!)) x0++;
    const path = sampleCtmcPath(q, { initial: x0, tEnd: T, key: options.key, path: p });
    const states = new Int32Array(L);
    let j = 0;
    for (let k = 0; k < L; k++) {
      while (j + 1 < path.times.length && path.times[j + 1]! <= times[k]!) j++;
      states[k] = path.states[j]!;
    }
    const values = new Float64Array(L);
    if (emission.kind === "exact") {
      for (let k = 0; k < L; k++) values[k] = states[k]!;
    } else if (emission.kind === "confusion") {
      fillUniform(noiseU, options.key, { step: p, purpose, offset: noiseAt });
      for (let k = 0; k < L; k++) {
        values[k] = _drawRow(emission.matrix, n, states[k]!, noiseU[2 * k]!);
      }
    } else {
      fillNormal(noiseZ, options.key, { step: p, purpose, offset: noiseAt });
      for (let k = 0; k < L; k++) {
        values[k] = emission.values[states[k]!]! + emission.sigma * noiseZ[k]!;
      }
    }
    paths.push({ times, values });
    trueStates.push(states);
  }
  return { observations: { n, paths }, trueStates };
}

/** Inverse-CDF draw from row i of a row-stochastic matrix. */
function _drawRow(c: Float64Array, n: number, i: number, u: number): number {
  let acc = 0;
  for (let j = 0; j < n; j++) {
    acc += c[i * n + j]!;
    if (u < acc) return j;
  }
  // u beyond the rounded row sum: the last state with positive probability
  for (let j = n - 1; j >= 0; j--) if (c[i * n + j]! > 0) return j;
  return i;
}

function _initialLaw(what: string, q: RateMatrix, initial?: ArrayLike<number>): Float64Array {
  const n = q.n;
  if (initial === undefined) {
    const s = stationaryDistribution(q);
    if (!s.unique) {
      throw new SdenoRangeError(`${what}: the stationary law is not unique; give options.initial`);
    }
    return s.distribution;
  }
  if (initial === null || typeof initial !== "object" || initial.length !== n) {
    throw new SdenoTypeError(
      `${what}: initial must have one entry per state (${n}), got ${quote(initial)}`,
    );
  }
  const p = Float64Array.from(initial);
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (!(p[i]! >= 0) || !Number.isFinite(p[i])) {
      throw new SdenoTypeError(
        `${what}: initial[${i}] must be a non-negative finite number, got ${quote(p[i])}`,
      );
    }
    s += p[i]!;
  }
  if (!(Math.abs(s - 1) <= 1e-12 * n)) {
    throw new SdenoTypeError(`${what}: initial must sum to 1, got ${quote(s)}`);
  }
  return p;
}
