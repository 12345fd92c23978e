/**
 * Dense matrix products `out = [out +] α·op(A)·op(B) [+ bias]`, the work of
 * every fully connected layer (forward, and both products of its backward
 * pass). `matmul.wgsl` is the GPU kernel (a 4×4 block of the output per
 * thread); {@linkcode matmulCpu} is its twin in float64.
 *
 * Matrices are row-major runs of a flat array starting at an element offset,
 * so one flat array can hold every weight of a network. `op(A)` is `A` (m×k,
 * stored m×k) or `Aᵀ` (stored k×m); `op(B)` is `B` (k×n) or `Bᵀ` (stored
 * n×k). The bias, when given, is one row of n numbers added to every row.
 *
 * @module
 */

import MATMUL from "./matmul.wgsl" with { type: "text" };
import type { Backend, DeviceArray } from "./backend.ts";
import type { GpuContext } from "./gpu_context.ts";
import { checkFinite, checkInteger, quote, SdenoRangeError, SdenoTypeError } from "./errors.ts";
import { checkOwned } from "./_validate.ts";

/** The WGSL source of the matmul kernel. */
export const MATMUL_WGSL: string = MATMUL;

/** Rows and columns of one GPU workgroup's output tile (8×8 threads, 4×4 each). */
export const MATMUL_TILE = 32;

/** The shape and flags of one product. */
export interface MatmulShape {
  /** Rows of `op(A)` and of `out`. */
  m: number;
  /** Columns of `op(A)`, rows of `op(B)`: the summed index. */
  k: number;
  /** Columns of `op(B)` and of `out`. */
  n: number;
  /** Use `Aᵀ`, `A` being stored k×m (default false). */
  transA?: boolean;
  /** Use `Bᵀ`, `B` being stored n×k (default false). */
  transB?: boolean;
  /** Multiplies the product (default 1). */
  alpha?: number;
  /** Add to `out`'s old values instead of overwriting them (default false). */
  accumulate?: boolean;
  /** Element offset of A in its array (default 0). */
  aOffset?: number;
  /** Element offset of B in its array (default 0). */
  bOffset?: number;
  /** Element offset of out in its array (default 0). */
  outOffset?: number;
  /** Element offset of the bias in its array (default 0). */
  biasOffset?: number;
}

/** The operands of one product, on any storage `T`, with its shape. */
export interface MatmulSpec<T> extends MatmulShape {
  /** The left factor A. */
  a: T;
  /** The right factor B. */
  b: T;
  /** Optional row of n numbers added to every row of the result. */
  bias?: T | undefined;
}

/** What `Backend.matmul` takes besides `out`: operands on the backend, and the shape. */
export type MatmulOptions = MatmulSpec<DeviceArray>;

/** A checked shape with every default filled in. */
export type MatmulPlan = Required<MatmulShape> & { hasBias: boolean };

/**
 * Checks a product's operands and shape before any work, as both backends
 * do: every array belongs to `backend`, sizes are non-negative integers,
 * each operand's run lies inside its array, and `out` is none of the
 * operands.
 *
 * @param backend the backend that will run the product
 * @param out the destination
 * @param options the operands and shape
 * @returns the shape with defaults filled in
 * @throws {SdenoTypeError} for a foreign array, a non-integer size or offset, or aliasing
 * @throws {SdenoRangeError} for a run past the end of its array
 *
 * @example A run past the end is refused
 * ```ts
 * import { checkMatmul, CpuBackend } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const x = b.zeros(6), w = b.zeros(6), out = b.zeros(4);
 * assert.equal(checkMatmul(b, out, { a: x, b: w, m: 2, k: 3, n: 2 }).alpha, 1);
 * assert.throws(() => checkMatmul(b, out, { a: x, b: w, m: 2, k: 3, n: 3 }), RangeError);
 * ```
 */
