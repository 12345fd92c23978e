/**
 * Resampling for the sequential Monte Carlo guidance methods (MCGdiff, TDS,
 * FPS-SMC): log-weight normalisation, the effective sample size, three
 * unbiased resampling schemes driven by given uniforms, keyed uniforms
 * (Philox, purpose `guidanceResample`, one run per particle system and step)
 * and the ESS-triggered policy.
 *
 * Schemes (Douc, Cappé & Moulines, "Comparison of resampling schemes for
 * particle filtering", ISPA 2005, §2; Chopin & Papaspiliopoulos, "An
 * Introduction to Sequential Monte Carlo", Springer 2020, §9.4):
 * - multinomial: N independent draws from the weights (inverse CDF of N
 *   uniforms);
 * - systematic: one uniform u, the points `(i + u)/N`, so particle i gets
 *   ⌊N wᵢ⌋ or ⌈N wᵢ⌉ copies;
 * - residual: ⌊N wᵢ⌋ copies deterministically, the R = N − Σ⌊N wᵢ⌋ others
 *   multinomially from the residual weights `N wᵢ − ⌊N wᵢ⌋`.
 *
 * The ESS of normalised weights is Kish's `1/Σ wᵢ²` (`(Σ wᵢ)²/Σ wᵢ²` for
 * unnormalised ones), between 1 and N.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillUniform, type Key } from "../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";

/** The resampling schemes. */
export type ResamplingScheme = "systematic" | "multinomial" | "residual";

/** Every {@linkcode ResamplingScheme}, for listings and validation. */
export const RESAMPLING_SCHEMES: readonly ResamplingScheme[] = Object.freeze([
  "systematic",
  "multinomial",
  "residual",
]);

/** Normalised weights and the log of the mean unnormalised weight. */
export interface NormalizedWeights {
  /** wᵢ = exp(ℓᵢ − max ℓ) / Σ exp(ℓⱼ − max ℓ), summing to 1. */
  weights: Float64Array;
  /** log((1/N) Σ exp(ℓᵢ)), the log normalising-constant increment. */
  logMean: number;
}

/**
 * Normalises log-weights by log-sum-exp (stable for any finite values; −∞
 * entries get weight 0).
 *
 * @param logWeights ℓ₁ … ℓ_N, at least one finite
 * @returns the normalised weights and log((1/N) Σ exp ℓᵢ)
 * @throws {SdenoRangeError} when a log-weight is NaN or +∞, or none is finite
 *
 * @example
 * ```ts
 * import { normalizeLogWeights } from "./resampling.ts";
 * import assert from "node:assert/strict";
 * const { weights, logMean } = normalizeLogWeights([Math.log(1), Math.log(3)]);
 * assert.deepEqual([...weights], [0.25, 0.75]);
 * assert.ok(Math.abs(logMean - Math.log(2)) < 1e-15);
 * ```
 */
export function normalizeLogWeights(logWeights: ArrayLike<number>): NormalizedWeights {
  const n = logWeights.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const l = logWeights[i]!;
    if (Number.isNaN(l) || l === Infinity) {
      throw new SdenoRangeError(
        `Cannot normalise log-weights: logWeights[${i}] is ${l}, expected a finite number or -Infinity`,
      );
    }
    if (l > max) max = l;
  }
  if (max === -Infinity) {
    throw new SdenoRangeError(
      `Cannot normalise log-weights: none of the ${n} log-weights is finite`,
    );
  }
  const weights = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = Math.exp(logWeights[i]! - max);
    weights[i] = w;
    sum += w;
  }
  for (let i = 0; i < n; i++) weights[i] = weights[i]! / sum;
  return { weights, logMean: max + Math.log(sum / n) };
}

