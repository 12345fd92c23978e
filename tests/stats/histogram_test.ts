import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillNormal } from "../../kernels/philox.ts";
import { chiSquareTest } from "../../stats/chi_square.ts";
import { histogram, histogramDensity } from "../../stats/histogram.ts";
import { normalCdf } from "../../stats/normal_cdf.ts";

Deno.test("histogram() puts edge values in the bin that starts there and max in the last bin", () => {
  const h = histogram([0, 0.1, 0.2, 0.3, 0.7, 1, -0.5, 1.5, -Infinity, Infinity], {
    bins: 10,
    min: 0,
    max: 1,
  });
  assert.deepEqual(Array.from(h.counts), [1, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
  assert.equal(h.underflow, 2);
  assert.equal(h.overflow, 2);
  assert.equal(h.total, 10);
  assert.equal(h.edges.length, 11);
  assert.equal(h.edges[10], 1);
  // every in-range value lands in [edges[k], edges[k+1])
  const x = Array.from({ length: 1000 }, (_, i) => -3 + i * 0.006);
  const g = histogram(x, { bins: 7, min: -3, max: 3 });
  let count = 0;
  for (let k = 0; k < 7; k++) {
    const inBin = x.filter((v) => v >= g.edges[k]! && (k === 6 ? v <= 3 : v < g.edges[k + 1]!));
    assert.equal(g.counts[k], inBin.length);
    count += inBin.length;
  }
  assert.equal(count + g.underflow + g.overflow, 1000);
});

Deno.test("histogramDensity() of normal draws passes a chi-square test against normalCdf", () => {
  const n = 50000;
  const x = new Float64Array(n);
  fillNormal(x, { seed: 17, stream: 0 });
  const bins = 40;
  const h = histogram(x, { bins, min: -4, max: 4 });
  // expected probabilities of the bins plus the two tails
  const probs = [normalCdf(-4)];
  for (let k = 0; k < bins; k++) probs.push(normalCdf(h.edges[k + 1]!) - normalCdf(h.edges[k]!));
  probs.push(1 - normalCdf(4));
  const observed = [h.underflow, ...h.counts, h.overflow];
  const r = chiSquareTest(observed, probs);
  // the p-value of a correct model is uniform: it is below 1e-4 with probability 1e-4
  assert.ok(r.pValue > 1e-4, `chi-square ${r.statistic} on ${r.dof} dof, p = ${r.pValue}`);
  const dens = histogramDensity(h);
  let integral = 0;
  for (let k = 0; k < bins; k++) integral += dens[k]! * (h.edges[k + 1]! - h.edges[k]!);
  assert.ok(Math.abs(integral - (n - h.underflow - h.overflow) / n) < 1e-12);
  const inRange = histogramDensity(h, { normalizeBy: "inRange" });
  let one = 0;
  for (let k = 0; k < bins; k++) one += inRange[k]! * (h.edges[k + 1]! - h.edges[k]!);
  assert.ok(Math.abs(one - 1) < 1e-12);
});

Deno.test("histogram() rejects bins ≤ 0, an empty range and NaN", () => {
  assert.throws(
    () => histogram([1], { bins: 0, min: 0, max: 1 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("bins must be an integer in [1,"),
  );
  assert.throws(
    () => histogram([1], { bins: 2.5, min: 0, max: 1 }),
    (e: unknown) =>
      e instanceof SdenoTypeError && e.message.includes('bins must be an integer, got "2.5"'),
  );
  assert.throws(
    () => histogram([1], { bins: 2, min: 1, max: 1 }),
    (e: unknown) =>
      e instanceof SdenoRangeError &&
      e.message.includes('max must be greater than min "1", got "1"'),
  );
  assert.throws(
    () => histogram([1, NaN], { bins: 2, min: 0, max: 1 }),
    (e: unknown) => e instanceof SdenoRangeError && e.message.includes("x[1] must not be NaN"),
  );
  assert.throws(
    () => histogramDensity(histogram([], { bins: 2, min: 0, max: 1 })),
    (e: unknown) => e instanceof SdenoRangeError && e.message.includes("holds no values"),
  );
});
