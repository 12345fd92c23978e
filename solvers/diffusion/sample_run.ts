/**
 * The one run context of every diffusion sampler: {@linkcode SampleRun}
 * extends the shared `RunContext` (array lifetimes released on every exit
 * path, NaN/Inf stops naming step, time and index, the noise key with its
 * path offset) with what samplers need:
 *
 * - argument checks with one set of messages (denoiser, batch, grid, common
 *   and per-sampler options, unknown option names);
 * - the grid as points `(t, log α, λ, α, σ)` in one of two views. On a
 *   **time grid** (DPM-Solver, UniPC, DDIM, DDPM) the points are the
 *   schedule's own. On a **σ grid** (k-diffusion) the run works on
 *   Karras et al.'s variance-exploding view `x̃ = x/α`, `σ̃ = σ/α`
 *   (Karras et al., NeurIPS 2022, §2 and Table 1: every VP / VE schedule is
 *   one ODE in (x̃, σ̃)), so its points have α = 1, σ = σ̃ and λ = −ln σ̃, a
 *   final σ = 0 is allowed, and on the EDM schedule (α = 1, t = σ) it is
 *   k-diffusion exactly;
 * - model calls through `predictAs` (the one converting entry point; the
 *   conditioning goes with every call), the conversion of the queried kind
 *   to what the update integrates through `convertPrediction`, the x₀
 *   corrector, and the call log (NFE, model times);
 * - noise draws keyed by the run's key and path offset (fused into
 *   `lincomb` for Philox sources), with the log of their intervals;
 * - the end of a step: the x corrector, the finiteness check and `onStep`
 *   with the common {@linkcode DiffusionStepInfo} shape.
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import {
  checkInteger,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/mod.ts";
import {
  convertPrediction,
  type Denoiser,
  predictAs,
  PREDICTION_KINDS,
  type PredictionKind,
} from "../../models/denoiser.ts";
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { RunContext } from "../run_context.ts";
import { checkGrid } from "./_grid.ts";
import { philoxNoise } from "./noise.ts";
import type { NoiseSource, SampleResult, SamplerOptions } from "./types.ts";

/** A grid time with the quantities of the run's view. */
export interface GridPoint {
  /** The schedule time (where the model is called). */
  readonly t: number;
  /** log α (0 on a σ grid). */
  readonly la: number;
  /** λ = log(α/σ) (−ln σ̃ on a σ grid; +∞ at σ = 0). */
  readonly lam: number;
  /** α (1 on a σ grid). */
  readonly alpha: number;
  /** σ (σ̃ = σ/α on a σ grid). */
  readonly sigma: number;
}

/**
 * The grid conventions: `"sigma"`, k-diffusion's (any decreasing times whose
 * σ/α is positive, a final σ = 0 allowed; the run works on x/α) and
 * `"time"`, DPM-Solver's (decreasing times inside the schedule's range).
 */
export type GridConvention = "sigma" | "time";

/** What a sampler tells its run about itself. */
export interface SampleRunRules {
  /** The grid convention. */
  grid: GridConvention;
  /** The grid is `[start, end]` (adaptive samplers, dpm_fast), not a list of steps. */
  interval?: boolean;
  /** The kind the model is asked for unless `options.query` says otherwise. */
  query: PredictionKind;
  /** The option names the sampler accepts beyond {@linkcode COMMON_OPTIONS}. */
  options: readonly string[];
}

/** The option names every sampler accepts (the keys of {@linkcode SamplerOptions}). */
export const COMMON_OPTIONS: readonly string[] = Object.freeze([
  "onStep",
  "checkFinite",
  "noise",
  "key",
  "pathOffset",
  "conditioning",
  "query",
  "correctX0",
  "correctXt",
]);

