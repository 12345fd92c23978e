/**
 * Pearson's chi-square goodness-of-fit test.
 *
 * @module
 */

import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../kernels/errors.ts";
import { _checkOptions, _checkSample } from "./_validate.ts";
import { regularizedGammaQ } from "./incomplete_gamma.ts";

/** Options of {@linkcode chiSquareTest}. */
export interface ChiSquareTestOptions {
  /**
   * Adjacent bins are pooled (left to right) until each group's expected
   * count is at least this (default 5, the usual rule of thumb; Cochran,
   * "Some methods for strengthening the common χ² tests", Biometrics 10,
   * 1954). A group's expected count is always > 0. Use 0 to pool only bins
   * with zero expected count.
   */
  minExpected?: number;
  /**
   * Number of parameters fitted to the data before testing, subtracted from
   * the degrees of freedom (default 0).
   */
  ddof?: number;
  /**
   * Allowed deviation of `Σ probabilities` from 1 (default 1e-9). The
   * probabilities must cover every outcome: include underflow and overflow
   * bins of a histogram.
   */
  sumTolerance?: number;
}

/** Result of {@linkcode chiSquareTest}. */
export interface ChiSquareTestResult {
  /** Pearson's statistic `Σ (O − E)²/E` over the pooled groups. */
  statistic: number;
  /** Degrees of freedom: groups − 1 − ddof. */
  dof: number;
  /** Asymptotic p-value `P(χ²_dof ≥ statistic) = Q(dof/2, statistic/2)`. */
  pValue: number;
  /** Number of groups after pooling. */
  groups: number;
  /** Total count N = Σ observed. */
  total: number;
}

/**
 * Pearson's chi-square goodness-of-fit test of observed counts against
 * expected probabilities: `X² = Σ_g (O_g − N p_g)² / (N p_g)` over groups of
 * adjacent bins pooled until `N p_g ≥ minExpected`, referred to χ² with
 * `groups − 1 − ddof` degrees of freedom (Pearson 1900; Cramér,
 * "Mathematical Methods of Statistics", 1946, §30.1). The p-value is the
 * regularized upper incomplete gamma function `Q(dof/2, X²/2)`
 * ({@linkcode regularizedGammaQ}, Numerical Recipes §6.2).
 *
 * @param observed counts per bin (non-negative, finite)
 * @param probabilities expected probability of each bin (non-negative, summing to 1)
 * @param options `minExpected` (default 5), `ddof` (default 0), `sumTolerance` (default 1e-9)
 * @returns the statistic, degrees of freedom, p-value, number of groups and total count
 * @throws {SdenoTypeError} when the lengths differ or an argument is not an array
 * @throws {SdenoRangeError} when a count or probability is negative or
 *   non-finite, the probabilities do not sum to 1, the total is 0, or fewer
 *   than `2 + ddof` groups remain after pooling
 *
 * @example A fair die
 * ```ts
 * import { chiSquareTest } from "./chi_square.ts";
 * import assert from "node:assert/strict";
 * const r = chiSquareTest([8, 12, 10, 9, 11, 10], new Array(6).fill(1 / 6));
 * assert.ok(Math.abs(r.statistic - 1) < 1e-14);
 * assert.equal(r.dof, 5);
 * // scipy.stats.chisquare([8, 12, 10, 9, 11, 10]).pvalue = 0.9625657732472964
 * assert.ok(Math.abs(r.pValue - 0.9625657732472964) < 1e-13);
 * ```
 */
export function chiSquareTest(
  observed: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  options: ChiSquareTestOptions = {},
): ChiSquareTestResult {
  const what = "Cannot run the chi-square test";
  _checkOptions(what, options);
  const k = _checkSample(what, "observed", observed);
  _checkSample(what, "probabilities", probabilities);
  if (probabilities.length !== k) {
    throw new SdenoTypeError(
      `${what}: observed and probabilities must have the same length, got ${k} and ${probabilities.length}`,
    );
  }
  const minExpected = checkFinite(what, "minExpected", options.minExpected ?? 5);
  if (minExpected < 0) {
    throw new SdenoRangeError(
      `${what}: minExpected must be non-negative, got ${quote(minExpected)}`,
    );
  }
  const ddof = checkInteger(what, "ddof", options.ddof ?? 0);
  const tol = checkFinite(what, "sumTolerance", options.sumTolerance ?? 1e-9);
  let total = 0;
  let psum = 0;
  for (let i = 0; i < k; i++) {
    if (observed[i]! < 0) {
      throw new SdenoRangeError(
        `${what}: observed[${i}] must be non-negative, got ${quote(observed[i])}`,
      );
    }
    if (probabilities[i]! < 0) {
      throw new SdenoRangeError(
        `${what}: probabilities[${i}] must be non-negative, got ${quote(probabilities[i])}`,
      );
    }
    total += observed[i]!;
    psum += probabilities[i]!;
  }
  if (!(Math.abs(psum - 1) <= tol)) {
    throw new SdenoRangeError(
      `${what}: probabilities must sum to 1 (include underflow/overflow bins), got sum ${
        quote(psum)
      }`,
    );
  }
  if (!(total > 0)) {
    throw new SdenoRangeError(
      `${what}: observed counts must not all be zero, got total ${quote(total)}`,
    );
  }
  // Pool adjacent bins left to right; a short tail joins the last group.
  const groupO: number[] = [];
  const groupE: number[] = [];
  let o = 0;
  let e = 0;
  for (let i = 0; i < k; i++) {
    o += observed[i]!;
    e += total * probabilities[i]!;
    if (e >= minExpected && e > 0) {
      groupO.push(o);
      groupE.push(e);
      o = 0;
      e = 0;
    }
  }
  if (o > 0 || e > 0) {
    if (groupO.length === 0) {
      groupO.push(o);
      groupE.push(e);
    } else {
      groupO[groupO.length - 1]! += o;
      groupE[groupE.length - 1]! += e;
    }
  }
  const groups = groupO.length;
  const dof = groups - 1 - ddof;
  if (dof < 1) {
    throw new SdenoRangeError(
      `${what}: ${groups} group${
        groups === 1 ? "" : "s"
      } remain after pooling bins with expected ` +
        `count below ${minExpected}, which leaves ${
          quote(dof)
        } degrees of freedom (need at least 1)`,
    );
  }
  let statistic = 0;
  for (let g = 0; g < groups; g++) {
    const diff = groupO[g]! - groupE[g]!;
    statistic += (diff * diff) / groupE[g]!;
  }
  return { statistic, dof, pValue: regularizedGammaQ(dof / 2, statistic / 2), groups, total };
}
