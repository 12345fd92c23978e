/**
 * Samplers of stochastic interpolants (Albergo, Boffi & Vanden-Eijnden,
 * arXiv:2303.08797, §2.3–2.4). The interpolant's density ρ_t is transported
 * by the probability-flow ODE `dX = b(t, X) dt` (eq. 2.24) and, for any
 * diffusion coefficient ε(t) ≥ 0, by the forward SDE
 * `dX = [b + ε s](t, X) dt + sqrt(2ε(t)) dW` (eq. 2.33, forward in time) and
 * the backward SDE `dX = [b − ε s](t, X) dt + sqrt(2ε(t)) dW̄` (eq. 2.34, t
 * decreasing); all have the same marginals ρ_t.
 *
 * - {@linkcode interpolantOde}: Euler (order 1, 1 evaluation per step),
 *   Heun (order 2, 2) or classical RK4 (order 4, 4) on any monotone grid.
 * - {@linkcode interpolantSde}: Euler–Maruyama (weak order 1) or the
 *   stochastic Heun predictor–corrector for additive noise (weak order 2,
 *   Kloeden & Platen §15.1; the noise of a step, `sqrt(2 ∫ε) ξ` with ∫ε by
 *   the trapezoid rule, is shared by predictor and corrector).
 *
 * Noise draw i belongs to step i over `(t_i, t_{i+1})` (the Brownian clock
 * is t), keyed Philox by default (`PHILOX_PURPOSES.diffusionNoise`), so a
 * run does not depend on the batching and a Brownian-path source couples
 * runs on nested grids.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { InterpolantModel } from "../../processes/interpolant_model.ts";
import { type OnStep, RunContext, type StepInfo } from "../run_context.ts";
import type { Key } from "../../kernels/philox.ts";
import { philoxNoise } from "./noise.ts";
import type { NoiseSource } from "./types.ts";

/** Options of {@linkcode interpolantOde}. */
export interface InterpolantOdeOptions {
  /** `"euler"`, `"heun"` or `"rk4"` (default). */
  method?: "euler" | "heun" | "rk4";
  /** Called after every step. */
  onStep?: OnStep<StepInfo>;
  /** Check states for NaN/Inf (default true). */
  checkFinite?: boolean;
}

/** Options of {@linkcode interpolantSde}. */
export interface InterpolantSdeOptions {
  /** The diffusion coefficient ε ≥ 0: a number or a function of t (default 1). */
  epsilon?: number | ((t: number) => number);
  /** `"euler-maruyama"` or `"heun"` (default). */
  method?: "euler-maruyama" | "heun";
  /** Called after every step. */
  onStep?: OnStep<StepInfo>;
  /** Check states for NaN/Inf (default true). */
  checkFinite?: boolean;
  /** The noise source (default Philox keyed by `key`, purpose diffusionNoise). */
  noise?: NoiseSource;
  /** The Philox key (default seed 0, stream 0). */
  key?: Key;
  /** Global index of the first path (for shards; default 0). */
  pathOffset?: number;
}

/** The result of an interpolant sampler. */
export interface InterpolantSampleResult {
  /** The final batch at the last grid time. */
  x: DeviceArray;
  /** Number of model evaluations (each a velocity, with the score for the SDE, at one time). */
  nfe: number;
}

const ODE_STAGES = { euler: 1, heun: 2, rk4: 4 } as const;

