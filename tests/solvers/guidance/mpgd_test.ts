// mpgd: no stored level in the refs, so it is checked against the exact
// posteriors of the 8×8 image instances (the mean-error band of
// ddnm_test.ts: rms(mean − post_mean) ≤ ¼ of the prior-to-posterior gap +
// 4 se), the nonlinear-operator path (A and its VJP only), typed errors,
// batch independence and cpu = webgpu. No model VJP is used.

import assert from "node:assert/strict";
import { mpgd } from "../../../solvers/guidance/mpgd.ts";
import { loadGmmInstance, loadImageInstance } from "./_benchmark.ts";
import {
  asNonlinear,
  assertBatchIndependent,
  cpuVsWebgpu,
  gaussianW2Eigen,
  IMAGE_NAMES,
  meanError,
  runOn,
  withoutVjp,
} from "./_ddim_checks.ts";
import { GPU_TEST } from "../../_gpu.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";

Deno.test("mpgd() (c = 0.5) removes most of the prior-to-posterior gap of the mean on the three image instances", async () => {
  for (const name of IMAGE_NAMES) {
    const inst = loadImageInstance(name);
    const r = await runOn(mpgd, inst, { samples: 400 });
    const e = meanError(inst, r.samples);
    const { w2 } = gaussianW2Eigen(r.samples, inst.postMean, inst.postCov);
    console.log(
      `${name}: rms(mean − post_mean) ${e.rms.toFixed(4)} (se ${e.se.toFixed(4)}), prior gap ${
        e.prior.toFixed(3)
      }, W2 ${w2.toFixed(3)}, tr ratio ${e.trRatio.toFixed(2)}`,
    );
    assert.ok(e.rms <= e.prior / 4 + 4 * e.se, `${name}: ${e.rms}`);
    assert.equal(r.nfe, 98);
  }
});

Deno.test("mpgd() runs on a model without a VJP, and through a nonlinear operator's VJP gives the linear operator's samples", async () => {
  const inst = loadGmmInstance("gmm_d8_dy4");
  const a = await runOn(mpgd, inst, { samples: 16, steps: 20 });
  const problem = { ...inst.problem, operator: asNonlinear(inst.operator) };
  const b = await runOn(mpgd, { ...inst, model: withoutVjp(inst.model), problem }, {
    samples: 16,
    steps: 20,
  });
  assert.deepEqual(b.samples, a.samples);
});

Deno.test("mpgd() gives the same bits for any batch split and shard", async () => {
  await assertBatchIndependent(mpgd, loadGmmInstance("gmm_d8_dy2"), { stepSize: 0.2 });
});

Deno.test({
  name: "mpgd() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const rel = await cpuVsWebgpu(mpgd, loadImageInstance("img8_sr2"));
    if (rel !== undefined) assert.ok(rel < 1e-4, `relative difference ${rel}`);
  },
});

Deno.test("mpgd() refuses an operator without a VJP and bad options, before any work", async () => {
  const inst = loadGmmInstance("gmm_d8_dy2");
  const noVjp = { ...inst.problem, operator: asNonlinear(inst.operator, false) };
  await assert.rejects(
    () => runOn(mpgd, { ...inst, problem: noVjp }, { samples: 2, steps: 5 }),
    (e) => e instanceof SdenoTypeError && /operator's vjp/.test(e.message),
  );
  await assert.rejects(
    () => runOn(mpgd, inst, { samples: 2, steps: 5, options: { stepSize: NaN } }),
    SdenoTypeError,
  );
  for (const options of [{ stepSize: 0 }, { stepSize: -1 }, { eta: -1 }]) {
    await assert.rejects(
      () => runOn(mpgd, inst, { samples: 2, steps: 5, options }),
      SdenoRangeError,
      JSON.stringify(options),
    );
  }
});
