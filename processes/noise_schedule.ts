/**
 * The forward marginal of a diffusion, `x_t = α(t)·x₀ + σ(t)·ε`, on a time
 * range `[tMin, tMax]`: the one interface every noise schedule implements
 * (VP linear / cosine / discrete, VE, EDM, sub-VP, rectified flow, …) and every
 * diffusion sampler reads. Notation follows DPM-Solver (Lu et al., NeurIPS
 * 2022, §2): `λ(t) = log α(t) − log σ(t)` is the half log-SNR, decreasing in t.
 *
 * @module
 */

/** A noise schedule: α, σ, λ and its inverse, and the forward SDE's f and g². */
export interface NoiseSchedule {
  /** A short name, e.g. "vp-linear". */
  readonly name: string;
  /** Smallest time the schedule is valid at (exclusive of values where σ = 0 or α > 1). */
  readonly tMin: number;
  /** Largest time (the prior end, T). */
  readonly tMax: number;
  /** log α(t). */
  logAlpha(t: number): number;
  /** α(t). */
  alpha(t: number): number;
  /** σ(t). */
  sigma(t: number): number;
  /** λ(t) = log α(t) − log σ(t). */
  logSnr(t: number): number;
  /** The inverse of {@linkcode NoiseSchedule.logSnr}. */
  tOfLogSnr(lambda: number): number;
  /** Drift coefficient f(t) of the forward SDE dx = f(t)·x dt + g(t) dW. */
  drift(t: number): number;
  /** Squared diffusion coefficient g²(t) of the forward SDE. */
  diffusion2(t: number): number;
}
