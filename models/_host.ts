// Host-side plumbing shared by the exact denoisers that evaluate in float64 on the host:
// shape checks, reading a batch to the host, and writing a result back.
import type { Backend, DeviceArray } from "../kernels/mod.ts";
import { CpuArray, SdenoTypeError } from "../kernels/mod.ts";

/** Checks that x holds whole points of dimension d and that out (and v) match it. */
export function _checkBatch(
  what: string,
  d: number,
  x: DeviceArray,
  out: DeviceArray,
  v?: DeviceArray,
): void {
  if (x.length % d !== 0) {
    throw new SdenoTypeError(`${what}: x has length ${x.length}, not a multiple of d "${d}"`);
  }
  if (out.length !== x.length) {
    throw new SdenoTypeError(`${what}: out has length ${out.length}, x has "${x.length}"`);
  }
  if (v && v.length !== x.length) {
    throw new SdenoTypeError(`${what}: v has length ${v.length}, x has "${x.length}"`);
  }
}

/** A float64 copy of a device array on the host (the caller may modify it). */
export async function _hostCopy(backend: Backend, a: DeviceArray): Promise<Float64Array> {
  return a instanceof CpuArray
    ? Float64Array.from(a.data)
    : Float64Array.from(await backend.download(a));
}

/** Writes a host result into `out`. */
export async function _store(
  backend: Backend,
  out: DeviceArray,
  data: Float64Array,
): Promise<void> {
  if (out instanceof CpuArray) out.data.set(data);
  else await backend.write(out, data);
}
