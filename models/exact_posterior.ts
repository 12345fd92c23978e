/**
 * Exact posteriors of linear Gaussian measurements `y = A x + σ_y n`,
 * n ~ N(0, I), under a Gaussian or a Gaussian-mixture prior: the tool that
 * scores any inverse-problem method against the truth (the exact benchmarks
 * of ../shared/refs/inverse §2–§3).
 *
 * For a Gaussian prior N(μ, Σ) the posterior is Gaussian (Bishop, "Pattern
 * Recognition and Machine Learning", 2006, eqs. 2.113–2.117, written in the
 * measurement space so σ_y = 0 works when A Σ Aᵀ is nonsingular):
 *
 * ```
 * S = A Σ Aᵀ + σ_y² I = L Lᵀ (Cholesky),   W = L⁻¹ A Σ
 * mean = μ + Wᵀ L⁻¹ (y − A μ),             cov = Σ − Wᵀ W
 * ```
 *
 * For a mixture Σ_k w_k N(μ_k, Σ_k) every component updates as above and the
 * weights become `w_k N(y; A μ_k, S_k) / Σ_j w_j N(y; A μ_j, S_j)`, formed in
 * logs with log-sum-exp (log N from the Cholesky factor of S_k).
 *
 * Samples are keyed: row r of a draw uses the Philox normals at counter
 * element `(pathOffset + r)·d + j` (purpose `posteriorSample`, step 0) and,
 * for a mixture, the uniform at element `pathOffset + r` (step 1) to pick its
 * component, so a row does not depend on how rows are batched. A sample is
 * `mean + Q √Λ z` with `cov = Q Λ Qᵀ` (the symmetric eigendecomposition by
 * one-sided Jacobi), which also covers the singular covariances of noiseless
 * measurements.
 *
 * @module
 */

