/**
 * k-diffusion's `sample_dpm_fast`: DPM-Solver-fast (Lu et al., DPM-Solver,
 * NeurIPS 2022, §3.4 and Algorithm 1–2: singlestep orders 3, 2, 1 chosen to
 * spend exactly the NFE budget) on a grid uniform in `t = −ln σ`, in the
 * noise-prediction form with α = 1.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { checkInteger, quote, SdenoTypeError } from "../../kernels/mod.ts";
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
import { _torchLinspace } from "./k_sigmas.ts";

/** Options of {@linkcode sampleDpmFast}. */
export interface DpmFastOptions extends KSamplerOptions {
  /** The number of model evaluations (required, ≥ 1). */
  nfe: number;
  /** Noise fraction η (default 0, deterministic, as k-diffusion). */
  eta?: number;
  /** Scale of the added noise (default 1). */
  sNoise?: number;
}

/**
 * The order pattern of DPM-Solver-fast for a budget of `nfe` evaluations:
 * `m = ⌊nfe/3⌋ + 1` outer steps, `[3]·(m−2) + [2, 1]` when 3 | nfe, else
 * `[3]·(m−1) + [nfe mod 3]`.
 *
 * @param nfe the budget
 * @returns the orders
 *
 * @example
 * ```ts
 * import { dpmFastOrders } from "./sample_dpm_fast.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(dpmFastOrders(10), [3, 3, 3, 1]);
 * assert.deepEqual(dpmFastOrders(6), [3, 2, 1]);
 * ```
 */
export function dpmFastOrders(nfe: number): number[] {
  checkInteger("Cannot plan DPM-Solver-fast", "nfe", nfe, 1);
  const m = Math.floor(nfe / 3) + 1;
  if (nfe % 3 === 0) return [...Array(m - 2).fill(3), 2, 1];
  return [...Array(m - 1).fill(3), nfe % 3];
}

/**
 * DPM-Solver-fast from `grid[0]` to `grid[1]` (two times, e.g. `[σ_max,
 * σ_min]`; it ends at σ_min, not 0): outer grid `linspace(t_start, t_end,
 * m + 1)` in `t = −ln σ`, orders from {@linkcode dpmFastOrders}, each step in
 * noise form `ε = (x − D)/σ`: order 1 `x − σ(t')expm1(h)ε`, order 2 (r₁ = ½)
 * and order 3 (r₁ = ⅓, r₂ = ⅔) as DPM-Solver's Algorithms 1–2 with α = 1.
 * With η > 0, k-diffusion's ancestral variant (the step goes to
 * `min(t_end, −ln σ_down)` and noise is added).
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid `[start, end]`
 * @param options `nfe` (required), `eta` (0), `sNoise` (1) and the common options
 * @returns the samples, NFE (= `nfe`), the model-call times and the noise calls
 * @throws {SdenoTypeError} when the grid has not 2 points or nfe is missing
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example Exactly the NFE asked for
 * ```ts
 * import { sampleDpmFast } from "./sample_dpm_fast.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpmFast(model, b.upload([80]), [80, 0.002], { nfe: 10 });
 * assert.equal(r.nfe, 10);
 * const exact = 80 * Math.sqrt(1 + 0.002 ** 2) / Math.sqrt(6401);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - exact) < 0.25);
 * ```
 */
export async function sampleDpmFast(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DpmFastOptions,
): Promise<KSampleResult> {
  const what = "Cannot sample with dpm_fast";
  if (grid?.length !== 2) {
    throw new SdenoTypeError(
      `${what}: grid must be [start, end], got ${quote(Array.from(grid ?? []))}`,
    );
  }
  const run = new _KRun(what, denoiser, x, grid, options, { lastMayBeZero: false });
  const nfe = checkInteger(what, "nfe", options?.nfe, 1);
  const eta = _checkEta(what, options.eta ?? 0);
  const sNoise = _checkNonNegative(what, "sNoise", options.sNoise ?? 1);
  const orders = dpmFastOrders(nfe);
  const tStart = _tFn(run.sigmas[0]!), tEnd = _tFn(run.sigmas[1]!);
  const ts = _torchLinspace(tStart, tEnd, orders.length + 1);
  const xs = await run.start(x);
  const den = run.alloc(), eps = run.alloc(), u = run.alloc(), e1 = run.alloc(), e2 = run.alloc();
  const epsAt = async (at: DeviceArray, t: number, out: DeviceArray) => {
    const st = _sigmaFn(t);
    await run.denoise(at, st, den);
    await run.lc(out, [[1 / st, at], [-1 / st, den]]);
  };
  for (let i = 0; i < orders.length; i++) {
    const t = ts[i]!, tNextGrid = ts[i + 1]!;
    let tNext = tNextGrid, su = 0;
    if (eta) {
      const [sd] = _ancestralStep(_sigmaFn(t), _sigmaFn(tNextGrid), eta);
      tNext = Math.min(tEnd, _tFn(sd));
      su = Math.sqrt(_sigmaFn(tNextGrid) ** 2 - _sigmaFn(tNext) ** 2);
    }
    await epsAt(xs, t, eps);
    const h = tNext - t, sN = _sigmaFn(tNext), eh = Math.expm1(h);
    let terms: [number, DeviceArray][];
    if (orders[i] === 1) {
      terms = [[1, xs], [-sN * eh, eps]];
    } else if (orders[i] === 2) {
      const r1 = 1 / 2, s1 = t + r1 * h;
      await run.lc(u, [[1, xs], [-_sigmaFn(s1) * Math.expm1(r1 * h), eps]]);
      await epsAt(u, s1, e1);
      const c = sN / (2 * r1) * eh;
      terms = [[1, xs], [-sN * eh + c, eps], [-c, e1]];
    } else {
      const r1 = 1 / 3, r2 = 2 / 3, s1 = t + r1 * h, s2 = t + r2 * h;
      await run.lc(u, [[1, xs], [-_sigmaFn(s1) * Math.expm1(r1 * h), eps]]);
      await epsAt(u, s1, e1);
      const a = _sigmaFn(s2) * Math.expm1(r2 * h);
      const b = _sigmaFn(s2) * (r2 / r1) * (Math.expm1(r2 * h) / (r2 * h) - 1);
      await run.lc(u, [[1, xs], [-a + b, eps], [-b, e1]]);
      await epsAt(u, s2, e2);
      const c = sN / r2 * (eh / h - 1);
      terms = [[1, xs], [-sN * eh + c, eps], [-c, e2]];
    }
    if (su > 0) {
      await run.lcNoise(xs, terms, su * sNoise, { from: _sigmaFn(t), to: _sigmaFn(tNextGrid) });
    } else {
      await run.lc(xs, terms);
    }
    await run.endStep(i, xs, den, {
      t: run.timeOf(_sigmaFn(t)),
      tNext: run.timeOf(_sigmaFn(tNextGrid)),
    });
  }
  return run.finish(xs);
}
