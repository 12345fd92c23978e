/**
 * Adaptive DPM-Solver-12 / DPM-Solver-23 (Lu et al., DPM-Solver, NeurIPS
 * 2022, §4.3 and Algorithm 4 in Appendix C): from s, a trial step in half
 * log-SNR to `t = t_λ(λ_s + h)` is taken with a lower-order and a
 * higher-order singlestep DPM-Solver that share their model calls (order 2:
 * DPM-Solver-1 and -2 with r₁ = ½; order 3: DPM-Solver-2 with r₁ = ⅓ and
 * DPM-Solver-3 with r₁ = ⅓, r₂ = ⅔), so an attempt costs `order` model
 * calls. With `δ = max(atol, rtol·max(|x_low|, |x_prev|))` elementwise, the
 * error E of `(x_high − x_low)/δ` decides: accepted steps set
 * x ← x_high, x_prev ← x_low.
 *
 * One implementation, two conventions:
 *
 * - {@linkcode dpmSolverAdaptive}, the reference's `method='adaptive'`, on
 *   the schedule's own α, σ: `E = max over samples of the sample's RMS`
 *   (`norm_fn(…).max()`; the worst sample decides for all), accept when
 *   E ≤ 1, next `h ← min(θ h E^{−1/order}, λ_end − λ_s)`, stop when
 *   `|s − t_end| ≤ t_err` (schedule time); noise or data form.
 * - {@linkcode sampleDpmAdaptive}, k-diffusion's `sample_dpm_adaptive`, on a
 *   σ interval in the variance-exploding view (noise form, `t = −ln σ`):
 *   `E = ‖·‖₂/√N` over the whole batch, the PID step-size controller of
 *   k-diffusion (`PIDStepSizeController`, after Söderlind 2003: factor
 *   `1 + atan(ρ − 1)`, `ρ = ε₀^{b1} ε₁^{b2} ε₂^{b3}`, `εᵢ = 1/(errᵢ + 1e-8)`,
 *   accept when the factor ≥ `acceptSafety`), steps clipped at t_end, stop
 *   when `s ≥ t_end − 1e-5`, optional ancestral noise η.
 *
 * Both error norms couple the rows: a run on the first 64 rows of a batch
 * is not the first 64 rows of a run on the whole batch.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { NumericalError } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type GridPoint, SampleRun } from "./sample_run.ts";
import { DpmForm, singlestepStages, singlestepTerms } from "./_dpm_singlestep.ts";
import { adaptiveError } from "./_adaptive_error.ts";
import { ancestralStep } from "./_k_steps.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

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
}

/** Options of {@linkcode sampleDpmAdaptive}. */
export interface DpmAdaptiveOptions extends SamplerOptions {
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
  /** Give up after this many attempts (default 10000). */
  maxAttempts?: number;
}

/** What the adaptive samplers return. */
export interface AdaptiveSampleResult extends SampleResult {
  /** Attempted steps, accepted and rejected (k-diffusion's `info["steps"]`). */
  steps: number;
  /** Accepted steps. */
  accepted: number;
  /** Rejected steps. */
  rejected: number;
}

const DPM_OPTIONS = [
  "order",
  "algorithm",
  "atol",
  "rtol",
  "theta",
  "hInit",
  "tErr",
  "maxAttempts",
] as const;
const K_OPTIONS = [
  "order",
  "rtol",
  "atol",
  "hInit",
  "pcoeff",
  "icoeff",
  "dcoeff",
  "acceptSafety",
  "eta",
  "sNoise",
  "maxAttempts",
] as const;

/** Decides a trial step from its error, then proposes the next step. */
interface Controller {
  /** The current step in λ. */
  h: number;
  /** Whether the trial step with this error is accepted. */
  accept(error: number): boolean;
  /** Sets the next h, from the error and the current point (the new one after an acceptance). */
  next(error: number, s: GridPoint): void;
}

interface Settings {
  order: number;
  data: boolean;
  atol: number;
  rtol: number;
  norm: "batch" | "rows";
  controller: Controller;
  /** Whether the loop goes on from s. */
  more(s: GridPoint): boolean;
  /** The end of the trial step from s with the controller's h (clipped or not). */
  target(s: GridPoint, h: number): GridPoint;
  maxAttempts: number;
  eta: number;
  sNoise: number;
}