export function checkMatmul(
  backend: Backend,
  out: DeviceArray,
  options: MatmulOptions,
): MatmulPlan {
  const what = "Cannot multiply matrices";
  if (typeof options !== "object" || options === null) {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  checkOwned(what, "out", backend, out);
  checkOwned(what, "a", backend, options.a);
  checkOwned(what, "b", backend, options.b);
  if (options.bias !== undefined) checkOwned(what, "bias", backend, options.bias);
  const m = checkInteger(what, "m", options.m);
  const k = checkInteger(what, "k", options.k);
  const n = checkInteger(what, "n", options.n);
  const int = (name: string, v: unknown) => checkInteger(what, name, v ?? 0);
  const plan: MatmulPlan = {
    m,
    k,
    n,
    transA: options.transA === true,
    transB: options.transB === true,
    alpha: checkFinite(what, "alpha", options.alpha ?? 1),
    accumulate: options.accumulate === true,
    aOffset: int("aOffset", options.aOffset),
    bOffset: int("bOffset", options.bOffset),
    outOffset: int("outOffset", options.outOffset),
    biasOffset: int("biasOffset", options.biasOffset),
    hasBias: options.bias !== undefined,
  };
  const run = (name: string, arr: DeviceArray, offset: number, size: number, shape: string) => {
    if (offset + size > arr.length) {
      throw new SdenoRangeError(
        `${what}: ${name} needs ${size} elements (${shape}) from offset ${offset}, but has length ${
          quote(arr.length)
        }`,
      );
    }
  };
  run("a", options.a, plan.aOffset, m * k, plan.transA ? `${k}×${m}` : `${m}×${k}`);
  run("b", options.b, plan.bOffset, k * n, plan.transB ? `${n}×${k}` : `${k}×${n}`);
  run("out", out, plan.outOffset, m * n, `${m}×${n}`);
  if (options.bias !== undefined) run("bias", options.bias, plan.biasOffset, n, `1×${n}`);
  for (const [name, arr] of [["a", options.a], ["b", options.b], ["bias", options.bias]] as const) {
    if (arr === out) {
      throw new SdenoTypeError(`${what}: out must not be the same array as ${name}`);
    }
  }
  return plan;
}

/**
 * CPU twin: `out = [out +] α·op(A)·op(B) [+ bias]` in float64 on the runs
 * the shape names. `out` must not overlap the operands.
 *
 * @param out the destination array
 * @param spec the operands and the shape (defaults as in {@linkcode MatmulShape})
 *
 * @example A 2×3 by 3×2 product with a bias
 * ```ts
 * import { matmulCpu } from "./matmul.ts";
 * import assert from "node:assert/strict";
 * const out = new Float64Array(4);
 * matmulCpu(out, {
 *   a: new Float64Array([1, 2, 3, 4, 5, 6]),
 *   b: new Float64Array([1, 0, 0, 1, 1, 1]),
 *   bias: new Float64Array([10, 20]),
 *   m: 2, k: 3, n: 2,
 * });
 * assert.deepEqual([...out], [14, 25, 20, 31]);
 * ```
 */
export function matmulCpu(out: Float64Array, spec: MatmulSpec<Float64Array>): void {
  const { a, b, bias, m, k, n } = spec;
  const alpha = spec.alpha ?? 1;
  const ao = spec.aOffset ?? 0, bo = spec.bOffset ?? 0, oo = spec.outOffset ?? 0;
  const co = spec.biasOffset ?? 0;
  const transA = spec.transA === true, transB = spec.transB === true;
  // start from the bias (and the old values when accumulating), then add α·op(A)·op(B)
  for (let i = 0; i < m; i++) {
    const row = oo + i * n;
    if (spec.accumulate) {
      if (bias) { for (let j = 0; j < n; j++) out[row + j] = out[row + j]! + bias[co + j]!; }
    } else if (bias) {
      for (let j = 0; j < n; j++) out[row + j] = bias[co + j]!;
    } else {
      out.fill(0, row, row + n);
    }
  }
  if (k === 0) return;
  if (transB) {
    _matmulDots(out, a, b, { m, k, n, alpha, ao, bo, oo, transA });
    return;
  }
  if (transA) {
    // out[i, :] += α a[q·m + i] b[q, :], four q at a time: both factors are read in order and
    // each load and store of out carries four products
    let q = 0;
    for (; q + 3 < k; q += 4) {
      const a0 = ao + q * m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m;
      const b0 = bo + q * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
      for (let i = 0; i < m; i++) {
        const c0 = alpha * a[a0 + i]!, c1 = alpha * a[a1 + i]!;
        const c2 = alpha * a[a2 + i]!, c3 = alpha * a[a3 + i]!;
        const row = oo + i * n;
        for (let j = 0; j < n; j++) {
          out[row + j] = out[row + j]! + c0 * b[b0 + j]! + c1 * b[b1 + j]! + c2 * b[b2 + j]! +
            c3 * b[b3 + j]!;
        }
      }
    }
    for (; q < k; q++) {
      const a0 = ao + q * m, b0 = bo + q * n;
      for (let i = 0; i < m; i++) {
        const c0 = alpha * a[a0 + i]!;
        const row = oo + i * n;
        for (let j = 0; j < n; j++) out[row + j] = out[row + j]! + c0 * b[b0 + j]!;
      }
    }
    return;
  }
  // out[i, :] += α a[i, q] b[q, :], four rows by two q at a time, so each value of B loaded
  // serves four rows and each store of out carries two products
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = oo + i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    const a0 = ao + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    let q = 0;
    for (; q + 1 < k; q += 2) {
      const c00 = alpha * a[a0 + q]!, c01 = alpha * a[a0 + q + 1]!;
      const c10 = alpha * a[a1 + q]!, c11 = alpha * a[a1 + q + 1]!;
      const c20 = alpha * a[a2 + q]!, c21 = alpha * a[a2 + q + 1]!;
      const c30 = alpha * a[a3 + q]!, c31 = alpha * a[a3 + q + 1]!;
      const b0 = bo + q * n, b1 = b0 + n;
      for (let j = 0; j < n; j++) {
        const u = b[b0 + j]!, v = b[b1 + j]!;
        out[r0 + j] = out[r0 + j]! + c00 * u + c01 * v;
        out[r1 + j] = out[r1 + j]! + c10 * u + c11 * v;
        out[r2 + j] = out[r2 + j]! + c20 * u + c21 * v;
        out[r3 + j] = out[r3 + j]! + c30 * u + c31 * v;
      }
    }
    if (q < k) {
      const c0 = alpha * a[a0 + q]!, c1 = alpha * a[a1 + q]!;
      const c2 = alpha * a[a2 + q]!, c3 = alpha * a[a3 + q]!;
      const b0 = bo + q * n;
      for (let j = 0; j < n; j++) {
        const u = b[b0 + j]!;
        out[r0 + j] = out[r0 + j]! + c0 * u;
        out[r1 + j] = out[r1 + j]! + c1 * u;
        out[r2 + j] = out[r2 + j]! + c2 * u;
        out[r3 + j] = out[r3 + j]! + c3 * u;
      }
    }
  }
  // the last rows one at a time, two q at a time like the blocks above
  for (; i < m; i++) {
    const row = oo + i * n, ar = ao + i * k;
    let q = 0;
    for (; q + 1 < k; q += 2) {
      const c0 = alpha * a[ar + q]!, c1 = alpha * a[ar + q + 1]!;
      const b0 = bo + q * n, b1 = b0 + n;
      for (let j = 0; j < n; j++) out[row + j] = out[row + j]! + c0 * b[b0 + j]! + c1 * b[b1 + j]!;
    }
    if (q < k) {
      const c = alpha * a[ar + q]!;
      const b0 = bo + q * n;
      for (let j = 0; j < n; j++) out[row + j] = out[row + j]! + c * b[b0 + j]!;
    }
  }
}

