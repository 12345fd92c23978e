// Resampling for the SMC guidance methods: systematic counts within one of
// N·wᵢ, multinomial and residual counts against their binomial laws
// (|z| < 4), the ESS formula, log-weight normalisation, keyed uniforms and
// the ESS policy, and typed errors for bad input.

import assert from "node:assert/strict";
import {
  essFromLogWeights,
  essPolicy,
  multinomialResample,
  normalizeLogWeights,
  resample,
  resampleUniforms,
  residualResample,
  systematicResample,
} from "../../../solvers/guidance/resampling.ts";
import { fillUniform, makeKey } from "../../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";

/** Keyed random weights: w ∝ exp(2 z), z ~ N(0, 1) (a spread like SMC weights). */
function randomWeights(n: number, seed: number): Float64Array {
  const u = new Float64Array(n);
  fillUniform(u, makeKey(seed));
  return normalizeLogWeights(Array.from(u, (v) => 4 * Math.log(v))).weights;
}

function counts(idx: Int32Array, n: number): Int32Array {
  const c = new Int32Array(n);
  for (const i of idx) c[i] = c[i]! + 1;
  return c;
}

Deno.test("systematicResample() gives each particle ⌊N wᵢ⌋ or ⌈N wᵢ⌉ copies", () => {
  for (const [n, seed] of [[10, 1], [100, 2], [1000, 3], [7, 4]] as const) {
    const w = randomWeights(n, seed);
    for (const u of [0, 1e-9, 0.25, 0.5, 0.999999]) {
      const idx = systematicResample(w, u);
      assert.equal(idx.length, n);
      const c = counts(idx, n);
      for (let i = 0; i < n; i++) {
        assert.ok(
          Math.abs(c[i]! - n * w[i]!) < 1 + 1e-9,
          `n ${n} u ${u} i ${i}: ${c[i]} vs ${n * w[i]!}`,
        );
      }
      // ancestors come out sorted
      for (let i = 1; i < n; i++) assert.ok(idx[i]! >= idx[i - 1]!);
    }
  }
  // a zero weight is never picked
  assert.deepEqual([...systematicResample([0, 0.5, 0, 0.5], 0.999)], [1, 1, 3, 3]);
});

Deno.test("multinomialResample() counts follow Binomial(N, wᵢ) (|z| < 4)", () => {
  const n = 200000, w = new Float64Array([0.5, 0.3, 0.15, 0.05, 0]);
  const big = new Float64Array(n);
  // N particles whose weights group into the five cells above
  for (let i = 0; i < n; i++) big[i] = w[i % 5]! / (n / 5);
  const u = resampleUniforms(makeKey(9), { system: 0, step: 0, particles: n });
  const idx = multinomialResample(big, u);
  const cell = new Float64Array(5);
  for (const i of idx) cell[i % 5] = cell[i % 5]! + 1;
  for (let c = 0; c < 5; c++) {
    const sd = Math.sqrt(n * w[c]! * (1 - w[c]!));
    if (w[c] === 0) assert.equal(cell[c], 0);
    else assert.ok(Math.abs(cell[c]! - n * w[c]!) / sd < 4, `cell ${c}: ${cell[c]}`);
  }
});

Deno.test("residualResample() keeps ⌊N wᵢ⌋ copies and draws the rest by residual weights", () => {
  const n = 1000, w = randomWeights(n, 5);
  const u = resampleUniforms(makeKey(3), { system: 1, step: 2, particles: n });
  const c = counts(residualResample(w, u), n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    assert.ok(c[i]! >= Math.floor(n * w[i]!), `i ${i}`);
    total += c[i]!;
  }
  assert.equal(total, n);
  // the residual draws: expected count of i is N wᵢ; summed over many seeds, |z| < 4
  const reps = 400, acc = new Float64Array(4);
  const w4 = [0.4, 0.35, 0.2, 0.05];
  for (let r = 0; r < reps; r++) {
    const us = resampleUniforms(makeKey(11), { system: r, step: 0, particles: 4 });
    const cc = counts(residualResample(w4, us), 4);
    for (let i = 0; i < 4; i++) acc[i] = acc[i]! + cc[i]!;
  }
  // residuals 1.6−1, 1.4−1, 0.8, 0.2 → R = 2 draws with probabilities (0.3, 0.2, 0.4, 0.1)
  const rw = [0.3, 0.2, 0.4, 0.1];
  for (let i = 0; i < 4; i++) {
    const mean = reps * 4 * w4[i]!;
    const sd = Math.sqrt(reps * 2 * rw[i]! * (1 - rw[i]!));
    assert.ok(Math.abs(acc[i]! - mean) / sd < 4, `i ${i}: ${acc[i]} vs ${mean}`);
  }
});

