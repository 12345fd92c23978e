/**
 * Sample mean, variance, skewness and excess kurtosis with delta-method
 * standard errors.
 *
 * @module
 */

import { _checkBatch, _checkDim, _checkOptions, _checkSample } from "./_validate.ts";

/** Standard errors of the estimates in {@linkcode Moments}. */
export interface MomentStandardErrors {
  /** `sqrt(s²/n)`. */
  mean: number;
  /** `sqrt((m₄ − m₂²)/n)`; `sqrt(2/n)·σ²` for normal data. */
  variance: number;
  /** Delta method with m₂…m₆; `≈ sqrt(6/n)` for normal data. */
  skewness: number;
  /** Delta method with m₂…m₈; `≈ sqrt(24/n)` for normal data. */
  excessKurtosis: number;
}

/** Moments of a one-dimensional sample, from {@linkcode moments}. */
export interface Moments {
  /** Sample size. */
  n: number;
  /** Sample mean `x̄`. */
  mean: number;
  /** Unbiased sample variance `s² = Σ(x − x̄)²/(n − 1)`. */
  variance: number;
  /** Skewness `g₁ = m₃/m₂^{3/2}` (moment estimator, as scipy's `skew(bias=True)`); NaN when m₂ = 0. */
  skewness: number;
  /** Excess kurtosis `g₂ = m₄/m₂² − 3` (as scipy's `kurtosis(bias=True)`); NaN when m₂ = 0. */
  excessKurtosis: number;
  /** Standard errors of the four estimates. */
  se: MomentStandardErrors;
}

/** Options of {@linkcode columnMoments}. */
export interface ColumnMomentsOptions {
  /** Dimension of the points (required). */
  d: number;
}

/**
 * `Cov(IF_a, IF_b)`: covariance of the influence functions of central
 * moments a and b, `μ_{a+b} − μ_a μ_b − a μ_{a−1} μ_{b+1} − b μ_{b−1} μ_{a+1}
 * + a b μ_{a−1} μ_{b−1} μ₂` (Serfling, "Approximation Theorems of Mathematical
 * Statistics", 1980, §2.2.3, Thm B; Kendall & Stuart, "The Advanced Theory of
 * Statistics", Vol. 1, eq. 10.9), with μ₀ = 1, μ₁ = 0. `m` holds central
 * moments m[0..8].
 *
 * @internal
 */
function _cov(m: Float64Array, a: number, b: number): number {
  return m[a + b]! - m[a]! * m[b]! - a * m[a - 1]! * m[b + 1]! - b * m[b - 1]! * m[a + 1]! +
    a * b * m[a - 1]! * m[b - 1]! * m[2]!;
}

/** @internal moments of x[offset + k·stride], k < n */
function _moments(x: ArrayLike<number>, offset: number, stride: number, n: number): Moments {
  let sum = 0;
  for (let k = 0; k < n; k++) sum += x[offset + k * stride]!;
  const mean = sum / n;
  // central moments m_j = (1/n) Σ (x − x̄)^j, j = 0..8 (two-pass)
  const m = new Float64Array(9);
  for (let k = 0; k < n; k++) {
    const e = x[offset + k * stride]! - mean;
    let p = e;
    for (let j = 1; j <= 8; j++) {
      m[j] = m[j]! + p;
      p *= e;
    }
  }
  for (let j = 1; j <= 8; j++) m[j] = m[j]! / n;
  m[0] = 1;
  m[1] = 0; // exactly, by definition of the mean
  const m2 = m[2]!;
  const variance = (m2 * n) / (n - 1);
  const skewness = m[3]! / m2 ** 1.5;
  const excessKurtosis = m[4]! / (m2 * m2) - 3;
  // Delta method (Serfling 1980, §3.3): for g(μ₂, μ_k), Var ≈ ∇gᵀ Σ ∇g / n
  // with Σ the influence-function covariances above.
  // g₁ = μ₃ μ₂^{−3/2}: ∂/∂μ₂ = −(3/2) μ₃ μ₂^{−5/2}, ∂/∂μ₃ = μ₂^{−3/2}.
  const s2 = -1.5 * m[3]! / m2 ** 2.5;
  const s3 = 1 / m2 ** 1.5;
  const varSkew = s2 * s2 * _cov(m, 2, 2) + 2 * s2 * s3 * _cov(m, 2, 3) + s3 * s3 * _cov(m, 3, 3);
  // g₂ = μ₄ μ₂^{−2} − 3: ∂/∂μ₂ = −2 μ₄ μ₂^{−3}, ∂/∂μ₄ = μ₂^{−2}.
  const k2 = (-2 * m[4]!) / (m2 * m2 * m2);
  const k4 = 1 / (m2 * m2);
  const varKurt = k2 * k2 * _cov(m, 2, 2) + 2 * k2 * k4 * _cov(m, 2, 4) + k4 * k4 * _cov(m, 4, 4);
  return {
    n,
    mean,
    variance,
    skewness,
    excessKurtosis,
    se: {
      mean: Math.sqrt(variance / n),
      variance: Math.sqrt(Math.max(0, _cov(m, 2, 2)) / n),
      skewness: Math.sqrt(Math.max(0, varSkew) / n),
      excessKurtosis: Math.sqrt(Math.max(0, varKurt) / n),
    },
  };
}

