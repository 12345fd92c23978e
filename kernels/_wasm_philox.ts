/**
 * Philox4x32-10 as a hand-assembled WebAssembly module, and its lazily
 * compiled instance.
 *
 * JavaScript has no 32×32→64-bit multiply, so `_philoxBlock` in philox.ts
 * splits each product into 16-bit halves. WebAssembly has `i64.mul`: a round
 * here is `i64.extend_i32_u` of the two multiplicands, two `i64.mul`s by the
 * constants, and `i64.shr_u 32` / `i32.wrap_i64` for the high and low words
 * (Salmon et al., SC'11, §4.2). The ten rounds are unrolled and the ten round
 * keys (Weyl sequence, `k += (0x9E3779B9, 0xBB67AE85)` mod 2³²) are computed
 * once per call, outside the block loop.
 *
 * No toolchain is involved: {@linkcode _philoxWasmBytes} writes the binary
 * format directly (magic, version, type / function / memory / export / code
 * sections, LEB128 integers). The module exports
 *
 * - `memory`: one linear memory, grown by the host as needed;
 * - `fill(c0, c1, c2, c3, k0, k1, nblocks, ptr)`: the blocks of the counters
 *   `(c0 + i, c1, c2, c3)`, `i = 0 … nblocks − 1`, with the 64-bit block index
 *   `(c3, c0)` incremented with carry, as four little-endian u32 words each at
 *   `ptr + 16·i`;
 * - `counters(ptr, k0, k1, n)`: replaces the `n` counters stored as four u32
 *   words each at `ptr` by their Philox blocks, in place;
 * - `fillSteps(c0, c1, c2, c3, k0, k1, nblocks, ptr)`: the blocks of the
 *   counters `(c0, c1 + i mod 2³², c2, c3)`, `i = 0 … nblocks − 1`, at
 *   `ptr + 16·i`: consecutive steps (counter word 1) of one block, which is
 *   how a sampler's per-path stream of uniforms is laid out.
 *
 * This file imports nothing, so philox.ts can use it without an import cycle.
 *
 * @module
 */

const M0 = 0xD2511F53;
const M1 = 0xCD9E8D57;
const W0 = 0x9E3779B9;
const W1 = 0xBB67AE85;
const ROUNDS = 10;

// opcodes (WebAssembly core spec, §5.4)
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21;
const I32_LOAD = 0x28, I32_STORE = 0x36;
const I32_CONST = 0x41, I64_CONST = 0x42;
const I32_EQZ = 0x45, I32_ADD = 0x6a, I32_SUB = 0x6b, I32_XOR = 0x73;
const I64_MUL = 0x7e, I64_SHR_U = 0x88, I32_WRAP_I64 = 0xa7, I64_EXTEND_I32_U = 0xad;
const I32 = 0x7f, I64 = 0x7e, FUNC = 0x60;

/** Unsigned LEB128 of a non-negative safe integer. */
function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 of an integer (any size, as a bigint). */
function sleb(value: bigint): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n; // arithmetic shift
    const done = (value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** `i32.const v` for a u32 or i32 value (encoded as the i32 with the same bits). */
function i32Const(v: number): number[] {
  return [I32_CONST, ...sleb(BigInt(v | 0))];
}

/** `i64.const v` for a non-negative value. */
function i64Const(v: number): number[] {
  return [I64_CONST, ...sleb(BigInt(v))];
}

/** A vector: its length, then the items' bytes. */
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** A section: id, byte size, contents. */
function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

/** A UTF-8 name. */
function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** Local indices used by the round code of one function. */
interface Locals {
  /** x0 … x3, the state words. */
  x: readonly [number, number, number, number];
  /** the ten round keys, k0 then k1 */
  rk0: number;
  rk1: number;
  /** i64 temporaries */
  p0: number;
  p1: number;
}

/** Sets rk0+r, rk1+r to (k0 + r·W0, k1 + r·W1) mod 2³². */
function roundKeys(k0: number, k1: number, l: Locals): number[] {
  const code: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    code.push(LOCAL_GET, k0, ...i32Const(Math.imul(r, W0)), I32_ADD, LOCAL_SET, l.rk0 + r);
    code.push(LOCAL_GET, k1, ...i32Const(Math.imul(r, W1)), I32_ADD, LOCAL_SET, l.rk1 + r);
  }
  return code;
}

/**
 * Ten unrolled rounds on x0…x3:
 * `(x0,x1,x2,x3) → (hi(M1·x2)⊕x1⊕k0, lo(M1·x2), hi(M0·x0)⊕x3⊕k1, lo(M0·x0))`.
 */
