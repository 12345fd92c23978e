import assert from "node:assert/strict";
import { join } from "node:path";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { decodeNpy } from "../../io/mod.ts";

function run(args: string[], out: string, read: string[] = []): Promise<ScriptRun> {
  return runScriptProcess("discrete_diffusion.ts", args, { read: [out, ...read], write: [out] });
}

const FIXTURE = JSON.parse(
  await Deno.readTextFile(
    new URL("../fixtures/discrete/exact_subset.json", import.meta.url),
  ),
);

Deno.test({
  name: "scripts/discrete_diffusion.ts reproduces the benchmark's exact TVs and writes its outputs",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await run([
      "--process",
      "masked",
      "--start",
      "exact",
      "--methods",
      "euler,tauleap_fd,ancestral",
      "--steps",
      "4,16",
      "--n",
      "2000",
      "--json",
      "--out",
      out,
    ], out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /masked process, V = 3, L = 4/);
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    assert.equal(summary.runs.length, 6);
    for (const run of summary.runs) {
      const want = FIXTURE.processes.masked.samplers[run.method][String(run.steps)].tv_to_p0;
      assert.ok(Math.abs(run.tvExactToP0 - want) < 1e-9, `${run.method} ${run.steps}`);
      assert.ok(run.tvSampledToExact < run.bound, `${run.method} ${run.steps}`);
    }
    const tv = decodeNpy(await Deno.readFile(join(out, "tv.npy")));
    assert.deepEqual(tv.shape, [3, 2, 3]);
    const samples = decodeNpy(await Deno.readFile(join(out, "samples.npy")));
    assert.deepEqual(samples.shape, [3, 2, 2000, 4]);
    assert.equal(samples.dtype, "<i4");
    assert.match(await Deno.readTextFile(join(out, "tv.svg")), /^<svg /);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("scripts/discrete_diffusion.ts exits 2 with usage on bad flags and data, writing nothing", async () => {
  const out = await Deno.makeTempDir();
  const data = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      data,
      JSON.stringify({ length: 2, vocabSize: 2, p0: [0.5, 0.5, 0.5] }),
    );
    const cases: Array<[string[], RegExp]> = [
      [["--steps", "0,4"], /--steps must be comma-separated integers/],
      [["--n", "-3"], /--n/],
      [["--eps", "1"], /--eps must be in \(0, 1\)/],
      [["--methods", "ddim"], /unknown method "ddim"/],
      [["--process", "uniform", "--methods", "mdlm"], /mdlm applies to the masked process/],
      [["--process", "cube"], /--process/],
      [["--data", data], /p0 must be a Float64Array of 4/],
      [["--data", `${data}.missing`], /cannot read it/],
    ];
    for (const [args, re] of cases) {
      const r = await run([...args, "--out", out], out, [data, `${data}.missing`]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /Usage:/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(data);
  }
});

Deno.test({
  name: "scripts/discrete_diffusion.ts samples a law from a JSON file with the uniform process",
  sanitizeResources: false,
}, async () => {
  const out = await Deno.makeTempDir();
  const data = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      data,
      JSON.stringify({ length: 2, vocabSize: 2, p0: [0.4, 0.1, 0.1, 0.4] }),
    );
    const r = await run(
      ["--data", data, "--process", "uniform", "--steps", "8", "--n", "500", "--out", out],
      out,
      [data],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /uniform process, V = 2, L = 2/);
    assert.match(r.stdout, /sedd_analytic/);
    const tv = decodeNpy(await Deno.readFile(join(out, "tv.npy")));
    assert.deepEqual(tv.shape, [3, 1, 3]); // euler, tauleap, sedd_analytic
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(data);
  }
});
