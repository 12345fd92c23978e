// Checks the benchmark harness itself against the stored levels: the
// reference schedule's ᾱ at the knots, the dense SVD against the stored one,
// the SW floor of exact samples, and the Gaussian W2 of exact posterior draws.

import assert from "node:assert/strict";
import { alphaBar, quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { gaussianW2, loadGmmInstance, loadImageInstance, modeTv, sw1 } from "./_benchmark.ts";
import { fillNormal, makeKey } from "../../../kernels/philox.ts";
import { denseSvd } from "../../../models/operators/_svd.ts";

Deno.test("reference schedule: ᾱ at time n/1000 is Π_{m≤n}(1 − β_m), and ᾱ(0) = 1", () => {
  const inst = loadGmmInstance("gmm_d8_dy1");
  let ab = 1;
  for (let n = 1; n <= 1000; n++) {
    ab *= 1 - (1e-4 + (0.02 - 1e-4) * (n - 1) / 999);
    assert.ok(Math.abs(alphaBar(inst.schedule, n / 1000) / ab - 1) < 1e-12, `n = ${n}`);
  }
  assert.equal(alphaBar(inst.schedule, 0), 1);
  const g = quadraticGrid(100);
  assert.equal(g[0], 1);
  assert.equal(g[g.length - 1], 0);
  assert.equal(g[g.length - 2], 0.001);
});

Deno.test("dense SVD reproduces the stored singular values and A = U S Vᵀ", () => {
  for (const name of ["gmm_d8_dy1", "gmm_d8_dy2", "gmm_d8_dy4"]) {
    const inst = loadGmmInstance(name);
    const { u, s, v } = inst.operator.factors();
    const stored = JSON.parse(
      Deno.readTextFileSync(new URL("../../fixtures/inverse/gmm/instances.json", import.meta.url)),
    )
      .instances.find((i: { name: string }) => i.name === name).singular_values as number[];
    assert.equal(s.length, stored.length);
    s.forEach((x, i) =>
      assert.ok(Math.abs(x - stored[i]!) < 1e-12 * stored[0]!, `${name} s[${i}]`)
    );
    const a = inst.operator.matrix, m = inst.dy, n = inst.d;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let k = 0; k < s.length; k++) acc += u[i * m + k]! * s[k]! * v[j * n + k]!;
        assert.ok(Math.abs(acc - a[i * n + j]!) < 1e-13, `${name} A[${i},${j}]`);
      }
    }
  }
  // A rank-deficient matrix: the completed U is orthogonal.
  const r = denseSvd(Float64Array.from([1, 2, 2, 4]), 2, 2);
  assert.equal(r.s.length, 1);
  assert.ok(Math.abs(r.u[0]! * r.u[1]! + r.u[2]! * r.u[3]!) < 1e-15);
});

Deno.test("metrics: exact samples against themselves sit at the stored floor", () => {
  const inst = loadGmmInstance("gmm_d8_dy2");
  // Half against half: the same order as the stored floor (10k vs 10k) at half the size.
  const a = inst.exactSamples.subarray(0, 5000 * 8), b = inst.exactSamples.subarray(5000 * 8);
  const swHalf = sw1({ ...inst, exactSamples: b }, a);
  assert.ok(swHalf < 3 * inst.levels.swExact, `SW half/half ${swHalf}`);
  assert.ok(modeTv(inst, inst.exactSamples) < 0.02);
  assert.ok(sw1(inst, inst.exactSamples) === 0);
});

Deno.test("metrics: Gaussian W2 of exact posterior draws is near the stored MC floor", () => {
  const inst = loadImageInstance("img8_sr2");
  const d = inst.d, n = 4000;
  // Draw N(m, C) through a Cholesky factor of C.
  const c = inst.postCov, l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = c[j * d + j]!;
    for (let k = 0; k < j; k++) s -= l[j * d + k]! ** 2;
    l[j * d + j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let t = c[i * d + j]!;
      for (let k = 0; k < j; k++) t -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = t / l[j * d + j]!;
    }
  }
  const z = new Float64Array(n * d);
  fillNormal(z, makeKey(7));
  const x = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      let acc = inst.postMean[i]!;
      for (let k = 0; k <= i; k++) acc += l[i * d + k]! * z[r * d + k]!;
      x[r * d + i] = acc;
    }
  }
  const { w2, trRatio } = gaussianW2(x, inst.postMean, inst.postCov);
  assert.ok(w2 < 2 * inst.levels.w2Floor, `W2 ${w2} vs floor ${inst.levels.w2Floor}`);
  assert.ok(Math.abs(trRatio - 1) < 0.05, `tr ratio ${trRatio}`);
});
