/**
 * The driving noise of SDE solvers: a Brownian path answers, for each path of
 * a batch and each Brownian component, the increment `ΔW = W(t) − W(s)` and
 * the time integral `ΔZ = ∫ₛᵗ (W(r) − W(s)) dr` (the iterated integral
 * `I₍₁,₀₎` of Kloeden & Platen 1992, §5.2; `ΔZ/h − ΔW/2` is the space-time
 * Lévy area of Foster et al.), which the order-1.5 methods need.
 *
 * Two implementations: {@linkcode brownianGrid} (increments on a fixed grid,
 * no tree overhead) and {@linkcode virtualBrownianTree} (any interval, any
 * query order, O(1) memory). Both are pure functions of the Philox key, the
 * path index and the time, so the answer never depends on the batch size,
 * the chunking, the step size or on rejected steps.
 *
 * @module
 */

/** Where `increment` writes: ΔW and, when asked for, ΔZ, each n×m (path-major). */
export interface BrownianIncrement {
  /** W(t) − W(s), n×m. */
  dW: Float64Array;
  /** ∫ₛᵗ (W(r) − W(s)) dr, n×m; filled only when present. */
  dZ?: Float64Array | undefined;
}

/** A Brownian motion on `[t0, t1]` for a batch of paths. */
export interface BrownianPath {
  /** `grid` or `tree`. */
  readonly kind: "grid" | "tree";
  /** Brownian dimension m. */
  readonly noiseDim: number;
  /** Start time. */
  readonly t0: number;
  /** End time (Infinity for an unbounded grid). */
  readonly t1: number;
  /** The grid spacing, for a grid path. */
  readonly dt: number | undefined;
  /**
   * Writes the increments over `[s, t]` for paths `offset … offset+n−1`
   * into `out` (each n×m).
   */
  increment(s: number, t: number, out: BrownianIncrement, n: number, offset?: number): void;
}
