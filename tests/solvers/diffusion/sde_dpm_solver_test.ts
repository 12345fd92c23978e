import assert from "node:assert/strict";
import { createBackend, fillNormal, makeKey } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { sdeDpmSolver } from "../../../solvers/diffusion/sde_dpm_solver.ts";
import { dpmSolver } from "../../../solvers/diffusion/dpm_solver.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { NOISE, relErr, SPEC } from "./_fixture.ts";

const cpu = await createBackend("cpu");
const LINEAR = vpLinearSchedule();

Deno.test("sdeDpmSolver() with η = 0 equals dpmSolver() dpmsolver++ multistep (orders 1, 2) to 1e-12", async () => {
  const gm = gaussianMixture(SPEC, LINEAR);
  for (const steps of [6, 20]) {
    const grid = timeGrid(LINEAR, steps, { kind: "logSNR" });
    for (const order of [1, 2]) {
      const x = cpu.upload(NOISE);
      const a = await sdeDpmSolver(gm, x, grid, { eta: 0, order });
      const b = await dpmSolver(gm, x, grid, { algorithm: "dpmsolver++", order });
      const e = relErr(await cpu.download(a.x), await cpu.download(b.x));
      assert.ok(e < 1e-12, `steps ${steps} order ${order}: ${e}`);
      assert.deepEqual(a.modelTimes, b.modelTimes);
    }
  }
});

// The target N(μ, v) in 1-D: started from the exact marginal at t = 1, the reverse SDE keeps the
// exact marginal N(α μ, α² v + σ²) at every t. The solvers are weak order 1 and 2: the variance
// bias of the first-order rule is −0.045, −0.021, −0.0105 at 50, 100, 200 logSNR steps (halving,
// as weak order 1), that of (2M) is within the noise from 50 steps on. With 1000 steps for order 1
// (bias ≈ 0.002) and 100 for (2M) the bias is below one standard error of n = 20000 samples, so
// mean and variance must be within 4 standard errors (SE(mean) = √(var/n), SE(var) ≈ var·√(2/n)).
Deno.test("sdeDpmSolver() SDE-DPM-Solver++(1) and (2M) sample a 1-D Gaussian within |z| < 4", async () => {
  const mu = 0.5, v = 0.25, n = 20000;
  const gm = gaussianMixture({ weights: [1], means: [[mu]], variances: [[v]] }, LINEAR);
  const z = new Float64Array(n);
  fillNormal(z, makeKey(3, 0));
  for (const [order, solverType] of [[1, "midpoint"], [2, "midpoint"], [2, "heun"]] as const) {
    const steps = order === 1 ? 1000 : 100;
    const grid = timeGrid(LINEAR, steps, { kind: "logSNR" });
    const t0 = grid[0]!, t1 = grid[steps]!;
    const sd0 = Math.sqrt(LINEAR.alpha(t0) ** 2 * v + LINEAR.sigma(t0) ** 2);
    const x = cpu.upload(z.map((e) => LINEAR.alpha(t0) * mu + sd0 * e));
    const mean1 = LINEAR.alpha(t1) * mu;
    const var1 = LINEAR.alpha(t1) ** 2 * v + LINEAR.sigma(t1) ** 2;
    const r = await sdeDpmSolver(gm, x, grid, { order, solverType, key: makeKey(11, order) });
    const y = Float64Array.from(await cpu.download(r.x));
    const m = y.reduce((a, b) => a + b, 0) / n;
    const s2 = y.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
    const zMean = (m - mean1) / Math.sqrt(var1 / n);
    const zVar = (s2 - var1) / (var1 * Math.sqrt(2 / n));
    assert.ok(Math.abs(zMean) < 4, `order ${order} ${solverType}: mean z = ${zMean}`);
    assert.ok(Math.abs(zVar) < 4, `order ${order} ${solverType}: variance z = ${zVar}`);
  }
});

Deno.test("sdeDpmSolver() is stochastic with η > 0 and reproducible per key", async () => {
  const gm = gaussianMixture(SPEC, LINEAR);
  const grid = timeGrid(LINEAR, 10, { kind: "logSNR" });
  const x = cpu.upload(NOISE);
  const run = async (seed: number) =>
    await cpu.download((await sdeDpmSolver(gm, x, grid, { key: makeKey(seed, 0) })).x);
  const [a, b, c] = [await run(1), await run(1), await run(2)];
  assert.deepEqual(a, b);
  assert.ok(relErr(a, c) > 1e-3);
});

Deno.test("sdeDpmSolver() rejects a bad order, η and solver type", async () => {
  const gm = gaussianMixture(SPEC, LINEAR);
  const grid = timeGrid(LINEAR, 5);
  const x = cpu.upload(NOISE.subarray(0, 4));
  await assert.rejects(() => sdeDpmSolver(gm, x, grid, { order: 3 }), { name: "SdenoRangeError" });
  await assert.rejects(() => sdeDpmSolver(gm, x, grid, { eta: -1 }), {
    name: "SdenoRangeError",
    message: /eta must be a finite number ≥ 0, got "-1"/,
  });
  await assert.rejects(
    () => sdeDpmSolver(gm, x, grid, { solverType: "rk4" as "heun" }),
    { name: "SdenoRangeError", message: /solverType/ },
  );
  await assert.rejects(() => sdeDpmSolver(gm, x, [0.5, 0.9]), { name: "SdenoRangeError" });
});
