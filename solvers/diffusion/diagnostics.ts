/**
 * Diagnostics of diffusion samplers and score models:
 *
 * - {@linkcode x0TrajectoryVariance}: the hallucination score of Aithal et
 *   al. ("Understanding Hallucinations in Diffusion Models through Mode
 *   Interpolation", 2406.09358, §5): the variance of the data prediction x̂₀
 *   along the reverse trajectory, over the steps in a window of noise
 *   levels; samples that end between modes keep changing their x̂₀ late,
 *   samples at a mode do not. Rank it with `mannWhitneyAuc`
 *   (stats/diffusion_diagnostics.ts).
 * - {@linkcode odeSdeGap}: the sliced Wasserstein distance between the
 *   outputs of a deterministic (probability-flow ODE) and a stochastic
 *   sampler from the same starting points: both target the same marginals,
 *   so the gap measures discretisation and score error in distribution.
 * - {@linkcode fokkerPlanckResidual}: the residual of the score form of the
 *   Fokker–Planck equation of the forward SDE `dx = f(t) x dt + g(t) dW`
 *   (Lai et al., "FP-Diffusion", ICML 2023, eq. 5): the marginal density
 *   implied by a score s = ∇ log p_t obeys
 *
 *   ```
 *   ∂_t log p = −d f − f x·s + ½ g² (∇·s + |s|²)
 *   ⇒ ∂_t s = ∇[ ½ g² (∇·s + |s|²) − f x·s ]
 *   ```
 *
 *   (the gradient of ∂_t p = −∇·(f p) + ½ g² Δp divided by p). The
 *   residual `∂_t s − ∇[…]` vanishes for an exact score and not for a
 *   perturbed one; it is computed by central differences (x step h, t step
 *   τ), so for an exact score it is O(h² + τ²).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/mod.ts";
import { type Conditioning, type Denoiser, predictAs } from "../../models/denoiser.ts";
import { slicedWasserstein } from "../../stats/sliced_wasserstein.ts";
import type { DiffusionMethod } from "./diffusion_method.ts";
import type { DiffusionStepInfo, SamplerOptions } from "./types.ts";

/** Options of {@linkcode x0TrajectoryVariance}. */
export interface X0TrajectoryVarianceOptions {
  /** Dimension of one point. */
  dim: number;
  /**
   * Only steps whose start time t has σ(t)/α(t) in `[lo, hi]` count
   * (default: every step). Needs `schedule`.
   */
  window?: readonly [number, number];
  /** The schedule that maps step times to σ/α (needed with `window`). */
  schedule?: { alpha(t: number): number; sigma(t: number): number };
}

/** A recorder of x̂₀ trajectories: pass `onStep` to a sampler, then read `scores()`. */
export interface X0TrajectoryVariance {
  /** The sampler callback (uses `info.x0Hat`; steps without one are skipped). */
  onStep(info: DiffusionStepInfo): Promise<void>;
  /** Per point: the variance of x̂₀ over the recorded steps, averaged over the d coordinates. */
  scores(): Float64Array;
  /** Number of steps recorded so far. */
  readonly steps: number;
}

/**
 * Records each point's x̂₀ along a reverse run and gives its trajectory
 * variance (Welford's running mean and sum of squares, unbiased variance
 * over the recorded steps, mean over coordinates).
 *
 * @param options dimension, σ/α window and schedule
 * @returns the recorder
 * @throws {SdenoRangeError} for a bad dim or window
 * @throws {SdenoTypeError} for a window without a schedule
 *
 * @example A point whose x̂₀ moves has a positive score
 * ```ts
 * import { x0TrajectoryVariance } from "./diagnostics.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const rec = x0TrajectoryVariance({ dim: 1 });
 * for (const [i, v] of [[0, 1], [1, 3]] as const) {
 *   await rec.onStep({ step: i, t: 1 - i / 2, tNext: 0.5 - i / 2, x: b.upload([0, 0]), x0Hat: b.upload([v, 2]) });
 * }
 * assert.deepEqual([...rec.scores()], [2, 0]); // var(1, 3) = 2, var(2, 2) = 0
 * ```
 */
