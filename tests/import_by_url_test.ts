// Importing sdeno by URL: serve this checkout from 127.0.0.1 and import mod.ts
// in a fresh Deno process with no config and no import map. The `.wgsl` text
// imports must travel with the modules, and the numbers must equal a local run.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createBackend, defineMap, makeKey, WebGpuBackend } from "../mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".wgsl": "text/plain; charset=utf-8",
  ".json": "application/json",
};

/** The computation run both ways: a keyed noisy lincomb and a map on each backend. */
const JOB = `
export async function job(sdeno, backendName) {
  const b = await sdeno.createBackend(backendName);
  const key = sdeno.makeKey(2024, 3);
  const x = b.upload([0.5, -1, 2, 3, 4, 5, 6]);
  await b.lincomb(x, [[0.25, x]], { scale: 1, key, step: 4, offset: 9 });
  const sq = sdeno.defineMap({ name: "sq", arity: 1, wgsl: "return x0 * x0;", cpu: (v) => v * v });
  const y = b.zeros(7);
  await b.map(sq, y, [x]);
  const out = [...await b.download(x), ...await b.download(y)];
  b.destroy();
  return out;
}`;

Deno.test({
  name: "mod.ts imported by http:// URL gives the same numbers as the local import",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 403 });
    try {
      const body = await Deno.readFile(join(ROOT, path));
      const ext = path.slice(path.lastIndexOf("."));
      return new Response(body, { headers: { "content-type": TYPES[ext] ?? "text/plain" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const tmp = await Deno.makeTempDir();
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const jobFile = join(tmp, "job.mjs");
    await Deno.writeTextFile(jobFile, JOB);
    const script = join(tmp, "main.mjs");
    const gpuAvailable = await WebGpuBackend.create().then((g) => (g?.destroy(), !!g));
    const names = gpuAvailable ? ["cpu", "webgpu"] : ["cpu"];
    await Deno.writeTextFile(
      script,
      `import * as sdeno from "http://${host}/mod.ts";
import { job } from "./job.mjs";
const out = {};
for (const name of ${JSON.stringify(names)}) out[name] = await job(sdeno, name);
console.log(JSON.stringify(out));`,
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-lock", `--allow-import=${host}`, script],
      env: { DENO_DIR: join(tmp, "cache"), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, err);
    const remote = JSON.parse(new TextDecoder().decode(stdout)) as Record<string, number[]>;
    const { job } = await import(jobFile);
    for (const name of names) {
      const local: number[] = await job({ createBackend, defineMap, makeKey }, name);
      assert.deepEqual(remote[name], local, name);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});
