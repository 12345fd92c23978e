// The conjugate MSM posterior: its 95% credible intervals cover the truth
// at the nominal rate over datasets whose generator is drawn from the prior
// (then coverage is exactly nominal at any data size; one pre-chosen rate
// per dataset so the indicators are independent Bernoulli(0.95)), and its
// draws have the exact Gamma means.
import assert from "node:assert/strict";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { sampleCtmcPath } from "../../../processes/ctmc_path.ts";
import { msmPosterior } from "../../../solvers/inference/msm_posterior.ts";
import { msmCounts } from "../../../solvers/inference/msm_counts.ts";
import { _DrawStream } from "../../../solvers/inference/_gamma_sampler.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";

const N = 5;
const PRIOR = { shape: 2, rate: 2 };

Deno.test("msmPosterior() 95% intervals cover a prior-drawn 5-state generator at the nominal rate", () => {
  const datasets = 400;
  const level = 0.95;
  // truth draws: a separate test stream (purpose msmBayes, stream 99)
  const truthDraws = new _DrawStream({ seed: 5, stream: 99 }, PHILOX_PURPOSES.msmBayes);
  let covered = 0, coveredAll = 0, all = 0;
  for (let d = 0; d < datasets; d++) {
    truthDraws.reset(d);
    const rates: [number, number, number][] = [];
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        if (i !== j) rates.push([i, j, truthDraws.gamma(PRIOR.shape) / PRIOR.rate]);
      }
    }
    const truth = RateMatrix.fromRates(N, rates);
    const paths = [0, 1].map((p) =>
      sampleCtmcPath(truth, { initial: p, tEnd: 5, key: { seed: 1000 + d, stream: 0 }, path: p })
    );
    const ci = msmPosterior(paths, { n: N, prior: PRIOR }).credibleIntervals(level);
    const pick = rates[d % rates.length]!;
    const k = pick[0] * N + pick[1];
    if (ci.lower[k]! <= pick[2] && pick[2] <= ci.upper[k]!) covered++;
    for (const [i, j, v] of rates) {
      all++;
      if (ci.lower[i * N + j]! <= v && v <= ci.upper[i * N + j]!) coveredAll++;
    }
  }
  const se = Math.sqrt(level * (1 - level) / datasets);
  const z = (covered / datasets - level) / se;
  assert.ok(Math.abs(z) < 4, `coverage ${covered}/${datasets}, z = ${z}`);
  // all rates pooled (not independent, so only a loose check): 95% ± 2%
  assert.ok(Math.abs(coveredAll / all - level) < 0.02, `pooled coverage ${coveredAll / all}`);
});

Deno.test("msmPosterior().sample() draws have the exact posterior means, keyed per draw", () => {
  const path = {
    times: new Float64Array([0, 0.7, 1.1, 2.0, 2.2]),
    states: new Int32Array([0, 1, 2, 0, 2]),
    tEnd: 3,
  };
  const post = msmPosterior([path], { n: 3, prior: { shape: 0.5, rate: 1.5 } });
  const key = { seed: 7, stream: 0 };
  const draws = post.sample(4000, { key });
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (i === j) continue;
      const k = i * 3 + j;
      const mean = draws.reduce((a, q) => a + q.get(i, j), 0) / draws.length;
      const exact = post.shape[k]! / post.rate[k]!;
      const se = Math.sqrt(post.shape[k]!) / post.rate[k]! / Math.sqrt(draws.length);
      assert.ok(Math.abs((mean - exact) / se) < 4, `Q[${i}][${j}]: ${mean} vs ${exact}`);
      assert.equal(post.mean.get(i, j), exact);
    }
  }
  // draw 10 is the same made alone
  const alone = post.sample(1, { key, first: 10 })[0]!;
  assert.deepEqual([...alone.toDense()], [...draws[10]!.toDense()]);
  // a 0.5-level interval is inside the 0.9 one
  const a = post.credibleIntervals(0.5), b = post.credibleIntervals(0.9);
  assert.ok(b.lower[1]! < a.lower[1]! && a.upper[1]! < b.upper[1]!);
});

Deno.test("msmPosterior() refuses bad priors, levels and fixed-zero rates with typed errors", () => {
  const c = msmCounts([{
    times: new Float64Array([0, 1]),
    states: new Int32Array([0, 1]),
    tEnd: 2,
  }], 2);
  assert.throws(
    () => msmPosterior(c, { prior: { shape: 0 } }),
    /prior\.shape must be positive, got "0"/,
  );
  assert.throws(() => msmPosterior(c, { prior: { rate: -1 } }), RangeError);
  assert.throws(() => msmPosterior(c, { prior: { shape: NaN } }), TypeError);
  assert.throws(() => msmPosterior(c, { allowed: [0, 0, 1, 0] }), /Q\[0\]\[1\] is fixed at 0/);
  assert.throws(() => msmPosterior(c).credibleIntervals(1), /level/);
  assert.throws(() => msmPosterior(c).sample(-1, { key: { seed: 1, stream: 0 } }), RangeError);
});
