import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { dynamicThresholding } from "../../../solvers/diffusion/dynamic_thresholding.ts";
import { dpmSolver } from "../../../solvers/diffusion/dpm_solver.ts";
import { ddim } from "../../../solvers/diffusion/ddim.ts";
import { uniPc } from "../../../solvers/diffusion/unipc.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import type { DiffusionStepInfo } from "../../../solvers/diffusion/types.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { NOISE, SPEC } from "./_fixture.ts";

const cpu = await createBackend("cpu");

Deno.test("dynamicThresholding() on a hand-computed batch (torch.quantile, max_val floor)", async () => {
  // row 1: |x| sorted 0.5 1 2 3 4, position 0.995·4 = 3.98 → s = 3 + 0.98·1 = 3.98
  // row 2: quantile 0.4 + 0.98·0.1 = 0.498 < 1 → s = 1, unchanged
  // row 3 with ratio 0.5: position 2 → s = 2 (exact order statistic), maxVal 0.5
  const x = cpu.upload([3, -1, 0.5, -4, 2, 0.1, -0.2, 0.3, 0.4, -0.5]);
  await dynamicThresholding()(x, { t: 0.5, dim: 5 });
  const want = [3 / 3.98, -1 / 3.98, 0.5 / 3.98, -1, 2 / 3.98, 0.1, -0.2, 0.3, 0.4, -0.5];
  const got = await cpu.download(x);
  want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-15, `${i}: ${got[i]} vs ${w}`));
  const y = cpu.upload([-3, 1, 2, 0.2, -5]);
  await dynamicThresholding({ ratio: 0.5, maxVal: 0.5 })(y, { t: 0.5, dim: 5 });
  assert.deepEqual([...await cpu.download(y)], [-1, 0.5, 1, 0.1, -1]);
});

Deno.test("dynamicThresholding() keeps every x̂₀ of dpmSolver++, DDIM and UniPC in [−1, 1]", async () => {
  const s = vpLinearSchedule();
  const gm = gaussianMixture(SPEC, s); // the ring has radius 2: thresholding is active
  const grid = timeGrid(s, 10, { kind: "logSNR" });
  const x = cpu.upload(NOISE);
  const correctX0 = dynamicThresholding();
  for (const name of ["dpmsolver++", "ddim", "unipc"] as const) {
    let worst = 0, calls = 0;
    const onStep = async (info: DiffusionStepInfo) => {
      if (!info.x0Hat) return;
      calls++;
      for (const v of await cpu.download(info.x0Hat)) worst = Math.max(worst, Math.abs(v));
    };
    const run = (c: typeof correctX0 | undefined) => {
      const o = c ? { correctX0: c, onStep } : {};
      if (name === "ddim") return ddim(gm, x, grid, o);
      if (name === "unipc") return uniPc(gm, x, grid, { variant: "bh2", ...o });
      return dpmSolver(gm, x, grid, { order: 2, ...o });
    };
    const plain = await cpu.download((await run(undefined)).x);
    const r = await run(correctX0);
    const out = await cpu.download(r.x);
    assert.ok(calls > 0, name);
    assert.ok(worst <= 1 + 1e-12, `${name}: |x̂₀| up to ${worst}`);
    // the samples are pulled into the unit box; without the corrector they reach radius ~2
    assert.ok(Math.max(...plain.map(Math.abs)) > 1.5, name);
    assert.ok(Math.max(...out.map(Math.abs)) < 1.05, `${name}: ${Math.max(...out.map(Math.abs))}`);
  }
});

Deno.test(
  { name: "dynamicThresholding() gives the same result on webgpu", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const data = Float64Array.from({ length: 400 }, (_, i) => 3 * Math.sin(1.3 * i));
    const a = cpu.upload(data), b = gpu.upload(data);
    await dynamicThresholding()(a, { t: 0.1, dim: 20 });
    await dynamicThresholding()(b, { t: 0.1, dim: 20 });
    const x = await cpu.download(a), y = await gpu.download(b);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) < 1e-6);
  },
);

Deno.test("dynamicThresholding() rejects a bad ratio, maxVal and row size", async () => {
  assert.throws(() => dynamicThresholding({ ratio: 0 }), {
    name: "SdenoRangeError",
    message: /ratio must be in \(0, 1\], got "0"/,
  });
  assert.throws(() => dynamicThresholding({ ratio: 1.5 }), { name: "SdenoRangeError" });
  assert.throws(() => dynamicThresholding({ maxVal: -1 }), { name: "SdenoRangeError" });
  await assert.rejects(() => dynamicThresholding()(cpu.upload([1, 2, 3]), { t: 0, dim: 2 }), {
    name: "SdenoTypeError",
  });
});
