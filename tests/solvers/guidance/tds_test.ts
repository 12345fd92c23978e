// The twisted diffusion sampler: a 2-D Gaussian posterior in closed form
// (one particle is biased; 200 per system are not, |z| < 4 with the
// between-system standard error), SW on the d = 8 GMM instances at 10, 100
// and 1000 particles per system (10000 samples each, SDENO_SLOW=1: about
// 2 minutes per instance here), the nonlinear-operator path, batch/shard
// and backend invariance, and typed errors.

import assert from "node:assert/strict";
import { tds } from "../../../solvers/guidance/tds.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { CpuBackend } from "../../../kernels/mod.ts";
import { makeKey } from "../../../kernels/philox.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";
import type { LinearOperator, MeasurementOperator } from "../../../models/operators/operator.ts";
import { GPU_TEST } from "../../_gpu.ts";
import {
  assertMomentsZ,
  checkBatchSplit,
  checkCpuVsGpu,
  gaussian2d,
  gmmSwByParticles,
  noSvdOperator,
  refusals,
  systemStatZ,
} from "./_smc_helpers.ts";

const SLOW = !Deno.env.get("SDENO_SLOW");

Deno.test("tds() converges to a Gaussian posterior as particles grow", async () => {
  // y = x₁ + 0.5 n, y = 1: x₁ ~ N(0.8, 0.2), x₂ ~ N(0.4, 0.8)
  const { model, problem, mean, variance } = gaussian2d(0.5, 1, quadraticGrid(100));
  const run = (particles: number) =>
    tds.run({
      model,
      problem,
      grid: quadraticGrid(100),
      samples: 4000,
      key: makeKey(6),
      backend: new CpuBackend(),
      options: { particles },
    });
  // one particle per system: the twisted proposal alone, biased toward the data
  const one = systemStatZ((await run(1)).samples, 2, 0, 1, (x) => x, mean[0]!);
  console.log(`N = 1: x1 mean ${one.value.toFixed(3)} ± ${one.se.toFixed(3)}`);
  assert.ok(one.z > 4, `N = 1 is biased: z ${one.z}`);
  const r = await run(200);
  for (const j of [0, 1]) assertMomentsZ("N = 200", r.samples, 200, j, mean[j]!, variance[j]!);
  assert.equal(r.nfe, 2 * (quadraticGrid(100).length - 1));
  assert.equal(r.ess!.length, 20);
  assert.equal(r.ess![0]!.length, quadraticGrid(100).length);
});

Deno.test({
  name: "tds() on the d = 8 GMM instances: SW at 10, 100, 1000 particles (10000 samples)",
  ignore: SLOW,
  async fn() {
    const backend = new CpuBackend();
    for (const name of ["gmm_d8_dy4", "gmm_d8_dy1", "gmm_d8_dy2"]) {
      const sw = await gmmSwByParticles(tds as never, name, backend);
      // dy4 (σ_y = 0.79) improves at each step; dy1 and dy2 are reported (see the report)
      if (name === "gmm_d8_dy4") assert.ok(sw[0]! > sw[1]! && sw[1]! > sw[2]!, `${sw}`);
    }
  },
});

Deno.test("tds() with a nonlinear operator uses its vjp: same bits as the dense operator", async () => {
  const { model, problem } = gaussian2d(0.3, 0.7, quadraticGrid(10));
  const dense = problem.operator as LinearOperator;
  const nonlinear: MeasurementOperator = {
    name: "x1 as nonlinear",
    inDim: 2,
    outDim: 1,
    linear: false,
    apply: (x, out) => dense.apply(x, out),
    vjp: (_x, v, out) => dense.applyTranspose(v, out),
  };
  const base = {
    model,
    grid: quadraticGrid(20),
    samples: 40,
    key: makeKey(2),
    backend: new CpuBackend(),
    options: { particles: 20 },
  };
  const a = await tds.run({ ...base, problem });
  const b = await tds.run({ ...base, problem: { ...problem, operator: nonlinear } });
  assert.deepEqual(b.samples, a.samples);
  // the r_t² A Aᵀ twisting variance changes the run
  const c = await tds.run({
    ...base,
    problem,
    options: { particles: 20, twistVariance: "data+rt2" },
  });
  assert.notDeepEqual(c.samples, a.samples);
  assert.ok(c.samples.every(Number.isFinite));
});

Deno.test("tds() gives the same bits for any batch split or shard", async () => {
  await checkBatchSplit(tds as never);
});

Deno.test({
  name: "tds() on cpu and webgpu agree within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    await checkCpuVsGpu(tds as never, 2e-3);
  },
});

Deno.test("tds() refuses bad input with typed errors before any work", async () => {
  const { model, problem, bad } = refusals(tds as never);
  await bad({ particles: 0 }, SdenoRangeError, /particles must be an integer ≥ 1/);
  await bad({ particles: -3 }, SdenoRangeError, /particles/);
  await bad({ essThreshold: 0 }, SdenoRangeError, /essThreshold must be a number in \(0, 1\]/);
  await bad({ essThreshold: 2 }, SdenoRangeError, /essThreshold/);
  await bad({ eta: 0 }, SdenoRangeError, /eta must be a number in \(0, 1\]/);
  await bad({ twistVariance: "rt2" }, SdenoTypeError, /twistVariance/);
  await bad({ resampling: "none" }, SdenoTypeError, /resampling/);
  await bad({}, SdenoRangeError, /σ_y > 0/, {
    problem: { ...problem, noise: gaussianNoise(0) },
  });
  const noSvd = noSvdOperator(true);
  await bad({ twistVariance: "data+rt2" }, SdenoTypeError, /needs a linear operator with an SVD/, {
    problem: { ...problem, operator: noSvd },
  });
  // a model without a vjp
  const { vjp: _drop, ...noVjp } = model;
  await bad({}, SdenoTypeError, /vjp/, { model: noVjp });
});
