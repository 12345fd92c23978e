/**
 * The options of Karras et al.'s stochastic churn (NeurIPS 2022,
 * Algorithm 2), shared by the euler, heun and dpm_2 samplers.
 *
 * @module
 */

/** Options of the Karras churn (euler, heun, dpm_2). */
export interface ChurnOptions {
  /** Total churn S_churn (default 0: deterministic). */
  sChurn?: number;
  /** Churn only where σ ≥ S_tmin (default 0). */
  sTmin?: number;
  /** Churn only where σ ≤ S_tmax (default Infinity). */
  sTmax?: number;
  /** Scale S_noise of the churn noise (default 1). */
  sNoise?: number;
}