Deno.test("essFromLogWeights() is (Σw)²/Σw², stable under a common shift", () => {
  const l = [0.3, -1.2, 2.5, 0, -Infinity, 1.1];
  const w = l.map(Math.exp);
  const sum = w.reduce((a, b) => a + b, 0), sq = w.reduce((a, b) => a + b * b, 0);
  const want = sum * sum / sq;
  assert.ok(Math.abs(essFromLogWeights(l) - want) < 1e-13 * want);
  assert.ok(Math.abs(essFromLogWeights(l.map((v) => v + 1e4)) - want) < 1e-12 * want);
  assert.ok(Math.abs(essFromLogWeights(l.map((v) => v - 1e4)) - want) < 1e-12 * want);
  assert.equal(essFromLogWeights(new Float64Array(50)), 50);
  const { weights, logMean } = normalizeLogWeights(l.map((v) => v + 700));
  assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-15);
  assert.ok(Math.abs(logMean - (700 + Math.log(sum / l.length))) < 1e-12);
});

Deno.test("resampleUniforms() is keyed by (key, system, step) at elements system·N …", () => {
  const key = makeKey(21);
  const a = resampleUniforms(key, { system: 4, step: 9, particles: 8 });
  const direct = new Float64Array(8);
  fillUniform(direct, key, { step: 9, purpose: PHILOX_PURPOSES.guidanceResample, offset: 32 });
  assert.deepEqual(a, direct);
  assert.deepEqual(a, resampleUniforms(key, { system: 4, step: 9, particles: 8 }));
  assert.notDeepEqual(a, resampleUniforms(key, { system: 5, step: 9, particles: 8 }));
  assert.notDeepEqual(a, resampleUniforms(key, { system: 4, step: 10, particles: 8 }));
  assert.notDeepEqual(a, resampleUniforms(makeKey(22), { system: 4, step: 9, particles: 8 }));
  // the same uniforms give the same ancestors with every scheme
  const w = randomWeights(8, 7);
  for (const s of ["systematic", "multinomial", "residual"] as const) {
    assert.deepEqual(
      resample(s, w, a),
      resample(s, w, resampleUniforms(key, { system: 4, step: 9, particles: 8 })),
    );
  }
});

Deno.test("essPolicy() resamples below θ·N; θ = 1 whenever weights differ", () => {
  const half = essPolicy(0.5);
  assert.equal(half.threshold, 0.5);
  assert.ok(half.shouldResample(49.9, 100));
  assert.ok(!half.shouldResample(50, 100));
  const every = essPolicy(1);
  assert.ok(!every.shouldResample(essFromLogWeights(new Float64Array(1000)), 1000));
  assert.ok(every.shouldResample(essFromLogWeights([0, 0, 0, 1e-3]), 4));
});

Deno.test("resampling refuses bad input with typed errors", () => {
  for (const t of [0, -0.1, 1.5, NaN, "0.5" as unknown as number]) {
    assert.throws(
      () => essPolicy(t),
      (e) => e instanceof SdenoRangeError && /threshold/.test(e.message),
    );
  }
  assert.throws(() => systematicResample([0.5, 0.6], 0.1), SdenoRangeError);
  assert.throws(() => systematicResample([1.5, -0.5], 0.1), /weights\[1\]/);
  assert.throws(() => systematicResample([0.5, 0.5], 1), /u is "1"|u is 1/);
  assert.throws(() => systematicResample([], 0.5), /at least 1/);
  assert.throws(() => multinomialResample([0.5, 0.5], [0.1]), /at least 2/);
  assert.throws(() => residualResample([0.5, 0.5], [0.1, -0.2]), /uniforms\[1\]/);
  assert.throws(() => resample("stratified" as "systematic", [1], [0.5]), SdenoTypeError);
  assert.throws(() => normalizeLogWeights([NaN, 0]), /logWeights\[0\]/);
  assert.throws(() => normalizeLogWeights([-Infinity, -Infinity]), /none/);
  assert.throws(
    () => resampleUniforms(makeKey(1), { system: 0, step: 0, particles: 0 }),
    /particles/,
  );
  assert.throws(
    () => resampleUniforms(makeKey(1), { system: -1, step: 0, particles: 2 }),
    /system/,
  );
  assert.throws(() => systematicResample([0.5, 0.5], 0.5, new Int32Array(3)), SdenoTypeError);
});
