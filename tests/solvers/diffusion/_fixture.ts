// Loads the compact reference fixture tests/fixtures/diffusion (see its README.md) and runs the
// DPM-Solver / UniPC configurations of runs.json through sdeno.
import type { Backend } from "../../../kernels/mod.ts";
import type { Denoiser } from "../../../models/denoiser.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { parseGaussianMixtureSpec } from "../../../models/parse_gaussian_mixture_spec.ts";
import type { NoiseSchedule } from "../../../processes/noise_schedule.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { ddpmLinearBetas, vpDiscreteSchedule } from "../../../processes/vp_discrete_schedule.ts";
import { dpmSolverPlan } from "../../../solvers/diffusion/dpm_solver_plan.ts";
import { diffusionMethods } from "../../../solvers/diffusion/registry.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import type { SampleResult, SamplerOptions } from "../../../solvers/diffusion/types.ts";

const DIR = new URL("../../fixtures/diffusion/", import.meta.url);

/** One run of runs.json (the fields the tests use). */
export interface Run {
  id: string;
  row: number;
  nfe: number;
  model_eval_times: number[];
  t_start: number;
  t_end: number;
  config: {
    lib: string;
    algorithm_type?: string;
    method?: string;
    order: number;
    skip_type: string;
    schedule: string;
    variant?: string;
  };
  call: { sample_args: Record<string, unknown> };
  metrics: { finite: boolean };
}

export const RUNS: Run[] = JSON.parse(await Deno.readTextFile(new URL("runs.json", DIR))).runs;
const f64 = async (name: string) =>
  new Float64Array((await Deno.readFile(new URL(name, DIR))).buffer);
export const NOISE: Float64Array = await f64("noise64.bin");
export const OUTPUTS: Float64Array = await f64("outputs64.bin");
export const SPEC = parseGaussianMixtureSpec(
  await Deno.readTextFile(new URL("gmm_spec.json", DIR)),
);

/** The 64 stored output rows of a run. */
export function reference(run: Run): Float64Array {
  return OUTPUTS.subarray(run.row * 128, run.row * 128 + 128);
}

export const LINEAR: NoiseSchedule = vpLinearSchedule();
export const DISCRETE: NoiseSchedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });

/**
 * Runs one dpm_* or unipc_* configuration on the first `rows` noise rows; `wrap` may replace
 * the exact model (e.g. to perturb its output).
 */
export async function runConfig(
  run: Run,
  backend: Backend,
  rows = 64,
  wrap: (model: Denoiser) => Denoiser = (model) => model,
): Promise<SampleResult> {
  const schedule = run.config.schedule === "discrete" ? DISCRETE : LINEAR;
  const gm = wrap(gaussianMixture(SPEC, schedule));
  const sa = run.call.sample_args;
  const kind = run.config.skip_type === "time_uniform" ? "uniform" : "logSNR";
  const steps = sa.steps as number;
  const x = backend.upload(NOISE.subarray(0, 2 * rows));
  const common = { tStart: sa.t_start as number, tEnd: sa.t_end as number, kind } as const;
  try {
    if (run.config.lib === "unipc") {
      const grid = timeGrid(schedule, steps, common);
      return await diffusionMethods.get("unipc").sample(gm, x, grid, {
        order: run.config.order,
        variant: run.config.variant as "bh1" | "bh2",
        lowerOrderFinal: sa.lower_order_final as boolean,
        denoiseToZero: sa.denoise_to_zero as boolean,
      } as SamplerOptions);
    }
    const plan = dpmSolverPlan(schedule, steps, {
      ...common,
      method: run.config.method as "multistep" | "singlestep",
      order: run.config.order,
    });
    return await diffusionMethods.get("dpm_solver").sample(gm, x, plan.grid, {
      ...plan.options,
      algorithm: run.config.algorithm_type as "dpmsolver" | "dpmsolver++",
      ...(plan.options.method === "multistep"
        ? { lowerOrderFinal: sa.lower_order_final as boolean }
        : {}),
      denoiseToZero: sa.denoise_to_zero as boolean,
    } as SamplerOptions);
  } finally {
    backend.release(x);
  }
}

/** `max |x − ref| / max(1, |ref|)`. */
export function relErr(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    m = Math.max(m, Math.abs(x[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
  }
  return m;
}