/**
 * Integrates the interpolant's probability-flow ODE `dX/dt = b(t, X)` along
 * `grid` (monotone times in [0, 1], either direction).
 *
 * @param model the interpolant model (its velocity)
 * @param x the batch at grid[0] (not modified)
 * @param grid monotone times in [0, 1], at least two
 * @param options `method` (rk4), `onStep`, `checkFinite`
 * @returns the batch at the last time and the number of evaluations
 * @throws {SdenoTypeError} for a bad model, batch or option
 * @throws {SdenoRangeError} for a grid outside [0, 1] or not strictly monotone, an unknown method
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example Gaussian to shifted Gaussian: the flow maps quantiles, x(t) = t + x₀ sqrt((1 − t)² + t²)
 * ```ts
 * import { interpolantOde } from "./interpolant_samplers.ts";
 * import { mixtureInterpolant } from "../../models/mixture_interpolant.ts";
 * import { linearInterpolant } from "../../processes/interpolant.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const m = mixtureInterpolant({ weights: [1], means: [[0]], variances: [[1]] },
 *   { weights: [1], means: [[1]], variances: [[1]] }, linearInterpolant());
 * const b = await createBackend("cpu");
 * const grid = Array.from({ length: 11 }, (_, i) => i / 20); // 0 … 0.5
 * const r = await interpolantOde(m, b.upload([0.3]), grid);
 * assert.ok(Math.abs((await b.download(r.x))[0]! - (0.5 + 0.3 * Math.sqrt(0.5))) < 1e-6);
 * assert.equal(r.nfe, 40); // RK4: 4 per step
 * ```
 */
export async function interpolantOde(
  model: InterpolantModel,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: InterpolantOdeOptions = {},
): Promise<InterpolantSampleResult> {
  const what = "Cannot sample the interpolant ODE";
  const o = checkOptions(what, options, ["method", "onStep", "checkFinite"]);
  const times = checkArgs(what, model, x, grid);
  const method = o.method ?? "rk4";
  if (!(method in ODE_STAGES)) {
    throw new SdenoRangeError(`${what}: method must be euler, heun or rk4, got ${quote(method)}`);
  }
  const run = new RunContext(what, x.backend, {
    ...(o.checkFinite !== undefined ? { checkFinite: o.checkFinite } : {}),
  });
  let nfe = 0;
  return await run.use(async () => {
    const cur = await run.copy(x), tmp = run.alloc(x.length);
    const k = Array.from({ length: ODE_STAGES[method] }, () => run.alloc(x.length));
    const b = async (at: DeviceArray, t: number, out: DeviceArray, step: number) => {
      nfe++;
      await model.velocity(at, t, out);
      await run.checkFinite(out, { step, time: t, quantity: "the velocity" });
    };
    for (let i = 0; i + 1 < times.length; i++) {
      const t = times[i]!, h = times[i + 1]! - t;
      await b(cur, t, k[0]!, i);
      if (method === "euler") {
        await run.backend.lincomb(cur, [[1, cur], [h, k[0]!]]);
      } else if (method === "heun") {
        await run.backend.lincomb(tmp, [[1, cur], [h, k[0]!]]);
        await b(tmp, t + h, k[1]!, i);
        await run.backend.lincomb(cur, [[1, cur], [h / 2, k[0]!], [h / 2, k[1]!]]);
      } else {
        await run.backend.lincomb(tmp, [[1, cur], [h / 2, k[0]!]]);
        await b(tmp, t + h / 2, k[1]!, i);
        await run.backend.lincomb(tmp, [[1, cur], [h / 2, k[1]!]]);
        await b(tmp, t + h / 2, k[2]!, i);
        await run.backend.lincomb(tmp, [[1, cur], [h, k[2]!]]);
        await b(tmp, t + h, k[3]!, i);
        await run.backend.lincomb(cur, [
          [1, cur],
          [h / 6, k[0]!],
          [h / 3, k[1]!],
          [h / 3, k[2]!],
          [h / 6, k[3]!],
        ]);
      }
      await run.checkFinite(cur, { step: i, time: times[i + 1]!, quantity: "x" });
      if (o.onStep) await o.onStep({ step: i, t, tNext: times[i + 1]!, x: cur });
    }
    return { x: run.keep(cur), nfe };
  });
}

