/**
 * One-sample Kolmogorov–Smirnov test and the Kolmogorov distribution.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { _checkSample } from "./_validate.ts";

/** Result of {@linkcode ksTest}. */
export interface KsTestResult {
  /** `D_n = sup_x |F_n(x) − F(x)|`. */
  statistic: number;
  /** Asymptotic p-value `P(K > √n·D_n)`, K Kolmogorov-distributed. */
  pValue: number;
  /** Sample size n. */
  n: number;
}

/**
 * Survival function of the Kolmogorov distribution,
 * `P(K > t)` where `K = sup_u |B(u)|`, B a Brownian bridge (Kolmogorov 1933):
 *
 * - for `t ≥ 1`: `2 Σ_{k≥1} (−1)^{k−1} exp(−2k²t²)` (alternating series);
 * - for `t < 1`: `1 − (√(2π)/t) Σ_{k≥1} exp(−(2k−1)²π²/(8t²))` (the
 *   Jacobi-theta form of the CDF, which converges fast for small t).
 *
 * (Feller, "On the Kolmogorov–Smirnov limit theorems", Ann. Math. Stat. 19,
 * 1948, eqs. (1.5), (1.6); Marsaglia, Tsang & Wang, J. Stat. Softw. 8(18),
 * 2003, eq. (3)). Both series are summed until the terms fall below 1e-17
 * relative, so the result is accurate to about 1e-15 relative for t ≥ 1.
 *
 * @param t the point, a number (NaN gives NaN)
 * @returns `P(K > t)`, 1 for t ≤ 0
 *
 * @example The 5% point of the Kolmogorov distribution
 * ```ts
 * import { kolmogorovSurvival } from "./kolmogorov_smirnov.ts";
 * import assert from "node:assert/strict";
 * // scipy.stats.kstwobign.sf(1.3581015157) = 0.04999921876104001
 * assert.ok(Math.abs(kolmogorovSurvival(1.3581015157) - 0.04999921876104001) < 1e-15);
 * assert.equal(kolmogorovSurvival(0), 1);
 * ```
 */
export function kolmogorovSurvival(t: number): number {
  if (Number.isNaN(t)) return NaN;
  if (t <= 0) return 1;
  if (t === Infinity) return 0;
  if (t >= 1) {
    let sum = 0;
    for (let k = 1; k < 100; k++) {
      const term = Math.exp(-2 * k * k * t * t);
      sum += k % 2 === 1 ? term : -term;
      if (term < 1e-17 * sum) break;
    }
    return 2 * sum;
  }
  // small t: CDF by the theta series; exp(−π²/(8t²)) underflows for t < ~0.04
  const c = (Math.PI * Math.PI) / (8 * t * t);
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const j = 2 * k - 1;
    const term = Math.exp(-j * j * c);
    sum += term;
    if (term <= 1e-17 * sum || term === 0) break;
  }
  return 1 - (Math.sqrt(2 * Math.PI) / t) * sum;
}

/**
 * One-sample, two-sided Kolmogorov–Smirnov test of a sample against a
 * continuous distribution function F:
 * `D_n = max_i max(i/n − F(x₍ᵢ₎), F(x₍ᵢ₎) − (i−1)/n)` over the order
 * statistics, and the asymptotic p-value `P(K > √n·D_n)`
 * ({@linkcode kolmogorovSurvival}; the same as
 * `scipy.stats.kstest(x, F, method="asymp")`). The asymptotic p-value is
 * conservative-to-accurate for n ≳ 100; for small n prefer an exact method.
 *
 * @param sample the data (at least one finite value; not modified)
 * @param cdf the hypothesised distribution function, called once per point;
 *   must return numbers in [0, 1]
 * @returns the statistic D, the asymptotic p-value and n
 * @throws {SdenoTypeError} when the sample is not an array or cdf is not a function
 * @throws {SdenoRangeError} when the sample is empty or non-finite, or cdf
 *   returns a value outside [0, 1]
 *
 * @example A sample on the uniform quantile midpoints has D = 1/(2n)
 * ```ts
 * import { ksTest } from "./kolmogorov_smirnov.ts";
 * import assert from "node:assert/strict";
 * const n = 100;
 * const x = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
 * const r = ksTest(x, (v) => Math.min(1, Math.max(0, v)));
 * assert.ok(Math.abs(r.statistic - 0.005) < 1e-15);
 * assert.equal(r.pValue, 1);
 * ```
 */
export function ksTest(
  sample: ArrayLike<number>,
  cdf: (x: number) => number,
): KsTestResult {
  const what = "Cannot run the Kolmogorov-Smirnov test";
  const n = _checkSample(what, "sample", sample);
  if (typeof cdf !== "function") {
    throw new SdenoTypeError(`${what}: cdf must be a function, got ${quote(cdf)}`);
  }
  const sorted = Float64Array.from(sample).sort();
  let dmax = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i]!;
    const f = cdf(x);
    if (!(f >= 0 && f <= 1)) {
      throw new SdenoRangeError(
        `${what}: cdf must return a probability in [0, 1], got ${quote(f)} at x ${quote(x)}`,
      );
    }
    const dPlus = (i + 1) / n - f;
    const dMinus = f - i / n;
    if (dPlus > dmax) dmax = dPlus;
    if (dMinus > dmax) dmax = dMinus;
  }
  return { statistic: dmax, pValue: kolmogorovSurvival(Math.sqrt(n) * dmax), n };
}
