// The k-diffusion runs of tests/fixtures/diffusion (the first 64 rows of each reference output),
// and how to replay each with sdeno's samplers.
import type { Backend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import type { Denoiser } from "../../../models/denoiser.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import {
  brownianNoise,
  brownianSigmaGrid,
  diffusionMethods,
  karrasSigmas,
  type SampleResult,
  type SamplerOptions,
  splitMix64BrownianPath,
  splitMix64Noise,
} from "../../../solvers/diffusion/mod.ts";

const DIR = new URL("../../fixtures/diffusion/", import.meta.url);
export const ROWS = 64;
export const D = 2;

export interface KdRun {
  id: string;
  config: { fn: string };
  row: number;
  nfe: number;
  sigmas?: number[];
  model_eval_times: number[];
  noise_calls?: [number, number][];
  brownian_grid?: number[];
  call: { function: string; args: Record<string, unknown> };
}

const json = JSON.parse(await Deno.readTextFile(new URL("runs.json", DIR)));
export const SPEC = JSON.parse(await Deno.readTextFile(new URL("gmm_spec.json", DIR)));
export const KD_RUNS: KdRun[] = (json.runs as KdRun[]).filter((r) => r.id.startsWith("kd_"));
const outputs = new Float64Array((await Deno.readFile(new URL("outputs64.bin", DIR))).buffer);
export const NOISE = new Float64Array((await Deno.readFile(new URL("noise64.bin", DIR))).buffer);

/** The stored 64 rows of a run. */
export function expected(run: KdRun): Float64Array {
  return outputs.subarray(run.row * ROWS * D, (run.row + 1) * ROWS * D);
}

/** The initial batch of every k-diffusion run: 80·z. */
export function initial(rows = ROWS): Float64Array {
  return NOISE.slice(0, rows * D).map((v) => v * 80);
}

/**
 * Replays a stored run on a backend with the registered method of its k-diffusion name
 * (`config.fn`, e.g. `sample_dpmpp_2m_sde_heun`, an alias in the registry): the reference's
 * SplitMix64 noise, i.i.d. per draw or, for a method whose queries overlap, its Brownian path;
 * `wrap` replaces the mixture model (e.g. to measure another implementation of it).
 */
export async function replay(
  run: KdRun,
  backend: Backend,
  rows = ROWS,
  wrap: (model: Denoiser) => Denoiser = (model) => model,
): Promise<SampleResult> {
  const method = diffusionMethods.get(run.config.fn);
  const model = wrap(gaussianMixture(SPEC, edmSchedule()));
  const x = backend.upload(initial(rows));
  try {
    if (method.info.budget !== "grid") {
      const options = method.info.budget === "nfe-option" ? { nfe: run.nfe } : {};
      return await method.sample(model, x, [80, 0.002], options as SamplerOptions);
    }
    const sigmas = karrasSigmas(run.sigmas!.length - 1);
    const noise = method.info.noise === "path"
      ? brownianNoise(splitMix64BrownianPath({ seed: 4242 }), { grid: brownianSigmaGrid(sigmas) })
      : splitMix64Noise({ seed: 4242 });
    return await method.sample(model, x, sigmas, { noise });
  } finally {
    backend.release(x);
  }
}

/** max |x − ref| / max(1, |ref|). */
export function relError(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    m = Math.max(m, Math.abs(x[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
  }
  return m;
}
