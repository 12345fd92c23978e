/**
 * Adaptive DPM-Solver-12 / DPM-Solver-23 (Lu et al., DPM-Solver, NeurIPS
 * 2022, §4.3 and Algorithm 4 in Appendix C; the reference's
 * `method='adaptive'`): from s, a trial step in half log-SNR
 * `t = t_λ(λ_s + h)` is taken with a lower-order and a higher-order
 * singlestep DPM-Solver that share their model calls (order 2: DPM-Solver-1
 * and -2 with r₁ = ½; order 3: DPM-Solver-2 with r₁ = ⅓ and DPM-Solver-3 with
 * r₁ = ⅓, r₂ = ⅔), so an attempt costs `order` model calls. With
 * `δ = max(atol, rtol·max(|x_low|, |x_prev|))` elementwise the error is
 *
 * ```
 * E = max over samples of sqrt(mean over the sample's d numbers of ((x_high − x_low)/δ)²)
 * ```
 *
 * — a norm over the batch, as the reference (`norm_fn(…).max()`): the worst
 * sample decides for all, so results depend on the batch. The step is
 * accepted when E ≤ 1 (then x ← x_high, x_prev ← x_low), and the next is
 * `h ← min(θ h E^{−1/order}, λ_end − λ_s)`; the loop ends when
 * `|s − t_end| ≤ t_err`. Works in noise form (`dpmsolver`) or data form
 * (`dpmsolver++`, with an optional x̂₀ corrector).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { NumericalError, quote, SdenoRangeError } from "../../kernels/mod.ts";
import type { Denoiser, PredictionKind } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { _checkGrid } from "./_grid.ts";
import { _DpmForm, _point, _singlestepStages, _singlestepTerms } from "./_dpm_singlestep.ts";
import {
  _checkChoice,
  _checkFiniteArray,
  _ModelCaller,
  _setup,
  type X0Corrector,
} from "./_model.ts";
import { _adaptiveError } from "./_adaptive_error.ts";

/** Options of {@linkcode dpmSolverAdaptive}. */
export interface DpmSolverAdaptiveOptions extends SamplerOptions {
  /** 2 (DPM-Solver-12) or 3 (DPM-Solver-23, default as the reference's `sample`). */
  order?: number;
  /** `dpmsolver++` (data prediction, default) or `dpmsolver` (noise prediction). */
  algorithm?: "dpmsolver" | "dpmsolver++";
  /** Absolute tolerance (default 0.0078, the reference's: 2/255 over data in [−1, 1]). */
  atol?: number;
  /** Relative tolerance (default 0.05). */
  rtol?: number;
  /** Safety factor θ of the step update (default 0.9). */
  theta?: number;
  /** First step in λ (default 0.05). */
  hInit?: number;
  /** Stop when |s − t_end| ≤ tErr (default 1e-5). */
  tErr?: number;
  /** Give up after this many attempts (default 10000). */
  maxAttempts?: number;
  /** Applied to every data prediction (dpmsolver++), e.g. `dynamicThresholding()`. */
  correctX0?: X0Corrector;
  /** Kind requested from the denoiser (default `eps`). */
  query?: PredictionKind;
  /** Check for NaN/Inf after every accepted step (default true). */
  checkFinite?: boolean;
}

/** What {@linkcode dpmSolverAdaptive} returns. */
export interface DpmSolverAdaptiveResult extends SampleResult {
  /** Accepted steps. */
  accepted: number;
  /** Rejected steps. */
  rejected: number;
}

/**
 * Samples with adaptive DPM-Solver from `grid[0]` (t_T) to `grid[1]` (t_end)
 * in the denoiser's schedule time. `onStep` sees accepted steps only. On
 * webgpu each attempt reads the per-element error back once.
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid `[tStart, tEnd]`
 * @param options order, algorithm, tolerances, θ, h_init, t_err
 * @returns the final batch, NFE, model-call times, accepted and rejected steps
 * @throws {SdenoRangeError} for a bad grid, order or tolerance
 * @throws {NumericalError} on NaN/Inf, or when maxAttempts is exceeded
 *
 * @example NFE adapts to the tolerance
 * ```ts
 * import { dpmSolverAdaptive } from "./dpm_solver_adaptive.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [0.5, 0.5], means: [[-1], [1]], variances: [[0.01], [0.01]] }, s);
 * const b = await createBackend("cpu");
 * const x = b.upload([-0.5, 0.2, 1.3]);
 * const loose = await dpmSolverAdaptive(gm, x, [1, 1e-3]);
 * const tight = await dpmSolverAdaptive(gm, x, [1, 1e-3], { atol: 1e-4, rtol: 1e-4 });
 * assert.ok(tight.nfe > loose.nfe);
 * ```
 */
