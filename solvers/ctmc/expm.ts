/**
 * The matrix exponential by scaling and squaring with Padé approximants,
 * Al-Mohy & Higham, "A new scaling and squaring algorithm for the matrix
 * exponential", SIAM J. Matrix Anal. Appl. 31(3), 970–989 (2009),
 * Algorithm 5.1 (with Code Fragment 2.1 for triangular matrices), which
 * refines Higham, SIAM J. Matrix Anal. Appl. 26(4), 1179–1193 (2005).
 *
 * The dense products, the 1-norms and the solve run in WebAssembly SIMD
 * (`expm.wat`, compiled with the pinned `npm:wabt` into `expm.wasm` and the
 * base64 module `_expm_wasm_bytes.ts` that this file loads, with no
 * permission; `deno task build:wasm` rebuilds them, and CI and
 * tests/kernels/philox_wasm_test.ts check that the bytes match the text).
 * Every product skips the zero bands of banded factors, so the powers of a
 * banded generator (a birth–death chain) cost O(n·b²) rather than O(n³) and
 * only the squarings are dense. For a tridiagonal A with positive
 * off-diagonal products (a birth–death generator, a symmetric tridiagonal
 * matrix) the last 4 squarings compute one triangle and derive the other by
 * detailed balance, π_i·x_ij = π_j·x_ji, which halves them. The kernels use
 * relaxed SIMD's fused multiply-add where the hardware has one; where the
 * engine lacks it, a JavaScript twin computes every entry in the same order
 * without fusion (the two agree to rounding).
 *
 * Beyond Algorithm 5.1: the solve for r_m is refined once (the squarings
 * multiply its error by up to 2^s); a norm beyond 2^64 is prescaled so no
 * power overflows; and the squarings keep X = 2^E·Y with Y rescaled by
 * powers of 2, so overflow gives ±Infinity and underflow 0 (as in scipy),
 * never NaN. A diagonal A gets exp of its entries; a triangular A gets Code
 * Fragment 2.1 (exact diagonal and first off-diagonal at every squaring).
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { factorial } from "../../kernels/factorial.ts";
import { expmWasmModule } from "./_expm_wasm.ts";
import { ddMul, ddQuotient } from "./_double_double.ts";

/** Options of {@linkcode expm} and {@linkcode expmInfo}. */
export interface ExpmOptions {
  /** Order n when `a` is a flat row-major array (default √length). */
  n?: number;
  /**
   * Whether to run the dense kernels in WebAssembly SIMD where the engine has it (default true);
   * `false` runs their JavaScript twin, which gives the same bits, more slowly.
   */
  wasm?: boolean;
}

/** Result of {@linkcode expmInfo}: the exponential and how it was computed. */
export interface ExpmResult {
  /** `exp(A)`, row-major n×n. */
  value: Float64Array;
  /** Order n. */
  n: number;
  /** Padé degree m ∈ {3, 5, 7, 9, 13}; 0 when no approximant was needed (n = 1, diagonal A). */
  degree: number;
  /** Number of squarings s (A was scaled by 2^−s). */
  squarings: number;
  /**
   * How many of the squarings computed one triangle and derived the other (a tridiagonal A with
   * positive off-diagonal products, such as a birth–death generator: the last 4 at most).
   */
  mirrored: number;
}

// θ_m of Al-Mohy & Higham (2009), Table 3.1 (m = 3…9) and §5 (θ₁₃ = 4.25).
const THETA3 = 1.495585217958292e-2;
const THETA5 = 2.539398330063230e-1;
const THETA7 = 9.504178996162932e-1;
const THETA9 = 2.097847961257068;
const THETA13 = 4.25;
const LOG2_U = -53;
// ‖A‖₁ above which A is first scaled by a power of 2, so that A¹⁰ cannot overflow.
const PRESCALE_LOG2 = 64;
// ‖X‖₁ outside [2^−400, 2^400] during the squarings: X is rescaled by a power of 2 (exact) and the
// exponent kept apart, so X² can neither overflow (n·2⁸⁰⁰ < 2¹⁰²⁴) nor lose its small entries.
const RESCALE_LOG2 = 400;

/** Padé [m/m] coefficients of e^x scaled so b_m = 1: b_j = (2m−j)!/(j!(m−j)!) (Higham 2005, eq. 2.2). */
function padeCoefficients(m: number): Float64Array {
  const b = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) {
    // exact integer quotient, rounded once to double
    b[j] = Number(factorial(2 * m - j) / (factorial(j) * factorial(m - j)));
  }
  return b;
}
const PADE = new Map([3, 5, 7, 9, 13].map((m) => [m, padeCoefficients(m)]));

/** log₂ of 1/|c_{2m+1}| = (2m)!(2m+1)!/(m!)² of the backward error series (Al-Mohy & Higham 2009, eq. 5.1). */
function log2CRecip(m: number): number {
  const f = factorial(m);
  return Math.log2(Number((factorial(2 * m) * factorial(2 * m + 1)) / (f * f)));
}
const LOG2_C_RECIP = new Map([3, 5, 7, 9, 13].map((m) => [m, log2CRecip(m)]));

// ---------------------------------------------------------------------------------------------
// The dense kernels: WebAssembly (expm.wat) or their JavaScript twin, on one heap of f64.
// Offsets are in f64 units; every matrix is n×n row-major. Bands are (p, q): a_ij = 0 unless
// −p ≤ j − i ≤ q.

