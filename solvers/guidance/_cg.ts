// Conjugate gradients on a batch of independent symmetric positive
// (semi-)definite systems M x = b, one per row, on any Backend (Hestenes &
// Stiefel, "Methods of conjugate gradients for solving linear systems", J.
// Res. NBS 49, 1952; the form of Saad, "Iterative methods for sparse linear
// systems", 2nd ed., Algorithm 6.18). M is given only through its action on a
// batch of rows, so the normal equations AᵀA + … of the guidance methods are
// never formed. Each row has its own step sizes α and β: row r's iterates do
// not depend on the other rows, so results do not depend on batching.
//
// Row reductions (per-row dot products) run as a matrix product with a vector
// of ones, and per-row scalars are broadcast back the same way, so the whole
// iteration stays on the device.

import type { Backend, DeviceArray } from "../../kernels/backend.ts";
import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { defineMap } from "../../kernels/map.ts";

/** A batch of systems M x = b: the row length and M's action on n rows. */
export interface CgSystem {
  /** Length of one row (one system's unknowns). */
  readonly dim: number;
  /** `out = M p` for each of the n rows of `p` (n × dim); `out` is not `p`. */
  apply(p: DeviceArray, out: DeviceArray): Promise<void>;
}

/** Options of {@linkcode conjugateGradient}. */
export interface CgOptions {
  /** Number of iterations (≥ 1). */
  iterations: number;
  /**
   * Stop early once every row's residual ‖b − M x‖ is at most
   * `tolerance·‖b‖` (checked on the host after each iteration; default: run
   * all iterations without reading back).
   */
  tolerance?: number;
}

/** What {@linkcode conjugateGradient} reports. */
export interface CgResult {
  /** Iterations run. */
  iterations: number;
  /** Each row's residual norm ‖b − M x‖ at the end, when a tolerance was given. */
  residualNorms?: Float64Array;
}

const PRODUCT = defineMap({
  name: "guidance_cg_product",
  arity: 2,
  wgsl: "return x0 * x1;",
  cpu: (a, b) => a * b,
});

// a / b where b > 0 and a > floor, else 0: a converged row stops moving. The
// floor (a multiple of the row's first rᵀr) also stops a row whose residual
// has fallen to rounding level: on a singular consistent system (AᵀA +
// ρD_zᵀD_z has a null space) the next direction would be rounding noise with
// pᵀMp ≈ 0 and a huge step.
const SAFE_RATIO = defineMap({
  name: "guidance_cg_safe_ratio",
  arity: 3,
  wgsl: "return select(0.0, x0 / x1, x1 > 0.0 && x0 > x2);",
  cpu: (a, b, floor) => (b > 0 && a > floor ? a / b : 0),
});

// Relative floor of rᵀr below which a row counts as converged: (1e-13)² in
// float64, (1e-6)² in float32.
const FLOOR_F64 = 1e-26, FLOOR_F32 = 1e-12;

// x + s·p with s broadcast per row.
const AXPY = defineMap({
  name: "guidance_cg_axpy",
  arity: 3,
  wgsl: "return x0 + params[0] * x1 * x2;",
  cpu: (x, s, p, _d, params) => x + params[0]! * s * p,
});

/**
 * Per-row reductions and broadcasts for batches of n rows of length `dim`,
 * with the scratch they need (release with {@linkcode RowOps.release}).
 */
export class RowOps {
  /** The backend. */
  readonly backend: Backend;
  /** Row length. */
  readonly dim: number;
  /** Number of rows. */
  readonly rows: number;
  readonly #ones: DeviceArray;
  readonly #scratch: DeviceArray;

  /**
   * Scratch for `rows` rows of `dim`.
   *
   * @param backend the backend
   * @param rows the number of rows n
   * @param dim the row length
   */
  constructor(backend: Backend, rows: number, dim: number) {
    this.backend = backend;
    this.rows = rows;
    this.dim = dim;
    this.#ones = backend.upload(new Float64Array(dim).fill(1));
    this.#scratch = backend.zeros(rows * dim);
  }

