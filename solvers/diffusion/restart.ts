/**
 * The Restart sampler of Xu, Deng, Chen, Tian, Liu & Jaakkola ("Restart
 * Sampling for Improving Generative Processes", NeurIPS 2023, 2306.14878,
 * Algorithm 1): Heun steps of the probability-flow ODE, and at a chosen
 * interval [t_min, t_max] the state is pushed forward by fresh noise,
 * `x ← x + sqrt(t_max² − t_min²)·z` (the exact forward kernel in σ), and the
 * interval is solved again — K times. The contraction of the added noise
 * shrinks the accumulated error (§3) while the ODE steps keep the cost low.
 *
 * As ComfyUI's `sample_restart`: the restart list `{σ_min: [steps, times,
 * σ_max]}` is placed at the grid's nearest σ's; a restart segment is the
 * Karras grid (ρ = 7) from σ_max to σ_min with `steps` points, walked
 * `times` times; noise is added whenever the next step starts above the
 * last σ reached. With no list given and ≥ 20 steps, ComfyUI's default is
 * used: 9 restart steps (`steps/4` from 36 steps on, then twice) at
 * [0.1, 2], the main grid rebuilt as the Karras grid between the given
 * grid's σ_max and last positive σ with the restart steps taken out, so the
 * NFE is that of Heun on the grid.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";
import { karrasSigmas } from "./k_sigmas.ts";

/** One restart: at the grid σ nearest `sigmaMin`, go back to `sigmaMax` `times` times in `steps` points. */
export interface RestartSegment {
  /** Lower end of the restart interval (ComfyUI's key of `restart_list`). */
  sigmaMin: number;
  /** Points of the restart segment's Karras grid (ComfyUI's `restart_steps`). */
  steps: number;
  /** How often the interval is restarted (`restart_times`). */
  times: number;
  /** Upper end (`restart_max`). */
  sigmaMax: number;
}

/** Options of {@linkcode sampleRestart}. */
export interface RestartOptions extends SamplerOptions {
  /** Scale of the restart noise (default 1). */
  sNoise?: number;
  /**
   * The restarts (ComfyUI's `restart_list`). Default: ComfyUI's automatic
   * list, which also rebuilds the main grid (see the module doc); `[]` for
   * none (then restart is Heun).
   */
  restartList?: readonly RestartSegment[];
}

/** ComfyUI's automatic choice: restart steps and times for a grid of `steps` steps. */
function autoRestart(steps: number): { steps: number; times: number } | undefined {
  if (steps < 20) return undefined;
  return steps >= 36 ? { steps: Math.floor(steps / 4), times: 2 } : { steps: 9, times: 1 };
}

function argminAbs(list: readonly number[], v: number): number {
  let best = 0;
  for (let i = 1; i < list.length; i++) {
    if (Math.abs(list[i]! - v) < Math.abs(list[best]! - v)) best = i;
  }
  return best;
}

function checkSegments(what: string, list: unknown): RestartSegment[] {
  if (!Array.isArray(list)) {
    throw new SdenoTypeError(`${what}: restartList must be an array, got ${quote(list)}`);
  }
  return list.map((seg, k) => {
    const s = seg as RestartSegment;
    const ok = s !== null && typeof s === "object" && s.sigmaMin > 0 && s.sigmaMax > s.sigmaMin &&
      Number.isInteger(s.steps) && s.steps >= 2 && Number.isInteger(s.times) && s.times >= 0 &&
      Number.isFinite(s.sigmaMax);
    if (!ok) {
      throw new SdenoRangeError(
        `${what}: restartList[${k}] must be {sigmaMin > 0, sigmaMax > sigmaMin, integer steps ≥ 2, ` +
          `integer times ≥ 0}, got ${quote(seg)}`,
      );
    }
    return s;
  });
}

/**
 * Samples with the Restart sampler on a σ grid.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options `sNoise`, `restartList` and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad restart list
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example Without restarts it is Heun
 * ```ts
 * import { sampleRestart } from "./restart.ts";
 * import { sampleHeun } from "./sample_heun.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const a = await sampleRestart(gm, b.upload([80]), karrasSigmas(10), { restartList: [] });
 * const h = await sampleHeun(gm, b.upload([80]), karrasSigmas(10));
 * assert.deepEqual(await b.download(a.x), await b.download(h.x));
 * assert.equal(a.nfe, 19);
 * ```
 */
