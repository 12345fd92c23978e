/**
 * The action of the matrix exponential on a vector, `exp(tA)·b`, for a sparse
 * (CSR) matrix, without forming `exp(tA)`: Al-Mohy & Higham, "Computing the
 * action of the matrix exponential, with an application to exponential
 * integrators", SIAM J. Sci. Comput. 33(2), 488–511 (2011), Algorithm 3.2.
 * The truncated Taylor series of degree m is applied s times to
 * `exp(tA/s)`; (m, s) minimise the number m·s of sparse products subject to
 * the backward error bound of the paper's θ_m table (unit roundoff 2⁻⁵³),
 * using 1-norm estimates of powers of A (Higham & Tisseur, SIAM J. Matrix
 * Anal. Appl. 21(4), 2000, Algorithm 2.4) when ‖tA‖₁ is large.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fnv1a32 } from "../../kernels/hash.ts";
import type { CsrMatrix } from "../../processes/rate_matrix.ts";
import { expmWasmModule } from "./_expm_wasm.ts";
import { ddAdd, ddMul, ddQuotient, twoSum } from "./_double_double.ts";

/** Options of {@linkcode expmMultiply}. */
export interface ExpmMultiplyOptions {
  /** The time t in `exp(tA)·b` (default 1); any finite number. */
  t?: number;
  /**
   * Use Aᵀ instead of A (default false): `exp(tAᵀ)·b`, the row vector
   * `bᵀ·exp(tA)` as a column. For a CTMC generator Q and an initial
   * distribution p(0), `expmMultiply(Q, p0, { t, transpose: true })` is p(t).
   */
  transpose?: boolean;
  /**
   * Whether to run the Taylor terms in WebAssembly where available (default true); `false` runs
   * the JavaScript twin, which gives the same bits, more slowly.
   */
  wasm?: boolean;
  /**
   * Relative tolerance of the Taylor truncation, in (0, 1) (default 2⁻⁵³,
   * the unit roundoff; the θ_m table is the one for 2⁻⁵³ and stays in use, a
   * looser tolerance only ends each series earlier).
   */
  tolerance?: number;
}

/** Result of {@linkcode expmMultiplyInfo}: the vector and how it was computed. */
export interface ExpmMultiplyResult {
  /** `exp(tA)·b` (or `exp(tAᵀ)·b`). */
  value: Float64Array;
  /** Taylor degree m* (0 when tA − tμI = 0). */
  degree: number;
  /** Number of steps s: the series is applied to exp(tA/s), s times. */
  steps: number;
  /** The shift μ = trace(A)/n: exp(tA) = e^{tμ}·exp(t(A − μI)). */
  shift: number;
  /** Sparse matrix–vector products, those of the norm estimates included. */
  matvecs: number;
}

// θ_m for u = 2⁻⁵³: Higham, Functions of Matrices (2008), Table A.3 (m ≤ 30), and Al-Mohy &
// Higham (2011), Table 3.1 (m = 35, …, 55).
const THETA: ReadonlyMap<number, number> = new Map([
  [1, 2.29e-16],
  [2, 2.58e-8],
  [3, 1.39e-5],
  [4, 3.40e-4],
  [5, 2.40e-3],
  [6, 9.07e-3],
  [7, 2.38e-2],
  [8, 5.00e-2],
  [9, 8.96e-2],
  [10, 1.44e-1],
  [11, 2.14e-1],
  [12, 3.00e-1],
  [13, 4.00e-1],
  [14, 5.14e-1],
  [15, 6.41e-1],
  [16, 7.81e-1],
  [17, 9.31e-1],
  [18, 1.09],
  [19, 1.26],
  [20, 1.44],
  [21, 1.62],
  [22, 1.82],
  [23, 2.01],
  [24, 2.22],
  [25, 2.43],
  [26, 2.64],
  [27, 2.86],
  [28, 3.08],
  [29, 3.31],
  [30, 3.54],
  [35, 4.7],
  [40, 6.0],
  [45, 7.2],
  [50, 8.5],
  [55, 9.9],
]);
const M_MAX = 55;
// p_max: the largest p with p(p − 1) ≤ m_max + 1 (Al-Mohy & Higham 2011, eq. 3.12)
const P_MAX = 8;
// ℓ: columns of the 1-norm estimates (the paper's choice, ℓ = 2)
const ELL = 2;
const ITMAX = 5;

