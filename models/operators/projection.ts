/**
 * Random Gaussian projections for compressed sensing: `A` is outDim × inDim
 * with independent entries `N(0, 1/m)` (m = outDim), so `E[AᵀA] = I`
 * (Candès & Tao, "Near-optimal signal recovery from random projections",
 * IEEE Trans. Inf. Theory 52 (2006)). The entries are keyed Philox normals
 * (purpose `measurement`, step 2³² − 15, element `i·inDim + j`), so the matrix
 * depends only on the key and the shape; underneath it is a
 * {@linkcode denseOperator} with its SVD and pseudo-inverse.
 *
 * @module
 */

import { checkInteger } from "../../kernels/errors.ts";
import { fillNormal, type Key } from "../../kernels/philox.ts";
import { OPERATOR_PURPOSE, PROJECTION_STEP } from "./_draws.ts";
import { type DenseOperator, denseOperator } from "./dense.ts";

/**
 * A random Gaussian projection `A ~ N(0, 1/outDim)` entrywise.
 *
 * @param inDim d_x ≥ 1
 * @param outDim m = d_y ≥ 1
 * @param key the Philox key
 * @returns the dense operator (its matrix, SVD and pseudo-inverse)
 * @throws {SdenoTypeError} when a size is not an integer
 * @throws {SdenoRangeError} when a size is below 1
 *
 * @example The same key gives the same matrix
 * ```ts
 * import { gaussianProjection } from "./projection.ts";
 * import assert from "node:assert/strict";
 * const a = gaussianProjection(16, 4, { seed: 5, stream: 0 });
 * assert.equal(a.outDim, 4);
 * assert.deepEqual(a.matrix, gaussianProjection(16, 4, { seed: 5, stream: 0 }).matrix);
 * ```
 */
export function gaussianProjection(inDim: number, outDim: number, key: Key): DenseOperator {
  const what = "gaussianProjection";
  checkInteger(what, "inDim", inDim, 1);
  checkInteger(what, "outDim", outDim, 1);
  const data = new Float64Array(inDim * outDim);
  fillNormal(data, key, { step: PROJECTION_STEP, purpose: OPERATOR_PURPOSE });
  const scale = 1 / Math.sqrt(outDim);
  for (let e = 0; e < data.length; e++) data[e] = data[e]! * scale;
  return denseOperator({ data, rows: outDim, cols: inDim }, {
    name: `gaussian-projection ${outDim}×${inDim}`,
  });
}
