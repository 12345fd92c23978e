import assert from "node:assert/strict";
import {
  type DrawOptions,
  fillBits,
  fillNormal,
  fillUniform,
  makeKey,
} from "../../kernels/philox.ts";
import { philoxBlock } from "../../kernels/_philox_block.ts";
import {
  isPhiloxWasmAvailable,
  philoxBlocksWasm,
  philoxCountersWasm,
  philoxExpUniformStepsWasm,
  philoxStepsWasm,
} from "../../kernels/philox_wasm.ts";
import {
  _PhiloxWasm,
  _philoxWasm,
  _philoxWasmBytes,
  _setPhiloxWasmDisabled,
} from "../../kernels/_wasm_philox.ts";
import { boxMullerPair } from "../../kernels/_box_muller.ts";
import { expUniformBlock } from "../../kernels/_exp_uniform.ts";
import { _log } from "../../kernels/_log.ts";
import { WASM_MODULES } from "../../scripts/build_wasm.ts";

// Random123 known-answer vectors (kat_vectors, philox4x32 10): counter, key, output.
const KATS: Array<[[number, number, number, number], [number, number], number[]]> = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

const TWO_POW_32 = 4294967296;
const N = 1 << 20;
// (step, purpose, offset): offset 4·2³² − 4099 makes the block index cross 2³² (carry into word 3)
const DRAWS: Required<DrawOptions>[] = [
  { step: 0, purpose: 0, offset: 0 },
  { step: 3, purpose: 1, offset: 5 },
  { step: 0xffffffff, purpose: 7, offset: 4 * TWO_POW_32 - 4099 },
  { step: 12, purpose: 0xffffffff, offset: 4 * (3 * TWO_POW_32 - 100) + 2 },
];

/** Runs `f` with the WebAssembly path off: the plain `philoxBlock` reference. */
function withoutWasm<T>(f: () => T): T {
  const before = _setPhiloxWasmDisabled(true);
  try {
    return f();
  } finally {
    _setPhiloxWasmDisabled(before);
  }
}

/** Index of the first element where a and b differ (Object.is), or -1. */
function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

Deno.test("the module loaded is the committed kernels/philox.wasm, and it compiles here", async () => {
  const committed = await Deno.readFile(new URL("../../kernels/philox.wasm", import.meta.url));
  assert.deepEqual(_philoxWasmBytes(), committed);
  assert.ok(WebAssembly.validate(committed));
  assert.equal(isPhiloxWasmAvailable(), true);
});

Deno.test("philoxCountersWasm() and philoxBlocksWasm() match the Random123 known-answer vectors", () => {
  for (const [counter, key, expected] of KATS) {
    const k = { seed: key[0], stream: key[1] };
    assert.deepEqual([...philoxCountersWasm(new Uint32Array(counter), k)], expected);
    assert.deepEqual(
      [...withoutWasm(() => philoxCountersWasm(new Uint32Array(counter), k))],
      expected,
    );
    // as (block, step, purpose, blockHigh), where the block index is a safe integer
    const firstBlock = counter[3] * TWO_POW_32 + counter[0];
    if (firstBlock <= Number.MAX_SAFE_INTEGER / 4) {
      const out = new Uint32Array(4);
      philoxBlocksWasm(out, k, { step: counter[1], purpose: counter[2], firstBlock });
      assert.deepEqual([...out], expected);
    }
  }
  // the three in one call: counters are independent of their neighbours
  const counters = new Uint32Array(KATS.flatMap(([c]) => c));
  const out = philoxCountersWasm(counters, { seed: 0, stream: 0 });
  assert.deepEqual([...out.subarray(0, 4)], KATS[0]![2]);
});

Deno.test("philoxBlocksWasm() is bit-identical to the JavaScript fillBits on 2^20 words", () => {
  const key = makeKey(123456789, 42);
  for (const { step, purpose, offset } of DRAWS) {
    const aligned = offset - (offset % 4);
    const expected = new Uint32Array(N);
    withoutWasm(() => fillBits(expected, key, { step, purpose, offset: aligned }));
    const got = new Uint32Array(N);
    philoxBlocksWasm(got, key, { step, purpose, firstBlock: aligned / 4 });
    assert.equal(firstMismatch(got, expected), -1, `step ${step} purpose ${purpose} at ${aligned}`);
  }
});

