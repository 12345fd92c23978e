/**
 * The one run context of every sdeno method: it owns the backend, the
 * arrays a run allocates (released on every exit path, error or not), the
 * NaN/Inf check that stops with the step, time and flat index, the `onStep`
 * callback (one {@linkcode StepInfo} shape across the families), and the
 * noise key with the path offset of the run's first path (what a shard of a
 * larger run needs to draw the same numbers as the whole run).
 *
 * Families extend it: the diffusion samplers add the model-call log and the
 * prediction conversions, the SDE and SSA drivers add their state.
 *
 * @module
 */

import type { Backend, DeviceArray } from "../kernels/backend.ts";
import { CpuArray } from "../kernels/cpu_backend.ts";
import { checkInteger, NumericalError, quote } from "../kernels/errors.ts";
import { checkKey, type Key } from "../kernels/philox.ts";

/** What `onStep` sees after each step, in every family. */
export interface StepInfo<X = DeviceArray> {
  /** Index of the step just taken, from 0. */
  step: number;
  /** Time at the start of the step. */
  t: number;
  /** Time at the end of the step (the time of `x`). */
  tNext: number;
  /** The state at `tNext` (valid during the call only: later steps overwrite it). */
  x: X;
}

/** The per-step callback, in every family. */
export type OnStep<I extends StepInfo<unknown>> = (info: I) => void | Promise<void>;

/** Where a run's random draws come from. */
export interface NoiseKey {
  /** The Philox key. */
  key: Key;
  /** Global index of the run's first path (0 unless the run is a shard of a larger one). */
  pathOffset: number;
}

/** Options of a {@linkcode RunContext}. */
export interface RunContextOptions {
  /** Check states for NaN/Inf (default true). */
  checkFinite?: boolean;
  /** The Philox key (default seed 0, stream 0). */
  key?: Key;
  /** Global index of the first path (default 0). */
  pathOffset?: number;
}

/**
 * A run of one method: array lifetimes, finiteness checks and the noise key.
 * Use {@linkcode RunContext.use} so that everything allocated is released
 * whatever happens.
 *
 * @example Arrays are released on an error too
 * ```ts
 * import { RunContext } from "./run_context.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const before = b.liveArrays;
 * const ctx = new RunContext("Cannot run", b);
 * await assert.rejects(ctx.use(async (run) => {
 *   const a = run.alloc(3);
 *   await b.write(a, [1, NaN, 3]);
 *   await run.checkFinite(a, { step: 4, time: 0.5, quantity: "x" });
 * }), /x is NaN at step 4, time 0.5, index 1/);
 * assert.equal(b.liveArrays, before);
 * ```
 */
export class RunContext {
  /** The error prefix, e.g. "Cannot sample with euler". */
  readonly what: string;
  /** The backend of the run. */
  readonly backend: Backend;
  /** Whether states are checked for NaN/Inf. */
  readonly checksFinite: boolean;
  /** The noise key and path offset. */
  readonly noise: NoiseKey;
  readonly #owned = new Set<DeviceArray>();

  /**
   * Creates the context.
   *
   * @param what the error prefix
   * @param backend the backend
   * @param options finiteness checks, key, path offset
   * @throws {SdenoRangeError} for a bad key or path offset
   */
  constructor(what: string, backend: Backend, options: RunContextOptions = {}) {
    this.what = what;
    this.backend = backend;
    this.checksFinite = options.checkFinite ?? true;
    const key = options.key ?? { seed: 0, stream: 0 };
    checkKey(what, key);
    const pathOffset = checkInteger(what, "pathOffset", options.pathOffset ?? 0, 0, 2 ** 32 - 1);
    this.noise = Object.freeze({ key: { seed: key.seed, stream: key.stream }, pathOffset });
  }

  /**
   * A zero-filled array owned by the run: released when the run ends unless
   * {@linkcode RunContext.keep} hands it to the caller.
   *
   * @param length number of elements
   * @returns the array
   */
  alloc(length: number): DeviceArray {
    const a = this.backend.zeros(length);
    this.#owned.add(a);
    return a;
  }

  /**
   * A copy of `x` owned by the run.
   *
   * @param x the array to copy
   * @returns the copy
   */
  async copy(x: DeviceArray): Promise<DeviceArray> {
    const a = this.alloc(x.length);
    await this.backend.lincomb(a, [[1, x]]);
    return a;
  }

  /**
   * Takes an array out of the run's ownership (the run's result).
   *
   * @param a an array from {@linkcode RunContext.alloc}
   * @returns the same array
   */
  keep(a: DeviceArray): DeviceArray {
    this.#owned.delete(a);
    return a;
  }

  /** Releases every array the run still owns. */
  close(): void {
    for (const a of this.#owned) this.backend.release(a);
    this.#owned.clear();
  }

  /**
   * Runs `body` and releases the run's arrays afterwards, on success and on
   * error alike.
   *
   * @param body the work
   * @returns what `body` returns
   */
  async use<T>(body: (run: this) => Promise<T>): Promise<T> {
    try {
      return await body(this);
    } finally {
      this.close();
    }
  }

  /**
   * Throws a {@linkcode NumericalError} naming the quantity, step, time and
   * flat index of the first NaN/Inf in `a` (a device array or host numbers).
   * Does nothing when the run does not check finiteness.
   *
   * @param a the values
   * @param where step, time and what the values are
   * @throws {NumericalError} at the first non-finite value
   */
  async checkFinite(
    a: DeviceArray | ArrayLike<number>,
    where: { step: number; time: number; quantity: string },
  ): Promise<void> {
    if (!this.checksFinite) return;
    let data: ArrayLike<number>;
    if (a instanceof CpuArray) data = a.data;
    else if (isDeviceArray(a)) {
      const s = await this.backend.columnStats(a, 1);
      if (Number.isFinite(s.sum[0]!) && Number.isFinite(s.sumSq[0]!)) return;
      data = await this.backend.download(a);
    } else data = a;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v - v !== 0) {
        throw new NumericalError(
          `${this.what}: ${where.quantity} is ${
            quote(v).replaceAll('"', "")
          } at step ${where.step}, ` +
            `time ${where.time}, index ${i}`,
          { step: where.step, time: where.time, index: i },
        );
      }
    }
  }
}

function isDeviceArray(a: unknown): a is DeviceArray {
  return typeof a === "object" && a !== null && "backend" in a &&
    typeof (a as DeviceArray).length === "number";
}
