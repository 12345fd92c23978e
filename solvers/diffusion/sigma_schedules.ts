/**
 * The σ schedules practitioners pick by name (ComfyUI's KSampler `scheduler`
 * list, k-diffusion's `get_sigmas_*`, diffusers' `use_*_sigmas` flags): each
 * is a function `n → σ list`, decreasing, ending with σ = 0 (the last step of
 * a k-diffusion sampler goes to σ = 0), so any σ-grid sampler of the
 * registry runs on it.
 *
 * - `karras`, `exponential` ({@link ./k_sigmas.ts}), `polyexponential`
 *   (k-diffusion): closed forms in (σ_min, σ_max);
 * - `kl_optimal` (Sabour, Fidler & Kreis, "Align Your Steps", 2404.14507,
 *   eq. 14: uniform in arctan σ);
 * - `align_your_steps`: the published optimised 10-step lists for SD1.5,
 *   SDXL and SVD, log-linearly interpolated to n steps as ComfyUI does;
 * - `linear_quadratic` (Mochi / ComfyUI): linear then quadratic in 1 − σ for a flow model;
 * - `simple`, `sgm_uniform`, `normal`, `ddim_uniform`, `beta` (ComfyUI;
 *   Lee et al. 2407.12173 for beta with α = β = 0.6): picks from, or
 *   interpolations of, the trained model's discrete σ's
 *   ({@linkcode discreteModelSigmas}, Stable Diffusion's by default).
 *
 * Every function is checked against ComfyUI's and diffusers' formulas run in
 * float64 on the same inputs (tests/fixtures/practitioner).
 *
 * @module
 */

