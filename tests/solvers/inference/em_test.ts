import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { emMjp } from "../../../solvers/inference/em_mjp.ts";
import { flashingRatchetReadout } from "../../../solvers/inference/flashing_ratchet_readout.ts";
import { exactEmission, gaussianEmission } from "../../../solvers/inference/observations.ts";
import { dfrErrors } from "./_dfr_checks.ts";
import { dfrData } from "./_dfr_data.ts";

const observedTime = (obs: ReturnType<typeof dfrData>["S1"]) =>
  obs.paths.reduce((s, p) => s + p.times[p.times.length - 1]! - p.times[0]!, 0);

Deno.test("emMjp() on the DFR benchmark S1 (300 clean paths × 50): RMSE ≤ 0.15, (V, r, b) within ±0.2, monotone, Σ D_i = observed time", () => {
  const obs = dfrData().S1;
  const r = emMjp(obs, { emission: exactEmission(6) });
  assert.ok(r.converged && r.iterations < 300, `iterations ${r.iterations}`);
  const ll = r.logLikelihoods;
  for (let t = 1; t < ll.length; t++) {
    assert.ok(ll[t]! >= ll[t - 1]! - 1e-9 * Math.abs(ll[t - 1]!), `ℓ fell at ${t}`);
  }
  // the stopping rule: the last relative change is below 1e-7
  assert.ok(Math.abs(ll.at(-1)! - ll.at(-2)!) < 1e-7 * Math.abs(ll.at(-2)!));
  const dwell = r.dwellTimes.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(dwell - observedTime(obs)) < 1e-9 * dwell);
  const e = dfrErrors(r.q);
  // refs/inverse/README.md §4.3 target levels for 300 × 50: RMSE ≲ 0.15, TV ≲ 0.04, MFPT ≲ 0.08
  assert.ok(e.rmse <= 0.15, `rmse ${e.rmse}`);
  assert.ok(e.stationaryTv <= 0.04, `tv ${e.stationaryTv}`);
  assert.ok(e.mfptRelErr <= 0.08, `mfpt ${e.mfptRelErr}`);
  const p = flashingRatchetReadout(r.q);
  for (const [k, v] of Object.entries(p)) assert.ok(Math.abs(v - 1) <= 0.2, `${k} = ${v}`);
  // π₀ is a distribution near π
  assert.ok(Math.abs(r.initial.reduce((s, v) => s + v, 0) - 1) < 1e-12);
});

Deno.test("emMjp(): the eigen closed form and Van Loan's block exponentials give the same iterates", () => {
  const obs = dfrData(15).S3;
  const em = gaussianEmission(6, 0.5);
  const a = emMjp(obs, { emission: em, method: "eigen", maxIterations: 4 });
  const b = emMjp(obs, { emission: em, method: "vanLoan", maxIterations: 4 });
  assert.equal(a.iterations, 4);
  a.logLikelihoods.forEach((v, t) =>
    assert.ok(Math.abs(v - b.logLikelihoods[t]!) < 1e-9 * Math.abs(v))
  );
  const qa = a.q.toDense(), qb = b.q.toDense();
  qa.forEach((v, i) => assert.ok(Math.abs(v - qb[i]!) < 1e-10, `Q entry ${i}: ${v} vs ${qb[i]}`));
  a.jumpCounts.forEach((v, i) => assert.ok(Math.abs(v - b.jumpCounts[i]!) < 1e-9));
});

Deno.test("emMjp(): zeros of the start stay zero; bad options are refused", () => {
  const obs = dfrData(20).S1;
  const start = RateMatrix.fromDense([
    [-2, 1, 0, 1, 0, 0],
    [1, -3, 1, 0, 1, 0],
    [1, 1, -3, 0, 0, 1],
    [1, 0, 0, -3, 1, 1],
    [0, 1, 0, 1, -3, 1],
    [0, 0, 1, 1, 1, -3],
  ]);
  const r = emMjp(obs, { emission: exactEmission(6), start, maxIterations: 3 });
  assert.equal(r.q.get(0, 2), 0);
  assert.equal(r.q.get(0, 4), 0);
  assert.ok(r.q.get(0, 1) > 0);
  const emission = exactEmission(6);
  assert.throws(() => emMjp(obs, { emission, tolerance: -1 }), SdenoRangeError);
  assert.throws(() => emMjp(obs, { emission, maxIterations: 1.5 }), SdenoTypeError);
  assert.throws(() => emMjp(obs, { emission, method: "svd" as never }), /method/);
  assert.throws(() => emMjp(obs, { emission, startInitial: [1, 0] }), /startInitial/);
  assert.throws(() => emMjp(obs, { emission: exactEmission(5) }), /5 states/);
  assert.throws(() => emMjp(obs, { emission, start: RateMatrix.fromDense([[0]]) }), /1 states/);
  // a start under which the data are impossible
  const absorbing = RateMatrix.fromDense(new Float64Array(36), { n: 6 });
  assert.throws(() => emMjp(obs, { emission, start: absorbing }), /impossible/);
});
