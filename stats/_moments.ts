// Unchecked moment kernels shared by the stats modules (private: no mod.ts re-exports this file).

/** @internal column means of an n×d batch, unchecked */
export function meanRows(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) mean[k] = mean[k]! + x[i * d + k]!;
  }
  for (let k = 0; k < d; k++) mean[k] = mean[k]! / n;
  return mean;
}

/** @internal d×d covariance (n − 1 denominator) of an n×d batch, unchecked */
export function covarianceRows(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const mean = meanRows(x, n, d);
  const cov = new Float64Array(d * d);
  const e = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) e[k] = x[i * d + k]! - mean[k]!;
    for (let a = 0; a < d; a++) {
      const ea = e[a]!;
      for (let b = a; b < d; b++) cov[a * d + b] = cov[a * d + b]! + ea * e[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b]! / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return cov;
}
