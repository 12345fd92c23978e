// summarizePosterior(): on draws of the conjugate MSM posterior, whose
// marginals are exact Gamma laws, the sample-quantile intervals of every
// rate lie within 4 standard errors of the exact Gamma quantiles
// (se of a sample p-quantile ≈ √(p(1−p)/N)/f(x_p)); the derived quantities'
// summaries match the per-sample values; typed errors.
import assert from "node:assert/strict";
import { summarizePosterior } from "../../../solvers/inference/gibbs_posterior_summary.ts";
import { msmPosterior } from "../../../solvers/inference/msm_posterior.ts";
import { mjpDerivedQuantities } from "../../../solvers/inference/mjp_derived_quantities.ts";
import { logGamma } from "../../../kernels/incomplete_gamma.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";

const PATH = {
  times: new Float64Array([0, 0.4, 1.1, 1.3, 2.0, 2.6, 3.1, 3.3]),
  states: new Int32Array([0, 1, 2, 1, 0, 2, 0, 1]),
  tEnd: 4,
};

function gammaDensity(x: number, shape: number, rate: number): number {
  return Math.exp(shape * Math.log(rate) + (shape - 1) * Math.log(x) - rate * x - logGamma(shape));
}

Deno.test("summarizePosterior() rate intervals match the exact Gamma quantiles of the conjugate posterior", () => {
  const post = msmPosterior([PATH], { n: 3, prior: { shape: 1.5, rate: 2 } });
  const N = 10000, level = 0.9;
  const draws = post.sample(N, { key: { seed: 12, stream: 0 } });
  const derived = draws.map((q) => mjpDerivedQuantities(q));
  const s = summarizePosterior(draws, { level, derived });
  const exact = post.credibleIntervals(level);
  const p = (1 - level) / 2;
  for (let k = 0; k < 9; k++) {
    if (k % 4 === 0) continue;
    const [a, b] = [post.shape[k]!, post.rate[k]!];
    for (
      const [name, got, want] of [["lower", s.rates.lower[k]!, exact.lower[k]!], [
        "upper",
        s.rates.upper[k]!,
        exact.upper[k]!,
      ]] as const
    ) {
      const se = Math.sqrt(p * (1 - p) / N) / gammaDensity(want, a, b);
      assert.ok(Math.abs(got - want) < 4 * se, `Q[${k}] ${name}: ${got} vs ${want} (se ${se})`);
    }
    const zMean = (s.rates.mean[k]! - a / b) / (Math.sqrt(a) / b / Math.sqrt(N));
    assert.ok(Math.abs(zMean) < 4, `Q[${k}] mean z = ${zMean}`);
  }
  // the derived summaries are those of the per-sample values
  const relax = derived.map((d) => d.relaxationTime).sort((x, y) => x - y);
  assert.ok(s.relaxationTime.lower >= relax[0]! && s.relaxationTime.upper <= relax[N - 1]!);
  const meanPi0 = derived.reduce((acc, d) => acc + d.stationary[0]!, 0) / N;
  assert.ok(Math.abs(s.stationary.mean[0]! - meanPi0) < 1e-12);
  assert.equal(s.meanFirstPassageTimes.mean[0], 0);
  assert.ok(s.entropyProduction.lower >= 0);
  // computing the derived quantities inside gives the same summary
  const again = summarizePosterior(draws.slice(0, 200), { level });
  const given = summarizePosterior(draws.slice(0, 200), { level, derived: derived.slice(0, 200) });
  assert.deepEqual(again, given);
});

Deno.test("summarizePosterior() refuses bad input with typed errors", () => {
  const q = RateMatrix.fromDense([[-1, 1], [1, -1]]);
  assert.throws(() => summarizePosterior([]), /non-empty/);
  assert.throws(() => summarizePosterior([q], { level: 0 }), /level must be in \(0, 1\)/);
  assert.throws(
    () => summarizePosterior([q, RateMatrix.fromDense([[0]])]),
    /samples\[1\] must be a RateMatrix on 2 states/,
  );
  assert.throws(() => summarizePosterior([q], { derived: [] }), /one entry per sample/);
});
