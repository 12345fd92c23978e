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
 * Where the engine has WebAssembly SIMD (simd128, on by default in V8) the
 * same exports are built from SIMD bodies instead (see the "SIMD" section
 * below): Philox on four blocks at a time in structure-of-arrays form, the
 * log and Box–Muller on f64x2, two values at a time, with the same bits as
 * the scalar bodies, which remain the fallback ({@linkcode _philoxWasm}
 * picks the module).
 *
 * This file imports only the tables of `_log.ts` and `_sincos.ts`, so
 * philox.ts can use it without an import cycle.
 *
 * @module
 */

import { _LN2_HI, _LN2_LO, _LOG_POLY, _LOG_TABLE } from "./_log.ts";
import { _COS_TABLE, _SIN_TABLE } from "./_sincos.ts";

const M0 = 0xD2511F53;
const M1 = 0xCD9E8D57;
const W0 = 0x9E3779B9;
const W1 = 0xBB67AE85;
const ROUNDS = 10;

// Memory layout: the log table (129 entries of c, 1/c, log c hi, lo), the
// interleaved cos/sin table (4097 pairs), the SIMD functions' v128 constants
// (a data segment), then the outputs.
const LOG_TABLE_AT = 0;
const SINCOS_AT = 8192;
const CONST_AT = 73744;
const DATA_AT = 77824;
// Bytes a SIMD function may write past the blocks asked for: the rest of its
// last group of four blocks (at most three blocks of four f64, 96 bytes) or
// of its last eight counters (seven counters, 112 bytes).
const OVERRUN = 128;

// opcodes (WebAssembly core spec, §5.4)
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, BR = 0x0c, BR_IF = 0x0d, END = 0x0b;
const VOID = 0x40, CALL = 0x10;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;
const I32_LOAD = 0x28, F64_LOAD = 0x2b, I32_STORE = 0x36, F32_STORE = 0x38, F64_STORE = 0x39;
const I32_CONST = 0x41, I64_CONST = 0x42, F64_CONST = 0x44;
const I32_EQZ = 0x45, I64_GE_U = 0x5a;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_AND = 0x71, I32_XOR = 0x73, I32_SHL = 0x74;
const I32_SHR_U = 0x76,
  I64_AND = 0x83,
  I64_SUB = 0x7d,
  I64_MUL = 0x7e,
  I64_SHL = 0x86,
  I64_SHR_S = 0x87;
const I64_SHR_U = 0x88;
const F64_NEG = 0x9a, F64_SQRT = 0x9f, F64_ADD = 0xa0, F64_SUB = 0xa1, F64_MUL = 0xa2;
const I32_WRAP_I64 = 0xa7, I64_EXTEND_I32_U = 0xad;
const F32_DEMOTE_F64 = 0xb6, F64_CONVERT_I32_U = 0xb8, F64_CONVERT_I64_S = 0xb9;
const F64_PROMOTE_F32 = 0xbb, I64_REINTERPRET_F64 = 0xbd, F64_REINTERPRET_I64 = 0xbf;
const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c, FUNC = 0x60;

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
  return [LOCAL_GET, ...uleb(local), ...i32Const(delta), I32_ADD, LOCAL_SET, ...uleb(local)];
}

