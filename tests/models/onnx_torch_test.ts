// The real-user path: networks built, trained and exported by PyTorch (torch.onnx.export), run
// through onnxDenoiser and sampled by sdeno's euler, heun and dpmpp_2m, against k-diffusion's
// formulas computed in PyTorch float32 (tests/fixtures/onnx/make_torch_fixture.py, README.md).
// No Python is needed here: the .onnx files and the expected outputs are committed.
import assert from "node:assert/strict";
import { createBackend } from "../../kernels/mod.ts";
import { predictAs } from "../../models/denoiser.ts";
import { onnxDenoiser } from "../../models/onnx.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import * as diffusion from "../../solvers/diffusion/mod.ts";

const DIR = new URL("../fixtures/onnx/", import.meta.url);
const expected = JSON.parse(await Deno.readTextFile(new URL("torch_expected.json", DIR)));
const b = await createBackend("cpu");

/** max |a − e| / max |e|: the relative difference of two arrays. */
function relative(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < e.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - e[i]!));
    scale = Math.max(scale, Math.abs(e[i]!));
  }
  return diff / scale;
}

Deno.test("the PyTorch EDM network exported to ONNX gives PyTorch's outputs", async () => {
  const { x, sigma, denoised } = expected.edm_mlp_model;
  await using model = await onnxDenoiser(new URL("edm_mlp.onnx", DIR), {
    schedule: edmSchedule(),
    kind: "x0",
    time: "sigma",
    inputs: { t: "sigma" },
  });
  assert.deepEqual(model.inputNames, ["x", "sigma"]);
  for (let i = 0; i < sigma.length; i++) {
    const out = b.zeros(2);
    await predictAs(model, b.upload(x.slice(2 * i, 2 * i + 2)), { t: sigma[i], kind: "x0", out });
    const got = await b.download(out);
    const want = denoised.slice(2 * i, 2 * i + 2);
    assert.ok(relative(got, want) <= 1e-5, `σ = ${sigma[i]}: ${got} vs ${want}`);
  }
});

const SAMPLERS = { euler: "sampleEuler", heun: "sampleHeun", dpmpp_2m: "sampleDpmpp2m" } as const;

Deno.test("sdeno's euler, heun and dpmpp_2m on the PyTorch network match k-diffusion to 1e-4", async () => {
  await using model = await onnxDenoiser(new URL("edm_mlp.onnx", DIR), {
    schedule: edmSchedule(),
    kind: "x0",
    time: "sigma",
    inputs: { t: "sigma" },
  });
  const z: number[] = expected.samplers.z;
  for (const [name, fn] of Object.entries(SAMPLERS)) {
    const run = expected.samplers.runs[name];
    const sigmas: number[] = run.sigmas; // k-diffusion's float32 Karras grid, as PyTorch used it
    const sampler = (diffusion as unknown as Record<string, diffusion.Sampler>)[fn]!;
    const x = b.upload(z.map((v) => v * sigmas[0]!));
    const r = await sampler(model, x, sigmas);
    const got = await b.download(r.x);
    const rel = relative(got, run.x);
    assert.ok(rel <= 1e-4, `${name}: relative difference ${rel}`);
    console.log(`${name}: relative difference to k-diffusion in PyTorch ${rel.toExponential(2)}`);
    // a coarser grid (every other σ) lands far outside the bound: the check can fail
    const short = await sampler(model, x, [
      ...sigmas.slice(0, -1).filter((_, i) => i % 2 === 0),
      0,
    ]);
    assert.ok(relative(await b.download(short.x), run.x) > 1e-3, `${name} on a shorter grid`);
    for (const a of [x, r.x, short.x]) b.release(a);
  }
});

Deno.test("the PyTorch conditional NCHW eps network: int64 labels, c_noise time input", async () => {
  const { sample, sigma, labels, eps } = expected.cond_conv;
  await using model = await onnxDenoiser(new URL("cond_conv.onnx", DIR), {
    schedule: edmSchedule(),
    kind: "eps",
    time: "cNoise",
    inputs: { x: "sample", t: "c_noise", labels: "class_labels" },
    labelCount: 4,
  });
  assert.deepEqual(model.pointShape, [1, 4, 4]);
  for (let i = 0; i < sigma.length; i++) {
    const out = b.zeros(16);
    await predictAs(model, b.upload(sample.slice(16 * i, 16 * i + 16)), {
      t: sigma[i],
      kind: "eps",
      out,
      conditioning: { labels: [labels[i]] },
    });
    const want = eps.slice(16 * i, 16 * i + 16);
    assert.ok(relative(await b.download(out), want) <= 1e-5, `image ${i}`);
  }
});
