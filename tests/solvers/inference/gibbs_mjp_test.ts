// Rao–Teh Gibbs sampler (gibbsMjp) checked against exact posteriors:
// - on a two-state chain, the posterior means of both rates against 2-D
//   quadrature of prior × forward-algorithm likelihood (exact labels and
//   Gaussian noise), |z| < 4 with the Monte Carlo error from the ESS;
// - chains are keyed by (seed, chain): a chain run alone equals the same
//   chain run among others;
// - bad input gets typed errors.
import assert from "node:assert/strict";
import { gibbsMjp } from "../../../solvers/inference/gibbs_mjp.ts";
import { credibleInterval } from "../../../solvers/inference/gibbs_credible_interval.ts";
import {
  emissionLikelihoods,
  type EmissionModel,
  exactEmission,
  gaussianEmission,
  type MjpObservations,
} from "../../../solvers/inference/observations.ts";
import { simulateMjpObservations } from "../../../solvers/inference/simulate_mjp_observations.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { effectiveSampleSize } from "../../../stats/ess.ts";

const PRIOR = { shape: 2, rate: 2 };

/** log p(y | a, b) for a two-state chain with π₀ = (½, ½) at each path's first observation. */
function logLikelihood2(
  obs: MjpObservations,
  emission: EmissionModel,
  a: number,
  b: number,
): number {
  let ll = 0;
  const e = new Float64Array(2);
  for (const p of obs.paths) {
    emissionLikelihoods(emission, p.values[0]!, e);
    let f0 = 0.5 * e[0]!, f1 = 0.5 * e[1]!;
    for (let l = 1; l < p.times.length; l++) {
      const s = a + b;
      const decay = Math.exp(-s * (p.times[l]! - p.times[l - 1]!));
      const p01 = (a / s) * (1 - decay), p10 = (b / s) * (1 - decay);
      const g0 = f0 * (1 - p01) + f1 * p10;
      const g1 = f0 * p01 + f1 * (1 - p10);
      emissionLikelihoods(emission, p.values[l]!, e);
      f0 = g0 * e[0]!;
      f1 = g1 * e[1]!;
      const t = f0 + f1;
      ll += Math.log(t);
      f0 /= t;
      f1 /= t;
    }
    ll += Math.log(f0 + f1);
  }
  return ll;
}

/** Posterior mean and sd of (a, b) by the midpoint rule on [0, 10]² with step 0.025. */
function exactPosterior(obs: MjpObservations, emission: EmissionModel) {
  const h = 0.025, m = 400;
  const logs = new Float64Array(m * m);
  let max = -Infinity;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const a = (i + 0.5) * h, b = (j + 0.5) * h;
      const lp = (PRIOR.shape - 1) * Math.log(a * b) - PRIOR.rate * (a + b) +
        logLikelihood2(obs, emission, a, b);
      logs[i * m + j] = lp;
      if (lp > max) max = lp;
    }
  }
  let z = 0, ma = 0, mb = 0, va = 0, vb = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const w = Math.exp(logs[i * m + j]! - max);
      const a = (i + 0.5) * h, b = (j + 0.5) * h;
      z += w;
      ma += w * a;
      mb += w * b;
      va += w * a * a;
      vb += w * b * b;
    }
  }
  ma /= z;
  mb /= z;
  return { mean: [ma, mb], sd: [Math.sqrt(va / z - ma * ma), Math.sqrt(vb / z - mb * mb)] };
}