import type { LinearOperator } from "./operators/operator.ts";
import { CpuBackend } from "../kernels/cpu_backend.ts";
import {
  checkInteger,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../kernels/errors.ts";
import { fillNormal, fillUniform, type Key } from "../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../kernels/purposes.ts";
import { denseSvd } from "./operators/_svd.ts";

/** A matrix given as rows, or flat row-major with its shape. */
export type MatrixInput =
  | readonly (readonly number[])[]
  | { readonly data: ArrayLike<number>; readonly rows: number; readonly cols: number };

/** A Gaussian prior N(mean, covariance). */
export interface GaussianPriorSpec {
  /** The mean, d numbers. */
  mean: ArrayLike<number>;
  /** The covariance, d × d (rows, or flat row-major of length d²), symmetric positive definite. */
  covariance: readonly (readonly number[])[] | ArrayLike<number>;
}

/** A Gaussian posterior. */
export interface GaussianPosterior {
  /** Dimension d. */
  readonly d: number;
  /** The mean, d numbers. */
  readonly mean: Float64Array;
  /** The covariance, d × d row-major. */
  readonly covariance: Float64Array;
}

/** A Gaussian-mixture prior Σ_k w_k N(μ_k, Σ_k). */
export interface MixturePriorSpec {
  /** K nonnegative weights (normalised here). */
  weights: ArrayLike<number>;
  /** K means of d numbers. */
  means: readonly ArrayLike<number>[];
  /**
   * K covariances, each d × d (rows or flat d²) or diagonal (d variances);
   * or one number v for v·I shared by all components.
   */
  covariances: readonly (readonly (readonly number[])[] | ArrayLike<number>)[] | number;
}

/** A Gaussian-mixture posterior. */
export interface MixturePosterior {
  /** Dimension d. */
  readonly d: number;
  /** K posterior weights, summing to 1. */
  readonly weights: Float64Array;
  /** Their logarithms (from log-sum-exp; −∞ for a zero weight). */
  readonly logWeights: Float64Array;
  /** K posterior means, each d numbers. */
  readonly means: Float64Array[];
  /** K posterior covariances, each d × d row-major. */
  readonly covariances: Float64Array[];
}

/** The measurement operator: a dense matrix (d_y × d) or a {@linkcode LinearOperator}, materialised. */
export type MeasurementMatrix = MatrixInput | LinearOperator;

/**
 * The dense matrix of a linear operator, by applying it to the d basis
 * vectors on the cpu backend (float64).
 *
 * @param op the operator
 * @returns A, outDim × inDim row-major
 *
 * @example
 * ```ts
 * import { materialiseOperator } from "./exact_posterior.ts";
 * import { denseOperator } from "./operators/dense.ts";
 * import assert from "node:assert/strict";
 * const a = await materialiseOperator(denseOperator([[1, 2], [3, 4]]));
 * assert.deepEqual([...a], [1, 2, 3, 4]);
 * ```
 */
export async function materialiseOperator(op: LinearOperator): Promise<Float64Array> {
  const d = op.inDim, m = op.outDim, b = new CpuBackend();
  const eye = new Float64Array(d * d);
  for (let i = 0; i < d; i++) eye[i * d + i] = 1;
  const x = b.upload(eye), out = b.zeros(d * m);
  await op.apply(x, out);
  const cols = await b.download(out); // row i = A e_i
  const a = new Float64Array(m * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < m; j++) a[j * d + i] = cols[i * m + j]!;
  return a;
}

async function matrixOf(
  what: string,
  a: MeasurementMatrix,
  d: number,
): Promise<{ a: Float64Array; m: number }> {
  if (a !== null && typeof a === "object" && "apply" in a && typeof a.apply === "function") {
    const op = a as LinearOperator;
    if (op.linear !== true || typeof op.applyTranspose !== "function") {
      throw new SdenoTypeError(
        `${what}: A must be linear (a matrix or a LinearOperator), got ${quote(op.name)}`,
      );
    }
    if (op.inDim !== d) {
      throw new SdenoRangeError(
        `${what}: A acts on ${quote(op.inDim)} numbers but the prior has dimension ${d}`,
      );
    }
    return { a: await materialiseOperator(op), m: op.outDim };
  }
  const { data, rows, cols } = flatten(what, "A", a as MatrixInput);
  if (cols !== d) {
    throw new SdenoRangeError(
      `${what}: A has ${quote(cols)} columns but the prior has dimension ${d}`,
    );
  }
  return { a: data, m: rows };
}

function flatten(
  what: string,
  name: string,
  a: MatrixInput,
): { data: Float64Array; rows: number; cols: number } {
  let data: Float64Array, rows: number, cols: number;
  if (Array.isArray(a)) {
    rows = a.length;
    cols = rows > 0 && Array.isArray(a[0]) ? a[0].length : 0;
    data = new Float64Array(rows * cols);
    a.forEach((row: unknown, i: number) => {
      if (!Array.isArray(row) || row.length !== cols) {
        throw new SdenoRangeError(
          `${what}: ${name} row ${i} must have ${cols} numbers, got ${quote(row)}`,
        );
      }
      row.forEach((v: number, j: number) => (data[i * cols + j] = v));
    });
  } else {
    const m = a as { data: ArrayLike<number>; rows: number; cols: number };
    if (
      m === null || typeof m !== "object" || !Number.isInteger(m.rows) || !Number.isInteger(m.cols)
    ) {
      throw new SdenoTypeError(
        `${what}: ${name} must be rows of numbers or { data, rows, cols }, got ${quote(a)}`,
      );
    }
    rows = m.rows;
    cols = m.cols;
    if (m.data?.length !== rows * cols) {
      throw new SdenoRangeError(
        `${what}: ${name}.data must hold ${rows * cols} numbers, got ${quote(m.data?.length)}`,
      );
    }
    data = Float64Array.from(m.data);
  }
  if (rows < 1 || cols < 1) {
    throw new SdenoRangeError(`${what}: ${name} must be non-empty, got ${rows} × ${cols}`);
  }
  checkFiniteArray(what, name, data);
  return { data, rows, cols };
}

function checkFiniteArray(what: string, name: string, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== "number" || !Number.isFinite(v[i])) {
      throw new SdenoRangeError(
        `${what}: ${name}[${i}] must be a finite number, got ${quote(v[i])}`,
      );
    }
  }
}

