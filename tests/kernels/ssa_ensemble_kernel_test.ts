// The SSA ensemble kernel against its CPU twin on the cases the generated,
// branch-free kernel handles apart from the main loop: paths stopped at
// maxSteps (odd and even), custom propensities kept by a select when the
// dependency lists leave them out, and paths parked and resumed across
// dispatches (llvmpipe's loop limit).
import assert from "node:assert/strict";
import { makeKey, NumericalError, SdenoRangeError } from "../../kernels/mod.ts";
import {
  launchSsaEnsemble,
  ssaEnsembleCpu,
  type SsaEnsemblePlan,
  ssaEnsembleSource,
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

Deno.test({
  name: "SSA kernel: a custom propensity left out of the dependency lists keeps its value",
  ...GPU_TEST,
}, async () => {
  // "feed" reads B but only "feed" lists it as a dependent, so after "bind"
  // or "unbind" the twin keeps its old value; the kernel must too
  const net: SsaKernelNetwork = {
    ...BINDING,
    reactions: [
      ...BINDING.reactions.map((r) => ({ ...r, dependents: r.dependents.filter((k) => k !== 3) })),
      {
        name: "feed",
        reactants: [],
        change: [[0, 1]],
        dependents: [0, 3],
        custom: { wgsl: "return 0.25 * x[1];", cpu: (x) => 0.25 * x[1]! },
      },
    ],
  };
  assert.match(ssaEnsembleSource(net).source, /a_3 = select\(a_3, sd_user_3\(/);
  const plan = { ...PLAN, constants: [0.01, 0.5, 0.02, 0] };
  const c = ssaEnsembleCpu(net, plan);
  const gpu = await gpuBackend();
  if (!gpu) return;
  same(await launchSsaEnsemble(gpu.ctx, net, plan), c, "custom");
  // parked and resumed: the kept propensity travels in the path's state
  for (const dispatchBudget of [1, 7]) {
    const small = { ...plan, dispatchBudget };
    same(await launchSsaEnsemble(gpu.ctx, net, small), c, `custom, budget ${dispatchBudget}`);
  }
});

// a pure birth process at rate 1e6 up to t = 1: about 1e6 firings per path
const BIRTH: SsaKernelNetwork = {
  species: 1,
  reactions: [{ name: "birth", reactants: [], change: [[0, 1]], dependents: [] }],
};

Deno.test({
  name: "SSA kernel: paths of > 2^17 firings resume across dispatches and match the cpu twin",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  // birth-death around 3000, about 6000 firings per unit time, up to t = 40
  const net: SsaKernelNetwork = {
    species: 1,
    reactions: [
      { name: "birth", reactants: [], change: [[0, 1]], dependents: [1] },
      { name: "death", reactants: [[0, 1]], change: [[0, -1]], dependents: [1] },
    ],
  };
  const plan: SsaEnsemblePlan = {
    ...PLAN,
    constants: [3000, 1],
    x0: [0],
    saveTimes: [0.5, 1, 10, 25, 40],
    tEnd: 40,
    paths: 20,
    histogram: { species: 0, lo: 2900, width: 10, bins: 20 },
  };
  const c = ssaEnsembleCpu(net, plan);
  assert.ok(c.steps / plan.paths > 1 << 17, `${c.steps / plan.paths} firings per path`);
  same(await launchSsaEnsemble(gpu.ctx, net, plan), c, "long birth-death");
  // pure birth: 1e6 firings per path, no save time on the way
  const { histogram: _, ...rest } = PLAN;
  const birth = { ...rest, constants: [1e6], x0: [0], saveTimes: [1], paths: 8 };
  same(await launchSsaEnsemble(gpu.ctx, BIRTH, birth), ssaEnsembleCpu(BIRTH, birth), "birth");
});

Deno.test({
  name:
    "SSA kernel: small dispatch budgets park paths at every firing, save time, maxSteps and tEnd",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  // budget 1 parks before every firing and after every record (4 units), so
  // the resume boundaries fall on each save time and on the firing past tEnd;
  // chunks of 64 paths run two state slots side by side
  for (const dispatchBudget of [1, 3, 4, 5, 29]) {
    for (const maxSteps of [6, 37, 0xffffffff]) {
      const plan = { ...PLAN, maxSteps, dispatchBudget, chunkPaths: 64 };
      same(
        await launchSsaEnsemble(gpu.ctx, BINDING, plan),
        ssaEnsembleCpu(BINDING, plan),
        `budget ${dispatchBudget}, maxSteps ${maxSteps}`,
      );
    }
  }
  // pure death from 3: absorbed early, then 40 save times left to record
  // over several dispatches (parked with records pending)
  const death: SsaKernelNetwork = {
    species: 1,
    reactions: [{ name: "death", reactants: [[0, 1]], change: [[0, -1]], dependents: [0] }],
  };
  const saveTimes = Array.from({ length: 40 }, (_, s) => 0.5 + s * 0.25);
  for (const dispatchBudget of [1, 8, 17]) {
    const plan = {
      ...PLAN,
      constants: [4],
      x0: [3],
      saveTimes,
      tEnd: 11,
      histogram: { species: 0, lo: 0, width: 1, bins: 3 },
      dispatchBudget,
    };
    const c = ssaEnsembleCpu(death, plan);
    assert.ok(c.absorbed > 150);
    same(await launchSsaEnsemble(gpu.ctx, death, plan), c, `death, budget ${dispatchBudget}`);
  }
});

Deno.test({
  name:
    "SSA kernel: paths cut by llvmpipe's loop limit (a budget too large) raise a NumericalError",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu || !/llvmpipe/i.test(gpu.ctx.description)) return;
  const { histogram: _, ...plan } = PLAN;
  await assert.rejects(
    () =>
      launchSsaEnsemble(gpu.ctx, BIRTH, {
        ...plan,
        constants: [1e6],
        x0: [0],
        saveTimes: [1],
        paths: 8,
        dispatchBudget: 1 << 24,
      }),
    (e) => e instanceof NumericalError && /loop limit/.test(e.message),
  );
});

Deno.test("SSA kernel: a histogram species outside the network is refused before any work", () => {
  for (const species of [3, -1, 1.5]) {
    assert.throws(
      () => ssaEnsembleCpu(BINDING, { ...PLAN, histogram: { ...PLAN.histogram!, species } }),
      (e) =>
        e instanceof SdenoRangeError && /histogram\.species/.test(e.message) &&
        e.message.includes(String(species)),
    );
  }
});
