/**
 * k-diffusion's `sample_dpm_adaptive`: DPM-Solver-12/23 (Lu et al.,
 * DPM-Solver, NeurIPS 2022, §4.3 / Algorithm 4 there) in k-diffusion's form —
 * noise prediction with α = 1 in `t = −ln σ`, an embedded lower-order
 * solution for the error estimate, and a PID step-size controller
 * (k-diffusion's `PIDStepSizeController`, after Söderlind 2003: factor
 * `1 + atan(ρ − 1)` with `ρ = ε₀^{b1} ε₁^{b2} ε₂^{b3}`, `εᵢ = 1/(errᵢ + 1e-8)`,
 * `b1 = (p + i + d)/order`, `b2 = −(p + 2d)/order`, `b3 = d/order`; accept
 * when the factor is ≥ `acceptSafety`).
 *
 * **Error norm (over the whole batch):** `err = ‖(x_high − x_low)/δ‖₂ / √N`
 * with `δ = max(atol, rtol·max(|x_low|, |x_prev|))` elementwise, the norm
 * over all N numbers of the batch — as k-diffusion does. So the step sizes,
 * and therefore every row's result, depend on the whole batch: a run on the
 * first 64 rows is not the first 64 rows of a run on 4096. (DPM-Solver's own
 * adaptive method, `dpmSolverAdaptive`, takes the max over samples instead.)
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import {
  _ancestralStep,
  _checkEta,
  _checkNonNegative,
  _KRun,
  _sigmaFn,
  _tFn,
  type KSampleResult,
  type KSamplerOptions,
} from "./_k_common.ts";
import { _adaptiveError } from "./_adaptive_error.ts";
import { _checkChoice } from "./_model.ts";

/** Options of {@linkcode sampleDpmAdaptive}. */
export interface DpmAdaptiveOptions extends KSamplerOptions {
  /** 2 (DPM-Solver-12) or 3 (DPM-Solver-23, default). */
  order?: number;
  /** Relative tolerance (default 0.05). */
  rtol?: number;
  /** Absolute tolerance (default 0.0078). */
  atol?: number;
  /** First step in t = −ln σ (default 0.05). */
  hInit?: number;
  /** PID proportional coefficient (default 0). */
  pcoeff?: number;
  /** PID integral coefficient (default 1). */
  icoeff?: number;
  /** PID derivative coefficient (default 0). */
  dcoeff?: number;
  /** Accept a step when the proposed factor is at least this (default 0.81). */
  acceptSafety?: number;
  /** Ancestral noise fraction η (default 0: deterministic). */
  eta?: number;
  /** Scale of the added noise (default 1). */
  sNoise?: number;
}

/** What {@linkcode sampleDpmAdaptive} returns. */
export interface DpmAdaptiveResult extends KSampleResult {
  /** Attempted steps, accepted and rejected ones (k-diffusion's `info`). */
  steps: number;
  /** Accepted steps. */
  accepted: number;
  /** Rejected steps. */
  rejected: number;
}

/**
 * Adaptive DPM-Solver from `grid[0]` to `grid[1]` (e.g. `[σ_max, σ_min]` on
 * the EDM schedule; it ends at σ_min). Each attempt from s to
 * `t = min(t_end, s + h)` costs `order` model calls (none are reused across
 * attempts, as k-diffusion): order 3 compares DPM-Solver-2 (r₁ = ⅓) with
 * DPM-Solver-3, order 2 DPM-Solver-1 with DPM-Solver-2. The loop runs while
 * `s < t_end − 1e-5`. On webgpu each attempt reads back one number (the
 * batch error).
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid `[start, end]`
 * @param options tolerances, controller, η and the common options
 * @returns the samples, NFE, model-call times, noise calls and step counts
 * @throws {SdenoTypeError} when the grid has not 2 points
 * @throws {SdenoRangeError} for a bad order, tolerance or controller option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example A tighter tolerance costs more evaluations
 * ```ts
 * import { sampleDpmAdaptive } from "./sample_dpm_adaptive.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const gm = gaussianMixture({ weights: [0.5, 0.5], means: [[-1], [1]], variances: [[0.01], [0.01]] }, edmSchedule());
 * const x = b.upload([-40, 8, 30]);
 * const loose = await sampleDpmAdaptive(gm, x, [80, 0.002]);
 * const tight = await sampleDpmAdaptive(gm, x, [80, 0.002], { rtol: 0.005, atol: 0.0005 });
 * assert.ok(tight.nfe > loose.nfe);
 * assert.equal(loose.nfe % 3, 0);
 * ```
 */
