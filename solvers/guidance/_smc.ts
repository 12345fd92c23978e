// Private helpers shared by the SMC guidance methods (mcgdiff.ts, tds.ts,
// fps_smc.ts): the particle-system layout and its option checks, the
// per-system log-weights with the ESS trace and the resampling decisions,
// keyed host normals, row gathers, the DDIM coefficients of each step, the
// batch loop over whole systems (SmcBatch), and the device side of a state
// held in SVD coordinates (SpectralState).
//
// Layout: a run's `samples` rows are `samples / particles` independent
// particle systems of `particles` rows each, and every row is output (the
// refs' MCGdiff ran 10 systems of 1000 particles and scored all 10000). Row
// r of a run is global particle `pathOffset + r` and belongs to system
// `(pathOffset + r) / particles`; its normals at step k sit at counter
// elements `(pathOffset + r)·d + j`, and its system's resampling uniforms at
// elements `system·particles …` (resampling.ts), so a system draws the same
// numbers whatever batch or shard it runs in.

import type { Backend, DeviceArray } from "../../kernels/backend.ts";
import { NumericalError, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillNormal, type Key } from "../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { predictAs } from "../../models/denoiser.ts";
import type { OperatorSvd } from "../../models/operators/operator.ts";
import { RunContext } from "../run_context.ts";
import type { GuidanceRequest, GuidanceResult } from "./method.ts";
import { alphaBar, ddimCoefficients } from "./vp.ts";
import {
  essFromLogWeights,
  type EssPolicy,
  essPolicy,
  normalizeLogWeights,
  resample,
  resampleUniforms,
  RESAMPLING_SCHEMES,
  type ResamplingScheme,
} from "./resampling.ts";

/** Options every SMC guidance method takes. */
export interface SmcOptions {
  /** Particles per system, N ≥ 1 (default: samples up to 1000, else its largest divisor in [100, 1000]); samples must be a multiple. */
  particles?: number;
  /** Resampling scheme (default per method). */
  resampling?: ResamplingScheme;
  /** Resample when ESS < essThreshold·N; in (0, 1] (default per method). */
  essThreshold?: number;
  /** DDIM η of the reverse kernel, in (0, 1] (default 1: ancestral DDPM). */
  eta?: number;
}

/** The checked layout and settings of an SMC run. */
export interface SmcLayout {
  /** Particles per system. */
  particles: number;
  /** Systems in this run. */
  systems: number;
  /** Global index of the run's first system (pathOffset / particles). */
  firstSystem: number;
  /** Systems per batch. */
  batchSystems: number;
  /** The resampling scheme. */
  scheme: ResamplingScheme;
  /** The ESS policy. */
  policy: EssPolicy;
  /** DDIM η. */
  eta: number;
}

/**
 * The SMC methods' default particle-system size for a run of `samples`:
 * all samples up to 1000, else the largest divisor of the sample count in
 * [100, 1000] (10000 → 1000, 1500 → 750, 4096 → 512), else 1000 (and the
 * caller is told to pick `particles`). A shard of a larger run passes the
 * whole run's size as `particles`, since its own request holds fewer samples.
 *
 * @param samples the whole run's sample count
 * @returns the system size
 *
 * @example
 * ```ts
 * import { smcDefaultParticles } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(smcDefaultParticles(1500), 750);
 * assert.equal(smcDefaultParticles(64), 64);
 * ```
 */
export function smcDefaultParticles(samples: number): number {
  if (samples <= 1000) return samples;
  for (let p = 1000; p >= 100; p--) if (samples % p === 0) return p;
  return 1000;
}