// ln 2 split so that k·LN2_HI is exact for |k| < 2²⁰ (fdlibm's ln2_hi, ln2_lo)
const LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;

/**
 * e^{x/s} as a double-double (hi, lo) for a double x and an integer s ≥ 1, to about 1e-30
 * relative: x/s as a double-double (the remainder x − s·q is exact), then
 * e^{x/s} = 2^k·e^r with r = x/s − k·ln 2 (Cody–Waite, |r| ≤ 0.35) and e^r by its Taylor series
 * in double-double. Where e^{x/s} overflows or underflows, the plain double.
 */
function expOfQuotient(x: number, s: number): [number, number] {
  const plain = Math.exp(x / s);
  if (!(plain > 1e-300 && plain < 1e300)) return [plain, 0];
  const [qh, ql] = ddQuotient(x, s);
  const k = Math.round(qh / Math.LN2);
  let [rh, rl] = twoSum(qh - k * LN2_HI, ql);
  [rh, rl] = ddAdd(rh, rl, -k * LN2_LO, 0);
  // Σ_{j ≤ 27} r^j/j!, Horner from the top: 0.35²⁸/28! < 1e-41
  let [eh, el] = [1, 0];
  for (let j = 27; j >= 1; j--) {
    [eh, el] = ddMul(eh, el, rh, rl);
    [eh, el] = ddMul(eh, el, 1 / j, 0);
    [eh, el] = ddAdd(eh, el, 1, 0);
  }
  const f = 2 ** k;
  return [eh * f, el * f];
}

/** The operator M = t(A − μI) (or its transpose) in CSR with every diagonal entry stored. */
interface Operator {
  n: number;
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float64Array;
}

// The vectors of one run, by slot: the sum F and its compensation C, the current Taylor term B
// and the next Y, then the columns and scratch of the norm estimates (4–9) and the powers of M
// applied to their fixed starting columns (10, 11).
const F_SLOT = 0, C_SLOT = 1, B_SLOT = 2, Y_SLOT = 3, SLOTS = 12;

/**
 * The products of one run on n-vectors held in numbered slots (in WebAssembly memory or in
 * JavaScript arrays): `vec(k)` is a view of slot k, valid until the run ends.
 */
interface Session {
  vec(slot: number): Float64Array;
  /** slot dst = M·(slot src). */
  apply(src: number, dst: number): void;
  /** slot dst = Mᵀ·(slot src). */
  applyTransposed(src: number, dst: number): void;
  /**
   * One Taylor term: slot y = (M·slot b)/div, added to F with its rounding error into C;
   * returns [max|y|, max|F|].
   */
  term(b: number, y: number, div: number): [number, number];
  /** Products so far. */
  matvecs: number;
}

/** The exports of expm.wat that expmMultiply uses. */
interface MultiplyExports {
  memory: WebAssembly.Memory;
  normF: WebAssembly.Global;
  taylorTerm(...args: number[]): number;
  csrApply(rp: number, ci: number, va: number, x: number, y: number, n: number): void;
  csrApplyTransposed(rp: number, ci: number, va: number, x: number, y: number, n: number): void;
}

