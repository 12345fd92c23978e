import assert from "node:assert/strict";
import { SdenoRangeError } from "../../kernels/errors.ts";
import { fillNormal } from "../../kernels/philox.ts";
import { effectiveSampleSize, effectiveSampleSizeOfWeights } from "../../stats/ess.ts";

/** Stationary AR(1): x₀ ~ N(0, 1), x_t = ρ x_{t−1} + sqrt(1 − ρ²) ε_t. */
function ar1(n: number, rho: number, seed: number, stream: number): Float64Array {
  const e = new Float64Array(n);
  fillNormal(e, { seed, stream });
  const x = new Float64Array(n);
  x[0] = e[0]!;
  const s = Math.sqrt(1 - rho * rho);
  for (let t = 1; t < n; t++) x[t] = rho * x[t - 1]! + s * e[t]!;
  return x;
}

for (const rho of [0.5, 0.9, -0.3]) {
  Deno.test(`effectiveSampleSize() of an AR(1) chain with rho ${rho} matches n(1 − rho)/(1 + rho)`, () => {
    // R independent chains; the closed form is compared with the mean estimate,
    // using the chain-to-chain spread as the standard error
    const n = 20000;
    const R = 20;
    const exact = (n * (1 - rho)) / (1 + rho);
    const est: number[] = [];
    for (let r = 0; r < R; r++) est.push(effectiveSampleSize(ar1(n, rho, 41, r)));
    const mean = est.reduce((a, b) => a + b, 0) / R;
    const sd = Math.sqrt(est.reduce((a, b) => a + (b - mean) ** 2, 0) / (R - 1));
    const z = (mean - exact) / (sd / Math.sqrt(R));
    assert.ok(Math.abs(z) < 4, `mean ESS ${mean} vs ${exact} (sd ${sd}), z = ${z}`);
  });
}

Deno.test("effectiveSampleSize() of i.i.d. draws is close to n and NaN for a constant chain", () => {
  const x = new Float64Array(10000);
  fillNormal(x, { seed: 42, stream: 0 });
  const ess = effectiveSampleSize(x);
  // for i.i.d. data τ̂ − 1 has SD of order sqrt(2(2M + 1)/n) with a small window M
  assert.ok(Math.abs(ess / x.length - 1) < 0.15, `ESS ${ess}`);
  assert.ok(Number.isNaN(effectiveSampleSize([3, 3, 3, 3, 3])));
});

Deno.test("effectiveSampleSizeOfWeights() is Kish's (Σw)²/Σw²", () => {
  assert.equal(effectiveSampleSizeOfWeights([1, 1, 1]), 3);
  assert.ok(Math.abs(effectiveSampleSizeOfWeights([1, 2, 3]) - 36 / 14) < 1e-15);
  assert.ok(Math.abs(effectiveSampleSizeOfWeights([1e300, 1e300]) - 2) < 1e-15);
});

Deno.test("effectiveSampleSize() and effectiveSampleSizeOfWeights() reject bad input", () => {
  assert.throws(
    () => effectiveSampleSize([1, 2]),
    (e: unknown) =>
      e instanceof SdenoRangeError &&
      e.message.includes('chain must have at least 4 elements, got length "2"'),
  );
  assert.throws(
    () => effectiveSampleSizeOfWeights([1, -1]),
    (e: unknown) =>
      e instanceof SdenoRangeError &&
      e.message.includes('weights[1] must be non-negative, got "-1"'),
  );
  assert.throws(
    () => effectiveSampleSizeOfWeights([0, 0]),
    (e: unknown) => e instanceof SdenoRangeError && e.message.includes("must not all be zero"),
  );
  assert.throws(
    () => effectiveSampleSizeOfWeights([]),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("weights must have at least 1 element"),
  );
});
