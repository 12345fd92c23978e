// DPM-Solver-v3 against the official implementation's degenerated-mode outputs
// (tests/fixtures/dpm_solver_v3, cut from ../shared/refs/diffusion by its extract.py).
import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { parseGaussianMixtureSpec } from "../../../models/parse_gaussian_mixture_spec.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { ddpmLinearBetas, vpDiscreteSchedule } from "../../../processes/vp_discrete_schedule.ts";
import { dpmSolverV3 } from "../../../solvers/diffusion/dpm_solver_v3.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";

const V3 = new URL("../../fixtures/dpm_solver_v3/", import.meta.url);
const DIFF = new URL("../../fixtures/diffusion/", import.meta.url);
const f64 = async (u: URL) => new Float64Array((await Deno.readFile(u)).buffer);
interface V3Run {
  id: string;
  row: number;
  nfe: number;
  model_eval_times: number[];
  timesteps: number[];
  t_start: number;
  t_end: number;
  config: { schedule: string; skip_type: string; nfe: number };
}
const RUNS: V3Run[] = JSON.parse(await Deno.readTextFile(new URL("runs.json", V3))).runs;
const OUT = await f64(new URL("outputs64.bin", V3));
const NOISE = await f64(new URL("noise64.bin", DIFF));
const SPEC = parseGaussianMixtureSpec(await Deno.readTextFile(new URL("gmm_spec.json", DIFF)));
const LINEAR = vpLinearSchedule();
const DISCRETE = vpDiscreteSchedule({ betas: ddpmLinearBetas() });

function relErr(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    m = Math.max(m, Math.abs(x[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
  }
  return m;
}

Deno.test("dpmSolverV3() with degenerated statistics reproduces every v3deg_* reference run to 1e-9", async () => {
  const cpu = await createBackend("cpu");
  assert.equal(RUNS.length, 16);
  for (const run of RUNS) {
    const schedule = run.config.schedule === "discrete" ? DISCRETE : LINEAR;
    const gm = gaussianMixture(SPEC, schedule);
    const kind = run.config.skip_type === "time_uniform" ? "uniform" : "logSNR";
    const grid = timeGrid(schedule, run.config.nfe, { tStart: run.t_start, tEnd: run.t_end, kind });
    const x = cpu.upload(NOISE);
    const r = await dpmSolverV3(gm, x, grid);
    const got = await cpu.download(r.x);
    const err = relErr(got, OUT.subarray(run.row * 128, run.row * 128 + 128));
    assert.equal(r.nfe, run.nfe);
    run.model_eval_times.forEach((t, i) =>
      assert.ok(Math.abs(t - r.modelTimes[i]!) <= 1e-12, `${run.id}: model time ${i}`)
    );
    assert.ok(err <= 1e-9, `${run.id}: relative error ${err}`);
  }
});
