// UniPC against the official implementation's stored outputs (tests/fixtures/diffusion).
import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { uniPc } from "../../../solvers/diffusion/unipc.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { LINEAR, NOISE, reference, relErr, type Run, runConfig, RUNS, SPEC } from "./_fixture.ts";

const UNIPC = RUNS.filter((r) => r.id.startsWith("unipc_"));

async function check(run: Run, backend: Awaited<ReturnType<typeof createBackend>>, tol: number) {
  const r = await runConfig(run, backend);
  const x = await backend.download(r.x);
  backend.release(r.x);
  const err = relErr(x, reference(run));
  assert.ok(err <= tol, `${run.id}: relative error ${err} > ${tol}`);
  assert.equal(r.nfe, run.nfe, `${run.id}: NFE`);
  run.model_eval_times.forEach((t, i) =>
    assert.ok(Math.abs(t - r.modelTimes[i]!) <= 1e-12, `${run.id}: model time ${i}`)
  );
}

Deno.test("uniPc() reproduces every unipc_* reference run (bh1/bh2, orders 2-3) to 1e-9 on cpu", async () => {
  const cpu = await createBackend("cpu");
  assert.equal(UNIPC.length, 64);
  for (const run of UNIPC) await check(run, cpu, 1e-9);
});

Deno.test(
  {
    name: "uniPc() reproduces every unipc_* reference run to 1e-4 in float32 on webgpu",
    ...GPU_TEST,
  },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const subset = UNIPC;
    assert.equal(subset.length, 64);
    for (const run of subset) await check(run, gpu, 1e-4);
  },
);

Deno.test("uniPc() skips the corrector on the final step unless asked and reuses predictor-point model values", async () => {
  const cpu = await createBackend("cpu");
  const gm = gaussianMixture(SPEC, LINEAR);
  const grid = timeGrid(LINEAR, 6, { kind: "logSNR" });
  const x = cpu.upload(NOISE.subarray(0, 16));
  const plain = await uniPc(gm, x, grid, { order: 3 });
  assert.equal(plain.nfe, 6);
  const extra = await uniPc(gm, x, grid, { order: 3, finalCorrector: true });
  assert.equal(extra.nfe, 7);
  assert.equal(extra.modelTimes[6], grid[6]);
  const a = await cpu.download(plain.x), b = await cpu.download(extra.x);
  assert.ok(relErr(a, b) > 1e-8); // the final corrector changes the result
  assert.ok(relErr(a, b) < 0.1);
  // the model is called at the grid points only (corrector values are reused)
  assert.deepEqual(plain.modelTimes, grid.slice(0, 6));
});

Deno.test("uniPc() rejects bad orders, variants, grids and shapes", async () => {
  const cpu = await createBackend("cpu");
  const gm = gaussianMixture(SPEC, LINEAR);
  const x = cpu.upload(NOISE.subarray(0, 8));
  await assert.rejects(() => uniPc(gm, x, [1, 0.5, 0.1], { order: 4 }), {
    name: "SdenoRangeError",
    message: /order must be one of 1, 2, 3, got "4"/,
  });
  await assert.rejects(() => uniPc(gm, x, [1, 0.5, 0.1], { order: 3 }), {
    name: "SdenoRangeError",
    message: /order 3 needs at least 3 steps, got 2/,
  });
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => uniPc(gm, x, [1, 0.5, 0.1], { variant: "vary_coeff" as any }),
    { name: "SdenoRangeError" },
  );
  await assert.rejects(() => uniPc(gm, x, [1, 0.5, 0.7, 0.1]), {
    name: "SdenoRangeError",
    message: /strictly decreasing/,
  });
  await assert.rejects(() => uniPc(gm, cpu.upload([1, 2, 3]), [1, 0.5]), {
    name: "SdenoTypeError",
    message: /not a positive multiple of the denoiser's dim "2"/,
  });
});
