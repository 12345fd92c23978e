/**
 * The fused linear combination `out = Σ cᵢ·xᵢ (+ s·z)`, z fresh Philox
 * normals: the workhorse of every solver step. `lincomb.wgsl` is the GPU
 * kernel; {@linkcode lincombCpu} is its twin in float64.
 *
 * @module
 */

import LINCOMB from "./lincomb.wgsl" with { type: "text" };
import { COMMON_WGSL, PHILOX_WGSL } from "./wgsl.ts";
import { type GpuContext, joinWgsl, WORKGROUP_SIZE } from "./gpu_context.ts";
import { type DrawOptions, fillNormal, type Key } from "./philox.ts";

/** The full WGSL source of the lincomb kernel. */
export const LINCOMB_WGSL: string = joinWgsl(COMMON_WGSL, PHILOX_WGSL, LINCOMB);

/** Most terms one GPU pass takes (besides `out` itself). */
export const LINCOMB_MAX_TERMS = 4;

/** Noise added by lincomb: `scale` times the normals of `key` at `draw`. */
export interface LincombNoise {
  /** Multiplies the normals. */
  scale: number;
  /** The Philox key. */
  key: Key;
  /** Step, purpose and offset of `out[0]`. */
  draw: Required<DrawOptions>;
}

/**
 * CPU twin: `out[i] = Σ cₖ·xₖ[i] + scale·z[i]`. `out` may alias any input.
 *
 * @param out the destination
 * @param terms coefficient and array pairs, each as long as `out`
 * @param noise optional noise term
 * @param scratch optional buffer of at least `out.length` for the normals
 *
 * @example axpy in place
 * ```ts
 * import { lincombCpu } from "./lincomb.ts";
 * import assert from "node:assert/strict";
 * const x = new Float64Array([1, 2]);
 * const y = new Float64Array([10, 20]);
 * lincombCpu(x, [[2, x], [1, y]]);
 * assert.deepEqual([...x], [12, 24]);
 * ```
 */
export function lincombCpu(
  out: Float64Array,
  terms: ReadonlyArray<readonly [number, Float64Array]>,
  noise?: LincombNoise,
  scratch?: Float64Array,
): void {
  const n = out.length;
  let z: Float64Array | undefined;
  if (noise) {
    z = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
    fillNormal(z, noise.key, noise.draw);
    const s = noise.scale;
    for (let i = 0; i < n; i++) z[i] = s * z[i]!;
  }
  if (terms.length > LINCOMB_MAX_TERMS) {
    const acc = new Float64Array(n);
    for (const [c, x] of terms) for (let i = 0; i < n; i++) acc[i] = acc[i]! + c * x[i]!;
    if (z) { for (let i = 0; i < n; i++) acc[i] = acc[i]! + z[i]!; }
    out.set(acc);
    return;
  }
  // Fused single pass: each out[i] is written after its inputs at i are read.
  const [t0, t1, t2, t3] = terms;
  const c0 = t0?.[0] ?? 0, c1 = t1?.[0] ?? 0, c2 = t2?.[0] ?? 0, c3 = t3?.[0] ?? 0;
  const x0 = t0?.[1], x1 = t1?.[1], x2 = t2?.[1], x3 = t3?.[1];
  const zz = z ?? new Float64Array(0);
  const hasZ = z !== undefined;
  switch (terms.length) {
    case 0:
      for (let i = 0; i < n; i++) out[i] = hasZ ? zz[i]! : 0;
      break;
    case 1:
      for (let i = 0; i < n; i++) out[i] = c0 * x0![i]! + (hasZ ? zz[i]! : 0);
      break;
    case 2:
      for (let i = 0; i < n; i++) out[i] = c0 * x0![i]! + c1 * x1![i]! + (hasZ ? zz[i]! : 0);
      break;
    case 3:
      for (let i = 0; i < n; i++) {
        out[i] = c0 * x0![i]! + c1 * x1![i]! + c2 * x2![i]! + (hasZ ? zz[i]! : 0);
      }
      break;
    default:
      for (let i = 0; i < n; i++) {
        out[i] = c0 * x0![i]! + c1 * x1![i]! + c2 * x2![i]! + c3 * x3![i]! +
          (hasZ ? zz[i]! : 0);
      }
  }
}

/**
 * Encodes one GPU pass over `n` elements: `out = [selfCoef·out] + Σ cₖ·xₖ
 * (+ noise)` for at most four terms, none of them `out`.
 *
 * @param ctx the GPU context
 * @param out the destination buffer
 * @param n number of elements
 * @param selfCoef coefficient of out's old value, or undefined to ignore it
 * @param terms up to four (coefficient, buffer) pairs
 * @param noise optional noise term
 */
export async function launchLincomb(
  ctx: GpuContext,
  out: GPUBuffer,
  n: number,
  selfCoef: number | undefined,
  terms: ReadonlyArray<readonly [number, GPUBuffer]>,
  noise: LincombNoise | undefined,
): Promise<void> {
  if (n === 0) return;
  const pipeline = await ctx.pipeline(
    "lincomb",
    LINCOMB_WGSL,
    ["storage", "read", "read", "read", "read", "uniform"],
  );
  const raw = new ArrayBuffer(80);
  const u = new Uint32Array(raw);
  const f = new Float32Array(raw);
  u[0] = n;
  u[1] = terms.length;
  u[2] = (noise ? 1 : 0) | (selfCoef !== undefined ? 2 : 0);
  if (noise) {
    u[3] = noise.draw.offset % 4294967296;
    u[4] = Math.floor(noise.draw.offset / 4294967296);
    u[5] = noise.draw.step;
    u[6] = noise.draw.purpose;
    u[7] = noise.key.seed;
    u[8] = noise.key.stream;
    f[17] = noise.scale;
  }
  const buffers: GPUBuffer[] = [out];
  for (let k = 0; k < LINCOMB_MAX_TERMS; k++) {
    const term = terms[k];
    f[12 + k] = term ? term[0] : 0;
    buffers.push(term ? term[1] : ctx.dummy);
  }
  f[16] = selfCoef ?? 0;
  const shift = noise ? noise.draw.offset % 4 : 0;
  const blocks = Math.ceil((n + shift) / 4);
  ctx.dispatch(pipeline, buffers, raw, Math.ceil(blocks / WORKGROUP_SIZE));
}
