/**
 * Philox4x32-10 blocks through WebAssembly: the same words as
 * {@linkcode philox4x32} and `fillBits` (philox.ts), more than ten times
 * faster than the scalar JavaScript, because WebAssembly has 64-bit
 * multiplies and SIMD.
 *
 * The module's source is the WebAssembly text `philox.wat`, compiled by
 * `deno task build:wasm` into the committed `philox.wasm`; `_wasm_philox.ts`
 * loads it (from a generated TypeScript copy of its bytes) synchronously at
 * first use, with no permissions, also when sdeno is imported by URL. Where
 * WebAssembly or its SIMD is unavailable every function here falls back to
 * the JavaScript `philoxBlock` and returns the same words.
 *
 * Counter convention (as in philox.ts): block `b` at step `s` for purpose `p`
 * is Philox of the counter `(b mod 2³², s, p, ⌊b / 2³²⌋)` under the key
 * `(seed, stream)`.
 *
 * @module
 */

import { checkInteger, SdenoTypeError } from "./errors.ts";
import { checkKey, type Key } from "./philox.ts";
import { philoxBlock } from "./_philox_block.ts";
import { _philoxWasm } from "./_wasm_philox.ts";
import { expUniformBlock } from "./_exp_uniform.ts";

/** Where a run of consecutive blocks sits in the counter space. */
export interface BlockOptions {
  /** Step index (counter word 1), default 0. */
  step?: number;
  /** Purpose tag (counter word 2), default 0. */
  purpose?: number;
  /** Block index of the first block (element index / 4), default 0. */
  firstBlock?: number;
  /**
   * Blocks generated per WebAssembly call, default 16384 (256 KiB of words).
   * Does not change the result, only the memory used and the call overhead.
   */
  chunkBlocks?: number;
}

/** Options of {@linkcode philoxCountersWasm}. */
export interface CountersOptions {
  /** Destination for the blocks, 4 words per counter; may be `counters` itself. Default: a new array. */
  out?: Uint32Array;
  /** Counters per WebAssembly call, default 16384. Does not change the result. */
  chunkBlocks?: number;
}

const TWO_POW_32 = 4294967296;
const DEFAULT_CHUNK = 16384;

/** Checks that `array` is a `type` array of whole Philox blocks (4 values each), naming it `name`. */
function _checkQuads(
  what: string,
  name: string,
  array: unknown,
  type: typeof Uint32Array | typeof Float64Array,
): void {
  if (!(array instanceof type) || array.length % 4 !== 0) {
    throw new SdenoTypeError(
      `${what}: ${name} must be a ${type.name} whose length is a multiple of 4, got length ${
        (array as { length?: unknown })?.length
      }`,
    );
  }
}

/**
 * Whether the WebAssembly Philox is in use (compiling it on first call); when
 * false the functions here use the JavaScript fallback, with the same words.
 *
 * @returns true when WebAssembly compiled the module
 *
 * @example In Deno WebAssembly is always there
 * ```ts
 * import { isPhiloxWasmAvailable } from "./philox_wasm.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isPhiloxWasmAvailable(), true);
 * ```
 */
export function isPhiloxWasmAvailable(): boolean {
  return _philoxWasm() !== undefined;
}

/**
 * Fills `out` with `out.length / 4` consecutive Philox4x32-10 blocks, four
 * words per block, starting at block `firstBlock`: `out[4i + lane]` is lane
 * `lane` of the block `firstBlock + i` at `(step, purpose)`. Equal to
 * `fillBits(out, key, { step, purpose, offset: 4·firstBlock })`.
 *
 * @param out the destination; its length must be a multiple of 4
 * @param key the key `(seed, stream)`
 * @param options step, purpose, first block and chunk size
 * @throws {SdenoTypeError} when `out.length` is not a multiple of 4
 * @throws {SdenoRangeError} when step, purpose or the block range is out of range
 *
 * @example Block 1 at step 2 is Philox of the counter (1, 2, 0, 0)
 * ```ts
 * import { philox4x32 } from "./philox.ts";
 * import { philoxBlocksWasm } from "./philox_wasm.ts";
 * import assert from "node:assert/strict";
 * const out = new Uint32Array(8);
 * philoxBlocksWasm(out, { seed: 7, stream: 0 }, { step: 2 });
 * assert.deepEqual([...out.subarray(4)], [...philox4x32([1, 2, 0, 0], [7, 0])]);
 * ```
 */