/**
 * Kish's effective sample size `(Σ wᵢ)²/Σ wᵢ²` of weights given by their
 * logarithms (N for equal weights, 1 when one weight holds everything).
 *
 * @param logWeights ℓ₁ … ℓ_N, at least one finite
 * @returns the ESS in [1, N]
 * @throws {SdenoRangeError} as {@linkcode normalizeLogWeights}
 *
 * @example
 * ```ts
 * import { essFromLogWeights } from "./resampling.ts";
 * import assert from "node:assert/strict";
 * assert.equal(essFromLogWeights([0, 0, 0, 0]), 4);
 * assert.equal(essFromLogWeights([0, -Infinity, -Infinity]), 1);
 * // weights (1, 3): (1 + 3)²/(1 + 9) = 1.6
 * assert.ok(Math.abs(essFromLogWeights([0, Math.log(3)]) - 1.6) < 1e-14);
 * ```
 */
export function essFromLogWeights(logWeights: ArrayLike<number>): number {
  const { weights } = normalizeLogWeights(logWeights);
  let sq = 0;
  for (let i = 0; i < weights.length; i++) sq += weights[i]! * weights[i]!;
  return 1 / sq;
}

function checkWeights(what: string, weights: ArrayLike<number>): number {
  const n = weights.length;
  if (n < 1) throw new SdenoRangeError(`${what}: weights must hold at least 1 value, got 0`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new SdenoRangeError(
        `${what}: weights[${i}] is ${quote(w)}, expected a finite number ≥ 0`,
      );
    }
    sum += w;
  }
  if (!(Math.abs(sum - 1) < 1e-9)) {
    throw new SdenoRangeError(
      `${what}: weights must sum to 1 (normalise them with normalizeLogWeights), got sum ${sum}`,
    );
  }
  return n;
}

function checkUniform(what: string, name: string, u: number): void {
  if (!(u >= 0 && u < 1)) {
    throw new SdenoRangeError(`${what}: ${name} is ${quote(u)}, expected a number in [0, 1)`);
  }
}

function outArray(what: string, n: number, out: Int32Array | undefined): Int32Array {
  if (out === undefined) return new Int32Array(n);
  if (!(out instanceof Int32Array) || out.length !== n) {
    throw new SdenoTypeError(`${what}: out must be an Int32Array of length ${n}`);
  }
  return out;
}

/**
 * Systematic resampling (Kitagawa 1996; Carpenter, Clifford & Fearnhead
 * 1999): ancestors of the points `(i + u)/N`, i = 0…N−1, under the
 * cumulative weights. Particle i gets ⌊N wᵢ⌋ or ⌈N wᵢ⌉ copies; the ancestors
 * come out sorted.
 *
 * @param weights normalised weights w₁ … w_N (sum 1)
 * @param u one uniform in [0, 1)
 * @param out where to write the N ancestor indices (default: a new array)
 * @returns the ancestor indices
 * @throws {SdenoRangeError} for weights that are negative, non-finite or do not sum to 1, or u outside [0, 1)
 *
 * @example
 * ```ts
 * import { systematicResample } from "./resampling.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...systematicResample([0.5, 0.25, 0.25, 0], 0.5)], [0, 0, 1, 2]);
 * ```
 */
export function systematicResample(
  weights: ArrayLike<number>,
  u: number,
  out?: Int32Array,
): Int32Array {
  const what = "Cannot resample systematically";
  const n = checkWeights(what, weights);
  checkUniform(what, "u", u);
  const idx = outArray(what, n, out);
  let j = 0, cum = weights[0]!;
  for (let i = 0; i < n; i++) {
    const p = (i + u) / n;
    while (cum <= p && j < n - 1) cum += weights[++j]!;
    idx[i] = j;
  }
  return idx;
}

/** Ancestors of the uniforms `us[0..count)` under the weights (inverse CDF by binary search). */
function inverseCdf(
  weights: ArrayLike<number>,
  n: number,
  us: ArrayLike<number>,
  count: number,
  idx: Int32Array,
  at: number,
): void {
  const cum = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cum[i] = acc += weights[i]!;
  for (let k = 0; k < count; k++) {
    const p = us[k]! * acc;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > p) hi = mid;
      else lo = mid + 1;
    }
    // never pick a zero-weight particle at a tie
    while (lo > 0 && weights[lo]! === 0) lo--;
    idx[at + k] = lo;
  }
}

