// expmMultiply (Al-Mohy & Higham 2011, Algorithm 3.2) against closed forms, against expm, its
// WebAssembly kernels against their JavaScript twin, and its typed errors.
import assert from "node:assert/strict";
import { expmMultiply, expmMultiplyInfo } from "../../../solvers/ctmc/expm_multiply.ts";
import { expm } from "../../../solvers/ctmc/expm.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";

/** Binomial(N, s) probabilities by the ratio recursion down from P(N) = s^N, with r = 1 − s. */
function binomial(N: number, logS: number, r: number, s: number): Float64Array {
  const p = new Float64Array(N + 1);
  p[N] = Math.exp(N * logS);
  for (let k = N; k >= 1; k--) p[k - 1] = p[k]! * (k / (N - k + 1)) * (r / s);
  return p;
}

Deno.test("expmMultiply() gives the binomial law of a pure-death chain (closed form)", () => {
  // N individuals, each dying at rate μ: X(t) ~ Binomial(N, e^{−μt}) from X(0) = N
  const N = 400, mu = 0.3;
  const rates: [number, number, number][] = [];
  for (let i = 1; i <= N; i++) rates.push([i, i - 1, mu * i]);
  const q = RateMatrix.fromRates(N + 1, rates);
  const p0 = new Float64Array(N + 1);
  p0[N] = 1;
  for (const t of [0.05, 1, 4]) {
    const r = expmMultiplyInfo(q, p0, { t, transpose: true });
    const law = binomial(N, -mu * t, -Math.expm1(-mu * t), Math.exp(-mu * t));
    let worst = 0, mass = 0;
    for (let k = 0; k <= N; k++) {
      worst = Math.max(worst, Math.abs(r.value[k]! - law[k]!));
      mass += r.value[k]!;
    }
    // the recursion itself carries ~√N·u relative error; each series ends when its terms fall
    // below u·‖F‖∞, so the mass may move by up to n·u·‖F‖∞ (4e-14 here)
    assert.ok(worst < 5e-15, `t=${t}: ${worst}`);
    assert.ok(Math.abs(mass - 1) < 5e-14, `t=${t}: mass ${mass}`);
    assert.ok(r.degree >= 1 && r.degree <= 55 && r.steps >= 1);
  }
});

Deno.test("expmMultiply() gives the Poisson law of immigration–death from 0 (closed form)", () => {
  // immigration λ, death μ per individual: X(t) ~ Poisson(λ/μ·(1 − e^{−μt})); truncated where
  // the Poisson(≤ 50) tail is below 1e-40
  const lambda = 50, mu = 1, n = 250;
  const rates: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (i + 1 < n) rates.push([i, i + 1, lambda]);
    if (i > 0) rates.push([i, i - 1, mu * i]);
  }
  const q = RateMatrix.fromRates(n, rates);
  const p0 = new Float64Array(n);
  p0[0] = 1;
  for (const t of [0.1, 2, 20]) {
    const p = expmMultiply(q, p0, { t, transpose: true });
    const m = (lambda / mu) * -Math.expm1(-mu * t);
    let worst = 0, exact = Math.exp(-m);
    for (let k = 0; k < n; k++) {
      worst = Math.max(worst, Math.abs(p[k]! - exact));
      exact *= m / (k + 1);
    }
    // each of the s steps has a backward error of about u·‖M/s‖₁ (the θ_m criterion), so the
    // result carries ~u·‖M‖₁·max p relative to the law: 2.5e-14 at t = 20 (‖M‖₁ ≈ 4500; scipy's
    // expm_multiply here: 5.4e-15, 1.1e-15, 2.8e-16 at t = 20, 2, 0.1); the recursion adds ~√k·u
    const bound = Math.max(5e-15, 2 ** -53 * 4500 * (t / 20) * 0.06);
    assert.ok(worst < bound, `t=${t}: ${worst}`);
  }
});

