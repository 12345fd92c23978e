/**
 * Choosing a backend by name, and running a job with a fallback to cpu when
 * the GPU is missing or lost.
 *
 * @module
 */

import type { Backend, BackendName } from "./backend.ts";
import { CpuBackend } from "./cpu_backend.ts";
import { WebGpuBackend, type WebGpuOptions } from "./webgpu_backend.ts";
import { DeviceLostError, quote, SdenoRangeError } from "./errors.ts";

/** The names {@linkcode createBackend} accepts. */
export const BACKEND_NAMES: readonly BackendName[] = ["cpu", "webgpu", "auto"];

/** Options of {@linkcode createBackend}. */
export interface CreateBackendOptions extends WebGpuOptions {
  /** Where warnings go (default `console.warn`). */
  onWarning?: (message: string) => void;
}

/**
 * Makes a backend: `cpu`; `webgpu` (an error when no adapter exists); or
 * `auto`, which picks webgpu when an adapter exists and otherwise falls back
 * to cpu with a warning.
 *
 * @param name "cpu", "webgpu" or "auto"
 * @param options chunking and the warning sink
 * @returns the backend
 * @throws {SdenoRangeError} for an unknown name, or webgpu without an adapter
 *
 * @example
 * ```ts
 * import { createBackend } from "./create_backend.ts";
 * import assert from "node:assert/strict";
 * const cpu = await createBackend("cpu");
 * assert.equal(cpu.name, "cpu");
 * await assert.rejects(() => createBackend("cuda" as "cpu"), RangeError);
 * ```
 */
export async function createBackend(
  name: BackendName,
  options: CreateBackendOptions = {},
): Promise<Backend> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new SdenoRangeError(
      `Cannot create a backend: name must be one of ${BACKEND_NAMES.join(", ")}, got ${
        quote(name)
      }`,
    );
  }
  if (name === "cpu") return new CpuBackend();
  const { onWarning = console.warn, ...gpuOptions } = options;
  const gpu = await WebGpuBackend.create(gpuOptions);
  if (gpu) return gpu;
  if (name === "webgpu") {
    throw new SdenoRangeError(
      'Cannot create the webgpu backend: navigator.gpu gave no adapter (use "cpu" or "auto")',
    );
  }
  onWarning("sdeno: no WebGPU adapter found; using the cpu backend");
  return new CpuBackend();
}

/**
 * Runs `job` on a fresh backend and destroys it afterwards. If the GPU
 * device is lost during the job, the job is rerun from the start on cpu with
 * a warning — results are keyed by Philox counters, so the rerun computes the
 * same numbers (in float64) and nothing wrong is ever returned.
 *
 * @param name "cpu", "webgpu" or "auto"
 * @param job the work, given the backend
 * @param options chunking and the warning sink
 * @returns what the job returns
 *
 * @example
 * ```ts
 * import { withBackend } from "./create_backend.ts";
 * import assert from "node:assert/strict";
 * const sum = await withBackend("cpu", async (b) => {
 *   const s = await b.columnStats(b.upload([1, 2, 3]), 1);
 *   return s.sum[0];
 * });
 * assert.equal(sum, 6);
 * ```
 */
export async function withBackend<T>(
  name: BackendName,
  job: (backend: Backend) => Promise<T>,
  options: CreateBackendOptions = {},
): Promise<T> {
  const backend = await createBackend(name, options);
  try {
    return await job(backend);
  } catch (err) {
    if (!(err instanceof DeviceLostError)) throw err;
    (options.onWarning ?? console.warn)(
      `sdeno: ${err.message}; rerunning on the cpu backend`,
    );
    const cpu = new CpuBackend();
    try {
      return await job(cpu);
    } finally {
      cpu.destroy();
    }
  } finally {
    backend.destroy();
  }
}