/** A session in WebAssembly (expm.wat), or undefined without it. */
function wasmSession(op: Operator): Session | undefined {
  const module = expmWasmModule();
  if (!module) return undefined;
  const ex = new WebAssembly.Instance(module, {}).exports as unknown as MultiplyExports;
  const { n } = op, nnz = op.values.length;
  // layout (bytes): rowPtr, colIdx, then (8-aligned) values and the slots
  const RP = 0, CI = 4 * (n + 1), VA = 8 * Math.ceil((CI + 4 * nnz) / 8);
  const V0 = VA + 8 * nnz, need = V0 + 8 * n * SLOTS;
  if (ex.memory.buffer.byteLength < need) {
    ex.memory.grow(Math.ceil((need - ex.memory.buffer.byteLength) / 65536));
  }
  const buf = ex.memory.buffer;
  new Int32Array(buf, RP, n + 1).set(op.rowPtr);
  new Int32Array(buf, CI, nnz).set(op.colIdx);
  new Float64Array(buf, VA, nnz).set(op.values);
  const at = (slot: number) => V0 + 8 * n * slot;
  const views = Array.from({ length: SLOTS }, (_, k) => new Float64Array(buf, at(k), n));
  const session: Session = {
    vec: (slot) => views[slot]!,
    apply(src, dst) {
      ex.csrApply(RP, CI, VA, at(src), at(dst), n);
      session.matvecs++;
    },
    applyTransposed(src, dst) {
      ex.csrApplyTransposed(RP, CI, VA, at(src), at(dst), n);
      session.matvecs++;
    },
    term(b, y, div) {
      const c2 = ex.taylorTerm(RP, CI, VA, at(b), at(y), at(F_SLOT), at(C_SLOT), n, div);
      session.matvecs++;
      return [c2, ex.normF.value as number];
    },
    matvecs: 0,
  };
  return session;
}

/** The JavaScript twin of wasmSession: the same operations in the same order, so the same bits. */
function jsSession(op: Operator): Session {
  const { n, rowPtr, colIdx, values } = op;
  const views = Array.from({ length: SLOTS }, () => new Float64Array(n));
  const session: Session = {
    vec: (slot) => views[slot]!,
    apply(src, dst) {
      const x = views[src]!, y = views[dst]!;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        const end = rowPtr[i + 1]!;
        for (let k = rowPtr[i]!; k < end; k++) acc += values[k]! * x[colIdx[k]!]!;
        y[i] = acc;
      }
      session.matvecs++;
    },
    applyTransposed(src, dst) {
      const x = views[src]!, y = views[dst]!;
      y.fill(0);
      for (let i = 0; i < n; i++) {
        const xi = x[i]!;
        if (xi === 0) continue;
        const end = rowPtr[i + 1]!;
        for (let k = rowPtr[i]!; k < end; k++) y[colIdx[k]!] = y[colIdx[k]!]! + values[k]! * xi;
      }
      session.matvecs++;
    },
    term(b, y, div) {
      const B = views[b]!, Y = views[y]!, F = views[F_SLOT]!, C = views[C_SLOT]!;
      let c2 = 0, normF = 0;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        const end = rowPtr[i + 1]!;
        for (let k = rowPtr[i]!; k < end; k++) acc += values[k]! * B[colIdx[k]!]!;
        const v = acc / div;
        Y[i] = v;
        const f = F[i]!, sum = f + v, bb = sum - f;
        C[i] = C[i]! + ((f - (sum - bb)) + (v - bb));
        F[i] = sum;
        c2 = Math.max(c2, Math.abs(v));
        normF = Math.max(normF, Math.abs(sum));
      }
      session.matvecs++;
      return [c2, normF];
    },
    matvecs: 0,
  };
  return session;
}

/** ‖M‖₁, the largest absolute column sum. */
function norm1(m: Operator): number {
  const col = new Float64Array(m.n);
  for (let k = 0; k < m.values.length; k++) {
    col[m.colIdx[k]!] = col[m.colIdx[k]!]! + Math.abs(m.values[k]!);
  }
  let best = 0;
  for (let j = 0; j < m.n; j++) if (col[j]! > best) best = col[j]!;
  return best;
}

/** A ±1 that looks random, fixed by (i, salt): the "random" columns of Algorithm 2.4. */
const sign = (i: number, salt: number) => (fnv1a32(`${salt}:${i}`) & 1 ? 1 : -1);

/**
 * An estimate (a lower bound, usually exact or within a factor 3) of ‖M^p‖₁ from products with
 * M^p and (Mᵀ)^p only: Higham & Tisseur (2000), Algorithm 2.4, with t = ℓ = 2 columns and at
 * most 5 iterations; columns 2.. of the start and the replacements of parallel columns are
 * fixed ±1 patterns instead of random ones, so the estimate is reproducible.
 */