function rounds(l: Locals): number[] {
  const [x0, x1, x2, x3] = l.x;
  const code: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    code.push(
      // p0 = M0·x0, p1 = M1·x2 (64-bit)
      LOCAL_GET,
      x0,
      I64_EXTEND_I32_U,
      ...i64Const(M0),
      I64_MUL,
      LOCAL_SET,
      l.p0,
      LOCAL_GET,
      x2,
      I64_EXTEND_I32_U,
      ...i64Const(M1),
      I64_MUL,
      LOCAL_SET,
      l.p1,
      // x0 = hi(p1) ^ x1 ^ k0
      LOCAL_GET,
      l.p1,
      ...i64Const(32),
      I64_SHR_U,
      I32_WRAP_I64,
      LOCAL_GET,
      x1,
      I32_XOR,
      LOCAL_GET,
      l.rk0 + r,
      I32_XOR,
      LOCAL_SET,
      x0,
      // x1 = lo(p1)
      LOCAL_GET,
      l.p1,
      I32_WRAP_I64,
      LOCAL_SET,
      x1,
      // x2 = hi(p0) ^ x3 ^ k1
      LOCAL_GET,
      l.p0,
      ...i64Const(32),
      I64_SHR_U,
      I32_WRAP_I64,
      LOCAL_GET,
      x3,
      I32_XOR,
      LOCAL_GET,
      l.rk1 + r,
      I32_XOR,
      LOCAL_SET,
      x2,
      // x3 = lo(p0)
      LOCAL_GET,
      l.p0,
      I32_WRAP_I64,
      LOCAL_SET,
      x3,
    );
  }
  return code;
}

/** `i32.store offset=o` (align 4) of `x` at local `ptr`. */
function store(ptr: number, x: number, offset: number): number[] {
  return [LOCAL_GET, ptr, LOCAL_GET, x, I32_STORE, 2, ...uleb(offset)];
}

/** `x = i32.load offset=o` (align 4) from local `ptr`. */
function load(ptr: number, x: number, offset: number): number[] {
  return [LOCAL_GET, ptr, I32_LOAD, 2, ...uleb(offset), LOCAL_SET, x];
}

/** `local += delta` */
function addTo(local: number, delta: number): number[] {
  return [LOCAL_GET, local, ...i32Const(delta), I32_ADD, LOCAL_SET, local];
}

/** A loop that runs `body` while local `n` is non-zero, decrementing it. */
function countdown(n: number, body: number[]): number[] {
  return [
    BLOCK,
    VOID,
    LOOP,
    VOID,
    LOCAL_GET,
    n,
    I32_EQZ,
    BR_IF,
    1,
    ...body,
    LOCAL_GET,
    n,
    ...i32Const(1),
    I32_SUB,
    LOCAL_SET,
    n,
    BR,
    0,
    END,
    END,
  ];
}

/** A function body: local declarations `[count, type]…`, code, `end`. */
function body(locals: Array<[number, number]>, code: number[]): number[] {
  const bytes = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code, END];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * The body of fill and fillSteps: (c0, c1, c2, c3, k0, k1, nblocks, ptr) → nblocks blocks of
 * 4 words at ptr, the counter advanced after each block by `advance` (local indices of c0…c3).
 */
function consecutiveBody(advance: (c: readonly number[]) => number[]): number[] {
  const c = [0, 1, 2, 3];
  const [k0, k1, n, ptr] = [4, 5, 6, 7];
  const l: Locals = { x: [8, 9, 10, 11], rk0: 12, rk1: 12 + ROUNDS, p0: 32, p1: 33 };
  const [x0, x1, x2, x3] = l.x;
  const loop = [
    ...c.flatMap((ci, k) => [LOCAL_GET, ci, LOCAL_SET, l.x[k]!]),
    ...rounds(l),
    ...store(ptr, x0, 0),
    ...store(ptr, x1, 4),
    ...store(ptr, x2, 8),
    ...store(ptr, x3, 12),
    ...addTo(ptr, 16),
    ...advance(c),
  ];
  return body([[4 + 2 * ROUNDS, I32], [2, I64]], [
    ...roundKeys(k0, k1, l),
    ...countdown(n, loop),
  ]);
}

