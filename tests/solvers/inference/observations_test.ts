import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { flashingRatchet } from "../../../processes/flashing_ratchet.ts";
import { stationaryDistribution } from "../../../processes/stationary_distribution.ts";
import {
  checkEmission,
  checkMjpObservations,
  confusionEmission,
  emissionLikelihoods,
  exactEmission,
  gaussianEmission,
  mjpObservations,
  symmetricFlipEmission,
} from "../../../solvers/inference/observations.ts";
import { simulateMjpObservations } from "../../../solvers/inference/simulate_mjp_observations.ts";

const f = (a: number[]) => new Float64Array(a);

Deno.test("checkMjpObservations() names unknown states, bad times and NaN values", () => {
  const ok = { n: 3, paths: [{ times: f([0, 1, 2]), values: f([0, 1, 2]) }] };
  checkMjpObservations(ok, exactEmission(3));
  const label = { n: 3, paths: [ok.paths[0]!, { times: f([0, 1]), values: f([0, 3]) }] };
  assert.throws(() => checkMjpObservations(label, exactEmission(3)), SdenoRangeError);
  assert.throws(
    () => checkMjpObservations(label, exactEmission(3)),
    /paths\[1\]\.values\[1\].*"3"/,
  );
  const neg = { n: 3, paths: [{ times: f([0]), values: f([-1]) }] };
  assert.throws(() => checkMjpObservations(neg, symmetricFlipEmission(3, 0.1)), SdenoRangeError);
  const frac = { n: 3, paths: [{ times: f([0]), values: f([1.5]) }] };
  assert.throws(() => checkMjpObservations(frac, exactEmission(3)), /state label/);
  checkMjpObservations(frac, gaussianEmission(3, 0.5));
  const times = { n: 3, paths: [{ times: f([0, 1, 1]), values: f([0, 1, 2]) }] };
  assert.throws(() => checkMjpObservations(times), SdenoRangeError);
  assert.throws(() => checkMjpObservations(times), /strictly increasing.*index 2/);
  const back = { n: 3, paths: [{ times: f([0, 2, 1]), values: f([0, 1, 2]) }] };
  assert.throws(() => checkMjpObservations(back), /strictly increasing/);
  const nan = { n: 3, paths: [{ times: f([0, 1]), values: f([0, NaN]) }] };
  assert.throws(() => checkMjpObservations(nan, gaussianEmission(3, 1)), SdenoTypeError);
  assert.throws(() => checkMjpObservations(nan, gaussianEmission(3, 1)), /NaN/);
  const nanT = { n: 3, paths: [{ times: f([0, NaN]), values: f([0, 1]) }] };
  assert.throws(() => checkMjpObservations(nanT), SdenoTypeError);
  const len = { n: 3, paths: [{ times: f([0, 1]), values: f([0]) }] };
  assert.throws(() => checkMjpObservations(len), SdenoTypeError);
  assert.throws(() => checkMjpObservations({ n: 3, paths: [] }), SdenoTypeError);
  assert.throws(() => checkMjpObservations(ok, exactEmission(4)), /4 states/);
});

Deno.test("confusionEmission() refuses rows not summing to 1 and negative entries", () => {
  assert.throws(() => confusionEmission([[0.5, 0.4], [0, 1]]), SdenoRangeError);
  assert.throws(() => confusionEmission([[0.5, 0.4], [0, 1]]), /row 0.*"0\.9"/);
  // within 1e-12·n passes, beyond fails
  confusionEmission([[0.5, 0.5 + 1e-13], [0, 1]]);
  assert.throws(() => confusionEmission([[0.5, 0.5 + 1e-11], [0, 1]]), /row 0/);
  assert.throws(() => confusionEmission([[1.1, -0.1], [0, 1]]), /matrix\[0\]\[1\].*non-negative/);
  assert.throws(() => confusionEmission([[NaN, 1], [0, 1]]), SdenoTypeError);
  assert.throws(() => confusionEmission([[1, 0], [1]]), SdenoTypeError);
  assert.throws(() => symmetricFlipEmission(3, 1.5), /rho/);
  assert.throws(() => symmetricFlipEmission(1, 0.1), RangeError);
});

Deno.test("gaussianEmission() refuses σ ≤ 0, NaN and wrong values", () => {
  assert.throws(() => gaussianEmission(3, 0), SdenoRangeError);
  assert.throws(() => gaussianEmission(3, -1), /sigma.*"-1"/);
  assert.throws(() => gaussianEmission(3, NaN), SdenoRangeError);
  assert.throws(() => gaussianEmission(3, 1, [0, 1]), SdenoTypeError);
  assert.throws(() => gaussianEmission(2, 1, [0, NaN]), /values\[1\]/);
  const bad = { kind: "confusion" as const, n: 2, matrix: f([0.5, 0.6, 0, 1]) };
  assert.throws(() => checkEmission(bad), /row 0/);
  assert.throws(() => checkEmission({ kind: "poisson", n: 2 } as never), /kind/);
});

