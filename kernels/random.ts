/**
 * GPU fills with Philox draws: raw words, uniforms or normals. The CPU twins
 * are {@linkcode fillBits}, {@linkcode fillUniform} and {@linkcode fillNormal}
 * in `philox.ts`; both produce the same draw for the same flat element.
 *
 * @module
 */

import RANDOM from "./random.wgsl" with { type: "text" };
import { COMMON_WGSL, PHILOX_WGSL } from "./wgsl.ts";
import { type GpuContext, joinWgsl, WORKGROUP_SIZE } from "./gpu_context.ts";
import type { DrawOptions, Key } from "./philox.ts";

export { fillBits, fillNormal, fillUniform } from "./philox.ts";

/** The full WGSL source of the fill kernel. */
export const RANDOM_WGSL: string = joinWgsl(COMMON_WGSL, PHILOX_WGSL, RANDOM);

/** What the fill kernel writes. */
export type RandomMode = "bits" | "uniform" | "normal";

const MODE: Record<RandomMode, number> = { bits: 0, uniform: 1, normal: 2 };

/**
 * Encodes a fill of `n` elements of `out` (u32 words or f32) with the draws
 * for flat elements `offset … offset+n−1`.
 *
 * @param ctx the GPU context
 * @param out the destination buffer
 * @param n number of elements
 * @param key the Philox key
 * @param draw step, purpose and offset (already checked)
 * @param mode raw words, uniforms or normals
 */
export async function launchRandom(
  ctx: GpuContext,
  out: GPUBuffer,
  n: number,
  key: Key,
  draw: Required<DrawOptions>,
  mode: RandomMode,
): Promise<void> {
  if (n === 0) return;
  const pipeline = await ctx.pipeline("random", RANDOM_WGSL, ["storage", "uniform"]);
  const u = new Uint32Array(8);
  u[0] = n;
  u[1] = draw.offset % 4294967296;
  u[2] = Math.floor(draw.offset / 4294967296);
  u[3] = draw.step;
  u[4] = draw.purpose;
  u[5] = key.seed;
  u[6] = key.stream;
  u[7] = MODE[mode];
  const blocks = Math.ceil((n + (draw.offset % 4)) / 4);
  ctx.dispatch(pipeline, [out], u.buffer, Math.ceil(blocks / WORKGROUP_SIZE));
}
