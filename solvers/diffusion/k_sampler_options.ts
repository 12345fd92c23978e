/**
 * The options and result shared by the k-diffusion samplers and the
 * predictor–corrector sampler.
 *
 * @module
 */

import type { SampleResult, SamplerOptions } from "./types.ts";

/** Options every k-diffusion sampler accepts. */
export interface KSamplerOptions extends SamplerOptions {
  /**
   * Check the batch for NaN / Inf after every step and stop with a
   * `NumericalError` naming the step, time and element (default true; on
   * webgpu this is one small reduction read back per step).
   */
  checkFinite?: boolean;
}

/** What a k-diffusion sampler returns. */
export interface KSampleResult extends SampleResult {
  /** The `(from, to)` σ̃ interval of every noise draw, in order. */
  noiseCalls: [number, number][];
}

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
