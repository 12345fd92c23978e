// onnxDenoiser on onnxruntime-node: time conventions, names, labels and tensors, batching,
// NCHW shapes, dtype conversion, closing, and every bad input as a typed error.
import assert from "node:assert/strict";
import { createBackend } from "../../kernels/mod.ts";
import { SdenoParseError, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { predictAs } from "../../models/denoiser.ts";
import { type OnnxDataType, onnxDenoiser, OnnxGraph } from "../../models/onnx.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";

const b = await createBackend("cpu");

/** y = x·0 + t (t broadcast over the point): a model that shows what time it was given. */
function timeEcho(tType: OnnxDataType, tShape: (number | string)[]): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input("x", { type: "float32", shape: ["n", 3] });
  const t = g.input("t", { type: tType, shape: tShape });
  let tf = g.op("Cast", [t], { attributes: { to: 1 } });
  if (tShape.length === 1 && tShape[0] !== 1) {
    tf = g.op("Unsqueeze", [tf, g.constant([1], "int64")]);
  }
  g.output(g.op("Add", [g.op("Mul", [x, g.constant(0)]), tf]), {
    name: "y",
    type: "float32",
    shape: ["n", 3],
  });
  return g.toBytes();
}

Deno.test("onnxDenoiser() feeds each time convention with its formula", async () => {
  const vp = vpLinearSchedule();
  const t = 0.3;
  const sOverA = vp.sigma(t) / vp.alpha(t);
  const cases = [
    ["t", t],
    ["ddpm", 1000 * (t - 1 / 1000)],
    ["sigma", sOverA],
    ["cNoise", Math.log(sOverA) / 4],
    [(u: number) => 7 * u, 7 * t],
  ] as const;
  for (const [time, want] of cases) {
    await using m = await onnxDenoiser(timeEcho("float32", ["n"]), {
      schedule: vp,
      kind: "eps",
      time,
    });
    const out = b.zeros(6);
    await m.predict(b.upload([1, 2, 3, 4, 5, 6]), t, out, { kind: "eps" });
    for (const v of await b.download(out)) assert.equal(v, Math.fround(want));
  }
});

Deno.test("onnxDenoiser() shapes and types the time input as the model declares it", async () => {
  const edm = edmSchedule();
  for (
    const [type, shape] of [
      ["float32", []],
      ["float32", [1]],
      ["float64", ["n"]],
      ["float32", ["n", 1]],
      ["int64", ["n"]],
      ["int32", [1]],
    ] as [OnnxDataType, (number | string)[]][]
  ) {
    await using m = await onnxDenoiser(timeEcho(type, shape), {
      schedule: edm,
      kind: "x0",
      time: "ddpm",
      ddpmSteps: 4,
    });
    const out = b.zeros(6);
    await m.predict(b.upload([0, 0, 0, 0, 0, 0]), 0.5, out, { kind: "x0" }); // 1000(0.5 − 1/4)
    assert.deepEqual([...await b.download(out)], [250, 250, 250, 250, 250, 250], `${type}`);
  }
  // an integer time input refuses a time that is not an integer
  await using m = await onnxDenoiser(timeEcho("int64", ["n"]), { schedule: edm, kind: "x0" });
  await assert.rejects(
    m.predict(b.upload([0, 0, 0]), 0.5, b.zeros(3), { kind: "x0" }),
    (e) => e instanceof SdenoRangeError && /int64.*0\.5.*not an integer/.test(e.message),
  );
});

/** y = x + table[labels] + c (a conditional model with a label and a tensor input). */
function conditional(labelType: OnnxDataType): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input("x", { type: "float32", shape: ["n", 2] });
  g.input("t", { type: "float32", shape: ["n"] });
  const labels = g.input("labels", { type: labelType, shape: ["n"] });
  const c = g.input("cond", { type: "float32", shape: ["n", 2] });
  const table = g.initializer("table", [0, 0, 10, 20, 100, 200], { shape: [3, 2] });
  const idx = labelType === "int64" ? labels : g.op("Cast", [labels], { attributes: { to: 7 } });
  const y = g.op("Add", [g.op("Add", [x, g.op("Gather", [table, idx])]), c]);
  g.output(y, { name: "y", type: "float32", shape: ["n", 2] });
  return g.toBytes();
}

