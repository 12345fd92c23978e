/**
 * The matrix exponential by scaling and squaring with Padé approximants,
 * Al-Mohy & Higham, "A new scaling and squaring algorithm for the matrix
 * exponential", SIAM J. Matrix Anal. Appl. 31(3), 970–989 (2009),
 * Algorithm 5.1, which refines Higham, SIAM J. Matrix Anal. Appl. 26(4),
 * 1179–1193 (2005).
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { factorial } from "../../kernels/factorial.ts";
import { _luFactor, _luSolve, _matmul, _norm1 } from "../../processes/_ctmc_linalg.ts";

/** Options of {@linkcode expm}. */
export interface ExpmOptions {
  /** Order n when `a` is a flat row-major array (default √length). */
  n?: number;
}

/** Result of {@linkcode expmInfo}: the exponential and how it was computed. */
export interface ExpmResult {
  /** `exp(A)`, row-major n×n. */
  value: Float64Array;
  /** Order n. */
  n: number;
  /** Padé degree m ∈ {3, 5, 7, 9, 13}. */
  degree: number;
  /** Number of squarings s (A was scaled by 2^−s). */
  squarings: number;
}

// θ_m of Al-Mohy & Higham (2009), Table 3.1 (m = 3…9) and §5 (θ₁₃ = 4.25).
const THETA3 = 1.495585217958292e-2;
const THETA5 = 2.539398330063230e-1;
const THETA7 = 9.504178996162932e-1;
const THETA9 = 2.097847961257068;
const THETA13 = 4.25;
const U = 2 ** -53;

/** Padé [m/m] coefficients of e^x scaled so b_m = 1: b_j = (2m−j)!/(j!(m−j)!) (Higham 2005, eq. 2.2). */
function _padeCoefficients(m: number): Float64Array {
  const b = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) {
    const num = factorial(2 * m - j);
    const den = factorial(j) * factorial(m - j);
    // exact integer quotient, rounded once to double
    b[j] = Number(num / den);
  }
  return b;
}
const PADE = new Map([3, 5, 7, 9, 13].map((m) => [m, _padeCoefficients(m)]));

/** 1/|c_{2m+1}| = (2m)!(2m+1)!/(m!)² of the backward error series (Al-Mohy & Higham 2009, eq. 5.1). */
function _cRecip(m: number): number {
  const f = factorial(m);
  return Number((factorial(2 * m) * factorial(2 * m + 1)) / (f * f));
}

/**
 * ℓ_m(A) = max(⌈log₂(α/u)/(2m)⌉, 0), α = |c_{2m+1}|·‖|A|^{2m+1}‖₁/‖A‖₁
 * (Al-Mohy & Higham 2009, Algorithm 5.1, line "ell"), the extra squarings
 * that keep the backward error below u. ‖|A|^k‖₁ is computed exactly, as the
 * largest column sum of a non-negative matrix: eᵀ|A|^k by k vector products.
 */
function _ell(a: Float64Array, n: number, m: number, scale: number): number {
  const absNorm = _norm1(a, n) * scale;
  if (absNorm === 0) return 0;
  let v = new Float64Array(n).fill(1);
  for (let k = 0; k < 2 * m + 1; k++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const vi = v[i]! * scale;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) w[j] = w[j]! + vi * Math.abs(a[i * n + j]!);
    }
    v = w;
  }
  let powNorm = 0;
  for (let j = 0; j < n; j++) powNorm = Math.max(powNorm, v[j]!);
  const alpha = powNorm / (absNorm * _cRecip(m));
  if (!(alpha > 0)) return 0;
  return Math.max(Math.ceil(Math.log2(alpha / U) / (2 * m)), 0);
}

