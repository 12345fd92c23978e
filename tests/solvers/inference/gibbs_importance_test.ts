// gibbsMjp() against an independent exact posterior on three states with
// label flips: self-normalised importance sampling from the Gamma prior,
// weighted by the forward-algorithm likelihood (mjpLogLikelihood: matrix
// exponentials, no path augmentation). The posterior mean of each of the
// six rates must agree within |z| < 4, z combining the Gibbs Monte Carlo
// error (from the ESS) and the importance-sampling error (delta method).
import assert from "node:assert/strict";
import { gibbsMjp } from "../../../solvers/inference/gibbs_mjp.ts";
import { mjpLogLikelihood } from "../../../solvers/inference/mjp_log_likelihood.ts";
import { symmetricFlipEmission } from "../../../solvers/inference/observations.ts";
import { simulateMjpObservations } from "../../../solvers/inference/simulate_mjp_observations.ts";
import { _DrawStream } from "../../../solvers/inference/_gamma_sampler.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { effectiveSampleSize } from "../../../stats/ess.ts";

Deno.test("gibbsMjp() posterior means match importance sampling with the exact likelihood (3 states, 10% flips)", () => {
  const n = 3;
  const prior = { shape: 2, rate: 2 };
  const emission = symmetricFlipEmission(n, 0.1);
  const uniform = [1 / 3, 1 / 3, 1 / 3];
  const truth = RateMatrix.fromDense([[-1, 0.6, 0.4], [0.5, -1, 0.5], [0.2, 0.8, -1]]);
  const { observations } = simulateMjpObservations(truth, {
    paths: 3,
    observationsPerPath: 5,
    tEnd: 3,
    emission,
    key: { seed: 3, stream: 0 },
    initial: uniform,
  });
  const pairs: [number, number][] = [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]];
  // importance sampling from the prior (a test-only stream: stream 777)
  const draws = new _DrawStream({ seed: 6, stream: 777 }, PHILOX_PURPOSES.gibbsRates);
  const M = 20000;
  const logW = new Float64Array(M);
  const values = pairs.map(() => new Float64Array(M));
  for (let m = 0; m < M; m++) {
    draws.reset(m);
    const rates = pairs.map(([i, j]) => [i, j, draws.gamma(prior.shape) / prior.rate] as const);
    rates.forEach(([, , v], r) => values[r]![m] = v);
    logW[m] = mjpLogLikelihood(RateMatrix.fromRates(n, rates), observations, {
      initial: uniform,
      emission,
    });
  }
  const maxLog = Math.max(...logW);
  const w = Float64Array.from(logW, (v) => Math.exp(v - maxLog));
  const wSum = w.reduce((a, b) => a + b, 0);
  const fit = gibbsMjp(observations, {
    seed: 2,
    samples: 1500,
    burnIn: 100,
    chains: 4,
    emission,
    prior,
    initial: uniform,
    derived: false,
  });
  pairs.forEach(([i, j], r) => {
    const v = values[r]!;
    let mean = 0;
    for (let m = 0; m < M; m++) mean += w[m]! * v[m]!;
    mean /= wSum;
    let varIs = 0, varPost = 0;
    for (let m = 0; m < M; m++) {
      varIs += (w[m]! * (v[m]! - mean)) ** 2;
      varPost += w[m]! * (v[m]! - mean) ** 2;
    }
    varIs /= wSum * wSum;
    varPost /= wSum;
    let ess = 0;
    for (const c of fit.chains) ess += effectiveSampleSize(c.generators.map((g) => g.get(i, j)));
    const se = Math.sqrt(varIs + varPost / ess);
    const z = (fit.posteriorMean[i * n + j]! - mean) / se;
    if (Deno.env.get("GIBBS_IS_VERBOSE")) {
      console.log(`Q[${i}][${j}] Gibbs ${fit.posteriorMean[i * n + j]} IS ${mean} se ${se} z ${z}`);
    }
    assert.ok(
      Math.abs(z) < 4,
      `Q[${i}][${j}]: Gibbs ${
        fit.posteriorMean[i * n + j]
      } vs IS ${mean} (se ${se}, ESS ${ess}), z = ${z}`,
    );
  });
});
