import assert from "node:assert/strict";
import { join } from "node:path";
import { runScriptProcess, type ScriptRun } from "./_run.ts";
import { decodeNpy } from "../../io/mod.ts";
import { checkShardedEqualsWhole } from "./_shard_runs.ts";
import { readPartialFile } from "../../io/partial.ts";

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
      [["--shard", "3/2"], /--shard "3\/2": the shard index must be below the count 2/],
      [["--shard-count", "2"], /--shard-count 2 needs an index/],
      [["--block-paths", "0"], /--block-paths/],
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

// ---- shards (issue 16) --------------------------------------------------------

/** The printed table as it is (the per-run timings go to stderr). */
const sameTable = (s: string) => s;

Deno.test({
  name:
    "scripts/discrete_diffusion.ts --shard: 1, 2 and 3 shards merge to the unsharded samples, TVs, figure and summary",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    // every masked method, 300 sequences in 5 blocks of 64
    await checkShardedEqualsWhole(dir, {
      script: "discrete_diffusion.ts",
      args: ["--process", "masked", "--steps", "4,16", "--n", "300"]
        .concat(["--block-paths", "64", "--seed", "2"]),
      extra: ["--json"],
      bytes: ["samples.npy", "tv.npy", "tv.svg", "summary.json"],
      table: sameTable,
      counts: [[1, "slurm"], [2, "k8s"], [3, "slurm1"]],
    });
    // the uniform process from the exact t = 1 marginal (near uniform, unlike the masked one's
    // near all-MASK): each shard draws its own rows' starts
    await checkShardedEqualsWhole(join(dir, "uniform"), {
      script: "discrete_diffusion.ts",
      args: ["--process", "uniform", "--start", "exact", "--steps", "8", "--n", "200"]
        .concat(["--block-paths", "50"]),
      extra: ["--json"],
      bytes: ["samples.npy", "tv.npy", "tv.svg", "summary.json"],
      table: sameTable,
      counts: [[3, "k8s"]],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/discrete_diffusion.ts --shard: the final denoise counts in the NFE when any shard took it",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    // tauleap_fd at 64 steps leaves a MASK in about 8 % of the sequences: 40 sequences over 3
    // shards, and the middle shard finishes without one (it skips the final denoise)
    const folders = await checkShardedEqualsWhole(dir, {
      script: "discrete_diffusion.ts",
      args: ["--methods", "tauleap_fd", "--steps", "64", "--n", "40", "--block-paths", "4"],
      extra: ["--json"],
      bytes: ["samples.npy", "summary.json"],
      table: sameTable,
      counts: [[3, "slurm"]],
    });
    const flags = await Promise.all([0, 1, 2].map(async (i) => {
      const p = await readPartialFile(join(folders.get(3)!, `partial-${i}-of-3.json`));
      return p.blocks[0]!.sums.finalDenoise![0];
    }));
    assert.deepEqual(flags, [1, 0, 1]);
    const summary = JSON.parse(await Deno.readTextFile(join(dir, "whole", "summary.json")));
    assert.equal(summary.runs[0].nfe, 65);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
