/**
 * The one interface solvers use for array work, with a cpu (Float64) and a
 * webgpu (f32) implementation. Every operation returns a promise: on webgpu
 * it resolves once the work is encoded (it then runs in order; the first use
 * of a kernel also compiles it), on cpu once it is done. Reads
 * (`download`, `columnStats`, `randomBits`) resolve with the results.
 *
 * @module
 */

import type { DrawOptions, Key } from "./philox.ts";
import type { MapKernel } from "./map.ts";
import type { MatmulOptions } from "./matmul.ts";

/** Names accepted by {@linkcode createBackend}. */
export type BackendName = "cpu" | "webgpu" | "auto";

/** A flat float array on a backend; its contents are read with `download`. */
export interface DeviceArray {
  /** Number of elements. */
  readonly length: number;
  /** The backend that owns it. */
  readonly backend: Backend;
}

/** One term `c·x` of a linear combination. */
export type Term = readonly [coefficient: number, x: DeviceArray];

/** Fresh standard normals added by {@linkcode Backend.lincomb}: `+ scale·z`. */
export interface NoiseTerm extends DrawOptions {
  /** Multiplies the normals. */
  scale: number;
  /** The Philox key; element `e` of `out` uses the normal at `offset + e`. */
  key: Key;
}

/** Per-column sums of a row-major n×d array. */
export interface ColumnStats {
  /** Number of rows. */
  rows: number;
  /** Σ_i x[i, j] for each column j. */
  sum: Float64Array;
  /** Σ_i x[i, j]² for each column j. */
  sumSq: Float64Array;
}

/**
 * Array work for solvers: allocation, transfer, fused linear combinations
 * with optional fresh noise, elementwise maps, random fills and column
 * reductions. Results never depend on chunking, batch size or backend beyond
 * floating-point precision (f64 on cpu, f32 on webgpu).
 */
export interface Backend {
  /** `cpu` or `webgpu`. */
  readonly name: "cpu" | "webgpu";
  /** Element precision of device arrays. */
  readonly precision: "f64" | "f32";
  /** A human-readable device description. */
  readonly description: string;
  /** A zero-filled array of `length` elements. */
  zeros(length: number): DeviceArray;
  /** A device copy of host data. */
  upload(data: ArrayLike<number>): DeviceArray;
  /** Overwrites `a[offset … offset + data.length)` with host data. */
  write(a: DeviceArray, data: ArrayLike<number>, offset?: number): Promise<void>;
  /** Copies `a` back to the host: Float64Array on cpu, Float32Array on webgpu. */
  download(a: DeviceArray): Promise<Float64Array | Float32Array>;
  /**
   * `out = Σ cᵢ·xᵢ (+ scale·z)` elementwise, with up to four terms per call
   * on webgpu (more are folded in passes). `out` may be one of the inputs.
   */
  lincomb(out: DeviceArray, terms: readonly Term[], noise?: NoiseTerm): Promise<void>;
  /** Fills `out` with standard normals: element e is the Philox normal at `offset + e`. */
  fillNormal(out: DeviceArray, key: Key, options?: DrawOptions): Promise<void>;
  /** Fills `out` with uniforms in (0, 1): element e is the Philox uniform at `offset + e`. */
  fillUniform(out: DeviceArray, key: Key, options?: DrawOptions): Promise<void>;
  /** The raw Philox words for elements `offset … offset+length−1`. */
  randomBits(length: number, key: Key, options?: DrawOptions): Promise<Uint32Array>;
  /** `out[i] = f(x₀[i], …, x₃[i]; params)` for a kernel from {@linkcode defineMap}. */
  map(
    kernel: MapKernel,
    out: DeviceArray,
    inputs: readonly DeviceArray[],
    params?: ArrayLike<number>,
  ): Promise<void>;
  /** Column sums and sums of squares of a row-major array with `cols` columns. */
  columnStats(x: DeviceArray, cols: number): Promise<ColumnStats>;
  /**
   * `out = [out +] α·op(A)·op(B) [+ bias]` on row-major runs at element
   * offsets (see {@linkcode MatmulOptions}); `out` is none of the operands.
   */
  matmul(out: DeviceArray, options: MatmulOptions): Promise<void>;
  /** Returns an array's memory to the backend; the array must not be used again. */
  release(a: DeviceArray): void;
  /**
   * Arrays made by `zeros` or `upload` and not yet released: a run that
   * releases what it allocates on every exit path leaves this unchanged.
   */
  readonly liveArrays: number;
  /** Waits until all queued work has finished. */
  finish(): Promise<void>;
  /** Frees the device and caches. */
  destroy(): void;
}
