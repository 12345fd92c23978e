// DPM-Solver / DPM-Solver++ against the official implementation's stored outputs
// (tests/fixtures/diffusion: first 64 rows of every dpm_* run of the reference data).
import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { dpmSolver } from "../../../solvers/diffusion/dpm_solver.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import {
  DISCRETE,
  LINEAR,
  NOISE,
  reference,
  relErr,
  type Run,
  runConfig,
  RUNS,
  SPEC,
} from "./_fixture.ts";

const DPM = RUNS.filter((r) => r.id.startsWith("dpm_"));

async function check(run: Run, backend: Awaited<ReturnType<typeof createBackend>>, tol: number) {
  const r = await runConfig(run, backend);
  const x = await backend.download(r.x);
  backend.release(r.x);
  const err = relErr(x, reference(run));
  assert.ok(err <= tol, `${run.id}: relative error ${err} > ${tol}`);
  assert.equal(r.nfe, run.nfe, `${run.id}: NFE`);
  assert.equal(r.modelTimes.length, run.model_eval_times.length);
  run.model_eval_times.forEach((t, i) =>
    assert.ok(Math.abs(t - r.modelTimes[i]!) <= 1e-12, `${run.id}: model time ${i}`)
  );
}

Deno.test("dpmSolver() reproduces every finite dpm_* reference run to 1e-9 (float64, cpu)", async () => {
  const cpu = await createBackend("cpu");
  const finite = DPM.filter((r) => r.metrics.finite);
  assert.equal(finite.length, 160);
  for (const run of finite) await check(run, cpu, 1e-9);
});

Deno.test("dpmSolver() rejects the reference's NaN runs (discrete schedule, t_end = 1e-4)", async () => {
  const cpu = await createBackend("cpu");
  const nan = DPM.filter((r) => !r.metrics.finite);
  assert.equal(nan.length, 4);
  for (const run of nan) {
    assert.equal(run.config.schedule, "discrete");
    assert.equal(run.t_end, 1e-4);
    await assert.rejects(() => runConfig(run, cpu), {
      name: "SdenoRangeError",
      message: /tEnd "0\.0001" is below the vp-discrete schedule's valid range/,
    });
  }
  // an explicit grid reaching below 1/N is rejected by the sampler too
  const gm = gaussianMixture(SPEC, DISCRETE);
  await assert.rejects(
    () => dpmSolver(gm, cpu.upload(NOISE.subarray(0, 8)), [1, 0.5, 1e-4]),
    { name: "SdenoRangeError", message: /grid\[2\] = 0\.0001 is outside/ },
  );
});

Deno.test("dpmSolver() order 1 (DDIM) gives the same result in noise and data form to 1e-12", async () => {
  const cpu = await createBackend("cpu");
  for (const schedule of [LINEAR, DISCRETE]) {
    const gm = gaussianMixture(SPEC, schedule);
    for (const kind of ["uniform", "logSNR"] as const) {
      const grid = timeGrid(schedule, 10, { kind });
      const x = cpu.upload(NOISE);
      const a = await dpmSolver(gm, x, grid, { algorithm: "dpmsolver", order: 1 });
      const b = await dpmSolver(gm, x, grid, { algorithm: "dpmsolver++", order: 1 });
      const c = await dpmSolver(gm, x, grid, {
        algorithm: "dpmsolver",
        method: "singlestep",
        order: 1,
      });
      const [xa, xb, xc] = [
        await cpu.download(a.x),
        await cpu.download(b.x),
        await cpu.download(c.x),
      ];
      assert.ok(relErr(xa, xb) < 1e-12, `${schedule.name} ${kind}: ${relErr(xa, xb)}`);
      assert.deepEqual([...xa], [...xc]);
    }
  }
});

// In float32 the noise-form singlestep runs of order 2–3 at NFE 5 (steps with h up to 4.8 in λ,
// where expm1(h)-weighted model differences amplify rounding) land at up to ~2e-3 relative; every
// other NFE-5 run is within 1e-4. Those six are checked against the method's own error instead:
// float32 must move the result by less than 1% of its RMSE against the exact ODE (runs.json).
const F32_ILL_CONDITIONED =
  /^dpm_(linear|discrete)_dpm_singlestep_o[23]_(logSNR|time_uniform)_nfe5$/;

Deno.test(
  {
    name: "dpmSolver() reproduces the NFE-5 dpm_* reference runs to 1e-4 in float32 on webgpu",
    ...GPU_TEST,
  },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    // NFE 5 of every configuration (larger NFE repeat the same code paths; the full set takes minutes)
    const subset = DPM.filter((r) => r.metrics.finite && r.nfe <= 6);
    assert.equal(subset.length, 43);
    for (const run of subset) {
      if (!F32_ILL_CONDITIONED.test(run.id)) {
        await check(run, gpu, 1e-4);
        continue;
      }
      const r = await runConfig(run, gpu);
      const x = await gpu.download(r.x);
      gpu.release(r.x);
      const ref = reference(run);
      let se = 0;
      for (let i = 0; i < ref.length; i++) se += (x[i]! - ref[i]!) ** 2;
      const rmse = (run.metrics as unknown as { rmse_vs_ode: number }).rmse_vs_ode;
      assert.ok(
        Math.sqrt(se / ref.length) < 0.01 * rmse,
        `${run.id}: ${Math.sqrt(se / ref.length)}`,
      );
    }
  },
);
