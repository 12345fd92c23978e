// diffpir: no stored level in the refs, so it is checked against the exact
// posteriors of the 8×8 image instances (the mean-error band of
// ddnm_test.ts: rms(mean − post_mean) ≤ ¼ of the prior-to-posterior gap +
// 4 se), the conjugate-gradient data step against the closed form through
// the SVD, the noiseless projection, typed errors, batch independence and
// cpu = webgpu.

import assert from "node:assert/strict";
import { diffpir } from "../../../solvers/guidance/diffpir.ts";
import { loadGmmInstance, loadImageInstance } from "./_benchmark.ts";
import {
  asNonlinear,
  assertBatchIndependent,
  cpuVsWebgpu,
  gaussianW2Eigen,
  IMAGE_NAMES,
  meanError,
  noiselessImage,
  runOn,
  withoutFactorisations,
} from "./_ddim_checks.ts";
import { GPU_TEST, maxAbsDiff } from "../../_gpu.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { CpuBackend } from "../../../kernels/mod.ts";

Deno.test("diffpir() (λ = 7, ζ = 0.3) removes most of the prior-to-posterior gap of the mean on the three image instances", async () => {
  for (const name of IMAGE_NAMES) {
    const inst = loadImageInstance(name);
    const r = await runOn(diffpir, inst, { samples: 400 });
    const e = meanError(inst, r.samples);
    const { w2 } = gaussianW2Eigen(r.samples, inst.postMean, inst.postCov);
    console.log(
      `${name}: rms(mean − post_mean) ${e.rms.toFixed(4)} (se ${e.se.toFixed(4)}), prior gap ${
        e.prior.toFixed(3)
      }, W2 ${w2.toFixed(3)}, tr ratio ${e.trRatio.toFixed(2)}`,
    );
    assert.ok(e.rms <= e.prior / 4 + 4 * e.se, `${name}: ${e.rms}`);
  }
});

Deno.test("diffpir() by conjugate gradients (no SVD) gives the closed form's samples", async () => {
  for (const inst of [loadGmmInstance("gmm_d8_dy4"), loadImageInstance("img8_blur")]) {
    const options = { cgIterations: 200, cgTolerance: 1e-13 };
    const a = await runOn(diffpir, inst, { samples: 8, steps: 20, options });
    const problem = { ...inst.problem, operator: withoutFactorisations(inst.operator) };
    const b = await runOn(diffpir, { ...inst, problem }, { samples: 8, steps: 20, options });
    const diff = maxAbsDiff(a.samples, b.samples);
    console.log(`${inst.name}: max |SVD − CG| = ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-6, `${inst.name}: ${diff}`);
  }
});

Deno.test("diffpir() on a noiseless problem ends on {A x = y}", async () => {
  const inst = await noiselessImage("img8_sr2");
  const r = await runOn(diffpir, inst, { samples: 20, steps: 30 });
  const b = new CpuBackend(), ax = b.zeros(20 * inst.dy);
  await inst.operator.apply(b.upload(r.samples), ax);
  const a = await b.download(ax);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - inst.problem.y[i % inst.dy]!));
  }
  assert.ok(worst < 1e-12, `max |Ax − y| ${worst}`);
});

Deno.test("diffpir() gives the same bits for any batch split and shard", async () => {
  await assertBatchIndependent(diffpir, loadGmmInstance("gmm_d8_dy2"));
});

Deno.test({
  name: "diffpir() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const rel = await cpuVsWebgpu(diffpir, loadImageInstance("img8_sr2"));
    if (rel !== undefined) assert.ok(rel < 1e-4, `relative difference ${rel}`);
  },
});

Deno.test("diffpir() refuses a nonlinear operator and bad options, before any work", async () => {
  const inst = loadGmmInstance("gmm_d8_dy2");
  const nonlinear = { ...inst.problem, operator: asNonlinear(inst.operator) };
  await assert.rejects(
    () => runOn(diffpir, { ...inst, problem: nonlinear }, { samples: 2, steps: 5 }),
    (e) => e instanceof SdenoTypeError && /linear operator/.test(e.message),
  );
  for (
    const options of [{ lambda: 0 }, { lambda: -2 }, { zeta: 1.1 }, { zeta: -0.1 }, {
      cgIterations: 0,
    }]
  ) {
    await assert.rejects(
      () => runOn(diffpir, inst, { samples: 2, steps: 5, options }),
      SdenoRangeError,
      JSON.stringify(options),
    );
  }
});
