// iPNDM against ComfyUI's sample_ipndm loop run in float64 on the exact mixture
// (tests/fixtures/practitioner/samplers.json), and its order on the exact flow of the mixture.
import assert from "node:assert/strict";
import { createBackend, SdenoRangeError } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { ipndmMethod, sampleIpndm } from "../../../solvers/diffusion/ipndm.ts";
import { karrasSigmas } from "../../../solvers/diffusion/k_sigmas.ts";
import { sampleHeun } from "../../../solvers/diffusion/sample_heun.ts";
import { maxRelErr, RUNS, SPEC, Z } from "./_practitioner_fixture.ts";

const cpu = await createBackend("cpu");
const gm = gaussianMixture(SPEC, edmSchedule());

Deno.test("sampleIpndm() equals ComfyUI's sample_ipndm to 1e-12 (max order 4 and 2)", async () => {
  for (const order of [4, 2]) {
    const run = RUNS[`ipndm_order${order}`]!;
    const r = await sampleIpndm(gm, cpu.upload(Z.map((v) => 80 * v)), run.grid!, {
      maxOrder: order,
    });
    const e = maxRelErr(await cpu.download(r.x), run.x);
    assert.ok(e < 1e-12, `order ${order}: ${e}`);
    assert.equal(r.nfe, run.nfe);
    assert.equal(r.nfe, ipndmMethod.info.nfe({ points: run.grid!.length, endsAtZero: true }, {}));
  }
});

// The Adams–Bashforth 4 steps have local error O(h⁵), but the warm-up (one Euler step, then AB2,
// AB3, without a Runge–Kutta start) leaves a global O(h²): the declared order is 2.
Deno.test("sampleIpndm() converges at its declared order 2 (the Euler warm-up) on the exact flow of a Gaussian", async () => {
  // N(1, 1) data: the flow through x at σ is 1 + (x − 1)·sqrt((1 + σ'²)/(1 + σ²)), exact
  const model = gaussianMixture({ weights: [1], means: [[1]], variances: [[1]] }, edmSchedule());
  const x0 = [3, -2, 0.5];
  const exact = x0.map((v) => 1 + (v - 1) * Math.sqrt((1 + 0.25) / (1 + 100)));
  const errs: number[] = [], ns = [16, 32, 64];
  for (const n of ns) {
    const grid = karrasSigmas(n, { sigmaMin: 0.5, sigmaMax: 10, appendZero: false });
    const r = await sampleIpndm(model, cpu.upload(x0), grid);
    const x = await cpu.download(r.x);
    errs.push(Math.max(...exact.map((e, i) => Math.abs(x[i]! - e))));
  }
  const order = Math.log2(errs[1]! / errs[2]!);
  assert.ok(Math.abs(order - ipndmMethod.info.order) < 0.2, `errors ${errs}, order ${order}`);
  // and it beats Heun at equal NFE
  const h = await sampleHeun(
    model,
    cpu.upload(x0),
    karrasSigmas(32, { sigmaMin: 0.5, sigmaMax: 10, appendZero: false }),
  );
  const xh = await cpu.download(h.x);
  assert.ok(errs[2]! < Math.max(...exact.map((e, i) => Math.abs(xh[i]! - e))));
});

Deno.test("sampleIpndm() refuses a max order outside 1–4", async () => {
  await assert.rejects(
    () => sampleIpndm(gm, cpu.upload(Z), karrasSigmas(5), { maxOrder: 5 }),
    SdenoRangeError,
  );
  await assert.rejects(
    () => sampleIpndm(gm, cpu.upload(Z), karrasSigmas(5), { maxOrder: 0 }),
    /maxOrder/,
  );
});