  /**
   * `out[r] = Σ_j a[r, j]·c[r, j]` (out has n entries).
   *
   * @param a n × dim
   * @param c n × dim
   * @param out n
   */
  async dot(a: DeviceArray, c: DeviceArray, out: DeviceArray): Promise<void> {
    const b = this.backend;
    await b.map(PRODUCT, this.#scratch, [a, c]);
    await b.matmul(out, { a: this.#scratch, b: this.#ones, m: this.rows, k: this.dim, n: 1 });
  }

  /**
   * `out[r, j] = s[r]` (out is n × dim).
   *
   * @param s n
   * @param out n × dim
   */
  async broadcast(s: DeviceArray, out: DeviceArray): Promise<void> {
    await this.backend.matmul(out, { a: s, b: this.#ones, m: this.rows, k: 1, n: this.dim });
  }

  /** Frees the scratch. */
  release(): void {
    this.backend.release(this.#ones);
    this.backend.release(this.#scratch);
  }
}

/**
 * Runs conjugate gradients on the n systems `M x_r = b_r` (rows of `b` and
 * `x`, n × dim), starting from `x` and updating it in place. With M
 * symmetric positive definite, k iterations minimise the M-norm of the
 * error over the k-th Krylov space; in exact arithmetic `dim` iterations
 * solve the system. A row whose residual reaches exactly zero stays put.
 *
 * @param system the row length and M's action
 * @param b the right-hand sides (n × dim)
 * @param x the starting points, overwritten by the iterates (n × dim)
 * @param options the iteration count and an optional early-stopping tolerance
 * @returns the iterations run (and the final residual norms with a tolerance)
 * @throws {SdenoTypeError} when `b` and `x` are on different backends
 * @throws {SdenoRangeError} for iterations < 1, a negative tolerance or arrays that are not whole rows of `dim`
 */
export async function conjugateGradient(
  system: CgSystem,
  b: DeviceArray,
  x: DeviceArray,
  options: CgOptions,
): Promise<CgResult> {
  const what = "Cannot run conjugate gradients";
  const dim = checkInteger(what, "system.dim", system?.dim, 1);
  const iterations = checkInteger(what, "iterations", options?.iterations, 1);
  const tolerance = options.tolerance;
  if (tolerance !== undefined && !(tolerance >= 0)) {
    throw new SdenoRangeError(`${what}: tolerance must be ≥ 0, got ${quote(tolerance)}`);
  }
  if (b?.backend === undefined || b.backend !== x?.backend) {
    throw new SdenoTypeError(`${what}: b and x must be arrays on the same backend`);
  }
  if (b.length !== x.length || b.length % dim !== 0) {
    throw new SdenoRangeError(
      `${what}: b and x must hold the same whole rows of ${dim}, got lengths ${b.length} and ${x.length}`,
    );
  }
  const be = b.backend;
  const n = b.length / dim;
  const ops = new RowOps(be, n, dim);
  const owned: DeviceArray[] = [];
  const alloc = (len: number) => {
    const a = be.zeros(len);
    owned.push(a);
    return a;
  };
  try {
    const r = alloc(n * dim), p = alloc(n * dim), q = alloc(n * dim), s = alloc(n * dim);
    const t = alloc(n * dim);
    const rr = alloc(n), rrNew = alloc(n), pq = alloc(n), coef = alloc(n), floor = alloc(n);
    let bNorm: Float64Array | undefined;
    if (tolerance !== undefined) {
      await ops.dot(b, b, rr);
      bNorm = Float64Array.from(await be.download(rr), Math.sqrt);
    }
    // r = b − M x, p = r
    await system.apply(x, q);
    await be.lincomb(r, [[1, b], [-1, q]]);
    await be.lincomb(p, [[1, r]]);
    await ops.dot(r, r, rr);
    await be.lincomb(floor, [[be.precision === "f64" ? FLOOR_F64 : FLOOR_F32, rr]]);
    let done = 0;
    let norms: Float64Array | undefined;
    if (bNorm !== undefined) {
      norms = Float64Array.from(await be.download(rr), Math.sqrt);
      if (norms.every((v, i) => v <= tolerance! * bNorm![i]!)) {
        return { iterations: 0, residualNorms: norms };
      }
    }
    for (let k = 0; k < iterations; k++) {
      await system.apply(p, q);
      await ops.dot(p, q, pq);
      await be.map(SAFE_RATIO, coef, [rr, pq, floor]); // α = rᵀr / pᵀMp
      await ops.broadcast(coef, s);
      // (maps never write an array they read: webgpu cannot bind one buffer twice)
      await be.map(AXPY, t, [x, s, p], [1]); // x += α p
      await be.lincomb(x, [[1, t]]);
      await be.map(AXPY, t, [r, s, q], [-1]); // r −= α M p
      await be.lincomb(r, [[1, t]]);
      await ops.dot(r, r, rrNew);
      await be.map(SAFE_RATIO, coef, [rrNew, rr, floor]); // β = r'ᵀr' / rᵀr
      await ops.broadcast(coef, s);
      await be.map(AXPY, t, [r, s, p], [1]); // p = r + β p
      await be.lincomb(p, [[1, t]]);
      await be.lincomb(rr, [[1, rrNew]]);
      done = k + 1;
      if (bNorm !== undefined) {
        norms = Float64Array.from(await be.download(rr), Math.sqrt);
        if (norms.every((v, i) => v <= tolerance! * bNorm![i]!)) break;
      }
    }
    return norms === undefined ? { iterations: done } : { iterations: done, residualNorms: norms };
  } finally {
    for (const a of owned) be.release(a);
    ops.release();
  }
}
