// Eigenvalues and eigenvectors of a small real non-symmetric matrix
// (private). Householder reduction to upper Hessenberg form, then the
// complex Schur form A = Z T Z* by single-shift QR with Wilkinson shifts and
// deflation (Golub & Van Loan, "Matrix Computations", 4th ed., Alg. 7.4.2
// and §7.5 for the complex case; exceptional shifts after 10 and 20 steps as
// in EISPACK), eigenvectors of T by back substitution (LAPACK ztrevc's
// approach) mapped back by Z, and R⁻¹ by LU with partial pivoting.
//
// Complex arithmetic is held in separate re/im Float64Arrays, row-major.

/** A = R Λ R⁻¹ with complex Λ, R (columns are right eigenvectors) and R⁻¹. */
export interface _Eigen {
  n: number;
  /** Eigenvalues λ_m (real and imaginary parts), in the order the QR found them. */
  re: Float64Array;
  im: Float64Array;
  /** R, row-major: column m is the right eigenvector of λ_m (unit 2-norm). */
  rRe: Float64Array;
  rIm: Float64Array;
  /** R⁻¹, row-major: row m is the left eigenvector of λ_m. */
  riRe: Float64Array;
  riIm: Float64Array;
  /** ‖R‖₁·‖R⁻¹‖₁, the condition number of the eigenvector basis (Infinity if singular). */
  condition: number;
}

const EPS = 2.220446049250313e-16;

/** Reduces a (n×n, row-major, overwritten) to upper Hessenberg H = Q₀ᵀ A Q₀; returns Q₀. */
function _hessenberg(a: Float64Array, n: number): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const v = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let alpha = 0;
    for (let i = k + 1; i < n; i++) alpha += a[i * n + k]! ** 2;
    alpha = Math.sqrt(alpha);
    if (alpha === 0) continue;
    const x0 = a[(k + 1) * n + k]!;
    if (x0 > 0) alpha = -alpha;
    // v = x − α e₁, H = I − 2 v vᵀ / vᵀv maps x to α e₁
    let vv = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = a[i * n + k]! - (i === k + 1 ? alpha : 0);
      vv += v[i]! ** 2;
    }
    if (vv === 0) continue;
    const beta = 2 / vv;
    // A ← H A (rows k+1..n−1)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k + 1; i < n; i++) s += v[i]! * a[i * n + j]!;
      s *= beta;
      for (let i = k + 1; i < n; i++) a[i * n + j] = a[i * n + j]! - s * v[i]!;
    }
    // A ← A H and Q₀ ← Q₀ H (columns k+1..n−1)
    for (const m of [a, q]) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = k + 1; j < n; j++) s += m[i * n + j]! * v[j]!;
        s *= beta;
        for (let j = k + 1; j < n; j++) m[i * n + j] = m[i * n + j]! - s * v[j]!;
      }
    }
    for (let i = k + 2; i < n; i++) a[i * n + k] = 0;
  }
  return q;
}

/** Complex square root of (x, y), principal branch. */
function _csqrt(x: number, y: number): [number, number] {
  const r = Math.hypot(x, y);
  if (r === 0) return [0, 0];
  const t = Math.sqrt((r + Math.abs(x)) / 2);
  if (x >= 0) return [t, y / (2 * t)];
  return [Math.abs(y) / (2 * t), y >= 0 ? t : -t];
}

/**
 * The eigen-decomposition of a real n×n matrix (row-major; not modified).
 * Throws a plain Error when the QR iteration does not converge in 30·n
 * steps per eigenvalue (never seen on generators).
 */