function normest(m: Session, n: number, p: number, start: number[]): number {
  const t = Math.min(ELL, n);
  // slots: the columns X_j (4, 5), A^p X_j kept in (6, 7), scratch (8, 9); the first iteration's
  // A^p X_j are given (start), computed once for all p from the fixed starting columns
  const X = [4, 5], Y = [6, 7];
  const power = (src: number, dst: number, transposed: boolean) => {
    let from = src, to = 8;
    for (let k = 0; k < p; k++) {
      if (transposed) m.applyTransposed(from, to);
      else m.apply(from, to);
      from = to;
      to = to === 8 ? 9 : 8;
    }
    m.vec(dst).set(m.vec(from));
  };
  const history = new Set<number>();
  let estOld = 0, S: Int8Array[] = [], ind: number[] = [], indBest = -1;
  const parallel = (a: Int8Array, b: Int8Array) => {
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  for (let k = 1;; k++) {
    let est = 0, jBest = 0;
    for (let j = 0; j < t; j++) {
      if (k === 1) m.vec(Y[j]!).set(m.vec(start[j]!));
      else power(X[j]!, Y[j]!, false);
      const y = m.vec(Y[j]!);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(y[i]!);
      if (s > est) [est, jBest] = [s, j];
    }
    if ((est > estOld || k === 2) && k >= 2) indBest = ind[jBest]!;
    if (k >= 2 && est <= estOld) return estOld;
    estOld = est;
    if (k > ITMAX) return est;
    const SOld = S;
    S = Y.slice(0, t).map((slot) => {
      const y = m.vec(slot), c = new Int8Array(n);
      for (let i = 0; i < n; i++) c[i] = y[i]! >= 0 ? 1 : -1;
      return c;
    });
    if (SOld.length > 0 && S.every((c) => SOld.some((o) => parallel(c, o)))) return est;
    // a column parallel to an earlier one or to one of S_old is replaced by a fixed ±1 pattern
    for (let j = 0; j < S.length; j++) {
      for (let salt = 1; salt < 64; salt++) {
        const c = S[j]!;
        if (!S.slice(0, j).some((o) => parallel(c, o)) && !SOld.some((o) => parallel(c, o))) {
          break;
        }
        S[j] = Int8Array.from({ length: n }, (_, i) => sign(i, 1000 * k + 100 * j + salt));
      }
    }
    const h = new Float64Array(n);
    for (let j = 0; j < t; j++) {
      m.vec(X[j]!).set(S[j]!);
      power(X[j]!, Y[j]!, true);
      const z = m.vec(Y[j]!);
      for (let i = 0; i < n; i++) h[i] = Math.max(h[i]!, Math.abs(z[i]!));
    }
    let hMax = 0;
    for (let i = 0; i < n; i++) hMax = Math.max(hMax, h[i]!);
    if (k >= 2 && hMax === h[indBest]) return est;
    // the t largest h_i (first index on ties), overall and outside the history
    const top = (skip: (i: number) => boolean) => {
      const best: number[] = [];
      for (let i = 0; i < n; i++) {
        if (skip(i)) continue;
        if (best.length === t && h[i]! <= h[best[t - 1]!]!) continue;
        let at = best.length < t ? best.length : t - 1;
        while (at > 0 && h[best[at - 1]!]! < h[i]!) at--;
        best.splice(at, 0, i);
        if (best.length > t) best.pop();
      }
      return best;
    };
    if (top(() => false).every((i) => history.has(i))) return est;
    ind = top((i) => history.has(i));
    if (ind.length < t) return est;
    ind.forEach((i, j) => {
      const x = m.vec(X[j]!);
      x.fill(0);
      x[i] = 1;
      history.add(i);
    });
  }
}

/**
 * (m*, s) of Code Fragment 3.1 of Al-Mohy & Higham (2011): the smallest cost m·s over the θ_m
 * table, with s = ⌈‖M‖₁/θ_m⌉ when ‖M‖₁ is small enough (eq. 3.13), else s = ⌈α_p(M)/θ_m⌉ with
 * α_p = max(d_p, d_{p+1}), d_p ≈ ‖M^p‖₁^{1/p} estimated, over 2 ≤ p ≤ p_max and
 * p(p − 1) − 1 ≤ m ≤ m_max.
 */
function parameters(m: Session, n: number, norm: number): [number, number] {
  let bestM = 0, bestS = 0;
  const consider = (deg: number, s: number) => {
    if (bestM === 0 || deg * s < bestM * bestS) [bestM, bestS] = [deg, s];
  };
  if (norm <= (2 * ELL * P_MAX * (P_MAX + 3) * THETA.get(M_MAX)!) / M_MAX) {
    for (const [deg, theta] of THETA) consider(deg, Math.ceil(norm / theta));
    return [bestM, bestS];
  }
  // the starting columns of Algorithm 2.4 (e/n and a fixed ±1/n pattern) in slots 10 and 11,
  // advanced by one product per power as p grows
  const n0 = Math.min(ELL, n), start = [10, 11].slice(0, n0);
  let reached = 0;
  start.forEach((slot, j) => {
    const x = m.vec(slot);
    for (let i = 0; i < n; i++) x[i] = (j === 0 ? 1 : sign(i, j)) / n;
  });
  const d = new Map<number, number>();
  const dp = (p: number) => {
    if (!d.has(p)) {
      for (; reached < p; reached++) {
        for (const slot of start) {
          m.apply(slot, 8);
          m.vec(slot).set(m.vec(8));
        }
      }
      d.set(p, normest(m, n, p, start) ** (1 / p));
    }
    return d.get(p)!;
  };
  for (let p = 2; p <= P_MAX; p++) {
    const alpha = Math.max(dp(p), dp(p + 1));
    for (let deg = p * (p - 1) - 1; deg <= M_MAX; deg++) {
      const theta = THETA.get(deg);
      if (theta !== undefined) consider(deg, Math.ceil(alpha / theta));
    }
  }
  return [bestM, Math.max(bestS, 1)];
}

/** Checks a CSR matrix and returns M = t(A − μI) (or its transpose), with μ = trace(A)/n. */
function operator(
  what: string,
  a: CsrMatrix,
  t: number,
  transpose: boolean,
): { op: Operator; mu: number } {
  if (a === null || typeof a !== "object") {
    throw new SdenoTypeError(`${what}: a must be a CSR matrix or a RateMatrix, got ${quote(a)}`);
  }
  const { n, rowPtr, colIdx, values } = a;
  if (!Number.isInteger(n) || n < 1) {
    throw new SdenoTypeError(`${what}: a.n must be a positive integer, got ${quote(n)}`);
  }
  if (rowPtr?.length !== n + 1 || rowPtr[0] !== 0) {
    throw new SdenoTypeError(
      `${what}: a.rowPtr must have n + 1 = ${n + 1} entries starting at 0, got length ${
        quote(rowPtr?.length)
      }`,
    );
  }
  const nnz = rowPtr[n]!;
  if (colIdx?.length !== nnz || values?.length !== nnz) {
    throw new SdenoTypeError(
      `${what}: a.colIdx and a.values must have rowPtr[n] = ${quote(nnz)} entries, got ${
        quote(colIdx?.length)
      } and ${quote(values?.length)}`,
    );
  }
  let trace = 0;
  for (let i = 0; i < n; i++) {
    if (!(rowPtr[i + 1]! >= rowPtr[i]!)) {
      throw new SdenoTypeError(
        `${what}: a.rowPtr must not decrease, got ${quote(rowPtr[i + 1])} after ${
          quote(rowPtr[i])
        } at row ${i + 1}`,
      );
    }
    for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) {
      const j = colIdx[k]!, v = values[k]!;
      if (!Number.isInteger(j) || j < 0 || j >= n) {
        throw new SdenoRangeError(
          `${what}: a.colIdx[${k}] must be a column in [0, ${n}), got ${quote(j)}`,
        );
      }
      if (!Number.isFinite(v)) {
        throw new SdenoTypeError(`${what}: entry a[${i}][${j}] must be finite, got ${quote(v)}`);
      }
      if (j === i) trace += v;
    }
  }
  const mu = trace / n;
  // rows of M: those of A, or of Aᵀ; every diagonal entry present, μ subtracted once
  const counts = new Int32Array(n + 1);
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) {
      const j = colIdx[k]!;
      if (j === i) diag[i] = diag[i]! + values[k]!;
      else counts[(transpose ? j : i) + 1]!++;
    }
  }
  for (let i = 0; i < n; i++) counts[i + 1] = counts[i + 1]! + counts[i]! + 1;
  const rp = Int32Array.from(counts);
  const ci = new Int32Array(rp[n]!), va = new Float64Array(rp[n]!);
  const fill = Int32Array.from(rp.subarray(0, n));
  const put = (row: number, col: number, v: number) => {
    const at = fill[row]!++;
    ci[at] = col;
    va[at] = t * v;
  };
  // entries of each row in ascending column: below the diagonal, the diagonal, above
  const placed = new Uint8Array(n);
  const putDiagonal = (i: number) => {
    placed[i] = 1;
    put(i, i, diag[i]! - mu);
  };
  if (!transpose) {
    for (let i = 0; i < n; i++) {
      for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) {
        const j = colIdx[k]!;
        if (j === i) continue;
        if (j > i && !placed[i]) putDiagonal(i);
        put(i, j, values[k]!);
      }
      if (!placed[i]) putDiagonal(i);
    }
  } else {
    // the columns of A scattered in ascending row order: the rows of Aᵀ come out sorted
    for (let i = 0; i < n; i++) {
      for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) {
        const j = colIdx[k]!;
        if (j === i) continue;
        if (i > j && !placed[j]) putDiagonal(j);
        put(j, i, values[k]!);
      }
    }
    for (let j = 0; j < n; j++) if (!placed[j]) putDiagonal(j);
  }
  return { op: { n, rowPtr: rp, colIdx: ci, values: va }, mu };
}