/** Checks the SMC options of a request and lays out its systems. */
export function smcLayout(
  what: string,
  request: GuidanceRequest<unknown>,
  options: Record<string, unknown>,
  defaults: { resampling: ResamplingScheme; essThreshold: number },
): SmcLayout {
  const n = request.samples;
  const particles = options.particles ?? smcDefaultParticles(n);
  if (typeof particles !== "number" || !Number.isInteger(particles) || particles < 1) {
    throw new SdenoRangeError(
      `${what}: options.particles must be an integer ≥ 1, got ${quote(particles)}`,
    );
  }
  if (n % particles !== 0) {
    throw new SdenoRangeError(
      `${what}: samples (${n}) must be a whole number of particle systems of ${particles} ` +
        `(set options.particles to a divisor of samples)`,
    );
  }
  const offset = request.pathOffset ?? 0;
  if (offset % particles !== 0) {
    throw new SdenoRangeError(
      `${what}: pathOffset (${offset}) must be a multiple of particles (${particles}): a shard holds whole particle systems`,
    );
  }
  const batch = request.batch ?? n;
  if (batch % particles !== 0) {
    throw new SdenoRangeError(
      `${what}: batch (${batch}) must be a multiple of particles (${particles}): a batch holds whole particle systems`,
    );
  }
  const scheme = options.resampling ?? defaults.resampling;
  if (!RESAMPLING_SCHEMES.includes(scheme as ResamplingScheme)) {
    throw new SdenoTypeError(
      `${what}: options.resampling must be one of ${RESAMPLING_SCHEMES.join(", ")}, got ${
        quote(scheme)
      }`,
    );
  }
  const threshold = options.essThreshold ?? defaults.essThreshold;
  if (typeof threshold !== "number" || !(threshold > 0 && threshold <= 1)) {
    throw new SdenoRangeError(
      `${what}: options.essThreshold must be a number in (0, 1], got ${quote(threshold)}`,
    );
  }
  const eta = options.eta ?? 1;
  if (typeof eta !== "number" || !(eta > 0 && eta <= 1)) {
    throw new SdenoRangeError(
      `${what}: options.eta must be a number in (0, 1], got ${quote(eta)} ` +
        `(η = 0 makes the step deterministic, c1 = 0, and the SMC proposal void)`,
    );
  }
  return {
    particles,
    systems: n / particles,
    firstSystem: offset / particles,
    batchSystems: Math.min(batch, n) / particles,
    scheme: scheme as ResamplingScheme,
    policy: essPolicy(threshold),
    eta,
  };
}

/**
 * The log-weights of a batch of particle systems, with each system's ESS
 * trace and resampling steps.
 */
export class SystemWeights {
  /** Log-weight of each row (rows of system s are s·N … s·N + N − 1). */
  readonly logW: Float64Array;
  /** ESS of each system at each decision (index = step). */
  readonly ess: Float64Array[];
  /** The steps at which each system resampled. */
  readonly resampledAt: number[][];
  readonly #layout: SmcLayout;
  readonly #first: number;
  readonly #systems: number;
  readonly #key: Key;

  /**
   * @param layout the run's layout
   * @param firstSystem global index of the batch's first system
   * @param systems systems in the batch
   * @param decisions number of resampling decisions (steps + 1)
   * @param key the run's key
   */
  constructor(
    layout: SmcLayout,
    firstSystem: number,
    systems: number,
    decisions: number,
    key: Key,
  ) {
    this.#layout = layout;
    this.#first = firstSystem;
    this.#systems = systems;
    this.#key = key;
    this.logW = new Float64Array(systems * layout.particles);
    this.ess = Array.from({ length: systems }, () => new Float64Array(decisions).fill(NaN));
    this.resampledAt = Array.from({ length: systems }, () => []);
  }

  /**
   * Adds incremental log-weights (one per row).
   *
   * @throws {NumericalError} at the first NaN or +∞ increment, naming the step and row
   */
  add(increment: Float64Array, where: { what: string; step: number; time: number }): void {
    for (let i = 0; i < increment.length; i++) {
      const v = increment[i]!;
      if (Number.isNaN(v) || v === Infinity) {
        throw new NumericalError(
          `${where.what}: a log-weight increment is ${v} at step ${where.step}, time ${where.time}, row ${i}`,
          { step: where.step, time: where.time, index: i },
        );
      }
      this.logW[i] = this.logW[i]! + v;
    }
  }