/** The kernels of expm.wat and the heap they work on. */
interface Kernels {
  /** The heap as f64 (a fresh view after {@linkcode Kernels.reserve}). */
  f64: Float64Array;
  /** The heap as i32 (same buffer). */
  i32: Int32Array;
  /** Makes the heap hold at least `count` f64. */
  reserve(count: number): void;
  /**
   * C = A·B (mode 0), C −= A·B (mode 1) or C += A·B (mode 2), with bands (pa, qa), (pb, qb);
   * w: n² + 8n f64 of scratch. Mode + 4 ({@linkcode UPPER}) or + 8 ({@linkcode LOWER}): only the
   * entries on and above (below) the diagonal are guaranteed; the others are for
   * {@linkcode Kernels.mirror} to fill.
   */
  matmul(
    a: number,
    b: number,
    c: number,
    w: number,
    n: number,
    pa: number,
    qa: number,
    pb: number,
    qb: number,
    mode: number,
  ): void;
  /**
   * LU with partial pivoting of Q in place, Q with at most kl nonzero subdiagonals; piv: 3n i32
   * (2n f64) for the swaps and extents.
   */
  factor(q: number, piv: number, n: number, kl: number): void;
  /**
   * Solves Q·X = P in place of P from the factors; r: n f64 of scratch (the row spans), lst: 4n
   * f64 of scratch.
   */
  substitute(q: number, piv: number, p: number, r: number, lst: number, n: number): void;
  /** max_j Σ_i |a_ij|; s: n f64 of scratch. */
  norm1(a: number, s: number, n: number): number;
  /**
   * dst = Σ c_t·T_t (+ d·I) over the band, summed left to right (1 to 4 terms `[c, T]`), no
   * fused operation; outside the band dst is zeroed first if `zero` (else dst is the first term,
   * already zero there).
   */
  combine(
    dst: number,
    terms: [number, number][],
    diag: number,
    band: Band,
    n: number,
    zero: boolean,
  ): void;
  /** x_ij = x_ji·r_ij for every i > j (`fromUpper`), or for every i < j. */
  mirror(x: number, r: number, n: number, fromUpper: boolean): void;
}

/** The exports of expm.wat. */
interface ExpmExports {
  memory: WebAssembly.Memory;
  matmul(...args: number[]): void;
  factor(q: number, piv: number, n: number, kl: number): void;
  substitute(q: number, piv: number, p: number, r: number, lst: number, n: number): void;
  norm1(a: number, s: number, n: number): number;
  mirror(x: number, r: number, n: number, fromUpper: number): void;
  combine(...args: number[]): void;
}

/** The kernels in WebAssembly; undefined where the engine lacks WebAssembly SIMD. */
function wasmKernels(): Kernels | undefined {
  const module = expmWasmModule();
  if (!module) return undefined;
  const ex = new WebAssembly.Instance(module, {}).exports as unknown as ExpmExports;
  const k: Kernels = {
    f64: new Float64Array(ex.memory.buffer),
    i32: new Int32Array(ex.memory.buffer),
    reserve(count) {
      const bytes = count * 8;
      if (ex.memory.buffer.byteLength >= bytes) return;
      ex.memory.grow(Math.ceil((bytes - ex.memory.buffer.byteLength) / 65536));
      k.f64 = new Float64Array(ex.memory.buffer);
      k.i32 = new Int32Array(ex.memory.buffer);
    },
    matmul: (a, b, c, w, n, pa, qa, pb, qb, mode) =>
      ex.matmul(8 * a, 8 * b, 8 * c, 8 * w, n, pa, qa, pb, qb, mode),
    factor: (q, piv, n, kl) => ex.factor(8 * q, 8 * piv, n, kl),
    substitute: (q, piv, p, r, lst, n) => ex.substitute(8 * q, 8 * piv, 8 * p, 8 * r, 8 * lst, n),
    norm1: (a, s, n) => ex.norm1(8 * a, 8 * s, n),
    mirror: (x, r, n, fromUpper) => ex.mirror(8 * x, 8 * r, n, fromUpper ? 1 : 0),
    combine(dst, terms, diag, band, n, zero) {
      const at = (t: number) => 8 * (terms[t] ?? terms[0]!)[1];
      const c = (t: number) => terms[t]?.[0] ?? 0;
      ex.combine(
        8 * dst,
        at(0),
        at(1),
        at(2),
        at(3),
        c(0),
        c(1),
        c(2),
        c(3),
        terms.length,
        diag,
        n,
        band[0],
        band[1],
        zero ? 1 : 0,
      );
    },
  };
  return k;
}

/**
 * The JavaScript twin of expm.wat: the same entries, each computed in the same order (see the
 * comments there), so the same bits.
 */