export function _eigen(a: Float64Array, n: number): _Eigen {
  const hr = Float64Array.from(a);
  const q0 = _hessenberg(hr, n);
  const hi = new Float64Array(n * n);
  // Z starts as Q₀ (complex)
  const zr = q0;
  const zi = new Float64Array(n * n);
  let norm = 0;
  for (let k = 0; k < n * n; k++) norm = Math.max(norm, Math.abs(hr[k]!));
  const cs = new Float64Array(n);
  const snr = new Float64Array(n);
  const sni = new Float64Array(n);
  let end = n - 1;
  let its = 0;
  while (end > 0) {
    // find the active window [lo, end]: the last negligible subdiagonal
    let lo = end;
    while (lo > 0) {
      const s = Math.hypot(hr[lo * n + lo]!, hi[lo * n + lo]!) +
        Math.hypot(hr[(lo - 1) * n + lo - 1]!, hi[(lo - 1) * n + lo - 1]!);
      const sub = Math.hypot(hr[lo * n + lo - 1]!, hi[lo * n + lo - 1]!);
      if (sub <= EPS * (s === 0 ? norm : s)) {
        hr[lo * n + lo - 1] = 0;
        hi[lo * n + lo - 1] = 0;
        break;
      }
      lo--;
    }
    if (lo === end) {
      end--;
      its = 0;
      continue;
    }
    if (++its > 30 * n) throw new Error("QR iteration did not converge");
    // Wilkinson shift: the eigenvalue of the trailing 2×2 nearer its last diagonal entry
    const e = end, f = end - 1;
    let mr: number, mi: number;
    if (its % 10 === 0) {
      // exceptional shift (EISPACK): break cycles
      const s = Math.hypot(hr[e * n + f]!, hi[e * n + f]!) +
        (f > lo ? Math.hypot(hr[f * n + f - 1]!, hi[f * n + f - 1]!) : 0);
      mr = hr[e * n + e]! + 0.75 * s;
      mi = hi[e * n + e]!;
    } else {
      const ar = hr[f * n + f]!, ai = hi[f * n + f]!;
      const br = hr[f * n + e]!, bi = hi[f * n + e]!;
      const cr = hr[e * n + f]!, ci = hi[e * n + f]!;
      const dr = hr[e * n + e]!, di = hi[e * n + e]!;
      // μ = (a + d)/2 ± sqrt(((a − d)/2)² + b c)
      const hr2 = (ar - dr) / 2, hi2 = (ai - di) / 2;
      const dr2 = hr2 * hr2 - hi2 * hi2 + (br * cr - bi * ci);
      const di2 = 2 * hr2 * hi2 + (br * ci + bi * cr);
      const [sr, si] = _csqrt(dr2, di2);
      const tr = (ar + dr) / 2, ti = (ai + di) / 2;
      const m1r = tr + sr, m1i = ti + si, m2r = tr - sr, m2i = ti - si;
      if (Math.hypot(m1r - dr, m1i - di) <= Math.hypot(m2r - dr, m2i - di)) {
        mr = m1r;
        mi = m1i;
      } else {
        mr = m2r;
        mi = m2i;
      }
    }
    // explicit shifted QR step on the window: H − μI = QR, H ← RQ + μI
    for (let k = lo; k <= end; k++) {
      hr[k * n + k] = hr[k * n + k]! - mr;
      hi[k * n + k] = hi[k * n + k]! - mi;
    }
    for (let k = lo; k < end; k++) {
      // Givens G = [c, s; −conj(s), c] with G [x; y] = [r; 0]
      const xr = hr[k * n + k]!, xi = hi[k * n + k]!;
      const yr = hr[(k + 1) * n + k]!, yi = hi[(k + 1) * n + k]!;
      const nx = Math.hypot(xr, xi), ny = Math.hypot(yr, yi);
      const r = Math.hypot(nx, ny);
      let c: number, sr: number, si: number;
      if (r === 0) {
        c = 1;
        sr = 0;
        si = 0;
      } else if (nx === 0) {
        // s = conj(y)/|y|, c = 0
        c = 0;
        sr = yr / ny;
        si = -yi / ny;
      } else {
        // c = |x|/r, s = (x/|x|)·conj(y)/r
        c = nx / r;
        const ur = xr / nx, ui = xi / nx;
        sr = (ur * yr + ui * yi) / r;
        si = (ui * yr - ur * yi) / r;
      }
      cs[k] = c;
      snr[k] = sr;
      sni[k] = si;
      // rows k, k+1 ← G rows, columns k … n−1
      for (let j = k; j < n; j++) {
        const pr = hr[k * n + j]!, pi = hi[k * n + j]!;
        const qr = hr[(k + 1) * n + j]!, qi = hi[(k + 1) * n + j]!;
        hr[k * n + j] = c * pr + (sr * qr - si * qi);
        hi[k * n + j] = c * pi + (sr * qi + si * qr);
        // −conj(s) p + c q
        hr[(k + 1) * n + j] = -(sr * pr + si * pi) + c * qr;
        hi[(k + 1) * n + j] = -(sr * pi - si * pr) + c * qi;
      }
    }
    for (let k = lo; k < end; k++) {
      const c = cs[k]!, sr = snr[k]!, si = sni[k]!;
      // columns k, k+1 ← columns · Gᴴ: [p, q] Gᴴ = [c p + conj(s) q, −s p + c q]
      const top = Math.min(k + 1, end);
      const colRot = (mr2: Float64Array, mi2: Float64Array, rows: number) => {
        for (let i = 0; i <= rows; i++) {
          const pr = mr2[i * n + k]!, pi = mi2[i * n + k]!;
          const qr = mr2[i * n + k + 1]!, qi = mi2[i * n + k + 1]!;
          mr2[i * n + k] = c * pr + (sr * qr + si * qi);
          mi2[i * n + k] = c * pi + (sr * qi - si * qr);
          mr2[i * n + k + 1] = -(sr * pr - si * pi) + c * qr;
          mi2[i * n + k + 1] = -(sr * pi + si * pr) + c * qi;
        }
      };
      colRot(hr, hi, top);
      colRot(zr, zi, n - 1);
    }
    for (let k = lo; k <= end; k++) {
      hr[k * n + k] = hr[k * n + k]! + mr;
      hi[k * n + k] = hi[k * n + k]! + mi;
    }
  }
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    re[k] = hr[k * n + k]!;
    im[k] = hi[k * n + k]!;
  }
  // eigenvectors of T (upper triangular): (T − t_kk) v = 0, v_k = 1, v_j = 0 for j > k
  let tnorm = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) tnorm = Math.max(tnorm, Math.hypot(hr[i * n + j]!, hi[i * n + j]!));
  }
  const small = Math.max(EPS * tnorm, Number.MIN_VALUE);
  const vr = new Float64Array(n * n), vi = new Float64Array(n * n); // columns
  for (let k = 0; k < n; k++) {
    vr[k * n + k] = 1;
    for (let i = k - 1; i >= 0; i--) {
      let sr = 0, si = 0;
      for (let j = i + 1; j <= k; j++) {
        const tr = hr[i * n + j]!, ti = hi[i * n + j]!;
        const xr = vr[j * n + k]!, xi = vi[j * n + k]!;
        sr += tr * xr - ti * xi;
        si += tr * xi + ti * xr;
      }
      let dr = hr[i * n + i]! - re[k]!, di = hi[i * n + i]! - im[k]!;
      if (Math.hypot(dr, di) < small) {
        dr = small;
        di = 0;
      }
      const d2 = dr * dr + di * di;
      // v_i = −s / d
      vr[i * n + k] = -(sr * dr + si * di) / d2;
      vi[i * n + k] = -(si * dr - sr * di) / d2;
    }
  }
  // R = Z V, columns normalised to unit 2-norm
  const rRe = new Float64Array(n * n), rIm = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      let sr = 0, si = 0;
      for (let j = 0; j <= k; j++) {
        const ar = zr[i * n + j]!, ai = zi[i * n + j]!;
        const br = vr[j * n + k]!, bi = vi[j * n + k]!;
        sr += ar * br - ai * bi;
        si += ar * bi + ai * br;
      }
      rRe[i * n + k] = sr;
      rIm[i * n + k] = si;
    }
  }
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rRe[i * n + k]! ** 2 + rIm[i * n + k]! ** 2;
    s = 1 / Math.sqrt(s);
    for (let i = 0; i < n; i++) {
      rRe[i * n + k] = rRe[i * n + k]! * s;
      rIm[i * n + k] = rIm[i * n + k]! * s;
    }
  }
  const inv = _complexInverse(rRe, rIm, n);
  const condition = inv === undefined ? Infinity : _norm1(rRe, rIm, n) * _norm1(inv[0], inv[1], n);
  return {
    n,
    re,
    im,
    rRe,
    rIm,
    riRe: inv?.[0] ?? new Float64Array(n * n).fill(NaN),
    riIm: inv?.[1] ?? new Float64Array(n * n).fill(NaN),
    condition,
  };
}

