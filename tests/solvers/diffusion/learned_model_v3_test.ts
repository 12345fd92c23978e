// Issue 14, items 1 and 6 of "Deliver" (DPM-Solver-v3 with computed statistics, solver-schedule
// search) on a shipped learned model: the ring MLP of models/shipped (EDM schedule, x₀
// prediction, float32 weights evaluated in float64 on the cpu backend). The reference is the
// learned model's own probability-flow ODE, solved with DPM-Solver++(3M) on 500 logSNR steps
// (it differs from the 250-step solution by 4e-5 RMS on these draws).
import assert from "node:assert/strict";
import { createBackend, fillNormal } from "../../../kernels/mod.ts";
import { Mlp } from "../../../models/mlp.ts";
import { readNpy } from "../../../io/mod.ts";
import { sampleDataset } from "../../../processes/sample_dataset.ts";
import { dpmSolver } from "../../../solvers/diffusion/dpm_solver.ts";
import { dpmSolverV3 } from "../../../solvers/diffusion/dpm_solver_v3.ts";
import { computeStatistics } from "../../../solvers/diffusion/dpm_solver_v3_statistics.ts";
import { sampleWithSchedule, searchSchedule } from "../../../solvers/diffusion/schedule_search.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";

const DIR = new URL("../../../models/shipped/", import.meta.url);
const card = JSON.parse(await Deno.readTextFile(new URL("ring.json", DIR)));
const weights = await readNpy(new URL(card.weights.file, DIR));
const MODEL = Mlp.fromCard(card, weights.data as Float32Array).denoiser();
const S = MODEL.schedule;
const cpu = await createBackend("cpu");

/** n starting points x_T = σ_max z (EDM: α = 1), keyed Philox normals. */
function draws(n: number, stream: number): Float64Array {
  const z = new Float64Array(2 * n);
  fillNormal(z, { seed: 14, stream });
  return z.map((v) => S.tMax * v);
}

async function run3M(x: Float64Array, grid: number[]): Promise<Float64Array> {
  const r = await dpmSolver(MODEL, cpu.upload(x), grid, { algorithm: "dpmsolver++", order: 3 });
  return Float64Array.from(await cpu.download(r.x));
}

/** RMSE over all numbers and the median of the rows' RMS errors. */
function errors(x: ArrayLike<number>, truth: Float64Array) {
  const rows: number[] = [];
  let all = 0;
  for (let r = 0; r < truth.length / 2; r++) {
    const a = (x[2 * r]! - truth[2 * r]!) ** 2 + (x[2 * r + 1]! - truth[2 * r + 1]!) ** 2;
    all += a;
    rows.push(Math.sqrt(a / 2));
  }
  rows.sort((p, q) => p - q);
  return { rmse: Math.sqrt(all / truth.length), median: rows[rows.length >> 1]! };
}

const f4 = (v: number) => v.toFixed(4);

// Measured (256 draws, statistics from 256 ring points on 200 λ intervals; RMSE / median row error):
//   NFE 5: 3M 0.587/0.618, v3 0.446/0.221;  NFE 6: 3M 0.528/0.509, v3 0.402/0.209;
//   NFE 10: 3M 0.056/0.032, v3 0.159/0.060  (another seed, 8 steps: 3M 0.166/0.134, v3 0.315/0.136).
// As on the exact ring (dpm_solver_v3_test.ts), v3 wins at the smallest budgets and loses from
// NFE 8 on: its RMSE is set by the few trajectories that change mode.
Deno.test("dpmSolverV3() with statistics computed from the shipped ring MLP beats DPM-Solver++(3M) against the model's own ODE at NFE 5 and 6, not at 10", async () => {
  const x = draws(256, 1);
  const truth = await run3M(x, timeGrid(S, 500, { kind: "logSNR" }));
  const data = sampleDataset("ring", { n: 256, key: { seed: 14, stream: 2 } }).data;
  const stats = await computeStatistics(MODEL, data, { steps: 200 });
  assert.equal(stats.l.length, 201 * 2);
  const table: string[] = [];
  const at: Record<number, { v3: ReturnType<typeof errors>; m3: ReturnType<typeof errors> }> = {};
  for (const nfe of [5, 6, 10]) {
    const grid = timeGrid(S, nfe, { kind: "logSNR" });
    const m3 = errors(await run3M(x, grid), truth);
    const r = await dpmSolverV3(MODEL, cpu.upload(x), grid, { statistics: stats });
    assert.equal(r.nfe, nfe);
    const v3 = errors(await cpu.download(r.x), truth);
    at[nfe] = { v3, m3 };
    table.push(
      `NFE ${nfe}: 3M ${f4(m3.rmse)}/${f4(m3.median)}, v3 ${f4(v3.rmse)}/${f4(v3.median)}`,
    );
  }
  console.log(`RMSE/median row error vs the learned ODE:\n  ${table.join("\n  ")}`);
  for (const nfe of [5, 6]) {
    assert.ok(at[nfe]!.v3.rmse < 0.9 * at[nfe]!.m3.rmse, table.join("; "));
    assert.ok(at[nfe]!.v3.median < 0.5 * at[nfe]!.m3.median, table.join("; "));
  }
  // the honest other half: at NFE 10 3M is the better solver on this model
  assert.ok(at[10]!.v3.median > at[10]!.m3.median, table.join("; "));
});

Deno.test("searchSchedule() on the shipped ring MLP cuts the NFE-5 error against the model's own ODE vs 3M on the logSNR grid, on held-out draws", async () => {
  const plan = await searchSchedule(MODEL, draws(64, 3), { nfe: 5, referenceSteps: 250 });
  assert.equal(plan.times.length, 6);
  const test = draws(256, 4);
  const truth = await run3M(test, timeGrid(S, 500, { kind: "logSNR" }));
  const base = errors(await run3M(test, timeGrid(S, 5, { kind: "logSNR" })), truth);
  const r = await sampleWithSchedule(MODEL, cpu.upload(test), plan);
  assert.equal(r.nfe, 5);
  const searched = errors(await cpu.download(r.x), truth);
  const cut = 1 - searched.rmse / base.rmse;
  console.log(
    `NFE 5 held-out RMSE: logSNR 3M ${f4(base.rmse)}, searched ${f4(searched.rmse)} (−${
      (100 * cut).toFixed(0)
    }%); orders ${plan.orders}, times ${plan.times.map((t) => t.toPrecision(3))}`,
  );
  // measured: logSNR 3M 0.594 -> searched 0.112 (−81%), orders 1,1,3,2,3
  assert.ok(cut >= 0.2, `searched ${searched.rmse} vs logSNR 3M ${base.rmse}`);
});
