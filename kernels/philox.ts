/**
 * Philox4x32-10, the counter-based generator behind every random draw in
 * sdeno (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11, §4.2 and Fig. 2), and the maps from its 32-bit words to
 * uniforms and standard normals.
 *
 * A {@linkcode Key} is `(seed, stream)`. The counter names the draw:
 * `(block, step, purpose, blockHigh)` where element `e` of a flat array lives
 * in block `e >> 2`, lane `e & 3`. So draw `e` at step `j` for purpose `p` is a
 * pure function of `(seed, stream, e, j, p)`: it does not depend on batch
 * size, chunking, worker count or backend. `philox.wgsl` is the GPU twin and
 * gives the same 32-bit words.
 *
 * Uniforms: word `w` maps to `(w + 0.5)·2⁻³²`, in (0, 1), never 0. On the GPU
 * the same number is rounded once to f32.
 *
 * Normals: Box–Muller on the lane pairs `(w0, w1)` and `(w2, w3)`, both
 * outputs used (Box & Muller 1958). The radius uses the uniform above, so
 * `log` never sees 0; the angle uses the top 24 bits, `θ = 2π(v − ½)` with
 * `v = (w >> 8)·2⁻²⁴`, so `z₀ = −r·cos θ`, `z₁ = −r·sin θ`. The 24-bit angle and
 * the f32-rounded radius uniform are exactly representable in f32, which keeps
 * the CPU (f64) and GPU (f32) normals within f32 rounding of each other.
 * The CPU log is `_log` (`_log.ts`, within 1 ulp of `Math.log`, several
 * times cheaper), in JavaScript and, bit for bit the same, in the
 * WebAssembly Box–Muller of `philox.wat` (loaded by `_wasm_philox.ts`), so
 * every CPU normal of the project has the same bits whichever path made it.
 *
 * @module
 */

import { checkInteger, quote, SdenoTypeError } from "./errors.ts";
import { _philoxWasm } from "./_wasm_philox.ts";
import { boxMullerInto } from "./_box_muller.ts";
import { philoxBlock } from "./_philox_block.ts";
import { checkDrawOptions } from "./_draw_options.ts";

/** Philox key: a seed and a stream, each an unsigned 32-bit integer. */
export interface Key {
  /** The seed, an integer in [0, 2³² − 1]. */
  readonly seed: number;
  /** The stream, an integer in [0, 2³² − 1]; independent streams for the same seed. */
  readonly stream: number;
}

/** Where a run of draws sits in the counter space. */
export interface DrawOptions {
  /** Step index (counter word 1), default 0. */
  step?: number;
  /** Purpose tag (counter word 2), so different uses at one step never share draws; default 0. */
  purpose?: number;
  /** Flat element index of `out[0]`, default 0. */
  offset?: number;
}

const TWO_POW_32 = 4294967296;
const INV_2_32 = 1 / TWO_POW_32;

/**
 * Builds a key, checking that seed and stream are unsigned 32-bit integers.
 *
 * @param seed the seed, an integer in [0, 2³² − 1]
 * @param stream the stream, an integer in [0, 2³² − 1] (default 0)
 * @returns the key
 * @throws {SdenoTypeError} when seed or stream is not an integer
 * @throws {SdenoRangeError} when either is outside [0, 2³² − 1]
 *
 * @example Keys for two independent streams
 * ```ts
 * import { makeKey } from "./philox.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(makeKey(42, 1), { seed: 42, stream: 1 });
 * assert.throws(() => makeKey(-1), RangeError);
 * ```
 */
export function makeKey(seed: number, stream = 0): Key {
  checkInteger("Cannot make a Philox key", "seed", seed, 0, 0xffffffff);
  checkInteger("Cannot make a Philox key", "stream", stream, 0, 0xffffffff);
  return { seed, stream };
}

/**
 * Checks a key given by a caller: an object `{ seed, stream }` of unsigned
 * 32-bit integers.
 *
 * @param what the error prefix, e.g. "Cannot draw normals"
 * @param key the key to check
 * @throws {SdenoTypeError} when key is not an object
 * @throws {SdenoRangeError} when seed or stream is not a u32
 *
 * @example
 * ```ts
 * import { checkKey } from "./philox.ts";
 * import assert from "node:assert/strict";
 * checkKey("Cannot draw", { seed: 1, stream: 0 });
 * assert.throws(() => checkKey("Cannot draw", { seed: -1, stream: 0 }), /key.seed/);
 * ```
 */