export async function dpmSolverAdaptive(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DpmSolverAdaptiveOptions = {},
): Promise<DpmSolverAdaptiveResult> {
  const what = "Cannot sample with adaptive DPM-Solver";
  const backend = _setup(denoiser, x, options, what);
  const schedule = denoiser.schedule;
  _checkGrid(schedule, grid, what, {});
  if (grid.length !== 2) {
    throw new SdenoRangeError(`${what}: grid must be [tStart, tEnd], got ${grid.length} times`);
  }
  const order = _checkChoice(what, "order", options.order ?? 3, [2, 3]);
  const algorithm = _checkChoice(
    what,
    "algorithm",
    options.algorithm ?? "dpmsolver++",
    [
      "dpmsolver",
      "dpmsolver++",
    ] as const,
  );
  const pos = (name: string, v: number) => {
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
      throw new SdenoRangeError(`${what}: ${name} must be positive and finite, got ${quote(v)}`);
    }
    return v;
  };
  const atol = pos("atol", options.atol ?? 0.0078), rtol = pos("rtol", options.rtol ?? 0.05);
  const theta = pos("theta", options.theta ?? 0.9), hInit = pos("hInit", options.hInit ?? 0.05);
  const tErr = pos("tErr", options.tErr ?? 1e-5);
  const maxAttempts = pos("maxAttempts", options.maxAttempts ?? 10000);
  const data = algorithm === "dpmsolver++";
  const check = options.checkFinite ?? true;
  const model = new _ModelCaller(denoiser, backend, {
    target: data ? "x0" : "eps",
    query: options.query ?? "eps",
    correctX0: options.correctX0,
    checkFinite: check,
  }, what);
  const form = new _DpmForm(data);

  const n = x.length;
  const arrays = Array.from({ length: 9 }, () => backend.zeros(n));
  const [cur, prev, low, high, m0, d1, d2, u, err] = arrays as [
    DeviceArray,
    DeviceArray,
    DeviceArray,
    DeviceArray,
    DeviceArray,
    DeviceArray,
    DeviceArray,
    DeviceArray,
    DeviceArray,
  ];
  const result = backend.zeros(n);
  let accepted = 0, rejected = 0;
  try {
    await backend.lincomb(cur, [[1, x]]);
    await backend.lincomb(prev, [[1, x]]);
    let s = _point(schedule, grid[0]!);
    const tEnd = grid[1]!;
    const lamEnd = schedule.logSnr(tEnd);
    let h = hInit;
    // DPM-Solver-12: orders 1 and 2 with r1 = ½; DPM-Solver-23: orders 2 and 3 with r1 = ⅓, r2 = ⅔
    const stages = order === 2 ? { r1: 0.5, m0, d1 } : { r1: 1 / 3, r2: 2 / 3, m0, d1, d2 };
    for (let attempt = 0; Math.abs(s.t - tEnd) > tErr; attempt++) {
      if (attempt >= maxAttempts) {
        throw new NumericalError(
          `${what}: no convergence after ${maxAttempts} attempts (t = ${s.t}, h = ${h})`,
          { step: accepted, time: s.t },
        );
      }
      const t = _point(schedule, schedule.tOfLogSnr(s.lam + h));
      const hh = t.lam - s.lam;
      model.step = accepted;
      await model.eval(cur, s.t, m0);
      await _singlestepStages({ backend, schedule, form, model }, cur, s, hh, stages, u);
      await backend.lincomb(low, _singlestepTerms(form, cur, s, t, order - 1, stages));
      await backend.lincomb(high, _singlestepTerms(form, cur, s, t, order, stages));
      const E = await _adaptiveError(
        backend,
        { low, high, prev, out: err },
        { atol, rtol },
        { kind: "rows", dim: denoiser.dim },
      );
      if (E <= 1) {
        await backend.lincomb(cur, [[1, high]]);
        await backend.lincomb(prev, [[1, low]]);
        if (check) {
          await _checkFiniteArray(backend, cur, what, { step: accepted, time: t.t, quantity: "x" });
        }
        if (options.onStep) {
          await options.onStep({
            i: accepted,
            t: s.t,
            tNext: t.t,
            x: cur,
            x0Hat: data ? m0 : undefined,
          });
        }
        accepted++;
        s = t;
      } else {
        rejected++;
      }
      h = Math.min(theta * h * E ** (-1 / order), lamEnd - s.lam);
    }
    await backend.lincomb(result, [[1, cur]]);
  } catch (err) {
    backend.release(result);
    throw err;
  } finally {
    for (const a of arrays) backend.release(a);
  }
  return { x: result, nfe: model.times.length, modelTimes: model.times, accepted, rejected };
}