Deno.test("philoxBlocksWasm() carries the block index into counter word 3", () => {
  const key = makeKey(1, 2);
  const out = new Uint32Array(8);
  philoxBlocksWasm(out, key, { step: 5, purpose: 6, firstBlock: TWO_POW_32 - 1 });
  const w = new Uint32Array(4);
  philoxBlock(0xffffffff, 5, 6, 0, 1, 2, w);
  assert.deepEqual([...out.subarray(0, 4)], [...w]);
  philoxBlock(0, 5, 6, 1, 1, 2, w);
  assert.deepEqual([...out.subarray(4)], [...w]);
});

Deno.test("philoxBlocksWasm() does not depend on the chunk size", () => {
  const key = makeKey(77, 3);
  const firstBlock = TWO_POW_32 - 1000; // the carry falls inside a chunk for most sizes
  const reference = new Uint32Array(4 * 50_000);
  philoxBlocksWasm(reference, key, { step: 9, firstBlock });
  // 1 << 18 blocks is 4 MiB: larger than the module's initial memory, so it grows
  for (const chunkBlocks of [1, 3, 1000, 4096, 16384, 1 << 18]) {
    const out = new Uint32Array(reference.length);
    philoxBlocksWasm(out, key, { step: 9, firstBlock, chunkBlocks });
    assert.equal(firstMismatch(out, reference), -1, `chunkBlocks ${chunkBlocks}`);
  }
  const js = new Uint32Array(reference.length);
  withoutWasm(() => philoxBlocksWasm(js, key, { step: 9, firstBlock }));
  assert.equal(firstMismatch(js, reference), -1, "JavaScript fallback");
});

Deno.test("philoxStepsWasm() is bit-identical to philoxBlock at consecutive steps (counter word 1)", () => {
  const key = makeKey(987654321, 77);
  const n = 30_000;
  // (block, purpose, firstStep): block ≥ 2³² puts its high word in counter word 3
  const cases: Array<[number, number, number]> = [
    [0, 0, 0],
    [5, 0x53534144, 1],
    [0xffffffff, 0xffffffff, 0xffffffff - n + 1],
    [3 * TWO_POW_32 + 17, 9, 123456],
  ];
  const w = new Uint32Array(4);
  for (const [block, purpose, firstStep] of cases) {
    const expected = new Uint32Array(4 * n);
    for (let i = 0; i < n; i++) {
      philoxBlock(
        block % TWO_POW_32,
        firstStep + i,
        purpose,
        Math.floor(block / TWO_POW_32),
        key.seed,
        key.stream,
        w,
      );
      expected.set(w, 4 * i);
    }
    const label = `block ${block} purpose ${purpose} step ${firstStep}`;
    for (const chunkBlocks of [1, 7, 4096, 16384]) {
      const out = new Uint32Array(4 * n);
      philoxStepsWasm(out, key, { block, purpose, firstStep, chunkBlocks });
      assert.equal(firstMismatch(out, expected), -1, `${label}, chunkBlocks ${chunkBlocks}`);
    }
    const js = new Uint32Array(4 * n);
    withoutWasm(() => philoxStepsWasm(js, key, { block, purpose, firstStep }));
    assert.equal(firstMismatch(js, expected), -1, `${label}, JavaScript fallback`);
  }
  assert.throws(() => philoxStepsWasm(new Uint32Array(8), key, { firstStep: 0xffffffff }), {
    name: "SdenoRangeError",
    message: /firstStep/,
  });
  assert.throws(() => philoxStepsWasm(new Uint32Array(3), key), {
    name: "SdenoTypeError",
    message: /multiple of 4/,
  });
  assert.throws(() => philoxStepsWasm(new Uint32Array(4), key, { block: -1 }), {
    name: "SdenoRangeError",
    message: /block/,
  });
});

Deno.test("the module's fillSteps wraps the step (counter word 1) modulo 2^32", () => {
  const wasm = _philoxWasm()!;
  const words = wasm.stepBlocks(11, 0xfffffffe, 3, 4, 5, 6, 4).slice(0, 16);
  const w = new Uint32Array(4);
  [0xfffffffe, 0xffffffff, 0, 1].forEach((step, i) => {
    philoxBlock(11, step, 3, 4, 5, 6, w);
    assert.deepEqual([...words.subarray(4 * i, 4 * i + 4)], [...w], `step ${step}`);
  });
});