function vector(what: string, name: string, v: unknown, length?: number): Float64Array {
  if (v === null || typeof v !== "object" || typeof (v as ArrayLike<number>).length !== "number") {
    throw new SdenoTypeError(`${what}: ${name} must be an array of numbers, got ${quote(v)}`);
  }
  const a = v as ArrayLike<number>;
  if (length !== undefined && a.length !== length) {
    throw new SdenoRangeError(
      `${what}: ${name} must have ${length} numbers, got ${quote(a.length)}`,
    );
  }
  checkFiniteArray(what, name, a);
  return Float64Array.from(a);
}

/** A covariance given as d × d (rows or flat) or diagonal (d), checked symmetric. */
function covariance(what: string, name: string, c: unknown, d: number): Float64Array {
  let full: Float64Array;
  if (Array.isArray(c) && c.length === d && Array.isArray(c[0])) {
    full = flatten(what, name, c as number[][]).data;
    if (full.length !== d * d) {
      throw new SdenoRangeError(`${what}: ${name} must be ${d} × ${d}, got ${c.length} rows`);
    }
  } else {
    const flat = vector(what, name, c);
    if (flat.length === d) {
      full = new Float64Array(d * d);
      for (let i = 0; i < d; i++) full[i * d + i] = flat[i]!;
    } else if (flat.length === d * d) full = flat;
    else {
      throw new SdenoRangeError(
        `${what}: ${name} must be ${d} × ${d} or ${d} variances, got ${flat.length} numbers`,
      );
    }
  }
  let scale = 0;
  for (let i = 0; i < d; i++) scale = Math.max(scale, Math.abs(full[i * d + i]!));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(full[i * d + j]! - full[j * d + i]!) > 1e-12 * scale) {
        throw new SdenoRangeError(
          `${what}: ${name} must be symmetric, got (${i}, ${j}) = ${
            full[i * d + j]
          } and (${j}, ${i}) = ${full[j * d + i]}`,
        );
      }
    }
  }
  return full;
}

/** Lower Cholesky factor of an n × n SPD matrix, or undefined when a pivot is not positive. */
function cholesky(s: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diag = s[j * n + j]!;
    for (let k = 0; k < j; k++) diag -= l[j * n + k]! ** 2;
    if (!(diag > 0)) return undefined;
    const ljj = Math.sqrt(diag);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let acc = s[i * n + j]!;
      for (let k = 0; k < j; k++) acc -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = acc / ljj;
    }
  }
  return l;
}

/** Solves L X = B in place for B (n × cols, row-major). */
function forwardSolve(l: Float64Array, n: number, b: Float64Array, cols: number): void {
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < cols; c++) {
      let acc = b[i * cols + c]!;
      for (let k = 0; k < i; k++) acc -= l[i * n + k]! * b[k * cols + c]!;
      b[i * cols + c] = acc / l[i * n + i]!;
    }
  }
}

interface ComponentUpdate {
  mean: Float64Array;
  cov: Float64Array;
  /** log N(y; A μ, S). */
  logEvidence: number;
}

