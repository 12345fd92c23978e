/**
 * The one protocol of training-free guidance for inverse problems
 * `y = A(x) + noise` with a diffusion prior: every method (DPS, ΠGDM, DDRM,
 * DDNM, DiffPIR, MPGD, RED-diff, RePaint, MCG, DDS, MCGdiff, TDS, FPS-SMC)
 * declares what it needs ({@linkcode GuidanceInfo}) and runs from one
 * request ({@linkcode GuidanceRequest}): any {@linkcode Denoiser}, an
 * {@linkcode InverseProblem}, a decreasing time grid of the model's
 * schedule, a sample count and a Philox key. {@linkcode checkGuidanceRequest}
 * refuses, before any work, a request the method cannot serve (a VJP on a
 * model without one, an SVD the operator lacks, shapes that disagree, a NaN
 * measurement).
 *
 * Conventions (../shared/refs/inverse §1.1): VP notation ᾱ_t = α(t)², with
 * ᾱ = 1 at t = 0; a grid may end at t = 0, the clean end, where a step
 * returns x̂₀. Sample r of a run draws its randomness at counter element
 * `(pathOffset + r)·d + j` (or its particle's index for SMC methods), so the
 * samples do not depend on how the rows are batched.
 *
 * @module
 */

import type { Backend } from "../../kernels/backend.ts";
import type { Key } from "../../kernels/philox.ts";
import { checkKey } from "../../kernels/philox.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { Conditioning, Denoiser } from "../../models/denoiser.ts";
import type { MeasurementOperator } from "../../models/operators/operator.ts";
import { isLinearOperator } from "../../models/operators/operator.ts";
import { checkNoiseModel, type NoiseModel } from "../../models/operators/noise.ts";
import type { Method, MethodInfo } from "../method_registry.ts";
import type { OnStep, StepInfo } from "../run_context.ts";

/** An inverse problem: one measurement y of an unknown x through an operator and a noise model. */
export interface InverseProblem {
  /** The measurement operator A. */
  readonly operator: MeasurementOperator;
  /** The measurement y, length `operator.outDim`. */
  readonly y: ArrayLike<number>;
  /** The noise model of y. */
  readonly noise: NoiseModel;
}

/** What a guidance method declares. */
export interface GuidanceInfo extends MethodInfo {
  /** Always `"guidance"`. */
  readonly family: "guidance";
  /** Whether it backpropagates through the network (needs `Denoiser.vjp`). */
  readonly needsVjp: boolean;
  /** Whether it needs the operator's SVD. */
  readonly needsSvd: boolean;
  /** Whether it needs the operator's pseudo-inverse (the SVD serves too). */
  readonly needsPseudoInverse: boolean;
  /** The operators it handles: any (differentiable), linear, or inpainting masks only. */
  readonly operators: "any" | "linear" | "mask";
  /** The noise models it handles (`"none"`: σ_y = 0). */
  readonly noise: readonly ("gaussian" | "poisson" | "none")[];
  /** Whether it is asymptotically exact (SMC methods, as particles grow). */
  readonly asymptoticallyExact: boolean;
  /** The paper: authors, title, arXiv id or venue. */
  readonly paper: string;
}

/** What `onStep` receives: the common step fields plus the current x̂₀ estimate. */
export interface GuidanceStepInfo extends StepInfo<Float64Array> {
  /** The current batch's rows of x (host copy, rows × d). */
  x: Float64Array;
  /** Index of the first row of this batch within the run. */
  row: number;
}

/** One run of a guidance method. */
export interface GuidanceRequest<O = Record<string, unknown>> {
  /** The prior's denoiser. */
  model: Denoiser;
  /** The inverse problem. */
  problem: InverseProblem;
  /** Times from the noisy end down, strictly decreasing, each in [0, schedule.tMax]; 0 = clean. */
  grid: ArrayLike<number>;
  /** Number of output samples (≥ 1). */
  samples: number;
  /** The Philox key of every draw. */
  key: Key;
  /** Where to run. */
  backend: Backend;
  /** Index of the first sample within a larger run (default 0): shards draw like the rows they are. */
  pathOffset?: number;
  /** Rows per batch (default: all, or the method's particle system size); results do not depend on it. */
  batch?: number;
  /** Method-specific options (each method documents and checks its own). */
  options?: O;
  /** Conditioning passed to every model call. */
  conditioning?: Conditioning;
  /** Called after each step. */
  onStep?: OnStep<GuidanceStepInfo>;
}

