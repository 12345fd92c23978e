/**
 * The full singular value decomposition of a small dense matrix in float64,
 * by one-sided (Hestenes) Jacobi rotations: the columns of `A·V` are
 * rotated pairwise until orthogonal, which keeps small singular values to
 * full relative accuracy (Demmel & Veselić, "Jacobi's method is more
 * accurate than QR", SIAM J. Matrix Anal. Appl. 13 (1992)).
 *
 * @module
 */

import { NumericalError } from "../../kernels/errors.ts";

/** `A = U diag(s) Vᵀ` of an m × n matrix, row-major. */
export interface DenseSvd {
  /** Rows m. */
  readonly m: number;
  /** Columns n. */
  readonly n: number;
  /** m × m orthogonal, row-major; the first `rank` columns pair with `s`. */
  readonly u: Float64Array;
  /** The rank nonzero singular values, decreasing. */
  readonly s: Float64Array;
  /** n × n orthogonal, row-major; the first `rank` columns pair with `s`. */
  readonly v: Float64Array;
}

const EPS = 2.220446049250313e-16;
const MAX_SWEEPS = 100;

/**
 * The SVD of an m × n row-major matrix. Singular values below
 * `max(m, n)·ε·s₁` count as zero (the rank); the remaining columns of U are
 * completed to an orthonormal basis by Gram–Schmidt.
 *
 * @param a the matrix, row-major
 * @param m rows
 * @param n columns
 * @returns the factors
 * @throws {NumericalError} when the matrix holds a non-finite number or the sweeps do not converge
 */
export function denseSvd(a: Float64Array, m: number, n: number): DenseSvd {
  if (m < n) {
    // A wide matrix: factor Aᵀ (tall, whose columns can all be made orthogonal) and swap U and V.
    const at = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j]!;
    const t = tallSvd(at, n, m);
    return { m, n, u: t.v, s: t.s, v: t.u };
  }
  return tallSvd(a, m, n);
}

/** The SVD of an m × n matrix with m ≥ n. */
function tallSvd(a: Float64Array, m: number, n: number): DenseSvd {
  for (let i = 0; i < m * n; i++) {
    if (!Number.isFinite(a[i]!)) {
      throw new NumericalError(`SVD: matrix element ${i} is ${a[i]}, expected a finite number`);
    }
  }
  // Work on W = A (m × n) stored column by column, and V = I (n × n, by column).
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * m + i] = a[i * n + j]!;
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  let scale = 0;
  for (let i = 0; i < m * n; i++) scale += a[i]! * a[i]!;
  const negligible = (EPS * EPS * scale) ** 2; // a column pair this small is zero to working precision
  const tolerance = Math.sqrt(m) * EPS;
  let converged = false;
  for (let sweep = 0; sweep < MAX_SWEEPS && !converged; sweep++) {
    converged = true;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const wp = w[p * m + i]!, wq = w[q * m + i]!;
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        // converged pair: orthogonal to working precision (LAPACK's dgesvj tests against √m·ε)
        if (gamma === 0 || Math.abs(gamma) <= tolerance * Math.sqrt(alpha * beta)) continue;
        if (alpha * beta <= negligible) continue;
        converged = false;
        // The rotation that zeroes the (p, q) entry of WᵀW (Golub & Van Loan, §8.5).
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < m; i++) {
          const wp = w[p * m + i]!, wq = w[q * m + i]!;
          w[p * m + i] = c * wp - s * wq;
          w[q * m + i] = s * wp + c * wq;
        }
        for (let i = 0; i < n; i++) {
          const vp = v[p * n + i]!, vq = v[q * n + i]!;
          v[p * n + i] = c * vp - s * vq;
          v[q * n + i] = s * vp + c * vq;
        }
      }
    }
  }
  if (!converged) throw new NumericalError(`SVD: no convergence in ${MAX_SWEEPS} sweeps`);
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += w[j * m + i]! ** 2;
    norms[j] = Math.sqrt(ss);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => norms[y]! - norms[x]!);
  const s1 = norms[order[0]!] ?? 0;
  const tol = Math.max(m, n) * EPS * s1;
  const rank = order.filter((j) => norms[j]! > tol).length;
  const s = new Float64Array(rank);
  const vOut = new Float64Array(n * n);
  const u = new Float64Array(m * m);
  for (let k = 0; k < n; k++) {
    const j = order[k]!;
    for (let i = 0; i < n; i++) vOut[i * n + k] = v[j * n + i]!;
    if (k < rank) {
      s[k] = norms[j]!;
      for (let i = 0; i < m; i++) u[i * m + k] = w[j * m + i]! / norms[j]!;
    }
  }
  completeBasis(u, m, rank);
  return { m, n, u, s, v: vOut };
}

/** Fills columns `from … m−1` of the m × m row-major `u` with an orthonormal completion. */
function completeBasis(u: Float64Array, m: number, from: number): void {
  let col = from;
  const e = new Float64Array(m);
  for (let basis = 0; basis < m && col < m; basis++) {
    e.fill(0);
    e[basis] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < col; k++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += u[i * m + k]! * e[i]!;
        for (let i = 0; i < m; i++) e[i] = e[i]! - dot * u[i * m + k]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += e[i]! ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-8) continue;
    for (let i = 0; i < m; i++) u[i * m + col] = e[i]! / norm;
    col++;
  }
}
