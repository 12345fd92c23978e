/**
 * k× average-pool downsampling of H × W images (super-resolution; the refs'
 * `avgpool2` at k = 2, ../shared/refs/inverse §3):
 * `y[c, i, j] = (1/k²) Σ_{a,b<k} x[c, k i + a, k j + b]`, images row-major
 * with channels first (`[C, H, W]`).
 *
 * The rows of A are disjoint block indicators of norm 1/k, so the SVD is
 * exact and implicit: every singular value is 1/k, `U = I`, and the first
 * columns of `V` are the normalised block indicators (in output order),
 * completed within each block by the k² − 1 Helmert vectors
 * `h_j = (1, …, 1, −j, 0, …)/√(j(j+1))` (j ones), j = 1 … k² − 1, so `Vᵀx`
 * lists the scaled block sums and then each block's within-block contrasts.
 * The pseudo-inverse copies each observation to its block
 * (nearest-neighbour upsampling). On the cpu backend the image work goes
 * through npm:ndarray views (models/_ndarray.ts); on webgpu through the
 * sparse-row kernel.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import { checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { avgPool, avgPoolTranspose } from "../_ndarray.ts";
import type { LinearOperator, OperatorSvd } from "./operator.ts";
import {
  applySparse,
  applyStructured,
  sparseFromLists,
  type SparseRows,
  sparseTranspose,
} from "./_sparse.ts";

/** An average-pooling operator, with its exact SVD and pseudo-inverse. */
export interface AvgPoolOperator extends LinearOperator {
  /** Always `"avgpool"`. */
  readonly kind: "avgpool";
  /** The pooling factor k. */
  readonly factor: number;
  /** The input image shape `[C, H, W]`. */
  readonly shape: readonly [number, number, number];
  /** s = 1/k (outDim of them), U = I, V block indicators and Helmert contrasts. */
  readonly svd: OperatorSvd;
  /** Nearest-neighbour upsampling: every pixel of a block gets its observation. */
  pseudoInverse(y: DeviceArray, out: DeviceArray): Promise<void>;
}

/** Options of {@linkcode avgPoolOperator}. */
export interface AvgPoolOptions {
  /** Channels C ≥ 1 (default 1), layout `[C, H, W]`. */
  channels?: number;
  /** Name for messages (default `"avgpool<k> <H>×<W>"`). */
  name?: string;
}

/**
 * The k× average-pool operator on H × W images.
 *
 * @param height H, a multiple of k
 * @param width W, a multiple of k
 * @param factor k ≥ 1
 * @param options channels and name
 * @returns the operator
 * @throws {SdenoRangeError} when a size is not a positive integer or H, W are not multiples of k
 *
 * @example 2× pooling of a 2 × 4 image, and the pseudo-inverse
 * ```ts
 * import { avgPoolOperator } from "./avgpool.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const a = avgPoolOperator(2, 4, 2);
 * const y = b.zeros(2), up = b.zeros(8);
 * await a.apply(b.upload([1, 2, 5, 6, 3, 4, 7, 8]), y);
 * assert.deepEqual([...await b.download(y)], [2.5, 6.5]);
 * await a.pseudoInverse(y, up);
 * assert.deepEqual([...await b.download(up)], [2.5, 2.5, 6.5, 6.5, 2.5, 2.5, 6.5, 6.5]);
 * assert.deepEqual([...a.svd.singularValues], [0.5, 0.5]);
 * ```
 */