/**
 * Integrates the interpolant's SDE with diffusion ε(t) along `grid`: the
 * forward SDE (drift b + εs) on an increasing grid, the backward SDE
 * (drift b − εs) on a decreasing one. ε = 0 is the ODE.
 *
 * @param model the interpolant model (velocity and score)
 * @param x the batch at grid[0] (not modified)
 * @param grid monotone times in [0, 1], at least two
 * @param options `epsilon` (1), `method` ("heun"), noise, key, pathOffset, `onStep`
 * @returns the batch at the last time and the number of evaluations
 * @throws {SdenoTypeError} for a model without a score, a bad batch or option
 * @throws {SdenoRangeError} for a bad grid, method or a negative ε
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example Gaussian to Gaussian: the SDE keeps the exact marginal's mean and variance
 * ```ts
 * import { interpolantSde } from "./interpolant_samplers.ts";
 * import { mixtureInterpolant } from "../../models/mixture_interpolant.ts";
 * import { trigonometricInterpolant } from "../../processes/interpolant.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const m = mixtureInterpolant({ weights: [1], means: [[0]], variances: [[1]] },
 *   { weights: [1], means: [[3]], variances: [[0.25]] }, trigonometricInterpolant({ latentScale: 1 }));
 * const b = await createBackend("cpu");
 * const n = 4000, x0 = b.zeros(n);
 * await b.fillNormal(x0, { seed: 1, stream: 0 });
 * const grid = Array.from({ length: 41 }, (_, i) => i / 40);
 * const x = Array.from(await b.download((await interpolantSde(m, x0, grid, { epsilon: 0.5 })).x));
 * const mean = x.reduce((a, v) => a + v, 0) / n;
 * assert.ok(Math.abs(mean - 3) < 4 * 0.5 / Math.sqrt(n)); // x₁ ~ N(3, 0.25)
 * ```
 */
export async function interpolantSde(
  model: InterpolantModel,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: InterpolantSdeOptions = {},
): Promise<InterpolantSampleResult> {
  const what = "Cannot sample the interpolant SDE";
  const o = checkOptions(what, options, [
    "epsilon",
    "method",
    "onStep",
    "checkFinite",
    "noise",
    "key",
    "pathOffset",
  ]);
  const times = checkArgs(what, model, x, grid);
  if (typeof model.score !== "function") {
    throw new SdenoTypeError(`${what}: the model has no score, which the SDE drift b ± εs needs`);
  }
  const method = o.method ?? "heun";
  if (method !== "euler-maruyama" && method !== "heun") {
    throw new SdenoRangeError(
      `${what}: method must be euler-maruyama or heun, got ${quote(method)}`,
    );
  }
  const eps = o.epsilon ?? 1;
  const epsAt = typeof eps === "function" ? eps : () => eps;
  if (typeof eps !== "function" && (typeof eps !== "number" || !(eps >= 0) || !isFinite(eps))) {
    throw new SdenoRangeError(
      `${what}: epsilon must be a finite number ≥ 0 or a function, got ${quote(eps)}`,
    );
  }
  for (const t of times) {
    const e = epsAt(t);
    if (typeof e !== "number" || !(e >= 0) || !Number.isFinite(e)) {
      throw new SdenoRangeError(
        `${what}: epsilon(${t}) must be a finite number ≥ 0, got ${quote(e)}`,
      );
    }
  }
  if (o.noise !== undefined && typeof o.noise?.sample !== "function") {
    throw new SdenoTypeError(`${what}: noise must have a sample method, got ${quote(o.noise)}`);
  }
  const run = new RunContext(what, x.backend, {
    ...(o.checkFinite !== undefined ? { checkFinite: o.checkFinite } : {}),
    ...(o.key !== undefined ? { key: o.key } : {}),
    ...(o.pathOffset !== undefined ? { pathOffset: o.pathOffset } : {}),
  });
  const d = model.dim;
  const source = o.noise ?? philoxNoise(run.noise.key);
  const offset = run.noise.pathOffset * d;
  const sign = times[times.length - 1]! > times[0]! ? 1 : -1; // forward b + εs, backward b − εs
  let nfe = 0;
  return await run.use(async () => {
    const cur = await run.copy(x), pred = run.alloc(x.length), z = run.alloc(x.length);
    const f0 = run.alloc(x.length), f1 = run.alloc(x.length), s = run.alloc(x.length);
    // drift f = b + sign·ε(t)·s into out
    const drift = async (at: DeviceArray, t: number, out: DeviceArray, step: number) => {
      nfe++;
      const e = epsAt(t);
      if (e > 0 && model.drift) await model.drift(at, t, sign * e, out);
      else {
        await model.velocity(at, t, out);
        if (e > 0) {
          await model.score!(at, t, s);
          await run.backend.lincomb(out, [[1, out], [sign * e, s]]);
        }
      }
      await run.checkFinite(out, { step, time: t, quantity: "the drift" });
    };
    for (let i = 0; i + 1 < times.length; i++) {
      const t = times[i]!, tn = times[i + 1]!, h = tn - t;
      const g = Math.sqrt(
        2 * Math.abs(h) * (method === "heun" ? (epsAt(t) + epsAt(tn)) / 2 : epsAt(t)),
      );
      await drift(cur, t, f0, i);
      // the step's noise g·ξ into z (ξ: draw i of the source over (t, tn))
      if (source.philox) {
        await run.backend.lincomb(z, [], {
          scale: g,
          key: source.philox.key,
          step: i,
          purpose: source.philox.purpose,
          offset,
        });
      } else {
        await source.sample(z, { index: i, from: t, to: tn, offset });
        await run.backend.lincomb(z, [[g, z]]);
      }
      if (method === "euler-maruyama") {
        await run.backend.lincomb(cur, [[1, cur], [h, f0], [1, z]]);
      } else {
        await run.backend.lincomb(pred, [[1, cur], [h, f0], [1, z]]);
        await drift(pred, tn, f1, i);
        await run.backend.lincomb(cur, [[1, cur], [h / 2, f0], [h / 2, f1], [1, z]]);
      }
      await run.checkFinite(cur, { step: i, time: tn, quantity: "x" });
      if (o.onStep) await o.onStep({ step: i, t, tNext: tn, x: cur });
    }
    return { x: run.keep(cur), nfe };
  });
}

