// SA-Solver against diffusers' SASolverScheduler.step run in float64 on the exact mixture with the
// same injected noise (tests/fixtures/practitioner/samplers.json), and its orders at τ = 0 on the exact
// probability-flow ODE of a Gaussian.
import assert from "node:assert/strict";
import { createBackend, SdenoRangeError, SdenoTypeError } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { ddpmLinearBetas, vpDiscreteSchedule } from "../../../processes/vp_discrete_schedule.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { saSolver, saSolverMethod } from "../../../solvers/diffusion/sa_solver.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { maxRelErr, RUNS, SPEC, STORED_NOISE, Z } from "./_practitioner_fixture.ts";

const cpu = await createBackend("cpu");
const DISCRETE = vpDiscreteSchedule({ betas: ddpmLinearBetas() });

Deno.test("saSolver() equals diffusers' SASolverScheduler to 1e-9 (orders 1–3, τ 0, 0.5, 1, the default rule)", async () => {
  const gm = gaussianMixture(SPEC, DISCRETE);
  const taus: Record<string, number | undefined> = {
    sa_p2c2_default_tau: undefined,
    sa_p3c3_tau0: 0,
    sa_p1c1_tau1: 1,
    sa_p3c2_tau05_nolof: 0.5,
  };
  for (const [id, tau] of Object.entries(taus)) {
    const run = RUNS[id]!;
    // diffusers' timestep k is the knot t = (k + 1)/1000; its last σ is that of k = 0
    const grid = [...run.timesteps!.map((k) => (k + 1) / 1000), 1 / 1000];
    const r = await saSolver(gm, cpu.upload(Z), grid, {
      predictorOrder: run.predictorOrder as number,
      correctorOrder: run.correctorOrder as number,
      lowerOrderFinal: run.lowerOrderFinal as boolean,
      ...(tau !== undefined ? { tau } : {}),
      noise: STORED_NOISE,
      query: "eps",
    });
    const e = maxRelErr(await cpu.download(r.x), run.x);
    assert.ok(e < 1e-9, `${id}: ${e}`);
    assert.equal(r.nfe, run.nfe);
    assert.equal(r.noiseCalls.length, run.noiseCalls);
  }
});

// With lowerOrderFinal the last predictor step has order 1, which caps the global order at 2: the
// default (P = C = 2) is checked with it, order 3 without it.
Deno.test("saSolver() at τ = 0 converges at its orders on the exact flow of a Gaussian (default: 2, P = C = 3 without lowerOrderFinal: 3)", async () => {
  const s = vpLinearSchedule();
  const v = 0.25, m = 0.5;
  const gm = gaussianMixture({ weights: [1], means: [[m]], variances: [[v]] }, s);
  const sd = (t: number) => Math.sqrt(s.alpha(t) ** 2 * v + s.sigma(t) ** 2);
  const x0 = [1.5, -0.7];
  for (const [order, want] of [[2, saSolverMethod.info.order], [3, 3]] as const) {
    const errs: number[] = [];
    const ns = [20, 40, 80, 160];
    for (const n of ns) {
      const grid = timeGrid(s, n, { kind: "logSNR", tEnd: 0.05 });
      const t0 = grid[0]!, t1 = grid[n]!;
      const r = await saSolver(gm, cpu.upload(x0), grid, {
        tau: 0,
        predictorOrder: order,
        correctorOrder: order,
        lowerOrderFinal: order === 2,
      });
      const x = await cpu.download(r.x);
      errs.push(
        Math.max(
          ...x0.map((xi, i) =>
            Math.abs(x[i]! - (s.alpha(t1) * m + (xi - s.alpha(t0) * m) * sd(t1) / sd(t0)))
          ),
        ),
      );
    }
    // least-squares slope of log err on log n over the four runs
    const lx = ns.map(Math.log2), ly = errs.map(Math.log2);
    const mx = lx.reduce((a, b) => a + b) / 4, my = ly.reduce((a, b) => a + b) / 4;
    const fitted = -lx.reduce((a, xi, i) => a + (xi - mx) * (ly[i]! - my), 0) /
      lx.reduce((a, xi) => a + (xi - mx) ** 2, 0);
    assert.ok(Math.abs(fitted - want) < 0.2, `order ${order}: errors ${errs}, fitted ${fitted}`);
  }
});

Deno.test("saSolver() refuses bad orders and τ before any work", async () => {
  const gm = gaussianMixture(SPEC, DISCRETE);
  const grid = [1, 0.5, 0.1];
  await assert.rejects(
    () => saSolver(gm, cpu.upload(Z), grid, { predictorOrder: 5 }),
    SdenoRangeError,
  );
  await assert.rejects(() => saSolver(gm, cpu.upload(Z), grid, { tau: -1 }), /tau must be/);
  await assert.rejects(
    () => saSolver(gm, cpu.upload(Z), grid, { tau: "x" as unknown as number }),
    SdenoTypeError,
  );
  await assert.rejects(() => saSolver(gm, cpu.upload(Z), grid, { tau: () => NaN }), /tau\(1\)/);
  await assert.rejects(
    () => saSolver(gm, cpu.upload(Z), grid, { lowerOrderFinal: 1 as unknown as boolean }),
    /lowerOrderFinal must be a boolean/,
  );
});