  /**
   * Records each system's ESS at decision `step` and resamples the systems
   * the policy picks (or, when `final`, every system whose weights are not
   * all equal). Resampled systems get log-weights 0.
   *
   * @returns the ancestor of each row (identity where no resampling), or
   *   undefined when no system resampled
   */
  decide(step: number, final = false): Int32Array | undefined {
    const n = this.#layout.particles;
    let ancestors: Int32Array | undefined;
    for (let s = 0; s < this.#systems; s++) {
      const lw = this.logW.subarray(s * n, (s + 1) * n);
      const ess = essFromLogWeights(lw);
      this.ess[s]![step] = ess;
      const go = final
        ? essPolicy(1).shouldResample(ess, n)
        : this.#layout.policy.shouldResample(ess, n);
      if (!go) continue;
      if (ancestors === undefined) {
        ancestors = Int32Array.from({ length: this.logW.length }, (_, i) => i);
      }
      const { weights } = normalizeLogWeights(lw);
      const u = resampleUniforms(this.#key, { system: this.#first + s, step, particles: n });
      const idx = resample(this.#layout.scheme, weights, u);
      for (let i = 0; i < n; i++) ancestors[s * n + i] = s * n + idx[i]!;
      lw.fill(0);
      this.resampledAt[s]!.push(step);
    }
    return ancestors;
  }
}

/** Rows of `src` (width w) picked by `ancestors`. */
export function gatherRows(
  src: Float64Array,
  width: number,
  ancestors: Int32Array,
): Float64Array<ArrayBuffer> {
  const out = new Float64Array(ancestors.length * width);
  for (let i = 0; i < ancestors.length; i++) {
    const a = ancestors[i]!;
    out.set(src.subarray(a * width, (a + 1) * width), i * width);
  }
  return out;
}

/** Keyed standard normals on the host: element e of the result is the normal at `offset + e`. */
export function hostNormals(
  key: Key,
  length: number,
  at: { step: number; purpose: number; offset: number },
): Float64Array {
  const z = new Float64Array(length);
  fillNormal(z, key, at);
  return z;
}

/** A device array's contents as float64. */
export async function toHost(backend: Backend, a: DeviceArray): Promise<Float64Array> {
  const data = await backend.download(a);
  return data instanceof Float64Array ? data : Float64Array.from(data);
}

/** log N(x; m, v). */
export function logNormal(x: number, m: number, v: number): number {
  const d = x - m;
  return -0.5 * (d * d / v + Math.log(2 * Math.PI * v));
}

/**
 * The DDIM mean `m = √ᾱ_s x̂₀ + c2 ε̂` with `ε̂ = (x_t − √ᾱ_t x̂₀)/√(1 − ᾱ_t)`
 * written as `m = a·x̂₀ + b·x_t`, with the step's noise std c1
 * (../shared/refs/inverse §1.1).
 */
export function ddimMean(
  abT: number,
  _abS: number,
  c: { x0: number; eps: number; noise: number },
): { a: number; b: number; c1: number } {
  const b = c.eps / Math.sqrt(1 - abT);
  return { a: c.x0 - b * Math.sqrt(abT), b, c1: c.noise };
}

/** The per-step coefficients of the DDIM kernel: mean `a·x̂₀ + b·x_t`, noise std c1, and c2. */
export interface DdimStep {
  /** Coefficient of x̂₀ in the mean. */
  a: number;
  /** Coefficient of x_t in the mean. */
  b: number;
  /** The step's noise std. */
  c1: number;
  /** The DDIM coefficient of ε̂. */
  c2: number;
}

/**
 * ᾱ at each grid time and the DDIM kernel of each step t_k → t_{k+1} with
 * the layout's η (../shared/refs/inverse §1.1).
 */
export function ddimSteps(
  schedule: GuidanceRequest["model"]["schedule"],
  grid: Float64Array,
  eta: number,
): { ab: number[]; ddim: DdimStep[] } {
  const ab = Array.from(grid, (t) => alphaBar(schedule, t));
  const ddim = Array.from({ length: grid.length - 1 }, (_, k) => {
    const c = ddimCoefficients(ab[k]!, ab[k + 1]!, eta);
    return { ...ddimMean(ab[k]!, ab[k + 1]!, c), c2: c.eps };
  });
  return { ab, ddim };
}

/** `Uᵀy` on the host: the measurement in the operator's SVD coordinates. */
export async function measurementInU(
  backend: Backend,
  svd: OperatorSvd,
  y: Float64Array,
): Promise<Float64Array> {
  const yDev = backend.upload(y), ybDev = backend.zeros(y.length);
  try {
    await svd.applyUt(yDev, ybDev);
    return await toHost(backend, ybDev);
  } finally {
    backend.release(yDev);
    backend.release(ybDev);
  }
}

/** What one batch of systems returns. */
export interface BatchResult {
  /** The batch's rows × d, output order. */
  samples: Float64Array;
  /** Per-system ESS traces. */
  ess: Float64Array[];
  /** Per-system resampling steps. */
  resampledAt: number[][];
}

/** One batch of whole particle systems: its run context, rows, weights and keyed normals. */
export class SmcBatch {
  /** The batch's run context (device arrays, finiteness checks). */
  readonly ctx: RunContext;
  /** Global index of the batch's first system. */
  readonly firstSystem: number;
  /** Systems in the batch. */
  readonly systems: number;
  /** Rows in the batch (systems × particles). */
  readonly rows: number;
  /** Output row of the batch's first row (for onStep). */
  readonly firstRow: number;
  /** The batch's log-weights, ESS traces and resampling steps. */
  readonly weights: SystemWeights;
  readonly #key: Key;
  readonly #d: number;
  readonly #grid: Float64Array;
  readonly #firstParticle: number;

  /**
   * @param ctx the batch's run context
   * @param layout the run's layout
   * @param at global first system, system count and first output row
   * @param run the key, row width and grid of the run
   */
  constructor(
    ctx: RunContext,
    layout: SmcLayout,
    at: { firstSystem: number; systems: number; firstRow: number },
    run: { key: Key; d: number; grid: Float64Array },
  ) {
    this.ctx = ctx;
    this.firstSystem = at.firstSystem;
    this.systems = at.systems;
    this.rows = at.systems * layout.particles;
    this.firstRow = at.firstRow;
    this.#key = run.key;
    this.#d = run.d;
    this.#grid = run.grid;
    this.#firstParticle = at.firstSystem * layout.particles;
    const steps = run.grid.length - 1;
    this.weights = new SystemWeights(layout, at.firstSystem, at.systems, steps + 1, run.key);
  }

  /** The normals of x_T (rows × d; purpose guidanceInit, step 0). */
  initNormals(): Float64Array {
    return hostNormals(this.#key, this.rows * this.#d, {
      step: 0,
      purpose: PHILOX_PURPOSES.guidanceInit,
      offset: this.#firstParticle * this.#d,
    });
  }

  /** The normals of step k (rows × d; purpose guidanceStep). */
  stepNormals(k: number): Float64Array {
    return hostNormals(this.#key, this.rows * this.#d, {
      step: k,
      purpose: PHILOX_PURPOSES.guidanceStep,
      offset: this.#firstParticle * this.#d,
    });
  }

