import assert from "node:assert/strict";
import {
  _philoxBlock,
  type DrawOptions,
  fillBits,
  fillNormal,
  fillUniform,
  makeKey,
} from "../../kernels/philox.ts";
import {
  isPhiloxWasmAvailable,
  philoxBlocksWasm,
  philoxCountersWasm,
  philoxStepsWasm,
} from "../../kernels/philox_wasm.ts";
import {
  _PhiloxWasm,
  _philoxWasm,
  _philoxWasmBytes,
  _setPhiloxWasmDisabled,
  _wasmSimdSupported,
} from "../../kernels/_wasm_philox.ts";

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

/** Runs `f` with the WebAssembly path off: the plain `_philoxBlock` reference. */
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

Deno.test("_philoxWasmBytes() is a valid module and compiles here", () => {
  assert.ok(WebAssembly.validate(_philoxWasmBytes()));
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
  _philoxBlock(0xffffffff, 5, 6, 0, 1, 2, w);
  assert.deepEqual([...out.subarray(0, 4)], [...w]);
  _philoxBlock(0, 5, 6, 1, 1, 2, w);
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

Deno.test("philoxStepsWasm() is bit-identical to _philoxBlock at consecutive steps (counter word 1)", () => {
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
      _philoxBlock(
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
    _philoxBlock(11, step, 3, 4, 5, 6, w);
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
    _philoxBlock(
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

Deno.test("the SIMD and the scalar WebAssembly modules give the same bits for every count", () => {
  const simd = _philoxWasm()!;
  assert.equal(_wasmSimdSupported(), true); // V8 has simd128: the shared instance is the SIMD one
  const scalar = new _PhiloxWasm(_philoxWasmBytes(false));
  const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) =>
    assert.equal(firstMismatch(a, b), -1, what);
  // block index crossing 2^32 (carry into counter word 3), step crossing 2^32 (wraps)
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 13, 64, 1001]) {
    const c0 = TWO_POW_32 - 5, c1 = TWO_POW_32 - 3;
    const at = `${n} blocks`;
    same(
      simd.blocks(c0, 7, 3, 9, 11, 12, n).slice(0, 4 * n),
      scalar.blocks(c0, 7, 3, 9, 11, 12, n).slice(0, 4 * n),
      `fill, ${at}`,
    );
    same(
      simd.stepBlocks(5, c1, 3, 9, 11, 12, n).slice(0, 4 * n),
      scalar.stepBlocks(5, c1, 3, 9, 11, 12, n).slice(0, 4 * n),
      `fillSteps, ${at}`,
    );
    for (const f32 of [false, true]) {
      same(
        simd.normals(c0, 7, 3, 9, 11, 12, n, f32).slice(0, 4 * n),
        scalar.normals(c0, 7, 3, 9, 11, 12, n, f32).slice(0, 4 * n),
        `normals, f32 ${f32}, ${at}`,
      );
    }
    same(
      simd.expUniformSteps(5, c1, 3, 9, 11, 12, n).slice(0, 4 * n),
      scalar.expUniformSteps(5, c1, 3, 9, 11, 12, n).slice(0, 4 * n),
      `expUniformSteps, ${at}`,
    );
    const counters = new Uint32Array(4 * n).map((_, i) => Math.imul(i, 0x9e3779b9) >>> 0);
    const a = new Uint32Array(4 * n), b = new Uint32Array(4 * n);
    simd.counters(counters, 11, 12, a);
    scalar.counters(counters, 11, 12, b);
    same(a, b, `counters, ${at}`);
    const values = new Float64Array(n).map((_, i) =>
      [0, -1, NaN, Infinity, 5e-324][i % 7] ?? i / 3
    );
    const la = new Float64Array(n), lb = new Float64Array(n);
    simd.logs(values, la);
    scalar.logs(values, lb);
    same(la, lb, `logs, ${n} values`);
  }
});
