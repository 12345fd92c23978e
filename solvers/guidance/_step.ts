// Private helpers of the DDIM-style guidance methods (solvers/guidance/*.ts):
// the loop over batches of samples and over a plan of transitions on the
// time grid (denoising steps, and re-noising jumps for time travel), the
// denoiser call that gives x̂₀ and ε̂, the keyed DDIM step, per-column affine
// maps for spectral (SVD) updates, and the data-fit gradient of DPS.
//
// Randomness: sample r of a run draws at counter element (pathOffset + r)·d + j
// (purpose guidanceInit for x_T ~ N(0, I); guidanceStep for the step noise of
// transition k, counter word "step" = k; guidanceAux for the re-noising of a
// time-travel jump and other per-step auxiliary draws), so the samples do not
// depend on how the rows are batched.

import type { Backend, DeviceArray, Term } from "../../kernels/backend.ts";
import { NumericalError, SdenoTypeError } from "../../kernels/errors.ts";
import { defineMap, type MapKernel } from "../../kernels/map.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { predictAs, vjpAs } from "../../models/denoiser.ts";
import type { LinearOperator, MeasurementOperator } from "../../models/operators/operator.ts";
import type { NoiseModel } from "../../models/operators/noise.ts";
import { RunContext } from "../run_context.ts";
import {
  checkGuidanceRequest,
  type GuidanceInfo,
  type GuidanceRequest,
  type GuidanceResult,
} from "./method.ts";
import { alphaBar, type DdimCoefficients } from "./vp.ts";

/** One move of a run: a denoising step down the grid, or a re-noising jump back up it. */
export interface Transition {
  /** `"step"`: grid[from] → grid[to] with to = from + 1; `"renoise"`: the forward kernel, to < from. */
  readonly kind: "step" | "renoise";
  /** Grid index of the start. */
  readonly from: number;
  /** Grid index of the end. */
  readonly to: number;
}

/**
 * The plain plan: K steps down the grid.
 *
 * @param steps K = grid.length − 1
 * @returns the transitions
 */
export function straightPlan(steps: number): Transition[] {
  return Array.from({ length: steps }, (_, i) => ({ kind: "step", from: i, to: i + 1 }));
}

/**
 * The time-travel plan of RePaint's resampling schedule (Lugmayr et al.
 * 2022, §4.2, `get_schedule_jump`), used by DDNM (Wang et al. 2023, §3.3):
 * after landing on a grid index i that is a multiple of `length` from the
 * clean end and at least `length` from the noisy end, jump back `length`
 * indices with the forward kernel and go down again, `repeats − 1` times.
 *
 * @param steps K = grid.length − 1
 * @param length l ≥ 1 grid steps per jump
 * @param repeats r ≥ 1 passes over each stretch (1: no time travel)
 * @returns the transitions
 */
export function timeTravelPlan(steps: number, length: number, repeats: number): Transition[] {
  const plan: Transition[] = [];
  const left = new Map<number, number>();
  for (let i = steps; i >= length; i -= length) left.set(i, repeats - 1);
  let i = 0;
  while (i < steps) {
    plan.push({ kind: "step", from: i, to: i + 1 });
    i++;
    const jumps = left.get(i) ?? 0;
    if (jumps > 0 && i - length >= 0) {
      left.set(i, jumps - 1);
      plan.push({ kind: "renoise", from: i, to: i - length });
      i -= length;
    }
  }
  return plan;
}

/** The state of one batch of rows during a run. */
export interface BatchState {
  /** The run context of this batch (arrays allocated through it are released at its end). */
  readonly run: RunContext;
  /** The backend. */
  readonly backend: Backend;
  /** Rows in this batch. */
  readonly rows: number;
  /** Dimension d of one row. */
  readonly d: number;
  /** Counter element of the batch's first entry: (pathOffset + first row)·d. */
  readonly offset: number;
  /** The measurement y repeated on every row (rows × d_y). */
  readonly y: DeviceArray;
  /** The current state x (rows × d); a transition overwrites it. */
  readonly x: DeviceArray;
  /** Model evaluations per row so far (VJPs count once more each). */
  nfe: number;
}

/** What a transition step sees besides the batch. */
export interface StepInput {
  /** Position of the transition in the plan: the counter word "step" of its draws. */
  readonly index: number;
  /** Time at the start. */
  readonly t: number;
  /** Time at the end (< t). */
  readonly s: number;
  /** ᾱ at t. */
  readonly abT: number;
  /** ᾱ at s (1 at the clean end). */
  readonly abS: number;
}

