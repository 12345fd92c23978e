// The must-show of sharded runs: 1, 2 and 7 shards, run as separate processes with the job-array
// engines' variables set (Slurm, Kubernetes), merged by scripts/merge.ts, give the same bytes as
// one unsharded run (moments, histograms, samples) for an SDE ensemble (scripts/simulate.ts) and
// an SSA ensemble (scripts/ssa.ts --method ensemble); wrong, missing and duplicated shards are
// refused by name.

import assert from "node:assert/strict";
import { join } from "node:path";
import { SHARD_ENV_VARIABLES } from "../../io/shard.ts";
import { PARTIAL_VERSION } from "../../io/partial.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs scripts/<name> with read/write on `dir`, the shard variables readable, and `env` set. */
async function runIn(
  dir: string,
  name: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const script = new URL(`../../scripts/${name}`, import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      `--allow-env=${SHARD_ENV_VARIABLES.join(",")}`,
      script,
      ...args,
    ],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** The variables of task `index` of `count` as an engine sets them, by turns. */
function engineEnv(index: number, count: number, engine: "slurm" | "slurm1" | "k8s") {
  if (engine === "slurm") {
    return { SLURM_ARRAY_TASK_ID: String(index), SLURM_ARRAY_TASK_COUNT: String(count) };
  }
  if (engine === "slurm1") { // sbatch --array=1-N
    return {
      SLURM_ARRAY_TASK_ID: String(index + 1),
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_COUNT: String(count),
    };
  }
  return { JOB_COMPLETION_INDEX: String(index), SDENO_SHARD_COUNT: String(count) };
}

/** moments.json without the wall-clock seconds. */
async function jsonWithoutSeconds(file: string): Promise<unknown> {
  const j = JSON.parse(await Deno.readTextFile(file));
  delete j.seconds;
  return j;
}

/** Runs `counts` sharded runs and merges each; every output equals the unsharded run's bytes. */
async function checkShardedEqualsUnsharded(
  script: string,
  args: string[],
  outputs: string[],
  counts: Array<[number, "slurm" | "slurm1" | "k8s"]>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const whole = await runIn(dir, script, [...args, "--json", "--out", join(dir, "whole")]);
    assert.equal(whole.code, 0, whole.stderr);
    for (const [count, engine] of counts) {
      const shardDir = join(dir, `shards${count}`);
      const runs = await Promise.all(
        Array.from(
          { length: count },
          (_, i) => runIn(dir, script, [...args, "--out", shardDir], engineEnv(i, count, engine)),
        ),
      );
      for (const [i, r] of runs.entries()) {
        assert.equal(r.code, 0, `${count} shards, shard ${i}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`shard ${i}/${count}, blocks`));
      }
      const names = [...Deno.readDirSync(shardDir)].map((e) => e.name).sort();
      assert.deepEqual(
        names,
        Array.from({ length: count }, (_, i) => `partial-${i}-of-${count}.json`).sort(),
      );
      const merged = join(dir, `merged${count}`);
      const m = await runIn(dir, "merge.ts", ["--json", "--out", merged, shardDir]);
      assert.equal(m.code, 0, m.stderr);
      assert.match(m.stdout, new RegExp(`^merged ${count} shards? of a `));
      for (const f of outputs) {
        const a = await Deno.readFile(join(dir, "whole", f));
        const b = await Deno.readFile(join(merged, f));
        assert.ok(a.length > 0);
        assert.deepEqual(b, a, `${count} shards (${engine}): ${f} differs`);
      }
      assert.deepEqual(
        await jsonWithoutSeconds(join(merged, "moments.json")),
        await jsonWithoutSeconds(join(dir, "whole", "moments.json")),
      );
      // the printed tables agree too (after the timing line)
      const table = (s: string) => s.slice(s.indexOf("\n\n")).replace(/\nwrote .*$/s, "");
      assert.equal(table(m.stdout.slice(m.stdout.indexOf("\n\n") + 2)), table(whole.stdout));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "scripts/merge.ts: 1, 2 and 7 shards of an SDE ensemble give the unsharded run's bytes",
  sanitizeResources: false,
}, async () => {
  // 2-D Lotka–Volterra, 700 paths in blocks of 64 (11 blocks), 90 kept paths over two blocks
  await checkShardedEqualsUnsharded(
    "simulate.ts",
    ["--model", "lotka-volterra", "--paths", "700", "--block-paths", "64", "--keep", "90"]
      .concat(["--saves", "3", "--t1", "0.5", "--dt", "0.01", "--bins", "16", "--backend", "cpu"]),
    [
      "t.npy",
      "mean.npy",
      "covariance.npy",
      "samples.npy",
      "histogram.npy",
      "histogram_edges.npy",
      "paths.svg",
      "histograms.svg",
    ],
    [[1, "slurm"], [2, "slurm1"], [7, "k8s"]],
  );
});

Deno.test({
  name: "scripts/merge.ts: 1, 2 and 7 shards of an SSA ensemble give the unsharded run's bytes",
  sanitizeResources: false,
}, async () => {
  // Schlögl, 1500 paths in blocks of 128 (12 blocks)
  await checkShardedEqualsUnsharded(
    "ssa.ts",
    ["--network", "schlogl", "--method", "ensemble", "--paths", "1500", "--block-paths", "128"]
      .concat(["--t-end", "0.5", "--bins", "20", "--backend", "cpu", "--seed", "5"]),
    ["moments.npy", "histograms.svg", "paths.svg"],
    [[1, "k8s"], [2, "slurm"], [7, "slurm1"]],
  );
});

/** An error line without a stack trace, exit code `code`. */
function refused(r: Run, code: number, message: RegExp, label: string): void {
  assert.equal(r.code, code, `${label}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr.split("\n")[0]!, message, label);
  assert.match(r.stderr, /^error: /, label);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${label}: a stack trace`);
}

Deno.test({
  name:
    "scripts/merge.ts refuses another run, another version, a wrong count, missing and duplicated shards by name",
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--network", "birth_death", "--method", "ensemble", "--paths", "300"]
      .concat(["--block-paths", "64", "--t-end", "2", "--backend", "cpu"]);
    // the shards `only` (default all) of a run of `count`
    const make = async (sub: string, count: number, extra: string[] = [], only?: number[]) => {
      const runs = await Promise.all(
        (only ?? Array.from({ length: count }, (_, i) => i)).map((i) =>
          runIn(dir, "ssa.ts", [
            ...args,
            ...extra,
            "--shard",
            `${i}/${count}`,
            "--out",
            join(dir, sub),
          ])
        ),
      );
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      return (i: number) => join(dir, sub, `partial-${i}-of-${count}.json`);
    };
    const [a, seeded, two] = await Promise.all([
      make("a", 3),
      make("b", 3, ["--seed", "1"], [1]),
      make("c", 2, [], [1]),
    ]);
    const out = ["--out", join(dir, "m")];
    const merge = (files: string[]) => runIn(dir, "merge.ts", [...out, ...files]);
    refused(
      await merge([a(0), seeded(1), a(2)]),
      1,
      /^error: Cannot merge the partial results: .*b\/partial-1-of-3\.json is from another run than .*a\/partial-0-of-3\.json \(run\.config\.seed: "0" vs "1"; run SHA-256/,
      "another run",
    );
    refused(
      await merge([a(0), a(1)]),
      1,
      /^error: Cannot merge the partial results: missing shard 2 of 3$/,
      "missing",
    );
    const copy = join(dir, "a", "copy.json");
    await Deno.copyFile(a(1), copy);
    refused(
      await merge([a(0), a(1), copy, a(2)]),
      1,
      /shard 1 of 3 is given twice \(.*a\/partial-1-of-3\.json and .*a\/copy\.json\)/,
      "duplicated",
    );
    refused(
      await merge([a(0), two(1), a(2)]),
      1,
      /c\/partial-1-of-2\.json is shard 1 of 2, but .*a\/partial-0-of-3\.json is shard 0 of 3: the shard counts differ/,
      "wrong count",
    );
    const old = join(dir, "old.json");
    const text = await Deno.readTextFile(a(0));
    await Deno.writeTextFile(old, text.replace(`"version":${PARTIAL_VERSION}`, '"version":0'));
    refused(
      await merge([old, a(1), a(2)]),
      1,
      new RegExp(`old\\.json: format version 0, but this sdeno reads version ${PARTIAL_VERSION}`),
      "another version",
    );
    const edited = join(dir, "edited.json");
    await Deno.writeTextFile(edited, text.replace('"seed":0', '"seed":7'));
    refused(
      await merge([edited, a(1), a(2)]),
      1,
      /edited\.json: the run's hash .* does not match its configuration/,
      "edited",
    );
    // nothing to merge, a missing file, a folder without partials: usage errors
    refused(await merge([]), 2, /give the partial files/, "no arguments");
    refused(
      await merge([join(dir, "nope.json")]),
      2,
      /nope\.json": cannot read it: no such file/,
      "missing file",
    );
    await Deno.mkdir(join(dir, "empty"));
    refused(
      await merge([join(dir, "empty")]),
      2,
      /no partial-<i>-of-<N>\.json files in it/,
      "empty folder",
    );
    assert.equal([...Deno.readDirSync(dir)].some((e) => e.name === "m"), false);
    // the good set merges
    const ok = await merge([join(dir, "a")]);
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scripts/simulate.ts and ssa.ts refuse --shard 3/2, out-of-range task ids and conflicts with exit 2 and the usage", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
      [
        "simulate.ts",
        ["--shard", "3/2"],
        {},
        /--shard "3\/2": the shard index must be below the count 2/,
      ],
      ["ssa.ts", ["--method", "ensemble", "--shard", "3/2"], {}, /--shard "3\/2": the shard index/],
      ["simulate.ts", ["--shard", "1/x"], {}, /--shard must be i\/N, two whole numbers/],
      [
        "simulate.ts",
        [],
        { SLURM_ARRAY_TASK_ID: "4", SLURM_ARRAY_TASK_COUNT: "4" },
        /SLURM_ARRAY_TASK_ID=4 .*: the shard index must be below the count 4/,
      ],
      [
        "ssa.ts",
        ["--method", "ensemble"],
        { JOB_COMPLETION_INDEX: "2" },
        /JOB_COMPLETION_INDEX=2 is set but not the shard count/,
      ],
      [
        "ssa.ts",
        ["--method", "ensemble", "--shard", "0/2"],
        { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "2" },
        /--shard "0\/2" and the job-array variables \(shard 1\/2\) disagree/,
      ],
      ["ssa.ts", ["--shard", "0/2"], {}, /--shard 0\/2: sharded runs use --method ensemble/],
    ];
    for (const [script, args, env, message] of cases) {
      const r = await runIn(dir, script, [
        ...args,
        "--backend",
        "cpu",
        "--paths",
        "10",
        "--out",
        dir,
      ], env);
      refused(r, 2, message, `${script} ${args.join(" ")} ${JSON.stringify(env)}`);
      assert.match(r.stderr, /\n\nUsage: /);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
