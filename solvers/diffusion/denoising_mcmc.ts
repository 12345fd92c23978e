/**
 * Denoising MCMC (Kim & Ye, "Denoising MCMC for Accelerating
 * Diffusion-Based Generative Models", 2209.14593): an MCMC over the product
 * space of data and noise level, whose target is
 *
 * ```
 * π(x̃, k) ∝ ρ_k · p̃_{σ̃_k}(x̃),     p̃_σ̃ = p_data ∗ N(0, σ̃² I),  x̃ = x/α,  σ̃ = σ/α
 * ```
 *
 * (§3, eq. 6: the joint of a noise-level prior ρ and the noised marginals),
 * followed by a reverse diffusion solver from each chain's (x, t) (§3.2: the
 * MCMC gives the solver a start close to the data). The x̃ conditional is a
 * Langevin step with the model's score, the noise-level conditional a Gibbs
 * draw over a grid of M noise levels (a "Langevin–Gibbs" sweep, §3.1):
 *
 * - x̃ | k: unadjusted Langevin, `x̃ ← x̃ + δ s̃ + sqrt(2δ) ξ` with the score
 *   `s̃ = −ε̂(α_k x̃, t_k)/σ̃_k` and step `δ = c σ̃_k²` (annealed-Langevin
 *   scaling, Song & Ermon 2019).
 * - k | x̃: `P(k | x̃) ∝ ρ_k p̃_{σ̃_k}(x̃)`. The log-density differences between
 *   levels come from the heat equation `∂_{σ̃²} p̃ = ½ Δp̃`, which gives, in
 *   u = log σ̃ = −λ,
 *
 *   ```
 *   ∂_u log p̃_σ̃(x̃) = σ̃² (∇·s̃ + |s̃|²) = |ε̂|² − α σ̃ tr(∂ε̂/∂x),
 *   ```
 *
 *   integrated across the levels by the trapezoid rule (trace by d exact
 *   vector-Jacobian products, so the model needs a `vjp`).
 *
 * The paper moves t by a Langevin step along a learned noise-level gradient
 * on per-sample times. sdeno's `Denoiser` takes one time per call, so here t
 * lives on a level grid and is drawn from its full conditional instead: one
 * model call per occupied level for the x̃ step and M (plus M·d vjp) calls
 * for the level draw, each over all chains.
 *
 * @module
 */

