// Dense linear algebra shared by the CTMC modules (row-major Float64Array
// n×n matrices): products, LU with partial pivoting, solves. Private: not
// re-exported by processes/mod.ts.

/** `C = A·B` for row-major n×n matrices, i-k-j order (streams rows of B). */
export function _matmul(
  a: Float64Array,
  b: Float64Array,
  n: number,
  out?: Float64Array,
): Float64Array {
  const c = out ?? new Float64Array(n * n);
  let nonzero = 0;
  for (let k = 0; k < n * n; k++) if (a[k] !== 0) nonzero++;
  // Every C[i][j] sums a[i][k]·b[k][j] over k in order from 0, in both loops below, so the
  // result is the same to the bit whichever runs (for finite entries).
  if (nonzero * 4 < n * n) {
    // sparse A (early powers of a banded generator): i-k-j, skipping zeros
    c.fill(0);
    for (let i = 0; i < n; i++) {
      const ci = i * n;
      for (let k = 0; k < n; k++) {
        const aik = a[ci + k]!;
        if (aik === 0) continue;
        const bk = k * n;
        for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + aik * b[bk + j]!;
      }
    }
    return c;
  }
  // dense: 4×2 tiles of C held in registers (about 2.5× faster than i-k-j for n = 100)
  for (let i = 0; i < n; i += 4) {
    const rows = Math.min(4, n - i);
    for (let j = 0; j < n; j += 2) {
      if (rows === 4 && j + 1 < n) {
        const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
        for (let k = 0; k < n; k++) {
          const bk = k * n + j;
          const b0 = b[bk]!, b1 = b[bk + 1]!;
          const a0 = a[r0 + k]!, a1 = a[r1 + k]!, a2 = a[r2 + k]!, a3 = a[r3 + k]!;
          s00 += a0 * b0;
          s01 += a0 * b1;
          s10 += a1 * b0;
          s11 += a1 * b1;
          s20 += a2 * b0;
          s21 += a2 * b1;
          s30 += a3 * b0;
          s31 += a3 * b1;
        }
        c[r0 + j] = s00;
        c[r0 + j + 1] = s01;
        c[r1 + j] = s10;
        c[r1 + j + 1] = s11;
        c[r2 + j] = s20;
        c[r2 + j + 1] = s21;
        c[r3 + j] = s30;
        c[r3 + j + 1] = s31;
        continue;
      }
      // edges: fewer than 4 rows or 2 columns left
      for (let r = i; r < i + rows; r++) {
        for (let jj = j; jj < Math.min(j + 2, n); jj++) {
          let sum = 0;
          for (let k = 0; k < n; k++) sum += a[r * n + k]! * b[k * n + jj]!;
          c[r * n + jj] = sum;
        }
      }
    }
  }
  return c;
}

/** The 1-norm (largest absolute column sum) of a row-major n×n matrix. */
export function _norm1(a: Float64Array, n: number): number {
  const col = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) col[j] = col[j]! + Math.abs(a[i * n + j]!);
  }
  let m = 0;
  for (let j = 0; j < n; j++) if (col[j]! > m) m = col[j]!;
  return m;
}

/** An LU factorisation `P·A = L·U` with partial pivoting (Golub & Van Loan, Alg. 3.4.1). */
export interface _Lu {
  /** L (unit lower, below the diagonal) and U packed in one n×n array. */
  lu: Float64Array;
  /** Row permutation: row i of P·A is row piv[i] of A. */
  piv: Int32Array;
  /** Order. */
  n: number;
  /** Smallest |U_ii| met, relative to the largest: a cheap singularity signal. */
  minPivotRatio: number;
}

/** Factorises a copy of `a` (n×n) by Gaussian elimination with partial pivoting. */
export function _luFactor(a: Float64Array, n: number): _Lu {
  const lu = Float64Array.from(a);
  const piv = new Int32Array(n);
  for (let i = 0; i < n; i++) piv[i] = i;
  let maxPivot = 0;
  let minPivot = Infinity;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(lu[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j]!;
        lu[k * n + j] = lu[p * n + j]!;
        lu[p * n + j] = t;
      }
      const t = piv[k]!;
      piv[k] = piv[p]!;
      piv[p] = t;
    }
    maxPivot = Math.max(maxPivot, best);
    minPivot = Math.min(minPivot, best);
    const d = lu[k * n + k]!;
    if (d === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const f = lu[i * n + k]! / d;
      if (f === 0) continue;
      lu[i * n + k] = f;
      const ri = i * n, rk = k * n;
      for (let j = k + 1; j < n; j++) lu[ri + j] = lu[ri + j]! - f * lu[rk + j]!;
    }
  }
  return { lu, piv, n, minPivotRatio: maxPivot > 0 ? minPivot / maxPivot : 0 };
}

/** Solves `A·X = B` in place for `B` with `m` columns (row-major n×m), given the LU of A. */
export function _luSolve(f: _Lu, b: Float64Array, m: number): Float64Array {
  const { lu, piv, n } = f;
  const x = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const src = piv[i]! * m;
    for (let c = 0; c < m; c++) x[i * m + c] = b[src + c]!;
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) {
      const l = lu[i * n + k]!;
      if (l === 0) continue;
      for (let c = 0; c < m; c++) x[i * m + c] = x[i * m + c]! - l * x[k * m + c]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const u = lu[i * n + k]!;
      if (u === 0) continue;
      for (let c = 0; c < m; c++) x[i * m + c] = x[i * m + c]! - u * x[k * m + c]!;
    }
    const d = lu[i * n + i]!;
    for (let c = 0; c < m; c++) x[i * m + c] = x[i * m + c]! / d;
  }
  return x;
}