/** A loop that runs `body` while local `n` is non-zero, decrementing it. */
function countdown(n: number, body: number[]): number[] {
  return [
    BLOCK,
    VOID,
    LOOP,
    VOID,
    LOCAL_GET,
    ...uleb(n),
    I32_EQZ,
    BR_IF,
    1,
    ...body,
    LOCAL_GET,
    ...uleb(n),
    ...i32Const(1),
    I32_SUB,
    LOCAL_SET,
    ...uleb(n),
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
 * What a consecutive-counter function writes per block: `code` stores the
 * outputs of the block in x0…x3 at local `ptr`, `stride` is the bytes
 * written per block.
 */
interface BlockOutput {
  code: number[];
  stride: number;
}

/** Allocates extra locals after the fixed ones of {@linkcode consecutiveBody}. */
class Frame {
  readonly types: number[] = [];
  #next: number;
  constructor(first: number) {
    this.#next = first;
  }
  /** A new local of type `t`; its index. */
  local(t: number): number {
    this.types.push(t);
    return this.#next++;
  }
}

/** The four words of the block, as they are. */
function wordsOutput(x: readonly number[], ptr: number): BlockOutput {
  return { code: x.flatMap((xi, k) => store(ptr, xi, 4 * k)), stride: 16 };
}

/**
 * The body of the consecutive-counter functions: (c0, c1, c2, c3, k0, k1,
 * nblocks, ptr) → for each of nblocks blocks, `output` of its words at ptr,
 * the counter advanced after each block by `advance` (local indices of c0…c3).
 */
function consecutiveBody(
  advance: (c: readonly number[]) => number[],
  output: (x: readonly number[], ptr: number, frame: Frame) => BlockOutput = wordsOutput,
): number[] {
  const c = [0, 1, 2, 3];
  const [k0, k1, n, ptr] = [4, 5, 6, 7];
  const l: Locals = { x: [8, 9, 10, 11], rk0: 12, rk1: 12 + ROUNDS, p0: 32, p1: 33 };
  const frame = new Frame(34);
  const out = output(l.x, ptr, frame);
  const loop = [
    ...c.flatMap((ci, k) => [LOCAL_GET, ci, LOCAL_SET, l.x[k]!]),
    ...rounds(l),
    ...out.code,
    ...addTo(ptr, out.stride),
    ...advance(c),
  ];
  return body([
    [4 + 2 * ROUNDS, I32],
    [2, I64],
    ...frame.types.map((t): [number, number] => [1, t]),
  ], [
    ...roundKeys(k0, k1, l),
    ...countdown(n, loop),
  ]);
}

/** The block index (c3, c0) counts up, with carry. */
function nextBlock([c0, , , c3]: readonly number[]): number[] {
  return [
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
  ];
}

/** The step (counter word 1) counts up, mod 2³². */
function nextStep([, c1]: readonly number[]): number[] {
  return addTo(c1!, 1);
}

/** fill(c0, c1, c2, c3, k0, k1, nblocks, ptr): the 64-bit block index (c3, c0) counts up. */
function fillBody(): number[] {
  return consecutiveBody(nextBlock);
}

/** fillSteps(c0, c1, c2, c3, k0, k1, nblocks, ptr): like fill, but counter word 1 counts up. */
function fillStepsBody(): number[] {
  return consecutiveBody(nextStep);
}

/** `f64.const v` (little-endian IEEE bits). */
function f64Const(v: number): number[] {
  return [F64_CONST, ...new Uint8Array(new Float64Array([v]).buffer)];
}

/** `i64.const v` for any 64-bit pattern, given as a bigint. */
function i64Bits(v: bigint): number[] {
  return [I64_CONST, ...sleb(BigInt.asIntN(64, v))];
}

/** `f64.load offset=o` (align 8) at the address on the stack. */
function f64Load(offset: number): number[] {
  return [F64_LOAD, 3, ...uleb(offset)];
}

/** Locals used by {@linkcode logCode}. */
interface LogLocals {
  bits: number; // i64
  tmp: number; // i64
  e: number; // i64
  j: number; // i32, byte offset of the table entry
  ke: number; // f64: e
  m: number;
  c: number;
  invc: number;
  d: number;
  r: number;
  s: number;
  r1: number;
  rlo: number;
  t1: number;
  hi: number;
}

/** Allocates the locals of {@linkcode logCode}. */
function logLocals(frame: Frame): LogLocals {
  const f = () => frame.local(F64);
  return {
    bits: frame.local(I64),
    tmp: frame.local(I64),
    e: frame.local(I64),
    j: frame.local(I32),
    ke: f(),
    m: f(),
    c: f(),
    invc: f(),
    d: f(),
    r: f(),
    s: f(),
    r1: f(),
    rlo: f(),
    t1: f(),
    hi: f(),
  };
}

/** `A_i + A_{i+1}·r` on the stack (the coefficients of `_LOG_POLY`), `r` a local. */
function linear(r: number, i: number): number[] {
  return [
    ...f64Const(_LOG_POLY[i]!),
    LOCAL_GET,
    r,
    ...f64Const(_LOG_POLY[i + 1]!),
    F64_MUL,
    F64_ADD,
  ];
}

/**
 * `log x` (x a local f64) onto the stack: the operations of `_log` in
 * `_log.ts`, one for one, with the table at {@linkcode LOG_TABLE_AT} and
 * `Math.log` (import 0) for inputs that are not positive normal finite.
 */
function logCode(x: number, L: LogLocals): number[] {
  const entry = (field: number) => [LOCAL_GET, L.j, ...f64Load(LOG_TABLE_AT + 8 * field)];
  const g = (local: number) => [LOCAL_GET, local];
  return [
    ...g(x),
    I64_REINTERPRET_F64,
    LOCAL_TEE,
    L.bits,
    ...i64Bits(1n << 52n),
    I64_SUB,
    ...i64Bits(0x7fe0000000000000n),
    I64_GE_U,
    IF,
    F64,
    ...g(x),
    CALL,
    0,
    ELSE,
    // tmp = bits − bits(0.75); e = tmp >> 52; m = bits − (e << 52)
    ...g(L.bits),
    ...i64Bits(0x3fe8000000000000n),
    I64_SUB,
    LOCAL_TEE,
    L.tmp,
    ...i64Const(52),
    I64_SHR_S,
    LOCAL_TEE,
    L.e,
    F64_CONVERT_I64_S,
    LOCAL_SET,
    L.ke,
    ...g(L.bits),
    ...g(L.e),
    ...i64Const(52),
    I64_SHL,
    I64_SUB,
    F64_REINTERPRET_I64,
    LOCAL_SET,
    L.m,
    // j = 32·(((hi word of tmp) & 0xFFFFF) + 0x1000) >> 13)
    ...g(L.tmp),
    ...i64Const(32),
    I64_SHR_U,
    I32_WRAP_I64,
    ...i32Const(0xfffff),
    I32_AND,
    ...i32Const(0x1000),
    I32_ADD,
    ...i32Const(13),
    I32_SHR_U,
    ...i32Const(5),
    I32_SHL,
    LOCAL_SET,
    L.j,
    ...entry(0),
    LOCAL_SET,
    L.c,
    ...entry(1),
    LOCAL_SET,
    L.invc,
    // d = m − c; r = d·invc
    ...g(L.m),
    ...g(L.c),
    F64_SUB,
    LOCAL_TEE,
    L.d,
    ...g(L.invc),
    F64_MUL,
    LOCAL_TEE,
    L.r,
    // r1 = r with its low 27 bits cleared: a different split from _log's Veltkamp
    // split, but any split r = r1 + r2 into 26 + 27 bits makes r1·c, r2·c and
    // both subtractions below exact, so rlo = fl((d − r·c)·invc) either way
    I64_REINTERPRET_F64,
    ...i64Bits(-(1n << 27n)),
    I64_AND,
    F64_REINTERPRET_I64,
    LOCAL_SET,
    L.r1,
    // rlo = (d − r1·c − (r − r1)·c)·invc
    ...g(L.d),
    ...g(L.r1),
    ...g(L.c),
    F64_MUL,
    F64_SUB,
    ...g(L.r),
    ...g(L.r1),
    F64_SUB,
    ...g(L.c),
    F64_MUL,
    F64_SUB,
    ...g(L.invc),
    F64_MUL,
    LOCAL_SET,
    L.rlo,
    // t1 = e·LN2_HI + logc_hi; hi = t1 + r
    ...g(L.ke),
    ...f64Const(_LN2_HI),
    F64_MUL,
    ...entry(2),
    F64_ADD,
    LOCAL_TEE,
    L.t1,
    ...g(L.r),
    F64_ADD,
    LOCAL_TEE,
    L.hi,
    // hi + (e·LN2_LO + logc_lo + rlo + (t1 − hi + r) + r·r·P(r))
    ...g(L.ke),
    ...f64Const(_LN2_LO),
    F64_MUL,
    ...entry(3),
    F64_ADD,
    ...g(L.rlo),
    F64_ADD,
    ...g(L.t1),
    ...g(L.hi),
    F64_SUB,
    ...g(L.r),
    F64_ADD,
    F64_ADD,
    // r²·((A0 + A1·r) + r²·(A2 + A3·r) + r⁴·(A4 + A5·r)), Estrin's scheme
    ...g(L.r),
    ...g(L.r),
    F64_MUL,
    LOCAL_TEE,
    L.s,
    ...linear(L.r, 0),
    ...g(L.s),
    ...linear(L.r, 2),
    F64_MUL,
    F64_ADD,
    ...g(L.s),
    ...g(L.s),
    F64_MUL,
    ...linear(L.r, 4),
    F64_MUL,
    F64_ADD,
    F64_MUL,
    F64_ADD,
    F64_ADD,
    END,
  ];
}

/** `(f64(w) + 0.5)·2⁻³²` of the i32 local `w`, onto the stack. */
function uniformCode(w: number): number[] {
  return [
    LOCAL_GET,
    w,
    F64_CONVERT_I32_U,
    ...f64Const(0.5),
    F64_ADD,
    ...f64Const(2 ** -32),
    F64_MUL,
  ];
}

/**
 * Box–Muller on the words of one block, as `_boxMullerPair` in philox.ts
 * does it operation for operation: four normals at ptr, as f64 (stride 32)
 * or rounded to f32 (stride 16).
 */
function boxMullerOutput(f32: boolean) {
  return (x: readonly number[], ptr: number, frame: Frame): BlockOutput => {
    const L = logLocals(frame);
    const [u, rad, t, t2, ct, st, ca, sa] = Array.from({ length: 8 }, () => frame.local(F64));
    const idx = frame.local(I32);
    const size = f32 ? 4 : 8;
    const put = (value: number[], slot: number) => [
      LOCAL_GET,
      ptr,
      ...value,
      ...(f32 ? [F32_DEMOTE_F64, F32_STORE, 2] : [F64_STORE, 3]),
      ...uleb(slot * size),
    ];
    const pair = (a: number, b: number, slot: number): number[] => [
      // u = fround((a + 0.5)·2⁻³²); rad = sqrt(−2·log u)
      ...uniformCode(a),
      F32_DEMOTE_F64,
      F64_PROMOTE_F32,
      LOCAL_SET,
      u!,
      ...f64Const(-2),
      ...logCode(u!, L),
      F64_MUL,
      F64_SQRT,
      LOCAL_SET,
      rad!,
      // idx = 16·(b >>> 20); t = (2π·((b >>> 8) & 4095))·2⁻²⁴; t2 = t·t
      LOCAL_GET,
      b,
      ...i32Const(20),
      I32_SHR_U,
      ...i32Const(4),
      I32_SHL,
      LOCAL_SET,
      idx,
      ...f64Const(2 * Math.PI),
      LOCAL_GET,
      b,
      ...i32Const(8),
      I32_SHR_U,
      ...i32Const(4095),
      I32_AND,
      F64_CONVERT_I32_U,
      F64_MUL,
      ...f64Const(1 / 16777216),
      F64_MUL,
      LOCAL_TEE,
      t!,
      LOCAL_GET,
      t!,
      F64_MUL,
      LOCAL_SET,
      t2!,
      // ct = 1 − t2·(0.5 − t2·(1/24 − t2·(1/720)))
      ...f64Const(1),
      LOCAL_GET,
      t2!,
      ...f64Const(0.5),
      LOCAL_GET,
      t2!,
      ...f64Const(1 / 24),
      LOCAL_GET,
      t2!,
      ...f64Const(1 / 720),
      F64_MUL,
      F64_SUB,
      F64_MUL,
      F64_SUB,
      F64_MUL,
      F64_SUB,
      LOCAL_SET,
      ct!,
      // st = t·(1 − t2·(1/6 − t2·(1/120)))
      LOCAL_GET,
      t!,
      ...f64Const(1),
      LOCAL_GET,
      t2!,
      ...f64Const(1 / 6),
      LOCAL_GET,
      t2!,
      ...f64Const(1 / 120),
      F64_MUL,
      F64_SUB,
      F64_MUL,
      F64_SUB,
      F64_MUL,
      LOCAL_SET,
      st!,
      LOCAL_GET,
      idx,
      ...f64Load(SINCOS_AT),
      LOCAL_SET,
      ca!,
      LOCAL_GET,
      idx,
      ...f64Load(SINCOS_AT + 8),
      LOCAL_SET,
      sa!,
      // z0 = rad·(ca·ct − sa·st); z1 = rad·(sa·ct + ca·st)
      ...put([
        LOCAL_GET,
        rad!,
        LOCAL_GET,
        ca!,
        LOCAL_GET,
        ct!,
        F64_MUL,
        LOCAL_GET,
        sa!,
        LOCAL_GET,
        st!,
        F64_MUL,
        F64_SUB,
        F64_MUL,
      ], slot),
      ...put([
        LOCAL_GET,
        rad!,
        LOCAL_GET,
        sa!,
        LOCAL_GET,
        ct!,
        F64_MUL,
        LOCAL_GET,
        ca!,
        LOCAL_GET,
        st!,
        F64_MUL,
        F64_ADD,
        F64_MUL,
      ], slot + 1),
    ];
    return { code: [...pair(x[0]!, x[1]!, 0), ...pair(x[2]!, x[3]!, 2)], stride: 4 * size };
  };
}

/** normals / normals32(c0, c1, c2, c3, k0, k1, nblocks, ptr): Box–Muller of fill's blocks. */
function normalsBody(f32: boolean): number[] {
  return consecutiveBody(nextBlock, boxMullerOutput(f32));
}

/**
 * expUniformSteps(c0, c1, c2, c3, k0, k1, nblocks, ptr): per block of
 * fillSteps, `[−log u(w0), u(w1), −log u(w2), u(w3)]` as f64 at ptr, with
 * `u(w) = (w + 0.5)·2⁻³²`.
 */
function expUniformStepsBody(): number[] {
  return consecutiveBody(nextStep, (x, ptr, frame) => {
    const L = logLocals(frame);
    const u = frame.local(F64);
    const exp = (w: number, slot: number) => [
      ...uniformCode(w),
      LOCAL_SET,
      u,
      LOCAL_GET,
      ptr,
      ...logCode(u, L),
      F64_NEG,
      F64_STORE,
      3,
      ...uleb(8 * slot),
    ];
    const uni = (w: number, slot: number) => [
      LOCAL_GET,
      ptr,
      ...uniformCode(w),
      F64_STORE,
      3,
      ...uleb(8 * slot),
    ];
    return {
      code: [...exp(x[0]!, 0), ...uni(x[1]!, 1), ...exp(x[2]!, 2), ...uni(x[3]!, 3)],
      stride: 32,
    };
  });
}

/** log(x) → f64 */
function logBody(): number[] {
  const frame = new Frame(1);
  const L = logLocals(frame);
  return body(frame.types.map((t): [number, number] => [1, t]), logCode(0, L));
}

/** logs(ptr, n): the n f64 at ptr replaced by their logs. */
function logsBody(): number[] {
  const [ptr, n] = [0, 1];
  const frame = new Frame(2);
  const L = logLocals(frame);
  const x = frame.local(F64);
  const loop = [
    LOCAL_GET,
    ptr,
    ...f64Load(0),
    LOCAL_SET,
    x,
    LOCAL_GET,
    ptr,
    ...logCode(x, L),
    F64_STORE,
    3,
    0,
    ...addTo(ptr, 8),
  ];
  return body(frame.types.map((t): [number, number] => [1, t]), countdown(n, loop));
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

// ---------------------------------------------------------------------------
// SIMD (simd128): four blocks at a time
//
// The SIMD bodies keep four blocks in "structure of arrays" form: v128 x0
// holds counter (then state) word 0 of blocks b … b+3 in its four i32 lanes,
// x1 word 1 of the same blocks, and so on. A Philox round is then the scalar
// round with each operation done for four blocks at once: the 32×32→64-bit
// products of the S-box (Salmon et al., SC'11, §4.2) by
// `i64x2.extmul_low_i32x4_u` (blocks b, b+1) and `i64x2.extmul_high_i32x4_u`
// (b+2, b+3) against the splatted multiplier, their high and low halves
// gathered back into four i32 lanes by `i8x16.shuffle`. The words are
// bit-identical to the scalar module and to `_philoxBlock`.
//
// The Box–Muller (Box & Muller 1958) and the SSA pairs work on f64x2, two
// values at a time: lanes 0–1 of a word vector (blocks b, b+1), then lanes
// 2–3 (b+2, b+3). Every f64x2 operation is the IEEE operation of the scalar
// code lane by lane, and they come in the same order, so the results keep the
// bits of `_log`, `_boxMullerPair` and `_expUniformBlock`. Table entries are
// fetched with one `v128.load` per lane (the log table's (c, 1/c) and
// (log c hi, lo) pairs, the sincos table's (cos, sin) pairs sit next to each
// other in memory) and joined into f64x2 by shuffles.
//
// Counts that are not a multiple of 4 run a whole last group of four blocks:
// the host reserves room for it and reads only the blocks it asked for.
// ---------------------------------------------------------------------------

const V128 = 0x7b;
const SIMD = 0xfd; // prefix of the SIMD opcodes below (WebAssembly core spec 2.0, §5.4.8)
const V128_LOAD = 0x00, V128_STORE = 0x0b, V128_CONST = 0x0c, I8X16_SHUFFLE = 0x0d;
const I32X4_SPLAT = 0x11, I32X4_EXTRACT_LANE = 0x1b, I32X4_LT_U = 0x3a;
const V128_AND = 0x4e, V128_XOR = 0x51;
const F32X4_DEMOTE_F64X2_ZERO = 0x5e, F64X2_PROMOTE_LOW_F32X4 = 0x5f;
const I32X4_SHL = 0xab, I32X4_SHR_S = 0xac, I32X4_SHR_U = 0xad, I32X4_ADD = 0xae;
const I32X4_SUB = 0xb1, I32X4_MUL = 0xb5, I64X2_SUB = 0xd1;
const I64X2_EXTMUL_LOW_I32X4_U = 0xde, I64X2_EXTMUL_HIGH_I32X4_U = 0xdf;
const F64X2_NEG = 0xed, F64X2_SQRT = 0xef, F64X2_ADD = 0xf0, F64X2_SUB = 0xf1;
const F64X2_MUL = 0xf2;
const F64X2_CONVERT_LOW_I32X4_S = 0xfe, F64X2_CONVERT_LOW_I32X4_U = 0xff;

type Code = number[];

/** `local.get l` */
function get(l: number): Code {
  return [LOCAL_GET, ...uleb(l)];
}

/** `local.set l` of the value of `value` */
function set(l: number, value: Code): Code {
  return [...value, LOCAL_SET, ...uleb(l)];
}

/** A SIMD instruction applied to its operands' code. */
function v(op: number, ...operands: Code[]): Code {
  return [...operands.flat(), SIMD, ...uleb(op)];
}

/**
 * The v128 constants of the module being written, which a data segment puts
 * in memory at {@linkcode CONST_AT}, and, while a SIMD function is being
 * written, the locals they are loaded into at its start. V8 builds a
 * `v128.const` in registers at each use, inside the loops (three or four
 * instructions); a local loaded from memory once per call is a register or a
 * memory operand instead.
 */
const constants = {
  pool: undefined as number[][] | undefined,
  locals: undefined as Map<number, number> | undefined,
  frame: undefined as Frame | undefined,
};

/** A v128 constant of 16 bytes: a hoisted local while a SIMD function is written, else `v128.const`. */
function v128Const(bytes: Uint8Array): Code {
  const { pool, locals, frame } = constants;
  if (pool === undefined || locals === undefined || frame === undefined) {
    return [SIMD, ...uleb(V128_CONST), ...bytes];
  }
  let k = pool.findIndex((b) => b.every((x, i) => x === bytes[i]));
  if (k < 0) k = pool.push([...bytes]) - 1;
  let local = locals.get(k);
  if (local === undefined) locals.set(k, local = frame.local(V128));
  return get(local);
}

/**
 * The code of `build` (a SIMD function's, its locals in `frame`) with its
 * v128 constants loaded into locals first, from the module's pool.
 */
function hoistConstants(frame: Frame, build: () => Code): Code {
  const locals = new Map<number, number>();
  Object.assign(constants, { locals, frame });
  try {
    const code = build();
    const loads = [...locals].flatMap(([k, local]) =>
      set(local, vLoad(i32Const(0), CONST_AT + 16 * k))
    );
    return [...loads, ...code];
  } finally {
    Object.assign(constants, { locals: undefined, frame: undefined });
  }
}

/** A v128 constant of four i32 lanes. */
function i32x4Const(lanes: readonly number[]): Code {
  return v128Const(new Uint8Array(new Int32Array(lanes).buffer));
}

/** A v128 constant of two i64 lanes, both `bits`. */
function i64x2Const(bits: bigint): Code {
  return v128Const(new Uint8Array(new BigInt64Array([bits, bits]).buffer));
}

/** A v128 constant of two f64 lanes, both `x`. */
function f64x2Const(x: number): Code {
  return v128Const(new Uint8Array(new Float64Array([x, x]).buffer));
}

/** `i8x16.shuffle` of a and b picking the i32 lanes `lanes` (0–3 from a, 4–7 from b). */
function shuffle32(a: Code, b: Code, lanes: readonly number[]): Code {
  return [
    ...v(I8X16_SHUFFLE, a, b),
    ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
  ];
}

/** `i8x16.shuffle` of a and b picking the 64-bit lanes `[i, j]` (0–1 from a, 2–3 from b). */
function shuffle64(a: Code, b: Code, i: number, j: number): Code {
  return shuffle32(a, b, [2 * i, 2 * i + 1, 2 * j, 2 * j + 1]);
}

/** A SIMD shift of `a` by the constant `n`. */
function shift(op: number, a: Code, n: number): Code {
  return v(op, a, i32Const(n));
}

/** `v128.load offset=o` at the i32 address `addr`. */
function vLoad(addr: Code, offset: number): Code {
  return [...v(V128_LOAD, addr), 4, ...uleb(offset)];
}

/** `v128.store offset=o` of `value` at the i32 address `addr`. */
function vStore(addr: Code, value: Code, offset: number): Code {
  return [...v(V128_STORE, addr, value), 4, ...uleb(offset)];
}

/** Lane `i` of an i32x4. */
function lane32(a: Code, i: number): Code {
  return [...v(I32X4_EXTRACT_LANE, a), i];
}

const fadd = (a: Code, b: Code) => v(F64X2_ADD, a, b);
const fsub = (a: Code, b: Code) => v(F64X2_SUB, a, b);
const fmul = (a: Code, b: Code) => v(F64X2_MUL, a, b);
const xor = (a: Code, b: Code) => v(V128_XOR, a, b);

/** Statements of several independent chains, round-robin, for the out-of-order core. */
function interleave(chains: readonly Code[][]): Code {
  const code: Code = [];
  const longest = Math.max(0, ...chains.map((c) => c.length));
  for (let i = 0; i < longest; i++) for (const c of chains) if (i < c.length) code.push(...c[i]!);
  return code;
}

/** The splatted round keys and multipliers, shared by the groups of a SIMD body. */
interface SimdKeys {
  /** round r's k0 in all four lanes is local `rk0 + r`, its k1 `rk1 + r` */
  rk0: number;
  rk1: number;
  m0: number;
  m1: number;
}

/** One group of four blocks: its SoA words x0 … x3 and temporaries. */
interface SimdGroup {
  x: readonly [number, number, number, number];
  p: number;
  q: number;
  hi0: number;
  lo0: number;
}

/** Allocates {@linkcode SimdKeys} in `frame`. */
function simdKeys(frame: Frame): SimdKeys {
  const rk0 = frame.local(V128);
  for (let r = 1; r < ROUNDS; r++) frame.local(V128);
  const rk1 = frame.local(V128);
  for (let r = 1; r < ROUNDS; r++) frame.local(V128);
  return { rk0, rk1, m0: frame.local(V128), m1: frame.local(V128) };
}

/** Allocates a {@linkcode SimdGroup} in `frame`. */
function simdGroup(frame: Frame): SimdGroup {
  const [x0, x1, x2, x3, p, q, hi0, lo0] = Array.from({ length: 8 }, () => frame.local(V128));
  return { x: [x0!, x1!, x2!, x3!], p: p!, q: q!, hi0: hi0!, lo0: lo0! };
}

/** The splatted round keys `(k0 + r·W0, k1 + r·W1)` and multipliers. */
function simdSetup(k0: number, k1: number, K: SimdKeys): Code {
  const code: Code = [];
  for (let r = 0; r < ROUNDS; r++) {
    code.push(
      ...set(K.rk0 + r, v(I32X4_SPLAT, [...get(k0), ...i32Const(Math.imul(r, W0)), I32_ADD])),
      ...set(K.rk1 + r, v(I32X4_SPLAT, [...get(k1), ...i32Const(Math.imul(r, W1)), I32_ADD])),
    );
  }
  code.push(...set(K.m0, i32x4Const([M0, M0, M0, M0])), ...set(K.m1, i32x4Const([M1, M1, M1, M1])));
  return code;
}

/**
 * Round r on the four blocks of a group: for each lane,
 * `(x0,x1,x2,x3) → (hi(M1·x2)⊕x1⊕k0, lo(M1·x2), hi(M0·x0)⊕x3⊕k1, lo(M0·x0))`.
 * The 64-bit products of blocks b, b+1 (extmul_low) and b+2, b+3
 * (extmul_high) are u64 lanes; i32 lanes 1, 3, 5, 7 of the two are the high
 * words, and `i32x4.mul` gives the low words.
 */
function simdRound(K: SimdKeys, g: SimdGroup, r: number): Code[] {
  const [x0, x1, x2, x3] = g.x;
  return [
    set(g.p, v(I64X2_EXTMUL_LOW_I32X4_U, get(x0), get(K.m0))),
    set(g.q, v(I64X2_EXTMUL_HIGH_I32X4_U, get(x0), get(K.m0))),
    set(g.hi0, shuffle32(get(g.p), get(g.q), [1, 3, 5, 7])),
    set(g.lo0, v(I32X4_MUL, get(x0), get(K.m0))),
    set(g.p, v(I64X2_EXTMUL_LOW_I32X4_U, get(x2), get(K.m1))),
    set(g.q, v(I64X2_EXTMUL_HIGH_I32X4_U, get(x2), get(K.m1))),
    // x0 = hi(M1·x2) ⊕ x1 ⊕ k0; x1 = lo(M1·x2)
    set(x0, xor(xor(shuffle32(get(g.p), get(g.q), [1, 3, 5, 7]), get(x1)), get(K.rk0 + r))),
    set(x1, v(I32X4_MUL, get(x2), get(K.m1))),
    // x2 = hi(M0·x0) ⊕ x3 ⊕ k1; x3 = lo(M0·x0)
    set(x2, xor(xor(get(g.hi0), get(x3)), get(K.rk1 + r))),
    set(x3, get(g.lo0)),
  ];
}

/** Ten unrolled rounds on each group, the groups' statements interleaved. */
function simdRounds(K: SimdKeys, groups: readonly SimdGroup[]): Code {
  const code: Code = [];
  for (let r = 0; r < ROUNDS; r++) code.push(...interleave(groups.map((g) => simdRound(K, g, r))));
  return code;
}

/**
 * The four blocks of SoA words `x`, in place, in block order (AoS): a 4×4
 * transpose of i32 lanes by shuffles, `t` four temporaries. Its own inverse.
 */
function transpose(x: readonly number[], t: readonly number[]): Code {
  const [x0, x1, x2, x3] = x.map(get) as [Code, Code, Code, Code];
  const [t0, t1, t2, t3] = t as [number, number, number, number];
  return [
    ...set(t0, shuffle32(x0, x1, [0, 4, 1, 5])), // x0a x1a x0b x1b
    ...set(t1, shuffle32(x2, x3, [0, 4, 1, 5])), // x2a x3a x2b x3b
    ...set(t2, shuffle32(x0, x1, [2, 6, 3, 7])), // x0c x1c x0d x1d
    ...set(t3, shuffle32(x2, x3, [2, 6, 3, 7])), // x2c x3c x2d x3d
    ...set(x[0]!, shuffle64(get(t0), get(t1), 0, 2)), // block a
    ...set(x[1]!, shuffle64(get(t0), get(t1), 1, 3)), // block b
    ...set(x[2]!, shuffle64(get(t2), get(t3), 0, 2)), // block c
    ...set(x[3]!, shuffle64(get(t2), get(t3), 1, 3)), // block d
  ];
}

/**
 * What a SIMD body writes for its groups (consecutive groups of four
 * blocks): `code` at local `ptr`, `stride` bytes in all.
 */
type SimdOutput = (groups: readonly SimdGroup[], ptr: number, frame: Frame) => BlockOutput;

/** The blocks' words as they are, in block order. */
function simdWordsOutput(groups: readonly SimdGroup[], ptr: number, frame: Frame): BlockOutput {
  const t = [0, 1, 2, 3].map(() => frame.local(V128));
  const code = groups.flatMap((g, i) => [
    ...transpose(g.x, t),
    ...g.x.flatMap((xk, k) => vStore(get(ptr), get(xk), 64 * i + 16 * k)),
  ]);
  return { code, stride: 64 * groups.length };
}

/** Groups of four blocks per iteration of the main SIMD loop (their rounds interleaved). */
const GROUPS = 2;

/**
 * The SIMD body of the consecutive-counter functions, (c0, c1, c2, c3, k0,
 * k1, nblocks, ptr): ⌈nblocks/4⌉ groups of four blocks, {@linkcode GROUPS}
 * at a time then one by one; `counters(cv, x)` sets the SoA counters `x` of
 * the next group from the counter vectors `cv` (set up by `init`) and
 * advances them, then the rounds, then `output` of the states.
 */
function simdConsecutiveBody(
  init: (c: readonly number[], cv: readonly number[]) => Code,
  counters: (cv: readonly number[], x: readonly number[]) => Code,
  output: SimdOutput,
): Code {
  const c = [0, 1, 2, 3];
  const [k0, k1, n, ptr] = [4, 5, 6, 7];
  const frame = new Frame(8);
  const K = simdKeys(frame);
  const groups = Array.from({ length: GROUPS }, () => simdGroup(frame));
  const cv = [0, 1, 2, 3].map(() => frame.local(V128));
  const left = frame.local(I32);
  const iteration = (gs: readonly SimdGroup[]) => {
    const out = output(gs, ptr, frame);
    return [
      ...gs.flatMap((g) => counters(cv, g.x)),
      ...simdRounds(K, gs),
      ...out.code,
      ...addTo(ptr, out.stride),
    ];
  };
  const code = hoistConstants(frame, () => [
    ...simdSetup(k0, k1, K),
    ...init(c, cv),
    ...set(left, [...get(n), ...i32Const(3), I32_ADD, ...i32Const(2), I32_SHR_U]),
    // while (left >= GROUPS) { GROUPS groups; left -= GROUPS }
    BLOCK,
    VOID,
    LOOP,
    VOID,
    ...get(left),
    ...i32Const(GROUPS),
    I32_LT_U,
    BR_IF,
    1,
    ...iteration(groups),
    ...set(left, [...get(left), ...i32Const(GROUPS), I32_SUB]),
    BR,
    0,
    END,
    END,
    // the rest one group at a time
    ...countdown(left, iteration(groups.slice(0, 1))),
  ]);
  return body(frame.types.map((t): [number, number] => [1, t]), code);
}

const FOURS = [4, 4, 4, 4];

/**
 * fill: counter word 0 of blocks b … b+3 is `c0 + (0, 1, 2, 3)` mod 2³², and
 * word 3 takes the carry of the lanes that wrapped (`i32x4.lt_u` is −1 where
 * true, so subtracting it adds the carry); each group adds 4.
 */
function simdFillBody(output: SimdOutput = simdWordsOutput): Code {
  return simdConsecutiveBody(
    (c, cv) => [
      ...set(cv[0]!, v(I32X4_ADD, v(I32X4_SPLAT, get(c[0]!)), i32x4Const([0, 1, 2, 3]))),
      ...set(cv[1]!, v(I32X4_SPLAT, get(c[1]!))),
      ...set(cv[2]!, v(I32X4_SPLAT, get(c[2]!))),
      ...set(
        cv[3]!,
        v(
          I32X4_SUB,
          v(I32X4_SPLAT, get(c[3]!)),
          v(I32X4_LT_U, get(cv[0]!), v(I32X4_SPLAT, get(c[0]!))),
        ),
      ),
    ],
    (cv, x) => [
      ...cv.flatMap((cvk, k) => set(x[k]!, get(cvk))),
      ...set(cv[0]!, v(I32X4_ADD, get(cv[0]!), i32x4Const(FOURS))),
      ...set(cv[3]!, v(I32X4_SUB, get(cv[3]!), v(I32X4_LT_U, get(cv[0]!), i32x4Const(FOURS)))),
    ],
    output,
  );
}

/** fillSteps: counter word 1 of blocks b … b+3 is `c1 + (0, 1, 2, 3)` mod 2³²; each group adds 4. */
function simdFillStepsBody(output: SimdOutput = simdWordsOutput): Code {
  return simdConsecutiveBody(
    (c, cv) => [
      ...set(cv[0]!, v(I32X4_SPLAT, get(c[0]!))),
      ...set(cv[1]!, v(I32X4_ADD, v(I32X4_SPLAT, get(c[1]!)), i32x4Const([0, 1, 2, 3]))),
      ...set(cv[2]!, v(I32X4_SPLAT, get(c[2]!))),
      ...set(cv[3]!, v(I32X4_SPLAT, get(c[3]!))),
    ],
    (cv, x) => [
      ...cv.flatMap((cvk, k) => set(x[k]!, get(cvk))),
      ...set(cv[1]!, v(I32X4_ADD, get(cv[1]!), i32x4Const(FOURS))),
    ],
    output,
  );
}

/** counters(ptr, k0, k1, n): the counters at ptr, two groups of four at a time, replaced by their blocks. */
function simdCountersBody(): Code {
  const [ptr, k0, k1, n] = [0, 1, 2, 3];
  const frame = new Frame(4);
  const K = simdKeys(frame);
  const groups = Array.from({ length: GROUPS }, () => simdGroup(frame));
  const t = [0, 1, 2, 3].map(() => frame.local(V128));
  const count = frame.local(I32);
  const loop = () => [
    ...groups.flatMap((g, i) => [
      ...g.x.flatMap((xk, k) => set(xk, vLoad(get(ptr), 64 * i + 16 * k))),
      ...transpose(g.x, t), // blocks → SoA
    ]),
    ...simdRounds(K, groups),
    ...groups.flatMap((g, i) => [
      ...transpose(g.x, t), // SoA → blocks
      ...g.x.flatMap((xk, k) => vStore(get(ptr), get(xk), 64 * i + 16 * k)),
    ]),
    ...addTo(ptr, 64 * GROUPS),
  ];
  const code = hoistConstants(frame, () => [
    ...simdSetup(k0, k1, K),
    ...set(count, [
      ...get(n),
      ...i32Const(4 * GROUPS - 1),
      I32_ADD,
      ...i32Const(Math.log2(4 * GROUPS)),
      I32_SHR_U,
    ]),
    ...countdown(count, loop()),
  ]);
  return body(frame.types.map((t): [number, number] => [1, t]), code);
}

/** Locals of {@linkcode simdLogCode}. */
interface SimdLogLocals {
  tmp: number;
  hw: number;
  ke: number;
  m: number;
  jv: number;
  ja: number; // i32
  jb: number; // i32
  ea: number;
  eb: number;
  fa: number;
  fb: number;
  c: number;
  invc: number;
  lhi: number;
  llo: number;
  d: number;
  r: number;
  r1: number;
  t1: number;
  hi: number;
  s: number;
}

/** Allocates {@linkcode SimdLogLocals} in `frame`. */
function simdLogLocals(frame: Frame): SimdLogLocals {
  const w = () => frame.local(V128);
  return {
    tmp: w(),
    hw: w(),
    ke: w(),
    m: w(),
    jv: w(),
    ja: frame.local(I32),
    jb: frame.local(I32),
    ea: w(),
    eb: w(),
    fa: w(),
    fb: w(),
    c: w(),
    invc: w(),
    lhi: w(),
    llo: w(),
    d: w(),
    r: w(),
    r1: w(),
    t1: w(),
    hi: w(),
    s: w(),
  };
}

/** `A_i + r·A_{i+1}` (the coefficients of `_LOG_POLY`) on f64x2. */
function simdLinear(r: number, i: number): Code {
  return fadd(f64x2Const(_LOG_POLY[i]!), fmul(get(r), f64x2Const(_LOG_POLY[i + 1]!)));
}

/**
 * `log` of the two lanes of the f64x2 local `x` into local `out`, as
 * statements: the operations of `_log` (and of {@linkcode logCode}) lane by
 * lane, in the same order, so the same bits. Both lanes must be positive
 * normal finite doubles (the uniforms here always are): there is no
 * `Math.log` branch.
 */
function simdLogCode(x: number, L: SimdLogLocals, out: number): Code[] {
  const g = get;
  const splat32 = (k: number) => i32x4Const([k, k, k, k]);
  return [
    // tmp = bits − bits(0.75); the high words of tmp into i32 lanes 0, 1
    set(L.tmp, v(I64X2_SUB, g(x), i64x2Const(0x3fe8000000000000n))),
    set(L.hw, shuffle32(g(L.tmp), g(L.tmp), [1, 3, 1, 3])),
    // byte offsets 32·(((hi(tmp) & 0xFFFFF) + 0x1000) >> 13) of the two table entries
    set(
      L.jv,
      shift(
        I32X4_SHL,
        shift(
          I32X4_SHR_U,
          v(I32X4_ADD, v(V128_AND, g(L.hw), splat32(0xfffff)), splat32(0x1000)),
          13,
        ),
        5,
      ),
    ),
    set(L.ja, lane32(g(L.jv), 0)),
    set(L.jb, lane32(g(L.jv), 1)),
    // (c, 1/c) and (log c hi, lo) of each lane, regrouped by field below
    set(L.ea, vLoad(g(L.ja), LOG_TABLE_AT)),
    set(L.eb, vLoad(g(L.jb), LOG_TABLE_AT)),
    set(L.fa, vLoad(g(L.ja), LOG_TABLE_AT + 16)),
    set(L.fb, vLoad(g(L.jb), LOG_TABLE_AT + 16)),
    // e = hi(tmp) >> 20; m = bits − e·2⁵² (the bits of tmp from 52 up)
    set(L.ke, v(F64X2_CONVERT_LOW_I32X4_S, shift(I32X4_SHR_S, g(L.hw), 20))),
    set(L.m, v(I64X2_SUB, g(x), v(V128_AND, g(L.tmp), i64x2Const(-(1n << 52n))))),
    set(L.c, shuffle64(g(L.ea), g(L.eb), 0, 2)),
    set(L.invc, shuffle64(g(L.ea), g(L.eb), 1, 3)),
    set(L.lhi, shuffle64(g(L.fa), g(L.fb), 0, 2)),
    set(L.llo, shuffle64(g(L.fa), g(L.fb), 1, 3)),
    // d = m − c; r = d·invc; r1 = r with its low 27 bits cleared
    set(L.d, fsub(g(L.m), g(L.c))),
    set(L.r, fmul(g(L.d), g(L.invc))),
    set(L.r1, v(V128_AND, g(L.r), i64x2Const(-(1n << 27n)))),
    // t1 = e·LN2_HI + logc_hi; hi = t1 + r; s = r²
    set(L.t1, fadd(fmul(g(L.ke), f64x2Const(_LN2_HI)), g(L.lhi))),
    set(L.hi, fadd(g(L.t1), g(L.r))),
    set(L.s, fmul(g(L.r), g(L.r))),
    // hi + (e·LN2_LO + logc_lo + rlo + (t1 − hi + r) + r²·P(r)),
    // rlo = (d − r1·c − (r − r1)·c)·invc
    set(
      out,
      fadd(
        g(L.hi),
        fadd(
          fadd(
            fadd(
              fadd(fmul(g(L.ke), f64x2Const(_LN2_LO)), g(L.llo)),
              fmul(
                fsub(fsub(g(L.d), fmul(g(L.r1), g(L.c))), fmul(fsub(g(L.r), g(L.r1)), g(L.c))),
                g(L.invc),
              ),
            ),
            fadd(fsub(g(L.t1), g(L.hi)), g(L.r)),
          ),
          fmul(
            g(L.s),
            fadd(
              fadd(simdLinear(L.r, 0), fmul(g(L.s), simdLinear(L.r, 2))),
              fmul(fmul(g(L.s), g(L.s)), simdLinear(L.r, 4)),
            ),
          ),
        ),
      ),
    ),
  ];
}

/** i32 lanes 0, 1 (`h` = 0) or 2, 3 (`h` = 1) of `a`, as lanes 0, 1. */
function half(a: Code, h: number): Code {
  return h === 0 ? a : shuffle32(a, a, [2, 3, 2, 3]);
}

/** `(f64(w) + 0.5)·2⁻³²` of i32 lanes 0, 1 of `w`, as f64x2. */
function simdUniform(w: Code): Code {
  return fmul(fadd(v(F64X2_CONVERT_LOW_I32X4_U, w), f64x2Const(0.5)), f64x2Const(2 ** -32));
}

/**
 * Box–Muller on one word pair `(a, b)` of two blocks (i32 lanes 0, 1 of the
 * SoA words when `h` = 0, lanes 2, 3 when `h` = 1), as `_boxMullerPair` in
 * philox.ts does it operation for operation: the radius `sqrt(−2·log u)`,
 * `u = fround((a + 0.5)·2⁻³²)`, times the table cos/sin of the top 12 bits
 * of `b >>> 8` turned by the Taylor cos/sin of the low 12. Statements; the
 * two normals of each block into `z0`, `z1`.
 */
function simdBoxMullerPair(
  a: number,
  b: number,
  h: number,
  z0: number,
  z1: number,
  frame: Frame,
): Code[] {
  const L = simdLogLocals(frame);
  const [u, lg, rad, t, t2, ct, st, ca, sa, la, lb, idx, frac] = Array.from(
    { length: 13 },
    () => frame.local(V128),
  ) as number[];
  const g = get;
  return [
    // u = fround((a + 0.5)·2⁻³²); rad = sqrt(−2·log u)
    set(u!, v(F64X2_PROMOTE_LOW_F32X4, v(F32X4_DEMOTE_F64X2_ZERO, simdUniform(half(g(a), h))))),
    ...simdLogCode(u!, L, lg!),
    // idx = 16·(b >>> 20); t = (2π·((b >>> 8) & 4095))·2⁻²⁴; t2 = t·t
    set(idx!, shift(I32X4_SHL, shift(I32X4_SHR_U, g(b), 20), 4)),
    set(la!, vLoad(lane32(g(idx!), 2 * h), SINCOS_AT)),
    set(lb!, vLoad(lane32(g(idx!), 2 * h + 1), SINCOS_AT)),
    set(frac!, v(V128_AND, shift(I32X4_SHR_U, g(b), 8), i32x4Const([4095, 4095, 4095, 4095]))),
    set(
      t!,
      fmul(
        fmul(f64x2Const(2 * Math.PI), v(F64X2_CONVERT_LOW_I32X4_S, half(g(frac!), h))),
        f64x2Const(1 / 16777216),
      ),
    ),
    set(t2!, fmul(g(t!), g(t!))),
    // ct = 1 − t2·(0.5 − t2·(1/24 − t2·(1/720))); st = t·(1 − t2·(1/6 − t2·(1/120)))
    set(
      ct!,
      fsub(
        f64x2Const(1),
        fmul(
          g(t2!),
          fsub(
            f64x2Const(0.5),
            fmul(g(t2!), fsub(f64x2Const(1 / 24), fmul(g(t2!), f64x2Const(1 / 720)))),
          ),
        ),
      ),
    ),
    set(
      st!,
      fmul(
        g(t!),
        fsub(
          f64x2Const(1),
          fmul(g(t2!), fsub(f64x2Const(1 / 6), fmul(g(t2!), f64x2Const(1 / 120)))),
        ),
      ),
    ),
    // the (cos, sin) table pairs of the two lanes, regrouped
    set(ca!, shuffle64(g(la!), g(lb!), 0, 2)),
    set(sa!, shuffle64(g(la!), g(lb!), 1, 3)),
    set(rad!, v(F64X2_SQRT, fmul(f64x2Const(-2), g(lg!)))),
    // z0 = rad·(ca·ct − sa·st); z1 = rad·(sa·ct + ca·st)
    set(z0, fmul(g(rad!), fsub(fmul(g(ca!), g(ct!)), fmul(g(sa!), g(st!))))),
    set(z1, fmul(g(rad!), fadd(fmul(g(sa!), g(ct!)), fmul(g(ca!), g(st!))))),
  ];
}

/**
 * Box–Muller on the groups' blocks: for each group, half (blocks b, b+1,
 * then b+2, b+3) and word pair ((w0, w1), then (w2, w3)) a
 * {@linkcode simdBoxMullerPair}, all interleaved; the four normals of block
 * i at `ptr + 4i·size`, as f64 or rounded to f32.
 */
function simdBoxMullerOutput(f32: boolean): SimdOutput {
  return (groups, ptr, frame) => {
    const size = f32 ? 4 : 8;
    // z[2p + k]: normal k of pair p, lanes: the two blocks of a half
    const zs = groups.flatMap(() => [0, 1].map(() => [0, 1, 2, 3].map(() => frame.local(V128))));
    const chains = groups.flatMap((g, i) =>
      [0, 1].flatMap((h) => {
        const z = zs[2 * i + h]!;
        return [
          simdBoxMullerPair(g.x[0], g.x[1], h, z[0]!, z[1]!, frame),
          simdBoxMullerPair(g.x[2], g.x[3], h, z[2]!, z[3]!, frame),
        ];
      })
    );
    const [sa, sb] = [frame.local(V128), frame.local(V128)];
    const store = (z: number[], block: number): Code => {
      const at = (j: number) => block * 4 * size + j;
      if (!f32) {
        // block b: (z0, z1) of pair 0, then of pair 1, lane by lane
        return [0, 1].flatMap((i) =>
          [0, 1].flatMap((p) =>
            vStore(
              get(ptr),
              shuffle64(get(z[2 * p]!), get(z[2 * p + 1]!), i, 2 + i),
              at(32 * i + 16 * p),
            )
          )
        );
      }
      // f32 lanes [z0 of b, z1 of b, z0 of b+1, z1 of b+1] of each pair, regrouped by block
      const d = z.map((zk) => v(F32X4_DEMOTE_F64X2_ZERO, get(zk)));
      return [
        ...set(sa, shuffle32(d[0]!, d[1]!, [0, 4, 1, 5])),
        ...set(sb, shuffle32(d[2]!, d[3]!, [0, 4, 1, 5])),
        ...vStore(get(ptr), shuffle32(get(sa), get(sb), [0, 1, 4, 5]), at(0)),
        ...vStore(get(ptr), shuffle32(get(sa), get(sb), [2, 3, 6, 7]), at(16)),
      ];
    };
    const code = [...interleave(chains), ...zs.flatMap((z, k) => store(z, 2 * k))];
    return { code, stride: 16 * size * groups.length };
  };
}

/**
 * expUniformSteps on the groups' blocks: per block `[−log u(w0), u(w1),
 * −log u(w2), u(w3)]`, blocks b, b+1 from lanes 0, 1 and b+2, b+3 from
 * lanes 2, 3; the logs of all groups and halves interleaved.
 */
function simdExpUniformOutput(
  groups: readonly SimdGroup[],
  ptr: number,
  frame: Frame,
): BlockOutput {
  const chains: Code[][] = [];
  const stores: Code = [];
  groups.forEach((g, i) => {
    for (const h of [0, 1]) {
      const [e0, u0, e1, u1] = Array.from({ length: 4 }, () => frame.local(V128)) as number[];
      const exp = (w: number, into: number): Code[] => {
        const u = frame.local(V128), lg = frame.local(V128);
        return [
          set(u, simdUniform(half(get(w), h))),
          ...simdLogCode(u, simdLogLocals(frame), lg),
          set(into, v(F64X2_NEG, get(lg))),
        ];
      };
      chains.push(exp(g.x[0], e0!), exp(g.x[2], e1!));
      stores.push(
        ...set(u0!, simdUniform(half(get(g.x[1]), h))),
        ...set(u1!, simdUniform(half(get(g.x[3]), h))),
      );
      for (const k of [0, 1]) {
        const at = 128 * i + 32 * (2 * h + k);
        stores.push(
          ...vStore(get(ptr), shuffle64(get(e0!), get(u0!), k, 2 + k), at),
          ...vStore(get(ptr), shuffle64(get(e1!), get(u1!), k, 2 + k), at + 16),
        );
      }
    }
  });
  return { code: [...interleave(chains), ...stores], stride: 128 * groups.length };
}

/**
 * logs(ptr, n) with SIMD: two values at a time through {@linkcode
 * simdLogCode} when both are positive normal finite, else each through the
 * scalar {@linkcode logCode} (and so `Math.log`); ⌈n/2⌉ pairs.
 */
function simdLogsBody(): Code {
  const [ptr, n] = [0, 1];
  const frame = new Frame(2);
  const L = simdLogLocals(frame);
  const S = logLocals(frame);
  const [xv, lg] = [frame.local(V128), frame.local(V128)];
  const xs = frame.local(F64);
  const pairs = frame.local(I32);
  const inRange = (lane: number) => [
    ...get(xv!),
    SIMD,
    ...uleb(0x1d), // i64x2.extract_lane
    lane,
    ...i64Bits(1n << 52n),
    I64_SUB,
    ...i64Bits(0x7fe0000000000000n),
    0x54, // i64.lt_u
  ];
  const scalar = (offset: number) => [
    ...set(xs, [LOCAL_GET, ptr, ...f64Load(offset)]),
    LOCAL_GET,
    ptr,
    ...logCode(xs, S),
    F64_STORE,
    3,
    ...uleb(offset),
  ];
  const loop = () => [
    ...set(xv!, vLoad(get(ptr), 0)),
    ...inRange(0),
    ...inRange(1),
    I32_AND,
    IF,
    VOID,
    ...simdLogCode(xv!, L, lg).flat(),
    ...vStore(get(ptr), get(lg), 0),
    ELSE,
    ...scalar(0),
    ...scalar(8),
    END,
    ...addTo(ptr, 16),
  ];
  const code = hoistConstants(frame, () => [
    ...set(pairs, [...get(n), ...i32Const(1), I32_ADD, ...i32Const(1), I32_SHR_U]),
    ...countdown(pairs, loop()),
  ]);
  return body(frame.types.map((t): [number, number] => [1, t]), code);
}

/**
 * Whether this engine has WebAssembly SIMD (simd128): validates a module
 * whose one function makes a `v128.const` and drops it.
 *
 * @returns true when simd128 validates
 *
 * @internal
 */
export function _wasmSimdSupported(): boolean {
  if (typeof WebAssembly !== "object") return false;
  const bytes = new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([[FUNC, ...vec([]), ...vec([])]])),
    ...section(3, vec([[0]])),
    ...section(10, [...uleb(1), ...body([], [...i32x4Const([0, 0, 0, 0]), 0x1a])]),
  ]);
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/**
 * The bytes of the Philox WebAssembly module described in the module doc.
 *
 * @param simd whether to build the exports from the SIMD (simd128) bodies;
 *   by default when this engine has SIMD. Both modules give the same bits.
 * @returns a fresh copy of the module's binary encoding
 *
 * @example A valid module with its exports, importing Math.log
 * ```ts
 * import { _philoxWasmBytes } from "./_wasm_philox.ts";
 * import assert from "node:assert/strict";
 * const bytes = _philoxWasmBytes();
 * assert.ok(WebAssembly.validate(bytes));
 * const module = new WebAssembly.Module(bytes);
 * assert.deepEqual(WebAssembly.Module.exports(module).map((e) => e.name), [
 *   "memory", "fill", "counters", "fillSteps", "normals", "normals32", "expUniformSteps",
 *   "log", "logs",
 * ]);
 * assert.deepEqual(WebAssembly.Module.imports(module).map((i) => i.name), ["log"]);
 * ```
 *
 * @internal
 */
export function _philoxWasmBytes(simd: boolean = _wasmSimdSupported()): Uint8Array<ArrayBuffer> {
  const types = vec([
    [FUNC, ...vec(Array.from({ length: 8 }, () => [I32])), ...vec([])],
    [FUNC, ...vec(Array.from({ length: 4 }, () => [I32])), ...vec([])],
    [FUNC, ...vec([[F64]]), ...vec([[F64]])],
    [FUNC, ...vec([[I32], [I32]]), ...vec([])],
  ]);
  // function 0 is the import Math.log, for the inputs the table method does not take
  const imports = vec([[...name("m"), ...name("log"), 0x00, 2]]);
  const functions = vec([[0], [1], [0], [0], [0], [0], [2], [3]]);
  const memories = vec([[0x00, ...uleb(Math.ceil(DATA_AT / 65536) + 1)]]); // no maximum
  const exports = vec([
    [...name("memory"), 0x02, 0],
    [...name("fill"), 0x00, 1],
    [...name("counters"), 0x00, 2],
    [...name("fillSteps"), 0x00, 3],
    [...name("normals"), 0x00, 4],
    [...name("normals32"), 0x00, 5],
    [...name("expUniformSteps"), 0x00, 6],
    [...name("log"), 0x00, 7],
    [...name("logs"), 0x00, 8],
  ]);
  const pool: number[][] = [];
  constants.pool = pool;
  let code: number[];
  try {
    code = [
      ...uleb(8),
      ...(simd ? simdFillBody() : fillBody()),
      ...(simd ? simdCountersBody() : countersBody()),
      ...(simd ? simdFillStepsBody() : fillStepsBody()),
      ...(simd ? simdFillBody(simdBoxMullerOutput(false)) : normalsBody(false)),
      ...(simd ? simdFillBody(simdBoxMullerOutput(true)) : normalsBody(true)),
      ...(simd ? simdFillStepsBody(simdExpUniformOutput) : expUniformStepsBody()),
      ...logBody(),
      ...(simd ? simdLogsBody() : logsBody()),
    ];
  } finally {
    constants.pool = undefined;
  }
  if (CONST_AT + 16 * pool.length > DATA_AT) {
    throw new Error("Cannot lay out the Philox WebAssembly constants: too many");
  }
  // one data segment: the constant pool at CONST_AT (memory 0, offset i32.const CONST_AT)
  const data = vec(
    pool.length === 0
      ? []
      : [[0x00, ...i32Const(CONST_AT), END, ...uleb(16 * pool.length), ...pool.flat()]],
  );
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
    ...section(2, imports),
    ...section(3, functions),
    ...section(5, memories),
    ...section(7, exports),
    ...section(10, code),
    ...section(11, data),
  ]);
}

