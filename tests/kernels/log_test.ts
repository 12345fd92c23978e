import assert from "node:assert/strict";
import {
  _LN2_HI,
  _LN2_LO,
  _log,
  _LOG_POLY,
  _LOG_TABLE,
  _LOG_TABLE_SIZE,
  _LOG_TABLE_STRIDE,
} from "../../kernels/_log.ts";
import { _philoxWasm, _setPhiloxWasmDisabled } from "../../kernels/_wasm_philox.ts";
import { fillNormal, makeKey } from "../../kernels/philox.ts";
import { philoxBlock } from "../../kernels/_philox_block.ts";
import { boxMullerPair } from "../../kernels/_box_muller.ts";
import { expUniformBlock } from "../../kernels/_exp_uniform.ts";
import { philoxExpUniformStepsWasm, philoxStepsWasm } from "../../kernels/philox_wasm.ts";

const TWO_POW_32 = 4294967296;
const F64 = new Float64Array(1);
const I64 = new BigInt64Array(F64.buffer);

/** The bits of a double, as a signed 64-bit integer (monotone for positive doubles). */
function bits(x: number): bigint {
  F64[0] = x;
  return I64[0]!;
}

/** |a − b| in ulps, for a and b of the same sign. */
function ulps(a: number, b: number): number {
  return Math.abs(Number(bits(a) - bits(b)));
}

/** A deterministic stream of doubles in [0, 1) (a 32-bit LCG pair). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const hi = s;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (hi * 2 ** 21 + (s >>> 11)) * 2 ** -53;
  };
}

/** 2^21 test values: uniform in (0, 1), near 1, over the whole exponent range, f32 uniforms, grids. */
function testValues(): Float64Array {
  const rand = lcg(12345);
  const v: number[] = [];
  for (let i = 0; i < 1 << 20; i++) v.push(rand() || 0.5);
  for (let i = 0; i < 1 << 18; i++) v.push(1 + (rand() - 0.5) * 2 ** -4);
  for (let i = 0; i < 1 << 18; i++) v.push(Math.exp((rand() - 0.5) * 1400));
  for (let i = 0; i < 1 << 18; i++) {
    v.push(Math.fround((Math.floor(rand() * TWO_POW_32) + 0.5) / TWO_POW_32));
  }
  for (let k = 1; k <= 1 << 17; k++) {
    v.push(1 - k * 2 ** -33, 1 + k * 2 ** -33, k * 2 ** -33, (k + 0.5) * 2 ** -32);
  }
  // every table point and its neighbours, in several binades
  for (let k = 0; k < _LOG_TABLE_SIZE; k++) {
    const c = _LOG_TABLE[_LOG_TABLE_STRIDE * k]!;
    for (const e of [-1074 + 60, -40, -1, 0, 1, 700]) {
      for (const d of [-(2 ** -9), -(2 ** -52), 0, 2 ** -52, 2 ** -9]) v.push((c + d) * 2 ** e);
    }
  }
  return new Float64Array(v);
}

Deno.test("_log() is within 1 ulp of Math.log on 2^21 values, near 1 and over the exponent range", () => {
  const v = testValues();
  assert.ok(v.length >= 1 << 21);
  let worst = 0, at = 0;
  for (const x of v) {
    const d = ulps(_log(x), Math.log(x));
    if (d > worst) [worst, at] = [d, x];
  }
  assert.ok(worst <= 1, `worst ${worst} ulp at ${at}`);
  // exact where the true value is a table value
  assert.equal(_log(1), 0);
  assert.equal(_log(2), Math.LN2);
  assert.equal(_log(0.5), -Math.LN2);
});

Deno.test("the WebAssembly log is bit-identical to _log() on 2^21 values", () => {
  const wasm = _philoxWasm();
  assert.ok(wasm);
  const v = testValues();
  const out = new Float64Array(v.length);
  wasm.logs(v, out);
  let mismatches = 0, first = -1;
  for (let i = 0; i < v.length; i++) {
    if (!Object.is(out[i], _log(v[i]!))) {
      mismatches++;
      if (first < 0) first = i;
    }
  }
  assert.equal(mismatches, 0, `first at ${v[first]}: ${out[first]} vs ${_log(v[first]!)}`);
  for (const x of [1e-300, 1 - 2 ** -53, 1.5 - 2 ** -52, 0.75, Number.MAX_VALUE]) {
    assert.ok(Object.is(wasm.log(x), _log(x)), `${x}`);
  }
});

