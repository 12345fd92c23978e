/**
 * Observations of Markov jump processes and their emission (noise) models:
 * many paths, each seen at its own strictly increasing times through a known
 * noise model — exact labels, label flips through a confusion matrix, or
 * Gaussian noise on a numeric state label (the continuous-time hidden Markov
 * model of Berghaus et al., "Foundation Inference Models for Markov Jump
 * Processes", NeurIPS 2024, §3, and of Metzner, Horenko & Schütte, Phys.
 * Rev. E 76, 066702, 2007).
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** One path seen at discrete times: `values[k]` is what was observed at `times[k]`. */
export interface MjpPathObservations {
  /** Observation times, strictly increasing, finite. */
  readonly times: Float64Array;
  /** Observed values: a state label (exact, confusion) or a number (Gaussian noise). */
  readonly values: Float64Array;
}

/** Observations of many independent paths of one chain on states 0 … n−1. */
export interface MjpObservations {
  /** Number of hidden states n. */
  readonly n: number;
  /** The paths, each with its own times. */
  readonly paths: readonly MjpPathObservations[];
}

/** The state is seen without error: `p(y | x = i) = [y = i]`. */
export interface ExactEmission {
  /** Discriminant. */
  readonly kind: "exact";
  /** Number of states. */
  readonly n: number;
}

/** Label flips: `p(y = j | x = i) = C[i][j]`, rows of C summing to 1. */
export interface ConfusionEmission {
  /** Discriminant. */
  readonly kind: "confusion";
  /** Number of states. */
  readonly n: number;
  /** The confusion matrix C, row-major n×n. */
  readonly matrix: Float64Array;
}

/** Gaussian noise on a numeric label: `p(y | x = i) = N(y; value_i, σ²)`. */
export interface GaussianEmission {
  /** Discriminant. */
  readonly kind: "gaussian";
  /** Number of states. */
  readonly n: number;
  /** The noise standard deviation σ > 0. */
  readonly sigma: number;
  /** The numeric label of each state (default `value_i = i`). */
  readonly values: Float64Array;
}

/** A known observation model (see {@linkcode emissionLikelihoods}). */
export type EmissionModel = ExactEmission | ConfusionEmission | GaussianEmission;

/**
 * Exact labels: the observed value is the hidden state.
 *
 * @param n the number of states, ≥ 1
 * @returns the emission model
 * @throws {SdenoRangeError} for n < 1
 *
 * @example
 * ```ts
 * import { emissionLikelihoods, exactEmission } from "./observations.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...emissionLikelihoods(exactEmission(3), 1)], [0, 1, 0]);
 * ```
 */
export function exactEmission(n: number): ExactEmission {
  checkInteger("Cannot build the exact emission", "n", n, 1);
  return { kind: "exact", n };
}

/**
 * Label flips through a confusion matrix, `C[i][j] = P(observe j | state i)`.
 * Rows must be non-negative and sum to 1 within `1e-12·n`.
 *
 * @param matrix C as rows, or flat row-major with `n`
 * @param n the order when `matrix` is flat
 * @returns the emission model (C copied)
 * @throws {SdenoTypeError} for a non-square matrix or a non-finite entry
 * @throws {SdenoRangeError} for a negative entry or a row not summing to 1
 *
 * @example
 * ```ts
 * import { confusionEmission, emissionLikelihoods } from "./observations.ts";
 * import assert from "node:assert/strict";
 * const c = confusionEmission([[0.9, 0.1], [0.2, 0.8]]);
 * assert.deepEqual([...emissionLikelihoods(c, 1)], [0.1, 0.8]);
 * assert.throws(() => confusionEmission([[0.9, 0.2], [0, 1]]), /row 0/);
 * ```
 */