export function philoxBlocksWasm(out: Uint32Array, key: Key, options: BlockOptions = {}): void {
  const what = "Cannot draw Philox blocks";
  checkKey(what, key);
  _checkQuads(what, "out", out, Uint32Array);
  const step = checkInteger(what, "step", options.step ?? 0, 0, 0xffffffff);
  const purpose = checkInteger(what, "purpose", options.purpose ?? 0, 0, 0xffffffff);
  const nblocks = out.length / 4;
  const first = checkInteger(
    what,
    "firstBlock",
    options.firstBlock ?? 0,
    0,
    Math.floor(Number.MAX_SAFE_INTEGER / 4) - nblocks,
  );
  const chunk = checkInteger(what, "chunkBlocks", options.chunkBlocks ?? DEFAULT_CHUNK, 1);
  const wasm = _philoxWasm();
  if (wasm === undefined) {
    const w = new Uint32Array(4);
    for (let i = 0; i < nblocks; i++) {
      const b = first + i;
      philoxBlock(
        b % TWO_POW_32,
        step,
        purpose,
        Math.floor(b / TWO_POW_32),
        key.seed,
        key.stream,
        w,
      );
      out.set(w, 4 * i);
    }
    return;
  }
  for (let i = 0; i < nblocks; i += chunk) {
    const b = first + i;
    const n = Math.min(chunk, nblocks - i);
    const words = wasm.blocks(
      b % TWO_POW_32,
      step,
      purpose,
      Math.floor(b / TWO_POW_32),
      key.seed,
      key.stream,
      n,
    );
    out.set(words.subarray(0, 4 * n), 4 * i);
  }
}

/**
 * Philox4x32-10 of arbitrary counters under one key: for per-path draws whose
 * counters are not consecutive. `counters[4i … 4i+3]` is counter `i`; the
 * result's words `4i … 4i+3` are its block.
 *
 * @param counters four unsigned 32-bit words per counter
 * @param key the key `(seed, stream)`
 * @param options the destination (may be `counters`, to work in place) and chunk size
 * @returns the blocks, in `options.out` when given
 * @throws {SdenoTypeError} when the lengths are not equal multiples of 4
 *
 * @example The Random123 known-answer vector for zero key and counter
 * ```ts
 * import { philoxCountersWasm } from "./philox_wasm.ts";
 * import assert from "node:assert/strict";
 * const out = philoxCountersWasm(new Uint32Array(4), { seed: 0, stream: 0 });
 * assert.deepEqual([...out], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
 * ```
 */
export function philoxCountersWasm(
  counters: Uint32Array,
  key: Key,
  options: CountersOptions = {},
): Uint32Array {
  const what = "Cannot draw Philox blocks of counters";
  checkKey(what, key);
  _checkQuads(what, "counters", counters, Uint32Array);
  const out = options.out ?? new Uint32Array(counters.length);
  if (!(out instanceof Uint32Array) || out.length !== counters.length) {
    throw new SdenoTypeError(
      `${what}: out must be a Uint32Array of length ${counters.length}, got length ${
        (out as { length?: unknown })?.length
      }`,
    );
  }
  const chunk = checkInteger(what, "chunkBlocks", options.chunkBlocks ?? DEFAULT_CHUNK, 1);
  const wasm = _philoxWasm();
  const n = counters.length / 4;
  if (wasm === undefined) {
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
      out.set(w, i);
    }
    return out;
  }
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i);
    wasm.counters(
      counters.subarray(4 * i, 4 * (i + m)),
      key.seed,
      key.stream,
      out.subarray(4 * i, 4 * (i + m)),
    );
  }
  return out;
}

/** Options of {@linkcode philoxStepsWasm}. */
export interface StepsOptions {
  /** Block index (counter words 0 and 3: `block mod 2³²`, `⌊block / 2³²⌋`), default 0. */
  block?: number;
  /** Purpose tag (counter word 2), default 0. */
  purpose?: number;
  /** Step (counter word 1) of the first block, default 0. */
  firstStep?: number;
  /** Blocks per WebAssembly call, default 16384. Does not change the result. */
  chunkBlocks?: number;
}