/**
 * Samples with adaptive DPM-Solver from `grid[0]` (t_T) to `grid[1]` (t_end)
 * in the denoiser's schedule time, with the reference's conventions (see the
 * module doc). `onStep` sees accepted steps only. On webgpu each attempt
 * reads the per-element error back once.
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid `[tStart, tEnd]`
 * @param options order, algorithm, tolerances, θ, h_init, t_err and the common options
 * @returns the final batch, NFE, model-call times, and the attempted, accepted and rejected steps
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
): Promise<AdaptiveSampleResult> {
  const run = new SampleRun("adaptive DPM-Solver", denoiser, x, grid, options, {
    grid: "time",
    interval: true,
    query: "eps",
    options: DPM_OPTIONS,
  });
  const order = run.choice("order", options.order ?? 3, [2, 3]);
  const algorithm = run.choice(
    "algorithm",
    options.algorithm ?? "dpmsolver++",
    [
      "dpmsolver",
      "dpmsolver++",
    ] as const,
  );
  const atol = run.positive("atol", options.atol ?? 0.0078);
  const rtol = run.positive("rtol", options.rtol ?? 0.05);
  const theta = run.positive("theta", options.theta ?? 0.9);
  const hInit = run.positive("hInit", options.hInit ?? 0.05);
  const tErr = run.positive("tErr", options.tErr ?? 1e-5);
  const maxAttempts = run.integer("maxAttempts", options.maxAttempts ?? 10000, 1, 2 ** 31);
  const end = run.points[1]!;
  const controller: Controller = {
    h: hInit,
    accept: (error) => error <= 1,
    next(error, s) {
      // the reference: h ← min(θ h E^{−1/order}, λ_end − λ_s), s the point after the attempt
      this.h = Math.min(theta * this.h * error ** (-1 / order), end.lam - s.lam);
    },
  };
  return adaptiveSteps(run, x, {
    order,
    data: algorithm === "dpmsolver++",
    atol,
    rtol,
    norm: "rows",
    controller,
    more: (s) => Math.abs(s.t - end.t) > tErr,
    target: (s, h) => run.pointAtLambda(s.lam + h),
    maxAttempts,
    eta: 0,
    sNoise: 1,
  });
}

/**
 * k-diffusion's `sample_dpm_adaptive` from `grid[0]` to `grid[1]` (e.g.
 * `[σ_max, σ_min]` on the EDM schedule; it ends at σ_min), with
 * k-diffusion's conventions (see the module doc). Each attempt from s to
 * `t = min(t_end, s + h)` costs `order` model calls (none are reused across
 * attempts, as k-diffusion). On webgpu each attempt reads back one number
 * (the batch error).
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
 * import { sampleDpmAdaptive } from "./dpm_solver_adaptive.ts";
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
): Promise<AdaptiveSampleResult> {
  const run = new SampleRun("dpm_adaptive", denoiser, x, grid, options, {
    grid: "sigma",
    interval: true,
    query: "x0",
    options: K_OPTIONS,
  });
  const order = run.choice("order", options.order ?? 3, [2, 3]);
  const rtol = run.positive("rtol", options.rtol ?? 0.05);
  const atol = run.positive("atol", options.atol ?? 0.0078);
  const hInit = run.positive("hInit", Math.abs(options.hInit ?? 0.05));
  const acceptSafety = run.positive("acceptSafety", options.acceptSafety ?? 0.81);
  const pc = run.nonNegative("pcoeff", options.pcoeff ?? 0);
  const ic = run.nonNegative("icoeff", options.icoeff ?? 1);
  const dc = run.nonNegative("dcoeff", options.dcoeff ?? 0);
  const eta = run.nonNegative("eta", options.eta ?? 0);
  const sNoise = run.nonNegative("sNoise", options.sNoise ?? 1);
  const maxAttempts = run.integer("maxAttempts", options.maxAttempts ?? 10000, 1, 2 ** 31);
  // k-diffusion's PIDStepSizeController (its order is 1.5 with ancestral noise)
  const ctlOrder = eta ? 1.5 : order;
  const b1 = (pc + ic + dc) / ctlOrder, b2 = -(pc + 2 * dc) / ctlOrder, b3 = dc / ctlOrder;
  let errs: number[] = [];
  let factor = 1;
  const controller: Controller = {
    h: hInit,
    accept(error) {
      const inv = 1 / (error + 1e-8);
      if (errs.length === 0) errs = [inv, inv, inv];
      errs[0] = inv;
      const rho = errs[0]! ** b1 * errs[1]! ** b2 * errs[2]! ** b3;
      factor = 1 + Math.atan(rho - 1);
      const accept = factor >= acceptSafety;
      if (accept) {
        errs[2] = errs[1]!;
        errs[1] = errs[0]!;
      }
      return accept;
    },
    next() {
      this.h *= factor;
    },
  };
  const end = run.points[1]!;
  return adaptiveSteps(run, x, {
    order,
    data: false,
    atol,
    rtol,
    norm: "batch",
    controller,
    more: (s) => s.lam < end.lam - 1e-5,
    target: (s, h) => run.pointAtLambda(Math.min(end.lam, s.lam + h)),
    maxAttempts,
    eta,
    sNoise,
  });
}

/** The one adaptive loop, on the run's points (either convention). */
function adaptiveSteps(
  run: SampleRun,
  x: DeviceArray,
  st: Settings,
): Promise<AdaptiveSampleResult> {
  const form = new DpmForm(st.data);
  const ctl = st.controller;
  const end = run.points[1]!;
  return run.use(async () => {
    const cur = await run.start(x);
    const prev = await run.copy(cur);
    const [low, high, m0, d1, d2, u, err] = Array.from({ length: 7 }, () => run.alloc());
    // DPM-Solver-12: orders 1 and 2 with r1 = ½; DPM-Solver-23: orders 2 and 3 with r1 = ⅓, r2 = ⅔
    const stages = st.order === 2
      ? { r1: 0.5, m0: m0!, d1: d1! }
      : { r1: 1 / 3, r2: 2 / 3, m0: m0!, d1: d1!, d2: d2! };
    let s = run.points[0]!;
    let attempts = 0, accepted = 0, rejected = 0;
    while (st.more(s)) {
      if (attempts >= st.maxAttempts) {
        throw new NumericalError(
          `${run.what}: no convergence after ${st.maxAttempts} attempts (t = ${s.t}, h = ${ctl.h})`,
          { step: accepted, time: s.t },
        );
      }
      const t = st.target(s, ctl.h);
      // with ancestral noise (σ grids only) the deterministic step ends at σ_down
      let tn = t, su = 0;
      if (st.eta) {
        const [down] = ancestralStep(s.sigma, t.sigma, st.eta);
        tn = run.pointAtLambda(Math.min(end.lam, -Math.log(down)));
        su = Math.sqrt(t.sigma ** 2 - tn.sigma ** 2);
      }
      const h = tn.lam - s.lam;
      await run.model(cur, s, m0!, form.target);
      await singlestepStages(run, form, cur, s, h, stages, u!);
      await run.lc(low!, singlestepTerms(form, cur, s, tn, st.order - 1, stages));
      await run.lc(high!, singlestepTerms(form, cur, s, tn, st.order, stages));
      const error = await adaptiveError(
        { low: low!, high: high!, prev, out: err! },
        { atol: st.atol, rtol: st.rtol },
        st.norm === "batch" ? { kind: "batch" } : { kind: "rows", dim: run.dim },
      );
      attempts++;
      if (ctl.accept(error)) {
        await run.lc(prev, [[1, low!]]);
        if (su > 0) {
          await run.lcNoise(cur, [[1, high!]], su * st.sNoise, { from: s.sigma, to: t.sigma });
        } else await run.lc(cur, [[1, high!]]);
        await run.endStep(accepted, cur, st.data ? m0 : undefined, { t: s.t, tNext: t.t });
        accepted++;
        s = t;
      } else {
        rejected++;
      }
      ctl.next(error, s);
    }
    return { ...(await run.finish(cur)), steps: attempts, accepted, rejected };
  });
}