/** A method's part of the loop. */
export interface LoopMethod {
  /** Called once per batch before the first transition (e.g. to allocate work arrays). */
  prepare?(state: BatchState): Promise<void>;
  /** Advances `state.x` from t to s. */
  step(state: BatchState, input: StepInput): Promise<void>;
}

/**
 * Runs a DDIM-style guidance method: checks the request, then for each batch
 * of rows draws x_T ~ N(0, I) (as the official codes do) and applies the
 * plan's transitions, calling `method.step` for denoising steps and the
 * forward kernel `x ← √(ᾱ_to/ᾱ_from) x + √(1 − ᾱ_to/ᾱ_from) z` for
 * re-noising jumps.
 *
 * @param info the method's metadata
 * @param request the request
 * @param method the step (and optional per-batch preparation)
 * @param plan the transitions (default: straight down the grid)
 * @returns the samples and the NFE per sample
 */
export async function runGuidanceLoop(
  info: GuidanceInfo,
  request: GuidanceRequest<unknown>,
  method: LoopMethod,
  plan?: (steps: number) => Transition[],
): Promise<GuidanceResult> {
  const { grid, y } = checkGuidanceRequest(info, request);
  const what = `Cannot run ${info.name}`;
  const { model, backend, key } = request;
  checkVariancePreserving(what, request, grid);
  const d = model.dim, n = request.samples;
  const pathOffset = request.pathOffset ?? 0;
  const batch = Math.min(request.batch ?? n, n);
  const transitions = (plan ?? straightPlan)(grid.length - 1);
  const ab = Float64Array.from(grid, (t) => alphaBar(model.schedule, t));
  const samples = new Float64Array(n * d);
  let nfe = 0;
  for (let first = 0; first < n; first += batch) {
    const rows = Math.min(batch, n - first);
    const run = new RunContext(what, backend, { key, pathOffset });
    await run.use(async () => {
      const yRows = new Float64Array(rows * y.length);
      for (let r = 0; r < rows; r++) yRows.set(y, r * y.length);
      const yDev = run.alloc(yRows.length);
      await backend.write(yDev, yRows);
      const x = run.alloc(rows * d);
      const offset = (pathOffset + first) * d;
      await backend.fillNormal(x, key, { step: 0, purpose: PHILOX_PURPOSES.guidanceInit, offset });
      const state: BatchState = { run, backend, rows, d, offset, y: yDev, x, nfe: 0 };
      await method.prepare?.(state);
      for (let k = 0; k < transitions.length; k++) {
        const tr = transitions[k]!;
        const t = grid[tr.from]!, s = grid[tr.to]!;
        if (tr.kind === "step") {
          await method.step(state, { index: k, t, s, abT: ab[tr.from]!, abS: ab[tr.to]! });
        } else {
          const ratio = ab[tr.to]! / ab[tr.from]!;
          await backend.lincomb(x, [[Math.sqrt(ratio), x]], {
            scale: Math.sqrt(Math.max(0, 1 - ratio)),
            key,
            step: k,
            purpose: PHILOX_PURPOSES.guidanceAux,
            offset,
          });
        }
        await run.checkFinite(x, { step: k, time: s, quantity: "x" });
        if (request.onStep) {
          const host = Float64Array.from(await backend.download(x));
          await request.onStep({ step: k, t, tNext: s, x: host, row: first });
        }
      }
      samples.set(await backend.download(x), first * d);
      if (first === 0) nfe = state.nfe;
    });
  }
  return { samples, nfe };
}

function checkVariancePreserving(
  what: string,
  request: GuidanceRequest<unknown>,
  grid: Float64Array,
): void {
  const schedule = request.model.schedule;
  for (const t of grid) {
    if (t === 0) continue;
    const a = schedule.alpha(t), s = schedule.sigma(t);
    if (Math.abs(a * a + s * s - 1) > 1e-6) {
      throw new SdenoTypeError(
        `${what}: it needs a variance-preserving schedule (α² + σ² = 1), got α = ${a}, σ = ${s} at t = ${t}`,
      );
    }
  }
}

/**
 * Tweedie's x̂₀ = E[x₀ | x_t] from the model (one NFE), and the matching
 * ε̂ = (x_t − √ᾱ_t x̂₀)/√(1 − ᾱ_t) (refs §1.1).
 *
 * @param state the batch (x_t = state.x)
 * @param request the request (model, conditioning)
 * @param t the time
 * @param abT ᾱ_t (< 1)
 * @param x0 destination of x̂₀
 * @param eps destination of ε̂
 */
export async function denoise(
  state: BatchState,
  request: GuidanceRequest<unknown>,
  t: number,
  abT: number,
  x0: DeviceArray,
  eps: DeviceArray,
): Promise<void> {
  await predictAs(request.model, state.x, {
    t,
    kind: "x0",
    out: x0,
    conditioning: request.conditioning,
  });
  state.nfe++;
  const sd = Math.sqrt(1 - abT);
  await state.backend.lincomb(eps, [[1 / sd, state.x], [-Math.sqrt(abT) / sd, x0]]);
}

