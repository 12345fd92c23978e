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
 * WebAssembly Box–Muller of `_wasm_philox.ts`, so every CPU normal of the
 * project has the same bits whichever path made it.
 *
 * @module
 */

import { checkInteger, quote, SdenoTypeError } from "./errors.ts";
import { _philoxWasm } from "./_wasm_philox.ts";
import { _log } from "./_log.ts";
import { _COS_TABLE as COS_TABLE, _SIN_TABLE as SIN_TABLE } from "./_sincos.ts";

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

const M0 = 0xD2511F53;
const M1 = 0xCD9E8D57;
const W0 = 0x9E3779B9;
const W1 = 0xBB67AE85;
const M0_LO = M0 & 0xffff;
const M0_HI = M0 >>> 16;
const M1_LO = M1 & 0xffff;
const M1_HI = M1 >>> 16;
const TWO_POW_32 = 4294967296;
const INV_2_32 = 1 / TWO_POW_32;
const INV_2_24 = 1 / 16777216;
const TWO_PI = 2 * Math.PI;
// Taylor coefficients multiplied, not divided: a division costs several multiplications
const INV_720 = 1 / 720;
const INV_120 = 1 / 120;

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

/** @internal checks a key given by a caller */
export function _checkKey(what: string, key: Key): void {
  if (typeof key !== "object" || key === null) {
    throw new SdenoTypeError(`${what}: key must be { seed, stream }, got ${quote(key)}`);
  }
  checkInteger(what, "key.seed", key.seed, 0, 0xffffffff);
  checkInteger(what, "key.stream", key.stream, 0, 0xffffffff);
}

/** @internal checks draw options and returns them with defaults */
export function _checkDraw(what: string, options: DrawOptions): Required<DrawOptions> {
  const step = checkInteger(what, "step", options.step ?? 0, 0, 0xffffffff);
  const purpose = checkInteger(what, "purpose", options.purpose ?? 0, 0, 0xffffffff);
  const offset = checkInteger(what, "offset", options.offset ?? 0);
  return { step, purpose, offset };
}

/**
 * One Philox4x32-10 block into `out[0..4)`: ten rounds of the S-box
 * `(x0,x1,x2,x3) → (hi(M1·x2)⊕x1⊕k0, lo(M1·x2), hi(M0·x0)⊕x3⊕k1, lo(M0·x0))`
 * with the Weyl key schedule `k += (0x9E3779B9, 0xBB67AE85)` (SC'11, §4.2).
 * 32×32→64-bit products are split into 16-bit halves so every intermediate
 * is an exact double.
 *
 * @internal
 */
export function _philoxBlock(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  for (let round = 0; round < 10; round++) {
    // hi/lo of M0·c0
    const a0l = c0 & 0xffff, a0h = c0 >>> 16;
    const t0 = a0l * M0_LO;
    const mid0 = a0h * M0_LO + a0l * M0_HI + (t0 >>> 16);
    const hi0 = (a0h * M0_HI + ((mid0 / 65536) >>> 0)) >>> 0;
    const lo0 = Math.imul(c0, M0) >>> 0;
    // hi/lo of M1·c2
    const a2l = c2 & 0xffff, a2h = c2 >>> 16;
    const t2 = a2l * M1_LO;
    const mid2 = a2h * M1_LO + a2l * M1_HI + (t2 >>> 16);
    const hi1 = (a2h * M1_HI + ((mid2 / 65536) >>> 0)) >>> 0;
    const lo1 = Math.imul(c2, M1) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
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
  _philoxBlock(
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
 * available (`_wasm_philox.ts`, the same words) and `_philoxBlock`
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
        _philoxBlock(
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
  _checkKey(what, key);
  const draw = _checkDraw(what, options);
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
  _checkKey(what, key);
  const draw = _checkDraw(what, options);
  forEachChunk(out.length, key, draw, (w, from, to, base) => {
    for (let j = from; j < to; j++) out[base + j] = (w[j]! + 0.5) * INV_2_32;
  });
}

/**
 * The radius uniform of Box–Muller, as the GPU computes it: `(w + 0.5)·2⁻³²`
 * rounded once to f32. In (0, 1].
 *
 * @internal
 */
export function _radiusUniform(w: number): number {
  return Math.fround((w + 0.5) * INV_2_32);
}

/**
 * Fills `out` with standard normals by Box–Muller on Philox words, both
 * outputs used: lanes (0, 1) and (2, 3) of each block form the two pairs.
 * Whole blocks go through the WebAssembly Box–Muller (Philox, log, sqrt and
 * the table sin/cos in one loop) when it is available; the partial blocks at
 * the ends, and everything without WebAssembly, through `_boxMullerPair`,
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
  _checkKey(what, key);
  const draw = _checkDraw(what, options);
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
        _boxMullerInto(w, j, out, start + i);
      } else {
        _boxMullerInto(w, j, z, 0);
        for (let lane = 0; lane < 4; lane++) {
          if (i + lane >= 0 && i + lane < count) out[start + i + lane] = z[lane]!;
        }
      }
    }
  });
}

/**
 * Box–Muller on a Philox block: four normals from four words.
 *
 * The angle θ = 2π(v − ½), v = (w >> 8)·2⁻²⁴, so cos θ = −cos 2πv and
 * sin θ = −sin 2πv. The 24-bit v splits into a table index (top 12 bits) and
 * a remainder b = 2π·(low 12 bits)·2⁻²⁴ < 1.6e-3, whose cosine and sine
 * need only three Taylor terms; the angle-addition formulas join them. The
 * result is within 1e-15 of `Math.cos`/`Math.sin` and about 15× faster.
 *
 * @internal
 */
export function _boxMuller(w: Uint32Array, z: Float64Array): void {
  _boxMullerInto(w, 0, z, 0);
}

/** {@linkcode _boxMuller} on the words `w[wi … wi+4)` into `z[zi … zi+4)`. */
function _boxMullerInto(
  w: Uint32Array,
  wi: number,
  z: Float64Array | Float32Array,
  zi: number,
): void {
  _boxMullerPair(w[wi]!, w[wi + 1]!, z, zi);
  _boxMullerPair(w[wi + 2]!, w[wi + 3]!, z, zi + 2);
}

/**
 * Box–Muller on one word pair: radius word `a`, angle word `b`, the two
 * normals into `z[zi]`, `z[zi + 1]` — the single CPU implementation every
 * caller shares (see {@linkcode _boxMuller}); `normals` in `_wasm_philox.ts`
 * repeats its operations one for one. The log is `_log`, not `Math.log`.
 *
 * @internal
 */
export function _boxMullerPair(
  a: number,
  b: number,
  z: Float64Array | Float32Array,
  zi: number,
): void {
  const r = Math.sqrt(-2 * _log(_radiusUniform(a)));
  const v = b >>> 8;
  const hi = v >>> 12;
  const t = (TWO_PI * (v & 4095)) * INV_2_24;
  const t2 = t * t;
  const ct = 1 - t2 * (0.5 - t2 * (1 / 24 - t2 * INV_720));
  const st = t * (1 - t2 * (1 / 6 - t2 * INV_120));
  const ca = COS_TABLE[hi]!, sa = SIN_TABLE[hi]!;
  z[zi] = r * (ca * ct - sa * st);
  z[zi + 1] = r * (sa * ct + ca * st);
}