/**
 * A run of one diffusion sampler. Create it (all argument checks happen
 * here, before any work), check the sampler's own options with its helpers,
 * then do the work inside {@linkcode SampleRun.use} so that every array it
 * allocates is released however the run ends.
 *
 * @example Euler on the probability-flow ODE in eight lines
 * ```ts
 * import { SampleRun } from "./sample_run.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const x0 = b.upload([80]);
 * const before = b.liveArrays;
 * const run = new SampleRun("my_euler", model, x0, karrasSigmas(20), {}, {
 *   grid: "sigma", query: "x0", options: [],
 * });
 * const r = await run.use(async () => {
 *   const x = await run.start(x0), d = run.alloc();
 *   for (let i = 0; i + 1 < run.points.length; i++) {
 *     const s = run.sigmas[i]!, c = (run.sigmas[i + 1]! - s) / s;
 *     await run.denoise(x, run.points[i]!, d); // dx/dσ = (x − D)/σ
 *     await run.lc(x, [[1 + c, x], [-c, d]]);
 *     await run.endStep(i, x, d);
 *   }
 *   return run.finish(x);
 * });
 * assert.equal(r.nfe, 20);
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * assert.equal(b.liveArrays, before + 1); // the result; the run's own arrays are released
 * ```
 */
export class SampleRun extends RunContext {
  /** The model. */
  readonly denoiser: Denoiser;
  /** Its schedule. */
  readonly schedule: NoiseSchedule;
  /** Dimension of one point. */
  readonly dim: number;
  /** Number of numbers in the batch (points × dim). */
  readonly length: number;
  /** The grid as given, in schedule time. */
  readonly times: readonly number[];
  /** The grid's points in the run's view. */
  readonly points: readonly GridPoint[];
  /** σ of each point in the run's view (σ̃ = σ/α on a σ grid). */
  readonly sigmas: readonly number[];
  /** The grid convention (a σ grid works on x/α). */
  readonly convention: GridConvention;
  /** The times of the model calls so far. */
  readonly modelTimes: number[] = [];
  /** The `(from, to)` intervals of the noise draws so far. */
  readonly noiseCalls: [number, number][] = [];
  /** The step the next model call belongs to (advanced by {@linkcode SampleRun.endStep}). */
  step = 0;
  readonly #options: SamplerOptions;
  readonly #query: PredictionKind;
  readonly #unitAlpha: boolean;
  #noise: NoiseSource | undefined;
  #defaultNoise: (() => NoiseSource) | undefined;
  #modelInput: DeviceArray | undefined;
  #view: DeviceArray | undefined;
  #noiseBuffer: DeviceArray | undefined;

