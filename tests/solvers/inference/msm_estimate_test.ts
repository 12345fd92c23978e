// The continuous-time Markov state model estimators on simulated paths of
// known 5-state generators: the MLE lies within |z| < 4 of the truth in its
// own standard errors, the reversible MLE satisfies its stationarity
// equations exactly, and its standard errors are calibrated (mean z² ≈ 1
// over datasets).
import assert from "node:assert/strict";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { PI, S } from "./_reversible5.ts";
import { type CtmcPath, sampleCtmcPath } from "../../../processes/ctmc_path.ts";
import { estimateMsm } from "../../../solvers/inference/msm_estimate.ts";
import { msmCounts } from "../../../solvers/inference/msm_counts.ts";
import { stationaryDistribution } from "../../../processes/stationary_distribution.ts";

// A non-reversible 5-state generator with a cycle and a few zero rates.
const Q5 = [
  [0, 1.2, 0.3, 0, 0.5],
  [0.4, 0, 1.5, 0.2, 0],
  [0, 0.3, 0, 1.1, 0.6],
  [0.7, 0, 0.2, 0, 0.9],
  [1.3, 0.5, 0, 0.4, 0],
];
// A reversible one: q_ij = s_ij / π_i with s symmetric (PI, S from _reversible5.ts).

function dense(rates: number[][]): RateMatrix {
  const n = rates.length;
  return RateMatrix.fromDense(
    rates.map((row, i) => row.map((v, j) => (i === j ? -row.reduce((a, b) => a + b, 0) : v))),
    { n },
  );
}

function reversibleTruth(): RateMatrix {
  const r = Array.from({ length: 5 }, () => new Array(5).fill(0));
  for (const [i, j, s] of S) {
    r[i]![j] = s / PI[i]!;
    r[j]![i] = s / PI[j]!;
  }
  return dense(r);
}

function simulate(q: RateMatrix, paths: number, tEnd: number, seed: number): CtmcPath[] {
  return Array.from({ length: paths }, (_, p) =>
    sampleCtmcPath(q, {
      initial: p % q.n,
      tEnd,
      key: { seed, stream: 0 },
      path: p,
    }));
}

Deno.test("estimateMsm() recovers a 5-state generator within |z| < 4 of its standard errors", () => {
  const truth = dense(Q5);
  const fit = estimateMsm(simulate(truth, 10, 150, 1), { n: 5 });
  let checked = 0;
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      const t = truth.get(i, j);
      const k = i * 5 + j;
      if (i !== j && t === 0) {
        assert.equal(fit.rates[k], 0); // never seen, MLE on the boundary
        continue;
      }
      const z = (fit.rates[k]! - t) / fit.standardErrors[k]!;
      assert.ok(Math.abs(z) < 4, `Q[${i}][${j}]: ${fit.rates[k]} vs ${t}, z = ${z}`);
      checked++;
    }
  }
  assert.equal(checked, 20);
});

Deno.test("estimateMsm({ reversible }) recovers a reversible generator within |z| < 4", () => {
  const truth = reversibleTruth();
  const fit = estimateMsm(simulate(truth, 10, 300, 2), { n: 5, reversible: true });
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) {
      const t = truth.get(i, j);
      const k = i * 5 + j;
      if (t === 0) continue;
      const z = (fit.rates[k]! - t) / fit.standardErrors[k]!;
      assert.ok(Math.abs(z) < 4, `Q[${i}][${j}]: ${fit.rates[k]} vs ${t}, z = ${z}`);
    }
    const zPi = (fit.stationary[i]! - PI[i]!) / 0.02;
    assert.ok(Math.abs(zPi) < 4, `π[${i}] = ${fit.stationary[i]}`);
  }
  // detailed balance holds exactly in the estimate
  for (const [i, j] of S) {
    const a = fit.stationary[i]! * fit.rates[i * 5 + j]!;
    const b = fit.stationary[j]! * fit.rates[j * 5 + i]!;
    assert.ok(Math.abs(a - b) < 1e-13, `flux ${i}↔${j}: ${a} vs ${b}`);
  }
});

