/**
 * Mergeable moments: count, means and co-moment sums M2 of a batch of rows,
 * combined pairwise by Chan, Golub & LeVeque's update ("Updating formulae and
 * a pairwise algorithm for computing sample variances", Stanford
 * STAN-CS-79-773, 1979; Amer. Statist. 37:242–247, 1983, eq. 2.1):
 *
 *   n = n_A + n_B,  δ = x̄_B − x̄_A,  x̄ = x̄_A + δ·n_B/n,
 *   M2 = M2_A + M2_B + δ·δᵀ·n_A·n_B/n,
 *
 * the co-moment form of the same update (Bennett et al., "Numerically
 * stable, single-pass, parallel statistics algorithms", IEEE Cluster 2009,
 * eq. 3). Columns come in groups of `dim`: M2 holds the full dim×dim
 * co-moment matrix of each group (dim = 1: one variance per column).
 *
 * Floating-point sums are not associative: merging the same parts in the
 * same order gives the same bits, so a sharded run that folds fixed blocks
 * in block order equals the unsharded run bit for bit.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

/** Count, means and co-moment sums of rows of `groups·dim` columns. */
export interface PartialMoments {
  /** Rows seen. */
  count: number;
  /** Columns per group: M2 holds each group's dim×dim co-moments. */
  dim: number;
  /** Column means, groups·dim (zeros when count is 0). */
  mean: Float64Array;
  /** Σ (x_a − x̄_a)(x_b − x̄_b) within each group, groups·dim·dim. */
  m2: Float64Array;
}

function checkPartial(what: string, name: string, p: PartialMoments): void {
  if (typeof p !== "object" || p === null) {
    throw new SdenoTypeError(`${what}: ${name} must be PartialMoments, got ${quote(p)}`);
  }
  if (!Number.isSafeInteger(p.count) || p.count < 0) {
    throw new SdenoRangeError(
      `${what}: ${name}.count must be a whole number, got ${quote(p.count)}`,
    );
  }
  if (!Number.isSafeInteger(p.dim) || p.dim < 1) {
    throw new SdenoRangeError(
      `${what}: ${name}.dim must be a whole number ≥ 1, got ${quote(p.dim)}`,
    );
  }
  if (!(p.mean instanceof Float64Array) || !(p.m2 instanceof Float64Array)) {
    throw new SdenoTypeError(`${what}: ${name}.mean and ${name}.m2 must be Float64Arrays`);
  }
  if (p.mean.length % p.dim !== 0 || p.m2.length !== p.mean.length * p.dim) {
    throw new SdenoTypeError(
      `${what}: ${name} must hold groups·dim means and groups·dim² co-moments (dim ${p.dim}), ` +
        `got ${p.mean.length} and ${p.m2.length}`,
    );
  }
}

/**
 * No rows yet: the identity of {@linkcode mergePartialMoments}.
 *
 * @param columns columns per row (a multiple of `dim`)
 * @param dim columns per co-moment group (default 1)
 * @returns count 0, zero means and co-moments
 *
 * @example
 * ```ts
 * import { emptyPartialMoments } from "./partial_moments.ts";
 * import assert from "node:assert/strict";
 * const p = emptyPartialMoments(4, 2);
 * assert.equal(p.count, 0);
 * assert.equal(p.m2.length, 8);
 * ```
 */
export function emptyPartialMoments(columns: number, dim = 1): PartialMoments {
  if (!Number.isSafeInteger(dim) || dim < 1) {
    throw new SdenoRangeError(
      `emptyPartialMoments: dim must be a whole number ≥ 1, got ${quote(dim)}`,
    );
  }
  if (!Number.isSafeInteger(columns) || columns < 0 || columns % dim !== 0) {
    throw new SdenoRangeError(
      `emptyPartialMoments: columns must be a whole multiple of dim = ${dim}, got ${
        quote(columns)
      }`,
    );
  }
  return { count: 0, dim, mean: new Float64Array(columns), m2: new Float64Array(columns * dim) };
}

/**
 * The moments of `rows` rows of `columns` values (row-major), by two passes:
 * the means, then the co-moments about them.
 *
 * @param data rows × columns values
 * @param options `columns`, and `dim` (columns per co-moment group, default 1)
 * @returns count, means and co-moment sums
 * @throws {SdenoTypeError} when the length is not a whole number of rows
 *
 * @example Two rows, one column
 * ```ts
 * import { partialMoments } from "./partial_moments.ts";
 * import assert from "node:assert/strict";
 * const p = partialMoments([1, 3], { columns: 1 });
 * assert.deepEqual([p.count, p.mean[0], p.m2[0]], [2, 2, 2]);
 * ```
 */
