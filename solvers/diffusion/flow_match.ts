/**
 * Flow-matching samplers: Euler and Heun steps on the velocity ODE
 * `dx/dt = v(x, t) = α'(t) x̂₀ + σ'(t) ε̂` in the schedule's own variables
 * (not the σ/α view of the k-diffusion samplers), as diffusers'
 * `FlowMatchEulerDiscreteScheduler` and `FlowMatchHeunDiscreteScheduler` and
 * ComfyUI's samplers on a flow model (`CONST` model sampling) step. On the
 * rectified-flow schedule (Liu et al. 2209.03003; Esser et al. 2403.03206:
 * α = 1 − t, σ = t) `v = (x − x̂₀)/t`, so an Euler step to t = 0 lands on x̂₀.
 * The grid is usually {@linkcode flowMatchSigmas} (with the SD3 shift
 * `t' = s t/(1 + (s − 1) t)`), its first time inside the schedule's range.
 *
 * A grid may end with t = 0: the last step then goes to 0 (Euler, as the
 * references do), although 0 lies outside the schedule's range.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { type GridPoint, SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/**
 * `v = a·x + b·x̂₀` at a grid point: with α' = f α and σ' = (2 f σ² + g²)/(2σ)
 * (f, g² the forward SDE's, so that (σ²)' = 2 f σ² + g²) and ε̂ = (x − α x̂₀)/σ,
 * `a = σ'/σ`, `b = α' − σ' α/σ`.
 */
function velocityCoefficients(run: SampleRun, p: GridPoint): [number, number] {
  const f = run.schedule.drift(p.t), g2 = run.schedule.diffusion2(p.t);
  const da = f * p.alpha, ds = (2 * f * p.sigma ** 2 + g2) / (2 * p.sigma);
  return [ds / p.sigma, da - ds * p.alpha / p.sigma];
}

/** The grid without a final 0 (handled by the sampler) and whether it had one. */
function splitZero(grid: ArrayLike<number>): [ArrayLike<number>, boolean] {
  const n = grid?.length;
  if (typeof n === "number" && n >= 3 && grid[n - 1] === 0) {
    return [Array.from(grid).slice(0, -1), true];
  }
  return [grid, false];
}

async function flowSample(
  name: string,
  heun: boolean,
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: SamplerOptions,
): Promise<SampleResult> {
  const [inner, toZero] = splitZero(grid);
  const run = new SampleRun(name, denoiser, x, inner, options, {
    grid: "time",
    query: "x0",
    options: [],
  });
  return await run.use(async () => {
    const pts = run.points, steps = pts.length - 1 + (toZero ? 1 : 0);
    const xs = await run.start(x);
    const den = run.alloc(), v1 = run.alloc(), mid = run.alloc(), den2 = run.alloc();
    for (let i = 0; i < steps; i++) {
      const p = pts[i]!, last = i === pts.length - 1;
      const tNext = last ? 0 : pts[i + 1]!.t, dt = tNext - p.t;
      await run.model(xs, p, den, "x0");
      const [a, b] = velocityCoefficients(run, p);
      if (!heun || last) {
        await run.lc(xs, [[1 + dt * a, xs], [dt * b, den]]);
      } else {
        // Heun: x' = x + dt (v(x, t) + v(x + dt v, t'))/2
        await run.lc(v1, [[a, xs], [b, den]]);
        await run.lc(mid, [[1, xs], [dt, v1]]);
        const q = pts[i + 1]!;
        await run.model(mid, q, den2, "x0");
        const [a2, b2] = velocityCoefficients(run, q);
        await run.lc(xs, [[1, xs], [dt / 2, v1], [dt * a2 / 2, mid], [dt * b2 / 2, den2]]);
      }
      await run.endStep(i, xs, den, { t: p.t, tNext });
    }
    return run.finish(xs, toZero ? 0 : pts[pts.length - 1]!.t);
  });
}