function _norm1(ar: Float64Array, ai: Float64Array, n: number): number {
  let m = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.hypot(ar[i * n + j]!, ai[i * n + j]!);
    m = Math.max(m, s);
  }
  return m;
}

/** The inverse of a complex matrix by Gauss–Jordan with partial pivoting; undefined if singular. */
export function _complexInverse(
  ar0: Float64Array,
  ai0: Float64Array,
  n: number,
): [Float64Array, Float64Array] | undefined {
  const ar = Float64Array.from(ar0), ai = Float64Array.from(ai0);
  const xr = new Float64Array(n * n), xi = new Float64Array(n * n);
  for (let i = 0; i < n; i++) xr[i * n + i] = 1;
  const swap = (m: Float64Array, r1: number, r2: number) => {
    for (let j = 0; j < n; j++) {
      const t = m[r1 * n + j]!;
      m[r1 * n + j] = m[r2 * n + j]!;
      m[r2 * n + j] = t;
    }
  };
  for (let k = 0; k < n; k++) {
    let p = k, best = -1;
    for (let i = k; i < n; i++) {
      const v = Math.hypot(ar[i * n + k]!, ai[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (!(best > 0)) return undefined;
    if (p !== k) { for (const m of [ar, ai, xr, xi]) swap(m, p, k); }
    // scale row k by 1/pivot
    const pr = ar[k * n + k]!, pi = ai[k * n + k]!;
    const d = pr * pr + pi * pi;
    const ir = pr / d, ii = -pi / d;
    for (const [mr, mi] of [[ar, ai], [xr, xi]] as const) {
      for (let j = 0; j < n; j++) {
        const r = mr[k * n + j]!, i = mi[k * n + j]!;
        mr[k * n + j] = r * ir - i * ii;
        mi[k * n + j] = r * ii + i * ir;
      }
    }
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const fr = ar[i * n + k]!, fi = ai[i * n + k]!;
      if (fr === 0 && fi === 0) continue;
      for (const [mr, mi] of [[ar, ai], [xr, xi]] as const) {
        for (let j = 0; j < n; j++) {
          const r = mr[k * n + j]!, im = mi[k * n + j]!;
          mr[i * n + j] = mr[i * n + j]! - (fr * r - fi * im);
          mi[i * n + j] = mi[i * n + j]! - (fr * im + fi * r);
        }
      }
    }
  }
  return [xr, xi];
}
