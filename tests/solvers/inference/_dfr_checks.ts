// Error measures of an estimated DFR generator against the truth (refs/inverse/README.md §4.3).
import { flashingRatchet } from "../../../processes/flashing_ratchet.ts";
import type { RateMatrix } from "../../../processes/rate_matrix.ts";
import { mjpDerivedQuantities } from "../../../solvers/inference/mjp_derived_quantities.ts";

const truth = flashingRatchet({ V: 1, r: 1, b: 1 });
const T = truth.toDense();
const truthDerived = mjpDerivedQuantities(truth);

/** RMSE over the 30 off-diagonal rates, TV of the stationary law, mean relative MFPT error over the 30 pairs. */
export function dfrErrors(
  q: RateMatrix,
): { rmse: number; stationaryTv: number; mfptRelErr: number } {
  const Q = q.toDense();
  const d = mjpDerivedQuantities(q);
  let s = 0, tv = 0, mf = 0;
  for (let i = 0; i < 6; i++) {
    tv += Math.abs(d.stationary[i]! - truthDerived.stationary[i]!) / 2;
    for (let j = 0; j < 6; j++) {
      if (i === j) continue;
      s += (Q[i * 6 + j]! - T[i * 6 + j]!) ** 2;
      mf += Math.abs(
        d.meanFirstPassageTimes[i * 6 + j]! / truthDerived.meanFirstPassageTimes[i * 6 + j]! - 1,
      ) / 30;
    }
  }
  return { rmse: Math.sqrt(s / 30), stationaryTv: tv, mfptRelErr: mf };
}