  /**
   * The last decision (every system with unequal weights resamples), the
   * output rows (`toSamples` maps the state to x), checked finite.
   */
  async finish(
    state: Float64Array,
    toSamples: (state: Float64Array) => Promise<Float64Array> = (x) => Promise.resolve(x),
  ): Promise<BatchResult> {
    const steps = this.#grid.length - 1;
    const ancestors = this.weights.decide(steps, true);
    if (ancestors !== undefined) state = gatherRows(state, this.#d, ancestors);
    const samples = await toSamples(state);
    await this.ctx.checkFinite(samples, {
      step: steps,
      time: this.#grid[steps]!,
      quantity: "a sample",
    });
    return { samples, ess: this.weights.ess, resampledAt: this.weights.resampledAt };
  }
}

/**
 * Runs the systems batch by batch, each in its own run context, and joins
 * the rows and traces in order.
 *
 * @param what the error prefix
 * @param request the request (backend, key, pathOffset)
 * @param layout the run's layout
 * @param run the row width, the grid the systems step along, and the model
 *   evaluations per sample (for the result)
 * @param body runs one batch
 */
export async function runSmcBatches(
  what: string,
  request: GuidanceRequest<unknown>,
  layout: SmcLayout,
  run: { d: number; grid: Float64Array; nfe: number },
  body: (batch: SmcBatch) => Promise<BatchResult>,
): Promise<GuidanceResult> {
  const { backend, key } = request;
  const d = run.d;
  const samples = new Float64Array(layout.systems * layout.particles * d);
  const ess: Float64Array[] = [], resampledAt: number[][] = [];
  for (let s0 = 0; s0 < layout.systems; s0 += layout.batchSystems) {
    const m = Math.min(layout.batchSystems, layout.systems - s0);
    const at = {
      firstSystem: layout.firstSystem + s0,
      systems: m,
      firstRow: s0 * layout.particles,
    };
    const r = await new RunContext(what, backend, { key, pathOffset: request.pathOffset ?? 0 }).use(
      (ctx) => body(new SmcBatch(ctx, layout, at, { key, d, grid: run.grid })),
    );
    samples.set(r.samples, s0 * layout.particles * d);
    ess.push(...r.ess);
    resampledAt.push(...r.resampledAt);
  }
  return { samples, nfe: run.nfe, ess, resampledAt };
}

/** The device side of a batch whose state is held in SVD coordinates `x̄ = Vᵀx` (MCGdiff, FPS-SMC). */
export class SpectralState {
  readonly #batch: SmcBatch;
  readonly #request: GuidanceRequest<unknown>;
  readonly #svd: OperatorSvd;
  readonly #xb: DeviceArray;
  readonly #x: DeviceArray;
  readonly #x0: DeviceArray;
  readonly #m: DeviceArray;