for (
  const [label, emission] of [
    ["exact labels", exactEmission(2)],
    ["Gaussian noise σ = 0.4", gaussianEmission(2, 0.4)],
  ] as const
) {
  Deno.test(`gibbsMjp() posterior means match 2-D quadrature on a two-state chain (${label})`, () => {
    const truth = RateMatrix.fromDense([[-0.8, 0.8], [1.5, -1.5]]);
    const { observations } = simulateMjpObservations(truth, {
      paths: 6,
      observationsPerPath: 8,
      tEnd: 4,
      emission,
      key: { seed: 21, stream: 0 },
      initial: [0.5, 0.5],
    });
    const exact = exactPosterior(observations, emission);
    const chains = 4;
    const fit = gibbsMjp(observations, {
      seed: 5,
      samples: 1500,
      burnIn: 100,
      chains,
      emission,
      prior: PRIOR,
      initial: [0.5, 0.5],
      derived: false,
    });
    for (const [r, k] of [[0, 1], [1, 2]] as const) {
      let ess = 0;
      for (const c of fit.chains) {
        ess += effectiveSampleSize(c.generators.map((g) => g.toDense()[k]!));
      }
      const se = exact.sd[r]! / Math.sqrt(ess);
      const z = (fit.posteriorMean[k]! - exact.mean[r]!) / se;
      assert.ok(
        Math.abs(z) < 4,
        `rate ${k}: Gibbs ${fit.posteriorMean[k]} vs exact ${exact.mean[r]} (sd ${
          exact.sd[r]
        }, ESS ${ess}), z = ${z}`,
      );
      assert.ok(ess > 400, `ESS ${ess} of 6000 draws`);
    }
  });
}

Deno.test("gibbsMjp() chain c depends only on (seed, c), not on the other chains", () => {
  const truth = RateMatrix.fromDense([[-1, 0.6, 0.4], [0.5, -1, 0.5], [0.2, 0.8, -1]]);
  const { observations } = simulateMjpObservations(truth, {
    paths: 3,
    observationsPerPath: 5,
    tEnd: 2,
    emission: exactEmission(3),
    key: { seed: 3, stream: 0 },
  });
  const both = gibbsMjp(observations, { seed: 9, samples: 5, burnIn: 3, chains: 2 });
  const second = gibbsMjp(observations, { seed: 9, samples: 5, burnIn: 3, firstChain: 1 });
  assert.deepEqual(
    second.chains[0]!.generators.map((g) => [...g.toDense()]),
    both.chains[1]!.generators.map((g) => [...g.toDense()]),
  );
  assert.deepEqual(second.chains[0]!.initialLaws, both.chains[1]!.initialLaws);
  assert.notDeepEqual(
    both.chains[0]!.generators.map((g) => [...g.toDense()]),
    both.chains[1]!.generators.map((g) => [...g.toDense()]),
  );
  // thinning keeps every thin-th iteration of the same chain
  const all = gibbsMjp(observations, { seed: 9, samples: 6, burnIn: 0, derived: false });
  const thinned = gibbsMjp(observations, {
    seed: 9,
    samples: 3,
    burnIn: 0,
    thin: 2,
    derived: false,
  });
  assert.deepEqual(
    thinned.chains[0]!.generators.map((g) => [...g.toDense()]),
    [1, 3, 5].map((i) => [...all.chains[0]!.generators[i]!.toDense()]),
  );
});

