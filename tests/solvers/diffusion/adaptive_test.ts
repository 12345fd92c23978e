// Adaptive DPM-Solver-12/23 (DPM-Solver's method='adaptive') and k-diffusion's sample_dpm_adaptive.
import assert from "node:assert/strict";
import { createBackend } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import {
  dpmSolverAdaptive,
  sampleDpmAdaptive,
} from "../../../solvers/diffusion/dpm_solver_adaptive.ts";
import { NOISE, relErr, SPEC } from "./_fixture.ts";

const cpu = await createBackend("cpu");
const ADIR = new URL("../../fixtures/diffusion_adaptive/", import.meta.url);
const f64 = async (url: URL) => new Float64Array((await Deno.readFile(url)).buffer);
const ODE = await f64(new URL("../../fixtures/diffusion_ode/vp_linear64.bin", import.meta.url));

/** Median over rows of the row RMS distance to the exact ODE solution (64 rows, d = 2). */
function medianRowErr(x: ArrayLike<number>): number {
  const e = Array.from(
    { length: 64 },
    (_, i) =>
      Math.sqrt(((x[2 * i]! - ODE[2 * i]!) ** 2 + (x[2 * i + 1]! - ODE[2 * i + 1]!) ** 2) / 2),
  );
  e.sort((a, b) => a - b);
  return (e[31]! + e[32]!) / 2;
}

Deno.test("sampleDpmAdaptive() reproduces the stored kd_dpm_adaptive run on the full 4096-row batch", async () => {
  const ref = JSON.parse(await Deno.readTextFile(new URL("kd_dpm_adaptive.json", ADIR)));
  const z = await f64(new URL("noise4096.bin", ADIR));
  assert.equal(z.length, 8192);
  const gm = gaussianMixture(SPEC, edmSchedule());
  const r = await sampleDpmAdaptive(gm, cpu.upload(z.map((v) => 80 * v)), [80, 0.002]);
  assert.equal(r.nfe, 42);
  assert.deepEqual([r.steps, r.accepted, r.rejected], [14, 11, 3]);
  // σ = exp(−t) with t summed from data-dependent steps: ulp-level differences (~1e-13) compound
  ref.model_eval_times.forEach((s: number, i: number) =>
    assert.ok(Math.abs(s - r.modelTimes[i]!) <= 1e-9 * s, `model σ ${i}`)
  );
  const x = await cpu.download(r.x);
  assert.ok(relErr(x, await f64(new URL("kd_dpm_adaptive64.bin", ADIR))) <= 1e-9);
  let sum = 0, sumSq = 0;
  for (const v of x) {
    sum += v;
    sumSq += v * v;
  }
  const fp = ref.fingerprint_all_rows;
  assert.ok(Math.abs(sum - fp.sum) <= 1e-9 * Math.abs(fp.sum), `sum ${sum}`);
  assert.ok(Math.abs(sumSq - fp.sum_sq) <= 1e-9 * fp.sum_sq, `sum_sq ${sumSq}`);
  // the batch norm couples the rows: 64 rows alone take other steps
  const r64 = await sampleDpmAdaptive(gm, cpu.upload(z.subarray(0, 128).map((v) => 80 * v)), [
    80,
    0.002,
  ]);
  assert.notEqual(r64.modelTimes.join(), r.modelTimes.join());
});

Deno.test("dpmSolverAdaptive() reaches the tolerance against the exact ODE and its NFE adapts", async () => {
  const s = vpLinearSchedule();
  const gm = gaussianMixture(SPEC, s);
  const x = cpu.upload(NOISE);
  const errs: number[] = [], nfes: number[] = [];
  for (const tol of [0.05, 5e-3, 5e-4]) {
    for (const order of [2, 3]) {
      const r = await dpmSolverAdaptive(gm, x, [1, 1e-3], { order, atol: tol / 6, rtol: tol });
      const e = medianRowErr(await cpu.download(r.x));
      assert.equal(r.nfe % order, 0);
      assert.equal(r.nfe, order * (r.accepted + r.rejected));
      if (order === 3) {
        errs.push(e);
        nfes.push(r.nfe);
      }
      // the local error control keeps the typical global error within a small multiple of rtol
      assert.ok(e < 2 * tol, `order ${order} rtol ${tol}: median row error ${e}`);
    }
  }
  assert.ok(nfes[0]! < nfes[1]! && nfes[1]! < nfes[2]!, `NFE ${nfes}`);
  assert.ok(errs[2]! < errs[0]!, `errors ${errs}`);
  // the reference's defaults (atol 0.0078, rtol 0.05, θ 0.9, h_init 0.05, t_err 1e-5), both forms
  const a = await dpmSolverAdaptive(gm, x, [1, 1e-3]);
  const b = await dpmSolverAdaptive(gm, x, [1, 1e-3], { algorithm: "dpmsolver" });
  assert.ok(medianRowErr(await cpu.download(a.x)) < 0.05);
  assert.ok(medianRowErr(await cpu.download(b.x)) < 0.05);
});

Deno.test("sampleDpmAdaptive() NFE grows as the tolerance shrinks, and the error falls", async () => {
  const gm = gaussianMixture(SPEC, edmSchedule());
  const x = cpu.upload(NOISE.map((v) => 80 * v));
  const fine = await sampleDpmAdaptive(gm, x, [80, 0.002], { rtol: 1e-5, atol: 1e-6 });
  const xf = await cpu.download(fine.x);
  let last = Infinity, lastNfe = 0;
  for (const rtol of [0.05, 0.005, 0.0005]) {
    const r = await sampleDpmAdaptive(gm, x, [80, 0.002], { rtol, atol: rtol / 6 });
    const e = relErr(await cpu.download(r.x), xf);
    assert.ok(r.nfe > lastNfe, `rtol ${rtol}: NFE ${r.nfe}`);
    assert.ok(e < last, `rtol ${rtol}: error ${e}`);
    [last, lastNfe] = [e, r.nfe];
  }
});

Deno.test("the adaptive samplers reject bad options", async () => {
  const gm = gaussianMixture(SPEC, vpLinearSchedule());
  const x = cpu.upload(NOISE.subarray(0, 4));
  await assert.rejects(() => dpmSolverAdaptive(gm, x, [1, 1e-3], { order: 1 }), {
    name: "SdenoRangeError",
  });
  await assert.rejects(() => dpmSolverAdaptive(gm, x, [1, 1e-3], { rtol: 0 }), {
    name: "SdenoRangeError",
    message: /rtol must be positive and finite, got "0"/,
  });
  await assert.rejects(() => dpmSolverAdaptive(gm, x, [1, 0.5, 1e-3]), {
    name: "SdenoTypeError",
    message: /grid must be \[start, end\], got \[1,0\.5,0\.001\]/,
  });
  await assert.rejects(() => dpmSolverAdaptive(gm, x, [1, 1e-3], { maxAttempts: 2 }), {
    name: "NumericalError",
  });
  const kd = gaussianMixture(SPEC, edmSchedule());
  await assert.rejects(() => sampleDpmAdaptive(kd, x, [80, 0.002], { atol: -1 }), {
    name: "SdenoRangeError",
  });
  await assert.rejects(() => sampleDpmAdaptive(kd, x, [80, 1, 0.002]), { name: "SdenoTypeError" });
});
