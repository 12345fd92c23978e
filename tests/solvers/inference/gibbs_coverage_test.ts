// Calibration of gibbsMjp over many synthetic datasets: each dataset's
// 3-state generator is drawn from the sampler's own Gamma prior, paths are
// simulated from it (x(0) uniform at time 0, noisy labels), and the 90%
// credible interval of one pre-chosen rate per dataset is checked. When the
// truth is drawn from the prior, a correct posterior covers it with
// probability exactly 0.9 at any data size, so the count of covered rates is
// Binomial(D, 0.9): |z| < 4. Mixing is checked on every chain (ESS of each
// rate ≥ 25 of 300 kept draws, every second iteration kept; median ≥ 80),
// so the sample quantiles are meaningful.
import assert from "node:assert/strict";
import { gibbsMjp } from "../../../solvers/inference/gibbs_mjp.ts";
import { credibleInterval } from "../../../solvers/inference/gibbs_credible_interval.ts";
import { symmetricFlipEmission } from "../../../solvers/inference/observations.ts";
import { simulateMjpObservations } from "../../../solvers/inference/simulate_mjp_observations.ts";
import { _DrawStream } from "../../../solvers/inference/_gamma_sampler.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { effectiveSampleSize } from "../../../stats/ess.ts";

Deno.test("gibbsMjp() 90% credible intervals cover prior-drawn truths at the nominal rate over 120 datasets", () => {
  const n = 3, datasets = 120, level = 0.9;
  const prior = { shape: 3, rate: 3 };
  const emission = symmetricFlipEmission(n, 0.1);
  const uniform = [1 / 3, 1 / 3, 1 / 3];
  // the truths: Gamma(3, 3) draws from a stream the sampler never uses (stream 999)
  const truthDraws = new _DrawStream({ seed: 8, stream: 999 }, PHILOX_PURPOSES.gibbsRates);
  let covered = 0, coveredAll = 0, minEss = Infinity;
  const esses: number[] = [];
  for (let d = 0; d < datasets; d++) {
    truthDraws.reset(d);
    const rates: [number, number, number][] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j) rates.push([i, j, truthDraws.gamma(prior.shape) / prior.rate]);
      }
    }
    const truth = RateMatrix.fromRates(n, rates);
    const { observations } = simulateMjpObservations(truth, {
      paths: 6,
      observationsPerPath: 8,
      tEnd: 4,
      emission,
      key: { seed: 500 + d, stream: 0 },
      initial: uniform,
    });
    const fit = gibbsMjp(observations, {
      seed: d,
      samples: 300,
      thin: 2,
      burnIn: 60,
      emission,
      prior,
      initial: uniform,
      startTime: 0,
      derived: false,
    });
    const draws = fit.chains[0]!.generators.map((g) => g.toDense());
    rates.forEach(([i, j, v], r) => {
      const x = draws.map((q) => q[i * n + j]!);
      const e = effectiveSampleSize(x);
      esses.push(e);
      minEss = Math.min(minEss, e);
      const ci = credibleInterval(x, level);
      const inside = ci.lower <= v && v <= ci.upper;
      if (inside) coveredAll++;
      if (inside && r === d % rates.length) covered++;
    });
  }
  esses.sort((x, y) => x - y);
  const median = esses[esses.length >> 1]!;
  if (Deno.env.get("GIBBS_COVERAGE_VERBOSE")) {
    console.log(
      `covered ${covered}/${datasets}, pooled ${coveredAll}/${
        6 * datasets
      }, ESS min ${minEss} median ${median}`,
    );
  }
  assert.ok(median >= 80, `median ESS ${median} of 300 draws`);
  assert.ok(minEss >= 25, `smallest ESS ${minEss} of 300 draws`);
  const z = (covered / datasets - level) / Math.sqrt(level * (1 - level) / datasets);
  assert.ok(Math.abs(z) < 4, `covered ${covered}/${datasets}, z = ${z}`);
  // all six rates pooled (dependent within a dataset: a loose check only)
  const pooled = coveredAll / (6 * datasets);
  assert.ok(Math.abs(pooled - level) < 0.05, `pooled coverage ${pooled}`);
});
