// The SSA ensemble kernel against its CPU twin: paths stopped at maxSteps,
// and the firing cap that keeps a path under llvmpipe's loop limit (a path
// that would need more firings is refused, not cut short).
import assert from "node:assert/strict";
import { makeKey, NumericalError } from "../../kernels/mod.ts";
import {
  launchSsaEnsemble,
  ssaEnsembleCpu,
  type SsaEnsemblePlan,
  type SsaEnsembleSums,
  type SsaKernelNetwork,
} from "../../kernels/ssa_ensemble.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

function same(g: SsaEnsembleSums, c: SsaEnsembleSums, label: string) {
  assert.equal(g.steps, c.steps, `${label}: steps`);
  assert.equal(g.stepsSq, c.stepsSq, `${label}: steps²`);
  assert.equal(g.absorbed, c.absorbed, `${label}: absorbed`);
  assert.equal(g.overSteps, c.overSteps, `${label}: over maxSteps`);
  assert.equal(g.badPropensity, c.badPropensity, `${label}: bad propensities`);
  assert.equal(g.firstBadPath, c.firstBadPath, `${label}: first bad path`);
  assert.deepEqual(g.sum, c.sum, `${label}: sums`);
  assert.deepEqual(g.sumSq, c.sumSq, `${label}: sums of squares`);
  assert.deepEqual(g.counts, c.counts, `${label}: counts`);
  assert.deepEqual(g.histogram, c.histogram, `${label}: histogram`);
}

// A + B <-> C, C -> 0, with A-B binding as mass action
const BINDING: SsaKernelNetwork = {
  species: 3,
  reactions: [
    {
      name: "bind",
      reactants: [[0, 1], [1, 1]],
      change: [[0, -1], [1, -1], [2, 1]],
      dependents: [0, 1, 2],
    },
    {
      name: "unbind",
      reactants: [[2, 1]],
      change: [[0, 1], [1, 1], [2, -1]],
      dependents: [0, 1, 2],
    },
    { name: "decay", reactants: [[2, 2]], change: [[2, -1]], dependents: [1, 2] },
  ],
};

const PLAN: SsaEnsemblePlan = {
  constants: [0.01, 0.5, 0.02],
  x0: [60, 40, 5],
  saveTimes: [0.05, 0.1, 0.1, 0.4, 1],
  tEnd: 1,
  paths: 200,
  pathOffset: 3,
  key: makeKey(11, 2),
  purpose: 9,
  maxSteps: 0xffffffff,
  record: true,
  histogram: { species: 2, lo: 0, width: 2, bins: 10 },
};

Deno.test({
  name: "SSA kernel: paths stopped at maxSteps (odd and even) match the cpu twin",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  for (const maxSteps of [1, 6, 37, 0xffffffff]) {
    const plan = { ...PLAN, maxSteps };
    const c = ssaEnsembleCpu(BINDING, plan);
    if (maxSteps < 100) assert.ok(c.overSteps > 0);
    same(await launchSsaEnsemble(gpu.ctx, BINDING, plan), c, `maxSteps ${maxSteps}`);
  }
});

// 0 -> X at rate r: exactly one firing per unit of r·t on average, and no absorbing state
const BIRTH: SsaKernelNetwork = {
  species: 1,
  reactions: [{ name: "birth", reactants: [], change: [[0, 1]], dependents: [] }],
};

Deno.test({
  name: "SSA kernel: paths just under the firing cap match the cpu twin bit for bit",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  // about 31000 firings per path, below the cap of 32255 − 2 saves
  const plan: SsaEnsemblePlan = {
    ...PLAN,
    constants: [31000],
    x0: [0],
    saveTimes: [0.5, 1],
    paths: 64,
    histogram: { species: 0, lo: 0, width: 1024, bins: 40 },
  };
  const c = ssaEnsembleCpu(BIRTH, plan);
  assert.ok(c.steps / plan.paths > 30000, `mean firings ${c.steps / plan.paths}`);
  same(await launchSsaEnsemble(gpu.ctx, BIRTH, plan), c, "birth near the cap");
});

Deno.test({
  name: "SSA kernel: paths beyond the firing cap raise a NumericalError, not wrong results",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  // about 40000 firings per path: beyond the cap, which a silent loop limit would cut
  const plan: SsaEnsemblePlan = {
    ...PLAN,
    constants: [40000],
    x0: [0],
    saveTimes: [1],
    paths: 64,
    histogram: { species: 0, lo: 0, width: 1024, bins: 40 },
  };
  await assert.rejects(
    launchSsaEnsemble(gpu.ctx, BIRTH, plan),
    (e: Error) =>
      e instanceof NumericalError && /needed more than 32254 firings/.test(e.message) &&
      /cpu backend/.test(e.message),
  );
  // a user maxSteps below the cap is reported as such, by the caller, as on cpu
  const capped = await launchSsaEnsemble(gpu.ctx, BIRTH, { ...plan, maxSteps: 1000 });
  assert.equal(capped.overSteps, plan.paths);
  // too many save times for the loop limit: refused before any work
  await assert.rejects(
    launchSsaEnsemble(gpu.ctx, BIRTH, {
      ...plan,
      saveTimes: Array.from({ length: 40000 }, (_, i) => (i + 1) / 40000),
    }),
    /at most 32254 save times/,
  );
});