Deno.test("onnxDenoiser() passes labels (int64 or int32) and float tensors per point or shared", async () => {
  for (const type of ["int64", "int32"] as const) {
    await using m = await onnxDenoiser(conditional(type), {
      schedule: edmSchedule(),
      kind: "x0",
      labelCount: 3,
    });
    const x = b.upload([1, 2, 3, 4]);
    const out = b.zeros(4);
    await m.predict(x, 1, out, {
      kind: "x0",
      conditioning: {
        labels: [2, 1],
        tensors: { cond: { data: new Float64Array([0.5, 0.25, 1, 2]), shape: [2, 2] } },
      },
    });
    assert.deepEqual([...await b.download(out)], [101.5, 202.25, 14, 26]);
    // one label and one tensor row for the whole batch
    await m.predict(x, 1, out, {
      kind: "x0",
      conditioning: {
        labels: new Int32Array([1]),
        tensors: { cond: { data: new Float32Array([1, 1]), shape: [1, 2] } },
      },
    });
    assert.deepEqual([...await b.download(out)], [12, 23, 14, 25]);
    // a label out of range, a missing label, an unknown tensor: typed errors naming them
    const bad = (conditioning: object) =>
      m.predict(x, 1, out, { kind: "x0", conditioning: conditioning as never });
    const cond = { cond: { data: new Float32Array([1, 1]), shape: [1, 2] } };
    await assert.rejects(
      bad({ labels: [0, 3], tensors: cond }),
      (e) => e instanceof SdenoRangeError && /labels\[1\].*\[0, 3\).*"3"/.test(e.message),
    );
    await assert.rejects(
      bad({ labels: [0.5], tensors: cond }),
      (e) => e instanceof SdenoRangeError && /labels\[0\]/.test(e.message),
    );
    await assert.rejects(bad({ tensors: cond }), (e) => e instanceof SdenoTypeError);
    await assert.rejects(
      bad({ labels: [0], tensors: { ...cond, extra: cond.cond } }),
      (e) => e instanceof SdenoTypeError && /"extra".*"x", "t", "labels", "cond"/.test(e.message),
    );
    await assert.rejects(
      bad({ labels: [0] }),
      (e) => e instanceof SdenoTypeError && /input "cond" needs/.test(e.message),
    );
  }
});

/** y = 2x on NCHW images [n, 1, 2, 3], other names. */
function image(): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input("sample", { type: "float32", shape: ["batch", 1, 2, 3] });
  g.input("sigma", { type: "float32", shape: ["batch"] });
  g.output(g.op("Mul", [x, g.constant(2)]), {
    name: "denoised",
    type: "float32",
    shape: ["batch", 1, 2, 3],
  });
  return g.toBytes();
}

Deno.test("onnxDenoiser() runs NCHW images in chunks of maxBatch", async () => {
  await using m = await onnxDenoiser(image(), {
    schedule: edmSchedule(),
    kind: "x0",
    time: "sigma",
    inputs: { x: "sample", t: "sigma" },
    maxBatch: 3,
  });
  assert.equal(m.dim, 6);
  assert.deepEqual(m.pointShape, [1, 2, 3]);
  const n = 8;
  const xs = Array.from({ length: n * 6 }, (_, i) => i / 7);
  const out = b.zeros(n * 6);
  await predictAs(m, b.upload(xs), { t: 2, kind: "x0", out });
  assert.equal(m.runs, 3); // 3 + 3 + 2 points
  const got = await b.download(out);
  xs.forEach((v, i) => assert.equal(got[i], Math.fround(v) * 2));
  // and the other kinds come by conversion: ε = (x − x₀)/σ = −x/2 at σ = 2
  await predictAs(m, b.upload(xs), { t: 2, kind: "eps", out });
  const eps = await b.download(out);
  xs.forEach((v, i) => assert.ok(Math.abs(eps[i]! - (v - 2 * Math.fround(v)) / 2) < 1e-15));
});

Deno.test("onnxDenoiser() reports missing and misnamed inputs and outputs with the model's names", async () => {
  const edm = edmSchedule();
  await assert.rejects(
    onnxDenoiser(image(), { schedule: edm, kind: "x0" }),
    (e) =>
      e instanceof SdenoTypeError &&
      /no input "x" for x \(its inputs: "sample", "sigma"\); name it with options\.inputs\.x/.test(
        e.message,
      ),
  );
  await assert.rejects(
    onnxDenoiser(image(), { schedule: edm, kind: "x0", inputs: { x: "sample", t: "time" } }),
    (e) => e instanceof SdenoTypeError && /no input "time".*"sample", "sigma"/.test(e.message),
  );
  await assert.rejects(
    onnxDenoiser(image(), {
      schedule: edm,
      kind: "x0",
      inputs: { x: "sample", t: "sigma" },
      output: "eps",
    }),
    (e) =>
      e instanceof SdenoTypeError && /no output "eps" \(its outputs: "denoised"\)/.test(e.message),
  );
});

