/**
 * A fast natural logarithm, table driven, shared bit for bit by JavaScript
 * ({@linkcode _log}) and the WebAssembly module (`philox.wat`, loaded by
 * `_wasm_philox.ts`), which does the same IEEE operations in the same order:
 * its code writes the constants here as hexadecimal floats, and the loader
 * copies the table into its memory.
 *
 * V8's `Math.log` costs about 17 ns a call, which dominated Box–Muller and
 * the SSA waiting times. The method is Tang's table-driven reduction (P. T. P.
 * Tang, "Table-driven implementation of the logarithm function in IEEE
 * floating-point arithmetic", ACM TOMS 16(4), 1990), reducing through the
 * bits as musl's and ARM optimized-routines' `log` do, without FMA:
 *
 * 1. `x = 2ᵉ·m` with `m ∈ [0.75, 1.5)`, from the high word of the bits:
 *    `tmp = hi(x) − hi(0.75)`, `e = tmp >> 20`, `m = x·2⁻ᵉ` (exact; the
 *    WebAssembly twin subtracts `e·2⁵²` from the bits, the same number).
 * 2. The table point `c` nearest to `m` in the bits: the top 7 mantissa
 *    bits of `m` rounded, `k = ((tmp & 0xFFFFF) + 2¹²) >> 13`, so `c` is
 *    `0.75 + k/256` below 1 and `1 + (k − 64)/128` above (129 points, each
 *    with ≤ 9 significant bits). `d = m − c` is exact (Sterbenz) and
 *    `|d/c| < 2⁻⁸`.
 * 3. `r = d·(1/c)` rounded, and its error `r_lo = ((d − r₁c) − r₂c)·(1/c)`
 *    where `r = r₁ + r₂` is split into 26 + 27 bits, so `r₁c` and `r₂c` and
 *    both subtractions are exact and `r + r_lo = d/c` to ~2⁻¹⁰⁴ relative (no
 *    FMA needed). The JavaScript twin splits with Veltkamp's constant, the
 *    WebAssembly one by masking the low 27 bits: the residual `d − r·c` is
 *    exact either way, so `r_lo` has the same bits.
 * 4. `log x = e·ln2 + log c + log1p(r)`; `ln2` and `log c` are split hi + lo
 *    (the hi parts multiples of 2⁻⁴², so `t₁ = e·ln2_hi + (log c)_hi` is
 *    exact), `hi = t₁ + r` with its rounding error recovered by Fast2Sum
 *    (`|t₁| > |r|` unless `t₁ = 0`), and `log1p(r) − r = r²·P(r)` by the
 *    Taylor series to `r⁷` in Estrin's scheme (truncation < 2⁻⁶⁷·|r|).
 *
 * Near 1 (`e = 0`, `c = 1`) every step is exact but the polynomial, so the
 * result has full relative accuracy: the error is within 1 ulp of the true
 * value everywhere (tests compare with `Math.log`). Tables are computed once
 * with BigInt fixed-point arithmetic (`atanh` series, 200 bits), so they do
 * not inherit `Math.log`'s rounding. Zero, negative, subnormal, infinite and
 * NaN inputs go to `Math.log` (imported by the WebAssembly module).
 *
 * This file imports nothing.
 *
 * @module
 */

/**
 * Table points `c_k`, `k = 0 … 128`: the doubles whose high word is
 * `0x3FE80000 + k·2¹³` (low word 0), i.e. `0.75 + k/256` below 1 and
 * `1 + (k − 64)/128` from 1 up to 1.5.
 */
export const _LOG_TABLE_SIZE = 129;
/** f64 values per table entry: `c`, `1/c`, `(log c)_hi`, `(log c)_lo`. */
export const _LOG_TABLE_STRIDE = 4;
/** Veltkamp's splitting constant `2²⁷ + 1`. */
export const _LOG_SPLIT = 134217729;
/** Taylor coefficients of `(log1p(r) − r)/r²`: `−1/2, 1/3, …, 1/7`. */
export const _LOG_POLY: readonly number[] = [-1 / 2, 1 / 3, -1 / 4, 1 / 5, -1 / 6, 1 / 7];

const FIXED_BITS = 200n;
const HI_BITS = 42n; // hi parts are multiples of 2^-42

/** `atanh(a/b)·2²⁰⁰` in BigInt fixed point, for `|a/b| ≤ 1/3`. */
function atanhFixed(a: bigint, b: bigint): bigint {
  let term = (a << FIXED_BITS) / b; // (a/b)^(2n+1), scaled
  let sum = 0n;
  const a2 = a * a, b2 = b * b;
  for (let n = 1n; term !== 0n; n += 2n) {
    sum += term / n;
    term = (term * a2) / b2;
  }
  return sum;
}