/**
 * `exp(tA)·b` with its Taylor degree, number of steps and products (see
 * {@linkcode expmMultiply}).
 *
 * @param a the matrix in CSR (a `RateMatrix` is one)
 * @param b the vector, length n
 * @param options the time, transposition and tolerance
 * @returns the vector and how it was computed
 * @throws {SdenoTypeError} for a malformed CSR matrix, a non-finite entry or b of the wrong length
 * @throws {SdenoRangeError} for a column index out of range or a tolerance outside (0, 1)
 *
 * @example Taylor degree and steps of a two-state chain
 * ```ts
 * import { expmMultiplyInfo } from "./expm_multiply.ts";
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [3, -3]]);
 * const r = expmMultiplyInfo(q, [1, 0], { t: 0.5, transpose: true });
 * assert.ok(Math.abs(r.value[1]! - 0.25 * (1 - Math.exp(-2))) < 1e-15);
 * assert.equal(r.shift, -2);
 * assert.ok(r.degree > 0 && r.steps >= 1);
 * ```
 */
export function expmMultiplyInfo(
  a: CsrMatrix,
  b: ArrayLike<number>,
  options: ExpmMultiplyOptions = {},
): ExpmMultiplyResult {
  const what = "Cannot compute expmMultiply";
  const t = options.t ?? 1;
  checkFinite(what, "t", t);
  const tol = options.tolerance ?? 2 ** -53;
  checkFinite(what, "tolerance", tol);
  if (!(tol > 0 && tol < 1)) {
    throw new SdenoRangeError(`${what}: tolerance must be in (0, 1), got ${quote(tol)}`);
  }
  const transpose = options.transpose ?? false;
  if (typeof transpose !== "boolean") {
    throw new SdenoTypeError(`${what}: transpose must be a boolean, got ${quote(transpose)}`);
  }
  const { op, mu } = operator(what, a, t, transpose);
  const n = op.n;
  if (b === null || typeof b !== "object" || b.length !== n) {
    throw new SdenoTypeError(
      `${what}: b must be a vector of length n = ${n}, got length ${quote(b?.length)}`,
    );
  }
  for (let i = 0; i < n; i++) {
    const v = b[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new SdenoTypeError(`${what}: b[${i}] must be a finite number, got ${quote(v)}`);
    }
  }
  const session = options.wasm === false ? jsSession(op) : wasmSession(op) ?? jsSession(op);
  const norm = norm1(op);
  const [m, s] = norm === 0 ? [0, 1] : parameters(session, n, norm);
  // Algorithm 3.2, lines 5–15: F accumulates the Taylor terms of exp(M/s)·B, s times. Three
  // roundings that the s steps would otherwise compound are avoided: the terms are added with a
  // compensation (TwoSum), each term is divided by the exact integer s·j (one rounding, not a
  // rounded coefficient times the product), and η = e^{tμ/s} is applied in double-double, its
  // argument tμ/s too, so that η^s = e^{tμ} to about 1e-30 rather than to s roundings.
  const [eta, etaLo] = expOfQuotient(t * mu, s);
  const F = session.vec(F_SLOT), C = session.vec(C_SLOT);
  for (let i = 0; i < n; i++) F[i] = b[i]!;
  session.vec(B_SLOT).set(F);
  for (let step = 0; step < s; step++) {
    let cur = B_SLOT, next = Y_SLOT;
    const B = session.vec(cur);
    let c1 = 0;
    for (let i = 0; i < n; i++) c1 = Math.max(c1, Math.abs(B[i]!));
    C.fill(0);
    for (let j = 1; j <= m; j++) {
      const [c2, normF] = session.term(cur, next, s * j);
      [cur, next] = [next, cur];
      if (c1 + c2 <= tol * normF) break;
      c1 = c2;
    }
    const B0 = session.vec(B_SLOT);
    for (let i = 0; i < n; i++) {
      const f = eta * F[i]! + (eta * C[i]! + etaLo * F[i]!);
      F[i] = f;
      B0[i] = f;
    }
  }
  return { value: F.slice(), degree: m, steps: s, shift: mu, matvecs: session.matvecs };
}