import type { Backend, DeviceArray, Key } from "../../kernels/mod.ts";
import {
  checkInteger,
  checkKey,
  NumericalError,
  PHILOX_PURPOSES,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/mod.ts";
import { type Conditioning, type Denoiser, predictAs, vjpAs } from "../../models/denoiser.ts";
import type { DiffusionMethod } from "./diffusion_method.ts";
import { timeGrid, type TimeGridKind } from "./time_grids.ts";
import type { SamplerOptions } from "./types.ts";

// The MCMC's Philox draws: a purpose word of its own, so the chains never share a counter with
// the reverse solver that follows them.
const PURPOSE = PHILOX_PURPOSES.denoisingMcmc;

/** Options of {@linkcode denoisingMcmc}. */
export interface DenoisingMcmcOptions {
  /** Number of independent chains n (required). */
  chains: number;
  /** Langevin–Gibbs sweeps (default 50). */
  sweeps?: number;
  /**
   * The noise levels: decreasing schedule times, at least 2 (default: 32
   * levels uniform in log-SNR from the schedule's tMax to the default tEnd
   * of `timeGrid`).
   */
  times?: ArrayLike<number>;
  /** The noise-level prior ρ_k, one positive weight per level (default uniform). */
  levelWeights?: ArrayLike<number>;
  /** Langevin step as a fraction c of σ̃_k²: δ = c σ̃_k² (default 0.05). */
  xStep?: number;
  /**
   * Langevin steps on x̃ per sweep (default 5: a step contracts x̃ by ≈ 1 − c
   * towards the data, so chains started at the top level need ~ln(σ̃_max/σ̃_min)/c
   * steps to come down; the level draws cost far more than these steps).
   */
  langevinSteps?: number;
  /** The Philox key of the chains' draws (default seed 0, stream 0). */
  key?: Key;
  /** Global index of the first chain (default 0): a shard draws the whole run's numbers. */
  pathOffset?: number;
  /** Conditioning of every model call. */
  conditioning?: Conditioning;
  /** Called after every sweep with the chains' level indices. */
  onSweep?: (info: { sweep: number; level: Int32Array }) => void | Promise<void>;
}

/** The chains' final states. */
export interface DenoisingMcmcResult {
  /** The chains' x in the schedule's variables at their time, `x = α_k x̃` (n × d). */
  x: Float64Array;
  /** Each chain's level index into `times`. */
  level: Int32Array;
  /** The levels' schedule times (decreasing). */
  times: number[];
  /** Number of model predictions. */
  nfe: number;
  /** Number of vector-Jacobian products. */
  vjps: number;
}

/**
 * Runs n Langevin–Gibbs chains of denoising MCMC (module doc). Chains start
 * at the highest level with `x̃ = σ̃_0 ξ`. Each sweep: `langevinSteps`
 * Langevin steps on x̃ at the chain's level, then a Gibbs draw of the level.
 * Chains are independent and keyed by their global index, so the result
 * does not depend on batching.
 *
 * @param denoiser the model (needs a `vjp`)
 * @param backend where the model runs
 * @param options chains, sweeps, levels and their prior, step, key
 * @returns the chains' x (schedule variables) and levels
 * @throws {SdenoTypeError} for a model without `vjp` or a bad option type
 * @throws {SdenoRangeError} for bad counts, levels, weights or step
 * @throws {NumericalError} when the model gives NaN/Inf
 *
 * @example The chains' levels follow the prior; x̃ | level the noised marginal
 * ```ts
 * import { denoisingMcmc } from "./denoising_mcmc.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, s);
 * const r = await denoisingMcmc(gm, await createBackend("cpu"), { chains: 400, sweeps: 30 });
 * // data N(0, 1): x̃ | k ~ N(0, 1 + σ̃_k²), so x̃²/(1 + σ̃_k²) averages 1
 * let m = 0;
 * for (let i = 0; i < 400; i++) {
 *   const t = r.times[r.level[i]!]!, a = s.alpha(t), st = s.sigma(t) / a;
 *   m += (r.x[i]! / a) ** 2 / (1 + st * st) / 400;
 * }
 * assert.ok(Math.abs(m - 1) < 4 * Math.sqrt(2 / 400));
 * ```
 */
export async function denoisingMcmc(
  denoiser: Denoiser,
  backend: Backend,
  options: DenoisingMcmcOptions,
): Promise<DenoisingMcmcResult> {
  const c = checkMcmc("Cannot run denoising MCMC", denoiser, backend, options);
  const { n, d, m, times, u, logPrior, sweeps, xStep, langevin, key, offset } = c;
  const s = denoiser.schedule, conditioning = options.conditioning;
  const alpha = times.map((t) => s.alpha(t)), sig = u.map(Math.exp);
  const xt = new Float64Array(n * d); // x̃
  const level = new Int32Array(n);
  const xi = new Float64Array(n * d), unif = new Float64Array(n);
  let nfe = 0, vjps = 0;
  const what = "Cannot run denoising MCMC";

  /** ε̂ at level k of the x̃ rows `xs`, as a host array. */
  const epsAt = async (k: number, xs: Float64Array): Promise<Float64Array> => {
    const x = backend.upload(xs.map((v) => v * alpha[k]!));
    const out = backend.zeros(xs.length);
    try {
      await predictAs(denoiser, x, { t: times[k]!, kind: "eps", out, conditioning });
      nfe++;
      return Float64Array.from(await backend.download(out));
    } finally {
      backend.release(x);
      backend.release(out);
    }
  };
  /** g_k(x̃) (module doc) for every chain at level k. */
  const levelGradient = async (k: number): Promise<Float64Array> => {
    const x = backend.upload(xt.map((v) => v * alpha[k]!));
    try {
      const g = await noiseLevelScore(denoiser, x, times[k]!, { conditioning });
      nfe++;
      vjps += d;
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(g[i]!)) {
          throw new NumericalError(
            `${what}: the level gradient is ${g[i]} for chain ${offset + i} at level ${k} ` +
              `(t = ${times[k]})`,
            { step: k, time: times[k]!, index: offset + i },
          );
        }
      }
      return g;
    } finally {
      backend.release(x);
    }
  };

  // start: every chain at the top level with x̃ = σ̃_0 ξ
  await fillNormals(backend, xi, key, 0, offset * d);
  for (let i = 0; i < n * d; i++) xt[i] = sig[0]! * xi[i]!;
  const words = langevin + 1; // Philox step words per sweep (+1 for the start)
  const logW = new Float64Array(m);
  const g = new Array<Float64Array>(m);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    const base = 1 + sweep * words;
    for (let j = 0; j < langevin; j++) {
      await fillNormals(backend, xi, key, base + j, offset * d);
      for (let k = 0; k < m; k++) {
        const rows: number[] = [];
        for (let i = 0; i < n; i++) if (level[i] === k) rows.push(i);
        if (rows.length === 0) continue;
        const xs = new Float64Array(rows.length * d);
        rows.forEach((i, r) => xs.set(xt.subarray(i * d, i * d + d), r * d));
        const e = await epsAt(k, xs);
        const delta = xStep * sig[k]! * sig[k]!, noise = Math.sqrt(2 * delta);
        rows.forEach((i, r) => {
          for (let q = 0; q < d; q++) {
            const score = -e[r * d + q]! / sig[k]!;
            xt[i * d + q] = xt[i * d + q]! + delta * score + noise * xi[i * d + q]!;
          }
        });
      }
    }
    for (let k = 0; k < m; k++) g[k] = await levelGradient(k);
    await fillUniforms(backend, unif, key, base + langevin, offset);
    for (let i = 0; i < n; i++) {
      // log p̃_k(x̃) − log p̃_0(x̃) by the trapezoid rule in u, plus the prior
      let acc = 0, max = -Infinity;
      for (let k = 0; k < m; k++) {
        if (k > 0) acc += 0.5 * (g[k - 1]![i]! + g[k]![i]!) * (u[k]! - u[k - 1]!);
        logW[k] = acc + logPrior[k]!;
        if (logW[k]! > max) max = logW[k]!;
      }
      let total = 0;
      for (let k = 0; k < m; k++) total += logW[k] = Math.exp(logW[k]! - max);
      let target = unif[i]! * total, k = 0;
      while (k < m - 1 && target >= logW[k]!) target -= logW[k++]!;
      level[i] = k;
    }
    if (options.onSweep) await options.onSweep({ sweep, level: level.slice() });
  }
  const x = new Float64Array(n * d);
  for (let i = 0; i < n * d; i++) x[i] = alpha[level[(i / d) | 0]!]! * xt[i]!;
  return { x, level, times: [...times], nfe, vjps };
}

