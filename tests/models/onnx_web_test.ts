// onnxDenoiser on onnxruntime-web (WebAssembly): the same numbers as onnxruntime-node, and the
// exact permissions each runtime needs, checked in child processes.
import assert from "node:assert/strict";
import { createBackend } from "../../kernels/mod.ts";
import { predictAs } from "../../models/denoiser.ts";
import { gmmOnnx, onnxDenoiser as nodeDenoiser } from "../../models/onnx.ts";
import { onnxDenoiser as webDenoiser } from "../../models/onnx_web.ts";

const SPEC = {
  weights: [0.5, 0.5],
  means: [[-1, 2], [2, -1]],
  variances: [[0.5, 0.25], [1, 0.5]],
};

Deno.test("onnxDenoiser() on onnxruntime-web equals onnxruntime-node", async () => {
  const b = await createBackend("cpu");
  const g = gmmOnnx(SPEC, { schedule: { name: "vp-linear" } });
  const options = { schedule: g.schedule, kind: "eps", output: "eps" } as const;
  await using web = await webDenoiser(g.bytes, options);
  await using node = await nodeDenoiser(g.bytes, options);
  const x = b.upload(Array.from({ length: 200 }, (_, i) => Math.sin(i * 1.7) * 3));
  for (const t of [0.01, 0.2, 0.7, 1]) {
    const a = b.zeros(200), e = b.zeros(200);
    await predictAs(web, x, { t, kind: "eps", out: a });
    await predictAs(node, x, { t, kind: "eps", out: e });
    const wa = await b.download(a), ne = await b.download(e);
    // both run float32 kernels (WebAssembly SIMD vs native MLAS): a few float32 roundings apart
    ne.forEach((v, i) => assert.ok(Math.abs(wa[i]! - v) <= 1e-6 * Math.max(1, Math.abs(v))));
  }
});

const ROOT = new URL("../../", import.meta.url);

/** Runs a child script with exactly the given permission flags. */
async function child(
  code: string,
  flags: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/child.ts`;
    await Deno.writeTextFile(script, code.replaceAll("$ROOT", ROOT.href));
    await Deno.writeFile(`${dir}/gmm.onnx`, gmmOnnx(SPEC, { schedule: { name: "edm" } }).bytes);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...flags.map((f) => f.replaceAll("$DIR", dir)), script],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const USE = (entry: string) => `
import { onnxDenoiser } from "$ROOT/models/${entry}";
import { createBackend } from "$ROOT/kernels/mod.ts";
import { edmSchedule } from "$ROOT/processes/edm_schedule.ts";
const dir = new URL(".", import.meta.url).pathname;
const m = await onnxDenoiser(dir + "gmm.onnx", { schedule: edmSchedule(), kind: "x0", output: "x0" });
const b = await createBackend("cpu");
const out = b.zeros(2);
await m.predict(b.upload([0.5, 0.5]), 1, out, { kind: "x0" });
console.log(JSON.stringify([...await b.download(out)]));
await m.close();
`;

async function webWasmPath(): Promise<string> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const cache = JSON.parse(new TextDecoder().decode(info.stdout)).npmCache as string;
  return `${cache}/registry.npmjs.org/onnxruntime-web/1.31.1/dist/ort-wasm-simd-threaded.wasm`;
}

Deno.test("onnxruntime-web needs no FFI: read access to the model and its .wasm is enough", async () => {
  const wasm = await webWasmPath();
  const ok = await child(USE("onnx_web.ts"), [`--allow-read=$DIR/gmm.onnx,${wasm}`]);
  assert.equal(ok.code, 0, ok.stderr);
  const [a, c] = JSON.parse(ok.stdout) as number[];
  assert.ok(Number.isFinite(a) && Number.isFinite(c));
  // without read access to the .wasm it cannot start
  const denied = await child(USE("onnx_web.ts"), ["--allow-read=$DIR/gmm.onnx"]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /ort-wasm-simd-threaded\.wasm/);
});

Deno.test("onnxruntime-node needs --allow-ffi and --allow-read, and says so", async () => {
  const ok = await child(USE("onnx.ts"), ["--allow-ffi", "--allow-read=$DIR/gmm.onnx"]);
  assert.equal(ok.code, 0, ok.stderr);
  const noFfi = await child(USE("onnx.ts"), ["--allow-read=$DIR/gmm.onnx"]);
  assert.notEqual(noFfi.code, 0);
  assert.match(noFfi.stderr, /needs --allow-ffi/);
  const noRead = await child(USE("onnx.ts"), ["--allow-ffi"]);
  assert.notEqual(noRead.code, 0);
  assert.match(noRead.stderr, /read access/i);
});

Deno.test("the root mod.ts and models/mod.ts pull in neither onnxruntime nor onnx-proto", async () => {
  for (const entry of ["mod.ts", "models/mod.ts"]) {
    const info = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", new URL(entry, ROOT).href],
      stdout: "piped",
      stderr: "null",
    }).output();
    const graph = JSON.parse(new TextDecoder().decode(info.stdout));
    const specifiers: string[] = graph.modules.map((m: { specifier: string }) => m.specifier);
    assert.ok(specifiers.length > 10, entry);
    assert.ok(!specifiers.some((s) => /onnx/.test(s)), `${entry} reaches an ONNX module`);
  }
  // while models/onnx.ts does
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("models/onnx.ts", ROOT).href],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.match(new TextDecoder().decode(info.stdout), /onnxruntime-node/);
});