/** The signature of the consecutive-counter exports. */
type ConsecutiveFn = (
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  nblocks: number,
  ptr: number,
) => void;

/** The compiled module's exports, typed. */
interface PhiloxExports {
  memory: WebAssembly.Memory;
  fill: ConsecutiveFn;
  counters(ptr: number, k0: number, k1: number, n: number): void;
  fillSteps: ConsecutiveFn;
  normals: ConsecutiveFn;
  normals32: ConsecutiveFn;
  expUniformSteps: ConsecutiveFn;
  log(x: number): number;
  logs(ptr: number, n: number): void;
}

/**
 * A compiled Philox WebAssembly instance with views of its memory that are
 * refreshed when the memory grows. The tables (log, sin/cos) sit below
 * `DATA_AT`; every output is written from there, and the views
 * returned start there.
 *
 * @internal
 */
export class _PhiloxWasm {
  #exports: PhiloxExports;
  #words!: Uint32Array;
  #f64!: Float64Array;
  #f32!: Float32Array;

  /**
   * Compiles and instantiates the module synchronously and writes its tables.
   *
   * @param bytes the module bytes, by default {@linkcode _philoxWasmBytes}
   */
  constructor(bytes: Uint8Array<ArrayBuffer> = _philoxWasmBytes()) {
    const module = new WebAssembly.Module(bytes);
    this.#exports = new WebAssembly.Instance(module, { m: { log: Math.log } })
      .exports as unknown as PhiloxExports;
    const memory = new Float64Array(this.#exports.memory.buffer);
    if (
      LOG_TABLE_AT + 8 * _LOG_TABLE.length > SINCOS_AT ||
      SINCOS_AT + 16 * _COS_TABLE.length > CONST_AT
    ) {
      throw new Error("Cannot lay out the Philox WebAssembly tables: they overlap");
    }
    memory.set(_LOG_TABLE, LOG_TABLE_AT / 8);
    for (let k = 0; k < _COS_TABLE.length; k++) {
      memory[SINCOS_AT / 8 + 2 * k] = _COS_TABLE[k]!;
      memory[SINCOS_AT / 8 + 2 * k + 1] = _SIN_TABLE[k]!;
    }
    this.#views();
  }

  #views(): void {
    const buffer = this.#exports.memory.buffer;
    this.#words = new Uint32Array(buffer, DATA_AT);
    this.#f64 = new Float64Array(buffer, DATA_AT);
    this.#f32 = new Float32Array(buffer, DATA_AT);
  }