export function confusionEmission(
  matrix: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  n?: number,
): ConfusionEmission {
  const what = "Cannot build the confusion emission";
  const c = _squareMatrix(what, "matrix", matrix, n);
  const m = Math.round(Math.sqrt(c.length));
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) {
      const v = c[i * m + j]!;
      if (v < 0) {
        throw new SdenoRangeError(
          `${what}: matrix[${i}][${j}] must be non-negative, got ${quote(v)}`,
        );
      }
      s += v;
    }
    if (!(Math.abs(s - 1) <= 1e-12 * m)) {
      throw new SdenoRangeError(
        `${what}: row ${i} of the matrix must sum to 1 (within ${1e-12 * m}), got ${quote(s)}`,
      );
    }
  }
  return { kind: "confusion", n: m, matrix: c };
}

/**
 * The symmetric flip: with probability ρ the label is replaced by one of
 * the other n − 1 labels chosen uniformly, so `C = (1 − ρ) I + ρ/(n − 1)(11ᵀ − I)`.
 *
 * @param n the number of states, ≥ 2
 * @param rho the flip probability, in [0, 1]
 * @returns the confusion emission
 * @throws {SdenoRangeError} for n < 2 or ρ outside [0, 1]
 *
 * @example 10% flips among 6 states
 * ```ts
 * import { symmetricFlipEmission } from "./observations.ts";
 * import assert from "node:assert/strict";
 * const c = symmetricFlipEmission(6, 0.1);
 * assert.equal(c.matrix[0], 0.9);
 * assert.ok(Math.abs(c.matrix[1]! - 0.02) < 1e-17);
 * ```
 */
export function symmetricFlipEmission(n: number, rho: number): ConfusionEmission {
  const what = "Cannot build the symmetric flip emission";
  checkInteger(what, "n", n, 2);
  if (typeof rho !== "number" || !(rho >= 0 && rho <= 1)) {
    throw new SdenoRangeError(`${what}: rho must be a number in [0, 1], got ${quote(rho)}`);
  }
  const c = new Float64Array(n * n).fill(rho / (n - 1));
  for (let i = 0; i < n; i++) c[i * n + i] = 1 - rho;
  return { kind: "confusion", n, matrix: c };
}

/**
 * Gaussian noise on a numeric state label: `y = value_x + σ ε`.
 *
 * @param n the number of states, ≥ 1
 * @param sigma the noise standard deviation, > 0
 * @param values the numeric label of each state (default `0, 1, …, n − 1`)
 * @returns the emission model
 * @throws {SdenoRangeError} for σ ≤ 0 (or NaN)
 * @throws {SdenoTypeError} for values of the wrong length or non-finite
 *
 * @example
 * ```ts
 * import { emissionLikelihoods, gaussianEmission } from "./observations.ts";
 * import assert from "node:assert/strict";
 * const g = gaussianEmission(2, 0.5);
 * const p = emissionLikelihoods(g, 0);
 * assert.ok(Math.abs(p[0]! - 1 / (0.5 * Math.sqrt(2 * Math.PI))) < 1e-15);
 * assert.throws(() => gaussianEmission(2, 0), /sigma/);
 * ```
 */
export function gaussianEmission(
  n: number,
  sigma: number,
  values?: ArrayLike<number>,
): GaussianEmission {
  const what = "Cannot build the Gaussian emission";
  checkInteger(what, "n", n, 1);
  if (typeof sigma !== "number" || !(sigma > 0) || !Number.isFinite(sigma)) {
    throw new SdenoRangeError(
      `${what}: sigma must be a positive finite number, got ${quote(sigma)}`,
    );
  }
  const v = new Float64Array(n);
  if (values === undefined) {
    for (let i = 0; i < n; i++) v[i] = i;
  } else {
    if (values === null || typeof values !== "object" || values.length !== n) {
      throw new SdenoTypeError(
        `${what}: values must have one entry per state (${n}), got ${quote(values)}`,
      );
    }
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw new SdenoTypeError(`${what}: values[${i}] must be a finite number, got ${quote(x)}`);
      }
      v[i] = x;
    }
  }
  return { kind: "gaussian", n, sigma, values: v };
}

