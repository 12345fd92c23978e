/**
 * Measurement operators y = A(x) for inverse problems with a diffusion
 * prior, acting row by row on batches that live on a {@linkcode Backend}.
 *
 * One interface covers what the guidance methods of `solvers/guidance/`
 * ask of an operator (the method table of ../shared/refs/inverse §1.2):
 * every operator applies `A`; differentiable ones give the vector–Jacobian
 * product (DPS, TDS, MPGD on a nonlinear A); linear ones give `Aᵀ`; and
 * where the structure allows, the singular value decomposition
 * `A = U diag(s) Vᵀ` applied implicitly (DDRM's "H_funcs", MCGdiff) and the
 * pseudo-inverse `A⁺` (DDNM, MCG, ΠGDM). Nothing here forms a dense matrix
 * unless the operator is one.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** A measurement operator `y = A(x)`, applied to each row of a batch. */
export interface MeasurementOperator {
  /** A short name for messages and listings, e.g. `"inpaint-box"`, `"dense 4×8"`. */
  readonly name: string;
  /** Length d_x of one input row x. */
  readonly inDim: number;
  /** Length d_y of one output row y. */
  readonly outDim: number;
  /** Whether A is linear (then it is a {@linkcode LinearOperator}). */
  readonly linear: boolean;
  /**
   * `out[r] = A(x[r])` for each of the n rows of `x` (n × inDim, row-major);
   * `out` is n × outDim on the same backend.
   */
  apply(x: DeviceArray, out: DeviceArray): Promise<void>;
  /**
   * The vector–Jacobian product `out[r] = (∂A/∂x at x[r])ᵀ v[r]`: `v` is
   * n × outDim, `out` n × inDim. Linear operators give `Aᵀ v`. Absent when
   * the operator cannot be differentiated.
   */
  vjp?(x: DeviceArray, v: DeviceArray, out: DeviceArray): Promise<void>;
}

/**
 * `A = U diag(s) Vᵀ`, applied without forming U or V where the operator's
 * structure allows. U is d_y × d_y and V is d_x × d_x, both orthogonal; the
 * first `rank` columns of each pair with the singular values.
 */
export interface OperatorSvd {
  /** Singular values s₁ ≥ s₂ ≥ … ≥ s_rank > 0. */
  readonly singularValues: Float64Array;
  /** `out = Vᵀ x` per row (n × inDim → n × inDim): the spectral coordinates. */
  applyVt(x: DeviceArray, out: DeviceArray): Promise<void>;
  /** `out = V c` per row (n × inDim → n × inDim). */
  applyV(c: DeviceArray, out: DeviceArray): Promise<void>;
  /** `out = Uᵀ y` per row (n × outDim → n × outDim). */
  applyUt(y: DeviceArray, out: DeviceArray): Promise<void>;
  /** `out = U c` per row (n × outDim → n × outDim). */
  applyU(c: DeviceArray, out: DeviceArray): Promise<void>;
}

/** A linear measurement operator, with its transpose and optional factorisations. */
export interface LinearOperator extends MeasurementOperator {
  /** Always true. */
  readonly linear: true;
  /** `out[r] = Aᵀ v[r]` (n × outDim → n × inDim). */
  applyTranspose(v: DeviceArray, out: DeviceArray): Promise<void>;
  /** The singular value decomposition, applied implicitly, where one is known. */
  readonly svd?: OperatorSvd;
  /** `out[r] = A⁺ y[r]`, the Moore–Penrose pseudo-inverse (n × outDim → n × inDim). */
  pseudoInverse?(y: DeviceArray, out: DeviceArray): Promise<void>;
}

/**
 * Whether an operator is linear (narrows the type).
 *
 * @param op the operator
 * @returns true for a {@linkcode LinearOperator}
 *
 * @example
 * ```ts
 * import { denseOperator } from "./dense.ts";
 * import { isLinearOperator } from "./operator.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isLinearOperator(denseOperator([[1, 2]])));
 * ```
 */
export function isLinearOperator(op: MeasurementOperator): op is LinearOperator {
  return op.linear === true && typeof (op as LinearOperator).applyTranspose === "function";
}

/**
 * Checks that `input` holds whole rows of `inWidth` and `out` holds the same
 * number of rows of `outWidth` on the same backend; returns the row count.
 * Every operator calls it before any work.
 *
 * @param what the operation, for messages (e.g. `"dense 4×8: apply"`)
 * @param input the input batch
 * @param inWidth the input row length
 * @param out the output batch
 * @param outWidth the output row length
 * @returns the number of rows n
 * @throws {SdenoTypeError} when the arrays are on different backends
 * @throws {SdenoRangeError} when a length is not a whole number of rows or the row counts differ
 *
 * @example
 * ```ts
 * import { checkRows } from "./operator.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * assert.equal(checkRows("A", b.zeros(6), 3, b.zeros(4), 2), 2);
 * assert.throws(() => checkRows("A", b.zeros(6), 3, b.zeros(5), 2), RangeError);
 * ```
 */
export function checkRows(
  what: string,
  input: DeviceArray,
  inWidth: number,
  out: DeviceArray,
  outWidth: number,
): number {
  if (input.backend !== out.backend) {
    throw new SdenoTypeError(`${what}: input and out must be on the same backend`);
  }
  if (inWidth <= 0 || input.length % inWidth !== 0) {
    throw new SdenoRangeError(
      `${what}: input must hold whole rows of ${inWidth}, got length ${quote(input.length)}`,
    );
  }
  const n = input.length / inWidth;
  if (out.length !== n * outWidth) {
    throw new SdenoRangeError(
      `${what}: out must hold ${n} rows of ${outWidth} (length ${n * outWidth}), got length ${
        quote(out.length)
      }`,
    );
  }
  return n;
}

/**
 * The vector–Jacobian product of any operator: its own `vjp`, or for a
 * linear operator without one, `Aᵀ v`.
 *
 * @param op the operator
 * @param x the points (n × inDim; unused by linear operators)
 * @param v the cotangents (n × outDim)
 * @param out the result (n × inDim)
 * @throws {SdenoTypeError} for a nonlinear operator without a vjp
 *
 * @example A linear operator without its own vjp uses its transpose
 * ```ts
 * import { denseOperator } from "./dense.ts";
 * import { operatorVjp, type LinearOperator } from "./operator.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const { vjp: _, ...rest } = denseOperator([[1, 2]]);
 * const op: LinearOperator = rest;
 * const b = new CpuBackend(), out = b.zeros(2);
 * await operatorVjp(op, b.zeros(2), b.upload([3]), out);
 * assert.deepEqual([...await b.download(out)], [3, 6]);
 * ```
 */
export async function operatorVjp(
  op: MeasurementOperator,
  x: DeviceArray,
  v: DeviceArray,
  out: DeviceArray,
): Promise<void> {
  if (typeof op.vjp === "function") return await op.vjp(x, v, out);
  if (isLinearOperator(op)) return await op.applyTranspose(v, out);
  throw new SdenoTypeError(`${op.name}: a nonlinear operator needs a vjp`);
}