Deno.test("gibbsMjp() refuses bad input with typed errors before any work", () => {
  const obs: MjpObservations = {
    n: 2,
    paths: [{ times: new Float64Array([0, 1, 2]), values: new Float64Array([0, 1, 1]) }],
  };
  const base = { seed: 1, samples: 10 };
  assert.throws(
    () => gibbsMjp(obs, { ...base, prior: { shape: 0 } }),
    /prior\.shape must be positive/,
  );
  assert.throws(() => gibbsMjp(obs, { ...base, prior: { shape: -1 } }), RangeError);
  assert.throws(
    () => gibbsMjp(obs, { ...base, prior: { rate: 0 } }),
    /prior\.rate must be positive/,
  );
  assert.throws(
    () => gibbsMjp(obs, { ...base, omegaFactor: 1 }),
    /Ω = omegaFactor·max\|q_ii\| > max\|q_ii\|/,
  );
  assert.throws(() => gibbsMjp(obs, { ...base, omegaFactor: 0.5 }), RangeError);
  assert.throws(() => gibbsMjp(obs, { ...base, samples: 0 }), /samples must be an integer in \[1,/);
  assert.throws(() => gibbsMjp(obs, { ...base, thin: 0 }), RangeError);
  assert.throws(() => gibbsMjp(obs, { ...base, burnIn: -1 }), RangeError);
  assert.throws(() => gibbsMjp(obs, { ...base, samples: 1.5 }), TypeError);
  assert.throws(() => gibbsMjp(obs, { ...base, initial: [0.5, 0.6] }), /sum to 1/);
  assert.throws(() => gibbsMjp(obs, { ...base, initialConcentration: 0 }), RangeError);
  assert.throws(() => gibbsMjp(obs, { ...base, startTime: 0.5 }), /after the first observation/);
  assert.throws(() => gibbsMjp(obs, { ...base, endTime: 1 }), /before the last observation/);
  assert.throws(() => gibbsMjp(obs, { ...base, allowed: [0, 1, 1] }), TypeError);
  assert.throws(
    () =>
      gibbsMjp({
        ...obs,
        paths: [{ times: new Float64Array([0, 1]), values: new Float64Array([0, 2]) }],
      }, base),
    /values\[1\]/,
  );
  assert.throws(
    () =>
      gibbsMjp({
        ...obs,
        paths: [{ times: new Float64Array([1, 0]), values: new Float64Array([0, 1]) }],
      }, base),
    /strictly increasing/,
  );
  // a jump the model forbids: the observations are impossible
  assert.throws(() => gibbsMjp(obs, { ...base, allowed: [0, 0, 1, 0] }), /zero probability/);
});

Deno.test("credibleInterval() matches numpy's linear quantiles and refuses bad input", () => {
  // numpy.quantile([3, 1, 4, 1, 5, 9, 2, 6], [0.05, 0.95]) = [1, 7.95]
  const ci = credibleInterval([3, 1, 4, 1, 5, 9, 2, 6], 0.9);
  assert.equal(ci.lower, 1);
  assert.ok(Math.abs(ci.upper - 7.95) < 1e-12);
  assert.equal(ci.mean, 31 / 8);
  assert.throws(() => credibleInterval([], 0.9), /must not be empty/);
  assert.throws(() => credibleInterval([1, 2], 1), /level must be in \(0, 1\)/);
  assert.throws(() => credibleInterval([1, NaN], 0.5), /samples\[1\]/);
  // an infinite draw (an unreachable target) is kept, not refused
  assert.deepEqual(credibleInterval([1, 2, Infinity], 0.5), {
    mean: Infinity,
    lower: 1.5,
    upper: Infinity,
  });
});

Deno.test("gibbsMjp() keeps rates that allowed fixes at 0 at 0 and starts from a given generator", () => {
  // a 3-state ring 0 → 1 → 2 → 0 with the reverse moves forbidden
  const truth = RateMatrix.fromDense([[-1, 1, 0], [0, -1.5, 1.5], [2, 0, -2]]);
  const allowed = [0, 1, 0, 0, 0, 1, 1, 0, 0];
  const { observations } = simulateMjpObservations(truth, {
    paths: 5,
    observationsPerPath: 10,
    tEnd: 3,
    emission: exactEmission(3),
    key: { seed: 4, stream: 0 },
  });
  const fit = gibbsMjp(observations, { seed: 1, samples: 30, burnIn: 10, allowed, start: truth });
  for (const q of fit.chains[0]!.generators) {
    for (let k = 0; k < 9; k++) {
      if (k % 4 !== 0 && !allowed[k]) assert.equal(q.toDense()[k], 0);
    }
    assert.ok(q.get(0, 1) > 0 && q.get(1, 2) > 0 && q.get(2, 0) > 0);
  }
  // the derived quantities come with each sample: a one-way ring has infinite entropy production
  assert.equal(fit.chains[0]!.derived![0]!.entropyProduction, Infinity);
  assert.throws(
    () =>
      gibbsMjp(observations, {
        seed: 1,
        samples: 3,
        allowed,
        start: RateMatrix.fromDense([[-1, 1, 0], [0, -1, 1], [1, 0.5, -1.5]]),
      }),
    /start has rate Q\[2\]\[1\]/,
  );
  assert.throws(
    () =>
      gibbsMjp(observations, {
        seed: 1,
        samples: 3,
        start: RateMatrix.fromDense([[-1, 1], [1, -1]]),
      }),
    /start must be a RateMatrix on 3 states/,
  );
});
