/**
 * Sliced Wasserstein distance between two point clouds, and between a point
 * cloud and a target known through the exact quantiles of its projections.
 *
 * `SW_p(μ, ν) = ( (1/L) Σ_l W_p^p(θ_l#μ, θ_l#ν) )^(1/p)` where `θ_l#μ` is the
 * law of `⟨θ_l, X⟩`: a Monte Carlo estimate, over L fixed directions, of
 * `(∫_{S^{d−1}} W_p^p(θ#μ, θ#ν) dσ(θ))^(1/p)` (Rabin, Peyré, Delon & Bernot,
 * "Wasserstein barycenter and its application to texture mixing", SSVM 2011,
 * §3; Bonneel, Rabin, Peyré & Pfister, "Sliced and Radon Wasserstein
 * barycenters of measures", JMIV 51, 2015, eq. (7)). Each one-dimensional
 * `W_p` is exact (quantile coupling, see {@linkcode wasserstein1d}).
 *
 * @module
 */

import { fillNormal } from "../kernels/philox.ts";
import {
  checkInteger,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../kernels/errors.ts";
import { _checkBatch, _checkDim, _checkOptions, _checkSample } from "./_validate.ts";
import { checkOrder, rootP, wassersteinPowSorted } from "./_wasserstein.ts";

/** Options of {@linkcode slicedWasserstein}. */
export interface SlicedWassersteinOptions {
  /** Dimension of the points (required). */
  d: number;
  /** Order p ≥ 1 (default 2). */
  p?: number;
  /**
   * Projection directions, L×d point-major (row l is direction l). Rows are
   * normalised to unit length (a copy; the argument is not modified). When
   * given, `numDirections` and `seed` are ignored.
   */
  directions?: ArrayLike<number>;
  /** Number of random directions when `directions` is not given (default 64). */
  numDirections?: number;
  /**
   * Seed of the Philox key `{ seed, stream: 0 }` used to draw the random
   * directions (default 0): uniform on the sphere as normalised standard
   * normal vectors (Muller 1959).
   */
  seed?: number;
}

/** Options of {@linkcode slicedWassersteinToQuantiles}. */
export interface SlicedWassersteinToQuantilesOptions {
  /** Dimension of the points (required). */
  d: number;
  /**
   * Projection directions, L×d point-major, used as given (not normalised:
   * the quantiles belong to exactly these projections).
   */
  directions: ArrayLike<number>;
  /**
   * L×q table, point-major: row l holds the target's exact quantiles of
   * `⟨θ_l, X⟩` at levels `(j + 0.5)/q`, j = 0..q−1 (non-decreasing).
   */
  quantiles: ArrayLike<number>;
  /** Order p ≥ 1 (default 2). */
  p?: number;
}

/**
 * Sliced Wasserstein-p distance between the empirical distributions of two
 * point clouds (sizes may differ): for each unit direction θ, the exact 1-D
 * `W_p^p` between the sorted projections (quantile coupling, with unequal
 * sizes handled exactly through the merged quantile steps); these are
 * averaged over the directions, then the p-th root is taken.
 *
 * @param x first batch, n×d point-major (n ≥ 1)
 * @param y second batch, m×d point-major (m ≥ 1)
 * @param options `d` (required), `p` (default 2), `directions` or
 *   `numDirections` (default 64) and `seed` (default 0)
 * @returns `SW_p(x, y)`
 * @throws {SdenoTypeError} when a length is not a multiple of d, or d is missing
 * @throws {SdenoRangeError} when a batch is empty or non-finite, `p < 1`, a
 *   direction is zero, or `numDirections < 1`
 *
 * @example A shift moves every projection by ⟨θ, δ⟩
 * ```ts
 * import { slicedWasserstein } from "./sliced_wasserstein.ts";
 * import assert from "node:assert/strict";
 * const x = new Float64Array([0, 0, 1, 0, 0, 1, 3, 2]);
 * const y = x.map((v, i) => v + (i % 2 === 0 ? 3 : 4)); // shift by (3, 4)
 * // along (1, 0) and (0, 1) the 1-D distances are 3 and 4
 * const sw = slicedWasserstein(x, y, { d: 2, directions: [1, 0, 0, 1] });
 * assert.ok(Math.abs(sw - Math.sqrt((9 + 16) / 2)) < 1e-14);
 * assert.equal(slicedWasserstein(x, x, { d: 2 }), 0);
 * ```
 */
export function slicedWasserstein(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: SlicedWassersteinOptions,
): number {
  const what = "Cannot compute the sliced Wasserstein distance";
  _checkOptions(what, options);
  const d = _checkDim(what, options.d);
  const n = _checkBatch(what, "x", x, d);
  const m = _checkBatch(what, "y", y, d);
  const p = checkOrder(what, options.p ?? 2);
  const dirs = options.directions === undefined
    ? _randomDirections(what, d, options.numDirections ?? 64, options.seed ?? 0)
    : _normalisedDirections(what, options.directions, d);
  const L = dirs.length / d;
  const px = new Float64Array(n);
  const py = new Float64Array(m);
  let acc = 0;
  for (let l = 0; l < L; l++) {
    _project(x, dirs, l, d, px);
    _project(y, dirs, l, d, py);
    px.sort();
    py.sort();
    acc += wassersteinPowSorted(px, py, p);
  }
  return rootP(acc / L, p);
}

/**
 * Sliced Wasserstein-p distance between a point cloud and a target given by
 * exact quantile tables of its projections:
 *
 * `SW_p = ( (1/L) Σ_l ∫₀¹ |F_l⁻¹(u) − Q̃_l(u)|^p du )^(1/p)`
 *
 * where `F_l⁻¹` is the empirical quantile function of `⟨θ_l, x_i⟩` and `Q̃_l`
 * is the step function taking the value `Q_l((j + 0.5)/q)` on `(j/q, (j+1)/q]`
 * (the midpoint rule for the target's quantile function). When the sample
 * size n equals q this is exactly
 * `sqrt(mean_l mean_i (sort(x·θ_l)_i − Q_l((i + 0.5)/n))²)` for p = 2, the
 * `sw2_vs_target` metric and the floors of the diffusion reference set
 * (`refs/diffusion/README.md`, §3.4); for n ≠ q the same 1-D integral is
 * computed exactly over the merged steps.
 *
 * @param x batch, n×d point-major (n ≥ 1)
 * @param options `d`, `directions` (L×d), `quantiles` (L×q) and `p` (default 2)
 * @returns the sliced Wasserstein-p distance to the target
 * @throws {SdenoTypeError} when a length is not a multiple of d, the table's
 *   length is not a multiple of L, or a required option is missing
 * @throws {SdenoRangeError} when a value is non-finite, a quantile row
 *   decreases, or `p < 1`
 *
 * @example A sample that sits on the target's quantiles is at distance 0
 * ```ts
 * import { slicedWassersteinToQuantiles } from "./sliced_wasserstein.ts";
 * import assert from "node:assert/strict";
 * // target: uniform on [0, 1] along the first axis; levels (j + 0.5)/4
 * const quantiles = [0.125, 0.375, 0.625, 0.875];
 * const x = new Float64Array([0.875, 5, 0.125, 5, 0.625, 5, 0.375, 5]);
 * const sw = slicedWassersteinToQuantiles(x, { d: 2, directions: [1, 0], quantiles });
 * assert.equal(sw, 0);
 * const shifted = x.map((v, i) => (i % 2 === 0 ? v + 0.5 : v));
 * assert.equal(slicedWassersteinToQuantiles(shifted, { d: 2, directions: [1, 0], quantiles }), 0.5);
 * ```
 */
export function slicedWassersteinToQuantiles(
  x: ArrayLike<number>,
  options: SlicedWassersteinToQuantilesOptions,
): number {
  const what = "Cannot compute the sliced Wasserstein distance to quantiles";
  _checkOptions(what, options);
  const d = _checkDim(what, options.d);
  const n = _checkBatch(what, "x", x, d);
  const p = checkOrder(what, options.p ?? 2);
  if (options.directions === undefined) {
    throw new SdenoTypeError(`${what}: options.directions is required, got undefined`);
  }
  const L = _checkBatch(what, "directions", options.directions, d);
  if (options.quantiles === undefined) {
    throw new SdenoTypeError(`${what}: options.quantiles is required, got undefined`);
  }
  const table = options.quantiles;
  _checkSample(what, "quantiles", table);
  if (table.length % L !== 0) {
    throw new SdenoTypeError(
      `${what}: quantiles has length ${table.length}, which is not a multiple of ` +
        `the number of directions ${quote(L)}`,
    );
  }
  const perRow = table.length / L;
  for (let l = 0; l < L; l++) {
    for (let j = l * perRow + 1; j < (l + 1) * perRow; j++) {
      if (table[j]! < table[j - 1]!) {
        throw new SdenoRangeError(
          `${what}: quantiles row ${l} must be non-decreasing, but entry ${j - l * perRow} ` +
            `is ${quote(table[j])} after ${quote(table[j - 1])}`,
        );
      }
    }
  }
  const dirs = options.directions;
  const px = new Float64Array(n);
  let acc = 0;
  for (let l = 0; l < L; l++) {
    _project(x, dirs, l, d, px);
    px.sort();
    const row = ArrayBuffer.isView(table)
      ? (table as Float64Array).subarray(l * perRow, (l + 1) * perRow)
      : Array.prototype.slice.call(table, l * perRow, (l + 1) * perRow) as number[];
    acc += wassersteinPowSorted(px, row, p);
  }
  return rootP(acc / L, p);
}

/** @internal out[i] = ⟨x_i, θ_l⟩ */
function _project(
  x: ArrayLike<number>,
  dirs: ArrayLike<number>,
  l: number,
  d: number,
  out: Float64Array,
): void {
  const n = out.length;
  const o = l * d;
  if (d === 2) {
    const t0 = dirs[o]!;
    const t1 = dirs[o + 1]!;
    for (let i = 0; i < n; i++) out[i] = x[2 * i]! * t0 + x[2 * i + 1]! * t1;
    return;
  }
  for (let i = 0; i < n; i++) {
    let s = 0;
    const r = i * d;
    for (let k = 0; k < d; k++) s += x[r + k]! * dirs[o + k]!;
    out[i] = s;
  }
}

/** @internal copies the L×d directions and scales each row to unit length */
function _normalisedDirections(what: string, directions: unknown, d: number): Float64Array {
  const L = _checkBatch(what, "directions", directions, d);
  const out = Float64Array.from(directions as ArrayLike<number>);
  for (let l = 0; l < L; l++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += out[l * d + k]! ** 2;
    if (!(ss > 0)) {
      throw new SdenoRangeError(`${what}: directions row ${l} must be non-zero, got all zeros`);
    }
    const inv = 1 / Math.sqrt(ss);
    for (let k = 0; k < d; k++) out[l * d + k] = out[l * d + k]! * inv;
  }
  return out;
}

/** @internal L uniform directions on S^{d−1}: normalised Philox normals (Muller 1959) */
function _randomDirections(what: string, d: number, L: number, seed: number): Float64Array {
  checkInteger(what, "numDirections", L, 1);
  checkInteger(what, "seed", seed, 0, 0xffffffff);
  const out = new Float64Array(L * d);
  fillNormal(out, { seed, stream: 0 });
  for (let l = 0; l < L; l++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += out[l * d + k]! ** 2;
    // Box–Muller radii are > 0 for every draw, so a zero row cannot occur.
    if (!(ss > 0)) throw new NumericalError(`${what}: random direction ${l} is zero`);
    const inv = 1 / Math.sqrt(ss);
    for (let k = 0; k < d; k++) out[l * d + k] = out[l * d + k]! * inv;
  }
  return out;
}