/** The checked {@linkcode StepsOptions} of `nblocks` blocks, with the block split into counter words 0 and 3. */
function checkSteps(what: string, options: StepsOptions, nblocks: number) {
  const block = checkInteger(what, "block", options.block ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const purpose = checkInteger(what, "purpose", options.purpose ?? 0, 0, 0xffffffff);
  const first = checkInteger(
    what,
    "firstStep",
    options.firstStep ?? 0,
    0,
    Math.max(0, Math.min(0xffffffff, TWO_POW_32 - nblocks)),
  );
  const chunk = checkInteger(what, "chunkBlocks", options.chunkBlocks ?? DEFAULT_CHUNK, 1);
  const c0 = block % TWO_POW_32, c3 = Math.floor(block / TWO_POW_32);
  return { c0, c3, purpose, first, chunk };
}

/**
 * Fills `out` with the Philox4x32-10 blocks of one block index at
 * `out.length / 4` consecutive steps: `out[4i + lane]` is lane `lane` of the
 * block `block` at step `firstStep + i` for `purpose`. This is the layout of a
 * per-path stream (the path is the block index, its successive draws are the
 * steps), as the CTMC samplers use it.
 *
 * @param out the destination; its length must be a multiple of 4
 * @param key the key `(seed, stream)`
 * @param options block, purpose, first step and chunk size
 * @throws {SdenoTypeError} when `out.length` is not a multiple of 4
 * @throws {SdenoRangeError} when block, purpose or the step range is out of range
 *
 * @example Steps 3 and 4 of block 9 are Philox of the counters (9, 3, 5, 0) and (9, 4, 5, 0)
 * ```ts
 * import { philox4x32 } from "./philox.ts";
 * import { philoxStepsWasm } from "./philox_wasm.ts";
 * import assert from "node:assert/strict";
 * const out = new Uint32Array(8);
 * philoxStepsWasm(out, { seed: 7, stream: 1 }, { block: 9, purpose: 5, firstStep: 3 });
 * assert.deepEqual([...out.subarray(0, 4)], [...philox4x32([9, 3, 5, 0], [7, 1])]);
 * assert.deepEqual([...out.subarray(4)], [...philox4x32([9, 4, 5, 0], [7, 1])]);
 * ```
 */
export function philoxStepsWasm(out: Uint32Array, key: Key, options: StepsOptions = {}): void {
  const what = "Cannot draw Philox blocks at consecutive steps";
  checkKey(what, key);
  _checkQuads(what, "out", out, Uint32Array);
  const nblocks = out.length / 4;
  const { c0, c3, purpose, first, chunk } = checkSteps(what, options, nblocks);
  const wasm = _philoxWasm();
  if (wasm === undefined) {
    const w = new Uint32Array(4);
    for (let i = 0; i < nblocks; i++) {
      philoxBlock(c0, first + i, purpose, c3, key.seed, key.stream, w);
      out.set(w, 4 * i);
    }
    return;
  }
  for (let i = 0; i < nblocks; i += chunk) {
    const n = Math.min(chunk, nblocks - i);
    const words = wasm.stepBlocks(c0, first + i, purpose, c3, key.seed, key.stream, n);
    out.set(words.subarray(0, 4 * n), 4 * i);
  }
}

/**
 * The draws of the SSA direct method (Gillespie 1977) for one path, two
 * firings per Philox block: for the blocks of {@linkcode philoxStepsWasm}
 * (one block index at consecutive steps), `out[4i … 4i+3]` is
 * `[E₀, U₀, E₁, U₁] = [−log u(w₀), u(w₁), −log u(w₂), u(w₃)]` of block `i`'s
 * words, `u(w) = (w + 0.5)·2⁻³²` in (0, 1). `E` is a standard exponential
 * (the waiting time is `E / a₀`), `U` selects the reaction.
 *
 * The log is `_log` (`_log.ts`: within 1 ulp of `Math.log`), computed with
 * the Philox words in one WebAssembly loop; the JavaScript fallback gives the
 * same bits. `t − Math.log(u)/a₀` becomes `t + E/a₀`: the same formula with
 * this log (negation is exact).
 *
 * @param out the destination, four f64 per block; its length must be a multiple of 4
 * @param key the key `(seed, stream)`
 * @param options block, purpose, first step and chunk size
 * @throws {SdenoTypeError} when `out` is not a Float64Array whose length is a multiple of 4
 * @throws {SdenoRangeError} when block, purpose or the step range is out of range
 *
 * @example Exponential and uniform of the words of (9, 3, 5, 0)
 * ```ts
 * import { philox4x32 } from "./philox.ts";
 * import { philoxExpUniformStepsWasm } from "./philox_wasm.ts";
 * import assert from "node:assert/strict";
 * const out = new Float64Array(8);
 * philoxExpUniformStepsWasm(out, { seed: 7, stream: 1 }, { block: 9, purpose: 5, firstStep: 3 });
 * const w = philox4x32([9, 3, 5, 0], [7, 1]);
 * const u = (x: number) => (x + 0.5) / 2 ** 32;
 * assert.equal(out[1], u(w[1]!));
 * assert.ok(Math.abs(out[0]! + Math.log(u(w[0]!))) <= 2 ** -52 * out[0]!);
 * ```
 */
export function philoxExpUniformStepsWasm(
  out: Float64Array,
  key: Key,
  options: StepsOptions = {},
): void {
  const what = "Cannot draw SSA exponential–uniform pairs";
  checkKey(what, key);
  _checkQuads(what, "out", out, Float64Array);
  const nblocks = out.length / 4;
  const { c0, c3, purpose, first, chunk } = checkSteps(what, options, nblocks);
  const wasm = _philoxWasm();
  if (wasm === undefined) {
    const w = new Uint32Array(4);
    for (let i = 0; i < nblocks; i++) {
      philoxBlock(c0, first + i, purpose, c3, key.seed, key.stream, w);
      expUniformBlock(w, out, 4 * i);
    }
    return;
  }
  for (let i = 0; i < nblocks; i += chunk) {
    const n = Math.min(chunk, nblocks - i);
    const pairs = wasm.expUniformSteps(c0, first + i, purpose, c3, key.seed, key.stream, n);
    out.set(pairs.subarray(0, 4 * n), 4 * i);
  }
}
