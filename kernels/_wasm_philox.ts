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

import { _LN2_HI, _LN2_LO, _LOG_POLY, _LOG_TABLE } from "./_log.ts";
import { _COS_TABLE, _SIN_TABLE } from "./_sincos.ts";

const M0 = 0xD2511F53;
const M1 = 0xCD9E8D57;
const W0 = 0x9E3779B9;
const W1 = 0xBB67AE85;
const ROUNDS = 10;

// Memory layout: the log table (97 entries of c, 1/c, log c hi, lo), the
// interleaved cos/sin table (4097 pairs), then the outputs.
const LOG_TABLE_AT = 0;
const SINCOS_AT = 8192;
const DATA_AT = 77824;

// opcodes (WebAssembly core spec, §5.4)
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, BR = 0x0c, BR_IF = 0x0d, END = 0x0b;
const VOID = 0x40, CALL = 0x10;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;
const I32_LOAD = 0x28, F64_LOAD = 0x2b, I32_STORE = 0x36, F32_STORE = 0x38, F64_STORE = 0x39;
const I32_CONST = 0x41, I64_CONST = 0x42, F64_CONST = 0x44;
const I32_EQZ = 0x45, I64_GE_U = 0x5a;
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_AND = 0x71, I32_XOR = 0x73, I32_SHL = 0x74;
const I32_SHR_U = 0x76,
  I64_AND = 0x83,
  I64_SUB = 0x7d,
  I64_MUL = 0x7e,
  I64_SHL = 0x86,
  I64_SHR_S = 0x87;
const I64_SHR_U = 0x88;
const F64_NEG = 0x9a, F64_SQRT = 0x9f, F64_ADD = 0xa0, F64_SUB = 0xa1, F64_MUL = 0xa2;
const F64_DIV = 0xa3;
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
      // ct = 1 − t2·(0.5 − t2·(1/24 − t2/720))
      ...f64Const(1),
      LOCAL_GET,
      t2!,
      ...f64Const(0.5),
      LOCAL_GET,
      t2!,
      ...f64Const(1 / 24),
      LOCAL_GET,
      t2!,
      ...f64Const(720),
      F64_DIV,
      F64_SUB,
      F64_MUL,
      F64_SUB,
      F64_MUL,
      F64_SUB,
      LOCAL_SET,
      ct!,
      // st = t·(1 − t2·(1/6 − t2/120))
      LOCAL_GET,
      t!,
      ...f64Const(1),
      LOCAL_GET,
      t2!,
      ...f64Const(1 / 6),
      LOCAL_GET,
      t2!,
      ...f64Const(120),
      F64_DIV,
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

/**
 * The bytes of the Philox WebAssembly module described in the module doc.
 *
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
export function _philoxWasmBytes(): Uint8Array<ArrayBuffer> {
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
  const code = [
    ...uleb(8),
    ...fillBody(),
    ...countersBody(),
    ...fillStepsBody(),
    ...normalsBody(false),
    ...normalsBody(true),
    ...expUniformStepsBody(),
    ...logBody(),
    ...logsBody(),
  ];
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
      SINCOS_AT + 16 * _COS_TABLE.length > DATA_AT
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

  /** Grows memory to hold at least `bytes` bytes of output at DATA_AT. */
  #reserve(bytes: number): void {
    const memory = this.#exports.memory;
    const need = DATA_AT + bytes;
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
