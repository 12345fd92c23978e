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
import { checkColumns, checkLength, checkLincomb, checkMap, checkOwned } from "./_validate.ts";

/** A device array of the cpu backend: its `data` is the storage itself. */
export class CpuArray implements DeviceArray {
  /** The storage. */
  readonly data: Float64Array;
  /** The owning backend. */
  readonly backend: CpuBackend;
  /**
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

  /** @inheritdoc */
  zeros(length: number): CpuArray {
    return new CpuArray(this, new Float64Array(checkLength("Cannot allocate", length)));
  }

  /** @inheritdoc */
  upload(data: ArrayLike<number>): CpuArray {
    return new CpuArray(this, Float64Array.from(data));
  }

  /** @inheritdoc */
  async download(a: DeviceArray): Promise<Float64Array> {
    checkOwned("Cannot download", "a", this, a);
    return (a as CpuArray).data.slice();
  }

  /** @inheritdoc */
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

  /** @inheritdoc */
  async fillNormal(out: DeviceArray, key: Key, options: DrawOptions = {}): Promise<void> {
    checkOwned("Cannot draw normals", "out", this, out);
    fillNormal((out as CpuArray).data, key, options);
  }

  /** @inheritdoc */
  async fillUniform(out: DeviceArray, key: Key, options: DrawOptions = {}): Promise<void> {
    checkOwned("Cannot draw uniforms", "out", this, out);
    fillUniform((out as CpuArray).data, key, options);
  }

  /** @inheritdoc */
  async randomBits(length: number, key: Key, options: DrawOptions = {}): Promise<Uint32Array> {
    const out = new Uint32Array(checkLength("Cannot draw random bits", length));
    fillBits(out, key, options);
    return out;
  }

  /** @inheritdoc */
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

  /** @inheritdoc */
  async columnStats(x: DeviceArray, cols: number): Promise<ColumnStats> {
    const d = checkColumns(this, x, cols);
    const sum = new Float64Array(d);
    const sumSq = new Float64Array(d);
    columnStatsCpu((x as CpuArray).data, d, 0, sum, sumSq);
    return { rows: x.length / d, sum, sumSq };
  }

  /** @inheritdoc */
  release(_a: DeviceArray): void {}

  /** @inheritdoc */
  finish(): Promise<void> {
    return Promise.resolve();
  }

  /** @inheritdoc */
  destroy(): void {
    this.#scratch = new Float64Array(0);
  }
}
