// Loads the DFR fixture (tests/fixtures/inference/dfr_seed0.json, see make_dfr_fixture.py).
import type { MjpObservations } from "../../../solvers/inference/observations.ts";

const url = new URL("../../fixtures/inference/dfr_seed0.json", import.meta.url);
const raw = JSON.parse(Deno.readTextFileSync(url)) as {
  times: number[][];
  true_states: number[][];
  S2_flip10: number[][];
  S3_gauss05: number[][];
};

function observations(values: number[][], paths = values.length): MjpObservations {
  return {
    n: 6,
    paths: raw.times.slice(0, paths).map((t, p) => ({
      times: new Float64Array(t),
      values: new Float64Array(values[p]!),
    })),
  };
}

/** S1 (clean), S2 (10% flips), S3 (Gaussian σ = 0.5) on the same 300 hidden paths; optionally the first `paths`. */
export const dfrData = (paths?: number) => ({
  S1: observations(raw.true_states, paths),
  S2: observations(raw.S2_flip10, paths),
  S3: observations(raw.S3_gauss05, paths),
});

export const dfrTruth = JSON.parse(
  Deno.readTextFileSync(new URL("../../fixtures/inference/dfr_ground_truth.json", import.meta.url)),
) as {
  Q: number[][];
  stationary: number[];
  eigenvalues_real: number[];
  eigenvalues_imag: number[];
  relaxation_time: number;
  mfpt: number[][];
  entropy_production_rate: number;
  check_expm_P_t1: number[][];
};
