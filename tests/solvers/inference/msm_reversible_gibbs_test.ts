// sampleReversibleMsm(): calibration over datasets whose reversible
// generator is drawn from the sampler's own prior (edge weights s_ij ~
// Gamma(2, 4), φ_i = π_0/π_i ~ Gamma(3, 3), φ_0 = 1): the 90% intervals of
// one pre-chosen rate per dataset cover at the nominal rate (Binomial,
// |z| < 4), with a mixing check; detailed balance of every draw; keyed
// chains; typed errors.
import assert from "node:assert/strict";
import { sampleReversibleMsm } from "../../../solvers/inference/msm_reversible_gibbs.ts";
import { credibleInterval } from "../../../solvers/inference/gibbs_credible_interval.ts";
import { msmCounts } from "../../../solvers/inference/msm_counts.ts";
import { _DrawStream } from "../../../solvers/inference/_gamma_sampler.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { sampleCtmcPath } from "../../../processes/ctmc_path.ts";
import { effectiveSampleSize } from "../../../stats/ess.ts";

const EDGE = { shape: 2, rate: 4 };
const PHI = { shape: 3, rate: 3 };

Deno.test("sampleReversibleMsm() 90% intervals cover prior-drawn reversible generators at the nominal rate", () => {
  const n = 4, datasets = 200, level = 0.9;
  const truthDraws = new _DrawStream({ seed: 4, stream: 999 }, PHILOX_PURPOSES.msmBayes);
  let covered = 0, coveredAll = 0, all = 0, minEss = Infinity;
  for (let d = 0; d < datasets; d++) {
    truthDraws.reset(d);
    const phi = [1, ...[1, 2, 3].map(() => truthDraws.gamma(PHI.shape) / PHI.rate)];
    const rates: [number, number, number][] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const s = truthDraws.gamma(EDGE.shape) / EDGE.rate;
        rates.push([i, j, s * phi[i]!], [j, i, s * phi[j]!]);
      }
    }
    const truth = RateMatrix.fromRates(n, rates);
    const paths = [0, 1].map((p) =>
      sampleCtmcPath(truth, { initial: 2 * p, tEnd: 8, key: { seed: 300 + d, stream: 0 }, path: p })
    );
    const post = sampleReversibleMsm(paths, {
      n,
      seed: d,
      samples: 400,
      burnIn: 100,
      edgePrior: EDGE,
      stationaryPrior: PHI,
    });
    const draws = post.chains[0]!.map((q) => q.toDense());
    rates.forEach(([i, j, v], r) => {
      const x = draws.map((q) => q[i * n + j]!);
      if (d < 20) minEss = Math.min(minEss, effectiveSampleSize(x));
      const ci = credibleInterval(x, level);
      const inside = ci.lower <= v && v <= ci.upper;
      all++;
      if (inside) coveredAll++;
      if (inside && r === d % rates.length) covered++;
    });
  }
  if (Deno.env.get("MSM_COVERAGE_VERBOSE")) {
    console.log(`covered ${covered}/${datasets}, pooled ${coveredAll}/${all}, min ESS ${minEss}`);
  }
  assert.ok(minEss >= 50, `smallest ESS ${minEss} of 400 draws (first 20 datasets)`);
  const z = (covered / datasets - level) / Math.sqrt(level * (1 - level) / datasets);
  assert.ok(Math.abs(z) < 4, `covered ${covered}/${datasets}, z = ${z}`);
  assert.ok(Math.abs(coveredAll / all - level) < 0.03, `pooled ${coveredAll}/${all}`);
});

Deno.test("sampleReversibleMsm() draws are reversible and chain c depends only on (seed, c)", () => {
  const paths = [{
    times: new Float64Array([0, 0.4, 1.1, 1.3, 2.0, 2.6]),
    states: new Int32Array([0, 1, 2, 1, 0, 2]),
    tEnd: 3,
  }];
  const two = sampleReversibleMsm(paths, { n: 3, seed: 3, samples: 20, burnIn: 5, chains: 2 });
  two.chains[1]!.forEach((q, k) => {
    const pi = two.stationary[1]![k]!;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        assert.ok(Math.abs(pi[i]! * q.get(i, j) - pi[j]! * q.get(j, i)) < 1e-14);
      }
    }
  });
  const one = sampleReversibleMsm(paths, { n: 3, seed: 3, samples: 20, burnIn: 5 });
  assert.deepEqual(
    one.chains[0]!.map((q) => [...q.toDense()]),
    two.chains[0]!.map((q) => [...q.toDense()]),
  );
  assert.notDeepEqual(
    two.chains[0]!.map((q) => [...q.toDense()]),
    two.chains[1]!.map((q) => [...q.toDense()]),
  );
});

Deno.test("sampleReversibleMsm() refuses bad input with typed errors", () => {
  const c = msmCounts([{
    times: new Float64Array([0, 1]),
    states: new Int32Array([0, 1]),
    tEnd: 2,
  }], 3);
  const base = { seed: 1, samples: 5 };
  assert.throws(
    () => sampleReversibleMsm(c, { ...base, edgePrior: { shape: 0 } }),
    /prior\.shape must be positive/,
  );
  assert.throws(
    () => sampleReversibleMsm(c, { ...base, stationaryPrior: { rate: -2 } }),
    RangeError,
  );
  assert.throws(() => sampleReversibleMsm(c, { ...base, samples: 0 }), /samples/);
  assert.throws(
    () => sampleReversibleMsm(c, { ...base, allowed: [0, 1, 0, 0, 0, 0, 0, 0, 0] }),
    /symmetric/,
  );
  assert.throws(
    () => sampleReversibleMsm(c, { ...base, allowed: [0, 0, 1, 0, 0, 0, 1, 0, 0] }),
    /between 0 and 1 were observed/,
  );
  assert.throws(() => sampleReversibleMsm([], { ...base, n: 2 }), /must not be empty/);
});
