import assert from "node:assert/strict";
import { flashingRatchet } from "../../../processes/flashing_ratchet.ts";
import { flashingRatchetModel } from "../../../solvers/inference/generator_models.ts";
import {
  derivedQuantitiesWithUncertainty,
  mjpDerivedQuantities,
} from "../../../solvers/inference/mjp_derived_quantities.ts";
import { mleMjp } from "../../../solvers/inference/mle_mjp.ts";
import { symmetricFlipEmission } from "../../../solvers/inference/observations.ts";
import { simulateMjpObservations } from "../../../solvers/inference/simulate_mjp_observations.ts";

// 24 synthetic DFR data sets (80 paths × 20 observations on [0, 2.5], 10% flips), fit by MLE of
// (V, log r, log b): the standard errors from the observed information must describe the spread.
const D = 24;
const truthQ = flashingRatchet({ V: 1, r: 1, b: 1 });
const truthTheta = [1, 0, 0];
const truthDerived = mjpDerivedQuantities(truthQ);
const model = flashingRatchetModel();
const emission = symmetricFlipEmission(6, 0.1);

Deno.test("mleMjp() standard errors: |z| < 4 on every data set, Σz² within χ² bounds, SE matches the spread; delta-method errors likewise", () => {
  const thetas: Float64Array[] = [], ses: Float64Array[] = [];
  const zDerived: number[] = [];
  let chi2 = 0;
  for (let d = 0; d < D; d++) {
    const { observations } = simulateMjpObservations(truthQ, {
      paths: 80,
      observationsPerPath: 20,
      tEnd: 2.5,
      emission,
      key: { seed: 1000 + d, stream: 0 },
    });
    const fit = mleMjp(observations, model, { emission, start: [0.5, 0, 0] });
    assert.ok(fit.converged, `data set ${d}`);
    thetas.push(fit.theta);
    ses.push(fit.standardErrors);
    for (let k = 0; k < 3; k++) {
      const z = (fit.theta[k]! - truthTheta[k]!) / fit.standardErrors[k]!;
      assert.ok(Math.abs(z) < 4, `data set ${d}, θ${k}: z = ${z}`);
      chi2 += z * z;
    }
    const dq = derivedQuantitiesWithUncertainty(model, fit);
    zDerived.push(
      (dq.values.stationary[0]! - truthDerived.stationary[0]!) / dq.standardErrors.stationary[0]!,
      (dq.values.relaxationTime - truthDerived.relaxationTime) / dq.standardErrors.relaxationTime,
      (dq.values.entropyProduction - truthDerived.entropyProduction) /
        dq.standardErrors.entropyProduction,
      (dq.values.meanFirstPassageTimes[1]! - truthDerived.meanFirstPassageTimes[1]!) /
        dq.standardErrors.meanFirstPassageTimes[1]!,
    );
  }
  // Σ z² ~ χ²(3D) (parameters correlated within a data set; independent across): mean 3D, sd √(6D)
  const m = 3 * D, sd = Math.sqrt(6 * D);
  assert.ok(Math.abs(chi2 - m) < 4 * sd, `Σz² = ${chi2} for ${m} terms`);
  // spread of θ̂ over data sets vs the mean SE: their ratio has relative sd ≈ 1/√(2(D−1))
  for (let k = 0; k < 3; k++) {
    const xs = thetas.map((t) => t[k]!);
    const mean = xs.reduce((s, v) => s + v, 0) / D;
    const spread = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (D - 1));
    const rmsSe = Math.sqrt(ses.reduce((s, v) => s + v[k]! ** 2, 0) / D);
    const ratio = spread / rmsSe;
    assert.ok(
      Math.abs(ratio - 1) < 4 / Math.sqrt(2 * (D - 1)),
      `θ${k}: spread ${spread} vs SE ${rmsSe}`,
    );
  }
  for (const z of zDerived) assert.ok(Math.abs(z) < 4, `derived z = ${z}`);
  const zm = zDerived.reduce((s, z) => s + z * z, 0);
  // 4 quantities per data set, each ~ N(0, 1): Σz² mean 4D, sd √(8D)
  assert.ok(Math.abs(zm - 4 * D) < 4 * Math.sqrt(8 * D), `derived Σz² = ${zm}`);
});