/**
 * The emission likelihoods `p(y | x = i)`, i = 0 … n − 1, of one observed
 * value (the diagonal of `E_k` in the forward algorithm). The value must be
 * valid for the model (see {@linkcode checkMjpObservations}); a label
 * outside 0 … n − 1 is refused.
 *
 * @param model the emission model
 * @param observation the observed value y
 * @param out where to write (default a new array)
 * @returns `p(y | x = i)` for each state i
 * @throws {SdenoRangeError} for a label outside 0 … n − 1 or a non-finite value
 *
 * @example Gaussian noise on labels 0, 1, 2
 * ```ts
 * import { emissionLikelihoods, gaussianEmission } from "./observations.ts";
 * import assert from "node:assert/strict";
 * const p = emissionLikelihoods(gaussianEmission(3, 1), 1);
 * assert.ok(Math.abs(p[0]! / p[1]! - Math.exp(-0.5)) < 1e-15);
 * ```
 */
export function emissionLikelihoods(
  model: EmissionModel,
  observation: number,
  out: Float64Array = new Float64Array(model.n),
): Float64Array {
  const n = model.n;
  const bad = _badValue(model, observation);
  if (bad !== undefined) {
    throw new SdenoRangeError(`Cannot evaluate the emission: observation ${bad}`);
  }
  switch (model.kind) {
    case "exact":
      out.fill(0);
      out[observation] = 1;
      break;
    case "confusion":
      for (let i = 0; i < n; i++) out[i] = model.matrix[i * n + observation]!;
      break;
    case "gaussian": {
      const s = model.sigma;
      const c = 1 / (s * Math.sqrt(2 * Math.PI));
      for (let i = 0; i < n; i++) {
        const z = (observation - model.values[i]!) / s;
        out[i] = c * Math.exp(-0.5 * z * z);
      }
      break;
    }
  }
  return out;
}

/**
 * Builds validated observations from plain arrays (copied into
 * Float64Arrays).
 *
 * @param n the number of hidden states
 * @param paths each path's `times` and `values`
 * @param emission when given, the values are checked against it too
 * @returns the observations
 * @throws {SdenoTypeError} for wrong shapes or non-finite numbers
 * @throws {SdenoRangeError} for non-increasing times or a label outside 0 … n − 1
 *
 * @example Two short paths
 * ```ts
 * import { exactEmission, mjpObservations } from "./observations.ts";
 * import assert from "node:assert/strict";
 * const obs = mjpObservations(2, [
 *   { times: [0, 0.5], values: [0, 1] },
 *   { times: [0.1], values: [1] },
 * ], exactEmission(2));
 * assert.equal(obs.paths[1]!.times[0], 0.1);
 * assert.throws(
 *   () => mjpObservations(2, [{ times: [0, 0], values: [0, 1] }]),
 *   /strictly increasing/,
 * );
 * ```
 */
export function mjpObservations(
  n: number,
  paths: readonly { times: ArrayLike<number>; values: ArrayLike<number> }[],
  emission?: EmissionModel,
): MjpObservations {
  const what = "Cannot build MJP observations";
  checkInteger(what, "n", n, 1);
  if (!Array.isArray(paths)) {
    throw new SdenoTypeError(`${what}: paths must be an array, got ${quote(paths)}`);
  }
  const out = {
    n,
    paths: paths.map((p, k) => {
      if (p === null || typeof p !== "object") {
        throw new SdenoTypeError(`${what}: paths[${k}] must be { times, values }, got ${quote(p)}`);
      }
      return {
        times: _copy(what, `paths[${k}].times`, p.times),
        values: _copy(what, `paths[${k}].values`, p.values),
      };
    }),
  };
  checkMjpObservations(out, emission);
  return out;
}

