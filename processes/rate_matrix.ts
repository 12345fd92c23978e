/**
 * Generators (rate matrices) of continuous-time Markov chains on states
 * 0 … n−1, stored in compressed sparse rows (CSR) whatever the input form.
 *
 * Convention (Norris, "Markov Chains", 1997, §2.1): `Q[i][j] ≥ 0` is the rate
 * of a jump i → j for i ≠ j, `Q[i][i] = −Σ_{j≠i} Q[i][j]`, so every row sums
 * to zero and `P(t) = exp(Q t)` is row-stochastic; distributions are row
 * vectors, `p(t) = p(0)·exp(Q t)`.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

/** A matrix in compressed sparse rows. */
export interface CsrMatrix {
  /** Order n. */
  n: number;
  /** Row pointers, length n + 1: row i holds entries `rowPtr[i] … rowPtr[i+1]−1`. */
  rowPtr: ArrayLike<number>;
  /** Column of each stored entry, ascending within a row. */
  colIdx: ArrayLike<number>;
  /** Value of each stored entry. */
  values: ArrayLike<number>;
}

/** Options of the {@linkcode RateMatrix} factories. */
export interface RateMatrixOptions {
  /**
   * Allowed row sum: `|Σ_j Q[i][j]| ≤ tolerance · max(1, Σ_{j≠i} Q[i][j])`
   * (default 1e-10).
   */
  tolerance?: number;
}

const WHAT = "Cannot build a rate matrix";

/**
 * A validated CTMC generator: finite entries, non-negative off-diagonal
 * rates, rows summing to zero within a tolerance. Build it with
 * {@linkcode RateMatrix.fromDense}, {@linkcode RateMatrix.fromCsr} or
 * {@linkcode RateMatrix.fromRates}.
 *
 * @example A two-state chain
 * ```ts
 * import { RateMatrix } from "./rate_matrix.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * assert.equal(q.get(1, 0), 2);
 * assert.equal(q.exitRate(1), 2);
 * assert.throws(() => RateMatrix.fromDense([[-1, 1], [-2, 2]]), /Q\[1\]\[0\]/);
 * ```
 */
export class RateMatrix {
  /** Number of states. */
  readonly n: number;
  /** How it was given: dense rows or CSR (storage is CSR either way). */
  readonly format: "dense" | "csr";
  /** CSR row pointers (length n + 1). */
  readonly rowPtr: Int32Array;
  /** CSR column indices, ascending within each row; the diagonal is stored. */
  readonly colIdx: Int32Array;
  /** CSR values. */
  readonly values: Float64Array;
  /** `q_i = −Q[i][i]`, the exit rate of each state. */
  readonly exitRates: Float64Array;