  /**
   * Checks every argument and builds the grid's points.
   *
   * @param name the sampler's name, for messages ("Cannot sample with <name>")
   * @param denoiser the model
   * @param x the initial batch at `grid[0]` (its backend is the run's)
   * @param grid decreasing times of the denoiser's schedule
   * @param options the sampler's options
   * @param rules the grid convention, default query and the sampler's own option names
   * @throws {SdenoTypeError} for a model without `predict`/`kinds`, a batch that is not whole
   *   points, a grid too short, an option of the wrong type or an unknown option
   * @throws {SdenoRangeError} for a grid that is not strictly decreasing or leaves the
   *   convention's range, a bad key or path offset
   */
  constructor(
    name: string,
    denoiser: Denoiser,
    x: DeviceArray,
    grid: ArrayLike<number>,
    options: SamplerOptions,
    rules: SampleRunRules,
  ) {
    const what = `Cannot sample with ${name}`;
    if (
      denoiser === null || typeof denoiser !== "object" || typeof denoiser.predict !== "function"
    ) {
      throw new SdenoTypeError(
        `${what}: denoiser must have a predict method, got ${quote(denoiser)}`,
      );
    }
    if (!Array.isArray(denoiser.kinds) || !Number.isInteger(denoiser.dim) || denoiser.dim < 1) {
      throw new SdenoTypeError(
        `${what}: denoiser must declare a positive integer dim and its kinds, got dim ${
          quote(denoiser.dim)
        } and kinds ${quote(denoiser.kinds)}`,
      );
    }
    if (x === null || typeof x !== "object" || typeof x.length !== "number" || !x.backend) {
      throw new SdenoTypeError(`${what}: x must be a device array, got ${quote(x)}`);
    }
    const d = denoiser.dim;
    if (x.length === 0 || x.length % d !== 0) {
      throw new SdenoTypeError(
        `${what}: x has ${x.length} elements, not a positive multiple of the denoiser's dim "${d}"`,
      );
    }
    const o = checkOptions(what, options, rules.options);
    super(what, x.backend, {
      ...(o.checkFinite !== undefined ? { checkFinite: o.checkFinite } : {}),
      ...(o.key !== undefined ? { key: o.key } : {}),
      ...(o.pathOffset !== undefined ? { pathOffset: o.pathOffset } : {}),
    });
    this.denoiser = denoiser;
    this.schedule = denoiser.schedule;
    this.dim = d;
    this.length = x.length;
    this.convention = rules.grid;
    this.#options = o;
    this.#query = o.query ?? rules.query;
    this.#noise = o.noise;
    const times = checkGrid(what, this.schedule, grid, {
      convention: rules.grid,
      interval: rules.interval === true,
      allowZeroEnd: false,
    });
    this.times = times;
    let unit = true;
    const points = times.map((t, i) => {
      if (rules.grid === "time") return schedulePoint(this.schedule, t);
      const a = this.schedule.alpha(t), s = this.schedule.sigma(t);
      if (a !== 1) unit = false;
      const st = s === 0 ? 0 : s / a;
      const last = i === times.length - 1;
      if (!(st > 0 || (st === 0 && last && !rules.interval)) || !Number.isFinite(st)) {
        throw new SdenoRangeError(
          `${what}: grid[${i}] = ${quote(t)} gives σ/α = ${quote(st)}; every point but a final ` +
            `σ = 0 needs a positive, finite σ/α`,
        );
      }
      return sigmaPoint(t, st);
    });
    this.#unitAlpha = rules.grid === "sigma" && unit;
    this.points = Object.freeze(points);
    this.sigmas = Object.freeze(points.map((p) => p.sigma));
  }

  /** The number of model evaluations so far. */
  get nfe(): number {
    return this.modelTimes.length;
  }

  /**
   * A zero-filled array owned by the run (the batch's length by default).
   *
   * @param length number of elements
   * @returns the array
   */
  override alloc(length: number = this.length): DeviceArray {
    return super.alloc(length);
  }

  /**
   * Sets the noise used when `options.noise` is not given (the default is
   * Philox keyed by the run's key); `make` runs at the first draw.
   *
   * @param make builds the source
   */
  setDefaultNoise(make: () => NoiseSource): void {
    this.#defaultNoise = make;
  }

  /**
   * The working copy of `x` owned by the run: x itself on a time grid, x/α
   * at grid[0] on a σ grid.
   *
   * @param x the initial batch
   * @returns the working copy
   */
  async start(x: DeviceArray): Promise<DeviceArray> {
    const w = this.alloc();
    const a = this.#alphaOf(this.times[0]!);
    await this.backend.lincomb(w, [[1 / a, x]]);
    return w;
  }

  /**
   * The point of a schedule time in the run's view.
   *
   * @param t the time
   * @returns the point
   */
  pointAt(t: number): GridPoint {
    if (this.convention === "time") return schedulePoint(this.schedule, t);
    const s = this.schedule.sigma(t);
    return sigmaPoint(t, s === 0 ? 0 : s / this.schedule.alpha(t));
  }

  /**
   * The point at half log-SNR λ (`t_λ(λ)`; on a σ grid σ̃ = e^{−λ}).
   *
   * @param lam λ
   * @returns the point
   */
  pointAtLambda(lam: number): GridPoint {
    if (this.convention === "time") {
      return schedulePoint(this.schedule, this.schedule.tOfLogSnr(lam));
    }
    const sigma = Math.exp(-lam);
    return { t: this.timeOf(sigma), la: 0, lam, alpha: 1, sigma };
  }

