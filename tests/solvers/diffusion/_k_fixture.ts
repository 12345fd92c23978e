// The k-diffusion runs of tests/fixtures/diffusion (the first 64 rows of each reference output),
// and how to replay each with sdeno's samplers.
import type { Backend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import {
  brownianPathNoise,
  brownianSigmaGrid,
  karrasSigmas,
  type KSampleResult,
  sampleDpm2,
  sampleDpm2Ancestral,
  sampleDpmFast,
  sampleDpmpp2m,
  sampleDpmpp2mSde,
  sampleDpmpp2sAncestral,
  sampleDpmpp3mSde,
  sampleDpmppSde,
  sampleEuler,
  sampleEulerAncestral,
  sampleHeun,
  sampleLms,
  splitMix64Noise,
} from "../../../solvers/diffusion/k_diffusion.ts";

const DIR = new URL("../../fixtures/diffusion/", import.meta.url);
export const ROWS = 64;
export const D = 2;

export interface KdRun {
  id: string;
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

/** Replays a stored run on a backend. */
export async function replay(run: KdRun, backend: Backend, rows = ROWS): Promise<KSampleResult> {
  const model = gaussianMixture(SPEC, edmSchedule());
  const x = backend.upload(initial(rows));
  const fn = run.call.function;
  if (fn === "sample_dpm_fast") {
    return sampleDpmFast(model, x, [80, 0.002], { nfe: run.nfe });
  }
  const sigmas = karrasSigmas(run.sigmas!.length - 1);
  const noise = splitMix64Noise({ seed: 4242 });
  switch (fn) {
    case "sample_euler":
      return sampleEuler(model, x, sigmas);
    case "sample_heun":
      return sampleHeun(model, x, sigmas);
    case "sample_dpm_2":
      return sampleDpm2(model, x, sigmas);
    case "sample_lms":
      return sampleLms(model, x, sigmas);
    case "sample_dpmpp_2m":
      return sampleDpmpp2m(model, x, sigmas);
    case "sample_euler_ancestral":
      return sampleEulerAncestral(model, x, sigmas, { noise });
    case "sample_dpm_2_ancestral":
      return sampleDpm2Ancestral(model, x, sigmas, { noise });
    case "sample_dpmpp_2s_ancestral":
      return sampleDpmpp2sAncestral(model, x, sigmas, { noise });
    case "sample_dpmpp_sde":
      return sampleDpmppSde(model, x, sigmas, {
        noise: brownianPathNoise(brownianSigmaGrid(sigmas), { normals: "splitmix64", seed: 4242 }),
      });
    case "sample_dpmpp_2m_sde":
      return sampleDpmpp2mSde(model, x, sigmas, {
        noise,
        solverType: run.call.args.solver_type as "midpoint" | "heun",
      });
    case "sample_dpmpp_3m_sde":
      return sampleDpmpp3mSde(model, x, sigmas, { noise });
  }
  throw new Error(`no replay for ${fn}`);
}

/** max |x − ref| / max(1, |ref|). */
export function relError(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    m = Math.max(m, Math.abs(x[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
  }
  return m;
}
