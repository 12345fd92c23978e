// Host-side plumbing shared by the exact denoisers that evaluate in float64 on the host: shape and
// kind checks, reading a batch to the host, and writing a result back. The backend is always the
// one the arrays live on.
import type { DeviceArray } from "../kernels/mod.ts";
import { CpuArray, quote, SdenoTypeError } from "../kernels/mod.ts";
import { PREDICTION_KINDS, type PredictionKind, type PredictRequest } from "./denoiser.ts";

/** Checks that x holds whole points of dimension d and that out (and v) match it, on x's backend. */
export function checkBatch(
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
  for (const [name, a] of [["out", out], ["v", v]] as const) {
    if (a && a.backend !== x.backend) {
      throw new SdenoTypeError(`${what}: ${name} lives on another backend than x`);
    }
  }
}

/** The kind of a request, checked to be a prediction kind. */
export function checkKind(what: string, request: PredictRequest): PredictionKind {
  const kind = request?.kind;
  if (!PREDICTION_KINDS.includes(kind)) {
    throw new SdenoTypeError(
      `${what}: kind must be one of ${PREDICTION_KINDS.join(", ")}, got ${quote(kind)}`,
    );
  }
  return kind;
}

/** A float64 copy of a device array on the host (the caller may modify it). */
export async function hostCopy(a: DeviceArray): Promise<Float64Array> {
  return a instanceof CpuArray
    ? Float64Array.from(a.data)
    : Float64Array.from(await a.backend.download(a));
}

/** Writes a host result into `out`. */
export async function store(out: DeviceArray, data: Float64Array): Promise<void> {
  if (out instanceof CpuArray) out.data.set(data);
  else await out.backend.write(out, data);
}
