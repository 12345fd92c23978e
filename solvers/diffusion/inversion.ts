/**
 * Inversion of diffusion samplers, for reconstruction and editing: map a
 * data batch x₀ to the sampler's latent, then sample again from that latent
 * (with other conditioning to edit).
 *
 * - {@linkcode ddimInversion} runs deterministic DDIM backwards (Song, Meng &
 *   Ermon, ICLR 2021, §4.3, eq. 13 integrated from x₀ towards x_T; the
 *   inversion Mokady et al. 2211.09794 start null-text optimisation from):
 *   step `s → t` upward is `x_t = α_t x̂₀(x_s, s) + σ_t ε̂(x_s, s)`, DDIM's own
 *   update with the model evaluated at the start of the interval. Sampling
 *   back with {@linkcode ddim} (η = 0) on the same grid returns x₀ up to the
 *   first-order error of the two Euler passes, O(max h).
 * - {@linkcode editFriendlyInversion} (Huberman-Spiegelglas, Kulikov &
 *   Michaeli, "An Edit Friendly DDPM Noise Space", 2304.06140, §3, eq. 6):
 *   draw `x_{t_i} = α_i x₀ + σ_i ε̃_i` with *independent* ε̃_i at every grid
 *   time, then solve the sampler's step for its noise,
 *   `z_i = (x_{t_{i+1}} − μ_θ(x_{t_i}, t_i)) / σ̃_i` (eq. 5), so that the
 *   stochastic sampler driven by (x_{t_0}, z_0, …, z_{N−1}) reproduces x₀
 *   exactly.
 * - {@linkcode dpmEncoder} (Wu & De la Torre, CycleDiffusion, 2210.05559,
 *   §3.2, eq. 6–7): the same noise equation along a chain drawn from the
 *   forward process's posterior, `x_{t_0} ~ q(x_{t_0} | x₀)`,
 *   `x_{t_{i+1}} ~ q(x_{t_{i+1}} | x_{t_i}, x₀)` (DDIM's η-posterior, eq. 7
 *   of Song et al.).
 *
 * Both stochastic encoders take the input as the state at the grid's last
 * time, so the last step's target is x₀ itself, and they return the noise
 * maps with a {@linkcode NoiseSource} that replays them: {@linkcode ddim}
 * with the same η and grid, `noise: result.noise`, started at `result.xT`,
 * reproduces x₀ to rounding. Its step coefficients are DDIM's (η = 1 is
 * ancestral DDPM with the posterior variance).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { CpuArray, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { SampleRun } from "./sample_run.ts";
import { checkEta, ddimCoefficients } from "./_inversion_steps.ts";
import type { NoiseCall, NoiseSource, SampleResult, SamplerOptions } from "./types.ts";

/**
 * Samples with DDIM's deterministic update *up* the grid: from x₀ at
 * `grid[N]` to the latent at `grid[0]` (NFE = N; `onStep` sees step k going
 * from `grid[N−k]` to `grid[N−k−1]`).
 *
 * @param denoiser the model
 * @param x0 the batch at the grid's last (smallest) time (not modified)
 * @param grid the *sampling* grid: decreasing schedule times
 * @param options the common sampler options (conditioning, query, onStep, …)
 * @returns the latent at grid[0] (as `x`), NFE and model-call times
 * @throws {SdenoRangeError} for a bad grid
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example Invert and sample back: the round trip is close on a fine grid (error O(h))
 * ```ts
 * import { ddimInversion } from "./inversion.ts";
 * import { ddim } from "./ddim.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.5]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 100, { kind: "logSNR" });
 * const inv = await ddimInversion(gm, b.upload([0.3]), grid);
 * const back = await ddim(gm, inv.x, grid);
 * assert.ok(Math.abs((await b.download(back.x))[0]! - 0.3) < 0.05); // O(h): 0.033 here
 * ```
 */
export async function ddimInversion(
  denoiser: Denoiser,
  x0: DeviceArray,
  grid: ArrayLike<number>,
  options: SamplerOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("DDIM inversion", denoiser, x0, grid, options, {
    grid: "time",
    query: "eps",
    options: [],
  });
  const s = run.schedule, pts = run.points, n = pts.length - 1;
  return await run.use(async () => {
    const cur = await run.start(x0);
    const x0Hat = run.alloc();
    for (let k = 0; k < n; k++) {
      const from = pts[n - k]!, to = pts[n - k - 1]!;
      await run.denoise(cur, from, x0Hat);
      const { cx, c0 } = ddimCoefficients(s, from.t, to.t, 0);
      await run.lc(cur, [[cx, cur], [c0, x0Hat]]);
      await run.endStep(k, cur, x0Hat, { t: from.t, tNext: to.t });
    }
    return run.finish(cur, pts[0]!.t);
  });
}