Deno.test("_log() and the WebAssembly log give Math.log on 0, negatives, subnormals, ±∞ and NaN", () => {
  const wasm = _philoxWasm()!;
  for (const x of [0, -0, -1, -Infinity, Infinity, NaN, 5e-324, 2 ** -1030, 2 ** -1022 * 0.99]) {
    assert.ok(Object.is(_log(x), Math.log(x)), `_log(${x})`);
    assert.ok(Object.is(wasm.log(x), Math.log(x)), `wasm log(${x})`);
  }
  // the smallest normal goes through the table
  assert.ok(ulps(_log(2 ** -1022), Math.log(2 ** -1022)) <= 1);
});

Deno.test("the WebAssembly normals equal boxMullerPair() on the same words, f64 and f32", () => {
  const wasm = _philoxWasm()!;
  const key = makeKey(99, 4);
  const nblocks = 5000;
  // block index crossing 2^32: the carry into counter word 3
  const first = TWO_POW_32 - 2000;
  const z64 = wasm.normals(first % TWO_POW_32, 7, 3, 0, key.seed, key.stream, nblocks, false)
    .slice(0, 4 * nblocks);
  const z32 = wasm.normals(first % TWO_POW_32, 7, 3, 0, key.seed, key.stream, nblocks, true)
    .slice(0, 4 * nblocks);
  const w = new Uint32Array(4), e64 = new Float64Array(4), e32 = new Float32Array(4);
  for (let i = 0; i < nblocks; i++) {
    const b = first + i;
    philoxBlock(b % TWO_POW_32, 7, 3, Math.floor(b / TWO_POW_32), key.seed, key.stream, w);
    boxMullerPair(w[0]!, w[1]!, e64, 0);
    boxMullerPair(w[2]!, w[3]!, e64, 2);
    boxMullerPair(w[0]!, w[1]!, e32, 0);
    boxMullerPair(w[2]!, w[3]!, e32, 2);
    for (let lane = 0; lane < 4; lane++) {
      assert.ok(Object.is(z64[4 * i + lane], e64[lane]), `f64 block ${b} lane ${lane}`);
      assert.ok(Object.is(z32[4 * i + lane], e32[lane]), `f32 block ${b} lane ${lane}`);
    }
  }
});

Deno.test("fillNormal() with and without WebAssembly agree bit for bit at every offset and length", () => {
  const key = makeKey(5, 6);
  for (const offset of [0, 1, 2, 3, 4, 4 * TWO_POW_32 - 9]) {
    for (const n of [0, 1, 5, 7, 8, 9, 13, 100, 4 * 2048 + 3, 4 * 2048 * 3 + 6]) {
      for (const make of [(k: number) => new Float64Array(k), (k: number) => new Float32Array(k)]) {
        const a = make(n), b = make(n);
        fillNormal(a, key, { step: 2, purpose: 1, offset });
        const before = _setPhiloxWasmDisabled(true);
        try {
          fillNormal(b, key, { step: 2, purpose: 1, offset });
        } finally {
          _setPhiloxWasmDisabled(before);
        }
        const i = a.findIndex((x, j) => !Object.is(x, b[j]));
        assert.equal(i, -1, `offset ${offset} n ${n} ${a.constructor.name} at ${i}`);
      }
    }
  }
});