  /**
   * The point of a σ̃ on a σ grid (its schedule time from {@linkcode SampleRun.timeOf}).
   *
   * @param sigma σ̃ ≥ 0
   * @returns the point
   */
  pointAtSigma(sigma: number): GridPoint {
    return sigmaPoint(this.timeOf(sigma), sigma);
  }

  /**
   * The schedule time at which σ/α = σ̃ (a grid time when σ̃ is on the grid).
   *
   * @param sigma σ̃
   * @returns the time
   */
  timeOf(sigma: number): number {
    const k = this.sigmas.indexOf(sigma);
    if (k >= 0) return this.times[k]!;
    const s = this.schedule;
    if (this.#unitAlpha && s.sigma(sigma) === sigma && s.alpha(sigma) === 1) return sigma;
    return s.tOfLogSnr(-Math.log(sigma));
  }

  /**
   * The model at `(x, at)` as the update needs it, into `out`: the queried
   * kind from `predictAs` (with the run's conditioning), converted by
   * `convertPrediction` to `target`, corrected by `correctX0` when the
   * target is x₀, then checked for NaN/Inf. Counts one evaluation.
   *
   * @param x the batch in the run's view (x/α on a σ grid)
   * @param at the point
   * @param out the destination (not `x`)
   * @param target `"x0"` or `"eps"`
   * @throws {NumericalError} for σ ≤ 0, or a non-finite output
   */
  async model(
    x: DeviceArray,
    at: GridPoint,
    out: DeviceArray,
    target: "x0" | "eps",
  ): Promise<void> {
    if (!(at.sigma > 0) || !Number.isFinite(at.sigma)) {
      throw new NumericalError(
        `${this.what}: the model would be called at σ = ${quote(at.sigma)} (t = ${at.t})`,
        { step: this.step, time: at.t },
      );
    }
    const t = at.t;
    this.modelTimes.push(t);
    let input = x;
    const a = this.#alphaOf(t);
    if (a !== 1) {
      this.#modelInput ??= this.alloc();
      await this.backend.lincomb(this.#modelInput, [[a, x]]);
      input = this.#modelInput;
    }
    const o = this.#options, q = this.#query;
    await predictAs(this.denoiser, input, { t, kind: q, out, conditioning: o.conditioning });
    if (q !== target) {
      await convertPrediction(input, out, { from: q, to: target, schedule: this.schedule, t, out });
    }
    if (target === "x0" && o.correctX0) await o.correctX0(out, { t, dim: this.dim });
    await this.checkFinite(out, {
      step: this.step,
      time: t,
      quantity: `the model output (${target})`,
    });
  }

  /**
   * The data prediction D(x, at) into `out` (one evaluation).
   *
   * @param x the batch in the run's view
   * @param at the point, or its σ̃ on a σ grid
   * @param out the destination
   */
  denoise(x: DeviceArray, at: GridPoint | number, out: DeviceArray): Promise<void> {
    return this.model(x, typeof at === "number" ? this.pointAtSigma(at) : at, out, "x0");
  }

  /**
   * `out = Σ cᵢ·xᵢ`.
   *
   * @param out the destination (may be one of the terms)
   * @param terms the terms
   */
  lc(out: DeviceArray, terms: readonly Term[]): Promise<void> {
    return this.backend.lincomb(out, terms);
  }

  /**
   * `out = Σ cᵢ·xᵢ + scale·z` with z the run's next noise draw, which
   * belongs to the interval `(from, to)` (fused into `lincomb` for Philox).
   *
   * @param out the destination
   * @param terms the terms
   * @param scale the noise scale
   * @param interval the draw's interval in the sampler's noise variable
   */
  async lcNoise(
    out: DeviceArray,
    terms: readonly Term[],
    scale: number,
    interval: { from: number; to: number },
  ): Promise<void> {
    const index = this.noiseCalls.length;
    this.noiseCalls.push([interval.from, interval.to]);
    const source = this.#source();
    const offset = this.noise.pathOffset * this.dim;
    if (source.philox) {
      const { key, purpose } = source.philox;
      await this.backend.lincomb(out, terms, { scale, key, step: index, purpose, offset });
      return;
    }
    this.#noiseBuffer ??= this.alloc();
    await source.sample(this.#noiseBuffer, { index, ...interval, offset });
    await this.backend.lincomb(out, [...terms, [scale, this.#noiseBuffer]]);
  }

  /**
   * The run's next noise draw into `out` (not fused).
   *
   * @param out the destination (the batch's length)
   * @param interval the draw's interval
   */
  async drawNoise(out: DeviceArray, interval: { from: number; to: number }): Promise<void> {
    const index = this.noiseCalls.length;
    this.noiseCalls.push([interval.from, interval.to]);
    const offset = this.noise.pathOffset * this.dim;
    await this.#source().sample(out, { index, ...interval, offset });
  }

  /**
   * The end of step `step` (from `times.t` to `times.tNext`, by default
   * grid[step] and grid[step + 1]): the x corrector, the finiteness check of
   * x and `onStep` (with x in the schedule's variables). Advances
   * {@linkcode SampleRun.step}.
   *
   * @param step the step index, from 0
   * @param x the batch in the run's view
   * @param x0Hat the data prediction of the step, if any
   * @param times the step's start and end times when they are not grid times
   * @throws {NumericalError} when x holds NaN or Inf
   */
  async endStep(
    step: number,
    x: DeviceArray,
    x0Hat: DeviceArray | undefined,
    times: { t?: number; tNext?: number } = {},
  ): Promise<void> {
    const t = times.t ?? this.times[step]!, tNext = times.tNext ?? this.times[step + 1]!;
    const o = this.#options;
    const a = this.#alphaOf(tNext);
    if (o.correctXt) {
      if (a !== 1) await this.backend.lincomb(x, [[a, x]]);
      await o.correctXt(x, { t: tNext, step: step + 1 });
      if (a !== 1) await this.backend.lincomb(x, [[1 / a, x]]);
    }
    await this.checkFinite(x, { step, time: tNext, quantity: "x" });
    this.step = step + 1;
    if (!o.onStep) return;
    let view = x;
    if (a !== 1) {
      this.#view ??= this.alloc();
      await this.backend.lincomb(this.#view, [[a, x]]);
      view = this.#view;
    }
    await o.onStep({ step, t, tNext, x: view, x0Hat });
  }

  /**
   * The result: `x` back in the schedule's variables (× α(tEnd) on a σ
   * grid), handed to the caller; the run's other arrays are released when
   * {@linkcode SampleRun.use} returns.
   *
   * @param x the final batch (an array of the run)
   * @param tEnd the time of `x` (default the last grid time)
   * @returns the samples, NFE, model times and noise calls
   */
  async finish(x: DeviceArray, tEnd: number = this.times[this.times.length - 1]!): Promise<
    SampleResult
  > {
    const a = this.#alphaOf(tEnd);
    if (a !== 1) await this.backend.lincomb(x, [[a, x]]);
    return {
      x: this.keep(x),
      nfe: this.nfe,
      modelTimes: this.modelTimes,
      noiseCalls: this.noiseCalls,
    };
  }

  /**
   * Checks that an option is one of the allowed values.
   *
   * @param name the option's name
   * @param value its value
   * @param allowed the allowed values
   * @returns the value
   * @throws {SdenoRangeError} otherwise
   */
  choice<T>(name: string, value: T, allowed: readonly T[]): T {
    if (!allowed.includes(value)) {
      throw new SdenoRangeError(
        `${this.what}: ${name} must be one of ${allowed.map(String).join(", ")}, got ${
          quote(value)
        }`,
      );
    }
    return value;
  }

  /**
   * Checks a number ≥ 0, finite unless `allowInfinity`.
   *
   * @param name the option's name
   * @param value its value
   * @param allowInfinity whether +∞ is allowed (default false)
   * @returns the value
   * @throws {SdenoRangeError} otherwise
   */
  nonNegative(name: string, value: unknown, allowInfinity = false): number {
    if (
      typeof value !== "number" || !(value >= 0) ||
      (!allowInfinity && !Number.isFinite(value))
    ) {
      throw new SdenoRangeError(
        `${this.what}: ${name} must be a ${allowInfinity ? "" : "finite "}number ≥ 0, got ${
          quote(value)
        }`,
      );
    }
    return value;
  }

  /**
   * Checks a finite number > 0.
   *
   * @param name the option's name
   * @param value its value
   * @returns the value
   * @throws {SdenoRangeError} otherwise
   */
  positive(name: string, value: unknown): number {
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
      throw new SdenoRangeError(
        `${this.what}: ${name} must be positive and finite, got ${quote(value)}`,
      );
    }
    return value;
  }

  /**
   * Checks an integer in `[min, max]`.
   *
   * @param name the option's name
   * @param value its value
   * @param min smallest allowed
   * @param max largest allowed
   * @returns the value
   * @throws {SdenoTypeError} for a non-integer, {SdenoRangeError} outside the range
   */
  integer(name: string, value: unknown, min: number, max: number): number {
    return checkInteger(this.what, name, value, min, max);
  }

  /**
   * Checks that the number of steps is at least `needed`.
   *
   * @param needed the fewest steps the method needs
   * @param why what needs them, e.g. "multistep order 3"
   * @throws {SdenoRangeError} otherwise
   */
  needSteps(needed: number, why: string): void {
    const steps = this.times.length - 1;
    if (steps < needed) {
      throw new SdenoRangeError(
        `${this.what}: ${why} needs at least ${needed} steps, got ${steps}`,
      );
    }
  }

  #alphaOf(t: number): number {
    return this.convention === "sigma" && !this.#unitAlpha ? this.schedule.alpha(t) : 1;
  }

  #source(): NoiseSource {
    this.#noise ??= this.#defaultNoise ? this.#defaultNoise() : philoxNoise(this.noise.key);
    return this.#noise;
  }
}

/** The schedule's point at t (σ from log α as DPM-Solver's reference computes it). */
function schedulePoint(s: NoiseSchedule, t: number): GridPoint {
  const la = s.logAlpha(t);
  return { t, la, lam: s.logSnr(t), alpha: Math.exp(la), sigma: s.sigma(t) };
}

/** A point of the variance-exploding view: α = 1, σ = σ̃, λ = −ln σ̃ (k-diffusion's t_fn). */
function sigmaPoint(t: number, sigma: number): GridPoint {
  return { t, la: 0, lam: -Math.log(sigma), alpha: 1, sigma };
}

function checkOptions(
  what: string,
  options: SamplerOptions,
  own: readonly string[],
): SamplerOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!COMMON_OPTIONS.includes(name) && !own.includes(name)) {
      throw new SdenoTypeError(
        `${what}: unknown option ${quote(name)}; known: ${[...own, ...COMMON_OPTIONS].join(", ")}`,
      );
    }
  }
  const fn = (name: keyof SamplerOptions) => {
    const v = options[name];
    if (v !== undefined && typeof v !== "function") {
      throw new SdenoTypeError(`${what}: ${name} must be a function, got ${quote(v)}`);
    }
  };
  fn("onStep");
  fn("correctX0");
  fn("correctXt");
  if (options.checkFinite !== undefined && typeof options.checkFinite !== "boolean") {
    throw new SdenoTypeError(
      `${what}: checkFinite must be a boolean, got ${quote(options.checkFinite)}`,
    );
  }
  const noise = options.noise;
  if (noise !== undefined && (typeof noise !== "object" || typeof noise?.sample !== "function")) {
    throw new SdenoTypeError(`${what}: noise must have a sample method, got ${quote(noise)}`);
  }
  if (options.query !== undefined && !PREDICTION_KINDS.includes(options.query)) {
    throw new SdenoRangeError(
      `${what}: query must be one of ${PREDICTION_KINDS.join(", ")}, got ${quote(options.query)}`,
    );
  }
  const c = options.conditioning;
  if (c !== undefined && (typeof c !== "object" || c === null)) {
    throw new SdenoTypeError(`${what}: conditioning must be an object, got ${quote(c)}`);
  }
  return options;
}
