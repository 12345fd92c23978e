/**
 * The webgpu {@linkcode Backend}: f32 storage in GPU buffers, the WGSL
 * kernels, automatic chunking of arrays larger than one storage binding.
 *
 * An array of n elements is a list of chunks of `chunkElements` elements
 * (the last shorter); every kernel runs chunk by chunk with the chunk's
 * global offset, so results never depend on the chunk size.
 *
 * @module
 */

import type { Backend, ColumnStats, DeviceArray, NoiseTerm, Term } from "./backend.ts";
import { checkKey, type DrawOptions, type Key } from "./philox.ts";
import { checkDrawOptions } from "./_draw_options.ts";
import { type GpuContext, requestGpuContext } from "./gpu_context.ts";
import { launchLincomb, LINCOMB_MAX_TERMS } from "./lincomb.ts";
import { launchRandom, type RandomMode } from "./random.ts";
import { launchMap, type MapKernel } from "./map.ts";
import { columnSlices, finishColumnStats, launchColumnStats } from "./column_stats.ts";
import { checkMatmul, launchMatmul, type MatmulOptions } from "./matmul.ts";
import {
  checkColumns,
  checkLength,
  checkLincomb,
  checkMap,
  checkOwned,
  checkWrite,
} from "./_validate.ts";
import { checkInteger, SdenoRangeError, SdenoTypeError } from "./errors.ts";

/** A device array of the webgpu backend. */
export class GpuArray implements DeviceArray {
  /** The owning backend. */
  readonly backend: WebGpuBackend;
  /** Number of elements. */
  readonly length: number;
  /** The chunks' buffers, in order. */
  readonly chunks: GPUBuffer[];
  /**
   * Creates the instance.
   *
   * @param backend the owner
   * @param length number of elements
   * @param chunks the buffers
   */
  constructor(backend: WebGpuBackend, length: number, chunks: GPUBuffer[]) {
    this.backend = backend;
    this.length = length;
    this.chunks = chunks;
  }
}

/** Options of the webgpu backend. */
export interface WebGpuOptions {
  /**
   * Largest chunk in bytes (a multiple of 16, at most the device's storage
   * binding limit, which is also the default). Smaller values exist to test
   * that results do not depend on chunking.
   */
  maxChunkBytes?: number;
}

/**
 * f32 array work on a WebGPU device.
 *
 * @example Normals on the GPU (skipped quietly where no adapter exists)
 * ```ts
 * import { WebGpuBackend } from "./webgpu_backend.ts";
 * import assert from "node:assert/strict";
 * const gpu = await WebGpuBackend.create();
 * if (gpu) {
 *   const z = gpu.zeros(1000);
 *   await gpu.fillNormal(z, { seed: 1, stream: 0 });
 *   const host = await gpu.download(z);
 *   assert.ok(Math.abs(host.reduce((a, b) => a + b) / 1000) < 0.2);
 *   gpu.destroy();
 * }
 * ```
 */
export class WebGpuBackend implements Backend {
  /** Always "webgpu". */
  readonly name = "webgpu" as const;
  /** f32 storage. */
  readonly precision = "f32" as const;
  /** The GPU context (device, caches). */
  readonly ctx: GpuContext;
  /** Elements per chunk. */
  readonly chunkElements: number;

  /**
   * Creates the instance.
   *
   * @param ctx the GPU context
   * @param options chunking
   */
  constructor(ctx: GpuContext, options: WebGpuOptions = {}) {
    this.ctx = ctx;
    const limit = ctx.maxBindingBytes;
    const bytes = options.maxChunkBytes ?? limit;
    checkInteger("Cannot create the webgpu backend", "maxChunkBytes", bytes, 16, limit);
    if (bytes % 16 !== 0) {
      throw new SdenoRangeError(
        `Cannot create the webgpu backend: maxChunkBytes must be a multiple of 16, got "${bytes}"`,
      );
    }
    this.chunkElements = bytes / 4;
  }

  /**
   * A backend on the first adapter, or undefined when there is none.
   *
   * @param options chunking
   * @returns the backend or undefined
   */
  static async create(options: WebGpuOptions = {}): Promise<WebGpuBackend | undefined> {
    const ctx = await requestGpuContext();
    return ctx ? new WebGpuBackend(ctx, options) : undefined;
  }

  /** The adapter's description. */
  get description(): string {
    return this.ctx.description;
  }