function jsKernels(): Kernels {
  const k: Kernels = {
    f64: new Float64Array(0),
    i32: new Int32Array(0),
    reserve(count) {
      if (k.f64.length >= count) return;
      const buffer = new ArrayBuffer(8 * count);
      new Float64Array(buffer).set(k.f64);
      k.f64 = new Float64Array(buffer);
      k.i32 = new Int32Array(buffer);
    },
    matmul(a, b, c, _w, n, pa, qa, pb, qb, mode) {
      const h = k.f64, upper = (mode & UPPER) !== 0, lower = (mode & LOWER) !== 0;
      mode &= 3;
      const sgn = mode === 1 ? -1 : 1;
      if (!mode) h.fill(0, c, c + n * n);
      for (let i = 0; i < n; i++) {
        const jhi = Math.min(n, i + qa + qb + 1, lower ? i + 1 : n);
        for (let j = Math.max(0, i - pa - pb, upper ? i : 0); j < jhi; j++) {
          const hi = Math.min(n, i + qa + 1, j + pb + 1);
          let s = mode ? h[c + i * n + j]! : 0;
          for (let kk = Math.max(0, i - pa, j - qb); kk < hi; kk++) {
            s += sgn * h[a + i * n + kk]! * h[b + kk * n + j]!;
          }
          h[c + i * n + j] = s;
        }
      }
    },
    // the band hint kl only saves work: the zeros below it change nothing
    factor(q, piv, n, _kl) {
      const h = k.f64, s = k.i32;
      for (let kk = 0; kk < n; kk++) {
        let p = kk, best = Math.abs(h[q + kk * n + kk]!);
        for (let i = kk + 1; i < n; i++) {
          const v = Math.abs(h[q + i * n + kk]!);
          if (v > best) [best, p] = [v, i];
        }
        s[2 * piv + kk] = p;
        if (p !== kk) swapRows(h, q, n, kk, p);
        const d = h[q + kk * n + kk]!;
        let uk = n;
        while (uk > kk + 1 && h[q + kk * n + uk - 1] === 0) uk--;
        if (d === 0) continue;
        for (let i = kk + 1; i < n; i++) {
          const l = h[q + i * n + kk]! / d;
          h[q + i * n + kk] = l;
          if (l === 0) continue;
          for (let j = kk + 1; j < uk; j++) {
            h[q + i * n + j] = h[q + i * n + j]! - l * h[q + kk * n + j]!;
          }
        }
      }
    },
    substitute(q, piv, p, r, _lst, n) {
      const h = k.f64, s = k.i32, r2 = 2 * r;
      // row i −= Σ_{k in [k0, k1)} q_ik · row k, ascending k, over the union of the spans
      const rowUpdate = (i: number, k0: number, k1: number) => {
        let lo = s[r2 + 2 * i]!, hi = s[r2 + 2 * i + 1]!;
        const ks: number[] = [];
        for (let kk = k0; kk < k1; kk++) {
          const klo = s[r2 + 2 * kk]!, khi = s[r2 + 2 * kk + 1]!;
          if (h[q + i * n + kk] === 0 || klo >= khi) continue;
          ks.push(kk);
          if (lo >= hi) [lo, hi] = [klo, khi];
          else [lo, hi] = [Math.min(lo, klo), Math.max(hi, khi)];
        }
        if (ks.length === 0) return;
        s[r2 + 2 * i] = lo;
        s[r2 + 2 * i + 1] = hi;
        for (let j = lo; j < hi; j++) {
          let v = h[p + i * n + j]!;
          for (const kk of ks) v -= h[q + i * n + kk]! * h[p + kk * n + j]!;
          h[p + i * n + j] = v;
        }
      };
      for (let i = 0; i < n; i++) {
        let lo = 0, hi = n;
        while (lo < n && h[p + i * n + lo] === 0) lo++;
        while (hi > lo && h[p + i * n + hi - 1] === 0) hi--;
        if (lo >= hi) lo = hi = 0;
        s[r2 + 2 * i] = lo;
        s[r2 + 2 * i + 1] = hi;
      }
      for (let kk = 0; kk < n; kk++) {
        const pk = s[2 * piv + kk]!;
        if (pk === kk) continue;
        swapRows(h, p, n, kk, pk);
        for (const o of [0, 1]) {
          const t = s[r2 + 2 * kk + o]!;
          s[r2 + 2 * kk + o] = s[r2 + 2 * pk + o]!;
          s[r2 + 2 * pk + o] = t;
        }
      }
      for (let i = 0; i < n; i++) rowUpdate(i, 0, i);
      for (let i = n - 1; i >= 0; i--) {
        rowUpdate(i, i + 1, n);
        const d = h[q + i * n + i]!;
        const hi = s[r2 + 2 * i + 1]!;
        for (let j = s[r2 + 2 * i]!; j < hi; j++) h[p + i * n + j] = h[p + i * n + j]! / d;
      }
    },
    norm1(a, _s, n) {
      const h = k.f64, col = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) col[j] = col[j]! + Math.abs(h[a + i * n + j]!);
      }
      let m = 0;
      for (let j = 0; j < n; j++) if (col[j]! > m || col[j] !== col[j]) m = col[j]!;
      return m;
    },
    combine: (dst, terms, diag, band, n, zero) => combine(k.f64, n, dst, terms, diag, band, !zero),
    mirror(x, r, n, fromUpper) {
      const h = k.f64;
      for (let i = 0; i < n; i++) {
        const [lo, hi] = fromUpper ? [0, i] : [i + 1, n];
        for (let j = lo; j < hi; j++) h[x + i * n + j] = h[x + j * n + i]! * h[r + i * n + j]!;
      }
    },
  };
  return k;
}

/** Swaps rows i and j of the n×n matrix at `a`. */
function swapRows(h: Float64Array, a: number, n: number, i: number, j: number): void {
  for (let c = 0; c < n; c++) {
    const t = h[a + i * n + c]!;
    h[a + i * n + c] = h[a + j * n + c]!;
    h[a + j * n + c] = t;
  }
}

/** The matmul mode flags: only the upper or the lower triangle (see {@linkcode Kernels.matmul}). */
const UPPER = 4, LOWER = 8;

let kernels: Kernels | undefined;
let fallback: Kernels | undefined;

/**
 * The kernels expm uses: WebAssembly SIMD where available, else the JavaScript twin; `"js"` forces
 * the twin (for tests that compare the two).
 */
