import assert from "node:assert/strict";
import { emMjp } from "../../../solvers/inference/em_mjp.ts";
import { flashingRatchetReadout } from "../../../solvers/inference/flashing_ratchet_readout.ts";
import {
  gaussianEmission,
  symmetricFlipEmission,
} from "../../../solvers/inference/observations.ts";
import { dfrErrors } from "./_dfr_checks.ts";
import { dfrData } from "./_dfr_data.ts";

// Bounds for the noisy scenarios: the reference EM's mean + 4 sd over its 5 seeds
// (refs/inverse/README.md §4.3, rows S2_flip10_300 and S3_gauss05_300), as distance from the truth:
//   S2: RMSE 0.114 + 4·0.024 ≈ 0.21; |V − 1| 0.031 + 4·0.082 ≈ 0.36; |r − 1| 0.026 + 4·0.069 ≈ 0.30; b within ±0.2
//   S3: RMSE 0.124 + 4·0.021 ≈ 0.21; |V − 1| 0.070 + 4·0.138 ≈ 0.62; |r − 1| 0.037 + 4·0.065 ≈ 0.30; b within ±0.2
const cases = [
  {
    name: "S2 (10% flips)",
    data: "S2",
    emission: symmetricFlipEmission(6, 0.1),
    rmse: 0.21,
    V: 0.36,
    r: 0.3,
    b: 0.2,
  },
  {
    name: "S3 (Gaussian σ = 0.5)",
    data: "S3",
    emission: gaussianEmission(6, 0.5),
    rmse: 0.21,
    V: 0.62,
    r: 0.3,
    b: 0.2,
  },
] as const;

for (const c of cases) {
  Deno.test(`emMjp() on the DFR benchmark ${c.name}: RMSE ≤ ${c.rmse}, V ±${c.V}, r ±${c.r}, b ±${c.b}, monotone`, () => {
    const r = emMjp(dfrData()[c.data], { emission: c.emission });
    assert.ok(r.converged);
    const ll = r.logLikelihoods;
    for (let t = 1; t < ll.length; t++) {
      assert.ok(ll[t]! >= ll[t - 1]! - 1e-9 * Math.abs(ll[t - 1]!));
    }
    const e = dfrErrors(r.q);
    assert.ok(e.rmse <= c.rmse, `rmse ${e.rmse}`);
    const p = flashingRatchetReadout(r.q);
    assert.ok(Math.abs(p.V - 1) <= c.V, `V ${p.V}`);
    assert.ok(Math.abs(p.r - 1) <= c.r, `r ${p.r}`);
    assert.ok(Math.abs(p.b - 1) <= c.b, `b ${p.b}`);
  });
}