export async function sampleRestart(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: RestartOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("restart", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: ["sNoise", "restartList"],
  });
  const sNoise = run.nonNegative("sNoise", options.sNoise ?? 1);
  let sigmas = [...run.sigmas];
  let list: RestartSegment[];
  if (options.restartList !== undefined) list = checkSegments(run.what, options.restartList);
  else {
    const auto = autoRestart(sigmas.length - 1);
    list = [];
    if (auto) {
      const zero = sigmas[sigmas.length - 1] === 0;
      sigmas = karrasSigmas(sigmas.length - 1 - auto.steps * auto.times, {
        sigmaMin: sigmas[sigmas.length - (zero ? 2 : 1)]!,
        sigmaMax: sigmas[0]!,
        appendZero: zero,
      });
      list = [{ sigmaMin: 0.1, steps: auto.steps + 1, times: auto.times, sigmaMax: 2 }];
    }
  }
  // the walk: (from, to) pairs, with the restart segments after the grid σ nearest each σ_min
  const at = new Map(list.map((seg) => [argminAbs(sigmas, seg.sigmaMin), seg]));
  const walk: [number, number][] = [];
  for (let i = 0; i + 1 < sigmas.length; i++) {
    walk.push([sigmas[i]!, sigmas[i + 1]!]);
    const seg = at.get(i + 1);
    if (!seg) continue;
    const maxIdx = argminAbs(sigmas, seg.sigmaMax);
    if (maxIdx >= i + 1) continue;
    const r = karrasSigmas(seg.steps, { sigmaMin: sigmas[i + 1]!, sigmaMax: sigmas[maxIdx]! })
      .slice(0, -1);
    for (let k = 0; k < seg.times; k++) {
      for (let j = 0; j + 1 < r.length; j++) walk.push([r[j]!, r[j + 1]!]);
    }
  }
  return await run.use(async () => {
    const xs = await run.start(x);
    const den = run.alloc(), d = run.alloc(), x2 = run.alloc(), den2 = run.alloc();
    let last: number | undefined;
    for (let i = 0; i < walk.length; i++) {
      const [from, to] = walk[i]!;
      if (last !== undefined && last < from) {
        await run.lcNoise(xs, [[1, xs]], sNoise * Math.sqrt(from ** 2 - last ** 2), {
          from: last,
          to: from,
        });
      }
      await run.denoise(xs, from, den);
      const dt = to - from;
      if (to === 0) await run.lc(xs, [[1 + dt / from, xs], [-dt / from, den]]);
      else {
        // Heun: d = (x − D)/σ, x₂ = x + d·dt, d₂ at (x₂, σ'), x += (d + d₂)/2·dt
        await run.lc(d, [[1 / from, xs], [-1 / from, den]]);
        await run.lc(x2, [[1, xs], [dt, d]]);
        await run.denoise(x2, to, den2);
        await run.lc(xs, [[1, xs], [dt / 2, d], [dt / (2 * to), x2], [-dt / (2 * to), den2]]);
      }
      await run.endStep(i, xs, den, { t: run.pointAtSigma(from).t, tNext: run.pointAtSigma(to).t });
      last = to;
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode sampleRestart}: NFE as Heun on the grid
 * with the default list (ComfyUI's rule keeps it), plus 2·times·(steps − 1)
 * per given restart segment.
 *
 * @example
 * ```ts
 * import { restartMethod } from "./restart.ts";
 * import assert from "node:assert/strict";
 * assert.equal(restartMethod.info.nfe({ points: 31, endsAtZero: true }, {}), 59);
 * ```
 */
export const restartMethod: DiffusionMethod<RestartOptions> = diffusionMethod({
  family: "diffusion",
  name: "restart",
  aliases: ["sample_restart"],
  summary: "Restart sampling: Heun ODE steps with noisy restarts of one interval (Xu et al. 2023)",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: ["sNoise", "restartList"],
  nfe: (g, o) => {
    const heun = 2 * (g.points - 1) - (g.endsAtZero ? 1 : 0);
    const list = o.restartList as readonly RestartSegment[] | undefined;
    if (!Array.isArray(list)) return heun;
    return heun + list.reduce((n, s) => n + 2 * s.times * (s.steps - 1), 0);
  },
}, sampleRestart);
