/**
 * Quantities derived from a generator — eigenvalues and the relaxation
 * time, the stationary law, mean first-passage times, the entropy
 * production rate — and their uncertainty by the delta method from a
 * maximum-likelihood fit.
 *
 * @module
 */

import { NumericalError, quote, SdenoTypeError } from "../../kernels/errors.ts";
import { entropyProductionRate } from "../../processes/entropy_production_rate.ts";
import { meanFirstPassageTimes } from "../../processes/mean_first_passage_times.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { stationaryDistribution } from "../../processes/stationary_distribution.ts";
import { _eigen } from "./_eigen.ts";
import type { GeneratorModel } from "./generator_models.ts";

/** Eigenvalues as real and imaginary parts. */
export interface Eigenvalues {
  /** Real parts, in descending order. */
  re: Float64Array;
  /** Imaginary parts (for equal real parts, ascending). */
  im: Float64Array;
}

/**
 * The eigenvalues of a real square matrix (a generator, or any matrix):
 * Householder reduction to Hessenberg form and the shifted QR algorithm to
 * the complex Schur form (Golub & Van Loan, "Matrix Computations", 4th ed.,
 * §7.4–7.5), sorted by real part, largest first.
 *
 * @param a a RateMatrix, or an n×n matrix as rows
 * @returns real and imaginary parts
 * @throws {SdenoTypeError} for a non-square or non-finite matrix
 *
 * @example A rotation has ±i
 * ```ts
 * import { eigenvalues } from "./mjp_derived_quantities.ts";
 * import assert from "node:assert/strict";
 * const { re, im } = eigenvalues([[0, -1], [1, 0]]);
 * assert.ok(Math.abs(re[0]!) < 1e-15 && Math.abs(im[0]! + 1) < 1e-15);
 * ```
 */
export function eigenvalues(a: RateMatrix | ArrayLike<ArrayLike<number>>): Eigenvalues {
  const what = "Cannot compute eigenvalues";
  let n: number, m: Float64Array;
  if (a instanceof RateMatrix) {
    n = a.n;
    m = a.toDense();
  } else {
    if (a === null || typeof a !== "object" || !(a.length > 0)) {
      throw new SdenoTypeError(
        `${what}: expected a RateMatrix or a square matrix as rows, got ${quote(a)}`,
      );
    }
    n = a.length;
    m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const row = a[i];
      if (!row || row.length !== n) {
        throw new SdenoTypeError(`${what}: row ${i} must have ${n} entries`);
      }
      for (let j = 0; j < n; j++) {
        const v = row[j];
        if (typeof v !== "number" || !Number.isFinite(v)) {
          throw new SdenoTypeError(`${what}: entry [${i}][${j}] must be finite, got ${quote(v)}`);
        }
        m[i * n + j] = v;
      }
    }
  }
  let e;
  try {
    e = _eigen(m, n);
  } catch (cause) {
    throw new NumericalError(`${what}: the QR iteration did not converge`, { cause });
  }
  const idx = [...Array(n).keys()].sort((x, y) => (e.re[y]! - e.re[x]!) || (e.im[x]! - e.im[y]!));
  return {
    re: Float64Array.from(idx, (k) => e.re[k]!),
    im: Float64Array.from(idx, (k) => e.im[k]!),
  };
}

/**
 * The relaxation time `1/|Re λ₂|` of an irreducible generator, λ₂ the
 * eigenvalue with the second largest real part (λ₁ = 0): the slowest decay
 * rate of `p(t) − π`.
 *
 * @param q the generator
 * @returns the relaxation time (Infinity when Re λ₂ = 0)
 *
 * @example Two states: λ₂ = −(a + b)
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { relaxationTime } from "./mjp_derived_quantities.ts";
 * import assert from "node:assert/strict";
 * const t = relaxationTime(RateMatrix.fromDense([[-1, 1], [3, -3]]));
 * assert.ok(Math.abs(t - 0.25) < 1e-15);
 * ```
 */
export function relaxationTime(q: RateMatrix): number {
  if (q.n < 2) return Infinity;
  const { re } = eigenvalues(q);
  return 1 / Math.abs(re[1]!);
}

/** What {@linkcode mjpDerivedQuantities} computes. */
export interface MjpDerivedQuantities {
  /** Stationary law π. */
  stationary: Float64Array;
  /** 1/|Re λ₂|. */
  relaxationTime: number;
  /** Mean first-passage times, row-major n×n: entry [i][j] = E_i[time to reach j] (0 on the diagonal). */
  meanFirstPassageTimes: Float64Array;
  /** Schnakenberg's steady entropy production rate. */
  entropyProduction: number;
}