// out[i, j] += α Σ_q A(i, q) b[j·k + q] (op(B) = Bᵀ): dot products along q, a 2×2 block of
// out at a time so each loaded value serves two products
function _matmulDots(
  out: Float64Array,
  a: Float64Array,
  b: Float64Array,
  s: {
    m: number;
    k: number;
    n: number;
    alpha: number;
    ao: number;
    bo: number;
    oo: number;
    transA: boolean;
  },
): void {
  const { m, k, n, alpha, ao, bo, oo } = s;
  // A(i, q) = a[ai + q·as]
  const as = s.transA ? m : 1, ai = s.transA ? 1 : k;
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const x0 = ao + i * ai, x1 = x0 + ai;
    const r0 = oo + i * n, r1 = r0 + n;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const y0 = bo + j * k, y1 = y0 + k;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let q = 0; q < k; q++) {
        const u0 = a[x0 + q * as]!, u1 = a[x1 + q * as]!, v0 = b[y0 + q]!, v1 = b[y1 + q]!;
        s00 += u0 * v0;
        s01 += u0 * v1;
        s10 += u1 * v0;
        s11 += u1 * v1;
      }
      out[r0 + j] = out[r0 + j]! + alpha * s00;
      out[r0 + j + 1] = out[r0 + j + 1]! + alpha * s01;
      out[r1 + j] = out[r1 + j]! + alpha * s10;
      out[r1 + j + 1] = out[r1 + j + 1]! + alpha * s11;
    }
    for (; j < n; j++) {
      const y0 = bo + j * k;
      let s0 = 0, s1 = 0;
      for (let q = 0; q < k; q++) {
        const v = b[y0 + q]!;
        s0 += a[x0 + q * as]! * v;
        s1 += a[x1 + q * as]! * v;
      }
      out[r0 + j] = out[r0 + j]! + alpha * s0;
      out[r1 + j] = out[r1 + j]! + alpha * s1;
    }
  }
  for (; i < m; i++) {
    const x0 = ao + i * ai, r0 = oo + i * n;
    for (let j = 0; j < n; j++) {
      const y0 = bo + j * k;
      let s0 = 0;
      for (let q = 0; q < k; q++) s0 += a[x0 + q * as]! * b[y0 + q]!;
      out[r0 + j] = out[r0 + j]! + alpha * s0;
    }
  }
}