  private constructor(
    n: number,
    format: "dense" | "csr",
    rowPtr: Int32Array,
    colIdx: Int32Array,
    values: Float64Array,
    tolerance: number,
  ) {
    this.n = n;
    this.format = format;
    this.rowPtr = rowPtr;
    this.colIdx = colIdx;
    this.values = values;
    this.exitRates = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let off = 0;
      let diag = 0;
      let sum = 0;
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
        const j = colIdx[p]!;
        const v = values[p]!;
        if (!Number.isFinite(v)) {
          throw new SdenoTypeError(`${WHAT}: entry Q[${i}][${j}] must be finite, got ${quote(v)}`);
        }
        if (j === i) diag += v;
        else {
          if (v < 0) {
            throw new SdenoRangeError(
              `${WHAT}: off-diagonal rate Q[${i}][${j}] must be non-negative, got ${quote(v)}`,
            );
          }
          off += v;
        }
        sum += v;
      }
      if (!(Math.abs(sum) <= tolerance * Math.max(1, off))) {
        throw new SdenoRangeError(
          `${WHAT}: row ${i} must sum to zero (Q[${i}][${i}] = −Σ of its rates), got sum ${
            quote(sum)
          } with Q[${i}][${i}] = ${quote(diag)}`,
        );
      }
      this.exitRates[i] = -diag;
    }
  }

  /**
   * A generator from dense rows (an array of n rows of n numbers) or a flat
   * row-major array with `n` given.
   *
   * @param rows the matrix: `number[][]`, or a flat array of n² numbers
   * @param options row-sum `tolerance`, and `n` for flat input
   * @returns the validated generator
   * @throws {SdenoTypeError} for a non-square shape or a non-finite entry
   * @throws {SdenoRangeError} for a negative rate or a row not summing to zero
   *
   * @example The same chain, nested or flat
   * ```ts
   * import { RateMatrix } from "./rate_matrix.ts";
   * import assert from "node:assert/strict";
   * const a = RateMatrix.fromDense([[-3, 3], [1, -1]]);
   * const b = RateMatrix.fromDense(new Float64Array([-3, 3, 1, -1]), { n: 2 });
   * assert.deepEqual(a.toDense(), b.toDense());
   * assert.throws(() => RateMatrix.fromDense([[0, 0, 0], [0, 0]]), TypeError);
   * ```
   */
  static fromDense(
    rows: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
    options: RateMatrixOptions & { n?: number } = {},
  ): RateMatrix {
    const tol = _tolerance(options.tolerance);
    let n: number;
    let at: (i: number, j: number) => unknown;
    if (rows === null || typeof rows !== "object" || typeof rows.length !== "number") {
      throw new SdenoTypeError(`${WHAT}: rows must be an array of rows, got ${quote(rows)}`);
    }
    const first = (rows as ArrayLike<unknown>)[0];
    if (rows.length > 0 && typeof first === "object" && first !== null) {
      const r = rows as ArrayLike<ArrayLike<number>>;
      n = r.length;
      for (let i = 0; i < n; i++) {
        const row = r[i];
        if (!row || typeof row !== "object" || row.length !== n) {
          throw new SdenoTypeError(
            `${WHAT}: the matrix must be square, row ${i} has length ${
              quote(row?.length)
            } but there are ${n} rows`,
          );
        }
      }
      at = (i, j) => r[i]![j];
    } else {
      const flat = rows as ArrayLike<number>;
      n = options.n ?? Math.round(Math.sqrt(flat.length));
      if (!Number.isInteger(n) || n * n !== flat.length) {
        throw new SdenoTypeError(
          `${WHAT}: a flat matrix must have n² entries, got ${flat.length} entries for n = ${
            quote(n)
          }`,
        );
      }
      at = (i, j) => flat[i * n + j];
    }
    if (n === 0) throw new SdenoRangeError(`${WHAT}: the matrix must have at least one state`);
    const rowPtr = new Int32Array(n + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = at(i, j);
        if (typeof v !== "number") {
          throw new SdenoTypeError(
            `${WHAT}: entry Q[${i}][${j}] must be a number, got ${quote(v)}`,
          );
        }
        if (v !== 0 || i === j) {
          cols.push(j);
          vals.push(v);
        }
      }
      rowPtr[i + 1] = cols.length;
    }
    return new RateMatrix(
      n,
      "dense",
      rowPtr,
      Int32Array.from(cols),
      Float64Array.from(vals),
      tol,
    );
  }

  /**
   * A generator from CSR arrays. Columns must be ascending within a row; a
   * missing diagonal entry is an error only if the row has rates.
   *
   * @param csr `{ n, rowPtr, colIdx, values }`
   * @param options row-sum `tolerance`
   * @returns the validated generator (the arrays are copied)
   * @throws {SdenoTypeError} for inconsistent array lengths or indices
   * @throws {SdenoRangeError} for a negative rate or a row not summing to zero
   *
   * @example A 3-state cycle 0 → 1 → 2 → 0 at rate 1
   * ```ts
   * import { RateMatrix } from "./rate_matrix.ts";
   * import assert from "node:assert/strict";
   * const q = RateMatrix.fromCsr({
   *   n: 3,
   *   rowPtr: [0, 2, 4, 6],
   *   colIdx: [0, 1, 1, 2, 0, 2],
   *   values: [-1, 1, -1, 1, 1, -1],
   * });
   * assert.equal(q.get(2, 0), 1);
   * assert.equal(q.nnz, 6);
   * ```
   */
  static fromCsr(csr: CsrMatrix, options: RateMatrixOptions = {}): RateMatrix {
    const tol = _tolerance(options.tolerance);
    if (csr === null || typeof csr !== "object") {
      throw new SdenoTypeError(
        `${WHAT}: csr must be { n, rowPtr, colIdx, values }, got ${quote(csr)}`,
      );
    }
    const { n, rowPtr, colIdx, values } = csr;
    if (!Number.isInteger(n) || n < 1) {
      throw new SdenoRangeError(`${WHAT}: n must be a positive integer, got ${quote(n)}`);
    }
    if (!rowPtr || rowPtr.length !== n + 1) {
      throw new SdenoTypeError(
        `${WHAT}: rowPtr must have n + 1 = ${n + 1} entries, got ${quote(rowPtr?.length)}`,
      );
    }
    const nnz = rowPtr[n]!;
    if (!colIdx || !values || colIdx.length !== nnz || values.length !== nnz || rowPtr[0] !== 0) {
      throw new SdenoTypeError(
        `${WHAT}: colIdx and values must have rowPtr[n] = ${
          quote(nnz)
        } entries and rowPtr[0] must be 0`,
      );
    }
    for (let i = 0; i < n; i++) {
      const lo = rowPtr[i]!, hi = rowPtr[i + 1]!;
      if (!(hi >= lo)) {
        throw new SdenoTypeError(`${WHAT}: rowPtr must be non-decreasing, broken at row ${i}`);
      }
      for (let p = lo; p < hi; p++) {
        const j = colIdx[p]!;
        if (!Number.isInteger(j) || j < 0 || j >= n || (p > lo && j <= colIdx[p - 1]!)) {
          throw new SdenoTypeError(
            `${WHAT}: colIdx in row ${i} must be ascending integers in [0, ${n - 1}], got ${
              quote(j)
            }`,
          );
        }
      }
    }
    return new RateMatrix(
      n,
      "csr",
      Int32Array.from(rowPtr),
      Int32Array.from(colIdx),
      Float64Array.from(values),
      tol,
    );
  }

  /**
   * A generator from its off-diagonal rates `(i, j, rate)`; repeated pairs
   * add up and the diagonal is set to minus the row's total, so the rows sum
   * to zero exactly up to rounding.
   *
   * @param n number of states
   * @param rates triples `[from, to, rate]` with `from ≠ to`, `rate ≥ 0`
   * @returns the generator (format "csr")
   * @throws {SdenoRangeError} for a negative rate, `from = to` or an index out of range
   *
   * @example A birth–death chain on {0, 1, 2}
   * ```ts
   * import { RateMatrix } from "./rate_matrix.ts";
   * import assert from "node:assert/strict";
   * const q = RateMatrix.fromRates(3, [[0, 1, 2], [1, 2, 2], [1, 0, 1], [2, 1, 1]]);
   * assert.equal(q.get(1, 1), -3);
   * assert.throws(() => RateMatrix.fromRates(2, [[0, 1, -1]]), RangeError);
   * ```
   */
  static fromRates(
    n: number,
    rates: Iterable<readonly [number, number, number]>,
  ): RateMatrix {
    if (!Number.isInteger(n) || n < 1) {
      throw new SdenoRangeError(`${WHAT}: n must be a positive integer, got ${quote(n)}`);
    }
    const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
    for (const [i, j, r] of rates) {
      if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= n || j >= n) {
        throw new SdenoRangeError(
          `${WHAT}: rate indices must be in [0, ${n - 1}], got (${quote(i)}, ${quote(j)})`,
        );
      }
      if (i === j) {
        throw new SdenoRangeError(`${WHAT}: a rate needs from ≠ to, got Q[${i}][${j}]`);
      }
      if (!(r >= 0) || !Number.isFinite(r)) {
        throw new SdenoRangeError(
          `${WHAT}: rate Q[${i}][${j}] must be finite and non-negative, got ${quote(r)}`,
        );
      }
      const row = rows[i]!;
      row.set(j, (row.get(j) ?? 0) + r);
    }
    const rowPtr = new Int32Array(n + 1);
    let nnz = 0;
    for (let i = 0; i < n; i++) nnz += rows[i]!.size + 1;
    const colIdx = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      row.set(i, 0);
      let total = 0;
      for (const [j, v] of row) if (j !== i) total += v;
      row.set(i, -total);
      const cols = [...row.keys()].sort((a, b) => a - b);
      for (const j of cols) {
        colIdx[p] = j;
        values[p++] = row.get(j)!;
      }
      rowPtr[i + 1] = p;
    }
    return new RateMatrix(n, "csr", rowPtr, colIdx, values, 1e-10);
  }

  /** Number of stored entries (including the diagonal). */
  get nnz(): number {
    return this.rowPtr[this.n]!;
  }

  /** The largest exit rate `max_i q_i` (the uniformization rate). */
  get maxExitRate(): number {
    let m = 0;
    for (let i = 0; i < this.n; i++) if (this.exitRates[i]! > m) m = this.exitRates[i]!;
    return m;
  }

  /**
   * Entry `Q[i][j]`.
   *
   * @param i row (from)
   * @param j column (to)
   * @returns the entry, 0 when not stored
   */
  get(i: number, j: number): number {
    let lo = this.rowPtr[i]!, hi = this.rowPtr[i + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.colIdx[mid]!;
      if (c === j) return this.values[mid]!;
      if (c < j) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /**
   * Exit rate `q_i = −Q[i][i]` of state i.
   *
   * @param i the state
   * @returns the total rate of leaving it
   */
  exitRate(i: number): number {
    return this.exitRates[i]!;
  }

  /**
   * The matrix as a dense row-major array of n² entries.
   *
   * @returns a new Float64Array
   */
  toDense(): Float64Array {
    const n = this.n;
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let p = this.rowPtr[i]!; p < this.rowPtr[i + 1]!; p++) {
        out[i * n + this.colIdx[p]!] = this.values[p]!;
      }
    }
    return out;
  }

  /**
   * The row vector times the generator, `out = p·Q` (the master equation's
   * right-hand side `dp/dt = p·Q`).
   *
   * @param p a vector of length n
   * @param out destination of length n (default a new array)
   * @returns `out`
   */
  leftMultiply(p: ArrayLike<number>, out: Float64Array = new Float64Array(this.n)): Float64Array {
    out.fill(0);
    const { rowPtr, colIdx, values } = this;
    for (let i = 0; i < this.n; i++) {
      const pi = p[i]!;
      if (pi === 0) continue;
      for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) {
        out[colIdx[k]!] = out[colIdx[k]!]! + pi * values[k]!;
      }
    }
    return out;
  }
}

function _tolerance(t: unknown): number {
  const tol = t ?? 1e-10;
  if (typeof tol !== "number" || !(tol >= 0) || !Number.isFinite(tol)) {
    throw new SdenoRangeError(
      `${WHAT}: tolerance must be a finite non-negative number, got ${quote(t)}`,
    );
  }
  return tol;
}