/**
 * Stationary law (GTH), relaxation time, the matrix of mean first-passage
 * times and the steady entropy production rate of an irreducible generator
 * (see ../shared/refs/inverse/README.md §4.2, item 4).
 *
 * @param q the generator
 * @returns the quantities
 *
 * @example The flashing ratchet at V = r = b = 1
 * ```ts
 * import { flashingRatchet } from "../../processes/flashing_ratchet.ts";
 * import { mjpDerivedQuantities } from "./mjp_derived_quantities.ts";
 * import assert from "node:assert/strict";
 * const d = mjpDerivedQuantities(flashingRatchet({ V: 1, r: 1, b: 1 }));
 * assert.ok(Math.abs(d.relaxationTime - 0.5) < 1e-12);
 * assert.ok(Math.abs(d.entropyProduction - 0.1791936283889109) < 1e-12);
 * ```
 */
export function mjpDerivedQuantities(q: RateMatrix): MjpDerivedQuantities {
  const n = q.n;
  const stationary = stationaryDistribution(q).distribution;
  const mfpt = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const m = meanFirstPassageTimes(q, { target: j });
    for (let i = 0; i < n; i++) mfpt[i * n + j] = m[i]!;
  }
  return {
    stationary,
    relaxationTime: relaxationTime(q),
    meanFirstPassageTimes: mfpt,
    entropyProduction: entropyProductionRate(q, { distribution: stationary }),
  };
}

/** Derived quantities with standard errors (see {@linkcode derivedQuantitiesWithUncertainty}). */
export interface MjpDerivedQuantitiesWithErrors {
  /** The quantities at θ̂. */
  values: MjpDerivedQuantities;
  /** Their delta-method standard errors, in the same shape. */
  standardErrors: MjpDerivedQuantities;
}

/**
 * The derived quantities of Q(θ̂) with standard errors by the delta method:
 * for g(θ), `Var g(θ̂) ≈ ∇g Σ ∇gᵀ` with Σ the MLE covariance (inverse observed
 * information, `mleMjp`'s `covariance`) and ∇g by central differences in θ
 * (step `1e-5·max(1, |θ_k|)`). This is the first-order (asymptotic normal)
 * approximation; for strongly nonlinear g at small samples a parametric
 * bootstrap is the safer choice.
 *
 * @param model the generator family of the fit
 * @param fit `theta` and `covariance` from `mleMjp`
 * @returns values and standard errors
 * @throws {SdenoTypeError} for a covariance of the wrong size
 *
 * @example The ratchet's stationary law with errors
 * ```ts
 * import { flashingRatchetModel } from "./generator_models.ts";
 * import { derivedQuantitiesWithUncertainty } from "./mjp_derived_quantities.ts";
 * import assert from "node:assert/strict";
 * const cov = new Float64Array([0.0025, 0, 0, 0, 0.0016, 0, 0, 0, 0.0016]);
 * const d = derivedQuantitiesWithUncertainty(flashingRatchetModel(), { theta: new Float64Array([1, 0, 0]), covariance: cov });
 * assert.ok(d.standardErrors.stationary[0]! > 0);
 * assert.ok(Math.abs(d.values.relaxationTime - 0.5) < 1e-12);
 * ```
 */
export function derivedQuantitiesWithUncertainty(
  model: GeneratorModel,
  fit: { theta: Float64Array; covariance: Float64Array },
): MjpDerivedQuantitiesWithErrors {
  const what = "Cannot propagate uncertainty to the derived quantities";
  const k = fit.theta.length;
  if (!(fit.covariance instanceof Float64Array) || fit.covariance.length !== k * k) {
    throw new SdenoTypeError(`${what}: covariance must be a Float64Array of length ${k * k}`);
  }
  const n = model.n;
  const flat = (d: MjpDerivedQuantities) =>
    Float64Array.from([
      ...d.stationary,
      d.relaxationTime,
      ...d.meanFirstPassageTimes,
      d.entropyProduction,
    ]);
  const at = (theta: Float64Array) =>
    mjpDerivedQuantities(RateMatrix.fromDense(model.generator(theta).q, { n }));
  const values = at(fit.theta);
  const v0 = flat(values);
  const jac: Float64Array[] = [];
  for (let p = 0; p < k; p++) {
    const h = 1e-5 * Math.max(1, Math.abs(fit.theta[p]!));
    const tp = Float64Array.from(fit.theta), tm = Float64Array.from(fit.theta);
    tp[p] = tp[p]! + h;
    tm[p] = tm[p]! - h;
    const fp = flat(at(tp)), fm = flat(at(tm));
    jac.push(fp.map((x, i) => (x - fm[i]!) / (2 * h)));
  }
  const se = v0.map((_, i) => {
    let s = 0;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) s += jac[a]![i]! * fit.covariance[a * k + b]! * jac[b]![i]!;
    }
    return Math.sqrt(Math.max(s, 0));
  });
  return {
    values,
    standardErrors: {
      stationary: se.slice(0, n),
      relaxationTime: se[n]!,
      meanFirstPassageTimes: se.slice(n + 1, n + 1 + n * n),
      entropyProduction: se[n + 1 + n * n]!,
    },
  };
}
