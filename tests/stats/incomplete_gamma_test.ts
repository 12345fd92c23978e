import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { logGamma, regularizedGammaP, regularizedGammaQ } from "../../stats/incomplete_gamma.ts";

// python3 -c "import scipy.special as sp; print(repr(sp.gammainc(10, 5)))" and likewise
const P: [number, number, number][] = [
  [0.5, 0.1, 0.34527915398142317],
  [2, 1, 0.2642411176571153],
  [10, 5, 0.03182805730620481],
  [10, 20, 0.9950045876916924],
  [100, 90, 0.15822098918643007],
];
// python3 -c "import scipy.special as sp; print(repr(sp.gammaln(0.1)))" and likewise
const LGAMMA: [number, number][] = [
  [0.1, 2.252712651734206],
  [0.5, 0.5723649429247],
  [1.5, -0.12078223763524526],
  [3, 0.6931471805599453],
  [10.5, 13.940625219403763],
  [100, 359.1342053695754],
  [1000.5, 5908.674175848678],
];

Deno.test("regularizedGammaP() matches scipy.special.gammainc on both branches", () => {
  for (const [a, x, ref] of P) {
    const got = regularizedGammaP(a, x);
    assert.ok(Math.abs(got / ref - 1) < 1e-13, `P(${a}, ${x}) = ${got}, scipy ${ref}`);
    assert.ok(Math.abs(regularizedGammaQ(a, x) - (1 - ref)) < 1e-14);
  }
  assert.equal(regularizedGammaP(3, 0), 0);
  assert.equal(regularizedGammaQ(3, Infinity), 0);
});

Deno.test("logGamma() matches scipy.special.gammaln", () => {
  for (const [z, ref] of LGAMMA) {
    const got = logGamma(z);
    assert.ok(
      Math.abs(got - ref) < 1e-14 * Math.max(1, Math.abs(ref)),
      `lnΓ(${z}) = ${got}, scipy ${ref}`,
    );
  }
});

Deno.test("regularizedGammaP() rejects a ≤ 0, x < 0 and NaN", () => {
  assert.throws(
    () => regularizedGammaP(0, 1),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes('a must be positive, got "0"'),
  );
  assert.throws(
    () => regularizedGammaQ(1, -1),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes('x must be non-negative, got "-1"'),
  );
  assert.throws(() => regularizedGammaP(1, NaN), SdenoTypeError);
  assert.throws(() => logGamma(-2), SdenoRangeError);
});
