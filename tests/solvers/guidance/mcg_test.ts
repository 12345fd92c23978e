// MCG (solvers/guidance/mcg.ts) on noiseless variants of the 8×8
// Gaussian-prior instances (y = A x_true, σ_y = 0): every output satisfies
// A x = y, the sample mean is far closer to the exact noiseless posterior
// mean than the prior mean is, and mean error and trace ratio land at the
// numpy reference level of the same method (tests/fixtures/guidance). Noisy
// measurements are refused (the choice documented in mcg.ts), as are models
// without a VJP and bad options.

import assert from "node:assert/strict";
import { CpuBackend } from "../../../kernels/cpu_backend.ts";
import { makeKey } from "../../../kernels/philox.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";
import { denoiserFromNative } from "../../../models/denoiser.ts";
import { mcg } from "../../../solvers/guidance/mcg.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { loadImageInstance, meanCov } from "./_benchmark.ts";
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

function noiseless(name: string) {
  const inst = loadImageInstance(name);
  const y = applyMatrix(inst.operator.matrix, inst.xTrue, inst.dy);
  return { inst, y, problem: { operator: inst.operator, y, noise: gaussianNoise(0) } };
}

for (const name of SLOW ? ["img8_sr2", "img8_inpaint_box"] : ["img8_sr2"]) {
  Deno.test(`mcg() on noiseless ${name}: A x = y, mean near the exact noiseless posterior`, async () => {
    const { inst, y, problem } = noiseless(name);
    const n = SLOW ? 4000 : 1000, d = inst.d;
    const { samples, nfe } = await mcg.run({
      model: inst.model,
      problem,
      grid: quadraticGrid(100),
      samples: n,
      key: makeKey(31),
      backend: cpu,
    });
    assert.equal(nfe, 2 * (quadraticGrid(100).length - 1));
    // The last projection (y_0 = y) pins A x to y.
    for (let r = 0; r < n; r++) {
      const res = distance(
        applyMatrix(inst.operator.matrix, samples.subarray(r * d, (r + 1) * d), inst.dy),
        y,
      );
      assert.ok(res < 1e-12, `row ${r}: ‖Ax − y‖ = ${res}`);
    }
    const exact = noiselessPosterior(inst.priorMean, inst.priorCov, inst.operator.matrix, y);
    const { mean, cov } = meanCov(samples, d);
    const err = distance(mean, exact.mean), priorErr = distance(inst.priorMean, exact.mean);
    let tr = 0, trC = 0;
    for (let i = 0; i < d; i++) (tr += cov[i * (d + 1)]!), (trC += exact.cov[i * (d + 1)]!);
    const method = "mcg(alpha=1)", instance = `${name}_noiseless`;
    const seeds = seedsOf(method, instance, n);
    for (const [stat, value] of [["mean_err", err], ["tr", tr / trC]] as const) {
      const l = level(method, instance, n, stat);
      console.log(
        `${name} noiseless n=${n}: ${stat} ${value.toFixed(4)} (numpy ${l.mean.toFixed(4)} ± ${
          l.sd.toFixed(4)
        }); prior mean error ${priorErr.toFixed(3)}`,
      );
      assert.ok(withinBand(value, l, seeds), `${stat} ${value} vs ${l.mean} ± ${l.sd}`);
    }
    // Better than the prior mean by far (measured: 0.11 against 6.0).
    assert.ok(err < 0.1 * priorErr, `mean error ${err} vs prior ${priorErr}`);
  });
}

Deno.test("mcg() refuses noisy measurements, models without a VJP and bad options", async () => {
  const { inst, problem } = noiseless("img8_sr2");
  const req = {
    model: inst.model,
    problem,
    grid: quadraticGrid(5),
    samples: 2,
    key: makeKey(1),
    backend: cpu,
  };
  // σ_y > 0: refused (the projection pins A x to y; use dps or dds).
  await assert.rejects(
    () => mcg.run({ ...req, problem: inst.problem }),
    (e: Error) => e instanceof TypeError && /handles none noise, got gaussian/.test(e.message),
  );
  const noVjp = denoiserFromNative({
    dim: 64,
    kind: "x0",
    schedule: inst.schedule,
    predict: (x, _t, out) => x.backend.lincomb(out, [[1, x]]),
  });
  await assert.rejects(() => mcg.run({ ...req, model: noVjp }), /no vjp/);
  await assert.rejects(() => mcg.run({ ...req, options: { alpha: -1 } }), /alpha must be/);
  await assert.rejects(() => mcg.run({ ...req, options: { eta: 2 } }), RangeError);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => mcg.run({ ...req, options: { squared: 1 as any } }), /boolean/);
});

Deno.test("mcg() gives the same bits for any batch split; squared form also fits A x = y", async () => {
  const { inst, y, problem } = noiseless("img8_inpaint_box");
  const base = {
    model: inst.model,
    problem,
    grid: quadraticGrid(8),
    key: makeKey(5),
    backend: cpu,
  };
  await assertSplitInvariant(mcg, base, { samples: 5, batch: 2 });
  const sq = await mcg.run({ ...base, samples: 3, options: { squared: true, alpha: 0.5 } });
  for (let r = 0; r < 3; r++) {
    const ax = applyMatrix(inst.operator.matrix, sq.samples.subarray(r * 64, (r + 1) * 64), 48);
    assert.ok(distance(ax, y) < 1e-12);
  }
});

Deno.test({
  name: "mcg() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const { inst, problem } = noiseless("img8_sr2");
    await assertCpuGpuAgree(mcg, {
      model: inst.model,
      problem,
      grid: quadraticGrid(10),
      samples: 8,
      key: makeKey(3),
    });
  },
});