  /**
   * Grows memory to hold at least `bytes` bytes of output at DATA_AT, and
   * {@linkcode OVERRUN} more: the SIMD functions write whole groups of four
   * blocks.
   */
  #reserve(bytes: number): void {
    const memory = this.#exports.memory;
    const need = DATA_AT + bytes + OVERRUN;
    if (memory.buffer.byteLength < need) {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    }
    if (this.#words.buffer !== memory.buffer) this.#views();
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
    this.#reserve(16 * nblocks);
    this.#exports.fill(c0, c1, c2, c3, k0, k1, nblocks, DATA_AT);
    return this.#words;
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
    this.#reserve(16 * nblocks);
    this.#exports.fillSteps(c0, c1, c2, c3, k0, k1, nblocks, DATA_AT);
    return this.#words;
  }

  /**
   * Box–Muller normals of the blocks of {@linkcode blocks}: `4·nblocks`
   * values, block `i`'s four at `4i … 4i+3`, bit-identical to
   * `_boxMullerPair` (philox.ts) on the same words, at the start of the
   * returned view (f64, or rounded to f32 when `f32`), valid only until the
   * next call.
   *
   * @param c0 low word of the first block index
   * @param c1 counter word 1 (step)
   * @param c2 counter word 2 (purpose)
   * @param c3 high word of the first block index
   * @param k0 key word 0 (seed)
   * @param k1 key word 1 (stream)
   * @param nblocks how many blocks
   * @param f32 whether to round the normals to f32
   * @returns a view of memory whose first `4·nblocks` values are the normals
   */
  normals(
    c0: number,
    c1: number,
    c2: number,
    c3: number,
    k0: number,
    k1: number,
    nblocks: number,
    f32: boolean,
  ): Float64Array | Float32Array {
    if (f32) {
      this.#reserve(16 * nblocks);
      this.#exports.normals32(c0, c1, c2, c3, k0, k1, nblocks, DATA_AT);
      return this.#f32;
    }
    this.#reserve(32 * nblocks);
    this.#exports.normals(c0, c1, c2, c3, k0, k1, nblocks, DATA_AT);
    return this.#f64;
  }

