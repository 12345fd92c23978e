import assert from "node:assert/strict";
import { flashingRatchet } from "../../../processes/flashing_ratchet.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { _eigen } from "../../../solvers/inference/_eigen.ts";
import {
  eigenvalues,
  mjpDerivedQuantities,
  relaxationTime,
} from "../../../solvers/inference/mjp_derived_quantities.ts";
import { dfrTruth } from "./_dfr_data.ts";

const ref = JSON.parse(
  Deno.readTextFileSync(new URL("../../fixtures/inference/eigen_reference.json", import.meta.url)),
) as { cases: { kind: string; n: number; a: number[][]; re: number[]; im: number[] }[] };

Deno.test("eigenvalues() matches numpy (LAPACK dgeev) on generators and random matrices", () => {
  for (const c of ref.cases) {
    const e = eigenvalues(c.a);
    const scale = Math.max(1, ...c.a.flat().map(Math.abs));
    // each reference eigenvalue has a computed one within 1e-12·scale, matched one to one
    const used = new Set<number>();
    for (let k = 0; k < c.n; k++) {
      let best = -1, dist = Infinity;
      for (let m = 0; m < c.n; m++) {
        if (used.has(m)) continue;
        const d = Math.hypot(e.re[m]! - c.re[k]!, e.im[m]! - c.im[k]!);
        if (d < dist) [best, dist] = [m, d];
      }
      used.add(best);
      assert.ok(dist < 1e-12 * scale, `${c.kind} n=${c.n}: λ${k} off by ${dist}`);
    }
    // sorted by real part, largest first
    for (let k = 1; k < c.n; k++) assert.ok(e.re[k - 1]! >= e.re[k]! - 1e-12 * scale);
  }
});

Deno.test("_eigen() gives A R = R Λ and R R⁻¹ = I to rounding", () => {
  for (const c of ref.cases) {
    const n = c.n, a = new Float64Array(c.a.flat());
    const e = _eigen(a, n);
    const scale = Math.max(1, ...c.a.flat().map(Math.abs));
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < n; m++) {
        let sr = 0, si = 0, ir = 0, ii = 0;
        for (let j = 0; j < n; j++) {
          sr += a[i * n + j]! * e.rRe[j * n + m]!;
          si += a[i * n + j]! * e.rIm[j * n + m]!;
          ir += e.rRe[i * n + j]! * e.riRe[j * n + m]! - e.rIm[i * n + j]! * e.riIm[j * n + m]!;
          ii += e.rRe[i * n + j]! * e.riIm[j * n + m]! + e.rIm[i * n + j]! * e.riRe[j * n + m]!;
        }
        sr -= e.rRe[i * n + m]! * e.re[m]! - e.rIm[i * n + m]! * e.im[m]!;
        si -= e.rRe[i * n + m]! * e.im[m]! + e.rIm[i * n + m]! * e.re[m]!;
        assert.ok(Math.hypot(sr, si) < 1e-13 * scale, `${c.kind} n=${n} residual`);
        assert.ok(Math.hypot(ir - (i === m ? 1 : 0), ii) < 1e-12 * e.condition);
      }
    }
  }
});

Deno.test("relaxationTime() and mjpDerivedQuantities() reproduce the DFR ground truth", () => {
  const q = flashingRatchet({ V: 1, r: 1, b: 1 });
  const e = eigenvalues(q);
  dfrTruth.eigenvalues_real.forEach((v, k) => assert.ok(Math.abs(e.re[k]! - v) < 1e-12, `λ${k}`));
  assert.ok(e.im.every((v) => Math.abs(v) < 1e-12));
  assert.ok(Math.abs(relaxationTime(q) - dfrTruth.relaxation_time) < 1e-12);
  const d = mjpDerivedQuantities(q);
  dfrTruth.stationary.forEach((v, i) => assert.ok(Math.abs(d.stationary[i]! - v) < 1e-14));
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) {
      assert.ok(
        Math.abs(d.meanFirstPassageTimes[i * 6 + j]! - dfrTruth.mfpt[i]![j]!) < 1e-12,
        `mfpt ${i}→${j}`,
      );
    }
  }
  assert.ok(Math.abs(d.entropyProduction - dfrTruth.entropy_production_rate) < 1e-13);
  // a defective matrix (Jordan block) still gives its eigenvalue
  const j = eigenvalues([[-1, 1], [0, -1]]);
  assert.ok(Math.abs(j.re[0]! + 1) < 1e-12 && Math.abs(j.re[1]! + 1) < 1e-12);
  assert.equal(relaxationTime(RateMatrix.fromDense([[0]])), Infinity);
  assert.throws(() => eigenvalues([[1, 2], [3]]), TypeError);
  assert.throws(() => eigenvalues([[1, NaN], [3, 4]]), /\[0\]\[1\]/);
});
