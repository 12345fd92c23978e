// Shared machinery of the k-diffusion samplers (private): argument checks, the
// σ view of the denoiser's schedule, model calls with NFE bookkeeping, noise
// draws, the finiteness check and onStep. Crowson's k-diffusion works on the
// variance-exploding form x̃ = x₀ + σ̃ ε; for a schedule with α ≠ 1 we use
// x̃ = x/α and σ̃ = σ/α (Karras et al. 2022, §2 and Table 1: every VP / VE
// schedule is this one ODE in (x̃, σ̃)), so the samplers run on any schedule and
// reproduce k-diffusion exactly on the EDM schedule (α = 1, t = σ).

import type { Backend, DeviceArray } from "../../kernels/mod.ts";
import {
  CpuArray,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { NoiseSource } from "./types.ts";
import type { ChurnOptions, KSampleResult, KSamplerOptions } from "./k_sampler_options.ts";
export type { ChurnOptions, KSampleResult, KSamplerOptions };
import { _philoxOf, resolveNoise } from "./noise.ts";

/** A term of a linear combination. */
type Terms = [number, DeviceArray][];

/** One run of a k-diffusion sampler. @internal */
export class _KRun {
  readonly backend: Backend;
  readonly denoiser: Denoiser;
  readonly what: string;
  /** The grid in the schedule's time variable. */
  readonly times: number[];
  /** σ̃ = σ/α at each grid point. */
  readonly sigmas: number[];
  readonly n: number;
  nfe = 0;
  readonly modelTimes: number[] = [];
  readonly noiseCalls: [number, number][] = [];
  readonly #noise: NoiseSource;
  readonly #options: KSamplerOptions;
  readonly #arrays: DeviceArray[] = [];
  readonly #unitAlpha: boolean;
  #scratch: DeviceArray | undefined;
  #noiseBuf: DeviceArray | undefined;

  constructor(
    what: string,
    denoiser: Denoiser,
    x: DeviceArray,
    grid: ArrayLike<number>,
    options: KSamplerOptions,
    gridRule: { minPoints?: number; lastMayBeZero?: boolean } = {},
  ) {
    this.what = what;
    if (
      denoiser === null || typeof denoiser !== "object" || typeof denoiser.predict !== "function"
    ) {
      throw new SdenoTypeError(
        `${what}: denoiser must have a predict method, got ${quote(denoiser)}`,
      );
    }
    if (x === null || typeof x !== "object" || typeof x.length !== "number" || !x.backend) {
      throw new SdenoTypeError(`${what}: x must be a device array, got ${quote(x)}`);
    }
    this.backend = options.backend ?? x.backend;
    if (x.backend !== this.backend) {
      throw new SdenoTypeError(`${what}: x belongs to another backend than options.backend`);
    }
    const d = denoiser.dim;
    if (x.length === 0 || x.length % d !== 0) {
      throw new SdenoTypeError(
        `${what}: x has length ${x.length}, expected a positive multiple of the dimension "${d}"`,
      );
    }
    this.n = x.length;
    this.denoiser = denoiser;
    this.#options = options;
    this.#noise = resolveNoise(options);
    const times = Array.from(grid ?? [], Number);
    const minPoints = gridRule.minPoints ?? 2;
    if (times.length < minPoints) {
      throw new SdenoTypeError(
        `${what}: grid needs at least ${minPoints} points, got ${quote(Array.from(grid ?? []))}`,
      );
    }
    const schedule = denoiser.schedule;
    const sigmas: number[] = [];
    let unit = true;
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      if (!Number.isFinite(t)) {
        throw new SdenoRangeError(`${what}: grid[${i}] must be finite, got ${quote(t)}`);
      }
      if (i > 0 && !(t < times[i - 1]!)) {
        throw new SdenoRangeError(
          `${what}: grid must be strictly decreasing, got ${quote(t)} after ${
            quote(times[i - 1])
          } at index ${i}`,
        );
      }
      const a = schedule.alpha(t), s = schedule.sigma(t);
      if (a !== 1) unit = false;
      const st = s === 0 ? 0 : s / a;
      const last = i === times.length - 1;
      if (!(st > 0 || (st === 0 && last && gridRule.lastMayBeZero !== false)) || !isFinite(st)) {
        throw new SdenoRangeError(
          `${what}: grid[${i}] = ${quote(t)} gives σ/α = ${quote(st)}; every point but a final ` +
            `σ = 0 needs a positive, finite σ/α`,
        );
      }
      sigmas.push(st);
    }
    this.#unitAlpha = unit;
    this.times = times;
    this.sigmas = sigmas;
  }

  /** A fresh array of the batch's length, released by {@linkcode finish}. */
  alloc(): DeviceArray {
    const a = this.backend.zeros(this.n);
    this.#arrays.push(a);
    return a;
  }

  /** The working copy of x, in σ̃ variables (x/α at grid[0]). */
  async start(x: DeviceArray): Promise<DeviceArray> {
    const w = this.backend.zeros(this.n);
    const a = this.#unitAlpha ? 1 : this.denoiser.schedule.alpha(this.times[0]!);
    await this.backend.lincomb(w, [[1 / a, x]]);
    return w;
  }

  /** The schedule time at which σ̃ is reached. */
  timeOf(sigma: number): number {
    const k = this.sigmas.indexOf(sigma);
    if (k >= 0) return this.times[k]!;
    const s = this.denoiser.schedule;
    if (this.#unitAlpha && s.sigma(sigma) === sigma && s.alpha(sigma) === 1) return sigma;
    return s.tOfLogSnr(-Math.log(sigma));
  }

  /** out = D(x, σ̃), the model's x₀ prediction; counts one evaluation. */
  async denoise(x: DeviceArray, sigma: number, out: DeviceArray): Promise<void> {
    if (!(sigma > 0) || !Number.isFinite(sigma)) {
      throw new NumericalError(`${this.what}: the model would be called at σ = ${quote(sigma)}`, {
        time: sigma,
      });
    }
    const t = this.timeOf(sigma);
    this.nfe++;
    this.modelTimes.push(t);
    const a = this.#unitAlpha ? 1 : this.denoiser.schedule.alpha(t);
    if (a === 1) {
      await this.denoiser.predict(this.backend, x, t, "x0", out);
    } else {
      this.#scratch ??= this.alloc();
      await this.backend.lincomb(this.#scratch, [[a, x]]);
      await this.denoiser.predict(this.backend, this.#scratch, t, "x0", out);
    }
  }

  /** out = Σ cᵢ·xᵢ. */
  lc(out: DeviceArray, terms: Terms): Promise<void> {
    return this.backend.lincomb(out, terms);
  }

  /**
   * out = Σ cᵢ·xᵢ + scale·z with z the next draw of the noise source for the
   * interval (from, to). With the Philox source the draw is fused.
   */
  async lcNoise(
    out: DeviceArray,
    terms: Terms,
    scale: number,
    call: { from: number; to: number },
  ): Promise<void> {
    const index = this.noiseCalls.length;
    this.noiseCalls.push([call.from, call.to]);
    const philox = _philoxOf(this.#noise);
    if (philox) {
      await this.backend.lincomb(out, terms, {
        scale,
        key: philox.key,
        step: index,
        purpose: philox.purpose,
      });
      return;
    }
    this.#noiseBuf ??= this.alloc();
    await this.#noise.sample(this.backend, this.#noiseBuf, { index, ...call });
    await this.backend.lincomb(out, [...terms, [scale, this.#noiseBuf]]);
  }

  /** Draws the next noise of the source into `out` (not fused). */
  async drawNoise(out: DeviceArray, call: { from: number; to: number }): Promise<void> {
    const index = this.noiseCalls.length;
    this.noiseCalls.push([call.from, call.to]);
    await this.#noise.sample(this.backend, out, { index, ...call });
  }

  /** End of step i: the finiteness check and onStep. */
  async endStep(
    i: number,
    x: DeviceArray,
    x0Hat: DeviceArray | undefined,
    tTimes: { t?: number; tNext?: number } = {},
  ): Promise<void> {
    const t = tTimes.t ?? this.times[i]!, tNext = tTimes.tNext ?? this.times[i + 1]!;
    if (this.#options.checkFinite !== false) await this.#checkFinite(i, tNext, x);
    const onStep = this.#options.onStep;
    if (!onStep) return;
    let xs = x;
    const a = this.#unitAlpha ? 1 : this.denoiser.schedule.alpha(tNext);
    if (a !== 1) {
      this.#scratch ??= this.alloc();
      await this.backend.lincomb(this.#scratch, [[a, x]]);
      xs = this.#scratch;
    }
    await onStep({ i, t, tNext, x: xs, x0Hat });
  }

  async #checkFinite(step: number, time: number, x: DeviceArray): Promise<void> {
    let data: ArrayLike<number> | undefined;
    if (x instanceof CpuArray) {
      data = x.data;
    } else {
      const cs = await this.backend.columnStats(x, 1);
      if (Number.isFinite(cs.sum[0]!) && Number.isFinite(cs.sumSq[0]!)) return;
      data = await this.backend.download(x);
    }
    for (let e = 0; e < data.length; e++) {
      const v = data[e]!;
      if (v - v !== 0) {
        throw new NumericalError(
          `${this.what}: ${quote(v)} in x after step ${step} (t = ${time}) at element ${e}`,
          { step, time, index: e },
        );
      }
    }
  }

  /** The result: x back in the schedule's variables; scratch arrays released. */
  async finish(x: DeviceArray, tEnd = this.times[this.times.length - 1]!): Promise<KSampleResult> {
    const a = this.#unitAlpha ? 1 : this.denoiser.schedule.alpha(tEnd);
    if (a !== 1) await this.backend.lincomb(x, [[a, x]]);
    for (const arr of this.#arrays) this.backend.release(arr);
    this.#arrays.length = 0;
    return { x, nfe: this.nfe, modelTimes: this.modelTimes, noiseCalls: this.noiseCalls };
  }
}

/** `-ln σ` (k-diffusion's `t_fn`). @internal */
export function _tFn(sigma: number): number {
  return -Math.log(sigma);
}

/** `exp(−t)` (k-diffusion's `sigma_fn`). @internal */
export function _sigmaFn(t: number): number {
  return Math.exp(-t);
}

/**
 * k-diffusion's `get_ancestral_step`: `[σ_down, σ_up]` with
 * `σ_up = min(σ_to, η·sqrt(σ_to²(σ_from² − σ_to²)/σ_from²))`,
 * `σ_down = sqrt(σ_to² − σ_up²)`; `[σ_to, 0]` when η = 0. @internal
 */
export function _ancestralStep(from: number, to: number, eta: number): [number, number] {
  if (!eta) return [to, 0];
  const up = Math.min(to, eta * Math.sqrt(to ** 2 * (from ** 2 - to ** 2) / from ** 2));
  return [Math.sqrt(to ** 2 - up ** 2), up];
}

/** torch.lerp(start, end, 0.5): `end − (end − start)·0.5`. @internal */
export function _lerpHalf(start: number, end: number): number {
  return end - (end - start) * 0.5;
}

/** Checks a non-negative finite option. @internal */
export function _checkNonNegative(what: string, name: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0)) {
    throw new SdenoRangeError(
      `${what}: ${name} must be a non-negative number, got ${quote(value)}`,
    );
  }
  return value;
}

/** Checks the churn options; returns them with defaults. @internal */
export function _checkChurn(what: string, o: ChurnOptions): Required<ChurnOptions> {
  const sChurn = _checkNonNegative(what, "sChurn", o.sChurn ?? 0);
  const sTmin = _checkNonNegative(what, "sTmin", o.sTmin ?? 0);
  const sTmax = o.sTmax ?? Infinity;
  if (typeof sTmax !== "number" || !(sTmax >= sTmin)) {
    throw new SdenoRangeError(`${what}: sTmax must be ≥ sTmin, got ${quote(sTmax)}`);
  }
  const sNoise = _checkNonNegative(what, "sNoise", o.sNoise ?? 1);
  if (!Number.isFinite(sChurn) || !Number.isFinite(sNoise)) {
    throw new SdenoRangeError(`${what}: sChurn and sNoise must be finite`);
  }
  return { sChurn, sTmin, sTmax, sNoise };
}

/**
 * Karras et al. (2022) Algorithm 2, lines 4–6, as k-diffusion does it:
 * `γ = min(S_churn/N, √2 − 1)` when `S_tmin ≤ σᵢ ≤ S_tmax`, else 0;
 * `σ̂ = σᵢ(γ + 1)`; if γ > 0, `x += S_noise·sqrt(σ̂² − σᵢ²)·z`
 * (noise call `(σᵢ, σ̂)`). Returns σ̂. @internal
 */
export async function _churn(
  run: _KRun,
  x: DeviceArray,
  i: number,
  churn: Required<ChurnOptions>,
): Promise<number> {
  const sigma = run.sigmas[i]!;
  const steps = run.sigmas.length - 1;
  const gamma = churn.sTmin <= sigma && sigma <= churn.sTmax
    ? Math.min(churn.sChurn / steps, 2 ** 0.5 - 1)
    : 0;
  const sigmaHat = sigma * (gamma + 1);
  if (gamma > 0) {
    await run.lcNoise(x, [[1, x]], churn.sNoise * Math.sqrt(sigmaHat ** 2 - sigma ** 2), {
      from: sigma,
      to: sigmaHat,
    });
  }
  return sigmaHat;
}

/** Checks η. @internal */
export function _checkEta(what: string, eta: number | undefined): number {
  const e = eta ?? 1;
  if (typeof e !== "number" || !(e >= 0) || !Number.isFinite(e)) {
    throw new SdenoRangeError(`${what}: eta must be a finite number ≥ 0, got ${quote(e)}`);
  }
  return e;
}
