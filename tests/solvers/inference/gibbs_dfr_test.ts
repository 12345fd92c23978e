// gibbsMjp() on the shared discrete flashing ratchet benchmark
// (../shared/refs/inverse/README.md §4.3; 300 paths × 50 observations on
// [0, 2.5], x(0) ~ π at time 0), seed-0 dataset from
// tests/fixtures/inference/dfr_seed0.json (S1 clean labels = true_states;
// S2 10% label flips; S3 Gaussian noise σ = 0.5 on the label). The posterior
// mean of the 30 off-diagonal rates must be within RMSE 0.15 of the truth
// on S1 (the EM target of the benchmark; measured 0.074), 0.2 on S2/S3
// (measured 0.10, 0.12); the derived quantities' posteriors must sit within
// 4 posterior sd of the true relaxation time and entropy production.
import assert from "node:assert/strict";
import { gibbsMjp } from "../../../solvers/inference/gibbs_mjp.ts";
import { credibleInterval } from "../../../solvers/inference/gibbs_credible_interval.ts";
import {
  type EmissionModel,
  exactEmission,
  gaussianEmission,
  mjpObservations,
  symmetricFlipEmission,
} from "../../../solvers/inference/observations.ts";
import { mjpDerivedQuantities } from "../../../solvers/inference/mjp_derived_quantities.ts";
import { flashingRatchet } from "../../../processes/flashing_ratchet.ts";

const FIXTURE = new URL("../../fixtures/inference/dfr_seed0.json", import.meta.url);
const data = JSON.parse(Deno.readTextFileSync(FIXTURE)) as Record<string, number[][]> & {
  times: number[][];
};
const TRUTH = flashingRatchet({ V: 1, r: 1, b: 1 });

function rmseOffDiagonal(mean: Float64Array): number {
  const q = TRUTH.toDense();
  let s = 0;
  for (let k = 0; k < 36; k++) if (k % 7 !== 0) s += (mean[k]! - q[k]!) ** 2;
  return Math.sqrt(s / 30);
}

const SCENARIOS: [string, string, EmissionModel, number, boolean][] = [
  ["S1 clean", "true_states", exactEmission(6), 0.15, true],
  ["S2 10% flips", "S2_flip10", symmetricFlipEmission(6, 0.1), 0.2, false],
  ["S3 Gaussian σ = 0.5", "S3_gauss05", gaussianEmission(6, 0.5), 0.2, false],
];

for (const [label, field, emission, bound, derived] of SCENARIOS) {
  Deno.test(`gibbsMjp() posterior mean rates on the DFR benchmark, ${label}: RMSE ≤ ${bound}`, () => {
    const observations = mjpObservations(
      6,
      data.times.map((t, i) => ({ times: t, values: data[field]![i]! })),
      emission,
    );
    const fit = gibbsMjp(observations, {
      seed: 1,
      samples: 200,
      burnIn: 100,
      emission,
      startTime: 0,
      derived,
    });
    const rmse = rmseOffDiagonal(fit.posteriorMean);
    assert.ok(rmse <= bound, `RMSE ${rmse}`);
    if (!derived) return;
    const truth = mjpDerivedQuantities(TRUTH);
    const d = fit.chains[0]!.derived!;
    for (
      const [name, values, exact] of [
        ["relaxation time", d.map((x) => x.relaxationTime), truth.relaxationTime],
        ["entropy production", d.map((x) => x.entropyProduction), truth.entropyProduction],
        ["π₂", d.map((x) => x.stationary[2]!), truth.stationary[2]!],
      ] as const
    ) {
      const ci = credibleInterval(values, 0.95);
      const sd = Math.sqrt(
        values.reduce((a, v) => a + (v - ci.mean) ** 2, 0) / (values.length - 1),
      );
      assert.ok(Math.abs(ci.mean - exact) < 4 * sd, `${name}: ${ci.mean} ± ${sd} vs ${exact}`);
      assert.ok(ci.lower < ci.mean && ci.mean < ci.upper);
    }
  });
}
