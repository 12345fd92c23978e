import assert from "node:assert/strict";
import {
  canonicalJson,
  decodePartial,
  encodePartial,
  makePartial,
  mergePartials,
  type NamedPartial,
  PARTIAL_VERSION,
  type PartialResult,
  type PartialRun,
  runHash,
  sha256Hex,
} from "../../io/partial.ts";
import { partialMoments } from "../../stats/partial_moments.ts";
import { SdenoError } from "../../kernels/errors.ts";

/** Deterministic non-integer data: 3 columns per path. */
const DATA = Float64Array.from({ length: 3 * 1000 }, (_, i) => Math.sin(i * 0.7) * 10 + i / 300);

const RUN: PartialRun = {
  script: "demo",
  paths: 1000,
  blockSize: 64,
  config: { seed: 3, model: "ou", dt: 0.01, saveAt: [0.5, 1] },
};

/** Shard `index` of `count` of the demo run: block moments, integer sums, 70 kept rows. */
function shardOf(index: number, count: number, run = RUN): Promise<PartialResult> {
  const samples = {
    kept: { rowLength: 3, total: 70, indices: [] as number[], data: new Float64Array() },
  };
  const rows: number[] = [];
  return makePartial(run, { index, count }, {
    samples,
    shared: { t: Float64Array.of(0.5, 1), name: "demo" },
    block: (_b, offset, n) => {
      const x = DATA.subarray(offset * 3, (offset + n) * 3);
      for (let p = offset; p < Math.min(offset + n, 70); p++) {
        samples.kept.indices.push(p);
        rows.push(...DATA.subarray(p * 3, p * 3 + 3));
      }
      samples.kept.data = Float64Array.from(rows);
      const hist = new Float64Array(4);
      for (const v of x) hist[Math.min(3, Math.max(0, Math.floor(v / 5) + 2))]! += 1;
      return {
        moments: { x: partialMoments(x, { columns: 3, dim: 3 }) },
        sums: { hist, s: Float64Array.of(n) },
      };
    },
  });
}

async function shards(count: number, run = RUN): Promise<NamedPartial[]> {
  const out: NamedPartial[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ name: `partial-${i}-of-${count}.json`, partial: await shardOf(i, count, run) });
  }
  return out;
}

/** Every bit of every array equal (−0 and NaN included). */
function sameBits(a: unknown, b: unknown): void {
  assert.equal(canonicalJson(bitsOf(a)), canonicalJson(bitsOf(b)));
}
function bitsOf(v: unknown): unknown {
  if (v instanceof Float64Array) {
    return [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)].join(".");
  }
  if (Array.isArray(v)) return v.map(bitsOf);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bitsOf(x)]));
  }
  return v;
}

Deno.test("canonicalJson() sorts keys, keeps numbers exact and refuses what JSON cannot carry", () => {
  assert.equal(
    canonicalJson({ b: { d: 1, c: [true, null] }, a: "x" }),
    '{"a":"x","b":{"c":[true,null],"d":1}}',
  );
  assert.equal(canonicalJson(0.1 + 0.2), "0.30000000000000004");
  assert.equal(canonicalJson(-0), "0");
  assert.throws(
    () => canonicalJson({ a: [1, Infinity] }),
    /config\.a\[1\] must be a finite number/,
  );
  assert.throws(() => canonicalJson({ a: undefined }), /config\.a must be null, a boolean/);
  assert.throws(() => canonicalJson({ a: new Float64Array(1) }), /"Float64Array"/);
  assert.throws(() => canonicalJson(new Map()), TypeError);
});