/** Options of {@linkcode editFriendlyInversion} and {@linkcode dpmEncoder}. */
export interface NoiseInversionOptions extends SamplerOptions {
  /**
   * Stochasticity η ∈ (0, 1] of the DDIM sampler that will replay the noise
   * (default 1: ancestral DDPM with the posterior variance).
   */
  eta?: number;
}

/** The latent of a stochastic sampler: start point and per-step noise. */
export interface NoiseInversionResult {
  /** The state at grid[0] (a new array on the backend of x₀). */
  xT: DeviceArray;
  /**
   * The states x_{t_i} the noise maps lead through, i = 0 … N−1 (whole
   * batch, float64): `states[0]` is x_T; the sampler replaying the maps
   * passes through each of them.
   */
  states: Float64Array[];
  /** The noise map z_i of step i (grid[i] → grid[i+1]), whole batch, float64. */
  noiseMaps: Float64Array[];
  /** Replays `noiseMaps` (draw i → z_i) for {@linkcode ddim} with the same η. */
  noise: NoiseSource;
  /** The η the maps belong to. */
  eta: number;
  /** Number of model evaluations (N). */
  nfe: number;
  /** Times of the model calls. */
  modelTimes: number[];
}

/**
 * Edit-friendly DDPM noise inversion (Huberman-Spiegelglas et al.
 * 2304.06140, Alg. 1 on any schedule and grid): independent noisings
 * `x_{t_i} = α_i x₀ + σ_i ε̃_i` (ε̃_i = the run's noise draw i, i < N;
 * `x_{t_N} = x₀`), and `z_i = (x_{t_{i+1}} − c_x x_{t_i} − c_0 x̂₀(x_{t_i})) / σ̃_i`
 * with DDIM(η)'s coefficients. NFE = N.
 *
 * @param denoiser the model (with the source conditioning, if any)
 * @param x0 the batch at the grid's last time (not modified)
 * @param grid the sampling grid: decreasing schedule times
 * @param options η, the noise source or key of the ε̃ draws, and the common options
 * @returns x_T, the noise maps and their replay source
 * @throws {SdenoRangeError} for a bad grid or η outside (0, 1]
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example DDPM driven by the inverted noise reproduces its input
 * ```ts
 * import { editFriendlyInversion } from "./inversion.ts";
 * import { ddim } from "./ddim.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.5]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 10);
 * const inv = await editFriendlyInversion(gm, b.upload([0.3, -2]), grid);
 * const back = await ddim(gm, inv.xT, grid, { eta: 1, noise: inv.noise });
 * const x = await b.download(back.x);
 * assert.ok(Math.abs(x[0]! - 0.3) < 1e-12 && Math.abs(x[1]! + 2) < 1e-12);
 * ```
 */
export async function editFriendlyInversion(
  denoiser: Denoiser,
  x0: DeviceArray,
  grid: ArrayLike<number>,
  options: NoiseInversionOptions = {},
): Promise<NoiseInversionResult> {
  return await invertNoise("edit-friendly inversion", denoiser, x0, grid, options, "independent");
}

/**
 * The DPM-Encoder of CycleDiffusion (Wu & De la Torre 2210.05559, §3.2):
 * a chain from the forward posterior given x₀ — `x_{t_0} = α_0 x₀ + σ_0 ξ_0`,
 * `x_{t_{i+1}} = c_x x_{t_i} + c_0 x₀ + σ̃_i ξ_{i+1}` (DDIM(η)'s step with the
 * true x₀; ξ the run's noise draws), `x_{t_N} = x₀` — and the noise that
 * makes the sampler follow it, `z_i = ξ_{i+1} + c_0 (x₀ − x̂₀(x_{t_i}))/σ̃_i`
 * (computed as in {@linkcode editFriendlyInversion}). NFE = N.
 *
 * @param denoiser the model (with the source conditioning, if any)
 * @param x0 the batch at the grid's last time (not modified)
 * @param grid the sampling grid: decreasing schedule times
 * @param options η, the noise source or key of the ξ draws, and the common options
 * @returns x_T, the noise maps and their replay source
 * @throws {SdenoRangeError} for a bad grid or η outside (0, 1]
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example Re-sampling the encoded latent reconstructs x₀
 * ```ts
 * import { dpmEncoder } from "./inversion.ts";
 * import { ddim } from "./ddim.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.5]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 10);
 * const enc = await dpmEncoder(gm, b.upload([0.3]), grid, { eta: 0.5 });
 * const back = await ddim(gm, enc.xT, grid, { eta: 0.5, noise: enc.noise });
 * assert.ok(Math.abs((await b.download(back.x))[0]! - 0.3) < 1e-12);
 * ```
 */
