// Cumulative integrals of DPM-Solver-v3's empirical model statistics (private).
//
// Zheng et al., "DPM-Solver-v3" (NeurIPS 2023, arXiv 2310.13268), §3.1 and Appendix B: with
// L_λ = ∫ l, S_λ = ∫ s, B_λ = ∫ e^{−S} b, I_λ = ∫ e^{L+S} and C_λ = ∫ e^{L+S} B, all from the
// first grid point λ_T, the solution of the diffusion ODE reduces to sums of these integrals.
// They are trapezoid sums on the statistics grid, as the reference implementation
// (thu-ml/DPM-Solver-v3, `weighted_cumsumexp_trapezoid`) computes them — with the exponents
// shifted by their maximum over the grid before exponentiating, so that the reference's rounding
// is reproduced.

/** The cumulative integrals of the statistics, (N + 1) × dim each, row i at λ_i. */
export interface EmsIntegrals {
  /** L = ∫ l dλ. */
  readonly L: Float64Array;
  /** S = ∫ s dλ. */
  readonly S: Float64Array;
  /** I = ∫ e^{L+S} dλ. */
  readonly I: Float64Array;
  /** B = ∫ e^{−S} b dλ. */
  readonly B: Float64Array;
  /** C = ∫ e^{L+S} B dλ. */
  readonly C: Float64Array;
}

/**
 * y_n = Σ_{i=1}^{n} ½ (λ_i − λ_{i−1}) (w_i e^{a_i} + w_{i−1} e^{a_{i−1}}), per dimension, with
 * e^{a} evaluated as e^{a − max a} e^{max a} (the reference's `weighted_cumsumexp_trapezoid`).
 * `a` undefined means a = 0; `w` undefined means w = 1.
 */
export function cumTrapezoidExp(
  lambdas: ArrayLike<number>,
  dim: number,
  a: Float64Array | undefined,
  w: Float64Array | undefined,
): Float64Array {
  const n = lambdas.length;
  const out = new Float64Array(n * dim);
  for (let j = 0; j < dim; j++) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, a ? a[i * dim + j]! : 0);
    const term = (i: number) =>
      (w ? w[i * dim + j]! : 1) * Math.exp((a ? a[i * dim + j]! : 0) - max);
    let acc = 0, prev = term(0);
    const scale = Math.exp(max);
    for (let i = 1; i < n; i++) {
      const cur = term(i);
      acc += 0.5 * (lambdas[i]! - lambdas[i - 1]!) * (cur + prev);
      out[i * dim + j] = acc * scale;
      prev = cur;
    }
  }
  return out;
}

/** L, S, I, B, C of statistics l, s, b on the grid `lambdas` (increasing). */
export function emsIntegrals(
  lambdas: ArrayLike<number>,
  dim: number,
  l: Float64Array,
  s: Float64Array,
  b: Float64Array,
): EmsIntegrals {
  const L = cumTrapezoidExp(lambdas, dim, undefined, l);
  const S = cumTrapezoidExp(lambdas, dim, undefined, s);
  const LS = L.map((v, i) => v + S[i]!);
  const I = cumTrapezoidExp(lambdas, dim, LS, undefined);
  const B = cumTrapezoidExp(lambdas, dim, S.map((v) => -v), b);
  const C = cumTrapezoidExp(lambdas, dim, LS, B);
  return { L, S, I, B, C };
}

/**
 * ∫_{λ_s}^{λ_t} e^{(L+S)(λ) − (L+S)(λ_s)} (λ − λ_s)^k / k! dλ by the trapezoid rule on the grid
 * points i_s … i_t, per dimension (the reference's `compute_exponential_coefficients_high_order`
 * with k = order − 1).
 */
export function highOrderCoefficient(
  lambdas: ArrayLike<number>,
  dim: number,
  ems: EmsIntegrals,
  iS: number,
  iT: number,
  k: number,
): Float64Array {
  const out = new Float64Array(dim);
  let fact = 1;
  for (let i = 2; i <= k; i++) fact *= i;
  const ls = lambdas[iS]!;
  for (let j = 0; j < dim; j++) {
    const base = ems.L[iS * dim + j]! + ems.S[iS * dim + j]!;
    let max = -Infinity;
    for (let i = iS; i <= iT; i++) {
      max = Math.max(max, ems.L[i * dim + j]! + ems.S[i * dim + j]! - base);
    }
    const term = (i: number) =>
      (lambdas[i]! - ls) ** k / fact *
      Math.exp(ems.L[i * dim + j]! + ems.S[i * dim + j]! - base - max);
    let acc = 0, prev = term(iS);
    for (let i = iS + 1; i <= iT; i++) {
      const cur = term(i);
      acc += 0.5 * (lambdas[i]! - lambdas[i - 1]!) * (cur + prev);
      prev = cur;
    }
    out[j] = acc * Math.exp(max);
  }
  return out;
}

/** Rounds half to even (torch.round / numpy.round), so snapped indexes match the reference. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
