/**
 * SDE-DPM-Solver++(1) and SDE-DPM-Solver++(2M) (Lu et al. 2022,
 * "DPM-Solver++", arXiv:2211.01095, §5 and Appendix B): exponential
 * integrators of the reverse diffusion SDE in data-prediction form, on the
 * schedule's own α, σ and half log-SNR λ. With `h = λ_t − λ_s` and a noise
 * fraction η (η = 1 is the paper's SDE solver; η = 0 gives DPM-Solver++
 * (1)/(2M) exactly; in between, the η-interpolation of k-diffusion's
 * `sample_dpmpp_2m_sde`):
 *
 * ```
 * first order:  x_t = (σ_t/σ_s) e^{−ηh} x_s + α_t (1 − e^{−(1+η)h}) x̂₀_s + σ_t √(1 − e^{−2ηh}) z
 * (2M) adds     ½ α_t (1 − e^{−(1+η)h}) (x̂₀_s − x̂₀_{s'})/r          (solverType "midpoint")
 *          or   α_t ((1 − e^{−(1+η)h})/(−(1+η)h) + 1) (x̂₀_s − x̂₀_{s'})/r   ("heun")
 * ```
 *
 * with `r = (λ_s − λ_{s'})/h` for the previous grid point s'. At η = 1 the
 * first-order rule is the paper's SDE-DPM-Solver++1 (its first-order update,
 * `α_t(1 − e^{−2h})`), and "midpoint" is its SDE-DPM-Solver++(2M).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { quote, SdenoRangeError } from "../../kernels/mod.ts";
import type { Denoiser, PredictionKind } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { _checkGrid } from "./_grid.ts";
import {
  _checkChoice,
  _checkFiniteArray,
  _ModelCaller,
  _setup,
  type X0Corrector,
  type XtCorrector,
} from "./_model.ts";
import { resolveNoise } from "./noise.ts";
import { _NoisyLincomb } from "./_noisy.ts";

/** Options of {@linkcode dpmppSde}. */
export interface SdeDpmSolverOptions extends SamplerOptions {
  /** 1 (SDE-DPM-Solver++1) or 2 (SDE-DPM-Solver++(2M), default). */
  order?: number;
  /** Noise fraction η ≥ 0 (default 1, the paper's SDE solver; 0 is DPM-Solver++). */
  eta?: number;
  /** Second-order correction: "midpoint" (default, the paper's) or "heun". */
  solverType?: "midpoint" | "heun";
  /** Lower the order of the last step (default true), when there are fewer than `lowerOrderFinalBelow` steps. */
  lowerOrderFinal?: boolean;
  /** See `lowerOrderFinal` (default 10, as DPM-Solver's reference code). */
  lowerOrderFinalBelow?: number;
  /** Applied to every data prediction (e.g. `dynamicThresholding()`). */
  correctX0?: X0Corrector;
  /** Applied to x after every step. */
  correctXt?: XtCorrector;
  /** Kind requested from the denoiser (default `eps`, x̂₀ = (x − σ ε̂)/α). */
  query?: PredictionKind;
  /** Check for NaN/Inf after every step (default true). */
  checkFinite?: boolean;
}

/**
 * Samples with SDE-DPM-Solver++(1) or (2M) along `grid` (decreasing times of
 * the denoiser's schedule). NFE = grid.length − 1 (model at every grid point
 * but the last). Noise draw i belongs to step i (`from = grid[i]`,
 * `to = grid[i+1]`); the default source is Philox keyed by `key`. With
 * η = 0 no noise is drawn and the result equals `dpmSolver` (dpmsolver++,
 * multistep, same order).
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options order, η, solver type, noise, correctors
 * @returns the final batch, NFE and model-call times
 * @throws {SdenoRangeError} for a bad grid, order, solver type or η
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example η = 0 is deterministic: the same key or another gives the same result
 * ```ts
 * import { dpmppSde } from "./dpmpp_sde.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.1]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20, { kind: "logSNR" });
 * const a = await dpmppSde(gm, b.upload([0.3]), grid, { eta: 0, key: { seed: 1, stream: 0 } });
 * const c = await dpmppSde(gm, b.upload([0.3]), grid, { eta: 0, key: { seed: 2, stream: 0 } });
 * assert.deepEqual(await b.download(a.x), await b.download(c.x));
 * assert.equal(a.nfe, 20);
 * ```
 */
