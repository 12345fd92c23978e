/**
 * A user-defined nonlinear measurement operator from two host functions on
 * one row in float64: `apply(x, out)` computes `A(x)` and the optional
 * `vjp(x, v, out)` computes `(∂A/∂x)ᵀ v` (what DPS, TDS and MPGD need on a
 * nonlinear A, e.g. phase retrieval `|Fx|` or a saturating sensor). Batches
 * are evaluated row by row on the host and written back to their backend.
 * {@linkcode checkVjp} compares the vjp with central finite differences, so a
 * user can test a hand-written derivative before running a method.
 *
 * @module
 */

import type { Backend, DeviceArray } from "../../kernels/backend.ts";
import { CpuBackend } from "../../kernels/cpu_backend.ts";
import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { checkRows, type MeasurementOperator } from "./operator.ts";
import { hostCopy, store } from "../_host.ts";

/** What {@linkcode nonlinearOperator} is built from. */
export interface NonlinearOperatorSpec {
  /** Name for messages (default `"nonlinear <outDim>×<inDim>"`). */
  name?: string;
  /** Length of x. */
  inDim: number;
  /** Length of y. */
  outDim: number;
  /** Writes `A(x)` (outDim numbers) into `out`, for one row x (inDim numbers). */
  apply(x: Float64Array, out: Float64Array): void;
  /** Writes `(∂A/∂x)ᵀ v` (inDim numbers) into `out`, for one row x and v (outDim numbers). */
  vjp?(x: Float64Array, v: Float64Array, out: Float64Array): void;
}

/**
 * A nonlinear operator from per-row host functions.
 *
 * @param spec dimensions, `apply` and optionally `vjp`
 * @returns the operator (`linear: false`; `vjp` present when given)
 * @throws {SdenoTypeError} when apply or vjp is not a function or a dimension is not an integer
 * @throws {SdenoRangeError} when a dimension is below 1
 *
 * @example y = x₀ x₁ with its gradient
 * ```ts
 * import { nonlinearOperator } from "./nonlinear.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const op = nonlinearOperator({
 *   inDim: 2, outDim: 1,
 *   apply: (x, out) => { out[0] = x[0]! * x[1]!; },
 *   vjp: (x, v, out) => { out[0] = v[0]! * x[1]!; out[1] = v[0]! * x[0]!; },
 * });
 * const b = new CpuBackend();
 * const y = b.zeros(1), g = b.zeros(2);
 * await op.apply(b.upload([3, 4]), y);
 * await op.vjp!(b.upload([3, 4]), b.upload([1]), g);
 * assert.deepEqual([...await b.download(y)], [12]);
 * assert.deepEqual([...await b.download(g)], [4, 3]);
 * ```
 */
export function nonlinearOperator(spec: NonlinearOperatorSpec): MeasurementOperator {
  const what = "nonlinearOperator";
  if (spec === null || typeof spec !== "object") {
    throw new SdenoTypeError(`${what}: spec must be an object, got ${quote(spec)}`);
  }
  const inDim = checkInteger(what, "inDim", spec.inDim, 1);
  const outDim = checkInteger(what, "outDim", spec.outDim, 1);
  if (typeof spec.apply !== "function") {
    throw new SdenoTypeError(`${what}: apply must be a function, got ${quote(spec.apply)}`);
  }
  if (spec.vjp !== undefined && typeof spec.vjp !== "function") {
    throw new SdenoTypeError(`${what}: vjp must be a function, got ${quote(spec.vjp)}`);
  }
  const name = spec.name ?? `nonlinear ${outDim}×${inDim}`;
  const applyRow = spec.apply, vjpRow = spec.vjp;
  const op: MeasurementOperator = {
    name,
    inDim,
    outDim,
    linear: false,
    apply: async (x, out) => {
      const n = checkRows(`${name}: apply`, x, inDim, out, outDim);
      const h = await hostCopy(x), res = new Float64Array(n * outDim);
      for (let r = 0; r < n; r++) {
        applyRow(
          h.subarray(r * inDim, (r + 1) * inDim),
          res.subarray(r * outDim, (r + 1) * outDim),
        );
      }
      await store(out, res);
    },
  };
  if (vjpRow === undefined) return op;
  return {
    ...op,
    vjp: async (x, v, out) => {
      const n = checkRows(`${name}: vjp`, v, outDim, out, inDim);
      checkRows(`${name}: vjp`, x, inDim, out, inDim);
      const hx = await hostCopy(x), hv = await hostCopy(v), res = new Float64Array(n * inDim);
      for (let r = 0; r < n; r++) {
        vjpRow(
          hx.subarray(r * inDim, (r + 1) * inDim),
          hv.subarray(r * outDim, (r + 1) * outDim),
          res.subarray(r * inDim, (r + 1) * inDim),
        );
      }
      await store(out, res);
    },
  };
}

