/**
 * Column sums and sums of squares of a row-major n×d array, the raw material
 * of means and covariances. The GPU kernel (`column_stats.wgsl`) leaves
 * per-slice partials in f32; the host adds them in float64.
 *
 * @module
 */

import COLUMN_STATS from "./column_stats.wgsl" with { type: "text" };
import type { GpuContext } from "./gpu_context.ts";

/** The WGSL source of the column-statistics kernel. */
export const COLUMN_STATS_WGSL: string = COLUMN_STATS;

/**
 * CPU twin: adds the column sums and squares of `x` (whose first element is
 * flat element `offset` of an array with `cols` columns) into `sum`, `sumSq`.
 *
 * @param x a run of elements
 * @param cols number of columns
 * @param offset flat index of `x[0]`
 * @param sum accumulates Σ x per column
 * @param sumSq accumulates Σ x² per column
 *
 * @example
 * ```ts
 * import { columnStatsCpu } from "./column_stats.ts";
 * import assert from "node:assert/strict";
 * const sum = new Float64Array(2), sq = new Float64Array(2);
 * columnStatsCpu(new Float64Array([1, 2, 3, 4]), 2, 0, sum, sq);
 * assert.deepEqual([...sum, ...sq], [4, 6, 10, 20]);
 * ```
 */
export function columnStatsCpu(
  x: ArrayLike<number>,
  cols: number,
  offset: number,
  sum: Float64Array,
  sumSq: Float64Array,
): void {
  let j = offset % cols;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sum[j] = sum[j]! + v;
    sumSq[j] = sumSq[j]! + v * v;
    if (++j === cols) j = 0;
  }
}

/** Number of partial slices per column: enough threads, bounded memory. */
export function columnSlices(cols: number): number {
  return Math.max(1, Math.min(4096, Math.floor(2 ** 21 / cols)));
}

/**
 * Encodes the kernel over one chunk, accumulating into `partial`
 * (2·cols·slices f32: sums then squares, slice-minor).
 *
 * @param ctx the GPU context
 * @param partial the partial-sum buffer
 * @param x the chunk
 * @param offset flat index of the chunk's first element
 * @param length elements in the chunk
 * @param cols number of columns
 * @param first whether this chunk initialises the partials
 */
export async function launchColumnStats(
  ctx: GpuContext,
  partial: GPUBuffer,
  x: GPUBuffer,
  offset: number,
  length: number,
  cols: number,
  first: boolean,
): Promise<void> {
  const pipeline = await ctx.pipeline("column_stats", COLUMN_STATS_WGSL, [
    "storage",
    "read",
    "uniform",
  ]);
  const slices = columnSlices(cols);
  const u = new Uint32Array(8);
  u[0] = offset;
  u[1] = length;
  u[2] = cols;
  u[3] = slices;
  u[4] = first ? 1 : 0;
  ctx.dispatch(pipeline, [partial, x], u.buffer, [Math.ceil(slices / 64), cols]);
}

/**
 * Adds the downloaded partials into float64 column sums.
 *
 * @param partial the partials read back
 * @param cols number of columns
 * @returns the column sums and sums of squares
 */
export function finishColumnStats(
  partial: Float32Array,
  cols: number,
): { sum: Float64Array; sumSq: Float64Array } {
  const slices = columnSlices(cols);
  const sum = new Float64Array(cols);
  const sumSq = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let a = 0, b = 0;
    for (let s = 0; s < slices; s++) {
      a += partial[j * slices + s]!;
      b += partial[(cols + j) * slices + s]!;
    }
    sum[j] = a;
    sumSq[j] = b;
  }
  return { sum, sumSq };
}
