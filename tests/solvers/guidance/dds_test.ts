// DDS (solvers/guidance/dds.ts) against the exact posteriors of the 8×8
// Gaussian-prior instances, by way of the numpy reference levels of
// tests/fixtures/guidance/levels.json (same method, same settings, written
// independently; see its README): Gaussian W2, trace ratio and mean error
// within ±15% or 4 seed-to-seed sd of the reference (tests/_levels.ts). Plus
// the noiseless case (A x = y exactly at the end), batch independence,
// cpu = webgpu and typed errors.

import assert from "node:assert/strict";
import { CpuBackend } from "../../../kernels/cpu_backend.ts";
import { makeKey } from "../../../kernels/philox.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";
import { dds } from "../../../solvers/guidance/dds.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { gaussianW2, loadImageInstance, meanCov } from "./_benchmark.ts";
import {
  applyMatrix,
  distance,
  level,
  noiselessPosterior,
  seedsOf,
  withinBand,
} from "./_levels.ts";
import { GPU_TEST } from "../../_gpu.ts";
import { assertCpuGpuAgree, assertSplitInvariant } from "./_invariance.ts";

const SLOW = Deno.env.get("SDENO_SLOW") !== undefined;
const cpu = new CpuBackend();
const METHOD = "dds(M=5,eta=.85,gamma=1)";

function checkLevels(
  method: string,
  instance: string,
  n: number,
  got: Record<string, number>,
): void {
  const seeds = seedsOf(method, instance, n);
  for (const [stat, value] of Object.entries(got)) {
    const l = level(method, instance, n, stat);
    console.log(
      `${method} ${instance} n=${n}: ${stat} ${value.toFixed(4)} (numpy ${l.mean.toFixed(4)} ± ${
        l.sd.toFixed(4)
      })`,
    );
    assert.ok(withinBand(value, l, seeds), `${instance} ${stat} ${value} vs ${l.mean} ± ${l.sd}`);
  }
}

const NOISY = SLOW ? ["img8_inpaint_box", "img8_sr2", "img8_blur"] : ["img8_sr2"];
for (const name of NOISY) {
  Deno.test(`dds() on ${name}: W2, trace ratio and mean error at the numpy level`, async () => {
    const inst = loadImageInstance(name);
    const n = SLOW ? 4000 : 1000;
    const { samples, nfe } = await dds.run({
      model: inst.model,
      problem: inst.problem,
      grid: quadraticGrid(100),
      samples: n,
      key: makeKey(21),
      backend: cpu,
    });
    assert.equal(nfe, quadraticGrid(100).length - 1);
    const { w2, trRatio } = gaussianW2(samples, inst.postMean, inst.postCov);
    const { mean } = meanCov(samples, inst.d);
    checkLevels(METHOD, name, n, { w2, tr: trRatio, mean_err: distance(mean, inst.postMean) });
    // Far closer to the posterior than the prior is (W2 prior→posterior 9.2–11.9).
    assert.ok(w2 < 0.1 * inst.levels.w2Prior);
  });
}

Deno.test("dds() noiseless (σ_y = 0, y = A x_true): A x = y at the end, mean near the exact noiseless posterior", async () => {
  const inst = loadImageInstance("img8_sr2");
  const y = applyMatrix(inst.operator.matrix, inst.xTrue, inst.dy);
  // The level comparison needs the stored sample counts (1000, 4000); the
  // default run keeps to the exact checks at 300 samples.
  const n = SLOW ? 4000 : 300;
  const { samples } = await dds.run({
    model: inst.model,
    problem: { operator: inst.operator, y, noise: gaussianNoise(0) },
    grid: quadraticGrid(100),
    samples: n,
    key: makeKey(22),
    backend: cpu,
  });
  // AᵀA = P/4 for 2×2 average pooling: one CG step solves the data term from
  // any x̂₀, so every output fits y to rounding.
  for (let r = 0; r < n; r++) {
    const ax = applyMatrix(inst.operator.matrix, samples.subarray(r * 64, (r + 1) * 64), inst.dy);
    assert.ok(distance(ax, y) < 1e-12, `row ${r}: ‖Ax − y‖ = ${distance(ax, y)}`);
  }
  const exact = noiselessPosterior(inst.priorMean, inst.priorCov, inst.operator.matrix, y);
  const { mean, cov } = meanCov(samples, inst.d);
  let tr = 0, trC = 0;
  for (let i = 0; i < inst.d; i++) (tr += cov[i * 65]!), (trC += exact.cov[i * 65]!);
  const err = distance(mean, exact.mean), priorErr = distance(inst.priorMean, exact.mean);
  console.log(`noiseless n=${n}: mean error ${err.toFixed(4)} (prior mean ${priorErr.toFixed(3)})`);
  // The mean error's MC part alone is √(tr C/n) ≈ 0.08 at n = 300 (tr C = 1.84):
  // well under a tenth of the prior mean's 5.97.
  assert.ok(err < 0.1 * priorErr, `mean error ${err}`);
  if (SLOW) {
    checkLevels("dds(M=5,eta=.85)", "img8_sr2_noiseless", n, { mean_err: err, tr: tr / trC });
  }
});

Deno.test("dds() gives the same bits for any batch split and shard", async () => {
  const inst = loadImageInstance("img8_blur");
  const base = {
    model: inst.model,
    problem: inst.problem,
    grid: quadraticGrid(8),
    key: makeKey(5),
    backend: cpu,
  };
  await assertSplitInvariant(dds, base, { samples: 7, batch: 2, shardFrom: 4 });
});

Deno.test("dds() refuses bad options and problems with typed errors", async () => {
  const inst = loadImageInstance("img8_sr2");
  const req = {
    model: inst.model,
    problem: inst.problem,
    grid: quadraticGrid(5),
    samples: 2,
    key: makeKey(1),
    backend: cpu,
  };
  await assert.rejects(
    () => dds.run({ ...req, options: { cgIterations: 0 } }),
    /cgIterations must be an integer ≥ 1/,
  );
  await assert.rejects(() => dds.run({ ...req, options: { cgIterations: 1.5 } }), RangeError);
  await assert.rejects(() => dds.run({ ...req, options: { eta: 1.5 } }), /eta must be/);
  await assert.rejects(() => dds.run({ ...req, options: { gamma: 0 } }), /gamma must be/);
  await assert.rejects(() => dds.run({ ...req, options: { slices: 3 } }), /3 slices/);
  await assert.rejects(() => dds.run({ ...req, options: { slices: 2, rho: 0 } }), /rho must be/);
  await assert.rejects(
    () => dds.run({ ...req, options: { slices: 2, tvLambda: -1 } }),
    /tvLambda must be/,
  );
  const nonlinear = { name: "sq", inDim: 64, outDim: 16, linear: false, apply: async () => {} };
  await assert.rejects(
    () => dds.run({ ...req, problem: { ...inst.problem, operator: nonlinear } }),
    /needs a linear operator/,
  );
  await assert.rejects(
    () => dds.run({ ...req, problem: { ...inst.problem, y: new Float64Array(16).fill(NaN) } }),
    /finite/,
  );
});

Deno.test({
  name: "dds() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const inst = loadImageInstance("img8_blur");
    await assertCpuGpuAgree(dds, {
      model: inst.model,
      problem: inst.problem,
      grid: quadraticGrid(10),
      samples: 8,
      key: makeKey(3),
    });
  },
});
