import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillNormal } from "../../kernels/philox.ts";
import { columnMoments, moments } from "../../stats/moments.ts";

Deno.test("moments() matches numpy/scipy estimators on a small sample", () => {
  // x = [0,1,5,2,2,7,3.5]: numpy mean, var(ddof=1); scipy.stats.skew, kurtosis (bias=True)
  const m = moments([0, 1, 5, 2, 2, 7, 3.5]);
  assert.equal(m.n, 7);
  assert.ok(Math.abs(m.mean - 2.9285714285714284) < 1e-15);
  assert.ok(Math.abs(m.variance - 5.869047619047618) < 1e-14);
  assert.ok(Math.abs(m.skewness - 0.540292137253195) < 1e-14);
  assert.ok(Math.abs(m.excessKurtosis - -0.8426304983768707) < 1e-14);
});

Deno.test("moments() standard errors reduce to the normal closed forms", () => {
  // B independent samples of n normals; the mean of each estimated SE over the
  // batches is compared with sqrt(1/n), sqrt(2/n), sqrt(6/n), sqrt(24/n), using
  // the batch-to-batch spread of the estimated SE as its standard error.
  const n = 10000;
  const B = 50;
  const x = new Float64Array(n);
  const keys = ["mean", "variance", "skewness", "excessKurtosis"] as const;
  const exact = { mean: 1 / n, variance: 2 / n, skewness: 6 / n, excessKurtosis: 24 / n };
  const sum = { mean: 0, variance: 0, skewness: 0, excessKurtosis: 0 };
  const sq = { mean: 0, variance: 0, skewness: 0, excessKurtosis: 0 };
  for (let b = 0; b < B; b++) {
    fillNormal(x, { seed: 7, stream: b });
    const m = moments(x);
    for (const k of keys) {
      sum[k] += m.se[k];
      sq[k] += m.se[k] ** 2;
    }
  }
  for (const k of keys) {
    const mean = sum[k] / B;
    const sd = Math.sqrt((sq[k] - B * mean * mean) / (B - 1));
    const z = (mean - Math.sqrt(exact[k])) / (sd / Math.sqrt(B));
    assert.ok(Math.abs(z) < 4, `${k}: mean SE ${mean} vs ${Math.sqrt(exact[k])}, z = ${z}`);
  }
});

Deno.test("moments() estimates are within their standard errors for normal data", () => {
  const x = new Float64Array(100000);
  fillNormal(x, { seed: 9, stream: 0 });
  for (let i = 0; i < x.length; i++) x[i] = 2 + 3 * x[i]!; // N(2, 9)
  const m = moments(x);
  assert.ok(Math.abs(m.mean - 2) / m.se.mean < 4);
  assert.ok(Math.abs(m.variance - 9) / m.se.variance < 4);
  assert.ok(Math.abs(m.skewness) / m.se.skewness < 4);
  assert.ok(Math.abs(m.excessKurtosis) / m.se.excessKurtosis < 4);
  // the closed form sqrt(2/n)·σ² holds for the variance's SE (relative spread ~ sqrt(2/n)·…)
  assert.ok(Math.abs(m.se.variance / (Math.sqrt(2 / x.length) * 9) - 1) < 0.05);
});

Deno.test("moments() gives exact standard errors for a two-point sample", () => {
  // ±1: m₂ = m₄ = m₆ = m₈ = 1, odd moments 0 → Var(s²) term m₄ − m₂² = 0,
  // skewness SE² = (m₆ − 6m₂m₄ + 9m₂³)/n = 4/n, kurtosis SE 0
  const n = 1000;
  const m = moments(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1 : 1)));
  assert.equal(m.excessKurtosis, -2);
  assert.equal(m.se.variance, 0);
  assert.ok(Math.abs(m.se.skewness - 2 / Math.sqrt(n)) < 1e-15);
  assert.ok(m.se.excessKurtosis < 1e-12);
  assert.ok(Math.abs(m.se.mean - Math.sqrt(n / (n - 1) / n)) < 1e-15);
});

Deno.test("columnMoments() computes each column of a batch", () => {
  const n = 2000;
  const x = new Float64Array(n * 3);
  fillNormal(x, { seed: 3, stream: 0 });
  for (let i = 0; i < n; i++) x[i * 3 + 2] = 5 + 0.5 * x[i * 3 + 2]!;
  const cols = columnMoments(x, { d: 3 });
  assert.equal(cols.length, 3);
  const col2 = moments(Array.from({ length: n }, (_, i) => x[i * 3 + 2]!));
  assert.deepEqual(cols[2], col2);
  assert.ok(Math.abs(cols[2]!.mean - 5) / cols[2]!.se.mean < 4);
});

Deno.test("moments() and columnMoments() reject short samples and bad lengths", () => {
  assert.throws(
    () => moments([1]),
    (e: unknown) =>
      e instanceof SdenoRangeError &&
      e.message.includes('x must have at least 2 elements, got length "1"'),
  );
  assert.throws(
    () => moments([1, Infinity]),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes('x[1] must be finite, got "Infinity"'),
  );
  assert.throws(
    () => columnMoments(new Float64Array(7), { d: 2 }),
    (e: unknown) =>
      e instanceof SdenoTypeError &&
      e.message.includes('x has length 7, which is not a multiple of d "2"'),
  );
  assert.throws(
    () => columnMoments(new Float64Array(8), { d: 0 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("d must be an integer in [1,"),
  );
});

Deno.test("moments() of a constant sample has NaN shape statistics", () => {
  const m = moments([2, 2, 2]);
  assert.equal(m.variance, 0);
  assert.ok(Number.isNaN(m.skewness));
  assert.ok(Number.isNaN(m.excessKurtosis));
});