Deno.test("emissionLikelihoods() is p(y|x) for each model", () => {
  assert.deepEqual([...emissionLikelihoods(exactEmission(3), 2)], [0, 0, 1]);
  const c = symmetricFlipEmission(3, 0.3);
  assert.deepEqual([...emissionLikelihoods(c, 0)], [0.7, 0.15, 0.15]);
  const g = gaussianEmission(2, 2, [1, -1]);
  const p = emissionLikelihoods(g, 0.5);
  const pdf = (z: number) => Math.exp(-0.5 * z * z) / (2 * Math.sqrt(2 * Math.PI));
  assert.ok(Math.abs(p[0]! - pdf(-0.25)) < 1e-16);
  assert.ok(Math.abs(p[1]! - pdf(0.75)) < 1e-16);
  assert.throws(() => emissionLikelihoods(exactEmission(3), 3), SdenoRangeError);
  assert.throws(() => emissionLikelihoods(g, Infinity), SdenoRangeError);
});

Deno.test("mjpObservations() copies and validates plain arrays", () => {
  const obs = mjpObservations(2, [{ times: [0.1, 0.2], values: [1, 0] }]);
  assert.ok(obs.paths[0]!.times instanceof Float64Array);
  assert.throws(
    () => mjpObservations(2, [{ times: [0.1, "x"], values: [1, 0] }] as never),
    SdenoTypeError,
  );
  assert.throws(
    () => mjpObservations(2, [{ times: [0.1], values: [5] }], exactEmission(2)),
    RangeError,
  );
});

const dfr = flashingRatchet({ V: 1, r: 1, b: 1 });
const key = { seed: 11, stream: 0 };

Deno.test("simulateMjpObservations() follows the DFR spec: sorted uniform times, x(0) ~ π, noise rates", () => {
  const K = 400, L = 20, T = 2.5;
  const flip = simulateMjpObservations(dfr, {
    paths: K,
    observationsPerPath: L,
    tEnd: T,
    emission: symmetricFlipEmission(6, 0.1),
    key,
  });
  const gauss = simulateMjpObservations(dfr, {
    paths: K,
    observationsPerPath: L,
    tEnd: T,
    emission: gaussianEmission(6, 0.5),
    key,
  });
  // same key: the same times and hidden states whatever the noise model
  assert.deepEqual(flip.trueStates, gauss.trueStates);
  assert.deepEqual(flip.observations.paths[7]!.times, gauss.observations.paths[7]!.times);
  let flips = 0, sum = 0, sumSq = 0, tSum = 0;
  const first = new Float64Array(6);
  for (let p = 0; p < K; p++) {
    const t = flip.observations.paths[p]!.times;
    for (let k = 0; k < L; k++) {
      assert.ok(t[k]! > 0 && t[k]! < T && (k === 0 || t[k]! > t[k - 1]!));
      tSum += t[k]!;
      const x = flip.trueStates[p]![k]!;
      if (flip.observations.paths[p]!.values[k] !== x) flips++;
      const e = gauss.observations.paths[p]!.values[k]! - x;
      sum += e;
      sumSq += e * e;
    }
    // x(0) ~ π and π is stationary, so x(t₁) ~ π
    first[flip.trueStates[p]![0]!]!++;
  }
  const N = K * L;
  const z = (est: number, mean: number, se: number) => Math.abs(est - mean) / se;
  assert.ok(z(flips / N, 0.1, Math.sqrt(0.09 / N)) < 4, `flip rate ${flips / N}`);
  assert.ok(z(sum / N, 0, 0.5 / Math.sqrt(N)) < 4);
  // var of e² for N(0, σ²) is 2σ⁴
  assert.ok(z(sumSq / N, 0.25, Math.sqrt(2 * 0.0625 / N)) < 4);
  assert.ok(z(tSum / N, T / 2, T / Math.sqrt(12 * N)) < 4);
  const pi = stationaryDistribution(dfr).distribution;
  for (let i = 0; i < 6; i++) {
    assert.ok(z(first[i]! / K, pi[i]!, Math.sqrt(pi[i]! * (1 - pi[i]!) / K)) < 4, `state ${i}`);
  }
  checkMjpObservations(gauss.observations, gaussianEmission(6, 0.5));
});

Deno.test("simulateMjpObservations() path p does not depend on the batch", () => {
  const opts = { observationsPerPath: 10, tEnd: 2.5, emission: exactEmission(6), key };
  const a = simulateMjpObservations(dfr, { ...opts, paths: 5 });
  const b = simulateMjpObservations(dfr, { ...opts, paths: 3 });
  assert.deepEqual(a.observations.paths.slice(0, 3), b.observations.paths);
  assert.throws(() => simulateMjpObservations(dfr, { ...opts, paths: 0 }), RangeError);
  assert.throws(() => simulateMjpObservations(dfr, { ...opts, paths: 2, tEnd: 0 }), /tEnd/);
  assert.throws(
    () => simulateMjpObservations(dfr, { ...opts, paths: 2, emission: exactEmission(3) }),
    /3 states/,
  );
  assert.throws(
    () => simulateMjpObservations(dfr, { ...opts, paths: 2, initial: [1, 0] }),
    SdenoTypeError,
  );
});
