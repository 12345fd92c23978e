/**
 * "Nice numbers" for axis ticks (Heckbert, Graphics Gems, 1990).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** What {@linkcode niceTicks} returns. */
export interface NiceTicks {
  /** The nice lower bound (≤ the data's), a multiple of `step`. */
  min: number;
  /** The nice upper bound (≥ the data's), a multiple of `step`. */
  max: number;
  /** Distance between ticks: 1, 2 or 5 times a power of ten. */
  step: number;
  /** The tick values from `min` to `max`, rounded to the step's decimals. */
  ticks: number[];
}

/** Options for {@linkcode niceTicks}. */
export interface NiceTicksOptions {
  /** About how many intervals to make (the result has between about half and twice as many). Default 5. */
  count?: number;
}

/**
 * Chooses tick values for an axis covering `[lo, hi]`: a step of 1, 2 or 5
 * times a power of ten, close to `(hi − lo) / count`, and bounds widened to
 * multiples of it. An empty interval (`lo === hi`) is widened around the value.
 *
 * @param lo smallest value to cover
 * @param hi largest value to cover
 * @param options the wanted number of intervals
 * @returns the nice bounds, step and ticks
 * @throws {SdenoTypeError} when a bound is not finite
 * @throws {SdenoRangeError} when `lo > hi`
 *
 * @example Ticks for data in [0.13, 9.7]
 * ```ts
 * import { niceTicks } from "./nice_ticks.ts";
 * import assert from "node:assert/strict";
 * const t = niceTicks(0.13, 9.7);
 * assert.deepEqual(t.ticks, [0, 2, 4, 6, 8, 10]);
 * assert.equal(t.step, 2);
 * assert.deepEqual(niceTicks(-0.3, 0.3).ticks, [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]);
 * ```
 */
export function niceTicks(lo: number, hi: number, options: NiceTicksOptions = {}): NiceTicks {
  if (typeof lo !== "number" || !Number.isFinite(lo)) {
    throw new SdenoTypeError(`Cannot choose ticks: lo must be a finite number, got ${quote(lo)}`);
  }
  if (typeof hi !== "number" || !Number.isFinite(hi)) {
    throw new SdenoTypeError(`Cannot choose ticks: hi must be a finite number, got ${quote(hi)}`);
  }
  if (lo > hi) {
    throw new SdenoRangeError(
      `Cannot choose ticks: lo must be ≤ hi, got ${quote(lo)} > ${quote(hi)}`,
    );
  }
  const count = options.count ?? 5;
  if (!Number.isFinite(count) || count < 1) {
    throw new SdenoRangeError(`Cannot choose ticks: count must be ≥ 1, got ${quote(count)}`);
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / power;
  // Nearest of 1, 2, 5, 10 on a log scale (the thresholds are geometric means).
  const nice = f < Math.SQRT2 ? 1 : f < Math.sqrt(10) ? 2 : f < Math.sqrt(50) ? 5 : 10;
  const step = nice * power;
  const k0 = Math.floor(lo / step + 1e-9);
  const k1 = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const round = (v: number) => (decimals > 0 && decimals < 100 ? Number(v.toFixed(decimals)) : v);
  const ticks: number[] = [];
  for (let k = k0; k <= k1; k++) ticks.push(round(k * step) + 0); // + 0 turns -0 into 0
  return { min: round(k0 * step) + 0, max: round(k1 * step) + 0, step, ticks };
}
