/**
 * A sparse linear map on the rows of a batch, as a WGSL kernel
 * (`operators_sparse.wgsl`): the webgpu path of the structured measurement
 * operators of `models/operators/` (masks, average pooling, separable blur and
 * their transposes). Its float64 twin is the loop in
 * `models/operators/_sparse.ts`.
 *
 * @module
 */

import SPARSE from "./operators_sparse.wgsl" with { type: "text" };
import { COMMON_WGSL } from "./wgsl.ts";
import { type GpuContext, joinWgsl, WORKGROUP_SIZE } from "./gpu_context.ts";
import { GpuArray, type WebGpuBackend } from "./webgpu_backend.ts";

/** The full WGSL source of the sparse-map kernel. */
export const OPERATORS_SPARSE_WGSL: string = joinWgsl(COMMON_WGSL, SPARSE);

/** A sparse outDim × inDim matrix in compressed-row form (see the module doc). */
export interface SparseMatrixRows {
  /** Input row length. */
  readonly inDim: number;
  /** Output row length. */
  readonly outDim: number;
  /** outDim + 1 row pointers into `idx` and `val`. */
  readonly ptr: Uint32Array;
  /** Column indices. */
  readonly idx: Uint32Array;
  /** Values. */
  readonly val: Float64Array;
}

const uploaded = new WeakMap<SparseMatrixRows, WeakMap<GpuContext, [GPUBuffer, GPUBuffer]>>();

function deviceCopy(ctx: GpuContext, m: SparseMatrixRows): [GPUBuffer, GPUBuffer] {
  let perCtx = uploaded.get(m);
  if (!perCtx) uploaded.set(m, perCtx = new WeakMap());
  const hit = perCtx.get(ctx);
  if (hit) return hit;
  const structure = new Uint32Array(m.ptr.length + m.idx.length);
  structure.set(m.ptr);
  structure.set(m.idx, m.ptr.length);
  const s = ctx.acquire(4 * structure.length), v = ctx.acquire(4 * Math.max(1, m.val.length));
  ctx.write(s, 0, structure);
  if (m.val.length > 0) ctx.write(v, 0, Float32Array.from(m.val));
  const pair: [GPUBuffer, GPUBuffer] = [s, v];
  perCtx.set(ctx, pair);
  return pair;
}

/**
 * `out[r] = M x[r]` for every row on the webgpu backend. Arrays that fit one
 * chunk run the kernel (through a scratch array when `out` is `x`); larger
 * ones, whose chunks need not split at row boundaries, go through the host.
 *
 * @param backend the webgpu backend owning both arrays
 * @param m the sparse map
 * @param x the input rows (n × inDim)
 * @param out the output rows (n × outDim)
 *
 * @example Gather elements 2 and 0 of each row (skipped without an adapter)
 * ```ts
 * import { applySparseGpu } from "./operators_sparse.ts";
 * import { WebGpuBackend } from "./webgpu_backend.ts";
 * import assert from "node:assert/strict";
 * const gpu = await WebGpuBackend.create();
 * if (gpu) {
 *   const m = { inDim: 3, outDim: 2, ptr: new Uint32Array([0, 1, 2]), idx: new Uint32Array([2, 0]),
 *     val: new Float64Array([1, 1]) };
 *   const y = gpu.zeros(2);
 *   await applySparseGpu(gpu, m, gpu.upload([5, 6, 7]), y);
 *   assert.deepEqual([...await gpu.download(y)], [7, 5]);
 *   gpu.destroy();
 * }
 * ```
 */
export async function applySparseGpu(
  backend: WebGpuBackend,
  m: SparseMatrixRows,
  x: GpuArray,
  out: GpuArray,
): Promise<void> {
  const rows = x.length / m.inDim;
  if (rows === 0) return;
  if (x.chunks.length !== 1 || out.chunks.length !== 1) {
    const host = await backend.download(x);
    const res = new Float64Array(out.length);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < m.outDim; i++) {
        let acc = 0;
        for (let k = m.ptr[i]!; k < m.ptr[i + 1]!; k++) {
          acc += m.val[k]! * host[r * m.inDim + m.idx[k]!]!;
        }
        res[r * m.outDim + i] = acc;
      }
    }
    await backend.write(out, res);
    return;
  }
  const ctx = backend.ctx;
  const pipeline = await ctx.pipeline("operators_sparse", OPERATORS_SPARSE_WGSL, [
    "storage",
    "read",
    "read",
    "read",
    "uniform",
  ]);
  const [s, v] = deviceCopy(ctx, m);
  const dst = x === out ? backend.zeros(out.length) : out;
  const raw = new ArrayBuffer(16);
  const u = new Uint32Array(raw);
  u[0] = rows;
  u[1] = m.inDim;
  u[2] = m.outDim;
  ctx.dispatch(
    pipeline,
    [dst.chunks[0]!, x.chunks[0]!, s, v],
    raw,
    Math.ceil(rows * m.outDim / WORKGROUP_SIZE),
  );
  if (dst !== out) {
    await backend.lincomb(out, [[1, dst]]);
    backend.release(dst);
  }
}
