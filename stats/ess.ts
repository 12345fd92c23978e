/**
 * Effective sample sizes: of a scalar MCMC chain (Geyer's initial monotone
 * sequence estimator) and of a set of importance weights (Kish).
 *
 * @module
 */

import { quote, SdenoRangeError } from "../kernels/errors.ts";
import { _checkSample } from "./_validate.ts";
import { _autocovariance } from "./_fft.ts";

/**
 * Effective sample size of a scalar Markov chain, `n / τ̂` with the
 * integrated autocorrelation time estimated by Geyer's initial monotone
 * sequence estimator (C. J. Geyer, "Practical Markov chain Monte Carlo",
 * Statistical Science 7 (1992) 473–483, §3.3):
 *
 * - autocorrelations `ρ̂_t = γ̂_t/γ̂_0` with `γ̂_t = (1/n) Σ (x_i − x̄)(x_{i+t} − x̄)` (by FFT);
 * - pair sums `Γ̂_k = ρ̂_{2k} + ρ̂_{2k+1}`, kept while positive (initial
 *   positive sequence) and made non-increasing (initial monotone sequence);
 * - `τ̂ = −1 + 2 Σ_k Γ̂_k`.
 *
 * As in Stan and ArviZ, τ̂ is bounded below by `1/log10(n)` so that a
 * strongly antithetic chain cannot report more than `n·log10(n)`. For an
 * AR(1) chain with coefficient ρ the target is `n(1 − ρ)/(1 + ρ)`.
 *
 * @param chain the chain's values (at least 4, finite)
 * @returns the effective sample size, or NaN when the chain is constant
 *   (zero variance: the autocorrelations are undefined)
 * @throws {SdenoTypeError} when chain is not an array of numbers
 * @throws {SdenoRangeError} when it has fewer than 4 values or a non-finite one
 *
 * @example Independent draws have ESS close to n
 * ```ts
 * import { effectiveSampleSize } from "./ess.ts";
 * import assert from "node:assert/strict";
 * // a deterministic, decorrelated sequence (golden-ratio rotation)
 * const x = Array.from({ length: 1000 }, (_, i) => (i * 0.6180339887498949) % 1);
 * const ess = effectiveSampleSize(x);
 * assert.ok(ess > 500);
 * // a slowly varying chain has a much smaller ESS
 * const slow = Array.from({ length: 1000 }, (_, i) => Math.sin(i / 50));
 * assert.ok(effectiveSampleSize(slow) < 50);
 * ```
 */
export function effectiveSampleSize(chain: ArrayLike<number>): number {
  const n = _checkSample("Cannot compute the effective sample size", "chain", chain, 4);
  const gamma = _autocovariance(chain);
  const g0 = gamma[0]!;
  if (!(g0 > 0)) return NaN;
  let sum = 0;
  let prev = Infinity;
  for (let t = 0; t + 1 < n; t += 2) {
    let pair = (gamma[t]! + gamma[t + 1]!) / g0;
    if (!(pair > 0)) break;
    if (pair > prev) pair = prev;
    sum += pair;
    prev = pair;
  }
  const tau = Math.max(-1 + 2 * sum, 1 / Math.log10(n));
  return n / tau;
}

/**
 * Kish's effective sample size of importance weights, `(Σ w)² / Σ w²`
 * (L. Kish, "Survey Sampling", Wiley, 1965, §11.7; Liu, "Metropolized
 * independent sampling", Stat. Comput. 6 (1996), eq. 4). It is n for equal
 * weights and 1 when one weight carries everything. Weights need not be
 * normalised.
 *
 * @param weights non-negative, finite weights, not all zero
 * @returns the effective sample size, in [1, n]
 * @throws {SdenoTypeError} when weights is not an array of numbers
 * @throws {SdenoRangeError} when it is empty, a weight is negative or
 *   non-finite, or all weights are zero
 *
 * @example Equal and degenerate weights
 * ```ts
 * import { effectiveSampleSizeOfWeights } from "./ess.ts";
 * import assert from "node:assert/strict";
 * assert.equal(effectiveSampleSizeOfWeights([2, 2, 2, 2]), 4);
 * assert.equal(effectiveSampleSizeOfWeights([0, 5, 0]), 1);
 * ```
 */
export function effectiveSampleSizeOfWeights(weights: ArrayLike<number>): number {
  const what = "Cannot compute the effective sample size of weights";
  const n = _checkSample(what, "weights", weights);
  // scale by the largest weight so that the squares cannot overflow
  let max = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (w < 0) {
      throw new SdenoRangeError(`${what}: weights[${i}] must be non-negative, got ${quote(w)}`);
    }
    if (w > max) max = w;
  }
  if (!(max > 0)) throw new SdenoRangeError(`${what}: weights must not all be zero`);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]! / max;
    s += w;
    s2 += w * w;
  }
  return (s * s) / s2;
}
