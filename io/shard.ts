/**
 * Which shard of a run this process is: `--shard i/N` on the command line,
 * or the variables a job-array engine sets — Slurm job arrays
 * (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`, and
 * `SLURM_ARRAY_TASK_MIN` / `SLURM_ARRAY_TASK_STEP` when the array does not
 * run 0, 1, 2, …) and Kubernetes Indexed Jobs (`JOB_COMPLETION_INDEX`, with
 * the count from `--shard-count` or `SDENO_SHARD_COUNT`) — and which blocks
 * of paths it owns.
 *
 * A run of P paths is cut into B = ⌈P / blockSize⌉ fixed blocks; shard i of
 * N owns blocks [⌊i·B/N⌋, ⌊(i+1)·B/N⌋). The blocks do not depend on N, so
 * statistics combined block by block in block order are the same bits for
 * any N (see `io/partial.ts`).
 *
 * Pure: the variables are passed in (a script reads them with
 * {@linkcode readShardEnv}, which needs `--allow-env` for them).
 *
 * @module
 */

import { quote, SdenoError, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { CliUsageError } from "./cli.ts";

/** One shard of a run: `index` in [0, count). */
export interface Shard {
  /** This shard, from 0. */
  index: number;
  /** How many shards the run has. */
  count: number;
}

/** The variables {@linkcode resolveShard} reads, by name. */
export const SHARD_ENV_VARIABLES = [
  "SLURM_ARRAY_TASK_ID",
  "SLURM_ARRAY_TASK_COUNT",
  "SLURM_ARRAY_TASK_MIN",
  "SLURM_ARRAY_TASK_STEP",
  "JOB_COMPLETION_INDEX",
  "SDENO_SHARD_COUNT",
] as const;

/** The values of {@linkcode SHARD_ENV_VARIABLES} (unset ones absent). */
export type ShardEnv = Partial<Record<(typeof SHARD_ENV_VARIABLES)[number], string>>;

/** The largest shard count accepted. */
export const MAX_SHARDS = 1 << 20;

/** A whole number written in decimal digits, else undefined. */
function wholeNumber(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const v = Number(t);
  return Number.isSafeInteger(v) ? v : undefined;
}

function checkShard(index: number, count: number, source: string): Shard {
  if (count < 1 || count > MAX_SHARDS) {
    throw new SdenoRangeError(
      `${source}: the shard count must be in 1 to ${MAX_SHARDS}, got ${quote(count)}`,
    );
  }
  if (index >= count) {
    throw new SdenoRangeError(
      `${source}: the shard index must be below the count ${count} (shards are numbered ` +
        `0 to ${count - 1}), got ${quote(index)}`,
    );
  }
  return { index, count };
}

/**
 * Parses `i/N`: shard i (from 0) of N.
 *
 * @param text the text, e.g. `"2/7"`
 * @param source what to name in errors (default `--shard`)
 * @returns the shard
 * @throws {SdenoTypeError} when it is not two whole numbers joined by `/`
 * @throws {SdenoRangeError} when the index is not below the count, or the count is 0
 *
 * @example Shard 2 of 7, and `3/2` refused
 * ```ts
 * import { parseShard } from "./shard.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseShard("2/7"), { index: 2, count: 7 });
 * assert.throws(() => parseShard("3/2"), /--shard "3\/2": the shard index must be below the count 2/);
 * assert.throws(() => parseShard("1.5/4"), TypeError);
 * ```
 */
export function parseShard(text: string, source = "--shard"): Shard {
  const parts = typeof text === "string" ? text.split("/") : [];
  const index = parts.length === 2 ? wholeNumber(parts[0]!) : undefined;
  const count = parts.length === 2 ? wholeNumber(parts[1]!) : undefined;
  if (index === undefined || count === undefined) {
    throw new SdenoTypeError(
      `${source} must be i/N, two whole numbers (shard i from 0 of N shards), got ${quote(text)}`,
    );
  }
  return checkShard(index, count, `${source} ${quote(text)}`);
}

/** A variable's whole-number value, or undefined when unset. */
function envNumber(env: ShardEnv, name: keyof ShardEnv): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const v = wholeNumber(raw);
  if (v === undefined) {
    throw new SdenoTypeError(`${name} must be a whole number, got ${quote(raw)}`);
  }
  return v;
}