/** What a guidance run returns. */
export interface GuidanceResult {
  /** The samples, `samples × d` row-major, in float64 (widened from f32 on webgpu). */
  samples: Float64Array;
  /** Number of model evaluations per sample (network calls, with VJPs counted once more each). */
  nfe: number;
  /**
   * SMC methods: each particle system's effective sample size at each grid point (before the
   * resampling decision there) and at the final decision.
   */
  ess?: Float64Array[];
  /** SMC methods: the steps at which each particle system resampled. */
  resampledAt?: number[][];
}

/** A guidance method: metadata plus its run. */
export interface GuidanceMethod<O = Record<string, unknown>> extends Method<GuidanceInfo> {
  /** Runs the method; calls {@linkcode checkGuidanceRequest} first. */
  run(request: GuidanceRequest<O>): Promise<GuidanceResult>;
}

/** The largest sample × dimension product a run accepts (2³¹ elements, 16 GiB of float64). */
export const MAX_GUIDANCE_ELEMENTS = 2 ** 31;

/**
 * Checks a request against a method's declared needs, before any work.
 *
 * @param info the method's metadata
 * @param request the request
 * @returns the grid as a Float64Array and the measurement as a Float64Array
 * @throws {SdenoTypeError} for a missing model VJP, SVD or pseudo-inverse, a nonlinear operator given to a linear method, a bad key or a foreign backend
 * @throws {SdenoRangeError} for disagreeing shapes, σ_y < 0, a non-finite measurement, a bad grid or sample count
 *
 * @example A method that needs a VJP refuses a model without one
 * ```ts
 * import { checkGuidanceRequest, type GuidanceInfo } from "./method.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { denoiserFromNative } from "../../models/denoiser.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const info: GuidanceInfo = {
 *   family: "guidance", name: "needs-vjp", aliases: [], summary: "test", stochastic: true,
 *   backends: ["cpu"], needsVjp: true, needsSvd: false, needsPseudoInverse: false,
 *   operators: "any", noise: ["gaussian"], asymptoticallyExact: false, paper: "-",
 * };
 * const model = denoiserFromNative({
 *   dim: 2, kind: "x0", schedule: vpLinearSchedule(),
 *   async predict(x, _t, out) { await x.backend.lincomb(out, [[0.5, x]]); },
 * });
 * const problem = { operator: denseOperator([[1, 0]]), y: [0.3], noise: gaussianNoise(0.1) };
 * const request = { model, problem, grid: [1, 0.5, 0], samples: 4, key: makeKey(1), backend: new CpuBackend() };
 * assert.throws(() => checkGuidanceRequest(info, request), /vjp/);
 * ```
 */