function getKernels(which: "auto" | "js"): Kernels {
  if (which === "js") return fallback ??= jsKernels();
  return kernels ??= wasmKernels() ?? (fallback ??= jsKernels());
}

// ---------------------------------------------------------------------------------------------

/** A band (p, q) clipped to an n×n matrix. */
type Band = [number, number];
const clip = (b: Band, n: number): Band => [Math.min(b[0], n - 1), Math.min(b[1], n - 1)];
const sum = (a: Band, b: Band, n: number): Band => clip([a[0] + b[0], a[1] + b[1]], n);
const widest = (a: Band, b: Band): Band => [Math.max(a[0], b[0]), Math.max(a[1], b[1])];

/** The band (p, q) of a dense row-major matrix: the farthest nonzero below and above the diagonal. */
function bandOf(a: Float64Array, n: number): Band {
  let p = 0, q = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i - p; j++) if (a[i * n + j] !== 0) p = i - j;
    for (let j = n - 1; j > i + q; j--) if (a[i * n + j] !== 0) q = j - i;
  }
  return [p, q];
}

/**
 * The JavaScript twin of expm.wat's combine: dst = Σ c_t·T_t (+ d·I) over the band, summed left
 * to right (1 to 4 terms). Outside the band dst is zeroed first unless `inPlace` (dst is the
 * first term, already zero there).
 */
function combine(
  h: Float64Array,
  n: number,
  dst: number,
  terms: [number, number][],
  diag: number,
  band: Band,
  inPlace = false,
): void {
  if (!inPlace) h.fill(0, dst, dst + n * n);
  const [c0, t0] = terms[0]!, [c1, t1] = terms[1] ?? [0, t0];
  const [c2, t2] = terms[2] ?? [0, t0], [c3, t3] = terms[3] ?? [0, t0];
  const count = terms.length;
  for (let i = 0; i < n; i++) {
    const row = i * n, lo = Math.max(0, i - band[0]), hi = Math.min(n, i + band[1] + 1);
    for (let j = row + lo; j < row + hi; j++) {
      let v = c0 * h[t0 + j]!;
      if (count > 1) v += c1 * h[t1 + j]!;
      if (count > 2) v += c2 * h[t2 + j]!;
      if (count > 3) v += c3 * h[t3 + j]!;
      h[dst + j] = v;
    }
    if (diag !== 0) h[dst + row + i] = h[dst + row + i]! + diag;
  }
}

/** Multiplies the band of the matrix at `a` by `f` in place. */
function scaleBand(h: Float64Array, n: number, a: number, f: number, band: Band): void {
  if (f === 1) return;
  for (let i = 0; i < n; i++) {
    const hi = Math.min(n, i + band[1] + 1);
    for (let j = Math.max(0, i - band[0]); j < hi; j++) h[a + i * n + j] = h[a + i * n + j]! * f;
  }
}

/**
 * ℓ_m(2^−σ A) = max(⌈log₂(α/u)/(2m)⌉, 0), α = |c_{2m+1}|·‖|2^−σ A|^{2m+1}‖₁/‖2^−σ A‖₁
 * (Al-Mohy & Higham 2009, Algorithm 5.1, line "ell"): the extra squarings that keep the backward
 * error below u. ‖|B|^k‖₁ is computed exactly, as the largest column sum of a non-negative matrix:
 * eᵀ|B|^k by k vector products over the band, the vector rescaled by powers of 2 as it goes (so
 * it cannot overflow; the scale is added back in log₂).
 */
function ell(h: Float64Array, n: number, a: number, band: Band, m: number, sc: number): number {
  // |2^−σ A| over its band, row i at i·w (column j at j − i + p; sc is a power of 2, so exact)
  const [p, q] = band, w = p + q + 1;
  const abs = new Float64Array(n * w);
  for (let i = 0; i < n; i++) {
    const hi = Math.min(n, i + q + 1);
    for (let j = Math.max(0, i - p); j < hi; j++) {
      abs[i * w + j - i + p] = Math.abs(h[a + i * n + j]!) * sc;
    }
  }
  let v = new Float64Array(n).fill(1), u = new Float64Array(n);
  let log2Scale = 0, absNorm = 0;
  for (let k = 0; k < 2 * m + 1; k++) {
    u.fill(0);
    for (let i = 0; i < n; i++) {
      const vi = v[i]!;
      if (vi === 0) continue;
      const lo = Math.max(0, i - p), hi = Math.min(n, i + q + 1), row = i * w - i + p;
      for (let j = lo; j < hi; j++) u[j] = u[j]! + vi * abs[row + j]!;
    }
    let mx = 0;
    for (let j = 0; j < n; j++) if (u[j]! > mx) mx = u[j]!;
    if (!(mx > 0) || !Number.isFinite(mx)) return 0;
    if (k === 0) absNorm = mx;
    if (mx > 2 ** 256 || mx < 2 ** -256) {
      const e = Math.round(Math.log2(mx)), f = 2 ** -e;
      for (let j = 0; j < n; j++) u[j] = u[j]! * f;
      log2Scale += e;
    }
    [v, u] = [u, v];
  }
  let powNorm = 0;
  for (let j = 0; j < n; j++) if (v[j]! > powNorm) powNorm = v[j]!;
  const log2Alpha = Math.log2(powNorm) + log2Scale - Math.log2(absNorm) - LOG2_C_RECIP.get(m)!;
  if (!Number.isFinite(log2Alpha)) return 0;
  return Math.max(Math.ceil((log2Alpha - LOG2_U) / (2 * m)), 0);
}

