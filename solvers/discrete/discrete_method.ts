/**
 * The discrete-diffusion method protocol: a reverse sampler is its declared
 * metadata ({@linkcode DiscreteMethodInfo}) plus one rule that gives, for one
 * position of one sequence, the probabilities of its state after a step
 * `t → s` (s < t), from the current state and the model's row for that
 * position. Positions move independently within a step given the sequence
 * (the factorisation every practical sampler makes), so one rule serves
 * both the Monte Carlo sampler ({@linkcode sampleDiscrete}, one categorical
 * draw per position) and the exact kernels ({@linkcode exactOutputDistribution},
 * the product over positions): the exact tests check the sampler's own arithmetic.
 *
 * @module
 */

import type { Method, MethodInfo } from "../method_registry.ts";
import type { DiscreteProcess, DiscreteProcessKind } from "./discrete_process.ts";
import type { DiscreteModelOutput } from "./discrete_model.ts";

/** What a discrete-diffusion method declares, beyond every method's {@linkcode MethodInfo}. */
export interface DiscreteMethodInfo extends MethodInfo {
  /** Always "discrete". */
  readonly family: "discrete";
  /** The forward processes it applies to. */
  readonly processes: readonly DiscreteProcessKind[];
  /** What its rule reads: ratios (concrete score) or x0 conditionals (denoiser). */
  readonly needs: DiscreteModelOutput;
  /** Whether masks left after the last step are filled from x0 (one more model call). */
  readonly finalDenoise: boolean;
  /** The Philox purpose word of each step's draws (`PHILOX_PURPOSES.discreteStep`). */
  readonly purpose: number;
}

/** ReMDM's remasking schedule σ_t (Wang et al. 2025, arXiv 2503.00307, §4.1). */
export interface RemaskOptions {
  /**
   * `cap`: σ_t = min(η, (1 − α_s)/α_t); `rescale`: σ_t = η·σ_t^max with
   * σ_t^max = min(1, (1 − α_s)/α_t). Default "cap".
   */
  schedule?: "cap" | "rescale";
  /** η in [0, 1] (default 0.008). With η = 0 ReMDM is the MDLM step. */
  eta?: number;
}

/** The options shared by the sampler and the exact kernels. */
export interface DiscreteRunOptions {
  /** Equally spaced steps from the schedule's tMax to 0 (give this or `grid`). */
  steps?: number;
  /** A strictly decreasing time grid within [0, tMax] (give this or `steps`). */
  grid?: ArrayLike<number>;
  /** ReMDM's remasking schedule (used by `remdm` only). */
  remask?: RemaskOptions;
}

/** Everything a step rule needs besides the position's own data. */
export interface DiscreteStepContext {
  /** The forward process. */
  readonly process: DiscreteProcess;
  /** The left (noisier) end of the step, where the model and rates are evaluated. */
  readonly t: number;
  /** The right end, s < t. */
  readonly s: number;
  /** t − s. */
  readonly h: number;
  /** σ(t). */
  readonly sigma: number;
  /** α_t. */
  readonly alphaT: number;
  /** α_s. */
  readonly alphaS: number;
  /** ReMDM's schedule, resolved. */
  readonly remask: Required<RemaskOptions>;
}

/**
 * The step rule of one position: write the probabilities of its next state
 * into `out[o … o + S)` (S = process.states; they sum to 1).
 *
 * @param out the destination
 * @param o where this position's row starts in `out`
 * @param current the position's state now
 * @param model the model's output (ratios or x0, whichever the method needs)
 * @param m where this position's V numbers start in `model`
 * @param ctx the step
 */
export type DiscreteStepRule = (
  out: Float64Array,
  o: number,
  current: number,
  model: Float64Array,
  m: number,
  ctx: DiscreteStepContext,
) => void;

/** A discrete-diffusion reverse sampler. */
export interface DiscreteMethod extends Method<DiscreteMethodInfo> {
  /** The per-position step rule. */
  readonly rule: DiscreteStepRule;
}