  /**
   * For the blocks of {@linkcode stepBlocks} (consecutive steps of one
   * block), the SSA pairs `[−log u(w0), u(w1), −log u(w2), u(w3)]` with
   * `u(w) = (w + 0.5)·2⁻³²`, as `4·nblocks` f64 at the start of the returned
   * view, valid only until the next call; bit-identical to `_log` in `_log.ts`.
   *
   * @param c0 counter word 0 (block, e.g. the path)
   * @param c1 counter word 1 of the first block (step)
   * @param c2 counter word 2 (purpose)
   * @param c3 counter word 3
   * @param k0 key word 0 (seed)
   * @param k1 key word 1 (stream)
   * @param nblocks how many blocks
   * @returns a view of memory whose first `4·nblocks` values are the pairs
   */
  expUniformSteps(
    c0: number,
    c1: number,
    c2: number,
    c3: number,
    k0: number,
    k1: number,
    nblocks: number,
  ): Float64Array {
    this.#reserve(32 * nblocks);
    this.#exports.expUniformSteps(c0, c1, c2, c3, k0, k1, nblocks, DATA_AT);
    return this.#f64;
  }

  /**
   * The module's `log` of one value (bit-identical to `_log`).
   *
   * @param x the argument
   * @returns log x
   */
  log(x: number): number {
    return this.#exports.log(x);
  }

  /**
   * The module's `log` of each value of `values`, into `out` (which may be
   * `values`), through memory in one call per 65536 values.
   *
   * @param values the arguments
   * @param out the logs, same length
   */
  logs(values: Float64Array, out: Float64Array): void {
    const chunk = 65536;
    this.#reserve(8 * Math.min(chunk, values.length));
    for (let i = 0; i < values.length; i += chunk) {
      const n = Math.min(chunk, values.length - i);
      this.#f64.set(values.subarray(i, i + n));
      this.#exports.logs(DATA_AT, n);
      out.set(this.#f64.subarray(0, n), i);
    }
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
    this.#reserve(4 * counters.length);
    const words = this.#words;
    words.set(counters);
    this.#exports.counters(DATA_AT, k0, k1, counters.length >>> 2);
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
    instance = null;
    // the SIMD module where simd128 validates, else (or should it fail) the scalar one
    for (const simd of _wasmSimdSupported() ? [true, false] : [false]) {
      try {
        instance = new _PhiloxWasm(_philoxWasmBytes(simd));
        break;
      } catch {
        // try the next, or stay without WebAssembly
      }
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
