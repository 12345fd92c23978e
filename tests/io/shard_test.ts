import assert from "node:assert/strict";
import {
  parseShard,
  readShardEnv,
  resolveShard,
  SHARD_ENV_VARIABLES,
  shardBlocks,
} from "../../io/shard.ts";
import { SdenoError } from "../../kernels/errors.ts";

Deno.test("parseShard() reads i/N and refuses 3/2, out-of-range indices and non-integers", () => {
  assert.deepEqual(parseShard("0/1"), { index: 0, count: 1 });
  assert.deepEqual(parseShard("6/7"), { index: 6, count: 7 });
  assert.deepEqual(parseShard(" 2 / 7 "), { index: 2, count: 7 });
  const range: Array<[string, RegExp]> = [
    [
      "3/2",
      /^--shard "3\/2": the shard index must be below the count 2 \(shards are numbered 0 to 1\), got "3"$/,
    ],
    ["2/2", /the shard index must be below the count 2/],
    ["0/0", /the shard count must be in 1 to \d+, got "0"/],
  ];
  for (const [text, message] of range) {
    assert.throws(() => parseShard(text), (e: Error) => {
      assert.ok(e instanceof RangeError && e instanceof SdenoError, `${text}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
  for (const text of ["1.5/4", "-1/2", "a/b", "1/2/3", "", "3", "1/", "/2", "0x1/2", "1e1/20"]) {
    assert.throws(
      () => parseShard(text),
      (e: Error) =>
        e instanceof TypeError && /--shard must be i\/N, two whole numbers/.test(e.message),
      text,
    );
  }
});

Deno.test("resolveShard() reads Slurm job arrays (also from 1, with a step) and Kubernetes indexed jobs", () => {
  assert.equal(resolveShard(), undefined);
  assert.equal(resolveShard({ env: {} }), undefined);
  assert.deepEqual(
    resolveShard({ env: { SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "7" } }),
    { index: 2, count: 7 },
  );
  // --array=1-7
  assert.deepEqual(
    resolveShard({
      env: { SLURM_ARRAY_TASK_ID: "7", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "7" },
    }),
    { index: 6, count: 7 },
  );
  // --array=10-18:4 → tasks 10, 14, 18
  assert.deepEqual(
    resolveShard({
      env: {
        SLURM_ARRAY_TASK_ID: "14",
        SLURM_ARRAY_TASK_MIN: "10",
        SLURM_ARRAY_TASK_STEP: "4",
        SLURM_ARRAY_TASK_COUNT: "3",
      },
    }),
    { index: 1, count: 3 },
  );
  assert.deepEqual(
    resolveShard({ env: { JOB_COMPLETION_INDEX: "4", SDENO_SHARD_COUNT: "7" } }),
    { index: 4, count: 7 },
  );
  assert.deepEqual(
    resolveShard({ env: { JOB_COMPLETION_INDEX: "4" }, shardCount: 5 }),
    { index: 4, count: 5 },
  );
  // the flag alone, and the flag agreeing with the variables
  assert.deepEqual(resolveShard({ shard: "1/2" }), { index: 1, count: 2 });
  assert.deepEqual(
    resolveShard({
      shard: "1/2",
      env: { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "2", JOB_COMPLETION_INDEX: "1" },
      shardCount: 2,
    }),
    { index: 1, count: 2 },
  );
});

Deno.test("resolveShard() refuses out-of-range indices, missing counts, non-integers and conflicts, by name", () => {
  const cases: Array<[Parameters<typeof resolveShard>[0], ErrorConstructor, RegExp]> = [
    [
      { env: { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "3" } },
      RangeError,
      /SLURM_ARRAY_TASK_ID=3 .*SLURM_ARRAY_TASK_COUNT=3\): the shard index must be below the count 3/,
    ],
    [
      { env: { SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "3" } },
      RangeError,
      /SLURM_ARRAY_TASK_ID=0 .*the task id must be SLURM_ARRAY_TASK_MIN \+ k·SLURM_ARRAY_TASK_STEP/,
    ],
    [
      { env: { SLURM_ARRAY_TASK_ID: "2" } },
      TypeError,
      /SLURM_ARRAY_TASK_ID=2 is set but SLURM_ARRAY_TASK_COUNT is not/,
    ],
    [
      { env: { SLURM_ARRAY_TASK_ID: "two", SLURM_ARRAY_TASK_COUNT: "3" } },
      TypeError,
      /SLURM_ARRAY_TASK_ID must be a whole number, got "two"/,
    ],
    [
      { env: { JOB_COMPLETION_INDEX: "1" } },
      TypeError,
      /JOB_COMPLETION_INDEX=1 is set but not the shard count: give --shard-count N or set SDENO_SHARD_COUNT/,
    ],
    [
      { env: { JOB_COMPLETION_INDEX: "7", SDENO_SHARD_COUNT: "7" } },
      RangeError,
      /JOB_COMPLETION_INDEX=7 \(of 7\): the shard index must be below the count 7/,
    ],
    [
      { env: { JOB_COMPLETION_INDEX: "1", SDENO_SHARD_COUNT: "2.5" } },
      TypeError,
      /SDENO_SHARD_COUNT must be a whole number, got "2.5"/,
    ],
    [
      { env: { JOB_COMPLETION_INDEX: "1", SDENO_SHARD_COUNT: "3" }, shardCount: 4 },
      RangeError,
      /--shard-count 4 and SDENO_SHARD_COUNT=3 disagree/,
    ],
    [
      { shard: "1/7", env: { SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "7" } },
      RangeError,
      /--shard "1\/7" and the job-array variables \(shard 2\/7\) disagree/,
    ],
    [
      { shard: "1/7", env: { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_COUNT: "8" } },
      RangeError,
      /disagree/,
    ],
    [
      {
        env: {
          SLURM_ARRAY_TASK_ID: "1",
          SLURM_ARRAY_TASK_COUNT: "2",
          JOB_COMPLETION_INDEX: "0",
          SDENO_SHARD_COUNT: "2",
        },
      },
      RangeError,
      /SLURM_ARRAY_TASK_ID=1 .* and JOB_COMPLETION_INDEX=0 \(of 2\) name different shards/,
    ],
    [{ shard: "1/7", shardCount: 6 }, RangeError, /--shard "1\/7" and --shard-count 6 disagree/],
    [{ shardCount: 3 }, TypeError, /--shard-count 3 needs an index/],
    [{ shard: "3/2" }, RangeError, /--shard "3\/2": the shard index must be below the count 2/],
  ];
  for (const [options, kind, message] of cases) {
    assert.throws(() => resolveShard(options), (e: Error) => {
      assert.ok(e instanceof kind && e instanceof SdenoError, `${JSON.stringify(options)}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("shardBlocks() gives every block to exactly one shard, whole and in order", () => {
  for (let count = 1; count <= 12; count++) {
    for (let blocks = 0; blocks <= 40; blocks++) {
      let next = 0;
      for (let index = 0; index < count; index++) {
        const { start, end } = shardBlocks({ index, count }, blocks);
        assert.equal(start, next, `${index}/${count} of ${blocks}`);
        assert.equal(start, Math.floor((index * blocks) / count));
        assert.ok(end >= start);
        next = end;
      }
      assert.equal(next, blocks);
    }
  }
  // beyond 2⁵³ in the product: exact
  const blocks = 2 ** 40 + 3;
  assert.deepEqual(shardBlocks({ index: 6, count: 7 }, blocks), {
    start: Number((6n * BigInt(blocks)) / 7n),
    end: blocks,
  });
  assert.throws(() => shardBlocks({ index: 2, count: 2 }, 10), RangeError);
  assert.throws(() => shardBlocks({ index: 0, count: 2 }, -1), RangeError);
});

Deno.test("readShardEnv() reads the job-array variables that are set", () => {
  const saved = SHARD_ENV_VARIABLES.map((n) => [n, Deno.env.get(n)] as const);
  try {
    for (const n of SHARD_ENV_VARIABLES) Deno.env.delete(n);
    assert.deepEqual(readShardEnv(), {});
    Deno.env.set("SLURM_ARRAY_TASK_ID", "3");
    Deno.env.set("SLURM_ARRAY_TASK_COUNT", "4");
    assert.deepEqual(readShardEnv(), { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "4" });
    assert.deepEqual(resolveShard({ env: readShardEnv() }), { index: 3, count: 4 });
  } finally {
    for (const [n, v] of saved) v === undefined ? Deno.env.delete(n) : Deno.env.set(n, v);
  }
});