export function avgPoolOperator(
  height: number,
  width: number,
  factor: number,
  options: AvgPoolOptions = {},
): AvgPoolOperator {
  const what = "avgPoolOperator";
  checkInteger(what, "height", height, 1);
  checkInteger(what, "width", width, 1);
  checkInteger(what, "factor", factor, 1);
  const channels = options.channels ?? 1;
  checkInteger(what, "channels", channels, 1);
  const k = factor;
  if (height % k !== 0 || width % k !== 0) {
    throw new SdenoRangeError(
      `${what}: height and width must be multiples of the factor ${k}, got ${quote(height)} × ${
        quote(width)
      }`,
    );
  }
  const ho = height / k, wo = width / k, kk = k * k;
  const d = channels * height * width, m = channels * ho * wo;
  const name = options.name ?? `avgpool${k} ${height}×${width}`;
  // the pixels of block b (channel c, block row i, block col j), in row-major order within it
  const blockPixels = (b: number): number[] => {
    const c = Math.floor(b / (ho * wo)), i = Math.floor(b / wo) % ho, j = b % wo;
    const px: number[] = [];
    for (let a = 0; a < k; a++) {
      for (let q = 0; q < k; q++) px.push(c * height * width + (k * i + a) * width + k * j + q);
    }
    return px;
  };
  let maps:
    | { a: SparseRows; at: SparseRows; pinv: SparseRows; vt: SparseRows; v: SparseRows }
    | undefined;
  const sparse = () => {
    if (maps !== undefined) return maps;
    const aRows: [number, number][][] = [], pinvCols: [number, number][][] = [];
    const vtRows: [number, number][][] = new Array(d);
    for (let b = 0; b < m; b++) {
      const px = blockPixels(b);
      aRows.push(px.map((p) => [p, 1 / kk]));
      pinvCols.push(px.map((p) => [p, 1]));
      vtRows[b] = px.map((p) => [p, 1 / k]);
      for (let j = 1; j < kk; j++) {
        const h = 1 / Math.sqrt(j * (j + 1));
        const row: [number, number][] = [];
        for (let q = 0; q < j; q++) row.push([px[q]!, h]);
        row.push([px[j]!, -j * h]);
        vtRows[m + b * (kk - 1) + j - 1] = row;
      }
    }
    const a = sparseFromLists(d, aRows);
    const vt = sparseFromLists(d, vtRows);
    return (maps = {
      a,
      at: sparseTranspose(a),
      pinv: sparseTranspose(sparseFromLists(d, pinvCols)),
      vt,
      v: sparseTranspose(vt),
    });
  };
  const identity: SparseRows = {
    inDim: m,
    outDim: m,
    ptr: Uint32Array.from({ length: m + 1 }, (_, i) => i),
    idx: Uint32Array.from({ length: m }, (_, i) => i),
    val: new Float64Array(m).fill(1),
  };
  const planes = channels;
  const svd: OperatorSvd = {
    singularValues: new Float64Array(m).fill(1 / k),
    applyVt: (x, out) => applySparse(`${name}: Vᵀx`, sparse().vt, x, out),
    applyV: (c, out) => applySparse(`${name}: Vc`, sparse().v, c, out),
    applyUt: (y, out) => applySparse(`${name}: Uᵀy`, identity, y, out),
    applyU: (c, out) => applySparse(`${name}: Uc`, identity, c, out),
  };
  const forward = (what: string) => (x: DeviceArray, out: DeviceArray) =>
    applyStructured(
      `${name}: ${what}`,
      x,
      d,
      out,
      m,
      (h, o, n) => avgPool(h, o, n * planes, height, width, k),
      () => [sparse().a],
    );
  const backward =
    (what: string, scale: number, pick: () => SparseRows) => (y: DeviceArray, out: DeviceArray) =>
      applyStructured(
        `${name}: ${what}`,
        y,
        m,
        out,
        d,
        (h, o, n) => avgPoolTranspose(h, o, n * planes, height, width, k, scale),
        () => [pick()],
      );
  const transpose = backward("Aᵀv", 1 / kk, () => sparse().at);
  return {
    name,
    kind: "avgpool",
    factor: k,
    shape: Object.freeze([channels, height, width]) as readonly [number, number, number],
    inDim: d,
    outDim: m,
    linear: true,
    svd,
    apply: forward("apply"),
    vjp: (_x, v, out) => transpose(v, out),
    applyTranspose: transpose,
    pseudoInverse: backward("A⁺y", 1, () => sparse().pinv),
  };
}
