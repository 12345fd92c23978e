/**
 * Time grids of the discrete reverse samplers: strictly decreasing times
 * from the start (≤ tMax) to the end (≥ 0). Step k goes from `grid[k]` (the
 * left, noisier end, where the model and the rates are evaluated) to `grid[k+1]`.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/**
 * `steps + 1` equally spaced times from tMax down to tMin: `t_k = tMax − k·(tMax − tMin)/steps`.
 *
 * @param steps the number of steps, ≥ 1
 * @param tMax the start (default 1)
 * @param tMin the end (default 0)
 * @returns the grid
 * @throws {SdenoRangeError} for steps < 1 or tMin ≥ tMax
 *
 * @example
 * ```ts
 * import { uniformDiscreteGrid } from "./discrete_time_grid.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...uniformDiscreteGrid(4)], [1, 0.75, 0.5, 0.25, 0]);
 * assert.throws(() => uniformDiscreteGrid(0), /steps/);
 * ```
 */
export function uniformDiscreteGrid(steps: number, tMax = 1, tMin = 0): Float64Array {
  const what = "Cannot build the discrete time grid";
  checkInteger(what, "steps", steps, 1);
  if (!(tMin >= 0 && tMax > tMin && Number.isFinite(tMax))) {
    throw new SdenoRangeError(
      `${what}: need 0 <= tMin < tMax, got tMin = ${quote(tMin)}, tMax = ${quote(tMax)}`,
    );
  }
  const g = new Float64Array(steps + 1);
  const h = (tMax - tMin) / steps;
  for (let k = 0; k <= steps; k++) g[k] = tMax - k * h;
  g[steps] = tMin;
  return g;
}

/**
 * Checks a user's grid: at least two finite times, strictly decreasing,
 * within `[0, tMax]`.
 *
 * @param what the error prefix
 * @param grid the times
 * @param tMax the schedule's end
 * @returns the grid as a Float64Array
 * @throws {SdenoTypeError} when it is not an array of numbers
 * @throws {SdenoRangeError} naming the first bad entry
 *
 * @example
 * ```ts
 * import { checkDiscreteGrid } from "./discrete_time_grid.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => checkDiscreteGrid("Cannot sample", [1, 0.5, 0.5, 0], 1), /grid\[2\]/);
 * ```
 */
export function checkDiscreteGrid(
  what: string,
  grid: ArrayLike<number>,
  tMax: number,
): Float64Array {
  if (grid === null || typeof grid !== "object" || typeof grid.length !== "number") {
    throw new SdenoTypeError(`${what}: grid must be an array of times, got ${quote(grid)}`);
  }
  if (grid.length < 2) {
    throw new SdenoRangeError(
      `${what}: grid must have at least 2 times (1 step), got ${grid.length}`,
    );
  }
  const g = Float64Array.from(grid);
  for (let k = 0; k < g.length; k++) {
    const t = g[k]!;
    if (!Number.isFinite(t) || t < 0 || t > tMax) {
      throw new SdenoRangeError(
        `${what}: grid[${k}] must be a time in [0, ${tMax}], got ${quote(grid[k])}`,
      );
    }
    if (k > 0 && !(t < g[k - 1]!)) {
      throw new SdenoRangeError(
        `${what}: grid must be strictly decreasing, but grid[${k}] = ${t} >= grid[${k - 1}] = ${
          g[k - 1]
        }`,
      );
    }
  }
  return g;
}
