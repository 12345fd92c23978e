/**
 * Elementwise maps defined once as a WGSL snippet and a TypeScript twin:
 * `out[i] = f(x₀[i], …, x₃[i]; params, i)`.
 *
 * @module
 */

import MAP from "./map.wgsl" with { type: "text" };
import { COMMON_WGSL } from "./wgsl.ts";
import { type GpuContext, joinWgsl, WORKGROUP_SIZE } from "./gpu_context.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "./errors.ts";
import { fnv1a32Hex } from "./hash.ts";

/** The CPU twin of a map: inputs at one index, the params, and the global index. */
export type MapFunction = (
  x0: number,
  x1: number,
  x2: number,
  x3: number,
  params: Float64Array,
  i: number,
) => number;

/** A map kernel, made by {@linkcode defineMap}. */
export interface MapKernel {
  /** Name, unique per definition; used as the pipeline cache key with the source. */
  readonly name: string;
  /** Number of inputs, 0 to 4. */
  readonly arity: number;
  /**
   * WGSL body of `fn sd_user(x0: f32, x1: f32, x2: f32, x3: f32, i: u32) -> f32`;
   * parameters are `params[k]` (f32). It must `return` the value.
   */
  readonly wgsl: string;
  /** The TypeScript twin, with the same meaning in float64. */
  readonly cpu: MapFunction;
  /** The full WGSL module source. */
  readonly source: string;
  /** FNV-1a hash of the source: the pipeline cache tells redefinitions apart. */
  readonly hash: string;
}

/** What {@linkcode defineMap} takes. */
export interface MapDefinition {
  /** A name (letters, digits, underscore). */
  name: string;
  /** Number of inputs, 0 to 4. */
  arity: number;
  /** WGSL function body; see {@linkcode MapKernel.wgsl}. */
  wgsl: string;
  /** The TypeScript twin. */
  cpu: MapFunction;
}

/**
 * Defines an elementwise map from a WGSL snippet and its TypeScript twin.
 *
 * @param definition name, arity, WGSL body and CPU function
 * @returns the kernel, to pass to `backend.map`
 * @throws {SdenoTypeError} when the name or code is not text
 * @throws {SdenoRangeError} when the arity is outside 0..4
 *
 * @example An affine map y = a·x + b on both backends
 * ```ts
 * import { defineMap } from "./map.ts";
 * import assert from "node:assert/strict";
 * const affine = defineMap({
 *   name: "affine",
 *   arity: 1,
 *   wgsl: "return params[0] * x0 + params[1];",
 *   cpu: (x0, _x1, _x2, _x3, p) => p[0]! * x0 + p[1]!,
 * });
 * assert.equal(affine.cpu(2, 0, 0, 0, new Float64Array([3, 1]), 0), 7);
 * ```
 */
export function defineMap(definition: MapDefinition): MapKernel {
  const what = "Cannot define a map kernel";
  const { name, arity, wgsl, cpu } = definition;
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new SdenoTypeError(`${what}: name must be letters, digits and _, got ${quote(name)}`);
  }
  if (!Number.isInteger(arity) || arity < 0 || arity > 4) {
    throw new SdenoRangeError(`${what}: arity must be an integer in [0, 4], got ${quote(arity)}`);
  }
  if (typeof wgsl !== "string") {
    throw new SdenoTypeError(`${what}: wgsl must be a string, got ${quote(wgsl)}`);
  }
  if (typeof cpu !== "function") {
    throw new SdenoTypeError(`${what}: cpu must be a function, got ${quote(cpu)}`);
  }
  const inputs = Array.from(
    { length: arity },
    (_, k) => `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<f32>;`,
  ).join("\n");
  const args = Array.from({ length: 4 }, (_, k) => k < arity ? `in${k}[k]` : "0.0").join(", ");
  const source = joinWgsl(
    COMMON_WGSL,
    MAP.replace("{{INPUTS}}", inputs).replace("{{USER}}", wgsl).replace("{{ARGS}}", args),
  );
  return Object.freeze({ name, arity, wgsl, cpu, source, hash: fnv1a32Hex(source) });
}

/**
 * CPU twin of the map kernel over `out.length` elements.
 *
 * @param kernel the map
 * @param out the destination
 * @param inputs `kernel.arity` arrays as long as `out`
 * @param params the parameters
 * @param base global index of `out[0]`
 */
export function mapCpu(
  kernel: MapKernel,
  out: Float64Array,
  inputs: readonly Float64Array[],
  params: Float64Array,
  base = 0,
): void {
  const f = kernel.cpu;
  const [a, b, c, d] = inputs;
  for (let i = 0; i < out.length; i++) {
    out[i] = f(a ? a[i]! : 0, b ? b[i]! : 0, c ? c[i]! : 0, d ? d[i]! : 0, params, base + i);
  }
}

/**
 * Encodes the map over `n` elements of one chunk.
 *
 * @param ctx the GPU context
 * @param kernel the map
 * @param out the destination buffer
 * @param inputs `kernel.arity` buffers
 * @param params a buffer of f32 parameters (at least 16 bytes)
 * @param n number of elements
 * @param base global index of the chunk's first element
 */
export async function launchMap(
  ctx: GpuContext,
  kernel: MapKernel,
  out: GPUBuffer,
  inputs: readonly GPUBuffer[],
  params: GPUBuffer,
  n: number,
  base: number,
): Promise<void> {
  if (n === 0) return;
  const bindings = ["storage", ...inputs.map(() => "read" as const)] as const;
  const buffers = [out, ...inputs];
  // bindings 1..4 hold the inputs; unused slots are not declared in the source
  const kinds: Array<"storage" | "read" | "uniform"> = [...bindings];
  while (kinds.length < 5) kinds.push("read");
  kinds.push("read", "uniform");
  while (buffers.length < 5) buffers.push(ctx.dummy);
  buffers.push(params);
  const pipeline = await ctx.pipeline(`map:${kernel.name}#${kernel.hash}`, kernel.source, kinds);
  const u = new Uint32Array(4);
  u[0] = n;
  u[1] = base >>> 0;
  ctx.dispatch(pipeline, buffers, u.buffer, Math.ceil(n / WORKGROUP_SIZE));
}