  #chunkLength(length: number, c: number): number {
    return Math.min(this.chunkElements, length - c * this.chunkElements);
  }

  #live = new WeakSet<DeviceArray>();
  #liveCount = 0;

  /** Arrays allocated and not yet released. */
  get liveArrays(): number {
    return this.#liveCount;
  }

  #alloc(length: number): GpuArray {
    const n = Math.ceil(length / this.chunkElements);
    const chunks: GPUBuffer[] = [];
    for (let c = 0; c < n; c++) chunks.push(this.ctx.acquire(4 * this.#chunkLength(length, c)));
    const a = new GpuArray(this, length, chunks);
    this.#live.add(a);
    this.#liveCount++;
    return a;
  }

  /** Throws a typed error for an array of this backend that was already released. */
  #checkLive(what: string, name: string, a: DeviceArray): void {
    if (!this.#live.has(a)) {
      throw new SdenoTypeError(
        `${what}: ${name} (a webgpu array of ${a.length} elements) was released; ` +
          `it must be a live array (allocate a new one)`,
      );
    }
  }

  /** A zero-filled array of `length` elements. */
  zeros(length: number): GpuArray {
    const a = this.#alloc(checkLength("Cannot allocate", length));
    for (const b of a.chunks) this.ctx.clear(b);
    return a;
  }

  /** A device copy of host data. */
  upload(data: ArrayLike<number>): GpuArray {
    const f: Float32Array<ArrayBuffer> =
      data instanceof Float32Array && data.buffer instanceof ArrayBuffer
        ? data as Float32Array<ArrayBuffer>
        : Float32Array.from(data);
    const a = this.#alloc(f.length);
    a.chunks.forEach((b, c) => {
      const start = c * this.chunkElements;
      this.ctx.write(b, 0, f.subarray(start, start + this.#chunkLength(f.length, c)));
    });
    return a;
  }

  /** Overwrites `a[offset … offset + data.length)` with host data. */
  async write(a: DeviceArray, data: ArrayLike<number>, offset = 0): Promise<void> {
    checkWrite(this, a, data, offset);
    const g = a as GpuArray;
    const f: Float32Array<ArrayBuffer> = Float32Array.from(data);
    const end = offset + f.length;
    for (let c = 0; c < g.chunks.length; c++) {
      const start = c * this.chunkElements;
      const stop = start + this.#chunkLength(g.length, c);
      const lo = Math.max(start, offset), hi = Math.min(stop, end);
      if (lo < hi) {
        this.ctx.write(g.chunks[c]!, 4 * (lo - start), f.subarray(lo - offset, hi - offset));
      }
    }
  }

  /** Copies `a` back to the host. */
  async download(a: DeviceArray): Promise<Float32Array> {
    checkOwned("Cannot download", "a", this, a);
    this.#checkLive("Cannot download", "a", a);
    const g = a as GpuArray;
    const out = new Float32Array(g.length);
    const parts = await Promise.all(
      g.chunks.map((b, c) => this.ctx.read(b, 0, 4 * this.#chunkLength(g.length, c))),
    );
    parts.forEach((p, c) => out.set(new Float32Array(p), c * this.chunkElements));
    return out;
  }

  /** `out = Σ cᵢ·xᵢ (+ scale·z)`; `out` may be one of the inputs. */
  async lincomb(out: DeviceArray, terms: readonly Term[], noise?: NoiseTerm): Promise<void> {
    const draw = checkLincomb(this, out, terms, noise);
    this.#checkLive("Cannot compute lincomb", "out", out);
    terms.forEach(([, x], i) => this.#checkLive("Cannot compute lincomb", `terms[${i}]`, x));
    const o = out as GpuArray;
    // Fold every occurrence of out into the coefficient of its old value, read in pass 1.
    let selfCoef: number | undefined;
    const others: Array<readonly [number, GpuArray]> = [];
    for (const [c, x] of terms) {
      if (x === out) selfCoef = (selfCoef ?? 0) + c;
      else others.push([c, x as GpuArray]);
    }
    const passes = Math.max(1, Math.ceil(others.length / LINCOMB_MAX_TERMS));
    for (let pass = 0; pass < passes; pass++) {
      const batch = others.slice(pass * LINCOMB_MAX_TERMS, (pass + 1) * LINCOMB_MAX_TERMS);
      const self = pass === 0 ? selfCoef : 1;
      const last = pass === passes - 1;
      for (let c = 0; c < o.chunks.length; c++) {
        const start = c * this.chunkElements;
        await launchLincomb(
          this.ctx,
          o.chunks[c]!,
          this.#chunkLength(o.length, c),
          self,
          batch.map(([k, x]) => [k, x.chunks[c]!] as const),
          last && noise && draw
            ? { scale: noise.scale, key: noise.key, draw: { ...draw, offset: draw.offset + start } }
            : undefined,
        );
      }
    }
  }

  async #fill(out: DeviceArray, key: Key, options: DrawOptions, mode: RandomMode, what: string) {
    checkOwned(what, "out", this, out);
    this.#checkLive(what, "out", out);
    checkKey(what, key);
    const draw = checkDrawOptions(what, options);
    const o = out as GpuArray;
    for (let c = 0; c < o.chunks.length; c++) {
      const offset = draw.offset + c * this.chunkElements;
      await launchRandom(this.ctx, o.chunks[c]!, this.#chunkLength(o.length, c), key, {
        ...draw,
        offset,
      }, mode);
    }
  }

  /** Fills `out` with the Philox normals of elements `offset …`. */
  async fillNormal(out: DeviceArray, key: Key, options: DrawOptions = {}): Promise<void> {
    await this.#fill(out, key, options, "normal", "Cannot draw normals");
  }

  /** Fills `out` with the Philox uniforms of elements `offset …`. */
  async fillUniform(out: DeviceArray, key: Key, options: DrawOptions = {}): Promise<void> {
    await this.#fill(out, key, options, "uniform", "Cannot draw uniforms");
  }

  /** The raw Philox words of elements `offset … offset+length−1`. */
  async randomBits(length: number, key: Key, options: DrawOptions = {}): Promise<Uint32Array> {
    const tmp = this.#alloc(checkLength("Cannot draw random bits", length));
    try {
      await this.#fill(tmp, key, options, "bits", "Cannot draw random bits");
      return new Uint32Array((await this.download(tmp)).buffer);
    } finally {
      this.release(tmp);
    }
  }

  /** `out[i] = f(x₀[i], …; params, i)` for a kernel from `defineMap`. */
  async map(
    kernel: MapKernel,
    out: DeviceArray,
    inputs: readonly DeviceArray[],
    params: ArrayLike<number> = [],
  ): Promise<void> {
    checkMap(this, kernel, out, inputs);
    const o = out as GpuArray;
    const p = this.ctx.acquire(Math.max(16, 4 * params.length));
    this.ctx.write(p, 0, Float32Array.from(params));
    for (let c = 0; c < o.chunks.length; c++) {
      await launchMap(
        this.ctx,
        kernel,
        o.chunks[c]!,
        inputs.map((x) => (x as GpuArray).chunks[c]!),
        p,
        this.#chunkLength(o.length, c),
        c * this.chunkElements,
      );
    }
    this.ctx.recycle(p);
  }

  /** Column sums and sums of squares of a row-major array. */
  async columnStats(x: DeviceArray, cols: number): Promise<ColumnStats> {
    const d = checkColumns(this, x, cols);
    const limit = this.ctx.device.limits.maxComputeWorkgroupsPerDimension;
    if (d > limit) {
      throw new SdenoRangeError(
        `Cannot compute column statistics: cols must be at most ${limit} on webgpu, got "${d}"`,
      );
    }
    const g = x as GpuArray;
    const bytes = 4 * 2 * d * columnSlices(d);
    const partial = this.ctx.acquire(bytes);
    try {
      if (g.length === 0) {
        return { rows: 0, sum: new Float64Array(d), sumSq: new Float64Array(d) };
      }
      for (let c = 0; c < g.chunks.length; c++) {
        await launchColumnStats(
          this.ctx,
          partial,
          g.chunks[c]!,
          c * this.chunkElements,
          this.#chunkLength(g.length, c),
          d,
          c === 0,
        );
      }
      const host = new Float32Array(await this.ctx.read(partial, 0, bytes));
      return { rows: g.length / d, ...finishColumnStats(host, d) };
    } finally {
      this.ctx.recycle(partial);
    }
  }

  /**
   * `out = [out +] α·op(A)·op(B) [+ bias]` in f32. Each operand must fit in
   * one chunk (one storage binding, 128 MiB or more on most adapters).
   */
  async matmul(out: DeviceArray, options: MatmulOptions): Promise<void> {
    const plan = checkMatmul(this, out, options);
    const one = (name: string, x: DeviceArray | undefined): GPUBuffer | undefined => {
      if (x === undefined) return undefined;
      const g = x as GpuArray;
      if (g.length === 0) return this.ctx.dummy;
      if (g.chunks.length !== 1) {
        throw new SdenoRangeError(
          `Cannot multiply matrices: ${name} has ${g.length} elements, more than one storage binding holds on this device "${this.chunkElements}"`,
        );
      }
      return g.chunks[0]!;
    };
    if (plan.m === 0 || plan.n === 0) return;
    await launchMatmul(this.ctx, one("out", out)!, {
      ...plan,
      a: one("a", options.a)!,
      b: one("b", options.b)!,
      bias: one("bias", options.bias),
    });
  }

  /** Returns an array's memory; the array must not be used again. */
  release(a: DeviceArray): void {
    checkOwned("Cannot release", "a", this, a);
    if (this.#live.delete(a)) this.#liveCount--;
    for (const b of (a as GpuArray).chunks) this.ctx.recycle(b);
    (a as GpuArray).chunks.length = 0;
  }

  /** Waits until all queued work has finished. */
  finish(): Promise<void> {
    return this.ctx.finish();
  }

  /** Frees the device and caches. */
  destroy(): void {
    this.ctx.destroy();
  }
}