/**
 * Checks observations before any work: n a positive integer; at least one
 * path; per path, `times` and `values` Float64Arrays of one length ≥ 1,
 * times finite and strictly increasing, no NaN values; with an emission
 * model, the same n and values it accepts (labels in 0 … n − 1 for exact and
 * confusion emissions, finite numbers for Gaussian noise).
 *
 * @param observations the observations
 * @param emission the emission model, when known
 * @throws {SdenoTypeError} for a wrong shape, NaN or a non-integer label
 * @throws {SdenoRangeError} for non-increasing times, a label out of range or a mismatched n
 *
 * @example An unknown state is named
 * ```ts
 * import { checkMjpObservations, exactEmission } from "./observations.ts";
 * import assert from "node:assert/strict";
 * const obs = { n: 2, paths: [{ times: new Float64Array([0, 1]), values: new Float64Array([0, 2]) }] };
 * assert.throws(() => checkMjpObservations(obs, exactEmission(2)), /paths\[0\]\.values\[1\]/);
 * ```
 */
export function checkMjpObservations(
  observations: MjpObservations,
  emission?: EmissionModel,
): void {
  const what = "Invalid MJP observations";
  if (observations === null || typeof observations !== "object") {
    throw new SdenoTypeError(`${what}: expected { n, paths }, got ${quote(observations)}`);
  }
  const n = checkInteger(what, "n", observations.n, 1);
  if (emission !== undefined) checkEmission(emission);
  if (emission !== undefined && emission.n !== n) {
    throw new SdenoRangeError(
      `${what}: the emission model has ${emission.n} states but the observations have n = ${n}`,
    );
  }
  const paths = observations.paths;
  if (!Array.isArray(paths) || paths.length === 0) {
    throw new SdenoTypeError(`${what}: paths must be a non-empty array, got ${quote(paths)}`);
  }
  for (let p = 0; p < paths.length; p++) {
    const path = paths[p];
    const name = `paths[${p}]`;
    if (path === null || typeof path !== "object") {
      throw new SdenoTypeError(`${what}: ${name} must be { times, values }, got ${quote(path)}`);
    }
    const { times, values } = path;
    if (!(times instanceof Float64Array) || !(values instanceof Float64Array)) {
      throw new SdenoTypeError(`${what}: ${name}.times and .values must be Float64Arrays`);
    }
    if (times.length === 0 || times.length !== values.length) {
      throw new SdenoTypeError(
        `${what}: ${name} needs as many values as times (≥ 1), got ${times.length} times and ${values.length} values`,
      );
    }
    for (let k = 0; k < times.length; k++) {
      const t = times[k]!;
      if (!Number.isFinite(t)) {
        throw new SdenoTypeError(`${what}: ${name}.times[${k}] must be finite, got ${quote(t)}`);
      }
      if (k > 0 && !(t > times[k - 1]!)) {
        throw new SdenoRangeError(
          `${what}: ${name}.times must be strictly increasing, got ${quote(times[k - 1])} then ${
            quote(t)
          } at index ${k}`,
        );
      }
      const y = values[k]!;
      if (Number.isNaN(y)) {
        throw new SdenoTypeError(`${what}: ${name}.values[${k}] is NaN`);
      }
      if (emission !== undefined) {
        const bad = _badValue(emission, y);
        if (bad !== undefined) {
          const E = emission.kind === "gaussian" ? SdenoTypeError : SdenoRangeError;
          throw new E(`${what}: ${name}.values[${k}] ${bad}`);
        }
      } else if (!Number.isFinite(y)) {
        throw new SdenoTypeError(`${what}: ${name}.values[${k}] must be finite, got ${quote(y)}`);
      }
    }
  }
}

/**
 * Checks an emission model built by hand (the factories already check
 * theirs): the kind, n, and for a confusion matrix non-negative rows summing
 * to 1 within `1e-12·n`, for Gaussian noise σ > 0 and finite values.
 *
 * @param model the emission model
 * @throws {SdenoTypeError} for an unknown kind or a wrong shape
 * @throws {SdenoRangeError} for a bad confusion row or σ ≤ 0
 *
 * @example
 * ```ts
 * import { checkEmission } from "./observations.ts";
 * import assert from "node:assert/strict";
 * const bad = { kind: "gaussian" as const, n: 2, sigma: -1, values: new Float64Array([0, 1]) };
 * assert.throws(() => checkEmission(bad), /sigma/);
 * ```
 */
