// Stochastic interpolants (Albergo, Boffi & Vanden-Eijnden 2303.08797): the coefficients and their
// derivatives, and the exact mixture model: its score is ∇ log of the exact marginal density and its
// velocity solves the continuity equation ∂ₜρ + ∇·(bρ) = 0 (central differences).
import assert from "node:assert/strict";
import { linearInterpolant, trigonometricInterpolant } from "../../processes/interpolant.ts";
import { interpolantModel } from "../../processes/interpolant_model.ts";
import { mixtureInterpolant } from "../../models/mixture_interpolant.ts";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

const X0 = { weights: [0.6, 0.4], means: [[-0.5, 0], [1, 0.5]], variances: [[0.8, 1], [0.5, 0.7]] };
const X1 = {
  weights: [0.2, 0.5, 0.3],
  means: [[2, 0], [-1, 1.5], [0.5, -2]],
  variances: [[0.1, 0.2], [0.15, 0.1], [0.2, 0.05]],
};

Deno.test("linear and trigonometric interpolants: end values and derivatives (central differences)", () => {
  for (
    const I of [
      linearInterpolant({ latentScale: 1.5 }),
      trigonometricInterpolant({ latentScale: 0.7 }),
    ]
  ) {
    assert.equal(I.alpha(0), 1);
    assert.ok(Math.abs(I.alpha(1)) < 1e-15 && Math.abs(I.beta(0)) < 1e-15);
    assert.ok(Math.abs(I.beta(1) - 1) < 1e-15);
    assert.equal(I.gamma(0), 0);
    assert.equal(I.gamma(1), 0);
    const e = 1e-6;
    for (const t of [0.1, 0.37, 0.8]) {
      const cd = (f: (t: number) => number) => (f(t + e) - f(t - e)) / (2 * e);
      assert.ok(Math.abs(cd(I.alpha) - I.dAlpha(t)) < 1e-8, I.name);
      assert.ok(Math.abs(cd(I.beta) - I.dBeta(t)) < 1e-8, I.name);
      assert.ok(Math.abs(cd((u) => I.gamma(u) ** 2 / 2) - I.gammaDGamma(t)) < 1e-8, I.name);
    }
  }
});

/** log ρ_t(x) of the exact marginal, from its components. */
function logDensity(m: ReturnType<typeof mixtureInterpolant>, x: number[], t: number): number {
  const { weights, means, variances } = m.marginal(t);
  let p = 0;
  for (let c = 0; c < weights.length; c++) {
    let l = Math.log(weights[c]!);
    for (let e = 0; e < 2; e++) {
      const q = variances[c * 2 + e]!;
      l -= 0.5 * ((x[e]! - means[c * 2 + e]!) ** 2 / q + Math.log(2 * Math.PI * q));
    }
    p += Math.exp(l);
  }
  return Math.log(p);
}

for (
  const I of [
    linearInterpolant({ latentScale: 1 }),
    trigonometricInterpolant(),
    trigonometricInterpolant({ latentScale: 2 }),
  ]
) {
  Deno.test(`mixtureInterpolant(): ${I.name} (a = ${I.latentScale}) score = ∇ log ρ and ∂ₜρ + ∇·(bρ) = 0`, () => {
    const m = mixtureInterpolant(X0, X1, I);
    const h = 1e-5;
    for (const t of [0.05, 0.3, 0.5, 0.9]) {
      for (const x of [[0.2, -0.4], [1.5, 0.8], [-1, 1]]) {
        const out = { velocity: new Float64Array(2), score: new Float64Array(2) };
        m.evaluate(Float64Array.from(x), t, out);
        const rho = (y: number[], u: number) => Math.exp(logDensity(m, y, u));
        let div = 0;
        for (let e = 0; e < 2; e++) {
          const xp = [...x], xm = [...x];
          xp[e]! += h;
          xm[e]! -= h;
          const g = (logDensity(m, xp, t) - logDensity(m, xm, t)) / (2 * h);
          assert.ok(Math.abs(g - out.score[e]!) < 1e-6 * (1 + Math.abs(g)), `score ${t} ${x} ${e}`);
          const bp = { velocity: new Float64Array(2) }, bm = { velocity: new Float64Array(2) };
          m.evaluate(Float64Array.from(xp), t, bp);
          m.evaluate(Float64Array.from(xm), t, bm);
          div += (bp.velocity[e]! * rho(xp, t) - bm.velocity[e]! * rho(xm, t)) / (2 * h);
        }
        const dt = (rho(x, t + h) - rho(x, t - h)) / (2 * h);
        const scale = Math.abs(dt) + Math.abs(div) + rho(x, t);
        assert.ok(
          Math.abs(dt + div) < 1e-6 * scale,
          `continuity at t ${t}, x ${x}: ${dt} + ${div}`,
        );
      }
    }
  });
}

Deno.test("mixtureInterpolant(): E[x₁ | x_t] at t = 1 is x, E[x₀ | x_t] at t = 0 is x", () => {
  const m = mixtureInterpolant(X0, X1, linearInterpolant({ latentScale: 1 }));
  const x = Float64Array.of(0.3, -0.7, 1.2, 2), a = new Float64Array(4), b = new Float64Array(4);
  m.evaluate(x, 1, { x1: a });
  m.evaluate(x, 0, { x0: b });
  for (let e = 0; e < 4; e++) {
    assert.ok(Math.abs(a[e]! - x[e]!) < 1e-14 && Math.abs(b[e]! - x[e]!) < 1e-14);
  }
});

Deno.test("interpolants and models: bad input gets typed errors", () => {
  assert.throws(() => linearInterpolant({ latentScale: -1 }), SdenoRangeError);
  assert.throws(() => trigonometricInterpolant({ latentScale: NaN }), SdenoRangeError);
  assert.throws(() => linearInterpolant(null as unknown as object), SdenoTypeError);
  const oneD = { weights: [1], means: [[0]], variances: [[1]] };
  assert.throws(
    () => mixtureInterpolant(oneD, X1, linearInterpolant()),
    /x0 has dimension 1, x1 has "2"/,
  );
  assert.throws(() => mixtureInterpolant(X0, X1, {} as never), SdenoTypeError);
  const m = mixtureInterpolant(X0, X1, linearInterpolant());
  assert.throws(() => interpolantModel({ ...m, dim: 1.5 }), /dim must be a positive integer/);
  assert.throws(
    () => interpolantModel({ ...m, velocity: 3 as never }),
    /velocity must be a function/,
  );
  assert.throws(() => interpolantModel({ ...m, score: "s" as never }), /score must be a function/);
  assert.equal(
    interpolantModel({ dim: 2, interpolant: m.interpolant, velocity: m.velocity }).dim,
    2,
  );
});