export function checkGuidanceRequest(
  info: GuidanceInfo,
  request: GuidanceRequest<unknown>,
): { grid: Float64Array; y: Float64Array } {
  const what = `Cannot run ${info.name}`;
  if (request === null || typeof request !== "object") {
    throw new SdenoTypeError(`${what}: the request must be an object, got ${quote(request)}`);
  }
  const { model, problem, backend } = request;
  if (model === null || typeof model !== "object" || typeof model.predict !== "function") {
    throw new SdenoTypeError(`${what}: model must be a Denoiser, got ${quote(model)}`);
  }
  if (backend === null || typeof backend !== "object" || typeof backend.lincomb !== "function") {
    throw new SdenoTypeError(`${what}: backend must be a Backend, got ${quote(backend)}`);
  }
  if (!info.backends.includes(backend.name)) {
    throw new SdenoTypeError(
      `${what}: it runs on ${info.backends.join(" or ")}, not on the ${backend.name} backend`,
    );
  }
  checkKey(what, request.key);
  if (problem === null || typeof problem !== "object") {
    throw new SdenoTypeError(`${what}: problem must be an InverseProblem, got ${quote(problem)}`);
  }
  const op = problem.operator;
  if (op === null || typeof op !== "object" || typeof op.apply !== "function") {
    throw new SdenoTypeError(
      `${what}: problem.operator must be a MeasurementOperator, got ${quote(op)}`,
    );
  }
  if (op.inDim !== model.dim) {
    throw new SdenoRangeError(
      `${what}: the operator takes x of length ${op.inDim} but the model's dimension is ${model.dim}`,
    );
  }
  const y = Float64Array.from(problem.y ?? []);
  if (y.length !== op.outDim) {
    throw new SdenoRangeError(
      `${what}: problem.y must have the operator's output length ${op.outDim}, got ${y.length}`,
    );
  }
  const bad = y.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new SdenoRangeError(`${what}: problem.y[${bad}] is ${y[bad]}, expected a finite number`);
  }
  const noise = checkNoiseModel(what, problem.noise);
  const noiseName = noise.kind === "gaussian" && noise.sigma === 0 ? "none" : noise.kind;
  if (
    !info.noise.includes(noiseName) && !(noiseName === "none" && info.noise.includes("gaussian"))
  ) {
    throw new SdenoTypeError(
      `${what}: it handles ${info.noise.join(", ")} noise, got ${noiseName}`,
    );
  }
  if (info.operators !== "any" && !isLinearOperator(op)) {
    throw new SdenoTypeError(`${what}: it needs a linear operator, got ${quote(op.name)}`);
  }
  // a linear operator's vjp is its transpose; only a nonlinear one must bring its own
  if (
    info.operators === "any" && info.needsVjp && !isLinearOperator(op) &&
    typeof op.vjp !== "function"
  ) {
    throw new SdenoTypeError(
      `${what}: it needs the operator's vjp, and ${quote(op.name)} has none`,
    );
  }
  if (info.needsSvd && !(isLinearOperator(op) && op.svd !== undefined)) {
    throw new SdenoTypeError(
      `${what}: it needs the operator's SVD, and ${
        quote(op.name)
      } has none (use an operator with an svd)`,
    );
  }
  if (
    info.needsPseudoInverse &&
    !(isLinearOperator(op) && (typeof op.pseudoInverse === "function" || op.svd !== undefined))
  ) {
    throw new SdenoTypeError(
      `${what}: it needs the operator's pseudo-inverse or SVD, and ${quote(op.name)} has neither`,
    );
  }
  if (info.needsVjp && typeof model.vjp !== "function") {
    throw new SdenoTypeError(
      `${what}: it backpropagates through the network, and the model has no vjp (pick a method with needsVjp false, e.g. ddrm, ddnm, diffpir)`,
    );
  }
  const grid = Float64Array.from(request.grid ?? []);
  if (grid.length < 2) {
    throw new SdenoRangeError(`${what}: grid must hold at least 2 times, got ${grid.length}`);
  }
  const tMax = model.schedule.tMax;
  for (let i = 0; i < grid.length; i++) {
    const t = grid[i]!;
    if (!Number.isFinite(t) || t < 0 || t > tMax * (1 + 1e-12)) {
      throw new SdenoRangeError(`${what}: grid[${i}] = ${t} must lie in [0, ${tMax}]`);
    }
    if (i > 0 && !(t < grid[i - 1]!)) {
      throw new SdenoRangeError(
        `${what}: grid must decrease strictly, got grid[${i - 1}] = ${grid[i - 1]} then ${t}`,
      );
    }
  }
  const n = request.samples;
  if (!Number.isInteger(n) || n < 1) {
    throw new SdenoRangeError(`${what}: samples must be an integer ≥ 1, got ${quote(n)}`);
  }
  if (n * model.dim > MAX_GUIDANCE_ELEMENTS) {
    throw new SdenoRangeError(
      `${what}: samples × dimension = ${
        n * model.dim
      } exceeds ${MAX_GUIDANCE_ELEMENTS} elements; split the run with pathOffset`,
    );
  }
  const off = request.pathOffset ?? 0;
  if (!Number.isInteger(off) || off < 0) {
    throw new SdenoRangeError(`${what}: pathOffset must be an integer ≥ 0, got ${quote(off)}`);
  }
  if (request.batch !== undefined && (!Number.isInteger(request.batch) || request.batch < 1)) {
    throw new SdenoRangeError(`${what}: batch must be an integer ≥ 1, got ${quote(request.batch)}`);
  }
  return { grid, y };
}
