/**
 * Stochastic Runge–Kutta tableaux in Rößler's two-stage-family form (Rößler,
 * "Runge–Kutta methods for the strong approximation of solutions of
 * stochastic differential equations", SIAM J. Numer. Anal. 48(3), 2010,
 * eq. (5.1) for SRI and (6.1) for SRA), general enough for Euler–Maruyama,
 * Heun, Euler–Heun, SRA1 and SRIW1:
 *
 * `H⁰ᵢ = X + h Σⱼ A⁰ᵢⱼ fⱼ + Σⱼ B⁰ᵢⱼ gⱼ·ζ⁰`, `H¹ᵢ = X + h Σⱼ A¹ᵢⱼ fⱼ + Σⱼ B¹ᵢⱼ gⱼ·ζ¹`,
 * `fⱼ = f(t + c⁰ⱼh, H⁰ⱼ)`, `gⱼ = g(t + c¹ⱼh, H¹ⱼ)`,
 * `X' = X + h Σᵢ αᵢ fᵢ + Σᵢ gᵢ·(Σ_q β^qᵢ ζ_q)`,
 *
 * where each ζ is one of the {@linkcode NoiseWeight} quantities. An embedded
 * pair (α̂, β̂) on the same stages gives the error estimate X' − X̂'.
 *
 * @module
 */

/**
 * A per-component noise quantity of one step (h the step, ΔW, ΔZ = I₍₁,₀₎):
 * `dW` = ΔW; `dZ/h` = I₍₁,₀₎/h; `sqrtH` = √h; `I11/sqrtH` = (ΔW² − h)/(2√h);
 * `I111/h` = (ΔW³ − 3hΔW)/(6h). The last two are the Itô iterated integrals
 * of one component (Kloeden & Platen 1992, §5.2), valid for diagonal and
 * scalar noise.
 */
export type NoiseWeight = "dW" | "dZ/h" | "sqrtH" | "I11/sqrtH" | "I111/h";

/** A tableau (s stages; matrices strictly lower triangular, s×s). */
export interface SrkTableau {
  /** Number of stages. */
  readonly stages: number;
  /** Drift stage times c⁰. */
  readonly c0: readonly number[];
  /** Diffusion stage times c¹. */
  readonly c1: readonly number[];
  /** A⁰ (drift into drift stages). */
  readonly a0: readonly (readonly number[])[];
  /** A¹ (drift into diffusion stages). */
  readonly a1: readonly (readonly number[])[];
  /** B⁰ (diffusion into drift stages), weighted by `noise0`. */
  readonly b0: readonly (readonly number[])[];
  /** B¹ (diffusion into diffusion stages), weighted by `noise1`. */
  readonly b1: readonly (readonly number[])[];
  /** The quantity ζ⁰ multiplying B⁰. */
  readonly noise0: NoiseWeight;
  /** The quantity ζ¹ multiplying B¹. */
  readonly noise1: NoiseWeight;
  /** Drift weights α. */
  readonly alpha: readonly number[];
  /** Diffusion weights: pairs (quantity, weights per stage). */
  readonly beta: ReadonlyArray<readonly [NoiseWeight, readonly number[]]>;
  /** Embedded drift weights α̂, for the error estimate. */
  readonly alphaHat?: readonly number[];
  /** Embedded diffusion weights β̂. */
  readonly betaHat?: ReadonlyArray<readonly [NoiseWeight, readonly number[]]>;
}