/**
 * Mean, unbiased variance, skewness `g₁ = m₃/m₂^{3/2}` and excess kurtosis
 * `g₂ = m₄/m₂² − 3` of a one-dimensional sample, each with a standard error.
 * `m_k = (1/n) Σ (x − x̄)^k` are the sample central moments (two-pass).
 *
 * Standard errors: `sqrt(s²/n)` for the mean; for the others the delta
 * method on the central moments, `Var(g(m)) ≈ ∇gᵀ Σ ∇g / n` with
 * `Σ_ab = μ_{a+b} − μ_a μ_b − a μ_{a−1} μ_{b+1} − b μ_{b−1} μ_{a+1} + a b μ_{a−1} μ_{b−1} μ₂`
 * (the covariance of the central moments' influence functions; Serfling
 * 1980, §2.2.3 and §3.3), evaluated at the sample moments m₂…m₈. For
 * normal data they reduce to `sqrt(2/n)·σ²`, `sqrt(6/n)` and `sqrt(24/n)`;
 * unlike those closed forms they stay valid for non-normal data.
 *
 * @param x the sample (at least 2 finite values)
 * @returns the estimates and their standard errors
 * @throws {SdenoTypeError} when x is not an array of numbers
 * @throws {SdenoRangeError} when x has fewer than 2 values or a non-finite one
 *
 * @example A symmetric two-point sample
 * ```ts
 * import { moments } from "./moments.ts";
 * import assert from "node:assert/strict";
 * const m = moments([-1, 1, -1, 1]);
 * assert.equal(m.mean, 0);
 * assert.equal(m.skewness, 0);
 * assert.equal(m.excessKurtosis, -2);
 * assert.equal(m.se.variance, 0); // every (x − x̄)² is 1
 * assert.equal(m.se.skewness, 1); // sqrt((m₆ − 6m₂m₄ + 9m₂³)/n) = sqrt(4/4)
 * ```
 */
export function moments(x: ArrayLike<number>): Moments {
  const n = _checkSample("Cannot compute moments", "x", x, 2);
  return _moments(x, 0, 1, n);
}

/**
 * {@linkcode moments} of each column of a point-major n×d batch.
 *
 * @param x the batch, n×d point-major (n ≥ 2)
 * @param options `d`, the dimension (required)
 * @returns one {@linkcode Moments} per column
 * @throws {SdenoTypeError} when the length is not a multiple of d
 * @throws {SdenoRangeError} when n < 2 or a value is non-finite
 *
 * @example Two columns
 * ```ts
 * import { columnMoments } from "./moments.ts";
 * import assert from "node:assert/strict";
 * const cols = columnMoments([0, 10, 2, 10, 4, 13], { d: 2 });
 * assert.equal(cols.length, 2);
 * assert.equal(cols[0]!.mean, 2);
 * assert.equal(cols[0]!.variance, 4);
 * assert.equal(cols[1]!.mean, 11);
 * ```
 */
export function columnMoments(x: ArrayLike<number>, options: ColumnMomentsOptions): Moments[] {
  const what = "Cannot compute column moments";
  _checkOptions(what, options);
  const d = _checkDim(what, options.d);
  const n = _checkBatch(what, "x", x, d, 2);
  const out: Moments[] = [];
  for (let c = 0; c < d; c++) out.push(_moments(x, c, d, n));
  return out;
}