// A derived entry of a squaring (below) is at most 2^64 times the one it comes from, so an entry
// that underflowed gives one below 2^−958, never a significant one.
const MIRROR_RATIO_MAX = 2 ** 64;
// Only the last 4 squarings are mirrored: the derived triangle's errors (its source's, transposed,
// and ≤ 2 ulp from r_ij) are Π-symmetric rather than independent, and mirroring every squaring
// doubled the errors of exp(1000·Q) for the 100-state M/M/1 generator (11 squarings); an error
// added k squarings before the end is amplified at most 2^k, so the last 4 add at most 15 times
// one squaring's rounding while the error carried in is amplified 2^s (measured: the errors of
// exp(1000·Q) within 3% of no mirroring; exp(10·Q), 4 squarings, all mirrored, within scipy's).
const MIRROR_SQUARINGS = 4;
// π of the symmetrizer kept within [2^−900, 2^900] (π₀ = 1), so every ratio is normal or 0.
const MIRROR_LOG2_PI_MAX = 900;

/**
 * For a tridiagonal A with a_{k,k+1}·a_{k+1,k} > 0 for every k, the positive diagonal
 * Π = diag(π) that makes Π·A symmetric: π₀ = 1, π_{k+1} = π_k·a_{k,k+1}/a_{k+1,k} (detailed
 * balance, for the generator of a birth–death chain; Kelly, Reversibility and Stochastic
 * Networks, 1979, §1.5). Π·A^k is then symmetric for every k, so Π·X is for X = 2^E·exp(2^−i A)
 * and for X = I + Z at every squaring, and x_ij = r_ij·x_ji with r_ij = π_j/π_i: a squaring need
 * only compute one triangle. The derived triangle is the one whose entries are the smaller
 * (r_ij ≤ 1 where π is monotone): the larger entries, computed, carry the smaller relative
 * errors. π is carried in double-double (each π_k rounded once), so r_ij is within 1.5 ulp.
 *
 * Writes r_ij on the derived triangle of the n×n row-major matrix at `h[at]` (the rest is left
 * as it is: the mirror reads only that triangle) and returns whether the lower triangle is the
 * derived one; undefined (nothing written) for any other A, where π leaves [2^−900, 2^900], or
 * where some derived r_ij would exceed 2^64.
 */
function symmetrizer(
  a: Float64Array,
  n: number,
  h: Float64Array,
  at: number,
): { fromUpper: boolean } | undefined {
  const pi = new Float64Array(n);
  let hi = 1, lo = 0;
  pi[0] = 1;
  for (let k = 0; k + 1 < n; k++) {
    const up = a[k * n + k + 1]!, down = a[(k + 1) * n + k]!;
    if (!(up * down > 0)) return undefined;
    const [qh, ql] = ddQuotient(up, down);
    [hi, lo] = ddMul(hi, lo, qh, ql);
    if (!(Math.abs(Math.log2(hi)) <= MIRROR_LOG2_PI_MAX)) return undefined;
    pi[k + 1] = hi;
  }
  // the largest r_ij on each side: max over i of (max_{j<i} π_j)/π_i, and of (max_{j>i} π_j)/π_i
  let below = 0, above = 0, before = 0, after = 0;
  for (let i = 1; i < n; i++) {
    before = Math.max(before, pi[i - 1]!);
    below = Math.max(below, before / pi[i]!);
    after = Math.max(after, pi[n - i]!);
    above = Math.max(above, after / pi[n - 1 - i]!);
  }
  const fromUpper = below <= above;
  if (Math.min(below, above) > MIRROR_RATIO_MAX) return undefined;
  for (let i = 0; i < n; i++) {
    const [j0, j1] = fromUpper ? [0, i] : [i + 1, n];
    for (let j = j0; j < j1; j++) h[at + i * n + j] = pi[j]! / pi[i]!;
  }
  return { fromUpper };
}

/** y·2^e without overflow or underflow on the way (0 and non-finite y unchanged). */
function scale2(y: number, e: number): number {
  if (y === 0 || !Number.isFinite(y)) return y;
  while (e > 1000) {
    y *= 2 ** 1000;
    e -= 1000;
    if (!Number.isFinite(y)) return y;
  }
  while (e < -1000) {
    y *= 2 ** -1000;
    e += 1000;
    if (y === 0) return y;
  }
  return y * 2 ** e;
}

/** e^x·2^−e, exactly rounded where e^x is a normal number, else through exp(x − e·ln 2). */
function expScaled(x: number, e: number): number {
  const v = Math.exp(x);
  if (e === 0) return v;
  if (v > 0 && Number.isFinite(v)) return scale2(v, -e);
  return Math.exp(x - e * Math.LN2);
}

/**
 * t·(e^{λ₂} − e^{λ₁})/(λ₂ − λ₁)·2^−e, the (1, 2) entry of exp([[λ₁, t], [0, λ₂]]) (Higham,
 * Functions of Matrices, 2008, eq. 10.42), as t·e^{(λ₁+λ₂)/2}·sinh(δ)/δ with δ = (λ₂ − λ₁)/2,
 * which has no cancellation. Where |δ| ≥ 700 (sinh overflows) it is
 * t·e^{max λ}/(2|δ|)·(1 − e^{−2|δ|}), through logarithms; likewise where e^{(λ₁+λ₂)/2} or 2^−e
 * would overflow or underflow on its own.
 */