/**
 * `out = Jᵀ v`, J = ∂x̂₀/∂x_t at state.x (one more NFE).
 *
 * @param state the batch
 * @param request the request
 * @param t the time
 * @param v the cotangent (rows × d)
 * @param out the destination (not v)
 */
export async function denoiserVjp(
  state: BatchState,
  request: GuidanceRequest<unknown>,
  t: number,
  v: DeviceArray,
  out: DeviceArray,
): Promise<void> {
  await vjpAs(request.model, state.x, {
    t,
    kind: "x0",
    v,
    out,
    conditioning: request.conditioning,
  });
  state.nfe++;
}

/**
 * The DDIM step `x_s = c.x0·x0 + c.eps·eps + Σ extra + c.noise·z` into
 * state.x, with z keyed at (step = input.index, guidanceStep, row offset).
 *
 * @param state the batch
 * @param input the transition
 * @param c the DDIM coefficients
 * @param x0 the (corrected) x̂₀
 * @param eps the (corrected) ε̂
 * @param extra further terms (e.g. a guidance gradient)
 */
export async function ddimStep(
  state: BatchState,
  input: StepInput,
  c: DdimCoefficients,
  x0: DeviceArray,
  eps: DeviceArray,
  extra: readonly Term[] = [],
): Promise<void> {
  const terms: Term[] = [[c.x0, x0], [c.eps, eps], ...extra];
  await state.backend.lincomb(
    state.x,
    terms,
    c.noise > 0 ? stepNoise(state, input.index, c.noise) : undefined,
  );
}

/**
 * The keyed noise term of transition `index` (purpose guidanceStep).
 *
 * @param state the batch
 * @param index the transition's position in the plan
 * @param scale the standard deviation
 * @returns the lincomb noise term
 */
export function stepNoise(state: BatchState, index: number, scale: number) {
  return {
    scale,
    key: state.run.noise.key,
    step: index,
    purpose: PHILOX_PURPOSES.guidanceStep,
    offset: state.offset,
  };
}

const COLUMN_AFFINE: MapKernel[] = [1, 2, 3].map((arity) =>
  defineMap({
    name: `guidance_column_affine${arity}`,
    arity,
    // params = [w, c₀[0..w), …, c_{arity−1}[0..w), b[0..w)]
    wgsl: `let w = u32(params[0]); let j = i % w;
      var acc = params[1u + ${arity}u * w + j];
      ${
      Array.from({ length: arity }, (_, k) => `acc = acc + params[1u + ${k}u * w + j] * x${k};`)
        .join("\n      ")
    }
      return acc;`,
    cpu: (x0, x1, x2, _x3, p, i) => {
      const w = p[0]!, j = i % w;
      let acc = p[1 + arity * w + j]!;
      const xs = [x0, x1, x2];
      for (let k = 0; k < arity; k++) acc += p[1 + k * w + j]! * xs[k]!;
      return acc;
    },
  })
);

/**
 * Per-column affine combination of row-major arrays of width w:
 * `out[r, j] = Σ_k c_k[j]·x_k[r, j] + b[j]` (1 to 3 terms; `out` may be an input,
 * through a scratch copy).
 *
 * @param backend the backend
 * @param out the destination
 * @param width w
 * @param terms the column coefficients and arrays
 * @param bias the constant per column (default 0)
 */
export async function columnAffine(
  backend: Backend,
  out: DeviceArray,
  width: number,
  terms: readonly (readonly [Float64Array, DeviceArray])[],
  bias?: Float64Array,
): Promise<void> {
  const kernel = COLUMN_AFFINE[terms.length - 1]!;
  const params = new Float64Array(1 + (terms.length + 1) * width);
  params[0] = width;
  terms.forEach(([c], k) => params.set(c, 1 + k * width));
  if (bias) params.set(bias, 1 + terms.length * width);
  const inputs = terms.map(([, x]) => x);
  if (!inputs.includes(out)) return await backend.map(kernel, out, inputs, params);
  // webgpu cannot bind one buffer as both the output and an input of a dispatch.
  await withScratch(backend, [out.length], async ([tmp]) => {
    await backend.map(kernel, tmp!, inputs, params);
    await backend.lincomb(out, [[1, tmp!]]);
  });
}

/** The singular-value pieces of a linear operator that the spectral updates use. */
export interface Spectrum {
  /** The operator. */
  readonly op: LinearOperator & { readonly svd: NonNullable<LinearOperator["svd"]> };
  /** Singular values s₁ ≥ … ≥ s_rank > 0. */
  readonly s: Float64Array;
  /** Uᵀy (length d_y). */
  readonly uty: Float64Array;
}