export function partialMoments(
  data: ArrayLike<number>,
  options: { columns: number; dim?: number },
): PartialMoments {
  const what = "partialMoments";
  const p = emptyPartialMoments(options.columns, options.dim ?? 1);
  const c = options.columns, dim = p.dim;
  if (c === 0 || data.length % c !== 0) {
    throw new SdenoTypeError(
      `${what}: data must hold whole rows of ${c} columns, got length ${quote(data.length)}`,
    );
  }
  const n = data.length / c;
  p.count = n;
  if (n === 0) return p;
  for (let r = 0; r < n; r++) for (let j = 0; j < c; j++) p.mean[j]! += data[r * c + j]!;
  for (let j = 0; j < c; j++) p.mean[j] = p.mean[j]! / n;
  for (let r = 0; r < n; r++) {
    for (let g = 0; g < c; g += dim) {
      for (let a = 0; a < dim; a++) {
        const da = data[r * c + g + a]! - p.mean[g + a]!;
        for (let b = 0; b < dim; b++) {
          p.m2[(g + a) * dim + b]! += da * (data[r * c + g + b]! - p.mean[g + b]!);
        }
      }
    }
  }
  return p;
}

/**
 * Chan, Golub & LeVeque's pairwise update: the moments of the rows of `a`
 * and `b` together. Neither input is changed. With the same inputs in the
 * same order the result has the same bits.
 *
 * @param a the first part (its rows come first)
 * @param b the second part
 * @returns the merged moments
 * @throws {SdenoTypeError} when the parts have different shapes
 *
 * @example Merging two halves equals the whole
 * ```ts
 * import { mergePartialMoments, partialMoments } from "./partial_moments.ts";
 * import assert from "node:assert/strict";
 * const x = [1, 2, 4, 8, 16, 32];
 * const m = mergePartialMoments(
 *   partialMoments(x.slice(0, 2), { columns: 1 }),
 *   partialMoments(x.slice(2), { columns: 1 }),
 * );
 * const whole = partialMoments(x, { columns: 1 });
 * assert.equal(m.count, 6);
 * assert.equal(m.mean[0], whole.mean[0]);
 * assert.ok(Math.abs(m.m2[0]! - whole.m2[0]!) < 1e-12 * whole.m2[0]!);
 * ```
 */
export function mergePartialMoments(a: PartialMoments, b: PartialMoments): PartialMoments {
  const what = "mergePartialMoments";
  checkPartial(what, "a", a);
  checkPartial(what, "b", b);
  if (a.dim !== b.dim || a.mean.length !== b.mean.length) {
    throw new SdenoTypeError(
      `${what}: the parts must have the same shape, got ${a.mean.length} columns in groups of ` +
        `${a.dim} and ${b.mean.length} in groups of ${b.dim}`,
    );
  }
  const copy = (p: PartialMoments): PartialMoments => ({
    count: p.count,
    dim: p.dim,
    mean: Float64Array.from(p.mean),
    m2: Float64Array.from(p.m2),
  });
  if (b.count === 0) return copy(a);
  if (a.count === 0) return copy(b);
  const n = a.count + b.count, dim = a.dim, c = a.mean.length;
  const fb = b.count / n, w = (a.count * b.count) / n;
  const out = emptyPartialMoments(c, dim);
  out.count = n;
  const delta = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    delta[j] = b.mean[j]! - a.mean[j]!;
    out.mean[j] = a.mean[j]! + delta[j]! * fb;
  }
  for (let g = 0; g < c; g += dim) {
    for (let x = 0; x < dim; x++) {
      for (let y = 0; y < dim; y++) {
        const k = (g + x) * dim + y;
        out.m2[k] = a.m2[k]! + b.m2[k]! + delta[g + x]! * delta[g + y]! * w;
      }
    }
  }
  return out;
}

/** Means, unbiased variances and covariances, and the means' standard errors. */
export interface MomentsSummary {
  /** Column means. */
  mean: Float64Array;
  /** Unbiased variances M2_aa/(n − 1) per column (NaN below 2 rows). */
  variance: Float64Array;
  /** Unbiased covariances within each group, groups·dim·dim. */
  covariance: Float64Array;
  /** √(variance / n) per column. */
  meanSe: Float64Array;
}

/**
 * Means, unbiased (co)variances (M2/(n − 1)) and the means' standard errors.
 *
 * @param p the moments
 * @returns the summary
 *
 * @example
 * ```ts
 * import { finishPartialMoments, partialMoments } from "./partial_moments.ts";
 * import assert from "node:assert/strict";
 * const s = finishPartialMoments(partialMoments([1, 3, 5], { columns: 1 }));
 * assert.deepEqual([s.mean[0], s.variance[0]], [3, 4]);
 * ```
 */
export function finishPartialMoments(p: PartialMoments): MomentsSummary {
  checkPartial("finishPartialMoments", "p", p);
  const n = p.count, dim = p.dim, c = p.mean.length;
  const covariance = p.m2.map((v) => v / (n - 1));
  const variance = Float64Array.from({ length: c }, (_, j) => {
    const g = j - (j % dim), a = j % dim;
    return covariance[(g + a) * dim + a]!;
  });
  return {
    mean: Float64Array.from(p.mean),
    variance,
    covariance,
    meanSe: variance.map((v) => Math.sqrt(v / n)),
  };
}