function expOffDiagonal(l1: number, l2: number, t: number, e: number): number {
  if (t === 0) return 0;
  const mid = l1 / 2 + l2 / 2, d = l2 / 2 - l1 / 2, ad = Math.abs(d);
  if (ad >= 700) {
    return t * -Math.expm1(-2 * ad) * Math.exp(Math.max(l1, l2) - Math.log(2 * ad) - e * Math.LN2);
  }
  const sinhc = d === 0 ? 1 : Math.sinh(d) / d;
  if (e === 0 && Math.abs(mid) < 700) return t * Math.exp(mid) * sinhc;
  return t * Math.exp(mid + Math.log(sinhc) - e * Math.LN2);
}

/**
 * Code Fragment 2.1 of Al-Mohy & Higham (2009): in X ≈ exp(2^−i A)·2^−e for triangular A, sets
 * the diagonal to exp(2^−i a_jj) and the first super- (upper) or sub-diagonal (lower) by eq. 10.42,
 * exactly rather than through the approximant and the squarings. In the form X = I + Z (`z`, with
 * e = 0) the diagonal of Z is expm1(2^−i a_jj).
 */
function fixTriangular(
  x: Float64Array,
  off: number,
  a: Float64Array,
  n: number,
  upper: boolean,
  i: number,
  e: number,
  z: boolean,
): void {
  const f = 2 ** -i;
  for (let j = 0; j < n; j++) {
    const l = a[j * n + j]! * f;
    x[off + j * n + j] = z ? Math.expm1(l) : expScaled(l, e);
  }
  for (let j = 0; j + 1 < n; j++) {
    const at = upper ? j * n + j + 1 : (j + 1) * n + j;
    x[off + at] = expOffDiagonal(a[j * n + j]! * f, a[(j + 1) * n + j + 1]! * f, a[at]! * f, e);
  }
}

function _checkMatrix(
  what: string,
  a: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  options: ExpmOptions,
): { data: Float64Array; n: number } {
  if (a === null || typeof a !== "object" || typeof a.length !== "number") {
    throw new SdenoTypeError(`${what}: a must be a square matrix, got ${quote(a)}`);
  }
  let data: Float64Array;
  let n: number;
  const first = (a as ArrayLike<unknown>)[0];
  if (a.length > 0 && typeof first === "object" && first !== null) {
    const rows = a as ArrayLike<ArrayLike<number>>;
    n = rows.length;
    data = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      if (row.length !== n) {
        throw new SdenoTypeError(
          `${what}: a must be square, row ${i} has length ${row.length} but there are ${n} rows`,
        );
      }
      for (let j = 0; j < n; j++) data[i * n + j] = row[j]!;
    }
  } else {
    const flat = a as ArrayLike<number>;
    n = options.n ?? Math.round(Math.sqrt(flat.length));
    checkInteger(what, "n", n, 1);
    if (n * n !== flat.length) {
      throw new SdenoTypeError(
        `${what}: a flat matrix must have n² entries, got ${flat.length} entries for n = ${n}`,
      );
    }
    data = flat instanceof Float64Array ? flat.slice() : Float64Array.from(flat);
  }
  if (n === 0) throw new SdenoRangeError(`${what}: a must have at least one row`);
  for (let k = 0; k < n * n; k++) {
    if (!Number.isFinite(data[k]!)) {
      throw new SdenoTypeError(
        `${what}: entry a[${Math.floor(k / n)}][${k % n}] must be finite, got ${quote(data[k])}`,
      );
    }
  }
  return { data, n };
}

/**
 * `exp(A)` with its Padé degree and number of squarings (see {@linkcode expm}).
 *
 * @param a an n×n matrix: rows, or a flat row-major array
 * @param options `n` for flat input
 * @returns the exponential, the Padé degree and the squarings
 * @throws {SdenoTypeError} for a non-square matrix or a non-finite entry
 *
 * @example A nilpotent matrix needs the lowest degree
 * ```ts
 * import { expmInfo } from "./expm.ts";
 * import assert from "node:assert/strict";
 * const r = expmInfo([[0, 1], [0, 0]]);
 * assert.deepEqual([...r.value], [1, 1, 0, 1]);
 * assert.equal(r.squarings, 0);
 * ```
 */