/** The shard the job-array variables name, or undefined when none is set. */
function shardFromEnv(env: ShardEnv, shardCount: number | undefined): Shard | undefined {
  const found: Array<[Shard, string]> = [];
  const id = envNumber(env, "SLURM_ARRAY_TASK_ID");
  if (id !== undefined) {
    const count = envNumber(env, "SLURM_ARRAY_TASK_COUNT");
    if (count === undefined) {
      throw new SdenoTypeError(
        `SLURM_ARRAY_TASK_ID=${id} is set but SLURM_ARRAY_TASK_COUNT is not: run it as a job ` +
          `array (sbatch --array=0-N), or give --shard i/N`,
      );
    }
    const min = envNumber(env, "SLURM_ARRAY_TASK_MIN") ?? 0;
    const step = envNumber(env, "SLURM_ARRAY_TASK_STEP") ?? 1;
    const source =
      `SLURM_ARRAY_TASK_ID=${id} (SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_STEP=${step}, ` +
      `SLURM_ARRAY_TASK_COUNT=${count})`;
    if (step < 1 || id < min || (id - min) % step !== 0) {
      throw new SdenoRangeError(
        `${source}: the task id must be SLURM_ARRAY_TASK_MIN + k·SLURM_ARRAY_TASK_STEP ` +
          `with k ≥ 0 (an array of the form --array=min-max[:step])`,
      );
    }
    found.push([checkShard((id - min) / step, count, source), source]);
  }
  const jci = envNumber(env, "JOB_COMPLETION_INDEX");
  if (jci !== undefined) {
    const envCount = envNumber(env, "SDENO_SHARD_COUNT");
    if (shardCount !== undefined && envCount !== undefined && shardCount !== envCount) {
      throw new SdenoRangeError(
        `--shard-count ${shardCount} and SDENO_SHARD_COUNT=${envCount} disagree`,
      );
    }
    const count = shardCount ?? envCount;
    if (count === undefined) {
      throw new SdenoTypeError(
        `JOB_COMPLETION_INDEX=${jci} is set but not the shard count: give --shard-count N ` +
          `or set SDENO_SHARD_COUNT (the Job's completions)`,
      );
    }
    const source = `JOB_COMPLETION_INDEX=${jci} (of ${count})`;
    found.push([checkShard(jci, count, source), source]);
  }
  if (found.length === 2) {
    const [[a, sa], [b, sb]] = found as [[Shard, string], [Shard, string]];
    if (a.index !== b.index || a.count !== b.count) {
      throw new SdenoRangeError(`${sa} and ${sb} name different shards`);
    }
  }
  return found[0]?.[0];
}

/** Options of {@linkcode resolveShard}. */
export interface ResolveShardOptions {
  /** The `--shard` flag's text, if given. */
  shard?: string | undefined;
  /** The `--shard-count` flag, if given (the count for `JOB_COMPLETION_INDEX`). */
  shardCount?: number | undefined;
  /** The job-array variables (see {@linkcode readShardEnv}). */
  env?: ShardEnv;
}

/**
 * The shard this process runs: from `--shard i/N`, else from the job-array
 * variables, else undefined (an unsharded run). When both are given they
 * must agree.
 *
 * @param options the flag, `--shard-count`, and the variables
 * @returns the shard, or undefined for an unsharded run
 * @throws {SdenoTypeError} a malformed value, a variable without its partner
 *   (an index without a count)
 * @throws {SdenoRangeError} an index out of range, or the flag and the
 *   variables (or two engines' variables) naming different shards
 *
 * @example A Slurm array task, a Kubernetes index, and a conflict
 * ```ts
 * import { resolveShard } from "./shard.ts";
 * import assert from "node:assert/strict";
 * const slurm = { SLURM_ARRAY_TASK_ID: "4", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "7" };
 * assert.deepEqual(resolveShard({ env: slurm }), { index: 3, count: 7 });
 * assert.deepEqual(
 *   resolveShard({ env: { JOB_COMPLETION_INDEX: "0" }, shardCount: 2 }),
 *   { index: 0, count: 2 },
 * );
 * assert.equal(resolveShard({ env: {} }), undefined);
 * assert.throws(() => resolveShard({ shard: "1/7", env: slurm }), /disagree|different/);
 * ```
 */
