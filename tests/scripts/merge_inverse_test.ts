// Sharded runs of scripts/inverse.ts (issue 16): 1, 2 and 3 shards, run as separate processes
// with Slurm's or Kubernetes' variables set and merged by scripts/merge.ts, give the unsharded
// run's bytes (samples_<method>.npy, inverse.svg, results.json but its timings, the printed
// table but its time column) for row-wise methods (DDRM, DPS, RED-diff) and the SMC methods
// (MCGdiff, TDS, FPS-SMC) sharded by whole particle systems, on cpu and on webgpu (where an
// adapter exists); a split that cuts a system, and partials of another configuration, are
// refused.

import assert from "node:assert/strict";
import { join } from "node:path";
import { checkShardedEqualsWhole, refused, runIn } from "./_shard_runs.ts";
import { readPartialFile } from "../../io/partial.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

const METHODS = "ddrm,dps,red-diff,mcgdiff,tds,fps-smc";
// 6 samples in particle systems of 2 (3 blocks of one system each); a keyed operator (random
// pixels, seed 3), so the merge must rebuild it to compute the misfit
const ARGS = ["--methods", METHODS, "--samples", "6", "--particles", "2", "--steps", "6"]
  .concat(["--operator", "inpaint-random", "--seed", "3", "--backend", "cpu"]);

/** results.json without the seconds of each method. */
function untimedResults(text: string): unknown {
  const j = JSON.parse(text);
  for (const row of j.results) delete row.seconds;
  return j;
}

/** The printed table without the time column. */
const untimedTable = (s: string) => s.replace(/ +[\d.]+ s$/gm, "");

