// DPM-Solver / DPM-Solver++ against the official implementation's stored outputs
// (tests/fixtures/diffusion: first 64 rows of every dpm_* run of the reference data).
import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import type { Denoiser } from "../../../models/denoiser.ts";
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

// Six noise-form singlestep runs at NFE 5 (order 2 on the logSNR grid, order 3 on both grids;
// steps up to h = 4.8 in λ) are so ill-conditioned in the model's output that no float32 model can
// meet 1e-4 there: the test below shows, in float64, that perturbing the exact model's output by
// one float32 ulp (2⁻²³ relative) moves exactly these six by more than 1e-4 (up to ~4e-3) and
// every other NFE-5 run by less (at most ~7e-5). On webgpu those six are checked against the
// method's own error instead: float32 must move the result by less than 1% of its RMSE against
// the exact ODE (runs.json); every other run must be within 1e-4.
const F32_ILL_CONDITIONED =
  /^dpm_(linear|discrete)_dpm_singlestep_(o2_logSNR|o3_logSNR|o3_time_uniform)_nfe5$/;

/** The exact model with its output scaled by (1 + 2⁻²³·sₖ), sₖ a fixed ±1 pattern: one f32 ulp. */
function perturbed(model: Denoiser): Denoiser {
  let call = 0;
  return {
    ...model,
    predict: async (x, t, out, request) => {
      await model.predict(x, t, out, request);
      const backend = out.backend;
      const host = Float64Array.from(await backend.download(out));
      call++;
      for (let i = 0; i < host.length; i++) {
        host[i] = host[i]! * (1 + 2 ** -23 * ((i * 7 + call * 3) % 2 ? 1 : -1));
      }
      await backend.write(out, host);
    },
  };
}

Deno.test("exactly six NFE-5 dpm_* runs amplify a one-ulp float32 model error beyond 1e-4", async () => {
  const cpu = await createBackend("cpu");
  const nfe5 = DPM.filter((r) => r.metrics.finite && r.nfe <= 6);
  const exempt = nfe5.filter((r) => F32_ILL_CONDITIONED.test(r.id));
  assert.equal(exempt.length, 6);
  for (const run of nfe5) {
    const r = await runConfig(run, cpu, 64, perturbed);
    const err = relErr(await cpu.download(r.x), reference(run));
    if (F32_ILL_CONDITIONED.test(run.id)) assert.ok(err > 1e-4, `${run.id}: ${err}`);
    else assert.ok(err < 1e-4, `${run.id}: ${err}`);
  }
});

Deno.test(
  {
    name: "dpmSolver() reproduces every finite dpm_* reference run to 1e-4 in float32 on webgpu",
    ...GPU_TEST,
  },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const subset = DPM.filter((r) => r.metrics.finite);
    assert.equal(subset.length, 160);
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
