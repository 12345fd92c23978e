// Transition matrices P(Δ) = exp(QΔ) and the integrals the E-step and the
// likelihood gradient need (private):
//
//   M += ∫₀^Δ exp(Qᵀs) u vᵀ exp(Qᵀ(Δ − s)) ds,
//
// for a rank-one weight u vᵀ (the forward and backward vectors of one
// interval). With u_a v_b = ξ(a, b)/P_ab(Δ) the diagonal of M is the expected
// dwell time D_i and q_ij·M_ij the expected number of i → j jumps in the
// interval (Bladt & Sørensen, JRSS-B 67, 2005, §3; Metzner, Horenko &
// Schütte, PRE 76, 066702, 2007, eqs. 20–22); and M_ij is ∂ log p / ∂Q_ij,
// the Fréchet derivative of exp(QΔ) contracted with the weight (Najfeld &
// Havel, Adv. Appl. Math. 16, 1995).
//
// Two ways, checked against each other in the tests:
//  - eigen: Q = R Λ R⁻¹ (complex), P(Δ) = R e^{ΛΔ} R⁻¹ and
//    M = R⁻ᵀ [Σ (Rᵀu)(R⁻¹v)ᵀ ∘ J(Δ)] Rᵀ with
//    J_mn = ∫₀^Δ e^{λ_m s + λ_n(Δ−s)} ds = (e^{λ_mΔ} − e^{λ_nΔ})/(λ_m − λ_n)
//    (Hobolth & Jensen, J. Appl. Prob. 48A, 2011, §3.2), O(n²) per interval;
//  - Van Loan: the upper right block of exp([[Qᵀ, u vᵀ], [0, Qᵀ]]Δ)
//    (Van Loan, IEEE TAC 23, 1978, Thm 1), one 2n×2n expm per interval.
// "auto" takes the eigen route when the eigenvector basis is well
// conditioned (‖R‖₁‖R⁻¹‖₁ ≤ 1e6) and Van Loan otherwise.

import { expm } from "../ctmc/expm.ts";
import { type _Eigen, _eigen } from "./_eigen.ts";

/** How P(Δ) and the interval integrals are computed. */
export type _PropagatorMethod = "auto" | "eigen" | "vanLoan";

export interface _Propagator {
  readonly n: number;
  readonly method: "eigen" | "vanLoan";
  /** P(Δ), row-major; cached per distinct Δ (do not modify). */
  transition(dt: number): Float64Array;
  /** M += ∫₀^Δ exp(Qᵀs) u vᵀ exp(Qᵀ(Δ − s)) ds. */
  addIntegral(dt: number, u: Float64Array, v: Float64Array): void;
  /** The accumulated M (real, row-major), then the sum restarts at 0. */
  takeIntegral(): Float64Array;
}

const MAX_CONDITION = 1e6;

/** A propagator for the generator q (dense, row-major n×n). */
export function _propagator(
  q: Float64Array,
  n: number,
  method: _PropagatorMethod = "auto",
): _Propagator {
  if (method === "vanLoan") return new _VanLoanPropagator(q, n);
  let e: _Eigen | undefined;
  try {
    e = _eigen(q, n);
  } catch {
    e = undefined;
  }
  if (method === "eigen") {
    if (e === undefined) throw new Error("eigen-decomposition failed");
    return new _EigenPropagator(e);
  }
  return e !== undefined && e.condition <= MAX_CONDITION
    ? new _EigenPropagator(e)
    : new _VanLoanPropagator(q, n);
}

class _VanLoanPropagator implements _Propagator {
  readonly n: number;
  readonly method = "vanLoan" as const;
  #q: Float64Array;
  #cache = new Map<number, Float64Array>();
  #m: Float64Array;
  #block: Float64Array;
  constructor(q: Float64Array, n: number) {
    this.n = n;
    this.#q = q;
    this.#m = new Float64Array(n * n);
    this.#block = new Float64Array(4 * n * n);
  }
  transition(dt: number): Float64Array {
    let p = this.#cache.get(dt);
    if (p === undefined) {
      p = expm(this.#q.map((x) => x * dt), { n: this.n });
      this.#cache.set(dt, p);
    }
    return p;
  }
  addIntegral(dt: number, u: Float64Array, v: Float64Array): void {
    const n = this.n, m = 2 * n, b = this.#block, q = this.#q;
    b.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const qt = q[j * n + i]! * dt;
        b[i * m + j] = qt;
        b[(n + i) * m + n + j] = qt;
        b[i * m + n + j] = u[i]! * v[j]! * dt;
      }
    }
    const e = expm(b, { n: m });
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) this.#m[i * n + j] = this.#m[i * n + j]! + e[i * m + n + j]!;
    }
  }
  takeIntegral(): Float64Array {
    const out = this.#m;
    this.#m = new Float64Array(this.n * this.n);
    return out;
  }
}

