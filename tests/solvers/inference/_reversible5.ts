// The known 5-state reversible generator of the MSM estimator tests
// (msm_estimate_test.ts, msm_lagged_test.ts): q_ij = s_ij / π_i with s
// symmetric, so π is its stationary law and detailed balance holds.

/** The stationary law π. */
export const PI: readonly number[] = [0.3, 0.25, 0.2, 0.15, 0.1];

/** The symmetric flows s_ij = π_i q_ij of the generator's edges, as [i, j, s_ij] (i < j). */
export const S: readonly (readonly [number, number, number])[] = [
  [0, 1, 0.3],
  [0, 2, 0.1],
  [1, 2, 0.2],
  [1, 3, 0.12],
  [2, 3, 0.15],
  [2, 4, 0.08],
  [3, 4, 0.1],
  [0, 4, 0.05],
];
