/**
 * Credible intervals of a generator's entries and of its derived quantities
 * over posterior samples (from {@linkcode gibbsMjp}, `msmPosterior().sample`
 * or `sampleReversibleMsm`).
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { type CredibleInterval, credibleInterval } from "./gibbs_credible_interval.ts";
import { type MjpDerivedQuantities, mjpDerivedQuantities } from "./mjp_derived_quantities.ts";

/** Entry-wise means and credible intervals of a vector or matrix quantity. */
export interface ArrayInterval {
  /** Posterior means. */
  mean: Float64Array;
  /** Lower ends. */
  lower: Float64Array;
  /** Upper ends. */
  upper: Float64Array;
}

/** Result of {@linkcode summarizePosterior}. */
export interface PosteriorSummary {
  /** The intervals' probability. */
  level: number;
  /** Number of samples. */
  count: number;
  /** The generator's entries, row-major n×n. */
  rates: ArrayInterval;
  /** The stationary law. */
  stationary: ArrayInterval;
  /** The relaxation time 1/|Re λ₂|. */
  relaxationTime: CredibleInterval;
  /** Mean first-passage times, row-major n×n (entry [i][j]: from i to j). */
  meanFirstPassageTimes: ArrayInterval;
  /** The steady entropy production rate. */
  entropyProduction: CredibleInterval;
}

/** Options of {@linkcode summarizePosterior}. */
export interface SummarizePosteriorOptions {
  /** Central interval probability (default 0.95). */
  level?: number;
  /** The samples' derived quantities, when already computed (default: computed here). */
  derived?: readonly MjpDerivedQuantities[];
}

/**
 * Posterior means and central credible intervals (sample quantiles, see
 * {@linkcode credibleInterval}) of every rate and of the derived quantities
 * of `mjpDerivedQuantities` — stationary law, relaxation time, mean
 * first-passage times, entropy production — over posterior samples of a
 * generator.
 *
 * @param samples posterior draws of the generator (all on n states)
 * @param options `level`, `derived`
 * @returns the means and intervals
 * @throws {SdenoRangeError} for no samples or a level outside (0, 1)
 * @throws {SdenoTypeError} for a sample that is not a RateMatrix on n states, or derived quantities of another length
 *
 * @example Draws of a two-state chain
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { summarizePosterior } from "./gibbs_posterior_summary.ts";
 * import assert from "node:assert/strict";
 * const draws = [1, 2, 3].map((a) => RateMatrix.fromDense([[-a, a], [1, -1]]));
 * const s = summarizePosterior(draws, { level: 0.5 });
 * assert.equal(s.rates.mean[1], 2);
 * assert.equal(s.rates.lower[1], 1.5);
 * assert.ok(s.relaxationTime.upper < 0.5); // 1/(a + 1) ≤ 1/2
 * ```
 */
export function summarizePosterior(
  samples: readonly RateMatrix[],
  options: SummarizePosteriorOptions = {},
): PosteriorSummary {
  const what = "Cannot summarise the posterior";
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new SdenoRangeError(`${what}: samples must be a non-empty array of generators`);
  }
  const level = checkFinite(what, "level", options.level ?? 0.95);
  if (!(level > 0 && level < 1)) {
    throw new SdenoRangeError(`${what}: level must be in (0, 1), got ${quote(level)}`);
  }
  const n = samples[0] instanceof RateMatrix ? samples[0].n : 0;
  samples.forEach((q, k) => {
    if (!(q instanceof RateMatrix) || q.n !== n) {
      throw new SdenoTypeError(`${what}: samples[${k}] must be a RateMatrix on ${n} states`);
    }
  });
  const derived = options.derived ?? samples.map((q) => mjpDerivedQuantities(q));
  if (!Array.isArray(derived) || derived.length !== samples.length) {
    throw new SdenoTypeError(
      `${what}: derived must have one entry per sample (${samples.length}), got ${
        quote(derived?.length)
      }`,
    );
  }
  const dense = samples.map((q) => q.toDense());
  return {
    level,
    count: samples.length,
    rates: _arrayInterval(dense, n * n, level),
    stationary: _arrayInterval(derived.map((d) => d.stationary), n, level),
    relaxationTime: credibleInterval(derived.map((d) => d.relaxationTime), level),
    meanFirstPassageTimes: _arrayInterval(
      derived.map((d) => d.meanFirstPassageTimes),
      n * n,
      level,
    ),
    entropyProduction: credibleInterval(derived.map((d) => d.entropyProduction), level),
  };
}

function _arrayInterval(
  values: readonly ArrayLike<number>[],
  size: number,
  level: number,
): ArrayInterval {
  const out = {
    mean: new Float64Array(size),
    lower: new Float64Array(size),
    upper: new Float64Array(size),
  };
  const column = new Float64Array(values.length);
  for (let e = 0; e < size; e++) {
    for (let k = 0; k < values.length; k++) column[k] = values[k]![e]!;
    const ci = credibleInterval(column, level);
    out.mean[e] = ci.mean;
    out.lower[e] = ci.lower;
    out.upper[e] = ci.upper;
  }
  return out;
}
