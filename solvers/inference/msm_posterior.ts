/**
 * The conjugate Bayesian posterior of a continuous-time Markov state model
 * from fully observed trajectories.
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
import { checkKey, type Key } from "../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { CtmcPath } from "../../processes/ctmc_path.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { _DrawStream } from "./_gamma_sampler.ts";
import { _gammaQuantile } from "./_gamma_quantile.ts";
import { _checkAllowed, _checkCounts, _checkGammaPrior } from "./_msm_checks.ts";
import { type MsmCounts, msmCounts } from "./msm_counts.ts";

/** Independent Gamma(shape, rate) priors on the off-diagonal rates (mean shape/rate). */
export interface GammaRatePrior {
  /** Shape α > 0 (default 1). */
  shape?: number;
  /** Rate β > 0 (default 1). */
  rate?: number;
}

/** Options of {@linkcode msmPosterior}. */
export interface MsmPosteriorOptions {
  /** Number of states (needed when `data` are paths). */
  n?: number;
  /** The prior (default Gamma(1, 1) on every off-diagonal rate). */
  prior?: GammaRatePrior;
  /**
   * Which off-diagonal rates are free, row-major n×n (true/1 = free); the
   * others are 0 a priori and a posteriori (default all free). A jump seen
   * along a fixed-zero edge is an error.
   */
  allowed?: ArrayLike<boolean | number>;
}

/** A central credible interval of every rate. */
export interface RateIntervals {
  /** Lower ends, row-major n×n (0 on the diagonal and on fixed-zero rates). */
  lower: Float64Array;
  /** Upper ends, row-major n×n. */
  upper: Float64Array;
}

/** Options of {@linkcode MsmPosterior.sample}. */
export interface MsmSampleOptions {
  /** Philox key; draw k uses counters `(k, ·, msmBayes, 0)`. */
  key: Key;
  /** Index of the first draw (default 0), so draws can be made in pieces. */
  first?: number;
}

/** The posterior of {@linkcode msmPosterior}: independent Gamma laws per rate. */
export interface MsmPosterior {
  /** Number of states. */
  n: number;
  /** Posterior shapes `α + N_ij`, row-major n×n (0 on the diagonal and fixed zeros). */
  shape: Float64Array;
  /** Posterior rates `β + T_i` (per row i, repeated over j), row-major n×n. */
  rate: Float64Array;
  /** Posterior means `(α + N_ij)/(β + T_i)`, as a generator. */
  mean: RateMatrix;
  /**
   * The central interval of probability `level` of each rate, from the
   * exact Gamma quantiles.
   */
  credibleIntervals(level: number): RateIntervals;
  /**
   * Independent draws of the generator.
   *
   * @param count how many
   * @param options the key and the first draw's index
   */
  sample(count: number, options: MsmSampleOptions): RateMatrix[];
}

/**
 * The posterior of a generator given fully observed paths under independent
 * Gamma(α, β) priors on its off-diagonal rates. The likelihood
 * `Π_{i≠j} q_ij^{N_ij} e^{−T_i q_ij}` is conjugate, so the rates are
 * independent a posteriori with `q_ij | data ~ Gamma(α + N_ij, β + T_i)`
 * (shape, rate); see e.g. Bladt & Sørensen, JRSS-B 67 (2005), §4, and
 * Rao & Teh, JMLR 14 (2013), §5.1.
 *
 * @param data paths (with `options.n`) or their {@linkcode msmCounts}
 * @param options `n`, `prior`, `allowed`
 * @returns the posterior: shapes, rates, mean, credible intervals, draws
 * @throws {SdenoRangeError} for a prior shape or rate ≤ 0, or a jump along a fixed-zero rate
 *
 * @example Two jumps 0 → 1 in 2.5 time units under a Gamma(1, 1) prior
 * ```ts
 * import { msmPosterior } from "./msm_posterior.ts";
 * import assert from "node:assert/strict";
 * const path = { times: new Float64Array([0, 1, 1.5, 3]), states: new Int32Array([0, 1, 0, 1]), tEnd: 4 };
 * const post = msmPosterior([path], { n: 2 });
 * assert.equal(post.mean.get(0, 1), 3 / 3.5);
 * const ci = post.credibleIntervals(0.95);
 * assert.ok(ci.lower[1]! < 3 / 3.5 && 3 / 3.5 < ci.upper[1]!);
 * ```
 */
export function msmPosterior(
  data: readonly CtmcPath[] | MsmCounts,
  options: MsmPosteriorOptions = {},
): MsmPosterior {
  const what = "Cannot build the Markov state model posterior";
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const counts = Array.isArray(data)
    ? msmCounts(data as readonly CtmcPath[], checkInteger(what, "options.n", options.n, 1))
    : _checkCounts(what, data as MsmCounts);
  const { alpha, beta } = _checkGammaPrior(what, options.prior);
  const { n, jumps, dwell } = counts;
  const allowed = _checkAllowed(what, options.allowed, n);
  const shape = new Float64Array(n * n);
  const rate = new Float64Array(n * n);
  const mean = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let exit = 0;
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const k = i * n + j;
      if (!allowed[k]) {
        if (jumps[k]! > 0) {
          throw new SdenoRangeError(
            `${what}: rate Q[${i}][${j}] is fixed at 0 by allowed but ${
              jumps[k]
            } jumps ${i} → ${j} were observed`,
          );
        }
        continue;
      }
      shape[k] = alpha + jumps[k]!;
      rate[k] = beta + dwell[i]!;
      mean[k] = shape[k]! / rate[k]!;
      exit += mean[k]!;
    }
    mean[i * n + i] = -exit;
  }
  return {
    n,
    shape,
    rate,
    mean: RateMatrix.fromDense(mean, { n }),
    credibleIntervals(level: number): RateIntervals {
      checkFinite(what, "level", level);
      if (!(level > 0 && level < 1)) {
        throw new SdenoRangeError(`${what}: level must be in (0, 1), got ${quote(level)}`);
      }
      const lower = new Float64Array(n * n);
      const upper = new Float64Array(n * n);
      for (let k = 0; k < n * n; k++) {
        if (shape[k] === 0) continue;
        lower[k] = _gammaQuantile((1 - level) / 2, shape[k]!, rate[k]!);
        upper[k] = _gammaQuantile((1 + level) / 2, shape[k]!, rate[k]!);
      }
      return { lower, upper };
    },
    sample(count: number, sampleOptions: MsmSampleOptions): RateMatrix[] {
      checkInteger(what, "count", count, 0);
      checkKey(what, sampleOptions?.key);
      const first = checkInteger(what, "first", sampleOptions.first ?? 0, 0, 0xffffffff);
      const stream = new _DrawStream(sampleOptions.key, PHILOX_PURPOSES.msmBayes);
      const out: RateMatrix[] = [];
      const q = new Float64Array(n * n);
      for (let s = 0; s < count; s++) {
        stream.reset(first + s);
        for (let i = 0; i < n; i++) {
          let exit = 0;
          for (let j = 0; j < n; j++) {
            const k = i * n + j;
            q[k] = shape[k]! > 0 ? stream.gamma(shape[k]!) / rate[k]! : 0;
            exit += q[k]!;
          }
          q[i * n + i] = -exit;
        }
        out.push(RateMatrix.fromDense(q, { n }));
      }
      return out;
    },
  };
}