Deno.test("runHash() is SHA-256 of the canonical run; sha256Hex() meets the FIPS 180-2 vectors", async () => {
  assert.equal(
    await sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    await sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  const h = await runHash(RUN);
  assert.equal(h, await sha256Hex(canonicalJson(RUN, "run")));
  assert.equal(
    h,
    await runHash({
      config: { ...RUN.config as object },
      blockSize: 64,
      paths: 1000,
      script: "demo",
    }),
  );
  assert.notEqual(h, await runHash({ ...RUN, config: { ...RUN.config as object, seed: 4 } }));
  assert.notEqual(h, await runHash({ ...RUN, blockSize: 65 }));
});

Deno.test("encodePartial() and decodePartial() keep every bit (−0, NaN, subnormals)", async () => {
  const odd = Float64Array.of(-0, NaN, 5e-324, -Infinity, 0.1, 2 ** 53 + 2);
  const p = await makePartial({ ...RUN, paths: 3, blockSize: 2 }, { index: 0, count: 1 }, {
    block: (b) => ({ moments: {}, sums: { odd: b === 0 ? odd : new Float64Array(6) } }),
    shared: { nested: [{ a: odd }, "x", 1, null] },
    samples: { s: { rowLength: 2, total: 1, indices: [0], data: odd.subarray(0, 2) } },
    seconds: 1.5,
  });
  const back = await decodePartial(encodePartial(p), "p.json");
  sameBits(back, p);
  assert.ok(Object.is(back.blocks[0]!.sums.odd![0], -0));
  assert.ok(Number.isNaN(back.blocks[0]!.sums.odd![1]));
});

Deno.test("decodePartial() refuses another format or version, a changed configuration and foreign blocks", async () => {
  const text = encodePartial(await shardOf(1, 3));
  const obj = JSON.parse(text);
  const cases: Array<[unknown, ErrorConstructor, RegExp]> = [
    ["{not json", SyntaxError, /^x\.json: not a partial result \(not JSON/],
    [
      { ...obj, format: "npz" },
      RangeError,
      /x\.json: not a partial result \(format "npz", expected "sdeno-partial"\)/,
    ],
    [
      { ...obj, version: PARTIAL_VERSION + 1 },
      RangeError,
      new RegExp(
        `x\\.json: format version ${
          PARTIAL_VERSION + 1
        }, but this sdeno reads version ${PARTIAL_VERSION}`,
      ),
    ],
    [
      { ...obj, run: { ...obj.run, config: { ...obj.run.config, seed: 4 } } },
      RangeError,
      /x\.json: the run's hash .* does not match its configuration .*; the file was changed/,
    ],
    [
      { ...obj, shard: { index: 3, count: 3 } },
      RangeError,
      /shard index 3 must be below the count 3/,
    ],
    [{ ...obj, shard: { index: 0, count: 3 } }, RangeError, /expected block 0, got 5/],
    [
      { ...obj, blocks: obj.blocks.slice(1) },
      RangeError,
      /shard 1\/3 owns blocks 5 to 9, got 4 blocks/,
    ],
    [
      { ...obj, blocks: [{ ...obj.blocks[0], paths: 63 }, ...obj.blocks.slice(1)] },
      RangeError,
      /block 5 has 64 paths, got 63/,
    ],
    [
      {
        ...obj,
        blocks: [{ ...obj.blocks[0], sums: { s: { $f64: "AAA" } } }, ...obj.blocks.slice(1)],
      },
      TypeError,
      /blocks\[0\]\.sums\.s/,
    ],
    [{ ...obj, run: undefined }, TypeError, /run must be an object/],
  ];
  for (const [value, kind, message] of cases) {
    const t = typeof value === "string" ? value : JSON.stringify(value);
    await assert.rejects(decodePartial(t, "x.json"), (e: Error) => {
      assert.ok(e instanceof kind && e instanceof SdenoError, `${message}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("mergePartials() of 1, 2, 7, 13 and 20 shards (more shards than blocks) gives the same bits as one unsharded run", async () => {
  const whole = mergePartials(await shards(1));
  assert.equal(whole.moments.x!.count, 1000);
  assert.deepEqual([...whole.sums.s!], [1000]);
  assert.deepEqual(whole.samples.kept!.indices, Array.from({ length: 70 }, (_, i) => i));
  assert.deepEqual(whole.samples.kept!.data, DATA.subarray(0, 210));
  // 16 blocks: 20 shards leave some shards without a block
  for (const count of [2, 7, 13, 20]) {
    const named = await shards(count);
    // through the file form, in a scrambled order
    const decoded = await Promise.all(
      named.reverse().map(async ({ name, partial }) => ({
        name,
        partial: await decodePartial(encodePartial(partial), name),
      })),
    );
    const merged = mergePartials(decoded);
    assert.equal(merged.shards, count);
    sameBits({ ...merged, shards: 1, seconds: 0 }, { ...whole, seconds: 0 });
  }
});

Deno.test("mergePartials() refuses other runs, counts, duplicates and missing shards by name", async () => {
  const two = await shards(2), three = await shards(3);
  const reseeded = await shards(2, { ...RUN, config: { ...RUN.config as object, seed: 9 } });
  const cases: Array<[NamedPartial[], RegExp]> = [
    [
      [two[0]!, { name: "other.json", partial: reseeded[1]!.partial }],
      /other\.json is from another run than partial-0-of-2\.json \(run\.config\.seed: "3" vs "9"; run SHA-256/,
    ],
    [
      [two[0]!, three[1]!],
      /partial-1-of-3\.json is shard 1 of 3, but partial-0-of-2\.json is shard 0 of 2: the shard counts differ/,
    ],
    [
      [two[0]!, { ...two[0]!, name: "copy.json" }, two[1]!],
      /shard 0 of 2 is given twice \(partial-0-of-2\.json and copy\.json\)/,
    ],
    [[three[1]!], /missing shards 0, 2 of 3/],
    [[two[1]!], /missing shard 0 of 2/],
    [[], /no partial results given/],
  ];
  for (const [named, message] of cases) {
    assert.throws(() => mergePartials(named), (e: Error) => {
      assert.ok(e instanceof RangeError && e instanceof SdenoError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
  // a sample row claimed by two shards, and shared values that differ
  const a = structuredClone(two[0]!.partial), b = structuredClone(two[1]!.partial);
  b.samples.kept = { rowLength: 3, total: 70, indices: [5], data: new Float64Array(3) };
  assert.throws(
    () => mergePartials([{ name: "a", partial: a }, { name: "b", partial: b }]),
    /sample row 5 of kept is in both a and b/,
  );
  const c = structuredClone(two[1]!.partial);
  c.shared.t = Float64Array.of(0.5, 1.25);
  assert.throws(
    () => mergePartials([{ name: "a", partial: a }, { name: "c", partial: c }]),
    /c computed other shared values than a \(shared\.t/,
  );
});