/** The measurement-space update of one Gaussian N(μ, Σ) (module doc). */
function update(
  what: string,
  which: string,
  mu: Float64Array,
  sigma: Float64Array,
  a: Float64Array,
  m: number,
  sy: number,
  y: Float64Array,
): ComponentUpdate {
  const d = mu.length;
  if (cholesky(sigma, d) === undefined) {
    throw new SdenoRangeError(`${what}: ${which} must be symmetric positive definite`);
  }
  // AΣ (m × d) and S = AΣAᵀ + σ²I (m × m)
  const as = new Float64Array(m * d);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) as[i * d + j] = as[i * d + j]! + aik * sigma[k * d + j]!;
    }
  }
  const s = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let acc = 0;
      for (let k = 0; k < d; k++) acc += as[i * d + k]! * a[j * d + k]!;
      s[i * m + j] = s[j * m + i] = acc;
    }
    s[i * m + i] = s[i * m + i]! + sy * sy;
  }
  const l = cholesky(s, m);
  if (l === undefined) {
    throw new SdenoRangeError(
      `${what}: A Σ Aᵀ + σ_y² I is singular for ${which} (σ_y = ${sy}); a noiseless measurement needs A Σ Aᵀ nonsingular (rows of A independent), or give σ_y > 0`,
    );
  }
  // r = L⁻¹ (y − Aμ), W = L⁻¹ AΣ
  const r = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let acc = y[i]!;
    for (let k = 0; k < d; k++) acc -= a[i * d + k]! * mu[k]!;
    r[i] = acc;
  }
  forwardSolve(l, m, r, 1);
  forwardSolve(l, m, as, d);
  const mean = Float64Array.from(mu);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < d; j++) mean[j] = mean[j]! + as[i * d + j]! * r[i]!;
  }
  const cov = new Float64Array(d * d);
  for (let p = 0; p < d; p++) {
    for (let q = 0; q <= p; q++) {
      let acc = 0;
      for (let i = 0; i < m; i++) acc += as[i * d + p]! * as[i * d + q]!;
      const v = 0.5 * (sigma[p * d + q]! + sigma[q * d + p]!) - acc;
      cov[p * d + q] = cov[q * d + p] = v;
    }
  }
  let logDet = 0, quad = 0;
  for (let i = 0; i < m; i++) {
    logDet += 2 * Math.log(l[i * m + i]!);
    quad += r[i]! * r[i]!;
  }
  return { mean, cov, logEvidence: -0.5 * (quad + logDet + m * Math.log(2 * Math.PI)) };
}

function checkSigma(what: string, sigmaY: number): number {
  if (typeof sigmaY !== "number" || !Number.isFinite(sigmaY) || sigmaY < 0) {
    throw new SdenoRangeError(`${what}: sigmaY must be a finite number ≥ 0, got ${quote(sigmaY)}`);
  }
  return sigmaY;
}

/**
 * The exact posterior of a Gaussian prior N(μ, Σ) under `y = A x + σ_y n`.
 *
 * @param prior the prior mean (d) and covariance (d × d, SPD)
 * @param a the operator: a dense d_y × d matrix or a linear operator (materialised)
 * @param sigmaY σ_y ≥ 0 (0 needs A Σ Aᵀ nonsingular)
 * @param y the measurement, d_y finite numbers
 * @returns the posterior mean and covariance
 * @throws {SdenoRangeError} for shapes that disagree, σ_y < 0, a non-finite y, a covariance that is not symmetric positive definite, or a singular noiseless problem
 * @throws {SdenoTypeError} for arguments of the wrong kind
 *
 * @example One coordinate observed with noise 1 from a standard normal prior
 * ```ts
 * import { exactGaussianPosterior } from "./exact_posterior.ts";
 * import assert from "node:assert/strict";
 * const post = await exactGaussianPosterior(
 *   { mean: [0, 0], covariance: [[1, 0], [0, 1]] }, [[1, 0]], 1, [2]);
 * const close = (a: ArrayLike<number>, b: number[]) => b.every((v, i) => Math.abs(a[i]! - v) < 1e-15);
 * assert.ok(close(post.mean, [1, 0]));
 * assert.ok(close(post.covariance, [0.5, 0, 0, 1]));
 * ```
 */