/** Options of {@linkcode checkVjp}. */
export interface CheckVjpOptions {
  /** The finite-difference step h (default 1e-6·(1 + ‖x‖∞)). */
  step?: number;
  /** How many random directions (default 8). */
  directions?: number;
  /** The backend to evaluate on (default a cpu backend). */
  backend?: Backend;
}

/**
 * Compares an operator's vjp with central finite differences at one point:
 * for pseudo-random unit directions e and cotangents v,
 * `⟨vjp(x, v), e⟩` against `⟨v, (A(x + h e) − A(x − h e)) / 2h⟩`. The error of
 * the difference quotient is O(h²) for smooth A, so a correct vjp gives a
 * relative error near 1e-8 and a wrong one an O(1) error.
 *
 * @param op the operator (it must have a vjp)
 * @param x the point, inDim numbers
 * @param options the step, number of directions and backend
 * @returns the largest relative error `|fd − vjp| / max(1, |fd|, |vjp|)` over the directions
 * @throws {SdenoTypeError} when the operator has no vjp
 * @throws {SdenoRangeError} when x has the wrong length or a non-finite entry
 *
 * @example A correct gradient passes, a wrong one does not
 * ```ts
 * import { checkVjp, nonlinearOperator } from "./nonlinear.ts";
 * import assert from "node:assert/strict";
 * const square = (wrong: boolean) => nonlinearOperator({
 *   inDim: 2, outDim: 2,
 *   apply: (x, out) => { out[0] = x[0]! ** 2; out[1] = Math.sin(x[1]!); },
 *   vjp: (x, v, out) => { out[0] = 2 * x[0]! * v[0]!; out[1] = (wrong ? 1 : Math.cos(x[1]!)) * v[1]!; },
 * });
 * assert.ok(await checkVjp(square(false), new Float64Array([0.3, 1.2])) < 1e-6);
 * assert.ok(await checkVjp(square(true), new Float64Array([0.3, 1.2])) > 1e-2);
 * ```
 */
export async function checkVjp(
  op: MeasurementOperator,
  x: ArrayLike<number>,
  options: CheckVjpOptions = {},
): Promise<number> {
  const what = "checkVjp";
  if (typeof op?.vjp !== "function") {
    throw new SdenoTypeError(`${what}: operator ${quote(op?.name)} has no vjp to check`);
  }
  const d = op.inDim, m = op.outDim;
  if (x?.length !== d) {
    throw new SdenoRangeError(`${what}: x must have inDim = ${d} numbers, got ${quote(x?.length)}`);
  }
  let scale = 0;
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(x[i])) {
      throw new SdenoRangeError(`${what}: x[${i}] must be finite, got ${quote(x[i])}`);
    }
    scale = Math.max(scale, Math.abs(x[i]!));
  }
  const h = options.step ?? 1e-6 * (1 + scale);
  if (!(h > 0 && Number.isFinite(h))) {
    throw new SdenoRangeError(`${what}: step must be a finite number > 0, got ${quote(h)}`);
  }
  const count = checkInteger(what, "directions", options.directions ?? 8, 1);
  const b = options.backend ?? new CpuBackend();
  // deterministic pseudo-random directions and cotangents (no keyed randomness needed)
  const e = new Float64Array(count * d), v = new Float64Array(count * m);
  for (let i = 0; i < e.length; i++) e[i] = Math.sin(12.9898 * (i + 1)) * 43758.5453 % 1;
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(78.233 * (i + 1)) * 12345.6789 % 1;
  const plus = new Float64Array(count * d), minus = new Float64Array(count * d);
  const xs = new Float64Array(count * d);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < d; i++) {
      xs[k * d + i] = x[i]!;
      plus[k * d + i] = x[i]! + h * e[k * d + i]!;
      minus[k * d + i] = x[i]! - h * e[k * d + i]!;
    }
  }
  const arrays: DeviceArray[] = [];
  const up = (a: Float64Array) => {
    const r = b.upload(a);
    arrays.push(r);
    return r;
  };
  const zeros = (n: number) => {
    const r = b.zeros(n);
    arrays.push(r);
    return r;
  };
  try {
    const yp = zeros(count * m), ym = zeros(count * m), g = zeros(count * d);
    await op.apply(up(plus), yp);
    await op.apply(up(minus), ym);
    await op.vjp(up(xs), up(v), g);
    const hp = await b.download(yp), hm = await b.download(ym), hg = await b.download(g);
    let worst = 0;
    for (let k = 0; k < count; k++) {
      let fd = 0, an = 0;
      for (let j = 0; j < m; j++) fd += v[k * m + j]! * (hp[k * m + j]! - hm[k * m + j]!) / (2 * h);
      for (let i = 0; i < d; i++) an += hg[k * d + i]! * e[k * d + i]!;
      worst = Math.max(worst, Math.abs(fd - an) / Math.max(1, Math.abs(fd), Math.abs(an)));
    }
    return worst;
  } finally {
    for (const a of arrays) b.release(a);
  }
}
