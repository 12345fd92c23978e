// The Gamma sampler behind the Bayesian MJP estimators (Marsaglia & Tsang
// 2000) against the exact law: the first two moments (|z| < 4 with the
// standard errors of the sample mean and variance under Gamma(a, 1)) and a
// Kolmogorov–Smirnov test against the regularised incomplete gamma P(a, x).
import assert from "node:assert/strict";
import { _DrawStream } from "../../../solvers/inference/_gamma_sampler.ts";
import { regularizedGammaP } from "../../../kernels/incomplete_gamma.ts";
import { ksTest } from "../../../stats/kolmogorov_smirnov.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";

const N = 40000;

for (const a of [0.3, 1, 2.5, 30]) {
  Deno.test(`_DrawStream.gamma() has the moments and the law of Gamma(${a}, 1)`, () => {
    const s = new _DrawStream({ seed: 11, stream: 2 }, PHILOX_PURPOSES.msmBayes).reset(7);
    const x = new Float64Array(N);
    for (let i = 0; i < N; i++) x[i] = s.gamma(a);
    let mean = 0;
    for (const v of x) mean += v;
    mean /= N;
    let m2 = 0;
    for (const v of x) m2 += (v - mean) ** 2;
    const variance = m2 / (N - 1);
    // Var(mean) = a/N; Var(s²) ≈ (μ4 − σ⁴)/N with μ4 = 3a² + 6a for Gamma(a, 1)
    const zMean = (mean - a) / Math.sqrt(a / N);
    const zVar = (variance - a) / Math.sqrt((3 * a * a + 6 * a - a * a) / N);
    assert.ok(Math.abs(zMean) < 4, `mean ${mean}, z ${zMean}`);
    assert.ok(Math.abs(zVar) < 4, `variance ${variance}, z ${zVar}`);
    const ks = ksTest(x, (v) => regularizedGammaP(a, v));
    assert.ok(ks.pValue > 1e-4, `KS D = ${ks.statistic}, p = ${ks.pValue}`);
  });
}

Deno.test("_DrawStream draws are a pure function of the counter words", () => {
  const key = { seed: 3, stream: 1 };
  const s = new _DrawStream(key, PHILOX_PURPOSES.gibbsRates);
  const a = [s.reset(5, 2).gamma(2), s.gamma(0.5), s.normal()];
  s.reset(6, 2).gamma(2);
  const b = [s.reset(5, 2).gamma(2), s.gamma(0.5), s.normal()];
  assert.deepEqual(a, b);
  const c = new _DrawStream(key, PHILOX_PURPOSES.gibbsRates).reset(5, 3).gamma(2);
  assert.notEqual(c, a[0]);
});

Deno.test("_DrawStream.dirichlet() has the Dirichlet mean", () => {
  const s = new _DrawStream({ seed: 1, stream: 0 }, PHILOX_PURPOSES.msmBayes).reset(0);
  const alpha = [0.5, 2, 4.5];
  const a0 = 7;
  const sum = [0, 0, 0];
  const out = new Float64Array(3);
  const m = 20000;
  for (let k = 0; k < m; k++) {
    s.dirichlet(alpha, out);
    for (let i = 0; i < 3; i++) sum[i]! += out[i]!;
  }
  alpha.forEach((ai, i) => {
    const p = ai / a0;
    const se = Math.sqrt(p * (1 - p) / (a0 + 1) / m);
    const z = (sum[i]! / m - p) / se;
    assert.ok(Math.abs(z) < 4, `component ${i}: z ${z}`);
  });
});
