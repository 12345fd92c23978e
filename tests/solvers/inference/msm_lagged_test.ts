// estimateMsmLagged(): a known 5-state reversible generator recovered from
// trajectories sampled every τ = 0.5 (free log-rates on its pattern, and
// under detailed balance), each rate within |z| < 4 of the truth in its own
// standard errors, and the standard errors calibrated (mean z² ≈ 1 over
// datasets); reversibleRateModel()'s derivatives against central
// differences; typed errors.
import assert from "node:assert/strict";
import { estimateMsmLagged } from "../../../solvers/inference/msm_lagged.ts";
import { reversibleRateModel } from "../../../solvers/inference/msm_reversible_model.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { PI, S } from "./_reversible5.ts";
import { sampleCtmcPath } from "../../../processes/ctmc_path.ts";

const TRUTH = RateMatrix.fromRates(
  5,
  S.flatMap(([i, j, s]) => [[i, j, s / PI[i]!], [j, i, s / PI[j]!]] as const),
);
const EDGES = S.map(([i, j]) => [i, j] as const);
const PAIRS = S.flatMap(([i, j]) => [[i, j], [j, i]] as const);
const LAG = 0.5;

function lagged(paths: number, length: number, seed: number): number[][] {
  return Array.from({ length: paths }, (_, p) => {
    const path = sampleCtmcPath(TRUTH, {
      initial: p % 5,
      tEnd: LAG * length,
      key: { seed, stream: 0 },
      path: p,
    });
    let j = 0;
    return Array.from({ length }, (_, k) => {
      while (j + 1 < path.times.length && path.times[j + 1]! <= LAG * k) j++;
      return path.states[j]!;
    });
  });
}

function zScores(fit: { rates: Float64Array; standardErrors: Float64Array }): number[] {
  const z: number[] = [];
  for (const [i, j] of PAIRS) {
    const k = i * 5 + j;
    z.push((fit.rates[k]! - TRUTH.get(i, j)) / fit.standardErrors[k]!);
  }
  return z;
}

Deno.test("estimateMsmLagged() recovers a 5-state generator from lag-0.5 samples within |z| < 4", () => {
  const data = lagged(10, 400, 1);
  for (const reversible of [false, true]) {
    const fit = estimateMsmLagged(data, {
      n: 5,
      lag: LAG,
      reversible,
      pairs: reversible ? EDGES : PAIRS,
    });
    assert.ok(fit.converged, `reversible ${reversible}: L-BFGS did not converge`);
    zScores(fit).forEach((z, k) =>
      assert.ok(Math.abs(z) < 4, `reversible ${reversible}, pair ${PAIRS[k]}: z = ${z}`)
    );
    if (reversible) {
      for (const [i, j] of PAIRS) {
        const a = fit.stationary[i]! * fit.rates[i * 5 + j]!,
          b = fit.stationary[j]! * fit.rates[j * 5 + i]!;
        assert.ok(Math.abs(a - b) < 1e-12, `detailed balance ${i}↔${j}`);
      }
    }
  }
});

Deno.test("estimateMsmLagged() standard errors are calibrated: mean z² over 25 datasets ≈ 1", () => {
  for (const reversible of [false, true]) {
    let sum = 0, count = 0;
    for (let d = 0; d < 25; d++) {
      const fit = estimateMsmLagged(lagged(4, 300, 100 + d), {
        n: 5,
        lag: LAG,
        reversible,
        pairs: reversible ? EDGES : PAIRS,
      });
      for (const z of zScores(fit)) {
        sum += z * z;
        count++;
      }
    }
    if (Deno.env.get("MSM_LAGGED_VERBOSE")) {
      console.log(`reversible ${reversible}: mean z² ${sum / count}`);
    }
    // 400 z's, sd of their mean ≈ √(2/400) = 0.07 if independent; correlations widen it
    assert.ok(Math.abs(sum / count - 1) < 0.35, `reversible ${reversible}: mean z² ${sum / count}`);
  }
});

Deno.test("reversibleRateModel() derivatives match central differences and Q is reversible", () => {
  const model = reversibleRateModel(4, [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]]);
  const theta = new Float64Array([0.1, -0.3, 0.5, -1, 0.2, 0.4, -0.2, 0.7]);
  const { q, dq } = model.generator(theta);
  const h = 1e-6;
  for (let k = 0; k < theta.length; k++) {
    const tp = Float64Array.from(theta), tm = Float64Array.from(theta);
    tp[k] = tp[k]! + h;
    tm[k] = tm[k]! - h;
    const qp = model.generator(tp).q, qm = model.generator(tm).q;
    for (let e = 0; e < 16; e++) {
      const fd = (qp[e]! - qm[e]!) / (2 * h);
      assert.ok(Math.abs(fd - dq[k]![e]!) < 1e-8, `∂Q[${e}]/∂θ${k}: ${dq[k]![e]} vs ${fd}`);
    }
  }
  const phi = [1, ...theta.slice(5).map(Math.exp)];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      assert.ok(Math.abs(q[i * 4 + j]! / phi[i]! - q[j * 4 + i]! / phi[j]!) < 1e-14);
    }
  }
  assert.throws(() => reversibleRateModel(3, [[0, 1], [1, 0]]), /repeated/);
  assert.throws(() => reversibleRateModel(3, [[1, 1]]), /diagonal/);
});

Deno.test("estimateMsmLagged() refuses bad input with typed errors", () => {
  const ok = [[0, 1, 1, 0]];
  assert.throws(() => estimateMsmLagged(ok, { n: 2, lag: 0 }), /lag must be positive, got "0"/);
  assert.throws(() => estimateMsmLagged(ok, { n: 2, lag: -1 }), RangeError);
  assert.throws(
    () => estimateMsmLagged([[0, 2]], { n: 2, lag: 1 }),
    /trajectories\[0\]\[1\].*\[0, 1\]/,
  );
  assert.throws(() => estimateMsmLagged([[0]], { n: 2, lag: 1 }), /no transition/);
  assert.throws(() => estimateMsmLagged([], { n: 2, lag: 1 }), TypeError);
  assert.throws(
    () => estimateMsmLagged([[0, 1, 0]], { n: 3, lag: 1, reversible: true }),
    /state 2 is never visited/,
  );
});