export async function dpmEncoder(
  denoiser: Denoiser,
  x0: DeviceArray,
  grid: ArrayLike<number>,
  options: NoiseInversionOptions = {},
): Promise<NoiseInversionResult> {
  return await invertNoise("DPM-Encoder", denoiser, x0, grid, options, "posterior");
}

/**
 * A noise source that replays stored noise maps: draw i is `maps[i]`,
 * elements from `call.offset − offset` (so a shard of the batch, with its
 * `pathOffset`, gets its own rows).
 *
 * @param maps one whole-batch array per draw
 * @param offset flat element index of `maps[i][0]` in the run (default 0;
 *   `pathOffset · dim` of the inversion that made them)
 * @returns the source
 * @throws {SdenoTypeError} when maps is not a list of arrays of one length
 *
 * @example
 * ```ts
 * import { replayNoise } from "./inversion.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const src = replayNoise([new Float64Array([1, 2, 3])]);
 * const out = b.zeros(2);
 * await src.sample(out, { index: 0, from: 1, to: 0.5, offset: 1 });
 * assert.deepEqual([...await b.download(out)], [2, 3]);
 * await assert.rejects(() => src.sample(out, { index: 1, from: 0.5, to: 0, offset: 0 }), RangeError);
 * ```
 */
export function replayNoise(maps: readonly ArrayLike<number>[], offset = 0): NoiseSource {
  const what = "Cannot replay noise maps";
  if (!Array.isArray(maps) || maps.length === 0) {
    throw new SdenoTypeError(
      `${what}: maps must be a non-empty list of arrays, got ${quote(maps)}`,
    );
  }
  const len = maps[0]?.length;
  if (maps.some((m) => typeof m?.length !== "number" || m.length !== len)) {
    throw new SdenoTypeError(`${what}: every map must be an array of length ${quote(len)}`);
  }
  const stored = maps.map((m) => Float64Array.from(m));
  return Object.freeze({
    async sample(out: DeviceArray, call: NoiseCall): Promise<void> {
      const m = stored[call.index];
      const start = call.offset - offset;
      if (m === undefined) {
        throw new SdenoRangeError(
          `${what}: the sampler asks for draw ${call.index}, but ${stored.length} maps were ` +
            `stored (use the grid and η of the inversion)`,
        );
      }
      if (start < 0 || start + out.length > m.length) {
        throw new SdenoRangeError(
          `${what}: elements [${call.offset}, ${call.offset + out.length}) are outside the ` +
            `stored [${offset}, ${offset + m.length})`,
        );
      }
      const z = m.subarray(start, start + out.length);
      if (out instanceof CpuArray) out.data.set(z);
      else await out.backend.write(out, z);
    },
  });
}

/** What {@linkcode skipSteps} returns: a shorter run that resumes an inversion. */
export interface ResumedInversion {
  /** The state at `grid[skip]` (host float64, whole batch). */
  x: Float64Array;
  /** The grid from `grid[skip]` on. */
  grid: number[];
  /** Replays the noise maps of steps skip, skip + 1, … as draws 0, 1, …. */
  noise: NoiseSource;
}