export function expmInfo(
  a: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  options: ExpmOptions = {},
): ExpmResult {
  const what = "Cannot compute expm";
  if (options.wasm !== undefined && typeof options.wasm !== "boolean") {
    throw new SdenoTypeError(`${what}: wasm must be a boolean, got ${quote(options.wasm)}`);
  }
  const { data: A0, n } = _checkMatrix(what, a, options);
  const [p0, q0] = bandOf(A0, n);
  if (p0 === 0 && q0 === 0) {
    // diagonal (n = 1 included): exp of each entry, overflow to Inf and underflow to 0 exactly
    const value = new Float64Array(n * n);
    for (let i = 0; i < n; i++) value[i * n + i] = Math.exp(A0[i * n + i]!);
    return { value, n, degree: 0, squarings: 0, mirrored: 0 };
  }
  const K = getKernels(options.wasm === false ? "js" : "auto");
  // heap: 8 matrix slots, then the product scratch (n² + 8n), the norm scratch (n), the row
  // spans (n), the pivots and factor row extents (3n i32) and the list of one factor row (4n)
  const nn = n * n + (n * n) % 2;
  const [A, A2, A4, A6, T, W, Z, S] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => k * nn) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const WORK = 8 * nn, NORM = WORK + nn + 8 * n, SPANS = NORM + n, PIV = SPANS + n;
  const LIST = PIV + 2 * n;
  K.reserve(LIST + 4 * n);
  let h = K.f64;
  h.set(A0, A);
  const triangular = p0 === 0 || q0 === 0;
  const norm = K.norm1(A, NORM, n);
  // A norm beyond 2^64 is first scaled down by s₀ squarings' worth, so no power overflows.
  const s0 = norm > 2 ** PRESCALE_LOG2 ? Math.ceil(Math.log2(norm)) - PRESCALE_LOG2 : 0;
  const bA: Band = [p0, q0];
  if (s0 > 0) scaleBand(h, n, A, 2 ** -s0, bA);
  const b2 = sum(bA, bA, n), b4 = sum(b2, b2, n), b6 = sum(b4, b2, n), b8 = sum(b4, b4, n);
  const product = (x: number, bx: Band, y: number, by: Band, out: number) =>
    K.matmul(x, y, out, WORK, n, bx[0], bx[1], by[0], by[1], 0);
  product(A, bA, A, bA, A2);
  product(A2, b2, A2, b2, A4);
  product(A4, b4, A2, b2, A6);
  const d4 = K.norm1(A4, NORM, n) ** (1 / 4);
  const d6 = K.norm1(A6, NORM, n) ** (1 / 6);
  const eta1 = Math.max(d4, d6);
  let m = 13, s = 0;
  if (s0 === 0 && eta1 <= THETA3 && ell(h, n, A, bA, 3, 1) === 0) m = 3;
  else if (s0 === 0 && eta1 <= THETA5 && ell(h, n, A, bA, 5, 1) === 0) m = 5;
  else {
    product(A4, b4, A4, b4, T); // A⁸
    const d8 = K.norm1(T, NORM, n) ** (1 / 8);
    const eta3 = Math.max(d6, d8);
    if (s0 === 0 && eta3 <= THETA7 && ell(h, n, A, bA, 7, 1) === 0) m = 7;
    else if (s0 === 0 && eta3 <= THETA9 && ell(h, n, A, bA, 9, 1) === 0) m = 9;
    else {
      product(A4, b4, A6, b6, T); // A¹⁰
      const d10 = K.norm1(T, NORM, n) ** (1 / 10);
      const eta5 = Math.min(eta3, Math.max(d8, d10));
      s = Math.max(Math.ceil(Math.log2(eta5 / THETA13)), 0);
      if (!Number.isFinite(s)) s = 0;
      s += ell(h, n, A, bA, 13, 2 ** -s);
    }
  }
  // r_m(2^−s A) = (V − U)⁻¹(V + U), U odd and V even in 2^−s A (Higham 2005, eqs. 2.3–2.4)
  const b = PADE.get(m)!;
  const sc = 2 ** -s;
  scaleBand(h, n, A, sc, bA);
  scaleBand(h, n, A2, sc ** 2, b2);
  scaleBand(h, n, A4, sc ** 4, b4);
  scaleBand(h, n, A6, sc ** 6, b6);
  let bU: Band, bV: Band;
  if (m === 13) {
    K.combine(T, [[b[13]!, A6], [b[11]!, A4], [b[9]!, A2]], 0, b6, n, true);
    K.combine(S, [[b[12]!, A6], [b[10]!, A4], [b[8]!, A2]], 0, b6, n, true);
    bU = bV = sum(b6, b6, n);
    product(A6, b6, T, b6, W);
    product(A6, b6, S, b6, Z);
    K.combine(W, [[1, W], [b[7]!, A6], [b[5]!, A4], [b[3]!, A2]], b[1]!, bU, n, false);
    K.combine(Z, [[1, Z], [b[6]!, A6], [b[4]!, A4], [b[2]!, A2]], b[0]!, bV, n, false);
  } else {
    if (m === 9) scaleBand(h, n, T, sc ** 8, b8); // T holds A⁸
    const powers: [number, Band][] = [[A2, b2], [A4, b4], [A6, b6], [T, b8]];
    const odd: [number, number][] = [], even: [number, number][] = [];
    bU = bV = [0, 0];
    for (let j = 1; 2 * j <= m; j++) {
      const [at, band] = powers[j - 1]!;
      odd.push([b[2 * j + 1]!, at]);
      even.push([b[2 * j]!, at]);
      bU = bV = widest(bU, band);
    }
    K.combine(W, odd, b[1]!, bU, n, true);
    K.combine(Z, even, b[0]!, bV, n, true);
  }
  const bUm = sum(bA, bU, n);
  product(A, bA, W, bU, T); // U = A·(odd part)
  const bQ = widest(bUm, bV);
  // r_m = (V − U)⁻¹(V + U), solved as X = Q⁻¹P, P = V + U, or, for s ≥ 10 squarings (which
  // multiply X's error by up to 2^s), as r_m = I + 2Y with Y = Q⁻¹U, the identity kept apart so
  // that the rounding errors are Y's (measured: the stiff two-state chain at t = 1000, s = 18,
  // has 3.6e-11 through Q⁻¹P and 1e-17 through I + 2Y; scipy 7.3e-12); the squarings then start
  // in the form X = I + Z while ‖Z‖₁ ≤ 1. Either is refined once, X += Q⁻¹(RHS − Q·X)
  // (Higham, Accuracy and Stability of Numerical Algorithms, 2002, §12.1).
  const squarings = s0 + s;
  let zForm = squarings >= 10;
  for (let i = 0; i < n; i++) {
    const hi = Math.min(n, i + bQ[1] + 1);
    for (let j = Math.max(0, i - bQ[0]); j < hi; j++) {
      const k = i * n + j, u = h[T + k]!, v = h[Z + k]!;
      h[Z + k] = zForm ? u : v + u;
      h[T + k] = v - u; // Q = V − U
    }
  }
  const QC = A2, R = A4;
  h.copyWithin(QC, T, T + n * n);
  h.copyWithin(R, Z, Z + n * n);
  K.factor(T, PIV, n, bQ[0]);
  K.substitute(T, PIV, Z, SPANS, LIST, n);
  K.matmul(QC, Z, R, WORK, n, bQ[0], bQ[1], n - 1, n - 1, 1); // R = RHS − Q·X
  K.substitute(T, PIV, R, SPANS, LIST, n);
  h = K.f64;
  const twice = zForm ? 2 : 1;
  for (let k = 0; k < n * n; k++) h[Z + k] = twice * (h[Z + k]! + h[R + k]!);
  // s₀ + s squarings, first in the form X = I + Z, Z ← 2Z + Z² (so that I does not absorb the
  // small Z while ‖Z‖₁ ≤ 1), then X ← X², X = 2^E·Y with Y rescaled by a power of 2 whenever a
  // bound on its norm leaves [2^−400, 2^400], so that nothing overflows into Inf·0 = NaN
  let x = Z, y = S, E = 0;
  const upper = p0 === 0;
  // a symmetrizable tridiagonal A: the last squarings compute one triangle and mirror the other
  const mirror = squarings > 0 && p0 === 1 && q0 === 1 ? symmetrizer(A0, n, h, W) : undefined;
  let bound = K.norm1(x, NORM, n); // ‖Z‖₁ (Z form) or ‖Y‖₁ ≤ bound
  const toX = () => {
    for (let i = 0; i < n; i++) h[x + i * n + i] = h[x + i * n + i]! + 1;
    zForm = false;
    bound = K.norm1(x, NORM, n);
  };
  if (triangular) fixTriangular(h, x, A0, n, upper, squarings, 0, zForm);
  for (let i = squarings - 1; i >= 0; i--) {
    const half = mirror && i < MIRROR_SQUARINGS ? (mirror.fromUpper ? UPPER : LOWER) : 0;
    if (zForm && bound > 1) toX();
    if (zForm) {
      for (let k = 0; k < n * n; k++) h[y + k] = 2 * h[x + k]!;
      K.matmul(x, x, y, WORK, n, n - 1, n - 1, n - 1, n - 1, 2 + half); // 2Z + Z²
      if (half) K.mirror(y, W, n, mirror!.fromUpper);
      [x, y] = [y, x];
      bound = 2 * bound + bound * bound;
    } else {
      K.matmul(x, x, y, WORK, n, n - 1, n - 1, n - 1, n - 1, half);
      if (half) K.mirror(y, W, n, mirror!.fromUpper);
      [x, y] = [y, x];
      E = Math.max(-1e9, Math.min(1e9, 2 * E));
      bound *= bound;
      if (!(bound <= 2 ** RESCALE_LOG2 && bound >= 2 ** -RESCALE_LOG2)) {
        bound = K.norm1(x, NORM, n);
        if (bound > 2 ** RESCALE_LOG2 || (bound > 0 && bound < 2 ** -RESCALE_LOG2)) {
          const e = Math.floor(Math.log2(bound));
          const f = 2 ** -e;
          for (let k = x; k < x + n * n; k++) h[k] = h[k]! * f;
          E += e;
          bound *= f;
        }
      }
    }
    if (triangular) fixTriangular(h, x, A0, n, upper, i, E, zForm);
  }
  if (zForm) toX();
  const value = h.slice(x, x + n * n);
  if (E !== 0) { for (let j = 0; j < value.length; j++) value[j] = scale2(value[j]!, E); }
  if (triangular) fixTriangular(value, 0, A0, n, upper, 0, 0, false);
  const mirrored = mirror ? Math.min(squarings, MIRROR_SQUARINGS) : 0;
  return { value, n, degree: m, squarings, mirrored };
}

