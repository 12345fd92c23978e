import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { denoiserFromNative } from "../../../models/denoiser.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { dpmSolver } from "../../../solvers/diffusion/dpm_solver.ts";
import { dpmSolverPlan } from "../../../solvers/diffusion/dpm_solver_plan.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { DISCRETE, LINEAR, RUNS } from "./_fixture.ts";

Deno.test("timeGrid() and dpmSolverPlan() give the reference's grids and orders (1e-12)", () => {
  let n = 0;
  for (const run of RUNS) {
    if (!run.id.startsWith("dpm_") && !run.id.startsWith("unipc_")) continue;
    if (!run.metrics.finite) continue;
    const r = run as unknown as {
      timesteps?: number[];
      timesteps_outer?: number[];
      orders?: number[];
    };
    const schedule = run.config.schedule === "discrete" ? DISCRETE : LINEAR;
    const sa = run.call.sample_args;
    const plan = dpmSolverPlan(schedule, sa.steps as number, {
      method: (run.config.method ?? "multistep") as "multistep" | "singlestep",
      order: run.config.order,
      kind: run.config.skip_type === "logSNR" ? "logSNR" : "uniform",
      tStart: sa.t_start as number,
      tEnd: sa.t_end as number,
    });
    const want = r.timesteps ?? r.timesteps_outer!;
    assert.equal(plan.grid.length, want.length, run.id);
    want.forEach((t, i) => assert.ok(Math.abs(plan.grid[i]! - t) <= 1e-12, `${run.id} ${i}`));
    if (r.orders) assert.deepEqual(plan.orders, r.orders, run.id);
    n++;
  }
  assert.equal(n, 224);
});

Deno.test("timeGrid() kinds: uniform, quadratic, karras on EDM (k-diffusion's values), exponential", () => {
  const close = (a: number[], b: number[]) =>
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-15, `${a} vs ${b}`));
  const u = timeGrid(LINEAR, 4, { tEnd: 0.2 });
  close(u, [1, 0.8, 0.6, 0.4, 0.2]);
  assert.equal(u[4], 0.2); // torch-style linspace: both ends exact
  close(timeGrid(LINEAR, 2, { kind: "quadratic", tStart: 1, tEnd: 0.25 }), [1, 0.5625, 0.25]);
  const k = timeGrid(edmSchedule(), 4, { kind: "karras", appendZero: true });
  const want = [80, 17.5278, 2.51522, 0.169753, 0.002, 0];
  k.forEach((s, i) => assert.ok(Math.abs(s - want[i]!) < 1e-4 * Math.max(1, want[i]!), `${i}`));
  const e = timeGrid(edmSchedule(), 2, { kind: "exponential", tStart: 4, tEnd: 1 });
  assert.ok(Math.abs(e[1]! - 2) < 1e-14);
  // karras on a VP schedule is spaced in σ/α = e^{−λ}
  const kv = timeGrid(LINEAR, 3, { kind: "karras", rho: 1 });
  const s = kv.map((t) => Math.exp(-LINEAR.logSnr(t)));
  assert.ok(Math.abs(s[1]! - s[0]! - (s[2]! - s[1]!)) < 1e-9 * s[0]!);
  // explicit lists are checked
  assert.deepEqual(timeGrid(LINEAR, [0.9, 0.5, 0.1]), [0.9, 0.5, 0.1]);
});

Deno.test("timeGrid() rejects non-monotone lists, t_end below the range and bad steps", () => {
  assert.throws(() => timeGrid(LINEAR, [0.9, 0.95, 0.1]), {
    name: "SdenoRangeError",
    message: /grid must be strictly decreasing, got "0\.95" after "0\.9" at index 1/,
  });
  assert.throws(() => timeGrid(DISCRETE, 10, { tEnd: 1e-4 }), {
    name: "SdenoRangeError",
    message: /tEnd "0\.0001" is below the vp-discrete schedule's valid range \(tMin = 0\.001\)/,
  });
  assert.throws(() => timeGrid(LINEAR, 10, { tStart: 2 }), { name: "SdenoRangeError" });
  assert.throws(() => timeGrid(LINEAR, 0), { name: "SdenoRangeError" });
  assert.throws(() => timeGrid(LINEAR, 2.5), { name: "SdenoTypeError" });
  assert.throws(() => timeGrid(LINEAR, [0.5, NaN]), { name: "SdenoRangeError" });
  assert.throws(() => timeGrid(LINEAR, [0.5, "0.1" as unknown as number]), {
    name: "SdenoTypeError",
  });
});

Deno.test("dpmSolver() stops with NumericalError naming step, time and index on NaN", async () => {
  const cpu = await createBackend("cpu");
  const bad = denoiserFromNative({
    dim: 2,
    kind: "eps",
    schedule: LINEAR,
    async predict(x, t, out) {
      const v = Array.from(await x.backend.download(x));
      if (t < 0.5) v[3] = NaN;
      await out.backend.write(out, v);
    },
  });
  const grid = timeGrid(LINEAR, 4, { tEnd: 0.1 }); // 1, 0.775, 0.55, 0.325, 0.1
  // the model output at t = 0.325 (step 3) is checked where it is made
  await assert.rejects(() => dpmSolver(bad, cpu.upload([1, 2, 3, 4]), grid, { order: 1 }), {
    name: "NumericalError",
    step: 3,
    time: 0.325,
    index: 3,
  });
});

Deno.test("dpmSolver() rejects unsupported orders, bad options and misfit shapes", async () => {
  const cpu = await createBackend("cpu");
  const d = denoiserFromNative({ dim: 3, kind: "eps", schedule: LINEAR, predict: async () => {} });
  const x = cpu.upload([1, 2, 3]);
  await assert.rejects(() => dpmSolver(d, x, [1, 0.5, 0.2], { order: 4 }), {
    name: "SdenoRangeError",
    message: /order must be one of 1, 2, 3, got "4"/,
  });
  await assert.rejects(() => dpmSolver(d, x, [1, 0.5], { order: 2 }), {
    name: "SdenoRangeError",
    message: /multistep order 2 needs at least 2 steps, got 1/,
  });
  await assert.rejects(
    () => dpmSolver(d, x, [1, 0.5, 0.2], { method: "singlestep", orders: [3] }),
    { name: "SdenoTypeError", message: /orders must have one entry per step \(2\), got 1/ },
  );
  await assert.rejects(() => dpmSolver(d, cpu.upload([1, 2]), [1, 0.5]), {
    name: "SdenoTypeError",
    message: /x has 2 elements, not a positive multiple of the denoiser's dim "3"/,
  });
  await assert.rejects(() => dpmSolver(d, x, [1, 1, 0.5]), { name: "SdenoRangeError" });
});