/**
 * The spectrum of an operator with an SVD, with Uᵀy computed once.
 *
 * @param backend the backend
 * @param op the operator (with svd)
 * @param y the measurement
 * @returns the spectrum
 */
export async function spectrum(
  backend: Backend,
  op: LinearOperator,
  y: Float64Array,
): Promise<Spectrum> {
  const svd = op.svd!;
  const yDev = backend.upload(y), u = backend.zeros(y.length);
  try {
    await svd.applyUt(yDev, u);
    const uty = Float64Array.from(await backend.download(u));
    return { op: op as Spectrum["op"], s: Float64Array.from(svd.singularValues), uty };
  } finally {
    backend.release(yDev);
    backend.release(u);
  }
}

/**
 * `out = Aᵀ U diag(c) Uᵀ v` per row, for column weights c on the first rank
 * columns of U (the rest weighted 0): with c = 1/s² this is A⁺v, with
 * c = 1/(r² s² + σ²) it is Aᵀ(r² AAᵀ + σ² I)⁻¹ v.
 *
 * @param state the batch
 * @param sp the spectrum
 * @param c the weights (length rank)
 * @param v rows × d_y (overwritten)
 * @param out rows × d
 */
export async function transposeThroughU(
  state: BatchState,
  sp: Spectrum,
  c: Float64Array,
  v: DeviceArray,
  out: DeviceArray,
): Promise<void> {
  const dy = sp.op.outDim, b = state.backend;
  const w = new Float64Array(dy);
  w.set(c.subarray(0, Math.min(dy, c.length)));
  await withScratch(b, [v.length], async ([u]) => {
    await sp.op.svd.applyUt(v, u!);
    await columnAffine(b, u!, dy, [[w, u!]]);
    await sp.op.svd.applyU(u!, v);
    await sp.op.applyTranspose(v, out);
  });
}

/**
 * Runs `body` with fresh zeroed arrays of the given lengths, released afterwards.
 *
 * @param backend the backend
 * @param lengths the array lengths
 * @param body the work
 * @returns what body returns
 */
export async function withScratch<T>(
  backend: Backend,
  lengths: readonly number[],
  body: (arrays: DeviceArray[]) => Promise<T>,
): Promise<T> {
  const arrays: DeviceArray[] = [];
  try {
    for (const n of lengths) arrays.push(backend.zeros(n));
    return await body(arrays);
  } finally {
    for (const a of arrays) backend.release(a);
  }
}

/**
 * The data-fit gradient `out = ∂ℓ/∂A` per row at a = A(x̂₀): ℓ = ‖y − a‖²
 * (gradient 2(a − y)) for Gaussian noise; for Poisson noise
 * (rate·y ~ Poisson(rate·a)) ℓ = (2/rate)·(negative log-likelihood)
 * = 2 Σ (a − y log a) + const, the deviance's counterpart of the squared
 * residual, with gradient 2(1 − y/a). Also returns ‖y − a‖ per row.
 *
 * @param what the error prefix
 * @param noise the noise model
 * @param a host copy of A(x̂₀) (rows × d_y)
 * @param y the measurement
 * @param where step and time, for a NumericalError
 * @returns the gradient (rows × d_y) and the residual norms
 */
export function dataFitGradient(
  what: string,
  noise: NoiseModel,
  a: ArrayLike<number>,
  y: Float64Array,
  where: { step: number; time: number },
): { grad: Float64Array; norms: Float64Array } {
  const dy = y.length, rows = a.length / dy;
  const grad = new Float64Array(a.length), norms = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let j = 0; j < dy; j++) {
      const e = r * dy + j, aj = a[e]!, yj = y[j]!;
      acc += (yj - aj) ** 2;
      if (noise.kind === "gaussian") grad[e] = 2 * (aj - yj);
      else {
        if (yj > 0 && !(aj > 0)) {
          throw new NumericalError(
            `${what}: the Poisson likelihood needs A(x̂₀) > 0 where y > 0, got ${aj} at step ${where.step}, time ${where.time}, index ${e}`,
            { step: where.step, time: where.time, index: e },
          );
        }
        grad[e] = yj > 0 ? 2 * (1 - yj / aj) : 2;
      }
    }
    norms[r] = Math.sqrt(acc);
  }
  return { grad, norms };
}

/** Whether an operator is linear with an SVD (narrows the type). */
export function hasSvd(op: MeasurementOperator): op is Spectrum["op"] {
  return op.linear === true && (op as LinearOperator).svd !== undefined;
}