export async function exactGaussianPosterior(
  prior: GaussianPriorSpec,
  a: MeasurementMatrix,
  sigmaY: number,
  y: ArrayLike<number>,
): Promise<GaussianPosterior> {
  const what = "exactGaussianPosterior";
  if (prior === null || typeof prior !== "object") {
    throw new SdenoTypeError(`${what}: prior must be { mean, covariance }, got ${quote(prior)}`);
  }
  const mu = vector(what, "prior.mean", prior.mean);
  const d = mu.length;
  if (d < 1) throw new SdenoRangeError(`${what}: prior.mean must not be empty`);
  const sigma = covariance(what, "prior.covariance", prior.covariance, d);
  const sy = checkSigma(what, sigmaY);
  const { a: mat, m } = await matrixOf(what, a, d);
  const yy = vector(what, "y", y, m);
  const u = update(what, "the prior covariance", mu, sigma, mat, m, sy, yy);
  return { d, mean: u.mean, covariance: u.cov };
}

/**
 * The exact posterior of a Gaussian-mixture prior under `y = A x + σ_y n`:
 * each component's Gaussian update, with weights
 * `∝ w_k N(y; A μ_k, σ_y² I + A Σ_k Aᵀ)` by log-sum-exp.
 *
 * @param prior weights, means and covariances (full, diagonal, or a shared multiple of I)
 * @param a the operator: a dense d_y × d matrix or a linear operator (materialised)
 * @param sigmaY σ_y ≥ 0
 * @param y the measurement, d_y finite numbers
 * @returns the posterior weights (and their logs), means and covariances
 * @throws {SdenoRangeError} for shapes that disagree, σ_y < 0, a non-finite y, negative or all-zero weights, a covariance that is not symmetric positive definite
 * @throws {SdenoTypeError} for arguments of the wrong kind
 *
 * @example Two unit components at ±2, one noisy look at x = 2
 * ```ts
 * import { exactMixturePosterior } from "./exact_posterior.ts";
 * import assert from "node:assert/strict";
 * const post = await exactMixturePosterior(
 *   { weights: [0.5, 0.5], means: [[-2], [2]], covariances: 1 }, [[1]], 1, [2]);
 * // evidence N(2; ±2, 2): the ratio of weights is exp(−16/4) = e⁻⁴
 * assert.ok(Math.abs(post.weights[0]! / post.weights[1]! - Math.exp(-4)) < 1e-15);
 * assert.deepEqual([...post.means[1]!], [2]);
 * ```
 */