export async function dpmppSde(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: SdeDpmSolverOptions = {},
): Promise<SampleResult> {
  const what = "Cannot sample with SDE-DPM-Solver++";
  const backend = _setup(denoiser, x, options, what);
  const schedule = denoiser.schedule;
  _checkGrid(schedule, grid, what, {});
  const order = _checkChoice(what, "order", options.order ?? 2, [1, 2]);
  const solverType = _checkChoice(
    what,
    "solverType",
    options.solverType ?? "midpoint",
    [
      "midpoint",
      "heun",
    ] as const,
  );
  const eta = options.eta ?? 1;
  if (typeof eta !== "number" || !(eta >= 0) || !Number.isFinite(eta)) {
    throw new SdenoRangeError(`${what}: eta must be a finite number ≥ 0, got ${quote(eta)}`);
  }
  const steps = grid.length - 1;
  const lof = (options.lowerOrderFinal ?? true) && steps < (options.lowerOrderFinalBelow ?? 10);
  const check = options.checkFinite ?? true;
  const model = new _ModelCaller(denoiser, backend, {
    target: "x0",
    query: options.query ?? "eps",
    correctX0: options.correctX0,
    checkFinite: check,
  }, what);
  const noisy = new _NoisyLincomb(backend, resolveNoise(options));
  const n = x.length;
  const cur = backend.zeros(n);
  const m0 = backend.zeros(n), m1 = backend.zeros(n), diff = backend.zeros(n);
  let prev = m1, last = m0;
  try {
    await backend.lincomb(cur, [[1, x]]);
    const ts = Array.from(grid);
    const lam = ts.map((t) => schedule.logSnr(t));
    model.step = 0;
    await model.eval(cur, ts[0]!, last);
    for (let i = 1; i <= steps; i++) {
      const s = ts[i - 1]!, t = ts[i]!;
      const h = lam[i]! - lam[i - 1]!;
      const sgS = schedule.sigma(s), sgT = schedule.sigma(t), aT = schedule.alpha(t);
      const hh = (1 + eta) * h;
      const c1 = -Math.expm1(-hh); // 1 − e^{−(1+η)h}
      const terms: [number, DeviceArray][] = [[(sgT / sgS) * Math.exp(-eta * h), cur], [
        aT * c1,
        last,
      ]];
      const p = i === 1 ? 1 : lof && i === steps ? Math.min(order, 1) : order;
      if (p === 2) {
        const r = (lam[i - 1]! - lam[i - 2]!) / h;
        await backend.lincomb(diff, [[1, last], [-1, prev]]);
        const c2 = solverType === "midpoint" ? 0.5 * aT * c1 : aT * (c1 / -hh + 1);
        terms.push([c2 / r, diff]);
      }
      const scale = sgT * Math.sqrt(-Math.expm1(-2 * eta * h));
      if (scale > 0) await noisy.apply(cur, terms, scale, { from: s, to: t });
      else await backend.lincomb(cur, terms);
      if (options.correctXt) await options.correctXt(backend, cur, { t, step: i });
      if (check) {
        await _checkFiniteArray(backend, cur, what, { step: i - 1, time: t, quantity: "x" });
      }
      if (options.onStep) await options.onStep({ i: i - 1, t: s, tNext: t, x: cur, x0Hat: last });
      if (i < steps) {
        [prev, last] = [last, prev];
        model.step = i;
        await model.eval(cur, t, last);
      }
    }
  } catch (err) {
    backend.release(cur);
    throw err;
  } finally {
    for (const a of [m0, m1, diff]) backend.release(a);
    noisy.release();
  }
  return { x: cur, nfe: model.times.length, modelTimes: model.times };
}