Deno.test("philoxCountersWasm() gives each arbitrary counter's block, in place too", () => {
  const key = makeKey(0xdeadbeef, 0xffffffff);
  const n = 40_000;
  const counters = new Uint32Array(4 * n);
  let s = 12345;
  for (let i = 0; i < counters.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    counters[i] = Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) >>> 0;
  }
  const expected = new Uint32Array(4 * n);
  const w = new Uint32Array(4);
  for (let i = 0; i < 4 * n; i += 4) {
    philoxBlock(
      counters[i]!,
      counters[i + 1]!,
      counters[i + 2]!,
      counters[i + 3]!,
      key.seed,
      key.stream,
      w,
    );
    expected.set(w, i);
  }
  assert.equal(firstMismatch(philoxCountersWasm(counters, key), expected), -1);
  assert.equal(firstMismatch(philoxCountersWasm(counters, key, { chunkBlocks: 7 }), expected), -1);
  assert.equal(
    firstMismatch(withoutWasm(() => philoxCountersWasm(counters, key)), expected),
    -1,
  );
  const inPlace = counters.slice();
  assert.equal(philoxCountersWasm(inPlace, key, { out: inPlace }), inPlace);
  assert.equal(firstMismatch(inPlace, expected), -1);
});

Deno.test("fillBits(), fillUniform() and fillNormal() give the same numbers with and without WebAssembly", () => {
  const key = makeKey(2024, 1);
  for (const draw of DRAWS) {
    for (const n of [1, 3, 6, 4 * 16384 + 5, N + 3]) {
      const arrays = (): [Uint32Array, Float64Array, Float32Array, Float64Array, Float32Array] => [
        new Uint32Array(n),
        new Float64Array(n),
        new Float32Array(n),
        new Float64Array(n),
        new Float32Array(n),
      ];
      const fill = ([b, u64, u32, z64, z32]: ReturnType<typeof arrays>) => {
        fillBits(b, key, draw);
        fillUniform(u64, key, draw);
        fillUniform(u32, key, draw);
        fillNormal(z64, key, draw);
        fillNormal(z32, key, draw);
      };
      const wasm = arrays();
      fill(wasm);
      const js = arrays();
      withoutWasm(() => fill(js));
      for (let a = 0; a < wasm.length; a++) {
        assert.equal(
          firstMismatch(wasm[a]!, js[a]!),
          -1,
          `array ${a}, n ${n}, ${JSON.stringify(draw)}`,
        );
      }
    }
  }
});

Deno.test("philoxBlocksWasm() and philoxCountersWasm() reject bad shapes and ranges with typed errors", () => {
  const key = makeKey(1);
  assert.throws(() => philoxBlocksWasm(new Uint32Array(6), key), {
    name: "SdenoTypeError",
    message: /multiple of 4/,
  });
  assert.throws(() => philoxBlocksWasm(new Uint32Array(4), key, { firstBlock: -1 }), {
    name: "SdenoRangeError",
    message: /firstBlock/,
  });
  assert.throws(() => philoxBlocksWasm(new Uint32Array(4), key, { step: 2 ** 32 }), {
    name: "SdenoRangeError",
    message: /step/,
  });
  assert.throws(() => philoxBlocksWasm(new Uint32Array(4), key, { chunkBlocks: 0 }), {
    name: "SdenoRangeError",
    message: /chunkBlocks/,
  });
  assert.throws(() => philoxCountersWasm(new Uint32Array(5), key), {
    name: "SdenoTypeError",
    message: /multiple of 4/,
  });
  assert.throws(
    () => philoxCountersWasm(new Uint32Array(4), key, { out: new Uint32Array(8) }),
    { name: "SdenoTypeError", message: /out must be/ },
  );
  assert.throws(() => philoxBlocksWasm(new Uint32Array(4), { seed: -1, stream: 0 }), RangeError);
});

/** The JavaScript words of the counter (c0, c1, c2, c3) under (k0, k1). */
function jsBlock(c: readonly number[], k0: number, k1: number): Uint32Array {
  const w = new Uint32Array(4);
  philoxBlock(c[0]!, c[1]!, c[2]!, c[3]!, k0, k1, w);
  return w;
}