function _checkMatrix(
  what: string,
  a: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  options: ExpmOptions,
): { data: Float64Array; n: number } {
  if (a === null || typeof a !== "object" || typeof a.length !== "number") {
    throw new SdenoTypeError(`${what}: a must be a square matrix, got ${quote(a)}`);
  }
  let data: Float64Array;
  let n: number;
  const first = (a as ArrayLike<unknown>)[0];
  if (a.length > 0 && typeof first === "object" && first !== null) {
    const rows = a as ArrayLike<ArrayLike<number>>;
    n = rows.length;
    data = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      if (row.length !== n) {
        throw new SdenoTypeError(
          `${what}: a must be square, row ${i} has length ${row.length} but there are ${n} rows`,
        );
      }
      for (let j = 0; j < n; j++) data[i * n + j] = row[j]!;
    }
  } else {
    const flat = a as ArrayLike<number>;
    n = options.n ?? Math.round(Math.sqrt(flat.length));
    checkInteger(what, "n", n, 1);
    if (n * n !== flat.length) {
      throw new SdenoTypeError(
        `${what}: a flat matrix must have n² entries, got ${flat.length} entries for n = ${n}`,
      );
    }
    data = Float64Array.from(flat);
  }
  if (n === 0) throw new SdenoRangeError(`${what}: a must have at least one row`);
  for (let k = 0; k < n * n; k++) {
    if (!Number.isFinite(data[k]!)) {
      throw new SdenoTypeError(
        `${what}: entry a[${Math.floor(k / n)}][${k % n}] must be finite, got ${quote(data[k])}`,
      );
    }
  }
  return { data, n };
}

/**
 * `exp(A)` with its Padé degree and number of squarings (see {@linkcode expm}).
 *
 * @param a an n×n matrix: rows, or a flat row-major array
 * @param options `n` for flat input
 * @returns the exponential, the Padé degree and the squarings
 * @throws {SdenoTypeError} for a non-square matrix or a non-finite entry
 *
 * @example A nilpotent matrix needs the lowest degree
 * ```ts
 * import { expmInfo } from "./expm.ts";
 * import assert from "node:assert/strict";
 * const r = expmInfo([[0, 1], [0, 0]]);
 * assert.deepEqual([...r.value], [1, 1, 0, 1]);
 * assert.equal(r.squarings, 0);
 * ```
 */
export function expmInfo(
  a: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  options: ExpmOptions = {},
): ExpmResult {
  const what = "Cannot compute expm";
  const { data: A, n } = _checkMatrix(what, a, options);
  if (n === 1) return { value: Float64Array.of(Math.exp(A[0]!)), n, degree: 0, squarings: 0 };
  const A2 = _matmul(A, A, n);
  const A4 = _matmul(A2, A2, n);
  const A6 = _matmul(A4, A2, n);
  const d4 = _norm1(A4, n) ** (1 / 4);
  const d6 = _norm1(A6, n) ** (1 / 6);
  const eta1 = Math.max(d4, d6);
  const powers = [A2, A4, A6];
  if (eta1 <= THETA3 && _ell(A, n, 3, 1) === 0) return _finish(A, powers, n, 3, 0);
  if (eta1 <= THETA5 && _ell(A, n, 5, 1) === 0) return _finish(A, powers, n, 5, 0);
  const A8 = _matmul(A4, A4, n);
  const d8 = _norm1(A8, n) ** (1 / 8);
  const eta3 = Math.max(d6, d8);
  if (eta3 <= THETA7 && _ell(A, n, 7, 1) === 0) return _finish(A, [...powers, A8], n, 7, 0);
  if (eta3 <= THETA9 && _ell(A, n, 9, 1) === 0) return _finish(A, [...powers, A8], n, 9, 0);
  const d10 = _norm1(_matmul(A4, A6, n), n) ** (1 / 10);
  const eta4 = Math.max(d8, d10);
  const eta5 = Math.min(eta3, eta4);
  let s = Math.max(Math.ceil(Math.log2(eta5 / THETA13)), 0);
  if (!Number.isFinite(s)) s = 0;
  s += _ell(A, n, 13, 2 ** -s);
  return _finish(A, powers, n, 13, s);
}

