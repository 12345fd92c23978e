// Multistep consistency sampling: diffusers' LCMScheduler.step run in float64 on the exact mixture with
// the same noise (tests/fixtures/practitioner/samplers.json), and exactness with the exact
// consistency function (the PF-ODE end point): every step count gives samples of the data law.
import assert from "node:assert/strict";
import { createBackend, fillNormal, makeKey } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { vpDiscreteSchedule } from "../../../processes/vp_discrete_schedule.ts";
import { predictAs } from "../../../models/denoiser.ts";
import {
  exactConsistencyModel,
  lcmBoundaryModel,
  lcmMethod,
  sampleLcm,
} from "../../../solvers/diffusion/lcm.ts";
import { maxRelErr, RUNS, SPEC, STORED_NOISE, Z } from "./_practitioner_fixture.ts";

const cpu = await createBackend("cpu");

function sdBetas(): Float64Array {
  // torch.linspace(√0.00085, √0.012, 1000)² in float64 (torch steps the two halves from each end)
  const a = Math.sqrt(0.00085), b = Math.sqrt(0.012), n = 1000, step = (b - a) / (n - 1);
  return Float64Array.from(
    { length: n },
    (_, i) => (i < n / 2 ? a + step * i : b - step * (n - 1 - i)) ** 2,
  );
}

Deno.test("sampleLcm() with the LCM boundary scalings equals diffusers' LCMScheduler to 1e-9", async () => {
  const run = RUNS.lcm_diffusers4!;
  const schedule = vpDiscreteSchedule({ betas: sdBetas() });
  const model = lcmBoundaryModel(gaussianMixture(SPEC, schedule));
  // diffusers' integer timestep k is the knot t = (k + 1)/1000; the run ends at σ = 0
  const grid = [...run.timesteps!.map((k) => (k + 1) / 1000), 0];
  const r = await sampleLcm(model, cpu.upload(Z), grid, { noise: STORED_NOISE, query: "eps" });
  const e = maxRelErr(await cpu.download(r.x), run.x);
  assert.ok(e < 1e-9, `${e}`);
  assert.equal(r.nfe, run.nfe);
  assert.equal(r.noiseCalls.length, run.noiseCalls);
  assert.equal(lcmMethod.info.nfe({ points: grid.length, endsAtZero: true }, {}), run.nfe);
});

Deno.test("exactConsistencyModel() is the flow's end point: to 1e-6 for a Gaussian, at every σ", async () => {
  const gm = gaussianMixture(
    { weights: [1], means: [[1, -1]], variances: [[0.5, 2]] },
    edmSchedule(),
  );
  const f = exactConsistencyModel(gm);
  const out = cpu.zeros(2);
  for (const s of [0.05, 1, 30]) {
    await predictAs(f, cpu.upload([2, 3]), { t: s, kind: "x0", out });
    const x = await cpu.download(out);
    // x0 = μ + (x − μ)·sqrt(v/(v + σ²)) per dimension
    assert.ok(Math.abs(x[0]! - (1 + 1 * Math.sqrt(0.5 / (0.5 + s * s)))) < 1e-6, `σ ${s}: ${x[0]}`);
    assert.ok(Math.abs(x[1]! - (-1 + 4 * Math.sqrt(2 / (2 + s * s)))) < 1e-6, `σ ${s}: ${x[1]}`);
  }
});

Deno.test("sampleLcm() with the exact consistency function samples the mixture exactly at 1, 2 and 4 steps (|z| < 4)", async () => {
  // a 2-component 2-D mixture; mean and second moments of 1500 samples against the exact ones
  const spec = {
    weights: [0.3, 0.7],
    means: [[-1.5, 0], [1, 1]],
    variances: [[0.2, 0.3], [0.4, 0.1]],
  };
  const f = exactConsistencyModel(gaussianMixture(spec, edmSchedule()), { steps: 40 });
  const n = 1500;
  const z = new Float64Array(2 * n);
  fillNormal(z, makeKey(77, 0));
  const mean = [0, 1].map((j) => spec.weights.reduce((a, w, k) => a + w * spec.means[k]![j]!, 0));
  const m2 = [0, 1].map((j) =>
    spec.weights.reduce((a, w, k) => a + w * (spec.variances[k]![j]! + spec.means[k]![j]! ** 2), 0)
  );
  const m4 = [0, 1].map((j) =>
    spec.weights.reduce((a, w, k) => {
      const m = spec.means[k]![j]!, v = spec.variances[k]![j]!;
      return a + w * (m ** 4 + 6 * m * m * v + 3 * v * v);
    }, 0)
  );
  for (const grid of [[20, 0], [20, 1, 0], [20, 5, 1, 0.2, 0]]) {
    const r = await sampleLcm(f, cpu.upload(z.map((v) => 20 * v)), grid, { key: makeKey(5, 1) });
    const x = await cpu.download(r.x);
    for (let j = 0; j < 2; j++) {
      let s1 = 0, s2 = 0;
      for (let i = 0; i < n; i++) {
        s1 += x[2 * i + j]!;
        s2 += x[2 * i + j]! ** 2;
      }
      const var1 = m2[j]! - mean[j]! ** 2;
      const z1 = (s1 / n - mean[j]!) / Math.sqrt(var1 / n);
      const z2 = (s2 / n - m2[j]!) / Math.sqrt((m4[j]! - m2[j]! ** 2) / n);
      assert.ok(Math.abs(z1) < 4 && Math.abs(z2) < 4, `grid ${grid} dim ${j}: z ${z1}, ${z2}`);
    }
    assert.equal(r.noiseCalls.length, grid.length - 2);
  }
});

Deno.test("the LCM wrappers refuse bad input", () => {
  const gm = gaussianMixture(SPEC, edmSchedule());
  assert.throws(() => exactConsistencyModel(gm, { steps: 1 }), /steps/);
  assert.throws(() => exactConsistencyModel(gm, { relativeSigmaMin: 2 }), /relativeSigmaMin/);
  assert.throws(() => exactConsistencyModel({} as never), /predict method/);
  assert.throws(() => lcmBoundaryModel(gm, { sigmaData: NaN }), /sigmaData/);
});
