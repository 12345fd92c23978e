/**
 * The cpu {@linkcode Backend}: Float64Array storage and the TypeScript twins
 * of every kernel. Always available; needs no permission.
 *
 * @module
 */

import type { Backend, ColumnStats, DeviceArray, NoiseTerm, Term } from "./backend.ts";
import { type DrawOptions, fillBits, fillNormal, fillUniform, type Key } from "./philox.ts";
import { lincombCpu } from "./lincomb.ts";
import { mapCpu, type MapKernel } from "./map.ts";
import { columnStatsCpu } from "./column_stats.ts";
import { checkMatmul, matmulCpu, type MatmulOptions } from "./matmul.ts";
import {
  checkColumns,
  checkLength,
  checkLincomb,
  checkMap,
  checkOwned,
  checkWrite,
} from "./_validate.ts";

/** A device array of the cpu backend: its `data` is the storage itself. */
export class CpuArray implements DeviceArray {
  /** The storage. */
  readonly data: Float64Array;
  /** The owning backend. */
  readonly backend: CpuBackend;
  /**
   * Creates the instance.
   *
   * @param backend the owner
   * @param data the storage
   */
  constructor(backend: CpuBackend, data: Float64Array) {
    this.backend = backend;
    this.data = data;
  }
  /** Number of elements. */
  get length(): number {
    return this.data.length;
  }
}

/**
 * Float64 array work on the host.
 *
 * @example A noisy axpy
 * ```ts
 * import { CpuBackend } from "./cpu_backend.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const x = b.upload([1, 2, 3]);
 * await b.lincomb(x, [[2, x]], { scale: 0, key: { seed: 1, stream: 0 } });
 * assert.deepEqual([...await b.download(x)], [2, 4, 6]);
 * ```
 */
export class CpuBackend implements Backend {
  /** Always "cpu". */
  readonly name = "cpu" as const;
  /** Float64 storage. */
  readonly precision = "f64" as const;
  /** The host. */
  readonly description = "host (TypeScript, float64)";
  #scratch = new Float64Array(0);
  #live = new WeakSet<DeviceArray>();
  #liveCount = 0;

  /** Arrays allocated and not yet released. */
  get liveArrays(): number {
    return this.#liveCount;
  }

  #track(a: CpuArray): CpuArray {
    this.#live.add(a);
    this.#liveCount++;
    return a;
  }

  /** A zero-filled array of `length` elements. */
  zeros(length: number): CpuArray {
    return this.#track(
      new CpuArray(this, new Float64Array(checkLength("Cannot allocate", length))),
    );
  }

  /** A device copy of host data. */
  upload(data: ArrayLike<number>): CpuArray {
    return this.#track(new CpuArray(this, Float64Array.from(data)));
  }

  /** Overwrites `a[offset … offset + data.length)` with host data. */
  async write(a: DeviceArray, data: ArrayLike<number>, offset = 0): Promise<void> {
    checkWrite(this, a, data, offset);
    (a as CpuArray).data.set(data, offset);
  }

  /** Copies `a` back to the host. */
  async download(a: DeviceArray): Promise<Float64Array> {
    checkOwned("Cannot download", "a", this, a);
    return (a as CpuArray).data.slice();
  }

  /** `out = Σ cᵢ·xᵢ (+ scale·z)`; `out` may be one of the inputs. */
  async lincomb(out: DeviceArray, terms: readonly Term[], noise?: NoiseTerm): Promise<void> {
    const draw = checkLincomb(this, out, terms, noise);
    const n = out.length;
    if (noise && this.#scratch.length < n) this.#scratch = new Float64Array(n);
    lincombCpu(
      (out as CpuArray).data,
      terms.map(([c, x]) => [c, (x as CpuArray).data] as const),
      noise && draw ? { scale: noise.scale, key: noise.key, draw } : undefined,
      this.#scratch,
    );
  }

  /** Fills `out` with the Philox normals of elements `offset …`. */
  async fillNormal(out: DeviceArray, key: Key, options: DrawOptions = {}): Promise<void> {
    checkOwned("Cannot draw normals", "out", this, out);
    fillNormal((out as CpuArray).data, key, options);
  }

  /** Fills `out` with the Philox uniforms of elements `offset …`. */
  async fillUniform(out: DeviceArray, key: Key, options: DrawOptions = {}): Promise<void> {
    checkOwned("Cannot draw uniforms", "out", this, out);
    fillUniform((out as CpuArray).data, key, options);
  }

  /** The raw Philox words of elements `offset … offset+length−1`. */
  async randomBits(length: number, key: Key, options: DrawOptions = {}): Promise<Uint32Array> {
    const out = new Uint32Array(checkLength("Cannot draw random bits", length));
    fillBits(out, key, options);
    return out;
  }

  /** `out[i] = f(x₀[i], …; params, i)` for a kernel from `defineMap`. */
  async map(
    kernel: MapKernel,
    out: DeviceArray,
    inputs: readonly DeviceArray[],
    params: ArrayLike<number> = [],
  ): Promise<void> {
    checkMap(this, kernel, out, inputs);
    mapCpu(
      kernel,
      (out as CpuArray).data,
      inputs.map((x) => (x as CpuArray).data),
      Float64Array.from(params),
    );
  }

  /** Column sums and sums of squares of a row-major array. */
  async columnStats(x: DeviceArray, cols: number): Promise<ColumnStats> {
    const d = checkColumns(this, x, cols);
    const sum = new Float64Array(d);
    const sumSq = new Float64Array(d);
    columnStatsCpu((x as CpuArray).data, d, 0, sum, sumSq);
    return { rows: x.length / d, sum, sumSq };
  }

  /** `out = [out +] α·op(A)·op(B) [+ bias]` in float64. */
  async matmul(out: DeviceArray, options: MatmulOptions): Promise<void> {
    const plan = checkMatmul(this, out, options);
    matmulCpu((out as CpuArray).data, {
      ...plan,
      a: (options.a as CpuArray).data,
      b: (options.b as CpuArray).data,
      bias: options.bias === undefined ? undefined : (options.bias as CpuArray).data,
    });
  }

  /** Returns an array's memory; the array must not be used again. */
  release(a: DeviceArray): void {
    // the memory is the garbage collector's; only the count of live arrays changes
    if (this.#live.delete(a)) this.#liveCount--;
  }

  /** Waits until all queued work has finished. */
  finish(): Promise<void> {
    return Promise.resolve();
  }

  /** Frees the device and caches. */
  destroy(): void {
    this.#scratch = new Float64Array(0);
  }
}
