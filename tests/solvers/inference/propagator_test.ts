import assert from "node:assert/strict";
import { flashingRatchet } from "../../../processes/flashing_ratchet.ts";
import { expm } from "../../../solvers/ctmc/expm.ts";
import { _propagator } from "../../../solvers/inference/_propagator.ts";
import { dfrTruth } from "./_dfr_data.ts";

const dfr = flashingRatchet({ V: 1, r: 1, b: 1 }).toDense();
// a generator with complex eigenvalues (biased 3-cycle), and one with a repeated eigenvalue (−3, −3)
const cycle = new Float64Array([-3, 2.5, 0.5, 0.5, -3, 2.5, 2.5, 0.5, -3]);
const symmetric = new Float64Array([-2, 1, 1, 1, -2, 1, 1, 1, -2]);
const cases: [string, Float64Array, number][] = [["dfr", dfr, 6], ["cycle", cycle, 3], [
  "symmetric",
  symmetric,
  3,
]];

const maxDiff = (a: Float64Array, b: Float64Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

Deno.test("_propagator(): P(Δ) by eigen matches expm, and the DFR reference P(1)", () => {
  for (const [name, q, n] of cases) {
    const e = _propagator(q, n, "eigen"), v = _propagator(q, n, "vanLoan");
    assert.equal(_propagator(q, n).method, "eigen");
    for (const dt of [1e-6, 0.013, 0.5, 2.5, 20]) {
      const p = expm(q.map((x) => x * dt), { n });
      assert.ok(
        maxDiff(e.transition(dt), p) < 1e-13,
        `${name} Δ=${dt}: ${maxDiff(e.transition(dt), p)}`,
      );
      assert.deepEqual(v.transition(dt), p);
    }
  }
  const p1 = _propagator(dfr, 6, "eigen").transition(1);
  assert.ok(maxDiff(p1, new Float64Array(dfrTruth.check_expm_P_t1.flat())) < 1e-14);
});

Deno.test("_propagator(): interval integrals by the eigen closed form match Van Loan's block exponential to 1e-12", () => {
  for (const [name, q, n] of cases) {
    const e = _propagator(q, n, "eigen"), v = _propagator(q, n, "vanLoan");
    for (const dt of [1e-5, 0.07, 0.9, 3]) {
      const u = Float64Array.from({ length: n }, (_, i) => 0.3 + 0.1 * i);
      const w = Float64Array.from({ length: n }, (_, i) => 1.1 - 0.15 * i);
      e.addIntegral(dt, u, w);
      v.addIntegral(dt, u, w);
      const me = e.takeIntegral(), mv = v.takeIntegral();
      const scale = mv.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      assert.ok(
        maxDiff(me, mv) < 1e-12 * Math.max(scale, 1),
        `${name} Δ=${dt}: ${maxDiff(me, mv)}`,
      );
      // trace: Σ_i M_ii = Δ·uᵀ P(Δ) w
      const p = v.transition(dt);
      let upw = 0, tr = 0;
      for (let i = 0; i < n; i++) {
        tr += me[i * n + i]!;
        for (let j = 0; j < n; j++) upw += u[i]! * p[i * n + j]! * w[j]!;
      }
      assert.ok(Math.abs(tr - dt * upw) < 1e-13 * Math.max(1, dt * upw));
    }
  }
});

Deno.test("_propagator(): M equals Σ_ab u_a w_b I_ab(i,j) with I from the per-pair Van Loan blocks expm([[Q, e_i e_jᵀ],[0, Q]]Δ)", () => {
  const n = 6, dt = 0.8, q = dfr;
  const u = Float64Array.from({ length: n }, (_, i) => (i + 1) / 7);
  const w = Float64Array.from({ length: n }, (_, i) => 2 - i / 4);
  const e = _propagator(q, n, "eigen");
  e.addIntegral(dt, u, w);
  const m = e.takeIntegral();
  const m2 = 2 * n;
  for (const [i, j] of [[0, 1], [2, 0], [3, 3], [5, 2]] as const) {
    // I_ab(i, j) = ∫ P_ai(s) P_jb(Δ−s) ds is the (a, b) entry of the upper right block
    const block = new Float64Array(m2 * m2);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        block[a * m2 + b] = q[a * n + b]! * dt;
        block[(n + a) * m2 + n + b] = q[a * n + b]! * dt;
      }
    }
    block[i * m2 + n + j] = dt;
    const x = expm(block, { n: m2 });
    let s = 0;
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) s += u[a]! * w[b]! * x[a * m2 + n + b]!;
    assert.ok(Math.abs(s - m[i * n + j]!) < 1e-12, `(${i}, ${j}): ${s} vs ${m[i * n + j]}`);
  }
});

Deno.test("_propagator() falls back to Van Loan for a defective generator, and the likelihood stays exact", () => {
  // a Jordan block: eigenvalue −1 twice with one eigenvector
  const q = new Float64Array([-1, 1, 0, 0, -1, 1, 0, 0, 0]);
  const p = _propagator(q, 3);
  assert.equal(p.method, "vanLoan");
  // P(t) in closed form: P00 = e^-t, P01 = t e^-t, P02 = 1 − (1 + t) e^-t
  const t = 0.7, e = Math.exp(-t);
  const P = p.transition(t);
  assert.ok(Math.abs(P[0]! - e) < 1e-15 && Math.abs(P[1]! - t * e) < 1e-15);
  assert.ok(Math.abs(P[2]! - (1 - (1 + t) * e)) < 1e-15);
  // the same Δ again comes from the cache
  assert.equal(p.transition(t), P);
  // dwell time in state 0 given x(0) = 0 and x(t) = 0: u = e₀, v = e₀/P₀₀ gives D₀ = t
  p.addIntegral(t, new Float64Array([1, 0, 0]), new Float64Array([1 / e, 0, 0]));
  const m = p.takeIntegral();
  assert.ok(Math.abs(m[0]! - t) < 1e-14 && Math.abs(m[4]!) < 1e-15);
});