export function checkKey(what: string, key: Key): void {
  if (typeof key !== "object" || key === null) {
    throw new SdenoTypeError(`${what}: key must be { seed, stream }, got ${quote(key)}`);
  }
  checkInteger(what, "key.seed", key.seed, 0, 0xffffffff);
  checkInteger(what, "key.stream", key.stream, 0, 0xffffffff);
}

/**
 * Philox4x32-10 of one counter under one key: four 32-bit words.
 *
 * @param counter four unsigned 32-bit words
 * @param key two unsigned 32-bit words
 * @returns the four output words
 *
 * @example The Random123 known-answer vector for zero key and counter
 * ```ts
 * import { philox4x32 } from "./philox.ts";
 * import assert from "node:assert/strict";
 * const out = philox4x32([0, 0, 0, 0], [0, 0]);
 * assert.deepEqual([...out], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
 * ```
 */
export function philox4x32(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
): Uint32Array {
  const out = new Uint32Array(4);
  philoxBlock(
    counter[0] >>> 0,
    counter[1] >>> 0,
    counter[2] >>> 0,
    counter[3] >>> 0,
    key[0] >>> 0,
    key[1] >>> 0,
    out,
  );
  return out;
}

// Blocks per chunk of words: 256 KiB, small enough to stay in cache.
const CHUNK_BLOCKS = 16384;
let jsWords: Uint32Array | undefined;

/**
 * Generates the Philox words that cover elements `[offset, offset + length)`
 * a chunk of consecutive blocks at a time, through WebAssembly when it is
 * available (`_wasm_philox.ts`, the same words) and `philoxBlock`
 * otherwise. Calls `visit(words, from, to, base)`: `words[j]` for `j` in
 * `[from, to)` is the word of output index `base + j`; `from` and `to` are
 * multiples of 4 except at the two ends of the range.
 */
function forEachChunk(
  length: number,
  key: Key,
  draw: Required<DrawOptions>,
  visit: (words: Uint32Array, from: number, to: number, base: number) => void,
): void {
  if (length === 0) return;
  const wasm = _philoxWasm();
  const { step, purpose } = draw;
  const { seed, stream } = key;
  const first = Math.floor(draw.offset / 4);
  const last = Math.floor((draw.offset + length - 1) / 4);
  for (let b = first; b <= last; b += CHUNK_BLOCKS) {
    const n = Math.min(CHUNK_BLOCKS, last - b + 1);
    let words: Uint32Array;
    if (wasm) {
      words = wasm.blocks(
        b % TWO_POW_32,
        step,
        purpose,
        Math.floor(b / TWO_POW_32),
        seed,
        stream,
        n,
      );
    } else {
      words = jsWords ??= new Uint32Array(4 * CHUNK_BLOCKS);
      const w = new Uint32Array(4);
      for (let i = 0; i < n; i++) {
        const block = b + i;
        philoxBlock(
          block % TWO_POW_32,
          step,
          purpose,
          Math.floor(block / TWO_POW_32),
          seed,
          stream,
          w,
        );
        words.set(w, 4 * i);
      }
    }
    const base = 4 * b - draw.offset; // output index of words[0]
    visit(words, Math.max(0, -base), Math.min(4 * n, length - base), base);
  }
}

/**
 * Fills `out` with the raw Philox words for elements `offset … offset+n−1`.
 *
 * @param out the destination
 * @param key the key
 * @param options step, purpose and offset
 *
 * @example Element e is word e & 3 of block e >> 2
 * ```ts
 * import { fillBits, philox4x32 } from "./philox.ts";
 * import assert from "node:assert/strict";
 * const out = new Uint32Array(8);
 * fillBits(out, { seed: 7, stream: 0 }, { step: 2 });
 * assert.equal(out[5], philox4x32([1, 2, 0, 0], [7, 0])[1]);
 * ```
 */
export function fillBits(out: Uint32Array, key: Key, options: DrawOptions = {}): void {
  const what = "Cannot draw random bits";
  checkKey(what, key);
  const draw = checkDrawOptions(what, options);
  forEachChunk(out.length, key, draw, (w, from, to, base) => {
    out.set(w.subarray(from, to), base + from);
  });
}