export function x0TrajectoryVariance(options: X0TrajectoryVarianceOptions): X0TrajectoryVariance {
  const what = "Cannot record x̂₀ trajectories";
  const d = options?.dim;
  if (!Number.isInteger(d) || d < 1) {
    throw new SdenoRangeError(`${what}: dim must be a positive integer, got ${quote(d)}`);
  }
  const w = options.window;
  if (w !== undefined) {
    if (!Array.isArray(w) || w.length !== 2 || !(w[0] >= 0 && w[1] >= w[0])) {
      throw new SdenoRangeError(
        `${what}: window must be [lo, hi] with 0 ≤ lo ≤ hi, got ${quote(w)}`,
      );
    }
    if (options.schedule === undefined) {
      throw new SdenoTypeError(`${what}: a window needs the schedule (to read σ/α at each step)`);
    }
  }
  let mean: Float64Array | undefined, m2: Float64Array | undefined, count = 0;
  return {
    async onStep(info: DiffusionStepInfo): Promise<void> {
      if (info.x0Hat === undefined) return;
      if (w !== undefined) {
        const s = options.schedule!;
        const level = s.sigma(info.t) / s.alpha(info.t);
        if (level < w[0] || level > w[1]) return;
      }
      const x = await info.x0Hat.backend.download(info.x0Hat);
      mean ??= new Float64Array(x.length);
      m2 ??= new Float64Array(x.length);
      if (x.length !== mean.length) {
        throw new SdenoRangeError(
          `${what}: x̂₀ has ${x.length} elements at step ${info.step}, ${mean.length} before`,
        );
      }
      count++;
      for (let i = 0; i < x.length; i++) {
        const delta = x[i]! - mean[i]!;
        mean[i] = mean[i]! + delta / count;
        m2[i] = m2[i]! + delta * (x[i]! - mean[i]!);
      }
    },
    scores(): Float64Array {
      if (m2 === undefined || count < 2) {
        throw new SdenoRangeError(`${what}: ${count} steps recorded, at least 2 are needed`);
      }
      const n = m2.length / d, out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < d; j++) sum += m2[i * d + j]!;
        out[i] = sum / (d * (count - 1));
      }
      return out;
    },
    get steps() {
      return count;
    },
  };
}

/** Options of {@linkcode odeSdeGap}. */
export interface OdeSdeGapOptions {
  /** The deterministic sampler (e.g. DPM-Solver++, DDIM η = 0). */
  ode: DiffusionMethod;
  /** The stochastic sampler (e.g. DDPM, SDE-DPM-Solver++). */
  sde: DiffusionMethod;
  /** The stochastic sampler's grid (default: the same grid). */
  sdeGrid?: ArrayLike<number>;
  /** Options of the ODE sampler. */
  odeOptions?: SamplerOptions & Record<string, unknown>;
  /** Options of the SDE sampler (its key, η, …). */
  sdeOptions?: SamplerOptions & Record<string, unknown>;
  /** Random directions of the sliced Wasserstein-2 distance (default 64). */
  numDirections?: number;
  /** Seed of the directions (default 0). */
  seed?: number;
}

/** What {@linkcode odeSdeGap} returns. */
export interface OdeSdeGapResult {
  /** SW₂ between the two output clouds. */
  distance: number;
  /** The ODE sampler's output (host float64). */
  ode: Float64Array;
  /** The SDE sampler's output (host float64). */
  sde: Float64Array;
}

/**
 * The ODE–SDE gap: runs both samplers from `x` and returns the sliced
 * Wasserstein-2 distance between their outputs (as distributions: the
 * points are not paired).
 *
 * @param denoiser the model
 * @param x the starting batch
 * @param grid the ODE sampler's grid (and the SDE's unless `sdeGrid`)
 * @param options the two methods, their options, the SW directions
 * @returns the distance and both outputs
 * @throws {SdenoTypeError} when `ode` or `sde` is not a diffusion method
 *
 * @example Exact model: the gap of a fine run is at the sampling-noise level
 * ```ts
 * import { odeSdeGap } from "./diagnostics.ts";
 * import { ddimMethod } from "./ddim.ts";
 * import { ddpmMethod } from "./ddpm.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.25]] }, s);
 * const b = await createBackend("cpu");
 * const x = b.zeros(2000);
 * await b.fillNormal(x, { seed: 1, stream: 0 });
 * const r = await odeSdeGap(gm, x, timeGrid(s, 100, { kind: "logSNR" }), { ode: ddimMethod, sde: ddpmMethod });
 * assert.ok(r.distance < 0.05); // two samples of N(1, 0.25) of size 2000
 * ```
 */
export async function odeSdeGap(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: OdeSdeGapOptions,
): Promise<OdeSdeGapResult> {
  const what = "Cannot measure the ODE–SDE gap";
  for (const name of ["ode", "sde"] as const) {
    const m = options?.[name];
    if (m === null || typeof m !== "object" || typeof m.sample !== "function") {
      throw new SdenoTypeError(`${what}: ${name} must be a diffusion method, got ${quote(m)}`);
    }
  }
  const b = x.backend;
  const a = await options.ode.sample(denoiser, x, grid, options.odeOptions ?? {});
  const c = await options.sde.sample(
    denoiser,
    x,
    options.sdeGrid ?? grid,
    options.sdeOptions ?? {},
  );
  const ode = Float64Array.from(await b.download(a.x));
  const sde = Float64Array.from(await b.download(c.x));
  b.release(a.x);
  b.release(c.x);
  const distance = slicedWasserstein(ode, sde, {
    d: denoiser.dim,
    numDirections: options.numDirections ?? 64,
    seed: options.seed ?? 0,
  });
  return { distance, ode, sde };
}

/** Options of {@linkcode fokkerPlanckResidual}. */
export interface FokkerPlanckResidualOptions {
  /** Central-difference step in x (default 1e-3 × max(1, σ(t))). */
  h?: number;
  /** Central-difference step in t (default 1e-4 × (tMax − tMin)). */
  tau?: number;
  /** Conditioning of the model calls. */
  conditioning?: Conditioning;
}