Deno.test("every export of the module gives the JavaScript's bits for every count, across carries", () => {
  const wasm = _philoxWasm()!;
  const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) =>
    assert.equal(firstMismatch(a, b), -1, what);
  const [k0, k1] = [11, 12];
  // counts around the group (4), pair (8) and tile (64) sizes; the block index crosses
  // 2^32 (carry into counter word 3) and the step crosses 2^32 (wraps)
  const counts = [...Array.from({ length: 20 }, (_, i) => i + 1), 63, 64, 65, 127, 129, 1001];
  for (const n of counts) {
    const c0 = TWO_POW_32 - 37, c1 = TWO_POW_32 - 35;
    const at = `${n} blocks`;
    const blockCounter = (
      i: number,
    ) => [(c0 + i) % TWO_POW_32, 7, 3, 9 + (c0 + i >= TWO_POW_32 ? 1 : 0)];
    const stepCounter = (i: number) => [5, (c1 + i) % TWO_POW_32, 3, 9];
    const words = new Uint32Array(4 * n), stepWords = new Uint32Array(4 * n);
    const z64 = new Float64Array(4 * n),
      z32 = new Float32Array(4 * n),
      ssa = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      const w = jsBlock(blockCounter(i), k0, k1);
      words.set(w, 4 * i);
      boxMullerPair(w[0]!, w[1]!, z64, 4 * i);
      boxMullerPair(w[2]!, w[3]!, z64, 4 * i + 2);
      boxMullerPair(w[0]!, w[1]!, z32, 4 * i);
      boxMullerPair(w[2]!, w[3]!, z32, 4 * i + 2);
      const s = jsBlock(stepCounter(i), k0, k1);
      stepWords.set(s, 4 * i);
      expUniformBlock(s, ssa, 4 * i);
    }
    same(wasm.blocks(c0, 7, 3, 9, k0, k1, n).slice(0, 4 * n), words, `fill, ${at}`);
    same(wasm.stepBlocks(5, c1, 3, 9, k0, k1, n).slice(0, 4 * n), stepWords, `fillSteps, ${at}`);
    same(wasm.normals(c0, 7, 3, 9, k0, k1, n, false).slice(0, 4 * n), z64, `normals, ${at}`);
    same(wasm.normals(c0, 7, 3, 9, k0, k1, n, true).slice(0, 4 * n), z32, `normals32, ${at}`);
    same(wasm.expUniformSteps(5, c1, 3, 9, k0, k1, n).slice(0, 4 * n), ssa, `SSA draws, ${at}`);
    const counters = new Uint32Array(4 * n).map((_, i) => Math.imul(i, 0x9e3779b9) >>> 0);
    const expected = new Uint32Array(4 * n);
    for (let i = 0; i < 4 * n; i += 4) {
      expected.set(jsBlock([...counters.subarray(i, i + 4)], k0, k1), i);
    }
    const out = new Uint32Array(4 * n);
    wasm.counters(counters, k0, k1, out);
    same(out, expected, `counters, ${at}`);
    const values = new Float64Array(n).map((_, i) =>
      [0, -1, NaN, Infinity, 5e-324, -0][i % 9] ?? 1e-3 * (i + 1) ** 3
    );
    const logs = new Float64Array(n);
    wasm.logs(values, logs);
    same(logs, values.map(_log), `logs, ${n} values`);
  }
});

Deno.test("the module's exports touch no memory but their scratch and the whole groups of their outputs", () => {
  const module = new WebAssembly.Module(_philoxWasmBytes());
  const e = new WebAssembly.Instance(module, { m: { log: Math.log } }).exports as unknown as
    & Record<
      string,
      (...args: number[]) => void
    >
    & {
      memory: WebAssembly.Memory;
      outputAt: WebAssembly.Global;
      sinCosTableAt: WebAssembly.Global;
    };
  const at = e.outputAt.value as number;
  const tablesEnd = (e.sinCosTableAt.value as number) + 16 * 4097;
  const bytes = new Uint8Array(e.memory.buffer);
  for (const n of [1, 2, 3, 5, 8, 13, 64, 65, 130]) {
    // [export, its arguments, output bytes per block]
    const calls: Array<[string, number[], number]> = [
      ["fill", [1, 2, 3, 4, 5, 6, n, at], 16],
      ["fillSteps", [1, 2, 3, 4, 5, 6, n, at], 16],
      ["normals", [1, 2, 3, 4, 5, 6, n, at], 32],
      ["normals32", [1, 2, 3, 4, 5, 6, n, at], 16],
      ["expUniformSteps", [1, 2, 3, 4, 5, 6, n, at], 32],
      ["counters", [at, 5, 6, n], 16],
      ["logs", [at, n], 8],
    ];
    for (const [name, args, perBlock] of calls) {
      bytes.fill(0xa5);
      // whole groups of four blocks (logs: whole pairs of values), within OVERRUN (128 bytes)
      const end = at + perBlock * (name === "logs" ? 2 * Math.ceil(n / 2) : 4 * Math.ceil(n / 4));
      assert.ok(end - (at + perBlock * n) <= 128);
      bytes.fill(0x3f, at, at + perBlock * n); // valid inputs for counters and logs (1.49)
      e[name]!(...args);
      const below = bytes.subarray(0, tablesEnd).findIndex((b) => b !== 0xa5);
      const above = bytes.subarray(end, end + 4096).findIndex((b) => b !== 0xa5);
      assert.equal(below, -1, `${name}(${n}) wrote at ${below}, in the tables`);
      assert.equal(above, -1, `${name}(${n}) wrote at ${end + above}, past its last group`);
    }
  }
});