/**
 * The noise-level score `∂_u log p̃_σ̃(x̃)` in u = log σ̃ = −λ, at the points
 * `x` (schedule variables at time t, x̃ = x/α), from the heat equation
 * `∂_{σ̃²} p̃ = ½ Δp̃` (module doc):
 * `σ̃² (∇·s̃ + |s̃|²) = |ε̂|² − α σ̃ tr(∂ε̂/∂x)`, the trace by d exact
 * vector-Jacobian products. One prediction and d vjps.
 *
 * @param denoiser the model (needs a `vjp`)
 * @param x the points (n·d) at time t
 * @param t the time
 * @param options the calls' conditioning
 * @returns one value per point
 * @throws {SdenoTypeError} when the model has no `vjp`
 *
 * @example One Gaussian N(0, v): ∂_u log N(x̃; 0, v + σ̃²) = σ̃² (x̃² − v − σ̃²)/(v + σ̃²)²
 * ```ts
 * import { noiseLevelScore } from "./denoising_mcmc.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const b = await createBackend("cpu");
 * const [g] = await noiseLevelScore(gm, b.upload([3]), 2); // α = 1, σ̃ = 2
 * assert.ok(Math.abs(g! - 4 * (9 - 5) / 25) < 1e-12);
 * ```
 */
export async function noiseLevelScore(
  denoiser: Denoiser,
  x: DeviceArray,
  t: number,
  options: { conditioning?: Conditioning | undefined } = {},
): Promise<Float64Array> {
  if (typeof denoiser?.vjp !== "function") {
    throw new SdenoTypeError(
      "Cannot compute the noise-level score: it needs the model's vector-Jacobian product, and " +
        "this denoiser has no vjp",
    );
  }
  const b = x.backend, d = denoiser.dim, n = x.length / d, s = denoiser.schedule;
  const conditioning = options.conditioning;
  const eps = b.zeros(x.length), v = b.zeros(x.length), out = b.zeros(x.length);
  try {
    await predictAs(denoiser, x, { t, kind: "eps", out: eps, conditioning });
    const e = await b.download(eps);
    const g = new Float64Array(n);
    for (let i = 0; i < n * d; i++) g[(i / d) | 0] = g[(i / d) | 0]! + e[i]! * e[i]!;
    const f = s.sigma(t); // α σ̃ = σ
    const basis = new Float64Array(n * d);
    for (let j = 0; j < d; j++) {
      basis.fill(0);
      for (let i = 0; i < n; i++) basis[i * d + j] = 1;
      await b.write(v, basis);
      await vjpAs(denoiser, x, { t, kind: "eps", v, out, conditioning });
      const jt = await b.download(out);
      for (let i = 0; i < n; i++) g[i] = g[i]! - f * jt[i * d + j]!;
    }
    return g;
  } finally {
    for (const a of [eps, v, out]) b.release(a);
  }
}