export function checkEmission(model: EmissionModel): void {
  const what = "Invalid emission model";
  if (model === null || typeof model !== "object") {
    throw new SdenoTypeError(`${what}: expected an emission model, got ${quote(model)}`);
  }
  const n = checkInteger(what, "n", model.n, 1);
  switch (model.kind) {
    case "exact":
      return;
    case "confusion": {
      if (!(model.matrix instanceof Float64Array) || model.matrix.length !== n * n) {
        throw new SdenoTypeError(`${what}: matrix must be a Float64Array of length ${n * n}`);
      }
      confusionEmission(model.matrix, n);
      return;
    }
    case "gaussian": {
      if (!(model.values instanceof Float64Array)) {
        throw new SdenoTypeError(`${what}: values must be a Float64Array`);
      }
      gaussianEmission(n, model.sigma, model.values);
      return;
    }
    default:
      throw new SdenoTypeError(
        `${what}: kind must be "exact", "confusion" or "gaussian", got ${
          quote((model as { kind: unknown }).kind)
        }`,
      );
  }
}

/** Why y is not a valid observation under the model, or undefined when it is. */
function _badValue(model: EmissionModel, y: number): string | undefined {
  if (model.kind === "gaussian") {
    return Number.isFinite(y) ? undefined : `must be a finite number, got ${quote(y)}`;
  }
  if (!Number.isInteger(y) || y < 0 || y >= model.n) {
    return `must be a state label in 0 … ${model.n - 1}, got ${quote(y)}`;
  }
  return undefined;
}

function _copy(what: string, name: string, a: ArrayLike<number>): Float64Array {
  if (a === null || typeof a !== "object" || typeof a.length !== "number") {
    throw new SdenoTypeError(`${what}: ${name} must be an array of numbers, got ${quote(a)}`);
  }
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    if (typeof v !== "number") {
      throw new SdenoTypeError(`${what}: ${name}[${k}] must be a number, got ${quote(v)}`);
    }
    out[k] = v;
  }
  return out;
}

/** A square matrix (rows or flat with n) as a row-major copy, entries finite. */
function _squareMatrix(
  what: string,
  name: string,
  a: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  n?: number,
): Float64Array {
  if (a === null || typeof a !== "object" || typeof a.length !== "number" || a.length === 0) {
    throw new SdenoTypeError(`${what}: ${name} must be a non-empty square matrix, got ${quote(a)}`);
  }
  let m: number;
  let out: Float64Array;
  if (typeof a[0] === "object" && a[0] !== null) {
    const rows = a as ArrayLike<ArrayLike<number>>;
    m = rows.length;
    out = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      const row = rows[i];
      if (!row || typeof row !== "object" || row.length !== m) {
        throw new SdenoTypeError(
          `${what}: ${name} row ${i} must have ${m} entries, got ${quote(row)}`,
        );
      }
      for (let j = 0; j < m; j++) out[i * m + j] = row[j] as number;
    }
  } else {
    const flat = a as ArrayLike<number>;
    m = n ?? Math.round(Math.sqrt(flat.length));
    if (!Number.isInteger(m) || m < 1 || m * m !== flat.length) {
      throw new SdenoTypeError(
        `${what}: ${name} of length ${flat.length} is not square (n = ${quote(n)})`,
      );
    }
    out = Float64Array.from(flat as ArrayLike<number>);
  }
  for (let k = 0; k < out.length; k++) {
    if (!Number.isFinite(out[k])) {
      throw new SdenoTypeError(
        `${what}: ${name}[${Math.floor(k / m)}][${k % m}] must be a finite number, got ${
          quote(out[k])
        }`,
      );
    }
  }
  return out;
}
