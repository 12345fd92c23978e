import assert from "node:assert/strict";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { stationaryDistribution } from "../../processes/stationary_distribution.ts";
import { entropyProductionRate } from "../../processes/entropy_production_rate.ts";
import { flashingRatchet } from "../../processes/flashing_ratchet.ts";
import { meanFirstPassageTimes } from "../../processes/mean_first_passage_times.ts";
import { sampleCtmcPath } from "../../processes/ctmc_path.ts";
import { ctmcPathLogLikelihood } from "../../processes/ctmc_path_log_likelihood.ts";
import { transitionMatrix } from "../../solvers/ctmc/transition_matrix.ts";
import { makeKey } from "../../kernels/philox.ts";
import { SdenoError } from "../../kernels/errors.ts";
import { chiSquareTest, moments } from "../../stats/mod.ts";
import { fixture } from "../solvers/ctmc/_fixtures.ts";

const DFR = fixture("dfr_reference.json");

Deno.test("RateMatrix rejects negative rates, bad row sums, non-square and non-finite input", () => {
  assert.throws(
    () => RateMatrix.fromDense([[-1, 1], [-0.5, 0.5]]),
    (e: Error) =>
      e instanceof RangeError && e instanceof SdenoError &&
      /off-diagonal rate Q\[1\]\[0\] must be non-negative, got "-0.5"/.test(e.message),
  );
  assert.throws(() => RateMatrix.fromDense([[-1, 2], [1, -1]]), /row 0 must sum to zero/);
  assert.throws(() => RateMatrix.fromDense([[-1, 1, 0], [1, -1, 0]]), TypeError);
  assert.throws(() => RateMatrix.fromDense([[-1, 1], [Infinity, 0]]), /Q\[1\]\[0\] must be finite/);
  assert.throws(() => RateMatrix.fromDense([[-1, 1 + 1e-7], [1, -1]]), RangeError);
  assert.doesNotThrow(() => RateMatrix.fromDense([[-1, 1 + 1e-7], [1, -1]], { tolerance: 1e-6 }));
  assert.throws(
    () => RateMatrix.fromCsr({ n: 2, rowPtr: [0, 1, 2], colIdx: [1, 0], values: [1, 1] }),
    /row 0 must sum to zero/,
  );
  assert.throws(
    () => RateMatrix.fromCsr({ n: 2, rowPtr: [0, 2], colIdx: [0, 1], values: [0, 0] }),
    TypeError,
  );
  const q = RateMatrix.fromDense(DFR.Q);
  assert.equal(q.n, 6);
  const p = new Float64Array(6).fill(1 / 6);
  const dp = q.leftMultiply(p);
  assert.ok(Math.abs(dp.reduce((a, b) => a + b, 0)) < 1e-15);
});

Deno.test("flashingRatchet() reproduces dfr_reference.json: Q, stationary law, entropy production", () => {
  const q = flashingRatchet(DFR.ground_truth);
  const d = q.toDense();
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) assert.ok(Math.abs(d[i * 6 + j]! - DFR.Q[i][j]) < 1e-15);
  }
  const s = stationaryDistribution(q);
  assert.ok(s.irreducible && s.unique);
  s.distribution.forEach((v, i) => assert.ok(Math.abs(v - DFR.stationary_distribution[i]) < 1e-15));
  const sigma = entropyProductionRate(q);
  assert.ok(Math.abs(sigma - DFR.steady_state_entropy_production_rate) < 1e-15);
  for (const [V, epr] of Object.entries<number>(DFR.V_sweep_steady_epr)) {
    const e = entropyProductionRate(flashingRatchet({ V: Number(V), r: 1, b: 1 }));
    assert.ok(Math.abs(e - epr) < 1e-14, `V=${V}: ${e} vs ${epr}`);
  }
  // mean jump rate at stationarity Σ π_i q_i
  let rate = 0;
  s.distribution.forEach((v, i) => rate += v * q.exitRate(i));
  assert.ok(Math.abs(rate - DFR.mean_jump_rate_at_stationarity) < 1e-14);
  // transient laws from state 0 and from uniform
  for (const [t, law] of Object.entries<number[]>(DFR.P_t_from_state0)) {
    const P = transitionMatrix(q, Number(t));
    law.forEach((v, j) => assert.ok(Math.abs(P[j]! - v) < 1e-14));
  }
  // ring current J_01 = π0 Q01 − π1 Q10
  const pi = s.distribution;
  const j01 = pi[0]! * q.get(0, 1) - pi[1]! * q.get(1, 0);
  assert.ok(Math.abs(j01 - DFR.steady_ring_currents.J_on_edge_0to1) < 1e-15);
});

