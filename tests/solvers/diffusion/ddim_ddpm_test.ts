import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { ddim } from "../../../solvers/diffusion/ddim.ts";
import { ddpm } from "../../../solvers/diffusion/ddpm.ts";
import { dpmSolver } from "../../../solvers/diffusion/dpm_solver.ts";
import { philoxNoise } from "../../../solvers/diffusion/noise.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { DISCRETE, LINEAR, NOISE, relErr, SPEC } from "./_fixture.ts";

Deno.test("ddim() with eta 0 equals DPM-Solver-1 in both forms to 1e-12", async () => {
  const cpu = await createBackend("cpu");
  for (const schedule of [LINEAR, DISCRETE]) {
    const gm = gaussianMixture(SPEC, schedule);
    const grid = timeGrid(schedule, 12, { kind: "logSNR" });
    const x = cpu.upload(NOISE);
    const a = await ddim(gm, x, grid);
    const b = await dpmSolver(gm, x, grid, { order: 1 });
    const c = await dpmSolver(gm, x, grid, { order: 1, algorithm: "dpmsolver" });
    const xa = await cpu.download(a.x);
    assert.ok(relErr(xa, await cpu.download(b.x)) < 1e-12);
    assert.ok(relErr(xa, await cpu.download(c.x)) < 1e-12);
    assert.equal(a.nfe, 12);
  }
});

Deno.test("ddim() with eta 1 equals ddpm() (posterior variance) with the same noise", async () => {
  const cpu = await createBackend("cpu");
  const gm = gaussianMixture(SPEC, LINEAR);
  const grid = timeGrid(LINEAR, 15);
  const noise = philoxNoise({ seed: 11, stream: 0 });
  const x = cpu.upload(NOISE);
  const a = await ddim(gm, x, grid, { eta: 1, noise });
  const b = await ddpm(gm, x, grid, { noise });
  assert.ok(relErr(await cpu.download(a.x), await cpu.download(b.x)) < 1e-12);
  const c = await ddim(gm, x, grid, { eta: 1, noise: philoxNoise({ seed: 12, stream: 0 }) });
  assert.ok(relErr(await cpu.download(a.x), await cpu.download(c.x)) > 1e-3);
});

Deno.test("ddpm() samples the noised marginal of a Gaussian (mean and variance, |z| < 4)", async () => {
  // x₀ ~ N(1, 0.25); at t_end the exact marginal is N(α m, α² v + σ²). 300 ancestral steps on the
  // logSNR grid (h ≈ 0.032 each); plugging x̂₀ into the posterior loses variance per step, which is
  // small here (the uniform-in-t grid, whose last steps have h > 0.4, loses ~6%).
  const cpu = await createBackend("cpu");
  const m = 1, v = 0.25, n = 12000;
  const gm = gaussianMixture({ weights: [1], means: [[m]], variances: [[v]] }, LINEAR);
  const x = cpu.zeros(n);
  await cpu.fillNormal(x, { seed: 5, stream: 1 });
  const grid = timeGrid(LINEAR, 300, { kind: "logSNR", tEnd: 1e-3 });
  const r = await ddpm(gm, x, grid, { key: { seed: 5, stream: 2 } });
  const xs = Array.from(await cpu.download(r.x));
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const varr = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const t = grid[300]!, a = LINEAR.alpha(t), s = LINEAR.sigma(t);
  const mv = a * a * v + s * s;
  assert.ok(Math.abs(mean - a * m) / Math.sqrt(mv / n) < 4, `mean ${mean}`);
  assert.ok(Math.abs(varr - mv) / (mv * Math.sqrt(2 / n)) < 4, `var ${varr} vs ${mv}`);
});

Deno.test("ddim() and ddpm() reject negative eta, unknown variance and bad grids", async () => {
  const cpu = await createBackend("cpu");
  const gm = gaussianMixture(SPEC, LINEAR);
  const x = cpu.upload(NOISE.subarray(0, 4));
  await assert.rejects(() => ddim(gm, x, [1, 0.5], { eta: -1 }), { name: "SdenoRangeError" });
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => ddpm(gm, x, [1, 0.5], { variance: "small" as any }), {
    name: "SdenoRangeError",
  });
  await assert.rejects(() => ddpm(gm, x, [0.5, 1]), { name: "SdenoRangeError" });
});
