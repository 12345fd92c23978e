// The exact Gaussian mixture as an ONNX graph, run by onnxruntime-node, against the TypeScript
// mixture: the model to ≤ 1e-5 (float32) at many times, and whole sampler runs to ≤ 1e-4.
import assert from "node:assert/strict";
import { createBackend, makeKey } from "../../kernels/mod.ts";
import { gaussianMixture } from "../../models/gaussian_mixture.ts";
import { predictAs } from "../../models/denoiser.ts";
import { gmmOnnx, type GmmOnnxSchedule, onnxDenoiser } from "../../models/onnx.ts";
import * as diffusion from "../../solvers/diffusion/mod.ts";

const SPEC = {
  weights: [0.2, 0.3, 0.5],
  means: [[-2, 0.5], [1, 1], [3, -2]],
  variances: [[0.3, 0.5], [0.1, 0.2], [1, 0.05]],
};
const SCHEDULES: GmmOnnxSchedule[] = [
  { name: "edm" },
  { name: "ve", sigmaMin: 0.02, sigmaMax: 40 },
  { name: "vp-linear", beta0: 0.1, beta1: 20 },
  { name: "rectified-flow" },
];

Deno.test("gmmOnnx() equals the TypeScript mixture to 1e-5 (float32) at 40 times", async () => {
  const b = await createBackend("cpu");
  const n = 64;
  for (const sched of SCHEDULES) {
    const g = gmmOnnx(SPEC, { schedule: sched });
    const ts = gaussianMixture(SPEC, g.schedule);
    const s = g.schedule;
    const lo = Math.max(s.tMin, 1e-3), hi = s.tMax;
    for (const kind of ["x0", "eps"] as const) {
      await using model = await onnxDenoiser(g.bytes, { schedule: s, kind, output: kind });
      assert.deepEqual(model.inputNames, ["x", "t"]);
      let worst = 0;
      for (let j = 0; j < 40; j++) {
        // log-spaced times, rounded to float32 so both models see the same t
        const t = Math.fround(Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * j / 39));
        const x = b.zeros(n * 2);
        await b.fillNormal(x, makeKey(11, j));
        const scale = 3 * Math.max(1, s.sigma(t));
        const xs = Float64Array.from(await b.download(x), (v) => Math.fround(v * scale));
        await b.write(x, xs);
        const got = b.zeros(n * 2), want = b.zeros(n * 2);
        await predictAs(model, x, { t, kind, out: got });
        await predictAs(ts, x, { t, kind, out: want });
        const a = await b.download(got), e = await b.download(want);
        for (let i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i]! - e[i]!) / Math.max(1, Math.abs(e[i]!)));
        }
        for (const arr of [x, got, want]) b.release(arr);
      }
      assert.ok(worst <= 1e-5, `${sched.name} ${kind}: worst relative error ${worst}`);
      // and not merely equal in float64: float32 rounding is visible
      assert.ok(worst > 1e-9, `${sched.name} ${kind}: ${worst} is below float32 rounding`);
    }
  }
});

Deno.test("gmmOnnx() with precision float64 equals the mixture to float32 output rounding", async () => {
  const b = await createBackend("cpu");
  const g = gmmOnnx(SPEC, { schedule: { name: "vp-linear" }, precision: "float64" });
  const ts = gaussianMixture(SPEC, g.schedule);
  await using model = await onnxDenoiser(g.bytes, {
    schedule: g.schedule,
    kind: "eps",
    output: "eps",
  });
  const x = b.upload([0.5, -1, 2, 3, -0.25, 0.125]);
  for (const t of [0.001, 0.01, 0.3, 1]) {
    const got = b.zeros(6), want = b.zeros(6);
    await predictAs(model, x, { t, kind: "eps", out: got });
    await predictAs(ts, x, { t, kind: "eps", out: want });
    const a = await b.download(got), e = await b.download(want);
    // one rounding to float32 at the end (2⁻²⁴ relative), t itself rounded to float32
    e.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) <= 2e-7 * Math.max(1, Math.abs(v))));
  }
});

const SAMPLERS = [
  ["sampleEuler", 20],
  ["sampleHeun", 10],
  ["sampleDpmpp2m", 10],
] as const;

Deno.test("a sampler run through the ONNX mixture matches the TypeScript run to 1e-4", async () => {
  const b = await createBackend("cpu");
  const g = gmmOnnx(SPEC, { schedule: { name: "edm" } });
  const ts = gaussianMixture(SPEC, g.schedule);
  await using model = await onnxDenoiser(g.bytes, {
    schedule: g.schedule,
    kind: "x0",
    output: "x0",
  });
  const n = 256;
  const z = b.zeros(n * 2);
  await b.fillNormal(z, makeKey(5));
  const x = b.zeros(n * 2);
  await b.lincomb(x, [[80, z]]);
  for (const [name, steps] of SAMPLERS) {
    const sampler = (diffusion as unknown as Record<string, diffusion.Sampler>)[name]!;
    const grid = diffusion.karrasSigmas(steps);
    const a = await sampler(model, x, grid);
    const e = await sampler(ts, x, grid);
    assert.equal(a.nfe, e.nfe);
    const got = await b.download(a.x), want = await b.download(e.x);
    let worst = 0;
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
    }
    assert.ok(worst <= 1e-4, `${name}: worst relative difference ${worst}`);
    b.release(a.x);
    b.release(e.x);
  }
});