/** A script that draws with the WebAssembly module of `kernels/philox_wasm.ts` at `url`. */
function drawScript(url: string): string {
  return `import { isPhiloxWasmAvailable, philoxBlocksWasm, philoxExpUniformStepsWasm } from "${url}";
import { fillNormal } from "${url.replace("philox_wasm.ts", "philox.ts")}";
const words = new Uint32Array(64);
philoxBlocksWasm(words, { seed: 9, stream: 2 }, { step: 4 });
const z = new Float64Array(64);
fillNormal(z, { seed: 9, stream: 2 }, { step: 4 });
const e = new Float64Array(64);
philoxExpUniformStepsWasm(e, { seed: 9, stream: 2 }, { block: 3 });
console.log(JSON.stringify({ wasm: isPhiloxWasmAvailable(), words: [...words], z: [...z], e: [...e] }));`;
}

Deno.test({
  name: "the module loads with no permission, from a checkout and imported by http:// URL",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const root = new URL("../../", import.meta.url);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 403 });
    try {
      const body = await Deno.readFile(new URL(`.${path}`, root));
      return new Response(body, {
        headers: { "content-type": path.endsWith(".ts") ? "application/typescript" : "text/plain" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const tmp = await Deno.makeTempDir();
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const local = new URL("../../kernels/philox_wasm.ts", import.meta.url).href;
    const runs: Array<[string, string, string[]]> = [
      ["checkout", local, []],
      ["http", `http://${host}/kernels/philox_wasm.ts`, [`--allow-import=${host}`]],
    ];
    const results = [];
    for (const [label, url, flags] of runs) {
      const script = `${tmp}/${label}.mjs`;
      await Deno.writeTextFile(script, drawScript(url));
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-config", "--no-lock", ...flags, script],
        env: { DENO_DIR: `${tmp}/cache`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, `${label}: ${new TextDecoder().decode(stderr)}`);
      results.push(JSON.parse(new TextDecoder().decode(stdout)));
    }
    // the same numbers as this process, which draws through the module too
    const words = new Uint32Array(64);
    philoxBlocksWasm(words, { seed: 9, stream: 2 }, { step: 4 });
    const z = new Float64Array(64);
    fillNormal(z, { seed: 9, stream: 2 }, { step: 4 });
    const e = new Float64Array(64);
    philoxExpUniformStepsWasm(e, { seed: 9, stream: 2 }, { block: 3 });
    for (const r of results) {
      assert.equal(r.wasm, true);
      assert.deepEqual(r, { wasm: true, words: [...words], z: [...z], e: [...e] });
    }
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "scripts/build_wasm.ts rebuilds the committed bytes of every module (philox.wat, " +
    "expm.wat), and --check fails on one changed byte in any .wasm",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const script = `${root}scripts/build_wasm.ts`;
  // the folders of the sources (kernels, solvers/ctmc)
  const sources = [...new Set(WASM_MODULES.map((m) => root + m.source.replace(/\/[^/]*$/, "")))];
  assert.deepEqual(WASM_MODULES.map((m) => m.source), [
    "kernels/philox.wat",
    "solvers/ctmc/expm.wat",
    "solvers/sde/ensemble_f32.wat",
  ]);
  const tmp = await Deno.makeTempDir();
  const run = async (...args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--allow-read=${sources},${tmp}`, `--allow-write=${tmp}`, script, ...args],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
  };
  try {
    const built = await run("--out-dir", tmp);
    assert.equal(built.code, 0, built.err);
    for (const m of WASM_MODULES) {
      for (const file of [m.wasm, m.bytesModule]) {
        const committed = await Deno.readFile(root + file);
        const rebuilt = await Deno.readFile(`${tmp}/${file}`);
        assert.ok(
          committed.length === rebuilt.length && committed.every((b, i) => b === rebuilt[i]),
          `${file} differs from the build of ${m.source}: run deno task build:wasm`,
        );
      }
    }
    assert.equal((await run("--check", "--out-dir", tmp)).code, 0);
    for (const m of WASM_MODULES) {
      const path = `${tmp}/${m.wasm}`;
      const wasm = await Deno.readFile(path);
      wasm[wasm.length - 1]! ^= 1;
      await Deno.writeFile(path, wasm);
      const changed = await run("--check", "--out-dir", tmp);
      assert.equal(changed.code, 1, m.wasm);
      assert.ok(changed.err.includes(`${path} differs`), changed.err);
      wasm[wasm.length - 1]! ^= 1;
      await Deno.writeFile(path, wasm);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