Deno.test("philoxExpUniformStepsWasm() gives [−log u(w0), u(w1), −log u(w2), u(w3)] of philoxStepsWasm's words", () => {
  const key = makeKey(31337, 2);
  const nblocks = 20_000;
  for (
    const [block, purpose, firstStep] of [[0, 0, 0], [
      3 * TWO_POW_32 + 5,
      9,
      0xffffffff - nblocks + 1,
    ]]
  ) {
    const words = new Uint32Array(4 * nblocks);
    philoxStepsWasm(words, key, { block: block!, purpose: purpose!, firstStep: firstStep! });
    const expected = new Float64Array(4 * nblocks);
    for (let i = 0; i < nblocks; i++) {
      expUniformBlock(words.subarray(4 * i, 4 * i + 4), expected, 4 * i);
    }
    for (const chunkBlocks of [1, 999, 16384]) {
      const out = new Float64Array(4 * nblocks);
      philoxExpUniformStepsWasm(out, key, {
        block: block!,
        purpose: purpose!,
        firstStep: firstStep!,
        chunkBlocks,
      });
      assert.equal(out.findIndex((x, j) => !Object.is(x, expected[j])), -1, `chunk ${chunkBlocks}`);
    }
    const js = new Float64Array(4 * nblocks);
    const before = _setPhiloxWasmDisabled(true);
    try {
      philoxExpUniformStepsWasm(js, key, {
        block: block!,
        purpose: purpose!,
        firstStep: firstStep!,
      });
    } finally {
      _setPhiloxWasmDisabled(before);
    }
    assert.equal(js.findIndex((x, j) => !Object.is(x, expected[j])), -1, "JavaScript fallback");
    for (let i = 0; i < 4 * nblocks; i += 2) {
      const u = (words[i]! + 0.5) / TWO_POW_32;
      assert.ok(ulps(-expected[i]!, Math.log(u)) <= 1);
      assert.equal(expected[i + 1], (words[i + 1]! + 0.5) / TWO_POW_32);
    }
  }
  assert.throws(() => philoxExpUniformStepsWasm(new Float64Array(6), key), {
    name: "SdenoTypeError",
    message: /multiple of 4/,
  });
  assert.throws(
    () => philoxExpUniformStepsWasm(new Uint32Array(4) as unknown as Float64Array, key),
    { name: "SdenoTypeError", message: /Float64Array/ },
  );
  assert.throws(
    () => philoxExpUniformStepsWasm(new Float64Array(8), key, { firstStep: 0xffffffff }),
    {
      name: "SdenoRangeError",
      message: /firstStep/,
    },
  );
});

/** The value of a WebAssembly-text hexadecimal float such as `-0x1.5555555555555p-3`. */
function hexFloat(text: string): number {
  const m = /^(-?)0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(text);
  assert.ok(m, `not a hexadecimal float: ${text}`);
  const [, sign, int, frac = "", exp] = m;
  const mantissa = Number.parseInt(int! + frac, 16) / 16 ** frac.length; // exact: < 2^53
  return (sign ? -1 : 1) * mantissa * 2 ** Number(exp);
}

Deno.test("philox.wat writes the constants of _log.ts: ln 2 as hi + lo and the Taylor coefficients", async () => {
  const wat = await Deno.readTextFile(new URL("../../kernels/philox.wat", import.meta.url));
  const global = (name: string): number[] => {
    const m = new RegExp(`\\(global \\$${name} v128 \\(v128\\.const f64x2 (\\S+) (\\S+)\\)\\)`)
      .exec(wat);
    assert.ok(m, `global $${name} in philox.wat`);
    return [hexFloat(m[1]!), hexFloat(m[2]!)];
  };
  assert.deepEqual(global("LN2_HI"), [_LN2_HI, _LN2_HI]);
  assert.deepEqual(global("LN2_LO"), [_LN2_LO, _LN2_LO]);
  _LOG_POLY.forEach((a, i) => assert.deepEqual(global(`A${i}`), [a, a], `A${i}`));
  // the scalar $log writes them as f64.const, in the same order
  const scalar = [...wat.matchAll(/\(f64\.const (-?0x[0-9a-f.]+p[+-]?\d+)\)/gi)].map((m) =>
    hexFloat(m[1]!)
  );
  assert.deepEqual(scalar, [_LN2_HI, _LN2_LO, ..._LOG_POLY]);
  assert.equal(hexFloat("0x1.921fb54442d18p+2"), 2 * Math.PI);
});
