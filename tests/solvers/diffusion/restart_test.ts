// The Restart sampler against ComfyUI's sample_restart loop run in float64 on the exact mixture with
// the same injected noise (tests/fixtures/practitioner/samplers.json).
import assert from "node:assert/strict";
import { createBackend, makeKey } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { restartMethod, sampleRestart } from "../../../solvers/diffusion/restart.ts";
import { karrasSigmas } from "../../../solvers/diffusion/k_sigmas.ts";
import { maxRelErr, RUNS, SPEC, STORED_NOISE, Z } from "./_practitioner_fixture.ts";

const cpu = await createBackend("cpu");
const gm = gaussianMixture(SPEC, edmSchedule());
const x80 = () => cpu.upload(Z.map((v) => 80 * v));

Deno.test("sampleRestart() with an explicit restart list equals ComfyUI's sample_restart to 1e-11", async () => {
  const run = RUNS.restart_list!;
  const opts = {
    restartList: run.restartList as {
      sigmaMin: number;
      steps: number;
      times: number;
      sigmaMax: number;
    }[],
    sNoise: run.sNoise as number,
  };
  const r = await sampleRestart(gm, x80(), run.grid!, { ...opts, noise: STORED_NOISE });
  const e = maxRelErr(await cpu.download(r.x), run.x);
  assert.ok(e < 1e-11, `${e}`);
  assert.equal(r.nfe, run.nfe);
  assert.equal(r.noiseCalls.length, run.noiseCalls);
  assert.equal(
    restartMethod.info.nfe({ points: run.grid!.length, endsAtZero: true }, opts),
    run.nfe,
  );
});

Deno.test("sampleRestart() with ComfyUI's automatic list (24 steps) rebuilds the grid as ComfyUI does", async () => {
  const run = RUNS.restart_auto24!;
  const r = await sampleRestart(gm, x80(), run.grid!, { noise: STORED_NOISE });
  const e = maxRelErr(await cpu.download(r.x), run.x);
  assert.ok(e < 1e-11, `${e}`);
  assert.equal(r.nfe, run.nfe);
  assert.equal(r.noiseCalls.length, run.noiseCalls);
  assert.equal(restartMethod.info.nfe({ points: 25, endsAtZero: true }, {}), run.nfe);
});

Deno.test("sampleRestart() rows do not depend on the batch (Philox keyed noise)", async () => {
  const grid = karrasSigmas(24);
  const all = await sampleRestart(gm, x80(), grid, { key: makeKey(3, 1) });
  const tail = await sampleRestart(gm, cpu.upload(Z.slice(20).map((v) => 80 * v)), grid, {
    key: makeKey(3, 1),
    pathOffset: 10,
  });
  assert.deepEqual(
    Array.from(await cpu.download(tail.x)),
    Array.from((await cpu.download(all.x)).slice(20)),
  );
});

Deno.test("sampleRestart() refuses a bad restart list or sNoise", async () => {
  const g = karrasSigmas(10);
  await assert.rejects(
    () =>
      sampleRestart(gm, x80(), g, {
        restartList: [{ sigmaMin: 2, steps: 4, times: 1, sigmaMax: 1 }],
      }),
    /restartList\[0\] must be/,
  );
  await assert.rejects(
    () => sampleRestart(gm, x80(), g, { restartList: "x" as unknown as [] }),
    /restartList must be an array/,
  );
  await assert.rejects(() => sampleRestart(gm, x80(), g, { sNoise: -1 }), /sNoise/);
});