Deno.test("onnxDenoiser() rejects a wrong rank, a wrong dtype and a corrupt or missing file", async () => {
  const edm = edmSchedule();
  const names = { x: "sample", t: "sigma" };
  await assert.rejects(
    onnxDenoiser(image(), { schedule: edm, kind: "x0", inputs: names, shape: [6] }),
    (e) => e instanceof SdenoTypeError && /rank 4.*needs rank 2/.test(e.message),
  );
  await assert.rejects(
    onnxDenoiser(image(), { schedule: edm, kind: "x0", inputs: names, shape: [1, 3, 2] }),
    (e) => e instanceof SdenoTypeError && /does not match options\.shape/.test(e.message),
  );
  const g = new OnnxGraph();
  const x = g.input("x", { type: "int64", shape: ["n", 2] });
  g.input("t", { type: "float32", shape: ["n"] });
  g.output(x, { name: "y", type: "int64", shape: ["n", 2] });
  await assert.rejects(
    onnxDenoiser(g.toBytes(), { schedule: edm, kind: "x0" }),
    (e) =>
      e instanceof SdenoTypeError &&
      /"x" has type int64; expected float32 or float64/.test(e.message),
  );
  const h = new OnnxGraph();
  h.input("x", { type: "float32", shape: ["n", 2] });
  h.input("t", { type: "float32", shape: ["n", 2] });
  h.output("x", { name: "y", type: "float32", shape: ["n", 2] });
  await assert.rejects(
    onnxDenoiser(h.toBytes(), { schedule: edm, kind: "x0" }),
    (e) => e instanceof SdenoTypeError && /"t" for the time has shape \["n",2\]/.test(e.message),
  );
  const bytes = image();
  await assert.rejects(
    onnxDenoiser(bytes.slice(0, bytes.length - 9), { schedule: edm, kind: "x0" }),
    (e) =>
      e instanceof SdenoParseError && /cannot read \(\d+ bytes\) as an ONNX model/.test(e.message),
  );
  await assert.rejects(
    onnxDenoiser(new TextEncoder().encode("not a model"), { schedule: edm, kind: "x0" }),
    SdenoParseError,
  );
  await assert.rejects(
    onnxDenoiser("tests/fixtures/onnx/no_such_model.onnx", { schedule: edm, kind: "x0" }),
    (e) => e instanceof SdenoRangeError && /no file at/.test(e.message),
  );
  await assert.rejects(
    onnxDenoiser(bytes, { schedule: edm, kind: "noise" as never }),
    (e) => e instanceof SdenoRangeError && /kind must be one of/.test(e.message),
  );
  await assert.rejects(
    onnxDenoiser(bytes, { schedule: edm, kind: "x0", time: "log" as never }),
    SdenoRangeError,
  );
});

Deno.test("onnxDenoiser() rejects an output whose shape differs from its input, and a closed session", async () => {
  const g = new OnnxGraph();
  const x = g.input("x", { type: "float32", shape: ["n", 2] });
  g.input("t", { type: "float32", shape: ["n"] });
  g.output(g.op("Concat", [x, x], { attributes: { axis: 1 } }), {
    name: "y",
    type: "float32",
    shape: ["n", 4],
  });
  const m = await onnxDenoiser(g.toBytes(), { schedule: edmSchedule(), kind: "x0" });
  await assert.rejects(
    m.predict(b.upload([1, 2]), 1, b.zeros(2), { kind: "x0" }),
    (e) => e instanceof SdenoTypeError && /output "y" has shape \[1,4\].*\[1,2\]/.test(e.message),
  );
  await assert.rejects(
    m.predict(b.upload([1, 2, 3]), 1, b.zeros(3), { kind: "x0" }),
    (e) => e instanceof SdenoTypeError && /multiple of the point size 2/.test(e.message),
  );
  await m.close();
  await m.close(); // closing twice is harmless
  await assert.rejects(
    m.predict(b.upload([1, 2]), 1, b.zeros(2), { kind: "x0" }),
    (e) => e instanceof SdenoTypeError && /session is closed/.test(e.message),
  );
});

Deno.test("OnnxGraph rejects unknown values, repeated names and bad attributes before encoding", () => {
  const g = new OnnxGraph();
  const x = g.input("x", { type: "float32", shape: ["n", 2] });
  assert.throws(() => g.op("Add", [x, "w"]), /input 1 names no value made before, got "w"/);
  assert.throws(() => g.input("x", { type: "float32", shape: [2] }), /"x" is already taken/);
  assert.throws(() => g.initializer("w", [1, 2, 3], { shape: [2, 2] }), /has 3 values.*needs 4/);
  assert.throws(() => g.op("Gemm", [x, x], { attributes: { alpha: 0.5 } }), SdenoTypeError);
  assert.throws(
    () => g.output("nope", { name: "y", type: "float32", shape: ["n", 2] }),
    /names no value/,
  );
  assert.throws(() => new OnnxGraph().toBytes(), /at least one input and one output/);
  assert.throws(() => new OnnxGraph({ opset: 3 }), SdenoRangeError);
});
