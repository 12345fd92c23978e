import assert from "node:assert/strict";
import {
  CpuBackend,
  NumericalError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../../kernels/mod.ts";
import type { Denoiser } from "../../../models/denoiser.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import {
  brownianSigmaGrid,
  exponentialSigmas,
  karrasSigmas,
  sampleDpm2,
  sampleDpmFast,
  sampleDpmpp2m,
  sampleDpmpp2mSde,
  sampleDpmppSde,
  sampleEuler,
  sampleEulerAncestral,
  sampleHeun,
  sampleLms,
} from "../../../solvers/diffusion/mod.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { expected, KD_RUNS, relError, replay, ROWS, SPEC } from "./_k_fixture.ts";

// every stored kd_* run but dpm_adaptive, whose reference used all 4096 rows (adaptive_test.ts)
const PORTED = KD_RUNS.filter((r) => r.call.function !== "sample_dpm_adaptive");

function relTimes(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(0, ...a.map((v, k) => Math.abs(v - b[k]!) / Math.max(1e-300, Math.abs(b[k]!))));
}

Deno.test("k-diffusion samplers reproduce every stored kd_* run to 1e-9 with the same NFE, model times and noise calls", async () => {
  const b = new CpuBackend();
  assert.equal(PORTED.length, 52);
  for (const run of PORTED) {
    const r = await replay(run, b);
    const x = await b.download(r.x);
    const err = relError(x, expected(run));
    assert.ok(err <= 1e-9, `${run.id}: rel error ${err}`);
    assert.equal(r.nfe, run.nfe, run.id);
    assert.ok(relTimes(r.modelTimes, run.model_eval_times) <= 1e-12, `${run.id}: model times`);
    if (run.noise_calls) {
      assert.equal(r.noiseCalls.length, run.noise_calls.length, run.id);
      assert.ok(relTimes(r.noiseCalls.flat(), run.noise_calls.flat()) <= 1e-12, `${run.id}: calls`);
    } else {
      assert.equal(r.noiseCalls.length, 0, run.id);
    }
  }
});

Deno.test("karrasSigmas() and brownianSigmaGrid() equal the stored grids", () => {
  for (const run of PORTED) {
    if (!run.sigmas) continue;
    const s = karrasSigmas(run.sigmas.length - 1);
    assert.ok(relTimes(s.slice(0, -1), run.sigmas.slice(0, -1)) <= 1e-14, run.id); // a few ulp (pow)
    assert.equal(s[s.length - 1], 0);
    if (run.brownian_grid) {
      assert.ok(relTimes(brownianSigmaGrid(s), run.brownian_grid) <= 1e-13, run.id);
    }
  }
  const e = exponentialSigmas(4, { sigmaMin: 0.01, sigmaMax: 10 });
  assert.ok(relTimes(e.slice(0, 4), [10, 1, 0.1, 0.01]) < 1e-14);
  assert.throws(() => karrasSigmas(0), RangeError);
  assert.throws(() => karrasSigmas(5, { sigmaMin: 3, sigmaMax: 2 }), RangeError);
  assert.throws(() => karrasSigmas(5, { rho: 0 }), RangeError);
});

Deno.test({
  name: "k-diffusion samplers on webgpu (f32) match every ported stored run to 1e-4",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    // every ported run (all NFE); the SplitMix64 replay sources write their normals from the host
    const ids = PORTED.map((r) => r.id);
    assert.equal(ids.length, 52);
    for (const id of ids) {
      const run = PORTED.find((r) => r.id === id)!;
      const r = await replay(run, gpu);
      const err = relError(await gpu.download(r.x), expected(run));
      assert.ok(err <= 1e-4, `${id}: rel error ${err}`);
      assert.equal(r.nfe, run.nfe);
      gpu.release(r.x);
    }
  },
});

Deno.test("k-diffusion samplers run on a VP schedule through the VE view x/α, σ/α", async () => {
  const b = new CpuBackend();
  const edm = gaussianMixture(SPEC, edmSchedule());
  const vp = vpLinearSchedule();
  const vpModel = gaussianMixture(SPEC, vp);
  // σ̃ grid from 60 down to 0.01, then t = 0 (σ = 0, α = 1)
  const sig = karrasSigmas(8, { sigmaMin: 0.01, sigmaMax: 60 });
  const times = sig.map((s) => s === 0 ? 0 : vp.tOfLogSnr(-Math.log(s)));
  const z = Array.from({ length: 16 }, (_, i) => Math.sin(3 * i + 1));
  const a = await sampleDpmpp2m(edm, b.upload(z.map((v) => v * 60)), sig);
  const x0 = z.map((v) => v * 60 * vp.alpha(times[0]!));
  const c = await sampleDpmpp2m(vpModel, b.upload(x0), times);
  const err = relError(await b.download(c.x), await b.download(a.x));
  assert.ok(err < 1e-9, `rel error ${err}`);
  assert.ok(Math.abs(c.modelTimes[1]! - times[1]!) === 0);
});