/** Options of {@linkcode denoisingMcmcSample}: the chain's, and the reverse solver's. */
export interface DenoisingMcmcSampleOptions extends DenoisingMcmcOptions {
  /** The reverse solver (any registry method whose grid is schedule times or σ grids in time). */
  method: DiffusionMethod;
  /** Steps of each reverse solve (default 20). */
  steps?: number;
  /** Where the solves end (default: `timeGrid`'s default tEnd). */
  tEnd?: number;
  /** Spacing of each solve's grid (default "logSNR"). */
  gridKind?: TimeGridKind;
  /**
   * The solver's own options (default key: the chains' seed on the next
   * stream, so solver noise never reuses an MCMC draw).
   */
  solverOptions?: SamplerOptions & Record<string, unknown>;
}

/** What {@linkcode denoisingMcmcSample} returns. */
export interface DenoisingMcmcSampleResult {
  /** The samples at tEnd (n × d, host float64). */
  x: Float64Array;
  /** The chains before the solves. */
  chains: DenoisingMcmcResult;
  /** Model evaluations of the solves. */
  solverNfe: number;
}

/**
 * Denoising MCMC followed by a reverse solver (Kim & Ye 2209.14593, §3.2):
 * the chains of {@linkcode denoisingMcmc}, then, for each level, one run of
 * `method` on all chains at that level along a grid of `steps` intervals
 * from the level's time to `tEnd`. Solver noise is keyed per level (stream
 * `key.stream + 1`, path offset = the chains' rank within the level), so a
 * stochastic solver's rows depend on which chains share a level.
 *
 * @param denoiser the model (needs a `vjp` for the chains)
 * @param backend where the model runs
 * @param options the chain's options, the method, its steps, tEnd and options
 * @returns the samples, the chains and the solver NFE
 * @throws {SdenoTypeError} for a bad method or solver options
 * @throws {SdenoRangeError} for bad steps or tEnd (and the chain's errors)
 *
 * @example MCMC then DDIM reaches the data
 * ```ts
 * import { denoisingMcmcSample } from "./denoising_mcmc.ts";
 * import { ddimMethod } from "./ddim.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[3]], variances: [[0.01]] }, s);
 * const b = await createBackend("cpu");
 * const r = await denoisingMcmcSample(gm, b, { chains: 50, sweeps: 10, method: ddimMethod });
 * assert.ok(r.x.every((v) => Math.abs(v - 3) < 0.6));
 * ```
 */
export async function denoisingMcmcSample(
  denoiser: Denoiser,
  backend: Backend,
  options: DenoisingMcmcSampleOptions,
): Promise<DenoisingMcmcSampleResult> {
  const what = "Cannot sample with denoising MCMC";
  const method = options?.method;
  if (
    method === null || typeof method !== "object" || typeof method.sample !== "function" ||
    method.info?.family !== "diffusion"
  ) {
    throw new SdenoTypeError(`${what}: method must be a diffusion method, got ${quote(method)}`);
  }
  const steps = checkInteger(what, "steps", options.steps ?? 20, 1);
  const s = denoiser.schedule;
  const probe = timeGrid(s, 1, options.tEnd !== undefined ? { tEnd: options.tEnd } : {});
  const tEnd = probe[1]!;
  const { method: _m, steps: _s, tEnd: _t, gridKind, solverOptions, ...mcmc } = options;
  const chains = await denoisingMcmc(denoiser, backend, mcmc);
  const d = denoiser.dim, n = chains.level.length;
  const key = mcmc.key ?? { seed: 0, stream: 0 };
  const out = new Float64Array(n * d);
  let solverNfe = 0;
  for (let k = 0; k < chains.times.length; k++) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (chains.level[i] === k) rows.push(i);
    if (rows.length === 0) continue;
    const xs = new Float64Array(rows.length * d);
    rows.forEach((i, r) => xs.set(chains.x.subarray(i * d, i * d + d), r * d));
    const t = chains.times[k]!;
    let result: Float64Array;
    if (t <= tEnd * (1 + 1e-12)) {
      // already at (or below) the end: rescale to tEnd's α (x̃ is the same)
      result = xs.map((v) => v * s.alpha(tEnd) / s.alpha(t));
    } else {
      const grid = timeGrid(s, steps, { tStart: t, tEnd, kind: gridKind ?? "logSNR" });
      const x = backend.upload(xs);
      const r = await method.sample(denoiser, x, grid, {
        key: { seed: key.seed, stream: (key.stream + 1) >>> 0 },
        ...(options.conditioning !== undefined ? { conditioning: options.conditioning } : {}),
        ...solverOptions,
      });
      solverNfe += r.nfe;
      result = Float64Array.from(await backend.download(r.x));
      backend.release(x);
      backend.release(r.x);
    }
    rows.forEach((i, r) => out.set(result.subarray(r * d, r * d + d), i * d));
  }
  return { x: out, chains, solverNfe };
}