class _EigenPropagator implements _Propagator {
  readonly n: number;
  readonly method = "eigen" as const;
  #e: _Eigen;
  #cache = new Map<number, Float64Array>();
  // S accumulated in the eigenbasis (complex)
  #sRe: Float64Array;
  #sIm: Float64Array;
  #xRe: Float64Array;
  #xIm: Float64Array;
  #yRe: Float64Array;
  #yIm: Float64Array;
  #eRe: Float64Array;
  #eIm: Float64Array;
  #hRe: Float64Array;
  #hIm: Float64Array;
  // A_m = Re(r_m l_mᵀ), B_m = Im(r_m l_mᵀ), r_m column m of R, l_m row m of R⁻¹
  #outerRe: Float64Array;
  #outerIm: Float64Array;
  constructor(e: _Eigen) {
    const n = e.n;
    this.#outerRe = new Float64Array(n * n * n);
    this.#outerIm = new Float64Array(n * n * n);
    for (let m = 0; m < n; m++) {
      for (let i = 0; i < n; i++) {
        const ar = e.rRe[i * n + m]!, ai = e.rIm[i * n + m]!;
        for (let j = 0; j < n; j++) {
          const br = e.riRe[m * n + j]!, bi = e.riIm[m * n + j]!;
          this.#outerRe[m * n * n + i * n + j] = ar * br - ai * bi;
          this.#outerIm[m * n * n + i * n + j] = ar * bi + ai * br;
        }
      }
    }
    this.n = n;
    this.#e = e;
    this.#sRe = new Float64Array(n * n);
    this.#sIm = new Float64Array(n * n);
    this.#xRe = new Float64Array(n);
    this.#xIm = new Float64Array(n);
    this.#yRe = new Float64Array(n);
    this.#yIm = new Float64Array(n);
    this.#eRe = new Float64Array(n);
    this.#eIm = new Float64Array(n);
    this.#hRe = new Float64Array(n);
    this.#hIm = new Float64Array(n);
  }
  /** e^{λ_m Δ} into #eRe/#eIm, and e^{λ_m Δ/2} into #hRe/#hIm. */
  #exps(dt: number): void {
    const { re, im } = this.#e;
    for (let m = 0; m < this.n; m++) {
      const r = Math.exp(re[m]! * dt), a = im[m]! * dt;
      this.#eRe[m] = r * Math.cos(a);
      this.#eIm[m] = r * Math.sin(a);
      const rh = Math.exp(re[m]! * dt / 2);
      this.#hRe[m] = rh * Math.cos(a / 2);
      this.#hIm[m] = rh * Math.sin(a / 2);
    }
  }
  transition(dt: number): Float64Array {
    let p = this.#cache.get(dt);
    if (p !== undefined) return p;
    // P = Σ_m Re(e^{λ_mΔ} r_m l_mᵀ) = Σ_m Re(e^{λ_mΔ}) A_m − Im(e^{λ_mΔ}) B_m
    const n = this.n, nn = n * n, { re, im } = this.#e, a = this.#outerRe, b = this.#outerIm;
    p = new Float64Array(nn);
    for (let m = 0; m < n; m++) {
      const r = Math.exp(re[m]! * dt);
      const er = im[m] === 0 ? r : r * Math.cos(im[m]! * dt);
      const o = m * nn;
      for (let e = 0; e < nn; e++) p[e] = p[e]! + er * a[o + e]!;
      if (im[m] !== 0) {
        const ei = r * Math.sin(im[m]! * dt);
        for (let e = 0; e < nn; e++) p[e] = p[e]! - ei * b[o + e]!;
      }
    }
    this.#cache.set(dt, p);
    return p;
  }
  addIntegral(dt: number, u: Float64Array, v: Float64Array): void {
    const n = this.n, { re, im, rRe, rIm, riRe, riIm } = this.#e;
    const xRe = this.#xRe, xIm = this.#xIm, yRe = this.#yRe, yIm = this.#yIm;
    // x = Rᵀ u, y = R⁻¹ v
    for (let m = 0; m < n; m++) {
      let a = 0, b = 0, c = 0, d = 0;
      for (let k = 0; k < n; k++) {
        a += rRe[k * n + m]! * u[k]!;
        b += rIm[k * n + m]! * u[k]!;
        c += riRe[m * n + k]! * v[k]!;
        d += riIm[m * n + k]! * v[k]!;
      }
      xRe[m] = a;
      xIm[m] = b;
      yRe[m] = c;
      yIm[m] = d;
    }
    this.#exps(dt);
    const eRe = this.#eRe, eIm = this.#eIm, hRe = this.#hRe, hIm = this.#hIm;
    const sRe = this.#sRe, sIm = this.#sIm;
    for (let m = 0; m < n; m++) {
      for (let k = 0; k < n; k++) {
        _jIntegral(
          re[m]!,
          im[m]!,
          re[k]!,
          im[k]!,
          eRe[m]!,
          eIm[m]!,
          eRe[k]!,
          eIm[k]!,
          hRe[m]!,
          hIm[m]!,
          hRe[k]!,
          hIm[k]!,
          dt,
        );
        const jr = _J[0]!, ji = _J[1]!;
        // x_m y_k J_mk
        const pr = xRe[m]! * yRe[k]! - xIm[m]! * yIm[k]!;
        const pi = xRe[m]! * yIm[k]! + xIm[m]! * yRe[k]!;
        sRe[m * n + k] = sRe[m * n + k]! + pr * jr - pi * ji;
        sIm[m * n + k] = sIm[m * n + k]! + pr * ji + pi * jr;
      }
    }
  }
  takeIntegral(): Float64Array {
    const n = this.n, { rRe, rIm, riRe, riIm } = this.#e;
    const sRe = this.#sRe, sIm = this.#sIm;
    // T = S Rᵀ: T_mj = Σ_k S_mk R_jk; M_ij = Re Σ_m R⁻¹_mi T_mj
    const tRe = new Float64Array(n * n), tIm = new Float64Array(n * n);
    for (let m = 0; m < n; m++) {
      for (let j = 0; j < n; j++) {
        let a = 0, b = 0;
        for (let k = 0; k < n; k++) {
          const sr = sRe[m * n + k]!, si = sIm[m * n + k]!;
          const rr = rRe[j * n + k]!, ri = rIm[j * n + k]!;
          a += sr * rr - si * ri;
          b += sr * ri + si * rr;
        }
        tRe[m * n + j] = a;
        tIm[m * n + j] = b;
      }
    }
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let a = 0;
        for (let m = 0; m < n; m++) {
          a += riRe[m * n + i]! * tRe[m * n + j]! - riIm[m * n + i]! * tIm[m * n + j]!;
        }
        out[i * n + j] = a;
      }
    }
    sRe.fill(0);
    sIm.fill(0);
    return out;
  }
}

