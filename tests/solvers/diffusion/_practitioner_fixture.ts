// Loads tests/fixtures/practitioner/samplers.json (made by make_samplers.py there): reference runs of
// ComfyUI / diffusers sampler loops on the exact ring mixture from the first 16 stored noise rows,
// with the stored normals as injected noise.
import type { DeviceArray } from "../../../kernels/mod.ts";
import type { NoiseSource } from "../../../solvers/diffusion/types.ts";
import { NOISE, SPEC } from "./_fixture.ts";

/** One stored run. */
export interface PractitionerRun {
  grid?: number[];
  timesteps?: number[];
  x: number[];
  nfe: number;
  noiseCalls?: number;
  [key: string]: unknown;
}

const REF = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/practitioner/samplers.json", import.meta.url)),
);

/** The runs by id. */
export const RUNS: Record<string, PractitionerRun> = REF.runs;
/** Rows per run. */
export const ROWS: number = REF.rows;
/** The initial noise z (ROWS × 2). */
export const Z: Float64Array = NOISE.slice(0, 2 * ROWS);
export { SPEC };

/** Draw c of a run is the stored normals c (the references' injected noise). */
export const STORED_NOISE: NoiseSource = {
  sample(out: DeviceArray, call) {
    const z = REF.noise[call.index] as number[] | undefined;
    if (!z) throw new Error(`no stored noise for draw ${call.index}`);
    const rows = Array.from({ length: out.length }, (_, i) => z[call.offset + i]!);
    return out.backend.write(out, Float64Array.from(rows));
  },
};

/** Largest |a − b| / max(1, |b|). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  return m;
}