export async function exactMixturePosterior(
  prior: MixturePriorSpec,
  a: MeasurementMatrix,
  sigmaY: number,
  y: ArrayLike<number>,
): Promise<MixturePosterior> {
  const what = "exactMixturePosterior";
  if (prior === null || typeof prior !== "object") {
    throw new SdenoTypeError(
      `${what}: prior must be { weights, means, covariances }, got ${quote(prior)}`,
    );
  }
  const w = vector(what, "prior.weights", prior.weights);
  const k = w.length;
  if (k < 1) throw new SdenoRangeError(`${what}: prior.weights must not be empty`);
  let total = 0;
  w.forEach((v, i) => {
    if (v < 0) {
      throw new SdenoRangeError(`${what}: prior.weights[${i}] must be ≥ 0, got ${quote(v)}`);
    }
    total += v;
  });
  if (!(total > 0)) throw new SdenoRangeError(`${what}: prior.weights must not all be zero`);
  if (!Array.isArray(prior.means) || prior.means.length !== k) {
    throw new SdenoRangeError(
      `${what}: prior.means must hold K = ${k} means, got ${quote(prior.means?.length)}`,
    );
  }
  const first = vector(what, "prior.means[0]", prior.means[0]);
  const d = first.length;
  if (d < 1) throw new SdenoRangeError(`${what}: prior.means[0] must not be empty`);
  const means = prior.means.map((mu, i) => vector(what, `prior.means[${i}]`, mu, d));
  const covs = prior.covariances;
  let covOf: (i: number) => Float64Array;
  if (typeof covs === "number") {
    if (!Number.isFinite(covs) || covs <= 0) {
      throw new SdenoRangeError(
        `${what}: a shared prior.covariances must be a finite number > 0, got ${quote(covs)}`,
      );
    }
    const shared = new Float64Array(d * d);
    for (let i = 0; i < d; i++) shared[i * d + i] = covs;
    covOf = () => shared;
  } else {
    if (!Array.isArray(covs) || covs.length !== k) {
      throw new SdenoRangeError(
        `${what}: prior.covariances must hold K = ${k} covariances (or one number), got ${
          quote((covs as unknown[] | undefined)?.length)
        }`,
      );
    }
    covOf = (i) => covariance(what, `prior.covariances[${i}]`, covs[i], d);
  }
  const sy = checkSigma(what, sigmaY);
  const { a: mat, m } = await matrixOf(what, a, d);
  const yy = vector(what, "y", y, m);
  const ups = means.map((mu, i) => update(what, `component ${i}`, mu, covOf(i), mat, m, sy, yy));
  // log w_k + log N(y; Aμ_k, S_k), normalised by log-sum-exp
  const logits = ups.map((u, i) => Math.log(w[i]! / total) + u.logEvidence);
  const top = Math.max(...logits);
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - top);
  const logZ = top + Math.log(sum);
  const logWeights = Float64Array.from(logits, (l) => l - logZ);
  return {
    d,
    weights: logWeights.map(Math.exp),
    logWeights,
    means: ups.map((u) => u.mean),
    covariances: ups.map((u) => u.cov),
  };
}

/** Options of the posterior samplers. */
export interface PosteriorSampleOptions {
  /** Global index of the first row (default 0): rows drawn in pieces equal the rows drawn at once. */
  pathOffset?: number;
}

/** `Q √Λ` of a symmetric PSD matrix (d × d, row-major), columns beyond its rank zero. */
function sqrtFactor(what: string, c: Float64Array, d: number): Float64Array {
  const { u, s } = denseSvd(c, d, d);
  // For a symmetric PSD matrix, U = V and s are the eigenvalues; check PSD on the diagonal of UᵀCU.
  const f = new Float64Array(d * d);
  for (let k = 0; k < s.length; k++) {
    let rq = 0;
    for (let i = 0; i < d; i++) {
      let ci = 0;
      for (let j = 0; j < d; j++) ci += c[i * d + j]! * u[j * d + k]!;
      rq += u[i * d + k]! * ci;
    }
    if (rq < -1e-9 * s[0]!) {
      throw new NumericalError(`${what}: the covariance is not positive semidefinite`);
    }
    const r = Math.sqrt(s[k]!);
    for (let i = 0; i < d; i++) f[i * d + k] = u[i * d + k]! * r;
  }
  return f;
}

function checkDraw(what: string, n: number, key: Key, options: PosteriorSampleOptions): number {
  checkInteger(what, "n", n, 0);
  if (key === null || typeof key !== "object") {
    throw new SdenoTypeError(
      `${what}: key must be a Philox key { seed, stream }, got ${quote(key)}`,
    );
  }
  checkInteger(what, "key.seed", key.seed, 0, 0xffffffff);
  checkInteger(what, "key.stream", key.stream, 0, 0xffffffff);
  return checkInteger(what, "pathOffset", options.pathOffset ?? 0, 0);
}

function drawRows(
  out: Float64Array,
  rows: readonly number[],
  d: number,
  mean: Float64Array,
  factor: Float64Array,
  key: Key,
  pathOffset: number,
): void {
  const z = new Float64Array(d);
  for (const r of rows) {
    fillNormal(z, key, { purpose: PHILOX_PURPOSES.posteriorSample, offset: (pathOffset + r) * d });
    for (let i = 0; i < d; i++) {
      let acc = mean[i]!;
      for (let k = 0; k < d; k++) acc += factor[i * d + k]! * z[k]!;
      out[r * d + i] = acc;
    }
  }
}

