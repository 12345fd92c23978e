// The page's computation in Deno (no browser): web/sample_shipped.ts gives
// the bits of the Deno run written out from the library (tests/web/_deno_run.ts),
// and the page's settings and inputs are checked with typed errors.
import assert from "node:assert/strict";
import { CpuBackend } from "../../kernels/cpu_backend.ts";
import { SdenoParseError, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { encodeNpy } from "../../io/npy.ts";
import { loadShippedModel, sampleShipped } from "../../web/sample_shipped.ts";
import { PAGE_DEFAULTS, pageOptions } from "../../web/page_options.ts";
import { ROOT } from "./_chromium.ts";
import { denoRun, ringModel } from "./_deno_run.ts";

Deno.test("sampleShipped() gives the Deno run's bits for an ODE and an SDE sampler", async () => {
  const mlp = loadShippedModel(
    await Deno.readTextFile(`${ROOT}models/shipped/ring.json`),
    await Deno.readFile(`${ROOT}models/shipped/ring.npy`),
  );
  for (const sampler of ["dpmpp_2m", "euler_ancestral", "heun"]) {
    const r = await sampleShipped(mlp, new CpuBackend(), { sampler, steps: 9, n: 40, seed: 11 });
    const ref = await denoRun(sampler, 9, 40, 11);
    assert.equal(r.nfe, ref.nfe);
    assert.ok(r.samples.every((v, i) => Object.is(v, ref.samples[i])), sampler);
  }
});

Deno.test("sampleShipped() draws per point: the first k points do not depend on n", async () => {
  const mlp = await ringModel();
  const b = new CpuBackend();
  const small = await sampleShipped(mlp, b, { sampler: "euler_ancestral", steps: 5, n: 3 });
  const large = await sampleShipped(mlp, b, { sampler: "euler_ancestral", steps: 5, n: 30 });
  assert.deepEqual(large.samples.slice(0, 6), small.samples);
  const other = await sampleShipped(mlp, b, {
    sampler: "euler_ancestral",
    steps: 5,
    n: 3,
    seed: 1,
  });
  assert.notDeepEqual(other.samples, small.samples);
});

Deno.test("sampleShipped() and loadShippedModel() refuse bad input with typed errors", async () => {
  const mlp = await ringModel();
  const b = new CpuBackend();
  await assert.rejects(() => sampleShipped(mlp, b, { sampler: "nope" }), SdenoRangeError);
  await assert.rejects(
    () => sampleShipped(mlp, b, { n: 0 }),
    (e: Error) =>
      e instanceof SdenoRangeError && /n must be an integer in \[1, 1048576\]/.test(e.message),
  );
  await assert.rejects(() => sampleShipped(mlp, b, { steps: 1.5 }), /steps must be an integer/);
  await assert.rejects(() => sampleShipped(mlp, b, { seed: -1 }), /seed must be an integer/);
  await assert.rejects(
    () => sampleShipped({} as never, b),
    (e: Error) => e instanceof SdenoTypeError && /mlp must be an Mlp/.test(e.message),
  );
  await assert.rejects(() => sampleShipped(mlp, {} as never), /backend must be a cpu or webgpu/);
  const weights = encodeNpy({ data: new Float64Array(mlp.params), shape: [mlp.parameterCount] });
  assert.throws(() => loadShippedModel("{not json", weights), SdenoParseError);
  assert.throws(() => loadShippedModel('{"format":"other"}', weights), /format "sdeno-mlp"/);
  assert.throws(
    () =>
      loadShippedModel(
        JSON.stringify(mlp.card()),
        encodeNpy({ data: new Int32Array(3), shape: [3] }),
      ),
    (e: Error) => e instanceof SdenoTypeError && /float32 or float64, got "<i4"/.test(e.message),
  );
  assert.throws(
    () => loadShippedModel(JSON.stringify(mlp.card()), new Uint8Array(10)),
    SdenoParseError,
  );
});

Deno.test("pageOptions() reads the query string and names a bad parameter and value", () => {
  assert.deepEqual(pageOptions(""), PAGE_DEFAULTS);
  assert.deepEqual(
    pageOptions("?backend=webgpu&model=checkerboard&steps=20&n=1000&seed=4294967295"),
    {
      ...PAGE_DEFAULTS,
      backend: "webgpu",
      model: "checkerboard",
      steps: 20,
      n: 1000,
      seed: 4294967295,
    },
  );
  const bad: [string, RegExp][] = [
    ["backend=gpu", /backend must be one of auto, cpu, webgpu, got "gpu"/],
    ["model=digits", /model must be one of ring, checkerboard, got "digits"/],
    ["steps=0", /steps must be a whole number in \[1, 1000\], got "0"/],
    ["n=1e3", /n must be a whole number in \[1, 65536\], got "1e3"/],
    ["seed=-1", /seed must be a whole number in \[0, 4294967295\], got "-1"/],
    ["seed=4294967296", /seed must be a whole number/],
    ["nfe=10", /unknown parameter "nfe"; known: backend, model, sampler, steps, n, seed/],
  ];
  for (const [query, message] of bad) {
    assert.throws(
      () => pageOptions(query),
      (e: Error) => e instanceof SdenoRangeError && message.test(e.message),
      query,
    );
  }
});