export function resolveShard(options: ResolveShardOptions = {}): Shard | undefined {
  const { shard, shardCount, env = {} } = options;
  if (shardCount !== undefined && (!Number.isSafeInteger(shardCount) || shardCount < 1)) {
    throw new SdenoRangeError(`--shard-count must be a whole number ≥ 1, got ${quote(shardCount)}`);
  }
  const fromFlag = shard === undefined ? undefined : parseShard(shard);
  if (fromFlag && shardCount !== undefined && shardCount !== fromFlag.count) {
    throw new SdenoRangeError(
      `--shard ${quote(shard)} and --shard-count ${shardCount} disagree on the count`,
    );
  }
  const fromEnv = shardFromEnv(env, shardCount);
  if (fromFlag && fromEnv) {
    if (fromFlag.index !== fromEnv.index || fromFlag.count !== fromEnv.count) {
      throw new SdenoRangeError(
        `--shard ${
          quote(shard)
        } and the job-array variables (shard ${fromEnv.index}/${fromEnv.count}) disagree`,
      );
    }
  }
  if (shardCount !== undefined && !fromFlag && !fromEnv) {
    throw new SdenoTypeError(
      `--shard-count ${shardCount} needs an index: --shard i/N, or JOB_COMPLETION_INDEX`,
    );
  }
  return fromFlag ?? fromEnv;
}

/**
 * Reads {@linkcode SHARD_ENV_VARIABLES} from the process environment, each
 * only where `--allow-env` grants it (an ungranted one reads as unset, so a
 * run without the permission is sharded by `--shard` alone).
 *
 * @returns the variables that are set and readable
 *
 * @example Nothing set here
 * ```ts
 * import { readShardEnv } from "./shard.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof readShardEnv(), "object");
 * ```
 */
export function readShardEnv(): ShardEnv {
  const env: ShardEnv = {};
  for (const name of SHARD_ENV_VARIABLES) {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") continue;
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  return env;
}

/**
 * A script's shard from its `--shard` and `--shard-count` flags and this
 * process's environment ({@linkcode readShardEnv}), through
 * {@linkcode resolveShard}; a bad or conflicting value becomes a
 * {@linkcode CliUsageError} of `--shard`, so the script exits 2 with its usage.
 *
 * @param values the parsed flags (`shard` a string, `shardCount` a number, either absent)
 * @returns the shard, or undefined for an unsharded run
 * @throws {CliUsageError} for a bad or conflicting shard
 *
 * @example
 * ```ts
 * import { shardFromFlags } from "./shard.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(shardFromFlags({ shard: "2/4" }), { index: 2, count: 4 });
 * assert.throws(() => shardFromFlags({ shard: "5/4" }), /--shard/);
 * ```
 */
export function shardFromFlags(
  values: { shard?: unknown; shardCount?: unknown },
): Shard | undefined {
  try {
    return resolveShard({
      shard: values.shard as string | undefined,
      shardCount: values.shardCount as number | undefined,
      env: readShardEnv(),
    });
  } catch (err) {
    if (err instanceof SdenoError) throw new CliUsageError(err.message, { flag: "--shard" });
    throw err;
  }
}

/**
 * The blocks shard `index` of `count` owns among `blocks`:
 * [⌊index·blocks/count⌋, ⌊(index+1)·blocks/count⌋) — whole blocks, in
 * order, every block owned by exactly one shard (some own none when there
 * are more shards than blocks).
 *
 * @param shard the shard
 * @param blocks how many blocks the run has
 * @returns the first block and one past the last
 *
 * @example 10 blocks over 3 shards
 * ```ts
 * import { shardBlocks } from "./shard.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([0, 1, 2].map((index) => shardBlocks({ index, count: 3 }, 10)), [
 *   { start: 0, end: 3 }, { start: 3, end: 6 }, { start: 6, end: 10 },
 * ]);
 * ```
 */
export function shardBlocks(shard: Shard, blocks: number): { start: number; end: number } {
  if (!Number.isSafeInteger(blocks) || blocks < 0) {
    throw new SdenoRangeError(`shardBlocks: blocks must be a whole number, got ${quote(blocks)}`);
  }
  checkShard(shard.index, shard.count, "shardBlocks");
  // BigInt keeps index·blocks exact beyond 2⁵³
  const at = (i: number) => Number((BigInt(i) * BigInt(blocks)) / BigInt(shard.count));
  return { start: at(shard.index), end: at(shard.index + 1) };
}