/** fill(c0, c1, c2, c3, k0, k1, nblocks, ptr): the 64-bit block index (c3, c0) counts up. */
function fillBody(): number[] {
  return consecutiveBody(([c0, , , c3]) => [
    ...addTo(c0!, 1),
    // carry into c3 when c0 wrapped to 0
    LOCAL_GET,
    c3!,
    LOCAL_GET,
    c0!,
    I32_EQZ,
    I32_ADD,
    LOCAL_SET,
    c3!,
  ]);
}

/** fillSteps(c0, c1, c2, c3, k0, k1, nblocks, ptr): like fill, but counter word 1 counts up. */
function fillStepsBody(): number[] {
  return consecutiveBody(([, c1]) => addTo(c1!, 1)); // the step, mod 2³²
}

/** counters(ptr, k0, k1, n) */
function countersBody(): number[] {
  const [ptr, k0, k1, n] = [0, 1, 2, 3];
  const l: Locals = { x: [4, 5, 6, 7], rk0: 8, rk1: 8 + ROUNDS, p0: 28, p1: 29 };
  const [x0, x1, x2, x3] = l.x;
  const loop = [
    ...load(ptr, x0, 0),
    ...load(ptr, x1, 4),
    ...load(ptr, x2, 8),
    ...load(ptr, x3, 12),
    ...rounds(l),
    ...store(ptr, x0, 0),
    ...store(ptr, x1, 4),
    ...store(ptr, x2, 8),
    ...store(ptr, x3, 12),
    ...addTo(ptr, 16),
  ];
  return body([[4 + 2 * ROUNDS, I32], [2, I64]], [
    ...roundKeys(k0, k1, l),
    ...countdown(n, loop),
  ]);
}

/**
 * The bytes of the Philox WebAssembly module described in the module doc.
 *
 * @returns a fresh copy of the module's binary encoding
 *
 * @example A valid module with the four exports
 * ```ts
 * import { _philoxWasmBytes } from "./_wasm_philox.ts";
 * import assert from "node:assert/strict";
 * const bytes = _philoxWasmBytes();
 * assert.ok(WebAssembly.validate(bytes));
 * const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes));
 * assert.deepEqual(exports.map((e) => e.name), ["memory", "fill", "counters", "fillSteps"]);
 * ```
 *
 * @internal
 */
