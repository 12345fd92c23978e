import assert from "node:assert/strict";
import { CpuBackend, fillNormal, SdenoRangeError } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { karrasSigmas, samplePredictorCorrector } from "../../../solvers/diffusion/mod.ts";

// Data N(1, 0.25); PC from σ = 20 on a Karras grid to 0.
const MODEL = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.25]] }, edmSchedule());

async function run(n: number, steps: number, options = {}) {
  const b = new CpuBackend();
  const z = new Float64Array(n);
  fillNormal(z, { seed: 3, stream: 0 });
  const r = await samplePredictorCorrector(
    MODEL,
    b.upload(z.map((v) => 1 + Math.sqrt(0.25 + 400) * v)),
    karrasSigmas(steps, { sigmaMax: 20, sigmaMin: 0.01 }),
    { key: { seed: 8, stream: 0 }, ...options },
  );
  return { r, x: await b.download(r.x) };
}

function meanVar(x: Float64Array): [number, number] {
  const n = x.length;
  const mean = x.reduce((a, v) => a + v, 0) / n;
  return [mean, x.reduce((a, y) => a + (y - mean) ** 2, 0) / (n - 1)];
}

Deno.test("samplePredictorCorrector() samples N(1, 0.25): mean and variance within 4 standard errors", async () => {
  const n = 20000;
  const { r, x } = await run(n, 160, { correctorSteps: 1, snr: 0.16 });
  assert.equal(r.nfe, 320);
  // corrector draws and predictor draws, the last predictor step noise-free
  assert.equal(r.noiseCalls.length, 160 + 159);
  const [mean, v] = meanVar(x);
  const seMean = Math.sqrt(0.25 / n), seVar = 0.25 * Math.sqrt(2 / (n - 1));
  assert.ok(Math.abs(mean - 1) < 4 * seMean, `mean ${mean}`);
  assert.ok(Math.abs(v - 0.25) < 4 * seVar, `variance ${v}`);
});

Deno.test("samplePredictorCorrector(): at 40 steps the Langevin corrector shrinks the predictor's variance bias", async () => {
  // the predictor alone overshoots the variance by ~0.05 (20 standard errors) at 40 steps
  const n = 20000;
  const [, vp] = meanVar((await run(n, 40, { correctorSteps: 0 })).x);
  const [, vpc] = meanVar((await run(n, 40, { correctorSteps: 1 })).x);
  const seVar = 0.25 * Math.sqrt(2 / (n - 1));
  assert.ok(vp - 0.25 > 8 * seVar, `predictor variance ${vp}`);
  assert.ok(Math.abs(vpc - 0.25) < Math.abs(vp - 0.25) - 4 * seVar, `${vpc} vs ${vp}`);
});

Deno.test("samplePredictorCorrector() with correctorSteps 0 is the predictor alone and is seeded", async () => {
  const a = await run(200, 10, { correctorSteps: 0 });
  const b = await run(200, 10, { correctorSteps: 0 });
  assert.equal(a.r.nfe, 10);
  assert.deepEqual(a.x, b.x);
  const c = await run(200, 10, { correctorSteps: 2 });
  assert.equal(c.r.nfe, 30);
  assert.notDeepEqual(a.x, c.x);
});

Deno.test("samplePredictorCorrector() rejects a bad snr or corrector count", async () => {
  await assert.rejects(() => run(4, 3, { snr: 0 }), SdenoRangeError);
  await assert.rejects(() => run(4, 3, { snr: NaN }), SdenoRangeError);
  await assert.rejects(() => run(4, 3, { correctorSteps: -1 }), RangeError);
  await assert.rejects(() => run(4, 3, { correctorSteps: 1.5 }), TypeError);
});