interface CheckedMcmc {
  n: number;
  d: number;
  m: number;
  times: number[];
  u: number[];
  logPrior: number[];
  sweeps: number;
  xStep: number;
  langevin: number;
  key: Key;
  offset: number;
}

function checkMcmc(
  what: string,
  denoiser: Denoiser,
  backend: Backend,
  options: DenoisingMcmcOptions,
): CheckedMcmc {
  if (denoiser === null || typeof denoiser !== "object" || typeof denoiser.predict !== "function") {
    throw new SdenoTypeError(
      `${what}: denoiser must have a predict method, got ${quote(denoiser)}`,
    );
  }
  if (typeof denoiser.vjp !== "function") {
    throw new SdenoTypeError(
      `${what}: the noise-level draw needs the model's vector-Jacobian product, and this ` +
        `denoiser has no vjp`,
    );
  }
  if (backend === null || typeof backend !== "object" || typeof backend.upload !== "function") {
    throw new SdenoTypeError(`${what}: backend must be a Backend, got ${quote(backend)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const n = checkInteger(what, "chains", options.chains, 1);
  const sweeps = checkInteger(what, "sweeps", options.sweeps ?? 50, 1);
  const langevin = checkInteger(what, "langevinSteps", options.langevinSteps ?? 5, 0);
  const xStep = options.xStep ?? 0.05;
  if (typeof xStep !== "number" || !(xStep > 0) || !Number.isFinite(xStep)) {
    throw new SdenoRangeError(`${what}: xStep must be positive and finite, got ${quote(xStep)}`);
  }
  const s = denoiser.schedule;
  const times = options.times === undefined
    ? timeGrid(s, 31, { kind: "logSNR" })
    : timeGrid(s, options.times);
  const m = times.length;
  if (m < 2) {
    throw new SdenoRangeError(`${what}: times must hold at least 2 levels, got ${quote(times)}`);
  }
  const w = options.levelWeights ?? new Array<number>(m).fill(1);
  if (
    typeof w?.length !== "number" || w.length !== m ||
    !Array.from(w).every((v) => typeof v === "number" && v > 0 && Number.isFinite(v))
  ) {
    throw new SdenoRangeError(
      `${what}: levelWeights must be ${m} positive finite numbers (one per level), got ${quote(w)}`,
    );
  }
  const key = options.key ?? { seed: 0, stream: 0 };
  checkKey(what, key);
  const offset = checkInteger(what, "pathOffset", options.pathOffset ?? 0, 0);
  if (options.onSweep !== undefined && typeof options.onSweep !== "function") {
    throw new SdenoTypeError(`${what}: onSweep must be a function, got ${quote(options.onSweep)}`);
  }
  return {
    n,
    d: denoiser.dim,
    m,
    times,
    u: times.map((t) => -s.logSnr(t)),
    logPrior: Array.from(w, Math.log),
    sweeps,
    xStep,
    langevin,
    key,
    offset,
  };
}

async function fillNormals(
  backend: Backend,
  out: Float64Array,
  key: Key,
  step: number,
  offset: number,
): Promise<void> {
  const a = backend.zeros(out.length);
  await backend.fillNormal(a, key, { step, purpose: PURPOSE, offset });
  out.set(await backend.download(a));
  backend.release(a);
}

async function fillUniforms(
  backend: Backend,
  out: Float64Array,
  key: Key,
  step: number,
  offset: number,
): Promise<void> {
  const a = backend.zeros(out.length);
  await backend.fillUniform(a, key, { step, purpose: PURPOSE, offset });
  out.set(await backend.download(a));
  backend.release(a);
}
