/**
 * A dense matrix as a measurement operator, with its SVD and pseudo-inverse
 * (computed once, in float64, by one-sided Jacobi) applied through the
 * backend's matrix product.
 *
 * @module
 */

import type { Backend, DeviceArray } from "../../kernels/backend.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { checkRows, type LinearOperator, type OperatorSvd } from "./operator.ts";
import { type DenseSvd, denseSvd } from "./_svd.ts";

/** A dense operator: a {@linkcode LinearOperator} that also exposes its matrix. */
export interface DenseOperator extends LinearOperator {
  /** The matrix A, outDim × inDim, row-major (float64). */
  readonly matrix: Float64Array;
  /** The SVD, computed on first use. */
  readonly svd: OperatorSvd;
  /** The pseudo-inverse, from the SVD. */
  pseudoInverse(y: DeviceArray, out: DeviceArray): Promise<void>;
  /** The float64 factors `A = U diag(s) Vᵀ` (U: outDim², V: inDim², row-major), computed on first use. */
  factors(): DenseSvd;
}

/** Options of {@linkcode denseOperator}. */
export interface DenseOperatorOptions {
  /** Name for messages (default `"dense <rows>×<cols>"`). */
  name?: string;
}

/**
 * The operator `y = A x` of a dense matrix.
 *
 * @param matrix the rows of A (d_y rows of d_x numbers), or a flat row-major array with its shape
 * @param options the operator's name
 * @returns the operator
 * @throws {SdenoTypeError} when the matrix is not a rectangular array of finite numbers
 *
 * @example Apply, transpose and pseudo-inverse on the cpu backend
 * ```ts
 * import { denseOperator } from "./dense.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const a = denseOperator([[2, 0, 0], [0, 1, 0]]);
 * const y = b.zeros(2), xt = b.zeros(3);
 * await a.apply(b.upload([1, 1, 1]), y);
 * assert.deepEqual([...await b.download(y)], [2, 1]);
 * await a.pseudoInverse(b.upload([2, 1]), xt);
 * const back = await b.download(xt);
 * assert.ok(Math.abs(back[0]! - 1) < 1e-15 && Math.abs(back[1]! - 1) < 1e-15 && back[2] === 0);
 * assert.deepEqual([...a.svd.singularValues], [2, 1]);
 * ```
 */
export function denseOperator(
  matrix: readonly (readonly number[])[] | { data: ArrayLike<number>; rows: number; cols: number },
  options: DenseOperatorOptions = {},
): DenseOperator {
  const { data, rows, cols } = flatten(matrix);
  const name = options.name ?? `dense ${rows}×${cols}`;
  let svd: DenseSvd | undefined;
  let pinv: Float64Array | undefined;
  const factors = () => (svd ??= denseSvd(data, rows, cols));
  const pinvMatrix = () => {
    if (pinv !== undefined) return pinv;
    const { u, s, v } = factors();
    // A⁺ = V_r diag(1/s) U_rᵀ, cols × rows.
    const p = new Float64Array(cols * rows);
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < rows; j++) {
        let acc = 0;
        for (let k = 0; k < s.length; k++) acc += v[i * cols + k]! * u[j * rows + k]! / s[k]!;
        p[i * rows + j] = acc;
      }
    }
    return (pinv = p);
  };
  // out (n × outW) = x (n × inW) · op(M) with M stored row-major.
  const product = async (
    what: string,
    x: DeviceArray,
    inW: number,
    out: DeviceArray,
    outW: number,
    m: Float64Array,
    transpose: boolean,
  ) => {
    const n = checkRows(`${name}: ${what}`, x, inW, out, outW);
    const b: Backend = x.backend;
    const dev = b.upload(m);
    try {
      await b.matmul(out, { a: x, b: dev, m: n, k: inW, n: outW, transB: transpose });
    } finally {
      b.release(dev);
    }
  };
  const svdView: OperatorSvd = {
    get singularValues() {
      return factors().s;
    },
    applyVt: (x, out) => product("Vᵀx", x, cols, out, cols, factors().v, false),
    applyV: (c, out) => product("Vc", c, cols, out, cols, factors().v, true),
    applyUt: (y, out) => product("Uᵀy", y, rows, out, rows, factors().u, false),
    applyU: (c, out) => product("Uc", c, rows, out, rows, factors().u, true),
  };
  return {
    name,
    inDim: cols,
    outDim: rows,
    linear: true,
    matrix: data,
    svd: svdView,
    factors,
    apply: (x, out) => product("apply", x, cols, out, rows, data, true),
    vjp: (_x, v, out) => product("vjp", v, rows, out, cols, data, false),
    applyTranspose: (v, out) => product("Aᵀv", v, rows, out, cols, data, false),
    pseudoInverse: (y, out) => product("A⁺y", y, rows, out, cols, pinvMatrix(), true),
  };
}

function flatten(
  matrix: readonly (readonly number[])[] | { data: ArrayLike<number>; rows: number; cols: number },
): { data: Float64Array; rows: number; cols: number } {
  const what = "denseOperator";
  if (Array.isArray(matrix)) {
    const rows = matrix.length;
    const cols = rows > 0 && Array.isArray(matrix[0]) ? matrix[0].length : 0;
    if (rows === 0 || cols === 0) {
      throw new SdenoTypeError(
        `${what}: matrix must be a non-empty array of rows, got ${quote(matrix)}`,
      );
    }
    const data = new Float64Array(rows * cols);
    matrix.forEach((row: unknown, i: number) => {
      if (!Array.isArray(row) || row.length !== cols) {
        throw new SdenoTypeError(`${what}: row ${i} must have ${cols} numbers, got ${quote(row)}`);
      }
      row.forEach((v: unknown, j: number) => (data[i * cols + j] = checkEntry(v, i, j)));
    });
    return { data, rows, cols };
  }
  const m = matrix as { data: ArrayLike<number>; rows: number; cols: number };
  if (
    m === null || typeof m !== "object" || !Number.isInteger(m.rows) || !Number.isInteger(m.cols) ||
    m.rows < 1 || m.cols < 1
  ) {
    throw new SdenoTypeError(
      `${what}: matrix must be rows of numbers or { data, rows, cols } with positive integer sizes, got ${
        quote(matrix)
      }`,
    );
  }
  if (m.data?.length !== m.rows * m.cols) {
    throw new SdenoRangeError(
      `${what}: data must hold rows·cols = ${m.rows * m.cols} numbers, got ${
        quote(m.data?.length)
      }`,
    );
  }
  const data = new Float64Array(m.rows * m.cols);
  for (let e = 0; e < data.length; e++) {
    data[e] = checkEntry(m.data[e], Math.floor(e / m.cols), e % m.cols);
  }
  return { data, rows: m.rows, cols: m.cols };
}

function checkEntry(v: unknown, i: number, j: number): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new SdenoTypeError(
      `denseOperator: entry (${i}, ${j}) must be a finite number, got ${quote(v)}`,
    );
  }
  return v;
}