/**
 * Starts the replay of a stochastic inversion `skip` steps late, at
 * `x_{t_skip}` (Huberman-Spiegelglas et al. 2304.06140, §4: editing from
 * T − T_skip keeps more of the input's structure). Sampling with
 * {@linkcode ddim} (the inversion's η) from `x` along `grid` with `noise`
 * reproduces x₀ under the source model.
 *
 * @param inversion the result of {@linkcode editFriendlyInversion} or {@linkcode dpmEncoder}
 * @param grid the grid of the inversion
 * @param skip steps to skip, in [0, N − 1]
 * @param offset flat element index of the maps' first element (`pathOffset · dim`; default 0)
 * @returns the start state, the remaining grid and the replay source
 * @throws {SdenoRangeError} when skip is out of range or the grid does not fit the inversion
 *
 * @example
 * ```ts
 * import { editFriendlyInversion, skipSteps } from "./inversion.ts";
 * import { ddim } from "./ddim.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.5]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 10);
 * const inv = await editFriendlyInversion(gm, b.upload([0.3]), grid);
 * const late = skipSteps(inv, grid, 6);
 * const r = await ddim(gm, b.upload(late.x), late.grid, { eta: 1, noise: late.noise });
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 0.3) < 1e-12);
 * ```
 */
export function skipSteps(
  inversion: NoiseInversionResult,
  grid: ArrayLike<number>,
  skip: number,
  offset = 0,
): ResumedInversion {
  const what = "Cannot resume the inversion";
  const n = inversion?.noiseMaps?.length;
  if (typeof n !== "number" || grid?.length !== n + 1) {
    throw new SdenoRangeError(
      `${what}: the grid has ${quote(grid?.length)} points, the inversion ${quote(n)} steps`,
    );
  }
  if (!Number.isInteger(skip) || skip < 0 || skip >= n) {
    throw new SdenoRangeError(
      `${what}: skip must be an integer in [0, ${n - 1}], got ${quote(skip)}`,
    );
  }
  return {
    x: Float64Array.from(inversion.states[skip]!),
    grid: Array.from(grid).slice(skip),
    noise: replayNoise(inversion.noiseMaps.slice(skip), offset),
  };
}

type Chain = "independent" | "posterior";

async function invertNoise(
  name: string,
  denoiser: Denoiser,
  x0: DeviceArray,
  grid: ArrayLike<number>,
  options: NoiseInversionOptions,
  chain: Chain,
): Promise<NoiseInversionResult> {
  const run = new SampleRun(name, denoiser, x0, grid, options, {
    grid: "time",
    query: "eps",
    options: ["eta"],
  });
  const eta = checkEta(run.what, options.eta ?? 1);
  const s = run.schedule, pts = run.points, n = pts.length - 1, b = run.backend;
  return await run.use(async () => {
    const data = await run.start(x0);
    const cur = run.alloc(), next = run.alloc(), x0Hat = run.alloc(), xi = run.alloc();
    // x_{t_0}: the marginal draw α_0 x₀ + σ_0 ε̃_0 (both chains)
    await run.drawNoise(xi, { from: pts[0]!.t, to: pts[0]!.t });
    await run.lc(cur, [[pts[0]!.alpha, data], [pts[0]!.sigma, xi]]);
    const xT = run.keep(await run.copy(cur));
    const noiseMaps: Float64Array[] = [], states: Float64Array[] = [];
    for (let i = 0; i < n; i++) {
      const from = pts[i]!, to = pts[i + 1]!;
      const { cx, c0, std } = ddimCoefficients(s, from.t, to.t, eta);
      states.push(Float64Array.from(await b.download(cur)));
      if (i === n - 1) await run.lc(next, [[1, data]]);
      else {
        await run.drawNoise(xi, { from: from.t, to: to.t });
        if (chain === "independent") await run.lc(next, [[to.alpha, data], [to.sigma, xi]]);
        else await run.lc(next, [[cx, cur], [c0, data], [std, xi]]);
      }
      await run.denoise(cur, from, x0Hat);
      // z_i = (x_{t_{i+1}} − c_x x_{t_i} − c_0 x̂₀) / σ̃_i, into xi
      await run.lc(xi, [[1 / std, next], [-cx / std, cur], [-c0 / std, x0Hat]]);
      await run.checkFinite(xi, { step: i, time: from.t, quantity: "the noise map" });
      noiseMaps.push(Float64Array.from(await b.download(xi)));
      await run.lc(cur, [[1, next]]);
      await run.endStep(i, cur, x0Hat);
    }
    return {
      xT,
      noiseMaps,
      states,
      noise: replayNoise(noiseMaps, run.noise.pathOffset * run.dim),
      eta,
      nfe: run.nfe,
      modelTimes: run.modelTimes,
    };
  });
}