/**
 * `exp(tA)·b` for a sparse matrix A, by Al-Mohy & Higham's Algorithm 3.2
 * (SIAM J. Sci. Comput. 33(2), 2011): shift by μ = trace(A)/n, choose the
 * Taylor degree m and the number of steps s from the θ_m table and (for large
 * ‖tA‖₁) 1-norm estimates of powers of A, then apply the truncated series s
 * times, each ended early once two successive terms are below the tolerance.
 * The cost is about m·s sparse products, each O(nnz); no dense n×n matrix is
 * formed, so it suits large generators where {@linkcode expm} cannot. The
 * Taylor terms are summed with a compensation. With `transpose: true` it
 * computes `exp(tAᵀ)·b`, i.e. a CTMC's distribution `p(t) = p(0)·exp(Qt)`.
 *
 * @param a the matrix in CSR (a `RateMatrix` is one)
 * @param b the vector, length n
 * @param options the time t (default 1), `transpose`, the tolerance
 * @returns `exp(tA)·b`, or `exp(tAᵀ)·b` with `transpose`
 * @throws {SdenoTypeError} for a malformed CSR matrix, a non-finite entry or b of the wrong length
 * @throws {SdenoRangeError} for a column index out of range or a tolerance outside (0, 1)
 *
 * @example The distribution of a two-state chain at t = 0.5
 * ```ts
 * import { expmMultiply } from "./expm_multiply.ts";
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [3, -3]]);
 * const p = expmMultiply(q, [1, 0], { t: 0.5, transpose: true });
 * // P₀₁(t) = a/(a+b)·(1 − e^{−(a+b)t})
 * assert.ok(Math.abs(p[1]! - 0.25 * (1 - Math.exp(-2))) < 1e-15);
 * assert.ok(Math.abs(p[0]! + p[1]! - 1) < 1e-15);
 * ```
 */
export function expmMultiply(
  a: CsrMatrix,
  b: ArrayLike<number>,
  options: ExpmMultiplyOptions = {},
): Float64Array {
  return expmMultiplyInfo(a, b, options).value;
}