/** What {@linkcode fokkerPlanckResidual} returns. */
export interface FokkerPlanckResidualResult {
  /** The residual `∂_t s − ∇[½ g²(∇·s + |s|²) − f x·s]` per point (n × d). */
  residual: Float64Array;
  /** Root mean square of the residual. */
  rms: number;
  /** Root mean square of ∂_t s (the scale the residual is small against). */
  scale: number;
}

/**
 * The residual of the score Fokker–Planck equation (module doc) at the
 * points `x` (host array, n × d) and time t, by central differences of the
 * model's score: `2 + 2d + 4d²` batched model calls on x's backend.
 *
 * @param denoiser the model (its score is `predictAs(…, "score")`)
 * @param x the points, n × d (schedule variables at time t)
 * @param t the time (t ± τ inside the schedule's range)
 * @param options steps h and τ, conditioning
 * @returns the residual, its RMS and the RMS of ∂_t s
 * @throws {SdenoRangeError} for t ± τ outside the schedule, bad steps
 *
 * @example The exact score of a Gaussian satisfies it (O(h² + τ²))
 * ```ts
 * import { fokkerPlanckResidual } from "./diagnostics.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.25]] }, s);
 * const b = await createBackend("cpu");
 * const r = await fokkerPlanckResidual(gm, b.upload([-1, 0, 0.5, 2]), 0.3);
 * assert.ok(r.rms < 1e-5 * r.scale);
 * ```
 */
export async function fokkerPlanckResidual(
  denoiser: Denoiser,
  x: DeviceArray,
  t: number,
  options: FokkerPlanckResidualOptions = {},
): Promise<FokkerPlanckResidualResult> {
  const what = "Cannot compute the Fokker–Planck residual";
  const s = denoiser.schedule, d = denoiser.dim, b = x.backend;
  if (x.length === 0 || x.length % d !== 0) {
    throw new SdenoTypeError(`${what}: x has ${x.length} elements, not whole points of ${d}`);
  }
  const h = options.h ?? 1e-3 * Math.max(1, s.sigma(t));
  const tau = options.tau ?? 1e-4 * (s.tMax - s.tMin);
  for (const [name, v] of [["h", h], ["tau", tau]] as const) {
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
      throw new SdenoRangeError(`${what}: ${name} must be positive and finite, got ${quote(v)}`);
    }
  }
  if (!(t - tau >= s.tMin && t + tau <= s.tMax)) {
    throw new SdenoRangeError(
      `${what}: t ± tau = ${quote([t - tau, t + tau])} must lie in [${s.tMin}, ${s.tMax}]`,
    );
  }
  const base = Float64Array.from(await b.download(x));
  const n = base.length / d;
  const conditioning = options.conditioning;
  /** The score at x + Σ shifts (coordinate → offset), time tt. */
  const score = async (shift: [number, number][], tt = t): Promise<Float64Array> => {
    const y = base.slice();
    for (const [j, off] of shift) for (let i = 0; i < n; i++) y[i * d + j] = y[i * d + j]! + off;
    const xin = b.upload(y), out = b.zeros(y.length);
    try {
      await predictAs(denoiser, xin, { t: tt, kind: "score", out, conditioning });
      return Float64Array.from(await b.download(out));
    } finally {
      b.release(xin);
      b.release(out);
    }
  };
  const f = s.drift(t), g2 = s.diffusion2(t);
  /** Φ(y) = ½ g² (∇·s + |s|²) − f y·s at x shifted by `shift`, per point. */
  const phi = async (shift: [number, number][]): Promise<Float64Array> => {
    const s0 = await score(shift);
    const out = new Float64Array(n);
    for (let m = 0; m < d; m++) {
      const sp = await score([...shift, [m, h]]), sm = await score([...shift, [m, -h]]);
      for (let i = 0; i < n; i++) out[i] = out[i]! + (sp[i * d + m]! - sm[i * d + m]!) / (2 * h);
    }
    for (let i = 0; i < n; i++) {
      let sq = 0, dot = 0;
      for (let j = 0; j < d; j++) {
        const sj = s0[i * d + j]!;
        sq += sj * sj;
        let yj = base[i * d + j]!;
        for (const [k, off] of shift) if (k === j) yj += off;
        dot += yj * sj;
      }
      out[i] = 0.5 * g2 * (out[i]! + sq) - f * dot;
    }
    return out;
  };
  const sPlus = await score([], t + tau), sMinus = await score([], t - tau);
  const residual = new Float64Array(n * d);
  let rr = 0, ss = 0;
  for (let j = 0; j < d; j++) {
    const pp = await phi([[j, h]]), pm = await phi([[j, -h]]);
    for (let i = 0; i < n; i++) {
      const dts = (sPlus[i * d + j]! - sMinus[i * d + j]!) / (2 * tau);
      const r = dts - (pp[i]! - pm[i]!) / (2 * h);
      residual[i * d + j] = r;
      rr += r * r;
      ss += dts * dts;
    }
  }
  return { residual, rms: Math.sqrt(rr / (n * d)), scale: Math.sqrt(ss / (n * d)) };
}