/**
 * The method object of {@linkcode dpmSolverAdaptive} (DPM-Solver's
 * conventions; the NFE is known only afterwards).
 *
 * @example
 * ```ts
 * import { dpmSolverAdaptiveMethod } from "./dpm_solver_adaptive.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmSolverAdaptiveMethod.info.nfe({ points: 2, endsAtZero: false }, {}), undefined);
 * ```
 */
export const dpmSolverAdaptiveMethod: DiffusionMethod<DpmSolverAdaptiveOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpm_solver_adaptive",
  aliases: ["dpmsolver_adaptive"],
  summary: "adaptive DPM-Solver-12/23 on [tStart, tEnd], max-over-samples error (Lu et al. 2022)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 3,
  grid: "time",
  budget: "adaptive",
  noise: "iid",
  rowsIndependent: false,
  options: DPM_OPTIONS,
  nfe: () => undefined,
}, dpmSolverAdaptive);

/**
 * The method object of {@linkcode sampleDpmAdaptive} (k-diffusion's
 * conventions; the NFE is known only afterwards).
 *
 * @example
 * ```ts
 * import { dpmAdaptiveMethod } from "./dpm_solver_adaptive.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmAdaptiveMethod.info.budget, "adaptive");
 * ```
 */
export const dpmAdaptiveMethod: DiffusionMethod<DpmAdaptiveOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpm_adaptive",
  aliases: ["sample_dpm_adaptive"],
  summary: "adaptive DPM-Solver-12/23 on [σ_max, σ_min], k-diffusion's sample_dpm_adaptive",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 3,
  grid: "sigma",
  budget: "adaptive",
  noise: "iid",
  rowsIndependent: false,
  options: K_OPTIONS,
  nfe: () => undefined,
}, sampleDpmAdaptive);