/**
 * Multinomial resampling: N independent ancestors, one per uniform, by the
 * inverse cumulative weights.
 *
 * @param weights normalised weights w₁ … w_N (sum 1)
 * @param uniforms N uniforms in [0, 1)
 * @param out where to write the N ancestor indices (default: a new array)
 * @returns the ancestor indices
 * @throws {SdenoRangeError} for bad weights, fewer than N uniforms or one outside [0, 1)
 *
 * @example
 * ```ts
 * import { multinomialResample } from "./resampling.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...multinomialResample([0.25, 0.75], [0.1, 0.3])], [0, 1]);
 * ```
 */
export function multinomialResample(
  weights: ArrayLike<number>,
  uniforms: ArrayLike<number>,
  out?: Int32Array,
): Int32Array {
  const what = "Cannot resample multinomially";
  const n = checkWeights(what, weights);
  checkUniforms(what, uniforms, n);
  const idx = outArray(what, n, out);
  inverseCdf(weights, n, uniforms, n, idx, 0);
  return idx;
}

function checkUniforms(what: string, uniforms: ArrayLike<number>, n: number): void {
  if (uniforms.length < n) {
    throw new SdenoRangeError(
      `${what}: uniforms must hold at least ${n} values, got ${uniforms.length}`,
    );
  }
  for (let i = 0; i < n; i++) checkUniform(what, `uniforms[${i}]`, uniforms[i]!);
}

/**
 * Residual resampling (Liu & Chen 1998): particle i gets ⌊N wᵢ⌋ copies, and
 * the remaining R = N − Σ⌊N wᵢ⌋ ancestors are drawn multinomially from the
 * residual weights `N wᵢ − ⌊N wᵢ⌋`, using the first R uniforms.
 *
 * @param weights normalised weights w₁ … w_N (sum 1)
 * @param uniforms N uniforms in [0, 1) (only the first R are used)
 * @param out where to write the N ancestor indices (default: a new array)
 * @returns the ancestor indices (the deterministic copies first)
 * @throws {SdenoRangeError} for bad weights, fewer than N uniforms or one outside [0, 1)
 *
 * @example
 * ```ts
 * import { residualResample } from "./resampling.ts";
 * import assert from "node:assert/strict";
 * // N w = (2.5, 1.5): 2 + 1 copies, one more from residuals (0.5, 0.5)
 * assert.deepEqual([...residualResample([0.625, 0.375, 0, 0], [0.7, 0, 0, 0])], [0, 0, 1, 1]);
 * ```
 */
export function residualResample(
  weights: ArrayLike<number>,
  uniforms: ArrayLike<number>,
  out?: Int32Array,
): Int32Array {
  const what = "Cannot resample by residuals";
  const n = checkWeights(what, weights);
  checkUniforms(what, uniforms, n);
  const idx = outArray(what, n, out);
  const residual = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const nw = n * weights[i]!;
    // clamp: rounding could otherwise hand out more than n copies
    const copies = Math.min(Math.floor(nw), n - k);
    for (let c = 0; c < copies; c++) idx[k++] = i;
    residual[i] = Math.max(0, nw - copies);
  }
  if (k < n) inverseCdf(residual, n, uniforms, n - k, idx, k);
  return idx;
}

/**
 * Resampling by scheme name, from N uniforms (systematic uses the first).
 *
 * @param scheme the scheme
 * @param weights normalised weights (sum 1)
 * @param uniforms N uniforms in [0, 1)
 * @param out where to write the N ancestor indices (default: a new array)
 * @returns the ancestor indices
 * @throws {SdenoTypeError} for an unknown scheme
 * @throws {SdenoRangeError} as the scheme's function
 *
 * @example
 * ```ts
 * import { resample } from "./resampling.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...resample("systematic", [0, 1], [0.3, 0.9])], [1, 1]);
 * ```
 */
export function resample(
  scheme: ResamplingScheme,
  weights: ArrayLike<number>,
  uniforms: ArrayLike<number>,
  out?: Int32Array,
): Int32Array {
  switch (scheme) {
    case "systematic":
      if (uniforms.length < 1) {
        throw new SdenoRangeError(`Cannot resample systematically: uniforms is empty`);
      }
      return systematicResample(weights, uniforms[0]!, out);
    case "multinomial":
      return multinomialResample(weights, uniforms, out);
    case "residual":
      return residualResample(weights, uniforms, out);
    default:
      throw new SdenoTypeError(
        `Cannot resample: scheme must be one of ${RESAMPLING_SCHEMES.join(", ")}, got ${
          quote(scheme)
        }`,
      );
  }
}