/**
 * Flow-matching Euler: `x ← x + (t_{i+1} − t_i)·v(x, t_i)` (NFE = steps).
 *
 * @param denoiser the model (any kind; rectified flow is the usual schedule)
 * @param x the batch at `grid[0]` (not modified)
 * @param grid decreasing times inside the schedule's range, optionally ending with 0
 * @param options the common options
 * @returns the samples, NFE and the model-call times
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a grid that is not decreasing or leaves the schedule's range
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example A point mass at 1: the flow is a straight line, Euler is exact
 * ```ts
 * import { flowMatchEuler } from "./flow_match.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { rectifiedFlowSchedule } from "../../processes/rectified_flow_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[1e-12]] }, rectifiedFlowSchedule());
 * const r = await flowMatchEuler(gm, b.upload([0.5]), [0.9, 0.5, 0.1, 0]);
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 1) < 1e-9);
 * assert.equal(r.nfe, 3);
 * ```
 */
export function flowMatchEuler(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: SamplerOptions = {},
): Promise<SampleResult> {
  return flowSample("flow_euler", false, denoiser, x, grid, options);
}

/**
 * Flow-matching Heun: the trapezoidal corrector on every step but a last one
 * to t = 0, which is Euler (NFE = 2·steps, minus 1 when the grid ends with 0).
 *
 * @param denoiser the model
 * @param x the batch at `grid[0]` (not modified)
 * @param grid decreasing times inside the schedule's range, optionally ending with 0
 * @param options the common options
 * @returns the samples, NFE and the model-call times
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a grid that is not decreasing or leaves the schedule's range
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example
 * ```ts
 * import { flowMatchHeun } from "./flow_match.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { rectifiedFlowSchedule } from "../../processes/rectified_flow_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, rectifiedFlowSchedule());
 * const r = await flowMatchHeun(gm, b.upload([0.8]), [0.9, 0.7, 0.5, 0.3, 0.1]);
 * assert.equal(r.nfe, 8);
 * // N(0, 1) data: x_t ~ N(0, (1 − t)² + t²); the flow scales x by the ratio of the std's
 * const sd = (t: number) => Math.sqrt((1 - t) ** 2 + t * t);
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 0.8 * sd(0.1) / sd(0.9)) < 1e-2);
 * ```
 */
export function flowMatchHeun(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: SamplerOptions = {},
): Promise<SampleResult> {
  return flowSample("flow_heun", true, denoiser, x, grid, options);
}

/**
 * The method object of {@linkcode flowMatchEuler} (NFE = steps).
 *
 * @example
 * ```ts
 * import { flowEulerMethod } from "./flow_match.ts";
 * import assert from "node:assert/strict";
 * assert.equal(flowEulerMethod.info.nfe({ points: 11, endsAtZero: false }, {}), 10);
 * ```
 */
export const flowEulerMethod: DiffusionMethod = diffusionMethod({
  family: "diffusion",
  name: "flow_euler",
  aliases: ["flow_match_euler"],
  summary: "Euler on the velocity ODE in the schedule's variables (diffusers' FlowMatchEuler, SD3)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 1,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: [],
  nfe: (g) => g.points - 1,
}, flowMatchEuler);

/**
 * The method object of {@linkcode flowMatchHeun} (NFE = 2·steps, one less with a final 0).
 *
 * @example
 * ```ts
 * import { flowHeunMethod } from "./flow_match.ts";
 * import assert from "node:assert/strict";
 * assert.equal(flowHeunMethod.info.nfe({ points: 11, endsAtZero: false }, {}), 20);
 * ```
 */
export const flowHeunMethod: DiffusionMethod = diffusionMethod({
  family: "diffusion",
  name: "flow_heun",
  aliases: ["flow_match_heun"],
  summary: "Heun on the velocity ODE in the schedule's variables (diffusers' FlowMatchHeun)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: [],
  nfe: (g) => 2 * (g.points - 1) - (g.endsAtZero ? 1 : 0),
}, flowMatchHeun);