/**
 * The matrix exponential `exp(A)` by scaling and squaring with a Padé
 * approximant of degree m ∈ {3, 5, 7, 9, 13}, chosen from the norms
 * `‖A^k‖₁^{1/k}` rather than `‖A‖₁` so fewer squarings are needed, with the
 * extra-squaring correction ℓ_m that avoids overscaling (Al-Mohy & Higham
 * 2009, Algorithm 5.1; no balancing). ‖A^k‖₁ is computed exactly, over the
 * band of A, in WebAssembly SIMD (see the module doc for the refinements:
 * one step of iterative refinement, Code Fragment 2.1 for triangular A,
 * half squarings for a birth–death generator, and Infinity/0 rather than NaN
 * on overflow and underflow). For the action on a
 * vector of a large sparse matrix, see `expmMultiply` (expm_multiply.ts).
 *
 * @param a an n×n matrix: rows, or a flat row-major array
 * @param options `n` for flat input
 * @returns `exp(A)`, row-major n×n
 * @throws {SdenoTypeError} for a non-square matrix or a non-finite entry
 *
 * @example exp of a diagonal matrix
 * ```ts
 * import { expm } from "./expm.ts";
 * import assert from "node:assert/strict";
 * const e = expm([[1, 0], [0, -2]]);
 * assert.ok(Math.abs(e[0]! - Math.E) < 1e-15);
 * assert.ok(Math.abs(e[3]! - Math.exp(-2)) < 1e-16);
 * ```
 */
export function expm(
  a: ArrayLike<ArrayLike<number>> | ArrayLike<number>,
  options: ExpmOptions = {},
): Float64Array {
  return expmInfo(a, options).value;
}