Deno.test("stationaryDistribution() handles reducible chains and says so", () => {
  // two absorbing states 0 and 2, transient 1 going left at 1, right at 3
  const q = RateMatrix.fromDense([[0, 0, 0], [1, -4, 3], [0, 0, 0]]);
  assert.throws(() => stationaryDistribution(q), /reducible with 2 closed classes/);
  const s = stationaryDistribution(q, { initial: [0, 1, 0] });
  assert.equal(s.unique, false);
  assert.deepEqual(s.transient, [1]);
  assert.ok(
    Math.abs(s.distribution[0]! - 0.25) < 1e-15 && Math.abs(s.distribution[2]! - 0.75) < 1e-15,
  );
});

Deno.test("meanFirstPassageTimes() matches the M/M/1 chain and Monte Carlo paths", () => {
  // birth–death on {0..4}: from 0 to 4, m_0 solves the linear system; check by simulation
  const rates: [number, number, number][] = [];
  for (let i = 0; i < 4; i++) rates.push([i, i + 1, 1], [i + 1, i, 0.5]);
  const q = RateMatrix.fromRates(5, rates);
  const m = meanFirstPassageTimes(q, { target: 4 });
  const hits = Float64Array.from({ length: 3000 }, (_, p) => {
    const path = sampleCtmcPath(q, { initial: 0, tEnd: 200, key: makeKey(11), path: p });
    const k = path.states.indexOf(4);
    assert.ok(k > 0, "every path reaches 4 before t = 200");
    return path.times[k]!;
  });
  const mc = moments(hits);
  assert.ok(Math.abs((mc.mean - m[0]!) / mc.se.mean) < 4, `${mc.mean} vs ${m[0]}`);
  assert.throws(() => meanFirstPassageTimes(q, { target: 7 }), RangeError);
});

Deno.test("sampleCtmcPath() by direct and uniformization methods follows P(t) (chi-square)", () => {
  const q = flashingRatchet({ V: 1, r: 1, b: 1 });
  const P = transitionMatrix(q, 1);
  for (const method of ["direct", "uniformization"] as const) {
    const obs = new Float64Array(6);
    for (let p = 0; p < 3000; p++) {
      const path = sampleCtmcPath(q, { initial: 0, tEnd: 1, key: makeKey(4), path: p, method });
      obs[path.states[path.states.length - 1]!]! += 1;
    }
    const test = chiSquareTest(obs, P.subarray(0, 6));
    assert.ok(test.pValue > 1e-4, `${method}: p = ${test.pValue}`);
  }
  assert.throws(() => sampleCtmcPath(q, { initial: 0, tEnd: 0, key: makeKey(1) }), RangeError);
});

Deno.test("ctmcPathLogLikelihood() is maximised near the true rates", () => {
  const q = flashingRatchet({ V: 1, r: 1, b: 1 });
  const path = sampleCtmcPath(q, { initial: 0, tEnd: 2000, key: makeKey(8) });
  const ll = (V: number) => ctmcPathLogLikelihood(flashingRatchet({ V, r: 1, b: 1 }), path);
  assert.ok(ll(1) > ll(0.8) && ll(1) > ll(1.2));
  assert.throws(
    () =>
      ctmcPathLogLikelihood(q, {
        times: new Float64Array([0]),
        states: new Int32Array([9]),
        tEnd: 1,
      }),
    RangeError,
  );
});