/** The result of {@linkcode _jIntegral} (real, imaginary): no allocation in the loop. */
const _J = new Float64Array(2);

/**
 * J = ∫₀^Δ e^{λ_m s + λ_k(Δ−s)} ds for complex λ's, from e^{λΔ} and e^{λΔ/2}:
 * with a = λ_mΔ, b = λ_kΔ and d = (a − b)/2, J = Δ(e^a − e^b)/(a − b) for
 * |d| ≥ 1e-2 (relative rounding error ≲ ε/|d| ≤ 1e-14), and
 * J = Δ e^{a/2} e^{b/2} (1 + d²/6 + d⁴/120) (the series of sinh(d)/d,
 * truncation error < |d|⁶/5040 ≈ 2e-16) below, so equal and nearly equal
 * eigenvalues lose nothing to cancellation.
 */
function _jIntegral(
  lmr: number,
  lmi: number,
  lkr: number,
  lki: number,
  emr: number,
  emi: number,
  ekr: number,
  eki: number,
  hmr: number,
  hmi: number,
  hkr: number,
  hki: number,
  dt: number,
): void {
  const dr = (lmr - lkr) * dt / 2, di = (lmi - lki) * dt / 2;
  const d2 = dr * dr + di * di;
  if (d2 >= 1e-4) {
    // Δ (e^a − e^b) / (2d) = Δ n · conj(d) / (2|d|²)
    const nr = emr - ekr, ni = emi - eki;
    const f = dt / (2 * d2);
    _J[0] = (nr * dr + ni * di) * f;
    _J[1] = (ni * dr - nr * di) * f;
    return;
  }
  const d2r = dr * dr - di * di, d2i = 2 * dr * di;
  const d4r = d2r * d2r - d2i * d2i, d4i = 2 * d2r * d2i;
  const fr = 1 + d2r / 6 + d4r / 120, fi = d2i / 6 + d4i / 120;
  const gr = hmr * hkr - hmi * hki, gi = hmr * hki + hmi * hkr;
  _J[0] = (gr * fr - gi * fi) * dt;
  _J[1] = (gr * fi + gi * fr) * dt;
}