/** Evaluates r_m(2^−s A) from the powers and squares it s times (Higham 2005, eqs. 2.3–2.4). */
function _finish(
  A: Float64Array,
  powers: Float64Array[],
  n: number,
  m: number,
  s: number,
): ExpmResult {
  const b = PADE.get(m)!;
  const nn = n * n;
  const sc = 2 ** -s;
  const [A2, A4, A6, A8] = powers.map((p, k) => {
    // A^{2(k+1)} scaled by 2^{−2(k+1)s}
    const f = sc ** (2 * (k + 1));
    return f === 1 ? p : p.map((v) => v * f);
  }) as [Float64Array, Float64Array, Float64Array, Float64Array | undefined];
  const As = sc === 1 ? A : A.map((v) => v * sc);
  const Ueven = new Float64Array(nn); // odd part before multiplying by A
  const V = new Float64Array(nn);
  if (m === 13) {
    const w1 = new Float64Array(nn), z1 = new Float64Array(nn);
    for (let k = 0; k < nn; k++) {
      w1[k] = b[13]! * A6[k]! + b[11]! * A4[k]! + b[9]! * A2[k]!;
      z1[k] = b[12]! * A6[k]! + b[10]! * A4[k]! + b[8]! * A2[k]!;
    }
    const w = _matmul(A6, w1, n);
    const z = _matmul(A6, z1, n);
    for (let k = 0; k < nn; k++) {
      Ueven[k] = w[k]! + b[7]! * A6[k]! + b[5]! * A4[k]! + b[3]! * A2[k]!;
      V[k] = z[k]! + b[6]! * A6[k]! + b[4]! * A4[k]! + b[2]! * A2[k]!;
    }
    for (let i = 0; i < n; i++) {
      Ueven[i * n + i] = Ueven[i * n + i]! + b[1]!;
      V[i * n + i] = V[i * n + i]! + b[0]!;
    }
  } else {
    const pw = [undefined, A2, A4, A6, A8];
    for (let j = 1; 2 * j <= m; j++) {
      const P = pw[j]!;
      const bo = b[2 * j + 1]!, be = b[2 * j]!;
      for (let k = 0; k < nn; k++) {
        Ueven[k] = Ueven[k]! + bo * P[k]!;
        V[k] = V[k]! + be * P[k]!;
      }
    }
    for (let i = 0; i < n; i++) {
      Ueven[i * n + i] = Ueven[i * n + i]! + b[1]!;
      V[i * n + i] = V[i * n + i]! + b[0]!;
    }
  }
  const Um = _matmul(As, Ueven, n);
  // (V − U) X = (V + U)
  const P = new Float64Array(nn), Q = new Float64Array(nn);
  for (let k = 0; k < nn; k++) {
    P[k] = V[k]! + Um[k]!;
    Q[k] = V[k]! - Um[k]!;
  }
  let X: Float64Array = _luSolve(_luFactor(Q, n), P, n);
  let tmp: Float64Array = new Float64Array(nn);
  for (let k = 0; k < s; k++) {
    _matmul(X, X, n, tmp);
    [X, tmp] = [tmp, X];
  }
  return { value: X, n, degree: m, squarings: s };
}

/**
 * The matrix exponential `exp(A)` by scaling and squaring with a Padé
 * approximant of degree m ∈ {3, 5, 7, 9, 13}, chosen from the norms
 * `‖A^k‖₁^{1/k}` rather than `‖A‖₁` so fewer squarings are needed, with the
 * extra-squaring correction ℓ_m that avoids overscaling (Al-Mohy & Higham
 * 2009, Algorithm 5.1; no balancing). ‖A^k‖₁ is computed exactly, which is
 * cheap for the small dense generators this is meant for.
 *
 * @param a an n×n matrix: rows, or a flat row-major array
 * @param options `n` for flat input
 * @returns `exp(A)`, row-major n×n
 * @throws {SdenoTypeError} for a non-square matrix or a non-finite entry
 *
 * @example exp of a diagonal matrix
 * ```ts
 * import { expm } from "./expm.ts";
 * import assert from "node:assert/strict";
 * const e = expm([[1, 0], [0, -2]]);
 * assert.ok(Math.abs(e[0]! - Math.E) < 1e-15);
 * assert.ok(Math.abs(e[3]! - Math.exp(-2)) < 1e-16);
 * ```
 */
export function expm(
  a: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  options: ExpmOptions = {},
): Float64Array {
  return expmInfo(a, options).value;
}
