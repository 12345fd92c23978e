import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { chiSquareTest } from "../../stats/chi_square.ts";
import { regularizedGammaQ } from "../../stats/incomplete_gamma.ts";

// python3 -c "import scipy.stats as st; print(repr(st.chi2.sf(3.84, 1)))" and likewise
const SF: [number, number, number][] = [
  [3.84, 1, 0.05004352124870519],
  [3.841458820694124, 1, 0.04999999999999989],
  [10, 3, 0.01856613546304325],
  [0.5, 2, 0.7788007830714049],
  [100, 80, 0.064570368921133],
  [50, 10, 2.669083424904495e-7],
  [300, 250, 0.016518273157868715],
  [1e-3, 1, 0.9747728793699604],
];

Deno.test("chiSquareTest() p-values are chi-square survival values (scipy.stats.chi2.sf)", () => {
  for (const [x, k, ref] of SF) {
    const got = regularizedGammaQ(k / 2, x / 2);
    assert.ok(Math.abs(got / ref - 1) < 1e-13, `sf(${x}; ${k}) = ${got}, scipy ${ref}`);
  }
});

Deno.test("chiSquareTest() matches scipy.stats.chisquare without pooling", () => {
  // python3 -c "import scipy.stats as st, numpy as np; p=np.array([.05,.1,.2,.3,.2,.1,.05]);
  //   print(st.chisquare([5,12,20,30,18,10,5], p*100))"  → 0.6000000000000001, 0.9964005068169105
  const r = chiSquareTest([5, 12, 20, 30, 18, 10, 5], [0.05, 0.1, 0.2, 0.3, 0.2, 0.1, 0.05]);
  assert.equal(r.groups, 7);
  assert.equal(r.dof, 6);
  assert.equal(r.total, 100);
  assert.ok(Math.abs(r.statistic - 0.6) < 1e-13);
  assert.ok(Math.abs(r.pValue - 0.9964005068169105) < 1e-13);
});

Deno.test("chiSquareTest() pools adjacent bins with expected count below 5", () => {
  // expected 1, 2, 12 | 30 | 30 | 17 | 5 | 2, 1 → groups
  // O = [13, 30, 35, 15, 7], E = [15, 30, 30, 17, 8] (the short tail joins the last group)
  // python3 -c "import scipy.stats as st; print(st.chisquare([13,30,35,15,7], [15,30,30,17,8]))"
  //   → 1.460294117647059, 0.8336508171019515
  const r = chiSquareTest(
    [1, 2, 10, 30, 35, 15, 4, 2, 1],
    [0.01, 0.02, 0.12, 0.3, 0.3, 0.17, 0.05, 0.02, 0.01],
  );
  assert.equal(r.groups, 5);
  assert.equal(r.dof, 4);
  assert.ok(Math.abs(r.statistic - 1.460294117647059) < 1e-13);
  assert.ok(Math.abs(r.pValue - 0.8336508171019515) < 1e-13);
  // ddof removes degrees of freedom; minExpected 0 keeps every bin
  assert.equal(
    chiSquareTest([1, 2, 10, 30, 35, 15, 4, 2, 1], new Array(9).fill(1 / 9), { ddof: 2 }).dof,
    6,
  );
  assert.equal(
    chiSquareTest([1, 2, 3], [0.2, 0.3, 0.5], { minExpected: 0 }).groups,
    3,
  );
});

Deno.test("chiSquareTest() rejects mismatched lengths, bad probabilities and too few groups", () => {
  assert.throws(
    () => chiSquareTest([1, 2, 3], [0.5, 0.5]),
    (e: unknown) =>
      e instanceof SdenoTypeError && e.message.includes("must have the same length, got 3 and 2"),
  );
  assert.throws(
    () => chiSquareTest([1, 2], [0.5, 0.6]),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("probabilities must sum to 1"),
  );
  assert.throws(
    () => chiSquareTest([1, -2], [0.5, 0.5]),
    (e: unknown) =>
      e instanceof SdenoRangeError &&
      e.message.includes('observed[1] must be non-negative, got "-2"'),
  );
  assert.throws(
    () => chiSquareTest([0, 0], [0.5, 0.5]),
    (e: unknown) => e instanceof SdenoRangeError && e.message.includes("must not all be zero"),
  );
  assert.throws(
    () => chiSquareTest([3, 4], [0.5, 0.5]),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("1 group remain after pooling"),
  );
  assert.throws(
    () => chiSquareTest([], []),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("observed must have at least 1 element"),
  );
});