Deno.test({
  name:
    "scripts/inverse.ts --shard: 1, 2 and 3 shards merge to the unsharded samples, figure and results",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folders = await checkShardedEqualsWhole(dir, {
      script: "inverse.ts",
      args: ARGS,
      bytes: [...METHODS.split(",").map((m) => `samples_${m}.npy`), "inverse.svg"],
      untimed: { "results.json": untimedResults },
      table: untimedTable,
      counts: [[1, "slurm"], [2, "slurm1"], [3, "k8s"]],
    });
    // the two shards hold whole systems: blocks 0 (samples 0–1) and 1–2 (samples 2–5)
    const two = await Promise.all(
      [0, 1].map((i) => readPartialFile(join(folders.get(2)!, `partial-${i}-of-2.json`))),
    );
    assert.deepEqual(two.map((p) => p.samples["method:mcgdiff"]!.indices), [[0, 1], [2, 3, 4, 5]]);
    assert.equal(two[0]!.run.blockSize, 2);
    // the posterior means are not all alike: the check compares real samples
    const results = JSON.parse(await Deno.readTextFile(join(dir, "whole", "results.json")));
    assert.equal(results.results.length, 6);
    for (const row of results.results) assert.ok(Number.isFinite(row.psnr), row.method);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "scripts/inverse.ts --shard on webgpu (f32): 2 shards merge to the unsharded webgpu bytes",
  ...GPU_TEST,
  fn: async () => {
    if (!(await gpuBackend())) return;
    const dir = await Deno.makeTempDir();
    try {
      // the network's f32 rows do not depend on the batch they run in
      const args = ["--methods", "ddrm,dps,mcgdiff", "--samples", "4", "--particles", "2"]
        .concat(["--steps", "5", "--backend", "webgpu"]);
      await checkShardedEqualsWhole(dir, {
        script: "inverse.ts",
        args,
        bytes: ["samples_ddrm.npy", "samples_dps.npy", "samples_mcgdiff.npy", "inverse.svg"],
        untimed: { "results.json": untimedResults },
        table: (s) => {
          assert.match(s, /samples per method on webgpu/);
          return untimedTable(s);
        },
        counts: [[2, "slurm"]],
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "scripts/inverse.ts refuses a shard split that cuts a particle system, bad --particles and --shard 3/2, writing nothing",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "out");
  try {
    const base = ["--samples", "6", "--steps", "4", "--backend", "cpu", "--out", out];
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [
        // blocks of 3 over systems of 2: shard 1 would start at sample 3, inside system 1
        ["--methods", "ddrm,mcgdiff", "--particles", "2", "--block-paths", "3", "--shard", "0/2"],
        {},
        /^error: --shard 0\/2: mcgdiff runs particle systems of 2 samples, and shard 1 of 2 would start at sample 3, inside system 1 \(samples 2 to 3\); a shard holds whole systems/,
      ],
      [
        // the default system is all 6 samples; blocks of 2 over 3 shards cut it at sample 2
        ["--methods", "tds,fps-smc", "--block-paths", "2"],
        { JOB_COMPLETION_INDEX: "2", SDENO_SHARD_COUNT: "3" },
        /^error: --shard 2\/3: tds, fps-smc run particle systems of 6 samples, and shard 1 of 3 would start at sample 2, inside system 0 \(samples 0 to 5\)/,
      ],
      [
        ["--methods", "ddrm", "--particles", "2"],
        {},
        /^error: --particles sets the particle systems of the SMC methods \(mcgdiff, tds, fps-smc\); none is among --methods/,
      ],
      [
        ["--methods", "mcgdiff", "--particles", "4"],
        {},
        /^error: --samples 6 is not a whole number of particle systems of 4 \(mcgdiff\): give --particles a divisor of --samples/,
      ],
      [
        ["--methods", "ddrm", "--shard", "3/2"],
        {},
        /^error: --shard "3\/2": the shard index must be below the count 2/,
      ],
      [
        ["--methods", "ddrm"],
        { SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "2" },
        /SLURM_ARRAY_TASK_ID=2 .*: the shard index must be below the count 2/,
      ],
    ];
    for (const [args, env, message] of cases) {
      const r = await runIn(dir, "inverse.ts", [...args, ...base], env);
      refused(r, 2, message, `${args.join(" ")} ${JSON.stringify(env)}`);
      assert.match(r.stderr, /\n\nUsage: /);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "scripts/merge.ts refuses inverse partials of another configuration, and of another script, by name",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--methods", "ddrm", "--samples", "4", "--block-paths", "2", "--steps", "4"]
      .concat(["--backend", "cpu"]);
    const shard = async (sub: string, i: number, extra: string[] = []) => {
      const r = await runIn(dir, "inverse.ts", [
        ...args,
        ...extra,
        "--shard",
        `${i}/2`,
        "--out",
        join(dir, sub),
      ]);
      assert.equal(r.code, 0, r.stderr);
      return join(dir, sub, `partial-${i}-of-2.json`);
    };
    const [a0, b1, a1] = await Promise.all([
      shard("a", 0),
      shard("b", 1, ["--sigma-y", "0.1"]),
      shard("a", 1),
    ]);
    const d = await runIn(dir, "discrete_diffusion.ts", [
      ...["--methods", "euler", "--steps", "2", "--n", "4", "--block-paths", "2"],
      ...["--shard", "1/2", "--out", join(dir, "d")],
    ]);
    assert.equal(d.code, 0, d.stderr);
    const merge = (files: string[]) => runIn(dir, "merge.ts", ["--out", join(dir, "m"), ...files]);
    refused(
      await merge([a0, b1]),
      1,
      /b\/partial-1-of-2\.json is from another run than .*a\/partial-0-of-2\.json \(run\.config\.sigmaY: "0\.05" vs "0\.1"/,
      "another configuration",
    );
    refused(
      await merge([a0, join(dir, "d", "partial-1-of-2.json")]),
      1,
      /d\/partial-1-of-2\.json is from another run than .*a\/partial-0-of-2\.json \(run\.config\./,
      "another script",
    );
    assert.equal([...Deno.readDirSync(dir)].some((e) => e.name === "m"), false);
    const ok = await merge([a1, a0]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^merged 2 shards of an inverse run/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