export function _philoxWasmBytes(): Uint8Array<ArrayBuffer> {
  const types = vec([
    [FUNC, ...vec(Array.from({ length: 8 }, () => [I32])), ...vec([])],
    [FUNC, ...vec(Array.from({ length: 4 }, () => [I32])), ...vec([])],
  ]);
  const functions = vec([[0], [1], [0]]);
  const memories = vec([[0x00, ...uleb(1)]]); // min 1 page, no maximum
  const exports = vec([
    [...name("memory"), 0x02, 0],
    [...name("fill"), 0x00, 0],
    [...name("counters"), 0x00, 1],
    [...name("fillSteps"), 0x00, 2],
  ]);
  const code = [...uleb(3), ...fillBody(), ...countersBody(), ...fillStepsBody()];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d, // "\0asm"
    0x01,
    0x00,
    0x00,
    0x00, // version 1
    ...section(1, types),
    ...section(3, functions),
    ...section(5, memories),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

/** The compiled module's exports, typed. */
interface PhiloxExports {
  memory: WebAssembly.Memory;
  fill(
    c0: number,
    c1: number,
    c2: number,
    c3: number,
    k0: number,
    k1: number,
    nblocks: number,
    ptr: number,
  ): void;
  counters(ptr: number, k0: number, k1: number, n: number): void;
  fillSteps(
    c0: number,
    c1: number,
    c2: number,
    c3: number,
    k0: number,
    k1: number,
    nblocks: number,
    ptr: number,
  ): void;
}

/**
 * A compiled Philox WebAssembly instance with views of its memory that are
 * refreshed when the memory grows.
 *
 * @internal
 */
export class _PhiloxWasm {
  #exports: PhiloxExports;
  #words: Uint32Array;

  /**
   * Compiles and instantiates the module synchronously.
   *
   * @param bytes the module bytes, by default {@linkcode _philoxWasmBytes}
   */
  constructor(bytes: Uint8Array<ArrayBuffer> = _philoxWasmBytes()) {
    const module = new WebAssembly.Module(bytes);
    this.#exports = new WebAssembly.Instance(module).exports as unknown as PhiloxExports;
    this.#words = new Uint32Array(this.#exports.memory.buffer);
  }

  /** Grows memory to hold at least `words` u32 words; returns the word view. */
  #reserve(words: number): Uint32Array {
    const bytes = words * 4;
    const memory = this.#exports.memory;
    if (memory.buffer.byteLength < bytes) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    }
    if (this.#words.buffer !== memory.buffer) {
      this.#words = new Uint32Array(memory.buffer);
    }
    return this.#words;
  }

  /**
   * Philox blocks of `nblocks` consecutive counters `(c0 + i, c1, c2, c3)`
   * with carry from `c0` into `c3`, as `4·nblocks` words at the start of the
   * returned view of the instance's memory. The view is only valid until the
   * next call.
   *
   * @param c0 low word of the first block index
   * @param c1 counter word 1 (step)
   * @param c2 counter word 2 (purpose)
   * @param c3 high word of the first block index
   * @param k0 key word 0 (seed)
   * @param k1 key word 1 (stream)
   * @param nblocks how many blocks
   * @returns a view of memory whose first `4·nblocks` words are the blocks
   */
  blocks(
    c0: number,
    c1: number,
    c2: number,
    c3: number,
    k0: number,
    k1: number,
    nblocks: number,
  ): Uint32Array {
    const words = this.#reserve(4 * nblocks);
    this.#exports.fill(c0, c1, c2, c3, k0, k1, nblocks, 0);
    return words;
  }

  /**
   * Philox blocks of `nblocks` counters `(c0, c1 + i mod 2³², c2, c3)`:
   * consecutive steps of one block, the layout of a per-path stream. Written
   * as `4·nblocks` words at the start of the returned view of the instance's
   * memory, valid only until the next call.
   *
   * @param c0 counter word 0 (block, e.g. the path)
   * @param c1 counter word 1 of the first block (step)
   * @param c2 counter word 2 (purpose)
   * @param c3 counter word 3
   * @param k0 key word 0 (seed)
   * @param k1 key word 1 (stream)
   * @param nblocks how many blocks
   * @returns a view of memory whose first `4·nblocks` words are the blocks
   */
  stepBlocks(
    c0: number,
    c1: number,
    c2: number,
    c3: number,
    k0: number,
    k1: number,
    nblocks: number,
  ): Uint32Array {
    const words = this.#reserve(4 * nblocks);
    this.#exports.fillSteps(c0, c1, c2, c3, k0, k1, nblocks, 0);
    return words;
  }

  /**
   * Replaces each 4-word counter in `counters` by its Philox block, writing
   * into `out` (which may be `counters`).
   *
   * @param counters 4·n words, four per counter
   * @param k0 key word 0
   * @param k1 key word 1
   * @param out 4·n words for the blocks
   */
  counters(counters: Uint32Array, k0: number, k1: number, out: Uint32Array): void {
    const words = this.#reserve(counters.length);
    words.set(counters);
    this.#exports.counters(0, k0, k1, counters.length >>> 2);
    out.set(words.subarray(0, counters.length));
  }
}

let instance: _PhiloxWasm | null | undefined;
let disabled = false;

/**
 * The shared Philox WebAssembly instance, compiled at first use, or
 * `undefined` when WebAssembly is unavailable (or disabled for a test).
 *
 * @returns the instance, or undefined
 *
 * @example Present wherever WebAssembly is
 * ```ts
 * import { _philoxWasm } from "./_wasm_philox.ts";
 * import assert from "node:assert/strict";
 * assert.equal(_philoxWasm() !== undefined, typeof WebAssembly === "object");
 * ```
 *
 * @internal
 */
export function _philoxWasm(): _PhiloxWasm | undefined {
  if (disabled) return undefined;
  if (instance === undefined) {
    try {
      instance = typeof WebAssembly === "object" ? new _PhiloxWasm() : null;
    } catch {
      instance = null;
    }
  }
  return instance ?? undefined;
}

/**
 * Turns the WebAssembly path off or back on, so tests can check that the
 * JavaScript fallback gives the same words.
 *
 * @param off true to disable WebAssembly, false to enable it again
 * @returns whether it was disabled before
 *
 * @example Disable, then restore
 * ```ts
 * import { _philoxWasm, _setPhiloxWasmDisabled } from "./_wasm_philox.ts";
 * import assert from "node:assert/strict";
 * const before = _setPhiloxWasmDisabled(true);
 * assert.equal(_philoxWasm(), undefined);
 * _setPhiloxWasmDisabled(before);
 * ```
 *
 * @internal
 */
export function _setPhiloxWasmDisabled(off: boolean): boolean {
  const before = disabled;
  disabled = off;
  return before;
}