export async function sampleDpmAdaptive(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DpmAdaptiveOptions = {},
): Promise<DpmAdaptiveResult> {
  const what = "Cannot sample with dpm_adaptive";
  if (grid?.length !== 2) {
    throw new SdenoTypeError(
      `${what}: grid must be [start, end], got ${quote(Array.from(grid ?? []))}`,
    );
  }
  const run = new _KRun(what, denoiser, x, grid, options, { lastMayBeZero: false });
  const order = _checkChoice(what, "order", options.order ?? 3, [2, 3]);
  const pos = (name: string, v: number) => {
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
      throw new SdenoRangeError(`${what}: ${name} must be positive and finite, got ${quote(v)}`);
    }
    return v;
  };
  const rtol = pos("rtol", options.rtol ?? 0.05), atol = pos("atol", options.atol ?? 0.0078);
  const hInit = pos("hInit", Math.abs(options.hInit ?? 0.05));
  const acceptSafety = pos("acceptSafety", options.acceptSafety ?? 0.81);
  const pc = _checkNonNegative(what, "pcoeff", options.pcoeff ?? 0);
  const ic = _checkNonNegative(what, "icoeff", options.icoeff ?? 1);
  const dc = _checkNonNegative(what, "dcoeff", options.dcoeff ?? 0);
  const eta = _checkEta(what, options.eta ?? 0);
  const sNoise = _checkNonNegative(what, "sNoise", options.sNoise ?? 1);
  // the PID controller (k-diffusion's PIDStepSizeController)
  const ctlOrder = eta ? 1.5 : order;
  const b1 = (pc + ic + dc) / ctlOrder, b2 = -(pc + 2 * dc) / ctlOrder, b3 = dc / ctlOrder;
  let h = hInit;
  let errs: number[] = [];
  const propose = (error: number) => {
    const inv = 1 / (error + 1e-8);
    if (errs.length === 0) errs = [inv, inv, inv];
    errs[0] = inv;
    const rho = errs[0]! ** b1 * errs[1]! ** b2 * errs[2]! ** b3;
    const factor = 1 + Math.atan(rho - 1);
    const accept = factor >= acceptSafety;
    if (accept) {
      errs[2] = errs[1]!;
      errs[1] = errs[0]!;
    }
    h *= factor;
    return accept;
  };

  const tEnd = _tFn(run.sigmas[1]!);
  let s = _tFn(run.sigmas[0]!);
  const xs = await run.start(x);
  const prev = run.alloc(), low = run.alloc(), high = run.alloc(), scratch = run.alloc();
  const den = run.alloc(), eps = run.alloc(), u = run.alloc(), e1 = run.alloc(), e2 = run.alloc();
  await run.lc(prev, [[1, xs]]);
  const epsAt = async (at: DeviceArray, t: number, out: DeviceArray) => {
    const st = _sigmaFn(t);
    await run.denoise(at, st, den);
    await run.lc(out, [[1 / st, at], [-1 / st, den]]);
  };
  let steps = 0, accepted = 0, rejected = 0;
  while (s < tEnd - 1e-5) {
    const t = Math.min(tEnd, s + h);
    let tN = t, su = 0;
    if (eta) {
      const [sd] = _ancestralStep(_sigmaFn(s), _sigmaFn(t), eta);
      tN = Math.min(tEnd, _tFn(sd));
      su = Math.sqrt(_sigmaFn(t) ** 2 - _sigmaFn(tN) ** 2);
    }
    const hh = tN - s, sN = _sigmaFn(tN), eh = Math.expm1(hh);
    await epsAt(xs, s, eps);
    if (order === 2) {
      // low: DPM-Solver-1; high: DPM-Solver-2 (r₁ = ½)
      await run.lc(low, [[1, xs], [-sN * eh, eps]]);
      const s1 = s + hh / 2;
      await run.lc(u, [[1, xs], [-_sigmaFn(s1) * Math.expm1(hh / 2), eps]]);
      await epsAt(u, s1, e1);
      await run.lc(high, [[1, xs], [-sN * eh + sN * eh, eps], [-sN * eh, e1]]);
    } else {
      // low: DPM-Solver-2 with r₁ = ⅓; high: DPM-Solver-3 (r₁ = ⅓, r₂ = ⅔), sharing ε(u₁, s₁)
      const r1 = 1 / 3, r2 = 2 / 3, s1 = s + r1 * hh, s2 = s + r2 * hh;
      await run.lc(u, [[1, xs], [-_sigmaFn(s1) * Math.expm1(r1 * hh), eps]]);
      await epsAt(u, s1, e1);
      const c = sN / (2 * r1) * eh;
      await run.lc(low, [[1, xs], [-sN * eh + c, eps], [-c, e1]]);
      const a = _sigmaFn(s2) * Math.expm1(r2 * hh);
      const b = _sigmaFn(s2) * (r2 / r1) * (Math.expm1(r2 * hh) / (r2 * hh) - 1);
      await run.lc(u, [[1, xs], [-a + b, eps], [-b, e1]]);
      await epsAt(u, s2, e2);
      const c3 = sN / r2 * (eh / hh - 1);
      await run.lc(high, [[1, xs], [-sN * eh + c3, eps], [-c3, e2]]);
    }
    const error = await _adaptiveError(
      run.backend,
      { low, high, prev, out: scratch },
      { atol, rtol },
      { kind: "batch" },
    );
    steps++;
    if (propose(error)) {
      await run.lc(prev, [[1, low]]);
      if (su > 0) {
        await run.lcNoise(xs, [[1, high]], su * sNoise, { from: _sigmaFn(s), to: _sigmaFn(t) });
      } else {
        await run.lc(xs, [[1, high]]);
      }
      await run.endStep(accepted, xs, den, {
        t: run.timeOf(_sigmaFn(s)),
        tNext: run.timeOf(_sigmaFn(t)),
      });
      s = t;
      accepted++;
    } else {
      rejected++;
    }
  }
  return { ...(await run.finish(xs)), steps, accepted, rejected };
}