/** Splits a fixed-point value into a hi double (multiple of 2⁻⁴²) and a lo double. */
function splitFixed(v: bigint): [number, number] {
  const shift = FIXED_BITS - HI_BITS;
  const hiInt = (v + (1n << (shift - 1n))) >> shift; // nearest multiple of 2^-42
  const hi = Number(hiInt) / 2 ** Number(HI_BITS); // exact: |hiInt| < 2^42
  const lo = Number(v - (hiInt << shift)) / 2 ** Number(FIXED_BITS); // Number(bigint) rounds to nearest
  return [hi, lo];
}

/** `ln 2 = 2·atanh(1/3)`, as hi + lo. */
const [LN2_HI, LN2_LO] = splitFixed(2n * atanhFixed(1n, 3n));
/** The hi part of ln 2: a multiple of 2⁻⁴² (42 significant bits), so `e·ln2_hi` is exact. */
export const _LN2_HI: number = LN2_HI;
/** `ln 2 − ln2_hi`, rounded. */
export const _LN2_LO: number = LN2_LO;

/**
 * The table: for `k = 0 … 128`, entries `4k … 4k+3` are `c_k = p/256`
 * (`p = 192 + k` for `k ≤ 64`, `p = 2(128 + k)` above), `1/c_k` (rounded),
 * and `log c_k` as hi (a multiple of 2⁻⁴²) + lo, from
 * `log(p/256) = 2·atanh((p − 256)/(p + 256))`.
 */
export const _LOG_TABLE: Float64Array = (() => {
  const t = new Float64Array(_LOG_TABLE_STRIDE * _LOG_TABLE_SIZE);
  for (let k = 0; k < _LOG_TABLE_SIZE; k++) {
    const p = k <= 64 ? 192 + k : 2 * (128 + k - 64);
    const c = p / 256;
    const [hi, lo] = splitFixed(2n * atanhFixed(BigInt(p - 256), BigInt(p + 256)));
    t.set([c, 1 / c, hi, lo], _LOG_TABLE_STRIDE * k);
  }
  return t;
})();

/** `2⁻ᵉ` at index `e + 1022`, for the exponents `e = −1022 … 1024` of normal inputs. */
const POW2 = Float64Array.from({ length: 2047 }, (_, i) => 2 ** (1022 - i));

// Bit access to a double: the high 32-bit word (sign, exponent, top of the mantissa).
const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: word 1
const T = _LOG_TABLE;
const [A0, A1, A2, A3, A4, A5] = _LOG_POLY as [number, number, number, number, number, number];

/**
 * Natural logarithm, within 1 ulp of the exact value, several times faster
 * than `Math.log` in V8, and bit-identical to the WebAssembly `log` of
 * `philox.wat` (the same IEEE operations in the same order; no FMA).
 * Inputs that are not positive normal finite doubles (0, negatives,
 * subnormals, ±∞, NaN) return `Math.log(x)`.
 *
 * @param x the argument
 * @returns log x
 *
 * @example Agrees with Math.log to within one ulp, and exactly at 1
 * ```ts
 * import { _log } from "./_log.ts";
 * import assert from "node:assert/strict";
 * assert.equal(_log(1), 0);
 * assert.equal(_log(2), Math.LN2);
 * const u = 1 - 2 ** -33;
 * assert.ok(Math.abs(_log(u) - Math.log(u)) <= 2 ** -86);
 * assert.equal(_log(0), -Infinity);
 * ```
 *
 * @internal
 */
export function _log(x: number): number {
  F64[0] = x;
  const hx = I32[HI]!;
  if ((hx - 0x00100000) >>> 0 >= 0x7fe00000) return Math.log(x); // not positive, normal, finite
  const tmp = hx - 0x3fe80000;
  const e = tmp >> 20; // x = 2^e·m, m in [0.75, 1.5)
  const m = x * POW2[e + 1022]!; // exact
  const j = (((tmp & 0xfffff) + 0x1000) >> 13) << 2; // the nearest table point
  const c = T[j]!, invc = T[j + 1]!;
  const d = m - c; // exact
  const r = d * invc;
  const s = r * _LOG_SPLIT;
  const r1 = s - (s - r);
  const rlo = (d - r1 * c - (r - r1) * c) * invc; // (d − r·c)/c: the subtractions are exact
  const t1 = e * _LN2_HI + T[j + 2]!; // exact
  const hi = t1 + r;
  const r2 = r * r; // Estrin's scheme: shorter dependency chains than Horner's
  const p = r2 * (A0 + r * A1 + r2 * (A2 + r * A3) + r2 * r2 * (A4 + r * A5));
  return hi + (e * _LN2_LO + T[j + 3]! + rlo + (t1 - hi + r) + p);
}