/**
 * Fills `out` with uniforms `(w + 0.5)·2⁻³²` in (0, 1); never exactly 0 or 1.
 *
 * @param out the destination (Float64Array keeps all 32 bits)
 * @param key the key
 * @param options step, purpose and offset
 *
 * @example Uniforms lie strictly inside (0, 1)
 * ```ts
 * import { fillUniform } from "./philox.ts";
 * import assert from "node:assert/strict";
 * const u = new Float64Array(1000);
 * fillUniform(u, { seed: 1, stream: 0 });
 * assert.ok(u.every((v) => v > 0 && v < 1));
 * ```
 */
export function fillUniform(
  out: Float64Array | Float32Array,
  key: Key,
  options: DrawOptions = {},
): void {
  const what = "Cannot draw uniforms";
  checkKey(what, key);
  const draw = checkDrawOptions(what, options);
  forEachChunk(out.length, key, draw, (w, from, to, base) => {
    for (let j = from; j < to; j++) out[base + j] = (w[j]! + 0.5) * INV_2_32;
  });
}

/**
 * Fills `out` with standard normals by Box–Muller on Philox words, both
 * outputs used: lanes (0, 1) and (2, 3) of each block form the two pairs.
 * Whole blocks go through the WebAssembly Box–Muller (Philox, log, sqrt and
 * the table sin/cos in one loop) when it is available; the partial blocks at
 * the ends, and everything without WebAssembly, through `boxMullerPair`,
 * with the same bits.
 *
 * @param out the destination
 * @param key the key
 * @param options step, purpose and offset
 *
 * @example Normals do not depend on how the array is split
 * ```ts
 * import { fillNormal } from "./philox.ts";
 * import assert from "node:assert/strict";
 * const key = { seed: 3, stream: 0 };
 * const whole = new Float64Array(10);
 * fillNormal(whole, key, { step: 1 });
 * const tail = new Float64Array(7);
 * fillNormal(tail, key, { step: 1, offset: 3 });
 * assert.deepEqual(tail, whole.subarray(3));
 * ```
 */
export function fillNormal(
  out: Float64Array | Float32Array,
  key: Key,
  options: DrawOptions = {},
): void {
  const what = "Cannot draw normals";
  checkKey(what, key);
  const draw = checkDrawOptions(what, options);
  const n = out.length;
  const wasm = _philoxWasm();
  if (wasm === undefined || n < 8) {
    normalsJs(out, 0, n, key, draw);
    return;
  }
  // whole blocks [b0, b1) straight from the WebAssembly Box–Muller; the partial ones via JS
  const { step, purpose, offset } = draw;
  const b0 = Math.ceil(offset / 4), b1 = Math.floor((offset + n) / 4);
  const f32 = out instanceof Float32Array;
  for (let b = b0; b < b1; b += NORMAL_CHUNK_BLOCKS) {
    const m = Math.min(NORMAL_CHUNK_BLOCKS, b1 - b);
    const z = wasm.normals(
      b % TWO_POW_32,
      step,
      purpose,
      Math.floor(b / TWO_POW_32),
      key.seed,
      key.stream,
      m,
      f32,
    );
    out.set(z.subarray(0, 4 * m), 4 * b - offset);
  }
  // the partial blocks at the ends, if any (none when offset and n are multiples of 4)
  if (4 * b0 > offset) normalsJs(out, 0, 4 * b0 - offset, key, draw);
  if (offset + n > 4 * b1) normalsJs(out, 4 * b1 - offset, n - (4 * b1 - offset), key, draw);
}

// Blocks per WebAssembly Box–Muller call: 64 KiB of f64 normals, in L2 with the copy.
const NORMAL_CHUNK_BLOCKS = 2048;

/** The normals of elements `[offset + start, offset + start + count)` into `out[start …)`, by JS Box–Muller. */
function normalsJs(
  out: Float64Array | Float32Array,
  start: number,
  count: number,
  key: Key,
  draw: Required<DrawOptions>,
): void {
  const z = new Float64Array(4);
  const sub = { ...draw, offset: draw.offset + start };
  forEachChunk(count, key, sub, (w, from, to, base) => {
    // whole blocks straight into out; the partial ones at the ends via z
    for (let j = from & ~3; j < to; j += 4) {
      const i = base + j; // index of lane 0, relative to start
      if (i >= 0 && i + 4 <= count) {
        boxMullerInto(w, j, out, start + i);
      } else {
        boxMullerInto(w, j, z, 0);
        for (let lane = 0; lane < 4; lane++) {
          if (i + lane >= 0 && i + lane < count) out[start + i + lane] = z[lane]!;
        }
      }
    }
  });
}