/**
 * n keyed samples of a Gaussian posterior (module doc).
 *
 * @param posterior from {@linkcode exactGaussianPosterior}
 * @param n the number of samples
 * @param key the Philox key
 * @param options the first row's global index
 * @returns n × d samples, row-major
 * @throws {SdenoRangeError} for a bad n or pathOffset
 *
 * @example
 * ```ts
 * import { exactGaussianPosterior, sampleGaussianPosterior } from "./exact_posterior.ts";
 * import assert from "node:assert/strict";
 * const post = await exactGaussianPosterior({ mean: [0], covariance: [1] }, [[1]], 1, [2]);
 * const key = { seed: 1, stream: 0 };
 * const all = sampleGaussianPosterior(post, 4, key);
 * assert.deepEqual(sampleGaussianPosterior(post, 2, key, { pathOffset: 2 }), all.subarray(2));
 * ```
 */
export function sampleGaussianPosterior(
  posterior: GaussianPosterior,
  n: number,
  key: Key,
  options: PosteriorSampleOptions = {},
): Float64Array {
  const what = "sampleGaussianPosterior";
  const offset = checkDraw(what, n, key, options);
  const d = posterior.d;
  const out = new Float64Array(n * d);
  const factor = sqrtFactor(what, posterior.covariance, d);
  drawRows(out, Array.from({ length: n }, (_, r) => r), d, posterior.mean, factor, key, offset);
  return out;
}

/**
 * n keyed samples of a Gaussian-mixture posterior: row r picks its component
 * by the keyed uniform at element `pathOffset + r`, then draws from it.
 *
 * @param posterior from {@linkcode exactMixturePosterior}
 * @param n the number of samples
 * @param key the Philox key
 * @param options the first row's global index
 * @returns n × d samples, row-major
 * @throws {SdenoRangeError} for a bad n or pathOffset
 *
 * @example
 * ```ts
 * import { exactMixturePosterior, sampleMixturePosterior } from "./exact_posterior.ts";
 * import assert from "node:assert/strict";
 * const post = await exactMixturePosterior(
 *   { weights: [1, 1], means: [[-5], [5]], covariances: 1 }, [[1]], 0.1, [5]);
 * const x = sampleMixturePosterior(post, 100, { seed: 3, stream: 0 });
 * assert.ok(x.every((v) => Math.abs(v - 5) < 1));
 * ```
 */
export function sampleMixturePosterior(
  posterior: MixturePosterior,
  n: number,
  key: Key,
  options: PosteriorSampleOptions = {},
): Float64Array {
  const what = "sampleMixturePosterior";
  const offset = checkDraw(what, n, key, options);
  const d = posterior.d, k = posterior.weights.length;
  const u = new Float64Array(n);
  fillUniform(u, key, { step: 1, purpose: PHILOX_PURPOSES.posteriorSample, offset });
  const picks: number[][] = Array.from({ length: k }, () => []);
  for (let r = 0; r < n; r++) {
    let acc = 0, c = k - 1;
    for (let j = 0; j < k; j++) {
      acc += posterior.weights[j]!;
      if (u[r]! < acc) {
        c = j;
        break;
      }
    }
    // rounding past the last positive weight: the last component with weight > 0
    while (c > 0 && !(posterior.weights[c]! > 0)) c--;
    picks[c]!.push(r);
  }
  const out = new Float64Array(n * d);
  picks.forEach((rows, c) => {
    if (rows.length === 0) return;
    const factor = sqrtFactor(what, posterior.covariances[c]!, d);
    drawRows(out, rows, d, posterior.means[c]!, factor, key, offset);
  });
  return out;
}