  /**
   * @param batch the batch (its context owns the arrays)
   * @param request the request (model, backend, conditioning, onStep)
   * @param svd the operator's SVD
   */
  constructor(batch: SmcBatch, request: GuidanceRequest<unknown>, svd: OperatorSvd) {
    this.#batch = batch;
    this.#request = request;
    this.#svd = svd;
    const n = batch.rows * request.model.dim;
    this.#xb = batch.ctx.alloc(n);
    this.#x = batch.ctx.alloc(n);
    this.#x0 = batch.ctx.alloc(n);
    this.#m = batch.ctx.alloc(n);
  }

  async #toX(xb: Float64Array): Promise<void> {
    await this.#request.backend.write(this.#xb, xb);
    await this.#svd.applyV(this.#xb, this.#x);
  }

  /** x = V x̄ on the host. */
  async toX(xb: Float64Array): Promise<Float64Array> {
    await this.#toX(xb);
    return await toHost(this.#request.backend, this.#x);
  }

  /**
   * The DDIM mean `Vᵀ(a x̂₀(x) + b x)` of the state x̄ at grid step k (time
   * t), checked finite.
   */
  async ddimMean(
    xb: Float64Array,
    k: number,
    t: number,
    a: number,
    b: number,
  ): Promise<Float64Array> {
    const { model, backend } = this.#request;
    await this.#toX(xb);
    await predictAs(model, this.#x, {
      t,
      kind: "x0",
      out: this.#x0,
      conditioning: this.#request.conditioning,
    });
    await backend.lincomb(this.#m, [[a, this.#x0], [b, this.#x]]);
    await this.#svd.applyVt(this.#m, this.#xb);
    const mb = await toHost(backend, this.#xb);
    await this.#batch.ctx.checkFinite(mb, { step: k, time: t, quantity: "the DDIM mean" });
    return mb;
  }

  /** Calls the request's onStep, if any, with the state mapped to x. */
  async report(xb: Float64Array, step: number, t: number, tNext: number): Promise<void> {
    if (!this.#request.onStep) return;
    const x = await this.toX(xb);
    await this.#request.onStep({ step, t, tNext, x, row: this.#batch.firstRow });
  }
}
