/**
 * The one signature every diffusion sampler shares (after k-diffusion):
 * `sampler(denoiser, x, grid, options) → Promise<SampleResult>`. `x` is the
 * initial batch at `grid[0]`, on the backend it lives on; `grid` is the
 * decreasing list of times in the denoiser schedule's time variable (for EDM
 * / VE schedules the time is σ itself); `onStep` sees every step with the
 * {@linkcode StepInfo} shape every sdeno family uses, plus the data
 * prediction.
 *
 * @module
 */

import type { DeviceArray, Key } from "../../kernels/mod.ts";
import type { Conditioning, Denoiser, PredictionKind } from "../../models/denoiser.ts";
import type { StepInfo } from "../run_context.ts";

/** What `onStep` sees after each step of a diffusion sampler. */
export interface DiffusionStepInfo extends StepInfo {
  /** The data prediction x̂₀ used in the step, when the sampler forms one. */
  x0Hat: DeviceArray | undefined;
}

/** One draw of a {@linkcode NoiseSource}. */
export interface NoiseCall {
  /** The draw's index in the run: 0, 1, 2, … in the order the sampler draws. */
  index: number;
  /** Start of the interval the draw belongs to, in the sampler's noise variable. */
  from: number;
  /** End of that interval. */
  to: number;
  /** Flat element index of `out[0]` in the whole run (`pathOffset · dim` for a shard). */
  offset: number;
}

/**
 * Fresh standard normals for stochastic samplers: i.i.d. draws keyed by the
 * call index ({@linkcode philoxNoise}, {@linkcode splitMix64Noise}) or the
 * normalised increments `(W(to) − W(from))/sqrt(|to − from|)` of a Brownian
 * path ({@linkcode brownianNoise} over an sdeno `BrownianPath`). A source is a
 * pure function of its key, the call and the element index, so results do
 * not depend on the batch size, chunking or shard.
 */
export interface NoiseSource {
  /** Fills `out` (on its own backend) with the normals of one draw. */
  sample(out: DeviceArray, call: NoiseCall): Promise<void>;
  /**
   * Set when draw `c` is the Philox normal of `key` at counter
   * `(offset + e, c, purpose)`: samplers then fuse the draw into
   * `backend.lincomb` instead of filling a buffer.
   */
  readonly philox?: { readonly key: Key; readonly purpose: number } | undefined;
}

/**
 * Corrects a data prediction x̂₀ in place (e.g. dynamic thresholding): `x0`
 * holds rows of `dim` numbers predicted at time `t`, on the backend it lives on.
 */
export type X0Corrector = (x0: DeviceArray, info: { t: number; dim: number }) => Promise<void>;

/**
 * Corrects the state after a step (DPM-Solver's `correcting_xt_fn(x, t, step)`),
 * in the schedule's variables; `step` counts the steps taken, from 1.
 */
export type XtCorrector = (x: DeviceArray, info: { t: number; step: number }) => Promise<void>;

/** Options every diffusion sampler accepts. */
export interface SamplerOptions {
  /** Called after every step. */
  onStep?: (info: DiffusionStepInfo) => void | Promise<void>;
  /**
   * Check model outputs and the batch for NaN / Inf and stop with a
   * `NumericalError` naming the step, time and element (default true; on
   * webgpu each check is one small reduction read back).
   */
  checkFinite?: boolean;
  /** Noise for stochastic samplers (default: Philox keyed by `key`, draw c at step c). */
  noise?: NoiseSource;
  /** Key of the default noise (default seed 0, stream 0). */
  key?: Key;
  /**
   * Global index of the batch's first point (default 0): a shard of a larger
   * run passes its offset and draws the numbers the whole run would.
   */
  pathOffset?: number;
  /** Conditioning passed to the model on every call (labels, tensors). */
  conditioning?: Conditioning;
  /**
   * The kind requested from the denoiser, converted once to what the update
   * integrates (default: the sampler's convention — x₀ for the k-diffusion
   * samplers, ε for DPM-Solver, UniPC, DDIM and DDPM, whose references use
   * noise-prediction models).
   */
  query?: PredictionKind;
  /** Applied to every data prediction x̂₀ the sampler forms (e.g. `dynamicThresholding()`). */
  correctX0?: X0Corrector;
  /** Applied to x after every step. */
  correctXt?: XtCorrector;
}

/** What a sampler returns. */
export interface SampleResult {
  /** The final batch (a new array on the backend of `x`). */
  x: DeviceArray;
  /** Number of model evaluations. */
  nfe: number;
  /** The times at which the model was called, in order. */
  modelTimes: number[];
  /** The `(from, to)` interval of every noise draw, in order, in the sampler's noise variable. */
  noiseCalls: [number, number][];
}

/** The common sampler signature. */
export type Sampler<
  O extends SamplerOptions = SamplerOptions,
  R extends SampleResult = SampleResult,
> = (
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options?: O,
) => Promise<R>;
