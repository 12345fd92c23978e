/**
 * The one signature every diffusion sampler shares (after k-diffusion):
 * `sampler(denoiser, x, grid, options) → Promise<SampleResult>`. `x` is the
 * initial batch at `grid[0]` on a backend; `grid` is the decreasing list of
 * times in the denoiser schedule's time variable (for EDM / VE schedules the
 * time is σ itself); `onStep` sees every step.
 *
 * @module
 */

import type { Backend, DeviceArray, Key } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";

/** What `onStep` sees after each step. */
export interface StepInfo {
  /** Step index, from 0. */
  i: number;
  /** Time at the start of the step. */
  t: number;
  /** Time at the end of the step. */
  tNext: number;
  /** The batch after the step. */
  x: DeviceArray;
  /** The data prediction used in the step, when the sampler has one. */
  x0Hat: DeviceArray | undefined;
}

/**
 * Fresh standard normals for stochastic samplers. Call `index` is 0, 1, 2, …
 * in the order the sampler draws; `from`/`to` name the interval (in the
 * sampler's noise variable) the draw belongs to.
 */
export interface NoiseSource {
  /** Fills `out` with the normals of one draw. */
  sample(
    backend: Backend,
    out: DeviceArray,
    call: { index: number; from: number; to: number },
  ): Promise<void>;
}

/** Options every sampler accepts. */
export interface SamplerOptions {
  /** The backend holding `x` (default: the backend `x` belongs to). */
  backend?: Backend;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void | Promise<void>;
  /** Noise for stochastic samplers (default: Philox keyed by `key`, step = call index). */
  noise?: NoiseSource;
  /** Key of the default noise (default seed 0, stream 0). */
  key?: Key;
}

/** What a sampler returns. */
export interface SampleResult {
  /** The final batch (a new array on the backend). */
  x: DeviceArray;
  /** Number of model evaluations. */
  nfe: number;
  /** The times at which the model was called, in order. */
  modelTimes: number[];
}

/** The common sampler signature. */
export type Sampler<O extends SamplerOptions = SamplerOptions> = (
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options?: O,
) => Promise<SampleResult>;

/**
 * Corrects a data prediction x̂₀ in place (e.g. dynamic thresholding): `x0` holds `rows` rows of
 * `dim` numbers on `backend`, predicted at time `t`.
 */
export type X0Corrector = (
  backend: Backend,
  x0: DeviceArray,
  info: { t: number; dim: number },
) => Promise<void>;

/** Corrects the state after a step (DPM-Solver's `correcting_xt_fn(x, t, step)`). */
export type XtCorrector = (
  backend: Backend,
  x: DeviceArray,
  info: { t: number; step: number },
) => Promise<void>;