Deno.test("estimateMsm({ reversible }) solves its likelihood equations", () => {
  // ∂ℓ/∂log s_ij = 0: T_i q_ij + T_j q_ji = N_ij + N_ji; ∂ℓ/∂log π_i = 0: T_i q_i = N_i
  const data = simulate(dense(Q5), 4, 60, 3);
  const fit = estimateMsm(data, { n: 5, reversible: true });
  const { jumps, dwell } = fit.counts;
  for (let i = 0; i < 5; i++) {
    let ni = 0;
    for (let j = 0; j < 5; j++) {
      if (j === i) continue;
      ni += jumps[i * 5 + j]!;
      const lhs = dwell[i]! * fit.rates[i * 5 + j]! + dwell[j]! * fit.rates[j * 5 + i]!;
      const rhs = jumps[i * 5 + j]! + jumps[j * 5 + i]!;
      assert.ok(Math.abs(lhs - rhs) < 1e-9 * Math.max(1, rhs), `edge ${i}-${j}: ${lhs} vs ${rhs}`);
    }
    const exit = -fit.rates[i * 5 + i]! * dwell[i]!;
    assert.ok(Math.abs(exit - ni) < 1e-9 * ni, `state ${i}: ${exit} vs ${ni}`);
  }
  // it beats the non-reversible MLE's reversible neighbours and loses to the free MLE
  const free = estimateMsm(data, { n: 5 });
  assert.ok(free.logLikelihood >= fit.logLikelihood);
});

Deno.test("estimateMsm({ reversible }) equals the free MLE on two states", () => {
  const data = simulate(dense([[0, 1], [3, 0]]), 3, 20, 4);
  const a = estimateMsm(data, { n: 2 });
  const b = estimateMsm(data, { n: 2, reversible: true });
  for (let k = 0; k < 4; k++) {
    assert.ok(Math.abs(a.rates[k]! - b.rates[k]!) < 1e-12 * Math.abs(a.rates[k]! || 1));
    assert.ok(Math.abs(a.standardErrors[k]! - b.standardErrors[k]!) < 1e-9);
  }
});

Deno.test("estimateMsm() standard errors are calibrated: mean z² over 60 datasets ≈ 1", () => {
  for (const reversible of [false, true]) {
    const truth = reversible ? reversibleTruth() : dense(Q5);
    let sum = 0, count = 0;
    for (let d = 0; d < 60; d++) {
      const fit = estimateMsm(simulate(truth, 3, 100, 100 + d), { n: 5, reversible });
      for (let k = 0; k < 25; k++) {
        const t = truth.get(Math.floor(k / 5), k % 5);
        if (t === 0) continue;
        sum += ((fit.rates[k]! - t) / fit.standardErrors[k]!) ** 2;
        count++;
      }
    }
    const meanZ2 = sum / count;
    // independent z's would give sd √(2/count) ≈ 0.05; correlations within a dataset widen it
    assert.ok(Math.abs(meanZ2 - 1) < 0.35, `reversible ${reversible}: mean z² ${meanZ2}`);
  }
});

Deno.test("estimateMsm() and msmCounts() refuse bad input with typed errors", () => {
  const ok = { times: new Float64Array([0, 1]), states: new Int32Array([0, 1]), tEnd: 2 };
  assert.throws(() => msmCounts([ok], 0), RangeError);
  assert.throws(() => msmCounts([], 2), /must not be empty/);
  assert.throws(
    () => msmCounts([{ ...ok, states: new Int32Array([0, 2]) }], 2),
    /paths\[0\]\.states\[1\].*\[0, 1\]/,
  );
  assert.throws(
    () => msmCounts([{ ...ok, times: new Float64Array([1, 1]) }], 2),
    /strictly increasing/,
  );
  assert.throws(() => msmCounts([{ ...ok, tEnd: 0.5 }], 2), /tEnd/);
  assert.throws(() => estimateMsm([ok], { n: 3 }), /state 2 has dwell time/);
  assert.throws(() => estimateMsm([ok], { n: 2, reversible: true }), /strongly connected/);
  assert.throws(() => estimateMsm([ok]), /options\.n/);
  assert.throws(
    () =>
      estimateMsm({
        n: 2,
        jumps: new Float64Array(3),
        dwell: new Float64Array(2),
        initial: new Float64Array(2),
      }),
    TypeError,
  );
  assert.throws(
    () =>
      estimateMsm({
        n: 2,
        jumps: new Float64Array([0, -1, 0, 0]),
        dwell: new Float64Array([1, 1]),
        initial: new Float64Array(2),
      }),
    /jumps\[1\]/,
  );
});

Deno.test("estimateMsm() stationary law matches the generator's", () => {
  const fit = estimateMsm(simulate(dense(Q5), 2, 50, 9), { n: 5 });
  const pi = stationaryDistribution(fit.generator).distribution;
  assert.deepEqual([...fit.stationary], [...pi]);
});
