// Runs a script's shards as separate processes with a job-array engine's variables set, merges
// them with scripts/merge.ts, and checks the merged outputs against one unsharded run's.
// Shared by tests/scripts/merge_inverse_test.ts and tests/scripts/discrete_diffusion_test.ts.

import assert from "node:assert/strict";
import { join } from "node:path";
import { SHARD_ENV_VARIABLES } from "../../io/shard.ts";

/** What a script run printed and how it ended. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const root = new URL("../../", import.meta.url).pathname;

/**
 * Runs scripts/<name> with read access to the checkout and `dir`, write access to `dir`, the
 * shard variables readable, and only `env` set.
 */
export async function runIn(
  dir: string,
  name: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${root},${dir}`,
      `--allow-write=${dir}`,
      `--allow-env=${SHARD_ENV_VARIABLES.join(",")}`,
      join(root, "scripts", name),
      ...args,
    ],
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** The job-array engines, as they number their tasks. */
export type Engine = "slurm" | "slurm1" | "k8s";

/** The variables of task `index` of `count` as an engine sets them. */
export function engineEnv(index: number, count: number, engine: Engine): Record<string, string> {
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

/** A check failed by a usage or run error: exit `code`, one `error:` line, no stack trace. */
export function refused(r: Run, code: number, message: RegExp, label: string): void {
  assert.equal(r.code, code, `${label}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^error: /, label);
  assert.match(r.stderr.split("\n")[0]!, message, label);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${label}: a stack trace`);
}

/** How to compare a sharded run with the whole one. */
export interface ShardCheck {
  /** The script, e.g. `"inverse.ts"`. */
  script: string;
  /** Its flags, alike in every run (without --out). */
  args: string[];
  /** Flags of the whole run and of the merge only (e.g. `--json`). */
  extra?: string[];
  /** Files that must be equal byte for byte. */
  bytes: string[];
  /** Files compared after removing what measures time, by the given function. */
  untimed?: Record<string, (text: string) => unknown>;
  /** The printed report without what measures time. */
  table: (stdout: string) => string;
  /** Shard counts and the engine that numbers each run's tasks. */
  counts: Array<[number, Engine]>;
}

/**
 * Runs the whole run, then each count of shards (in parallel, by the engine's variables) and
 * their merge, in `dir`; asserts every output equal. Returns the shard folders by count.
 */
export async function checkShardedEqualsWhole(
  dir: string,
  check: ShardCheck,
): Promise<Map<number, string>> {
  const extra = check.extra ?? [];
  const whole = await runIn(dir, check.script, [
    ...check.args,
    ...extra,
    "--out",
    join(dir, "whole"),
  ]);
  assert.equal(whole.code, 0, whole.stderr);
  const folders = new Map<number, string>();
  for (const [count, engine] of check.counts) {
    const shardDir = join(dir, `shards${count}`);
    folders.set(count, shardDir);
    const runs = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          runIn(dir, check.script, [...check.args, "--out", shardDir], engineEnv(i, count, engine)),
      ),
    );
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 0, `${count} shards, shard ${i}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`shard ${i}/${count}, (blocks|no blocks)`));
    }
    assert.deepEqual(
      [...Deno.readDirSync(shardDir)].map((e) => e.name).sort(),
      Array.from({ length: count }, (_, i) => `partial-${i}-of-${count}.json`).sort(),
    );
    const merged = join(dir, `merged${count}`);
    const m = await runIn(dir, "merge.ts", [...extra, "--out", merged, shardDir]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, new RegExp(`^merged ${count} shards? of an? `));
    for (const f of check.bytes) {
      const a = await Deno.readFile(join(dir, "whole", f));
      assert.ok(a.length > 0, f);
      assert.deepEqual(
        await Deno.readFile(join(merged, f)),
        a,
        `${count} shards (${engine}): ${f}`,
      );
    }
    for (const [f, strip] of Object.entries(check.untimed ?? {})) {
      assert.deepEqual(
        strip(await Deno.readTextFile(join(merged, f))),
        strip(await Deno.readTextFile(join(dir, "whole", f))),
        `${count} shards (${engine}): ${f}`,
      );
    }
    // the printed report: the merge's lines after its first paragraph are the whole run's
    const report = m.stdout.slice(m.stdout.indexOf("\n\n") + 2).replace(/\nwrote .*$/s, "");
    assert.equal(
      check.table(report),
      check.table(whole.stdout.replace(/\nwrote .*$/s, "")),
      `${count} shards: the report`,
    );
  }
  return folders;
}
