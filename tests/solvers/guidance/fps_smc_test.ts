// FPS-SMC: a 2-D Gaussian posterior in closed form (under the grid's chain
// prior; 200 particles per system, |z| < 4 with the between-system standard
// error; the official code's weighting over-concentrates), SW on the d = 8
// GMM instances at 10, 100 and 1000 particles per system (10000 samples
// each, SDENO_SLOW=1), batch/shard and backend invariance, and typed errors.

import assert from "node:assert/strict";
import { fpsSmc } from "../../../solvers/guidance/fps_smc.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { CpuBackend } from "../../../kernels/mod.ts";
import { makeKey } from "../../../kernels/philox.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";
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

Deno.test("fpsSmc() converges to a Gaussian posterior; the paper's weighting does not", async () => {
  // y = x₁ + 0.5 n, y = 1: x₁ ~ N(0.8, 0.2), x₂ ~ N(0.4, 0.8) (here: under the chain prior)
  const { model, problem, mean, variance } = gaussian2d(0.5, 1, quadraticGrid(100));
  const run = (options: Record<string, unknown>) =>
    fpsSmc.run({
      model,
      problem,
      grid: quadraticGrid(100),
      samples: 4000,
      key: makeKey(6),
      backend: new CpuBackend(),
      options: { particles: 200, ...options },
    });
  const r = await run({});
  for (const j of [0, 1]) assertMomentsZ("twisted", r.samples, 200, j, mean[j]!, variance[j]!);
  assert.equal(r.nfe, quadraticGrid(100).length - 1);
  assert.equal(r.ess!.length, 20);
  // the official code's weight multiplies every step's likelihood: x₁ collapses toward y
  const p = await run({ weighting: "paper", essThreshold: 1 });
  const v = systemStatZ(p.samples, 2, 0, 200, (x) => (x - mean[0]!) ** 2, variance[0]!);
  console.log(`paper: x1 variance ${v.value.toFixed(3)} ± ${v.se.toFixed(3)}`);
  assert.ok(v.z < -4, `paper weighting under-disperses: z ${v.z}`);
});

Deno.test({
  name: "fpsSmc() on the d = 8 GMM instances: SW at 10, 100, 1000 particles (10000 samples)",
  ignore: SLOW,
  async fn() {
    const backend = new CpuBackend();
    for (const name of ["gmm_d8_dy1", "gmm_d8_dy2", "gmm_d8_dy4"]) {
      const sw = await gmmSwByParticles(fpsSmc as never, name, backend);
      // dy1 improves at each step (seeds 1, 2, 3: 4.14/2.69/1.87, 4.13/2.64/1.26,
      // 4.09/3.14/0.75); dy2 and dy4 are printed: at 1000 particles their systems still
      // degenerate (dy2 seed 1: 6.95/4.94/6.19; seeds 2, 3 decrease)
      if (name === "gmm_d8_dy1") assert.ok(sw[0]! > sw[1]! && sw[1]! > sw[2]!, `${sw}`);
    }
  },
});

Deno.test("fpsSmc() gives the same bits for any batch split or shard", async () => {
  await checkBatchSplit(fpsSmc as never);
});

Deno.test({
  name: "fpsSmc() on cpu and webgpu agree within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    await checkCpuVsGpu(fpsSmc as never, 2e-3);
  },
});

Deno.test("fpsSmc() refuses bad input with typed errors before any work", async () => {
  const { problem, bad } = refusals(fpsSmc as never);
  await bad({ particles: 0 }, SdenoRangeError, /particles must be an integer ≥ 1/);
  await bad({ particles: -3 }, SdenoRangeError, /particles/);
  await bad({ essThreshold: 0 }, SdenoRangeError, /essThreshold must be a number in \(0, 1\]/);
  await bad({ essThreshold: 2 }, SdenoRangeError, /essThreshold/);
  await bad({ eta: 0 }, SdenoRangeError, /eta must be a number in \(0, 1\]/);
  await bad({ weighting: "official" }, SdenoTypeError, /weighting must be "twisted" or "paper"/);
  await bad({ resampling: "none" }, SdenoTypeError, /resampling/);
  await bad({ twistVariance: "data" }, SdenoTypeError, /unknown option "twistVariance"/);
  await bad({}, SdenoRangeError, /σ_y > 0/, {
    problem: { ...problem, noise: gaussianNoise(0) },
  });
  const noSvd = noSvdOperator();
  await bad({}, SdenoTypeError, /SVD/, { problem: { ...problem, operator: noSvd } });
});
