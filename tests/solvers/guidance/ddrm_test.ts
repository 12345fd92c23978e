// ddrm: the refs' levels on the d = 8 GMM instances (10000 samples, K = 100,
// "ddrm(etaA=.85,etaB=1,etaC=1)") and the 8×8 image instances
// ("ddrm(.85,1,1)"), the mean error against the exact posterior mean as K
// grows, the SVD requirement, bad options, batch independence, cpu = webgpu.
// SDENO_SLOW=1 adds the full-size image levels and K = 20/100/400.

import assert from "node:assert/strict";
import { ddrm } from "../../../solvers/guidance/ddrm.ts";
import { gaussianW2, loadGmmInstance, loadImageInstance } from "./_benchmark.ts";
import {
  assertBatchIndependent,
  cpuVsWebgpu,
  gaussianW2Eigen,
  GMM_NAMES,
  gmmLevel,
  IMAGE_NAMES,
  imageLevel,
  meanError,
  runOn,
  SLOW,
  withoutFactorisations,
} from "./_ddim_checks.ts";
import { GPU_TEST } from "../../_gpu.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";

const LABEL = "ddrm(etaA=.85,etaB=1,etaC=1)";

Deno.test("ddrm() lands on the refs' SW and modeTV levels on the three GMM instances (4000 samples, K = 100)", async () => {
  for (const name of GMM_NAMES) console.log(await gmmLevel(ddrm, name, LABEL, 4000, {}));
});

Deno.test({
  name: "ddrm() lands on the refs' GMM levels at the refs' size (10000 samples)",
  ignore: !SLOW,
  async fn() {
    for (const name of GMM_NAMES) console.log(await gmmLevel(ddrm, name, LABEL, 10000, {}));
  },
});

Deno.test("ddrm() lands on the refs' Gaussian-W2 level and trace ratio on img8_sr2 (1000 samples)", async () => {
  console.log(await imageLevel(ddrm, "img8_sr2", "ddrm(.85,1,1)", 1000, {}));
});

Deno.test({
  name: "ddrm() lands on the refs' image levels on all three instances (4000 samples, as the refs)",
  ignore: !SLOW,
  async fn() {
    for (const name of IMAGE_NAMES) {
      console.log(await imageLevel(ddrm, name, "ddrm(.85,1,1)", 4000, {}));
    }
  },
});

Deno.test("ddrm() approaches the exact posterior mean of img8_inpaint_box as K grows (K = 20 → 100)", async () => {
  // The squared bias of the sample mean, rms² − se² (se: the MC standard
  // error of the mean's rms), falls by more than 4 standard errors.
  const inst = loadImageInstance("img8_inpaint_box");
  const e20 = meanError(inst, (await runOn(ddrm, inst, { samples: 1000, steps: 20 })).samples);
  const e100 = meanError(inst, (await runOn(ddrm, inst, { samples: 1000, steps: 100 })).samples);
  console.log(
    `rms(mean − post_mean): K=20 ${e20.rms.toFixed(4)}, K=100 ${e100.rms.toFixed(4)} (se ${
      e100.se.toFixed(4)
    }; prior vs posterior ${e100.prior.toFixed(3)})`,
  );
  assert.ok(e100.rms < e20.rms - 4 * e20.se, `K=20 ${e20.rms}, K=100 ${e100.rms}`);
  assert.ok(e100.rms < 0.05 * e100.prior);
});

Deno.test({
  name:
    "ddrm() mean error against the exact posterior at K = 20, 100, 400 on the three image instances",
  ignore: !SLOW,
  async fn() {
    for (const name of IMAGE_NAMES) {
      const inst = loadImageInstance(name);
      const rows = [];
      for (const steps of [20, 100, 400]) {
        const e = meanError(inst, (await runOn(ddrm, inst, { samples: 2000, steps })).samples);
        rows.push(`K=${steps} ${e.rms.toFixed(4)} (se ${e.se.toFixed(4)})`);
        if (name === "img8_inpaint_box" && steps === 400) {
          assert.ok(e.rms < 0.01, `${name} K=400: ${e.rms}`);
        }
      }
      console.log(`${name}: ${rows.join(", ")}`);
    }
  },
});

Deno.test("ddrm() gives the same bits for any batch split and shard", async () => {
  await assertBatchIndependent(ddrm, loadGmmInstance("gmm_d8_dy4"));
});

Deno.test({
  name: "ddrm() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const rel = await cpuVsWebgpu(ddrm, loadGmmInstance("gmm_d8_dy4"));
    if (rel !== undefined) assert.ok(rel < 1e-4, `relative difference ${rel}`);
  },
});

Deno.test("ddrm() refuses an operator without an SVD and options out of range, before any work", async () => {
  const inst = loadGmmInstance("gmm_d8_dy2");
  const problem = { ...inst.problem, operator: withoutFactorisations(inst.operator) };
  await assert.rejects(
    () => runOn(ddrm, { ...inst, problem }, { samples: 2, steps: 5 }),
    (e) => e instanceof SdenoTypeError && /SVD/.test(e.message),
  );
  for (const options of [{ eta: 1.5 }, { etaB: -0.1 }, { etaC: 2 }]) {
    await assert.rejects(
      () => runOn(ddrm, inst, { samples: 2, steps: 5, options }),
      SdenoRangeError,
      JSON.stringify(options),
    );
  }
  for (const options of [{ etaC: NaN }, { eta: "0.5" }]) {
    await assert.rejects(
      () => runOn(ddrm, inst, { samples: 2, steps: 5, options }),
      SdenoTypeError,
      String(options.etaC ?? options.eta),
    );
  }
  await assert.rejects(
    () => runOn(ddrm, inst, { samples: 2, steps: 5, options: { etaA: 0.5 } }),
    /unknown option "etaA"/,
  );
});

Deno.test("gaussianW2Eigen() agrees with the harness's gaussianW2 where its SVD converges", async () => {
  const inst = loadImageInstance("img8_blur");
  const r = await runOn(ddrm, inst, { samples: 300, steps: 20 });
  const a = gaussianW2(r.samples, inst.postMean, inst.postCov);
  const b = gaussianW2Eigen(r.samples, inst.postMean, inst.postCov);
  assert.ok(Math.abs(a.w2 - b.w2) < 1e-10 * a.w2, `${a.w2} vs ${b.w2}`);
  assert.equal(a.trRatio, b.trRatio);
});