Deno.test("expmMultiply() equals expm(tA)·b, with and without transpose", () => {
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const n of [1, 2, 5, 20]) {
    // a general sparse signed matrix in CSR (about half the entries), and b
    const rowPtr = [0], colIdx: number[] = [], values: number[] = [];
    const dense = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j && rnd() < 0.5) continue;
        const v = 4 * (rnd() - 0.5);
        colIdx.push(j);
        values.push(v);
        dense[i * n + j] = v;
      }
      rowPtr.push(colIdx.length);
    }
    const a = { n, rowPtr, colIdx, values };
    const b = Array.from({ length: n }, () => rnd() - 0.5);
    for (const t of [0.3, 3, -2]) {
      const e = expm(dense.map((v) => v * t), { n });
      for (const transpose of [false, true]) {
        const got = expmMultiply(a, b, { t, transpose });
        let scale = 0;
        const want = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            want[i] = want[i]! + (transpose ? e[j * n + i]! : e[i * n + j]!) * b[j]!;
          }
          scale = Math.max(scale, Math.abs(want[i]!));
        }
        for (let i = 0; i < n; i++) {
          assert.ok(
            Math.abs(got[i]! - want[i]!) <= 1e-13 * scale,
            `n=${n} t=${t} transpose=${transpose} i=${i}: ${got[i]} vs ${want[i]}`,
          );
        }
      }
    }
  }
});

Deno.test("expmMultiply() in WebAssembly gives its JavaScript twin's bits; parameters and edge cases", () => {
  const n = 3000;
  const rates: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (i + 1 < n) rates.push([i, i + 1, 100]);
    if (i > 0) rates.push([i, i - 1, 120]);
    if (i + 7 < n) rates.push([i, i + 7, 3.3]);
  }
  const q = RateMatrix.fromRates(n, rates);
  const p0 = new Float64Array(n).map((_, i) => (i < 10 ? 0.1 : 0));
  for (const transpose of [true, false]) {
    // ‖tA − tμI‖₁ ≈ 160: beyond eq. (3.13), so the 1-norm estimates of A^p choose (m, s)
    const w = expmMultiplyInfo(q, p0, { t: 0.7, transpose });
    const js = expmMultiplyInfo(q, p0, { t: 0.7, transpose, wasm: false });
    assert.ok(w.value.every((v, i) => Object.is(v, js.value[i])));
    assert.deepEqual([w.degree, w.steps, w.matvecs], [js.degree, js.steps, js.matvecs]);
    // a large norm takes the largest degree, m = 55 (θ₅₅ = 9.9), and s ≈ ‖tA − tμI‖₁/9.9 steps
    assert.equal(w.degree, 55);
    assert.ok(w.steps >= 10 && w.steps <= 40, `${w.steps}`);
    assert.ok(w.matvecs > w.degree, `${w.matvecs}`);
  }
  // t = 0 and the zero matrix leave b unchanged; a shift alone is e^{tμ}
  const b = [1, -2, 3];
  const z = { n: 3, rowPtr: [0, 0, 0, 0], colIdx: [], values: [] };
  assert.deepEqual([...expmMultiply(z, b, { t: 5 })], b);
  assert.deepEqual([...expmMultiply(q, p0, { t: 0 })], [...p0]);
  const d = { n: 3, rowPtr: [0, 1, 2, 3], colIdx: [0, 1, 2], values: [-2, -2, -2] };
  const r = expmMultiplyInfo(d, b, { t: 1.5 });
  assert.equal(r.degree, 0);
  r.value.forEach((v, i) => assert.ok(Math.abs(v - b[i]! * Math.exp(-3)) < 1e-16));
});

Deno.test("expmMultiply() rejects malformed input before any work", () => {
  const a = { n: 2, rowPtr: [0, 1, 2], colIdx: [1, 0], values: [1, 1] };
  assert.throws(() => expmMultiply(a, [1]), { name: "SdenoTypeError", message: /length n = 2/ });
  assert.throws(() => expmMultiply(a, [1, NaN]), { name: "SdenoTypeError", message: /b\[1\]/ });
  assert.throws(() => expmMultiply(a, [1, 0], { t: Infinity }), { name: "SdenoTypeError" });
  assert.throws(() => expmMultiply(a, [1, 0], { tolerance: 2 }), { name: "SdenoRangeError" });
  assert.throws(
    () => expmMultiply({ ...a, colIdx: [1, 2] }, [1, 0]),
    { name: "SdenoRangeError", message: /colIdx\[1\]/ },
  );
  assert.throws(() => expmMultiply({ ...a, rowPtr: [0, 2] }, [1, 0]), { name: "SdenoTypeError" });
  assert.throws(() => expmMultiply({ ...a, values: [1, Infinity] }, [1, 0]), /finite/);
  assert.throws(() => expmMultiply({ ...a, rowPtr: [0, 2, 1] }, [1, 0]), {
    name: "SdenoTypeError",
  });
  assert.throws(
    () => expmMultiply(a, [1, 0], { transpose: 1 as unknown as boolean }),
    { name: "SdenoTypeError" },
  );
});
