/**
 * Fixed-width histograms with explicit underflow and overflow counts.
 *
 * @module
 */

import { checkFinite, checkInteger, quote, SdenoRangeError } from "../kernels/errors.ts";
import { _checkOptions, _checkSample } from "./_validate.ts";

/** Options of {@linkcode histogram}. */
export interface HistogramOptions {
  /** Number of equal-width bins (a positive integer). */
  bins: number;
  /** Left edge of the first bin. */
  min: number;
  /** Right edge of the last bin (> min). */
  max: number;
}

/** A histogram from {@linkcode histogram}. */
export interface Histogram {
  /** Count of each bin; bin k is `[edges[k], edges[k+1])`, the last bin also holds `max`. */
  counts: Float64Array;
  /** The `bins + 1` bin edges, `edges[0] = min`, `edges[bins] = max`. */
  edges: Float64Array;
  /** Number of values below `min` (including −Infinity). */
  underflow: number;
  /** Number of values above `max` (including +Infinity). */
  overflow: number;
  /** Total number of values, in range or not. */
  total: number;
}

/** Options of {@linkcode histogramDensity}. */
export interface HistogramDensityOptions {
  /**
   * What the density is normalised by: `"all"` (default) divides by every
   * value, so the density estimates the sampled pdf even when some mass lies
   * outside `[min, max]`; `"inRange"` divides by the in-range count only, so
   * the density integrates to 1 over the range (numpy's `density=True`).
   */
  normalizeBy?: "all" | "inRange";
}

/**
 * Counts a one-dimensional sample into `bins` equal-width bins on
 * `[min, max]`. Bins are half-open `[e_k, e_{k+1})` except the last, which is
 * closed (numpy's convention); values below `min` or above `max` are counted
 * in `underflow` / `overflow`, never dropped silently. A value equal to an
 * edge always lands in the bin that starts there.
 *
 * @param x the sample (±Infinity allowed, NaN rejected)
 * @param options `bins`, `min`, `max`
 * @returns counts, edges, underflow, overflow and total
 * @throws {SdenoTypeError} when bins is not an integer, or min/max are not finite
 * @throws {SdenoRangeError} when bins ≤ 0, max ≤ min, or x holds NaN
 *
 * @example Four values, two bins
 * ```ts
 * import { histogram } from "./histogram.ts";
 * import assert from "node:assert/strict";
 * const h = histogram([0, 0.5, 1, 2, -1], { bins: 2, min: 0, max: 1 });
 * assert.deepEqual(Array.from(h.counts), [1, 2]); // 0.5 starts bin 1; 1 = max is in it
 * assert.deepEqual(Array.from(h.edges), [0, 0.5, 1]);
 * assert.equal(h.underflow, 1);
 * assert.equal(h.overflow, 1);
 * ```
 */
export function histogram(x: ArrayLike<number>, options: HistogramOptions): Histogram {
  const what = "Cannot build a histogram";
  _checkOptions(what, options);
  const bins = checkInteger(what, "bins", options.bins, 1);
  const min = checkFinite(what, "min", options.min);
  const max = checkFinite(what, "max", options.max);
  if (!(max > min)) {
    throw new SdenoRangeError(
      `${what}: max must be greater than min ${quote(min)}, got ${quote(max)}`,
    );
  }
  _checkSample(what, "x", x, 0, false);
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!)) {
      throw new SdenoRangeError(`${what}: x[${i}] must not be NaN, got "NaN"`);
    }
  }
  const edges = new Float64Array(bins + 1);
  const width = max - min;
  for (let k = 0; k < bins; k++) edges[k] = min + (width * k) / bins;
  edges[bins] = max;
  const counts = new Float64Array(bins);
  let underflow = 0;
  let overflow = 0;
  const scale = bins / width;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < min) {
      underflow++;
      continue;
    }
    if (v > max) {
      overflow++;
      continue;
    }
    let k = Math.floor((v - min) * scale);
    if (k > bins - 1) k = bins - 1;
    // Make the edges the authority (rounding in the division can be off by one).
    if (k < bins - 1 && v >= edges[k + 1]!) k++;
    else if (k > 0 && v < edges[k]!) k--;
    counts[k] = counts[k]! + 1;
  }
  return { counts, edges, underflow, overflow, total: x.length };
}

/**
 * Probability density of each bin of a histogram: `counts[k] / (N · width_k)`.
 *
 * @param hist a histogram from {@linkcode histogram}
 * @param options `normalizeBy`: `"all"` (default, N = total) or `"inRange"`
 *   (N = values inside `[min, max]`)
 * @returns the density per bin
 * @throws {SdenoRangeError} when N is 0
 *
 * @example Density of a histogram with one value out of range
 * ```ts
 * import { histogram, histogramDensity } from "./histogram.ts";
 * import assert from "node:assert/strict";
 * const h = histogram([0.1, 0.2, 0.7, 5], { bins: 2, min: 0, max: 1 });
 * assert.deepEqual(Array.from(histogramDensity(h)), [1, 0.5]); // 2/(4·0.5), 1/(4·0.5)
 * const inRange = histogramDensity(h, { normalizeBy: "inRange" });
 * assert.ok(Math.abs(inRange[0]! - 4 / 3) < 1e-15);
 * ```
 */
export function histogramDensity(
  hist: Histogram,
  options: HistogramDensityOptions = {},
): Float64Array {
  const what = "Cannot compute a histogram density";
  _checkOptions(what, options);
  const by = options.normalizeBy ?? "all";
  if (by !== "all" && by !== "inRange") {
    throw new SdenoRangeError(`${what}: normalizeBy must be "all" or "inRange", got ${quote(by)}`);
  }
  const norm = by === "all" ? hist.total : hist.total - hist.underflow - hist.overflow;
  if (!(norm > 0)) {
    throw new SdenoRangeError(`${what}: the histogram holds no values to normalise by (${by})`);
  }
  const k = hist.counts.length;
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    out[i] = hist.counts[i]! / (norm * (hist.edges[i + 1]! - hist.edges[i]!));
  }
  return out;
}