/** Where a particle system's resampling uniforms live in the counter space. */
export interface ResampleDraw {
  /** Global index of the particle system (counter elements `system·particles …`). */
  system: number;
  /** The step (counter word 1). */
  step: number;
  /** Particles in the system, N (the number of uniforms). */
  particles: number;
}

/**
 * The N resampling uniforms of one particle system at one step: Philox
 * uniforms at elements `system·N … system·N + N − 1`, counter word 1 = step,
 * purpose `PHILOX_PURPOSES.guidanceResample`. They depend only on the key,
 * the system's global index and the step, so a system resamples the same
 * way whatever batch or shard it runs in.
 *
 * @param key the run's key
 * @param draw the system, step and particle count
 * @returns N uniforms in (0, 1)
 * @throws {SdenoRangeError} for a bad key, a negative system or step, or particles < 1
 *
 * @example The same system and step give the same uniforms
 * ```ts
 * import { resampleUniforms } from "./resampling.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const a = resampleUniforms(makeKey(1), { system: 3, step: 7, particles: 5 });
 * assert.deepEqual(a, resampleUniforms(makeKey(1), { system: 3, step: 7, particles: 5 }));
 * assert.notDeepEqual(a, resampleUniforms(makeKey(1), { system: 3, step: 8, particles: 5 }));
 * ```
 */
export function resampleUniforms(key: Key, draw: ResampleDraw): Float64Array {
  const what = "Cannot draw resampling uniforms";
  const { system, step, particles } = draw;
  if (!Number.isInteger(particles) || particles < 1) {
    throw new SdenoRangeError(`${what}: particles must be an integer ≥ 1, got ${quote(particles)}`);
  }
  if (!Number.isInteger(system) || system < 0) {
    throw new SdenoRangeError(`${what}: system must be an integer ≥ 0, got ${quote(system)}`);
  }
  const u = new Float64Array(particles);
  fillUniform(u, key, {
    step,
    purpose: PHILOX_PURPOSES.guidanceResample,
    offset: system * particles,
  });
  return u;
}

/** When to resample: when the ESS falls below a fraction of the particle count. */
export interface EssPolicy {
  /** The fraction θ in (0, 1]. */
  readonly threshold: number;
  /**
   * Whether to resample: `ess < θ·N` (θ = 1: whenever the weights are not
   * all equal, up to a relative 1e-12 of rounding).
   */
  shouldResample(ess: number, particles: number): boolean;
}

/**
 * The ESS-triggered resampling policy of Liu & Chen (1995) and Del Moral,
 * Doucet & Jasra (2012): resample when `ESS < θ·N`. θ = 1 resamples at every
 * step whose weights differ (MCGdiff's paper setting); TDS uses θ = 0.5.
 *
 * @param threshold θ in (0, 1]
 * @returns the policy
 * @throws {SdenoRangeError} when θ is not a number in (0, 1]
 *
 * @example
 * ```ts
 * import { essPolicy } from "./resampling.ts";
 * import assert from "node:assert/strict";
 * const p = essPolicy(0.5);
 * assert.ok(p.shouldResample(40, 100) && !p.shouldResample(60, 100));
 * assert.ok(!essPolicy(1).shouldResample(100, 100));
 * assert.throws(() => essPolicy(0), RangeError);
 * ```
 */
export function essPolicy(threshold: number): EssPolicy {
  if (typeof threshold !== "number" || !(threshold > 0 && threshold <= 1)) {
    throw new SdenoRangeError(
      `Cannot make an ESS policy: threshold must be a number in (0, 1], got ${quote(threshold)}`,
    );
  }
  return Object.freeze({
    threshold,
    shouldResample: (ess: number, particles: number) => ess < threshold * particles * (1 - 1e-12),
  });
}

export { smcDefaultParticles } from "./_smc.ts";