import { checkFinite, checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { torchLinspace } from "./_torch_linspace.ts";
import { betaPpf } from "./_beta_ppf.ts";

/**
 * The discrete σ's of a DDPM-trained model, as ComfyUI's `ModelSamplingDiscrete`
 * holds them: `σ_k = sqrt((1 − ᾱ_k)/ᾱ_k)`, k = 0 … N − 1, increasing.
 */
export interface DiscreteModelSigmas {
  /** σ_0 < σ_1 < … < σ_{N−1}. */
  readonly sigmas: Float64Array;
  /** σ_0. */
  readonly sigmaMin: number;
  /** σ_{N−1}. */
  readonly sigmaMax: number;
}

/** Options of {@linkcode discreteModelSigmas}. */
export interface DiscreteModelSigmasOptions {
  /** First β of the "scaled linear" schedule (default 0.00085, Stable Diffusion). */
  linearStart?: number;
  /** Last β (default 0.012). */
  linearEnd?: number;
  /** Number of training steps N (default 1000). */
  steps?: number;
}

const WHAT_DISCRETE = "Cannot make the discrete model σ's";

/**
 * The trained σ's of a Stable-Diffusion-style model: `β = linspace(√β₀, √β₁,
 * N)²` (ComfyUI's and the LDM code's "linear", diffusers' "scaled_linear"),
 * `ᾱ = cumprod(1 − β)`, `σ = sqrt((1 − ᾱ)/ᾱ)`.
 *
 * @param options β range and N (defaults: SD1.5 / SDXL)
 * @returns the σ's, increasing, with their ends
 * @throws {SdenoRangeError} for β's outside (0, 1) or N < 2
 *
 * @example Stable Diffusion's σ range
 * ```ts
 * import { discreteModelSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const m = discreteModelSigmas();
 * assert.equal(m.sigmas.length, 1000);
 * assert.ok(Math.abs(m.sigmaMax - 14.6146) < 1e-4 && Math.abs(m.sigmaMin - 0.02917) < 1e-5);
 * ```
 */
export function discreteModelSigmas(options: DiscreteModelSigmasOptions = {}): DiscreteModelSigmas {
  const b0 = checkFinite(WHAT_DISCRETE, "linearStart", options.linearStart ?? 0.00085);
  const b1 = checkFinite(WHAT_DISCRETE, "linearEnd", options.linearEnd ?? 0.012);
  const n = checkInteger(WHAT_DISCRETE, "steps", options.steps ?? 1000, 2);
  if (!(b0 > 0 && b1 > 0 && b0 < 1 && b1 < 1)) {
    throw new SdenoRangeError(
      `${WHAT_DISCRETE}: linearStart and linearEnd must lie in (0, 1), got ${quote([b0, b1])}`,
    );
  }
  const sigmas = new Float64Array(n);
  let cum = 1;
  torchLinspace(Math.sqrt(b0), Math.sqrt(b1), n).forEach((r, k) => {
    cum *= 1 - r * r;
    sigmas[k] = Math.sqrt((1 - cum) / cum);
  });
  return Object.freeze({ sigmas, sigmaMin: sigmas[0]!, sigmaMax: sigmas[n - 1]! });
}

/** Options of the closed-form schedules: the σ range (default 0.0292 … 14.61, Stable Diffusion's). */
export interface SigmaRangeOptions {
  /** Smallest positive σ (default Stable Diffusion's σ_0 = 0.029167…). */
  sigmaMin?: number;
  /** Largest σ (default Stable Diffusion's σ_999 = 14.6146…). */
  sigmaMax?: number;
}

/** Options of the schedules read off a trained model's σ's. */
export interface ModelSigmasOptions {
  /** The model's discrete σ's (default Stable Diffusion's, {@linkcode discreteModelSigmas}). */
  model?: DiscreteModelSigmas;
}

let sdDefault: DiscreteModelSigmas | undefined;
function modelOf(what: string, o: ModelSigmasOptions): DiscreteModelSigmas {
  const m = o.model ?? (sdDefault ??= discreteModelSigmas());
  const s = m?.sigmas;
  if (!(s instanceof Float64Array) || s.length < 2 || !(s[0]! > 0)) {
    throw new SdenoRangeError(
      `${what}: model must hold at least 2 positive increasing σ's, got ${quote(s)}`,
    );
  }
  return m;
}

function rangeOf(what: string, o: SigmaRangeOptions): [number, number] {
  const sd = sdDefault ??= discreteModelSigmas();
  const lo = checkFinite(what, "sigmaMin", o.sigmaMin ?? sd.sigmaMin);
  const hi = checkFinite(what, "sigmaMax", o.sigmaMax ?? sd.sigmaMax);
  if (!(lo > 0 && hi > lo)) {
    throw new SdenoRangeError(`${what}: need 0 < sigmaMin < sigmaMax, got ${quote([lo, hi])}`);
  }
  return [lo, hi];
}

function stepsOf(what: string, n: unknown, min = 1): number {
  return checkInteger(what, "n", n, min);
}

/**
 * The model's σ at a fractional training step t (ComfyUI's
 * `ModelSamplingDiscrete.sigma`: log σ interpolated linearly between knots).
 *
 * @param model the discrete σ's
 * @param t a step in [0, N − 1]
 * @returns σ(t)
 *
 * @example
 * ```ts
 * import { discreteModelSigmas, modelSigmaAt } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const m = discreteModelSigmas();
 * assert.ok(Math.abs(modelSigmaAt(m, 999) - m.sigmaMax) < 1e-14); // exp(log σ)
 * ```
 */
export function modelSigmaAt(model: DiscreteModelSigmas, t: number): number {
  const s = model.sigmas, last = s.length - 1;
  const c = Math.min(Math.max(t, 0), last);
  const lo = Math.floor(c), hi = Math.ceil(c), w = c - lo;
  return Math.exp((1 - w) * Math.log(s[lo]!) + w * Math.log(s[hi]!));
}

/**
 * The training step whose σ is nearest to `sigma` in log σ (ComfyUI's
 * `ModelSamplingDiscrete.timestep`).
 *
 * @param model the discrete σ's
 * @param sigma a σ > 0
 * @returns the step index
 *
 * @example
 * ```ts
 * import { discreteModelSigmas, modelTimestepOf } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const m = discreteModelSigmas();
 * assert.equal(modelTimestepOf(m, m.sigmas[500]!), 500);
 * ```
 */
export function modelTimestepOf(model: DiscreteModelSigmas, sigma: number): number {
  const ls = Math.log(sigma);
  let best = 0, bestD = Infinity;
  model.sigmas.forEach((s, k) => {
    const d = Math.abs(ls - Math.log(s));
    if (d < bestD) [best, bestD] = [k, d];
  });
  return best;
}

/**
 * ComfyUI's `simple`: n σ's read off the model's list at evenly spaced
 * indices from the top (`σ[N − 1 − ⌊i·N/n⌋]`), then 0.
 *
 * @param n number of steps
 * @param options the model
 * @returns n + 1 σ's
 * @throws {SdenoRangeError} for n < 1 or a bad model
 *
 * @example
 * ```ts
 * import { simpleSigmas, discreteModelSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const s = simpleSigmas(4), m = discreteModelSigmas();
 * assert.deepEqual(s, [m.sigmas[999], m.sigmas[749], m.sigmas[499], m.sigmas[249], 0]);
 * ```
 */
export function simpleSigmas(n: number, options: ModelSigmasOptions = {}): number[] {
  const what = "Cannot make the simple σ schedule";
  const steps = stepsOf(what, n);
  const s = modelOf(what, options).sigmas, len = s.length, ss = len / steps;
  const out = Array.from({ length: steps }, (_, x) => s[len - 1 - Math.floor(x * ss)]!);
  out.push(0);
  return out;
}

/**
 * ComfyUI's `normal` (`sgm: false`) and `sgm_uniform` (`sgm: true`): times
 * uniform between the model's steps of σ_max and σ_min (n of them with the
 * end, or n + 1 without the last for sgm), σ by log-linear interpolation, then 0.
 */
function uniformTimestepSigmas(
  what: string,
  n: number,
  options: ModelSigmasOptions,
  sgm: boolean,
): number[] {
  const steps = stepsOf(what, n);
  const m = modelOf(what, options);
  const start = modelTimestepOf(m, m.sigmaMax), end = modelTimestepOf(m, m.sigmaMin);
  const ts = sgm
    ? torchLinspace(start, end, steps + 1).slice(0, -1)
    : torchLinspace(start, end, steps);
  const out = ts.map((t) => modelSigmaAt(m, t));
  out.push(0);
  return out;
}

/**
 * ComfyUI's `normal`: n σ's at times uniform from the model's last step to
 * its first (both included), then 0.
 *
 * @param n number of steps
 * @param options the model
 * @returns n + 1 σ's
 * @throws {SdenoRangeError} for n < 1 or a bad model
 *
 * @example
 * ```ts
 * import { normalSigmas, discreteModelSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const m = discreteModelSigmas(), s = normalSigmas(10);
 * assert.ok(Math.abs(s[0]! - m.sigmaMax) < 1e-14);
 * assert.ok(Math.abs(s[9]! - m.sigmaMin) < 1e-15);
 * ```
 */
export function normalSigmas(n: number, options: ModelSigmasOptions = {}): number[] {
  return uniformTimestepSigmas("Cannot make the normal σ schedule", n, options, false);
}

/**
 * ComfyUI's `sgm_uniform` (Stability's generative-models discretisation):
 * n σ's at times `linspace(N − 1, 0, n + 1)` without the last, then 0.
 *
 * @param n number of steps
 * @param options the model
 * @returns n + 1 σ's
 * @throws {SdenoRangeError} for n < 1 or a bad model
 *
 * @example
 * ```ts
 * import { sgmUniformSigmas, discreteModelSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const m = discreteModelSigmas(), s = sgmUniformSigmas(4);
 * assert.equal(s.length, 5);
 * assert.ok(Math.abs(s[2]! - Math.sqrt(m.sigmas[499]! * m.sigmas[500]!)) < 1e-12);
 * ```
 */
export function sgmUniformSigmas(n: number, options: ModelSigmasOptions = {}): number[] {
  return uniformTimestepSigmas("Cannot make the sgm_uniform σ schedule", n, options, true);
}

/**
 * ComfyUI's `ddim_uniform`: every ⌊N/n⌋-th σ of the model from index 1,
 * reversed, with 0 at the end (the list may be longer than n + 1 when n does
 * not divide N, as in ComfyUI).
 *
 * @param n number of steps
 * @param options the model
 * @returns the σ's
 * @throws {SdenoRangeError} for n < 1 or a bad model
 *
 * @example
 * ```ts
 * import { ddimUniformSigmas, discreteModelSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const m = discreteModelSigmas(), s = ddimUniformSigmas(10);
 * assert.equal(s.length, 11);
 * assert.equal(s[0], m.sigmas[901]);
 * assert.equal(s[9], m.sigmas[1]);
 * ```
 */
export function ddimUniformSigmas(n: number, options: ModelSigmasOptions = {}): number[] {
  const what = "Cannot make the ddim_uniform σ schedule";
  let steps = stepsOf(what, n);
  const s = modelOf(what, options).sigmas;
  const out: number[] = [];
  if (Math.abs(s[1]!) <= 1e-5) steps += 1;
  else out.push(0);
  const ss = Math.max(Math.floor(s.length / steps), 1);
  for (let x = 1; x < s.length; x += ss) out.push(s[x]!);
  return out.reverse();
}

/** Options of {@linkcode betaSigmas}. */
export interface BetaSigmasOptions extends ModelSigmasOptions {
  /** First shape parameter (default 0.6, ComfyUI). */
  alpha?: number;
  /** Second shape parameter (default 0.6). */
  beta?: number;
}

/**
 * ComfyUI's `beta` scheduler (Lee et al., "Beta Sampling is All You Need",
 * 2407.12173): training steps `rint(F⁻¹(1 − i/n)·(N − 1))` with F the
 * Beta(α, β) CDF, i = 0 … n − 1, consecutive repeats dropped, σ read off the
 * model, then 0.
 *
 * @param n number of steps
 * @param options α, β (0.6 each) and the model
 * @returns at most n + 1 σ's
 * @throws {SdenoRangeError} for n < 1, α or β ≤ 0, or a bad model
 *
 * @example Denser at both ends than in the middle
 * ```ts
 * import { betaSigmas, discreteModelSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const m = discreteModelSigmas(), s = betaSigmas(10);
 * assert.equal(s[0], m.sigmaMax);
 * assert.equal(s.length, 11);
 * ```
 */
export function betaSigmas(n: number, options: BetaSigmasOptions = {}): number[] {
  const what = "Cannot make the beta σ schedule";
  const steps = stepsOf(what, n);
  const a = checkFinite(what, "alpha", options.alpha ?? 0.6);
  const b = checkFinite(what, "beta", options.beta ?? 0.6);
  if (!(a > 0 && b > 0)) {
    throw new SdenoRangeError(`${what}: alpha and beta must be positive, got ${quote([a, b])}`);
  }
  const s = modelOf(what, options).sigmas, total = s.length - 1;
  const out: number[] = [];
  let last = -1;
  for (let i = 0; i < steps; i++) {
    // numpy.linspace(0, 1, n, endpoint=False)[i] = i/n; numpy.rint rounds half to even
    const t = roundHalfEven(betaPpf(1 - i / steps, a, b) * total);
    if (t !== last) out.push(s[t]!);
    last = t;
  }
  out.push(0);
  return out;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * k-diffusion's `get_sigmas_polyexponential`: `σᵢ = exp(rampᵢ^ρ (ln σ_max −
 * ln σ_min) + ln σ_min)`, `ramp = linspace(1, 0, n)`, then 0 (ρ = 1 is the
 * exponential schedule).
 *
 * @param n number of positive σ's
 * @param options σ range and ρ (default 1)
 * @returns n + 1 σ's
 * @throws {SdenoRangeError} for n < 1, an empty range or ρ ≤ 0
 *
 * @example ρ = 1 is log-uniform
 * ```ts
 * import { polyexponentialSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const s = polyexponentialSigmas(3, { sigmaMin: 1, sigmaMax: 100 });
 * assert.ok(Math.abs(s[1]! - 10) < 1e-12);
 * ```
 */
export function polyexponentialSigmas(
  n: number,
  options: SigmaRangeOptions & { rho?: number } = {},
): number[] {
  const what = "Cannot make the polyexponential σ schedule";
  const steps = stepsOf(what, n);
  const [lo, hi] = rangeOf(what, options);
  const rho = checkFinite(what, "rho", options.rho ?? 1);
  if (!(rho > 0)) throw new SdenoRangeError(`${what}: rho must be positive, got ${quote(rho)}`);
  const out = torchLinspace(1, 0, steps).map((r) =>
    Math.exp(r ** rho * (Math.log(hi) - Math.log(lo)) + Math.log(lo))
  );
  out.push(0);
  return out;
}

/**
 * The KL-optimal schedule of Align Your Steps (Sabour et al. 2024, eq. 14;
 * ComfyUI's `kl_optimal`): `σᵢ = tan((1 − i/(n−1)) atan σ_max + i/(n−1) atan σ_min)`,
 * then 0.
 *
 * @param n number of positive σ's (≥ 2)
 * @param options σ range
 * @returns n + 1 σ's
 * @throws {SdenoRangeError} for n < 2 or an empty range
 *
 * @example
 * ```ts
 * import { klOptimalSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const s = klOptimalSigmas(3, { sigmaMin: 0.5, sigmaMax: 2 });
 * assert.ok(Math.abs(s[1]! - Math.tan((Math.atan(2) + Math.atan(0.5)) / 2)) < 1e-15);
 * assert.ok(Math.abs(s[2]! - 0.5) < 1e-15);
 * ```
 */
export function klOptimalSigmas(n: number, options: SigmaRangeOptions = {}): number[] {
  const what = "Cannot make the kl_optimal σ schedule";
  const steps = stepsOf(what, n, 2);
  const [lo, hi] = rangeOf(what, options);
  const out = Array.from({ length: steps }, (_, i) => {
    const w = i / (steps - 1);
    return Math.tan(w * Math.atan(lo) + (1 - w) * Math.atan(hi));
  });
  out.push(0);
  return out;
}

/** Options of {@linkcode linearQuadraticSigmas}. */
export interface LinearQuadraticOptions {
  /** Largest σ, the scale of the list (default 1, a flow model's). */
  sigmaMax?: number;
  /** 1 − σ reached at the end of the linear part (default 0.025). */
  thresholdNoise?: number;
  /** Number of linear steps (default ⌊n/2⌋). */
  linearSteps?: number;
}

/**
 * The linear-quadratic schedule of Mochi (ComfyUI's `linear_quadratic`):
 * `1 − σ/σ_max` rises linearly to `thresholdNoise` over the first
 * `linearSteps` steps, then quadratically to 1, so σ ends at 0.
 *
 * @param n number of steps
 * @param options σ_max, threshold and the linear steps
 * @returns n + 1 σ's
 * @throws {SdenoRangeError} for n < 1 or linearSteps outside 1 … n − 1
 *
 * @example
 * ```ts
 * import { linearQuadraticSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const s = linearQuadraticSigmas(10);
 * assert.equal(s[0], 1);
 * assert.ok(Math.abs(s[5]! - 0.975) < 1e-15);
 * assert.equal(s[10], 0);
 * ```
 */
export function linearQuadraticSigmas(n: number, options: LinearQuadraticOptions = {}): number[] {
  const what = "Cannot make the linear_quadratic σ schedule";
  const steps = stepsOf(what, n);
  const sMax = checkFinite(what, "sigmaMax", options.sigmaMax ?? 1);
  const thr = checkFinite(what, "thresholdNoise", options.thresholdNoise ?? 0.025);
  if (!(sMax > 0) || !(thr > 0 && thr < 1)) {
    throw new SdenoRangeError(
      `${what}: need sigmaMax > 0 and 0 < thresholdNoise < 1, got ${quote([sMax, thr])}`,
    );
  }
  if (steps === 1) return [sMax, 0];
  const lin = checkInteger(what, "linearSteps", options.linearSteps ?? Math.floor(steps / 2), 1);
  if (lin >= steps) {
    throw new SdenoRangeError(`${what}: linearSteps must be below n = ${steps}, got ${lin}`);
  }
  const q = steps - lin;
  const diff = lin - thr * steps;
  const qc = diff / (lin * q ** 2);
  const lc = thr / lin - 2 * diff / q ** 2;
  const c = qc * lin ** 2;
  const ones: number[] = [];
  for (let i = 0; i < lin; i++) ones.push(i * thr / lin);
  for (let i = lin; i < steps; i++) ones.push(qc * i ** 2 + lc * i + c);
  ones.push(1);
  return ones.map((x) => (1 - x) * sMax);
}

/** The published Align Your Steps 10-step lists (Sabour et al. 2024; ComfyUI's AYS node). */
export const AYS_NOISE_LEVELS: Readonly<Record<"sd15" | "sdxl" | "svd", readonly number[]>> = Object
  .freeze({
    sd15: Object.freeze([
      14.6146412293,
      6.4745760956,
      3.8636745985,
      2.6946151520,
      1.8841921177,
      1.3943805092,
      0.9642583904,
      0.6523686016,
      0.3977456272,
      0.1515232662,
      0.0291671582,
    ]),
    sdxl: Object.freeze([
      14.6146412293,
      6.3184485287,
      3.7681790315,
      2.1811480769,
      1.3405244945,
      0.8620721141,
      0.5550693289,
      0.3798540708,
      0.2332364134,
      0.1114188177,
      0.0291671582,
    ]),
    svd: Object.freeze([
      700.00,
      54.5,
      15.886,
      7.977,
      4.248,
      1.789,
      0.981,
      0.403,
      0.173,
      0.034,
      0.002,
    ]),
  });

/** Options of {@linkcode alignYourStepsSigmas}. */
export interface AlignYourStepsOptions {
  /** Which published list (default `"sd15"`). */
  model?: "sd15" | "sdxl" | "svd";
}

/**
 * Align Your Steps (Sabour, Fidler & Kreis 2024): the published optimised
 * 10-step σ list of the model, log-linearly interpolated to n steps
 * (`exp(interp(linspace(0, 1, n + 1), linspace(0, 1, 11), ln σ reversed))`,
 * ComfyUI's `loglinear_interp`), the last σ replaced by 0.
 *
 * @param n number of steps
 * @param options which model's list
 * @returns n + 1 σ's
 * @throws {SdenoRangeError} for n < 1 or an unknown model
 *
 * @example At 10 steps the published list itself
 * ```ts
 * import { alignYourStepsSigmas, AYS_NOISE_LEVELS } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const s = alignYourStepsSigmas(10, { model: "sdxl" });
 * assert.deepEqual(s.slice(0, 10), AYS_NOISE_LEVELS.sdxl.slice(0, 10));
 * assert.equal(s[10], 0);
 * ```
 */
export function alignYourStepsSigmas(n: number, options: AlignYourStepsOptions = {}): number[] {
  const what = "Cannot make the Align Your Steps σ schedule";
  const steps = stepsOf(what, n);
  const name = options.model ?? "sd15";
  const levels = Object.hasOwn(AYS_NOISE_LEVELS, name) ? AYS_NOISE_LEVELS[name] : undefined;
  if (!levels) {
    throw new SdenoRangeError(`${what}: model must be sd15, sdxl or svd, got ${quote(name)}`);
  }
  let out: number[];
  if (steps + 1 === levels.length) out = [...levels];
  else {
    const k = levels.length;
    const ys = [...levels].reverse().map(Math.log);
    const xs = numpyLinspace(0, 1, k);
    out = numpyLinspace(0, 1, steps + 1).map((x) => Math.exp(interp(x, xs, ys))).reverse();
  }
  out[steps] = 0;
  return out;
}

/** numpy.linspace(start, stop, num): `start + i·step`, the last point set to stop. */
function numpyLinspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => i === num - 1 ? stop : start + i * step);
}

/** numpy.interp for increasing xs (no extrapolation needed here). */
function interp(x: number, xs: number[], ys: number[]): number {
  if (x <= xs[0]!) return ys[0]!;
  const last = xs.length - 1;
  if (x >= xs[last]!) return ys[last]!;
  let j = 0;
  while (xs[j + 1]! <= x) j++;
  const s = (ys[j + 1]! - ys[j]!) / (xs[j + 1]! - xs[j]!);
  return s * (x - xs[j]!) + ys[j]!;
}

/** Options of {@linkcode flowMatchSigmas}. */
export interface FlowMatchSigmasOptions {
  /** Timestep shift s (default 3, SD3): `σ' = sσ/(1 + (s − 1)σ)`. */
  shift?: number;
  /** Number of training steps (default 1000). */
  trainSteps?: number;
}

/**
 * Applies the SD3 timestep shift (Esser et al. 2403.03206, §5.3.2) to flow
 * times: `t' = s t/(1 + (s − 1) t)` (s > 1 spends more steps at high noise).
 *
 * @param t a time (σ) in [0, 1]
 * @param shift s > 0
 * @returns the shifted time
 *
 * @example
 * ```ts
 * import { shiftFlowTime } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * assert.equal(shiftFlowTime(0.5, 3), 0.75);
 * assert.equal(shiftFlowTime(1, 3), 1);
 * ```
 */
export function shiftFlowTime(t: number, shift: number): number {
  return shift * t / (1 + (shift - 1) * t);
}

/**
 * diffusers' `FlowMatchEulerDiscreteScheduler.set_timesteps(n)` grid for a
 * rectified-flow model (σ = t): the training σ's `t_k = k/N` (k = 1 … N)
 * shifted give σ_max = 1 and σ_min = shift(1/N); n times uniform between
 * them are shifted again (as diffusers does) and 0 is appended.
 *
 * @param n number of steps
 * @param options shift (3) and N (1000)
 * @returns n + 1 times, from 1 to 0
 * @throws {SdenoRangeError} for n < 1, shift ≤ 0 or N < 2
 *
 * @example Without shift the grid is uniform
 * ```ts
 * import { flowMatchSigmas } from "./sigma_schedules.ts";
 * import assert from "node:assert/strict";
 * const s = flowMatchSigmas(3, { shift: 1 });
 * assert.ok(Math.abs(s[1]! - (1 + 0.001) / 2) < 1e-15);
 * assert.deepEqual([s[0], s[3]], [1, 0]);
 * ```
 */
export function flowMatchSigmas(n: number, options: FlowMatchSigmasOptions = {}): number[] {
  const what = "Cannot make the flow-matching σ schedule";
  const steps = stepsOf(what, n);
  const shift = checkFinite(what, "shift", options.shift ?? 3);
  const N = checkInteger(what, "trainSteps", options.trainSteps ?? 1000, 2);
  if (!(shift > 0)) {
    throw new SdenoRangeError(`${what}: shift must be positive, got ${quote(shift)}`);
  }
  const sMax = shiftFlowTime(1, shift), sMin = shiftFlowTime(1 / N, shift);
  const out = numpyLinspace(sMax * N, sMin * N, steps).map((t) => shiftFlowTime(t / N, shift));
  out.push(0);
  return out;
}