/**
 * Encodes the product on the GPU: one workgroup per 32×32 tile of `out`.
 *
 * @param ctx the GPU context
 * @param out the destination buffer
 * @param spec the operand buffers and the checked shape
 * @throws {SdenoRangeError} when m or n needs more workgroups than one grid dimension allows
 */
export async function launchMatmul(
  ctx: GpuContext,
  out: GPUBuffer,
  spec: MatmulSpec<GPUBuffer>,
): Promise<void> {
  const { m, k, n } = spec;
  if (m === 0 || n === 0) return;
  const gx = Math.ceil(n / MATMUL_TILE), gy = Math.ceil(m / MATMUL_TILE);
  const limit = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  if (gx > limit || gy > limit) {
    throw new SdenoRangeError(
      `Cannot multiply matrices: m and n must be at most ${
        limit * MATMUL_TILE
      } on this device, got m = ${quote(m)}, n = ${quote(n)}`,
    );
  }
  const pipeline = await ctx.pipeline(
    "matmul",
    MATMUL_WGSL,
    ["storage", "read", "read", "read", "uniform"],
  );
  const raw = new ArrayBuffer(48);
  const u = new Uint32Array(raw);
  const f = new Float32Array(raw);
  u[0] = m;
  u[1] = n;
  u[2] = k;
  u[3] = (spec.transA ? 1 : 0) | (spec.transB ? 2 : 0) | (spec.accumulate ? 4 : 0) |
    (spec.bias ? 8 : 0);
  u[4] = spec.aOffset ?? 0;
  u[5] = spec.bOffset ?? 0;
  u[6] = spec.outOffset ?? 0;
  u[7] = spec.biasOffset ?? 0;
  f[8] = spec.alpha ?? 1;
  ctx.dispatch(pipeline, [out, spec.a, spec.b, spec.bias ?? ctx.dummy], raw, [gx, gy]);
}