function checkOptions<O extends object>(what: string, options: O, known: readonly string[]): O {
  if (options === undefined || options === null) return {} as O;
  if (typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new SdenoTypeError(
        `${what}: unknown option ${quote(name)}; known: ${known.join(", ")}`,
      );
    }
  }
  const f = (options as { onStep?: unknown }).onStep;
  if (f !== undefined && typeof f !== "function") {
    throw new SdenoTypeError(`${what}: onStep must be a function, got ${quote(f)}`);
  }
  return options;
}

/** Checks the model, the batch and the grid; returns the grid as numbers. */
function checkArgs(
  what: string,
  model: InterpolantModel,
  x: DeviceArray,
  grid: ArrayLike<number>,
): number[] {
  if (
    model === null || typeof model !== "object" || typeof model.velocity !== "function" ||
    !Number.isInteger(model.dim) || model.dim < 1
  ) {
    throw new SdenoTypeError(`${what}: model must be an InterpolantModel, got ${quote(model)}`);
  }
  if (x === null || typeof x !== "object" || typeof x.length !== "number" || !x.backend) {
    throw new SdenoTypeError(`${what}: x must be a device array, got ${quote(x)}`);
  }
  if (x.length === 0 || x.length % model.dim !== 0) {
    throw new SdenoTypeError(
      `${what}: x has length ${x.length}, not a positive multiple of the model's dimension ${model.dim}`,
    );
  }
  if (grid === null || typeof grid !== "object" || typeof grid.length !== "number") {
    throw new SdenoTypeError(`${what}: grid must be an array of times, got ${quote(grid)}`);
  }
  const times = Array.from(grid);
  if (times.length < 2) {
    throw new SdenoRangeError(`${what}: grid needs at least two times, got ${times.length}`);
  }
  const dir = Math.sign(times[1]! - times[0]!);
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (typeof t !== "number" || !(t >= 0 && t <= 1)) {
      throw new SdenoRangeError(`${what}: grid[${i}] must be a time in [0, 1], got ${quote(t)}`);
    }
    if (i > 0 && (dir === 0 || Math.sign(t - times[i - 1]!) !== dir)) {
      throw new SdenoRangeError(
        `${what}: grid must be strictly monotone; grid[${i}] = ${t} after ${times[i - 1]}`,
      );
    }
  }
  return times;
}
