/**
 * k-diffusion's `sample_dpm_fast`: DPM-Solver-fast (Lu et al., DPM-Solver,
 * NeurIPS 2022, §3.4 and Algorithm 1–2: singlestep orders 3, 2, 1 chosen to
 * spend exactly the NFE budget) on a grid uniform in `t = −ln σ`, in the
 * noise-prediction form with α = 1.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { checkInteger } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { ancestralStep, tFn } from "./_k_steps.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";
import { torchLinspace } from "./_torch_linspace.ts";
import { DpmForm, singlestepStages, singlestepTerms } from "./_dpm_singlestep.ts";

/** Options of {@linkcode sampleDpmFast}. */
export interface DpmFastOptions extends SamplerOptions {
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
  options: DpmFastOptions = {} as DpmFastOptions,
): Promise<SampleResult> {
  const run = new SampleRun("dpm_fast", denoiser, x, grid, options, {
    grid: "sigma",
    interval: true,
    query: "x0",
    options: ["nfe", "eta", "sNoise"],
  });
  const nfe = run.integer("nfe", options?.nfe, 1, 2 ** 31);
  const eta = run.nonNegative("eta", options.eta ?? 0);
  const sNoise = run.nonNegative("sNoise", options.sNoise ?? 1);
  const orders = dpmFastOrders(nfe);
  const form = new DpmForm(false);
  return run.use(async () => {
    // the outer grid: uniform in t = −ln σ (λ), as torch.linspace
    const tStart = run.points[0]!.lam, tEnd = run.points[1]!.lam;
    const ts = torchLinspace(tStart, tEnd, orders.length + 1);
    const xs = await run.start(x);
    const m0 = run.alloc(), d1 = run.alloc(), d2 = run.alloc(), u = run.alloc();
    for (let i = 0; i < orders.length; i++) {
      const o = orders[i]!;
      const s = run.pointAtLambda(ts[i]!), grid = run.pointAtLambda(ts[i + 1]!);
      // with ancestral noise the deterministic step ends at σ_down
      let t = grid, su = 0;
      if (eta) {
        const [down] = ancestralStep(s.sigma, grid.sigma, eta);
        t = run.pointAtLambda(Math.min(tEnd, tFn(down)));
        su = Math.sqrt(grid.sigma ** 2 - t.sigma ** 2);
      }
      const h = t.lam - s.lam;
      await run.model(xs, s, m0, "eps");
      const stages = o === 3 ? { r1: 1 / 3, r2: 2 / 3, m0, d1, d2 } : { r1: 0.5, m0, d1 };
      if (o > 1) await singlestepStages(run, form, xs, s, h, stages, u);
      const terms = singlestepTerms(form, xs, s, t, o, stages);
      if (su > 0) {
        await run.lcNoise(xs, terms, su * sNoise, { from: s.sigma, to: grid.sigma });
      } else {
        await run.lc(xs, terms);
      }
      await run.endStep(i, xs, undefined, { t: s.t, tNext: grid.t });
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleDpmFast} (NFE = options.nfe).
 *
 * @example
 * ```ts
 * import { dpmFastMethod } from "./sample_dpm_fast.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmFastMethod.info.name, "dpm_fast");
 * ```
 */
export const dpmFastMethod: DiffusionMethod<DpmFastOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpm_fast",
  aliases: ["sample_dpm_fast"],
  summary:
    "DPM-Solver-fast: DPM-Solver-3/2/1 steps for an NFE budget on [σ_max, σ_min], k-diffusion's sample_dpm_fast",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 3,
  grid: "sigma",
  budget: "nfe-option",
  noise: "iid",
  rowsIndependent: true,
  options: ["nfe", "eta", "sNoise"],
  nfe: (_g, o) => o.nfe as number,
}, sampleDpmFast);