Deno.test("k-diffusion samplers reject bad grids, shapes and options with typed errors", async () => {
  const b = new CpuBackend();
  const m = gaussianMixture(SPEC, edmSchedule());
  const x = b.upload([1, 2, 3, 4]);
  await assert.rejects(() => sampleEuler(m, x, [80, 90, 0]), SdenoRangeError);
  await assert.rejects(() => sampleEuler(m, x, [80, 10, 10, 0]), /strictly decreasing/);
  await assert.rejects(() => sampleEuler(m, x, [80, 0, -1]), SdenoRangeError);
  await assert.rejects(() => sampleEuler(m, x, [80, NaN, 0]), SdenoRangeError);
  await assert.rejects(() => sampleEuler(m, x, [80]), SdenoTypeError);
  await assert.rejects(() => sampleHeun(m, b.upload([1, 2, 3]), [80, 0]), SdenoTypeError);
  await assert.rejects(
    () => sampleEuler(m, x, [80, 0], { sChrun: 1 } as never),
    { name: "SdenoTypeError", message: /unknown option "sChrun"; known: sChurn, sTmin/ },
  );
  await assert.rejects(() => sampleEuler(m, x, [80, 0], { sChurn: -1 }), SdenoRangeError);
  await assert.rejects(() => sampleEuler(m, x, [80, 0], { sTmin: 2, sTmax: 1 }), SdenoRangeError);
  await assert.rejects(() => sampleEulerAncestral(m, x, [80, 0], { eta: -0.5 }), SdenoRangeError);
  await assert.rejects(
    () => sampleDpmpp2mSde(m, x, [80, 0], { solverType: "rk4" as "heun" }),
    SdenoRangeError,
  );
  await assert.rejects(() => sampleDpmppSde(m, x, [80, 0], { r: 1.5 }), SdenoRangeError);
  await assert.rejects(() => sampleLms(m, x, [80, 0], { order: 9 }), SdenoRangeError);
  await assert.rejects(() => sampleDpmFast(m, x, [80, 1, 0.002], { nfe: 5 }), SdenoTypeError);
  await assert.rejects(() => sampleDpmFast(m, x, [80, 0.002], {} as { nfe: number }), TypeError);
  await assert.rejects(() => sampleDpmFast(m, x, [80, 0], { nfe: 5 }), SdenoRangeError);
});

Deno.test("k-diffusion samplers stop with NumericalError (step, time, index) on NaN", async () => {
  const b = new CpuBackend();
  const base = gaussianMixture(SPEC, edmSchedule());
  let calls = 0;
  const bad: Denoiser = {
    ...base,
    async predict(x, t, out, request) {
      await base.predict(x, t, out, request);
      if (++calls === 3) await out.backend.write(out, [NaN], 5);
    },
  };
  const before = b.liveArrays;
  const x = b.upload(new Float64Array(8).fill(3));
  const err = await sampleDpmpp2m(bad, x, karrasSigmas(6)).then(() => undefined, (e) => e);
  assert.ok(err instanceof NumericalError, String(err));
  // the third model call is step 2's, at σ₂; the model output is checked where it is made
  assert.equal(err.step, 2);
  assert.equal(err.index, 5);
  assert.equal(err.time, karrasSigmas(6)[2]);
  assert.match(err.message, /the model output \(x0\) is NaN at step 2/);
  b.release(x);
  assert.equal(b.liveArrays, before);
});

Deno.test("Karras churn: σ̂ = σ(1 + γ) with γ = min(S_churn/N, √2 − 1), noise only inside [S_tmin, S_tmax]", async () => {
  const b = new CpuBackend();
  const m = gaussianMixture(SPEC, edmSchedule());
  const sig = karrasSigmas(5);
  const x = () => b.upload([40, -20, 10, 5]);
  const plain = await sampleHeun(m, x(), sig);
  const off = await sampleHeun(m, x(), sig, { sChurn: 40, sTmin: 100 });
  assert.deepEqual(await b.download(off.x), await b.download(plain.x));
  const gamma = Math.min(2 / 5, Math.SQRT2 - 1);
  const on = await sampleDpm2(m, x(), sig, { sChurn: 2, sTmin: 0.1, sTmax: 50 });
  // σ = 80 is outside [0.1, 50]; 17.5 and 2.5 and 0.17 are inside
  assert.equal(on.modelTimes[0], 80);
  assert.ok(Math.abs(on.modelTimes[2]! - sig[1]! * (1 + gamma)) < 1e-12);
  assert.equal(on.noiseCalls.length, 3);
  const e = await sampleEuler(m, x(), sig, { sChurn: 2, sNoise: 0 });
  assert.equal(e.noiseCalls.length, 5);
  assert.ok(Math.abs(e.modelTimes[0]! - 80 * (1 + gamma)) < 1e-12);
});

Deno.test("default Philox noise does not depend on the batch size and matches across backends", async () => {
  const b = new CpuBackend();
  const m = gaussianMixture(SPEC, edmSchedule());
  const sig = karrasSigmas(6);
  const z = Array.from({ length: 2 * ROWS }, (_, i) => 80 * Math.cos(7 * i));
  const key = { seed: 9, stream: 1 };
  const full = await b.download((await sampleEulerAncestral(m, b.upload(z), sig, { key })).x);
  const part = await b.download(
    (await sampleEulerAncestral(m, b.upload(z.slice(0, 10)), sig, { key })).x,
  );
  assert.deepEqual([...part], [...full.slice(0, 10)]);
  const other = await b.download(
    (await sampleEulerAncestral(m, b.upload(z), sig, { key: { seed: 10, stream: 1 } })).x,
  );
  assert.ok(relError(other, full) > 1e-3);
  const sde = await b.download((await sampleDpmppSde(m, b.upload(z), sig, { key })).x);
  const gpu = await gpuBackend();
  if (!gpu) return;
  const g = await gpu.download((await sampleEulerAncestral(m, gpu.upload(z), sig, { key })).x);
  assert.ok(relError(g, full) < 1e-4, `euler_ancestral cpu vs webgpu ${relError(g, full)}`);
  const gs = await gpu.download((await sampleDpmppSde(m, gpu.upload(z), sig, { key })).x);
  assert.ok(relError(gs, sde) < 1e-4, `dpmpp_sde cpu vs webgpu ${relError(gs, sde)}`);
});
