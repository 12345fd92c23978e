// Test helper: one webgpu backend per test file, or a visible skip where the
// machine has no adapter (CI machines here have Mesa's llvmpipe, so GPU tests
// run for real).
import { WebGpuBackend, type WebGpuOptions } from "../kernels/mod.ts";

const cache = new Map<string, Promise<WebGpuBackend | undefined>>();

/** A shared webgpu backend for these options, or undefined (and a message) without an adapter. */
export function gpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend | undefined> {
  const key = JSON.stringify(options);
  let p = cache.get(key);
  if (!p) {
    p = WebGpuBackend.create(options).then((b) => {
      if (!b) console.warn("SKIP: no WebGPU adapter on this machine; webgpu tests are skipped");
      return b;
    });
    cache.set(key, p);
  }
  return p;
}

/** Deno.test options for tests that hold GPU resources across tests. */
export const GPU_TEST = { sanitizeResources: false, sanitizeOps: false } as const;

/** Largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
